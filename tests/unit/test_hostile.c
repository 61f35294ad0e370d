/*
 * test_hostile.c — view, render and format facing graphs no kernel makes,
 * and process names meant for a terminal.
 *
 * A store or an export travels between machines and users, so a graph may
 * hold what capture never produces: owners or PID parents in a cycle,
 * chains 100,000 deep, indexes pointing anywhere.  The view must refuse
 * those (-EBADMSG) or give a bounded view, and render/format must refuse a
 * view that does not fit its graph (-EINVAL), writing nothing: no crash,
 * no endless loop, no recursion as deep as the graph, no write past a
 * buffer (this runs under ASan and UBSan).
 *
 * Process names are anybody's to choose (prctl(PR_SET_NAME)): on a
 * terminal the tree shows their bytes escaped (render_opts.escape), into a
 * file or a pipe it writes them as they are, as the reference does.
 *
 * Host world (gb_host(g, 100)): cgroup 100 ... pid 104, user 106, uts 107.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "diff.h"
#include "diff_int.h"
#include "format.h"
#include "graphbuild.h"
#include "text.h"

#define DEEP 100000

static const struct render_opts plain = { .color = false, .width = 80 };

static struct view_opts default_opts(void)
{
	return (struct view_opts){ .show_types = NS_ALL_TYPES };
}

/* Owner (user view) of namespace NS: namespace UP, visible. */
static void set_owner(struct graph *g, uint32_t ns, uint32_t up)
{
	g->ns[ns].owner = up;
	g->ns[ns].owner_err = 0;
	if (g->ns[ns].type == NS_USER) {
		g->ns[ns].parent = up;
		g->ns[ns].parent_err = 0;
	}
}

/* What each printer says of V: 0 or -errno, and how many bytes it wrote. */
struct printed {
	int tree, json, dot;
	size_t tree_len, json_len, dot_len;
};

static int print_to_memory(int which, const struct graph *g,
			   const struct view *v, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	int rc;

	assert_non_null(f);
	if (which == 0)
		rc = render_tree(f, g, v, &plain);
	else if (which == 1)
		rc = format_json(f, g, v, NULL);
	else
		rc = format_dot(f, g, v, NULL);
	fclose(f);
	free(buf);
	return rc;
}

static struct printed print_all(const struct graph *g, const struct view *v)
{
	struct printed p;

	p.tree = print_to_memory(0, g, v, &p.tree_len);
	p.json = print_to_memory(1, g, v, &p.json_len);
	p.dot = print_to_memory(2, g, v, &p.dot_len);
	return p;
}

/* view_build of G under VO must fail with WANT and leave an empty view. */
static void expect_refused(const struct graph *g, const struct view_opts *vo,
			   int want)
{
	struct view v;

	assert_int_equal(view_build(g, vo, &v), want);
	assert_int_equal(v.nlines, 0);
	assert_null(v.lines);
	assert_null(v.messages);
	view_release(&v);
}

/* view_build of G under VO succeeds and every printer prints it. */
static inline void expect_printed(const struct graph *g, const struct view_opts *vo,
			   size_t min_lines)
{
	struct view v;

	assert_int_equal(view_build(g, vo, &v), 0);
	assert_true(v.nlines >= min_lines);
	struct printed p = print_all(g, &v);
	assert_int_equal(p.tree, 0);
	assert_int_equal(p.json, 0);
	assert_int_equal(p.dot, 0);
	assert_true(p.tree_len > 0 && p.json_len > 0 && p.dot_len > 0);
	view_release(&v);
}

/* ---- cycles ---------------------------------------------------------- */

/*
 * Issue 9, item 2: three user namespaces, 106 topmost, 206 and 306 each
 * other's owner, PID 2 in 206.  Once this looped in emit() and wrote past
 * the view's lines; now the cycle is found when PID 2's user namespace is
 * met, with or without --subtree.
 */
