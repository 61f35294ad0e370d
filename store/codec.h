/*
 * codec.h — the bytes of a stored snapshot: graph <-> records.
 *
 * Files: codec_prim.c (the primitives), codec.c (a graph as records and
 * back), codec_facts.c (the parts of records holding the workload facts;
 * codec_int.h is what the two share), codec_header.c (hashes, the digest,
 * the header, list chunks).
 *
 * Owns every byte layout the store writes: the primitives (LEB128 varints,
 * zigzag, big-endian words, length-prefixed nullable strings), the records
 * a graph is cut into, the snapshot header and the hash lists.  It touches
 * neither LMDB nor the record table: the store decides where records live
 * and which hash names them.
 *
 * A graph becomes:
 *   - one meta record   ('G'): graph_meta and the gaps, but for what changes
 *     with every capture (its times and the capturer's PID: the capture,
 *     which the snapshot header carries), so that a snapshot of an
 *     unchanged system writes no new record;
 *     and, in version 3, the workloads (graph.workloads);
 *   - one record per namespace ('N'), in graph order, holding a network
 *     namespace's interfaces;
 *   - one record per process ('P') holding its threads and fds, naming
 *     its workload by (runtime, id);
 *   - one record per run of bind mounts of one mount namespace ('M');
 *   - a layout record ('Y') only when the task/fd slices of the processes
 *     are not the canonical back-to-back layout that capture produces.
 * Records name namespaces by (dev, inode), never by array index, so a
 * record does not change when an unrelated namespace comes or goes: that is
 * what makes the store's content addressing pay off between snapshots.
 *
 * Every record starts with its kind byte and a version byte.  The encoding
 * is canonical: a decoder accepts exactly what the encoder produces (no
 * overlong varints, no trailing bytes, no redundant forms), so
 * decode-then-encode gives back the same bytes — the fuzz target checks it.
 * Decoders never trust their input: every count and length is checked
 * against the bytes left before anything is allocated, and malformed input
 * gives -EBADMSG, never a crash.
 */
#ifndef NSNAP_CODEC_H
#define NSNAP_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "custody.h"
#include "graph.h"

/* The version of every record layout but the meta record's, for a graph
 * of the facts snapshots held before workloads (codec_graph_v1()). */
#define CODEC_VERSION 1
/* Namespace, process and layout records of any other graph: the same with
 * the workload facts (see codec.c).  Mount runs stay version 1. */
#define CODEC_VERSION_FACTS 2
/* The meta record without the capture; version 1 held it, and is still
 * read (see codec_meta_hash()). */
#define CODEC_META_VERSION 2
/* The meta record of a graph with the workload facts: version 2 and the
 * workloads.  The meta record's version says which the other records are:
 * 1 and 2 go with CODEC_VERSION, 3 with CODEC_VERSION_FACTS. */
#define CODEC_META_FACTS 3
/* The version byte of a version 3 meta record made whole (hashed only). */
#define CODEC_META_WHOLE_FACTS 0x83

enum codec_kind {
	CODEC_META = 'G',
	CODEC_NS = 'N',
	CODEC_PROC = 'P',
	CODEC_MOUNTS = 'M',
	CODEC_LAYOUT = 'Y',
	CODEC_LIST = 'L',
	CODEC_HEADER = 'H',
};

/* ---- primitives --------------------------------------------------------- */

/* A growing output buffer with a sticky error (0 or -errno). */
struct codec_buf {
	uint8_t *data;
	size_t len, cap;
	int err;
};

void codec_buf_init(struct codec_buf *b);
void codec_buf_free(struct codec_buf *b);
void codec_put_u8(struct codec_buf *b, uint8_t v);
void codec_put_uv(struct codec_buf *b, uint64_t v);   /* LEB128 */
void codec_put_sv(struct codec_buf *b, int64_t v);    /* zigzag LEB128 */
void codec_put_be64(struct codec_buf *b, uint64_t v);
void codec_put_bytes(struct codec_buf *b, const void *p, size_t n);
void codec_put_str(struct codec_buf *b, const char *s); /* NULL allowed */

/* A bounded reader with a sticky error (0 or -EBADMSG); getters return 0
 * once it is set, so a decoder checks once at the end. */
struct codec_rd {
	const uint8_t *p;
	size_t left;
	int err;
};

void codec_rd_init(struct codec_rd *r, const void *p, size_t n);
uint8_t codec_get_u8(struct codec_rd *r);
uint64_t codec_get_uv(struct codec_rd *r, uint64_t max);
int64_t codec_get_sv(struct codec_rd *r, int64_t min, int64_t max);
uint64_t codec_get_be64(struct codec_rd *r);
const uint8_t *codec_get_bytes(struct codec_rd *r, size_t n);
/* A string: NULL with *len 0 for an absent one; otherwise LEN bytes, not
 * NUL-terminated, without inner NULs. */
