# Shared by the benchmark scripts (run.sh, remote.sh): work directory, results
# files, timing, the lineage binary, the Python venv of the peers, data generators.
# Sourced once HERE, ROOT and PROG are set; functions only. They read KEEP, TIMEOUT,
# SEED and the sizes (NFILES, NDIRS, BIG_MIB, CSV_MIB), set by the caller first.

say() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }


# bench_parse_args "$@"  -- the options run.sh and remote.sh share, into QUICK, ONLY,
# PEERS, NO_LINEAGE, REPS, LINEAGE_BIN, KEEP, OUT_MD (the caller sets their defaults
# and defines usage).
bench_parse_args() {
    while [ $# -gt 0 ]; do
        case "$1" in
            --quick) QUICK=1 ;;
            --only) ONLY=$2; shift ;;
            --only=*) ONLY=${1#*=} ;;
            --no-peers) PEERS=0 ;;
            --no-lineage) NO_LINEAGE=1 ;;
            --reps) REPS=$2; shift ;;
            --reps=*) REPS=${1#*=} ;;
            --lineage) LINEAGE_BIN=$2; shift ;;
            --lineage=*) LINEAGE_BIN=${1#*=} ;;
            --keep) KEEP=1 ;;
            --out) OUT_MD=$2; shift ;;
            --out=*) OUT_MD=${1#*=} ;;
            -h|--help) usage; exit 0 ;;
            *) echo "$PROG: unknown argument: $1" >&2; usage >&2; exit 2 ;;
        esac
        shift
    done
}

# bench_setup PREFIX -- a fresh work directory $W under $BENCH_TMPDIR (default:
# tmp-bench/ beside the repository, so on its filesystem), deleted at exit unless
# KEEP=1; results/meta/failures files; GNU time for peak RSS.
bench_setup() {
    PARENT=${BENCH_TMPDIR:-$(dirname "$ROOT")/tmp-bench}
    mkdir -p "$PARENT" || { echo "$PROG: cannot create $PARENT" >&2; exit 1; }
    W=$(mktemp -d -p "$PARENT" "$1.XXXXXX") || exit 1
    trap bench_cleanup EXIT
    trap 'say "interrupted"; exit 130' INT TERM
    mkdir -p "$W/src" "$W/logs"
    RESULTS="$W/results.tsv"; META="$W/meta.tsv"; FAILS="$W/failures.txt"
    : >"$RESULTS"; : >"$META"; : >"$FAILS"
    LOG="$W/logs/setup.log"
    FSTYPE=$(findmnt -no FSTYPE -T "$W" 2>/dev/null || stat -f -c %T "$W" 2>/dev/null || echo '?')
    if [ "$FSTYPE" = tmpfs ]; then say "WARNING: $W is on tmpfs; numbers will not reflect disk I/O (set BENCH_TMPDIR)"; fi
    if need_time; then HAVE_TIME=1; else HAVE_TIME=0; say "GNU time missing: no peak RSS"; fi
    BIG="$W/src/big.bin" TREE="$W/src/tree" CSV1="$W/src/v1.csv" CSV2="$W/src/v2.csv"
}
# Callers may set BENCH_ON_EXIT to a function run first (e.g. to stop a server).
bench_cleanup() {
    [ -n "${BENCH_ON_EXIT:-}" ] && "$BENCH_ON_EXIT"
    cd / || true
    if [ "$KEEP" = 1 ]; then say "work dir kept: $W"; else rm -rf "$W"; fi
}

meta() { printf '%s\t%s\n' "$1" "$2" >>"$META"; }
# rec KEY VALUE [RSS_KIB] [NOTE]  -- VALUE is a number, or ERR / SKIP
rec() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "${3:-}" "${4:-}" >>"$RESULTS"; }
failure() { # failure KEY "command" logfile-prefix
    {
        echo "== $1: \`$2\` (cwd $(pwd))"
        [ -f "$3.err" ] && head -c 2000 "$3.err"
        [ -f "$3.out" ] && head -c 1000 "$3.out"
        echo
    } >>"$FAILS"
}