static struct graph *owner_cycle(void)
{
	struct graph *g = gb_new();
	struct gb_set h = gb_host(g, 100), s = h;
	uint32_t u2 = gb_ns(g, 206, NS_USER, h.ns[NS_USER]);
	uint32_t u3 = gb_ns(g, 306, NS_USER, u2);

	set_owner(g, u2, u3);
	s.ns[NS_USER] = u2;
	gb_proc(g, 1, &h);
	gb_proc(g, 2, &s);
	return g;
}

static void test_owner_cycle(void **state)
{
	(void)state;
	struct graph *g = owner_cycle();
	struct view_opts vo = default_opts();

	expect_refused(g, &vo, -EBADMSG);
	vo.subtree = "2";
	expect_refused(g, &vo, -EBADMSG);
	vo.subtree = "1";
	expect_refused(g, &vo, -EBADMSG);
	/* Only PID 1 asked for: the cycle is never met. */
	char *pids[] = { "1" };
	vo = default_opts();
	vo.pids = pids;
	vo.npids = 1;
	expect_refused(g, &vo, -EBADMSG); /* graph_check() */
	/* PID 2 asked for: met again. */
	pids[0] = "2";
	expect_refused(g, &vo, -EBADMSG);
	graph_free(g);
}

/* A namespace that owns itself is the shortest cycle. */
static void test_self_owner(void **state)
{
	(void)state;
	struct graph *g = gb_new();
	struct gb_set h = gb_host(g, 100);
	struct view_opts vo = default_opts();

	set_owner(g, h.ns[NS_NET], h.ns[NS_NET]);
	gb_proc(g, 1, &h);
	expect_refused(g, &vo, -EBADMSG);
	graph_free(g);
}

/*
 * PID namespaces 204 and 304 each other's parent, PID 2 in 204.  The PID
 * view refuses the graph; the user view does not follow PID parents, so it
 * shows the graph as it is.
 */
static void test_parent_cycle_pidns(void **state)
{
	(void)state;
	struct graph *g = gb_new();
	struct gb_set h = gb_host(g, 100), s = h;
	uint32_t p2 = gb_ns(g, 204, NS_PID, h.ns[NS_USER]);
	uint32_t p3 = gb_ns(g, 304, NS_PID, h.ns[NS_USER]);
	struct view_opts vo = default_opts();

	gb_parent(g, p2, p3);
	gb_parent(g, p3, p2);
	s.ns[NS_PID] = p2;
	gb_proc(g, 1, &h);
	gb_proc(g, 2, &s);

	vo.pidns = true;
	expect_refused(g, &vo, -EBADMSG);
	vo.subtree = "2";
	expect_refused(g, &vo, -EBADMSG);
	vo = default_opts();
	expect_refused(g, &vo, -EBADMSG); /* graph_check() */
	graph_free(g);
}

/* ---- depth ----------------------------------------------------------- */

/*
 * A chain of N user namespaces under the host's (inodes 1000...), PID 2
 * in the deepest one and the host's other namespaces.  Its lines run as
 * deep as N.
 */
static struct graph *user_chain(uint32_t n)
{
	struct graph *g = gb_new();
	struct gb_set h = gb_host(g, 100), s = h;
	uint32_t up = h.ns[NS_USER];

	for (uint32_t i = 0; i < n; i++)
		up = gb_ns(g, 1000 + i, NS_USER, up);
	s.ns[NS_USER] = up;
	gb_proc(g, 1, &h);
	gb_proc(g, 2, &s);
	return g;
}

/* The same with PID namespaces: PID 2 in the deepest of N (--pidns). */
static struct graph *pid_chain(uint32_t n)
{
	struct graph *g = gb_new();
	struct gb_set h = gb_host(g, 100), s = h;
	uint32_t up = h.ns[NS_PID];

