/*
 * samplegraph.h — pieces of the hand-made graphs that test_codec.c and
 * test_export.c both build: namespaces added by key, links set from a
 * per-type array, the two worlds of namespaces with their odd values, pid 1
 * with its threads and fds, and a string comparison that allows NULL.
 *
 * Header only, static inline functions; include it after <cmocka.h>.
 */
#ifndef NSNAP_TEST_SAMPLEGRAPH_H
#define NSNAP_TEST_SAMPLEGRAPH_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "graph.h"

/* Namespace {DEV INO} of TYPE, which must be new. */
static inline uint32_t add_ns(struct graph *g, uint64_t dev, uint64_t ino,
			      unsigned type)
{
	bool added;
	uint32_t i = graph_ns_add(g, (struct ns_key){ dev, ino }, type, &added);

	assert_int_not_equal(i, GRAPH_NONE);
	assert_true(added);
	return i;
}

/* Links to NS; a GRAPH_NONE entry reads as ERR. */
static inline void set_links(struct graph_links *l, const uint32_t *ns,
			     int32_t err)
{
	for (unsigned t = 0; t < NS_NTYPES; t++) {
		l->ns[t] = ns[t];
		l->err[t] = ns[t] == GRAPH_NONE ? err : 0;
	}
	l->pid_for_children = ns[NS_PID];
	l->time_for_children = ns[NS_TIME];
}

/* A == B, either of them possibly NULL. */
static inline void assert_str(const char *a, const char *b)
{
	if (!a || !b)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

/*
 * The namespaces of the full graphs, in this order: INIT (one of each type
 * at 4026531835 + type), CONT (at 4026532200 + type), *ODD {UINT64_MAX 0}
 * (net) and *ODD2 {0 UINT64_MAX} (user).  Every one has an id; the initial
 * user namespace owns the others, a forward reference and odd errnos
 * included.
 */
static inline void sample_namespaces(struct graph *g, uint32_t *init,
				     uint32_t *cont, uint32_t *odd,
				     uint32_t *odd2)
{
	for (unsigned ty = 0; ty < NS_NTYPES; ty++)
		init[ty] = add_ns(g, 4, 4026531835u + ty, ty);
	for (unsigned ty = 0; ty < NS_NTYPES; ty++)
		cont[ty] = add_ns(g, 4, 4026532200u + ty, ty);
	/* Extremes of the key space. */
	*odd = add_ns(g, UINT64_MAX, 0, NS_NET);
	*odd2 = add_ns(g, 0, UINT64_MAX, NS_USER);

	for (size_t i = 0; i < g->nns; i++) {
		struct graph_ns *ns = &g->ns[i];
		ns->owner = ns->type == NS_USER ? GRAPH_NONE : init[NS_USER];
		ns->owner_err = ns->type == NS_USER ? EPERM : 0;
		if (ns->type == NS_PID || ns->type == NS_USER) {
			ns->parent = GRAPH_NONE;
			ns->parent_err = EPERM;
		}
		ns->flags = GRAPH_NS_HAS_ID;
		ns->kernel_id = 1000 + i;
	}
	/* Forward references (to later namespaces) and odd values. */
	g->ns[init[NS_NET]].owner = *odd2;
	g->ns[cont[NS_USER]].owner = cont[NS_USER];
	g->ns[cont[NS_USER]].owner_err = 0;
	g->ns[cont[NS_USER]].parent = init[NS_USER];
	g->ns[cont[NS_USER]].parent_err = 0;
	g->ns[cont[NS_USER]].flags = GRAPH_NS_HAS_ID | GRAPH_NS_HAS_CREATOR | 0x80;
	g->ns[cont[NS_USER]].creator_uid = UINT32_MAX;
	g->ns[cont[NS_USER]].uid_map = graph_strdup(g, "         0     100000      65536\n");
	g->ns[cont[NS_USER]].gid_map = graph_strdup(g, "");
	g->ns[init[NS_USER]].uid_map = graph_strdup(g, "         0          0 4294967295\n");
	g->ns[cont[NS_PID]].parent = init[NS_PID];
	g->ns[cont[NS_PID]].parent_err = 0;
	g->ns[*odd].owner_err = -5;
	g->ns[*odd].kernel_id = UINT64_MAX;
	g->ns[*odd2].owner_err = INT32_MIN;
	g->ns[*odd2].parent_err = INT32_MAX;
}

/*
 * pid 1, the first process: "systemd" in INIT, three threads (the second
 * in CONT's net namespace, the third with an index and an errno on one
 * link and no time_for_children), two fds (one on nothing).  Returns it.
 */
static inline struct graph_proc *sample_pid1(struct graph *g,
					     const uint32_t *init,
					     const uint32_t *cont)
{
	struct graph_proc *p = graph_proc_append(g, 1);
	struct graph_task *t;
	struct graph_fd *f;

	assert_non_null(p);
	p->flags = GRAPH_PROC_LISTED;
	p->start_time = 1;
	p->comm = graph_strdup(g, "systemd");
	p->nstgid = graph_strdup(g, "1");
	p->status_err = 0;
	set_links(&p->links, init, 0);
	p->task_err = 0;
	p->fd_err = 0;
	for (int k = 0; k < 3; k++) {
		t = graph_task_append(g, 1 + k * 100);
		t->comm = k == 2 ? NULL : graph_strdup(g, k ? "" : "systemd");
		set_links(&t->links, init, 0);
	}
	g->tasks[g->ntasks - 2].links.ns[NS_NET] = cont[NS_NET];
	g->tasks[g->ntasks - 1].links.err[NS_IPC] = EACCES; /* index and errno */
	g->tasks[g->ntasks - 1].links.time_for_children = GRAPH_NONE;
	g->procs[0].ntasks = 3;
	f = graph_fd_append(g);
	f->fd = 3;
	f->ns = cont[NS_NET];
	f = graph_fd_append(g);
	f->fd = INT32_MAX;
	f->ns = GRAPH_NONE;
	g->procs[0].nfds = 2;
	return &g->procs[0];
}

#endif
