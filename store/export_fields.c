/*
 * export_fields.c — every record kind of the interchange format, described
 * once (see export_impl.h), and the spelling of strings that are not UTF-8.
 *
 * A table lists a kind's members in the order the writer puts them; the
 * reader takes them in any order, and refuses a member no table names.
 * nsnap(5) documents the same members; a new one is a line here and a
 * version bump there.
 */
#include "export_impl.h"

#include <stdlib.h>
#include <string.h>

#include "export.h"

/* offsetof and sizeof of member M of struct ST: where a field lives. */
#define AT(st, m) offsetof(struct st, m), sizeof(((struct st *)0)->m)
/* A table of FIELDS; the reader keeps one span per field on its stack. */
#define TABLE(fields)                                                    \
	{ fields, ARRAY_SIZE(fields) +                                   \
		  0 * sizeof(char[ARRAY_SIZE(fields) <= XP_MAX_FIELDS ? 1 : -1]) }

/* ---- names of bits ------------------------------------------------------ */

const char *const xp_type_names[NS_NTYPES] = {
	"cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts",
};

/* Bit i of graph_meta.collected; the reader relies on this order. */
static const char *const collected_names[] = {
	"tasks", "pins", "maps", "comm", "nstgid", "owners", "parents",
	"stat", "all_procs", "identity", "workloads", "nsfacts", "sockets",
};
_Static_assert(GRAPH_HAVE_TASKS == 1u << 0 && GRAPH_HAVE_PINS == 1u << 1 &&
	       GRAPH_HAVE_MAPS == 1u << 2 && GRAPH_HAVE_COMM == 1u << 3 &&
	       GRAPH_HAVE_NSTGID == 1u << 4 && GRAPH_HAVE_OWNERS == 1u << 5 &&
	       GRAPH_HAVE_PARENTS == 1u << 6 && GRAPH_HAVE_STAT == 1u << 7 &&
	       GRAPH_HAVE_ALL_PROCS == 1u << 8 &&
	       GRAPH_HAVE_IDENTITY == 1u << 9 && GRAPH_HAVE_WORKLOADS == 1u << 10 &&
	       GRAPH_HAVE_NSFACTS == 1u << 11 && GRAPH_HAVE_SOCKETS == 1u << 12 &&
	       GRAPH_HAVE_EVERYTHING == (1u << 13) - 1,
	       "collected_names[] follows the GRAPH_HAVE_* bits");

static const char *const ns_flag_names[] = { "id", "creator", "nsid" };
_Static_assert(GRAPH_NS_HAS_ID == 1u << 0 && GRAPH_NS_HAS_CREATOR == 1u << 1 &&
	       GRAPH_NS_HAS_NSID == 1u << 2,
	       "ns_flag_names[] follows the GRAPH_NS_* bits");

static const char *const proc_flag_names[] = {
	"listed", "cred", "login", "cmdline_cut", "zombie",
};
_Static_assert(GRAPH_PROC_LISTED == 1u << 0 && GRAPH_PROC_HAS_CRED == 1u << 1 &&
	       GRAPH_PROC_HAS_LOGIN == 1u << 2 &&
	       GRAPH_PROC_CMDLINE_CUT == 1u << 3 && GRAPH_PROC_ZOMBIE == 1u << 4,
	       "proc_flag_names[] follows the GRAPH_PROC_* bits");

static const char *const setgroups_names[] = { "unknown", "allow", "deny" };
_Static_assert(GRAPH_SETGROUPS_UNKNOWN == 0 && GRAPH_SETGROUPS_ALLOW == 1 &&
	       GRAPH_SETGROUPS_DENY == 2,
	       "setgroups_names[] follows enum graph_setgroups");

static const char *const fd_kind_names[] = { "nsfs", "socket" };
_Static_assert(GRAPH_FD_NSFS == 0 && GRAPH_FD_SOCKET == 1,
	       "fd_kind_names[] follows enum graph_fd_kind");

/* enum graph_workload_kind, as graph_workload_kind_name() spells it. */
static const char *const wl_kind_names[] = {
	"container", "pod", "machine", "service", "session", "cgroup",
};
_Static_assert(GRAPH_WL_CONTAINER == 0 && GRAPH_WL_CGROUP == 5 &&
	       GRAPH_WL_NKINDS == 6,
	       "wl_kind_names[] follows enum graph_workload_kind");

