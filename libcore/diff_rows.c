/*
 * diff_rows.c — timeline and history events as flat JSON rows.
 *
 * Owns the row schema "nsnap-event/1" (nsdiff(1), JSON TIMELINE): one
 * object per event, every column present in every row (null where it does
 * not apply), values scalars, so that a row loads as it is into a table
 * (ClickHouse's JSONEachRow, jq, pandas).  A row names its snapshot, host,
 * boot and time, the action, and the namespace by type, device, inode and
 * kernel ID; a grouped "joined pids=1,2" of the text is one row per
 * process.  64-bit numbers are strings, as in nsdiff's JSON.
 */
#include <inttypes.h>

#include "diff_int.h"

static void put_str(FILE *out, const char *key, const char *v)
{
	fprintf(out, ",\"%s\":", key);
	text_json_string(out, v);
}

static void put_u64(FILE *out, const char *key, bool have, uint64_t v)
{
	if (have)
		fprintf(out, ",\"%s\":\"%" PRIu64 "\"", key, v);
	else
		fprintf(out, ",\"%s\":null", key);
}

static void put_int(FILE *out, const char *key, bool have, long long v)
{
	if (have)
		fprintf(out, ",\"%s\":%lld", key, v);
	else
		fprintf(out, ",\"%s\":null", key);
}

void diff_row_put(FILE *out, const struct diff_row_at *at,
		  const struct diff_row *r)
{
	const struct graph_ns *ns = r->ns;
	char time[48];

	fputs("{\"schema\":\"nsnap-event/1\"", out);
	put_str(out, "source", at->source);
	put_str(out, "host", at->host);
	put_str(out, "boot", at->boot);
	put_str(out, "time", text_rfc3339(at->time_ns, true, time, sizeof(time)));
	fprintf(out, ",\"time_ns\":\"%" PRId64 "\"", at->time_ns);
	put_str(out, "snapshot", at->snapshot);
	put_str(out, "base", at->base);
	put_str(out, "action", r->action);
	put_str(out, "ns_type", ns ? ns_type_name(ns->type) : NULL);
	put_u64(out, "ns_dev", ns, ns ? ns->key.dev : 0);
	put_u64(out, "ns_ino", ns, ns ? ns->key.ino : 0);
	put_u64(out, "ns_id", ns && diff_has_id(ns), ns ? ns->kernel_id : 0);
	put_int(out, "pid", r->pid > 0, r->pid);
	put_int(out, "tid", r->tid > 0, r->tid);
	put_u64(out, "start", r->pid > 0, r->start);
	put_str(out, "comm", r->pid > 0 ? r->comm : NULL);
	put_str(out, "pin", r->pin);
	put_int(out, "fd", r->has_fd, r->fd);
	put_u64(out, "pin_mntns_ino", r->mntns, r->mntns ? r->mntns->key.ino : 0);
	put_str(out, "path", r->path);
	put_str(out, "old", r->old);
	put_str(out, "new", r->new);
	put_str(out, "members", r->members);
	put_str(out, "pins", r->pins);
	put_int(out, "namespaces", r->namespaces >= 0, r->namespaces);
	put_int(out, "processes", r->processes >= 0, r->processes);
	fprintf(out, ",\"weak\":%s}", r->weak ? "true" : "false");
}

static const char *pin_word(enum diff_pin pin)
{
	switch (pin) {
	case DIFF_PIN_FD:
		return "fd";
	case DIFF_PIN_MOUNT:
		return "mount";
	case DIFF_PIN_PID_FOR_CHILDREN:
		return "pid_for_children";
	case DIFF_PIN_TIME_FOR_CHILDREN:
		return "time_for_children";
	default:
		return NULL;
	}
}

/* "user:[4026531837]" of G's namespace I into BUF; NULL when ERR says it
 * is not known. */
static const char *ns_ref(const struct graph *g, uint32_t i, int32_t err,
			  char *buf, size_t len)
{
	if (err || i >= g->nns)
		return NULL;
	snprintf(buf, len, "%s:[%" PRIu64 "]", ns_type_name(g->ns[i].type),
		 g->ns[i].key.ino);
	return buf;
}

