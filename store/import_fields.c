/*
 * import_fields.c — the reader's side of the field tables: one value, one
 * object, one record at a time (see import_impl.h).
 *
 * Every value is checked where it is read: its JSON kind, its range, its
 * one canonical spelling ("-0" and "01" are not numbers here, "0x1" is not
 * a decimal string), and a namespace reference against the namespaces
 * known.  Messages name the member ("processes[2].ns.net: namespace index
 * 18 out of range (18 namespaces)") and quote the document in printable
 * ASCII only.
 */
#include "import_impl.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

/* ---- errors and context ------------------------------------------------- */

/*
 * The message goes to a terminal eventually and quotes the document (a
 * member name, a token): anything but printable ASCII becomes '?'.
 */
static void copy_visible(char *dst, size_t size, const char *src)
{
	size_t i = 0;

	if (!dst || !size)
		return;
	for (; src[i] && i + 1 < size; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	dst[i] = '\0';
}

int rd_fail(struct rd *r, int err, const char *fmt, ...)
{
	char msg[512];
	size_t n = 0;
	va_list ap;

	if (r->err)
		return r->err;
	r->err = err;
	if (r->line)
		n += (size_t)snprintf(msg, sizeof(msg), "line %u: ", r->line);
	if (r->ctxlen && n < sizeof(msg))
		n += (size_t)snprintf(msg + n, sizeof(msg) - n, "%s: ", r->ctx);
	if (n < sizeof(msg)) {
		va_start(ap, fmt);
		vsnprintf(msg + n, sizeof(msg) - n, fmt, ap);
		va_end(ap);
	}
	copy_visible(r->errbuf, r->errlen, msg);
	return err;
}

int rd_nomem(struct rd *r)
{
	return rd_fail(r, -ENOMEM, "out of memory");
}

/* Append to the context; returns what rd_ctx_pop() restores. */
__attribute__((format(printf, 2, 3)))
size_t rd_ctx_push(struct rd *r, const char *fmt, ...)
{
	size_t old = r->ctxlen;
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(r->ctx + old, sizeof(r->ctx) - old, fmt, ap);
	va_end(ap);
	if (n > 0)
		r->ctxlen = old + (size_t)n < sizeof(r->ctx) ? old + (size_t)n
							    : sizeof(r->ctx) - 1;
	return old;
}

void rd_ctx_pop(struct rd *r, size_t old)
{
	r->ctxlen = old;
	r->ctx[old] = '\0';
}

/* A member's context: "ctx.key", or "key" at the top. */
size_t rd_ctx_member(struct rd *r, const char *key)
{
	return rd_ctx_push(r, "%s%s", r->ctxlen ? "." : "", key);
}

int rd_mfail(struct rd *r, const char *key, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (r->err)
		return r->err;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	size_t old = rd_ctx_member(r, key);
	rd_fail(r, -EBADMSG, "%s", msg);
	rd_ctx_pop(r, old);
	return r->err;
}

/*
 * A syntax error: where in the document (line and column, jansson's way:
 * characters, not bytes), without the member context, as a parser that
 * had read the whole text first would report it.
 */
void rd_syntax(struct rd *r, const struct jerr *e)
{
	const char *p = r->line ? r->line_start : r->doc;
	unsigned line = 1, col = 1;
	size_t ctxlen = r->ctxlen;

	if (e->nomem) {
		rd_nomem(r);
		return;
	}
	for (; p < e->at; p++) {
		if (*p == '\n')
			line++, col = 1;
		else if ((*p & 0xc0) != 0x80)
			col++;
	}
	r->ctxlen = 0;
	if (r->line)
		rd_fail(r, -EBADMSG, "column %u: %s", col, e->text);
	else
		rd_fail(r, -EBADMSG, "line %u column %u: %s", line, col, e->text);
	r->ctxlen = ctxlen;
}

const char *rd_kind_name(struct jspan v)
{
	return jscan_kind_name(jscan_kind(v));
}

/* Whether V is of kind K; if not, KEY's message says what it is instead. */
bool rd_need_kind(struct rd *r, const char *key, struct jspan v,
		      enum jkind k)
{
	if (r->err)
		return false;
	if (!v.p) {
		rd_mfail(r, key, "missing");
		return false;
	}
	if (jscan_kind(v) != k) {
		rd_mfail(r, key, "expected %s, not %s", jscan_kind_name(k),
		      rd_kind_name(v));
		return false;
	}
	return true;
}

/* The string V decoded into *S (release it); false with the error set. */
bool rd_get_jstr(struct rd *r, struct jspan v, struct jstr *s)
{
	struct jerr e;
	int rc = jscan_str(v, s, &e);

	if (rc)
		rd_syntax(r, &e);
	return !rc;
}

/* ---- members ------------------------------------------------------------ */

/* The field of T named S[0..n), or T->n; *GUESS: where to look first
 * (members mostly come in the table's order). */
static size_t find_field(const struct xp_table *t, const char *s, size_t n,
			 size_t *guess)
{
	for (size_t k = 0; k < t->n; k++) {
		size_t i = (*guess + k) % t->n;
		if (strlen(t->f[i].name) == n && !memcmp(t->f[i].name, s, n)) {
			*guess = i + 1;
			return i;
		}
	}
	return t->n;
}

/*
 * Locate the members of object V by table T: VALS[i] the span of field i
 * (p NULL when absent).  EXTRA (may be NULL) names one more member the
 * caller reads itself ("kind").  Members T does not name, or names with a
 * flag in SKIP (the other layout's), are unknown: refused at once, or,
 * with UNKNOWN given, the first one's key kept there and the rest of V
 * walked, for a caller that must look at something else first.
 */
bool rd_members(struct rd *r, struct jspan v, const struct xp_table *t,
		    unsigned skip, const char *extra, struct jspan *vals,
		    struct jspan *unknown)
{
	struct jspan key, val, extra_seen = { 0 };
	struct jiter it;
	struct jerr e;
	size_t guess = 0;
	int rc = 0;

	memset(vals, 0, t->n * sizeof(*vals));
	if (r->err)
		return false;
	if (jscan_open(v, &it, &e)) {
		rd_syntax(r, &e);
		return false;
	}
	while (!r->err && (rc = jscan_member(&it, &key, &val, &e)) > 0) {
		struct jstr k;
		if (!rd_get_jstr(r, key, &k))
			break;
		size_t i = find_field(t, k.s, k.n, &guess);
		struct jspan *slot = i < t->n && !(t->f[i].flags & skip)
					     ? &vals[i]
				     : extra && strlen(extra) == k.n &&
				       !memcmp(extra, k.s, k.n) ? &extra_seen
				     : NULL;
		if (slot && slot->p)
			rd_fail(r, -EBADMSG, "duplicate member \"%.*s\"", (int)k.n, k.s);
		else if (slot)
			*slot = val;
		else if (!unknown)
			rd_fail(r, -EBADMSG, "unknown member \"%.*s\"", (int)k.n, k.s);
		else if (!unknown->p)
			*unknown = key;
		jscan_str_free(&k);
	}
	if (!r->err && rc < 0)
		rd_syntax(r, &e);
	return !r->err;
}

/* The member whose key is KEY (a span rd_members() kept) is unknown. */
void rd_refuse_unknown(struct rd *r, struct jspan key)
{
	struct jstr k;

	if (key.p && rd_get_jstr(r, key, &k)) {
		rd_fail(r, -EBADMSG, "unknown member \"%.*s\"", (int)k.n, k.s);
		jscan_str_free(&k);
	}
}

size_t rd_each(struct rd *r, const char *key, struct jspan v,
	       rd_each_fn *fn, void *arg)
{
	struct jspan elem;
	struct jiter it;
	struct jerr e;
	size_t i = 0;
	int rc = 0;

	if (!rd_need_kind(r, key, v, JK_ARRAY))
		return 0;
	if (jscan_open(v, &it, &e)) {
		rd_syntax(r, &e);
		return 0;
	}
	while (!r->err && (rc = jscan_element(&it, &elem, &e)) > 0)
		fn(r, elem, i++, arg);
	if (!r->err && rc < 0)
		rd_syntax(r, &e);
	return i;
}

/* ---- values ------------------------------------------------------------- */

bool rd_get_int(struct rd *r, const char *key, struct jspan v,
		    json_int_t min, json_int_t max, json_int_t *x)
{
	struct jerr e;
	bool neg_zero;

	*x = 0;
	if (!rd_need_kind(r, key, v, JK_INTEGER))
		return false;
	if (jscan_int(v, x, &neg_zero, &e)) {
		rd_syntax(r, &e);
		return false;
	}
	/* One spelling per number, as for the decimal strings. */
	if (neg_zero) {
		rd_mfail(r, key, "-0 is not how 0 is written");
		return false;
	}
	if (*x < min || *x > max) {
		rd_mfail(r, key, "%lld out of range [%lld, %lld]", (long long)*x,
		      (long long)min, (long long)max);
		return false;
	}
	return true;
}

/* A decimal string, canonical: no sign but a leading '-' when NEG is
 * allowed, no leading zeros, no "-0".  *mag its magnitude. */
static bool parse_dec(const char *s, size_t n, bool neg_ok, bool *neg,
		      uint64_t *mag)
{
	size_t i = 0;

	*neg = false;
	*mag = 0;
	if (neg_ok && n && s[0] == '-') {
		*neg = true;
		i = 1;
	}
	if (i == n || (s[i] == '0' && n - i > 1) || (*neg && s[i] == '0'))
		return false;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		unsigned d = (unsigned)(s[i] - '0');
		if (*mag > (UINT64_MAX - d) / 10)
			return false;
		*mag = *mag * 10 + d;
	}
	return true;
}

