#!/bin/bash
# clickhouse.sh — a fleet in ClickHouse: three simulated hosts' snapshots
# loaded with tools/clickhouse/load into a private clickhouse-server, the
# documented questions (nsnap-clickhouse(7)) answered in SQL and held
# against what nsdiff and nsnap say of the same snapshots.
#
# Runs as PID 1 of its own PID namespace (common.sh): the server, started
# here on 127.0.0.1 with its own configuration, data directory and ports
# in a temporary directory, ends with the script whatever happens.  Each
# host is a sandbox with its own UTS hostname (unshare) in which nsnap
# records.  clickhouse-server and clickhouse-client come from Debian;
# when they cannot be installed the suite says SKIP.
#
#   NSNAP_BIN   directory holding nsnap, nsshow and nsdiff (default: build)
#   KEEP=1      keep the temporary directory
set -u

SUITE=clickhouse
. "$(dirname "$0")/common.sh"

NSNAP=$NSNAP_BIN/nsnap
NSDIFF=$NSNAP_BIN/nsdiff
LOAD=$TOP_DIR/tools/clickhouse/load
command -v python3 >/dev/null || { notok "setup: python3 not found"; finish; }
if ! command -v clickhouse-server >/dev/null || ! command -v clickhouse-client >/dev/null; then
    "$TOP_DIR/tests/install-debs" clickhouse-server clickhouse-client >/dev/null 2>&1
fi
if ! command -v clickhouse-server >/dev/null || ! command -v clickhouse-client >/dev/null; then
    echo "SKIP: clickhouse-server/clickhouse-client not installed and not installable"
    skip "clickhouse: no ClickHouse"
    finish
fi

