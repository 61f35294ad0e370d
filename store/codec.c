/*
 * codec.c — a graph as records and back (see codec.h); the primitives are
 * codec_prim.c's, the header, lists and hashes codec_header.c's.
 *
 * Record layouts, version 1 (the meta record: 2) and, for graphs with the
 * workload facts (codec_graph_v1() false), version 2 (the meta record: 3).
 * uv = LEB128, sv = zigzag LEB128, str = uv(len + 1) then the bytes, 0 for
 * NULL; ref = a namespace reference: u8 0 for GRAPH_NONE, or u8 1, uv dev,
 * uv inode.
 *
 *   every record  u8 kind, u8 version
 *   'G' meta v2   str hostname, str kernel, str boot_id, uv collected,
 *                 uv types_present, uv nsfs_dev,
 *                 uv ngaps, ngaps x (sv pid, sv tid, sv err, str what)
 *   'G' meta v1   (read, no longer written; the "whole" meta record of
 *                 codec_meta_whole()) sv start_ns, sv end_ns, then the
 *                 three strings of v2, sv capturer_pid, then the rest
 *                 of v2
 *   'G' meta v3   v2, then uv nworkloads, nworkloads x (u8 kind,
 *                 str runtime, str id, str name, str pod, str cgroup) in
 *                 strictly ascending (runtime, id) order
 *   'N' namespace uv dev, uv inode, u8 type, u8 flags, ref owner,
 *                 sv owner_err, ref parent, sv parent_err, uv creator_uid,
 *                 uv kernel_id, str uid_map, str gid_map
 *   'N' v2        v1, then str hostname, str domainname, u8 setgroups,
 *                 str timens_offsets, sv nsid, uv nifaces, nifaces x
 *                 (sv ifindex, uv flags, u8 operstate, str name, str mac,
 *                 str addrs): a network namespace holds its interfaces
 *   'P' process   sv pid, uv flags, sv ppid, uv uid, uv start_time,
 *                 str comm, str nstgid, sv status_err, links(base: blank),
 *                 sv task_err, sv fd_err, [v2: identity],
 *                 uv ntasks, ntasks x (sv tid, str comm, links(base: the
 *                 process's links)), uv nfds, nfds x (sv fd, ref ns,
 *                 [v2: u8 kind])
 *   identity      str cmdline (cmdline_len bytes, inner NULs kept),
 *                 str exe, str cgroup, uv ruid, uv euid, uv rgid, uv egid,
 *                 uv cap_eff, u8 no_new_privs, u8 seccomp, uv loginuid + 1,
 *                 uv sessionid + 1 (mod 2^32: none is 0), str runtime of its workload (NULL: none)
 *                 and, when there is one, str id
 *   'M' mounts    ref mntns, uv n (>= 1), n x (ref ns, sv open_err, sv list_err,
 *                 str path)
 *   'Y' layout    uv nprocs, nprocs x (uv first_task, uv ntasks,
 *                 uv first_fd, uv nfds), uv ntasks, tasks as in 'P' but
 *                 links against a blank base, uv nfds, fds as in 'P' (v2:
 *                 with their kind)
 *   'L' list      uv n, n x 16-byte hash
 *   'H' header    see codec_encode_header()
 *
 * links = uv mask of the slots equal to the base (bit t for namespace type
 * t, bit 8 pid_for_children, bit 9 time_for_children), then for every
 * other slot its ref (and for types, sv err).  Threads nearly always share
 * their leader's namespaces, so a thread costs a few bytes, not ~80.
 *
 * A process names its workload by (runtime, id), the workloads' key, never
 * by its index in graph.workloads: a workload that comes or goes shifts
 * the indexes, and every process record would change with them.  The
 * workloads themselves live in the meta record, which changes only when
 * one of them does.  Interfaces live in their namespace's record.
 */
#include "codec_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define LINK_SLOTS (NS_NTYPES + 2)
#define SLOT_PFC NS_NTYPES
#define SLOT_TFC (NS_NTYPES + 1)

/* ---- encoding a graph --------------------------------------------------- */

/* IDX is GRAPH_NONE or in range: graph_check() vouched for it. */
static void put_ref(struct enc *e, uint32_t idx)
{
	if (idx == GRAPH_NONE) {
		codec_put_u8(e->b, 0);
		return;
	}
	codec_put_u8(e->b, 1);
	codec_put_uv(e->b, e->g->ns[idx].key.dev);
	codec_put_uv(e->b, e->g->ns[idx].key.ino);
}

