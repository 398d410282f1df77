#!/bin/sh
# Chunk-size benchmark for the content store (see README.md). Release build, one mode at a time:
#   Benchmarks/chunking/run.sh sizes   # parameter sets: throughput + dedup (256 MiB random, ~128 MiB CSV)
#   Benchmarks/chunking/run.sh 1g      # 1 GiB random file with the production parameters vs cp
#   Benchmarks/chunking/run.sh rss     # 4 GiB file: peak RSS of the ingesting process
# Needs ~6 GiB free in /tmp for `rss`. SCRATCH overrides the build directory.
set -eu
cd "$(dirname "$0")/../.."
mode="${1:-sizes}"
LINEAGE_BENCH="$mode" swift test -c release -Xswiftc -enable-testing --scratch-path "${SCRATCH:-.build-bench}" \
    --filter ChunkingBenchmark 2>&1 | grep BENCH | sed 's/^.*BENCH //'