static bool get_dec(struct rd *r, struct jspan v, bool neg_ok, bool *neg,
		    uint64_t *mag)
{
	struct jstr s;
	bool ok;

	if (jscan_kind(v) != JK_STRING || !rd_get_jstr(r, v, &s))
		return false;
	ok = parse_dec(s.s, s.n, neg_ok, neg, mag);
	jscan_str_free(&s);
	return ok;
}

static uint64_t get_u64s(struct rd *r, const char *key, struct jspan v)
{
	uint64_t mag;
	bool neg;

	if (!get_dec(r, v, false, &neg, &mag)) {
		rd_mfail(r, key, "expected a decimal string from \"0\" to \"%" PRIu64
		      "\"", UINT64_MAX);
		return 0;
	}
	return mag;
}

uint64_t rd_get_u64(struct rd *r, const char *key, struct jspan v)
{
	return get_u64s(r, key, v);
}

static int64_t get_i64s(struct rd *r, const char *key, struct jspan v)
{
	uint64_t mag;
	bool neg;

	if (!get_dec(r, v, true, &neg, &mag) ||
	    mag > (neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX)) {
		rd_mfail(r, key, "expected a decimal string of a signed 64-bit number");
		return 0;
	}
	/* -(2^63) spelled without overflowing. */
	return neg ? (int64_t)(0 - mag) : (int64_t)mag;
}

