/*
 * diff_dot.c — the DOT format: the merged hierarchy as a Graphviz digraph.
 *
 * Owns the picture of a diff in the layout nsshow --format=dot uses: every
 * user namespace is a cluster holding its node, what it owns and its child
 * clusters; edges are drawn after all clusters, at the top level, because
 * an edge written inside a cluster drags its tail node into that cluster.
 * The tree's marker column becomes a fill color.  Node names are node
 * indexes of the merged hierarchy ("n3"), which depend only on the two
 * graphs, so the text is stable.
 */
#include <stdlib.h>

#include "diff_int.h"

#define DOT_BORN     "palegreen"
#define DOT_GONE     "lightcoral"
#define DOT_CHANGED  "khaki1"
#define DOT_OLD_PEN  "red3"
#define DOT_NEW_PEN  "green4"
#define DOT_MINUS    "\xe2\x88\x92" /* U+2212, in UTF-8 */
#define DOT_ARROW    "\xe2\x86\x92" /* U+2192 */

struct dot {
	FILE *out;
	const struct diff_hier *h;
	const struct diff *d;
	unsigned level;           /* clusters open, plus one */
	struct owned *owned;      /* scratch: room for every node */
	uint32_t *units;          /* scratch: where each unit starts */
};

/* A node and the workload that owns its namespace. */
struct owned {
	const struct graph_workload *w;
	uint32_t node;
};

/* Data from a graph (a map, a host name), as nsshow's DOT shows it. */
static void dot_data(FILE *out, const char *s)
{
	text_dot_data(out, s, strlen(s));
}

static void dot_map(FILE *out, const char *map)
{
	diff_map_words(out, map, text_dot_data);
}

static void dot_indent(FILE *out, unsigned level)
{
	for (unsigned i = diff_indent_level(level); i > 0; i--)
		fputs("  ", out);
}

/* The namespace a node draws: B's when it has one, as the tree does. */
static const struct graph_ns *node_ns(const struct dot *t,
				      const struct diff_hnode *n)
{
	return n->b_ns != GRAPH_NONE ? &t->d->b->ns[n->b_ns]
				     : &t->d->a->ns[n->a_ns];
}

/* Clusters are user namespaces, and the invisible ancestor stands for one. */
static bool dot_is_user(const struct dot *t, const struct diff_hnode *n)
{
	return n->invisible || node_ns(t, n)->type == NS_USER;
}

static bool dot_is_cluster(const struct dot *t, uint32_t node)
{
	return node != 0 && dot_is_user(t, &t->h->nodes[node]);
}

/* "+3 −1 processes": members are counted, not listed, so that a busy
 * namespace stays a readable box. */
static void dot_count(FILE *out, size_t plus, size_t minus, const char *one,
		      const char *many)
{
	if (!plus && !minus)
		return;
	if (plus)
		fprintf(out, "+%zu", plus);
	if (plus && minus)
		fputc(' ', out);
	if (minus)
		fprintf(out, DOT_MINUS "%zu", minus);
	fprintf(out, " %s\\l", plus + minus == 1 ? one : many);
}

/* An attribute change, "owner: user {4 1} → user {4 2}". */
static void dot_attr(FILE *out, const struct diff *d,
		     const struct diff_change *c)
{
	if (diff_put_attr_change(out, d, c, " " DOT_ARROW " ", text_dot_data))
		fputs("\\l", out);
}

