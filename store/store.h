/*
 * store.h — the snapshot store: graphs kept in LMDB.
 *
 * Owns the store directory and everything in it; no other code touches
 * LMDB.  A snapshot is written in one transaction (all or nothing), its
 * records are content-addressed by XXH3-128 so an unchanged namespace or
 * process costs nothing the second time, and every record is checked
 * against its hash when read back.
 *
 * Functions return 0 or a negative code: -errno, an LMDB code, one of
 * the STORE_E* below, or (opening a store or a copy's destination) one of
 * fsafe.h's FSAFE_E*; store_strerror() says what any of them means.
 * A struct store is for one thread at a time, and must not cross a fork().
 *
 * A damaged data file gives STORE_ECORRUPT, never a crash.  LMDB trusts
 * its pages, so while a store is open SIGSEGV and SIGBUS go through a
 * handler of this module: a fault inside an LMDB call becomes an error of
 * that call, any other fault goes on to the handler that was there before.
 *
 * Behind this face (store_int.h is what its files share): txn.c (errors,
 * the fault guard, transactions, records), open.c, selector.c (selectors
 * without a store) and resolve.c, write.c, read.c, verify.c, chain.c (the
 * hash chain), settings.c, prune.c, copy.c, nsidx*.c (the namespace
 * index); codec*.c lay out the bytes, custody.c digests and signs them,
 * export.c the interchange format.
 */
#ifndef NSNAP_STORE_H
#define NSNAP_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "custody.h"
#include "graph.h"

/* Below LMDB's own codes (-30799..-30780) and far from any errno. */
enum {
	STORE_ENOTSTORE = -32000, /* not an nsnap store */
	STORE_ENEWER,             /* written by a newer format version */
	STORE_EFOREIGN,           /* another byte order or word size */
	STORE_ECORRUPT,           /* a record or header fails its check */
	STORE_ENOSNAP,            /* no snapshot with that id / at that time */
	STORE_EEMPTY,             /* the store holds no snapshot */
	STORE_ESELECTOR,          /* selector matches no form and no label */
	STORE_ELABEL,             /* label not acceptable */
	STORE_ERDONLY,            /* store opened read-only */
	STORE_EGRAPH,             /* graph inconsistent, cannot be stored */
	STORE_EMAPMAX,            /* the map cannot grow any further */
	STORE_ETIME,              /* a time outside what a snapshot can hold */
	STORE_EROLLBACK,          /* data.mdb is older than its last write */
	STORE_EEXIST,             /* the snapshot is in the store already */
	STORE_ESIG,               /* a signature does not match its content */
	STORE_EPLACE,             /* signed in this store: not to be imported */
};

/* Human text for any code this module returns (and for -errno).  For
 * STORE_ECORRUPT and STORE_EROLLBACK it names what failed (and for
 * STORE_ENOTSTORE at times why), for FSAFE_E* the file refused, as last
 * seen by this thread. */
const char *store_strerror(int err);

#define STORE_RDONLY 0x1u
#define STORE_CREATE 0x2u  /* create the directory and the store if absent */
#define STORE_FOREIGN 0x4u /* with STORE_RDONLY: read a private copy of a
			      store another user controls (fsafe.h) */

/* Where a store lives by default: $NSNAP_STORE (as it is, of any length),
 * else /var/lib/nsnap for root, else $XDG_STATE_HOME/nsnap, else
 * ~/.local/state/nsnap.  Returns a static buffer overwritten by the next
 * call; NULL when no home is known. */
const char *store_default_path(void);

struct store;

/*
 * Open the store in directory PATH.  Without STORE_CREATE the directory
 * must hold a store (-ENOENT, -ENOTDIR, STORE_ENOTSTORE otherwise).  With
 * it, missing directories are made 0700 and store files 0600, whatever the
 * umask, and an existing directory must be empty or a store.  An existing
 * LMDB environment that is not an nsnap store is never written to.  The
 * directory and its files must be the caller's (the rules in fsafe.h):
 * otherwise one of fsafe.h's FSAFE_E* codes, whose text names the file,
 * its owner and mode.  With STORE_FOREIGN (and STORE_RDONLY; -EINVAL
 * without) the store is read from a private copy of its data file that
 * store_close() removes, and may be anyone's.
 */
int store_open(const char *path, unsigned flags, struct store **out);
void store_close(struct store *s);

#define STORE_LABEL_MAX 255

