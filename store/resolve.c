/*
 * resolve.c — a selector against the store: which snapshot it names.
 *
 * Owns the meaning of each form in a store (selector.c reads the form):
 * "latest~N" counts snapshots that exist, a time names the newest snapshot
 * whose capture began by the end of that minute or second, a label the
 * newest snapshot carrying it; and the rule that a label entry agrees
 * with the header it names (verify.c checks every entry by it).
 */
#include "store_int.h"

#include <inttypes.h>
#include <string.h>

static int resolve_latest(struct sto_txn *t, uint64_t back, uint64_t *id)
{
	MDB_cursor *c;
	MDB_val key, val;
	MDB_stat st;
	int rc;

	rc = sto_lm_stat(t->txn, t->s->snaps, &st);
	if (rc)
		return sto_mdb_err(rc);
	if (st.ms_entries == 0)
		return STORE_EEMPTY;
	if (back >= st.ms_entries)
		return STORE_ENOSNAP;
	if (sto_cursor_open(t, t->s->snaps, &c))
		return t->ret;
	rc = sto_lm_cursor_get(c, &key, &val, MDB_LAST);
	for (uint64_t i = 0; !rc && i < back; i++)
		rc = sto_lm_cursor_get(c, &key, &val, MDB_PREV);
	int ret = rc == MDB_NOTFOUND ? STORE_ENOSNAP : rc ? sto_mdb_err(rc)
						  : sto_key_id(t, &key, id);
	mdb_cursor_close(c);
	return ret;
}

static int resolve_time(struct sto_txn *t, int64_t bound, uint64_t *id)
{
	struct codec_header h;
	MDB_cursor *c;
	MDB_val key, val;
	int rc, ret = STORE_EEMPTY, bad = 0;

	if (sto_cursor_open(t, t->s->snaps, &c))
		return t->ret;
	/* Newest first: ids grow with time, so the first hit is the last
	 * snapshot at or before BOUND. */
	for (rc = sto_lm_cursor_get(c, &key, &val, MDB_LAST); !rc;
	     rc = sto_lm_cursor_get(c, &key, &val, MDB_PREV)) {
		uint64_t cur;
		ret = sto_key_id(t, &key, &cur);
		if (!ret)
			ret = sto_header_decode(t, cur, &val, &h);
		if (ret) {
			/* A damaged header hides one snapshot, not the rest. */
			bad = ret;
			continue;
		}
		if (h.start_ns <= bound) {
			*id = cur;
			break;
		}
		ret = STORE_ENOSNAP;
	}
	if (rc && rc != MDB_NOTFOUND)
		ret = sto_mdb_err(rc);
	else if (ret && bad)
		ret = bad;
	mdb_cursor_close(c);
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
	int ret;

	ret = store_sel_parse(sel, &q);
	if (ret)
		return ret;
	ret = sto_txn_begin(s, &t, false);
	if (ret)
		return ret;
	switch (q.kind) {
	case STORE_SEL_ID:
		ret = resolve_id(&t, q.n, id_out);
		break;
	case STORE_SEL_LATEST:
		ret = resolve_latest(&t, q.n, id_out);
		break;
	case STORE_SEL_TIME:
		ret = resolve_time(&t, q.start_ns + (q.span_ns - 1), id_out);
		break;
	case STORE_SEL_LABEL:
		ret = resolve_label(&t, q.label, id_out);
		break;
	}
	sto_txn_abort(&t);
	return ret;
}
