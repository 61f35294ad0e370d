/*
 * mdbcheck.c — LMDB's meta pages, read and checked before LMDB maps the
 * data file.  The walk of the pages is in mdbcheck_tree.c, the seal in
 * mdbcheck_seal.c, the lock file in mdbcheck_lock.c; the format they all
 * read in mdbcheck_lmdb.h.
 *
 * LMDB reads meta page 0 at offset 0 and meta page 1 where page 0's page
 * size puts it, takes the one with the higher transaction id, and trusts
 * it: its page size addresses every page (4097 reads garbage), its map
 * size is mapped, its roots are the first pages read.  A transaction id
 * damaged upwards in the older page makes LMDB take that one, silently one
 * commit back.  So both pages are checked on their own and as a pair that
 * LMDB's alternation of commits can have left.
 */
#include "mdbcheck_lmdb.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

__attribute__((format(printf, 2, 3)))
int mdbcheck_fail(char *why, const char *fmt, ...)
{
	va_list ap;

	if (!why[0]) {
		va_start(ap, fmt);
		vsnprintf(why, MDBCHECK_WHY_MAX, fmt, ap);
		va_end(ap);
	}
	return MDBCHECK_EDAMAGED;
}


const char *mdbcheck_db_shape(const struct lm_db *db, uint64_t last_pg)
{
	uint64_t root = db->root == P_INVALID ? MDBCHECK_NOPAGE : db->root;

	if (root == MDBCHECK_NOPAGE)
		return db->depth || db->entries || db->branch_pages ||
		       db->leaf_pages || db->overflow_pages ?
		       "an empty tree with pages or entries" : NULL;
	if (root < NUM_METAS || root > last_pg)
		return "a root page beyond the last page";
	if (db->depth == 0 || db->depth > MDBCHECK_DEPTH_MAX)
		return "a depth out of range";
	if (db->leaf_pages == 0 || db->entries == 0 ||
	    db->branch_pages < db->depth - 1u)
		return "page counts that do not fit its depth";
	if (db->branch_pages > last_pg || db->leaf_pages > last_pg ||
	    db->overflow_pages > last_pg ||
	    db->branch_pages + db->leaf_pages + db->overflow_pages > last_pg)
		return "more pages than the file has";
	return NULL;
}

/* One meta page on its own.  RAW: its first META_BYTES. */
static int meta_one(const uint8_t *raw, unsigned i, uint64_t off,
		    struct lm_meta *m, char *why)
{
	uint16_t flags = rd16(raw + PG_FLAGS);
	uint64_t pgno = rdsz(raw);
	const char *bad;

	memcpy(m, raw + PAGEHDRSZ, sizeof(*m));
	if (m->magic != MDB_MAGIC) {
		if (__builtin_bswap32(m->magic) == MDB_MAGIC)
			return MDBCHECK_EFOREIGN;
		return mdbcheck_fail(why, "meta page %u: bad magic 0x%08x", i,
			       m->magic);
	}
	if (pgno != i || flags != P_META)
		return mdbcheck_fail(why, "meta page %u (at byte %llu): not a meta "
			       "page (number %llu, flags 0x%x)", i,
			       (unsigned long long)off,
			       (unsigned long long)pgno, flags);
	if (m->version != MDB_DATA_VERSION)
		return mdbcheck_fail(why, "meta page %u: format version %u, not %u",
			       i, m->version, MDB_DATA_VERSION);
	uint32_t ps = m->dbs[FREE_DBI].pad;
	if (ps & (ps - 1))
		return mdbcheck_fail(why, "meta page %u: page size %u is not a "
			       "power of two", i, ps);
	if (ps < MIN_PAGESIZE || ps > MAX_PAGESIZE)
		return mdbcheck_fail(why, "meta page %u: page size %u is out of "
			       "range", i, ps);
	if ((m->dbs[FREE_DBI].flags & ~ENV_FLAGS) ||
	    !(m->dbs[FREE_DBI].flags & DB_INTEGERKEY))
		return mdbcheck_fail(why, "meta page %u: free list flags 0x%x", i,
			       m->dbs[FREE_DBI].flags);
	if (m->dbs[MAIN_DBI].flags & ~DB_FLAGS)
		return mdbcheck_fail(why, "meta page %u: main database flags 0x%x",
			       i, m->dbs[MAIN_DBI].flags);
	/* Branch nodes hold 48 bits of a page number. */
	if (m->last_pg < NUM_METAS - 1 || m->last_pg >= (uint64_t)1 << 48)
		return mdbcheck_fail(why, "meta page %u: last page %llu is out of "
			       "range", i, (unsigned long long)m->last_pg);
	/* 2^47: all a 64-bit process can map; more is damage. */
	if (m->mapsize > (uint64_t)1 << 47)
		return mdbcheck_fail(why, "meta page %u: map size %llu is "
			       "implausible", i, (unsigned long long)m->mapsize);
	for (unsigned d = 0; d < 2; d++)
		if ((bad = mdbcheck_db_shape(&m->dbs[d], m->last_pg)))
			return mdbcheck_fail(why, "meta page %u: the %s has %s", i,
				       d ? "main database" : "free list", bad);
	if (m->txnid == 0 && (m->last_pg != NUM_METAS - 1 ||
			      m->dbs[0].root != P_INVALID ||
			      m->dbs[1].root != P_INVALID))
		return mdbcheck_fail(why, "meta page %u: transaction 0 with data", i);
	return 0;
}

