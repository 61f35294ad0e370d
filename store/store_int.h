/*
 * store_int.h — what the store's own files share; the tools see store.h.
 *
 * Owns the layout of a store and the LMDB layer every part of the store
 * works through (prefix sto_): struct store, the transaction object with
 * its sticky error, guarded LMDB calls, value checks, records by hash, the
 * error translator and the fault guard.  The rooms that use it:
 *
 *   txn.c       errors, the fault guard, transactions, records
 *   open.c      opening and closing, the format record, the default path
 *               (the directory and its files through fsafe.h)
 *   selector.c  what a selector says (pure: no LMDB)
 *   resolve.c   a selector against the store; label entries vs headers
 *   write.c     writing a snapshot: plan, records, lists
 *   read.c      headers, lists, loading, listing, statistics
 *   verify.c    checking snapshots and the store's own tables
 *   chain.c     the hash chain: its head, the tombstones of pruned runs,
 *               the walk that checks it; the store's id
 *   settings.c  the store's settings
 *   nsidx*.c    the namespace index: where each namespace changed
 *   prune.c     removing snapshots and what only they used
 *   copy.c      a compact copy of the store
 *
 * A store is a directory holding one LMDB environment (data.mdb, lock.mdb)
 * with these named databases; every integer in a key is big-endian so that
 * LMDB's byte order is numeric order:
 *
 *   meta     "format"            -> "nsnapsto", u32 format version,
 *                                   byte order ('l'/'b'), word size, 0, 0
 *            "next"              -> u64: no id below it may be given
 *                                   (once the newest snapshot was pruned)
 *            "id"                -> 16 random bytes: the store's id,
 *                                   which signatures made here name
 *                                   (made as the first one is)
 *            "chain"             -> u64 id, 32 link: the chain's head,
 *                                   the link of the newest header written
 *                                   (or pruned: a tombstone holds it)
 *            "chain-from"        -> u64: ids up to it were handed out
 *                                   before the chain began, written with
 *                                   the first head (chain.c)
 *            "tomb" u64 first    -> u64 last, u64 count, u8 has_in, 32
 *                                   in, 32 out: a run of snapshots pruned
 *                                   (chain.c)
 *            "set:" NAME         -> a setting's value, without its NUL
 *                                   (settings.c)
 *   snaps    u64 id              -> header record (codec 'H', checksummed)
 *   lists    u64 id, u8 kind     -> hashes of the list chunks ('L' records)
 *                                   that hold, in graph order, the hashes
 *                                   of the snapshot's namespace ('n'),
 *                                   process ('p') or mount-run ('m') records;
 *                                   kind 'c', empty: the namespace index's
 *                                   context entries cover the snapshot
 *   nsidx    u64 dev, u64 inode, u64 id -> hash of the namespace's record
 *                                   from snapshot id on, written where it
 *                                   appears or changes; 16 zero bytes where
 *                                   it disappears, each relative to the
 *                                   previous snapshot recorded here
 *                                   (imported ones are not indexed)
 *            u64 dev, u64 inode, 'c', u64 id -> the namespace's context
 *                                   digest (its members, pins and what its
 *                                   judgement depends on) from snapshot id
 *                                   on, written where it changes.  One
 *                                   namespace's history is a range scan
 *                                   (nsidx.c)
 *   records  XXH3-128, canonical -> record bytes (content-addressed)
 *   labels   label bytes         -> u64 id (sorted duplicates: every
 *                                   snapshot that carries the label)
 *
 * Lists are cut into chunks where a record hash ends in six zero bits (or
 * at 256 entries): the cut points move with the content, so a process
 * appearing or exiting changes one chunk.  With the change-point namespace
 * index, an unchanged snapshot adds only its header and a few top-level
 * hashes: a handful of LMDB pages.
 *
 * Every record read is hashed and compared with its key; the header's
 * digest (over the snapshot's record hashes in order) catches a damaged
 * list.  Writing a record whose hash is present but whose stored bytes
 * differ repairs the stored copy.  A damaged page of the data file gives an
 * error, never a fault: every key and value LMDB hands back is checked to
 * lie within the file before it is read (sto_val_check()), and LMDB's own
 * reads run under a guard (txn.c, "faults in LMDB").
 */
#ifndef NSNAP_STORE_INT_H
#define NSNAP_STORE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lmdb.h>

