/*
 * codec_prim.c — the primitives every record is made of: a growing output
 * buffer and a bounded reader, both with a sticky error; LEB128 varints,
 * zigzag, big-endian words, length-prefixed nullable strings, and the kind
 * and version bytes that start a record.
 *
 * Owns canonical form at the smallest scale: a reader refuses overlong
 * varints and strings with inner NULs, so that one value has one encoding.
 */
#include "codec.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- output primitives -------------------------------------------------- */

void codec_buf_init(struct codec_buf *b)
{
	*b = (struct codec_buf){ 0 };
}

void codec_buf_free(struct codec_buf *b)
{
	free(b->data);
	codec_buf_init(b);
}

static bool buf_room(struct codec_buf *b, size_t n)
{
	if (b->err)
		return false;
	if (b->cap - b->len >= n)
		return true;
	size_t cap = b->cap ? b->cap : 256;
	while (cap - b->len < n) {
		if (cap > SIZE_MAX / 2) {
			b->err = -ENOMEM;
			return false;
		}
		cap *= 2;
	}
	uint8_t *p = realloc(b->data, cap);
	if (!p) {
		b->err = -ENOMEM;
		return false;
	}
	b->data = p;
	b->cap = cap;
	return true;
}

void codec_put_bytes(struct codec_buf *b, const void *p, size_t n)
{
	if (!buf_room(b, n))
		return;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
}

void codec_put_u8(struct codec_buf *b, uint8_t v)
{
	codec_put_bytes(b, &v, 1);
}

