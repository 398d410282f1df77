#!/usr/bin/env bash
# Benchmark harness for lineage: B1 big-file add, B2 many small files, B3 status,
# B4 dedup of an edited CSV, B5 checkout -- each against its floor (cp, sha256)
# and against DVC / git / git-lfs, measured in the same run.
#
#   bash Benchmarks/run.sh [--quick] [--only B1,B3] [--no-peers] [--no-lineage]
#                          [--reps N] [--lineage PATH] [--keep] [--out FILE]
#
# See Benchmarks/README.md for what each benchmark does and the fairness rules;
# the remote benchmarks (push, clone, R1-R5) are Benchmarks/remote.sh.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
PROG=run.sh
# shellcheck source=lib.sh
source "$HERE/lib.sh"
DVC_VERSION=${DVC_VERSION:-3.67.1}

usage() {
    sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
    cat <<'EOF'
Options:
  --quick          small sizes (256 MiB file, 10,000 files, 64 MiB CSV) and 1 repetition
  --only LIST      comma-separated subset of B1,B2,B3,B4,B5 (B3 prepares B2's tree untimed if B2 is not run)
  --no-peers       skip DVC and git-lfs (git itself, cp and openssl are always run)
  --no-lineage     skip lineage (peer side only; for developing the harness)
  --reps N         best of N (default 3; 1 with --quick)
  --lineage PATH   lineage binary to use (also $LINEAGE). Default: build the
                   working tree with `swift build -c release --scratch-path .build-release`
  --keep           keep the work directory (printed at the end)
  --out FILE       Markdown output (default Benchmarks/results-latest.md)
Environment: BENCH_TMPDIR (parent of the work dir; default <repo>/../tmp-bench),
  BENCH_BIG_MIB, BENCH_FILES, BENCH_CSV_MIB (override sizes), BENCH_TIMEOUT (s per command, 3600)
EOF
}

QUICK=0 ONLY="" PEERS=1 NO_LINEAGE=0 REPS="" KEEP=0
LINEAGE_BIN=${LINEAGE:-}
OUT_MD="$HERE/results-latest.md"
bench_parse_args "$@"

if [ "$QUICK" = 1 ]; then
    BIG_MIB=${BENCH_BIG_MIB:-256}; NFILES=${BENCH_FILES:-10000}; CSV_MIB=${BENCH_CSV_MIB:-64}; REPS=${REPS:-1}
else
    BIG_MIB=${BENCH_BIG_MIB:-1024}; NFILES=${BENCH_FILES:-100000}; CSV_MIB=${BENCH_CSV_MIB:-512}; REPS=${REPS:-3}
fi
NDIRS=100
FLOOR_REPS=$((REPS > 3 ? REPS : 3))
TIMEOUT=${BENCH_TIMEOUT:-3600}
SEED=20261125

ONLY=$(echo "$ONLY" | tr '[:lower:]' '[:upper:]' | tr -d ' ')
for b in ${ONLY//,/ }; do
    case "$b" in B1|B2|B3|B4|B5) ;; *) echo "run.sh: --only: unknown benchmark $b" >&2; exit 2 ;; esac
done
selected() { [ -z "$ONLY" ] || [[ ",$ONLY," == *",$1,"* ]]; }

bench_setup lineage-bench

# ------------------------------------------------------------------ peers --
have_dvc=0 have_lfs=0 DVC=""
resolve_peers() {
    [ "$PEERS" = 1 ] || { meta peers "skipped (--no-peers)"; return; }
    if ensure_venv "dvc version" "dvc==$DVC_VERSION"; then
        have_dvc=1; DVC="$VENV/bin/dvc"
        meta dvc "$("$DVC" --version 2>/dev/null) (venv $VENV, init --no-scm, cache.type default = reflink,copy)"
    else meta dvc unavailable; fi
    if git lfs version >/dev/null 2>&1; then
        have_lfs=1; meta git-lfs "$(git lfs version)"
    else meta git-lfs "unavailable (apt-get install -y git-lfs)"; fi
}
# No automatic `git gc --auto` / maintenance: it would run detached after a
# commit and compete with the next measurement.
git_init() { git init -q && git config gc.auto 0 && git config maintenance.auto false; }
lfs_init() { git_init && git lfs install --local >/dev/null; }

