/*
 * diff.c — the comparison engine: what changed between two graphs.
 *
 * Owns the judgement of namespaces and processes: the scope of each graph
 * (what nsshow would discover with the same options), which namespace of
 * A is which of B (same, replaced, absent), and the change list.  Three
 * passes: the scopes, the judgement of every namespace of A against the
 * namespace holding its key in B, then a merge of the two process lists by
 * PID and start time that yields process, membership and pin changes.
 * Changes are collected unordered and sorted once at the end, so their
 * order never depends on the order of the graphs' arrays.  The printers
 * and the series code are diff_*.c; they share diff_int.h.
 */
#include <stdlib.h>

#include "diff_int.h"

static const char *const kind_names[DIFF_NKINDS] = {
	[DIFF_BORN] = "born",         [DIFF_GONE] = "gone",
	[DIFF_REPLACED] = "replaced", [DIFF_OWNER] = "owner",
	[DIFF_PARENT] = "parent",     [DIFF_CREATOR] = "creator",
	[DIFF_UID_MAP] = "uid_map",   [DIFF_GID_MAP] = "gid_map",
	[DIFF_STARTED] = "started",   [DIFF_ENDED] = "ended",
	[DIFF_JOINED] = "joined",     [DIFF_LEFT] = "left",
	[DIFF_PINNED] = "pinned",     [DIFF_UNPINNED] = "unpinned",
};

const char *diff_kind_name(enum diff_kind kind)
{
	return (unsigned)kind < DIFF_NKINDS ? kind_names[kind] : "?";
}

/* ---- scope ------------------------------------------------------------ */

/*
 * What is compared is what nsshow would discover with the same options:
 * view_reach() is that rule, written once in the view.  The diff adds
 * only its own choice of types to report.
 */
#define SC_REACHED  0x01u /* discovered, as nsshow would */
#define SC_REPORTED 0x02u /* and of a type the options report */

struct side {
	const struct graph *g;
	struct view_reach r;             /* what the scan meets */
	uint8_t *scope;                  /* per namespace: SC_* */
	const struct graph_proc **procs; /* scanned, by (pid, start) */
	size_t nprocs;
};

static bool type_reported(const struct diff_opts *o, unsigned type)
{
	if (o->pidns)
		return type == NS_PID;
	return type == NS_USER || !o->types || (o->types & NS_TYPE_BIT(type));
}

/* Were P's namespace fds read as pins (the deep scan's fds)? */
static bool fds_scanned(const struct side *s, const struct graph_proc *p)
{
	return s->r.procs[p - s->g->procs] & VIEW_FD_PINS;
}

/* Is link T of L one the scan of S reads, and does it name a namespace? */
static bool link_scanned(const struct side *s, const struct graph_links *l,
			 unsigned t)
{
	return (s->r.types & NS_TYPE_BIT(t)) && l->err[t] == 0 &&
	       l->ns[t] != GRAPH_NONE;
}

static int cmp_procs(const void *x, const void *y)
{
	const struct graph_proc *a = *(const struct graph_proc *const *)x;
	const struct graph_proc *b = *(const struct graph_proc *const *)y;

	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	return (a->start_time > b->start_time) - (a->start_time < b->start_time);
}

/*
 * Is P a process that is no more, though listed?  A zombie (marked so, or
 * known by its links: a zombie's read ENOENT, but for its PID and user
 * namespaces), or one that vanished while it was read (links that read
 * ENOENT or ESRCH, no comm).  A live process has every link of a type its
 * kernel has.  Either has left all its namespaces, so the diff treats it
 * as absent from its snapshot: the snapshot where that became visible
 * reports the end and the leaves, with the comm and start time the other
 * side recorded, and the next one reports nothing more.
 */
static bool proc_gone(const struct graph *g, const struct graph_proc *p)
{
	uint32_t present = g->meta.types_present ? g->meta.types_present
						 : NS_ALL_TYPES;

	if (p->flags & GRAPH_PROC_ZOMBIE)
		return true;
	for (unsigned t = 0; t < NS_NTYPES; t++)
		if ((present & NS_TYPE_BIT(t)) &&
		    (p->links.err[t] == ENOENT || p->links.err[t] == ESRCH))
			return true;
	return false;
}

