#!/usr/bin/env bash
# Remote benchmarks of issue 14 (R1-R5): lineage push / clone through the CLI against
# a moto_server (S3) that this script starts on 127.0.0.1 and a free port, with DVC
# (dvc-s3) and `aws s3 cp` measured in the same run on the same server and disk.
#
#   bash Benchmarks/remote.sh [--quick] [--only R1,R3] [--no-peers] [--reps N]
#                             [--lineage PATH] [--keep] [--out FILE]
#
# See Benchmarks/README.md ("Remote benchmarks") for what each one measures.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
PROG=remote.sh
# shellcheck source=lib.sh
source "$HERE/lib.sh"
# The peers and the server, pinned (pip into Benchmarks/.venv, shared with run.sh).
DVC_VERSION=${DVC_VERSION:-3.67.1}
PINS=("dvc==$DVC_VERSION" "dvc-s3==3.3.0" "awscli==1.46.3" "moto[server]==5.2.5"
      "boto3==1.43.117" "botocore==1.43.117" "aiobotocore==3.10.0")

usage() {
    sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
    cat <<'EOF'
Options:
  --quick          small sizes (10,000 files, 256 MiB file, 64 MiB CSV)
  --only LIST      comma-separated subset of R1,R2,R3,R4,R5 (R3 and R5 prepare R1's state untimed if R1 is not run)
  --no-peers       skip DVC and aws s3 cp
  --reps N         R2: best of N (default 1); every other benchmark runs once
  --lineage PATH   lineage binary to use (also $LINEAGE). Default: build the working
                   tree with `swift build -c release --scratch-path .build-release --product lineage`
  --keep           keep the work directory (printed at the end)
  --out FILE       Markdown output (default Benchmarks/results-remote-latest.md)
Environment: BENCH_TMPDIR (parent of the work dir; default <repo>/../tmp-bench),
  BENCH_FILES, BENCH_BIG_MIB, BENCH_CSV_MIB (override sizes), BENCH_TIMEOUT (s per command, 3600)
EOF
}

QUICK=0 ONLY="" PEERS=1 NO_LINEAGE=0 REPS=1 KEEP=0
LINEAGE_BIN=${LINEAGE:-}
OUT_MD="$HERE/results-remote-latest.md"
bench_parse_args "$@"

if [ "$QUICK" = 1 ]; then
    NFILES=${BENCH_FILES:-10000}; BIG_MIB=${BENCH_BIG_MIB:-256}; CSV_MIB=${BENCH_CSV_MIB:-64}
else
    NFILES=${BENCH_FILES:-100000}; BIG_MIB=${BENCH_BIG_MIB:-1024}; CSV_MIB=${BENCH_CSV_MIB:-512}
fi
NDIRS=100
TIMEOUT=${BENCH_TIMEOUT:-3600}
SEED=20261125
BUILD_PRODUCT=lineage

ONLY=$(echo "$ONLY" | tr '[:lower:]' '[:upper:]' | tr -d ' ')
for b in ${ONLY//,/ }; do
    case "$b" in R1|R2|R3|R4|R5) ;; *) echo "$PROG: --only: unknown benchmark $b" >&2; exit 2 ;; esac
done
selected() { [ -z "$ONLY" ] || [[ ",$ONLY," == *",$1,"* ]]; }

bench_setup lineage-remote-bench
TOOLS="$HERE/remote_tools.py"
tools() { python3 "$TOOLS" "$@"; }

