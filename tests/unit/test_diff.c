/*
 * test_diff.c — the semantic diff on hand-made graphs.
 *
 * Every world starts as the initial namespaces (owned by the initial user
 * namespace, "invisible" owner of its own) with init and one sleep, then a
 * test changes one thing in B and checks the exact list output: the list
 * is the contract the other formats and the tool build on.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <cmocka.h>

#include "diff.h"
#include "diff_int.h"
#include "graph.h"
#include "graphbuild.h"
#include "view.h"

#ifndef DOT_PATH
#define DOT_PATH "/usr/bin/dot" /* Graphviz; its tests skip without it */
#endif
#define U0 4026531837ull

static const uint64_t init_ino[NS_NTYPES] = {
	[NS_CGROUP] = 4026531835, [NS_IPC] = 4026531839, [NS_MNT] = 4026531841,
	[NS_NET] = 4026531840,    [NS_PID] = 4026531836, [NS_TIME] = 4026531834,
	[NS_USER] = 4026531837,   [NS_UTS] = 4026531838,
};

struct world {
	struct graph *g;
	bool ids;
	uint32_t init[NS_NTYPES];
};

static const char *dup(struct graph *g, const char *s)
{
	const char *r = graph_strdup(g, s);
	assert_non_null(r);
	return r;
}

/* A namespace; ID 0 means none recorded.  OWNER GRAPH_NONE: out of sight.
 * User namespaces map everything, as the initial one does. */
static uint32_t ns_add(struct world *w, unsigned type, uint64_t ino,
		       uint64_t id, uint32_t owner)
{
	uint32_t i = gb_ns(w->g, ino, type, owner);

	if (id && w->ids)
		gb_id(w->g, i, id);
	if (type == NS_USER)
		gb_maps(w->g, i, GB_INIT_MAP, GB_INIT_MAP);
	return i;
}

static void links_of(const struct world *w, uint32_t *links)
{
	memcpy(links, w->init, sizeof(w->init));
}

static struct graph_proc *proc_add(struct world *w, int32_t pid,
				   uint64_t start, const char *comm,
				   const uint32_t *links)
{
	struct graph_proc *p = gb_proc_comm(w->g, pid, comm);

	p->status_err = ENODATA; /* no status read: nothing of NStgid known */
	p->start_time = start;
	gb_links_own(&p->links, links, 0);
	gb_thread(w->g, p, pid);
	return p;
}

static void world_init(struct world *w, bool ids, const char *boot)
{
	uint32_t links[NS_NTYPES];

	memset(w, 0, sizeof(*w));
	w->ids = ids;
	w->g = gb_new();
	w->g->meta.hostname = dup(w->g, "host1");
	w->g->meta.boot_id = dup(w->g, boot);
	w->g->meta.kernel = dup(w->g, "6.18.0");
	/* What a snapshot from before workloads held: such snapshots diff
	 * as they always have, and these tests say how.  The workload
	 * tests add the rest (wl_world()). */
	w->g->meta.collected = GRAPH_HAVE_V1;
	w->g->meta.types_present = NS_ALL_TYPES;
	w->g->meta.start_ns = 1700000000ll * 1000000000ll;
	w->init[NS_USER] = ns_add(w, NS_USER, init_ino[NS_USER], 1, GRAPH_NONE);
	for (unsigned t = 0; t < NS_NTYPES; t++)
		if (t != NS_USER)
			w->init[t] = ns_add(w, t, init_ino[t], 10 + t, w->init[NS_USER]);
	links_of(w, links);
	proc_add(w, 1, 10, "init", links);
	proc_add(w, 100, 1000, "sleep", links);
}

static void world_free(struct world *w)
{
	graph_free(w->g);
}

static void check_list(const struct world *a, const struct world *b,
		       const struct diff_opts *o, const char *expected)
{
	struct diff d;
	struct gb_capture c;

	assert_int_equal(diff_graphs(a->g, b->g, o, &d), 0);
	assert_int_equal(diff_print_list(gb_cap_open(&c), &d, NULL), 0);
	char *text = gb_cap_close(&c);
	if (strcmp(text, expected))
		fprintf(stderr, "---- expected\n%s---- got\n%s----\n", expected, text);
	assert_string_equal(text, expected);
	free(text);
	diff_release(&d);
}

/* ---- the tests -------------------------------------------------------- */

static void unchanged(void **state)
{
	struct world a, b;
	struct diff d;

	(void)state;
	for (int ids = 0; ids < 2; ids++) {
		world_init(&a, ids, "boot1");
		world_init(&b, ids, "boot1");
		assert_int_equal(diff_graphs(a.g, b.g, NULL, &d), 0);
		assert_int_equal(d.nchanges, 0);
		assert_int_equal(d.flags, 0);
		assert_int_equal(d.nmatched, NS_NTYPES);
		assert_int_equal(d.nweak, ids ? 0 : NS_NTYPES);
		diff_release(&d);
		/* A graph against itself. */
		assert_int_equal(diff_graphs(a.g, a.g, NULL, &d), 0);
		assert_int_equal(d.nchanges, 0);
		diff_release(&d);
		check_list(&a, &b, NULL, "");
		world_free(&a);
		world_free(&b);
	}
}

/* The capturer is in every snapshot, each time with another PID. */
static void capturer_left_out(void **state)
{
	struct world a, b;
	uint32_t links[NS_NTYPES];

	(void)state;
	world_init(&a, true, "boot1");
	world_init(&b, true, "boot1");
	links_of(&a, links);
	proc_add(&a, 140, 1400, "nsnap", links);
	a.g->meta.capturer_pid = 140;
	links_of(&b, links);
	proc_add(&b, 141, 1410, "nsnap", links);
	b.g->meta.capturer_pid = 141;
	check_list(&a, &b, NULL, "");
	b.g->meta.capturer_pid = 0;
	check_list(&a, &b, &(struct diff_opts){ .types = NS_TYPE_BIT(NS_USER) },
		"started pid=141 start=1410 comm=nsnap\n"
		"joined user:[4026531837] pid=141 start=1410 comm=nsnap\n");
	world_free(&a);
	world_free(&b);
}

static void born_and_gone(void **state)
{
	struct world a, b;
	uint32_t links[NS_NTYPES];
	struct diff_opts o = { .types = NS_TYPE_BIT(NS_NET) };

	(void)state;
	world_init(&a, true, "boot1");
	world_init(&b, true, "boot1");
	links_of(&a, links);
	links[NS_NET] = ns_add(&a, NS_NET, 4026532100, 100, a.init[NS_USER]);
	proc_add(&a, 150, 1500, "old", links);
	links_of(&b, links);
	links[NS_NET] = ns_add(&b, NS_NET, 4026532200, 200, b.init[NS_USER]);
	proc_add(&b, 200, 2000, "new", links);

	check_list(&a, &b, &o,
		"born net:[4026532200] id=200 owner=user:[4026531837]\n"
		"gone net:[4026532100] id=100 owner=user:[4026531837]\n"
		"started pid=200 start=2000 comm=new\n"
		"ended pid=150 start=1500 comm=old\n"
		"joined net:[4026532200] pid=200 start=2000 comm=new\n"
		"joined user:[4026531837] pid=200 start=2000 comm=new\n"
		"left net:[4026532100] pid=150 start=1500 comm=old\n"
		"left user:[4026531837] pid=150 start=1500 comm=old\n");
	/* Without process-level changes only the namespaces remain. */
	o.no_pids = true;
	check_list(&a, &b, &o,
		"born net:[4026532200] id=200 owner=user:[4026531837]\n"
		"gone net:[4026532100] id=100 owner=user:[4026531837]\n");
	/* A type filter that leaves net out: user namespaces stay (the
	 * hierarchy), processes are still met in the UTS namespace. */
	o = (struct diff_opts){ .types = NS_TYPE_BIT(NS_UTS) };
	check_list(&a, &b, &o,
		"started pid=200 start=2000 comm=new\n"
		"ended pid=150 start=1500 comm=old\n"
		"joined user:[4026531837] pid=200 start=2000 comm=new\n"
		"joined uts:[4026531838] pid=200 start=2000 comm=new\n"
		"left user:[4026531837] pid=150 start=1500 comm=old\n"
		"left uts:[4026531838] pid=150 start=1500 comm=old\n");
	world_free(&a);
	world_free(&b);
}

/* The same inode, another kernel ID: the namespace died and its inode was
 * given to a new one. */
static void replaced_by_id(void **state)
{
	struct world a, b;
	uint32_t links[NS_NTYPES];
	struct diff_opts o = { .types = NS_TYPE_BIT(NS_UTS), .no_pids = true };
	struct diff d;

	(void)state;
	world_init(&a, true, "boot1");
	world_init(&b, true, "boot1");
	links_of(&a, links);
	links[NS_UTS] = ns_add(&a, NS_UTS, 4026532300, 300, a.init[NS_USER]);
	proc_add(&a, 300, 3000, "sleep", links);
	links_of(&b, links);
	links[NS_UTS] = ns_add(&b, NS_UTS, 4026532300, 301, b.init[NS_USER]);
	proc_add(&b, 301, 3010, "sleep", links);

	check_list(&a, &b, &o,
		"replaced uts:[4026532300] old_id=300 new_id=301 type=uts "
		"owner=user:[4026531837]\n");
	o.no_pids = false;
	check_list(&a, &b, &o,
		"replaced uts:[4026532300] old_id=300 new_id=301 type=uts "
		"owner=user:[4026531837]\n"
		"started pid=301 start=3010 comm=sleep\n"
		"ended pid=300 start=3000 comm=sleep\n"
		"joined user:[4026531837] pid=301 start=3010 comm=sleep\n"
		"joined uts:[4026532300] pid=301 start=3010 comm=sleep\n"
		"left user:[4026531837] pid=300 start=3000 comm=sleep\n"
		"left uts:[4026532300] pid=300 start=3000 comm=sleep\n");
	/* Same ID, same inode: the same namespace, even with new members. */
	b.g->ns[b.g->nns - 1].kernel_id = 300;
	assert_int_equal(diff_graphs(a.g, b.g, &o, &d), 0);
	assert_int_equal(d.nmatched, NS_NTYPES + 1);
	assert_int_equal(d.changes[0].kind, DIFF_STARTED);
	diff_release(&d);
	world_free(&a);
	world_free(&b);
}