/* {"base64": "..."}: the string's span in *B64, or false. */
static bool base64_member(struct rd *r, struct jspan v, struct jspan *b64)
{
	struct jspan key, val;
	struct jiter it;
	struct jerr e;
	struct jstr k;
	size_t n = 0;
	int rc = 0;

	*b64 = (struct jspan){ 0 };
	if (jscan_open(v, &it, &e)) {
		rd_syntax(r, &e);
		return false;
	}
	while ((rc = jscan_member(&it, &key, &val, &e)) > 0 && n++ == 0) {
		if (!rd_get_jstr(r, key, &k))
			return false;
		if (k.n == 6 && !memcmp(k.s, "base64", 6) &&
		    jscan_kind(val) == JK_STRING)
			*b64 = val;
		jscan_str_free(&k);
	}
	if (rc < 0) {
		rd_syntax(r, &e);
		return false;
	}
	return n == 1 && b64->p;
}

/* Bytes S[0..n) into the graph's arena, refusing a NUL (no C string holds
 * one: it would not survive). */
static const char *keep_bytes(struct rd *r, const char *key, const char *s,
			      size_t n, const char *what)
{
	const char *copy;

	if (memchr(s, '\0', n)) {
		rd_mfail(r, key, "%sa NUL byte cannot be in a string", what);
		return NULL;
	}
	copy = graph_strndup(r->g, s, n);
	if (!copy)
		rd_nomem(r);
	return copy;
}

