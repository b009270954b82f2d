#!/usr/bin/env python3
"""Over-splitting of one-sentence-per-line text, per language.

usage: scripts/segment_lines.py LANG FILE [LANG FILE ...]
           [--bin target/release/transmem]
Each line of FILE is one gold sentence (e.g. the Bleualign .de/.fr files in
../shared/data/align-defr/thompsonb_vecalign_bleualign_data). The whole file
goes through `transmem segment --lang LANG` once; a line that comes back in
more than one segment was over-split. Prints, per language, the lines
over-split with LANG's built-in rules and with the language-neutral default
rules (`--lang xx`), so the gain of the language's own rules shows.
Splits inside a gold line are not always errors (the gold keeps some
`;`-joined clauses on one line), but a rule change should not raise them.
"""
import json
import subprocess
import sys


def oversplit(binary, lang, lines):
    text = "\n".join(lines) + "\n"
    out = subprocess.run([binary, "segment", "--lang", lang, "--format", "json"],
                         input=text, capture_output=True, text=True, check=True).stdout
    segs = json.loads(out)
    # Segments never cross lines: walk them in order, counting per line.
    split, k = 0, 0
    for line in lines:
        rest, n = line.strip(), 0
        while rest and k < len(segs):
            s = segs[k].strip()
            if not rest.startswith(s):
                break
            rest = rest[len(s):].lstrip()
            k += 1
            n += 1
        split += n > 1
    return split


def main():
    args = sys.argv[1:]
    binary = "target/release/transmem"
    if "--bin" in args:
        i = args.index("--bin")
        binary = args[i + 1]
        del args[i:i + 2]
    for lang, path in zip(args[::2], args[1::2]):
        lines = [l.rstrip("\n") for l in open(path, encoding="utf-8")]
        lines = [l for l in lines if l.strip()]
        own = oversplit(binary, lang, lines)
        neutral = oversplit(binary, "xx", lines)
        print(f"{lang}: {len(lines)} lines; over-split with {lang} rules {own} "
              f"({100 * own / len(lines):.2f}%), with default rules {neutral} "
              f"({100 * neutral / len(lines):.2f}%)")


if __name__ == "__main__":
    main()
