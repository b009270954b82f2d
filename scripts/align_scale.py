#!/usr/bin/env python3
"""Scale bench for `transmem align`: one long pair built by concatenating
task-B documents (10% deleted one side, 10% merged the other) until each side
holds at least N segments, aligned in one run under /usr/bin/time -v.

usage: scripts/align_scale.py DOCS_JSONL [N=10000] [BINARY=target/release/transmem]
Prints segments per side, wall time, peak RSS and strict link F1 of the run.
       scripts/align_scale.py --write-only DIR DOCS_JSONL [N=10000]
Writes the pair to DIR/en.txt and DIR/ru.txt (one segment per line) and
prints the segments per side, without aligning (scripts/align_cost.sh).
"""
import json
import os
import re
import subprocess
import sys
import tempfile

# ../shared/eval beside the repository (or SHARED=DIR, e.g. from a worktree).
_here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.environ.get("SHARED") or os.path.join(_here, "..", "..", "shared"), "eval"))
import align_eval as ev  # noqa: E402


def build(docs_path, n_min):
    docs = [json.loads(l) for l in open(docs_path, encoding="utf-8") if l.strip()]
    docs = [d for d in docs if len(d["en"]) == len(d["ru"])]
    en, ru, gold, rnd = [], [], set(), 0
    while len(en) < n_min or len(ru) < n_min:
        for d in docs:
            e, r, g = ev.task_delmerge(d, 1234 + rnd, 0.1, 0.1)
            oe, orr = len(en), len(ru)
            en += e
            ru += r
            gold |= {(frozenset(i + oe for i in a), frozenset(j + orr for j in b)) for a, b in g}
            if len(en) >= n_min and len(ru) >= n_min:
                break
        rnd += 1
    return en, ru, gold


def write_pair(wd, en, ru):
    ep, rp = os.path.join(wd, "en.txt"), os.path.join(wd, "ru.txt")
    open(ep, "w", encoding="utf-8").write("".join(s + "\n" for s in en))
    open(rp, "w", encoding="utf-8").write("".join(s + "\n" for s in ru))
    return ep, rp


def main():
    args = sys.argv[1:]
    out_dir = None
    if args[:1] == ["--write-only"]:
        out_dir, args = args[1], args[2:]
    docs_path = args[0]
    n_min = int(args[1]) if len(args) > 1 else 10000
    binary = args[2] if len(args) > 2 else "target/release/transmem"
    en, ru, gold = build(docs_path, n_min)
    if out_dir is not None:
        os.makedirs(out_dir, exist_ok=True)
        write_pair(out_dir, en, ru)
        print(f"segments en {len(en)} ru {len(ru)}")
        return
    with tempfile.TemporaryDirectory(prefix="align_scale_") as wd:
        ep, rp = write_pair(wd, en, ru)
        argv = ["/usr/bin/time", "-v", binary, "align", "--presegmented", "--src-lang", "en", "--tgt-lang", "ru",
                "--format", "jsonl", ep, rp]
        p = subprocess.run(argv, capture_output=True, text=True, check=True)
    hyp = ev.predicted_links([json.loads(l) for l in p.stdout.splitlines() if l.strip()], len(en), len(ru))
    tp = len(set(hyp) & gold)
    prec, rec = tp / len(hyp), tp / len(gold)
    wall = re.search(r"Elapsed \(wall clock\) time.*: (\S+)", p.stderr).group(1)
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1))
    print(f"segments en {len(en)} ru {len(ru)}; wall {wall}; peak RSS {rss / 1024:.1f} MiB; "
          f"strict link F1 {2 * prec * rec / (prec + rec):.4f}")


if __name__ == "__main__":
    main()
