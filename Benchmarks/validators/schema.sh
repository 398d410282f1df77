#!/usr/bin/env bash
# Schema validation benchmark (issue 6): lineage's Table Schema validator on a generated 1 GiB CSV
# against `frictionless validate` on the same kind of data, in the same run.
# Targets: lineage >= 150 MB/s, and >= 20x frictionless.
#
#   bash Benchmarks/validators/schema.sh [--size-mib N] [--slice-mib M] [--reps R] [--no-frictionless] [--keep]
#
# The CSV (ids, integers, decimals, dates, datetimes, booleans, an enum, names, quoted free text,
# about one bad value per 100,000 cells; schema with unique/primary key, bounds, enum, maxLength)
# is written by `lineage-bench-validators schema --generate` under /dev/shm (or /tmp), and deleted
# at exit unless --keep. lineage validates the whole file, best of R runs (default 3), timed
# in-process (schema loading and process start-up excluded). frictionless would take a long time
# on 1 GiB, so it validates the first M MiB (default 32, cut at a line end) once, timed around the
# process; its MB/s is that slice's size over its wall time. Both validate with no error limit.
# Wall-clock MB/s decides PASS/MISS; CPU-second MB/s and the load average are printed too, because
# on a shared 2-core machine other work stretches wall time.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)

SIZE_MIB=1024 SLICE_MIB=32 REPS=3 FRICTIONLESS=1 KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --size-mib) SIZE_MIB=$2; shift 2 ;;
    --slice-mib) SLICE_MIB=$2; shift 2 ;;
    --reps) REPS=$2; shift 2 ;;
    --no-frictionless) FRICTIONLESS=0; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "usage: $0 [--size-mib N] [--slice-mib M] [--reps R] [--no-frictionless] [--keep]" >&2; exit 64 ;;
  esac
done

echo "building lineage-bench-validators (release)…" >&2
swift build -c release --scratch-path "$ROOT/.build-schema-release" --product lineage-bench-validators >/dev/null
BIN="$(swift build -c release --scratch-path "$ROOT/.build-schema-release" --show-bin-path)/lineage-bench-validators"

BASE=/dev/shm
[ -d "$BASE" ] && [ -w "$BASE" ] || BASE=/tmp
WORK=$(mktemp -d "$BASE/lineage-schema-bench.XXXXXX")
if [ "$KEEP" = 1 ]; then trap 'echo "kept $WORK" >&2' EXIT; else trap 'rm -rf "$WORK"' EXIT; fi
CSV="$WORK/data.csv" SCHEMA="$WORK/data.schema.json"

echo "generating a ${SIZE_MIB} MiB CSV in $WORK…" >&2
"$BIN" schema --generate "$CSV" --size-mib "$SIZE_MIB" --schema-out "$SCHEMA" >&2
BYTES=$(stat -c %s "$CSV")

echo "schema benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
OURS=$("$BIN" schema --file "$CSV" --schema "$SCHEMA" --reps "$REPS")
echo "  lineage:      $(echo "$OURS" | head -1)"
MBPS=$(echo "$OURS" | awk '/^MBPS/ {print $2}')
CPU_MBPS=$(echo "$OURS" | awk '/^CPU_MBPS/ {print $2}')

FMBPS="" FCPU_MBPS=""
if [ "$FRICTIONLESS" = 1 ]; then
  if command -v frictionless >/dev/null; then
    # The first SLICE_MIB MiB, ending at a line end (the generated text has no quoted newlines).
    head -c "$((SLICE_MIB * 1048576))" "$CSV" | sed '$d' > "$WORK/slice.csv"
    cp "$SCHEMA" "$WORK/slice.schema.json"
    SLICE_BYTES=$(stat -c %s "$WORK/slice.csv")
    # frictionless refuses absolute paths ("not safe"): run it in the directory.
    START=$(date +%s.%N)
    ( cd "$WORK" && /usr/bin/time -f "%U %S" -o "$WORK/ftime" \
        frictionless validate --json --limit-errors 0 slice.csv --schema slice.schema.json > "$WORK/slice.json" ) || true
    END=$(date +%s.%N)
    FSEC=$(echo "$END - $START" | bc -l)
    # GNU time adds "Command exited with non-zero status 1" when the data has errors: last line.
    FCPU=$(tail -1 "$WORK/ftime" | awk '{print $1 + $2}')
    read -r FROWS FERRORS < <(python3 -c "import json,sys; r=json.load(open(sys.argv[1])); t=r['tasks'][0]; print(t['stats'].get('rows', 0), len(t['errors']))" "$WORK/slice.json")
    FMBPS=$(echo "$SLICE_BYTES / $FSEC / 1000000" | bc -l)
    FCPU_MBPS=$(echo "$SLICE_BYTES / $FCPU / 1000000" | bc -l)
    printf "  frictionless: first %d MiB slice (%d bytes, %d rows, %d errors): %.1f s wall (%.1f s CPU), %.2f MB/s\n" \
      "$SLICE_MIB" "$SLICE_BYTES" "$FROWS" "$FERRORS" "$FSEC" "$FCPU" "$FMBPS"
    echo "                (timed on a slice, not the whole ${SIZE_MIB} MiB: its MB/s is the slice's size over its time)"
  else
    echo "  frictionless: not installed (pip install frictionless) — ratio not measured"
  fi
fi

verdict() { if [ "$(echo "$1 >= $2" | bc -l)" = 1 ]; then echo PASS; else echo MISS; fi; }
echo
printf "  %-36s %10s %12s %8s\n" "" "wall" "CPU-second" "target"
printf "  %-36s %7.1f MB/s %7.1f MB/s %8s  %s\n" "lineage schema validate (${SIZE_MIB} MiB)" "$MBPS" "$CPU_MBPS" ">=150" "$(verdict "$MBPS" 150)"
if [ -n "$FMBPS" ]; then
  RATIO=$(echo "$MBPS / $FMBPS" | bc -l)
  CPU_RATIO=$(echo "$CPU_MBPS / $FCPU_MBPS" | bc -l)
  printf "  %-36s %7.2f MB/s %7.2f MB/s\n" "frictionless validate (${SLICE_MIB} MiB slice)" "$FMBPS" "$FCPU_MBPS"
  printf "  %-36s %8.1fx %11.1fx %8s  %s\n" "ratio lineage / frictionless" "$RATIO" "$CPU_RATIO" ">=20x" "$(verdict "$RATIO" 20)"
fi
