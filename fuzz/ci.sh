#!/usr/bin/env bash
# CI fuzz step: each cargo-fuzz target runs for a short bounded time
# (default 20 s; $1 overrides) on the committed seeds, and any crash,
# timeout (10 s per input) or out-of-memory (2 GB) fails the step. The
# committed seeds are never modified: new inputs go to a scratch folder.
# Stable Rust only, so RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass its nightly
# flags. Measured: the build takes about 2-4 minutes on 2 shared cores, the
# six runs 2 minutes.
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-20}
if ! command -v cargo-fuzz >/dev/null; then
  cargo install cargo-fuzz --locked
fi
export RUSTC_BOOTSTRAP=1
# No sanitizer: the targets are safe Rust, and libFuzzer's own checks (panics,
# timeouts, memory) are what they test; -a keeps overflow checks on.
cargo fuzz build -s none -a
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
bin=target/$(rustc -vV | sed -n 's/^host: //p')/release
for t in tmx csv srx segment align query xliff decode; do
  mkdir -p "$scratch/$t" "$scratch/artifacts-$t"
  echo "fuzz $t: ${secs}s"
  if ! "$bin/$t" "$scratch/$t" "seeds/$t" -max_total_time="$secs" -timeout=10 \
      -rss_limit_mb=2048 -artifact_prefix="$scratch/artifacts-$t/" -print_final_stats=1 \
      >"$scratch/$t.log" 2>&1; then
    tail -40 "$scratch/$t.log"
    for f in "$scratch/artifacts-$t"/*; do
      [ -e "$f" ] && { echo "input ($f):"; od -c "$f" | head -20; }
    done
    echo "fuzz $t: FAILED" >&2
    exit 1
  fi
  grep -E '^stat::number_of_executed_units' "$scratch/$t.log" | sed "s/^/  /"
done
