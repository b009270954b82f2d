#!/usr/bin/env python3
"""Byte-for-byte comparison of two `transmem align` binaries on every input
the alignment evaluations give them (issue 26: making alignment cheaper must
not change its output).

usage: scripts/align_compare.py OLD_BINARY NEW_BINARY [SHARED_DIR=../shared] [PAIR_DIR]

Runs both binaries, with `--format jsonl` (texts, indices and scores) and
`--format tsv`, on each WMT en-ru document as tasks B, A (presegmented) and
R (raw text, own segmenter) build it, on each de-fr gold document, and on
PAIR_DIR/en.txt + ru.txt when given (the scale pair of scripts/align_cost.sh).
Prints the number of runs compared and every input whose output differs;
exits 1 when any does.
"""
import json
import os
import subprocess
import sys
import tempfile


def main():
    old, new = sys.argv[1], sys.argv[2]
    shared = sys.argv[3] if len(sys.argv) > 3 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared")
    pair = sys.argv[4] if len(sys.argv) > 4 else None
    sys.path.insert(0, os.path.join(shared, "eval"))
    import align_eval as ev  # noqa: E402

    runs, diffs = 0, []

    def compare(name, src, tgt, langs, presegmented, formats=("jsonl", "tsv")):
        nonlocal runs
        for fmt in formats:
            argv = ["align", "--src-lang", langs[0], "--tgt-lang", langs[1], "--format", fmt, src, tgt]
            if presegmented:
                argv.insert(1, "--presegmented")
            a = subprocess.run([old] + argv, capture_output=True, check=True).stdout
            b = subprocess.run([new] + argv, capture_output=True, check=True).stdout
            runs += 1
            if a != b:
                diffs.append(f"{name} ({fmt})")
                print(f"DIFFERS: {name} ({fmt})", flush=True)

    def write(path, lines):
        open(path, "w", encoding="utf-8").write("".join(s + "\n" for s in lines))

    with tempfile.TemporaryDirectory(prefix="align_compare_") as wd:
        ep, rp = os.path.join(wd, "en.txt"), os.path.join(wd, "ru.txt")
        docs_path = os.path.join(shared, "data", "news-enru", "docs.jsonl")
        docs = [json.loads(l) for l in open(docs_path, encoding="utf-8") if l.strip()]
        docs = [d for d in docs if len(d["en"]) == len(d["ru"])]
        for d in docs:
            en, ru, _ = ev.task_delmerge(d, 1234, 0.1, 0.1)
            write(ep, en)
            write(rp, ru)
            compare(f"B {d['docid']}", ep, rp, ("en", "ru"), True)
            en, ru, _ = ev.task_resplit(d)
            write(ep, en)
            write(rp, ru)
            compare(f"A {d['docid']}", ep, rp, ("en", "ru"), True, ("jsonl",))
            en_text, ru_text, _ = ev.task_raw(d, 1234, 0.1)
            open(ep, "w", encoding="utf-8").write(en_text)
            open(rp, "w", encoding="utf-8").write(ru_text)
            compare(f"R {d['docid']}", ep, rp, ("en", "ru"), False, ("jsonl",))
        defr = os.path.join(shared, "data", "align-defr", "bleualign_defr_gold.jsonl")
        if os.path.exists(defr):
            for line in open(defr, encoding="utf-8"):
                if not line.strip():
                    continue
                d = json.loads(line)
                write(ep, [s.strip() or "-" for s in d["src"]])
                write(rp, [t.strip() or "-" for t in d["tgt"]])
                compare(f"de-fr {d['doc']}", ep, rp, ("de", "fr"), True)
        if pair:
            compare("scale pair", os.path.join(pair, "en.txt"), os.path.join(pair, "ru.txt"), ("en", "ru"), True)
    print(f"{runs} runs compared, {len(diffs)} differ")
    sys.exit(1 if diffs else 0)


if __name__ == "__main__":
    main()
