#!/usr/bin/env bash
# Load test of `transmem serve`: 16 concurrent clients looking up fuzzy
# queries against a 100k-unit memory, with wrk, on 127.0.0.1 only, in a
# bounded run. Prints requests/s, latency percentiles and errors, and fails
# below the targets (>= 500 lookups/s, p99 <= 50 ms, no error).
#
#   scripts/server_load.sh [SIZE] [SECONDS]      (defaults: 100000, 20)
#
# Data: ../shared/eval/tm_bench_data.py over ../shared/data/tm-enru when
# present (real sentences and their one-edit variants), else synthetic
# sentences made here (SHARED=DIR names another ../shared). Needs wrk (apt install wrk) and python3.
#
# DATABASE=postgresql://… runs the same load against `transmem --database …
# serve` on PostgreSQL instead of SQLite: the memory goes into a schema of
# its own (tm_load_<pid>), dropped at the end with psql.
#
# By default wrk sends as fast as the server answers (the latency shown is
# at saturation). RATE=N paces the 16 connections to about 1.1 N requests/s
# in all (a pause before each request), which measures the target as stated:
# latency while sustaining N lookups/s. P99_MS=N fails above N ms instead of
# the target's 50 (a guard on a level met, where the target is not yet).
# CONNS=N changes the 16 connections (issue 23 also asks for 64). The load
# average is printed beside the figures: the machine is shared.
#
# Soak (issue 23: "memory stays flat over a 10-minute soak"): SOAK=1 mixes
# the traffic (of every three requests, one JSON lookup, one tmserver
# lookup of Weblate's form, one concordance) and samples the server's
# resident memory (VmRSS) every SAMPLE seconds (default 10) while wrk runs.
# It prints the samples and fails when the last third of the run's highest
# RSS is over 10% above the highest of its first third: growth that goes on
# after the caches (matchers, tokens, idempotency answers) have filled.
#   SOAK=1 RATE=300 scripts/server_load.sh 100000 600
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${SHARED:-../shared}
SIZE=${1:-100000}
SECS=${2:-20}
CONNS=${CONNS:-16}
THREADS=2
command -v wrk >/dev/null || { echo "server_load: wrk not found (apt install wrk)" >&2; exit 2; }
cargo build --release --quiet
BIN=$PWD/target/release/transmem
WORK=$(mktemp -d)
SERVER_PID=
DATABASE=${DATABASE:-}
SCHEMA=tm_load_$$
cleanup() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
    if [ -n "$DATABASE" ]; then psql "$DATABASE" -qc "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

if [ -f "$SHARED/eval/tm_bench_data.py" ] && [ -f "$SHARED/data/tm-enru/en_ru_pairs.tsv" ]; then
    python3 "$SHARED/eval/tm_bench_data.py" --pairs "$SHARED/data/tm-enru/en_ru_pairs.tsv" \
        --size "$SIZE" --queries 1000 --out "$WORK/data" >/dev/null
    DATA="tm_bench_data.py over ../shared/data/tm-enru"
else
    mkdir -p "$WORK/data"
    python3 - "$SIZE" "$WORK/data" <<'EOF'
import random, sys
n, out = int(sys.argv[1]), sys.argv[2]
rng = random.Random(7)
words = ("minister talks city council river bridge market price report week government "
         "school hospital road police court election budget harbour factory museum train "
         "station weather storm village region company workers union festival").split()
def sent():
    return " ".join(rng.choice(words) for _ in range(rng.randint(6, 14))).capitalize() + f" {rng.randint(1, 999)}."
seen = set()
with open(f"{out}/memory.tsv", "w") as f:
    f.write("en\tru\n")
    srcs = []
    while len(srcs) < n:
        s = sent()
        if s in seen: continue
        seen.add(s); srcs.append(s)
        f.write(f"{s}\tперевод {len(srcs)}\n")
with open(f"{out}/queries.txt", "w") as f:
    for s in rng.sample(srcs, 1000):
        w = s.split(" "); w[rng.randrange(len(w) - 1)] = rng.choice(words)
        f.write(" ".join(w) + "\n")
