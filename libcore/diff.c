/*
 * diff.c — semantic comparison of namespace graphs, and its printers.
 *
 * Three passes: the scope of each graph (what nsshow would discover with
 * the same options), the judgement of every namespace of A against the
 * namespace holding its key in B (same, replaced, absent), then a merge of
 * the two process lists by PID and start time that yields process,
 * membership and pin changes.  Changes are collected unordered and sorted
 * once at the end, so their order never depends on the order of the
 * graphs' arrays.
 */
#include "diff.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "view.h"

static const char *const kind_names[DIFF_NKINDS] = {
	[DIFF_BORN] = "born",         [DIFF_GONE] = "gone",
	[DIFF_REPLACED] = "replaced", [DIFF_OWNER] = "owner",
	[DIFF_PARENT] = "parent",     [DIFF_CREATOR] = "creator",
	[DIFF_UID_MAP] = "uid_map",   [DIFF_GID_MAP] = "gid_map",
	[DIFF_STARTED] = "started",   [DIFF_ENDED] = "ended",
	[DIFF_JOINED] = "joined",     [DIFF_LEFT] = "left",
	[DIFF_PINNED] = "pinned",     [DIFF_UNPINNED] = "unpinned",
};

static const char *const pin_names[] = {
	[DIFF_PIN_NONE] = "none", [DIFF_PIN_FD] = "fd",
	[DIFF_PIN_MOUNT] = "mount",
	[DIFF_PIN_PID_FOR_CHILDREN] = "pid_for_children",
	[DIFF_PIN_TIME_FOR_CHILDREN] = "time_for_children",
};

const char *diff_kind_name(enum diff_kind kind)
{
	return (unsigned)kind < DIFF_NKINDS ? kind_names[kind] : "?";
}

static bool is_side_a(enum diff_kind k)
{
	return k == DIFF_GONE || k == DIFF_ENDED || k == DIFF_LEFT ||
	       k == DIFF_UNPINNED;
}

static bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static bool key_eq(struct ns_key a, struct ns_key b)
{
	return a.dev == b.dev && a.ino == b.ino;
}

static int write_status(FILE *out)
{
	if (fflush(out) || ferror(out))
		return errno ? -errno : -EIO;
	return 0;
}

/* ---- scope ------------------------------------------------------------ */

#define SC_REACHED  0x01u /* discovered, as nsshow would */
#define SC_REPORTED 0x02u /* and of a type the options report */
#define SC_MNTNS    0x04u /* the mount namespace of a scanned member */

struct side {
	const struct graph *g;
	uint8_t *scope;
	const struct graph_proc **procs; /* scanned, by (pid, start) */
	size_t nprocs;
};

static uint32_t scan_types(const struct diff_opts *o)
{
	return o->pidns ? NS_TYPE_BIT(NS_PID) : NS_ALL_TYPES;
}

static bool type_reported(const struct diff_opts *o, unsigned type)
{
	if (o->pidns)
		return type == NS_PID;
	return type == NS_USER || !o->types || (o->types & NS_TYPE_BIT(type));
}

/*
 * A process of the /proc listing.  A graph captured for a few IDs only has
 * no listing: then every process it holds counts.  The capturing process
 * (nsnap, or nsdiff capturing "live") is an artifact of the snapshot, not
 * part of the world: with a new PID in every snapshot it would make two
 * captures of an unchanged system differ.
 */
static bool proc_scanned(const struct graph *g, const struct graph_proc *p)
{
	if (g->meta.capturer_pid > 0 && p->pid == g->meta.capturer_pid)
		return false;
	return !(g->meta.collected & GRAPH_HAVE_ALL_PROCS) ||
	       (p->flags & GRAPH_PROC_LISTED);
}

/* Mark NS and its ancestors: owners, or PID parents with pidns.  Indexes
 * were checked by check_graph(). */
static void reach(const struct graph *g, const struct diff_opts *o,
		  uint8_t *scope, uint32_t ns)
{
	while (ns != GRAPH_NONE && !(scope[ns] & SC_REACHED)) {
		const struct graph_ns *n = &g->ns[ns];

		scope[ns] |= SC_REACHED;
		if (o->pidns)
			ns = n->parent_err == 0 ? n->parent : GRAPH_NONE;
		else
			ns = n->owner_err == 0 ? n->owner : GRAPH_NONE;
	}
}

/* In the PID view only PID namespaces are pinned (as in view.c). */
static int reach_pin(const struct graph *g, const struct diff_opts *o,
		     uint8_t *scope, uint32_t ns)
{
	if (ns == GRAPH_NONE)
		return 0;
	if (ns >= g->nns)
		return -EBADMSG;
	if (o->pidns && g->ns[ns].type != NS_PID)
		return 0;
	reach(g, o, scope, ns);
	return 0;
}

static int reach_links(const struct graph *g, const struct diff_opts *o,
		       uint8_t *scope, const struct graph_links *l)
{
	uint32_t types = scan_types(o);
	int rc;

	for (unsigned t = 0; t < NS_NTYPES; t++) {
		if (l->err[t] || l->ns[t] == GRAPH_NONE)
			continue;
		if (l->ns[t] >= g->nns)
			return -EBADMSG;
		if (types & NS_TYPE_BIT(t))
			reach(g, o, scope, l->ns[t]);
	}
	if (l->err[NS_MNT] == 0 && l->ns[NS_MNT] != GRAPH_NONE)
		scope[l->ns[NS_MNT]] |= SC_MNTNS;
	if (!o->deep_scan)
		return 0;
	if ((rc = reach_pin(g, o, scope, l->pid_for_children)))
		return rc;
	return reach_pin(g, o, scope, l->time_for_children);
}

/* Every index a graph holds is checked here, once, before any use. */
static int check_graph(const struct graph *g)
{
	for (size_t i = 0; i < g->nns; i++) {
		const struct graph_ns *n = &g->ns[i];

		if (n->type >= NS_NTYPES ||
		    (n->owner != GRAPH_NONE && n->owner >= g->nns) ||
		    (n->parent != GRAPH_NONE && n->parent >= g->nns))
			return -EBADMSG;
	}
	for (size_t i = 0; i < g->nprocs; i++) {
		const struct graph_proc *p = &g->procs[i];

		if (p->first_task > g->ntasks || p->ntasks > g->ntasks - p->first_task ||
		    p->first_fd > g->nfds || p->nfds > g->nfds - p->first_fd)
			return -EBADMSG;
	}
	for (size_t i = 0; i < g->nfds; i++)
		if (g->fds[i].ns != GRAPH_NONE && g->fds[i].ns >= g->nns)
			return -EBADMSG;
	for (size_t i = 0; i < g->nmounts; i++) {
		const struct graph_mount *m = &g->mounts[i];

		if (m->mntns >= g->nns || (m->ns != GRAPH_NONE && m->ns >= g->nns) ||
		    !m->path)
			return -EBADMSG;
	}
	return 0;
}

static int cmp_procs(const void *x, const void *y)
{
	const struct graph_proc *a = *(const struct graph_proc *const *)x;
	const struct graph_proc *b = *(const struct graph_proc *const *)y;

	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	return (a->start_time > b->start_time) - (a->start_time < b->start_time);
}

static int side_build(struct side *s, const struct graph *g,
		      const struct diff_opts *o)
{
	int rc;

	s->g = g;
	if ((rc = check_graph(g)))
		return rc;
	s->scope = calloc(g->nns + 1, 1);
	s->procs = malloc((g->nprocs + 1) * sizeof(*s->procs));
	if (!s->scope || !s->procs)
		return -ENOMEM;

	for (size_t i = 0; i < g->nprocs; i++) {
		const struct graph_proc *p = &g->procs[i];

		if (!proc_scanned(g, p))
			continue;
		s->procs[s->nprocs++] = p;
		if (!o->search_tasks) {
			rc = reach_links(g, o, s->scope, &p->links);
		} else if (p->task_err == 0) {
			for (uint32_t k = 0; k < p->ntasks && !rc; k++)
				rc = reach_links(g, o, s->scope,
						 &g->tasks[p->first_task + k].links);
		}
		if (rc)
			return rc;
		if (o->deep_scan && p->fd_err == 0)
			for (uint32_t k = 0; k < p->nfds; k++)
				if ((rc = reach_pin(g, o, s->scope,
						    g->fds[p->first_fd + k].ns)))
					return rc;
	}
	if (o->deep_scan)
		for (size_t i = 0; i < g->nmounts; i++)
			if ((s->scope[g->mounts[i].mntns] & SC_MNTNS) &&
			    (rc = reach_pin(g, o, s->scope, g->mounts[i].ns)))
				return rc;
	for (size_t i = 0; i < g->nns; i++)
		if ((s->scope[i] & SC_REACHED) && type_reported(o, g->ns[i].type))
			s->scope[i] |= SC_REPORTED;
	qsort(s->procs, s->nprocs, sizeof(*s->procs), cmp_procs);
	return 0;
}

static void side_release(struct side *s)
{
	free(s->scope);
	free(s->procs);
}

/* ---- judging namespaces ------------------------------------------------ */

enum { MS_UNSEEN, MS_BUSY, MS_ABSENT, MS_SAME, MS_REPLACED };

struct differ {
	const struct diff_opts *o;
	struct diff *d;
	struct side a, b;
	uint8_t *state;        /* per A namespace: MS_* */
	uint8_t *weak_a;       /* per A namespace: judged without IDs */
	uint8_t *weak_b;
	uint32_t *stack;
	size_t cap_changes;
	int err;               /* sticky -errno */
};

static bool has_id(const struct graph_ns *n)
{
	return n->flags & GRAPH_NS_HAS_ID;
}

/* The namespace of B with the key of A's IA, when B's scan reached it. */
static uint32_t counterpart(const struct differ *x, uint32_t ia)
{
	uint32_t ib = graph_ns_find(x->b.g, x->a.g->ns[ia].key);

	return ib != GRAPH_NONE && (x->b.scope[ib] & SC_REACHED) ? ib : GRAPH_NONE;
}

/*
 * For a weak match: do the links UA (error EA) of A and UB (EB) of B name
 * the same namespace?  1 yes, 0 no, -1 when UA must be judged first (*dep).
 * A link one side could not read is no evidence either way.
 */
static int ups_agree(const struct differ *x, uint32_t ua, int32_t ea,
		     uint32_t ub, int32_t eb, uint32_t *dep)
{
	if (ea || eb || ua == GRAPH_NONE || ub == GRAPH_NONE)
		return 1;
	const struct graph_ns *na = &x->a.g->ns[ua], *nb = &x->b.g->ns[ub];
	if (!key_eq(na->key, nb->key))
		return 0;
	if (has_id(na) && has_id(nb))
		return na->kernel_id == nb->kernel_id;
	if (!(x->a.scope[ua] & SC_REACHED))
		return 1;
	switch (x->state[ua]) {
	case MS_UNSEEN:
		*dep = ua;
		return -1;
	case MS_BUSY:   /* a loop of owners: only a corrupt graph has one */
	case MS_SAME:
		return 1;
	default:
		return 0;
	}
}

/* MS_ABSENT, MS_SAME or MS_REPLACED for IA; -1 with *dep to judge first. */
static int decide(struct differ *x, uint32_t ia, uint32_t *dep)
{
	uint32_t ib = counterpart(x, ia);
	int r;

	if (ib == GRAPH_NONE)
		return MS_ABSENT;
	const struct graph_ns *na = &x->a.g->ns[ia], *nb = &x->b.g->ns[ib];
	if (has_id(na) && has_id(nb)) {
		x->weak_a[ia] = x->weak_b[ib] = 0;
		return na->kernel_id == nb->kernel_id && na->type == nb->type
		       ? MS_SAME : MS_REPLACED;
	}
	x->weak_a[ia] = x->weak_b[ib] = 1;
	if (na->type != nb->type)
		return MS_REPLACED;
	if ((na->flags & nb->flags & GRAPH_NS_HAS_CREATOR) &&
	    na->creator_uid != nb->creator_uid)
		return MS_REPLACED;
	r = ups_agree(x, na->owner, na->owner_err, nb->owner, nb->owner_err, dep);
	if (r <= 0)
		return r < 0 ? -1 : MS_REPLACED;
	if (na->type == NS_PID) {
		r = ups_agree(x, na->parent, na->parent_err, nb->parent,
			      nb->parent_err, dep);
		if (r <= 0)
			return r < 0 ? -1 : MS_REPLACED;
	}
	return MS_SAME;
}

