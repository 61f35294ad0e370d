/*
 * test_chain.c — the hash chain of a store (store/chain.c) and its signed
 * snapshots (store_set_signer(), store_verify_signed()): a store written
 * here is whole, each header names the link of the one before; pruning
 * leaves tombstones the chain reads across, also when a later prune
 * reaches around an earlier one; a header deleted behind the store's back,
 * or the newest ones rolled back, break it where they were; a chain made
 * again after an edit is whole unless its snapshots were signed; stores
 * of before the chain go on chained after their old headers.
 */
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
#include <lmdb.h>

#include "codec.h"
#include "custody.h"
#include "graph.h"
#include "graphbuild.h"
#include "store.h"
#include "tmpstore.h"

/* ---- fixtures ----------------------------------------------------------- */

/* Snapshot I of a small world: a process more each time. */
static struct graph *snap_graph(unsigned i)
{
	struct graph *g = gb_new();
	struct gb_set w = gb_host(g, 4026531835u);

	g->meta.start_ns = 1000000000ll * (i + 1);
	g->meta.end_ns = g->meta.start_ns + 1000;
	g->meta.hostname = graph_strdup(g, "chainhost");
	g->meta.boot_id = graph_strdup(g, "b0");
	for (unsigned p = 0; p <= i; p++)
		gb_proc(g, (int32_t)p + 1, &w);
	return g;
}

static uint64_t put(struct store *s, unsigned i, const char *label)
{
	struct graph *g = snap_graph(i);
	uint64_t id = 0;
	int ret = store_put(s, g, label, &id);

	graph_free(g);
	if (ret)
		fail_msg("store_put: %s", store_strerror(ret));
	return id;
}

/* The breaks a walk was told of. */
struct breaks {
	size_t n;
	uint64_t ids[16];
	char what[16][512];
};

static int break_cb(uint64_t id, const char *what, void *ctx)
{
	struct breaks *b = ctx;

	if (b->n < 16) {
		b->ids[b->n] = id;
		snprintf(b->what[b->n], sizeof(b->what[0]), "%s", what);
	}
	b->n++;
	return 0;
}

static void chain(struct store *s, struct store_chain *c, struct breaks *b)
{
	struct breaks none;

	if (!b)
		b = &none;
	*b = (struct breaks){ 0 };
	assert_int_equal(store_chain_check(s, break_cb, b, c), 0);
	assert_int_equal(b->n, c->breaks);
	for (size_t i = 0; i < b->n && i < 16; i++)
		print_message("break at %llu: %s\n", (unsigned long long)b->ids[i],
			      b->what[i]);
}

static void assert_whole(struct store *s, uint64_t linked, uint64_t tombs,
			 uint64_t pruned)
{
	struct store_chain c;
	uint64_t bad = 1;

	chain(s, &c, NULL);
	assert_int_equal(c.breaks, 0);
	assert_int_equal(c.linked, linked);
	assert_int_equal(c.tombs, tombs);
	assert_int_equal(c.pruned, pruned);
	assert_int_equal(store_verify(s, 0, NULL, NULL, NULL, &bad), 0);
	assert_int_equal(bad, 0);
}

/* LMDB itself on the store at DIR, behind the store's back: read or
 * write the value of KEY in table DB (VAL NULL: delete it). */
static void lmdb_at(const char *dir, const char *db, const void *key,
		    size_t klen, MDB_val *get, const MDB_val *set, bool del)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k = { klen, (void *)key }, v;
	bool write = set || del;

	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 8), 0);
	assert_int_equal(mdb_env_open(env, dir, write ? 0 : MDB_RDONLY, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, write ? 0 : MDB_RDONLY, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, db, 0, &dbi), 0);
	if (get) {
		assert_int_equal(mdb_get(txn, dbi, &k, &v), 0);
		void *copy = malloc(v.mv_size);
		assert_non_null(copy);
		memcpy(copy, v.mv_data, v.mv_size);
		*get = (MDB_val){ v.mv_size, copy };
	}
	if (set) {
		v = *set;
		assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
	}
	if (del)
		assert_int_equal(mdb_del(txn, dbi, &k, NULL), 0);
	assert_int_equal(write ? mdb_txn_commit(txn) : (mdb_txn_abort(txn), 0), 0);
	mdb_env_close(env);
}

