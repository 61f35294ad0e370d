/*
 * diff_series.c — changes along a series of snapshots.
 *
 * Owns the timeline (one diff per step, printed as events prefixed by the
 * snapshot's time and id, joined/left grouped per namespace) and the
 * history of one namespace (its lives across the series, for nsshow
 * --history, fed one snapshot at a time so that a caller with an index of
 * where the namespace changed loads only those snapshots).  Changes read
 * as the list words them (diff_list.c).
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

int diff_ns_spec_parse(const char *spec, struct diff_ns_spec *s)
{
	const char *br = strstr(spec, ":[");
	const char *colon = strchr(spec, ':');
	size_t len = strlen(spec);

	memset(s, 0, sizeof(*s));
	if (br) {
		int type = ns_type_from_name(spec, (size_t)(br - spec));
		s->kind = DIFF_SPEC_NAME;
		if (type < 0 || spec[len - 1] != ']')
			return -EINVAL;
		s->type = (unsigned)type;
		return parse_u64(br + 2, (size_t)(spec + len - 1 - (br + 2)),
				 &s->key.ino);
	}
	if (colon) {
		s->kind = DIFF_SPEC_KEY;
		if (parse_u64(spec, (size_t)(colon - spec), &s->key.dev))
			return -EINVAL;
		return parse_u64(colon + 1, strlen(colon + 1), &s->key.ino);
	}
	s->kind = DIFF_SPEC_ID;
	return parse_u64(spec, len, &s->id);
}

bool diff_ns_spec_match(const struct diff_ns_spec *s, const struct graph_ns *n)
{
	switch (s->kind) {
	case DIFF_SPEC_KEY:
		return diff_key_eq(n->key, s->key);
	case DIFF_SPEC_NAME:
		return n->key.ino == s->key.ino && n->type == s->type;
	default:
		return diff_has_id(n) && n->kernel_id == s->id;
	}
}

/* The namespace S names in G: the first that answers. */
static uint32_t spec_find(const struct graph *g, const struct diff_ns_spec *s)
{
	if (s->kind == DIFF_SPEC_KEY)
		return graph_ns_find(g, s->key);
	for (uint32_t i = 0; i < g->nns; i++)
		if (diff_ns_spec_match(s, &g->ns[i]))
			return i;
	return GRAPH_NONE;
}

/* The options of every step of a history. */
static struct diff_opts step_opts(bool threads)
{
	return (struct diff_opts){ .search_tasks = threads, .deep_scan = true };
}

