/*
 * diff.h — what changed between two namespace graphs, and along a series.
 *
 * Owns the semantic comparison of snapshots: which namespace of one graph is
 * the same namespace in the other, which were born, died or were replaced
 * behind a reused inode number, which processes came, went or moved, which
 * pins appeared or vanished; and the four ways of printing that (list,
 * JSON, tree, Graphviz DOT), the timeline of a series of snapshots and the
 * history of one namespace.  It reads graphs only: no /proc, no store.
 *
 * Rooms: diff.c the engine; diff_list.c, diff_json.c, diff_report.c (the
 * tree's default), diff_tree.c (its --verbose hierarchy) and diff_dot.c
 * the printers, the last two drawing the merged hierarchy of diff_hier.c,
 * all of them saying what diff_facts.c adds (workloads, names, command
 * lines, copies of a pin); diff_series.c the timeline and history.
 * diff_int.h joins them; this header is the face the tools see.
 *
 * Identity rules.  A namespace is looked up by its nsfs (dev, inode); the
 * kernel reuses inode numbers once a namespace dies, so a same-key pair is
 * confirmed by the 64-bit namespace ID (NS_GET_ID) when both graphs have
 * it: another ID, or another type, means the old namespace died and a new
 * one took its inode (REPLACED).  Without IDs on both sides the match is
 * "weak": type, owner (recursively: an owner that was replaced makes its
 * children replaced too), PID parent and creator UID must agree, else the
 * namespace counts as replaced.  A process is its PID plus its start time;
 * a PID with another start time is another process.  With --search-tasks a
 * member is a thread: TID plus the start time of its process.  A process
 * that is gone, or a zombie, or one read while it exited (links that read
 * ENOENT or ESRCH), has left all its namespaces: it is absent from its
 * snapshot, so the comparison that first sees it so reports its end and
 * leaves, named by the other side's comm and start time.
 *
 * What is compared is what nsshow would discover with the same options,
 * by construction: each graph's scope is view_reach() (view.h), the scan
 * nsshow's view takes.  That is the namespaces of the scanned processes
 * (threads with search_tasks), with deep_scan those kept alive by the pins
 * nsshow opens, and the owners (parents with pidns) of all of them.  The
 * capturing process itself (graph_meta.capturer_pid) is left out: it is
 * part of the snapshot, not of the system.
 */
#ifndef NSNAP_DIFF_H
#define NSNAP_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "graph.h"

struct diff_opts {
	bool pidns;          /* only PID namespaces, the parent hierarchy */
	/*
	 * NS_TYPE_BIT set of the namespace types to report; 0 means all.
	 * Outside pidns user namespaces are always reported, as nsshow
	 * always shows them: they are the hierarchy.
	 */
	uint32_t types;
	bool no_pids;        /* no started/ended/joined/left changes */
	bool search_tasks;   /* members are threads */
	bool deep_scan;      /* pinned namespaces, and pin changes */
};

/* In the order changes are sorted. */
enum diff_kind {
	DIFF_BORN,       /* namespace only in B */
	DIFF_GONE,       /* namespace only in A */
	DIFF_REPLACED,   /* same (dev, inode), another namespace */
	DIFF_OWNER,      /* owning user namespace differs (NS_GET_USERNS) */
	DIFF_PARENT,     /* PID namespace parent differs (NS_GET_PARENT) */
	DIFF_CREATOR,    /* user namespace creator UID differs */
	DIFF_UID_MAP,
	DIFF_GID_MAP,
	DIFF_STARTED,    /* process only in B */
	DIFF_ENDED,      /* process only in A */
	DIFF_JOINED,     /* member of the namespace in B, not in A */
	DIFF_LEFT,       /* member in A, not in B */
	DIFF_PINNED,     /* pin in B, not in A */
	DIFF_UNPINNED,   /* pin in A, not in B */
	DIFF_NKINDS
};

/* The word list and JSON use for KIND ("born", "uid_map", ...). */
const char *diff_kind_name(enum diff_kind kind);

enum diff_pin {
	DIFF_PIN_NONE,
	DIFF_PIN_FD,                 /* an open namespace fd: pid, fd */
	DIFF_PIN_MOUNT,              /* an nsfs bind mount: mntns, path */
	DIFF_PIN_PID_FOR_CHILDREN,   /* a process's pid_for_children link
					that differs from its own PID ns */
	DIFF_PIN_TIME_FOR_CHILDREN,  /* likewise for time */
	DIFF_PIN_SOCKET,             /* a socket of another network
					namespace (--deep-scan): pid, fd */
};

