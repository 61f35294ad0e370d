/*
 * view.c — replay of namespaces_of's discovery over a recorded graph.
 *
 * The reference program builds its tree while it scans: a namespace is
 * linked under its parent (or owner) the first time it is met, after its
 * parent has been met and linked.  So the order of children is the order of
 * first discovery, and discovery order is the scan order: /proc names in
 * string order, per ID its links in type order, then (with --deep-scan) its
 * *_for_children links, namespace fds in fd-name string order and the nsfs
 * bind mounts of its mount namespace.  We walk the graph in exactly that
 * order and link the same way; nothing here reads /proc.  view_reach()
 * takes the same walk and only marks what it meets, so that nsdiff and
 * nsshow never disagree on what a scan discovers.
 */
#include "view.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct vnode {
	uint32_t ns;            /* graph index or VIEW_INVISIBLE */
	uint32_t first_child;   /* vnode indexes, GRAPH_NONE-terminated */
	uint32_t last_child;
	uint32_t next_sibling;
	struct view_member *members;
	size_t nmembers, cap_members;
	bool sorted;            /* members sorted by emit() already */
	int32_t sock_pid, sock_fd; /* met first through this socket pin */
};

struct replay {
	const struct graph *g;
	const struct view_opts *opts;
	struct view *v;
	uint32_t *vnode_of;     /* graph ns index -> vnode index */
	struct vnode *nodes;
	size_t nnodes, cap_nodes;
	uint32_t root;
	uint32_t invisible;
	uint32_t scan_types;    /* NS_TYPE_BIT set of links the scan reads */
	/* view_reach(): mark what the scan meets, build no tree, say
	 * nothing (v is NULL then). */
	struct view_reach *reach;
	size_t cap_lines;       /* room in v->lines */
	int err;                /* sticky: first -errno met */
};

const char *view_strerror(int err, char *buf, size_t len)
{
	snprintf(buf, len, "%s", strerror(err));
	if (buf[0] >= 'A' && buf[0] <= 'Z')
		buf[0] = (char)(buf[0] - 'A' + 'a');
	return buf;
}

void view_capture_needs(const struct view_opts *opts, uint32_t *collect,
			uint32_t *types)
{
	uint32_t c = 0;
	bool whole_system = opts->npids == 0;

	if (whole_system)
		c |= GRAPH_HAVE_ALL_PROCS;
	if (opts->search_tasks)
		c |= GRAPH_HAVE_TASKS;
	if (opts->deep_scan)
		c |= GRAPH_HAVE_PINS;
	c |= opts->pidns ? GRAPH_HAVE_PARENTS : GRAPH_HAVE_OWNERS;
	if (whole_system && !opts->pidns)
		c |= GRAPH_HAVE_MAPS;
	if (opts->show_comm)
		c |= GRAPH_HAVE_COMM;
	if (opts->all_pids)
		c |= GRAPH_HAVE_NSTGID;
	/* Netns names are the bind mounts `ip netns` makes: pins. */
	if (opts->workloads)
		c |= GRAPH_HAVE_IDENTITY | GRAPH_HAVE_WORKLOADS |
		     GRAPH_HAVE_NSFACTS | GRAPH_HAVE_PINS;
	if (opts->cmdline)
		c |= GRAPH_HAVE_IDENTITY | GRAPH_HAVE_COMM;
	if (opts->deep_scan && opts->socket_pins)
		c |= GRAPH_HAVE_SOCKETS;
	*collect = c;
	*types = opts->pidns ? NS_TYPE_BIT(NS_PID) : NS_ALL_TYPES;
}

static void fail(struct replay *r, int err)
{
	if (!r->err)
		r->err = err;
}

static int push_string(struct replay *r, char ***arr, size_t *n,
		       const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	int rc = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (rc < 0)
		goto nomem;
	char **grown = realloc(*arr, (*n + 1) * sizeof(**arr));
	if (!grown) {
		free(s);
		goto nomem;
	}
	*arr = grown;
	(*arr)[(*n)++] = s;
	return 0;
nomem:
	fail(r, -ENOMEM);
	return -ENOMEM;
}

/* ---- tree building ---------------------------------------------------- */

