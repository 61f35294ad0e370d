/*
 * graph.c — storage for the namespace graph: arrays, the (dev, inode) hash
 * and the string arena; and graph_check(), the one judgement of what a
 * graph may hold.
 */
#include "graph.h"

#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const type_names[NS_NTYPES] = {
	[NS_CGROUP] = "cgroup", [NS_IPC] = "ipc",   [NS_MNT] = "mnt",
	[NS_NET] = "net",       [NS_PID] = "pid",   [NS_TIME] = "time",
	[NS_USER] = "user",     [NS_UTS] = "uts",
};

/* Spelled out so that the build does not depend on libc's header age. */
static const int clone_flags[NS_NTYPES] = {
	[NS_CGROUP] = 0x02000000, [NS_IPC] = 0x08000000,
	[NS_MNT] = 0x00020000,    [NS_NET] = 0x40000000,
	[NS_PID] = 0x20000000,    [NS_TIME] = 0x00000080,
	[NS_USER] = 0x10000000,   [NS_UTS] = 0x04000000,
};

const char *ns_type_name(unsigned type)
{
	return type < NS_NTYPES ? type_names[type] : "?";
}

int ns_type_from_name(const char *name, size_t len)
{
	for (unsigned t = 0; t < NS_NTYPES; t++)
		if (strlen(type_names[t]) == len &&
		    memcmp(type_names[t], name, len) == 0)
			return (int)t;
	return -1;
}

int ns_type_from_clone_flag(int flag)
{
	for (unsigned t = 0; t < NS_NTYPES; t++)
		if (clone_flags[t] == flag)
			return (int)t;
	return -1;
}

int ns_type_clone_flag(unsigned type)
{
	return type < NS_NTYPES ? clone_flags[type] : 0;
}

/* ---- arena ------------------------------------------------------------ */

struct graph_arena {
	struct graph_arena *next;
	size_t used, size;
	char data[];
};

#define ARENA_CHUNK (64 * 1024)

const char *graph_strndup(struct graph *g, const char *s, size_t len)
{
	struct graph_arena *a = g->arena;

	if (!a || a->size - a->used < len + 1) {
		size_t size = len + 1 > ARENA_CHUNK ? len + 1 : ARENA_CHUNK;
		struct graph_arena *n = malloc(sizeof(*n) + size);

		if (!n)
			return NULL;
		n->next = a;
		n->used = 0;
		n->size = size;
		g->arena = a = n;
	}
	char *p = a->data + a->used;
	memcpy(p, s, len);
	p[len] = '\0';
	a->used += len + 1;
	return p;
}

const char *graph_strdup(struct graph *g, const char *s)
{
	return s ? graph_strndup(g, s, strlen(s)) : NULL;
}

/* ---- life cycle ------------------------------------------------------- */

struct graph *graph_new(void)
{
	return calloc(1, sizeof(struct graph));
}

void graph_free(struct graph *g)
{
	if (!g)
		return;
	free(g->ns);
	free(g->procs);
	free(g->tasks);
	free(g->fds);
	free(g->mounts);
	free(g->gaps);
	free(g->ifaces);
	free(g->workloads);
	free(g->ns_hash);
	while (g->arena) {
		struct graph_arena *next = g->arena->next;
		free(g->arena);
		g->arena = next;
	}
	free(g);
}

/* Grow *arr (of *cap elements of SIZE bytes) to hold one more than N. */
static int grow(void *arr, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : 64;
	void *p = realloc(*(void **)arr, ncap * size);
	if (!p)
		return -ENOMEM;
	*(void **)arr = p;
	*cap = ncap;
	return 0;
}

/* ---- namespaces ------------------------------------------------------- */

static uint64_t key_hash(struct ns_key k)
{
	uint64_t h = k.ino * 0x9e3779b97f4a7c15ull ^ k.dev * 0xc2b2ae3d27d4eb4full;
	return h ^ (h >> 29);
}

static bool key_eq(struct ns_key a, struct ns_key b)
{
	return a.dev == b.dev && a.ino == b.ino;
}

uint32_t graph_ns_find(const struct graph *g, struct ns_key key)
{
	if (!g->ns_hash_cap)
		return GRAPH_NONE;
	size_t mask = g->ns_hash_cap - 1;
	for (size_t i = key_hash(key) & mask;; i = (i + 1) & mask) {
		uint32_t idx = g->ns_hash[i];
		if (idx == GRAPH_NONE)
			return GRAPH_NONE;
		if (key_eq(g->ns[idx].key, key))
			return idx;
	}
}