/*
 * A string member: null (NULL), a JSON string, or {"base64": "..."} for
 * bytes that are not UTF-8.  Copied into the graph's arena.
 */
const char *rd_get_str(struct rd *r, const char *key, struct jspan v)
{
	const char *copy = NULL;
	struct jspan b64;
	struct jstr s;

	if (jscan_kind(v) == JK_NULL)
		return NULL;
	if (jscan_kind(v) == JK_STRING) {
		if (!rd_get_jstr(r, v, &s))
			return NULL;
		copy = keep_bytes(r, key, s.s, s.n, "");
		jscan_str_free(&s);
		return copy;
	}
	if (jscan_kind(v) != JK_OBJECT || !base64_member(r, v, &b64)) {
		rd_mfail(r, key, "expected null, a string or {\"base64\": \"...\"}, "
		      "not %s", rd_kind_name(v));
		return NULL;
	}
	if (!rd_get_jstr(r, b64, &s))
		return NULL;
	unsigned char *buf = malloc(s.n / 4 * 3 + 1);
	long len = buf ? xp_base64_decode(s.s, s.n, buf) : 0;
	if (!buf)
		rd_nomem(r);
	else if (len < 0)
		rd_mfail(r, key, "\"base64\": not canonical padded base64");
	else
		copy = keep_bytes(r, key, (char *)buf, (size_t)len, "\"base64\": ");
	free(buf);
	jscan_str_free(&s);
	return copy;
}

/* A namespace reference: null (GRAPH_NONE) or an index below LIMIT. */
static uint32_t get_ref(struct rd *r, const char *key, struct jspan v,
			size_t limit)
{
	json_int_t x;

	if (jscan_kind(v) == JK_NULL)
		return GRAPH_NONE;
	if (jscan_kind(v) != JK_INTEGER) {
		rd_mfail(r, key, "expected a namespace index or null, not %s",
		      rd_kind_name(v));
		return GRAPH_NONE;
	}
	if (!rd_get_int(r, key, v, INT64_MIN, INT64_MAX, &x))
		return GRAPH_NONE;
	if (x < 0 || (uint64_t)x >= limit || (uint64_t)x >= GRAPH_NONE) {
		rd_mfail(r, key, "namespace index %lld out of range (%zu namespaces)",
		      (long long)x, r->g->nns);
		return GRAPH_NONE;
	}
	return (uint32_t)x;
}

/* Namespace references resolve against every namespace, so they can only
 * be read once the namespaces are all in. */
static size_t ns_limit(const struct rd *r)
{
	return r->ns_closed ? r->g->nns : 0;
}

struct flag_list {
	const char *key;
	const struct xp_bits *bits;
	uint32_t set;
};

