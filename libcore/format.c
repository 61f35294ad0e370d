/*
 * format.c — the view as JSON and as Graphviz DOT (schema in format.h).
 *
 * Both walk the view's lines in order and recover the tree's shape from
 * the depths alone, with a stack of open lines: a line hangs under the
 * nearest earlier line of smaller depth, which is how the indented text
 * reads too.  Nothing here decides what is shown; view_build() did.
 * The tree's part of each line is written here, the workload facts by
 * format_facts.c, through the pretty-printer of format_int.h.
 */
#include "format.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "format_int.h"
#include "text.h"
#include "workload.h"

#define NO_PARENT SIZE_MAX
#define ELLIPSIS "\xe2\x80\xa6" /* U+2026, spelled in UTF-8 */

/* What both formats need before the first byte is written, so that a
 * failure leaves OUT untouched. */
struct shape {
	size_t *parent;   /* per line: index of the line it hangs under */
	struct format_pins pins; /* with the view's deep_scan */
};

static void shape_release(struct shape *s)
{
	free(s->parent);
	format_pins_release(&s->pins);
}

static bool is_user_line(const struct graph *g, const struct view_line *l)
{
	return l->ns == VIEW_INVISIBLE || g->ns[l->ns].type == NS_USER;
}

static int shape_build(const struct graph *g, const struct view *v,
		       struct shape *s)
{
	size_t top = 0;
	size_t *stack;

	memset(s, 0, sizeof(*s));
	if (graph_check(g, NULL, 0))
		return -EINVAL;
	/* The view came from G, but a caller mixing up graphs (nsdiff holds
	 * two) must not make us read out of bounds, nor a hand-made view
	 * nest clusters without end. */
	int rc = view_fits(g, v);
	if (rc)
		return rc;
	s->parent = malloc((v->nlines + 1) * sizeof(*s->parent));
	stack = malloc((v->nlines + 1) * sizeof(*stack));
	if (!s->parent || !stack) {
		free(stack);
		shape_release(s);
		return -ENOMEM;
	}
	for (size_t i = 0; i < v->nlines; i++) {
		unsigned depth = v->lines[i].depth;
		while (top && v->lines[stack[top - 1]].depth >= depth)
			top--;
		s->parent[i] = top ? stack[top - 1] : NO_PARENT;
		stack[top++] = i;
	}
	free(stack);
	if (v->deep_scan && (rc = format_pins_build(g, &s->pins))) {
		shape_release(s);
		return rc;
	}
	return 0;
}

static int write_status(FILE *out)
{
	if (fflush(out) || ferror(out))
		return errno ? -errno : -EIO;
	return 0;
}

/* ---- JSON ---------------------------------------------------------------- */

static void json_snapshot(struct jw *w, const struct graph_meta *m,
			  const struct format_snapshot *snap)
{
	char buf[TEXT_RFC3339_LEN];

	jw_key(w, "snapshot");
	jw_open(w, '{');
	if (snap) {
		jw_int(w, "id", (long long)snap->id);
		jw_str(w, "label", snap->label && *snap->label ? snap->label
							       : NULL);
		jw_lit(w, "imported", snap->imported ? "true" : "false");
	} else {
		jw_lit(w, "id", "null");
		jw_lit(w, "label", "null");
		jw_lit(w, "imported", "false");
	}
	jw_str(w, "host", m->hostname);
	jw_str(w, "kernel", m->kernel);
	jw_str(w, "boot_id", m->boot_id);
	jw_str(w, "start", text_rfc3339(m->start_ns, true, buf, sizeof(buf)));
	jw_str(w, "end", text_rfc3339(m->end_ns, true, buf, sizeof(buf)));
	jw_key(w, "start_ns");
	fprintf(w->out, "\"%lld\"", (long long)m->start_ns);
	jw_key(w, "end_ns");
	fprintf(w->out, "\"%lld\"", (long long)m->end_ns);
	jw_close(w, '}');
}

