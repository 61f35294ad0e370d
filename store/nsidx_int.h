/*
 * nsidx_int.h — what the namespace index's files share (prefix nsx_):
 * nsidx.c keeps the index (writing, the rewrite for a prune),
 * nsidx_read.c reads and checks it, nsidx_ctx.c computes the context
 * digests.  The layout is described in nsidx.c and store_int.h.
 */
#ifndef NSNAP_NSIDX_INT_H
#define NSNAP_NSIDX_INT_H

#include "store_int.h"

#include <string.h>

#define NSX_REC_KEY 24          /* dev, inode, id */
#define NSX_CTX_KEY 25          /* dev, inode, 'c', id */
#define NSX_CTX_TAG 'c'         /* sorts after any id's top byte */
#define NSX_MARK 'c'            /* a lists kind: the snapshot is covered */

/* 16 zero bytes: a record entry saying the namespace is gone. */
extern const uint8_t *const nsx_zero;

enum nsx_kind { NSX_OTHER, NSX_REC, NSX_CTX };

/* The key of an entry of KIND into K (NSX_CTX_KEY bytes of room); its
 * length. */
static inline size_t nsx_key(uint8_t *k, enum nsx_kind kind, struct ns_key key,
			     uint64_t id)
{
	codec_be64_write(k, key.dev);
	codec_be64_write(k + 8, key.ino);
	if (kind == NSX_REC) {
		codec_be64_write(k + 16, id);
		return NSX_REC_KEY;
	}
	k[16] = NSX_CTX_TAG;
	codec_be64_write(k + 17, id);
	return NSX_CTX_KEY;
}

static inline bool nsx_same_key(struct ns_key a, struct ns_key b)
{
	return a.dev == b.dev && a.ino == b.ino;
}

/* An entry as a cursor found it: its kind, namespace and snapshot. */
struct nsx_ent {
	enum nsx_kind kind;
	struct ns_key key;
	uint64_t id;
	uint8_t v[CODEC_HASH_LEN];
	bool vok;                   /* the value is 16 bytes */
};

/* Append X to *e (N of CAP): 0 or -ENOMEM. */
int nsx_push(struct nsx_ent **e, size_t *n, size_t *cap, const struct nsx_ent *x);

/* Entry K -> V as *e (kind NSX_OTHER for a key of another shape);
 * STORE_ECORRUPT (not sticky) when either lies outside the file. */
int nsx_ent_read(const struct sto_txn *t, const MDB_val *k, const MDB_val *v,
		 struct nsx_ent *e);

/*
 * The last entry of KIND for KEY at or before ID, by cursor C (on the
 * index): 1 and *e, 0 when there is none, or an error.
 */
int nsx_ent_at(struct sto_txn *t, MDB_cursor *c, enum nsx_kind kind,
	       struct ns_key key, uint64_t id, struct nsx_ent *e);

/* Were snapshot ID's context entries written (its mark, lists key
 * (id, NSX_MARK))? */
bool nsx_covered(struct sto_txn *t, uint64_t id);

/* The newest snapshot before ID that is in the index (recorded here, or
 * whose header cannot be read), or 0. */
uint64_t nsx_prev(struct sto_txn *t, uint64_t id);

#endif
