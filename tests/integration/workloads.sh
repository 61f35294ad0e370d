#!/bin/bash
# shellcheck disable=SC2016 # jq programs hold jq's own $variables
# workloads.sh — the workload facts end to end, on real third-party tools.
#
#   NSNAP_BIN=build/asan tests/integration/workloads.sh
#   make integration INTEGRATION=workloads
#
# Runs as PID 1 of its own PID namespace with a private mount namespace
# (common.sh), installs what it needs from Debian (tests/install-debs:
# iproute2 bubblewrap runc podman busybox-static jq; WORKLOADS_NO_INSTALL=1
# uses what is there), records a snapshot, starts the workloads, records a
# second one, and checks what the tools say of them:
#
#   ip netns     `ip netns add blue` (10.77.0.1/24 on a veth pair of its
#                own, on lo without veth) with a member
#                (`ip netns exec blue sleep`), `ip netns add green` with
#                none (its name only); /run/netns is a tmpfs of this mount
#                namespace, so neither the host's names nor ours cross over
#   bwrap        `bwrap --unshare-uts --unshare-ipc --hostname wl-bwrap-host`
#   unshare      `unshare --uts` that sets hostname wl-unshare-host
#   socket pin   helpers/wlh.c: a net namespace only a socket keeps alive
#   cmdline      argv "wl-db-server pause FILE --role=primary
#                --data-dir=/srv/wl-data --note=ESC[31mredESC[0m" (comm wlh)
#   podman       container wl-db (hostname wl-ctr-host) on a busybox rootfs:
#                podman --cgroup-manager cgroupfs --events-backend file
#                --runtime runc run -d --network none --ulimit nproc=...
#                --ulimit nofile=... --rootfs DIR /bin/sleep; podman's state
#                (/var/lib/containers, /run/containers, /run/libpod) on
#                tmpfs of this mount namespace, at the default paths, so
#                that containers.json is where a real one would be
#
# Checked (facts grepped on the line of their namespace or process, not
# exact formatting): nsdiff (tree, list, json) across the start names each
# container namespace's workload (runtime, name, id), the hostnames, the
# netns name blue, the started process's command line (its ESC escaped);
# `nsdiff --deep-scan` has the socket-only namespace and its pin;
# `nsshow --workloads`, live and from the snapshot (after the container is
# gone), annotates the lines; `nsshow --deep-scan --workloads` shows the
# socket-only namespace and green, plain `nsshow --deep-scan` does not
# (parity); `nsshow --format=json` ties each namespace to its container's
# id and name, `--format=dot` draws a cluster for it; `nsshow --cmdline
# --show-comm` shows the command line escaped; `nsnap info` names podman;
# after `podman rm`, `nsdiff SNAPSHOT live` still names the container.
#
# A tool that cannot be installed or run prints "SKIP: TOOL: why" and its
# checks are left out (WORKLOADS_REQUIRE=1 makes that a failure).  KEEP=1
# keeps the temporary directory.  Output: "ok - NAME", "not ok - NAME"
# (details on "#" lines), "SKIP: ..." lines, last "workloads: N passed,
# M failed".
set -u
SUITE=workloads
DETAIL_LINES=30
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

NSNAP=$NSNAP_BIN/nsnap NSDIFF=$NSNAP_BIN/nsdiff NSSHOW=$NSNAP_BIN/nsshow
for t in "$NSNAP" "$NSDIFF" "$NSSHOW"; do
    [ -x "$t" ] || { notok "setup: $t not found (make it first)"; finish; }