/* IF_OPER_* (RFC 2863 operational states, linux/if.h). */
static const char *const operstate_names[] = {
	"unknown", "notpresent", "down", "lowerlayerdown", "testing",
	"dormant", "up",
};

/* IFF_* of linux/if.h, bit by bit. */
static const char *const iff_names[] = {
	"up", "broadcast", "debug", "loopback", "pointopoint", "notrailers",
	"running", "noarp", "promisc", "allmulti", "master", "slave",
	"multicast", "portsel", "automedia", "dynamic", "lower_up", "dormant",
	"echo",
};

static const struct xp_bits collected_bits = {
	collected_names, ARRAY_SIZE(collected_names), 32,
};
static const struct xp_bits types_bits = { xp_type_names, NS_NTYPES, 32 };
static const struct xp_bits ns_bits = {
	ns_flag_names, ARRAY_SIZE(ns_flag_names), 8,
};
static const struct xp_bits proc_bits = {
	proc_flag_names, ARRAY_SIZE(proc_flag_names), 32,
};
/* Enumerations: names for the values below n (width unused). */
#define ENUM(names) { names, ARRAY_SIZE(names), 8 }
static const struct xp_bits setgroups_enum = ENUM(setgroups_names);
static const struct xp_bits fd_kind_enum = ENUM(fd_kind_names);
static const struct xp_bits wl_kind_enum = ENUM(wl_kind_names);
static const struct xp_bits operstate_enum = ENUM(operstate_names);
static const struct xp_bits iff_bits = { iff_names, ARRAY_SIZE(iff_names), 32 };

/* ---- the tables --------------------------------------------------------- */

static const struct xp_field origin_fields[] = {
	{ "id", XP_U64, 0, AT(export_info, id), NULL, NULL },
	{ "label", XP_STR, 0, AT(export_info, label), NULL, NULL },
};
const struct xp_table xp_origin = TABLE(origin_fields);

/* The capturer's namespaces, one {dev, ino} per type. */
static const struct xp_field key_fields[] = {
	{ "dev", XP_U64, 0, AT(ns_key, dev), NULL, NULL },
	{ "ino", XP_U64, 0, AT(ns_key, ino), NULL, NULL },
};
static const struct xp_table key_table = TABLE(key_fields);
/* Offsets into the array graph_vantage.own. */
#define OWN(name, t) { name, XP_OBJECT, 0, (t) * sizeof(struct ns_key), \
		       sizeof(struct ns_key), NULL, &key_table }
static const struct xp_field own_fields[] = {
	OWN("cgroup", NS_CGROUP),
	OWN("ipc", NS_IPC),
	OWN("mnt", NS_MNT),
	OWN("net", NS_NET),
	OWN("pid", NS_PID),
	OWN("time", NS_TIME),
	OWN("user", NS_USER),
	OWN("uts", NS_UTS),
};
#undef OWN
_Static_assert(NS_NTYPES == 8, "own_fields[] names every namespace type");
static const struct xp_table own_table = TABLE(own_fields);

/* Bit I of GRAPH_VP_*; the widths bound what a document may set. */
static const char *const facility_names[] = {
	"NS_GET_ID", "pidfd_getfd", "SIOCGSKNS", "listns",
};
static const struct xp_bits facility_bits = {
	facility_names, ARRAY_SIZE(facility_names), ARRAY_SIZE(facility_names),
};
static const struct xp_bits initial_bits = { xp_type_names, NS_NTYPES, NS_NTYPES };
static const char *const pidns_names[] = { "other", "own" };
static const struct xp_bits pidns_enum = ENUM(pidns_names);

