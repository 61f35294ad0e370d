/*
 * export_impl.h — what the export's writer, reader and field tables share.
 *
 * Owns the description of every record kind of the interchange format:
 * for each member its JSON name, its type (which fixes its spelling and
 * its range) and where it lives in the C struct.  export_fields.c holds
 * the tables, export.c writes by them, import.c reads and validates by
 * them; a member is added in one place.  Also the record hashes that both
 * sides hold a document's content against.  Not for the tools: they see
 * export.h.
 */
#ifndef NSNAP_EXPORT_IMPL_H
#define NSNAP_EXPORT_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "graph.h"

#define EXPORT_FORMAT "nsnap-snapshot"
/* Version 2 carries the workload facts; a snapshot without them
 * (codec_graph_v1()) is still written as version 1, as it was. */
#define EXPORT_VERSION 2
#define EXPORT_VERSION_V1 1

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- field tables ------------------------------------------------------- */

/*
 * How a member is spelled, and the C type it is stored in.  Integers that
 * fit a double exactly are JSON numbers; 64-bit ones are decimal strings
 * (canonical: no sign but '-', no leading zero, no "-0"), because JSON
 * numbers are doubles to most readers.
 */
enum xp_type {
	XP_I32,         /* integer, int32_t */
	XP_U32,         /* integer 0..UINT32_MAX, uint32_t */
	XP_U64,         /* decimal string, uint64_t */
	XP_I64,         /* decimal string, int64_t */
	XP_STR,         /* null, a UTF-8 string or {"base64": ...}; const char * */
	XP_REF,         /* namespace index or null (GRAPH_NONE); uint32_t */
	XP_FLAGS,       /* names of the set bits (xp_field.bits); uint8_t/uint32_t */
	XP_NSTYPE,      /* a namespace type's name; uint8_t */
	XP_TIME,        /* RFC 3339 of the int64_t ns at 'off'; must agree */
	XP_INDEX,       /* the record's own position (namespaces) */
	XP_OBJECT,      /* an object of xp_field.sub, its struct at 'off' */
	XP_TASKS,       /* a process's threads, nested */
	XP_FDS,         /* a process's fds, nested */
	XP_U8,          /* integer 0..255, uint8_t */
	XP_ENUM,        /* a name of xp_field.bits (a value below its n), else
			   an integer from n to 255; uint8_t */
	XP_ARGV,        /* a process's command line: null or an array of at
			   least one string (XP_STR's spellings, no NUL),
			   cmdline_len at most GRAPH_CMDLINE_MAX */
	XP_WLREF,       /* index into "workloads" or null (GRAPH_NONE) */
	XP_IFACES,      /* a namespace's interfaces, nested */
};

/* xp_field.flags */
#define XP_NESTED 0x1u  /* only when processes hold their threads and fds */
#define XP_SLICED 0x2u  /* only when they point into the layout arrays */
#define XP_LATE   0x4u  /* a reference to any namespace, even one not yet
			   read (namespaces name each other): checked once
			   all are in */
#define XP_V2     0x8u  /* only in documents of version 2 on: an unknown
			   member of a version 1 document */
#define XP_KNOWN  0x10u /* an XP_OBJECT whose struct starts with bool known:
			   written only when known, and known when read;
			   absent is not known (graph_vantage) */

/* Bit I of a flags word is NAMES[I], or "bitI" when I >= N; WIDTH bits. */
struct xp_bits {
	const char *const *names;
	unsigned n;
	unsigned width;
};

struct xp_table;

struct xp_field {
	const char *name;
	enum xp_type type;
	unsigned flags;                 /* XP_* */
	size_t off;                     /* offsetof in the record's struct */
	size_t size;                    /* sizeof that member */
	const struct xp_bits *bits;     /* XP_FLAGS */
	const struct xp_table *sub;     /* XP_OBJECT */
};

struct xp_table {
	const struct xp_field *f;
	size_t n;                       /* at most XP_MAX_FIELDS */
};

#define XP_MAX_FIELDS 32

/* The members of each kind, in the order they are written. */
extern const struct xp_table xp_origin;    /* struct export_info */
extern const struct xp_table xp_meta;      /* struct graph_meta */
extern const struct xp_table xp_ns;        /* struct graph_ns */
extern const struct xp_table xp_proc;      /* struct graph_proc */
extern const struct xp_table xp_task;      /* struct graph_task */
extern const struct xp_table xp_fd;        /* struct graph_fd */
extern const struct xp_table xp_mount;     /* struct graph_mount */
extern const struct xp_table xp_gap;       /* struct graph_gap */
extern const struct xp_table xp_workload;  /* struct graph_workload */
extern const struct xp_table xp_iface;     /* struct graph_iface */

/* "cgroup" ... "uts": the namespace type names, as the format spells them. */
extern const char *const xp_type_names[NS_NTYPES];

/* Unsigned integer members of 1, 2, 4 or 8 bytes at P. */
uint64_t xp_load(const void *p, size_t size);
void xp_store(void *p, size_t size, uint64_t v);

/* ---- strings that are not UTF-8 ----------------------------------------- */

/* RFC 4648 base64 with padding, NUL-terminated; NULL on ENOMEM. */
char *xp_base64_encode(const unsigned char *p, size_t n);
/* Decode S[0..n) into OUT (room for n / 4 * 3 bytes); the length, or -1
 * unless S is canonical: padded, no blanks, unused bits zero. */
long xp_base64_decode(const char *s, size_t n, unsigned char *out);

/* ---- record hashes ------------------------------------------------------ */

/*
 * The XXH3-128 hashes of a graph's records, as the store computes them
 * (codec_hash(), codec_digest()):
 * one array in digest order, meta, layout (when there is one), namespaces,
 * processes, mount runs.
 */
struct rec_hashes {
	struct codec_hash *all;
	size_t nall;
	struct codec_hash *meta, *layout;   /* layout NULL: none */
	struct codec_hash *ns, *procs, *runs;
	size_t nns, nprocs, nruns;
	struct codec_hash digest;
};

/* 0 or -ENOMEM. */
int xp_hashes_alloc(struct rec_hashes *h, bool layout, size_t nns,
		    size_t nprocs, size_t nruns);
void xp_hashes_free(struct rec_hashes *h);
/* 0, -EINVAL (G is inconsistent: codec_encode_graph() says so), -ENOMEM. */
int xp_hashes_compute(const struct graph *g, struct rec_hashes *h);

#define XP_HASH_HEX (2 * CODEC_HASH_LEN + 1)
void xp_hash_hex(const struct codec_hash *h, char out[XP_HASH_HEX]);
/* 32 hexadecimal digits, either case. */
bool xp_hash_parse(const char *s, size_t n, struct codec_hash *h);

/* Mount run K (as codec_mount_run() cuts them): *first and the count. */
size_t xp_run_bounds(const struct graph *g, size_t k, size_t *first);

#endif
