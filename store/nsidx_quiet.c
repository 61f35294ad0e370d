/*
 * nsidx_quiet.c — the snapshots the namespace index calls quiet.
 *
 * Owns the timeline's shortcut.  The index writes an entry for a
 * namespace where its record or its context digest (nsidx_ctx.c) differs
 * from the snapshot recorded before; so a snapshot recorded here, covered
 * (its context entries were written), which no entry names, holds every
 * namespace as that snapshot did: the same records, members, pins and
 * surroundings.  nsidx_ctx.c's rule then says a comparison of the two
 * under diff_history_scan()'s scan finds nothing, and so does any
 * narrower one (fewer types, no pins, PID namespaces only; not threads,
 * which the digest does not cover).  One scan of the index tells it for
 * every snapshot, without loading any.
 */
#include "nsidx_int.h"

#include <errno.h>
#include <stdlib.h>

struct qsnap {
	uint64_t id;
	bool imported;   /* not in the index's chain of snapshots */
	bool usable;     /* readable, recorded here and covered */
	bool named;      /* an index entry names it */
};

/* The snapshot ID of V, or NULL. */
static struct qsnap *qsnap_find(struct qsnap *v, size_t n, uint64_t id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && v[lo].id == id ? &v[lo] : NULL;
}

/* Every snapshot of the table, in id order: which the index covers. */
static int qsnaps_read(struct sto_txn *t, struct qsnap **out, size_t *n)
{
	struct qsnap *v = NULL;
	size_t cap = 0;
	MDB_cursor *c;
	MDB_val key, val;
	int rc, ret = 0;

	*n = 0;
	if (sto_cursor_open(t, t->s->snaps, &c))
		return t->ret;
	for (rc = sto_lm_cursor_get(c, &key, &val, MDB_FIRST); !rc && !ret;
	     rc = sto_lm_cursor_get(c, &key, &val, MDB_NEXT)) {
		struct codec_header h;
		uint64_t id;

		if (sto_key_id(t, &key, &id))
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 64;
			struct qsnap *more = realloc(v, cap * sizeof(*more));
			if (!more) {
				ret = -ENOMEM;
				break;
			}
			v = more;
		}
		/* A header that does not read is in the chain (nsx_prev()). */
		bool ok = !sto_header_decode(t, id, &val, &h);
		v[(*n)++] = (struct qsnap){
			.id = id, .imported = ok && h.imported,
			.usable = ok && !h.imported && nsx_covered(t, id),
		};
	}
	if (!ret && rc != MDB_NOTFOUND)
		ret = sto_mdb_err(rc);
	mdb_cursor_close(c);
	sto_corrupt_clear();
	if (ret) {
		free(v);
		v = NULL;
		*n = 0;
	}
	*out = v;
	return ret;
}

int store_quiet(struct store *s, struct store_quiet **out, size_t *nout)
{
	struct sto_txn t;
	struct qsnap *v = NULL;
	struct store_quiet *q = NULL;
	MDB_cursor *c = NULL;
	MDB_val key, val;
	size_t n = 0;
	int rc, ret;

	*out = NULL;
	*nout = 0;
	ret = sto_txn_begin(s, &t, false);
	if (ret)
		return ret;
	ret = qsnaps_read(&t, &v, &n);
	if (!ret && sto_cursor_open(&t, s->nsidx, &c))
		ret = t.ret;
	for (rc = ret ? MDB_NOTFOUND : sto_lm_cursor_get(c, &key, &val, MDB_FIRST);
	     !rc && !ret; rc = sto_lm_cursor_get(c, &key, &val, MDB_NEXT)) {
		struct nsx_ent e;
		struct qsnap *at;

		ret = nsx_ent_read(&t, &key, &val, &e);
		if (!ret && e.kind != NSX_OTHER && (at = qsnap_find(v, n, e.id)))
			at->named = true;
	}
	if (!ret && rc != MDB_NOTFOUND)
		ret = sto_mdb_err(rc);
	if (c)
		mdb_cursor_close(c);
	if (!ret && !(q = calloc(n + 1, sizeof(*q))))
		ret = -ENOMEM;
	/* Quiet: usable, named by no entry, and the snapshot before it in
	 * the index's chain (imported ones are not in it) usable too. */
	for (size_t i = 0, prev = SIZE_MAX; !ret && i < n; i++) {
		if (v[i].imported)
			continue;
		if (prev != SIZE_MAX && v[i].usable && !v[i].named && v[prev].usable)
			q[(*nout)++] = (struct store_quiet){ .id = v[i].id,
							     .prev = v[prev].id };
		prev = i;
	}
	free(v);
	sto_txn_abort(&t);
	if (ret) {
		free(q);
		*nout = 0;
		return ret;
	}
	*out = q;
	return 0;
}
