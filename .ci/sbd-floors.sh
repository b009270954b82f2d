# Sourced by .ci/eval-segment.sh and .ci/eval-segment-unseen.sh (not an
# eval of its own: .ci/evals runs only .ci/eval-*.sh).
# sbd_floors NAME OUTPUT MIN_EN MIN_RU: reads sbd_eval.py's "en: … = N%"
# and "ru: … = N%" lines from OUTPUT, prints a verdict line, and returns
# non-zero when either language is below its floor.
sbd_floors() {
  local name=$1 out=$2 min_en=$3 min_ru=$4 en ru
  en=$(echo "$out" | sed -n 's/^en: .* = \([0-9.]*\)%$/\1/p')
  ru=$(echo "$out" | sed -n 's/^ru: .* = \([0-9.]*\)%$/\1/p')
  python3 - "$name" "$en" "$ru" "$min_en" "$min_ru" <<'PY'
import sys
name = sys.argv[1]
en, ru, min_en, min_ru = (float(x or 0) for x in sys.argv[2:])
ok = en >= min_en and ru >= min_ru
print(f"{'ok  ' if ok else 'FAIL'} {name}: en {en} (floor {min_en}), ru {ru} (floor {min_ru})")
sys.exit(0 if ok else 1)
PY
}
