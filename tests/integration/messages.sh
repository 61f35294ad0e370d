#!/bin/bash
# messages.sh — what the three tools say and how they exit (issue 12).
#
# Runs as PID 1 of its own PID namespace with a /proc of its own (see
# common.sh), so that the processes a normal user may not read are the
# ones this script starts.  Checks:
#   status/table     the EXIT STATUS table of nsshow(1), nsdiff(1) and
#                    nsnap(8) is one table, the same in all three pages
#   status/CASE      each tool's real status for a bad selector, a bad
#                    option, no store, success, differences and no
#                    differences is the one that table gives it
#   first-run/TOOL   a normal user's read command on a default store that
#                    does not exist yet: "no store yet", how to make one
#                    ('nsnap record'), the table's status for an error
#   summary/*        a normal user's record with 95 unreadable processes
#                    (root's sleepers): one warning line that counts them,
#                    says "run as root" and names a few PIDs; --verbose
#                    lists each; record --interval says it once while it
#                    stays the same; nsdiff against live says it once too;
#                    list's GAPS counts processes and threads, below
#                    info's count of links
#   replay/*         replaying that snapshot, nsshow's own warnings say
#                    they come from the capture ("at capture (snapshot 1,
#                    host H): ...")
#
# The normal user is $FOREIGN_USER (default nsnap-tester), made as
# foreign.sh makes it when absent; without one those checks are skipped,
# visibly.
#
#   NSNAP_BIN   directory holding the tools (default: build)
#   KEEP=1      keep the temporary directory
#
# Output: "ok - NAME", "not ok - NAME" (details on "#" lines), "skip -
# NAME", and last "messages: N passed, M failed".
set -u

SUITE=messages
. "$(dirname "$0")/common.sh"

NSSHOW=$NSNAP_BIN/nsshow NSDIFF=$NSNAP_BIN/nsdiff NSNAP=$NSNAP_BIN/nsnap
for t in "$NSSHOW" "$NSDIFF" "$NSNAP"; do
    if [ ! -x "$t" ]; then
        notok "setup: $t not found (make it first)"
        finish
    fi
done

T=$(mktemp -d /tmp/nsnap-messages.XXXXXX)
chmod 0755 "$T"
trap 'exec 2>/dev/null; work_cleanup "$T"' EXIT
exec </dev/null
S=$T/store
export NSNAP_STORE=$T/no-such-store  # every run names its store

# run NAME TOOL ARGS...: NAME.out, .err, .rc in $T
run() {
    local b=$T/$1
    shift
    "$@" >"$b.out" 2>"$b.err"
    echo $? >"$b.rc"
}
nosan() { ! grep -Eq "$SAN_RE" "$T/$1.err"; }

# ---------------------------------------------------------------- the table
# table PAGE: the rows of its EXIT STATUS table, "STATUS|NSSHOW-NSNAP|NSDIFF"
table() {
    sed -n '/^\.Sh EXIT STATUS/,/^\.El/p' "$1" |
        sed -n 's/^\.It \([0-9]\) Ta \(.*\) Ta \(.*\)$/\1|\2|\3/p'
}
table "$TOP_DIR/man/nsshow.1" >"$T/table"
if [ "$(wc -l <"$T/table")" -lt 3 ]; then
    notok "status/table" "no EXIT STATUS table in man/nsshow.1"
    finish
fi
same=0
for p in man/nsdiff.1 man/nsnap.8; do
    table "$TOP_DIR/$p" >"$T/table.other"
    if ! diff -u --label man/nsshow.1 --label "$p" "$T/table" "$T/table.other" >"$T/table.diff"; then
        notok "status/table-$p" "$T/table.diff"
        same=1
    fi
done
[ "$same" = 0 ] && ok "status/table (one table in the three pages)"

# want TOOL MEANING: the status the table gives MEANING in TOOL's column
want() {
    local col=2
    [ "$1" = nsdiff ] && col=3
    awk -F'|' -v c="$col" -v m="$2" '$c == m { print $1 }' "$T/table"
}
# status NAME TOOL MEANING ARGS...: TOOL ARGS exits as the table says
status() {
    local name=$1 tool=$2 meaning=$3 w
    shift 3
    w=$(want "$tool" "$meaning")
    run "st-$name" "$NSNAP_BIN/$tool" "$@"
    if [ -z "$w" ]; then
        notok "status/$name" "the table has no '$meaning' for $tool"
    elif [ "$(cat "$T/st-$name.rc")" = "$w" ] && nosan "st-$name"; then
        ok "status/$name ($meaning: $w)"
    else
        notok "status/$name" "exit status $(cat "$T/st-$name.rc"), the table says $w ($meaning)" "$T/st-$name.err"
    fi
}

