/*
 * format.h — the view as data: JSON and Graphviz DOT.
 *
 * Owns the machine-readable renderings of a view (nsshow --format=json and
 * --format=dot): the "nsshow-view" JSON schema and the DOT layout of the
 * hierarchy.  Like render.h it formats only: what to show, in which order
 * and at which depth, is decided by view_build(), so every view option
 * (--pidns, --subtree, --namespaces, --deep-scan, PID arguments...)
 * applies to every format alike.  The text tree stays render_tree().
 *
 * ---- JSON, "format": "nsshow-view", "version": 2 -------------------------
 *
 * The schema is documented in nsshow(1), JSON OUTPUT: that page is its
 * reference, this is how it is written.  One object, indented by 2
 * spaces, keys always in the page's order, ASCII only, ending with a
 * newline: exactly what `python3 -m json.tool --indent 2` prints for it.
 *
 *   format, version, snapshot {id, label, imported, host, kernel, boot_id,
 *   start, end, start_ns, end_ns}, messages, warnings, fatal, namespaces
 *
 * A LINE of "namespaces" is the tree's: type, dev, ino, depth, "under"
 * (the index of the line it hangs under, recovered from the depths; not
 * "parent", which in an export is NS_GET_PARENT's answer), id; for user
 * namespaces creator_uid and, in whole-system views, the maps as the tree
 * shows them plus their parsed ranges; then the facts the graph collected
 * (format_facts.c: names, interfaces, workloads, pins under --deep-scan)
 * and, unless no_pids, the members (comm with GRAPH_HAVE_COMM, nstgid as
 * numbers with GRAPH_HAVE_NSTGID, identity with GRAPH_HAVE_IDENTITY, the
 * workload with GRAPH_HAVE_WORKLOADS).  A fact the graph did not collect
 * has no key; null means it was looked for and not read.  The invisible
 * ancestor is { "type": "user", "invisible": true, "depth": 0,
 * "under": null }.
 *
 * Numbers: 64-bit values (dev, ino, id, *_ns) are decimal strings, since
 * JSON readers commonly parse numbers as doubles and would round them;
 * dev and ino too, for one rule rather than a guess per field (the nsdiff/1
 * schema does the same).  PIDs, depth, under, UIDs and the snapshot's id
 * are numbers.
 *
 * Strings: '"' '\\' and \b \f \n \r \t take their short escapes, other
 * control bytes and DEL are \u00XX, and so is every byte >= 0x80, one
 * escape per byte, UTF-8 or not.  So a string's code points are exactly
 * the bytes the kernel gave (decode, then encode as Latin-1 to get them
 * back), invalid UTF-8 in a comm cannot collide with a valid spelling, and
 * the text is ASCII.  The price: a UTF-8 comm reads as mojibake in naive
 * consumers.  Same rule as nsdiff/1 (text.h).
 *
 * ---- DOT ---------------------------------------------------------------
 *
 * `digraph nsshow`, for `dot`.  Every line of the view is a node "nI" (I:
 * its index in the view, as in JSON); a user namespace (and the invisible
 * ancestor) also opens a "cluster_I" subgraph holding its node, the nodes
 * of the namespaces it owns and, nested, the clusters of its child user
 * namespaces.  Edges run from the line a namespace hangs under to it:
 * solid for parenthood (user -> child user, PID -> child PID with
 * --pidns, where there are no clusters), dashed for ownership (user ->
 * other type).  A node's label is the tree's text for the namespace (maps
 * on their own lines, a UTS namespace's host name, a network namespace's
 * netns names) plus the first dot_max_pids member PIDs and
 * "… (+N)" for the rest.  A workload that owns namespaces draws a
 * dashed "cluster_wW_I" (W: workload index, I: the user namespace line
 * whose cluster holds it; "cluster_wW" in the PID view) around them,
 * labelled "RUNTIME KIND NAME (ID12)" (view_put_workload()): one per user
 * namespace cluster it has namespaces in, so that clusters still nest.
 * The graph's label carries host, capture time,
 * the scan messages and the fatal error, if any.  Labels are quoted; bytes
 * outside printable ASCII show as \xNN and a backslash as \\.
 */
#ifndef NSNAP_FORMAT_H
#define NSNAP_FORMAT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "graph.h"
#include "view.h"

#define FORMAT_JSON_VERSION 2
#define FORMAT_DOT_MAX_PIDS 8 /* default of format_opts.dot_max_pids */

/* What the store says of the snapshot shown (nsshow --snapshot). */
struct format_snapshot {
	uint64_t id;
	const char *label;       /* NULL or "": none */
	bool imported;
};

struct format_opts {
	bool no_pids;            /* --no-pids: no members (JSON: no
				    "members" key; DOT: no PID lists) */
	unsigned dot_max_pids;   /* DOT: PIDs per node before "… (+N)";
				    0 means FORMAT_DOT_MAX_PIDS */
	/*
	 * DOT: fill color of the node of namespace NS (a graph index of the
	 * graph passed in), e.g. for nsdiff to mark born/changed
	 * namespaces.  Return a Graphviz color ("palegreen", "#ffd0d0"), or
	 * NULL to leave the node unfilled.  Not called for the invisible
	 * ancestor.  The string is quoted and escaped here; it only has to
	 * live until the callback is called again.
	 */
	const char *(*ns_color)(void *ctx, uint32_t ns);
	void *ns_color_ctx;
	/* JSON: the snapshot's id, label and origin; NULL: the live
	 * system or an export file ("id" and "label" null). */
	const struct format_snapshot *snapshot;
};

/*
 * Print V (built from G by view_build()) to OUT as JSON or DOT, described
 * above.  O may be NULL (defaults).  Returns 0, -EINVAL when graph_check()
 * refuses G or V does not fit G (view_fits(); nothing is written then),
 * -ENOMEM, or -errno of a write error.  The caller still prints V's
 * warnings and exits with
 * V's status, as with render_tree().
 */
int format_json(FILE *out, const struct graph *g, const struct view *v,
		const struct format_opts *o);
int format_dot(FILE *out, const struct graph *g, const struct view *v,
	       const struct format_opts *o);

#endif