void diff_history_scan(struct view_opts *out)
{
	struct diff_opts o = step_opts(false);

	*out = diff_view_opts(&o);
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

/* One sighting: when, and the snapshot's name (a copy). */
struct sight {
	int64_t time_ns;
	char *id;
};

/*
 * One life of the namespace: its first and last sighting, and the
 * namespace as last seen (its type, key and ID name it in the summary and
 * in the "gone" line; the graph it came from need not live on).
 */
struct life {
	struct sight first, last;
	struct graph_ns ns;
};

struct diff_history {
	FILE *out;
	struct diff_ns_spec spec;
	bool threads;
	struct life *lives;
	size_t nlives, cap;
	bool alive;               /* the last life goes on */
	/* The graph of the latest sighting and the namespace's index in it:
	 * what the next step compares with. */
	const struct graph *base;
	uint32_t base_ns;
};

static const char *snap_id(const struct diff_snapshot *s)
{
	return s->id ? s->id : "-";
}

static int sight_set(struct sight *t, const struct diff_snapshot *s)
{
	char *id = strdup(snap_id(s));

	if (!id)
		return -ENOMEM;
	free(t->id);
	t->id = id;
	t->time_ns = s->time_ns;
	return 0;
}

/* "type:[inode]" of a life's namespace, as diff_put_ns() words it. */
static void put_life_ns(FILE *out, const struct life *l)
{
	struct graph_ns ns = l->ns;
	const struct graph one = { .ns = &ns, .nns = 1 };

	diff_put_ns(out, &one, 0);
}

static void history_prefix(struct diff_history *h, const struct diff_snapshot *s)
{
	char time[32];

	fprintf(h->out, "%s %s ", diff_format_time(s->time_ns, time, sizeof(time)),
		snap_id(s));
}

/* The namespace seen in S, as NS of its graph: the current life's last
 * sighting, and the base of the next step. */
static int history_seen(struct diff_history *h, const struct diff_snapshot *s,
			uint32_t ns)
{
	struct life *l = &h->lives[h->nlives - 1];

	h->base = s->g;
	h->base_ns = ns;
	l->ns = s->g->ns[ns];
	return sight_set(&l->last, s);
}

static int history_first_seen(struct diff_history *h,
			      const struct diff_snapshot *s, uint32_t ns)
{
	const struct graph *g = s->g;
	int rc;

	if (h->nlives == h->cap) {
		size_t cap = h->cap ? 2 * h->cap : 4;
		struct life *more = realloc(h->lives, cap * sizeof(*more));
		if (!more)
			return -ENOMEM;
		h->lives = more;
		h->cap = cap;
	}
	history_prefix(h, s);
	fputs("first-seen ", h->out);
	diff_put_ns(h->out, g, ns);
	diff_put_ns_fields(h->out, g, ns);
	if ((rc = put_members(h->out, g, ns, h->threads)))
		return rc;
	fputc('\n', h->out);
	h->lives[h->nlives++] = (struct life){ 0 };
	if ((rc = sight_set(&h->lives[h->nlives - 1].first, s)))
		return rc;
	return history_seen(h, s, ns);
}

static void history_gone(struct diff_history *h, const struct diff_snapshot *s,
			 const char *why)
{
	const struct life *l = &h->lives[h->nlives - 1];
	char time[32];

	history_prefix(h, s);
	fputs("gone ", h->out);
	put_life_ns(h->out, l);
	fprintf(h->out, " last-seen=%s%s\n",
		diff_format_time(l->last.time_ns, time, sizeof(time)), why);
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

/* The step from the last sighting to S, where NS has the key. */
static int history_step(struct diff_history *h, const struct diff_snapshot *s,
			uint32_t ns)
{
	const struct graph *a = h->base, *b = s->g;
	struct diff_opts o = step_opts(h->threads);
	uint32_t a_ns = h->base_ns;
	struct diff d;
	int rc;

	if ((rc = diff_graphs(a, b, &o, &d)))
		return rc;
	const struct graph_ns *na = &a->ns[a_ns], *nb = &b->ns[ns];
	bool same;
	if (d.a_to_b[a_ns] != GRAPH_NONE) {
		same = d.a_to_b[a_ns] == ns;
	} else {
		/* Judged replaced, or outside the diff's scope: then as
		 * same_ns() judges. */
		same = diff_key_eq(na->key, nb->key) && na->type == nb->type &&
		       (!diff_has_id(na) || !diff_has_id(nb) || na->kernel_id == nb->kernel_id);
		for (size_t k = 0; k < d.nchanges && same; k++)
			if (d.changes[k].kind == DIFF_REPLACED &&
			    d.changes[k].a_ns == a_ns)
				same = false;
	}
	if (same) {
		struct pair_ctx ctx = { .a_ns = a_ns, .b_ns = ns };
		char time[32];

		diff_format_time(s->time_ns, time, sizeof(time));
		put_events(h->out, &d, time, snap_id(s), concerns_pair, &ctx);
		rc = history_seen(h, s, ns);
	} else {
		struct diff_change c = {
			.kind = DIFF_REPLACED, .type = nb->type, .key = nb->key,
			.a_ns = a_ns, .b_ns = ns,
			.flags = diff_has_id(na) && diff_has_id(nb) ? 0 : DIFF_C_WEAK,
		};
		history_prefix(h, s);
		diff_put_change(h->out, &d, &c);
		fputc('\n', h->out);
		rc = history_first_seen(h, s, ns);
	}
	diff_release(&d);
	return rc;
}

int diff_history_begin(FILE *out, const char *spec, const struct diff_opts *o,
		       struct diff_history **hp)
{
	struct diff_history *h;

	*hp = NULL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	if (diff_ns_spec_parse(spec, &h->spec)) {
		free(h);
		return -EINVAL;
	}
	h->out = out;
	h->threads = o && o->search_tasks;
	*hp = h;
	return 0;
}

/* A snapshot as the one before it: nothing to compare, the life goes on
 * (and, with a graph, that graph is the base of the next step). */
static int history_unchanged(struct diff_history *h,
			     const struct diff_snapshot *s)
{
	if (!h->alive)
		return 0;
	if (!s->g)
		return sight_set(&h->lives[h->nlives - 1].last, s);
	uint32_t ns = spec_find(s->g, &h->spec);
	if (ns == GRAPH_NONE)
		return -EINVAL;     /* not as the one before, after all */
	return history_seen(h, s, ns);
}

int diff_history_add(struct diff_history *h, const struct diff_snapshot *s,
		     bool unchanged)
{
	const struct graph *g = s->g;

	if (unchanged)
		return history_unchanged(h, s);
	if (!g)
		return -EINVAL;
	uint32_t ns = spec_find(g, &h->spec);
	bool reboot = h->alive && !diff_str_eq(g->meta.boot_id,
					       h->base->meta.boot_id);

	if (h->alive && (ns == GRAPH_NONE || reboot)) {
		history_gone(h, s, reboot ? " reason=reboot" : "");
		h->alive = false;
	}
	if (ns == GRAPH_NONE)
		return 0;
	int rc = h->alive ? history_step(h, s, ns) : history_first_seen(h, s, ns);
	h->alive = true;
	return rc;
}

void diff_history_free(struct diff_history *h)
{
	if (!h)
		return;
	for (size_t k = 0; k < h->nlives; k++) {
		free(h->lives[k].first.id);
		free(h->lives[k].last.id);
	}
	free(h->lives);
	free(h);
}

int diff_history_end(struct diff_history *h)
{
	FILE *out = h->out;
	int rc = h->nlives ? 0 : -ENOENT;

	for (size_t k = 0; k < h->nlives; k++) {
		const struct life *l = &h->lives[k];
		char first[32], last[32], idb[64];

		fprintf(out, "life %zu ", k + 1);
		put_life_ns(out, l);
		if (diff_id_text(&l->ns, idb, sizeof(idb)))
			fprintf(out, " id=%s", idb);
		fprintf(out, " first-seen=%s first-snapshot=%s last-seen=%s last-snapshot=%s\n",
			diff_format_time(l->first.time_ns, first, sizeof(first)),
			l->first.id,
			diff_format_time(l->last.time_ns, last, sizeof(last)),
			l->last.id);
	}
	diff_history_free(h);
	return rc ? rc : diff_write_status(out);
}

int diff_history(FILE *out, const struct diff_snapshot *snaps, size_t n,
		 const char *spec, const struct diff_opts *o)
{
	struct diff_history *h;
	int rc = diff_history_begin(out, spec, o, &h);

	for (size_t i = 0; i < n && !rc; i++)
		rc = diff_history_add(h, &snaps[i], false);
	if (rc) {
		diff_history_free(h);
		return rc;
	}
	return diff_history_end(h);
}
