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
#   keys/keygen-modes    nsnap keygen K: K 0600, K.pub 0644, the key id on
#                        stdout; keygen-refuses: never over K or K.pub (a
#                        dangling link either), nothing left behind;
#                        loose-mode, symlink: a secret key others may read,
#                        or a link to one, is refused by record --sign
#   sign/record, sign/config  record --sign KEY signs that snapshot; config
#                        sign-key KEY signs every plain record after it,
#                        config --unset sign-key stops that; a loose key is
#                        refused by config at once
#   verify/key-*         verify --key PUB: 0 for a store signed by it (the
#                        public key file, the secret one or its 64 hex
#                        digits); exit 1 naming each unsigned snapshot, or
#                        each signed by another key; garbage for --key is a
#                        usage error
#   chain/*              edits of the LMDB data behind nsnap's back
#                        (helpers/lmdbpoke.c) make verify exit 1 and name
#                        the break: delete-middle, delete-newest, reorder
#                        (two snapshots swap ids, checksums recomputed),
#                        swap-raw (their values swapped as they are),
#                        tail-then-record (the newest two and the head
#                        deleted, then a record), move-to-end, rollback
#                        (the newest deleted and meta
#                        "chain" put back: the seal's last id), replace
#                        (another store's snapshot 3, records and all),
#                        replace-foreign, tomb-deleted; signed-reorder: the
#                        same over signed snapshots
#   prune/*              prune of a middle run, of the newest, and --keep
#                        around an earlier tombstone: verify exit 0, the
#                        tombstones in its summary; record-keep: record
#                        --keep 2 signed, five times: one tombstone;
#                        says-tombstone: prune says it left one
#   export/*             a signed export with a signed manifest (sha256sum
#                        -c takes it); the same edited by docedit, hashes
#                        recomputed: refused with and without
#                        --require-signature; another key, an unsigned
#                        document: refused, nothing written; the genuine
#                        one imported, still signed (verify --key);
#                        verify-export on both; not imported back into the
#                        store that signed it; custody.content changed:
#                        refused; held unsigned: a signed import of it is
#                        refused under --require-signature; a FIFO for the
#                        manifest: FAILED, not waited on; --foreign=copy:
#                        the store's sign-key signs nothing; forks and a gap
#                        of another store told by verify; a relabelled
#                        export is new against an old header
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

# ---- keys ------------------------------------------------------------------

K=$W/keys
mkdir "$K"
"$NSNAP" keygen "$K/inv" >"$K/gen.out" 2>"$K/gen.err"
[ $? = 0 ] && grep -Eqx '[0-9a-f]{16}' "$K/gen.out" &&
    [ "$(stat -c %a "$K/inv")" = 600 ] && [ "$(stat -c %a "$K/inv.pub")" = 644 ] &&
    grep -q '^nsnap-ed25519-secret-key$' "$K/inv" &&
    grep -Eqx 'nsnap-ed25519-public-key [0-9a-f]{64}' "$K/inv.pub" &&
    grep -q "key id $(cat "$K/gen.out")" "$K/gen.err"
check keys/keygen-modes $? "$K/gen.out" "$K/gen.err"
KEYID=$(cat "$K/gen.out")
"$NSNAP" keygen "$K/other" >/dev/null 2>"$K/gen2.err"
cp "$K/inv" "$K/inv.saved" && cp "$K/inv.pub" "$K/inv.pub.saved"
"$NSNAP" keygen "$K/inv" >"$K/gen3.out" 2>"$K/gen3.err"
rc1=$?
ln -s "$K/nowhere" "$K/dangling.pub"
"$NSNAP" keygen "$K/dangling" >/dev/null 2>"$K/gen4.err"
rc2=$?
[ "$rc1" = 1 ] && [ "$rc2" = 1 ] && [ ! -s "$K/gen3.out" ] &&
    grep -q 'keys are never overwritten' "$K/gen3.err" &&
    cmp -s "$K/inv" "$K/inv.saved" && cmp -s "$K/inv.pub" "$K/inv.pub.saved" &&
    [ "$(stat -c %a "$K/inv")" = 600 ] &&
    [ ! -e "$K/dangling" ] && [ ! -e "$K/nowhere" ]
check keys/keygen-refuses $? "$K/gen3.err" "$K/gen4.err"