done
exec </dev/null
T=$(mktemp -d /tmp/nsnap-workloads.XXXXXX)
S=$T/store
PM=(podman --cgroup-manager cgroupfs --events-backend file --runtime runc)
HAVE_POD=0 POD_TRIED=0
cleanup() {
    [ "$POD_TRIED" = 1 ] && timeout 30 "${PM[@]}" rm -f -i -t 0 wl-db >/dev/null 2>&1
    ip netns del blue 2>/dev/null
    ip netns del green 2>/dev/null
    work_cleanup "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

SKIPS=0
tool_skip() { # tool_skip TOOL WHY [DETAIL-FILE]
    if [ "${WORKLOADS_REQUIRE:-0}" = 1 ]; then
        notok "$1: $2" "${@:3}"
    else
        echo "SKIP: $1: $2"
        [ $# -gt 2 ] && [ -f "$3" ] && sed 's/^/#   /' "$3" | head -n 5
        SKIPS=$((SKIPS + 1))
    fi
}
done_() { echo "# $SKIPS tools skipped, $SECONDS s"; finish; }

# ---------------------------------------------------------------- helpers
ns_ino() { local l; l=$(readlink "/proc/$1/ns/$2") && l=${l##*[} && echo "${l%]}"; }
is_sleep() { [ "$(cat "/proc/$1/comm" 2>/dev/null)" = sleep ]; }
# wait_for SECONDS PID CMD...: until CMD succeeds (every 10 ms), for at
# most SECONDS, and only while process PID lives
wait_for() {
    local i n=$(($1 * 100)) p=$2
    shift 2
    for ((i = 0; i < n; i++)); do
        "$@" && return 0
        [ -e "/proc/$p" ] || return 1
        sleep 0.01
    done
    return 1
}
# run NAME CMD...: stdout to T/NAME.out, stderr to T/NAME.err, status in
# T/NAME.rc
run() {
    local b=$T/$1
    shift
    "$@" >"$b.out" 2>"$b.err"
    echo $? >"$b.rc"
}
# ran RUN CHECK RC...: the run RUN ended with one of the statuses RC and
# no sanitizer report; else not ok CHECK (and status 1)
ran() {
    local b=$T/$1 name=$2 rc w
    shift 2
    rc=$(cat "$b.rc")
    if grep -Eq "$SAN_RE" "$b.err"; then
        notok "$name" "sanitizer report:" "$b.err"
        return 1
    fi
    for w in "$@"; do [ "$rc" = "$w" ] && return 0; done
    head -n 3 "$b.err" >"$b.err3"
    notok "$name" "exit status $rc, want $* (stderr begins:)" "$b.err3"
    return 1
}
# has_line FILE FACT...: some line of FILE contains every FACT (as is)
has_line() {
    local f=$1 line fact
    shift
    while IFS= read -r line; do
        for fact in "$@"; do [[ $line == *"$fact"* ]] || continue 2; done
        return 0
    done <"$f"
    return 1
}
# line_check CHECK RUN FACT...: ok when a line of RUN's output has every
# FACT; else not ok, showing the lines that have the first one
line_check() {
    local name=$1 run=$2 f=$T/$2.out shown=$T/shown
    shift 2
    if has_line "$f" "$@"; then ok "$name"; return; fi
    grep -F -- "$1" "$f" | head -n 8 >"$shown"
    [ -s "$shown" ] || { echo "(no line has '$1'; the output begins:)"; head -n 8 "$f"; } >"$shown"
    notok "$name" "no line of $run has all of: $(shown_args "$@")" "$shown"
}
# shown_args ARG...: the arguments quoted, control bytes escaped (%q)
shown_args() { printf '%q ' "$@"; }
# ns_text TYPE INO: how a tree line spells a namespace ("TYPE {DEV INO}")
ns_text() { echo "$1 {$(stat -L -c %d /proc/self/ns/"$1") $2}"; }

# no_esc CHECK RUN: RUN's output (colour off) holds no ESC: the one in a
# command line was escaped; else not ok CHECK
no_esc() {
    grep -q $'\e' "$T/$2.out" || return 0
    notok "$1: an ESC of a command line reached the terminal" \
        "$(grep $'\e' "$T/$2.out" | head -n 3 | cat -v)"
    return 1
}

HAVE_JQ=0
# json_check CHECK FILE SELECT TEST [--arg K V]...: the first object that
# jq filter SELECT picks from FILE passes jq test TEST
json_check() {
    local name=$1 f=$2 sel=$3 test=$4 obj
    shift 4
    if [ "$HAVE_JQ" = 0 ]; then return; fi
    obj=$(jq -c "$@" "$sel" "$f" 2>"$T/jq.err" | head -n 1)
    if [ -z "$obj" ]; then
        notok "$name" "nothing in $(basename "$f") matches $sel $(shown_args "$@")" "$T/jq.err"
    elif jq -e "$@" "$test" <<<"$obj" >/dev/null 2>"$T/jq.err"; then
        ok "$name"
    else
        notok "$name" "$(tr -s '\n ' '  ' <<<"$test") $(shown_args "$@")fails on:" \
            "${obj:0:1500}" "$T/jq.err"
    fi
}
json_valid() { # json_valid CHECK RUN
    [ "$HAVE_JQ" = 1 ] || return 0
    if jq empty "$T/$2.out" 2>"$T/jq.err"; then ok "$1"; else notok "$1" "$T/jq.err"; return 1; fi
}
NS_SEL='.namespaces[]? | select(.type == $t and (.ino | tostring) == $i)'

# ---------------------------------------------------------------- setup
WLH=$T/wlh
if ! ${CC:-cc} -O1 -o "$WLH" "$TOP_DIR/tests/integration/helpers/wlh.c" >"$T/cc.log" 2>&1; then
    notok "setup: compiling helpers/wlh.c" "$T/cc.log"
    done_
fi
# runc before podman: podman depends on "crun | runc", and crun fails here
# (hybrid cgroup hierarchy)
DEBS=(iproute2 bubblewrap runc podman busybox-static jq)
if [ "${WORKLOADS_NO_INSTALL:-0}" != 1 ]; then
    t0=$SECONDS
    if ! "$TOP_DIR/tests/install-debs" "${DEBS[@]}" >"$T/apt.log" 2>&1; then
        # one at a time: a package that cannot be had costs only its tool
        for p in "${DEBS[@]}"; do "$TOP_DIR/tests/install-debs" "$p" >>"$T/apt.log" 2>&1; done
    fi
    echo "# packages: $((SECONDS - t0)) s"
fi
command -v jq >/dev/null 2>&1 && HAVE_JQ=1
[ "$HAVE_JQ" = 1 ] || tool_skip jq "not installed: JSON checks left out" "$T/apt.log"

# Private to this mount namespace (unshare made it with private
# propagation): nothing of the host's shows here, nothing of ours there.
private_dir() { mkdir -p "$1" && mount -t tmpfs -o mode=0755 workloads "$1"; }

record() { # record NAME: a snapshot; its id in ID
    run "record-$1" "$NSNAP" record --store "$S" --label "$1"
    ID=$(tr -d '[:space:]' <"$T/record-$1.out")
    ran "record-$1" "record/$1" 0 || return 1
    if [[ $ID =~ ^[0-9]+$ ]]; then ok "record/$1"; return 0; fi
    notok "record/$1" "stdout '$ID'" "$T/record-$1.err"
    return 1
}

declare -A POD_INO
HAVE_NETNS=0 HAVE_BWRAP=0 HAVE_UNSHARE=0 HAVE_SOCK=0 HAVE_CMD=0
if command -v ip >/dev/null 2>&1 && private_dir /run/netns 2>"$T/netns.err"; then
    HAVE_NETNS=1
else
    tool_skip "ip netns" "no ip (iproute2) or no tmpfs on /run/netns" "$T/netns.err"
fi
if command -v podman >/dev/null && command -v runc >/dev/null && [ -x /bin/busybox ]; then
    if private_dir /var/lib/containers 2>"$T/pod.err" &&
        private_dir /run/containers 2>>"$T/pod.err" && private_dir /run/libpod 2>>"$T/pod.err"; then
        HAVE_POD=1
    else
        tool_skip podman "no tmpfs for its state" "$T/pod.err"
    fi
else
    tool_skip podman "podman, runc or /bin/busybox (busybox-static) not installed" "$T/apt.log"
fi

record before || done_
A=$ID

# ---------------------------------------------------------------- world
if [ "$HAVE_NETNS" = 1 ]; then
    # the address on a veth pair inside blue (both ends: the host's
    # network is left alone), else on its lo where there is no veth
    BLUE_DEV=lo
    if { ip netns add blue && ip -n blue link set lo up; } 2>"$T/netns.err" &&
        ip -n blue link add wl0 type veth peer name wl1 2>>"$T/netns.err" &&
        ip -n blue link set wl1 up && ip -n blue link set wl0 up; then
        BLUE_DEV=wl0
    fi
    if { ip -n blue addr add 10.77.0.1/24 dev "$BLUE_DEV" && ip netns add green; } 2>>"$T/netns.err"; then
        ip netns exec blue sleep 1000 2>>"$T/netns.err" &
        P_BLUE=$!
        if wait_for 10 "$P_BLUE" is_sleep "$P_BLUE"; then
            BLUE_INO=$(ns_ino "$P_BLUE" net)
            GREEN_INO=$(stat -L -c %i /run/netns/green)
            ok "world/ip-netns: blue net:[$BLUE_INO] (10.77.0.1 on $BLUE_DEV), green net:[$GREEN_INO]"
        else
            HAVE_NETNS=0
        fi
    else
        HAVE_NETNS=0
    fi
    [ "$HAVE_NETNS" = 1 ] || tool_skip "ip netns" "ip netns add/exec failed" "$T/netns.err"
fi

if command -v bwrap >/dev/null 2>&1; then
    bwrap --unshare-uts --unshare-ipc --hostname wl-bwrap-host --ro-bind / / \
        --dev /dev --proc /proc --tmpfs /tmp --die-with-parent --info-fd 3 -- sleep 1000 \
        3>"$T/bwrap.info" 2>"$T/bwrap.err" &
    P_BWRAP_PARENT=$!
    bwrap_child() {
        P_BWRAP=$(sed -n 's/.*"child-pid": *\([0-9]*\).*/\1/p' "$T/bwrap.info")
        [ -n "$P_BWRAP" ] && is_sleep "$P_BWRAP"
    }
    if wait_for 10 "$P_BWRAP_PARENT" bwrap_child && [ "$(nsenter -t "$P_BWRAP" -u hostname)" = wl-bwrap-host ]; then
        HAVE_BWRAP=1
        BWRAP_UTS=$(ns_ino "$P_BWRAP" uts)
        ok "world/bwrap: pid $P_BWRAP, uts:[$BWRAP_UTS]"
    else
        tool_skip bwrap "bwrap --unshare-uts --hostname did not start a sleep" "$T/bwrap.err"
    fi
else
    tool_skip bwrap "not installed (bubblewrap)" "$T/apt.log"
fi

unshare --uts sh -c 'hostname wl-unshare-host && exec sleep 1000' 2>"$T/unshare.err" &
P_UNS=$!
if wait_for 10 "$P_UNS" is_sleep "$P_UNS" && [ "$(nsenter -t "$P_UNS" -u hostname)" = wl-unshare-host ]; then
    HAVE_UNSHARE=1
    UNS_UTS=$(ns_ino "$P_UNS" uts)
    ok "world/unshare: pid $P_UNS, uts:[$UNS_UTS]"
else
    tool_skip unshare "unshare --uts + hostname did not start a sleep" "$T/unshare.err"
fi

"$WLH" sockns "$T/sockns.ready" 2>"$T/sockns.err" &
P_SOCK=$!
if wait_for 10 "$P_SOCK" test -s "$T/sockns.ready"; then
    read -r SOCK_INO SOCK_FD <"$T/sockns.ready"
    HAVE_SOCK=1
    ok "world/socket-pin: net:[$SOCK_INO] held by fd $SOCK_FD of pid $P_SOCK only"
elif ! kill -0 "$P_SOCK" 2>/dev/null && { wait "$P_SOCK"; [ $? = 2 ]; }; then
    tool_skip "socket pin" "the kernel has no SIOCGSKNS (Linux 5.6+)" "$T/sockns.err"
else
    notok "world/socket-pin: helpers/wlh.c sockns failed" "$T/sockns.err"
fi

NOTE=$'--note=\e[31mred\e[0m'
(exec -a wl-db-server "$WLH" pause "$T/cmd.ready" --role=primary --data-dir=/srv/wl-data "$NOTE") &
P_CMD=$!
if wait_for 10 "$P_CMD" test -s "$T/cmd.ready"; then
    HAVE_CMD=1
    ok "world/cmdline: pid $P_CMD"
else
    notok "world/cmdline: the helper did not start"
fi

podman_run() {
    run podman-run timeout 120 "${PM[@]}" run -d --name wl-db --hostname wl-ctr-host \
        --network none --ulimit nproc=1024:1024 --ulimit nofile=1024:1024 \
        --rootfs "$R" /bin/sleep 1000
}
if [ "$HAVE_POD" = 1 ]; then
    POD_TRIED=1
    R=$T/rootfs
    mkdir -p "$R/bin" && cp /bin/busybox "$R/bin/" && ln -s busybox "$R/bin/sleep"
    podman_run
    if [ "$(cat "$T/podman-run.rc")" != 0 ]; then
        # overlay on tmpfs refused: again from scratch with vfs (names
        # then come from conmon's command line only)
        { for d in /var/lib/containers /run/containers /run/libpod; do
            umount -l "$d" && private_dir "$d"; done; } 2>>"$T/podman-run.err"
        cp "$T/podman-run.err" "$T/podman-overlay.err"
        PM+=(--storage-driver vfs)
        podman_run
    fi
    POD_ID=$(tr -d '[:space:]' <"$T/podman-run.out")
    POD_PID=$(timeout 30 "${PM[@]}" inspect --format '{{.State.Pid}}' wl-db 2>>"$T/podman-run.err")
    if [ "$(cat "$T/podman-run.rc")" = 0 ] && [[ $POD_ID =~ ^[0-9a-f]{64}$ ]] &&
        [[ $POD_PID =~ ^[1-9][0-9]*$ ]] && wait_for 10 "$POD_PID" is_sleep "$POD_PID"; then
        ID12=${POD_ID:0:12}
        POD_TYPES=()   # the container's own namespaces, their inodes
        for t in cgroup ipc mnt net pid time uts; do
            POD_INO[$t]=$(ns_ino "$POD_PID" $t)
            [ "${POD_INO[$t]}" = "$(ns_ino 1 $t)" ] || POD_TYPES+=("$t")
        done
        ok "world/podman: container $ID12, pid $POD_PID, own ${POD_TYPES[*]}, $("${PM[@]}" info --format '{{.Store.GraphDriverName}} {{.Host.CgroupManager}} cgroups {{.Host.CgroupsVersion}}' 2>/dev/null)"
    else
        HAVE_POD=0
        tool_skip podman "podman run failed (status $(cat "$T/podman-run.rc"))" "$T/podman-run.err"
    fi
fi

record after || done_
B=$ID

# ------------------------------------------------- nsshow, live and saved
# nsshow_checks TAG ARGS...: the checks of nsshow's output, with ARGS
# (none: the live system; -S ID: a snapshot)
nsshow_checks() {
    local tag=$1 t
    shift
    run "$tag-wl" "$NSSHOW" --color=never --workloads "$@"
    if ran "$tag-wl" "$tag/workloads" 0; then
        if [ "$HAVE_POD" = 1 ]; then
            for t in "${POD_TYPES[@]}"; do
                line_check "$tag/workloads/podman-$t" "$tag-wl" "$(ns_text "$t" "${POD_INO[$t]}")" \
                    workload= podman wl-db "($ID12)"
            done
            line_check "$tag/workloads/podman-hostname" "$tag-wl" \
                "$(ns_text uts "${POD_INO[uts]}")" hostname=wl-ctr-host
        fi
        [ "$HAVE_BWRAP" = 1 ] && line_check "$tag/workloads/bwrap-hostname" "$tag-wl" \
            "$(ns_text uts "$BWRAP_UTS")" hostname=wl-bwrap-host
        [ "$HAVE_UNSHARE" = 1 ] && line_check "$tag/workloads/unshare-hostname" "$tag-wl" \
            "$(ns_text uts "$UNS_UTS")" hostname=wl-unshare-host
        [ "$HAVE_NETNS" = 1 ] && line_check "$tag/workloads/netns-blue" "$tag-wl" \
            "$(ns_text net "$BLUE_INO")" netns=blue 10.77.0.1
    fi

    run "$tag-deepwl" "$NSSHOW" --color=never --deep-scan --workloads "$@"
    if ran "$tag-deepwl" "$tag/deep-scan-workloads" 0; then
        [ "$HAVE_SOCK" = 1 ] && line_check "$tag/deep-scan-workloads/socket-pin" "$tag-deepwl" \
            "$(ns_text net "$SOCK_INO")" "socket-pinned-by=$P_SOCK/$SOCK_FD"
        [ "$HAVE_NETNS" = 1 ] && line_check "$tag/deep-scan-workloads/netns-green" "$tag-deepwl" \
            "$(ns_text net "$GREEN_INO")" netns=green
    fi

    # the reference's views stay the reference's: no facts of ours there
    run "$tag-deep" "$NSSHOW" --color=never --deep-scan "$@"
    if ran "$tag-deep" "$tag/deep-scan-plain" 0; then
        if [ "$HAVE_SOCK" = 1 ] && grep -qF " $SOCK_INO}" "$T/$tag-deep.out"; then
            notok "$tag/deep-scan-plain: no socket-only namespace" "$(grep -F " $SOCK_INO}" "$T/$tag-deep.out")"
        elif grep -Eq 'workload=|hostname=|netns=|socket-pinned-by=' "$T/$tag-deep.out"; then
            notok "$tag/deep-scan-plain: no annotations" "$(grep -E 'workload=|hostname=' "$T/$tag-deep.out" | head -n 3)"
        else
            ok "$tag/deep-scan-plain: as the reference"
        fi
    fi

    run "$tag-cmd" "$NSSHOW" --color=never --cmdline --show-comm "$@"
    if [ "$HAVE_CMD" = 1 ] && ran "$tag-cmd" "$tag/cmdline" 0; then
        line_check "$tag/cmdline" "$tag-cmd" " $P_CMD " "wl-db-server pause $T/cmd.ready --role=primary --data-dir=/srv/wl-data --note="
        no_esc "$tag/cmdline-escaped" "$tag-cmd" &&
            line_check "$tag/cmdline-escaped" "$tag-cmd" " $P_CMD " "--note=" "red"
    fi

    # DOT: a cluster per workload; Graphviz (a test dependency of make
    # check) must draw it without a word
    run "$tag-dot" "$NSSHOW" --format=dot --workloads "$@"
    if [ "$HAVE_POD" = 1 ] && ran "$tag-dot" "$tag/dot" 0; then
        if ! grep -q 'subgraph cluster' "$T/$tag-dot.out" || ! grep -qF wl-db "$T/$tag-dot.out" ||
            ! grep -qF "$ID12" "$T/$tag-dot.out"; then
            notok "$tag/dot: a cluster named after wl-db ($ID12)" "$(grep -F cluster "$T/$tag-dot.out" | head -n 5)"
        elif command -v dot >/dev/null 2>&1 &&
            { ! dot -Tsvg "$T/$tag-dot.out" >/dev/null 2>"$T/$tag-dot.svg-err" || [ -s "$T/$tag-dot.svg-err" ]; }; then
            notok "$tag/dot: Graphviz accepts it" "$T/$tag-dot.svg-err"
        else
            ok "$tag/dot: a cluster for wl-db"
        fi
    fi

    run "$tag-json" "$NSSHOW" --format=json --deep-scan --workloads --cmdline "$@"
    if ran "$tag-json" "$tag/json" 0 && json_valid "$tag/json-valid" "$tag-json"; then
        local j=$T/$tag-json.out
        if [ "$HAVE_POD" = 1 ]; then
            for t in "${POD_TYPES[@]}"; do
                json_check "$tag/json/podman-$t" "$j" "$NS_SEL" \
                    '.workload.id == $id and .workload.name == "wl-db" and .workload.runtime == "podman"
                     and any(.workloads[]; .id == $id and .name == "wl-db")' \
                    --arg t "$t" --arg i "${POD_INO[$t]}" --arg id "$POD_ID"
            done
            json_check "$tag/json/podman-hostname" "$j" "$NS_SEL" '.hostname == "wl-ctr-host"' \
                --arg t uts --arg i "${POD_INO[uts]}"
            json_check "$tag/json/podman-member" "$j" \
                '.namespaces[]?.members[]? | select(.pid == ($p | tonumber))' \
                '.workload.id == $id and .workload.name == "wl-db" and (.cgroup | contains($id))' \
                --arg p "$POD_PID" --arg id "$POD_ID"
        fi
        [ "$HAVE_BWRAP" = 1 ] && json_check "$tag/json/bwrap-hostname" "$j" "$NS_SEL" \
            '.hostname == "wl-bwrap-host"' --arg t uts --arg i "$BWRAP_UTS"
        [ "$HAVE_UNSHARE" = 1 ] && json_check "$tag/json/unshare-hostname" "$j" "$NS_SEL" \
            '.hostname == "wl-unshare-host"' --arg t uts --arg i "$UNS_UTS"
        [ "$HAVE_NETNS" = 1 ] && json_check "$tag/json/netns-blue" "$j" "$NS_SEL" \
            'any(.netns_names[]; . == "blue") and (.interfaces | tostring | contains("\"10.77.0.1"))' \
            --arg t net --arg i "$BLUE_INO"
        [ "$HAVE_SOCK" = 1 ] && json_check "$tag/json/socket-pin" "$j" "$NS_SEL" \
            'any(.pins[]; .kind == "socket" and .pid == ($p | tonumber) and .fd == ($fd | tonumber))' \
            --arg t net --arg i "$SOCK_INO" --arg p "$P_SOCK" --arg fd "$SOCK_FD"
        [ "$HAVE_CMD" = 1 ] && json_check "$tag/json/cmdline" "$j" \
            '.namespaces[]?.members[]? | select(.pid == ($p | tonumber))' \
            '.cmdline[0] == "wl-db-server" and any(.cmdline[]; . == "--role=primary")
             and any(.cmdline[]; . == $note)' --arg p "$P_CMD" --arg note "$NOTE"
    fi
}
nsshow_checks live

# ------------------------------------------------------ nsdiff across them
run diff-list "$NSDIFF" --store "$S" --format=list "$A" "$B"
if ran diff-list diff/list 1; then
    if [ "$HAVE_POD" = 1 ]; then
        for t in "${POD_TYPES[@]}"; do
            line_check "diff/list/podman-$t" diff-list "born $t:[${POD_INO[$t]}]" podman wl-db "($ID12)"
        done
        line_check diff/list/podman-hostname diff-list "born uts:[${POD_INO[uts]}]" hostname=wl-ctr-host
    fi
    [ "$HAVE_BWRAP" = 1 ] && line_check diff/list/bwrap-hostname diff-list "born uts:[$BWRAP_UTS]" hostname=wl-bwrap-host
    [ "$HAVE_UNSHARE" = 1 ] && line_check diff/list/unshare-hostname diff-list "born uts:[$UNS_UTS]" hostname=wl-unshare-host
    [ "$HAVE_NETNS" = 1 ] && line_check diff/list/netns-blue diff-list "born net:[$BLUE_INO]" netns=blue
    [ "$HAVE_CMD" = 1 ] && line_check diff/list/cmdline diff-list "started pid=$P_CMD " "wl-db-server pause" \
        "--role=primary --data-dir=/srv/wl-data"
    [ "$HAVE_CMD" = 1 ] && no_esc diff/list/escaped diff-list && ok diff/list/escaped
fi

run diff-tree "$NSDIFF" --store "$S" --color=never "$A" "$B"
if ran diff-tree diff/tree 1; then
    if [ "$HAVE_POD" = 1 ]; then
        line_check diff/tree/podman diff-tree "$(ns_text uts "${POD_INO[uts]}")" wl-db "($ID12)" hostname=wl-ctr-host
    fi
    [ "$HAVE_BWRAP" = 1 ] && line_check diff/tree/bwrap-hostname diff-tree "$(ns_text uts "$BWRAP_UTS")" hostname=wl-bwrap-host
    [ "$HAVE_UNSHARE" = 1 ] && line_check diff/tree/unshare-hostname diff-tree "$(ns_text uts "$UNS_UTS")" hostname=wl-unshare-host
    [ "$HAVE_NETNS" = 1 ] && line_check diff/tree/netns-blue diff-tree "$(ns_text net "$BLUE_INO")" netns=blue
    [ "$HAVE_CMD" = 1 ] && line_check diff/tree/cmdline diff-tree " $P_CMD " "wl-db-server pause" started
    [ "$HAVE_CMD" = 1 ] && no_esc diff/tree/escaped diff-tree && ok diff/tree/escaped
fi

run diff-json "$NSDIFF" --store "$S" --format=json "$A" "$B"
if ran diff-json diff/json 1 && json_valid diff/json-valid diff-json; then
    CH_SEL='.changes[]? | select(.kind == $k and (.ns.ino | tostring) == $i)'
    if [ "$HAVE_POD" = 1 ]; then
        json_check diff/json/podman "$T/diff-json.out" "$CH_SEL" 'tostring | contains($id) and contains("wl-db") and contains("wl-ctr-host")' \
            --arg k born --arg i "${POD_INO[uts]}" --arg id "$POD_ID"
    fi
    [ "$HAVE_NETNS" = 1 ] && json_check diff/json/netns-blue "$T/diff-json.out" "$CH_SEL" 'tostring | contains("blue")' \
        --arg k born --arg i "$BLUE_INO"
    [ "$HAVE_CMD" = 1 ] && json_check diff/json/cmdline "$T/diff-json.out" \
        '.changes[]? | select(.kind == "started" and .pid == ($p | tonumber))' \
        'tostring | contains("wl-db-server") and contains("--role=primary")' --arg p "$P_CMD"
fi

if [ "$HAVE_SOCK" = 1 ]; then
    run diff-deep "$NSDIFF" --store "$S" --format=list --deep-scan --no-pids "$A" "$B"
    if ran diff-deep diff/deep-scan 1; then
        line_check diff/deep-scan/socket-ns diff-deep "born net:[$SOCK_INO]"
        line_check diff/deep-scan/socket-pin diff-deep "net:[$SOCK_INO]" socket "$P_SOCK"
    fi
fi

run info "$NSNAP" info --store "$S" "$B"
if ran info nsnap-info 0 && [ "$HAVE_POD" = 1 ]; then
    line_check nsnap-info/podman info podman
fi

# ---------------------------------------- after the workloads have gone
# The snapshot still names what the runtimes have forgotten.
if [ "$HAVE_POD" = 1 ]; then
    run podman-rm timeout 60 "${PM[@]}" rm -f -t 0 wl-db
    ran podman-rm world/podman-rm 0 && ok "world/podman-rm"
fi
{
    for j in $(jobs -p); do kill -9 "$j"; done
    wait
} 2>/dev/null   # and bash's "Killed" notes
ip netns del blue 2>/dev/null
ip netns del green 2>/dev/null

if [ "$HAVE_POD" = 1 ]; then
    run diff-gone "$NSDIFF" --store "$S" --format=list "$B" live
    if ran diff-gone diff/gone 1; then
        for t in "${POD_TYPES[@]}"; do
            line_check "diff/gone/podman-$t" diff-gone "gone $t:[${POD_INO[$t]}]" podman wl-db "($ID12)"
        done
    fi
fi
nsshow_checks saved --store="$S" -S "$B"

done_