# ------------------------------------------------------------------ server --
# moto_server from the venv on a free port, its request log in $W/logs/moto.log
# (one line per request: that is what R1/R3 count). A counting proxy in front
# of it (remote_tools.py proxy) logs the body bytes of every exchange: R4 and R5
# send the measured command through it. Both are stopped at exit.
BUCKET=bench
MOTO_PID="" PROXY_PID="" ENDPOINT="" PROXY_EP=""
MOTO_LOG="$W/logs/moto.log" PROXY_LOG="$W/logs/proxy.log"
stop_servers() {
    local p
    for p in $PROXY_PID $MOTO_PID; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
    PROXY_PID="" MOTO_PID=""
}
BENCH_ON_EXIT=stop_servers
start_moto() {
    local port try i
    mkdir -p "$W/moto-tmp"
    for try in 1 2 3; do
        port=$(tools free-port)
        TMPDIR="$W/moto-tmp" "$VENV/bin/moto_server" -H 127.0.0.1 -p "$port" >>"$MOTO_LOG" 2>&1 &
        MOTO_PID=$!
        for ((i = 0; i < 600; i++)); do
            kill -0 "$MOTO_PID" 2>/dev/null || break
            if curl -s -o /dev/null "http://127.0.0.1:$port/moto-api/"; then
                ENDPOINT="http://127.0.0.1:$port"
                export AWS_ENDPOINT_URL="$ENDPOINT"   # lineage's S3 client reads it
                meta moto "moto_server $("$VENV/bin/python" -c 'import moto; print(moto.__version__)') on $ENDPOINT (request log: one line per request)"
                start_proxy "$port"
                return 0
            fi
            sleep 0.1
        done
        kill "$MOTO_PID" 2>/dev/null; wait "$MOTO_PID" 2>/dev/null; MOTO_PID=""
    done
    return 1
}
start_proxy() {
    local i
    rm -f "$W/proxy.port"; : >"$PROXY_LOG"
    python3 "$TOOLS" proxy --upstream "$1" --port-file "$W/proxy.port" --log "$PROXY_LOG" >>"$W/logs/proxy.err" 2>&1 &
    PROXY_PID=$!
    for ((i = 0; i < 100; i++)); do [ -s "$W/proxy.port" ] && break; sleep 0.1; done
    PROXY_EP="http://127.0.0.1:$(cat "$W/proxy.port")"
}
# A clean server for each benchmark (moto's reset drops every bucket), then the bucket.
reset_moto() {
    curl -s -o /dev/null -X POST "$ENDPOINT/moto-api/reset" &&
        [ "$(curl -s -o /dev/null -w '%{http_code}' -X PUT "$ENDPOINT/$BUCKET")" = 200 ]
}
log_mark() { wc -l <"$1" | tr -d ' '; }
# count_moto MARK PREFIX -> sets C_requests, C_lists, C_pack_lists, C_summary (per method)
count_moto() {
    sleep 1   # moto writes a request's line after its answer
    local kv; kv=$(tools count-moto "$MOTO_LOG" --from "$1" --prefix "$BUCKET/$2")
    C_summary=$kv
    C_requests=$(kv_get requests "$kv"); C_lists=$(kv_get lists "$kv"); C_pack_lists=$(kv_get pack_lists "$kv")
}
# count_proxy MARK -> sets P_requests, P_up, P_down, P_pack_down, P_index_down, P_list_down, P_other_down
count_proxy() {
    sleep 0.5
    local kv; kv=$(tools count-proxy "$PROXY_LOG" --from "$1")
    P_requests=$(kv_get requests "$kv"); P_up=$(kv_get bytes_up "$kv"); P_down=$(kv_get bytes_down "$kv")
    P_pack_down=$(kv_get pack_down "$kv"); P_index_down=$(kv_get index_down "$kv")
    P_list_down=$(kv_get list_down "$kv"); P_other_down=$(kv_get other_down "$kv")
}
kv_get() { tr ' ' '\n' <<<"$2" | awk -F= -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print 0 }'; }
s3_size() { "$VENV/bin/python" "$TOOLS" s3-size --endpoint "$ENDPOINT" --bucket "$BUCKET" --prefix "$1"; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; }

# Dummy credentials (moto accepts any), nothing from the user's AWS set-up.
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_SHARED_CREDENTIALS_FILE="$W/no-aws-credentials" AWS_CONFIG_FILE="$W/no-aws-config"
export XDG_CONFIG_HOME="$W/config"   # lineage's signing key for this run
export DVC_NO_ANALYTICS=1

have_peers=0
resolve_tools() {
    local check="moto_server --help && python -c 'import boto3'"
    [ "$PEERS" = 1 ] && check="$check && dvc version && python -c 'import dvc_s3' && aws --version"
    if ! ensure_venv "$check" "${PINS[@]}"; then
        say "the venv lacks what the benchmarks need; see $W/logs/venv-install.log"
        return 1
    fi
    if [ "$PEERS" = 1 ]; then
        have_peers=1; DVC="$VENV/bin/dvc"
        meta peers "$("$DVC" --version) with dvc-s3 $("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("dvc-s3"))'); $("$VENV/bin/aws" --version 2>&1)"
    else
        meta peers "skipped (--no-peers)"
    fi
}
aws_s3() { "$VENV/bin/aws" --endpoint-url "$ENDPOINT" s3 "$@"; }