EOF
    DATA="synthetic sentences (../shared absent)"
fi

if [ -n "$DATABASE" ]; then
    case "$DATABASE" in *\?*) SEP='&' ;; *) SEP='?' ;; esac
    STORE=(--database "$DATABASE${SEP}options=-csearch_path%3D$SCHEMA")
    export TRANSMEM_CACHE_DIR="$WORK/cache"
    DATA="$DATA, PostgreSQL"
else
    STORE=(--memory "$WORK/m.sqlite")
    DATA="$DATA, SQLite"
fi
"$BIN" "${STORE[@]}" import "$WORK/data/memory.tsv" 2>/dev/null
UNITS=$("$BIN" "${STORE[@]}" stats --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["units"])')
TOKEN=$("$BIN" "${STORE[@]}" token create --role read 2>/dev/null)
python3 - "$WORK/data/queries.txt" "$WORK/bodies.txt" <<'EOF'
import json, sys
with open(sys.argv[1]) as f, open(sys.argv[2], "w") as out:
    for q in f:
        q = q.rstrip("\n")
        if q:
            out.write(json.dumps({"from": "en", "to": "ru", "text": q}, ensure_ascii=False) + "\n")
EOF
cat > "$WORK/lookup.lua" <<'EOF'
local bodies = {}
for line in io.lines(os.getenv("BODIES")) do bodies[#bodies + 1] = line end
local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. os.getenv("TOKEN")}
local i = math.random(#bodies)
local pause = tonumber(os.getenv("PAUSE_MS") or "0")
if pause > 0 then delay = function() return pause end end
local mix = os.getenv("SOAK") == "1"
local n = 0
local function enc(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end
request = function()
  i = i % #bodies + 1
  n = n + 1
  if mix and n % 3 == 1 then
    local text = bodies[i]:match('"text": "(.-)"}') or "the harbour"
    return wrk.format("GET", "/tmserver/en/ru/unit/" .. enc(text), headers)
  elseif mix and n % 3 == 2 then
    -- A translator's search: the query's longest word (a stop word such
    -- as "the" has every unit as a candidate and costs far more).
    local word = "harbour"
    for w in (bodies[i]:match('"text": "(.-)"}') or ""):gmatch("%a+") do
      if #w > #word then word = w end
    end
    return wrk.format("GET", "/api/v1/concordance?lang=en&limit=5&q=" .. enc(word), headers)
  end
  return wrk.format("POST", "/api/v1/lookup", headers, bodies[i])
end
EOF

"$BIN" "${STORE[@]}" serve --listen 127.0.0.1:0 2>"$WORK/server.log" &
SERVER_PID=$!
for _ in $(seq 1 100); do grep -q "listening on" "$WORK/server.log" 2>/dev/null && break; sleep 0.1; done
ADDR=$(grep -o 'listening on http://[0-9.:]*' "$WORK/server.log" | sed 's|listening on http://||')
[ -n "$ADDR" ] || { echo "server_load: the server did not start" >&2; cat "$WORK/server.log" >&2; exit 2; }
# Warm: the first lookup builds or loads the candidate index.
curl -s -o /dev/null -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d "$(head -1 "$WORK/bodies.txt")" "http://$ADDR/api/v1/lookup"

RATE=${RATE:-}
PAUSE_MS=0
# Each connection waits PAUSE_MS, then waits for its answer: 16 connections
# at 0.7 of the interval N/16 per second each offer about 1.1 N/s once the
# answer time is added.
if [ -n "$RATE" ]; then PAUSE_MS=$(( CONNS * 700 / RATE )); DATA="$DATA, paced to ~$RATE/s"; fi
SOAK=${SOAK:-}
export BODIES="$WORK/bodies.txt" TOKEN PAUSE_MS SOAK
SAMPLER=
if [ "$SOAK" = 1 ]; then
    DATA="$DATA, soak: lookups, tmserver lookups and concordance mixed"
    ( while kill -0 "$SERVER_PID" 2>/dev/null; do
          printf '%s\t%s\n' "$(date +%s)" "$(awk '/^(VmRSS|RssAnon|RssFile)/ { printf "%s ", $2 }' /proc/"$SERVER_PID"/status)"
          sleep "${SAMPLE:-10}"
      done ) > "$WORK/rss.tsv" &
    SAMPLER=$!
fi
wrk -t"$THREADS" -c"$CONNS" -d"${SECS}s" --latency -s "$WORK/lookup.lua" "http://$ADDR" | tee "$WORK/wrk.txt"
if [ -n "$SAMPLER" ]; then
    kill "$SAMPLER" 2>/dev/null || true; wait "$SAMPLER" 2>/dev/null || true
    python3 - "$WORK/rss.tsv" <<'EOF' || SOAK_FAILED=1
import sys
rows = [l.split("\t") for l in open(sys.argv[1]) if l.strip()]
# VmRSS, RssAnon (heap: caches, buffers) and RssFile (mapped files: the
# match index, shared with the kernel's page cache), in kB.
rows = [(int(t), [int(x) for x in kb.split()]) for t, kb in rows if len(kb.split()) == 3]
anon = {t: k[1] for t, k in rows}
rows = [(t, k[0]) for t, k in rows]
if len(rows) < 6:
    print(f"soak: only {len(rows)} RSS samples; run longer"); sys.exit(1)
t0 = rows[0][0]
print("soak: server RSS, of it heap (s since start: MB): " + ", ".join(f"{t - t0}: {kb / 1024:.0f} ({anon[t] / 1024:.0f})" for t, kb in rows))
third = len(rows) // 3
first, last = max(kb for _, kb in rows[:third]), max(kb for _, kb in rows[-third:])
growth = (last - first) / first * 100
print(f"soak: highest RSS in the first third {first / 1024:.0f} MB, in the last third {last / 1024:.0f} MB ({growth:+.1f}%)")
if growth > 10:
    print("soak: FAIL: resident memory still grows after the first third"); sys.exit(1)
print("soak: flat")
EOF
fi
python3 - "$WORK/wrk.txt" "$UNITS" "$DATA" "$CONNS" "$SECS" "${P99_MS:-50}" "$SOAK" <<'EOF'
import re, sys
t = open(sys.argv[1]).read()
def ms(s):
    v, u = float(re.match(r"([\d.]+)(\w+)", s).group(1)), re.match(r"[\d.]+(\w+)", s).group(1)
    return v * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[u]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
pct = {p: ms(v) for p, v in re.findall(r"^\s+(\d+)%\s+(\S+)\s*$", t, re.M)}
non2xx = int((re.search(r"Non-2xx or 3xx responses: (\d+)", t) or [0, 0])[1])
sock = sum(int(x) for x in re.findall(r"(?:connect|read|write|timeout) (\d+)", t))
print(f"\nmemory {sys.argv[2]} units ({sys.argv[3]}), {sys.argv[4]} connections, {sys.argv[5]} s")
load = open("/proc/loadavg").read().split()[:3]
print(f"load average {' '.join(load)} (1, 5, 15 min) at the end of the run: figures move with it")
print(f"{'requests' if sys.argv[7] == '1' else 'lookups'}/s {rps:.0f}; p50 {pct['50']:.1f} ms, p90 {pct['90']:.1f} ms, p99 {pct['99']:.1f} ms; non-2xx {non2xx}, socket errors {sock}")
p99 = float(sys.argv[6])
soak = sys.argv[7] == "1"
# A soak is paced and mixed: it is judged on errors (and, above, on its
# memory), not on throughput.
ok = (soak or (rps >= 500 and pct["99"] <= p99)) and non2xx == 0 and sock == 0
print("PASS" if ok else "FAIL: " + ("no error allowed" if soak else f"targets are >= 500 lookups/s, p99 <= {p99:g} ms, no error"))
sys.exit(0 if ok else 1)
EOF
[ -z "${SOAK_FAILED:-}" ] || exit 1
