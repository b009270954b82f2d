#!/usr/bin/env bash
# Matcher benchmark over 10k, 100k and 1M units (figures in docs/matching.md).
# Usage: scripts/matcher_bench.sh [SHARED_DIR] [WORK_DIR] [SIZES...]
# Builds each memory with ../shared/eval/tm_bench_data.py (seed 7), then runs
# `cargo bench --bench matcher`, which imports memory.tsv through the library,
# and prints import time, file sizes, peak RSS, warm p50/p99, batch
# throughput, cold CLI time and top-1 agreement with --exhaustive.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${1:-../shared}
WORK=${2:-/tmp/transmem-matcher-bench}
shift 2 2>/dev/null || shift $#
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(10000 100000 1000000)
cargo build --release --quiet
cargo bench --bench matcher --no-run --quiet
for n in "${SIZES[@]}"; do
  out="$WORK/$n"
  if [ ! -f "$out/memory.tsv" ]; then
    python3 "$SHARED/eval/tm_bench_data.py" --pairs "$SHARED/data/tm-enru/en_ru_pairs.tsv" \
      --size "$n" --queries 1000 --out "$out" >/dev/null
  fi
  echo "== $n units"
  cargo bench --bench matcher --quiet -- "$out" --exhaustive-queries 200
done