T=$(mktemp -d /tmp/nsnap-clickhouse.XXXXXX)
chmod 755 "$T"
CG=$T/cg
# Containers: docker-ID.scope cgroups in the hierarchy nsnap reads a
# process's cgroup from (name=systemd on a v1 or hybrid host, else the
# cgroup2 one), mounted here (this suite has its own mount namespace);
# removed on the way out.
# A host's processes die with its PID namespace, a moment after it exits.
cg_cleanup() {
    local d i
    for d in "$CG"/nsnap-test-*/*.scope "$CG"/nsnap-test-*; do
        for i in 1 2 3 4 5 6 7 8 9 10; do
            [ -d "$d" ] || break
            rmdir "$d" 2>/dev/null || sleep 0.1
        done
    done
}
trap 'for j in $(jobs -p); do kill -9 "$j" 2>/dev/null; done; wait 2>/dev/null
      cg_cleanup; work_cleanup "$T" "$CG"' EXIT
cd "$T" || exit 1
mkdir -p "$CG"
CONTAINERS=1
if grep -q '^[0-9]*:name=systemd:' /proc/self/cgroup; then
    mount -t cgroup -o none,name=systemd none "$CG" 2>/dev/null || CONTAINERS=0
else
    mount -t cgroup2 none "$CG" 2>/dev/null || CONTAINERS=0
fi
cid() { printf '%s' "$T-$1" | sha256sum | cut -c1-64; }
if [ "$CONTAINERS" = 1 ]; then
    for c in a1 a2 b1; do
        mkdir -p "$CG/nsnap-test-$$/docker-$(cid $c).scope" || CONTAINERS=0
    done
fi
[ "$CONTAINERS" = 1 ] || skip "containers: no cgroup2 hierarchy to make docker cgroups in"

# ---- the server --------------------------------------------------------
TCP=$((20000 + $$ % 20000 + RANDOM % 1000)) HTTP=$((TCP + 1))
mkdir -p "$T/ch/log"
sed -e "s|@DIR@|$T/ch|g" -e "s/@TCP@/$TCP/" -e "s/@HTTP@/$HTTP/" \
    "$TOP_DIR/tools/clickhouse/server.xml" >"$T/ch/config.xml"
cp "$TOP_DIR/tools/clickhouse/users.xml" "$T/ch/"
(cd "$T/ch" && exec clickhouse-server --config-file="$T/ch/config.xml" \
    >"$T/ch/log/stdout" 2>&1) &
SERVER=$!
up=0
for _ in $(seq 150); do
    clickhouse-client --port "$TCP" -q "SELECT 1" >/dev/null 2>&1 && { up=1; break; }
    sleep 0.2
done
if [ "$up" != 1 ]; then
    notok "server: clickhouse-server did not start" "$T/ch/log/stdout"
    finish
fi
ok "server: clickhouse-server $(clickhouse-client --port "$TCP" -q 'SELECT version()') on 127.0.0.1:$TCP"
CH="--port $TCP --database fleet"
clickhouse-client --port "$TCP" -q "CREATE DATABASE fleet"
q() { clickhouse-client $CH -q "$1"; }

# ---- three hosts ---------------------------------------------------------
# host NAME SCRIPT: run SCRIPT in a sandbox with hostname NAME and its own
# PID namespace; $NSNAP and $STORE are set there.
host() {
    unshare --uts --pid --fork --mount-proc env NSNAP="$NSNAP" \
        STORE="$T/$1" HOST="$1" CGDIR="$CG/nsnap-test-$$" CONTAINERS=$CONTAINERS \
        bash -c "hostname $1; $2" >"$T/$1.out" 2>&1
}
# In a host's script: container ID starts "sleep N" in the docker cgroup ID.
container='container() { sleep "$2" & [ "$CONTAINERS" = 0 ] || echo $! >"$CGDIR/docker-$1.scope/cgroup.procs"; }'

# fleet-a: a process "sleep 1001" in a network namespace of its own; then a
# second one, net + uts, is born.
host fleet-a "$container"'
    container '"$(cid a1)"' 1011; container '"$(cid a2)"' 1012
    unshare --net sleep 1001 & sleep 0.2
    $NSNAP record -q --store $STORE
    unshare --net --uts sleep 1002 & sleep 0.2
    $NSNAP record -q --store $STORE'
# fleet-b: a user namespace created by nobody, whose map root then makes
# map uid 0 outside to 0 inside.
host fleet-b "$container"'
    container '"$(cid b1)"' 1013
    setpriv --reuid=65534 --regid=65534 --clear-groups unshare --user sleep 1003 &
    u=$!; sleep 0.3
    echo "0 0 1" >/proc/$u/uid_map
    $NSNAP record -q --store $STORE
    unshare --ipc sleep 1004 & sleep 0.2
    $NSNAP record -q --store $STORE'
# fleet-c: a process in a mount namespace; then another one.
host fleet-c '
    unshare --mount sleep 1005 & sleep 0.2
    $NSNAP record -q --store $STORE
    unshare --mount sleep 1006 & sleep 0.2
    $NSNAP record -q --store $STORE'
for h in fleet-a fleet-b fleet-c; do
    n=$("$NSNAP" list --json --store "$T/$h" 2>/dev/null | grep -c '"id"')
    [ "$n" = 2 ] || { notok "hosts: $h recorded $n snapshots" "$T/$h.out"; finish; }
done
ok "hosts: three sandboxes recorded two snapshots each"

# ---- load ------------------------------------------------------------------
rc=0
"$LOAD" --store "$T/fleet-a" --schema -- $CH >"$T/load1" 2>&1 || rc=1
"$LOAD" --store "$T/fleet-b" -- $CH >>"$T/load1" 2>&1 || rc=1
"$NSNAP" export --store "$T/fleet-c" 1 -o "$T/c1.json" &&
    "$NSNAP" export --store "$T/fleet-c" 2 --format=ndjson -o "$T/c2.ndjson" || rc=1
"$LOAD" "$T/c1.json" "$T/c2.ndjson" -- $CH >>"$T/load1" 2>&1 || rc=1
[ $rc = 0 ] && [ "$(grep -c 'loaded 2 snapshots' "$T/load1")" = 3 ] &&
    ok "load: two stores and two export files" || notok "load" "$T/load1"

[ "$(q 'SELECT count() FROM snapshots')" = 6 ] &&
[ "$(q 'SELECT count(DISTINCT host) FROM snapshots')" = 3 ] &&
    ok "load: six snapshots of three hosts" ||
    notok "load: snapshots" "$(q 'SELECT host, snapshot FROM snapshots')"

# ---- every row against the documented schema --------------------------------
for h in fleet-a fleet-b; do
    for id in 1 2; do
        "$NSNAP" export --store "$T/$h" "$id" --format=rows >>"$T/rows.ndjson"
        [ "$id" = 2 ] && "$NSDIFF" --store "$T/$h" 1 2 --format=ndjson >>"$T/events.ndjson"
    done
done
"$NSDIFF" --store "$T/fleet-a" --timeline --format=ndjson >>"$T/events.ndjson"
if python3 - "$TOP_DIR/tools/clickhouse/schema.sql" "$T/rows.ndjson" \
    "$T/events.ndjson" >"$T/schema.out" 2>&1 <<'PY'
import json, re, sys
sql = open(sys.argv[1]).read()
tables = {}
for name, body in re.findall(r'CREATE TABLE IF NOT EXISTS (\w+) \((.*?)\n\) ENGINE', sql, re.S):
    body = re.sub(r'--[^\n]*', '', body)
    cols, depth, cur = [], 0, ''
    for ch in body:
        if ch == ',' and depth == 0:
            cols.append(cur); cur = ''; continue
        depth += ch == '('; depth -= ch == ')'; cur += ch
    cols.append(cur)
    cols = [c.split(None, 1) for c in (c.strip() for c in cols) if c]
    tables[name] = [(n, t) for n, t in cols if 'MATERIALIZED' not in t]
def fits(v, t):
    if t.startswith('Nullable('):
        return v is None or fits(v, t[9:-1])
    if t == 'String': return isinstance(v, str)
    if t in ('UInt64', 'Int64'): return isinstance(v, str) and re.fullmatch(r'-?\d+', v)
    if t == 'Array(String)': return isinstance(v, list) and all(isinstance(x, str) for x in v)
    if t == 'UInt8' and isinstance(v, bool): return True
    return isinstance(v, int) and not isinstance(v, bool)
bad = n = 0
for f, key in ((sys.argv[2], 'table'), (sys.argv[3], None)):
    for line in open(f):
        r = json.loads(line); n += 1
        want = tables[r[key]] if key else tables['events']
        if key and r['schema'] != 'nsnap-row/1' or not key and r['schema'] != 'nsnap-event/1':
            print('schema', line); bad += 1; continue
        if [c for c, _ in want] != list(r):
            print('columns', r.get(key), [c for c, _ in want], list(r)); bad += 1; continue
        for c, t in want:
            if not fits(r[c], t):
                print('type', c, t, repr(r[c])); bad += 1
print(n, 'rows,', bad, 'bad')
sys.exit(1 if bad or n == 0 else 0)
PY
then ok "schema: $(tail -n1 "$T/schema.out")"
else notok "schema: rows that do not fit schema.sql" "$T/schema.out"
fi

# ---- the documented questions ---------------------------------------------------
# question NAME: the SQL of nsnap-clickhouse(7) that follows the comment
# "question: NAME", as written there.
question() {
    sed -n "/^\\.\\\\\" question: $1\$/,/^\\.Ed/p" "$TOP_DIR/man/nsnap-clickhouse.7" |
        sed -e '1,2d' -e '$d' -e 's/\\e/\\/g'
}
for n in born cmdline uidmap containers; do
    [ -n "$(question $n)" ] || notok "questions: '$n' not found in nsnap-clickhouse(7)"
done
# Namespaces born on host H between T1 and T2 against nsdiff's own A B.
for h in fleet-a fleet-b fleet-c; do
    t1=$("$NSNAP" export --store "$T/$h" 1 --format=rows --table=snapshots |
         sed 's/.*"time_ns":"\([0-9]*\)".*/\1/')
    t2=$("$NSNAP" export --store "$T/$h" 2 --format=rows --table=snapshots |
         sed 's/.*"time_ns":"\([0-9]*\)".*/\1/')
    sql=$(question born)
    sql=${sql//\'H\'/\'$h\'}
    sql=${sql//T1/$t1}
    sql=${sql//T2/$t2}
    q "$sql" >"$T/born.sql.$h"
    "$NSDIFF" --store "$T/$h" 1 2 --format=ndjson |
        python3 -c 'import json,sys
rows = [json.loads(l) for l in sys.stdin]
for r in sorted((r["ns_type"], int(r["ns_ino"])) for r in rows if r["action"] == "born"):
    print("%s\t%d" % r)' >"$T/born.nsdiff.$h"
    if cmp -s "$T/born.sql.$h" "$T/born.nsdiff.$h"; then
        ok "born: $h: $(wc -l <"$T/born.sql.$h") namespaces, as nsdiff says"
    else
        notok "born: $h: SQL and nsdiff differ" "$T/born.sql.$h" "$T/born.nsdiff.$h"
    fi
done
[ "$(wc -l <"$T/born.sql.fleet-a")" = 2 ] && ok "born: fleet-a's net and uts" ||
    notok "born: fleet-a" "$T/born.sql.fleet-a"

# Hosts that ran a process matching X in a non-host network namespace.
# The hour around the captures.
from=$(date -u -d '-1 hour' '+%Y-%m-%d %H:%M:%S') to=$(date -u -d '+1 hour' '+%Y-%m-%d %H:%M:%S')
sql=$(question cmdline)
sql=${sql//2026-12-01 14:00:00/$from}
sql=${sql//2026-12-01 15:00:00/$to}
sql=${sql//\'X\'/\'^sleep 100[12]\$\'}
a=$(q "$sql ORDER BY host")
[ "$a" = fleet-a ] && ok "question: cmdline in a non-host netns: fleet-a" ||
    notok "question: cmdline in a non-host netns" "got: $a"

# Hosts with a user namespace mapping host uid 0, created by a non-root uid.
a=$(q "$(question uidmap) ORDER BY host")
[ "$a" = fleet-b ] && ok "question: uid 0 mapped for an unprivileged creator: fleet-b" ||
    notok "question: uid 0 mapped for an unprivileged creator" "got: $a"

# Containers per host and day, as the export documents count them.
q "$(question containers)" | cut -f1,3 >"$T/containers.sql"
for h in fleet-a fleet-b fleet-c; do
    for id in 1 2; do
        "$NSNAP" export --store "$T/$h" "$id" | python3 -c 'import json,sys
d = json.load(sys.stdin)
print(sum(w["type"] == "container" for w in d.get("workloads", [])))'
    done | sort -n | tail -n1 | sed "s/^/$h\t/"
done | grep -v "$(printf '\t')0\$" >"$T/containers.export"
want="fleet-a	2
fleet-b	1"
[ "$CONTAINERS" = 0 ] && want=
if cmp -s "$T/containers.sql" "$T/containers.export" && [ "$(cat "$T/containers.sql")" = "$want" ]; then
    ok "question: containers per host and day: $(tr '\t\n' '= ' <"$T/containers.sql")"
else
    notok "question: containers per host" "$T/containers.sql" "$T/containers.export"
fi

# Per host and snapshot: namespaces counted, as nsnap list says.
q "SELECT host, snapshot, count() FROM namespaces FINAL
   GROUP BY host, snapshot ORDER BY host, snapshot" >"$T/count.sql"
for h in fleet-a fleet-b fleet-c; do
    "$NSNAP" list --json --store "$T/$h" | python3 -c 'import json,sys
for s in json.load(sys.stdin): print("%s\t%d\t%d" % (sys.argv[1], s["id"], s["namespaces"]))' "$h"
done >"$T/count.list"
cmp -s "$T/count.sql" "$T/count.list" && ok "question: namespaces per host and snapshot, as nsnap list says" ||
    notok "question: namespaces per snapshot" "$T/count.sql" "$T/count.list"

# ---- a second load adds nothing ---------------------------------------------------
sums() {
    for t in snapshots namespaces processes memberships pins workloads interfaces gaps events; do
        printf '%s %s\n' "$t" "$(q "SELECT count() FROM $t")"
    done
}
sums >"$T/before"
"$LOAD" --store "$T/fleet-a" -- $CH >"$T/load2" 2>&1
"$LOAD" "$T/c1.json" -- $CH >>"$T/load2" 2>&1
sums >"$T/after"
if cmp -s "$T/before" "$T/after" && [ "$(grep -c 'loaded 0 snapshots, 0 rows' "$T/load2")" = 2 ]; then
    ok "idempotent: loading again adds no row"
else
    notok "idempotent" "$T/load2" "$T/before" "$T/after"
fi

# ---- stop ---------------------------------------------------------------------------
kill "$SERVER" 2>/dev/null
for _ in $(seq 100); do kill -0 "$SERVER" 2>/dev/null || break; sleep 0.1; done
kill -9 "$SERVER" 2>/dev/null
wait "$SERVER" 2>/dev/null
! clickhouse-client --port "$TCP" -q "SELECT 1" >/dev/null 2>&1 &&
    ok "server: stopped" || notok "server: still answers"
finish
