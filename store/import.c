/*
 * import.c — a JSON or NDJSON document read back into a graph (export.h),
 * by the tables of export_fields.c.
 *
 * The document is walked in place (jscan.h): no tree of it is ever built,
 * so memory is the graph being rebuilt, a token at a time besides, and a
 * member no table names is refused where it is met, unread.  Members may
 * come in any order: an object's members are located first, then read in
 * their table's order, so that what must be known first (the version, the
 * namespaces) is.
 *
 * The reader is strict: unknown members, duplicate keys, numbers out of
 * range, "-0", non-canonical decimal strings and out-of-range indexes are
 * all refused with a message naming the member.  A version bump is how
 * the schema grows.  Once read, graph_check() judges the whole (a graph
 * the kernel could not have produced is refused), and the graph is
 * encoded again so that every record hash can be held against the
 * document's: a hand edit or a damaged file cannot pass for the snapshot.
 */
#include "export.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "import_impl.h"

/* ---- the document's parts ----------------------------------------------- */

/* The members of a document, of its NDJSON header (the first five) and of
 * its trailer (the last).  Only their names are used. */
enum { D_FORMAT, D_VERSION, D_ORIGIN, D_CUSTODY, D_META, D_WORKLOADS, D_NS,
       D_PROCS, D_LAYOUT, D_MOUNTS, D_GAPS, D_RECORDS, D_N };
static const struct xp_field doc_fields[D_N] = {
	[D_FORMAT] = { .name = "format" },     [D_VERSION] = { .name = "version" },
	[D_ORIGIN] = { .name = "origin" },     [D_CUSTODY] = { .name = "custody" },
	[D_META] = { .name = "meta" },
	[D_WORKLOADS] = { .name = "workloads" },
	[D_NS] = { .name = "namespaces" },     [D_PROCS] = { .name = "processes" },
	[D_LAYOUT] = { .name = "layout" },     [D_MOUNTS] = { .name = "mounts" },
	[D_GAPS] = { .name = "gaps" },         [D_RECORDS] = { .name = "records" },
};
static const struct xp_table doc_table = { doc_fields, D_N };
static const struct xp_table header_table = { doc_fields, D_META + 1 };
static const struct xp_table trailer_table = { &doc_fields[D_RECORDS], 1 };

static const struct xp_field layout_fields[] = {
	{ .name = "tasks" }, { .name = "fds" },
};
static const struct xp_table layout_table = { layout_fields, 2 };

static void read_format(struct rd *r, struct jspan format, struct jspan version)
{
	struct jstr f = { 0 };
	json_int_t v;

	if (jscan_kind(format) != JK_STRING || !rd_get_jstr(r, format, &f) ||
	    f.n != strlen(EXPORT_FORMAT) || memcmp(f.s, EXPORT_FORMAT, f.n)) {
		jscan_str_free(&f);
		rd_fail(r, -EBADMSG, "not an nsnap snapshot export (\"format\" is "
		     "not \"" EXPORT_FORMAT "\")");
		return;
	}
	jscan_str_free(&f);
	if (!version.p || jscan_kind(version) != JK_INTEGER ||
	    !rd_get_int(r, "version", version, INT64_MIN, INT64_MAX, &v) || v < 1) {
		rd_mfail(r, "version", "expected an integer >= 1");
		return;
	}
	/* Before anything else: a newer document may look otherwise. */
	if (v > EXPORT_VERSION)
		rd_fail(r, -EPROTONOSUPPORT, "version %lld is newer than this nsnap "
		     "reads (%d)", (long long)v, EXPORT_VERSION);
	else
		r->version = (int)v;
}

/* Member KEY, V: exactly 2N hex digits (either case, as the record
 * hashes), or with *HAS given, also null (*HAS false). */
static void get_hex(struct rd *r, const char *key, struct jspan v,
		    uint8_t *out, size_t n, bool *has)
{
	struct jstr s = { 0 };

	if (r->err)
		return;
	if (!v.p) {
		rd_mfail(r, key, "missing");
		return;
	}
	if (has && jscan_kind(v) == JK_NULL) {
		*has = false;
		return;
	}
	if (jscan_kind(v) == JK_STRING && !rd_get_jstr(r, v, &s))
		return;
	if (!s.s || custody_unhex(s.s, s.n, out, n))
		rd_mfail(r, key, "expected %s%zu hexadecimal digits",
			 has ? "null or " : "", 2 * n);
	else if (has)
		*has = true;
	jscan_str_free(&s);
}