# ------------------------------------------------------------------ tools --
need_time() {
    if [ -x /usr/bin/time ] && /usr/bin/time -f %M true >/dev/null 2>&1; then return 0; fi
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        say "installing GNU time (apt-get install -y time)"
        apt-get install -y time >>"$LOG" 2>&1 || { apt-get update >>"$LOG" 2>&1 && apt-get install -y time >>"$LOG" 2>&1; }
    fi
    [ -x /usr/bin/time ]
}
have_lineage=0
resolve_lineage() {
    [ "$NO_LINEAGE" = 1 ] && { meta lineage "skipped (--no-lineage)"; return; }
    if [ -z "$LINEAGE_BIN" ]; then
        say "building lineage: swift build -c release --scratch-path .build-release (log: $W/logs/build.log)"
        if (cd "$ROOT" && swift build -c release --scratch-path .build-release ${BUILD_PRODUCT:+--product "$BUILD_PRODUCT"}) >"$W/logs/build.log" 2>&1; then
            LINEAGE_BIN="$ROOT/.build-release/release/lineage"
        else
            say "lineage build FAILED; see below"; tail -20 "$W/logs/build.log" >&2
            echo "== build: swift build -c release --scratch-path .build-release" >>"$FAILS"
            tail -30 "$W/logs/build.log" >>"$FAILS"
        fi
    fi
    if [ -n "$LINEAGE_BIN" ] && [ -x "$LINEAGE_BIN" ]; then
        LINEAGE_BIN=$(cd "$(dirname "$LINEAGE_BIN")" && pwd)/$(basename "$LINEAGE_BIN")
        have_lineage=1
        meta lineage "$LINEAGE_BIN ($( "$LINEAGE_BIN" --version 2>/dev/null | head -n1 || true))"
    else
        meta lineage "unavailable"
        echo "== lineage binary: '${LINEAGE_BIN:-<none built>}' is not an executable file" >>"$FAILS"
    fi
}
lineage() { "$LINEAGE_BIN" "$@"; }

# ensure_venv CHECK PIP_SPEC...  -- Benchmarks/.venv (git-ignored) made with
# python3 -m venv and the pinned packages installed with pip, unless CHECK (a
# command line, run with the venv's bin/ first on PATH) already succeeds.
VENV="$HERE/.venv"
ensure_venv() {
    local check=$1; shift
    PATH="$VENV/bin:$PATH" bash -c "$check" >/dev/null 2>&1 && return 0
    say "installing $* into $VENV (pip)"
    {
        if [ ! -x "$VENV/bin/pip" ]; then
            rm -rf "$VENV"
            if ! python3 -m venv "$VENV" && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
                rm -rf "$VENV"; apt-get install -y python3-venv || { apt-get update && apt-get install -y python3-venv; }
                python3 -m venv "$VENV"
            fi
        fi
        "$VENV/bin/pip" install --disable-pip-version-check -q "$@"
    } >"$W/logs/venv-install.log" 2>&1 || say "pip install failed: $(tail -n3 "$W/logs/venv-install.log" | tr '\n' ' ')"
    PATH="$VENV/bin:$PATH" bash -c "$check" >/dev/null 2>&1
}
export DVC_NO_ANALYTICS=1
dvc() { "$DVC" "$@"; }
dvc_init() { # in cwd: a DVC project without git, no network side effects
    dvc init --no-scm -q && dvc config core.analytics false && dvc config core.check_update false
}
# --------------------------------------------------------------- measuring --
# one_run KEY CMD...  -- runs CMD once in cwd, timed; sets T (s) and RSS (KiB).
T="" RSS="" RUN=0
one_run() {
    local key=$1; shift
    RUN=$((RUN + 1))
    local lp="$W/logs/$key.$RUN" t0 t1 rc
    local pre=(timeout --foreground "$TIMEOUT")
    [ "$HAVE_TIME" = 1 ] && pre=(/usr/bin/time -f %M -o "$lp.rss" "${pre[@]}")
    t0=$(date +%s%N)
    "${pre[@]}" "$@" >"$lp.out" 2>"$lp.err" </dev/null
    rc=$?
    t1=$(date +%s%N)
    T=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", (b - a) / 1e9 }')
    RSS=""
    [ -f "$lp.rss" ] && RSS=$(tail -n1 "$lp.rss" | tr -dc 0-9)
    if [ "$rc" != 0 ]; then
        [ "$rc" = 124 ] && echo "timed out after ${TIMEOUT}s" >>"$lp.err"
        failure "$key" "$*" "$lp"
        say "  $key FAILED (exit $rc): $* -> $(head -c 300 "$lp.err" | tr '\n' ' ')"
        LAST_LOG=$lp
        return 1
    fi
    LAST_LOG=$lp
    return 0
}
min() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b + 0 < a + 0) print b; else print a }'; }
maxi() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b + 0 > a + 0) print b; else print a }'; }