static uint32_t new_vnode(struct replay *r, uint32_t ns)
{
	if (r->nnodes == r->cap_nodes) {
		size_t cap = r->cap_nodes ? r->cap_nodes * 2 : 64;
		struct vnode *p = realloc(r->nodes, cap * sizeof(*p));
		if (!p) {
			fail(r, -ENOMEM);
			return GRAPH_NONE;
		}
		r->nodes = p;
		r->cap_nodes = cap;
	}
	uint32_t idx = (uint32_t)r->nnodes++;
	r->nodes[idx] = (struct vnode){
		.ns = ns, .first_child = GRAPH_NONE, .last_child = GRAPH_NONE,
		.next_sibling = GRAPH_NONE,
	};
	return idx;
}

static void link_child(struct replay *r, uint32_t parent, uint32_t child)
{
	struct vnode *p = &r->nodes[parent];

	if (p->last_child == GRAPH_NONE)
		p->first_child = child;
	else
		r->nodes[p->last_child].next_sibling = child;
	p->last_child = child;
}

/* Hang the topmost vnode TOP of a chain under UP (a vnode met before), or,
 * without a visible parent, make it the root or, for a non-user namespace
 * whose owner is out of sight, a child of the invisible entry. */
static void attach_top(struct replay *r, uint32_t top, uint32_t up)
{
	if (up != GRAPH_NONE) {
		link_child(r, up, top);
	} else if (r->g->ns[r->nodes[top].ns].type == NS_USER || r->opts->pidns) {
		/* Topmost visible namespace; like the reference, the last
		 * one met wins. */
		r->root = top;
	} else {
		if (r->invisible == GRAPH_NONE)
			r->invisible = new_vnode(r, VIEW_INVISIBLE);
		if (r->invisible != GRAPH_NONE)
			link_child(r, r->invisible, top);
	}
}

/*
 * The vnode of namespace NS, created and linked on first sight: its parent
 * (owner in the user view) is met first, then NS joins the parent's
 * children.  The reference recurses; a recorded graph may hold a chain of
 * any length, so we walk up instead, giving each namespace not met yet a
 * vnode (they are consecutive from NS's on), then link them top down, in
 * the order the recursion would.  An ancestor among this walk's own vnodes
 * is a cycle, which no kernel makes: -EBADMSG.
 */
static uint32_t meet(struct replay *r, uint32_t ns)
{
	if (r->vnode_of[ns] != GRAPH_NONE)
		return r->vnode_of[ns];

	uint32_t first = (uint32_t)r->nnodes, up_node = GRAPH_NONE;
	for (uint32_t x = ns;;) {
		if (new_vnode(r, x) == GRAPH_NONE)
			return GRAPH_NONE;
		r->vnode_of[x] = (uint32_t)r->nnodes - 1;

		const struct graph_ns *n = &r->g->ns[x];
		uint32_t up = r->opts->pidns ? n->parent : n->owner;
		int up_err = r->opts->pidns ? n->parent_err : n->owner_err;
		if (up_err != 0 || up == GRAPH_NONE)
			break;
		if (up >= r->g->nns || (r->vnode_of[up] != GRAPH_NONE &&
					r->vnode_of[up] >= first)) {
			fail(r, -EBADMSG); /* out of range, or a cycle */
			return GRAPH_NONE;
		}
		if (r->vnode_of[up] != GRAPH_NONE) {
			up_node = r->vnode_of[up];
			break;
		}
		x = up;
	}
	uint32_t top = (uint32_t)r->nnodes - 1;
	attach_top(r, top, up_node);
	for (uint32_t k = top; k > first; k--)
		link_child(r, k, k - 1);
	return first;
}

static void add_member(struct replay *r, uint32_t node,
		       const struct view_member *m)
{
	struct vnode *v = &r->nodes[node];

	if (v->nmembers == v->cap_members) {
		size_t cap = v->cap_members ? v->cap_members * 2 : 4;
		struct view_member *p = realloc(v->members, cap * sizeof(*p));
		if (!p) {
			fail(r, -ENOMEM);
			return;
		}
		v->members = p;
		v->cap_members = cap;
	}
	v->members[v->nmembers++] = *m;
}

/*
 * view_reach()'s meet(): NS and the namespaces above it, marked.  Up is
 * the link meet() follows; the walk ends at a namespace marked already,
 * so a loop of owners ends too.
 */