# A lineage project in cwd whose remote `origin` keeps history in $W/hist/NAME.git and
# content at s3://bench/NAME, the location recorded in the history (set-content), so
# a clone finds the bytes.
lineage_origin() {
    lineage remote add "${2:-origin}" "$W/hist/$1.git" --content "s3://$BUCKET/$1" &&
        lineage remote set-content "${2:-origin}" "s3://$BUCKET/$1"
}
trust_root() { lineage trust list --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["keys"][0]["fingerprint"])'; }
# A DVC project in cwd (init --no-scm) whose default remote is s3://bench/NAME on ENDPOINT.
dvc_origin() {
    dvc_init && dvc remote add -d s3 "s3://$BUCKET/$1" >/dev/null && dvc remote modify s3 endpointurl "${2:-$ENDPOINT}"
}

# ----------------------------------------------------------------- R1 (+R3, R5 state) --
# lineage: init, add, commit, remote add + set-content (untimed), then `lineage push`
# timed. DVC: `dvc add data` (untimed), then `dvc push` timed. Requests are the
# lines of moto's log under each tool's prefix during its push; per GiB of the
# tree's bytes.
R1_DONE=0
r1() { # r1 RECORD(1|0)
    local record=$1 d="$W/r1"
    [ "$record" = 1 ] && say "R1: push $NFILES files of 1-16 KiB" || say "R3/R5 prep: R1's pushes, untimed"
    ensure_tree
    reset_moto || { rec r1.lineage ERR "" "moto reset failed"; return 1; }
    local gib; gib=$(calc %.6f "$TREE_BYTES / 1073741824")
    if [ "$have_lineage" = 1 ]; then
        mkdir -p "$d/lineage" && cd "$d/lineage" && cp -al "$TREE/data" data
        if one_run r1.lineage_prep "$LINEAGE_BIN" init && one_run r1.lineage_prep "$LINEAGE_BIN" add data &&
            one_run r1.lineage_prep "$LINEAGE_BIN" commit -m "r1: $NFILES files" && lineage_origin r1-lineage >>"$LOG" 2>&1; then
            sync
            local mark; mark=$(log_mark "$MOTO_LOG")
            if one_run r1.lineage "$LINEAGE_BIN" push; then
                count_moto "$mark" r1-lineage
                local size; size=$(s3_size r1-lineage/)
                if [ "$record" = 1 ]; then
                    rec r1.lineage "$T" "$RSS" "$C_requests requests; stored ${size#* } B in ${size% *} objects"
                    rec r1.lineage_rpg "$(calc %.2f "$C_requests / $gib")" "" "$C_requests requests for $TREE_BYTES B ($C_summary)"
                fi
                say "  lineage push: ${T}s, $C_requests requests ($C_summary)"
            else rec r1.lineage ERR "" "push failed"; fi
        else rec r1.lineage ERR "" "prepare (init/add/commit/remote) failed"; fi
    fi
    if [ "$have_peers" = 1 ]; then
        mkdir -p "$d/dvc" && cd "$d/dvc" && cp -al "$TREE/data" data
        if dvc_origin r1-dvc >>"$LOG" 2>&1 && one_run r1.dvc_prep "$DVC" add -q data; then
            sync
            local mark; mark=$(log_mark "$MOTO_LOG")
            if one_run r1.dvc "$DVC" push; then
                count_moto "$mark" r1-dvc
                if [ "$record" = 1 ]; then
                    rec r1.dvc "$T" "$RSS" "$C_requests requests"
                    rec r1.dvc_rpg "$(calc %.2f "$C_requests / $gib")" "" "$C_requests requests for $TREE_BYTES B ($C_summary)"
                fi
                say "  dvc push: ${T}s, $C_requests requests ($C_summary)"
            else rec r1.dvc ERR "" "push failed (or timed out after ${TIMEOUT}s)"; fi
        else rec r1.dvc ERR "" "prepare (dvc init/add) failed"; fi
    fi
    cd "$W"; R1_DONE=1
}

