/*
 * workload.c — workloads over a graph: each process's (workload_attribute()),
 * each namespace's (workload_ns_map_build()) and a network namespace's
 * names (workload_netns_names()).
 *
 * The rules are in workload_rules.c, the state files in workload_state.c;
 * this file applies them to every process once.  Processes of one cgroup
 * share a workload, so a cgroup path is classified and looked up once
 * (a hash on the path) and each state file is read at most once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workload_int.h"

/* cgroup path -> workload index, open addressing; for the processes
 * whose command line does not matter (all but monitors). */
struct wl_cache {
	const char **key;
	uint32_t *wl;
	size_t cap;              /* a power of two */
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;   /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

/* The slot of KEY: its own, or the empty one where it belongs. */
static size_t cache_slot(const struct wl_cache *c, const char *key)
{
	size_t i = (size_t)hash_str(key) & (c->cap - 1);

	while (c->key[i] && strcmp(c->key[i], key))
		i = (i + 1) & (c->cap - 1);
	return i;
}

/* (runtime, id) -> workload index + 1 (0: empty), open addressing, as
 * large as the cgroup cache: a user may name thousands of cgroups of
 * their own like containers (lxc.payload.N), and graph_workload_add()'s
 * linear search made that quadratic (60,000 of them: 9 s). */
struct wl_index {
	uint32_t *slot;
	size_t cap;              /* a power of two */
};

/* The slot of (RUNTIME, ID) in X: its own, or the empty one where it
 * belongs. */
static size_t index_slot(const struct wl_index *x, const struct graph *g,
			 const char *runtime, const char *id)
{
	uint64_t h = hash_str(runtime) * 31 + hash_str(id);
	size_t i = (size_t)h & (x->cap - 1);

	while (x->slot[i]) {
		const struct graph_workload *w = &g->workloads[x->slot[i] - 1];
		if (!strcmp(w->runtime ? w->runtime : "", runtime) &&
		    !strcmp(w->id ? w->id : "", id))
			break;
		i = (i + 1) & (x->cap - 1);
	}
	return i;
}

/* What attribution keeps per workload while it runs. */
struct wl_run {
	struct graph *g;
	struct wl_state *state;
	struct wl_cache cache;
	struct wl_index index;
	bool *from_monitor;      /* per workload: its cgroup is a monitor's */
	size_t cap_monitor;
};

static int set_str(struct graph *g, const char **dst, const char *s)
{
	if (!s || !s[0]) {
		*dst = NULL;
		return 0;
	}
	*dst = graph_strdup(g, s);
	return *dst ? 0 : -ENOMEM;
}

/* The workload M describes, added or merged: its index, or GRAPH_NONE
 * on ENOMEM. */
static uint32_t workload_of(struct wl_run *r, const struct workload_match *m)
{
	struct graph *g = r->g;
	char runtime[sizeof(m->runtime) + 16];
	bool added;

	/* A user names the cgroups below their manager as they like: their
	 * "libpod-ID.scope" is theirs, not the system's container ID. */
	if (m->owner_uid != UINT32_MAX && strcmp(m->runtime, "systemd"))
		snprintf(runtime, sizeof(runtime), "%s@%u", m->runtime, m->owner_uid);
	else
		snprintf(runtime, sizeof(runtime), "%s", m->runtime);
	size_t slot = index_slot(&r->index, g, runtime, m->id);
	uint32_t i;

	added = !r->index.slot[slot];
	if (added) {
		i = graph_workload_append(g, runtime, m->id);
		if (i == GRAPH_NONE)
			return GRAPH_NONE;
		r->index.slot[slot] = i + 1;
	} else {
		i = r->index.slot[slot] - 1;
	}
	if (i >= r->cap_monitor) {
		size_t ncap = r->cap_monitor ? r->cap_monitor * 2 : 16;
		while (ncap <= i)
			ncap *= 2;
		bool *nm = realloc(r->from_monitor, ncap * sizeof(*nm));
		if (!nm)
			return GRAPH_NONE;
		memset(nm + r->cap_monitor, 0, (ncap - r->cap_monitor) * sizeof(*nm));
		r->from_monitor = nm;
		r->cap_monitor = ncap;
	}
	struct graph_workload *w = &g->workloads[i];
	if (added) {
		char name[256], pod[256];
		w->kind = m->kind;
		r->from_monitor[i] = m->monitor;
		/* State first: the runtime's own record of the name. */
		if (wl_state_lookup(r->state, m, name, sizeof(name), pod, sizeof(pod)) ||
		    set_str(g, &w->name, name[0] ? name : m->name) ||
		    set_str(g, &w->pod, pod) || set_str(g, &w->cgroup, m->cgroup))
			return GRAPH_NONE;
		return i;
	}
	if (!w->name && m->name[0] && set_str(g, &w->name, m->name))
		return GRAPH_NONE;
	/* The payload's cgroup is the workload's, not its monitor's. */
	if (r->from_monitor[i] && !m->monitor) {
		if (set_str(g, &w->cgroup, m->cgroup))
			return GRAPH_NONE;
		r->from_monitor[i] = false;
	}
	return i;
}

/* Whether P runs as root (really and effectively), as far as it is
 * known: status's credentials, else the owner of /proc/PID. */
static bool proc_is_root(const struct graph_proc *p)
{
	if (p->flags & GRAPH_PROC_HAS_CRED)
		return p->ruid == 0 && p->euid == 0;
	return p->uid == 0;
}

/*
 * A command line is the process's own say: any user may run a program
 * called conmon with "-c ID -n NAME".  When that is what placed P (its
 * cgroup alone says otherwise) and P is not root, the container is its
 * user's, as a rootless one below a user manager is (RUNTIME@UID), never
 * the system's container of that ID.
 */
static void monitor_owner(const struct graph_proc *p, struct workload_match *m)
{
	struct workload_match bare;

	if (workload_classify(p->cgroup, NULL, 0, &bare) ||
	    (bare.monitor == m->monitor && !strcmp(bare.runtime, m->runtime) &&
	     !strcmp(bare.id, m->id)))
		return;
	m->owner_uid = p->flags & GRAPH_PROC_HAS_CRED ? p->ruid : p->uid;
}

static int attribute_proc(struct wl_run *r, struct graph_proc *p)
{
	struct workload_match m;
	size_t slot = 0;
	bool cached = !wl_cmdline_is_monitor(p->cmdline, p->cmdline_len);

	if (cached) {
		slot = cache_slot(&r->cache, p->cgroup);
		if (r->cache.key[slot]) {
			p->workload = r->cache.wl[slot];
			return 0;
		}
	}
	if (workload_classify(p->cgroup, p->cmdline, p->cmdline_len, &m))
		return 0;  /* not a path: no workload */
	if (!cached && m.owner_uid == UINT32_MAX && !proc_is_root(p))
		monitor_owner(p, &m);
	uint32_t i = workload_of(r, &m);
	if (i == GRAPH_NONE)
		return -ENOMEM;
	p->workload = i;
	if (cached) {
		r->cache.key[slot] = p->cgroup;
		r->cache.wl[slot] = i;
	}
	return 0;
}

int workload_attribute(struct graph *g, const struct workload_env *env)
{
	struct wl_run r = { .g = g };
	int rc;

	if (!g)
		return -EINVAL;
	/* At most one cgroup per process: at most half full. */
	r.cache.cap = 16;
	while (r.cache.cap < g->nprocs * 2)
		r.cache.cap *= 2;
	r.cache.key = calloc(r.cache.cap, sizeof(*r.cache.key));
	r.cache.wl = calloc(r.cache.cap, sizeof(*r.cache.wl));
	/* At most one new workload per process, beside those there are. */
	r.index.cap = 16;
	while (r.index.cap < (g->nprocs + g->nworkloads) * 2)
		r.index.cap *= 2;
	r.index.slot = calloc(r.index.cap, sizeof(*r.index.slot));
	rc = r.cache.key && r.cache.wl && r.index.slot ? 0 : -ENOMEM;
	for (size_t i = 0; !rc && i < g->nworkloads; i++) {
		const struct graph_workload *w = &g->workloads[i];
		size_t slot = index_slot(&r.index, g, w->runtime ? w->runtime : "",
					 w->id ? w->id : "");
		if (!r.index.slot[slot])
			r.index.slot[slot] = (uint32_t)i + 1;
	}
	if (!rc)
		rc = wl_state_new(env ? env->root : NULL, &r.state);
	for (size_t i = 0; !rc && i < g->nprocs; i++) {
		const char *cg = g->procs[i].cgroup;
		g->procs[i].workload = GRAPH_NONE;
		/* The root cgroup is the host itself (kernel threads, an
		 * init without systemd): naming it would tag every host
		 * namespace with a workload that says nothing. */
		if (cg && strcmp(cg, "/"))
			rc = attribute_proc(&r, &g->procs[i]);
	}
	if (!rc)
		rc = graph_workloads_sort(g);
	wl_state_free(r.state);
	free(r.cache.key);
	free(r.cache.wl);
	free(r.index.slot);
	free(r.from_monitor);
	return rc;
}

/* ---- namespaces --------------------------------------------------------- */

/* (namespace, workload) pairs, as one sortable number. */
static void pair_add(uint64_t *v, size_t *n, const struct graph *g,
		     uint32_t ns, uint32_t wl)
{
	if (ns < g->nns)
		v[(*n)++] = (uint64_t)ns << 32 | wl;
}

static void links_add(uint64_t *v, size_t *n, const struct graph *g,
		      const struct graph_links *l, uint32_t wl)
{
	for (unsigned t = 0; t < NS_NTYPES; t++)
		pair_add(v, n, g, l->ns[t], wl);
	/* A namespace kept for children is held by this process too. */
	pair_add(v, n, g, l->pid_for_children, wl);
	pair_add(v, n, g, l->time_for_children, wl);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

int workload_ns_map_build(const struct graph *g, struct workload_ns_map *out)
{
	const size_t per = NS_NTYPES + 2;
	size_t max, n = 0;

	memset(out, 0, sizeof(*out));
	/* Counts below GRAPH_NONE each: their sum cannot wrap. */
	if (g->nprocs + g->ntasks > (SIZE_MAX / sizeof(uint64_t) - g->nfds) / per)
		return -ENOMEM;
	max = g->nprocs * per + g->ntasks * per + g->nfds;
	uint64_t *v = malloc((max ? max : 1) * sizeof(*v));
	out->ns = malloc((g->nns ? g->nns : 1) * sizeof(*out->ns));
	if (!v || !out->ns) {
		free(v);
		workload_ns_map_free(out);
		return -ENOMEM;
	}
	for (size_t i = 0; i < g->nprocs; i++) {
		const struct graph_proc *p = &g->procs[i];
		uint32_t wl = p->workload;
		if (wl >= g->nworkloads)
			continue;  /* unknown: neither for nor against */
		links_add(v, &n, g, &p->links, wl);
		for (size_t k = p->first_task; k < (size_t)p->first_task + p->ntasks &&
		     k < g->ntasks; k++)
			links_add(v, &n, g, &g->tasks[k].links, wl);
		/* Pin holders: namespace files and sockets alike. */
		for (size_t k = p->first_fd; k < (size_t)p->first_fd + p->nfds &&
		     k < g->nfds; k++)
			pair_add(v, &n, g, g->fds[k].ns, wl);
	}
	qsort(v, n, sizeof(*v), cmp_u64);

	for (size_t i = 0; i < g->nns; i++)
		out->ns[i] = (struct workload_ns){ .owner = GRAPH_NONE };
	/* Distinct pairs, in place: the list is their workload halves. */
	size_t u = 0;
	for (size_t i = 0; i < n; i++)
		if (!u || v[i] != v[u - 1])
			v[u++] = v[i];
	uint32_t *list = malloc((u ? u : 1) * sizeof(*list));
	if (!list) {
		free(v);
		workload_ns_map_free(out);
		return -ENOMEM;
	}
	for (size_t i = 0; i < u; i++) {
		struct workload_ns *e = &out->ns[v[i] >> 32];
		if (e->n == 0)
			e->first = (uint32_t)i;
		e->n++;
		list[i] = (uint32_t)v[i];
	}
	for (size_t i = 0; i < g->nns; i++)
		if (out->ns[i].n == 1)
			out->ns[i].owner = list[out->ns[i].first];
	free(v);
	out->list = list;
	out->nlist = u;
	return 0;
}

void workload_ns_map_free(struct workload_ns_map *m)
{
	free(m->ns);
	free(m->list);
	memset(m, 0, sizeof(*m));
}

/* ---- network namespace names ------------------------------------------ */

/* The name `ip netns` gave the mount at PATH, or NULL. */
static const char *netns_name(const char *path)
{
	static const char *const dirs[] = { "/run/netns/", "/var/run/netns/" };

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (!strncmp(path, dirs[i], strlen(dirs[i]))) {
			const char *name = strrchr(path, '/') + 1;
			return *name ? name : NULL;
		}
	return NULL;
}

/*
 * Whether the names made in mount namespace MNTNS are ip netns's: it must
 * be owned by the topmost user namespace in sight (the initial one, or
 * the capturer's own).  Any user can unshare a user and mount namespace,
 * mount a tmpfs on /run/netns there and bind-mount the host's network
 * namespace file (or their own) on /run/netns/prod.  Owners not
 * collected: nothing to tell by, believed.
 */
static bool mntns_names_netns(const struct graph *g, uint32_t mntns)
{
	if (mntns >= g->nns || g->ns[mntns].owner_err)
		return true;
	uint32_t u = g->ns[mntns].owner;
	return u >= g->nns || g->ns[u].parent_err != 0;
}

size_t workload_netns_names(const struct graph *g, uint32_t ns,
			    const char **names, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < g->nmounts; i++) {
		const struct graph_mount *mt = &g->mounts[i];
		const char *name;
		if (mt->ns != ns || !mt->path || !(name = netns_name(mt->path)) ||
		    !mntns_names_netns(g, mt->mntns))
			continue;
		/* Once: every mount namespace copied from the host's has it. */
		bool seen = false;
		for (size_t k = 0; k < i && !seen; k++) {
			const struct graph_mount *o = &g->mounts[k];
			const char *on;
			seen = o->ns == ns && o->path && (on = netns_name(o->path)) &&
			       !strcmp(on, name) && mntns_names_netns(g, o->mntns);
		}
		if (seen)
			continue;
		if (n < max)
			names[n] = name;
		n++;
	}
	return n;
}
