/*
 * diff_facts.c — what the printers say of a change beyond the engine's
 * facts, and which changes one line stands for.
 *
 * Owns the words for workloads, host and netns names and command lines
 * that the report, the list, JSON and DOT share; the rule that collapses
 * the copies of one mount pin (every mount namespace made by copying
 * another holds a copy of its mounts, and reporting each copy buries the
 * one change under its echoes); and the "host" namespaces a process line
 * does not repeat.  Workload facts exist only in snapshots that recorded
 * them (GRAPH_HAVE_WORKLOADS): older ones read as before.
 */
#include <stdlib.h>

#include "diff_int.h"

const struct graph_proc *diff_change_proc(const struct diff *d,
					  const struct diff_change *c)
{
	const struct graph *g = diff_side_a(c->kind) ? d->a : d->b;

	return c->proc < g->nprocs ? &g->procs[c->proc] : NULL;
}

static const struct graph_workload *workload_at(const struct graph *g,
						uint32_t w)
{
	if (!(g->meta.collected & GRAPH_HAVE_WORKLOADS) || w >= g->nworkloads)
		return NULL;
	return &g->workloads[w];
}

const struct graph_workload *diff_proc_workload(const struct diff *d,
						const struct diff_change *c)
{
	const struct graph_proc *p = diff_change_proc(d, c);

	return p ? workload_at(diff_side_a(c->kind) ? d->a : d->b, p->workload)
		 : NULL;
}

const struct graph_workload *diff_ns_owner(const struct diff_facts *f,
					   const struct graph *g, uint32_t ns)
{
	const struct workload_ns_map *m = &f->wl[diff_side_of(f->d, g)];

	if (!m->ns || ns >= g->nns)
		return NULL;
	return workload_at(g, m->ns[ns].owner);
}

bool diff_facts_beside(const struct diff_facts *f, const struct diff_change *c)
{
	bool a = diff_side_a(c->kind);
	uint32_t ns = a ? c->a_ns : c->b_ns;

	return c->type >= NS_NTYPES || f->base_ns[!a][c->type] != ns;
}

void diff_put_workload(FILE *out, const struct graph_workload *w,
		       text_write_fn *write)
{
	const char *kind = graph_workload_kind_name(w->kind);

	if (w->runtime)
		write(out, w->runtime, strlen(w->runtime));
	fputc(' ', out);
	fputs(kind ? kind : "?", out);
	if (w->name) {
		fputc(' ', out);
		write(out, w->name, strlen(w->name));
	}
	if (w->id) {
		fputs(" (", out);
		write(out, w->id, strnlen(w->id, 12));
		fputc(')', out);
	}
}

bool diff_put_cmdline(FILE *out, const struct graph_proc *p,
		      text_write_fn *write)
{
	const char *s = p ? p->cmdline : NULL;
	size_t n = s ? p->cmdline_len : 0;

	if (!n)
		return false;
	for (const char *end = s + n; s < end; ) {
		const char *z = memchr(s, '\0', (size_t)(end - s));
		size_t len = z ? (size_t)(z - s) : (size_t)(end - s);

		write(out, s, len);
		s += len + 1;
		if (s < end)
			fputc(' ', out);
	}
	if (p->flags & GRAPH_PROC_CMDLINE_CUT)
		fputs("...", out);
	return true;
}

/* ---- the facts of a namespace ------------------------------------------ */

#define NETNS_NAMES_MAX 8

/* One fact: its key, and the separator the style wants before it. */
static void fact_key(FILE *out, bool tree, bool *first, const char *key)
{
	fputs(tree ? (*first ? "  [" : "; ") : " ", out);
	*first = false;
	fprintf(out, "%s=", key);
}

/* A value made of several strings: for the list (QUOTE) bare when all
 * are plain words, else quoted; the tree's brackets need no quotes. */
static void list_names(FILE *out, const char *const *names, size_t n,
		       const char *sep, bool quote)
{
	bool plain = true;

	for (size_t i = 0; i < n && plain && quote; i++)
		for (const char *p = names[i]; *p && plain; p++)
			plain = *p > ' ' && *p < 0x7f && *p != '"' &&
				*p != '\\' && *p != ',';
	quote = quote && !plain;
	if (quote)
		fputc('"', out);
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputs(sep, out);
		diff_put_escaped(out, names[i], strlen(names[i]));
	}
	if (quote)
		fputc('"', out);
}

void diff_put_ns_facts(FILE *out, const struct diff_facts *f,
		       const struct graph *g, uint32_t ns, bool tree)
{
	const struct workload_ns_map *m = &f->wl[diff_side_of(f->d, g)];
	const struct graph_ns *n = &g->ns[ns];
	const char *names[NETNS_NAMES_MAX];
	const struct graph_workload *w = diff_ns_owner(f, g, ns);
	bool first = true;

	if (w) {
		fact_key(out, tree, &first, "workload");
		if (!tree)
			fputc('"', out);
		diff_put_workload(out, w, diff_put_escaped);
		if (!tree)
			fputc('"', out);
	} else if (m->ns && m->ns[ns].n > 1) {
		fact_key(out, tree, &first, "workloads");
		fprintf(out, "%u", m->ns[ns].n);
	}
	if (n->type == NS_UTS && n->hostname) {
		fact_key(out, tree, &first, "hostname");
		list_names(out, &n->hostname, 1, "", !tree);
	}
	/* Names are a workload fact: a snapshot from before workloads
	 * diffs as it always has. */
	if (n->type == NS_NET && (g->meta.collected & GRAPH_HAVE_WORKLOADS)) {
		size_t k = workload_netns_names(g, ns, names, NETNS_NAMES_MAX);

		if (k > NETNS_NAMES_MAX)
			k = NETNS_NAMES_MAX;
		if (k) {
			fact_key(out, tree, &first, "netns");
			list_names(out, names, k, ",", !tree);
		}
	}
	if (tree && !first)
		fputc(']', out);
}