static unsigned links_same(const struct graph_links *l,
			   const struct graph_links *base)
{
	unsigned same = 0;

	for (unsigned t = 0; t < NS_NTYPES; t++)
		if (l->ns[t] == base->ns[t] && l->err[t] == base->err[t])
			same |= 1u << t;
	if (l->pid_for_children == base->pid_for_children)
		same |= 1u << SLOT_PFC;
	if (l->time_for_children == base->time_for_children)
		same |= 1u << SLOT_TFC;
	return same;
}

static void put_links(struct enc *e, const struct graph_links *l,
		      const struct graph_links *base)
{
	unsigned same = links_same(l, base);

	codec_put_uv(e->b, same);
	for (unsigned t = 0; t < NS_NTYPES; t++) {
		if (same & (1u << t))
			continue;
		put_ref(e, l->ns[t]);
		codec_put_sv(e->b, l->err[t]);
	}
	if (!(same & (1u << SLOT_PFC)))
		put_ref(e, l->pid_for_children);
	if (!(same & (1u << SLOT_TFC)))
		put_ref(e, l->time_for_children);
}

static struct graph_links blank_links(void)
{
	struct graph_links l;

	graph_links_init(&l);
	return l;
}

static void put_task(struct enc *e, const struct graph_task *t,
		     const struct graph_links *base)
{
	codec_put_sv(e->b, t->tid);
	codec_put_str(e->b, t->comm);
	put_links(e, &t->links, base);
}

static void put_fd(struct enc *e, const struct graph_fd *f)
{
	codec_put_sv(e->b, f->fd);
	put_ref(e, f->ns);
	if (e->rv >= CODEC_VERSION_FACTS)
		codec_put_u8(e->b, f->kind);
}

/* Without the capture: that goes into the header (codec_snapshot). */
static void put_meta(struct enc *e)
{
	const struct graph *g = e->g;
	const struct graph_meta *m = &g->meta;

	codec_put_u8(e->b, CODEC_META);
	codec_put_u8(e->b, e->rv >= CODEC_VERSION_FACTS ? CODEC_META_FACTS
							 : CODEC_META_VERSION);
	codec_put_str(e->b, m->hostname);
	codec_put_str(e->b, m->kernel);
	codec_put_str(e->b, m->boot_id);
	codec_put_uv(e->b, m->collected);
	codec_put_uv(e->b, m->types_present);
	codec_put_uv(e->b, m->nsfs_dev);
	codec_put_uv(e->b, g->ngaps);
	for (size_t i = 0; i < g->ngaps; i++) {
		const struct graph_gap *gap = &g->gaps[i];
		codec_put_sv(e->b, gap->pid);
		codec_put_sv(e->b, gap->tid);
		codec_put_sv(e->b, gap->err);
		codec_put_str(e->b, gap->what);
	}
	if (e->rv >= CODEC_VERSION_FACTS)
		cdc_put_workloads(e);
}

static void put_ns(struct enc *e, const struct graph_ns *ns)
{
	codec_put_head_v(e->b, CODEC_NS, e->rv);
	codec_put_uv(e->b, ns->key.dev);
	codec_put_uv(e->b, ns->key.ino);
	codec_put_u8(e->b, ns->type);
	codec_put_u8(e->b, ns->flags);
	put_ref(e, ns->owner);
	codec_put_sv(e->b, ns->owner_err);
	put_ref(e, ns->parent);
	codec_put_sv(e->b, ns->parent_err);
	codec_put_uv(e->b, ns->creator_uid);
	codec_put_uv(e->b, ns->kernel_id);
	codec_put_str(e->b, ns->uid_map);
	codec_put_str(e->b, ns->gid_map);
	if (e->rv >= CODEC_VERSION_FACTS)
		cdc_put_ns_facts(e, ns);
}

/* SLICES: the process's threads and fds go in its record (canonical
 * layout); otherwise they are in the layout record and the counts are 0. */
static void put_proc(struct enc *e, const struct graph_proc *p, bool slices)
{
	const struct graph *g = e->g;
	struct graph_links blank = blank_links();

	codec_put_head_v(e->b, CODEC_PROC, e->rv);
	codec_put_sv(e->b, p->pid);
	codec_put_uv(e->b, p->flags);
	codec_put_sv(e->b, p->ppid);
	codec_put_uv(e->b, p->uid);
	codec_put_uv(e->b, p->start_time);
	codec_put_str(e->b, p->comm);
	codec_put_str(e->b, p->nstgid);
	codec_put_sv(e->b, p->status_err);
	put_links(e, &p->links, &blank);
	codec_put_sv(e->b, p->task_err);
	codec_put_sv(e->b, p->fd_err);
	if (e->rv >= CODEC_VERSION_FACTS)
		cdc_put_identity(e, p);
	if (!slices) {
		codec_put_uv(e->b, 0);
		codec_put_uv(e->b, 0);
		return;
	}
	codec_put_uv(e->b, p->ntasks);
	for (uint32_t k = 0; k < p->ntasks; k++)
		put_task(e, &g->tasks[p->first_task + k], &p->links);
	codec_put_uv(e->b, p->nfds);
	for (uint32_t k = 0; k < p->nfds; k++)
		put_fd(e, &g->fds[p->first_fd + k]);
}