static MDB_val raw_header(const char *dir, uint64_t id)
{
	uint8_t k[8];
	MDB_val v;

	codec_be64_write(k, id);
	lmdb_at(dir, "snaps", k, 8, &v, NULL, false);
	return v;
}

static void link_of(const char *dir, uint64_t id, uint8_t out[CUSTODY_DIGEST_LEN])
{
	MDB_val v = raw_header(dir, id);

	custody_link(v.mv_data, v.mv_size, out);
	free(v.mv_data);
}

static void prune_ids(struct store *s, const uint64_t *ids, size_t n,
		      uint64_t want_tombs)
{
	struct store_prune_result r;

	assert_int_equal(store_prune(s, &(struct store_prune_opts){
		.ids = ids, .nids = n }, &r), 0);
	assert_int_equal(r.snapshots, n);
	assert_int_equal(r.tombs, want_tombs);
}

/* ---- tests -------------------------------------------------------------- */

/* Each header names the link of the one before it; the first none. */
static void test_whole(void **state)
{
	(void)state;
	struct tmp t;
	struct store *s;
	struct store_header h;
	struct store_chain c;
	uint8_t link[CUSTODY_DIGEST_LEN];

	tmp_make(&t);
	assert_int_equal(store_open(t.path, STORE_CREATE, &s), 0);
	chain(s, &c, NULL);
	assert_int_equal(c.breaks, 0);
	assert_int_equal(c.linked, 0);
	assert_int_equal(c.first_linked, 0);
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(put(s, i, i == 2 ? "two" : NULL), i + 1);
	chain(s, &c, NULL);
	assert_int_equal(c.breaks, 0);
	assert_int_equal(c.linked, 5);
	assert_int_equal(c.first_linked, 1);
	assert_int_equal(c.before, 0);
	assert_int_equal(c.unreadable, 0);
	assert_int_equal(c.is_signed, 0);
	assert_int_equal(c.tombs, 0);
	for (uint64_t id = 1; id <= 5; id++) {
		assert_int_equal(store_header(s, id, &h), 0);
		assert_true(h.chained);
		assert_false(h.custody.is_signed);
		assert_int_equal(h.custody.has_prev, id > 1);
		if (id > 1) {
			link_of(t.path, id - 1, link);
			assert_memory_equal(h.custody.prev, link, sizeof(link));
		}
	}
	/* The content digest is the snapshot's, label included. */
	struct graph *g = snap_graph(2);
	struct codec_snapshot cs;
	uint8_t d[CUSTODY_DIGEST_LEN];
	assert_int_equal(codec_encode_graph(g, &cs), 0);
	assert_int_equal(custody_content(&cs, "two", 3, d), 0);
	assert_int_equal(store_header(s, 3, &h), 0);
	assert_memory_equal(h.custody.content, d, sizeof(d));
	assert_int_equal(custody_content(&cs, NULL, 0, d), 0);
	assert_memory_not_equal(h.custody.content, d, sizeof(d));
	codec_snapshot_free(&cs);
	graph_free(g);

	/* The head is the newest header's link, across a reopening. */
	store_close(s);
	MDB_val head;
	lmdb_at(t.path, "meta", "chain", 5, &head, NULL, false);
	assert_int_equal(head.mv_size, 8 + CUSTODY_DIGEST_LEN);
	assert_int_equal(codec_be64_read(head.mv_data), 5);
	link_of(t.path, 5, link);
	assert_memory_equal((uint8_t *)head.mv_data + 8, link, sizeof(link));
	free(head.mv_data);
	assert_int_equal(store_open(t.path, 0, &s), 0);
	assert_int_equal(put(s, 5, NULL), 6);
	assert_whole(s, 6, 0, 0);
	store_close(s);
	tmp_free(&t);
}

