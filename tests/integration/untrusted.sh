#!/bin/bash
# untrusted.sh — nsnap's and nsdiff's human output facing snapshots from a
# hostile machine, extreme times, and a full disk (issue 9, items 9 and 13).
#
#   NSNAP_BIN=build/asan tests/integration/untrusted.sh
#
# Runs as PID 1 of its own PID and mount namespaces (common.sh).  Two
# snapshots of the live system (the second with a sleep in new UTS and net
# namespaces) are exported and edited by build/asan/docedit (NSNAP_BIN's
# docedit), which writes them again with their hashes recomputed, and
# imported into a second store:
#
#   escape/*    host name, kernel, boot id and every comm hold ESC, CR, LF
#               and BEL (a screen clear, a forged line, a window title),
#               the label a UTF-8 C1 CSI and a right-to-left override:
#               nsnap list and info, nsdiff's tree, list and timeline, and
#               nsdiff's other-host and other-boot warnings write printable
#               ASCII and newlines only, the hostile bytes spelled \xNN,
#               though nothing here is a terminal
#   facts/*     the workload facts hold the same bytes (docedit facts:
#               command lines, executables, cgroups, host and domain names,
#               interfaces, a workload whose name also holds '"' and '\\',
#               ip netns names): nsdiff's report, list, --verbose, JSON and
#               DOT, the timeline, nsnap info and nsshow --snapshot (also
#               with --workloads, --cmdline, and in JSON) write
#               printable ASCII only; the JSON parses, and DOT too when
#               dot(1) is there
#   times/*     a capture that started at INT64_MIN ns and ended at
#               INT64_MAX ns, and one the other way round: import takes
#               them, info shows the span (no overflow), list works
#   full/*      small tmpfs: record until the disk is full says "No space
#               left on device" and the store still lists; with one page
#               left (a short write, which LMDB calls EIO) record and
#               import say the same, not "Input/output error"; on a disk
#               with nothing left a new store is refused the same way (no
#               crash in LMDB's lock map), and an export fails so and
#               leaves no file
#
# Every run is checked for sanitizer reports.  Output: "ok - NAME", "not
# ok - NAME" (details on "# " lines), "skip - NAME", and last "untrusted:
# N passed, M failed".
set -u
SUITE=untrusted
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

NSNAP=$NSNAP_BIN/nsnap NSDIFF=$NSNAP_BIN/nsdiff DOCEDIT=$NSNAP_BIN/docedit
W=$(mktemp -d /tmp/nsnap-untrusted-test.XXXXXX)
S=$W/live H=$W/hostile
exec </dev/null

trap 'work_cleanup "$W" "$W/small"' EXIT

# run NAME CMD...: stdout to $W/NAME.out, stderr to $W/NAME.err, status in RC
run() {
    local name=$1
    shift
    "$@" >"$W/$name.out" 2>"$W/$name.err"
    RC=$?
}
# check NAME STATUS [DETAIL...]
check() {
    if [ "$2" = 0 ]; then ok "$1"; else local n=$1; shift 2; notok "$n" "$@"; fi
}
# clean FILE...: only printable ASCII and newlines, no sanitizer report
clean() {
    local f
    for f in "$@"; do
        LC_ALL=C grep -qP '[^\x20-\x7e]' "$f" && return 1
        grep -Eq "$SAN_RE" "$f" && return 1
    done
    return 0
}
# has FILE TEXT: FILE holds TEXT, as it is
has() { grep -qF -- "$2" "$1"; }

if [ ! -x "$DOCEDIT" ]; then
    notok "setup: $DOCEDIT missing (make $DOCEDIT)"
    finish
fi

# ---- two snapshots, made hostile ------------------------------------------