# A secret key others may read, or a link to one: refused, nothing stored.
cp "$K/inv" "$K/loose" && chmod 0640 "$K/loose"
"$NSNAP" --store "$W/refused" record --sign "$K/loose" >"$K/loose.out" 2>"$K/loose.err"
[ $? = 1 ] && grep -q 'chmod 600' "$K/loose.err" && [ ! -s "$K/loose.out" ] &&
    { [ ! -e "$W/refused/data.mdb" ] || [ "$("$NSNAP" --store "$W/refused" list 2>/dev/null | wc -l)" -le 1 ]; }
check keys/loose-mode $? "$K/loose.err"
ln -s "$K/inv" "$K/link"
"$NSNAP" --store "$W/refused" record --sign "$K/link" >"$K/link.out" 2>"$K/link.err"
[ $? = 1 ] && grep -q 'symbolic link' "$K/link.err" && [ ! -s "$K/link.out" ]
check keys/symlink $? "$K/link.err"

# ---- signed snapshots ------------------------------------------------------

# SG: 1 plain, 2 --sign, 3 and 4 by the store's setting, 5 after --unset.
SG=$W/signed
ids=$("$NSNAP" --store "$SG" -q record 2>>"$W/sign.err"
      "$NSNAP" --store "$SG" -q record --sign "$K/inv" 2>>"$W/sign.err"
      "$NSNAP" --store "$SG" config sign-key "$K/inv" 2>>"$W/sign.err"
      "$NSNAP" --store "$SG" config 2>>"$W/sign.err"
      "$NSNAP" --store "$SG" -q record 2>>"$W/sign.err"
      "$NSNAP" --store "$SG" -q record 2>>"$W/sign.err"
      "$NSNAP" --store "$SG" config --unset sign-key 2>>"$W/sign.err"
      "$NSNAP" --store "$SG" config sign-key 2>>"$W/sign.err"
      "$NSNAP" --store "$SG" -q record 2>>"$W/sign.err")
printf '%s\n' "$ids" >"$W/sign.out"
[ "$ids" = "$(printf '1\n2\nsign-key=%s\n3\n4\n\n5' "$K/inv")" ]
check sign/record $? "$W/sign.out" "$W/sign.err"
"$NSNAP" --store "$SG" verify >"$W/sv.out" 2>"$W/sv.err"
[ $? = 0 ] && grep -qx 'chain: whole over 5 snapshots from 1; 3 of 5 signed' "$W/sv.out"
check sign/config $? "$W/sv.out" "$W/sv.err"
"$NSNAP" --store "$SG" verify --key "$K/inv.pub" >"$W/svk.out" 2>"$W/svk.err"
[ $? = 1 ] &&
    [ "$(grep -c '^snapshot [0-9]*: not signed' "$W/svk.out")" = 2 ] &&
    has "$W/svk.out" "^snapshot 1: not signed \(key $KEYID required\)$" \
        "^snapshot 5: not signed \(key $KEYID required\)$" \
        '^verify: 5 snapshots checked, 2 damaged$' \
        "^chain: whole over 5 snapshots from 1; 3 of 5 signed, key $KEYID required$"
check verify/key-unsigned $? "$W/svk.out" "$W/svk.err"
# A loose key is refused when it is set, not at the next timer's record.
"$NSNAP" --store "$SG" config sign-key "$K/loose" >/dev/null 2>"$W/cl.err"
[ $? = 1 ] && grep -q 'chmod 600' "$W/cl.err" &&
    [ "$("$NSNAP" --store "$SG" config sign-key)" = "" ]
check sign/config-refuses-loose $? "$W/cl.err"

# SS: every snapshot signed.
SS=$W/allsigned
for i in 1 2 3; do
    "$NSNAP" --store "$SS" -q record --sign "$K/inv" >/dev/null 2>>"$W/ss.err"
done
"$NSNAP" --store "$SS" verify --key "$K/inv.pub" >"$W/ss1.out" 2>>"$W/ss.err" &&
    "$NSNAP" --store "$SS" verify --key "$K/inv" >>"$W/ss1.out" 2>>"$W/ss.err" &&
    "$NSNAP" --store "$SS" verify --key "$(sed 's/.* //' "$K/inv.pub")" \
        >>"$W/ss1.out" 2>>"$W/ss.err" &&
    [ "$(grep -c "^chain: whole over 3 snapshots from 1; 3 of 3 signed, key $KEYID required$" "$W/ss1.out")" = 3 ]
