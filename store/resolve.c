/*
 * resolve.c — a selector against the store: which snapshot it names.
 *
 * Owns the meaning of each form in a store (selector.c reads the form)
 * and the order of snapshots in time: capture order, by the time a
 * capture began (start_ns), then by id, whatever order they arrived in
 * (an import keeps the capture time of the export).  "latest" is the last
 * snapshot in capture order, "latest~N" counts back in it, a time names
 * the last snapshot whose capture began by the end of that minute or
 * second, a label the newest snapshot carrying it (by id: the last one
 * given it).  Also the rule that a label entry agrees with the header it
 * names (verify.c checks every entry by it).
 */
#include "store_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* ---- capture order ------------------------------------------------------ */

int sto_when_cmp(const void *x, const void *y)
{
	const struct sto_when *a = x, *b = y;

	if (a->start_ns != b->start_ns)
		return a->start_ns < b->start_ns ? -1 : 1;
	return (a->id > b->id) - (a->id < b->id);
}

struct order_walk {
	struct sto_when *v;
	size_t n, cap;
	int bad;
};

static int order_one(struct sto_txn *t, const MDB_val *key, const MDB_val *val,
		     void *ctx)
{
	struct order_walk *w = ctx;
	struct codec_header h;
	uint64_t id;
	int ret = sto_key_id(t, key, &id);

	if (!ret)
		ret = sto_header_decode(t, id, val, &h);
	if (ret) {
		/* A damaged header hides one snapshot, not the rest. */
		w->bad = ret;
		sto_corrupt_clear();
		return 0;
	}
	if (w->n == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 64;
		struct sto_when *more = realloc(w->v, cap * sizeof(*more));
		if (!more)
			return -ENOMEM;
		w->v = more;
		w->cap = cap;
	}
	w->v[w->n++] = (struct sto_when){ .start_ns = h.start_ns, .id = id };
	return 0;
}

int sto_capture_order(struct store *s, struct sto_when **out, size_t *n,
		      int *bad)
{
	struct order_walk w = { 0 };
	int ret = sto_snaps_walk(s, order_one, &w);

	*out = NULL;
	*n = 0;
	*bad = w.bad;
	if (ret) {
		free(w.v);
		return ret;
	}
	if (w.n)
		qsort(w.v, w.n, sizeof(*w.v), sto_when_cmp);
	*out = w.v;
	*n = w.n;
	return 0;
}

int store_list_ordered(struct store *s,
		       int (*cb)(const struct store_header *, void *), void *ctx)
{
	struct store_header *h = malloc(sizeof(*h));
	struct sto_when *v;
	size_t n;
	int bad, ret;

	if (!h)
		return -ENOMEM;
	ret = sto_capture_order(s, &v, &n, &bad);
	for (size_t i = 0; !ret && i < n; i++) {
		/* Pruned in between, or damaged since: as store_list(). */
		int rc = store_header(s, v[i].id, h);
		if (rc == STORE_ENOSNAP)
			continue;
		if (rc == STORE_ECORRUPT) {
			bad = rc;
			continue;
		}
		ret = rc ? rc : cb(h, ctx);
	}
	free(v);
	free(h);
	return ret ? ret : bad;
}

/* The snapshot whose capture began BACK snapshots before the last one's,
 * or (BOUND set) the last one whose capture began by BOUND. */
static int resolve_order(struct store *s, uint64_t back, const int64_t *bound,
			 uint64_t *id)
{
	struct sto_when *v;
	size_t n, i;
	int bad, ret = sto_capture_order(s, &v, &n, &bad);

	if (ret)
		return ret;
	i = n;
	if (bound)
		while (i > 0 && v[i - 1].start_ns > *bound)
			i--;
	if (n == 0)
		ret = bad ? bad : STORE_EEMPTY;
	else if (back >= i)
		ret = bad ? bad : STORE_ENOSNAP;
	else
		*id = v[i - 1 - back].id;
	free(v);
	return ret;
}

int sto_label_id(const struct sto_txn *t, const MDB_val *val, uint64_t *id)
{
	*id = 0;
	if (val->mv_size != 8 || sto_val_check(t, val))
		return sto_corrupt("label table entry of %zu bytes", val->mv_size);
	*id = codec_be64_read(val->mv_data);
	return 0;
}

int sto_label_agrees(const struct codec_header *h, uint64_t id,
		     const void *label, size_t len)
{
	if (!h)
		return sto_corrupt("the label table names snapshot %" PRIu64
				   ", which does not exist", id);
	if (h->label.len != len || (len && memcmp(h->label.p, label, len)))
		return sto_corrupt("the label table names snapshot %" PRIu64
				   ", whose header carries %s", id,
				   h->label.len ? "another label" : "no label");
	return 0;
}

/*
 * LABEL: 1 to STORE_LABEL_MAX bytes, as store_sel_parse() leaves it.  The
 * label table is an index, the header what the snapshot says: an entry
 * changed to another id must not select that one.
 */
static int resolve_label(struct sto_txn *t, const char *label, uint64_t *id)
{
	struct codec_header h;
	MDB_cursor *c;
	MDB_val key = { strlen(label), (void *)label }, val;
	int rc, ret;

	if (sto_cursor_open(t, t->s->labels, &c))
		return t->ret;
	rc = sto_lm_cursor_get(c, &key, &val, MDB_SET_KEY);
	if (!rc)
		rc = sto_lm_cursor_get(c, &key, &val, MDB_LAST_DUP);
	if (rc == MDB_NOTFOUND)
		ret = STORE_ESELECTOR;
	else if (rc)
		ret = sto_mdb_err(rc);
	else
		ret = sto_label_id(t, &val, id);
	mdb_cursor_close(c);
	if (ret)
		return ret;
	ret = sto_get_header(t, *id, &h);
	if (ret == STORE_ENOSNAP)
		return sto_label_agrees(NULL, *id, label, strlen(label));
	return ret ? ret : sto_label_agrees(&h, *id, label, strlen(label));
}

/* The snapshot with id ID, if there is one: whether its header decodes
 * is for whoever reads it. */
static int resolve_id(struct sto_txn *t, uint64_t id, uint64_t *id_out)
{
	MDB_val val;
	int ret = sto_header_val(t, id, &val);

	if (!ret)
		*id_out = id;
	return ret;
}

int store_resolve(struct store *s, const char *sel, uint64_t *id_out)
{
	struct store_sel q;
	struct sto_txn t;
	int64_t bound;
	int ret;

	ret = store_sel_parse(sel, &q);
	if (ret)
		return ret;
	/* Capture order reads every header in a transaction of its own. */
	if (q.kind == STORE_SEL_LATEST)
		return resolve_order(s, q.n, NULL, id_out);
	if (q.kind == STORE_SEL_TIME) {
		bound = q.start_ns + (q.span_ns - 1);
		return resolve_order(s, 0, &bound, id_out);
	}
	ret = sto_txn_begin(s, &t, false);
	if (ret)
		return ret;
	if (q.kind == STORE_SEL_ID)
		ret = resolve_id(&t, q.n, id_out);
	else
		ret = resolve_label(&t, q.label, id_out);
	sto_txn_abort(&t);
	return ret;
}