static void json_members(struct jw *w, const struct graph *g,
			 const struct view_line *l)
{
	bool comm = g->meta.collected & GRAPH_HAVE_COMM;

	jw_key(w, "members");
	jw_open(w, '[');
	for (size_t i = 0; i < l->nmembers; i++) {
		const struct view_member *m = &l->members[i];
		jw_item(w);
		jw_open(w, '{');
		jw_int(w, "pid", m->id);
		if (comm)
			jw_str(w, "comm", m->comm);
		format_json_member_facts(w, g, m);
		jw_close(w, '}');
	}
	jw_close(w, ']');
}

static void json_line(struct jw *w, const struct graph *g,
		      const struct view *v, const struct shape *s, size_t i,
		      const struct format_opts *o)
{
	const struct view_line *l = &v->lines[i];

	jw_item(w);
	jw_open(w, '{');
	if (l->ns == VIEW_INVISIBLE) {
		jw_str(w, "type", ns_type_name(NS_USER));
		jw_lit(w, "invisible", "true");
	} else {
		const struct graph_ns *n = &g->ns[l->ns];
		jw_str(w, "type", ns_type_name(n->type));
		jw_u64(w, "dev", n->key.dev);
		jw_u64(w, "ino", n->key.ino);
	}
	jw_int(w, "depth", l->depth);
	/* Not "parent": in an export that is NS_GET_PARENT's answer. */
	if (s->parent[i] == NO_PARENT)
		jw_lit(w, "under", "null");
	else
		jw_int(w, "under", (long long)s->parent[i]);
	if (l->ns == VIEW_INVISIBLE) {
		jw_close(w, '}');
		return;
	}

	const struct graph_ns *n = &g->ns[l->ns];
	if (n->flags & GRAPH_NS_HAS_ID)
		jw_u64(w, "id", n->kernel_id);
	else
		jw_lit(w, "id", "null");
	if (n->type == NS_USER) {
		if (n->flags & GRAPH_NS_HAS_CREATOR)
			jw_int(w, "creator_uid", n->creator_uid);
		else
			jw_lit(w, "creator_uid", "null");
		if (v->show_maps) {
			jw_map(w, "uid_map", l->uid_map);
			jw_map(w, "gid_map", l->gid_map);
			format_json_ranges(w, "uid_ranges", l->uid_map);
			format_json_ranges(w, "gid_ranges", l->gid_map);
		}
	}
	format_json_ns_facts(w, g, v, l, &s->pins);
	if (!o->no_pids)
		json_members(w, g, l);
	jw_close(w, '}');
}

int format_json(FILE *out, const struct graph *g, const struct view *v,
		const struct format_opts *o)
{
	static const struct format_opts defaults;
	struct jw w = { .out = out };
	struct shape s;
	int rc;

	if (!o)
		o = &defaults;
	if ((rc = shape_build(g, v, &s)))
		return rc;

	jw_open(&w, '{');
	jw_str(&w, "format", "nsshow-view");
	jw_int(&w, "version", FORMAT_JSON_VERSION);
	json_snapshot(&w, &g->meta, o->snapshot);
	jw_str_array(&w, "messages", v->messages, v->nmessages);
	jw_str_array(&w, "warnings", v->warnings, v->nwarnings);
	jw_str(&w, "fatal", v->fatal);
	jw_key(&w, "namespaces");
	jw_open(&w, '[');
	/* A fatal view has no tree, whatever lines it may hold. */
	for (size_t i = 0; !v->fatal && i < v->nlines; i++)
		json_line(&w, g, v, &s, i, o);
	jw_close(&w, ']');
	jw_close(&w, '}');
	fputc('\n', out);

	shape_release(&s);
	return write_status(out);
}

/* ---- DOT ----------------------------------------------------------------- */

/* One left-justified label line of data. */
static void dot_data_line(FILE *out, const char *prefix, const char *s)
{
	fputs(prefix, out);
	text_dot_data(out, s, strlen(s));
	fputs("\\l", out);
}

