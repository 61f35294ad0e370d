/*
 * read.c — reading snapshots: headers, lists, whole snapshots, the
 * listing, statistics (one namespace's history is nsidx_read.c's).
 *
 * Owns how a snapshot is read back: every record checked against its
 * hash, the hashes against the header's digest, and a damaged header
 * costing that one snapshot, not the listing.
 */
#include "store_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* ---- headers ------------------------------------------------------------ */

int sto_key_id(const struct sto_txn *t, const MDB_val *key, uint64_t *id)
{
	*id = 0;
	if (key->mv_size != 8 || sto_val_check(t, key))
		return sto_corrupt("snapshot key of %zu bytes", key->mv_size);
	*id = codec_be64_read(key->mv_data);
	return 0;
}

int sto_newest_id(struct sto_txn *t, uint64_t *id)
{
	MDB_cursor *c;
	MDB_val key, val;
	int rc, ret;

	*id = 0;
	if (sto_cursor_open(t, t->s->snaps, &c))
		return t->ret;
	rc = sto_lm_cursor_get(c, &key, &val, MDB_LAST);
	ret = !rc ? sto_key_id(t, &key, id) : rc == MDB_NOTFOUND ? 0 : sto_mdb_err(rc);
	mdb_cursor_close(c);
	return ret;
}

int sto_header_decode(const struct sto_txn *t, uint64_t id,
		      const MDB_val *val, struct codec_header *h)
{
	if (sto_val_check(t, val))
		return sto_corrupt("header of snapshot %" PRIu64 " lies "
				   "outside the data file", id);
	if (codec_decode_header(val->mv_data, val->mv_size, h) || h->id != id)
		return sto_corrupt("header of snapshot %" PRIu64 " fails its "
				   "checksum", id);
	return 0;
}

/* ---- lists -------------------------------------------------------------- */

int sto_list_hashes(struct sto_txn *t, uint64_t id, uint8_t kind,
		    struct codec_hash **out, size_t *count)
{
	struct codec_hash *all = NULL;
	struct codec_rec chunk;
	const uint8_t *hashes;
	uint8_t k[9];
	MDB_val val;
	size_t n, total = 0;
	int ret;

	*out = NULL;
	*count = 0;
	codec_be64_write(k, id);
	k[8] = kind;
	ret = sto_txn_get(t, t->s->lists, k, 9, &val);
	if (ret == MDB_NOTFOUND)
		return sto_corrupt("snapshot %" PRIu64 " has no '%c' list",
				   id, kind);
	if (ret)
		return ret;
	if (val.mv_size % CODEC_HASH_LEN)
		return sto_corrupt("'%c' list of snapshot %" PRIu64
				   " is %zu bytes", kind, id, val.mv_size);
	for (size_t i = 0; i < val.mv_size / CODEC_HASH_LEN; i++) {
		const uint8_t *h = (const uint8_t *)val.mv_data + i * CODEC_HASH_LEN;
		ret = sto_rec_get(t, h, &chunk);
		if (ret)
			goto fail;
		if (codec_decode_list(chunk.data, chunk.len, &hashes, &n)) {
			ret = sto_corrupt_record(h, "is not a well-formed "
						 "list");
			goto fail;
		}
		/* N is bounded by the record's size: no absurd allocation. */
		struct codec_hash *more = realloc(all, (total + n + 1) * sizeof(*all));
		if (!more) {
			ret = -ENOMEM;
			goto fail;
		}
		all = more;
		if (n)
			memcpy(all + total, hashes, n * CODEC_HASH_LEN);
		total += n;
	}
	*out = all;
	*count = total;
	return 0;
fail:
	free(all);
	return ret;
}

/*
 * The records of list KIND of snapshot ID, expecting EXPECT of them:
 * *out (malloc'd) points into the map.  Their hashes go into the digest.
 */
static int get_list(struct sto_txn *t, uint64_t id, uint8_t kind,
		    uint64_t expect, struct codec_rec **out,
		    struct codec_digest *d)
{
	struct codec_hash *hashes;
	struct codec_rec *recs = NULL;
	size_t n;
	int ret;

	*out = NULL;
	ret = sto_list_hashes(t, id, kind, &hashes, &n);
	if (ret)
		return ret;
	if (n != expect) {
		ret = sto_corrupt("'%c' list of snapshot %" PRIu64
				  " has %zu entries, its header says %" PRIu64,
				  kind, id, n, expect);
		goto out;
	}
	recs = calloc(n ? n : 1, sizeof(*recs));
	if (!recs) {
		ret = -ENOMEM;
		goto out;
	}
	codec_digest_add(d, hashes, n);
	for (size_t i = 0; i < n && !ret; i++)
		ret = sto_rec_get(t, hashes[i].b, &recs[i]);
	if (!ret) {
		*out = recs;
		recs = NULL;
	}
out:
	free(recs);
	free(hashes);
	return ret;
}

