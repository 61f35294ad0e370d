/*
 * diff_hier.c — the merged hierarchy that the tree and DOT both draw.
 *
 * Owns the one picture of a diff: B's nsshow view with A's vanished
 * namespaces grafted in, each change attached to the node it concerns (or
 * left over, for what no view shows), subtree sizes and change flags for
 * folding; the iterative walk both printers take through it; and the words
 * both use for links, maps and attribute changes.  It writes no output of
 * its own.
 */
#include <stdlib.h>

#include "diff_int.h"

static uint32_t hier_add(struct diff_hier *h, uint32_t parent, uint32_t a_ns,
			 uint32_t b_ns, bool invisible)
{
	uint32_t n = (uint32_t)h->nnodes++;

	h->nodes[n] = (struct diff_hnode){
		.a_ns = a_ns, .b_ns = b_ns, .invisible = invisible,
		.first = GRAPH_NONE, .last = GRAPH_NONE, .next = GRAPH_NONE,
		.mark = ' ',
	};
	if (parent != GRAPH_NONE) {
		struct diff_hnode *p = &h->nodes[parent];
		if (p->last == GRAPH_NONE)
			p->first = n;
		else
			h->nodes[p->last].next = n;
		p->last = n;
	}
	if (a_ns != GRAPH_NONE)
		h->of_a[a_ns] = n;
	if (b_ns != GRAPH_NONE)
		h->of_b[b_ns] = n;
	return n;
}

/* The parent of a line at DEPTH: the last line met one level up.  A depth
 * that skips a level (never produced by view.c) hangs on the deepest. */
static uint32_t line_parent(uint32_t *stack, size_t *len, unsigned depth,
			    unsigned *eff)
{
	*eff = depth < *len ? depth : (unsigned)*len;
	return *eff == 0 ? 0 : stack[*eff - 1];
}

/* STACK has room for one entry per line of V. */
static void hier_from_view(struct diff_hier *h, const struct view *v,
			   bool side_b, uint32_t *stack)
{
	const struct diff *d = h->d;
	size_t len = 0;

	for (size_t i = 0; i < v->nlines; i++) {
		const struct view_line *l = &v->lines[i];
		unsigned eff;
		uint32_t parent = line_parent(stack, &len, l->depth, &eff);
		uint32_t node;

		if (l->ns == VIEW_INVISIBLE) {
			if (h->invisible == GRAPH_NONE)
				h->invisible = hier_add(h, 0, GRAPH_NONE, GRAPH_NONE, true);
			node = h->invisible;
		} else if (side_b) {
			node = hier_add(h, parent, d->b_to_a[l->ns], l->ns, false);
		} else if (d->a_to_b[l->ns] != GRAPH_NONE &&
			   h->of_b[d->a_to_b[l->ns]] != GRAPH_NONE) {
			node = h->of_b[d->a_to_b[l->ns]];
			h->of_a[l->ns] = node;
		} else {
			node = hier_add(h, parent, l->ns, GRAPH_NONE, false);
		}
		stack[eff] = node;
		len = eff + 1;
	}
}

static int cmp_refs(const void *x, const void *y)
{
	const struct diff_href *a = x, *b = y;

	DIFF_CMP(a->node, b->node);
	DIFF_CMP(a->change, b->change);
	return 0;
}

static void hier_ref(struct diff_hier *h, uint32_t node, size_t change,
		     char mark)
{
	struct diff_href r = { .node = node, .change = (uint32_t)change, .mark = mark };

	if (node == GRAPH_NONE)
		h->orphans[h->norphans++] = r;
	else
		h->refs[h->nrefs++] = r;
}

/* Each change at the node(s) it concerns: at most two refs a change. */
static void hier_refs(struct diff_hier *h)
{
	const struct diff *d = h->d;

	for (size_t i = 0; i < d->nchanges; i++) {
		const struct diff_change *c = &d->changes[i];
		uint32_t na = diff_hier_node(h->of_a, c->a_ns), nb = diff_hier_node(h->of_b, c->b_ns);

		switch (c->kind) {
		case DIFF_BORN:
			hier_ref(h, nb, i, '+');
			break;
		case DIFF_GONE:
			hier_ref(h, na, i, '-');
			break;
		case DIFF_REPLACED:
			hier_ref(h, na, i, '-');
			hier_ref(h, nb, i, '+');
			break;
		case DIFF_STARTED:
		case DIFF_ENDED:
			break;   /* shown on the members' lines */
		case DIFF_JOINED:
		case DIFF_PINNED:
			hier_ref(h, nb, i, '+');
			break;
		case DIFF_LEFT:
		case DIFF_UNPINNED:
			hier_ref(h, na, i, '-');
			break;
		default:
			hier_ref(h, nb, i, '~');
			break;
		}
	}
}

