/*
 * fuzz_import.c — libFuzzer target over export_read(), the import of a
 * snapshot exported as JSON or NDJSON.
 *
 * Input: a document, as a file would hold it.  A refusal must be one of
 * the codes export.h promises, with a terminated message of printable
 * ASCII (it ends up on a terminal).  What imports must export again, in
 * both formats, to a document that imports to the very same records and
 * exports to the very same bytes: a document is a function of its graph.
 * Anything else is a bug and aborts.
 *
 * The seeds in tests/fuzz/corpus/import are small exports in both formats
 * (valid-*), and damaged ones: edited (bad-*), cut short (trunc-*), and
 * not documents at all (garbage-*).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "export.h"
#include "graph.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same_rec(const struct codec_rec *a, const struct codec_rec *b)
{
	return a->len == b->len && (!a->len || !memcmp(a->data, b->data, a->len));
}

static void check_same_records(const struct graph *a, const struct graph *b)
{
	struct codec_snapshot x, y;

	if (codec_encode_graph(a, &x) || codec_encode_graph(b, &y))
		abort();
	if (!same_rec(&x.meta, &y.meta) || !same_rec(&x.layout, &y.layout) ||
	    x.nns != y.nns || x.nprocs != y.nprocs || x.nmounts != y.nmounts)
		abort();
	for (size_t i = 0; i < x.nns; i++)
		if (!same_rec(&x.ns[i], &y.ns[i]))
			abort();
	for (size_t i = 0; i < x.nprocs; i++)
		if (!same_rec(&x.procs[i], &y.procs[i]))
			abort();
	for (size_t i = 0; i < x.nmounts; i++)
		if (!same_rec(&x.mounts[i], &y.mounts[i]))
			abort();
	codec_snapshot_free(&x);
	codec_snapshot_free(&y);
}

/* G in FMT, in a malloc'd buffer; NULL when memory ran out. */
static char *export_mem(const struct graph *g, const struct export_info *info,
			enum export_format fmt, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	int rc;

	if (!f)
		return NULL;
	rc = export_write(f, g, info, fmt);
	if (fclose(f) || rc == -ENOMEM) {
		free(buf);
		return NULL;
	}
	/* An imported graph is consistent: nothing else may fail. */
	if (rc)
		abort();
	return buf;
}

static void check_message(int rc, const char *err)
{
	if (rc != -EBADMSG && rc != -EPROTONOSUPPORT && rc != -ENOMEM)
		abort();
	if (!err[0])
		abort();
	for (const char *c = err; *c; c++)
		if (*c < 0x20 || *c >= 0x7f)
			abort();
}

static void check_again(const struct graph *g, const struct export_info *info,
			enum export_format fmt)
{
	struct graph *back;
	struct export_info got;
	char err[256];
	size_t len, len2;
	char *doc = export_mem(g, info, fmt, &len), *doc2;

	if (!doc)
		return;
	int rc = export_read(doc, len, &back, &got, err, sizeof(err));
	if (rc == -ENOMEM) {
		free(doc);
		return;
	}
	if (rc || got.id != info->id ||
	    (!got.label != !info->label) ||
	    (got.label && strcmp(got.label, info->label)))
		abort();
	check_same_records(g, back);
	doc2 = export_mem(back, &got, fmt, &len2);
	if (doc2 && (len2 != len || memcmp(doc, doc2, len)))
		abort();
	free(doc2);
	free(doc);
	graph_free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct graph sentinel;   /* export_read() must reset *out */
	struct graph *g = &sentinel;
	struct export_info info;
	char err[256];
	int rc;

	memset(err, 'x', sizeof(err));
	rc = export_read((const char *)data, size, &g, &info, err, sizeof(err));
	if (memchr(err, '\0', sizeof(err)) == NULL)
		abort();
	if (rc) {
		if (g)
			abort();
		check_message(rc, err);
		return 0;
	}
	if (err[0])
		abort();
	check_again(g, &info, EXPORT_JSON);
	check_again(g, &info, EXPORT_NDJSON);
	graph_free(g);
	return 0;
}