/* Without IDs: type, owner and creator decide, and the match is weak. */
static void replaced_without_ids(void **state)
{
	struct world a, b;
	uint32_t links[NS_NTYPES], ua, ub;
	struct diff_opts o = { .no_pids = true };
	struct diff d;

	(void)state;
	world_init(&a, false, "boot1");
	world_init(&b, false, "boot1");
	ua = ns_add(&a, NS_USER, 4026532400, 0, a.init[NS_USER]);
	ub = ns_add(&b, NS_USER, 4026532400, 0, b.init[NS_USER]);
	links_of(&a, links);
	links[NS_USER] = ua;
	links[NS_UTS] = ns_add(&a, NS_UTS, 4026532401, 0, ua);
	links[NS_IPC] = ns_add(&a, NS_IPC, 4026532402, 0, ua);
	proc_add(&a, 400, 4000, "sh", links);
	links_of(&b, links);
	links[NS_USER] = ub;
	links[NS_UTS] = ns_add(&b, NS_UTS, 4026532401, 0, ub);        /* same */
	links[NS_IPC] = ns_add(&b, NS_IPC, 4026532402, 0, b.init[NS_USER]); /* owner */
	proc_add(&b, 400, 4000, "sh", links);

	assert_int_equal(diff_graphs(a.g, b.g, &o, &d), 0);
	/* 8 initial namespaces, the user namespace and its UTS namespace. */
	assert_int_equal(d.nmatched, NS_NTYPES + 2);
	assert_int_equal(d.nweak, NS_NTYPES + 2);
	diff_release(&d);
	check_list(&a, &b, &o,
		"replaced ipc:[4026532402] type=ipc old_owner=user:[4026532400] "
		"new_owner=user:[4026531837] match=weak\n");

	/* A creator change replaces the user namespace, and with it every
	 * namespace it owns. */
	b.g->ns[ub].creator_uid = 1000;
	check_list(&a, &b, &o,
		"replaced ipc:[4026532402] type=ipc old_owner=user:[4026532400] "
		"new_owner=user:[4026531837] match=weak\n"
		"replaced user:[4026532400] type=user owner=user:[4026531837] "
		"old_creator=0 new_creator=1000 match=weak\n"
		"replaced uts:[4026532401] type=uts owner=user:[4026532400] match=weak\n");
	b.g->ns[ub].creator_uid = 0;

	/* Another type behind the same inode. */
	b.g->ns[b.g->nns - 1].type = NS_NET;
	b.g->procs[b.g->nprocs - 1].links.ns[NS_IPC] = b.init[NS_IPC];
	b.g->procs[b.g->nprocs - 1].links.ns[NS_NET] = (uint32_t)b.g->nns - 1;
	check_list(&a, &b, &o,
		"replaced net:[4026532402] old_type=ipc new_type=net "
		"old_owner=user:[4026532400] new_owner=user:[4026531837] match=weak\n");
	world_free(&a);
	world_free(&b);
}

/* A PID with another start time is another process; one with the same
 * start time that moved is the same process. */
static void pid_reuse_and_moves(void **state)
{
	struct world a, b;
	uint32_t links[NS_NTYPES], xa, ya, xb, yb;
	struct diff_opts o = { .types = NS_TYPE_BIT(NS_NET) };

	(void)state;
	world_init(&a, true, "boot1");
	world_init(&b, true, "boot1");
	xa = ns_add(&a, NS_NET, 4026532500, 500, a.init[NS_USER]);
	ya = ns_add(&a, NS_NET, 4026532501, 501, a.init[NS_USER]);
	xb = ns_add(&b, NS_NET, 4026532500, 500, b.init[NS_USER]);
	yb = ns_add(&b, NS_NET, 4026532501, 501, b.init[NS_USER]);
	links_of(&a, links);
	links[NS_NET] = xa;
	proc_add(&a, 500, 5000, "old", links);
	proc_add(&a, 600, 6000, "mover", links);
	links[NS_NET] = ya;
	proc_add(&a, 700, 7000, "stay", links);
	links_of(&b, links);
	links[NS_NET] = xb;
	proc_add(&b, 500, 5500, "new", links);
	links[NS_NET] = yb;
	proc_add(&b, 600, 6000, "mover", links);
	proc_add(&b, 700, 7000, "stay", links);

	check_list(&a, &b, &o,
		"started pid=500 start=5500 comm=new\n"
		"ended pid=500 start=5000 comm=old\n"
		"joined net:[4026532500] pid=500 start=5500 comm=new\n"
		"joined net:[4026532501] pid=600 start=6000 comm=mover\n"
		"joined user:[4026531837] pid=500 start=5500 comm=new\n"
		"left net:[4026532500] pid=500 start=5000 comm=old\n"
		"left net:[4026532500] pid=600 start=6000 comm=mover\n"
		"left user:[4026531837] pid=500 start=5000 comm=old\n");
	world_free(&a);
	world_free(&b);
}

static void map_change(void **state)
{
	struct world a, b;
	uint32_t ua, ub, links[NS_NTYPES];
	struct diff_opts o = { .no_pids = true };

	(void)state;
	world_init(&a, true, "boot1");
	world_init(&b, true, "boot1");
	ua = ns_add(&a, NS_USER, 4026532600, 600, a.init[NS_USER]);
	ub = ns_add(&b, NS_USER, 4026532600, 600, b.init[NS_USER]);
	/* Written between the snapshots: empty before. */
	a.g->ns[ua].uid_map = dup(a.g, "");
	b.g->ns[ub].uid_map = dup(b.g, "         0       1000          1\n"
				      "         1     100000      65536\n");
	links_of(&a, links);
	links[NS_USER] = ua;
	proc_add(&a, 600, 6000, "sh", links);
	links_of(&b, links);
	links[NS_USER] = ub;
	proc_add(&b, 600, 6000, "sh", links);

	check_list(&a, &b, &o,
		"uid_map user:[4026532600] old=\"\" new=\"0 1000 1,1 100000 65536\"\n");
	/* A map nobody could read is unknown, not changed. */
	b.g->ns[ub].uid_map = NULL;
	check_list(&a, &b, &o, "");
	world_free(&a);
	world_free(&b);
}

/* With matching IDs an owner change is a change of the link, not a new
 * namespace (the capture saw the namespace from elsewhere, or the record
 * is odd: the kernel never changes an owner). */
static void owner_change(void **state)
{
	struct world a, b;
	uint32_t links[NS_NTYPES], ua, ub, na, nb;
	struct diff_opts o = { .no_pids = true, .types = NS_TYPE_BIT(NS_NET) };

	(void)state;
	world_init(&a, true, "boot1");
	world_init(&b, true, "boot1");
	ua = ns_add(&a, NS_USER, 4026532700, 700, a.init[NS_USER]);
	ub = ns_add(&b, NS_USER, 4026532700, 700, b.init[NS_USER]);
	na = ns_add(&a, NS_NET, 4026532701, 701, a.init[NS_USER]);
	nb = ns_add(&b, NS_NET, 4026532701, 701, ub);
	links_of(&a, links);
	links[NS_USER] = ua;
	links[NS_NET] = na;
	proc_add(&a, 130, 1300, "sh", links);
	links_of(&b, links);
	links[NS_USER] = ub;
	links[NS_NET] = nb;
	proc_add(&b, 130, 1300, "sh", links);

	check_list(&a, &b, &o,
		"owner net:[4026532701] old=user:[4026531837] new=user:[4026532700]\n");
	/* Out of sight in one capture. */
	b.g->ns[nb].owner_err = EPERM;
	check_list(&a, &b, &o,
		"owner net:[4026532701] old=user:[4026531837] new=invisible\n");
	/* Not collected in one: no evidence. */
	b.g->ns[nb].owner_err = ENODATA;
	check_list(&a, &b, &o, "");
	world_free(&a);
	world_free(&b);
}

static void pins(void **state)
{
	struct world a, b;
	uint32_t pa, pb, links[NS_NTYPES];
	struct diff_opts o = { .deep_scan = true, .types = NS_TYPE_BIT(NS_NET) |
							    NS_TYPE_BIT(NS_PID) };
	struct graph_mount *m;
	struct graph_fd *f;
	struct graph_proc *p;

	(void)state;
	world_init(&a, true, "boot1");
	world_init(&b, true, "boot1");
	/* A: net 800 kept alive by a bind mount only. */
	pa = ns_add(&a, NS_NET, 4026532800, 800, a.init[NS_USER]);
	m = graph_mount_append(a.g);
	m->mntns = a.init[NS_MNT];
	m->ns = pa;
	m->path = dup(a.g, "/run/netns/blue");
	/* B: the mount is gone, pid 120 holds it open on fd 5. */
	pb = ns_add(&b, NS_NET, 4026532800, 800, b.init[NS_USER]);
	links_of(&b, links);
	p = proc_add(&b, 120, 1200, "holder", links);
	f = graph_fd_append(b.g);
	f->fd = 5;
	f->ns = pb;
	p = &b.g->procs[b.g->nprocs - 1];
	p->first_fd = (uint32_t)b.g->nfds - 1;
	p->nfds = 1;
	/* and sleep unshared a PID namespace for its children. */
	uint32_t child = ns_add(&b, NS_PID, 4026532801, 801, b.init[NS_USER]);
	b.g->ns[child].parent = b.init[NS_PID];
	b.g->ns[child].parent_err = 0;
	b.g->procs[1].links.pid_for_children = child;

	o.no_pids = true;
	check_list(&a, &b, &o,
		"born pid:[4026532801] id=801 owner=user:[4026531837] "
		"parent=pid:[4026531836]\n"
		"pinned net:[4026532800] by=fd pid=120 start=1200 comm=holder fd=5\n"
		"pinned pid:[4026532801] by=pid_for_children pid=100 start=1000 "
		"comm=sleep\n"
		"unpinned net:[4026532800] by=mount mntns=mnt:[4026531841] "
		"path=/run/netns/blue\n");
	/* Without the deep scan, pinned-only namespaces are out of sight. */
	o.deep_scan = false;
	check_list(&a, &b, &o, "");
	world_free(&a);
	world_free(&b);
}

/*
 * Pins nsshow cannot open are no pins for nsdiff either: a bind mount on a
 * path mountinfo escapes, one in a mount namespace whose mountinfo could
 * not be listed.  The same mount on a plain path, listed, is one.
 */
static void pins_nsshow_cannot_open(void **state)
{
	static const struct {
		const char *path;
		int32_t list_err;
		const char *expected;
	} cases[] = {
		{ "/run/netns/a\\040b", 0, "" },
		{ "/run/netns/ab", EPERM, "" },
		{ "/run/netns/ab", 0,
		  "born net:[4026532810] id=810 owner=user:[4026531837]\n"
		  "pinned net:[4026532810] by=mount mntns=mnt:[4026531841] "
		  "path=/run/netns/ab\n" },
	};
	const struct diff_opts o = { .deep_scan = true, .no_pids = true };

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct world a, b;
		struct graph_mount *m;

		world_init(&a, true, "boot1");
		world_init(&b, true, "boot1");
		m = graph_mount_append(b.g);
		assert_non_null(m);
		m->mntns = b.init[NS_MNT];
		m->ns = ns_add(&b, NS_NET, 4026532810, 810, b.init[NS_USER]);
		m->path = dup(b.g, cases[i].path);
		m->list_err = cases[i].list_err;
		check_list(&a, &b, &o, cases[i].expected);
		if (!cases[i].expected[0])   /* nor the other way round */
			check_list(&b, &a, &o, "");
		world_free(&a);
		world_free(&b);
	}
}

static void other_host_or_boot(void **state)
{
	struct world a, b;
	struct diff d;

	(void)state;
	world_init(&a, true, "boot1");
	world_init(&b, true, "boot2");
	assert_int_equal(diff_graphs(a.g, b.g, NULL, &d), 0);
	assert_int_equal(d.flags, DIFF_OTHER_BOOT);
	diff_release(&d);
	b.g->meta.boot_id = a.g->meta.boot_id;
	b.g->meta.hostname = dup(b.g, "host2");
	assert_int_equal(diff_graphs(a.g, b.g, NULL, &d), 0);
	assert_int_equal(d.flags, DIFF_OTHER_HOST);
	assert_int_equal(d.nchanges, 0);
	diff_release(&d);
	world_free(&a);
	world_free(&b);
}