static void put_layout(struct enc *e)
{
	const struct graph *g = e->g;
	struct graph_links blank = blank_links();

	codec_put_head_v(e->b, CODEC_LAYOUT, e->rv);
	codec_put_uv(e->b, g->nprocs);
	for (size_t i = 0; i < g->nprocs; i++) {
		const struct graph_proc *p = &g->procs[i];
		codec_put_uv(e->b, p->first_task);
		codec_put_uv(e->b, p->ntasks);
		codec_put_uv(e->b, p->first_fd);
		codec_put_uv(e->b, p->nfds);
	}
	codec_put_uv(e->b, g->ntasks);
	for (size_t i = 0; i < g->ntasks; i++)
		put_task(e, &g->tasks[i], &blank);
	codec_put_uv(e->b, g->nfds);
	for (size_t i = 0; i < g->nfds; i++)
		put_fd(e, &g->fds[i]);
}

/* Mounts [first, first + n) all of one mount namespace. */
static void put_mounts(struct enc *e, size_t first, size_t n)
{
	const struct graph_mount *m = &e->g->mounts[first];

	codec_put_head(e->b, CODEC_MOUNTS);
	put_ref(e, m->mntns);
	codec_put_uv(e->b, n);
	for (size_t k = 0; k < n; k++) {
		put_ref(e, m[k].ns);
		codec_put_sv(e->b, m[k].open_err);
		codec_put_sv(e->b, m[k].list_err);
		codec_put_str(e->b, m[k].path);
	}
}

/*
 * Whether each process's threads and fds directly follow the previous
 * process's, as graph_proc_append() lays them out: then the slices are
 * implied by the counts and need not be stored.
 */
static bool layout_canonical(const struct graph *g)
{
	size_t t = 0, f = 0;

	for (size_t i = 0; i < g->nprocs; i++) {
		const struct graph_proc *p = &g->procs[i];
		if (p->first_task != t || p->first_fd != f)
			return false;
		t += p->ntasks;
		f += p->nfds;
	}
	return t == g->ntasks && f == g->nfds;
}

size_t codec_mount_run(const struct graph *g, size_t first)
{
	size_t n = 1;

	if (first >= g->nmounts)
		return 0;
	while (first + n < g->nmounts &&
	       g->mounts[first + n].mntns == g->mounts[first].mntns)
		n++;
	return n;
}

static size_t count_runs(const struct graph *g)
{
	size_t runs = 0;

	for (size_t i = 0; i < g->nmounts; i += codec_mount_run(g, i))
		runs++;
	return runs;
}

static struct codec_capture capture_of(const struct graph_meta *m)
{
	return (struct codec_capture){
		.start_ns = m->start_ns,
		.end_ns = m->end_ns,
		.capturer_pid = m->capturer_pid,
		.vantage = m->vantage,
		.vp_version = {
			m->vantage.version,
			m->vantage.version ? strlen(m->vantage.version) : 0,
		},
	};
}

