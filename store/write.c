/*
 * write.c — writing a snapshot: the plan made before the transaction, the
 * records and list chunks, the header; the namespace index's entries come
 * from nsidx.c.
 *
 * Owns the cut of lists into content-defined chunks and the id a new
 * snapshot gets.
 */
#include "store_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Lists are cut where a record hash ends in six zero bits, or at 256. */
#define LIST_CHUNK_MAX 256
#define LIST_CUT_MASK 0x3f

static int hash_cmp(const void *a, const void *b)
{
	return memcmp(a, b, CODEC_HASH_LEN);
}

/* Everything a snapshot writes, prepared before the transaction so that a
 * retry after growing the map redoes only the LMDB part. */
struct plan {
	const struct graph *g;
	struct codec_snapshot snap;
	struct codec_hash meta_h, layout_h;
	struct codec_hash meta_whole;    /* what the digest counts for meta */
	struct codec_hash *ns_h, *proc_h, *run_h;
	struct codec_hash *ns_sorted;    /* ns_h, sorted for lookups */
	/* List chunks: 'L' records end to end in 'chunks', chunk i at
	 * chunk_off[i]..chunk_off[i + 1], hash chunk_h[i]. */
	struct codec_buf chunks;
	size_t *chunk_off;
	struct codec_hash *chunk_h;
	size_t nchunks, chunk_cap;
	size_t top_first[3], top_n[3];   /* per list: its run of chunk_h */
	struct codec_hash digest;
	uint8_t content[CUSTODY_DIGEST_LEN];   /* custody_content() */
	uint64_t size;
};

const uint8_t sto_list_kinds[3] = { LIST_NS, LIST_PROC, LIST_MOUNTS };

static int plan_chunk(struct plan *p, const struct codec_hash *h, size_t n)
{
	if (p->nchunks + 1 >= p->chunk_cap) {
		size_t cap = p->chunk_cap ? p->chunk_cap * 2 : 16;
		size_t *off = realloc(p->chunk_off, cap * sizeof(*off));
		if (!off)
			return -ENOMEM;
		p->chunk_off = off;
		struct codec_hash *ch = realloc(p->chunk_h, cap * sizeof(*ch));
		if (!ch)
			return -ENOMEM;
		p->chunk_h = ch;
		p->chunk_cap = cap;
	}
	size_t start = p->chunks.len;
	int ret = codec_encode_list(h, n, &p->chunks);
	if (ret)
		return ret;
	codec_hash(p->chunks.data + start, p->chunks.len - start,
		   &p->chunk_h[p->nchunks]);
	p->chunk_off[p->nchunks++] = start;
	p->chunk_off[p->nchunks] = p->chunks.len;
	p->size += p->chunks.len - start;
	return 0;
}

/* Cut the hashes H[0..n) into chunks where the content says so. */
static int plan_list(struct plan *p, int which, const struct codec_hash *h,
		     size_t n)
{
	size_t from = 0;

	p->top_first[which] = p->nchunks;
	for (size_t i = 0; i < n; i++) {
		if ((h[i].b[CODEC_HASH_LEN - 1] & LIST_CUT_MASK) != 0 &&
		    i + 1 - from < LIST_CHUNK_MAX && i + 1 < n)
			continue;
		int ret = plan_chunk(p, h + from, i + 1 - from);
		if (ret)
			return ret;
		from = i + 1;
	}
	p->top_n[which] = p->nchunks - p->top_first[which];
	return 0;
}

static struct codec_hash *hash_recs(const struct codec_rec *r, size_t n,
				    uint64_t *size)
{
	struct codec_hash *h = calloc(n ? n : 1, sizeof(*h));

	for (size_t i = 0; h && i < n; i++) {
		codec_hash(r[i].data, r[i].len, &h[i]);
		*size += r[i].len;
	}
	return h;
}

static void plan_free(struct plan *p)
{
	codec_snapshot_free(&p->snap);
	free(p->ns_h);
	free(p->ns_sorted);
	free(p->proc_h);
	free(p->run_h);
	codec_buf_free(&p->chunks);
	free(p->chunk_off);
	free(p->chunk_h);
}

