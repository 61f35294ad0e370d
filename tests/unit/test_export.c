/*
 * test_export.c — the JSON and NDJSON interchange format: exact round trips
 * of hand-made graphs (every field, NULL against "", odd layouts, hostile
 * strings) in both formats, and refusal of documents that were edited,
 * truncated, malformed or written by a newer version.
 *
 * Graphs are compared field for field by gb_same_graph (graphbuild.h),
 * where a field added to the model is added once for every test; a few
 * fields are also checked by hand.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>

#include "codec.h"
#include "custody.h"
#include "export.h"
#include "graph.h"
#include "graphbuild.h"
#include "store.h"
#include "tmpstore.h"

static const char *const fmt_name[] = { "json", "ndjson" };

/* ---- graphs ------------------------------------------------------------- */

/* Index of the namespaces below, for the tests that edit documents. */
enum { NS_CONT_USER = NS_NTYPES + NS_USER, NS_ODD = 2 * NS_NTYPES, NS_ODD2 };

/*
 * Every field set, most to an extreme: 64-bit maxima, negative errnos,
 * unknown flag bits, NULL next to "", forward references, a thread link
 * with both an index and an errno.
 */
static struct graph *full_graph(void)
{
	struct graph *g = graph_new();
	uint32_t init[NS_NTYPES], cont[NS_NTYPES], none[NS_NTYPES], odd, odd2;
	struct graph_proc *p;
	struct graph_task *t;
	struct graph_mount *m;

	assert_non_null(g);
	g->meta = (struct graph_meta){
		.start_ns = INT64_MIN,
		.end_ns = INT64_MAX,
		.hostname = graph_strdup(g, "host\twith \"tab\""),
		.kernel = graph_strdup(g, ""),
		.boot_id = NULL,
		.capturer_pid = -1,
		.collected = 0xffffffffu,
		.types_present = NS_ALL_TYPES & ~NS_TYPE_BIT(NS_TIME),
		.nsfs_dev = UINT64_MAX,
	};
	gb_sample_namespaces(g, init, cont, &odd, &odd2);
	assert_int_equal(cont[NS_USER], NS_CONT_USER);
	assert_int_equal(odd, NS_ODD);
	assert_int_equal(odd2, NS_ODD2);
	g->ns[odd].flags = 0;

	/* pid 1: three threads, one elsewhere, one with an odd link. */
	p = gb_sample_pid1(g, init, cont);

	/* A container process: NStgid with a tab, uid and start time max. */
	p = graph_proc_append(g, 4000);
	p->flags = GRAPH_PROC_LISTED;
	p->ppid = 1;
	p->uid = UINT32_MAX;
	p->start_time = UINT64_MAX;
	p->comm = graph_strdup(g, "sh \xff\xfe");
	p->nstgid = graph_strdup(g, "4000\t1");
	gb_links_own(&p->links, cont, 0);
	p->links.pid_for_children = init[NS_PID];
	p->task_err = 0;
	p->fd_err = EACCES;
	t = graph_task_append(g, 4000);
	t->comm = graph_strdup(g, "sh \xff\xfe");
	t->links = g->procs[1].links;
	g->procs[1].ntasks = 1;

	/* Unreadable: NULL comm, NULL nstgid with an error, links missing. */
	p = graph_proc_append(g, -7);
	p->ppid = -1;
	p->status_err = EACCES;
	for (unsigned ty = 0; ty < NS_NTYPES; ty++)
		none[ty] = GRAPH_NONE;
	gb_links_own(&p->links, none, ENOENT);
	p->task_err = ENOENT;

	/* No NStgid line at all, links blank, every flag bit. */
	p = graph_proc_append(g, INT32_MIN);
	p->flags = 0xffffffffu;
	p->comm = graph_strdup(g, "");
	p->status_err = 0;
	p->task_err = -1;
	p->fd_err = INT32_MIN;

	m = graph_mount_append(g);
	*m = (struct graph_mount){ .mntns = init[NS_MNT], .ns = cont[NS_NET],
				   .path = graph_strdup(g, "/run/netns/a") };
	m = graph_mount_append(g);
	*m = (struct graph_mount){ .mntns = init[NS_MNT], .ns = GRAPH_NONE,
				   .open_err = ENOENT,
				   .path = graph_strdup(g, "/run/netns/with\\040space") };
	m = graph_mount_append(g);
	*m = (struct graph_mount){ .mntns = cont[NS_MNT], .ns = cont[NS_USER],
				   .list_err = ENOENT, .path = NULL };
	m = graph_mount_append(g);
	*m = (struct graph_mount){ .mntns = GRAPH_NONE, .ns = GRAPH_NONE,
				   .open_err = EIO, .list_err = INT32_MIN,
				   .path = graph_strdup(g, "") };

	assert_int_equal(graph_gap_add(g, 123, 0, EACCES, "ns/net"), 0);
	assert_int_equal(graph_gap_add(g, 123, 124, ENOENT, "fd"), 0);
	assert_int_equal(graph_gap_add(g, INT32_MIN, INT32_MAX, -1, "x"), 0);
	g->gaps[2].what = NULL;
	gb_sample_facts(g, init, cont);
	return g;
}

/* Slices that are not back to back: threads out of process order, one
 * thread no process claims, two processes sharing an fd slice. */
static struct graph *layout_graph(void)
{
	struct graph *g = full_graph();

	g->procs[0].first_task = 1;
	g->procs[0].ntasks = 3;
	g->procs[1].first_task = 0;
	g->procs[1].ntasks = 1;
	g->procs[3].first_fd = 0;
	g->procs[3].nfds = 2;
	struct graph_task *t = graph_task_append(g, 99999);
	t->comm = graph_strdup(g, "orphan");
	return g;
}

/* A graph of one of everything: small enough to cut at every byte. */
static struct graph *small_graph(void)
{
	struct graph *g = graph_new();
	uint32_t u, n;

	assert_non_null(g);
	g->meta.start_ns = 1700000000123456789;
	g->meta.end_ns = 1700000000223456789;
	g->meta.hostname = graph_strdup(g, "h\xff");
	g->meta.collected = GRAPH_HAVE_EVERYTHING;
	g->meta.types_present = NS_ALL_TYPES;
	u = gb_ns_at(g, 4, 100, NS_USER);
	n = gb_ns_at(g, 4, 101, NS_NET);
	g->ns[n].owner = u;
	g->ns[n].owner_err = 0;
	g->ns[u].uid_map = graph_strdup(g, "0 0 1\n");
	struct graph_proc *p = graph_proc_append(g, 1);
	p->comm = graph_strdup(g, "init");
	p->links.ns[NS_NET] = n;
	p->links.err[NS_NET] = 0;
	struct graph_task *t = graph_task_append(g, 1);
	t->links = g->procs[0].links;
	g->procs[0].ntasks = 1;
	struct graph_fd *f = graph_fd_append(g);
	f->fd = 3;
	f->ns = u;
	g->procs[0].nfds = 1;
	struct graph_mount *m = graph_mount_append(g);
	m->mntns = n;
	m->ns = n;
	m->path = graph_strdup(g, "/x");
	assert_int_equal(graph_gap_add(g, 1, 0, EACCES, "ns/net"), 0);
	return g;
}

/* ---- helpers ------------------------------------------------------------ */