/* A node's label: nsshow's DOT text of the namespace, then what changed. */
static void dot_label(const struct dot *t, const struct diff_hnode *n)
{
	const struct diff *d = t->d;
	const struct graph_ns *ns = node_ns(t, n);
	size_t count[DIFF_NKINDS] = { 0 };
	FILE *out = t->out;

	fprintf(out, "%s {%llu %llu}\\l", ns_type_name(ns->type),
		(unsigned long long)ns->key.dev, (unsigned long long)ns->key.ino);
	if (ns->type == NS_USER) {
		if (ns->flags & GRAPH_NS_HAS_CREATOR)
			fprintf(out, "UID: %u\\l", ns->creator_uid);
		if (!d->opts.pidns) {
			fputs("u: ", out);
			dot_map(out, ns->uid_map);
			fputs("\\lg: ", out);
			dot_map(out, ns->gid_map);
			fputs("\\l", out);
		}
	}
	if (n->replaced) {
		fprintf(out, "replaced: %s life", n->b_ns == GRAPH_NONE ? "old" : "new");
		if (diff_has_id(ns))
			fprintf(out, ", id %llu", (unsigned long long)ns->kernel_id);
		fputs("\\l", out);
	}
	for (size_t i = 0; i < n->nrefs; i++) {
		const struct diff_change *c =
			&d->changes[t->h->refs[n->first_ref + i].change];
		count[c->kind]++;
		dot_attr(out, d, c);
	}
	dot_count(out, count[DIFF_JOINED], count[DIFF_LEFT],
		  d->opts.search_tasks ? "thread" : "process",
		  d->opts.search_tasks ? "threads" : "processes");
	dot_count(out, count[DIFF_PINNED], count[DIFF_UNPINNED], "pin", "pins");
}

static void dot_node(const struct dot *t, uint32_t node, unsigned level)
{
	const struct diff_hnode *n = &t->h->nodes[node];
	const char *fill = NULL, *pen = NULL;
	bool user = dot_is_user(t, n);
	FILE *out = t->out;

	dot_indent(out, level);
	fprintf(out, "n%u [label=\"", node);
	if (n->invisible) {
		fputs("[invisible ancestor user NS]\\l\", style=dashed];\n", out);
		return;
	}
	dot_label(t, n);
	fputc('"', out);
	if (n->replaced) {
		fill = DOT_CHANGED;
		pen = n->b_ns == GRAPH_NONE ? DOT_OLD_PEN : DOT_NEW_PEN;
	} else if (n->mark == '+') {
		fill = DOT_BORN;
	} else if (n->mark == '-') {
		fill = DOT_GONE;
	} else if (n->mark == '~') {
		fill = DOT_CHANGED;
	}
	if (fill)
		fprintf(out, ", style=\"%sfilled\", fillcolor=\"%s\"",
			user ? "bold," : "", fill);
	else if (user)
		fputs(", style=bold", out);
	if (pen)
		fprintf(out, ", color=\"%s\", penwidth=3", pen);
	fputs("];\n", out);
}

/* ---- the walk: clusters and nodes, then edges --------------------------- */

/* A node opens its cluster (a user namespace) and draws itself. */
static void nodes_enter(void *ctx, uint32_t node, unsigned depth)
{
	struct dot *t = ctx;

	(void)depth;
	if (dot_is_cluster(t, node)) {
		dot_indent(t->out, t->level);
		fprintf(t->out, "subgraph cluster_n%u {\n", node);
		t->level++;
		/* A cluster would inherit the graph's label. */
		dot_indent(t->out, t->level);
		fputs("label=\"\";\n", t->out);
	}
	if (node != 0)
		dot_node(t, node, t->level);
}

static const struct graph_workload *node_owner(const struct dot *t,
					       const struct diff_hnode *n)
{
	if (n->invisible)
		return NULL;
	if (n->b_ns != GRAPH_NONE)
		return diff_ns_owner(&t->h->facts, t->d->b, n->b_ns);
	return diff_ns_owner(&t->h->facts, t->d->a, n->a_ns);
}

static int cmp_owned(const void *x, const void *y)
{
	const struct owned *a = x, *b = y;
	int r = strcmp(a->w->runtime ? a->w->runtime : "",
		       b->w->runtime ? b->w->runtime : "");

	if (!r)
		r = strcmp(a->w->id ? a->w->id : "", b->w->id ? b->w->id : "");
	if (r)
		return r;
	DIFF_CMP(a->node, b->node);
	return 0;
}

static bool same_workload(const struct graph_workload *a,
			  const struct graph_workload *b)
{
	return diff_str_eq(a->runtime, b->runtime) && diff_str_eq(a->id, b->id);
}

/*
 * A cluster per workload around the shown namespaces of NODE's cluster
 * that the workload owns (nested in it: a node may be in a cluster and in
 * one inside it), labeled with the workload, so that a container's
 * namespaces are one box in the picture.
 */
