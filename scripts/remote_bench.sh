#!/usr/bin/env bash
# Batching across the network (issue 24): the same commands against a
# memory file and against `transmem serve` over that file on 127.0.0.1.
#
#   scripts/remote_bench.sh [RUNS]      (default 5)
#
# Prints, for `analyze` and `pretranslate` of a 1,000-segment article, the
# median wall time of RUNS runs of each (local and remote alternating,
# after one warm-up run of each that builds the match index and loads the
# server's matcher), their ratio (target: remote at most 2x local), and the
# requests each remote run sent; then `align --store` of a 500-link article
# pair into an empty served memory and the requests it sent (target: one).
# The load average is printed beside the figures: on a shared machine they
# move with it.
#
# Data: the memory is ../shared/data/tm-enru/en_ru_pairs.tsv (40,332 pairs);
# the article is 500 sentences of ../shared/data/news-enru (not in the
# memory), 300 sentences of the memory as they are and 200 with one word
# changed, ten to a paragraph; the 500-link pair is news-enru's gold
# en/ru sentences. Without ../shared (SHARED=DIR names another) synthetic
# sentences stand in. Needs python3.
#
# CHECK=1 exits 1 when a target is missed: a ratio above 2, more lookup
# requests than one per 1,000 segments, or an alignment in more than one
# request (.ci/eval-remote.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${SHARED:-../shared}
RUNS=${1:-5}
CHECK=${CHECK:-0}
FAILED=0
cargo build --release --quiet
BIN=$PWD/target/release/transmem
WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

python3 - "$SHARED" "$WORK" <<'EOF'
import json, os, random, sys
shared, work = sys.argv[1], sys.argv[2]
rng = random.Random(24)
pairs_path = f"{shared}/data/tm-enru/en_ru_pairs.tsv"
docs_path = f"{shared}/data/news-enru/docs.jsonl"
if os.path.exists(pairs_path) and os.path.exists(docs_path):
    pairs = []
    for line in open(pairs_path, encoding="utf-8"):
        p = line.rstrip("\n").split("\t")
        if len(p) == 2 and p[0].strip() and p[1].strip():
            pairs.append((p[0], p[1]))
    docs = [json.loads(l) for l in open(docs_path, encoding="utf-8")]
    news_en = [s for d in docs for s in d["en"]]
    news_ru = [s for d in docs for s in d["ru"]]
    source = "tm-enru (memory), news-enru (article)"
else:
    words = ("minister talks city council river bridge market price report week government "
             "school hospital road police court election budget harbour factory museum train").split()
    def sent():
        return " ".join(rng.choice(words) for _ in range(rng.randint(6, 14))).capitalize() + f" {rng.randint(1, 999)}."
    pairs = [(sent(), "Перевод " + str(i) + ".") for i in range(20000)]
    news_en = [sent() for _ in range(1000)]
    news_ru = ["Предложение " + str(i) + "." for i in range(1000)]
    source = "synthetic (no ../shared)"
with open(f"{work}/memory.tsv", "w", encoding="utf-8") as f:
    for en, ru in pairs:
        f.write(f"{en}\t{ru}\n")
long = [p[0] for p in pairs if len(p[0].split()) >= 6]
picked = rng.sample(long, 500)
def edit(s):
    w = s.split()
    i = rng.randrange(len(w))
    w[i] = "remarkably" if w[i] != "remarkably" else "notably"
    return " ".join(w)
article = rng.sample(news_en, 500) + picked[:300] + [edit(s) for s in picked[300:]]
rng.shuffle(article)
with open(f"{work}/article.en.txt", "w", encoding="utf-8") as f:
    for i, s in enumerate(article):
        f.write(s.replace("\n", " ") + "\n")
        if i % 10 == 9:
            f.write("\n")
start = rng.randrange(0, len(news_en) - 500)
for side, sents in (("en", news_en), ("ru", news_ru)):
    with open(f"{work}/pair.{side}.txt", "w", encoding="utf-8") as f:
        for i, s in enumerate(sents[start:start + 500]):
            f.write(s.replace("\n", " ") + "\n")
            if i % 10 == 9:
                f.write("\n")
print(f"data: {source}; memory {len(pairs)} pairs")
EOF