/* "signature", V (present): an Ed25519 signature as custody.h has it. */
static void read_signature(struct rd *r, struct jspan v,
			   struct custody_block *c)
{
	enum { G_SCHEME, G_KEY, G_SIG, G_ID, G_PREV, G_STORE, G_N };
	static const struct xp_field fields[G_N] = {
		[G_SCHEME] = { .name = "scheme" }, [G_KEY] = { .name = "key" },
		[G_SIG] = { .name = "sig" },       [G_ID] = { .name = "id" },
		[G_PREV] = { .name = "prev" },     [G_STORE] = { .name = "store" },
	};
	static const struct xp_table table = { fields, G_N };
	struct jspan vals[G_N];
	struct jstr s = { 0 };

	if (!rd_need_kind(r, "signature", v, JK_OBJECT))
		return;
	size_t old = rd_ctx_member(r, "signature");
	if (!rd_members(r, v, &table, 0, NULL, vals, NULL))
		goto out;
	/* A scheme this nsnap does not know is no signature it can check. */
	if (!vals[G_SCHEME].p)
		rd_mfail(r, "scheme", "missing");
	else if (jscan_kind(vals[G_SCHEME]) != JK_STRING ||
		 !rd_get_jstr(r, vals[G_SCHEME], &s) ||
		 s.n != strlen("ed25519") || memcmp(s.s, "ed25519", s.n))
		rd_mfail(r, "scheme", "expected \"ed25519\"");
	jscan_str_free(&s);
	get_hex(r, "key", vals[G_KEY], c->key, CUSTODY_PK_LEN, NULL);
	get_hex(r, "sig", vals[G_SIG], c->sig, CUSTODY_SIG_LEN, NULL);
	if (!vals[G_ID].p)
		rd_mfail(r, "id", "missing");
	else
		c->sig_id = rd_get_u64(r, "id", vals[G_ID]);
	get_hex(r, "prev", vals[G_PREV], c->sig_prev, CUSTODY_DIGEST_LEN,
		&c->sig_has_prev);
	get_hex(r, "store", vals[G_STORE], c->sig_store, CUSTODY_STORE_ID_LEN,
		NULL);
	c->is_signed = !r->err;
out:
	rd_ctx_pop(r, old);
}

/* "custody", V (present): the snapshot's custody block, into r->info. */
static void read_custody(struct rd *r, struct jspan v)
{
	enum { C_CONTENT, C_PREV, C_SIGNATURE, C_N };
	static const struct xp_field fields[C_N] = {
		[C_CONTENT] = { .name = "content" }, [C_PREV] = { .name = "prev" },
		[C_SIGNATURE] = { .name = "signature" },
	};
	static const struct xp_table table = { fields, C_N };
	struct custody_block *c = &r->info->custody;
	struct jspan vals[C_N];

	if (!rd_need_kind(r, "custody", v, JK_OBJECT))
		return;
	size_t old = rd_ctx_member(r, "custody");
	*c = (struct custody_block){ 0 };
	if (rd_members(r, v, &table, 0, NULL, vals, NULL)) {
		get_hex(r, "content", vals[C_CONTENT], c->content,
			CUSTODY_DIGEST_LEN, NULL);
		get_hex(r, "prev", vals[C_PREV], c->prev, CUSTODY_DIGEST_LEN,
			&c->has_prev);
		if (!vals[C_SIGNATURE].p)
			rd_mfail(r, "signature", "missing");
		else if (jscan_kind(vals[C_SIGNATURE]) != JK_NULL)
			read_signature(r, vals[C_SIGNATURE], c);
	}
	r->info->has_custody = !r->err;
	rd_ctx_pop(r, old);
}

/* The header's members (VALS by doc_table), then the unknown one. */
static void read_header(struct rd *r, const struct jspan *vals,
			struct jspan unknown)
{
	read_format(r, vals[D_FORMAT], vals[D_VERSION]);
	rd_refuse_unknown(r, unknown);
	rd_read_part(r, "origin", vals[D_ORIGIN], &xp_origin, r->info);
	if (vals[D_CUSTODY].p)
		read_custody(r, vals[D_CUSTODY]);
	rd_read_part(r, "meta", vals[D_META], &xp_meta, &r->g->meta);
}

/* Every namespace is in: references to them can be read now (their
 * range), and graph_check() judges the namespaces' own at the end. */
static void ns_close(struct rd *r)
{
	r->ns_closed = true;
}