static void hash_insert(uint32_t *tab, size_t cap, const struct graph_ns *ns,
			uint32_t idx)
{
	size_t mask = cap - 1;
	size_t i = key_hash(ns[idx].key) & mask;
	while (tab[i] != GRAPH_NONE)
		i = (i + 1) & mask;
	tab[i] = idx;
}

static int hash_reserve(struct graph *g)
{
	if ((g->nns + 1) * 2 <= g->ns_hash_cap)
		return 0;
	size_t cap = g->ns_hash_cap ? g->ns_hash_cap * 2 : 256;
	uint32_t *tab = malloc(cap * sizeof(*tab));
	if (!tab)
		return -ENOMEM;
	memset(tab, 0xff, cap * sizeof(*tab));
	for (size_t i = 0; i < g->nns; i++)
		hash_insert(tab, cap, g->ns, (uint32_t)i);
	free(g->ns_hash);
	g->ns_hash = tab;
	g->ns_hash_cap = cap;
	return 0;
}

uint32_t graph_ns_add(struct graph *g, struct ns_key key, unsigned type,
		      bool *added)
{
	uint32_t idx = graph_ns_find(g, key);

	if (added)
		*added = idx == GRAPH_NONE;
	if (idx != GRAPH_NONE)
		return idx;
	if (hash_reserve(g) || grow(&g->ns, &g->cap_ns, g->nns, sizeof(*g->ns)))
		return GRAPH_NONE;
	idx = (uint32_t)g->nns++;
	g->ns[idx] = (struct graph_ns){
		.key = key, .type = (uint8_t)type,
		.owner = GRAPH_NONE, .owner_err = ENODATA,
		.parent = GRAPH_NONE, .parent_err = ENODATA,
		.first_iface = (uint32_t)g->nifaces,
	};
	hash_insert(g->ns_hash, g->ns_hash_cap, g->ns, idx);
	return idx;
}

/* ---- processes, threads, pins, gaps ----------------------------------- */

void graph_links_init(struct graph_links *l)
{
	for (unsigned t = 0; t < NS_NTYPES; t++) {
		l->ns[t] = GRAPH_NONE;
		l->err[t] = ENODATA;
	}
	l->pid_for_children = GRAPH_NONE;
	l->time_for_children = GRAPH_NONE;
}

struct graph_proc *graph_proc_append(struct graph *g, int32_t pid)
{
	if (grow(&g->procs, &g->cap_procs, g->nprocs, sizeof(*g->procs)))
		return NULL;
	struct graph_proc *p = &g->procs[g->nprocs++];
	*p = (struct graph_proc){
		.pid = pid, .task_err = ENODATA, .fd_err = ENODATA,
		.status_err = ENODATA,
		.first_task = (uint32_t)g->ntasks, .first_fd = (uint32_t)g->nfds,
		.loginuid = UINT32_MAX, .sessionid = UINT32_MAX,
		.workload = GRAPH_NONE,
	};
	graph_links_init(&p->links);
	return p;
}

struct graph_task *graph_task_append(struct graph *g, int32_t tid)
{
	if (grow(&g->tasks, &g->cap_tasks, g->ntasks, sizeof(*g->tasks)))
		return NULL;
	struct graph_task *t = &g->tasks[g->ntasks++];
	*t = (struct graph_task){ .tid = tid };
	graph_links_init(&t->links);
	return t;
}

struct graph_fd *graph_fd_append(struct graph *g)
{
	if (grow(&g->fds, &g->cap_fds, g->nfds, sizeof(*g->fds)))
		return NULL;
	struct graph_fd *f = &g->fds[g->nfds++];
	*f = (struct graph_fd){ .ns = GRAPH_NONE };
	return f;
}

struct graph_mount *graph_mount_append(struct graph *g)
{
	if (grow(&g->mounts, &g->cap_mounts, g->nmounts, sizeof(*g->mounts)))
		return NULL;
	struct graph_mount *m = &g->mounts[g->nmounts++];
	*m = (struct graph_mount){ .mntns = GRAPH_NONE, .ns = GRAPH_NONE };
	return m;
}

