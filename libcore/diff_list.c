/*
 * diff_list.c — the list format, and the words every text printer shares.
 *
 * Owns how a change reads as one line ("born user:[4026532180] id=4100
 * owner=... "): value quoting, namespace names, owner and map texts.  The
 * tree's trailing lines, DOT's note, the timeline and the history print
 * changes with these same words, so a change reads alike everywhere.
 */
#include <stdlib.h>

#include "diff_int.h"

static const char *const pin_names[] = {
	[DIFF_PIN_NONE] = "none", [DIFF_PIN_FD] = "fd",
	[DIFF_PIN_MOUNT] = "mount",
	[DIFF_PIN_PID_FOR_CHILDREN] = "pid_for_children",
	[DIFF_PIN_TIME_FOR_CHILDREN] = "time_for_children",
	[DIFF_PIN_SOCKET] = "socket",
};

const char *diff_pin_name(enum diff_pin pin)
{
	return (unsigned)pin <= DIFF_PIN_SOCKET ? pin_names[pin] : "?";
}

const char *diff_format_time(int64_t time_ns, char *buf, size_t len)
{
	if (!text_rfc3339(time_ns, false, buf, len))
		snprintf(buf, len, "?");
	return buf;
}

static bool plain_char(unsigned char c)
{
	return c > ' ' && c < 0x7f && c != '"' && c != '\\';
}

/*
 * N bytes with escapes: a text_write_fn.  '"' as \", since values are
 * quoted with it; every other byte by the one rule for data in human
 * text (text_term_data()), so that nothing from a snapshot reaches a
 * terminal as a control byte, whether or not the output is one.
 */
void diff_put_escaped(FILE *out, const char *s, size_t n)
{
	for (const char *q; (q = memchr(s, '"', n)); ) {
		text_term_data(out, s, (size_t)(q - s));
		fputs("\\\"", out);
		n -= (size_t)(q - s) + 1;
		s = q + 1;
	}
	text_term_data(out, s, n);
}

/*
 * A list value: bare when it is one plain word, so that "comm=sleep" can be
 * grepped as typed; else quoted with C escapes, so that a line is always
 * one line and blanks always separate fields.
 */
void diff_put_value(FILE *out, const char *s)
{
	bool plain = *s != '\0';

	for (const char *p = s; *p && plain; p++)
		plain = plain_char((unsigned char)*p);
	if (plain) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	diff_put_escaped(out, s, strlen(s));
	fputc('"', out);
}

/*
 * The blanks of a uid/gid map: spaces, tabs and newlines.  nsshow's Go
 * rule (text_go_blanks) also squeezes \f \r and trims \v; here they are
 * data, shown escaped.  The kernel writes none of them, so the two agree
 * on every real map; an imported snapshot may differ, and nsdiff's output
 * is kept as it has always been.  Lists separate the map's lines with
 * commas (the tree and DOT squeeze newlines to a space: diff_hier.c).
 */
static const struct text_blanks list_blanks = {
	.squeeze = " \t\n", .nl_sep = ',',
};

/* A map as a list value: always quoted, lines separated by commas. */
static void put_map(FILE *out, const char *map)
{
	fputc('"', out);
	text_squeeze(out, map, &list_blanks, diff_put_escaped);
	fputc('"', out);
}

/* "net:[4026531840]" */
void diff_put_ns(FILE *out, const struct graph *g, uint32_t ns)
{
	fprintf(out, "%s:[%llu]", ns_type_name(g->ns[ns].type),
		(unsigned long long)g->ns[ns].key.ino);
}

/* An owner or parent link as list text; NULL when it was not collected. */
static const char *up_text(const struct graph *g, uint32_t up, int32_t err,
			   char *buf, size_t len)
{
	if (err == ENODATA)
		return NULL;
	if (err == EPERM)
		return "invisible";
	if (err || up == GRAPH_NONE)
		return "?";
	snprintf(buf, len, "%s:[%llu]", ns_type_name(g->ns[up].type),
		 (unsigned long long)g->ns[up].key.ino);
	return buf;
}

const char *diff_id_text(const struct graph_ns *n, char *buf, size_t len)
{
	if (!diff_has_id(n))
		return NULL;
	snprintf(buf, len, "%llu", (unsigned long long)n->kernel_id);
	return buf;
}

