/*
 * mdbcheck.h — checks of an LMDB 0.9 environment made before LMDB uses it.
 *
 * Owns the knowledge of LMDB's on-disk format (data.mdb's pages,
 * lock.mdb's header; mdbcheck_lmdb.h) and the seal, nsnap.seal, that lets
 * a store notice that its data file went back in time.  LMDB trusts its
 * files: a damaged page makes it fault, assert or write past a page, and a
 * damaged meta page can make it take an older transaction without a word.
 * These functions read the files with pread() or a private read-only map,
 * never write to them, and say in one line what is wrong before LMDB gets
 * to it:
 *
 *   mdbcheck_meta()   both meta pages, and which one LMDB will use
 *                     (mdbcheck.c; microseconds)
 *   mdbcheck_tree()   every page reachable from that meta page, the free
 *                     list, every page used once (mdbcheck_tree.c; time
 *                     and memory in proportion to the file)
 *   mdbcheck_lock()   lock.mdb's header while another process uses it
 *                     (mdbcheck_lock.c)
 *   mdbcheck_seal_*() the seal: what the last write of ours committed
 *                     (mdbcheck_seal.c)
 *
 * Functions return 0 or a negative code: -errno or one of MDBCHECK_E*.
 * With MDBCHECK_EDAMAGED, _EROLLBACK, _ENOTLMDB, _EFOREIGN (and -EPERM
 * from the seal functions) the result's `why` holds the reason in one
 * line without the file's name ("meta page 1: page size 4097 is not a
 * power of two").  Nothing here keeps state between calls.
 */
#ifndef NSNAP_MDBCHECK_H
#define NSNAP_MDBCHECK_H

#include <stdbool.h>
#include <stdint.h>

/* Below STORE_E* (-32000...) and LMDB's codes (-30799..-30780). */
enum {
	MDBCHECK_EDAMAGED = -32100, /* damaged: a crash or a wrong answer
				       would follow; see why */
	MDBCHECK_ENOTLMDB,          /* not an LMDB data file at all */
	MDBCHECK_EFOREIGN,          /* an LMDB file of another byte order */
	MDBCHECK_EEMPTY,            /* 0 bytes: LMDB would make a new one */
	MDBCHECK_EROLLBACK,         /* older than the seal says it was */
	MDBCHECK_ECHANGED,          /* written to while being checked: the
				       verdict does not hold, check again */
};

#define MDBCHECK_WHY_MAX 192
#define MDBCHECK_NOPAGE UINT64_MAX    /* root of an empty tree */
#define MDBCHECK_DEPTH_MAX 32         /* LMDB's cursor stack */

/* What both meta pages say; which is the one LMDB will use. */
struct mdbcheck_meta {
	unsigned which;          /* meta page LMDB uses: 0 or 1 */
	uint64_t txnid;          /* its transaction id */
	uint64_t last_pg;        /* its last page in use */
	uint64_t root[2];        /* its FREE and MAIN roots, or NOPAGE */
	uint64_t mapsize;        /* its map size */
	uint32_t psize;          /* page size, the same in both */
	uint64_t file_size;      /* of the data file, when read */
	uint64_t txnids[2];      /* both meta pages' transaction ids */
	uint64_t hash[2];        /* XXH3-64 of each meta page's header */
	/* Nothing was ever committed: two meta pages as LMDB writes them
	 * when it creates the file, and nothing else. */
	bool pristine;
	char why[MDBCHECK_WHY_MAX];
};

/*
 * Read both meta pages of the data file FD and check them the way LMDB
 * will use them: magic, version, page size (a power of two, the same in
 * both, and where meta page 1 lies), flags, map size, last page, the roots
 * of the FREE and MAIN trees (within the last page and the file), and
 * transaction ids that LMDB's alternation can have produced.  0, or
 * MDBCHECK_EEMPTY (0 bytes), _ENOTLMDB, _EFOREIGN, _EDAMAGED, -errno.
 */
int mdbcheck_meta(int fd, struct mdbcheck_meta *out);

