#!/usr/bin/env bash
# B6: `lineage verify` on a history of N signed commits (default 10,000), against stock
# `git verify-commit` on the same history (which starts ssh-keygen per commit), same run.
#
#   bash Benchmarks/verify/run.sh [--commits N] [--git-sample N] [--reps N] [--lineage DIR] [--fresh]
#                                 [--key ed25519|ecdsa|rsa]
#
# The history is made through the library by `lineage-bench-history` (each commit changes one
# of 300 small files and is signed) under $BENCH_TMPDIR (default /dev/shm when it exists), and
# kept for the next run unless --fresh. `git verify-commit` runs on --git-sample commits spread
# over the history (default 1,000; 0 = all) and its rate is per commit. With --key ecdsa or rsa
# (RSA 3072), every commit after the first is signed by that key through an ssh-agent started here
# (the target of 5,000 commits/s is for Ed25519; the others are reported).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
COMMITS=10000 SAMPLE=1000 REPS=3 BIN_DIR="" FRESH=0 KEY=ed25519
while [ $# -gt 0 ]; do
    case "$1" in
        --commits) COMMITS=$2; shift ;;
        --git-sample) SAMPLE=$2; shift ;;
        --reps) REPS=$2; shift ;;
        --lineage) BIN_DIR=$2; shift ;;
        --fresh) FRESH=1 ;;
        --key) KEY=$2; shift ;;
        -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done
if [ -z "$BIN_DIR" ]; then
    echo "building release binaries (swift build -c release --scratch-path .build-release)..." >&2
    swift build --package-path "$ROOT" -c release --scratch-path "$ROOT/.build-release" --product lineage >/dev/null
    swift build --package-path "$ROOT" -c release --scratch-path "$ROOT/.build-release" --product lineage-bench-history >/dev/null
    BIN_DIR=$(swift build --package-path "$ROOT" -c release --scratch-path "$ROOT/.build-release" --show-bin-path)
fi
LINEAGE="$BIN_DIR/lineage"
if [ -z "${BENCH_TMPDIR:-}" ]; then
    if [ -d /dev/shm ]; then BENCH_TMPDIR=/dev/shm; else BENCH_TMPDIR="$ROOT/../tmp-bench"; fi
fi
case "$KEY" in ed25519|ecdsa|rsa) ;; *) echo "run.sh: --key is ed25519, ecdsa or rsa" >&2; exit 2 ;; esac
WORK="$BENCH_TMPDIR/lineage-b6-$COMMITS"
[ "$KEY" = ed25519 ] || WORK="$WORK-$KEY"
export XDG_CONFIG_HOME="$BENCH_TMPDIR/lineage-b6-config"
mkdir -p "$XDG_CONFIG_HOME"
if [ "$FRESH" = 1 ] || [ ! -f "$WORK/.complete" ]; then
    rm -rf "$WORK"
    echo "generating $COMMITS signed commits in $WORK (takes minutes)..." >&2
    start=$(date +%s.%N)
    if [ "$KEY" = ed25519 ]; then
        "$BIN_DIR/lineage-bench-history" "$WORK" "$COMMITS" >&2
    else
        # A key held by an ssh-agent of this run only; gone when the script ends.
        KEYDIR=$(mktemp -d "$BENCH_TMPDIR/lineage-b6-key-XXXXXX")
        eval "$(ssh-agent -s -a "$KEYDIR/agent.sock")" >/dev/null
        trap 'kill "$SSH_AGENT_PID" 2>/dev/null; rm -rf "$KEYDIR"' EXIT
        if [ "$KEY" = rsa ]; then ssh-keygen -q -t rsa -b 3072 -N "" -f "$KEYDIR/key"; else ssh-keygen -q -t ecdsa -N "" -f "$KEYDIR/key"; fi
        ssh-add -q "$KEYDIR/key"
        LINEAGE_BENCH_SIGNING_KEY="$KEYDIR/key.pub" "$BIN_DIR/lineage-bench-history" "$WORK" "$COMMITS" >&2
    fi
    echo "generated in $(echo "$(date +%s.%N) - $start" | bc) s" >&2
    touch "$WORK/.complete"
fi
cd "$WORK"
count=$(git --git-dir .lineage rev-list --count HEAD)

best=""
for _ in $(seq "$REPS"); do
    s=$(date +%s.%N)
    "$LINEAGE" verify -q >/dev/null
    t=$(echo "$(date +%s.%N) - $s" | bc)
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" = 1 ]; then best=$t; fi
done
lineage_rate=$(echo "scale=1; $count / $best" | bc)

git --git-dir .lineage rev-list HEAD > "$BENCH_TMPDIR/lineage-b6-commits"
total=$(wc -l < "$BENCH_TMPDIR/lineage-b6-commits")
if [ "$SAMPLE" = 0 ] || [ "$SAMPLE" -ge "$total" ]; then step=1; else step=$((total / SAMPLE)); fi
awk -v s="$step" 'NR % s == 0' "$BENCH_TMPDIR/lineage-b6-commits" > "$BENCH_TMPDIR/lineage-b6-sample"
n=$(wc -l < "$BENCH_TMPDIR/lineage-b6-sample")
s=$(date +%s.%N)
bad=0
while read -r c; do
    git --git-dir .lineage -c gpg.format=ssh -c gpg.ssh.allowedSignersFile=.lineage/allowed_signers \
        verify-commit "$c" 2>/dev/null || bad=$((bad + 1))
done < "$BENCH_TMPDIR/lineage-b6-sample"
git_time=$(echo "$(date +%s.%N) - $s" | bc)
git_rate=$(echo "scale=1; $n / $git_time" | bc)
ratio=$(echo "scale=0; $lineage_rate / $git_rate" | bc)

echo
echo "B6 verify, $(date -u +%Y-%m-%d), $(nproc) cores, history of $count signed commits ($KEY) in $WORK"
printf "  lineage verify (signatures, trust, records, all content), best of %s: %.3f s = %s commits/s%s\n" "$REPS" "$best" "$lineage_rate" "$([ "$KEY" = ed25519 ] && echo " (target >= 5000)")"
printf "  git verify-commit on %s commits (one ssh-keygen each): %.2f s = %s commits/s%s\n" "$n" "$git_time" "$git_rate" "$([ "$bad" = 0 ] || echo "; $bad FAILED")"
echo "  lineage is ${ratio}x git verify-commit per commit"