/*
 * Judge IA after the owners it depends on, with an explicit stack: owner
 * chains come from stored data and must not set the recursion depth.
 * Every push turns an unseen namespace busy, so nns entries suffice.
 */
static void judge(struct differ *x, uint32_t start)
{
	size_t n = 0;

	if (x->state[start] != MS_UNSEEN)
		return;
	x->state[start] = MS_BUSY;
	x->stack[n++] = start;
	while (n) {
		uint32_t ia = x->stack[n - 1], dep = GRAPH_NONE;
		int r = decide(x, ia, &dep);

		if (r < 0) {
			x->state[dep] = MS_BUSY;
			x->stack[n++] = dep;
			continue;
		}
		x->state[ia] = (uint8_t)r;
		n--;
	}
}

/* Is A's IA the same namespace as B's IB? */
static bool same_ns(const struct differ *x, uint32_t ia, uint32_t ib)
{
	if (ia == GRAPH_NONE || ib == GRAPH_NONE)
		return ia == ib;
	if (x->d->a_to_b[ia] != GRAPH_NONE)
		return x->d->a_to_b[ia] == ib;
	if (x->state[ia] != MS_UNSEEN)
		return false;
	/* Outside the compared scope: by key, and by ID when both have one. */
	const struct graph_ns *na = &x->a.g->ns[ia], *nb = &x->b.g->ns[ib];
	return key_eq(na->key, nb->key) && na->type == nb->type &&
	       (!has_id(na) || !has_id(nb) || na->kernel_id == nb->kernel_id);
}

/* ---- collecting changes ------------------------------------------------ */

static struct diff_change *add_change(struct differ *x, enum diff_kind kind)
{
	struct diff *d = x->d;

	if (x->err)
		return NULL;
	if (d->nchanges == x->cap_changes) {
		size_t cap = x->cap_changes ? x->cap_changes * 2 : 64;
		struct diff_change *p = realloc(d->changes, cap * sizeof(*p));
		if (!p) {
			x->err = -ENOMEM;
			return NULL;
		}
		d->changes = p;
		x->cap_changes = cap;
	}
	struct diff_change *c = &d->changes[d->nchanges++];
	*c = (struct diff_change){
		.kind = kind, .a_ns = GRAPH_NONE, .b_ns = GRAPH_NONE,
		.mntns = GRAPH_NONE,
	};
	return c;
}

/* A change about namespace NS of graph G (the side of its kind). */
static struct diff_change *ns_change(struct differ *x, enum diff_kind kind,
				     const struct graph *g, uint32_t ns)
{
	struct diff_change *c = add_change(x, kind);

	if (!c)
		return NULL;
	c->type = g->ns[ns].type;
	c->key = g->ns[ns].key;
	if (g == x->a.g) {
		c->a_ns = ns;
		if (x->weak_a[ns])
			c->flags |= DIFF_C_WEAK;
	} else {
		c->b_ns = ns;
		if (x->weak_b[ns])
			c->flags |= DIFF_C_WEAK;
	}
	return c;
}

/* Do the owner (or parent) links of a matched pair differ? */
static bool up_changed(const struct differ *x, uint32_t ua, int32_t ea,
		       uint32_t ub, int32_t eb)
{
	if (ea == ENODATA || eb == ENODATA)
		return false;   /* not collected on one side */
	if (ea != eb)
		return true;    /* e.g. out of sight in one capture only */
	return ea == 0 && !same_ns(x, ua, ub);
}

static void attr_change(struct differ *x, enum diff_kind kind, uint32_t ia,
			uint32_t ib)
{
	struct diff_change *c = ns_change(x, kind, x->b.g, ib);

	if (c)
		c->a_ns = ia;
}

static void compare_matched(struct differ *x, uint32_t ia, uint32_t ib)
{
	const struct graph_ns *na = &x->a.g->ns[ia], *nb = &x->b.g->ns[ib];

	if (up_changed(x, na->owner, na->owner_err, nb->owner, nb->owner_err))
		attr_change(x, DIFF_OWNER, ia, ib);
	if (nb->type == NS_PID &&
	    up_changed(x, na->parent, na->parent_err, nb->parent, nb->parent_err))
		attr_change(x, DIFF_PARENT, ia, ib);
	if (nb->type != NS_USER)
		return;
	if ((na->flags & nb->flags & GRAPH_NS_HAS_CREATOR) &&
	    na->creator_uid != nb->creator_uid)
		attr_change(x, DIFF_CREATOR, ia, ib);
	/* A map that could not be read on one side is unknown, not changed. */
	if (na->uid_map && nb->uid_map && strcmp(na->uid_map, nb->uid_map))
		attr_change(x, DIFF_UID_MAP, ia, ib);
	if (na->gid_map && nb->gid_map && strcmp(na->gid_map, nb->gid_map))
		attr_change(x, DIFF_GID_MAP, ia, ib);
}

static void namespace_changes(struct differ *x)
{
	const struct graph *a = x->a.g, *b = x->b.g;

	for (uint32_t ia = 0; ia < a->nns; ia++) {
		if (!(x->a.scope[ia] & SC_REACHED))
			continue;
		uint32_t ib = counterpart(x, ia);
		bool reported = (x->a.scope[ia] & SC_REPORTED) ||
				(ib != GRAPH_NONE && (x->b.scope[ib] & SC_REPORTED));

		if (x->state[ia] == MS_SAME) {
			if (reported)
				compare_matched(x, ia, ib);
		} else if (x->state[ia] == MS_REPLACED) {
			if (reported) {
				struct diff_change *c = ns_change(x, DIFF_REPLACED, b, ib);
				if (c)
					c->a_ns = ia;
			}
		} else if (x->a.scope[ia] & SC_REPORTED) {
			ns_change(x, DIFF_GONE, a, ia);
		}
	}
	for (uint32_t ib = 0; ib < b->nns; ib++) {
		if (!(x->b.scope[ib] & SC_REPORTED) || x->d->b_to_a[ib] != GRAPH_NONE)
			continue;
		uint32_t ia = graph_ns_find(a, b->ns[ib].key);
		if (ia != GRAPH_NONE && x->state[ia] == MS_REPLACED)
			continue;   /* reported as replaced above */
		ns_change(x, DIFF_BORN, b, ib);
	}
}

/* A process, or with search_tasks a thread, as a member. */
struct member {
	int32_t pid, tid;
	uint64_t start;
	const char *comm;
	unsigned flags;       /* DIFF_C_NEWPROC / DIFF_C_ENDPROC */
};

static struct diff_change *member_change(struct differ *x, enum diff_kind kind,
					 const struct graph *g, uint32_t ns,
					 const struct member *m)
{
	struct diff_change *c = ns_change(x, kind, g, ns);

	if (c) {
		c->pid = m->pid;
		c->tid = m->tid;
		c->start = m->start;
		c->comm = m->comm;
		c->flags |= m->flags;
	}
	return c;
}

/* The namespace a *_for_children link pins: only one unlike its own. */
static uint32_t child_pin(const struct graph_links *l, unsigned type)
{
	uint32_t pin = type == NS_PID ? l->pid_for_children : l->time_for_children;

	if (pin == GRAPH_NONE || (l->err[type] == 0 && l->ns[type] == pin))
		return GRAPH_NONE;
	return pin;
}

static void child_pins(struct differ *x, const struct graph_links *la,
		       const struct graph_links *lb, const struct member *ma,
		       const struct member *mb)
{
	static const unsigned types[] = { NS_PID, NS_TIME };

	for (size_t i = 0; i < 2; i++) {
		enum diff_pin kind = types[i] == NS_PID ? DIFF_PIN_PID_FOR_CHILDREN
							: DIFF_PIN_TIME_FOR_CHILDREN;
		uint32_t pa = la ? child_pin(la, types[i]) : GRAPH_NONE;
		uint32_t pb = lb ? child_pin(lb, types[i]) : GRAPH_NONE;

		if (same_ns(x, pa, pb))
			continue;
		struct diff_change *c;

		if (pa != GRAPH_NONE && (x->a.scope[pa] & SC_REPORTED) &&
		    (c = member_change(x, DIFF_UNPINNED, x->a.g, pa, ma)))
			c->pin = kind;
		if (pb != GRAPH_NONE && (x->b.scope[pb] & SC_REPORTED) &&
		    (c = member_change(x, DIFF_PINNED, x->b.g, pb, mb)))
			c->pin = kind;
	}
}

/*
 * One member's links in A (LA) and B (LB); either NULL when the member does
 * not exist there.  A link unreadable where the member exists tells
 * nothing, so that type is skipped.
 */
static void links_diff(struct differ *x, const struct graph_links *la,
		       const struct graph_links *lb, const struct member *ma,
		       const struct member *mb)
{
	uint32_t types = scan_types(x->o);

	for (unsigned t = 0; t < NS_NTYPES && !x->o->no_pids; t++) {
		bool ka = la && la->err[t] == 0 && la->ns[t] != GRAPH_NONE;
		bool kb = lb && lb->err[t] == 0 && lb->ns[t] != GRAPH_NONE;

		if (!(types & NS_TYPE_BIT(t)) || (la && !ka) || (lb && !kb))
			continue;
		if (ka && kb && same_ns(x, la->ns[t], lb->ns[t]))
			continue;
		if (ka && (x->a.scope[la->ns[t]] & SC_REPORTED))
			member_change(x, DIFF_LEFT, x->a.g, la->ns[t], ma);
		if (kb && (x->b.scope[lb->ns[t]] & SC_REPORTED))
			member_change(x, DIFF_JOINED, x->b.g, lb->ns[t], mb);
	}
	if (x->o->deep_scan)
		child_pins(x, la, lb, ma, mb);
}

static struct member proc_member(const struct graph_proc *p, unsigned flags)
{
	return (struct member){
		.pid = p ? p->pid : 0, .start = p ? p->start_time : 0,
		.comm = p ? p->comm : NULL, .flags = flags,
	};
}

static int cmp_tasks(const void *x, const void *y)
{
	int32_t a = (*(const struct graph_task *const *)x)->tid;
	int32_t b = (*(const struct graph_task *const *)y)->tid;
	return (a > b) - (a < b);
}

/* The threads of P sorted by TID into *out (n of them); 0 or -ENOMEM. */
static int sorted_tasks(const struct graph *g, const struct graph_proc *p,
			const struct graph_task ***out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!p || p->task_err || !p->ntasks)
		return 0;
	*out = malloc(p->ntasks * sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (uint32_t k = 0; k < p->ntasks; k++)
		(*out)[k] = &g->tasks[p->first_task + k];
	*n = p->ntasks;
	qsort(*out, *n, sizeof(**out), cmp_tasks);
	return 0;
}