/* A map line: normalized as in the tree, "deleted" where it says so. */
static void dot_map_line(FILE *out, const char *prefix, const char *map)
{
	if (!map) {
		dot_data_line(out, prefix, "deleted");
		return;
	}
	fputs(prefix, out);
	text_squeeze(out, map, &text_go_blanks, text_dot_data);
	fputs("\\l", out);
}

static void dot_indent(FILE *out, unsigned level)
{
	for (unsigned i = 0; i < level; i++)
		fputs("  ", out);
}

static void dot_members(FILE *out, const struct view_line *l, unsigned max)
{
	size_t shown = l->nmembers < max ? l->nmembers : max;

	if (!l->nmembers)
		return;
	fputc('[', out);
	for (size_t i = 0; i < shown; i++)
		fprintf(out, " %d", (int)l->members[i].id);
	if (shown < l->nmembers)
		fprintf(out, " " ELLIPSIS " (+%zu)", l->nmembers - shown);
	fputs(" ]\\l", out);
}

static void dot_node(FILE *out, const struct graph *g, const struct view *v,
		     size_t i, const struct format_opts *o, unsigned level)
{
	const struct view_line *l = &v->lines[i];
	const char *color = NULL;
	bool user = is_user_line(g, l);

	dot_indent(out, level);
	fprintf(out, "n%zu [label=\"", i);
	if (l->ns == VIEW_INVISIBLE) {
		fputs("[invisible ancestor user NS]\\l\", style=dashed];\n", out);
		return;
	}
	const struct graph_ns *n = &g->ns[l->ns];
	fprintf(out, "%s {%llu %llu}\\l", ns_type_name(n->type),
		(unsigned long long)n->key.dev, (unsigned long long)n->key.ino);
	if (n->type == NS_USER) {
		if (n->flags & GRAPH_NS_HAS_CREATOR)
			fprintf(out, "UID: %u\\l", n->creator_uid);
		if (v->show_maps) {
			dot_map_line(out, "u: ", l->uid_map);
			dot_map_line(out, "g: ", l->gid_map);
		}
	}
	/* The names a reader looks for; the rest of the facts are JSON's. */
	if (n->type == NS_UTS && n->hostname)
		dot_data_line(out, "hostname: ", n->hostname);
	if (n->type == NS_NET) {
		const char *names[4];
		size_t k = workload_netns_names(g, l->ns, names, 4);
		for (size_t j = 0; j < k && j < 4; j++)
			dot_data_line(out, "netns: ", names[j]);
	}
	if (!o->no_pids)
		dot_members(out, l, o->dot_max_pids ? o->dot_max_pids
						    : FORMAT_DOT_MAX_PIDS);
	fputc('"', out);
	if (o->ns_color)
		color = o->ns_color(o->ns_color_ctx, l->ns);
	if (color) {
		fputs(user ? ", style=\"bold,filled\"" : ", style=filled", out);
		fputs(", fillcolor=\"", out);
		text_dot_data(out, color, strlen(color));
		fputc('"', out);
	} else if (user) {
		fputs(", style=bold", out);
	}
	fputs("];\n", out);
}

/*
 * The workload that owns line I's namespace, or GRAPH_NONE.  Its cluster
 * sits in the innermost user namespace cluster around the line (the
 * line's own for a user namespace), so that clusters still nest: a
 * workload spanning user namespaces draws one box in each, all labelled
 * alike.  Graphviz merges subgraphs opened again under one name.
 */
static uint32_t dot_owner(const struct graph *g, const struct view *v,
			  size_t i)
{
	uint32_t ns = v->lines[i].ns;

	if (!v->has_wmap || ns == VIEW_INVISIBLE)
		return GRAPH_NONE;
	uint32_t w = v->wmap.ns[ns].owner;
	return w < g->nworkloads ? w : GRAPH_NONE;
}