/* Refs sorted by node, each node's slice and marker. */
static void hier_attach(struct diff_hier *h)
{
	hier_refs(h);
	qsort(h->refs, h->nrefs, sizeof(*h->refs), cmp_refs);
	for (size_t i = 0; i < h->nrefs; i++) {
		struct diff_hnode *n = &h->nodes[h->refs[i].node];
		enum diff_kind k = h->d->changes[h->refs[i].change].kind;

		if (!n->nrefs)
			n->first_ref = i;
		n->nrefs++;
		if (k == DIFF_BORN || k == DIFF_GONE || k == DIFF_REPLACED) {
			n->mark = h->refs[i].mark;
			n->replaced = k == DIFF_REPLACED;
		} else if (n->mark == ' ') {
			n->mark = '~';
		}
	}
}

/* Subtree sizes and change flags, children before parents.  Nodes are
 * created parents first, so a reverse walk sees every child first. */
static void hier_sum(struct diff_hier *h)
{
	for (size_t i = h->nnodes; i-- > 0;) {
		struct diff_hnode *n = &h->nodes[i];

		n->size = i != 0 && !n->invisible;
		n->below = n->nrefs != 0;
		for (uint32_t c = n->first; c != GRAPH_NONE; c = h->nodes[c].next) {
			n->size += h->nodes[c].size;
			n->below |= h->nodes[c].below;
		}
	}
}

void diff_hier_release(struct diff_hier *h)
{
	diff_facts_release(&h->facts);
	free(h->frames);
	free(h->orphans);
	free(h->refs);
	free(h->of_b);
	free(h->of_a);
	free(h->nodes);
	memset(h, 0, sizeof(*h));
}

int diff_hier_merge(struct diff_hier *h, const struct diff *d,
		    const struct diff_print_opts *po, const struct view *va,
		    const struct view *vb)
{
	static const struct diff_print_opts defaults;
	size_t lines = va->nlines + vb->nlines + 1;
	uint32_t *stack;

	*h = (struct diff_hier){
		.d = d, .po = po ? po : &defaults, .invisible = GRAPH_NONE,
	};
	/* One node per line at most, plus the root; the walk's stack is
	 * never deeper than the nodes. */
	h->nodes = malloc(lines * sizeof(*h->nodes));
	h->of_a = malloc((d->a->nns + 1) * sizeof(*h->of_a));
	h->of_b = malloc((d->b->nns + 1) * sizeof(*h->of_b));
	h->refs = malloc((2 * d->nchanges + 1) * sizeof(*h->refs));
	h->orphans = malloc((2 * d->nchanges + 1) * sizeof(*h->orphans));
	h->frames = malloc(lines * sizeof(*h->frames));
	stack = malloc(lines * sizeof(*stack));
	if (!h->nodes || !h->of_a || !h->of_b || !h->refs || !h->orphans ||
	    !h->frames || !stack) {
		free(stack);
		diff_hier_release(h);
		return -ENOMEM;
	}
	memset(h->of_a, 0xff, (d->a->nns + 1) * sizeof(*h->of_a));
	memset(h->of_b, 0xff, (d->b->nns + 1) * sizeof(*h->of_b));

	hier_add(h, GRAPH_NONE, GRAPH_NONE, GRAPH_NONE, false);
	hier_from_view(h, vb, true, stack);
	hier_from_view(h, va, false, stack);
	free(stack);
	hier_attach(h);
	hier_sum(h);
	int rc = diff_facts_build(&h->facts, d);
	if (rc)
		diff_hier_release(h);
	return rc;
}

