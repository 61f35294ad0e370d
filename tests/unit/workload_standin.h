/*
 * workload_standin.h — the two functions of workload.h the printers call,
 * for the printer tests, until libcore/workload.c holds them.
 *
 * Weak definitions: when the library has the real ones and the link
 * pulls them in, those win and the tests check against them.  Only what
 * the tests' graphs need: the distinct workloads of a namespace's member
 * processes, threads and fd holders in index order, owned when there is
 * one (a process of no workload counts neither for nor against); netns
 * names from the bind mounts under /run/netns/ and /var/run/netns/.
 */
#ifndef NSNAP_TEST_WORKLOAD_STANDIN_H
#define NSNAP_TEST_WORKLOAD_STANDIN_H

#include <stdlib.h>
#include <string.h>

#include "workload.h"

#define WEAK __attribute__((weak))

/* Mark workload W for namespace NS in SEEN (nns x nworkloads bits). */
static void standin_mark(uint8_t *seen, const struct graph *g, uint32_t ns,
			 uint32_t w)
{
	if (ns < g->nns && w < g->nworkloads)
		seen[(size_t)ns * g->nworkloads + w] = 1;
}

WEAK int workload_ns_map_build(const struct graph *g,
			       struct workload_ns_map *out);
WEAK int workload_ns_map_build(const struct graph *g,
			       struct workload_ns_map *out)
{
	size_t nw = g->nworkloads;
	uint8_t *seen = calloc(g->nns * nw + 1, 1);

	memset(out, 0, sizeof(*out));
	out->ns = calloc(g->nns + 1, sizeof(*out->ns));
	out->list = calloc(g->nns * nw + 1, sizeof(*out->list));
	if (!seen || !out->ns || !out->list) {
		free(seen);
		workload_ns_map_free(out);
		return -ENOMEM;
	}
	for (size_t i = 0; i < g->nprocs; i++) {
		const struct graph_proc *p = &g->procs[i];
		for (unsigned t = 0; t < NS_NTYPES; t++)
			standin_mark(seen, g, p->links.ns[t], p->workload);
		for (uint32_t k = 0; k < p->ntasks; k++)
			for (unsigned t = 0; t < NS_NTYPES; t++)
				standin_mark(seen, g,
					     g->tasks[p->first_task + k].links.ns[t],
					     p->workload);
		for (uint32_t k = 0; k < p->nfds; k++)
			standin_mark(seen, g, g->fds[p->first_fd + k].ns,
				     p->workload);
	}
	for (size_t ns = 0; ns < g->nns; ns++) {
		struct workload_ns *x = &out->ns[ns];
		x->first = (uint32_t)out->nlist;
		x->owner = GRAPH_NONE;
		for (size_t w = 0; w < nw; w++)
			if (seen[ns * nw + w])
				out->list[out->nlist++] = (uint32_t)w;
		x->n = (uint32_t)(out->nlist - x->first);
		if (x->n == 1)
			x->owner = out->list[x->first];
	}
	free(seen);
	return 0;
}

WEAK void workload_ns_map_free(struct workload_ns_map *m);
WEAK void workload_ns_map_free(struct workload_ns_map *m)
{
	free(m->ns);
	free(m->list);
	memset(m, 0, sizeof(*m));
}

WEAK size_t workload_netns_names(const struct graph *g, uint32_t ns,
				 const char **names, size_t max);
WEAK size_t workload_netns_names(const struct graph *g, uint32_t ns,
				 const char **names, size_t max)
{
	static const char *const dirs[] = { "/run/netns/", "/var/run/netns/" };
	size_t n = 0;

	for (size_t i = 0; i < g->nmounts; i++) {
		const struct graph_mount *m = &g->mounts[i];
		const char *name = NULL;
		if (m->ns != ns || !m->path)
			continue;
		for (size_t d = 0; d < 2; d++)
			if (!strncmp(m->path, dirs[d], strlen(dirs[d])))
				name = m->path + strlen(dirs[d]);
		if (!name || !*name || strchr(name, '/'))
			continue;
		bool dup = false;
		for (size_t k = 0; k < n && k < max; k++)
			dup |= !strcmp(names[k], name);
		if (dup)
			continue;
		if (n < max)
			names[n] = name;
		n++;
	}
	return n;
}

#undef WEAK

#endif