/* diff_change.flags */
#define DIFF_C_WEAK    0x01u /* the namespace was judged without kernel IDs */
#define DIFF_C_NEWPROC 0x02u /* joined: the process started in between */
#define DIFF_C_ENDPROC 0x04u /* left: the process ended in between */

/*
 * One change.  The side a change lives on decides which graph its indexes
 * point into: A for gone, ended, left and unpinned; B for born, started,
 * joined and pinned; both (a_ns in A, b_ns in B) for replaced and the
 * attribute changes.  Strings point into the graphs.
 */
struct diff_change {
	enum diff_kind kind;
	unsigned flags;          /* DIFF_C_* */
	uint8_t type;            /* namespace type; B's for born/replaced */
	struct ns_key key;       /* the namespace (unset for started/ended) */
	uint32_t a_ns, b_ns;     /* graph indexes, GRAPH_NONE when none */
	/* The process: started, ended, joined, left, fd and *_for_children
	 * pins.  tid is 0 unless members are threads. */
	int32_t pid, tid;
	uint64_t start;
	const char *comm;
	uint32_t proc;           /* the process's index in the graph of the
				    change's side; GRAPH_NONE for none */
	/* Pins. */
	enum diff_pin pin;
	int32_t fd;
	uint32_t mntns;          /* mount pins: index of the mount namespace */
	const char *path;        /* mount pins: as mountinfo spells it */
};

/* diff.flags: the two graphs are not comparable in full. */
#define DIFF_OTHER_HOST 0x01u /* hostnames differ */
#define DIFF_OTHER_BOOT 0x02u /* boot ids differ: inodes, PIDs, IDs reused */

struct diff {
	const struct graph *a, *b;
	struct diff_opts opts;
	unsigned flags;          /* DIFF_OTHER_* */
	struct diff_change *changes; /* sorted: kind, type, dev, inode, pid,
					tid, start, pin, fd, path */
	size_t nchanges;
	size_t nmatched;         /* namespaces present in both */
	size_t nweak;            /* of which matched without kernel IDs */
	/* private: A index -> B index of the same namespace, and back */
	uint32_t *a_to_b, *b_to_a;
};

/*
 * Compare A (older) with B (newer) under O (NULL: defaults) into *out.
 * Both graphs must outlive *out: changes point into them.  Returns 0 or
 * -errno (-ENOMEM; -EBADMSG for a graph with an index out of range).
 */
int diff_graphs(const struct graph *a, const struct graph *b,
		const struct diff_opts *o, struct diff *out);
void diff_release(struct diff *d);

struct diff_print_opts {
	bool color;          /* tree: ANSI colors */
	bool all;            /* tree, DOT: unchanged namespaces too (and
				everything verbose shows) */
	bool verbose;        /* tree: the whole hierarchy with every member
				change; tree, list: pins in copied mount
				namespaces one by one */
	const char *a_name;  /* the sides as the user named them (selector,
				snapshot id); NULL = "a" / "b" */
	const char *b_name;
};

/*
 * One change per line, in diff order, fields as key=value after the kind
 * and the namespace ("type:[inode]"), for example
 *   born user:[4026532180] id=4100 owner=user:[4026531837] creator=0 ...
 *   joined net:[4026532190] pid=123 start=456 comm=sleep
 * then what the snapshot knew (workload=, hostname=, netns= of born, gone
 * and replaced namespaces; cmdline= of started and ended processes).  The
 * copies of one mount pin in several mount namespaces are one line with
 * mntns_count=N, none when all those mount namespaces came or went (see
 * diff_int.h, struct diff_facts), unless PO asks for verbose or all (PO
 * may be NULL).  Nothing at all when there is no change.  Values with
 * blanks, quotes, backslashes or control characters are double-quoted
 * with C escapes.  The print functions return 0 or -errno (a write error,
 * -ENOMEM).
 */
int diff_print_list(FILE *out, const struct diff *d,
		    const struct diff_print_opts *po);

