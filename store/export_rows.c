/*
 * export_rows.c — the rows of nsnap-row/1 (export_rows.h), table by table.
 *
 * A table is a list of columns, each read from one record of the graph
 * (the snapshot's meta, a namespace, a process, a thread, ...) by offset,
 * like the interchange format's field tables (export_fields.c), and a
 * walk that visits the table's records.  Every row begins with the same
 * columns (the snapshot's identity), so that any row loads alone; a
 * reference to a namespace becomes four columns, PREFIX_type, _dev, _ino
 * and _id, the names nsdiff's nsnap-event/1 rows use, so that the tables
 * and the events join on them.  nsnap-clickhouse(7) lists the same
 * columns; a column is added here and there.
 */
#include "export_rows.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "export_impl.h"
#include "text.h"

/* Which record a column reads. */
enum xr_src { S_META, S_NS, S_PROC, S_MOUNT, S_WL, S_IFACE, S_GAP, S_ROW };

enum xr_type {
	C_I32,          /* number */
	C_U32,          /* number */
	C_U8,           /* number */
	C_U64,          /* decimal string */
	C_I64,          /* decimal string */
	C_STR,          /* string or null */
	C_CSTR,         /* a const char * that is never NULL; string */
	C_KEY,          /* string, "" for NULL: a column of the tables' keys */
	C_NSREF,        /* uint32_t index: NAME_type, _dev, _ino, _id */
	C_WLREF,        /* uint32_t index: NAME_runtime, NAME_id */
	C_ARGV,         /* the process's command line: array of strings */
	C_WLKIND,       /* uint8_t: "container" ... */
	C_SECS,         /* int64_t ns as whole seconds, a number */
};

struct xr_col {
	const char *name;
	enum xr_type type;
	enum xr_src src;
	size_t off, size;
	uint32_t need;  /* null unless these bits of the record's flags */
};

/* What a walk hands a row: the records it reads, and values computed. */
struct xr_row {
	const struct graph *g;
	const struct graph_ns *ns;
	const struct graph_proc *proc;
	const struct graph_mount *mount;
	const struct graph_workload *wl;
	const struct graph_iface *iface;
	const struct graph_gap *gap;
	/* computed */
	const char *snapshot, *digest, *label, *pin, *slot;
	uint32_t ns_ref, mntns_ref, self_ref;
	int32_t pid, tid, fd_no;
	uint64_t start;
	const char *comm;
	uint32_t nns, nprocs, ntasks, members;
	bool has_fd;
	uint32_t *counts;      /* zeroed, one per namespace or workload */
};

#define AT(st, m) offsetof(struct st, m), sizeof(((struct st *)0)->m)
#define COL(n, t, s, st, m) { n, t, s, AT(st, m), 0 }
#define NEED(n, t, s, st, m, bits) { n, t, s, AT(st, m), bits }
#define TABLE_OF(c) c, ARRAY_SIZE(c)

/* The columns every row begins with. */
static const struct xr_col common_cols[] = {
	COL("host", C_KEY, S_META, graph_meta, hostname),
	COL("boot", C_KEY, S_META, graph_meta, boot_id),
	COL("time_ns", C_I64, S_META, graph_meta, start_ns),
	COL("time_s", C_SECS, S_META, graph_meta, start_ns),
	COL("snapshot", C_CSTR, S_ROW, xr_row, snapshot),
	COL("digest", C_CSTR, S_ROW, xr_row, digest),
};

static const struct xr_col snapshot_cols[] = {
	COL("label", C_STR, S_ROW, xr_row, label),
	COL("kernel", C_STR, S_META, graph_meta, kernel),
	COL("end_ns", C_I64, S_META, graph_meta, end_ns),
	COL("capturer_pid", C_I32, S_META, graph_meta, capturer_pid),
	COL("collected", C_U32, S_META, graph_meta, collected),
	COL("nsfs_dev", C_U64, S_META, graph_meta, nsfs_dev),
	COL("namespaces", C_U32, S_ROW, xr_row, nns),
	COL("processes", C_U32, S_ROW, xr_row, nprocs),
	COL("threads", C_U32, S_ROW, xr_row, ntasks),
};

