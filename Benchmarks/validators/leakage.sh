#!/usr/bin/env bash
# Leakage benchmark: lineage's exact-overlap + key check against a pandas merge doing the same, in
# the same run, on a generated 2,000,000-row train / 500,000-row test split (10 columns).
# Targets: lineage <= 3 s and <= 1 GiB peak RSS; both tools must find the same overlap counts.
#
#   bash Benchmarks/validators/leakage.sh [--train-rows N] [--test-rows M] [--no-pandas] [--keep]
#
# Data goes to a mktemp directory under /tmp (about 200 MB), deleted at exit unless --keep.
# Peak RSS of both sides comes from /usr/bin/time -v; times are wall clock inside each process
# (reading both CSVs included, process start-up excluded).
set -euo pipefail
cd "$(dirname "$0")/../.."

TRAIN_ROWS=2000000 TEST_ROWS=500000 PANDAS=1 KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --train-rows) TRAIN_ROWS=$2; shift 2 ;;
    --test-rows) TEST_ROWS=$2; shift 2 ;;
    --no-pandas) PANDAS=0; shift ;;
    --keep) KEEP=1; shift ;;
    *) echo "usage: $0 [--train-rows N] [--test-rows M] [--no-pandas] [--keep]" >&2; exit 64 ;;
  esac
done

if [ ! -x /usr/bin/time ]; then
  echo "installing GNU time (for peak RSS)" >&2
  apt-get install -y time >/dev/null
fi

echo "building (release) ..." >&2
swift build -c release --scratch-path .build-leak-release --product lineage-bench-validators >/tmp/lineage-leakage-build.log 2>&1 \
  || { tail -30 /tmp/lineage-leakage-build.log; exit 1; }
BIN=.build-leak-release/release/lineage-bench-validators

WORK=$(mktemp -d /tmp/lineage-leakage.XXXXXX)
if [ "$KEEP" = 1 ]; then echo "keeping $WORK" >&2; else trap 'rm -rf "$WORK"' EXIT; fi

"$BIN" leakage --generate "$WORK" --train-rows "$TRAIN_ROWS" --test-rows "$TEST_ROWS" | tee "$WORK/generate.out"
EXPECTED=$(sed -n 's/.*overlap=\([0-9]*\).*/\1/p' "$WORK/generate.out")
cat "$WORK/train.csv" "$WORK/test.csv" >/dev/null   # warm page cache for both tools
SIZE_MB=$(du -cm "$WORK/train.csv" "$WORK/test.csv" | tail -1 | cut -f1)

field() { sed -n "s/.*RESULT.*$2=\([0-9.]*\).*/\1/p" "$1"; }
rss_mib() { awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$1"; }

/usr/bin/time -v "$BIN" leakage --train "$WORK/train.csv" --test "$WORK/test.csv" --key id >"$WORK/ours.out" 2>"$WORK/ours.time" \
  || { cat "$WORK/ours.out" "$WORK/ours.time"; exit 1; }
cat "$WORK/ours.out"
OURS_S=$(field "$WORK/ours.out" seconds); OURS_O=$(field "$WORK/ours.out" overlap); OURS_K=$(field "$WORK/ours.out" key_overlap)
OURS_RSS=$(rss_mib "$WORK/ours.time")

if [ "$PANDAS" = 1 ]; then
  python3 -c 'import pandas' 2>/dev/null || { echo "installing pandas" >&2; pip install -q pandas; }
  cat >"$WORK/pandas_overlap.py" <<'PY'
import sys, time
import pandas as pd
t0 = time.perf_counter()
train = pd.read_csv(sys.argv[1])
test = pd.read_csv(sys.argv[2])
# Exact overlap: test rows equal to some train row on every column (train de-duplicated so each
# test row counts once), and key overlap on id.
overlap = len(test.merge(train.drop_duplicates(), how="inner", on=list(test.columns)))
key = int(test["id"].isin(train["id"]).sum())
print(f"RESULT seconds={time.perf_counter() - t0:.3f} overlap={overlap} key_overlap={key} pandas={pd.__version__}")
PY
  /usr/bin/time -v python3 "$WORK/pandas_overlap.py" "$WORK/train.csv" "$WORK/test.csv" >"$WORK/pandas.out" 2>"$WORK/pandas.time" \
    || { cat "$WORK/pandas.out" "$WORK/pandas.time"; exit 1; }
  cat "$WORK/pandas.out"
  PD_S=$(field "$WORK/pandas.out" seconds); PD_O=$(field "$WORK/pandas.out" overlap); PD_K=$(field "$WORK/pandas.out" key_overlap)
  PD_RSS=$(rss_mib "$WORK/pandas.time")
fi

echo
echo "leakage: train $TRAIN_ROWS rows, test $TEST_ROWS rows, 10 columns, ${SIZE_MB} MB; planted overlap $EXPECTED"
printf '%-22s %10s %12s %12s %12s\n' tool seconds "peak RSS" row-overlap key-overlap
printf '%-22s %10s %9s MiB %12s %12s\n' "lineage (release)" "$OURS_S" "$OURS_RSS" "$OURS_O" "$OURS_K"
STATUS=0
if [ "$PANDAS" = 1 ]; then
  printf '%-22s %10s %9s MiB %12s %12s\n' "pandas merge" "$PD_S" "$PD_RSS" "$PD_O" "$PD_K"
  awk -v a="$PD_S" -v b="$OURS_S" -v r="$PD_RSS" -v q="$OURS_RSS" \
    'BEGIN { printf "ratio pandas/lineage: time %.1fx, RSS %.1fx\n", a / b, r / q }'
fi
verdict() { if [ "$1" = 1 ]; then echo PASS; else echo MISS; STATUS=1; fi; }
T_OK=$(awk -v s="$OURS_S" 'BEGIN { print (s <= 3.0) ? 1 : 0 }')
M_OK=$(awk -v m="$OURS_RSS" 'BEGIN { print (m <= 1024) ? 1 : 0 }')
C_OK=0
if [ "$OURS_O" = "$EXPECTED" ] && [ "$OURS_K" = "$EXPECTED" ]; then C_OK=1; fi
if [ "$PANDAS" = 1 ] && { [ "$PD_O" != "$OURS_O" ] || [ "$PD_K" != "$OURS_K" ]; }; then C_OK=0; fi
echo "time <= 3 s:        $(verdict "$T_OK")"
echo "peak RSS <= 1 GiB:  $(verdict "$M_OK")"
echo "counts agree:       $(verdict "$C_OK")"
[ "$T_OK$M_OK$C_OK" = 111 ] || exit 1