static void reach_up(struct replay *r, uint32_t ns)
{
	uint8_t *mark = r->reach->ns;

	while (!(mark[ns] & VIEW_REACHED)) {
		const struct graph_ns *n = &r->g->ns[ns];
		uint32_t up = r->opts->pidns ? n->parent : n->owner;
		int up_err = r->opts->pidns ? n->parent_err : n->owner_err;

		mark[ns] |= VIEW_REACHED;
		if (up_err || up == GRAPH_NONE)
			return;
		if (up >= r->g->nns) {
			fail(r, -EBADMSG);
			return;
		}
		ns = up;
	}
}

/* Meet NS; when M is given it is a member of NS. */
static void add_namespace(struct replay *r, uint32_t ns,
			  const struct view_member *m)
{
	if (ns == GRAPH_NONE || ns >= r->g->nns) {
		fail(r, -EBADMSG);
		return;
	}
	if (r->reach) {
		reach_up(r, ns);
		return;
	}
	uint32_t node = meet(r, ns);
	if (node != GRAPH_NONE && m)
		add_member(r, node, m);
}

void view_put_workload(FILE *out, const struct graph_workload *w,
		       text_write_fn *data)
{
	size_t idlen = strnlen(w->id, VIEW_WORKLOAD_ID_LEN);

	data(out, w->runtime, strlen(w->runtime));
	fputc(' ', out);
	fputs(graph_workload_kind_name(w->kind), out);
	if (w->name) {
		fputc(' ', out);
		data(out, w->name, strlen(w->name));
	}
	fputs(" (", out);
	data(out, w->id, idlen);
	fputc(')', out);
}

/* In the PID view only PID namespaces are pinned. */
static bool pin_wanted(struct replay *r, uint32_t ns)
{
	if (ns == GRAPH_NONE)
		return false;
	return !r->opts->pidns || r->g->ns[ns].type == NS_PID;
}

/* ---- the scan ------------------------------------------------------- */

