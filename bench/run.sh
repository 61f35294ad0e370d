#!/bin/bash
# bench/run.sh — speed and memory figures for nsshow / nsnap / nsdiff on a
# synthetic world (run by `make bench`, or directly from the repo root).
#
# The world: inside a private `unshare --pid --fork --mount-proc` (our own
# PID 1 and /proc), SETS container-like namespace sets, each a new user
# namespace (root mapped) owning new pid, net, uts, ipc, mnt and cgroup
# namespaces, with PER_SET sleeping processes in it.  Every tool measured
# sees only that world.  When the private PID 1 exits, the kernel kills
# everything in it, so the world cannot outlive the bench; unshare's
# --kill-child does the same if the bench itself is killed.
#
# Each figure is the wall time of RUNS runs after one untimed warm-up run;
# the commands of a phase run interleaved, round by round, so that load
# from elsewhere on the machine hits them alike.  min / median / max are
# printed and the goals compare medians.  A MISS is
# reported, not fatal: the exit status is non-zero only when the harness
# itself fails.
#
# Environment:
#   NSREF=/tmp/nsref/namespaces_of   reference program (skipped if absent)
#   RUNS=7  SETS=100  PER_SET=20  CHURN=10 (sets replaced for the 2nd diff)
#   HIST_SNAPS=200                   snapshots of the store for --history and
#                                    --timeline (HIST_RUNS=3 runs of those)
#   BUILD=build                      where nsshow, nsnap, nsdiff are looked for
#
# Needs root (to create the private PID namespace), bash >= 5 (EPOCHREALTIME
# is the clock), util-linux unshare, GNU time (/usr/bin/time, Debian package
# `time`; installed with apt-get when missing) and cc.

set -uo pipefail
export LC_ALL=C

NSREF=${NSREF:-/tmp/nsref/namespaces_of}
RUNS=${RUNS:-7}
SETS=${SETS:-100}
PER_SET=${PER_SET:-20}
CHURN=${CHURN:-10}
HIST_SNAPS=${HIST_SNAPS:-200}
HIST_RUNS=${HIST_RUNS:-3}
BUILD=${BUILD:-build}
WARMUP_TIMEOUT=${WARMUP_TIMEOUT:-60}   # seconds; a hung tool is skipped
export NSREF RUNS SETS PER_SET CHURN HIST_SNAPS HIST_RUNS BUILD WARMUP_TIMEOUT

die() { echo "bench: $*" >&2; exit 1; }

# ---------------------------------------------------------------- outer ---
if [ "${1-}" != --inner ]; then
	cd "$(dirname "$0")/.." || die "cannot cd to the repository root"
	[ "$(id -u)" = 0 ] || die "must run as root (creates a private PID namespace)"
	[ "${BASH_VERSINFO[0]}" -ge 5 ] || die "needs bash >= 5 (EPOCHREALTIME)"
	command -v unshare >/dev/null || die "unshare (util-linux) not found"
	command -v cc >/dev/null || die "cc not found"
	if [ ! -x /usr/bin/time ]; then
		echo "bench: installing GNU time (Debian package 'time')"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null ||
			{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null; } ||
			die "cannot install the 'time' package"
	fi

	mkdir -p "$BUILD/bench" || die "cannot create $BUILD/bench"
	if [ ! -x "$BUILD/bench/walk" ] || [ bench/walk.c -nt "$BUILD/bench/walk" ]; then
		cc -O2 -std=c11 -Wall -Wextra -D_GNU_SOURCE bench/walk.c \
			-o "$BUILD/bench/walk" || die "cannot compile bench/walk.c"
	fi

	TMP=$(mktemp -d "${TMPDIR:-/tmp}/nsnap-bench.XXXXXX") || die "mktemp failed"
	trap 'rm -rf "$TMP"' EXIT
	# Every sleep in the world runs "sleep $MARK": a number no other
	# process uses, so leftovers would be recognisable after teardown.
	MARK="1800.$$"
	export TMP MARK

	t0=$EPOCHREALTIME
	unshare --kill-child --pid --fork --mount-proc "$BASH" "$0" --inner
	rc=$?
	t1=$EPOCHREALTIME

	# "[.]" so that grep's own command line does not match
	left=$(grep -las "^sleep.1800[.]$$" /proc/[0-9]*/cmdline | wc -l)
	if [ "$left" -ne 0 ]; then
		echo "bench: teardown FAILED: $left world processes still alive" >&2
		exit 1
	fi
	printf 'teardown: private PID 1 gone, 0 world processes left (whole bench %.1f s)\n' \
		"$(( ${t1/./} - ${t0/./} ))e-6"
	exit "$rc"