/* G exported in FMT: a malloc'd buffer of *len bytes, NUL-terminated. */
static char *export_mem(const struct graph *g, const struct export_info *info,
			enum export_format fmt, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	assert_non_null(f);
	assert_int_equal(export_write(f, g, info, fmt), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

/*
 * Export G with INFO in FMT, import, check, and export again: the second
 * document must be the first byte for byte (a document is a function of
 * the graph).  Returns the imported graph.
 */
static struct graph *round_trip(const struct graph *g,
				const struct export_info *info,
				enum export_format fmt)
{
	struct graph *back;
	struct export_info got;
	char err[256];
	size_t len, len2;
	char *doc = export_mem(g, info, fmt, &len);
	int rc = export_read(doc, len, &back, &got, err, sizeof(err));

	if (rc)
		fprintf(stderr, "import (%s): %d %s\n", fmt_name[fmt], rc, err);
	assert_int_equal(rc, 0);
	assert_string_equal(err, "");
	assert_true(gb_same_graph(g, back));
	assert_int_equal(got.id, info ? info->id : 0);
	assert_str(got.label, info ? info->label : NULL);

	char *doc2 = export_mem(back, &got, fmt, &len2);
	assert_int_equal(len, len2);
	assert_memory_equal(doc, doc2, len);
	free(doc2);
	free(doc);
	return back;
}

/* Import BUF and expect WANT (a -errno) with SUB in the message. */
static void expect_refused(const char *buf, size_t len, int want,
			   const char *sub)
{
	static struct graph sentinel;
	struct graph *g = &sentinel;             /* must be reset */
	struct export_info info = { .id = 42, .label = "x" };
	char err[512];
	int rc = export_read(buf, len, &g, &info, err, sizeof(err));

	if (rc != want || (sub && !strstr(err, sub)))
		fprintf(stderr, "want %d \"%s\", got %d \"%s\"\n", want,
			sub ? sub : "", rc, err);
	assert_int_equal(rc, want);
	assert_null(g);
	assert_int_equal(info.id, 0);
	assert_null(info.label);
	assert_true(err[0] != '\0');
	if (sub)
		assert_non_null(strstr(err, sub));
	for (const char *c = err; *c; c++)
		assert_true(*c >= 0x20 && *c < 0x7f);
}

static void expect_refused_str(const char *doc, int want, const char *sub)
{
	expect_refused(doc, strlen(doc), want, sub);
}

/* ---- editing documents -------------------------------------------------- */

/* The value at PATH, components split by '.', numbers index arrays. */
static json_t *jat(json_t *v, const char *path, const char **last)
{
	char buf[256];
	char *save = NULL, *tok, *next;

	assert_true(strlen(path) < sizeof(buf));
	strcpy(buf, path);
	tok = strtok_r(buf, ".", &save);
	while (tok && (next = strtok_r(NULL, ".", &save))) {
		v = json_is_array(v) ? json_array_get(v, strtoul(tok, NULL, 10))
				     : json_object_get(v, tok);
		assert_non_null(v);
		tok = next;
	}
	*last = path + (tok - buf);
	return v;
}

/* Set PATH to the JSON text VALUE, or remove it when VALUE is NULL. */
static void jset(json_t *root, const char *path, const char *value)
{
	const char *key;
	json_t *parent = jat(root, path, &key);
	json_t *v = NULL;

	if (value) {
		json_error_t e;
		/* NUL allowed here: the reader must be the one refusing. */
		v = json_loads(value, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
		assert_non_null(v);
	}
	if (json_is_array(parent)) {
		size_t i = strtoul(key, NULL, 10);
		if (v)
			assert_int_equal(json_array_set_new(parent, i, v), 0);
		else
			assert_int_equal(json_array_remove(parent, i), 0);
	} else if (v) {
		assert_int_equal(json_object_set_new(parent, key, v), 0);
	} else {
		assert_int_equal(json_object_del(parent, key), 0);
	}
}

static void jswap(json_t *root, const char *path, size_t i, size_t k)
{
	const char *key;
	json_t *parent = jat(root, path, &key);
	json_t *arr = json_object_get(parent, key);
	json_t *a = json_incref(json_array_get(arr, i));
	json_t *b = json_incref(json_array_get(arr, k));

	assert_non_null(a);
	assert_non_null(b);
	json_array_set_new(arr, i, b);
	json_array_set_new(arr, k, a);
}

static char *jdump(json_t *v, size_t flags)
{
	char *s = json_dumps(v, flags | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER);

	assert_non_null(s);
	return s;
}

/* ROOT with PATH set to VALUE (and PATH2 to VALUE2 when given) is refused
 * with SUB in the message; ROOT itself is left as it is. */
static void expect_edit_refused(json_t *root, const char *path,
				const char *value, const char *path2,
				const char *value2, const char *sub)
{
	json_t *v = json_deep_copy(root);

	jset(v, path, value);
	if (path2)
		jset(v, path2, value2);
	char *s = jdump(v, JSON_INDENT(2));
	expect_refused_str(s, -EBADMSG, sub);
	free(s);
	json_decref(v);
}

/* The lines of an NDJSON document (without their newlines). */
struct lines {
	char *line[256];
	size_t n;
};

static void split(const char *doc, struct lines *l)
{
	const char *p = doc;

	l->n = 0;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		assert_true(l->n < 256);
		l->line[l->n++] = strndup(p, n);
		p += n + (nl ? 1 : 0);
	}
}

static char *join(const struct lines *l)
{
	size_t len = 0;
	char *out, *o;

	for (size_t i = 0; i < l->n; i++)
		len += strlen(l->line[i]) + 1;
	o = out = malloc(len + 1);
	assert_non_null(out);
	for (size_t i = 0; i < l->n; i++)
		o += sprintf(o, "%s\n", l->line[i]);
	return out;
}

static void lines_free(struct lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->line[i]);
	l->n = 0;
}

/* Line I of L edited: PATH set to VALUE (NULL: removed). */
static void line_set(struct lines *l, size_t i, const char *path,
		     const char *value)
{
	json_error_t e;
	json_t *v = json_loads(l->line[i], 0, &e);

	assert_non_null(v);
	jset(v, path, value);
	free(l->line[i]);
	l->line[i] = jdump(v, JSON_COMPACT);
	json_decref(v);
}

/* ---- round trips -------------------------------------------------------- */

static void test_round_trip_full(void **state)
{
	(void)state;
	struct graph *g = full_graph();
	struct export_info info = { .id = UINT64_MAX,
				    .label = "before \"deploy\"" };

	for (int fmt = EXPORT_JSON; fmt <= EXPORT_NDJSON; fmt++) {
		struct graph *b = round_trip(g, &info, fmt);

		/* A few fields by hand, beyond the records. */
		assert_int_equal(b->meta.start_ns, INT64_MIN);
		assert_int_equal(b->meta.end_ns, INT64_MAX);
		assert_null(b->meta.boot_id);
		assert_string_equal(b->meta.kernel, "");
		assert_int_equal(b->meta.collected, 0xffffffffu);
		assert_int_equal(b->meta.nsfs_dev, UINT64_MAX);
		assert_int_equal(b->ns[NS_CONT_USER].flags, 0x83);
		assert_int_equal(b->ns[NS_CONT_USER].creator_uid, UINT32_MAX);
		assert_string_equal(b->ns[NS_CONT_USER].gid_map, "");
		assert_null(b->ns[NS_ODD].uid_map);
		assert_int_equal(b->ns[NS_ODD].key.dev, UINT64_MAX);
		assert_int_equal(b->ns[NS_ODD].kernel_id, UINT64_MAX);
		assert_int_equal(b->ns[NS_ODD2].owner_err, INT32_MIN);
		assert_int_equal(b->ns[NS_NET].owner, NS_ODD2);
		assert_int_equal(b->procs[1].start_time, UINT64_MAX);
		assert_string_equal(b->procs[1].comm, "sh \xff\xfe");
		assert_null(b->procs[2].comm);
		assert_null(b->procs[2].nstgid);
		assert_int_equal(b->procs[2].status_err, EACCES);
		assert_string_equal(b->procs[3].comm, "");
		assert_int_equal(b->procs[3].flags, 0xffffffffu);
		assert_int_equal(b->procs[3].pid, INT32_MIN);
		assert_int_equal(b->tasks[2].links.err[NS_IPC], EACCES);
		assert_int_equal(b->tasks[2].links.ns[NS_IPC], NS_IPC);
		assert_int_equal(b->tasks[2].links.time_for_children, GRAPH_NONE);
		assert_null(b->tasks[2].comm);
		assert_int_equal(b->fds[1].ns, GRAPH_NONE);
		assert_int_equal(b->mounts[3].mntns, GRAPH_NONE);
		assert_int_equal(b->mounts[3].list_err, INT32_MIN);
		assert_null(b->mounts[2].path);
		assert_null(b->gaps[2].what);
		assert_int_equal(b->gaps[2].pid, INT32_MIN);
		/* The namespace hash works on the rebuilt graph. */
		for (size_t i = 0; i < b->nns; i++)
			assert_int_equal(graph_ns_find(b, b->ns[i].key), i);
		graph_free(b);
	}
	graph_free(g);
}

static void test_round_trip_empty(void **state)
{
	(void)state;
	struct graph *g = graph_new();

	assert_non_null(g);
	for (int fmt = EXPORT_JSON; fmt <= EXPORT_NDJSON; fmt++) {
		/* No origin: id 0, no label. */
		graph_free(round_trip(g, NULL, fmt));
		struct export_info info = { .id = 1, .label = "" };
		graph_free(round_trip(g, &info, fmt));
	}
	graph_free(g);
}

static void test_round_trip_layout(void **state)
{
	(void)state;
	struct graph *g = layout_graph();
	struct codec_snapshot s;
	struct export_info info = { .id = 3, .label = NULL };

	assert_int_equal(codec_encode_graph(g, &s), 0);
	assert_true(s.layout.len > 0);
	codec_snapshot_free(&s);
	for (int fmt = EXPORT_JSON; fmt <= EXPORT_NDJSON; fmt++) {
		struct graph *b = round_trip(g, &info, fmt);
		assert_int_equal(b->procs[0].first_task, 1);
		assert_int_equal(b->procs[3].first_fd, 0);
		assert_int_equal(b->procs[3].nfds, 2);
		assert_int_equal(b->tasks[b->ntasks - 1].tid, 99999);
		graph_free(b);
	}
	graph_free(g);

	/* Only orphan threads, no process at all. */
	g = graph_new();
	assert_non_null(graph_task_append(g, 5));
	for (int fmt = EXPORT_JSON; fmt <= EXPORT_NDJSON; fmt++)
		graph_free(round_trip(g, &info, fmt));
	graph_free(g);
}

/* Unsorted mounts: the same mount namespace in two runs. */
static void test_round_trip_mount_runs(void **state)
{
	(void)state;
	struct graph *g = full_graph();
	struct graph_mount *m = graph_mount_append(g);

	*m = g->mounts[0];
	m->path = graph_strdup(g, "/again");
	for (int fmt = EXPORT_JSON; fmt <= EXPORT_NDJSON; fmt++)
		graph_free(round_trip(g, NULL, fmt));
	graph_free(g);
}

/* ---- strings ------------------------------------------------------------ */

static const struct {
	const char *s;
	bool base64;    /* not UTF-8: must travel as {"base64": ...} */
} hostile[] = {
	{ "", false },
	{ "\"", false },
	{ "\\", false },
	{ "a\"b\\c\"\\\"", false },
	{ "\x01\x02\x1f\x7f", false },
	{ "\x1b[31mred\x1b[0m\x1b]0;title\x07", false },
	{ "tab\there\nnl\rcr\f\b", false },
	{ "\\u0000 and \\n, spelled out", false },
	{ "{\"base64\": \"AA==\"}", false },
	{ "caf\xc3\xa9 \xe2\x80\xae\x64\x6c\x72\x6f\x77 \xef\xbb\xbf", false },
	{ "\xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf \xc2\x80\xc2\x9b", false },
	{ "\xff", true },
	{ "\xfe\xff", true },
	{ "a\x80", true },
	{ "\xc0\xaf", true },              /* overlong '/' */
	{ "\xe0\x80\xaf", true },          /* overlong, three bytes */
	{ "\xed\xa0\x80", true },          /* a surrogate */
	{ "\xf4\x90\x80\x80", true },      /* above U+10FFFF */
	{ "\xe2\x82", true },              /* cut short */
	{ "ok\xf0\x9f\x98", true },
	{ "\xc3", true },
	{ "\x80\x80\x80", true },
	{ "\xf8\x88\x80\x80\x80", true },  /* five-byte form */
};

/* Every byte of DOC printable ASCII or a newline. */
static void assert_ascii(const char *doc, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)doc[i];
		if (!(c == '\n' || (c >= 0x20 && c < 0x7f)))
			fprintf(stderr, "byte %zu: 0x%02x\n", i, c);
		assert_true(c == '\n' || (c >= 0x20 && c < 0x7f));
	}
}