static const struct xp_field vantage_fields[] = {
	{ "version", XP_STR, 0, AT(graph_vantage, version), NULL, NULL },
	{ "uid", XP_U32, 0, AT(graph_vantage, uid), NULL, NULL },
	{ "euid", XP_U32, 0, AT(graph_vantage, euid), NULL, NULL },
	{ "cap_eff", XP_U64, 0, AT(graph_vantage, cap_eff), NULL, NULL },
	{ "own", XP_OBJECT, 0, AT(graph_vantage, own), NULL, &own_table },
	{ "initial", XP_FLAGS, 0, AT(graph_vantage, initial), &initial_bits, NULL },
	{ "initial_known", XP_FLAGS, 0, AT(graph_vantage, initial_known),
	  &initial_bits, NULL },
	{ "proc_pidns", XP_ENUM, 0, AT(graph_vantage, proc_own_pidns),
	  &pidns_enum, NULL },
	{ "facilities", XP_FLAGS, 0, AT(graph_vantage, facilities),
	  &facility_bits, NULL },
	{ "btime", XP_I64, 0, AT(graph_vantage, btime), NULL, NULL },
	{ "boot_start_ns", XP_I64, 0, AT(graph_vantage, boot_start_ns), NULL, NULL },
	{ "boot_end_ns", XP_I64, 0, AT(graph_vantage, boot_end_ns), NULL, NULL },
};
static const struct xp_table vantage_table = TABLE(vantage_fields);

/* "start" is the text of "start_ns": a reader looks at the text, the hash
 * covers the number, and they must not tell two stories. */
static const struct xp_field meta_fields[] = {
	{ "start", XP_TIME, 0, AT(graph_meta, start_ns), NULL, NULL },
	{ "start_ns", XP_I64, 0, AT(graph_meta, start_ns), NULL, NULL },
	{ "end", XP_TIME, 0, AT(graph_meta, end_ns), NULL, NULL },
	{ "end_ns", XP_I64, 0, AT(graph_meta, end_ns), NULL, NULL },
	{ "hostname", XP_STR, 0, AT(graph_meta, hostname), NULL, NULL },
	{ "kernel", XP_STR, 0, AT(graph_meta, kernel), NULL, NULL },
	{ "boot_id", XP_STR, 0, AT(graph_meta, boot_id), NULL, NULL },
	{ "capturer_pid", XP_I32, 0, AT(graph_meta, capturer_pid), NULL, NULL },
	{ "collected", XP_FLAGS, 0, AT(graph_meta, collected), &collected_bits,
	  NULL },
	{ "types_present", XP_FLAGS, 0, AT(graph_meta, types_present),
	  &types_bits, NULL },
	{ "nsfs_dev", XP_U64, 0, AT(graph_meta, nsfs_dev), NULL, NULL },
	{ "vantage", XP_OBJECT, XP_V2 | XP_KNOWN, AT(graph_meta, vantage), NULL,
	  &vantage_table },
};
const struct xp_table xp_meta = TABLE(meta_fields);

/* Owner and parent may name later namespaces: XP_LATE. */
static const struct xp_field ns_fields[] = {
	{ "index", XP_INDEX, 0, 0, 0, NULL, NULL },
	{ "dev", XP_U64, 0, AT(graph_ns, key.dev), NULL, NULL },
	{ "ino", XP_U64, 0, AT(graph_ns, key.ino), NULL, NULL },
	{ "type", XP_NSTYPE, 0, AT(graph_ns, type), NULL, NULL },
	{ "flags", XP_FLAGS, 0, AT(graph_ns, flags), &ns_bits, NULL },
	{ "owner", XP_REF, XP_LATE, AT(graph_ns, owner), NULL, NULL },
	{ "owner_err", XP_I32, 0, AT(graph_ns, owner_err), NULL, NULL },
	{ "parent", XP_REF, XP_LATE, AT(graph_ns, parent), NULL, NULL },
	{ "parent_err", XP_I32, 0, AT(graph_ns, parent_err), NULL, NULL },
	{ "creator_uid", XP_U32, 0, AT(graph_ns, creator_uid), NULL, NULL },
	{ "kernel_id", XP_U64, 0, AT(graph_ns, kernel_id), NULL, NULL },
	{ "uid_map", XP_STR, 0, AT(graph_ns, uid_map), NULL, NULL },
	{ "gid_map", XP_STR, 0, AT(graph_ns, gid_map), NULL, NULL },
	{ "hostname", XP_STR, XP_V2, AT(graph_ns, hostname), NULL, NULL },
	{ "domainname", XP_STR, XP_V2, AT(graph_ns, domainname), NULL, NULL },
	{ "setgroups", XP_ENUM, XP_V2, AT(graph_ns, setgroups), &setgroups_enum,
	  NULL },
	{ "timens_offsets", XP_STR, XP_V2, AT(graph_ns, timens_offsets), NULL,
	  NULL },
	{ "nsid", XP_I32, XP_V2, AT(graph_ns, nsid), NULL, NULL },
	{ "interfaces", XP_IFACES, XP_V2, 0, 0, NULL, NULL },
};
const struct xp_table xp_ns = TABLE(ns_fields);

