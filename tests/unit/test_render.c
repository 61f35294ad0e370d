/*
 * test_render.c — render_tree() prints the reference's text byte for byte.
 *
 * Most tests hand render_tree() a view built by hand (lines, depths,
 * members), so that only the formatting is under test; a few go through
 * view_build() to check that member data reaches the renderer.  Expected
 * texts come from namespaces_of.go's display functions: displayNamespace()
 * (user lines: color, indent, text, newline, then the reset, which so opens
 * the next line), displayPIDsAsList() + wrapText() + colorEachLine(),
 * displayPIDsOnePerLine() and printAllPIDsFor().  The wrapping cases were
 * also checked against the reference's own wrapText/colorEachLine code.
 *
 * Host world (gb_host(g, 100)): cgroup 100, ipc 101, mnt 102, net 103,
 * pid 104, time 105, user 106, uts 107.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "graphbuild.h"
#include "wlworld.h"

#define UC GB_UC
#define PC GB_PC
#define N  GB_N

/* 8 and 56 spaces: TOT at depth 0, and at depth 12. */
#define SP8 "        "
#define SP56 SP8 SP8 SP8 SP8 SP8 SP8 SP8

struct fixture {
	struct graph *g;
	struct gb_set h;
	uint32_t u2;      /* user 206, creator 4294967295, child of 106 */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->g = gb_new();
	f->h = gb_host(f->g, 100);
	f->u2 = gb_ns(f->g, 206, NS_USER, f->h.ns[NS_USER]);
	gb_creator(f->g, f->u2, 4294967295u);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	graph_free(f->g);
	free(f);
	return 0;
}

static struct view_line line(uint32_t ns, unsigned depth,
			     struct view_member *m, size_t n)
{
	return (struct view_line){
		.ns = ns, .depth = depth, .members = m, .nmembers = n,
	};
}

static struct view one_view(struct view_line *lines, size_t n, bool maps)
{
	return (struct view){ .lines = lines, .nlines = n, .show_maps = maps };
}

#define EXPECT_RENDER(g, v, ro, want) do {                      \
		char *got_ = gb_render((g), (v), (ro));          \
		assert_true(gb_same(got_, (want)));              \
		free(got_);                                      \
	} while (0)

static void members_range(struct view_member *m, int32_t from, int32_t to)
{
	for (int32_t id = from; id <= to; id++)
		m[id - from] = (struct view_member){ .id = id };
}

/* ---- namespace lines and color -------------------------------------- */

/*
 * A user line is color + indent + text + "\n" + reset: the reset opens the
 * next line, and the output ends without a newline when a user line is
 * last.  PID lists: TOT + PID color + text + reset + "\n".  Non-user lines
 * are never colored.
 */
static void test_user_line_color(void **state)
{
	struct fixture *f = *state;
	struct view_member m1[] = { { .id = 1 } };
	struct view_member m12[] = { { .id = 1 }, { .id = 2 } };
	struct view_line l[] = {
		line(f->h.ns[NS_USER], 0, m1, 1),
		line(f->h.ns[NS_NET], 1, m12, 2),
		line(f->u2, 1, NULL, 0),
	};
	l[0].uid_map = l[0].gid_map = GB_INIT_MAP;
	struct view v = one_view(l, 3, true);
	struct render_opts color = { .color = true, .width = 80 };
	struct render_opts plain = { .color = false, .width = 80 };

	EXPECT_RENDER(f->g, &v, &color,
		UC "user {4 106} <UID: 0;  u: 0 0 4294967295;   g: 0 0 4294967295>\n" N
		"        " PC "[ 1 ]" N "\n"
		"    net {4 103}\n"
		"            " PC "[ 1 2 ]" N "\n"
		UC "    user {4 206} <UID: 4294967295;  u: deleted;   g: deleted>\n" N);
	EXPECT_RENDER(f->g, &v, &plain,
		"user {4 106} <UID: 0;  u: 0 0 4294967295;   g: 0 0 4294967295>\n"
		"        [ 1 ]\n"
		"    net {4 103}\n"
		"            [ 1 2 ]\n"
		"    user {4 206} <UID: 4294967295;  u: deleted;   g: deleted>\n");

	/* PID-argument mode: no maps. */
	v.show_maps = false;
	EXPECT_RENDER(f->g, &v, &color,
		UC "user {4 106} <UID: 0>\n" N
		"        " PC "[ 1 ]" N "\n"
		"    net {4 103}\n"
		"            " PC "[ 1 2 ]" N "\n"
		UC "    user {4 206} <UID: 4294967295>\n" N);
}