int codec_encode_graph(const struct graph *g, struct codec_snapshot *out)
{
	struct codec_buf b;
	struct enc e = { .b = &b, .g = g };
	size_t nruns, nrec, k = 0;
	size_t *start = NULL;
	bool canonical;
	int ret;

	*out = (struct codec_snapshot){ 0 };
	/* A record the decoder would refuse is never written. */
	if (graph_check(g, NULL, 0) || !cdc_cmdlines_fit(g))
		return -EINVAL;
	e.rv = codec_graph_v1(g) ? CODEC_VERSION : CODEC_VERSION_FACTS;
	canonical = layout_canonical(g);
	nruns = count_runs(g);
	codec_buf_init(&b);

	/* Records are laid end to end: meta, layout, ns, procs, runs. */
	nrec = 2 + g->nns + g->nprocs + nruns;
	start = calloc(nrec + 1, sizeof(*start));
	out->ns = calloc(g->nns ? g->nns : 1, sizeof(*out->ns));
	out->procs = calloc(g->nprocs ? g->nprocs : 1, sizeof(*out->procs));
	out->mounts = calloc(nruns ? nruns : 1, sizeof(*out->mounts));
	if (!start || !out->ns || !out->procs || !out->mounts) {
		ret = -ENOMEM;
		goto fail;
	}

	start[k++] = b.len;
	put_meta(&e);
	start[k++] = b.len;
	if (!canonical)
		put_layout(&e);
	for (size_t i = 0; i < g->nns; i++) {
		start[k++] = b.len;
		put_ns(&e, &g->ns[i]);
	}
	for (size_t i = 0; i < g->nprocs; i++) {
		start[k++] = b.len;
		put_proc(&e, &g->procs[i], canonical);
	}
	for (size_t i = 0, n; i < g->nmounts; i += n) {
		n = codec_mount_run(g, i);
		start[k++] = b.len;
		put_mounts(&e, i, n);
	}
	start[k] = b.len;
	if (b.err) {
		ret = b.err;
		goto fail;
	}

	/* Pointers only now: the buffer moved while it grew. */
#define REC(i) ((struct codec_rec){ b.data + start[i], start[(i) + 1] - start[i] })
	k = 0;
	out->meta = REC(k);
	k++;
	out->layout = REC(k);
	k++;
	for (size_t i = 0; i < g->nns; i++, k++)
		out->ns[i] = REC(k);
	for (size_t i = 0; i < g->nprocs; i++, k++)
		out->procs[i] = REC(k);
	for (size_t i = 0; i < nruns; i++, k++)
		out->mounts[i] = REC(k);
#undef REC
	out->nns = g->nns;
	out->nprocs = g->nprocs;
	out->nmounts = nruns;
	out->capture = capture_of(&g->meta);
	out->buf = b.data;
	free(start);
	return 0;

fail:
	free(start);
	codec_buf_free(&b);
	codec_snapshot_free(out);
	return ret;
}

void codec_snapshot_free(struct codec_snapshot *s)
{
	free(s->ns);
	free(s->procs);
	free(s->mounts);
	free(s->buf);
	*s = (struct codec_snapshot){ 0 };
}

/* ---- decoding a graph --------------------------------------------------- */

static void dec_init(struct dec *d, struct graph *g, const struct codec_rec *rec)
{
	codec_rd_init(&d->r, rec->data, rec->len);
	d->g = g;
	d->nomem = 0;
}

static int dec_end(const struct dec *d)
{
	return d->nomem ? -ENOMEM : codec_rd_end(&d->r);
}

const char *cdc_get_str(struct dec *d)
{
	size_t len;
	const char *s = codec_get_str(&d->r, &len);

	if (!s)
		return NULL;
	const char *c = graph_strndup(d->g, s, len);
	if (!c)
		d->nomem = -ENOMEM;
	return c;
}

/* A reference's key; false for GRAPH_NONE (or an error, in r->err). */
static bool get_key(struct codec_rd *r, struct ns_key *k)
{
	uint8_t tag = codec_get_u8(r);

	if (tag == 0)
		return false;
	if (tag != 1) {
		codec_rd_fail(r);
		return false;
	}
	k->dev = codec_get_uv(r, UINT64_MAX);
	k->ino = codec_get_uv(r, UINT64_MAX);
	return !r->err;
}

static uint32_t get_ref(struct dec *d)
{
	struct ns_key k;

	if (!get_key(&d->r, &k))
		return GRAPH_NONE;
	uint32_t idx = graph_ns_find(d->g, k);
	if (idx == GRAPH_NONE)
		codec_rd_fail(&d->r);
	return idx;
}

static void get_links(struct dec *d, struct graph_links *l,
		      const struct graph_links *base)
{
	uint64_t same = codec_get_uv(&d->r, (1u << LINK_SLOTS) - 1);

	*l = *base;
	for (unsigned t = 0; t < NS_NTYPES; t++) {
		if (same & (1u << t))
			continue;
		l->ns[t] = get_ref(d);
		l->err[t] = codec_get_i32(&d->r);
	}
	if (!(same & (1u << SLOT_PFC)))
		l->pid_for_children = get_ref(d);
	if (!(same & (1u << SLOT_TFC)))
		l->time_for_children = get_ref(d);
	/* A slot spelled out must differ, or the mask would have said so. */
	if (!d->r.err && (links_same(l, base) & ~same))
		codec_rd_fail(&d->r);
}

static void get_task(struct dec *d, const struct graph_links *base)
{
	int32_t tid = codec_get_i32(&d->r);
	struct graph_task *t;
	const char *comm = cdc_get_str(d);

	if (d->r.err || d->nomem)
		return;
	t = graph_task_append(d->g, tid);
	if (!t) {
		d->nomem = -ENOMEM;
		return;
	}
	t->comm = comm;
	/* Decoded in place: nothing appends to the tasks meanwhile. */
	get_links(d, &t->links, base);
}