static void workload_clusters(const struct dot *t, uint32_t node)
{
	const struct diff_hier *h = t->h;
	size_t n = 0;

	for (uint32_t c = h->nodes[node].first; c != GRAPH_NONE; c = h->nodes[c].next) {
		const struct graph_workload *w;

		if (diff_hier_shown(h, c) && !dot_is_user(t, &h->nodes[c]) &&
		    (w = node_owner(t, &h->nodes[c])))
			t->owned[n++] = (struct owned){ .w = w, .node = c };
	}
	qsort(t->owned, n, sizeof(*t->owned), cmp_owned);
	for (size_t i = 0; i < n; i++) {
		if (i == 0 || !same_workload(t->owned[i - 1].w, t->owned[i].w)) {
			dot_indent(t->out, t->level);
			fprintf(t->out, "subgraph cluster_w%u_n%u {\n", node,
				t->owned[i].node);
			dot_indent(t->out, t->level + 1);
			fputs("label=\"", t->out);
			diff_put_workload(t->out, t->owned[i].w, text_dot_data);
			fputs("\";\n", t->out);
			dot_indent(t->out, t->level + 1);
			fputs("style=dashed;\n", t->out);
			dot_indent(t->out, t->level + 1);
		}
		fprintf(t->out, "n%u;", t->owned[i].node);
		if (i + 1 == n || !same_workload(t->owned[i].w, t->owned[i + 1].w)) {
			fputc('\n', t->out);
			dot_indent(t->out, t->level);
			fputs("}\n", t->out);
		} else {
			fputc(' ', t->out);
		}
	}
}

/* After its children: the fold of the unchanged ones, the workloads'
 * clusters, the cluster's end. */
static void nodes_leave(void *ctx, uint32_t node, unsigned depth, size_t folded,
			size_t nfolded)
{
	struct dot *t = ctx;

	(void)depth;
	(void)nfolded;
	if (folded) {
		dot_indent(t->out, t->level);
		fprintf(t->out, "f%u [label=\"%zu unchanged\", style=dotted];\n",
			node, folded);
	}
	workload_clusters(t, node);
	if (dot_is_cluster(t, node)) {
		t->level--;
		dot_indent(t->out, t->level);
		fputs("}\n", t->out);
	}
}

/* Solid for parenthood (user -> user, PID -> PID), dashed for ownership. */
static void edges_descend(void *ctx, uint32_t node, uint32_t child)
{
	const struct dot *t = ctx;

	if (node != 0)
		fprintf(t->out, "  n%u -> n%u%s;\n", node, child,
			dot_is_user(t, &t->h->nodes[node]) &&
			!dot_is_user(t, &t->h->nodes[child]) ? " [style=dashed]" : "");
}

/* Dotted to a fold. */
static void edges_leave(void *ctx, uint32_t node, unsigned depth, size_t folded,
			size_t nfolded)
{
	const struct dot *t = ctx;

	(void)depth;
	(void)folded;
	if (nfolded && node != 0)
		fprintf(t->out, "  n%u -> f%u [style=dotted];\n", node, node);
}

/* The two lives of a replaced inode, side by side in the hierarchy, are
 * tied by an edge that does not take part in the ranking: it says "same
 * inode", not "hangs under". */
static void dot_replacements(const struct dot *t)
{
	const struct diff *d = t->d;

	for (size_t i = 0; i < d->nchanges; i++) {
		const struct diff_change *c = &d->changes[i];
		uint32_t na, nb;

		if (c->kind != DIFF_REPLACED)
			continue;
		na = diff_hier_node(t->h->of_a, c->a_ns);
		nb = diff_hier_node(t->h->of_b, c->b_ns);
		if (na != GRAPH_NONE && nb != GRAPH_NONE)
			fprintf(t->out, "  n%u -> n%u [style=dotted, constraint=false, "
				"label=\"replaced by\"];\n", na, nb);
	}
}

/* Owned children grouped by workload, after the others, each group and
 * the others in hierarchy order. */
static int cmp_units(const void *x, const void *y)
{
	const struct owned *a = x, *b = y;

	if (!a->w || !b->w) {
		DIFF_CMP(a->w != NULL, b->w != NULL);
		DIFF_CMP(a->node, b->node);
		return 0;
	}
	return cmp_owned(x, y);
}

