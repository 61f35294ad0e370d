#!/bin/bash
# format.sh — nsshow --format=json and --format=dot on a live world.
#
# Runs as PID 1 of its own PID namespace (it re-executes itself inside
# `unshare --pid --fork --mount-proc` otherwise), so the processes nsshow
# sees are the few it starts: a plain sleep, one in a new user + net + uts
# namespace, one in a new PID namespace, and one whose comm is hostile
# (quote, backslash, newline, control and non-UTF-8 bytes).  Checks:
#   json     exit 0, clean stderr; `python3 -m json.tool` parses it and,
#            with --indent 2, prints it back byte for byte; with --no-pids
#            its lines rebuild the text tree (nsshow --no-pids) exactly;
#            the hostile comm decodes to the bytes of /proc/PID/comm;
#            members and inodes agree with /proc
#   dot      exit 0; `dot -Tsvg` accepts it without a word on stderr; one
#            node per JSON line; nested clusters for the child user ns
#   pidns    the same for --pidns (no clusters, a parent edge)
#   fatal    an unknown PID argument: exit 1, JSON with "fatal" and no
#            namespaces, DOT still accepted by dot
#   workloads --workloads names the UTS namespace of a process that set
#            its own host name, --cmdline shows a distinctive command
#            line, the JSON carries both, and a command line holding ESC,
#            CR and LF is escaped even through a pipe (skipped, visibly,
#            while capture collects no such facts)
#   tty      a process that named itself with ESC, CR and LF: on a terminal
#            (script(1) gives nsshow a pty) the tree shows its name
#            escaped and no ESC at all, for a PID argument, for threads
#            (--search-tasks) and replayed from a snapshot (and nsnap
#            info counts that snapshot's workloads); through a pipe
#            the bytes go out as they are, as the reference writes them
# python3 and dot checks are skipped when those are not installed, tty
# checks when script(1) is not, and
# everything is skipped while nsshow has no --format option.
#
#   NSNAP_BIN   directory holding nsshow (default: build)
#   KEEP=1      keep the temporary directory
#
# Output: "ok - NAME", "not ok - NAME" (details on "#" lines after it),
# "skip - NAME: why", and last "format: N passed, M failed".  Exit status 0
# when nothing failed.
set -u

SUITE=format
. "$(dirname "$0")/common.sh"

# check NAME COMMAND...: ok when COMMAND succeeds, else not ok with its output
check() {
    local name=$1
    shift
    if "$@" >"$T/check.out" 2>&1; then ok "$name"; else notok "$name" "$T/check.out"; fi
}

NSSHOW=$NSNAP_BIN/nsshow
if [ ! -x "$NSSHOW" ]; then
    notok "setup: $NSSHOW not found (make it first)"
    finish
fi
if ! "$NSSHOW" --format=tree --no-pids --color=never >/dev/null 2>&1; then
    skip "format: nsshow has no --format option yet"
    finish
fi
HAVE_PY=0 HAVE_DOT=0
command -v python3 >/dev/null 2>&1 && HAVE_PY=1
command -v dot >/dev/null 2>&1 && HAVE_DOT=1

T=$(mktemp -d /tmp/nsshow-format.XXXXXX)
# No wait: the unshare --fork parents outlive SIGTERM, and what they leave
# behind dies with this PID namespace when we, its PID 1, exit.
cleanup() {
    local p
    exec 2>/dev/null # bash would report each kill
    for p in "${KIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
    [ "${KEEP:-0}" = 1 ] || rm -rf "$T"
}
KIDS=()
trap cleanup EXIT

# ---------------------------------------------------------------- world
sleep 1000 &
KIDS+=($!)
unshare --user --map-root-user --net --uts sleep 1000 &
USERNS=$!
KIDS+=($!)
unshare --pid --fork sleep 1000 &
PIDNS=$!
KIDS+=($!)
# Its own host name, and a command line no other process has.
unshare --uts bash -c 'hostname fmt-uts-host && exec -a fmt-distinct-argv0 sleep 1000' &
UTSNS=$!
KIDS+=($!)
# A comm is the base name of the executed path, so a symlink to sleep with
# a hostile name (11 bytes; 15 would stick) makes one.
mkdir "$T/bin"
HOSTILE_NAME=$(printf 'q"b\\c\nd\001\377\303\251')
ln -s "$(command -v sleep)" "$T/bin/$HOSTILE_NAME"
"$T/bin/$HOSTILE_NAME" 1000 &
HOSTILE=$!
KIDS+=($!)
# A process names itself with prctl(PR_SET_NAME): ESC, CR and LF (the
# world's helper, "wh pause NAME FIFO"; it announces itself on the FIFO,
# which we hold open).
ESCAPER=
mkfifo "$T/ready"
exec 3<>"$T/ready"
if ${CC:-cc} -O1 -pthread -o "$T/wh" "$TOP_DIR/tests/integration/helpers/wh.c" \
    >"$T/wh.err" 2>&1; then
    "$T/wh" pause "$(printf 'a\033[2Jb\rc\nd')" "$T/ready" &
    ESCAPER=$!
    KIDS+=($!)
