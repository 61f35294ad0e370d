/*
 * import_impl.h — the reader's state and the functions its two files share.
 *
 * Owns the reading of a document: import.c walks the document (JSON or
 * NDJSON, the order of its parts, the record hashes, the final checks),
 * import_fields.c reads values, objects and records by the field tables of
 * export_impl.h and appends them to the graph.  Errors are sticky: the
 * first one (-EBADMSG with a message naming the line and member, -ENOMEM,
 * -EPROTONOSUPPORT) stays, and every reader function does nothing once it
 * is set, so callers check once at the end.
 */
#ifndef NSNAP_IMPORT_IMPL_H
#define NSNAP_IMPORT_IMPL_H

#include <stdbool.h>
#include <stddef.h>

#include "export.h"
#include "export_impl.h"
#include "jscan.h"

enum rd_mode { MODE_UNKNOWN, MODE_NESTED, MODE_SLICED };

struct rd {
	struct graph *g;
	struct export_info *info;
	const char *doc;        /* the document: where syntax errors are */
	const char *line_start; /* NDJSON: the line being read */
	char *errbuf;
	size_t errlen;
	int err;                /* first failure: -EBADMSG, -ENOMEM... */
	unsigned line;          /* NDJSON: the line being read; else 0 */
	char ctx[160];          /* where: "processes[2].tasks[0]" */
	size_t ctxlen;
	enum rd_mode mode;      /* threads and fds nested or sliced */
	int version;            /* the document's, once its header is read */
	bool ns_closed;         /* every namespace is known */
	bool have_records;
	struct rec_hashes want; /* what the document says */
};

/* ---- errors and context ------------------------------------------------- */

/* The first failure ERR, as "line N: context: message"; the sticky error. */
__attribute__((format(printf, 3, 4)))
int rd_fail(struct rd *r, int err, const char *fmt, ...);
int rd_nomem(struct rd *r);
/* The same about member KEY of the context, always -EBADMSG. */
__attribute__((format(printf, 3, 4)))
int rd_mfail(struct rd *r, const char *key, const char *fmt, ...);
/* A syntax error: line and column, without the member context. */
void rd_syntax(struct rd *r, const struct jerr *e);

/* Append to the context ("processes[2]", ".tasks[0]"); returns what
 * rd_ctx_pop() restores.  rd_ctx_member() appends ".KEY" (or "KEY"). */
__attribute__((format(printf, 2, 3)))
size_t rd_ctx_push(struct rd *r, const char *fmt, ...);
size_t rd_ctx_member(struct rd *r, const char *key);
void rd_ctx_pop(struct rd *r, size_t old);

/* ---- values ------------------------------------------------------------- */

const char *rd_kind_name(struct jspan v);
/* Whether member KEY, V, is there and of kind K (else the message). */
bool rd_need_kind(struct rd *r, const char *key, struct jspan v, enum jkind k);
/* String V decoded into *S (release with jscan_str_free()). */
bool rd_get_jstr(struct rd *r, struct jspan v, struct jstr *s);
/* Member KEY, V, a 64-bit decimal string spelled canonically (XP_U64). */
uint64_t rd_get_u64(struct rd *r, const char *key, struct jspan v);
/* Member KEY, V, an integer from MIN to MAX spelled canonically. */
bool rd_get_int(struct rd *r, const char *key, struct jspan v,
		json_int_t min, json_int_t max, json_int_t *x);

/*
 * Locate the members of object V by table T: VALS[i] the span of field i
 * (p NULL when absent; room for T->n).  EXTRA (may be NULL) names one more
 * member the caller reads itself ("kind").  Members T does not name, or
 * names with a flag in SKIP (the other layout's), are unknown: refused at
 * once, or, with UNKNOWN given, the first one's key kept there and the
 * rest walked, for a caller that must look at something else first (the
 * version).  Only the names of T's fields are used.
 */
bool rd_members(struct rd *r, struct jspan v, const struct xp_table *t,
		unsigned skip, const char *extra, struct jspan *vals,
		struct jspan *unknown);
/* Refuse the member whose key rd_members() kept in KEY (if any). */
void rd_refuse_unknown(struct rd *r, struct jspan key);

/* Member KEY, V, an array: FN(R, element, its index, ARG) for each element
 * until an error; the number of elements walked. */
typedef void rd_each_fn(struct rd *r, struct jspan elem, size_t i, void *arg);
size_t rd_each(struct rd *r, const char *key, struct jspan v,
	       rd_each_fn *fn, void *arg);

/* A string member: null, a JSON string or {"base64": ...}, no NUL; in the
 * graph's arena. */
const char *rd_get_str(struct rd *r, const char *key, struct jspan v);
/* Whether one more element fits a graph array of N (else the error). */
bool rd_room(struct rd *r, size_t n, const char *what);

/* The workload facts' values (import_facts.c), by export_impl.h's types:
 * XP_ENUM of NAMES, XP_ARGV into P's cmdline and cmdline_len, XP_WLREF. */
uint8_t rd_get_enum(struct rd *r, const char *key, struct jspan v,
		    const struct xp_bits *names);
void rd_get_argv(struct rd *r, const char *key, struct jspan v,
		 struct graph_proc *p);
uint32_t rd_get_wlref(struct rd *r, const char *key, struct jspan v);

/* ---- records ------------------------------------------------------------ */

/* One kind of record: its table, and how a read one joins the graph. */
struct rd_kind {
	const struct xp_table *t;
	void (*commit)(struct rd *r, void *rec, const struct jspan *vals);
};

extern const struct rd_kind rd_ns_kind, rd_proc_kind, rd_task_kind,
	rd_fd_kind, rd_mount_kind, rd_gap_kind, rd_workload_kind,
	rd_iface_kind;

/* Member KEY, V: an object read by T into REC (context ".KEY"). */
void rd_read_part(struct rd *r, const char *key, struct jspan v,
		  const struct xp_table *t, void *rec);
/* Object V as a record of kind K, number INDEX of its kind, appended to
 * the graph; EXTRA as in rd_members(). */
void rd_read_record(struct rd *r, const struct rd_kind *k, struct jspan v,
		    size_t index, const char *extra);
/* Member KEY, V: an array of records of kind K (context "KEY[i]"). */
void rd_read_list(struct rd *r, const char *key, struct jspan v,
		  const struct rd_kind *k);

#endif
