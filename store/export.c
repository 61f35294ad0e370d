/*
 * export.c — one snapshot as a self-contained JSON or NDJSON document.
 *
 * The schema is nsnap(5)'s; in short, version 1:
 *
 *   { "format": "nsnap-snapshot", "version": 1,
 *     "origin": { "id": "<u64>", "label": STR },
 *     "meta": { "start": RFC3339, "start_ns": "<i64>", "end", "end_ns",
 *               "hostname", "kernel", "boot_id": STR, "capturer_pid": int,
 *               "collected": [names], "types_present": [names],
 *               "nsfs_dev": "<u64>" },
 *     "namespaces": [ { "index", "dev", "ino", "type", "flags", "owner",
 *                       "owner_err", "parent", "parent_err", "creator_uid",
 *                       "kernel_id", "uid_map", "gid_map" } ],
 *     "processes": [ { "pid", "flags", "ppid", "uid", "start_time", "comm",
 *                      "nstgid", "status_err", "ns", "ns_err", "task_err",
 *                      "fd_err", "tasks": [ { "tid", "comm", "ns",
 *                      "ns_err" } ], "fds": [ { "fd", "ns" } ] } ],
 *     "layout": { "tasks": [...], "fds": [...] }     (odd layouts only)
 *     "mounts": [ { "mntns", "ns", "open_err", "list_err", "path" } ],
 *     "gaps": [ { "pid", "tid", "err", "what" } ],
 *     "records": { "meta", "layout", "namespaces": [...], "processes":
 *                  [...], "mounts": [...], "digest" } }
 *
 * NDJSON carries the same objects one per line, each with a "kind": a
 * header (format, version, origin, meta), the namespaces, processes, tasks
 * and fds (odd layouts only), mounts, gaps, and a trailer with the records.
 *
 * Choices that matter:
 *   - Namespace references are indexes into "namespaces" (null for
 *     GRAPH_NONE); each namespace carries its (dev, ino) and index.  The
 *     key at every one of a thread's ten link slots would triple the size.
 *   - 64-bit values are decimal strings: JSON numbers are doubles to most
 *     readers, and 2^53 is well inside the range of inodes, ids and ns.
 *   - A string is null (NULL), a JSON string when its bytes are valid
 *     UTF-8, else {"base64": "..."}: comm and paths are whatever bytes the
 *     kernel or a user put there, and jansson (like JSON) is UTF-8 only.
 *   - Output is printable ASCII and newlines only (JSON_ENSURE_ASCII, and
 *     DEL escaped by hand): a forensic document must be safe to cat on a
 *     terminal, and bidi or invisible characters in a hostile comm show up
 *     as \uXXXX instead of rearranging or hiding part of the line.
 *   - "records" holds the XXH3-128 hash of every record codec.c makes of
 *     the graph, and "digest" the store header's digest over them: the
 *     same values the store keys the records by, so an export can be
 *     matched against a store.  Import rebuilds the graph, encodes it again
 *     and refuses the document when any hash differs: a hand edit or a
 *     damaged file cannot pass for the snapshot.
 *   - The reader is strict: unknown members, duplicate keys, numbers out of
 *     range, non-canonical decimal strings and out-of-range indexes are
 *     all refused with a message naming the member.  A version bump is how
 *     the schema grows.
 */
#include "export.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <xxhash.h>

#include "codec.h"

#define EXPORT_FORMAT "nsnap-snapshot"
#define EXPORT_VERSION 1

/* ---- names of bits ------------------------------------------------------ */

/* Bit i of graph_meta.collected; the reader relies on this order. */
static const char *const collected_names[] = {
	"tasks", "pins", "maps", "comm", "nstgid", "owners", "parents",
	"stat", "all_procs",
};
_Static_assert(GRAPH_HAVE_TASKS == 1u << 0 && GRAPH_HAVE_PINS == 1u << 1 &&
	       GRAPH_HAVE_MAPS == 1u << 2 && GRAPH_HAVE_COMM == 1u << 3 &&
	       GRAPH_HAVE_NSTGID == 1u << 4 && GRAPH_HAVE_OWNERS == 1u << 5 &&
	       GRAPH_HAVE_PARENTS == 1u << 6 && GRAPH_HAVE_STAT == 1u << 7 &&
	       GRAPH_HAVE_ALL_PROCS == 1u << 8 &&
	       GRAPH_HAVE_EVERYTHING == (1u << 9) - 1,
	       "collected_names[] follows the GRAPH_HAVE_* bits");

static const char *const ns_flag_names[] = { "id", "creator" };
_Static_assert(GRAPH_NS_HAS_ID == 1u << 0 && GRAPH_NS_HAS_CREATOR == 1u << 1,
	       "ns_flag_names[] follows the GRAPH_NS_* bits");

static const char *const proc_flag_names[] = { "listed" };
_Static_assert(GRAPH_PROC_LISTED == 1u << 0,
	       "proc_flag_names[] follows the GRAPH_PROC_* bits");

static const char *const type_names[NS_NTYPES] = {
	"cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts",
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- strings: UTF-8 or base64 ------------------------------------------- */

/*
 * Whether S[0..n) is UTF-8 as RFC 3629 (and jansson) define it: no
 * overlong forms, no surrogates, nothing above U+10FFFF.  NUL is refused
 * too: a graph string is a C string and never holds one.
 */
static bool utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned c = s[i];
		size_t len;
		uint32_t cp, min;

		if (c == 0)
			return false;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			len = 2, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			len = 3, cp = c & 0x0f, min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4, cp = c & 0x07, min = 0x10000;
		} else {
			return false;
		}
		if (n - i < len)
			return false;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += len;
	}
	return true;
}