fi

# ---------------------------------------------------------------- inner ---
# We are PID 1 of a private PID namespace with our own /proc.
cd "$(dirname "$0")/.." || die "cannot cd to the repository root"
NSSHOW=$BUILD/nsshow NSNAP=$BUILD/nsnap NSDIFF=$BUILD/nsdiff WALK=$BUILD/bench/walk
UNCHAINED=$BUILD/bench/nsnap-unchained
STORE=$TMP/store

# ---- the world
declare -a SETPID      # set index -> pid of its unshare (in our namespace)
NEXT_SET=0

start_set() {
	local i=$NEXT_SET
	NEXT_SET=$((NEXT_SET + 1))
	unshare --kill-child --user --map-root-user --pid --fork --net --uts --ipc \
		--mount --cgroup --mount-proc \
		sh -c 'i=1; while [ $i -lt $1 ]; do sleep $2 & i=$((i + 1)); done; exec sleep $2' \
		"set$i" "$PER_SET" "$MARK" </dev/null &
	SETPID[i]=$!
	disown "$!" # no "Killed" job reports when a set is replaced
}

user_namespaces() { # the distinct user namespaces of the world, sorted
	readlink /proc/[0-9]*/ns/user 2>/dev/null | sort -u
}

count_world() { # number of world processes (sleeps) alive
	cat /proc/[0-9]*/comm 2>/dev/null | grep -cx sleep
}

wait_world() { # $1 = expected number of sleeps
	local deadline=$((${EPOCHREALTIME%.*} + 60)) n
	while :; do
		n=$(count_world)
		[ "$n" -eq "$1" ] && return 0
		[ "${EPOCHREALTIME%.*}" -gt "$deadline" ] &&
			die "world: $n processes, expected $1 (gave up after 60 s)"
		sleep 0.05
	done
}

t0=$EPOCHREALTIME
for ((s = 0; s < SETS; s++)); do start_set; done
wait_world $((SETS * PER_SET))
t1=$EPOCHREALTIME
nproc_all=$(ls -d /proc/[0-9]* | wc -l)
printf 'world: %d sets x %d processes (user+pid+net+uts+ipc+mnt+cgroup ns each), %d processes in all, built in %.2f s\n' \
	"$SETS" "$PER_SET" "$nproc_all" "$(( ${t1/./} - ${t0/./} ))e-6"

# ---- measuring
# Commands are measured in groups, interleaved: every round runs each
# command of the group once, so a load change on the machine (other builds,
# tests) hits all of them alike and the ratios the goals use stay fair.
declare -A MIN MED MAX NOTE   # key -> microseconds / text
declare -A LABEL CMD OKRC     # key -> label, command (quoted), accepted exits
declare -a ORDER GROUP        # keys in table order / in the pending group
OK_RC=0                       # exit statuses that count as success

# bench KEY LABEL CMD...: add a command to the pending group.  Exit
# statuses in OK_RC count as success (nsdiff exits 1 on differences).
bench() {
	local key=$1
	ORDER+=("$key")
	LABEL[$key]=$2
	shift 2
	CMD[$key]=$(printf '%q ' "$@")
	OKRC[$key]=$OK_RC
	GROUP+=("$key")
}

skip() { # KEY LABEL REASON
	ORDER+=("$1")
	LABEL[$1]=$2
	NOTE[$1]=$3
}

rc_ok() { [[ " ${OKRC[$1]} " == *" $2 "* ]]; } # KEY RC

fail_note() { # KEY RC WHEN
	if [ "$2" -eq 124 ]; then NOTE[$1]="timed out (> ${WARMUP_TIMEOUT}s)"
	else NOTE[$1]="failed$3, exit $2: $(head -c 120 "$TMP/err" | tr '\n' ' ')"; fi
}