/* The invisible ancestor: column 0 whatever its depth field, colored as a
 * user line, its children at level 1; it has no members. */
static void test_invisible_line(void **state)
{
	struct fixture *f = *state;
	struct view_member m3[] = { { .id = 3 } };
	struct view_line l[] = {
		line(VIEW_INVISIBLE, 0, NULL, 0),
		line(f->h.ns[NS_CGROUP], 1, m3, 1),
		line(f->h.ns[NS_UTS], 1, NULL, 0),
	};
	struct view v = one_view(l, 3, true);
	struct render_opts color = { .color = true, .width = 80 };
	struct render_opts plain = { .color = false, .width = 80 };

	EXPECT_RENDER(f->g, &v, &color,
		UC "[invisible ancestor user NS]\n" N
		"    cgroup {4 100}\n"
		"            " PC "[ 3 ]" N "\n"
		"    uts {4 107}\n");
	EXPECT_RENDER(f->g, &v, &plain,
		"[invisible ancestor user NS]\n"
		"    cgroup {4 100}\n"
		"            [ 3 ]\n"
		"    uts {4 107}\n");
}

/* Maps: Go's strings.TrimSpace (which also trims \v) then \s+ -> " "
 * (\s has no \v).  An empty map stays empty; NULL is "deleted". */
static void test_map_text(void **state)
{
	struct fixture *f = *state;
	struct view_line l[] = { line(f->h.ns[NS_USER], 0, NULL, 0) };
	struct view v = one_view(l, 1, true);
	struct render_opts plain = { .color = false, .width = 80 };

	l[0].uid_map = "\v 0\t\t0\r\n1 \f 2\v";
	l[0].gid_map = "0\v0  1";
	EXPECT_RENDER(f->g, &v, &plain,
		"user {4 106} <UID: 0;  u: 0 0 1 2;   g: 0\v0 1>\n");
	l[0].uid_map = "  \n";
	l[0].gid_map = "";
	EXPECT_RENDER(f->g, &v, &plain, "user {4 106} <UID: 0;  u: ;   g: >\n");
	l[0].uid_map = "0 0 1\n1 100000 65536\n";
	l[0].gid_map = NULL;
	EXPECT_RENDER(f->g, &v, &plain,
		"user {4 106} <UID: 0;  u: 0 0 1 1 100000 65536;   g: deleted>\n");
}

/* Scan messages come first; a fatal error replaces the tree. */
static void test_messages_and_fatal(void **state)
{
	struct fixture *f = *state;
	char m1[] = "Could not open /proc/2/ns/net: Process 2 terminated while we were parsing?";
	char m2[] = "Could not open /proc/2/ns/uts: Process 2 terminated while we were parsing?";
	char fatal[] = "Error finding namespace subtree for PID9: no such file or directory";
	char *msgs[] = { m1, m2 };
	struct view_member m[] = { { .id = 1 } };
	struct view_line l[] = { line(f->h.ns[NS_NET], 0, m, 1) };
	struct view v = one_view(l, 1, true);
	struct render_opts plain = { .color = false, .width = 80 };

	v.messages = msgs;
	v.nmessages = 2;
	EXPECT_RENDER(f->g, &v, &plain,
		"Could not open /proc/2/ns/net: Process 2 terminated while we were parsing?\n"
		"Could not open /proc/2/ns/uts: Process 2 terminated while we were parsing?\n"
		"net {4 103}\n"
		"        [ 1 ]\n");
	v.fatal = fatal;
	v.status = 1;
	EXPECT_RENDER(f->g, &v, &plain,
		"Could not open /proc/2/ns/net: Process 2 terminated while we were parsing?\n"
		"Could not open /proc/2/ns/uts: Process 2 terminated while we were parsing?\n"
		"Error finding namespace subtree for PID9: no such file or directory\n");

	/* An empty view prints nothing. */
	struct view empty = { 0 };
	EXPECT_RENDER(f->g, &empty, &plain, "");
}