static const char b64_digits[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* RFC 4648 base64 with padding, NUL-terminated; NULL on ENOMEM. */
static char *base64_encode(const unsigned char *p, size_t n)
{
	char *out = malloc((n + 2) / 3 * 4 + 1);
	char *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		*o++ = b64_digits[v >> 18 & 63];
		*o++ = b64_digits[v >> 12 & 63];
		*o++ = i + 1 < n ? b64_digits[v >> 6 & 63] : '=';
		*o++ = i + 2 < n ? b64_digits[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

static int b64_value(unsigned char c)
{
	const char *p = c ? strchr(b64_digits, c) : NULL;

	return p ? (int)(p - b64_digits) : -1;
}

/*
 * Decode S[0..n) into OUT (room for n / 4 * 3 bytes); the decoded length,
 * or -1 unless S is canonical base64: padded, no blanks, unused bits zero.
 * One spelling per byte string keeps a document unambiguous.
 */
static long base64_decode(const char *s, size_t n, unsigned char *out)
{
	size_t len = 0;

	if (n % 4)
		return -1;
	for (size_t i = 0; i < n; i += 4) {
		int v[4];
		size_t pad = 0;

		for (int k = 0; k < 4; k++) {
			unsigned char c = (unsigned char)s[i + k];
			if (c == '=' && i + 4 == n && k >= 2) {
				v[k] = 0;
				pad++;
				continue;
			}
			if (pad)        /* "=" then a digit */
				return -1;
			v[k] = b64_value(c);
			if (v[k] < 0)
				return -1;
		}
		uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 |
			     (uint32_t)v[2] << 6 | (uint32_t)v[3];
		if ((pad == 1 && (w & 0xff)) || (pad == 2 && (w & 0xffff)))
			return -1;
		out[len++] = (unsigned char)(w >> 16);
		if (pad < 2)
			out[len++] = (unsigned char)(w >> 8);
		if (pad < 1)
			out[len++] = (unsigned char)w;
	}
	return (long)len;
}

/* ---- record hashes ------------------------------------------------------ */

/*
 * The XXH3-128 hashes of a graph's records, as the store computes them
 * (codec_hash(), codec_digest()): one array in digest order, meta,
 * layout (when there is one), namespaces, processes, mount runs.
 */
struct rec_hashes {
	struct codec_hash *all;
	size_t nall;
	struct codec_hash *meta, *layout;   /* layout NULL: none */
	struct codec_hash *ns, *procs, *runs;
	size_t nns, nprocs, nruns;
	struct codec_hash digest;
};

static int hashes_alloc(struct rec_hashes *h, bool layout, size_t nns,
			size_t nprocs, size_t nruns)
{
	size_t n = 1 + layout;

	*h = (struct rec_hashes){ 0 };
	/* Sums of array sizes of one document: cannot overflow in practice,
	 * but a decoder does not get to assume that. */
	if (nns > SIZE_MAX / 4 / sizeof(*h->all) ||
	    nprocs > SIZE_MAX / 4 / sizeof(*h->all) ||
	    nruns > SIZE_MAX / 4 / sizeof(*h->all))
		return -ENOMEM;
	n += nns + nprocs + nruns;
	h->all = calloc(n, sizeof(*h->all));
	if (!h->all)
		return -ENOMEM;
	h->nall = n;
	h->meta = &h->all[0];
	h->layout = layout ? &h->all[1] : NULL;
	h->ns = h->all + 1 + layout;
	h->procs = h->ns + nns;
	h->runs = h->procs + nprocs;
	h->nns = nns;
	h->nprocs = nprocs;
	h->nruns = nruns;
	return 0;
}

static void hashes_free(struct rec_hashes *h)
{
	free(h->all);
	*h = (struct rec_hashes){ 0 };
}

/* The store header's digest: over the record hashes, in order. */
static void hashes_digest(struct rec_hashes *h)
{
	codec_digest(h->all, h->nall, &h->digest);
}

/* 0, -EINVAL (G is inconsistent: codec_encode_graph() says so), -ENOMEM. */
static int hashes_compute(const struct graph *g, struct rec_hashes *h)
{
	struct codec_snapshot s;
	int ret;

	*h = (struct rec_hashes){ 0 };
	ret = codec_encode_graph(g, &s);
	if (ret)
		return ret;
	ret = hashes_alloc(h, s.layout.len > 0, s.nns, s.nprocs, s.nmounts);
	if (ret)
		goto out;
	ret = codec_meta_hash(&s.meta, &s.capture, h->meta);
	if (ret) {
		hashes_free(h);
		goto out;
	}
	if (h->layout)
		codec_hash(s.layout.data, s.layout.len, h->layout);
	for (size_t i = 0; i < s.nns; i++)
		codec_hash(s.ns[i].data, s.ns[i].len, &h->ns[i]);
	for (size_t i = 0; i < s.nprocs; i++)
		codec_hash(s.procs[i].data, s.procs[i].len, &h->procs[i]);
	for (size_t i = 0; i < s.nmounts; i++)
		codec_hash(s.mounts[i].data, s.mounts[i].len, &h->runs[i]);
	hashes_digest(h);
out:
	codec_snapshot_free(&s);
	return ret;
}

static void hash_hex(const struct codec_hash *h, char out[2 * CODEC_HASH_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < CODEC_HASH_LEN; i++) {
		out[2 * i] = digits[h->b[i] >> 4];
		out[2 * i + 1] = digits[h->b[i] & 15];
	}
	out[2 * CODEC_HASH_LEN] = '\0';
}

/* Mount run K (as codec.c cuts them): *first and the count. */
static size_t run_bounds(const struct graph *g, size_t k, size_t *first)
{
	size_t i = 0, n = 0;

	for (size_t run = 0; i < g->nmounts; i += n, run++) {
		for (n = 1; i + n < g->nmounts &&
		     g->mounts[i + n].mntns == g->mounts[i].mntns; n++)
			;
		if (run == k)
			break;
	}
	*first = i;
	return i < g->nmounts ? n : 0;
}

/* ---- RFC 3339 ----------------------------------------------------------- */

/*
 * NS since the epoch as "YYYY-MM-DDTHH:MM:SS.NNNNNNNNNZ": always nine
 * digits, so that the text is a function of the number and the reader can
 * check it by writing it again.  int64 ns span 1677 to 2262: four-digit
 * years, as RFC 3339 wants.  False when gmtime_r() cannot say.
 */
static bool format_time(int64_t ns, char *buf, size_t size)
{
	int64_t sec = ns / 1000000000, frac = ns % 1000000000;
	struct tm tm;
	time_t t;

	if (frac < 0) {         /* C division truncates; a time floors */
		frac += 1000000000;
		sec--;
	}
	t = (time_t)sec;
	if (!gmtime_r(&t, &tm))
		return false;
	size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	if (n == 0)
		return false;
	int k = snprintf(buf + n, size - n, ".%09" PRId64 "Z", frac);
	return k > 0 && (size_t)k < size - n;
}

/* ---- writing ------------------------------------------------------------ */

/* A sticky error: the first failure (-ENOMEM) stays, building goes on. */
struct wr {
	int err;
	bool nested; /* threads and fds inside their processes (see j_proc) */
};

/* jansson's setters take V even when they fail and accept NULL (a failed
 * allocation), which makes one check per document enough. */
static void put(struct wr *w, json_t *obj, const char *key, json_t *v)
{
	if (json_object_set_new_nocheck(obj, key, v) && !w->err)
		w->err = -ENOMEM;
}

static void append(struct wr *w, json_t *arr, json_t *v)
{
	if (json_array_append_new(arr, v) && !w->err)
		w->err = -ENOMEM;
}

static json_t *j_u64(uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return json_string_nocheck(buf);
}

static json_t *j_i64(int64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRId64, v);
	return json_string_nocheck(buf);
}

static json_t *j_int(int64_t v)
{
	return json_integer((json_int_t)v);
}

static json_t *j_ref(uint32_t idx)
{
	return idx == GRAPH_NONE ? json_null() : json_integer(idx);
}

static json_t *j_str(const char *s)
{
	if (!s)
		return json_null();
	size_t n = strlen(s);
	if (utf8_valid((const unsigned char *)s, n))
		return json_stringn_nocheck(s, n);

	char *b64 = base64_encode((const unsigned char *)s, n);
	json_t *o = json_object();
	if (!b64 || !o ||
	    json_object_set_new_nocheck(o, "base64", json_string_nocheck(b64))) {
		json_decref(o);
		o = NULL;
	}
	free(b64);
	return o;
}

static json_t *j_time(int64_t ns)
{
	char buf[64];

	return format_time(ns, buf, sizeof(buf)) ? json_string_nocheck(buf)
						 : json_null();
}

/* The set bits of V (WIDTH bits): NAMES for the known ones, "bitN" else. */
static json_t *j_flags(uint32_t v, const char *const *names, size_t nnames,
		       unsigned width)
{
	json_t *arr = json_array();
	struct wr w = { 0 };

	for (unsigned b = 0; arr && b < width; b++) {
		char buf[16];
		if (!(v & (1u << b)))
			continue;
		if (b < nnames) {
			append(&w, arr, json_string_nocheck(names[b]));
			continue;
		}
		snprintf(buf, sizeof(buf), "bit%u", b);
		append(&w, arr, json_string_nocheck(buf));
	}
	if (w.err) {
		json_decref(arr);
		return NULL;
	}
	return arr;
}

static json_t *j_hash(const struct codec_hash *h)
{
	char buf[2 * CODEC_HASH_LEN + 1];

	hash_hex(h, buf);
	return json_string_nocheck(buf);
}

static json_t *j_hashes(const struct codec_hash *h, size_t n)
{
	json_t *arr = json_array();
	struct wr w = { 0 };

	for (size_t i = 0; arr && i < n; i++)
		append(&w, arr, j_hash(&h[i]));
	if (w.err) {
		json_decref(arr);
		return NULL;
	}
	return arr;
}

/* A new object, with "kind" first when KIND (NDJSON lines) is given. */
static json_t *j_object(struct wr *w, const char *kind)
{
	json_t *o = json_object();

	if (!o)
		w->err = -ENOMEM;
	else if (kind)
		put(w, o, "kind", json_string_nocheck(kind));
	return o;
}

/* "ns": the ten slots as indexes; "ns_err": the eight link errnos. */
static void put_links(struct wr *w, json_t *obj, const struct graph_links *l)
{
	json_t *ns = json_object(), *err = json_object();

	for (unsigned t = 0; t < NS_NTYPES; t++) {
		put(w, ns, type_names[t], j_ref(l->ns[t]));
		put(w, err, type_names[t], j_int(l->err[t]));
	}
	put(w, ns, "pid_for_children", j_ref(l->pid_for_children));
	put(w, ns, "time_for_children", j_ref(l->time_for_children));
	put(w, obj, "ns", ns);
	put(w, obj, "ns_err", err);
}

static json_t *j_origin(struct wr *w, const struct export_info *info)
{
	json_t *o = j_object(w, NULL);

	put(w, o, "id", j_u64(info ? info->id : 0));
	put(w, o, "label", j_str(info ? info->label : NULL));
	return o;
}

static json_t *j_meta(struct wr *w, const struct graph_meta *m)
{
	json_t *o = j_object(w, NULL);

	put(w, o, "start", j_time(m->start_ns));
	put(w, o, "start_ns", j_i64(m->start_ns));
	put(w, o, "end", j_time(m->end_ns));
	put(w, o, "end_ns", j_i64(m->end_ns));
	put(w, o, "hostname", j_str(m->hostname));
	put(w, o, "kernel", j_str(m->kernel));
	put(w, o, "boot_id", j_str(m->boot_id));
	put(w, o, "capturer_pid", j_int(m->capturer_pid));
	put(w, o, "collected", j_flags(m->collected, collected_names,
				       ARRAY_SIZE(collected_names), 32));
	put(w, o, "types_present", j_flags(m->types_present, type_names,
					   NS_NTYPES, 32));
	put(w, o, "nsfs_dev", j_u64(m->nsfs_dev));
	return o;
}

static json_t *j_ns(struct wr *w, const struct graph *g, size_t i,
		    const char *kind)
{
	const struct graph_ns *ns = &g->ns[i];
	json_t *o = j_object(w, kind);

	put(w, o, "index", j_int((int64_t)i));
	put(w, o, "dev", j_u64(ns->key.dev));
	put(w, o, "ino", j_u64(ns->key.ino));
	/* The encoder refused a type out of range before we got here. */
	put(w, o, "type", json_string_nocheck(type_names[ns->type]));
	put(w, o, "flags", j_flags(ns->flags, ns_flag_names,
				   ARRAY_SIZE(ns_flag_names), 8));
	put(w, o, "owner", j_ref(ns->owner));
	put(w, o, "owner_err", j_int(ns->owner_err));
	put(w, o, "parent", j_ref(ns->parent));
	put(w, o, "parent_err", j_int(ns->parent_err));
	put(w, o, "creator_uid", j_int(ns->creator_uid));
	put(w, o, "kernel_id", j_u64(ns->kernel_id));
	put(w, o, "uid_map", j_str(ns->uid_map));
	put(w, o, "gid_map", j_str(ns->gid_map));
	return o;
}

static json_t *j_task(struct wr *w, const struct graph *g, size_t i,
		      const char *kind)
{
	const struct graph_task *t = &g->tasks[i];
	json_t *o = j_object(w, kind);

	put(w, o, "tid", j_int(t->tid));
	put(w, o, "comm", j_str(t->comm));
	put_links(w, o, &t->links);
	return o;
}

static json_t *j_fd(struct wr *w, const struct graph *g, size_t i,
		    const char *kind)
{
	const struct graph_fd *f = &g->fds[i];
	json_t *o = j_object(w, kind);

	put(w, o, "fd", j_int(f->fd));
	put(w, o, "ns", j_ref(f->ns));
	return o;
}

static json_t *j_slice(struct wr *w, uint32_t first, uint32_t count)
{
	json_t *o = j_object(w, NULL);

	put(w, o, "first", j_int(first));
	put(w, o, "count", j_int(count));
	return o;
}

/* W->nested: the process's threads and fds inside it (the layout capture
 * makes); otherwise its slices of the top-level "layout" arrays. */
static json_t *j_proc(struct wr *w, const struct graph *g, size_t i,
		      const char *kind)
{
	const struct graph_proc *p = &g->procs[i];
	json_t *o = j_object(w, kind);

	put(w, o, "pid", j_int(p->pid));
	put(w, o, "flags", j_flags(p->flags, proc_flag_names,
				   ARRAY_SIZE(proc_flag_names), 32));
	put(w, o, "ppid", j_int(p->ppid));
	put(w, o, "uid", j_int(p->uid));
	put(w, o, "start_time", j_u64(p->start_time));
	put(w, o, "comm", j_str(p->comm));
	put(w, o, "nstgid", j_str(p->nstgid));
	put(w, o, "status_err", j_int(p->status_err));
	put_links(w, o, &p->links);
	put(w, o, "task_err", j_int(p->task_err));
	put(w, o, "fd_err", j_int(p->fd_err));
	if (!w->nested) {
		put(w, o, "task_slice", j_slice(w, p->first_task, p->ntasks));
		put(w, o, "fd_slice", j_slice(w, p->first_fd, p->nfds));
		return o;
	}
	json_t *tasks = json_array(), *fds = json_array();
	for (uint32_t k = 0; tasks && k < p->ntasks && !w->err; k++)
		append(w, tasks, j_task(w, g, p->first_task + k, NULL));
	for (uint32_t k = 0; fds && k < p->nfds && !w->err; k++)
		append(w, fds, j_fd(w, g, p->first_fd + k, NULL));
	put(w, o, "tasks", tasks);
	put(w, o, "fds", fds);
	return o;
}

static json_t *j_mount(struct wr *w, const struct graph *g, size_t i,
		       const char *kind)
{
	const struct graph_mount *m = &g->mounts[i];
	json_t *o = j_object(w, kind);

	put(w, o, "mntns", j_ref(m->mntns));
	put(w, o, "ns", j_ref(m->ns));
	put(w, o, "open_err", j_int(m->open_err));
	put(w, o, "list_err", j_int(m->list_err));
	put(w, o, "path", j_str(m->path));
	return o;
}

static json_t *j_gap(struct wr *w, const struct graph *g, size_t i,
		     const char *kind)
{
	const struct graph_gap *gap = &g->gaps[i];
	json_t *o = j_object(w, kind);

	put(w, o, "pid", j_int(gap->pid));
	put(w, o, "tid", j_int(gap->tid));
	put(w, o, "err", j_int(gap->err));
	put(w, o, "what", j_str(gap->what));
	return o;
}

static json_t *j_records(struct wr *w, const struct rec_hashes *h)
{
	json_t *o = j_object(w, NULL);

	put(w, o, "meta", j_hash(h->meta));
	if (h->layout)
		put(w, o, "layout", j_hash(h->layout));
	put(w, o, "namespaces", j_hashes(h->ns, h->nns));
	put(w, o, "processes", j_hashes(h->procs, h->nprocs));
	put(w, o, "mounts", j_hashes(h->runs, h->nruns));
	put(w, o, "digest", j_hash(&h->digest));
	return o;
}

/*
 * jansson's output, with DEL escaped: JSON_ENSURE_ASCII escapes controls
 * and everything above 0x7f but not 0x7f itself, an invisible byte on a
 * terminal.  Outside strings jansson writes only printable ASCII, so each
 * 0x7f is inside one and "\u007f" is the same string.
 */
static int dump_cb(const char *p, size_t n, void *data)
{
	FILE *out = data;

	while (n) {
		const char *del = memchr(p, 0x7f, n);
		size_t k = del ? (size_t)(del - p) : n;
		if (k && fwrite(p, 1, k, out) != k)
			return -1;
		if (del && fputs("\\u007f", out) == EOF)
			return -1;
		k += del != NULL;
		p += k;
		n -= k;
	}
	return 0;
}

/* Print V and a newline; consumes V.  0 or -errno. */
static int emit(FILE *out, json_t *v, size_t flags, struct wr *w)
{
	int ret = w->err;

	if (!ret && !v)
		ret = -ENOMEM;
	if (!ret) {
		errno = 0;
		if (json_dump_callback(v, dump_cb, out, flags | JSON_ENSURE_ASCII |
				       JSON_PRESERVE_ORDER) ||
		    fputc('\n', out) == EOF)
			ret = errno ? -errno : -EIO;
	}
	json_decref(v);
	return ret;
}

/* Record I of one list of G; KIND as in j_object. */
typedef json_t *record_fn(struct wr *w, const struct graph *g, size_t i,
			  const char *kind);

/* A document being written, in either format. */
struct doc {
	FILE *out;
	const struct graph *g;
	bool lines; /* NDJSON: every object printed as it is made */
	struct wr w;
};

/*
 * Records 0 to N-1 made by MAKE.  JSON: an array, member KEY of PARENT.
 * NDJSON: one line each, of kind KIND, so that memory stays that of one
 * object, not the document.  0 or -errno (JSON: errors stay in d->w).
 */
static int put_each(struct doc *d, json_t *parent, const char *key,
		    const char *kind, size_t n, record_fn *make)
{
	int ret = 0;

	if (d->lines) {
		for (size_t i = 0; !ret && i < n; i++)
			ret = emit(d->out, make(&d->w, d->g, i, kind),
				   JSON_COMPACT, &d->w);
		return ret;
	}
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < n && !d->w.err; i++)
		append(&d->w, arr, make(&d->w, d->g, i, NULL));
	put(&d->w, parent, key, arr);
	return 0;
}

/*
 * JSON: one object, printed indented at the end.  NDJSON: a "header" line
 * (the members before the records), a line per record, a "trailer" line.
 */
static int write_doc(FILE *out, const struct graph *g,
		     const struct export_info *info,
		     const struct rec_hashes *h, bool lines)
{
	struct doc d = { .out = out, .g = g, .lines = lines,
			 .w.nested = !h->layout };
	struct wr *w = &d.w;
	json_t *o = j_object(w, lines ? "header" : NULL);
	json_t *root = lines ? NULL : o;
	int ret = 0;

	put(w, o, "format", json_string_nocheck(EXPORT_FORMAT));
	put(w, o, "version", json_integer(EXPORT_VERSION));
	put(w, o, "origin", j_origin(w, info));
	put(w, o, "meta", j_meta(w, &g->meta));
	if (lines)
		ret = emit(out, o, JSON_COMPACT, w);

	if (!ret)
		ret = put_each(&d, root, "namespaces", "namespace", g->nns, j_ns);
	if (!ret)
		ret = put_each(&d, root, "processes", "process", g->nprocs,
			       j_proc);
	if (!w->nested) {
		json_t *layout = lines ? NULL : j_object(w, NULL);
		if (!ret)
			ret = put_each(&d, layout, "tasks", "task", g->ntasks,
				       j_task);
		if (!ret)
			ret = put_each(&d, layout, "fds", "fd", g->nfds, j_fd);
		if (!lines)
			put(w, root, "layout", layout);
	}
	if (!ret)
		ret = put_each(&d, root, "mounts", "mount", g->nmounts, j_mount);
	if (!ret)
		ret = put_each(&d, root, "gaps", "gap", g->ngaps, j_gap);
	if (ret)
		return ret;

	if (lines)
		o = j_object(w, "trailer");
	put(w, o, "records", j_records(w, h));
	return emit(out, o, lines ? JSON_COMPACT : JSON_INDENT(2), w);
}

int export_write(FILE *out, const struct graph *g,
		 const struct export_info *info, enum export_format fmt)
{
	struct rec_hashes h;
	int ret;

	if (!out || !g || (fmt != EXPORT_JSON && fmt != EXPORT_NDJSON))
		return -EINVAL;
	/* First, so that an inconsistent graph writes nothing at all. */
	ret = hashes_compute(g, &h);
	if (ret)
		return ret;
	ret = write_doc(out, g, info, &h, fmt == EXPORT_NDJSON);
	hashes_free(&h);
	/* A full disk shows at the flush, not at the buffered writes. */
	if (!ret && fflush(out))
		ret = errno ? -errno : -EIO;
	return ret;
}

/* ---- reading: errors and context ---------------------------------------- */

enum mode { MODE_UNKNOWN, MODE_NESTED, MODE_SLICED };

struct rd {
	struct graph *g;
	struct export_info *info;
	char *errbuf;
	size_t errlen;
	int err;                /* first failure: -EBADMSG, -ENOMEM... */
	unsigned line;          /* NDJSON: the line being read; else 0 */
	char ctx[160];          /* where: "processes[2].tasks[0]" */
	size_t ctxlen;
	enum mode mode;         /* threads and fds nested or sliced */
	bool ns_closed;         /* every namespace is known */
	bool have_records;
	struct rec_hashes want; /* what the document says */
};

/*
 * The message goes to a terminal eventually and quotes the document (a
 * member name, jansson's "near '...'"): anything but printable ASCII
 * becomes '?'.
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

/* Record the first failure ERR with "line N: ctx: message".  Returns the
 * sticky error. */
__attribute__((format(printf, 3, 4)))
static int fail(struct rd *r, int err, const char *fmt, ...)
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

static int nomem(struct rd *r)
{
	return fail(r, -ENOMEM, "out of memory");
}

/* Append to the context; returns what ctx_pop() restores. */
__attribute__((format(printf, 2, 3)))
static size_t ctx_push(struct rd *r, const char *fmt, ...)
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

static void ctx_pop(struct rd *r, size_t old)
{
	r->ctxlen = old;
	r->ctx[old] = '\0';
}

/* A member's context: "ctx.key", or "key" at the top. */
static size_t ctx_member(struct rd *r, const char *key)
{
	return ctx_push(r, "%s%s", r->ctxlen ? "." : "", key);
}

__attribute__((format(printf, 3, 4)))
static int mfail(struct rd *r, const char *key, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (r->err)
		return r->err;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	size_t old = ctx_member(r, key);
	fail(r, -EBADMSG, "%s", msg);
	ctx_pop(r, old);
	return r->err;
}

static const char *json_kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a real number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "something else";
}