static const struct xr_col ns_cols[] = {
	COL("ns", C_NSREF, S_ROW, xr_row, self_ref),
	COL("flags", C_U8, S_NS, graph_ns, flags),
	COL("owner", C_NSREF, S_NS, graph_ns, owner),
	COL("parent", C_NSREF, S_NS, graph_ns, parent),
	NEED("creator_uid", C_U32, S_NS, graph_ns, creator_uid,
	     GRAPH_NS_HAS_CREATOR),
	COL("uid_map", C_STR, S_NS, graph_ns, uid_map),
	COL("gid_map", C_STR, S_NS, graph_ns, gid_map),
	COL("hostname", C_STR, S_NS, graph_ns, hostname),
	COL("domainname", C_STR, S_NS, graph_ns, domainname),
	COL("setgroups", C_U8, S_NS, graph_ns, setgroups),
	COL("timens_offsets", C_STR, S_NS, graph_ns, timens_offsets),
	NEED("nsid", C_I32, S_NS, graph_ns, nsid, GRAPH_NS_HAS_NSID),
	COL("members", C_U32, S_ROW, xr_row, members),
};

static const struct xr_col proc_cols[] = {
	COL("pid", C_I32, S_PROC, graph_proc, pid),
	COL("start", C_U64, S_PROC, graph_proc, start_time),
	COL("ppid", C_I32, S_PROC, graph_proc, ppid),
	COL("uid", C_U32, S_PROC, graph_proc, uid),
	COL("flags", C_U32, S_PROC, graph_proc, flags),
	COL("comm", C_STR, S_PROC, graph_proc, comm),
	COL("nstgid", C_STR, S_PROC, graph_proc, nstgid),
	COL("cmdline", C_ARGV, S_PROC, graph_proc, cmdline),
	COL("exe", C_STR, S_PROC, graph_proc, exe),
	COL("cgroup", C_STR, S_PROC, graph_proc, cgroup),
	NEED("ruid", C_U32, S_PROC, graph_proc, ruid, GRAPH_PROC_HAS_CRED),
	NEED("euid", C_U32, S_PROC, graph_proc, euid, GRAPH_PROC_HAS_CRED),
	NEED("rgid", C_U32, S_PROC, graph_proc, rgid, GRAPH_PROC_HAS_CRED),
	NEED("egid", C_U32, S_PROC, graph_proc, egid, GRAPH_PROC_HAS_CRED),
	NEED("cap_eff", C_U64, S_PROC, graph_proc, cap_eff, GRAPH_PROC_HAS_CRED),
	NEED("no_new_privs", C_U8, S_PROC, graph_proc, no_new_privs,
	     GRAPH_PROC_HAS_CRED),
	NEED("seccomp", C_U8, S_PROC, graph_proc, seccomp, GRAPH_PROC_HAS_CRED),
	NEED("loginuid", C_U32, S_PROC, graph_proc, loginuid,
	     GRAPH_PROC_HAS_LOGIN),
	NEED("sessionid", C_U32, S_PROC, graph_proc, sessionid,
	     GRAPH_PROC_HAS_LOGIN),
	COL("workload", C_WLREF, S_PROC, graph_proc, workload),
};

/* tid 0: the process's own links (/proc/PID/ns); else a thread's. */
static const struct xr_col member_cols[] = {
	COL("pid", C_I32, S_ROW, xr_row, pid),
	COL("tid", C_I32, S_ROW, xr_row, tid),
	COL("start", C_U64, S_ROW, xr_row, start),
	COL("comm", C_STR, S_ROW, xr_row, comm),
	COL("slot", C_CSTR, S_ROW, xr_row, slot),
	COL("ns", C_NSREF, S_ROW, xr_row, ns_ref),
};

/* "pin" and "pin_mntns" as nsnap-event/1 names them. */
static const struct xr_col pin_cols[] = {
	COL("pin", C_CSTR, S_ROW, xr_row, pin),
	COL("pid", C_I32, S_ROW, xr_row, pid),
	COL("start", C_U64, S_ROW, xr_row, start),
	COL("comm", C_STR, S_ROW, xr_row, comm),
	NEED("fd", C_I32, S_ROW, xr_row, fd_no, 1),
	COL("pin_mntns", C_NSREF, S_ROW, xr_row, mntns_ref),
	COL("path", C_STR, S_MOUNT, graph_mount, path),
	COL("ns", C_NSREF, S_ROW, xr_row, ns_ref),
};

static const struct xr_col wl_cols[] = {
	COL("kind", C_WLKIND, S_WL, graph_workload, kind),
	COL("runtime", C_STR, S_WL, graph_workload, runtime),
	COL("id", C_STR, S_WL, graph_workload, id),
	COL("name", C_STR, S_WL, graph_workload, name),
	COL("pod", C_STR, S_WL, graph_workload, pod),
	COL("cgroup", C_STR, S_WL, graph_workload, cgroup),
	COL("processes", C_U32, S_ROW, xr_row, members),
};