/* ---- PID lists ------------------------------------------------------ */

static void test_no_pids(void **state)
{
	struct fixture *f = *state;
	struct view_member m[] = { { .id = 1, .comm = "init" } };
	struct view_line l[] = {
		line(f->h.ns[NS_USER], 0, m, 1),
		line(f->h.ns[NS_PID], 1, m, 1),
	};
	struct view v = one_view(l, 2, false);
	struct render_opts ro = { .color = true, .no_pids = true, .width = 80 };

	EXPECT_RENDER(f->g, &v, &ro,
		UC "user {4 106} <UID: 0>\n" N
		"    pid {4 104}\n");
}

/*
 * Greedy wrap at W = width - TOT (at least 32): a word stays when
 * col + 1 + len == W, wraps when it would pass W; "[" and "]" are words.
 */
static void test_wrap_width_80(void **state)
{
	struct fixture *f = *state;
	struct view_member m[16];
	struct view_line l[] = { line(f->h.ns[NS_NET], 0, m, 0) };
	struct view v = one_view(l, 1, true);
	struct render_opts plain = { .color = false, .width = 80 };

	/* W = 72: "[ 100 1000 ... 1012 ]" is exactly 72 wide. */
	m[0] = (struct view_member){ .id = 100 };
	members_range(m + 1, 1000, 1012);
	l[0].nmembers = 14;
	EXPECT_RENDER(f->g, &v, &plain,
		"net {4 103}\n"
		"        [ 100 1000 1001 1002 1003 1004 1005 1006 1007 1008 1009 1010 1011 1012 ]\n");

	/* One column more: "]" alone on the next line. */
	members_range(m, 1000, 1013);
	l[0].nmembers = 14;
	EXPECT_RENDER(f->g, &v, &plain,
		"net {4 103}\n"
		"        [ 1000 1001 1002 1003 1004 1005 1006 1007 1008 1009 1010 1011 1012 1013\n"
		"        ]\n");

	members_range(m, 1000, 1014);
	l[0].nmembers = 15;
	EXPECT_RENDER(f->g, &v, &plain,
		"net {4 103}\n"
		"        [ 1000 1001 1002 1003 1004 1005 1006 1007 1008 1009 1010 1011 1012 1013\n"
		"        1014 ]\n");

	/* Colored per wrapped line, after the indent. */
	struct render_opts color = { .color = true, .width = 80 };
	EXPECT_RENDER(f->g, &v, &color,
		"net {4 103}\n"
		"        " PC "[ 1000 1001 1002 1003 1004 1005 1006 1007 1008 1009 1010 1011 1012 1013" N "\n"
		"        " PC "1014 ]" N "\n");

	/* A single member. */
	m[0] = (struct view_member){ .id = 2147483647 };
	l[0].nmembers = 1;
	EXPECT_RENDER(f->g, &v, &color,
		"net {4 103}\n"
		"        " PC "[ 2147483647 ]" N "\n");
}

