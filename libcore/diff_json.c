/*
 * diff_json.c — the nsdiff/1 JSON object of a diff.
 *
 * Owns the JSON schema documented in nsdiff(1): the two sides' metadata,
 * the flags, the match counts and one object per change.  64-bit numbers
 * are strings, as in every JSON of ours.
 */
#include "diff_int.h"
#include "vantage.h"

/*
 * Bytes outside ASCII come out as \u00XX, one per byte: the comm and paths
 * of a snapshot are bytes, not necessarily UTF-8.  nsdiff/1 has always
 * spelled \b \f \r as \u00XX, unlike nsshow-view; kept, so that its
 * output stays byte for byte what it was.
 */
static void json_str(FILE *out, const char *s)
{
	text_json_string(out, s);
}

static void json_u64(FILE *out, const char *key, uint64_t v)
{
	fprintf(out, ", \"%s\": \"%llu\"", key, (unsigned long long)v);
}

/* What names a namespace, left open for json_ns_detail() to add to. */
static void json_ns_open(FILE *out, const struct graph_ns *n)
{
	fprintf(out, "{\"type\": \"%s\"", ns_type_name(n->type));
	json_u64(out, "dev", n->key.dev);
	json_u64(out, "ino", n->key.ino);
	if (diff_has_id(n))
		json_u64(out, "id", n->kernel_id);
}

static void json_ns_ref(FILE *out, const struct graph *g, uint32_t ns)
{
	json_ns_open(out, &g->ns[ns]);
	fputc('}', out);
}

/* A link: the namespace, "invisible" (EPERM), or null (unreadable). */
static void json_up(FILE *out, const struct graph *g, uint32_t up, int32_t err)
{
	if (err == EPERM)
		fputs("\"invisible\"", out);
	else if (err || up == GRAPH_NONE)
		fputs("null", out);
	else
		json_ns_ref(out, g, up);
}

static void json_workload(FILE *out, const struct graph_workload *w)
{
	if (!w) {
		fputs("null", out);
		return;
	}
	fprintf(out, "{\"kind\": \"%s\", \"runtime\": ",
		graph_workload_kind_name(w->kind));
	json_str(out, w->runtime);
	fputs(", \"id\": ", out);
	json_str(out, w->id);
	fputs(", \"name\": ", out);
	json_str(out, w->name);
	fputs(", \"pod\": ", out);
	json_str(out, w->pod);
	fputc('}', out);
}

#define JSON_NETNS_NAMES 64

/* What the snapshot knew of a namespace beyond the kernel's answers, with
 * nsshow's JSON keys; nothing for a snapshot from before workloads. */
static void json_ns_facts(FILE *out, const struct diff_facts *f,
			  const struct graph *g, uint32_t ns)
{
	const struct graph_ns *n = &g->ns[ns];
	const struct workload_ns_map *m = &f->wl[diff_side_of(f->d, g)];
	uint32_t collected = g->meta.collected;

	if (m->ns) {
		fputs(", \"workloads\": [", out);
		for (uint32_t k = 0; k < m->ns[ns].n; k++) {
			uint32_t w = m->list[m->ns[ns].first + k];
			fputs(k ? ", " : "", out);
			json_workload(out, w < g->nworkloads ? &g->workloads[w] : NULL);
		}
		fputs("], \"workload\": ", out);
		json_workload(out, diff_ns_owner(f, g, ns));
	}
	if ((collected & GRAPH_HAVE_NSFACTS) && n->type == NS_UTS) {
		fputs(", \"hostname\": ", out);
		json_str(out, n->hostname);
		fputs(", \"domainname\": ", out);
		json_str(out, n->domainname);
	}
	if ((collected & GRAPH_HAVE_NSFACTS) && n->type == NS_NET) {
		if (n->flags & GRAPH_NS_HAS_NSID)
			fprintf(out, ", \"nsid\": %d", (int)n->nsid);
		else
			fputs(", \"nsid\": null", out);
	}
	if ((collected & GRAPH_HAVE_WORKLOADS) && n->type == NS_NET) {
		const char *names[JSON_NETNS_NAMES];
		size_t k = workload_netns_names(g, ns, names, JSON_NETNS_NAMES);

		fputs(", \"netns_names\": [", out);
		for (size_t i = 0; i < k && i < JSON_NETNS_NAMES; i++) {
			fputs(i ? ", " : "", out);
			json_str(out, names[i]);
		}
		fputc(']', out);
	}
}