static void threads(void **state)
{
	struct world a, b;
	struct diff_opts o = { .search_tasks = true, .types = NS_TYPE_BIT(NS_UTS) };
	struct graph_task *t;
	uint32_t u;

	(void)state;
	world_init(&a, true, "boot1");
	world_init(&b, true, "boot1");
	/* sleep (the last process) gets a second thread in its own UTS ns. */
	u = ns_add(&b, NS_UTS, 4026532900, 900, b.init[NS_USER]);
	t = graph_task_append(b.g, 101);
	t->comm = dup(b.g, "worker");
	t->links = b.g->procs[1].links;
	t->links.ns[NS_UTS] = u;
	b.g->procs[1].ntasks = 2;

	check_list(&a, &b, &o,
		"born uts:[4026532900] id=900 owner=user:[4026531837]\n"
		"joined user:[4026531837] pid=100 tid=101 start=1000 comm=worker\n"
		"joined uts:[4026532900] pid=100 tid=101 start=1000 comm=worker\n");
	/* Processes are scanned through their leaders: the thread's
	 * namespace is out of sight, as in nsshow without --search-tasks. */
	o.search_tasks = false;
	check_list(&a, &b, &o, "");
	world_free(&a);
	world_free(&b);
}

static void corrupt(void **state)
{
	struct world a, b;
	struct diff d;

	(void)state;
	world_init(&a, true, "boot1");
	world_init(&b, true, "boot1");
	b.g->ns[3].owner = 1000;
	assert_int_equal(diff_graphs(a.g, b.g, NULL, &d), -EBADMSG);
	b.g->ns[3].owner = b.init[NS_USER];
	b.g->procs[0].links.ns[NS_NET] = 77;
	assert_int_equal(diff_graphs(a.g, b.g, NULL, &d), -EBADMSG);
	/* A loop of owners must not hang the weak judgement. */
	world_free(&a);
	world_free(&b);
	world_init(&a, false, "boot1");
	world_init(&b, false, "boot1");
	a.g->ns[a.init[NS_USER]].owner = a.init[NS_USER];
	a.g->ns[a.init[NS_USER]].owner_err = 0;
	b.g->ns[b.init[NS_USER]].owner = b.init[NS_USER];
	b.g->ns[b.init[NS_USER]].owner_err = 0;
	/* (diff_graphs() refuses the loop; the engine behind it must end.) */
	assert_int_equal(diff_graphs(a.g, b.g, NULL, &d), -EBADMSG);
	assert_int_equal(diff_compare(a.g, b.g, NULL, &d), 0);
	diff_release(&d);
	world_free(&a);
	world_free(&b);
}

/* ---- the formats on one small case ------------------------------------ */

/* B: a process unshared a user namespace (with a map) and a net namespace
 * in it; A's "old" process and its UTS namespace are gone. */
static void small_case(struct world *a, struct world *b)
{
	uint32_t links[NS_NTYPES], u;

	world_init(a, true, "boot1");
	world_init(b, true, "boot1");
	b->g->meta.start_ns += 90ll * 1000000000ll;
	links_of(a, links);
	links[NS_UTS] = ns_add(a, NS_UTS, 4026532010, 40, a->init[NS_USER]);
	proc_add(a, 150, 1500, "old", links);
	links_of(b, links);
	u = ns_add(b, NS_USER, 4026532020, 41, b->init[NS_USER]);
	b->g->ns[u].creator_uid = 1000;
	b->g->ns[u].uid_map = dup(b->g, "         0       1000          1\n");
	b->g->ns[u].gid_map = b->g->ns[u].uid_map;
	links[NS_USER] = u;
	links[NS_NET] = ns_add(b, NS_NET, 4026532021, 42, u);
	proc_add(b, 200, 2000, "unshare me", links);
}

#define SMALL_SUMMARY "summary: 1 process started, 1 ended; 2 namespaces born " \
	"(net, user), 1 gone (uts)\n"

static const struct diff_print_opts verbose_po = { .verbose = true };

static const struct diff_opts small_opts = {
	.types = NS_TYPE_BIT(NS_NET) | NS_TYPE_BIT(NS_UTS),
};

static void format_list(void **state)
{
	struct world a, b;

	(void)state;
	small_case(&a, &b);
	check_list(&a, &b, &small_opts,
		"born net:[4026532021] id=42 owner=user:[4026532020]\n"
		"born user:[4026532020] id=41 owner=user:[4026531837] creator=1000 "
		"uid_map=\"0 1000 1\" gid_map=\"0 1000 1\"\n"
		"gone uts:[4026532010] id=40 owner=user:[4026531837]\n"
		"started pid=200 start=2000 comm=\"unshare me\"\n"
		"ended pid=150 start=1500 comm=old\n"
		"joined net:[4026532021] pid=200 start=2000 comm=\"unshare me\"\n"
		"joined user:[4026532020] pid=200 start=2000 comm=\"unshare me\"\n"
		"joined uts:[4026531838] pid=200 start=2000 comm=\"unshare me\"\n"
		"left net:[4026531840] pid=150 start=1500 comm=old\n"
		"left user:[4026531837] pid=150 start=1500 comm=old\n"
		"left uts:[4026532010] pid=150 start=1500 comm=old\n");
	world_free(&a);
	world_free(&b);
}

static char *print_with(int (*fn)(FILE *, const struct diff *,
				  const struct diff_print_opts *),
			const struct diff *d, const struct diff_print_opts *po)
{
	struct gb_capture c;

	assert_int_equal(fn(gb_cap_open(&c), d, po), 0);
	return gb_cap_close(&c);
}

static void expect_text(char *got, const char *expected)
{
	if (strcmp(got, expected))
		fprintf(stderr, "---- expected\n%s---- got\n%s----\n", expected, got);
	assert_string_equal(got, expected);
	free(got);
}

static void format_json(void **state)
{
	struct world a, b;
	struct diff d;
	struct diff_print_opts po = { .a_name = "3", .b_name = "live" };

	(void)state;
	small_case(&a, &b);
	struct diff_opts o = small_opts;
	o.no_pids = true;
	assert_int_equal(diff_graphs(a.g, b.g, &o, &d), 0);
	expect_text(print_with(diff_print_json, &d, &po),
		"{\n"
		"  \"schema\": \"nsdiff/1\",\n"
		"  \"a\": {\"name\": \"3\", \"host\": \"host1\", \"boot_id\": \"boot1\", "
		"\"kernel\": \"6.18.0\", \"time\": \"2023-11-14T22:13:20Z\", "
		"\"start_ns\": \"1700000000000000000\"},\n"
		"  \"b\": {\"name\": \"live\", \"host\": \"host1\", \"boot_id\": \"boot1\", "
		"\"kernel\": \"6.18.0\", \"time\": \"2023-11-14T22:14:50Z\", "
		"\"start_ns\": \"1700000090000000000\"},\n"
		"  \"other_host\": false,\n"
		"  \"other_boot\": false,\n"
		"  \"matched\": 8,\n"
		"  \"weak_matches\": 0,\n"
		"  \"changes\": [\n"
		"    {\"kind\": \"born\", \"ns\": {\"type\": \"net\", \"dev\": \"4\", "
		"\"ino\": \"4026532021\", \"id\": \"42\", \"owner\": {\"type\": \"user\", "
		"\"dev\": \"4\", \"ino\": \"4026532020\", \"id\": \"41\"}}},\n"
		"    {\"kind\": \"born\", \"ns\": {\"type\": \"user\", \"dev\": \"4\", "
		"\"ino\": \"4026532020\", \"id\": \"41\", \"owner\": {\"type\": \"user\", "
		"\"dev\": \"4\", \"ino\": \"4026531837\", \"id\": \"1\"}, \"creator\": 1000, "
		"\"uid_map\": \"         0       1000          1\\n\", "
		"\"gid_map\": \"         0       1000          1\\n\"}},\n"
		"    {\"kind\": \"gone\", \"ns\": {\"type\": \"uts\", \"dev\": \"4\", "
		"\"ino\": \"4026532010\", \"id\": \"40\", \"owner\": {\"type\": \"user\", "
		"\"dev\": \"4\", \"ino\": \"4026531837\", \"id\": \"1\"}}}\n"
		"  ]\n"
		"}\n");
	diff_release(&d);
	/* No change: an empty array. */
	assert_int_equal(diff_graphs(a.g, a.g, &o, &d), 0);
	char *text = print_with(diff_print_json, &d, NULL);
	assert_non_null(strstr(text, "  \"changes\": []\n}\n"));
	free(text);
	diff_release(&d);
	world_free(&a);
	world_free(&b);
}

static void format_json_members(void **state)
{
	struct world a, b;
	struct diff d;

	(void)state;
	small_case(&a, &b);
	assert_int_equal(diff_graphs(a.g, b.g, &small_opts, &d), 0);
	char *text = print_with(diff_print_json, &d, NULL);
	assert_non_null(strstr(text,
		"    {\"kind\": \"joined\", \"ns\": {\"type\": \"net\", \"dev\": \"4\", "
		"\"ino\": \"4026532021\", \"id\": \"42\"}, \"pid\": 200, "
		"\"start\": \"2000\", \"comm\": \"unshare me\", \"new_process\": true},\n"));
	assert_non_null(strstr(text,
		"    {\"kind\": \"ended\", \"pid\": 150, \"start\": \"1500\", "
		"\"comm\": \"old\"},\n"));
	free(text);
	diff_release(&d);
	world_free(&a);
	world_free(&b);
}

static void format_tree(void **state)
{
	struct world a, b;
	struct diff d;
	struct diff_print_opts po = { .a_name = "3", .b_name = "live",
				      .verbose = true };

	(void)state;
	small_case(&a, &b);
	assert_int_equal(diff_graphs(a.g, b.g, &small_opts, &d), 0);
	expect_text(print_with(diff_print_tree, &d, &po),
		"--- 3 2023-11-14T22:13:20Z host=host1\n"
		"+++ live 2023-11-14T22:14:50Z host=host1\n"
		SMALL_SUMMARY
		"~ user {4 4026531837} <UID: 0;  u: 0 0 4294967295;   g: 0 0 4294967295>\n"
		"-         150 old (ended)\n"
		"~     net {4 4026531840}\n"
		"-             150 old (ended)\n"
		"~     uts {4 4026531838}\n"
		"+             200 \"unshare me\" (started)\n"
		"+     user {4 4026532020} <UID: 1000;  u: 0 1000 1;   g: 0 1000 1>\n"
		"+             200 \"unshare me\" (started)\n"
		"+         net {4 4026532021}\n"
		"+                 200 \"unshare me\" (started)\n"
		"-     uts {4 4026532010}\n"
		"-             150 old (ended)\n");
	/* Colored: whole lines, context uncolored. */
	po.color = true;
	char *text = print_with(diff_print_tree, &d, &po);
	assert_non_null(strstr(text, "\x1b[31m-     uts {4 4026532010}\x1b[0m\n"));
	assert_non_null(strstr(text, "\x1b[32m+         net {4 4026532021}\x1b[0m\n"));
	assert_non_null(strstr(text, "\x1b[33m~ user {4 4026531837}"));
	free(text);
	diff_release(&d);

	/* Nothing changed: the header and "no differences", and with
	 * --all the whole hierarchy. */
	assert_int_equal(diff_graphs(a.g, a.g, &small_opts, &d), 0);
	po.color = false;
	expect_text(print_with(diff_print_tree, &d, &po),
		"--- 3 2023-11-14T22:13:20Z host=host1\n"
		"+++ live 2023-11-14T22:13:20Z host=host1\n"
		"no differences\n");
	po.verbose = false;
	expect_text(print_with(diff_print_tree, &d, &po),
		"--- 3 2023-11-14T22:13:20Z host=host1\n"
		"+++ live 2023-11-14T22:13:20Z host=host1\n"
		"no differences\n");
	po.all = true;
	expect_text(print_with(diff_print_tree, &d, &po),
		"--- 3 2023-11-14T22:13:20Z host=host1\n"
		"+++ live 2023-11-14T22:13:20Z host=host1\n"
		"no differences\n"
		"  user {4 4026531837} <UID: 0;  u: 0 0 4294967295;   g: 0 0 4294967295>\n"
		"      net {4 4026531840}\n"
		"      uts {4 4026531838}\n"
		"      uts {4 4026532010}\n");
	diff_release(&d);
	world_free(&a);
	world_free(&b);
}