static const struct xr_col iface_cols[] = {
	COL("ns", C_NSREF, S_IFACE, graph_iface, ns),
	COL("ifindex", C_I32, S_IFACE, graph_iface, ifindex),
	COL("name", C_STR, S_IFACE, graph_iface, name),
	COL("flags", C_U32, S_IFACE, graph_iface, flags),
	COL("operstate", C_U8, S_IFACE, graph_iface, operstate),
	COL("mac", C_STR, S_IFACE, graph_iface, mac),
	COL("addrs", C_STR, S_IFACE, graph_iface, addrs),
};

static const struct xr_col gap_cols[] = {
	COL("pid", C_I32, S_GAP, graph_gap, pid),
	COL("tid", C_I32, S_GAP, graph_gap, tid),
	COL("err", C_I32, S_GAP, graph_gap, err),
	COL("what", C_STR, S_GAP, graph_gap, what),
};

/* ---- writing one row ---------------------------------------------------- */

struct xr_out {
	FILE *out;
	const char *table;
	const struct xr_col *cols;
	size_t ncols;
};

static const void *src_of(const struct xr_row *r, enum xr_src src)
{
	switch (src) {
	case S_META:
		return &r->g->meta;
	case S_NS:
		return r->ns;
	case S_PROC:
		return r->proc;
	case S_MOUNT:
		return r->mount;
	case S_WL:
		return r->wl;
	case S_IFACE:
		return r->iface;
	case S_GAP:
		return r->gap;
	default:
		return r;
	}
}

/* The flags that a column's NEED is held against: the record's own;
 * for the row's computed values, has_fd. */
static uint32_t src_flags(const struct xr_row *r, enum xr_src src)
{
	switch (src) {
	case S_NS:
		return r->ns->flags;
	case S_PROC:
		return r->proc->flags;
	case S_ROW:
		return r->has_fd;
	default:
		return 0;
	}
}

static void put_key(FILE *out, const char *name, const char *suffix)
{
	fprintf(out, ",\"%s%s\":", name, suffix);
}

static void put_nsref(FILE *out, const struct graph *g, const char *name,
		      uint32_t i)
{
	const struct graph_ns *n = i < g->nns ? &g->ns[i] : NULL;

	put_key(out, name, "_type");
	text_json_string(out, n ? xp_type_names[n->type] : NULL);
	put_key(out, name, "_dev");
	if (n)
		fprintf(out, "\"%" PRIu64 "\"", n->key.dev);
	else
		fputs("null", out);
	put_key(out, name, "_ino");
	if (n)
		fprintf(out, "\"%" PRIu64 "\"", n->key.ino);
	else
		fputs("null", out);
	put_key(out, name, "_id");
	if (n && (n->flags & GRAPH_NS_HAS_ID))
		fprintf(out, "\"%" PRIu64 "\"", n->kernel_id);
	else
		fputs("null", out);
}

/* The NUL-separated arguments as an array; [] when there are none, so
 * that the column is an Array(String) with no null. */
static void put_argv(FILE *out, const struct graph_proc *p)
{
	const char *s = p->cmdline;
	uint32_t n = s ? p->cmdline_len : 0, at = 0;

	fputc('[', out);
	while (s && at <= n) {
		const char *end = memchr(s + at, '\0', n - at);
		uint32_t len = end ? (uint32_t)(end - (s + at)) : n - at;

		if (at)
			fputc(',', out);
		fputc('"', out);
		text_json_bytes(out, s + at, len);
		fputc('"', out);
		at += len + 1;
	}
	fputc(']', out);
}