/*
 * A JSON object, schema "nsdiff/1" (documented in nsdiff(1)): the two sides'
 * metadata, the flags, the match counts and the changes.  64-bit numbers
 * (dev, inode, namespace ID, start time, nanosecond times) are strings.
 */
int diff_print_json(FILE *out, const struct diff *d,
		    const struct diff_print_opts *po);

/*
 * One nsnap-event/1 row per change, one per line (the rows of
 * --timeline --format=ndjson, source "diff"): the host, boot and capture
 * time of side B, its name as "snapshot" and A's as "base"; a "reboot" or
 * "other-host" row first when the sides do not compare.
 */
int diff_print_rows(FILE *out, const struct diff *d,
		    const struct diff_print_opts *po);

/*
 * The tree format.  Two header lines naming the sides, then one line:
 * "summary: ..." (what changed, counted) or "no differences".  By default
 * a report follows: the changes grouped by owning workload (those of no
 * workload first), namespace changes before processes, each process once
 * with the namespaces it joined or left beside it (but not the host's:
 * those of its snapshot's lowest PID), copies of a mount pin as one line
 * (diff_print_list).  With po->verbose or po->all, the nsshow hierarchy
 * (view.h's order and depth, indent 4 per level) of both graphs merged,
 * with a marker column: '+' born/joined/pinned, '-' gone/left/unpinned,
 * '~' changed, ' ' unchanged context; unchanged subtrees folded into one
 * "(N unchanged)" line unless po->all.  -EBADMSG for graphs graph_check()
 * refuses; -ENODATA when a graph lacks what the hierarchy's view needs
 * (e.g. threads with search_tasks).  Levels deeper than 64, which no
 * kernel makes (it nests 32 deep at most), are indented as level 64, so
 * that the text stays linear in the graphs' size.
 */
int diff_print_tree(FILE *out, const struct diff *d,
		    const struct diff_print_opts *po);

/*
 * The tree's merged hierarchy as a Graphviz digraph ("digraph nsdiff"), a
 * picture of what changed.  Same structure, order and folding as
 * diff_print_tree; same layout as nsshow --format=dot (format.h):
 *
 *   - every user namespace (and the "[invisible ancestor user NS]" entry,
 *     a dashed box) opens a cluster "cluster_nI" holding its node, the
 *     nodes of what it owns and the clusters of its child user namespaces;
 *     user namespaces are bold boxes;
 *   - edges, all at the end and at the top level: solid for parenthood
 *     (user -> child user; PID -> child PID with --pidns), dashed for
 *     ownership (user -> other type), dotted to a fold;
 *   - a node "nI" (I: the merged tree's node index) is labeled, left
 *     justified, with "type {dev inode}", for user namespaces "UID: N"
 *     (when recorded) and outside pidns "u: MAP" and "g: MAP" (the tree's
 *     words: "deleted", "(unset)"), then what changed: "replaced: old
 *     life, id N" or "... new life ...", one "owner:", "parent:",
 *     "creator:", "uid_map:" or "gid_map:" line "OLD → NEW" per attribute
 *     change, and counts rather than lists: "+3 −1 processes" (threads
 *     with search_tasks) for joined/left members, "+1 −1 pins";
 *   - fill: born palegreen, gone lightcoral, changed (attributes, members
 *     or pins) khaki1, unchanged none.  A replaced namespace keeps both
 *     lives, as in the tree, since the two may hang in different places
 *     (another owner) and have other types: both filled khaki1 (changed),
 *     the old one with a red3 border, the new one with a green4 border
 *     (penwidth 3), tied by a dotted "replaced by" edge old -> new that
 *     does not constrain the layout;
 *   - unchanged children are folded, per parent, into one dotted node
 *     "fI" (I: the parent's node, 0 at the top) labeled "N unchanged",
 *     unless po->all;
 *   - the namespaces a workload owns in one user namespace's cluster are
 *     also in a dashed cluster "cluster_wP_nI" labeled with the workload;
 *   - invisible edges (at the end) stack a node's shown children in rows,
 *     a workload's namespaces together, so that what one user namespace
 *     owns is not one rank tens of thousands of pixels wide;
 *   - changes the hierarchy does not show (the tree's trailing list lines)
 *     go in a note "outside", one list line each with its marker;
 *   - the graph's label names the sides, "from: NAME (TIME, host H)" and
 *     "to: ...", plus a WARNING line when hosts or boots differ;
 *   - a cluster "cluster_legend" explains colors, borders and edges.
 *
 * Unlike the tree, a graph is printed even when nothing changed (all of
 * it folded), so that `| dot -Tsvg` always gets something to draw.
 * Labels are UTF-8 (the − and → signs); data bytes outside printable
 * ASCII show as \xNN and a backslash as \\; '&' is written as "&amp;".
 * Returns as diff_print_tree; on -ENODATA or -ENOMEM nothing is written.
 */