static void test_hostile_strings(void **state)
{
	(void)state;
	char all[256];

	/* Every byte value but NUL, in one string. */
	for (int i = 1; i < 256; i++)
		all[i - 1] = (char)i;
	all[255] = '\0';

	for (size_t k = 0; k <= sizeof(hostile) / sizeof(hostile[0]); k++) {
		const char *s = k < sizeof(hostile) / sizeof(hostile[0])
					? hostile[k].s : all;
		bool b64 = k < sizeof(hostile) / sizeof(hostile[0])
				   ? hostile[k].base64 : true;
		struct graph *g = small_graph();
		struct export_info info = { .id = 9, .label = s };

		g->meta.hostname = graph_strdup(g, s);
		g->meta.kernel = graph_strdup(g, s);
		g->meta.boot_id = graph_strdup(g, s);
		g->ns[0].uid_map = graph_strdup(g, s);
		g->ns[0].gid_map = graph_strdup(g, s);
		g->procs[0].comm = graph_strdup(g, s);
		g->procs[0].nstgid = graph_strdup(g, s);
		g->tasks[0].comm = graph_strdup(g, s);
		g->mounts[0].path = graph_strdup(g, s);
		g->gaps[0].what = graph_strdup(g, s);

		for (int fmt = EXPORT_JSON; fmt <= EXPORT_NDJSON; fmt++) {
			size_t len;
			char *doc = export_mem(g, &info, fmt, &len);
			struct graph *b;

			assert_ascii(doc, len);
			/* In NDJSON a newline ends a line, nothing else. */
			if (fmt == EXPORT_NDJSON) {
				size_t nl = 0;
				for (size_t i = 0; i < len; i++)
					nl += doc[i] == '\n';
				assert_int_equal(nl, 7);
			}
			/* The escape is used exactly when needed. */
			if (fmt == EXPORT_JSON) {
				json_error_t e;
				json_t *v = json_loadb(doc, len, 0, &e);
				const char *last;
				json_t *c = jat(v, "processes.0.comm", &last);
				c = json_object_get(c, last);
				assert_non_null(c);
				assert_int_equal(json_is_object(c), b64);
				json_decref(v);
			}
			free(doc);

			b = round_trip(g, &info, fmt);
			assert_string_equal(b->procs[0].comm, s);
			assert_string_equal(b->mounts[0].path, s);
			assert_string_equal(b->gaps[0].what, s);
			assert_string_equal(b->meta.hostname, s);
			graph_free(b);
		}
		graph_free(g);
	}
}

/* Strings written by hand: other spellings of the same bytes are
 * accepted, escapes that are not canonical or hold a NUL are not. */
static void test_string_escapes(void **state)
{
	(void)state;
	static const struct {
		const char *value;
		int want;
	} cases[] = {
		{ "{\"base64\": \"aW5pdA==\"}", 0 },   /* "init" */
		{ "\"\\u0069nit\"", 0 },
		{ "{\"base64\": \"aW5pd\"}", -EBADMSG }, /* unpadded */
		{ "{\"base64\": \"aW5pdB==\"}", -EBADMSG }, /* bits left */
		{ "{\"base64\": \"aW5p dA==\"}", -EBADMSG },
		{ "{\"base64\": \"aW5pdA\"}", -EBADMSG },
		{ "{\"base64\": \"AA==\"}", -EBADMSG },  /* a NUL */
		{ "{\"base64\": \"aQ=a\"}", -EBADMSG },
		{ "{\"base64\": \"====\"}", -EBADMSG },
		{ "{\"base64\": 5}", -EBADMSG },
		{ "{\"base64\": \"aW5pdA==\", \"x\": 1}", -EBADMSG },
		{ "{\"hex\": \"696e6974\"}", -EBADMSG },
		{ "\"a\\u0000b\"", -EBADMSG },
		{ "5", -EBADMSG },
		{ "[]", -EBADMSG },
	};
	struct graph *g = small_graph();
	size_t len;
	char *doc;
	json_error_t e;
	json_t *root;

	g->procs[0].comm = graph_strdup(g, "init");
	doc = export_mem(g, NULL, EXPORT_JSON, &len);
	root = json_loadb(doc, len, 0, &e);
	assert_non_null(root);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *v = json_deep_copy(root);
		jset(v, "processes.0.comm", cases[i].value);
		char *s = jdump(v, JSON_INDENT(2));
		if (cases[i].want == 0) {
			struct graph *b;
			char err[256];
			assert_int_equal(export_read(s, strlen(s), &b, NULL, err,
						     sizeof(err)), 0);
			assert_string_equal(b->procs[0].comm, "init");
			graph_free(b);
		} else {
			/* jansson itself refuses \u0000: no member to name. */
			expect_refused_str(s, cases[i].want,
					   strstr(cases[i].value, "u0000")
					   ? "is not allowed" : "processes[0].comm");
		}
		free(s);
		json_decref(v);
	}
	json_decref(root);
	free(doc);
	graph_free(g);
}

/* ---- edited documents --------------------------------------------------- */

static const struct {
	const char *path;
	const char *value;      /* NULL: remove */
	const char *sub;        /* in the message */
} edits[] = {
	/* Content that the hashes catch. */
	{ "processes.1.pid", "4001", "processes[1] (pid 4001): content" },
	{ "processes.0.tasks.1.comm", "\"x\"", "processes[0] (pid 1)" },
	{ "processes.0.fds.1.ns", "0", "processes[0] (pid 1)" },
	{ "processes.0.fds.0.type", "\"nsfs\"", "processes[0] (pid 1)" },
	{ "processes.0.cmdline.1", "\"x\"", "processes[0] (pid 1)" },
	{ "processes.0.loginuid", "0", "processes[0] (pid 1)" },
	{ "processes.1.workload", "null", "processes[1] (pid 4000)" },
	{ "namespaces.7.hostname", "\"other\"", "namespaces[7]" },
	{ "namespaces.3.interfaces.0.addrs", "null", "namespaces[3]" },
	{ "namespaces.6.setgroups", "\"deny\"", "namespaces[6]" },
	{ "workloads.0.name", "\"renamed\"", "records.meta" },
	{ "processes.0.ns.net", "11", "processes[0] (pid 1)" },
	{ "processes.1.ns_err.uts", "1", "processes[1] (pid 4000)" },
	{ "processes.0.flags", "[]", "processes[0] (pid 1)" },
	{ "processes.1.start_time", "\"2\"", "processes[1]" },
	{ "namespaces.14.uid_map", "\"         0          0          1\\n\"",
	  "namespaces[14] (user dev 4 ino 4026532206): content does not match" },
	{ "namespaces.0.owner", "null", "namespaces[0]" },
	{ "namespaces.3.kernel_id", "\"7\"", "namespaces[3]" },
	{ "namespaces.3.flags", "[\"id\", \"creator\"]", "namespaces[3]" },
	{ "meta.hostname", "\"elsewhere\"", "meta or gaps" },
	{ "meta.collected", "[\"tasks\"]", "meta or gaps" },
	{ "gaps.0.err", "1", "meta or gaps" },
	{ "gaps.1", NULL, "meta or gaps" },
	{ "mounts.1.path", "\"/run/netns/b\"", "mounts[0..1] (records.mounts[0])" },
	{ "mounts.2.list_err", "0", "mounts[2..2]" },
	{ "mounts.3", NULL, "records.mounts: 3 hashes for 2 runs" },
	{ "records.digest", "\"00000000000000000000000000000000\"",
	  "records.digest does not match" },
	{ "records.processes.3", NULL, "processes[3] (pid -2147483648): no record hash" },
	{ "records.namespaces.0", "\"0123456789abcdef0123456789ABCDEF\"",
	  "namespaces[0] (cgroup dev 4 ino 4026531835)" },
	{ "records.layout", "\"0123456789abcdef0123456789abcdef\"",
	  "records.layout given" },
	/* Dropping a namespace: positions shift, or a hash is left over. */
	{ "namespaces.5", NULL, "namespaces[5].index" },
	{ "namespaces.17", NULL, "namespaces[3].owner: namespace index 17 out of range" },
	/* Structure the reader itself refuses. */
	{ "processes.0.ns.net", "18", "processes[0].ns.net: namespace index 18 out of range (18 namespaces)" },
	{ "processes.0.ns.net", "-1", "processes[0].ns.net" },
	{ "processes.0.ns.net", "\"3\"", "processes[0].ns.net: expected a namespace index" },
	{ "processes.0.ns.bogus", "1", "unknown member \"bogus\"" },
	{ "processes.0.ns_err.pid_for_children", "0", "processes[0].ns_err: unknown member" },
	{ "processes.0.ns.pid_for_children", NULL, "processes[0].ns.pid_for_children: missing" },
	{ "processes.0.pid", "1.0", "processes[0].pid: expected an integer" },
	{ "processes.0.pid", "2147483648", "processes[0].pid: 2147483648 out of range" },
	{ "processes.0.uid", "-1", "processes[0].uid" },
	{ "processes.0.flags", "[\"listed\", \"listed\"]", "given twice" },
	{ "processes.0.flags", "[\"bit0\"]", "unknown name \"bit0\"" },
	{ "processes.0.flags", "[\"bit32\"]", "unknown name" },
	{ "processes.0.flags", "[\"bit01\"]", "unknown name" },
	{ "processes.0.flags", "\"listed\"", "processes[0].flags: expected an array" },
	{ "processes.0.start_time", "1", "processes[0].start_time: expected a decimal string" },
	{ "processes.0.start_time", "\"01\"", "start_time" },
	{ "processes.0.start_time", "\"18446744073709551616\"", "start_time" },
	{ "processes.0.start_time", "\"-1\"", "start_time" },
	{ "processes.0.task_slice", "{\"first\": 0, \"count\": 3}", "unknown member \"task_slice\"" },
	{ "processes.0.tasks.0", "7", "processes[0].tasks[0]: expected an object" },
	{ "processes.0.tasks.0.kind", "\"task\"", "unknown member \"kind\"" },
	{ "processes.0.fds", NULL, "processes[0].fds: missing" },
	{ "processes", "{}", "processes: expected an array" },
	{ "namespaces.0.index", "1", "namespaces[0].index" },
	{ "namespaces.0.type", "\"bogus\"", "unknown namespace type" },
	{ "namespaces.1.ino", "\"4026531835\"", "namespaces[1]: dev 4 ino 4026531835 is namespaces[0] already" },
	{ "namespaces.0.owner", "99", "namespaces[0].owner: namespace index 99 out of range" },
	{ "namespaces.0.flags", "[\"bit8\"]", "unknown name" },
	{ "namespaces.0.creator_uid", "4294967296", "creator_uid" },
	{ "meta.start_ns", "\"0\"", "meta.start: does not match start_ns" },
	{ "meta.start", "\"1677-09-21T00:12:43.145224193Z\"", "meta.start: does not match" },
	{ "meta.end_ns", "\"9223372036854775808\"", "meta.end_ns" },
	{ "meta.start_ns", "\"-0\"", "meta.start_ns" },
	{ "meta.types_present", "[\"cgroup\", \"nope\"]", "meta.types_present: unknown name \"nope\"" },
	{ "meta.nsfs_dev", NULL, "meta.nsfs_dev: missing" },
	{ "origin.id", "\"-1\"", "origin.id" },
	{ "origin.extra", "1", "origin: unknown member" },
	{ "extra", "1", "unknown member \"extra\"" },
	{ "records.namespaces.2", "\"xyz\"", "records.namespaces[2]: expected 32" },
	{ "records.meta", "\"0123456789abcdef0123456789abcde\"", "records.meta" },
	{ "records", NULL, "records: missing" },
	{ "format", "\"nsnap-other\"", "not an nsnap snapshot export" },
	{ "version", "\"1\"", "version" },
	{ "version", "0", "version" },
	{ "layout", "{\"tasks\": [], \"fds\": []}", "unknown member \"tasks\"" },
};

