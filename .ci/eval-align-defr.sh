#!/usr/bin/env bash
# German–French n:m alignment (issue 15): strict link F1 of
# `transmem align --presegmented`, no dictionary, on the Bleualign gold.
# usage: .ci/eval-align-defr.sh SHARED_DIR   (target/release/transmem built)
# Measured 0.8052 (P 0.7932, R 0.8175); the issue's target is 0.80, and
# hunalign without a dictionary scores 0.715 there (quoted from the issue:
# hunalign cannot be installed here). The floor is the target.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/skip.sh"
SHARED=${1:-../shared}
GOLD=$SHARED/data/align-defr/bleualign_defr_gold.jsonl
if [ ! -f "$GOLD" ] || ! command -v python3 >/dev/null; then
  skip "align de-fr eval: $GOLD or python3 missing"
fi
cd "$(dirname "$0")/.."
MIN=0.800
out=$(python3 scripts/align_defr.py "$GOLD")
echo "$out" | tail -2 | sed 's/^/  /'
f1=$(echo "$out" | tail -1 | sed -n 's/.*F1=\([0-9.]*\).*/\1/p')
if python3 -c "import sys; sys.exit(0 if float('${f1:-0}') >= $MIN else 1)"; then
  echo "ok   align de-fr: $f1 >= $MIN"
else
  echo "FAIL align de-fr: ${f1:-none} < $MIN"
  exit 1
fi