const char *codec_get_str(struct codec_rd *r, size_t *len);
/* A count of elements of at least MIN_SIZE bytes each that must fit in
 * what is left: the bound that keeps allocations proportional to input. */
size_t codec_get_count(struct codec_rd *r, size_t min_size);
/* 0 when the reader consumed everything without error, else -EBADMSG. */
int codec_rd_end(const struct codec_rd *r);
/* Make -EBADMSG R's error (a decoder's own check failed). */
void codec_rd_fail(struct codec_rd *r);
/* Numbers of 32 bits as sv and uv. */
int32_t codec_get_i32(struct codec_rd *r);
uint32_t codec_get_u32(struct codec_rd *r);
/* A string of LEN bytes (NULL: absent). */
void codec_put_strn(struct codec_buf *b, const char *s, size_t len);
/* A record's first two bytes: KIND and CODEC_VERSION; the reader fails
 * on anything else. */
void codec_put_head(struct codec_buf *b, enum codec_kind kind);
void codec_get_head(struct codec_rd *r, enum codec_kind kind);
/* The same with VERSION; the reader accepts 1 to MAX and returns it (0
 * when it failed). */
void codec_put_head_v(struct codec_buf *b, enum codec_kind kind,
		      uint8_t version);
uint8_t codec_get_head_v(struct codec_rd *r, enum codec_kind kind,
			 uint8_t max);
/* Bytes as a string is laid out, inner NULs allowed (a command line), at
 * most MAX of them: NULL with *len 0 for an absent one. */
const uint8_t *codec_get_blob(struct codec_rd *r, size_t *len, size_t max);

void codec_be64_write(uint8_t out[8], uint64_t v);
uint64_t codec_be64_read(const uint8_t in[8]);

/* ---- a graph as records ------------------------------------------------- */

struct codec_rec {
	const uint8_t *data;
	size_t len;
};

struct codec_str {
	const char *p;              /* NULL: absent */
	size_t len;
};

/* What changes with every capture of an unchanged system.  Kept in the
 * snapshot header, not in the meta record. */
struct codec_capture {
	int64_t start_ns, end_ns;
	int32_t capturer_pid;
	/* Its version string is vp_version (NUL-terminated or not): the
	 * decoded graph gets a copy of it in vantage.version. */
	struct graph_vantage vantage;
	struct codec_str vp_version;
};

/*
 * The records of one graph.  From codec_encode_graph() everything points
 * into one buffer owned by the struct (free with codec_snapshot_free()).
 * For codec_decode_graph() the caller fills it with its own pointers and
 * leaves 'buf' NULL.
 */
struct codec_snapshot {
	struct codec_rec meta;
	/* From the encoder: the graph's capture.  For the decoder: the
	 * header's, which a version 2 meta record goes with (a version 1
	 * record holds its own). */
	struct codec_capture capture;
	struct codec_rec layout;    /* len 0: canonical slices, no record */
	struct codec_rec *ns;       size_t nns;
	struct codec_rec *procs;    size_t nprocs;
	struct codec_rec *mounts;   size_t nmounts;  /* runs */
	uint8_t *buf;               /* encoder's storage */
};

/*
 * 0, or -EINVAL when graph_check() refuses the graph (an index out of
 * range, two namespaces with one key, a cycle of owners...), -ENOMEM.
 */
int codec_encode_graph(const struct graph *g, struct codec_snapshot *out);

/*
 * Whether G holds only what snapshots could before the workload facts:
 * no GRAPH_HAVE_* bit beyond GRAPH_HAVE_V1, no flag beyond those of then,
 * every new field blank (NULL, 0, loginuid and sessionid UINT32_MAX,
 * workload GRAPH_NONE, fds of kind GRAPH_FD_NSFS), no interface and no
 * workload.  Such a graph is written in the version 1 layouts, byte for
 * byte as before, so that its records, hashes and digest stay what they
 * were; any other in the new ones.  A decoder holds the records' version
 * against this, and an export picks its document version by it.
 */
bool codec_graph_v1(const struct graph *g);
void codec_snapshot_free(struct codec_snapshot *s);

/*
 * The run of mounts starting at FIRST: how many mounts from FIRST on
 * belong to its mount namespace (0 past the end).  Each run is one 'M'
 * record; the export names a record's mounts by it.
 */
size_t codec_mount_run(const struct graph *g, size_t first);

/*
 * Rebuild the graph: same arrays in the same order, every field equal.
 * 0 and *out, -EBADMSG when a record is malformed, the records do not fit
 * together (a reference to a namespace that is not there...) or the whole
 * is a graph graph_check() refuses, -ENOMEM.
 */
int codec_decode_graph(const struct codec_snapshot *s, struct graph **out);

/* The key of a namespace record, without decoding the rest. */
int codec_ns_key(const void *p, size_t n, struct ns_key *key);
/* What names a namespace record: key, type, flags, creator and kernel ID
 * into *ns (owner and parent GRAPH_NONE, maps NULL); 0 or -EBADMSG. */