if ! "$NSNAP" record -q --store "$S" >/dev/null 2>"$T/rec.err" ||
    ! "$NSNAP" record -q --store "$S" >/dev/null 2>>"$T/rec.err"; then
    notok "setup: nsnap record" "$T/rec.err"
    finish
fi
unshare --net sleep 1000 &
for _ in $(seq 100); do
    [ "$(readlink "/proc/$!/ns/net")" != "$(readlink /proc/self/ns/net)" ] &&
        [ "$(cat "/proc/$!/comm")" = sleep ] && break
    sleep 0.05
done
"$NSNAP" record -q --store "$S" >/dev/null 2>>"$T/rec.err"

status nsshow-success nsshow success --snapshot=1 --store "$S"
status nsshow-bad-selector nsshow "an error" --snapshot=99 --store "$S"
status nsshow-bad-option nsshow "a usage error" --bogus
status nsshow-no-store nsshow "an error" --snapshot=1 --store "$T/none"
status nsnap-success nsnap success list --store "$S"
status nsnap-bad-selector nsnap "an error" info 99 --store "$S"
status nsnap-bad-option nsnap "a usage error" list --bogus --store "$S"
status nsnap-no-store nsnap "an error" list --store "$T/none"
status nsdiff-same nsdiff "no differences" 1 1 --store "$S"
status nsdiff-differences nsdiff differences 1 3 --store "$S"
status nsdiff-bad-selector nsdiff trouble 1 99 --store "$S"
status nsdiff-bad-option nsdiff trouble --bogus 1 2 --store "$S"
status nsdiff-no-store nsdiff trouble 1 2 --store "$T/none"

# ---------------------------------------------------------------- a normal user
TU=${FOREIGN_USER:-nsnap-tester}
if ! id -u "$TU" >/dev/null 2>&1; then
    useradd --system --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin "$TU" >"$T/useradd.err" 2>&1
fi
if ! TUID=$(id -u "$TU" 2>/dev/null) || ! TGID=$(id -g "$TU" 2>/dev/null) ||
    [ "$TUID" = 0 ]; then
    skip "first-run, summary, replay: no user $TU to be had ($(head -n 1 "$T/useradd.err" 2>/dev/null))"
    finish
fi
# as_user CMD...: CMD as the normal user, its home (and default store
# below it) in $T/home, no NSNAP_STORE
as_user() {
    setpriv --reuid="$TUID" --regid="$TGID" --clear-groups \
        env -u NSNAP_STORE -u XDG_STATE_HOME HOME="$T/home" "$@"
}
mkdir -p "$T/home" "$T/u"
chown "$TUID:$TGID" "$T/home" "$T/u"

