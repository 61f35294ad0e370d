/*
 * codec_header.c — what names and checks a snapshot's records: the record
 * hash, the snapshot digest, the header and the list chunks.
 *
 * Owns XXH3 for the store: XXH3-128 names records and makes the digest,
 * XXH3-64 checksums a header (found by id, not by hash).
 */
#include "codec.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

/* ---- hashes ------------------------------------------------------------- */

void codec_hash(const void *p, size_t n, struct codec_hash *out)
{
	XXH128_canonical_t c;

	XXH128_canonicalFromHash(&c, XXH3_128bits(p, n));
	memcpy(out->b, c.digest, CODEC_HASH_LEN);
}

int codec_meta_hash(const struct codec_rec *meta,
		    const struct codec_capture *cap, struct codec_hash *out)
{
	struct codec_buf b;
	int ret;

	codec_buf_init(&b);
	ret = codec_meta_whole(meta, cap, &b);
	if (!ret)
		codec_hash(b.data, b.len, out);
	codec_buf_free(&b);
	return ret;
}

_Static_assert(sizeof(struct codec_hash) == CODEC_HASH_LEN,
	       "an array of hashes is its hashes end to end");

/* XXH3 streams: the pieces give what the whole would. */
int codec_digest_begin(struct codec_digest *d)
{
	d->state = XXH3_createState();
	if (!d->state)
		return -ENOMEM;
	XXH3_128bits_reset(d->state);
	return 0;
}

void codec_digest_add(struct codec_digest *d, const struct codec_hash *h,
		      size_t n)
{
	if (n)
		XXH3_128bits_update(d->state, h, n * sizeof(*h));
}

void codec_digest_end(struct codec_digest *d, struct codec_hash *out)
{
	XXH128_canonical_t c;

	XXH128_canonicalFromHash(&c, XXH3_128bits_digest(d->state));
	memcpy(out->b, c.digest, CODEC_HASH_LEN);
	codec_digest_free(d);
}

void codec_digest_free(struct codec_digest *d)
{
	XXH3_freeState(d->state);
	d->state = NULL;
}

void codec_digest(const struct codec_hash *h, size_t n, struct codec_hash *out)
{
	codec_hash(h, n * sizeof(*h), out);
}

/* ---- header and lists --------------------------------------------------- */

/*
 * 'H' version 3: uv id, sv start_ns, sv end_ns,
 * sv capturer_pid, str label, str host, str boot_id, str kernel, uv nns,
 * nprocs, ntasks, nfds, nmounts, nruns, ngaps, size, added, u8 imported
 * (0 or 1), [uv original_id when imported], 16 meta hash (the key of a
 * version 2 meta record), u8 has_layout, [16 layout hash], 16 digest, be64
 * XXH3-64 of everything before it.  The capture lives here, so that the
 * meta record of an unchanged system stays the same record.
 *
 * Version 4 is version 3 with the vantage block (below) after the
 * digest; version 5 (written now) is version 4 with the custody block
 * after that.
 *
 * Read too, from stores written before: versions 3 and 4 as above;
 * version 1 (recorded snapshots) is version 3 without capturer_pid and
 * without the imported byte; version 2 (imported ones) is version 1 with
 * uv original_id after 'added'.  Both name a version 1 meta record, which
 * holds the capture itself.  Versions 1 to 4 are written only to give back
 * what was read (a decoded header encodes to the same bytes).
 */
#define HEADER_V1 1
#define HEADER_V2 2
#define HEADER_V3 3
#define HEADER_V4 4
#define HEADER_V5 5

/* The version byte H is written with. */
static int header_version(const struct codec_header *h)
{
	if (!h->version || h->version == CODEC_HEADER_VERSION)
		return CODEC_HEADER_VERSION;
	if (h->version > CODEC_HEADER_VERSION)
		return -EINVAL;
	if (h->version == HEADER_V3 || h->version == HEADER_V4)
		return h->version;
	return h->imported ? HEADER_V2 : HEADER_V1;
}

/*
 * Version 4's vantage block: u8 known (0 or 1), and when 1: str version,
 * uv uid, uv euid, uv cap_eff, 8 x (uv dev, uv ino) of the capturer's
 * namespaces in ns_type order, uv initial, uv initial_known, u8
 * proc_own_pidns (0 or 1), uv facilities, sv btime, sv boot_start_ns,
 * sv boot_end_ns.
 */
void codec_put_vantage(struct codec_buf *b, const struct graph_vantage *v,
		       struct codec_str version)
{
	codec_put_u8(b, v->known);
	if (!v->known)
		return;
	codec_put_strn(b, version.p, version.len);
	codec_put_uv(b, v->uid);
	codec_put_uv(b, v->euid);
	codec_put_uv(b, v->cap_eff);
	for (unsigned t = 0; t < NS_NTYPES; t++) {
		codec_put_uv(b, v->own[t].dev);
		codec_put_uv(b, v->own[t].ino);
	}
	codec_put_uv(b, v->initial);
	codec_put_uv(b, v->initial_known);
	codec_put_u8(b, v->proc_own_pidns);
	codec_put_uv(b, v->facilities);
	codec_put_sv(b, v->btime);
	codec_put_sv(b, v->boot_start_ns);
	codec_put_sv(b, v->boot_end_ns);
}