/*
 * Whether LABEL may name a snapshot: 1 to STORE_LABEL_MAX bytes, no
 * control characters, and not readable as another selector (a number,
 * "latest", "latest~N", a time).  A time is anything of its shape, of any
 * year, also one out of range or a day that does not exist
 * ("9999-12-31T23:59", "2024-02-30T00:00Z"): people would read it as a
 * time.  0 or STORE_ELABEL.
 */
int store_label_check(const char *label);

/* Store G as a new snapshot (LABEL may be NULL); *id_out its id (ids
 * start at 1 and increase, and are never given twice, also after the
 * newest snapshot was pruned).  Grows the map as needed. */
int store_put(struct store *s, const struct graph *g, const char *label,
	      uint64_t *id_out);

/*
 * Store G, exported from another store where its id was ORIGINAL_ID (0: a
 * graph that never was in a store), as a new snapshot here.  The graph
 * keeps its capture times, host and boot id; the header remembers that it
 * was imported, and ORIGINAL_ID.  An imported snapshot stays out of the
 * namespace index (see store_ns_history()): its namespaces belong to
 * another machine or another time, and their (dev, inode) numbers would be
 * taken for this machine's: a history loads an imported snapshot whole.
 * A snapshot the store holds already (the same content digest: the same
 * records, capture, vantage point and label; for a header older than
 * content digests, the same XXH3 digest and label) is not stored twice:
 * STORE_EEXIST, with *id_out the id it has.  An imported snapshot is never
 * signed here (store_set_signer()): it joins the chain unsigned.
 */
int store_put_imported(struct store *s, const struct graph *g,
		       const char *label, uint64_t original_id,
		       uint64_t *id_out);

/*
 * store_put_imported() of a document that says how it was kept (CLAIM;
 * NULL: it says nothing): a signature it carries is kept with the snapshot
 * after checking it against the content computed here (STORE_ESIG when it
 * does not match: nothing is written).  CLAIM's content digest is not
 * used.  One signed in this store, by its id (or in a copy of it), is
 * refused with STORE_EPLACE: its signature vouches for a place in this
 * store's chain it would not stand at.  Duplicates are found first, as
 * for store_put_imported(): STORE_EEXIST before any signature is checked.
 * The snapshot joins this store's chain whatever its place in the chain it
 * came from.
 */
int store_put_evidence(struct store *s, const struct graph *g,
		       const char *label, uint64_t original_id,
		       const struct custody_block *claim, uint64_t *id_out);

/* From now on, sign every snapshot store_put() writes with K (copied;
 * NULL: sign none).  0, -EINVAL (K has no secret), -ENOMEM. */
int store_set_signer(struct store *s, const struct custody_key *k);

/*
 * The store's settings (meta "set:NAME"): NAME is one of "sign-key" (the
 * secret key file every snapshot recorded is signed with; the store keeps
 * the name only, the tool loads it).  Get: 0 and VALUE (a NUL-terminated
 * copy, cut to SIZE), -ENOENT when unset, STORE_ECORRUPT when malformed.
 * Set: VALUE NULL unsets; raises the store to format 6 either way, and a
 * store opened read-only gives STORE_ERDONLY.  -EINVAL for another NAME,
 * or an empty value or one over 4000 bytes.
 */
int store_setting_get(struct store *s, const char *name, char *value,
		      size_t size);
int store_setting_set(struct store *s, const char *name, const char *value);

/* What a selector says, before it meets a store. */
enum store_sel_kind {
	STORE_SEL_ID,       /* a decimal id: n */
	STORE_SEL_LATEST,   /* "latest" (n 0) or "latest~N" (n N) */
	STORE_SEL_TIME,     /* a time: start_ns, span_ns */
	STORE_SEL_LABEL,    /* anything else: label */
};

struct store_sel {
	enum store_sel_kind kind;
	uint64_t n;
	int64_t start_ns;   /* the first nanosecond of the minute (or second) */
	int64_t span_ns;    /* its length: start_ns + (span_ns - 1) is
			       its last nanosecond, never past INT64_MAX */
	const char *label;  /* the selector itself */
};

/*
 * Read SELECTOR without a store: 0 and *out; STORE_ESELECTOR for NULL, ""
 * or a label no snapshot can carry (over STORE_LABEL_MAX bytes);
 * STORE_ENOSNAP for an id or N past 2^64 - 1; STORE_ETIME for a time
 * outside the range of capture times (see store_parse_time()).  What has
 * the shape of a time but is none (February 30, 24:00, a year not of four
 * digits) reads as a label, which no snapshot made now can carry.
 */
