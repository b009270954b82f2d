#!/usr/bin/env bash
# Issue 7: an aligned real article is covered (>= 90% of words in context/100),
# an unrelated one is not (>= 90% in no-match/50-74), and its XLIFF draft is
# well-formed with targets for >= 90% of segments (means over 40 documents).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/skip.sh"
SHARED=$1
DOCS=$SHARED/data/news-enru/docs.jsonl
[ -f "$DOCS" ] || skip "eval-workflow: $DOCS absent"
python3 scripts/workflow_eval.py --docs "$DOCS" --max-docs 40 --min 0.9
