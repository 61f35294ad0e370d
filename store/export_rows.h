/*
 * export_rows.h — a snapshot as flat, self-describing rows, one table per
 * kind of record, for a column store (nsnap-clickhouse(7)).
 *
 * Owns the row schema "nsnap-row/1": every row is one JSON object on one
 * line, naming its table, host, boot, capture time, the snapshot's origin
 * id and digest, and every namespace by identity (type, device, inode and
 * the kernel ID where known), never by an index into one document.  Each
 * table's columns are described once, in export_rows.c.
 */
#ifndef NSNAP_EXPORT_ROWS_H
#define NSNAP_EXPORT_ROWS_H

#include <stdio.h>

#include "export.h"
#include "graph.h"

#define EXPORT_ROWS_SCHEMA "nsnap-row/1"

/* Whether NAME is a table: snapshots, namespaces, processes, memberships,
 * pins, workloads, interfaces or gaps (the order they are written in). */
int export_rows_known(const char *name);

/*
 * Write G's rows to OUT: those of table TABLE, or of every table when
 * TABLE is NULL.  INFO as for export_write().  Returns 0, -EINVAL (G is
 * inconsistent, as codec_encode_graph() judges it, or TABLE unknown:
 * nothing is written), -ENOMEM or the write error (OUT is flushed).
 * The output is printable ASCII and newlines only.
 */
int export_rows_write(FILE *out, const struct graph *g,
		      const struct export_info *info, const char *table);

#endif