/* Pruned in the middle and at the end, the chain reads across the
 * tombstones; later snapshots still chain; a prune that reaches around an
 * earlier tombstone takes it into its own. */
static void test_prune(void **state)
{
	(void)state;
	struct tmp t;
	struct store *s;
	struct store_header h;
	struct store_prune_result r;
	uint8_t link[CUSTODY_DIGEST_LEN];

	tmp_make(&t);
	assert_int_equal(store_open(t.path, STORE_CREATE, &s), 0);
	for (unsigned i = 0; i < 7; i++)
		assert_int_equal(put(s, i, NULL), i + 1);
	link_of(t.path, 7, link);

	/* A dry run buries nothing. */
	assert_int_equal(store_prune(s, &(struct store_prune_opts){
		.ids = (uint64_t[]){ 3 }, .nids = 1, .dry_run = true }, &r), 0);
	assert_int_equal(r.snapshots, 1);
	assert_whole(s, 7, 0, 0);

	prune_ids(s, (uint64_t[]){ 3, 4 }, 2, 1);
	assert_whole(s, 5, 1, 2);
	/* The newest: its link stays the head, in its tombstone. */
	prune_ids(s, (uint64_t[]){ 7 }, 1, 1);
	assert_whole(s, 4, 2, 3);
	assert_int_equal(put(s, 7, NULL), 8);
	assert_int_equal(store_header(s, 8, &h), 0);
	assert_true(h.custody.has_prev);
	assert_memory_equal(h.custody.prev, link, sizeof(link));
	assert_whole(s, 5, 2, 3);
	/* Two runs at once; 6 ends where the tombstone of 7 begins, with
	 * nothing left between: one run 6-7. */
	prune_ids(s, (uint64_t[]){ 1, 6 }, 2, 2);
	assert_whole(s, 3, 3, 5);

	/* Keep the newest only: 2 and 5 go, a run that reaches round the
	 * tombstone of 3-4, which it takes in, and that meets those of 1 and
	 * 6-7: one tombstone for 1-7 is left. */
	assert_int_equal(store_prune(s, &(struct store_prune_opts){
		.keep_set = true, .keep = 1 }, &r), 0);
	assert_int_equal(r.snapshots, 2);
	assert_int_equal(r.tombs, 1);
	assert_whole(s, 1, 1, 7);
	assert_int_equal(put(s, 8, NULL), 9);
	assert_whole(s, 2, 1, 7);
	store_close(s);

	/* Reopened read-only, the same. */
	assert_int_equal(store_open(t.path, STORE_RDONLY, &s), 0);
	assert_whole(s, 2, 1, 7);
	store_close(s);
	tmp_free(&t);
}

/* A snapshot at a time, as 'record --keep 2' prunes: one tombstone for
 * them all.  A run that does not meet the last one (a snapshot kept
 * between) gets its own. */
static void test_prune_keep(void **state)
{
	(void)state;
	struct tmp t;
	struct store *s;
	struct store_prune_result r;
	struct store_chain c;

	tmp_make(&t);
	assert_int_equal(store_open(t.path, STORE_CREATE, &s), 0);
	for (unsigned i = 0; i < 10; i++) {
		put(s, i, NULL);
		assert_int_equal(store_prune(s, &(struct store_prune_opts){
			.keep_set = true, .keep = 2 }, &r), 0);
		assert_int_equal(r.snapshots, i >= 2);
		assert_int_equal(r.tombs, i >= 2);
	}
	assert_whole(s, 2, 1, 8);
	chain(s, &c, NULL);
	assert_int_equal(c.first_linked, 9);
	/* 9 kept, 10 pruned, 11 written: 10 is a run of its own. */
	prune_ids(s, (uint64_t[]){ 10 }, 1, 1);
	put(s, 10, NULL);
	assert_whole(s, 2, 2, 9);
	/* 9 goes: the three runs are one. */
	prune_ids(s, (uint64_t[]){ 9 }, 1, 1);
	assert_whole(s, 1, 1, 10);
	store_close(s);
	tmp_free(&t);
}