	for (uint32_t i = 0; i < n; i++) {
		uint32_t p = gb_ns(g, 1000 + i, NS_PID, h.ns[NS_USER]);
		gb_parent(g, p, up);
		up = p;
	}
	s.ns[NS_PID] = up;
	gb_proc(g, 1, &h);
	gb_proc(g, 2, &s);
	return g;
}

/* A view of every namespace of G, one line per level: the view a deep
 * graph would give if view_build() did not refuse it.  Free with free(). */
static struct view deep_view(const struct graph *g)
{
	struct view v = { .nlines = g->nns };

	v.lines = calloc(g->nns, sizeof(*v.lines));
	assert_non_null(v.lines);
	for (size_t i = 0; i < g->nns; i++)
		v.lines[i] = (struct view_line){ .ns = (uint32_t)i,
						 .depth = (unsigned)i };
	return v;
}

/*
 * Issue 9, item 3: a 100,000-deep chain once overflowed the stack in
 * meet() and emit().  view_build() walks it without recursion and refuses
 * it; a view that deep, made by hand, every printer refuses before it
 * writes a byte (its text would grow with the square of the depth).
 */
static void test_deep_user_chain(void **state)
{
	(void)state;
	struct graph *g = user_chain(DEEP);
	struct view_opts vo = default_opts();

	expect_refused(g, &vo, -EBADMSG);
	vo.subtree = "2";   /* a root at the bottom: one line deep */
	expect_refused(g, &vo, -EBADMSG); /* graph_check() */
	vo.subtree = "1";
	expect_refused(g, &vo, -EBADMSG);
	vo = default_opts();
	char *pids[] = { "2" };
	vo.pids = pids;
	vo.npids = 1;
	expect_refused(g, &vo, -EBADMSG);

	struct view v = deep_view(g);
	struct printed p = print_all(g, &v);
	assert_int_equal(p.tree, -EINVAL);
	assert_int_equal(p.json, -EINVAL);
	assert_int_equal(p.dot, -EINVAL);
	assert_int_equal(p.tree_len + p.json_len + p.dot_len, 0);
	free(v.lines);
	graph_free(g);
}

static void test_deep_pid_chain(void **state)
{
	(void)state;
	struct graph *g = pid_chain(DEEP);
	struct view_opts vo = default_opts();

	vo.pidns = true;
	expect_refused(g, &vo, -EBADMSG);
	vo.subtree = "1";
	expect_refused(g, &vo, -EBADMSG);
	/* The user view does not follow PID parents: flat. */
	vo = default_opts();
	expect_refused(g, &vo, -EBADMSG); /* graph_check() */
	graph_free(g);
}

/*
 * The limit itself: a user namespace as deep as the kernel nests them is
 * shown, at its indent; one level more is refused.
 */
static void test_depth_limit(void **state)
{
	(void)state;
	struct graph *g = user_chain(GRAPH_USER_NS_LEVELS);
	struct view_opts vo = default_opts();
	struct view v;

	assert_int_equal(view_build(g, &vo, &v), 0);
	const struct view_line *last = &v.lines[v.nlines - 1];
	assert_int_equal(last->depth, GRAPH_USER_NS_LEVELS);
	assert_int_equal(g->ns[last->ns].key.ino, 1000 + GRAPH_USER_NS_LEVELS - 1);
	/* The text ends with the deepest line and PID 2 under it. */
	char *text = gb_render(g, &v, &plain);
	char want[2 * 4 * GRAPH_USER_NS_LEVELS + 128];
	snprintf(want, sizeof(want),
		 "%*suser {4 %d} <UID: 0;  u: deleted;   g: deleted>\n"
		 "%*s[ 2 ]\n", 4 * GRAPH_USER_NS_LEVELS, "", 1000 + GRAPH_USER_NS_LEVELS - 1,
		 4 * GRAPH_USER_NS_LEVELS + 8, "");
	assert_true(strlen(text) > strlen(want));
	assert_true(gb_same(text + strlen(text) - strlen(want), want));
	view_release(&v);
	free(text);
	graph_free(g);

	g = user_chain(GRAPH_USER_NS_LEVELS + 1);
	expect_refused(g, &vo, -EBADMSG);
	graph_free(g);
}