static void get_fd(struct dec *d)
{
	int32_t fd = codec_get_i32(&d->r);
	uint32_t ns = get_ref(d);
	uint8_t kind = d->rv >= CODEC_VERSION_FACTS ? codec_get_u8(&d->r)
						    : GRAPH_FD_NSFS;

	if (d->r.err || d->nomem)
		return;
	struct graph_fd *f = graph_fd_append(d->g);
	if (!f) {
		d->nomem = -ENOMEM;
		return;
	}
	f->fd = fd;
	f->ns = ns;
	f->kind = kind;
}

/* Versions 2 and 3 take their capture from CAP, version 1 holds its own.
 * *RV: the version of the other records. */
static int dec_meta(struct graph *g, const struct codec_rec *rec,
		    const struct codec_capture *cap, uint8_t *rv)
{
	struct dec d;
	struct graph_meta *m = &g->meta;
	uint8_t version;

	dec_init(&d, g, rec);
	if (codec_get_u8(&d.r) != CODEC_META)
		codec_rd_fail(&d.r);
	version = codec_get_u8(&d.r);
	if (version < 1 || version > CODEC_META_FACTS)
		codec_rd_fail(&d.r);
	*rv = version == CODEC_META_FACTS ? CODEC_VERSION_FACTS : CODEC_VERSION;
	if (version == 1) {
		m->start_ns = codec_get_sv(&d.r, INT64_MIN, INT64_MAX);
		m->end_ns = codec_get_sv(&d.r, INT64_MIN, INT64_MAX);
	} else {
		m->start_ns = cap->start_ns;
		m->end_ns = cap->end_ns;
		m->capturer_pid = cap->capturer_pid;
		m->vantage = cap->vantage;
		m->vantage.version = NULL;
		if (cap->vp_version.p) {
			m->vantage.version = graph_strndup(g, cap->vp_version.p,
							   cap->vp_version.len);
			if (!m->vantage.version)
				d.nomem = true;
		}
	}
	m->hostname = cdc_get_str(&d);
	m->kernel = cdc_get_str(&d);
	m->boot_id = cdc_get_str(&d);
	if (version == 1)
		m->capturer_pid = codec_get_i32(&d.r);
	m->collected = codec_get_u32(&d.r);
	m->types_present = codec_get_u32(&d.r);
	m->nsfs_dev = codec_get_uv(&d.r, UINT64_MAX);
	size_t n = codec_get_count(&d.r, 4);
	for (size_t i = 0; i < n && !d.r.err && !d.nomem; i++) {
		int32_t pid = codec_get_i32(&d.r);
		int32_t tid = codec_get_i32(&d.r);
		int32_t err = codec_get_i32(&d.r);
		const char *what = cdc_get_str(&d);
		if (d.r.err || d.nomem)
			break;
		/* graph_gap_add() copies WHAT and cannot store NULL. */
		if (graph_gap_add(g, pid, tid, err, "")) {
			d.nomem = -ENOMEM;
			break;
		}
		g->gaps[g->ngaps - 1].what = what;
	}
	if (version == CODEC_META_FACTS)
		cdc_get_workloads(&d);
	return dec_end(&d);
}

/* Owner and parent keys wait until every namespace is known. */
struct ns_refs {
	bool has_owner, has_parent;
	struct ns_key owner, parent;
};

static int dec_ns(struct graph *g, const struct codec_rec *rec,
		  struct ns_refs *refs, uint8_t rv)
{
	struct dec d;
	struct graph_ns ns = { 0 };
	bool added;

	dec_init(&d, g, rec);
	if (codec_get_head_v(&d.r, CODEC_NS, CODEC_VERSION_FACTS) != rv)
		codec_rd_fail(&d.r);
	ns.key.dev = codec_get_uv(&d.r, UINT64_MAX);
	ns.key.ino = codec_get_uv(&d.r, UINT64_MAX);
	ns.type = codec_get_u8(&d.r);
	if (ns.type >= NS_NTYPES)
		codec_rd_fail(&d.r);
	ns.flags = codec_get_u8(&d.r);
	refs->has_owner = get_key(&d.r, &refs->owner);
	ns.owner_err = codec_get_i32(&d.r);
	refs->has_parent = get_key(&d.r, &refs->parent);
	ns.parent_err = codec_get_i32(&d.r);
	ns.creator_uid = codec_get_u32(&d.r);
	ns.kernel_id = codec_get_uv(&d.r, UINT64_MAX);
	ns.uid_map = cdc_get_str(&d);
	ns.gid_map = cdc_get_str(&d);
	ns.first_iface = (uint32_t)g->nifaces;
	if (rv >= CODEC_VERSION_FACTS)
		cdc_get_ns_facts(&d, &ns, (uint32_t)g->nns);
	int ret = dec_end(&d);
	if (ret)
		return ret;

