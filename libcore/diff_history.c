/*
 * diff_history.c — one namespace across a series of snapshots.
 *
 * Owns the history of nsshow --history: the namespace's lives, fed one
 * snapshot at a time so that a caller with an index of where the
 * namespace changed loads only those snapshots, and each printed as text
 * lines or as the timeline's JSON rows (diff_rows.c).  A life is one
 * namespace: where a namespace with the kernel ID of an earlier life turns
 * up again on that life's boot (a snapshot in between lacked it), that
 * life goes on; without kernel IDs, or on another boot, a new one begins.
 */
#include <stdlib.h>

#include "diff_int.h"

/* Which processes count, as in every comparison (diff_view_opts()). */
static const struct view_opts scan_opts = { .skip_capturer = true };

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

/* The processes (threads) of G in NS, numerically, as "1,2,3" into a
 * malloc'd string; NULL on ENOMEM. */
static char *members_text(const struct graph *g, uint32_t ns, bool threads)
{
	unsigned type = g->ns[ns].type;
	size_t n = 0, cap = (threads ? g->ntasks : g->nprocs) + 1, len = 0;
	int32_t *ids = malloc(cap * sizeof(*ids));
	char *text = NULL;
	FILE *out;

	if (!ids)
		return NULL;
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
	out = open_memstream(&text, &len);
	if (out) {
		for (size_t i = 0; i < n; i++)
			fprintf(out, "%s%d", i ? "," : "", (int)ids[i]);
		if (fclose(out)) {
			free(text);
			text = NULL;
		}
	}
	free(ids);
	return text;
}

/* What keeps NS of G alive besides its members, blank-separated:
 * "fd:PID:FD" for an open fd, "pid_for_children:PID" and
 * "time_for_children:PID" for a link that is not the process's own,
 * "mount:PATH" for a bind mount; "" for nothing, NULL on ENOMEM. */
static char *pins_text(const struct graph *g, uint32_t ns)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	const char *sep = "";

	if (!out)
		return NULL;
	for (size_t i = 0; i < g->nprocs; i++) {
		const struct graph_proc *p = &g->procs[i];

		if (!view_scans_proc(g, &scan_opts, p))
			continue;
		for (uint32_t k = 0; k < p->nfds; k++) {
			const struct graph_fd *f = &g->fds[p->first_fd + k];
			if (f->ns == ns && f->kind == GRAPH_FD_NSFS) {
				fprintf(out, "%sfd:%d:%d", sep, (int)p->pid, (int)f->fd);
				sep = " ";
			}
		}
	}
	for (size_t i = 0; i < g->nprocs; i++) {
		const struct graph_proc *p = &g->procs[i];
		const struct graph_links *l = &p->links;

		if (!view_scans_proc(g, &scan_opts, p))
			continue;
		/* Only where it is not the process's own: then it pins. */
		if (l->pid_for_children == ns && l->ns[NS_PID] != ns) {
			fprintf(out, "%spid_for_children:%d", sep, (int)p->pid);
			sep = " ";
		}
		if (l->time_for_children == ns && l->ns[NS_TIME] != ns) {
			fprintf(out, "%stime_for_children:%d", sep, (int)p->pid);
			sep = " ";
		}
	}
	for (size_t i = 0; i < g->nmounts; i++) {
		if (g->mounts[i].ns != ns || !g->mounts[i].path)
			continue;
		fprintf(out, "%smount:%s", sep, g->mounts[i].path);
		sep = " ";
	}
	if (fclose(out)) {
		free(text);
		return NULL;
	}
	return text;
}

/* One sighting: when, and the snapshot's name (a copy). */
struct sight {
	int64_t time_ns;
	char *id;
};

/*
 * One life of the namespace: its first and last sighting, the boot it
 * lives on, and the namespace as last seen (its type, key and ID name it
 * in the summary and in the "gone" line; the graph it came from need not
 * live on).
 */
struct life {
	struct sight first, last;
	char *boot;
	struct graph_ns ns;
};