void codec_put_uv(struct codec_buf *b, uint64_t v)
{
	uint8_t tmp[10];
	size_t n = 0;

	while (v >= 0x80) {
		tmp[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	tmp[n++] = (uint8_t)v;
	codec_put_bytes(b, tmp, n);
}

void codec_put_sv(struct codec_buf *b, int64_t v)
{
	/* Spelled without shifting a negative value (undefined in C). */
	uint64_t u = (uint64_t)v << 1;
	codec_put_uv(b, v < 0 ? ~u : u);
}

void codec_be64_write(uint8_t out[8], uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		out[i] = (uint8_t)v;
}

uint64_t codec_be64_read(const uint8_t in[8])
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | in[i];
	return v;
}

void codec_put_be64(struct codec_buf *b, uint64_t v)
{
	uint8_t tmp[8];

	codec_be64_write(tmp, v);
	codec_put_bytes(b, tmp, 8);
}

void codec_put_strn(struct codec_buf *b, const char *s, size_t len)
{
	if (!s) {
		codec_put_uv(b, 0);
		return;
	}
	codec_put_uv(b, (uint64_t)len + 1);
	codec_put_bytes(b, s, len);
}

void codec_put_str(struct codec_buf *b, const char *s)
{
	codec_put_strn(b, s, s ? strlen(s) : 0);
}

/* ---- input primitives --------------------------------------------------- */

void codec_rd_init(struct codec_rd *r, const void *p, size_t n)
{
	*r = (struct codec_rd){ .p = p, .left = n };
}

void codec_rd_fail(struct codec_rd *r)
{
	if (!r->err)
		r->err = -EBADMSG;
	r->left = 0;
}

const uint8_t *codec_get_bytes(struct codec_rd *r, size_t n)
{
	if (r->err || r->left < n) {
		codec_rd_fail(r);
		return NULL;
	}
	const uint8_t *p = r->p;
	r->p += n;
	r->left -= n;
	return p;
}

uint8_t codec_get_u8(struct codec_rd *r)
{
	const uint8_t *p = codec_get_bytes(r, 1);
	return p ? *p : 0;
}

uint64_t codec_get_uv(struct codec_rd *r, uint64_t max)
{
	uint64_t v = 0;

	for (unsigned i = 0;; i++) {
		const uint8_t *p = codec_get_bytes(r, 1);
		if (!p)
			return 0;
		/* The tenth byte holds bit 63 only. */
		if (i == 9 && *p > 1) {
			codec_rd_fail(r);
			return 0;
		}
		v |= (uint64_t)(*p & 0x7f) << (7 * i);
		if (!(*p & 0x80)) {
			/* Overlong forms would give one value two encodings. */
			if (*p == 0 && i > 0) {
				codec_rd_fail(r);
				return 0;
			}
			break;
		}
	}
	if (v > max) {
		codec_rd_fail(r);
		return 0;
	}
	return v;
}

int64_t codec_get_sv(struct codec_rd *r, int64_t min, int64_t max)
{
	uint64_t u = codec_get_uv(r, UINT64_MAX);
	int64_t v = (u & 1) ? -(int64_t)(u >> 1) - 1 : (int64_t)(u >> 1);

	if (v < min || v > max) {
		codec_rd_fail(r);
		return 0;
	}
	return v;
}

uint64_t codec_get_be64(struct codec_rd *r)
{
	const uint8_t *p = codec_get_bytes(r, 8);
	return p ? codec_be64_read(p) : 0;
}

const char *codec_get_str(struct codec_rd *r, size_t *len)
{
	*len = 0;
	uint64_t n = codec_get_uv(r, UINT64_MAX);
	if (n == 0)
		return NULL;
	if (n - 1 > r->left) {
		codec_rd_fail(r);
		return NULL;
	}
	const uint8_t *p = codec_get_bytes(r, (size_t)(n - 1));
	if (!p)
		return NULL;
	/* A C string cannot hold one: it would not survive the round trip. */
	if (memchr(p, 0, (size_t)(n - 1))) {
		codec_rd_fail(r);
		return NULL;
	}
	*len = (size_t)(n - 1);
	return (const char *)p;
}

size_t codec_get_count(struct codec_rd *r, size_t min_size)
{
	uint64_t n = codec_get_uv(r, UINT64_MAX);

	if (min_size == 0)
		min_size = 1;
	if (n > r->left / min_size) {
		codec_rd_fail(r);
		return 0;
	}
	return (size_t)n;
}

int codec_rd_end(const struct codec_rd *r)
{
	return r->err || r->left ? -EBADMSG : 0;
}

int32_t codec_get_i32(struct codec_rd *r)
{
	return (int32_t)codec_get_sv(r, INT32_MIN, INT32_MAX);
}

uint32_t codec_get_u32(struct codec_rd *r)
{
	return (uint32_t)codec_get_uv(r, UINT32_MAX);
}

void codec_put_head(struct codec_buf *b, enum codec_kind kind)
{
	codec_put_head_v(b, kind, CODEC_VERSION);
}

void codec_get_head(struct codec_rd *r, enum codec_kind kind)
{
	if (codec_get_head_v(r, kind, CODEC_VERSION) != CODEC_VERSION)
		codec_rd_fail(r);
}

void codec_put_head_v(struct codec_buf *b, enum codec_kind kind,
		      uint8_t version)
{
	codec_put_u8(b, (uint8_t)kind);
	codec_put_u8(b, version);
}

uint8_t codec_get_head_v(struct codec_rd *r, enum codec_kind kind,
			 uint8_t max)
{
	uint8_t k = codec_get_u8(r), v = codec_get_u8(r);

	if (r->err || k != kind || v < 1 || v > max) {
		codec_rd_fail(r);
		return 0;
	}
	return v;
}

const uint8_t *codec_get_blob(struct codec_rd *r, size_t *len, size_t max)
{
	*len = 0;
	uint64_t n = codec_get_uv(r, UINT64_MAX);
	if (n == 0)
		return NULL;
	if (n - 1 > r->left || n - 1 > max) {
		codec_rd_fail(r);
		return NULL;
	}
	const uint8_t *p = codec_get_bytes(r, (size_t)(n - 1));
	if (p)
		*len = (size_t)(n - 1);
	return p;
}