# R3: 1% of the files (every 100th, by path) replaced by new random bytes of the same
# size, in both projects alike; add + commit (untimed); the push is counted.
r3() {
    say "R3: change 1% of R1's files, commit, push"
    [ "$R1_DONE" = 1 ] || r1 0
    local d="$W/r1" changed
    if [ "$have_lineage" = 1 ] && [ -d "$d/lineage/.lineage" ]; then
        cd "$d/lineage"
        changed=$(tools change-files data --every 100 --seed 3)
        if one_run r3.lineage_prep "$LINEAGE_BIN" add data && one_run r3.lineage_prep "$LINEAGE_BIN" commit -m "r3: 1% changed"; then
            sync
            local mark; mark=$(log_mark "$MOTO_LOG")
            if one_run r3.lineage "$LINEAGE_BIN" push; then
                count_moto "$mark" r1-lineage
                rec r3.lineage "$T" "$RSS" "${changed% *} files changed (${changed#* } B)"
                rec r3.lineage_requests "$C_requests" "" "$C_summary"
                rec r3.lineage_pack_lists "$C_pack_lists" "" "$C_lists LIST request(s) in all"
                say "  lineage push: ${T}s, $C_requests requests ($C_summary)"
            else rec r3.lineage_requests ERR "" "push failed"; fi
        else rec r3.lineage_requests ERR "" "add/commit failed"; fi
    elif [ "$have_lineage" = 1 ]; then rec r3.lineage_requests ERR "" "no R1 state"; fi
    if [ "$have_peers" = 1 ] && [ -d "$d/dvc/.dvc" ]; then
        cd "$d/dvc"
        changed=$(tools change-files data --every 100 --seed 3)
        if one_run r3.dvc_prep "$DVC" add -q data; then
            sync
            local mark; mark=$(log_mark "$MOTO_LOG")
            if one_run r3.dvc "$DVC" push; then
                count_moto "$mark" r1-dvc
                rec r3.dvc "$T" "$RSS"
                rec r3.dvc_requests "$C_requests" "" "$C_summary"
                say "  dvc push: ${T}s, $C_requests requests ($C_summary)"
            else rec r3.dvc ERR "" "push failed"; fi
        else rec r3.dvc ERR "" "dvc add failed"; fi
    fi
    cd "$W"
}