check verify/key-signed $? "$W/ss1.out" "$W/ss.err"
"$NSNAP" --store "$SS" verify --key "$K/other.pub" >"$W/ss2.out" 2>"$W/ss2.err"
[ $? = 1 ] && [ "$(grep -c "^snapshot [123]: signed by key $KEYID, not by key [0-9a-f]\{16\}$" "$W/ss2.out")" = 3 ] &&
    grep -q '^verify: 3 snapshots checked, 3 damaged$' "$W/ss2.out"
check verify/key-other $? "$W/ss2.out" "$W/ss2.err"
echo 'not a key' >"$K/garbage"
"$NSNAP" --store "$SS" verify --key "$K/garbage" >"$W/ss3.out" 2>"$W/ss3.err"
[ $? = 2 ] && grep -q "garbage': not an nsnap public key" "$W/ss3.err"
check verify/key-garbage $? "$W/ss3.err"

# ---- the chain against edits behind nsnap's back ---------------------------

POKE=$W/lmdbpoke
${CC:-cc} -O1 -o "$POKE" "$(dirname "$(realpath "$0")")/helpers/lmdbpoke.c" -llmdb \
    2>"$W/poke.err" || notok setup/lmdbpoke "$W/poke.err"

# B: five snapshots; B2: a copy of it when it had two, which goes on with
# a third of its own; O: a store of its own.  CHAIN3: meta "chain" after
# the third.
B=$W/base
for i in 1 2; do "$NSNAP" --store "$B" -q record >/dev/null 2>>"$W/base.err"; done
cp -a "$B" "$W/base2"
"$NSNAP" --store "$W/base2" -q record >/dev/null 2>>"$W/base.err"
"$NSNAP" --store "$B" -q record >/dev/null 2>>"$W/base.err"
CHAIN3=$("$POKE" get "$B" meta chain 2>>"$W/base.err")
for i in 4 5; do "$NSNAP" --store "$B" -q record >/dev/null 2>>"$W/base.err"; done
for i in 1 2 3; do "$NSNAP" --store "$W/own" -q record >/dev/null 2>>"$W/base.err"; done
"$NSNAP" --store "$B" verify >"$W/base.out" 2>>"$W/base.err"
check chain/base-whole $? "$W/base.out" "$W/base.err"

# attack NAME: a fresh copy of B in $W/NAME (the path in $D)
attack() {
    D=$W/$1
    rm -rf "$D"
    cp -a "$B" "$D"
}
# verify_breaks NAME PATTERN...: verify of $D exits 1, and says each
verify_breaks() {
    local n=$1
    shift
    "$NSNAP" --store "$D" verify >"$D.out" 2>"$D.err"
    local rc=$?
    [ "$rc" = 1 ] && has "$D.out" "$@" '^chain: broken( at [0-9]+)? \([0-9]+ breaks?\)'
    check "chain/$n" $? "exit $rc" "$D.out" "$D.err"
}

attack delete-middle
"$POKE" drop "$D" 3 2>"$D.err"
verify_breaks delete-middle \
    '^store: the chain breaks at snapshot 4: it does not follow snapshot 2 \(' \
    '^verify: 4 snapshots checked, 0 damaged'

attack delete-newest
"$POKE" drop "$D" 5 2>"$D.err"
verify_breaks delete-newest \
    '^store: the chain breaks after snapshot 4: the chain.s head, the last header written \(snapshot 5\), is not the newest the store holds'

# The newest two and the head taken out, then an honest record: it links
# to what is left, and the ids taken out still show.
attack tail-then-record
"$POKE" drop "$D" 5 2>"$D.err" && "$POKE" drop "$D" 4 2>>"$D.err" &&
    "$POKE" del "$D" meta chain 2>>"$D.err" &&
    "$NSNAP" --store "$D" record -q >/dev/null 2>>"$D.err"
verify_breaks tail-then-record \
    '^store: the chain breaks before snapshot 6: ids 4-5 were handed out, and hold neither a snapshot nor a tombstone'

# Snapshots 3 and 4 swap ids, their headers' checksums recomputed: every
# header reads, every record checks, the chain alone notices.
attack reorder
"$POKE" renumber "$D" 3 99 && "$POKE" renumber "$D" 4 3 &&
    "$POKE" renumber "$D" 99 4