int diff_print_dot(FILE *out, const struct diff *d,
		   const struct diff_print_opts *po);

/* ---- series of snapshots --------------------------------------------- */

/* One snapshot of a series, as the caller's store names it. */
struct diff_snapshot {
	int64_t time_ns;          /* when it was taken (CLOCK_REALTIME) */
	const char *id;           /* its name in the store, e.g. "12" */
	const struct graph *g;
};

/* "2024-05-01T10:00:00Z" (UTC, seconds) into BUF; BUF on success. */
const char *diff_format_time(int64_t time_ns, char *buf, size_t len);

/*
 * Timeline: print the changes of D (the step to snapshot AT) as events, one
 * a line, each prefixed by AT's time and id:
 *   TIME ID snapshot host=H boot=B namespaces=N processes=P   (always)
 *   TIME ID joined net:[4026532190] pids=123,456              (grouped)
 *   TIME ID born user:[...] ...                               (as list)
 * D may be NULL for the first snapshot of a series (only the "snapshot"
 * line).  When D's graphs come from different boots or hosts the step is
 * not diffed: one "reboot" or "other-host" event stands for it, since every
 * PID and inode would otherwise look changed.
 */
int diff_print_events(FILE *out, const struct diff *d,
		      const struct diff_snapshot *at);

/* How a timeline or history is written: the text lines above, a JSON
 * document, or NDJSON rows (one event a line). */
enum diff_series_format { DIFF_SERIES_TEXT, DIFF_SERIES_JSON, DIFF_SERIES_NDJSON };

/* What a step of a timeline is, as the caller's lineages make it. */
enum diff_step_kind {
	DIFF_STEP_NEW,      /* first snapshot of its lineage: nothing before */
	DIFF_STEP_REBOOT,   /* the one before it in its lineage is of another
			       boot: not compared */
	DIFF_STEP_DIFF,     /* compared with the one before in its lineage */
};

/*
 * One step: snapshot AT (AT.g may be NULL when D is), its host and boot,
 * its namespaces and scanned processes (diff_scanned_procs()), BASE the
 * id of the snapshot before it in its lineage (NULL: none), of boot
 * BASE_BOOT, and D the comparison of the two (NULL with DIFF_STEP_DIFF:
 * the caller knows nothing changed).  LINEAGE: the step before in the
 * series was of another lineage (host), so that this one is compared with
 * BASE, not with the line above it.
 */
struct diff_step {
	struct diff_snapshot at;
	const char *host, *boot;
	size_t nns, nprocs;
	enum diff_step_kind kind;
	const char *base, *base_boot;
	bool lineage;
	const struct diff *d;
};

/*
 * A timeline, a step at a time.  Text as diff_print_events() prints it,
 * with "TIME ID lineage host=H base=ID|-" where the lineage changes; JSON:
 * {"schema": "nsdiff-timeline/1", "events": [ROW, ...]}; NDJSON: one ROW a
 * line.  A ROW is a flat object of schema "nsnap-event/1" (nsdiff(1)):
 * action "snapshot", "lineage", "reboot", or a change kind, one process a
 * row.  begin: 0 or -ENOMEM; add: 0 or -EIO; end (also frees): 0 or the
 * write error.
 */
struct diff_timeline;
int diff_timeline_begin(FILE *out, enum diff_series_format fmt,
			struct diff_timeline **t);
int diff_timeline_add(struct diff_timeline *t, const struct diff_step *s);
int diff_timeline_end(struct diff_timeline *t);

/* The processes of G every comparison looks at (the capturer left out). */
size_t diff_scanned_procs(const struct graph *g);