fi
# Wait until the unshare processes have become their sleeps and the comm
# is set.
for _ in $(seq 50); do
    [ "$(readlink "/proc/$USERNS/ns/user")" != "$(readlink /proc/self/ns/user)" ] &&
        [ "$(ps -o comm= --ppid "$PIDNS" 2>/dev/null)" = sleep ] &&
        [ "$(cat "/proc/$UTSNS/comm" 2>/dev/null)" = sleep ] &&
        [ "$(head -c 2 "/proc/$HOSTILE/comm")" = 'q"' ] &&
        { [ -z "$ESCAPER" ] ||
          [ "$(head -c 2 "/proc/$ESCAPER/comm")" = "$(printf 'a\033')" ]; } && break
    sleep 0.1
done

# run NAME ARGS...: nsshow ARGS, stdout in $T/NAME.out, stderr in
# $T/NAME.err, status in $T/NAME.status; not ok when a sanitizer spoke
run() {
    local name=$1
    shift
    "$NSSHOW" "$@" >"$T/$name.out" 2>"$T/$name.err"
    echo $? >"$T/$name.status"
    if grep -Eq "$SAN_RE" "$T/$name.err"; then
        notok "$name: sanitizer report" "$T/$name.err"
    fi
}
status_is() { [ "$(cat "$T/$1.status")" = "$2" ]; }

# json_ok NAME: valid JSON that json.tool --indent 2 prints back unchanged
json_ok() {
    if [ "$HAVE_PY" = 0 ]; then
        skip "$1: valid JSON: python3 not installed"
        return
    fi
    if ! python3 -m json.tool "$T/$1.out" >/dev/null 2>"$T/$1.py"; then
        notok "$1: valid JSON" "$T/$1.py" "$T/$1.out"
    elif ! python3 -m json.tool --indent 2 "$T/$1.out" | cmp -s - "$T/$1.out"; then
        python3 -m json.tool --indent 2 "$T/$1.out" | diff "$T/$1.out" - >"$T/$1.diff"
        notok "$1: canonical JSON (json.tool --indent 2 prints it back)" "$T/$1.diff"
    else
        ok "$1: valid, canonical JSON"
    fi
}

# dot_ok NAME: dot -Tsvg accepts it, silently
dot_ok() {
    if [ "$HAVE_DOT" = 0 ]; then
        skip "$1: dot -Tsvg: graphviz not installed"
        return
    fi
    if dot -Tsvg -o "$T/$1.svg" "$T/$1.out" >"$T/$1.dot-err" 2>&1 &&
        [ ! -s "$T/$1.dot-err" ]; then
        ok "$1: dot -Tsvg accepts it"
    else
        notok "$1: dot -Tsvg accepts it" "$T/$1.dot-err"
    fi
}

# ---------------------------------------------------------------- json
run json --format=json --show-comm
check "json: exit 0, nothing on stderr" \
    bash -c "[ \"\$(cat '$T/json.status')\" = 0 ] && [ ! -s '$T/json.err' ]"
json_ok json

if [ "$HAVE_PY" = 1 ]; then
    # The tree rebuilt from the JSON lines equals nsshow's own tree.
    run json-np --format=json --no-pids
    run tree-np --no-pids --color=never
    python3 - "$T/json-np.out" >"$T/rebuilt" 2>&1 <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
out = sys.stdout
for m in d["messages"]:
    out.write(m + "\n")
for n in d["namespaces"]:
    if n.get("invisible"):
        out.write("[invisible ancestor user NS]\n")
        continue
    line = " " * (4 * n["depth"]) + "%s {%s %s}" % (n["type"], n["dev"], n["ino"])
    if n["type"] == "user":
        line += " <UID: %s" % n["creator_uid"]
        if "uid_map" in n:
            line += ";  u: %s;   g: %s" % (n["uid_map"] or "deleted",
                                           n["gid_map"] or "deleted")
        line += ">"
    out.write(line + "\n")
EOF
    if cmp -s "$T/rebuilt" "$T/tree-np.out"; then
        ok "json: its lines rebuild the text tree"
    else
        diff "$T/tree-np.out" "$T/rebuilt" >"$T/rebuilt.diff"
        notok "json: its lines rebuild the text tree" "$T/rebuilt.diff"
    fi

    # Facts from /proc: the hostile comm's bytes, the user namespace's
    # inode and its member, the parent links.
    check "json: agrees with /proc (comm bytes, inodes, members, parents)" \
        python3 - "$T/json.out" "$HOSTILE" "$USERNS" <<'EOF'