static void tasks_diff(struct differ *x, const struct graph_proc *pa,
		       const struct graph_proc *pb)
{
	const struct graph_task **ta = NULL, **tb = NULL;
	size_t na = 0, nb = 0, i = 0, j = 0;

	/* A thread list unreadable on one side: nothing to compare with. */
	if (pa && pb && (pa->task_err || pb->task_err))
		return;
	if (sorted_tasks(x->a.g, pa, &ta, &na) ||
	    sorted_tasks(x->b.g, pb, &tb, &nb)) {
		x->err = -ENOMEM;
		goto out;
	}
	while (i < na || j < nb) {
		const struct graph_task *a = i < na ? ta[i] : NULL;
		const struct graph_task *b = j < nb ? tb[j] : NULL;
		struct member ma = proc_member(pa, pb ? 0 : DIFF_C_ENDPROC);
		struct member mb = proc_member(pb, pa ? 0 : DIFF_C_NEWPROC);

		if (a && b && a->tid != b->tid) {
			if (a->tid < b->tid)
				b = NULL;
			else
				a = NULL;
		}
		if (a) {
			ma.tid = a->tid;
			ma.comm = a->comm;
			i++;
		}
		if (b) {
			mb.tid = b->tid;
			mb.comm = b->comm;
			j++;
		}
		links_diff(x, a ? &a->links : NULL, b ? &b->links : NULL, &ma, &mb);
	}
out:
	free(ta);
	free(tb);
}

static bool fd_in(const struct differ *x, const struct graph_fd *f,
		  const struct graph *g, const struct graph_proc *p, bool in_b)
{
	for (uint32_t k = 0; p && k < p->nfds; k++) {
		const struct graph_fd *o = &g->fds[p->first_fd + k];

		if (o->fd == f->fd && (in_b ? same_ns(x, f->ns, o->ns)
					    : same_ns(x, o->ns, f->ns)))
			return true;
	}
	return false;
}

static void fd_pin_changes(struct differ *x, const struct graph_proc *pa,
			   const struct graph_proc *pb)
{
	const struct side *sides[2] = { &x->a, &x->b };
	const struct graph_proc *procs[2] = { pa, pb };

	/* An fd list unreadable on one side: nothing to compare with. */
	if (pa && pb && (pa->fd_err || pb->fd_err))
		return;
	for (int s = 0; s < 2; s++) {
		const struct graph_proc *p = procs[s], *other = procs[!s];
		const struct graph *g = sides[s]->g;

		if (!p || p->fd_err)
			continue;
		for (uint32_t k = 0; k < p->nfds; k++) {
			const struct graph_fd *f = &g->fds[p->first_fd + k];

			if (f->ns == GRAPH_NONE || !(sides[s]->scope[f->ns] & SC_REPORTED) ||
			    fd_in(x, f, sides[!s]->g, other, s == 0))
				continue;
			struct member m = proc_member(p, 0);
			struct diff_change *c = member_change(
				x, s ? DIFF_PINNED : DIFF_UNPINNED, g, f->ns, &m);
			if (c) {
				c->pin = DIFF_PIN_FD;
				c->fd = f->fd;
			}
		}
	}
}

static void proc_pair(struct differ *x, const struct graph_proc *pa,
		      const struct graph_proc *pb)
{
	if (!x->o->no_pids && (!pa || !pb)) {
		const struct graph_proc *p = pa ? pa : pb;
		struct diff_change *c = add_change(x, pa ? DIFF_ENDED : DIFF_STARTED);

		if (c) {
			c->pid = p->pid;
			c->start = p->start_time;
			c->comm = p->comm;
		}
	}
	if (x->o->search_tasks) {
		tasks_diff(x, pa, pb);
	} else {
		struct member ma = proc_member(pa, pb ? 0 : DIFF_C_ENDPROC);
		struct member mb = proc_member(pb, pa ? 0 : DIFF_C_NEWPROC);
		links_diff(x, pa ? &pa->links : NULL, pb ? &pb->links : NULL, &ma, &mb);
	}
	if (x->o->deep_scan)
		fd_pin_changes(x, pa, pb);
}

/* Merge the two process lists: a PID with another start time is another
 * process; an unknown (0) start time matches any. */
static void process_changes(struct differ *x)
{
	size_t i = 0, j = 0;

	while ((i < x->a.nprocs || j < x->b.nprocs) && !x->err) {
		const struct graph_proc *pa = i < x->a.nprocs ? x->a.procs[i] : NULL;
		const struct graph_proc *pb = j < x->b.nprocs ? x->b.procs[j] : NULL;

		if (pa && pb) {
			if (pa->pid != pb->pid) {
				if (pa->pid < pb->pid)
					pb = NULL;
				else
					pa = NULL;
			} else if (pa->start_time != pb->start_time &&
				   pa->start_time && pb->start_time) {
				if (pa->start_time < pb->start_time)
					pb = NULL;
				else
					pa = NULL;
			}
		}
		i += pa != NULL;
		j += pb != NULL;
		proc_pair(x, pa, pb);
	}
}

static bool mount_in(const struct differ *x, const struct graph_mount *m,
		     const struct graph *g, bool in_b)
{
	for (size_t i = 0; i < g->nmounts; i++) {
		const struct graph_mount *o = &g->mounts[i];

		if (o->ns == GRAPH_NONE || strcmp(o->path, m->path))
			continue;
		if (in_b ? same_ns(x, m->mntns, o->mntns) && same_ns(x, m->ns, o->ns)
			 : same_ns(x, o->mntns, m->mntns) && same_ns(x, o->ns, m->ns))
			return true;
	}
	return false;
}

static void mount_changes(struct differ *x)
{
	const struct side *sides[2] = { &x->a, &x->b };

	for (int s = 0; s < 2; s++) {
		const struct side *sd = sides[s];

		for (size_t i = 0; i < sd->g->nmounts; i++) {
			const struct graph_mount *m = &sd->g->mounts[i];

			if (m->ns == GRAPH_NONE || !(sd->scope[m->mntns] & SC_MNTNS) ||
			    !(sd->scope[m->ns] & SC_REPORTED) ||
			    mount_in(x, m, sides[!s]->g, s == 0))
				continue;
			struct diff_change *c = ns_change(x, s ? DIFF_PINNED : DIFF_UNPINNED,
							  sd->g, m->ns);
			if (c) {
				c->pin = DIFF_PIN_MOUNT;
				c->mntns = m->mntns;
				c->path = m->path;
			}
		}
	}
}

/* ---- ordering ------------------------------------------------------------ */

#define CMP(a, b) do { if ((a) != (b)) return (a) < (b) ? -1 : 1; } while (0)

static int cmp_changes(const void *x, const void *y, void *ctx)
{
	const struct diff_change *a = x, *b = y;
	const struct diff *d = ctx;

	CMP(a->kind, b->kind);
	CMP(a->type, b->type);
	CMP(a->key.dev, b->key.dev);
	CMP(a->key.ino, b->key.ino);
	CMP(a->pid, b->pid);
	CMP(a->tid, b->tid);
	CMP(a->start, b->start);
	CMP(a->pin, b->pin);
	CMP(a->fd, b->fd);
	if (a->mntns != GRAPH_NONE && b->mntns != GRAPH_NONE) {
		const struct graph *g = is_side_a(a->kind) ? d->a : d->b;
		CMP(g->ns[a->mntns].key.ino, g->ns[b->mntns].key.ino);
	}
	if (a->path && b->path) {
		int r = strcmp(a->path, b->path);
		if (r)
			return r;
	}
	CMP(a->a_ns, b->a_ns);
	CMP(a->b_ns, b->b_ns);
	return 0;
}

/* ---- entry points -------------------------------------------------------- */

int diff_graphs(const struct graph *a, const struct graph *b,
		const struct diff_opts *o, struct diff *out)
{
	static const struct diff_opts defaults;
	struct differ x = { .o = o ? o : &defaults, .d = out };
	int rc;

	memset(out, 0, sizeof(*out));
	out->a = a;
	out->b = b;
	out->opts = *x.o;
	if (!str_eq(a->meta.hostname, b->meta.hostname))
		out->flags |= DIFF_OTHER_HOST;
	if (!str_eq(a->meta.boot_id, b->meta.boot_id))
		out->flags |= DIFF_OTHER_BOOT;

	if ((rc = side_build(&x.a, a, x.o)) || (rc = side_build(&x.b, b, x.o)))
		goto out;
	rc = -ENOMEM;
	out->a_to_b = malloc((a->nns + 1) * sizeof(*out->a_to_b));
	out->b_to_a = malloc((b->nns + 1) * sizeof(*out->b_to_a));
	x.state = calloc(a->nns + 1, 1);
	x.weak_a = calloc(a->nns + 1, 1);
	x.weak_b = calloc(b->nns + 1, 1);
	x.stack = malloc((a->nns + 1) * sizeof(*x.stack));
	if (!out->a_to_b || !out->b_to_a || !x.state || !x.weak_a || !x.weak_b ||
	    !x.stack)
		goto out;
	memset(out->a_to_b, 0xff, (a->nns + 1) * sizeof(*out->a_to_b));
	memset(out->b_to_a, 0xff, (b->nns + 1) * sizeof(*out->b_to_a));

	for (uint32_t ia = 0; ia < a->nns; ia++)
		if (x.a.scope[ia] & SC_REACHED)
			judge(&x, ia);
	for (uint32_t ia = 0; ia < a->nns; ia++) {
		if (x.state[ia] != MS_SAME)
			continue;
		uint32_t ib = counterpart(&x, ia);
		out->a_to_b[ia] = ib;
		out->b_to_a[ib] = ia;
		out->nmatched++;
		out->nweak += x.weak_a[ia];
	}

	namespace_changes(&x);
	process_changes(&x);
	if (x.o->deep_scan)
		mount_changes(&x);
	rc = x.err;
	if (!rc && out->nchanges)
		qsort_r(out->changes, out->nchanges, sizeof(*out->changes),
			cmp_changes, out);
out:
	free(x.stack);
	free(x.weak_b);
	free(x.weak_a);
	free(x.state);
	side_release(&x.b);
	side_release(&x.a);
	if (rc)
		diff_release(out);
	return rc;
}

void diff_release(struct diff *d)
{
	free(d->changes);
	free(d->a_to_b);
	free(d->b_to_a);
	memset(d, 0, sizeof(*d));
}

/* ---- text helpers -------------------------------------------------------- */

const char *diff_format_time(int64_t time_ns, char *buf, size_t len)
{
	if (!text_rfc3339(time_ns, false, buf, len))
		snprintf(buf, len, "?");
	return buf;
}

static bool plain_char(unsigned char c)
{
	return c > ' ' && c < 0x7f && c != '"' && c != '\\';
}

static void put_escaped_char(FILE *out, unsigned char c)
{
	switch (c) {
	case '"':  fputs("\\\"", out); break;
	case '\\': fputs("\\\\", out); break;
	case '\n': fputs("\\n", out); break;
	case '\t': fputs("\\t", out); break;
	default:
		if (c < ' ' || c >= 0x7f)
			fprintf(out, "\\x%02x", c);
		else
			fputc(c, out);
	}
}

/* N bytes with C escapes: a text_write_fn. */
static void put_escaped(FILE *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put_escaped_char(out, (unsigned char)s[i]);
}

/*
 * A list value: bare when it is one plain word, so that "comm=sleep" can be
 * grepped as typed; else quoted with C escapes, so that a line is always
 * one line and blanks always separate fields.
 */
static void put_value(FILE *out, const char *s)
{
	bool plain = *s != '\0';

	for (const char *p = s; *p && plain; p++)
		plain = plain_char((unsigned char)*p);
	if (plain) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	put_escaped(out, s, strlen(s));
	fputc('"', out);
}

/*
 * The blanks of a uid/gid map: spaces, tabs and newlines.  nsshow's Go
 * rule (text_go_blanks) also squeezes \f \r and trims \v; here they are
 * data, shown escaped.  The kernel writes none of them, so the two agree
 * on every real map; an imported snapshot may differ, and nsdiff's output
 * is kept as it has always been.  Lists separate the map's lines with
 * commas; the tree and DOT squeeze newlines to a space, as nsshow does.
 */
static const struct text_blanks list_blanks = {
	.squeeze = " \t\n", .nl_sep = ',',
};
static const struct text_blanks tree_blanks = {
	.squeeze = " \t\n", .nl_sep = ' ',
};

