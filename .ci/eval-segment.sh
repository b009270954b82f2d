#!/usr/bin/env bash
# Sentence segmentation accuracy on the team's boundary cases (issue 3).
# Usage: .ci/eval-segment.sh SHARED_DIR   (target/release/transmem built)
# Fails when English or Russian accuracy drops below its floor: English 97%
# (issue 15's target; measured 98.1%, 101/103, the scorer skipping the four
# cases that join lines across a line break), Russian 100% (measured, 40/40).
# See docs/segmentation.md.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/skip.sh"
SHARED=${1:-../shared}
CASES_EN=$SHARED/data/sbd/sbd_en.jsonl
CASES_RU=$SHARED/data/sbd/sbd_ru.jsonl
SCORER=$SHARED/eval/sbd_eval.py
if [ ! -f "$CASES_EN" ] || [ ! -f "$CASES_RU" ] || [ ! -f "$SCORER" ]; then
  skip "segment eval: $CASES_EN, $CASES_RU or $SCORER missing"
fi
MIN_EN=97
MIN_RU=100
out=$(python3 "$SCORER" --cases "$CASES_EN" "$CASES_RU" \
  --cmd 'target/release/transmem segment --lang {lang} --format json')
echo "$out"
. "$(dirname "$0")/sbd-floors.sh"
sbd_floors segment "$out" "$MIN_EN" "$MIN_RU"
