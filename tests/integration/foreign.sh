#!/bin/bash
# foreign.sh — another user's store, copy destination and output files
# against the tools run as root (issue 9, items 1, 8 and 13), each attack as
# it was reported, then the check that it did no harm.
#
#   NSNAP_BIN=build/asan tests/integration/foreign.sh
#
# Needs root, util-linux (unshare, setpriv) and useradd: the other user is
# $FOREIGN_USER (default nsnap-tester), made as a system user without a
# home when absent; without one every check is skipped, visibly.
#
# Asserted (the store and the tools open stores, and export -o writes,
# through store/fsafe.h):
#
#   own-store: both users' own stores work
#   lock-link/CMD: root's file unchanged   lock.mdb -> a root file, then
#                                          root runs list, info, verify,
#                                          nsshow -S, nsdiff
#   lock-link/CMD: refused naming owner    ... and is told who owns what
#   data-link: root's empty file unchanged data.mdb -> an empty root file,
#                                          then root runs record
#   copy-dest: root's file unchanged       lock.mdb link in the user's DEST
#   copy-dest: refused naming owner
#   group-writable: refused                root's own store made 0770
#   foreign-copy: root reads a private copy   list, info, verify, nsshow
#                                          and nsdiff with --foreign=copy,
#                                          the store untouched, the copy
#                                          gone; copy --foreign=copy makes
#                                          a store of root's own
#   foreign-copy/record: a usage error     --foreign=copy is for readers
#   foreign-copy/data-link: refused        the private copy is never made
#                                          through a link
#   not-a-store: refused, nothing made     record into a full directory
#   store-root: refused, nothing made      record --store /
#   copy-fail: no DEST left                a copy that fails for ENOSPC
#   store-env-long: no "set NSNAP_STORE"   a 5,000-byte NSNAP_STORE
#   export-dash, export-regular: `-o -` is standard output, a regular file
#                                          is replaced by a new one (0600)
#   export-chr: still a device             -o onto a /dev/null made by mknod
#   export-fifo: still a FIFO, reader got the document
#   export-proc-link: link left alone      -o onto a link to /proc/self/fd/1
#   export-theirs: refused, file unchanged -o onto the other user's file
#   export-planted-link: root's file behind it never written, link left
#                                          alone (the user's link to a
#                                          root file)
#
# Output: "ok - NAME", "not ok - NAME" (details on "# " lines), "skip -
# NAME", and last "foreign: N passed, M failed".
set -u
SUITE=foreign
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

TU=${FOREIGN_USER:-nsnap-tester}
W=$(mktemp -d /tmp/nsnap-foreign-test.XXXXXX)
chmod 0755 "$W"
exec </dev/null

trap 'work_cleanup "$W" "$W/small"' EXIT

# check NAME STATUS [DETAIL...]: an ordinary check
check() {
    if [ "$2" = 0 ]; then ok "$1"; else local n=$1; shift 2; notok "$n" "$@"; fi
}
# run ERR CMD...: CMD with stdout to $W/out, stderr to ERR; status in RC
run() {
    local err=$1
    shift
    "$@" >"$W/out" 2>"$err"
    RC=$?
}
SANS=()
# nosan ERR...: remember stderr files to search for sanitizer reports
nosan() { SANS+=("$@"); }
as_user() { setpriv --reuid="$TUID" --regid="$TGID" --clear-groups "$@"; }
# victim FILE [TEXT]: a root file, 0600, holding TEXT
victim() {
    rm -f "$1"
    printf '%s' "${2-precious}" >"$1"
    chmod 0600 "$1"
}
unchanged() { [ -f "$1" ] && [ ! -L "$1" ] && printf '%s' "${2-precious}" | cmp -s - "$1"; }
# owner_named ERR: the refusal names the other user and a mode
owner_named() {
    [ "$RC" != 0 ] &&
        grep -Eq "owned by $TU \\(uid $TUID\\), mode [0-7]{4}" "$1"
}

# ---- the other user -------------------------------------------------------

if ! id -u "$TU" >/dev/null 2>&1; then
    useradd --system --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin "$TU" >"$W/useradd.err" 2>&1
fi
if ! TUID=$(id -u "$TU" 2>/dev/null) || ! TGID=$(id -g "$TU" 2>/dev/null) ||
    ! setpriv --reuid="$TUID" --regid="$TGID" --clear-groups true 2>/dev/null; then
    skip "every check: no user $TU to be had ($(head -n 1 "$W/useradd.err" 2>/dev/null))"
    finish