/* A map as a list value: always quoted, lines separated by commas. */
static void put_map(FILE *out, const char *map)
{
	fputc('"', out);
	text_squeeze(out, map, &list_blanks, put_escaped);
	fputc('"', out);
}

/* "net:[4026531840]" */
static void put_ns(FILE *out, const struct graph *g, uint32_t ns)
{
	fprintf(out, "%s:[%llu]", ns_type_name(g->ns[ns].type),
		(unsigned long long)g->ns[ns].key.ino);
}

/* An owner or parent link as list text; NULL when it was not collected. */
static const char *up_text(const struct graph *g, uint32_t up, int32_t err,
			   char *buf, size_t len)
{
	if (err == ENODATA)
		return NULL;
	if (err == EPERM)
		return "invisible";
	if (err || up == GRAPH_NONE)
		return "?";
	snprintf(buf, len, "%s:[%llu]", ns_type_name(g->ns[up].type),
		 (unsigned long long)g->ns[up].key.ino);
	return buf;
}

static const char *id_text(const struct graph_ns *n, char *buf, size_t len)
{
	if (!has_id(n))
		return NULL;
	snprintf(buf, len, "%llu", (unsigned long long)n->kernel_id);
	return buf;
}

static const char *creator_text(const struct graph_ns *n, char *buf, size_t len)
{
	if (!(n->flags & GRAPH_NS_HAS_CREATOR))
		return NULL;
	snprintf(buf, len, "%u", n->creator_uid);
	return buf;
}

/* What list and events say about a namespace that comes or goes. */
static void put_ns_fields(FILE *out, const struct graph *g, uint32_t ns)
{
	const struct graph_ns *n = &g->ns[ns];
	char buf[64];
	const char *s;

	if ((s = id_text(n, buf, sizeof(buf))))
		fprintf(out, " id=%s", s);
	if ((s = up_text(g, n->owner, n->owner_err, buf, sizeof(buf))))
		fprintf(out, " owner=%s", s);
	if (n->type == NS_PID &&
	    (s = up_text(g, n->parent, n->parent_err, buf, sizeof(buf))))
		fprintf(out, " parent=%s", s);
	if ((s = creator_text(n, buf, sizeof(buf))))
		fprintf(out, " creator=%s", s);
	if (n->type == NS_USER && n->uid_map) {
		fputs(" uid_map=", out);
		put_map(out, n->uid_map);
	}
	if (n->type == NS_USER && n->gid_map) {
		fputs(" gid_map=", out);
		put_map(out, n->gid_map);
	}
}

/* "name=v" when both sides agree, else "old_name=a new_name=b". */
static void put_pair(FILE *out, const char *name, const char *old,
		     const char *new)
{
	if (!old && !new)
		return;
	if (str_eq(old, new))
		fprintf(out, " %s=%s", name, old);
	else
		fprintf(out, " old_%s=%s new_%s=%s", name, old ? old : "?", name,
			new ? new : "?");
}

static void put_replaced(FILE *out, const struct diff *d,
			 const struct diff_change *c)
{
	const struct graph_ns *na = &d->a->ns[c->a_ns], *nb = &d->b->ns[c->b_ns];
	char ba[64], bb[64];

	if (has_id(na) || has_id(nb))
		fprintf(out, " old_id=%s new_id=%s",
			has_id(na) ? id_text(na, ba, sizeof(ba)) : "?",
			has_id(nb) ? id_text(nb, bb, sizeof(bb)) : "?");
	put_pair(out, "type", ns_type_name(na->type), ns_type_name(nb->type));
	put_pair(out, "owner",
		 up_text(d->a, na->owner, na->owner_err, ba, sizeof(ba)),
		 up_text(d->b, nb->owner, nb->owner_err, bb, sizeof(bb)));
	if (na->type == NS_PID || nb->type == NS_PID)
		put_pair(out, "parent",
			 up_text(d->a, na->parent, na->parent_err, ba, sizeof(ba)),
			 up_text(d->b, nb->parent, nb->parent_err, bb, sizeof(bb)));
	put_pair(out, "creator", creator_text(na, ba, sizeof(ba)),
		 creator_text(nb, bb, sizeof(bb)));
}

static void put_proc(FILE *out, const struct diff_change *c)
{
	fprintf(out, " pid=%d", (int)c->pid);
	if (c->tid)
		fprintf(out, " tid=%d", (int)c->tid);
	fprintf(out, " start=%llu", (unsigned long long)c->start);
	if (c->comm) {
		fputs(" comm=", out);
		put_value(out, c->comm);
	}
}

/* The graph and index a change's namespace is read from. */
static const struct graph *change_graph(const struct diff *d,
					const struct diff_change *c,
					uint32_t *ns)
{
	if (is_side_a(c->kind)) {
		*ns = c->a_ns;
		return d->a;
	}
	*ns = c->b_ns;
	return d->b;
}

/* One change as a list line, without the newline. */
static void put_change(FILE *out, const struct diff *d,
		       const struct diff_change *c)
{
	uint32_t ns;
	const struct graph *g = change_graph(d, c, &ns);
	const struct graph_ns *na = c->a_ns != GRAPH_NONE ? &d->a->ns[c->a_ns] : NULL;
	const struct graph_ns *nb = c->b_ns != GRAPH_NONE ? &d->b->ns[c->b_ns] : NULL;
	char ba[64], bb[64];

	fputs(diff_kind_name(c->kind), out);
	if (c->kind != DIFF_STARTED && c->kind != DIFF_ENDED) {
		fputc(' ', out);
		put_ns(out, g, ns);
	}
	switch (c->kind) {
	case DIFF_BORN:
	case DIFF_GONE:
		put_ns_fields(out, g, ns);
		break;
	case DIFF_REPLACED:
		put_replaced(out, d, c);
		break;
	case DIFF_OWNER:
		fprintf(out, " old=%s", up_text(d->a, na->owner, na->owner_err, ba, sizeof(ba)));
		fprintf(out, " new=%s", up_text(d->b, nb->owner, nb->owner_err, bb, sizeof(bb)));
		break;
	case DIFF_PARENT:
		fprintf(out, " old=%s", up_text(d->a, na->parent, na->parent_err, ba, sizeof(ba)));
		fprintf(out, " new=%s", up_text(d->b, nb->parent, nb->parent_err, bb, sizeof(bb)));
		break;
	case DIFF_CREATOR:
		fprintf(out, " old=%u new=%u", na->creator_uid, nb->creator_uid);
		break;
	case DIFF_UID_MAP:
	case DIFF_GID_MAP:
		fputs(" old=", out);
		put_map(out, c->kind == DIFF_UID_MAP ? na->uid_map : na->gid_map);
		fputs(" new=", out);
		put_map(out, c->kind == DIFF_UID_MAP ? nb->uid_map : nb->gid_map);
		break;
	case DIFF_STARTED:
	case DIFF_ENDED:
	case DIFF_JOINED:
	case DIFF_LEFT:
		put_proc(out, c);
		break;
	case DIFF_PINNED:
	case DIFF_UNPINNED:
		fprintf(out, " by=%s", pin_names[c->pin]);
		if (c->pin == DIFF_PIN_MOUNT) {
			fputs(" mntns=", out);
			put_ns(out, g, c->mntns);
			fputs(" path=", out);
			put_value(out, c->path);
		} else {
			put_proc(out, c);
			if (c->pin == DIFF_PIN_FD)
				fprintf(out, " fd=%d", (int)c->fd);
		}
		break;
	default:
		break;
	}
	if (c->flags & DIFF_C_WEAK)
		fputs(" match=weak", out);
}

int diff_print_list(FILE *out, const struct diff *d,
		    const struct diff_print_opts *po)
{
	(void)po;
	for (size_t i = 0; i < d->nchanges; i++) {
		put_change(out, d, &d->changes[i]);
		fputc('\n', out);
	}
	return write_status(out);
}

/* ---- JSON ---------------------------------------------------------------- */

/*
 * Bytes outside ASCII come out as \u00XX, one per byte: the comm and paths
 * of a snapshot are bytes, not necessarily UTF-8.  nsdiff/1 has always
 * spelled \b \f \r as \u00XX, unlike nsshow-view; kept, so that its
 * output stays byte for byte what it was.
 */
static void json_str(FILE *out, const char *s)
{
	text_json_string(out, s);
}

static void json_u64(FILE *out, const char *key, uint64_t v)
{
	fprintf(out, ", \"%s\": \"%llu\"", key, (unsigned long long)v);
}

/* What names a namespace, left open for json_ns_detail() to add to. */
static void json_ns_open(FILE *out, const struct graph_ns *n)
{
	fprintf(out, "{\"type\": \"%s\"", ns_type_name(n->type));
	json_u64(out, "dev", n->key.dev);
	json_u64(out, "ino", n->key.ino);
	if (has_id(n))
		json_u64(out, "id", n->kernel_id);
}

static void json_ns_ref(FILE *out, const struct graph *g, uint32_t ns)
{
	json_ns_open(out, &g->ns[ns]);
	fputc('}', out);
}

/* A link: the namespace, "invisible" (EPERM), or null (unreadable). */
static void json_up(FILE *out, const struct graph *g, uint32_t up, int32_t err)
{
	if (err == EPERM)
		fputs("\"invisible\"", out);
	else if (err || up == GRAPH_NONE)
		fputs("null", out);
	else
		json_ns_ref(out, g, up);
}

static void json_ns_detail(FILE *out, const struct graph *g, uint32_t ns)
{
	const struct graph_ns *n = &g->ns[ns];

	json_ns_open(out, n);
	if (n->owner_err != ENODATA) {
		fputs(", \"owner\": ", out);
		json_up(out, g, n->owner, n->owner_err);
	}
	if (n->type == NS_PID && n->parent_err != ENODATA) {
		fputs(", \"parent\": ", out);
		json_up(out, g, n->parent, n->parent_err);
	}
	if (n->flags & GRAPH_NS_HAS_CREATOR)
		fprintf(out, ", \"creator\": %u", n->creator_uid);
	if (n->type == NS_USER && n->uid_map) {
		fputs(", \"uid_map\": ", out);
		json_str(out, n->uid_map);
	}
	if (n->type == NS_USER && n->gid_map) {
		fputs(", \"gid_map\": ", out);
		json_str(out, n->gid_map);
	}
	fputc('}', out);
}

static void json_proc(FILE *out, const struct diff_change *c)
{
	fprintf(out, ", \"pid\": %d", (int)c->pid);
	if (c->tid)
		fprintf(out, ", \"tid\": %d", (int)c->tid);
	json_u64(out, "start", c->start);
	fputs(", \"comm\": ", out);
	json_str(out, c->comm);
}