/* Only printable ASCII and newlines: no byte of a snapshot's strings can
 * command the terminal that shows the text. */
static void assert_plain_text(const char *text)
{
	for (const char *p = text; *p; p++)
		assert_true(*p == '\n' || (*p >= 0x20 && *p < 0x7f));
}

/* A comm and a host name from a hostile machine: escaped in the list,
 * the tree and the events, whether or not the output is a terminal. */
static void format_hostile_text(void **state)
{
	static const char evil[] = "a\"b\nc\x1b[2J\r\x07\\\xc2\x9b";
	static const char spelled[] = "\"a\\\"b\\x0ac\\x1b[2J\\x0d\\x07"
				      "\\\\\\xc2\\x9b\"";
	struct world a, b;
	struct diff d;
	char *text;

	(void)state;
	small_case(&a, &b);
	a.g->meta.hostname = dup(a.g, evil);
	b.g->meta.hostname = dup(b.g, evil);
	for (size_t i = 0; i < b.g->nprocs; i++)
		if (b.g->procs[i].pid == 200)
			b.g->procs[i].comm = dup(b.g, evil);
	assert_int_equal(diff_graphs(a.g, b.g, &small_opts, &d), 0);

	text = print_with(diff_print_list, &d, NULL);
	assert_plain_text(text);
	char want[128];
	snprintf(want, sizeof(want), "started pid=200 start=2000 comm=%s\n", spelled);
	assert_non_null(strstr(text, want));
	free(text);

	text = print_with(diff_print_tree, &d, &(struct diff_print_opts){ 0 });
	assert_plain_text(text);
	snprintf(want, sizeof(want), "host=%s\n", spelled);
	assert_non_null(strstr(text, want));
	snprintf(want, sizeof(want), "200 %s (started) in ", spelled);
	assert_non_null(strstr(text, want));
	free(text);

	struct gb_capture c;
	struct diff_snapshot at = { .time_ns = 0, .id = "2", .g = b.g };
	assert_int_equal(diff_print_events(gb_cap_open(&c), &d, &at), 0);
	text = gb_cap_close(&c);
	assert_plain_text(text);
	snprintf(want, sizeof(want), "snapshot host=%s boot=", spelled);
	assert_non_null(strstr(text, want));
	free(text);
	diff_release(&d);
	world_free(&a);
	world_free(&b);
}

static void format_tree_replaced(void **state)
{
	struct world a, b;
	uint32_t links[NS_NTYPES];
	struct diff d;
	struct diff_opts o = { .types = NS_TYPE_BIT(NS_UTS), .no_pids = true };

	(void)state;
	world_init(&a, true, "boot1");
	world_init(&b, true, "boot1");
	links_of(&a, links);
	links[NS_UTS] = ns_add(&a, NS_UTS, 4026532300, 300, a.init[NS_USER]);
	proc_add(&a, 300, 3000, "sleep", links);
	links_of(&b, links);
	links[NS_UTS] = ns_add(&b, NS_UTS, 4026532300, 301, b.init[NS_USER]);
	proc_add(&b, 301, 3010, "sleep", links);
	assert_int_equal(diff_graphs(a.g, b.g, &o, &d), 0);
	expect_text(print_with(diff_print_tree, &d, NULL),
		"--- a 2023-11-14T22:13:20Z host=host1\n"
		"+++ b 2023-11-14T22:13:20Z host=host1\n"
		"summary: 1 namespace replaced (uts)\n"
		"~ uts {4 4026532300} replaced, id 300 -> 301\n");
	expect_text(print_with(diff_print_tree, &d, &verbose_po),
		"--- a 2023-11-14T22:13:20Z host=host1\n"
		"+++ b 2023-11-14T22:13:20Z host=host1\n"
		"summary: 1 namespace replaced (uts)\n"
		"  user {4 4026531837} <UID: 0;  u: 0 0 4294967295;   g: 0 0 4294967295>\n"
		"+     uts {4 4026532300}  [new, id 301]\n"
		"-     uts {4 4026532300}  [old, id 300]\n"
		"      (1 unchanged)\n");
	diff_release(&d);
	world_free(&a);
	world_free(&b);
}

/* The small case as a picture: the exact text, legend included. */
static void format_dot(void **state)
{
	struct world a, b;
	struct diff d;
	struct diff_print_opts po = { .a_name = "3", .b_name = "live" };

	(void)state;
	small_case(&a, &b);
	assert_int_equal(diff_graphs(a.g, b.g, &small_opts, &d), 0);
	expect_text(print_with(diff_print_dot, &d, &po),
		"digraph nsdiff {\n"
		"  label=\"from: 3 (2023-11-14T22:13:20Z, host host1)\\l"
		"to: live (2023-11-14T22:14:50Z, host host1)\\l\";\n"
		"  labelloc=t;\n"
		"  labeljust=l;\n"
		"  node [shape=box];\n"
		"  subgraph cluster_n1 {\n"
		"    label=\"\";\n"
		"    n1 [label=\"user {4 4026531837}\\lUID: 0\\lu: 0 0 4294967295\\l"
		"g: 0 0 4294967295\\l\xe2\x88\x92" "1 process\\l\", "
		"style=\"bold,filled\", fillcolor=\"khaki1\"];\n"
		"    n2 [label=\"net {4 4026531840}\\l\xe2\x88\x92" "1 process\\l\", "
		"style=\"filled\", fillcolor=\"khaki1\"];\n"
		"    n3 [label=\"uts {4 4026531838}\\l+1 process\\l\", "
		"style=\"filled\", fillcolor=\"khaki1\"];\n"
		"    subgraph cluster_n4 {\n"
		"      label=\"\";\n"
		"      n4 [label=\"user {4 4026532020}\\lUID: 1000\\lu: 0 1000 1\\l"
		"g: 0 1000 1\\l+1 process\\l\", style=\"bold,filled\", "
		"fillcolor=\"palegreen\"];\n"
		"      n5 [label=\"net {4 4026532021}\\l+1 process\\l\", "
		"style=\"filled\", fillcolor=\"palegreen\"];\n"
		"    }\n"
		"    n6 [label=\"uts {4 4026532010}\\l\xe2\x88\x92" "1 process\\l\", "
		"style=\"filled\", fillcolor=\"lightcoral\"];\n"
		"  }\n"
		"  subgraph cluster_legend {\n"
		"    label=\"legend\";\n"
		"    legend_born [label=\"born\", style=filled, fillcolor=\"palegreen\"];\n"
		"    legend_gone [label=\"gone\", style=filled, fillcolor=\"lightcoral\"];\n"
		"    legend_changed [label=\"changed\", style=filled, fillcolor=\"khaki1\"];\n"
		"    legend_old [label=\"replaced: old life\", style=filled, "
		"fillcolor=\"khaki1\", color=\"red3\", penwidth=3];\n"
		"    legend_new [label=\"replaced: new life\", style=filled, "
		"fillcolor=\"khaki1\", color=\"green4\", penwidth=3];\n"
		"    legend_same [label=\"unchanged\"];\n"
		"    legend_fold [label=\"N unchanged\", style=dotted];\n"
		"    legend_user [label=\"user namespace\", style=bold];\n"
		"    legend_owned [label=\"owned namespace\"];\n"
		"    legend_child [label=\"child namespace\", style=bold];\n"
		"    legend_user -> legend_owned [style=dashed, label=\"owns\"];\n"
		"    legend_user -> legend_child [label=\"parent of\"];\n"
		"    legend_born -> legend_old -> legend_user [style=invis];\n"
		"    legend_gone -> legend_new [style=invis];\n"
		"    legend_changed -> legend_fold [style=invis];\n"
		"    { rank=same; legend_born -> legend_gone -> legend_changed -> "
		"legend_same [style=invis]; }\n"
		"  }\n"
		"  n1 -> n2 [style=dashed];\n"
		"  n1 -> n3 [style=dashed];\n"
		"  n1 -> n4;\n"
		"  n4 -> n5 [style=dashed];\n"
		"  n1 -> n6 [style=dashed];\n"
		/* four children of n1: two rows of two */
		"  n2 -> n4 [style=invis];\n"
		"  n3 -> n6 [style=invis];\n"
		"}\n");
	diff_release(&d);
	world_free(&a);
	world_free(&b);
}

/*
 * Nested: U0 > U1 > U2, with U1's UTS namespace replaced (same inode, new
 * ID), U2's map written and a process joining U2's net namespace, which
 * B also pins by an fd; U0 > U3 with its net namespace unchanged (folded);
 * a net namespace only a bind mount of A kept alive.
 */
static void nested_case(struct world *a, struct world *b)
{
	struct world *w[2] = { a, b };

	for (int i = 0; i < 2; i++) {
		uint32_t links[NS_NTYPES], u1, u2, u3;

		world_init(w[i], true, "boot1");
		u1 = ns_add(w[i], NS_USER, 4026532030, 50, w[i]->init[NS_USER]);
		u2 = ns_add(w[i], NS_USER, 4026532031, 51, u1);
		u3 = ns_add(w[i], NS_USER, 4026532032, 52, w[i]->init[NS_USER]);
		w[i]->g->ns[u2].uid_map = dup(w[i]->g, i ? "0 1000 1\n" : "");
		links_of(w[i], links);
		links[NS_USER] = u1;
		links[NS_UTS] = ns_add(w[i], NS_UTS, 4026532033, i ? 54 : 53, u1);
		proc_add(w[i], 300 + i, 3000 + (uint64_t)i, "u1", links);
		links[NS_USER] = u2;
		links[NS_NET] = ns_add(w[i], NS_NET, 4026532034, 55, u2);
		proc_add(w[i], 400, 4000, "u2", links);
		if (i) {
			struct graph_proc *p = proc_add(w[i], 401, 4010, "u2 & \"co\"",
							links);
			struct graph_fd *f = graph_fd_append(w[i]->g);
			assert_non_null(f);
			f->fd = 7;
			f->ns = links[NS_NET];
			p = &w[i]->g->procs[w[i]->g->nprocs - 1];
			p->first_fd = (uint32_t)w[i]->g->nfds - 1;
			p->nfds = 1;
		}
		if (!i) {
			/* Pinned by a bind mount nsshow never opens (the octal
			 * escape): out of both the diff and the hierarchy. */
			struct graph_mount *m = graph_mount_append(w[i]->g);
			assert_non_null(m);
			m->mntns = w[i]->init[NS_MNT];
			m->ns = ns_add(w[i], NS_NET, 4026532036, 57, w[i]->init[NS_USER]);
			m->path = dup(w[i]->g, "/run/netns/a\\040b");
		}
		links_of(w[i], links);
		links[NS_USER] = u3;
		links[NS_NET] = ns_add(w[i], NS_NET, 4026532035, 56, u3);
		proc_add(w[i], 500, 5000, "u3", links);
	}
}