static void dot_workload_open(FILE *out, const struct graph *g, uint32_t w,
			      size_t around, unsigned level)
{
	dot_indent(out, level);
	if (around == NO_PARENT)
		fprintf(out, "subgraph cluster_w%u {\n", w);
	else
		fprintf(out, "subgraph cluster_w%u_%zu {\n", w, around);
	dot_indent(out, level + 1);
	fputs("label=\"", out);
	view_put_workload(out, &g->workloads[w], text_dot_data);
	fputs("\"; style=dashed;\n", out);
}

/* The graph's own label: where the data comes from, and what the scan said. */
static void dot_graph_label(FILE *out, const struct graph *g,
			    const struct view *v)
{
	char buf[TEXT_RFC3339_LEN];
	const char *t = text_rfc3339(g->meta.start_ns, true, buf, sizeof(buf));

	fputs("  label=\"", out);
	if (g->meta.hostname)
		dot_data_line(out, "host: ", g->meta.hostname);
	if (g->meta.kernel)
		dot_data_line(out, "kernel: ", g->meta.kernel);
	if (t)
		dot_data_line(out, "captured: ", t);
	for (size_t i = 0; i < v->nmessages; i++)
		dot_data_line(out, "", v->messages[i]);
	if (v->fatal)
		dot_data_line(out, "", v->fatal);
	fputs("\";\n  labelloc=t;\n  labeljust=l;\n", out);
}

int format_dot(FILE *out, const struct graph *g, const struct view *v,
	       const struct format_opts *o)
{
	static const struct format_opts defaults;
	struct shape s;
	size_t nlines = v->fatal ? 0 : v->nlines;
	size_t *open;       /* lines whose subtree is still open */
	size_t top = 0;
	unsigned clusters = 0; /* how many of them opened a cluster */
	int rc;

	if (!o)
		o = &defaults;
	if ((rc = shape_build(g, v, &s)))
		return rc;
	open = malloc((nlines + 1) * sizeof(*open));
	if (!open) {
		shape_release(&s);
		return -ENOMEM;
	}

	fputs("digraph nsshow {\n", out);
	dot_graph_label(out, g, v);
	fputs("  node [shape=box];\n", out);
	for (size_t i = 0; i <= nlines; i++) {
		/* Close what line I is not inside of; everything at the end. */
		while (top && (i == nlines ||
			       v->lines[open[top - 1]].depth >= v->lines[i].depth)) {
			if (is_user_line(g, &v->lines[open[--top]])) {
				clusters--;
				dot_indent(out, clusters + 1);
				fputs("}\n", out);
			}
		}
		if (i == nlines)
			break;
		if (is_user_line(g, &v->lines[i])) {
			dot_indent(out, clusters + 1);
			fprintf(out, "subgraph cluster_%zu {\n", i);
			clusters++;
			/* Clusters would inherit the graph's label. */
			dot_indent(out, clusters + 1);
			fputs("label=\"\";\n", out);
		}
		uint32_t owner = dot_owner(g, v, i);
		if (owner != GRAPH_NONE) {
			size_t around = NO_PARENT;
			for (size_t k = top + 1; k-- > 0;) {
				size_t line = k == top ? i : open[k];
				if (is_user_line(g, &v->lines[line])) {
					around = line;
					break;
				}
			}
			dot_workload_open(out, g, owner, around, clusters + 1);
			dot_node(out, g, v, i, o, clusters + 2);
			dot_indent(out, clusters + 1);
			fputs("}\n", out);
		} else {
			dot_node(out, g, v, i, o, clusters + 1);
		}
		open[top++] = i;
	}
	/* Edges last and at the top level: an edge inside a cluster would
	 * pull its tail node into that cluster too. */
	for (size_t i = 0; i < nlines; i++) {
		size_t p = s.parent[i];
		if (p == NO_PARENT)
			continue;
		bool owns = is_user_line(g, &v->lines[p]) &&
			    !is_user_line(g, &v->lines[i]);
		fprintf(out, "  n%zu -> n%zu%s;\n", p, i,
			owns ? " [style=dashed]" : "");
	}
	fputs("}\n", out);

	free(open);
	shape_release(&s);
	return write_status(out);
}