static void put_col(FILE *out, const struct xr_row *r, const struct xr_col *c)
{
	const char *rec = src_of(r, c->src);
	const void *p = rec + c->off;
	uint64_t v;

	if (c->type == C_NSREF) {
		put_nsref(out, r->g, c->name, (uint32_t)xp_load(p, c->size));
		return;
	}
	if (c->type == C_WLREF) {
		uint32_t i = (uint32_t)xp_load(p, c->size);
		const struct graph_workload *w =
			i < r->g->nworkloads ? &r->g->workloads[i] : NULL;
		put_key(out, c->name, "_runtime");
		text_json_string(out, w ? w->runtime : NULL);
		put_key(out, c->name, "_id");
		text_json_string(out, w ? w->id : NULL);
		return;
	}
	put_key(out, c->name, "");
	if (c->need && (src_flags(r, c->src) & c->need) != c->need) {
		fputs("null", out);
		return;
	}
	switch (c->type) {
	case C_STR:
	case C_CSTR:
		text_json_string(out, *(const char *const *)p);
		break;
	case C_KEY: {
		const char *key = *(const char *const *)p;
		text_json_string(out, key ? key : "");
		break;
	}
	case C_ARGV:
		put_argv(out, r->proc);
		break;
	case C_WLKIND:
		text_json_string(out, graph_workload_kind_name(*(const uint8_t *)p));
		break;
	case C_I32:
		fprintf(out, "%" PRId32, *(const int32_t *)p);
		break;
	case C_I64:
		fprintf(out, "\"%" PRId64 "\"", *(const int64_t *)p);
		break;
	case C_SECS: {
		int64_t ns = *(const int64_t *)p;
		/* Floor, also before the epoch. */
		fprintf(out, "%" PRId64, ns / 1000000000 - (ns % 1000000000 < 0));
		break;
	}
	case C_U64:
		fprintf(out, "\"%" PRIu64 "\"", xp_load(p, c->size));
		break;
	default:        /* C_U8, C_U32 */
		v = xp_load(p, c->size);
		fprintf(out, "%" PRIu64, v);
		break;
	}
}

static void emit(const struct xr_out *o, const struct xr_row *r)
{
	fprintf(o->out, "{\"schema\":\"%s\",\"table\":\"%s\"",
		EXPORT_ROWS_SCHEMA, o->table);
	for (size_t i = 0; i < ARRAY_SIZE(common_cols); i++)
		put_col(o->out, r, &common_cols[i]);
	for (size_t i = 0; i < o->ncols; i++)
		put_col(o->out, r, &o->cols[i]);
	fputs("}\n", o->out);
}

/* ---- the walks ---------------------------------------------------------- */

static void walk_snapshots(const struct xr_out *o, struct xr_row *r)
{
	r->nns = (uint32_t)r->g->nns;
	r->nprocs = (uint32_t)r->g->nprocs;
	r->ntasks = (uint32_t)r->g->ntasks;
	emit(o, r);
}

/* How many processes hold each namespace (by their own links), counted
 * in one pass: R->counts, nns of them. */
static void walk_namespaces(const struct xr_out *o, struct xr_row *r)
{
	const struct graph *g = r->g;

	for (size_t k = 0; k < g->nprocs; k++)
		for (unsigned t = 0; t < NS_NTYPES; t++)
			if (g->procs[k].links.ns[t] < g->nns)
				r->counts[g->procs[k].links.ns[t]]++;
	for (size_t i = 0; i < g->nns; i++) {
		r->ns = &g->ns[i];
		r->self_ref = (uint32_t)i;
		r->members = r->counts[i];
		emit(o, r);
	}
}

static void walk_processes(const struct xr_out *o, struct xr_row *r)
{
	for (size_t i = 0; i < r->g->nprocs; i++) {
		r->proc = &r->g->procs[i];
		emit(o, r);
	}
}

static const char *const slot_names[NS_NTYPES + 2] = {
	"cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts",
	"pid_for_children", "time_for_children",
};

static void links_rows(const struct xr_out *o, struct xr_row *r,
		       const struct graph_links *l)
{
	for (unsigned s = 0; s < NS_NTYPES + 2; s++) {
		uint32_t ns = s < NS_NTYPES ? l->ns[s] : s == NS_NTYPES ?
			l->pid_for_children : l->time_for_children;
		if (ns >= r->g->nns)    /* unread: the gaps say why */
			continue;
		r->slot = slot_names[s];
		r->ns_ref = ns;
		emit(o, r);
	}
}

static void walk_memberships(const struct xr_out *o, struct xr_row *r)
{
	const struct graph *g = r->g;

	for (size_t i = 0; i < g->nprocs; i++) {
		const struct graph_proc *p = &g->procs[i];

		r->pid = p->pid;
		r->start = p->start_time;
		r->tid = 0;
		r->comm = p->comm;
		links_rows(o, r, &p->links);
		for (uint32_t k = 0; k < p->ntasks; k++) {
			const struct graph_task *t = &g->tasks[p->first_task + k];
			r->tid = t->tid;
			r->comm = t->comm;
			links_rows(o, r, &t->links);
		}
	}
}