/* One name of a list of bit names. */
static void get_flag(struct rd *r, struct jspan name, size_t i, void *arg)
{
	struct flag_list *l = arg;
	const struct xp_bits *bits = l->bits;
	struct jstr s;
	int bit = -1;
	uint64_t b;
	bool neg;

	(void)i;
	if (jscan_kind(name) != JK_STRING) {
		rd_mfail(r, l->key, "expected names, not %s", rd_kind_name(name));
		return;
	}
	if (!rd_get_jstr(r, name, &s))
		return;
	for (unsigned k = 0; k < bits->n && bit < 0; k++)
		if (strlen(bits->names[k]) == s.n && !memcmp(bits->names[k], s.s, s.n))
			bit = (int)k;
	/* "bitN" only for bits without a name: one spelling each. */
	if (bit < 0 && s.n > 3 && !memcmp(s.s, "bit", 3) &&
	    parse_dec(s.s + 3, s.n - 3, false, &neg, &b) &&
	    b >= bits->n && b < bits->width)
		bit = (int)b;
	if (bit < 0)
		rd_mfail(r, l->key, "unknown name \"%.*s\"", (int)s.n, s.s);
	else if (l->set & (1u << bit))
		rd_mfail(r, l->key, "\"%.*s\" given twice", (int)s.n, s.s);
	else
		l->set |= 1u << bit;
	jscan_str_free(&s);
}

/* A list of bit names (see xp_bits): each at most once, any order. */
static uint32_t get_flags(struct rd *r, const char *key, struct jspan v,
			  const struct xp_bits *bits)
{
	struct flag_list l = { key, bits, 0 };

	rd_each(r, key, v, get_flag, &l);
	return r->err ? 0 : l.set;
}

static uint8_t get_nstype(struct rd *r, const char *key, struct jspan v)
{
	struct jstr s;
	int type;

	if (!rd_need_kind(r, key, v, JK_STRING) || !rd_get_jstr(r, v, &s))
		return 0;
	type = ns_type_from_name(s.s, s.n);
	if (type < 0)
		rd_mfail(r, key, "unknown namespace type \"%.*s\"", (int)s.n, s.s);
	jscan_str_free(&s);
	return type < 0 ? 0 : (uint8_t)type;
}

/* KEY must be the RFC 3339 text of NS, the number it stands beside. */
static void check_time(struct rd *r, const char *key, struct jspan v,
		       int64_t ns)
{
	char want[TEXT_RFC3339_LEN];
	struct jstr s = { 0 };

	if (!text_rfc3339(ns, true, want, sizeof(want))) {
		if (jscan_kind(v) != JK_NULL)
			rd_mfail(r, key, "expected null (time out of range)");
		return;
	}
	if (jscan_kind(v) == JK_STRING && !rd_get_jstr(r, v, &s))
		return;
	if (!s.s || s.n != strlen(want) || memcmp(s.s, want, s.n))
		rd_mfail(r, key, "does not match %s_ns (expected \"%s\")", key, want);
	jscan_str_free(&s);
}

/* ---- records by their tables -------------------------------------------- */

static void read_object(struct rd *r, const struct xp_table *t,
			struct jspan v, void *rec);