/*
 * nsdiff's tree and DOT hang their merged tree on two views: on a deep
 * chain or a cycle they once died with the view; now diff_graphs() refuses
 * such graphs, and the printers say -EBADMSG when handed them anyway.
 * The comparison itself walks owner chains with a stack of its own.
 */
static void expect_diff_refused(const struct graph *a, const struct graph *b,
				const struct diff_opts *o)
{
	struct diff_print_opts po = { .all = true };
	struct diff d;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	/* Refused up front by graph_check(); the engine behind it, given
	 * them anyway, ends, and so do the list and JSON printers. */
	assert_int_equal(diff_graphs(a, b, o, &d), -EBADMSG);
	assert_int_equal(diff_compare(a, b, o, &d), 0);
	assert_int_equal(diff_print_list(f, &d, &po), 0);
	assert_int_equal(diff_print_json(f, &d, &po), 0);
	assert_int_equal(diff_print_tree(f, &d, &po), -EBADMSG);
	assert_int_equal(diff_print_dot(f, &d, &po), -EBADMSG);
	diff_release(&d);
	fclose(f);
	free(buf);
}

static void test_diff_of_hostile_graphs(void **state)
{
	(void)state;
	struct graph *deep = user_chain(DEEP), *cycle = owner_cycle();
	struct graph *pids = pid_chain(DEEP), *host_only = gb_new();
	struct gb_set h = gb_host(host_only, 100);
	struct diff_opts o = { 0 };

	gb_proc(host_only, 1, &h);
	expect_diff_refused(deep, deep, &o);
	expect_diff_refused(host_only, deep, &o);
	expect_diff_refused(cycle, host_only, &o);
	o.pidns = true;
	expect_diff_refused(pids, pids, &o);
	graph_free(deep);
	graph_free(cycle);
	graph_free(pids);
	graph_free(host_only);
}

/* ---- indexes pointing anywhere --------------------------------------- */

/* The host world with PID 1, for a test to damage. */
static struct graph *host(struct gb_set *h)
{
	struct graph *g = gb_new();

	*h = gb_host(g, 100);
	gb_proc(g, 1, h);
	return g;
}

static void test_owner_out_of_range(void **state)
{
	(void)state;
	struct gb_set h;
	struct graph *g = host(&h);
	struct view_opts vo = default_opts();

	set_owner(g, h.ns[NS_NET], (uint32_t)g->nns + 7);
	expect_refused(g, &vo, -EBADMSG);
	/* The same as a PID parent, in the PID view. */
	set_owner(g, h.ns[NS_NET], h.ns[NS_USER]);
	gb_parent(g, h.ns[NS_PID], GRAPH_NONE - 1);
	vo.pidns = true;
	expect_refused(g, &vo, -EBADMSG);
	graph_free(g);
}

static void test_link_out_of_range(void **state)
{
	(void)state;
	struct gb_set h;
	struct graph *g = host(&h);
	struct view_opts vo = default_opts();

	g->procs[0].links.ns[NS_UTS] = (uint32_t)g->nns;
	expect_refused(g, &vo, -EBADMSG);
	char *pids[] = { "1" };
	vo.pids = pids;
	vo.npids = 1;
	expect_refused(g, &vo, -EBADMSG);
	graph_free(g);
}

/* --subtree reads its process's user link even when the scan reads no
 * user links (a kernel without them): it must look before it indexes. */
static void test_subtree_link_out_of_range(void **state)
{
	(void)state;
	struct gb_set h;
	struct graph *g = host(&h);
	struct view_opts vo = default_opts();

	g->meta.types_present &= ~NS_TYPE_BIT(NS_USER);
	g->procs[0].links.ns[NS_USER] = (uint32_t)g->nns + 1000;
	vo.subtree = "1";
	expect_refused(g, &vo, -EBADMSG);
	graph_free(g);
}

