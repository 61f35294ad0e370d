/*
 * test_codec.c — the record encoding: exact round trips of hand-made graphs
 * (every field, NULL against "", odd layouts) and refusal of damaged input
 * (every truncation, every single-bit flip, hand-made malformed records).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "codec.h"
#include "graph.h"
#include "graphbuild.h"

/* ---- a graph with every field set ----------------------------------------- */

/* Every field of the facts snapshots held before workloads. */
static struct graph *base_graph(void)
{
	struct graph *g = graph_new();
	uint32_t init[NS_NTYPES], cont[NS_NTYPES], odd, odd2;
	struct graph_proc *p;
	struct graph_task *t;
	struct graph_mount *m;

	assert_non_null(g);
	g->meta = (struct graph_meta){
		.start_ns = 1700000000123456789,
		.end_ns = 1700000000173456789,
		.hostname = graph_strdup(g, "host\twith tab"),
		.kernel = graph_strdup(g, "6.1.0-13-amd64"),
		.boot_id = NULL,
		.capturer_pid = 4242,
		.collected = GRAPH_HAVE_EVERYTHING,
		.types_present = NS_ALL_TYPES & ~NS_TYPE_BIT(NS_TIME),
		.nsfs_dev = 4,
	};
	gb_sample_namespaces(g, init, cont, &odd, &odd2);

	/* pid 1: three threads, one in another net namespace; two fds. */
	p = gb_sample_pid1(g, init, cont);
	p->ppid = 0;
	p->uid = 0;

	/* A container process: other namespaces, NStgid with a tab. */
	p = graph_proc_append(g, 4000);
	p->flags = GRAPH_PROC_LISTED;
	p->ppid = 1;
	p->uid = 100000;
	p->start_time = UINT64_MAX;
	p->comm = graph_strdup(g, "sh");
	p->nstgid = graph_strdup(g, "4000\t1");
	gb_links_own(&p->links, cont, 0);
	p->links.pid_for_children = init[NS_PID];
	p->task_err = 0;
	p->fd_err = EACCES;
	t = graph_task_append(g, 4000);
	t->comm = graph_strdup(g, "sh");
	t->links = p->links;
	p = &g->procs[1];
	p->ntasks = 1;

	/* Unreadable: NULL comm, NULL nstgid with an error, links missing. */
	p = graph_proc_append(g, -7);
	p->flags = 0;
	p->ppid = -1;
	p->comm = NULL;
	p->nstgid = NULL;
	p->status_err = EACCES;
	uint32_t none[NS_NTYPES];
	for (unsigned ty = 0; ty < NS_NTYPES; ty++)
		none[ty] = GRAPH_NONE;
	gb_links_own(&p->links, none, ENOENT);
	p->task_err = ENOENT;

	/* No NStgid line at all, links not collected (left blank). */
	p = graph_proc_append(g, INT32_MIN);
	p->flags = 0xffffffffu;
	p->comm = graph_strdup(g, "");
	p->nstgid = NULL;
	p->status_err = 0;

	/* Mounts: two in the initial mount ns, one elsewhere, odd values. */
	m = graph_mount_append(g);
	*m = (struct graph_mount){ init[NS_MNT], cont[NS_NET], 0, 0,
				   graph_strdup(g, "/run/netns/a") };
	m = graph_mount_append(g);
	*m = (struct graph_mount){ init[NS_MNT], GRAPH_NONE, ENOENT, 0,
				   graph_strdup(g, "/run/netns/with\\040space") };
	m = graph_mount_append(g);
	*m = (struct graph_mount){ cont[NS_MNT], cont[NS_USER], 0, ENOENT, NULL };
	m = graph_mount_append(g);
	*m = (struct graph_mount){ GRAPH_NONE, GRAPH_NONE, EIO, -1, graph_strdup(g, "") };

	assert_int_equal(graph_gap_add(g, 123, 0, EACCES, "ns/net"), 0);
	assert_int_equal(graph_gap_add(g, 123, 124, ENOENT, "fd"), 0);
	assert_int_equal(graph_gap_add(g, 0, 0, 0, "x"), 0);
	g->gaps[2].what = NULL;
	return g;
}

/* And every workload fact: records of version 2. */
static struct graph *full_graph(void)
{
	struct graph *g = base_graph();
	uint32_t init[NS_NTYPES], cont[NS_NTYPES];

	for (unsigned ty = 0; ty < NS_NTYPES; ty++) {
		init[ty] = (uint32_t)ty;
		cont[ty] = (uint32_t)(NS_NTYPES + ty);
	}
	gb_sample_facts(g, init, cont);
	return g;
}

/* What a snapshot of before could hold: records of version 1. */
static struct graph *v1_graph(void)
{
	struct graph *g = base_graph();

	g->meta.collected = GRAPH_HAVE_V1;
	for (size_t i = 0; i < g->nns; i++)
		g->ns[i].flags &= GRAPH_NS_HAS_ID | GRAPH_NS_HAS_CREATOR;
	for (size_t i = 0; i < g->nprocs; i++)
		g->procs[i].flags &= GRAPH_PROC_LISTED;
	assert_true(codec_graph_v1(g));
	return g;
}

/* ---- helpers ------------------------------------------------------------ */

static void assert_same_records(const struct codec_snapshot *a,
				const struct codec_snapshot *b)
{
#define SAME(x, y) do { \
	assert_int_equal((x).len, (y).len); \
	if ((x).len) assert_memory_equal((x).data, (y).data, (x).len); \
} while (0)
	SAME(a->meta, b->meta);
	SAME(a->layout, b->layout);
	assert_int_equal(a->nns, b->nns);
	assert_int_equal(a->nprocs, b->nprocs);
	assert_int_equal(a->nmounts, b->nmounts);
	for (size_t i = 0; i < a->nns; i++)
		SAME(a->ns[i], b->ns[i]);
	for (size_t i = 0; i < a->nprocs; i++)
		SAME(a->procs[i], b->procs[i]);
	for (size_t i = 0; i < a->nmounts; i++)
		SAME(a->mounts[i], b->mounts[i]);