# R5: a new clone of R1's (R3's) history with the bytes of 1% of the paths only
# (every 100th file by path, starting at the 50th: files R3 did not change),
# through the counting proxy. Bytes read from packs are compared with the bytes
# asked for; index objects and listings are reported beside them.
r5() {
    say "R5: clone -- 1% of R1's paths"
    [ "$have_lineage" = 1 ] || return
    [ "$R1_DONE" = 1 ] || r1 0
    local d="$W/r1" picked fp
    [ -d "$d/lineage/.lineage" ] || { rec r5.lineage ERR "" "no R1 state"; return; }
    cd "$d/lineage"
    picked=$(tools pick-paths data --every 100 --offset 50 --prefix data --out "$W/r5.paths")
    fp=$(trust_root) || { rec r5.lineage ERR "" "lineage trust list failed"; return; }
    local paths=(); mapfile -t paths <"$W/r5.paths"
    cd "$W"; rm -rf "$W/r5-clone"
    local mark; mark=$(log_mark "$PROXY_LOG")
    if one_run r5.lineage env AWS_ENDPOINT_URL="$PROXY_EP" "$LINEAGE_BIN" clone "$W/hist/r1-lineage.git" "$W/r5-clone" --trust-root "$fp" -- "${paths[@]}"; then
        count_proxy "$mark"
        local asked=${picked#* } wrong=0 p
        for p in "${paths[@]}"; do cmp -s "$W/r5-clone/$p" "$d/lineage/$p" || wrong=$((wrong + 1)); done
        local others; others=$(find "$W/r5-clone/data" -type f 2>/dev/null | wc -l)
        rec r5.lineage "$(calc %.4f "$P_pack_down / $asked")" "$RSS" \
            "${picked% *} paths, $asked B asked; read from packs $P_pack_down B, index objects $P_index_down B, listings $P_list_down B, other $P_other_down B; $P_requests requests; ${T}s; $others files written$([ "$wrong" = 0 ] || echo "; $wrong WRONG")"
        say "  clone: ${T}s, packs $P_pack_down B for $asked B asked, index $P_index_down B, $P_requests requests"
        [ "$wrong" = 0 ] || echo "== r5: $wrong of the cloned files differ from the originals" >>"$FAILS"
    else rec r5.lineage ERR "" "clone failed"; fi
    rm -rf "$W/r5-clone"
}

# ------------------------------------------------------------------- R2 ----
# One random file: `aws s3 cp` up and down, `lineage push` (to a new remote each
# repetition) and `lineage clone` with content into an empty directory. The file
# (or lineage's store) is read into the page cache first; the downloaded copies
# are compared with the original.
r2() {
    say "R2: push and clone of one ${BIG_MIB} MiB file"
    ensure_big
    local d="$W/r2" rep fp=""
    mkdir -p "$d"
    local best_up="" best_down="" best_push="" best_clone="" rss_push="" rss_clone=""
    if [ "$have_lineage" = 1 ]; then
        mkdir -p "$d/lineage" && cd "$d/lineage" && ln -f "$BIG" big.bin
        if one_run r2.lineage_prep "$LINEAGE_BIN" init && one_run r2.lineage_prep "$LINEAGE_BIN" add big.bin &&
            one_run r2.lineage_prep "$LINEAGE_BIN" commit -m "r2: big file"; then
            fp=$(trust_root)
        else rec r2.lineage_push ERR "" "prepare failed"; fi
    fi
    for ((rep = 1; rep <= REPS; rep++)); do
        reset_moto || { rec r2.lineage_push ERR "" "moto reset failed"; return; }
        if [ "$have_peers" = 1 ]; then
            cd "$d"; warm "$BIG"; sync
            if one_run r2.aws_up "$VENV/bin/aws" --endpoint-url "$ENDPOINT" s3 cp --only-show-errors "$BIG" "s3://$BUCKET/r2-aws/big.bin"; then
                best_up=$(min "$best_up" "$T"); say "  aws s3 cp up, run $rep: ${T}s"
                rm -f "$d/down.bin"; sync
                if one_run r2.aws_down "$VENV/bin/aws" --endpoint-url "$ENDPOINT" s3 cp --only-show-errors "s3://$BUCKET/r2-aws/big.bin" "$d/down.bin"; then
                    best_down=$(min "$best_down" "$T"); say "  aws s3 cp down, run $rep: ${T}s"
                    cmp -s "$d/down.bin" "$BIG" || echo "== r2: aws s3 cp download differs from the original" >>"$FAILS"
                fi
                rm -f "$d/down.bin"
            fi
        fi
        if [ -n "$fp" ]; then
            cd "$d/lineage"
            if lineage_origin "r2-lineage-$rep" "r$rep" >>"$LOG" 2>&1; then
                warm_tree .lineage; sync
                if one_run r2.lineage_push "$LINEAGE_BIN" push "r$rep"; then
                    best_push=$(min "$best_push" "$T"); rss_push=$(maxi "$rss_push" "${RSS:-0}"); say "  lineage push, run $rep: ${T}s"
                    cd "$d"; rm -rf "$d/clone"; sync
                    if one_run r2.lineage_clone "$LINEAGE_BIN" clone "$W/hist/r2-lineage-$rep.git" "$d/clone" --trust-root "$fp"; then
                        best_clone=$(min "$best_clone" "$T"); rss_clone=$(maxi "$rss_clone" "${RSS:-0}"); say "  lineage clone, run $rep: ${T}s"
                        cmp -s "$d/clone/big.bin" "$BIG" || echo "== r2: lineage clone's big.bin differs from the original" >>"$FAILS"
                    fi
                    rm -rf "$d/clone"
                fi
            else echo "== r2: lineage remote add/set-content failed (see $LOG)" >>"$FAILS"; fi
        fi
    done
    local mib=$BIG_MIB
    [ -n "$best_up" ] && rec r2.aws_up "$(calc %.2f "$mib / $best_up")" "" "best of $REPS: ${best_up}s"
    [ -n "$best_down" ] && rec r2.aws_down "$(calc %.2f "$mib / $best_down")" "" "best of $REPS: ${best_down}s"
    if [ "$have_lineage" = 1 ]; then
        if [ -n "$best_push" ]; then rec r2.lineage_push "$(calc %.2f "$mib / $best_push")" "$rss_push" "best of $REPS: ${best_push}s"
        else rec r2.lineage_push ERR "" "push failed"; fi
        if [ -n "$best_clone" ]; then rec r2.lineage_clone "$(calc %.2f "$mib / $best_clone")" "$rss_clone" "best of $REPS: ${best_clone}s (history verified, bytes checked, file written)"
        else rec r2.lineage_clone ERR "" "clone failed"; fi
    fi
    cd "$W"; rm -rf "$d"
    verify_big R2
}

# ------------------------------------------------------------------- R4 ----
# B4's CSV: v1 added, committed and pushed (untimed, straight to moto); then v2
# (1% of rows appended, a 1% block edited) replaces it, is committed and pushed
# through the counting proxy: request body bytes of that push, as % of v2's size.
r4_one() { # TOOL
    local t=$1 size mark store0 store1
    size=$(stat -c %s "$CSV2")
    case $t in
        lineage)
            cp --reflink=never "$CSV1" data.csv &&
                one_run r4.lineage_prep "$LINEAGE_BIN" init && one_run r4.lineage_prep "$LINEAGE_BIN" add data.csv &&
                one_run r4.lineage_prep "$LINEAGE_BIN" commit -m v1 && lineage_origin r4-lineage >>"$LOG" 2>&1 &&
                one_run r4.lineage_prep "$LINEAGE_BIN" push &&
                rm -f data.csv && cp --reflink=never "$CSV2" data.csv &&
                one_run r4.lineage_prep "$LINEAGE_BIN" add data.csv && one_run r4.lineage_prep "$LINEAGE_BIN" commit -m v2 || return 1
            store0=$(s3_size r4-lineage/); sync; mark=$(log_mark "$PROXY_LOG")
            one_run r4.lineage env AWS_ENDPOINT_URL="$PROXY_EP" "$LINEAGE_BIN" push || return 1 ;;
        dvc)
            cp --reflink=never "$CSV1" data.csv && dvc_origin r4-dvc "$ENDPOINT" >>"$LOG" 2>&1 &&
                one_run r4.dvc_prep "$DVC" add -q data.csv && one_run r4.dvc_prep "$DVC" push &&
                rm -f data.csv && cp --reflink=never "$CSV2" data.csv && one_run r4.dvc_prep "$DVC" add -q data.csv &&
                "$DVC" remote modify s3 endpointurl "$PROXY_EP" || return 1
            store0=$(s3_size r4-dvc/); sync; mark=$(log_mark "$PROXY_LOG")
            one_run r4.dvc "$DVC" push || return 1 ;;
    esac
    local t2=$T
    count_proxy "$mark"
    store1=$(s3_size "r4-$t/")
    rec "r4.$t" "$(calc %.3f "$P_up * 100 / $size")" "" \
        "2nd push sent $P_up B of request bodies in $P_requests requests, ${t2}s; stored on S3 +$(( ${store1#* } - ${store0#* } )) B in +$(( ${store1% *} - ${store0% *} )) objects"
    say "  $t: 2nd push sent $P_up B ($(calc %.2f "$P_up * 100 / $size")% of $size B)"
}
r4() {
    say "R4: second push of a ${CSV_MIB} MiB CSV with 1% appended + 1% edited"
    ensure_csv || { rec r4.lineage ERR "" "CSV generation failed"; return; }
    reset_moto || { rec r4.lineage ERR "" "moto reset failed"; return; }
    local d="$W/r4"
    if [ "$have_lineage" = 1 ]; then
        mkdir -p "$d/lineage" && cd "$d/lineage" && r4_one lineage || rec r4.lineage ERR "" "see failures"
    fi
    if [ "$have_peers" = 1 ]; then
        mkdir -p "$d/dvc" && cd "$d/dvc" && r4_one dvc || rec r4.dvc ERR "" "see failures"
    fi
    cd "$W"; rm -rf "$d"
}