static void json_ns_detail(FILE *out, const struct diff_facts *f,
			   const struct graph *g, uint32_t ns)
{
	const struct graph_ns *n = &g->ns[ns];

	json_ns_open(out, n);
	if (n->owner_err != ENODATA) {
		fputs(", \"owner\": ", out);
		json_up(out, g, n->owner, n->owner_err);
	}
	if (n->type == NS_PID && n->parent_err != ENODATA) {
		fputs(", \"parent\": ", out);
		json_up(out, g, n->parent, n->parent_err);
	}
	if (n->flags & GRAPH_NS_HAS_CREATOR)
		fprintf(out, ", \"creator\": %u", n->creator_uid);
	if (n->type == NS_USER && n->uid_map) {
		fputs(", \"uid_map\": ", out);
		json_str(out, n->uid_map);
	}
	if (n->type == NS_USER && n->gid_map) {
		fputs(", \"gid_map\": ", out);
		json_str(out, n->gid_map);
	}
	json_ns_facts(out, f, g, ns);
	fputc('}', out);
}

static void json_proc(FILE *out, const struct diff_change *c)
{
	fprintf(out, ", \"pid\": %d", (int)c->pid);
	if (c->tid)
		fprintf(out, ", \"tid\": %d", (int)c->tid);
	json_u64(out, "start", c->start);
	fputs(", \"comm\": ", out);
	json_str(out, c->comm);
}

/* ", \"old\": .., \"new\": ..": an attribute change's two values. */
static void json_attr(FILE *out, const struct diff *d,
		      const struct diff_change *c)
{
	const struct graph_ns *na = &d->a->ns[c->a_ns], *nb = &d->b->ns[c->b_ns];
	bool owner = c->kind == DIFF_OWNER, uid = c->kind == DIFF_UID_MAP;

	switch (c->kind) {
	case DIFF_OWNER:
	case DIFF_PARENT:
		fputs(", \"old\": ", out);
		json_up(out, d->a, owner ? na->owner : na->parent,
			owner ? na->owner_err : na->parent_err);
		fputs(", \"new\": ", out);
		json_up(out, d->b, owner ? nb->owner : nb->parent,
			owner ? nb->owner_err : nb->parent_err);
		break;
	case DIFF_CREATOR:
		fprintf(out, ", \"old\": %u, \"new\": %u", na->creator_uid,
			nb->creator_uid);
		break;
	default:
		fputs(", \"old\": ", out);
		json_str(out, uid ? na->uid_map : na->gid_map);
		fputs(", \"new\": ", out);
		json_str(out, uid ? nb->uid_map : nb->gid_map);
		break;
	}
}

static void json_pin(FILE *out, const struct graph *g,
		     const struct diff_change *c)
{
	fprintf(out, ", \"by\": \"%s\"", diff_pin_name(c->pin));
	if (c->pin == DIFF_PIN_MOUNT) {
		fputs(", \"mntns\": ", out);
		json_ns_ref(out, g, c->mntns);
		fputs(", \"path\": ", out);
		json_str(out, c->path);
	} else {
		json_proc(out, c);
		if (c->pin == DIFF_PIN_FD || c->pin == DIFF_PIN_SOCKET)
			fprintf(out, ", \"fd\": %d", (int)c->fd);
	}
}

/* A process that started or ended: its command line and workload. */
static void json_proc_facts(FILE *out, const struct diff *d,
			    const struct diff_change *c)
{
	const struct graph *g = diff_side_a(c->kind) ? d->a : d->b;
	const struct graph_proc *p = diff_change_proc(d, c);

	if (!p)
		return;
	if (g->meta.collected & GRAPH_HAVE_IDENTITY) {
		fputs(", \"cmdline\": [", out);
		for (uint32_t i = 0; p->cmdline && i < p->cmdline_len; ) {
			const char *a = p->cmdline + i;
			size_t n = strnlen(a, p->cmdline_len - i);

			fputs(i ? ", \"" : "\"", out);
			text_json_bytes(out, a, n);
			fputc('"', out);
			i += (uint32_t)n + 1;
		}
		fputc(']', out);
		if (p->flags & GRAPH_PROC_CMDLINE_CUT)
			fputs(", \"cmdline_cut\": true", out);
	}
	if (g->meta.collected & GRAPH_HAVE_WORKLOADS) {
		fputs(", \"workload\": ", out);
		json_workload(out, diff_proc_workload(d, c));
	}
}

