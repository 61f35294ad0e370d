/*
 * nsidx_read.c — reading the namespace index, and checking it.
 *
 * Owns what an entry must agree with before anyone acts on it, so that a
 * damaged index gives an error, never a wrong history: a record entry
 * names a snapshot recorded here, a record of its own namespace that this
 * snapshot holds and the one before does not (a tombstone the reverse); a
 * context entry names a snapshot it covers (or one an older nsnap pruned)
 * and differs from the one before.  Where a
 * history loads a snapshot, the index's word on it is checked against what
 * it holds (store_ns_load()); verify checks every snapshot's word, and
 * with the newest one every entry (sto_nsidx_check()).
 */
#include "nsidx_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned long long ull;

/* ---- what the entries are checked against ------------------------------- */

/* One snapshot of the table. */
struct snapid {
	uint64_t id;
	bool readable, imported;
	bool covered;           /* its context entries were written */
	int64_t start_ns;
	char boot_id[64];
};

struct snaps {
	struct snapid *v;
	size_t n, cap;
};

static int snaps_one(struct sto_txn *t, const MDB_val *key, const MDB_val *val,
		     void *ctx)
{
	struct snaps *sn = ctx;
	struct codec_header h;
	uint64_t id;

	if (sto_key_id(t, key, &id))
		return 0;
	if (sn->n == sn->cap) {
		size_t cap = sn->cap ? 2 * sn->cap : 64;
		struct snapid *more = realloc(sn->v, cap * sizeof(*more));
		if (!more)
			return -ENOMEM;
		sn->v = more;
		sn->cap = cap;
	}
	struct snapid *s = &sn->v[sn->n++];
	*s = (struct snapid){ .id = id };
	if (sto_header_decode(t, id, val, &h))
		return 0;
	s->readable = true;
	s->imported = h.imported;
	s->covered = !h.imported && nsx_covered(t, id);
	s->start_ns = h.start_ns;
	size_t len = h.boot_id.len < sizeof(s->boot_id) - 1 ? h.boot_id.len
							    : sizeof(s->boot_id) - 1;
	if (len)
		memcpy(s->boot_id, h.boot_id.p, len);
	return 0;
}

/* Every snapshot of the table in T, in id order. */
static int snaps_read(struct sto_txn *t, struct snaps *sn)
{
	MDB_cursor *c;
	MDB_val key, val;
	int rc, ret = 0;

	*sn = (struct snaps){ 0 };
	if (sto_cursor_open(t, t->s->snaps, &c))
		return t->ret;
	for (rc = sto_lm_cursor_get(c, &key, &val, MDB_FIRST); !rc && !ret;
	     rc = sto_lm_cursor_get(c, &key, &val, MDB_NEXT))
		ret = snaps_one(t, &key, &val, sn);
	if (!ret && rc != MDB_NOTFOUND)
		ret = sto_mdb_err(rc);
	mdb_cursor_close(c);
	sto_corrupt_clear();
	return ret;
}

