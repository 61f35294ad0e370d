/*
 * diff_tree.c — the verbose tree: nsshow's hierarchy with a marker column,
 * and the line pieces the report (diff_report.c) shares with it.
 *
 * Owns the text of the merged hierarchy (diff_hier.c): namespace lines as
 * nsshow prints them, the changes under each, "(N unchanged)" folds, the
 * header naming the sides, and the trailing list lines for what the
 * hierarchy does not show.
 */
#include "diff_int.h"

#define ESC_ "\x1b"
#define GREEN ESC_ "[32m"
#define RED ESC_ "[31m"
#define YELLOW ESC_ "[33m"
#define RESET ESC_ "[0m"

struct tree {
	FILE *out;
	const struct diff_hier *h;
	const struct diff *d;
	bool color;
};

void diff_line_begin(FILE *out, bool color, char mark, unsigned indent)
{
	if (color && mark != ' ')
		fputs(mark == '+' ? GREEN : mark == '-' ? RED : YELLOW, out);
	fputc(mark, out);
	fputc(' ', out);
	for (unsigned i = 0; i < indent; i++)
		fputc(' ', out);
}

void diff_line_end(FILE *out, bool color, char mark)
{
	if (color && mark != ' ')
		fputs(RESET, out);
	fputc('\n', out);
}

static void tree_begin(const struct tree *t, char mark, unsigned indent)
{
	diff_line_begin(t->out, t->color, mark, indent);
}

static void tree_end(const struct tree *t, char mark)
{
	diff_line_end(t->out, t->color, mark);
}

static void tree_map(FILE *out, const char *map)
{
	diff_map_words(out, map, diff_put_escaped);
}

void diff_tree_ns_text(FILE *out, const struct diff *d, const struct graph *g,
		       uint32_t ns)
{
	const struct graph_ns *n = &g->ns[ns];

	fprintf(out, "%s {%llu %llu}", ns_type_name(n->type),
		(unsigned long long)n->key.dev, (unsigned long long)n->key.ino);
	if (n->type == NS_USER && !d->opts.pidns) {
		fprintf(out, " <UID: %u;  u: ", n->creator_uid);
		tree_map(out, n->uid_map);
		fputs(";   g: ", out);
		tree_map(out, n->gid_map);
		fputc('>', out);
	}
}

/* The namespace line, as nsshow prints it, with the marker column; what
 * is known of a namespace that came, went or was replaced after it. */
static void tree_ns_line(const struct tree *t, const struct diff_hnode *n,
			 unsigned depth)
{
	FILE *out = t->out;

	tree_begin(t, n->mark, n->invisible ? 0 : diff_indent_level(depth) * 4);
	if (n->invisible) {
		fputs("[invisible ancestor user NS]", out);
		tree_end(t, n->mark);
		return;
	}
	bool old = n->b_ns == GRAPH_NONE;
	const struct graph *g = old ? t->d->a : t->d->b;
	uint32_t ns = old ? n->a_ns : n->b_ns;

	diff_tree_ns_text(out, t->d, g, ns);
	if (n->replaced) {
		fputs(old ? "  [old" : "  [new", out);
		if (diff_has_id(&g->ns[ns]))
			fprintf(out, ", id %llu", (unsigned long long)g->ns[ns].kernel_id);
		fputc(']', out);
	}
	if (n->mark == '+' || n->mark == '-')
		diff_put_ns_facts(out, &t->h->facts, g, ns, true);
	tree_end(t, n->mark);
}

void diff_tree_proc(FILE *out, const struct diff *d, const struct diff_change *c,
		    bool cmdline)
{
	const struct graph_proc *p = cmdline && !c->tid ? diff_change_proc(d, c) : NULL;

	fprintf(out, "%d", (int)(c->tid ? c->tid : c->pid));
	if (p && p->cmdline && p->cmdline_len) {
		fputc(' ', out);
		diff_put_cmdline(out, p, diff_put_escaped);
	} else if (c->comm) {
		fputc(' ', out);
		diff_put_value(out, c->comm);
	}
}

