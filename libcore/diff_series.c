/*
 * diff_series.c — changes along a series of snapshots.
 *
 * Owns the timeline (one diff per step, printed as events prefixed by the
 * snapshot's time and id, joined/left grouped per namespace) and the
 * history of one namespace (its lives across the series, for nsshow
 * --history).  Changes read as the list words them (diff_list.c).
 */
#include <stdlib.h>

#include "diff_int.h"

/* Which processes count, as in every comparison (diff_view_opts()). */
static const struct view_opts scan_opts = { .skip_capturer = true };

static size_t scanned_procs(const struct graph *g)
{
	size_t n = 0;

	for (size_t i = 0; i < g->nprocs; i++)
		n += view_scans_proc(g, &scan_opts, &g->procs[i]);
	return n;
}

static void put_meta_value(FILE *out, const char *s)
{
	diff_put_value(out, s ? s : "?");
}

/* "TIME ID reboot old_boot=A new_boot=B": a step that is not diffed. */
static void put_meta_event(FILE *out, const char *time, const char *id,
			   const char *event, const char *what,
			   const char *old, const char *new)
{
	fprintf(out, "%s %s %s old_%s=", time, id, event, what);
	put_meta_value(out, old);
	fprintf(out, " new_%s=", what);
	put_meta_value(out, new);
	fputc('\n', out);
}

/* Joined/left changes of one namespace in a row: [i, *end). */
static bool member_run(const struct diff *d, size_t i, size_t *end)
{
	const struct diff_change *c = &d->changes[i];
	size_t j = i + 1;

	if (c->kind != DIFF_JOINED && c->kind != DIFF_LEFT)
		return false;
	while (j < d->nchanges && d->changes[j].kind == c->kind &&
	       d->changes[j].a_ns == c->a_ns && d->changes[j].b_ns == c->b_ns)
		j++;
	*end = j;
	return true;
}

typedef bool (*change_filter)(const struct diff_change *c, const void *ctx);

/* D's changes kept by KEEP (NULL: all) as events, joined/left grouped. */
static void put_events(FILE *out, const struct diff *d, const char *time,
		       const char *id, change_filter keep, const void *ctx)
{
	for (size_t i = 0, end; i < d->nchanges; i = end) {
		const struct diff_change *c = &d->changes[i];
		uint32_t ns;
		const struct graph *g = diff_change_graph(d, c, &ns);

		end = i + 1;
		if (keep && !keep(c, ctx))
			continue;
		fprintf(out, "%s %s ", time, id);
		if (!member_run(d, i, &end)) {
			diff_put_change(out, d, c);
			fputc('\n', out);
			continue;
		}
		fprintf(out, "%s ", diff_kind_name(c->kind));
		diff_put_ns(out, g, ns);
		fputs(c->tid ? " tids=" : " pids=", out);
		for (size_t k = i; k < end; k++)
			fprintf(out, "%s%d", k > i ? "," : "",
				(int)(c->tid ? d->changes[k].tid : d->changes[k].pid));
		fputs(c->flags & DIFF_C_WEAK ? " match=weak\n" : "\n", out);
	}
}

int diff_print_events(FILE *out, const struct diff *d,
		      const struct diff_snapshot *at)
{
	const struct graph *g = at->g;
	const char *id = at->id ? at->id : "-";
	char time[32];

	diff_format_time(at->time_ns, time, sizeof(time));
	fprintf(out, "%s %s snapshot host=", time, id);
	put_meta_value(out, g->meta.hostname);
	fputs(" boot=", out);
	put_meta_value(out, g->meta.boot_id);
	fprintf(out, " namespaces=%zu processes=%zu\n", g->nns, scanned_procs(g));
	if (!d)
		return diff_write_status(out);
	if (d->flags & DIFF_OTHER_BOOT)
		put_meta_event(out, time, id, "reboot", "boot", d->a->meta.boot_id,
			       d->b->meta.boot_id);
	if (d->flags & DIFF_OTHER_HOST)
		put_meta_event(out, time, id, "other-host", "host",
			       d->a->meta.hostname, d->b->meta.hostname);
	if (!d->flags)
		put_events(out, d, time, id, NULL, NULL);
	return diff_write_status(out);
}

enum spec_kind { SPEC_NAME, SPEC_KEY, SPEC_ID };

struct ns_spec {
	enum spec_kind kind;
	int type;
	struct ns_key key;
	uint64_t id;
};

/* A decimal of LEN bytes, no sign, no blanks. */
static int parse_u64(const char *s, size_t len, uint64_t *v)
{
	*v = 0;
	if (!len)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9' || *v > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		*v = *v * 10 + (uint64_t)(s[i] - '0');
	}
	return 0;
}

