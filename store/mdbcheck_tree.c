/*
 * mdbcheck_tree.c — every page reachable from the meta page LMDB will use,
 * walked and checked before LMDB reads any of them.
 *
 * The walk keeps its own stack of pages to visit (no recursion) and marks
 * each page in a bitmap as it is reached, so that it ends after as many
 * steps as the file has pages.  What LMDB relies on, and so what is
 * checked before anything in a page is followed (mdb.c's names in
 * brackets):
 *  - a page's number is where it lies, and it lies within the file (or
 *    the map would fault: SIGBUS);
 *  - its type is the one its place expects [IS_LEAF asserts; a FREE tree
 *    with DUPSORT set asserts mx != NULL in mdb_cursor_init()];
 *  - mp_lower and mp_upper within the page, every mp_ptrs[] entry at or
 *    above mp_upper, even, and its node with key and data inside the page
 *    and apart from the other nodes (mdb_node_del() moves the nodes below
 *    a deleted one by its size: overlapping nodes make it write past the
 *    page);
 *  - branch pages with two keys or more [mdb_page_search_root() asserts],
 *    leaves with one or more (mdb_cursor_first() reads node 0 unchecked);
 *  - keys of at most 511 bytes, and in a DUPSORT tree values of at most
 *    511 (mdb_cursor_put() copies one into a 512-byte stack buffer);
 *  - overflow runs as long as their data, within the file;
 *  - sub-pages of duplicates well formed, with a page number above 1
 *    [mdb_page_search() asserts root > 1 on it];
 *  - free-list records whose count fits the record (mdb_page_alloc()
 *    trusts it), with pages that exist and are not in use;
 *  - no page reachable twice: a cycle would be walked forever, a page in
 *    two trees or in a tree and the free list is overwritten by one while
 *    the other still uses it.
 * Key order (within a page and against the parent's separators), depth
 * and the counts in each MDB_db are checked too: LMDB does not fault on
 * them, but answers wrongly, and they cost nothing more.
 */
#include "mdbcheck_lmdb.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* A named database's name for a message: printable, cut to fit LEN. */
static void name_put(char *buf, size_t len, const uint8_t *s, size_t n)
{
	size_t o = 0, i;

	for (i = 0; i < n && o + 8 < len; i++) {
		if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' && s[i] != '\\')
			buf[o++] = (char)s[i];
		else
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", s[i]);
	}
	if (i < n)
		o += (size_t)snprintf(buf + o, len - o, "...");
	buf[o] = '\0';
}

enum tree_kind { T_FREE, T_MAIN, T_NAMED, T_DUPS };
enum cmp_kind { CMP_MEMN, CMP_MEMNR, CMP_INT };

struct tree {
	struct lm_db db;                      /* as its record says */
	uint64_t branch, leaf, overflow, entries;   /* as found */
	uint8_t kind, cmp, dcmp;              /* comparators: keys, dups */
	uint32_t parent;                      /* T_DUPS: whose values */
	const uint8_t *name;                  /* T_NAMED: its key in MAIN */
	uint16_t namelen;
};

/* A page to visit, and the bounds its keys must keep: lo <= key < hi. */
struct frame {
	uint64_t pgno;
	uint32_t tree;
	uint16_t depth;
	uint16_t lolen, hilen;
	const uint8_t *lo, *hi;               /* NULL: no bound */
};

struct walk {
	const uint8_t *map;
	uint64_t map_len;
	uint32_t psize;
	uint64_t last_pg, file_pages, txnid;
	uint64_t *used, *freed;               /* bitmaps of last_pg + 1 */
	struct tree *trees;
	size_t ntrees, atrees;
	struct frame *stack;
	size_t nstack, astack;
	uint64_t *span;                       /* node extents of one page */
	const uint8_t **k, **sk;              /* keys of a page, a sub-page */
	uint16_t *kl, *skl;                   /* and their sizes */
	struct mdbcheck_tree *out;
};

static bool bit_get(const uint64_t *b, uint64_t i)
{
	return b[i / 64] >> (i % 64) & 1;
}