int store_sel_parse(const char *selector, struct store_sel *out);

/*
 * Selector -> snapshot id.  Forms: a decimal id; "latest"; "latest~N"
 * (N snapshots before the latest); YYYY-MM-DDTHH:MM[:SS] local time, or
 * with a trailing Z for UTC: the latest snapshot whose capture began
 * within or before that minute (or second); else a label: the newest
 * snapshot carrying it (the last one given it), checked against that
 * snapshot's header (STORE_ECORRUPT when the label table says another).
 * "Latest" is capture order (store_list_ordered()), not id order: ids
 * tell the order snapshots arrived in, and an import brings an old one.
 */
int store_resolve(struct store *s, const char *selector, uint64_t *id_out);

/* Rebuild snapshot ID: a graph equal to the one stored, field for field,
 * arrays in the same order.  Free with graph_free(). */
int store_load(struct store *s, uint64_t id, struct graph **out);

/* What 'list' shows without loading the snapshot.  Strings are empty when
 * absent and cut to fit (the graph keeps them whole). */
struct store_header {
	uint64_t id;
	int64_t start_ns, end_ns;        /* CLOCK_REALTIME */
	char label[STORE_LABEL_MAX + 1]; /* "" when none */
	char host[256];
	char boot_id[64];
	char kernel[256];
	uint64_t nns, nprocs, nthreads, nfds, nmounts, npins, ngaps;
	/* Processes and threads with a gap, each once (ngaps counts every
	 * link refused); ngaps when its meta record cannot be read. */
	uint64_t ngapped;
	uint64_t size;    /* bytes of its records, as if stored alone */
	uint64_t added;   /* bytes of records it added to the store */
	bool imported;        /* from an export, not recorded here */
	uint64_t original_id; /* imported: its id in the store it came from
				 (0: it never was in one); else 0 */
	uint8_t digest[16]; /* XXH3-128 over its record hashes, in order */
	/* Where the capture stood (known false when the snapshot does not
	 * say).  vantage.version is NULL (a header is copied around): the
	 * version is vp_version, "" when none. */
	struct graph_vantage vantage;
	char vp_version[64];
	/* The custody block: chained false for headers written before it
	 * (version 4 and older), which carry none (custody is then all
	 * zero). */
	bool chained;
	struct custody_block custody;
};

int store_header(struct store *s, uint64_t id, struct store_header *out);

/*
 * CB for every snapshot in id order; a non-zero return from CB stops the
 * walk and is returned.  A header that fails its checksum is skipped and
 * STORE_ECORRUPT returned at the end.  CB may call store_header(),
 * store_load() and store_resolve(), not store_put().
 */
int store_list(struct store *s, int (*cb)(const struct store_header *, void *),
	       void *ctx);

/*
 * As store_list(), in capture order: by the time the capture began
 * (start_ns), snapshots captured in the same nanosecond by id.  This is
 * the order of timelines, histories, "latest" and time selectors.
 */
int store_list_ordered(struct store *s,
		       int (*cb)(const struct store_header *, void *), void *ctx);

/* ---- one namespace across the store (the namespace index) ----------------- */

/*
 * One namespace's record history, one range scan of the namespace index:
 * CB(id, hash) in id order for each snapshot where the namespace appeared
 * or its record changed (HASH: its record from then on), and CB(id, NULL)
 * where it was gone.  Snapshots in between hold it unchanged.  Only
 * snapshots recorded in this store take part; "in between" and "changed"
 * are relative to the previous one of those that still exists.  Every
 * entry is checked against the snapshots it names before CB hears of any:
 * STORE_ECORRUPT, naming the entry, when one names no snapshot here, a
 * record that snapshot does not hold, or a change where there was none.
 */
int store_ns_history(struct store *s, struct ns_key key,
		     int (*cb)(uint64_t id, const uint8_t hash[16], void *),
		     void *ctx);

/*
 * CB for each namespace the index knows by a record, once per record (a
 * namespace with several lives may come more than once): with INO, only
 * those of that inode (one seek per device); NULL: all.  NS holds what
 * names the namespace (key, type, flags, creator, kernel ID; no links or
 * maps).  CB must not call the store; a non-zero return stops the walk and
 * is returned.
 */
