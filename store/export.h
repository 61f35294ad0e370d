/*
 * export.h — the self-contained JSON interchange format of one snapshot.
 *
 * Owns writing a graph as a versioned JSON (or NDJSON) document and reading
 * one back, refusing a document whose record hashes do not match its
 * content.  The schema is documented in nsnap(5); each record kind's
 * members are described once, in export_fields.c (export_impl.h).  jansson
 * writes the documents and decodes their strings and numbers; the reader
 * walks the text in place (jscan.h) rather than have jansson build a tree
 * of it, so that a document costs what its graph costs.
 */
#ifndef NSNAP_EXPORT_H
#define NSNAP_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "custody.h"
#include "graph.h"

enum export_format { EXPORT_JSON, EXPORT_NDJSON };

/*
 * Where a snapshot came from: its id and label in the store it left, and
 * the custody block (custody.h) it had there, has_custody false for none
 * (a header written before custody blocks, a graph never stored).  Not
 * covered by the record hashes: it describes the copy, not the snapshot.
 * The block's signature is what vouches for the content (and the label);
 * its content digest is what the exporting store held, which a reader
 * recomputes rather than believes.  export_write() writes what INFO says,
 * export_read() fills in what the document says.
 */
struct export_info {
	uint64_t id;
	const char *label;  /* NULL: none */
	bool has_custody;
	struct custody_block custody;
};

/*
 * Write G as one document to OUT.  Returns 0 or -errno: -EINVAL when G is
 * inconsistent (as codec_encode_graph() judges it; nothing is written
 * then) or FMT unknown, -ENOMEM, or the write error (OUT is flushed, so a
 * full disk shows here).  INFO may be NULL: id 0, no label, for a graph
 * that never was in a store.  The output is printable ASCII and newlines
 * only, whatever bytes the graph's strings hold.
 */
int export_write(FILE *out, const struct graph *g,
		 const struct export_info *info, enum export_format fmt);

/*
 * Read one document (either format) from BUF.  On success *out is a new
 * graph equal to the exported one and *info its origin and custody (the
 * label lives in the graph's arena; the custody block is the document's,
 * read strictly but not checked: see export_info).  On failure returns -EBADMSG (malformed, a graph
 * graph_check() refuses, or a hash that does not match: ERRBUF says
 * which), -EPROTONOSUPPORT (a newer version) or -ENOMEM.  Memory beyond
 * BUF is about the graph's; a member the format does not know is refused
 * unread.  INFO may be NULL when the origin is of no
 * interest.  ERRBUF (may be NULL) gets a NUL-terminated message of
 * printable ASCII naming the line (NDJSON) and the member, e.g.
 * "processes[2] (pid 4000): content does not match its record hash"; it
 * is "" on success.  BUF need not be NUL-terminated.
 */
int export_read(const char *buf, size_t len, struct graph **out,
		struct export_info *info, char *errbuf, size_t errlen);

#endif