static void json_change(FILE *out, const struct diff *d,
			const struct diff_change *c)
{
	uint32_t ns;
	const struct graph *g = change_graph(d, c, &ns);
	const struct graph_ns *na = c->a_ns != GRAPH_NONE ? &d->a->ns[c->a_ns] : NULL;
	const struct graph_ns *nb = c->b_ns != GRAPH_NONE ? &d->b->ns[c->b_ns] : NULL;

	fprintf(out, "{\"kind\": \"%s\"", diff_kind_name(c->kind));
	switch (c->kind) {
	case DIFF_BORN:
	case DIFF_GONE:
		fputs(", \"ns\": ", out);
		json_ns_detail(out, g, ns);
		break;
	case DIFF_REPLACED:
		fputs(", \"old\": ", out);
		json_ns_detail(out, d->a, c->a_ns);
		fputs(", \"new\": ", out);
		json_ns_detail(out, d->b, c->b_ns);
		break;
	case DIFF_OWNER:
	case DIFF_PARENT: {
		bool owner = c->kind == DIFF_OWNER;
		fputs(", \"ns\": ", out);
		json_ns_ref(out, g, ns);
		fputs(", \"old\": ", out);
		json_up(out, d->a, owner ? na->owner : na->parent,
			owner ? na->owner_err : na->parent_err);
		fputs(", \"new\": ", out);
		json_up(out, d->b, owner ? nb->owner : nb->parent,
			owner ? nb->owner_err : nb->parent_err);
		break;
	}
	case DIFF_CREATOR:
		fputs(", \"ns\": ", out);
		json_ns_ref(out, g, ns);
		fprintf(out, ", \"old\": %u, \"new\": %u", na->creator_uid,
			nb->creator_uid);
		break;
	case DIFF_UID_MAP:
	case DIFF_GID_MAP:
		fputs(", \"ns\": ", out);
		json_ns_ref(out, g, ns);
		fputs(", \"old\": ", out);
		json_str(out, c->kind == DIFF_UID_MAP ? na->uid_map : na->gid_map);
		fputs(", \"new\": ", out);
		json_str(out, c->kind == DIFF_UID_MAP ? nb->uid_map : nb->gid_map);
		break;
	case DIFF_STARTED:
	case DIFF_ENDED:
		json_proc(out, c);
		break;
	case DIFF_JOINED:
	case DIFF_LEFT:
		fputs(", \"ns\": ", out);
		json_ns_ref(out, g, ns);
		json_proc(out, c);
		if (c->flags & DIFF_C_NEWPROC)
			fputs(", \"new_process\": true", out);
		if (c->flags & DIFF_C_ENDPROC)
			fputs(", \"ended_process\": true", out);
		break;
	case DIFF_PINNED:
	case DIFF_UNPINNED:
		fputs(", \"ns\": ", out);
		json_ns_ref(out, g, ns);
		fprintf(out, ", \"by\": \"%s\"", pin_names[c->pin]);
		if (c->pin == DIFF_PIN_MOUNT) {
			fputs(", \"mntns\": ", out);
			json_ns_ref(out, g, c->mntns);
			fputs(", \"path\": ", out);
			json_str(out, c->path);
		} else {
			json_proc(out, c);
			if (c->pin == DIFF_PIN_FD)
				fprintf(out, ", \"fd\": %d", (int)c->fd);
		}
		break;
	default:
		break;
	}
	if (c->flags & DIFF_C_WEAK)
		fputs(", \"weak\": true", out);
	fputc('}', out);
}

static void json_side(FILE *out, const char *name, const struct graph *g)
{
	char tbuf[32];

	fputs("{\"name\": ", out);
	json_str(out, name);
	fputs(", \"host\": ", out);
	json_str(out, g->meta.hostname);
	fputs(", \"boot_id\": ", out);
	json_str(out, g->meta.boot_id);
	fputs(", \"kernel\": ", out);
	json_str(out, g->meta.kernel);
	fprintf(out, ", \"time\": \"%s\"",
		diff_format_time(g->meta.start_ns, tbuf, sizeof(tbuf)));
	fprintf(out, ", \"start_ns\": \"%lld\"}", (long long)g->meta.start_ns);
}

int diff_print_json(FILE *out, const struct diff *d,
		    const struct diff_print_opts *po)
{
	fputs("{\n  \"schema\": \"nsdiff/1\",\n  \"a\": ", out);
	json_side(out, po && po->a_name ? po->a_name : "a", d->a);
	fputs(",\n  \"b\": ", out);
	json_side(out, po && po->b_name ? po->b_name : "b", d->b);
	fprintf(out, ",\n  \"other_host\": %s,\n  \"other_boot\": %s,\n",
		d->flags & DIFF_OTHER_HOST ? "true" : "false",
		d->flags & DIFF_OTHER_BOOT ? "true" : "false");
	fprintf(out, "  \"matched\": %zu,\n  \"weak_matches\": %zu,\n",
		d->nmatched, d->nweak);
	fputs("  \"changes\": [", out);
	for (size_t i = 0; i < d->nchanges; i++) {
		fputs(i ? ",\n    " : "\n    ", out);
		json_change(out, d, &d->changes[i]);
	}
	fputs(d->nchanges ? "\n  ]\n}\n" : "]\n}\n", out);
	return write_status(out);
}

/* ---- tree ---------------------------------------------------------------- */

/*
 * The tree is B's view with A's vanished namespaces grafted in: B's lines
 * give the order and depth of everything that still exists; a namespace
 * only A shows hangs under (the counterpart of) its A parent, after that
 * parent's B children.  Node 0 is a virtual root whose children are the
 * printed roots.
 */
struct tnode {
	uint32_t a_ns, b_ns;      /* graph indexes, GRAPH_NONE when absent */
	bool invisible;           /* the "[invisible ancestor user NS]" entry */
	uint32_t first, last, next;
	char mark;                /* '+', '-', '~' or ' ' */
	bool replaced;            /* its '+'/'-' comes from a replacement */
	bool below;               /* it, or something under it, changed */
	size_t size;              /* namespaces in its subtree */
	size_t first_ref, nrefs;  /* its slice of tree.refs */
};

struct tref {
	uint32_t node;
	uint32_t change;
	char mark;
};

struct tree {
	const struct diff *d;
	const struct diff_print_opts *po;
	FILE *out;
	struct tnode *nodes;
	size_t nnodes;
	uint32_t *of_a, *of_b;    /* graph index -> node */
	uint32_t invisible;
	struct tref *refs;
	size_t nrefs;
	struct tref *orphans;     /* changes no node holds */
	size_t norphans;
};

#define ESC_ "\x1b"
#define GREEN ESC_ "[32m"
#define RED ESC_ "[31m"
#define YELLOW ESC_ "[33m"
#define RESET ESC_ "[0m"

static uint32_t tree_add(struct tree *t, uint32_t parent, uint32_t a_ns,
			 uint32_t b_ns, bool invisible)
{
	uint32_t n = (uint32_t)t->nnodes++;

	t->nodes[n] = (struct tnode){
		.a_ns = a_ns, .b_ns = b_ns, .invisible = invisible,
		.first = GRAPH_NONE, .last = GRAPH_NONE, .next = GRAPH_NONE,
		.mark = ' ',
	};
	if (parent != GRAPH_NONE) {
		struct tnode *p = &t->nodes[parent];
		if (p->last == GRAPH_NONE)
			p->first = n;
		else
			t->nodes[p->last].next = n;
		p->last = n;
	}
	if (a_ns != GRAPH_NONE)
		t->of_a[a_ns] = n;
	if (b_ns != GRAPH_NONE)
		t->of_b[b_ns] = n;
	return n;
}

/* The parent of a line at DEPTH: the last line met one level up.  A depth
 * that skips a level (never produced by view.c) hangs on the deepest. */
static uint32_t line_parent(uint32_t *stack, size_t *len, unsigned depth,
			    unsigned *eff)
{
	*eff = depth < *len ? depth : (unsigned)*len;
	return *eff == 0 ? 0 : stack[*eff - 1];
}

static void tree_from_view(struct tree *t, const struct view *v, bool side_b,
			   uint32_t *stack)
{
	const struct diff *d = t->d;
	size_t len = 0;

	for (size_t i = 0; i < v->nlines; i++) {
		const struct view_line *l = &v->lines[i];
		unsigned eff;
		uint32_t parent = line_parent(stack, &len, l->depth, &eff);
		uint32_t node;

		if (l->ns == VIEW_INVISIBLE) {
			if (t->invisible == GRAPH_NONE)
				t->invisible = tree_add(t, 0, GRAPH_NONE, GRAPH_NONE, true);
			node = t->invisible;
		} else if (side_b) {
			node = tree_add(t, parent, d->b_to_a[l->ns], l->ns, false);
		} else if (d->a_to_b[l->ns] != GRAPH_NONE &&
			   t->of_b[d->a_to_b[l->ns]] != GRAPH_NONE) {
			node = t->of_b[d->a_to_b[l->ns]];
			t->of_a[l->ns] = node;
		} else {
			node = tree_add(t, parent, l->ns, GRAPH_NONE, false);
		}
		stack[eff] = node;
		len = eff + 1;
	}
}

static int cmp_refs(const void *x, const void *y)
{
	const struct tref *a = x, *b = y;

	CMP(a->node, b->node);
	CMP(a->change, b->change);
	return 0;
}

static void tree_ref(struct tree *t, uint32_t node, size_t change, char mark)
{
	struct tref r = { .node = node, .change = (uint32_t)change, .mark = mark };

	if (node == GRAPH_NONE)
		t->orphans[t->norphans++] = r;
	else
		t->refs[t->nrefs++] = r;
}

static uint32_t node_of(const uint32_t *of, uint32_t ns)
{
	return ns == GRAPH_NONE ? GRAPH_NONE : of[ns];
}

static void tree_attach(struct tree *t)
{
	const struct diff *d = t->d;

	for (size_t i = 0; i < d->nchanges; i++) {
		const struct diff_change *c = &d->changes[i];
		uint32_t na = node_of(t->of_a, c->a_ns), nb = node_of(t->of_b, c->b_ns);

		switch (c->kind) {
		case DIFF_BORN:
			tree_ref(t, nb, i, '+');
			break;
		case DIFF_GONE:
			tree_ref(t, na, i, '-');
			break;
		case DIFF_REPLACED:
			tree_ref(t, na, i, '-');
			tree_ref(t, nb, i, '+');
			break;
		case DIFF_STARTED:
		case DIFF_ENDED:
			break;   /* shown on the members' lines */
		case DIFF_JOINED:
		case DIFF_PINNED:
			tree_ref(t, nb, i, '+');
			break;
		case DIFF_LEFT:
		case DIFF_UNPINNED:
			tree_ref(t, na, i, '-');
			break;
		default:
			tree_ref(t, nb, i, '~');
			break;
		}
	}
	qsort(t->refs, t->nrefs, sizeof(*t->refs), cmp_refs);
	for (size_t i = 0; i < t->nrefs; i++) {
		struct tnode *n = &t->nodes[t->refs[i].node];
		enum diff_kind k = d->changes[t->refs[i].change].kind;

		if (!n->nrefs)
			n->first_ref = i;
		n->nrefs++;
		if (k == DIFF_BORN || k == DIFF_GONE || k == DIFF_REPLACED) {
			n->mark = t->refs[i].mark;
			n->replaced = k == DIFF_REPLACED;
		} else if (n->mark == ' ') {
			n->mark = '~';
		}
	}
}

/* Subtree sizes and change flags, children before parents.  Nodes are
 * created parents first, so a reverse walk sees every child first. */
static void tree_sum(struct tree *t)
{
	for (size_t i = t->nnodes; i-- > 0;) {
		struct tnode *n = &t->nodes[i];

		n->size = i != 0 && !n->invisible;
		n->below = n->nrefs != 0;
		for (uint32_t c = n->first; c != GRAPH_NONE; c = t->nodes[c].next) {
			n->size += t->nodes[c].size;
			n->below |= t->nodes[c].below;
		}
	}
}

static void tree_begin(struct tree *t, char mark, unsigned indent)
{
	if (t->po->color && mark != ' ')
		fputs(mark == '+' ? GREEN : mark == '-' ? RED : YELLOW, t->out);
	fputc(mark, t->out);
	fputc(' ', t->out);
	for (unsigned i = 0; i < indent; i++)
		fputc(' ', t->out);
}

static void tree_end(struct tree *t, char mark)
{
	if (t->po->color && mark != ' ')
		fputs(RESET, t->out);
	fputc('\n', t->out);
}

/* A link in the tree's words: "user {4 4026531837}". */
static void tree_up(FILE *out, const struct graph *g, uint32_t up, int32_t err)
{
	if (err == EPERM)
		fputs("[invisible]", out);
	else if (err || up == GRAPH_NONE)
		fputs("?", out);
	else
		fprintf(out, "%s {%llu %llu}", ns_type_name(g->ns[up].type),
			(unsigned long long)g->ns[up].key.dev,
			(unsigned long long)g->ns[up].key.ino);
}