import json, os, sys
d = json.load(open(sys.argv[1]))
hostile, userns = int(sys.argv[2]), int(sys.argv[3])
lines = d["namespaces"]
assert d["format"] == "nsshow-view" and d["version"] == 2, "header"
assert d["snapshot"]["id"] is None and d["snapshot"]["label"] is None, "live"
want = open("/proc/%d/comm" % hostile, "rb").read()[:-1]
assert want == b'q"b\\c\nd\x01\xff\xc3\xa9', "comm not set: %r" % want
comms = [m.get("comm") for n in lines for m in n.get("members", [])
         if m["pid"] == hostile]
assert comms, "hostile process not among the members"
for c in comms:
    got = c.encode("latin-1")
    assert got == want, "comm %r != %r" % (got, want)
for t in ("user", "net", "uts"):
    st = os.stat("/proc/%d/ns/%s" % (userns, t))
    hits = [n for n in lines if n.get("ino") == str(st.st_ino)
            and n.get("dev") == str(st.st_dev)]
    assert len(hits) == 1, "%s ns of %d: %d lines" % (t, userns, len(hits))
    assert any(m["pid"] == userns for m in hits[0]["members"]), t + " member"
for i, n in enumerate(lines):
    p = n["under"]
    if n["depth"] == 0:
        assert p is None, "root %d has a parent" % i
    else:
        assert p is not None and p < i and lines[p]["depth"] < n["depth"], i
u = [n for n in lines if n.get("ino") == str(os.stat("/proc/%d/ns/user" % userns).st_ino)][0]
assert u["uid_map"] == "0 0 1" and u["depth"] == 1, u
EOF
else
    skip "json: tree and /proc agreement: python3 not installed"
fi

# ---------------------------------------------------------------- dot
run dot --format=dot
check "dot: exit 0, nothing on stderr" \
    bash -c "[ \"\$(cat '$T/dot.status')\" = 0 ] && [ ! -s '$T/dot.err' ]"
dot_ok dot
nodes=$(grep -Ec '^ *n[0-9]+ \[label=' "$T/dot.out")
clusters=$(grep -c 'subgraph cluster_' "$T/dot.out")
if [ "$HAVE_PY" = 1 ]; then
    lines=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["namespaces"]))' "$T/json.out")
    check "dot: one node per JSON line ($nodes)" [ "$nodes" = "$lines" ]
fi
check "dot: a nested cluster for the child user namespace ($clusters)" \
    grep -Eq '^    subgraph cluster_[0-9]+ \{' "$T/dot.out"

# ---------------------------------------------------------------- pidns
run pidns-json --format=json --pidns --all-pids
json_ok pidns-json
if [ "$HAVE_PY" = 1 ]; then
    check "pidns: a child PID namespace at depth 1" \
        python3 -c 'import json,sys; l=json.load(open(sys.argv[1]))["namespaces"]; assert all(n["type"]=="pid" for n in l); assert any(n["depth"]==1 and n["under"]==0 for n in l), l' "$T/pidns-json.out"
fi
run pidns-dot --format=dot --pidns
dot_ok pidns-dot
check "pidns: no clusters, a parent edge" \
    bash -c "! grep -q subgraph '$T/pidns-dot.out' && grep -Eq '^  n0 -> n[0-9]+;$' '$T/pidns-dot.out'"

# ---------------------------------------------------------------- fatal
run fatal-json --format=json 999999
check "fatal: exit 1" status_is fatal-json 1
json_ok fatal-json
if [ "$HAVE_PY" = 1 ]; then
    check "fatal: the error in \"fatal\", no namespaces" \
        python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["fatal"].startswith("Could not open /proc/999999/"), d; assert d["namespaces"] == []' "$T/fatal-json.out"
fi
run fatal-dot --format=dot 999999
check "fatal: dot exit 1" status_is fatal-dot 1
dot_ok fatal-dot

# ---------------------------------------------------------------- workloads
# has_facts NAME WHAT: the run NAME collected WHAT, else a visible skip
has_facts() {
    if grep -q "holds no $2" "$T/$1.err"; then
        skip "$1: the capture collects no $2 yet"
        return 1
    fi
}
UTS_INO=$(stat -L -c %i "/proc/$UTSNS/ns/uts")
run wl --workloads --namespaces=uts --no-pids --color=never
check "workloads: exit 0" status_is wl 0
# Host names come with the namespace facts, which the JSON shows when
# capture collects them.
if ! grep -q '"hostname"' "$T/json.out"; then
    skip "wl: the capture collects no host names yet"
