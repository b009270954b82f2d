#!/usr/bin/env python3
"""Calibration and error listing for an aligner on align_eval tasks A and B.

usage: align_calib.py DOCS TASK(A|B) N_DOCS [CMD]
Prints, per document, the gold links the aligner missed and what it said
instead, plus (link confidence, correct) pairs summarised by band.
"""
import json, os, shlex, subprocess, sys, tempfile
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "shared", "eval"))
import align_eval as ev  # noqa: E402

docs_path, task, ndocs = sys.argv[1], sys.argv[2], int(sys.argv[3])
cmd = sys.argv[4] if len(sys.argv) > 4 else "target/release/transmem align --presegmented --src-lang en --tgt-lang ru --format jsonl {en} {ru}"
quiet = os.environ.get("QUIET")
docs = [json.loads(l) for l in open(docs_path, encoding="utf-8") if l.strip()]
docs = [d for d in docs if len(d["en"]) == len(d["ru"])]
if ndocs:
    docs = docs[:ndocs]
bands = [[0, 0] for _ in range(10)]
with tempfile.TemporaryDirectory() as wd:
    ep, rp = os.path.join(wd, "en.txt"), os.path.join(wd, "ru.txt")
    for d in docs:
        en, ru, gold = ev.task_resplit(d) if task == "A" else ev.task_delmerge(d, 1234, 0.1, 0.1)
        open(ep, "w").write("".join(s + "\n" for s in en))
        open(rp, "w").write("".join(s + "\n" for s in ru))
        argv = [a.replace("{en}", ep).replace("{ru}", rp) for a in shlex.split(cmd)]
        out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
        raw = [json.loads(l) for l in out.splitlines() if l.strip()]
        G = set(gold)
        bad = []
        for l in raw:
            key = (frozenset(l["src"]), frozenset(l["tgt"]))
            ok = key in G
            b = min(9, int(l.get("score", 0) * 10))
            bands[b][0] += 1
            bands[b][1] += ok
            if not ok:
                bad.append(l)
        if bad and not quiet:
            print("=== doc", d["docid"], len(en), len(ru))
            for l in bad:
                print(" HYP", l["src"], l["tgt"], l.get("score"), "|", l["src_text"][:90], "||", l["tgt_text"][:90])
            for g in sorted(G - {(frozenset(l["src"]), frozenset(l["tgt"])) for l in raw}, key=lambda g: (min(g[0] | {999}), min(g[1] | {999}))):
                print(" GOLD", sorted(g[0]), sorted(g[1]))
print("confidence band: links, precision")
for k, (n, ok) in enumerate(bands):
    if n:
        print(f"  {k/10:.1f}-{(k+1)/10:.1f}: {n:5d} {ok/n:.3f}")
