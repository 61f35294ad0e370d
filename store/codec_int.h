/*
 * codec_int.h — what codec.c and codec_facts.c share: the encoder's and
 * decoder's state and the parts of records that hold the workload facts.
 * Private to store/codec*.c; everyone else sees codec.h.
 */
#ifndef NSNAP_CODEC_INT_H
#define NSNAP_CODEC_INT_H

#include "codec.h"

struct enc {
	struct codec_buf *b;
	const struct graph *g;
	uint8_t rv;     /* CODEC_VERSION or CODEC_VERSION_FACTS */
};

struct dec {
	struct codec_rd r;
	struct graph *g;
	int nomem;      /* -ENOMEM once an allocation failed */
	uint8_t rv;     /* the records' version, as the meta record says */
};

/* A string of the record copied into the graph's arena (NULL: absent). */
const char *cdc_get_str(struct dec *d);

/* ---- the workload facts (codec_facts.c) --------------------------------- */

/* What the records cannot say: a command line's length without its
 * bytes, or past GRAPH_CMDLINE_MAX.  graph_check() vouches for the rest. */
bool cdc_cmdlines_fit(const struct graph *g);

/* The tail of a version 3 meta record: the workloads. */
void cdc_put_workloads(struct enc *e);
void cdc_get_workloads(struct dec *d);
/* The tail of a version 2 namespace record; the decoder appends the
 * interfaces for namespace IDX (the one being decoded). */
void cdc_put_ns_facts(struct enc *e, const struct graph_ns *ns);
void cdc_get_ns_facts(struct dec *d, struct graph_ns *ns, uint32_t idx);
/* A version 2 process record's identity, after its errnos; the decoder
 * finds the workload among the meta record's. */
void cdc_put_identity(struct enc *e, const struct graph_proc *p);
void cdc_get_identity(struct dec *d, struct graph_proc *p);

#endif