#include "codec.h"
#include "store.h"

/*
 * Format 1: what nsnap 0.1 wrote.  Format 2 adds what 0.1 would misread or
 * break: version 2 headers (imported snapshots), and ids with gaps (0.1
 * takes the snapshot before id N to be N - 1, and would give the id of a
 * pruned newest snapshot again).  Format 3 adds version 3 headers, which
 * carry the capture, and version 2 meta records, which do not.  Format 4
 * adds the records of the workload facts (meta version 3, namespace,
 * process and layout records version 2: codec.h).  Format 5 adds version
 * 4 headers, which carry the vantage point.  Format 6 adds version 5
 * headers, which carry the custody block, and in the meta table the
 * store's id, the chain's head and tombstones (chain.c) and the settings
 * (settings.c); every snapshot is written with one.  This nsnap reads all
 * six; a store is raised to the format of what is written into it before
 * it is written (a snapshot, a setting set or unset: 6; a prune: 6, for
 * the tombstone every run it removes leaves, or 2 if it left none), so
 * that an older nsnap refuses it as newer instead of misreading it.  A new
 * store starts at 3.
 */
#define STORE_FORMAT 6          /* version 5 headers: custody */
#define STORE_FORMAT_CAPTURE 3  /* a snapshot without the workload facts */
#define STORE_FORMAT_IDS 2      /* ids with gaps */
#define STORE_MAGIC "nsnapsto"
#define FORMAT_LEN 16

/* Small, so that a store of a quiet machine stays small; doubled on
 * MDB_MAP_FULL.  The ceiling only guards against a runaway loop. */
#define STORE_MAP_INITIAL ((size_t)1 << 20)
#define STORE_MAP_MAX ((size_t)1 << (sizeof(size_t) > 4 ? 40 : 30))

struct fsafe_dir;

enum list_kind { LIST_NS = 'n', LIST_PROC = 'p', LIST_MOUNTS = 'm' };

/* The three lists of a snapshot, in the order of its digest. */
extern const uint8_t sto_list_kinds[3];

struct store {
	MDB_env *env;
	MDB_dbi meta, snaps, lists, nsidx, records, labels;
	bool rdonly;
	/* Transactions open in this process: the map may only be moved
	 * (resized) when there are none. */
	unsigned active;
	/* The map and how much of it the data file backs: where a value
	 * read may lie (see sto_val_check()).  0: unknown, nothing checked.
	 * map_stale: LMDB may have moved the map since it was looked up. */
	uintptr_t map;
	size_t map_size, file_size;
	bool map_stale;
	bool guarded;       /* counted by sto_fault_use() */
	/* The directory, checked and pinned (fsafe.h): LMDB opens it as
	 * "/proc/self/fd/N"; a private copy for STORE_FOREIGN. */
	struct fsafe_dir *dir;
	/*
	 * A write transaction faulted inside LMDB.  LMDB may have been left
	 * mid-operation (a cursor of its own stack still linked into the
	 * transaction, pages half copied), so nothing of it is touched again:
	 * the transaction is not aborted, the environment not closed, every
	 * later call fails.  The process exits soon after, which releases the
	 * writer lock (LMDB's mutexes are robust) and the memory.
	 */
	bool poisoned;
	/* The highest id the seal (nsnap.seal) says was handed out: none
	 * below it is given again, even after the data file lost it. */
	uint64_t seal_last;
	/* The data file held nothing when opened: it may become a store. */
	bool may_init;
	bool tree_checked;  /* every page was, when it was opened */
	struct custody_key *signer;   /* store_set_signer(); NULL: none */
};

/* ---- errors (txn.c) ----------------------------------------------------- */

/* STORE_ECORRUPT, with "corrupt store: " and FMT as store_strerror()'s
 * text for it in this thread. */
__attribute__((format(printf, 1, 2)))
int sto_corrupt(const char *fmt, ...);
/* STORE_ECORRUPT about record H: "record <hex> HOW"; remembered as the
 * record at fault (sto_corrupt_which()). */
int sto_corrupt_record(const uint8_t *h, const char *how);
/* Forget the last complaint: one that did not fail the operation must not
 * be what store_strerror() says later. */
