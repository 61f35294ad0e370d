/*
 * capture.h — live capture: one pass over /proc fills a graph.
 *
 * Owns every read of /proc and every nsfs ioctl.  The caller says what to
 * collect; live nsshow asks only for what its view needs, nsnap asks for
 * everything.  A process or file that cannot be read never stops the scan:
 * the errno lands in the graph (link errors in graph_links.err, the rest in
 * graph.gaps) and, for EACCES and other surprises, the warn callback is told.
 */
#ifndef NSNAP_CAPTURE_H
#define NSNAP_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "graph.h"

struct capture_opts {
	uint32_t collect;        /* GRAPH_HAVE_* */
	uint32_t types;          /* NS_TYPE_BIT set of links to read */
	/*
	 * IDs (PIDs or TIDs) to capture one by one, in this order, in
	 * addition to the /proc listing when GRAPH_HAVE_ALL_PROCS is set.
	 * An ID that does not exist is recorded with ENOENT on its links.
	 */
	const int32_t *ids;
	size_t nids;
	/*
	 * Words naming IDs as /proc/WORD does (see view_word_target: "1234",
	 * "1234/task/1235", "self", "thread-self"), captured after IDS like
	 * them.  Capture resolves them against proc_root, whose "self" is
	 * not getpid() when /proc belongs to another PID namespace than the
	 * caller's; a word that names nothing is left out (the view says so).
	 */
	const char *const *words;
	size_t nwords;
	const char *proc_root;   /* "/proc" unless testing */
	/* The capturing program's version, for meta.vantage; may be NULL. */
	const char *version;
	/*
	 * Leave the capturing process itself out of the listing (its PID is
	 * still in meta.capturer_pid).  A recorder is no part of the system
	 * it records, and leaving it out keeps the snapshots of an unchanged
	 * system identical record for record.
	 */
	bool skip_self;
	/* Told about what could not be read and why; may be NULL. */
	void (*warn)(void *ctx, const char *msg);
	void *warn_ctx;
};

/*
 * Capture into a new graph.  Returns 0 and *out, or -errno when capture
 * itself is impossible (no /proc, out of memory); unreadable processes are
 * not errors.
 */
int capture_live(const struct capture_opts *opts, struct graph **out);

/* NS_TYPE_BIT set of the namespace links this kernel has (/proc/self/ns). */
uint32_t capture_types_present(const char *proc_root);

#endif