# run_group: one untimed warm-up run of each command (with a timeout; a
# command that fails or hangs is dropped), then RUNS rounds; stdout to
# /dev/null.  Fills MIN/MED/MAX, or NOTE.
run_group() {
	local key rc a b r
	local -a live=() t
	local -A times=()
	for key in "${GROUP[@]}"; do
		eval "timeout \"\$WARMUP_TIMEOUT\" ${CMD[$key]}" >/dev/null 2>"$TMP/err"
		rc=$?
		if rc_ok "$key" "$rc"; then live+=("$key"); else fail_note "$key" "$rc" ""; fi
	done
	for ((r = 1; r <= RUNS; r++)); do
		for key in "${live[@]}"; do
			[ -n "${NOTE[$key]-}" ] && continue
			a=$EPOCHREALTIME
			eval "${CMD[$key]}" >/dev/null 2>"$TMP/err"
			rc=$?
			b=$EPOCHREALTIME
			if rc_ok "$key" "$rc"; then
				times[$key]+=" $(( ${b/./} - ${a/./} ))"
			else
				fail_note "$key" "$rc" " on run $r"
			fi
		done
	done
	for key in "${live[@]}"; do
		[ -n "${NOTE[$key]-}" ] && continue
		mapfile -t t < <(printf '%s\n' ${times[$key]} | sort -n)
		MIN[$key]=${t[0]} MED[$key]=${t[RUNS / 2]} MAX[$key]=${t[RUNS - 1]}
	done
	GROUP=()
}

lines_of() { # CMD...: "N lines" of its output, and its exit status if not 0
	local n rc
	n=$("$@" 2>/dev/null | wc -l; exit "${PIPESTATUS[0]}")
	rc=$?
	echo "$n lines$([ "$rc" -ne 0 ] && echo ", exit $rc")"
}
SANITY=()

# data_size STORE: bytes of the store's data file (LMDB data.mdb when
# there is one; otherwise the whole store)
data_size() {
	if [ -f "$1/data.mdb" ]; then du -b "$1/data.mdb" | cut -f1
	elif [ -e "$1" ]; then du -sb "$1" | cut -f1
	else echo 0; fi
}

# timed_record: one `nsnap record`, wall time -> REC_US, peak RSS -> REC_KB
timed_record() {
	local a b rc
	a=$EPOCHREALTIME
	timeout "$WARMUP_TIMEOUT" /usr/bin/time -f %M -o "$TMP/rss" \
		"$NSNAP" record --store "$STORE" >/dev/null 2>"$TMP/err"
	rc=$?
	b=$EPOCHREALTIME
	REC_US=$(( ${b/./} - ${a/./} ))
	REC_KB=$(tail -n 1 "$TMP/rss" 2>/dev/null)
	return "$rc"
}

# The first two snapshots of the unchanged world: store growth, peak RSS.
SIZE1= SIZE2= RSS_KB= REC1_US=
HAVE_SNAPS=0 RECORD_ERR=
if [ -x "$NSNAP" ]; then
	if timed_record; then
		REC1_US=$REC_US RSS_KB=$REC_KB
		if timed_record; then
			[ "$REC_KB" -gt "$RSS_KB" ] && RSS_KB=$REC_KB
			HAVE_SNAPS=1
		fi
		# Growth is measured in a store of its own, recorded without
		# the timing wrappers: timeout and time are new processes at
		# every run, a change of the world this figure must not see.
		GROWTH_STORE=$TMP/growth
		if "$NSNAP" record -q --store "$GROWTH_STORE" >/dev/null 2>>"$TMP/err"; then
			SIZE1=$(data_size "$GROWTH_STORE")
			"$NSNAP" record -q --store "$GROWTH_STORE" >/dev/null 2>>"$TMP/err" &&
				SIZE2=$(data_size "$GROWTH_STORE")
		fi
	fi
	[ "$HAVE_SNAPS" = 1 ] || RECORD_ERR="failed: $(head -c 120 "$TMP/err" | tr '\n' ' ')"
else
	echo "skipped: $NSNAP not built"
	RECORD_ERR="skipped: $NSNAP not built"
