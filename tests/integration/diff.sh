#!/bin/bash
# diff.sh — scenario test of nsdiff(1) on snapshots recorded by nsnap(8).
#
# Runs as PID 1 of its own PID namespace (it re-executes itself inside
# `unshare --pid --fork --mount-proc` otherwise), so the only processes the
# snapshots hold are the ones it starts; nsnap and nsdiff leave themselves
# out as the capturers.  It records a world, changes it, records again and
# checks the exact list nsdiff reports.  The expected lines are computed
# independently: facts from /proc and from the nsfs ioctls (a small helper
# compiled here), sorted as nsdiff(1) documents.
#
#   NSNAP_BIN   directory holding nsnap and nsdiff (default: build)
#   CC          compiler for the helper (default: cc)
#   KEEP=1      keep the temporary directory
#
# Output: "ok - NAME", "not ok - NAME" (details on "#" lines after it),
# "skip - NAME: why", and last "diff: N passed, M failed".  Exit status 0
# when nothing failed.
set -u

SUITE=diff
DETAIL_LINES=60
. "$(dirname "$0")/common.sh"

NSNAP=$NSNAP_BIN/nsnap
NSDIFF=$NSNAP_BIN/nsdiff
NSSHOW=$NSNAP_BIN/nsshow
if [ ! -x "$NSDIFF" ]; then
    notok "setup: $NSDIFF not found (make it first)"
    finish
fi
if [ ! -x "$NSNAP" ]; then
    skip "diff: $NSNAP not built yet"
    finish
fi

T=$(mktemp -d /tmp/nsdiff-integ.XXXXXX)
S=$T/store
cleanup() {
    umount "$T/netpin" 2>/dev/null
    umount "$T/x/net one" "$T/x/net-two" 2>/dev/null
    [ "${KEEP:-0}" = 1 ] || rm -rf "$T"
}
trap cleanup EXIT

# ---------------------------------------------------------------- helper
# nsq FILE...: per namespace file "INO ID OWNER-INO CREATOR", '-' for what
# the kernel does not answer (NS_GET_ID before 6.18, creator of a non-user
# namespace).
cat >"$T/nsq.c" <<'EOF'
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define NS_GET_USERNS    _IO(0xb7, 0x1)
#define NS_GET_OWNER_UID _IO(0xb7, 0x4)
#define NS_GET_ID        _IOR(0xb7, 13, uint64_t)

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		struct stat st, ost;
		uint64_t id;
		uid_t uid;
		int fd = open(argv[i], O_RDONLY | O_CLOEXEC), ofd;

		if (fd < 0 || fstat(fd, &st)) {
			perror(argv[i]);
			return 1;
		}
		printf("%llu ", (unsigned long long)st.st_ino);
		if (ioctl(fd, NS_GET_ID, &id) == 0)
			printf("%llu ", (unsigned long long)id);
		else
			printf("- ");
		ofd = ioctl(fd, NS_GET_USERNS);
		if (ofd >= 0 && fstat(ofd, &ost) == 0)
			printf("%llu ", (unsigned long long)ost.st_ino);
		else
			printf("- ");
		if (ioctl(fd, NS_GET_OWNER_UID, &uid) == 0)
			printf("%u\n", (unsigned)uid);
		else
			printf("-\n");
		if (ofd >= 0)
			close(ofd);
		close(fd);
	}
	return 0;
}
EOF
NSQ=$T/nsq
if ! ${CC:-cc} -O1 -o "$NSQ" "$T/nsq.c" >"$T/cc.log" 2>&1; then
    notok "setup: compiling the nsfs helper" "$T/cc.log"
    finish
fi