fi
ok "setup: user $TU (uid $TUID)"

NSNAP=$NSNAP_BIN/nsnap NSSHOW=$NSNAP_BIN/nsshow NSDIFF=$NSNAP_BIN/nsdiff
T=$W/tdir              # the other user's directory
mkdir "$T"
chown "$TUID:$TGID" "$T"
R=$W/root-store        # root's own store

# ---- both users' own stores work ------------------------------------------

# own NAME [as_user]: that user records a store and lists it
own() {
    local s=$1 st
    shift
    run "$W/rec-$1.err" "$@" "$NSNAP" record -q --store "$s"
    st=$RC
    nosan "$W/rec-$1.err"
    if [ "$st" = 0 ]; then
        run "$W/list-$1.err" "$@" "$NSNAP" list --store "$s"
        nosan "$W/list-$1.err"
        st=$RC
        grep -q '^ *1 ' "$W/out" || st=1
    fi
    return "$st"
}
own "$T/s" as_user
check "own-store: $TU records and lists" $? "$W/rec-as_user.err" "$W/list-as_user.err"
own "$R" env
check "own-store: root records and lists" $? "$W/rec-env.err" "$W/list-env.err"

# ---- item 1: lock.mdb planted as a link to a root file --------------------

lock_link() { # lock_link NAME CMD...: root runs CMD on the user's store
    local name=$1 v=$W/victim-$1
    shift
    victim "$v"
    as_user rm -f "$T/s/lock.mdb"
    as_user ln -s "$v" "$T/s/lock.mdb"
    run "$W/$name.err" "$@"
    nosan "$W/$name.err"
    unchanged "$v"
    check "lock-link/$name: root's file unchanged" $? \
        "$(stat -c '%s bytes' "$v")" "$W/$name.err"
    owner_named "$W/$name.err"
    check "lock-link/$name: refused naming owner and mode" $? "status $RC" "$W/$name.err"
}
lock_link list "$NSNAP" list --store "$T/s"
lock_link info "$NSNAP" info latest --store "$T/s"
lock_link verify "$NSNAP" verify --store "$T/s"
lock_link nsshow "$NSSHOW" --snapshot=latest --store="$T/s"
lock_link nsdiff "$NSDIFF" --store "$T/s" latest latest
as_user rm -f "$T/s/lock.mdb"

# ---- item 1: data.mdb planted as a link to an empty root file -------------

victim "$W/empty" ""
as_user mkdir "$T/s2"
as_user ln -s "$W/empty" "$T/s2/data.mdb"
run "$W/data-link.err" "$NSNAP" record -q --store "$T/s2"
nosan "$W/data-link.err"
[ ! -s "$W/empty" ] && [ -f "$W/empty" ]
check "data-link: root's empty file unchanged" $? \
    "$(stat -c '%s bytes' "$W/empty")" "$W/data-link.err"

# ---- item 1: lock.mdb planted in a copy's destination ---------------------

victim "$W/victim-copy"
as_user mkdir "$T/dest"
as_user ln -s "$W/victim-copy" "$T/dest/lock.mdb"
run "$W/copy-dest.err" "$NSNAP" copy --store "$R" "$T/dest"
nosan "$W/copy-dest.err"
unchanged "$W/victim-copy"
check "copy-dest: root's file unchanged" $? \
    "$(stat -c '%s bytes' "$W/victim-copy")" "$W/copy-dest.err"
owner_named "$W/copy-dest.err"
check "copy-dest: refused naming owner and mode" $? "status $RC" "$W/copy-dest.err"

# ---- item 1: root's own store, writable by its group ----------------------

chmod 0770 "$R"
run "$W/group.err" "$NSNAP" list --store "$R"
nosan "$W/group.err"
[ "$RC" != 0 ] && grep -q "mode 0770 lets group write" "$W/group.err"
check "group-writable: refused naming the mode" $? "status $RC" "$W/group.err"
chmod 0700 "$R"

# ---- item 1: root reads a foreign store from a private copy ---------------