/* "ns": the ten slots of a graph_links as indexes; "ns_err": the errnos
 * of the eight links (the *_for_children have none). */
static const struct xp_field links_ns_fields[] = {
	{ "cgroup", XP_REF, 0, AT(graph_links, ns[NS_CGROUP]), NULL, NULL },
	{ "ipc", XP_REF, 0, AT(graph_links, ns[NS_IPC]), NULL, NULL },
	{ "mnt", XP_REF, 0, AT(graph_links, ns[NS_MNT]), NULL, NULL },
	{ "net", XP_REF, 0, AT(graph_links, ns[NS_NET]), NULL, NULL },
	{ "pid", XP_REF, 0, AT(graph_links, ns[NS_PID]), NULL, NULL },
	{ "time", XP_REF, 0, AT(graph_links, ns[NS_TIME]), NULL, NULL },
	{ "user", XP_REF, 0, AT(graph_links, ns[NS_USER]), NULL, NULL },
	{ "uts", XP_REF, 0, AT(graph_links, ns[NS_UTS]), NULL, NULL },
	{ "pid_for_children", XP_REF, 0, AT(graph_links, pid_for_children),
	  NULL, NULL },
	{ "time_for_children", XP_REF, 0, AT(graph_links, time_for_children),
	  NULL, NULL },
};
static const struct xp_table links_ns = TABLE(links_ns_fields);

static const struct xp_field links_err_fields[] = {
	{ "cgroup", XP_I32, 0, AT(graph_links, err[NS_CGROUP]), NULL, NULL },
	{ "ipc", XP_I32, 0, AT(graph_links, err[NS_IPC]), NULL, NULL },
	{ "mnt", XP_I32, 0, AT(graph_links, err[NS_MNT]), NULL, NULL },
	{ "net", XP_I32, 0, AT(graph_links, err[NS_NET]), NULL, NULL },
	{ "pid", XP_I32, 0, AT(graph_links, err[NS_PID]), NULL, NULL },
	{ "time", XP_I32, 0, AT(graph_links, err[NS_TIME]), NULL, NULL },
	{ "user", XP_I32, 0, AT(graph_links, err[NS_USER]), NULL, NULL },
	{ "uts", XP_I32, 0, AT(graph_links, err[NS_UTS]), NULL, NULL },
};
static const struct xp_table links_err = TABLE(links_err_fields);

/* A process's slices of the layout arrays; their struct is the process. */
static const struct xp_field task_slice_fields[] = {
	{ "first", XP_U32, 0, AT(graph_proc, first_task), NULL, NULL },
	{ "count", XP_U32, 0, AT(graph_proc, ntasks), NULL, NULL },
};
static const struct xp_table task_slice = TABLE(task_slice_fields);

static const struct xp_field fd_slice_fields[] = {
	{ "first", XP_U32, 0, AT(graph_proc, first_fd), NULL, NULL },
	{ "count", XP_U32, 0, AT(graph_proc, nfds), NULL, NULL },
};
static const struct xp_table fd_slice = TABLE(fd_slice_fields);

