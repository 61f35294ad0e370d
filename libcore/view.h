/*
 * view.h — which namespaces and members the reference program would show.
 *
 * Owns the replay of namespaces_of's discovery over a recorded graph: the
 * scan order (/proc names in string order, links in type order, pins after
 * links), the parent-before-child linking that fixes the order of children,
 * the messages it prints while scanning, and the option rules.  The result
 * is a flat, pre-ordered list of lines that a renderer only has to format.
 * Live mode and snapshot mode both come through here, and so does nsdiff:
 * view_reach() is the same scan, giving what it meets as sets.
 */
#ifndef NSNAP_VIEW_H
#define NSNAP_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "graph.h"
#include "text.h"
#include "workload.h"

struct view_opts {
	bool pidns;          /* --pidns: the PID hierarchy instead of the user one */
	bool search_tasks;   /* --search-tasks: threads are members */
	bool deep_scan;      /* --deep-scan: also namespaces kept alive by pins */
	bool show_comm;      /* --show-comm: members need their comm */
	bool all_pids;       /* --all-pids: members need their NStgid */
	uint32_t show_types; /* --namespaces: NS_TYPE_BIT set to display */
	const char *subtree; /* --subtree=PID, or NULL */
	char *const *pids;   /* PID arguments, as typed */
	size_t npids;
	/*
	 * Leave the capturing process (graph_meta.capturer_pid) out of the
	 * whole-system scan.  nsshow shows itself, as the reference does;
	 * nsdiff compares systems, of which a capture's own process is no
	 * part.
	 */
	bool skip_capturer;
	/*
	 * Beyond the reference.  workloads (--workloads): the view carries
	 * what owns each namespace (view.wmap) and names socket-only
	 * namespaces' holders, for the annotations of the renderers.
	 * cmdline (--cmdline): members are shown by their command line.
	 * socket_pins: with deep_scan, a socket's network namespace
	 * (GRAPH_FD_SOCKET) is a pin like an open namespace file.  The
	 * reference sees no socket pins: its options alone keep its output.
	 */
	bool workloads;
	bool cmdline;
	bool socket_pins;
};

/* What capture must collect for a live view with OPTS. */
void view_capture_needs(const struct view_opts *opts, uint32_t *collect,
			uint32_t *types);

/* The line for namespaces whose owner is out of sight. */
#define VIEW_INVISIBLE GRAPH_NONE

/*
 * The deepest line of a view.  The kernel nests user and PID namespaces
 * some 32 levels below the initial ones (user_namespaces(7)), so its trees
 * stay well within this; a deeper one comes from a forged graph, and
 * refusing it keeps the text, whose indent grows with depth, linear in the
 * number of lines.
 */
#define VIEW_MAX_DEPTH (GRAPH_USER_NS_LEVELS + 1) /* what the deepest user namespace owns */

struct view_member {
	int32_t id;           /* PID, or TID with --search-tasks */
	uint32_t proc;        /* graph index of its process */
	const char *comm;     /* NULL: could not be read */
	const char *nstgid;   /* NULL: see status_err */
	int32_t status_err;
};

struct view_line {
	uint32_t ns;          /* graph index, or VIEW_INVISIBLE */
	unsigned depth;
	const char *uid_map;  /* user lines in whole-system views; NULL = "deleted" */
	const char *gid_map;
	struct view_member *members; /* sorted numerically, duplicates kept */
	size_t nmembers;
	/* First met through a socket pin (view_opts.socket_pins): its
	 * holder's PID and fd; sock_pid 0 otherwise. */
	int32_t sock_pid, sock_fd;
};

struct view {
	/* Lines namespaces_of prints on stdout while scanning, in order. */
	char **messages;
	size_t nmessages;
	/* Warnings for stderr: what namespaces_of would have aborted on. */
	char **warnings;
	size_t nwarnings;
	/*
	 * When set, print 'fatal' after the messages instead of the tree and
	 * exit with 'status' (the reference's error exits).  'status' is also
	 * 1, with a tree, when a PID argument could not be read (EACCES).
	 */
	char *fatal;
	int status;
	bool show_maps;       /* whole-system scan: user lines carry maps */
	bool deep_scan;       /* pins were scanned (view_opts.deep_scan) */
	bool annotate;        /* view_opts.workloads: lines get their facts */
	bool cmdline;         /* view_opts.cmdline */
	/* With view_opts.workloads, of a graph that holds workloads
	 * (GRAPH_HAVE_WORKLOADS): every namespace's workloads and owner. */
	bool has_wmap;
	struct workload_ns_map wmap;
	size_t wmap_nns, wmap_nworkloads; /* of the graph it was built from */
	struct view_line *lines;
	size_t nlines;
};

