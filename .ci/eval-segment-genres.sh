#!/usr/bin/env bash
# Five-genre sentence boundaries (issue 26): transmem's boundary F1 on our
# own written paragraphs (tests/fixtures/segment/genres/: news, encyclopedia,
# forum and e-mail, social media, fiction and speech; en and ru) must be at
# least the best of pySBD, razdel, Moses sentence-splitter, segtok and a
# Punkt trained at run time on ../shared text, on every set
# (scripts/sbd_genres.py --fail-below-best). The peers are installed from
# PyPI into target/sbd-venv (not committed). About 20 s plus the install.
# Usage: .ci/eval-segment-genres.sh SHARED_DIR   (target/release/transmem built)
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/skip.sh"
SHARED=${1:-../shared}
cd "$(dirname "$0")/.."
if [ ! -d "$SHARED/data" ]; then
  skip "segment genres: $SHARED/data missing (Punkt's training text)"
fi
VENV=target/sbd-venv
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import pysbd, razdel, sentence_splitter, segtok, nltk" 2>/dev/null; then
  python3 -m venv "$VENV" && "$VENV/bin/pip" install -q pysbd==0.3.4 razdel==0.5.0 \
    sentence-splitter==1.4 segtok==1.5.11 nltk==3.10.4 \
    || skip "segment genres: the peers could not be installed from PyPI"
fi
"$VENV/bin/python" scripts/sbd_genres.py --bin target/release/transmem --shared "$SHARED" \
  --require-peers --fail-below-best