"$NSNAP" record -q --store "$S" >/dev/null 2>"$W/rec1.err"
st=$?
unshare -un sleep 600 &
sleep 0.2
[ "$st" = 0 ] && "$NSNAP" record -q --store "$S" >/dev/null 2>"$W/rec2.err" &&
    "$NSNAP" export 1 --store "$S" -o "$W/1.json" 2>"$W/exp.err" &&
    "$NSNAP" export 2 --store "$S" -o "$W/2.json" 2>>"$W/exp.err" &&
    "$DOCEDIT" names <"$W/1.json" >"$W/h1.json" 2>"$W/edit.err" &&
    "$DOCEDIT" names <"$W/2.json" >"$W/h2.json" 2>>"$W/edit.err" &&
    "$DOCEDIT" times <"$W/1.json" >"$W/t.json" 2>>"$W/edit.err" &&
    "$DOCEDIT" backwards <"$W/1.json" >"$W/b.json" 2>>"$W/edit.err"
st=$?
check "setup: record, export, edit" "$st" "$W/rec1.err" "$W/rec2.err" "$W/exp.err" "$W/edit.err"
run import "$NSNAP" import -q --store "$H" "$W/h1.json" "$W/h2.json" \
    "$W/t.json" "$W/b.json" "$W/1.json"
[ "$RC" = 0 ] && [ "$(tr '\n' ' ' <"$W/import.out")" = "1 2 3 4 5 " ] &&
    clean "$W/import.err"
check "setup: import takes the edited documents (ids 1 to 5)" $? \
    "status $RC" "$W/import.out" "$W/import.err"

# The hostile string as every human output spells it.
E='a\x1b[2J\x0db\x0ac\x1b]0;owned\x07d'
L='lab\xc2\x9b2J\xe2\x80\xaeel'

# ---- item 9: nothing raw reaches the reader -------------------------------

run list "$NSNAP" list --store "$H"
[ "$RC" = 0 ] && clean "$W/list.out" "$W/list.err" &&
    [ "$(grep -cF -- "$E" "$W/list.out")" = 2 ] && has "$W/list.out" "$L"
check "escape/list: host, boot id and label escaped" $? "status $RC" \
    "$W/list.out" "$W/list.err"

run info "$NSNAP" info 2 --store "$H"
[ "$RC" = 0 ] && clean "$W/info.out" "$W/info.err" &&
    has "$W/info.out" "host        $E" && has "$W/info.out" "kernel      $E" &&
    has "$W/info.out" "boot id     $E" && has "$W/info.out" "label       $L"
check "escape/info: host, kernel, boot id and label escaped" $? "status $RC" \
    "$W/info.out" "$W/info.err"

# nsdiff: the sleep started between the two (the tree names a started
# process by its command line; the list below, by its hostile comm); the
# header names the host.
run diff-tree "$NSDIFF" --store "$H" 1 2
[ "$RC" = 1 ] && clean "$W/diff-tree.out" "$W/diff-tree.err" &&
    has "$W/diff-tree.out" "host=\"$E\"" && has "$W/diff-tree.out" "sleep 600 (started)"
check "escape/nsdiff-tree: host escaped" $? "status $RC" \
    "$W/diff-tree.out" "$W/diff-tree.err"
run diff-list "$NSDIFF" --store "$H" --format=list 1 2
[ "$RC" = 1 ] && clean "$W/diff-list.out" "$W/diff-list.err" &&
    has "$W/diff-list.out" "comm=\"$E\""
check "escape/nsdiff-list: comm escaped" $? "status $RC" \
    "$W/diff-list.out" "$W/diff-list.err"

run timeline "$NSDIFF" --store "$H" --timeline 1 2
[ "$RC" = 1 ] && clean "$W/timeline.out" "$W/timeline.err" &&
    has "$W/timeline.out" "snapshot host=\"$E\" boot=\"$E\"" &&
    has "$W/timeline.out" "comm=\"$E\""
check "escape/nsdiff-timeline: host, boot and comm escaped" $? "status $RC" \
    "$W/timeline.out" "$W/timeline.err"

run warn "$NSDIFF" --store "$H" 5 2
clean "$W/warn.out" "$W/warn.err" &&
    has "$W/warn.err" "different hosts ('" && has "$W/warn.err" "and '$E')" &&
    has "$W/warn.err" "boot id " && has "$W/warn.err" " and $E)"
check "escape/nsdiff-warnings: other host and boot escaped" $? "status $RC" \
    "$W/warn.err"

# ---- item 13: extreme times -----------------------------------------------