/* ---- reading: members --------------------------------------------------- */

/*
 * Refuse members of OBJ that are not in ALLOWED (NULL-terminated) or
 * EXTRA: a member this version does not know is something the document
 * meant and this reader would drop.
 */
static void check_members(struct rd *r, json_t *obj, const char *const *allowed,
			  const char *extra)
{
	const char *key;
	json_t *v;

	if (r->err)
		return;
	json_object_foreach(obj, key, v) {
		bool known = extra && !strcmp(key, extra);
		for (size_t i = 0; !known && allowed[i]; i++)
			known = !strcmp(key, allowed[i]);
		if (!known) {
			fail(r, -EBADMSG, "unknown member \"%s\"", key);
			return;
		}
	}
}

/* Member KEY, which must be there. */
static json_t *need(struct rd *r, json_t *obj, const char *key)
{
	json_t *v;

	if (r->err)
		return NULL;
	v = json_object_get(obj, key);
	if (!v)
		mfail(r, key, "missing");
	return v;
}

static json_t *need_type(struct rd *r, json_t *obj, const char *key,
			 json_type type, const char *what)
{
	json_t *v = need(r, obj, key);

	if (v && json_typeof(v) != type) {
		mfail(r, key, "expected %s, not %s", what, json_kind(v));
		return NULL;
	}
	return v;
}