static void test_edited_json(void **state)
{
	(void)state;
	struct graph *g = full_graph();
	struct export_info info = { .id = 5, .label = "l" };
	size_t len;
	char *doc = export_mem(g, &info, EXPORT_JSON, &len);
	json_error_t e;
	json_t *root = json_loadb(doc, len, 0, &e);

	assert_non_null(root);
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++)
		expect_edit_refused(root, edits[i].path, edits[i].value, NULL,
				    NULL, edits[i].sub);

	/* Two processes swapped: each is where the other's hash is. */
	json_t *v = json_deep_copy(root);
	jswap(v, "processes", 0, 1);
	char *s = jdump(v, JSON_INDENT(2));
	expect_refused_str(s, -EBADMSG, "processes[0] (pid 4000): content");
	free(s);
	json_decref(v);

	/* Two namespaces swapped, their indexes too. */
	v = json_deep_copy(root);
	jswap(v, "namespaces", 2, 3);
	jset(v, "namespaces.2.index", "2");
	jset(v, "namespaces.3.index", "3");
	s = jdump(v, JSON_INDENT(2));
	expect_refused_str(s, -EBADMSG, "namespaces[2] (net dev 4 ino 4026531838)");
	free(s);
	json_decref(v);

	/* Member order, white space and the hash's case are free. */
	v = json_deep_copy(root);
	const char *last;
	json_t *rec = jat(v, "records.meta", &last);
	char *up = strdup(json_string_value(json_object_get(rec, last)));
	for (char *c = up; *c; c++)
		if (*c >= 'a' && *c <= 'f')
			*c = (char)(*c - 'a' + 'A');
	json_object_set_new(rec, last, json_string(up));
	free(up);
	s = json_dumps(v, JSON_SORT_KEYS | JSON_COMPACT);
	struct graph *b;
	char err[256];
	assert_int_equal(export_read(s, strlen(s), &b, NULL, err, sizeof(err)), 0);
	assert_true(gb_same_graph(g, b));
	graph_free(b);
	free(s);
	json_decref(v);

	json_decref(root);
	free(doc);
	graph_free(g);
}

/* The layout's own arrays, in a document that has them. */
static void test_edited_layout(void **state)
{
	(void)state;
	static const struct {
		const char *path, *value, *sub;
	} cases[] = {
		{ "layout.tasks.0.tid", "2", "layout (threads, fds, slices): content" },
		{ "layout.fds.0.fd", "4", "layout (threads, fds, slices)" },
		{ "processes.0.task_slice.first", "0", "layout (threads" },
		{ "processes.0.task_slice.count", "5", "processes[0].task_slice: beyond the 5 threads" },
		{ "processes.3.fd_slice.first", "4294967295", "processes[3].fd_slice: beyond" },
		{ "processes.0.task_slice", NULL, "processes[0].task_slice: missing" },
		{ "processes.0.tasks", "[]", "unknown member \"tasks\"" },
		{ "layout.tasks.0.ns.net", "99", "layout.tasks[0].ns.net: namespace index 99" },
		{ "layout.fds.0.ns", "18", "layout.fds[0].ns: namespace index 18" },
		{ "layout.extra", "[]", "layout: unknown member" },
		{ "layout", "[]", "layout: expected an object" },
		{ "records.layout", NULL, "records.layout is missing" },
	};
	struct graph *g = layout_graph();
	size_t len;
	char *doc = export_mem(g, NULL, EXPORT_JSON, &len);
	json_error_t e;
	json_t *root = json_loadb(doc, len, 0, &e);

	assert_non_null(root);
	assert_non_null(json_object_get(root, "layout"));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_edit_refused(root, cases[i].path, cases[i].value, NULL,
				    NULL, cases[i].sub);
	json_decref(root);
	free(doc);
	graph_free(g);
}

/*
 * The members of version 2, malformed or out of range, each refused with
 * a message naming it; a document of version 1 refuses them as unknown,
 * and one whose version is not its snapshot's is refused.
 */