struct diff_history {
	FILE *out;
	enum diff_series_format fmt;
	const char *spec_text;
	struct diff_ns_spec spec;
	bool threads;
	struct life *lives;
	size_t nlives, cap;
	size_t cur;               /* the life of the last sighting */
	bool alive;               /* the current life goes on */
	size_t nrows;             /* JSON rows written */
	bool head;                /* the JSON document's head is written */
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

/* Where a row of the history was seen: S (whose graph names host and
 * boot; NULL graph: those of the base). */
static struct diff_row_at row_at(const struct diff_history *h,
				 const struct diff_snapshot *s)
{
	const struct graph *g = s->g ? s->g : h->base;

	return (struct diff_row_at){
		.source = "history", .time_ns = s->time_ns, .snapshot = snap_id(s),
		.host = g ? g->meta.hostname : NULL, .boot = g ? g->meta.boot_id : NULL,
	};
}

/* The JSON document's head, once, before its first row. */
static void doc_head(struct diff_history *h)
{
	if (h->fmt != DIFF_SERIES_JSON || h->head)
		return;
	fputs("{\"schema\":\"nsshow-history/1\",\"namespace\":", h->out);
	text_json_string(h->out, h->spec_text);
	fputs(",\"events\":[", h->out);
	h->head = true;
}

static void row_begin(struct diff_history *h)
{
	doc_head(h);
	if (h->fmt == DIFF_SERIES_JSON)
		fputs(h->nrows ? ",\n" : "\n", h->out);
	h->nrows++;
}

static void row_end(struct diff_history *h)
{
	if (h->fmt == DIFF_SERIES_NDJSON)
		fputc('\n', h->out);
}

static void history_row(struct diff_history *h, const struct diff_snapshot *s,
			const struct diff_row *r)
{
	struct diff_row_at at = row_at(h, s);

	row_begin(h);
	diff_row_put(h->out, &at, r);
	row_end(h);
}

/* The namespace seen in S, as NS of its graph: the current life's last
 * sighting, and the base of the next step. */
static int history_seen(struct diff_history *h, const struct diff_snapshot *s,
			uint32_t ns)
{
	struct life *l = &h->lives[h->cur];

	h->base = s->g;
	h->base_ns = ns;
	l->ns = s->g->ns[ns];
	return sight_set(&l->last, s);
}

/* The earlier life NS of G continues: the same kernel ID on its boot. */
static size_t life_of(const struct diff_history *h, const struct graph *g,
		      uint32_t ns)
{
	const struct graph_ns *n = &g->ns[ns];

	for (size_t k = 0; diff_has_id(n) && k < h->nlives; k++) {
		const struct life *l = &h->lives[k];
		if (diff_has_id(&l->ns) && l->ns.kernel_id == n->kernel_id &&
		    l->ns.type == n->type && diff_str_eq(l->boot, g->meta.boot_id))
			return k;
	}
	return h->nlives;
}

static int life_new(struct diff_history *h, const struct diff_snapshot *s)
{
	if (h->nlives == h->cap) {
		size_t cap = h->cap ? 2 * h->cap : 4;
		struct life *more = realloc(h->lives, cap * sizeof(*more));
		if (!more)
			return -ENOMEM;
		h->lives = more;
		h->cap = cap;
	}
	struct life *l = &h->lives[h->nlives++];
	*l = (struct life){ 0 };
	h->cur = h->nlives - 1;
	if (s->g->meta.boot_id && !(l->boot = strdup(s->g->meta.boot_id)))
		return -ENOMEM;
	return sight_set(&l->first, s);
}

/* "first-seen" (a new life) or "seen-again" (an earlier one goes on), with
 * what the namespace is, its members and pins. */
static int history_first_seen(struct diff_history *h,
			      const struct diff_snapshot *s, uint32_t ns)
{
	const struct graph *g = s->g;
	size_t k = life_of(h, g, ns);
	const char *what = k < h->nlives ? "seen-again" : "first-seen";
	char *members = members_text(g, ns, h->threads);
	char *pins = pins_text(g, ns);
	int rc = members && pins ? 0 : -ENOMEM;

	if (!rc && h->fmt != DIFF_SERIES_TEXT) {
		struct diff_row r = {
			.action = what, .ns = &g->ns[ns], .members = members,
			.pins = *pins ? pins : NULL, .namespaces = -1, .processes = -1,
		};
		history_row(h, s, &r);
	} else if (!rc) {
		history_prefix(h, s);
		fprintf(h->out, "%s ", what);
		diff_put_ns(h->out, g, ns);
		diff_put_ns_fields(h->out, g, ns);
		fprintf(h->out, " members=%s", members);
		if (*pins) {
			fputs(" pins=", h->out);
			diff_put_value(h->out, pins);
		}
		fputc('\n', h->out);
	}
	free(members);
	free(pins);
	if (rc)
		return rc;
	if (k < h->nlives)
		h->cur = k;
	else if ((rc = life_new(h, s)))
		return rc;
	return history_seen(h, s, ns);
}

static void history_gone(struct diff_history *h, const struct diff_snapshot *s,
			 const char *why)
{
	const struct life *l = &h->lives[h->cur];
	char time[32];

	diff_format_time(l->last.time_ns, time, sizeof(time));
	if (h->fmt != DIFF_SERIES_TEXT) {
		struct graph_ns ns = l->ns;
		struct diff_row r = {
			.action = "gone", .ns = &ns, .old = time,
			.new = *why ? why + 8 : NULL,   /* " reason=" */
			.namespaces = -1, .processes = -1,
		};
		history_row(h, s, &r);
		return;
	}
	history_prefix(h, s);
	fputs("gone ", h->out);
	put_life_ns(h->out, l);
	fprintf(h->out, " last-seen=%s%s\n", time, why);
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

/* The events of step D to S about the namespace (A_NS to NS). */
static void history_events(struct diff_history *h, const struct diff_snapshot *s,
			   const struct diff *d, uint32_t a_ns, uint32_t ns)
{
	struct pair_ctx ctx = { .a_ns = a_ns, .b_ns = ns };
	char time[32];

	if (h->fmt == DIFF_SERIES_TEXT) {
		diff_format_time(s->time_ns, time, sizeof(time));
		diff_put_events(h->out, d, time, snap_id(s), concerns_pair, &ctx);
		return;
	}
	struct diff_row_at at = row_at(h, s);
	for (size_t i = 0; i < d->nchanges; i++) {
		if (!concerns_pair(&d->changes[i], &ctx))
			continue;
		row_begin(h);
		diff_row_change(h->out, &at, d, &d->changes[i]);
		row_end(h);
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
		history_events(h, s, &d, a_ns, ns);
		rc = history_seen(h, s, ns);
	} else {
		struct diff_change c = {
			.kind = DIFF_REPLACED, .type = nb->type, .key = nb->key,
			.a_ns = a_ns, .b_ns = ns,
			.flags = diff_has_id(na) && diff_has_id(nb) ? 0 : DIFF_C_WEAK,
		};
		if (h->fmt == DIFF_SERIES_TEXT) {
			history_prefix(h, s);
			diff_put_change(h->out, &d, &c);
			fputc('\n', h->out);
		} else {
			struct diff_row_at at = row_at(h, s);
			row_begin(h);
			diff_row_change(h->out, &at, &d, &c);
			row_end(h);
		}
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
	h->spec_text = spec;
	h->threads = o && o->search_tasks;
	*hp = h;
	return 0;
}

void diff_history_set_format(struct diff_history *h, enum diff_series_format fmt)
{
	h->fmt = fmt;
}

/* A snapshot as the one before it: nothing to compare, the life goes on
 * (and, with a graph, that graph is the base of the next step). */
static int history_unchanged(struct diff_history *h,
			     const struct diff_snapshot *s)
{
	if (!h->alive)
		return 0;
	if (!s->g)
		return sight_set(&h->lives[h->cur].last, s);
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
	bool host = h->alive && !diff_str_eq(g->meta.hostname,
					     h->base->meta.hostname);

	if (h->alive && (ns == GRAPH_NONE || reboot || host)) {
		history_gone(h, s, host ? " reason=other-host" :
				   reboot ? " reason=reboot" : "");
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
		free(h->lives[k].boot);
	}
	free(h->lives);
	free(h);
}

/* The summary as JSON: one object per life. */
static void lives_json(struct diff_history *h)
{
	FILE *out = h->out;

	doc_head(h);
	fputs("\n],\"lives\":[", out);
	for (size_t k = 0; k < h->nlives; k++) {
		const struct life *l = &h->lives[k];
		char first[48], last[48], idb[32];

		fprintf(out, "%s\n{\"life\":%zu,\"ns_type\":\"%s\",\"ns_dev\":\"%llu\","
			"\"ns_ino\":\"%llu\",\"ns_id\":", k ? "," : "", k + 1,
			ns_type_name(l->ns.type), (unsigned long long)l->ns.key.dev,
			(unsigned long long)l->ns.key.ino);
		text_json_string(out, diff_id_text(&l->ns, idb, sizeof(idb)));
		fputs(",\"boot\":", out);
		text_json_string(out, l->boot);
		fprintf(out, ",\"first_seen\":\"%s\",\"first_snapshot\":",
			text_rfc3339(l->first.time_ns, true, first, sizeof(first)));
		text_json_string(out, l->first.id);
		fprintf(out, ",\"last_seen\":\"%s\",\"last_snapshot\":",
			text_rfc3339(l->last.time_ns, true, last, sizeof(last)));
		text_json_string(out, l->last.id);
		fputc('}', out);
	}
	fputs("\n]}\n", out);
}

int diff_history_end(struct diff_history *h)
{
	FILE *out = h->out;
	int rc = h->nlives ? 0 : -ENOENT;

	if (h->fmt == DIFF_SERIES_JSON && !rc)
		lives_json(h);
	for (size_t k = 0; h->fmt == DIFF_SERIES_TEXT && k < h->nlives; k++) {
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