static void bit_set(uint64_t *b, uint64_t i)
{
	b[i / 64] |= (uint64_t)1 << (i % 64);
}

static const char *tree_name(const struct walk *w, uint32_t t, char *buf,
			     size_t len)
{
	const struct tree *tr = &w->trees[t];
	char name[48];

	switch (tr->kind) {
	case T_FREE:
		return "the free list";
	case T_MAIN:
		return "the main database";
	case T_NAMED:
		name_put(name, sizeof(name), tr->name, tr->namelen);
		snprintf(buf, len, "database \"%s\"", name);
		return buf;
	}
	if (w->trees[tr->parent].kind == T_NAMED) {
		const struct tree *p = &w->trees[tr->parent];
		name_put(name, sizeof(name), p->name, p->namelen);
		snprintf(buf, len, "duplicates in database \"%s\"", name);
	} else {
		snprintf(buf, len, "duplicates in the main database");
	}
	return buf;
}

__attribute__((format(printf, 3, 4)))
static int page_bad(struct walk *w, const struct frame *f, const char *fmt,
		    ...)
{
	char msg[MDBCHECK_WHY_MAX], tn[96];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return mdbcheck_fail(w->out->why, "%s, page %llu: %s",
		       tree_name(w, f->tree, tn, sizeof(tn)),
		       (unsigned long long)f->pgno, msg);
}

static int push(struct walk *w, const struct frame *f)
{
	if (w->nstack == w->astack) {
		size_t n = w->astack ? w->astack * 2 : 256;
		struct frame *s = realloc(w->stack, n * sizeof(*s));
		if (!s)
			return -ENOMEM;
		w->stack = s;
		w->astack = n;
	}
	w->stack[w->nstack++] = *f;
	return 0;
}

static int key_cmp(int kind, const uint8_t *a, size_t al, const uint8_t *b,
		   size_t bl)
{
	int d;

	switch (kind) {
	case CMP_INT:                 /* mdb_cmp_int/_cint/_long; sizes equal */
		if (al == 4) {
			uint32_t x = rd32(a), y = rd32(b);
			return x < y ? -1 : x > y;
		} else {
			uint64_t x, y;
			memcpy(&x, a, 8);
			memcpy(&y, b, 8);
			return x < y ? -1 : x > y;
		}
	case CMP_MEMNR:               /* mdb_cmp_memnr: from the last byte */
		for (size_t i = 1; i <= al && i <= bl; i++)
			if (a[al - i] != b[bl - i])
				return a[al - i] < b[bl - i] ? -1 : 1;
		break;
	default:                      /* mdb_cmp_memn */
		d = memcmp(a, b, al < bl ? al : bl);
		if (d)
			return d;
	}
	return al < bl ? -1 : al > bl;
}

/* The keys of one page, K[i] of KL[i] bytes from FIRST on, in order and
 * within the frame's bounds. */
static int keys_check(struct walk *w, const struct frame *f, int cmp,
		      const uint8_t *const *k, const uint16_t *kl,
		      unsigned first, unsigned n, bool sub)
{
	for (unsigned i = first; i < n; i++) {
		if (cmp == CMP_INT && kl[i] != 4 && kl[i] != 8)
			return page_bad(w, f, "%s %u: integer key of %u bytes",
					sub ? "duplicate" : "node", i, kl[i]);
		if (cmp == CMP_INT && i > first && kl[i] != kl[first])
			return page_bad(w, f, "integer keys of %u and %u bytes",
					kl[first], kl[i]);
		if (i > first && key_cmp(cmp, k[i - 1], kl[i - 1], k[i],
					 kl[i]) >= 0)
			return page_bad(w, f, "%s %u is out of order",
					sub ? "duplicate" : "key", i);
	}
	if (sub || n <= first)
		return 0;
	if (f->lo && (cmp != CMP_INT || f->lolen == kl[first]) &&
	    key_cmp(cmp, k[first], kl[first], f->lo, f->lolen) < 0)
		return page_bad(w, f, "key %u sorts before its parent's "
				"separator", first);
	if (f->hi && (cmp != CMP_INT || f->hilen == kl[n - 1]) &&
	    key_cmp(cmp, k[n - 1], kl[n - 1], f->hi, f->hilen) >= 0)
		return page_bad(w, f, "key %u sorts after its parent's next "
				"separator", n - 1);
	return 0;
}

