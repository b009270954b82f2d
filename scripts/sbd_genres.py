#!/usr/bin/env python3
"""Five-genre sentence-boundary comparison of transmem with its peers (issue 26).

Gold: tests/fixtures/segment/genres/GENRE.LANG.txt (our own text; format in
that directory's README.md): one sentence per line, a blank line between
paragraphs; a line starting with "~" is glued to the previous one with no
space (a sentence end without a space after it), any other line with one
space.  Each paragraph is one text given to every segmenter.

Boundaries.  A boundary is where a sentence other than a paragraph's first
one starts, counted as the number of non-white-space characters of the
paragraph before that start.  Counting only non-white-space characters makes
the measure independent of how a segmenter trims or normalises white space
(the Moses splitter rewrites it); paragraph starts and ends are never
boundaries.  A system's boundaries are the starts of its 2nd, 3rd, ...
segments of the paragraph, computed the same way from the lengths of its
segments (a segmenter that changes non-space characters would be misscored;
none of these does).  Precision, recall and F1 are micro-averaged over the
paragraphs of one genre and language.

Systems:
  transmem   target/release/transmem segment --lang LANG --format json, one
             process per set, one paragraph per line (a line break always ends
             a segment, so segments never span paragraphs)
  pysbd      pysbd.Segmenter(language=LANG, clean=False)         en, ru
  razdel     razdel.sentenize                                     ru
  moses      sentence_splitter.SentenceSplitter(language=LANG)    en, ru
  segtok     segtok.segmenter.split_multi                         en
  punkt      nltk PunktSentenceTokenizer TRAINED HERE at run time: NLTK's
             pretrained model cannot be downloaded on this machine, so a
             PunktTrainer learns from unlabelled text of the language: the
             SHARED/data/news-enru/docs.jsonl documents (each paragraph's
             sentences joined with a space) and the first 20,000 sentences of
             SHARED/data/tm-enru/en_ru_pairs.tsv in runs of five.  This is
             the same unlabelled text transmem's learnt word lists came from.
             Without SHARED, Punkt is skipped.

Peers are imported from the running Python (install them into a venv, e.g.
  python3 -m venv target/sbd-venv
  target/sbd-venv/bin/pip install pysbd razdel sentence-splitter segtok nltk
  target/sbd-venv/bin/python scripts/sbd_genres.py --fail-below-best
).  A peer that cannot be imported is reported and skipped, unless
--require-peers is given (exit 2).  --fail-below-best exits 1 when
transmem's F1 is below the best peer's on any set.  --show DIFFS prints
transmem's misses (-) and extra boundaries (+) for each set.  --check
scores tests/fixtures/segment/genres/check/ instead: forum and social text
written after the rules were tuned on the main set, so an out-of-sample
figure for the two informal genres.
"""
import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOLD_DIR = os.path.join(ROOT, "tests", "fixtures", "segment", "genres")
GENRES = ["news", "encyclopedia", "forum", "social", "fiction"]
LANGS = ["en", "ru"]
PEERS = ["pysbd", "razdel", "moses", "segtok", "punkt"]
PEER_LANGS = {
    "pysbd": {"en", "ru"},
    "razdel": {"ru"},
    "moses": {"en", "ru"},
    "segtok": {"en"},
    "punkt": {"en", "ru"},
}


def read_gold(path):
    """Paragraphs as (text, [sentence, ...]) from the fixture format."""
    paras, cur = [], []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip():
                if cur:
                    paras.append(cur)
                cur = []
                continue
            if line.startswith("~"):
                if not cur:
                    sys.exit(f"{path}:{n}: a '~' line cannot open a paragraph")
                cur.append(("", line[1:]))
            else:
                cur.append((" ", line))
    if cur:
        paras.append(cur)
    out = []
    for p in paras:
        text = "".join(sep + s for sep, s in p)[1:]
        out.append((text, [s for _, s in p]))
    return out


def nonspace_len(s):
    return sum(1 for c in s if not c.isspace())


def boundaries(segments):
    """Non-white-space offsets of the starts of segments 2, 3, ..."""
    out, pos = set(), 0
    for s in segments:
        n = nonspace_len(s)
        if n == 0:
            continue
        if pos > 0:
            out.add(pos)
        pos += n
    return out


