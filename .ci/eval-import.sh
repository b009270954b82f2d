#!/usr/bin/env bash
# Issue 27's SQLite import against the engine's bulk load, kept from
# regressing: a first `transmem import` (index included) against the
# sqlite3 shell's .import of the same rows into a bare two-column table
# (WAL, synchronous=NORMAL), timed in the same run. The target, <= 2x at
# 10M, is not met: 2.14-2.27x there (69.6 s against 30.6 and 32.5 s),
# where 744c14c took 3.10x (docs/matching.md). Building 10M units here
# would take 8 minutes, so this checks 1M units (seed 11), where fixed
# costs weigh more and the bare .import is relatively faster: 2.17-2.49x
# measured, 3.8-4.6x for the code before. It fails over 3x.
# Usage: .ci/eval-import.sh SHARED_DIR  (skips without the data; fails under CI=true)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/skip.sh"
cd "$(dirname "$0")/.."
SHARED=${1:-../shared}
PAIRS="$SHARED/data/tm-enru/en_ru_pairs.tsv"
if [ ! -f "$PAIRS" ] || ! command -v python3 >/dev/null; then
  skip "eval-import: $PAIRS or python3 missing"
fi
command -v sqlite3 >/dev/null || skip "eval-import: sqlite3 missing (apt install sqlite3)"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cargo build --release --quiet
T=target/release/transmem
python3 "$SHARED/eval/tm_bench_data.py" --pairs "$PAIRS" --size 1000000 --queries 10 --seed 11 --out "$WORK" >/dev/null
ns() { date +%s%N; }
bare() {
  scripts/sqlite_bare_import.sh "$WORK/bare.sqlite" "$WORK/memory.tsv"
  rm -f "$WORK/bare.sqlite"*
}
ours() {
  rm -f "$WORK/m.sqlite"*
  "$T" --memory "$WORK/m.sqlite" import "$WORK/memory.tsv" 2>"$WORK/import.err" ||
    { cat "$WORK/import.err" >&2; exit 1; }
}
# Baseline, ours, baseline: the ratio against the mean of the two
# baselines, so that a drift of the machine during the run counts on both
# sides.
t0=$(ns); bare; t1=$(ns); ours; t2=$(ns); bare; t3=$(ns)
grep -q "built while the units were stored" "$WORK/import.err" ||
  { echo "FAIL eval-import: the first import did not build the index while storing" >&2; cat "$WORK/import.err" >&2; exit 1; }
units=$(sqlite3 "$WORK/m.sqlite" 'SELECT count(*) FROM unit')
[ "$units" = 1000000 ] || { echo "FAIL eval-import: $units units stored, not 1000000" >&2; exit 1; }
awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" 'BEGIN {
  base = ((b - a) + (d - c)) / 2e9; ours = (c - b) / 1e9; r = ours / base
  printf "eval-import: 1M units: transmem import %.2f s, sqlite3 .import %.2f s and %.2f s: %.2fx (kept at 1M: <= 3x; the 10M target <= 2x)\n", ours, (b - a) / 1e9, (d - c) / 1e9, r
  if (r > 3) { print "FAIL eval-import: over 3x at 1M" > "/dev/stderr"; exit 1 }
}'