void diff_tree_pin(FILE *out, const struct diff *d, const struct diff_change *c)
{
	if (c->pin == DIFF_PIN_MOUNT) {
		const struct graph *g = c->kind == DIFF_PINNED ? d->b : d->a;
		fputs("bind mount ", out);
		diff_put_value(out, c->path);
		fputs(" in ", out);
		diff_tree_up(out, g, c->mntns, 0);
		return;
	}
	if (c->pin == DIFF_PIN_FD)
		fprintf(out, "fd %d of ", (int)c->fd);
	else if (c->pin == DIFF_PIN_SOCKET)
		fprintf(out, "socket fd %d of ", (int)c->fd);
	else
		fprintf(out, "%s of ", diff_pin_name(c->pin));
	diff_tree_proc(out, d, c, false);
}

/* A change under its namespace line, 8 columns further in (as members). */
static void tree_change_line(const struct tree *t, const struct diff_href *r,
			     unsigned depth)
{
	const struct diff_change *c = &t->d->changes[r->change];
	FILE *out = t->out;

	tree_begin(t, r->mark, diff_indent_level(depth) * 4 + 8);
	switch (c->kind) {
	case DIFF_JOINED:
	case DIFF_LEFT:
		diff_tree_proc(out, t->d, c,
			       c->flags & (DIFF_C_NEWPROC | DIFF_C_ENDPROC));
		if (c->flags & DIFF_C_NEWPROC)
			fputs(" (started)", out);
		if (c->flags & DIFF_C_ENDPROC)
			fputs(" (ended)", out);
		break;
	case DIFF_PINNED:
	case DIFF_UNPINNED:
		fputs("pin: ", out);
		diff_tree_pin(out, t->d, c);
		break;
	default:
		diff_put_attr_change(out, t->d, c, " -> ", diff_put_escaped);
		break;
	}
	tree_end(t, r->mark);
}

/* A node: its line, then its changes other than its own birth or death. */
static void tree_enter(void *ctx, uint32_t node, unsigned depth)
{
	const struct tree *t = ctx;
	const struct diff_hnode *n = &t->h->nodes[node];

	if (node == 0)
		return;
	tree_ns_line(t, n, n->invisible ? 0 : depth);
	for (size_t i = 0; i < n->nrefs; i++) {
		const struct diff_href *r = &t->h->refs[n->first_ref + i];
		enum diff_kind k = t->d->changes[r->change].kind;
		if (k != DIFF_BORN && k != DIFF_GONE && k != DIFF_REPLACED)
			tree_change_line(t, r, depth);
	}
}

/* After a node's children: one line for those folded, at their depth. */
static void tree_leave(void *ctx, uint32_t node, unsigned depth, size_t folded,
		       size_t nfolded)
{
	const struct tree *t = ctx;

	(void)nfolded;
	if (!folded)
		return;
	tree_begin(t, ' ', diff_indent_level(node == 0 ? 0 : depth + 1) * 4);
	fprintf(t->out, "(%zu unchanged)", folded);
	tree_end(t, ' ');
}

static void header_line(FILE *out, const char *mark, const char *name,
			const struct graph *g)
{
	char tbuf[32];

	fprintf(out, "%s %s %s host=", mark, name,
		diff_format_time(g->meta.start_ns, tbuf, sizeof(tbuf)));
	diff_put_value(out, g->meta.hostname ? g->meta.hostname : "?");
	fputc('\n', out);
}

void diff_tree_header(FILE *out, const struct diff *d,
		      const struct diff_print_opts *po)
{
	header_line(out, "---", po && po->a_name ? po->a_name : "a", d->a);
	header_line(out, "+++", po && po->b_name ? po->b_name : "b", d->b);
}

int diff_tree_write(FILE *out, const struct diff_hier *h)
{
	static const struct diff_hier_visit visit = {
		.enter = tree_enter, .leave = tree_leave,
	};
	struct tree t = { .out = out, .h = h, .d = h->d, .color = h->po->color };

	int rc;

	diff_tree_header(out, t.d, h->po);
	if ((rc = diff_put_summary(out, &h->facts)))
		return rc;
	if (t.d->nchanges || h->po->all)
		diff_hier_walk(h, &visit, &t);
	/* What the views do not show. */
	for (size_t i = 0; i < h->norphans; i++) {
		tree_begin(&t, h->orphans[i].mark, 0);
		diff_put_change(out, t.d, &t.d->changes[h->orphans[i].change]);
		tree_end(&t, h->orphans[i].mark);
	}
	return diff_write_status(out);
}
