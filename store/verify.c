/*
 * verify.c — checking a store: each snapshot read the way store_load()
 * reads it, in a transaction of its own, and decoded, its header's copies
 * held to its records, its content digest and signature checked
 * (custody.h) and the namespace index's word on it; and the store's own
 * tables: the snapshot table walked to its end and counted, every label
 * entry against the header it names, the format and next-id records, and
 * (the whole store checked) the hash chain, walked by chain.c.
 *
 * Owns what counts as damage (to one snapshot, or to a table: told to the
 * caller, the check goes on) and what stops the check.  "Every snapshot
 * whole" is only said when every snapshot the store counts was found and
 * checked.
 */
#include "store_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Codes by which LMDB or our own checks say a page or value is not what it
 * should be: damage, told, and the check goes on.  Anything else (-errno:
 * memory, I/O) stops it. */
static bool damage(int err)
{
	return err == STORE_ECORRUPT || err == MDB_CORRUPTED ||
	       err == MDB_PAGE_NOTFOUND || err == MDB_CURSOR_FULL ||
	       err == MDB_BAD_TXN;
}

/* ERR in words, without the "corrupt store: " the caller says itself. */
static const char *damage_words(int err)
{
	const char *what = store_strerror(err);

	return strncmp(what, "corrupt store: ", 15) ? what : what + 15;
}

struct vrun {
	struct store *s;
	const struct custody_key *key;  /* every snapshot signed by it */
	int (*cb)(const struct store_check *c, void *ctx);
	void *ctx;
	bool tables_bad;
};

/* A finding about the store's own tables, told with id 0.  CB's return. */
__attribute__((format(printf, 2, 3)))
static int table_damage(struct vrun *v, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	v->tables_bad = true;
	struct store_check c = { .err = STORE_ECORRUPT, .what = what };
	return v->cb ? v->cb(&c, v->ctx) : 0;
}

/* Bytes from the data file (a label, maybe damaged) for a message:
 * printable ASCII as it is, anything else and '\'' as \xNN, cut at 64. */
static const char *quote(const void *p, size_t n, char out[4 * 64 + 4])
{
	const unsigned char *b = p;
	size_t o = 0;

	for (size_t i = 0; i < n && i < 64; i++) {
		if (b[i] >= 0x20 && b[i] < 0x7f && b[i] != '\\' && b[i] != '\'')
			out[o++] = (char)b[i];
		else
			o += (size_t)sprintf(out + o, "\\x%02x", b[i]);
	}
	strcpy(out + o, n > 64 ? "..." : "");
	return out;
}

/* ---- one snapshot ------------------------------------------------------- */

/* Whether snapshot ID's label (H's) has its entry in the label table. */
static int label_listed(struct sto_txn *t, const struct codec_header *h,
			uint64_t id, bool *listed)
{
	uint8_t k[8];
	MDB_val key = { h->label.len, (void *)h->label.p }, val = { 8, k };
	MDB_cursor *c;
	int rc;

	*listed = true;
	if (!h->label.len)
		return 0;
	if (sto_cursor_open(t, t->s->labels, &c))
		return t->ret;
	codec_be64_write(k, id);
	rc = sto_lm_cursor_get(c, &key, &val, MDB_GET_BOTH);
	mdb_cursor_close(c);
	*listed = rc != MDB_NOTFOUND;
	return rc == MDB_NOTFOUND ? 0 : sto_mdb_err(rc);
}

/* Whether header string S says what the records' string T (NULL: none)
 * does. */
static bool same_str(struct codec_str s, const char *t)
{
	size_t n = t ? strlen(t) : 0;

	return s.len == n && (!n || !memcmp(s.p, t, n));
}

/*
 * The header's copies of what the records say (for list and info,
 * without loading the snapshot) against the records, decoded as G: the
 * content digest and the signature cover the records, not the copies.
 * 0 or STORE_ECORRUPT naming the first that differs.
 */
static int header_agrees(const struct codec_header *h,
			 const struct codec_snapshot *snap,
			 const struct graph *g)
{
	const char *what = NULL;

	if (!same_str(h->host, g->meta.hostname))
		what = "host name";
	else if (!same_str(h->kernel, g->meta.kernel))
		what = "kernel";
	else if (!same_str(h->boot_id, g->meta.boot_id))
		what = "boot id";
	else if (h->nns != g->nns || h->nprocs != g->nprocs ||
		 h->ntasks != g->ntasks || h->nfds != g->nfds ||
		 h->nmounts != g->nmounts || h->ngaps != g->ngaps ||
		 h->nruns != snap->nmounts)
		what = "counts";
	return what ? sto_corrupt("its header's %s is not what its records "
				  "say (the header was edited)", what) : 0;
}

