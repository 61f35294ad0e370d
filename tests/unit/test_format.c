/*
 * test_format.c — format_json() and format_dot() on hand-made graphs.
 *
 * Views come from view_build(), so the tests also show that view options
 * reach the data formats.  Expected texts are written by hand from the
 * schema in format.h.  Where a tool can judge the output, it does:
 * `python3 -m json.tool --indent 2` must parse the JSON and print it back
 * byte for byte (and decode hostile strings back to their bytes), and
 * `dot -Tsvg` must accept the DOT without a word on stderr.  Those checks
 * are left out when python3 or /usr/bin/dot is absent, which
 * test_python_present / test_dot_present then report as SKIPPED (a skip
 * inside a test would longjmp past its frees and upset LeakSanitizer).
 *
 * The "small" world (host world gb_host(g, 100): cgroup 100 ... user 106,
 * uts 107):
 *   user 206 (child of 106, creator 1000) owning net 203 (kernel ID 4100);
 *   net 303 whose owner is out of sight (the invisible ancestor's);
 *   PID 1 "init" in the host namespaces, NStgid "1";
 *   PID 42 "sh" in user 206 and net 203, NStgid "42\t1";
 *   PID 7 "p7" in net 303, no NStgid line.
 * Shown with --namespaces=net the tree is
 *   user {4 106} [1 7] / net {4 103} [1] / user {4 206} [42] /
 *   net {4 203} [42] / [invisible ancestor] / net {4 303} [7].
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>

#include "format.h"
#include "graphbuild.h"
#include "wlworld.h"

#ifndef DOT_PATH
#define DOT_PATH "/usr/bin/dot"
#endif

/* A graph holding what snapshots held before workloads existed: the
 * schema's tree part alone (the facts are tested on graphs of their own). */
static struct graph *v1_graph(void)
{
	struct graph *g = gb_new();

	g->meta.collected = GRAPH_HAVE_V1;
	return g;
}

struct small {
	struct graph *g;
	struct gb_set h;
	uint32_t u2, n2, n3;
};

static struct small small_world(void)
{
	struct small w;
	struct graph_proc *p;

	w.g = v1_graph();
	w.g->meta.hostname = graph_strdup(w.g, "h1");
	w.g->meta.kernel = graph_strdup(w.g, "6.1.0-13-amd64");
	w.g->meta.boot_id = graph_strdup(w.g, "b-1");
	w.g->meta.start_ns = 1700000000123456789;
	w.g->meta.end_ns = 1700000000173456789;
	w.h = gb_host(w.g, 100);
	w.g->ns[w.h.ns[NS_USER]].flags |= GRAPH_NS_HAS_ID;
	w.g->ns[w.h.ns[NS_USER]].kernel_id = 1;
	w.u2 = gb_ns(w.g, 206, NS_USER, w.h.ns[NS_USER]);
	gb_creator(w.g, w.u2, 1000);
	gb_maps(w.g, w.u2, "         0       1000          1\n",
		"         0       1000          1\n");
	w.n2 = gb_ns(w.g, 203, NS_NET, w.u2);
	w.g->ns[w.n2].flags |= GRAPH_NS_HAS_ID;
	w.g->ns[w.n2].kernel_id = 4100;
	w.n3 = gb_ns(w.g, 303, NS_NET, GB_OUT);

	struct gb_set s2 = w.h, s3 = w.h;
	s2.ns[NS_USER] = w.u2;
	s2.ns[NS_NET] = w.n2;
	s3.ns[NS_NET] = w.n3;
	p = gb_proc(w.g, 1, &w.h);
	p->comm = graph_strdup(w.g, "init");
	p->nstgid = graph_strdup(w.g, "1");
	p = gb_proc(w.g, 42, &s2);
	p->comm = graph_strdup(w.g, "sh");
	p->nstgid = graph_strdup(w.g, "42\t1");
	gb_proc(w.g, 7, &s3);
	return w;
}

static struct view_opts net_only(void)
{
	return (struct view_opts){ .show_types = NS_TYPE_BIT(NS_NET) };
}

static struct view build(const struct graph *g, const struct view_opts *vo)
{
	struct view v;

	assert_int_equal(view_build(g, vo, &v), 0);
	return v;
}

typedef int (*format_fn)(FILE *, const struct graph *, const struct view *,
			 const struct format_opts *);

