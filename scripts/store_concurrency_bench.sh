#!/usr/bin/env bash
# Store concurrency figures (issue 17): racing creations of a new memory,
# and lookup latency while a large import writes. Prints figures; exits
# non-zero if a reported unit was lost or a lookup failed.
#
# Usage: scripts/store_concurrency_bench.sh [TRIALS] [UNITS_PER_FILE] [BIG_UNITS]
# Needs: target/release/transmem (cargo build --release), python3.
set -euo pipefail
trials=${1:-20}
per=${2:-20000}
big=${3:-1000000}
bin=${TRANSMEM:-$PWD/target/release/transmem}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gen() { # tag count -> file
    python3 - "$1" "$2" "$work/$1.tsv" <<'PY'
import sys
tag, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(out, "w", encoding="utf-8") as f:
    for i in range(n):
        f.write(f"Sentence {i} of batch {tag} about the harbour and the ships.\tПредложение {i} из пакета {tag} о гавани и кораблях.\n")
PY
}
gen a "$per"; gen b "$per"
lost=0
for t in $(seq 1 "$trials"); do
    mem="$work/t$t/c/r/new.sqlite"
    "$bin" --memory "$mem" import --langs en,ru "$work/a.tsv" 2>"$work/a.err" & pa=$!
    "$bin" --memory "$mem" import --langs en,ru "$work/b.tsv" 2>"$work/b.err" & pb=$!
    ra=0; rb=0; wait $pa || ra=$?; wait $pb || rb=$?
    reported=0
    for x in a b; do
        n=$(sed -n 's/.* units read, \([0-9]*\) new.*/\1/p' "$work/$x.err" | head -1)
        reported=$((reported + ${n:-0}))
    done
    stored=0
    [ -f "$mem" ] && stored=$("$bin" --memory "$mem" stats --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["units"])')
    [ "$stored" -eq "$reported" ] || lost=$((lost + 1))
    printf 'trial %2d: exit %d/%d, reported new %6d, stored %6d\n' "$t" "$ra" "$rb" "$reported" "$stored"
done
echo "racing creations: $trials trials, $lost lost a reported unit"

gen big "$big"
mem="$work/live.sqlite"
"$bin" --memory "$mem" import --langs en,ru "$work/a.tsv" 2>/dev/null
"$bin" --memory "$mem" lookup --from en --to ru "Sentence 5 of batch a about the harbour and the ships." >/dev/null
start=$(date +%s.%N)
"$bin" --memory "$mem" import --langs en,ru "$work/big.tsv" 2>/dev/null & pi=$!
fails=0; : > "$work/lat"
while kill -0 $pi 2>/dev/null; do
    t0=$(date +%s.%N)
    if ! "$bin" --memory "$mem" lookup --from en --to ru "Sentence 7 of batch a about the harbour and the ships." >/dev/null 2>"$work/l.err"; then
        fails=$((fails + 1)); cat "$work/l.err" >&2
    fi
    t1=$(date +%s.%N)
    echo "$t0 $t1" | awk '{printf "%.3f\n", $2-$1}' >> "$work/lat"
    sleep 0.3
done
wait $pi
end=$(date +%s.%N)
n=$(wc -l < "$work/lat")
sort -n "$work/lat" > "$work/lat.s"
echo "slowest lookups (position in sequence of $n: seconds):"
awk '{print NR": "$1}' "$work/lat" | sort -t: -k2 -n -r | head -3
echo "(a lookup after the import committed appends the new units to its index: that is index build time, not waiting)"
echo "lookups during a $big-unit import ($(echo "$start $end" | awk '{printf "%.1f", $2-$1}') s): $n lookups, $fails failed, median $(sed -n "$(( (n + 1) / 2 ))p" "$work/lat.s") s, max $(tail -1 "$work/lat.s") s"
[ "$lost" -eq 0 ] && [ "$fails" -eq 0 ]