/*
 * Compute the view of G under OPTS into *out.  Returns 0, or -errno
 * (-ENOMEM; -ENODATA when G lacks what OPTS need, e.g. a graph captured
 * without threads viewed with --search-tasks; -EBADMSG for a graph no
 * kernel makes (graph_check() refuses it), and, whatever G, for a cycle of
 * owners or parents or a tree deeper than VIEW_MAX_DEPTH).
 */
int view_build(const struct graph *g, const struct view_opts *opts,
	       struct view *out);
void view_release(struct view *v);

/* 0 when every line of V names a namespace of G and is at most
 * VIEW_MAX_DEPTH deep, and its workload map is of a graph shaped as G,
 * as view_build() makes them; else -EINVAL. */
int view_fits(const struct graph *g, const struct view *v);

/*
 * Discovery as sets: what the whole-system scan of G under OPTS meets,
 * without building a tree.  This is the scan view_build() walks to build
 * its tree, so what nsdiff compares (it asks this) is what nsshow shows,
 * by construction.  OPTS must name no PIDs; its display options (types
 * shown, comm, NStgid, subtree) do not change what is met.  Unlike
 * view_build(), G need not hold all that OPTS would collect: what it lacks
 * is not met (a graph of a few IDs, without a /proc listing, scans every
 * process it holds).  Marks, one byte per item of G:
 *
 *   ns[i]      VIEW_REACHED: met through a link of a scanned process
 *              (thread with search_tasks) of a type the scan reads,
 *              through a pin with deep_scan, or as the owner (PID parent
 *              with pidns) of a namespace met;
 *   procs[i]   VIEW_SCANNED: in the scan (see view_scans_proc());
 *              VIEW_FD_PINS: with deep_scan, its namespace fds were read
 *              as pins (not when its fd list could not be read, nor with
 *              search_tasks when it has no thread to scan);
 *   mounts[i]  VIEW_MOUNT_PIN: with deep_scan, an nsfs bind mount the scan
 *              opens as a pin: in the mount namespace of a scanned process
 *              (thread), listed (no list_err) and openable under the name
 *              mountinfo gives it (no octal escape), as the reference.
 *
 * TYPES is the NS_TYPE_BIT set of the links the scan reads.  Returns 0,
 * -EINVAL (PIDs in OPTS), -ENOMEM, or -EBADMSG (an index out of range).
 */
#define VIEW_REACHED   0x01u
#define VIEW_SCANNED   0x01u
#define VIEW_FD_PINS   0x02u
#define VIEW_MOUNT_PIN 0x01u

struct view_reach {
	uint8_t *ns, *procs, *mounts;
	uint32_t types;
};

int view_reach(const struct graph *g, const struct view_opts *opts,
	       struct view_reach *out);
void view_reach_release(struct view_reach *r);

/*
 * Does the whole-system scan of G under OPTS walk P?  The processes of the
 * /proc listing (every process of a graph without one), but the capturing
 * process with skip_capturer.
 */
bool view_scans_proc(const struct graph *g, const struct view_opts *opts,
		     const struct graph_proc *p);

/*
 * What /proc/WORD names, for a PID argument or --subtree: WORD is a PID,
 * "PID/task/TID", "self" or "thread-self" (SELF: the capturing process),
 * with "." components and extra slashes allowed, as the reference pastes
 * WORD into a path.  0 with *pid and *tid (0 unless a thread is named), or
 * -ENOENT.
 */
int view_word_target(const char *word, int32_t self, int32_t *pid,
		     int32_t *tid);

/*
 * A workload as every printer names it: "RUNTIME KIND NAME (ID12)", NAME
 * left out when unknown, ID12 the first 12 bytes of the id.  The strings
 * of W are data, written through DATA (text_term_data, text_dot_data,
 * ...); the words and punctuation are ours, written as they are.
 */
#define VIEW_WORKLOAD_ID_LEN 12
void view_put_workload(FILE *out, const struct graph_workload *w,
		       text_write_fn *data);

/* Go's rendering of an errno: strerror with a lowercase first letter. */
const char *view_strerror(int err, char *buf, size_t len);

#endif