/* Everything pruned, the chain goes on from the last tombstone. */
static void test_prune_all(void **state)
{
	(void)state;
	struct tmp t;
	struct store *s;
	struct store_header h;
	uint8_t link[CUSTODY_DIGEST_LEN];

	tmp_make(&t);
	assert_int_equal(store_open(t.path, STORE_CREATE, &s), 0);
	for (unsigned i = 0; i < 3; i++)
		put(s, i, NULL);
	link_of(t.path, 3, link);
	prune_ids(s, (uint64_t[]){ 2 }, 1, 1);
	prune_ids(s, (uint64_t[]){ 1, 3 }, 2, 1);
	assert_whole(s, 0, 1, 3);
	assert_int_equal(put(s, 3, NULL), 4);
	assert_int_equal(store_header(s, 4, &h), 0);
	assert_true(h.custody.has_prev);
	assert_memory_equal(h.custody.prev, link, sizeof(link));
	assert_whole(s, 1, 1, 3);
	store_close(s);
	tmp_free(&t);
}

/* Edits behind the store's back: each breaks the chain where it was. */
static void test_breaks(void **state)
{
	(void)state;
	struct tmp t;
	struct store *s;
	struct store_chain c;
	struct breaks b;
	uint8_t k[8];
	MDB_val head, h2;
	uint64_t bad;

	tmp_make(&t);
	assert_int_equal(store_open(t.path, STORE_CREATE, &s), 0);
	for (unsigned i = 0; i < 5; i++)
		put(s, i, NULL);
	store_close(s);
	lmdb_at(t.path, "meta", "chain", 5, &head, NULL, false);

	/* A header deleted: its id holds nothing, and the next one follows
	 * what is not there. */
	h2 = raw_header(t.path, 3);
	codec_be64_write(k, 3);
	lmdb_at(t.path, "snaps", k, 8, NULL, NULL, true);
	assert_int_equal(store_open(t.path, STORE_RDONLY, &s), 0);
	chain(s, &c, &b);
	assert_int_equal(c.breaks, 2);
	assert_int_equal(c.first_break, 4);
	assert_non_null(strstr(b.what[0], "the chain breaks before snapshot 4: "
			       "ids 3-3 were handed out, and hold neither"));
	assert_non_null(strstr(b.what[1], "the chain breaks at snapshot 4: it "
			       "does not follow snapshot 2"));
	assert_int_equal(store_verify(s, 0, NULL, NULL, NULL, &bad), STORE_ECORRUPT);
	store_close(s);

	/* Put back under another id (free, past the newest): 4 breaks as
	 * before, and it does not follow 5, nor does the head. */
	codec_be64_write(k, 9);
	lmdb_at(t.path, "snaps", k, 8, NULL, &h2, false);
	assert_int_equal(store_open(t.path, STORE_RDONLY, &s), 0);
	chain(s, &c, &b);
	assert_int_equal(c.first_break, 4);
	assert_true(c.breaks >= 2);
	store_close(s);
	lmdb_at(t.path, "snaps", k, 8, NULL, NULL, true);

	/* Back where it was: whole again. */
	codec_be64_write(k, 3);
	lmdb_at(t.path, "snaps", k, 8, NULL, &h2, false);
	assert_int_equal(store_open(t.path, STORE_RDONLY, &s), 0);
	chain(s, &c, NULL);
	assert_int_equal(c.breaks, 0);
	store_close(s);

	/* The newest deleted, the head as it was: the head names it. */
	MDB_val h5 = raw_header(t.path, 5);
	codec_be64_write(k, 5);
	lmdb_at(t.path, "snaps", k, 8, NULL, NULL, true);
	assert_int_equal(store_open(t.path, STORE_RDONLY, &s), 0);
	chain(s, &c, &b);
	assert_true(c.breaks >= 1);
	assert_non_null(strstr(b.what[0], "the last header written (snapshot 5)"));
	store_close(s);
	/* And rolled back: the head set to 4's link.  The seal still says 5
	 * was handed out. */
	uint8_t v[8 + CUSTODY_DIGEST_LEN];
	codec_be64_write(v, 4);
	link_of(t.path, 4, v + 8);
	lmdb_at(t.path, "meta", "chain", 5, NULL,
		&(MDB_val){ sizeof(v), v }, false);
	assert_int_equal(store_open(t.path, STORE_RDONLY, &s), 0);
	chain(s, &c, &b);
	assert_int_equal(c.breaks, 1);
	assert_int_equal(c.first_break, 5);
	assert_non_null(strstr(b.what[0], "ids up to 5 were handed out"));
	store_close(s);

	/* Put back: whole. */
	lmdb_at(t.path, "snaps", k, 8, NULL, &h5, false);
	lmdb_at(t.path, "meta", "chain", 5, NULL, &head, false);
	assert_int_equal(store_open(t.path, STORE_RDONLY, &s), 0);
	chain(s, &c, NULL);
	assert_int_equal(c.breaks, 0);
	store_close(s);

	/* A tombstone deleted: the run it stood for is a hole. */
	assert_int_equal(store_open(t.path, 0, &s), 0);
	prune_ids(s, (uint64_t[]){ 2 }, 1, 1);
	assert_whole(s, 4, 1, 1);
	store_close(s);
	uint8_t tk[12] = { 't', 'o', 'm', 'b' };
	codec_be64_write(tk + 4, 2);
	lmdb_at(t.path, "meta", tk, sizeof(tk), NULL, NULL, true);
	assert_int_equal(store_open(t.path, STORE_RDONLY, &s), 0);
	chain(s, &c, &b);
	/* Id 2 holds nothing, and 3 follows what is not there. */
	assert_int_equal(c.breaks, 2);
	assert_int_equal(c.first_break, 3);
	assert_int_equal(c.tombs, 0);
	assert_non_null(strstr(b.what[0], "ids 2-2 were handed out"));
	store_close(s);

	free(head.mv_data);
	free(h2.mv_data);
	free(h5.mv_data);
	tmp_free(&t);
}