static void test_facts_refused(void **state)
{
	(void)state;
	struct graph *g = full_graph();
	size_t len;
	char *doc = export_mem(g, NULL, EXPORT_JSON, &len);
	json_error_t e;
	json_t *root = json_loadb(doc, len, 0, &e);
	char big[GRAPH_CMDLINE_MAX + 8];
	static const struct { const char *path, *value, *sub; } bad[] = {
		{ "processes.0.cmdline", "[]", "processes[0].cmdline: expected null or at least one" },
		{ "processes.0.cmdline", "\"sleep\"", "processes[0].cmdline: expected an array" },
		{ "processes.0.cmdline.0", "null", "an argument cannot be null" },
		{ "processes.0.cmdline.0", "\"a\\u0000b\"", "NUL" },
		{ "processes.0.cmdline.0", "{\"base64\": \"AA==\"}", "NUL" },
		{ "processes.0.cmdline.0", "7", "processes[0].cmdline" },
		{ "processes.0.workload", "3", "workload index 3 out of range (3 workloads)" },
		{ "processes.0.workload", "-1", "processes[0].workload" },
		{ "processes.0.workload", "\"0\"", "processes[0].workload" },
		{ "processes.0.no_new_privs", "256", "processes[0].no_new_privs" },
		{ "processes.0.loginuid", "4294967296", "processes[0].loginuid" },
		{ "processes.0.cap_eff", "1", "processes[0].cap_eff" },
		{ "processes.0.fds.0.type", "\"pipe\"", "unknown name \"pipe\"" },
		{ "processes.0.fds.0.type", "1", "processes[0].fds[0].type" },
		{ "processes.0.fds.1.type", "\"socket\"", "a socket pin of no network namespace" },
		{ "processes.0.flags", "[\"bit3\"]", "unknown name \"bit3\"" },
		{ "namespaces.6.setgroups", "\"maybe\"", "namespaces[6].setgroups: unknown name" },
		{ "namespaces.6.setgroups", "300", "namespaces[6].setgroups" },
		{ "namespaces.0.interfaces", "[{\"ifindex\": 1, \"name\": \"lo\", \"flags\": [], \"operstate\": \"up\", \"mac\": null, \"addrs\": null}]",
		  "not a network namespace" },
		{ "namespaces.3.interfaces.0.operstate", "\"sideways\"", "unknown name" },
		{ "namespaces.3.interfaces.0.flags", "[\"up\", \"up\"]", "given twice" },
		{ "namespaces.3.interfaces.0.ns", "3", "unknown member \"ns\"" },
		{ "namespaces.3.nsid", "2147483648", "namespaces[3].nsid" },
		{ "workloads.0.type", "\"vm\"", "workloads[0].type: unknown name" },
		{ "workloads.0.id", "null", "workloads[0]: no runtime or id" },
		{ "workloads.1", "{\"type\": \"pod\", \"runtime\": \"cgroup\", \"id\": \"/\", \"name\": null, \"pod\": null, \"cgroup\": null}",
		  "not after" },
		{ "workloads", "{}", "workloads: expected an array" },
		{ "workloads", NULL, "workloads: missing" },
		{ "processes.0.exe", NULL, "processes[0].exe: missing" },
	};

	assert_non_null(root);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_edit_refused(root, bad[i].path, bad[i].value, NULL, NULL,
				    bad[i].sub);

	/* Arguments longer than GRAPH_CMDLINE_MAX together. */
	memset(big, 'x', sizeof(big));
	big[0] = '"';
	big[sizeof(big) - 2] = '"';
	big[sizeof(big) - 1] = '\0';
	expect_edit_refused(root, "processes.0.cmdline.0", big, NULL, NULL,
			    "longer than 4096 bytes");

	/* Version 1 does not know them; version 2 of a snapshot of before
	 * is a second spelling of its version 1 document. */
	expect_edit_refused(root, "version", "1", NULL, NULL, "unknown member");
	free(doc);
	json_decref(root);
	graph_free(g);

	g = full_graph();
	for (size_t i = 0; i < g->nprocs; i++)
		g->procs[i] = (struct graph_proc){
			.pid = g->procs[i].pid, .first_task = g->procs[i].first_task,
			.ntasks = g->procs[i].ntasks, .first_fd = g->procs[i].first_fd,
			.nfds = g->procs[i].nfds, .comm = g->procs[i].comm,
			.links = g->procs[i].links, .loginuid = UINT32_MAX,
			.sessionid = UINT32_MAX, .workload = GRAPH_NONE,
		};
	for (size_t i = 0; i < g->nns; i++) {
		struct graph_ns *ns = &g->ns[i];
		ns->flags &= GRAPH_NS_HAS_ID | GRAPH_NS_HAS_CREATOR;
		ns->hostname = ns->domainname = ns->timens_offsets = NULL;
		ns->setgroups = 0;
		ns->nsid = 0;
		ns->nifaces = 0;
	}
	for (size_t i = 0; i < g->nfds; i++)
		g->fds[i].kind = GRAPH_FD_NSFS;
	g->nifaces = g->nworkloads = 0;
	g->meta.collected = GRAPH_HAVE_V1;
	assert_true(codec_graph_v1(g));
	doc = export_mem(g, NULL, EXPORT_JSON, &len);
	root = json_loadb(doc, len, 0, &e);
	assert_non_null(root);
	assert_int_equal(json_integer_value(json_object_get(root, "version")), 1);
	assert_null(json_object_get(root, "workloads"));
	expect_edit_refused(root, "workloads", "[]", NULL, NULL,
			    "unknown member \"workloads\"");
	expect_edit_refused(root, "processes.0.exe", "null", NULL, NULL,
			    "unknown member \"exe\"");
	/* Its version 2 spelling: every member, blank. */
	json_t *v = json_deep_copy(root);
	jset(v, "version", "2");
	jset(v, "workloads", "[]");
	json_t *procs = json_object_get(v, "processes"), *p;
	size_t k;
	json_array_foreach(procs, k, p) {
		static const char *const blank[][2] = {
			{ "cmdline", "null" }, { "exe", "null" }, { "cgroup", "null" },
			{ "ruid", "0" }, { "euid", "0" }, { "rgid", "0" },
			{ "egid", "0" }, { "cap_eff", "\"0\"" },
			{ "no_new_privs", "0" }, { "seccomp", "0" },
			{ "loginuid", "4294967295" }, { "sessionid", "4294967295" },
			{ "workload", "null" },
		};
		for (size_t b = 0; b < sizeof(blank) / sizeof(blank[0]); b++)
			json_object_set_new(p, blank[b][0],
					    json_loads(blank[b][1], JSON_DECODE_ANY, &e));
		json_t *fds = json_object_get(p, "fds"), *f;
		size_t j;
		json_array_foreach(fds, j, f)
			json_object_set_new(f, "type", json_string("nsfs"));
	}
	json_t *nss = json_object_get(v, "namespaces"), *n;
	json_array_foreach(nss, k, n) {
		json_object_set_new(n, "hostname", json_null());
		json_object_set_new(n, "domainname", json_null());
		json_object_set_new(n, "setgroups", json_string("unknown"));
		json_object_set_new(n, "timens_offsets", json_null());
		json_object_set_new(n, "nsid", json_integer(0));
		json_object_set_new(n, "interfaces", json_array());
	}
	char *s = jdump(v, JSON_INDENT(2));
	expect_refused_str(s, -EBADMSG, "version 2, but the snapshot is one that "
			   "version 1 carries");
	free(s);
	json_decref(v);
	json_decref(root);
	free(doc);
	graph_free(g);
}