verify_breaks reorder \
    '^store: the chain breaks at snapshot 3: it does not follow snapshot 2 \(' \
    '^store: the chain breaks at snapshot 4: it does not follow snapshot 3 \(' \
    '^store: the chain breaks at snapshot 5: it does not follow snapshot 4 \('

# The same values swapped as they are: the headers fail their checksums
# (the id is in them), and the chain still breaks after them.
attack swap-raw
"$POKE" swap "$D" snaps 3 4
verify_breaks swap-raw \
    '^snapshot 3: header of snapshot 3 fails its checksum' \
    '^snapshot 4: header of snapshot 4 fails its checksum' \
    '^store: the chain breaks at snapshot 5: it does not follow snapshot 4 \('

# Snapshot 2 taken out and put back after the newest.
attack move-to-end
"$POKE" renumber "$D" 2 6
verify_breaks move-to-end \
    '^store: the chain breaks at snapshot 3: it does not follow snapshot 1 \(' \
    '^store: the chain breaks at snapshot 6: it does not follow snapshot 5 \('

# The two newest deleted and the head put back as it was after 3: only
# the seal's last id tells.
attack rollback
"$POKE" drop "$D" 5 && "$POKE" drop "$D" 4 && "$POKE" put "$D" meta chain "$CHAIN3"
verify_breaks rollback \
    '^store: the chain breaks after snapshot 3: ids up to 5 were handed out \(the seal says so\), and snapshots 4-5 are gone without a tombstone' \
    '^verify: 3 snapshots checked, 0 damaged'

# Snapshot 3 replaced by the third one of a copy of the store (the same
# first two): it reads and checks whole, its successor does not follow it.
attack replace
"$POKE" graft "$W/base2" "$D" 3
verify_breaks replace \
    '^store: the chain breaks at snapshot 4: it does not follow snapshot 3 \(' \
    '^verify: 5 snapshots checked, 0 damaged'
# ... and by the third of a store of its own.
attack replace-foreign
"$POKE" graft "$W/own" "$D" 3
verify_breaks replace-foreign \
    '^store: the chain breaks at snapshot 3: it does not follow snapshot 2 \(' \
    '^store: the chain breaks at snapshot 4: it does not follow snapshot 3 \('

# A tombstone deleted: the run it stood for is a hole.
attack tomb-deleted
"$NSNAP" --store "$D" prune 3 >/dev/null 2>"$D.err" &&
    "$POKE" del "$D" meta hex:746f6d620000000000000003 2>>"$D.err"
verify_breaks tomb-deleted \
    '^store: the chain breaks at snapshot 4: it does not follow snapshot 2 \('

# Signed snapshots swapped the same way.
D=$W/signed-reorder
cp -a "$SS" "$D"
"$POKE" renumber "$D" 1 99 && "$POKE" renumber "$D" 2 1 && "$POKE" renumber "$D" 99 2
"$NSNAP" --store "$D" verify --key "$K/inv.pub" >"$D.out" 2>"$D.err"
[ $? = 1 ] && has "$D.out" \
    '^store: the chain breaks at snapshot 1: it follows a snapshot the store does not hold' \
    '^store: the chain breaks at snapshot 2: it starts a chain of its own after snapshot 1' \
    '^store: the chain breaks at snapshot 3: it does not follow snapshot 2 \('
check chain/signed-reorder $? "$D.out" "$D.err"

# ---- prune keeps the chain whole -----------------------------------------

attack prune
"$NSNAP" --store "$D" prune 2 3 >"$D.prune" 2>"$D.err"
"$NSNAP" --store "$D" verify >"$D.out" 2>>"$D.err"
[ $? = 0 ] && has "$D.out" '^verify: 3 snapshots checked, 0 damaged$' \
    '^chain: whole over 3 snapshots from 1; 1 pruned run \(2 snapshots\) crossed by tombstones; 0 of 3 signed$'
check prune/middle $? "$D.prune" "$D.out" "$D.err"
cat "$D.err" >>"$D.prune"; grep -qi 'tombstone' "$D.prune"
check prune/says-tombstone $? "$D.prune"
# The newest, then a new snapshot after it.
"$NSNAP" --store "$D" prune 5 >>"$D.prune" 2>>"$D.err" &&
    "$NSNAP" --store "$D" -q record >"$D.rec" 2>>"$D.err"
