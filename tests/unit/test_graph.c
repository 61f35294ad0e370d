/*
 * test_graph.c — graph_check(), the one rule of what a graph may hold.
 *
 * Each refusal is one defect in an otherwise sound graph: cycles of owners
 * and parents, nesting one level past the kernel's caps (and exactly at
 * them, accepted), relatives of the wrong type, and every kind of index
 * out of range.  The sound graphs look like captures: the topmost
 * namespaces' owners and parents out of sight (EPERM), relatives that were
 * not collected (ENODATA).  Long chains check that the walk is linear and
 * does not recurse.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "graph.h"

/* A namespace of TYPE at inode INO on device 4, its owner and parent out of
 * sight (EPERM), as the initial namespaces are. */
static uint32_t ns(struct graph *g, uint64_t ino, unsigned type)
{
	bool added;
	uint32_t i = graph_ns_add(g, (struct ns_key){ 4, ino }, type, &added);

	assert_int_not_equal(i, GRAPH_NONE);
	assert_true(added);
	g->ns[i].owner_err = EPERM;
	if (type == NS_USER || type == NS_PID)
		g->ns[i].parent_err = EPERM;
	return i;
}

static void set_owner(struct graph *g, uint32_t i, uint32_t owner)
{
	g->ns[i].owner = owner;
	g->ns[i].owner_err = 0;
	if (g->ns[i].type == NS_USER) {
		g->ns[i].parent = owner;
		g->ns[i].parent_err = 0;
	}
}

static void set_parent(struct graph *g, uint32_t i, uint32_t parent)
{
	g->ns[i].parent = parent;
	g->ns[i].parent_err = 0;
}

/*
 * A small world: the eight initial namespaces (user at 6, pid at 4), a
 * container's user, pid and net namespaces below them, a process in each
 * world with a thread and an fd, and a bind mount.
 */
enum { C_USER = NS_NTYPES, C_PID, C_NET };

static struct graph *world(void)
{
	struct graph *g = graph_new();

	assert_non_null(g);
	for (unsigned t = 0; t < NS_NTYPES; t++)
		ns(g, 4026531835u + t, t);
	for (unsigned t = 0; t < NS_NTYPES; t++)
		if (t != NS_USER)
			set_owner(g, t, NS_USER);
	assert_int_equal(ns(g, 5000, NS_USER), C_USER);
	set_owner(g, C_USER, NS_USER);
	assert_int_equal(ns(g, 5001, NS_PID), C_PID);
	set_owner(g, C_PID, C_USER);
	set_parent(g, C_PID, NS_PID);
	assert_int_equal(ns(g, 5002, NS_NET), C_NET);
	set_owner(g, C_NET, C_USER);
	/* Owners not collected for this one: ENODATA, no index. */
	g->ns[C_NET].owner = GRAPH_NONE;
	g->ns[C_NET].owner_err = ENODATA;

	for (int k = 0; k < 2; k++) {
		struct graph_proc *p = graph_proc_append(g, 1 + k * 100);
		assert_non_null(p);
		for (unsigned t = 0; t < NS_NTYPES; t++) {
			p->links.ns[t] = t;
			p->links.err[t] = 0;
		}
		if (k) {
			p->links.ns[NS_USER] = C_USER;
			p->links.ns[NS_PID] = C_PID;
			p->links.ns[NS_NET] = C_NET;
		}
		p->links.pid_for_children = p->links.ns[NS_PID];
		struct graph_task *t = graph_task_append(g, p->pid);
		assert_non_null(t);
		t->links = g->procs[k].links;
		g->procs[k].ntasks = 1;
		struct graph_fd *f = graph_fd_append(g);
		assert_non_null(f);
		f->fd = 3;
		f->ns = C_NET;
		g->procs[k].nfds = 1;
	}
	struct graph_mount *m = graph_mount_append(g);
	assert_non_null(m);
	*m = (struct graph_mount){ .mntns = NS_MNT, .ns = C_NET,
				   .path = graph_strdup(g, "/run/netns/c") };
	return g;
}

/* graph_check() refuses G with WANT in its reason; G is freed. */
static void refused(struct graph *g, const char *want)
{
	char why[256];

	memset(why, 'x', sizeof(why));
	int rc = graph_check(g, why, sizeof(why));
	if (rc != -EBADMSG || !strstr(why, want))
		fprintf(stderr, "want \"%s\", got %d \"%s\"\n", want, rc,
			rc ? why : "");
	assert_int_equal(rc, -EBADMSG);
	assert_non_null(strstr(why, want));
	/* A reason without a buffer is fine too. */
	assert_int_equal(graph_check(g, NULL, 0), -EBADMSG);
	graph_free(g);
}