static int span_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/*
 * The nodes of a page or sub-page P of SIZE bytes: each at or above
 * UPPER, within P, apart from the others.  Fills K/KL with their keys.
 */
static int nodes_check(struct walk *w, const struct frame *f,
		       const uint8_t *p, size_t size, unsigned n,
		       bool leaf, bool sub, const uint8_t **k, uint16_t *kl)
{
	uint16_t upper = rd16(p + PG_UPPER);

	for (unsigned i = 0; i < n; i++) {
		uint16_t off = rd16(p + PAGEHDRSZ + 2 * i);
		if (off < upper || off + NODESIZE > size || (!sub && off & 1))
			return page_bad(w, f, "%snode %u at offset %u is "
					"outside its area", sub ? "sub-page " :
					"", i, off);
		const uint8_t *nd = p + off;
		uint64_t len = NODESIZE + rd16(nd + offsetof(struct lm_node,
							    ksize));
		if (leaf) {
			uint16_t fl = rd16(nd + offsetof(struct lm_node, flags));
			len += fl & F_BIGDATA ? sizeof(pgno_t) :
			       rd16(nd + offsetof(struct lm_node, lo)) |
			       (uint64_t)rd16(nd + offsetof(struct lm_node,
							    hi)) << 16;
		}
		/* A node takes an even number of bytes: mdb_node_del()
		 * moves the ones below it by that. */
		len += len & 1;
		if (off + len > size)
			return page_bad(w, f, "%snode %u (%llu bytes at offset "
					"%u) runs past the %s", sub ?
					"sub-page " : "", i,
					(unsigned long long)len, off,
					sub ? "sub-page" : "page");
		w->span[i] = (uint64_t)off << 32 | (off + len);
		k[i] = nd + NODESIZE;
		kl[i] = rd16(nd + offsetof(struct lm_node, ksize));
		if (kl[i] > MAXKEYSIZE)
			return page_bad(w, f, "%snode %u: key of %u bytes",
					sub ? "sub-page " : "", i, kl[i]);
	}
	qsort(w->span, n, sizeof(*w->span), span_cmp);
	for (unsigned i = 1; i < n; i++)
		if ((w->span[i] >> 32) < (uint32_t)w->span[i - 1])
			return page_bad(w, f, "%snodes at offsets %u and %u "
					"overlap", sub ? "sub-page " : "",
					(unsigned)(w->span[i - 1] >> 32),
					(unsigned)(w->span[i] >> 32));
	return 0;
}

/* Mark NUM pages from PGNO in use (a page or an overflow run). */
static int mark(struct walk *w, const struct frame *f, uint64_t pgno,
		uint64_t num)
{
	if (pgno < NUM_METAS || pgno > w->last_pg ||
	    num > w->last_pg - pgno + 1)
		return page_bad(w, f, "page %llu%s is beyond the last page "
				"%llu", (unsigned long long)pgno,
				num > 1 ? " (an overflow run)" : "",
				(unsigned long long)w->last_pg);
	if (pgno + num > w->file_pages)
		return page_bad(w, f, "page %llu%s lies beyond the end of the "
				"file (%llu pages)", (unsigned long long)pgno,
				num > 1 ? " (an overflow run)" : "",
				(unsigned long long)w->file_pages);
	for (uint64_t i = pgno; i < pgno + num; i++) {
		if (bit_get(w->used, i) && i == f->pgno)
			return page_bad(w, f, "reached a second time");
		if (bit_get(w->used, i))
			return page_bad(w, f, "overflow page %llu is reached "
					"twice", (unsigned long long)i);
		bit_set(w->used, i);
	}
	w->out->pages_used += num;
	return 0;
}