# ---------------------------------------------------------------- facts
TYPES=(cgroup ipc mnt net pid time user uts)
type_rank() { local i; for i in "${!TYPES[@]}"; do [ "${TYPES[$i]}" = "$1" ] && echo "$i"; done; }
ns_ino() { local l; l=$(readlink "/proc/$1/ns/$2") && l=${l##*[} && echo "${l%]}"; }
start_of() { awk '{ sub(/.*\) /, ""); print $20 }' "/proc/$1/stat"; }
map_of() { awk '{ $1 = $1; print }' "$1" | paste -sd,; }

# Kinds in nsdiff's order, for sorting the expected lines.
declare -A KIND=([born]=0 [gone]=1 [replaced]=2 [owner]=3 [parent]=4
    [creator]=5 [uid_map]=6 [gid_map]=7 [started]=8 [ended]=9 [joined]=10
    [left]=11 [pinned]=12 [unpinned]=13)

# expect FILE KIND TYPE INO PID TEXT: one expected line with its sort key
expect() { printf '%s %s %s %s\t%s\n' "${KIND[$2]}" "$3" "$4" "$5" "$6" >>"$1"; }
# sorted FILE: the expected text, in nsdiff's order
sorted() { sort -k1,1n -k2,2n -k3,3n -k4,4n "$1" | cut -f2-; }

# ns_line FILE born|gone TYPE NSFILE [PID-FOR-MAPS]: a namespace line
ns_line() {
    local f=$1 kind=$2 type=$3 nsfile=$4 p=${5:-} ino id owner creator text
    read -r ino id owner creator < <("$NSQ" "$nsfile")
    text="$kind $type:[$ino]"
    [ "$id" != - ] && text+=" id=$id"
    text+=" owner=user:[$owner]"
    if [ "$type" = user ]; then
        text+=" creator=$creator uid_map=\"$(map_of "/proc/$p/uid_map")\""
        text+=" gid_map=\"$(map_of "/proc/$p/gid_map")\""
    fi
    # A UTS namespace's hostname, as capture reads it from inside.
    [ "$type" = uts ] && text+=" hostname=$(nsenter --uts="$nsfile" hostname)"
    expect "$f" "$kind" "$(type_rank "$type")" "$ino" 0 "$text"
}

# proc_lines FILE started|ended PID: the process line and one joined (left)
# line per namespace it is in
proc_lines() {
    local f=$1 kind=$2 p=$3 start comm cmd i t ino word
    start=$(start_of "$p") comm=$(cat "/proc/$p/comm")
    word=joined
    [ "$kind" = ended ] && word=left
    # Started and ended processes carry their command line.
    cmd=$(tr '\0' ' ' <"/proc/$p/cmdline") cmd=${cmd% }
    expect "$f" "$kind" 0 0 "$p" "$kind pid=$p start=$start comm=$comm cmdline=\"$cmd\""
    for i in "${!TYPES[@]}"; do
        t=${TYPES[$i]}
        ino=$(ns_ino "$p" "$t")
        expect "$f" "$word" "$i" "$ino" "$p" "$word $t:[$ino] pid=$p start=$start comm=$comm"
    done
}

# spawn VAR CMD...: start CMD in the background (it must end as 'sleep'),
# wait until it runs sleep, i.e. has unshared or entered what it asked for
spawn() {
    local var=$1 p i
    shift
    "$@" &
    p=$!
    for ((i = 0; i < 500; i++)); do
        [ "$(cat "/proc/$p/comm" 2>/dev/null)" = sleep ] && break
        sleep 0.01
    done
    printf -v "$var" '%s' "$p"
}

stop() { kill "$1" && wait "$1" 2>/dev/null; }

# record NAME: a snapshot; its id in $ID
record() {
    "$NSNAP" record --store "$S" >"$T/rec-$1.out" 2>"$T/rec-$1.err"
    local rc=$?
    ID=$(tr -d '[:space:]' <"$T/rec-$1.out")
    if [ $rc = 0 ] && [[ $ID =~ ^[0-9]+$ ]] && ! grep -Eq "$SAN_RE" "$T/rec-$1.err"; then
        ok "record/$1"
        return 0
    fi
    notok "record/$1" "status $rc, stdout '$ID'" "$T/rec-$1.err"
    return 1
}

# nsdiff_run NAME ARGS...: nsdiff with the store; NAME.out, .err, .rc in $T
nsdiff_run() {
    local b=$T/$1
    shift
    "$NSDIFF" --store "$S" "$@" >"$b.out" 2>"$b.err"
    echo $? >"$b.rc"
}

# check_run NAME WANT-RC EXPECTED-FILE: status, stdout, and a clean stderr
check_run() {
    local name=$1 want=$2 exp=$3 b=$T/$1 rc
    rc=$(cat "$b.rc")
    if grep -Eq "$SAN_RE" "$b.err"; then
        notok "$name" "sanitizer report:" "$b.err"
    elif [ "$rc" != "$want" ]; then
        notok "$name" "exit status $rc, want $want" "$b.err"
    elif ! diff -u "$exp" "$b.out" >"$b.diff"; then
        notok "$name" "$b.diff"
    elif [ -s "$b.err" ]; then
        notok "$name" "unexpected stderr:" "$b.err"
    else
        ok "$name"
    fi
}

# ---------------------------------------------------------------- world 1
touch "$T/netpin"
unshare --net="$T/netpin" true || { notok "setup: unshare --net=FILE"; finish; }
spawn P_KEEP sleep infinity
spawn P_LAST unshare --net sleep infinity
spawn P_NETKEEP unshare --net sleep infinity
spawn P_UTS1 unshare --uts sleep infinity
record world1 || finish
ID1=$ID

# ---------------------------------------------------------------- changes
FULL=$T/expect-full      # the whole list
NSL=$T/expect-ns         # --deep-scan --no-pids
: >"$FULL"
: >"$NSL"

# Inode reuse first, before anything else takes the freed inode number:
# the kernel hands out the lowest free one.  A try that got another inode
# (freed earlier by someone else) keeps it, to fill that hole, and is
# expected like any new namespace.
read -r UTS_INO UTS_ID _ < <("$NSQ" "/proc/$P_UTS1/ns/uts")
proc_lines "$FULL" ended "$P_UTS1"
stop "$P_UTS1"
REUSED=0
for ((try = 0; try < 8; try++)); do
    spawn P_UTS2 unshare --uts sleep infinity
    read -r ino id _ < <("$NSQ" "/proc/$P_UTS2/ns/uts")
    proc_lines "$FULL" started "$P_UTS2"
    if [ "$ino" = "$UTS_INO" ]; then
        REUSED=1
        break
    fi
    for f in "$FULL" "$NSL"; do ns_line "$f" born uts "/proc/$P_UTS2/ns/uts"; done
done
for f in "$FULL" "$NSL"; do
    if [ $REUSED = 1 ]; then
        r=(replaced "$(type_rank uts)" "$UTS_INO" 0)
        if [ "$UTS_ID" != - ]; then
            expect "$f" "${r[@]}" "replaced uts:[$UTS_INO] old_id=$UTS_ID new_id=$id type=uts owner=user:[$(ns_ino 1 user)] hostname=$(nsenter --uts="/proc/$P_UTS2/ns/uts" hostname)"
        else  # no IDs: same attributes, a weak match, nothing to report
            :
        fi
    else
        expect "$f" gone "$(type_rank uts)" "$UTS_INO" 0 \
            "gone uts:[$UTS_INO]$([ "$UTS_ID" != - ] && echo " id=$UTS_ID") owner=user:[$(ns_ino 1 user)]"
    fi
done

# A process in a new namespace.
spawn P_NEW unshare --ipc sleep infinity
proc_lines "$FULL" started "$P_NEW"
for f in "$FULL" "$NSL"; do ns_line "$f" born ipc "/proc/$P_NEW/ns/ipc"; done

# Processes in existing namespaces: the initial ones, and a net namespace
# that stays.
spawn P_INIT2 sleep infinity
proc_lines "$FULL" started "$P_INIT2"
spawn P_JOIN nsenter --target "$P_NETKEEP" --net sleep infinity
proc_lines "$FULL" started "$P_JOIN"
NETKEEP_INO=$(ns_ino "$P_NETKEEP" net)

# A user namespace with another map than the initial one.
spawn P_USER unshare --user --map-root-user sleep infinity
proc_lines "$FULL" started "$P_USER"
for f in "$FULL" "$NSL"; do ns_line "$f" born user "/proc/$P_USER/ns/user" "$P_USER"; done

# Namespaces die last: the kernel would give their inode numbers to the
# namespaces created above (of any type), which nsdiff rightly reports as
# replaced; the UTS reuse above is the one we ask for.

# The last member of a namespace ends: the namespace is gone.
proc_lines "$FULL" ended "$P_LAST"
for f in "$FULL" "$NSL"; do ns_line "$f" gone net "/proc/$P_LAST/ns/net"; done
stop "$P_LAST"

# A namespace only a bind mount kept alive: unmounted, it is gone (seen
# only with --deep-scan).
ns_line "$NSL" gone net "$T/netpin"
PIN_INO=$(stat -L -c %i "$T/netpin")
expect "$NSL" unpinned "$(type_rank net)" "$PIN_INO" 0 \
    "unpinned net:[$PIN_INO] by=mount mntns=mnt:[$(ns_ino 1 mnt)] path=$T/netpin"
umount "$T/netpin" || notok "setup: umount $T/netpin"

record world2 || finish
ID2=$ID

# ---------------------------------------------------------------- checks
sorted "$FULL" >"$T/want-full"
nsdiff_run list --format=list "$ID1" "$ID2"
check_run list 1 "$T/want-full"

sorted "$NSL" >"$T/want-ns"
nsdiff_run deep-scan-no-pids --format=list --deep-scan --no-pids "$ID1" "$ID2"
check_run deep-scan-no-pids 1 "$T/want-ns"

if [ $REUSED = 0 ]; then
    skip "inode-reuse: the uts inode was not handed out again (namespaces created elsewhere meanwhile)"
elif [ "$UTS_ID" = - ]; then
    skip "inode-reuse: the kernel does not answer NS_GET_ID"
elif grep -q "^replaced uts:\[$UTS_INO\] old_id=$UTS_ID new_id=" "$T/list.out"; then
    ok "inode-reuse"
else
    notok "inode-reuse" "no 'replaced uts:[$UTS_INO]' line" "$T/list.out"
fi

# Only net namespaces (user namespaces always stay): the joined net line.
if grep -qx "joined net:\[$NETKEEP_INO\] pid=$P_JOIN start=$(start_of "$P_JOIN") comm=sleep" "$T/list.out"; then
    ok "joined-existing"
else
    notok "joined-existing" "no joined line for $P_JOIN in net:[$NETKEEP_INO]" "$T/list.out"
fi

: >"$T/empty"
# no_diff NAME ARGS...: the tree of an unchanged world: the two header
# lines and "no differences", status 0.
no_diff() {
    local name=$1 b=$T/$1
    shift
    nsdiff_run "$name" "$@"
    if [ "$(cat "$b.rc")" = 0 ] && [ ! -s "$b.err" ] &&
        [ "$(wc -l <"$b.out")" = 3 ] && [ "$(sed -n 3p "$b.out")" = "no differences" ] &&
        grep -q '^--- ' "$b.out" && grep -q '^+++ ' "$b.out"; then
        ok "$name"
    else
        notok "$name" "status $(cat "$b.rc"), want 0 and header + 'no differences'" \
            "$b.out" "$b.err"
    fi
}
no_diff same-snapshot "$ID2" "$ID2"

# An unchanged world: two snapshots, then a snapshot and the live system.
record world3 || finish
ID3=$ID
nsdiff_run unchanged --format=list "$ID2" "$ID3"
check_run unchanged 0 "$T/empty"
no_diff unchanged-live "$ID3"
no_diff unchanged-tree --format=tree "$ID2" "$ID3"

# Trouble: status 2, one line on stderr, nothing on stdout.
trouble() { # trouble NAME ARGS...
    local name=$1 b=$T/$1
    shift
    nsdiff_run "$name" "$@"
    if [ "$(cat "$b.rc")" = 2 ] && [ ! -s "$b.out" ] &&
        [ "$(wc -l <"$b.err")" = 1 ] && ! grep -Eq "$SAN_RE" "$b.err"; then
        ok "$name"
    else
        notok "$name" "status $(cat "$b.rc"), want 2 and one line on stderr" "$b.err"
    fi
}
trouble bad-selector 999999 "$ID1"
trouble bad-option --frobnicate "$ID1"
trouble bad-format --format=xml "$ID1"
trouble no-store-here "$ID1" "$ID2" --store "$T/nothing"

# Tree: a summary, the born IPC namespace, and the process that started
# in it, once, with its namespace beside it (a workload's lines are
# indented under its name; the command line shows where it was recorded).
nsdiff_run tree --format=tree --color=never "$ID1" "$ID2"
DEV=$(stat -L -c %d "/proc/$P_NEW/ns/ipc")
IPC_INO=$(ns_ino "$P_NEW" ipc)
if [ "$(cat "$T/tree.rc")" = 1 ] && ! grep -Eq "$SAN_RE" "$T/tree.err" &&
    [ "$(sed -n 3p "$T/tree.out" | cut -d: -f1)" = summary ] &&
    grep -Eq "^\+ +ipc \{$DEV $IPC_INO\}( |\$)" "$T/tree.out" &&
    grep -Eq "^\+ +$P_NEW sleep( infinity)? \(started\) in ipc \{$DEV $IPC_INO\}\$" "$T/tree.out" &&
    [ "$(grep -c " $P_NEW " "$T/tree.out")" = 1 ]; then
    ok "tree"
else
    notok "tree" "status $(cat "$T/tree.rc")" "$T/tree.out" "$T/tree.err"
fi
# --verbose: the hierarchy, the process under each namespace it joined.
nsdiff_run tree-verbose --verbose --color=never "$ID1" "$ID2"
if [ "$(cat "$T/tree-verbose.rc")" = 1 ] && ! grep -Eq "$SAN_RE" "$T/tree-verbose.err" &&
    grep -Eqx "\+     ipc \{$DEV $IPC_INO\}.*" "$T/tree-verbose.out" &&
    grep -Eqx "\+             $P_NEW sleep( infinity)? \(started\)" "$T/tree-verbose.out"; then
    ok "tree-verbose"
else
    notok "tree-verbose" "status $(cat "$T/tree-verbose.rc")" "$T/tree-verbose.out" \
        "$T/tree-verbose.err"
fi

# JSON: one change object per list line, and valid where python3 can say.
nsdiff_run json --format=json "$ID1" "$ID2"
n_json=$(grep -c '"kind": ' "$T/json.out")
n_list=$(wc -l <"$T/list.out")
if [ "$(cat "$T/json.rc")" = 1 ] && [ "$n_json" = "$n_list" ] &&
    { ! command -v python3 >/dev/null ||
        python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["schema"]=="nsdiff/1"' <"$T/json.out"; }; then
    ok "json"
else
    notok "json" "status $(cat "$T/json.rc"), $n_json changes for $n_list list lines" "$T/json.err"
fi

# DOT, piped into Graphviz as a user would: dot must draw it without a
# word; the born IPC namespace is a green node with its one new process,
# the net namespace whose last member ended a red one.
GONE_NET=$(sed -n 's/^gone net:\[\([0-9]*\)\].*/\1/p' "$T/want-full")
if ! command -v dot >/dev/null 2>&1; then
    skip "dot: graphviz not installed"
else
    "$NSDIFF" --store "$S" --format=dot "$ID1" "$ID2" 2>"$T/dot.err" |
        tee "$T/dot.out" | dot -Tsvg >"$T/dot.svg" 2>"$T/dot.svg-err"
    st=("${PIPESTATUS[@]}")
    if grep -Eq "$SAN_RE" "$T/dot.err"; then
        notok "dot" "sanitizer report:" "$T/dot.err"
    elif [ "${st[0]}" != 1 ] || [ "${st[2]}" != 0 ] || [ -s "$T/dot.err" ] ||
        [ -s "$T/dot.svg-err" ] || ! grep -q '</svg>' "$T/dot.svg"; then
        notok "dot" "nsdiff status ${st[0]} (want 1), dot status ${st[2]}" \
            "$T/dot.err" "$T/dot.svg-err"
    elif ! grep -qF "[label=\"ipc {$DEV $IPC_INO}\l+1 process\l\", style=\"filled\", fillcolor=\"palegreen\"];" "$T/dot.out" ||
        ! grep -F "[label=\"net {$DEV $GONE_NET}\l" "$T/dot.out" | grep -q 'fillcolor="lightcoral"'; then
        notok "dot" "no green ipc {$DEV $IPC_INO} or red net {$DEV $GONE_NET} node" "$T/dot.out"
    else
        ok "dot"
    fi
fi

# Timeline over the three snapshots.
nsdiff_run timeline --timeline
if [ "$(cat "$T/timeline.rc")" = 1 ] && ! grep -Eq "$SAN_RE" "$T/timeline.err" &&
    [ "$(grep -c "^[^ ]* [0-9]* snapshot " "$T/timeline.out")" = 3 ] &&
    grep -q "^[^ ]* $ID2 joined net:\[$NETKEEP_INO\] pids=$P_JOIN\$" "$T/timeline.out" &&
    grep -q "^[^ ]* $ID2 born ipc:\[$IPC_INO\] " "$T/timeline.out"; then
    ok "timeline"
else
    notok "timeline" "status $(cat "$T/timeline.rc")" "$T/timeline.out" "$T/timeline.err"
fi
nsdiff_run timeline-quiet --timeline "$ID2" "$ID3"
if [ "$(cat "$T/timeline-quiet.rc")" = 0 ] && [ "$(wc -l <"$T/timeline-quiet.out")" = 2 ]; then
    ok "timeline-unchanged"
else
    notok "timeline-unchanged" "status $(cat "$T/timeline-quiet.rc")" "$T/timeline-quiet.out"
fi

# ---------------------------------------------------------------- history
# nsshow --history reads the namespace index and only the snapshots where
# the namespace changed; the same snapshots imported into a store of their
# own are not indexed, so there every snapshot is read.  Both must say the
# same, byte for byte.
S_IMP=$T/store-imported
bad=
for id in "$ID1" "$ID2" "$ID3"; do
    "$NSNAP" export "$id" -o "$T/h$id.json" --store "$S" 2>>"$T/hist.err" || bad+=" export-$id"
done
"$NSNAP" import -q "$T/h$ID1.json" "$T/h$ID2.json" "$T/h$ID3.json" --store "$S_IMP" \
    >/dev/null 2>>"$T/hist.err" || bad+=" import"
HIST_NS=("net:[$NETKEEP_INO]" "ipc:[$IPC_INO]" "uts:[$UTS_INO]" "net:[$GONE_NET]"
    "$(readlink /proc/1/ns/user)" "$(readlink /proc/1/ns/pid)" "$DEV:$IPC_INO" 999999999)
for ns in "${HIST_NS[@]}"; do
    "$NSSHOW" --history="$ns" --store="$S" >"$T/hist-a.out" 2>"$T/hist-a.err"
    a=$?
    "$NSSHOW" --history="$ns" --store="$S_IMP" >"$T/hist-b.out" 2>"$T/hist-b.err"
    b=$?
    if [ "$a" != "$b" ] || ! cmp -s "$T/hist-a.out" "$T/hist-b.out" ||
        ! cmp -s "$T/hist-a.err" "$T/hist-b.err" ||
        grep -Eq "$SAN_RE" "$T/hist-a.err" "$T/hist-b.err"; then
        bad+=" $ns"
        diff "$T/hist-a.out" "$T/hist-b.out" >>"$T/hist.err"
    fi
done
if [ -n "$bad" ]; then
    notok "history-index" "differ:$bad" "$T/hist.err"
elif ! "$NSSHOW" --history="net:[$NETKEEP_INO]" --store="$S" |
    grep -q "^[^ ]* $ID2 joined net:\[$NETKEEP_INO\] pids=$P_JOIN\$"; then
    notok "history-index" "no joined line for $P_JOIN"
else
    ok "history-index"
fi

# Flipped bytes in the index: the IPC namespace born in snapshot 2 said
# first seen in snapshot 3.  A history says the index is damaged, reads
# every snapshot instead (the right answer) and exits 1; verify names it.
be64() { printf '%016x' "$1" | sed 's/../\\x&/g'; }
mkdir -p "$T/store-dmg"
cp "$S/data.mdb" "$T/store-dmg/"
hits=0
for off in $(LC_ALL=C grep -obUaP "$(be64 "$DEV")$(be64 "$IPC_INO")$(be64 "$ID2")" \
                 "$T/store-dmg/data.mdb" | cut -d: -f1); do
    printf "\\x$(printf %02x "$ID3")" |
        dd of="$T/store-dmg/data.mdb" bs=1 seek=$((off + 23)) count=1 conv=notrunc status=none
    hits=$((hits + 1))
done
"$NSSHOW" --history="ipc:[$IPC_INO]" --store="$S" >"$T/hist-ok.out" 2>/dev/null
"$NSSHOW" --history="ipc:[$IPC_INO]" --store="$T/store-dmg" >"$T/hist-dmg.out" 2>"$T/hist-dmg.err"
rc=$?
"$NSNAP" verify --store "$T/store-dmg" >"$T/verify-dmg.out" 2>&1
vrc=$?
if [ "$hits" = 0 ]; then
    notok "history-index-damage" "the index entry was not found in the data file"
elif [ "$rc" != 1 ] || ! grep -q "namespace index" "$T/hist-dmg.err" ||
    ! cmp -s "$T/hist-ok.out" "$T/hist-dmg.out" || grep -Eq "$SAN_RE" "$T/hist-dmg.err"; then
    notok "history-index-damage" "history: status $rc ($hits copies flipped)" \
        "$T/hist-dmg.err" "$T/hist-dmg.out"
elif [ "$vrc" != 1 ] || ! grep -q "^snapshot [0-9]*: namespace index: .*$DEV:$IPC_INO" "$T/verify-dmg.out"; then
    notok "history-index-damage" "verify: status $vrc" "$T/verify-dmg.out"
else
    ok "history-index-damage"
fi

# ---------------------------------------------------------------- discovery
# nsdiff compares only what nsshow would discover.  Two net namespaces kept
# alive by bind mounts only: one on a path with a blank, which mountinfo
# spells "net\040one" and the reference cannot open, so nsshow --deep-scan
# never shows it; one on a plain path, which both see.  Recorded in a store
# of their own (the timeline above counts the snapshots of $S).
S_MAIN=$S
S=$T/store-pins
mkdir -p "$T/x" && touch "$T/x/net one" "$T/x/net-two"
if record pins-before; then
    PINS1=$ID
    if unshare --net="$T/x/net one" true && unshare --net="$T/x/net-two" true &&
        record pins-after; then
        PINS2=$ID
        BLANK_INO=$(stat -L -c %i "$T/x/net one")
        PLAIN_INO=$(stat -L -c %i "$T/x/net-two")
        PDEV=$(stat -L -c %d "$T/x/net-two")

        : >"$T/expect-pins"
        ns_line "$T/expect-pins" born net "$T/x/net-two"
        expect "$T/expect-pins" pinned "$(type_rank net)" "$PLAIN_INO" 0 \
            "pinned net:[$PLAIN_INO] by=mount mntns=mnt:[$(ns_ino 1 mnt)] path=$T/x/net-two"
        sorted "$T/expect-pins" >"$T/want-pins"
        nsdiff_run discovery-diff --format=list --deep-scan --no-pids "$PINS1" "$PINS2"
        check_run discovery-diff 1 "$T/want-pins"

        "$NSSHOW" --store="$S" --snapshot="$PINS2" --deep-scan --no-pids \
            >"$T/pins-show.out" 2>"$T/pins-show.err"
        if grep -Eq "$SAN_RE" "$T/pins-show.err"; then
            notok "discovery-show" "sanitizer report:" "$T/pins-show.err"
        elif grep -q "$BLANK_INO" "$T/pins-show.out" ||
            ! grep -qx " *net {$PDEV $PLAIN_INO}" "$T/pins-show.out"; then
            notok "discovery-show" "want net {$PDEV $PLAIN_INO} and not $BLANK_INO" \
                "$T/pins-show.out"
        else
            ok "discovery-show"
        fi

        # The other formats say nothing of the blank path either, and
        # never escape a path twice.
        bad=
        for fmt in tree json dot; do
            nsdiff_run "pins-$fmt" --format="$fmt" --deep-scan "$PINS1" "$PINS2"
            if [ "$(cat "$T/pins-$fmt.rc")" != 1 ] || [ -s "$T/pins-$fmt.err" ] ||
                grep -q -e "$BLANK_INO" -e '\\040' "$T/pins-$fmt.out" ||
                ! grep -q "$PLAIN_INO" "$T/pins-$fmt.out"; then
                bad+=" $fmt"
            fi
        done
        if [ -z "$bad" ]; then
            ok "discovery-formats"
        else
            notok "discovery-formats" "wrong:$bad" "$T/pins-tree.out"
        fi
    else
        notok "setup: unshare --net=FILE on a path with a blank"
    fi
fi
S=$S_MAIN

# ---------------------------------------------------------------- the story
# In a store of their own, each step recorded before and after.
S_MAIN=$S
S=$T/store-story
lines() { wc -l <"$1" | tr -d ' '; }

# Six sleeps started among the host's namespaces, the last in a new net
# and UTS namespace: at most 12 lines, naming that PID and both namespaces.
if record six-before; then
    SIX1=$ID
    for k in 1 2 3 4 5; do spawn p sleep infinity; done
    spawn P_SIX unshare --net --uts sleep infinity
    SIX_NET=$(ns_ino "$P_SIX" net) SIX_UTS=$(ns_ino "$P_SIX" uts)
    SDEV=$(stat -L -c %d "/proc/$P_SIX/ns/net")
    if record six-after; then
        SIX2=$ID
        nsdiff_run six --color=never "$SIX1" "$SIX2"
        n=$(lines "$T/six.out")
        if [ "$(cat "$T/six.rc")" != 1 ] || [ -s "$T/six.err" ]; then
            notok "six-sleeps" "status $(cat "$T/six.rc")" "$T/six.err"
        elif [ "$n" -gt 12 ]; then
            notok "six-sleeps" "$n lines, want at most 12" "$T/six.out"
        elif ! grep -Eq "^\+ +$P_SIX sleep( infinity)? \(started\) in net \{$SDEV $SIX_NET\}, uts \{$SDEV $SIX_UTS\}\$" "$T/six.out" ||
            ! grep -Eq "^\+ +net \{$SDEV $SIX_NET\}" "$T/six.out" ||
            ! grep -Eq "^\+ +uts \{$SDEV $SIX_UTS\}" "$T/six.out"; then
            notok "six-sleeps" "no line for $P_SIX in net:[$SIX_NET] uts:[$SIX_UTS]" "$T/six.out"
        else
            ok "six-sleeps ($n lines)"
        fi
        # The list keeps one change per line: 6 started, 2 born, joined.
        nsdiff_run six-list --format=list "$SIX1" "$SIX2"
        if [ "$(grep -c '^started ' "$T/six-list.out")" = 6 ] &&
            [ "$(grep -c '^born ' "$T/six-list.out")" = 2 ] &&
            [ "$(grep -c "^joined .* pid=$P_SIX " "$T/six-list.out")" = 8 ]; then
            ok "six-sleeps-list"
        else
            notok "six-sleeps-list" "$T/six-list.out"
        fi
    fi
fi

# A zombie: a child its parent never reaps.  The snapshot where it became
# a zombie reports its end and all eight leaves, with its comm and start
# time; the one after its reaping says nothing of it.
spawn P_ZPARENT bash -c 'sleep 1 & exec sleep infinity'
P_Z=
for ((i = 0; i < 500; i++)); do
    for f in /proc/[0-9]*/stat; do
        read -r pid comm state ppid _ <"$f" 2>/dev/null || continue
        [ "$ppid" = "$P_ZPARENT" ] && P_Z=$pid && break
    done
    [ -n "$P_Z" ] && break
    sleep 0.01
done
if [ -z "$P_Z" ]; then
    notok "zombie" "setup: no child of $P_ZPARENT"
elif record zombie-alive; then
    Z1=$ID Z_START=$(start_of "$P_Z")
    for ((i = 0; i < 500; i++)); do
        [ "$(awk '{ sub(/.*\) /, ""); print $1 }' "/proc/$P_Z/stat")" = Z ] && break
        sleep 0.01
    done
    if record zombie-dead; then
        Z2=$ID
        kill "$P_ZPARENT"
        wait "$P_ZPARENT" 2>/dev/null
        for ((i = 0; i < 500; i++)); do [ -e "/proc/$P_Z" ] || break; sleep 0.01; done
        record zombie-reaped && Z3=$ID
        nsdiff_run zombie --format=list "$Z1" "$Z2"
        nsdiff_run zombie-after --format=list "$Z2" "${Z3:-$Z2}"
        nz=$(grep -c "^left [a-z]*:\[[0-9]*\] pid=$P_Z start=$Z_START comm=sleep\$" "$T/zombie.out")
        if ! grep -qx "ended pid=$P_Z start=$Z_START comm=sleep\( cmdline=.*\)\?" "$T/zombie.out" ||
            [ "$nz" != 8 ]; then
            notok "zombie" "want ended and 8 left lines for $P_Z ($nz left)" "$T/zombie.out"
        elif grep -q "pid=$P_Z " "$T/zombie-after.out"; then
            notok "zombie" "the reaping reported $P_Z again" "$T/zombie-after.out"
        else
            ok "zombie"
        fi
    fi
fi

# Processes that vanish while a snapshot reads them: short-lived ones,
# started without pause during three recordings, some of them caught in
# the middle of their exit.  No end is ever reported without its comm,
# nor with start=0.
( while :; do sleep 0.03 & sleep 0.002; done ) &
P_CHURN=$!
churn_ok=1
record churn1 && C1=$ID || churn_ok=0
record churn2 && C2=$ID || churn_ok=0
record churn3 && C3=$ID || churn_ok=0
kill "$P_CHURN"
wait "$P_CHURN" 2>/dev/null
if [ $churn_ok = 1 ]; then
    : >"$T/churn.all"
    nsdiff_run churn12 --format=list "$C1" "$C2"
    nsdiff_run churn23 --format=list "$C2" "$C3"
    cat "$T/churn12.out" "$T/churn23.out" >"$T/churn.all"
    if grep -E '^(ended|left) ' "$T/churn.all" | grep -Ev ' comm=' | grep -q . ||
        grep -Eq '^(ended|left) .* start=0( |$)' "$T/churn.all"; then
        notok "vanished" "an end without comm or with start=0" "$T/churn.all"
    else
        ok "vanished ($(grep -c '^ended ' "$T/churn.all") ended)"
    fi
fi

# A picture of a diff with at least 40 changed namespaces, as Graphviz
# lays it out: not one row of boxes.
if ! command -v dot >/dev/null 2>&1; then
    skip "dot-aspect: graphviz not installed"
elif record wide-before; then
    W1=$ID
    for k in 1 2 3 4 5 6 7; do
        spawn p unshare --net --uts --ipc --mount --cgroup --pid --fork sleep infinity
    done
    if record wide-after; then
        W2=$ID
        nsdiff_run wide --format=dot "$W1" "$W2"
        nborn=$(nsdiff_run wide-list --format=list "$W1" "$W2"; grep -c '^born ' "$T/wide-list.out")
        dot -Tsvg "$T/wide.out" >"$T/wide.svg" 2>"$T/wide.svg-err"
        read -r w h < <(sed -n 's/^<svg width="\([0-9.]*\)pt" height="\([0-9.]*\)pt".*/\1 \2/p' "$T/wide.svg")
        if [ "$nborn" -lt 40 ] || [ -z "${w:-}" ] || [ -s "$T/wide.svg-err" ]; then
            notok "dot-aspect" "$nborn born namespaces, svg '${w:-?} x ${h:-?}'" "$T/wide.svg-err"
        elif awk -v w="$w" -v h="$h" 'BEGIN { exit !(w / h < 4 && h / w < 4) }'; then
            ok "dot-aspect ($nborn born, ${w%.*} x ${h%.*} pt)"
        else
            notok "dot-aspect" "$nborn born namespaces drawn ${w} x ${h} pt"
        fi
    fi
fi
S=$S_MAIN

finish
