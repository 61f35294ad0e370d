#!/bin/bash
# run.sh — the integration tests ('make check' runs
# NSNAP_BIN=build/asan tests/integration/run.sh). Needs root, util-linux
# (unshare, nsenter, setpriv) and cc; not Go.
#
# Each part runs in its own `unshare --pid --fork --mount-proc` (this script
# re-executes itself there), so nothing depends on the host's processes:
#   parity   the test world (world.sh) is built; for every case in
#            cases.list, `nsshow --color=always --width=80 ARGS` (width N
#            for w=N cases, which are also run once more on a pty of N
#            columns with no --color/--width) is normalized and compared
#            with fixtures/parity (made from the reference program by
#            make-fixtures.sh). For error cases stdout and exit status
#            are compared, and only the first line of stdout when the
#            reference printed its usage text (the usage texts differ).
#   unreadable  nsshow from inside a nested user namespace and as uid 1000
#            (whole system): exit 0, a warning about PID 1 on stderr
#   replay   (needs $NSNAP_BIN/nsnap) `nsnap record` in the world, then every
#            case as `nsshow --snapshot=latest --store S ARGS`, compared with
#            the live nsshow output of the same case; again after the
#            whole world has exited (in a fresh PID namespace).
#   badinput nsshow --snapshot / nsnap record with a missing store, a
#            regular file, an empty file, an unknown selector: non-zero
#            status, exactly one line on stderr, no sanitizer report.
#   host     nsshow on the plain host, where PID 1's namespaces cannot be
#            read: must still work and warn about PID 1 on stderr (skipped
#            when the host's PID 1 is readable).
# Output: "ok - NAME", "not ok - NAME" (details on "# " lines after it),
# "skip - NAME: why", and last "integration: N passed, M failed".
# ONLY=REGEX restricts the parity/replay cases (by name).
set -u
. "$(dirname "$0")/lib.sh"

SAN_RE='AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:|==[0-9]+==ERROR'

# ---------------------------------------------------------------- results
result() { # result ok|not-ok|skip NAME [DETAIL-FILE-OR-TEXT...]
    local st=$1 name=$2
    shift 2
    case $st in
    ok) echo "ok - $name" ;;
    not-ok) echo "not ok - $name" ;;
    skip) echo "skip - $name" ;;
    esac | tee -a "$RESULTS"
    local d
    for d in "$@"; do
        if [ -f "$d" ]; then sed 's/^/#   /' "$d" | head -n 25; else echo "#   $d"; fi
    done
}

selected() { [ -z "${ONLY:-}" ] || [[ $1 =~ $ONLY ]]; }

sanitizer_clean() { ! grep -Eq "$SAN_RE" "$1"; }

# nsshow ARGS prefix for a case: colour on (as the reference's default;
# a later --no-color in ARGS turns it off again) and the width
nsshow_prefix() { # nsshow_prefix MODES -> array PREFIX, WIDTH
    WIDTH=80
    local w
    if w=$(mode_value "$1" w); then WIDTH=$w; fi
    PREFIX=(--color=always "--width=$WIDTH")
}

