#!/usr/bin/env bash
# Batching across the network (transmem issue 24): through `transmem serve`
# on 127.0.0.1, `analyze` and `pretranslate` of a 1,000-segment article take
# at most twice the time they take on the memory file, in one request per
# 1,000 segments, and `align --store` of a 500-link pair is one request
# (measured: ratios 0.98 and 0.94, docs/server.md). Three runs of each keep
# CI short; the ratio is of medians, the load average printed beside it.
# usage: .ci/eval-remote.sh SHARED_DIR
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/skip.sh"
SHARED=$(cd "${1:-../shared}" 2>/dev/null && pwd) || skip "eval-remote: ${1:-../shared} missing"
if [ ! -f "$SHARED/data/tm-enru/en_ru_pairs.tsv" ] || [ ! -f "$SHARED/data/news-enru/docs.jsonl" ]; then
  skip "eval-remote: en_ru_pairs.tsv or docs.jsonl missing"
fi
cd "$(dirname "$0")/.."
SHARED="$SHARED" CHECK=1 scripts/remote_bench.sh 3