# ------------------------------------------------------------------- main --
main() {
    STARTED=$(date -u +%Y-%m-%dT%H:%M:%SZ)
    meta started "$STARTED"
    meta machine "$(nproc) cores, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -sr), work dir fs $FSTYPE"
    meta load_at_start "$(cut -d' ' -f1-3 /proc/loadavg)"
    meta sizes "R1/R3/R5 $NFILES files in $NDIRS dirs; R2 ${BIG_MIB} MiB (best of $REPS); R4 ${CSV_MIB} MiB CSV"
    resolve_lineage
    resolve_tools || { python3 "$HERE/report.py" --suite remote --results "$RESULTS" --meta "$META" --failures "$FAILS" --markdown "$OUT_MD"; return 1; }
    start_moto || { say "moto_server did not start; see $MOTO_LOG"; tail -5 "$MOTO_LOG" >&2; return 1; }
    say "moto_server on $ENDPOINT, counting proxy on $PROXY_EP"

    if selected R1; then r1 1; fi
    if selected R3; then r3; fi
    if selected R5; then r5; fi
    rm -rf "$W/r1" "$W/hist/r1-"*
    selected R2 && r2
    rm -f "$BIG"
    selected R4 && r4

    meta finished "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    meta load_at_end "$(cut -d' ' -f1-3 /proc/loadavg)"
    python3 "$HERE/report.py" --suite remote --results "$RESULTS" --meta "$META" --failures "$FAILS" --markdown "$OUT_MD"
    say "Markdown written to $OUT_MD; logs in $W/logs$([ "$KEEP" = 1 ] || echo ' (deleted at exit; --keep keeps them)')"
}

main "$@"; exit $?