/*
 * Version 5's custody block (custody.h): 32 content, u8 has_prev (0 or 1),
 * [32 prev], u8 signed (0 or 1), and when signed: 32 key, 64 signature, uv
 * sig_id, u8 sig_has_prev, [32 sig_prev], 16 sig_store.
 */
static void put_custody(struct codec_buf *b, const struct custody_block *c)
{
	codec_put_bytes(b, c->content, sizeof(c->content));
	codec_put_u8(b, c->has_prev);
	if (c->has_prev)
		codec_put_bytes(b, c->prev, sizeof(c->prev));
	codec_put_u8(b, c->is_signed);
	if (!c->is_signed)
		return;
	codec_put_bytes(b, c->key, sizeof(c->key));
	codec_put_bytes(b, c->sig, sizeof(c->sig));
	codec_put_uv(b, c->sig_id);
	codec_put_u8(b, c->sig_has_prev);
	if (c->sig_has_prev)
		codec_put_bytes(b, c->sig_prev, sizeof(c->sig_prev));
	codec_put_bytes(b, c->sig_store, sizeof(c->sig_store));
}

static void get_fixed(struct codec_rd *r, uint8_t *out, size_t n)
{
	const uint8_t *p = codec_get_bytes(r, n);

	if (p)
		memcpy(out, p, n);
	else
		memset(out, 0, n);
}

static bool get_bool(struct codec_rd *r)
{
	uint8_t v = codec_get_u8(r);

	if (v > 1)
		codec_rd_fail(r);
	return v == 1;
}

static void get_custody(struct codec_rd *r, struct custody_block *c)
{
	get_fixed(r, c->content, sizeof(c->content));
	if ((c->has_prev = get_bool(r)))
		get_fixed(r, c->prev, sizeof(c->prev));
	if (!(c->is_signed = get_bool(r)))
		return;
	get_fixed(r, c->key, sizeof(c->key));
	get_fixed(r, c->sig, sizeof(c->sig));
	c->sig_id = codec_get_uv(r, UINT64_MAX);
	if ((c->sig_has_prev = get_bool(r)))
		get_fixed(r, c->sig_prev, sizeof(c->sig_prev));
	get_fixed(r, c->sig_store, sizeof(c->sig_store));
}

int codec_encode_header(const struct codec_header *h, struct codec_buf *b)
{
	size_t start = b->len;
	int version = header_version(h);

	if (version < 0)
		return version;
	codec_put_u8(b, (uint8_t)CODEC_HEADER);
	codec_put_u8(b, (uint8_t)version);
	codec_put_uv(b, h->id);
	codec_put_sv(b, h->start_ns);
	codec_put_sv(b, h->end_ns);
	if (version >= HEADER_V3)
		codec_put_sv(b, h->capturer_pid);
	codec_put_strn(b, h->label.p, h->label.len);
	codec_put_strn(b, h->host.p, h->host.len);
	codec_put_strn(b, h->boot_id.p, h->boot_id.len);
	codec_put_strn(b, h->kernel.p, h->kernel.len);
	codec_put_uv(b, h->nns);
	codec_put_uv(b, h->nprocs);
	codec_put_uv(b, h->ntasks);
	codec_put_uv(b, h->nfds);
	codec_put_uv(b, h->nmounts);
	codec_put_uv(b, h->nruns);
	codec_put_uv(b, h->ngaps);
	codec_put_uv(b, h->size);
	codec_put_uv(b, h->added);
	if (version >= HEADER_V3)
		codec_put_u8(b, h->imported);
	if (h->imported)
		codec_put_uv(b, h->original_id);
	codec_put_bytes(b, h->meta.b, CODEC_HASH_LEN);
	codec_put_u8(b, h->has_layout);
	if (h->has_layout)
		codec_put_bytes(b, h->layout.b, CODEC_HASH_LEN);
	codec_put_bytes(b, h->digest.b, CODEC_HASH_LEN);
	if (version >= HEADER_V4)
		codec_put_vantage(b, &h->vantage, h->vp_version);
	if (version >= HEADER_V5)
		put_custody(b, &h->custody);
	if (b->err)
		return b->err;
	codec_put_be64(b, XXH3_64bits(b->data + start, b->len - start));
	return b->err;
}

static struct codec_str get_cstr(struct codec_rd *r)
{
	struct codec_str s;

	s.p = codec_get_str(r, &s.len);
	return s;
}

static void get_hash(struct codec_rd *r, struct codec_hash *h)
{
	const uint8_t *p = codec_get_bytes(r, CODEC_HASH_LEN);

	if (p)
		memcpy(h->b, p, CODEC_HASH_LEN);
	else
		memset(h->b, 0, CODEC_HASH_LEN);
}