/* Pins: an fd, a *_for_children link and a bind mount naming no
 * namespace of the graph; a bind mount without a path. */
static void test_pins_out_of_range(void **state)
{
	(void)state;
	struct gb_set h;
	struct graph *g = gb_new();
	struct view_opts vo = default_opts();

	h = gb_host(g, 100);
	struct graph_proc *p = gb_proc(g, 1, &h);
	gb_fd(g, p, 3, (uint32_t)g->nns + 1);
	vo.deep_scan = true;
	expect_refused(g, &vo, -EBADMSG);
	g->fds[0].ns = h.ns[NS_NET];
	g->procs[0].links.pid_for_children = (uint32_t)g->nns;
	expect_refused(g, &vo, -EBADMSG);
	g->procs[0].links.pid_for_children = GRAPH_NONE;
	gb_mount(g, h.ns[NS_MNT], (uint32_t)g->nns + 2, "/run/netns/x");
	expect_refused(g, &vo, -EBADMSG);
	g->mounts[0].ns = h.ns[NS_NET];
	g->mounts[0].path = NULL;
	expect_printed(g, &vo, 8);
	graph_free(g);
}

/* Thread and fd slices past their arrays, a type past the last one. */
static void test_slices_and_types(void **state)
{
	(void)state;
	struct gb_set h;
	struct graph *g = host(&h);
	struct view_opts vo = default_opts();

	g->procs[0].ntasks = 5;
	vo.search_tasks = true;
	expect_refused(g, &vo, -EBADMSG);
	/* Looked up by a PID argument too (graph_task_find walks slices). */
	vo = default_opts();
	char *pids[] = { "1/task/1" };
	vo.pids = pids;
	vo.npids = 1;
	expect_refused(g, &vo, -EBADMSG);
	g->procs[0].ntasks = 0;
	g->procs[0].first_fd = UINT32_MAX;
	g->procs[0].nfds = 2;
	vo = default_opts();
	expect_refused(g, &vo, -EBADMSG);
	g->procs[0].first_fd = 0;
	g->procs[0].nfds = 0;
	g->ns[h.ns[NS_NET]].type = 200;
	expect_refused(g, &vo, -EBADMSG);
	graph_free(g);
}

/* A view from one graph printed with another (nsdiff holds two). */
static void test_view_of_another_graph(void **state)
{
	(void)state;
	struct graph *big = user_chain(8), *small = gb_new();
	struct view_opts vo = default_opts();
	struct view v;

	assert_int_equal(view_build(big, &vo, &v), 0);
	assert_int_equal(view_fits(big, &v), 0);
	assert_int_equal(view_fits(small, &v), -EINVAL);
	struct printed p = print_all(small, &v);
	assert_int_equal(p.tree, -EINVAL);
	assert_int_equal(p.json, -EINVAL);
	assert_int_equal(p.dot, -EINVAL);
	assert_int_equal(p.tree_len + p.json_len + p.dot_len, 0);
	view_release(&v);
	graph_free(big);
	graph_free(small);
}

/* ---- names meant for a terminal -------------------------------------- */

/* ESC (a screen clear), CR, LF, a backslash, a byte >= 0x80. */
#define EVIL "a\x1b[2Jb\rc\nd\\e\xff"
#define EVIL_ESCAPED "a\\x1b[2Jb\\x0dc\\x0ad\\\\e\\xff"

static char *term_data(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	text_term_data(f, s, strlen(s));
	fclose(f);
	return buf;
}