/* Field F (present, at V) of REC, record number INDEX of its kind. */
static void get_field(struct rd *r, const struct xp_field *f, struct jspan v,
		      void *rec, size_t index)
{
	void *p = (char *)rec + f->off;
	json_int_t x;

	switch (f->type) {
	case XP_I32:
		if (rd_get_int(r, f->name, v, INT32_MIN, INT32_MAX, &x))
			*(int32_t *)p = (int32_t)x;
		break;
	case XP_U32:
		if (rd_get_int(r, f->name, v, 0, UINT32_MAX, &x))
			*(uint32_t *)p = (uint32_t)x;
		break;
	case XP_U64:
		*(uint64_t *)p = get_u64s(r, f->name, v);
		break;
	case XP_I64:
		*(int64_t *)p = get_i64s(r, f->name, v);
		break;
	case XP_STR:
		*(const char **)p = rd_get_str(r, f->name, v);
		break;
	case XP_REF:
		/* XP_LATE: any index for now, graph_check() has the last word. */
		*(uint32_t *)p = get_ref(r, f->name, v, f->flags & XP_LATE
					 ? GRAPH_NONE : ns_limit(r));
		break;
	case XP_FLAGS:
		xp_store(p, f->size, get_flags(r, f->name, v, f->bits));
		break;
	case XP_NSTYPE:
		*(uint8_t *)p = get_nstype(r, f->name, v);
		break;
	case XP_INDEX:
		if (rd_get_int(r, f->name, v, 0, UINT32_MAX, &x) &&
		    (size_t)x != index)
			rd_mfail(r, f->name, "%lld, but this is namespace %zu",
			      (long long)x, index);
		break;
	case XP_OBJECT:
		if (rd_need_kind(r, f->name, v, JK_OBJECT)) {
			size_t old = rd_ctx_member(r, f->name);
			read_object(r, f->sub, v, p);
			rd_ctx_pop(r, old);
			if (f->flags & XP_KNOWN)
				*(bool *)p = true;
		}
		break;
	case XP_TASKS:
	case XP_FDS:
		/* Read once the process is in (commit_proc()). */
		rd_need_kind(r, f->name, v, JK_ARRAY);
		break;
	case XP_TIME:
		/* Held against its number, so after the other fields. */
		break;
	case XP_U8:
		if (rd_get_int(r, f->name, v, 0, UINT8_MAX, &x))
			*(uint8_t *)p = (uint8_t)x;
		break;
	case XP_ENUM:
		*(uint8_t *)p = rd_get_enum(r, f->name, v, f->bits);
		break;
	case XP_ARGV:
		rd_get_argv(r, f->name, v, rec);
		break;
	case XP_WLREF:
		*(uint32_t *)p = rd_get_wlref(r, f->name, v);
		break;
	case XP_IFACES:
		/* Read once the namespace is in (commit_ns()). */
		rd_need_kind(r, f->name, v, JK_ARRAY);
		break;
	}
}

/* Every field of T that SKIP does not rule out, from VALS into REC; the
 * RFC 3339 texts last, once their numbers are known. */
static void read_fields(struct rd *r, const struct xp_table *t,
			const struct jspan *vals, unsigned skip, void *rec,
			size_t index)
{
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < t->n && !r->err; i++) {
			const struct xp_field *f = &t->f[i];
			if ((f->flags & skip) || (f->type == XP_TIME) != pass)
				continue;
			if (!vals[i].p && !(f->flags & XP_KNOWN))
				rd_mfail(r, f->name, "missing");
			else if (!vals[i].p)
				continue;
			else if (pass)
				check_time(r, f->name, vals[i],
					   *(const int64_t *)((char *)rec + f->off));
			else
				get_field(r, f, vals[i], rec, index);
		}
	}
}

/* Object V (its kind checked) as the fields of T into REC. */
static void read_object(struct rd *r, const struct xp_table *t,
			struct jspan v, void *rec)
{
	struct jspan vals[XP_MAX_FIELDS];

	if (rd_members(r, v, t, 0, NULL, vals, NULL))
		read_fields(r, t, vals, 0, rec, 0);
}

/* Member KEY of an object, V: an object read by T into REC. */
void rd_read_part(struct rd *r, const char *key, struct jspan v,
		      const struct xp_table *t, void *rec)
{
	if (!rd_need_kind(r, key, v, JK_OBJECT))
		return;
	size_t old = rd_ctx_member(r, key);
	read_object(r, t, v, rec);
	rd_ctx_pop(r, old);
}

/* Whether one more element fits a graph array of N: indexes are 32-bit
 * and GRAPH_NONE is taken. */
bool rd_room(struct rd *r, size_t n, const char *what)
{
	if (n < GRAPH_NONE - 1)
		return true;
	rd_fail(r, -EBADMSG, "too many %s", what);
	return false;
}

