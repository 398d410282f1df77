#!/usr/bin/env bash
# Issue 15's figures on moto: erasing one 100 MiB version from a remote history, and gc mark and
# sweep on N objects, through `lineage-bench-remote --s3` against a moto_server started here on
# 127.0.0.1 and a free port (stopped at the end).
#
#   bash Benchmarks/remote-erase.sh [--history-gib 1] [--gc 1000000]
#
# moto keeps objects in memory, so the 10 GiB history runs on a directory remote instead
# (`lineage-bench-remote --erase --history-gib 1,10`): the requests and bytes an erasure moves are
# the same on either, by construction (one BlobStore protocol), and this script shows the S3 side.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HIST=1 GC=1000000
while [ $# -gt 0 ]; do
    case "$1" in
        --history-gib) HIST=$2; shift ;;
        --gc) GC=$2; shift ;;
        -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "remote-erase.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done
command -v moto_server >/dev/null || { echo "remote-erase.sh: needs moto_server (pip install 'moto[server]')" >&2; exit 2; }
swift build --package-path "$ROOT" --product lineage-bench-remote >/dev/null
BENCH="$(swift build --package-path "$ROOT" --show-bin-path)/lineage-bench-remote"
W=$(mktemp -d)
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
TMPDIR="$W" moto_server -H 127.0.0.1 -p "$PORT" >"$W/moto.log" 2>&1 &
MOTO=$!
trap 'kill $MOTO 2>/dev/null; rm -rf "$W"' EXIT
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/moto-api/" && break; sleep 0.1; done
export AWS_ENDPOINT_URL="http://127.0.0.1:$PORT" AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_DEFAULT_REGION=us-east-1
curl -s -f -o /dev/null -X PUT "$AWS_ENDPOINT_URL/bench"
echo "moto_server $(python3 -c 'import moto; print(moto.__version__)' 2>/dev/null || echo '?') on $AWS_ENDPOINT_URL; $(date -u +%Y-%m-%dT%H:%MZ)"
"$BENCH" --erase --history-gib "$HIST" --s3 s3://bench/erase --work "$W"
"$BENCH" --gc "$GC" --s3 s3://bench/gc --work "$W"
