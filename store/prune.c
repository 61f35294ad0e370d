/*
 * prune.c — removing snapshots and everything only they used.
 *
 * Owns retention: which snapshots the rules pick, the mark and sweep of
 * records and list chunks, and the labels; the namespace index is
 * rewritten by nsidx.c so that it still tells every remaining snapshot's
 * state.
 */
#include "store_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/*
 * Mark and sweep, not reference counts.  Counts would be written for every
 * record of every snapshot stored: thousands of writes for a snapshot of
 * an unchanged machine that now costs a few pages, and a count that drifted
 * once (a damaged page, a crash in a bug) would delete a live record
 * without a trace.  Marking reads what the remaining snapshots use, their
 * headers and list chunks (a chunk shared by many snapshots is read once),
 * and is right by construction whatever happened before.  Pruning is rare
 * next to recording, so its cost belongs there.
 */

/* A set of hashes: open addressing on the hashes' own bits, which XXH3
 * makes uniform. */
struct hset {
	struct codec_hash *v;
	uint8_t *used;
	size_t n, cap;      /* cap: 0 or a power of two */
};

static size_t hset_slot(const struct hset *hs, const uint8_t *h)
{
	size_t mask = hs->cap - 1, i = (size_t)codec_be64_read(h + 8) & mask;

	while (hs->used[i] && memcmp(hs->v[i].b, h, CODEC_HASH_LEN))
		i = (i + 1) & mask;
	return i;
}

static bool hset_has(const struct hset *hs, const uint8_t *h)
{
	return hs->cap && hs->used[hset_slot(hs, h)];
}

/* 1 when H was added, 0 when it was there, -ENOMEM. */
static int hset_add(struct hset *hs, const uint8_t *h)
{
	if (2 * (hs->n + 1) > hs->cap) {
		struct hset big = { .cap = hs->cap ? 2 * hs->cap : 1024 };
		big.v = malloc(big.cap * sizeof(*big.v));
		big.used = calloc(big.cap, 1);
		if (!big.v || !big.used) {
			free(big.v);
			free(big.used);
			return -ENOMEM;
		}
		for (size_t i = 0; i < hs->cap; i++) {
			if (!hs->used[i])
				continue;
			size_t j = hset_slot(&big, hs->v[i].b);
			big.v[j] = hs->v[i];
			big.used[j] = 1;
		}
		big.n = hs->n;
		free(hs->v);
		free(hs->used);
		*hs = big;
	}
	size_t i = hset_slot(hs, h);
	if (hs->used[i])
		return 0;
	memcpy(hs->v[i].b, h, CODEC_HASH_LEN);
	hs->used[i] = 1;
	hs->n++;
	return 1;
}