/* FN's output as a string (free it); asserts it returned 0. */
static char *format_to_string(format_fn fn, const struct graph *g,
			      const struct view *v, const struct format_opts *o)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(fn(f, g, v, o), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static char *json_of(const struct graph *g, const struct view_opts *vo,
		     const struct format_opts *o)
{
	struct view v = build(g, vo);
	char *text = format_to_string(format_json, g, &v, o);

	view_release(&v);
	return text;
}

static char *dot_of(const struct graph *g, const struct view_opts *vo,
		    const struct format_opts *o)
{
	struct view v = build(g, vo);
	char *text = format_to_string(format_dot, g, &v, o);

	view_release(&v);
	return text;
}

static bool contains(const char *text, const char *want)
{
	if (text && strstr(text, want))
		return true;
	gb_dump(stderr, "wanted inside", want);
	gb_dump(stderr, "text", text);
	return false;
}

static size_t count(const char *text, const char *needle)
{
	size_t n = 0;

	for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* ---- running external judges ------------------------------------------ */

static bool have_python(void)
{
	return system("python3 -c '' >/dev/null 2>&1") == 0;
}

static bool have_dot(void)
{
	return access(DOT_PATH, X_OK) == 0;
}

/*
 * Run "CMD FILE" (stderr folded into stdout) with INPUT in a temporary
 * FILE; the output (free it) and the exit status in *status.
 */
static char *run_on(const char *cmd, const char *input, int *status)
{
	char path[] = "/tmp/test_format.XXXXXX";
	int fd = mkstemp(path);
	char *line = NULL, *out = NULL;
	size_t len = 0;
	FILE *o;

	assert_true(fd >= 0);
	FILE *in = fdopen(fd, "w");
	assert_non_null(in);
	assert_int_equal(fputs(input, in) < 0, 0);
	assert_int_equal(fclose(in), 0);

	assert_true(asprintf(&line, "%s %s 2>&1", cmd, path) > 0);
	FILE *p = popen(line, "r");
	assert_non_null(p);
	o = open_memstream(&out, &len);
	assert_non_null(o);
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
		fwrite(buf, 1, n, o);
	int st = pclose(p);
	fclose(o);
	unlink(path);
	free(line);
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	return out;
}

/* json.tool parses TEXT and prints exactly TEXT back (if python3 is here). */
static void assert_canonical_json(const char *text)
{
	int st;
	char *back;

	if (!have_python())
		return;
	back = run_on("python3 -m json.tool --indent 2", text, &st);
	assert_int_equal(st, 0);
	assert_true(gb_same(back, text));
	free(back);
}

/*
 * dot accepts TEXT silently; its SVG (free it) when WANT_SVG.  NULL and no
 * check without dot.
 */
static char *assert_dot_accepts(const char *text, bool want_svg)
{
	int st;
	char *out;

	if (!have_dot())
		return NULL;
	if (want_svg) {
		out = run_on(DOT_PATH " -Tsvg", text, &st);
		assert_int_equal(st, 0);
		assert_true(contains(out, "</svg>"));
		return out;
	}
	out = run_on(DOT_PATH " -Tsvg -o /dev/null", text, &st);
	if (st != 0 || *out)
		gb_dump(stderr, "dot said", out);
	assert_int_equal(st, 0);
	assert_string_equal(out, "");
	free(out);
	return NULL;
}

/* ---- JSON --------------------------------------------------------------- */

#define SNAPSHOT_H1 \
	"  \"snapshot\": {\n" \
	"    \"id\": null,\n" \
	"    \"label\": null,\n" \
	"    \"imported\": false,\n" \
	"    \"host\": \"h1\",\n" \
	"    \"kernel\": \"6.1.0-13-amd64\",\n" \
	"    \"boot_id\": \"b-1\",\n" \
	"    \"start\": \"2023-11-14T22:13:20.123456789Z\",\n" \
	"    \"end\": \"2023-11-14T22:13:20.173456789Z\",\n" \
	"    \"start_ns\": \"1700000000123456789\",\n" \
	"    \"end_ns\": \"1700000000173456789\"\n" \
	"  },\n"

static const char small_json[] =
	"{\n"
	"  \"format\": \"nsshow-view\",\n"
	"  \"version\": 2,\n"
	SNAPSHOT_H1
	"  \"messages\": [],\n"
	"  \"warnings\": [],\n"
	"  \"fatal\": null,\n"
	"  \"namespaces\": [\n"
	"    {\n"
	"      \"type\": \"user\",\n"
	"      \"dev\": \"4\",\n"
	"      \"ino\": \"106\",\n"
	"      \"depth\": 0,\n"
	"      \"under\": null,\n"
	"      \"id\": \"1\",\n"
	"      \"creator_uid\": 0,\n"
	"      \"uid_map\": \"0 0 4294967295\",\n"
	"      \"gid_map\": \"0 0 4294967295\",\n"
	"      \"uid_ranges\": [\n"
	"        {\n"
	"          \"inside\": 0,\n"
	"          \"outside\": 0,\n"
	"          \"count\": 4294967295\n"
	"        }\n"
	"      ],\n"
	"      \"gid_ranges\": [\n"
	"        {\n"
	"          \"inside\": 0,\n"
	"          \"outside\": 0,\n"
	"          \"count\": 4294967295\n"
	"        }\n"
	"      ],\n"
	"      \"members\": [\n"
	"        {\n"
	"          \"pid\": 1,\n"
	"          \"comm\": \"init\",\n"
	"          \"nstgid\": [\n"
	"            1\n"
	"          ]\n"
	"        },\n"
	"        {\n"
	"          \"pid\": 7,\n"
	"          \"comm\": \"p7\",\n"
	"          \"nstgid\": null\n"
	"        }\n"
	"      ]\n"
	"    },\n"
	"    {\n"
	"      \"type\": \"net\",\n"
	"      \"dev\": \"4\",\n"
	"      \"ino\": \"103\",\n"
	"      \"depth\": 1,\n"
	"      \"under\": 0,\n"
	"      \"id\": null,\n"
	"      \"netns_names\": [],\n"
	"      \"members\": [\n"
	"        {\n"
	"          \"pid\": 1,\n"
	"          \"comm\": \"init\",\n"
	"          \"nstgid\": [\n"
	"            1\n"
	"          ]\n"
	"        }\n"
	"      ]\n"
	"    },\n"
	"    {\n"
	"      \"type\": \"user\",\n"
	"      \"dev\": \"4\",\n"
	"      \"ino\": \"206\",\n"
	"      \"depth\": 1,\n"
	"      \"under\": 0,\n"
	"      \"id\": null,\n"
	"      \"creator_uid\": 1000,\n"
	"      \"uid_map\": \"0 1000 1\",\n"
	"      \"gid_map\": \"0 1000 1\",\n"
	"      \"uid_ranges\": [\n"
	"        {\n"
	"          \"inside\": 0,\n"
	"          \"outside\": 1000,\n"
	"          \"count\": 1\n"
	"        }\n"
	"      ],\n"
	"      \"gid_ranges\": [\n"
	"        {\n"
	"          \"inside\": 0,\n"
	"          \"outside\": 1000,\n"
	"          \"count\": 1\n"
	"        }\n"
	"      ],\n"
	"      \"members\": [\n"
	"        {\n"
	"          \"pid\": 42,\n"
	"          \"comm\": \"sh\",\n"
	"          \"nstgid\": [\n"
	"            42,\n"
	"            1\n"
	"          ]\n"
	"        }\n"
	"      ]\n"
	"    },\n"
	"    {\n"
	"      \"type\": \"net\",\n"
	"      \"dev\": \"4\",\n"
	"      \"ino\": \"203\",\n"
	"      \"depth\": 2,\n"
	"      \"under\": 2,\n"
	"      \"id\": \"4100\",\n"
	"      \"netns_names\": [],\n"
	"      \"members\": [\n"
	"        {\n"
	"          \"pid\": 42,\n"
	"          \"comm\": \"sh\",\n"
	"          \"nstgid\": [\n"
	"            42,\n"
	"            1\n"
	"          ]\n"
	"        }\n"
	"      ]\n"
	"    },\n"
	"    {\n"
	"      \"type\": \"user\",\n"
	"      \"invisible\": true,\n"
	"      \"depth\": 0,\n"
	"      \"under\": null\n"
	"    },\n"
	"    {\n"
	"      \"type\": \"net\",\n"
	"      \"dev\": \"4\",\n"
	"      \"ino\": \"303\",\n"
	"      \"depth\": 1,\n"
	"      \"under\": 4,\n"
	"      \"id\": null,\n"
	"      \"netns_names\": [],\n"
	"      \"members\": [\n"
	"        {\n"
	"          \"pid\": 7,\n"
	"          \"comm\": \"p7\",\n"
	"          \"nstgid\": null\n"
	"        }\n"
	"      ]\n"
	"    }\n"
	"  ]\n"
	"}\n";

static void test_json_small(void **state)
{
	(void)state;
	struct small w = small_world();
	struct view_opts vo = net_only();
	char *got = json_of(w.g, &vo, NULL);

	assert_true(gb_same(got, small_json));
	assert_canonical_json(got);
	free(got);
	graph_free(w.g);
}

/* Comm and NStgid only when collected; no members at all with no_pids;
 * no maps in a PID-argument view, where the tree shows none either. */
static void test_json_optional_fields(void **state)
{
	(void)state;
	struct small w = small_world();
	struct view_opts vo = net_only();
	struct format_opts no_pids = { .no_pids = true };
	char *got;

	w.g->meta.collected &= ~(uint32_t)(GRAPH_HAVE_COMM | GRAPH_HAVE_NSTGID);
	got = json_of(w.g, &vo, NULL);
	assert_true(contains(got,
		"      \"members\": [\n"
		"        {\n"
		"          \"pid\": 42\n"
		"        }\n"
		"      ]\n"));
	assert_null(strstr(got, "\"comm\""));
	assert_null(strstr(got, "\"nstgid\""));
	free(got);

	w.g->meta.collected |= GRAPH_HAVE_COMM;
	got = json_of(w.g, &vo, &no_pids);
	assert_null(strstr(got, "\"members\""));
	assert_true(contains(got,
		"      \"gid_ranges\": [\n"
		"        {\n"
		"          \"inside\": 0,\n"
		"          \"outside\": 1000,\n"
		"          \"count\": 1\n"
		"        }\n"
		"      ]\n"
		"    },\n"));
	free(got);

	char arg[] = "42";
	char *args[] = { arg };
	vo.pids = args;
	vo.npids = 1;
	got = json_of(w.g, &vo, NULL);
	assert_null(strstr(got, "_map\""));
	assert_true(contains(got,
		"      \"creator_uid\": 1000,\n"
		"      \"members\": [\n"
		"        {\n"
		"          \"pid\": 42,\n"
		"          \"comm\": \"sh\"\n"));
	assert_canonical_json(got);
	free(got);
	graph_free(w.g);
}

/* A user namespace without members shows "deleted" maps in the tree: null
 * here; maps are normalized as in the tree; unknown creator is null. */
static void test_json_maps(void **state)
{
	(void)state;
	struct graph *g = v1_graph();
	struct gb_set h = gb_host(g, 100);
	uint32_t u2 = gb_ns(g, 206, NS_USER, h.ns[NS_USER]);
	struct view_opts vo = { .show_types = 0, .deep_scan = true };
	struct graph_proc *p;
	char *got;

	g->ns[u2].flags &= (uint8_t)~GRAPH_NS_HAS_CREATOR;
	gb_maps(g, h.ns[NS_USER], "\v 0\t\t0\r\n1 \f 2\v", "0 0 1\n1 100000 65536\n");
	/* u2 is only pinned by an fd: met, but without members. */
	p = gb_proc(g, 1, &h);
	gb_fd(g, p, 3, u2);
	got = json_of(g, &vo, NULL);
	assert_true(contains(got,
		"      \"creator_uid\": 0,\n"
		"      \"uid_map\": \"0 0 1 2\",\n"
		"      \"gid_map\": \"0 0 1 1 100000 65536\",\n"
		"      \"uid_ranges\": null,\n"
		"      \"gid_ranges\": [\n"
		"        {\n"
		"          \"inside\": 0,\n"
		"          \"outside\": 0,\n"
		"          \"count\": 1\n"
		"        },\n"
		"        {\n"
		"          \"inside\": 1,\n"
		"          \"outside\": 100000,\n"
		"          \"count\": 65536\n"
		"        }\n"
		"      ],\n"));
	assert_true(contains(got,
		"      \"ino\": \"206\",\n"
		"      \"depth\": 1,\n"
		"      \"under\": 0,\n"
		"      \"id\": null,\n"
		"      \"creator_uid\": null,\n"
		"      \"uid_map\": null,\n"
		"      \"gid_map\": null,\n"
		"      \"uid_ranges\": null,\n"
		"      \"gid_ranges\": null,\n"
		"      \"pins\": [\n"
		"        {\n"
		"          \"kind\": \"fd\",\n"
		"          \"pid\": 1,\n"
		"          \"fd\": 3\n"
		"        }\n"
		"      ],\n"
		"      \"members\": []\n"));
	assert_canonical_json(got);
	free(got);
	graph_free(g);
}

/*
 * Hostile strings: quotes, backslash, every control byte class, DEL,
 * invalid and valid UTF-8 (all bytes >= 0x80 escape, one per byte), in a
 * comm, the host name and an NStgid.  Python must decode each back to its
 * exact bytes (as Latin-1).
 */
#define HOSTILE "a\"b\\c\nd\re\tf\b\f\x01\x1f\x7f\x80\xff\xc3\xa9/</script>"
#define HOSTILE_JSON \
	"\"a\\\"b\\\\c\\nd\\re\\tf\\b\\f\\u0001\\u001f\\u007f\\u0080\\u00ff" \
	"\\u00c3\\u00a9/</script>\""

static void test_json_escaping(void **state)
{
	(void)state;
	struct graph *g = v1_graph();
	struct gb_set h = gb_host(g, 100);
	struct view_opts vo = { .show_types = 0 };
	struct graph_proc *p;
	char *got;

	g->meta.hostname = graph_strdup(g, HOSTILE);
	g->meta.kernel = NULL;
	p = gb_proc(g, 1, &h);
	p->comm = graph_strdup(g, HOSTILE);
	p->nstgid = graph_strdup(g, "\xfe\t1");
	got = json_of(g, &vo, NULL);
	assert_true(contains(got, "    \"host\": " HOSTILE_JSON ",\n"
				  "    \"kernel\": null,\n"));
	/* An NStgid that is not numbers has none to list. */
	assert_true(contains(got, "          \"comm\": " HOSTILE_JSON ",\n"
				  "          \"nstgid\": null\n"));
	for (const char *c = got; *c; c++)
		assert_true(*c == '\n' || (*c >= ' ' && *c < 0x7f));
	assert_canonical_json(got);

	/* The bytes come back. */
	int st;
	char *back = !have_python() ? NULL : run_on(
		"python3 -c 'import json,sys; d=json.load(open(sys.argv[1]));"
		" b=sys.stdout.buffer;"
		" b.write(d[\"snapshot\"][\"host\"].encode(\"latin-1\")+b\"|\");"
		" b.write(d[\"namespaces\"][0][\"members\"][0][\"comm\"].encode(\"latin-1\"))'",
		got, &st);
	if (back) {
		assert_int_equal(st, 0);
		assert_true(gb_same(back, HOSTILE "|" HOSTILE));
		free(back);
	}
	free(got);
	graph_free(g);
}

/*
 * Messages and warnings in order, as the view has them (their wording is
 * view.c's); a fatal view keeps them and has no tree.
 */
static void test_json_messages_and_fatal(void **state)
{
	(void)state;
	struct small w = small_world();
	struct view_opts vo = net_only();
	char *got, *want;
	struct graph_proc *p;
	struct gb_set s = w.h;

	/* PID 9 vanished half-way: its net link is gone, its uts unreadable. */
	p = gb_proc(w.g, 9, &s);
	gb_link_err(&p->links, NS_NET, ENOENT);
	gb_link_err(&p->links, NS_UTS, EACCES);
	struct view v = build(w.g, &vo);
	assert_int_equal(v.nmessages, 1);
	assert_int_equal(v.nwarnings, 1);
	got = format_to_string(format_json, w.g, &v, NULL);
	assert_true(asprintf(&want,
		"  \"messages\": [\n"
		"    \"%s\"\n"
		"  ],\n"
		"  \"warnings\": [\n"
		"    \"%s\"\n"
		"  ],\n"
		"  \"fatal\": null,\n", v.messages[0], v.warnings[0]) > 0);
	assert_true(contains(got, want));
	assert_true(contains(got, "/proc/9/ns/net"));
	assert_true(contains(got, "/proc/9/ns/uts"));
	free(want);
	free(got);
	view_release(&v);

	char a1[] = "42", a2[] = "\"x\\\n";
	char *args[] = { a1, a2 };
	vo.pids = args;
	vo.npids = 2;
	got = json_of(w.g, &vo, NULL);
	assert_true(contains(got,
		"  \"fatal\": \"Could not open /proc/\\\"x\\\\\\n/ns/cgroup: "
		"no such file or directory\",\n"
		"  \"namespaces\": []\n"
		"}\n"));
	assert_canonical_json(got);
	free(got);
	graph_free(w.g);
}

/* A view naming a namespace the graph lacks: refused, nothing written. */
static void test_bad_view(void **state)
{
	(void)state;
	struct graph *g = v1_graph();
	struct gb_set h = gb_host(g, 100);
	struct view_line l[] = {
		{ .ns = h.ns[NS_USER], .depth = 0 },
		{ .ns = (uint32_t)g->nns, .depth = 1 },
	};
	struct view v = { .lines = l, .nlines = 2 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(format_json(f, g, &v, NULL), -EINVAL);
	assert_int_equal(format_dot(f, g, &v, NULL), -EINVAL);
	fclose(f);
	assert_int_equal(len, 0);
	free(buf);
	graph_free(g);
}

static void test_write_error(void **state)
{
	(void)state;
	struct small w = small_world();
	struct view_opts vo = net_only();
	struct view v = build(w.g, &vo);
	FILE *full = fopen("/dev/full", "w");

	if (!full) {
		view_release(&v);
		graph_free(w.g);
		skip();
	}
	assert_true(format_json(full, w.g, &v, NULL) < 0);
	clearerr(full);
	assert_true(format_dot(full, w.g, &v, NULL) < 0);
	fclose(full);
	view_release(&v);
	graph_free(w.g);
}

/* ---- DOT ---------------------------------------------------------------- */

static const char small_dot[] =
	"digraph nsshow {\n"
	"  label=\"host: h1\\lkernel: 6.1.0-13-amd64\\l"
	"captured: 2023-11-14T22:13:20.123456789Z\\l\";\n"
	"  labelloc=t;\n"
	"  labeljust=l;\n"
	"  node [shape=box];\n"
	"  subgraph cluster_0 {\n"
	"    label=\"\";\n"
	"    n0 [label=\"user {4 106}\\lUID: 0\\lu: 0 0 4294967295\\l"
	"g: 0 0 4294967295\\l[ 1 7 ]\\l\", style=bold];\n"
	"    n1 [label=\"net {4 103}\\l[ 1 ]\\l\"];\n"
	"    subgraph cluster_2 {\n"
	"      label=\"\";\n"
	"      n2 [label=\"user {4 206}\\lUID: 1000\\lu: 0 1000 1\\l"
	"g: 0 1000 1\\l[ 42 ]\\l\", style=bold];\n"
	"      n3 [label=\"net {4 203}\\l[ 42 ]\\l\"];\n"
	"    }\n"
	"  }\n"
	"  subgraph cluster_4 {\n"
	"    label=\"\";\n"
	"    n4 [label=\"[invisible ancestor user NS]\\l\", style=dashed];\n"
	"    n5 [label=\"net {4 303}\\l[ 7 ]\\l\"];\n"
	"  }\n"
	"  n0 -> n1 [style=dashed];\n"
	"  n0 -> n2;\n"
	"  n2 -> n3 [style=dashed];\n"
	"  n4 -> n5 [style=dashed];\n"
	"}\n";

static void test_dot_small(void **state)
{
	(void)state;
	struct small w = small_world();
	struct view_opts vo = net_only();
	char *got = dot_of(w.g, &vo, NULL);

	assert_true(gb_same(got, small_dot));
	assert_dot_accepts(got, false);
	free(got);
	graph_free(w.g);
}

/*
 * Three levels of user namespaces, each owning a few namespaces, the
 * deepest holding 20 processes (truncated to 8 PIDs + "… (+12)"), plus the
 * invisible ancestor's net namespace; all types shown.
 */
static struct graph *nested_world(struct gb_set *h, uint32_t *u2,
				  uint32_t *u3, uint32_t *p2, uint32_t *p3)
{
	struct graph *g = v1_graph();
	struct gb_set s2, s3, s4;

	*h = gb_host(g, 100);
	s2 = *h;
	s3 = *h;
	*u2 = s2.ns[NS_USER] = gb_ns(g, 206, NS_USER, h->ns[NS_USER]);
	gb_maps(g, *u2, "0 1000 1\n", "0 1000 1\n");
	*p2 = s2.ns[NS_PID] = gb_ns(g, 204, NS_PID, *u2);
	gb_parent(g, *p2, h->ns[NS_PID]);
	s2.ns[NS_UTS] = gb_ns(g, 207, NS_UTS, *u2);
	*u3 = s3.ns[NS_USER] = gb_ns(g, 306, NS_USER, *u2);
	gb_maps(g, *u3, "0 100000 65536\n", "0 100000 65536\n");
	*p3 = s3.ns[NS_PID] = gb_ns(g, 304, NS_PID, *u3);
	gb_parent(g, *p3, *p2);
	s3.ns[NS_NET] = gb_ns(g, 303, NS_NET, *u3);
	s3.ns[NS_MNT] = gb_ns(g, 302, NS_MNT, *u3);
	s4 = *h;
	s4.ns[NS_NET] = gb_ns(g, 403, NS_NET, GB_OUT);

	gb_proc(g, 1, h);
	gb_proc(g, 2, &s2);
	for (int32_t pid = 100; pid < 120; pid++)
		gb_proc(g, pid, &s3);
	gb_proc(g, 500, &s4);
	return g;
}

static void test_dot_nested(void **state)
{
	(void)state;
	struct gb_set h;
	uint32_t u2, u3, p2, p3;
	struct graph *g = nested_world(&h, &u2, &u3, &p2, &p3);
	struct view_opts vo = { .show_types = NS_ALL_TYPES };
	char *got = dot_of(g, &vo, NULL);

	/* Clusters: host, u2 inside it, u3 inside u2, the invisible one. */
	assert_int_equal(count(got, "subgraph cluster_"), 4);
	assert_int_equal(count(got, "{\n"), count(got, "}\n"));
	assert_true(contains(got,
		"      subgraph cluster_"));
	assert_true(contains(got,
		"        n12 [label=\"pid {4 304}\\l"
		"[ 100 101 102 103 104 105 106 107 \xe2\x80\xa6 (+12) ]\\l\"];\n"));
	assert_true(contains(got, "[invisible ancestor user NS]"));
	free(got);

	/* A shorter cut, and no PIDs at all. */
	struct format_opts three = { .dot_max_pids = 3 };
	got = dot_of(g, &vo, &three);
	assert_true(contains(got, "[ 100 101 102 \xe2\x80\xa6 (+17) ]\\l"));
	free(got);
	struct format_opts no_pids = { .no_pids = true };
	got = dot_of(g, &vo, &no_pids);
	assert_null(strstr(got, "[ 1"));
	free(got);

	got = dot_of(g, &vo, NULL);
	char *svg = assert_dot_accepts(got, true);
	if (svg) {
		assert_true(contains(svg, "<title>cluster_"));
		assert_true(contains(svg, "(+12) ]"));
		free(svg);
	}
	assert_dot_accepts(got, false);
	free(got);
	graph_free(g);
}

/* --pidns: PID namespaces as plain nodes, parent edges, no clusters. */
static void test_dot_pidns(void **state)
{
	(void)state;
	struct gb_set h;
	uint32_t u2, u3, p2, p3;
	struct graph *g = nested_world(&h, &u2, &u3, &p2, &p3);
	struct view_opts vo = { .pidns = true, .show_types = NS_ALL_TYPES };
	char *got = dot_of(g, &vo, NULL);

	assert_null(strstr(got, "subgraph"));
	assert_true(contains(got,
		"  node [shape=box];\n"
		"  n0 [label=\"pid {4 104}\\l[ 1 500 ]\\l\"];\n"
		"  n1 [label=\"pid {4 204}\\l[ 2 ]\\l\"];\n"
		"  n2 [label=\"pid {4 304}\\l"
		"[ 100 101 102 103 104 105 106 107 \xe2\x80\xa6 (+12) ]\\l\"];\n"
		"  n0 -> n1;\n"
		"  n1 -> n2;\n"
		"}\n"));
	assert_dot_accepts(got, false);
	free(got);

	/* The same view as JSON: parents from depths. */
	got = json_of(g, &vo, NULL);
	assert_true(contains(got,
		"      \"ino\": \"304\",\n"
		"      \"depth\": 2,\n"
		"      \"under\": 1,\n"));
	assert_null(strstr(got, "creator_uid"));
	assert_canonical_json(got);
	free(got);
	graph_free(g);
}

/* nsdiff's hook: a fill color per namespace, asked with its graph index. */
struct colors {
	uint32_t born, changed;
	unsigned calls;
};

static const char *color_of(void *ctx, uint32_t ns)
{
	struct colors *c = ctx;

	c->calls++;
	assert_int_not_equal(ns, VIEW_INVISIBLE);
	if (ns == c->born)
		return "palegreen";
	if (ns == c->changed)
		return "#ffd0\"x\\"; /* hostile: must stay one quoted string */
	return NULL;
}

static void test_dot_colors(void **state)
{
	(void)state;
	struct small w = small_world();
	struct view_opts vo = net_only();
	struct colors c = { .born = w.n2, .changed = w.u2 };
	struct format_opts o = { .ns_color = color_of, .ns_color_ctx = &c };
	char *got = dot_of(w.g, &vo, &o);

	assert_int_equal(c.calls, 5); /* six lines, one invisible */
	assert_true(contains(got,
		"      n2 [label=\"user {4 206}\\lUID: 1000\\lu: 0 1000 1\\l"
		"g: 0 1000 1\\l[ 42 ]\\l\", style=\"bold,filled\", "
		"fillcolor=\"#ffd0\\\"x\\\\\\\\\"];\n"
		"      n3 [label=\"net {4 203}\\l[ 42 ]\\l\", style=filled, "
		"fillcolor=\"palegreen\"];\n"));
	assert_true(contains(got, "    n1 [label=\"net {4 103}\\l[ 1 ]\\l\"];\n"));
	/* Graphviz warns about the bad color but must parse the file. */
	if (have_dot()) {
		int st;
		char *out = run_on(DOT_PATH " -Tsvg -o /dev/null", got, &st);
		assert_int_equal(st, 0);
		assert_null(strstr(out, "syntax error"));
		free(out);
	}
	free(got);
	graph_free(w.g);
}

/*
 * Hostile text in labels (host name, maps, scan messages, the fatal
 * error): shown C-escaped, quoted for DOT, entities defused.  The SVG
 * must show exactly the escaped text.
 */
static void test_dot_escaping(void **state)
{
	(void)state;
	struct small w = small_world();
	struct view_opts vo = net_only();
	char *got;

	w.g->meta.hostname = graph_strdup(w.g, "h\"\\\n\x01\xff&lt;");
	w.g->ns[w.u2].uid_map = graph_strdup(w.g, "0 \"1\" \\n&amp;\xc3\xa9");
	got = dot_of(w.g, &vo, NULL);
	assert_true(contains(got,
		"  label=\"host: h\\\"\\\\\\\\\\\\x0a\\\\x01\\\\xff&amp;lt;\\l"));
	assert_true(contains(got,
		"\\lu: 0 \\\"1\\\" \\\\\\\\n&amp;amp;\\\\xc3\\\\xa9\\l"));
	char *svg = assert_dot_accepts(got, true);
	if (svg) {
		/* SVG text escapes '"' and '&' once more. */
		assert_true(contains(svg, "host: h&quot;\\\\\\x0a\\x01\\xff&amp;lt;<"));
		assert_true(contains(svg, "u: 0 &quot;1&quot; \\\\n&amp;amp;\\xc3\\xa9<"));
		free(svg);
	}
	assert_dot_accepts(got, false);
	free(got);

	/* A fatal view: no nodes, the error in the graph's label. */
	char a1[] = "4\"2\\";
	char *args[] = { a1 };
	vo.pids = args;
	vo.npids = 1;
	got = dot_of(w.g, &vo, NULL);
	assert_null(strstr(got, "n0"));
	assert_true(contains(got,
		"\\lCould not open /proc/4\\\"2\\\\\\\\/ns/cgroup: "
		"no such file or directory\\l\";\n"));
	assert_dot_accepts(got, false);
	free(got);
	graph_free(w.g);
}

/* Say so when the external judges are missing (see the top comment). */
/* ---- the workload facts (nsshow-view/2) ---------------------------------- */

/* TEXT parsed by jansson (free with json_decref); fails on an error. */
static json_t *parse(const char *text)
{
	json_error_t e;
	json_t *doc = json_loads(text, JSON_REJECT_DUPLICATES, &e);

	if (!doc)
		fprintf(stderr, "jansson: %s at line %d\n", e.text, e.line);
	assert_non_null(doc);
	return doc;
}

/* The namespace of DOC with inode INO (a string), or fail. */
static json_t *ns_by_ino(json_t *doc, const char *ino)
{
	size_t i;
	json_t *ns;

	json_array_foreach(json_object_get(doc, "namespaces"), i, ns) {
		const char *x = json_string_value(json_object_get(ns, "ino"));
		if (x && !strcmp(x, ino))
			return ns;
	}
	fail_msg("no namespace with inode %s", ino);
	return NULL;
}

/* The member PID of namespace NS, or fail. */
static json_t *member(json_t *ns, json_int_t pid)
{
	size_t i;
	json_t *m;

	json_array_foreach(json_object_get(ns, "members"), i, m)
		if (json_integer_value(json_object_get(m, "pid")) == pid)
			return m;
	fail_msg("no member %lld", (long long)pid);
	return NULL;
}

static const char *str_at(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	assert_true(json_is_string(v));
	return json_string_value(v);
}

static json_int_t int_at(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

/* JSON of the workload world as nsshow --snapshot would pass it. */
static char *wl_json(const struct graph *g, bool deep)
{
	struct view_opts vo = {
		.show_types = NS_ALL_TYPES, .workloads = true,
		.deep_scan = deep, .socket_pins = deep,
	};
	struct format_snapshot snap = { .id = 17, .label = "before-deploy" };
	struct format_opts fo = { .snapshot = &snap };

	return json_of(g, &vo, &fo);
}

/* Every fact of the schema, read back by a JSON parser. */
static void test_json_workloads(void **state)
{
	(void)state;
	struct graph *g = wl_world("ux-db", "db1");
	char *text = wl_json(g, true);
	json_t *doc = parse(text), *ns, *x;

	assert_int_equal(int_at(doc, "version"), 2);
	x = json_object_get(doc, "snapshot");
	assert_int_equal(int_at(x, "id"), 17);
	assert_string_equal(str_at(x, "label"), "before-deploy");
	assert_true(json_is_false(json_object_get(x, "imported")));

	/* The container's network namespace: its owner, names, interfaces,
	 * the bind mount that pins it; "under" is the line it hangs under. */
	ns = ns_by_ino(doc, "203");
	x = json_object_get(ns, "workload");
	assert_string_equal(str_at(x, "kind"), "container");
	assert_string_equal(str_at(x, "runtime"), "podman");
	assert_string_equal(str_at(x, "id"), "0123456789abcdef0123");
	assert_string_equal(str_at(x, "name"), "ux-db");
	assert_true(json_is_null(json_object_get(x, "pod")));
	assert_int_equal(json_array_size(json_object_get(ns, "workloads")), 1);
	assert_true(json_equal(json_array_get(json_object_get(ns, "workloads"), 0), x));
	x = json_array_get(json_object_get(doc, "namespaces"),
			   (size_t)int_at(ns, "under"));
	assert_string_equal(str_at(x, "ino"), "106");
	assert_int_equal(json_array_size(json_object_get(ns, "netns_names")), 1);
	assert_string_equal(json_string_value(json_array_get(
		json_object_get(ns, "netns_names"), 0)), "blue");
	assert_int_equal(int_at(ns, "nsid"), 3);
	x = json_array_get(json_object_get(ns, "interfaces"), 1);
	assert_int_equal(int_at(x, "ifindex"), 2);
	assert_string_equal(str_at(x, "name"), "eth0");
	assert_string_equal(str_at(x, "operstate"), "UP");
	assert_string_equal(str_at(x, "mac"), "aa:bb:cc:dd:ee:ff");
	assert_string_equal(json_string_value(json_array_get(
		json_object_get(x, "flags"), 0)), "UP");
	assert_string_equal(json_string_value(json_array_get(
		json_object_get(x, "flags"), 1)), "BROADCAST");
	assert_int_equal(json_array_size(json_object_get(x, "addrs")), 2);
	assert_string_equal(json_string_value(json_array_get(
		json_object_get(x, "addrs"), 1)), "fe80::1/64");
	x = json_array_get(json_object_get(ns, "pins"), 0);
	assert_string_equal(str_at(x, "kind"), "mount");
	assert_string_equal(str_at(x, "path"), "/run/netns/blue");
	assert_string_equal(str_at(x, "mntns_ino"), "102");

	/* Its member: who and what. */
	x = member(ns, 20);
	assert_int_equal(json_array_size(json_object_get(x, "cmdline")), 2);
	assert_string_equal(json_string_value(json_array_get(
		json_object_get(x, "cmdline"), 1)), "1000");
	assert_null(json_object_get(x, "cmdline_cut"));
	assert_string_equal(str_at(x, "exe"), "/usr/bin/sleep");
	assert_string_equal(str_at(json_object_get(x, "workload"), "name"), "ux-db");
	assert_int_equal(int_at(x, "euid"), 0);
	assert_string_equal(str_at(x, "cap_eff"), "00000000a80425fb");
	assert_true(json_is_true(json_object_get(x, "no_new_privs")));
	assert_string_equal(str_at(x, "seccomp"), "filter");
	assert_true(json_is_null(json_object_get(x, "loginuid")));
	assert_int_equal(json_array_size(json_object_get(x, "nstgid")), 2);
	assert_int_equal(json_integer_value(json_array_get(
		json_object_get(x, "nstgid"), 0)), 20);

	/* Host names, setgroups, time offsets; a socket-only namespace and
	 * its pin; a namespace of several workloads owned by none. */
	assert_string_equal(str_at(ns_by_ino(doc, "207"), "hostname"), "db1");
	assert_string_equal(str_at(ns_by_ino(doc, "107"), "domainname"), "(none)");
	assert_string_equal(str_at(ns_by_ino(doc, "206"), "setgroups"), "deny");
	assert_true(json_is_null(json_object_get(ns_by_ino(doc, "106"), "setgroups")));
	assert_string_equal(str_at(ns_by_ino(doc, "105"), "timens_offsets"),
			    "monotonic 0 0\nboottime 0 0\n");
	ns = ns_by_ino(doc, "303");
	assert_int_equal(json_array_size(json_object_get(ns, "members")), 0);
	x = json_array_get(json_object_get(ns, "pins"), 0);
	assert_string_equal(str_at(x, "kind"), "socket");
	assert_int_equal(int_at(x, "pid"), 10);
	assert_int_equal(int_at(x, "fd"), 5);
	assert_string_equal(str_at(json_object_get(ns, "workload"), "id"),
			    "ssh.service");
	ns = ns_by_ino(doc, "106");
	assert_true(json_is_null(json_object_get(ns, "workload")));
	assert_int_equal(json_array_size(json_object_get(ns, "workloads")), 2);
	x = json_array_get(json_object_get(ns, "uid_ranges"), 0);
	assert_int_equal(int_at(x, "count"), 4294967295);

	assert_canonical_json(text);
	json_decref(doc);
	free(text);

	/* Without --deep-scan, no pins; live, no id or label. */
	struct view_opts vo = { .show_types = NS_ALL_TYPES, .workloads = true };
	text = json_of(g, &vo, NULL);
	doc = parse(text);
	assert_null(json_object_get(ns_by_ino(doc, "203"), "pins"));
	x = json_object_get(doc, "snapshot");
	assert_true(json_is_null(json_object_get(x, "id")));
	assert_true(json_is_null(json_object_get(x, "label")));
	json_decref(doc);
	free(text);
	graph_free(g);
}

/* Hostile names decode to their bytes (each byte one code point), and
 * the text stays ASCII. */
static void test_json_workloads_hostile(void **state)
{
	(void)state;
	struct graph *g = wl_world("a\x1b[2Jb\"\\", "\x1b]0;pwn\x07\xff");
	static const char *const argv[] = { "x\r\n\xc3\xa9", NULL };
	char *text;
	json_t *doc;

	gb_cmdline(g, &g->procs[2], argv);
	g->procs[2].flags |= GRAPH_PROC_CMDLINE_CUT;
	text = wl_json(g, false);
	for (const char *c = text; *c; c++)
		assert_true(*c == '\n' || (*c >= ' ' && *c < 0x7f));
	doc = parse(text);
	assert_string_equal(str_at(json_object_get(ns_by_ino(doc, "203"),
						   "workload"), "name"),
			    "a\x1b[2Jb\"\\");
	/* \u00ff decodes to U+00FF, UTF-8 c3 bf. */
	assert_string_equal(str_at(ns_by_ino(doc, "207"), "hostname"),
			    "\x1b]0;pwn\x07\xc3\xbf");
	json_t *m = member(ns_by_ino(doc, "203"), 20);
	assert_string_equal(json_string_value(json_array_get(
		json_object_get(m, "cmdline"), 0)), "x\r\n\xc3\x83\xc2\xa9");
	assert_true(json_is_true(json_object_get(m, "cmdline_cut")));
	assert_canonical_json(text);
	json_decref(doc);
	free(text);
	graph_free(g);
}

/* A snapshot of the old format: none of the facts' keys, since none was
 * read (no key rather than a null that would say "not there"). */
static void test_json_v1_snapshot(void **state)
{
	(void)state;
	struct graph *g = wl_world("ux-db", "db1");
	char *text;

	g->meta.collected = GRAPH_HAVE_V1;
	text = wl_json(g, false);
	assert_null(strstr(text, "\"workload"));
	assert_null(strstr(text, "\"hostname\""));
	assert_null(strstr(text, "\"cmdline\""));
	assert_null(strstr(text, "\"interfaces\""));
	assert_non_null(strstr(text, "\"netns_names\": [\n")); /* bind mounts */
	free(text);
	graph_free(g);
}

/* DOT: a cluster per workload that owns namespaces, inside the cluster
 * of their user namespace, labelled escaped; Graphviz takes it. */
static void test_dot_workloads(void **state)
{
	(void)state;
	struct graph *g = wl_world("ux\x1b\"db", "db1");
	struct view_opts vo = { .show_types = NS_ALL_TYPES, .workloads = true };
	char *got = dot_of(g, &vo, NULL);

	assert_true(contains(got,
		"    subgraph cluster_w0_0 {\n"
		"      label=\"podman container ux\\\\x1b\\\"db (0123456789ab)\";"
		" style=dashed;\n"));
	/* ux-db's net and uts namespaces; ssh.service's are the host's net
	 * and uts namespaces (PID 1 has no workload, PID 30 none either). */
	assert_int_equal(count(got, "subgraph cluster_w0_0 {"), 2);
	assert_int_equal(count(got, "subgraph cluster_w1_0 {"), 2);
	assert_int_equal(count(got, "subgraph cluster_w"), 4);
	assert_true(contains(got, "uts {4 207}\\lhostname: db1\\l"));
	assert_true(contains(got, "net {4 203}\\lnetns: blue\\l"));
	assert_non_null(strstr(got, "n0 -> n"));
	assert_dot_accepts(got, false);
	free(got);

	/* --pidns: no user clusters, the workload's at the top. */
	vo.pidns = true;
	vo.show_types = NS_ALL_TYPES;
	got = dot_of(g, &vo, NULL);
	assert_int_equal(count(got, "subgraph cluster_"), 0);
	free(got);
	graph_free(g);
}

static void test_python_present(void **state)
{
	(void)state;
	if (!have_python()) {
		print_message("python3 missing: JSON is not checked by json.tool\n");
		skip();
	}
}

static void test_dot_present(void **state)
{
	(void)state;
	if (!have_dot()) {
		print_message(DOT_PATH " missing: DOT is not checked by dot -Tsvg\n");
		skip();
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_python_present),
		cmocka_unit_test(test_dot_present),
		cmocka_unit_test(test_json_small),
		cmocka_unit_test(test_json_optional_fields),
		cmocka_unit_test(test_json_maps),
		cmocka_unit_test(test_json_escaping),
		cmocka_unit_test(test_json_messages_and_fatal),
		cmocka_unit_test(test_bad_view),
		cmocka_unit_test(test_write_error),
		cmocka_unit_test(test_dot_small),
		cmocka_unit_test(test_dot_nested),
		cmocka_unit_test(test_dot_pidns),
		cmocka_unit_test(test_dot_colors),
		cmocka_unit_test(test_dot_escaping),
		cmocka_unit_test(test_json_workloads),
		cmocka_unit_test(test_json_workloads_hostile),
		cmocka_unit_test(test_json_v1_snapshot),
		cmocka_unit_test(test_dot_workloads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
