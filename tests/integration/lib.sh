# lib.sh — shared by run.sh, make-fixtures.sh and ref-compare.sh (bash).
#
# Test cases live in cases.list, one per line:
#     NAME | MODES | ARGUMENTS
# MODES, comma-separated, may be empty:
#     err      an error case: the fixture also records whether stderr was
#              empty; comparison is of stdout and exit status only, and when
#              the reference printed its usage text only the first line of
#              stdout is compared (the usage texts differ by design)
#     w=N      terminal width N: the reference runs with stdout on a pty of
#              N columns, nsshow gets --width=N (default: no terminal, 80)
#     in=NAME  run the tool inside the user namespace of world process NAME
#              (nsenter -U): namespaces owned by ancestors are invisible
#     as=UID   run the tool as UID (and GID UID, no groups): not root
#     live     only meaningful on the live system: not replayed from a
#              snapshot
# ARGUMENTS are split on blanks; %NAME% is replaced by the PID of world
# process NAME (see WORLD_PIDS), %NAME^% by its parent's PID.

INTEG_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP_DIR=$(cd "$INTEG_DIR/../.." && pwd)
FIXTURE_DIR=$TOP_DIR/fixtures/parity
CASES=$INTEG_DIR/cases.list
NORMALIZE=$INTEG_DIR/normalize

# world_prepare DIR: make DIR (0755, readable by the world's unprivileged
# users) and compile the helper into it. Needs cc.
world_prepare() {
    local d=$1
    mkdir -p "$d" && chmod 0755 "$d" || return 1
    ${CC:-cc} -O1 -pthread -o "$d/wh" "$INTEG_DIR/helpers/wh.c" || return 1
    chmod 0755 "$d/wh"
}

# world_run DIR CMD...: build the world in a new PID namespace, run CMD there
world_run() {
    local d=$1
    shift
    unshare --pid --fork --mount-proc "$INTEG_DIR/world.sh" "$d" "$@"
}

# case_read: parse cases.list into arrays CASE_NAME CASE_MODES CASE_ARGS
case_read() {
    CASE_NAME=() CASE_MODES=() CASE_ARGS=()
    local line name modes args words
    while IFS= read -r line; do
        case $line in '' | '#'*) continue ;; esac
        IFS='|' read -r name modes args <<<"$line"
        name=${name//[[:space:]]/}
        modes=${modes//[[:space:]]/}
        read -r -a words <<<"$args"
        args="${words[*]}"   # blanks squeezed
        CASE_NAME+=("$name") CASE_MODES+=("$modes") CASE_ARGS+=("$args")
    done <"$CASES"
}

# has_mode MODES WORD: whether comma list MODES contains WORD (or WORD=...)
has_mode() {
    case ",$1," in *",$2,"* | *",$2="*) return 0 ;; esac
    return 1
}

# mode_value MODES KEY -> stdout
mode_value() {
    local m
    local IFS=,
    for m in $1; do
        case $m in "$2="*) echo "${m#*=}"; return 0 ;; esac
    done
    return 1
}

# pid lookups in the world (needs WORLD_PIDS)
world_pid() {   # world_pid NAME [^...] -> stdout
    local name=$1 c p pp
    local up=${name//[!^]/}
    name=${name%%^*}
    while read -r c p pp; do
        if [ "$c" = "$name" ]; then
            while [ -n "$up" ]; do
                up=${up#^}
                p=$pp
                pp=$(awk '/^PPid:/ { print $2 }' "/proc/$p/status")
            done
            echo "$p"
            return 0
        fi
    done <"$WORLD_PIDS"
    echo "lib.sh: no world process '$name'" >&2
    return 1
}

# subst_args ARGS -> array ARGV with %NAME% replaced
subst_args() {
    ARGV=()
    local w pre name post
    for w in $1; do
        while [[ $w == *%*%* ]]; do
            pre=${w%%%*}
            name=${w#*%}
            post=${name#*%}
            name=${name%%%*}
            w=$pre$(world_pid "$name")$post || return 1
        done
        ARGV+=("$w")
    done
}

# run_tool OUTBASE MODES TOOL ARGS...: run a tool the way MODES say, stdout
# to OUTBASE.raw, stderr to OUTBASE.err, exit status to OUTBASE.rc.
# Nothing else runs in the world meanwhile (no pipes), and every process
# this creates has a PID above WORLD_MAXPID.
run_tool() {
    local out=$1 modes=$2
    shift 2
    local pre=() w
    if w=$(mode_value "$modes" in); then
        pre=(nsenter -U -t "$(world_pid "$w")" --)
    fi
    if w=$(mode_value "$modes" as); then
        pre+=(setpriv "--reuid=$w" "--regid=$w" --clear-groups --)
    fi
    if w=$(mode_value "$modes" pty); then
        pre+=("$WORLD_DIR/wh" pty "$w")
    fi
    local rc=0
    "${pre[@]}" "$@" >"$out.raw" 2>"$out.err" </dev/null || rc=$?
    echo "$rc" >"$out.rc"
}

# The usage text of the reference starts with this line.
REF_USAGE_FIRST='Usage: namespaces_of [options] [--subtree=<pid> | <pid>...]'