# compare_case NAME MODES BASE: BASE.{raw,err,rc} against the fixture.
# Writes BASE.out (normalized) and BASE.diff; returns 0 when equal.
compare_case() {
    local name=$1 modes=$2 b=$3
    local fx=$FIXTURE_DIR/$name
    "$NORMALIZE" -m "$WORLD_MAXPID" -w "$WIDTH" "$b.raw" >"$b.out"
    local want_rc got_rc want_err
    want_rc=$(sed -n 1p "$fx.status")
    want_err=$(sed -n 2p "$fx.status")
    got_rc=$(cat "$b.rc")
    : >"$b.diff"
    [ "$want_rc" = "$got_rc" ] || echo "exit status: expected $want_rc, got $got_rc" >>"$b.diff"
    if has_mode "$modes" err; then
        local got_err="stderr: empty"
        [ -s "$b.err" ] && got_err="stderr: non-empty"
        [ "$want_err" = "$got_err" ] || echo "expected $want_err, got $got_err" >>"$b.diff"
        if [ "$(head -n 1 "$fx.out")" = "$REF_USAGE_FIRST" ]; then
            # the usage text itself: ours differs, only its presence counts
            head -n 1 "$b.out" | grep -q '^Usage: ' ||
                echo "expected a usage text on stdout, got: $(head -n 1 "$b.out")" >>"$b.diff"
        elif grep -qxF "$REF_USAGE_FIRST" "$fx.out"; then
            [ "$(head -n 1 "$fx.out")" = "$(head -n 1 "$b.out")" ] ||
                printf 'first line of stdout:\n  expected: %s\n  got:      %s\n' \
                    "$(head -n 1 "$fx.out")" "$(head -n 1 "$b.out")" >>"$b.diff"
        else
            diff -u "$fx.out" "$b.out" | tail -n +3 >>"$b.diff"
        fi
    else
        diff -u "$fx.out" "$b.out" | tail -n +3 >>"$b.diff"
    fi
    sanitizer_clean "$b.err" || { echo "sanitizer report on stderr:"; cat "$b.err"; } >>"$b.diff"
    [ ! -s "$b.diff" ]
}

