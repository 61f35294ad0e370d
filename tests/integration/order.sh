#!/bin/bash
# order.sh — time and identity across a store: capture order, lineages,
# duplicate imports, namespace selectors, JSON timelines and histories,
# export files in place of snapshots.
#
# Runs as PID 1 of its own PID namespace (common.sh), so the snapshots
# hold only what it starts.  A real net + uts namespace is born between
# two snapshots; their exports are imported newest first, as a shell glob
# of "after.json before.ndjson" does; a snapshot of another host (a uts
# namespace with another hostname) is imported between two of this host.
# JSON is checked with python3's parser.
#
#   NSNAP_BIN   directory holding nsnap, nsshow and nsdiff (default: build)
#   KEEP=1      keep the temporary directory
#
# Output: "ok - NAME", "not ok - NAME" (details on "#" lines after it),
# "skip - NAME: why", and last "order: N passed, M failed".
set -u

SUITE=order
. "$(dirname "$0")/common.sh"

NSNAP=$NSNAP_BIN/nsnap
NSDIFF=$NSNAP_BIN/nsdiff
NSSHOW=$NSNAP_BIN/nsshow
for b in "$NSNAP" "$NSDIFF" "$NSSHOW"; do
    [ -x "$b" ] || { notok "setup: $b not found (make it first)"; finish; }
done
command -v python3 >/dev/null || { notok "setup: python3 not found"; finish; }

T=$(mktemp -d /tmp/nsnap-order.XXXXXX)
trap 'work_cleanup "$T" "$T/netpin"' EXIT
cd "$T" || exit 1
S1=$T/s1 S2=$T/s2 S3=$T/s3

# jcheck NAME FILE PYTHON: FILE parses as JSON (one document) and the
# python expression (d: the document) holds.
jcheck() {
    if python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if eval(sys.argv[2]) else 1)' "$2" "$3" 2>"$T/jerr"; then
        ok "$1"
    else
        notok "$1" "$T/jerr" "$2"
    fi
}

# ndcheck NAME FILE PYTHON: every line of FILE is one JSON object, and the
# python expression (rows: the list of them) holds.
ndcheck() {
    if python3 -c 'import json,sys
rows = [json.loads(l) for l in open(sys.argv[1])]
sys.exit(0 if eval(sys.argv[2]) else 1)' "$2" "$3" 2>"$T/jerr"; then
        ok "$1"
    else
        notok "$1" "$T/jerr" "$2"
    fi
}

# ---------------------------------------------------------------- world
"$NSNAP" record -q --store "$S1" >/dev/null || { notok "setup: record"; finish; }
sleep 1.1
unshare --net --uts sleep 600 &
NETPID=$!
for _ in $(seq 50); do
    [ "$(readlink /proc/$NETPID/ns/net)" != "$(readlink /proc/1/ns/net)" ] && break
    sleep 0.05
done
NETNS=$(readlink /proc/$NETPID/ns/net)
INO=${NETNS#net:[}
INO=${INO%]}
DEV=$(stat -L -c %d /proc/$NETPID/ns/net)
# A bind mount pins it too: the history's first sighting names it.
touch "$T/netpin" && mount --bind "/proc/$NETPID/ns/net" "$T/netpin"
"$NSNAP" record -q --store "$S1" >/dev/null
"$NSNAP" export --store "$S1" 1 -o before.ndjson --format=ndjson &&
    "$NSNAP" export --store "$S1" 2 -o after.json ||
    { notok "setup: export"; finish; }

# ------------------------------------------------- out-of-order import
"$NSNAP" import --store "$S2" after.json before.ndjson >ids 2>"$T/err"
if [ "$(tr '\n' ' ' <ids)" = "1 2 " ]; then ok "import: ids in arrival order"; else notok "import: ids" ids "$T/err"; fi
"$NSDIFF" --store "$S2" --timeline >tl 2>"$T/err"
first=$(awk '$3 == "snapshot" { print $2; exit }' tl)
if [ "$first" = 2 ]; then ok "timeline: capture order (the older import first)"; else notok "timeline: capture order" tl; fi
if grep -q "^[^ ]* 1 born net:\[$INO\]" tl && ! grep -q "gone net:\[$INO\]" tl; then
    ok "timeline: the net namespace is born, not gone"
else
    notok "timeline: born" tl
