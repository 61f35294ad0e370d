/*
 * chain.c — the hash chain of a store's headers: its head, the tombstones
 * prune leaves, and the walk that checks it.
 *
 * Owns what makes a deleted, reordered, replaced or rolled-back snapshot
 * show.  Each version 5 header carries the link (custody.h) of the header
 * written before it in this store, in id order, which is the order of
 * writes.  Four things could still hide a change, and each is covered:
 *   - the tail: deleting the newest snapshots leaves a chain that is
 *     whole but shorter, so meta "chain" keeps the head (the link of the
 *     last header written) and the seal the highest id handed out (held
 *     to only past meta "chain-from": an older nsnap's prunes left no
 *     tombstone);
 *   - links made whole again around a hole, or an honest record after
 *     the tail and the head were taken: a write that fails hands out no
 *     id, so every id past "chain-from" holds a snapshot or lies in a
 *     tombstone's run (walk_gap()), and the chain begins only once;
 *   - prune: a pruned run leaves a tombstone with the prev of its first
 *     header and the link of its last, so the chain still reads across;
 *   - headers older than the chain: they carry no prev, and the first
 *     version 5 header links to the newest of them; the chain is said to
 *     start there, and one of them after it is a break.
 * A snapshot signed here (its signature names this store's id, meta "id")
 * must also stand at the id and after the link it was signed with; one
 * signed elsewhere is counted by the ids it had in its own store, which
 * shows what of that store is missing here.
 * All of it is unkeyed: whoever can write the data file can rewrite the
 * chain from the edit on.  Signatures (custody.h) are what an edit cannot
 * redo; the chain makes a signed snapshot vouch for its predecessor.
 */
#include "store_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEAD_LEN (8 + CUSTODY_DIGEST_LEN)
#define TOMB_KEY_LEN 12
#define TOMB_LEN (8 + 8 + 1 + 2 * CUSTODY_DIGEST_LEN)

static void tomb_key(uint8_t k[TOMB_KEY_LEN], uint64_t first)
{
	memcpy(k, "tomb", 4);
	codec_be64_write(k + 4, first);
}

int sto_chain_head(struct sto_txn *t, bool *has,
		   uint8_t link[CUSTODY_DIGEST_LEN])
{
	MDB_cursor *c;
	MDB_val key, val;
	int rc;

	*has = false;
	rc = sto_txn_get(t, t->s->meta, "chain", 5, &val);
	if (!rc && val.mv_size == HEAD_LEN) {
		memcpy(link, (const uint8_t *)val.mv_data + 8, CUSTODY_DIGEST_LEN);
		*has = true;
		return 0;
	}
	/* A malformed head (verify says so) must not stop every record
	 * from now on: the newest header stands in for it, and the header
	 * written next makes a head again. */
	if (!rc || rc == STORE_ECORRUPT) {
		sto_corrupt_clear();
		rc = MDB_NOTFOUND;
	}
	if (rc != MDB_NOTFOUND)
		return rc;
	/* No head yet: a store written before the chain, or a new one. */
	if (sto_cursor_open(t, t->s->snaps, &c))
		return t->ret;
	rc = sto_lm_cursor_get(c, &key, &val, MDB_LAST);
	if (!rc && !(rc = sto_val_check(t, &val))) {
		custody_link(val.mv_data, val.mv_size, link);
		*has = true;
	}
	mdb_cursor_close(c);
	if (rc == MDB_NOTFOUND)
		rc = 0;
	if (rc)
		sto_txn_fail(t, sto_mdb_err(rc));
	return rc ? t->ret : 0;
}

int sto_store_id(struct sto_txn *t, uint8_t id[CUSTODY_STORE_ID_LEN],
		 bool make)
{
	MDB_val val;
	int rc = sto_txn_get(t, t->s->meta, "id", 2, &val);

	if (!rc && val.mv_size == CUSTODY_STORE_ID_LEN) {
		memcpy(id, val.mv_data, CUSTODY_STORE_ID_LEN);
		return 1;
	}
	if (!rc || rc == STORE_ECORRUPT) {
		sto_corrupt_clear();
		rc = MDB_NOTFOUND;   /* malformed: made again, verify tells */
	}
	if (rc != MDB_NOTFOUND)
		return rc;
	if (!make)
		return 0;
	custody_random(id, CUSTODY_STORE_ID_LEN);
	sto_txn_put(t, t->s->meta, "id", 2, id, CUSTODY_STORE_ID_LEN, 0);
	return t->ret ? t->ret : 1;
}

