/*
 * vantage.h — a capture's vantage point (graph_vantage) told to people
 * and programs: text lines, a JSON object, and whether two snapshots were
 * taken from different ones.
 *
 * Owns the names of the vantage fields in every output: nsnap info,
 * nsnap list --json, nsdiff's JSON header and its warning.
 */
#ifndef NSNAP_VANTAGE_H
#define NSNAP_VANTAGE_H

#include <stdio.h>

#include "graph.h"

/* "NAME        VALUE" lines (names padded to 11 columns, as nsnap info's);
 * one line saying it is unknown for a snapshot that does not record it.
 * Every string is shown with non-printable bytes as '?'. */
void vantage_print_text(FILE *out, const struct graph_vantage *v);

/* A JSON object, or null when V is not known (callers leave the member
 * out instead, so that older outputs stay as they were). */
void vantage_print_json(FILE *out, const struct graph_vantage *v);

/*
 * Why captures from A and B could not see the same things (one as root,
 * one not; different user or PID namespaces; /proc of their own PID
 * namespace or not; different kernel facilities), or NULL when they
 * could, or when either does not say.  A static string.
 */
const char *vantage_differs(const struct graph_vantage *a,
			    const struct graph_vantage *b);

#endif