static int plan_make(struct plan *p, const struct graph *g, const char *label)
{
	struct codec_digest d;
	int ret;

	*p = (struct plan){ .g = g };
	codec_buf_init(&p->chunks);
	ret = codec_encode_graph(g, &p->snap);
	if (ret)
		return ret == -EINVAL ? STORE_EGRAPH : ret;

	const struct codec_snapshot *s = &p->snap;
	codec_hash(s->meta.data, s->meta.len, &p->meta_h);
	ret = codec_meta_hash(&s->meta, &s->capture, &p->meta_whole);
	if (ret)
		return ret;
	p->size = s->meta.len + s->layout.len;
	if (s->layout.len)
		codec_hash(s->layout.data, s->layout.len, &p->layout_h);
	p->ns_h = hash_recs(s->ns, s->nns, &p->size);
	p->proc_h = hash_recs(s->procs, s->nprocs, &p->size);
	p->run_h = hash_recs(s->mounts, s->nmounts, &p->size);
	p->ns_sorted = calloc(s->nns ? s->nns : 1, sizeof(*p->ns_sorted));
	if (!p->ns_h || !p->proc_h || !p->run_h || !p->ns_sorted)
		return -ENOMEM;
	if (s->nns) {
		memcpy(p->ns_sorted, p->ns_h, s->nns * sizeof(*p->ns_h));
		qsort(p->ns_sorted, s->nns, sizeof(*p->ns_sorted), hash_cmp);
	}
	ret = plan_list(p, 0, p->ns_h, s->nns);
	if (!ret)
		ret = plan_list(p, 1, p->proc_h, s->nprocs);
	if (!ret)
		ret = plan_list(p, 2, p->run_h, s->nmounts);
	if (ret)
		return ret;

	ret = codec_digest_begin(&d);
	if (ret)
		return ret;
	codec_digest_add(&d, &p->meta_whole, 1);
	if (s->layout.len)
		codec_digest_add(&d, &p->layout_h, 1);
	codec_digest_add(&d, p->ns_h, s->nns);
	codec_digest_add(&d, p->proc_h, s->nprocs);
	codec_digest_add(&d, p->run_h, s->nmounts);
	codec_digest_end(&d, &p->digest);
	return custody_content(s, label, label ? strlen(label) : 0, p->content);
}

static struct codec_str cstr(const char *s)
{
	return (struct codec_str){ s, s ? strlen(s) : 0 };
}

/* The id the next snapshot gets: past the newest, past any id given
 * before and pruned since (meta "next"), and past the last one the seal
 * saw handed out (the data file may have lost it). */
uint64_t sto_next_id(struct sto_txn *t, uint64_t last)
{
	MDB_val val;
	int rc = sto_txn_get(t, t->s->meta, "next", 4, &val);
	uint64_t next = 0;

	if (!rc && val.mv_size == 8)
		next = codec_be64_read(val.mv_data);
	else if (rc && rc != MDB_NOTFOUND)
		sto_txn_fail(t, rc);
	if (last < t->s->seal_last)
		last = t->s->seal_last;
	return next > last + 1 ? next : last + 1;
}

/* Under the writer lock: the id this snapshot gets (a concurrent nsnap
 * gets the next one). */
static uint64_t put_id(struct sto_txn *t)
{
	uint64_t id;

	sto_txn_fail(t, sto_newest_id(t, &id));
	return sto_next_id(t, id);
}

/* Every record and list chunk of the plan, and the lists of snapshot ID;
 * *added: the bytes of records that were not there yet. */
static void put_records(struct sto_txn *t, const struct plan *p, uint64_t id,
			uint64_t *added)
{
	const struct codec_snapshot *snap = &p->snap;
	uint8_t k[9];

	sto_rec_put(t, &p->meta_h, &snap->meta, added);
	if (snap->layout.len)
		sto_rec_put(t, &p->layout_h, &snap->layout, added);
	for (size_t i = 0; i < snap->nns; i++)
		sto_rec_put(t, &p->ns_h[i], &snap->ns[i], added);
	for (size_t i = 0; i < snap->nprocs; i++)
		sto_rec_put(t, &p->proc_h[i], &snap->procs[i], added);
	for (size_t i = 0; i < snap->nmounts; i++)
		sto_rec_put(t, &p->run_h[i], &snap->mounts[i], added);
	for (size_t i = 0; i < p->nchunks; i++) {
		struct codec_rec r = {
			p->chunks.data + p->chunk_off[i],
			p->chunk_off[i + 1] - p->chunk_off[i],
		};
		sto_rec_put(t, &p->chunk_h[i], &r, added);
	}

	codec_be64_write(k, id);
	for (int i = 0; i < 3; i++) {
		k[8] = sto_list_kinds[i];
		const void *v = p->top_n[i] ? p->chunk_h[p->top_first[i]].b : k;
		sto_txn_put(t, t->s->lists, k, 9, v,
			    p->top_n[i] * CODEC_HASH_LEN, MDB_NOOVERWRITE);
	}
}

