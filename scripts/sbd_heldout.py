#!/usr/bin/env python3
"""Held-out sentence-boundary cases, built at run time from registry packages.

The team's dev cases (../shared/data/sbd) are one half of pragmatic_segmenter's
and pySBD's Golden Rules and specs, razdel's unit cases and LanguageTool's SRX
tests.  The other half ships inside packages on PyPI; this script downloads
their source distributions into target/sbd-heldout/ (never into the repo),
extracts the cases into sbd_eval.py's JSON-lines format
(`{"lang", "text", "expected", "source", "group", "options"?}`), drops every case
whose text (white space collapsed) is one of the dev cases, and scores
segmenters on what is left with ../shared/eval/sbd_eval.py, unchanged.

Where each part comes from (sdists, pinned):
  pysbd 0.3.3        benchmarks/english_golden_rules.py: pragmatic_segmenter's
                     English Golden Rules as pySBD carries them (0.3.4 has no sdist)
  cleave-sbd 0.3.0b1 tests/data/lang/{english,english_clean,russian}.toml and
                     tests/data/issues.toml: pySBD's test suite (pragmatic_segmenter's
                     English and Russian specs, pySBD's regression issues) as TOML
  choppa-srx 1.0.0   tests/data/lt/{en,ru}.json: LanguageTool's English and Russian
                     SRX tokenizer tests
  razdel 0.5.0       razdel/tests/test_sentenize.py: razdel's unit partitions

Usage:
  python3 scripts/sbd_heldout.py build [--shared ../shared]    # download + extract
  python3 scripts/sbd_heldout.py score [--shared ../shared] [--with pysbd razdel] \\
      [--show-failures]
`score` builds first when the files are missing.  Exit status 3 means the
registry or ../shared was unavailable (nothing was scored).
"""
import argparse
import ast
import json
import os
import re
import shlex
import subprocess
import sys
import tarfile
import tomllib
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "target", "sbd-heldout")
PACKAGES = ["pysbd==0.3.3", "cleave-sbd==0.3.0b1", "choppa-srx==1.0.0", "razdel==0.5.0"]
UNAVAILABLE = 3

PS_EN = "diasks2/pragmatic_segmenter:spec/pragmatic_segmenter/languages/english_spec.rb"
PS_RU = "diasks2/pragmatic_segmenter:spec/pragmatic_segmenter/languages/russian_spec.rb"

SEGMENTERS = {
    "transmem": "target/release/transmem segment --lang {lang} --format json",
    "pysbd": f"{shlex.quote(sys.executable)} scripts/sbd_baseline.py pysbd {{lang}}",
    "razdel": f"{shlex.quote(sys.executable)} scripts/sbd_baseline.py razdel {{lang}}",
}
# razdel segments Russian only; pySBD has both.
SEGMENTER_LANGS = {"razdel": ["ru"]}


def squash(text):
    return " ".join(text.split())


def fetch(dl, spec):
    """One sdist into dl (kept there: a second run downloads nothing); returns its file name."""
    name, version = spec.split("==")
    stem = f"{name.replace('-', '_')}-{version}"
    found = [f for f in os.listdir(dl) if f.startswith(stem) and f.endswith(".tar.gz")]
    if not found:
        p = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--timeout", "20",
             "--retries", "1", "--no-binary", ":all:", "-d", dl, spec],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300)
        found = [f for f in os.listdir(dl) if f.startswith(stem) and f.endswith(".tar.gz")]
        if not found:
            raise RuntimeError(f"pip download {spec} failed (exit {p.returncode}): {p.stdout.strip()[-300:]}")
    return found[0]


def download():
    """Fetch and unpack the sdists; returns {package name: unpacked folder}.

    pip prepares each sdist's metadata in a fresh build environment, about 15 s
    a package on the shared 2-core machine, so the four run side by side."""
    dl = os.path.join(OUT, "dl")
    os.makedirs(dl, exist_ok=True)
    with ThreadPoolExecutor(len(PACKAGES)) as pool:
        files = list(pool.map(lambda spec: fetch(dl, spec), PACKAGES))
    dirs = {}
    for spec, file in zip(PACKAGES, files):
        unpacked = os.path.join(dl, file[: -len(".tar.gz")])
        if not os.path.isdir(unpacked):
            with tarfile.open(os.path.join(dl, file)) as tar:
                tar.extractall(dl, filter="data")
        dirs[spec.split("==")[0]] = unpacked
    return dirs