struct graph_iface *graph_iface_append(struct graph *g)
{
	if (grow(&g->ifaces, &g->cap_ifaces, g->nifaces, sizeof(*g->ifaces)))
		return NULL;
	struct graph_iface *f = &g->ifaces[g->nifaces++];
	*f = (struct graph_iface){ .ns = GRAPH_NONE };
	return f;
}

static bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

uint32_t graph_workload_add(struct graph *g, const char *runtime,
			    const char *id, bool *added)
{
	for (size_t i = 0; i < g->nworkloads; i++)
		if (str_eq(g->workloads[i].runtime, runtime) &&
		    str_eq(g->workloads[i].id, id)) {
			if (added)
				*added = false;
			return (uint32_t)i;
		}
	if (added)
		*added = true;
	return graph_workload_append(g, runtime, id);
}

uint32_t graph_workload_append(struct graph *g, const char *runtime,
			       const char *id)
{
	if (g->nworkloads >= GRAPH_NONE - 1 ||
	    grow(&g->workloads, &g->cap_workloads, g->nworkloads,
		 sizeof(*g->workloads)))
		return GRAPH_NONE;
	const char *r = runtime ? graph_strdup(g, runtime) : NULL;
	const char *d = id ? graph_strdup(g, id) : NULL;
	if ((runtime && !r) || (id && !d))
		return GRAPH_NONE;
	g->workloads[g->nworkloads] = (struct graph_workload){
		.kind = GRAPH_WL_CGROUP, .runtime = r, .id = d,
	};
	return (uint32_t)g->nworkloads++;
}

static int workload_cmp(const struct graph_workload *a,
			const struct graph_workload *b)
{
	int c = strcmp(a->runtime ? a->runtime : "", b->runtime ? b->runtime : "");
	return c ? c : strcmp(a->id ? a->id : "", b->id ? b->id : "");
}

/* A workload and where it was, for sorting: equal ones keep their order. */
struct wl_pos {
	const struct graph_workload *w;
	uint32_t i;
};

static int wl_pos_cmp(const void *a, const void *b)
{
	const struct wl_pos *x = a, *y = b;
	int c = workload_cmp(x->w, y->w);

	return c ? c : (x->i > y->i) - (x->i < y->i);
}

