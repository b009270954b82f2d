#!/usr/bin/env bash
# Single-unit writes through `transmem --database … serve` on PostgreSQL:
# CONNS (default 8) concurrent clients each POST one new unit per request to
# /api/v1/units, as fast as the server answers, for SECONDS (default 10),
# with wrk on 127.0.0.1. Prints writes/s, latency, non-2xx answers, the
# units stored against the 201s counted, the commits per write (writes
# that arrive together share one: a group commit), and the load average.
#
#   DATABASE=postgresql://postgres@127.0.0.1:5432/test scripts/pg_write_load.sh [SECONDS]
#   SQLITE=1 scripts/pg_write_load.sh [SECONDS]   # the same on an SQLite file
#
# The memory goes into a schema of its own (tm_wload_<pid>), dropped at the
# end with psql (with SQLITE=1: a file in a temporary folder). Needs wrk
# (apt install wrk) and psql.
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-10}
CONNS=${CONNS:-8}
if [ -z "${SQLITE:-}" ]; then DATABASE=${DATABASE:?set DATABASE=postgresql://… or SQLITE=1}; fi
command -v wrk >/dev/null || { echo "pg_write_load: wrk not found (apt install wrk)" >&2; exit 2; }
# BIN=path runs that binary as it is (no build).
if [ -z "${BIN:-}" ]; then
    cargo build --release --quiet
    BIN=$PWD/target/release/transmem
fi
WORK=$(mktemp -d)
SCHEMA=tm_wload_$$
if [ -n "${SQLITE:-}" ]; then
    WHERE=(--memory "$WORK/m.sqlite")
else
    SEP='?'; case "$DATABASE" in *\?*) SEP='&';; esac
    URL="$DATABASE${SEP}options=-csearch_path%3D$SCHEMA"
    WHERE=(--database "$URL")
fi
SERVER_PID=
cleanup() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
    if [ -z "${SQLITE:-}" ]; then psql "$DATABASE" -qc "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT
printf 'The harbour opens at dawn.\tГавань открывается на рассвете.\n' > "$WORK/seed.tsv"
"$BIN" "${WHERE[@]}" import --langs en,ru "$WORK/seed.tsv" >/dev/null 2>&1
TOKEN=$("$BIN" "${WHERE[@]}" token create --role write --name load)
"$BIN" "${WHERE[@]}" serve --listen 127.0.0.1:0 2> "$WORK/server.log" &
SERVER_PID=$!
for _ in $(seq 100); do grep -q "listening on" "$WORK/server.log" 2>/dev/null && break; sleep 0.1; done
ADDR=$(sed -n 's/.*listening on http:\/\/\([^ ]*\).*/\1/p' "$WORK/server.log" | head -1)
cat > "$WORK/write.lua" <<LUA
local counter = 0
local id = 0
function setup(thread)
  thread:set("tid", id)
  id = id + 1
end
function init(args)
  math.randomseed(os.time() + tid * 7919)
  prefix = tostring(tid) .. "-" .. tostring(math.random(1, 1000000000))
end
function request()
  counter = counter + 1
  local body = '{"units":[{"variants":[{"lang":"en","text":"Load writer ' .. prefix .. ' line ' .. counter ..
    '."},{"lang":"ru","text":"Нагрузка ' .. prefix .. ' строка ' .. counter .. '."}]}]}'
  return wrk.format("POST", "/api/v1/units",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer $TOKEN"}, body)
end
LUA
generation() {
    if [ -z "${SQLITE:-}" ]; then
        psql "$URL" -tAc "SELECT value FROM store_state WHERE key = 'generation'"
    fi
}
GEN_BEFORE=$(generation)
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
THREADS=$(( CONNS < 2 ? CONNS : 2 ))
wrk -t "$THREADS" -c "$CONNS" -d "${SECS}s" --latency -s "$WORK/write.lua" "http://$ADDR" | tee "$WORK/wrk.txt"
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
if [ -n "${KEEP_LOG:-}" ]; then cp "$WORK/server.log" "$KEEP_LOG"; fi
UNITS=$("$BIN" "${WHERE[@]}" units --count)
echo "units stored: $UNITS (1 seed + the writes answered 201, and those still in flight when wrk stopped)"
if [ -z "${SQLITE:-}" ]; then
    echo "commits: $(( $(generation) - GEN_BEFORE )) for $(( UNITS - 1 )) writes"
fi
echo "load average before: $LOAD_BEFORE; after: $LOAD_AFTER ($(nproc) cores)"
