/*
 * nsidx.c — the namespace index: where each namespace changed, so that one
 * namespace's history reads only the snapshots where it did.
 *
 * Owns the index's entries and which snapshots they cover: writing them
 * with each snapshot and rewriting them for a prune (nsidx_read.c reads
 * them for a history, checking them against the snapshots they name, and
 * for verify; nsidx_ctx.c computes the context digests).  Two kinds of
 * entries per namespace (dev, inode), each written where its value differs
 * from the one it had in the previous snapshot recorded here (imported
 * snapshots are not indexed):
 *
 *   record   dev, inode, id       -> hash of its record, 0 where it is gone
 *   context  dev, inode, 'c', id  -> its context digest (nsidx_ctx.c)
 *
 * so that the value at snapshot N is that of the last entry at or before
 * N.  Record entries are what every nsnap writes; context entries only
 * this one, so a snapshot whose context entries were written carries a
 * mark, lists key (id, 'c'), empty: it is "covered".  A history uses the
 * index for covered snapshots and loads every other one whole (imported
 * ones, and those an older nsnap recorded): an old store works, and is
 * fast from its first snapshot written here on.  Context entries are
 * written against the last ones at or before the snapshot before, whoever
 * wrote that, so every covered snapshot reads right; an older nsnap's
 * prune leaves them where they are, which still reads right for every
 * snapshot that remains (only the entries of removed ones stay behind).
 */
#include "nsidx_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t nsx_zero_def[CODEC_HASH_LEN];
const uint8_t *const nsx_zero = nsx_zero_def;

/* ---- entries and marks -------------------------------------------------- */

int nsx_ent_read(const struct sto_txn *t, const MDB_val *k, const MDB_val *v,
		 struct nsx_ent *e)
{
	const uint8_t *p = k->mv_data;

	*e = (struct nsx_ent){ .kind = NSX_OTHER };
	if (sto_val_check(t, k) || sto_val_check(t, v))
		return STORE_ECORRUPT;
	if (k->mv_size == NSX_REC_KEY)
		e->kind = NSX_REC;
	else if (k->mv_size == NSX_CTX_KEY && p[16] == NSX_CTX_TAG)
		e->kind = NSX_CTX;
	if (e->kind == NSX_OTHER)
		return 0;
	e->key.dev = codec_be64_read(p);
	e->key.ino = codec_be64_read(p + 8);
	e->id = codec_be64_read(p + (e->kind == NSX_REC ? 16 : 17));
	e->vok = v->mv_size == CODEC_HASH_LEN;
	if (e->vok)
		memcpy(e->v, v->mv_data, CODEC_HASH_LEN);
	return 0;
}

/* The coverage mark's key of snapshot ID. */
static void mark_key(uint8_t k[9], uint64_t id)
{
	codec_be64_write(k, id);
	k[8] = NSX_MARK;
}

bool nsx_covered(struct sto_txn *t, uint64_t id)
{
	uint8_t k[9];
	MDB_val val;
	int rc;

	mark_key(k, id);
	rc = sto_txn_get(t, t->s->lists, k, 9, &val);
	if (rc == STORE_ECORRUPT)
		sto_corrupt_clear();
	return rc == 0;
}

int nsx_push(struct nsx_ent **e, size_t *n, size_t *cap, const struct nsx_ent *x)
{
	if (*n == *cap) {
		size_t ncap = *cap ? 2 * *cap : 16;
		struct nsx_ent *more = realloc(*e, ncap * sizeof(*more));
		if (!more)
			return -ENOMEM;
		*e = more;
		*cap = ncap;
	}
	(*e)[(*n)++] = *x;
	return 0;
}

/*
 * The last entry of KIND for KEY at or before ID, by cursor C: 1 and *e,
 * 0 when there is none, or an error.
 */
int nsx_ent_at(struct sto_txn *t, MDB_cursor *c, enum nsx_kind kind,
		  struct ns_key key, uint64_t id, struct nsx_ent *e)
{
	uint8_t k[NSX_CTX_KEY];
	MDB_val mk = { nsx_key(k, kind, key, id), k }, val;
	int rc = sto_lm_cursor_get(c, &mk, &val, MDB_SET_RANGE);

	if (!rc) {
		struct nsx_ent here;
		if (nsx_ent_read(t, &mk, &val, &here))
			return STORE_ECORRUPT;
		if (here.kind == kind && nsx_same_key(here.key, key) && here.id == id) {
			*e = here;
			return 1;
		}
		rc = sto_lm_cursor_get(c, &mk, &val, MDB_PREV);
	} else if (rc == MDB_NOTFOUND) {
		rc = sto_lm_cursor_get(c, &mk, &val, MDB_LAST);
	}
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc)
		return sto_mdb_err(rc);
	if (nsx_ent_read(t, &mk, &val, e))
		return STORE_ECORRUPT;
	return e->kind == kind && nsx_same_key(e->key, key) && e->id <= id;
}