fi
[ -x "$NSSHOW" ] || echo "skipped: $NSSHOW not built"
[ -x "$NSDIFF" ] || echo "skipped: $NSDIFF not built"
[ -x "$NSREF" ] || echo "skipped: reference $NSREF not present"

# The unchanged world: everything in one interleaved group.
bench walk "bench/walk (bare readdir + readlinkat)" "$WALK"
if [ -x "$NSSHOW" ]; then
	bench show "nsshow --color=never" "$NSSHOW" --color=never
	bench show_deep "nsshow --deep-scan --search-tasks" \
		"$NSSHOW" --color=never --deep-scan --search-tasks
	bench show_pidns "nsshow --pidns" "$NSSHOW" --color=never --pidns
else
	skip show "nsshow --color=never" "skipped: $NSSHOW not built"
fi
if [ -x "$NSREF" ]; then
	bench ref "reference default" "$NSREF"
	bench ref_deep "reference --deep-scan --search-tasks" "$NSREF" --deep-scan --search-tasks
	bench ref_pidns "reference --pidns" "$NSREF" --pidns
else
	skip ref "reference default" "skipped: $NSREF not present"
	skip ref_deep "reference --deep-scan --search-tasks" "skipped: $NSREF not present"
fi
if [ "$HAVE_SNAPS" = 1 ]; then
	# each timed record adds a snapshot of the same world, so latest~1
	# and latest stay two snapshots of the unchanged world
	bench record "nsnap record (unchanged world)" "$NSNAP" record --store "$STORE"
	# What custody costs: a signed record (content digest, link,
	# signature) against the same nsnap built without the digest and the
	# links (make build/bench/nsnap-unchained), each in a store of its
	# own that holds a snapshot of this world already.
	KEY=$TMP/bench.key SSTORE=$TMP/signed USTORE=$TMP/unchained
	if [ -x "$UNCHAINED" ] && "$NSNAP" keygen -q "$KEY" >/dev/null 2>>"$TMP/err" &&
		"$NSNAP" record -q --sign "$KEY" --store "$SSTORE" >/dev/null 2>>"$TMP/err" &&
		"$UNCHAINED" record -q --store "$USTORE" >/dev/null 2>>"$TMP/err"; then
		bench record_unchained "nsnap record, unchained build (baseline)" \
			"$UNCHAINED" record --store "$USTORE"
		bench record_signed "nsnap record --sign (chain + signature)" \
			"$NSNAP" record --sign "$KEY" --store "$SSTORE"
	else
		skip record_signed "nsnap record --sign" "skipped: no $UNCHAINED or no key"
	fi
	if [ -x "$NSSHOW" ]; then
		bench show_snap "nsshow --snapshot=latest" \
			"$NSSHOW" --color=never --snapshot=latest --store "$STORE"
	else
		skip show_snap "nsshow --snapshot=latest" "skipped: $NSSHOW not built"
	fi
else
	skip record "nsnap record" "$RECORD_ERR"
	skip show_snap "nsshow --snapshot=latest" "$RECORD_ERR"
fi
DIFF_OK=0
if [ ! -x "$NSDIFF" ]; then
	skip diff "nsdiff latest~1 latest (unchanged)" "skipped: $NSDIFF not built"
	skip diff_churn "nsdiff latest~1 latest ($CHURN sets replaced)" "skipped: $NSDIFF not built"
elif [ "$HAVE_SNAPS" != 1 ]; then
	skip diff "nsdiff latest~1 latest (unchanged)" "skipped: no snapshots ($RECORD_ERR)"
	skip diff_churn "nsdiff latest~1 latest ($CHURN sets replaced)" "skipped: no snapshots ($RECORD_ERR)"
else
	DIFF_OK=1
	OK_RC="0 1" bench diff "nsdiff latest~1 latest (unchanged)" \
		"$NSDIFF" --store "$STORE" latest~1 latest
fi
run_group