/* ---- reading a snapshot ------------------------------------------------- */

int sto_header_val(struct sto_txn *t, uint64_t id, MDB_val *val)
{
	uint8_t k[8];
	int rc;

	codec_be64_write(k, id);
	rc = sto_txn_get(t, t->s->snaps, k, 8, val);
	return rc == MDB_NOTFOUND ? STORE_ENOSNAP : rc;
}

int sto_get_header(struct sto_txn *t, uint64_t id, struct codec_header *h)
{
	MDB_val val;
	int rc = sto_header_val(t, id, &val);

	return rc ? rc : sto_header_decode(t, id, &val, h);
}

void sto_snap_free(struct codec_snapshot *snap)
{
	free(snap->ns);
	free(snap->procs);
	free(snap->mounts);
	*snap = (struct codec_snapshot){ 0 };
}

/* See store_int.h.  The meta record is checked against its key, and counts
 * in the digest with its whole record's hash. */
int sto_snap_read(struct sto_txn *t, uint64_t id, struct codec_header *h,
		  struct codec_snapshot *snap)
{
	struct codec_digest d;
	struct codec_hash digest, meta_whole;
	int ret;

	*snap = (struct codec_snapshot){ 0 };
	ret = sto_get_header(t, id, h);
	if (!ret)
		ret = codec_digest_begin(&d);
	if (ret)
		return ret;
	ret = sto_rec_get(t, h->meta.b, &snap->meta);
	if (ret)
		goto out;
	/* A version 1 meta record (older headers) holds its own capture. */
	snap->capture = (struct codec_capture){
		.start_ns = h->start_ns,
		.end_ns = h->end_ns,
		.capturer_pid = h->capturer_pid,
		.vantage = h->vantage,
		.vp_version = h->vp_version,
	};
	ret = codec_meta_hash(&snap->meta, &snap->capture, &meta_whole);
	if (ret == -EBADMSG)
		ret = sto_corrupt_record(h->meta.b, "is not a meta record");
	if (ret)
		goto out;
	codec_digest_add(&d, &meta_whole, 1);
	if (h->has_layout) {
		ret = sto_rec_get(t, h->layout.b, &snap->layout);
		if (ret)
			goto out;
		codec_digest_add(&d, &h->layout, 1);
	}
	ret = get_list(t, id, LIST_NS, h->nns, &snap->ns, &d);
	if (!ret)
		ret = get_list(t, id, LIST_PROC, h->nprocs, &snap->procs, &d);
	if (!ret)
		ret = get_list(t, id, LIST_MOUNTS, h->nruns, &snap->mounts, &d);
	if (ret)
		goto out;
	snap->nns = h->nns;
	snap->nprocs = h->nprocs;
	snap->nmounts = h->nruns;
	codec_digest_end(&d, &digest);
	if (memcmp(digest.b, h->digest.b, CODEC_HASH_LEN))
		ret = sto_corrupt("records of snapshot %" PRIu64
				  " do not match its digest", id);
out:
	codec_digest_free(&d);
	if (ret)
		sto_snap_free(snap);
	return ret;
}

int sto_snap_decode(uint64_t id, const struct codec_snapshot *snap,
		    struct graph **out)
{
	int ret = codec_decode_graph(snap, out);

	if (ret == -EBADMSG)
		ret = sto_corrupt("records of snapshot %" PRIu64
				  " do not decode", id);
	return ret;
}

int store_load(struct store *s, uint64_t id, struct graph **out)
{
	struct sto_txn t;
	struct codec_header h;
	struct codec_snapshot snap;
	int ret;

	*out = NULL;
	ret = sto_txn_begin(s, &t, false);
	if (ret)
		return ret;
	ret = sto_snap_read(&t, id, &h, &snap);
	if (!ret)
		ret = sto_snap_decode(id, &snap, out);
	sto_snap_free(&snap);
	sto_txn_abort(&t);
	return ret;
}

/* ---- headers, listing, statistics -------------------------------------- */

static void copy_str(char *dst, size_t size, struct codec_str s)
{
	size_t n = s.p ? (s.len < size - 1 ? s.len : size - 1) : 0;

	if (n)
		memcpy(dst, s.p, n);
	dst[n] = '\0';
}

static void header_export(const struct codec_header *h, struct store_header *o)
{
	memset(o, 0, sizeof(*o));
	o->id = h->id;
	o->start_ns = h->start_ns;
	o->end_ns = h->end_ns;
	copy_str(o->label, sizeof(o->label), h->label);
	copy_str(o->host, sizeof(o->host), h->host);
	copy_str(o->boot_id, sizeof(o->boot_id), h->boot_id);
	copy_str(o->kernel, sizeof(o->kernel), h->kernel);
	o->nns = h->nns;
	o->nprocs = h->nprocs;
	o->nthreads = h->ntasks;
	o->nfds = h->nfds;
	o->nmounts = h->nmounts;
	o->npins = h->nfds + h->nmounts;
	o->ngaps = h->ngaps;
	o->size = h->size;
	o->added = h->added;
	o->imported = h->imported;
	o->original_id = h->original_id;
	memcpy(o->digest, h->digest.b, sizeof(o->digest));
	o->vantage = h->vantage;
	copy_str(o->vp_version, sizeof(o->vp_version), h->vp_version);
	o->chained = h->version >= 5;
	o->custody = h->custody;
	o->vantage.version = NULL;
}