void sto_chain_begin(struct sto_txn *t, uint64_t from)
{
	struct codec_header h;
	MDB_cursor *c;
	MDB_val key, val;
	uint64_t id;
	uint8_t v[8];
	int rc;

	/* Once: a chain that began (a head, a start, or a newest header
	 * that links) does not begin again when its head is lost, or the
	 * ids taken out with it would pass for ids of before the chain. */
	if (sto_txn_get(t, t->s->meta, "chain", 5, &val) != MDB_NOTFOUND ||
	    sto_txn_get(t, t->s->meta, "chain-from", 10, &val) != MDB_NOTFOUND)
		return;
	if (sto_cursor_open(t, t->s->snaps, &c))
		return;
	/* The newest before this write's (which comes last: skip it). */
	rc = sto_lm_cursor_get(c, &key, &val, MDB_LAST);
	if (!rc && !sto_key_id(t, &key, &id) && id > from)
		rc = sto_lm_cursor_get(c, &key, &val, MDB_PREV);
	bool linked = !rc && !sto_key_id(t, &key, &id) &&
		      !sto_header_decode(t, id, &val, &h) && h.version >= 5;
	mdb_cursor_close(c);
	sto_corrupt_clear();
	if (linked)
		return;
	codec_be64_write(v, from);
	sto_txn_put(t, t->s->meta, "chain-from", 10, v, sizeof(v), 0);
}

void sto_chain_set_head(struct sto_txn *t, uint64_t id, const void *hdr,
			size_t n)
{
	uint8_t link[CUSTODY_DIGEST_LEN];

	custody_link(hdr, n, link);
	sto_chain_set_link(t, id, link);
}

void sto_chain_set_link(struct sto_txn *t, uint64_t id,
			const uint8_t link[CUSTODY_DIGEST_LEN])
{
	uint8_t v[HEAD_LEN];

	codec_be64_write(v, id);
	memcpy(v + 8, link, CUSTODY_DIGEST_LEN);
	sto_txn_put(t, t->s->meta, "chain", 5, v, sizeof(v), 0);
}

/* The tombstone at cursor entry KEY/VAL (a "tomb" key): 1, 0 when the
 * entry is no tombstone (past them), or STORE_ECORRUPT. */
static int tomb_read(const struct sto_txn *t, const MDB_val *key,
		     const MDB_val *val, struct sto_tomb *tomb)
{
	const uint8_t *v = val->mv_data;

	if (sto_val_check(t, key) || key->mv_size != TOMB_KEY_LEN ||
	    memcmp(key->mv_data, "tomb", 4))
		return 0;
	if (sto_val_check(t, val) || val->mv_size != TOMB_LEN || v[16] > 1)
		return STORE_ECORRUPT;
	tomb->first = codec_be64_read((const uint8_t *)key->mv_data + 4);
	tomb->last = codec_be64_read(v);
	tomb->count = codec_be64_read(v + 8);
	tomb->has_in = v[16];
	memcpy(tomb->in, v + 17, CUSTODY_DIGEST_LEN);
	memcpy(tomb->out, v + 17 + CUSTODY_DIGEST_LEN, CUSTODY_DIGEST_LEN);
	if (tomb->last < tomb->first || !tomb->count ||
	    tomb->count - 1 > tomb->last - tomb->first)
		return STORE_ECORRUPT;
	return 1;
}

/*
 * The tombstones of runs inside FIRST..LAST: a run pruned now reaches
 * across them when the snapshots on both sides of an earlier pruned run
 * go (prune --keep after a prune of the middle).  The new tombstone
 * stands for them: they are deleted, their counts added to *COUNT, so
 * that no tombstone lies within another's run, where the walk would
 * read it after the outer one.  A malformed one is left for verify.
 */