# ------------------------------------------------------------------- B1 ----
# Every tool gets its own directory holding a hard link to the same source file
# (none of them writes to its input: DVC 3.67 copies into its cache and then
# replaces the workspace file by a new copy, leaving the linked inode alone); the
# file is read once before every timed run so all tools read from page cache,
# and `sync` runs before every timed run so no earlier write-back competes.
b1() {
    say "B1: add one ${BIG_MIB} MiB random file"
    ensure_big
    local d="$W/b1"
    mkdir -p "$d"/{cp,lineage,dvc,lfs}
    ln -f "$BIG" "$d/cp/big.bin"; ln -f "$BIG" "$d/lineage/big.bin"; ln -f "$BIG" "$d/lfs/big.bin"

    b1_cp_setup() { cd "$d/cp" && rm -f copy.bin && warm big.bin; }
    NREPS=$FLOOR_REPS bench b1.cp b1_cp_setup cp --reflink=never big.bin copy.bin
    NREPS=$FLOOR_REPS bench b1.cp_fsync b1_cp_setup sh -c 'cp --reflink=never big.bin copy.bin && sync copy.bin'
    rm -f "$d/cp/copy.bin"
    NREPS=$FLOOR_REPS bench b1.openssl b1_cp_setup openssl dgst -sha256 big.bin
    # The least time any tool needs for a digest equal to sha256sum's: one SHA-256 pass over the
    # file's bytes, already in memory, at this CPU's best single-stream speed (SHA-256 cannot be
    # split across cores). Computed from `openssl speed` on 1 MiB blocks.
    local rate
    rate=$(openssl speed -evp sha256 -bytes 1048576 -seconds 3 2>/dev/null | awk '/^sha256/ { sub(/k$/, "", $2); print $2 }')
    if [ -n "$rate" ]; then
        rec b1.sha256_mem "$(awk -v b=$((BIG_MIB << 20)) -v r="$rate" 'BEGIN { printf "%.3f", b / (r * 1000) }')" "" "$(awk -v r="$rate" 'BEGIN { printf "%.0f MB/s", r / 1000 }')"
    fi

    if [ "$have_lineage" = 1 ]; then
        b1_lineage_setup() { cd "$d/lineage" && rm -rf .lineage && lineage init && warm big.bin; }
        if bench b1.lineage b1_lineage_setup "$LINEAGE_BIN" add big.bin; then
            meta b1_lineage_store "$(du_b "$d/lineage/.lineage/content") bytes in .lineage/content, $(du_b "$d/lineage/.lineage") in .lineage"
        fi
        cd "$W"; rm -rf "$d/lineage"
    fi
    if [ "$have_dvc" = 1 ]; then
        b1_dvc_setup() {
            cd "$d/dvc" && rm -rf .dvc .dvcignore big.bin big.bin.dvc &&
                ln -f "$BIG" big.bin && dvc_init && warm big.bin
        }
        bench b1.dvc b1_dvc_setup "$DVC" add big.bin
        cd "$W"; rm -rf "$d/dvc"
    fi
    if [ "$have_lfs" = 1 ]; then
        b1_lfs_setup() { cd "$d/lfs" && rm -rf .git .gitattributes && lfs_init && warm big.bin; }
        bench b1.gitlfs b1_lfs_setup sh -c 'git lfs track "*.bin" >/dev/null && git add .gitattributes big.bin'
        cd "$W"; rm -rf "$d/lfs"
    fi
    cd "$W"; rm -rf "$d"
    verify_big B1
}