#undef SAME
}

/* Encode, decode, compare; and re-encoding gives the very same bytes. */
static void round_trip(const struct graph *g)
{
	struct codec_snapshot s, s2;
	struct graph *back;

	assert_int_equal(codec_encode_graph(g, &s), 0);
	assert_int_equal(codec_decode_graph(&s, &back), 0);
	assert_true(gb_same_graph(g, back));
	assert_int_equal(codec_encode_graph(back, &s2), 0);
	assert_same_records(&s, &s2);
	codec_snapshot_free(&s);
	codec_snapshot_free(&s2);
	graph_free(back);
}

/* A writable copy of an encoded snapshot, each record in its own exact
 * heap block so that ASan sees any read past its end. */
struct copy {
	struct codec_snapshot s;
	uint8_t *blocks[64];
	size_t nblocks;
};

static struct codec_rec dup_rec(struct copy *c, struct codec_rec r)
{
	uint8_t *p = malloc(r.len ? r.len : 1);

	assert_non_null(p);
	assert_true(c->nblocks < 64);
	memcpy(p, r.data, r.len);
	c->blocks[c->nblocks++] = p;
	return (struct codec_rec){ p, r.len };
}

static void copy_make(struct copy *c, const struct codec_snapshot *s)
{
	memset(c, 0, sizeof(*c));
	c->s.meta = dup_rec(c, s->meta);
	c->s.capture = s->capture;
	c->s.layout = s->layout.len ? dup_rec(c, s->layout) : s->layout;
	c->s.nns = s->nns;
	c->s.nprocs = s->nprocs;
	c->s.nmounts = s->nmounts;
	c->s.ns = calloc(s->nns + 1, sizeof(*c->s.ns));
	c->s.procs = calloc(s->nprocs + 1, sizeof(*c->s.procs));
	c->s.mounts = calloc(s->nmounts + 1, sizeof(*c->s.mounts));
	for (size_t i = 0; i < s->nns; i++)
		c->s.ns[i] = dup_rec(c, s->ns[i]);
	for (size_t i = 0; i < s->nprocs; i++)
		c->s.procs[i] = dup_rec(c, s->procs[i]);
	for (size_t i = 0; i < s->nmounts; i++)
		c->s.mounts[i] = dup_rec(c, s->mounts[i]);
}

static void copy_free(struct copy *c)
{
	for (size_t i = 0; i < c->nblocks; i++)
		free(c->blocks[i]);
	free(c->s.ns);
	free(c->s.procs);
	free(c->s.mounts);
}

/* The records worth damaging: pointers to the record slots in C. */
static size_t victims(struct copy *c, struct codec_rec **v, size_t max)
{
	size_t n = 0;

	v[n++] = &c->s.meta;
	if (c->s.layout.len)
		v[n++] = &c->s.layout;
	for (size_t i = 0; i < c->s.nns && n < max; i += 5)
		v[n++] = &c->s.ns[i];
	for (size_t i = 0; i < c->s.nprocs && n < max; i++)
		v[n++] = &c->s.procs[i];
	for (size_t i = 0; i < c->s.nmounts && n < max; i++)
		v[n++] = &c->s.mounts[i];
	return n;
}

/* ---- tests -------------------------------------------------------------- */

static void test_round_trip_full(void **state)
{
	(void)state;
	struct graph *g = full_graph();
	struct codec_snapshot s;

	round_trip(g);
	assert_int_equal(codec_encode_graph(g, &s), 0);
	/* Canonical slices: no layout record; mounts in three runs. */
	assert_int_equal(s.layout.len, 0);
	assert_int_equal(s.nmounts, 3);
	assert_int_equal(s.nns, g->nns);
	assert_int_equal(s.nprocs, g->nprocs);
	codec_snapshot_free(&s);
	graph_free(g);
}

static void test_round_trip_empty(void **state)
{
	(void)state;
	struct graph *g = graph_new();

	round_trip(g);
	g->meta.hostname = graph_strdup(g, "");
	round_trip(g);
	graph_free(g);
}

/* Slices that are not back to back: threads listed out of process order,
 * one thread no process claims, two processes sharing an fd slice. */
static void test_round_trip_layout(void **state)
{
	(void)state;
	struct graph *g = full_graph();
	struct codec_snapshot s;

	g->procs[0].first_task = 1;
	g->procs[0].ntasks = 3;
	g->procs[1].first_task = 0;
	g->procs[1].ntasks = 1;
	g->procs[3].first_fd = 0;
	g->procs[3].nfds = 2;
	struct graph_task *t = graph_task_append(g, 99999);
	t->comm = graph_strdup(g, "orphan");
	round_trip(g);
	assert_int_equal(codec_encode_graph(g, &s), 0);
	assert_true(s.layout.len > 0);
	codec_snapshot_free(&s);

	/* A zero-length slice at an unusual place is kept as well. */
	graph_free(g);
	g = full_graph();
	g->procs[2].first_task = 0;
	round_trip(g);
	graph_free(g);
}

static void test_round_trip_mount_runs(void **state)
{
	(void)state;
	struct graph *g = full_graph();
	struct codec_snapshot s;

	/* Not grouped by mount namespace: the order still survives. */
	struct graph_mount *m = graph_mount_append(g);
	*m = g->mounts[0];
	m->path = graph_strdup(g, "/again");
	round_trip(g);
	assert_int_equal(codec_encode_graph(g, &s), 0);
	assert_int_equal(s.nmounts, 4);
	codec_snapshot_free(&s);
	graph_free(g);
}