run times "$NSNAP" info 3 --store "$H"
[ "$RC" = 0 ] && clean "$W/times.out" "$W/times.err" &&
    has "$W/times.out" "(18446744073.710 s)"
check "times/info: INT64_MIN to INT64_MAX, the span shown" $? "status $RC" \
    "$W/times.out" "$W/times.err"
run backwards "$NSNAP" info 4 --store "$H"
[ "$RC" = 0 ] && clean "$W/backwards.out" "$W/backwards.err" &&
    has "$W/backwards.out" "(-18446744073.710 s)"
check "times/info: INT64_MAX to INT64_MIN, the span shown" $? "status $RC" \
    "$W/backwards.out" "$W/backwards.err"
run times-list "$NSNAP" list --store "$H"
[ "$RC" = 0 ] && clean "$W/times-list.err" && [ "$(grep -c '^ *[34] ' "$W/times-list.out")" = 2 ]
check "times/list: both listed" $? "status $RC" "$W/times-list.out" "$W/times-list.err"

# ---- the workload facts, hostile ------------------------------------------

"$DOCEDIT" facts <"$W/1.json" >"$W/f1.json" 2>"$W/fedit.err" &&
    "$DOCEDIT" facts <"$W/2.json" >"$W/f2.json" 2>>"$W/fedit.err"
check "facts/setup: edit" $? "$W/fedit.err"
run fimport "$NSNAP" import -q --store "$H" "$W/f1.json" "$W/f2.json"
[ "$RC" = 0 ] && [ "$(tr '\n' ' ' <"$W/fimport.out")" = "6 7 " ] && clean "$W/fimport.err"
check "facts/import: ids 6 and 7" $? "status $RC" "$W/fimport.out" "$W/fimport.err"

run ftree "$NSDIFF" --store "$H" 6 7
Q='q\"\\\"<b>{|}\x1b[1m\xff\xfe'
[ "$RC" = 1 ] && clean "$W/ftree.out" "$W/ftree.err" &&
    has "$W/ftree.out" "workload $E container $Q" &&
    has "$W/ftree.out" "hostname=$E" && has "$W/ftree.out" "$E -\x1b[H (started)" &&
    has "$W/ftree.out" "netns=$E"
check "facts/nsdiff-tree: workload, hostname, command line escaped" $? "status $RC" \
    "$W/ftree.out" "$W/ftree.err"
for f in list json dot; do
    run "f$f" "$NSDIFF" --store "$H" --format=$f 6 7
    [ "$RC" = 1 ] && clean "$W/f$f.out" "$W/f$f.err"
    check "facts/nsdiff-$f: printable ASCII" $? "status $RC" "$W/f$f.out" "$W/f$f.err"
done
python3 -m json.tool "$W/fjson.out" >/dev/null 2>"$W/fjson.py"
check "facts/nsdiff-json: parses" $? "$W/fjson.py"
if command -v dot >/dev/null; then
    dot -Tsvg "$W/fdot.out" >/dev/null 2>"$W/fdot.gv"
    check "facts/nsdiff-dot: dot(1) parses it" $? "$W/fdot.gv"
else
    skip "facts/nsdiff-dot: dot(1) parses it: no dot(1) (graphviz)"
fi
run fverbose "$NSDIFF" --store "$H" --verbose 7 6
[ "$RC" = 1 ] && clean "$W/fverbose.out" "$W/fverbose.err" && has "$W/fverbose.out" "(ended)"
check "facts/nsdiff-verbose: printable ASCII" $? "status $RC" "$W/fverbose.out" "$W/fverbose.err"
run ftimeline "$NSDIFF" --store "$H" --timeline 6 7
[ "$RC" = 1 ] && clean "$W/ftimeline.out" "$W/ftimeline.err"
check "facts/nsdiff-timeline: printable ASCII" $? "status $RC" "$W/ftimeline.out" \
    "$W/ftimeline.err"