"$NSNAP" --store "$D" verify >"$D.out" 2>>"$D.err"
[ $? = 0 ] && [ "$(cat "$D.rec")" = 6 ] &&
    has "$D.out" '^chain: whole over 3 snapshots from 1; 2 pruned runs \(3 snapshots\) crossed by tombstones; 0 of 3 signed$'
check prune/newest $? "$D.prune" "$D.out" "$D.err"
# All but the newest: 1 and 4 go, a run round the tombstone of 2-3 that
# meets the one of 5: one tombstone for 1-5.
"$NSNAP" --store "$D" prune --keep 1 >>"$D.prune" 2>>"$D.err"
"$NSNAP" --store "$D" verify >"$D.out" 2>>"$D.err"
[ $? = 0 ] && has "$D.out" '^verify: 1 snapshot checked, 0 damaged$' \
    '^chain: whole over 1 snapshot from 6; 1 pruned run \(5 snapshots\) crossed by tombstones; 0 of 1 signed$'
check prune/keep-around-tombstone $? "$D.prune" "$D.out" "$D.err"

# record --keep prunes a snapshot at a time: one run, one tombstone.
D=$W/record-keep
for i in 1 2 3 4 5; do
    "$NSNAP" --store "$D" -q record --keep 2 --sign "$K/inv" >>"$D.rec" 2>>"$D.err"
done
"$NSNAP" --store "$D" verify --key "$K/inv.pub" >"$D.out" 2>>"$D.err"
[ $? = 0 ] && [ "$(tr '\n' ' ' <"$D.rec")" = "1 2 3 4 5 " ] &&
    has "$D.out" "^chain: whole over 2 snapshots from 4; 1 pruned run \(3 snapshots\) crossed by tombstones; 2 of 2 signed, key $KEYID required$"
check prune/record-keep $? "$D.rec" "$D.out" "$D.err"

# ---- export and import ----------------------------------------------------
#
# A signed snapshot exported with a signed manifest; the document edited by
# docedit (its record hashes recomputed, so only the signature can tell);
# the edit, another key, an unsigned document and a stripped one each
# refused under --require-signature, the genuine one imported with its
# signature; verify-export on both; importing it back into its own store.
X=$W/xfer
mkdir -p "$X"
"$NSNAP" keygen -q "$X/k" >/dev/null 2>"$X/gen.err"
"$NSNAP" keygen -q "$X/other" >/dev/null 2>>"$X/gen.err"
"$NSNAP" --store "$X/a" record -q --sign "$X/k" --label case-1 >/dev/null 2>"$X/rec.err"
"$NSNAP" --store "$X/a" record -q --label plain >/dev/null 2>>"$X/rec.err"
"$NSNAP" --store "$X/a" export 1 -o "$X/signed.json" --manifest --sign "$X/k" \
    >/dev/null 2>"$X/exp.err"
"$NSNAP" --store "$X/a" export 2 -o "$X/unsigned.json" >/dev/null 2>>"$X/exp.err"
[ -s "$X/signed.json.sha256" ] && [ -s "$X/signed.json.sha256.sig" ] &&
    (cd "$X" && sha256sum -c --quiet signed.json.sha256) >"$X/sum.out" 2>&1 &&
    grep -q '"signature": {' "$X/signed.json"
check export/signed-manifest $? "$X/exp.err" "$X/sum.out"

"$NSNAP_BIN/docedit" names <"$X/signed.json" >"$X/tampered.json" 2>"$X/edit.err"
grep -q '"signature": {' "$X/tampered.json"
check export/tampered-keeps-signature $? "$X/edit.err"
# The hashes fit the edit: without a signature it would pass for genuine.
"$NSNAP" --store "$X/b" import --require-signature "$X/k.pub" "$X/tampered.json" \
    >"$X/imp1.out" 2>"$X/imp1.err"
rc=$?
[ "$rc" = 1 ] && has "$X/imp1.err" 'tampered.json: its signature \(key [0-9a-f]{16}\) does not match its content: the document was altered' &&
    [ ! -s "$X/imp1.out" ]
check export/tampered-refused $? "rc=$rc" "$X/imp1.err"
"$NSNAP" --store "$X/b" import "$X/tampered.json" >"$X/imp1b.out" 2>"$X/imp1b.err"
rc=$?
[ "$rc" = 1 ] && has "$X/imp1b.err" 'does not match its content'
check export/tampered-refused-anyway $? "rc=$rc" "$X/imp1b.err"