static void test_wrap_narrow_and_minimum(void **state)
{
	struct fixture *f = *state;
	struct view_member m[16];
	struct view_line l[] = { line(f->h.ns[NS_NET], 0, m, 10) };
	struct view v = one_view(l, 1, true);
	struct render_opts ro = { .color = false, .width = 40 };
	const char *want =
		"net {4 103}\n"
		"        [ 100 101 102 103 104 105 106\n"
		"        107 108 109 ]\n";

	members_range(m, 100, 109);
	/* Width 40: W = 32. */
	EXPECT_RENDER(f->g, &v, &ro, want);
	/* Width 0 (a terminal that reports no size) and negative: W = 32. */
	ro.width = 0;
	EXPECT_RENDER(f->g, &v, &ro, want);
	ro.width = -1;
	EXPECT_RENDER(f->g, &v, &ro, want);
	ro.width = 0;
	ro.color = true;
	EXPECT_RENDER(f->g, &v, &ro,
		"net {4 103}\n"
		"        " PC "[ 100 101 102 103 104 105 106" N "\n"
		"        " PC "107 108 109 ]" N "\n");

	/* W = 32 exactly filled by a PID: it stays, "]" wraps. */
	ro = (struct render_opts){ .color = false, .width = 40 };
	m[0] = (struct view_member){ .id = 10 };
	members_range(m + 1, 100, 106);
	l[0].nmembers = 8;
	EXPECT_RENDER(f->g, &v, &ro,
		"net {4 103}\n"
		"        [ 10 100 101 102 103 104 105 106\n"
		"        ]\n");
	/* Width 41 (W = 33): "]" would end at 34 > 33 and still wraps;
	 * width 42 (W = 34): it ends at 34 == W and stays. */
	ro.width = 41;
	EXPECT_RENDER(f->g, &v, &ro,
		"net {4 103}\n"
		"        [ 10 100 101 102 103 104 105 106\n"
		"        ]\n");
	ro.width = 42;
	EXPECT_RENDER(f->g, &v, &ro,
		"net {4 103}\n"
		"        [ 10 100 101 102 103 104 105 106 ]\n");
}

/* Deep lines: W = width - (4*depth + 8), at least 32. */
static void test_wrap_deep_indentation(void **state)
{
	struct fixture *f = *state;
	struct view_member m[16];
	struct view_line l[] = { line(f->h.ns[NS_NET], 12, m, 10) };
	struct view v = one_view(l, 1, true);
	struct render_opts ro = { .color = false, .width = 80 };

	/* Depth 12: TOT 56, 80 - 56 = 24 -> 32. */
	members_range(m, 100, 109);
	EXPECT_RENDER(f->g, &v, &ro,
		SP8 SP8 SP8 SP8 SP8 SP8 "net {4 103}\n"
		SP56 "[ 100 101 102 103 104 105 106\n"
		SP56 "107 108 109 ]\n");

	/* Depth 6: TOT 32, W = 48. */
	l[0].depth = 6;
	members_range(m, 100, 115);
	l[0].nmembers = 16;
	EXPECT_RENDER(f->g, &v, &ro,
		SP8 SP8 SP8 "net {4 103}\n"
		SP8 SP8 SP8 SP8 "[ 100 101 102 103 104 105 106 107 108 109 110\n"
		SP8 SP8 SP8 SP8 "111 112 113 114 115 ]\n");

	/* Depth 1 under a user line, colored. */
	l[0].depth = 1;
	l[0].nmembers = 2;
	ro.color = true;
	EXPECT_RENDER(f->g, &v, &ro,
		"    net {4 103}\n"
		"            " PC "[ 100 101 ]" N "\n");
}

/* ---- one PID per line ----------------------------------------------- */

/* --show-comm: "%-5d" colored, two spaces, the comm and its newline;
 * an unreadable comm: "[can't open /proc/N/comm]" right after the PID. */
static void test_show_comm(void **state)
{
	struct fixture *f = *state;
	struct view_member m[] = {
		{ .id = 1, .comm = "systemd" },
		{ .id = 12345, .comm = "bash" },
		{ .id = 123456, .comm = NULL },
	};
	struct view_line l[] = { line(f->h.ns[NS_NET], 1, m, 3) };
	struct view v = one_view(l, 1, true);
	struct render_opts ro = { .color = true, .show_comm = true, .width = 80 };

	EXPECT_RENDER(f->g, &v, &ro,
		"    net {4 103}\n"
		"            " PC "1    " N "  systemd\n"
		"            " PC "12345" N "  bash\n"
		"            " PC "123456" N "[can't open /proc/123456/comm]\n");
	ro.color = false;
	EXPECT_RENDER(f->g, &v, &ro,
		"    net {4 103}\n"
		"            1      systemd\n"
		"            12345  bash\n"
		"            123456[can't open /proc/123456/comm]\n");
	/* One-per-line ignores the width. */
	ro.width = 0;
	EXPECT_RENDER(f->g, &v, &ro,
		"    net {4 103}\n"
		"            1      systemd\n"
		"            12345  bash\n"
		"            123456[can't open /proc/123456/comm]\n");
}

