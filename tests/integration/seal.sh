#!/bin/bash
# seal.sh — a damaged or rolled-back data file against every tool (issue 9,
# items 6, 7 and 13's lock line): the store's files are checked before
# LMDB maps them (store/mdbcheck.h), and the seal nsnap.seal notices a data
# file older than the last write.
#
#   NSNAP_BIN=build/asan tests/integration/seal.sh
#
# Asserted, each on a copy of an 8-snapshot store:
#
#   sealed               record leaves nsnap.seal (0600, 64 bytes); copy
#                        writes the copy's own
#   txnid/CMD            byte 145 (meta page 0's transaction id) set to
#                        0xff: list, verify, record exit 1 with one line
#                        naming data.mdb, and record writes nothing (no id
#                        handed out again)
#   rollback/CMD         data.mdb replaced by its state one snapshot back:
#                        list, verify, record say "rolled back" and how to
#                        accept it; record writes nothing
#   rollback-accepted    with nsnap.seal removed as told, the store opens
#   copy-txnid/CMD, copy-psize/CMD   on a fresh `nsnap copy`, byte 145 or
#                        bit 0 of byte 4136 (meta page 1's page size): list
#                        and record exit 1 with one line, and the file's
#                        bytes are unchanged (no new store made over it)
#   psize/CMD            a page size of 4097 in meta page 1: every tool one
#                        line, no signal
#   pages/CMD            a zeroed or a junk page of a compact copy, each
#                        page in turn: list, verify, prune, record one line,
#                        status 1, no LMDB assertion, no signal
#   junk-data            a non-empty data.mdb that is no LMDB file: record
#                        refuses, the file unchanged
#   lock-in-use          lock.mdb's header overwritten while a recorder
#                        holds the store: list says so in one line
#
# Output: "ok - NAME", "not ok - NAME" (details on "# " lines), and last
# "seal: N passed, M failed".
set -u
SUITE=seal
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

NSNAP=$NSNAP_BIN/nsnap
NSSHOW=$NSNAP_BIN/nsshow
NSDIFF=$NSNAP_BIN/nsdiff
W=$(mktemp -d /tmp/nsnap-seal-test.XXXXXX)
exec </dev/null
trap 'work_cleanup "$W"' EXIT
# A damaged page may make LMDB read where it should not before the guard
# turns the fault into an error (see ops.sh, damage-sweep); a write that
# faults cannot give back the pages LMDB copied for it.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}replace_intrin=0:detect_leaks=0

# check NAME STATUS [DETAIL...]
check() {
    if [ "$2" = 0 ]; then ok "$1"; else local n=$1; shift 2; notok "$n" "$@"; fi
}
# setbyte FILE OFFSET HEX / flip FILE OFFSET MASK
setbyte() { printf "\\x$3" | dd of="$1" bs=1 seek="$2" count=1 conv=notrunc status=none; }
flip() {
    local b
    b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
    setbyte "$1" "$2" "$(printf %02x $((b ^ $3)))"
}
# one NAME CMD...: CMD exits 1 (nsdiff: 2, diff(1)'s trouble) with one line
# on stderr, no sanitizer report, no signal; its stderr in $W/err
one() {
    local name=$1 want=1
    shift
    case $1 in */nsdiff) want=2 ;; esac
    "$@" >/dev/null 2>"$W/err"
    local rc=$?
    if [ "$rc" = "$want" ] && [ "$(wc -l <"$W/err")" = 1 ] && ! grep -Eq "$SAN_RE|Assertion" "$W/err"; then
        return 0
    fi
    echo "$name: $* -> $rc" >>"$W/why"
    head -n 5 "$W/err" >>"$W/why"
    return 1
}
fresh() { rm -rf "$2"; cp -a "$1" "$2"; }

S=$W/s
for i in 1 2 3 4 5 6 7; do "$NSNAP" record -q --store "$S" >/dev/null; done
cp -a "$S" "$W/s7"
"$NSNAP" record -q --store "$S" >/dev/null
[ "$(stat -c %a:%s "$S/nsnap.seal" 2>&1)" = 600:64 ] &&
    "$NSNAP" copy -q "$W/c" --store "$S" >/dev/null && [ -f "$W/c/nsnap.seal" ]
check sealed $? "$(ls -l "$S" "$W/c" 2>&1)"