static void hset_free(struct hset *hs)
{
	free(hs->v);
	free(hs->used);
	*hs = (struct hset){ 0 };
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static bool u64_in(uint64_t v, const uint64_t *set, size_t n)
{
	return n && bsearch(&v, set, n, sizeof(*set), u64_cmp);
}

/* A growing array of anything. */
static int grow(void *arrp, size_t *cap, size_t n, size_t size)
{
	void **arr = arrp;

	if (n < *cap)
		return 0;
	size_t c = *cap ? 2 * *cap : 64;
	void *p = realloc(*arr, c * size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = c;
	return 0;
}

struct snapinfo {
	uint64_t id;
	int64_t start_ns;
	bool readable;      /* header decodes */
	bool indexed;       /* in the namespace index: recorded here, or
			       unreadable (most are recorded here) */
	bool removed;
	bool has_layout;
	struct codec_hash meta, layout;
	/* Its place in the chain: the link of its header as stored, and
	 * (readable, version 5 on) the prev it names. */
	uint8_t link[CUSTODY_DIGEST_LEN];
	bool has_prev;
	uint8_t prev[CUSTODY_DIGEST_LEN];
};

struct prune {
	struct sto_txn t;
	const struct store_prune_opts *o;
	struct store_prune_result *r;
	struct snapinfo *sn;
	size_t nsn, cap_sn;
	uint64_t *gone;         /* removed ids, sorted */
	size_t ngone;
	uint64_t *kept;         /* remaining indexed ids, sorted */
	size_t nkept;
	struct hset live, chunks_ok, chunks_bad;
	struct codec_buf label_buf;
};

static void progress(const struct prune *p, const char *what, uint64_t done,
		     uint64_t total)
{
	if (p->o->progress)
		p->o->progress(what, done, total, p->o->progress_ctx);
}

/* Every snapshot, with what its header says if it can be read. */
static int prune_scan(struct prune *p)
{
	struct sto_txn *t = &p->t;
	struct codec_header h;
	MDB_cursor *c;
	MDB_val key, val;
	uint64_t id;
	int rc;

	if (sto_cursor_open(t, t->s->snaps, &c))
		return t->ret;
	for (rc = sto_lm_cursor_get(c, &key, &val, MDB_FIRST); !rc;
	     rc = sto_lm_cursor_get(c, &key, &val, MDB_NEXT)) {
		if (sto_key_id(t, &key, &id))
			continue;
		if (grow(&p->sn, &p->cap_sn, p->nsn, sizeof(*p->sn))) {
			sto_txn_fail(t, -ENOMEM);
			break;
		}
		struct snapinfo *si = &p->sn[p->nsn++];
		*si = (struct snapinfo){ .id = id, .indexed = true };
		if (!sto_val_check(t, &val))
			custody_link(val.mv_data, val.mv_size, si->link);
		if (sto_header_decode(t, id, &val, &h))
			continue;
		si->has_prev = h.custody.has_prev;
		memcpy(si->prev, h.custody.prev, sizeof(si->prev));
		si->readable = true;
		si->indexed = !h.imported;
		si->start_ns = h.start_ns;
		si->meta = h.meta;
		si->has_layout = h.has_layout;
		si->layout = h.layout;
	}
	if (rc && rc != MDB_NOTFOUND)
		sto_txn_fail(t, sto_mdb_err(rc));
	mdb_cursor_close(c);
	sto_corrupt_clear();
	return t->ret;
}

/* Which go: any rule that picks one. */
static int prune_pick(struct prune *p)
{
	const struct store_prune_opts *o = p->o;
	uint64_t *ids = NULL;

	if (o->nids) {
		ids = malloc(o->nids * sizeof(*ids));
		if (!ids)
			return -ENOMEM;
		memcpy(ids, o->ids, o->nids * sizeof(*ids));
		qsort(ids, o->nids, sizeof(*ids), u64_cmp);
	}
	for (size_t i = 0; i < p->nsn; i++) {
		struct snapinfo *si = &p->sn[i];
		si->removed = (o->keep_set && p->nsn - i > o->keep) ||
			      (o->before_set && si->readable &&
			       si->start_ns < o->before_ns) ||
			      u64_in(si->id, ids, o->nids);
	}
	free(ids);
	p->gone = malloc((p->nsn ? p->nsn : 1) * sizeof(*p->gone));
	p->kept = malloc((p->nsn ? p->nsn : 1) * sizeof(*p->kept));
	if (!p->gone || !p->kept)
		return -ENOMEM;
	/* The scan went in id order: both come out sorted. */
	for (size_t i = 0; i < p->nsn; i++) {
		if (p->sn[i].removed)
			p->gone[p->ngone++] = p->sn[i].id;
		else if (p->sn[i].indexed)
			p->kept[p->nkept++] = p->sn[i].id;
	}
	return 0;
}

/* Mark the chunk named H and the records it lists; false when it cannot
 * be read, so that what it lists is unknown. */
static bool mark_chunk(struct prune *p, const uint8_t *h)
{
	struct sto_txn *t = &p->t;
	struct codec_rec chunk;
	const uint8_t *hashes;
	size_t n;
	int ret;

	if (hset_has(&p->chunks_ok, h))
		return true;
	if (hset_has(&p->chunks_bad, h))
		return false;
	ret = sto_rec_get(t, h, &chunk);
	if (!ret && codec_decode_list(chunk.data, chunk.len, &hashes, &n))
		ret = STORE_ECORRUPT;
	if (ret) {
		if (ret != STORE_ECORRUPT)
			sto_txn_fail(t, ret);
		else if (hset_add(&p->chunks_bad, h) < 0)
			sto_txn_fail(t, -ENOMEM);
		return false;
	}
	if (hset_add(&p->chunks_ok, h) < 0)
		sto_txn_fail(t, -ENOMEM);
	for (size_t i = 0; i < n && !t->ret; i++)
		if (hset_add(&p->live, hashes + i * CODEC_HASH_LEN) < 0)
			sto_txn_fail(t, -ENOMEM);
	return true;
}

/* Mark what the remaining snapshot SI uses; false when some of it cannot
 * be read. */
static bool mark_snapshot(struct prune *p, const struct snapinfo *si)
{
	struct sto_txn *t = &p->t;
	bool whole = si->readable;
	uint8_t k[9];
	MDB_val val;

	if (!whole)
		return false;
	if (hset_add(&p->live, si->meta.b) < 0 ||
	    (si->has_layout && hset_add(&p->live, si->layout.b) < 0))
		sto_txn_fail(t, -ENOMEM);
	codec_be64_write(k, si->id);
	for (int i = 0; i < 3 && !t->ret; i++) {
		k[8] = sto_list_kinds[i];
		int rc = sto_txn_get(t, t->s->lists, k, 9, &val);
		if (rc || val.mv_size % CODEC_HASH_LEN) {
			whole = false;
			continue;
		}
		for (size_t j = 0; j < val.mv_size / CODEC_HASH_LEN; j++) {
			const uint8_t *h = (const uint8_t *)val.mv_data +
					   j * CODEC_HASH_LEN;
			if (hset_add(&p->live, h) < 0)
				sto_txn_fail(t, -ENOMEM);
			if (!mark_chunk(p, h))
				whole = false;
		}
	}
	return whole;
}

/* Label entries of removed snapshots: label and id end to end in
 * p->label_buf, deleted one duplicate at a time after the walk. */
static int labels_prune(struct prune *p)
{
	struct sto_txn *t = &p->t;
	MDB_cursor *c;
	MDB_val key, val;
	int rc;

	if (sto_cursor_open(t, t->s->labels, &c))
		return t->ret;
	for (rc = sto_lm_cursor_get(c, &key, &val, MDB_FIRST); !rc;
	     rc = sto_lm_cursor_get(c, &key, &val, MDB_NEXT)) {
		if (val.mv_size != 8 || sto_val_check(t, &val) ||
		    key.mv_size == 0 || key.mv_size > STORE_LABEL_MAX ||
		    sto_val_check(t, &key) ||
		    !u64_in(codec_be64_read(val.mv_data), p->gone, p->ngone))
			continue;
		codec_put_uv(&p->label_buf, key.mv_size);
		codec_put_bytes(&p->label_buf, key.mv_data, key.mv_size);
		codec_put_bytes(&p->label_buf, val.mv_data, 8);
		p->r->labels++;
	}
	mdb_cursor_close(c);
	sto_corrupt_clear();
	if (p->label_buf.err)
		return p->label_buf.err;
	return rc && rc != MDB_NOTFOUND ? sto_mdb_err(rc) : 0;
}

static void labels_delete(struct prune *p)
{
	struct codec_rd rd;

	codec_rd_init(&rd, p->label_buf.data, p->label_buf.len);
	while (rd.left && !rd.err && !p->t.ret) {
		size_t len = (size_t)codec_get_uv(&rd, STORE_LABEL_MAX);
		const uint8_t *label = codec_get_bytes(&rd, len);
		const uint8_t *id = codec_get_bytes(&rd, 8);
		MDB_val key = { len, (void *)label }, val = { 8, (void *)id };
		if (rd.err)
			break;
		int rc = sto_lm_del(p->t.txn, p->t.s->labels, &key, &val);
		if (rc && rc != MDB_NOTFOUND)
			sto_txn_fail(&p->t, sto_mdb_err(rc));
	}
}

/* Every record no remaining snapshot uses. */
static void records_sweep(struct prune *p)
{
	struct sto_txn *t = &p->t;
	struct codec_buf dead;
	MDB_cursor *c;
	MDB_val key, val;
	MDB_stat st;
	uint64_t seen = 0;
	int rc;

	rc = sto_lm_stat(t->txn, t->s->records, &st);
	if (rc) {
		sto_txn_fail(t, sto_mdb_err(rc));
		return;
	}
	if (sto_cursor_open(t, t->s->records, &c))
		return;
	codec_buf_init(&dead);
	for (rc = sto_lm_cursor_get(c, &key, &val, MDB_FIRST); !rc;
	     rc = sto_lm_cursor_get(c, &key, &val, MDB_NEXT)) {
		if (++seen % 4096 == 0)
			progress(p, "records", seen, st.ms_entries);
		/* A key of another size names no record: left alone. */
		if (key.mv_size != CODEC_HASH_LEN || sto_val_check(t, &key) ||
		    hset_has(&p->live, key.mv_data))
			continue;
		codec_put_bytes(&dead, key.mv_data, CODEC_HASH_LEN);
		p->r->records++;
		p->r->bytes += val.mv_size;
	}
	mdb_cursor_close(c);
	sto_corrupt_clear();
	if (rc != MDB_NOTFOUND)
		sto_txn_fail(t, sto_mdb_err(rc));
	sto_txn_fail(t, dead.err);
	for (size_t i = 0; i < dead.len; i += CODEC_HASH_LEN)
		sto_txn_del(t, t->s->records, dead.data + i, CODEC_HASH_LEN);
	codec_buf_free(&dead);
}

/* Mark what the remaining snapshots use, while every page read is still
 * the committed one. */
static int prune_mark(struct prune *p)
{
	struct store_prune_result *r = p->r;
	uint64_t done = 0;

	for (size_t i = 0; i < p->nsn && !p->t.ret; i++) {
		if (p->sn[i].removed)
			continue;
		if (!mark_snapshot(p, &p->sn[i]))
			r->unreadable++;
		progress(p, "snapshots", ++done, r->remaining);
	}
	sto_corrupt_clear();
	return p->t.ret;
}

/*
 * A tombstone for every run of removed snapshots (in id order, with no
 * remaining one between), so that the chain reads across it (merged with
 * a neighbour's by sto_chain_bury()); and the chain's head set if the
 * store has none yet (headers older than the chain), with "chain-from" the
 * highest id handed out, so that the head stays the newest header written
 * even when that goes.
 */
static void prune_bury(struct prune *p)
{
	struct sto_txn *t = &p->t;
	const struct snapinfo *newest = &p->sn[p->nsn - 1];
	bool has;
	uint8_t link[CUSTODY_DIGEST_LEN];
	MDB_val val;

	if (sto_txn_get(t, t->s->meta, "chain", 5, &val) == MDB_NOTFOUND &&
	    !sto_chain_head(t, &has, link) && has) {
		sto_chain_begin(t, sto_next_id(t, newest->id) - 1);
		sto_chain_set_link(t, newest->id, link);
	}
	for (size_t i = 0; i < p->nsn; i++) {
		if (!p->sn[i].removed)
			continue;
		size_t j = i;
		while (j + 1 < p->nsn && p->sn[j + 1].removed)
			j++;
		struct sto_tomb tomb = {
			.first = p->sn[i].id, .last = p->sn[j].id,
			.count = j - i + 1, .has_in = p->sn[i].has_prev,
		};
		memcpy(tomb.in, p->sn[i].prev, sizeof(tomb.in));
		memcpy(tomb.out, p->sn[j].link, sizeof(tomb.out));
		sto_chain_bury(t, &tomb);
		p->r->tombs++;
		i = j;
	}
}

/* The namespace index rewritten, the removed snapshots' headers, lists
 * and labels deleted, then the sweep of records. */
static int prune_remove(struct prune *p)
{
	struct sto_txn *t = &p->t;
	struct store *s = t->s;
	uint8_t k[9];
	int ret;

	/* The index first: it reads the lists' marks, which must still be
	 * the committed pages (a damaged page LMDB copied for a write is on
	 * the heap, where its overreads are no longer guarded). */
	ret = sto_nsidx_prune(t, &(struct sto_nsidx_keep){
		.kept = p->kept, .nkept = p->nkept,
		.gone = p->gone, .ngone = p->ngone,
	}, &p->r->index);
	if (!ret)
		prune_bury(p);
	for (size_t i = 0; i < p->ngone && !ret; i++) {
		codec_be64_write(k, p->gone[i]);
		sto_txn_del(t, s->snaps, k, 8);
		for (int j = 0; j < 3; j++) {
			k[8] = sto_list_kinds[j];
			sto_txn_del(t, s->lists, k, 9);
		}
	}
	if (!ret)
		ret = labels_prune(p);
	if (!ret)
		labels_delete(p);
	/* Unknown use: sweeping could take what a repairable snapshot
	 * needs.  The records stay until that snapshot is gone too. */
	if (!ret && !p->r->unreadable)
		records_sweep(p);

	/* Pruning the newest must not give its id again. */
	uint64_t newest = p->sn[p->nsn - 1].id;
	if (!ret && p->sn[p->nsn - 1].removed) {
		codec_be64_write(k, sto_next_id(t, newest));
		sto_txn_put(t, s->meta, "next", 4, k, 8, 0);
	}
	if (!ret)
		/* Tombstones: an older nsnap would write past them
		 * unchained. */
		sto_format_raise(t, p->r->tombs ? STORE_FORMAT : STORE_FORMAT_IDS);
	return ret ? ret : t->ret;
}

static void prune_free(struct prune *p)
{
	free(p->sn);
	free(p->gone);
	free(p->kept);
	hset_free(&p->live);
	hset_free(&p->chunks_ok);
	hset_free(&p->chunks_bad);
	codec_buf_free(&p->label_buf);
}

static int prune_txn(struct store *s, const struct store_prune_opts *o,
		     struct store_prune_result *r)
{
	struct prune p = { .o = o, .r = r };
	int ret;

	*r = (struct store_prune_result){ 0 };
	codec_buf_init(&p.label_buf);
	ret = sto_txn_begin(s, &p.t, true);
	if (ret)
		return ret;
	ret = prune_scan(&p);
	if (!ret)
		ret = prune_pick(&p);
	r->remaining = p.nsn;
	if (!ret && p.ngone) {
		r->snapshots = p.ngone;
		r->remaining = p.nsn - p.ngone;
		r->first = p.gone[0];
		r->last = p.gone[p.ngone - 1];
		ret = prune_mark(&p);
		if (!ret)
			ret = prune_remove(&p);
	}
	if (!ret && !o->dry_run && p.ngone)
		ret = sto_txn_commit(&p.t);
	sto_txn_abort(&p.t);
	prune_free(&p);
	return ret;
}

int store_prune(struct store *s, const struct store_prune_opts *o,
		struct store_prune_result *r)
{
	struct store_prune_result scratch;
	int ret;

	if (!r)
		r = &scratch;
	if (s->rdonly)
		return STORE_ERDONLY;
	for (;;) {
		ret = prune_txn(s, o, r);
		if (ret != MDB_MAP_FULL)
			break;
		/* Changing pages takes new ones (copy on write): a full map
		 * can refuse even a deletion.  Nothing was left behind. */
		ret = sto_grow_map(s);
		if (ret)
			break;
	}
	if (ret)
		*r = (struct store_prune_result){ 0 };
	return ret;
}