static void tomb_absorb(struct sto_txn *t, uint64_t first, uint64_t last,
			uint64_t *count)
{
	uint8_t k[TOMB_KEY_LEN];
	struct sto_tomb in;
	MDB_cursor *c;
	MDB_val key, val;

	for (uint64_t from = first + 1; first < last && from <= last;
	     from = in.first + 1) {
		int rc, got = 0;
		if (sto_cursor_open(t, t->s->meta, &c))
			return;
		tomb_key(k, from);
		key = (MDB_val){ sizeof(k), k };
		rc = sto_lm_cursor_get(c, &key, &val, MDB_SET_RANGE);
		if (!rc)
			got = tomb_read(t, &key, &val, &in);
		mdb_cursor_close(c);
		if (rc && rc != MDB_NOTFOUND)
			sto_txn_fail(t, sto_mdb_err(rc));
		if (rc || got != 1 || in.first > last)
			return;
		*count += in.count;
		tomb_key(k, in.first);
		sto_txn_del(t, t->s->meta, k, sizeof(k));
		if (t->ret || in.first == last)
			return;
	}
}

/* The first tombstone from id FROM on (BEFORE: the last one before FROM)
 * into *OUT: 1, or 0 when there is none (or it is malformed: verify says
 * so); an error is the transaction's. */
static int tomb_near(struct sto_txn *t, uint64_t from, bool before,
		     struct sto_tomb *out)
{
	uint8_t k[TOMB_KEY_LEN];
	MDB_cursor *c;
	MDB_val key, val;
	int rc, got = 0;

	if (sto_cursor_open(t, t->s->meta, &c))
		return 0;
	tomb_key(k, from);
	key = (MDB_val){ sizeof(k), k };
	rc = sto_lm_cursor_get(c, &key, &val, MDB_SET_RANGE);
	if (before && (!rc || rc == MDB_NOTFOUND))
		rc = sto_lm_cursor_get(c, &key, &val,
				       rc == MDB_NOTFOUND ? MDB_LAST : MDB_PREV);
	if (!rc)
		got = tomb_read(t, &key, &val, out);
	mdb_cursor_close(c);
	if (rc && rc != MDB_NOTFOUND)
		sto_txn_fail(t, sto_mdb_err(rc));
	return got == 1;
}

/* Whether the store holds no header with an id between LO and HI (both
 * excluded). */
static bool none_between(struct sto_txn *t, uint64_t lo, uint64_t hi)
{
	uint8_t k[8];
	MDB_cursor *c;
	MDB_val key = { sizeof(k), k }, val;
	uint64_t id = hi;
	int rc;

	if (hi - lo < 2)
		return true;
	if (sto_cursor_open(t, t->s->snaps, &c))
		return false;
	codec_be64_write(k, lo + 1);
	rc = sto_lm_cursor_get(c, &key, &val, MDB_SET_RANGE);
	if (!rc && sto_key_id(t, &key, &id))
		id = lo + 1;
	mdb_cursor_close(c);
	if (rc && rc != MDB_NOTFOUND)
		sto_txn_fail(t, sto_mdb_err(rc));
	return rc == MDB_NOTFOUND || (!rc && id >= hi);
}

/*
 * A tombstone for the run of TOMB.  One that ends right before it, or
 * begins right after it, with no snapshot left between and the chain
 * whole across the seam, becomes one with it: 'record --keep N' prunes
 * one snapshot at a time, and the store keeps a tombstone per run, not
 * one per snapshot it ever pruned.
 */
