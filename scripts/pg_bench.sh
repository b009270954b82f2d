#!/usr/bin/env bash
# SQLite and PostgreSQL side by side at one memory size (docs/server.md,
# "PostgreSQL"): generates the data with ../shared/eval/tm_bench_data.py,
# empties the bench schema, and runs benches/backends.rs once; then the
# command line's import, cached and fresh-process lookups, and the warm
# figures (p50, p99, the 2-thread batch, agreement) on the memory that
# import stored (issue 27).
# Usage: scripts/pg_bench.sh [SIZE] [DATABASE_URL] [BENCH ARGS...]
# PG_BENCH_SIDE_BY_SIDE=0 skips the library-API import of both backends
# (at 10M it would import 20M units more); BENCH ARGS go to both runs of
# benches/backends.rs (--exhaustive-queries N: 3-10 s each at 10M).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${1:-1000000}
BASE=${2:-postgresql://postgres@127.0.0.1:5432/test}
SCHEMA=tm_bench
DIR=${BENCH_DIR:-/tmp/tm-bench-$SIZE}
cargo build --release --quiet
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
if [ "${PG_BENCH_SIDE_BY_SIDE:-1}" = 1 ]; then
  TRANSMEM_CACHE_DIR="$DIR/cache" cargo bench --bench backends -- "$DIR" \
    --database "$BASE?options=-csearch_path%3D$SCHEMA" "${@:3}" | tee "$DIR/backends.out"
else
  : > "$DIR/backends.out"
fi
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
# The command line, as a team uses it (issue 27): `transmem import` into a
# schema of its own (index built while storing, then shared through the
# database), against the same \copy figure; a lookup with the index
# cached; and the first lookup of a fresh process with a cache folder of
# its own (another machine, a new `serve`), which fetches the shared index.
CLI=tm_bench_cli
URL="$BASE?options=-csearch_path%3D$CLI"
T=target/release/transmem
psql "$BASE" -qc "DROP SCHEMA IF EXISTS $CLI CASCADE"
rm -rf "$DIR/cli-cache" "$DIR/cli-cache2"
/usr/bin/time -f '%e %M' -o "$DIR/cli-time.txt" env TRANSMEM_CACHE_DIR="$DIR/cli-cache" \
  "$T" --database "$URL" import "$DIR/memory.tsv" 2>&1 | grep -v '^\s*$' | tail -n 3
read -r CLI_S CLI_KB < "$DIR/cli-time.txt"
echo "transmem import (CLI, index included) ${CLI_S} s, peak RSS $((CLI_KB / 1024)) MB"
awk -v t="$CLI_S" -v c="$COPY_S" 'BEGIN { if (c > 0) printf "CLI import / \\copy: %.2fx (target <= 3x)\n", t / c }'
Q=$(head -n 1 "$DIR/queries.txt")
for i in 1 2 3; do
  /usr/bin/time -f '%e %M' -o "$DIR/cli-time.txt" env TRANSMEM_CACHE_DIR="$DIR/cli-cache" \
    "$T" --database "$URL" lookup --from en --to ru --format jsonl "$Q" >/dev/null 2>&1 || true
  read -r S KB < "$DIR/cli-time.txt"
  echo "lookup with the index cached: $S s, peak RSS $((KB / 1024)) MB (target <= 0.5 s)"
done
/usr/bin/time -f '%e %M' -o "$DIR/cli-time.txt" env TRANSMEM_CACHE_DIR="$DIR/cli-cache2" \
  "$T" --database "$URL" lookup --from en --to ru --format jsonl "$Q" 2>&1 >/dev/null | grep -v '^\s*$' || true
read -r S KB < "$DIR/cli-time.txt"
echo "first lookup of a fresh process, empty cache folder: $S s, peak RSS $((KB / 1024)) MB (target <= 5 s)"
# The warm figures on what the command line stored, with its cached index.
TRANSMEM_CACHE_DIR="$DIR/cli-cache" cargo bench --bench backends -- "$DIR" \
  --database "$URL" --only postgres --reuse "${@:3}"
psql "$BASE" -Atc "SELECT 'database size of the memory: ' || pg_size_pretty(sum(pg_total_relation_size(c.oid)))
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '$CLI'"
psql "$BASE" -qc "DROP SCHEMA $CLI CASCADE"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