/*
 * How many boxes (or units) a row holds: the boxes are some four times as
 * wide as high, and a rank has a gap about as high as a box, so rows of
 * about sqrt(N/2) make a picture about as wide as high.
 */
static size_t grid_width(size_t n)
{
	size_t width = 1;

	while (2 * width * width < n)
		width++;
	return width;
}

/* Invisible edges that stack N nodes of OWNED[] (from FIRST) in rows of
 * grid_width(N). */
static void dot_grid(const struct dot *t, size_t first, size_t n)
{
	size_t width = grid_width(n);

	for (size_t k = width; k < n; k++)
		fprintf(t->out, "  n%u -> n%u [style=invis];\n",
			t->owned[first + k - width].node, t->owned[first + k].node);
}

/*
 * A node's shown children in rows: without this, what one user namespace
 * owns (every namespace of every container, often) sits on one rank, a
 * picture tens of thousands of pixels wide and one box high.  The
 * children are cut into units (a workload's namespaces, which its cluster
 * keeps together, or one namespace of no workload); a unit's namespaces
 * are stacked in a grid (grid_width()), and the units too, by invisible edges
 * from each unit's last node to the first of the unit a row further on.
 */
static void dot_rows(const struct dot *t)
{
	const struct diff_hier *h = t->h;

	for (uint32_t node = 0; node < h->nnodes; node++) {
		size_t n = 0, nunits = 0, width;

		for (uint32_t c = h->nodes[node].first; c != GRAPH_NONE; c = h->nodes[c].next)
			if (diff_hier_shown(h, c))
				t->owned[n++] = (struct owned){
					.node = c,
					.w = dot_is_user(t, &h->nodes[c]) ? NULL
						: node_owner(t, &h->nodes[c]),
				};
		if (n < 2)
			continue;
		qsort(t->owned, n, sizeof(*t->owned), cmp_units);
		for (size_t i = 0; i < n; i++)
			if (i == 0 || !t->owned[i].w || !t->owned[i - 1].w ||
			    !same_workload(t->owned[i - 1].w, t->owned[i].w))
				t->units[nunits++] = (uint32_t)i;
		t->units[nunits] = (uint32_t)n;
		for (size_t u = 0; u < nunits; u++)
			dot_grid(t, t->units[u], t->units[u + 1] - t->units[u]);
		width = grid_width(nunits);
		for (size_t u = width; u < nunits; u++)
			fprintf(t->out, "  n%u -> n%u [style=invis];\n",
				t->owned[t->units[u - width + 1] - 1].node,
				t->owned[t->units[u]].node);
	}
}

/* ---- around the hierarchy ----------------------------------------------- */

static void dot_side(FILE *out, const char *word, const char *name,
		     const struct graph *g)
{
	char tbuf[32];

	fprintf(out, "%s: ", word);
	dot_data(out, name);
	fprintf(out, " (%s, host ", diff_format_time(g->meta.start_ns, tbuf,
						     sizeof(tbuf)));
	dot_data(out, g->meta.hostname ? g->meta.hostname : "?");
	fputs(")\\l", out);
}

static void dot_legend(FILE *out)
{
	fputs("  subgraph cluster_legend {\n"
	      "    label=\"legend\";\n"
	      "    legend_born [label=\"born\", style=filled, fillcolor=\"" DOT_BORN "\"];\n"
	      "    legend_gone [label=\"gone\", style=filled, fillcolor=\"" DOT_GONE "\"];\n"
	      "    legend_changed [label=\"changed\", style=filled, fillcolor=\"" DOT_CHANGED "\"];\n"
	      "    legend_old [label=\"replaced: old life\", style=filled, fillcolor=\""
	      DOT_CHANGED "\", color=\"" DOT_OLD_PEN "\", penwidth=3];\n"
	      "    legend_new [label=\"replaced: new life\", style=filled, fillcolor=\""
	      DOT_CHANGED "\", color=\"" DOT_NEW_PEN "\", penwidth=3];\n"
	      "    legend_same [label=\"unchanged\"];\n"
	      "    legend_fold [label=\"N unchanged\", style=dotted];\n"
	      "    legend_user [label=\"user namespace\", style=bold];\n"
	      "    legend_owned [label=\"owned namespace\"];\n"
	      "    legend_child [label=\"child namespace\", style=bold];\n"
	      "    legend_user -> legend_owned [style=dashed, label=\"owns\"];\n"
	      "    legend_user -> legend_child [label=\"parent of\"];\n"
	      /* Invisible edges make a grid of it rather than one long
	       * row: colors, then borders, then edges. */
	      "    legend_born -> legend_old -> legend_user [style=invis];\n"
	      "    legend_gone -> legend_new [style=invis];\n"
	      "    legend_changed -> legend_fold [style=invis];\n"
	      "    { rank=same; legend_born -> legend_gone -> legend_changed -> "
	      "legend_same [style=invis]; }\n"
	      "  }\n", out);
}

