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
 * ---- JSON, "format": "nsshow-view", "version": 1 -------------------------
 *
 * One object, indented by 2 spaces, keys always in the order below, ASCII
 * only, ending with a newline; the text is exactly what
 * `python3 -m json.tool --indent 2` prints for it.
 *
 *   {
 *     "format": "nsshow-view",
 *     "version": 1,
 *     "snapshot": {
 *       "host": "h", "kernel": "6.1.0-13-amd64", "boot_id": "...",
 *       "start": "2023-11-14T22:13:20.123456789Z",   capture began (UTC)
 *       "end": "2023-11-14T22:13:20.173456789Z",     and ended
 *       "start_ns": "1700000000123456789",           the same in ns since
 *       "end_ns": "1700000000173456789"              the epoch
 *     },
 *     "messages": ["Could not open /proc/..."],  scan messages, in order
 *     "warnings": ["cannot read /proc/1/ns/..."],  what nsshow also
 *                                                  prints on stderr
 *     "fatal": null,          or the error that replaces the tree; then
 *                             "namespaces" is empty and nsshow exits 1
 *     "namespaces": [ LINE... ]   the tree's lines, in the tree's order
 *   }
 *
 * A LINE is a namespace:
 *
 *     "type": "net",           ns_type_name()
 *     "dev": "4", "ino": "4026531840",   the nsfs file
 *     "depth": 1,              indent level in the tree (0 = a root)
 *     "parent": 0,             index in "namespaces" of the line it hangs
 *                              under (owner, or PID parent with --pidns),
 *                              null for a root
 *     "id": "12",              NS_GET_ID (Linux 6.18+), null when unknown
 *   user namespaces only:
 *     "creator_uid": 0,        null when unknown
 *   user namespaces of whole-system views only (as the tree shows maps):
 *     "uid_map": "0 0 4294967295",   normalized as in the tree: trimmed,
 *     "gid_map": "0 0 4294967295",   blank runs squeezed to one space;
 *                                    null where the tree says "deleted"
 *   unless format_opts.no_pids:
 *     "members": [ { "pid": 1, "comm": "init", "nstgid": "1" } ]
 *         sorted by pid as in the tree; "pid" is a TID with
 *         --search-tasks.  "comm" is there only when the graph collected
 *         comms (GRAPH_HAVE_COMM), "nstgid" only with GRAPH_HAVE_NSTGID:
 *         the NStgid value of /proc/PID/status as read (outermost PID
 *         first, tab-separated).  Either is null when it could not be
 *         read (or, for nstgid, the kernel has no such line).
 *
 * or the "[invisible ancestor user NS]" entry of the tree, which stands for
 * the out-of-sight owner of the namespaces under it:
 *
 *     { "type": "user", "invisible": true, "depth": 0, "parent": null }
 *
 * Numbers: 64-bit values (dev, ino, id, *_ns) are decimal strings, since
 * JSON readers commonly parse numbers as doubles and would round them;
 * dev and ino too, for one rule rather than a guess per field (the nsdiff/1
 * schema does the same).  PIDs, depth, parent and UIDs are numbers.
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
 * on their own lines) plus the first dot_max_pids member PIDs and
 * "… (+N)" for the rest.  The graph's label carries host, capture time,
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
	 * system ("id" and "label" null). */
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