static const char *creator_text(const struct graph_ns *n, char *buf, size_t len)
{
	if (!(n->flags & GRAPH_NS_HAS_CREATOR))
		return NULL;
	snprintf(buf, len, "%u", n->creator_uid);
	return buf;
}

/* What list and events say about a namespace that comes or goes. */
void diff_put_ns_fields(FILE *out, const struct graph *g, uint32_t ns)
{
	const struct graph_ns *n = &g->ns[ns];
	char buf[64];
	const char *s;

	if ((s = diff_id_text(n, buf, sizeof(buf))))
		fprintf(out, " id=%s", s);
	if ((s = up_text(g, n->owner, n->owner_err, buf, sizeof(buf))))
		fprintf(out, " owner=%s", s);
	if (n->type == NS_PID &&
	    (s = up_text(g, n->parent, n->parent_err, buf, sizeof(buf))))
		fprintf(out, " parent=%s", s);
	if ((s = creator_text(n, buf, sizeof(buf))))
		fprintf(out, " creator=%s", s);
	if (n->type == NS_USER && n->uid_map) {
		fputs(" uid_map=", out);
		put_map(out, n->uid_map);
	}
	if (n->type == NS_USER && n->gid_map) {
		fputs(" gid_map=", out);
		put_map(out, n->gid_map);
	}
}

/* "name=v" when both sides agree, else "old_name=a new_name=b". */
static void put_pair(FILE *out, const char *name, const char *old,
		     const char *new)
{
	if (!old && !new)
		return;
	if (diff_str_eq(old, new))
		fprintf(out, " %s=%s", name, old);
	else
		fprintf(out, " old_%s=%s new_%s=%s", name, old ? old : "?", name,
			new ? new : "?");
}

static void put_replaced(FILE *out, const struct diff *d,
			 const struct diff_change *c)
{
	const struct graph_ns *na = &d->a->ns[c->a_ns], *nb = &d->b->ns[c->b_ns];
	char ba[64], bb[64];

	if (diff_has_id(na) || diff_has_id(nb))
		fprintf(out, " old_id=%s new_id=%s",
			diff_has_id(na) ? diff_id_text(na, ba, sizeof(ba)) : "?",
			diff_has_id(nb) ? diff_id_text(nb, bb, sizeof(bb)) : "?");
	put_pair(out, "type", ns_type_name(na->type), ns_type_name(nb->type));
	put_pair(out, "owner",
		 up_text(d->a, na->owner, na->owner_err, ba, sizeof(ba)),
		 up_text(d->b, nb->owner, nb->owner_err, bb, sizeof(bb)));
	if (na->type == NS_PID || nb->type == NS_PID)
		put_pair(out, "parent",
			 up_text(d->a, na->parent, na->parent_err, ba, sizeof(ba)),
			 up_text(d->b, nb->parent, nb->parent_err, bb, sizeof(bb)));
	put_pair(out, "creator", creator_text(na, ba, sizeof(ba)),
		 creator_text(nb, bb, sizeof(bb)));
}

static void put_proc(FILE *out, const struct diff_change *c)
{
	fprintf(out, " pid=%d", (int)c->pid);
	if (c->tid)
		fprintf(out, " tid=%d", (int)c->tid);
	fprintf(out, " start=%llu", (unsigned long long)c->start);
	if (c->comm) {
		fputs(" comm=", out);
		diff_put_value(out, c->comm);
	}
}

/* The graph and index a change's namespace is read from. */
const struct graph *diff_change_graph(const struct diff *d,
					const struct diff_change *c,
					uint32_t *ns)
{
	if (diff_side_a(c->kind)) {
		*ns = c->a_ns;
		return d->a;
	}
	*ns = c->b_ns;
	return d->b;
}