static void accepted(struct graph *g)
{
	char why[256] = "x";

	assert_int_equal(graph_check(g, why, sizeof(why)), 0);
	assert_string_equal(why, "");
	graph_free(g);
}

static void test_sound(void **state)
{
	(void)state;
	struct graph *g = graph_new();

	assert_non_null(g);
	accepted(g);            /* the empty graph */
	accepted(world());
}

static void test_owner_cycle(void **state)
{
	(void)state;
	struct graph *g = world();
	uint32_t a = ns(g, 6000, NS_USER), b = ns(g, 6001, NS_USER);

	set_owner(g, a, b);
	set_owner(g, b, a);
	refused(g, "namespaces[11] (user): its owners form a cycle");

	/* Its own owner. */
	g = world();
	set_owner(g, C_USER, C_USER);
	refused(g, "namespaces[8] (user): its owners form a cycle");

	/* A cycle above a sound start: found from the namespace below it. */
	g = world();
	a = ns(g, 6000, NS_USER);
	b = ns(g, 6001, NS_USER);
	set_owner(g, C_USER, a);
	set_owner(g, a, b);
	set_owner(g, b, a);
	refused(g, "namespaces[8] (user): its owners form a cycle");
}

static void test_parent_cycle(void **state)
{
	(void)state;
	struct graph *g = world();

	set_parent(g, NS_PID, C_PID);
	refused(g, "namespaces[4] (pid): its parents form a cycle");

	/* Only the parents of user namespaces loop (owners not collected). */
	g = world();
	uint32_t a = ns(g, 6000, NS_USER), b = ns(g, 6001, NS_USER);
	set_parent(g, a, b);
	set_parent(g, b, a);
	refused(g, "namespaces[11] (user): its parents form a cycle");
}

/* A chain of N user (or PID) namespaces below the topmost one: N levels. */
static struct graph *chain(unsigned type, size_t levels)
{
	struct graph *g = graph_new();
	uint32_t up = GRAPH_NONE;

	assert_non_null(g);
	for (size_t i = 0; i <= levels; i++) {
		uint32_t n = ns(g, 10000 + i, type);
		if (up != GRAPH_NONE && type == NS_USER)
			set_owner(g, n, up);
		else if (up != GRAPH_NONE)
			set_parent(g, n, up);
		up = n;
	}
	return g;
}

static void test_depth(void **state)
{
	(void)state;
	char want[128];

	/* Exactly as deep as the kernel nests, and one level more. */
	accepted(chain(NS_USER, GRAPH_USER_NS_LEVELS));
	snprintf(want, sizeof(want), "namespaces[%d] (user): nested deeper "
		 "than the kernel allows (33 levels", GRAPH_USER_NS_LEVELS + 1);
	refused(chain(NS_USER, GRAPH_USER_NS_LEVELS + 1), want);
	accepted(chain(NS_PID, GRAPH_PID_NS_LEVELS));
	snprintf(want, sizeof(want), "namespaces[%d] (pid): nested deeper "
		 "than the kernel allows (32 levels", GRAPH_PID_NS_LEVELS + 1);
	refused(chain(NS_PID, GRAPH_PID_NS_LEVELS + 1), want);
	assert_int_equal(GRAPH_USER_NS_LEVELS, 33);
	assert_int_equal(GRAPH_PID_NS_LEVELS, 32);

	/* The deepest legal chain with a PID chain in its last level and a
	 * namespace of every type owned there: still sound. */
	struct graph *g = chain(NS_USER, GRAPH_USER_NS_LEVELS);
	uint32_t deepest = (uint32_t)g->nns - 1, up = GRAPH_NONE;
	for (unsigned t = 0; t < NS_NTYPES; t++) {
		uint32_t n = ns(g, 20000 + t, t);
		if (t != NS_USER)
			set_owner(g, n, deepest);
	}
	for (int i = 0; i <= GRAPH_PID_NS_LEVELS; i++) {
		uint32_t n = ns(g, 30000 + (uint64_t)i, NS_PID);
		set_owner(g, n, deepest);
		if (up != GRAPH_NONE)
			set_parent(g, n, up);
		up = n;
	}
	accepted(g);
}