static const struct snapid *snap_find(const struct snaps *sn, uint64_t id)
{
	size_t lo = 0, hi = sn->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (sn->v[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < sn->n && sn->v[lo].id == id ? &sn->v[lo] : NULL;
}

/* The snapshot before S in the index (not imported), or NULL. */
static const struct snapid *snap_pred(const struct snaps *sn,
				      const struct snapid *s)
{
	while (s > sn->v) {
		s--;
		if (!s->imported)
			return s;
	}
	return NULL;
}

static int hash_cmp(const void *a, const void *b)
{
	return memcmp(a, b, CODEC_HASH_LEN);
}

/* The namespace lists of the last two snapshots asked about: an entry is
 * checked against its snapshot and the one before. */
struct list {
	struct {
		uint64_t id;            /* 0: none read */
		struct codec_hash *h;
		size_t n;
		bool bad;               /* unreadable: nothing can be told */
	} slot[2];
	unsigned next;              /* the slot to read into */
};

static void list_free(struct list *l)
{
	free(l->slot[0].h);
	free(l->slot[1].h);
}

/* Is H in snapshot ID's namespace list?  1, 0, or -1 when the list cannot
 * be read (damage verify names with the snapshot). */
static int in_list(struct sto_txn *t, struct list *l, uint64_t id,
		   const uint8_t *h)
{
	unsigned i = l->slot[0].id == id ? 0 : l->slot[1].id == id ? 1 : 2;

	if (i == 2) {
		i = l->next;
		l->next ^= 1;
		free(l->slot[i].h);
		l->slot[i].id = id;
		int ret = sto_list_hashes(t, id, LIST_NS, &l->slot[i].h, &l->slot[i].n);
		if (ret == STORE_ECORRUPT)
			sto_corrupt_clear();
		else if (ret)
			sto_txn_fail(t, ret);
		l->slot[i].bad = ret != 0;
		if (!ret && l->slot[i].n)
			qsort(l->slot[i].h, l->slot[i].n, sizeof(*l->slot[i].h),
			      hash_cmp);
	}
	if (l->slot[i].bad)
		return -1;
	return l->slot[i].n && bsearch(h, l->slot[i].h, l->slot[i].n,
				       sizeof(*l->slot[i].h), hash_cmp);
}

static int bad_entry(const struct nsx_ent *e, const char *why)
{
	return sto_corrupt("namespace index: %s entry %llu:%llu at %llu %s",
			   e->kind == NSX_CTX ? "context" : "record",
			   (ull)e->key.dev, (ull)e->key.ino, (ull)e->id, why);
}

static bool is_zero(const uint8_t *h)
{
	return !memcmp(h, nsx_zero, CODEC_HASH_LEN);
}

/* Entry E names a snapshot of the index: 1, 0 when its header cannot be
 * read (nothing more to tell), or STORE_ECORRUPT. */
static int ent_snap(const struct snaps *sn, const struct nsx_ent *e,
		    const struct snapid **s)
{
	*s = snap_find(sn, e->id);
	if (!*s)
		return bad_entry(e, "names no snapshot");
	if (!(*s)->readable)
		return 0;
	if ((*s)->imported)
		return bad_entry(e, "names an imported snapshot");
	return 1;
}

/* Record entry E[i] of E[0..n) (one namespace, id order). */
static int check_rec(struct sto_txn *t, const struct snaps *sn, struct list *l,
		     const struct nsx_ent *e, size_t i)
{
	const struct nsx_ent *x = &e[i];
	const uint8_t *before = i ? e[i - 1].v : nsx_zero;
	const struct snapid *s, *p;
	struct codec_rec rec;
	struct ns_key key;
	int ret = ent_snap(sn, x, &s);

	if (ret <= 0)
		return ret;
	p = snap_pred(sn, s);
	if (is_zero(x->v)) {
		if (is_zero(before))
			return bad_entry(x, "says gone where it was not");
		if (in_list(t, l, x->id, before) == 1)
			return bad_entry(x, "says gone, but the snapshot holds it");
		return 0;
	}
	ret = sto_rec_get(t, x->v, &rec);
	if (ret == STORE_ECORRUPT)
		return bad_entry(x, "names a record that is not in the store");
	if (ret)
		return ret;
	if (codec_ns_key(rec.data, rec.len, &key) || !nsx_same_key(key, x->key))
		return bad_entry(x, "names another namespace's record");
	if (!in_list(t, l, x->id, x->v))
		return bad_entry(x, "names a record the snapshot does not hold");
	if (p && in_list(t, l, p->id, x->v) == 1)
		return bad_entry(x, "is not where the record changed");
	if (p && !is_zero(before) && p->id >= e[i - 1].id &&
	    !in_list(t, l, p->id, before))
		return bad_entry(x, "does not follow what the snapshot before holds");
	return 0;
}

/* Context entry E[i] of E[0..n).  One of a snapshot that is gone is left
 * by an older nsnap's prune, and harmless: the value at every snapshot
 * that remains is still that of the last entry at or before it. */
static int check_ctx(const struct snaps *sn, const struct nsx_ent *e, size_t i)
{
	const struct snapid *s = snap_find(sn, e[i].id);

	if (s && s->readable && !s->covered)
		return bad_entry(&e[i], "names a snapshot it does not cover");
	if (i && !memcmp(e[i].v, e[i - 1].v, CODEC_HASH_LEN))
		return bad_entry(&e[i], "repeats the one before");
	return 0;
}

/* The entries of KIND for KEY, in id order, into *out (malloc'd). */
static int ents_of(struct sto_txn *t, enum nsx_kind kind, struct ns_key key,
		   struct nsx_ent **out, size_t *n)
{
	struct nsx_ent *e = NULL, cur;
	size_t cap = 0;
	uint8_t k[NSX_CTX_KEY];
	MDB_val mk = { nsx_key(k, kind, key, 0), k }, val;
	MDB_cursor *c;
	int rc, ret = 0;

	*out = NULL;
	*n = 0;
	if (sto_cursor_open(t, t->s->nsidx, &c))
		return t->ret;
	for (rc = sto_lm_cursor_get(c, &mk, &val, MDB_SET_RANGE); !rc && !ret;
	     rc = sto_lm_cursor_get(c, &mk, &val, MDB_NEXT)) {
		ret = nsx_ent_read(t, &mk, &val, &cur);
		if (ret || cur.kind != kind || !nsx_same_key(cur.key, key))
			break;
		if (!cur.vok) {
			ret = bad_entry(&cur, "is not 16 bytes");
			break;
		}
		ret = nsx_push(&e, n, &cap, &cur);
	}
	if (!ret && rc && rc != MDB_NOTFOUND)
		ret = sto_mdb_err(rc);
	mdb_cursor_close(c);
	if (ret) {
		free(e);
		*n = 0;
		return ret;
	}
	*out = e;
	return 0;
}

/* One namespace's entries of both kinds, each checked. */
struct nsents {
	struct nsx_ent *rec, *ctx;
	size_t nrec, nctx;
};

static void nsents_free(struct nsents *ne)
{
	free(ne->rec);
	free(ne->ctx);
	*ne = (struct nsents){ 0 };
}

static int nsents_read(struct sto_txn *t, const struct snaps *sn,
		       struct ns_key key, bool ctx, struct nsents *ne)
{
	struct list l = { 0 };
	int ret;

	*ne = (struct nsents){ 0 };
	ret = ents_of(t, NSX_REC, key, &ne->rec, &ne->nrec);
	for (size_t i = 0; !ret && i < ne->nrec; i++)
		ret = check_rec(t, sn, &l, ne->rec, i);
	if (!ret && ctx)
		ret = ents_of(t, NSX_CTX, key, &ne->ctx, &ne->nctx);
	for (size_t i = 0; !ret && i < ne->nctx; i++)
		ret = check_ctx(sn, ne->ctx, i);
	list_free(&l);
	if (!ret)
		ret = t->ret;
	if (ret)
		nsents_free(ne);
	return ret;
}

/* ---- the API ------------------------------------------------------------ */

int store_ns_history(struct store *s, struct ns_key key,
		     int (*cb)(uint64_t id, const uint8_t hash[16], void *),
		     void *ctx)
{
	struct sto_txn t;
	struct snaps sn = { 0 };
	struct nsents ne = { 0 };
	int ret;

	ret = sto_txn_begin(s, &t, false);
	if (ret)
		return ret;
	ret = snaps_read(&t, &sn);
	if (!ret)
		ret = nsents_read(&t, &sn, key, false, &ne);
	for (size_t i = 0; !ret && i < ne.nrec; i++)
		ret = cb(ne.rec[i].id, is_zero(ne.rec[i].v) ? NULL : ne.rec[i].v, ctx);
	nsents_free(&ne);
	free(sn.v);
	sto_txn_abort(&t);
	return ret;
}

/* CB for each distinct record of the record entries of one namespace,
 * cursor C on its first (K, V); *rc is the cursor's word after them. */
static int keys_of(struct sto_txn *t, MDB_cursor *c, MDB_val *k, MDB_val *v,
		   int (*cb)(const struct graph_ns *, void *), void *ctx,
		   int *rc)
{
	struct nsx_ent e, first;
	uint8_t last[CODEC_HASH_LEN] = { 0 };
	int ret = nsx_ent_read(t, k, v, &first);

	while (!ret) {
		if ((ret = nsx_ent_read(t, k, v, &e)))
			break;
		if (e.kind != NSX_REC || !nsx_same_key(e.key, first.key))
			break;
		if (e.vok && !is_zero(e.v) && memcmp(e.v, last, CODEC_HASH_LEN)) {
			struct codec_rec rec;
			struct graph_ns ns;

			memcpy(last, e.v, CODEC_HASH_LEN);
			ret = sto_rec_get(t, e.v, &rec);
			if (ret == STORE_ECORRUPT)
				ret = bad_entry(&e, "names a record that is not in the store");
			if (!ret && (codec_ns_brief(rec.data, rec.len, &ns) ||
				     !nsx_same_key(ns.key, e.key)))
				ret = bad_entry(&e, "names another namespace's record");
			if (!ret)
				ret = cb(&ns, ctx);
		}
		if (!ret && (*rc = sto_lm_cursor_get(c, k, v, MDB_NEXT)))
			break;
	}
	return ret;
}

int store_ns_keys(struct store *s, const uint64_t *ino,
		  int (*cb)(const struct graph_ns *ns, void *ctx), void *ctx)
{
	struct sto_txn t;
	MDB_cursor *c = NULL;
	uint8_t k[NSX_REC_KEY];
	MDB_val key, val;
	struct nsx_ent e;
	uint64_t dev = 0;
	int rc, ret;

	ret = sto_txn_begin(s, &t, false);
	if (ret || sto_cursor_open(&t, s->nsidx, &c)) {
		ret = ret ? ret : t.ret;
		goto out;
	}
	if (!ino) {
		rc = sto_lm_cursor_get(c, &key, &val, MDB_FIRST);
		while (!ret && !rc) {
			ret = nsx_ent_read(&t, &key, &val, &e);
			if (!ret && e.kind == NSX_REC)
				ret = keys_of(&t, c, &key, &val, cb, ctx, &rc);
			else if (!ret)
				rc = sto_lm_cursor_get(c, &key, &val, MDB_NEXT);
		}
		goto end;
	}
	/* Seek (DEV, INO) for every device the index holds: two seeks each. */
	for (;;) {
		key = (MDB_val){ nsx_key(k, NSX_REC, (struct ns_key){ dev, *ino }, 0), k };
		rc = sto_lm_cursor_get(c, &key, &val, MDB_SET_RANGE);
		if (rc || (ret = nsx_ent_read(&t, &key, &val, &e)))
			break;
		if (key.mv_size < 16) {
			ret = sto_corrupt("namespace index: a key of %zu bytes",
					  key.mv_size);
			break;
		}
		if (codec_be64_read(key.mv_data) != dev) {
			dev = codec_be64_read(key.mv_data);
			continue;
		}
		if (e.kind == NSX_REC && e.key.ino == *ino &&
		    ((ret = keys_of(&t, c, &key, &val, cb, ctx, &rc)) ||
		     (rc && rc != MDB_NOTFOUND)))
			break;
		if (dev == UINT64_MAX)
			break;
		dev++;
	}
end:
	if (!ret && rc && rc != MDB_NOTFOUND)
		ret = sto_mdb_err(rc);
out:
	if (c)
		mdb_cursor_close(c);
	sto_txn_abort(&t);
	return ret;
}

/* The points of namespace KEY (NULL: none) from its checked entries. */
static int points_make(const struct snaps *sn, const struct ns_key *key, const struct nsents *ne,
		       struct store_ns_point *pts, size_t *n)
{
	const uint8_t *rec = nsx_zero, *ctx = NULL;
	size_t ri = 0, ci = 0;

	*n = 0;
	for (size_t i = 0; i < sn->n; i++) {
		const struct snapid *s = &sn->v[i];
		struct store_ns_point *p = &pts[*n];

		for (; ri < ne->nrec && ne->rec[ri].id <= s->id; ri++)
			rec = ne->rec[ri].v;
		for (; ci < ne->nctx && ne->ctx[ci].id <= s->id; ci++)
			ctx = ne->ctx[ci].v;
		if (!s->readable)
			continue;
		*p = (struct store_ns_point){
			.id = s->id, .start_ns = s->start_ns,
			.imported = s->imported,
			.known = s->covered,
		};
		memcpy(p->boot_id, s->boot_id, sizeof(p->boot_id));
		(*n)++;
		if (!p->known || is_zero(rec))
			continue;
		if (!ctx)
			return sto_corrupt("namespace index: %llu:%llu at %llu has "
					   "no context entry", (ull)key->dev,
					   (ull)key->ino, (ull)s->id);
		p->present = true;
		memcpy(p->rec, rec, CODEC_HASH_LEN);
		memcpy(p->ctx, ctx, CODEC_HASH_LEN);
	}
	return 0;
}

/* Capture order (store_list_ordered()); the index's values are each
 * snapshot's own, so that points compare in any order. */
static int point_cmp(const void *x, const void *y)
{
	const struct store_ns_point *a = x, *b = y;

	if (a->start_ns != b->start_ns)
		return a->start_ns < b->start_ns ? -1 : 1;
	return (a->id > b->id) - (a->id < b->id);
}

int store_ns_changes(struct store *s, const struct ns_key *key,
		     struct store_ns_point **out, size_t *n)
{
	struct sto_txn t;
	struct snaps sn = { 0 };
	struct nsents ne = { 0 };
	struct store_ns_point *pts = NULL;
	int ret;

	*out = NULL;
	*n = 0;
	ret = sto_txn_begin(s, &t, false);
	if (ret)
		return ret;
	ret = snaps_read(&t, &sn);
	if (!ret && key)
		ret = nsents_read(&t, &sn, *key, true, &ne);
	if (!ret && !(pts = calloc(sn.n + 1, sizeof(*pts))))
		ret = -ENOMEM;
	if (!ret)
		ret = points_make(&sn, key, &ne, pts, n);
	nsents_free(&ne);
	free(sn.v);
	sto_txn_abort(&t);
	if (ret) {
		free(pts);
		*n = 0;
		return ret;
	}
	qsort(pts, *n, sizeof(*pts), point_cmp);
	*out = pts;
	return 0;
}

bool store_ns_same(const struct store_ns_point *a, const struct store_ns_point *b)
{
	if (!a->known || !b->known || strcmp(a->boot_id, b->boot_id) ||
	    a->present != b->present)
		return false;
	return !a->present || (!memcmp(a->rec, b->rec, CODEC_HASH_LEN) &&
			       !memcmp(a->ctx, b->ctx, CODEC_HASH_LEN));
}

/* The hashes of SNAP's namespace records; NULL on ENOMEM. */
static struct codec_hash *ns_hashes(const struct codec_snapshot *snap)
{
	struct codec_hash *h = calloc(snap->nns + 1, sizeof(*h));

	for (size_t i = 0; h && i < snap->nns; i++)
		codec_hash(snap->ns[i].data, snap->ns[i].len, &h[i]);
	return h;
}

/* Does namespace X of G (ns hashes NS_H; GRAPH_NONE: absent) say what P
 * says?  0, STORE_ECORRUPT, or an error. */
static int point_check(const struct store_ns_point *p, const struct ns_key *key,
		       const struct graph *g, const struct codec_hash *ns_h,
		       uint32_t x)
{
	struct codec_hash *ctx;
	int ret;

	if ((x != GRAPH_NONE) != p->present)
		return sto_corrupt("namespace index: %llu:%llu at %llu says %s, "
				   "the snapshot %s", (ull)key->dev, (ull)key->ino,
				   (ull)p->id, p->present ? "there" : "gone",
				   p->present ? "lacks it" : "holds it");
	if (x == GRAPH_NONE)
		return 0;
	if (memcmp(ns_h[x].b, p->rec, CODEC_HASH_LEN))
		return sto_corrupt("namespace index: %llu:%llu at %llu names "
				   "another record than the snapshot holds",
				   (ull)key->dev, (ull)key->ino, (ull)p->id);
	ctx = calloc(g->nns, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	ret = sto_nsidx_contexts(g, ns_h, x, ctx);
	if (!ret && memcmp(ctx[x].b, p->ctx, CODEC_HASH_LEN))
		ret = sto_corrupt("namespace index: %llu:%llu at %llu has another "
				  "context than the snapshot gives", (ull)key->dev,
				  (ull)key->ino, (ull)p->id);
	free(ctx);
	return ret;
}

int store_ns_load(struct store *s, const struct store_ns_point *p,
		  const struct ns_key *key, struct graph **out)
{
	struct sto_txn t;
	struct codec_header h;
	struct codec_snapshot snap;
	struct codec_hash *ns_h = NULL;
	int ret;

	*out = NULL;
	ret = sto_txn_begin(s, &t, false);
	if (ret)
		return ret;
	ret = sto_snap_read(&t, p->id, &h, &snap);
	if (!ret)
		ret = sto_snap_decode(p->id, &snap, out);
	if (!ret && p->known) {
		static const struct ns_key none;
		uint32_t x = key ? graph_ns_find(*out, *key) : GRAPH_NONE;
		ns_h = ns_hashes(&snap);
		ret = ns_h ? point_check(p, key ? key : &none, *out, ns_h, x)
			   : -ENOMEM;
	}
	free(ns_h);
	sto_snap_free(&snap);
	sto_txn_abort(&t);
	if (ret) {
		graph_free(*out);
		*out = NULL;
	}
	return ret;
}

int store_ns_walk(struct store *s, const struct ns_key *key,
		  store_ns_walk_fn *cb, void *ctx)
{
	struct store_ns_point *p;
	struct graph *kept = NULL;
	size_t n;
	int ret = store_ns_changes(s, key, &p, &n);

	for (size_t i = 0; !ret && i < n; i++) {
		bool same = i && store_ns_same(&p[i - 1], &p[i]);
		bool next = i + 1 < n && !store_ns_same(&p[i], &p[i + 1]);
		struct graph *g = NULL;

		/* The last is loaded too: then every run of snapshots the
		 * index calls unchanged ends in one checked against it. */
		if (!same || (next && (!p[i].known || p[i].present)) || i + 1 == n)
			ret = store_ns_load(s, &p[i], key, &g);
		if (!ret)
			ret = cb(&p[i], g, same, ctx);
		if (g) {
			graph_free(kept);
			kept = g;
		}
	}
	graph_free(kept);
	free(p);
	return ret;
}

/* ---- verify ------------------------------------------------------------- */

/* The index's word of KIND on KEY at ID must be WANT. */
static int word_check(struct sto_txn *t, MDB_cursor *c, enum nsx_kind kind,
		      struct ns_key key, uint64_t id, const uint8_t *want)
{
	const char *what = kind == NSX_CTX ? "context" : "record";
	struct nsx_ent e, before;
	int r = nsx_ent_at(t, c, kind, key, id, &e);

	if (r < 0)
		return r;
	if (!r || !e.vok)
		return sto_corrupt("namespace index: %llu:%llu at %llu: no %s entry "
				   "for a namespace the snapshot holds",
				   (ull)key.dev, (ull)key.ino, (ull)id, what);
	if (memcmp(e.v, want, CODEC_HASH_LEN))
		return sto_corrupt("namespace index: %llu:%llu at %llu: the index's "
				   "%s differs from the snapshot's", (ull)key.dev,
				   (ull)key.ino, (ull)id, what);
	if (kind == NSX_CTX && e.id == id && id > 1 &&
	    (r = nsx_ent_at(t, c, kind, key, id - 1, &before)) == 1 &&
	    !memcmp(before.v, e.v, CODEC_HASH_LEN))
		return bad_entry(&e, "repeats the one before");
	return r < 0 ? r : 0;
}

/* The namespaces of the snapshot before ID that are gone from G: the
 * index must say so. */
static int check_gone(struct sto_txn *t, MDB_cursor *c, uint64_t id,
		      const struct graph *g, struct codec_hash *sorted, size_t n)
{
	uint64_t prev = nsx_prev(t, id);
	struct codec_hash *ph = NULL;
	size_t np = 0;
	struct codec_rec rec;
	struct ns_key key;
	struct nsx_ent e;
	int ret = 0;

	if (!prev)
		return 0;
	if (sto_list_hashes(t, prev, LIST_NS, &ph, &np)) {
		sto_corrupt_clear();    /* that snapshot's damage, named there */
		return 0;
	}
	qsort(sorted, n, sizeof(*sorted), hash_cmp);
	for (size_t i = 0; i < np && !ret; i++) {
		if (n && bsearch(&ph[i], sorted, n, sizeof(*sorted), hash_cmp))
			continue;
		if (sto_rec_get(t, ph[i].b, &rec) ||
		    codec_ns_key(rec.data, rec.len, &key)) {
			sto_corrupt_clear();
			continue;
		}
		if (graph_ns_find(g, key) != GRAPH_NONE)
			continue;
		ret = nsx_ent_at(t, c, NSX_REC, key, id, &e);
		if (ret == 1)
			ret = e.vok && is_zero(e.v) ? 0 :
			      sto_corrupt("namespace index: %llu:%llu at %llu: the "
					  "index has it, the snapshot does not",
					  (ull)key.dev, (ull)key.ino, (ull)id);
	}
	free(ph);
	return ret;
}

/* The index's word on every namespace of recorded snapshot ID. */
static int check_snapshot(struct sto_txn *t, uint64_t id,
			  const struct codec_snapshot *snap,
			  const struct graph *g)
{
	struct codec_hash *ns_h = ns_hashes(snap), *ctx = NULL;
	MDB_cursor *c = NULL;
	int ret = ns_h ? 0 : -ENOMEM;

	if (!ret && nsx_covered(t, id)) {
		ctx = calloc(g->nns + 1, sizeof(*ctx));
		ret = ctx ? sto_nsidx_contexts(g, ns_h, GRAPH_NONE, ctx) : -ENOMEM;
	}
	if (!ret && sto_cursor_open(t, t->s->nsidx, &c))
		ret = t->ret;
	for (size_t x = 0; !ret && x < g->nns; x++) {
		ret = word_check(t, c, NSX_REC, g->ns[x].key, id, ns_h[x].b);
		if (!ret && ctx)
			ret = word_check(t, c, NSX_CTX, g->ns[x].key, id, ctx[x].b);
	}
	if (!ret)
		ret = check_gone(t, c, id, g, ns_h, g->nns);
	if (c)
		mdb_cursor_close(c);
	free(ns_h);
	free(ctx);
	return ret;
}

/* Every entry, one namespace and kind at a time. */
static int check_all(struct sto_txn *t)
{
	struct snaps sn;
	struct nsx_ent *e = NULL, cur;
	struct list l = { 0 };
	size_t n = 0, cap = 0;
	MDB_cursor *c = NULL;
	MDB_val key, val;
	int rc = MDB_NOTFOUND, ret = snaps_read(t, &sn);

	if (!ret && sto_cursor_open(t, t->s->nsidx, &c))
		ret = t->ret;
	for (rc = ret ? rc : sto_lm_cursor_get(c, &key, &val, MDB_FIRST);
	     !ret; rc = sto_lm_cursor_get(c, &key, &val, MDB_NEXT)) {
		bool end = rc != 0;
		if (!end && (ret = nsx_ent_read(t, &key, &val, &cur)))
			break;
		if (!end && cur.kind == NSX_OTHER) {
			ret = sto_corrupt("namespace index: a key of %zu bytes",
					  key.mv_size);
			break;
		}
		if (!end && !cur.vok) {
			ret = bad_entry(&cur, "is not 16 bytes");
			break;
		}
		if (n && (end || cur.kind != e[0].kind ||
			  !nsx_same_key(cur.key, e[0].key))) {
			for (size_t i = 0; !ret && i < n; i++)
				ret = e[0].kind == NSX_REC ? check_rec(t, &sn, &l, e, i)
							   : check_ctx(&sn, e, i);
			n = 0;
		}
		if (end || ret || (ret = nsx_push(&e, &n, &cap, &cur)))
			break;
	}
	if (!ret && rc != MDB_NOTFOUND)
		ret = sto_mdb_err(rc);
	if (c)
		mdb_cursor_close(c);
	free(e);
	list_free(&l);
	free(sn.v);
	return ret;
}

int sto_nsidx_check(struct sto_txn *t, uint64_t id, const struct codec_header *h,
		    const struct codec_snapshot *snap, const struct graph *g)
{
	int ret = h->imported ? 0 : check_snapshot(t, id, snap, g);
	uint64_t newest;

	if (!ret && !t->ret && !(ret = sto_newest_id(t, &newest)) && id == newest)
		ret = check_all(t);
	return ret ? ret : t->ret;
}
