/*
 * nsidx_ctx.c — a namespace's context digest: what, besides its own
 * record, a step of its history compares.
 *
 * Owns the rule that makes the namespace index enough for a history: two
 * snapshots whose context digests of a namespace are equal (and whose
 * records of it are) give no event for it when a history compares them
 * (diff_history_scan()'s scan, diff.h).  A step's events about namespace X
 * come from
 *   - X's reach: whether the scan meets X at all;
 *   - the judgement of X and of what its owner and parent links and the
 *     mount namespaces of its bind mounts lead to: their records and
 *     reach, up their own owner (and PID parent) chains;
 *   - its members (PID and start time of every scanned process whose link
 *     of X's type is X), its fd pins (PID, start, fd), its
 *     pid_for_children and time_for_children pins (PID, start), its bind
 *     mounts opened as pins (mount namespace, path).
 * The digest is XXH3-128 over those facts in a canonical order: it may
 * change where a history prints nothing, never stay the same where it
 * would print something.  Command names are not in it: a step matches
 * processes by PID and start time, and prints names from the two
 * snapshots it compares, which a history always loads.
 */
#include "store_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "view.h"

/* Bumped when what the digest covers changes: equal digests must mean
 * equal facts. */
#define CTX_VERSION 1

enum fact_kind {
	F_MEMBER = 'm', F_FD = 'f', F_PID_FC = 'c', F_TIME_FC = 't',
	F_MOUNT = 'M',
};

struct fact {
	uint32_t ns;
	uint8_t kind;
	int32_t fd;                    /* F_FD */
	const struct graph_proc *p;    /* but for F_MOUNT */
	const struct graph_mount *m;   /* F_MOUNT */
};

/*
 * The facts, in their canonical order: by namespace, then the processes'
 * by PID and start time (for one process: member, pid_for_children,
 * time_for_children, then fds in the order the process holds them), then
 * the bind mounts' by mount namespace and path.
 */
struct facts {
	const struct graph *g;
	struct fact *v;
	size_t n, cap;
	uint32_t only;                 /* GRAPH_NONE: every namespace */
	int err;
};

static void fact_add(struct facts *f, uint32_t ns, uint8_t kind,
		     const struct graph_proc *p, int32_t fd,
		     const struct graph_mount *m)
{
	/* Room for every fact was made beforehand (facts_collect()). */
	if (f->err || ns == GRAPH_NONE || ns >= f->g->nns ||
	    (f->only != GRAPH_NONE && ns != f->only) || f->n == f->cap)
		return;
	f->v[f->n++] = (struct fact){ .ns = ns, .kind = kind, .fd = fd,
				       .p = p, .m = m };
}

#define CMP(a, b) do { if ((a) != (b)) return (a) < (b) ? -1 : 1; } while (0)

static int cmp_proc(const void *x, const void *y)
{
	const struct graph_proc *a = *(const struct graph_proc *const *)x;
	const struct graph_proc *b = *(const struct graph_proc *const *)y;

	CMP(a->pid, b->pid);
	CMP(a->start_time, b->start_time);
	return 0;
}

static int cmp_mount(const void *x, const void *y, void *ctx)
{
	const struct graph_mount *a = *(const struct graph_mount *const *)x;
	const struct graph_mount *b = *(const struct graph_mount *const *)y;
	const struct graph *g = ctx;
	struct ns_key ka = g->ns[a->mntns].key, kb = g->ns[b->mntns].key;

	CMP(ka.dev, kb.dev);
	CMP(ka.ino, kb.ino);
	return strcmp(a->path, b->path);
}

/* The facts of process P (scanned; FD_PINS: its fds were read). */
static void proc_facts(struct facts *f, const struct graph_proc *p, bool fd_pins)
{
	const struct graph *g = f->g;
	const struct graph_links *l = &p->links;

	for (unsigned t = 0; t < NS_NTYPES; t++)
		if (l->err[t] == 0)
			fact_add(f, l->ns[t], F_MEMBER, p, 0, NULL);
	fact_add(f, l->pid_for_children, F_PID_FC, p, 0, NULL);
	fact_add(f, l->time_for_children, F_TIME_FC, p, 0, NULL);
	for (uint32_t k = 0; fd_pins && k < p->nfds && p->first_fd + k < g->nfds; k++)
		fact_add(f, g->fds[p->first_fd + k].ns, F_FD, p,
			 g->fds[p->first_fd + k].fd, NULL);
}

/* Every fact of the scan R of G, about ONLY or about every namespace, in
 * the order of processes and mounts; then kept in that order within each
 * namespace (a counting sort, stable). */