/*
 * History of one namespace across SNAPS (chronological, N of them), for
 * nsshow --history.  SPEC names it as diff_ns_spec_parse() reads it: an
 * inode ("4026532184", any type), "type:inode" or "type:[inode]" (any
 * device), "dev:inode" (both decimal) or "id:N" (a kernel namespace ID).
 * Printed:
 *   TIME ID first-seen net:[I] id=.. owner=.. members=1,2     (a new life)
 *   TIME ID joined|left net:[I] pids=..      (members between snapshots)
 *   TIME ID owner|parent|creator|uid_map|gid_map net:[I] ...  (as list)
 *   TIME ID replaced net:[I] id=A->B ...     (the inode's next life)
 *   TIME ID gone net:[I] last-seen=TIME      (absent from this snapshot)
 * then a summary, one line per life:
 *   life N net:[I] id=.. first-seen=TIME (ID) last-seen=TIME (ID)
 * Each step compares a snapshot holding the namespace with the one before
 * (diff_graphs() under diff_history_scan()'s scan, pins included).
 * Snapshots from another boot than the previous one end every life (an
 * inode there is unrelated).  O may be NULL.  Returns 0, -EINVAL for a bad
 * SPEC, -ENOENT when no snapshot has the namespace, -ENOMEM, or a write
 * error.  diff_history() is diff_history_begin(), one diff_history_add()
 * per snapshot, and diff_history_end().
 */
int diff_history(FILE *out, const struct diff_snapshot *snaps, size_t n,
		 const char *spec, const struct diff_opts *o);

/*
 * The same one snapshot at a time, so that a caller holds no more than two
 * graphs and gives only those a step needs.  UNCHANGED: the caller knows
 * (from its namespace index) that the namespace is in S as it was in the
 * snapshot before, on the same boot, with the same members, pins and
 * surroundings, so that the comparison would say nothing; it is not made,
 * and S's graph may be NULL.  For the
 * steps to be those of consecutive snapshots, give the graph of the
 * snapshot before every snapshot that is not unchanged, when the
 * namespace is in it.  The graph of the latest snapshot given with one
 * must stay valid until the next one with a graph has been given (it is
 * what the next step compares with); nothing else is kept.  begin: 0,
 * -EINVAL (SPEC), -ENOMEM.  add: 0, -EINVAL (no graph where one is
 * needed), -ENOMEM, a write error; after an error only free.  end prints
 * the summary, frees H and returns as diff_history(); free only frees.
 */
struct diff_history;

int diff_history_begin(FILE *out, const char *spec, const struct diff_opts *o,
		       struct diff_history **h);
int diff_history_add(struct diff_history *h, const struct diff_snapshot *s,
		     bool unchanged);
int diff_history_end(struct diff_history *h);
void diff_history_free(struct diff_history *h);
/* Before the first add: write FMT (DIFF_SERIES_JSON: a document
 * {"schema": "nsshow-history/1", "namespace": SPEC, "events": [ROW, ...],
 * "lives": [...]} of the timeline's rows; NDJSON: the rows alone). */
void diff_history_set_format(struct diff_history *h, enum diff_series_format fmt);

/* What SPEC names (diff_spec.c has the grammar and why). */
enum diff_spec_kind {
	DIFF_SPEC_NAME,     /* type:inode or type:[inode], any device: type,
			       key.ino */
	DIFF_SPEC_KEY,      /* dev:inode: key */
	DIFF_SPEC_ID,       /* id:N, a kernel namespace ID: id */
	DIFF_SPEC_INO,      /* a bare inode, as lsns prints it: key.ino, any
			       type and device */
};

struct diff_ns_spec {
	enum diff_spec_kind kind;
	unsigned type;
	struct ns_key key;
	uint64_t id;
};

/* 0, or -EINVAL when SPEC is none of the forms. */
int diff_ns_spec_parse(const char *spec, struct diff_ns_spec *out);
/* Does namespace NS answer to S?  Of the namespace only its key, type,
 * flags and kernel_id are read, so a caller may ask about one it has not
 * got in a graph.  A history follows, in each snapshot, the first
 * namespace in graph order that answers. */
bool diff_ns_spec_match(const struct diff_ns_spec *s, const struct graph_ns *ns);

/*
 * The scan each step of a history without search_tasks compares
 * (diff_graphs() with deep_scan): what a store that tells the caller a
 * snapshot is unchanged must have looked at (view.h).
 */
struct view_opts;
void diff_history_scan(struct view_opts *out);

#endif