/* The overflow run holding a value of SIZE bytes; *data its bytes. */
static int overflow(struct walk *w, const struct frame *f, uint64_t pgno,
		    uint64_t size, const uint8_t **data)
{
	uint64_t need = (PAGEHDRSZ - 1 + size) / w->psize + 1;    /* OVPAGES */
	const uint8_t *p;
	int rc;

	if (pgno < NUM_METAS || pgno >= w->file_pages || pgno > w->last_pg)
		return page_bad(w, f, "overflow page %llu is out of range",
				(unsigned long long)pgno);
	p = w->map + pgno * w->psize;
	uint32_t pages = rd32(p + PG_PAGES);
	if (rdsz(p) != pgno || rd16(p + PG_FLAGS) != P_OVERFLOW)
		return page_bad(w, f, "overflow page %llu is not one "
				"(number %llu, flags 0x%x)",
				(unsigned long long)pgno,
				(unsigned long long)rdsz(p), rd16(p + PG_FLAGS));
	if (pages < need)
		return page_bad(w, f, "overflow run %llu of %u pages is short "
				"of its %llu bytes", (unsigned long long)pgno,
				pages, (unsigned long long)size);
	rc = mark(w, f, pgno, pages);
	if (rc)
		return rc;
	w->trees[f->tree].overflow += pages;
	*data = p + PAGEHDRSZ;
	return 0;
}

/* A free-list record: a count, then that many page numbers, descending. */
static int free_record(struct walk *w, const struct frame *f,
		       const uint8_t *d, uint64_t size)
{
	uint64_t count, prev = UINT64_MAX;

	if (size < sizeof(pgno_t) || size % sizeof(pgno_t))
		return page_bad(w, f, "free-list record of %llu bytes",
				(unsigned long long)size);
	count = rdsz(d);
	if (count > size / sizeof(pgno_t) - 1)
		return page_bad(w, f, "free-list record counts %llu pages in "
				"%llu bytes", (unsigned long long)count,
				(unsigned long long)size);
	for (uint64_t i = 1; i <= count; i++) {
		uint64_t pg = rdsz(d + i * sizeof(pgno_t));
		if (pg >= prev || pg < NUM_METAS || pg > w->last_pg)
			return page_bad(w, f, "free page %llu is out of order "
					"or range", (unsigned long long)pg);
		if (bit_get(w->freed, pg))
			return page_bad(w, f, "page %llu is free twice",
					(unsigned long long)pg);
		bit_set(w->freed, pg);
		prev = pg;
	}
	w->out->pages_free += count;
	return 0;
}

static int tree_add(struct walk *w, const struct frame *f, int kind,
		    const uint8_t *rec, uint32_t parent, const uint8_t *name,
		    uint16_t namelen);

/* A sub-page of duplicates: a small leaf inside node data D of SIZE. */
static int subpage(struct walk *w, const struct frame *f,
		   const struct tree *t, const uint8_t *d, uint64_t size)
{
	const uint8_t **k = w->sk;
	uint16_t *kl = w->skl;
	bool fixed = t->db.flags & DB_DUPFIXED;
	uint16_t want = P_LEAF | P_SUBP | (fixed ? P_LEAF2 : 0);

	if (size < PAGEHDRSZ)
		return page_bad(w, f, "sub-page of %llu bytes",
				(unsigned long long)size);
	uint16_t lower = rd16(d + PG_LOWER), upper = rd16(d + PG_UPPER);
	unsigned n = (unsigned)(lower - PAGEHDRSZ) / 2;
	if ((rd16(d + PG_FLAGS) & ~P_DIRTY) != want)
		return page_bad(w, f, "sub-page flags 0x%x",
				rd16(d + PG_FLAGS));
	if (rdsz(d) < NUM_METAS)
		return page_bad(w, f, "sub-page numbered %llu",
				(unsigned long long)rdsz(d));
	if (lower < PAGEHDRSZ || upper < lower || upper > size ||
	    (lower - PAGEHDRSZ) % 2 || n == 0)
		return page_bad(w, f, "sub-page bounds %u, %u in %llu bytes",
				lower, upper, (unsigned long long)size);
	if (fixed) {
		uint16_t ks = rd16(d + PG_PAD);
		if (ks == 0 || ks > MAXKEYSIZE ||
		    PAGEHDRSZ + (uint64_t)n * ks > size)
			return page_bad(w, f, "sub-page of %u values of %u "
					"bytes in %llu", n, ks,
					(unsigned long long)size);
		for (unsigned i = 0; i < n; i++) {
			k[i] = d + PAGEHDRSZ + (size_t)i * ks;
			kl[i] = ks;
		}
	} else {
		int rc = nodes_check(w, f, d, size, n, true, true, k, kl);
		if (rc)
			return rc;
		for (unsigned i = 0; i < n; i++) {
			const uint8_t *nd = k[i] - NODESIZE;
			if (rd16(nd + offsetof(struct lm_node, flags)) ||
			    rd16(nd + offsetof(struct lm_node, lo)) ||
			    rd16(nd + offsetof(struct lm_node, hi)))
				return page_bad(w, f, "sub-page node %u has "
						"data or flags", i);
		}
	}
	w->trees[f->tree].entries += n;
	return keys_check(w, f, t->dcmp, k, kl, 0, n, true);
}