static void test_edited_ndjson(void **state)
{
	(void)state;
	struct graph *g = full_graph();

	/* No workload lines: the lines below are counted without them. */
	for (size_t i = 0; i < g->nprocs; i++)
		g->procs[i].workload = GRAPH_NONE;
	g->nworkloads = 0;
	size_t len;
	char *doc = export_mem(g, NULL, EXPORT_NDJSON, &len);
	struct lines l;
	char *s, *tmp;

	/* header, 18 namespaces, 4 processes, 5 mounts, 3 gaps, trailer */
	split(doc, &l);
	assert_int_equal(l.n, 1 + 18 + 4 + 4 + 3 + 1);
	lines_free(&l);

	/* A pid changed. */
	split(doc, &l);
	line_set(&l, 20, "pid", "4001");
	s = join(&l);
	expect_refused_str(s, -EBADMSG, "processes[1] (pid 4001): content");
	free(s);
	lines_free(&l);

	/* A map changed. */
	split(doc, &l);
	line_set(&l, 15, "uid_map", "null");
	s = join(&l);
	expect_refused_str(s, -EBADMSG, "namespaces[14] (user dev 4 ino 4026532206)");
	free(s);
	lines_free(&l);

	/* Two process lines swapped. */
	split(doc, &l);
	tmp = l.line[19];
	l.line[19] = l.line[20];
	l.line[20] = tmp;
	s = join(&l);
	expect_refused_str(s, -EBADMSG, "processes[0] (pid 4000)");
	free(s);
	lines_free(&l);

	/* The last namespace line dropped: references to it are out of
	 * range. */
	split(doc, &l);
	free(l.line[18]);
	memmove(&l.line[18], &l.line[19], (l.n - 19) * sizeof(l.line[0]));
	l.n--;
	s = join(&l);
	expect_refused_str(s, -EBADMSG, "namespaces[3].owner: namespace index 17");
	free(s);
	lines_free(&l);

	/* Lines out of order, missing, extra, empty, or of no known kind. */
	static const struct {
		size_t line;            /* to act on */
		const char *action;     /* "drop", "dup", "blank", or a kind */
		const char *sub;
	} cases[] = {
		{ 0, "drop", "line 1: the first line must be the header" },
		{ 0, "dup", "line 2: a header line after header lines" },
		{ 30, "drop", "truncated: no trailer line after line 30" },
		{ 30, "dup", "line 32: after the trailer line" },
		{ 5, "blank", "line 6: column" },
		{ 30, "blank", "line 31: column" },
		{ 19, "namespace", "line 20: namespaces[18]" },
		{ 24, "process", "line 25: a process line after mount lines" },
		{ 19, "task", "line 20: layout.tasks[0]" },
		{ 24, "fd", "line 25: a fd line after mount lines" },
		{ 27, "trailer", "line 28: unknown member \"pid\"" },
		{ 5, "nonsense", "line 6: unknown kind \"nonsense\"" },
		{ 5, "header", "line 6: a header line after namespace lines" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t k = cases[i].line;
		const char *a = cases[i].action;

		split(doc, &l);
		if (!strcmp(a, "drop")) {
			free(l.line[k]);
			memmove(&l.line[k], &l.line[k + 1],
				(l.n - k - 1) * sizeof(l.line[0]));
			l.n--;
		} else if (!strcmp(a, "dup")) {
			memmove(&l.line[k + 1], &l.line[k],
				(l.n - k) * sizeof(l.line[0]));
			l.line[k] = strdup(l.line[k + 1]);
			l.n++;
		} else if (!strcmp(a, "blank")) {
			memmove(&l.line[k + 1], &l.line[k],
				(l.n - k) * sizeof(l.line[0]));
			l.line[k] = strdup("");
			l.n++;
		} else {
			char kind[64];
			snprintf(kind, sizeof(kind), "\"%s\"", a);
			line_set(&l, k, "kind", kind);
		}
		s = join(&l);
		expect_refused_str(s, -EBADMSG, cases[i].sub);
		free(s);
		lines_free(&l);
	}

	/* A task line where processes hold their threads. */
	split(doc, &l);
	free(l.line[23]);
	l.line[23] = strdup("{\"kind\":\"task\",\"tid\":1}");
	s = join(&l);
	expect_refused_str(s, -EBADMSG, "line 24: a task line, but the processes hold");
	free(s);
	lines_free(&l);

	free(doc);
	graph_free(g);
}

/* Every cut of a document is refused (but the trailing newline's). */
static void test_truncated(void **state)
{
	(void)state;
	struct graph *g = small_graph();
	struct graph *lg = layout_graph();

	for (int fmt = EXPORT_JSON; fmt <= EXPORT_NDJSON; fmt++) {
		size_t len;
		char *doc = export_mem(g, NULL, fmt, &len);
		struct graph *b;
		char err[256];

		for (size_t n = 0; n + 1 < len; n++) {
			/* An exact-size copy: ASan sees a read past the end. */
			char *cut = malloc(n ? n : 1);
			memcpy(cut, doc, n);
			int rc = export_read(cut, n, &b, NULL, err, sizeof(err));
			if (rc != -EBADMSG)
				fprintf(stderr, "%s cut at %zu: %d\n",
					fmt_name[fmt], n, rc);
			assert_int_equal(rc, -EBADMSG);
			assert_null(b);
			free(cut);
		}
		/* Without its final newline, a document is still whole. */
		assert_int_equal(export_read(doc, len - 1, &b, NULL, err,
					     sizeof(err)), 0);
		graph_free(b);
		free(doc);

		/* A larger one, at every line. */
		doc = export_mem(lg, NULL, fmt, &len);
		for (size_t n = 0; n + 1 < len; n++) {
			if (doc[n] != '\n')
				continue;
			int rc = export_read(doc, n + 1, &b, NULL, err, sizeof(err));
			assert_int_equal(rc, -EBADMSG);
		}
		free(doc);
	}
	graph_free(lg);
	graph_free(g);
}

static void test_versions(void **state)
{
	(void)state;
	struct graph *g = small_graph();
	size_t len;
	char *doc = export_mem(g, NULL, EXPORT_JSON, &len);
	json_error_t e;
	json_t *root = json_loadb(doc, len, 0, &e), *v;
	char *s;
	struct lines l;

	/* A newer version is refused before anything else is looked at. */
	v = json_deep_copy(root);
	jset(v, "version", "3");
	jset(v, "namespaces", "\"whatever version 3 says\"");
	jset(v, "newer", "true");
	s = jdump(v, JSON_INDENT(2));
	expect_refused_str(s, -EPROTONOSUPPORT, "version 3 is newer than this nsnap reads (2)");
	free(s);
	json_decref(v);

	v = json_deep_copy(root);
	jset(v, "version", "9223372036854775807");
	s = jdump(v, JSON_COMPACT);
	expect_refused_str(s, -EPROTONOSUPPORT, "version");
	free(s);
	json_decref(v);

	free(doc);
	doc = export_mem(g, NULL, EXPORT_NDJSON, &len);
	split(doc, &l);
	line_set(&l, 0, "version", "3");
	free(l.line[1]);
	l.line[1] = strdup("{\"kind\": \"something new\"}");
	s = join(&l);
	expect_refused_str(s, -EPROTONOSUPPORT, "line 1: version 3 is newer");
	free(s);
	lines_free(&l);

	split(doc, &l);
	line_set(&l, 0, "version", NULL);
	s = join(&l);
	expect_refused_str(s, -EBADMSG, "line 1: version: expected an integer");
	free(s);
	lines_free(&l);

	json_decref(root);
	free(doc);
	graph_free(g);
}

/* S with the first occurrence of FROM replaced by TO (a new string). */
static char *replace_once(const char *s, const char *from, const char *to)
{
	const char *at = strstr(s, from);
	char *out;

	assert_non_null(at);
	out = malloc(strlen(s) - strlen(from) + strlen(to) + 1);
	assert_non_null(out);
	sprintf(out, "%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
	return out;
}

/* Zero has one spelling: "-0" is refused wherever an integer is read. */
static void test_negative_zero(void **state)
{
	(void)state;
	static const struct {
		const char *from, *to, *sub;
	} cases[] = {
		{ "\"index\": 0,", "\"index\": -0,",
		  "namespaces[0].index: -0 is not how 0 is written" },
		{ "\"ppid\": 0,", "\"ppid\": -0,", "processes[0].ppid: -0" },
		{ "\"owner\": 6,", "\"owner\": -0,", "namespaces[0].owner: -0" },
		{ "\"err\": 13,", "\"err\": -0,", "gaps[0].err: -0" },
	};
	struct graph *g = full_graph();
	size_t len;
	char *doc = export_mem(g, NULL, EXPORT_JSON, &len);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *s = replace_once(doc, cases[i].from, cases[i].to);
		expect_refused_str(s, -EBADMSG, cases[i].sub);
		free(s);
	}
	free(doc);
	graph_free(g);
}

/* Graphs the kernel cannot produce are refused, whatever the hashes say,
 * with graph_check()'s reason. */
static void test_impossible_graphs(void **state)
{
	(void)state;
	static const struct {
		const char *path, *value, *path2, *value2, *sub;
	} cases[] = {
		{ "namespaces.14.owner", "14", "namespaces.14.parent", "14",
		  "namespaces[14] (user): its owners form a cycle" },
		{ "namespaces.14.parent", "6", "namespaces.14.owner", "17",
		  "namespaces[14] (user): parent namespaces[6] is not its owner "
		  "namespaces[17]" },
		{ "namespaces.12.parent", "6", NULL, NULL,
		  "namespaces[12] (pid): parent namespaces[6] is a user namespace" },
		{ "namespaces.3.owner", "0", NULL, NULL,
		  "namespaces[3] (net): owner namespaces[0] is a cgroup namespace, "
		  "not a user namespace" },
		{ "namespaces.3.parent", "3", "namespaces.3.parent_err", "0",
		  "namespaces[3] (net): only PID and user namespaces have a parent" },
	};
	struct graph *g = full_graph();
	size_t len;
	char *doc = export_mem(g, NULL, EXPORT_JSON, &len);
	json_error_t e;
	json_t *root = json_loadb(doc, len, 0, &e);

	assert_non_null(root);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_edit_refused(root, cases[i].path, cases[i].value,
				    cases[i].path2, cases[i].value2, cases[i].sub);
	json_decref(root);
	free(doc);
	graph_free(g);
}

/*
 * A member no table names is refused unread: neither its size, nor its
 * depth, nor broken syntax inside it is looked at.  The reader builds no
 * tree of the document, so none of it costs memory first.
 */
static void test_unknown_refused_unread(void **state)
{
	(void)state;
	const size_t n = 200000;
	const char *head = "{\"format\":\"nsnap-snapshot\",\"version\":1,"
			   "\"x\":";
	char *doc = malloc(strlen(head) + 4 * n + 64);
	char *p = doc + sprintf(doc, "%s", head);

	assert_non_null(doc);
	/* Deep, then wide: [[[...]]] and [],[],... */
	memset(p, '[', n / 2);
	p += n / 2;
	memset(p, ']', n / 2);
	p += n / 2;
	p += sprintf(p, ",\"y\":[");
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, i ? ",[]" : "[]");
	p += sprintf(p, "]}");
	expect_refused(doc, (size_t)(p - doc), -EBADMSG, "unknown member \"x\"");

	/* Inside a record: refused there, by name, its bad syntax unread. */
	expect_refused_str("{\"kind\":\"header\",\"format\":\"nsnap-snapshot\","
			   "\"version\":1,\"origin\":{\"id\":\"0\",\"label\":"
			   "null,\"x\":[1 2 tru \"\\u\"]}}", -EBADMSG,
			   "line 1: origin: unknown member \"x\"");
	free(doc);
}

/* Inputs that are not documents at all. */
static void test_garbage(void **state)
{
	(void)state;
	static const char *const docs[] = {
		"", "\n", "null", "[]", "{}", "\"nsnap-snapshot\"", "{\"kind\":1}",
		"{\"kind\":\"header\"}", "{\"format\":\"nsnap-snapshot\"}",
		"{\"format\":\"nsnap-snapshot\",\"version\":1}",
		"{\"format\":\"nsnap-snapshot\",\"format\":\"nsnap-snapshot\",\"version\":1}",
		"{\"kind\":\"header\",\"format\":\"nsnap-snapshot\",\"version\":1}\n",
		"\xff\xfe{}", "{\"a\":\"\xff\"}", "{\"a\":\"\\ud800\"}",
		"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
		("{\"kind\":\"header\",\"format\":\"nsnap-snapshot\",\"version\":1,"
		 "\"origin\":{\"id\":\"0\",\"label\":null},\"meta\":{}}\n"),
	};
	struct graph *g;
	char err[8];

	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++)
		expect_refused_str(docs[i], -EBADMSG, NULL);
	/* A deep nesting stays within jansson's depth limit. */
	size_t n = 100000;
	char *deep = malloc(2 * n);
	memset(deep, '[', n);
	memset(deep + n, ']', n);
	expect_refused(deep, 2 * n, -EBADMSG, NULL);
	free(deep);

	/* A short error buffer is cut, still terminated; none is fine too. */
	memset(err, 'x', sizeof(err));
	assert_int_equal(export_read("{}", 2, &g, NULL, err, sizeof(err)), -EBADMSG);
	assert_int_equal(strlen(err), sizeof(err) - 1);
	assert_int_equal(export_read("{}", 2, &g, NULL, NULL, 0), -EBADMSG);
	assert_int_equal(export_read(NULL, 0, &g, NULL, NULL, 0), -EBADMSG);
}

/* ---- writing ------------------------------------------------------------ */

static void test_write_errors(void **state)
{
	(void)state;
	struct graph *g = full_graph();
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	/* Inconsistent: refused before a byte is written. */
	uint32_t owner = g->ns[3].owner;
	g->ns[3].owner = (uint32_t)g->nns;
	f = open_memstream(&buf, &len);
	assert_int_equal(export_write(f, g, NULL, EXPORT_JSON), -EINVAL);
	fclose(f);
	assert_int_equal(len, 0);
	free(buf);
	g->ns[3].owner = owner;

	f = open_memstream(&buf, &len);
	assert_int_equal(export_write(f, g, NULL, (enum export_format)7), -EINVAL);
	assert_int_equal(export_write(NULL, g, NULL, EXPORT_JSON), -EINVAL);
	fclose(f);
	free(buf);

	/* A full disk is reported, not swallowed by stdio's buffer. */
	f = fopen("/dev/full", "w");
	if (f) {
		assert_int_equal(export_write(f, g, NULL, EXPORT_JSON), -ENOSPC);
		fclose(f);
		f = fopen("/dev/full", "w");
		assert_int_equal(export_write(f, g, NULL, EXPORT_NDJSON), -ENOSPC);
		fclose(f);
	}
	graph_free(g);
}

