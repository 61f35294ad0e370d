/*
 * fuzz_decode.c — libFuzzer target over the store's record decoders.
 *
 * Input: records one after another, each a LEB128 length and that many
 * bytes.  'H' (header) and 'L' (list) records go to their own decoders;
 * the others make one snapshot for codec_decode_graph(): the first 'G' its
 * meta record, the last 'Y' its layout, 'N', 'P' and 'M' in input order.
 * Each record sits in its own heap block of its exact size, so that ASan
 * sees a decoder reading past a record, not just past the input.
 *
 * What decodes must encode back to the very same bytes (the encoding is
 * canonical: see codec.h); a difference is a bug and aborts.  A meta
 * record of version 2 gets a capture of zeros, as the header would give.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "framing.h"
#include "graph.h"

#define MAX_RECS 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same(const struct codec_rec *a, const struct codec_rec *b)
{
	return a->len == b->len && (!a->len || !memcmp(a->data, b->data, a->len));
}

/* The meta record comes back as it went in; a version 1 one (written
 * before the capture moved to the header) as the whole record of the
 * version 2 one that replaces it. */
static bool same_meta(const struct codec_rec *in,
		      const struct codec_snapshot *e)
{
	struct codec_buf b;
	bool ok;

	if (in->len < 2 || in->data[1] != 1)
		return same(in, &e->meta);
	codec_buf_init(&b);
	ok = !codec_meta_whole(&e->meta, &e->capture, &b) &&
	     same(in, &(struct codec_rec){ b.data, b.len });
	codec_buf_free(&b);
	return ok;
}

static void check_graph(const struct codec_snapshot *s)
{
	struct codec_snapshot e;
	struct graph *g;

	if (codec_decode_graph(s, &g))
		return;
	if (codec_encode_graph(g, &e))
		abort();
	if (!same_meta(&s->meta, &e) || !same(&s->layout, &e.layout) ||
	    s->nns != e.nns || s->nprocs != e.nprocs || s->nmounts != e.nmounts)
		abort();
	for (size_t i = 0; i < s->nns; i++)
		if (!same(&s->ns[i], &e.ns[i]))
			abort();
	for (size_t i = 0; i < s->nprocs; i++)
		if (!same(&s->procs[i], &e.procs[i]))
			abort();
	for (size_t i = 0; i < s->nmounts; i++)
		if (!same(&s->mounts[i], &e.mounts[i]))
			abort();
	codec_snapshot_free(&e);
	graph_free(g);
}

static void check_header(const struct codec_rec *r)
{
	struct codec_header h;
	struct codec_buf b;

	if (codec_decode_header(r->data, r->len, &h))
		return;
	codec_buf_init(&b);
	if (codec_encode_header(&h, &b) || b.len != r->len ||
	    memcmp(b.data, r->data, r->len))
		abort();
	codec_buf_free(&b);
}

static void check_list(const struct codec_rec *r)
{
	const uint8_t *hashes;
	struct codec_hash *h;
	struct codec_buf b;
	size_t n;

	if (codec_decode_list(r->data, r->len, &hashes, &n))
		return;
	h = malloc((n ? n : 1) * sizeof(*h));
	if (!h)
		return;
	if (n)
		memcpy(h, hashes, n * CODEC_HASH_LEN);
	codec_buf_init(&b);
	if (codec_encode_list(h, n, &b) || b.len != r->len ||
	    memcmp(b.data, r->data, r->len))
		abort();
	codec_buf_free(&b);
	free(h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct codec_rec ns[MAX_RECS], procs[MAX_RECS], mounts[MAX_RECS];
	struct codec_snapshot s = { .ns = ns, .procs = procs, .mounts = mounts };
	uint8_t *blocks[4 * MAX_RECS];
	size_t nblocks = 0;
	bool have_meta = false;
	struct codec_rd r;
	uint8_t *copy;
	size_t len;

	codec_rd_init(&r, data, size);
	while (nblocks < 4 * MAX_RECS && (copy = framing_next(&r, &len))) {
		blocks[nblocks++] = copy;
		struct codec_rec rec = { copy, len };
		struct ns_key key;

		switch (len ? copy[0] : 0) {
		case CODEC_HEADER:
			check_header(&rec);
			break;
		case CODEC_LIST:
			check_list(&rec);
			break;
		case CODEC_META:
			if (!have_meta)
				s.meta = rec;
			have_meta = true;
			break;
		case CODEC_LAYOUT:
			s.layout = rec;
			break;
		case CODEC_NS:
			(void)codec_ns_key(copy, len, &key);
			if (s.nns < MAX_RECS)
				ns[s.nns++] = rec;
			break;
		case CODEC_PROC:
			if (s.nprocs < MAX_RECS)
				procs[s.nprocs++] = rec;
			break;
		case CODEC_MOUNTS:
			if (s.nmounts < MAX_RECS)
				mounts[s.nmounts++] = rec;
			break;
		default:
			break;
		}
	}
	if (have_meta)
		check_graph(&s);
	for (size_t i = 0; i < nblocks; i++)
		free(blocks[i]);
	return 0;
}
