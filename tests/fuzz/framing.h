/*
 * framing.h — how the fuzz targets over records cut their input: records
 * one after another, each a LEB128 length and that many bytes.
 */
#ifndef NSNAP_FUZZ_FRAMING_H
#define NSNAP_FUZZ_FRAMING_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

/*
 * The next record of R, copied into a heap block of its exact size (so
 * that ASan sees a decoder reading past a record, not just past the
 * input), its length in *LEN; the caller frees it.  NULL at the end of
 * the input, on a bad length, or out of memory.
 */
static inline uint8_t *framing_next(struct codec_rd *r, size_t *len)
{
	if (!r->left)
		return NULL;
	*len = codec_get_count(r, 1);
	const uint8_t *p = codec_get_bytes(r, *len);
	if (r->err)
		return NULL;
	uint8_t *copy = malloc(*len ? *len : 1);
	if (copy && *len)
		memcpy(copy, p, *len);
	return copy;
}

#endif
