#!/usr/bin/env bash
# Alignment cost (issue 26): the callgrind instruction count of aligning the
# 8k-segment scale pair (task-B WMT en-ru documents concatenated, as
# scripts/align_scale.py builds it), all threads together, which is the same
# on any machine however busy; and its wall time.
# Usage: scripts/align_cost.sh [SHARED_DIR=../shared] [N=8000]
#        BIN=path/to/transmem scripts/align_cost.sh   (no build)
#        MAX_INSTR=N scripts/align_cost.sh   (CI: fails when the alignment
#        takes more than N instructions; the wall time is then left out)
# The pair is written once to a temporary directory (the text is read from
# SHARED_DIR at run time, never stored in the repository). hunalign, no
# dictionary, `-text`: 11.59 billion instructions on the issue's pair.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${1:-../shared}
N=${2:-8000}
MAX_INSTR=${MAX_INSTR:-}
DOCS=$SHARED/data/news-enru/docs.jsonl
if [ ! -f "$DOCS" ] || [ ! -f "$SHARED/eval/align_eval.py" ]; then
  echo "$DOCS or $SHARED/eval/align_eval.py missing" >&2
  exit 1
fi
for t in valgrind python3; do
  command -v $t >/dev/null || { echo "$t is required (apt-get install $t)" >&2; exit 1; }
done
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet
  BIN=target/release/transmem
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
sizes=$(SHARED=$SHARED python3 scripts/align_scale.py --write-only "$dir" "$DOCS" "$N")
cmd=("$BIN" align --presegmented --src-lang en --tgt-lang ru --format jsonl "$dir/en.txt" "$dir/ru.txt")
echo "== pair: $sizes (N=$N)"
if [ -z "$MAX_INSTR" ]; then
  echo "== wall time (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  if command -v hyperfine >/dev/null; then
    hyperfine -N --style basic --warmup 1 --runs 5 "${cmd[*]}" 2>/dev/null | sed -n 's/^ *Time/  Time/p;s/^ *Range/  Range/p'
  else
    /usr/bin/time -f '  %e s wall, %U s user, %S s sys, %M KiB peak RSS' "${cmd[@]}" >/dev/null
  fi
fi
start=$(date +%s)
n=$(valgrind --tool=callgrind --separate-threads=no --callgrind-out-file=/dev/null "${cmd[@]}" 2>&1 >/dev/null |
  sed -n 's/.*Collected : \([0-9]*\).*/\1/p')
echo "== instructions (valgrind --tool=callgrind, all threads): $(printf "%'d" "${n:-0}") ($(($(date +%s) - start)) s under callgrind)"
if [ -n "$MAX_INSTR" ] && { [ -z "$n" ] || [ "$n" -gt "$MAX_INSTR" ]; }; then
  echo "FAIL: alignment over $(printf "%'d" "$MAX_INSTR") instructions" >&2
  exit 1
fi
