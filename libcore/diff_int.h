/*
 * diff_int.h — what the files of libcore/diff share, and nothing else sees.
 *
 * Owns the seams between the comparison engine (diff.c), its printers
 * (diff_list.c, diff_json.c, diff_report.c, diff_tree.c, diff_dot.c), what
 * they add to the engine's facts (diff_facts.c), the merged
 * hierarchy the tree and DOT printers both draw (diff_hier.c) and the
 * series code (diff_series.c): the nsshow options a comparison stands
 * for, the list's words, which every text printer reuses, and the merged
 * hierarchy.  diff.h stays the public face.
 */
#ifndef NSNAP_DIFF_INT_H
#define NSNAP_DIFF_INT_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "diff.h"
#include "text.h"
#include "view.h"
#include "workload.h"

/*
 * diff_graphs() without its graph_check(): the engine itself, which needs
 * only indexes in range and walks owner chains without recursion, so that
 * it stays bounded on any such graph.  diff_graphs() refuses graphs the
 * kernel cannot make before calling it; the unit tests call it directly
 * with chains far deeper than the kernel allows.
 */
int diff_compare(const struct graph *a, const struct graph *b,
		 const struct diff_opts *o, struct diff *out);

/* Three-way comparison of two scalars, for sort functions. */
#define DIFF_CMP(a, b) do { if ((a) != (b)) return (a) < (b) ? -1 : 1; } while (0)

/* The kinds whose change lives on side A (see struct diff_change). */
static inline bool diff_side_a(enum diff_kind k)
{
	return k == DIFF_GONE || k == DIFF_ENDED || k == DIFF_LEFT ||
	       k == DIFF_UNPINNED;
}

