#!/bin/bash
# bench/clickhouse.sh — loading snapshots into ClickHouse (make
# bench-clickhouse; make bench runs it when clickhouse-server is there).
#
# Inside a private PID namespace (the server ends with it), SETS namespace
# sets of PER_SET processes; SNAPS snapshots of that world into an LMDB
# store; all of them loaded with tools/clickhouse/load into a private
# clickhouse-server on 127.0.0.1.  Prints rows per second loaded and the
# bytes per snapshot in ClickHouse (its parts on disk) beside those in the
# store (nsnap list's "added": what each snapshot added to the store).
#
#   SNAPS=100 SETS=20 PER_SET=5 BUILD=build
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
SNAPS=${SNAPS:-100} SETS=${SETS:-20} PER_SET=${PER_SET:-5}
if [ $$ != 1 ]; then
    command -v clickhouse-server >/dev/null || { echo "SKIP: clickhouse-server not installed"; exit 0; }
    exec unshare --pid --fork --mount-proc --kill-child "$BASH" "$0" "$@"
fi
T=$(mktemp -d /tmp/nsnap-chbench.XXXXXX)
trap 'kill -9 $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
TCP=$((21000 + RANDOM % 10000))
mkdir -p "$T/ch/log"
sed -e "s|@DIR@|$T/ch|g" -e "s/@TCP@/$TCP/" -e "s/@HTTP@/$((TCP + 1))/" \
    "$TOP/tools/clickhouse/server.xml" >"$T/ch/config.xml"
cp "$TOP/tools/clickhouse/users.xml" "$T/ch/"
(cd "$T/ch" && exec clickhouse-server --config-file="$T/ch/config.xml" >/dev/null 2>&1) &
for _ in $(seq 150); do
    clickhouse-client --port "$TCP" -q "SELECT 1" >/dev/null 2>&1 && break
    sleep 0.2
done
clickhouse-client --port "$TCP" -q "CREATE DATABASE bench"

for s in $(seq "$SETS"); do
    unshare --user --map-root-user --pid --net --uts --ipc --mount --fork \
        bash -c "for i in \$(seq $PER_SET); do sleep 100000 & done; wait" &
done
sleep 1
for _ in $(seq "$SNAPS"); do "$BUILD/nsnap" record -q --store "$T/store" >/dev/null; done
lmdb=$("$BUILD/nsnap" list --json --store "$T/store" |
       python3 -c 'import json,sys; l=json.load(sys.stdin); print(sum(s["added"] for s in l) // len(l))')

t0=$EPOCHREALTIME
out=$(NSNAP_BIN=$BUILD "$TOP/tools/clickhouse/load" --store "$T/store" --schema -- \
      --port "$TCP" --database bench)
t1=$EPOCHREALTIME
rows=$(echo "$out" | sed 's/.*, \([0-9]*\) rows/\1/')
clickhouse-client --port "$TCP" -q "OPTIMIZE TABLE bench.memberships FINAL" >/dev/null 2>&1
ch=$(clickhouse-client --port "$TCP" -q "SELECT sum(bytes_on_disk) FROM system.parts
     WHERE database = 'bench' AND active AND table != 'events'")
secs=$(python3 -c "print('%.2f' % ($t1 - $t0))")
echo "clickhouse: $out in ${secs}s: $(python3 -c "print(int($rows / ($t1 - $t0)))") rows/s"
echo "clickhouse: bytes per snapshot: $((ch / SNAPS)) in ClickHouse (parts on disk, events aside), $lmdb in the LMDB store (added per snapshot)"