def run_transmem(binary, lang, texts):
    """One process for the whole set: paragraph per line; the segments are
    mapped back to their paragraphs by position (they are substrings of the
    input, in order, and never cross a line)."""
    joined = "\n".join(texts) + "\n"
    res = subprocess.run(
        [binary, "segment", "--lang", lang, "--format", "json"],
        input=joined.encode("utf-8"),
        capture_output=True,
        check=True,
    )
    segs = json.loads(res.stdout.decode("utf-8"))
    starts = []
    off = 0
    for t in texts:
        starts.append(off)
        off += len(t) + 1
    per = [[] for _ in texts]
    cursor, p = 0, 0
    for s in segs:
        i = joined.index(s, cursor)
        cursor = i + len(s)
        while p + 1 < len(starts) and starts[p + 1] <= i:
            p += 1
        per[p].append(s)
    return per


def punkt_training_text(shared, lang, limit=20000):
    chunks = []
    docs = os.path.join(shared, "data", "news-enru", "docs.jsonl")
    with open(docs, encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            sents, paras = d[lang], d.get("para_" + lang) or [0] * len(d[lang])
            cur, last = [], None
            for s, p in zip(sents, paras):
                if last is not None and p != last:
                    chunks.append(" ".join(cur))
                    cur = []
                cur.append(s)
                last = p
            if cur:
                chunks.append(" ".join(cur))
    col = 0 if lang == "en" else 1
    pairs = os.path.join(shared, "data", "tm-enru", "en_ru_pairs.tsv")
    run = []
    with open(pairs, encoding="utf-8") as f:
        for n, line in enumerate(f):
            if n >= limit:
                break
            cols = line.rstrip("\n").split("\t")
            if len(cols) > col:
                run.append(cols[col])
            if len(run) == 5:
                chunks.append(" ".join(run))
                run = []
    return "\n\n".join(chunks)


def load_peers(names, shared, require):
    """name -> function(lang) -> (text -> [segments]); plus versions."""
    from importlib import metadata

    peers, versions, missing = {}, {}, []

    def version(dist):
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "?"

    for name in names:
        try:
            if name == "pysbd":
                import pysbd

                cache = {}

                def f(lang, pysbd=pysbd, cache=cache):
                    if lang not in cache:
                        cache[lang] = pysbd.Segmenter(language=lang, clean=False)
                    return cache[lang].segment

                peers[name], versions[name] = f, version("pysbd")
            elif name == "razdel":
                from razdel import sentenize

                peers[name] = lambda lang, sentenize=sentenize: (
                    lambda t: [s.text for s in sentenize(t)]
                )
                versions[name] = version("razdel")
            elif name == "moses":
                from sentence_splitter import SentenceSplitter

                cache = {}

                def f(lang, SS=SentenceSplitter, cache=cache):
                    if lang not in cache:
                        cache[lang] = SS(language=lang)
                    return cache[lang].split

                peers[name], versions[name] = f, version("sentence-splitter")
            elif name == "segtok":
                from segtok.segmenter import split_multi

                peers[name] = lambda lang, sm=split_multi: (lambda t: list(sm(t)))
                versions[name] = version("segtok")
            elif name == "punkt":
                from nltk.tokenize.punkt import PunktSentenceTokenizer, PunktTrainer

                if not shared or not os.path.isdir(os.path.join(shared, "data")):
                    raise ImportError(f"no training text: {shared}/data missing")
                cache = {}

                def f(lang, cache=cache):
                    if lang not in cache:
                        trainer = PunktTrainer()
                        trainer.INCLUDE_ALL_COLLOCS = True
                        trainer.train(punkt_training_text(shared, lang), finalize=True)
                        tok = PunktSentenceTokenizer(trainer.get_params())
                        cache[lang] = tok.tokenize
                    return cache[lang]

                peers[name], versions[name] = f, version("nltk")
        except ImportError as e:
            missing.append(name)
            print(f"# peer {name} unavailable, skipped: {e}", file=sys.stderr)
    if missing and require:
        sys.exit(2)
    return peers, versions


def score(gold_paras, sys_paras):
    tp = fp = fn = 0
    for (_, gold), segs in zip(gold_paras, sys_paras):
        g, s = boundaries(gold), boundaries(segs)
        tp += len(g & s)
        fp += len(s - g)
        fn += len(g - s)
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f, tp, fp, fn


def show_diffs(name, gold_paras, sys_paras):
    for (text, gold), segs in zip(gold_paras, sys_paras):
        g, s = boundaries(gold), boundaries(segs)
        for kind, offs in (("-", g - s), ("+", s - g)):
            for o in sorted(offs):
                # character index of the o-th non-space character
                n, idx = 0, len(text)
                for i, c in enumerate(text):
                    if not c.isspace():
                        if n == o:
                            idx = i
                            break
                        n += 1
                print(f"  {name} {kind} …{text[max(0, idx - 40):idx]}|{text[idx:idx + 30]}…")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "transmem"))
    ap.add_argument("--shared", default=os.environ.get("SHARED", "/work/shared"),
                    help="for Punkt's training text (default $SHARED or /work/shared)")
    ap.add_argument("--peers", nargs="*", default=PEERS)
    ap.add_argument("--fail-below-best", action="store_true")
    ap.add_argument("--require-peers", action="store_true")
    ap.add_argument("--show", nargs="*", default=None, metavar="SYSTEM",
                    help="print missed (-) and extra (+) boundaries of these systems "
                         "(transmem when given without names)")
    ap.add_argument("--json", action="store_true", help="also print the figures as JSON")
    ap.add_argument("--check", action="store_true",
                    help="score the check set (gold/check/: forum and social only, written "
                         "after the rules were tuned on the main set) instead")
    args = ap.parse_args()

    t0 = time.time()
    peers, versions = load_peers(args.peers, args.shared, args.require_peers)
    systems = ["transmem"] + [p for p in args.peers if p in peers]
    show = set(args.show or []) or ({"transmem"} if args.show is not None else set())
    results, below = {}, []
    header = f"{'set':<16}{'n':>4}" + "".join(f"{s:>10}" for s in systems)
    print("boundary F1 (precision/recall below), our own text per genre and language")
    print(header)
    gold_dir = os.path.join(GOLD_DIR, "check") if args.check else GOLD_DIR
    for lang in LANGS:
        for genre in GENRES:
            path = os.path.join(gold_dir, f"{genre}.{lang}.txt")
            if not os.path.exists(path):
                continue
            gold = read_gold(path)
            texts = [t for t, _ in gold]
            nb = sum(len(b) - 1 for _, b in gold)
            row = {}
            outs = {"transmem": run_transmem(args.bin, lang, texts)}
            for name in systems[1:]:
                if lang not in PEER_LANGS[name]:
                    continue
                fn = peers[name](lang)
                outs[name] = [fn(t) for t in texts]
            for name, segs in outs.items():
                row[name] = score(gold, segs)
                if name in show:
                    show_diffs(name, gold, segs)
            key = f"{genre}.{lang}"
            results[key] = {k: dict(zip(["p", "r", "f1", "tp", "fp", "fn"], v))
                            for k, v in row.items()}
            cells = "".join(
                f"{row[s][2]:>10.3f}" if s in row else f"{'-':>10}" for s in systems)
            pr = "".join(
                f"{row[s][0]:>5.2f}/{row[s][1]:<4.2f}" if s in row else f"{'':>10}"
                for s in systems)
            print(f"{key:<16}{nb:>4}{cells}")
            print(f"{'':<20}{pr}")
            best_peer = max((v[2] for k, v in row.items() if k != "transmem"), default=None)
            if best_peer is not None and row["transmem"][2] + 1e-9 < best_peer:
                best = [k for k, v in row.items() if k != "transmem" and v[2] == best_peer]
                below.append(f"{key}: transmem {row['transmem'][2]:.3f} < "
                             f"{'/'.join(best)} {best_peer:.3f}")
    print("versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    print(f"time: {time.time() - t0:.1f} s")
    if args.json:
        print(json.dumps(results, ensure_ascii=False))
    if below:
        print("transmem below the best peer on: " + "; ".join(below))
        if args.fail_below_best:
            return 1
    else:
        print("transmem at or above the best peer on every set")
    return 0


if __name__ == "__main__":
    sys.exit(main())