static int fault_cb(const struct store_check *c, void *ctx)
{
	char *first = ctx;

	if (c->err && !first[0])
		snprintf(first, 512, "%s", c->what);
	return 0;
}

/* What store_verify_signed() with KEY says of the first fault it finds. */
static const char *first_fault(struct store *s, const struct custody_key *key)
{
	static char first[512];
	uint64_t bad;

	first[0] = '\0';
	assert_int_equal(store_verify_signed(s, 0, key, NULL, fault_cb, first, NULL,
					     &bad), STORE_ECORRUPT);
	print_message("verify: %s\n", first);
	return first;
}

/* A store's signer signs what store_put() writes; verify with its key
 * passes, with another key or over an unsigned snapshot it does not. */
static void test_signed(void **state)
{
	(void)state;
	struct tmp t, kd;
	struct store *s;
	struct store_header h;
	struct store_chain c;
	struct custody_key k, other, pub;
	char path[160];
	uint64_t bad;

	tmp_make(&kd);
	snprintf(path, sizeof(path), "%s/k", kd.dir);
	assert_int_equal(custody_keygen(path, &k), 0);
	snprintf(path, sizeof(path), "%s/other", kd.dir);
	assert_int_equal(custody_keygen(path, &other), 0);
	pub = (struct custody_key){ .has_secret = false };
	memcpy(pub.pk, k.pk, CUSTODY_PK_LEN);

	tmp_make(&t);
	assert_int_equal(store_open(t.path, STORE_CREATE, &s), 0);
	assert_int_equal(store_set_signer(s, &pub), -EINVAL);
	/* The store keeps its own copy. */
	struct custody_key copy = k;
	assert_int_equal(store_set_signer(s, &copy), 0);
	custody_key_wipe(&copy);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(put(s, i, i ? NULL : "first"), i + 1);
	for (uint64_t id = 1; id <= 3; id++) {
		assert_int_equal(store_header(s, id, &h), 0);
		assert_true(h.custody.is_signed);
		assert_memory_equal(h.custody.key, k.pk, CUSTODY_PK_LEN);
		assert_int_equal(h.custody.sig_id, id);
		assert_int_equal(h.custody.sig_has_prev, h.custody.has_prev);
		assert_memory_equal(h.custody.sig_prev, h.custody.prev,
				    CUSTODY_DIGEST_LEN);
		assert_true(custody_sig_ok(&h.custody));
	}
	assert_int_equal(store_verify_signed(s, 0, &pub, NULL, NULL, NULL, NULL, &bad), 0);
	assert_int_equal(bad, 0);
	assert_int_equal(store_verify_signed(s, 2, &pub, NULL, NULL, NULL, NULL, &bad), 0);
	assert_int_equal(store_verify_signed(s, 0, &other, NULL, NULL, NULL, NULL, &bad),
			 STORE_ECORRUPT);
	assert_int_equal(bad, 3);
	assert_non_null(strstr(first_fault(s, &other), "signed by key"));
	assert_int_equal(store_verify_signed(s, 0, NULL, NULL, NULL, NULL, NULL, &bad), 0);
	chain(s, &c, NULL);
	assert_int_equal(c.is_signed, 3);

	/* Signing stopped: the next one is not, and a key required fails
	 * on it alone. */
	assert_int_equal(store_set_signer(s, NULL), 0);
	assert_int_equal(put(s, 3, NULL), 4);
	assert_int_equal(store_header(s, 4, &h), 0);
	assert_false(h.custody.is_signed);
	assert_true(h.custody.has_prev);
	assert_int_equal(store_verify_signed(s, 0, &pub, NULL, NULL, NULL, NULL, &bad),
			 STORE_ECORRUPT);
	assert_int_equal(bad, 1);
	assert_non_null(strstr(first_fault(s, &pub), "not signed (key"));
	assert_int_equal(store_verify(s, 0, NULL, NULL, NULL, &bad), 0);
	/* Another signer from here. */
	assert_int_equal(store_set_signer(s, &other), 0);
	assert_int_equal(put(s, 4, NULL), 5);
	assert_int_equal(store_header(s, 5, &h), 0);
	assert_memory_equal(h.custody.key, other.pk, CUSTODY_PK_LEN);
	assert_int_equal(store_verify_signed(s, 5, &other, NULL, NULL, NULL, NULL, &bad), 0);
	assert_int_equal(store_verify_signed(s, 0, &other, NULL, NULL, NULL, NULL, &bad),
			 STORE_ECORRUPT);
	assert_int_equal(bad, 4);
	chain(s, &c, NULL);
	assert_int_equal(c.breaks, 0);
	assert_int_equal(c.is_signed, 4);
	assert_int_equal(c.linked, 5);

	/* Signed snapshots pruned around: the rest still verify. */
	prune_ids(s, (uint64_t[]){ 2 }, 1, 1);
	assert_int_equal(store_verify_signed(s, 1, &pub, NULL, NULL, NULL, NULL, &bad), 0);
	assert_int_equal(store_verify_signed(s, 3, &pub, NULL, NULL, NULL, NULL, &bad), 0);
	assert_whole(s, 4, 1, 1);
	store_close(s);
	custody_key_wipe(&k);
	custody_key_wipe(&other);
	tmp_free(&t);
	tmp_free(&kd);
}

