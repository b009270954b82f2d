#!/usr/bin/env bash
# SQLite and PostgreSQL side by side at one memory size (docs/server.md,
# "PostgreSQL"): generates the data with ../shared/eval/tm_bench_data.py,
# empties the bench schema, and runs benches/backends.rs once.
# Usage: scripts/pg_bench.sh [SIZE] [DATABASE_URL]
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${1:-1000000}
BASE=${2:-postgresql://postgres@127.0.0.1:5432/test}
SCHEMA=tm_bench
DIR=${BENCH_DIR:-/tmp/tm-bench-$SIZE}
if [ ! -f "$DIR/memory.tsv" ]; then
  python3 ../shared/eval/tm_bench_data.py --pairs ../shared/data/tm-enru/en_ru_pairs.tsv \
    --size "$SIZE" --queries 1000 --out "$DIR"
fi
psql "$BASE" -qc "DROP SCHEMA IF EXISTS $SCHEMA CASCADE"
rm -rf "$DIR/cache"
TRANSMEM_CACHE_DIR="$DIR/cache" cargo bench --bench backends -- "$DIR" \
  --database "$BASE?options=-csearch_path%3D$SCHEMA" "${@:3}"