/* ---- the store's hashes ------------------------------------------------- */

struct hist {
	uint8_t hash[16];
	bool seen;
};

static int hist_cb(uint64_t id, const uint8_t hash[16], void *ctx)
{
	struct hist *h = ctx;

	(void)id;
	if (hash) {
		memcpy(h->hash, hash, 16);
		h->seen = true;
	}
	return 0;
}

static void unhex(const char *s, uint8_t out[16])
{
	assert_int_equal(strlen(s), 32);
	for (int i = 0; i < 16; i++) {
		unsigned v;
		assert_int_equal(sscanf(s + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

/* The document's hashes are the store's record keys, its digest the
 * header's: an export can be matched against the store it came from. */
static void test_store_hashes(void **state)
{
	(void)state;
	char dir[] = "/tmp/nsnap-test-export-XXXXXX";
	char path[64];
	struct store *st;
	struct store_header sh;
	uint64_t id;
	uint8_t want[16];

	assert_non_null(mkdtemp(dir));
	assert_int_equal(store_open(dir, STORE_CREATE, &st), 0);
	for (int k = 0; k < 2; k++) {
		struct graph *g = k ? layout_graph() : full_graph();
		size_t len;
		char *doc;
		json_error_t e;
		json_t *root;

		assert_int_equal(store_put(st, g, NULL, &id), 0);
		assert_int_equal(store_header(st, id, &sh), 0);
		doc = export_mem(g, NULL, EXPORT_JSON, &len);
		root = json_loadb(doc, len, 0, &e);
		assert_non_null(root);
		json_t *rec = json_object_get(root, "records");
		unhex(json_string_value(json_object_get(rec, "digest")), want);
		assert_memory_equal(want, sh.digest, 16);
		json_t *ns = json_object_get(rec, "namespaces");
		for (size_t i = 0; i < g->nns; i++) {
			struct hist h = { .seen = false };
			assert_int_equal(store_ns_history(st, g->ns[i].key,
							  hist_cb, &h), 0);
			assert_true(h.seen);
			unhex(json_string_value(json_array_get(ns, i)), want);
			assert_memory_equal(want, h.hash, 16);
		}
		json_decref(root);
		free(doc);
		graph_free(g);
	}
	store_close(st);
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/lock.mdb", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/nsnap.seal", dir);
	unlink(path);
	assert_int_equal(rmdir(dir), 0);
}

/* ---- custody ------------------------------------------------------------ */

/* A custody block of recognisable bytes (no signature is checked here). */
static struct custody_block sample_custody(bool is_signed, bool has_prev)
{
	struct custody_block c = { .has_prev = has_prev, .is_signed = is_signed,
				   .sig_id = UINT64_MAX,
				   .sig_has_prev = !has_prev };

	for (size_t i = 0; i < CUSTODY_DIGEST_LEN; i++) {
		c.content[i] = (uint8_t)(0xa0 + i);
		c.prev[i] = has_prev ? (uint8_t)(0x10 + i) : 0;
		c.sig_prev[i] = !has_prev ? (uint8_t)(0x30 + i) : 0;
		c.key[i] = (uint8_t)(0xf0 - i);
	}
	for (size_t i = 0; i < CUSTODY_SIG_LEN; i++)
		c.sig[i] = (uint8_t)(3 * i);
	if (!is_signed) {
		memset(c.key, 0, sizeof(c.key));
		memset(c.sig, 0, sizeof(c.sig));
		c.sig_id = 0;
		c.sig_has_prev = false;
		memset(c.sig_prev, 0, sizeof(c.sig_prev));
	}
	return c;
}

static void assert_same_custody(const struct custody_block *a,
				const struct custody_block *b)
{
	assert_memory_equal(a->content, b->content, CUSTODY_DIGEST_LEN);
	assert_int_equal(a->has_prev, b->has_prev);
	if (a->has_prev)
		assert_memory_equal(a->prev, b->prev, CUSTODY_DIGEST_LEN);
	assert_int_equal(a->is_signed, b->is_signed);
	if (!a->is_signed)
		return;
	assert_memory_equal(a->key, b->key, CUSTODY_PK_LEN);
	assert_memory_equal(a->sig, b->sig, CUSTODY_SIG_LEN);
	assert_int_equal(a->sig_id, b->sig_id);
	assert_int_equal(a->sig_has_prev, b->sig_has_prev);
	if (a->sig_has_prev)
		assert_memory_equal(a->sig_prev, b->sig_prev, CUSTODY_DIGEST_LEN);
}

/* Signed and unsigned blocks, with and without prev, in both formats and
 * both versions: read back as written, and written again byte for byte
 * (round_trip()); a document without one says so. */
static void test_custody_round_trip(void **state)
{
	(void)state;
	struct graph *gs[2] = { full_graph(), graph_new() };

	assert_non_null(gs[1]);
	for (int k = 0; k < 2; k++) {
		for (int v = 0; v < 4; v++) {
			struct export_info info = {
				.id = 7, .label = "evidence", .has_custody = true,
				.custody = sample_custody(v & 1, v & 2),
			};
			for (int fmt = EXPORT_JSON; fmt <= EXPORT_NDJSON; fmt++) {
				struct export_info got;
				struct graph *b;
				char err[256];
				size_t len;
				char *doc = export_mem(gs[k], &info, fmt, &len);

				assert_non_null(strstr(doc, "\"custody\""));
				assert_int_equal(export_read(doc, len, &b, &got, err,
							     sizeof(err)), 0);
				assert_true(got.has_custody);
				assert_same_custody(&info.custody, &got.custody);
				/* Outside the record hashes: the graph is the same. */
				assert_true(gb_same_graph(gs[k], b));
				graph_free(b);
				free(doc);
				graph_free(round_trip(gs[k], &info, fmt));
			}
		}
		/* None: no member, none read. */
		struct export_info none = { .id = 7, .label = "evidence" };
		for (int fmt = EXPORT_JSON; fmt <= EXPORT_NDJSON; fmt++) {
			struct export_info got = { .has_custody = true };
			struct graph *b;
			size_t len;
			char *doc = export_mem(gs[k], &none, fmt, &len);
			assert_null(strstr(doc, "custody"));
			assert_int_equal(export_read(doc, len, &b, &got, NULL, 0), 0);
			assert_false(got.has_custody);
			graph_free(b);
			free(doc);
		}
	}
	graph_free(gs[0]);
	graph_free(gs[1]);
}

#define HEX64 "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\""
#define HEX128 "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" \
	       "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\""

static const struct {
	const char *path, *value, *sub;
} custody_edits[] = {
	{ "custody.content", "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\"",
	  "custody.content: expected 64 hexadecimal digits" },
	{ "custody.content", "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0\"",
	  "custody.content: expected 64 hexadecimal digits" },
	{ "custody.content", "\"g123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"",
	  "custody.content: expected 64" },
	{ "custody.content", "null", "custody.content: expected 64" },
	{ "custody.content", "7", "custody.content: expected 64" },
	{ "custody.content", NULL, "custody.content: missing" },
	{ "custody.prev", "\"abc\"", "custody.prev: expected null or 64 hexadecimal" },
	{ "custody.prev", NULL, "custody.prev: missing" },
	{ "custody.signature", NULL, "custody.signature: missing" },
	{ "custody.signature", "\"ed25519\"", "custody.signature: expected an object" },
	{ "custody.extra", "1", "custody: unknown member \"extra\"" },
	{ "custody.signature.scheme", "\"rsa\"",
	  "custody.signature.scheme: expected \"ed25519\"" },
	{ "custody.signature.scheme", NULL, "custody.signature.scheme: missing" },
	{ "custody.signature.key", HEX128, "custody.signature.key: expected 64" },
	{ "custody.signature.key", "null", "custody.signature.key: expected 64" },
	{ "custody.signature.sig", HEX64, "custody.signature.sig: expected 128" },
	{ "custody.signature.sig", NULL, "custody.signature.sig: missing" },
	{ "custody.signature.id", "1", "custody.signature.id: expected a decimal string" },
	{ "custody.signature.id", "\"01\"", "custody.signature.id" },
	{ "custody.signature.id", "\"-1\"", "custody.signature.id" },
	{ "custody.signature.id", NULL, "custody.signature.id: missing" },
	{ "custody.signature.prev", HEX128, "custody.signature.prev: expected null or 64" },
	{ "custody.signature.prev", NULL, "custody.signature.prev: missing" },
	{ "custody.signature.extra", "1", "custody.signature: unknown member" },
	{ "custody", "[]", "custody: expected an object" },
	{ "custody", "null", "custody: expected an object" },
};

/* Each malformed custody member refused, naming it, in both formats;
 * duplicates too; hex of either case taken. */
static void test_custody_refused(void **state)
{
	(void)state;
	struct graph *g = full_graph();
	struct export_info info = { .id = 5, .label = "l", .has_custody = true,
				    .custody = sample_custody(true, true) };
	size_t len;
	char *doc = export_mem(g, &info, EXPORT_JSON, &len);
	json_error_t e;
	json_t *root = json_loadb(doc, len, 0, &e);

	assert_non_null(root);
	for (size_t i = 0; i < sizeof(custody_edits) / sizeof(custody_edits[0]); i++)
		expect_edit_refused(root, custody_edits[i].path,
				    custody_edits[i].value, NULL, NULL,
				    custody_edits[i].sub);

	/* Upper case is the same digits. */
	json_t *v = json_deep_copy(root);
	jset(v, "custody.prev", "\"101112131415161718191A1B1C1D1E1F"
				"202122232425262728292A2B2C2D2E2F\"");
	char *s = jdump(v, JSON_INDENT(2));
	struct export_info got;
	struct graph *b;
	char err[256];
	assert_int_equal(export_read(s, strlen(s), &b, &got, err, sizeof(err)), 0);
	assert_same_custody(&info.custody, &got.custody);
	graph_free(b);
	free(s);
	json_decref(v);

	/* A duplicate key, inside custody and of custody itself. */
	const char *at = strstr(doc, "\"content\": ");
	assert_non_null(at);
	size_t pre = (size_t)(at - doc);
	char *dup = malloc(len + 128);
	assert_non_null(dup);
	sprintf(dup, "%.*s\"content\": " HEX64 ", %s", (int)pre, doc, at);
	expect_refused_str(dup, -EBADMSG, "custody: duplicate member \"content\"");
	at = strstr(doc, "\"custody\": ");
	pre = (size_t)(at - doc);
	sprintf(dup, "%.*s\"custody\": {}, %s", (int)pre, doc, at);
	expect_refused_str(dup, -EBADMSG, "duplicate member \"custody\"");
	free(dup);
	json_decref(root);
	free(doc);

	/* NDJSON: in the header line, and nowhere else. */
	doc = export_mem(g, &info, EXPORT_NDJSON, &len);
	struct lines l;
	split(doc, &l);
	line_set(&l, 0, "custody.signature.sig", HEX64);
	s = join(&l);
	expect_refused_str(s, -EBADMSG, "line 1: custody.signature.sig: expected 128");
	free(s);
	lines_free(&l);
	split(doc, &l);
	line_set(&l, l.n - 1, "custody", "{}");
	s = join(&l);
	expect_refused_str(s, -EBADMSG, "unknown member \"custody\"");
	free(s);
	lines_free(&l);
	split(doc, &l);
	line_set(&l, 1, "custody", "{}");
	s = join(&l);
	expect_refused_str(s, -EBADMSG, "unknown member \"custody\"");
	free(s);
	lines_free(&l);
	free(doc);
	graph_free(g);
}

/*
 * Through two stores: a snapshot signed in one is exported with its
 * custody block, and its signature is kept by the other; the same
 * document edited (its record hashes recomputed) or relabelled is refused
 * there first (STORE_ESIG), nothing written.
 */
static void test_custody_stores(void **state)
{
	(void)state;
	struct tmp t;
	char keyfile[128], a[160], bpath[160];
	struct custody_key key;
	struct store *sa, *sb;
	struct store_header h, hb;
	struct store_stat st;
	uint64_t id, idb;

	tmp_make(&t);
	snprintf(keyfile, sizeof(keyfile), "%s/key", t.dir);
	snprintf(a, sizeof(a), "%s/a", t.dir);
	snprintf(bpath, sizeof(bpath), "%s/b", t.dir);
	assert_int_equal(custody_keygen(keyfile, &key), 0);
	assert_int_equal(store_open(a, STORE_CREATE, &sa), 0);
	assert_int_equal(store_open(bpath, STORE_CREATE, &sb), 0);
	assert_int_equal(store_set_signer(sa, &key), 0);

	struct graph *g = full_graph();
	assert_int_equal(store_put(sa, g, "case-17", &id), 0);
	assert_int_equal(store_header(sa, id, &h), 0);
	assert_true(h.chained);
	assert_true(h.custody.is_signed);
	struct export_info info = { .id = id, .label = "case-17",
				    .has_custody = true,
				    .custody = h.custody };
	struct export_info got;
	struct graph *back;
	char err[256], *doc;
	size_t len;

	/* Edited, hashes recomputed by export_write(): the signature is
	 * the old content's. */
	struct graph *e = full_graph();
	e->procs[1].uid = 0;
	doc = export_mem(e, &info, EXPORT_JSON, &len);
	assert_int_equal(export_read(doc, len, &back, &got, err, sizeof(err)), 0);
	assert_int_equal(store_put_evidence(sb, back, got.label, got.id,
					    &got.custody, &idb), STORE_ESIG);
	graph_free(back);
	free(doc);
	/* Relabelled: the label is signed too. */
	info.label = "case-18";
	doc = export_mem(g, &info, EXPORT_JSON, &len);
	assert_int_equal(export_read(doc, len, &back, &got, err, sizeof(err)), 0);
	assert_int_equal(store_put_evidence(sb, back, got.label, got.id,
					    &got.custody, &idb), STORE_ESIG);
	assert_int_equal(store_stat(sb, &st), 0);
	assert_int_equal(st.snapshots, 0);
	graph_free(back);
	free(doc);

	/* The genuine document: its signature is kept. */
	info.label = "case-17";
	doc = export_mem(g, &info, EXPORT_NDJSON, &len);
	assert_int_equal(export_read(doc, len, &back, &got, err, sizeof(err)), 0);
	assert_same_custody(&h.custody, &got.custody);
	assert_int_equal(store_put_evidence(sb, back, got.label, got.id,
					    &got.custody, &idb), 0);
	assert_int_equal(store_header(sb, idb, &hb), 0);
	assert_true(hb.imported && hb.custody.is_signed);
	assert_memory_equal(hb.custody.key, key.pk, CUSTODY_PK_LEN);
	assert_memory_equal(hb.custody.sig, h.custody.sig, CUSTODY_SIG_LEN);
	assert_memory_equal(hb.custody.content, h.custody.content,
			    CUSTODY_DIGEST_LEN);
	assert_int_equal(hb.custody.sig_id, id);
	graph_free(back);
	free(doc);

	graph_free(e);
	graph_free(g);
	custody_key_wipe(&key);
	store_close(sa);
	store_close(sb);
	tmp_free(&t);
}

/* ---- the fuzz corpus ---------------------------------------------------- */

static void write_seed(const char *dir, const char *name, const char *doc)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(doc, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* A JSON document dumped again with FLAGS (key order, layout). */
static char *redump(const char *doc, size_t flags)
{
	json_error_t e;
	json_t *v = json_loads(doc, 0, &e);
	char *s;

	assert_non_null(v);
	s = jdump(v, flags);
	json_decref(v);
	return s;
}

/*
 * The seeds of fuzz_import made of this file's graphs, written into DIR:
 *
 *   NSNAP_WRITE_CORPUS=tests/fuzz/corpus/import build/asan/test_export
 *
 * (valid-small* and the bad-* seeds are hand-made; valid-v1* are copies
 * of fixtures/store-v3/expect's documents of version 1).
 */
static void write_corpus(const char *dir)
{
	struct graph *g = full_graph(), *gl = layout_graph();
	size_t len;
	char *doc, *s;

	doc = export_mem(g, NULL, EXPORT_NDJSON, &len);
	write_seed(dir, "valid-full.ndjson", doc);
	free(doc);
	doc = export_mem(g, NULL, EXPORT_JSON, &len);
	s = redump(doc, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
	write_seed(dir, "valid-full-sorted.json", s);
	free(s);
	free(doc);
	doc = export_mem(gl, NULL, EXPORT_NDJSON, &len);
	write_seed(dir, "valid-layout.ndjson", doc);
	free(doc);
	doc = export_mem(gl, NULL, EXPORT_JSON, &len);
	s = redump(doc, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
	write_seed(dir, "valid-layout-compact.json", s);
	free(s);
	free(doc);
	struct export_info info = { .id = 3, .label = "l", .has_custody = true,
				    .custody = sample_custody(true, false) };
	doc = export_mem(gl, &info, EXPORT_NDJSON, &len);
	write_seed(dir, "valid-custody.ndjson", doc);
	free(doc);
	graph_free(gl);
	graph_free(g);
}

/* The valid seeds of fuzz_import still import: the corpus follows the
 * format.  Run from the top of the tree, as 'make unit' does. */
static void test_corpus_seeds(void **state)
{
	(void)state;
	const char *corpus = "tests/fuzz/corpus/import";
	const char *out = getenv("NSNAP_WRITE_CORPUS");

	if (out)
		write_corpus(out);
	DIR *d = opendir(corpus);
	struct dirent *de;
	size_t seen = 0;

	if (!d) {
		fprintf(stderr, "%s: not found, skipped\n", corpus);
		return;
	}
	while ((de = readdir(d))) {
		char path[512], *buf;
		struct graph *g;
		struct stat sb;
		char err[256];
		int fd;

		if (strncmp(de->d_name, "valid-", 6))
			continue;
		snprintf(path, sizeof(path), "%s/%s", corpus, de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		assert_true(fd >= 0);
		assert_int_equal(fstat(fd, &sb), 0);
		buf = malloc((size_t)sb.st_size + 1);
		assert_int_equal(read(fd, buf, (size_t)sb.st_size), sb.st_size);
		close(fd);
		int rc = export_read(buf, (size_t)sb.st_size, &g, NULL, err,
				     sizeof(err));
		if (rc)
			fprintf(stderr, "%s: %s\n", path, err);
		assert_int_equal(rc, 0);
		graph_free(g);
		free(buf);
		seen++;
	}
	closedir(d);
	assert_true(seen > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_full),
		cmocka_unit_test(test_round_trip_empty),
		cmocka_unit_test(test_round_trip_layout),
		cmocka_unit_test(test_round_trip_mount_runs),
		cmocka_unit_test(test_hostile_strings),
		cmocka_unit_test(test_string_escapes),
		cmocka_unit_test(test_edited_json),
		cmocka_unit_test(test_edited_layout),
		cmocka_unit_test(test_edited_ndjson),
		cmocka_unit_test(test_facts_refused),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_negative_zero),
		cmocka_unit_test(test_impossible_graphs),
		cmocka_unit_test(test_unknown_refused_unread),
		cmocka_unit_test(test_write_errors),
		cmocka_unit_test(test_store_hashes),
		cmocka_unit_test(test_custody_round_trip),
		cmocka_unit_test(test_custody_refused),
		cmocka_unit_test(test_custody_stores),
		cmocka_unit_test(test_corpus_seeds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
