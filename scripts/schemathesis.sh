#!/usr/bin/env bash
# Schemathesis against `transmem serve`'s own OpenAPI document
# (/api/v1/openapi.json) for SECONDS (default 300): property-based requests
# on every operation, as an admin, on a memory holding the bundled sample.
# Fails on any 5xx, an undocumented status code, or an answer that does not
# match its schema (content type, headers, body). The server's log is
# checked for 5xx too. The "positive/negative data acceptance" checks are
# reported but not gating: the document describes types and patterns, not
# every rule a handler applies (a batch that exists, a non-empty text).
# DELETE /api/v1/tokens/{id} is left out: it would revoke the run's own
# token. Installs Schemathesis into target/schemathesis-venv (PyPI) on first use.
#
#   bash scripts/schemathesis.sh [SECONDS] [BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-300}
BIN=${2:-target/debug/transmem}
[ -x "$BIN" ] || cargo build --quiet
VENV=target/schemathesis-venv
if [ ! -x "$VENV/bin/schemathesis" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet 'schemathesis>=4.3,<5'
fi
work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
export TRANSMEM_MEMORY="$work/m.sqlite" TRANSMEM_CACHE_DIR="$work/cache"
"$BIN" align --from en --to ru --store memory/samples/arctic.en.txt memory/samples/arctic.ru.txt >/dev/null
token=$("$BIN" token create --role admin --name schemathesis 2>/dev/null | tail -1)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BIN" serve --listen "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
pid=$!
python3 - "$port" <<'PY'
import sys, time, urllib.request
for _ in range(100):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/api/v1/health", timeout=1)
        break
    except Exception:
        time.sleep(0.2)
PY
run() {
  rc=0
  SCHEMATHESIS_HOOKS=schemathesis_hooks PYTHONPATH=scripts \
    "$VENV/bin/schemathesis" run "http://127.0.0.1:$port/api/v1/openapi.json" \
    -H "Authorization: Bearer $token" --max-time "$SECS" --workers 2 --exclude-operation-id revokeToken \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
    --seed "$1" >"$work/st.log" 2>&1 || rc=$?
}
run 1
# Hypothesis itself sometimes crashes describing a strategy under CPython
# 3.11 ("AST constructor recursion depth mismatch", a Python bug, seen once
# in three CI runs, with every case passed and no 5xx). That is no finding
# about the server: run once more with another seed, saying so. Any check
# failure, any other error, or a 5xx still fails.
if [ "$rc" != 0 ] && grep -q "AST constructor recursion depth mismatch" "$work/st.log" \
  && ! grep -qE '^=+ FAILURES =+' "$work/st.log" \
  && awk '/^_____+ /{n++; s=NR} /AST constructor recursion depth mismatch/ && s && NR-s<=4 {a++; s=0} END {exit !(n>0 && n==a)}' "$work/st.log"; then
  echo "schemathesis: hypothesis crashed inside CPython's ast (not a server finding); running again with seed 2"
  run 2
fi
sed -n '/SUMMARY/,$p' "$work/st.log"
fives=$(grep -cE '^[^ ]+ [A-Z]+ [^ ]+ 5[0-9][0-9] ' "$work/serve.log" || true)
echo "requests logged: $(wc -l <"$work/serve.log"), 5xx in the server's log: $fives"
if [ "$rc" != 0 ] || [ "$fives" != 0 ]; then
  grep -E -B2 -A12 '^_{5,} ' "$work/st.log" | cut -c1-300 | head -120
  grep -E '^[^ ]+ [A-Z]+ [^ ]+ 5[0-9][0-9] ' "$work/serve.log" | head -20
  echo "schemathesis: FAILED (exit $rc)" >&2
  exit 1
fi
echo "schemathesis: passed (${SECS} s, no 5xx, no schema violation)"
