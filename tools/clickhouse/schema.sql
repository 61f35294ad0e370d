-- nsnap rows in ClickHouse: the tables of nsnap-row/1 and nsnap-event/1
-- (nsnap-clickhouse(7)).  Kept to SQL that ClickHouse 18.16 (Debian 12)
-- and current releases both accept: no LowCardinality, no CODEC, no TTL,
-- no Nullable sorting key, no ON-clause joins in the documented queries.
--
-- Every table is a ReplacingMergeTree ordered by host and capture time,
-- then by what names a row within its snapshot (the digest, then the
-- record's identity): a row loaded twice is one row once the parts merge
-- (SELECT ... FINAL sees it so before).  The loader (load) also skips a
-- snapshot whose digest is already in "snapshots", so a second load adds
-- nothing at all.  The database is the client's (--database).

CREATE TABLE IF NOT EXISTS snapshots (
    schema String, table String,
    host String, boot String, time_ns Int64, time_s UInt32,
    snapshot String, digest String,
    label Nullable(String), kernel Nullable(String), end_ns Int64,
    capturer_pid Int32, collected UInt32, nsfs_dev UInt64,
    namespaces UInt32, processes UInt32, threads UInt32,
    at DateTime MATERIALIZED toDateTime(time_s)
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(toDateTime(time_s))
ORDER BY (host, time_ns, digest);

CREATE TABLE IF NOT EXISTS namespaces (
    schema String, table String,
    host String, boot String, time_ns Int64, time_s UInt32,
    snapshot String, digest String,
    ns_type String, ns_dev UInt64, ns_ino UInt64, ns_id Nullable(UInt64),
    flags UInt8,
    owner_type Nullable(String), owner_dev Nullable(UInt64),
    owner_ino Nullable(UInt64), owner_id Nullable(UInt64),
    parent_type Nullable(String), parent_dev Nullable(UInt64),
    parent_ino Nullable(UInt64), parent_id Nullable(UInt64),
    creator_uid Nullable(UInt32),
    uid_map Nullable(String), gid_map Nullable(String),
    hostname Nullable(String), domainname Nullable(String),
    setgroups UInt8, timens_offsets Nullable(String), nsid Nullable(Int32),
    members UInt32,
    at DateTime MATERIALIZED toDateTime(time_s)
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(toDateTime(time_s))
ORDER BY (host, time_ns, digest, ns_type, ns_dev, ns_ino);

CREATE TABLE IF NOT EXISTS processes (
    schema String, table String,
    host String, boot String, time_ns Int64, time_s UInt32,
    snapshot String, digest String,
    pid Int32, start UInt64, ppid Int32, uid UInt32, flags UInt32,
    comm Nullable(String), nstgid Nullable(String), cmdline Array(String),
    exe Nullable(String), cgroup Nullable(String),
    ruid Nullable(UInt32), euid Nullable(UInt32),
    rgid Nullable(UInt32), egid Nullable(UInt32),
    cap_eff Nullable(UInt64), no_new_privs Nullable(UInt8),
    seccomp Nullable(UInt8), loginuid Nullable(UInt32),
    sessionid Nullable(UInt32),
    workload_runtime Nullable(String), workload_id Nullable(String),
    at DateTime MATERIALIZED toDateTime(time_s)
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(toDateTime(time_s))
ORDER BY (host, time_ns, digest, pid, start);

CREATE TABLE IF NOT EXISTS memberships (
    schema String, table String,
    host String, boot String, time_ns Int64, time_s UInt32,
    snapshot String, digest String,
    pid Int32, tid Int32, start UInt64, comm Nullable(String), slot String,
    ns_type String, ns_dev UInt64, ns_ino UInt64, ns_id Nullable(UInt64),
    at DateTime MATERIALIZED toDateTime(time_s)
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(toDateTime(time_s))
ORDER BY (host, time_ns, digest, pid, tid, slot);

CREATE TABLE IF NOT EXISTS pins (
    schema String, table String,
    host String, boot String, time_ns Int64, time_s UInt32,
    snapshot String, digest String,
    pin String, pid Int32, start UInt64, comm Nullable(String),
    fd Nullable(Int32),
    pin_mntns_type Nullable(String), pin_mntns_dev Nullable(UInt64),
    pin_mntns_ino Nullable(UInt64), pin_mntns_id Nullable(UInt64),
    path Nullable(String),
    ns_type String, ns_dev UInt64, ns_ino UInt64, ns_id Nullable(UInt64),
    at DateTime MATERIALIZED toDateTime(time_s),
    pin_key String MATERIALIZED concat(toString(ifNull(fd, -1)), ' ',
        toString(ifNull(pin_mntns_ino, 0)), ' ', ifNull(path, ''))
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(toDateTime(time_s))
ORDER BY (host, time_ns, digest, pin, pid, ns_ino, pin_key);

CREATE TABLE IF NOT EXISTS workloads (
    schema String, table String,
    host String, boot String, time_ns Int64, time_s UInt32,
    snapshot String, digest String,
    kind String, runtime Nullable(String), id Nullable(String),
    name Nullable(String), pod Nullable(String), cgroup Nullable(String),
    processes UInt32,
    at DateTime MATERIALIZED toDateTime(time_s),
    wl_key String MATERIALIZED concat(ifNull(runtime, ''), ' ', ifNull(id, ''))
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(toDateTime(time_s))
ORDER BY (host, time_ns, digest, kind, wl_key);

CREATE TABLE IF NOT EXISTS interfaces (
    schema String, table String,
    host String, boot String, time_ns Int64, time_s UInt32,
    snapshot String, digest String,
    ns_type String, ns_dev UInt64, ns_ino UInt64, ns_id Nullable(UInt64),
    ifindex Int32, name Nullable(String), flags UInt32, operstate UInt8,
    mac Nullable(String), addrs Nullable(String),
    at DateTime MATERIALIZED toDateTime(time_s)
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(toDateTime(time_s))
ORDER BY (host, time_ns, digest, ns_ino, ifindex);

CREATE TABLE IF NOT EXISTS gaps (
    schema String, table String,
    host String, boot String, time_ns Int64, time_s UInt32,
    snapshot String, digest String,
    pid Int32, tid Int32, err Int32, what Nullable(String),
    at DateTime MATERIALIZED toDateTime(time_s),
    what_key String MATERIALIZED ifNull(what, '')
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(toDateTime(time_s))
ORDER BY (host, time_ns, digest, pid, tid, err, what_key);

-- nsdiff's nsnap-event/1 rows (--timeline --format=ndjson, A B
-- --format=ndjson).  host and boot may be unknown (null) there; the key
-- reads them as "".  "weak" is false or true: UInt8.
CREATE TABLE IF NOT EXISTS events (
    schema String, source String,
    host Nullable(String), boot Nullable(String),
    time String, time_ns Int64,
    snapshot Nullable(String), base Nullable(String), action String,
    ns_type Nullable(String), ns_dev Nullable(UInt64),
    ns_ino Nullable(UInt64), ns_id Nullable(UInt64),
    pid Nullable(Int32), tid Nullable(Int32), start Nullable(UInt64),
    comm Nullable(String), pin Nullable(String), fd Nullable(Int32),
    pin_mntns_ino Nullable(UInt64), path Nullable(String),
    old Nullable(String), new Nullable(String),
    members Nullable(String), pins Nullable(String),
    namespaces Nullable(UInt32), processes Nullable(UInt32), weak UInt8,
    at DateTime MATERIALIZED toDateTime(intDiv(time_ns, 1000000000)),
    host_key String MATERIALIZED ifNull(host, ''),
    event_key UInt64 MATERIALIZED cityHash64(concat(
        ifNull(snapshot, ''), ' ', ifNull(base, ''), ' ',
        ifNull(ns_type, ''), ' ', toString(ifNull(ns_dev, 0)), ' ',
        toString(ifNull(ns_ino, 0)), ' ', toString(ifNull(pid, 0)), ' ',
        toString(ifNull(tid, 0)), ' ', toString(ifNull(fd, -1)), ' ',
        ifNull(pin, ''), ' ', ifNull(path, ''), ' ', ifNull(old, ''), ' ',
        ifNull(new, '')))
) ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(toDateTime(intDiv(time_ns, 1000000000)))
ORDER BY (host_key, time_ns, source, action, event_key);

-- A fleet: the same tables on every shard, and a Distributed table over
-- them per table, sharded by host so that one host's rows live together.
-- Not run by the tests (it needs a cluster); the cluster "fleet" is
-- defined in the servers' configuration:
--
--   <remote_servers><fleet>
--     <shard><replica><host>ch1</host><port>9000</port></replica></shard>
--     <shard><replica><host>ch2</host><port>9000</port></replica></shard>
--   </fleet></remote_servers>
--
-- CREATE TABLE processes_all AS processes
--     ENGINE = Distributed(fleet, currentDatabase(), processes,
--                          cityHash64(host));
-- (and so for each table); load into the *_all tables, query them.