	uint32_t idx = graph_ns_add(g, ns.key, ns.type, &added);
	if (idx == GRAPH_NONE)
		return -ENOMEM;
	if (!added)
		return -EBADMSG;    /* a second record for one namespace */
	ns.owner = ns.parent = GRAPH_NONE;
	g->ns[idx] = ns;
	return 0;
}

static int resolve_ref(const struct graph *g, bool has, struct ns_key key,
		       uint32_t *idx)
{
	*idx = has ? graph_ns_find(g, key) : GRAPH_NONE;
	return has && *idx == GRAPH_NONE ? -EBADMSG : 0;
}

static int dec_proc(struct graph *g, const struct codec_rec *rec, bool layout,
		    uint8_t rv)
{
	struct dec d;
	struct graph_proc p = {
		.loginuid = UINT32_MAX, .sessionid = UINT32_MAX,
		.workload = GRAPH_NONE,
	};
	struct graph_links blank = blank_links();
	size_t idx, n;

	dec_init(&d, g, rec);
	d.rv = rv;
	if (codec_get_head_v(&d.r, CODEC_PROC, CODEC_VERSION_FACTS) != rv)
		codec_rd_fail(&d.r);
	p.pid = codec_get_i32(&d.r);
	p.flags = codec_get_u32(&d.r);
	p.ppid = codec_get_i32(&d.r);
	p.uid = codec_get_u32(&d.r);
	p.start_time = codec_get_uv(&d.r, UINT64_MAX);
	p.comm = cdc_get_str(&d);
	p.nstgid = cdc_get_str(&d);
	p.status_err = codec_get_i32(&d.r);
	get_links(&d, &p.links, &blank);
	p.task_err = codec_get_i32(&d.r);
	p.fd_err = codec_get_i32(&d.r);
	if (rv >= CODEC_VERSION_FACTS)
		cdc_get_identity(&d, &p);
	if (d.r.err || d.nomem)
		return dec_end(&d);

	struct graph_proc *np = graph_proc_append(g, p.pid);
	if (!np)
		return -ENOMEM;
	idx = g->nprocs - 1;
	p.first_task = np->first_task;
	p.first_fd = np->first_fd;

	/* Each thread takes at least 3 bytes: tid, comm, mask. */
	n = codec_get_count(&d.r, 3);
	if (layout && n)
		codec_rd_fail(&d.r);
	for (size_t k = 0; k < n && !d.r.err && !d.nomem; k++)
		get_task(&d, &p.links);
	p.ntasks = (uint32_t)(g->ntasks - p.first_task);

	n = codec_get_count(&d.r, 2 + (rv >= CODEC_VERSION_FACTS));
	if (layout && n)
		codec_rd_fail(&d.r);
	for (size_t k = 0; k < n && !d.r.err && !d.nomem; k++)
		get_fd(&d);
	p.nfds = (uint32_t)(g->nfds - p.first_fd);

	g->procs[idx] = p;
	return dec_end(&d);
}

static bool slice_ok(uint32_t first, uint32_t n, size_t total)
{
	return (uint64_t)first + n <= total;
}

static int dec_layout(struct graph *g, const struct codec_rec *rec, uint8_t rv)
{
	struct dec d;
	struct graph_links blank = blank_links();
	size_t n;

	dec_init(&d, g, rec);
	d.rv = rv;
	if (codec_get_head_v(&d.r, CODEC_LAYOUT, CODEC_VERSION_FACTS) != rv)
		codec_rd_fail(&d.r);
	n = codec_get_count(&d.r, 4);
	if (n != g->nprocs)
		codec_rd_fail(&d.r);
	for (size_t i = 0; i < n && !d.r.err; i++) {
		struct graph_proc *p = &g->procs[i];
		p->first_task = codec_get_u32(&d.r);
		p->ntasks = codec_get_u32(&d.r);
		p->first_fd = codec_get_u32(&d.r);
		p->nfds = codec_get_u32(&d.r);
	}
	n = codec_get_count(&d.r, 3);
	for (size_t k = 0; k < n && !d.r.err && !d.nomem; k++)
		get_task(&d, &blank);
	n = codec_get_count(&d.r, 2 + (rv >= CODEC_VERSION_FACTS));
	for (size_t k = 0; k < n && !d.r.err && !d.nomem; k++)
		get_fd(&d);

	int ret = dec_end(&d);
	if (ret)
		return ret;
	for (size_t i = 0; i < g->nprocs; i++) {
		const struct graph_proc *p = &g->procs[i];
		if (!slice_ok(p->first_task, p->ntasks, g->ntasks) ||
		    !slice_ok(p->first_fd, p->nfds, g->nfds))
			return -EBADMSG;
	}
	/* A canonical layout is never written as a record. */
	return layout_canonical(g) ? -EBADMSG : 0;
}