void sto_chain_bury(struct sto_txn *t, const struct sto_tomb *tomb)
{
	uint8_t k[TOMB_KEY_LEN], v[TOMB_LEN];
	struct sto_tomb b = *tomb, near;

	tomb_absorb(t, b.first, b.last, &b.count);
	if (b.has_in && tomb_near(t, b.first, true, &near) &&
	    near.last < b.first && none_between(t, near.last, b.first) &&
	    !memcmp(near.out, b.in, CUSTODY_DIGEST_LEN)) {
		/* Written under NEAR's key, in its place. */
		b.first = near.first;
		b.has_in = near.has_in;
		memcpy(b.in, near.in, CUSTODY_DIGEST_LEN);
		b.count += near.count;
	}
	if (b.last < UINT64_MAX && tomb_near(t, b.last + 1, false, &near) &&
	    near.has_in && none_between(t, b.last, near.first) &&
	    !memcmp(near.in, b.out, CUSTODY_DIGEST_LEN)) {
		b.last = near.last;
		memcpy(b.out, near.out, CUSTODY_DIGEST_LEN);
		b.count += near.count;
		tomb_key(k, near.first);
		sto_txn_del(t, t->s->meta, k, sizeof(k));
	}
	tomb_key(k, b.first);
	codec_be64_write(v, b.last);
	codec_be64_write(v + 8, b.count);
	v[16] = b.has_in;
	memcpy(v + 17, b.in, CUSTODY_DIGEST_LEN);
	memcpy(v + 17 + CUSTODY_DIGEST_LEN, b.out, CUSTODY_DIGEST_LEN);
	sto_txn_put(t, t->s->meta, k, sizeof(k), v, sizeof(v), 0);
}

/* ---- the walk ----------------------------------------------------------- */

/* Where the walk is: the link the next item must name. */
struct chain_walk {
	struct sto_txn *t;
	struct store_chain *sum;
	store_chain_fn *cb;
	void *ctx;
	bool known;
	bool blind;         /* EXPECT unknown: a header outside the file */
	bool has_id;        /* the store has an id: */
	uint8_t store_id[CUSTODY_STORE_ID_LEN];
	/* The ids the snapshots of sum->origins[i] had there, as met. */
	uint64_t *oid[STORE_CHAIN_ORIGINS];
	size_t noid[STORE_CHAIN_ORIGINS], coid[STORE_CHAIN_ORIGINS];
	uint8_t expect[CUSTODY_DIGEST_LEN];
	char after[96];     /* what gave EXPECT, in words */
	uint64_t last_id;   /* highest id met, tombstones included */
	uint64_t from;      /* meta "chain-from": ids up to it may lack a
			       snapshot and a tombstone */
	bool began;         /* a head or a start is there: ids are held */
	int ret;
};

/* Ids handed out after the chain began are each a snapshot's or a
 * tombstone's (a write that fails hands none out): ids between the last
 * one met and FIRST that are neither were taken out. */
static void walk_gap(struct chain_walk *w, uint64_t first);

__attribute__((format(printf, 3, 4)))
static void breaks(struct chain_walk *w, uint64_t id, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (!w->sum->breaks++)
		w->sum->first_break = id;
	if (w->cb && !w->ret)
		w->ret = w->cb(id, what, w->ctx);
}

static void walk_tomb(struct chain_walk *w, const struct sto_tomb *tomb)
{
	bool blind = w->blind;

	w->blind = false;
	walk_gap(w, tomb->first);
	w->sum->tombs++;
	w->sum->pruned += tomb->count;
	if (tomb->has_in && !blind && (!w->known ||
			     memcmp(tomb->in, w->expect, CUSTODY_DIGEST_LEN)))
		breaks(w, tomb->first, "the chain breaks at the tombstone of "
		       "snapshots %" PRIu64 "-%" PRIu64 ": the first of them "
		       "did not follow %s", tomb->first, tomb->last,
		       w->known ? w->after : "the start of the store");
	memcpy(w->expect, tomb->out, CUSTODY_DIGEST_LEN);
	w->known = true;
	snprintf(w->after, sizeof(w->after), "the pruned snapshots %" PRIu64
		 "-%" PRIu64, tomb->first, tomb->last);
	if (tomb->last > w->last_id)
		w->last_id = tomb->last;
}

/* A snapshot signed in another store, counted by that store: its id
 * there kept, so that ids met twice are not taken for ids missing. */