static void test_encode_rejects(void **state)
{
	(void)state;
	struct codec_snapshot s;
	struct graph *g;

	g = full_graph();
	g->ns[3].owner = (uint32_t)g->nns;
	assert_int_equal(codec_encode_graph(g, &s), -EINVAL);
	graph_free(g);

	g = full_graph();
	g->ns[0].type = NS_NTYPES;
	assert_int_equal(codec_encode_graph(g, &s), -EINVAL);
	graph_free(g);

	g = full_graph();
	g->procs[1].first_task = (uint32_t)g->ntasks;
	assert_int_equal(codec_encode_graph(g, &s), -EINVAL);
	graph_free(g);

	g = full_graph();
	g->tasks[0].links.ns[NS_UTS] = 100000;
	assert_int_equal(codec_encode_graph(g, &s), -EINVAL);
	graph_free(g);

	g = full_graph();
	g->mounts[0].mntns = (uint32_t)g->nns + 1;
	assert_int_equal(codec_encode_graph(g, &s), -EINVAL);
	graph_free(g);

	/* Two namespaces with one key: references would be ambiguous. */
	g = full_graph();
	g->ns[1].key = g->ns[0].key;
	assert_int_equal(codec_encode_graph(g, &s), -EINVAL);
	graph_free(g);
}

/*
 * Records that are each sound but together make a graph the kernel cannot
 * produce: the encoder never writes one, the decoder refuses it.  Two
 * user namespaces A and B, A owned by B in one graph and B by A in the
 * other; A's record from the first and B's from the second make a cycle.
 */
static void test_decode_refuses_impossible(void **state)
{
	(void)state;
	struct codec_snapshot x, y, mixed;
	struct graph *g[2], *out;
	uint32_t a, b;
	bool added;

	for (int k = 0; k < 2; k++) {
		g[k] = graph_new();
		assert_non_null(g[k]);
		a = graph_ns_add(g[k], (struct ns_key){ 4, 100 }, NS_USER, &added);
		b = graph_ns_add(g[k], (struct ns_key){ 4, 101 }, NS_USER, &added);
		uint32_t child = k ? b : a, owner = k ? a : b;
		g[k]->ns[child].owner = g[k]->ns[child].parent = owner;
		g[k]->ns[child].owner_err = g[k]->ns[child].parent_err = 0;
		g[k]->ns[owner].owner_err = g[k]->ns[owner].parent_err = EPERM;
	}
	assert_int_equal(codec_encode_graph(g[0], &x), 0);
	assert_int_equal(codec_encode_graph(g[1], &y), 0);
	assert_int_equal(codec_decode_graph(&x, &out), 0);
	graph_free(out);

	struct codec_rec ns[2] = { x.ns[0], y.ns[1] };
	mixed = x;
	mixed.ns = ns;
	mixed.buf = NULL;
	assert_int_equal(codec_decode_graph(&mixed, &out), -EBADMSG);
	assert_null(out);

	/* The same cycle handed to the encoder directly. */
	g[0]->ns[b].owner = g[0]->ns[b].parent = a;
	g[0]->ns[b].owner_err = g[0]->ns[b].parent_err = 0;
	assert_int_equal(codec_encode_graph(g[0], &mixed), -EINVAL);

	codec_snapshot_free(&x);
	codec_snapshot_free(&y);
	graph_free(g[0]);
	graph_free(g[1]);
}

static void test_primitives(void **state)
{
	(void)state;
	static const uint64_t uvs[] = { 0, 1, 127, 128, 300, UINT32_MAX,
					(uint64_t)1 << 63, UINT64_MAX };
	static const int64_t svs[] = { 0, -1, 1, -64, 64, INT32_MIN,
				       INT64_MIN, INT64_MAX };
	struct codec_buf b;
	struct codec_rd r;
	size_t len;

	codec_buf_init(&b);
	for (size_t i = 0; i < sizeof(uvs) / sizeof(uvs[0]); i++)
		codec_put_uv(&b, uvs[i]);
	for (size_t i = 0; i < sizeof(svs) / sizeof(svs[0]); i++)
		codec_put_sv(&b, svs[i]);
	codec_put_str(&b, NULL);
	codec_put_str(&b, "");
	codec_put_str(&b, "abc");
	codec_put_be64(&b, 0x0102030405060708ull);
	assert_int_equal(b.err, 0);
	codec_rd_init(&r, b.data, b.len);
	for (size_t i = 0; i < sizeof(uvs) / sizeof(uvs[0]); i++)
		assert_true(codec_get_uv(&r, UINT64_MAX) == uvs[i]);
	for (size_t i = 0; i < sizeof(svs) / sizeof(svs[0]); i++)
		assert_true(codec_get_sv(&r, INT64_MIN, INT64_MAX) == svs[i]);
	assert_null(codec_get_str(&r, &len));
	assert_non_null(codec_get_str(&r, &len));
	assert_int_equal(len, 0);
	const char *s = codec_get_str(&r, &len);
	assert_int_equal(len, 3);
	assert_memory_equal(s, "abc", 3);
	assert_true(codec_get_be64(&r) == 0x0102030405060708ull);
	assert_int_equal(codec_rd_end(&r), 0);
	assert_memory_equal(b.data + b.len - 8, "\1\2\3\4\5\6\7\10", 8);
	codec_buf_free(&b);

	/* Overlong, too long, out of range, past the end. */
	static const uint8_t overlong[] = { 0x80, 0x00 };
	codec_rd_init(&r, overlong, sizeof(overlong));
	codec_get_uv(&r, UINT64_MAX);
	assert_int_equal(codec_rd_end(&r), -EBADMSG);
	static const uint8_t eleven[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					  0xff, 0xff, 0xff, 0x7f };
	codec_rd_init(&r, eleven, sizeof(eleven));
	codec_get_uv(&r, UINT64_MAX);
	assert_int_equal(codec_rd_end(&r), -EBADMSG);
	static const uint8_t big[] = { 0x80, 0x80, 0x80, 0x80, 0x10 };
	codec_rd_init(&r, big, sizeof(big));
	codec_get_uv(&r, UINT32_MAX);
	assert_int_equal(codec_rd_end(&r), -EBADMSG);
	static const uint8_t nul[] = { 0x03, 'a', 0 };
	codec_rd_init(&r, nul, sizeof(nul));
	assert_null(codec_get_str(&r, &len));
	assert_int_equal(codec_rd_end(&r), -EBADMSG);
	static const uint8_t longstr[] = { 0x05, 'a', 'b' };
	codec_rd_init(&r, longstr, sizeof(longstr));
	assert_null(codec_get_str(&r, &len));
	assert_int_equal(codec_rd_end(&r), -EBADMSG);
	/* A count that cannot fit in what is left is refused up front. */
	static const uint8_t count[] = { 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2 };
	codec_rd_init(&r, count, sizeof(count));
	assert_int_equal(codec_get_count(&r, 1), 0);
	assert_int_equal(codec_rd_end(&r), -EBADMSG);
	static const uint8_t ok[] = { 0x01 };
	codec_rd_init(&r, ok, sizeof(ok));
	assert_int_equal(codec_get_u8(&r), 1);
	assert_int_equal(codec_get_u8(&r), 0);
	assert_int_equal(codec_rd_end(&r), -EBADMSG);
}