union record {
	struct graph_ns ns;
	struct graph_proc proc;
	struct graph_task task;
	struct graph_fd fd;
	struct graph_mount mount;
	struct graph_gap gap;
	struct graph_workload workload;
	struct graph_iface iface;
};

/* The nested list of field type TYPE of table T, from VALS, as records
 * of kind K. */
static void read_nested(struct rd *r, const struct xp_table *t,
			const struct jspan *vals, enum xp_type type,
			const struct rd_kind *k)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->f[i].type == type && vals[i].p)
			rd_read_list(r, t->f[i].name, vals[i], k);
}

static void commit_ns(struct rd *r, void *rec, const struct jspan *vals)
{
	const struct graph_ns *ns = rec;
	struct graph *g = r->g;
	bool added;

	if (!rd_room(r, g->nns, "namespaces"))
		return;
	uint32_t idx = graph_ns_add(g, ns->key, ns->type, &added);
	if (idx == GRAPH_NONE) {
		rd_nomem(r);
	} else if (!added) {
		/* References go by index here but by key in the records. */
		rd_fail(r, -EBADMSG, "dev %" PRIu64 " ino %" PRIu64 " is "
		     "namespaces[%" PRIu32 "] already", ns->key.dev, ns->key.ino,
		     idx);
	} else {
		g->ns[idx] = *ns;
		/* Its interfaces follow it: the slice is what they took. */
		g->ns[idx].first_iface = (uint32_t)g->nifaces;
		read_nested(r, &xp_ns, vals, XP_IFACES, &rd_iface_kind);
		g->ns[idx].nifaces = (uint32_t)(g->nifaces - g->ns[idx].first_iface);
	}
}

static void commit_task(struct rd *r, void *rec, const struct jspan *vals)
{
	const struct graph_task *t = rec;

	(void)vals;
	if (!rd_room(r, r->g->ntasks, "threads"))
		return;
	struct graph_task *nt = graph_task_append(r->g, t->tid);
	if (!nt)
		rd_nomem(r);
	else
		*nt = *t;
}

static void commit_fd(struct rd *r, void *rec, const struct jspan *vals)
{
	const struct graph_fd *f = rec;

	(void)vals;
	if (!rd_room(r, r->g->nfds, "fds"))
		return;
	struct graph_fd *nf = graph_fd_append(r->g);
	if (!nf)
		rd_nomem(r);
	else
		*nf = *f;
}

static void commit_mount(struct rd *r, void *rec, const struct jspan *vals)
{
	const struct graph_mount *m = rec;

	(void)vals;
	if (!rd_room(r, r->g->nmounts, "mounts"))
		return;
	struct graph_mount *nm = graph_mount_append(r->g);
	if (!nm)
		rd_nomem(r);
	else
		*nm = *m;
}

static void commit_gap(struct rd *r, void *rec, const struct jspan *vals)
{
	const struct graph_gap *gap = rec;
	struct graph *g = r->g;

	(void)vals;
	if (!rd_room(r, g->ngaps, "gaps"))
		return;
	/* graph_gap_add() copies WHAT and cannot store NULL: set it after. */
	if (graph_gap_add(g, gap->pid, gap->tid, gap->err, ""))
		rd_nomem(r);
	else
		g->gaps[g->ngaps - 1].what = gap->what;
}

static void commit_proc(struct rd *r, void *rec, const struct jspan *vals);

const struct rd_kind rd_ns_kind = { &xp_ns, commit_ns };
const struct rd_kind rd_proc_kind = { &xp_proc, commit_proc };
const struct rd_kind rd_task_kind = { &xp_task, commit_task };
const struct rd_kind rd_fd_kind = { &xp_fd, commit_fd };
const struct rd_kind rd_mount_kind = { &xp_mount, commit_mount };
const struct rd_kind rd_gap_kind = { &xp_gap, commit_gap };

/* The fields of the other layout, and of a later version than the
 * document's: unknown members here. */
