#!/usr/bin/env bash
# Before/after throughput of the validators' readers (issue 16, "one table reader"): two builds
# of lineage-bench-validators on the same generated data, run alternately (A B A B ...) so that
# load on the shared machine hits both alike. Prints, per benchmark, the best of each binary and
# the ratio (> 1: the second binary is faster), for wall-clock figures and for CPU seconds.
#
#   bash Benchmarks/validators/compare.sh BEFORE_BIN AFTER_BIN [--schema-mib N] [--pii-mb N] [--rounds R]
#
# Benchmarks: schema validation of a generated CSV (comma; semicolon declared; gzip) — the
# streaming reader; leakage (2,000,000 / 500,000 rows) — the memory-mapped reader; PII scan of a
# CSV (mapped, fused with the matcher) and a text file. Each binary's figure is its best of
# R rounds (default 3); the data lives in a mktemp directory under /dev/shm (or /tmp), deleted at exit.
# Build a binary with: swift build -c release --scratch-path .build-bench --product lineage-bench-validators
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 BEFORE_BIN AFTER_BIN [--schema-mib N] [--pii-mb N] [--rounds R]" >&2; exit 64; }
A=$1 B=$2; shift 2
SCHEMA_MIB=512 PII_MB=256 ROUNDS=3
while [ $# -gt 0 ]; do
  case "$1" in
    --schema-mib) SCHEMA_MIB=$2; shift 2 ;;
    --pii-mb) PII_MB=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    *) echo "usage: $0 BEFORE_BIN AFTER_BIN [--schema-mib N] [--pii-mb N] [--rounds R]" >&2; exit 64 ;;
  esac
done
BASE=/dev/shm
[ -d "$BASE" ] && [ -w "$BASE" ] || BASE=/tmp
WORK=$(mktemp -d "$BASE/lineage-reader-compare.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

"$A" schema --generate "$WORK/data.csv" --size-mib "$SCHEMA_MIB" --schema-out "$WORK/s.json" >/dev/null
tr ',' ';' < "$WORK/data.csv" > "$WORK/semi.csv"
gzip -1 -k "$WORK/data.csv"
python3 - "$WORK" <<'PY'
import json, sys
d = sys.argv[1]
s = json.load(open(d + "/s.json"))
json.dump({"dialect": {"delimiter": ";"}, "schema": s}, open(d + "/semi.json", "w"))
PY
"$A" leakage --generate "$WORK" >/dev/null
mkdir -p "$WORK/pii"
"$A" pii --generate "$WORK/pii" --mb "$PII_MB" >/dev/null

# measure BIN WHAT: "FIGURE CPU" — the tool's own figure (MB/s wall, or seconds wall for leakage)
# and the process's CPU seconds (user + sys, from /usr/bin/time), which load on the machine
# stretches far less than wall time.
declare -A BEST CPU
measure() {
  local bin=$1 what=$2 out figure
  case "$what" in
    schema-comma) set -- schema --file "$WORK/data.csv" --schema "$WORK/s.json" --reps 1 ;;
    schema-semicolon) set -- schema --file "$WORK/semi.csv" --schema "$WORK/semi.json" --reps 1 ;;
    schema-gzip) set -- schema --file "$WORK/data.csv.gz" --schema "$WORK/s.json" --reps 1 ;;
    leakage) set -- leakage --train "$WORK/train.csv" --test "$WORK/test.csv" --key id ;;
    pii-csv) set -- pii --file "$WORK/pii/corpus.csv" --reps 1 ;;
    pii-text) set -- pii --file "$WORK/pii/corpus.txt" --reps 1 ;;
  esac
  out=$(/usr/bin/time -f 'CPUTIME %U %S' "$bin" "$@" 2>&1)
  case "$what" in
    schema-*) figure=$(echo "$out" | awk '/^MBPS/ {print $2}') ;;
    leakage) figure=$(echo "$out" | sed -n 's/.*RESULT seconds=\([0-9.]*\).*/\1/p') ;;
    pii-*) figure=$(echo "$out" | sed -n 's/.*RESULT mb_per_s=\([0-9]*\).*/\1/p') ;;
  esac
  echo "$figure $(echo "$out" | awk '/^CPUTIME/ {printf "%.2f", $2 + $3}')"
}
BENCHES="schema-comma schema-semicolon schema-gzip leakage pii-csv pii-text"
echo "reader comparison, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "  before: $A"
echo "  after:  $B"
for r in $(seq 1 "$ROUNDS"); do
  for what in $BENCHES; do
    for side in A B; do
      bin=$A; [ "$side" = B ] && bin=$B
      read -r v c <<<"$(measure "$bin" "$what")"
      k="$what.$side"
      if [ -z "${BEST[$k]:-}" ]; then BEST[$k]=$v; CPU[$k]=$c; continue; fi
      if [ "$what" = leakage ]; then BEST[$k]=$(awk -v a="$v" -v b="${BEST[$k]}" 'BEGIN { print (a < b) ? a : b }')
      else BEST[$k]=$(awk -v a="$v" -v b="${BEST[$k]}" 'BEGIN { print (a > b) ? a : b }'); fi
      CPU[$k]=$(awk -v a="$c" -v b="${CPU[$k]}" 'BEGIN { print (a < b) ? a : b }')
    done
  done
done
echo "best of $ROUNDS rounds each; wall: the tool's figure; CPU: the process's user+sys seconds (lower is better)"
printf '%-18s %12s %12s %8s %9s %9s %8s\n' benchmark "wall before" "wall after" ratio "CPU before" "CPU after" ratio
for what in $BENCHES; do
  a=${BEST[$what.A]} b=${BEST[$what.B]} ca=${CPU[$what.A]} cb=${CPU[$what.B]}
  if [ "$what" = leakage ]; then unit=" s"; r=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", a / b }')
  else unit=" MB/s"; r=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", b / a }'); fi
  printf '%-18s %12s %12s %7sx %8ss %8ss %7sx\n' "$what" "$a$unit" "$b$unit" "$r" "$ca" "$cb" "$(awk -v a="$ca" -v b="$cb" 'BEGIN { printf "%.3f", a / b }')"
done
echo "(ratio > 1: after is faster)"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
