#!/bin/bash
# world.sh — build the deterministic namespace test world, run a command in
# it, tear it down.
#
#   unshare --pid --fork --mount-proc tests/integration/world.sh DIR CMD [ARG...]
#
# Must be PID 1 of a fresh PID namespace with its own /proc (hence the
# unshare line above; the world dies with this PID namespace). DIR is a
# directory readable by everyone (0755, no "nsfs" in its path) holding the
# compiled helper DIR/wh (see lib.sh: world_prepare). CMD runs as a child
# of this script once the world is complete, with
#   WORLD_DIR     DIR
#   WORLD_MAXPID  the highest PID the world used: any larger PID belongs to
#                 CMD or its children (the tool under test, for instance)
#   WORLD_PIDS    DIR/pids: "NAME PID PPID" for every process/thread with a
#                 unique comm (threads are listed too)
# and its exit status becomes ours. The world's log is DIR/world.log.
#
# Determinism: every process is created strictly one after the other and
# each piece announces that it is ready (FIFO DIR/ready) before the next
# starts; nothing here forks at a variable rate (no sleeps, no $(...)), so
# PIDs are the same on every run. Waiting uses bash builtins only (read -t).
#
# What the world contains (U = user ns, P = pid ns; README.md has more):
#   U0, P0: root sleepers, comms with printf conversions, 32 chars, a
#     newline, UTF-8, a trailing blank; mt-live (3 threads; mt-live-uts
#     unshared its own UTS namespace)
#   U1 (uid map "0 100000 65536", 3-line gid map, creator 0): net, uts,
#     ipc, mnt M1, cgroup, time; P1 whose init is the agent a1-agent;
#     u1-member-01..20 (lists that wrap); mt-zombie (zombie leader,
#     thread mt-zombie-uts in its own UTS ns); tfc-holder (time_for_children
#     -> memberless time ns); a UTS ns pinned by a bind mount inside M1
#     U2 ("0 1000 1,1 2000 100", setgroups deny, creator 100000): NO
#       member; owns a net and a uts ns whose members live in U3
#       U3 ("0 0 1", creator 101000): ipc; P2 (a3-agent); u3-member-1..3;
#         a zombie process (zombie-child of zombie-parent)
#         U4 (--map-root-user): cgroup; P3 (a4-agent); u4-member-1..2;
#           u4-timens in its own time ns (NStgid has 4 values)
#   root-in-u1-net: in U0 but in U1's net and uts namespaces (nsenter)
#   filler-NN root sleepers, so that later PIDs pass 100 (the /proc string
#     order then differs from the numeric one)
#   U5 (made by uid 1000, "0 1000 1"): net, uts, P5 (a5-agent), u5-member-1
#     U6 ("1000 0 1", creator 1000): ipc; u6-member
#   Ufd ("0 200000 100"): uts, pid, mnt ns pinned only by fd-holder's fds
#   Ub ("0 300000 10"): user, net, pid, ipc ns pinned only by nsfs bind
#     mounts in M0 (the ipc one on a path with a blank: mountinfo escapes
#     it as \040 and the reference's open() of that text fails)
#   pfc-holder: pid_for_children -> a pid ns whose only process exited
#   Uq (--map-root-user): mount ns Mq with its own /proc, a UTS ns pinned by
#     a bind mount there (the reference cannot see it: after setns() into
#     Mq, /proc/thread-self does not resolve), P4 (aq-agent)
set -u

D=${1:?usage: world.sh DIR CMD...}
shift
[ $# -gt 0 ] || { echo "world.sh: no command" >&2; exit 2; }
WH=$D/wh
F=$D/ready

die() {
    echo "world.sh: $*" >&2
    echo "world.sh: $*" >>"$D/world.log"
    exit 99
}
trap 'exit 130' INT TERM

[ "$$" = 1 ] || die "must run as PID 1 of a new PID namespace (unshare --pid --fork --mount-proc)"
[ -x "$WH" ] || die "$WH missing (compile tests/integration/helpers/wh.c)"
case $D in *nsfs*) die "DIR must not contain 'nsfs' (the reference would choke)";; esac

# Files and FIFOs, always made here in the same order (rm, mkfifo and
# chmod fork: the same number of times on every run).
rm -f "$F" "$D/idle" "$D"/agent-* "$D"/pin-* "$D/pin ipc" "$D/pids" "$D/world.log"
mkfifo -m 0666 "$F" "$D/idle" "$D/agent-a1" "$D/agent-a3" "$D/agent-a4" \
    "$D/agent-a5" "$D/agent-aq" || die "mkfifo"
: >"$D/world.log"
chmod 0666 "$D/world.log"
for p in pin-net pin-pid pin-user "pin ipc" pin-m1 pin-q; do : >"$D/$p"; done
exec 9<>"$F"          # announcements arrive here
exec 8<>"$D/idle"     # never written: 'read -t' on it is a builtin sleep
exec 7>>"$D/world.log"