int codec_ns_brief(const void *p, size_t n, struct graph_ns *ns);

/*
 * The whole meta record META stands for: the same with the capture CAP in
 * it, laid out as version 1 (version 3: the same with its workloads, marked
 * CODEC_META_WHOLE_FACTS), appended to OUT.  A version 1 record is its
 * own whole one.  0, -EBADMSG when META is no meta record, -ENOMEM.
 */
int codec_meta_whole(const struct codec_rec *meta,
		     const struct codec_capture *cap, struct codec_buf *out);

/* ---- snapshot header and hash lists ------------------------------------- */

#define CODEC_HASH_LEN 16
#define CODEC_HEADER_VERSION 5

/* An XXH3-128 hash in canonical (big-endian) byte order. */
struct codec_hash {
	uint8_t b[CODEC_HASH_LEN];
};

/* The record hash: XXH3-128 of the record's bytes, canonical.  The one
 * place it is computed: a record's key in the store and its hash in an
 * export are this. */
void codec_hash(const void *p, size_t n, struct codec_hash *out);

/*
 * The hash the meta record counts with in the digest and in an export:
 * that of its whole record (codec_meta_whole()), capture included.  So a
 * snapshot's digest covers its capture, is the same however the store
 * keeps the meta record, and an export written before the capture moved
 * to the header still matches.  0, -EBADMSG, -ENOMEM.
 */
int codec_meta_hash(const struct codec_rec *meta,
		    const struct codec_capture *cap, struct codec_hash *out);

/*
 * How many processes and threads the gaps of meta record META name, each
 * (pid, tid) pair once however many of its links were refused: what
 * 'list' counts, without decoding the snapshot.  0 and *N, or -EBADMSG,
 * -ENOMEM.
 */
int codec_meta_gapped(const struct codec_rec *meta, uint64_t *n);

/*
 * The snapshot digest: XXH3-128 over its record hashes, 16 bytes each, in
 * the order a snapshot is read: meta (codec_meta_hash()), layout (when
 * there is one), namespaces, processes, mount runs.  The store's header
 * keeps it and an export carries it.  Fed in pieces, as a reader meets the
 * hashes list by list: begin (0 or -ENOMEM), add, end (or free, to give
 * up).
 * codec_digest() is the same over hashes that are in one array.
 */
struct codec_digest {
	void *state;
};

int codec_digest_begin(struct codec_digest *d);
void codec_digest_add(struct codec_digest *d, const struct codec_hash *h,
		      size_t n);
void codec_digest_end(struct codec_digest *d, struct codec_hash *out);
void codec_digest_free(struct codec_digest *d);
void codec_digest(const struct codec_hash *h, size_t n, struct codec_hash *out);

/*
 * A snapshot's header: what 'list' shows without loading the snapshot, the
 * capture, and the roots of its records.  Carries its own XXH3-64 checksum
 * since, unlike records, it is found by snapshot id rather than by its
 * hash.
 */
struct codec_header {
	/* 0 or CODEC_HEADER_VERSION: what is written now.  1 to 4 are
	 * read, and written again only as they were read (codec_header.c). */
	uint8_t version;
	uint64_t id;
	int64_t start_ns, end_ns;
	int32_t capturer_pid;       /* version 3 on; else 0 */
	struct codec_str label, host, boot_id, kernel;
	uint64_t nns, nprocs, ntasks, nfds, nmounts, nruns, ngaps;
	uint64_t size;              /* bytes of all its records */
	uint64_t added;             /* bytes it added to the record table */
	/* Imported from an export, not recorded where it is.  Then
	 * original_id is its id in the store it was exported from (0: it
	 * never was in one). */
	bool imported;
	uint64_t original_id;
	struct codec_hash meta;     /* the meta record's key */
	bool has_layout;
	struct codec_hash layout;
	struct codec_hash digest;   /* over all its record hashes, in order */
	/* Version 4 on: where the capture stood (known false before, and
	 * in snapshots imported from documents that do not say).  Its
	 * version string is vp_version; vantage.version is not used. */
	struct graph_vantage vantage;
	struct codec_str vp_version;
	/* Version 5 on: the content digest, the chain and the signature. */
	struct custody_block custody;
};

/* The vantage block of a header: V with its VERSION string. */
void codec_put_vantage(struct codec_buf *b, const struct graph_vantage *v,
		       struct codec_str version);

int codec_encode_header(const struct codec_header *h, struct codec_buf *b);
/* Strings in *h point into P. */
int codec_decode_header(const void *p, size_t n, struct codec_header *h);

/* A list record: a count and that many hashes. */
int codec_encode_list(const struct codec_hash *h, size_t n,
		      struct codec_buf *b);
/* *hashes points into P: *count runs of CODEC_HASH_LEN bytes. */
int codec_decode_list(const void *p, size_t n, const uint8_t **hashes,
		      size_t *count);

#endif