static int dec_mounts(struct graph *g, const struct codec_rec *rec,
		      bool first, uint32_t prev_mntns)
{
	struct dec d;

	dec_init(&d, g, rec);
	codec_get_head(&d.r, CODEC_MOUNTS);
	uint32_t mntns = get_ref(&d);
	/* Adjacent runs of one namespace would have been one run. */
	if (!first && mntns == prev_mntns)
		codec_rd_fail(&d.r);
	size_t n = codec_get_count(&d.r, 4);
	if (n == 0)
		codec_rd_fail(&d.r);
	for (size_t k = 0; k < n && !d.r.err && !d.nomem; k++) {
		uint32_t ns = get_ref(&d);
		int32_t err = codec_get_i32(&d.r);
		int32_t list_err = codec_get_i32(&d.r);
		const char *path = cdc_get_str(&d);
		if (d.r.err || d.nomem)
			break;
		struct graph_mount *m = graph_mount_append(g);
		if (!m) {
			d.nomem = -ENOMEM;
			break;
		}
		*m = (struct graph_mount){
			.mntns = mntns, .ns = ns, .open_err = err,
			.list_err = list_err, .path = path,
		};
	}
	return dec_end(&d);
}

int codec_decode_graph(const struct codec_snapshot *s, struct graph **out)
{
	struct graph *g;
	struct ns_refs *refs = NULL;
	bool layout = s->layout.len > 0;
	uint8_t rv = 0;
	int ret;

	*out = NULL;
	if (s->nns >= GRAPH_NONE || s->nprocs >= GRAPH_NONE)
		return -EBADMSG;
	g = graph_new();
	if (!g)
		return -ENOMEM;
	refs = calloc(s->nns ? s->nns : 1, sizeof(*refs));
	if (!refs) {
		ret = -ENOMEM;
		goto fail;
	}

	ret = dec_meta(g, &s->meta, &s->capture, &rv);
	for (size_t i = 0; !ret && i < s->nns; i++)
		ret = dec_ns(g, &s->ns[i], &refs[i], rv);
	for (size_t i = 0; !ret && i < s->nns; i++) {
		ret = resolve_ref(g, refs[i].has_owner, refs[i].owner,
				  &g->ns[i].owner);
		if (!ret)
			ret = resolve_ref(g, refs[i].has_parent, refs[i].parent,
					  &g->ns[i].parent);
	}
	for (size_t i = 0; !ret && i < s->nprocs; i++)
		ret = dec_proc(g, &s->procs[i], layout, rv);
	if (!ret && layout)
		ret = dec_layout(g, &s->layout, rv);
	for (size_t i = 0; !ret && i < s->nmounts; i++)
		ret = dec_mounts(g, &s->mounts[i], i == 0,
				 i ? g->mounts[g->nmounts - 1].mntns : 0);
	/* Each record may be sound while the whole is not (a cycle of
	 * owners across records, a chain deeper than the kernel nests). */
	if (!ret && graph_check(g, NULL, 0))
		ret = -EBADMSG;
	/* The version is the graph's: old records decode into a graph that
	 * claims only what they could hold (GRAPH_HAVE_V1), and a graph
	 * that holds only that is written in the old records, never new. */
	if (!ret && codec_graph_v1(g) != (rv == CODEC_VERSION))
		ret = -EBADMSG;
	if (ret)
		goto fail;
	free(refs);
	*out = g;
	return 0;

fail:
	free(refs);
	graph_free(g);
	return ret;
}

int codec_ns_key(const void *p, size_t n, struct ns_key *key)
{
	struct codec_rd r;

	codec_rd_init(&r, p, n);
	(void)codec_get_head_v(&r, CODEC_NS, CODEC_VERSION_FACTS);
	key->dev = codec_get_uv(&r, UINT64_MAX);
	key->ino = codec_get_uv(&r, UINT64_MAX);
	return r.err ? -EBADMSG : 0;
}