static const struct diff_opts nested_opts = {
	.types = NS_TYPE_BIT(NS_NET) | NS_TYPE_BIT(NS_UTS), .deep_scan = true,
};

static void format_dot_nested(void **state)
{
	struct world a, b;
	struct diff d;

	(void)state;
	nested_case(&a, &b);
	assert_int_equal(diff_graphs(a.g, b.g, &nested_opts, &d), 0);
	char *text = print_with(diff_print_dot, &d, NULL);
	/* Clusters nest three deep; the two lives of the UTS inode are tied. */
	assert_non_null(strstr(text, "\n      subgraph cluster_n6 {\n"));
	assert_non_null(strstr(text,
		"n5 [label=\"uts {4 4026532033}\\lreplaced: new life, id 54\\l"
		"+3 processes\\l\", style=\"filled\", fillcolor=\"khaki1\", "
		"color=\"green4\", penwidth=3];\n"));
	assert_non_null(strstr(text, "  n10 -> n5 [style=dotted, constraint=false, "
				     "label=\"replaced by\"];\n"));
	assert_non_null(strstr(text, "uid_map: (unset) \xe2\x86\x92 0 1000 1\\l"));
	assert_non_null(strstr(text, "+1 process\\l+1 pin\\l"));
	assert_non_null(strstr(text, "    f1 [label=\"3 unchanged\", style=dotted];\n"));
	/* The mount nsshow cannot open: nsdiff does not discover it either
	 * (it once did, and printed it in a note). */
	assert_null(strstr(text, "outside"));
	assert_null(strstr(text, "4026532036"));
	free(text);

	/* --all: nothing folded, the unchanged namespaces unfilled. */
	text = print_with(diff_print_dot, &d, &(struct diff_print_opts){ .all = true });
	assert_null(strstr(text, " f1 ["));
	assert_null(strstr(text, " -> f1 "));
	assert_non_null(strstr(text, "n9 [label=\"net {4 4026532035}\\l\"];\n"));
	free(text);
	diff_release(&d);
	world_free(&a);
	world_free(&b);
}

/*
 * Changes the hierarchy does not show go after it (tree) or in a note
 * (DOT), as list lines.  nsshow shows one root, the last one it met: with
 * a second top-level user namespace (its owner out of sight, met after
 * the initial one) the initial namespaces' tree is not shown.
 */
static void format_outside(void **state)
{
	struct world a, b;
	uint32_t links[NS_NTYPES];
	struct diff d;
	const struct diff_opts o = { .types = NS_TYPE_BIT(NS_UTS) };

	(void)state;
	world_init(&a, true, "boot1");
	world_init(&b, true, "boot1");
	for (struct world *w = &a; w; w = w == &a ? &b : NULL) {
		links_of(w, links);
		links[NS_USER] = ns_add(w, NS_USER, 4026532900, 90, GRAPH_NONE);
		proc_add(w, 500, 5000, "other root", links);
	}
	links_of(&b, links);
	links[NS_UTS] = ns_add(&b, NS_UTS, 4026532901, 91, b.init[NS_USER]);
	proc_add(&b, 150, 1500, "two words", links);
	assert_int_equal(diff_graphs(a.g, b.g, &o, &d), 0);

	/* The other root's tree, unchanged, folded; the rest after it. */
	expect_text(print_with(diff_print_tree, &d, &verbose_po),
		"--- a 2023-11-14T22:13:20Z host=host1\n"
		"+++ b 2023-11-14T22:13:20Z host=host1\n"
		"summary: 1 process started; 1 namespace born (uts)\n"
		"  (1 unchanged)\n"
		"+ born uts:[4026532901] id=91 owner=user:[4026531837]\n"
		"+ joined user:[4026531837] pid=150 start=1500 comm=\"two words\"\n"
		"+ joined uts:[4026532901] pid=150 start=1500 comm=\"two words\"\n");
	/* In DOT: the list lines, then quoted for DOT. */
	char *text = print_with(diff_print_dot, &d, NULL);
	assert_non_null(strstr(text,
		"  outside [shape=note, label=\"not in the hierarchy:\\l"
		"+ born uts:[4026532901] id=91 owner=user:[4026531837]\\l"
		"+ joined user:[4026531837] pid=150 start=1500 "
		"comm=\\\"two words\\\"\\l"
		"+ joined uts:[4026532901] pid=150 start=1500 "
		"comm=\\\"two words\\\"\\l\"];\n"));
	free(text);
	diff_release(&d);
	world_free(&a);
	world_free(&b);
}

/* dot -Tsvg must take TEXT without a word on stderr. */
static void dot_accepts(const char *text)
{
	char path[] = "/tmp/test_diff.dot.XXXXXX", cmd[128], err[2048];
	int fd = mkstemp(path);
	FILE *f, *p;
	size_t n;

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	/* stderr into the pipe, the SVG away. */
	snprintf(cmd, sizeof(cmd), "%s -Tsvg %s 2>&1 >/dev/null", DOT_PATH, path);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(err, 1, sizeof(err) - 1, p);
	err[n] = '\0';
	int status = pclose(p);
	remove(path);
	if (status || n)
		fprintf(stderr, "---- dot said (status %d)\n%s----\n%s", status, err, text);
	assert_int_equal(status, 0);
	assert_int_equal(n, 0);
}

static void format_dot_graphviz(void **state)
{
	struct world a, b;
	struct diff d;
	char *text;

	struct stat st;

	(void)state;
	/* Not <unistd.h>'s access(): its dup() would clash with ours. */
	if (stat(DOT_PATH, &st) != 0 || !(st.st_mode & S_IXUSR)) {
		fprintf(stderr, "skip: %s not installed\n", DOT_PATH);
		skip();
	}
	nested_case(&a, &b);
	/* A host name that needs every escape, and the other-host warning. */
	b.g->meta.hostname = dup(b.g, "h\"o&s\\t\x01\xc3\xa9");
	assert_int_equal(diff_graphs(a.g, b.g, &nested_opts, &d), 0);
	text = print_with(diff_print_dot, &d, &(struct diff_print_opts){
		.a_name = "latest~1", .b_name = "live" });
	assert_non_null(strstr(text, "host h\\\"o&amp;s\\\\\\\\t\\\\x01"
				     "\\\\xc3\\\\xa9)\\l"
				     "WARNING: other hosts, every match is a guess\\l"));
	dot_accepts(text);
	free(text);
	text = print_with(diff_print_dot, &d, &(struct diff_print_opts){ .all = true });
	dot_accepts(text);
	free(text);
	diff_release(&d);
	/* The PID hierarchy: no clusters. */
	struct diff_opts o = { .pidns = true, .deep_scan = true };
	assert_int_equal(diff_graphs(a.g, b.g, &o, &d), 0);
	text = print_with(diff_print_dot, &d, NULL);
	dot_accepts(text);
	free(text);
	diff_release(&d);
	/* Nothing changed: still a graph, all of it folded. */
	assert_int_equal(diff_graphs(a.g, a.g, &nested_opts, &d), 0);
	text = print_with(diff_print_dot, &d, NULL);
	assert_non_null(strstr(text, "  f0 [label=\""));
	dot_accepts(text);
	free(text);
	diff_release(&d);
	world_free(&a);
	world_free(&b);
}

static void events(void **state)
{
	struct world a, b;
	struct diff d;
	struct gb_capture c;
	struct diff_snapshot sa, sb;

	(void)state;
	small_case(&a, &b);
	/* A second process in the new namespaces, to see members grouped. */
	uint32_t links[NS_NTYPES];
	links_of(&b, links);
	links[NS_USER] = (uint32_t)b.g->nns - 2;
	links[NS_NET] = (uint32_t)b.g->nns - 1;
	proc_add(&b, 201, 2010, "two", links);
	sa = (struct diff_snapshot){ 1700000000ll * 1000000000ll, "3", a.g };
	sb = (struct diff_snapshot){ 1700000090ll * 1000000000ll, "4", b.g };
	assert_int_equal(diff_graphs(a.g, b.g, &small_opts, &d), 0);
	FILE *f = gb_cap_open(&c);
	assert_int_equal(diff_print_events(f, NULL, &sa), 0);
	assert_int_equal(diff_print_events(f, &d, &sb), 0);
	expect_text(gb_cap_close(&c),
		"2023-11-14T22:13:20Z 3 snapshot host=host1 boot=boot1 namespaces=9 processes=3\n"
		"2023-11-14T22:14:50Z 4 snapshot host=host1 boot=boot1 namespaces=10 processes=4\n"
		"2023-11-14T22:14:50Z 4 born net:[4026532021] id=42 owner=user:[4026532020]\n"
		"2023-11-14T22:14:50Z 4 born user:[4026532020] id=41 owner=user:[4026531837] "
		"creator=1000 uid_map=\"0 1000 1\" gid_map=\"0 1000 1\"\n"
		"2023-11-14T22:14:50Z 4 gone uts:[4026532010] id=40 owner=user:[4026531837]\n"
		"2023-11-14T22:14:50Z 4 started pid=200 start=2000 comm=\"unshare me\"\n"
		"2023-11-14T22:14:50Z 4 started pid=201 start=2010 comm=two\n"
		"2023-11-14T22:14:50Z 4 ended pid=150 start=1500 comm=old\n"
		"2023-11-14T22:14:50Z 4 joined net:[4026532021] pids=200,201\n"
		"2023-11-14T22:14:50Z 4 joined user:[4026532020] pids=200,201\n"
		"2023-11-14T22:14:50Z 4 joined uts:[4026531838] pids=200,201\n"
		"2023-11-14T22:14:50Z 4 left net:[4026531840] pids=150\n"
		"2023-11-14T22:14:50Z 4 left user:[4026531837] pids=150\n"
		"2023-11-14T22:14:50Z 4 left uts:[4026532010] pids=150\n");
	diff_release(&d);

	/* Across a reboot the step is one event. */
	b.g->meta.boot_id = dup(b.g, "boot2");
	assert_int_equal(diff_graphs(a.g, b.g, &small_opts, &d), 0);
	f = gb_cap_open(&c);
	assert_int_equal(diff_print_events(f, &d, &sb), 0);
	expect_text(gb_cap_close(&c),
		"2023-11-14T22:14:50Z 4 snapshot host=host1 boot=boot2 namespaces=10 processes=4\n"
		"2023-11-14T22:14:50Z 4 reboot old_boot=boot1 new_boot=boot2\n");
	diff_release(&d);
	world_free(&a);
	world_free(&b);
}

/* One UTS inode over four snapshots: seen with one member, a second joins,
 * replaced (new ID), then gone. */
