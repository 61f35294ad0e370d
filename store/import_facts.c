/*
 * import_facts.c — the reader's side of the workload facts (see
 * import_impl.h): the enumerations, a command line, a process's workload,
 * and the workloads and interfaces as they join the graph.  Bounded as the
 * rest: a command line at GRAPH_CMDLINE_MAX, every list by the indexes.
 */
#include "import_impl.h"

#include <stdlib.h>
#include <string.h>

/* A name of NAMES for a value below its n, else an integer from n on. */
uint8_t rd_get_enum(struct rd *r, const char *key, struct jspan v,
			const struct xp_bits *names)
{
	struct jstr s;
	json_int_t x;

	if (jscan_kind(v) == JK_INTEGER) {
		if (rd_get_int(r, key, v, names->n, UINT8_MAX, &x))
			return (uint8_t)x;
		return 0;
	}
	if (!rd_need_kind(r, key, v, JK_STRING) || !rd_get_jstr(r, v, &s))
		return 0;
	unsigned k = 0;
	while (k < names->n && (strlen(names->names[k]) != s.n ||
				memcmp(names->names[k], s.s, s.n)))
		k++;
	if (k == names->n)
		rd_mfail(r, key, "unknown name \"%.*s\"", (int)s.n, s.s);
	jscan_str_free(&s);
	return k < names->n ? (uint8_t)k : 0;
}

/* A command line being read: the arguments so far, NUL between them. */
struct argv_buf {
	const char *key;
	char buf[GRAPH_CMDLINE_MAX];
	size_t len;
};

static void get_arg(struct rd *r, struct jspan elem, size_t i, void *arg)
{
	struct argv_buf *a = arg;
	const char *s;

	if (jscan_kind(elem) == JK_NULL) {
		rd_mfail(r, a->key, "an argument cannot be null");
		return;
	}
	/* Into the arena, as any string: bounded by the document, and at
	 * most GRAPH_CMDLINE_MAX bytes of them are taken. */
	s = rd_get_str(r, a->key, elem);
	if (r->err)
		return;
	size_t n = strlen(s);
	if (a->len + (i > 0) + n > sizeof(a->buf)) {
		rd_mfail(r, a->key, "longer than %d bytes", GRAPH_CMDLINE_MAX);
		return;
	}
	if (i)
		a->buf[a->len++] = '\0';
	memcpy(a->buf + a->len, s, n);
	a->len += n;
}

/* null, or the arguments: at least one (an empty command line is [""]). */
void rd_get_argv(struct rd *r, const char *key, struct jspan v,
		     struct graph_proc *p)
{
	struct argv_buf *a;

	p->cmdline = NULL;
	p->cmdline_len = 0;
	if (jscan_kind(v) == JK_NULL)
		return;
	a = malloc(sizeof(*a));
	if (!a) {
		rd_nomem(r);
		return;
	}
	a->key = key;
	a->len = 0;
	size_t n = rd_each(r, key, v, get_arg, a);
	if (!r->err && !n)
		rd_mfail(r, key, "expected null or at least one argument");
	if (!r->err) {
		p->cmdline = graph_strndup(r->g, a->buf, a->len);
		p->cmdline_len = (uint32_t)a->len;
		if (!p->cmdline)
			rd_nomem(r);
	}
	free(a);
}

/* A workload reference: null or an index into the workloads, which all
 * come before the processes. */
uint32_t rd_get_wlref(struct rd *r, const char *key, struct jspan v)
{
	json_int_t x;

	if (jscan_kind(v) == JK_NULL)
		return GRAPH_NONE;
	if (!rd_get_int(r, key, v, 0, INT64_MAX, &x))
		return GRAPH_NONE;
	if ((uint64_t)x >= r->g->nworkloads) {
		rd_mfail(r, key, "workload index %lld out of range (%zu workloads)",
			 (long long)x, r->g->nworkloads);
		return GRAPH_NONE;
	}
	return (uint32_t)x;
}

static void commit_iface(struct rd *r, void *rec, const struct jspan *vals)
{
	struct graph_iface f = *(struct graph_iface *)rec;

	(void)vals;
	if (!rd_room(r, r->g->nifaces, "interfaces"))
		return;
	struct graph_iface *nf = graph_iface_append(r->g);
	if (!nf) {
		rd_nomem(r);
		return;
	}
	f.ns = (uint32_t)(r->g->nns - 1);
	*nf = f;
}

/* Appended as they come: graph_workload_add() searches, which a hostile
 * document of many workloads would make quadratic; graph_check() proves
 * them unique (in order) at the end. */
static void commit_workload(struct rd *r, void *rec, const struct jspan *vals)
{
	struct graph *g = r->g;

	(void)vals;
	if (!rd_room(r, g->nworkloads, "workloads"))
		return;
	if (g->nworkloads == g->cap_workloads) {
		size_t cap = g->cap_workloads ? 2 * g->cap_workloads : 8;
		struct graph_workload *w = realloc(g->workloads, cap * sizeof(*w));
		if (!w) {
			rd_nomem(r);
			return;
		}
		g->workloads = w;
		g->cap_workloads = cap;
	}
	g->workloads[g->nworkloads++] = *(struct graph_workload *)rec;
}

const struct rd_kind rd_workload_kind = { &xp_workload, commit_workload };
const struct rd_kind rd_iface_kind = { &xp_iface, commit_iface };