/* --all-pids: "{ NStgid }" colored (inner tabs kept), then a newline;
 * "[can't open /proc/N/status]" uncolored; nothing when no NStgid line. */
static void test_all_pids(void **state)
{
	struct fixture *f = *state;
	struct view_member m[] = {
		{ .id = 1, .nstgid = "1" },
		{ .id = 7, .nstgid = "7\t3\t1" },
		{ .id = 8, .status_err = ENOENT },
		{ .id = 9, .status_err = 0 },
	};
	struct view_line l[] = { line(f->h.ns[NS_PID], 0, m, 4) };
	struct view v = one_view(l, 1, false);
	struct render_opts ro = { .color = true, .all_pids = true, .width = 80 };

	EXPECT_RENDER(f->g, &v, &ro,
		"pid {4 104}\n"
		"        " PC "{ 1 }" N "\n"
		"        " PC "{ 7\t3\t1 }" N "\n"
		"        [can't open /proc/8/status]\n"
		"        \n");
	ro.color = false;
	EXPECT_RENDER(f->g, &v, &ro,
		"pid {4 104}\n"
		"        { 1 }\n"
		"        { 7\t3\t1 }\n"
		"        [can't open /proc/8/status]\n"
		"        \n");
}

/* --all-pids --show-comm: the status part, then "  comm\n" (or the comm
 * error right after it). */
static void test_all_pids_with_comm(void **state)
{
	struct fixture *f = *state;
	struct view_member m[] = {
		{ .id = 7, .nstgid = "7\t1", .comm = "bash" },
		{ .id = 8, .status_err = ENOENT, .comm = "sleep" },
		{ .id = 9, .comm = "x" },
		{ .id = 10, .status_err = ESRCH },
	};
	struct view_line l[] = { line(f->h.ns[NS_PID], 1, m, 4) };
	struct view v = one_view(l, 1, false);
	struct render_opts ro = {
		.color = true, .all_pids = true, .show_comm = true, .width = 80,
	};

	EXPECT_RENDER(f->g, &v, &ro,
		"    pid {4 104}\n"
		"            " PC "{ 7\t1 }" N "  bash\n"
		"            [can't open /proc/8/status]  sleep\n"
		"              x\n"
		"            [can't open /proc/10/status][can't open /proc/10/comm]\n");
}

/* ---- through view_build --------------------------------------------- */

/*
 * Member data flows from the graph: comm and NStgid of processes (PID
 * view, --all-pids --show-comm), sorted numerically.
 */
static void test_end_to_end_pidns_all_pids(void **state)
{
	(void)state;
	struct graph *g = gb_new();
	struct gb_set h = gb_host(g, 100), s2 = h;
	struct graph_proc *p;

	s2.ns[NS_PID] = gb_ns(g, 204, NS_PID, h.ns[NS_USER]);
	gb_parent(g, s2.ns[NS_PID], h.ns[NS_PID]);
	p = gb_proc(g, 20, &s2);
	p->nstgid = graph_strdup(g, "20\t1");
	p->comm = graph_strdup(g, "sh");
	p = gb_proc(g, 3, &h);
	p->status_err = EACCES;
	p->comm = NULL;
	p = gb_proc(g, 1, &h);
	p->nstgid = graph_strdup(g, "1");
	p->comm = graph_strdup(g, "init");

	struct view_opts vo = {
		.pidns = true, .all_pids = true, .show_comm = true,
		.show_types = NS_ALL_TYPES,
	};
	struct render_opts ro = {
		.color = true, .all_pids = true, .show_comm = true, .width = 80,
	};
	char *got = gb_show(g, &vo, &ro, NULL, NULL);
	assert_true(gb_same(got,
		"pid {4 104}\n"
		"        " PC "{ 1 }" N "  init\n"
		"        [can't open /proc/3/status][can't open /proc/3/comm]\n"
		"    pid {4 204}\n"
		"            " PC "{ 20\t1 }" N "  sh\n"));
	free(got);
	graph_free(g);
}

