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
#include <string.h>

#include "text.h"

#define ESC "\x1b"
#define USERNS_COLOR ESC "[93m" ESC "[1m"
#define PID_COLOR ESC "[38;5;51m"
#define NORMAL ESC "(B" ESC "[m"

#define MIN_LIST_WIDTH 32 /* the reference's minDisplayWidth */

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
		fputc('\n', out);
	}
	if (user && o->color)
		fputs(NORMAL, out);
}

static void put_members_one_per_line(FILE *out, const struct view_line *l,
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
		if (o->show_comm) {
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
				put_members_one_per_line(out, l, o);
			else
				put_members_as_list(out, l, o);
		}
	}
	if (fflush(out) || ferror(out))
		return errno ? -errno : -EIO;
	return 0;
}