static void json_change(FILE *out, const struct diff_facts *f,
			const struct diff_change *c)
{
	const struct diff *d = f->d;
	uint32_t ns;
	const struct graph *g = diff_change_graph(d, c, &ns);

	fprintf(out, "{\"kind\": \"%s\"", diff_kind_name(c->kind));
	switch (c->kind) {
	case DIFF_BORN:
	case DIFF_GONE:
		fputs(", \"ns\": ", out);
		json_ns_detail(out, f, g, ns);
		break;
	case DIFF_REPLACED:
		fputs(", \"old\": ", out);
		json_ns_detail(out, f, d->a, c->a_ns);
		fputs(", \"new\": ", out);
		json_ns_detail(out, f, d->b, c->b_ns);
		break;
	case DIFF_OWNER:
	case DIFF_PARENT:
	case DIFF_CREATOR:
	case DIFF_UID_MAP:
	case DIFF_GID_MAP:
		fputs(", \"ns\": ", out);
		json_ns_ref(out, g, ns);
		json_attr(out, d, c);
		break;
	case DIFF_STARTED:
	case DIFF_ENDED:
		json_proc(out, c);
		json_proc_facts(out, d, c);
		break;
	case DIFF_JOINED:
	case DIFF_LEFT:
		fputs(", \"ns\": ", out);
		json_ns_ref(out, g, ns);
		json_proc(out, c);
		if (c->flags & DIFF_C_NEWPROC)
			fputs(", \"new_process\": true", out);
		if (c->flags & DIFF_C_ENDPROC)
			fputs(", \"ended_process\": true", out);
		break;
	case DIFF_PINNED:
	case DIFF_UNPINNED:
		fputs(", \"ns\": ", out);
		json_ns_ref(out, g, ns);
		json_pin(out, g, c);
		break;
	default:
		break;
	}
	if (c->flags & DIFF_C_WEAK)
		fputs(", \"weak\": true", out);
	fputc('}', out);
}

static void json_side(FILE *out, const char *name, const struct graph *g)
{
	char tbuf[32];

	fputs("{\"name\": ", out);
	json_str(out, name);
	fputs(", \"host\": ", out);
	json_str(out, g->meta.hostname);
	fputs(", \"boot_id\": ", out);
	json_str(out, g->meta.boot_id);
	fputs(", \"kernel\": ", out);
	json_str(out, g->meta.kernel);
	fprintf(out, ", \"time\": \"%s\"",
		diff_format_time(g->meta.start_ns, tbuf, sizeof(tbuf)));
	fprintf(out, ", \"start_ns\": \"%lld\"", (long long)g->meta.start_ns);
	/* Absent when the snapshot does not say: as nsdiff/1 always was. */
	if (g->meta.vantage.known) {
		fputs(", \"vantage\": ", out);
		vantage_print_json(out, &g->meta.vantage);
	}
	fputc('}', out);
}

int diff_print_json(FILE *out, const struct diff *d,
		    const struct diff_print_opts *po)
{
	struct diff_facts f;
	int rc;

	if ((rc = diff_facts_build(&f, d)))
		return rc;
	fputs("{\n  \"schema\": \"nsdiff/1\",\n  \"a\": ", out);
	json_side(out, po && po->a_name ? po->a_name : "a", d->a);
	fputs(",\n  \"b\": ", out);
	json_side(out, po && po->b_name ? po->b_name : "b", d->b);
	fprintf(out, ",\n  \"other_host\": %s,\n  \"other_boot\": %s,\n",
		d->flags & DIFF_OTHER_HOST ? "true" : "false",
		d->flags & DIFF_OTHER_BOOT ? "true" : "false");
	fprintf(out, "  \"matched\": %zu,\n  \"weak_matches\": %zu,\n",
		d->nmatched, d->nweak);
	fputs("  \"changes\": [", out);
	for (size_t i = 0; i < d->nchanges; i++) {
		fputs(i ? ",\n    " : "\n    ", out);
		json_change(out, &f, &d->changes[i]);
	}
	fputs(d->nchanges ? "\n  ]\n}\n" : "]\n}\n", out);
	diff_facts_release(&f);
	return diff_write_status(out);
}

