#!/usr/bin/env python3
"""Document-workflow check on real article pairs (issue 7's acceptance test).

For each WMT document in ../shared/data/news-enru/docs.jsonl: write the English
and Russian sides as plain text with paragraphs, `align --store` them into a
fresh memory, then
  - analyze the English side: share of words in the context/100% bands;
  - analyze an unrelated document (the next one): share in no-match/50-74;
  - pretranslate the English side to XLIFF: well-formed, share of segments
    with a target.
Prints per-measure means, minima and how many documents reach 90%.

Usage: scripts/workflow_eval.py [--docs PATH] [--max-docs N] [--bin target/release/transmem]
Exit status 1 when --min (default 0.9) is not reached on average for any measure.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

BANDS = ["context", "100", "95-99", "85-94", "75-84", "50-74", "no-match", "repetitions", "cross-file-repetitions"]


def text_of(doc, side):
    paras = doc.get("para_" + side) or [0] * len(doc[side])
    if len(set(paras)) == 1:
        paras = [i // 4 for i in range(len(doc[side]))]
    out, cur, last = [], [], None
    for s, p in zip(doc[side], paras):
        if last is not None and p != last and cur:
            out.append(" ".join(cur))
            cur = []
        cur.append(s)
        last = p
    if cur:
        out.append(" ".join(cur))
    return "\n\n".join(out) + "\n"


def run(argv, env):
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {p.returncode}: {p.stderr[-300:]}")
    return p.stdout


def share(total, bands):
    allw = sum(total[b]["words"] for b in BANDS)
    return sum(total[b]["words"] for b in bands) / allw if allw else 1.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", default=os.path.join(os.path.dirname(__file__), "../../shared/data/news-enru/docs.jsonl"))
    ap.add_argument("--max-docs", type=int, default=60)
    ap.add_argument("--bin", default="target/release/transmem")
    ap.add_argument("--min", type=float, default=0.9)
    a = ap.parse_args()
    docs = [json.loads(l) for l in open(a.docs, encoding="utf-8") if l.strip()]
    docs = [d for d in docs if len(d["en"]) == len(d["ru"]) and len(d["en"]) >= 5][: a.max_docs]
    res = {"covered": [], "unrelated": [], "filled": []}
    with tempfile.TemporaryDirectory() as wd:
        for k, d in enumerate(docs):
            other = docs[(k + 1) % len(docs)]
            en, ru, un = (os.path.join(wd, n) for n in ("en.txt", "ru.txt", "un.txt"))
            open(en, "w", encoding="utf-8").write(text_of(d, "en"))
            open(ru, "w", encoding="utf-8").write(text_of(d, "ru"))
            open(un, "w", encoding="utf-8").write(text_of(other, "en"))
            mem = os.path.join(wd, f"m{k}.sqlite")
            env = dict(os.environ, TRANSMEM_MEMORY=mem)
            run([a.bin, "align", "--store", "--src-lang", "en", "--tgt-lang", "ru", en, ru], env)
            t = json.loads(run([a.bin, "analyze", "--from", "en", "--to", "ru", "--format", "json", en], env))["total"]
            res["covered"].append(share(t, ["context", "100"]))
            t = json.loads(run([a.bin, "analyze", "--from", "en", "--to", "ru", "--format", "json", un], env))["total"]
            res["unrelated"].append(share(t, ["no-match", "50-74"]))
            x = run([a.bin, "pretranslate", "--from", "en", "--to", "ru", "--format", "xliff", en], env)
            root = ET.fromstring(x)
            ns = {"x": "urn:oasis:names:tc:xliff:document:1.2"}
            units = root.findall(".//x:trans-unit", ns)
            filled = [u for u in units if u.find("x:target", ns) is not None]
            res["filled"].append(len(filled) / len(units) if units else 1.0)
            os.remove(mem)
    ok = True
    for name, v in res.items():
        mean = sum(v) / len(v)
        reach = sum(x >= a.min for x in v)
        print(f"{name:9} mean {mean:.3f}  min {min(v):.3f}  docs >= {a.min:.0%}: {reach}/{len(v)}")
        ok &= mean >= a.min
    print(f"documents {len(docs)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