/* Leaf node I (key K of KL bytes) of a page of tree T. */
static int leaf_node(struct walk *w, const struct frame *f, unsigned i,
		     const uint8_t *k, uint16_t kl)
{
	const uint8_t *nd = k - NODESIZE, *d = k + kl;
	struct tree *t = &w->trees[f->tree];
	uint16_t fl = rd16(nd + offsetof(struct lm_node, flags));
	uint64_t size = rd16(nd + offsetof(struct lm_node, lo)) |
			(uint64_t)rd16(nd + offsetof(struct lm_node, hi)) << 16;
	bool dupsort = t->kind != T_FREE && t->kind != T_DUPS &&
		       (t->db.flags & DB_DUPSORT);
	int rc;

	if (t->kind == T_DUPS) {
		if (fl || size)
			return page_bad(w, f, "node %u has data or flags", i);
		t->entries++;
		return 0;
	}
	switch (fl) {
	case 0:
		if (dupsort && size > MAXKEYSIZE)
			return page_bad(w, f, "node %u: a value of %llu bytes "
					"in a DUPSORT tree", i,
					(unsigned long long)size);
		break;
	case F_BIGDATA:
		if (dupsort)
			return page_bad(w, f, "node %u: an overflow value in a "
					"DUPSORT tree", i);
		rc = overflow(w, f, rdpg(d), size, &d);
		if (rc)
			return rc;
		break;
	case F_SUBDATA:
		if (t->kind != T_MAIN || dupsort || size != sizeof(struct lm_db))
			return page_bad(w, f, "node %u: a named database "
					"where none can be", i);
		t->entries++;
		w->out->named_dbs++;
		return tree_add(w, f, T_NAMED, d, f->tree, k, kl);
	case F_DUPDATA:
		if (!dupsort)
			return page_bad(w, f, "node %u: duplicates in a tree "
					"without DUPSORT", i);
		return subpage(w, f, t, d, size);
	case F_DUPDATA | F_SUBDATA:
		if (!dupsort || size != sizeof(struct lm_db))
			return page_bad(w, f, "node %u: a sub-database of "
					"duplicates where none can be", i);
		t->entries += db_read(d).entries;
		w->out->dup_dbs++;
		return tree_add(w, f, T_DUPS, d, f->tree, NULL, 0);
	default:
		return page_bad(w, f, "node %u: flags 0x%x", i, fl);
	}
	t->entries++;
	if (t->kind == T_FREE) {
		if (kl != sizeof(size_t) || rdsz(k) == 0 || rdsz(k) > w->txnid)
			return page_bad(w, f, "free-list key %u is not a "
					"transaction id up to %llu", i,
					(unsigned long long)w->txnid);
		return free_record(w, f, d, size);
	}
	return 0;
}

/* Expected flags of a page at F's place, or 0 when its depth admits no
 * page at all. */