/* A whole small tree in color, user view with maps. */
static void test_end_to_end_color(void **state)
{
	(void)state;
	struct graph *g = gb_new();
	struct gb_set h = gb_host(g, 100), s5 = h;
	uint32_t u2 = gb_ns(g, 206, NS_USER, h.ns[NS_USER]);

	gb_creator(g, u2, 1000);
	gb_maps(g, u2, "         0       1000          1\n",
		"         0       1000          1\n");
	s5.ns[NS_USER] = u2;
	s5.ns[NS_UTS] = gb_ns(g, 207, NS_UTS, u2);
	gb_proc(g, 1, &h);
	gb_proc(g, 5, &s5);

	struct view_opts vo = { .show_types = NS_ALL_TYPES };
	struct render_opts ro = { .color = true, .width = 80 };
	char *got = gb_show(g, &vo, &ro, NULL, NULL);
	assert_true(gb_same(got,
		UC "user {4 106} <UID: 0;  u: 0 0 4294967295;   g: 0 0 4294967295>\n" N
		"        " PC "[ 1 ]" N "\n"
		"    cgroup {4 100}\n"
		"            " PC "[ 1 5 ]" N "\n"
		"    ipc {4 101}\n"
		"            " PC "[ 1 5 ]" N "\n"
		"    mnt {4 102}\n"
		"            " PC "[ 1 5 ]" N "\n"
		"    net {4 103}\n"
		"            " PC "[ 1 5 ]" N "\n"
		"    pid {4 104}\n"
		"            " PC "[ 1 5 ]" N "\n"
		"    time {4 105}\n"
		"            " PC "[ 1 5 ]" N "\n"
		"    uts {4 107}\n"
		"            " PC "[ 1 ]" N "\n"
		UC "    user {4 206} <UID: 1000;  u: 0 1000 1;   g: 0 1000 1>\n" N
		"            " PC "[ 5 ]" N "\n"
		"        uts {4 207}\n"
		"                " PC "[ 5 ]" N "\n"));
	free(got);

	/* --no-pids: the reset of the last user line ends the output. */
	vo.show_types = NS_TYPE_BIT(NS_USER);
	ro.no_pids = true;
	got = gb_show(g, &vo, &ro, NULL, NULL);
	assert_true(gb_same(got,
		UC "user {4 106} <UID: 0;  u: 0 0 4294967295;   g: 0 0 4294967295>\n" N
		UC "    user {4 206} <UID: 1000;  u: 0 1000 1;   g: 0 1000 1>\n" N));
	free(got);
	graph_free(g);
}

/* ---- --workloads and --cmdline ------------------------------------------ */

/* TEXT holds WANT; else both are dumped. */
static bool contains_text(const char *text, const char *want)
{
	if (text && strstr(text, want))
		return true;
	gb_dump(stderr, "wanted inside", want);
	gb_dump(stderr, "text", text);
	return false;
}

#define WL_HOST_USER \
	"user {4 106} <UID: 0;  u: 0 0 4294967295;   g: 0 0 4294967295>"
#define WL_POD "podman container ux-db (0123456789ab)"
#define WL_SSH "systemd service ssh.service (ssh.service)"

/* --workloads: the suffix of each line, keys in their order. */
static void test_workloads_annotations(void **state)
{
	(void)state;
	struct graph *g = wl_world("ux-db", "db1");
	struct view_opts vo = {
		.show_types = NS_TYPE_BIT(NS_NET) | NS_TYPE_BIT(NS_UTS),
		.workloads = true,
	};
	struct render_opts ro = { .width = 80, .no_pids = true };
	char *got = gb_show(g, &vo, &ro, NULL, NULL);

	assert_true(gb_same(got,
		WL_HOST_USER "  [workloads=2 " WL_POD ", " WL_SSH "]\n"
		"    net {4 103}  [workload=" WL_SSH "]\n"
		"    uts {4 107}  [workload=" WL_SSH "; hostname=host1]\n"
		"    net {4 203}  [workload=" WL_POD "; netns=blue; nsid=3; "
		"addrs=10.88.0.5/16,fe80::1/64]\n"
		"    uts {4 207}  [workload=" WL_POD "; hostname=db1]\n"
		"    user {4 206} <UID: 0;  u: 0 1000 1;   g: 0 1000 1>  "
		"[setgroups=deny]\n"));
	free(got);

	/* In color the suffix comes before the newline, and so before the
	 * reset of a user line. */
	ro.color = true;
	vo.show_types = 0;
	got = gb_show(g, &vo, &ro, NULL, NULL);
	assert_true(gb_same(got,
		UC WL_HOST_USER "  [workloads=2 " WL_POD ", " WL_SSH "]\n" N
		UC "    user {4 206} <UID: 0;  u: 0 1000 1;   g: 0 1000 1>  "
		"[setgroups=deny]\n" N));
	free(got);

	/* Without --workloads nothing changes: the reference's text. */
	vo.workloads = false;
	ro.color = false;
	vo.show_types = NS_TYPE_BIT(NS_UTS);
	got = gb_show(g, &vo, &ro, NULL, NULL);
	assert_true(gb_same(got,
		WL_HOST_USER "\n"
		"    uts {4 107}\n"
		"    uts {4 207}\n"
		"    user {4 206} <UID: 0;  u: 0 1000 1;   g: 0 1000 1>\n"));
	free(got);
	graph_free(g);
}