int store_ns_keys(struct store *s, const uint64_t *ino,
		  int (*cb)(const struct graph_ns *ns, void *ctx), void *ctx);

/* What the index says of one namespace in one snapshot. */
struct store_ns_point {
	uint64_t id;
	int64_t start_ns;
	char boot_id[64];
	bool imported;
	/* The index tells the namespace's state here: the snapshot was
	 * recorded here with its context entries (who is in the namespace,
	 * what pins it, what it hangs on); imported snapshots and those an
	 * older nsnap recorded are not.  Unknown: load it. */
	bool known;
	bool present;          /* known: the namespace is in it */
	uint8_t rec[16], ctx[16];   /* known and present: the index's word */
};

/*
 * For every snapshot whose header reads, in capture order
 * (store_list_ordered()), what the index says of namespace KEY (NULL: one no snapshot recorded here holds) into *out
 * (malloc'd, *n of them).  The entries read are checked as
 * store_ns_history() checks them, and context entries for covering their
 * snapshot and for changing where they are: STORE_ECORRUPT names the first
 * that is not right.  A history loads only the snapshots where the
 * state is not store_ns_same() as the one before (and those before them),
 * with store_ns_load().
 */
int store_ns_changes(struct store *s, const struct ns_key *key,
		     struct store_ns_point **out, size_t *n);

/* Are A and B known to hold the namespace alike (same boot; both without
 * it, or both with the same record and context)? */
bool store_ns_same(const struct store_ns_point *a, const struct store_ns_point *b);

/*
 * store_load() of P's snapshot, also checking the index's word there
 * against it when P is known: STORE_ECORRUPT, naming the entry, when the
 * namespace KEY (NULL as for store_ns_changes()) is not there as P says.
 */
int store_ns_load(struct store *s, const struct store_ns_point *p,
		  const struct ns_key *key, struct graph **out);

/*
 * The three above as a history wants them: CB for every snapshot whose
 * header reads, in capture order, with G the snapshot's graph where a history
 * needs it and NULL elsewhere, and UNCHANGED when it holds the namespace
 * as the one before does, or both lack it (so that a history need not
 * compare them; see diff_history_add()).  A graph is loaded for every snapshot that is not
 * unchanged, for the one before such a snapshot when the namespace may be
 * in it, and for the last, so that every run the index calls unchanged
 * ends in a snapshot checked against it; each graph stays valid until CB
 * has been given the next one.
 * A non-zero return from CB stops the walk and is returned; a snapshot
 * that does not load, or an index that disagrees with it, ends the walk
 * with that error (STORE_ECORRUPT names what).
 */
typedef int store_ns_walk_fn(const struct store_ns_point *p,
			     const struct graph *g, bool unchanged, void *ctx);
int store_ns_walk(struct store *s, const struct ns_key *key,
		  store_ns_walk_fn *cb, void *ctx);

/*
 * The snapshots where, by the namespace index, nothing a comparison
 * without threads looks at changed: *out (malloc'd, *n of them, in id
 * order) each quiet snapshot ID with PREV, the snapshot recorded here
 * before it, which holds every namespace alike (the same record, members,
 * pins and surroundings; nsidx_quiet.c says why that is enough).  A
 * comparison of PREV and ID under diff_opts without search_tasks finds no
 * change, but for host and boot, which the caller compares from the
 * headers.  Only snapshots recorded here by an nsnap that writes context
 * entries can be quiet.  The index is trusted as it stands (verify checks
 * it).
 */
struct store_quiet {
	uint64_t id, prev;
};
int store_quiet(struct store *s, struct store_quiet **out, size_t *n);

struct store_stat {
	uint64_t map_size;     /* current LMDB map */
	uint64_t used;         /* bytes of pages in use */
	uint64_t page_size;
	uint64_t snapshots;
	uint64_t records;      /* distinct records */
};

int store_stat(struct store *s, struct store_stat *out);

/*
 * Parse a time as selectors spell it, YYYY-MM-DDTHH:MM[:SS][Z], into the
 * first nanosecond of that minute (or second).  Capture times are int64
 * nanoseconds since the epoch, 1677-09-21T00:12:43.145224192Z to
 * 2262-04-11T23:47:16.854775807Z: a minute or second can be named when its
 * first nanosecond is in that range (from 1677-09-21T00:13Z and
 * 1677-09-21T00:12:44Z to 2262-04-11T23:47Z and 2262-04-11T23:47:16Z), in
 * local time too.  0, STORE_ETIME outside the range, or STORE_ESELECTOR
 * for anything that is not such a time.
 */