static void walk_pins(const struct xr_out *o, struct xr_row *r)
{
	const struct graph *g = r->g;
	static const struct graph_mount no_mount;

	r->pin = "fd";
	r->has_fd = true;
	r->mntns_ref = GRAPH_NONE;
	r->mount = &no_mount;
	for (size_t i = 0; i < g->nprocs; i++) {
		const struct graph_proc *p = &g->procs[i];

		r->pid = p->pid;
		r->start = p->start_time;
		r->comm = p->comm;
		for (uint32_t k = 0; k < p->nfds; k++) {
			const struct graph_fd *f = &g->fds[p->first_fd + k];
			/* A socket names its network namespace, a pin too;
			 * an fd on no namespace pins none. */
			if (f->ns >= g->nns)
				continue;
			r->fd_no = f->fd;
			r->ns_ref = f->ns;
			emit(o, r);
		}
	}
	r->pin = "mount";
	r->has_fd = false;
	r->pid = 0;
	r->start = 0;
	r->comm = NULL;
	for (size_t i = 0; i < g->nmounts; i++) {
		r->mount = &g->mounts[i];
		if (r->mount->ns >= g->nns)     /* a failed listing */
			continue;
		r->mntns_ref = r->mount->mntns;
		r->ns_ref = r->mount->ns;
		emit(o, r);
	}
}

static void walk_workloads(const struct xr_out *o, struct xr_row *r)
{
	const struct graph *g = r->g;

	for (size_t k = 0; k < g->nprocs; k++)
		if (g->procs[k].workload < g->nworkloads)
			r->counts[g->procs[k].workload]++;
	for (size_t i = 0; i < g->nworkloads; i++) {
		r->wl = &g->workloads[i];
		r->members = r->counts[i];
		emit(o, r);
	}
}

static void walk_interfaces(const struct xr_out *o, struct xr_row *r)
{
	for (size_t i = 0; i < r->g->nifaces; i++) {
		r->iface = &r->g->ifaces[i];
		emit(o, r);
	}
}

static void walk_gaps(const struct xr_out *o, struct xr_row *r)
{
	for (size_t i = 0; i < r->g->ngaps; i++) {
		r->gap = &r->g->gaps[i];
		emit(o, r);
	}
}

struct xr_table {
	const char *name;
	const struct xr_col *cols;
	size_t ncols;
	void (*walk)(const struct xr_out *o, struct xr_row *r);
};

static const struct xr_table tables[] = {
	{ "snapshots", TABLE_OF(snapshot_cols), walk_snapshots },
	{ "namespaces", TABLE_OF(ns_cols), walk_namespaces },
	{ "processes", TABLE_OF(proc_cols), walk_processes },
	{ "memberships", TABLE_OF(member_cols), walk_memberships },
	{ "pins", TABLE_OF(pin_cols), walk_pins },
	{ "workloads", TABLE_OF(wl_cols), walk_workloads },
	{ "interfaces", TABLE_OF(iface_cols), walk_interfaces },
	{ "gaps", TABLE_OF(gap_cols), walk_gaps },
};

int export_rows_known(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(tables); i++)
		if (!strcmp(tables[i].name, name))
			return 1;
	return 0;
}

int export_rows_write(FILE *out, const struct graph *g,
		      const struct export_info *info, const char *table)
{
	struct rec_hashes h;
	char digest[XP_HASH_HEX], id[24];
	int ret;

	if (!out || !g || (table && !export_rows_known(table)))
		return -EINVAL;
	/* The digest first: an inconsistent graph writes nothing. */
	ret = xp_hashes_compute(g, &h);
	if (ret)
		return ret;
	xp_hash_hex(&h.digest, digest);
	xp_hashes_free(&h);
	snprintf(id, sizeof(id), "%" PRIu64, info ? info->id : 0);
	/* The walks' counters: one array, as long as the longer list. */
	size_t ncounts = g->nns > g->nworkloads ? g->nns : g->nworkloads;
	uint32_t *counts = calloc(ncounts ? ncounts : 1, sizeof(*counts));
	if (!counts)
		return -ENOMEM;

	for (size_t i = 0; i < ARRAY_SIZE(tables); i++) {
		const struct xr_table *t = &tables[i];
		struct xr_out o = { out, t->name, t->cols, t->ncols };
		struct xr_row r = {
			.g = g, .snapshot = id, .digest = digest,
			.label = info ? info->label : NULL, .counts = counts,
		};

		if (table && strcmp(table, t->name))
			continue;
		memset(counts, 0, (ncounts ? ncounts : 1) * sizeof(*counts));
		t->walk(&o, &r);
	}
	free(counts);
	if (fflush(out) || ferror(out))
		return errno ? -errno : -EIO;
	return 0;
}
