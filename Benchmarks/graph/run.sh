#!/usr/bin/env bash
# Issue 4's graph benchmarks: trace and impact on a synthetic graph of 1,000,000 artifact
# versions and 300,000 runs, and `reindex` throughput on a real signed history.
#
#   bash Benchmarks/graph/run.sh [--artifacts N] [--runs M] [--history R] [--lineage DIR] [--reuse]
#
# --lineage DIR takes the lineage and lineage-bench-graph binaries from DIR instead of building
# them. --reuse keeps the synthetic index ($BENCH_TMPDIR/lineage-graph-N) after the run and queries
# it again next time instead of rebuilding it (same shape only; the timed queries are the same).
#
# trace/impact are timed in-process by `lineage-bench-graph` (Benchmarks/GraphGenerator), which
# writes the synthetic graph straight into the index (see its header for the shape). reindex runs
# on B6's history ($BENCH_TMPDIR/lineage-b6-10000, made by Benchmarks/verify/run.sh) when present.
# The ratio of trace against walking history commit by commit is measured on a real signed history
# of R runs (default 2,000) made with `lineage run`'s library API.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
ARTIFACTS=1000000 RUNS=300000 HISTORY=2000 BIN_DIR="" REUSE=""
while [ $# -gt 0 ]; do
    case "$1" in
        --artifacts) ARTIFACTS=$2; shift ;;
        --runs) RUNS=$2; shift ;;
        --history) HISTORY=$2; shift ;;
        --lineage) BIN_DIR=$2; shift ;;
        --reuse) REUSE=--reuse ;;
        -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done
if [ -z "$BIN_DIR" ]; then
    for product in lineage lineage-bench-graph; do
        swift build --package-path "$ROOT" -c release --scratch-path "$ROOT/.build-release" --product "$product" >/dev/null
    done
    BIN_DIR=$(swift build --package-path "$ROOT" -c release --scratch-path "$ROOT/.build-release" --show-bin-path)
fi
if [ -z "${BENCH_TMPDIR:-}" ]; then
    if [ -d /dev/shm ]; then BENCH_TMPDIR=/dev/shm; else BENCH_TMPDIR="$ROOT/../tmp-bench"; fi
fi
export XDG_CONFIG_HOME="$BENCH_TMPDIR/lineage-graph-config"
WORK="$BENCH_TMPDIR/lineage-graph-$ARTIFACTS"
[ -n "$REUSE" ] || rm -rf "$WORK"
echo "graph benchmark, $(date -u +%Y-%m-%d), $(nproc) cores"
"$BIN_DIR/lineage-bench-graph" "$WORK" --artifacts "$ARTIFACTS" --runs "$RUNS" --history "$HISTORY" $REUSE
echo "  (targets: trace of a ~10,000-node upstream p50 <= 50 ms; impact of a root feeding ~100,000 nodes <= 1 s)"
if [ -n "$REUSE" ]; then rm -rf "$WORK-history"; else rm -rf "$WORK" "$WORK-history"; fi
B6="$BENCH_TMPDIR/lineage-b6-10000"
if [ -f "$B6/.complete" ]; then
    cp -r "$B6" "$BENCH_TMPDIR/lineage-graph-reindex"
    "$BIN_DIR/lineage" -C "$BENCH_TMPDIR/lineage-graph-reindex" reindex
    "$BIN_DIR/lineage" -C "$BENCH_TMPDIR/lineage-graph-reindex" reindex
    rm -rf "$BENCH_TMPDIR/lineage-graph-reindex"
else
    echo "reindex: no B6 history at $B6 (run Benchmarks/verify/run.sh first)"
fi