static json_t *need_obj(struct rd *r, json_t *obj, const char *key)
{
	return need_type(r, obj, key, JSON_OBJECT, "an object");
}

static json_t *need_arr(struct rd *r, json_t *obj, const char *key)
{
	return need_type(r, obj, key, JSON_ARRAY, "an array");
}

static json_int_t get_int(struct rd *r, json_t *obj, const char *key,
			  json_int_t min, json_int_t max)
{
	json_t *v = need(r, obj, key);

	if (!v)
		return 0;
	if (!json_is_integer(v)) {
		mfail(r, key, "expected an integer, not %s", json_kind(v));
		return 0;
	}
	json_int_t x = json_integer_value(v);
	if (x < min || x > max) {
		mfail(r, key, "%lld out of range [%lld, %lld]", (long long)x,
		      (long long)min, (long long)max);
		return 0;
	}
	return x;
}

static int32_t get_i32(struct rd *r, json_t *obj, const char *key)
{
	return (int32_t)get_int(r, obj, key, INT32_MIN, INT32_MAX);
}

static uint32_t get_u32(struct rd *r, json_t *obj, const char *key)
{
	return (uint32_t)get_int(r, obj, key, 0, UINT32_MAX);
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

static uint64_t get_u64s(struct rd *r, json_t *obj, const char *key)
{
	json_t *v = need(r, obj, key);
	uint64_t mag;
	bool neg;

	if (!v)
		return 0;
	if (!json_is_string(v) ||
	    !parse_dec(json_string_value(v), json_string_length(v), false,
		       &neg, &mag)) {
		mfail(r, key, "expected a decimal string from \"0\" to \"%" PRIu64
		      "\"", UINT64_MAX);
		return 0;
	}
	return mag;
}

static int64_t get_i64s(struct rd *r, json_t *obj, const char *key)
{
	json_t *v = need(r, obj, key);
	uint64_t mag;
	bool neg;

	if (!v)
		return 0;
	if (!json_is_string(v) ||
	    !parse_dec(json_string_value(v), json_string_length(v), true,
		       &neg, &mag) ||
	    mag > (neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX)) {
		mfail(r, key, "expected a decimal string of a signed 64-bit number");
		return 0;
	}
	/* -(2^63) spelled without overflowing. */
	return neg ? (int64_t)(0 - mag) : (int64_t)mag;
}

/*
 * A string member: null (NULL), a JSON string, or {"base64": "..."} for
 * bytes that are not UTF-8.  Copied into the graph's arena.
 */
static const char *get_str(struct rd *r, json_t *obj, const char *key)
{
	json_t *v = need(r, obj, key);
	const char *s, *copy;
	size_t n;

	if (!v || json_is_null(v))
		return NULL;
	if (json_is_string(v)) {
		s = json_string_value(v);
		n = json_string_length(v);
		/* jansson refuses \u0000 unless asked; C strings cannot
		 * hold it either way. */
		if (memchr(s, '\0', n)) {
			mfail(r, key, "a NUL byte cannot be in a string");
			return NULL;
		}
		copy = graph_strndup(r->g, s, n);
		if (!copy)
			nomem(r);
		return copy;
	}
	json_t *b64 = json_is_object(v) && json_object_size(v) == 1
			      ? json_object_get(v, "base64") : NULL;
	if (!json_is_string(b64)) {
		mfail(r, key, "expected null, a string or {\"base64\": \"...\"}, "
		      "not %s", json_kind(v));
		return NULL;
	}
	s = json_string_value(b64);
	n = json_string_length(b64);
	unsigned char *buf = malloc(n / 4 * 3 + 1);
	if (!buf) {
		nomem(r);
		return NULL;
	}
	long len = base64_decode(s, n, buf);
	if (len < 0)
		mfail(r, key, "\"base64\": not canonical padded base64");
	else if (memchr(buf, '\0', (size_t)len))
		mfail(r, key, "\"base64\": a NUL byte cannot be in a string");
	copy = r->err ? NULL : graph_strndup(r->g, (char *)buf, (size_t)len);
	if (!r->err && !copy)
		nomem(r);
	free(buf);
	return copy;
}

/* A namespace reference: null (GRAPH_NONE) or an index below LIMIT. */
static uint32_t get_ref(struct rd *r, json_t *obj, const char *key,
			size_t limit)
{
	json_t *v = need(r, obj, key);

	if (!v || json_is_null(v))
		return GRAPH_NONE;
	if (!json_is_integer(v)) {
		mfail(r, key, "expected a namespace index or null, not %s",
		      json_kind(v));
		return GRAPH_NONE;
	}
	json_int_t x = json_integer_value(v);
	if (x < 0 || (uint64_t)x >= limit || (uint64_t)x >= GRAPH_NONE) {
		mfail(r, key, "namespace index %lld out of range (%zu namespaces)",
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

/* A list of bit names (see j_flags): each at most once, any order. */
static uint32_t get_flags(struct rd *r, json_t *obj, const char *key,
			  const char *const *names, size_t nnames,
			  unsigned width)
{
	json_t *arr = need_arr(r, obj, key), *v;
	uint32_t bits = 0;
	size_t i;

	if (!arr)
		return 0;
	json_array_foreach(arr, i, v) {
		const char *s = json_string_value(v);
		int bit = -1;

		if (!s) {
			mfail(r, key, "expected names, not %s", json_kind(v));
			return 0;
		}
		for (size_t k = 0; k < nnames && bit < 0; k++)
			if (!strcmp(s, names[k]))
				bit = (int)k;
		uint64_t b;
		bool neg;
		/* "bitN" only for bits without a name: one spelling each. */
		if (bit < 0 && !strncmp(s, "bit", 3) &&
		    parse_dec(s + 3, strlen(s + 3), false, &neg, &b) &&
		    b >= nnames && b < width)
			bit = (int)b;
		if (bit < 0) {
			mfail(r, key, "unknown name \"%s\"", s);
			return 0;
		}
		if (bits & (1u << bit)) {
			mfail(r, key, "\"%s\" given twice", s);
			return 0;
		}
		bits |= 1u << bit;
	}
	return bits;
}

static void get_links(struct rd *r, json_t *obj, struct graph_links *l)
{
	static const char *const slot_keys[] = {
		"cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts",
		"pid_for_children", "time_for_children", NULL,
	};
	json_t *ns = need_obj(r, obj, "ns");
	json_t *err = need_obj(r, obj, "ns_err");
	size_t old;

	graph_links_init(l);
	if (r->err)
		return;
	old = ctx_member(r, "ns");
	check_members(r, ns, slot_keys, NULL);
	for (unsigned t = 0; t < NS_NTYPES; t++)
		l->ns[t] = get_ref(r, ns, type_names[t], ns_limit(r));
	l->pid_for_children = get_ref(r, ns, "pid_for_children", ns_limit(r));
	l->time_for_children = get_ref(r, ns, "time_for_children", ns_limit(r));
	ctx_pop(r, old);

	old = ctx_member(r, "ns_err");
	/* slot_keys without the two *_for_children: they have no errno. */
	static const char *const err_keys[] = {
		"cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts", NULL,
	};
	check_members(r, err, err_keys, NULL);
	for (unsigned t = 0; t < NS_NTYPES; t++)
		l->err[t] = get_i32(r, err, type_names[t]);
	ctx_pop(r, old);
}

/* Whether one more element fits a graph array of N: indexes are 32-bit
 * and GRAPH_NONE is taken. */
static bool room(struct rd *r, size_t n, const char *what)
{
	if (n < GRAPH_NONE - 1)
		return true;
	fail(r, -EBADMSG, "too many %s", what);
	return false;
}

/* ---- reading: objects --------------------------------------------------- */

static void read_format(struct rd *r, json_t *obj)
{
	json_t *f = json_object_get(obj, "format");
	json_t *v = json_object_get(obj, "version");

	if (!json_is_string(f) || strcmp(json_string_value(f), EXPORT_FORMAT)) {
		fail(r, -EBADMSG, "not an nsnap snapshot export (\"format\" is "
		     "not \"" EXPORT_FORMAT "\")");
		return;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 1) {
		mfail(r, "version", "expected an integer >= 1");
		return;
	}
	/* Before anything else: a newer document may look otherwise. */
	if (json_integer_value(v) > EXPORT_VERSION)
		fail(r, -EPROTONOSUPPORT, "version %lld is newer than this nsnap "
		     "reads (%d)", (long long)json_integer_value(v),
		     EXPORT_VERSION);
}

static void read_origin(struct rd *r, json_t *top)
{
	static const char *const keys[] = { "id", "label", NULL };
	json_t *o = need_obj(r, top, "origin");
	size_t old;

	if (!o)
		return;
	old = ctx_member(r, "origin");
	check_members(r, o, keys, NULL);
	r->info->id = get_u64s(r, o, "id");
	r->info->label = get_str(r, o, "label");
	ctx_pop(r, old);
}

/* "start" must be what "start_ns" says: a reader looks at the text, the
 * hash covers the number, and they must not tell two stories. */
static void check_time(struct rd *r, json_t *o, const char *key, int64_t ns)
{
	char want[64];
	json_t *v = need(r, o, key);

	if (!v)
		return;
	if (!format_time(ns, want, sizeof(want))) {
		if (!json_is_null(v))
			mfail(r, key, "expected null (time out of range)");
		return;
	}
	if (!json_is_string(v) || strcmp(json_string_value(v), want))
		mfail(r, key, "does not match %s_ns (expected \"%s\")", key, want);
}

static void read_meta(struct rd *r, json_t *top)
{
	static const char *const keys[] = {
		"start", "start_ns", "end", "end_ns", "hostname", "kernel",
		"boot_id", "capturer_pid", "collected", "types_present",
		"nsfs_dev", NULL,
	};
	struct graph_meta *m = &r->g->meta;
	json_t *o = need_obj(r, top, "meta");
	size_t old;

	if (!o)
		return;
	old = ctx_member(r, "meta");
	check_members(r, o, keys, NULL);
	m->start_ns = get_i64s(r, o, "start_ns");
	check_time(r, o, "start", m->start_ns);
	m->end_ns = get_i64s(r, o, "end_ns");
	check_time(r, o, "end", m->end_ns);
	m->hostname = get_str(r, o, "hostname");
	m->kernel = get_str(r, o, "kernel");
	m->boot_id = get_str(r, o, "boot_id");
	m->capturer_pid = get_i32(r, o, "capturer_pid");
	m->collected = get_flags(r, o, "collected", collected_names,
				 ARRAY_SIZE(collected_names), 32);
	m->types_present = get_flags(r, o, "types_present", type_names,
				     NS_NTYPES, 32);
	m->nsfs_dev = get_u64s(r, o, "nsfs_dev");
	ctx_pop(r, old);
}

/* Namespace number I (its position among the namespaces). */
static void read_ns(struct rd *r, json_t *o, size_t i, const char *kind)
{
	static const char *const keys[] = {
		"index", "dev", "ino", "type", "flags", "owner", "owner_err",
		"parent", "parent_err", "creator_uid", "kernel_id", "uid_map",
		"gid_map", NULL,
	};
	struct graph_ns ns = { 0 };
	struct graph *g = r->g;
	bool added;
	int type = -1;

	check_members(r, o, keys, kind);
	json_int_t at = get_int(r, o, "index", 0, UINT32_MAX);
	if ((size_t)at != i && !r->err)
		mfail(r, "index", "%lld, but this is namespace %zu",
		      (long long)at, i);
	ns.key.dev = get_u64s(r, o, "dev");
	ns.key.ino = get_u64s(r, o, "ino");
	json_t *t = need_type(r, o, "type", JSON_STRING, "a string");
	if (t) {
		type = ns_type_from_name(json_string_value(t),
					 json_string_length(t));
		if (type < 0)
			mfail(r, "type", "unknown namespace type \"%s\"",
			      json_string_value(t));
	}
	ns.flags = (uint8_t)get_flags(r, o, "flags", ns_flag_names,
				      ARRAY_SIZE(ns_flag_names), 8);
	/* Any index for now: later namespaces may be named (ns_close()). */
	ns.owner = get_ref(r, o, "owner", GRAPH_NONE);
	ns.owner_err = get_i32(r, o, "owner_err");
	ns.parent = get_ref(r, o, "parent", GRAPH_NONE);
	ns.parent_err = get_i32(r, o, "parent_err");
	ns.creator_uid = get_u32(r, o, "creator_uid");
	ns.kernel_id = get_u64s(r, o, "kernel_id");
	ns.uid_map = get_str(r, o, "uid_map");
	ns.gid_map = get_str(r, o, "gid_map");
	if (r->err || !room(r, g->nns, "namespaces"))
		return;

	uint32_t idx = graph_ns_add(g, ns.key, (unsigned)type, &added);
	if (idx == GRAPH_NONE) {
		nomem(r);
		return;
	}
	if (!added) {
		/* References go by index here but by key in the records. */
		fail(r, -EBADMSG, "dev %" PRIu64 " ino %" PRIu64 " is "
		     "namespaces[%" PRIu32 "] already", ns.key.dev, ns.key.ino,
		     idx);
		return;
	}
	ns.type = (uint8_t)type;
	g->ns[idx] = ns;
}

/* Every namespace is in: their own references can be checked now. */
static void ns_close(struct rd *r)
{
	struct graph *g = r->g;

	if (r->ns_closed || r->err)
		return;
	r->ns_closed = true;
	for (size_t i = 0; i < g->nns; i++) {
		const struct graph_ns *ns = &g->ns[i];
		const char *which = ns->owner != GRAPH_NONE && ns->owner >= g->nns
					    ? "owner"
				    : ns->parent != GRAPH_NONE && ns->parent >= g->nns
					    ? "parent" : NULL;
		if (!which)
			continue;
		size_t old = ctx_push(r, "namespaces[%zu]", i);
		mfail(r, which, "namespace index %" PRIu32 " out of range "
		      "(%zu namespaces)", !strcmp(which, "owner") ? ns->owner
		      : ns->parent, g->nns);
		ctx_pop(r, old);
		return;
	}
}

static void read_task(struct rd *r, json_t *o, const char *kind)
{
	static const char *const keys[] = { "tid", "comm", "ns", "ns_err", NULL };
	struct graph_links links;

	check_members(r, o, keys, kind);
	int32_t tid = get_i32(r, o, "tid");
	const char *comm = get_str(r, o, "comm");
	get_links(r, o, &links);
	if (r->err || !room(r, r->g->ntasks, "threads"))
		return;
	struct graph_task *t = graph_task_append(r->g, tid);
	if (!t) {
		nomem(r);
		return;
	}
	t->comm = comm;
	t->links = links;
}

static void read_fd(struct rd *r, json_t *o, const char *kind)
{
	static const char *const keys[] = { "fd", "ns", NULL };

	check_members(r, o, keys, kind);
	int32_t fd = get_i32(r, o, "fd");
	uint32_t ns = get_ref(r, o, "ns", ns_limit(r));
	if (r->err || !room(r, r->g->nfds, "fds"))
		return;
	struct graph_fd *f = graph_fd_append(r->g);
	if (!f) {
		nomem(r);
		return;
	}
	f->fd = fd;
	f->ns = ns;
}

/* ARR's elements, each an object, to READ with context "KEY[i]". */
static void read_each(struct rd *r, json_t *arr, const char *key,
		      void (*read)(struct rd *, json_t *, const char *))
{
	json_t *v;
	size_t i;

	json_array_foreach(arr, i, v) {
		if (r->err)
			return;
		size_t old = ctx_push(r, "%s%s[%zu]", r->ctxlen ? "." : "", key, i);
		if (!json_is_object(v))
			fail(r, -EBADMSG, "expected an object, not %s",
			     json_kind(v));
		else
			read(r, v, NULL);
		ctx_pop(r, old);
	}
}

static void read_slice(struct rd *r, json_t *o, const char *key,
		       uint32_t *first, uint32_t *count)
{
	static const char *const keys[] = { "first", "count", NULL };
	json_t *s = need_obj(r, o, key);

	if (!s)
		return;
	size_t old = ctx_member(r, key);
	check_members(r, s, keys, NULL);
	/* Checked against the arrays once they are complete (finish()). */
	*first = get_u32(r, s, "first");
	*count = get_u32(r, s, "count");
	ctx_pop(r, old);
}

static void read_proc(struct rd *r, json_t *o, const char *kind)
{
	static const char *const nested_keys[] = {
		"pid", "flags", "ppid", "uid", "start_time", "comm", "nstgid",
		"status_err", "ns", "ns_err", "task_err", "fd_err",
		"tasks", "fds", NULL,
	};
	static const char *const sliced_keys[] = {
		"pid", "flags", "ppid", "uid", "start_time", "comm", "nstgid",
		"status_err", "ns", "ns_err", "task_err", "fd_err",
		"task_slice", "fd_slice", NULL,
	};
	struct graph *g = r->g;
	struct graph_proc p = { 0 };

	/* NDJSON says which by its first process line. */
	if (r->mode == MODE_UNKNOWN)
		r->mode = json_object_get(o, "task_slice") ? MODE_SLICED
							   : MODE_NESTED;
	check_members(r, o, r->mode == MODE_SLICED ? sliced_keys : nested_keys,
		      kind);
	p.pid = get_i32(r, o, "pid");
	p.flags = get_flags(r, o, "flags", proc_flag_names,
			    ARRAY_SIZE(proc_flag_names), 32);
	p.ppid = get_i32(r, o, "ppid");
	p.uid = get_u32(r, o, "uid");
	p.start_time = get_u64s(r, o, "start_time");
	p.comm = get_str(r, o, "comm");
	p.nstgid = get_str(r, o, "nstgid");
	p.status_err = get_i32(r, o, "status_err");
	get_links(r, o, &p.links);
	p.task_err = get_i32(r, o, "task_err");
	p.fd_err = get_i32(r, o, "fd_err");
	if (r->err || !room(r, g->nprocs, "processes"))
		return;

	struct graph_proc *np = graph_proc_append(g, p.pid);
	if (!np) {
		nomem(r);
		return;
	}
	size_t idx = g->nprocs - 1;
	p.first_task = np->first_task;
	p.first_fd = np->first_fd;
	if (r->mode == MODE_SLICED) {
		read_slice(r, o, "task_slice", &p.first_task, &p.ntasks);
		read_slice(r, o, "fd_slice", &p.first_fd, &p.nfds);
	} else {
		json_t *tasks = need_arr(r, o, "tasks");
		json_t *fds = need_arr(r, o, "fds");
		if (tasks)
			read_each(r, tasks, "tasks", read_task);
		if (fds)
			read_each(r, fds, "fds", read_fd);
		/* Nothing else appended meanwhile: the slices are these. */
		p.ntasks = (uint32_t)(g->ntasks - p.first_task);
		p.nfds = (uint32_t)(g->nfds - p.first_fd);
	}
	g->procs[idx] = p;
}

static void read_mount(struct rd *r, json_t *o, const char *kind)
{
	static const char *const keys[] = {
		"mntns", "ns", "open_err", "list_err", "path", NULL,
	};
	struct graph_mount m = { 0 };

	check_members(r, o, keys, kind);
	m.mntns = get_ref(r, o, "mntns", ns_limit(r));
	m.ns = get_ref(r, o, "ns", ns_limit(r));
	m.open_err = get_i32(r, o, "open_err");
	m.list_err = get_i32(r, o, "list_err");
	m.path = get_str(r, o, "path");
	if (r->err || !room(r, r->g->nmounts, "mounts"))
		return;
	struct graph_mount *nm = graph_mount_append(r->g);
	if (!nm) {
		nomem(r);
		return;
	}
	*nm = m;
}

static void read_gap(struct rd *r, json_t *o, const char *kind)
{
	static const char *const keys[] = { "pid", "tid", "err", "what", NULL };
	struct graph *g = r->g;

	check_members(r, o, keys, kind);
	int32_t pid = get_i32(r, o, "pid");
	int32_t tid = get_i32(r, o, "tid");
	int32_t err = get_i32(r, o, "err");
	const char *what = get_str(r, o, "what");
	if (r->err || !room(r, g->ngaps, "gaps"))
		return;
	/* graph_gap_add() copies WHAT and cannot store NULL: set it after. */
	if (graph_gap_add(g, pid, tid, err, "")) {
		nomem(r);
		return;
	}
	g->gaps[g->ngaps - 1].what = what;
}

static bool parse_hash(const char *s, size_t n, struct codec_hash *h)
{
	if (n != 2 * CODEC_HASH_LEN)
		return false;
	for (size_t i = 0; i < n; i++) {
		int v;
		if (s[i] >= '0' && s[i] <= '9')
			v = s[i] - '0';
		else if (s[i] >= 'a' && s[i] <= 'f')
			v = s[i] - 'a' + 10;
		else if (s[i] >= 'A' && s[i] <= 'F')
			v = s[i] - 'A' + 10;
		else
			return false;
		if (i % 2)
			h->b[i / 2] |= (uint8_t)v;
		else
			h->b[i / 2] = (uint8_t)(v << 4);
	}
	return true;
}

static void get_hash(struct rd *r, json_t *obj, const char *key,
		     struct codec_hash *h)
{
	json_t *v = need(r, obj, key);

	if (v && (!json_is_string(v) ||
		  !parse_hash(json_string_value(v), json_string_length(v), h)))
		mfail(r, key, "expected 32 hexadecimal digits");
}

static void get_hash_list(struct rd *r, json_t *arr, const char *key,
			  struct codec_hash *h)
{
	json_t *v;
	size_t i;

	json_array_foreach(arr, i, v) {
		if (r->err)
			return;
		if (!json_is_string(v) ||
		    !parse_hash(json_string_value(v), json_string_length(v), &h[i])) {
			size_t old = ctx_push(r, "%s%s[%zu]", r->ctxlen ? "." : "",
					      key, i);
			fail(r, -EBADMSG, "expected 32 hexadecimal digits");
			ctx_pop(r, old);
		}
	}
}

static void read_records(struct rd *r, json_t *top)
{
	static const char *const keys[] = {
		"meta", "layout", "namespaces", "processes", "mounts", "digest",
		NULL,
	};
	json_t *o = need_obj(r, top, "records");
	size_t old;

	if (!o)
		return;
	old = ctx_member(r, "records");
	check_members(r, o, keys, NULL);
	json_t *ns = need_arr(r, o, "namespaces");
	json_t *procs = need_arr(r, o, "processes");
	json_t *runs = need_arr(r, o, "mounts");
	if (!r->err && hashes_alloc(&r->want, json_object_get(o, "layout") != NULL,
				    json_array_size(ns), json_array_size(procs),
				    json_array_size(runs)))
		nomem(r);
	get_hash(r, o, "meta", r->want.meta);
	if (r->want.layout)
		get_hash(r, o, "layout", r->want.layout);
	if (!r->err) {
		get_hash_list(r, ns, "namespaces", r->want.ns);
		get_hash_list(r, procs, "processes", r->want.procs);
		get_hash_list(r, runs, "mounts", r->want.runs);
	}
	get_hash(r, o, "digest", &r->want.digest);
	r->have_records = !r->err;
	ctx_pop(r, old);
}

/* ---- reading: the whole ------------------------------------------------- */

static bool same_hash(const struct codec_hash *a, const struct codec_hash *b)
{
	return !memcmp(a->b, b->b, CODEC_HASH_LEN);
}

/* The first of N_DOC objects whose hash is not among the N_REC of the
 * document at the same position; N_DOC when none. */
static size_t first_mismatch(const struct codec_hash *got, size_t n_doc,
			     const struct codec_hash *want, size_t n_rec)
{
	size_t i = 0;

	while (i < n_doc && i < n_rec && same_hash(&got[i], &want[i]))
		i++;
	return i;
}

/*
 * The document is read: check what only the whole can tell (slices
 * against the arrays), then encode the graph and hold every record hash
 * against the document's.
 */
static void finish(struct rd *r)
{
	const struct graph *g = r->g;
	struct rec_hashes got;
	const struct rec_hashes *want = &r->want;
	size_t i, n;
	int ret;

	r->line = 0;
	ctx_pop(r, 0);
	for (i = 0; i < g->nprocs && !r->err; i++) {
		const struct graph_proc *p = &g->procs[i];
		if ((uint64_t)p->first_task + p->ntasks > g->ntasks)
			fail(r, -EBADMSG, "processes[%zu].task_slice: beyond the "
			     "%zu threads", i, g->ntasks);
		else if ((uint64_t)p->first_fd + p->nfds > g->nfds)
			fail(r, -EBADMSG, "processes[%zu].fd_slice: beyond the "
			     "%zu fds", i, g->nfds);
	}
	if (r->err)
		return;

	ret = hashes_compute(g, &got);
	if (ret == -ENOMEM) {
		nomem(r);
		return;
	}
	if (ret) {
		/* Everything codec_encode_graph() checks was checked above;
		 * this is a safety net, not a path. */
		fail(r, -EBADMSG, "not a consistent snapshot");
		return;
	}

	if (!same_hash(got.meta, want->meta)) {
		fail(r, -EBADMSG, "meta or gaps: content does not match "
		     "records.meta");
		goto out;
	}

	n = first_mismatch(got.ns, got.nns, want->ns, want->nns);
	if (n < got.nns) {
		const struct graph_ns *ns = &g->ns[n];
		fail(r, -EBADMSG, "namespaces[%zu] (%s dev %" PRIu64 " ino %"
		     PRIu64 "): %s", n, type_names[ns->type], ns->key.dev,
		     ns->key.ino, n < want->nns
		     ? "content does not match its record hash"
		     : "no record hash for it in records.namespaces");
		goto out;
	}
	if (want->nns != got.nns) {
		fail(r, -EBADMSG, "records.namespaces: %zu hashes for %zu "
		     "namespaces", want->nns, got.nns);
		goto out;
	}

	n = first_mismatch(got.procs, got.nprocs, want->procs, want->nprocs);
	if (n < got.nprocs) {
		fail(r, -EBADMSG, "processes[%zu] (pid %" PRId32 "): %s", n,
		     g->procs[n].pid, n < want->nprocs
		     ? "content does not match its record hash"
		     : "no record hash for it in records.processes");
		goto out;
	}
	if (want->nprocs != got.nprocs) {
		fail(r, -EBADMSG, "records.processes: %zu hashes for %zu "
		     "processes", want->nprocs, got.nprocs);
		goto out;
	}

	if (!got.layout != !want->layout) {
		fail(r, -EBADMSG, got.layout
		     ? "threads and fds are not laid out as the processes' "
		       "nested lists, but records.layout is missing"
		     : "records.layout given, but the slices are the plain "
		       "layout (threads and fds belong nested)");
		goto out;
	}
	if (got.layout && !same_hash(got.layout, want->layout)) {
		fail(r, -EBADMSG, "layout (threads, fds, slices): content does "
		     "not match records.layout");
		goto out;
	}

	n = first_mismatch(got.runs, got.nruns, want->runs, want->nruns);
	if (n < got.nruns) {
		size_t first, count = run_bounds(g, n, &first);
		fail(r, -EBADMSG, "mounts[%zu..%zu] (records.mounts[%zu]): %s",
		     first, first + count - 1, n, n < want->nruns
		     ? "content does not match its record hash"
		     : "no record hash for them");
		goto out;
	}
	if (want->nruns != got.nruns) {
		fail(r, -EBADMSG, "records.mounts: %zu hashes for %zu runs of "
		     "mounts", want->nruns, got.nruns);
		goto out;
	}

	/* Every record matches: only the digest itself can be wrong. */
	if (!same_hash(&got.digest, &want->digest))
		fail(r, -EBADMSG, "records.digest does not match the record "
		     "hashes");
out:
	hashes_free(&got);
}

static json_t *parse(struct rd *r, const char *p, size_t n)
{
	json_error_t jerr;
	/* Duplicate keys would let two readers see two documents. */
	json_t *v = json_loadb(p, n, JSON_REJECT_DUPLICATES, &jerr);

	if (v)
		return v;
#if JANSSON_VERSION_HEX >= 0x020e00
	if (json_error_code(&jerr) == json_error_out_of_memory)
		nomem(r);
	else
#endif
	if (r->line)            /* NDJSON: "line N: " is there already */
		fail(r, -EBADMSG, "column %d: %s", jerr.column, jerr.text);
	else
		fail(r, -EBADMSG, "line %d column %d: %s", jerr.line,
		     jerr.column, jerr.text);
	return NULL;
}

static void read_json(struct rd *r, json_t *root)
{
	static const char *const keys[] = {
		"format", "version", "origin", "meta", "namespaces",
		"processes", "layout", "mounts", "gaps", "records", NULL,
	};
	json_t *arr, *v;
	size_t i;

	if (!json_is_object(root)) {
		fail(r, -EBADMSG, "expected an object, not %s", json_kind(root));
		return;
	}
	read_format(r, root);
	check_members(r, root, keys, NULL);
	read_origin(r, root);
	read_meta(r, root);

	arr = need_arr(r, root, "namespaces");
	json_array_foreach(arr, i, v) {
		if (r->err)
			return;
		size_t old = ctx_push(r, "namespaces[%zu]", i);
		if (json_is_object(v))
			read_ns(r, v, i, NULL);
		else
			fail(r, -EBADMSG, "expected an object, not %s",
			     json_kind(v));
		ctx_pop(r, old);
	}
	ns_close(r);

	json_t *layout = json_object_get(root, "layout");
	r->mode = layout ? MODE_SLICED : MODE_NESTED;
	arr = need_arr(r, root, "processes");
	if (arr)
		read_each(r, arr, "processes", read_proc);
	if (layout && !r->err) {
		static const char *const lkeys[] = { "tasks", "fds", NULL };
		size_t old = ctx_member(r, "layout");
		if (!json_is_object(layout))
			fail(r, -EBADMSG, "expected an object, not %s",
			     json_kind(layout));
		check_members(r, layout, lkeys, NULL);
		json_t *tasks = need_arr(r, layout, "tasks");
		json_t *fds = need_arr(r, layout, "fds");
		if (tasks)
			read_each(r, tasks, "tasks", read_task);
		if (fds)
			read_each(r, fds, "fds", read_fd);
		ctx_pop(r, old);
	}
	arr = need_arr(r, root, "mounts");
	if (arr)
		read_each(r, arr, "mounts", read_mount);
	arr = need_arr(r, root, "gaps");
	if (arr)
		read_each(r, arr, "gaps", read_gap);
	read_records(r, root);
}

/* NDJSON lines come in this order; a kind never follows a later one. */
enum section {
	S_HEADER, S_NS, S_PROC, S_TASK, S_FD, S_MOUNT, S_GAP, S_TRAILER, S_END
};

static const struct {
	const char *kind;
	const char *plural;     /* the JSON member: names in messages */
	void (*read)(struct rd *r, json_t *o, const char *kind); /* records */
} sections[] = {
	[S_HEADER] = { "header", "header", NULL },
	[S_NS] = { "namespace", "namespaces", NULL },
	[S_PROC] = { "process", "processes", read_proc },
	[S_TASK] = { "task", "layout.tasks", read_task },
	[S_FD] = { "fd", "layout.fds", read_fd },
	[S_MOUNT] = { "mount", "mounts", read_mount },
	[S_GAP] = { "gap", "gaps", read_gap },
	[S_TRAILER] = { "trailer", "trailer", NULL },
};

struct ndjson {
	enum section at;        /* the section of the last line */
	size_t count[S_END];    /* lines of each kind so far */
};

static void read_line(struct rd *r, struct ndjson *nd, json_t *o)
{
	static const char *const header_keys[] = {
		"format", "version", "origin", "meta", NULL,
	};
	static const char *const trailer_keys[] = { "records", NULL };
	json_t *k = json_is_object(o) ? json_object_get(o, "kind") : NULL;
	enum section s;

	if (!json_is_object(o)) {
		fail(r, -EBADMSG, "expected an object, not %s", json_kind(o));
		return;
	}
	if (!json_is_string(k)) {
		fail(r, -EBADMSG, "\"kind\": expected a string");
		return;
	}
	for (s = S_HEADER; s < S_END; s++)
		if (!strcmp(json_string_value(k), sections[s].kind))
			break;
	if (s == S_END) {
		fail(r, -EBADMSG, "unknown kind \"%s\"", json_string_value(k));
		return;
	}
	if (r->line == 1 && s != S_HEADER) {
		fail(r, -EBADMSG, "the first line must be the header");
		return;
	}
	if (s < nd->at || (s == S_HEADER && r->line != 1)) {
		fail(r, -EBADMSG, "a %s line after %s lines", sections[s].kind,
		     sections[nd->at].kind);
		return;
	}
	if (s > S_NS)
		ns_close(r);
	if ((s == S_TASK || s == S_FD) && r->mode == MODE_NESTED) {
		fail(r, -EBADMSG, "a %s line, but the processes hold their "
		     "threads and fds", sections[s].kind);
		return;
	}
	nd->at = s;
	size_t i = nd->count[s]++;

	switch (s) {
	case S_HEADER:
		read_format(r, o);
		check_members(r, o, header_keys, "kind");
		read_origin(r, o);
		read_meta(r, o);
		return;
	case S_TRAILER:
		check_members(r, o, trailer_keys, "kind");
		read_records(r, o);
		nd->at = S_END;
		return;
	case S_NS: {
		size_t old = ctx_push(r, "namespaces[%zu]", i);
		read_ns(r, o, i, "kind");
		ctx_pop(r, old);
		return;
	}
	default:
		break;
	}
	/* Threads and fds outside processes: the sliced layout. */
	if (s == S_TASK || s == S_FD)
		r->mode = MODE_SLICED;
	size_t old = ctx_push(r, "%s[%zu]", sections[s].plural, i);
	sections[s].read(r, o, "kind");
	ctx_pop(r, old);
}

/* FIRST is line 1, already parsed. */
static void read_ndjson(struct rd *r, const char *buf, size_t len,
			json_t *first)
{
	struct ndjson nd = { .at = S_HEADER };
	size_t pos = 0;

	while (pos < len && !r->err) {
		const char *p = buf + pos;
		const char *nl = memchr(p, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - p) : len - pos;
		json_t *o;

		pos += n + (nl ? 1 : 0);
		r->line++;
		if (nd.at == S_END) {
			fail(r, -EBADMSG, "after the trailer line");
			return;
		}
		o = r->line == 1 ? json_incref(first) : parse(r, p, n);
		if (!o)
			return;
		read_line(r, &nd, o);
		json_decref(o);
	}
	if (!r->err && nd.at != S_END) {
		unsigned lines = r->line;
		r->line = 0;
		fail(r, -EBADMSG, "truncated: no trailer line after line %u",
		     lines);
	}
}

/* Whether P[0..n) is JSON white space only. */
static bool blank(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\n' && p[i] != '\r')
			return false;
	return true;
}

int export_read(const char *buf, size_t len, struct graph **out,
		struct export_info *info, char *errbuf, size_t errlen)
{
	struct export_info unused;
	struct rd r = { .errbuf = errbuf, .errlen = errlen };
	json_t *first = NULL, *root = NULL;

	*out = NULL;
	if (!info)
		info = &unused;
	*info = (struct export_info){ 0 };
	r.info = info;
	if (errbuf && errlen)
		errbuf[0] = '\0';
	r.g = graph_new();
	if (!r.g)
		return nomem(&r);
	if (!buf || !len) {
		fail(&r, -EBADMSG, "empty document");
		goto out;
	}

	/*
	 * The first line tells the format: NDJSON's is a whole object with a
	 * "kind"; a JSON document's first line is "{" (or, written compact,
	 * the whole document).  Only its parse errors are not reported: a
	 * JSON document's are, below.
	 */
	const char *nl = memchr(buf, '\n', len);
	size_t n1 = nl ? (size_t)(nl - buf) : len;
	json_error_t jerr;
	first = json_loadb(buf, n1, JSON_REJECT_DUPLICATES, &jerr);
	if (first && json_is_object(first) && json_object_get(first, "kind")) {
		read_ndjson(&r, buf, len, first);
	} else {
		/* A compact document was parsed whole already. */
		root = first && blank(buf + n1, len - n1) ? json_incref(first)
							  : parse(&r, buf, len);
		if (root)
			read_json(&r, root);
	}
	if (!r.err && !r.have_records)
		fail(&r, -EBADMSG, "no records");
	if (!r.err)
		finish(&r);
out:
	json_decref(first);
	json_decref(root);
	hashes_free(&r.want);
	if (r.err) {
		graph_free(r.g);
		*info = (struct export_info){ 0 };
		return r.err;
	}
	*out = r.g;
	return 0;
}