static uint16_t page_type(const struct tree *t, unsigned depth)
{
	if (depth > t->db.depth)
		return 0;
	if (depth < t->db.depth)
		return P_BRANCH;
	return P_LEAF | (t->kind == T_DUPS && (t->db.flags & DB_DUPFIXED) ?
			 P_LEAF2 : 0);
}

static int page_visit(struct walk *w, const struct frame *f)
{
	const uint8_t **k = w->k;
	uint16_t *kl = w->kl;
	const struct tree *t = &w->trees[f->tree];
	const uint8_t *p;
	int rc = mark(w, f, f->pgno, 1);

	if (rc)
		return rc;
	p = w->map + f->pgno * w->psize;
	uint16_t flags = rd16(p + PG_FLAGS), want = page_type(t, f->depth);
	uint16_t lower = rd16(p + PG_LOWER), upper = rd16(p + PG_UPPER);
	unsigned n = (unsigned)(lower - PAGEHDRSZ) / 2;
	if (rdsz(p) != f->pgno)
		return page_bad(w, f, "the page says it is page %llu",
				(unsigned long long)rdsz(p));
	if (flags != want)
		return page_bad(w, f, "flags 0x%x where 0x%x belongs (depth "
				"%u of %u)", flags, want, f->depth,
				t->db.depth);
	if (lower < PAGEHDRSZ || upper < lower || upper > w->psize ||
	    (lower - PAGEHDRSZ) % 2)
		return page_bad(w, f, "bounds %u, %u", lower, upper);
	/* LMDB merges a branch of one key away, except in the free list
	 * (ITS#8336), and removes an empty leaf. */
	if (n < (flags & P_BRANCH && t->kind != T_FREE ? 2u : 1u))
		return page_bad(w, f, "%u keys", n);
	if (flags & P_BRANCH)
		w->trees[f->tree].branch++;
	else
		w->trees[f->tree].leaf++;

	if (flags & P_LEAF2) {
		uint16_t ks = rd16(p + PG_PAD);
		if (ks != t->db.pad || ks == 0 || ks > MAXKEYSIZE ||
		    PAGEHDRSZ + (uint64_t)n * ks > w->psize)
			return page_bad(w, f, "%u values of %u bytes (the "
					"tree says %u)", n, ks, t->db.pad);
		for (unsigned i = 0; i < n; i++) {
			k[i] = p + PAGEHDRSZ + (size_t)i * ks;
			kl[i] = ks;
		}
		w->trees[f->tree].entries += n;
		return keys_check(w, f, t->cmp, k, kl, 0, n, false);
	}
	rc = nodes_check(w, f, p, w->psize, n, flags & P_LEAF, false, k, kl);
	if (!rc)
		rc = keys_check(w, f, t->cmp, k, kl, flags & P_BRANCH ? 1 : 0,
				n, false);
	for (unsigned i = 0; !rc && i < n && (flags & P_LEAF); i++)
		rc = leaf_node(w, f, i, k[i], kl[i]);
	/* Children last to first, so that the first is visited first. */
	for (unsigned i = n; !rc && i-- > 0 && (flags & P_BRANCH);) {
		const uint8_t *nd = k[i] - NODESIZE;
		uint64_t child = rd16(nd + offsetof(struct lm_node, lo)) |
				 (uint64_t)rd16(nd + offsetof(struct lm_node,
							      hi)) << 16;
		if (sizeof(pgno_t) > 4)
			child |= (uint64_t)rd16(nd + offsetof(struct lm_node,
							      flags)) << 32;
		struct frame c = {
			.pgno = child, .tree = f->tree,
			.depth = (uint16_t)(f->depth + 1),
			.lo = i ? k[i] : f->lo, .lolen = i ? kl[i] : f->lolen,
			.hi = i + 1 < n ? k[i + 1] : f->hi,
			.hilen = i + 1 < n ? kl[i + 1] : f->hilen,
		};
		rc = push(w, &c);
	}
	return rc;
}

/*
 * A tree found in a node of F's page: a named database (KIND T_NAMED,
 * NAME its key) or duplicates (T_DUPS), its MDB_db at REC.
 */