# ============================================================ phase: world
phase_world() {
    local T=$1 nsshow=$NSNAP_BIN/nsshow nsnap=$NSNAP_BIN/nsnap
    local i name modes b
    echo "$WORLD_MAXPID" >"$T/maxpid"
    mkdir -p "$T/live" "$T/run" "$T/args"
    case_read

    # ---- (a) parity with the reference
    for i in "${!CASE_NAME[@]}"; do
        name=${CASE_NAME[$i]} modes=${CASE_MODES[$i]}
        selected "$name" || continue
        b=$T/live/$name
        if [ ! -f "$FIXTURE_DIR/$name.out" ]; then
            result not-ok "parity/$name" "no fixture $FIXTURE_DIR/$name.out"
            continue
        fi
        subst_args "${CASE_ARGS[$i]}" || { result not-ok "parity/$name" "bad arguments"; continue; }
        : >"$T/args/$name"                             # for the replays
        [ ${#ARGV[@]} = 0 ] || printf '%s\n' "${ARGV[@]}" >"$T/args/$name"
        nsshow_prefix "$modes"
        run_tool "$b" "$modes" "$nsshow" "${PREFIX[@]}" "${ARGV[@]}"
        if compare_case "$name" "$modes" "$b"; then
            result ok "parity/$name"
        else
            result not-ok "parity/$name" "$b.diff"
        fi
        # on a terminal of that width, with the defaults (--color=auto)
        if has_mode "$modes" w; then
            b=$T/run/tty-$name
            run_tool "$b" "$modes,pty=$WIDTH" env -u NO_COLOR "$nsshow" "${ARGV[@]}"
            if compare_case "$name" "$modes" "$b"; then
                result ok "parity-tty/$name"
            else
                result not-ok "parity-tty/$name" "$b.diff"
            fi
        fi
    done

    # ---- from a nested user namespace, or as uid 1000, PID 1 and others
    # are unreadable: nsshow must go on with warnings (by design, unlike the
    # reference, which stops with "permission denied"), as on the host
    local ctx
    for ctx in in=u1-member-01 as=1000; do
        b=$T/run/unreadable-${ctx%%=*}
        run_tool "$b" "$ctx" "$nsshow" --color=never --no-pids
        : >"$b.diff"
        [ "$(cat "$b.rc")" = 0 ] || echo "exit status $(cat "$b.rc")" >>"$b.diff"
        grep -q '^user {' "$b.raw" || echo "no user namespace on stdout" >>"$b.diff"
        grep -Eq 'PID 1\b|/proc/1/' "$b.err" || { echo "no warning about PID 1 on stderr:"; head -n 5 "$b.err"; } >>"$b.diff"
        sanitizer_clean "$b.err" || { echo "sanitizer report:"; cat "$b.err"; } >>"$b.diff"
        if [ -s "$b.diff" ]; then
            result not-ok "unreadable/whole-system-warns-$ctx" "$b.diff"
        else
            result ok "unreadable/whole-system-warns-$ctx"
        fi
    done

    # ---- (b) replay of a snapshot
    if [ ! -x "$nsnap" ]; then
        result skip "replay: nsnap not built yet"
        return 0
    fi
    local store=$T/store id
    b=$T/run/record
    nsnap_record "$b" "$store" --label integration-world
    id=$(tr -d '[:space:]' <"$b.raw")
    if [ "$(cat "$b.rc")" = 0 ] && [[ $id =~ ^[0-9]+$ ]] && sanitizer_clean "$b.err"; then
        result ok "replay/record"
        echo "$id" >"$T/snapshot-id"
    else
        result not-ok "replay/record" "status $(cat "$b.rc"), stdout '$(head -c 200 "$b.raw")'" "$b.err"
        return 0
    fi
    replay_all "$T" "$store" replay
    # other selectors for the same snapshot
    local sel
    for sel in "$id" integration-world; do
        selected default && replay_one "$T" "$store" default "" "replay-selector/$sel" -S "$sel"
    done
}

nsnap_record() { # nsnap_record BASE STORE [ARGS...]
    local b=$1 store=$2
    shift 2
    run_tool "$b" "" "$NSNAP_BIN/nsnap" record --store "$store" "$@"
}

# replay_one T STORE CASE MODES LABEL SNAPSHOT-ARGS...: one case replayed,
# compared with the live nsshow output saved in T/live
replay_one() {
    local T=$1 store=$2 name=$3 modes=$4 label=$5
    shift 5
    local b=$T/run/replay-$name live=$T/live/$name
    if [ ! -f "$live.out" ] || [ ! -f "$T/args/$name" ]; then
        result skip "$label: no live output to compare with"
        return
    fi
    nsshow_prefix "$modes"
    mapfile -t ARGV <"$T/args/$name"
    run_tool "$b" "" "$NSNAP_BIN/nsshow" "${PREFIX[@]}" "$@" --store "$store" "${ARGV[@]}"
    "$NORMALIZE" -m "$(cat "$T/maxpid")" -w "$WIDTH" "$b.raw" >"$b.out"
    : >"$b.diff"
    [ "$(cat "$live.rc")" = "$(cat "$b.rc")" ] ||
        echo "exit status: live $(cat "$live.rc"), replay $(cat "$b.rc")" >>"$b.diff"
    diff -u "$live.out" "$b.out" | tail -n +3 >>"$b.diff"
    sanitizer_clean "$b.err" || { echo "sanitizer report on stderr:"; cat "$b.err"; } >>"$b.diff"
    if [ -s "$b.diff" ]; then
        if [ -s "$b.err" ]; then { echo "stderr:"; head -n 5 "$b.err"; } >>"$b.diff"; fi
        result not-ok "$label" "$b.diff"
    else
        result ok "$label"
    fi
}

replay_all() { # replay_all T STORE PREFIX
    local T=$1 store=$2 tag=$3 i name modes
    case_read
    for i in "${!CASE_NAME[@]}"; do
        name=${CASE_NAME[$i]} modes=${CASE_MODES[$i]}
        selected "$name" || continue
        if has_mode "$modes" live; then
            continue
        fi
        replay_one "$T" "$store" "$name" "$modes" "$tag/$name" --snapshot=latest
    done
}

# ============================================================ phase: after
# In a fresh PID namespace, after the world has gone: replay again, and
# feed nsshow/nsnap bad stores.
phase_after() {
    local T=$1 nsshow=$NSNAP_BIN/nsshow nsnap=$NSNAP_BIN/nsnap
    export WORLD_PIDS=$T/pids WORLD_MAXPID
    WORLD_MAXPID=$(cat "$T/maxpid")
    unset NSNAP_STORE
    export HOME=$T/home XDG_STATE_HOME=$T/home/state
    mkdir -p "$HOME"

    if [ -x "$nsnap" ] && [ -f "$T/snapshot-id" ]; then
        replay_all "$T" "$T/store" replay-after-exit
    elif [ -x "$nsnap" ]; then
        result skip "replay-after-exit: no snapshot was recorded"
    else
        result skip "replay-after-exit: nsnap not built yet"
    fi

    # ---- (c) bad input
    printf 'this is not a store\n' >"$T/regular-file"
    : >"$T/empty-file"
    mkdir -p "$T/empty-dir"
    bad_input "nsshow/missing-store" "$nsshow" --snapshot=latest --store "$T/no/such/dir"
    bad_input "nsshow/regular-file-store" "$nsshow" --snapshot=latest --store "$T/regular-file"
    bad_input "nsshow/empty-file-store" "$nsshow" --snapshot=latest --store "$T/empty-file"
    bad_input "nsshow/empty-dir-store" "$nsshow" -S latest --store "$T/empty-dir"
    if [ -x "$nsnap" ] && [ -f "$T/snapshot-id" ]; then
        bad_input "nsshow/unknown-selector" "$nsshow" --snapshot=no-such-label --store "$T/store"
        bad_input "nsshow/selector-too-far-back" "$nsshow" --snapshot=latest~1000 --store "$T/store"
        bad_input "nsshow/unknown-id" "$nsshow" --snapshot=987654 --store "$T/store"
    else
        result skip "badinput/nsshow-unknown-selector: needs a store made by nsnap (not built yet)"
    fi
    if [ -x "$nsnap" ]; then
        bad_input "nsnap/record-regular-file-store" "$nsnap" record --store "$T/regular-file"
        bad_input "nsnap/record-empty-file-store" "$nsnap" record --store "$T/empty-file"
        bad_input "nsnap/record-store-under-file" "$nsnap" record --store "$T/regular-file/sub"
    else
        result skip "badinput/nsnap: nsnap not built yet"
    fi
}

bad_input() { # bad_input NAME TOOL ARGS...
    local name=$1
    shift
    local b=$TMPD/run/bad-${name//\//-}
    run_tool "$b" "" "$@"
    local rc nl
    rc=$(cat "$b.rc")
    nl=$(grep -c '' "$b.err")
    : >"$b.diff"
    [ "$rc" != 0 ] || echo "exit status 0" >>"$b.diff"
    [ "$nl" = 1 ] && [ -n "$(tr -d '[:space:]' <"$b.err")" ] ||
        { echo "expected one line on stderr, got $nl:"; head -n 5 "$b.err"; } >>"$b.diff"
    sanitizer_clean "$b.err" || echo "sanitizer report" >>"$b.diff"
    if [ -s "$b.diff" ]; then
        result not-ok "badinput/$name" "$b.diff"
    else
        result ok "badinput/$name"
        echo "#   $(cat "$b.err")"
    fi
}

# ============================================================ phase: host
phase_host() {
    local nsshow=$NSNAP_BIN/nsshow b=$TMPD/run/host
    if readlink /proc/1/ns/user >/dev/null 2>&1; then
        result skip "host: PID 1's namespaces are readable here"
        return
    fi
    run_tool "$b" "" "$nsshow" --color=never --no-pids
    : >"$b.diff"
    [ "$(cat "$b.rc")" = 0 ] || echo "exit status $(cat "$b.rc")" >>"$b.diff"
    grep -q '^user {' "$b.raw" || echo "no user namespace on stdout" >>"$b.diff"
    grep -Eq 'PID 1\b|/proc/1/' "$b.err" || { echo "no warning about PID 1 on stderr:"; head -n 5 "$b.err"; } >>"$b.diff"
    sanitizer_clean "$b.err" || echo "sanitizer report" >>"$b.diff"
    if [ -s "$b.diff" ]; then
        result not-ok "host/pid1-unreadable" "$b.diff"
    else
        result ok "host/pid1-unreadable"
        echo "#   $(head -n 1 "$b.err")"
    fi
}

# ============================================================ phase: foreign /proc
# `unshare -p -f` without --mount-proc: the tool is PID 1 of its own PID
# namespace, but /proc is the host's and numbers it otherwise.  "self" and
# "thread-self" must name what /proc/self names (capture resolves them
# against its /proc, not with getpid()): the namespaces listed are those
# /proc/self/ns shows for a process beside it, and the run succeeds.
phase_foreign_proc() {
    local nsshow=$NSNAP_BIN/nsshow b=$TMPD/run/foreign-proc word
    for word in self thread-self; do
        unshare --pid --fork sh -c '
            for l in /proc/self/ns/*; do
                case $l in *_for_children) ;; *) readlink "$l" ;; esac
            done | sed "s/.*:\[\(.*\)\]/\1/" | sort >"$2.want"
            "$1" --color=never "$3" >"$2.raw" 2>"$2.err"; echo $? >"$2.rc"' \
            sh "$nsshow" "$b" "$word"
        : >"$b.diff"
        [ "$(cat "$b.rc")" = 0 ] || echo "exit status $(cat "$b.rc")" >>"$b.diff"
        sed -n 's/.*{[0-9]* \([0-9]*\)}.*/\1/p' "$b.raw" | sort >"$b.got"
        [ -s "$b.want" ] && cmp -s "$b.want" "$b.got" ||
            { echo "namespaces listed differ from /proc/self/ns:"; diff "$b.want" "$b.got"; } >>"$b.diff"
        [ -s "$b.err" ] && { echo "stderr:"; head -n 5 "$b.err"; } >>"$b.diff"
        if [ -s "$b.diff" ]; then
            result not-ok "foreign-proc/$word: nsshow $word under unshare -p -f" "$b.diff"
        else
            result ok "foreign-proc/$word: nsshow $word under unshare -p -f"
        fi
    done
}

# ============================================================ main
case ${1:-} in
--phase=world)
    TMPD=$2 RESULTS=$2/results
    NSNAP_BIN=$3
    cp "$WORLD_PIDS" "$TMPD/pids"
    phase_world "$TMPD"
    exit 0
    ;;
--phase=after)
    TMPD=$2 RESULTS=$2/results
    NSNAP_BIN=$3
    phase_after "$TMPD"
    exit 0
    ;;
esac

start=$(date +%s)
NSNAP_BIN=${NSNAP_BIN:-build}
case $NSNAP_BIN in /*) ;; *) NSNAP_BIN=$TOP_DIR/$NSNAP_BIN ;; esac
TMPD=$(mktemp -d /tmp/nsnap-integ.XXXXXX)
RESULTS=$TMPD/results
: >"$RESULTS"
chmod 0755 "$TMPD"
mkdir -p "$TMPD/run"
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$TMPD"' EXIT

finish() {
    local p f
    p=$(grep -c '^ok - ' "$RESULTS")
    f=$(grep -c '^not ok - ' "$RESULTS")
    echo "# $(grep -c '^skip - ' "$RESULTS") skipped, $(($(date +%s) - start)) s"
    echo "integration: $p passed, $f failed"
    [ "$f" = 0 ]
    exit
}

if [ "$(id -u)" != 0 ]; then
    result not-ok "setup: must run as root"
    finish
fi
if [ ! -x "$NSNAP_BIN/nsshow" ]; then
    result not-ok "setup: $NSNAP_BIN/nsshow not found (make it first)"
    finish
fi
# Copies every world user can execute (the tool also runs inside nested
# user namespaces, as an unprivileged uid of the initial one).
mkdir -p "$TMPD/bin"
for t in nsshow nsnap; do
    [ -x "$NSNAP_BIN/$t" ] && cp "$NSNAP_BIN/$t" "$TMPD/bin/$t"
done
chmod -R a+rX "$TMPD/bin"
NSNAP_BIN=$TMPD/bin
if ! world_prepare "$TMPD/w" >"$TMPD/run/cc.log" 2>&1; then
    result not-ok "setup: compiling helpers/wh.c" "$TMPD/run/cc.log"
    finish
fi

world_run "$TMPD/w" "$INTEG_DIR/run.sh" --phase=world "$TMPD" "$NSNAP_BIN"
rc=$?
if [ $rc != 0 ] || [ ! -f "$TMPD/maxpid" ]; then
    result not-ok "world: building the test world or running in it failed (status $rc)" "$TMPD/w/world.log"
    finish
fi
unshare --pid --fork --mount-proc "$INTEG_DIR/run.sh" --phase=after "$TMPD" "$NSNAP_BIN" ||
    result not-ok "after: phase failed (status $?)"
phase_host
phase_foreign_proc
finish