SANITY+=("$("$WALK")")
[ -n "${MED[show]-}" ] && SANITY+=("nsshow default: $(lines_of "$NSSHOW" --color=never)")
[ -n "${MED[ref]-}" ] && SANITY+=("reference default: $(lines_of "$NSREF" --no-color)")
[ -n "${MED[show_snap]-}" ] &&
	SANITY+=("nsshow --snapshot=latest: $(lines_of "$NSSHOW" --color=never --snapshot=latest --store "$STORE")")
[ -n "${MED[diff]-}" ] &&
	SANITY+=("nsdiff unchanged: $(lines_of "$NSDIFF" --store "$STORE" latest~1 latest)")

# A store of HIST_SNAPS snapshots of the unchanged world: one namespace's
# history (a set's net namespace) against one snapshot shown, and the
# timeline of them all against one diff.  The timeline reads every
# snapshot, so its group runs HIST_RUNS times.
HSTORE=$TMP/hstore
HIST_OK=0
if [ "$HAVE_SNAPS" = 1 ] && [ -x "$NSSHOW" ]; then
	t0=$EPOCHREALTIME
	for ((i = 0; i < HIST_SNAPS; i++)); do
		"$NSNAP" record -q --store "$HSTORE" >/dev/null 2>"$TMP/err" || break
	done
	t1=$EPOCHREALTIME
	if [ "$i" = "$HIST_SNAPS" ]; then
		HIST_OK=1
		HIST_NS=$(readlink "/proc/${SETPID[0]}/ns/net")
		SANITY+=("$(printf 'history store: %d snapshots recorded in %.1f s, %s bytes' \
			"$HIST_SNAPS" "$(( ${t1/./} - ${t0/./} ))e-6" "$(data_size "$HSTORE")")")
	fi
fi
if [ "$HIST_OK" = 1 ]; then
	bench hist_snap "nsshow --snapshot=latest ($HIST_SNAPS in store)" \
		"$NSSHOW" --color=never --snapshot=latest --store "$HSTORE"
	bench hist "nsshow --history=NS ($HIST_SNAPS snapshots)" \
		"$NSSHOW" --history="$HIST_NS" --store "$HSTORE"
	run_group
	SANITY+=("nsshow --history=$HIST_NS: $(lines_of "$NSSHOW" --history="$HIST_NS" --store "$HSTORE")")
	if [ -x "$NSDIFF" ]; then
		OK_RC="0 1" bench tl_diff "nsdiff latest~1 latest ($HIST_SNAPS in store)" \
			"$NSDIFF" --store "$HSTORE" latest~1 latest
		OK_RC="0 1" bench timeline "nsdiff --timeline ($HIST_SNAPS snapshots)" \
			"$NSDIFF" --timeline --store "$HSTORE"
		RUNS=$HIST_RUNS run_group
	fi
else
	skip hist "nsshow --history=NS ($HIST_SNAPS snapshots)" \
		"skipped: no store of $HIST_SNAPS snapshots (${RECORD_ERR:-$(head -c 120 "$TMP/err" | tr '\n' ' ')})"
fi

# Replace CHURN sets (10%), snapshot, diff.
if [ "$DIFF_OK" = 1 ]; then
	before=$(user_namespaces)
	for ((s = 0; s < CHURN; s++)); do kill -KILL "${SETPID[s]}"; done
	wait_world $(((SETS - CHURN) * PER_SET))
	for ((s = 0; s < CHURN; s++)); do start_set; done
	wait_world $((SETS * PER_SET))
	after=$(user_namespaces)
	# The kernel recycles namespace inode numbers: a new set may get the
	# numbers of a killed one, which only the 64-bit namespace ids tell apart.
	gone=$(comm -23 <(echo "$before") <(echo "$after") | wc -l)
	SANITY+=("churn: $CHURN sets replaced; $((CHURN - gone)) new user namespaces reuse a killed one's inode number")
	if "$NSNAP" record --store "$STORE" >/dev/null 2>"$TMP/err"; then
		OK_RC="0 1" bench diff_churn "nsdiff latest~1 latest ($CHURN sets replaced)" \
			"$NSDIFF" --store "$STORE" latest~1 latest
		run_group
		[ -n "${MED[diff_churn]-}" ] &&
			SANITY+=("nsdiff after churn: $(lines_of "$NSDIFF" --store "$STORE" latest~1 latest)")
	else
		skip diff_churn "nsdiff latest~1 latest ($CHURN sets replaced)" \
			"nsnap record after churn failed: $(head -c 120 "$TMP/err" | tr '\n' ' ')"
	fi