void sto_corrupt_clear(void);
/* Whether the last STORE_ECORRUPT was about one record, and which. */
bool sto_corrupt_which(uint8_t h[CODEC_HASH_LEN]);
/* LMDB's answer in this module's terms: system errors become -errno,
 * LMDB's own codes stay (store_strerror() knows them). */
int sto_mdb_err(int rc);

/* STORE_ENOTSTORE or STORE_EROLLBACK with FMT as store_strerror()'s text
 * for it in this thread (after "not an nsnap store: " for the first). */
__attribute__((format(printf, 2, 3)))
int sto_refuse(int code, const char *fmt, ...);
/* What a check of mdbcheck.h returned, as the store's error: RC with
 * WHY, its reason, about FILE ("data.mdb"); other codes as they are. */
int sto_check_err(int rc, const char *file, const char *why);

struct mdbcheck_meta;
struct mdbcheck_tree;

/* The data file DATA_FD of the store in DIRFD against its seal, meta
 * pages into M (mdbcheck_seal_check()); *LAST_ID (may be NULL) the
 * sealed last id, 0 without a seal.  0 or the store's error. */
int sto_seal_check(int dirfd, int data_fd, struct mdbcheck_meta *m,
		   uint64_t *last_id);

/* Every page of the data file FD of the store in DIRFD, from meta M
 * (read again when a writer changed it meanwhile): 0 or the store's
 * error (open.c). */
int sto_tree_check(int dirfd, int fd, struct mdbcheck_meta *m);
/* The same for the open store S, unless its open did it. */
int sto_store_tree_check(struct store *s);

/* flock() HOW on the store's directory: LOCK_EX is held by every write
 * from before LMDB's writer lock until its seal is written, so LOCK_SH
 * keeps the data file and the seal still while they are checked.  0 or
 * -errno. */
int sto_dir_lock(const struct store *s, int how);

/* ---- the fault guard (txn.c) -------------------------------------------- */

/* While any store is open, SIGSEGV and SIGBUS go through the guard. */
void sto_fault_use(void);
void sto_fault_unuse(void);

/* LMDB calls under the guard: a fault inside one gives STORE_ECORRUPT. */
int sto_lm_del(MDB_txn *txn, MDB_dbi dbi, MDB_val *k, MDB_val *v);
int sto_lm_cursor_get(MDB_cursor *c, MDB_val *k, MDB_val *v, MDB_cursor_op op);
int sto_lm_dbi_open(MDB_txn *txn, const char *name, unsigned flags,
		    MDB_dbi *dbi);
int sto_lm_stat(MDB_txn *txn, MDB_dbi dbi, MDB_stat *st);
int sto_lm_copyfd(MDB_env *env, int fd, unsigned flags);
/* With LMDB's assertions under the guard as well (mdb_env_set_assert()). */
int sto_lm_env_open(MDB_env *env, const char *path, unsigned flags);
int sto_lm_reader_check(MDB_env *env, int *dead);
void sto_lm_env_close(MDB_env *env);
/* mdbcheck_tree() under the guard. */
int sto_check_tree(int fd, const struct mdbcheck_meta *m,
		   struct mdbcheck_tree *t);

/* ---- transactions with a sticky error (txn.c) --------------------------- */

struct sto_txn {
	struct store *s;
	MDB_txn *txn;
	bool write;
	bool locked;       /* holds the store's writer lock (write only) */
	uint64_t last_id;  /* the id this write handed out, for the seal */
	int ret;    /* first failure: -errno, LMDB code or STORE_E* */
	uint64_t size_before;   /* write: the data file's size at begin */
};

int sto_txn_begin(struct store *s, struct sto_txn *t, bool write);
/* Ends T without committing; harmless on an ended one. */
void sto_txn_abort(struct sto_txn *t);
/* Commits unless T failed; either way T is over.  T's error or 0. */
int sto_txn_commit(struct sto_txn *t);
/* Make ERR T's error unless it has one. */
void sto_txn_fail(struct sto_txn *t, int err);

/* Whether value (or key) V lies within the part of the map the data file
 * backs: 0 or STORE_ECORRUPT (not sticky). */
int sto_val_check(const struct sto_txn *t, const MDB_val *v);

/* Put and delete, nothing once T failed; a failure becomes sticky
 * (a deletion of what is not there is none). */
