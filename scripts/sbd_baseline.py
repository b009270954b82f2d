#!/usr/bin/env python3
"""Other segmenters behind sbd_eval.py's command interface, for comparison.

  python3 scripts/sbd_baseline.py pysbd|razdel LANG < text   # prints a JSON array

pySBD runs with clean=False (the text stays as given, like transmem); razdel
is Russian-only.  Both must be pip-installed (pysbd==0.3.4, razdel==0.5.0).
"""
import json
import sys


def main():
    tool, lang = sys.argv[1], sys.argv[2]
    text = sys.stdin.read()
    if tool == "pysbd":
        import pysbd

        out = pysbd.Segmenter(language=lang, clean=False).segment(text)
    elif tool == "razdel":
        from razdel import sentenize

        out = [s.text for s in sentenize(text)]
    else:
        sys.exit(f"unknown segmenter {tool}")
    json.dump(out, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