static void history(void **state)
{
	struct world w[4];
	struct diff_snapshot s[4];
	uint32_t links[NS_NTYPES];
	struct gb_capture c;
	static const char *const ids[] = { "1", "2", "3", "4" };

	(void)state;
	for (int i = 0; i < 4; i++) {
		world_init(&w[i], true, "boot1");
		s[i] = (struct diff_snapshot){
			(1700000000ll + 60 * i) * 1000000000ll, ids[i], w[i].g,
		};
		if (i == 3)
			continue;
		links_of(&w[i], links);
		links[NS_UTS] = ns_add(&w[i], NS_UTS, 4026532300, i < 2 ? 300 : 301,
				       w[i].init[NS_USER]);
		proc_add(&w[i], i < 2 ? 300 : 310, 3000 + (uint64_t)i / 2, "sleep", links);
		if (i == 1)
			proc_add(&w[i], 305, 3050, "sh", links);
	}
	const char *expected =
		"2023-11-14T22:13:20Z 1 first-seen uts:[4026532300] id=300 "
		"owner=user:[4026531837] members=300\n"
		"2023-11-14T22:14:20Z 2 joined uts:[4026532300] pids=305\n"
		"2023-11-14T22:15:20Z 3 replaced uts:[4026532300] old_id=300 new_id=301 "
		"type=uts owner=user:[4026531837]\n"
		"2023-11-14T22:15:20Z 3 first-seen uts:[4026532300] id=301 "
		"owner=user:[4026531837] members=310\n"
		"2023-11-14T22:16:20Z 4 gone uts:[4026532300] last-seen=2023-11-14T22:15:20Z\n"
		"life 1 uts:[4026532300] id=300 first-seen=2023-11-14T22:13:20Z "
		"first-snapshot=1 last-seen=2023-11-14T22:14:20Z last-snapshot=2\n"
		"life 2 uts:[4026532300] id=301 first-seen=2023-11-14T22:15:20Z "
		"first-snapshot=3 last-seen=2023-11-14T22:15:20Z last-snapshot=3\n";
	assert_int_equal(diff_history(gb_cap_open(&c), s, 4, "uts:[4026532300]", NULL), 0);
	expect_text(gb_cap_close(&c), expected);
	assert_int_equal(diff_history(gb_cap_open(&c), s, 4, "4:4026532300", NULL), 0);
	expect_text(gb_cap_close(&c), expected);
	/* By ID: only the first life. */
	assert_int_equal(diff_history(gb_cap_open(&c), s, 4, "id:301", NULL), 0);
	expect_text(gb_cap_close(&c),
		"2023-11-14T22:15:20Z 3 first-seen uts:[4026532300] id=301 "
		"owner=user:[4026531837] members=310\n"
		"2023-11-14T22:16:20Z 4 gone uts:[4026532300] last-seen=2023-11-14T22:15:20Z\n"
		"life 1 uts:[4026532300] id=301 first-seen=2023-11-14T22:15:20Z "
		"first-snapshot=3 last-seen=2023-11-14T22:15:20Z last-snapshot=3\n");
	assert_int_equal(diff_history(gb_cap_open(&c), s, 4, "net:[1]", NULL), -ENOENT);
	free(gb_cap_close(&c));
	assert_int_equal(diff_history(gb_cap_open(&c), s, 4, "bogus:[1]", NULL), -EINVAL);
	free(gb_cap_close(&c));
	assert_int_equal(diff_history(gb_cap_open(&c), s, 4, "uts:[12", NULL), -EINVAL);
	free(gb_cap_close(&c));
	assert_int_equal(diff_history(gb_cap_open(&c), s, 4, "4:", NULL), -EINVAL);
	free(gb_cap_close(&c));
	for (int i = 0; i < 4; i++)
		world_free(&w[i]);
}

/* ---- deep and looping graphs -------------------------------------------- */

/*
 * Graphs no kernel makes (it nests user namespaces 32 deep at most), as a
 * hostile document could hold them: nothing may recurse as deep as the
 * graph, loop, or write past a buffer.
 */
#define DEEP 100000u
#define DEEP_INO 4026600000ull  /* + level: the chain's user namespaces */
#define DEEP_NET 4026500000ull  /* B's new namespace at the bottom */

/*
 * A chain of DEPTH user namespaces under the initial one, without IDs (so
 * each judgement waits on its owner's), process 600 at the bottom; B adds
 * a net namespace there with process 601 in it.  CHAIN[k] is level k's
 * graph index (0: the initial user namespace), the same in both graphs;
 * *NET is B's new one.
 */
static void deep_case(struct world *a, struct world *b, uint32_t depth,
		      uint32_t *chain, uint32_t *net)
{
	struct world *w[2] = { a, b };

	for (int i = 0; i < 2; i++) {
		uint32_t links[NS_NTYPES];

		world_init(w[i], false, "boot1");
		chain[0] = w[i]->init[NS_USER];
		for (uint32_t k = 1; k <= depth; k++)
			chain[k] = ns_add(w[i], NS_USER, DEEP_INO + k, 0, chain[k - 1]);
		links_of(w[i], links);
		links[NS_USER] = chain[depth];
		proc_add(w[i], 600, 6000, "deep", links);
		if (i) {
			*net = ns_add(w[i], NS_NET, DEEP_NET, 0, chain[depth]);
			links[NS_NET] = *net;
			proc_add(w[i], 601, 6010, "deeper", links);
		}
	}
}

/* A sink that keeps only what the deep tests look at: line counts. */
struct lines {
	size_t n, longest;
	size_t clusters;          /* "subgraph cluster_n" lines */
	size_t closes;            /* lines of blanks and one '}' */
	size_t len;               /* of the line being written */
	char cur[512], last[512];
};

static ssize_t lines_write(void *cookie, const char *buf, size_t size)
{
	struct lines *l = cookie;

	for (size_t i = 0; i < size; i++) {
		if (buf[i] != '\n') {
			if (l->len < sizeof(l->cur) - 1)
				l->cur[l->len] = buf[i];
			l->len++;
			continue;
		}
		size_t kept = l->len < sizeof(l->cur) - 1 ? l->len : sizeof(l->cur) - 1;
		l->cur[kept] = '\0';
		if (l->len > l->longest)
			l->longest = l->len;
		if (strstr(l->cur, "subgraph cluster_n"))
			l->clusters++;
		if (kept && l->cur[kept - 1] == '}' && strspn(l->cur, " ") == kept - 1)
			l->closes++;
		memcpy(l->last, l->cur, kept + 1);
		l->n++;
		l->len = 0;
	}
	return (ssize_t)size;
}

static FILE *lines_open(struct lines *l)
{
	FILE *f;

	memset(l, 0, sizeof(*l));
	f = fopencookie(l, "w", (cookie_io_functions_t){ .write = lines_write });
	assert_non_null(f);
	return f;
}

static void deep_chain(void **state)
{
	uint32_t *chain = malloc((DEEP + 1) * sizeof(*chain)), net;
	struct world a, b;
	struct diff d;
	char buf[512];

	(void)state;
	assert_non_null(chain);
	deep_case(&a, &b, DEEP, chain, &net);
	/* Deeper than the kernel nests: refused, then compared all the same
	 * by the engine itself, which must stay bounded. */
	assert_int_equal(diff_graphs(a.g, b.g, NULL, &d), -EBADMSG);
	assert_int_equal(diff_compare(a.g, b.g, NULL, &d), 0);
	assert_int_equal(d.nmatched, NS_NTYPES + DEEP);
	assert_int_equal(d.nweak, NS_NTYPES + DEEP);
	/* Born net, started 601, and 601 joined each of its namespaces. */
	assert_int_equal(d.nchanges, 2 + NS_NTYPES);
	char *text = print_with(diff_print_list, &d, NULL);
	snprintf(buf, sizeof(buf), "born net:[%llu] owner=user:[%llu]\n"
		 "started pid=601 start=6010 comm=deeper\n",
		 DEEP_NET, DEEP_INO + DEEP);
	assert_memory_equal(text, buf, strlen(buf));
	snprintf(buf, sizeof(buf), "\njoined user:[%llu] pid=601 start=6010 "
		 "comm=deeper match=weak\n", DEEP_INO + DEEP);
	assert_non_null(strstr(text, buf));
	free(text);
	diff_release(&d);
	free(chain);
	world_free(&a);
	world_free(&b);
}

/* Level k of CHAIN at depth k, then NET (when not GRAPH_NONE) below. */
static void deep_view(struct view *v, const uint32_t *chain, uint32_t depth,
		      uint32_t net)
{
	memset(v, 0, sizeof(*v));
	v->lines = calloc(depth + 2, sizeof(*v->lines));
	assert_non_null(v->lines);
	for (uint32_t k = 0; k <= depth; k++)
		v->lines[v->nlines++] = (struct view_line){ .ns = chain[k], .depth = k };
	if (net != GRAPH_NONE)
		v->lines[v->nlines++] = (struct view_line){ .ns = net, .depth = depth + 1 };
}

/*
 * The merged hierarchy and both pictures of it, 100,000 levels deep.  The
 * views are made here: view_build() itself is not part of this test.
 */
static void deep_pictures(void **state)
{
	uint32_t *chain = malloc((DEEP + 1) * sizeof(*chain)), net;
	struct world a, b;
	struct view va, vb;
	struct diff_hier h;
	struct lines l;
	struct diff d;
	FILE *f;

	(void)state;
	assert_non_null(chain);
	deep_case(&a, &b, DEEP, chain, &net);
	assert_int_equal(diff_compare(a.g, b.g, NULL, &d), 0);
	deep_view(&va, chain, DEEP, GRAPH_NONE);
	deep_view(&vb, chain, DEEP, net);
	assert_int_equal(diff_hier_merge(&h, &d, NULL, &va, &vb), 0);
	assert_int_equal(h.nnodes, 1 + DEEP + 2);

	/* Two headers, every level, the bottom's joined line, the net line
	 * and its joined line, then the six joined lines no view line holds
	 * (the initial namespaces are not in these views).  Indented as
	 * level 64 at most: else the last levels would take 400,000 columns. */
	f = lines_open(&l);
	assert_int_equal(diff_tree_write(f, &h), 0);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(l.n, 2 + 1 + (DEEP + 1) + 3 + 6);
	assert_true(l.longest <= 2 + 4 * 64 + 8 + 80);
	assert_string_equal(l.last, "+ joined uts:[4026531838] pid=601 start=6010 "
			    "comm=deeper match=weak");

	/* One cluster per user namespace, each closed. */
	f = lines_open(&l);
	assert_int_equal(diff_dot_write(f, &h), 0);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(l.clusters, DEEP + 1);
	assert_int_equal(l.closes, DEEP + 1 + 2);  /* + the legend, the graph */
	assert_true(l.longest < 1000);  /* the note of six list lines */
	assert_string_equal(l.last, "}");

	diff_hier_release(&h);
	free(va.lines);
	free(vb.lines);
	diff_release(&d);
	free(chain);
	world_free(&a);
	world_free(&b);
}

/*
 * The same through the public printers, which build the views themselves:
 * as deep as the kernel nests user namespaces, drawn in full; deeper,
 * refused by view_build()'s graph_check() with nothing written.
 */
#define DEEP_VIEW 2000u

static void deep_printers_at(uint32_t depth)
{
	uint32_t *chain = malloc((depth + 1) * sizeof(*chain)), net;
	bool legal = depth <= GRAPH_USER_NS_LEVELS;
	int want = legal ? 0 : -EBADMSG;
	struct world a, b;
	struct lines l;
	struct diff d;
	FILE *f;

	assert_non_null(chain);
	deep_case(&a, &b, depth, chain, &net);
	assert_int_equal(diff_graphs(a.g, b.g, NULL, &d), want);
	if (!legal)
		assert_int_equal(diff_compare(a.g, b.g, NULL, &d), 0);
	f = lines_open(&l);
	assert_int_equal(diff_print_tree(f, &d, &verbose_po), want);
	assert_int_equal(fclose(f), 0);
	assert_true(legal ? l.n > depth : l.n == 0);
	f = lines_open(&l);
	assert_int_equal(diff_print_tree(f, &d, NULL), want);
	assert_int_equal(fclose(f), 0);
	assert_true(legal ? l.n > 3 : l.n == 0);
	assert_true(l.longest <= 2 + 4 * 64 + 8 + 80);
	f = lines_open(&l);
	assert_int_equal(diff_print_dot(f, &d, NULL), want);
	assert_int_equal(fclose(f), 0);
	if (legal) {
		assert_int_equal(l.clusters, depth + 1);
		assert_int_equal(l.closes, depth + 1 + 2);
		assert_string_equal(l.last, "}");
	} else {
		assert_int_equal(l.n, 0);
	}
	diff_release(&d);
	free(chain);
	world_free(&a);
	world_free(&b);
}

