#!/usr/bin/env python3
"""Imports every TMX file under SHARED/data/tmx with transmem and checks it.

For each file: `transmem import` into a fresh memory must read exactly the
`tu` count INVENTORY.json gives (files not in the inventory: the count of
<tu> elements Python's own XML parser finds), and store one unit per
distinct <tu> (a <tu> repeated verbatim is stored once). The memory is then
exported to TMX, which must validate against the TMX 1.4b DTD (when xmllint
is installed), and re-imported, which must give the same number of units.

Prints a Markdown table; exits 1 when any file fails.
Usage: scripts/tmx_inventory_check.py [SHARED_DIR] [--bin target/release/transmem]
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

SUMMARY = re.compile(r": (\d+) units read, (\d+) new, (\d+) duplicate, (\d+) skipped")


def distinct_tus(path):
    """Number of <tu> and of distinct ones (by languages and segment XML), or None."""
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError:
        return None
    seen, total = set(), 0
    for tu in root.iter("tu"):
        total += 1
        key = []
        for tuv in tu.iter("tuv"):
            lang = (tuv.get("{http://www.w3.org/XML/1998/namespace}lang") or tuv.get("lang") or "").lower()
            seg = tuv.find("seg")
            key.append((lang, ET.tostring(seg, encoding="unicode") if seg is not None else ""))
        seen.add(tuple(key))
    return total, len(seen)


def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("shared", nargs="?", default="../shared")
    ap.add_argument("--bin", default="target/release/transmem")
    args = ap.parse_args()
    tmxdir = os.path.join(args.shared, "data", "tmx")
    if not os.path.isdir(tmxdir):
        print(f"no TMX data in {tmxdir}; skipped", file=sys.stderr)
        return 0
    inv_path = os.path.join(tmxdir, "INVENTORY.json")
    inventory = {}
    if os.path.exists(inv_path):
        with open(inv_path, encoding="utf-8") as f:
            for key, val in json.load(f).items():
                inventory[key.split("tmx/", 1)[-1]] = val
    dtd = os.path.join(tmxdir, "dtd", "tmx14.dtd")
    xmllint = shutil.which("xmllint") if os.path.exists(dtd) else None
    if os.environ.get("CI") == "true" and not xmllint:
        # A green CI must show that the exports were DTD-checked.
        print(f"xmllint or {dtd} missing: required in CI", file=sys.stderr)
        return 1
    files = sorted(
        os.path.relpath(os.path.join(d, n), tmxdir)
        for d, _, names in os.walk(tmxdir)
        for n in names
        if n.lower().endswith(".tmx")
    )
    failures = 0
    print("| file | encoding | tu (inventory) | read | stored | duplicates | re-export valid | re-import | result |")
    print("|---|---|---:|---:|---:|---:|---|---:|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for i, rel in enumerate(files):
            path = os.path.join(tmxdir, rel)
            inv = inventory.get(rel, {})
            enc = inv.get("bom") or inv.get("xml_encoding_decl") or "utf-8"
            counts = distinct_tus(path)
            expect_tu = inv.get("tu", counts[0] if counts else None)
            expect_new = counts[1] if counts else expect_tu
            mem, mem2, out = (os.path.join(tmp, f"{i}{s}") for s in (".sqlite", "b.sqlite", ".tmx"))
            r = run([args.bin, "--memory", mem, "import", path])
            m = SUMMARY.search(r.stderr)
            problems = []
            read = new = dup = "-"
            valid = reimport = "-"
            if r.returncode != 0 or not m:
                problems.append("import failed: " + r.stderr.strip().replace("\n", " ")[:200])
            else:
                read, new, dup = int(m[1]), int(m[2]), int(m[3])
                if expect_tu is not None and read != expect_tu:
                    problems.append(f"read {read} <tu>, expected {expect_tu}")
                if expect_new is not None and new != expect_new:
                    problems.append(f"stored {new}, expected {expect_new} distinct")
                e = run([args.bin, "--memory", mem, "export", "--format", "tmx", "-o", out])
                if e.returncode != 0:
                    problems.append("export failed: " + e.stderr.strip()[:200])
                else:
                    if xmllint:
                        v = run([xmllint, "--noout", "--nonet", "--dtdvalid", dtd, out])
                        valid = "yes" if v.returncode == 0 else "NO"
                        if v.returncode != 0:
                            problems.append("re-export invalid: " + v.stderr.strip().replace("\n", " ")[:300])
                    else:
                        valid = "(no xmllint)"
                    r2 = run([args.bin, "--memory", mem2, "import", out])
                    m2 = SUMMARY.search(r2.stderr)
                    reimport = int(m2[2]) if m2 else "failed"
                    if reimport != new:
                        problems.append(f"re-import stored {reimport}, expected {new}")
            ok = not problems
            failures += not ok
            result = "ok" if ok else "FAIL: " + "; ".join(problems)
            print(f"| {rel} | {enc} | {expect_tu} | {read} | {new} | {dup} | {valid} | {reimport} | {result} |")
    print(f"\n{len(files) - failures}/{len(files)} files ok", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