static int tree_add(struct walk *w, const struct frame *f, int kind,
		    const uint8_t *rec, uint32_t parent, const uint8_t *name,
		    uint16_t namelen)
{
	struct lm_db db = db_read(rec);
	const struct tree *pt = &w->trees[parent];
	const char *bad = mdbcheck_db_shape(&db, w->last_pg);
	struct tree t = {
		.db = db, .kind = (uint8_t)kind, .parent = parent,
		.name = name, .namelen = namelen,
	};

	if (kind == T_NAMED) {
		if (db.flags & ~DB_FLAGS)
			bad = "flags that LMDB does not know";
		t.cmp = db.flags & DB_REVERSEKEY ? CMP_MEMNR :
			db.flags & DB_INTEGERKEY ? CMP_INT : CMP_MEMN;
		t.dcmp = db.flags & DB_INTEGERDUP ? CMP_INT :
			 db.flags & DB_REVERSEDUP ? CMP_MEMNR : CMP_MEMN;
	} else {
		/* mdb_cursor_put(): DUPFIXED, and INTEGERKEY for INTEGERDUP. */
		uint16_t want = pt->db.flags & DB_DUPFIXED ? DB_DUPFIXED |
				(pt->db.flags & DB_INTEGERDUP ?
				 DB_INTEGERKEY : 0) : 0;
		if (db.flags != want)
			bad = "flags that do not match its parent's";
		if (db.root == P_INVALID)
			bad = "no pages";
		t.cmp = pt->dcmp;
	}
	if (bad)
		return page_bad(w, f, "the record of a %s has %s",
				kind == T_NAMED ? "named database" :
				"sub-database of duplicates", bad);
	if (w->ntrees == w->atrees) {
		size_t na = w->atrees * 2;
		struct tree *nt = realloc(w->trees, na * sizeof(*nt));
		if (!nt)
			return -ENOMEM;
		w->trees = nt;
		w->atrees = na;
	}
	struct frame c = { .pgno = db.root, .tree = (uint32_t)w->ntrees,
			   .depth = 1 };
	w->trees[w->ntrees++] = t;
	return db.root == P_INVALID ? 0 : push(w, &c);
}

/* After the walk: each tree's counts as its record says, every page once. */
static int walk_finish(struct walk *w)
{
	char tn[96];

	for (size_t i = 0; i < w->ntrees; i++) {
		const struct tree *t = &w->trees[i];
		if (t->branch != t->db.branch_pages ||
		    t->leaf != t->db.leaf_pages ||
		    t->overflow != t->db.overflow_pages ||
		    t->entries != t->db.entries)
			return mdbcheck_fail(w->out->why, "%s: %llu branch, %llu "
				       "leaf, %llu overflow pages and %llu "
				       "entries, but its record says %llu, "
				       "%llu, %llu, %llu",
				       tree_name(w, (uint32_t)i, tn, sizeof(tn)),
				       (unsigned long long)t->branch,
				       (unsigned long long)t->leaf,
				       (unsigned long long)t->overflow,
				       (unsigned long long)t->entries,
				       (unsigned long long)t->db.branch_pages,
				       (unsigned long long)t->db.leaf_pages,
				       (unsigned long long)t->db.overflow_pages,
				       (unsigned long long)t->db.entries);
		w->out->entries += t->entries;
	}
	for (uint64_t pg = NUM_METAS; pg <= w->last_pg; pg++) {
		bool u = bit_get(w->used, pg), f = bit_get(w->freed, pg);
		if (u && f)
			return mdbcheck_fail(w->out->why, "page %llu is in use and in "
				       "the free list", (unsigned long long)pg);
		/* Not written, so freed by the commit that took it. */
		if (!f && pg >= w->file_pages)
			return mdbcheck_fail(w->out->why, "page %llu is beyond the "
				       "end of the file (%llu pages) but not "
				       "free", (unsigned long long)pg,
				       (unsigned long long)w->file_pages);
		if (!u && !f)
			w->out->pages_leaked++;
	}
	return 0;
}