fi

# ---- results
ms() { printf '%.1f' "${1}e-3"; }

echo
printf '%-46s %9s %9s %9s\n' "wall time, ms ($RUNS runs)" min median max
printf '%-46s %9s %9s %9s\n' "----------------------------------------------" --------- --------- ---------
for k in "${ORDER[@]}"; do
	if [ -n "${MED[$k]-}" ]; then
		printf '%-46s %9s %9s %9s\n' "${LABEL[$k]}" "$(ms "${MIN[$k]}")" "$(ms "${MED[$k]}")" "$(ms "${MAX[$k]}")"
	else
		printf '%-46s %s\n' "${LABEL[$k]}" "${NOTE[$k]}"
	fi
done
if [ -n "$REC1_US" ]; then
	echo
	printf '%-46s %9s ms\n' "nsnap record, first (empty store, 1 run)" "$(ms "$REC1_US")"
	printf '%-46s %9s KiB\n' "nsnap record peak RSS (GNU time %M)" "$RSS_KB"
	printf '%-46s %9s bytes\n' "store data after 1st snapshot" "$SIZE1"
	[ -n "$SIZE2" ] && printf '%-46s %9s bytes (%+d)\n' "store data after 2nd snapshot" "$SIZE2" $((SIZE2 - SIZE1))
fi
if [ "${#SANITY[@]}" -gt 0 ]; then
	echo
	printf 'output: %s\n' "${SANITY[@]}"
fi

# goal LABEL KEY_A NUM DEN KEY_B: PASS when median(A) <= NUM/DEN * median(B)
goal() {
	local label=$1 a=$2 num=$3 den=$4 b=$5
	if [ -z "${MED[$a]-}" ] || [ -z "${MED[$b]-}" ]; then
		printf '  %-56s %s\n' "$label" "n/a (${NOTE[$a]-${NOTE[$b]-no figure}})"
		return
	fi
	local r=$(( (MED[$a] * 100 + MED[$b] / 2) / MED[$b] )) v=MISS
	[ $((MED[$a] * den)) -le $((MED[$b] * num)) ] && v=PASS
	printf '  %-56s %s  (%d.%02dx)\n' "$label" "$v" $((r / 100)) $((r % 100))
}

echo
echo "goals (medians):"
goal "nsshow default <= 1.5 x walk" show 3 2 walk
goal "nsshow default <= 0.4 x reference default" show 2 5 ref
goal "nsnap record <= 0.35 x reference --deep-scan --search-tasks" record 7 20 ref_deep
goal "signing + chaining: record --sign <= 1.05 x unchained record" record_signed 21 20 record_unchained
goal "nsshow from store <= 0.1 x reference default" show_snap 1 10 ref
if [ -n "$SIZE2" ] && [ "${SIZE1:-0}" -gt 0 ]; then
	g=$(( (SIZE2 - SIZE1) * 1000 / SIZE1 )) v=MISS
	[ $(( (SIZE2 - SIZE1) * 100 )) -lt $((1 * SIZE1)) ] && v=PASS
	printf '  %-56s %s  (%s%d.%d%%)\n' "second-snapshot growth < 1%" "$v" \
		"$([ "$g" -lt 0 ] && echo -)" $(( ${g#-} / 10 )) $(( ${g#-} % 10 ))
else
	printf '  %-56s %s\n' "second-snapshot growth < 1%" "n/a (${NOTE[record]-no store size})"
fi
goal "nsdiff (unchanged) <= 0.1 x reference default" diff 1 10 ref
goal "nsdiff ($CHURN sets replaced) <= 0.1 x reference default" diff_churn 1 10 ref
goal "history / snapshot: nsshow --history <= 5 x --snapshot" hist 5 1 hist_snap
goal "timeline / diff: nsdiff --timeline <= 5 x nsdiff A B" timeline 5 1 tl_diff

# Returning from PID 1 tears the world down: the kernel kills every
# process left in this PID namespace and in the sets' nested ones.
exit 0
