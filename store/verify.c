/*
 * verify.c — checking snapshots: each read the way store_load() reads it,
 * in a transaction of its own, and decoded.
 *
 * Owns what counts as damage to one snapshot (told to the caller, the walk
 * goes on) and what stops the check.
 */
#include "store_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Codes by which LMDB says a page it was led to is not what it should be:
 * damage to one snapshot's part of the store, not to the walk. */
static bool page_damage(int err)
{
	return err == MDB_CORRUPTED || err == MDB_PAGE_NOTFOUND;
}

/* One snapshot, in a transaction of its own (after LMDB finds a damaged
 * page it refuses the rest of the transaction). */
static int verify_one(struct store *s, uint64_t id, struct store_check *c)
{
	struct sto_txn t;
	struct codec_header h;
	struct codec_snapshot snap;
	struct graph *g = NULL;
	int ret;

	*c = (struct store_check){ .id = id };
	ret = sto_txn_begin(s, &t, false);
	if (ret)
		return ret;
	sto_corrupt_clear();
	ret = sto_snap_read(&t, id, &h, &snap);
	if (!ret)
		ret = sto_snap_decode(id, &snap, &g);
	graph_free(g);
	sto_snap_free(&snap);
	sto_txn_abort(&t);
	if (ret == STORE_ECORRUPT || page_damage(ret)) {
		c->err = ret;
		c->what = store_strerror(ret);
		/* The caller says whose store it is. */
		if (!strncmp(c->what, "corrupt store: ", 15))
			c->what += 15;
		if (ret == STORE_ECORRUPT)
			c->has_record = sto_corrupt_which(c->record);
		return 0;
	}
	return ret;
}

struct ids {
	uint64_t *v;
	size_t n, cap;
};

static int id_one(struct sto_txn *t, const MDB_val *key, const MDB_val *val,
		  void *ctx)
{
	struct ids *ids = ctx;
	uint64_t id;

	(void)val;
	/* A key of another size is no snapshot at all. */
	if (sto_key_id(t, key, &id))
		return 0;
	if (ids->n == ids->cap) {
		size_t cap = ids->cap ? 2 * ids->cap : 64;
		uint64_t *more = realloc(ids->v, cap * sizeof(*more));
		if (!more)
			return -ENOMEM;
		ids->v = more;
		ids->cap = cap;
	}
	ids->v[ids->n++] = id;
	return 0;
}

/* Every snapshot id, damaged headers included, in one read transaction. */
static int all_ids(struct store *s, uint64_t **ids, size_t *n)
{
	struct ids all = { 0 };
	int ret = sto_snaps_walk(s, id_one, &all);

	if (ret) {
		free(all.v);
		all = (struct ids){ 0 };
	}
	*ids = all.v;
	*n = all.n;
	return ret;
}

int store_verify(struct store *s, uint64_t id,
		 int (*cb)(const struct store_check *c, void *ctx), void *ctx,
		 store_progress_fn *progress, uint64_t *ndamaged)
{
	struct store_check c;
	uint64_t *ids = NULL, bad = 0;
	size_t n = 1;
	int ret = 0;

	if (ndamaged)
		*ndamaged = 0;
	/* Every page, whatever the store's size: verify passes only when
	 * all of it is sound. */
	ret = sto_store_tree_check(s);
	if (ret)
		return ret;
	if (!id) {
		ret = all_ids(s, &ids, &n);
		if (ret)
			return ret;
	}
	for (size_t i = 0; i < n; i++) {
		ret = verify_one(s, ids ? ids[i] : id, &c);
		/* Pruned since the walk began: nothing to check. */
		if (ret == STORE_ENOSNAP && ids) {
			ret = 0;
			continue;
		}
		if (ret)
			break;
		bad += c.err != 0;
		if (progress)
			progress("snapshots", i + 1, n, ctx);
		if (cb && (ret = cb(&c, ctx)))
			break;
	}
	free(ids);
	if (ndamaged)
		*ndamaged = bad;
	return ret ? ret : bad ? STORE_ECORRUPT : 0;
}

