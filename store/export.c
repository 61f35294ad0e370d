/*
 * export.c — one snapshot written as a self-contained JSON or NDJSON
 * document, and the record hashes that tie a document to its content.
 *
 * The schema is nsnap(5)'s; the members of each kind are export_fields.c's
 * tables.  In short, version 1 (version 2 in brackets):
 *
 *   { "format": "nsnap-snapshot", "version": 1,
 *     "origin": { "id": "<u64>", "label": STR },
 *     ["custody": { "content": HEX64, "prev": HEX64 or null, "signature":
 *                   null or { "scheme": "ed25519", "key": HEX64, "sig":
 *                   HEX128, "id": "<u64>", "prev": HEX64 or null,
 *                   "store": HEX32 } },]
 *     "meta": { "start": RFC3339, "start_ns": "<i64>", "end", "end_ns",
 *               "hostname", "kernel", "boot_id": STR, "capturer_pid": int,
 *               "collected": [names], "types_present": [names],
 *               "nsfs_dev": "<u64>", ["vantage": { "version", "uid",
 *               "euid", "cap_eff", "own": { TYPE: { "dev", "ino" } },
 *               "initial", "initial_known": [types], "proc_pidns": "own" or
 *               "other", "facilities": [names], "btime", "boot_start_ns",
 *               "boot_end_ns" }] (when the snapshot records it) },
 *     ["workloads": [ { "type", "runtime", "id", "name", "pod",
 *                     "cgroup" } ],]
 *     "namespaces": [ { "index", "dev", "ino", "type", "flags", "owner",
 *                       "owner_err", "parent", "parent_err", "creator_uid",
 *                       "kernel_id", "uid_map", "gid_map", ["hostname",
 *                       "domainname", "setgroups", "timens_offsets", "nsid",
 *                       "interfaces": [ { "ifindex", "name", "flags",
 *                       "operstate", "mac", "addrs" } ]] } ],
 *     "processes": [ { "pid", "flags", "ppid", "uid", "start_time", "comm",
 *                      "nstgid", "status_err", "ns", "ns_err", "task_err",
 *                      "fd_err", ["cmdline": [argv], "exe", "cgroup",
 *                      "ruid", "euid", "rgid", "egid", "cap_eff",
 *                      "no_new_privs", "seccomp", "loginuid", "sessionid",
 *                      "workload": index or null,] "tasks": [ { "tid",
 *                      "comm", "ns", "ns_err" } ], "fds": [ { "fd", "ns",
 *                      ["type"] } ] } ],
 *     "layout": { "tasks": [...], "fds": [...] }     (odd layouts only)
 *     "mounts": [ { "mntns", "ns", "open_err", "list_err", "path" } ],
 *     "gaps": [ { "pid", "tid", "err", "what" } ],
 *     "records": { "meta", "layout", "namespaces": [...], "processes":
 *                  [...], "mounts": [...], "digest" } }
 *
 * NDJSON carries the same objects one per line, each with a "kind": a
 * header (format, version, origin, [custody,] meta), [the workloads,] the
 * namespaces, processes, tasks and fds (odd layouts only), mounts, gaps,
 * and a trailer with the records.
 *
 * Choices that matter:
 *   - Namespace references are indexes into "namespaces" (null for
 *     GRAPH_NONE); each namespace carries its (dev, ino) and index.  The
 *     key at every one of a thread's ten link slots would triple the size.
 *     A process's workload is an index into "workloads" likewise.
 *   - The version is the snapshot's: one that holds only what snapshots
 *     could before the workload facts (codec_graph_v1()) is written as
 *     version 1, member for member as it always was.
 *   - A command line is the array of its arguments, each a string as
 *     below: an argument holds any byte but NUL.
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
 *     matched against a store.  Import (import.c) rebuilds the graph,
 *     encodes it again and refuses the document when any hash differs: a
 *     hand edit or a damaged file cannot pass for the snapshot.
 *   - "custody", like "origin", is about the copy and outside the record
 *     hashes: the snapshot's custody block in the store it left, when it
 *     has one (custody.h), in either version.  Its signature is what
 *     protects the content against a deliberate edit, which recomputed
 *     XXH3 hashes do not show; its "content" is the exporting store's
 *     word, which whoever checks the signature recomputes (and import and
 *     verify-export hold to what they recompute).  "id", "prev" and
 *     "store" of the signature are the snapshot's place where it was
 *     signed, which the signature covers.
 */
#include "export.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "codec.h"
#include "export_impl.h"
#include "jscan.h"
#include "text.h"

/* ---- record hashes ------------------------------------------------------ */