await() { # await NAME [PID]: the announcement of NAME; PID: our child
    local want=$1 pid=${2:-} got i
    for ((i = 0; i < 30; i++)); do
        if IFS= read -r -t 1 got <&9; then
            [ "$got" = "$want" ] || die "expected '$want', got '$got'"
            return 0
        fi
        # a child that died is reaped by bash at once: fail fast then
        [ -z "$pid" ] || [ -e "/proc/$pid" ] ||
            die "'$want' exited before it was ready (see $D/world.log)"
    done
    die "timed out waiting for '$want' (see $D/world.log)"
}

# spawn NAME CMD...: start CMD here (root context) and wait for NAME.
spawn() {
    local name=$1
    shift
    "$@" </dev/null >&7 2>&7 7>&- 8<&- 9<&- &
    await "$name" $!
}

# ask AGENT NAME LINE: have agent AGENT run LINE in the background, wait for
# NAME. Simple commands are exec'd by the agent's subshell (no extra bash).
ask() {
    printf '%s\n' "$3" >"$D/agent-$1"
    await "$2"
}

# The agent: a bash that sets its comm, announces itself, then runs each
# line written to its FIFO in the background. Used as init of nested PID
# namespaces so that children inherit all of its namespaces without any
# nsenter process lingering.
AGENT='printf %s "$1" >/proc/self/comm; exec 7>&- 8<&- 9<&-; printf "%s\n" "$1" >"$3"; while :; do IFS= read -r line <"$2" || continue; eval "$line" & done'

gone() { # wait until /proc/PID has disappeared (killed and reaped)
    local i
    for ((i = 0; i < 3000; i++)); do
        [ -e "/proc/$1" ] || return 0
        read -r -t 0.01 <&8
    done
    die "process $1 did not go away"
}

