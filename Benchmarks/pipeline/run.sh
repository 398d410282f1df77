#!/usr/bin/env bash
# Issue 17's pipeline benchmark: `lineage stage list` and `lineage repro --dry-run` on a pipeline of
# 200 stages over 100,000 tracked files with nothing changed, against `dvc status` on the same
# pipeline (the same `stages:` text as dvc.yaml) in the same run. Target: under 1 s.
#
#   bash Benchmarks/pipeline/run.sh [--stages S] [--files F] [--reps N] [--lineage DIR] [--no-peers]
#
# Stage i reads its own directory of F/S files (data/part_i) and, except at the start of each chain
# of ten, the output of stage i-1; it writes out/s_i.txt and declares the parameter s_i.k. Setting
# up (adding the files, the first `repro --single-commit`, the first `dvc repro`) is not timed.
# Each timed command is the best of N runs (default 3). --lineage DIR takes the lineage binary from
# DIR instead of building it (release, .build-release). dvc is the one on PATH, else
# Benchmarks/.venv/bin/dvc (Benchmarks/run.sh installs it there); without either the peer row is absent.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
STAGES=200 FILES=100000 REPS=3 BIN_DIR="" PEERS=1
while [ $# -gt 0 ]; do
    case "$1" in
        --stages) STAGES=$2; shift ;;
        --files) FILES=$2; shift ;;
        --reps) REPS=$2; shift ;;
        --lineage) BIN_DIR=$2; shift ;;
        --no-peers) PEERS="" ;;
        -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done
if [ -z "$BIN_DIR" ]; then
    swift build --package-path "$ROOT" -c release --scratch-path "$ROOT/.build-release" --product lineage >/dev/null
    BIN_DIR=$(swift build --package-path "$ROOT" -c release --scratch-path "$ROOT/.build-release" --show-bin-path)
fi
LINEAGE="$BIN_DIR/lineage"
DVC=""
if [ -n "$PEERS" ]; then
    if command -v dvc >/dev/null; then DVC=$(command -v dvc)
    elif [ -x "$ROOT/Benchmarks/.venv/bin/dvc" ]; then DVC="$ROOT/Benchmarks/.venv/bin/dvc"; fi
fi
if [ -z "${BENCH_TMPDIR:-}" ]; then
    if [ -d /dev/shm ]; then BENCH_TMPDIR=/dev/shm; else BENCH_TMPDIR="$ROOT/../tmp-bench"; fi
fi
WORK="$BENCH_TMPDIR/lineage-pipeline-$STAGES-$FILES"
rm -rf "$WORK"; mkdir -p "$WORK/lineage" "$WORK/dvc"
trap 'rm -rf "$WORK"' EXIT
export XDG_CONFIG_HOME="$WORK/config" DVC_NO_ANALYTICS=1

# The project: data, params.yaml, and the stages (lineage.yaml and dvc.yaml hold the same text).
python3 - "$WORK/lineage" "$STAGES" "$FILES" <<'PY'
import os, sys
root, stages, files = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
per = files // stages
for i in range(stages):
    d = os.path.join(root, "data", "part_%d" % i)
    os.makedirs(d)
    for j in range(per):
        with open(os.path.join(d, "f_%d.txt" % j), "w") as f: f.write("%d,%d\n" % (i, j))
with open(os.path.join(root, "params.yaml"), "w") as f:
    for i in range(stages): f.write("s_%d:\n  k: %d\n" % (i, i))
lines = ["stages:"]
for i in range(stages):
    chained = i % 10 != 0
    cmd = "mkdir -p out && ls data/part_%d | wc -l > out/s_%d.txt && echo ${s_%d.k} >> out/s_%d.txt" % (i, i, i, i)
    deps = ["data/part_%d" % i]
    if chained:
        cmd += " && cat out/s_%d.txt >> out/s_%d.txt" % (i - 1, i)
        deps.append("out/s_%d.txt" % (i - 1))
    lines += ["  s_%d:" % i, "    cmd: " + cmd, "    deps: [%s]" % ", ".join(deps), "    params: [s_%d.k]" % i, "    outs: [out/s_%d.txt]" % i]
text = "\n".join(lines) + "\n"
open(os.path.join(root, "lineage.yaml"), "w").write(text)
open(os.path.join(root, "dvc.yaml.txt"), "w").write(text)
PY
cp -r "$WORK/lineage/data" "$WORK/lineage/params.yaml" "$WORK/dvc/"
mv "$WORK/lineage/dvc.yaml.txt" "$WORK/dvc/dvc.yaml"

best() {  # best wall time in seconds of N runs of a command (its output discarded)
    local best="" t
    for _ in $(seq "$REPS"); do
        local s e
        s=$(date +%s.%N); "$@" >/dev/null 2>&1 || { echo "FAILED: $*" >&2; return 1; }; e=$(date +%s.%N)
        t=$(echo "$e - $s" | bc)
        if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" = 1 ]; then best=$t; fi
    done
    printf '%.3f' "$best"
}

echo "pipeline benchmark, $(date -u +%Y-%m-%d), $(nproc) cores: $STAGES stages over $FILES tracked files, nothing changed"
cd "$WORK/lineage"
"$LINEAGE" init -q >/dev/null
"$LINEAGE" config user.name Bench; "$LINEAGE" config user.email bench@example.org
"$LINEAGE" add -q data params.yaml lineage.yaml
"$LINEAGE" commit -q -m data >/dev/null
s=$(date +%s.%N); "$LINEAGE" repro -q --single-commit >/dev/null 2>&1; e=$(date +%s.%N)
printf '  setup: lineage repro --single-commit of %s stages took %.1f s (not timed below)\n' "$STAGES" "$(echo "$e - $s" | bc)"
stale=$("$LINEAGE" stage list --json | python3 -c 'import json,sys; print(sum(s["state"] != "fresh" for s in json.load(sys.stdin)["stages"]))')
[ "$stale" = 0 ] || { echo "run.sh: $stale stage(s) still stale after repro" >&2; exit 1; }
L1=$(best "$LINEAGE" stage list)
L2=$(best "$LINEAGE" repro --dry-run)
printf '  lineage stage list       %7s s   (target < 1 s: %s)\n' "$L1" "$([ "$(echo "$L1 < 1" | bc)" = 1 ] && echo PASS || echo MISS)"
printf '  lineage repro --dry-run  %7s s   (target < 1 s: %s)\n' "$L2" "$([ "$(echo "$L2 < 1" | bc)" = 1 ] && echo PASS || echo MISS)"
if [ -n "$DVC" ]; then
    cd "$WORK/dvc"
    "$DVC" init --no-scm -q
    s=$(date +%s.%N); "$DVC" repro -q >/dev/null 2>&1; e=$(date +%s.%N)
    printf '  setup: dvc repro of %s stages took %.1f s (not timed below)\n' "$STAGES" "$(echo "$e - $s" | bc)"
    D1=$(best "$DVC" status)
    printf '  dvc status               %7s s   lineage stage list = %.2fx, repro --dry-run = %.2fx of dvc status\n' "$D1" \
        "$(echo "$L1 / $D1" | bc -l)" "$(echo "$L2 / $D1" | bc -l)"
else
    echo "  dvc status: no dvc on PATH or in Benchmarks/.venv — peer not measured"
fi