/*
 * The tree's trailing list lines, one "MARK LINE\n" each, into *TEXT (NULL
 * when there are none); 0 or -ENOMEM.
 */
static int dot_outside_text(const struct diff_hier *h, char **text)
{
	size_t len = 0;
	FILE *m;

	*text = NULL;
	if (!h->norphans)
		return 0;
	if (!(m = open_memstream(text, &len)))
		return -ENOMEM;
	for (size_t i = 0; i < h->norphans; i++) {
		fprintf(m, "%c ", h->orphans[i].mark);
		diff_put_change(m, h->d, &h->d->changes[h->orphans[i].change]);
		fputc('\n', m);
	}
	if (fclose(m) || !*text) {
		free(*text);
		*text = NULL;
		return -ENOMEM;
	}
	return 0;
}

static void dot_outside(FILE *out, const char *text)
{
	fputs("  outside [shape=note, label=\"not in the hierarchy:\\l", out);
	for (const char *s = text; *s; s++) {
		if (*s == '\n')
			fputs("\\l", out);
		else
			text_dot_text(out, s, 1);
	}
	fputs("\"];\n", out);
}

int diff_dot_write(FILE *out, const struct diff_hier *h)
{
	static const struct diff_hier_visit nodes = {
		.enter = nodes_enter, .leave = nodes_leave,
	};
	static const struct diff_hier_visit edges = {
		.descend = edges_descend, .leave = edges_leave,
	};
	struct dot t = { .out = out, .h = h, .d = h->d, .level = 1 };
	const struct diff_print_opts *p = h->po;
	char *outside;
	int rc;

	/* Made before the first byte is written, so that running out of
	 * memory leaves OUT untouched. */
	t.owned = malloc((h->nnodes + 1) * sizeof(*t.owned));
	t.units = malloc((h->nnodes + 1) * sizeof(*t.units));
	if (!t.owned || !t.units || (rc = dot_outside_text(h, &outside))) {
		free(t.owned);
		free(t.units);
		return t.owned && t.units ? rc : -ENOMEM;
	}
	fputs("digraph nsdiff {\n  label=\"", out);
	dot_side(out, "from", p->a_name ? p->a_name : "a", t.d->a);
	dot_side(out, "to", p->b_name ? p->b_name : "b", t.d->b);
	if (t.d->flags & DIFF_OTHER_HOST)
		fputs("WARNING: other hosts, every match is a guess\\l", out);
	if (t.d->flags & DIFF_OTHER_BOOT)
		fputs("WARNING: other boots, every match is a guess\\l", out);
	fputs("\";\n  labelloc=t;\n  labeljust=l;\n  node [shape=box];\n", out);
	diff_hier_walk(h, &nodes, &t);
	if (outside)
		dot_outside(out, outside);
	dot_legend(out);
	diff_hier_walk(h, &edges, &t);
	dot_rows(&t);
	dot_replacements(&t);
	fputs("}\n", out);
	free(outside);
	free(t.owned);
	free(t.units);
	return diff_write_status(out);
}

int diff_print_dot(FILE *out, const struct diff *d,
		   const struct diff_print_opts *po)
{
	struct diff_hier h;
	int rc;

	if ((rc = diff_hier_build(&h, d, po)))
		return rc;
	rc = diff_dot_write(out, &h);
	diff_hier_release(&h);
	return rc;
}