int store_parse_time(const char *text, int64_t *ns);

/* Told how far a long operation got: DONE of TOTAL units of WHAT (a
 * plural noun, e.g. "snapshots").  May be NULL. */
typedef void store_progress_fn(const char *what, uint64_t done,
			       uint64_t total, void *ctx);

/* ---- integrity ---------------------------------------------------------- */

/* What store_verify() found about one snapshot, or (id 0) about the
 * store's own tables. */
struct store_check {
	uint64_t id;        /* 0: not a snapshot but a table; WHAT says which
			       and how (err STORE_ECORRUPT) */
	int err;            /* 0: whole; else why not (STORE_ECORRUPT or an
			       LMDB code saying a page is damaged) */
	const char *what;   /* NULL when whole, else the fault in words
			       (valid during the callback) */
	bool has_record;    /* the fault is that one record: */
	uint8_t record[16]; /* missing, not matching its hash, malformed */
};

/*
 * Check snapshot ID, or every snapshot when ID is 0, the way store_load()
 * would read it and more: header checksum, lists and their chunks, every
 * record re-hashed, the header's digest, and the records decoded into a
 * graph.  And the store's own tables: the snapshot table walked to its end
 * and its walk counted against its count (mdb_stat; with ID 0), every
 * label entry (naming ID, when not 0) against the header of the snapshot it
 * names, every labelled snapshot's entry, the format and next-id records.
 * CB (may be NULL) is told about every snapshot checked, whole or not, in
 * id order, and about each table fault (id 0: "the snapshot table cannot be
 * read: ...", "label 'x': the label table names snapshot 3, whose header
 * carries another label"); a non-zero return stops the walk and is
 * returned.  PROGRESS (may be NULL) counts snapshots; both get CTX.
 * Each snapshot's header copies (host, kernel, boot id, counts) are held
 * to its records, its content digest recomputed and its signature, when
 * it has one, checked; with ID 0 the hash chain is walked too
 * (store_chain_check()), each break told as a table fault.
 *
 * Returns 0 only when every snapshot the store counts was found and
 * checked, every one is whole and the tables agree; STORE_ECORRUPT when a
 * snapshot or a table is damaged (each told to CB; *ndamaged counts the
 * damaged snapshots when not NULL), STORE_ENOSNAP for an ID that does not
 * exist, or another code when the check itself could not go on (I/O,
 * memory).  Each snapshot is read in its own transaction so that a page
 * LMDB finds damaged costs only the snapshots on it.  A snapshot is also
 * damaged when the namespace index disagrees with it, and with the newest
 * snapshot every entry of the index is checked.
 */
int store_verify(struct store *s, uint64_t id,
		 int (*cb)(const struct store_check *c, void *ctx), void *ctx,
		 store_progress_fn *progress, uint64_t *ndamaged);

/* Snapshots signed in one other store, as store_chain_check() met them:
 * how many, and the lowest and highest id they had there. */
struct store_chain_origin {
	uint8_t store[CUSTODY_STORE_ID_LEN];
	uint64_t n, lo, hi;     /* distinct ids of that store */
	uint64_t again;         /* snapshots at an id there met before:
				   beyond the first of each id */
};
#define STORE_CHAIN_ORIGINS 64

/* What store_chain_check() found. */
struct store_chain {
	bool walked;            /* the walk was made: the rest is its word */
	bool has_id;            /* the store's id (meta "id"), when it has one */
	uint8_t store_id[CUSTODY_STORE_ID_LEN];
	uint64_t linked;        /* headers with a link (version 5 on) */
	uint64_t first_linked;  /* the first of them; 0: none */
	uint64_t before;        /* headers older than the chain */
	uint64_t unreadable;    /* headers that do not decode (verify says) */
	uint64_t is_signed;     /* linked headers with a signature */
	uint64_t signed_elsewhere;  /* of those, signed in another store:
				       their place vouched for there */
	/* Those, by the store that signed them (the first
	 * STORE_CHAIN_ORIGINS stores met; more_origins: there were more):
	 * ids of one store missing between its lowest and highest show
	 * what of it was left out, or taken out. */
	struct store_chain_origin origins[STORE_CHAIN_ORIGINS];
	size_t norigins;
	bool more_origins;
	uint64_t tombs;         /* pruned runs */
	uint64_t pruned;        /* snapshots in them */
	uint64_t breaks;        /* 0: the chain is whole */
	uint64_t first_break;   /* the id it first breaks at (0: a break
				   not at a snapshot: the head, a malformed
				   tombstone) */
};