# ---- first run
for c in "nsnap list" "nsnap info latest" "nsshow --snapshot=latest" "nsdiff latest"; do
    set -- $c
    tool=$1
    name=first-run-${c// /-}
    run "$name" as_user "$NSNAP_BIN/$@"
    meaning="an error"
    [ "$tool" = nsdiff ] && meaning=trouble
    w=$(want "$tool" "$meaning")
    if [ "$(cat "$T/$name.rc")" = "$w" ] && nosan "$name" &&
        grep -q "$T/home/.local/state/nsnap: no store yet; 'nsnap record' makes one" "$T/$name.err" &&
        [ "$(wc -l <"$T/$name.err")" = 1 ]; then
        ok "first-run/$c"
    else
        notok "first-run/$c" "exit status $(cat "$T/$name.rc") (want $w)" "$T/$name.err"
    fi
done

# ---- 95 processes the user may not read
SLEEPERS=()
for _ in $(seq 95); do
    sleep 1000 &
    SLEEPERS+=("$!")
done
US=$T/u/store
SUM_RE='^nsnap: warning: [0-9]+ processes could not be read \(permission denied\); run as root to see them \(PIDs [0-9]+, [0-9]+, [0-9]+, [0-9]+, [0-9]+, \.\.\.\); --verbose lists them all$'

run summary as_user "$NSNAP" record --store "$US"
n=$(sed -n 's/^nsnap: warning: \([0-9]*\) processes could not be read.*/\1/p' "$T/summary.err")
if [ "$(cat "$T/summary.rc")" = 0 ] && nosan summary && [ "$(wc -l <"$T/summary.err")" = 1 ] &&
    grep -Eq "$SUM_RE" "$T/summary.err" && [ "${n:-0}" -ge 95 ]; then
    ok "summary/record: one line for $n processes"
else
    notok "summary/record" "exit status $(cat "$T/summary.rc"), want 0 and one summary line for 95 or more processes:" "$T/summary.err"
fi
run verbose as_user "$NSNAP" record --verbose --store "$US"
nv=$(grep -c '^nsnap: warning: cannot read /proc/[0-9]*/ns: Permission denied$' "$T/verbose.err")
if [ "$(cat "$T/verbose.rc")" = 0 ] && nosan verbose && [ "$nv" -ge 95 ] &&
    ! grep -q 'processes could not be read' "$T/verbose.err"; then
    ok "summary/verbose: $nv lines"
else
    notok "summary/verbose" "exit status $(cat "$T/verbose.rc"), $nv warning lines, want 95 or more and no summary" "$T/verbose.err"
fi
run interval as_user "$NSNAP" record --interval 1 --count 3 --store "$US"
if [ "$(cat "$T/interval.rc")" = 0 ] && nosan interval && [ "$(wc -l <"$T/interval.out")" = 3 ] &&
    [ "$(wc -l <"$T/interval.err")" = 1 ] && grep -Eq "$SUM_RE" "$T/interval.err"; then
    ok "summary/interval: said once for 3 snapshots"
else
    notok "summary/interval" "exit status $(cat "$T/interval.rc"), want 0, 3 ids and one summary line:" "$T/interval.err"
fi
run nsdiff-live as_user "$NSDIFF" --store "$US" 1 live
if [ "$(grep -c 'warning' "$T/nsdiff-live.err")" = 1 ] && nosan nsdiff-live &&
    grep -q '^nsdiff: warning: [0-9]* processes could not be read (permission denied); run as root to see them' "$T/nsdiff-live.err"; then
    ok "summary/nsdiff-live: one line"
else
    notok "summary/nsdiff-live" "want one summary line:" "$T/nsdiff-live.err"
fi

# ---- list's GAPS: processes and threads, not links (info keeps those)
read -r _ _ _ _ _ procs threads _ gaps _ < <(as_user "$NSNAP" list --store "$US" | sed -n 2p)
links=$(as_user "$NSNAP" info 1 --store "$US" | sed -n 's/^gaps  *//p')
if [ "${gaps:-0}" -ge 95 ] && [ "$gaps" -le $((procs + threads)) ] && [ "${links:-0}" -gt "$gaps" ]; then
    ok "summary/list-gaps: $gaps processes and threads ($links links in info)"
else
    notok "summary/list-gaps" "GAPS '${gaps:-}' of ${procs:-?} processes and ${threads:-?} threads, info's gaps '${links:-}'"
fi

# ---- the snapshot replayed, by root too: the warnings are the capture's
host=$(uname -n)
run replay "$NSSHOW" --snapshot=1 --foreign=copy --store "$US"
pre="nsshow: warning: at capture (snapshot 1, host $host): "
if nosan replay && grep -qF "${pre}cannot read /proc/1/ns/" "$T/replay.err" &&
    ! grep 'warning' "$T/replay.err" | grep -vqF "$pre"; then
    ok "replay/store: every warning says 'at capture (snapshot 1, host $host)'"
else
    notok "replay/store" "want every warning to begin '$pre':" "$T/replay.err"
fi
as_user "$NSNAP" export 1 --store "$US" -o "$T/u/one.json" 2>"$T/export.err"
run replay-file "$NSSHOW" --snapshot="$T/u/one.json"
pre="nsshow: warning: at capture ($T/u/one.json, host $host): "
if nosan replay-file && grep -qF "${pre}cannot read /proc/1/ns/" "$T/replay-file.err"; then
    ok "replay/file: the export file named"
else
    notok "replay/file" "want warnings beginning '$pre':" "$T/export.err" "$T/replay-file.err"
fi
run live "$NSSHOW" --no-pids
if nosan live && ! grep -q 'at capture' "$T/live.err"; then
    ok "replay/live: no 'at capture' live"
else
    notok "replay/live" "$T/live.err"
fi

finish
