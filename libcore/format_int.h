/*
 * format_int.h — what format.c and format_facts.c share, nothing else.
 *
 * Owns the JSON pretty-printer both write with (static inline: a few
 * lines each) and the per-namespace pin index of --deep-scan.
 */
#ifndef NSNAP_FORMAT_INT_H
#define NSNAP_FORMAT_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "graph.h"
#include "text.h"
#include "view.h"

/*
 * A pretty-printer that writes what Python's json.dumps(indent=2) would:
 * one value per line, ",\n" between values, "[]"/"{}" when empty.  'first'
 * tracks only the innermost open container, which is all it needs: closing
 * a container always leaves its parent with at least one value.
 */
struct jw {
	FILE *out;
	unsigned level;
	bool first;
};

static inline void jw_newline(struct jw *w)
{
	fputc('\n', w->out);
	for (unsigned i = 0; i < w->level; i++)
		fputs("  ", w->out);
}

static inline void jw_item(struct jw *w)
{
	if (!w->first)
		fputc(',', w->out);
	w->first = false;
	jw_newline(w);
}

/* KEY is one of ours: plain ASCII, nothing to escape. */
static inline void jw_key(struct jw *w, const char *key)
{
	jw_item(w);
	fprintf(w->out, "\"%s\": ", key);
}

static inline void jw_open(struct jw *w, char c)
{
	fputc(c, w->out);
	w->level++;
	w->first = true;
}

static inline void jw_close(struct jw *w, char c)
{
	bool empty = w->first;

	w->level--;
	if (!empty)
		jw_newline(w);
	fputc(c, w->out);
	w->first = false;
}

static inline void jw_str(struct jw *w, const char *key, const char *s)
{
	jw_key(w, key);
	text_json_string(w->out, s);
}

/* A map normalized as in the tree (format.h), null where it says "deleted". */
static inline void jw_map(struct jw *w, const char *key, const char *map)
{
	jw_key(w, key);
	if (!map) {
		fputs("null", w->out);
		return;
	}
	fputc('"', w->out);
	text_squeeze(w->out, map, &text_go_blanks, text_json_bytes);
	fputc('"', w->out);
}

static inline void jw_u64(struct jw *w, const char *key, uint64_t v)
{
	jw_key(w, key);
	fprintf(w->out, "\"%llu\"", (unsigned long long)v);
}

static inline void jw_int(struct jw *w, const char *key, long long v)
{
	jw_key(w, key);
	fprintf(w->out, "%lld", v);
}

/* true, false, null */
static inline void jw_lit(struct jw *w, const char *key, const char *lit)
{
	jw_key(w, key);
	fputs(lit, w->out);
}

static inline void jw_str_array(struct jw *w, const char *key, char *const *s,
			 size_t n)
{
	jw_key(w, key);
	jw_open(w, '[');
	for (size_t i = 0; i < n; i++) {
		jw_item(w);
		text_json_string(w->out, s[i]);
	}
	jw_close(w, ']');
}

/*
 * What pins each namespace of a graph: per namespace a slice of 'list'
 * (first[ns] .. first[ns + 1]): open namespace files and sockets of a
 * process, its *_for_children links where they differ from its own, and
 * nsfs bind mounts, in graph order.
 */
enum format_pin_kind {
	FORMAT_PIN_FD,
	FORMAT_PIN_SOCKET,
	FORMAT_PIN_PID_FOR_CHILDREN,
	FORMAT_PIN_TIME_FOR_CHILDREN,
	FORMAT_PIN_MOUNT,
};

struct format_pin {
	uint8_t kind;
	uint32_t proc;    /* graph index of the holder (not for mounts) */
	uint32_t item;    /* index in graph.fds or graph.mounts */
};

struct format_pins {
	uint32_t *first;  /* nns + 1 entries; NULL: not built */
	struct format_pin *list;
};

int format_pins_build(const struct graph *g, struct format_pins *p);
void format_pins_release(struct format_pins *p);

/* The facts of one namespace line beyond the tree's (format.h), and of
 * one member. */
void format_json_ns_facts(struct jw *w, const struct graph *g,
			  const struct view *v, const struct view_line *l,
			  const struct format_pins *pins);
void format_json_member_facts(struct jw *w, const struct graph *g,
			      const struct view_member *m);
/* "KEY": the ranges of a uid/gid map, or null when a line is not three
 * numbers. */
void format_json_ranges(struct jw *w, const char *key, const char *map);
/* "KEY": the workload object of W (an index of G), or null. */
void format_json_workload(struct jw *w, const char *key,
			  const struct graph *g, uint32_t wl);

#endif