/* Every truncation of a few records is refused; none is read past. */
static void test_truncations(void **state)
{
	(void)state;
	struct graph *g = full_graph();
	struct codec_snapshot s;
	struct copy c;
	struct codec_rec *v[16];
	struct graph *out;
	size_t tried = 0;

	/* The layout record is a record too: make one exist. */
	g->procs[2].first_task = 0;
	assert_int_equal(codec_encode_graph(g, &s), 0);
	assert_true(s.layout.len > 0);
	copy_make(&c, &s);
	size_t n = victims(&c, v, 16);
	for (size_t k = 0; k < n; k++) {
		struct codec_rec orig = *v[k];
		/* An empty layout slot means "no layout record": legal. */
		for (size_t len = v[k] == &c.s.layout; len < orig.len; len++) {
			uint8_t *p = malloc(len ? len : 1);
			memcpy(p, orig.data, len);
			*v[k] = (struct codec_rec){ p, len };
			assert_int_equal(codec_decode_graph(&c.s, &out), -EBADMSG);
			assert_null(out);
			free(p);
			tried++;
		}
		*v[k] = orig;
	}
	assert_int_equal(codec_decode_graph(&c.s, &out), 0);
	graph_free(out);
	assert_true(tried > 200);
	copy_free(&c);
	codec_snapshot_free(&s);
	graph_free(g);
}

/*
 * Every single-bit flip: never a crash; a flipped record is either refused
 * or, being another valid record, re-encodes to exactly its bytes (the
 * store's hashes, not the codec, catch that kind of damage).
 */
