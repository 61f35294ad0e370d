/*
 * diff_series.c — changes along a series of snapshots: the timeline.
 *
 * Owns the timeline (one diff per step, printed as events prefixed by the
 * snapshot's time and id, joined/left grouped per namespace; the caller
 * says which snapshot of the same lineage each step compares with) and
 * the events of a step as history shares them (diff_history.c).  Changes
 * read as the list words them (diff_list.c), or as JSON rows
 * (diff_rows.c).
 */
#include <stdlib.h>

#include "diff_int.h"

/* Which processes count, as in every comparison (diff_view_opts()). */
static const struct view_opts scan_opts = { .skip_capturer = true };

size_t diff_scanned_procs(const struct graph *g)
{
	size_t n = 0;

	for (size_t i = 0; i < g->nprocs; i++)
		n += view_scans_proc(g, &scan_opts, &g->procs[i]);
	return n;
}

static const char *snap_id(const struct diff_snapshot *s)
{
	return s->id ? s->id : "-";
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

void diff_put_events(FILE *out, const struct diff *d, const char *time,
		     const char *id, diff_change_filter *keep, const void *ctx)
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
	fprintf(out, " namespaces=%zu processes=%zu\n", g->nns, diff_scanned_procs(g));
	if (!d)
		return diff_write_status(out);
	if (d->flags & DIFF_OTHER_BOOT)
		put_meta_event(out, time, id, "reboot", "boot", d->a->meta.boot_id,
			       d->b->meta.boot_id);
	if (d->flags & DIFF_OTHER_HOST)
		put_meta_event(out, time, id, "other-host", "host",
			       d->a->meta.hostname, d->b->meta.hostname);
	if (!d->flags)
		diff_put_events(out, d, time, id, NULL, NULL);
	return diff_write_status(out);
}

/* ---- timeline ----------------------------------------------------------- */

struct diff_timeline {
	FILE *out;
	enum diff_series_format fmt;
	size_t nrows;
};

int diff_timeline_begin(FILE *out, enum diff_series_format fmt,
			struct diff_timeline **tp)
{
	struct diff_timeline *t = calloc(1, sizeof(*t));

	*tp = t;
	if (!t)
		return -ENOMEM;
	t->out = out;
	t->fmt = fmt;
	if (fmt == DIFF_SERIES_JSON)
		fputs("{\"schema\":\"nsdiff-timeline/1\",\"events\":[", out);
	return 0;
}

/* Around each row: a comma between rows of a document, a newline after
 * each NDJSON row. */
static void row_begin(FILE *out, enum diff_series_format fmt, size_t *nrows)
{
	if (fmt == DIFF_SERIES_JSON)
		fputs((*nrows)++ ? ",\n" : "\n", out);
}

static void row_end(FILE *out, enum diff_series_format fmt)
{
	if (fmt == DIFF_SERIES_NDJSON)
		fputc('\n', out);
}

/* One row of a series. */
static void put_row(FILE *out, enum diff_series_format fmt, size_t *nrows,
		    const struct diff_row_at *at, const struct diff_row *r)
{
	row_begin(out, fmt, nrows);
	diff_row_put(out, at, r);
	row_end(out, fmt);
}

static void timeline_rows(struct diff_timeline *t, const struct diff_step *s)
{
	const struct diff_snapshot *at = &s->at;
	struct diff_row_at where = {
		.source = "timeline", .host = s->host, .boot = s->boot,
		.time_ns = at->time_ns, .snapshot = snap_id(at), .base = s->base,
	};
	struct diff_row r = {
		.action = "snapshot", .namespaces = (long long)s->nns,
		.processes = (long long)s->nprocs,
	};

	put_row(t->out, t->fmt, &t->nrows, &where, &r);
	r.namespaces = r.processes = -1;
	if (s->lineage) {
		r.action = "lineage";
		put_row(t->out, t->fmt, &t->nrows, &where, &r);
	}
	if (s->kind == DIFF_STEP_REBOOT) {
		r.action = "reboot";
		r.old = s->base_boot;
		r.new = s->boot;
		put_row(t->out, t->fmt, &t->nrows, &where, &r);
	}
	for (size_t i = 0; s->kind == DIFF_STEP_DIFF && s->d && i < s->d->nchanges; i++) {
		row_begin(t->out, t->fmt, &t->nrows);
		diff_row_change(t->out, &where, s->d, &s->d->changes[i]);
		row_end(t->out, t->fmt);
	}
}

static void timeline_text(struct diff_timeline *t, const struct diff_step *s)
{
	FILE *out = t->out;
	const char *id = snap_id(&s->at);
	char time[32];

	diff_format_time(s->at.time_ns, time, sizeof(time));
	fprintf(out, "%s %s snapshot host=", time, id);
	put_meta_value(out, s->host);
	fputs(" boot=", out);
	put_meta_value(out, s->boot);
	fprintf(out, " namespaces=%zu processes=%zu\n", s->nns, s->nprocs);
	if (s->lineage) {
		fprintf(out, "%s %s lineage host=", time, id);
		put_meta_value(out, s->host);
		fputs(" base=", out);
		put_meta_value(out, s->base ? s->base : "-");
		fputc('\n', out);
	}
	if (s->kind == DIFF_STEP_REBOOT)
		put_meta_event(out, time, id, "reboot", "boot", s->base_boot, s->boot);
	if (s->kind == DIFF_STEP_DIFF && s->d)
		diff_put_events(out, s->d, time, id, NULL, NULL);
}

int diff_timeline_add(struct diff_timeline *t, const struct diff_step *s)
{
	if (t->fmt == DIFF_SERIES_TEXT)
		timeline_text(t, s);
	else
		timeline_rows(t, s);
	return ferror(t->out) ? -EIO : 0;
}

int diff_timeline_end(struct diff_timeline *t)
{
	FILE *out;

	if (!t)
		return 0;
	out = t->out;
	if (t->fmt == DIFF_SERIES_JSON)
		fputs("\n]}\n", out);
	free(t);
	return diff_write_status(out);
}