static void test_term_data(void **state)
{
	(void)state;
	static const struct { const char *in, *out; } cases[] = {
		{ "", "" },
		{ "sleep", "sleep" },
		{ EVIL, EVIL_ESCAPED },
		{ "\x01\x7f\x80\x9b", "\\x01\\x7f\\x80\\x9b" },
		{ "\t ~", "\\x09 ~" },
		/* A name spelled like an escape cannot pass for one. */
		{ "\\x1b", "\\\\x1b" },
		{ "\xc3\xa9", "\\xc3\\xa9" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = term_data(cases[i].in);
		assert_true(gb_same(got, cases[i].out));
		free(got);
	}
}

/* PID 5 named EVIL in the host world; NStgid with a tab and an ESC; the
 * host user namespace's map with an ESC inside. */
static struct graph *evil_world(void)
{
	struct graph *g = gb_new();
	struct gb_set h = gb_host(g, 100);
	struct graph_proc *p = gb_proc(g, 5, &h);

	p->comm = graph_strdup(g, EVIL);
	p->nstgid = graph_strdup(g, "5\t1\x1b]0;x\a");
	struct graph_task *t = gb_task(g, p, 5, &h);
	t->comm = graph_strdup(g, "t\x1b[H");
	gb_maps(g, h.ns[NS_USER], "0 0 1\x1b[31m", GB_INIT_MAP);
	return g;
}

static char *show(const struct graph *g, const struct view_opts *vo,
		  bool escape)
{
	struct render_opts ro = plain;
	int rc = -1;

	ro.show_comm = vo->show_comm;
	ro.all_pids = vo->all_pids;
	ro.escape = escape;
	char *text = gb_show(g, vo, &ro, &rc, NULL);
	assert_int_equal(rc, 0);
	return text;
}

/*
 * On a terminal the comm, the NStgid (its tabs kept) and the maps are
 * escaped; into a file or a pipe the tree is the reference's, raw.
 */
static void test_escape_on_terminal(void **state)
{
	(void)state;
	struct graph *g = evil_world();
	struct view_opts vo = default_opts();
	char *text;

	vo.show_types = NS_TYPE_BIT(NS_USER);
	vo.show_comm = true;
	text = show(g, &vo, true);
	assert_true(gb_same(text,
		"user {4 106} <UID: 0;  u: 0 0 1\\x1b[31m;   g: 0 0 4294967295>\n"
		"        5      " EVIL_ESCAPED "\n"));
	free(text);
	text = show(g, &vo, false);
	assert_true(gb_same(text,
		"user {4 106} <UID: 0;  u: 0 0 1\x1b[31m;   g: 0 0 4294967295>\n"
		"        5      " EVIL "\n"));
	free(text);

	/* Thread names with --search-tasks. */
	vo.search_tasks = true;
	text = show(g, &vo, true);
	assert_non_null(strstr(text, "        5      t\\x1b[H\n"));
	free(text);
	text = show(g, &vo, false);
	assert_non_null(strstr(text, "        5      t\x1b[H\n"));
	free(text);

	/* NStgid: the kernel's tab stays a tab. */
	vo = default_opts();
	vo.pidns = true;
	vo.all_pids = true;
	text = show(g, &vo, true);
	assert_true(gb_same(text,
		"pid {4 104}\n"
		"        { 5\t1\\x1b]0;x\\x07 }\n"));
	free(text);
	text = show(g, &vo, false);
	assert_true(gb_same(text,
		"pid {4 104}\n"
		"        { 5\t1\x1b]0;x\a }\n"));
	free(text);
	graph_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_owner_cycle),
		cmocka_unit_test(test_self_owner),
		cmocka_unit_test(test_parent_cycle_pidns),
		cmocka_unit_test(test_deep_user_chain),
		cmocka_unit_test(test_deep_pid_chain),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_diff_of_hostile_graphs),
		cmocka_unit_test(test_owner_out_of_range),
		cmocka_unit_test(test_link_out_of_range),
		cmocka_unit_test(test_subtree_link_out_of_range),
		cmocka_unit_test(test_pins_out_of_range),
		cmocka_unit_test(test_slices_and_types),
		cmocka_unit_test(test_view_of_another_graph),
		cmocka_unit_test(test_term_data),
		cmocka_unit_test(test_escape_on_terminal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