static int parse_spec(const char *spec, struct ns_spec *s)
{
	const char *br = strstr(spec, ":[");
	const char *colon = strchr(spec, ':');
	size_t len = strlen(spec);

	memset(s, 0, sizeof(*s));
	if (br) {
		s->kind = SPEC_NAME;
		s->type = ns_type_from_name(spec, (size_t)(br - spec));
		if (s->type < 0 || spec[len - 1] != ']')
			return -EINVAL;
		return parse_u64(br + 2, (size_t)(spec + len - 1 - (br + 2)),
				 &s->key.ino);
	}
	if (colon) {
		s->kind = SPEC_KEY;
		if (parse_u64(spec, (size_t)(colon - spec), &s->key.dev))
			return -EINVAL;
		return parse_u64(colon + 1, strlen(colon + 1), &s->key.ino);
	}
	s->kind = SPEC_ID;
	return parse_u64(spec, len, &s->id);
}

static uint32_t spec_find(const struct graph *g, const struct ns_spec *s)
{
	if (s->kind == SPEC_KEY)
		return graph_ns_find(g, s->key);
	for (uint32_t i = 0; i < g->nns; i++) {
		const struct graph_ns *n = &g->ns[i];

		if (s->kind == SPEC_NAME ? n->key.ino == s->key.ino && n->type == s->type
					 : diff_has_id(n) && n->kernel_id == s->id)
			return i;
	}
	return GRAPH_NONE;
}

static int cmp_int32(const void *x, const void *y)
{
	int32_t a = *(const int32_t *)x, b = *(const int32_t *)y;
	return (a > b) - (a < b);
}

/* " members=1,2,3": the processes (threads) of G in NS, numerically. */
static int put_members(FILE *out, const struct graph *g, uint32_t ns,
		       bool threads)
{
	unsigned type = g->ns[ns].type;
	size_t n = 0, cap = (threads ? g->ntasks : g->nprocs) + 1;
	int32_t *ids = malloc(cap * sizeof(*ids));

	if (!ids)
		return -ENOMEM;
	for (size_t i = 0; i < g->nprocs; i++) {
		const struct graph_proc *p = &g->procs[i];

		if (!view_scans_proc(g, &scan_opts, p))
			continue;
		if (!threads) {
			if (p->links.err[type] == 0 && p->links.ns[type] == ns)
				ids[n++] = p->pid;
			continue;
		}
		for (uint32_t k = 0; !p->task_err && k < p->ntasks; k++) {
			const struct graph_task *t = &g->tasks[p->first_task + k];
			if (t->links.err[type] == 0 && t->links.ns[type] == ns)
				ids[n++] = t->tid;
		}
	}
	qsort(ids, n, sizeof(*ids), cmp_int32);
	fputs(" members=", out);
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%s%d", i ? "," : "", (int)ids[i]);
	free(ids);
	return 0;
}

struct life {
	size_t first, last;       /* snapshot positions */
	uint32_t ns;              /* index in the last one */
};

struct history {
	FILE *out;
	const struct diff_snapshot *snaps;
	bool threads;
	struct life *lives;
	size_t nlives;
};

static void history_prefix(struct history *h, size_t i)
{
	char time[32];

	fprintf(h->out, "%s %s ", diff_format_time(h->snaps[i].time_ns, time,
						     sizeof(time)),
		h->snaps[i].id ? h->snaps[i].id : "-");
}

static int history_first_seen(struct history *h, size_t i, uint32_t ns)
{
	const struct graph *g = h->snaps[i].g;
	int rc;

	history_prefix(h, i);
	fputs("first-seen ", h->out);
	diff_put_ns(h->out, g, ns);
	diff_put_ns_fields(h->out, g, ns);
	if ((rc = put_members(h->out, g, ns, h->threads)))
		return rc;
	fputc('\n', h->out);
	h->lives[h->nlives++] = (struct life){ .first = i, .last = i, .ns = ns };
	return 0;
}

static void history_gone(struct history *h, size_t i, const char *why)
{
	const struct life *l = &h->lives[h->nlives - 1];
	char time[32];

	history_prefix(h, i);
	fputs("gone ", h->out);
	diff_put_ns(h->out, h->snaps[l->last].g, l->ns);
	fprintf(h->out, " last-seen=%s%s\n",
		diff_format_time(h->snaps[l->last].time_ns, time, sizeof(time)),
		why);
}

struct pair_ctx {
	uint32_t a_ns, b_ns;
};