/* Header ID rewritten as someone who knows the format would: its prev
 * made PREV (NULL: none), its checksum recomputed.  Its link now. */
static void reprev(const char *dir, uint64_t id, const uint8_t *prev,
		   uint8_t link[CUSTODY_DIGEST_LEN])
{
	MDB_val v = raw_header(dir, id);
	struct codec_header h;
	struct codec_buf b;
	uint8_t k[8];

	assert_int_equal(codec_decode_header(v.mv_data, v.mv_size, &h), 0);
	h.custody.has_prev = prev != NULL;
	if (prev)
		memcpy(h.custody.prev, prev, CUSTODY_DIGEST_LEN);
	codec_buf_init(&b);
	assert_int_equal(codec_encode_header(&h, &b), 0);
	codec_be64_write(k, id);
	lmdb_at(dir, "snaps", k, 8, NULL, &(MDB_val){ b.len, b.data }, false);
	custody_link(b.data, b.len, link);
	codec_buf_free(&b);
	free(v.mv_data);
}

/*
 * Snapshot 2 of 4 deleted and the chain made again after it (3 names 1,
 * 4 names the new 3, the head the new 4): unkeyed, the links are whole
 * again, as chain.c says they can be, but id 2 holds neither a snapshot
 * nor a tombstone.  Signed, 3 also says it was signed after another
 * snapshot: the signature vouches for its predecessor.
 */