/* The header of snapshot ID, H filled in but for what the plan says;
 * then the chain's head is this header (and, for the first head,
 * "chain-from" the id before it). */
static void put_header(struct sto_txn *t, const struct plan *p, uint64_t id,
		       struct codec_header *h)
{
	const struct graph *g = p->g;
	const struct codec_snapshot *snap = &p->snap;
	struct codec_buf hb;
	uint8_t k[8];
	int rc;

	h->id = id;
	h->start_ns = g->meta.start_ns;
	h->end_ns = g->meta.end_ns;
	h->capturer_pid = g->meta.capturer_pid;
	h->vantage = g->meta.vantage;
	h->vp_version = cstr(g->meta.vantage.version);
	h->host = cstr(g->meta.hostname);
	h->boot_id = cstr(g->meta.boot_id);
	h->kernel = cstr(g->meta.kernel);
	h->nns = g->nns;
	h->nprocs = g->nprocs;
	h->ntasks = g->ntasks;
	h->nfds = g->nfds;
	h->nmounts = g->nmounts;
	h->nruns = snap->nmounts;
	h->ngaps = g->ngaps;
	h->size = p->size;
	h->meta = p->meta_h;
	h->has_layout = snap->layout.len > 0;
	h->layout = p->layout_h;
	h->digest = p->digest;
	codec_buf_init(&hb);
	rc = codec_encode_header(h, &hb);
	if (rc)
		sto_txn_fail(t, rc);
	codec_be64_write(k, id);
	sto_txn_put(t, t->s->snaps, k, 8, hb.data, hb.len, MDB_NOOVERWRITE);
	if (!rc) {
		sto_chain_begin(t, id - 1);
		sto_chain_set_head(t, id, hb.data, hb.len);
	}
	codec_buf_free(&hb);
}

/*
 * The custody block of snapshot ID: its content, the chain's head as prev,
 * and a signature: the store's signer's for a snapshot recorded here (the
 * store's id made if it has none), the one CLAIM carries for an imported
 * one (checked against the content computed here: STORE_ESIG when it does
 * not match; STORE_EPLACE when it was signed in this store), none for an
 * imported one CLAIM does not sign.
 */
static int put_custody(struct sto_txn *t, const struct plan *p, uint64_t id,
		       bool imported, const struct custody_block *claim,
		       struct custody_block *c)
{
	int ret;

	*c = (struct custody_block){ 0 };
	memcpy(c->content, p->content, sizeof(c->content));
	ret = sto_chain_head(t, &c->has_prev, c->prev);
	if (ret)
		return ret;
	if (imported && claim && claim->is_signed) {
		uint8_t here[CUSTODY_STORE_ID_LEN];
		ret = sto_store_id(t, here, false);
		if (ret < 0)
			return ret;
		/* Its place was vouched for in this store's own chain (or
		 * a copy's): imported again it would stand elsewhere in it. */
		if (ret == 1 && !memcmp(here, claim->sig_store, sizeof(here)))
			return STORE_EPLACE;
		memcpy(c->key, claim->key, sizeof(c->key));
		memcpy(c->sig, claim->sig, sizeof(c->sig));
		c->sig_id = claim->sig_id;
		c->sig_has_prev = claim->sig_has_prev;
		memcpy(c->sig_prev, claim->sig_prev, sizeof(c->sig_prev));
		memcpy(c->sig_store, claim->sig_store, sizeof(c->sig_store));
		c->is_signed = true;
		return custody_sig_ok(c) ? 0 : STORE_ESIG;
	}
	if (imported || !t->s->signer)
		return 0;
	ret = sto_store_id(t, c->sig_store, true);
	if (ret < 0)
		return ret;
	c->sig_id = id;
	c->sig_has_prev = c->has_prev;
	memcpy(c->sig_prev, c->prev, sizeof(c->sig_prev));
	return custody_sign(c, t->s->signer);
}

/* The snapshot in T that plan P, labelled LABEL, would write again, into
 * *id: 1, 0 for none, or an error.  Its content digest says so (the label
 * counts: a snapshot relabelled is another), or for headers without one
 * the XXH3 digest and the label.  A header that does not decode is no
 * such snapshot. */
