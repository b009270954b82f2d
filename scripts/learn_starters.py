#!/usr/bin/env python3
"""Learns sentence-starter words from unlabelled text, Punkt-style, and
writes them as word lists, one word a line, into src/segment/data/ (read by
src/segment/learnt.rs with include_str! and parsed on first use).

usage: scripts/learn_starters.py DOCS_JSONL TM_TSV [OUT_DIR]
  DOCS_JSONL: ../shared/data/news-enru/docs.jsonl (sentences in "en"/"ru")
  TM_TSV:     ../shared/data/tm-enru/en_ru_pairs.tsv (en<TAB>ru per line)

Punkt's orthographic heuristic (Kiss & Strunk 2006): after an abbreviation
that can end a sentence ("Inc.", "U.S.", "г."), a capitalised word that is
*usually written in lowercase* inside sentences opens a new sentence, while
one that is capitalised inside sentences too is a name and continues it.
For each language this counts, over every sentence of both files, how often
a word opens a sentence capitalised, occurs inside a sentence in lowercase,
and occurs inside a sentence capitalised. A starter opens at least 3
sentences, is seen in lowercase inside sentences at least 3 times, and is
capitalised inside sentences at most a tenth as often as it is lowercase.

It also learns Punkt's type-based evidence against abbreviations: an
"ordinary" English word occurs at least 5 times without a full stop, ends at
least 2 sentences with one, and has a full stop inside a sentence at most
once in a hundred occurrences ("it", "said", "people"; not "approx", "etc",
"vs", "p"). One letter words are left out (list markers, initials).
And Russian names the other way round: words capitalised inside sentences
at least twice and never written in lowercase there ("Виктор", "Рид"; not
"Понадобилось"), so that "в 1995 г. Понадобилось" splits and "в 1991 г. Рид
Ларсон" does not.
Only the derived word lists are written, never a sentence.
"""
import collections
import json
import os
import re
import sys

TOKEN = re.compile(r"[^\W\d_][^\W\d_'’-]*", re.UNICODE)


def sentences(docs_path, tm_path):
    out = {"en": [], "ru": []}
    for line in open(docs_path, encoding="utf-8"):
        if line.strip():
            d = json.loads(line)
            out["en"].extend(d["en"])
            out["ru"].extend(d["ru"])
    for line in open(tm_path, encoding="utf-8"):
        cols = line.rstrip("\n").split("\t")
        if len(cols) == 2:
            out["en"].append(cols[0])
            out["ru"].append(cols[1])
    return out


def learn(sents):
    opens, lower, capital = collections.Counter(), collections.Counter(), collections.Counter()
    for s in sents:
        words = TOKEN.findall(s)
        if not words:
            continue
        first = words[0]
        if first[:1].isupper() and not first.isupper():
            opens[first] += 1
        for w in words[1:]:
            if w[:1].islower():
                lower[w] += 1
            elif w[:1].isupper() and not w.isupper():
                capital[w[:1].lower() + w[1:]] += 1
    out = []
    for w, k in opens.items():
        low = w[:1].lower() + w[1:]
        if k >= 3 and lower[low] >= 3 and capital[low] <= lower[low] / 10 and len(w) >= 2:
            out.append(w)
    return sorted(out)


DOTTED = re.compile(r"[^\W\d_][^\W\d_'’-]*\.?", re.UNICODE)


def learn_ordinary(sents):
    plain, mid, end = collections.Counter(), collections.Counter(), collections.Counter()
    for s in sents:
        s = s.strip()
        for m in DOTTED.finditer(s):
            w = m.group(0)
            prev = s[m.start() - 1] if m.start() else " "
            if prev.isalnum() or prev in ".'’-_":
                continue
            if w.endswith("."):
                core = w[:-1]
                if not core.islower():
                    continue
                rest = s[m.end():].strip()
                if rest and not re.fullmatch(r"[\"'»”’)\]]*", rest):
                    mid[core] += 1
                else:
                    end[core] += 1
            elif w.islower():
                plain[w] += 1
    return sorted(w for w in plain
                  if len(w) >= 2 and plain[w] >= 5 and end[w] >= 2 and mid[w] * 100 <= plain[w])


def learn_names(sents):
    capital, lower = collections.Counter(), collections.Counter()
    for s in sents:
        for w in TOKEN.findall(s)[1:]:
            if w[:1].isupper() and not w.isupper():
                capital[w] += 1
            elif w[:1].islower():
                lower[w[:1].upper() + w[1:]] += 1
    return sorted(w for w in capital if capital[w] >= 2 and lower[w] == 0 and len(w) >= 2)


def write_list(out_dir, name, words):
    with open(os.path.join(out_dir, name), "w", encoding="utf-8") as f:
        f.write("".join(w + "\n" for w in words))
    print(f"{name}: {len(words)} words", file=sys.stderr)


def main():
    s = sentences(sys.argv[1], sys.argv[2])
    out_dir = sys.argv[3] if len(sys.argv) > 3 else "src/segment/data"
    write_list(out_dir, "en_starters.txt", learn(s["en"]))
    write_list(out_dir, "ru_starters.txt", learn(s["ru"]))
    write_list(out_dir, "en_ordinary.txt", learn_ordinary(s["en"]))
    write_list(out_dir, "ru_names.txt", learn_names(s["ru"]))


if __name__ == "__main__":
    main()