# -- meta page 0's transaction id
for cmd in list verify record; do
    : >"$W/why"
    fresh "$S" "$W/t"
    setbyte "$W/t/data.mdb" 145 ff
    cp "$W/t/data.mdb" "$W/before"
    one "$cmd" "$NSNAP" "$cmd" -q --store "$W/t" && grep -q "data.mdb" "$W/err" &&
        cmp -s "$W/t/data.mdb" "$W/before"
    check "txnid/$cmd" $? "$W/why" "$W/err"
done

# -- a rollback: data.mdb as it was one snapshot ago
for cmd in list verify record; do
    : >"$W/why"
    fresh "$S" "$W/t"
    cp "$W/s7/data.mdb" "$W/t/data.mdb"
    one "$cmd" "$NSNAP" "$cmd" -q --store "$W/t" && grep -q "rolled back.*remove nsnap.seal" "$W/err" &&
        cmp -s "$W/t/data.mdb" "$W/s7/data.mdb"
    check "rollback/$cmd" $? "$W/why" "$W/err"
done
rm -f "$W/t/nsnap.seal"
"$NSNAP" list --store "$W/t" >/dev/null 2>"$W/err"
check rollback-accepted $? "$W/err"

# -- a fresh copy's meta pages
for dmg in "copy-txnid 145 255" "copy-psize 4136 1"; do
    set -- $dmg
    for cmd in list record; do
        : >"$W/why"
        fresh "$W/c" "$W/t"
        flip "$W/t/data.mdb" "$2" "$3"
        cp "$W/t/data.mdb" "$W/before"
        one "$cmd" "$NSNAP" "$cmd" -q --store "$W/t" && cmp -s "$W/t/data.mdb" "$W/before"
        check "$1/$cmd" $? "$W/why" "$W/err"
    done
done

# -- a page size of 4097 in meta page 1 (bit 0 of byte 4136), every tool
fresh "$S" "$W/p"
flip "$W/p/data.mdb" 4136 1
for cmd in "nsnap list" "nsnap info latest" "nsnap verify" "nsnap record -q" \
           "nsnap prune --keep 2" "nsnap export latest" \
           "nsshow --snapshot=latest --store=$W/p" "nsdiff --store $W/p 1 2"; do
    : >"$W/why"
    case $cmd in
    nsnap*) one psize "$NSNAP_BIN"/$cmd --store "$W/p" ;;
    *) one psize "$NSNAP_BIN"/$cmd ;;
    esac
    check "psize/${cmd%% --store*}" $? "$W/why"
done

# -- zeroed and junk pages, each page of a compact copy in turn
: >"$W/why"
pages=$(( $(stat -c %s "$W/c/data.mdb") / 4096 ))
for ((pg = 2; pg < pages; pg++)); do
    for kind in zero junk; do
        fresh "$W/c" "$W/z"
        if [ $kind = zero ]; then
            dd if=/dev/zero of="$W/z/data.mdb" bs=4096 seek=$pg count=1 conv=notrunc status=none
        else
            head -c 4096 /dev/urandom |
                dd of="$W/z/data.mdb" bs=4096 seek=$pg count=1 conv=notrunc status=none
        fi
        for cmd in list verify "prune --keep 2" "record -q"; do
            one "page $pg $kind" "$NSNAP" $cmd --store "$W/z"
        done
    done
done
[ "$pages" -gt 4 ] && [ ! -s "$W/why" ]
check "pages ($pages pages, zero and junk)" $? "$W/why"

# -- a data file that is not LMDB's
mkdir -p "$W/j"
head -c 16384 /dev/urandom >"$W/j/data.mdb"
chmod 0600 "$W/j/data.mdb"
cp "$W/j/data.mdb" "$W/before"
: >"$W/why"
one junk "$NSNAP" record -q --store "$W/j" && grep -q "not an nsnap store" "$W/err" &&
    cmp -s "$W/j/data.mdb" "$W/before"
check junk-data $? "$W/why" "$W/err"

# -- lock.mdb damaged while another nsnap holds the store
fresh "$S" "$W/l"
"$NSNAP" record -q --interval 1s --count 30 --store "$W/l" >/dev/null 2>&1 &
rec=$!
for _ in $(seq 50); do [ -s "$W/l/lock.mdb" ] && break; sleep 0.1; done
sleep 0.5
printf 'XXXXXXXXXXXXXXXX' | dd of="$W/l/lock.mdb" bs=1 seek=0 conv=notrunc status=none
: >"$W/why"
one lock "$NSNAP" list --store "$W/l" && grep -q "lock.mdb.*stop the other nsnap processes" "$W/err"
check lock-in-use $? "$W/why" "$W/err"
kill -9 "$rec" 2>/dev/null
wait "$rec" 2>/dev/null

finish