# ------------------------------------------------------------------- B5 ----
# A repository with the file committed is prepared untimed; before every timed
# run the working file is deleted, the store is read into page cache and sync'd.
b5() {
    say "B5: checkout of the ${BIG_MIB} MiB file"
    ensure_big
    local d="$W/b5"
    mkdir -p "$d"/{cp,lineage,dvc,lfs}
    ln -f "$BIG" "$d/cp/big.bin"

    b5_cp_setup() { cd "$d/cp" && rm -f out.bin && warm big.bin; }
    NREPS=$FLOOR_REPS bench b5.cp b5_cp_setup cp --reflink=never big.bin out.bin
    NREPS=$FLOOR_REPS bench b5.cp_fsync b5_cp_setup sh -c 'cp --reflink=never big.bin out.bin && sync out.bin'
    cd "$W"; rm -rf "$d/cp"

    if [ "$have_lineage" = 1 ]; then
        cd "$d/lineage"
        ln -f "$BIG" big.bin
        if one_run b5.lineage_prep "$LINEAGE_BIN" init && one_run b5.lineage_prep "$LINEAGE_BIN" add big.bin &&
            one_run b5.lineage_prep "$LINEAGE_BIN" commit -m "b5: big file"; then
            b5_lineage_setup() { cd "$d/lineage" && rm -f big.bin && warm_tree .lineage; }
            local ok=1
            if bench b5.lineage b5_lineage_setup "$LINEAGE_BIN" checkout HEAD -- big.bin; then :; else
                ok=0
                say "  retrying B5 with 'lineage checkout HEAD --force'"
                sed -i '$d' "$RESULTS"  # drop the ERR row, the --force variant replaces it
                if bench b5.lineage b5_lineage_setup "$LINEAGE_BIN" checkout HEAD --force; then
                    ok=1; meta b5_lineage_variant "checkout HEAD --force (path form failed)"
                fi
            fi
            if [ "$ok" = 1 ] && ! cmp -s "$d/lineage/big.bin" "$BIG"; then
                say "  B5: lineage checkout produced DIFFERENT content"
                echo "== b5.lineage: checked-out big.bin differs from the original (cmp)" >>"$FAILS"
                sed -i "s/^b5\.lineage\t\([^\t]*\)\t\([^\t]*\)\t.*/b5.lineage\t\1\t\2\tWRONG CONTENT/" "$RESULTS"
            fi
        else
            rec b5.lineage ERR "" "prepare (init/add/commit) failed"
        fi
        cd "$W"; rm -rf "$d/lineage"
    fi
    if [ "$have_dvc" = 1 ]; then
        cd "$d/dvc" && cp --reflink=never "$BIG" big.bin && dvc_init >>"$LOG" 2>&1 && dvc add -q big.bin >>"$LOG" 2>&1
        b5_dvc_setup() { cd "$d/dvc" && rm -f big.bin && warm_tree .dvc/cache; }
        bench b5.dvc b5_dvc_setup "$DVC" checkout big.bin.dvc
        cd "$W"; rm -rf "$d/dvc"
    fi
    if [ "$have_lfs" = 1 ]; then
        cd "$d/lfs" && ln -f "$BIG" big.bin && lfs_init && git lfs track '*.bin' >/dev/null &&
            git add .gitattributes big.bin && git commit -q -m "b5: big file"
        b5_lfs_setup() { cd "$d/lfs" && rm -f big.bin && warm_tree .git/lfs/objects; }
        bench b5.gitlfs b5_lfs_setup git checkout -- big.bin
        cd "$W"; rm -rf "$d/lfs"
    fi
    cd "$W"; rm -rf "$d"
    verify_big B5
}

