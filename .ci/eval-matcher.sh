#!/usr/bin/env bash
# Held-out matcher check: a 100k-unit memory built with seed 11 (the figures
# in docs/matching.md use seed 7) from ../shared data. Fails when indexed
# lookups agree with --exhaustive on the best score for under 99% of 300
# queries, or are under 50x faster per query (median) in the same run.
# Usage: .ci/eval-matcher.sh SHARED_DIR  (skips without the data; fails under CI=true)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/skip.sh"
cd "$(dirname "$0")/.."
SHARED=${1:-../shared}
PAIRS="$SHARED/data/tm-enru/en_ru_pairs.tsv"
if [ ! -f "$PAIRS" ] || ! command -v python3 >/dev/null; then
  skip "eval-matcher: $PAIRS or python3 missing"
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
python3 "$SHARED/eval/tm_bench_data.py" --pairs "$PAIRS" --size 100000 --queries 300 --seed 11 --out "$WORK" >/dev/null
cargo bench --bench matcher --quiet -- "$WORK" --eval --exhaustive-queries 300
