#!/usr/bin/env python3
"""Re-segmentation agreement on gold-segmented news documents.

For each document of a docs.jsonl (one JSON object per line with sentence
lists under the language keys, as in WMT test sets), the gold sentences are
joined with a space and given to the segmenter; the script counts how many
gold sentence boundaries come back (recall), how many produced boundaries are
gold ones (precision), and how many documents come back exactly.

Usage:
  python3 scripts/news_agreement.py DOCS.jsonl \
      [--cmd 'target/release/transmem segment --lang {lang} --format json'] \
      [--langs en ru] [--show N]
"""
import argparse
import json
import shlex
import subprocess


def boundaries(parts):
    """Offsets (in the space-joined text) where each part but the last ends."""
    out, pos = set(), 0
    for p in parts[:-1]:
        pos += len(p) + 1
        out.add(pos)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("docs")
    ap.add_argument("--cmd", default="target/release/transmem segment --lang {lang} --format json")
    ap.add_argument("--langs", nargs="+", default=["en", "ru"])
    ap.add_argument("--show", type=int, default=0, help="print up to N disagreements per language")
    a = ap.parse_args()
    docs = [json.loads(line) for line in open(a.docs, encoding="utf-8") if line.strip()]
    for lang in a.langs:
        argv = [x.replace("{lang}", lang) for x in shlex.split(a.cmd)]
        tp = fp = fn = exact = n = 0
        shown = 0
        for d in docs:
            gold = [s.strip() for s in d.get(lang, []) if s.strip()]
            if not gold:
                continue
            text = " ".join(gold)
            p = subprocess.run(argv, input=text, capture_output=True, text=True, check=True)
            got = [s.strip() for s in json.loads(p.stdout) if s.strip()]
            # Segments are trimmed spans of the text, so offsets follow from
            # finding each in turn.
            spans, pos = [], 0
            for s in got:
                i = text.index(s, pos)
                spans.append(i)
                pos = i + len(s)
            gb = boundaries(gold)
            pb = set(spans[1:])
            tp += len(gb & pb)
            fp += len(pb - gb)
            fn += len(gb - pb)
            n += 1
            exact += got == gold
            if got != gold and shown < a.show:
                shown += 1
                for s in sorted(pb - gb):
                    print(f"  [{lang} extra ] ...{text[max(0, s - 60):s]}|{text[s:s + 40]}...")
                for s in sorted(gb - pb):
                    print(f"  [{lang} missed] ...{text[max(0, s - 60):s]}|{text[s:s + 40]}...")
        prec = tp / max(1, tp + fp)
        rec = tp / max(1, tp + fn)
        f1 = 2 * prec * rec / max(1e-9, prec + rec)
        print(f"{lang}: boundaries P {100 * prec:.1f}% R {100 * rec:.1f}% F1 {100 * f1:.1f}% "
              f"({tp} of {tp + fn} gold, {fp} extra); documents exact {exact}/{n} = {100 * exact / max(1, n):.1f}%")


if __name__ == "__main__":
    main()