# --------------------------------------------------------------- B2 + B3 ---
# Per repetition a fresh repository with the tree hard-linked in (cp -al; no
# tool writes to its inputs, see B1).  The whole tree is read before each timed
# run so every tool starts from page cache.
# The last repetition's repository is kept for B3.
b2_prepare() { # TOOL  -> fresh repo in $W/b2/TOOL with data/
    local t=$1
    cd "$W" && rm -rf "$W/b2/$t" && mkdir -p "$W/b2/$t" && cd "$W/b2/$t" || return 1
    cp -al "$TREE/data" data || return 1
    case $t in
        lineage) lineage init ;;
        git) git_init ;;
        dvc) dvc_init ;;
    esac || return 1
    warm_tree data
}
b2() { # b2 RECORD(1|0)
    local record=$1 reps=$REPS
    [ "$record" = 1 ] && say "B2: add $NFILES small files" || { say "B3 prep: B2's tree, untimed"; reps=1; }
    ensure_tree
    local t tools=(git)
    [ "$have_lineage" = 1 ] && tools+=(lineage)
    [ "$have_dvc" = 1 ] && tools+=(dvc)
    for t in "${tools[@]}"; do
        local best_add="" best_both="" best_commit="" rss="" i ok=1
        for ((i = 1; i <= reps; i++)); do
            if ! b2_prepare "$t" >>"$LOG" 2>&1; then ok=0; say "  B2 prepare $t failed"; break; fi
            sync
            local ta tc=0
            case $t in
                lineage) one_run b2.lineage_add "$LINEAGE_BIN" add data || { ok=0; break; } ;;
                git) one_run b2.git_add git add data || { ok=0; break; } ;;
                dvc) one_run b2.dvc_add "$DVC" add data || { ok=0; break; } ;;
            esac
            ta=$T; rss=$(maxi "$rss" "${RSS:-0}")
            case $t in
                lineage) one_run b2.lineage_commit "$LINEAGE_BIN" commit -m "b2: $NFILES files" || { ok=0; break; }; tc=$T ;;
                git) one_run b2.git_commit git commit -q -m "b2: $NFILES files" || { ok=0; break; }; tc=$T ;;
            esac
            best_add=$(min "$best_add" "$ta"); best_commit=$(min "$best_commit" "$tc")
            best_both=$(min "$best_both" "$(awk -v a="$ta" -v b="$tc" 'BEGIN { printf "%.4f", a + b }')")
            if [ "$t" = dvc ]; then say "  $t run $i/$reps: add ${ta}s"; else say "  $t run $i/$reps: add ${ta}s, commit ${tc}s"; fi
        done
        [ "$record" = 1 ] || { [ "$ok" = 1 ] || rec "b3.prep_$t" ERR "" "B2 state could not be prepared"; continue; }
        if [ "$ok" = 1 ]; then
            rec "b2.${t}_add" "$best_add" "$rss"
            [ "$t" != dvc ] && rec "b2.${t}_add_commit" "$best_both" "" "commit alone best ${best_commit}s"
            [ "$t" = lineage ] && meta b2_lineage_store "$(du_b "$W/b2/lineage/.lineage/content") bytes in .lineage/content, $(du_b "$W/b2/lineage/.lineage") in .lineage"
        else
            rec "b2.${t}_add" ERR "" "see failures"
        fi
    done
    cd "$W"
}

status_summary() { # summarise `lineage status --json`: files by staged/worktree state, rehashed count
    python3 - "$1" <<'EOF'
import collections, json, sys
try:
    doc = json.load(open(sys.argv[1]))
except Exception as e:
    print("status --json not parseable: %s" % e); sys.exit()
if isinstance(doc, dict) and isinstance(doc.get("files"), list):
    c = collections.Counter("staged=%s/worktree=%s" % (f.get("staged"), f.get("worktree"))
                            for f in doc["files"] if isinstance(f, dict))
    parts = ["%d files" % len(doc["files"])] + ["%s: %d" % kv for kv in sorted(c.items())]
    if "rehashed" in doc:
        parts.append("rehashed: %s" % doc["rehashed"])
    print(", ".join(parts))
else:
    print("unexpected JSON shape: %s" % json.dumps(doc)[:200])
EOF
}