/* What happened to the namespace itself between two of its sightings. */
static bool concerns_pair(const struct diff_change *c, const void *ctx)
{
	const struct pair_ctx *p = ctx;

	switch (c->kind) {
	case DIFF_BORN:
	case DIFF_GONE:
	case DIFF_REPLACED:
	case DIFF_STARTED:
	case DIFF_ENDED:
		return false;
	case DIFF_LEFT:
	case DIFF_UNPINNED:
		return c->a_ns == p->a_ns;
	default:
		return c->b_ns == p->b_ns;
	}
}

/* The step from the last sighting to snapshot I, where NS has the key. */
static int history_step(struct history *h, size_t i, uint32_t ns)
{
	struct life *l = &h->lives[h->nlives - 1];
	const struct graph *a = h->snaps[l->last].g, *b = h->snaps[i].g;
	struct diff_opts o = { .search_tasks = h->threads, .deep_scan = true };
	struct diff d;
	int rc;

	if ((rc = diff_graphs(a, b, &o, &d)))
		return rc;
	const struct graph_ns *na = &a->ns[l->ns], *nb = &b->ns[ns];
	bool same;
	if (d.a_to_b[l->ns] != GRAPH_NONE) {
		same = d.a_to_b[l->ns] == ns;
	} else {
		/* Judged replaced, or outside the diff's scope: then as
		 * same_ns() judges. */
		same = diff_key_eq(na->key, nb->key) && na->type == nb->type &&
		       (!diff_has_id(na) || !diff_has_id(nb) || na->kernel_id == nb->kernel_id);
		for (size_t k = 0; k < d.nchanges && same; k++)
			if (d.changes[k].kind == DIFF_REPLACED &&
			    d.changes[k].a_ns == l->ns)
				same = false;
	}
	if (same) {
		struct pair_ctx ctx = { .a_ns = l->ns, .b_ns = ns };
		char time[32];

		diff_format_time(h->snaps[i].time_ns, time, sizeof(time));
		put_events(h->out, &d, time, h->snaps[i].id ? h->snaps[i].id : "-",
			   concerns_pair, &ctx);
		l->last = i;
		l->ns = ns;
	} else {
		struct diff_change c = {
			.kind = DIFF_REPLACED, .type = nb->type, .key = nb->key,
			.a_ns = l->ns, .b_ns = ns,
			.flags = diff_has_id(na) && diff_has_id(nb) ? 0 : DIFF_C_WEAK,
		};
		history_prefix(h, i);
		diff_put_change(h->out, &d, &c);
		fputc('\n', h->out);
		rc = history_first_seen(h, i, ns);
	}
	diff_release(&d);
	return rc;
}

int diff_history(FILE *out, const struct diff_snapshot *snaps, size_t n,
		 const char *spec, const struct diff_opts *o)
{
	struct history h = {
		.out = out, .snaps = snaps, .threads = o && o->search_tasks,
	};
	struct ns_spec s;
	bool alive = false;
	int rc = 0;

	if (parse_spec(spec, &s))
		return -EINVAL;
	h.lives = malloc((n + 1) * sizeof(*h.lives));
	if (!h.lives)
		return -ENOMEM;
	for (size_t i = 0; i < n && !rc; i++) {
		const struct graph *g = snaps[i].g;
		uint32_t ns = spec_find(g, &s);
		bool reboot = alive && !diff_str_eq(g->meta.boot_id,
					       snaps[h.lives[h.nlives - 1].last].g->meta.boot_id);

		if (alive && (ns == GRAPH_NONE || reboot)) {
			history_gone(&h, i, reboot ? " reason=reboot" : "");
			alive = false;
		}
		if (ns == GRAPH_NONE)
			continue;
		rc = alive ? history_step(&h, i, ns) : history_first_seen(&h, i, ns);
		alive = true;
	}
	for (size_t k = 0; k < h.nlives && !rc; k++) {
		const struct life *l = &h.lives[k];
		const struct graph *g = snaps[l->last].g;
		char first[32], last[32], idb[64];

		fprintf(out, "life %zu ", k + 1);
		diff_put_ns(out, g, l->ns);
		if (diff_id_text(&g->ns[l->ns], idb, sizeof(idb)))
			fprintf(out, " id=%s", idb);
		fprintf(out, " first-seen=%s first-snapshot=%s last-seen=%s last-snapshot=%s\n",
			diff_format_time(snaps[l->first].time_ns, first, sizeof(first)),
			snaps[l->first].id ? snaps[l->first].id : "-",
			diff_format_time(snaps[l->last].time_ns, last, sizeof(last)),
			snaps[l->last].id ? snaps[l->last].id : "-");
	}
	if (!rc && !h.nlives)
		rc = -ENOENT;
	free(h.lives);
	return rc ? rc : diff_write_status(out);
}
