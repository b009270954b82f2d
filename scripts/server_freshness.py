#!/usr/bin/env python3
"""Freshness across server processes (transmem issue 11): two `transmem serve`
processes on one memory; a unit written through A is looked up through B
right after, and the time of that lookup is printed (it includes B's stamp
check and reading the new variant into its small second index).

  scripts/server_freshness.py BINARY MEMORY WRITE_TOKEN [ROUNDS]

Example (100k units from the team's generator, release build):
  python3 ../shared/eval/tm_bench_data.py --pairs ../shared/data/tm-enru/en_ru_pairs.tsv \\
      --size 100000 --queries 10 --out /tmp/fresh/data
  B=target/release/transmem; $B --memory /tmp/fresh/m.sqlite import /tmp/fresh/data/memory.tsv
  scripts/server_freshness.py $B /tmp/fresh/m.sqlite "$($B --memory /tmp/fresh/m.sqlite token create --role write)"
"""
import json, re, statistics, subprocess, sys, threading, time, urllib.request

B, MEM, TOK = sys.argv[1], sys.argv[2], sys.argv[3]
ROUNDS = int(sys.argv[4]) if len(sys.argv) > 4 else 5


def start():
    p = subprocess.Popen([B, "--memory", MEM, "serve", "--listen", "127.0.0.1:0", "--anonymous-read"],
                         stderr=subprocess.PIPE, text=True)
    addr = re.search(r"http://(\S+)", p.stderr.readline()).group(1)
    threading.Thread(target=lambda: [None for _ in p.stderr], daemon=True).start()
    return p, "http://" + addr


def post(base, path, body, tok=None):
    headers = {"Content-Type": "application/json"}
    if tok:
        headers["Authorization"] = "Bearer " + tok
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(), headers=headers)
    with urllib.request.urlopen(req, timeout=120) as r:
        return json.load(r)


(pa, a), (pb, b) = start(), start()
try:
    for base in (a, b):
        t = time.time()
        post(base, "/api/v1/lookup", {"from": "en", "to": "ru", "text": "The first lookup loads the index."})
        print("first lookup (index load): %.2f s" % (time.time() - t))
    took = []
    for i in range(ROUNDS):
        en = f"The lighthouse keeper number {i} counted {i * 7} ships at dawn."
        post(a, "/api/v1/units", {"units": [{"variants": [
            {"lang": "en", "text": en}, {"lang": "ru", "text": f"Смотритель маяка {i}."}]}]}, TOK)
        t = time.time()
        r = post(b, "/api/v1/lookup", {"from": "en", "to": "ru", "text": en})
        took.append((time.time() - t) * 1000)
        if not any(m["source"] == en for m in r["matches"]):
            sys.exit(f"FAIL: unit {i} written through A not found through B")
    print("write through A, next lookup through B: median %.1f ms, max %.1f ms (%d rounds), all found"
          % (statistics.median(took), max(took), ROUNDS))
    # An edit is a rewrite, not an append: B reloads its main index.
    req = urllib.request.Request(a + "/api/v1/units/1", method="PUT",
                                 data=json.dumps({"lang": "ru", "text": "Отредактировано."}).encode(),
                                 headers={"Content-Type": "application/json", "Authorization": "Bearer " + TOK})
    urllib.request.urlopen(req, timeout=120).read()
    t = time.time()
    post(b, "/api/v1/lookup", {"from": "en", "to": "ru", "text": "The first lookup after an edit."})
    print("edit through A, next lookup through B (main index reloaded): %.0f ms" % ((time.time() - t) * 1000))
finally:
    pa.kill()
    pb.kill()
