#!/usr/bin/env bash
# Lookup targets of docs/server.md on both backends, at 100k units (the 1M
# figures there take minutes): warm p50 <= 5 ms and p99 <= 30 ms, top-1
# agreement with --exhaustive >= 99%, a unit written through another handle
# found by a running Live matcher within 1 s. PostgreSQL from
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
  if [ -n "$DB" ]; then psql "$DB" -qc "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" >/dev/null 2>&1 || true; fi
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