# B3: status on the unchanged, committed tree.  The first run is reported
# separately (it may have to build a stat cache); then best of N.
b3() {
    say "B3: status on the unchanged tree"
    [ -d "$W/b2/git/data" ] || b2 0
    local t
    for t in git lineage dvc; do
        case $t in
            lineage) [ "$have_lineage" = 1 ] || continue ;;
            dvc) [ "$have_dvc" = 1 ] || continue ;;
        esac
        [ -d "$W/b2/$t/data" ] || { rec "b3.${t}_status" ERR "" "no B2 state"; continue; }
        cd "$W/b2/$t"
        local cmd=()
        case $t in
            lineage) cmd=("$LINEAGE_BIN" status) ;;
            git) cmd=(git status) ;;
            dvc) cmd=("$DVC" status) ;;
        esac
        sync
        if one_run "b3.${t}_status_first" "${cmd[@]}"; then
            rec "b3.${t}_status_first" "$T" "$RSS"
            say "  $t status first run: ${T}s ($(head -c 200 "$LAST_LOG.out" | tr '\n' ' '))"
            bench "b3.${t}_status" "" "${cmd[@]}"
            meta "b3_${t}_status_output" "$(head -c 300 "$LAST_LOG.out" | tr '\n\t' '  ')"
        else
            rec "b3.${t}_status" ERR "" "exit != 0"
        fi
        if [ "$t" = lineage ]; then
            if one_run b3.lineage_status_json "$LINEAGE_BIN" status --json; then
                meta b3_lineage_status_json "$(status_summary "$LAST_LOG.out")"
            else
                meta b3_lineage_status_json "lineage status --json failed"
            fi
        fi
    done
    cd "$W"
}

# ------------------------------------------------------------------- B4 ----
# Commit v1, then replace the file by v2 (file deleted, new file written: no
# tool can be fooled by in-place writes into a linked cache) and commit again.
# Growth of the content store / cache, as a percentage of v2's size.
b4_one() { # TOOL STORE_DIR
    local t=$1 store=$2 s1 s2 size
    cd "$W/b4/$t" || return 1
    cp --reflink=never "$CSV1" data.csv
    case $t in
        lineage) one_run b4.lineage_v1 "$LINEAGE_BIN" add data.csv && one_run b4.lineage_v1 "$LINEAGE_BIN" commit -m v1 ;;
        dvc) one_run b4.dvc_v1 "$DVC" add data.csv ;;
        gitlfs) one_run b4.gitlfs_v1 git add .gitattributes data.csv && one_run b4.gitlfs_v1 git commit -q -m v1 ;;
    esac || return 1
    local t1=$T
    s1=$(du_b "$store")
    local total1; total1=$(du_b "$3")
    rm -f data.csv && cp --reflink=never "$CSV2" data.csv && sync
    size=$(stat -c %s data.csv)
    case $t in
        lineage) one_run b4.lineage_v2 "$LINEAGE_BIN" add data.csv && local ta=$T && one_run b4.lineage_v2 "$LINEAGE_BIN" commit -m v2 ;;
        dvc) one_run b4.dvc_v2 "$DVC" add data.csv && local ta=$T ;;
        gitlfs) one_run b4.gitlfs_v2 git add data.csv && local ta=$T && one_run b4.gitlfs_v2 git commit -q -m v2 ;;
    esac || return 1
    s2=$(du_b "$store")
    local total2; total2=$(du_b "$3")
    local pct; pct=$(awk -v a="$s1" -v b="$s2" -v n="$size" 'BEGIN { printf "%.3f", (b - a) * 100 / n }')
    local first; first=$(awk -v a="$s1" -v n="$(stat -c %s "$CSV1")" 'BEGIN { printf "%.1f", a * 100 / n }')
    local tot; tot=$(awk -v a="$total1" -v b="$total2" -v n="$size" 'BEGIN { printf "%.3f", (b - a) * 100 / n }')
    rec "b4.${t}" "$pct" "" "v1 stored ${first}% of its size; +$((s2 - s1)) B; whole repo dir +${tot}%; 2nd add ${ta}s"
    say "  $t: store $s1 -> $s2 bytes (+${pct}% of $size)"
}
b4() {
    say "B4: dedup of a ${CSV_MIB} MiB CSV with 1% appended + 1% edited"
    ensure_csv || { rec b4.lineage ERR "" "CSV generation failed"; return; }
    local d="$W/b4"
    if [ "$have_lineage" = 1 ]; then
        mkdir -p "$d/lineage" && cd "$d/lineage" && lineage init >>"$LOG" 2>&1 &&
            b4_one lineage "$d/lineage/.lineage/content" "$d/lineage/.lineage" || rec b4.lineage ERR "" "see failures"
        rm -rf "$d/lineage"
    fi
    if [ "$have_dvc" = 1 ]; then
        mkdir -p "$d/dvc" && cd "$d/dvc" && dvc_init >>"$LOG" 2>&1 &&
            b4_one dvc "$d/dvc/.dvc/cache" "$d/dvc/.dvc" || rec b4.dvc ERR "" "see failures"
        rm -rf "$d/dvc"
    fi
    if [ "$have_lfs" = 1 ]; then
        mkdir -p "$d/gitlfs" && cd "$d/gitlfs" && lfs_init && git lfs track '*.csv' >/dev/null &&
            b4_one gitlfs "$d/gitlfs/.git/lfs/objects" "$d/gitlfs/.git" || rec b4.gitlfs ERR "" "see failures"
        rm -rf "$d/gitlfs"
    fi
    cd "$W"; rm -rf "$d"
}