static uint32_t get_u32v(struct codec_rd *r)
{
	return (uint32_t)codec_get_uv(r, UINT32_MAX);
}

static void get_vantage(struct codec_rd *r, struct codec_header *h)
{
	struct graph_vantage *v = &h->vantage;
	uint8_t known = codec_get_u8(r);

	if (known > 1)
		codec_rd_fail(r);
	if (known != 1)
		return;
	v->known = true;
	h->vp_version = get_cstr(r);
	v->uid = get_u32v(r);
	v->euid = get_u32v(r);
	v->cap_eff = codec_get_uv(r, UINT64_MAX);
	for (unsigned t = 0; t < NS_NTYPES; t++) {
		v->own[t].dev = codec_get_uv(r, UINT64_MAX);
		v->own[t].ino = codec_get_uv(r, UINT64_MAX);
	}
	v->initial = (uint32_t)codec_get_uv(r, NS_ALL_TYPES);
	v->initial_known = (uint32_t)codec_get_uv(r, NS_ALL_TYPES);
	uint8_t own = codec_get_u8(r);
	if (own > 1)
		codec_rd_fail(r);
	v->proc_own_pidns = own;
	v->facilities = (uint32_t)codec_get_uv(r, GRAPH_VP_ALL);
	v->btime = codec_get_sv(r, INT64_MIN, INT64_MAX);
	v->boot_start_ns = codec_get_sv(r, INT64_MIN, INT64_MAX);
	v->boot_end_ns = codec_get_sv(r, INT64_MIN, INT64_MAX);
}

int codec_decode_header(const void *p, size_t n, struct codec_header *h)
{
	struct codec_rd r;

	*h = (struct codec_header){ 0 };
	codec_rd_init(&r, p, n);
	uint8_t kind = codec_get_u8(&r), version = codec_get_u8(&r);
	if (kind != CODEC_HEADER || version < HEADER_V1 ||
	    version > CODEC_HEADER_VERSION)
		codec_rd_fail(&r);
	h->version = version;
	h->id = codec_get_uv(&r, UINT64_MAX);
	h->start_ns = codec_get_sv(&r, INT64_MIN, INT64_MAX);
	h->end_ns = codec_get_sv(&r, INT64_MIN, INT64_MAX);
	if (version >= HEADER_V3)
		h->capturer_pid = codec_get_i32(&r);
	h->label = get_cstr(&r);
	h->host = get_cstr(&r);
	h->boot_id = get_cstr(&r);
	h->kernel = get_cstr(&r);
	h->nns = codec_get_uv(&r, UINT64_MAX);
	h->nprocs = codec_get_uv(&r, UINT64_MAX);
	h->ntasks = codec_get_uv(&r, UINT64_MAX);
	h->nfds = codec_get_uv(&r, UINT64_MAX);
	h->nmounts = codec_get_uv(&r, UINT64_MAX);
	h->nruns = codec_get_uv(&r, UINT64_MAX);
	h->ngaps = codec_get_uv(&r, UINT64_MAX);
	h->size = codec_get_uv(&r, UINT64_MAX);
	h->added = codec_get_uv(&r, UINT64_MAX);
	if (version >= HEADER_V3) {
		uint8_t imported = codec_get_u8(&r);
		if (imported > 1)
			codec_rd_fail(&r);
		h->imported = imported;
	} else {
		h->imported = version == HEADER_V2;
	}
	if (h->imported)
		h->original_id = codec_get_uv(&r, UINT64_MAX);
	get_hash(&r, &h->meta);
	uint8_t has_layout = codec_get_u8(&r);
	if (has_layout > 1)
		codec_rd_fail(&r);
	h->has_layout = has_layout;
	if (has_layout)
		get_hash(&r, &h->layout);
	get_hash(&r, &h->digest);
	if (version >= HEADER_V4)
		get_vantage(&r, h);
	if (version >= HEADER_V5)
		get_custody(&r, &h->custody);
	if (r.err)
		return -EBADMSG;
	size_t body = n - r.left;
	uint64_t sum = codec_get_be64(&r);
	if (codec_rd_end(&r) || sum != XXH3_64bits(p, body))
		return -EBADMSG;
	return 0;
}

int codec_encode_list(const struct codec_hash *h, size_t n,
		      struct codec_buf *b)
{
	codec_put_head(b, CODEC_LIST);
	codec_put_uv(b, n);
	for (size_t i = 0; i < n; i++)
		codec_put_bytes(b, h[i].b, CODEC_HASH_LEN);
	return b->err;
}

int codec_decode_list(const void *p, size_t n, const uint8_t **hashes,
		      size_t *count)
{
	struct codec_rd r;

	*hashes = NULL;
	*count = 0;
	codec_rd_init(&r, p, n);
	codec_get_head(&r, CODEC_LIST);
	size_t k = codec_get_count(&r, CODEC_HASH_LEN);
	const uint8_t *h = codec_get_bytes(&r, k * CODEC_HASH_LEN);
	if (codec_rd_end(&r))
		return -EBADMSG;
	*hashes = h;
	*count = k;
	return 0;
}