static void test_bit_flips(void **state)
{
	(void)state;
	struct graph *g = full_graph();
	struct codec_snapshot s, s2;
	struct copy c;
	struct codec_rec *v[16];
	struct graph *out;
	size_t refused = 0, accepted = 0;

	assert_int_equal(codec_encode_graph(g, &s), 0);
	copy_make(&c, &s);
	size_t n = victims(&c, v, 16);
	for (size_t k = 0; k < n; k++) {
		uint8_t *p = (uint8_t *)v[k]->data;
		for (size_t bit = 0; bit < v[k]->len * 8; bit++) {
			p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			int ret = codec_decode_graph(&c.s, &out);
			if (ret) {
				assert_int_equal(ret, -EBADMSG);
				refused++;
			} else {
				assert_int_equal(codec_encode_graph(out, &s2), 0);
				assert_same_records(&c.s, &s2);
				codec_snapshot_free(&s2);
				graph_free(out);
				accepted++;
			}
			p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
	}
	/* Kind and version bytes alone give 16 refusals per record. */
	assert_true(refused > 16 * n);
	assert_true(accepted > 0);
	copy_free(&c);
	codec_snapshot_free(&s);
	graph_free(g);
}

static void test_malformed(void **state)
{
	(void)state;
	struct graph *g = full_graph();
	struct codec_snapshot s;
	struct copy c;
	struct graph *out;
	struct codec_rec saved;

	assert_int_equal(codec_encode_graph(g, &s), 0);
	copy_make(&c, &s);

	/* The same namespace twice. */
	saved = c.s.ns[1];
	c.s.ns[1] = c.s.ns[0];
	assert_int_equal(codec_decode_graph(&c.s, &out), -EBADMSG);
	c.s.ns[1] = saved;

	/* A process referring to a namespace that is not there. */
	c.s.nns--;
	assert_int_equal(codec_decode_graph(&c.s, &out), -EBADMSG);
	c.s.nns++;

	/* A record of the wrong kind in a slot. */
	saved = c.s.procs[0];
	c.s.procs[0] = c.s.ns[0];
	assert_int_equal(codec_decode_graph(&c.s, &out), -EBADMSG);
	c.s.procs[0] = saved;

	/* Two adjacent runs of one mount namespace. */
	saved = c.s.mounts[1];
	c.s.mounts[1] = c.s.mounts[0];
	assert_int_equal(codec_decode_graph(&c.s, &out), -EBADMSG);
	c.s.mounts[1] = saved;

	/* A layout record for a canonical layout is not canonical. */
	struct graph *g2 = full_graph();
	struct codec_snapshot s2;
	g2->procs[2].first_task = 0;
	assert_int_equal(codec_encode_graph(g2, &s2), 0);
	c.s.layout = s2.layout;
	assert_int_equal(codec_decode_graph(&c.s, &out), -EBADMSG);
	c.s.layout = (struct codec_rec){ 0 };
	codec_snapshot_free(&s2);
	graph_free(g2);

	/* A newer record version, a trailing byte. */
	uint8_t *meta = (uint8_t *)c.s.meta.data;
	meta[1] = CODEC_META_FACTS + 1;
	assert_int_equal(codec_decode_graph(&c.s, &out), -EBADMSG);
	/* Records of one version with a meta record of the other. */
	meta[1] = CODEC_META_VERSION;
	assert_int_equal(codec_decode_graph(&c.s, &out), -EBADMSG);
	meta[1] = CODEC_META_FACTS;
	uint8_t *longer = malloc(c.s.meta.len + 1);
	memcpy(longer, c.s.meta.data, c.s.meta.len);
	longer[c.s.meta.len] = 0;
	saved = c.s.meta;
	c.s.meta = (struct codec_rec){ longer, saved.len + 1 };
	assert_int_equal(codec_decode_graph(&c.s, &out), -EBADMSG);
	c.s.meta = saved;
	free(longer);

	/* A hand-made mount run with zero mounts. */
	static const uint8_t empty_run[] = { 'M', 1, 0, 0 };
	saved = c.s.mounts[0];
	c.s.mounts[0] = (struct codec_rec){ empty_run, sizeof(empty_run) };
	assert_int_equal(codec_decode_graph(&c.s, &out), -EBADMSG);
	c.s.mounts[0] = saved;

	/* A task whose links spell out a slot equal to the process's. */
	struct codec_buf b;
	codec_buf_init(&b);
	codec_put_u8(&b, 'P');
	codec_put_u8(&b, CODEC_VERSION_FACTS);
	codec_put_sv(&b, 5);     /* pid */
	codec_put_uv(&b, 0);     /* flags */
	codec_put_sv(&b, 0);     /* ppid */
	codec_put_uv(&b, 0);     /* uid */
	codec_put_uv(&b, 0);     /* start */
	codec_put_str(&b, NULL);
	codec_put_str(&b, NULL);
	codec_put_sv(&b, 0);
	codec_put_uv(&b, 0x3ff); /* links: all blank */
	codec_put_sv(&b, 0);
	codec_put_sv(&b, 0);
	codec_put_uv(&b, 0);     /* identity: no cmdline, exe, cgroup */
	codec_put_uv(&b, 0);
	codec_put_uv(&b, 0);
	for (int k = 0; k < 5; k++)
		codec_put_uv(&b, 0);     /* uids, gids, capabilities */
	codec_put_u8(&b, 0);
	codec_put_u8(&b, 0);
	codec_put_uv(&b, 0);     /* no login, no session */
	codec_put_uv(&b, 0);
	codec_put_str(&b, NULL); /* no workload */
	codec_put_uv(&b, 1);     /* one task */
	codec_put_sv(&b, 5);
	codec_put_str(&b, NULL);
	codec_put_uv(&b, 0x3fe); /* slot 0 spelled out... */
	codec_put_u8(&b, 0);     /* ...as GRAPH_NONE */
	codec_put_sv(&b, ENODATA); /* with ENODATA: same as the base */
	codec_put_uv(&b, 0);     /* no fds */
	saved = c.s.procs[0];
	c.s.procs[0] = (struct codec_rec){ b.data, b.len };
	c.s.nprocs = 1;
	assert_int_equal(codec_decode_graph(&c.s, &out), -EBADMSG);
	/* With a real difference (EIO) it is accepted. */
	b.data[b.len - 2] = EIO * 2;
	assert_int_equal(codec_decode_graph(&c.s, &out), 0);
	assert_int_equal(out->tasks[0].links.err[0], EIO);
	graph_free(out);
	c.s.procs[0] = saved;
	c.s.nprocs = s.nprocs;
	codec_buf_free(&b);

	copy_free(&c);
	codec_snapshot_free(&s);
	graph_free(g);
}

static void test_header(void **state)
{
	(void)state;
	struct codec_header h = {
		.id = 42, .start_ns = -1, .end_ns = INT64_MAX,
		.label = { "before upgrade", 14 }, .host = { NULL, 0 },
		.boot_id = { "", 0 }, .kernel = { "6.1", 3 },
		.nns = 1, .nprocs = 2, .ntasks = 3, .nfds = 4, .nmounts = 5,
		.nruns = 6, .ngaps = 7, .size = 8, .added = 9,
		.has_layout = true,
	}, back;
	struct codec_buf b, b2;

	memset(h.meta.b, 0xaa, 16);
	memset(h.layout.b, 0xbb, 16);
	memset(h.digest.b, 0xcc, 16);
	codec_buf_init(&b);
	assert_int_equal(codec_encode_header(&h, &b), 0);
	assert_int_equal(codec_decode_header(b.data, b.len, &back), 0);
	assert_int_equal(back.id, 42);
	assert_int_equal(back.start_ns, -1);
	assert_true(back.end_ns == INT64_MAX);
	assert_int_equal(back.label.len, 14);
	assert_memory_equal(back.label.p, "before upgrade", 14);
	assert_null(back.host.p);
	assert_non_null(back.boot_id.p);
	assert_int_equal(back.boot_id.len, 0);
	assert_int_equal(back.nruns, 6);
	assert_int_equal(back.added, 9);
	assert_true(back.has_layout);
	assert_memory_equal(back.layout.b, h.layout.b, 16);
	assert_memory_equal(back.digest.b, h.digest.b, 16);
	codec_buf_init(&b2);
	assert_int_equal(codec_encode_header(&back, &b2), 0);
	assert_int_equal(b.len, b2.len);
	assert_memory_equal(b.data, b2.data, b.len);
	codec_buf_free(&b2);

	/* Checksummed: every truncation and every bit flip is refused. */
	for (size_t len = 0; len < b.len; len++) {
		uint8_t *p = malloc(len ? len : 1);
		memcpy(p, b.data, len);
		assert_int_equal(codec_decode_header(p, len, &back), -EBADMSG);
		free(p);
	}
	for (size_t bit = 0; bit < b.len * 8; bit++) {
		b.data[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_int_equal(codec_decode_header(b.data, b.len, &back), -EBADMSG);
		b.data[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	codec_buf_free(&b);
}

static void test_list(void **state)
{
	(void)state;
	struct codec_hash h[3];
	struct codec_buf b;
	const uint8_t *p;
	size_t n;

	for (int i = 0; i < 3; i++)
		memset(h[i].b, i + 1, 16);
	codec_buf_init(&b);
	assert_int_equal(codec_encode_list(h, 3, &b), 0);
	assert_int_equal(b.len, 2 + 1 + 48);
	assert_int_equal(codec_decode_list(b.data, b.len, &p, &n), 0);
	assert_int_equal(n, 3);
	assert_memory_equal(p, h, 48);
	for (size_t len = 0; len < b.len; len++)
		assert_int_equal(codec_decode_list(b.data, len, &p, &n), -EBADMSG);
	b.data[2] = 4;  /* claims more hashes than there are */
	assert_int_equal(codec_decode_list(b.data, b.len, &p, &n), -EBADMSG);
	codec_buf_free(&b);

	codec_buf_init(&b);
	assert_int_equal(codec_encode_list(NULL, 0, &b), 0);
	assert_int_equal(codec_decode_list(b.data, b.len, &p, &n), 0);
	assert_int_equal(n, 0);
	codec_buf_free(&b);
}

/*
 * A meta record of version 1, as stores and exports written before the
 * capture moved to the header hold it: it is the whole record of the
 * version 2 one, decodes to the same graph without a capture from outside,
 * and counts with the same hash.
 */
static void test_meta_versions(void **state)
{
	(void)state;
	struct graph *g = v1_graph(), *back;
	struct codec_snapshot s, old;
	struct codec_hash h1, h2, k;
	struct codec_buf whole;

	g->meta.capturer_pid = 4321;
	assert_int_equal(codec_encode_graph(g, &s), 0);
	assert_int_equal(s.meta.data[1], CODEC_META_VERSION);
	assert_true(s.capture.start_ns == g->meta.start_ns);
	assert_true(s.capture.end_ns == g->meta.end_ns);
	assert_int_equal(s.capture.capturer_pid, 4321);

	/* Version 1 laid out by hand: the capture around the strings. */
	struct codec_buf v1, strs;
	codec_buf_init(&strs);
	codec_put_str(&strs, g->meta.hostname);
	codec_put_str(&strs, g->meta.kernel);
	codec_put_str(&strs, g->meta.boot_id);
	assert_memory_equal(s.meta.data + 2, strs.data, strs.len);
	codec_buf_init(&v1);
	codec_put_u8(&v1, 'G');
	codec_put_u8(&v1, 1);
	codec_put_sv(&v1, g->meta.start_ns);
	codec_put_sv(&v1, g->meta.end_ns);
	codec_put_bytes(&v1, strs.data, strs.len);
	codec_put_sv(&v1, g->meta.capturer_pid);
	codec_put_bytes(&v1, s.meta.data + 2 + strs.len,
			s.meta.len - 2 - strs.len);

	codec_buf_init(&whole);
	assert_int_equal(codec_meta_whole(&s.meta, &s.capture, &whole), 0);
	assert_int_equal(whole.len, v1.len);
	assert_memory_equal(whole.data, v1.data, v1.len);
	codec_buf_free(&v1);
	codec_buf_free(&strs);
	assert_int_equal(whole.data[1], 1);
	assert_true(whole.len > s.meta.len);
	assert_int_equal(codec_meta_hash(&s.meta, &s.capture, &h2), 0);
	codec_hash(whole.data, whole.len, &h1);
	assert_memory_equal(h1.b, h2.b, 16);
	/* The key differs: the record kept is the one without the capture. */
	codec_hash(s.meta.data, s.meta.len, &k);
	assert_memory_not_equal(k.b, h1.b, 16);
	/* A version 1 record is its own whole record. */
	struct codec_rec w = { whole.data, whole.len };
	struct codec_capture none = { 0 };
	assert_int_equal(codec_meta_hash(&w, &none, &h2), 0);
	assert_memory_equal(h1.b, h2.b, 16);

	/* Decoded from version 1, with a capture from outside that it
	 * ignores: the same graph, capture included. */
	old = s;
	old.meta = w;
	old.capture = (struct codec_capture){ .start_ns = 1, .end_ns = 2,
					      .capturer_pid = 3 };
	assert_int_equal(codec_decode_graph(&old, &back), 0);
	assert_true(gb_same_graph(g, back));
	graph_free(back);
	/* From version 2 the capture is the one given. */
	old.meta = s.meta;
	assert_int_equal(codec_decode_graph(&old, &back), 0);
	assert_true(back->meta.start_ns == 1 && back->meta.end_ns == 2);
	assert_int_equal(back->meta.capturer_pid, 3);
	graph_free(back);

	/* Not a meta record, or a cut one: refused. */
	struct codec_rec bad = { s.ns[0].data, s.ns[0].len };
	assert_int_equal(codec_meta_hash(&bad, &s.capture, &h2), -EBADMSG);
	bad = (struct codec_rec){ s.meta.data, 3 };
	assert_int_equal(codec_meta_hash(&bad, &s.capture, &h2), -EBADMSG);
	bad = (struct codec_rec){ s.meta.data, 1 };
	assert_int_equal(codec_meta_hash(&bad, &s.capture, &h2), -EBADMSG);
	codec_buf_free(&whole);
	codec_snapshot_free(&s);
	graph_free(g);
}

/* Headers of versions 1 to 4 decode and encode back as they were; what
 * is written now is version 5, with the capturer's PID, the imported
 * byte (both from version 3 on), the vantage point (from version 4 on)
 * and the custody block. */
static void test_header_versions(void **state)
{
	(void)state;
	struct codec_header h = {
		.id = 5, .start_ns = 10, .end_ns = 20, .capturer_pid = 77,
		.label = { "x", 1 }, .nns = 2, .size = 30, .added = 30,
		.original_id = 9,
		.vantage = { .known = true, .uid = 1000, .euid = 1000,
			     .cap_eff = 0x3, .own[NS_PID] = { 4, 0xEFFFFFFCu },
			     .initial = NS_TYPE_BIT(NS_PID),
			     .initial_known = NS_TYPE_BIT(NS_PID),
			     .proc_own_pidns = true,
			     .facilities = GRAPH_VP_NS_GET_ID, .btime = 1700000000,
			     .boot_start_ns = 5, .boot_end_ns = 6 },
		.vp_version = { "0.1", 3 },
	}, back;
	struct codec_buf b;

	for (int imported = 0; imported < 2; imported++) {
		h.imported = imported;
		for (uint8_t v = 0; v <= CODEC_HEADER_VERSION; v++) {
			h.version = v;
			codec_buf_init(&b);
			assert_int_equal(codec_encode_header(&h, &b), 0);
			uint8_t want = v == 0 || v >= 3 ? (v ? v : CODEC_HEADER_VERSION)
				       : imported ? 2 : 1;
			assert_int_equal(b.data[1], want);
			assert_int_equal(codec_decode_header(b.data, b.len,
							     &back), 0);
			assert_int_equal(back.version, want);
			assert_int_equal(back.imported, imported);
			assert_int_equal(back.original_id, imported ? 9 : 0);
			assert_int_equal(back.capturer_pid, want >= 3 ? 77 : 0);
			/* The vantage block from version 4 on. */
			assert_int_equal(back.vantage.known, want >= 4);
			if (want >= 4) {
				assert_int_equal(back.vantage.uid, 1000);
				assert_int_equal(back.vantage.own[NS_PID].ino,
						 0xEFFFFFFCu);
				assert_int_equal(back.vantage.facilities,
						 GRAPH_VP_NS_GET_ID);
				assert_int_equal(back.vantage.boot_end_ns, 6);
				assert_int_equal(back.vp_version.len, 3);
			}
			assert_true(back.start_ns == 10 && back.end_ns == 20);
			struct codec_buf b2;
			codec_buf_init(&b2);
			assert_int_equal(codec_encode_header(&back, &b2), 0);
			assert_int_equal(b2.len, b.len);
			assert_memory_equal(b2.data, b.data, b.len);
			codec_buf_free(&b2);
			codec_buf_free(&b);
		}
	}
	h.version = CODEC_HEADER_VERSION + 1;
	codec_buf_init(&b);
	assert_int_equal(codec_encode_header(&h, &b), -EINVAL);
	codec_buf_free(&b);
}

/* The record hash is XXH3-128, canonical: a store's keys depend on it.
 * The digest is the same whether its hashes come whole or in pieces. */
static void test_hash_digest(void **state)
{
	(void)state;
	static const uint8_t empty[16] = {
		0x99, 0xaa, 0x06, 0xd3, 0x01, 0x47, 0x98, 0xd8,
		0x60, 0x01, 0xc3, 0x24, 0x46, 0x8d, 0x49, 0x7f,
	};
	struct codec_hash h[5], whole, pieces, again;
	struct codec_digest d;

	codec_hash("", 0, &h[0]);
	assert_memory_equal(h[0].b, empty, 16);
	for (int i = 0; i < 5; i++)
		codec_hash("nsnap", (size_t)i + 1, &h[i]);
	codec_digest(h, 5, &whole);
	assert_int_equal(codec_digest_begin(&d), 0);
	codec_digest_add(&d, &h[0], 1);
	codec_digest_add(&d, &h[1], 0);
	codec_digest_add(&d, &h[1], 3);
	codec_digest_add(&d, &h[4], 1);
	codec_digest_end(&d, &pieces);
	assert_memory_equal(whole.b, pieces.b, 16);
	/* Over the hashes' bytes, so their order counts. */
	codec_hash(h, sizeof(h), &again);
	assert_memory_equal(whole.b, again.b, 16);
	struct codec_hash t = h[0];
	h[0] = h[1];
	h[1] = t;
	codec_digest(h, 5, &again);
	assert_memory_not_equal(whole.b, again.b, 16);
	/* Given up half-way: nothing leaks. */
	assert_int_equal(codec_digest_begin(&d), 0);
	codec_digest_add(&d, h, 2);
	codec_digest_free(&d);
	codec_digest_free(&d);
}


/*
 * The workload facts: a graph of before is written in the old layouts,
 * byte for byte, and decodes with blank facts; one with any fact in the
 * new ones; workloads by key, not index, so that one more workload leaves
 * every other process's record as it was.
 */
static void test_facts_versions(void **state)
{
	(void)state;
	struct graph *g = v1_graph(), *back;
	struct codec_snapshot s, s2;

	assert_int_equal(codec_encode_graph(g, &s), 0);
	assert_int_equal(s.meta.data[1], CODEC_META_VERSION);
	for (size_t i = 0; i < s.nns; i++)
		assert_int_equal(s.ns[i].data[1], CODEC_VERSION);
	for (size_t i = 0; i < s.nprocs; i++)
		assert_int_equal(s.procs[i].data[1], CODEC_VERSION);
	assert_int_equal(codec_decode_graph(&s, &back), 0);
	assert_true(gb_same_graph(g, back));
	assert_int_equal(back->meta.collected, GRAPH_HAVE_V1);
	for (size_t i = 0; i < back->nprocs; i++) {
		assert_int_equal(back->procs[i].loginuid, UINT32_MAX);
		assert_int_equal(back->procs[i].sessionid, UINT32_MAX);
		assert_int_equal(back->procs[i].workload, GRAPH_NONE);
		assert_null(back->procs[i].cmdline);
	}
	graph_free(back);
	codec_snapshot_free(&s);

	/* One fact is enough for the new layouts. */
	g->ns[0].hostname = graph_strdup(g, "h");
	assert_false(codec_graph_v1(g));
	assert_int_equal(codec_encode_graph(g, &s), 0);
	assert_int_equal(s.meta.data[1], CODEC_META_FACTS);
	assert_int_equal(s.procs[0].data[1], CODEC_VERSION_FACTS);
	round_trip(g);
	codec_snapshot_free(&s);
	graph_free(g);

	/* A workload more: only the meta record and its process change. */
	g = full_graph();
	assert_int_equal(codec_encode_graph(g, &s), 0);
	gb_workload(g, &g->procs[2], GRAPH_WL_CONTAINER, "docker", "00ff", "a");
	assert_int_equal(codec_encode_graph(g, &s2), 0);
	assert_int_equal(s.nprocs, s2.nprocs);
	for (size_t i = 0; i < s.nprocs; i++) {
		bool same = s.procs[i].len == s2.procs[i].len &&
			    !memcmp(s.procs[i].data, s2.procs[i].data,
				    s.procs[i].len);
		assert_true(same == (i != 2));
	}
	for (size_t i = 0; i < s.nns; i++)
		assert_memory_equal(s.ns[i].data, s2.ns[i].data, s.ns[i].len);
	round_trip(g);
	codec_snapshot_free(&s2);
	codec_snapshot_free(&s);

	/* Refused by the encoder: a length without its bytes, or too long. */
	g->procs[3].cmdline_len = 3;
	assert_int_equal(codec_encode_graph(g, &s), -EINVAL);
	g->procs[3].cmdline_len = 0;
	static char big[GRAPH_CMDLINE_MAX + 1];
	g->procs[3].cmdline = big;
	g->procs[3].cmdline_len = sizeof(big);
	assert_int_equal(codec_encode_graph(g, &s), -EINVAL);
	g->procs[3].cmdline_len = GRAPH_CMDLINE_MAX;
	round_trip(g);
	graph_free(g);
}

/* Hand-made version 3 meta records: workloads out of order, twice, or
 * without an id; a process naming a workload that is not there. */
static void test_facts_malformed(void **state)
{
	(void)state;
	struct graph *g = full_graph(), *out;
	struct codec_snapshot s;
	struct copy c;

	assert_true(g->nworkloads >= 3);
	assert_int_equal(codec_encode_graph(g, &s), 0);
	copy_make(&c, &s);
	assert_int_equal(codec_decode_graph(&c.s, &out), 0);
	graph_free(out);

	/* Two workloads swapped: not in (runtime, id) order. */
	struct graph_workload w = g->workloads[0];
	g->workloads[0] = g->workloads[1];
	g->workloads[1] = w;
	struct codec_snapshot bad;
	/* graph_check() refuses it, so the encoder does too... */
	assert_int_equal(codec_encode_graph(g, &bad), -EINVAL);
	g->workloads[1] = g->workloads[0];
	g->workloads[0] = w;

	/* ...and a process naming a workload the meta record lacks: the
	 * meta record of a graph with one workload fewer. */
	struct graph *fewer = full_graph();
	for (size_t i = 0; i < fewer->nprocs; i++)
		if (fewer->procs[i].workload != GRAPH_NONE)
			fewer->procs[i].workload = GRAPH_NONE;
	fewer->nworkloads = 0;
	fewer->ns[0].hostname = graph_strdup(fewer, "still facts");
	struct codec_snapshot sf;
	assert_int_equal(codec_encode_graph(fewer, &sf), 0);
	struct codec_rec saved = c.s.meta;
	c.s.meta = sf.meta;
	assert_int_equal(codec_decode_graph(&c.s, &out), -EBADMSG);
	c.s.meta = saved;
	codec_snapshot_free(&sf);
	graph_free(fewer);

	copy_free(&c);
	codec_snapshot_free(&s);
	graph_free(g);
}

/* list's GAPS: each process and thread with a gap once, however many of
 * its links were refused; a cut record is refused. */
static void test_meta_gapped(void **state)
{
	struct graph *g = base_graph();
	struct codec_snapshot s;
	uint64_t n = 99;

	(void)state;
	/* base_graph() has three: (123, 0), (123, 124), (0, 0). */
	assert_int_equal(graph_gap_add(g, 7, 0, EACCES, "ns/net"), 0);
	assert_int_equal(graph_gap_add(g, 7, 0, EACCES, "ns/uts"), 0);
	assert_int_equal(graph_gap_add(g, 7, 8, EACCES, "ns/net"), 0);
	assert_int_equal(graph_gap_add(g, 3, 0, EACCES, "fd"), 0);
	assert_int_equal(graph_gap_add(g, 7, 0, EACCES, "ns/pid"), 0);
	assert_int_equal(codec_encode_graph(g, &s), 0);
	assert_int_equal(codec_meta_gapped(&s.meta, &n), 0);
	assert_int_equal(n, 3 + 3);
	for (size_t len = 0; len < s.meta.len; len++) {
		struct codec_rec cut = { s.meta.data, len };
		uint64_t m;
		int rc = codec_meta_gapped(&cut, &m);
		assert_true(rc == 0 || rc == -EBADMSG);
	}
	codec_snapshot_free(&s);
	graph_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_full),
		cmocka_unit_test(test_round_trip_empty),
		cmocka_unit_test(test_round_trip_layout),
		cmocka_unit_test(test_round_trip_mount_runs),
		cmocka_unit_test(test_encode_rejects),
		cmocka_unit_test(test_decode_refuses_impossible),
		cmocka_unit_test(test_primitives),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_bit_flips),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_hash_digest),
		cmocka_unit_test(test_meta_versions),
		cmocka_unit_test(test_facts_versions),
		cmocka_unit_test(test_facts_malformed),
		cmocka_unit_test(test_header_versions),
		cmocka_unit_test(test_meta_gapped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