/*
 * Header H's custody block against SNAP (read whole and checked by XXH3):
 * its content digest recomputed, its signature checked, and with KEY, that
 * KEY signed it (a header older than the block is then unsigned).  0,
 * STORE_ECORRUPT saying what, or -ENOMEM.
 */
static int custody_check(const struct codec_header *h,
			 const struct codec_snapshot *snap,
			 const struct custody_key *key)
{
	const struct custody_block *c = &h->custody;
	uint8_t d[CUSTODY_DIGEST_LEN];
	char want[CUSTODY_KEYID_LEN + 1], got[CUSTODY_KEYID_LEN + 1];
	int ret;

	if (h->version < 5)
		return key ? sto_corrupt("not signed (written before "
					 "signatures)") : 0;
	ret = custody_content(snap, h->label.p, h->label.len, d);
	if (ret)
		return ret == -ENOMEM ? ret : sto_corrupt("no content to "
							  "digest");
	if (memcmp(d, c->content, sizeof(d)))
		return sto_corrupt("its content does not match its content "
				   "digest (BLAKE2b): edited in the store");
	if (c->is_signed && !custody_sig_ok(c)) {
		custody_key_id(c->key, got);
		return sto_corrupt("its signature (key %s) does not match its "
				   "content", got);
	}
	if (!key)
		return 0;
	custody_key_id(key->pk, want);
	if (!c->is_signed)
		return sto_corrupt("not signed (key %s required)", want);
	if (memcmp(c->key, key->pk, CUSTODY_PK_LEN)) {
		custody_key_id(c->key, got);
		return sto_corrupt("signed by key %s, not by key %s", got,
				   want);
	}
	return 0;
}

/*
 * One snapshot, in a transaction of its own (after LMDB finds a damaged
 * page it refuses the rest of the transaction).  UNLISTED: its label,
 * quoted, when the label table has no entry for it; else "".
 */
static int verify_one(struct store *s, uint64_t id,
		      const struct custody_key *key, struct store_check *c,
		      char unlisted[4 * 64 + 4])
{
	struct sto_txn t;
	struct codec_header h;
	struct codec_snapshot snap;
	struct graph *g = NULL;
	bool listed = true;
	int ret;

	*c = (struct store_check){ .id = id };
	unlisted[0] = '\0';
	ret = sto_txn_begin(s, &t, false);
	if (ret)
		return ret;
	sto_corrupt_clear();
	ret = sto_snap_read(&t, id, &h, &snap);
	if (!ret)
		ret = sto_snap_decode(id, &snap, &g);
	if (!ret)
		ret = header_agrees(&h, &snap, g);
	if (!ret)
		ret = custody_check(&h, &snap, key);
	if (!ret)
		ret = sto_nsidx_check(&t, id, &h, &snap, g);
	if (!ret)
		ret = label_listed(&t, &h, id, &listed);
	if (!listed)
		quote(h.label.p, h.label.len, unlisted);
	graph_free(g);
	sto_snap_free(&snap);
	sto_txn_abort(&t);
	if (damage(ret)) {
		c->err = ret;
		c->what = damage_words(ret);
		if (ret == STORE_ECORRUPT)
			c->has_record = sto_corrupt_which(c->record);
		return 0;
	}
	return ret;
}

/* ---- walking a table ---------------------------------------------------- */

/*
 * A table walked in one read transaction, entry by entry, and counted: a
 * damaged page can end a walk early, or hide a leaf, without LMDB saying
 * so, so the walk must find what the table counts (mdb_stat).  One that
 * yields more than that, or keys out of order, went astray and stops.
 */
struct walk {
	struct vrun *v;
	struct sto_txn *t;
	void *ctx;
	bool astray;    /* set by an entry: keys out of order */
	int err;        /* set by an entry: what it needed could not be
			   read; the walk ends */
};

/* One entry: 0 goes on; else the walk stops (with ASTRAY or ERR set, or
 * CB's return, or -errno). */
typedef int entry_fn(struct walk *w, const MDB_val *key, const MDB_val *val);