/* A map in the tree's words, its bytes spelled by WRITE (tree or DOT). */
static void map_words(FILE *out, const char *map, text_write_fn *write)
{
	if (!map)
		fputs("deleted", out);
	else if (!*map)
		fputs("(unset)", out);
	else
		text_squeeze(out, map, &tree_blanks, write);
}

static void tree_map(FILE *out, const char *map)
{
	map_words(out, map, put_escaped);
}

/*
 * An attribute change as the tree and DOT both word it, "owner: OLD
 * ARROW NEW", maps spelled by WRITE.  False for other kinds (nothing is
 * written then).
 */
static bool put_attr_change(FILE *out, const struct diff *d,
			    const struct diff_change *c, const char *arrow,
			    text_write_fn *write)
{
	const struct graph_ns *na = c->a_ns != GRAPH_NONE ? &d->a->ns[c->a_ns] : NULL;
	const struct graph_ns *nb = c->b_ns != GRAPH_NONE ? &d->b->ns[c->b_ns] : NULL;
	bool owner = c->kind == DIFF_OWNER, uid = c->kind == DIFF_UID_MAP;

	switch (c->kind) {
	case DIFF_OWNER:
	case DIFF_PARENT:
		fputs(owner ? "owner: " : "parent: ", out);
		tree_up(out, d->a, owner ? na->owner : na->parent,
			owner ? na->owner_err : na->parent_err);
		fputs(arrow, out);
		tree_up(out, d->b, owner ? nb->owner : nb->parent,
			owner ? nb->owner_err : nb->parent_err);
		return true;
	case DIFF_CREATOR:
		fprintf(out, "creator: %u%s%u", na->creator_uid, arrow,
			nb->creator_uid);
		return true;
	case DIFF_UID_MAP:
	case DIFF_GID_MAP:
		fputs(uid ? "uid_map: " : "gid_map: ", out);
		map_words(out, uid ? na->uid_map : na->gid_map, write);
		fputs(arrow, out);
		map_words(out, uid ? nb->uid_map : nb->gid_map, write);
		return true;
	default:
		return false;
	}
}

/* The namespace line, as nsshow prints it, with the marker column. */
static void tree_ns_line(struct tree *t, const struct tnode *n, unsigned depth)
{
	FILE *out = t->out;

	tree_begin(t, n->mark, n->invisible ? 0 : depth * 4);
	if (n->invisible) {
		fputs("[invisible ancestor user NS]", out);
		tree_end(t, n->mark);
		return;
	}
	bool old = n->b_ns == GRAPH_NONE;
	const struct graph *g = old ? t->d->a : t->d->b;
	const struct graph_ns *ns = &g->ns[old ? n->a_ns : n->b_ns];

	fprintf(out, "%s {%llu %llu}", ns_type_name(ns->type),
		(unsigned long long)ns->key.dev, (unsigned long long)ns->key.ino);
	if (ns->type == NS_USER && !t->d->opts.pidns) {
		fprintf(out, " <UID: %u;  u: ", ns->creator_uid);
		tree_map(out, ns->uid_map);
		fputs(";   g: ", out);
		tree_map(out, ns->gid_map);
		fputc('>', out);
	}
	if (n->replaced) {
		fputs(old ? "  [old" : "  [new", out);
		if (has_id(ns))
			fprintf(out, ", id %llu", (unsigned long long)ns->kernel_id);
		fputc(']', out);
	}
	tree_end(t, n->mark);
}

static void tree_proc(FILE *out, const struct diff_change *c)
{
	fprintf(out, "%d", (int)(c->tid ? c->tid : c->pid));
	if (c->comm) {
		fputc(' ', out);
		put_value(out, c->comm);
	}
}

/* A change under its namespace line, 8 columns further in (as members). */
static void tree_change_line(struct tree *t, const struct tref *r,
			     unsigned depth)
{
	const struct diff *d = t->d;
	const struct diff_change *c = &d->changes[r->change];
	FILE *out = t->out;

	tree_begin(t, r->mark, depth * 4 + 8);
	switch (c->kind) {
	case DIFF_JOINED:
	case DIFF_LEFT:
		tree_proc(out, c);
		if (c->flags & DIFF_C_NEWPROC)
			fputs(" (started)", out);
		if (c->flags & DIFF_C_ENDPROC)
			fputs(" (ended)", out);
		break;
	case DIFF_PINNED:
	case DIFF_UNPINNED:
		fputs("pin: ", out);
		if (c->pin == DIFF_PIN_MOUNT) {
			const struct graph *g = c->kind == DIFF_PINNED ? d->b : d->a;
			fputs("bind mount ", out);
			put_value(out, c->path);
			fputs(" in ", out);
			tree_up(out, g, c->mntns, 0);
		} else {
			if (c->pin == DIFF_PIN_FD)
				fprintf(out, "fd %d of ", (int)c->fd);
			else
				fprintf(out, "%s of ", pin_names[c->pin]);
			tree_proc(out, c);
		}
		break;
	default:
		put_attr_change(out, d, c, " -> ", put_escaped);
		break;
	}
	tree_end(t, r->mark);
}

static void tree_fold(struct tree *t, size_t n, unsigned depth)
{
	if (!n)
		return;
	tree_begin(t, ' ', depth * 4);
	fprintf(t->out, "(%zu unchanged)", n);
	tree_end(t, ' ');
}

static void tree_print(struct tree *t, uint32_t node, unsigned depth)
{
	const struct tnode *n = &t->nodes[node];
	unsigned child_depth = node == 0 ? 0 : depth + 1;
	size_t folded = 0;

	if (node != 0) {
		tree_ns_line(t, n, n->invisible ? 0 : depth);
		for (size_t i = 0; i < n->nrefs; i++) {
			const struct tref *r = &t->refs[n->first_ref + i];
			enum diff_kind k = t->d->changes[r->change].kind;
			if (k != DIFF_BORN && k != DIFF_GONE && k != DIFF_REPLACED)
				tree_change_line(t, r, depth);
		}
	}
	for (uint32_t c = n->first; c != GRAPH_NONE; c = t->nodes[c].next) {
		if (t->po->all || t->nodes[c].below)
			tree_print(t, c, child_depth);
		else
			folded += t->nodes[c].size;
	}
	tree_fold(t, folded, child_depth);
}

static void tree_header(struct tree *t, const char *mark, const char *name,
			const struct graph *g)
{
	char tbuf[32];

	fprintf(t->out, "%s %s %s host=", mark, name,
		diff_format_time(g->meta.start_ns, tbuf, sizeof(tbuf)));
	put_value(t->out, g->meta.hostname ? g->meta.hostname : "?");
	fputc('\n', t->out);
}

static void tree_release(struct tree *t)
{
	free(t->orphans);
	free(t->refs);
	free(t->of_b);
	free(t->of_a);
	free(t->nodes);
}

/*
 * The merged hierarchy of D, for the tree and for DOT alike, so that both
 * pictures always agree on what hangs where and what is folded.  Nothing
 * is written; T keeps OUT and PO for the printers.
 */
static int tree_build(struct tree *t, FILE *out, const struct diff *d,
		      const struct diff_print_opts *po)
{
	static const struct diff_print_opts defaults;
	struct view_opts vo = {
		.pidns = d->opts.pidns, .search_tasks = d->opts.search_tasks,
		.deep_scan = d->opts.deep_scan,
		.show_types = d->opts.types ? d->opts.types : NS_ALL_TYPES,
	};
	struct view va, vb;
	uint32_t *stack = NULL;
	int rc;

	*t = (struct tree){
		.d = d, .po = po ? po : &defaults, .out = out,
		.invisible = GRAPH_NONE,
	};
	if ((rc = view_build(d->b, &vo, &vb)))
		return rc;
	if ((rc = view_build(d->a, &vo, &va)))
		goto out_b;
	rc = -ENOMEM;
	t->nodes = malloc((va.nlines + vb.nlines + 1) * sizeof(*t->nodes));
	t->of_a = malloc((d->a->nns + 1) * sizeof(*t->of_a));
	t->of_b = malloc((d->b->nns + 1) * sizeof(*t->of_b));
	t->refs = malloc((2 * d->nchanges + 1) * sizeof(*t->refs));
	t->orphans = malloc((2 * d->nchanges + 1) * sizeof(*t->orphans));
	stack = malloc((va.nlines + vb.nlines + 1) * sizeof(*stack));
	if (!t->nodes || !t->of_a || !t->of_b || !t->refs || !t->orphans || !stack)
		goto out;
	memset(t->of_a, 0xff, (d->a->nns + 1) * sizeof(*t->of_a));
	memset(t->of_b, 0xff, (d->b->nns + 1) * sizeof(*t->of_b));

	tree_add(t, GRAPH_NONE, GRAPH_NONE, GRAPH_NONE, false);
	tree_from_view(t, &vb, true, stack);
	tree_from_view(t, &va, false, stack);
	tree_attach(t);
	tree_sum(t);
	rc = 0;
out:
	free(stack);
	if (rc)
		tree_release(t);
	view_release(&va);
out_b:
	view_release(&vb);
	return rc;
}

int diff_print_tree(FILE *out, const struct diff *d,
		    const struct diff_print_opts *po)
{
	struct tree t;
	int rc;

	if (!d->nchanges && !(po && po->all))
		return 0;
	if ((rc = tree_build(&t, out, d, po)))
		return rc;

	const struct diff_print_opts *p = t.po;
	tree_header(&t, "---", p->a_name ? p->a_name : "a", d->a);
	tree_header(&t, "+++", p->b_name ? p->b_name : "b", d->b);
	tree_print(&t, 0, 0);
	/* What the views do not show (e.g. a bind mount nsshow skips). */
	for (size_t i = 0; i < t.norphans; i++) {
		tree_begin(&t, t.orphans[i].mark, 0);
		put_change(out, d, &d->changes[t.orphans[i].change]);
		tree_end(&t, t.orphans[i].mark);
	}
	tree_release(&t);
	return write_status(out);
}

/* ---- DOT ----------------------------------------------------------------- */

/*
 * The merged tree of the tree format as a Graphviz digraph, in the layout
 * nsshow --format=dot uses: every user namespace is a cluster holding its
 * node, what it owns and its child clusters; edges are drawn after all
 * clusters, at the top level, because an edge written inside a cluster
 * drags its tail node into that cluster.  The marker column becomes a
 * fill color.  Node names are tree node indexes ("n3"), which depend only
 * on the two graphs, so the text is stable.
 */
#define DOT_BORN     "palegreen"
#define DOT_GONE     "lightcoral"
#define DOT_CHANGED  "khaki1"
#define DOT_OLD_PEN  "red3"
#define DOT_NEW_PEN  "green4"
#define DOT_MINUS    "\xe2\x88\x92" /* U+2212, in UTF-8 */
#define DOT_ARROW    "\xe2\x86\x92" /* U+2192 */

/* Data from a graph (a map, a host name), as nsshow's DOT shows it. */
static void dot_data(FILE *out, const char *s)
{
	text_dot_data(out, s, strlen(s));
}

static void dot_map(FILE *out, const char *map)
{
	map_words(out, map, text_dot_data);
}

static void dot_indent(FILE *out, unsigned level)
{
	for (unsigned i = 0; i < level; i++)
		fputs("  ", out);
}

/* The namespace a node draws: B's when it has one, as the tree does. */
static const struct graph_ns *node_ns(const struct tree *t,
				      const struct tnode *n)
{
	return n->b_ns != GRAPH_NONE ? &t->d->b->ns[n->b_ns]
				     : &t->d->a->ns[n->a_ns];
}

/* Clusters are user namespaces, and the invisible ancestor stands for one. */
static bool dot_is_user(const struct tree *t, const struct tnode *n)
{
	return n->invisible || node_ns(t, n)->type == NS_USER;
}

static bool dot_shown(const struct tree *t, uint32_t node)
{
	return t->po->all || t->nodes[node].below;
}