elif has_facts wl workloads; then
    check "workloads: the UTS namespace's host name" \
        grep -Eq "^ *uts \{[0-9]+ $UTS_INO\}  \[(.*; )?hostname=fmt-uts-host[];]" "$T/wl.out"
fi
run cmdline --cmdline --color=never
check "cmdline: exit 0" status_is cmdline 0
if has_facts cmdline "command lines"; then
    check "cmdline: the command line in place of the comm" \
        grep -Eq "^ +$UTSNS +fmt-distinct-argv0 1000\$" "$T/cmdline.out"
    if [ -n "$ESCAPER" ]; then
        run cmdline-escaper --cmdline --color=never "$ESCAPER"
        if grep -q "$(printf '\033')" "$T/cmdline-escaper.out" ||
            ! grep -qF 'a\x1b[2Jb\x0dc\x0ad' "$T/cmdline-escaper.out"; then
            notok "cmdline: escaped even through a pipe" "$T/cmdline-escaper.out"
        else
            ok "cmdline: escaped even through a pipe"
        fi
    fi
fi
if [ "$HAVE_PY" = 1 ] && ! grep -q '"hostname"' "$T/json.out"; then
    skip "json: the capture collects no host names yet"
elif [ "$HAVE_PY" = 1 ] && has_facts cmdline "command lines"; then
    check "json: the host name and command line of the UTS process" \
        python3 - "$T/json.out" "$UTSNS" "$UTS_INO" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
pid, ino = int(sys.argv[2]), sys.argv[3]
uts = [n for n in d["namespaces"] if n.get("ino") == ino]
assert len(uts) == 1 and uts[0]["hostname"] == "fmt-uts-host", uts
m = [m for m in uts[0]["members"] if m["pid"] == pid]
assert m and m[0]["cmdline"] == ["fmt-distinct-argv0", "1000"], m
EOF
fi

# ---------------------------------------------------------------- tty
# tty_ok NAME ARGS...: nsshow ARGS on a pty shows ESC_NAME escaped, no ESC
tty_ok() {
    local name=$1
    shift
    script -qec "$NSSHOW --color=never $*" /dev/null >"$T/$name.out" 2>&1
    echo $? >"$T/$name.status"
    if grep -Eq "$SAN_RE" "$T/$name.out"; then
        notok "$name: sanitizer report" "$T/$name.out"
    elif ! status_is "$name" 0; then
        notok "$name: exit 0 (got $(cat "$T/$name.status"))" "$T/$name.out"
    elif ! grep -qF ' a\x1b[2Jb\x0dc\x0ad' "$T/$name.out"; then
        notok "$name: the name escaped on a terminal" "$T/$name.out"
    elif grep -q "$(printf '\033')" "$T/$name.out"; then
        notok "$name: no ESC reaches the terminal" "$T/$name.out"
    else
        ok "$name: the name escaped on a terminal, no ESC"
    fi
}

# raw_ok NAME: NAME.out holds ESCAPER's member line with its raw name
raw_ok() {
    if tr -d '\n' <"$T/$1.out" |
        grep -qF "$(printf '%-5d  a\033[2Jb\rcd' "$ESCAPER")"; then
        ok "$1: raw bytes through a pipe, as the reference"
    else
        notok "$1: raw bytes through a pipe, as the reference" "$T/$1.out"
    fi
}

if [ -z "$ESCAPER" ]; then
    notok "tty: the helper does not build" "$T/wh.err"
elif ! command -v script >/dev/null 2>&1; then
    skip "tty: script(1) not installed"
else
    tty_ok tty-pid --show-comm "$ESCAPER"
    tty_ok tty-tasks --search-tasks --show-comm
    run pipe-pid --show-comm --color=never "$ESCAPER"
    raw_ok pipe-pid
    run pipe-tasks --search-tasks --show-comm --color=never
    raw_ok pipe-tasks
    if [ -x "$NSNAP_BIN/nsnap" ]; then
        "$NSNAP_BIN/nsnap" record --store "$T/store" >"$T/record.out" 2>&1 ||
            notok "tty: nsnap record" "$T/record.out"
        "$NSNAP_BIN/nsnap" info latest --store "$T/store" >"$T/info.out" 2>&1
        check "info: the snapshot's workloads" \
            grep -Eq '^workloads   ([0-9]+|not recorded)$' "$T/info.out"
        tty_ok tty-snapshot --snapshot=latest --store="$T/store" --show-comm
        run pipe-snapshot --snapshot=latest --store="$T/store" --show-comm --color=never
        raw_ok pipe-snapshot
    else
        skip "tty: snapshot replay: $NSNAP_BIN/nsnap not found"
    fi
fi

finish
