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
# The engine's own bulk load of the same rows, in the same run (issue 27
# measures transmem's import against it): psql's \copy into a bare
# two-column table of a schema of its own, text format with tab and newline
# only (the TSV's quotes and backslashes are text: CSV mode with a quote
# character that never occurs), header line skipped.
BARE=tm_bench_bare
psql "$BASE" -qc "DROP SCHEMA IF EXISTS $BARE CASCADE" -c "CREATE SCHEMA $BARE" \
  -c "CREATE TABLE $BARE.pairs(en text, ru text)"
t0=$(date +%s%N)
psql "$BASE" -qc "\\copy $BARE.pairs FROM '$DIR/memory.tsv' WITH (FORMAT csv, DELIMITER E'\\t', QUOTE E'\\x01', HEADER true)"
t1=$(date +%s%N)
COPY_S=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
ROWS=$(psql "$BASE" -Atqc "SELECT count(*) FROM $BARE.pairs")
psql "$BASE" -qc "DROP SCHEMA $BARE CASCADE"
echo "psql \\copy of the same rows (bare table): $COPY_S s, $ROWS rows"
rm -rf "$DIR/cache"
TRANSMEM_CACHE_DIR="$DIR/cache" cargo bench --bench backends -- "$DIR" \
  --database "$BASE?options=-csearch_path%3D$SCHEMA" "${@:3}" | tee "$DIR/backends.out"
# transmem's import with its index against the bulk load.
awk -v copy="$COPY_S" '
  /^== / { name = $2 }
  /^import / { for (i = 1; i <= NF; i++) if ($(i + 1) == "s") imp[name] = $i }
  /^index build / { idx[name] = $3 }
  END { if (copy > 0 && ("PostgreSQL" in imp))
          printf "PostgreSQL import with index %.1f s / \\copy %.1f s: %.2fx (target <= 3x)\n",
                 imp["PostgreSQL"] + idx["PostgreSQL"], copy, (imp["PostgreSQL"] + idx["PostgreSQL"]) / copy }
' "$DIR/backends.out"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