static void facts_collect(struct facts *f, const struct view_reach *r)
{
	const struct graph *g = f->g;
	size_t np = 0, nm = 0, n = g->nprocs > g->nmounts ? g->nprocs : g->nmounts;
	const void **order = malloc((n + 1) * sizeof(*order));
	size_t *at = calloc(g->nns + 1, sizeof(*at));
	struct fact *sorted = NULL;

	if (!order || !at) {
		f->err = -ENOMEM;
		goto out;
	}
	f->cap = g->nmounts;
	for (size_t i = 0; i < g->nprocs; i++)
		if (r->procs[i] & VIEW_SCANNED) {
			order[np++] = &g->procs[i];
			f->cap += NS_NTYPES + 2 + g->procs[i].nfds;
		}
	f->v = malloc((f->cap + 1) * sizeof(*f->v));
	if (!f->v) {
		f->err = -ENOMEM;
		goto out;
	}
	qsort(order, np, sizeof(*order), cmp_proc);
	for (size_t i = 0; i < np; i++) {
		const struct graph_proc *p = order[i];
		proc_facts(f, p, r->procs[p - g->procs] & VIEW_FD_PINS);
	}
	for (size_t i = 0; i < g->nmounts; i++)
		if ((r->mounts[i] & VIEW_MOUNT_PIN) && g->mounts[i].path &&
		    g->mounts[i].mntns < g->nns)
			order[nm++] = &g->mounts[i];
	qsort_r(order, nm, sizeof(*order), cmp_mount, (void *)g);
	for (size_t i = 0; i < nm; i++) {
		const struct graph_mount *m = order[i];
		fact_add(f, m->ns, F_MOUNT, NULL, 0, m);
	}
	sorted = malloc((f->n + 1) * sizeof(*sorted));
	if (f->err || !sorted) {
		f->err = f->err ? f->err : -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < f->n; i++)
		at[f->v[i].ns + 1]++;
	for (size_t x = 1; x < g->nns; x++)
		at[x] += at[x - 1];
	for (size_t i = 0; i < f->n; i++)
		sorted[at[f->v[i].ns]++] = f->v[i];
	free(f->v);
	f->v = sorted;
	sorted = NULL;
out:
	free(sorted);
	free(order);
	free(at);
}

/* The walk over what X's judgement depends on. */
struct walk {
	const struct graph *g;
	const struct codec_hash *ns_h;
	const struct view_reach *r;
	uint32_t *seen;         /* per namespace: X + 1 once queued for X */
	uint32_t *queue;
	size_t n;
	uint32_t x;
};

static void walk_push(struct walk *w, uint32_t ns)
{
	if (ns == GRAPH_NONE || ns >= w->g->nns || w->seen[ns] == w->x + 1)
		return;
	w->seen[ns] = w->x + 1;
	w->queue[w->n++] = ns;
}

/* The links a judgement follows up from NS: its owner, a PID
 * namespace's parent. */
static void walk_ups(struct walk *w, uint32_t ns)
{
	const struct graph_ns *n = &w->g->ns[ns];

	if (n->owner_err == 0)
		walk_push(w, n->owner);
	if (n->type == NS_PID && n->parent_err == 0)
		walk_push(w, n->parent);
}

/* The digest of namespace X from its facts F[0..n). */
static void ctx_one(struct walk *w, uint32_t x, const struct fact *f, size_t n,
		    struct codec_buf *b, struct codec_hash *out)
{
	const struct graph *g = w->g;

	b->len = 0;
	codec_put_u8(b, CTX_VERSION);
	codec_put_u8(b, w->r->ns[x] & VIEW_REACHED);
	w->x = x;
	w->n = 0;
	w->seen[x] = x + 1;
	walk_ups(w, x);
	for (size_t i = 0; i < n; i++)
		if (f[i].kind == F_MOUNT)
			walk_push(w, f[i].m->mntns);
	for (size_t q = 0; q < w->n; q++) {
		uint32_t c = w->queue[q];

		codec_put_u8(b, 'u');
		codec_put_uv(b, g->ns[c].key.dev);
		codec_put_uv(b, g->ns[c].key.ino);
		codec_put_bytes(b, w->ns_h[c].b, CODEC_HASH_LEN);
		codec_put_u8(b, w->r->ns[c] & VIEW_REACHED);
		walk_ups(w, c);
	}
	for (size_t i = 0; i < n; i++) {
		codec_put_u8(b, f[i].kind);
		if (f[i].kind == F_MOUNT) {
			const struct ns_key k = g->ns[f[i].m->mntns].key;
			codec_put_uv(b, k.dev);
			codec_put_uv(b, k.ino);
			codec_put_str(b, f[i].m->path);
			continue;
		}
		codec_put_sv(b, f[i].p->pid);
		codec_put_uv(b, f[i].p->start_time);
		if (f[i].kind == F_FD)
			codec_put_sv(b, f[i].fd);
	}
	codec_hash(b->data, b->len, out);
}

int sto_nsidx_contexts(const struct graph *g, const struct codec_hash *ns_h,
		       uint32_t only, struct codec_hash *out)
{
	struct view_opts vo;
	struct view_reach r;
	struct facts f = { .g = g, .only = only };
	struct walk w = { .g = g, .ns_h = ns_h, .r = &r };
	struct codec_buf b;
	int ret;

	diff_history_scan(&vo);
	ret = view_reach(g, &vo, &r);
	if (ret)
		return ret == -EBADMSG ? STORE_EGRAPH : ret;
	codec_buf_init(&b);
	w.seen = calloc(g->nns + 1, sizeof(*w.seen));
	w.queue = malloc((g->nns + 1) * sizeof(*w.queue));
	facts_collect(&f, &r);
	ret = f.err ? f.err : !w.seen || !w.queue ? -ENOMEM : 0;
	size_t i = 0;
	for (uint32_t x = 0; !ret && x < g->nns; x++) {
		size_t j = i;

		while (j < f.n && f.v[j].ns == x)
			j++;
		if (only == GRAPH_NONE || x == only)
			ctx_one(&w, x, f.v + i, j - i, &b, &out[x]);
		i = j;
	}
	if (!ret)
		ret = b.err;
	codec_buf_free(&b);
	free(w.seen);
	free(w.queue);
	free(f.v);
	view_reach_release(&r);
	return ret;
}