/* ---- writing ------------------------------------------------------------ */

static int hash_cmp(const void *a, const void *b)
{
	return memcmp(a, b, CODEC_HASH_LEN);
}

static bool hash_in(const uint8_t *h, const struct codec_hash *set, size_t n)
{
	return n && bsearch(h, set, n, sizeof(*set), hash_cmp);
}

static void put_entry(struct sto_txn *t, enum nsx_kind kind, struct ns_key key,
		      uint64_t id, const uint8_t *v)
{
	uint8_t k[NSX_CTX_KEY];
	size_t klen = nsx_key(k, kind, key, id);

	sto_txn_put(t, t->s->nsidx, k, klen, v, CODEC_HASH_LEN, MDB_NOOVERWRITE);
}

/*
 * Record entries of snapshot ID: one per namespace whose record is not in
 * snapshot PREV (new or changed: the record holds the key, so an equal
 * hash is the same namespace unchanged), and a tombstone for each
 * namespace of PREV that is gone.  PREV 0: there is none.  A previous
 * snapshot that cannot be read is taken as empty: every namespace gets an
 * entry.
 */
static void rec_put(struct sto_txn *t, const struct sto_nsidx_snap *sn,
		    uint64_t id, uint64_t prev_id)
{
	const struct graph *g = sn->g;
	struct codec_hash *prev = NULL;
	size_t nprev = 0;
	struct codec_rec rec;
	struct ns_key key;

	if (prev_id) {
		int ret = sto_list_hashes(t, prev_id, LIST_NS, &prev, &nprev);
		if (ret == STORE_ECORRUPT) {
			sto_corrupt_clear();
		} else if (ret) {
			sto_txn_fail(t, ret);
			return;
		}
		if (nprev)
			qsort(prev, nprev, sizeof(*prev), hash_cmp);
	}
	for (size_t i = 0; i < g->nns; i++)
		if (!hash_in(sn->ns_h[i].b, prev, nprev))
			put_entry(t, NSX_REC, g->ns[i].key, id, sn->ns_h[i].b);
	for (size_t i = 0; i < nprev && !t->ret; i++) {
		if (hash_in(prev[i].b, sn->ns_sorted, g->nns))
			continue;
		int ret = sto_rec_get(t, prev[i].b, &rec);
		if (ret && ret != STORE_ECORRUPT) {
			sto_txn_fail(t, ret);
			break;
		}
		/* Unreadable: its fate cannot be told; the others' can. */
		if (ret || codec_ns_key(rec.data, rec.len, &key))
			continue;
		if (graph_ns_find(g, key) == GRAPH_NONE)
			put_entry(t, NSX_REC, key, id, nsx_zero);
	}
	sto_corrupt_clear();
	free(prev);
}

/* The context entries snapshot ID is to get: one per namespace whose
 * digest is not the one its last entry before ID says. */
struct ctx_plan {
	struct codec_hash *ctx;     /* per namespace */
	uint32_t *put;              /* the namespaces that get one */
	size_t nput;
};

/* Read before anything is written to the index, while its pages are the
 * committed ones (see prune_remove()). */
static int ctx_plan(struct sto_txn *t, const struct sto_nsidx_snap *sn,
		    uint64_t id, struct ctx_plan *cp)
{
	const struct graph *g = sn->g;
	MDB_cursor *c = NULL;
	struct nsx_ent e;
	int ret;

	cp->nput = 0;
	cp->ctx = calloc(g->nns + 1, sizeof(*cp->ctx));
	cp->put = calloc(g->nns + 1, sizeof(*cp->put));
	ret = !cp->ctx || !cp->put ? -ENOMEM :
	      sto_nsidx_contexts(g, sn->ns_h, GRAPH_NONE, cp->ctx);
	if (!ret && sto_cursor_open(t, t->s->nsidx, &c))
		ret = t->ret;
	for (uint32_t i = 0; !ret && i < g->nns; i++) {
		int r = nsx_ent_at(t, c, NSX_CTX, g->ns[i].key, id - 1, &e);
		/* A damaged entry is as none: this one says it again. */
		if (r == STORE_ECORRUPT)
			sto_corrupt_clear();
		else if (r < 0)
			ret = r;
		if (r <= 0 || !e.vok || memcmp(e.v, cp->ctx[i].b, CODEC_HASH_LEN))
			cp->put[cp->nput++] = i;
	}
	if (c)
		mdb_cursor_close(c);
	return ret;
}

