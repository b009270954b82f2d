#!/usr/bin/env bash
# Formats eval (issue 6): every TMX under $1/data/tmx imports with the unit
# count INVENTORY.json gives, and each re-export is DTD-valid (when xmllint
# exists) and re-imports to the same units. Exits non-zero on a regression.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/skip.sh"
shared=${1:-../shared}
if [[ ! -d $shared/data/tmx ]]; then
    skip "eval-formats: no $shared/data/tmx"
fi
cd "$(dirname "$0")/.."
python3 scripts/tmx_inventory_check.py "$shared" --bin target/release/transmem