/* Two meta pages that LMDB's commits can have left. */
static int meta_pair(const struct lm_meta m[2], uint64_t fsize, char *why)
{
	uint64_t t0 = m[0].txnid, t1 = m[1].txnid;
	uint64_t hi = t0 > t1 ? t0 : t1, lo = t0 > t1 ? t1 : t0;
	unsigned newest = t0 < t1;
	const struct lm_meta *n = &m[newest];

	if (m[1].dbs[FREE_DBI].pad != m[0].dbs[FREE_DBI].pad)
		return mdbcheck_fail(why, "meta page 1: page size %u differs from "
			       "meta page 0's %u", m[1].dbs[FREE_DBI].pad,
			       m[0].dbs[FREE_DBI].pad);
	/*
	 * Transaction N writes meta page N % 2, so the two hold the newest
	 * transaction and the one before it.  A new file has 0 in both (LMDB
	 * writes the same page twice); a compacted copy has 0 and 1.
	 */
	if (hi != 0 && hi - lo != 1)
		return mdbcheck_fail(why, "meta pages hold transactions %llu and "
			       "%llu: not consecutive", (unsigned long long)t0,
			       (unsigned long long)t1);
	if (hi != 0 && (hi & 1) != newest)
		return mdbcheck_fail(why, "meta page %u holds transaction %llu, "
			       "which belongs in meta page %u", newest,
			       (unsigned long long)hi, (unsigned)(hi & 1));
	if (m[!newest].last_pg > n->last_pg)
		return mdbcheck_fail(why, "meta page %u: last page %llu beyond the "
			       "newer meta page's %llu", !newest,
			       (unsigned long long)m[!newest].last_pg,
			       (unsigned long long)n->last_pg);
	/*
	 * The file may end before last_pg: pages that the commit which took
	 * them freed again are not written.  Such pages are free, and every
	 * free page is listed in the file, in 8 bytes.  Roots are written.
	 */
	uint64_t pages = fsize / n->dbs[FREE_DBI].pad;
	if (n->last_pg >= pages + fsize / sizeof(pgno_t))
		return mdbcheck_fail(why, "meta page %u: last page %llu lies far "
			       "beyond the end of the file (%llu pages)",
			       newest, (unsigned long long)n->last_pg,
			       (unsigned long long)pages);
	for (unsigned d = 0; d < 2; d++)
		if (n->dbs[d].root != P_INVALID && n->dbs[d].root >= pages)
			return mdbcheck_fail(why, "meta page %u: the %s's root page "
				       "%llu lies beyond the end of the file "
				       "(%llu pages)", newest,
				       d ? "main database" : "free list",
				       (unsigned long long)n->dbs[d].root,
				       (unsigned long long)pages);
	return 0;
}

/* Read both meta pages as LMDB does: page 1 where page 0's size says. */
static int meta_read(int fd, uint8_t raw[2][META_BYTES], uint64_t *fsize,
		     char *why)
{
	struct stat st;
	uint64_t off = 0;

	if (fstat(fd, &st))
		return -errno;
	*fsize = (uint64_t)st.st_size;
	if (st.st_size == 0)
		return MDBCHECK_EEMPTY;
	for (unsigned i = 0; i < 2; i++) {
		ssize_t n = pread(fd, raw[i], META_BYTES, (off_t)off);
		if (n < 0)
			return -errno;
		uint32_t magic = 0;
		size_t at = PAGEHDRSZ + offsetof(struct lm_meta, magic);
		if (i == 0 && (size_t)n < META_BYTES) {
			/* Too short for a meta page: LMDB's only if it
			 * starts like one. */
			if ((size_t)n >= at + sizeof(magic))
				memcpy(&magic, raw[0] + at, sizeof(magic));
			if (magic != MDB_MAGIC) {
				snprintf(why, MDBCHECK_WHY_MAX,
					 "no LMDB meta page");
				return MDBCHECK_ENOTLMDB;
			}
		}
		if ((size_t)n < META_BYTES)
			return mdbcheck_fail(why, "data file of %llu bytes ends in "
				       "meta page %u", (unsigned long long)
				       st.st_size, i);
		uint32_t ps;
		memcpy(&ps, raw[i] + PAGEHDRSZ + offsetof(struct lm_meta, dbs),
		       sizeof(ps));
		off = ps;
		if (i == 0 && (ps < MIN_PAGESIZE || ps > MAX_PAGESIZE))
			break;    /* meta_one() says what is wrong */
	}
	return 0;
}