void sto_txn_put(struct sto_txn *t, MDB_dbi dbi, const void *k, size_t klen,
		 const void *v, size_t vlen, unsigned flags);
void sto_txn_del(struct sto_txn *t, MDB_dbi dbi, const void *k, size_t klen);
/* 0, MDB_NOTFOUND, STORE_ECORRUPT for a value outside the file (not
 * sticky: the caller decides what it costs), or the translated error
 * (made sticky). */
int sto_txn_get(struct sto_txn *t, MDB_dbi dbi, const void *k, size_t klen,
		MDB_val *val);
/* A cursor on DBI; T's error (sticky) when none could be opened. */
int sto_cursor_open(struct sto_txn *t, MDB_dbi dbi, MDB_cursor **c);

/* Double the map, when no transaction of this process is open. */
int sto_grow_map(struct store *s);

/* ---- records (txn.c) ---------------------------------------------------- */

/* Store a record under its hash; *added grows by the bytes written. */
void sto_rec_put(struct sto_txn *t, const struct codec_hash *h,
		 const struct codec_rec *r, uint64_t *added);
/* The record named H, checked against H.  Points into the map: valid
 * until the transaction ends. */
int sto_rec_get(struct sto_txn *t, const uint8_t *h, struct codec_rec *r);

/* ---- the format record (open.c) ----------------------------------------- */

/* In a write transaction: make the store's format record say VERSION, if
 * it says less, before writing what readers of that would misread. */
void sto_format_raise(struct sto_txn *t, uint32_t version);

/* ---- snapshots (read.c, write.c) ---------------------------------------- */

/* The id of the newest snapshot into *id, 0 when there is none: 0 or the
 * error (not sticky). */
int sto_newest_id(struct sto_txn *t, uint64_t *id);
/* The id of a header found by cursor (KEY must be 8 bytes). */
int sto_key_id(const struct sto_txn *t, const MDB_val *key, uint64_t *id);
/* Header VAL of snapshot ID: STORE_ECORRUPT when it does not decode. */
int sto_header_decode(const struct sto_txn *t, uint64_t id, const MDB_val *val,
		      struct codec_header *h);
/* The stored header of snapshot ID, not decoded: 0, STORE_ENOSNAP, or
 * sto_txn_get()'s error. */
int sto_header_val(struct sto_txn *t, uint64_t id, MDB_val *val);
/* The header of snapshot ID, or STORE_ENOSNAP. */
int sto_get_header(struct sto_txn *t, uint64_t id, struct codec_header *h);
/* The record hashes of list KIND of snapshot ID, in order; *out malloc'd. */
int sto_list_hashes(struct sto_txn *t, uint64_t id, uint8_t kind,
		    struct codec_hash **out, size_t *count);
/*
 * Snapshot ID as store_load() reads it, in T: its header, and its records
 * each checked against its hash, their hashes against the header's digest.
 * SNAP's arrays are malloc'd (sto_snap_free()), its records point into the
 * map.
 */
int sto_snap_read(struct sto_txn *t, uint64_t id, struct codec_header *h,
		  struct codec_snapshot *snap);
/* Decode what sto_snap_read() gave: STORE_ECORRUPT when the records, each
 * whole, do not make a graph. */
int sto_snap_decode(uint64_t id, const struct codec_snapshot *snap,
		    struct graph **out);
void sto_snap_free(struct codec_snapshot *snap);
/* CB for every entry of the snapshot table in id order, damaged headers
 * included, in one read transaction; a non-zero return from CB stops the
 * walk and is returned. */
typedef int sto_walk_fn(struct sto_txn *t, const MDB_val *key,
			const MDB_val *val, void *ctx);
int sto_snaps_walk(struct store *s, sto_walk_fn *cb, void *ctx);
/* The id the next snapshot gets: past LAST, the newest, and past any id
 * given before and pruned since (meta "next"). */
uint64_t sto_next_id(struct sto_txn *t, uint64_t last);

/* ---- the hash chain (chain.c) ------------------------------------------- */

/* The link the next header's prev is: the head, else the newest header's
 * (a store of headers older than the chain); *has false when the store
 * holds no snapshot and never did.  0 or the error (sticky). */
int sto_chain_head(struct sto_txn *t, bool *has,
		   uint8_t link[CUSTODY_DIGEST_LEN]);