fi
"$NSDIFF" --store "$S2" --format=list latest~1 latest >l 2>&1
if grep -q "^born net:\[$INO\]" l; then ok "latest: the newer capture"; else notok "latest: the newer capture" l; fi
"$NSSHOW" --store "$S2" --history="$INO" >h 2>&1
if grep -q "^[^ ]* 1 first-seen net:\[$INO\]" h && ! grep -q " gone " h &&
    [ "$(grep -c '^life ' h)" = 1 ]; then
    ok "history: a bare inode, first seen in the newer capture, never gone"
else
    notok "history: bare inode" h
fi
if grep -q "first-seen net:\[$INO\] .* members=$NETPID pins=\"\?mount:$T/netpin\"\?$" h; then
    ok "history: the first sighting shows its pins"
else
    notok "history: pins" h
fi

# ------------------------------------------------------ double import
"$NSNAP" import --store "$S2" after.json >ids 2>"$T/err"
rc=$?
n=$("$NSNAP" list --store "$S2" | tail -n +2 | wc -l)
if [ $rc = 0 ] && [ "$(cat ids)" = 1 ] && grep -q "snapshot 1" "$T/err" && [ "$n" = 2 ]; then
    ok "import twice: nothing added, the existing id named"
else
    notok "import twice (rc $rc, $n snapshots)" ids "$T/err"
fi
"$NSSHOW" --store "$S2" --history="net:[$INO]" >h 2>&1
if [ "$(grep -c '^life ' h)" = 1 ]; then ok "history: one life"; else notok "history: one life" h; fi

# ---------------------------------------------------------- selectors
for sel in "net:$INO" "net:[$INO]" "$DEV:$INO"; do
    "$NSSHOW" --store "$S2" --history="$sel" >h2 2>&1
    if cmp -s h h2; then ok "history selector $sel"; else notok "history selector $sel" h2; fi
done
KID=$(sed -n "s/^[^ ]* [^ ]* first-seen net:\[$INO\] id=\([0-9]*\).*/\1/p" h)
if [ -n "$KID" ]; then
    "$NSSHOW" --store "$S2" --history="id:$KID" >h2 2>&1
    if cmp -s h h2; then ok "history selector id:$KID"; else notok "history selector id:N" h2; fi
else
    skip "history selector id:N: the kernel gives no namespace IDs (before 6.18)"
fi
"$NSSHOW" --store "$S2" --history="uts:$INO" >h2 2>&1
if [ $? = 1 ] && grep -q "in no snapshot" h2; then ok "history: another type does not match"; else notok "history: uts:INO" h2; fi

# --------------------------------------------------------------- JSON
"$NSDIFF" --store "$S2" --timeline --format=json >tl.json 2>"$T/err"
jcheck "timeline json: nsdiff-timeline/1, born row" tl.json \
    "d['schema'] == 'nsdiff-timeline/1' and any(r['action'] == 'born' and r['ns_ino'] == '$INO' and r['ns_type'] == 'net' and r['snapshot'] == '1' and r['base'] == '2' and r['host'] and r['boot'] for r in d['events'])"
"$NSDIFF" --store "$S2" --timeline --format=ndjson >tl.ndjson 2>"$T/err"
ndcheck "timeline ndjson: one flat row a line, same columns in every row" tl.ndjson \
    "len(rows) > 2 and all(r['schema'] == 'nsnap-event/1' for r in rows) and len(set(tuple(sorted(r)) for r in rows)) == 1 and all(not isinstance(v, (dict, list)) for r in rows for v in r.values()) and [r['snapshot'] for r in rows if r['action'] == 'snapshot'] == ['2', '1']"
"$NSSHOW" --store "$S2" --history="$INO" --format=json >h.json 2>"$T/err"
jcheck "history json: nsshow-history/1, first-seen with members, one life" h.json \
    "d['schema'] == 'nsshow-history/1' and d['events'][0]['action'] == 'first-seen' and str($NETPID) in d['events'][0]['members'].split(',') and len(d['lives']) == 1 and d['lives'][0]['ns_ino'] == '$INO'"
"$NSSHOW" --store "$S2" --history="$INO" --format=dot >/dev/null 2>&1
if [ $? = 1 ]; then ok "history: --format=dot refused"; else notok "history: --format=dot accepted"; fi

# ------------------------------------------------------- export files
"$NSDIFF" --store "$T/none" --format=list before.ndjson after.json >l 2>"$T/err"
rc=$?
if [ $rc = 1 ] && grep -q "^born net:\[$INO\]" l && [ ! -e "$T/none" ]; then
    ok "nsdiff FILE FILE: without a store"