before=$(as_user ls -l --time-style=full-iso "$T/s" 2>&1)
mkdir "$W/ptmp"
run "$W/foreign.err" env TMPDIR="$W/ptmp" "$NSNAP" list --foreign=copy --store "$T/s"
nosan "$W/foreign.err"
# The copy was made under $TMPDIR and is gone.
[ "$RC" = 0 ] && grep -q '^ *1 ' "$W/out" && [ -z "$(ls -A "$W/ptmp")" ] &&
    [ "$(as_user ls -l --time-style=full-iso "$T/s" 2>&1)" = "$before" ]
check "foreign-copy: root lists a private copy, the store untouched" $? \
    "status $RC" "$W/foreign.err"

# foreign_read NAME CMD...: root reads the user's store through a private
# copy with CMD; it works (JSON, so that some output there always is), and
# leaves neither the copy nor a trace behind
foreign_read() {
    local name=$1
    shift
    run "$W/foreign-$name.err" env TMPDIR="$W/ptmp" "$@"
    nosan "$W/foreign-$name.err"
    [ "$RC" = 0 ] && [ -s "$W/out" ] && [ -z "$(ls -A "$W/ptmp")" ] &&
        [ "$(as_user ls -l --time-style=full-iso "$T/s" 2>&1)" = "$before" ]
    check "foreign-copy/$name: works, the store untouched" $? \
        "status $RC" "$W/foreign-$name.err"
}
foreign_read info "$NSNAP" info latest --foreign=copy --store "$T/s"
foreign_read verify "$NSNAP" verify --foreign=copy --store "$T/s"
foreign_read nsshow "$NSSHOW" --foreign=copy --snapshot=latest --format=json --store="$T/s"
foreign_read nsdiff "$NSDIFF" --foreign=copy --format=json --store "$T/s" latest latest
foreign_read copy "$NSNAP" copy -q --foreign=copy --store "$T/s" "$W/mine"
run "$W/mine.err" "$NSNAP" list --store "$W/mine"
nosan "$W/mine.err"
[ "$RC" = 0 ] && grep -q '^ *1 ' "$W/out" && [ "$(stat -c %u "$W/mine/data.mdb")" = 0 ]
check "foreign-copy/copy: the copy is a store of root's own" $? "status $RC" "$W/mine.err"
run "$W/foreign-record.err" "$NSNAP" record --foreign=copy --store "$T/s"
[ "$RC" = 2 ] && grep -q "^nsnap: --foreign is for " "$W/foreign-record.err"
check "foreign-copy/record: a usage error" $? "status $RC" "$W/foreign-record.err"
# The private copy is of a regular file, never through a link.
as_user mkdir "$T/s3"
as_user ln -s "$W/empty" "$T/s3/data.mdb"
run "$W/foreign-link.err" env TMPDIR="$W/ptmp" "$NSNAP" list --foreign=copy --store "$T/s3"
nosan "$W/foreign-link.err"
[ "$RC" = 1 ] && grep -q "data.mdb: a symbolic link" "$W/foreign-link.err" &&
    [ -z "$(ls -A "$W/ptmp")" ]
check "foreign-copy/data-link: refused, no copy left" $? "status $RC" "$W/foreign-link.err"

# ---- item 13: stores in the wrong place -----------------------------------

mkdir -m 0700 "$W/notastore" "$W/notastore/etc"
echo mine >"$W/notastore/notes"
run "$W/notastore.err" "$NSNAP" record -q --store "$W/notastore"
nosan "$W/notastore.err"
[ "$RC" != 0 ] && [ ! -e "$W/notastore/data.mdb" ] && [ ! -e "$W/notastore/lock.mdb" ]
check "not-a-store: refused, nothing made" $? "status $RC" "$W/notastore.err"

if [ -e /data.mdb ] || [ -e /lock.mdb ]; then
    skip "store-root: / already holds data.mdb or lock.mdb"
else
    run "$W/root.err" "$NSNAP" record -q --store /
    nosan "$W/root.err"
    made=0
    [ -e /data.mdb ] || [ -e /lock.mdb ] && made=1
    rm -f /data.mdb /lock.mdb
    [ "$RC" != 0 ] && [ "$made" = 0 ] && grep -q "^nsnap: /: " "$W/root.err"
    check "store-root: refused, nothing made" $? "status $RC" "$W/root.err"
fi