static void rechain(bool sign)
{
	struct tmp t, kd;
	struct store *s;
	struct store_chain c;
	struct breaks b;
	struct custody_key k;
	uint8_t key8[8], link[CUSTODY_DIGEST_LEN], head[8 + CUSTODY_DIGEST_LEN];
	char path[160];

	tmp_make(&kd);
	snprintf(path, sizeof(path), "%s/k", kd.dir);
	assert_int_equal(custody_keygen(path, &k), 0);
	tmp_make(&t);
	assert_int_equal(store_open(t.path, STORE_CREATE, &s), 0);
	if (sign)
		assert_int_equal(store_set_signer(s, &k), 0);
	for (unsigned i = 0; i < 4; i++)
		put(s, i, NULL);
	store_close(s);

	codec_be64_write(key8, 2);
	lmdb_at(t.path, "snaps", key8, 8, NULL, NULL, true);
	link_of(t.path, 1, link);
	reprev(t.path, 3, link, link);
	reprev(t.path, 4, link, link);
	codec_be64_write(head, 4);
	memcpy(head + 8, link, CUSTODY_DIGEST_LEN);
	lmdb_at(t.path, "meta", "chain", 5, NULL,
		&(MDB_val){ sizeof(head), head }, false);

	assert_int_equal(store_open(t.path, STORE_RDONLY, &s), 0);
	chain(s, &c, &b);
	assert_int_equal(c.first_break, 3);
	assert_non_null(strstr(b.what[0], "the chain breaks before snapshot 3: "
			       "ids 2-2 were handed out"));
	if (!sign) {
		assert_int_equal(c.breaks, 1);
	} else {
		assert_int_equal(c.breaks, 3);
		assert_non_null(strstr(b.what[1], "the chain breaks at snapshot 3: "
				       "it was signed here as snapshot 3, after "
				       "another snapshot"));
		assert_non_null(strstr(b.what[2], "at snapshot 4"));
		/* Each signature is still sound over its content: what it
		 * says of the chain is what tells. */
		struct custody_key pub = { .has_secret = false };
		memcpy(pub.pk, k.pk, CUSTODY_PK_LEN);
		uint64_t bad;
		assert_int_equal(store_verify_signed(s, 3, &pub, NULL, NULL, NULL, NULL,
						     &bad), 0);
		assert_int_equal(store_verify_signed(s, 0, &pub, NULL, NULL, NULL, NULL,
						     &bad), STORE_ECORRUPT);
		assert_int_equal(bad, 0);
	}
	store_close(s);
	custody_key_wipe(&k);
	tmp_free(&t);
	tmp_free(&kd);
}

static void test_rechain(void **state)
{
	(void)state;
	rechain(false);
	rechain(true);
}

/* Stores of before the chain: their headers are counted before it, the
 * first new one links to the newest of them, pruning them leaves
 * tombstones without a prev, and verify passes. */