"$NSNAP" --store "$X/b" import --require-signature "$X/other.pub" "$X/signed.json" \
    >"$X/imp2.out" 2>"$X/imp2.err"
rc=$?
[ "$rc" = 1 ] && has "$X/imp2.err" 'signed by key [0-9a-f]{16}, not by key [0-9a-f]{16}: refused'
check export/wrong-key-refused $? "rc=$rc" "$X/imp2.err"

"$NSNAP" --store "$X/b" import --require-signature "$X/k.pub" "$X/unsigned.json" \
    >"$X/imp3.out" 2>"$X/imp3.err"
rc=$?
[ "$rc" = 1 ] && has "$X/imp3.err" 'unsigned.json: snapshot 2 is not signed: refused'
check export/unsigned-refused $? "rc=$rc" "$X/imp3.err"

# Nothing of the refused ones was written.
"$NSNAP" --store "$X/b" list >"$X/b.list" 2>&1
! grep -q '^ *[0-9]' "$X/b.list"
check export/refused-wrote-nothing $? "$X/b.list"

"$NSNAP" --store "$X/b" import --require-signature "$X/k.pub" "$X/signed.json" \
    >"$X/imp4.out" 2>"$X/imp4.err"
rc=$?
"$NSNAP" --store "$X/b" verify --key "$X/k.pub" >"$X/vb.out" 2>&1
rc2=$?
[ "$rc" = 0 ] && [ "$rc2" = 0 ] && has "$X/vb.out" '; 1 of 1 signed \(1 in another store' '^signed in store [0-9a-f]{32}: 1 snapshot, ids 1-1 there, 0 of those not here$'
check export/genuine-imported-signed $? "rc=$rc rc2=$rc2" "$X/imp4.err" "$X/vb.out"

"$NSNAP" verify-export "$X/signed.json" --key "$X/k.pub" >"$X/ve1.out" 2>&1
rc=$?
"$NSNAP" verify-export "$X/tampered.json" --key "$X/k.pub" >"$X/ve2.out" 2>&1
rc2=$?
[ "$rc" = 0 ] && [ "$rc2" = 1 ] && has "$X/ve1.out" '^manifest: ok$' \
    '^manifest signature: ok, key [0-9a-f]{16}$' '^snapshot signature: ok' &&
    has "$X/ve2.out" '^snapshot signature: FAILED'
check export/verify-export $? "rc=$rc rc2=$rc2" "$X/ve1.out" "$X/ve2.out"

# Its custody.content changed (the signature left as it is): refused, as
# verify-export fails it.
sed 's/"content": "[0-9a-f]\{64\}"/"content": "'"$(printf '0%.0s' $(seq 64))"'"/' \
    "$X/signed.json" >"$X/content.json"
"$NSNAP" --store "$X/c" import --require-signature "$X/k.pub" "$X/content.json" \
    >"$X/imp6.out" 2>"$X/imp6.err"
rc=$?
! cmp -s "$X/signed.json" "$X/content.json" && [ "$rc" = 1 ] &&
    has "$X/imp6.err" 'its content \(BLAKE2b\) is not custody.content'
check export/content-claim-refused $? "rc=$rc" "$X/imp6.err"

# The same snapshot held unsigned (custody stripped, same label): a signed
# import of it does not count as done under --require-signature.
"$NSNAP_BIN/docedit" strip <"$X/signed.json" >"$X/stripped.json" 2>"$X/strip.err"
"$NSNAP" --store "$X/d" import "$X/stripped.json" >"$X/imp7a.out" 2>"$X/imp7a.err"
rc=$?
"$NSNAP" --store "$X/d" import --require-signature "$X/k.pub" "$X/signed.json" \
    >"$X/imp7.out" 2>"$X/imp7.err"
rc2=$?
[ "$rc" = 0 ] && [ "$rc2" = 1 ] &&
    has "$X/imp7.err" 'already in the store as snapshot 1, which is not signed by that key: refused'
check export/held-unsigned-refused $? "rc=$rc rc2=$rc2" "$X/imp7a.err" "$X/imp7.err"