static void ctx_write(struct sto_txn *t, const struct sto_nsidx_snap *sn,
		      uint64_t id, const struct ctx_plan *cp)
{
	for (size_t i = 0; i < cp->nput; i++)
		put_entry(t, NSX_CTX, sn->g->ns[cp->put[i]].key, id,
			  cp->ctx[cp->put[i]].b);
}

/*
 * The newest snapshot before ID that is in the namespace index (recorded
 * here, not imported), or 0.  One whose header cannot be read counts: its
 * lists may still serve, and most snapshots are recorded ones.
 */
uint64_t nsx_prev(struct sto_txn *t, uint64_t id)
{
	struct codec_header h;
	MDB_cursor *c;
	uint8_t k[8];
	MDB_val key = { 8, k }, val;
	uint64_t cur = 0;
	int rc;

	if (sto_cursor_open(t, t->s->snaps, &c))
		return 0;
	/* From ID down: a verify asks for every snapshot in turn. */
	codec_be64_write(k, id);
	rc = sto_lm_cursor_get(c, &key, &val, MDB_SET_RANGE);
	if (rc == MDB_NOTFOUND)
		rc = sto_lm_cursor_get(c, &key, &val, MDB_LAST);
	for (; !rc; rc = sto_lm_cursor_get(c, &key, &val, MDB_PREV)) {
		if (sto_key_id(t, &key, &cur) || cur >= id)
			continue;
		if (sto_header_decode(t, cur, &val, &h) || !h.imported)
			break;
		cur = 0;
	}
	if (rc == MDB_NOTFOUND)
		cur = 0;
	else if (rc)
		sto_txn_fail(t, sto_mdb_err(rc));
	mdb_cursor_close(c);
	/* A damaged header's complaint is no failure of the caller's. */
	sto_corrupt_clear();
	return cur;
}

void sto_nsidx_put(struct sto_txn *t, const struct sto_nsidx_snap *sn,
		   uint64_t id, bool imported)
{
	struct ctx_plan cp;
	uint8_t k[9];

	if (t->ret || imported)
		return;
	sto_txn_fail(t, ctx_plan(t, sn, id, &cp));
	if (!t->ret) {
		rec_put(t, sn, id, nsx_prev(t, id));
		ctx_write(t, sn, id, &cp);
	}
	free(cp.ctx);
	free(cp.put);
	mark_key(k, id);
	sto_txn_put(t, t->s->lists, k, 9, k, 0, MDB_NOOVERWRITE);
}

/* ---- rewriting for a prune ---------------------------------------------- */

/* A change to the index, made after the walk: LMDB's cursor after a
 * deletion is a subtle thing, and these are few. */
struct edit {
	uint8_t key[NSX_CTX_KEY];
	size_t klen;
	bool del;
	uint8_t val[CODEC_HASH_LEN];
};

struct rewrite {
	struct sto_txn *t;
	struct edit *ed;
	size_t ned, cap;
	uint64_t removed;       /* entries the rewrite leaves out */
	int err;
};

static void add_edit(struct rewrite *w, enum nsx_kind kind, struct ns_key key,
		     uint64_t id, const uint8_t *val)
{
	if (w->err)
		return;
	if (w->ned == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 64;
		struct edit *more = realloc(w->ed, cap * sizeof(*more));
		if (!more) {
			w->err = -ENOMEM;
			return;
		}
		w->ed = more;
		w->cap = cap;
	}
	struct edit *e = &w->ed[w->ned++];
	e->klen = nsx_key(e->key, kind, key, id);
	e->del = !val;
	if (val)
		memcpy(e->val, val, CODEC_HASH_LEN);
}

/* The value of the entries E[0..n) (id order) at snapshot X: the last at
 * or before it; NULL when there is none or it says gone. */
static const uint8_t *state_at(const struct nsx_ent *e, size_t n, uint64_t x)
{
	const uint8_t *st = NULL;

	for (size_t i = 0; i < n && e[i].id <= x; i++)
		st = memcmp(e[i].v, nsx_zero, CODEC_HASH_LEN) ? e[i].v : NULL;
	return st;
}

static bool same_state(const uint8_t *a, const uint8_t *b)
{
	return a == b || (a && b && !memcmp(a, b, CODEC_HASH_LEN));
}

/*
 * The entries one namespace should have, of one kind, once only the
 * snapshots KEEP[0..nkeep) (sorted) remain, as edits against the entries
 * E[0..n) it has.  An entry sits at a kept snapshot whose value differs
 * from the kept one before it; a kept snapshot's value is that of the last
 * entry at or before it, so every remaining snapshot reads the same as
 * before.  Only the first kept snapshot at or after an entry can change:
 * those are the candidates.
 */
