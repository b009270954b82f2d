#!/usr/bin/env bash
# Issues 12 and 17 on real data: lookups never show a wrong answer with
# confidence, and hostile input is bounded. Prints its figures; fails when
#  - `lookup "The aligner utility"` on the OmegaT L10N memory shows a
#    substituted draft (it used to turn 71.1% and 70.1% matches into 99.0%),
#  - an identical source of the en-ru pairs (first 300 checked) does not
#    come back first at 100,
#  - 1M empty lines, 1M number/punctuation-only lines, or a 10 MB query line
#    take over 10 s or 500 MB, or a 10 MB line is not refused with exit 2.
# Usage: .ci/eval-lookup-trust.sh SHARED_DIR  (skips without the data)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/skip.sh"
cd "$(dirname "$0")/.."
SHARED=${1:-../shared}
PAIRS="$SHARED/data/tm-enru/en_ru_pairs.tsv"
OMEGAT="$SHARED/data/tmx/OmegaT-L10N_ru/project_save.tmx"
BIN=target/release/transmem
if [ ! -f "$PAIRS" ] || [ ! -f "$OMEGAT" ] || ! command -v python3 >/dev/null; then
  skip "eval-lookup-trust: $PAIRS, $OMEGAT or python3 missing"
fi
[ -x "$BIN" ] || cargo build --release --quiet
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export HOME="$WORK/home" TRANSMEM_MEMORY="$WORK/m.sqlite"
unset XDG_DATA_HOME
fail=0

# Substitution must not inflate: no substituted draft for this query.
"$BIN" --memory "$WORK/omegat.sqlite" import "$OMEGAT" 2>/dev/null
subs=$("$BIN" --memory "$WORK/omegat.sqlite" lookup --from en --to ru --format jsonl \
  "The aligner utility" | python3 -c '
import json, sys
v = json.loads(sys.stdin.readline())
print(sum(1 for m in v["matches"] if "substituted_target" in m))')
echo "omegat 'The aligner utility': $subs substituted drafts (want 0)"
[ "$subs" = 0 ] || fail=1

# Identical sources rank first at 100.
"$BIN" import --langs en,ru "$PAIRS" 2>/dev/null
python3 - "$PAIRS" "$WORK/q.txt" <<'EOF'
import sys
seen = set()
with open(sys.argv[1], encoding="utf-8") as f, open(sys.argv[2], "w", encoding="utf-8") as out:
    for line in f:
        en = line.rstrip("\n").split("\t")[0].strip()
        if en and any(c.isalpha() for c in en) and en not in seen and len(en) < 2000:
            seen.add(en)
            out.write(en + "\n")
        if len(seen) >= 300:
            break
EOF
bad=$("$BIN" lookup --from en --to ru --limit 1 --format jsonl < "$WORK/q.txt" | python3 -c '
import json, sys
bad = 0
for line in sys.stdin:
    v = json.loads(line)
    m = v["matches"]
    if "skipped" not in v and (not m or m[0]["score"] < 100 or m[0]["source"].strip() != v["query"].strip()):
        bad += 1
print(bad)')
echo "identical sources not first at 100: $bad of 300 (want 0)"
[ "$bad" = 0 ] || fail=1

# Hostile sizes: bounded time and memory.
measure() { # name, input file, expected exit code
  local name=$1 input=$2 want=$3 rc=0 secs kb
  /usr/bin/time -f "%e %M" -o "$WORK/time" "$BIN" lookup --from en --to ru --format jsonl \
    < "$input" > /dev/null 2> "$WORK/err" || rc=$?
  read -r secs kb < <(tail -n 1 "$WORK/time")
  echo "$name: exit $rc, ${secs} s, $((kb / 1024)) MB (want exit $want, <= 10 s, <= 500 MB)"
  if [ "$rc" != "$want" ] || ! python3 -c "import sys; sys.exit(0 if $secs <= 10 and $kb <= 512000 else 1)"; then
    fail=1
  fi
}
if [ -x /usr/bin/time ]; then
  python3 -c "import sys; sys.stdout.write('\n' * 1_000_000)" > "$WORK/empty.txt"
  python3 -c "import sys; sys.stdout.write('12 345\n...\n' * 500_000)" > "$WORK/num.txt"
  python3 -c "print('a' * 10_000_000)" > "$WORK/big.txt"
  measure "1M empty lines" "$WORK/empty.txt" 1
  measure "1M number/punctuation lines" "$WORK/num.txt" 1
  measure "10 MB query line" "$WORK/big.txt" 2
else
  if [ "${CI:-}" = true ]; then
    echo "FAIL eval-lookup-trust: /usr/bin/time (Debian package time) is required in CI" >&2
    fail=1
  else
    echo "(no /usr/bin/time: hostile-size figures skipped)"
  fi
fi
exit $fail