# bench KEY SETUP CMD...  -- REPS times (NREPS=n overrides): SETUP (untimed, in
# this shell: may cd), sync, then CMD timed.  Records the best wall time and the
# largest peak RSS.  Floors (cp, openssl) always get >= 3 runs (FLOOR_REPS): a
# noisy single floor run would flatter every ratio against it.
bench() {
    local key=$1 setup=$2; shift 2
    local best="" rss="" i n=${NREPS:-$REPS}
    for ((i = 1; i <= n; i++)); do
        if [ -n "$setup" ] && ! $setup >>"$LOG" 2>&1; then
            say "  $key: setup '$setup' failed (see $LOG)"; rec "$key" ERR "" "setup failed"; return 1
        fi
        sync
        if ! one_run "$key" "$@"; then rec "$key" ERR "" "exit != 0: $*"; return 1; fi
        best=$(min "$best" "$T"); rss=$(maxi "$rss" "${RSS:-0}")
        say "  $key run $i/$n: ${T}s"
    done
    rec "$key" "$best" "$rss"
}
warm() { cat "$@" >/dev/null; }                                        # read files into the page cache
warm_tree() { find "$@" -type f -print0 | xargs -0 -r cat >/dev/null; } # ... every file under dirs
du_b() { if [ -e "$1" ]; then du -sb "$1" | cut -f1; else echo 0; fi; }

# --------------------------------------------------------------- data ------
ensure_big() {
    [ -f "$BIG" ] && return
    say "generating ${BIG_MIB} MiB random file (head -c ${BIG_MIB}M /dev/urandom)"
    head -c "${BIG_MIB}M" /dev/urandom >"$BIG"
    BIG_SUM=$(sha256sum "$BIG" | cut -d' ' -f1)
    sync
}
verify_big() { # the shared, hard-linked source must be untouched by every tool
    [ "$(sha256sum "$BIG" | cut -d' ' -f1)" = "$BIG_SUM" ] && return
    say "WARNING: the source file changed during $1 (a tool wrote to its input)"
    echo "== $1: source file big.bin changed during the benchmark (hard-linked input was written to)" >>"$FAILS"
}
ensure_tree() {
    [ -d "$TREE/data" ] && return
    say "generating $NFILES files of 1-16 KiB in $NDIRS dirs (seed $SEED)"
    local bytes; bytes=$(python3 "$HERE/gen_data.py" tree "$TREE/data" --files "$NFILES" --dirs "$NDIRS" --seed "$SEED")
    TREE_BYTES=$bytes; meta tree_bytes "$bytes"
    sync
}
ensure_csv() {
    [ -f "$CSV2" ] && return
    say "generating ${CSV_MIB} MiB CSV and its edited version (seed $SEED)"
    local rows; rows=$(python3 "$HERE/gen_data.py" csv "$CSV1" --bytes $((CSV_MIB << 20)) --seed "$SEED") || return 1
    python3 "$HERE/gen_data.py" csv "$CSV2" --rows "$rows" --variant edited --seed "$SEED" >/dev/null || return 1
    meta csv "v1: $rows rows, $(stat -c %s "$CSV1") bytes; v2: +1% rows appended, 1% rows edited in the middle, $(stat -c %s "$CSV2") bytes"
    sync
}