int codec_ns_brief(const void *p, size_t n, struct graph_ns *ns)
{
	struct codec_rd r;
	struct ns_key up;

	*ns = (struct graph_ns){ .owner = GRAPH_NONE, .parent = GRAPH_NONE };
	codec_rd_init(&r, p, n);
	(void)codec_get_head_v(&r, CODEC_NS, CODEC_VERSION_FACTS);
	ns->key.dev = codec_get_uv(&r, UINT64_MAX);
	ns->key.ino = codec_get_uv(&r, UINT64_MAX);
	ns->type = codec_get_u8(&r);
	ns->flags = codec_get_u8(&r);
	(void)get_key(&r, &up);
	ns->owner_err = codec_get_i32(&r);
	(void)get_key(&r, &up);
	ns->parent_err = codec_get_i32(&r);
	ns->creator_uid = codec_get_u32(&r);
	ns->kernel_id = codec_get_uv(&r, UINT64_MAX);
	return r.err || ns->type >= NS_NTYPES ? -EBADMSG : 0;
}

struct gap_id {
	int32_t pid, tid;
};

static int cmp_gap_id(const void *a, const void *b)
{
	const struct gap_id *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return (x->tid > y->tid) - (x->tid < y->tid);
}

int codec_meta_gapped(const struct codec_rec *meta, uint64_t *n)
{
	struct codec_rd r;
	size_t len, ngaps, k = 0;

	*n = 0;
	codec_rd_init(&r, meta->data, meta->len);
	if (codec_get_u8(&r) != CODEC_META)
		return -EBADMSG;
	/* The layouts of dec_meta(), up to the gaps. */
	uint8_t version = codec_get_u8(&r);
	if (version < 1 || version > CODEC_META_FACTS || r.err)
		return -EBADMSG;
	if (version == 1) {
		(void)codec_get_sv(&r, INT64_MIN, INT64_MAX);
		(void)codec_get_sv(&r, INT64_MIN, INT64_MAX);
	}
	for (int i = 0; i < 3; i++)
		(void)codec_get_str(&r, &len);
	if (version == 1)
		(void)codec_get_i32(&r);
	(void)codec_get_u32(&r);
	(void)codec_get_u32(&r);
	(void)codec_get_uv(&r, UINT64_MAX);
	ngaps = codec_get_count(&r, 4);
	if (r.err)
		return -EBADMSG;
	/* The count is bounded by the record's length (4 bytes a gap). */
	struct gap_id *ids = malloc((ngaps ? ngaps : 1) * sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	for (size_t i = 0; i < ngaps && !r.err; i++) {
		ids[i].pid = codec_get_i32(&r);
		ids[i].tid = codec_get_i32(&r);
		(void)codec_get_i32(&r);
		(void)codec_get_str(&r, &len);
	}
	if (r.err) {
		free(ids);
		return -EBADMSG;
	}
	qsort(ids, ngaps, sizeof(*ids), cmp_gap_id);
	for (size_t i = 0; i < ngaps; i++)
		k += !i || cmp_gap_id(&ids[i - 1], &ids[i]);
	free(ids);
	*n = k;
	return 0;
}

int codec_meta_whole(const struct codec_rec *meta,
		     const struct codec_capture *cap, struct codec_buf *out)
{
	struct codec_rd r;
	const uint8_t *strs;
	size_t len;

	codec_rd_init(&r, meta->data, meta->len);
	if (codec_get_u8(&r) != CODEC_META)
		return -EBADMSG;
	uint8_t version = codec_get_u8(&r);
	if (version == 1 && !r.err) {
		codec_put_bytes(out, meta->data, meta->len);
		return out->err;
	}
	if ((version != CODEC_META_VERSION && version != CODEC_META_FACTS) ||
	    r.err)
		return -EBADMSG;
	/* The strings stay as they are; the capture goes around them. */
	strs = r.p;
	for (int i = 0; i < 3; i++)
		(void)codec_get_str(&r, &len);
	if (r.err)
		return -EBADMSG;
	codec_put_u8(out, CODEC_META);
	/* Version 2 stands for the version 1 layout; version 3, never stored
	 * whole, for the same with its workloads, marked apart. */
	codec_put_u8(out, version == CODEC_META_FACTS ? CODEC_META_WHOLE_FACTS
						      : 1);
	codec_put_sv(out, cap->start_ns);
	codec_put_sv(out, cap->end_ns);
	codec_put_bytes(out, strs, (size_t)(r.p - strs));
	codec_put_sv(out, cap->capturer_pid);
	codec_put_bytes(out, r.p, r.left);
	return out->err;
}
