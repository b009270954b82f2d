#!/usr/bin/env bash
# Lookup targets of docs/server.md on both backends, at 100k units (the 1M
# figures there take minutes): warm p50 <= 5 ms and p99 <= 30 ms, the warm
# batch on 2 threads <= 1.5 ms/query (issue 27's target at 10M, met there:
# 1.22-1.26 ms), top-1 agreement with --exhaustive >= 99%, a unit written
# through another handle found by a running Live matcher within 1 s and
# by a new one (a new server) within 5 s. PostgreSQL from
# TRANSMEM_TEST_DATABASE (set by .ci/run); without it, SQLite only.
# Usage: .ci/eval-postgres.sh SHARED_DIR  (skips without the data; fails under CI=true)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/skip.sh"
cd "$(dirname "$0")/.."
SHARED=${1:-../shared}
PAIRS="$SHARED/data/tm-enru/en_ru_pairs.tsv"
if [ ! -f "$PAIRS" ] || ! command -v python3 >/dev/null; then
  skip "eval-postgres: $PAIRS or python3 missing"
fi
WORK=$(mktemp -d)
SCHEMA=tm_eval_$$
DB=${TRANSMEM_TEST_DATABASE:-}
cleanup() {
  rm -rf "$WORK"
  if [ -n "$DB" ]; then
    for s in "$SCHEMA" "${SCHEMA}_cli" "${SCHEMA}_bare"; do
      psql "$DB" -qc "DROP SCHEMA IF EXISTS $s CASCADE" >/dev/null 2>&1 || true
    done
  fi
}
trap cleanup EXIT
python3 "$SHARED/eval/tm_bench_data.py" --pairs "$PAIRS" --size 100000 --queries 300 --seed 13 --out "$WORK" >/dev/null
if [ -n "$DB" ]; then
  case "$DB" in *\?*) SEP='&' ;; *) SEP='?' ;; esac
  TRANSMEM_CACHE_DIR="$WORK/cache" cargo bench --bench backends --quiet -- "$WORK" --eval \
    --exhaustive-queries 100 --database "$DB${SEP}options=-csearch_path%3D$SCHEMA"
else
  [ "${CI:-}" = true ] && { echo "FAIL eval-postgres: TRANSMEM_TEST_DATABASE is required in CI" >&2; exit 1; }
  echo "eval-postgres: TRANSMEM_TEST_DATABASE unset, PostgreSQL not run"
  TRANSMEM_CACHE_DIR="$WORK/cache" cargo bench --bench backends --quiet -- "$WORK" --eval \
    --exhaustive-queries 100 --only sqlite
fi
# Issue 27 on the command line, at 100k units: a first import builds the
# match index while it stores and shares it through the database; a
# process with an empty cache folder (another machine, a new `serve`)
# fetches it rather than building it, and answers within 5 s; a lookup
# with the index cached answers within 0.5 s (measured at 10M: 2.76 s and
# 0.05 s; docs/matching.md). The import against psql's \copy is printed.
if [ -n "$DB" ]; then
  CLI=${SCHEMA}_cli
  URL="$DB${SEP}options=-csearch_path%3D$CLI"
  cargo build --release --quiet
  T=target/release/transmem
  PGOPTIONS="-c client_min_messages=warning" psql "$DB" -qc "DROP SCHEMA IF EXISTS ${SCHEMA}_bare CASCADE" -c "CREATE SCHEMA ${SCHEMA}_bare" \
    -c "CREATE TABLE ${SCHEMA}_bare.pairs(en text, ru text)"
  t0=$(date +%s%N)
  psql "$DB" -qc "\\copy ${SCHEMA}_bare.pairs FROM '$WORK/memory.tsv' WITH (FORMAT csv, DELIMITER E'\\t', QUOTE E'\\x01', HEADER true)"
  t1=$(date +%s%N)
  PGOPTIONS="-c client_min_messages=warning" psql "$DB" -qc "DROP SCHEMA ${SCHEMA}_bare CASCADE"
  TRANSMEM_CACHE_DIR="$WORK/cli-cache" "$T" --database "$URL" import "$WORK/memory.tsv" 2>"$WORK/import.err"
  t2=$(date +%s%N)
  awk -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN { printf "eval-postgres: transmem import %.2f s, \\copy %.2f s: %.2fx (issue 27 target <= 3x, not met; printed, not gated)\n", (c - b) / 1e9, (b - a) / 1e9, (c - b) / (b - a) }'
  fail=0
  grep -q "built while the units were stored" "$WORK/import.err" ||
    { echo "FAIL eval-postgres: the first import did not build the index while storing" >&2; cat "$WORK/import.err" >&2; fail=1; }
  Q=$(head -n 1 "$WORK/queries.txt")
  lookup() { # cache-folder -> prints seconds; stderr to $WORK/lookup.err
    local a b
    a=$(date +%s%N)
    TRANSMEM_CACHE_DIR="$1" "$T" --database "$URL" lookup --from en --to ru --format jsonl "$Q" >"$WORK/lookup.out" 2>"$WORK/lookup.err" || true
    b=$(date +%s%N)
    awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'
  }
  cached=$(lookup "$WORK/cli-cache")
  fresh=$(lookup "$WORK/cli-cache-elsewhere")
  grep -q "fetched the en match index from the database" "$WORK/lookup.err" ||
    { echo "FAIL eval-postgres: a fresh process did not fetch the shared index" >&2; cat "$WORK/lookup.err" >&2; fail=1; }
  grep -q '"matches":\[{' "$WORK/lookup.out" ||
    { echo "FAIL eval-postgres: the fresh process's lookup found nothing" >&2; fail=1; }
  echo "eval-postgres: lookup with the index cached ${cached} s (<= 0.5), fresh process's first lookup ${fresh} s (<= 5)"
  awk -v c="$cached" -v f="$fresh" 'BEGIN { exit !(c <= 0.5 && f <= 5) }' ||
    { echo "FAIL eval-postgres: issue 27's lookup targets" >&2; fail=1; }
  psql "$DB" -qc "DROP SCHEMA IF EXISTS $CLI CASCADE" >/dev/null 2>&1 || true
  [ "$fail" = 0 ] || exit 1
fi