static int table_walk(struct vrun *v, MDB_dbi dbi, const char *name,
		      entry_fn *entry, void *ctx)
{
	struct sto_txn t;
	struct walk w = { .v = v, .t = &t, .ctx = ctx };
	MDB_cursor *c = NULL;
	MDB_val key, val;
	MDB_stat st = { 0 };
	uint64_t seen = 0;
	int rc, ret;

	ret = sto_txn_begin(v->s, &t, false);
	if (ret)
		return ret;
	rc = sto_lm_stat(t.txn, dbi, &st);
	if (!rc && sto_cursor_open(&t, dbi, &c))
		rc = t.ret;
	for (rc = rc ? rc : sto_lm_cursor_get(c, &key, &val, MDB_FIRST); !rc;
	     rc = sto_lm_cursor_get(c, &key, &val, MDB_NEXT)) {
		if (++seen > st.ms_entries)
			w.astray = true;
		else
			ret = entry(&w, &key, &val);
		if (ret || w.astray || w.err)
			break;
	}
	if (c)
		mdb_cursor_close(c);
	sto_txn_abort(&t);
	rc = w.err ? w.err : sto_mdb_err(rc);
	if (w.astray)
		return table_damage(v, "the %s table cannot be read: a walk "
				    "went astray after %" PRIu64 " of its %zu "
				    "entries", name, seen - 1, st.ms_entries);
	if (ret && !w.err)
		return ret;
	if (rc == MDB_NOTFOUND && seen != st.ms_entries)
		return table_damage(v, "the %s table cannot be read: it counts "
				    "%zu entries, a walk finds %" PRIu64, name,
				    st.ms_entries, seen);
	if (!rc || rc == MDB_NOTFOUND || !damage(rc))
		return rc == MDB_NOTFOUND ? 0 : rc;
	return table_damage(v, "the %s table cannot be %s: %s (%" PRIu64 " of "
			    "its %zu entries found)", name,
			    w.err ? "checked" : "read", damage_words(rc),
			    seen, st.ms_entries);
}

/* ---- the snapshot table ------------------------------------------------- */

struct ids {
	uint64_t *v;
	size_t n, cap;
	uint64_t odd;   /* keys that are no snapshot id */
};