static const char *creator(const struct graph_ns *n, char *buf, size_t len)
{
	if (!(n->flags & GRAPH_NS_HAS_CREATOR))
		return NULL;
	snprintf(buf, len, "%" PRIu32, n->creator_uid);
	return buf;
}

static const char *kernel_id(const struct graph_ns *n, char *buf, size_t len)
{
	if (!diff_has_id(n))
		return NULL;
	snprintf(buf, len, "%" PRIu64, n->kernel_id);
	return buf;
}

void diff_row_change(FILE *out, const struct diff_row_at *at,
		     const struct diff *d, const struct diff_change *c)
{
	bool side_a = diff_side_a(c->kind);
	const struct graph *g = side_a ? d->a : d->b;
	uint32_t i = side_a ? c->a_ns : c->b_ns;
	struct diff_row r = {
		.action = diff_kind_name(c->kind), .pid = c->pid, .tid = c->tid,
		.start = c->start, .comm = c->comm, .pin = pin_word(c->pin),
		.has_fd = c->pin == DIFF_PIN_FD, .fd = c->fd, .path = c->path,
		.namespaces = -1, .processes = -1,
		.weak = c->flags & DIFF_C_WEAK,
	};
	char ob[64], nb[64];

	if (i < g->nns)
		r.ns = &g->ns[i];
	if (c->pin == DIFF_PIN_MOUNT && c->mntns < g->nns)
		r.mntns = &g->ns[c->mntns];
	/* The attribute changes: what it was, what it is. */
	if (c->a_ns < d->a->nns && c->b_ns < d->b->nns) {
		const struct graph_ns *na = &d->a->ns[c->a_ns], *nb_ = &d->b->ns[c->b_ns];
		switch (c->kind) {
		case DIFF_REPLACED:
			r.old = kernel_id(na, ob, sizeof(ob));
			r.new = kernel_id(nb_, nb, sizeof(nb));
			break;
		case DIFF_OWNER:
			r.old = ns_ref(d->a, na->owner, na->owner_err, ob, sizeof(ob));
			r.new = ns_ref(d->b, nb_->owner, nb_->owner_err, nb, sizeof(nb));
			break;
		case DIFF_PARENT:
			r.old = ns_ref(d->a, na->parent, na->parent_err, ob, sizeof(ob));
			r.new = ns_ref(d->b, nb_->parent, nb_->parent_err, nb, sizeof(nb));
			break;
		case DIFF_CREATOR:
			r.old = creator(na, ob, sizeof(ob));
			r.new = creator(nb_, nb, sizeof(nb));
			break;
		case DIFF_UID_MAP:
			r.old = na->uid_map;
			r.new = nb_->uid_map;
			break;
		case DIFF_GID_MAP:
			r.old = na->gid_map;
			r.new = nb_->gid_map;
			break;
		default:
			break;
		}
	}
	diff_row_put(out, at, &r);
}

int diff_print_rows(FILE *out, const struct diff *d,
		    const struct diff_print_opts *po)
{
	const struct graph_meta *a = &d->a->meta, *b = &d->b->meta;
	struct diff_row_at at = {
		.source = "diff", .host = b->hostname, .boot = b->boot_id,
		.time_ns = b->start_ns,
		.snapshot = po->b_name ? po->b_name : "b",
		.base = po->a_name ? po->a_name : "a",
	};
	struct diff_row r = { .namespaces = -1, .processes = -1 };

	if (d->flags & DIFF_OTHER_BOOT) {
		r.action = "reboot";
		r.old = a->boot_id;
		r.new = b->boot_id;
		diff_row_put(out, &at, &r);
		fputc('\n', out);
	}
	if (d->flags & DIFF_OTHER_HOST) {
		r.action = "other-host";
		r.old = a->hostname;
		r.new = b->hostname;
		diff_row_put(out, &at, &r);
		fputc('\n', out);
	}
	for (size_t i = 0; i < d->nchanges; i++) {
		diff_row_change(out, &at, d, &d->changes[i]);
		fputc('\n', out);
	}
	return diff_write_status(out);
}