/* Whether a meta page lies after page 0 at any page size LMDB can have:
 * then page 0 is a damaged one, else this is no LMDB file. */
static bool meta_elsewhere(int fd)
{
	for (uint32_t ps = MIN_PAGESIZE; ps <= MAX_PAGESIZE; ps *= 2) {
		uint32_t magic;
		if (pread(fd, &magic, sizeof(magic), (off_t)(ps + PAGEHDRSZ +
		    offsetof(struct lm_meta, magic))) == sizeof(magic) &&
		    magic == MDB_MAGIC)
			return true;
	}
	return false;
}

static int meta_check(int fd, const uint8_t raw[2][META_BYTES],
		      uint64_t fsize, struct mdbcheck_meta *out)
{
	struct lm_meta m[2];
	int rc;

	rc = meta_one(raw[0], 0, 0, &m[0], out->why);
	if (rc == MDBCHECK_EFOREIGN ||
	    (m[0].magic != MDB_MAGIC && !meta_elsewhere(fd))) {
		out->why[0] = '\0';
		snprintf(out->why, MDBCHECK_WHY_MAX, rc == MDBCHECK_EFOREIGN ?
			 "an LMDB file of another byte order" :
			 "no LMDB meta page");
		return rc == MDBCHECK_EFOREIGN ? rc : MDBCHECK_ENOTLMDB;
	}
	if (rc)
		return rc;
	if (fsize < 2ull * m[0].dbs[FREE_DBI].pad)
		return mdbcheck_fail(out->why, "data file of %llu bytes ends in its "
			       "meta pages", (unsigned long long)fsize);
	rc = meta_one(raw[1], 1, m[0].dbs[FREE_DBI].pad, &m[1], out->why);
	if (rc == MDBCHECK_EFOREIGN)
		return mdbcheck_fail(out->why, "meta page 1: bad magic");
	if (!rc)
		rc = meta_pair(m, fsize, out->why);
	if (rc)
		return rc;

	unsigned w = m[0].txnid < m[1].txnid;    /* mdb_env_pick_meta() */
	out->which = w;
	out->txnid = m[w].txnid;
	out->last_pg = m[w].last_pg;
	out->mapsize = m[w].mapsize;
	out->psize = m[w].dbs[FREE_DBI].pad;
	for (unsigned d = 0; d < 2; d++)
		out->root[d] = m[w].dbs[d].root == P_INVALID ?
			       MDBCHECK_NOPAGE : m[w].dbs[d].root;
	out->txnids[0] = m[0].txnid;
	out->txnids[1] = m[1].txnid;
	out->pristine = m[0].txnid == 0 && m[1].txnid == 0 &&
			fsize == 2ull * out->psize;
	return 0;
}

int mdbcheck_meta(int fd, struct mdbcheck_meta *out)
{
	uint8_t raw[2][META_BYTES] = { { 0 } }, again[2][META_BYTES];
	int rc;

	memset(out, 0, sizeof(*out));
	/*
	 * A writer may be rewriting a meta page while it is read (pread() is
	 * not atomic against pwrite()): a bad verdict holds only if a second
	 * reading finds the same bytes.
	 */
	for (unsigned tries = 0;; tries++) {
		rc = meta_read(fd, raw, &out->file_size, out->why);
		if (rc == 0)
			rc = meta_check(fd, raw, out->file_size, out);
		if (rc != MDBCHECK_EDAMAGED || tries == 3)
			break;
		uint64_t fsize;
		char why[MDBCHECK_WHY_MAX] = "";
		if (meta_read(fd, again, &fsize, why) == 0 &&
		    fsize == out->file_size && !memcmp(raw, again, sizeof(raw)))
			break;
		out->why[0] = '\0';
	}
	if (rc)
		return rc;
	for (unsigned i = 0; i < 2; i++)
		out->hash[i] = XXH3_64bits(raw[i], META_BYTES);
	return 0;
}