static void test_wrong_types(void **state)
{
	(void)state;
	struct graph *g = world();

	/* A PID namespace's parent is a PID namespace. */
	set_parent(g, C_PID, NS_USER);
	refused(g, "namespaces[9] (pid): parent namespaces[6] is a user "
		"namespace");

	/* An owner is a user namespace. */
	g = world();
	set_owner(g, C_NET, NS_NET);
	refused(g, "namespaces[10] (net): owner namespaces[3] is a net "
		"namespace, not a user namespace");
	g = world();
	set_owner(g, C_USER, NS_PID);
	refused(g, "namespaces[8] (user): owner namespaces[4] is a pid");

	/* Only PID and user namespaces have parents. */
	g = world();
	set_parent(g, C_NET, NS_NET);
	refused(g, "namespaces[10] (net): only PID and user namespaces have "
		"a parent");

	/* A user namespace's parent is its owner. */
	g = world();
	uint32_t u = ns(g, 6000, NS_USER);
	set_owner(g, u, C_USER);
	set_parent(g, u, NS_USER);
	refused(g, "namespaces[11] (user): parent namespaces[6] is not its "
		"owner namespaces[8]");

	/* Relatives out of sight or not collected are not followed, whatever
	 * their index says. */
	g = world();
	g->ns[C_PID].parent = NS_USER;
	g->ns[C_PID].parent_err = EPERM;
	g->ns[C_NET].owner = NS_NET;
	g->ns[C_NET].owner_err = ENODATA;
	accepted(g);

	g = world();
	g->ns[3].type = NS_NTYPES;
	refused(g, "namespaces[3]: type 8 out of range");
}

static void test_keys(void **state)
{
	(void)state;
	struct graph *g = world();

	/* Two namespaces with one key: the hash finds only the first. */
	g->ns[C_NET].key = g->ns[NS_NET].key;
	refused(g, "namespaces[10]: dev 4 ino 4026531838 is not this "
		"namespace's key alone");
}

static void test_indexes(void **state)
{
	(void)state;
	static const char *const why[] = {
		"namespaces[10].owner: namespace index 11 out of range "
		"(11 namespaces)",
		"namespaces[9].parent: namespace index 4294967294 out of range",
		"processes[1].ns.net: namespace index 11 out of range",
		"processes[0].ns.pid_for_children: namespace index 11",
		"processes[0].ns.time_for_children: namespace index 11",
		"tasks[1].ns.uts: namespace index 11",
		"fds[0].ns: namespace index 11",
		"mounts[0].mntns: namespace index 11",
		"mounts[0].ns: namespace index 11",
		"processes[1].task_slice: beyond the 2 threads",
		"processes[0].fd_slice: beyond the 2 fds",
	};

	for (size_t k = 0; k < sizeof(why) / sizeof(why[0]); k++) {
		struct graph *g = world();
		uint32_t bad = (uint32_t)g->nns;

		switch (k) {
		case 0: g->ns[C_NET].owner = bad; break; /* even with ENODATA */
		case 1: g->ns[C_PID].parent = GRAPH_NONE - 1; break;
		case 2: g->procs[1].links.ns[NS_NET] = bad; break;
		case 3: g->procs[0].links.pid_for_children = bad; break;
		case 4: g->procs[0].links.time_for_children = bad; break;
		case 5: g->tasks[1].links.ns[NS_UTS] = bad; break;
		case 6: g->fds[0].ns = bad; break;
		case 7: g->mounts[0].mntns = bad; break;
		case 8: g->mounts[0].ns = bad; break;
		case 9: g->procs[1].first_task = 1;
			g->procs[1].ntasks = 2; break;
		case 10: g->procs[0].nfds = 3; break;
		}
		refused(g, why[k]);
	}
}

/*
 * Long chains: a cycle through 200,000 user namespaces and a chain of as
 * many.  A recursive walk would run out of stack, a walk to the top from
 * every namespace would take minutes; the check takes milliseconds.
 */
static void test_long_chains(void **state)
{
	(void)state;
	const size_t n = 200000;
	struct graph *g = chain(NS_USER, n - 1);
	clock_t t0 = clock();

	refused(g, "namespaces[34] (user): nested deeper than the kernel");
	g = chain(NS_USER, n - 1);
	set_owner(g, 0, (uint32_t)n - 1);
	refused(g, "namespaces[0] (user): its owners form a cycle");

	/* 200,000 namespaces that are fine: 33 levels, the rest leaves. */
	g = chain(NS_USER, GRAPH_USER_NS_LEVELS);
	for (size_t i = 0; i < n; i++)
		set_owner(g, ns(g, 1000000 + i, i % 2 ? NS_USER : NS_NET),
			  (uint32_t)(i % (GRAPH_USER_NS_LEVELS)));
	accepted(g);
	/* Generous: quadratic would be minutes, linear is milliseconds. */
	assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 20.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sound),
		cmocka_unit_test(test_owner_cycle),
		cmocka_unit_test(test_parent_cycle),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_indexes),
		cmocka_unit_test(test_long_chains),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
