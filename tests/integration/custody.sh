#!/bin/bash
# custody.sh — what a snapshot says of its own capture (issue 14): the
# vantage point, for a root and a non-root capture.
#
#   NSNAP_BIN=build/asan tests/integration/custody.sh
#
# Asserted:
#
#   vantage/root-info    nsnap info of a root capture: uid 0, privileged,
#                        /proc of its PID namespace, the PID namespace (the
#                        suite's own) not the initial one, btime, facilities
#   vantage/root-json    nsnap list --json carries the same
#   vantage/export-import  an export carries it, and its import shows the
#                        same in nsnap info
#   manifest/sha256sum-accepts  export --manifest writes FILE.sha256 (0600)
#                        that sha256sum -c accepts; refuses-changed: and
#                        that refuses the file once changed; needs-output:
#                        --manifest without -o FILE is a usage error
#   vantage/user-info    a capture by an unprivileged user: its uid,
#                        unprivileged, no capabilities
#   vantage/user-json    and in JSON
#   vantage/userns       a capture in a user namespace of its own: its user
#                        namespace not the initial one
#   vantage/nsdiff-warn  nsdiff of the user's snapshot against a live root
#                        capture warns of different vantage points, and its
#                        JSON header tells both
#
# Output: "ok - NAME", "not ok - NAME" (details on "# " lines), and last
# "custody: N passed, M failed".
set -u
SUITE=custody
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

NSNAP=$NSNAP_BIN/nsnap
NSDIFF=$NSNAP_BIN/nsdiff
W=$(mktemp -d /tmp/nsnap-custody-test.XXXXXX)
chmod 0755 "$W"
exec </dev/null
trap 'work_cleanup "$W"' EXIT

# check NAME STATUS [DETAIL...]
check() {
    if [ "$2" = 0 ]; then ok "$1"; else local n=$1; shift 2; notok "$n" "$@"; fi
}
# has FILE PATTERN...: every extended regular expression matches a line
has() {
    local f=$1 p
    shift
    for p in "$@"; do grep -Eq -- "$p" "$f" || return 1; done
}

# ---- a root capture -------------------------------------------------------

S=$W/root
"$NSNAP" --store "$S" record >"$W/rec.out" 2>"$W/rec.err"
"$NSNAP" --store "$S" info 1 >"$W/info" 2>&1
has "$W/info" '^captured by nsnap .+, uid 0, euid 0 \(privileged\)$' \
    '^/proc +of the capturer.s PID namespace$' '^btime +[1-9][0-9]+$' \
    '^facilities .*NS_GET_ID' '^initial ns +[a-z,]+ \(of the known' \
    '^boottime +[0-9]+\.[0-9]{9} s to [0-9]+\.[0-9]{9} s$'
check vantage/root-info $? "$W/info"
# The suite runs in a PID namespace of its own.
! grep -Eq '^initial ns +[a-z,]*pid' "$W/info"
check vantage/root-info-pidns $? "$W/info"
"$NSNAP" --store "$S" list --json >"$W/list.json" 2>&1
has "$W/list.json" '"vantage": \{"version": "[^"]+", "uid": 0, "euid": 0, "privileged": true' \
    '"pid": \{"dev": "[0-9]+", "ino": "[0-9]+", "initial": false\}' \
    '"proc_own_pidns": true' '"btime": "[1-9][0-9]+"'
check vantage/root-json $? "$W/list.json"

# The vantage point travels with an export.
"$NSNAP" --store "$S" export 1 -o "$W/one.json" 2>"$W/exp.err" &&
    "$NSNAP" --store "$W/imported" import "$W/one.json" >/dev/null 2>"$W/imp.err" &&
    "$NSNAP" --store "$W/imported" info 1 >"$W/iinfo" 2>&1 &&
    diff <(sed -n '/^captured by/,$p' "$W/info") \
         <(sed -n '/^captured by/,$p' "$W/iinfo") >"$W/iinfo.diff" &&
    grep -q '"vantage": {' "$W/one.json"
check vantage/export-import $? "$W/iinfo.diff" "$W/exp.err" "$W/imp.err"

# ---- evidence export ------------------------------------------------------

mkdir "$W/case"
"$NSNAP" --store "$S" export 1 -o "$W/case/one.json" --manifest \
    >"$W/man.out" 2>"$W/man.err" &&
    (cd "$W/case" && sha256sum -c one.json.sha256) >"$W/sum.out" 2>&1 &&
    grep -qx 'one.json: OK' "$W/sum.out" &&
    [ "$(stat -c %a "$W/case/one.json.sha256")" = 600 ]
check manifest/sha256sum-accepts $? "$W/man.err" "$W/sum.out"
printf ' ' >>"$W/case/one.json"
! (cd "$W/case" && sha256sum -c one.json.sha256) >"$W/sum2.out" 2>&1
check manifest/sha256sum-refuses-changed $? "$W/sum2.out"
"$NSNAP" --store "$S" export 1 --manifest >"$W/man2.out" 2>"$W/man2.err"
[ $? = 2 ] && grep -q -- '--manifest needs --output FILE' "$W/man2.err"
check manifest/needs-output $? "$W/man2.err"

# ---- an unprivileged capture ----------------------------------------------

U=$W/user
mkdir "$U"
chown 65534:65534 "$U"
if ! setpriv --reuid=65534 --regid=65534 --clear-groups \
    "$NSNAP" --store "$U" record >"$W/urec.out" 2>"$W/urec.err"; then
    notok vantage/user-record "$W/urec.err"
else
    "$NSNAP" --foreign=copy --store "$U" info 1 >"$W/uinfo" 2>&1
    has "$W/uinfo" '^captured by nsnap .+, uid 65534, euid 65534 \(unprivileged\)$' \
        '^caps +0000000000000000$'
    check vantage/user-info $? "$W/uinfo"
    "$NSNAP" --foreign=copy --store "$U" list --json >"$W/ulist.json" 2>&1
    has "$W/ulist.json" '"uid": 65534, "euid": 65534, "privileged": false, "cap_eff": "0000000000000000"'
    check vantage/user-json $? "$W/ulist.json"
    "$NSDIFF" --foreign=copy --store "$U" --format=json 1 live \
        >"$W/diff.json" 2>"$W/diff.err"
    has "$W/diff.err" 'WARNING: the two sides come from different vantage points \(one was taken with privilege, the other without\)' &&
        has "$W/diff.json" '"a": \{.*"vantage": \{[^}]*"uid": 65534' \
            '"b": \{.*"vantage": \{[^}]*"uid": 0,'
    check vantage/nsdiff-warn $? "$W/diff.err" "$W/diff.json"
fi

# ---- a capture in a user namespace of its own ----------------------------

N=$W/userns
if unshare --user --map-root-user true 2>/dev/null; then
    unshare --user --map-root-user "$NSNAP" --store "$N" record \
        >"$W/nrec.out" 2>"$W/nrec.err"
    "$NSNAP" --store "$N" info 1 >"$W/ninfo" 2>&1
    ! grep -Eq '^initial ns +[a-z,]*user' "$W/ninfo" &&
        has "$W/ninfo" '^initial ns .*\(of the known: [a-z,]*user'
    check vantage/userns $? "$W/ninfo" "$W/nrec.err"
else
    skip "vantage/userns: SKIP: unshare --user is refused here"
fi

grep -Eqs "$SAN_RE" "$W"/*.err
check no-sanitizer-report $((! $?))
finish