# A copy that fails for want of space leaves no destination behind.
mkdir "$W/small"
if mount -t tmpfs -o size=8k tmpfs "$W/small" 2>"$W/mount.err"; then
    run "$W/copy-fail.err" "$NSNAP" copy --store "$R" "$W/small/new/dest"
    nosan "$W/copy-fail.err"
    if [ "$RC" = 0 ]; then
        skip "copy-fail: the copy fitted in 8 KiB"
    else
        [ ! -e "$W/small/new" ]
        check "copy-fail: no DEST left" $? "left: $(cd "$W/small" && find . | tr '\n' ' ')" \
            "$W/copy-fail.err"
    fi
    umount "$W/small"
else
    skip "copy-fail: no tmpfs ($(head -n 1 "$W/mount.err"))"
fi

long=/tmp/$(printf 'd%.0s' $(seq 5000))
run "$W/long.err" env NSNAP_STORE="$long" "$NSNAP" list
nosan "$W/long.err"
[ "$RC" != 0 ] && [ -s "$W/long.err" ] && ! grep -q "set NSNAP_STORE" "$W/long.err"
check "store-env-long: not told to set NSNAP_STORE" $? "$W/long.err"

# ---- item 8: export -o ----------------------------------------------------

export_to() { # export_to NAME FILE: root exports its latest snapshot to FILE
    run "$W/$1.err" "$NSNAP" export latest --store "$R" -o "$2"
    nosan "$W/$1.err"
}

export_to dash -
[ "$RC" = 0 ] && head -c 1 "$W/out" | grep -q '{'
check "export-dash: -o - is standard output" $? "status $RC" "$W/dash.err"

echo old >"$W/exp.json"
ino=$(stat -c %i "$W/exp.json")
export_to regular "$W/exp.json"
[ "$RC" = 0 ] && head -c 1 "$W/exp.json" | grep -q '{' &&
    [ "$(stat -c %i "$W/exp.json")" != "$ino" ] &&
    [ "$(stat -c %a "$W/exp.json")" = 600 ]
check "export-regular: replaced by a new file, 0600" $? "status $RC" "$W/regular.err"

if mknod "$W/null" c 1 3 2>"$W/mknod.err"; then
    export_to chr "$W/null"
    [ -c "$W/null" ]
    check "export-chr: still a character device" $? "$(ls -l "$W/null")" "$W/chr.err"
else
    skip "export-chr: mknod: $(head -n 1 "$W/mknod.err")"
fi

mkfifo "$W/fifo"
timeout 20 cat "$W/fifo" >"$W/fifo.out" 2>/dev/null &
reader=$!
export_to fifo "$W/fifo"
# The reader has the document once the writer closed its end.
sleep 0.2
kill "$reader" 2>/dev/null
wait "$reader" 2>/dev/null
[ -p "$W/fifo" ] && head -c 1 "$W/fifo.out" | grep -q '{'
check "export-fifo: still a FIFO, the reader got the document" $? \
    "$(ls -l "$W/fifo")" "$W/fifo.err"

ln -s /proc/self/fd/1 "$W/stdout-link"
export_to proc-link "$W/stdout-link"
[ -L "$W/stdout-link" ] && [ "$(readlink "$W/stdout-link")" = /proc/self/fd/1 ]
check "export-proc-link: the link left alone" $? "$(ls -l "$W/stdout-link")" \
    "$W/proc-link.err"

as_user sh -c "echo theirs >'$T/theirs.json'"
export_to theirs "$T/theirs.json"
[ "$RC" != 0 ] && [ "$(cat "$T/theirs.json")" = theirs ] && owner_named "$W/theirs.err"
check "export-theirs: refused naming owner, the file unchanged" $? \
    "status $RC" "$W/theirs.err"

victim "$W/victim-exp"
as_user ln -s "$W/victim-exp" "$T/planted"
export_to planted "$T/planted"
unchanged "$W/victim-exp"
check "export-planted-link: root's file behind it never written" $? \
    "$(stat -c '%s bytes' "$W/victim-exp")" "$W/planted.err"
[ -L "$T/planted" ]
check "export-planted-link: the link left alone" $? "$(ls -l "$T/planted")" \
    "$W/planted.err"

# ---- no tool crashed ------------------------------------------------------

bad=()
for f in "${SANS[@]}"; do grep -Eqs "$SAN_RE" "$f" && bad+=("$f"); done
[ "${#bad[@]}" = 0 ]
check "no sanitizer report" $? "${bad[@]}"

finish