run finfo "$NSNAP" info 7 --store "$H"
[ "$RC" = 0 ] && clean "$W/finfo.out" "$W/finfo.err"
check "facts/info: printable ASCII" $? "status $RC" "$W/finfo.out" "$W/finfo.err"
for o in "" --deep-scan --format=json --workloads --cmdline "--format=json --workloads"; do
    # shellcheck disable=SC2086
    run fshow "$NSNAP_BIN/nsshow" --store "$H" --snapshot=7 $o
    [ "$RC" = 0 ] && clean "$W/fshow.out" "$W/fshow.err"
    check "facts/nsshow --snapshot $o: printable ASCII" $? "status $RC" \
        "$W/fshow.out" "$W/fshow.err"
done

# ---- item 13: a full disk -------------------------------------------------

# nospace NAME: the run failed saying so, in one line, without a crash
nospace() {
    [ "$RC" = 1 ] && grep -qi "no space left on device" "$W/$1.err" &&
        ! grep -q "Input/output error" "$W/$1.err" &&
        [ "$(wc -l <"$W/$1.err")" = 1 ] && clean "$W/$1.err"
}

# small SIZE: a fresh tmpfs of SIZE on $W/small, else a skip and the end
small() {
    mountpoint -q "$W/small" && umount "$W/small"
    mkdir -p "$W/small"
    if ! mount -t tmpfs -o size="$1" tmpfs "$W/small" 2>"$W/mount.err"; then
        skip "full/*: no tmpfs ($(head -n 1 "$W/mount.err"))"
        finish
    fi
}
# leave N: fill $W/small up to N free bytes
leave() {
    local free
    free=$(($(stat -f -c '%a * %S' "$W/small")))
    head -c $((free - $1)) /dev/zero >>"$W/small/fill"
}

small 256k
n=1 RC=0
run full-record "$NSNAP" record -q --store "$W/small/s"
leave 4096
while [ "$RC" = 0 ] && [ "$n" -lt 80 ]; do
    n=$((n + 1))
    run full-record "$NSNAP" record -q --store "$W/small/s"
done
nospace full-record
check "full/record: until full, then 'No space left on device' (after $((n - 1)))" \
    $? "status $RC" "$W/full-record.err"
run full-list "$NSNAP" list --store "$W/small/s"
[ "$RC" = 0 ] && [ "$(grep -c '^ *[0-9]' "$W/full-list.out")" = $((n - 1)) ] &&
    clean "$W/full-list.err"
check "full/record: the store still lists what it holds" $? "status $RC" \
    "$W/full-list.out" "$W/full-list.err"

# One page left: the commit's write comes up short, which LMDB reports
# as EIO.
small 1m
"$NSNAP" record -q --store "$W/small/s" >/dev/null 2>"$W/full-one.err"
leave 4096
# A snapshot of an unchanged world reuses the pages the write before last
# freed (store/open.c, reserve_pages()); the store grows a page now and then,
# and one of those writes comes up short.
n=0 RC=0
while [ "$RC" = 0 ] && [ "$n" -lt 60 ]; do
    n=$((n + 1))
    run full-short "$NSNAP" record -q --store "$W/small/s"
done
nospace full-short
check "full/short-write: 'No space left on device', not an I/O error" $? \
    "status $RC" "$W/full-one.err" "$W/full-short.err"

# Nothing at all left: an import's records find no page, and the lock
# file of a new store cannot be made.  The documents are ones whose
# records the store holds none of (edited), so that the pages its free
# list may still hold are not enough for all of them.
leave 0
run full-import "$NSNAP" import -q --store "$W/small/s" "$W/f2.json" \
    "$W/h2.json" "$W/f1.json" "$W/h1.json"
[ "$RC" = 1 ] && grep -qi "cannot import: no space left on device" "$W/full-import.err" &&
    clean "$W/full-import.err"
check "full/import: 'No space left on device'" $? "status $RC" "$W/full-import.err"
run full-new "$NSNAP" record -q --store "$W/small/new"
nospace full-new
check "full/new-store: 'No space left on device', no crash" $? "status $RC" \
    "$W/full-new.err"

run full-export "$NSNAP" export 1 --store "$S" -o "$W/small/out.json"
nospace full-export && [ -z "$(cd "$W/small" && ls -d out.json* 2>/dev/null)" ]
check "full/export: 'No space left on device', no file left" $? "status $RC" \
    "$W/full-export.err" "$(ls "$W/small")"
umount "$W/small"

finish
