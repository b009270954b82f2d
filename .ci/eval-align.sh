#!/usr/bin/env bash
# Alignment targets on the WMT en-ru news documents (transmem issue 4).
# usage: .ci/eval-align.sh SHARED_DIR   (target/release/transmem must be built)
# Runs the team scorer on tasks B, A and R and fails below the figures the
# aligner has reached (measured: B 0.9544, A 0.9635, R 0.9326 after issue 15). B and R hold the
# issue targets 0.95 and 0.93; A (0.985) is not met, see
# docs/alignment.md.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/skip.sh"
SHARED=${1:-../shared}
DOCS=$SHARED/data/news-enru/docs.jsonl
EVAL=$SHARED/eval/align_eval.py
if [ ! -f "$DOCS" ] || [ ! -f "$EVAL" ] || ! command -v python3 >/dev/null; then
  skip "align eval: $DOCS, $EVAL or python3 missing"
fi
cd "$(dirname "$0")/.."
BIN=target/release/transmem
fail=0
run() { # TASK MIN PRESEGMENTED
  local out f1
  out=$(python3 "$EVAL" --docs "$DOCS" --task "$1" \
    --cmd "$BIN align $3 --src-lang en --tgt-lang ru --format jsonl {en} {ru}")
  echo "$out" | sed 's/^/  /'
  f1=$(echo "$out" | tail -1 | sed -n 's/.*F1=\([0-9.]*\).*/\1/p')
  if python3 -c "import sys; sys.exit(0 if float('${f1:-0}') >= $2 else 1)"; then
    echo "ok   align task $1: $f1 >= $2"
  else
    echo "FAIL align task $1: ${f1:-none} < $2"; fail=1
  fi
}
run B 0.950 --presegmented
run A 0.960 --presegmented
run R 0.930 ""
exit $fail