static void count_origin(struct chain_walk *w, const struct custody_block *c)
{
	struct store_chain *sum = w->sum;
	size_t i;

	sum->signed_elsewhere++;
	for (i = 0; i < sum->norigins; i++)
		if (!memcmp(sum->origins[i].store, c->sig_store,
			    CUSTODY_STORE_ID_LEN))
			break;
	if (i == sum->norigins) {
		if (i == STORE_CHAIN_ORIGINS) {
			sum->more_origins = true;
			return;
		}
		memcpy(sum->origins[i].store, c->sig_store, CUSTODY_STORE_ID_LEN);
		sum->origins[i].lo = sum->origins[i].hi = c->sig_id;
		sum->norigins++;
	}
	struct store_chain_origin *o = &sum->origins[i];
	if (c->sig_id < o->lo)
		o->lo = c->sig_id;
	if (c->sig_id > o->hi)
		o->hi = c->sig_id;
	if (w->noid[i] == w->coid[i]) {
		size_t cap = w->coid[i] ? 2 * w->coid[i] : 64;
		uint64_t *more = realloc(w->oid[i], cap * sizeof(*more));
		if (!more) {
			w->ret = -ENOMEM;
			return;
		}
		w->oid[i] = more;
		w->coid[i] = cap;
	}
	w->oid[i][w->noid[i]++] = c->sig_id;
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Each other store's ids counted once, and those met again. */
static void count_origins_end(struct chain_walk *w)
{
	for (size_t i = 0; i < w->sum->norigins; i++) {
		struct store_chain_origin *o = &w->sum->origins[i];
		uint64_t *v = w->oid[i];
		size_t n = w->noid[i];

		qsort(v, n, sizeof(*v), u64_cmp);
		o->n = o->again = 0;
		for (size_t j = 0; j < n; j++) {
			if (j && v[j] == v[j - 1])
				o->again++;
			else
				o->n++;
		}
	}
}

static void walk_header(struct chain_walk *w, uint64_t id, const MDB_val *val)
{
	struct codec_header h;
	const struct custody_block *c = &h.custody;

	bool blind = w->blind;

	w->blind = false;
	walk_gap(w, id);
	if (id > w->last_id)
		w->last_id = id;
	if (sto_val_check(w->t, val)) {
		/* Not even its bytes can be read (verify says so): what
		 * follows it is not judged by it. */
		sto_corrupt_clear();
		w->sum->unreadable++;
		w->known = w->blind = true;
		snprintf(w->after, sizeof(w->after), "snapshot %" PRIu64, id);
		return;
	}
	if (sto_header_decode(w->t, id, val, &h)) {
		/* Verify reports the header itself; the chain reads on. */
		sto_corrupt_clear();
		w->sum->unreadable++;
	} else if (h.version < 5) {
		/* Older than the chain: only before its first link. */
		if (w->sum->linked && !blind)
			breaks(w, id, "the chain breaks at snapshot %" PRIu64
			       ": its header is of a version older than the "
			       "chain, after the chain began at snapshot %"
			       PRIu64, id, w->sum->first_linked);
		w->sum->before++;
	} else {
		/* Signed here: by the store's id, which the signature
		 * covers; the header's imported byte is not covered. */
		bool here = c->is_signed && w->has_id &&
			    !memcmp(c->sig_store, w->store_id,
				    CUSTODY_STORE_ID_LEN);
		w->sum->linked++;
		w->sum->is_signed += c->is_signed;
		if (c->is_signed && !here)
			count_origin(w, c);
		if (!w->sum->first_linked)
			w->sum->first_linked = id;
		if (blind)
			;
		else if (c->has_prev && !w->known)
			breaks(w, id, "the chain breaks at snapshot %" PRIu64
			       ": it follows a snapshot the store does not "
			       "hold (deleted without a tombstone)", id);
		else if (!c->has_prev && w->known)
			breaks(w, id, "the chain breaks at snapshot %" PRIu64
			       ": it starts a chain of its own after %s (the "
			       "store before it was replaced)", id, w->after);
		else if (c->has_prev &&
			 memcmp(c->prev, w->expect, CUSTODY_DIGEST_LEN))
			breaks(w, id, "the chain breaks at snapshot %" PRIu64
			       ": it does not follow %s (a snapshot between "
			       "them was deleted, or one was replaced or "
			       "moved)", id, w->after);
		else if (here &&
			 (c->sig_id != id || c->sig_has_prev != c->has_prev ||
			  memcmp(c->sig_prev, c->prev, CUSTODY_DIGEST_LEN)))
			breaks(w, id, "the chain breaks at snapshot %" PRIu64
			       ": it was signed here as snapshot %" PRIu64
			       ", after another snapshot than the one before "
			       "it now (moved, or one before it deleted)", id,
			       c->sig_id);
		else if (c->is_signed && !here && !h.imported)
			breaks(w, id, "the chain breaks at snapshot %" PRIu64
			       ": it says it was recorded here, but was signed "
			       "in another store (or the store's id changed)",
			       id);
	}
	custody_link(val->mv_data, val->mv_size, w->expect);
	w->known = true;
	snprintf(w->after, sizeof(w->after), "snapshot %" PRIu64, id);
}

static void walk_gap(struct chain_walk *w, uint64_t first)
{
	uint64_t lo = w->last_id > w->from ? w->last_id + 1 : w->from + 1;

	/* A store no chaining nsnap wrote has the gaps older ones left. */
	if (w->began && first > lo)
		breaks(w, first, "the chain breaks before snapshot %" PRIu64
		       ": ids %" PRIu64 "-%" PRIu64 " were handed out, and hold "
		       "neither a snapshot nor a tombstone (taken out)", first,
		       lo, first - 1);
}

/* Meta "chain-from" into *FROM (0 when there is none or it is
 * malformed), and whether the chain began (*BEGAN: a head or a start is
 * there): 0 or the error. */
static int read_from(struct sto_txn *t, uint64_t *from, bool *began)
{
	MDB_val val;
	int rc = sto_txn_get(t, t->s->meta, "chain", 5, &val);

	if (rc && rc != MDB_NOTFOUND && rc != STORE_ECORRUPT)
		return rc;
	*began = rc != MDB_NOTFOUND;
	rc = sto_txn_get(t, t->s->meta, "chain-from", 10, &val);
	*began |= rc != MDB_NOTFOUND;
	*from = 0;
	if (!rc && val.mv_size == 8)
		*from = codec_be64_read(val.mv_data);
	else if (rc == STORE_ECORRUPT || !rc)
		sto_corrupt_clear();
	else if (rc != MDB_NOTFOUND)
		return rc;
	return 0;
}

/* The head and the seal against where the walk ended. */
static void walk_end(struct chain_walk *w)
{
	MDB_val val;
	int rc = sto_txn_get(w->t, w->t->s->meta, "chain", 5, &val);

	if (rc == STORE_ECORRUPT) {
		sto_corrupt_clear();
		breaks(w, 0, "the chain's head lies outside the data file");
	} else if (!rc && val.mv_size == HEAD_LEN) {
		uint64_t head = codec_be64_read(val.mv_data);
		if (w->blind) {
			/* Not judged: see walk_header(). */
		} else if (!w->known || memcmp((const uint8_t *)val.mv_data + 8,
					w->expect, CUSTODY_DIGEST_LEN))
			breaks(w, head, "the chain breaks after %s: the "
			       "chain's head, the last header written "
			       "(snapshot %" PRIu64 "), is not the newest the "
			       "store holds (snapshots deleted from its end, "
			       "or the store rolled back)",
			       w->known ? w->after : "the start", head);
	} else if (!rc) {
		breaks(w, 0, "the chain's head is %zu bytes, not %d",
		       val.mv_size, HEAD_LEN);
	} else if (rc != MDB_NOTFOUND) {
		w->ret = rc;
		return;
	} else if (w->sum->linked || w->sum->tombs) {
		/* Every write of a chaining nsnap leaves a head. */
		breaks(w, 0, "the chain breaks after %s: the chain's head is "
		       "missing (deleted, with snapshots after it?)",
		       w->known ? w->after : "the start");
	}
	/* A store no chaining nsnap wrote is not held to its seal here. */
	if (rc == MDB_NOTFOUND && !w->sum->linked && !w->sum->tombs)
		return;
	/* The seal knows ids handed out before the chain began too, which
	 * an older nsnap's prune left without a tombstone: only those after
	 * it are held to it. */
	if (w->t->s->seal_last > w->last_id && w->t->s->seal_last > w->from)
		breaks(w, w->t->s->seal_last, "the chain breaks after %s: "
		       "ids up to %" PRIu64 " were handed out (the seal says "
		       "so), and snapshots %" PRIu64 "-%" PRIu64 " are gone "
		       "without a tombstone (deleted or rolled back)",
		       w->known ? w->after : "the start", w->t->s->seal_last,
		       w->last_id + 1, w->t->s->seal_last);
}

int store_chain_check(struct store *s, store_chain_fn *cb, void *ctx,
		      struct store_chain *sum)
{
	struct sto_txn t;
	struct chain_walk w = { .t = &t, .sum = sum, .cb = cb, .ctx = ctx };
	struct sto_tomb tomb;
	MDB_cursor *snaps = NULL, *meta = NULL;
	MDB_val hk, hv, tk, tv;
	uint8_t k[TOMB_KEY_LEN];
	uint64_t id = 0;
	int hrc, trc, have_tomb = 0, ret;

	*sum = (struct store_chain){ 0 };
	ret = sto_txn_begin(s, &t, false);
	if (ret)
		return ret;
	ret = sto_store_id(&t, w.store_id, false);
	if (ret < 0) {
		w.ret = ret;
		goto out;
	}
	w.has_id = ret == 1;
	ret = read_from(&t, &w.from, &w.began);
	if (ret) {
		w.ret = ret;
		goto out;
	}
	sum->has_id = w.has_id;
	memcpy(sum->store_id, w.store_id, CUSTODY_STORE_ID_LEN);
	if (sto_cursor_open(&t, s->snaps, &snaps) ||
	    sto_cursor_open(&t, s->meta, &meta))
		goto out;
	tomb_key(k, 0);
	tk = (MDB_val){ sizeof(k), k };
	trc = sto_lm_cursor_get(meta, &tk, &tv, MDB_SET_RANGE);
	hrc = sto_lm_cursor_get(snaps, &hk, &hv, MDB_FIRST);
	for (;;) {
		if (!trc && !have_tomb) {
			have_tomb = tomb_read(&t, &tk, &tv, &tomb);
			if (have_tomb < 0) {
				breaks(&w, 0, "a tombstone of the chain is "
				       "malformed");
				have_tomb = 0;
				trc = sto_lm_cursor_get(meta, &tk, &tv, MDB_NEXT);
				continue;
			}
			if (!have_tomb)
				trc = MDB_NOTFOUND;
		}
		if (!hrc && sto_key_id(&t, &hk, &id)) {
			hrc = sto_lm_cursor_get(snaps, &hk, &hv, MDB_NEXT);
			continue;
		}
		if (have_tomb && (hrc || tomb.first < id)) {
			walk_tomb(&w, &tomb);
			have_tomb = 0;
			trc = sto_lm_cursor_get(meta, &tk, &tv, MDB_NEXT);
		} else if (!hrc) {
			walk_header(&w, id, &hv);
			hrc = sto_lm_cursor_get(snaps, &hk, &hv, MDB_NEXT);
		} else {
			break;
		}
		if (w.ret)
			break;
	}
	if (!w.ret && hrc != MDB_NOTFOUND)
		w.ret = sto_mdb_err(hrc);
	if (!w.ret && trc && trc != MDB_NOTFOUND)
		w.ret = sto_mdb_err(trc);
	if (!w.ret)
		walk_end(&w);
	if (!w.ret)
		count_origins_end(&w);
	for (size_t i = 0; i < STORE_CHAIN_ORIGINS; i++)
		free(w.oid[i]);
out:
	if (snaps)
		mdb_cursor_close(snaps);
	if (meta)
		mdb_cursor_close(meta);
	ret = w.ret ? w.ret : t.ret;
	sto_txn_abort(&t);
	sum->walked = !ret;
	return ret;
}