static int walk_run(struct walk *w, const struct mdbcheck_meta *m)
{
	uint8_t rec[2][sizeof(struct lm_db)];
	const uint8_t *meta = w->map + (size_t)m->which * m->psize + PAGEHDRSZ;
	int rc = 0;

	/* The two trees of the meta page, as the first two. */
	for (unsigned d = 0; d < 2; d++) {
		memcpy(rec[d], meta + offsetof(struct lm_meta, dbs) +
		       d * sizeof(struct lm_db), sizeof(struct lm_db));
		struct lm_db db = db_read(rec[d]);
		struct tree t = {
			.db = db, .kind = d ? T_MAIN : T_FREE,
			.cmp = d ? (db.flags & DB_REVERSEKEY ? CMP_MEMNR :
				    db.flags & DB_INTEGERKEY ? CMP_INT :
				    CMP_MEMN) : CMP_INT,
			.dcmp = db.flags & DB_INTEGERDUP ? CMP_INT :
				db.flags & DB_REVERSEDUP ? CMP_MEMNR : CMP_MEMN,
		};
		w->trees[w->ntrees++] = t;
	}
	if (rdsz(meta + offsetof(struct lm_meta, txnid)) != m->txnid)
		return MDBCHECK_ECHANGED;    /* the meta page moved on */
	for (unsigned d = 2; d-- > 0;) {
		if (w->trees[d].db.root == P_INVALID)
			continue;
		struct frame f = { .pgno = w->trees[d].db.root, .tree = d,
				   .depth = 1 };
		if ((rc = push(w, &f)))
			return rc;
	}
	while (!rc && w->nstack) {
		struct frame f = w->stack[--w->nstack];
		rc = page_visit(w, &f);
	}
	return rc ? rc : walk_finish(w);
}

int mdbcheck_tree(int fd, const struct mdbcheck_meta *m,
		  struct mdbcheck_tree *out)
{
	struct walk w = { .out = out, .psize = m->psize,
			  .last_pg = m->last_pg, .txnid = m->txnid };
	struct stat st;
	void *map;
	int rc;

	memset(out, 0, sizeof(*out));
	if (fstat(fd, &st))
		return -errno;
	if ((uint64_t)st.st_size < 2ull * m->psize)
		return mdbcheck_fail(out->why, "data file of %llu bytes ends in its "
			       "meta pages", (unsigned long long)st.st_size);
	w.map_len = (uint64_t)st.st_size;
	w.file_pages = w.map_len / m->psize;
	map = mmap(NULL, w.map_len, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		return -errno;
	w.map = map;
	size_t words = (size_t)(m->last_pg / 64 + 1);
	w.used = calloc(words, sizeof(uint64_t));
	w.freed = calloc(words, sizeof(uint64_t));
	/* At most one node per two bytes after the header (mp_ptrs[]). */
	size_t nmax = (m->psize - PAGEHDRSZ) / 2;
	w.span = malloc(nmax * sizeof(*w.span));
	w.k = malloc(nmax * sizeof(*w.k));
	w.sk = malloc(nmax * sizeof(*w.sk));
	w.kl = malloc(nmax * sizeof(*w.kl));
	w.skl = malloc(nmax * sizeof(*w.skl));
	w.atrees = 16;
	w.trees = malloc(w.atrees * sizeof(*w.trees));
	rc = w.used && w.freed && w.span && w.k && w.sk && w.kl && w.skl &&
	     w.trees ? walk_run(&w, m) : -ENOMEM;
	if (rc == MDBCHECK_EDAMAGED) {
		/* A writer that committed twice since M may have reused the
		 * pages of M's transaction: then the verdict is void. */
		struct mdbcheck_meta now;
		if (mdbcheck_meta(fd, &now) == 0 && now.txnid >= m->txnid + 2)
			rc = MDBCHECK_ECHANGED;
	}
	munmap(map, w.map_len);
	free(w.used);
	free(w.freed);
	free(w.span);
	free(w.k);
	free(w.sk);
	free(w.kl);
	free(w.skl);
	free(w.trees);
	free(w.stack);
	return rc;
}