/* V (present) as a hash into *H; false when it is not one. */
static bool parse_hash(struct rd *r, struct jspan v, struct codec_hash *h)
{
	struct jstr s = { 0 };
	bool ok;

	if (jscan_kind(v) == JK_STRING && !rd_get_jstr(r, v, &s))
		return false;
	ok = s.s && xp_hash_parse(s.s, s.n, h);
	jscan_str_free(&s);
	return ok;
}

static void get_hash(struct rd *r, const char *key, struct jspan v,
		     struct codec_hash *h)
{
	if (!v.p)
		rd_mfail(r, key, "missing");
	else if (!parse_hash(r, v, h))
		rd_mfail(r, key, "expected 32 hexadecimal digits");
}

struct hash_list {
	const char *key;
	struct codec_hash *h;
};

/* Element I of a list of hashes, into H[i] (when counting, nowhere). */
static void get_list_hash(struct rd *r, struct jspan elem, size_t i, void *arg)
{
	const struct hash_list *l = arg;
	struct codec_hash scratch;

	if (!parse_hash(r, elem, l->h ? &l->h[i] : &scratch)) {
		size_t old = rd_ctx_push(r, "%s%s[%zu]", r->ctxlen ? "." : "",
					 l->key, i);
		rd_fail(r, -EBADMSG, "expected 32 hexadecimal digits");
		rd_ctx_pop(r, old);
	}
}

/* Member KEY, V, an array of hashes: checked and counted (*N), or with H
 * given, stored.  Checked before anything is allocated for them, so that
 * a list of anything else costs nothing. */
static void get_hash_list(struct rd *r, const char *key, struct jspan v,
			  size_t *n, struct codec_hash *h)
{
	struct hash_list l = { key, h };

	*n = rd_each(r, key, v, get_list_hash, &l);
}