/* What the walk found. */
struct mdbcheck_tree {
	uint64_t pages_used;     /* tree, overflow and sub-database pages */
	uint64_t pages_free;     /* listed in the free list */
	uint64_t pages_leaked;   /* neither: harmless, LMDB never reuses */
	uint64_t named_dbs;      /* named databases in MAIN */
	uint64_t dup_dbs;        /* sub-databases of duplicates */
	uint64_t entries;        /* items of all trees */
	char why[MDBCHECK_WHY_MAX];
};

/*
 * Walk every page reachable from meta M (from mdbcheck_meta() on the same
 * FD): the FREE and MAIN trees, every named database in MAIN and every
 * sub-database of duplicates, each page checked before anything in it is
 * followed — page number, type for its place, bounds, every node within
 * the page and apart from the others, key sizes, key order (also against
 * the parent's separators), child and overflow pages within the file,
 * depth, the counts in each tree's record, free-list records — and every
 * page used exactly once, by a tree or the free list.  Iterative, bounded
 * by the file.  0, MDBCHECK_EDAMAGED, MDBCHECK_ECHANGED (a writer
 * committed twice since M was read: read M again), -errno.
 */
int mdbcheck_tree(int fd, const struct mdbcheck_meta *m,
		  struct mdbcheck_tree *out);

/* lock.mdb, as seen from outside. */
struct mdbcheck_lock {
	bool in_use;         /* another process has the environment open */
	uint64_t txnid;      /* the last transaction it says was committed */
	unsigned readers;    /* reader slots used, and there are: */
	unsigned slots;
	char why[MDBCHECK_WHY_MAX];
};

/*
 * Check the lock file FD before LMDB maps it.  When no other process has
 * the environment open, LMDB rebuilds the lock file's header itself, so
 * its content does not matter: 0 with in_use false.  Otherwise LMDB trusts
 * it: its magic and format, the reader count (within the file), both
 * mutexes (their kind, and an owner that exists), the reader slots, and
 * the last transaction against meta M (may be NULL).  A lock whose
 * holder cannot be found is looked at again for a tenth of a second
 * before it counts as damaged.  0, _EDAMAGED, -errno.
 *
 * Must run before this process opens the environment: closing any
 * descriptor of lock.mdb drops the fcntl() locks LMDB holds on it.
 */
int mdbcheck_lock(int fd, const struct mdbcheck_meta *m,
		  struct mdbcheck_lock *out);

#define MDBCHECK_SEAL_NAME "nsnap.seal"

/* The seal: the last committed write of ours, as it left the data file. */
struct mdbcheck_seal {
	bool present;        /* false: no seal (an older store, a new one) */
	uint64_t txnid;      /* transaction committed */
	uint64_t last_id;    /* highest snapshot id handed out by then */
	uint64_t data_size;  /* bytes of data.mdb after the commit */
	uint64_t meta_hash;  /* of the meta page that commit wrote */
	char why[MDBCHECK_WHY_MAX];
};

/*
 * After a write transaction on the data file DATA_FD committed, record it
 * in DIRFD/nsnap.seal (0600, replaced atomically): the data file's newest
 * transaction, its size, the hash of its meta page and LAST_ID, the
 * highest id handed out (never lowered below what the seal had).  Call
 * with the store's writer lock still held, so that seals are written in
 * the order of their commits; see mdbcheck.c for why the seal may lag one
 * commit behind the data file but is never ahead.  OUT (may be NULL) gets
 * what was written.  0 or -errno.
 */
int mdbcheck_seal_write(int dirfd, int data_fd, uint64_t last_id,
			struct mdbcheck_seal *out);

/*
 * Read DIRFD/nsnap.seal, then the data file's meta pages into M (as
 * mdbcheck_meta()), and compare: a data file older than the seal (its
 * newest transaction below the seal's, or shorter than the seal says), or
 * whose meta page of the sealed transaction is not the one written, is
 * MDBCHECK_EROLLBACK or _EDAMAGED.  No seal: 0 with present false.  The
 * caller checks SEAL->last_id against the ids the store holds.  Any
 * mdbcheck_meta() failure is returned as it is.
 */
int mdbcheck_seal_check(int dirfd, int data_fd, struct mdbcheck_meta *m,
			struct mdbcheck_seal *seal);

#endif