int graph_workloads_sort(struct graph *g)
{
	size_t n = g->nworkloads;

	if (n < 2)
		return 0;
	/* qsort, not an insertion sort: a user can name thousands of
	 * cgroups like containers, in any order. */
	struct wl_pos *order = malloc(n * sizeof(*order));
	uint32_t *where = malloc(n * sizeof(*where));
	struct graph_workload *copy = malloc(n * sizeof(*copy));
	if (!order || !where || !copy) {
		free(order);
		free(where);
		free(copy);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		order[i] = (struct wl_pos){ &g->workloads[i], (uint32_t)i };
	qsort(order, n, sizeof(*order), wl_pos_cmp);
	for (size_t i = 0; i < n; i++) {
		copy[i] = g->workloads[order[i].i];
		where[order[i].i] = (uint32_t)i;
	}
	memcpy(g->workloads, copy, n * sizeof(*copy));
	for (size_t i = 0; i < g->nprocs; i++)
		if (g->procs[i].workload < n)
			g->procs[i].workload = where[g->procs[i].workload];
	free(order);
	free(where);
	free(copy);
	return 0;
}

const char *graph_workload_kind_name(unsigned kind)
{
	static const char *const names[GRAPH_WL_NKINDS] = {
		[GRAPH_WL_CONTAINER] = "container", [GRAPH_WL_POD] = "pod",
		[GRAPH_WL_MACHINE] = "machine", [GRAPH_WL_SERVICE] = "service",
		[GRAPH_WL_SESSION] = "session", [GRAPH_WL_CGROUP] = "cgroup",
	};
	return kind < GRAPH_WL_NKINDS ? names[kind] : "?";
}

int graph_gap_add(struct graph *g, int32_t pid, int32_t tid, int err,
		  const char *what)
{
	if (grow(&g->gaps, &g->cap_gaps, g->ngaps, sizeof(*g->gaps)))
		return -ENOMEM;
	const char *w = graph_strdup(g, what);
	if (!w)
		return -ENOMEM;
	g->gaps[g->ngaps++] = (struct graph_gap){
		.pid = pid, .tid = tid, .err = err, .what = w,
	};
	return 0;
}

const struct graph_proc *graph_proc_find(const struct graph *g, int32_t pid)
{
	for (size_t i = 0; i < g->nprocs; i++)
		if (g->procs[i].pid == pid)
			return &g->procs[i];
	return NULL;
}

const struct graph_task *graph_task_find(const struct graph *g, int32_t tid,
					 const struct graph_proc **proc)
{
	for (size_t i = 0; i < g->nprocs; i++) {
		const struct graph_proc *p = &g->procs[i];
		for (uint32_t k = 0; k < p->ntasks; k++) {
			const struct graph_task *t = &g->tasks[p->first_task + k];
			if (t->tid == tid) {
				if (proc)
					*proc = p;
				return t;
			}
		}
	}
	return NULL;
}

size_t graph_mounts_of(const struct graph *g, uint32_t mntns, size_t *first)
{
	size_t i = 0, n = 0;

	while (i < g->nmounts && g->mounts[i].mntns != mntns)
		i++;
	*first = i;
	while (i + n < g->nmounts && g->mounts[i + n].mntns == mntns)
		n++;
	return n;
}

/* ---- validity --------------------------------------------------------- */

__attribute__((format(printf, 3, 4)))
static int refuse(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (why && len) {
		va_start(ap, fmt);
		vsnprintf(why, len, fmt, ap);
		va_end(ap);
	}
	return -EBADMSG;
}

static bool ref_ok(const struct graph *g, uint32_t idx)
{
	return idx == GRAPH_NONE || idx < g->nns;
}

/* The relatives that count: known (errno 0) and named. */
static uint32_t owner_of(const struct graph_ns *n)
{
	return n->owner_err == 0 ? n->owner : GRAPH_NONE;
}

static uint32_t parent_of(const struct graph_ns *n)
{
	return n->parent_err == 0 ? n->parent : GRAPH_NONE;
}

static int check_ref(const struct graph *g, uint32_t idx, char *why,
		     size_t len, const char *what, size_t i, const char *member)
{
	if (ref_ok(g, idx))
		return 0;
	return refuse(why, len, "%s[%zu].%s: namespace index %" PRIu32
		      " out of range (%zu namespaces)", what, i, member, idx,
		      g->nns);
}

static int check_links(const struct graph *g, const struct graph_links *l,
		       char *why, size_t len, const char *what, size_t i)
{
	char member[32];
	int rc = 0;

	for (unsigned t = 0; t < NS_NTYPES && !rc; t++) {
		snprintf(member, sizeof(member), "ns.%s", type_names[t]);
		rc = check_ref(g, l->ns[t], why, len, what, i, member);
	}
	if (!rc)
		rc = check_ref(g, l->pid_for_children, why, len, what, i,
			       "ns.pid_for_children");
	if (!rc)
		rc = check_ref(g, l->time_for_children, why, len, what, i,
			       "ns.time_for_children");
	return rc;
}

/* One namespace on its own: type, key, and what its relatives are. */
static int check_ns(const struct graph *g, size_t i, char *why, size_t len)
{
	const struct graph_ns *n = &g->ns[i];
	uint32_t owner = owner_of(n), parent = parent_of(n);
	int rc;

	if (n->type >= NS_NTYPES)
		return refuse(why, len, "namespaces[%zu]: type %u out of range",
			      i, n->type);
	/* References are by key in the store: one namespace per key. */
	if (graph_ns_find(g, n->key) != i)
		return refuse(why, len, "namespaces[%zu]: dev %" PRIu64 " ino %"
			      PRIu64 " is not this namespace's key alone", i,
			      n->key.dev, n->key.ino);
	if ((rc = check_ref(g, n->owner, why, len, "namespaces", i, "owner")) ||
	    (rc = check_ref(g, n->parent, why, len, "namespaces", i, "parent")))
		return rc;
	/* NS_GET_USERNS answers a user namespace, always. */
	if (owner != GRAPH_NONE && g->ns[owner].type != NS_USER)
		return refuse(why, len, "namespaces[%zu] (%s): owner namespaces[%"
			      PRIu32 "] is a %s namespace, not a user namespace",
			      i, type_names[n->type], owner,
			      ns_type_name(g->ns[owner].type));
	if (parent == GRAPH_NONE)
		return 0;
	/* NS_GET_PARENT: EINVAL but for these two, and of the same type. */
	if (n->type != NS_PID && n->type != NS_USER)
		return refuse(why, len, "namespaces[%zu] (%s): only PID and user "
			      "namespaces have a parent", i, type_names[n->type]);
	if (g->ns[parent].type != n->type)
		return refuse(why, len, "namespaces[%zu] (%s): parent namespaces[%"
			      PRIu32 "] is a %s namespace", i, type_names[n->type],
			      parent, ns_type_name(g->ns[parent].type));
	/* A user namespace's parent is its owner, asked another way. */
	if (n->type == NS_USER && owner != GRAPH_NONE && owner != parent)
		return refuse(why, len, "namespaces[%zu] (user): parent namespaces[%"
			      PRIu32 "] is not its owner namespaces[%" PRIu32 "]",
			      i, parent, owner);
	return 0;
}

enum chain { CHAIN_OK, CHAIN_DEEP, CHAIN_CYCLE };

/*
 * The chain of UP steps from namespace I: whether it reaches a top within
 * MAX steps.  Only when it does not is it walked further, by Floyd's
 * tortoise and hare, to tell a cycle from a chain that is merely too long;
 * that happens once, since the first failure ends the check.
 */
static enum chain walk(const struct graph *g, uint32_t i,
		       uint32_t (*up)(const struct graph_ns *), unsigned max)
{
	uint32_t cur = i, slow = i, fast = i;

	for (unsigned steps = 0; (cur = up(&g->ns[cur])) != GRAPH_NONE;)
		if (++steps > max)
			break;
	if (cur == GRAPH_NONE)
		return CHAIN_OK;
	for (;;) {
		for (int k = 0; k < 2; k++)
			if ((fast = up(&g->ns[fast])) == GRAPH_NONE)
				return CHAIN_DEEP;
		slow = up(&g->ns[slow]);
		if (slow == fast)
			return CHAIN_CYCLE;
	}
}

/* The hierarchies: owners of user namespaces, parents of PID and user
 * namespaces.  check_ns() made sure each step stays within one type. */
static int check_nesting(const struct graph *g, size_t i, char *why,
			 size_t len)
{
	static const struct {
		const char *relatives;
		uint32_t (*up)(const struct graph_ns *);
	} kinds[] = { { "owners", owner_of }, { "parents", parent_of } };
	unsigned type = g->ns[i].type;

	if (type != NS_USER && type != NS_PID)
		return 0;
	unsigned max = type == NS_USER ? GRAPH_USER_NS_LEVELS
				       : GRAPH_PID_NS_LEVELS;
	/* A PID namespace's owner is a user namespace: walked from there. */
	for (size_t k = type == NS_PID; k < 2; k++) {
		switch (walk(g, (uint32_t)i, kinds[k].up, max)) {
		case CHAIN_OK:
			break;
		case CHAIN_CYCLE:
			return refuse(why, len, "namespaces[%zu] (%s): its %s form "
				      "a cycle", i, type_names[type],
				      kinds[k].relatives);
		case CHAIN_DEEP:
			return refuse(why, len, "namespaces[%zu] (%s): nested "
				      "deeper than the kernel allows (%u levels "
				      "below the initial %s namespace)", i,
				      type_names[type], max, type_names[type]);
		}
	}
	return 0;
}

static int check_facts(const struct graph *g, char *why, size_t len);

/* Processes, threads, fds and mounts: indexes and slices. */
static int check_records(const struct graph *g, char *why, size_t len)
{
	int rc = 0;

	for (size_t i = 0; i < g->nprocs && !rc; i++) {
		const struct graph_proc *p = &g->procs[i];
		/* Named as the export names a process's slices. */
		if ((uint64_t)p->first_task + p->ntasks > g->ntasks)
			return refuse(why, len, "processes[%zu].task_slice: "
				      "beyond the %zu threads", i, g->ntasks);
		if ((uint64_t)p->first_fd + p->nfds > g->nfds)
			return refuse(why, len, "processes[%zu].fd_slice: beyond "
				      "the %zu fds", i, g->nfds);
		rc = check_links(g, &p->links, why, len, "processes", i);
	}
	for (size_t i = 0; i < g->ntasks && !rc; i++)
		rc = check_links(g, &g->tasks[i].links, why, len, "tasks", i);
	for (size_t i = 0; i < g->nfds && !rc; i++) {
		const struct graph_fd *f = &g->fds[i];
		rc = check_ref(g, f->ns, why, len, "fds", i, "ns");
		if (rc)
			break;
		if (f->kind > GRAPH_FD_SOCKET)
			return refuse(why, len, "fds[%zu]: kind %u unknown", i,
				      f->kind);
		/* SIOCGSKNS answers a network namespace. */
		if (f->kind == GRAPH_FD_SOCKET &&
		    (f->ns == GRAPH_NONE || g->ns[f->ns].type != NS_NET))
			return refuse(why, len, "fds[%zu]: a socket pin of no "
				      "network namespace", i);
	}
	for (size_t i = 0; i < g->nmounts && !rc; i++) {
		rc = check_ref(g, g->mounts[i].mntns, why, len, "mounts", i,
			       "mntns");
		if (!rc)
			rc = check_ref(g, g->mounts[i].ns, why, len, "mounts", i,
				       "ns");
	}
	for (size_t i = 0; i < g->nprocs && !rc; i++)
		if (g->procs[i].workload != GRAPH_NONE &&
		    g->procs[i].workload >= g->nworkloads)
			return refuse(why, len, "processes[%zu].workload: index "
				      "%" PRIu32 " out of range (%zu workloads)",
				      i, g->procs[i].workload, g->nworkloads);
	return rc ? rc : check_facts(g, why, len);
}

/*
 * Interfaces and workloads: each interface belongs to the network
 * namespace whose slice holds it, slices back to back in namespace order;
 * workloads are of a known kind and in strictly ascending (runtime, id)
 * order, which makes them unique in one pass (graph_workloads_sort()).
 */
static int check_facts(const struct graph *g, char *why, size_t len)
{
	size_t next = 0;

	for (size_t i = 0; i < g->nns; i++) {
		const struct graph_ns *n = &g->ns[i];
		if (!n->nifaces)
			continue;
		if (n->type != NS_NET)
			return refuse(why, len, "namespaces[%zu] (%s): interfaces "
				      "of a namespace that is not a network "
				      "namespace", i, type_names[n->type]);
		if (n->first_iface != next ||
		    (uint64_t)n->first_iface + n->nifaces > g->nifaces)
			return refuse(why, len, "namespaces[%zu].iface_slice: not "
				      "the next %" PRIu32 " of the %zu interfaces",
				      i, n->nifaces, g->nifaces);
		for (uint32_t k = 0; k < n->nifaces; k++)
			if (g->ifaces[next + k].ns != i)
				return refuse(why, len, "ifaces[%zu]: not of "
					      "namespaces[%zu], whose slice holds "
					      "it", next + k, i);
		next += n->nifaces;
	}
	if (next != g->nifaces)
		return refuse(why, len, "ifaces[%zu]: in no namespace's slice",
			      next);
	for (size_t i = 0; i < g->nworkloads; i++) {
		const struct graph_workload *w = &g->workloads[i];
		if (w->kind >= GRAPH_WL_NKINDS)
			return refuse(why, len, "workloads[%zu]: kind %u unknown",
				      i, w->kind);
		if (!w->runtime || !w->id)
			return refuse(why, len, "workloads[%zu]: no runtime or id",
				      i);
		if (i && workload_cmp(&g->workloads[i - 1], w) >= 0)
			return refuse(why, len, "workloads[%zu]: not after "
				      "workloads[%zu] in (runtime, id) order", i,
				      i - 1);
	}
	return 0;
}

int graph_check(const struct graph *g, char *why, size_t len)
{
	int rc = 0;

	if (why && len)
		why[0] = '\0';
	/* Indexes are 32-bit and GRAPH_NONE is taken. */
	if (g->nns >= GRAPH_NONE || g->nprocs >= GRAPH_NONE ||
	    g->ntasks >= GRAPH_NONE || g->nfds >= GRAPH_NONE ||
	    g->nmounts >= GRAPH_NONE || g->ngaps >= GRAPH_NONE ||
	    g->nifaces >= GRAPH_NONE || g->nworkloads >= GRAPH_NONE)
		return refuse(why, len, "more records of one kind than 32-bit "
			      "indexes can name");
	for (size_t i = 0; i < g->nns && !rc; i++)
		rc = check_ns(g, i, why, len);
	/* Every step is known good now: the walks can follow them. */
	for (size_t i = 0; i < g->nns && !rc; i++)
		rc = check_nesting(g, i, why, len);
	return rc ? rc : check_records(g, why, len);
}