static inline bool diff_str_eq(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static inline bool diff_key_eq(struct ns_key a, struct ns_key b)
{
	return a.dev == b.dev && a.ino == b.ino;
}

static inline bool diff_has_id(const struct graph_ns *n)
{
	return n->flags & GRAPH_NS_HAS_ID;
}

/* What the print functions return: 0, or the write error OUT met. */
static inline int diff_write_status(FILE *out)
{
	if (fflush(out) || ferror(out))
		return errno ? -errno : -EIO;
	return 0;
}

/*
 * The nsshow options a comparison under O stands for: the scan of each
 * graph under them (view_reach()) is what the diff compares, and the tree
 * and DOT draw their views; the capturing process is left out.
 */
static inline struct view_opts diff_view_opts(const struct diff_opts *o)
{
	return (struct view_opts){
		.pidns = o->pidns, .search_tasks = o->search_tasks,
		.deep_scan = o->deep_scan, .skip_capturer = true,
		/* nsdiff has no reference to match: a network namespace
		 * only a socket keeps alive is a namespace like any other. */
		.socket_pins = o->deep_scan,
		.show_types = o->types ? o->types : NS_ALL_TYPES,
	};
}

/* ---- the list's words (diff_list.c) ------------------------------------ */

/* The word list, JSON and tree use for a pin ("fd", "mount", ...). */
const char *diff_pin_name(enum diff_pin pin);

/* N bytes escaped, '"' as \" and the rest as text_term_data(): a
 * text_write_fn. */
void diff_put_escaped(FILE *out, const char *s, size_t n);
/* A value: bare when it is one plain word, else quoted and escaped. */
void diff_put_value(FILE *out, const char *s);
/* "net:[4026531840]" */
void diff_put_ns(FILE *out, const struct graph *g, uint32_t ns);
/* A namespace's kernel ID in decimal into BUF; NULL without one. */
const char *diff_id_text(const struct graph_ns *n, char *buf, size_t len);
/* " id=.. owner=.. ...": what list and events say of a namespace. */
void diff_put_ns_fields(FILE *out, const struct graph *g, uint32_t ns);
/* The graph, and in *NS the index, a change's namespace is read from. */
const struct graph *diff_change_graph(const struct diff *d,
				      const struct diff_change *c, uint32_t *ns);
/* One change as a list line, without the newline. */
void diff_put_change(FILE *out, const struct diff *d,
		     const struct diff_change *c);

/* ---- what the printers add to the engine's facts (diff_facts.c) -------- */

/*
 * What a change's line says beyond the list's words (workloads, host and
 * netns names, command lines), and which changes a line stands for.
 *
 * Copies: a mount pin reads as one line per (kind, pinned namespace, path),
 * whatever the number of mount namespaces holding a copy of the mount
 * (they copied it from one another when they were made); that line is its
 * group's first change (shown[i] = its number of mount namespaces), the
 * others are not shown (0).  A group all of whose mount namespaces were
 * born (for pinned) or gone (unpinned) says nothing the lines of those
 * namespaces do not: not shown either.  Verbose printers ignore shown[]
 * and show every change alone.
 */
struct diff_facts {
	const struct diff *d;
	struct workload_ns_map wl[2];   /* of A and B; .ns NULL without
					   GRAPH_HAVE_WORKLOADS */
	uint32_t *shown;                /* per change, see above */
	size_t npins;                   /* pin changes, a group of copies
					   (shown or not) counted once */
	uint32_t base_ns[2][NS_NTYPES]; /* per side and type: the namespace
					   of its lowest PID (see
					   diff_facts_beside()) */
};

/* 0 or -ENOMEM. */
int diff_facts_build(struct diff_facts *f, const struct diff *d);
void diff_facts_release(struct diff_facts *f);

/* 0 for D's A, 1 for its B. */
static inline int diff_side_of(const struct diff *d, const struct graph *g)
{
	return g == d->a ? 0 : 1;
}

/* The workload that owns namespace NS of G (D's A or B), or NULL. */
const struct graph_workload *diff_ns_owner(const struct diff_facts *f,
					   const struct graph *g, uint32_t ns);
/* The workload of a change's process, or NULL. */
const struct graph_workload *diff_proc_workload(const struct diff *d,
						const struct diff_change *c);
/* Is the member change C worth naming beside its process: a namespace
 * that is not that of its side's lowest PID with readable links (the
 * host's, normally)? */
bool diff_facts_beside(const struct diff_facts *f, const struct diff_change *c);

/* "RUNTIME KIND NAME (ID12)", bytes spelled by WRITE. */
void diff_put_workload(FILE *out, const struct graph_workload *w,
		       text_write_fn *write);
/* A command line, arguments joined by blanks, bytes spelled by WRITE,
 * "..." after one that was cut; false (nothing written) without one. */
bool diff_put_cmdline(FILE *out, const struct graph_proc *p,
		      text_write_fn *write);
/* The process a change names, or NULL. */
const struct graph_proc *diff_change_proc(const struct diff *d,
					  const struct diff_change *c);
/*
 * What is known of namespace NS of G: "workload=..; hostname=..;
 * netns=a,b" (the tree's "  [k=v; ...]" when TREE, else the list's
 * " k=v" fields), nothing when nothing is known.
 */
void diff_put_ns_facts(FILE *out, const struct diff_facts *f,
		       const struct graph *g, uint32_t ns, bool tree);

/* ---- the merged hierarchy (diff_hier.c) -------------------------------- */

/*
 * The tree and DOT both draw B's view with A's vanished namespaces grafted
 * in: B's lines give the order and depth of everything that still exists;
 * a namespace only A shows hangs under (the counterpart of) its A parent,
 * after that parent's B children.  Node 0 is a virtual root whose children
 * are the printed roots.  A node's children are always created after it,
 * so the nodes form a forest whatever the graphs hold.
 */
struct diff_hnode {
	uint32_t a_ns, b_ns;      /* graph indexes, GRAPH_NONE when absent */
	bool invisible;           /* the "[invisible ancestor user NS]" entry */
	uint32_t first, last, next;
	char mark;                /* '+', '-', '~' or ' ' */
	bool replaced;            /* its '+'/'-' comes from a replacement */
	bool below;               /* it, or something under it, changed */
	size_t size;              /* namespaces in its subtree */
	size_t first_ref, nrefs;  /* its slice of diff_hier.refs */
};

/* A change shown at a node (or, node GRAPH_NONE, at none), with its mark. */
struct diff_href {
	uint32_t node;
	uint32_t change;
	char mark;
};

/* One level of diff_hier_walk()'s explicit stack. */
struct diff_hframe {
	uint32_t node, child;     /* the node, and its next child to look at */
	unsigned depth;
	size_t folded, nfolded;   /* namespaces and children left unshown */
};

struct diff_hier {
	const struct diff *d;
	const struct diff_print_opts *po;  /* never NULL */
	struct diff_hnode *nodes;
	size_t nnodes;
	uint32_t *of_a, *of_b;    /* graph index -> node */
	uint32_t invisible;
	struct diff_href *refs;   /* sorted by node, then change */
	size_t nrefs;
	struct diff_href *orphans; /* changes no node holds */
	size_t norphans;
	struct diff_hframe *frames; /* room for the deepest walk */
	struct diff_facts facts;  /* what the lines add (diff_facts.c) */
};

/*
 * The merged hierarchy of D from the nsshow views of both graphs (D's
 * options, PO's folding), so that the tree and DOT always agree on what
 * hangs where and what is folded.  Nothing is written.  0, -ENOMEM, or
 * view_build()'s error (-ENODATA when a graph lacks what the view needs).
 */
int diff_hier_build(struct diff_hier *h, const struct diff *d,
		    const struct diff_print_opts *po);
/* The same from views VA (of D's A) and VB (of D's B) already built. */
int diff_hier_merge(struct diff_hier *h, const struct diff *d,
		    const struct diff_print_opts *po, const struct view *va,
		    const struct view *vb);
void diff_hier_release(struct diff_hier *h);

/* The node of graph index NS through OF (of_a, of_b); GRAPH_NONE for none. */
static inline uint32_t diff_hier_node(const uint32_t *of, uint32_t ns)
{
	return ns == GRAPH_NONE ? GRAPH_NONE : of[ns];
}

/* Is NODE drawn, rather than folded into its parent's count? */
static inline bool diff_hier_shown(const struct diff_hier *h, uint32_t node)
{
	return h->po->all || h->nodes[node].below;
}

/*
 * What a walk does at each node.  DEPTH is the tree's: the printed roots
 * (node 0's children) are at 0, their children at 1.  DESCEND comes before
 * a shown child is entered; LEAVE after a node's shown children, with what
 * was folded of the others.  ENTER and DESCEND may be NULL.
 */
struct diff_hier_visit {
	void (*enter)(void *ctx, uint32_t node, unsigned depth);
	void (*descend)(void *ctx, uint32_t node, uint32_t child);
	void (*leave)(void *ctx, uint32_t node, unsigned depth, size_t folded,
		      size_t nfolded);
};

/*
 * Depth first from node 0, children in order, folded children skipped.
 * Iterative: the depth of a hierarchy comes from the graphs, not from the
 * C stack.
 */
void diff_hier_walk(const struct diff_hier *h, const struct diff_hier_visit *v,
		    void *ctx);

/*
 * Levels deeper than this, which no kernel makes (it nests user and PID
 * namespaces 32 deep at most), are indented as this one, so that the text
 * of a hostile graph stays linear in its size.
 */
#define DIFF_INDENT_MAX 64u

static inline unsigned diff_indent_level(unsigned depth)
{
	return depth < DIFF_INDENT_MAX ? depth : DIFF_INDENT_MAX;
}

/* A map in the tree's words ("deleted", "(unset)"), bytes spelled by WRITE. */
void diff_map_words(FILE *out, const char *map, text_write_fn *write);
/* A link in the tree's words: "user {4 4026531837}", "[invisible]", "?". */
void diff_tree_up(FILE *out, const struct graph *g, uint32_t up, int32_t err);
/*
 * An attribute change as the tree and DOT both word it, "owner: OLD ARROW
 * NEW", maps spelled by WRITE.  False for other kinds (nothing written).
 */
bool diff_put_attr_change(FILE *out, const struct diff *d,
			  const struct diff_change *c, const char *arrow,
			  text_write_fn *write);

/* The tree (diff_tree.c) and DOT (diff_dot.c) of a built hierarchy. */
int diff_tree_write(FILE *out, const struct diff_hier *h);
int diff_dot_write(FILE *out, const struct diff_hier *h);

/* ---- series (diff_series.c, diff_history.c, diff_rows.c) --------------- */

/* Which changes of a step to print. */
typedef bool diff_change_filter(const struct diff_change *c, const void *ctx);
/* D's changes kept by KEEP (NULL: all) as event lines "TIME ID ...",
 * joined/left of one namespace grouped into one line. */
void diff_put_events(FILE *out, const struct diff *d, const char *time,
		     const char *id, diff_change_filter *keep, const void *ctx);


/* Where an event was seen: its snapshot, and the one it was compared with
 * (BASE NULL: none).  SOURCE is "timeline" or "history". */
struct diff_row_at {
	const char *source;
	const char *host, *boot;
	int64_t time_ns;
	const char *snapshot, *base;
};

/* One row's columns; NULL / 0 / -1 where a column does not apply. */
struct diff_row {
	const char *action;
	const struct graph_ns *ns;     /* the namespace */
	int32_t pid, tid;              /* pid 0: no process */
	uint64_t start;
	const char *comm;
	const char *pin;               /* "fd", "mount", ... */
	bool has_fd;
	int32_t fd;
	const struct graph_ns *mntns;  /* mount pins */
	const char *path;
	const char *old, *new;         /* what changed, as text */
	const char *members, *pins;    /* first-seen: "1,2", "fd:1:3 ..." */
	long long namespaces, processes; /* snapshot rows; -1 elsewhere */
	bool weak;
};

/* One row, "{...}" without a newline. */
void diff_row_put(FILE *out, const struct diff_row_at *at,
		  const struct diff_row *r);
/* The row of change C of D. */
void diff_row_change(FILE *out, const struct diff_row_at *at,
		     const struct diff *d, const struct diff_change *c);
/* ---- lines of the tree and the report (diff_tree.c) --------------------- */

/* A line's start: marker (colored with COLOR), blank, INDENT blanks; and
 * its end. */
void diff_line_begin(FILE *out, bool color, char mark, unsigned indent);
void diff_line_end(FILE *out, bool color, char mark);
/* "net {4 4026531840}", for user namespaces outside pidns with nsshow's
 * "<UID: ..>" text. */
void diff_tree_ns_text(FILE *out, const struct diff *d, const struct graph *g,
		       uint32_t ns);
/* The two header lines naming the sides. */
void diff_tree_header(FILE *out, const struct diff *d,
		      const struct diff_print_opts *po);
/* A member as the tree names it: "123 sleep", or its command line for one
 * that started or ended. */
void diff_tree_proc(FILE *out, const struct diff *d, const struct diff_change *c,
		    bool cmdline);

/* A pin as the tree words it: "bind mount PATH in mnt {4 1}", "fd 3 of
 * 123 sleep", "socket fd 4 of 123 sleep", "pid_for_children of 123 x". */
void diff_tree_pin(FILE *out, const struct diff *d, const struct diff_change *c);

/* ---- the report (diff_report.c) ------------------------------------------ */

/* "summary: ..." or "no differences", one line; 0 or -ENOMEM. */
int diff_put_summary(FILE *out, const struct diff_facts *f);

#endif