/* One change as a list line, without the newline. */
void diff_put_change(FILE *out, const struct diff *d,
		       const struct diff_change *c)
{
	uint32_t ns;
	const struct graph *g = diff_change_graph(d, c, &ns);
	const struct graph_ns *na = c->a_ns != GRAPH_NONE ? &d->a->ns[c->a_ns] : NULL;
	const struct graph_ns *nb = c->b_ns != GRAPH_NONE ? &d->b->ns[c->b_ns] : NULL;
	char ba[64], bb[64];

	fputs(diff_kind_name(c->kind), out);
	if (c->kind != DIFF_STARTED && c->kind != DIFF_ENDED) {
		fputc(' ', out);
		diff_put_ns(out, g, ns);
	}
	switch (c->kind) {
	case DIFF_BORN:
	case DIFF_GONE:
		diff_put_ns_fields(out, g, ns);
		break;
	case DIFF_REPLACED:
		put_replaced(out, d, c);
		break;
	case DIFF_OWNER:
		fprintf(out, " old=%s", up_text(d->a, na->owner, na->owner_err, ba, sizeof(ba)));
		fprintf(out, " new=%s", up_text(d->b, nb->owner, nb->owner_err, bb, sizeof(bb)));
		break;
	case DIFF_PARENT:
		fprintf(out, " old=%s", up_text(d->a, na->parent, na->parent_err, ba, sizeof(ba)));
		fprintf(out, " new=%s", up_text(d->b, nb->parent, nb->parent_err, bb, sizeof(bb)));
		break;
	case DIFF_CREATOR:
		fprintf(out, " old=%u new=%u", na->creator_uid, nb->creator_uid);
		break;
	case DIFF_UID_MAP:
	case DIFF_GID_MAP:
		fputs(" old=", out);
		put_map(out, c->kind == DIFF_UID_MAP ? na->uid_map : na->gid_map);
		fputs(" new=", out);
		put_map(out, c->kind == DIFF_UID_MAP ? nb->uid_map : nb->gid_map);
		break;
	case DIFF_STARTED:
	case DIFF_ENDED:
	case DIFF_JOINED:
	case DIFF_LEFT:
		put_proc(out, c);
		break;
	case DIFF_PINNED:
	case DIFF_UNPINNED:
		fprintf(out, " by=%s", diff_pin_name(c->pin));
		if (c->pin == DIFF_PIN_MOUNT) {
			fputs(" mntns=", out);
			diff_put_ns(out, g, c->mntns);
			fputs(" path=", out);
			diff_put_value(out, c->path);
		} else {
			put_proc(out, c);
			if (c->pin == DIFF_PIN_FD || c->pin == DIFF_PIN_SOCKET)
				fprintf(out, " fd=%d", (int)c->fd);
		}
		break;
	default:
		break;
	}
	if (c->flags & DIFF_C_WEAK)
		fputs(" match=weak", out);
}

/* A command line as a list value: bare when it is one plain word. */
static void put_cmdline_value(FILE *out, const struct graph_proc *p)
{
	bool plain = !(p->flags & GRAPH_PROC_CMDLINE_CUT);

	for (uint32_t i = 0; i < p->cmdline_len && plain; i++)
		plain = plain_char((unsigned char)p->cmdline[i]);
	if (!plain)
		fputc('"', out);
	diff_put_cmdline(out, p, diff_put_escaped);
	if (!plain)
		fputc('"', out);
}

/* What the list adds to a change's words: the facts of a namespace that
 * came, went or was replaced, a command line, a pin's copies. */
static void put_list_facts(FILE *out, const struct diff_facts *f,
			   const struct diff_change *c, uint32_t shown)
{
	const struct diff *d = f->d;
	const struct graph_proc *p;

	switch (c->kind) {
	case DIFF_BORN:
	case DIFF_REPLACED:
		diff_put_ns_facts(out, f, d->b, c->b_ns, false);
		break;
	case DIFF_GONE:
		diff_put_ns_facts(out, f, d->a, c->a_ns, false);
		break;
	case DIFF_STARTED:
	case DIFF_ENDED:
		p = diff_change_proc(d, c);
		if (p && p->cmdline && p->cmdline_len) {
			fputs(" cmdline=", out);
			put_cmdline_value(out, p);
		}
		break;
	case DIFF_PINNED:
	case DIFF_UNPINNED:
		if (c->pin == DIFF_PIN_MOUNT && shown > 1)
			fprintf(out, " mntns_count=%u", shown);
		break;
	default:
		break;
	}
}

int diff_print_list(FILE *out, const struct diff *d,
		    const struct diff_print_opts *po)
{
	bool verbose = po && (po->verbose || po->all);
	struct diff_facts f;
	int rc;

	if ((rc = diff_facts_build(&f, d)))
		return rc;
	for (size_t i = 0; i < d->nchanges; i++) {
		if (!verbose && !f.shown[i])
			continue;
		diff_put_change(out, d, &d->changes[i]);
		put_list_facts(out, &f, &d->changes[i], verbose ? 1 : f.shown[i]);
		fputc('\n', out);
	}
	diff_facts_release(&f);
	return diff_write_status(out);
}
