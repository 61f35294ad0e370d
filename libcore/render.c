/*
 * render.c — the reference program's tree text.
 *
 * Quirks kept on purpose (see NOTES.md of the reference): a user namespace
 * line is printed as color, text, newline, reset, so the reset opens the
 * next line; PID lists are colored line by line after their indent; the
 * one-per-line forms color only the PID or the NStgid braces.
 */
#include "render.h"

#include <errno.h>
#include <net/if.h>
#include <string.h>

#include "text.h"
#include "workload.h"

#define ESC "\x1b"
#define USERNS_COLOR ESC "[93m" ESC "[1m"
#define PID_COLOR ESC "[38;5;51m"
#define NORMAL ESC "(B" ESC "[m"

#define MIN_LIST_WIDTH 32 /* the reference's minDisplayWidth */
#define MAX_ADDRS 4       /* addresses shown per network namespace */
#define MAX_WORKLOADS 3   /* workloads named per namespace */
#define MAX_NETNS_NAMES 8

static void indent(FILE *out, unsigned n)
{
	static const char spaces[] = "                                ";

	for (; n > sizeof(spaces) - 1; n -= sizeof(spaces) - 1)
		fwrite(spaces, 1, sizeof(spaces) - 1, out);
	fwrite(spaces, 1, n, out);
}

/* A PID in decimal into BUF (at least 12 bytes); its length.  Lists of
 * thousands of PIDs are the bulk of the output: no printf per PID. */
static int format_pid(int32_t pid, char *buf)
{
	char tmp[12];
	int n = 0, len = 0;
	uint32_t v = pid < 0 ? (uint32_t)0 - (uint32_t)pid : (uint32_t)pid;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	if (pid < 0)
		buf[len++] = '-';
	while (n)
		buf[len++] = tmp[--n];
	buf[len] = '\0';
	return len;
}

/*
 * Data from the graph: as it is, or for a terminal (render_opts.escape).
 * The tabs of an NStgid are the kernel's separators: KEEP_TABS keeps them.
 */
static void put_data(FILE *out, const char *s, bool escape, bool keep_tabs)
{
	if (!escape) {
		fputs(s, out);
		return;
	}
	for (;;) {
		size_t n = keep_tabs ? strcspn(s, "\t") : strlen(s);
		text_term_data(out, s, n);
		if (!s[n])
			return;
		fputc('\t', out);
		s += n + 1;
	}
}

/* A map as the reference shows it: trimmed, blank runs squeezed to one. */
static void put_map(FILE *out, const char *map, bool escape)
{
	if (map)
		text_squeeze(out, map, &text_go_blanks,
			     escape ? text_term_data : text_write_raw);
	else
		fputs("deleted", out);
}

/*
 * The annotations of --workloads: "  [key=value; ...]" after the
 * reference's text (nsshow(1) lists the keys).  Every value is data from
 * the graph and spelled by text_term_data(), on a terminal or not: no
 * reference output to keep, and a container name or a host name may hold
 * anything.
 */
struct facts {
	FILE *out;
	bool open;
};

static void fact_key(struct facts *f, const char *key)
{
	fputs(f->open ? "; " : "  [", f->out);
	f->open = true;
	fputs(key, f->out);
	fputc('=', f->out);
}

static void fact_str(struct facts *f, const char *key, const char *s)
{
	fact_key(f, key);
	text_term_data(f->out, s, strlen(s));
}

static void put_workloads(struct facts *f, const struct graph *g,
			  const struct view *v, uint32_t ns)
{
	const struct workload_ns *w = &v->wmap.ns[ns];

	if (w->n == 0)
		return;
	/* "workload=" claims ownership; a namespace whose members are not
	 * all one workload's lists what it holds. */
	if (w->owner != GRAPH_NONE) {
		fact_key(f, "workload");
		view_put_workload(f->out, &g->workloads[w->owner], text_term_data);
		return;
	}
	fact_key(f, "workloads");
	fprintf(f->out, "%u", w->n);
	for (uint32_t i = 0; i < w->n && i < MAX_WORKLOADS; i++) {
		fputs(i ? ", " : " ", f->out);
		view_put_workload(f->out, &g->workloads[v->wmap.list[w->first + i]],
				  text_term_data);
	}
}