static int side_build(struct side *s, const struct graph *g,
		      const struct diff_opts *o)
{
	struct view_opts vo = diff_view_opts(o);
	int rc;

	s->g = g;
	if ((rc = view_reach(g, &vo, &s->r)))
		return rc;
	s->scope = calloc(g->nns + 1, 1);
	s->procs = malloc((g->nprocs + 1) * sizeof(*s->procs));
	if (!s->scope || !s->procs)
		return -ENOMEM;
	for (size_t i = 0; i < g->nprocs; i++)
		if ((s->r.procs[i] & VIEW_SCANNED) && !proc_gone(g, &g->procs[i]))
			s->procs[s->nprocs++] = &g->procs[i];
	for (size_t i = 0; i < g->nns; i++)
		if (s->r.ns[i] & VIEW_REACHED)
			s->scope[i] = SC_REACHED |
				(type_reported(o, g->ns[i].type) ? SC_REPORTED : 0);
	qsort(s->procs, s->nprocs, sizeof(*s->procs), cmp_procs);
	return 0;
}

static void side_release(struct side *s)
{
	view_reach_release(&s->r);
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
	if (!diff_key_eq(na->key, nb->key))
		return 0;
	if (diff_has_id(na) && diff_has_id(nb))
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
	if (diff_has_id(na) && diff_has_id(nb)) {
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
	return diff_key_eq(na->key, nb->key) && na->type == nb->type &&
	       (!diff_has_id(na) || !diff_has_id(nb) || na->kernel_id == nb->kernel_id);
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
		.mntns = GRAPH_NONE, .proc = GRAPH_NONE,
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
	uint32_t proc;        /* index in its side's graph, or GRAPH_NONE */
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
		c->proc = m->proc;
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
 * not exist there.  A link unreadable where the member exists (or of a type
 * that side's scan does not read) tells nothing, so that type is skipped.
 */
static void links_diff(struct differ *x, const struct graph_links *la,
		       const struct graph_links *lb, const struct member *ma,
		       const struct member *mb)
{
	for (unsigned t = 0; t < NS_NTYPES && !x->o->no_pids; t++) {
		bool ka = la && link_scanned(&x->a, la, t);
		bool kb = lb && link_scanned(&x->b, lb, t);

		if ((la && !ka) || (lb && !kb))
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

/* The index of P in whichever graph of X holds it. */
static uint32_t proc_index(const struct differ *x, const struct graph_proc *p)
{
	const struct graph *g = x->a.g;

	if (!p)
		return GRAPH_NONE;
	if (p < g->procs || p >= g->procs + g->nprocs)
		g = x->b.g;
	return (uint32_t)(p - g->procs);
}

static struct member proc_member(const struct differ *x,
				 const struct graph_proc *p, unsigned flags)
{
	return (struct member){
		.pid = p ? p->pid : 0, .start = p ? p->start_time : 0,
		.proc = proc_index(x, p),
		.comm = p ? p->comm : NULL, .flags = flags,
	};
}

/* What names a process present on both sides: each side's own comm and
 * start time, or the other side's where one is unknown (a process read
 * while it exited, a stat that could not be read). */
static void member_fill(struct member *m, const struct graph_proc *other)
{
	if (!other)
		return;
	if (!m->comm)
		m->comm = other->comm;
	if (!m->start)
		m->start = other->start_time;
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
		struct member ma = proc_member(x, pa, pb ? 0 : DIFF_C_ENDPROC);
		struct member mb = proc_member(x, pb, pa ? 0 : DIFF_C_NEWPROC);

		member_fill(&ma, pb);
		member_fill(&mb, pa);
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

		if (o->fd == f->fd && o->kind == f->kind &&
		    (in_b ? same_ns(x, f->ns, o->ns)
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

	/* Fds the scan did not read on one side: nothing to compare with. */
	if (pa && pb && (!fds_scanned(&x->a, pa) || !fds_scanned(&x->b, pb)))
		return;
	for (int s = 0; s < 2; s++) {
		const struct graph_proc *p = procs[s], *other = procs[!s];
		const struct graph *g = sides[s]->g;

		if (!p || !fds_scanned(sides[s], p))
			continue;
		for (uint32_t k = 0; k < p->nfds; k++) {
			const struct graph_fd *f = &g->fds[p->first_fd + k];

			if (f->ns == GRAPH_NONE || !(sides[s]->scope[f->ns] & SC_REPORTED) ||
			    fd_in(x, f, sides[!s]->g, other, s == 0))
				continue;
			struct member m = proc_member(x, p, 0);
			struct diff_change *c = member_change(
				x, s ? DIFF_PINNED : DIFF_UNPINNED, g, f->ns, &m);
			if (c) {
				c->pin = f->kind == GRAPH_FD_SOCKET ? DIFF_PIN_SOCKET
								    : DIFF_PIN_FD;
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
			c->proc = proc_index(x, p);
		}
	}
	if (x->o->search_tasks) {
		tasks_diff(x, pa, pb);
	} else {
		struct member ma = proc_member(x, pa, pb ? 0 : DIFF_C_ENDPROC);
		struct member mb = proc_member(x, pb, pa ? 0 : DIFF_C_NEWPROC);
		member_fill(&ma, pb);
		member_fill(&mb, pa);
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

/* Is M a pin of side S too?  IN_B: S is B. */
static bool mount_in(const struct differ *x, const struct graph_mount *m,
		     const struct side *s, bool in_b)
{
	for (size_t i = 0; i < s->g->nmounts; i++) {
		const struct graph_mount *o = &s->g->mounts[i];

		if (!(s->r.mounts[i] & VIEW_MOUNT_PIN) || strcmp(o->path, m->path))
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

			if (!(sd->r.mounts[i] & VIEW_MOUNT_PIN) ||
			    !(sd->scope[m->ns] & SC_REPORTED) ||
			    mount_in(x, m, sides[!s], s == 0))
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

static int cmp_changes(const void *x, const void *y, void *ctx)
{
	const struct diff_change *a = x, *b = y;
	const struct diff *d = ctx;

	DIFF_CMP(a->kind, b->kind);
	DIFF_CMP(a->type, b->type);
	DIFF_CMP(a->key.dev, b->key.dev);
	DIFF_CMP(a->key.ino, b->key.ino);
	DIFF_CMP(a->pid, b->pid);
	DIFF_CMP(a->tid, b->tid);
	DIFF_CMP(a->start, b->start);
	DIFF_CMP(a->pin, b->pin);
	DIFF_CMP(a->fd, b->fd);
	if (a->mntns != GRAPH_NONE && b->mntns != GRAPH_NONE) {
		const struct graph *g = diff_side_a(a->kind) ? d->a : d->b;
		DIFF_CMP(g->ns[a->mntns].key.ino, g->ns[b->mntns].key.ino);
	}
	if (a->path && b->path) {
		int r = strcmp(a->path, b->path);
		if (r)
			return r;
	}
	DIFF_CMP(a->a_ns, b->a_ns);
	DIFF_CMP(a->b_ns, b->b_ns);
	return 0;
}

/* ---- entry points -------------------------------------------------------- */

int diff_graphs(const struct graph *a, const struct graph *b,
		const struct diff_opts *o, struct diff *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = graph_check(a, NULL, 0)) || (rc = graph_check(b, NULL, 0)))
		return rc;
	return diff_compare(a, b, o, out);
}

int diff_compare(const struct graph *a, const struct graph *b,
		 const struct diff_opts *o, struct diff *out)
{
	static const struct diff_opts defaults;
	struct differ x = { .o = o ? o : &defaults, .d = out };
	int rc;

	memset(out, 0, sizeof(*out));
	out->a = a;
	out->b = b;
	out->opts = *x.o;
	if (!diff_str_eq(a->meta.hostname, b->meta.hostname))
		out->flags |= DIFF_OTHER_HOST;
	if (!diff_str_eq(a->meta.boot_id, b->meta.boot_id))
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