MEM=$WORK/m.sqlite
"$BIN" --memory "$MEM" import --langs en,ru "$WORK/memory.tsv" 2>/dev/null
TOKEN=$("$BIN" --memory "$MEM" token create --role write --name bench 2>/dev/null)
"$BIN" --memory "$MEM" serve --listen 127.0.0.1:0 2>"$WORK/serve.log" &
SERVER_PID=$!
for _ in $(seq 100); do grep -q "listening on" "$WORK/serve.log" && break; sleep 0.1; done
URL="http://$(grep -o 'listening on http://[^ ]*' "$WORK/serve.log" | sed 's|listening on http://||')"
export TRANSMEM_TOKEN=$TOKEN

requests() { grep -c ' /api/v1/' "$WORK/serve.log" || true; }
now() { date +%s.%N; }

# One timed run: prints seconds.
timed() {
    local t0 t1
    t0=$(now)
    "$@" >/dev/null 2>"$WORK/err" || { cat "$WORK/err" >&2; exit 1; }
    t1=$(now)
    python3 -c "print(f'{$t1 - $t0:.4f}')"
}

median() { python3 -c "import statistics,sys; print(f'{statistics.median(float(x) for x in sys.argv[1:]):.3f}')" "$@"; }

SEGMENTS=$("$BIN" --memory "$MEM" analyze --from en --to ru --format json "$WORK/article.en.txt" 2>/dev/null \
    | python3 -c "import json,sys; t=json.load(sys.stdin)['total']; print(sum(v['segments'] for v in t.values()))")
echo "article: $SEGMENTS segments; server $URL over the same file"

for cmd in analyze pretranslate; do
    args=(--from en --to ru "$WORK/article.en.txt")
    # Warm-up: the local index is built and the server's matcher loaded.
    "$BIN" --memory "$MEM" "$cmd" "${args[@]}" >/dev/null 2>&1
    "$BIN" --memory "$URL" "$cmd" "${args[@]}" >/dev/null 2>&1
    local_t=() remote_t=() sent=()
    for _ in $(seq "$RUNS"); do
        local_t+=("$(timed "$BIN" --memory "$MEM" "$cmd" "${args[@]}")")
        before=$(requests)
        remote_t+=("$(timed "$BIN" --memory "$URL" "$cmd" "${args[@]}")")
        sent+=("$(( $(requests) - before ))")
    done
    l=$(median "${local_t[@]}")
    r=$(median "${remote_t[@]}")
    ratio=$(python3 -c "print(f'{$r / $l:.2f}')")
    echo "$cmd: local median ${l} s, remote median ${r} s, ratio ${ratio}x (target <= 2); requests per remote run: ${sent[*]}; load average $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "  local runs: ${local_t[*]}"
    echo "  remote runs: ${remote_t[*]}"
    most=$(( (SEGMENTS + 999) / 1000 ))
    python3 -c "import sys; sys.exit(0 if $r <= 2 * $l else 1)" || { echo "  MISSED: remote over 2x local"; FAILED=1; }
    for n in "${sent[@]}"; do
        [ "$n" -le "$most" ] || { echo "  MISSED: $n requests for $SEGMENTS segments"; FAILED=1; }
    done
done

# align --store of a 500-link pair into an empty served memory.
EMPTY=$WORK/empty.sqlite
TOKEN2=$("$BIN" --memory "$EMPTY" token create --role write --name bench 2>/dev/null)
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
"$BIN" --memory "$EMPTY" serve --listen 127.0.0.1:0 2>"$WORK/serve.log" &
SERVER_PID=$!
for _ in $(seq 100); do grep -q "listening on" "$WORK/serve.log" && break; sleep 0.1; done
URL="http://$(grep -o 'listening on http://[^ ]*' "$WORK/serve.log" | sed 's|listening on http://||')"
before=$(requests)
t=$(TRANSMEM_TOKEN=$TOKEN2 timed "$BIN" --memory "$URL" align --from en --to ru --store --force "$WORK/pair.en.txt" "$WORK/pair.ru.txt")
sent=$(( $(requests) - before ))
links=$("$BIN" --memory "$EMPTY" units --count)
tl=$(timed "$BIN" --memory "$WORK/local.sqlite" align --from en --to ru --store --force "$WORK/pair.en.txt" "$WORK/pair.ru.txt")
echo "align --store: $links units stored through the server in $sent request(s): $(grep ' /api/v1/' "$WORK/serve.log" | awk '{print $2, $3}' | paste -sd, -) (target: one); ${t} s remote, ${tl} s local; load average $(cut -d' ' -f1-3 /proc/loadavg)"
[ "$sent" -eq 1 ] || { echo "  MISSED: the alignment took $sent requests"; FAILED=1; }
if [ "$CHECK" = 1 ] && [ "$FAILED" = 1 ]; then exit 1; fi