else
    notok "nsdiff FILE FILE (rc $rc)" l "$T/err"
fi
"$NSDIFF" --format=list ./after.json live >l 2>"$T/err"
if [ $? -le 1 ] && ! grep -q "net:\[$INO\]" l; then ok "nsdiff FILE live"; else notok "nsdiff FILE live" l "$T/err"; fi
"$NSSHOW" --snapshot ./after.json --namespaces=net >l 2>"$T/err"
if grep -q "$INO" l; then ok "nsshow --snapshot FILE"; else notok "nsshow --snapshot FILE" l "$T/err"; fi
echo '{"format":"nsnap-snapshot"' >bad.json
"$NSDIFF" bad.json after.json >l 2>&1
if [ $? = 2 ] && grep -q "bad.json" l; then ok "nsdiff: a broken export file is named"; else notok "broken file" l; fi

# --------------------------------------------------- another host between
# A snapshot of "otherhost", taken between two of this host, imported.
unshare --uts sh -c "hostname otherhost && '$NSNAP' record -q --store '$S3'" >/dev/null
"$NSNAP" export --store "$S3" latest -o other.json
sleep 1.1
"$NSNAP" record -q --store "$S1" >/dev/null
"$NSNAP" import --store "$S1" other.json >/dev/null
kill "$NETPID"
wait "$NETPID" 2>/dev/null
"$NSNAP" record -q --store "$S1" >/dev/null
"$NSDIFF" --store "$S1" --timeline >tl 2>"$T/err"
# ids: 1 2 (this host), 3 (this host), 4 (other, captured before 3), 5.
if grep -q "^[^ ]* 4 lineage host=otherhost base=-$" tl &&
    grep -q "^[^ ]* 3 lineage host=[^ ]* base=2$" tl &&
    ! grep -q "other-host\| 4 \(born\|gone\|started\|ended\)" tl &&
    grep -q "^[^ ]* 5 gone net:\[$INO\]" tl; then
    ok "timeline: a host of its own lineage, never compared across hosts"
else
    notok "timeline: lineages" tl "$T/err"
fi

# ------------------------------------- the index's shortcut is exact
# Each step of the timeline holds what nsdiff A B says of the same pair,
# the quiet ones (three unchanged snapshots at the end) too.
for _ in 1 2 3; do "$NSNAP" record -q --store "$S1" >/dev/null; done
"$NSDIFF" --store "$S1" --timeline --format=ndjson >tl.ndjson
python3 - "$T/tl.ndjson" >pairs <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
count = {}
for r in rows:
    if r['action'] == 'snapshot' and r['base']:
        count.setdefault((r['base'], r['snapshot']), 0)
    elif r['action'] not in ('snapshot', 'lineage', 'reboot') and r['base']:
        k = (r['base'], r['snapshot'])
        count[k] = count.get(k, 0) + 1
for (a, b), n in sorted(count.items()):
    print(a, b, n)
EOF
bad=0
while read -r a b n; do
    m=$("$NSDIFF" --store "$S1" --format=json "$a" "$b" |
        python3 -c 'import json,sys; print(len(json.load(sys.stdin)["changes"]))')
    [ "$m" = "$n" ] || { echo "$a -> $b: timeline $n, nsdiff $m"; bad=1; }
done <pairs >pairs.bad
if [ $bad = 0 ] && [ -s pairs ]; then ok "timeline: every step as nsdiff A B ($(wc -l <pairs) steps)"; else notok "timeline steps" pairs.bad pairs; fi
# Unchanged snapshots in a row (nothing but this script runs): quiet
# steps, nothing loaded, nothing to tell, as nsdiff A B says.
"$NSDIFF" --store "$S1" --timeline latest~3 latest >tl 2>&1
rc=$?
"$NSDIFF" --store "$S1" --format=list latest~1 latest >l 2>&1
if [ $rc = 0 ] && [ "$(grep -c ' snapshot host=' tl)" = 4 ] && [ "$(wc -l <tl)" = 4 ] && [ ! -s l ]; then
    ok "timeline: quiet steps"
else
    notok "timeline: quiet steps (rc $rc)" tl l
fi

# --------------------------------------------------------- sanitizers
if grep -Eq "$SAN_RE" "$T"/err "$T"/l "$T"/h* "$T"/tl* 2>/dev/null; then notok "sanitizers"; else ok "no sanitizer reports"; fi
finish