static void deep_printers(void **state)
{
	(void)state;
	deep_printers_at(GRAPH_USER_NS_LEVELS);
	deep_printers_at(DEEP_VIEW);
}

/* User namespaces 1 and 2 own each other; a process in 1 is joined by
 * another.  With and without IDs. */
static void owner_cycle(void **state)
{
	(void)state;
	for (int ids = 0; ids < 2; ids++) {
		struct world w[2];
		uint32_t links[NS_NTYPES];
		struct diff d;

		for (int i = 0; i < 2; i++) {
			uint32_t u1, u2;

			world_init(&w[i], ids, "boot1");
			u1 = ns_add(&w[i], NS_USER, 4026532701, 71, w[i].init[NS_USER]);
			u2 = ns_add(&w[i], NS_USER, 4026532702, 72, u1);
			w[i].g->ns[u1].owner = u2;
			w[i].g->ns[u1].parent = u2;
			links_of(&w[i], links);
			links[NS_USER] = u1;
			proc_add(&w[i], 700, 7000, "looped", links);
			if (i)
				proc_add(&w[i], 701, 7010, "joiner", links);
		}
		/* A loop the kernel cannot make: refused; the engine itself
		 * still ends on it. */
		assert_int_equal(diff_graphs(w[0].g, w[1].g, NULL, &d), -EBADMSG);
		assert_int_equal(diff_compare(w[0].g, w[1].g, NULL, &d), 0);
		assert_int_equal(d.nmatched, NS_NTYPES + 2);
		char *text = print_with(diff_print_list, &d, NULL);
		assert_non_null(strstr(text, ids
			? "joined user:[4026532701] pid=701 start=7010 comm=joiner\n"
			: "joined user:[4026532701] pid=701 start=7010 comm=joiner match=weak\n"));
		free(text);
		diff_release(&d);
		world_free(&w[0]);
		world_free(&w[1]);
	}
}

/* ---- the story: zombies, the report, workloads, copies, pictures ----- */

/* What --format=list says of A -> B (NULL opts: defaults). */
static char *list_of(const struct world *a, const struct world *b,
		     const struct diff_opts *o, const struct diff_print_opts *po)
{
	struct diff d;
	char *text;

	assert_int_equal(diff_graphs(a->g, b->g, o, &d), 0);
	text = print_with(diff_print_list, &d, po);
	diff_release(&d);
	return text;
}

static char *tree_of(const struct world *a, const struct world *b,
		     const struct diff_opts *o, const struct diff_print_opts *po)
{
	struct diff d;
	char *text;

	assert_int_equal(diff_graphs(a->g, b->g, o, &d), 0);
	text = print_with(diff_print_tree, &d, po);
	diff_release(&d);
	return text;
}

static struct graph_proc *find_proc(struct world *w, int32_t pid)
{
	for (size_t i = 0; i < w->g->nprocs; i++)
		if (w->g->procs[i].pid == pid)
			return &w->g->procs[i];
	fail();
	return NULL;
}

#define LEFT_ALL(pid, start, comm) \
	"left cgroup:[4026531835] pid=" pid " start=" start " comm=" comm "\n" \
	"left ipc:[4026531839] pid=" pid " start=" start " comm=" comm "\n" \
	"left mnt:[4026531841] pid=" pid " start=" start " comm=" comm "\n" \
	"left net:[4026531840] pid=" pid " start=" start " comm=" comm "\n" \
	"left pid:[4026531836] pid=" pid " start=" start " comm=" comm "\n" \
	"left time:[4026531834] pid=" pid " start=" start " comm=" comm "\n" \
	"left user:[4026531837] pid=" pid " start=" start " comm=" comm "\n" \
	"left uts:[4026531838] pid=" pid " start=" start " comm=" comm "\n"

/*
 * A zombie's links read ENOENT; a process read while it exited has links
 * that read ENOENT or ESRCH, no comm and no start time.  Either has left
 * all its namespaces in the snapshot where that shows, with the comm and
 * start time the snapshot before recorded; the next snapshot, where it is
 * gone, says nothing more.
 */
static void zombie_and_vanished(void **state)
{
	static const int errs[][2] = { { ENOENT, ENOENT }, { ENOENT, ESRCH } };

	(void)state;
	/* 0: a zombie; 1, 2: vanished; 3: a zombie a capture did not mark,
	 * known by its links (those of its PID and user namespaces read). */
	for (int k = 0; k < 4; k++) {
		struct world a, b, c;
		struct graph_proc *p;

		world_init(&a, true, "boot1");
		world_init(&b, true, "boot1");
		world_init(&c, true, "boot1");
		c.g->nprocs = 1;   /* 100 reaped */
		p = find_proc(&b, 100);
		if (k == 0) {
			p->flags |= GRAPH_PROC_ZOMBIE;
		} else if (k < 3) {
			p->comm = NULL;
			p->start_time = 0;
		}
		for (unsigned t = 0; t < NS_NTYPES; t++)
			if ((k != 0 && k != 3) || (t != NS_PID && t != NS_USER))
				gb_link_err(&p->links, t,
					    errs[k == 1 || k == 2 ? k - 1 : 0][t % 2]);
		char *text = list_of(&a, &b, NULL, NULL);
		expect_text(text, "ended pid=100 start=1000 comm=sleep\n"
			    LEFT_ALL("100", "1000", "sleep"));
		expect_text(list_of(&b, &c, NULL, NULL), "");
		expect_text(tree_of(&a, &b, NULL, NULL),
			"--- a 2023-11-14T22:13:20Z host=host1\n"
			"+++ b 2023-11-14T22:13:20Z host=host1\n"
			"summary: 1 process ended\n"
			"- 100 sleep (ended)\n");
		world_free(&a);
		world_free(&b);
		world_free(&c);
	}
}

/*
 * Six sleeps started among the host's namespaces, the last of them (PID 9)
 * in a new net and a new UTS namespace: the report names each process once
 * and PID 9 with its two namespaces; the list still says every change.
 */
static void six_sleeps(void **state)
{
	struct world a, b;
	uint32_t links[NS_NTYPES];

	(void)state;
	world_init(&a, true, "boot1");
	world_init(&b, true, "boot1");
	links_of(&b, links);
	for (int32_t pid = 4; pid <= 8; pid++)
		proc_add(&b, pid, 40 + (uint64_t)pid, "sleep", links);
	links[NS_NET] = ns_add(&b, NS_NET, 4026532300, 300, b.init[NS_USER]);
	links[NS_UTS] = ns_add(&b, NS_UTS, 4026532301, 301, b.init[NS_USER]);
	proc_add(&b, 9, 49, "sleep", links);
	find_proc(&b, 7)->cmdline = graph_strndup(b.g, "sleep\0" "3600", 10);
	find_proc(&b, 7)->cmdline_len = 10;
	expect_text(tree_of(&a, &b, NULL, &(struct diff_print_opts){
			.a_name = "1", .b_name = "2" }),
		"--- 1 2023-11-14T22:13:20Z host=host1\n"
		"+++ 2 2023-11-14T22:13:20Z host=host1\n"
		"summary: 6 processes started; 2 namespaces born (net, uts)\n"
		"+ net {4 4026532300}\n"
		"+ uts {4 4026532301}\n"
		"+ 4 sleep (started)\n"
		"+ 5 sleep (started)\n"
		"+ 6 sleep (started)\n"
		"+ 7 sleep 3600 (started)\n"
		"+ 8 sleep (started)\n"
		"+ 9 sleep (started) in net {4 4026532300}, uts {4 4026532301}\n");
	char *text = list_of(&a, &b, NULL, NULL);
	size_t lines = 0;
	for (const char *q = text; *q; q++)
		lines += *q == '\n';
	assert_int_equal(lines, 2 + 6 + 6 * NS_NTYPES);
	assert_non_null(strstr(text, "started pid=7 start=47 comm=sleep "
			       "cmdline=\"sleep 3600\"\n"));
	free(text);
	/* Everything, as the hierarchy shows it. */
	text = tree_of(&a, &b, NULL, &verbose_po);
	assert_non_null(strstr(text, "\n+             9 sleep (started)\n"));
	assert_non_null(strstr(text, "\n+     net {4 4026532300}\n"));
	free(text);
	world_free(&a);
	world_free(&b);
}

/* Workloads built by hand, in graph_check()'s (runtime, id) order. */
static uint32_t wl_add(struct world *w, const char *runtime, const char *id,
		       const char *name, unsigned kind)
{
	bool added;
	uint32_t i = graph_workload_add(w->g, dup(w->g, runtime), dup(w->g, id),
					&added);

	assert_true(i != GRAPH_NONE && added);
	w->g->workloads[i].kind = (uint8_t)kind;
	w->g->workloads[i].name = name ? dup(w->g, name) : NULL;
	return i;
}

static void wl_world(struct world *w)
{
	w->g->meta.collected = GRAPH_HAVE_EVERYTHING;
}

/*
 * A podman container started (its own net and UTS namespaces, a hostname,
 * a netns name), an ip-netns namespace, a systemd service ended: each
 * namespace line names its workload, the report groups by workload, the
 * list and JSON carry the same facts.
 */