/*
 * ngapped, from the meta record.  Not hashed here: a damaged or missing
 * one is verify's to name, and only leaves the count of links (at least
 * as large), without a message that would replace the one of an error
 * the caller reports.  0, or T's error (LMDB), -ENOMEM.
 */
static int header_gapped(struct sto_txn *t, const struct codec_header *h,
			 struct store_header *o)
{
	MDB_val val;
	int rc;

	o->ngapped = o->ngaps;
	if (!h->ngaps)
		return 0;
	rc = sto_txn_get(t, t->s->records, h->meta.b, CODEC_HASH_LEN, &val);
	if (rc)
		return t->ret;
	struct codec_rec rec = { val.mv_data, val.mv_size };
	uint64_t n;
	rc = codec_meta_gapped(&rec, &n);
	if (rc == -ENOMEM)
		return rc;
	if (!rc)
		o->ngapped = n;
	return 0;
}

int store_header(struct store *s, uint64_t id, struct store_header *out)
{
	struct sto_txn t;
	struct codec_header h;
	int ret = sto_txn_begin(s, &t, false);

	if (ret)
		return ret;
	ret = sto_get_header(&t, id, &h);
	if (!ret) {
		header_export(&h, out);
		ret = header_gapped(&t, &h, out);
	}
	sto_txn_abort(&t);
	return ret;
}

int sto_snaps_walk(struct store *s, sto_walk_fn *cb, void *ctx)
{
	struct sto_txn t;
	MDB_cursor *c = NULL;
	MDB_val key, val;
	int rc, ret;

	ret = sto_txn_begin(s, &t, false);
	if (ret || sto_cursor_open(&t, s->snaps, &c)) {
		ret = t.ret;
		goto out;
	}
	for (rc = sto_lm_cursor_get(c, &key, &val, MDB_FIRST); !rc;
	     rc = sto_lm_cursor_get(c, &key, &val, MDB_NEXT)) {
		ret = cb(&t, &key, &val, ctx);
		if (ret)
			break;
	}
	if (!ret && rc != MDB_NOTFOUND)
		ret = sto_mdb_err(rc);
out:
	if (c)
		mdb_cursor_close(c);
	sto_txn_abort(&t);
	return ret;
}

struct list_walk {
	struct store_header sh;
	int (*cb)(const struct store_header *, void *);
	void *ctx;
	int bad;        /* the first header that could not be read */
};

static int list_one(struct sto_txn *t, const MDB_val *key, const MDB_val *val,
		    void *ctx)
{
	struct list_walk *w = ctx;
	struct codec_header h;
	uint64_t id;
	int err = sto_key_id(t, key, &id);

	if (!err)
		err = sto_header_decode(t, id, val, &h);
	if (err) {
		/* Show the rest; say so at the end. */
		w->bad = w->bad ? w->bad : err;
		return 0;
	}
	header_export(&h, &w->sh);
	err = header_gapped(t, &h, &w->sh);
	return err ? err : w->cb(&w->sh, w->ctx);
}

int store_list(struct store *s, int (*cb)(const struct store_header *, void *),
	       void *ctx)
{
	struct list_walk *w = malloc(sizeof(*w));
	int ret;

	if (!w)
		return -ENOMEM;
	*w = (struct list_walk){ .cb = cb, .ctx = ctx };
	ret = sto_snaps_walk(s, list_one, w);
	if (!ret)
		ret = w->bad;
	free(w);
	return ret;
}

int store_stat(struct store *s, struct store_stat *out)
{
	struct sto_txn t;
	MDB_envinfo info;
	MDB_stat st;
	int rc, ret;

	memset(out, 0, sizeof(*out));
	rc = mdb_env_info(s->env, &info);
	if (!rc)
		rc = mdb_env_stat(s->env, &st);
	if (rc)
		return sto_mdb_err(rc);
	out->map_size = info.me_mapsize;
	out->page_size = st.ms_psize;
	out->used = ((uint64_t)info.me_last_pgno + 1) * st.ms_psize;
	ret = sto_txn_begin(s, &t, false);
	if (ret)
		return ret;
	rc = sto_lm_stat(t.txn, s->snaps, &st);
	out->snapshots = st.ms_entries;
	if (!rc)
		rc = sto_lm_stat(t.txn, s->records, &st);
	out->records = st.ms_entries;
	sto_txn_abort(&t);
	return sto_mdb_err(rc);
}