static int digits(uint64_t v)
{
	int n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

/*
 * Two numbers compared as their decimal strings, as a directory listing
 * sorts them ("24" before "3"): scale the shorter to the other's length; if
 * that makes them equal, the shorter is a prefix and comes first.  No
 * formatting: this runs in the sort of every process of a scan.
 */
static int cmp_decimal_strings(int64_t a, int64_t b)
{
	if (a < 0 || b < 0) {
		char sa[24], sb[24];
		snprintf(sa, sizeof(sa), "%lld", (long long)a);
		snprintf(sb, sizeof(sb), "%lld", (long long)b);
		return strcmp(sa, sb);
	}
	uint64_t x = (uint64_t)a, y = (uint64_t)b;
	int dx = digits(x), dy = digits(y);
	for (int i = dx; i < dy; i++)
		x *= 10;
	for (int i = dy; i < dx; i++)
		y *= 10;
	if (x != y)
		return x < y ? -1 : 1;
	return (dx > dy) - (dx < dy);
}

static int cmp_proc_names(const void *a, const void *b)
{
	return cmp_decimal_strings((*(const struct graph_proc *const *)a)->pid,
				   (*(const struct graph_proc *const *)b)->pid);
}

static int cmp_task_names(const void *a, const void *b)
{
	return cmp_decimal_strings((*(const struct graph_task *const *)a)->tid,
				   (*(const struct graph_task *const *)b)->tid);
}

static int cmp_fd_names(const void *a, const void *b)
{
	return cmp_decimal_strings((*(const struct graph_fd *const *)a)->fd,
				   (*(const struct graph_fd *const *)b)->fd);
}

static bool warned_for(struct replay *r, int32_t id, bool *warned,
		       const char *idstr, unsigned type)
{
	if (*warned)
		return true;
	*warned = true;
	push_string(r, &r->v->warnings, &r->v->nwarnings,
		    "cannot read /proc/%s/ns/%s: permission denied; "
		    "process %d is left out of the namespaces it hides",
		    idstr, ns_type_name(type), (int)id);
	return true;
}

/*
 * A socket's network namespace: a pin only with socket_pins.  When the
 * scan meets the namespace here first, the holder is remembered: a
 * namespace nothing else shows is named by what keeps it alive.
 */
static void add_socket_pin(struct replay *r, const struct graph_proc *p,
			   const struct graph_fd *f)
{
	if (!r->opts->socket_pins || f->ns >= r->g->nns ||
	    !pin_wanted(r, f->ns))
		return;
	bool fresh = !r->reach && r->vnode_of[f->ns] == GRAPH_NONE;
	add_namespace(r, f->ns, NULL);
	if (fresh && r->vnode_of[f->ns] != GRAPH_NONE) {
		r->nodes[r->vnode_of[f->ns]].sock_pid = p->pid;
		r->nodes[r->vnode_of[f->ns]].sock_fd = f->fd;
	}
}

/* The namespaces a process's fds pin, in fd-name order. */
static void add_fd_pins(struct replay *r, const struct graph_proc *p)
{
	if (p->fd_err)
		return;
	if (r->reach)
		r->reach->procs[p - r->g->procs] |= VIEW_FD_PINS;
	if (p->nfds == 0)
		return;
	const struct graph_fd **order = malloc(p->nfds * sizeof(*order));
	if (!order) {
		fail(r, -ENOMEM);
		return;
	}
	for (uint32_t i = 0; i < p->nfds; i++)
		order[i] = &r->g->fds[p->first_fd + i];
	qsort(order, p->nfds, sizeof(*order), cmp_fd_names);
	for (uint32_t i = 0; i < p->nfds; i++) {
		if (order[i]->kind == GRAPH_FD_SOCKET)
			add_socket_pin(r, p, order[i]);
		else if (pin_wanted(r, order[i]->ns))
			add_namespace(r, order[i]->ns, NULL);
	}
	free(order);
}

/*
 * The nsfs bind mounts of the mount namespace ID lives in.  The reference
 * lists them from /proc/thread-self/mountinfo inside that namespace, which
 * fails where its /proc is another PID namespace's (list_err), and opens
 * each mount point as mountinfo spells it, so a path with an octal escape
 * (a space, say) never opened for it: skip those too.
 */
static void add_mount_pins(struct replay *r, const struct graph_links *l)
{
	if (l->err[NS_MNT] || l->ns[NS_MNT] == GRAPH_NONE)
		return;
	size_t first, n = graph_mounts_of(r->g, l->ns[NS_MNT], &first);
	for (size_t i = first; i < first + n; i++) {
		const struct graph_mount *m = &r->g->mounts[i];
		if (m->ns == GRAPH_NONE || m->list_err || !m->path ||
		    strchr(m->path, '\\') || !pin_wanted(r, m->ns))
			continue;
		if (r->reach)
			r->reach->mounts[i] |= VIEW_MOUNT_PIN;
		add_namespace(r, m->ns, NULL);
	}
}

/*
 * One /proc/ID entry of the whole-system scan: its links, then its pins.
 * P is the process ID belongs to (for its fds); M describes ID as a member.
 */
static void scan_id(struct replay *r, const struct graph_links *l,
		    const struct graph_proc *p, const struct view_member *m)
{
	char idstr[16];
	bool warned = false;

	snprintf(idstr, sizeof(idstr), "%d", (int)m->id);
	for (unsigned t = 0; t < NS_NTYPES; t++) {
		if (!(r->scan_types & NS_TYPE_BIT(t)))
			continue;
		if (l->err[t] == 0 && l->ns[t] != GRAPH_NONE)
			add_namespace(r, l->ns[t], m);
		else if (!r->v)
			continue;   /* view_reach() says nothing */
		else if (l->err[t] == EACCES)
			warned_for(r, m->id, &warned, idstr, t);
		else
			push_string(r, &r->v->messages, &r->v->nmessages,
				    "Could not open /proc/%s/ns/%s: Process %s "
				    "terminated while we were parsing?",
				    idstr, ns_type_name(t), idstr);
	}
	if (!r->opts->deep_scan)
		return;
	if (pin_wanted(r, l->pid_for_children))
		add_namespace(r, l->pid_for_children, NULL);
	if (pin_wanted(r, l->time_for_children))
		add_namespace(r, l->time_for_children, NULL);
	add_fd_pins(r, p);
	add_mount_pins(r, l);
}

static struct view_member proc_member(const struct graph *g,
				      const struct graph_proc *p)
{
	return (struct view_member){
		.id = p->pid, .proc = (uint32_t)(p - g->procs), .comm = p->comm,
		.nstgid = p->nstgid, .status_err = p->status_err,
	};
}

static struct view_member task_member(const struct graph *g,
				      const struct graph_proc *p,
				      const struct graph_task *t)
{
	return (struct view_member){
		.id = t->tid, .proc = (uint32_t)(p - g->procs), .comm = t->comm,
		.nstgid = p->nstgid, .status_err = p->status_err,
	};
}

bool view_scans_proc(const struct graph *g, const struct view_opts *opts,
		     const struct graph_proc *p)
{
	if (opts->skip_capturer && g->meta.capturer_pid > 0 &&
	    p->pid == g->meta.capturer_pid)
		return false;
	return !(g->meta.collected & GRAPH_HAVE_ALL_PROCS) ||
	       (p->flags & GRAPH_PROC_LISTED);
}

static void scan_all(struct replay *r)
{
	const struct graph *g = r->g;
	const struct graph_proc **order = malloc((g->nprocs + 1) * sizeof(*order));
	size_t n = 0;

	if (!order) {
		fail(r, -ENOMEM);
		return;
	}
	for (size_t i = 0; i < g->nprocs; i++)
		if (view_scans_proc(g, r->opts, &g->procs[i]))
			order[n++] = &g->procs[i];
	qsort(order, n, sizeof(*order), cmp_proc_names);

	for (size_t i = 0; i < n && !r->err; i++) {
		const struct graph_proc *p = order[i];

		if (r->reach)
			r->reach->procs[p - g->procs] |= VIEW_SCANNED;
		if (!r->opts->search_tasks) {
			struct view_member m = proc_member(g, p);
			scan_id(r, &p->links, p, &m);
			continue;
		}
		/* A task list that could not be read is skipped silently,
		 * as the reference does. */
		if (p->task_err || p->ntasks == 0)
			continue;
		const struct graph_task **tasks = malloc(p->ntasks * sizeof(*tasks));
		if (!tasks) {
			fail(r, -ENOMEM);
			break;
		}
		for (uint32_t k = 0; k < p->ntasks; k++)
			tasks[k] = &g->tasks[p->first_task + k];
		qsort(tasks, p->ntasks, sizeof(*tasks), cmp_task_names);
		for (uint32_t k = 0; k < p->ntasks; k++) {
			struct view_member m = task_member(g, p, tasks[k]);
			scan_id(r, &tasks[k]->links, p, &m);
		}
		free(tasks);
	}
	free(order);
}

/*
 * A PID as typed on the command line: the reference pastes the word into
 * /proc/WORD/ns/TYPE and counts it as a member only when it is a number.
 */
static bool parse_id(const char *word, int32_t *id)
{
	long long v = 0;

	if (word[0] < '1' || word[0] > '9')
		return false;
	for (const char *c = word; *c; c++) {
		if (*c < '0' || *c > '9' || v > INT32_MAX / 10)
			return false;
		v = v * 10 + (*c - '0');
	}
	if (v > INT32_MAX)
		return false;
	*id = (int32_t)v;
	return true;
}

/* One path component of WORD starting at *P; "" at the end. */
static size_t next_component(const char **p)
{
	while (**p == '/')
		(*p)++;
	const char *s = *p;
	while (**p && **p != '/')
		(*p)++;
	return (size_t)(*p - s);
}

int view_word_target(const char *word, int32_t self, int32_t *pid,
		     int32_t *tid)
{
	char part[3][16];
	size_t n = 0;
	const char *p = word;

	for (size_t len; (len = next_component(&p)) > 0;) {
		const char *c = p - len;
		if (len == 1 && c[0] == '.')
			continue;
		if (n == 3 || len >= sizeof(part[0]))
			return -ENOENT;
		memcpy(part[n], c, len);
		part[n++][len] = '\0';
	}
	*tid = 0;
	if (n == 1 && strcmp(part[0], "self") == 0)
		return *pid = self, 0;
	if (n == 1 && strcmp(part[0], "thread-self") == 0)
		return *pid = self, *tid = self, 0;
	if ((n == 1 || (n == 3 && strcmp(part[1], "task") == 0)) &&
	    parse_id(part[0], pid) && (n == 1 || parse_id(part[2], tid)))
		return 0;
	return -ENOENT;
}

/* The links /proc/WORD/ns would show, and WORD as a member (id 0: none). */
static const struct graph_links *lookup_word(const struct graph *g,
					     const char *word,
					     struct view_member *m)
{
	int32_t pid, tid, id;
	const struct graph_proc *p;
	const struct graph_task *t;
	const struct graph_links *links = NULL;

	if (view_word_target(word, g->meta.capturer_pid, &pid, &tid))
		return NULL;
	if (tid && (t = graph_task_find(g, tid, &p)) && p->pid == pid) {
		*m = task_member(g, p, t);
		links = &t->links;
	} else if ((p = graph_proc_find(g, tid ? tid : pid))) {
		/* A live capture of one thread records it as a process. */
		*m = proc_member(g, p);
		links = &p->links;
	} else if (!tid && (t = graph_task_find(g, pid, &p))) {
		*m = task_member(g, p, t);
		links = &t->links;
	}
	if (links && !(parse_id(word, &id) && id == m->id))
		m->id = 0;
	return links;
}

static void scan_pid_arguments(struct replay *r)
{
	char ebuf[128];

	for (size_t i = 0; i < r->opts->npids && !r->err && !r->v->fatal; i++) {
		const char *word = r->opts->pids[i];
		struct view_member m;
		const struct graph_links *l = lookup_word(r->g, word, &m);
		bool warned = false;

		for (unsigned t = 0; t < NS_NTYPES; t++) {
			if (!(r->scan_types & NS_TYPE_BIT(t)))
				continue;
			int err = l ? l->err[t] : ENOENT;
			if (!err && l->ns[t] == GRAPH_NONE)
				err = ENOENT;
			if (err == EACCES) {
				/* Named on the command line and not shown:
				 * the others are, but the run did not
				 * fully succeed (the reference exits 1). */
				warned_for(r, l ? m.id : 0, &warned, word, t);
				r->v->status = 1;
			} else if (err) {
				r->v->status = 1;
				if (asprintf(&r->v->fatal,
					     "Could not open /proc/%s/ns/%s: %s",
					     word, ns_type_name(t),
					     view_strerror(err, ebuf, sizeof(ebuf))) < 0) {
					r->v->fatal = NULL;
					fail(r, -ENOMEM);
				}
				return;
			} else {
				add_namespace(r, l->ns[t], m.id ? &m : NULL);
			}
		}
	}
}

/* The vnode --subtree starts from, or GRAPH_NONE with v->fatal set. */
static uint32_t subtree_root(struct replay *r)
{
	const char *word = r->opts->subtree;
	unsigned type = r->opts->pidns ? NS_PID : NS_USER;
	struct view_member m;
	const struct graph_links *l = lookup_word(r->g, word, &m);
	int err = l ? l->err[type] : ENOENT;
	uint32_t node = GRAPH_NONE;
	char ebuf[128];

	if (!err && l->ns[type] == GRAPH_NONE)
		err = ENOENT;
	if (!err && l->ns[type] >= r->g->nns) {
		fail(r, -EBADMSG);
		return GRAPH_NONE;
	}
	if (!err) {
		node = r->vnode_of[l->ns[type]];
		/* Met by no scanned process (it appeared after the scan). */
		if (node == GRAPH_NONE)
			err = ENOENT;
	}
	if (err) {
		r->v->status = 1;
		if (asprintf(&r->v->fatal,
			     "Error finding namespace subtree for PID%s: %s", word,
			     view_strerror(err, ebuf, sizeof(ebuf))) < 0) {
			r->v->fatal = NULL;
			fail(r, -ENOMEM);
		}
	}
	return node;
}

/* ---- flattening ------------------------------------------------------ */

/*
 * Members by ID, stably: a bottom-up merge sort with the comparison inline.
 * Member lists run to thousands (every process of the initial namespaces,
 * once per type); qsort's call per comparison showed in profiles.  TMP
 * holds N members.
 */
static void sort_members(struct view_member *m, struct view_member *tmp,
			 size_t n)
{
	struct view_member *src = m, *dst = tmp;

	for (size_t width = 1; width < n; width *= 2) {
		for (size_t lo = 0; lo < n; lo += 2 * width) {
			size_t mid = lo + width < n ? lo + width : n;
			size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
			size_t i = lo, j = mid, k = lo;

			while (i < mid && j < hi)
				dst[k++] = src[j].id < src[i].id ? src[j++] : src[i++];
			while (i < mid)
				dst[k++] = src[i++];
			while (j < hi)
				dst[k++] = src[j++];
		}
		struct view_member *t = src;
		src = dst;
		dst = t;
	}
	if (src != m)
		memcpy(m, src, n * sizeof(*m));
}

static bool shown(const struct replay *r, const struct vnode *n)
{
	if (n->ns == VIEW_INVISIBLE)
		return true;
	unsigned type = r->g->ns[n->ns].type;
	return type == NS_USER || (r->opts->show_types & NS_TYPE_BIT(type));
}

/* NODE's line at DEPTH, when it is shown; false on ENOMEM. */
static bool emit_line(struct replay *r, uint32_t node, unsigned depth)
{
	struct vnode *n = &r->nodes[node];

	if (!shown(r, n))
		return true;
	if (r->v->nlines == r->cap_lines) {
		fail(r, -EBADMSG); /* only a tree with a cycle gets here */
		return false;
	}
	struct view_line *line = &r->v->lines[r->v->nlines++];
	*line = (struct view_line){ .ns = n->ns, .depth = depth,
				    .sock_pid = n->sock_pid,
				    .sock_fd = n->sock_fd };
	if (n->nmembers) {
		/* A copy: a tree may be emitted twice. */
		size_t size = n->nmembers * sizeof(*n->members);
		line->members = malloc(size);
		if (!line->members) {
			fail(r, -ENOMEM);
			return false;
		}
		line->nmembers = n->nmembers;
		if (!n->sorted && n->nmembers > 1) {
			/* In place, once, the copy as scratch. */
			sort_members(n->members, line->members, n->nmembers);
			n->sorted = true;
		}
		memcpy(line->members, n->members, size);
	}
	/* Maps come from the members; none means "deleted". */
	if (n->ns != VIEW_INVISIBLE && n->nmembers &&
	    r->g->ns[n->ns].type == NS_USER) {
		line->uid_map = r->g->ns[n->ns].uid_map;
		line->gid_map = r->g->ns[n->ns].gid_map;
	}
	return true;
}

/*
 * The tree under ROOT (ROOT's siblings excluded) in pre-order, children in
 * order of linking.  Iterative, with one pending sibling per level: a tree
 * deeper than VIEW_MAX_DEPTH did not come from a kernel (-EBADMSG).
 */
static void emit(struct replay *r, uint32_t root)
{
	uint32_t next[VIEW_MAX_DEPTH + 1]; /* per level: sibling still due */
	unsigned depth = 0;
	uint32_t node = root;

	while (!r->err) {
		if (node == GRAPH_NONE) {
			if (depth == 0)
				return;
			node = next[--depth];
			continue;
		}
		if (!emit_line(r, node, depth))
			return;
		next[depth] = depth ? r->nodes[node].next_sibling : GRAPH_NONE;
		uint32_t child = r->nodes[node].first_child;
		if (child == GRAPH_NONE) {
			node = next[depth];
		} else if (depth == VIEW_MAX_DEPTH) {
			fail(r, -EBADMSG);
		} else {
			depth++;
			node = child;
		}
	}
}

/* The links a scan reads: those the kernel had, of the types it follows. */
static uint32_t scan_types(const struct graph *g, const struct view_opts *o)
{
	return g->meta.types_present &
	       (o->pidns ? NS_TYPE_BIT(NS_PID) : NS_ALL_TYPES);
}

static int check_collected(const struct graph *g, const struct view_opts *o)
{
	uint32_t need, types;
	struct view_opts base = *o;

	/* What goes beyond the reference is shown where the graph holds it
	 * (a snapshot recorded before workloads existed shows none). */
	base.workloads = base.cmdline = base.socket_pins = false;
	view_capture_needs(&base, &need, &types);
	/* Comm and NStgid absent only make the renderer print the
	 * reference's "can't open" lines: not worth refusing. */
	need &= ~(uint32_t)(GRAPH_HAVE_COMM | GRAPH_HAVE_NSTGID);
	if (o->subtree)
		need |= GRAPH_HAVE_ALL_PROCS;
	return (g->meta.collected & need) == need ? 0 : -ENODATA;
}

int view_build(const struct graph *g, const struct view_opts *opts,
	       struct view *out)
{
	struct replay r = {
		.g = g, .opts = opts, .v = out,
		.root = GRAPH_NONE, .invisible = GRAPH_NONE,
	};
	int rc;

	memset(out, 0, sizeof(*out));
	/* Every index and hierarchy below is taken on graph_check()'s word. */
	if ((rc = graph_check(g, NULL, 0)) || (rc = check_collected(g, opts)))
		return rc;
	r.scan_types = scan_types(g, opts);
	r.vnode_of = malloc((g->nns + 1) * sizeof(*r.vnode_of));
	if (!r.vnode_of)
		return -ENOMEM;
	memset(r.vnode_of, 0xff, (g->nns + 1) * sizeof(*r.vnode_of));

	out->show_maps = opts->npids == 0;
	out->deep_scan = opts->deep_scan;
	out->annotate = opts->workloads;
	out->cmdline = opts->cmdline;
	if (opts->workloads && (g->meta.collected & GRAPH_HAVE_WORKLOADS)) {
		if ((rc = workload_ns_map_build(g, &out->wmap))) {
			free(r.vnode_of);
			return rc;
		}
		out->has_wmap = true;
		out->wmap_nns = g->nns;
		out->wmap_nworkloads = g->nworkloads;
	}
	if (opts->npids)
		scan_pid_arguments(&r);
	else
		scan_all(&r);

	uint32_t start = r.root;
	if (!r.err && !out->fatal && opts->subtree)
		start = subtree_root(&r);

	if (!r.err && !out->fatal) {
		r.cap_lines = 2 * r.nnodes + 1;
		out->lines = calloc(r.cap_lines, sizeof(*out->lines));
		if (!out->lines)
			fail(&r, -ENOMEM);
		else {
			/*
			 * With no root met, the reference's empty root key is
			 * the invisible entry's key: it shows that tree twice.
			 */
			if (start == GRAPH_NONE && !opts->subtree)
				start = r.invisible;
			if (start != GRAPH_NONE)
				emit(&r, start);
			if (!opts->subtree && r.invisible != GRAPH_NONE)
				emit(&r, r.invisible);
		}
	}

	for (size_t i = 0; i < r.nnodes; i++)
		free(r.nodes[i].members);
	free(r.nodes);
	free(r.vnode_of);
	if (r.err) {
		view_release(out);
		return r.err;
	}
	return 0;
}

int view_reach(const struct graph *g, const struct view_opts *opts,
	       struct view_reach *out)
{
	struct replay r = {
		.g = g, .opts = opts, .reach = out,
		.root = GRAPH_NONE, .invisible = GRAPH_NONE,
		.scan_types = scan_types(g, opts),
	};

	memset(out, 0, sizeof(*out));
	if (opts->npids)
		return -EINVAL;
	out->types = r.scan_types;
	out->ns = calloc(g->nns + 1, 1);
	out->procs = calloc(g->nprocs + 1, 1);
	out->mounts = calloc(g->nmounts + 1, 1);
	if (!out->ns || !out->procs || !out->mounts)
		fail(&r, -ENOMEM);
	else
		scan_all(&r);
	if (r.err)
		view_reach_release(out);
	return r.err;
}

void view_reach_release(struct view_reach *r)
{
	free(r->ns);
	free(r->procs);
	free(r->mounts);
	memset(r, 0, sizeof(*r));
}

int view_fits(const struct graph *g, const struct view *v)
{
	if (v->has_wmap && (v->wmap_nns != g->nns ||
			    v->wmap_nworkloads != g->nworkloads))
		return -EINVAL;
	for (size_t i = 0; i < v->nlines; i++) {
		const struct view_line *l = &v->lines[i];
		if ((l->ns != VIEW_INVISIBLE && l->ns >= g->nns) ||
		    l->depth > VIEW_MAX_DEPTH)
			return -EINVAL;
	}
	return 0;
}

void view_release(struct view *v)
{
	for (size_t i = 0; i < v->nmessages; i++)
		free(v->messages[i]);
	for (size_t i = 0; i < v->nwarnings; i++)
		free(v->warnings[i]);
	for (size_t i = 0; i < v->nlines; i++)
		free(v->lines[i].members);
	free(v->messages);
	free(v->warnings);
	free(v->lines);
	free(v->fatal);
	if (v->has_wmap)
		workload_ns_map_free(&v->wmap);
	memset(v, 0, sizeof(*v));
}