static void old_store(const char *fixture, uint64_t nold, uint64_t next)
{
	struct tmp t;
	struct store *s;
	struct store_header h;
	struct store_chain c;
	uint8_t link[CUSTODY_DIGEST_LEN];
	uint64_t bad;

	tmp_fixture(&t, fixture);
	assert_int_equal(store_open(t.path, STORE_RDONLY, &s), 0);
	chain(s, &c, NULL);
	assert_int_equal(c.breaks, 0);
	assert_int_equal(c.linked, 0);
	assert_int_equal(c.before, nold);
	assert_int_equal(c.first_linked, 0);
	assert_int_equal(store_header(s, 1, &h), 0);
	assert_false(h.chained);
	assert_int_equal(store_verify(s, 0, NULL, NULL, NULL, &bad), 0);
	store_close(s);

	/* The newest old header is the one the chain starts after. */
	assert_int_equal(store_open(t.path, 0, &s), 0);
	uint64_t newest = 0;
	for (uint64_t id = 1; id < next; id++)
		if (!store_header(s, id, &h))
			newest = id;
	store_close(s);
	link_of(t.path, newest, link);

	assert_int_equal(store_open(t.path, 0, &s), 0);
	assert_int_equal(put(s, 0, NULL), next);
	assert_int_equal(put(s, 1, NULL), next + 1);
	assert_int_equal(store_header(s, next, &h), 0);
	assert_true(h.chained);
	assert_true(h.custody.has_prev);
	assert_memory_equal(h.custody.prev, link, sizeof(link));
	chain(s, &c, NULL);
	assert_int_equal(c.breaks, 0);
	assert_int_equal(c.linked, 2);
	assert_int_equal(c.before, nold);
	assert_int_equal(c.first_linked, next);
	assert_int_equal(store_verify(s, 0, NULL, NULL, NULL, &bad), 0);
	assert_int_equal(bad, 0);
	/* A key required: none of them is signed, the old ones cannot be. */
	struct custody_key any = { .has_secret = false };
	assert_int_equal(store_verify_signed(s, 0, &any, NULL, NULL, NULL, NULL, &bad),
			 STORE_ECORRUPT);
	assert_int_equal(bad, nold + 2);
	assert_int_equal(store_verify_signed(s, 1, &any, NULL, NULL, NULL, NULL, &bad),
			 STORE_ECORRUPT);
	assert_non_null(strstr(store_strerror(STORE_ECORRUPT),
			       "written before signatures"));

	/* The old ones pruned: the chain still starts where it did. */
	prune_ids(s, (uint64_t[]){ 1 }, 1, 1);
	assert_whole(s, 2, 1, 1);
	chain(s, &c, NULL);
	assert_int_equal(c.before, nold - 1);
	store_close(s);
	tmp_free(&t);
}

static void test_old_stores(void **state)
{
	(void)state;
	/* store-v2: snapshots 1-3, 4 pruned; store-v3: 1-2. */
	old_store("fixtures/store-v2/data.mdb", 3, 5);
	old_store("fixtures/store-v3/data.mdb", 2, 3);
}

/* A store of before the chain pruned at its newest before any new
 * snapshot: the head is set then, and the next one still links to it. */
static void test_old_store_pruned(void **state)
{
	(void)state;
	struct tmp t;
	struct store *s;
	struct store_header h;
	uint8_t link[CUSTODY_DIGEST_LEN];

	tmp_fixture(&t, "fixtures/store-v3/data.mdb");
	link_of(t.path, 2, link);
	assert_int_equal(store_open(t.path, 0, &s), 0);
	prune_ids(s, (uint64_t[]){ 2 }, 1, 1);
	assert_whole(s, 0, 1, 1);
	assert_int_equal(put(s, 0, NULL), 3);
	assert_int_equal(store_header(s, 3, &h), 0);
	assert_true(h.custody.has_prev);
	assert_memory_equal(h.custody.prev, link, sizeof(link));
	assert_whole(s, 1, 1, 1);
	store_close(s);
	tmp_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole),
		cmocka_unit_test(test_prune),
		cmocka_unit_test(test_prune_keep),
		cmocka_unit_test(test_prune_all),
		cmocka_unit_test(test_breaks),
		cmocka_unit_test(test_signed),
		cmocka_unit_test(test_rechain),
		cmocka_unit_test(test_old_stores),
		cmocka_unit_test(test_old_store_pruned),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
