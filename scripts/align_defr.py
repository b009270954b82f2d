#!/usr/bin/env python3
"""Strict link F1 of `transmem align` on the German-French Bleualign gold.

usage: scripts/align_defr.py GOLD_JSONL [CMD]
GOLD_JSONL: ../shared/data/align-defr/bleualign_defr_gold.jsonl, one document
per line {"doc", "src": [...], "tgt": [...], "gold": [[[i..], [j..]], ...]}.
CMD has {src} and {tgt} placeholders (default: the release binary, presegmented).

Mirrors the strict measure of the team scorer (align_eval.py): a link is the
pair of index sets; segments no link covers count as 1:0 / 0:1 links, on both
the gold and the predicted side; scores are micro-averaged over documents.
"""
import json
import os
import shlex
import subprocess
import sys
import tempfile
from collections import Counter

DEFAULT = ("target/release/transmem align --presegmented --src-lang de --tgt-lang fr "
           "--format jsonl {src} {tgt}")


def complete(links, n, m):
    out, seen_s, seen_t = set(), set(), set()
    for s, t in links:
        s, t = frozenset(s), frozenset(t)
        if s or t:
            out.add((s, t))
            seen_s |= s
            seen_t |= t
    out |= {(frozenset({i}), frozenset()) for i in range(n) if i not in seen_s}
    out |= {(frozenset(), frozenset({j})) for j in range(m) if j not in seen_t}
    return out


def kind(link):
    t = f"{len(link[0])}-{len(link[1])}"
    return t if t in ("1-1", "1-0", "0-1", "1-2", "2-1", "2-2") else "other"


def main():
    gold_path = sys.argv[1]
    cmd = sys.argv[2] if len(sys.argv) > 2 else DEFAULT
    tp = nh = ng = 0
    tg, tt = Counter(), Counter()
    with tempfile.TemporaryDirectory(prefix="align_defr_") as wd:
        sp, tp_path = os.path.join(wd, "src.txt"), os.path.join(wd, "tgt.txt")
        for line in open(gold_path, encoding="utf-8"):
            if not line.strip():
                continue
            d = json.loads(line)
            src = [s.strip() for s in d["src"]]
            tgt = [t.strip() for t in d["tgt"]]
            # Empty lines would read as paragraph breaks: keep a placeholder.
            open(sp, "w", encoding="utf-8").write("".join((s or "-") + "\n" for s in src))
            open(tp_path, "w", encoding="utf-8").write("".join((t or "-") + "\n" for t in tgt))
            argv = [a.replace("{src}", sp).replace("{tgt}", tp_path) for a in shlex.split(cmd)]
            out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
            hyp = complete([(l["src"], l["tgt"]) for l in map(json.loads, out.splitlines()) if l], len(src), len(tgt))
            gold = complete([tuple(g) for g in d["gold"]], len(src), len(tgt))
            k = len(hyp & gold)
            print(f"{d['doc']}: links gold {len(gold)} hyp {len(hyp)} correct {k}")
            tp, nh, ng = tp + k, nh + len(hyp), ng + len(gold)
            for g in gold:
                tg[kind(g)] += 1
                tt[kind(g)] += g in hyp
    p, r = tp / max(1, nh), tp / max(1, ng)
    f = 2 * p * r / (p + r) if p + r else 0.0
    print("gold-link recall by type: " + ", ".join(f"{t} {tt[t]}/{tg[t]}" for t in sorted(tg)))
    print(f"de-fr strict link P={p:.4f} R={r:.4f} F1={f:.4f}")


if __name__ == "__main__":
    main()