pid_of() { # pid_of COMM -> $REPLY (world PID), by scanning /proc (no fork)
    local d c
    for d in /proc/[1-9]*; do
        IFS= read -r c <"$d/comm" 2>/dev/null || continue
        if [ "$c" = "$1" ]; then REPLY=${d#/proc/}; return 0; fi
    done
    die "no process named $1"
}

# ---------------------------------------------------------------- root
for i in 01 02 03 04 05 06; do
    spawn "root-sleeper-$i" "$WH" pause "root-sleeper-$i" "$F"
done
spawn 'fmt%s%d%n 100%' "$WH" pause 'fmt%s%d%n 100%' "$F"
spawn this-is-a-very-long-command-name "$WH" pause this-is-a-very-long-command-name "$F"
spawn mt-live "$WH" threads mt-live "$F" live
# odd comms: a newline inside (/proc/PID/comm shows it raw), UTF-8, a
# trailing blank
spawn two_lines "$WH" pause $'two\nlines' "$F"
spawn $'\xc3\xa9t\xc3\xa9 caf\xc3\xa9' "$WH" pause $'\xc3\xa9t\xc3\xa9 caf\xc3\xa9' "$F"
spawn 'ends-in-blank ' "$WH" pause 'ends-in-blank ' "$F"

# ---------------------------------------------------------------- U1
spawn a1-agent "$WH" userns "0 100000 65536" "0 100000 1000,1000 300000 1,1001 101001 64535" allow \
    unshare --net --uts --ipc --mount --cgroup -- \
    unshare --time --fork -- \
    unshare --pid --fork -- \
    bash -c "$AGENT" agent a1-agent "$D/agent-a1" "$F"
for i in 01 02 03 04 05 06 07 08 09 10 11 12 13 14 15 16 17 18 19 20; do
    ask a1 "u1-member-$i" "exec $WH pause u1-member-$i $F"
done
ask a1 mt-zombie "exec $WH threads mt-zombie $F zombie"
ask a1 tfc-holder "exec $WH pause tfc-holder $F time"
# a UTS namespace owned by U1, pinned only by a bind mount inside M1
ask a1 m1-bind-tgt "exec unshare --uts $WH pause m1-bind-tgt $F"
pid_of m1-bind-tgt
tgt=$REPLY
ask a1 m1-bound "mount --bind /proc/$tgt/ns/uts $D/pin-m1 && printf 'm1-bound\n' >$F"
kill -KILL "$tgt"
gone "$tgt"
# U2 (no members left once U3 exists) owning net+uts, then U3 with P2
ask a1 a3-agent "exec $WH userns '0 1000 1,1 2000 100' '0 1000 1,1 2000 100' deny \
$WH unshare net,uts \
$WH userns '0 0 1' '0 0 1' - \
unshare --pid --fork --ipc -- bash -c '$AGENT' agent a3-agent $D/agent-a3 $F"

# ---------------------------------------------------------------- U3, U4
for i in 1 2 3; do
    ask a3 "u3-member-$i" "exec $WH pause u3-member-$i $F"
done
# a zombie process (exited, never reaped by its parent)
ask a3 zombie-parent "exec $WH zparent zombie-parent zombie-child $F"
ask a3 a4-agent "exec unshare --user --map-root-user --pid --fork --cgroup -- \
bash -c '$AGENT' agent a4-agent $D/agent-a4 $F"
ask a4 u4-member-1 "exec $WH pause u4-member-1 $F"
ask a4 u4-member-2 "exec $WH pause u4-member-2 $F"
ask a4 u4-timens "exec unshare --time --fork $WH pause u4-timens $F"

# ------------------------------------------------- filler: PIDs past 100
i=0
while :; do
    read -r last </proc/sys/kernel/ns_last_pid
    [ "$last" -lt 88 ] || break
    i=$((i + 1))
    [ $i -lt 10 ] && n=0$i || n=$i
    spawn "filler-$n" "$WH" pause "filler-$n" "$F"
done

# a process of U0 that joined U1's net and uts namespaces (nsenter execs:
# no fork without --pid)
pid_of a1-agent
spawn root-in-u1-net nsenter --target "$REPLY" --net --uts -- "$WH" pause root-in-u1-net "$F"

# ---------------------------------------------------------------- U5, U6
spawn a5-agent setpriv --reuid=1000 --regid=1000 --clear-groups -- \
    unshare --user --map-root-user --net --uts --pid --fork -- \
    bash -c "$AGENT" agent a5-agent "$D/agent-a5" "$F"
ask a5 u5-member-1 "exec $WH pause u5-member-1 $F"
ask a5 u6-member "exec unshare --user --map-user=1000 --map-group=1000 --ipc $WH pause u6-member $F"

# ------------------------------------------- namespaces pinned by an fd
spawn fd-target "$WH" userns "0 200000 100" "0 200000 100" allow \
    unshare --uts --ipc --pid --mount --fork -- "$WH" pause fd-target "$F"
fdparent=$!
pid_of fd-target
tgt=$REPLY
spawn fd-holder "$WH" holdfd fd-holder "$F" "/proc/$tgt/ns/uts" "/proc/$tgt/ns/pid" \
    "/proc/$tgt/ns/mnt"
kill -KILL "$tgt"
gone "$tgt"
wait "$fdparent"
gone "$fdparent"

# ---------------------------------- namespaces pinned by nsfs bind mounts
# (user ns Ub "0 300000 10" itself pinned by a bind mount too; the ipc ns is
# mounted on a path with a blank, which mountinfo shows as "\040": the
# reference's open() of that text fails, so it never shows that one)
spawn bind-target "$WH" userns "0 300000 10" "0 300000 10" deny \
    unshare --net --pid --ipc --fork -- "$WH" pause bind-target "$F"
bparent=$!
pid_of bind-target
tgt=$REPLY
mount --bind "/proc/$tgt/ns/net" "$D/pin-net" || die "bind mount net"
mount --bind "/proc/$tgt/ns/pid" "$D/pin-pid" || die "bind mount pid"
mount --bind "/proc/$tgt/ns/user" "$D/pin-user" || die "bind mount user"
mount --bind "/proc/$tgt/ns/ipc" "$D/pin ipc" || die "bind mount ipc"
kill -KILL "$tgt"
gone "$tgt"
wait "$bparent"
gone "$bparent"

# ---------------------------------- pid ns pinned by pid_for_children
# The first process of the new PID namespace (/bin/true) exits at once;
# pid_for_children only becomes openable once such a process has existed.
spawn pfc-holder unshare --pid -- /bin/sh -c "/bin/true; exec $WH pause pfc-holder $F"

# ------------------- a bind mount in a mount ns that has its own /proc
spawn aq-agent unshare --user --map-root-user --mount --pid --fork -- \
    bash -c "$AGENT" agent aq-agent "$D/agent-aq" "$F"
ask aq q-target "exec unshare --uts $WH pause q-target $F"
pid_of q-target
tgt=$REPLY
ask aq q-bound "mount --bind /proc/$tgt/ns/uts $D/pin-q && mount -t proc proc /proc && printf 'q-bound\n' >$F"
kill -KILL "$tgt"
gone "$tgt"

# ---------------------------------------------------------------- done
read -r WORLD_MAXPID </proc/sys/kernel/ns_last_pid
{
    for t in /proc/[1-9]*/task/[1-9]*; do
        IFS= read -r c <"$t/comm" 2>/dev/null || continue
        case $c in *[!A-Za-z0-9_.-]*) continue;; esac
        pp=
        while read -r k v; do
            [ "$k" = PPid: ] && { pp=$v; break; }
        done <"$t/status" 2>/dev/null
        echo "$c ${t##*/} $pp"
    done
} >"$D/pids.all"
# keep names that occur once
{
    while read -r c p pp; do
        n=0
        while read -r c2 _ _; do [ "$c2" = "$c" ] && n=$((n + 1)); done <"$D/pids.all"
        [ $n = 1 ] && echo "$c $p $pp"
    done <"$D/pids.all"
} >"$D/pids"
echo "$WORLD_MAXPID" >"$D/maxpid"

export WORLD_DIR=$D WORLD_MAXPID WORLD_PIDS=$D/pids
"$@" 7>&- 8<&- 9<&-
exit $?
