/*
 * diff_wlstub.c — stand-ins for the namespace half of workload.h, weak, so
 * that the diff links and is tested before the attribution module exists;
 * the module's own (strong) definitions replace them wherever it is linked.
 * Delete this file once libcore/workload.c defines these functions.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "workload.h"

#define WEAK __attribute__((weak))

/* Add workload W to namespace NS's set (a bit per workload, small graphs). */
static void mark(uint8_t *bits, size_t nw, uint32_t ns, uint32_t w)
{
	if (w < nw)
		bits[ns * nw + w] = 1;
}

static void mark_links(uint8_t *bits, size_t nw, size_t nns,
		       const struct graph_links *l, uint32_t w)
{
	for (unsigned t = 0; t < NS_NTYPES; t++)
		if (l->err[t] == 0 && l->ns[t] < nns)
			mark(bits, nw, l->ns[t], w);
}

WEAK int workload_ns_map_build(const struct graph *g, struct workload_ns_map *out)
{
	size_t nw = g->nworkloads, nns = g->nns, n = 0;
	uint8_t *bits = calloc(nns * nw + 1, 1);

	memset(out, 0, sizeof(*out));
	out->ns = calloc(nns + 1, sizeof(*out->ns));
	out->list = malloc((nns * nw + 1) * sizeof(*out->list));
	if (!bits || !out->ns || !out->list) {
		free(bits);
		workload_ns_map_free(out);
		return -ENOMEM;
	}
	for (size_t i = 0; i < g->nprocs; i++) {
		const struct graph_proc *p = &g->procs[i];

		mark_links(bits, nw, nns, &p->links, p->workload);
		for (uint32_t k = 0; k < p->ntasks && p->first_task + k < g->ntasks; k++)
			mark_links(bits, nw, nns, &g->tasks[p->first_task + k].links,
				   p->workload);
		for (uint32_t k = 0; k < p->nfds && p->first_fd + k < g->nfds; k++)
			if (g->fds[p->first_fd + k].ns < nns)
				mark(bits, nw, g->fds[p->first_fd + k].ns, p->workload);
	}
	for (size_t s = 0; s < nns; s++) {
		out->ns[s] = (struct workload_ns){ .owner = GRAPH_NONE, .first = (uint32_t)n };
		for (size_t w = 0; w < nw; w++)
			if (bits[s * nw + w])
				out->list[n++] = (uint32_t)w;
		out->ns[s].n = (uint32_t)(n - out->ns[s].first);
		if (out->ns[s].n == 1)
			out->ns[s].owner = out->list[out->ns[s].first];
	}
	out->nlist = n;
	free(bits);
	return 0;
}

WEAK void workload_ns_map_free(struct workload_ns_map *m)
{
	free(m->ns);
	free(m->list);
	memset(m, 0, sizeof(*m));
}

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
		for (size_t d = 0; d < 2 && !name; d++)
			if (strncmp(m->path, dirs[d], strlen(dirs[d])) == 0)
				name = m->path + strlen(dirs[d]);
		if (!name || !*name || strchr(name, '/'))
			continue;
		bool seen = false;
		for (size_t k = 0; k < n && k < max && !seen; k++)
			seen = strcmp(names[k], name) == 0;
		if (seen)
			continue;
		if (n < max)
			names[n] = name;
		n++;
	}
	return n;
}