/* "+3 −1 processes": members are counted, not listed, so that a busy
 * namespace stays a readable box. */
static void dot_count(FILE *out, size_t plus, size_t minus, const char *one,
		      const char *many)
{
	if (!plus && !minus)
		return;
	if (plus)
		fprintf(out, "+%zu", plus);
	if (plus && minus)
		fputc(' ', out);
	if (minus)
		fprintf(out, DOT_MINUS "%zu", minus);
	fprintf(out, " %s\\l", plus + minus == 1 ? one : many);
}

/* An attribute change, "owner: user {4 1} → user {4 2}". */
static void dot_attr(FILE *out, const struct diff *d,
		     const struct diff_change *c)
{
	if (put_attr_change(out, d, c, " " DOT_ARROW " ", text_dot_data))
		fputs("\\l", out);
}

/* A node's label: nsshow's DOT text of the namespace, then what changed. */
static void dot_label(struct tree *t, const struct tnode *n)
{
	const struct diff *d = t->d;
	const struct graph_ns *ns = node_ns(t, n);
	size_t count[DIFF_NKINDS] = { 0 };
	FILE *out = t->out;

	fprintf(out, "%s {%llu %llu}\\l", ns_type_name(ns->type),
		(unsigned long long)ns->key.dev, (unsigned long long)ns->key.ino);
	if (ns->type == NS_USER) {
		if (ns->flags & GRAPH_NS_HAS_CREATOR)
			fprintf(out, "UID: %u\\l", ns->creator_uid);
		if (!d->opts.pidns) {
			fputs("u: ", out);
			dot_map(out, ns->uid_map);
			fputs("\\lg: ", out);
			dot_map(out, ns->gid_map);
			fputs("\\l", out);
		}
	}
	if (n->replaced) {
		fprintf(out, "replaced: %s life", n->b_ns == GRAPH_NONE ? "old" : "new");
		if (has_id(ns))
			fprintf(out, ", id %llu", (unsigned long long)ns->kernel_id);
		fputs("\\l", out);
	}
	for (size_t i = 0; i < n->nrefs; i++) {
		const struct diff_change *c = &d->changes[t->refs[n->first_ref + i].change];
		count[c->kind]++;
		dot_attr(out, d, c);
	}
	dot_count(out, count[DIFF_JOINED], count[DIFF_LEFT],
		  d->opts.search_tasks ? "thread" : "process",
		  d->opts.search_tasks ? "threads" : "processes");
	dot_count(out, count[DIFF_PINNED], count[DIFF_UNPINNED], "pin", "pins");
}

static void dot_node(struct tree *t, uint32_t node, unsigned level)
{
	const struct tnode *n = &t->nodes[node];
	const char *fill = NULL, *pen = NULL;
	bool user = dot_is_user(t, n);
	FILE *out = t->out;

	dot_indent(out, level);
	fprintf(out, "n%u [label=\"", node);
	if (n->invisible) {
		fputs("[invisible ancestor user NS]\\l\", style=dashed];\n", out);
		return;
	}
	dot_label(t, n);
	fputc('"', out);
	if (n->replaced) {
		fill = DOT_CHANGED;
		pen = n->b_ns == GRAPH_NONE ? DOT_OLD_PEN : DOT_NEW_PEN;
	} else if (n->mark == '+') {
		fill = DOT_BORN;
	} else if (n->mark == '-') {
		fill = DOT_GONE;
	} else if (n->mark == '~') {
		fill = DOT_CHANGED;
	}
	if (fill)
		fprintf(out, ", style=\"%sfilled\", fillcolor=\"%s\"",
			user ? "bold," : "", fill);
	else if (user)
		fputs(", style=bold", out);
	if (pen)
		fprintf(out, ", color=\"%s\", penwidth=3", pen);
	fputs("];\n", out);
}

/* NODE, what hangs under it, and the fold of its unchanged children. */
static void dot_walk(struct tree *t, uint32_t node, unsigned level)
{
	const struct tnode *n = &t->nodes[node];
	bool cluster = node != 0 && dot_is_user(t, n);
	size_t folded = 0;
	FILE *out = t->out;

	if (cluster) {
		dot_indent(out, level);
		fprintf(out, "subgraph cluster_n%u {\n", node);
		level++;
		/* A cluster would inherit the graph's label. */
		dot_indent(out, level);
		fputs("label=\"\";\n", out);
	}
	if (node != 0)
		dot_node(t, node, level);
	for (uint32_t c = n->first; c != GRAPH_NONE; c = t->nodes[c].next) {
		if (dot_shown(t, c))
			dot_walk(t, c, level);
		else
			folded += t->nodes[c].size;
	}
	if (folded) {
		dot_indent(out, level);
		fprintf(out, "f%u [label=\"%zu unchanged\", style=dotted];\n",
			node, folded);
	}
	if (cluster) {
		dot_indent(out, level - 1);
		fputs("}\n", out);
	}
}

/* Edges in dot_walk's order: solid for parenthood (user -> user, PID ->
 * PID), dashed for ownership, dotted to a fold. */
static void dot_edges(struct tree *t, uint32_t node)
{
	const struct tnode *n = &t->nodes[node];
	bool folded = false;

	for (uint32_t c = n->first; c != GRAPH_NONE; c = t->nodes[c].next) {
		if (!dot_shown(t, c)) {
			folded = true;
			continue;
		}
		if (node != 0)
			fprintf(t->out, "  n%u -> n%u%s;\n", node, c,
				dot_is_user(t, n) && !dot_is_user(t, &t->nodes[c])
					? " [style=dashed]" : "");
		dot_edges(t, c);
	}
	if (folded && node != 0)
		fprintf(t->out, "  n%u -> f%u [style=dotted];\n", node, node);
}

/* The two lives of a replaced inode, side by side in the hierarchy, are
 * tied by an edge that does not take part in the ranking: it says "same
 * inode", not "hangs under". */
static void dot_replacements(struct tree *t)
{
	const struct diff *d = t->d;

	for (size_t i = 0; i < d->nchanges; i++) {
		const struct diff_change *c = &d->changes[i];
		uint32_t na, nb;

		if (c->kind != DIFF_REPLACED)
			continue;
		na = node_of(t->of_a, c->a_ns);
		nb = node_of(t->of_b, c->b_ns);
		if (na != GRAPH_NONE && nb != GRAPH_NONE)
			fprintf(t->out, "  n%u -> n%u [style=dotted, constraint=false, "
				"label=\"replaced by\"];\n", na, nb);
	}
}

static void dot_side(FILE *out, const char *word, const char *name,
		     const struct graph *g)
{
	char tbuf[32];

	fprintf(out, "%s: ", word);
	dot_data(out, name);
	fprintf(out, " (%s, host ", diff_format_time(g->meta.start_ns, tbuf,
						     sizeof(tbuf)));
	dot_data(out, g->meta.hostname ? g->meta.hostname : "?");
	fputs(")\\l", out);
}

static void dot_legend(FILE *out)
{
	fputs("  subgraph cluster_legend {\n"
	      "    label=\"legend\";\n"
	      "    legend_born [label=\"born\", style=filled, fillcolor=\"" DOT_BORN "\"];\n"
	      "    legend_gone [label=\"gone\", style=filled, fillcolor=\"" DOT_GONE "\"];\n"
	      "    legend_changed [label=\"changed\", style=filled, fillcolor=\"" DOT_CHANGED "\"];\n"
	      "    legend_old [label=\"replaced: old life\", style=filled, fillcolor=\""
	      DOT_CHANGED "\", color=\"" DOT_OLD_PEN "\", penwidth=3];\n"
	      "    legend_new [label=\"replaced: new life\", style=filled, fillcolor=\""
	      DOT_CHANGED "\", color=\"" DOT_NEW_PEN "\", penwidth=3];\n"
	      "    legend_same [label=\"unchanged\"];\n"
	      "    legend_fold [label=\"N unchanged\", style=dotted];\n"
	      "    legend_user [label=\"user namespace\", style=bold];\n"
	      "    legend_owned [label=\"owned namespace\"];\n"
	      "    legend_child [label=\"child namespace\", style=bold];\n"
	      "    legend_user -> legend_owned [style=dashed, label=\"owns\"];\n"
	      "    legend_user -> legend_child [label=\"parent of\"];\n"
	      /* Invisible edges make a grid of it rather than one long
	       * row: colors, then borders, then edges. */
	      "    legend_born -> legend_old -> legend_user [style=invis];\n"
	      "    legend_gone -> legend_new [style=invis];\n"
	      "    legend_changed -> legend_fold [style=invis];\n"
	      "    { rank=same; legend_born -> legend_gone -> legend_changed -> "
	      "legend_same [style=invis]; }\n"
	      "  }\n", out);
}

int diff_print_dot(FILE *out, const struct diff *d,
		   const struct diff_print_opts *po)
{
	struct tree t;
	char *outside = NULL;
	size_t outside_len = 0;
	int rc;

	if ((rc = tree_build(&t, out, d, po)))
		return rc;
	/* The tree's trailing list lines, made before the first byte is
	 * written so that running out of memory leaves OUT untouched. */
	if (t.norphans) {
		FILE *m = open_memstream(&outside, &outside_len);
		if (!m) {
			rc = -ENOMEM;
			goto out;
		}
		for (size_t i = 0; i < t.norphans; i++) {
			fprintf(m, "%c ", t.orphans[i].mark);
			put_change(m, d, &d->changes[t.orphans[i].change]);
			fputc('\n', m);
		}
		if (fclose(m) || !outside) {
			rc = -ENOMEM;
			goto out;
		}
	}

	const struct diff_print_opts *p = t.po;
	fputs("digraph nsdiff {\n  label=\"", out);
	dot_side(out, "from", p->a_name ? p->a_name : "a", d->a);
	dot_side(out, "to", p->b_name ? p->b_name : "b", d->b);
	if (d->flags & DIFF_OTHER_HOST)
		fputs("WARNING: other hosts, every match is a guess\\l", out);
	if (d->flags & DIFF_OTHER_BOOT)
		fputs("WARNING: other boots, every match is a guess\\l", out);
	fputs("\";\n  labelloc=t;\n  labeljust=l;\n  node [shape=box];\n", out);
	dot_walk(&t, 0, 1);
	if (outside) {
		fputs("  outside [shape=note, label=\"not in the hierarchy:\\l", out);
		for (const char *s = outside; *s; s++) {
			if (*s == '\n')
				fputs("\\l", out);
			else
				text_dot_text(out, s, 1);
		}
		fputs("\"];\n", out);
	}
	dot_legend(out);
	dot_edges(&t, 0);
	dot_replacements(&t);
	fputs("}\n", out);
	rc = write_status(out);
out:
	free(outside);
	tree_release(&t);
	return rc;
}

/* ---- timeline and history ------------------------------------------------ */

static size_t scanned_procs(const struct graph *g)
{
	size_t n = 0;

	for (size_t i = 0; i < g->nprocs; i++)
		n += proc_scanned(g, &g->procs[i]);
	return n;
}

static void put_meta_value(FILE *out, const char *s)
{
	put_value(out, s ? s : "?");
}

/* "TIME ID reboot old_boot=A new_boot=B": a step that is not diffed. */
static void put_meta_event(FILE *out, const char *time, const char *id,
			   const char *event, const char *what,
			   const char *old, const char *new)
{
	fprintf(out, "%s %s %s old_%s=", time, id, event, what);
	put_meta_value(out, old);
	fprintf(out, " new_%s=", what);
	put_meta_value(out, new);
	fputc('\n', out);
}

/* Joined/left changes of one namespace in a row: [i, *end). */
static bool member_run(const struct diff *d, size_t i, size_t *end)
{
	const struct diff_change *c = &d->changes[i];
	size_t j = i + 1;

	if (c->kind != DIFF_JOINED && c->kind != DIFF_LEFT)
		return false;
	while (j < d->nchanges && d->changes[j].kind == c->kind &&
	       d->changes[j].a_ns == c->a_ns && d->changes[j].b_ns == c->b_ns)
		j++;
	*end = j;
	return true;
}