def line_join_options(text, expected):
    """Cases expecting a sentence to run across a line break ask for another mode (our
    line breaks always end a segment); mark them as the dev set does, so sbd_eval skips
    them. Each expected segment is found in the text by its non-space characters, and a
    line break strictly inside one (the source segmenter cleaned it away) marks the case."""
    pos = 0
    for seg in expected:
        chars = [c for c in seg if not c.isspace()]
        if not chars:
            continue
        while pos < len(text) and text[pos] != chars[0]:
            pos += 1
        start, k = pos, 0
        while pos < len(text) and k < len(chars):
            if text[pos] == chars[k]:
                k += 1
            elif not text[pos].isspace():
                return None  # not a partition: sbd_eval skips it anyway
            pos += 1
        if re.search(r"[\r\n]", text[start:pos]):
            return {"line_breaks": "join"}
    return None


def case(lang, text, expected, source, group, test, options=None):
    c = {"lang": lang, "text": text, "expected": list(expected), "source": source,
         "group": group, "test": test}
    options = options or line_join_options(text, expected)
    if options:
        c["options"] = options
    return c


def golden_rules(pysbd_dir):
    """pySBD's copy of the English Golden Rules: a Python list literal, read with ast."""
    path = os.path.join(pysbd_dir, "benchmarks", "english_golden_rules.py")
    tree = ast.parse(open(path, encoding="utf-8").read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and node.targets[0].id == "GOLDEN_EN_RULES":
            rules = ast.literal_eval(node.value)
            return [case("en", t, e, PS_EN + " (via pysbd 0.3.3 benchmarks/english_golden_rules.py)",
                         "golden_rules", f"golden rule {i + 1}") for i, (t, e) in enumerate(rules)]
    raise RuntimeError(f"{path}: GOLDEN_EN_RULES not found")


def pysbd_suite(cleave_dir):
    """pySBD's tests as cleave-sbd ships them in TOML."""
    data = os.path.join(cleave_dir, "tests", "data")
    out = []
    via = " (via cleave-sbd 0.3.0b1 tests/data/{})"
    en = tomllib.load(open(os.path.join(data, "lang", "english.toml"), "rb"))
    for i, c in enumerate(en["golden_en_rules"]):
        out.append(case("en", c["text"], c["expected"], PS_EN + via.format("lang/english.toml"),
                        "golden_rules", f"golden_en_rules[{i}]"))
    clean = tomllib.load(open(os.path.join(data, "lang", "english_clean.toml"), "rb"))
    for key, options in (("tests_with_clean", None), ("tests_wo_clean", {"clean": "false"})):
        for i, c in enumerate(clean[key]):
            out.append(case("en", c["text"], c["expected"], PS_EN + via.format("lang/english_clean.toml"),
                            "more", f"{key}[{i}]", options))
    ru = tomllib.load(open(os.path.join(data, "lang", "russian.toml"), "rb"))
    for key, group in (("golden_ru_rules", "golden_rules"), ("ru_more", "more")):
        for i, c in enumerate(ru[key]):
            out.append(case("ru", c["text"], c["expected"], PS_RU + via.format("lang/russian.toml"),
                            group, f"{key}[{i}]"))
    issues = tomllib.load(open(os.path.join(data, "issues.toml"), "rb"))
    src = "nipunsadvilkar/pySBD:tests/regression/test_issues.py" + via.format("issues.toml")
    for i, c in enumerate(issues["cases"]):
        out.append(case("en", c["text"], c["expected"], src, "regression", f"issue {c['issue']} [{i}]"))
    for i, c in enumerate(issues["char_span_cases"]):
        expected = [s[0] if isinstance(s, list) else s for s in c["expected"]]
        out.append(case("en", c["text"], expected, src, "regression",
                        f"issue {c['issue']} char_span [{i}]"))
    return out


def languagetool(choppa_dir):
    """LanguageTool's SRX tokenizer tests: pieces keep their trailing white space."""
    out = []
    for lang in ("en", "ru"):
        path = os.path.join(choppa_dir, "tests", "data", "lt", f"{lang}.json")
        data = json.load(open(path, encoding="utf-8"))
        src = f"languagetool-org/languagetool:{data['source']} (via choppa-srx 1.0.0 tests/data/lt/{lang}.json)"
        for i, c in enumerate(data["cases"]):
            pieces = c["sentences"]
            text = "".join(pieces)
            # "_one": a single line break ends a paragraph (our convention); "_two"
            # needs two, which only matters where the text has a line break.
            if c["mode"] == "_one":
                options = {"single_line_break_is_paragraph": True}
            elif "\n" in text:
                options = {"single_line_break_is_paragraph": False}
            else:
                options = None
            out.append(case(lang, text, [p.strip() for p in pieces], src, "languagetool",
                            f"case {i} ({c['mode']})", options))
    return out


def razdel_units(razdel_dir):
    """razdel's UNIT partitions: chunks joined by '|', white-space chunks are gaps."""
    path = os.path.join(razdel_dir, "razdel", "tests", "test_sentenize.py")
    tree = ast.parse(open(path, encoding="utf-8").read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and node.targets[0].id == "UNIT":
            lines = ast.literal_eval(node.value.args[0])
            out = []
            for i, line in enumerate(lines):
                chunks = line.split("|")
                out.append(case("ru", "".join(chunks), [c for c in chunks if c.strip()],
                                "natasha/razdel:razdel/tests/test_sentenize.py (via razdel 0.5.0 sdist)",
                                "razdel_unit", f"UNIT[{i}]"))
            return out
    raise RuntimeError(f"{path}: UNIT not found")


def build(shared):
    dev_dir = os.path.join(shared, "data", "sbd")
    dev = set()
    for name in ("sbd_en.jsonl", "sbd_ru.jsonl"):
        for line in open(os.path.join(dev_dir, name), encoding="utf-8"):
            if line.strip():
                dev.add(squash(json.loads(line)["text"]))
    dirs = download()
    cases = (golden_rules(dirs["pysbd"]) + pysbd_suite(dirs["cleave-sbd"])
             + languagetool(dirs["choppa-srx"]) + razdel_units(dirs["razdel"]))
    kept, seen, dropped_dev, dropped_dup = {"en": [], "ru": []}, set(), 0, 0
    for c in cases:
        key = (c["lang"], squash(c["text"]))
        if key[1] in dev:
            dropped_dev += 1
            continue
        if key in seen:  # the same case carried by two packages
            dropped_dup += 1
            continue
        seen.add(key)
        c["id"] = f"sbd-heldout-{c['lang']}-{len(kept[c['lang']]):04d}"
        kept[c["lang"]].append(c)
    paths = []
    for lang, items in kept.items():
        path = os.path.join(OUT, f"heldout_{lang}.jsonl")
        with open(path, "w", encoding="utf-8") as f:
            for c in items:
                f.write(json.dumps(c, ensure_ascii=False) + "\n")
        paths.append(path)
        print(f"{lang}: {len(items)} held-out cases -> {os.path.relpath(path, ROOT)}")
    print(f"dropped {dropped_dev} cases that are dev cases in {dev_dir}, {dropped_dup} duplicates")
    return paths


def score(shared, names, show_failures):
    paths = [os.path.join(OUT, f"heldout_{lang}.jsonl") for lang in ("en", "ru")]
    if not all(os.path.exists(p) for p in paths):
        paths = build(shared)
    scorer = os.path.join(shared, "eval", "sbd_eval.py")
    for name in names:
        langs = SEGMENTER_LANGS.get(name, ["en", "ru"])
        cases = [p for p in paths if any(p.endswith(f"_{lang}.jsonl") for lang in langs)]
        argv = [sys.executable, scorer, "--cases", *cases, "--cmd", SEGMENTERS[name]]
        if show_failures:
            argv.append("--show-failures")
        print(f"== {name}", flush=True)
        p = subprocess.run(argv, cwd=ROOT)
        if p.returncode != 0:
            return p.returncode
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("action", choices=["build", "score"])
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    ap.add_argument("--with", dest="others", nargs="*", default=[], choices=["pysbd", "razdel"],
                    help="also score these (pip-installed) segmenters")
    ap.add_argument("--show-failures", action="store_true")
    a = ap.parse_args()
    if not os.path.isfile(os.path.join(a.shared, "eval", "sbd_eval.py")) or \
            not os.path.isdir(os.path.join(a.shared, "data", "sbd")):
        print(f"held-out SBD: {a.shared} has no sbd data or scorer", file=sys.stderr)
        return UNAVAILABLE
    try:
        if a.action == "build":
            build(a.shared)
            return 0
        return score(a.shared, ["transmem", *a.others], a.show_failures)
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
        print(f"held-out SBD: {e}", file=sys.stderr)
        return UNAVAILABLE


if __name__ == "__main__":
    sys.exit(main())