int xp_hashes_alloc(struct rec_hashes *h, bool layout, size_t nns,
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

void xp_hashes_free(struct rec_hashes *h)
{
	free(h->all);
	*h = (struct rec_hashes){ 0 };
}

/* The store header's digest: over the record hashes, in order. */
static void hashes_digest(struct rec_hashes *h)
{
	codec_digest(h->all, h->nall, &h->digest);
}

int xp_hashes_compute(const struct graph *g, struct rec_hashes *h)
{
	struct codec_snapshot s;
	int ret;

	*h = (struct rec_hashes){ 0 };
	ret = codec_encode_graph(g, &s);
	if (ret)
		return ret;
	ret = xp_hashes_alloc(h, s.layout.len > 0, s.nns, s.nprocs, s.nmounts);
	if (ret)
		goto out;
	ret = codec_meta_hash(&s.meta, &s.capture, h->meta);
	if (ret) {
		xp_hashes_free(h);
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

void xp_hash_hex(const struct codec_hash *h, char out[XP_HASH_HEX])
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < CODEC_HASH_LEN; i++) {
		out[2 * i] = digits[h->b[i] >> 4];
		out[2 * i + 1] = digits[h->b[i] & 15];
	}
	out[2 * CODEC_HASH_LEN] = '\0';
}

bool xp_hash_parse(const char *s, size_t n, struct codec_hash *h)
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

size_t xp_run_bounds(const struct graph *g, size_t k, size_t *first)
{
	size_t i = 0, n = codec_mount_run(g, 0);

	for (size_t run = 0; n && run < k; run++) {
		i += n;
		n = codec_mount_run(g, i);
	}
	*first = i;
	return n;
}

/* ---- values ------------------------------------------------------------- */

/* A sticky error: the first failure (-ENOMEM) stays, building goes on. */
struct wr {
	int err;
	const struct graph *g;
	bool nested; /* threads and fds inside their processes (see XP_NESTED) */
	int version; /* EXPORT_VERSION_V1 or EXPORT_VERSION */
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

static json_t *j_ref(uint32_t idx)
{
	return idx == GRAPH_NONE ? json_null() : json_integer(idx);
}

/* N bytes at S (no NUL among them). */
static json_t *j_strn(const char *s, size_t n)
{
	if (jscan_utf8_valid((const unsigned char *)s, n))
		return json_stringn_nocheck(s, n);

	char *b64 = xp_base64_encode((const unsigned char *)s, n);
	json_t *o = json_object();
	if (!b64 || !o ||
	    json_object_set_new_nocheck(o, "base64", json_string_nocheck(b64))) {
		json_decref(o);
		o = NULL;
	}
	free(b64);
	return o;
}

static json_t *j_str(const char *s)
{
	return s ? j_strn(s, strlen(s)) : json_null();
}

/* A command line: its arguments, the NULs between them the array's
 * commas.  N bytes at S; NULL S: null. */
static json_t *j_argv(const char *s, size_t n)
{
	json_t *arr;
	struct wr w = { 0 };

	if (!s)
		return json_null();
	arr = json_array();
	for (size_t i = 0; arr && !w.err; ) {
		const char *nul = memchr(s + i, '\0', n - i);
		size_t k = nul ? (size_t)(nul - (s + i)) : n - i;
		append(&w, arr, j_strn(s + i, k));
		if (!nul)
			break;
		i += k + 1;
	}
	if (w.err) {
		json_decref(arr);
		return NULL;
	}
	return arr;
}

/* Value V of an enumeration: its name, or past the names the number. */
static json_t *j_enum(uint8_t v, const struct xp_bits *names)
{
	return v < names->n ? json_string_nocheck(names->names[v])
			    : json_integer(v);
}

/* Always nine digits of fraction, so that the text is a function of the
 * number and the reader can check it by writing it again. */
static json_t *j_time(int64_t ns)
{
	char buf[TEXT_RFC3339_LEN];

	return text_rfc3339(ns, true, buf, sizeof(buf))
		       ? json_string_nocheck(buf) : json_null();
}

/* The set bits of V: their names for the known ones, "bitN" else. */
static json_t *j_flags(uint32_t v, const struct xp_bits *bits)
{
	json_t *arr = json_array();
	struct wr w = { 0 };

	for (unsigned b = 0; arr && b < bits->width; b++) {
		char buf[16];
		if (!(v & (1u << b)))
			continue;
		if (b < bits->n) {
			append(&w, arr, json_string_nocheck(bits->names[b]));
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
	char buf[XP_HASH_HEX];

	xp_hash_hex(h, buf);
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

/* N bytes (at most a signature's) in lowercase hex. */
static json_t *j_hex(const uint8_t *p, size_t n)
{
	char buf[2 * CUSTODY_SIG_LEN + 1];

	custody_hex(p, n, buf);
	return json_string_nocheck(buf);
}

static json_t *j_digest_or_null(bool has, const uint8_t d[CUSTODY_DIGEST_LEN])
{
	return has ? j_hex(d, CUSTODY_DIGEST_LEN) : json_null();
}

/* ---- records by their tables -------------------------------------------- */

static json_t *j_record(struct wr *w, const struct xp_table *t,
			const void *rec, size_t index, const char *kind);

/* Whether F is written in this document's layout and version. */
static bool in_layout(const struct wr *w, const struct xp_field *f)
{
	if ((f->flags & XP_V2) && w->version < EXPORT_VERSION)
		return false;
	if (f->flags & XP_NESTED)
		return w->nested;
	if (f->flags & XP_SLICED)
		return !w->nested;
	return true;
}

/* A process's threads or fds, nested: records FIRST to FIRST + N - 1 of
 * BASE (records of SIZE bytes, made by T). */
static json_t *j_nested(struct wr *w, const struct xp_table *t,
			const void *base, size_t size, uint32_t first,
			uint32_t n)
{
	json_t *arr = json_array();

	for (uint32_t k = 0; arr && k < n && !w->err; k++)
		append(w, arr, j_record(w, t, (const char *)base +
					(size_t)(first + k) * size, 0, NULL));
	return arr;
}

/* Field F of REC (record number INDEX of its kind). */
static json_t *j_field(struct wr *w, const struct xp_field *f,
		       const void *rec, size_t index)
{
	const void *p = (const char *)rec + f->off;
	const struct graph_proc *proc = rec;
	const struct graph_ns *ns = rec;

	switch (f->type) {
	case XP_I32:
		return json_integer(*(const int32_t *)p);
	case XP_U32:
		return json_integer(*(const uint32_t *)p);
	case XP_U64:
		return j_u64(*(const uint64_t *)p);
	case XP_I64:
		return j_i64(*(const int64_t *)p);
	case XP_STR:
		return j_str(*(const char *const *)p);
	case XP_REF:
		return j_ref(*(const uint32_t *)p);
	case XP_FLAGS:
		return j_flags((uint32_t)xp_load(p, f->size), f->bits);
	case XP_NSTYPE:
		/* The encoder refused a type out of range before we got here. */
		return json_string_nocheck(xp_type_names[*(const uint8_t *)p]);
	case XP_TIME:
		return j_time(*(const int64_t *)p);
	case XP_INDEX:
		return json_integer((json_int_t)index);
	case XP_OBJECT:
		return j_record(w, f->sub, p, index, NULL);
	case XP_TASKS:
		return j_nested(w, &xp_task, w->g->tasks, sizeof(*w->g->tasks),
				proc->first_task, proc->ntasks);
	case XP_FDS:
		return j_nested(w, &xp_fd, w->g->fds, sizeof(*w->g->fds),
				proc->first_fd, proc->nfds);
	case XP_U8:
		return json_integer(*(const uint8_t *)p);
	case XP_ENUM:
		return j_enum(*(const uint8_t *)p, f->bits);
	case XP_ARGV:
		return j_argv(proc->cmdline, proc->cmdline_len);
	case XP_WLREF:
		return j_ref(*(const uint32_t *)p);
	case XP_IFACES:
		return j_nested(w, &xp_iface, w->g->ifaces, sizeof(*w->g->ifaces),
				ns->first_iface, ns->nifaces);
	}
	return NULL;
}

/* REC as an object of T's members; "kind" first when KIND (NDJSON lines)
 * is given. */
static json_t *j_record(struct wr *w, const struct xp_table *t,
			const void *rec, size_t index, const char *kind)
{
	json_t *o = json_object();

	if (!o) {
		w->err = -ENOMEM;
		return NULL;
	}
	if (kind)
		put(w, o, "kind", json_string_nocheck(kind));
	for (size_t i = 0; i < t->n && !w->err; i++)
		if (in_layout(w, &t->f[i]) &&
		    (!(t->f[i].flags & XP_KNOWN) ||
		     *(const bool *)((const char *)rec + t->f[i].off)))
			put(w, o, t->f[i].name, j_field(w, &t->f[i], rec, index));
	return o;
}

/* An object with no members yet ("kind" only, when given). */
static json_t *j_object(struct wr *w, const char *kind)
{
	static const struct xp_table empty;

	return j_record(w, &empty, NULL, 0, kind);
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

/* The custody member: the block as the exporting store keeps it. */
static json_t *j_custody(struct wr *w, const struct custody_block *c)
{
	json_t *o = j_object(w, NULL), *sig;

	put(w, o, "content", j_hex(c->content, CUSTODY_DIGEST_LEN));
	put(w, o, "prev", j_digest_or_null(c->has_prev, c->prev));
	if (!c->is_signed) {
		put(w, o, "signature", json_null());
		return o;
	}
	sig = j_object(w, NULL);
	put(w, sig, "scheme", json_string_nocheck("ed25519"));
	put(w, sig, "key", j_hex(c->key, CUSTODY_PK_LEN));
	put(w, sig, "sig", j_hex(c->sig, CUSTODY_SIG_LEN));
	put(w, sig, "id", j_u64(c->sig_id));
	put(w, sig, "prev", j_digest_or_null(c->sig_has_prev, c->sig_prev));
	put(w, sig, "store", j_hex(c->sig_store, CUSTODY_STORE_ID_LEN));
	put(w, o, "signature", sig);
	return o;
}

/* ---- the document ------------------------------------------------------- */

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

/* A document being written, in either format. */
struct doc {
	FILE *out;
	bool lines; /* NDJSON: every object printed as it is made */
	struct wr w;
};

/*
 * The N records of BASE (SIZE bytes each) by table T.  JSON: an array,
 * member KEY of PARENT.  NDJSON: one line each, of kind KIND, so that
 * memory stays that of one object, not the document.  0 or -errno (JSON:
 * errors stay in d->w).
 */
static int put_each(struct doc *d, json_t *parent, const char *key,
		    const char *kind, const struct xp_table *t,
		    const void *base, size_t size, size_t n)
{
	int ret = 0;

	if (d->lines) {
		for (size_t i = 0; !ret && i < n; i++)
			ret = emit(d->out, j_record(&d->w, t, (const char *)base +
						    i * size, i, kind),
				   JSON_COMPACT, &d->w);
		return ret;
	}
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < n && !d->w.err; i++)
		append(&d->w, arr, j_record(&d->w, t, (const char *)base +
					    i * size, i, NULL));
	put(&d->w, parent, key, arr);
	return 0;
}

#define EACH(d, parent, key, kind, table, arr, n) \
	put_each(d, parent, key, kind, table, arr, sizeof(*(arr)), n)

/*
 * JSON: one object, printed indented at the end.  NDJSON: a "header" line
 * (the members before the records), a line per record, a "trailer" line.
 */
static int write_doc(FILE *out, const struct graph *g,
		     const struct export_info *info,
		     const struct rec_hashes *h, bool lines)
{
	static const struct export_info none;
	struct doc d = { .out = out, .lines = lines,
			 .w = { .g = g, .nested = !h->layout,
				.version = codec_graph_v1(g) ? EXPORT_VERSION_V1
							     : EXPORT_VERSION } };
	struct wr *w = &d.w;
	json_t *o = j_object(w, lines ? "header" : NULL);
	json_t *root = lines ? NULL : o;
	int ret = 0;

	put(w, o, "format", json_string_nocheck(EXPORT_FORMAT));
	put(w, o, "version", json_integer(w->version));
	put(w, o, "origin", j_record(w, &xp_origin, info ? info : &none, 0, NULL));
	if (info && info->has_custody)
		put(w, o, "custody", j_custody(w, &info->custody));
	put(w, o, "meta", j_record(w, &xp_meta, &g->meta, 0, NULL));
	if (lines)
		ret = emit(out, o, JSON_COMPACT, w);

	if (!ret && w->version >= EXPORT_VERSION)
		ret = EACH(&d, root, "workloads", "workload", &xp_workload,
			   g->workloads, g->nworkloads);
	if (!ret)
		ret = EACH(&d, root, "namespaces", "namespace", &xp_ns, g->ns,
			   g->nns);
	if (!ret)
		ret = EACH(&d, root, "processes", "process", &xp_proc, g->procs,
			   g->nprocs);
	if (!w->nested) {
		json_t *layout = lines ? NULL : j_object(w, NULL);
		if (!ret)
			ret = EACH(&d, layout, "tasks", "task", &xp_task, g->tasks,
				   g->ntasks);
		if (!ret)
			ret = EACH(&d, layout, "fds", "fd", &xp_fd, g->fds, g->nfds);
		if (!lines)
			put(w, root, "layout", layout);
	}
	if (!ret)
		ret = EACH(&d, root, "mounts", "mount", &xp_mount, g->mounts,
			   g->nmounts);
	if (!ret)
		ret = EACH(&d, root, "gaps", "gap", &xp_gap, g->gaps, g->ngaps);
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
	ret = xp_hashes_compute(g, &h);
	if (ret)
		return ret;
	ret = write_doc(out, g, info, &h, fmt == EXPORT_NDJSON);
	xp_hashes_free(&h);
	/* A full disk shows at the flush, not at the buffered writes. */
	if (!ret && fflush(out))
		ret = errno ? -errno : -EIO;
	return ret;
}