static void rewrite_one(struct rewrite *w, const struct nsx_ent *e, size_t n,
			const uint64_t *keep, size_t nkeep)
{
	enum nsx_kind kind = e[0].kind;
	struct ns_key key = e[0].key;
	uint64_t last = 0;
	size_t nnew = 0, j = 0;

	for (size_t i = 0; i < n; i++) {
		/* The first kept snapshot at or after this entry. */
		size_t lo = 0, hi = nkeep;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (keep[mid] < e[i].id)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo == nkeep || keep[lo] == last)
			continue;
		uint64_t r = last = keep[lo];
		const uint8_t *st = state_at(e, n, r);
		const uint8_t *before = lo ? state_at(e, n, keep[lo - 1]) : NULL;
		if (same_state(st, before))
			continue;
		nnew++;
		/* Old entries before R that are not kept go; one at R stays
		 * when it says the same. */
		for (; j < n && e[j].id < r; j++)
			add_edit(w, kind, key, e[j].id, NULL);
		const uint8_t *want = st ? st : nsx_zero;
		if (j < n && e[j].id == r && !memcmp(e[j].v, want, CODEC_HASH_LEN)) {
			j++;
			continue;
		}
		if (j < n && e[j].id == r)
			j++;
		add_edit(w, kind, key, r, want);
	}
	for (; j < n; j++)
		add_edit(w, kind, key, e[j].id, NULL);
	w->removed += n > nnew ? n - nnew : 0;
}

/* Walk the index one namespace and kind at a time, rewriting each: record
 * entries against the kept snapshots, context entries against the covered
 * ones among them (CTX_KEEP[0..nctx)). */
static void rewrite_walk(struct rewrite *w, const struct sto_nsidx_keep *k,
			 const uint64_t *ctx_keep, size_t nctx)
{
	struct sto_txn *t = w->t;
	struct nsx_ent *e = NULL, cur;
	size_t n = 0, cap = 0;
	MDB_cursor *c;
	MDB_val key, val;
	int rc;

	if (sto_cursor_open(t, t->s->nsidx, &c))
		return;
	for (rc = sto_lm_cursor_get(c, &key, &val, MDB_FIRST);;
	     rc = sto_lm_cursor_get(c, &key, &val, MDB_NEXT)) {
		bool end = rc != 0;
		/* Malformed entries are left as they are: not ours to judge
		 * here; a history and verify report them. */
		if (!end && (nsx_ent_read(t, &key, &val, &cur) ||
			     cur.kind == NSX_OTHER || !cur.vok))
			continue;
		if (n && (end || cur.kind != e[0].kind ||
			  !nsx_same_key(cur.key, e[0].key))) {
			if (e[0].kind == NSX_REC)
				rewrite_one(w, e, n, k->kept, k->nkept);
			else
				rewrite_one(w, e, n, ctx_keep, nctx);
			n = 0;
		}
		if (end || w->err || (w->err = nsx_push(&e, &n, &cap, &cur)))
			break;
	}
	if (rc && rc != MDB_NOTFOUND && !w->err)
		w->err = sto_mdb_err(rc);
	mdb_cursor_close(c);
	free(e);
	sto_corrupt_clear();
}

int sto_nsidx_prune(struct sto_txn *t, const struct sto_nsidx_keep *k,
		    uint64_t *removed)
{
	struct rewrite w = { .t = t };
	uint64_t *covered = malloc((k->nkept + 1) * sizeof(*covered));
	size_t ncov = 0;
	uint8_t mk[9];

	if (!covered)
		return -ENOMEM;
	for (size_t i = 0; i < k->nkept; i++)
		if (nsx_covered(t, k->kept[i]))
			covered[ncov++] = k->kept[i];
	rewrite_walk(&w, k, covered, ncov);
	for (size_t i = 0; i < w.ned && !w.err; i++) {
		const struct edit *e = &w.ed[i];
		if (e->del)
			sto_txn_del(t, t->s->nsidx, e->key, e->klen);
		else
			sto_txn_put(t, t->s->nsidx, e->key, e->klen, e->val,
				    CODEC_HASH_LEN, 0);
	}
	for (size_t i = 0; i < k->ngone && !w.err; i++) {
		mark_key(mk, k->gone[i]);
		sto_txn_del(t, t->s->lists, mk, 9);
	}
	*removed += w.removed;
	free(w.ed);
	free(covered);
	return w.err ? w.err : t->ret;
}