static const struct xp_field proc_fields[] = {
	{ "pid", XP_I32, 0, AT(graph_proc, pid), NULL, NULL },
	{ "flags", XP_FLAGS, 0, AT(graph_proc, flags), &proc_bits, NULL },
	{ "ppid", XP_I32, 0, AT(graph_proc, ppid), NULL, NULL },
	{ "uid", XP_U32, 0, AT(graph_proc, uid), NULL, NULL },
	{ "start_time", XP_U64, 0, AT(graph_proc, start_time), NULL, NULL },
	{ "comm", XP_STR, 0, AT(graph_proc, comm), NULL, NULL },
	{ "nstgid", XP_STR, 0, AT(graph_proc, nstgid), NULL, NULL },
	{ "status_err", XP_I32, 0, AT(graph_proc, status_err), NULL, NULL },
	{ "ns", XP_OBJECT, 0, AT(graph_proc, links), NULL, &links_ns },
	{ "ns_err", XP_OBJECT, 0, AT(graph_proc, links), NULL, &links_err },
	{ "task_err", XP_I32, 0, AT(graph_proc, task_err), NULL, NULL },
	{ "fd_err", XP_I32, 0, AT(graph_proc, fd_err), NULL, NULL },
	{ "cmdline", XP_ARGV, XP_V2, AT(graph_proc, cmdline), NULL, NULL },
	{ "exe", XP_STR, XP_V2, AT(graph_proc, exe), NULL, NULL },
	{ "cgroup", XP_STR, XP_V2, AT(graph_proc, cgroup), NULL, NULL },
	{ "ruid", XP_U32, XP_V2, AT(graph_proc, ruid), NULL, NULL },
	{ "euid", XP_U32, XP_V2, AT(graph_proc, euid), NULL, NULL },
	{ "rgid", XP_U32, XP_V2, AT(graph_proc, rgid), NULL, NULL },
	{ "egid", XP_U32, XP_V2, AT(graph_proc, egid), NULL, NULL },
	{ "cap_eff", XP_U64, XP_V2, AT(graph_proc, cap_eff), NULL, NULL },
	{ "no_new_privs", XP_U8, XP_V2, AT(graph_proc, no_new_privs), NULL, NULL },
	{ "seccomp", XP_U8, XP_V2, AT(graph_proc, seccomp), NULL, NULL },
	{ "loginuid", XP_U32, XP_V2, AT(graph_proc, loginuid), NULL, NULL },
	{ "sessionid", XP_U32, XP_V2, AT(graph_proc, sessionid), NULL, NULL },
	{ "workload", XP_WLREF, XP_V2, AT(graph_proc, workload), NULL, NULL },
	{ "task_slice", XP_OBJECT, XP_SLICED, 0, 0, NULL, &task_slice },
	{ "fd_slice", XP_OBJECT, XP_SLICED, 0, 0, NULL, &fd_slice },
	{ "tasks", XP_TASKS, XP_NESTED, 0, 0, NULL, NULL },
	{ "fds", XP_FDS, XP_NESTED, 0, 0, NULL, NULL },
};
const struct xp_table xp_proc = TABLE(proc_fields);

static const struct xp_field task_fields[] = {
	{ "tid", XP_I32, 0, AT(graph_task, tid), NULL, NULL },
	{ "comm", XP_STR, 0, AT(graph_task, comm), NULL, NULL },
	{ "ns", XP_OBJECT, 0, AT(graph_task, links), NULL, &links_ns },
	{ "ns_err", XP_OBJECT, 0, AT(graph_task, links), NULL, &links_err },
};
const struct xp_table xp_task = TABLE(task_fields);

static const struct xp_field fd_fields[] = {
	{ "fd", XP_I32, 0, AT(graph_fd, fd), NULL, NULL },
	{ "ns", XP_REF, 0, AT(graph_fd, ns), NULL, NULL },
	{ "type", XP_ENUM, XP_V2, AT(graph_fd, kind), &fd_kind_enum, NULL },
};
const struct xp_table xp_fd = TABLE(fd_fields);

static const struct xp_field mount_fields[] = {
	{ "mntns", XP_REF, 0, AT(graph_mount, mntns), NULL, NULL },
	{ "ns", XP_REF, 0, AT(graph_mount, ns), NULL, NULL },
	{ "open_err", XP_I32, 0, AT(graph_mount, open_err), NULL, NULL },
	{ "list_err", XP_I32, 0, AT(graph_mount, list_err), NULL, NULL },
	{ "path", XP_STR, 0, AT(graph_mount, path), NULL, NULL },
};
const struct xp_table xp_mount = TABLE(mount_fields);

static const struct xp_field gap_fields[] = {
	{ "pid", XP_I32, 0, AT(graph_gap, pid), NULL, NULL },
	{ "tid", XP_I32, 0, AT(graph_gap, tid), NULL, NULL },
	{ "err", XP_I32, 0, AT(graph_gap, err), NULL, NULL },
	{ "what", XP_STR, 0, AT(graph_gap, what), NULL, NULL },
};
const struct xp_table xp_gap = TABLE(gap_fields);

