/*
 * store.h — the snapshot store: graphs kept in LMDB.
 *
 * Owns the store directory and everything in it; no other code touches
 * LMDB.  A snapshot is written in one transaction (all or nothing), its
 * records are content-addressed by XXH3-128 so an unchanged namespace or
 * process costs nothing the second time, and every record is checked
 * against its hash when read back.
 *
 * Functions return 0 or a negative code: -errno, an LMDB code, or one of
 * the STORE_E* below; store_strerror() says what any of them means.
 * A struct store is for one thread at a time, and must not cross a fork().
 */
#ifndef NSNAP_STORE_H
#define NSNAP_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
};

/* Human text for any code this module returns (and for -errno).  For
 * STORE_ECORRUPT it names what failed, as last seen by this thread. */
const char *store_strerror(int err);

#define STORE_RDONLY 0x1u
#define STORE_CREATE 0x2u  /* create the directory and the store if absent */

/* Where a store lives by default: $NSNAP_STORE, else /var/lib/nsnap for
 * root, else $XDG_STATE_HOME/nsnap, else ~/.local/state/nsnap.  Returns a
 * static buffer overwritten by the next call; NULL when no home is known. */
const char *store_default_path(void);

struct store;

/*
 * Open the store in directory PATH.  Without STORE_CREATE the directory
 * must hold a store (-ENOENT, -ENOTDIR, STORE_ENOTSTORE otherwise).  With
 * it, missing directories are made 0700 and store files 0600, whatever the
 * umask.  An existing LMDB environment that is not an nsnap store is never
 * written to.
 */
int store_open(const char *path, unsigned flags, struct store **out);
void store_close(struct store *s);

#define STORE_LABEL_MAX 255

/*
 * Whether LABEL may name a snapshot: 1 to STORE_LABEL_MAX bytes, no
 * control characters, and not readable as another selector (a number,
 * "latest", "latest~N", a time).  0 or STORE_ELABEL.
 */
int store_label_check(const char *label);

/* Store G as a new snapshot (LABEL may be NULL); *id_out its id (ids
 * start at 1 and increase).  Grows the map as needed. */
int store_put(struct store *s, const struct graph *g, const char *label,
	      uint64_t *id_out);

/*
 * Selector -> snapshot id.  Forms: a decimal id; "latest"; "latest~N"
 * (N snapshots before the latest); YYYY-MM-DDTHH:MM[:SS] local time, or
 * with a trailing Z for UTC: the latest snapshot whose capture began
 * within or before that minute (or second); else a label: the latest
 * snapshot carrying it.
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
	uint64_t size;    /* bytes of its records, as if stored alone */
	uint64_t added;   /* bytes of records it added to the store */
	uint8_t digest[16]; /* XXH3-128 over its record hashes, in order */
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
 * One namespace's history, one range scan of the namespace index: CB(id,
 * hash) in id order for each snapshot where the namespace appeared or its
 * record changed (HASH: its record from then on), and CB(id, NULL) where it
 * was gone.  Snapshots in between hold it unchanged.
 */
int store_ns_history(struct store *s, struct ns_key key,
		     int (*cb)(uint64_t id, const uint8_t hash[16], void *),
		     void *ctx);

struct store_stat {
	uint64_t map_size;     /* current LMDB map */
	uint64_t used;         /* bytes of pages in use */
	uint64_t page_size;
	uint64_t snapshots;
	uint64_t records;      /* distinct records */
};

int store_stat(struct store *s, struct store_stat *out);

#endif