/* --deep-scan --workloads: a namespace only a socket holds is shown,
 * where the scan meets it, with its holder; --deep-scan alone keeps the
 * reference's tree, which cannot see it. */
static void test_workloads_socket_pin(void **state)
{
	(void)state;
	struct graph *g = wl_world("ux-db", "db1");
	struct view_opts vo = {
		.show_types = NS_TYPE_BIT(NS_NET), .deep_scan = true,
		.workloads = true, .socket_pins = true,
	};
	struct render_opts ro = { .width = 80, .no_pids = true };
	char *got = gb_show(g, &vo, &ro, NULL, NULL);

	assert_true(gb_same(got,
		WL_HOST_USER "  [workloads=2 " WL_POD ", " WL_SSH "]\n"
		"    net {4 103}  [workload=" WL_SSH "]\n"
		"    net {4 203}  [workload=" WL_POD "; netns=blue; nsid=3; "
		"addrs=10.88.0.5/16,fe80::1/64]\n"
		"    net {4 303}  [workload=" WL_SSH "; socket-pinned-by=10/5]\n"
		"    user {4 206} <UID: 0;  u: 0 1000 1;   g: 0 1000 1>  "
		"[setgroups=deny]\n"));
	free(got);

	vo.workloads = vo.socket_pins = false;
	got = gb_show(g, &vo, &ro, NULL, NULL);
	assert_true(gb_same(got,
		WL_HOST_USER "\n"
		"    net {4 103}\n"
		"    net {4 203}\n"
		"    user {4 206} <UID: 0;  u: 0 1000 1;   g: 0 1000 1>\n"));
	free(got);
	graph_free(g);
}

/* More than four addresses: the first four and a count; several
 * workloads: the first three and the count. */
static void test_workloads_limits(void **state)
{
	(void)state;
	struct graph *g = gb_new();
	struct gb_set h = gb_host(g, 100);
	struct view_opts vo = { .show_types = NS_TYPE_BIT(NS_NET),
				.workloads = true };
	struct render_opts ro = { .width = 80, .no_pids = true };
	char id[16];

	for (int i = 0; i < 5; i++) {
		snprintf(id, sizeof(id), "c%d", i);
		gb_workload(g, NULL, GRAPH_WL_CONTAINER, "docker", id, NULL);
	}
	gb_iface(g, h.ns[NS_NET], 1, "eth0", IFF_UP, 0, NULL,
		 "10.0.0.1/8 10.0.0.2/8 10.0.0.3/8");
	gb_iface(g, h.ns[NS_NET], 2, "eth1", IFF_UP, 0, NULL,
		 "10.0.0.4/8 10.0.0.5/8");
	for (int i = 0; i < 5; i++)
		gb_proc(g, 1 + i, &h)->workload = (uint32_t)i;
	char *got = gb_show(g, &vo, &ro, NULL, NULL);
	assert_true(gb_same(got,
		WL_HOST_USER "  [workloads=5 docker container (c0), docker "
		"container (c1), docker container (c2)]\n"
		"    net {4 103}  [workloads=5 docker container (c0), docker "
		"container (c1), docker container (c2); addrs=10.0.0.1/8,"
		"10.0.0.2/8,10.0.0.3/8,10.0.0.4/8,+1]\n"));
	free(got);
	graph_free(g);
}

