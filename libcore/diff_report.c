/*
 * diff_report.c — the tree format's default: a diff told as an incident
 * report.
 *
 * Owns the summary line (what changed, counted), and the report after it:
 * changes grouped by the workload that owns them, namespace changes
 * before processes, each process on one line with the namespaces it
 * joined or left beside it (only those that are not the host's: a
 * process started among the host's namespaces says "started", not eight
 * "joined"), and the copies of one mount pin as one line.  --verbose or
 * --all print the hierarchy instead (diff_tree.c), after the same summary.
 */
#include <stdlib.h>

#include "diff_int.h"

/* ---- the summary ---------------------------------------------------------- */

struct counts {
	size_t kind[DIFF_NKINDS];
	size_t types[3][NS_NTYPES];     /* born, gone, replaced per type */
	size_t moved;                   /* processes that joined or left */
	size_t wl_started, wl_ended;
};

struct pkey {
	int32_t pid;
	uint64_t start;
};

static int cmp_pkeys(const void *x, const void *y)
{
	const struct pkey *a = x, *b = y;

	DIFF_CMP(a->pid, b->pid);
	DIFF_CMP(a->start, b->start);
	return 0;
}

static int cmp_str(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

static int cmp_workloads(const struct graph_workload *a,
			 const struct graph_workload *b)
{
	int r;

	if (!a || !b)
		return (a != NULL) - (b != NULL);
	if ((r = cmp_str(a->runtime, b->runtime)))
		return r;
	return cmp_str(a->id, b->id);
}

/* Workloads only one side has; both lists are in (runtime, id) order. */
static void count_workloads(struct counts *n, const struct diff *d)
{
	const struct graph *a = d->a, *b = d->b;
	size_t i = 0, j = 0;

	if (!(a->meta.collected & b->meta.collected & GRAPH_HAVE_WORKLOADS))
		return;
	while (i < a->nworkloads || j < b->nworkloads) {
		int r = i == a->nworkloads ? 1 : j == b->nworkloads ? -1 :
			cmp_workloads(&a->workloads[i], &b->workloads[j]);

		n->wl_ended += r < 0;
		n->wl_started += r > 0;
		i += r <= 0;
		j += r >= 0;
	}
}

/* Processes that joined or left without starting or ending. */
static int count_moved(struct counts *n, const struct diff *d)
{
	struct pkey *k = malloc((d->nchanges + 1) * sizeof(*k));
	size_t m = 0;

	if (!k)
		return -ENOMEM;
	for (size_t i = 0; i < d->nchanges; i++) {
		const struct diff_change *c = &d->changes[i];

		if ((c->kind == DIFF_JOINED || c->kind == DIFF_LEFT) &&
		    !(c->flags & (DIFF_C_NEWPROC | DIFF_C_ENDPROC)))
			k[m++] = (struct pkey){ c->pid, c->start };
	}
	qsort(k, m, sizeof(*k), cmp_pkeys);
	for (size_t i = 0; i < m; i++)
		n->moved += i == 0 || cmp_pkeys(&k[i - 1], &k[i]) != 0;
	free(k);
	return 0;
}

static int count(struct counts *n, const struct diff_facts *f)
{
	const struct diff *d = f->d;

	memset(n, 0, sizeof(*n));
	for (size_t i = 0; i < d->nchanges; i++) {
		const struct diff_change *c = &d->changes[i];

		n->kind[c->kind]++;
		if (c->kind <= DIFF_REPLACED && c->type < NS_NTYPES)
			n->types[c->kind][c->type]++;
	}
	count_workloads(n, d);
	return count_moved(n, d);
}

/* "N thing(s)" after SEP when N; *SEP becomes ", ". */
static void piece(FILE *out, const char **sep, size_t n, const char *one,
		  const char *many, const char *what)
{
	if (!n)
		return;
	fprintf(out, "%s%zu%s%s%s", *sep, n, one ? " " : "",
		one ? (n == 1 ? one : many) : "", what);
	*sep = ", ";
}

/* " (2 net, uts)" */
static void type_list(FILE *out, const size_t *types)
{
	const char *sep = " (";

	for (unsigned t = 0; t < NS_NTYPES; t++) {
		if (!types[t])
			continue;
		fputs(sep, out);
		if (types[t] > 1)
			fprintf(out, "%zu ", types[t]);
		fputs(ns_type_name(t), out);
		sep = ", ";
	}
	fputc(')', out);
}

int diff_put_summary(FILE *out, const struct diff_facts *f)
{
	static const char *const ns_words[] = { " born", " gone", " replaced" };
	struct counts n;
	const char *group = "summary: ", *sep;
	int rc;

	if (!f->d->nchanges) {
		fputs("no differences\n", out);
		return 0;
	}
	if ((rc = count(&n, f)))
		return rc;
	if (n.wl_started || n.wl_ended) {
		sep = group;
		piece(out, &sep, n.wl_started, "workload", "workloads", " started");
		piece(out, &sep, n.wl_ended, n.wl_started ? NULL : "workload",
		      "workloads", " ended");
		group = "; ";
	}
	size_t np = n.kind[DIFF_STARTED] + n.kind[DIFF_ENDED] + n.moved;
	if (np) {
		sep = group;
		piece(out, &sep, n.kind[DIFF_STARTED], "process", "processes", " started");
		piece(out, &sep, n.kind[DIFF_ENDED],
		      n.kind[DIFF_STARTED] ? NULL : "process", "processes", " ended");
		piece(out, &sep, n.moved, n.kind[DIFF_STARTED] + n.kind[DIFF_ENDED]
		      ? NULL : "process", "processes", " moved");
		group = "; ";
	}
	bool first = true;
	for (unsigned k = DIFF_BORN; k <= DIFF_REPLACED; k++) {
		if (!n.kind[k])
			continue;
		fprintf(out, "%s%zu%s%s", first ? group : ", ", n.kind[k],
			first ? (n.kind[k] == 1 ? " namespace" : " namespaces") : "",
			ns_words[k]);
		type_list(out, n.types[k]);
		first = false;
		group = "; ";
	}
	size_t maps = n.kind[DIFF_UID_MAP] + n.kind[DIFF_GID_MAP];
	size_t owners = n.kind[DIFF_OWNER] + n.kind[DIFF_PARENT] + n.kind[DIFF_CREATOR];
	if (maps || owners || f->npins) {
		sep = group;
		piece(out, &sep, maps, "map", "maps", "");
		piece(out, &sep, owners, "owner", "owners", "");
		piece(out, &sep, f->npins, "pin", "pins", "");
		fputs(" changed", out);
	}
	fputc('\n', out);
	return 0;
}

/* ---- the report ------------------------------------------------------------ */

/* One line of the report: a namespace change, or a process. */
struct item {
	const struct graph_workload *wl;
	bool proc;
	int32_t pid;
	uint64_t start;
	uint32_t change;          /* the change; for a process its first */
	uint32_t nchanges;        /* a process: its changes, from 'change' in
				     the process order (struct report.order) */
};

struct report {
	FILE *out;
	const struct diff *d;
	const struct diff_facts *f;
	bool color;
	uint32_t *order;          /* process changes by (pid, start, kind) */
	struct item *items;
	size_t nitems;
};

static bool proc_kind(enum diff_kind k)
{
	return k == DIFF_STARTED || k == DIFF_ENDED || k == DIFF_JOINED ||
	       k == DIFF_LEFT;
}

static int cmp_order(const void *x, const void *y, void *ctx)
{
	const struct diff *d = ctx;
	uint32_t i = *(const uint32_t *)x, j = *(const uint32_t *)y;
	const struct diff_change *a = &d->changes[i], *b = &d->changes[j];

	DIFF_CMP(a->pid, b->pid);
	DIFF_CMP(a->start, b->start);
	DIFF_CMP(i, j);
	return 0;
}

static int cmp_items(const void *x, const void *y)
{
	const struct item *a = x, *b = y;
	int r = cmp_workloads(a->wl, b->wl);

	if (r)
		return r;
	DIFF_CMP(a->proc, b->proc);
	DIFF_CMP(a->change, b->change);
	return 0;
}

/* The workload a namespace change belongs to: its namespace's owner. */
static const struct graph_workload *ns_item_workload(const struct report *r,
						     const struct diff_change *c)
{
	const struct graph_workload *w = NULL;

	if (c->b_ns != GRAPH_NONE && !diff_side_a(c->kind))
		w = diff_ns_owner(r->f, r->d->b, c->b_ns);
	if (!w && c->a_ns != GRAPH_NONE)
		w = diff_ns_owner(r->f, r->d->a, c->a_ns);
	return w;
}

static int report_items(struct report *r)
{
	const struct diff *d = r->d;
	size_t np = 0;

	r->order = malloc((d->nchanges + 1) * sizeof(*r->order));
	r->items = malloc((d->nchanges + 1) * sizeof(*r->items));
	if (!r->order || !r->items)
		return -ENOMEM;
	for (size_t i = 0; i < d->nchanges; i++) {
		const struct diff_change *c = &d->changes[i];

		if (proc_kind(c->kind))
			r->order[np++] = (uint32_t)i;
		else if (r->f->shown[i])
			r->items[r->nitems++] = (struct item){
				.wl = ns_item_workload(r, c), .change = (uint32_t)i,
			};
	}
	qsort_r(r->order, np, sizeof(*r->order), cmp_order, (void *)d);
	for (size_t i = 0; i < np; ) {
		const struct diff_change *c = &d->changes[r->order[i]];
		struct item it = { .proc = true, .pid = c->pid, .start = c->start,
				   .change = (uint32_t)i };
		size_t j = i;

		for (; j < np; j++) {
			const struct diff_change *o = &d->changes[r->order[j]];

			if (o->pid != c->pid || o->start != c->start)
				break;
			if (!it.wl)
				it.wl = diff_proc_workload(d, o);
		}
		it.nchanges = (uint32_t)(j - i);
		r->items[r->nitems++] = it;
		i = j;
	}
	qsort(r->items, r->nitems, sizeof(*r->items), cmp_items);
	return 0;
}

static void report_ns_line(const struct report *r, const struct diff_change *c,
			   unsigned indent)
{
	const struct diff *d = r->d;
	uint32_t ns;
	const struct graph *g = diff_change_graph(d, c, &ns);
	char mark = c->kind == DIFF_BORN || c->kind == DIFF_PINNED ? '+' :
		    c->kind == DIFF_GONE || c->kind == DIFF_UNPINNED ? '-' : '~';
	FILE *out = r->out;

	diff_line_begin(out, r->color, mark, indent);
	if (c->kind == DIFF_BORN || c->kind == DIFF_GONE)
		diff_tree_ns_text(out, d, g, ns);
	else
		diff_tree_up(out, g, ns, 0);
	switch (c->kind) {
	case DIFF_BORN:
	case DIFF_GONE:
		diff_put_ns_facts(out, r->f, g, ns, true);
		break;
	case DIFF_REPLACED: {
		const struct graph_ns *na = &d->a->ns[c->a_ns], *nb = &d->b->ns[c->b_ns];

		fputs(" replaced", out);
		if (na->type != nb->type)
			fprintf(out, " by %s", ns_type_name(nb->type));
		if (diff_has_id(na) && diff_has_id(nb))
			fprintf(out, ", id %llu -> %llu",
				(unsigned long long)na->kernel_id,
				(unsigned long long)nb->kernel_id);
		diff_put_ns_facts(out, r->f, d->b, c->b_ns, true);
		break;
	}
	case DIFF_PINNED:
	case DIFF_UNPINNED:
		fputs(" pin: ", out);
		if (c->pin != DIFF_PIN_MOUNT || r->f->shown[c - d->changes] < 2) {
			/* the tree's words, less its own "pin: " */
			diff_tree_pin(out, d, c);
		} else {
			fputs("bind mount ", out);
			diff_put_value(out, c->path);
			fprintf(out, " (in %u mount namespaces)",
				r->f->shown[c - d->changes]);
		}
		break;
	default:
		fputc(' ', out);
		diff_put_attr_change(out, d, c, " -> ", diff_put_escaped);
		break;
	}
	diff_line_end(out, r->color, mark);
}

/* The namespaces of KIND among a process's changes, those worth naming
 * (ALL: every one), after WORD; *FIRST tells whether one was. */
static void beside(const struct report *r, const struct item *it,
		   enum diff_kind kind, const char *word, bool all, bool *any)
{
	const struct diff *d = r->d;
	bool first = true;

	for (uint32_t k = 0; k < it->nchanges; k++) {
		const struct diff_change *c = &d->changes[r->order[it->change + k]];
		uint32_t ns;

		if (c->kind != kind || !(all || diff_facts_beside(r->f, c)))
			continue;
		/* With threads as members, one change per thread: once. */
		if (k > 0) {
			const struct diff_change *p =
				&d->changes[r->order[it->change + k - 1]];
			if (p->kind == kind && diff_key_eq(p->key, c->key))
				continue;
		}
		fputs(first ? word : ", ", r->out);
		first = false;
		*any = true;
		const struct graph *g = diff_change_graph(d, c, &ns);
		diff_tree_up(r->out, g, ns, 0);
	}
}

static void report_proc_line(const struct report *r, const struct item *it,
			     unsigned indent)
{
	const struct diff *d = r->d;
	const struct diff_change *c = &d->changes[r->order[it->change]];
	bool started = c->kind == DIFF_STARTED, ended = c->kind == DIFF_ENDED;
	char mark = started ? '+' : ended ? '-' : '~';
	bool any = false;

	diff_line_begin(r->out, r->color, mark, indent);
	diff_tree_proc(r->out, d, c, started || ended);
	if (started || ended) {
		fputs(started ? " (started)" : " (ended)", r->out);
		beside(r, it, started ? DIFF_JOINED : DIFF_LEFT,
		       started ? " in " : " was in ", false, &any);
	} else {
		beside(r, it, DIFF_JOINED, ": joined ", true, &any);
		beside(r, it, DIFF_LEFT, any ? "; left " : ": left ", true, &any);
	}
	diff_line_end(r->out, r->color, mark);
}

static void report_group_header(const struct report *r,
				const struct graph_workload *w)
{
	fputs("workload ", r->out);
	diff_put_workload(r->out, w, diff_put_escaped);
	fputs(":\n", r->out);
}

static int report_write(FILE *out, const struct diff *d,
			const struct diff_print_opts *po)
{
	struct diff_facts f;
	struct report r = { .out = out, .d = d, .f = &f, .color = po->color };
	int rc;

	/* What the hierarchy's views refuse, the report refuses too. */
	if ((rc = graph_check(d->a, NULL, 0)) || (rc = graph_check(d->b, NULL, 0)))
		return rc;
	if ((rc = diff_facts_build(&f, d)))
		return rc;
	if ((rc = report_items(&r)) == 0) {
		diff_tree_header(out, d, po);
		rc = diff_put_summary(out, &f);
		for (size_t i = 0; !rc && i < r.nitems; i++) {
			const struct item *it = &r.items[i];
			bool new_group = i == 0 ||
				cmp_workloads(r.items[i - 1].wl, it->wl) != 0;

			if (new_group && it->wl)
				report_group_header(&r, it->wl);
			if (it->proc)
				report_proc_line(&r, it, it->wl ? 4 : 0);
			else
				report_ns_line(&r, &d->changes[it->change], it->wl ? 4 : 0);
		}
		if (!rc)
			rc = diff_write_status(out);
	}
	free(r.order);
	free(r.items);
	diff_facts_release(&f);
	return rc;
}

int diff_print_tree(FILE *out, const struct diff *d,
		    const struct diff_print_opts *po)
{
	static const struct diff_print_opts defaults;
	struct diff_hier h;
	int rc;

	if (!po)
		po = &defaults;
	if (!po->verbose && !po->all)
		return report_write(out, d, po);
	if ((rc = diff_hier_build(&h, d, po)))
		return rc;
	rc = diff_tree_write(out, &h);
	diff_hier_release(&h);
	return rc;
}