typedef bool (*change_filter)(const struct diff_change *c, const void *ctx);

/* D's changes kept by KEEP (NULL: all) as events, joined/left grouped. */
static void put_events(FILE *out, const struct diff *d, const char *time,
		       const char *id, change_filter keep, const void *ctx)
{
	for (size_t i = 0, end; i < d->nchanges; i = end) {
		const struct diff_change *c = &d->changes[i];
		uint32_t ns;
		const struct graph *g = change_graph(d, c, &ns);

		end = i + 1;
		if (keep && !keep(c, ctx))
			continue;
		fprintf(out, "%s %s ", time, id);
		if (!member_run(d, i, &end)) {
			put_change(out, d, c);
			fputc('\n', out);
			continue;
		}
		fprintf(out, "%s ", diff_kind_name(c->kind));
		put_ns(out, g, ns);
		fputs(c->tid ? " tids=" : " pids=", out);
		for (size_t k = i; k < end; k++)
			fprintf(out, "%s%d", k > i ? "," : "",
				(int)(c->tid ? d->changes[k].tid : d->changes[k].pid));
		fputs(c->flags & DIFF_C_WEAK ? " match=weak\n" : "\n", out);
	}
}

int diff_print_events(FILE *out, const struct diff *d,
		      const struct diff_snapshot *at)
{
	const struct graph *g = at->g;
	const char *id = at->id ? at->id : "-";
	char time[32];

	diff_format_time(at->time_ns, time, sizeof(time));
	fprintf(out, "%s %s snapshot host=", time, id);
	put_meta_value(out, g->meta.hostname);
	fputs(" boot=", out);
	put_meta_value(out, g->meta.boot_id);
	fprintf(out, " namespaces=%zu processes=%zu\n", g->nns, scanned_procs(g));
	if (!d)
		return write_status(out);
	if (d->flags & DIFF_OTHER_BOOT)
		put_meta_event(out, time, id, "reboot", "boot", d->a->meta.boot_id,
			       d->b->meta.boot_id);
	if (d->flags & DIFF_OTHER_HOST)
		put_meta_event(out, time, id, "other-host", "host",
			       d->a->meta.hostname, d->b->meta.hostname);
	if (!d->flags)
		put_events(out, d, time, id, NULL, NULL);
	return write_status(out);
}

enum spec_kind { SPEC_NAME, SPEC_KEY, SPEC_ID };

struct ns_spec {
	enum spec_kind kind;
	int type;
	struct ns_key key;
	uint64_t id;
};

/* A decimal of LEN bytes, no sign, no blanks. */
static int parse_u64(const char *s, size_t len, uint64_t *v)
{
	*v = 0;
	if (!len)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9' || *v > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		*v = *v * 10 + (uint64_t)(s[i] - '0');
	}
	return 0;
}

static int parse_spec(const char *spec, struct ns_spec *s)
{
	const char *br = strstr(spec, ":[");
	const char *colon = strchr(spec, ':');
	size_t len = strlen(spec);

	memset(s, 0, sizeof(*s));
	if (br) {
		s->kind = SPEC_NAME;
		s->type = ns_type_from_name(spec, (size_t)(br - spec));
		if (s->type < 0 || spec[len - 1] != ']')
			return -EINVAL;
		return parse_u64(br + 2, (size_t)(spec + len - 1 - (br + 2)),
				 &s->key.ino);
	}
	if (colon) {
		s->kind = SPEC_KEY;
		if (parse_u64(spec, (size_t)(colon - spec), &s->key.dev))
			return -EINVAL;
		return parse_u64(colon + 1, strlen(colon + 1), &s->key.ino);
	}
	s->kind = SPEC_ID;
	return parse_u64(spec, len, &s->id);
}

static uint32_t spec_find(const struct graph *g, const struct ns_spec *s)
{
	if (s->kind == SPEC_KEY)
		return graph_ns_find(g, s->key);
	for (uint32_t i = 0; i < g->nns; i++) {
		const struct graph_ns *n = &g->ns[i];

		if (s->kind == SPEC_NAME ? n->key.ino == s->key.ino && n->type == s->type
					 : has_id(n) && n->kernel_id == s->id)
			return i;
	}
	return GRAPH_NONE;
}

static int cmp_int32(const void *x, const void *y)
{
	int32_t a = *(const int32_t *)x, b = *(const int32_t *)y;
	return (a > b) - (a < b);
}

/* " members=1,2,3": the processes (threads) of G in NS, numerically. */
static int put_members(FILE *out, const struct graph *g, uint32_t ns,
		       bool threads)
{
	unsigned type = g->ns[ns].type;
	size_t n = 0, cap = (threads ? g->ntasks : g->nprocs) + 1;
	int32_t *ids = malloc(cap * sizeof(*ids));

	if (!ids)
		return -ENOMEM;
	for (size_t i = 0; i < g->nprocs; i++) {
		const struct graph_proc *p = &g->procs[i];

		if (!proc_scanned(g, p))
			continue;
		if (!threads) {
			if (p->links.err[type] == 0 && p->links.ns[type] == ns)
				ids[n++] = p->pid;
			continue;
		}
		for (uint32_t k = 0; !p->task_err && k < p->ntasks; k++) {
			const struct graph_task *t = &g->tasks[p->first_task + k];
			if (t->links.err[type] == 0 && t->links.ns[type] == ns)
				ids[n++] = t->tid;
		}
	}
	qsort(ids, n, sizeof(*ids), cmp_int32);
	fputs(" members=", out);
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%s%d", i ? "," : "", (int)ids[i]);
	free(ids);
	return 0;
}

struct life {
	size_t first, last;       /* snapshot positions */
	uint32_t ns;              /* index in the last one */
};

struct history {
	FILE *out;
	const struct diff_snapshot *snaps;
	bool threads;
	struct life *lives;
	size_t nlives;
};

static void history_prefix(struct history *h, size_t i)
{
	char time[32];

	fprintf(h->out, "%s %s ", diff_format_time(h->snaps[i].time_ns, time,
						     sizeof(time)),
		h->snaps[i].id ? h->snaps[i].id : "-");
}

static int history_first_seen(struct history *h, size_t i, uint32_t ns)
{
	const struct graph *g = h->snaps[i].g;
	int rc;

	history_prefix(h, i);
	fputs("first-seen ", h->out);
	put_ns(h->out, g, ns);
	put_ns_fields(h->out, g, ns);
	if ((rc = put_members(h->out, g, ns, h->threads)))
		return rc;
	fputc('\n', h->out);
	h->lives[h->nlives++] = (struct life){ .first = i, .last = i, .ns = ns };
	return 0;
}

static void history_gone(struct history *h, size_t i, const char *why)
{
	const struct life *l = &h->lives[h->nlives - 1];
	char time[32];

	history_prefix(h, i);
	fputs("gone ", h->out);
	put_ns(h->out, h->snaps[l->last].g, l->ns);
	fprintf(h->out, " last-seen=%s%s\n",
		diff_format_time(h->snaps[l->last].time_ns, time, sizeof(time)),
		why);
}

struct pair_ctx {
	uint32_t a_ns, b_ns;
};

/* What happened to the namespace itself between two of its sightings. */
static bool concerns_pair(const struct diff_change *c, const void *ctx)
{
	const struct pair_ctx *p = ctx;

	switch (c->kind) {
	case DIFF_BORN:
	case DIFF_GONE:
	case DIFF_REPLACED:
	case DIFF_STARTED:
	case DIFF_ENDED:
		return false;
	case DIFF_LEFT:
	case DIFF_UNPINNED:
		return c->a_ns == p->a_ns;
	default:
		return c->b_ns == p->b_ns;
	}
}

/* The step from the last sighting to snapshot I, where NS has the key. */
static int history_step(struct history *h, size_t i, uint32_t ns)
{
	struct life *l = &h->lives[h->nlives - 1];
	const struct graph *a = h->snaps[l->last].g, *b = h->snaps[i].g;
	struct diff_opts o = { .search_tasks = h->threads, .deep_scan = true };
	struct diff d;
	int rc;

	if ((rc = diff_graphs(a, b, &o, &d)))
		return rc;
	const struct graph_ns *na = &a->ns[l->ns], *nb = &b->ns[ns];
	bool same;
	if (d.a_to_b[l->ns] != GRAPH_NONE) {
		same = d.a_to_b[l->ns] == ns;
	} else {
		/* Judged replaced, or outside the diff's scope: then as
		 * same_ns() judges. */
		same = key_eq(na->key, nb->key) && na->type == nb->type &&
		       (!has_id(na) || !has_id(nb) || na->kernel_id == nb->kernel_id);
		for (size_t k = 0; k < d.nchanges && same; k++)
			if (d.changes[k].kind == DIFF_REPLACED &&
			    d.changes[k].a_ns == l->ns)
				same = false;
	}
	if (same) {
		struct pair_ctx ctx = { .a_ns = l->ns, .b_ns = ns };
		char time[32];

		diff_format_time(h->snaps[i].time_ns, time, sizeof(time));
		put_events(h->out, &d, time, h->snaps[i].id ? h->snaps[i].id : "-",
			   concerns_pair, &ctx);
		l->last = i;
		l->ns = ns;
	} else {
		struct diff_change c = {
			.kind = DIFF_REPLACED, .type = nb->type, .key = nb->key,
			.a_ns = l->ns, .b_ns = ns,
			.flags = has_id(na) && has_id(nb) ? 0 : DIFF_C_WEAK,
		};
		history_prefix(h, i);
		put_change(h->out, &d, &c);
		fputc('\n', h->out);
		rc = history_first_seen(h, i, ns);
	}
	diff_release(&d);
	return rc;
}

int diff_history(FILE *out, const struct diff_snapshot *snaps, size_t n,
		 const char *spec, const struct diff_opts *o)
{
	struct history h = {
		.out = out, .snaps = snaps, .threads = o && o->search_tasks,
	};
	struct ns_spec s;
	bool alive = false;
	int rc = 0;

	if (parse_spec(spec, &s))
		return -EINVAL;
	h.lives = malloc((n + 1) * sizeof(*h.lives));
	if (!h.lives)
		return -ENOMEM;
	for (size_t i = 0; i < n && !rc; i++) {
		const struct graph *g = snaps[i].g;
		uint32_t ns = spec_find(g, &s);
		bool reboot = alive && !str_eq(g->meta.boot_id,
					       snaps[h.lives[h.nlives - 1].last].g->meta.boot_id);

		if (alive && (ns == GRAPH_NONE || reboot)) {
			history_gone(&h, i, reboot ? " reason=reboot" : "");
			alive = false;
		}
		if (ns == GRAPH_NONE)
			continue;
		rc = alive ? history_step(&h, i, ns) : history_first_seen(&h, i, ns);
		alive = true;
	}
	for (size_t k = 0; k < h.nlives && !rc; k++) {
		const struct life *l = &h.lives[k];
		const struct graph *g = snaps[l->last].g;
		char first[32], last[32], idb[64];

		fprintf(out, "life %zu ", k + 1);
		put_ns(out, g, l->ns);
		if (id_text(&g->ns[l->ns], idb, sizeof(idb)))
			fprintf(out, " id=%s", idb);
		fprintf(out, " first-seen=%s first-snapshot=%s last-seen=%s last-snapshot=%s\n",
			diff_format_time(snaps[l->first].time_ns, first, sizeof(first)),
			snaps[l->first].id ? snaps[l->first].id : "-",
			diff_format_time(snaps[l->last].time_ns, last, sizeof(last)),
			snaps[l->last].id ? snaps[l->last].id : "-");
	}
	if (!rc && !h.nlives)
		rc = -ENOENT;
	free(h.lives);
	return rc ? rc : write_status(out);
}
