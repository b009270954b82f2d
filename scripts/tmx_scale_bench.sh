#!/usr/bin/env bash
# Scale benchmark for import/export (issue 6): builds a memory of SIZE units
# from the shared English-Russian pairs, imports it from TSV, exports it to
# TMX and imports that TMX into a fresh memory. Prints wall time, CPU time
# and peak RSS (GNU time) for each step, and the export rate in MB/s.
#
# Usage: scripts/tmx_scale_bench.sh [SHARED_DIR] [SIZE] [WORKDIR]
# Needs: target/release/transmem (cargo build --release), python3, /usr/bin/time.
set -euo pipefail
shared=${1:-../shared}
size=${2:-1000000}
work=${3:-/tmp/tmx-bench}
bin=${TRANSMEM:-target/release/transmem}
data=$work/data-$size
mkdir -p "$work"
if [[ ! -s $data/memory.tsv ]]; then
    python3 "$shared/eval/tm_bench_data.py" --pairs "$shared/data/tm-enru/en_ru_pairs.tsv" \
        --size "$size" --queries 10 --out "$data" >&2
fi
rm -f "$work"/tsv.sqlite* "$work"/tmx.sqlite* "$work"/export.tmx

step() { # name, command...
    local name=$1; shift
    /usr/bin/time -v "$@" 2>"$work/$name.time" >/dev/null || { cat "$work/$name.time" >&2; exit 1; }
    local wall rss user sys
    wall=$(grep -F 'Elapsed (wall clock)' "$work/$name.time" | awk '{print $NF}')
    rss=$(grep -F 'Maximum resident set size' "$work/$name.time" | awk '{print $NF}')
    user=$(grep -F 'User time' "$work/$name.time" | awk '{print $NF}')
    sys=$(grep -F 'System time' "$work/$name.time" | awk '{print $NF}')
    printf '%-12s wall %8s  user %7ss  sys %6ss  peak RSS %6d MB\n' "$name" "$wall" "$user" "$sys" $((rss / 1024))
}
secs() { # wall clock m:ss.xx or h:mm:ss -> seconds
    awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }' <<<"$1"
}

echo "units: $size (input $(du -h "$data/memory.tsv" | cut -f1) TSV); nproc $(nproc); load $(cut -d' ' -f1-3 /proc/loadavg)"
step import-tsv "$bin" --memory "$work/tsv.sqlite" import "$data/memory.tsv"
step export-tmx "$bin" --memory "$work/tsv.sqlite" export --format tmx -o "$work/export.tmx"
step import-tmx "$bin" --memory "$work/tmx.sqlite" import "$work/export.tmx"
bytes=$(stat -c %s "$work/export.tmx")
wall=$(grep -F 'Elapsed (wall clock)' "$work/export-tmx.time" | awk '{print $NF}')
awk -v b="$bytes" -v s="$(secs "$wall")" 'BEGIN { printf "export rate: %.1f MB/s (%d MB TMX in %.2f s)\n", b/1e6/s, b/1e6, s }'
n1=$("$bin" --memory "$work/tsv.sqlite" stats 2>/dev/null | awk '$1=="units" && NF==2 {print $2}' || true)
n2=$("$bin" --memory "$work/tmx.sqlite" stats 2>/dev/null | awk '$1=="units" && NF==2 {print $2}' || true)
echo "units stored: from TSV $n1, from TMX $n2"
