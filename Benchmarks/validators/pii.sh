#!/usr/bin/env bash
# PII scan benchmark: scans a generated CSV (customer-like rows) and a text file (log-like lines),
# each with a sprinkling of PII, in-process, best of 3 with a warm page cache. Target: >= 200 MB/s.
#
#   bash Benchmarks/validators/pii.sh [--mb N] [--threads T] [--keep]
#
# Data goes to a mktemp directory under /tmp (2 x N MB, default 256), deleted at exit unless --keep.
set -euo pipefail
cd "$(dirname "$0")/../.."

MB=256 THREADS="" KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --mb) MB=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    *) echo "usage: $0 [--mb N] [--threads T] [--keep]" >&2; exit 64 ;;
  esac
done

echo "building (release) ..." >&2
swift build -c release --scratch-path .build-leak-release --product lineage-bench-validators >/tmp/lineage-pii-build.log 2>&1 \
  || { tail -30 /tmp/lineage-pii-build.log; exit 1; }
BIN=.build-leak-release/release/lineage-bench-validators

WORK=$(mktemp -d /tmp/lineage-pii.XXXXXX)
if [ "$KEEP" = 1 ]; then echo "keeping $WORK" >&2; else trap 'rm -rf "$WORK"' EXIT; fi

"$BIN" pii --generate "$WORK" --mb "$MB"
echo "load average before the scans: $(cut -d' ' -f1-3 /proc/loadavg) (2 cores)"
ARGS=(pii --file "$WORK/corpus.csv" --file "$WORK/corpus.txt" --reps 3)
[ -n "$THREADS" ] && ARGS+=(--threads "$THREADS")
"$BIN" "${ARGS[@]}" | tee "$WORK/pii.out"
RATE=$(sed -n 's/.*RESULT mb_per_s=\([0-9]*\).*/\1/p' "$WORK/pii.out")
echo
if [ "$RATE" -ge 200 ]; then
  echo "PII scan: $RATE MB/s >= 200 MB/s: PASS"
else
  echo "PII scan: $RATE MB/s < 200 MB/s: MISS"; exit 1
fi
