#!/usr/bin/env bash
# Leakage benchmark: lineage's exact-overlap + key check against a pandas merge doing the same, in
# the same run, on a generated 2,000,000-row train / 500,000-row test split (10 columns).
# Targets: lineage <= 3 s and <= 1 GiB peak RSS; both tools must find the same overlap counts.
#
#   bash Benchmarks/validators/leakage.sh [--train-rows N] [--test-rows M] [--reps R] [--no-pandas] [--keep]
#
# Data goes to a mktemp directory under /tmp (about 200 MB), deleted at exit unless --keep.
# Each tool runs R times (default 3), best wall time kept; times are measured inside each process
# (reading both CSVs included, process start-up excluded). Peak RSS (largest of the runs) and CPU
# seconds (user + sys of the best run) come from /usr/bin/time -v. The load average is printed
# because on a shared 2-core machine other work stretches wall time; CPU seconds show the cost.
set -euo pipefail
cd "$(dirname "$0")/../.."

TRAIN_ROWS=2000000 TEST_ROWS=500000 PANDAS=1 KEEP=0 REPS=3
while [ $# -gt 0 ]; do
  case "$1" in
    --train-rows) TRAIN_ROWS=$2; shift 2 ;;
    --test-rows) TEST_ROWS=$2; shift 2 ;;
    --reps) REPS=$2; shift 2 ;;
    --no-pandas) PANDAS=0; shift ;;
    --keep) KEEP=1; shift ;;
    *) echo "usage: $0 [--train-rows N] [--test-rows M] [--reps R] [--no-pandas] [--keep]" >&2; exit 64 ;;
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
cpu_s() { awk -F': ' '/User time/ { u = $2 } /System time/ { s = $2 } END { printf "%.2f", u + s }' "$1"; }

# run NAME CMD...: REPS runs; keeps NAME_S (best seconds), NAME_CPU (its CPU), NAME_RSS (max), NAME_O, NAME_K.
run() {
  local name=$1; shift
  local best="" cpu="" rss=0 o="" k=""
  for r in $(seq 1 "$REPS"); do
    /usr/bin/time -v "$@" >"$WORK/$name.out" 2>"$WORK/$name.time" || { cat "$WORK/$name.out" "$WORK/$name.time"; exit 1; }
    cat "$WORK/$name.out"
    local s; s=$(field "$WORK/$name.out" seconds)
    local m; m=$(rss_mib "$WORK/$name.time")
    [ "$m" -gt "$rss" ] && rss=$m
    if [ -z "$best" ] || awk -v a="$s" -v b="$best" 'BEGIN { exit !(a < b) }'; then
      best=$s; cpu=$(cpu_s "$WORK/$name.time")
      o=$(field "$WORK/$name.out" overlap); k=$(field "$WORK/$name.out" key_overlap)
    fi
  done
  eval "${name}_S=$best ${name}_CPU=$cpu ${name}_RSS=$rss ${name}_O=$o ${name}_K=$k"
}

LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
run OURS "$BIN" leakage --train "$WORK/train.csv" --test "$WORK/test.csv" --key id

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
  run PD python3 "$WORK/pandas_overlap.py" "$WORK/train.csv" "$WORK/test.csv"
fi

echo
echo "leakage: train $TRAIN_ROWS rows, test $TEST_ROWS rows, 10 columns, ${SIZE_MB} MB; planted overlap $EXPECTED"
echo "best of $REPS; load average at start: $LOAD (2 cores)"
printf '%-20s %9s %9s %12s %12s %12s\n' tool seconds "CPU s" "peak RSS" row-overlap key-overlap
printf '%-20s %9s %9s %8s MiB %12s %12s\n' "lineage (release)" "$OURS_S" "$OURS_CPU" "$OURS_RSS" "$OURS_O" "$OURS_K"
if [ "$PANDAS" = 1 ]; then
  printf '%-20s %9s %9s %8s MiB %12s %12s\n' "pandas merge" "$PD_S" "$PD_CPU" "$PD_RSS" "$PD_O" "$PD_K"
  awk -v a="$PD_S" -v b="$OURS_S" -v c="$PD_CPU" -v d="$OURS_CPU" -v r="$PD_RSS" -v q="$OURS_RSS" \
    'BEGIN { printf "ratio pandas/lineage: wall %.1fx, CPU %.1fx, RSS %.1fx\n", a / b, c / d, r / q }'
fi
verdict() { if [ "$1" = 1 ]; then echo PASS; else echo MISS; fi; }
T_OK=$(awk -v s="$OURS_S" 'BEGIN { print (s <= 3.0) ? 1 : 0 }')
M_OK=$(awk -v m="$OURS_RSS" 'BEGIN { print (m <= 1024) ? 1 : 0 }')
C_OK=0
if [ "$OURS_O" = "$EXPECTED" ] && [ "$OURS_K" = "$EXPECTED" ]; then C_OK=1; fi
if [ "$PANDAS" = 1 ] && { [ "$PD_O" != "$OURS_O" ] || [ "$PD_K" != "$OURS_K" ]; }; then C_OK=0; fi
echo "time <= 3 s:        $(verdict "$T_OK")"
echo "peak RSS <= 1 GiB:  $(verdict "$M_OK")"
echo "counts agree:       $(verdict "$C_OK")"
[ "$T_OK$M_OK$C_OK" = 111 ] || exit 1