static void put_net_facts(struct facts *f, const struct graph *g, uint32_t ns)
{
	const struct graph_ns *n = &g->ns[ns];
	const char *names[MAX_NETNS_NAMES];
	size_t nnames = workload_netns_names(g, ns, names, MAX_NETNS_NAMES);
	size_t shown = 0, total = 0;

	for (size_t i = 0; i < nnames && i < MAX_NETNS_NAMES; i++) {
		if (i == 0)
			fact_key(f, "netns");
		else
			fputc(',', f->out);
		text_term_data(f->out, names[i], strlen(names[i]));
	}
	if (nnames > MAX_NETNS_NAMES)
		fprintf(f->out, ",+%zu", nnames - MAX_NETNS_NAMES);
	if (n->flags & GRAPH_NS_HAS_NSID) {
		fact_key(f, "nsid");
		fprintf(f->out, "%d", (int)n->nsid);
	}
	/* Loopback addresses are in every namespace: they tell nothing. */
	for (uint32_t i = 0; i < n->nifaces; i++) {
		const struct graph_iface *ifc = &g->ifaces[n->first_iface + i];
		const char *a = ifc->addrs;
		if (!a || (ifc->flags & IFF_LOOPBACK))
			continue;
		for (size_t len; *a; a += len) {
			a += strspn(a, " ");
			len = strcspn(a, " ");
			if (!len)
				break;
			if (shown < MAX_ADDRS) {
				if (!shown)
					fact_key(f, "addrs");
				else
					fputc(',', f->out);
				text_term_data(f->out, a, len);
				shown++;
			}
			total++;
		}
	}
	if (total > shown)
		fprintf(f->out, ",+%zu", total - shown);
}

static void put_facts(FILE *out, const struct graph *g, const struct view *v,
		      const struct view_line *l)
{
	const struct graph_ns *n = &g->ns[l->ns];
	struct facts f = { .out = out };

	if (v->has_wmap)
		put_workloads(&f, g, v, l->ns);
	if (n->type == NS_UTS && n->hostname)
		fact_str(&f, "hostname", n->hostname);
	if (n->type == NS_NET)
		put_net_facts(&f, g, l->ns);
	if (n->type == NS_USER && n->setgroups == GRAPH_SETGROUPS_DENY)
		fact_str(&f, "setgroups", "deny");
	if (l->sock_pid && l->nmembers == 0) {
		fact_key(&f, "socket-pinned-by");
		fprintf(out, "%d/%d", (int)l->sock_pid, (int)l->sock_fd);
	}
	if (f.open)
		fputc(']', out);
}

static void put_ns_line(FILE *out, const struct graph *g, const struct view *v,
			const struct view_line *l, const struct render_opts *o)
{
	bool user = l->ns == VIEW_INVISIBLE || g->ns[l->ns].type == NS_USER;

	if (user && o->color)
		fputs(USERNS_COLOR, out);
	if (l->ns == VIEW_INVISIBLE) {
		fputs("[invisible ancestor user NS]\n", out);
	} else {
		const struct graph_ns *n = &g->ns[l->ns];
		indent(out, l->depth * 4);
		fprintf(out, "%s {%llu %llu}", ns_type_name(n->type),
			(unsigned long long)n->key.dev,
			(unsigned long long)n->key.ino);
		if (user) {
			fprintf(out, " <UID: %u", n->creator_uid);
			if (v->show_maps) {
				fputs(";  u: ", out);
				put_map(out, l->uid_map, o->escape);
				fputs(";   g: ", out);
				put_map(out, l->gid_map, o->escape);
			}
			fputc('>', out);
		}
		if (v->annotate)
			put_facts(out, g, v, l);
		fputc('\n', out);
	}
	if (user && o->color)
		fputs(NORMAL, out);
}

/*
 * --cmdline: the arguments joined by single blanks, escaped, "..." when
 * capture cut them; "[COMM]" as ps(1) shows a process without one (a
 * kernel thread).  NULL when neither is known.
 */
static const struct graph_proc *cmdline_of(const struct graph *g,
					   const struct view_member *m)
{
	const struct graph_proc *p = m->proc < g->nprocs ? &g->procs[m->proc]
							  : NULL;

	return p && p->cmdline && p->cmdline_len ? p : NULL;
}

