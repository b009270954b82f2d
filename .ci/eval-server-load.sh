#!/usr/bin/env bash
# Server load target (transmem issue 11): on a 100k-unit memory built by the
# team's tm_bench_data.py from the en-ru pairs, 16 concurrent wrk clients
# sustain >= 500 lookups/s with p99 <= 50 ms and no error (measured on
# SQLite: 4,026 lookups/s, p99 12.4 ms; docs/server.md), on SQLite and, with
# TRANSMEM_TEST_DATABASE, on PostgreSQL. 10 s runs keep CI short.
# usage: .ci/eval-server-load.sh SHARED_DIR   (needs wrk: apt install wrk)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/skip.sh"
SHARED=$(cd "${1:-../shared}" 2>/dev/null && pwd) || skip "eval-server-load: ${1:-../shared} missing"
if [ ! -f "$SHARED/eval/tm_bench_data.py" ] || [ ! -f "$SHARED/data/tm-enru/en_ru_pairs.tsv" ]; then
  skip "eval-server-load: tm_bench_data.py or en_ru_pairs.tsv missing"
fi
cd "$(dirname "$0")/.."
rc=0
SHARED="$SHARED" scripts/server_load.sh 100000 10 || rc=1
# The same run on PostgreSQL (`--database … serve`) when CI names a test
# server; the script uses a schema of its own and drops it. Same target:
# measured 3,159 lookups/s, p99 13.4 ms on an idle machine (docs/server.md).
if [ -n "${TRANSMEM_TEST_DATABASE:-}" ]; then
  SHARED="$SHARED" DATABASE="$TRANSMEM_TEST_DATABASE" scripts/server_load.sh 100000 10 || rc=1
  # Issue 23's 64-connection target (p99 <= 80 ms), on the backend that
  # missed it before reads took turns (App::reading): 102 ms then, 36.8 ms
  # after, in one run at the same load.
  SHARED="$SHARED" DATABASE="$TRANSMEM_TEST_DATABASE" CONNS=64 P99_MS=80 \
    scripts/server_load.sh 100000 10 || rc=1
else
  [ "${CI:-}" = true ] && { echo "FAIL eval-server-load: TRANSMEM_TEST_DATABASE is required in CI" >&2; rc=1; }
  echo "eval-server-load: TRANSMEM_TEST_DATABASE unset, PostgreSQL not run"
fi
exit $rc