static const struct xp_field workload_fields[] = {
	/* "type": NDJSON lines are told apart by "kind". */
	{ "type", XP_ENUM, 0, AT(graph_workload, kind), &wl_kind_enum, NULL },
	{ "runtime", XP_STR, 0, AT(graph_workload, runtime), NULL, NULL },
	{ "id", XP_STR, 0, AT(graph_workload, id), NULL, NULL },
	{ "name", XP_STR, 0, AT(graph_workload, name), NULL, NULL },
	{ "pod", XP_STR, 0, AT(graph_workload, pod), NULL, NULL },
	{ "cgroup", XP_STR, 0, AT(graph_workload, cgroup), NULL, NULL },
};
const struct xp_table xp_workload = TABLE(workload_fields);

/* An interface's namespace is the one that holds it: not a member. */
static const struct xp_field iface_fields[] = {
	{ "ifindex", XP_I32, 0, AT(graph_iface, ifindex), NULL, NULL },
	{ "name", XP_STR, 0, AT(graph_iface, name), NULL, NULL },
	{ "flags", XP_FLAGS, 0, AT(graph_iface, flags), &iff_bits, NULL },
	{ "operstate", XP_ENUM, 0, AT(graph_iface, operstate), &operstate_enum,
	  NULL },
	{ "mac", XP_STR, 0, AT(graph_iface, mac), NULL, NULL },
	{ "addrs", XP_STR, 0, AT(graph_iface, addrs), NULL, NULL },
};
const struct xp_table xp_iface = TABLE(iface_fields);

uint64_t xp_load(const void *p, size_t size)
{
	switch (size) {
	case 1:
		return *(const uint8_t *)p;
	case 2:
		return *(const uint16_t *)p;
	case 4:
		return *(const uint32_t *)p;
	default:
		return *(const uint64_t *)p;
	}
}

void xp_store(void *p, size_t size, uint64_t v)
{
	switch (size) {
	case 1:
		*(uint8_t *)p = (uint8_t)v;
		break;
	case 2:
		*(uint16_t *)p = (uint16_t)v;
		break;
	case 4:
		*(uint32_t *)p = (uint32_t)v;
		break;
	default:
		*(uint64_t *)p = v;
		break;
	}
}

/* ---- base64 ------------------------------------------------------------- */

static const char b64_digits[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *xp_base64_encode(const unsigned char *p, size_t n)
{
	char *out = malloc((n + 2) / 3 * 4 + 1);
	char *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		*o++ = b64_digits[v >> 18 & 63];
		*o++ = b64_digits[v >> 12 & 63];
		*o++ = i + 1 < n ? b64_digits[v >> 6 & 63] : '=';
		*o++ = i + 2 < n ? b64_digits[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

static int b64_value(unsigned char c)
{
	const char *p = c ? strchr(b64_digits, c) : NULL;

	return p ? (int)(p - b64_digits) : -1;
}

/* One spelling per byte string keeps a document unambiguous. */
long xp_base64_decode(const char *s, size_t n, unsigned char *out)
{
	size_t len = 0;

	if (n % 4)
		return -1;
	for (size_t i = 0; i < n; i += 4) {
		int v[4];
		size_t pad = 0;

		for (int k = 0; k < 4; k++) {
			unsigned char c = (unsigned char)s[i + k];
			if (c == '=' && i + 4 == n && k >= 2) {
				v[k] = 0;
				pad++;
				continue;
			}
			if (pad)        /* "=" then a digit */
				return -1;
			v[k] = b64_value(c);
			if (v[k] < 0)
				return -1;
		}
		uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 |
			     (uint32_t)v[2] << 6 | (uint32_t)v[3];
		if ((pad == 1 && (w & 0xff)) || (pad == 2 && (w & 0xffff)))
			return -1;
		out[len++] = (unsigned char)(w >> 16);
		if (pad < 2)
			out[len++] = (unsigned char)(w >> 8);
		if (pad < 1)
			out[len++] = (unsigned char)w;
	}
	return (long)len;
}