static void read_records(struct rd *r, struct jspan v)
{
	enum { R_META, R_LAYOUT, R_NS, R_PROCS, R_MOUNTS, R_DIGEST, R_N };
	static const struct xp_field fields[R_N] = {
		[R_META] = { .name = "meta" }, [R_LAYOUT] = { .name = "layout" },
		[R_NS] = { .name = "namespaces" },
		[R_PROCS] = { .name = "processes" },
		[R_MOUNTS] = { .name = "mounts" }, [R_DIGEST] = { .name = "digest" },
	};
	static const struct xp_table table = { fields, R_N };
	struct jspan vals[R_N];
	size_t nns = 0, nprocs = 0, nruns = 0;

	if (!rd_need_kind(r, "records", v, JK_OBJECT))
		return;
	size_t old = rd_ctx_member(r, "records");
	rd_members(r, v, &table, 0, NULL, vals, NULL);
	get_hash_list(r, "namespaces", vals[R_NS], &nns, NULL);
	get_hash_list(r, "processes", vals[R_PROCS], &nprocs, NULL);
	get_hash_list(r, "mounts", vals[R_MOUNTS], &nruns, NULL);
	if (!r->err && xp_hashes_alloc(&r->want, vals[R_LAYOUT].p != NULL, nns,
				       nprocs, nruns))
		rd_nomem(r);
	if (r->err) {
		rd_ctx_pop(r, old);
		return;
	}
	get_hash(r, "meta", vals[R_META], r->want.meta);
	if (r->want.layout)
		get_hash(r, "layout", vals[R_LAYOUT], r->want.layout);
	get_hash_list(r, "namespaces", vals[R_NS], &nns, r->want.ns);
	get_hash_list(r, "processes", vals[R_PROCS], &nprocs, r->want.procs);
	get_hash_list(r, "mounts", vals[R_MOUNTS], &nruns, r->want.runs);
	get_hash(r, "digest", vals[R_DIGEST], &r->want.digest);
	r->have_records = !r->err;
	rd_ctx_pop(r, old);
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

/* The namespaces' and processes' hashes against the document's: 0, or
 * -EBADMSG with the message set. */
static int check_objects(struct rd *r, const struct rec_hashes *got)
{
	const struct rec_hashes *want = &r->want;
	const struct graph *g = r->g;
	size_t n;

	n = first_mismatch(got->ns, got->nns, want->ns, want->nns);
	if (n < got->nns) {
		const struct graph_ns *ns = &g->ns[n];
		return rd_fail(r, -EBADMSG, "namespaces[%zu] (%s dev %" PRIu64 " ino %"
			    PRIu64 "): %s", n, xp_type_names[ns->type], ns->key.dev,
			    ns->key.ino, n < want->nns
			    ? "content does not match its record hash"
			    : "no record hash for it in records.namespaces");
	}
	if (want->nns != got->nns)
		return rd_fail(r, -EBADMSG, "records.namespaces: %zu hashes for %zu "
			    "namespaces", want->nns, got->nns);

	n = first_mismatch(got->procs, got->nprocs, want->procs, want->nprocs);
	if (n < got->nprocs)
		return rd_fail(r, -EBADMSG, "processes[%zu] (pid %" PRId32 "): %s", n,
			    g->procs[n].pid, n < want->nprocs
			    ? "content does not match its record hash"
			    : "no record hash for it in records.processes");
	if (want->nprocs != got->nprocs)
		return rd_fail(r, -EBADMSG, "records.processes: %zu hashes for %zu "
			    "processes", want->nprocs, got->nprocs);
	return 0;
}

/*
 * The document is read: graph_check() judges the graph as a whole, then
 * the graph is encoded and every record hash held against the document's.
 */
static void finish(struct rd *r)
{
	const struct rec_hashes *want = &r->want;
	struct rec_hashes got;
	char why[256];
	size_t n;
	int ret;

	r->line = 0;
	rd_ctx_pop(r, 0);
	if (graph_check(r->g, why, sizeof(why))) {
		rd_fail(r, -EBADMSG, "%s", why);
		return;
	}
	ret = xp_hashes_compute(r->g, &got);
	if (ret == -ENOMEM) {
		rd_nomem(r);
		return;
	}
	if (ret) {
		/* graph_check() passed: a safety net, not a path. */
		rd_fail(r, -EBADMSG, "not a consistent snapshot");
		return;
	}

	if (!same_hash(got.meta, want->meta)) {
		rd_fail(r, -EBADMSG, "meta or gaps: content does not match "
		     "records.meta");
		goto out;
	}
	if (check_objects(r, &got))
		goto out;
	if (!got.layout != !want->layout) {
		rd_fail(r, -EBADMSG, got.layout
		     ? "threads and fds are not laid out as the processes' "
		       "nested lists, but records.layout is missing"
		     : "records.layout given, but the slices are the plain "
		       "layout (threads and fds belong nested)");
		goto out;
	}
	if (got.layout && !same_hash(got.layout, want->layout)) {
		rd_fail(r, -EBADMSG, "layout (threads, fds, slices): content does "
		     "not match records.layout");
		goto out;
	}

	n = first_mismatch(got.runs, got.nruns, want->runs, want->nruns);
	if (n < got.nruns) {
		size_t first, count = xp_run_bounds(r->g, n, &first);
		rd_fail(r, -EBADMSG, "mounts[%zu..%zu] (records.mounts[%zu]): %s",
		     first, first + count - 1, n, n < want->nruns
		     ? "content does not match its record hash"
		     : "no record hash for them");
		goto out;
	}
	if (want->nruns != got.nruns) {
		rd_fail(r, -EBADMSG, "records.mounts: %zu hashes for %zu runs of "
		     "mounts", want->nruns, got.nruns);
		goto out;
	}

	/* Every record matches: only the digest itself can be wrong. */
	if (!same_hash(&got.digest, &want->digest))
		rd_fail(r, -EBADMSG, "records.digest does not match the record "
		     "hashes");
	/* One version per snapshot, as the export writes it: a document of
	 * the new version that holds only what the old one could would be a
	 * second spelling of it. */
	else if ((r->version == EXPORT_VERSION_V1) != codec_graph_v1(r->g))
		rd_fail(r, -EBADMSG, "version %d, but the snapshot is one that "
		     "version %d carries", r->version, codec_graph_v1(r->g)
		     ? EXPORT_VERSION_V1 : EXPORT_VERSION);
out:
	xp_hashes_free(&got);
}

/* A JSON document: BUF[0..len) is one object. */
static void read_json(struct rd *r, const char *buf, size_t len)
{
	struct jspan root, vals[D_N], unknown = { 0 };
	const char *next;
	struct jerr e;

	if (jscan_value(buf, buf + len, &root, &next, &e) ||
	    jscan_end(next, buf + len, &e)) {
		rd_syntax(r, &e);
		return;
	}
	if (jscan_kind(root) != JK_OBJECT) {
		rd_fail(r, -EBADMSG, "expected an object, not %s", rd_kind_name(root));
		return;
	}
	if (!rd_members(r, root, &doc_table, 0, NULL, vals, &unknown))
		return;
	read_header(r, vals, unknown);
	if (r->version >= EXPORT_VERSION)
		rd_read_list(r, "workloads", vals[D_WORKLOADS], &rd_workload_kind);
	else if (vals[D_WORKLOADS].p)
		rd_fail(r, -EBADMSG, "unknown member \"workloads\"");
	rd_read_list(r, "namespaces", vals[D_NS], &rd_ns_kind);
	ns_close(r);

	struct jspan layout = vals[D_LAYOUT];
	r->mode = layout.p ? MODE_SLICED : MODE_NESTED;
	rd_read_list(r, "processes", vals[D_PROCS], &rd_proc_kind);
	if (layout.p && rd_need_kind(r, "layout", layout, JK_OBJECT)) {
		struct jspan lv[2];
		size_t old = rd_ctx_member(r, "layout");
		if (rd_members(r, layout, &layout_table, 0, NULL, lv, NULL)) {
			rd_read_list(r, "tasks", lv[0], &rd_task_kind);
			rd_read_list(r, "fds", lv[1], &rd_fd_kind);
		}
		rd_ctx_pop(r, old);
	}
	rd_read_list(r, "mounts", vals[D_MOUNTS], &rd_mount_kind);
	rd_read_list(r, "gaps", vals[D_GAPS], &rd_gap_kind);
	read_records(r, vals[D_RECORDS]);
}

/* NDJSON lines come in this order; a kind never follows a later one. */
enum section {
	S_HEADER, S_WORKLOAD, S_NS, S_PROC, S_TASK, S_FD, S_MOUNT, S_GAP,
	S_TRAILER, S_END
};

static const struct {
	const char *kind;
	const char *plural;     /* the JSON member: names in messages */
	const struct rd_kind *k;   /* records; NULL for header and trailer */
} sections[] = {
	[S_HEADER] = { "header", "header", NULL },
	[S_WORKLOAD] = { "workload", "workloads", &rd_workload_kind },
	[S_NS] = { "namespace", "namespaces", &rd_ns_kind },
	[S_PROC] = { "process", "processes", &rd_proc_kind },
	[S_TASK] = { "task", "layout.tasks", &rd_task_kind },
	[S_FD] = { "fd", "layout.fds", &rd_fd_kind },
	[S_MOUNT] = { "mount", "mounts", &rd_mount_kind },
	[S_GAP] = { "gap", "gaps", &rd_gap_kind },
	[S_TRAILER] = { "trailer", "trailer", NULL },
};

struct ndjson {
	enum section at;        /* the section of the last line */
	size_t count[S_END];    /* lines of each kind so far */
};

/* The section that object O's "kind" names; S_END with the error set. */
static enum section line_kind(struct rd *r, struct jspan o)
{
	static const struct xp_field kind_field = { .name = "kind" };
	static const struct xp_table kind_table = { &kind_field, 1 };
	struct jspan k, any;
	struct jstr s;
	enum section sec;

	/* Every other member is some section's: looked at later. */
	any.p = NULL;
	if (!rd_members(r, o, &kind_table, 0, NULL, &k, &any))
		return S_END;
	if (jscan_kind(k) != JK_STRING) {
		rd_fail(r, -EBADMSG, "\"kind\": expected a string");
		return S_END;
	}
	if (!rd_get_jstr(r, k, &s))
		return S_END;
	for (sec = S_HEADER; sec < S_END; sec++)
		if (strlen(sections[sec].kind) == s.n &&
		    !memcmp(sections[sec].kind, s.s, s.n))
			break;
	if (sec == S_END)
		rd_fail(r, -EBADMSG, "unknown kind \"%.*s\"", (int)s.n, s.s);
	jscan_str_free(&s);
	return sec;
}

static void read_line(struct rd *r, struct ndjson *nd, struct jspan o)
{
	struct jspan vals[D_N], unknown = { 0 };
	enum section s;

	if (jscan_kind(o) != JK_OBJECT) {
		rd_fail(r, -EBADMSG, "expected an object, not %s", rd_kind_name(o));
		return;
	}
	if ((s = line_kind(r, o)) == S_END)
		return;
	if (r->line == 1 && s != S_HEADER) {
		rd_fail(r, -EBADMSG, "the first line must be the header");
		return;
	}
	if (s < nd->at || (s == S_HEADER && r->line != 1)) {
		rd_fail(r, -EBADMSG, "a %s line after %s lines", sections[s].kind,
		     sections[nd->at].kind);
		return;
	}
	if (s == S_WORKLOAD && r->version < EXPORT_VERSION) {
		rd_fail(r, -EBADMSG, "a workload line in a document of version %d",
			r->version);
		return;
	}
	if (s > S_NS)
		ns_close(r);
	if ((s == S_TASK || s == S_FD) && r->mode == MODE_NESTED) {
		rd_fail(r, -EBADMSG, "a %s line, but the processes hold their "
		     "threads and fds", sections[s].kind);
		return;
	}
	nd->at = s;
	size_t i = nd->count[s]++;

	if (s == S_HEADER) {
		if (rd_members(r, o, &header_table, 0, "kind", vals, &unknown))
			read_header(r, vals, unknown);
		return;
	}
	if (s == S_TRAILER) {
		if (rd_members(r, o, &trailer_table, 0, "kind", vals, NULL))
			read_records(r, vals[0]);
		nd->at = S_END;
		return;
	}
	/* Threads and fds outside processes: the sliced layout. */
	if (s == S_TASK || s == S_FD)
		r->mode = MODE_SLICED;
	size_t old = rd_ctx_push(r, "%s[%zu]", sections[s].plural, i);
	rd_read_record(r, sections[s].k, o, i, "kind");
	rd_ctx_pop(r, old);
}

static void read_ndjson(struct rd *r, const char *buf, size_t len)
{
	struct ndjson nd = { .at = S_HEADER };
	size_t pos = 0;

	while (pos < len && !r->err) {
		const char *p = buf + pos;
		const char *nl = memchr(p, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - p) : len - pos;
		struct jspan o;
		const char *next;
		struct jerr e;

		pos += n + (nl ? 1 : 0);
		r->line++;
		r->line_start = p;
		if (nd.at == S_END) {
			rd_fail(r, -EBADMSG, "after the trailer line");
			return;
		}
		if (jscan_value(p, p + n, &o, &next, &e) ||
		    jscan_end(next, p + n, &e)) {
			rd_syntax(r, &e);
			return;
		}
		read_line(r, &nd, o);
	}
	if (!r->err && nd.at != S_END) {
		unsigned lines = r->line;
		r->line = 0;
		rd_fail(r, -EBADMSG, "truncated: no trailer line after line %u",
		     lines);
	}
}

/*
 * Whether the N bytes at P are an NDJSON first line: a whole object with a
 * "kind".  A JSON document's first line is "{" (or, written compact, the
 * whole document, which has no "kind").
 */
static bool ndjson_line(const char *p, size_t n)
{
	struct jspan o, key, val;
	struct jiter it;
	struct jerr e;
	const char *next;
	bool kind = false;
	int rc = 0;

	if (jscan_value(p, p + n, &o, &next, &e) || jscan_end(next, p + n, &e) ||
	    jscan_kind(o) != JK_OBJECT || jscan_open(o, &it, &e))
		return false;
	while ((rc = jscan_member(&it, &key, &val, &e)) > 0) {
		struct jstr k;
		if (jscan_str(key, &k, &e))
			return false;
		kind |= k.n == 4 && !memcmp(k.s, "kind", 4);
		jscan_str_free(&k);
	}
	return rc == 0 && kind;
}

int export_read(const char *buf, size_t len, struct graph **out,
		struct export_info *info, char *errbuf, size_t errlen)
{
	struct export_info unused;
	struct rd r = { .errbuf = errbuf, .errlen = errlen, .doc = buf };

	*out = NULL;
	if (!info)
		info = &unused;
	*info = (struct export_info){ 0 };
	r.info = info;
	if (errbuf && errlen)
		errbuf[0] = '\0';
	r.g = graph_new();
	if (!r.g)
		return rd_nomem(&r);
	if (!buf || !len) {
		rd_fail(&r, -EBADMSG, "empty document");
		goto out;
	}

	const char *nl = memchr(buf, '\n', len);
	if (ndjson_line(buf, nl ? (size_t)(nl - buf) : len))
		read_ndjson(&r, buf, len);
	else
		read_json(&r, buf, len);
	if (!r.err && !r.have_records)
		rd_fail(&r, -EBADMSG, "no records");
	if (!r.err)
		finish(&r);
out:
	xp_hashes_free(&r.want);
	if (r.err) {
		graph_free(r.g);
		*info = (struct export_info){ 0 };
		return r.err;
	}
	*out = r.g;
	return 0;
}
