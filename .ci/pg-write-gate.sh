#!/usr/bin/env bash
# Issue 23's single-unit write target on PostgreSQL: 8 wrk clients each
# POST one new unit per request to `transmem --database … serve` for 10 s
# (scripts/pg_write_load.sh). Measured on the shared 2-core machine:
# 1,184-1,390 writes/s at load 3.3-3.7, 650-798 at load 6.5-8.5
# (docs/server.md). The gate is half the busier figure, so that a busy
# machine does not fail it: at least 350 writes/s, and every answer a 201.
# usage: DATABASE=postgresql://… .ci/pg-write-gate.sh
set -euo pipefail
cd "$(dirname "$0")/.."
MIN=${MIN:-350}
out=$(scripts/pg_write_load.sh 10 2>&1) || { echo "$out"; echo "FAIL pg-write-gate: the load script failed" >&2; exit 1; }
echo "$out" | grep -E "Requests/sec|Latency|50%|99%|Non-2xx|units stored|commits|load average"
rate=$(echo "$out" | sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p')
if echo "$out" | grep -q "Non-2xx"; then
    echo "FAIL pg-write-gate: answers other than 201" >&2
    exit 1
fi
if ! awk -v r="${rate:-0}" -v m="$MIN" 'BEGIN { exit !(r >= m) }'; then
    echo "FAIL pg-write-gate: ${rate:-?} writes/s, below $MIN" >&2
    exit 1
fi
echo "pg-write-gate: ${rate} writes/s (gate ${MIN})"