int diff_hier_build(struct diff_hier *h, const struct diff *d,
		    const struct diff_print_opts *po)
{
	struct view_opts vo = diff_view_opts(&d->opts);
	struct view va, vb;
	int rc;

	if ((rc = view_build(d->b, &vo, &vb)))
		return rc;
	if ((rc = view_build(d->a, &vo, &va)) == 0) {
		rc = diff_hier_merge(h, d, po, &va, &vb);
		view_release(&va);
	}
	view_release(&vb);
	return rc;
}

void diff_hier_walk(const struct diff_hier *h, const struct diff_hier_visit *v,
		    void *ctx)
{
	struct diff_hframe *st = h->frames;
	size_t n = 0;

	if (v->enter)
		v->enter(ctx, 0, 0);
	st[n++] = (struct diff_hframe){ .node = 0, .child = h->nodes[0].first };
	while (n) {
		struct diff_hframe *f = &st[n - 1];
		uint32_t c = f->child;

		if (c == GRAPH_NONE) {
			v->leave(ctx, f->node, f->depth, f->folded, f->nfolded);
			n--;
			continue;
		}
		f->child = h->nodes[c].next;
		/* Every node is on the stack once at most (a forest), so
		 * NNODES frames suffice; the test only guards the buffer. */
		if (!diff_hier_shown(h, c) || n == h->nnodes) {
			f->folded += h->nodes[c].size;
			f->nfolded++;
			continue;
		}
		unsigned depth = f->node == 0 ? 0 : f->depth + 1;
		if (v->descend)
			v->descend(ctx, f->node, c);
		if (v->enter)
			v->enter(ctx, c, depth);
		st[n++] = (struct diff_hframe){
			.node = c, .child = h->nodes[c].first, .depth = depth,
		};
	}
}

/* ---- words of the tree and DOT ----------------------------------------- */

/* Map blanks as list_blanks (diff_list.c), newlines squeezed to a space
 * as nsshow does. */
static const struct text_blanks tree_blanks = {
	.squeeze = " \t\n", .nl_sep = ' ',
};

void diff_tree_up(FILE *out, const struct graph *g, uint32_t up, int32_t err)
{
	if (err == EPERM)
		fputs("[invisible]", out);
	else if (err || up == GRAPH_NONE)
		fputs("?", out);
	else
		fprintf(out, "%s {%llu %llu}", ns_type_name(g->ns[up].type),
			(unsigned long long)g->ns[up].key.dev,
			(unsigned long long)g->ns[up].key.ino);
}

void diff_map_words(FILE *out, const char *map, text_write_fn *write)
{
	if (!map)
		fputs("deleted", out);
	else if (!*map)
		fputs("(unset)", out);
	else
		text_squeeze(out, map, &tree_blanks, write);
}

bool diff_put_attr_change(FILE *out, const struct diff *d,
			  const struct diff_change *c, const char *arrow,
			  text_write_fn *write)
{
	const struct graph_ns *na = c->a_ns != GRAPH_NONE ? &d->a->ns[c->a_ns] : NULL;
	const struct graph_ns *nb = c->b_ns != GRAPH_NONE ? &d->b->ns[c->b_ns] : NULL;
	bool owner = c->kind == DIFF_OWNER, uid = c->kind == DIFF_UID_MAP;

	switch (c->kind) {
	case DIFF_OWNER:
	case DIFF_PARENT:
		fputs(owner ? "owner: " : "parent: ", out);
		diff_tree_up(out, d->a, owner ? na->owner : na->parent,
			     owner ? na->owner_err : na->parent_err);
		fputs(arrow, out);
		diff_tree_up(out, d->b, owner ? nb->owner : nb->parent,
			     owner ? nb->owner_err : nb->parent_err);
		return true;
	case DIFF_CREATOR:
		fprintf(out, "creator: %u%s%u", na->creator_uid, arrow,
			nb->creator_uid);
		return true;
	case DIFF_UID_MAP:
	case DIFF_GID_MAP:
		fputs(uid ? "uid_map: " : "gid_map: ", out);
		diff_map_words(out, uid ? na->uid_map : na->gid_map, write);
		fputs(arrow, out);
		diff_map_words(out, uid ? nb->uid_map : nb->gid_map, write);
		return true;
	default:
		return false;
	}
}