# ------------------------------------------------------------------- main --
# Everything runs from this function, called on the script's last line: bash
# has then parsed the whole file, so editing run.sh during a run is harmless.
main() {
    STARTED=$(date -u +%Y-%m-%dT%H:%M:%SZ)
    resolve_lineage
    resolve_peers
    meta started "$STARTED"
    meta machine "$(nproc) cores, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -sr), work dir fs $FSTYPE"
    meta load_at_start "$(cut -d' ' -f1-3 /proc/loadavg)"
    meta sizes "B1/B5 ${BIG_MIB} MiB; B2/B3 $NFILES files in $NDIRS dirs; B4 ${CSV_MIB} MiB CSV; best of $REPS"
    meta tools "$(git --version); $(openssl version); $(cp --version | head -n1)"
    meta args "quick=$QUICK only=${ONLY:-all} peers=$PEERS"

    selected B1 && b1
    selected B5 && b5
    rm -f "$BIG"
    if selected B2; then b2 1; fi
    if selected B3; then b3; fi
    rm -rf "$W/b2" "$TREE"
    selected B4 && b4

    if [ "$NO_LINEAGE" = 0 ] && [ "$have_lineage" = 0 ]; then  # make the miss visible in the table
        selected B1 && rec b1.lineage ERR "" "lineage binary unavailable"
        selected B2 && rec b2.lineage_add ERR "" "lineage binary unavailable"
        selected B3 && rec b3.lineage_status ERR "" "lineage binary unavailable"
        selected B4 && rec b4.lineage ERR "" "lineage binary unavailable"
        selected B5 && rec b5.lineage ERR "" "lineage binary unavailable"
    fi
    meta finished "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    meta load_at_end "$(cut -d' ' -f1-3 /proc/loadavg)"
    python3 "$HERE/report.py" --results "$RESULTS" --meta "$META" --failures "$FAILS" --markdown "$OUT_MD"
    say "Markdown written to $OUT_MD; logs in $W/logs$([ "$KEEP" = 1 ] || echo ' (deleted at exit; --keep keeps them)')"
}

main "$@"; exit $?