static void put_cmdline(FILE *out, const struct graph_proc *p,
			const struct view_member *m)
{
	if (p) {
		const char *s = p->cmdline, *end = s + p->cmdline_len;
		while (s < end) {
			size_t n = strnlen(s, (size_t)(end - s));
			text_term_data(out, s, n);
			s += n + 1;
			if (s < end)
				fputc(' ', out);
		}
		if (p->flags & GRAPH_PROC_CMDLINE_CUT)
			fputs("...", out);
		return;
	}
	fputc('[', out);
	text_term_data(out, m->comm, strlen(m->comm));
	fputc(']', out);
}

static void put_members_one_per_line(FILE *out, const struct graph *g,
				     const struct view *v,
				     const struct view_line *l,
				     const struct render_opts *o)
{
	for (size_t i = 0; i < l->nmembers; i++) {
		const struct view_member *m = &l->members[i];

		indent(out, l->depth * 4 + 8);
		if (o->all_pids) {
			if (m->nstgid) {
				fputs(o->color ? PID_COLOR "{ " : "{ ", out);
				put_data(out, m->nstgid, o->escape, true);
				fputs(o->color ? " }" NORMAL : " }", out);
			} else if (m->status_err) {
				fprintf(out, "[can't open /proc/%d/status]", (int)m->id);
			}
			if (!o->show_comm)
				fputc('\n', out);
		} else {
			fprintf(out, "%s%-5d%s", o->color ? PID_COLOR : "", (int)m->id,
				o->color ? NORMAL : "");
		}
		const struct graph_proc *p;
		if (o->show_comm && v->cmdline &&
		    ((p = cmdline_of(g, m)) || m->comm)) {
			fputs("  ", out);
			put_cmdline(out, p, m);
			fputc('\n', out);
		} else if (o->show_comm && v->cmdline) {
			fprintf(out, "[can't open /proc/%d/cmdline]\n", (int)m->id);
		} else if (o->show_comm) {
			if (m->comm) {
				fputs("  ", out);
				put_data(out, m->comm, o->escape, false);
				fputc('\n', out);
			} else {
				fprintf(out, "[can't open /proc/%d/comm]\n", (int)m->id);
			}
		}
	}
}

/*
 * "[ p1 p2 ... ]" wrapped greedily: a word starts a new line when it would
 * pass the width, which counts from after the indent and is never below
 * MIN_LIST_WIDTH.
 */
static void put_members_as_list(FILE *out, const struct view_line *l,
				const struct render_opts *o)
{
	int tot = (int)l->depth * 4 + 8;
	int width = o->width - tot;
	int column = 0;
	const char *color = o->color ? PID_COLOR : "";
	const char *normal = o->color ? NORMAL : "";
	char word[16];

	if (width < MIN_LIST_WIDTH)
		width = MIN_LIST_WIDTH;
	indent(out, (unsigned)tot);
	fputs(color, out);
	fputc('[', out);
	column = 1;
	for (size_t i = 0; i <= l->nmembers; i++) {
		int len = 1;
		if (i < l->nmembers)
			len = format_pid(l->members[i].id, word);
		else
			memcpy(word, "]", 2);
		if (column + 1 + len > width) {
			fputs(normal, out);
			fputc('\n', out);
			indent(out, (unsigned)tot);
			fputs(color, out);
			column = len;
		} else {
			fputc(' ', out);
			column += 1 + len;
		}
		fwrite(word, 1, (size_t)len, out);
	}
	fputs(normal, out);
	fputc('\n', out);
}

int render_tree(FILE *out, const struct graph *g, const struct view *v,
		const struct render_opts *o)
{
	int rc = view_fits(g, v);

	if (rc)
		return rc;
	for (size_t i = 0; i < v->nmessages; i++)
		fprintf(out, "%s\n", v->messages[i]);
	if (v->fatal) {
		fprintf(out, "%s\n", v->fatal);
	} else {
		for (size_t i = 0; i < v->nlines; i++) {
			const struct view_line *l = &v->lines[i];

			put_ns_line(out, g, v, l, o);
			if (o->no_pids || l->nmembers == 0)
				continue;
			if (o->show_comm || o->all_pids)
				put_members_one_per_line(out, g, v, l, o);
			else
				put_members_as_list(out, l, o);
		}
	}
	if (fflush(out) || ferror(out))
		return errno ? -errno : -EIO;
	return 0;
}