/* --cmdline: the command line in place of the comm, "[comm]" without
 * one (as ps shows a kernel thread), "..." where capture cut it; neither
 * known: the reference's "can't open" form. */
static void test_cmdline(void **state)
{
	(void)state;
	struct graph *g = wl_world("ux-db", "db1");
	struct view_opts vo = { .show_types = NS_TYPE_BIT(NS_NET),
				.show_comm = true, .cmdline = true };
	struct render_opts ro = { .width = 80, .show_comm = true };
	char *got;

	g->procs[2].flags |= GRAPH_PROC_CMDLINE_CUT;
	g->procs[3].comm = NULL;
	got = gb_show(g, &vo, &ro, NULL, NULL);
	assert_true(gb_same(got,
		WL_HOST_USER "\n"
		"        1      [systemd]\n"
		"        10     sshd: /usr/sbin/sshd -D\n"
		"        20     sleep 1000...\n"
		"    net {4 103}\n"
		"            1      [systemd]\n"
		"            10     sshd: /usr/sbin/sshd -D\n"
		"            30   [can't open /proc/30/cmdline]\n"
		"    net {4 203}\n"
		"            20     sleep 1000...\n"
		"    user {4 206} <UID: 0;  u: 0 1000 1;   g: 0 1000 1>\n"
		"            30   [can't open /proc/30/cmdline]\n"));
	free(got);
	graph_free(g);
}

/* Names, host names and command lines never reach the output raw: not
 * on a terminal, not through a pipe (they have no reference output to
 * match). */
static void test_workloads_hostile(void **state)
{
	(void)state;
	struct graph *g = wl_world("a\x1b[2Jb\\", "\x1b]0;pwn\x07\xc3\xa9");
	struct view_opts vo = {
		.show_types = NS_TYPE_BIT(NS_UTS), .workloads = true,
		.show_comm = true, .cmdline = true,
	};
	struct render_opts ro = { .width = 80, .show_comm = true };
	static const char *const argv[] = { "x\r\ny", "\x1b[31m", NULL };

	gb_cmdline(g, &g->procs[2], argv);
	for (int escape = 0; escape < 2; escape++) {
		ro.escape = escape;
		char *got = gb_show(g, &vo, &ro, NULL, NULL);
		assert_true(contains_text(got,
			"    uts {4 207}  [workload=podman container "
			"a\\x1b[2Jb\\\\ (0123456789ab); "
			"hostname=\\x1b]0;pwn\\x07\\xc3\\xa9]\n"
			"            20     x\\x0d\\x0ay \\x1b[31m\n"));
		assert_null(strchr(got, '\x1b'));
		assert_null(strchr(got, '\r'));
		free(got);
	}
	graph_free(g);
}

/* A write error is reported. */
static void test_write_error(void **state)
{
	struct fixture *f = *state;
	struct view_line l[] = { line(f->h.ns[NS_NET], 0, NULL, 0) };
	struct view v = one_view(l, 1, true);
	struct render_opts ro = { .color = false, .width = 80 };
	FILE *full = fopen("/dev/full", "w");

	if (!full)
		skip();
	assert_true(render_tree(full, f->g, &v, &ro) < 0);
	fclose(full);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_user_line_color, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invisible_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_messages_and_fatal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_pids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrap_width_80, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrap_narrow_and_minimum, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrap_deep_indentation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_show_comm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_all_pids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_all_pids_with_comm, setup, teardown),
		cmocka_unit_test(test_end_to_end_pidns_all_pids),
		cmocka_unit_test(test_end_to_end_color),
		cmocka_unit_test(test_workloads_annotations),
		cmocka_unit_test(test_workloads_socket_pin),
		cmocka_unit_test(test_workloads_limits),
		cmocka_unit_test(test_cmdline),
		cmocka_unit_test(test_workloads_hostile),
		cmocka_unit_test_setup_teardown(test_write_error, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
