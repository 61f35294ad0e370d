/*
 * mdbcheck_lmdb.h — LMDB 0.9's on-disk format, for mdbcheck*.c only.
 *
 * The structures are mdb.c's (MDB_page, MDB_node, MDB_db, MDB_meta), in
 * this machine's layout: LMDB writes them as they lie in memory, so a
 * store only moves between machines of one byte order and word size.
 * Every field is read with memcpy(): nodes are 2-byte aligned at best, and
 * the MDB_db in a node not even that.
 */
#ifndef NSNAP_MDBCHECK_LMDB_H
#define NSNAP_MDBCHECK_LMDB_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mdbcheck.h"

typedef size_t pgno_t;    /* pgno_t, txnid_t and MDB_ID in mdb.c */

struct lm_page {          /* MDB_page */
	pgno_t pgno;
	uint16_t pad;         /* key size on a LEAF2 page */
	uint16_t flags;
	union {
		struct {
			uint16_t lower, upper;
		} pb;
		uint32_t pages;   /* length of an overflow run */
	} u;
	uint16_t ptrs[1];     /* node offsets, in key order */
};

#define PAGEHDRSZ offsetof(struct lm_page, ptrs)
#define PG_PAD offsetof(struct lm_page, pad)
#define PG_FLAGS offsetof(struct lm_page, flags)
#define PG_LOWER offsetof(struct lm_page, u.pb.lower)
#define PG_UPPER offsetof(struct lm_page, u.pb.upper)
#define PG_PAGES offsetof(struct lm_page, u.pages)

#define P_BRANCH 0x01
#define P_LEAF 0x02
#define P_OVERFLOW 0x04
#define P_META 0x08
#define P_DIRTY 0x10      /* also set in sub-pages, which keep it on disk */
#define P_LEAF2 0x20      /* MDB_DUPFIXED values, packed, no nodes */
#define P_SUBP 0x40       /* a sub-page of duplicates inside a node */

struct lm_node {          /* MDB_node */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint16_t lo, hi;      /* data size, or child page number */
#else
	uint16_t hi, lo;
#endif
	uint16_t flags;       /* F_*, or bits 32-47 of a child page number */
	uint16_t ksize;
	uint8_t data[1];      /* the key, then the data */
};

#define NODESIZE offsetof(struct lm_node, data)
#define F_BIGDATA 0x01    /* data is the number of an overflow run */
#define F_SUBDATA 0x02    /* data is an MDB_db */
#define F_DUPDATA 0x04    /* data holds duplicates */

struct lm_db {            /* MDB_db */
	uint32_t pad;         /* page size in FREE; LEAF2 key size */
	uint16_t flags;
	uint16_t depth;
	pgno_t branch_pages, leaf_pages, overflow_pages;
	size_t entries;
	pgno_t root;
};

struct lm_meta {          /* MDB_meta, after the page header */
	uint32_t magic;
	uint32_t version;
	void *address;
	size_t mapsize;
	struct lm_db dbs[2];  /* FREE, MAIN */
	pgno_t last_pg;
	size_t txnid;
};

#define MDB_MAGIC 0xBEEFC0DEu
#define MDB_DATA_VERSION 1
#define MAX_PAGESIZE 0x8000
#define MIN_PAGESIZE 512
#define MAXKEYSIZE 511        /* MDB_MAXKEYSIZE of a default build */
#define P_INVALID ((pgno_t)-1)
#define FREE_DBI 0
#define MAIN_DBI 1
#define NUM_METAS 2
#define META_BYTES (PAGEHDRSZ + sizeof(struct lm_meta))

/* lmdb.h's persistent flags: the environment's (kept in FREE's record)
 * and a database's. */
#define ENV_FLAGS (0x01u /* FIXEDMAP */ | 0x4000u /* NOSUBDIR */ | \
		   0x08u /* INTEGERKEY, always */)
#define DB_REVERSEKEY 0x02u
#define DB_DUPSORT 0x04u
#define DB_INTEGERKEY 0x08u
#define DB_DUPFIXED 0x10u
#define DB_INTEGERDUP 0x20u
#define DB_REVERSEDUP 0x40u
#define DB_FLAGS 0x7eu

/* ---- reading ------------------------------------------------------------ */

static inline uint16_t rd16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint64_t rdsz(const uint8_t *p)
{
	size_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint64_t rdpg(const uint8_t *p)
{
	uint64_t v = rdsz(p);    /* pgno_t is a size_t */
	return v == P_INVALID ? MDBCHECK_NOPAGE : v;
}

static inline struct lm_db db_read(const uint8_t *p)
{
	struct lm_db db;
	memcpy(&db, p, sizeof(db));
	return db;
}

/* Put the first failure's reason into WHY; MDBCHECK_EDAMAGED. */
__attribute__((format(printf, 2, 3)))
int mdbcheck_fail(char *why, const char *fmt, ...);

/* How an MDB_db record is wrong on its own (NULL: it is not), for a file
 * whose last page is LAST_PG. */
const char *mdbcheck_db_shape(const struct lm_db *db, uint64_t last_pg);

#endif