static void workloads(void **state)
{
	static const char id[] = "0123456789abcdef0123456789abcdef";
	struct world a, b;
	uint32_t links[NS_NTYPES], svc, ctr, net, uts;
	struct graph_proc *p;

	(void)state;
	world_init(&a, true, "boot1");
	world_init(&b, true, "boot1");
	wl_world(&a);
	wl_world(&b);
	links_of(&a, links);
	svc = wl_add(&a, "systemd", "web.service", NULL, GRAPH_WL_SERVICE);
	links[NS_UTS] = ns_add(&a, NS_UTS, 4026532400, 400, a.init[NS_USER]);
	p = proc_add(&a, 150, 1500, "nginx", links);
	p->workload = svc;
	p->cmdline = graph_strndup(a.g, "nginx\0-g\0daemon off;", 21);
	p->cmdline_len = 21;

	ctr = wl_add(&b, "podman", id, "ux-db", GRAPH_WL_CONTAINER);
	links_of(&b, links);
	links[NS_NET] = net = ns_add(&b, NS_NET, 4026532500, 500, b.init[NS_USER]);
	links[NS_UTS] = uts = ns_add(&b, NS_UTS, 4026532501, 501, b.init[NS_USER]);
	b.g->ns[uts].hostname = dup(b.g, "db\x1b");
	gb_mount(b.g, b.init[NS_MNT], net, "/run/netns/blue");
	p = proc_add(&b, 300, 3000, "sleep", links);
	p->workload = ctr;
	p->cmdline = graph_strndup(b.g, "sleep\0" "1d", 8);
	p->cmdline_len = 8;
	p->flags |= GRAPH_PROC_CMDLINE_CUT;
	assert_int_equal(graph_check(b.g, NULL, 0), 0);

	const struct diff_opts o = { .deep_scan = true };
	expect_text(tree_of(&a, &b, &o, NULL),
		"--- a 2023-11-14T22:13:20Z host=host1\n"
		"+++ b 2023-11-14T22:13:20Z host=host1\n"
		"summary: 1 workload started, 1 ended; 1 process started, 1 ended; "
		"2 namespaces born (net, uts), 1 gone (uts); 1 pin changed\n"
		"workload podman container ux-db (0123456789ab):\n"
		"+     net {4 4026532500}  [workload=podman container ux-db "
		"(0123456789ab); netns=blue]\n"
		"+     uts {4 4026532501}  [workload=podman container ux-db "
		"(0123456789ab); hostname=db\\x1b]\n"
		"+     net {4 4026532500} pin: bind mount /run/netns/blue in mnt {4 4026531841}\n"
		"+     300 sleep 1d... (started) in net {4 4026532500}, uts {4 4026532501}\n"
		"workload systemd service (web.service):\n"
		"-     uts {4 4026532400}  [workload=systemd service (web.service)]\n"
		"-     150 nginx -g daemon off; (ended) was in uts {4 4026532400}\n");
	char *text = list_of(&a, &b, &(struct diff_opts){ .no_pids = false }, NULL);
	assert_non_null(strstr(text, "born net:[4026532500] id=500 owner=user:[4026531837] "
			       "workload=\"podman container ux-db (0123456789ab)\" netns=blue\n"));
	assert_non_null(strstr(text, "born uts:[4026532501] id=501 owner=user:[4026531837] "
			       "workload=\"podman container ux-db (0123456789ab)\" "
			       "hostname=\"db\\x1b\"\n"));
	assert_non_null(strstr(text, "started pid=300 start=3000 comm=sleep "
			       "cmdline=\"sleep 1d...\"\n"));
	assert_non_null(strstr(text, "ended pid=150 start=1500 comm=nginx "
			       "cmdline=\"nginx -g daemon off;\"\n"));
	free(text);

	struct diff d;
	assert_int_equal(diff_graphs(a.g, b.g, &o, &d), 0);
	text = print_with(diff_print_json, &d, NULL);
	assert_non_null(strstr(text, "\"workloads\": [{\"kind\": \"container\", "
			       "\"runtime\": \"podman\", \"id\": \"" "0123456789abcdef0123456789abcdef"
			       "\", \"name\": \"ux-db\", \"pod\": null}], \"workload\": "
			       "{\"kind\": \"container\""));
	assert_non_null(strstr(text, "\"nsid\": null, \"netns_names\": [\"blue\"]}"));
	assert_non_null(strstr(text, "\"hostname\": \"db\\u001b\", \"domainname\": null"));
	assert_non_null(strstr(text, "\"comm\": \"sleep\", \"cmdline\": [\"sleep\", \"1d\"], "
			       "\"cmdline_cut\": true, \"workload\": {\"kind\": \"container\""));
	free(text);
	/* DOT: the container's namespaces in a cluster of their own. */
	text = print_with(diff_print_dot, &d, NULL);
	assert_non_null(strstr(text, "label=\"podman container ux-db (0123456789ab)\";\n"));
	free(text);
	diff_release(&d);
	world_free(&a);
	world_free(&b);
}

/*
 * A bind-mount pin in 7 mount namespaces, because 6 copied the mount of
 * the first: one line.  A mount namespace that ends takes its copies with
 * it: no line of their own.  --verbose says every one.  A socket pin reads
 * like an fd pin.
 */
static void pin_copies(void **state)
{
	struct world a, b;
	uint32_t links[NS_NTYPES], mnt[7], pinned, gone_mnt, keep;
	const struct diff_opts o = { .deep_scan = true, .no_pids = true };

	(void)state;
	world_init(&a, true, "boot1");
	world_init(&b, true, "boot1");
	for (struct world *w = &a; w; w = w == &a ? &b : NULL) {
		links_of(w, links);
		keep = ns_add(w, NS_NET, 4026532600, 600, w->init[NS_USER]);
		mnt[0] = w->init[NS_MNT];
		for (int k = 1; k < 7; k++) {
			links[NS_MNT] = mnt[k] = ns_add(w, NS_MNT, 4026532610 + (uint64_t)k,
						       610 + (uint64_t)k, w->init[NS_USER]);
			proc_add(w, 600 + k, 6000 + (uint64_t)k, "ctr", links);
		}
		if (w == &a) {
			links[NS_MNT] = gone_mnt = ns_add(w, NS_MNT, 4026532620, 620,
							 w->init[NS_USER]);
			proc_add(w, 620, 6200, "old", links);
			gb_mount(w->g, mnt[0], keep, "/run/netns/keep");
			gb_mount(w->g, gone_mnt, keep, "/run/netns/keep");
		} else {
			pinned = ns_add(w, NS_NET, 4026532601, 601, w->init[NS_USER]);
			struct graph_proc *p = proc_add(w, 630, 6300, "holder", links);
			gb_fd(w->g, p, 5, keep);
			w->g->fds[w->g->nfds - 1].kind = GRAPH_FD_SOCKET;
			/* Mounts grouped by mount namespace, in graph order. */
			gb_mount(w->g, mnt[0], keep, "/run/netns/keep");
			gb_mount(w->g, mnt[0], pinned, "/run/netns/blue");
			for (int k = 1; k < 7; k++)
				gb_mount(w->g, mnt[k], pinned, "/run/netns/blue");
		}
	}
	assert_int_equal(graph_check(a.g, NULL, 0), 0);
	assert_int_equal(graph_check(b.g, NULL, 0), 0);
	char *text = list_of(&a, &b, &o, NULL);
	expect_text(text,
		"born net:[4026532601] id=601 owner=user:[4026531837]\n"
		"gone mnt:[4026532620] id=620 owner=user:[4026531837]\n"
		"pinned net:[4026532600] by=socket pid=630 start=6300 comm=holder fd=5\n"
		"pinned net:[4026532601] by=mount mntns=mnt:[4026531841] "
		"path=/run/netns/blue mntns_count=7\n");
	text = list_of(&a, &b, &o, &verbose_po);
	size_t pins = 0;
	for (const char *q = text; (q = strstr(q, "pinned net:[4026532601] by=mount")); q++)
		pins++;
	assert_int_equal(pins, 7);
	assert_non_null(strstr(text, "unpinned net:[4026532600] by=mount "
			       "mntns=mnt:[4026532620] path=/run/netns/keep\n"));
	free(text);
	expect_text(tree_of(&a, &b, &o, NULL),
		"--- a 2023-11-14T22:13:20Z host=host1\n"
		"+++ b 2023-11-14T22:13:20Z host=host1\n"
		"summary: 1 namespace born (net), 1 gone (mnt); 3 pins changed\n"
		"+ net {4 4026532601}\n"
		"- mnt {4 4026532620}\n"
		"+ net {4 4026532600} pin: socket fd 5 of 630 holder\n"
		"+ net {4 4026532601} pin: bind mount /run/netns/blue "
		"(in 7 mount namespaces)\n");
	world_free(&a);
	world_free(&b);
}

/*
 * 48 namespaces born in one user namespace (six containers of eight, each
 * its own workload) as Graphviz lays them out: not one row of boxes.
 */
static void dot_aspect(void **state)
{
	char path[] = "/tmp/test_diff.dot.XXXXXX", cmd[160], line[4096];
	struct world a, b;
	struct stat st;
	struct diff d;
	double w = 0, h = 0;

	(void)state;
	if (stat(DOT_PATH, &st) != 0 || !(st.st_mode & S_IXUSR)) {
		fprintf(stderr, "skip: %s not installed\n", DOT_PATH);
		skip();
	}
	world_init(&a, true, "boot1");
	world_init(&b, true, "boot1");
	wl_world(&b);
	for (int c = 0; c < 6; c++) {
		char wid[16];
		uint32_t links[NS_NTYPES];

		snprintf(wid, sizeof(wid), "c%d", c);
		uint32_t wl = wl_add(&b, "podman", wid, wid, GRAPH_WL_CONTAINER);
		for (unsigned t = 0; t < NS_NTYPES; t++)
			links[t] = t == NS_USER ? b.init[NS_USER]
				: ns_add(&b, t, 4026533000 + (uint64_t)c * 10 + t,
					 3000 + (uint64_t)c * 10 + t, b.init[NS_USER]);
		/* the user namespace too, but owned by the host's */
		links[NS_USER] = ns_add(&b, NS_USER, 4026533000 + (uint64_t)c * 10 + NS_USER,
					3000 + (uint64_t)c * 10 + NS_USER, b.init[NS_USER]);
		struct graph_proc *p = proc_add(&b, 700 + c, 7000 + (uint64_t)c, "sleep", links);
		p->workload = wl;
	}
	assert_int_equal(graph_workloads_sort(b.g), 0);
	assert_int_equal(diff_graphs(a.g, b.g, NULL, &d), 0);
	char *text = print_with(diff_print_dot, &d, NULL);
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	snprintf(cmd, sizeof(cmd), "%s -Tsvg %s", DOT_PATH, path);
	FILE *svg = popen(cmd, "r");
	assert_non_null(svg);
	while (fgets(line, sizeof(line), svg))
		if (!w && strncmp(line, "<svg width=\"", 12) == 0)
			sscanf(line, "<svg width=\"%lfpt\" height=\"%lfpt\"", &w, &h);
	assert_int_equal(pclose(svg), 0);
	remove(path);
	fprintf(stderr, "dot: %zu changes, %.0f x %.0f pt\n", d.nchanges, w, h);
	if (getenv("TEST_DIFF_DOT"))
		fputs(text, stderr);
	assert_true(w > 0 && h > 0);
	assert_true(w / h < 4.0 && h / w < 4.0);
	free(text);
	diff_release(&d);
	world_free(&a);
	world_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(unchanged),
		cmocka_unit_test(capturer_left_out),
		cmocka_unit_test(born_and_gone),
		cmocka_unit_test(replaced_by_id),
		cmocka_unit_test(replaced_without_ids),
		cmocka_unit_test(pid_reuse_and_moves),
		cmocka_unit_test(map_change),
		cmocka_unit_test(owner_change),
		cmocka_unit_test(pins),
		cmocka_unit_test(pins_nsshow_cannot_open),
		cmocka_unit_test(other_host_or_boot),
		cmocka_unit_test(threads),
		cmocka_unit_test(corrupt),
		cmocka_unit_test(format_list),
		cmocka_unit_test(format_hostile_text),
		cmocka_unit_test(format_json),
		cmocka_unit_test(format_json_members),
		cmocka_unit_test(format_tree),
		cmocka_unit_test(format_tree_replaced),
		cmocka_unit_test(format_dot),
		cmocka_unit_test(format_dot_nested),
		cmocka_unit_test(format_outside),
		cmocka_unit_test(format_dot_graphviz),
		cmocka_unit_test(events),
		cmocka_unit_test(history),
		cmocka_unit_test(deep_chain),
		cmocka_unit_test(deep_pictures),
		cmocka_unit_test(deep_printers),
		cmocka_unit_test(owner_cycle),
		cmocka_unit_test(zombie_and_vanished),
		cmocka_unit_test(six_sleeps),
		cmocka_unit_test(workloads),
		cmocka_unit_test(pin_copies),
		cmocka_unit_test(dot_aspect),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