static int snap_entry(struct walk *w, const MDB_val *key, const MDB_val *val)
{
	struct ids *ids = w->ctx;
	uint64_t id;

	(void)val;
	if (sto_key_id(w->t, key, &id)) {
		ids->odd++;
		return 0;
	}
	if (ids->n && id <= ids->v[ids->n - 1]) {
		w->astray = true;
		return 0;
	}
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

/* Every snapshot id, damaged headers included, walked as above. */
static int snaps_table(struct vrun *v, struct ids *ids)
{
	int ret = table_walk(v, v->s->snaps, "snapshot", snap_entry, ids);

	if (!ret && ids->odd)
		ret = table_damage(v, "the snapshot table holds %" PRIu64
				   " keys that are no snapshot id", ids->odd);
	return ret;
}

/* ---- labels and the meta records ---------------------------------------- */

/*
 * Label entry KEY -> VAL against the header it names; only entries naming
 * *ONLY when that is not 0.  A header that could not be read for another
 * reason than its own damage (the snapshot table's, or -errno) ends the
 * walk.
 */
static int label_entry(struct walk *w, const MDB_val *key, const MDB_val *val)
{
	const uint64_t *only = w->ctx;
	struct codec_header h;
	char q[4 * 64 + 4];
	uint64_t id;
	int ret;

	if (!key->mv_size || sto_val_check(w->t, key))
		return table_damage(w->v, "the label table holds a key of %zu "
				    "bytes outside the data file",
				    key->mv_size);
	quote(key->mv_data, key->mv_size, q);
	ret = sto_label_id(w->t, val, &id);
	if (ret)
		return table_damage(w->v, "label '%s': %s", q,
				    damage_words(ret));
	if (*only && id != *only)
		return 0;
	ret = sto_get_header(w->t, id, &h);
	/* A damaged header is that snapshot's own finding. */
	if (ret == STORE_ECORRUPT) {
		sto_corrupt_clear();
		return 0;
	}
	if (ret && ret != STORE_ENOSNAP) {
		w->err = ret;
		return 0;
	}
	ret = sto_label_agrees(ret ? NULL : &h, id, key->mv_data, key->mv_size);
	return ret ? table_damage(w->v, "label '%s': %s", q,
				  damage_words(ret)) : 0;
}

/* One record of the meta table: 0 and *val, MDB_NOTFOUND, an error, or
 * damage told (*told: then CB's return). */
static int meta_get(struct vrun *v, struct sto_txn *t, const char *name,
		    MDB_val *val, bool *told)
{
	int rc = sto_txn_get(t, v->s->meta, name, strlen(name), val);

	*told = rc && rc != MDB_NOTFOUND && damage(rc);
	if (!*told)
		return rc;
	return table_damage(v, "the meta table cannot be read: %s",
			    damage_words(rc));
}

/* The format record (store_open() read it: is it still there?) and the
 * next id. */
static int meta_table(struct vrun *v)
{
	struct sto_txn t;
	MDB_val val;
	bool told;
	int rc, ret;

	ret = sto_txn_begin(v->s, &t, false);
	if (ret)
		return ret;
	rc = meta_get(v, &t, "format", &val, &told);
	if (told || (rc && rc != MDB_NOTFOUND))
		ret = rc;
	else if (rc || val.mv_size != FORMAT_LEN ||
		 memcmp(val.mv_data, STORE_MAGIC, 8))
		ret = table_damage(v, "the format record is missing or "
				   "malformed");
	if (!ret && !told) {
		rc = meta_get(v, &t, "next", &val, &told);
		if (told || (rc && rc != MDB_NOTFOUND))
			ret = rc;
		else if (!rc && val.mv_size != 8)
			ret = table_damage(v, "the next-id record is %zu "
					   "bytes, not 8", val.mv_size);
	}
	sto_txn_abort(&t);
	return ret;
}

/* ---- all of it ---------------------------------------------------------- */

static int snapshots(struct vrun *v, const struct ids *ids, uint64_t id,
		     store_progress_fn *progress, uint64_t *bad)
{
	struct store_check c;
	char unlisted[4 * 64 + 4];
	size_t n = ids ? ids->n : 1;
	int ret = 0;

	for (size_t i = 0; i < n && !ret; i++) {
		uint64_t cur = ids ? ids->v[i] : id;
		ret = verify_one(v->s, cur, v->key, &c, unlisted);
		/* Pruned since the walk began: nothing to check. */
		if (ret == STORE_ENOSNAP && ids) {
			ret = 0;
			continue;
		}
		if (ret)
			break;
		*bad += c.err != 0;
		if (progress)
			progress("snapshots", i + 1, n, v->ctx);
		if (v->cb)
			ret = v->cb(&c, v->ctx);
		if (!ret && unlisted[0])
			ret = table_damage(v, "label '%s' of snapshot %" PRIu64
					   " has no entry in the label table",
					   unlisted, cur);
	}
	return ret;
}

/* A break of the chain, told as a finding about the store's tables. */
static int chain_break(uint64_t id, const char *what, void *ctx)
{
	(void)id;
	return table_damage(ctx, "%s", what);
}

int store_verify(struct store *s, uint64_t id,
		 int (*cb)(const struct store_check *c, void *ctx), void *ctx,
		 store_progress_fn *progress, uint64_t *ndamaged)
{
	return store_verify_signed(s, id, NULL, NULL, cb, ctx, progress,
				   ndamaged);
}

int store_verify_signed(struct store *s, uint64_t id,
			const struct custody_key *key, struct store_chain *chain,
			int (*cb)(const struct store_check *c, void *ctx),
			void *ctx, store_progress_fn *progress,
			uint64_t *ndamaged)
{
	struct vrun v = { .s = s, .key = key, .cb = cb, .ctx = ctx };
	struct store_chain scratch;
	struct ids ids = { 0 };
	uint64_t bad = 0;
	int ret;

	if (!chain)
		chain = &scratch;
	*chain = (struct store_chain){ 0 };

	if (ndamaged)
		*ndamaged = 0;
	/* Every page, whatever the store's size: verify passes only when
	 * all of it is sound. */
	ret = sto_store_tree_check(s);
	if (!ret && !id)
		ret = snaps_table(&v, &ids);
	if (!ret)
		ret = snapshots(&v, id ? NULL : &ids, id, progress, &bad);
	if (!ret)
		ret = meta_table(&v);
	if (!ret)
		ret = table_walk(&v, s->labels, "label", label_entry, &id);
	/* The chain is the whole store's: it is walked when all of it is
	 * checked. */
	if (!ret && !id)
		ret = store_chain_check(s, chain_break, &v, chain);
	free(ids.v);
	if (ndamaged)
		*ndamaged = bad;
	return ret ? ret : bad || v.tables_bad ? STORE_ECORRUPT : 0;
}