/* ---- which changes a line stands for ---------------------------------- */

static bool mount_pin(const struct diff_change *c)
{
	return (c->kind == DIFF_PINNED || c->kind == DIFF_UNPINNED) &&
	       c->pin == DIFF_PIN_MOUNT;
}

static int cmp_pins(const void *x, const void *y, void *ctx)
{
	const struct diff *d = ctx;
	const struct diff_change *a = &d->changes[*(const uint32_t *)x];
	const struct diff_change *b = &d->changes[*(const uint32_t *)y];
	int r;

	DIFF_CMP(a->kind, b->kind);
	DIFF_CMP(a->key.dev, b->key.dev);
	DIFF_CMP(a->key.ino, b->key.ino);
	if ((r = strcmp(a->path, b->path)))
		return r;
	DIFF_CMP(*(const uint32_t *)x, *(const uint32_t *)y);
	return 0;
}

/* Did the mount namespace of pin change C exist only on C's side? */
static bool mntns_new_or_gone(const struct diff *d, const struct diff_change *c)
{
	if (c->kind == DIFF_PINNED)
		return d->b_to_a[c->mntns] == GRAPH_NONE;
	return d->a_to_b[c->mntns] == GRAPH_NONE;
}

static void collapse_pins(struct diff_facts *f, uint32_t *idx, size_t n)
{
	const struct diff *d = f->d;

	qsort_r(idx, n, sizeof(*idx), cmp_pins, (void *)d);
	for (size_t i = 0; i < n; ) {
		const struct diff_change *lead = &d->changes[idx[i]];
		bool implied = true;
		size_t j = i;

		for (; j < n; j++) {
			const struct diff_change *c = &d->changes[idx[j]];

			if (c->kind != lead->kind || !diff_key_eq(c->key, lead->key) ||
			    strcmp(c->path, lead->path))
				break;
			implied &= mntns_new_or_gone(d, c);
			f->shown[idx[j]] = 0;
		}
		/* Sorted by change index last: idx[i] is the group's first. */
		f->shown[idx[i]] = implied ? 0 : (uint32_t)(j - i);
		f->npins++;
		i = j;
	}
}

/* Could every link of P of a type G's kernel has be read? */
static bool links_read(const struct graph *g, const struct graph_proc *p)
{
	uint32_t present = g->meta.types_present ? g->meta.types_present
						 : NS_ALL_TYPES;

	for (unsigned t = 0; t < NS_NTYPES; t++)
		if ((present & NS_TYPE_BIT(t)) && p->links.err[t] != 0)
			return false;
	return true;
}

/*
 * The namespaces of G's lowest PID whose links could all be read (PID 1's,
 * or PID 2's where PID 1 is unreadable, as on some hosts): what a process
 * line need not repeat.
 */
static void base_of(const struct graph *g, uint32_t *base)
{
	const struct graph_proc *low = NULL;

	for (size_t i = 0; i < g->nprocs; i++) {
		const struct graph_proc *p = &g->procs[i];

		if (p->pid == g->meta.capturer_pid || (p->flags & GRAPH_PROC_ZOMBIE) ||
		    !links_read(g, p))
			continue;
		if (!low || p->pid < low->pid)
			low = p;
	}
	for (unsigned t = 0; t < NS_NTYPES; t++)
		base[t] = low ? low->links.ns[t] : GRAPH_NONE;
}

int diff_facts_build(struct diff_facts *f, const struct diff *d)
{
	const struct graph *sides[2] = { d->a, d->b };
	uint32_t *idx;
	size_t n = 0;
	int rc;

	*f = (struct diff_facts){ .d = d };
	f->shown = malloc((d->nchanges + 1) * sizeof(*f->shown));
	idx = malloc((d->nchanges + 1) * sizeof(*idx));
	if (!f->shown || !idx) {
		free(idx);
		diff_facts_release(f);
		return -ENOMEM;
	}
	for (int s = 0; s < 2; s++) {
		base_of(sides[s], f->base_ns[s]);
		if ((sides[s]->meta.collected & GRAPH_HAVE_WORKLOADS) &&
		    (rc = workload_ns_map_build(sides[s], &f->wl[s]))) {
			free(idx);
			diff_facts_release(f);
			return rc;
		}
	}
	for (size_t i = 0; i < d->nchanges; i++) {
		const struct diff_change *c = &d->changes[i];

		f->shown[i] = 1;
		if (mount_pin(c))
			idx[n++] = (uint32_t)i;
		else if (c->kind == DIFF_PINNED || c->kind == DIFF_UNPINNED)
			f->npins++;
	}
	collapse_pins(f, idx, n);
	free(idx);
	return 0;
}

void diff_facts_release(struct diff_facts *f)
{
	for (int s = 0; s < 2; s++)
		if (f->wl[s].ns)
			workload_ns_map_free(&f->wl[s]);
	free(f->shown);
	memset(f, 0, sizeof(*f));
}
