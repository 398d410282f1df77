#!/usr/bin/env bash
# Dialect/encoding/compression throughput (issue 20): the schema validator on one generated CSV
# read four ways — plain comma RFC 4180 UTF-8, the same rows semicolon-delimited (declared in a
# resource description), the comma file gzipped (MB/s of decompressed data), and the comma file
# declared ISO-8859-1 (decoded to UTF-8 as it is read). Targets: semicolon as fast as comma;
# gzip >= 100 MB/s decompressed.
#
#   bash Benchmarks/validators/dialects.sh [--size-mib N] [--reps R] [--keep]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
SIZE_MIB=256 REPS=3 KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --size-mib) SIZE_MIB=$2; shift 2 ;;
    --reps) REPS=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    *) echo "usage: $0 [--size-mib N] [--reps R] [--keep]" >&2; exit 64 ;;
  esac
done
echo "building lineage-bench-validators (release)…" >&2
swift build -c release --product lineage-bench-validators >/dev/null
BIN="$(swift build -c release --show-bin-path)/lineage-bench-validators"
BASE=/dev/shm
[ -d "$BASE" ] && [ -w "$BASE" ] || BASE=/tmp
WORK=$(mktemp -d "$BASE/lineage-dialect-bench.XXXXXX")
if [ "$KEEP" = 1 ]; then trap 'echo "kept $WORK" >&2' EXIT; else trap 'rm -rf "$WORK"' EXIT; fi
"$BIN" schema --generate "$WORK/data.csv" --size-mib "$SIZE_MIB" --schema-out "$WORK/s.json" >&2
# The generated text has no ';', so swapping every ',' keeps the rows (quoted commas become quoted semicolons).
tr ',' ';' < "$WORK/data.csv" > "$WORK/semi.csv"
gzip -6 -k "$WORK/data.csv"
python3 - "$WORK" <<'PY'
import json, sys
d = sys.argv[1]
s = json.load(open(d + "/s.json"))
json.dump({"dialect": {"delimiter": ";"}, "schema": s}, open(d + "/semi.json", "w"))
json.dump({"encoding": "iso-8859-1", "schema": s}, open(d + "/latin.json", "w"))
PY
echo "dialect benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "  comma:      $("$BIN" schema --file "$WORK/data.csv" --schema "$WORK/s.json" --reps "$REPS" | head -1)"
echo "  semicolon:  $("$BIN" schema --file "$WORK/semi.csv" --schema "$WORK/semi.json" --reps "$REPS" | head -1)"
echo "  gzip:       $("$BIN" schema --file "$WORK/data.csv.gz" --schema "$WORK/s.json" --reps "$REPS" | head -1)"
echo "  iso-8859-1: $("$BIN" schema --file "$WORK/data.csv" --schema "$WORK/latin.json" --reps "$REPS" | head -1)"