static int find_digest(struct sto_txn *t, const struct plan *p,
		       const char *label, uint64_t *id)
{
	size_t llen = label ? strlen(label) : 0;
	struct codec_header h;
	MDB_cursor *c;
	MDB_val key, val;
	int rc, ret = 0;

	if (sto_cursor_open(t, t->s->snaps, &c))
		return t->ret;
	for (rc = sto_lm_cursor_get(c, &key, &val, MDB_FIRST); !rc && !ret;
	     rc = sto_lm_cursor_get(c, &key, &val, MDB_NEXT)) {
		if (sto_key_id(t, &key, id) || sto_header_decode(t, *id, &val, &h)) {
			sto_corrupt_clear();
			continue;
		}
		ret = h.version >= 5 ?
		      !memcmp(h.custody.content, p->content, sizeof(p->content)) :
		      !memcmp(h.digest.b, p->digest.b, sizeof(p->digest.b)) &&
		      h.label.len == llen &&
		      (!llen || !memcmp(h.label.p, label, llen));
	}
	if (!ret && rc != MDB_NOTFOUND)
		ret = sto_mdb_err(rc);
	mdb_cursor_close(c);
	return ret;
}

/* One attempt at the write transaction: all of it, or nothing. */
static int put_txn(struct store *s, const struct plan *p, const char *label,
		   bool imported, uint64_t original_id,
		   const struct custody_block *claim, uint64_t *id_out)
{
	struct codec_header h = {
		.label = cstr(label),
		.imported = imported,
		.original_id = original_id,
	};
	struct sto_txn t;
	uint64_t id;
	uint8_t k[8];
	int ret;

	ret = sto_txn_begin(s, &t, true);
	if (ret)
		return ret;
	/* An export imported twice is one snapshot: it keeps its id. */
	if (imported && (ret = find_digest(&t, p, label, &id)) != 0) {
		sto_txn_abort(&t);
		if (ret == 1)
			*id_out = id;
		return ret == 1 ? STORE_EEXIST : ret;
	}
	id = t.last_id = put_id(&t);
	ret = put_custody(&t, p, id, imported, claim, &h.custody);
	if (ret) {
		sto_txn_abort(&t);
		return ret;
	}
	put_records(&t, p, id, &h.added);
	/* Every header is written with version 5 (the custody block). */
	sto_format_raise(&t, STORE_FORMAT);
	sto_nsidx_put(&t, &(struct sto_nsidx_snap){
		.g = p->g, .ns_h = p->ns_h, .ns_sorted = p->ns_sorted,
	}, id, imported);
	codec_be64_write(k, id);
	if (label)
		sto_txn_put(&t, s->labels, label, strlen(label), k, 8, 0);
	put_header(&t, p, id, &h);
	ret = sto_txn_commit(&t);
	if (!ret)
		*id_out = id;
	return ret;
}

static int put_any(struct store *s, const struct graph *g, const char *label,
		   bool imported, uint64_t original_id,
		   const struct custody_block *claim, uint64_t *id_out)
{
	struct plan p;
	uint64_t id = 0;
	int ret;

	if (s->rdonly)
		return STORE_ERDONLY;
	ret = store_label_check(label);
	if (ret)
		return ret;
	ret = plan_make(&p, g, label);
	while (!ret) {
		ret = put_txn(s, &p, label, imported, original_id, claim, &id);
		if (ret != MDB_MAP_FULL)
			break;
		/* The aborted attempt left nothing behind: grow, redo all. */
		ret = sto_grow_map(s);
	}
	plan_free(&p);
	if ((!ret || ret == STORE_EEXIST) && id_out)
		*id_out = id;
	return ret;
}

int store_put(struct store *s, const struct graph *g, const char *label,
	      uint64_t *id_out)
{
	return put_any(s, g, label, false, 0, NULL, id_out);
}

int store_put_imported(struct store *s, const struct graph *g,
		       const char *label, uint64_t original_id,
		       uint64_t *id_out)
{
	return put_any(s, g, label, true, original_id, NULL, id_out);
}

int store_put_evidence(struct store *s, const struct graph *g,
		       const char *label, uint64_t original_id,
		       const struct custody_block *claim, uint64_t *id_out)
{
	return put_any(s, g, label, true, original_id, claim, id_out);
}

int store_set_signer(struct store *s, const struct custody_key *k)
{
	if (!k) {
		if (s->signer)
			custody_key_wipe(s->signer);
		free(s->signer);
		s->signer = NULL;
		return 0;
	}
	if (!k->has_secret)
		return -EINVAL;
	if (!s->signer && !(s->signer = malloc(sizeof(*s->signer))))
		return -ENOMEM;
	*s->signer = *k;
	return 0;
}