# A FIFO where the manifest should be: refused, never waited on.
cp "$X/signed.json" "$X/fifo.json"
mkfifo "$X/fifo.json.sha256"
timeout 20 "$NSNAP" verify-export "$X/fifo.json" >"$X/ve3.out" 2>&1
rc=$?
[ "$rc" = 1 ] && has "$X/ve3.out" '^manifest: FAILED'
check export/manifest-fifo $? "rc=$rc" "$X/ve3.out"

# Another user's store (--foreign=copy) chooses no key: its sign-key
# setting signs no manifest of the caller's.
"$NSNAP" --store "$X/a" config sign-key "$X/k" >/dev/null 2>"$X/cfg.err"
"$NSNAP" --store "$X/a" --foreign=copy export 1 -o "$X/foreign.json" --manifest \
    >/dev/null 2>"$X/fexp.err"
rc=$?
[ "$rc" = 0 ] && [ -s "$X/foreign.json.sha256" ] && [ ! -e "$X/foreign.json.sha256.sig" ] &&
    has "$X/fexp.err" "another user's store chooses no key"
check export/foreign-setting-signs-nothing $? "rc=$rc" "$X/cfg.err" "$X/fexp.err"
"$NSNAP" --store "$X/a" config --unset sign-key >/dev/null 2>&1

# A store and its copy each record a signed snapshot 3: a third store
# given 1 and both forks' 3, but not 2, says 2 is missing and 3 came twice.
F=$W/fork
mkdir -p "$F"
for i in 1 2; do "$NSNAP" --store "$F/a" record -q --sign "$X/k" >/dev/null 2>>"$F/err"; done
"$NSNAP" --store "$F/a" copy -q "$F/b" >/dev/null 2>>"$F/err"
"$NSNAP" --store "$F/a" record -q --sign "$X/k" --label fork-a >/dev/null 2>>"$F/err"
"$NSNAP" --store "$F/b" record -q --sign "$X/k" --label fork-b >/dev/null 2>>"$F/err"
"$NSNAP" --store "$F/a" export 1 -o "$F/1.json" 2>>"$F/err"
"$NSNAP" --store "$F/a" export 3 -o "$F/3a.json" 2>>"$F/err"
"$NSNAP" --store "$F/b" export 3 -o "$F/3b.json" 2>>"$F/err"
"$NSNAP" --store "$F/c" import -q "$F/1.json" "$F/3a.json" "$F/3b.json" >/dev/null 2>>"$F/err"
"$NSNAP" --store "$F/c" verify --key "$X/k.pub" >"$F/v.out" 2>&1
rc=$?
[ "$rc" = 0 ] && has "$F/v.out" \
    '^signed in store [0-9a-f]{32}: 2 snapshots, ids 1-3 there, 1 of those not here, 1 more at an id already met$'
check export/fork-and-gap-told $? "rc=$rc" "$F/err" "$F/v.out"

# A relabelled export of a snapshot held under a header older than the
# chain is another snapshot, as it is against a newer header.
cp -r "$TOP_DIR/fixtures/store-v3" "$X/v3"
rm -f "$X/v3/make.sh"; rm -rf "$X/v3/expect"
sed '0,/"label": "before"/s//"label": "relabelled"/' \
    "$TOP_DIR/fixtures/store-v3/expect/export-1.json" >"$X/relabel.json"
"$NSNAP" --store "$X/v3" import "$X/relabel.json" >"$X/imp8.out" 2>"$X/imp8.err"
rc=$?
! cmp -s "$X/relabel.json" "$TOP_DIR/fixtures/store-v3/expect/export-1.json" &&
    [ "$rc" = 0 ] && ! grep -q 'already in the store' "$X/imp8.err" &&
    grep -Eq '^[0-9]+$' "$X/imp8.out"
check export/relabelled-is-new-against-old $? "rc=$rc" "$X/imp8.out" "$X/imp8.err"

# Back into the store that signed it: it would stand elsewhere in its chain.
"$NSNAP" --store "$X/a" prune 1 >/dev/null 2>&1
"$NSNAP" --store "$X/a" import "$X/signed.json" >"$X/imp5.out" 2>"$X/imp5.err"
rc=$?
[ "$rc" = 1 ] && has "$X/imp5.err" 'signed in this store'
check export/not-imported-back $? "rc=$rc" "$X/imp5.err"

grep -Eqs "$SAN_RE" "$W"/*.err "$K"/*.err
check no-sanitizer-report $((! $?))
finish