/* The store's id (meta "id") into ID: 1, 0 when it has none (MAKE, in a
 * write: made now, 1), or the error.  A malformed one counts as none. */
int sto_store_id(struct sto_txn *t, uint8_t id[CUSTODY_STORE_ID_LEN],
		 bool make);
/* Before the first head is written (a store written before the chain, or
 * a new one): ids up to FROM were handed out before the chain began (meta
 * "chain-from"), and the seal's last id holds only past them. */
void sto_chain_begin(struct sto_txn *t, uint64_t from);
/* The head is now header HDR (N bytes) of snapshot ID. */
void sto_chain_set_head(struct sto_txn *t, uint64_t id, const void *hdr,
			size_t n);
/* The same with the header's link LINK. */
void sto_chain_set_link(struct sto_txn *t, uint64_t id,
			const uint8_t link[CUSTODY_DIGEST_LEN]);

/* A run of pruned snapshots: ids FIRST to LAST, COUNT of them; IN the
 * prev of the first (when it had one), OUT the link of the last. */
struct sto_tomb {
	uint64_t first, last, count;
	bool has_in;
	uint8_t in[CUSTODY_DIGEST_LEN], out[CUSTODY_DIGEST_LEN];
};
/* Leave the tombstone of run TOMB (chain.c: merged with its
 * neighbours, absorbing those within it). */
void sto_chain_bury(struct sto_txn *t, const struct sto_tomb *tomb);

/* ---- capture order and labels (resolve.c) ------------------------------- */

/* A snapshot's place in capture order: by start_ns, then id. */
struct sto_when {
	int64_t start_ns;
	uint64_t id;
};
int sto_when_cmp(const void *a, const void *b);
/* Every snapshot whose header decodes, in capture order (*out malloc'd,
 * *n of them; *bad the error of one that does not, else 0). */
int sto_capture_order(struct store *s, struct sto_when **out, size_t *n,
		      int *bad);


/* The id a label table entry's value VAL names: 0 or STORE_ECORRUPT. */
int sto_label_id(const struct sto_txn *t, const MDB_val *val, uint64_t *id);
/* Whether the entry LABEL (LEN bytes) -> ID agrees with snapshot ID's
 * header H (NULL: there is no such snapshot): 0, or STORE_ECORRUPT saying
 * how it does not. */
int sto_label_agrees(const struct codec_header *h, uint64_t id,
		     const void *label, size_t len);

/* ---- the namespace index (nsidx*.c) ------------------------------------- */

/* A snapshot being written, as the index needs it. */
struct sto_nsidx_snap {
	const struct graph *g;
	const struct codec_hash *ns_h;      /* its namespace records' hashes */
	const struct codec_hash *ns_sorted; /* the same, sorted */
};

/* In the write transaction of snapshot ID, before its header is written:
 * its entries (none when imported) and the run. */
void sto_nsidx_put(struct sto_txn *t, const struct sto_nsidx_snap *sn,
		   uint64_t id, bool imported);

/* What a prune leaves, all sorted: */
struct sto_nsidx_keep {
	const uint64_t *kept;   /* the remaining snapshots in the index */
	size_t nkept;
	const uint64_t *gone;   /* the removed ones */
	size_t ngone;
};

/* In the prune's transaction: the entries rewritten so that every
 * remaining snapshot reads as before; *removed grows by the entries that
 * go. */
int sto_nsidx_prune(struct sto_txn *t, const struct sto_nsidx_keep *k,
		    uint64_t *removed);

/* The context digest (nsidx_ctx.c) of namespace ONLY of G into out[ONLY],
 * or with GRAPH_NONE of every namespace into out[0..nns); NS_H: the hashes
 * of G's namespace records.  0, STORE_EGRAPH, -ENOMEM. */
int sto_nsidx_contexts(const struct graph *g, const struct codec_hash *ns_h,
		       uint32_t only, struct codec_hash *out);

/* For verify, in T: does the index agree with snapshot ID (header H, read
 * as SNAP, decoded as G)?  For the newest snapshot every entry is checked
 * too.  0, STORE_ECORRUPT naming the first disagreement, or an error. */
int sto_nsidx_check(struct sto_txn *t, uint64_t id, const struct codec_header *h,
		    const struct codec_snapshot *snap, const struct graph *g);

#endif