static unsigned layout_skip(const struct rd *r)
{
	return (r->mode == MODE_SLICED ? XP_NESTED
		: r->mode == MODE_NESTED ? XP_SLICED : 0) |
	       (r->version < EXPORT_VERSION ? XP_V2 : 0);
}

/*
 * Object V as a record of kind K, number INDEX of its kind; EXTRA as in
 * rd_members().  The first process of an NDJSON document says by its members
 * which layout the document has.
 */
void rd_read_record(struct rd *r, const struct rd_kind *k, struct jspan v,
			size_t index, const char *extra)
{
	struct jspan vals[XP_MAX_FIELDS];
	union record rec;
	bool decide = r->mode == MODE_UNKNOWN && k == &rd_proc_kind;

	memset(&rec, 0, sizeof(rec));
	/* What the model says is none, for a document of version 1 (which
	 * does not carry them) and as the start of any other. */
	if (k == &rd_proc_kind) {
		rec.proc.loginuid = rec.proc.sessionid = UINT32_MAX;
		rec.proc.workload = GRAPH_NONE;
	}
	if (jscan_kind(v) != JK_OBJECT) {
		rd_fail(r, -EBADMSG, "expected an object, not %s", rd_kind_name(v));
		return;
	}
	if (!rd_members(r, v, k->t, layout_skip(r), extra, vals, NULL))
		return;
	for (size_t i = 0; decide && i < k->t->n; i++)
		if ((k->t->f[i].flags & XP_SLICED) && vals[i].p)
			r->mode = MODE_SLICED;
	if (decide && r->mode == MODE_UNKNOWN)
		r->mode = MODE_NESTED;
	for (size_t i = 0; decide && i < k->t->n && !r->err; i++)
		if ((k->t->f[i].flags & layout_skip(r) & (XP_NESTED | XP_SLICED)) &&
		    vals[i].p)
			rd_fail(r, -EBADMSG, "unknown member \"%s\"", k->t->f[i].name);
	read_fields(r, k->t, vals, layout_skip(r), &rec, index);
	if (!r->err)
		k->commit(r, &rec, vals);
}

struct record_list {
	const char *key;
	const struct rd_kind *k;
};

static void read_element(struct rd *r, struct jspan elem, size_t i, void *arg)
{
	const struct record_list *l = arg;
	size_t old = rd_ctx_push(r, "%s%s[%zu]", r->ctxlen ? "." : "", l->key, i);

	rd_read_record(r, l->k, elem, i, NULL);
	rd_ctx_pop(r, old);
}

void rd_read_list(struct rd *r, const char *key, struct jspan v,
		  const struct rd_kind *k)
{
	struct record_list l = { key, k };

	rd_each(r, key, v, read_element, &l);
}

/* The process is in: in the nested layout its threads and fds follow it
 * into the graph, and its slices are what they took. */
static void commit_proc(struct rd *r, void *rec, const struct jspan *vals)
{
	struct graph_proc p = *(struct graph_proc *)rec;
	struct graph *g = r->g;

	if (!rd_room(r, g->nprocs, "processes"))
		return;
	struct graph_proc *np = graph_proc_append(g, p.pid);
	if (!np) {
		rd_nomem(r);
		return;
	}
	size_t idx = g->nprocs - 1;
	if (r->mode != MODE_SLICED) {
		p.first_task = np->first_task;
		p.first_fd = np->first_fd;
		for (size_t i = 0; i < xp_proc.n; i++) {
			const struct xp_field *f = &xp_proc.f[i];
			if (f->type == XP_TASKS || f->type == XP_FDS)
				rd_read_list(r, f->name, vals[i], f->type == XP_TASKS
					  ? &rd_task_kind : &rd_fd_kind);
		}
		/* Nothing else appended meanwhile: the slices are these. */
		p.ntasks = (uint32_t)(g->ntasks - p.first_task);
		p.nfds = (uint32_t)(g->nfds - p.first_fd);
	}
	g->procs[idx] = p;
}

