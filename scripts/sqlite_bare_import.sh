#!/usr/bin/env bash
# The SQLite engine's own bulk load, the baseline issue 27 measures
# `transmem import` against: the sqlite3 shell's .import of a TSV (header
# line skipped) into a bare two-column table of a new file DB, WAL and
# synchronous=NORMAL as transmem uses them. Used by scripts/matcher_bench.sh
# and .ci/eval-import.sh. Prints nothing; sqlite3's complaints go to stderr.
# Usage: scripts/sqlite_bare_import.sh DB TSV
set -euo pipefail
db=$1 tsv=$2
rm -f "$db" "$db"-wal "$db"-shm
# ascii mode: tab and newline separate, quotes are text (as in transmem's
# TSV); .mode tabs would treat '"' as CSV quoting.
sqlite3 "$db" >/dev/null <<SQL
PRAGMA journal_mode=WAL;
PRAGMA synchronous=NORMAL;
CREATE TABLE pairs(en TEXT, ru TEXT);
.mode ascii
.separator "\t" "\n"
.import --skip 1 $tsv pairs
SQL
