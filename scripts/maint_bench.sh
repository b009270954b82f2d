#!/usr/bin/env bash
# What write batches cost: import N units (new units are recorded as one id
# range), undo that import (every unit's before-image is written into the
# undo batch), undo the undo (all units put back), and the file sizes.
# Prints seconds per step; medians over RUNS runs. With BASE=path/to/an
# older transmem, its import times (fresh, and re-import with
# --on-duplicate overwrite, where batches write a before-image per unit)
# are measured in the same runs, interleaved, for a ratio. Usage:
#   [BASE=/path/to/old/transmem] scripts/maint_bench.sh [N=200000] [RUNS=3]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-200000}
RUNS=${2:-3}
BIN=target/release/transmem
[ -x "$BIN" ] || cargo build --release -q
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
awk -v n="$N" 'BEGIN { print "en\tru"; for (i = 0; i < n; i++)
  printf "Sentence %d about the harbour and the ferry timetable.\tПредложение %d о гавани и расписании парома.\n", i, i }' > "$DIR/units.tsv"

secs() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N); echo "$t1 - $t0" | bc; }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

sed 's/\tПредложение/\tНовое предложение/' "$DIR/units.tsv" > "$DIR/changed.tsv"
imp=(); und=(); red=(); ovw=(); bimp=(); bovw=()
for r in $(seq "$RUNS"); do
  if [ -n "${BASE:-}" ]; then
    B="$DIR/b$r.sqlite"
    bimp+=("$(secs "$BASE" --memory "$B" import "$DIR/units.tsv")")
    bovw+=("$(secs "$BASE" --memory "$B" import --on-duplicate overwrite "$DIR/changed.tsv")")
    O="$DIR/o$r.sqlite"
    "$BIN" --memory "$O" import "$DIR/units.tsv" >/dev/null 2>&1
    ovw+=("$(secs "$BIN" --memory "$O" import --on-duplicate overwrite "$DIR/changed.tsv")")
  fi
  M="$DIR/m$r.sqlite"
  imp+=("$(secs "$BIN" --memory "$M" import "$DIR/units.tsv")")
  size_import=$(stat -c %s "$M")
  und+=("$(secs "$BIN" --memory "$M" undo 1)")
  size_undo=$(stat -c %s "$M")
  red+=("$(secs "$BIN" --memory "$M" undo 2)")
  count=$("$BIN" --memory "$M" units --count)
done
echo "units: $N, runs: $RUNS (median seconds)"
echo "import:          $(printf '%s\n' "${imp[@]}" | median)   file $((size_import / 1024)) KiB"
echo "undo import:     $(printf '%s\n' "${und[@]}" | median)   file $((size_undo / 1024)) KiB (before-images of $N units)"
echo "undo the undo:   $(printf '%s\n' "${red[@]}" | median)   units back: $count"
if [ -n "${BASE:-}" ]; then
  echo "BASE import:     $(printf '%s\n' "${bimp[@]}" | median)"
  echo "overwrite all:   $(printf '%s\n' "${ovw[@]}" | median)   BASE: $(printf '%s\n' "${bovw[@]}" | median)"
fi