/*
 * Walk the hash chain in id order, across the tombstones of pruned runs,
 * to the chain's head and the seal's last id (chain.c says what each
 * catches).  CB (may be NULL) hears of every break with the id it is at
 * and WHAT in words; a non-zero return stops the walk and is returned.
 * 0 when the walk could be made (SUM says what it found), else the error.
 */
typedef int store_chain_fn(uint64_t id, const char *what, void *ctx);
int store_chain_check(struct store *s, store_chain_fn *cb, void *ctx,
		      struct store_chain *sum);

/*
 * store_verify() that also requires every snapshot to be signed by KEY
 * (NULL: only that every signature there is sound, as store_verify()
 * does): one that is not, a header older than signatures included, or
 * whose signature fails, is damaged.  With ID 0 and CHAIN not NULL,
 * *CHAIN is what the walk of the chain found (else it is zeroed).
 */
int store_verify_signed(struct store *s, uint64_t id,
			const struct custody_key *key, struct store_chain *chain,
			int (*cb)(const struct store_check *c, void *ctx),
			void *ctx, store_progress_fn *progress,
			uint64_t *ndamaged);

/* ---- retention ---------------------------------------------------------- */

struct store_prune_opts {
	/* A snapshot goes when any rule given picks it: */
	bool keep_set;
	uint64_t keep;          /* all but the KEEP newest (highest ids) */
	bool before_set;
	int64_t before_ns;      /* capture began before this (CLOCK_REALTIME);
				   a snapshot whose header cannot be read is
				   kept, its time being unknown */
	const uint64_t *ids;    /* these, when they exist */
	size_t nids;
	bool dry_run;           /* count everything, change nothing */
	store_progress_fn *progress;
	void *progress_ctx;
};

struct store_prune_result {
	uint64_t snapshots;     /* removed */
	uint64_t first, last;   /* lowest and highest id removed */
	uint64_t remaining;     /* snapshots left */
	uint64_t records;       /* records removed, list chunks included */
	uint64_t bytes;         /* their bytes */
	uint64_t index;         /* namespace index entries removed */
	uint64_t labels;        /* label entries removed */
	uint64_t tombs;         /* pruned runs given a tombstone for the
				   chain (chain.c merges one with its
				   neighbours) */
	/* Remaining snapshots whose header or lists could not be read: what
	 * they use is unknown, so no record was removed (the snapshots
	 * picked still were).  Prune those too, or repair them. */
	uint64_t unreadable;
};

/*
 * Remove the snapshots the rules pick, then every record, list chunk,
 * namespace index entry and label that no remaining snapshot uses, in one
 * write transaction: all of it or nothing, and readers keep the view they
 * began with.  The namespace index is rewritten where a removed snapshot
 * held a change point, so that store_ns_history() still tells every
 * remaining snapshot's state.  Freed pages are reused by later writes:
 * with regular pruning the data file stops growing.  Each run of removed
 * snapshots leaves a tombstone, so that the hash chain reads across it
 * (chain.c).  R may be NULL; a store opened read-only gives STORE_ERDONLY.
 * Raises the store to format 6 (the tombstones).
 */
int store_prune(struct store *s, const struct store_prune_opts *o,
		struct store_prune_result *r);

/* ---- copy --------------------------------------------------------------- */

/*
 * A compact, consistent copy of the store into directory DEST (made 0700
 * when absent; must not hold a data.mdb yet, and be empty otherwise): the
 * state of one moment, taken while others go on reading and writing, free
 * pages left out.  Written as DEST/data.mdb.partial (0600), synced, then
 * renamed: an interrupted copy leaves no data.mdb.  Then opened and
 * checked as a store; *st (may be NULL) is the copy's statistics.  A copy
 * that fails takes back what it made, DEST too when it made it.  -EEXIST
 * when DEST holds a data.mdb, -ENOTDIR when it is not a directory, one of
 * FSAFE_E* when DEST is not the caller's alone (fsafe.h's rules).
 */
int store_copy(struct store *s, const char *dest, struct store_stat *st);

#endif
