/*
 * fuzz_graph.c — libFuzzer target from records to every printer: decode,
 * view, tree, JSON, DOT, and the diff with its printers, timeline and
 * history.
 *
 * The store checks a record against its hash before decoding it, but a
 * forged store or document comes with hashes that match, so this target
 * skips that check: the decoder gets whatever the fuzzer made, and what
 * it accepts goes on to everything that reads a graph.  Nothing may crash,
 * loop, recurse as deep as the graph or touch memory it does not own; a
 * view that does not fit its graph, a printer failing on a view that
 * does, or an error other than the documented ones is a bug and aborts.
 *
 * Input: four option bytes, then records, each a LEB128 length and that
 * many bytes (fuzz_decode's framing).  A 'G' (meta) record starts a
 * snapshot; the first two are A and B ('N', 'P', 'M' in input order, the
 * last 'Y' its layout), later ones are ignored.  Without a B that
 * decodes, A is compared with itself.
 *
 *   opt[0]  bit 0 --pidns, 1 --search-tasks, 2 --deep-scan, 3 --show-comm,
 *           4 --all-pids, 5 --no-pids, 6 --subtree, 7 PID arguments
 *   opt[1]  --namespaces types (NS_TYPE_BIT set; 0: all)
 *   opt[2]  --width; also picks the process --subtree and the PID
 *           arguments name (its PID as typed), or a word of WORDS
 *   opt[3]  bit 0 color, 1 terminal escapes, 2 nsdiff --all, 3 use WORDS,
 *           4 --workloads, 5 --cmdline, 6 socket pins
 *
 * The seeds in tests/fuzz/corpus/graph come from gen_corpus_graph.c.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "diff.h"
#include "format.h"
#include "framing.h"
#include "graph.h"
#include "render.h"
#include "view.h"

#define MAX_RECS 1024
#define NOPTS 4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Words a PID argument may be, besides PIDs. */
static const char *const words[] = {
	"self", "thread-self", "1", "1/task/1", "./1//", "1/task/2/", "0",
	"-1", "2147483648", "1/fd/3", "",
};

struct input {
	struct codec_snapshot snap[2];
	struct codec_rec *recs[2][3];  /* ns, procs, mounts */
	size_t nsnaps;
	uint8_t *blocks[4 * MAX_RECS];
	size_t nblocks;
};

/* Record REC (in its own block) into the snapshot it belongs to. */
static void add_record(struct input *in, struct codec_rec rec)
{
	uint8_t kind = rec.len ? rec.data[0] : 0;

	if (kind == CODEC_META) {
		if (in->nsnaps == 2)
			return;
		in->snap[in->nsnaps++].meta = rec;
		return;
	}
	if (in->nsnaps == 0)
		return;
	struct codec_snapshot *s = &in->snap[in->nsnaps - 1];
	if (kind == CODEC_LAYOUT)
		s->layout = rec;
	else if (kind == CODEC_NS && s->nns < MAX_RECS)
		s->ns[s->nns++] = rec;
	else if (kind == CODEC_PROC && s->nprocs < MAX_RECS)
		s->procs[s->nprocs++] = rec;
	else if (kind == CODEC_MOUNTS && s->nmounts < MAX_RECS)
		s->mounts[s->nmounts++] = rec;
}

static bool read_input(struct input *in, const uint8_t *data, size_t size)
{
	struct codec_rd r;
	uint8_t *copy;
	size_t len;

	for (int k = 0; k < 2; k++) {
		for (int j = 0; j < 3; j++) {
			in->recs[k][j] = calloc(MAX_RECS, sizeof(struct codec_rec));
			if (!in->recs[k][j])
				return false;
		}
		in->snap[k] = (struct codec_snapshot){
			.ns = in->recs[k][0], .procs = in->recs[k][1],
			.mounts = in->recs[k][2],
		};
	}
	codec_rd_init(&r, data, size);
	while (in->nblocks < 4 * MAX_RECS && (copy = framing_next(&r, &len))) {
		in->blocks[in->nblocks++] = copy;
		add_record(in, (struct codec_rec){ copy, len });
	}
	return true;
}

static void free_input(struct input *in)
{
	for (size_t i = 0; i < in->nblocks; i++)
		free(in->blocks[i]);
	for (int k = 0; k < 2; k++)
		for (int j = 0; j < 3; j++)
			free(in->recs[k][j]);
}

/* An error the library documents for a graph it refuses, or memory. */
static void expect_refusal(int rc)
{
	if (rc != -EBADMSG && rc != -ENODATA && rc != -ENOMEM)
		abort();
}

/* The word OPT names: a PID of G (its N-th process) or one of WORDS. */
static const char *pick_word(const struct graph *g, const uint8_t *opt,
			     unsigned n, char buf[16])
{
	unsigned k = opt[2] + n;

	if ((opt[3] & 8) || g->nprocs == 0)
		return words[k % (sizeof(words) / sizeof(words[0]))];
	snprintf(buf, 16, "%d", (int)g->procs[k % g->nprocs].pid);
	return buf;
}

/* Every view printer over G under OPT, into OUT. */
static void show(FILE *out, const struct graph *g, const uint8_t *opt)
{
	char w0[16], w1[16];
	char *pids[2];
	struct view_opts vo = {
		.pidns = opt[0] & 1, .search_tasks = opt[0] & 2,
		.deep_scan = opt[0] & 4, .show_comm = opt[0] & 8,
		.all_pids = opt[0] & 16,
		.show_types = opt[1] ? opt[1] : NS_ALL_TYPES,
		.workloads = opt[3] & 16, .cmdline = opt[3] & 32,
		.socket_pins = opt[3] & 64,
	};
	struct render_opts ro = {
		.color = opt[3] & 1, .escape = opt[3] & 2,
		.no_pids = opt[0] & 32, .show_comm = opt[0] & 8,
		.all_pids = opt[0] & 16, .width = opt[2],
	};
	struct format_opts fo = { .no_pids = opt[0] & 32,
				  .dot_max_pids = opt[2] & 15 };
	struct view v;
	int rc;

	if (opt[0] & 64)
		vo.subtree = pick_word(g, opt, 0, w0);
	if (opt[0] & 128) {
		pids[0] = (char *)pick_word(g, opt, 1, w0);
		pids[1] = (char *)pick_word(g, opt, 2, w1);
		vo.pids = pids;
		vo.npids = 2;
	}
	rc = view_build(g, &vo, &v);
	if (rc) {
		expect_refusal(rc);
		return;
	}
	if (view_fits(g, &v))
		abort();
	if (render_tree(out, g, &v, &ro))
		abort();
	rc = format_json(out, g, &v, &fo);
	if (rc && rc != -ENOMEM)
		abort();
	rc = format_dot(out, g, &v, &fo);
	if (rc && rc != -ENOMEM)
		abort();
	view_release(&v);
}

/* A compared with B under OPT, in every form, into OUT. */
static void compare(FILE *out, const struct graph *a, const struct graph *b,
		    const uint8_t *opt)
{
	struct diff_opts o = {
		.pidns = opt[0] & 1, .types = opt[1], .no_pids = opt[0] & 32,
		.search_tasks = opt[0] & 2, .deep_scan = opt[0] & 4,
	};
	struct diff_print_opts po = { .color = opt[3] & 1, .all = opt[3] & 4 };
	struct diff_snapshot snaps[2] = {
		{ .time_ns = a->meta.start_ns, .id = "1", .g = a },
		{ .time_ns = b->meta.start_ns, .id = "2", .g = b },
	};
	struct diff d;
	char spec[48];
	int rc;

	rc = diff_graphs(a, b, &o, &d);
	if (rc) {
		expect_refusal(rc);
		return;
	}
	if (diff_print_list(out, &d, &po) || diff_print_json(out, &d, &po))
		abort();
	if ((rc = diff_print_tree(out, &d, &po)))
		expect_refusal(rc);
	if ((rc = diff_print_dot(out, &d, &po)))
		expect_refusal(rc);
	if ((rc = diff_print_events(out, &d, &snaps[1])))
		expect_refusal(rc);
	/* The timeline's rows, of any graph's strings and indexes. */
	struct diff_timeline *tl;
	if (diff_timeline_begin(out, opt[3] & 8 ? DIFF_SERIES_NDJSON : DIFF_SERIES_JSON, &tl))
		abort();
	struct diff_step step = {
		.at = snaps[1], .host = b->meta.hostname, .boot = b->meta.boot_id,
		.nns = b->nns, .nprocs = diff_scanned_procs(b),
		.kind = DIFF_STEP_DIFF, .base = "1", .base_boot = a->meta.boot_id,
		.d = &d,
	};
	if (diff_timeline_add(tl, &step) || diff_timeline_end(tl))
		abort();
	diff_release(&d);

	if (b->nns == 0)
		return;
	const struct graph_ns *n = &b->ns[opt[2] % b->nns];
	snprintf(spec, sizeof(spec), "%llu:%llu", (unsigned long long)n->key.dev,
		 (unsigned long long)n->key.ino);
	rc = diff_history(out, snaps, 2, spec, &o);
	if (rc && rc != -ENOENT)
		expect_refusal(rc);
	/* The same as JSON, by a bare inode. */
	struct diff_history *h;
	snprintf(spec, sizeof(spec), "%llu", (unsigned long long)n->key.ino);
	if (diff_history_begin(out, spec, &o, &h))
		abort();
	diff_history_set_format(h, DIFF_SERIES_JSON);
	for (size_t i = 0; i < 2 && !(rc = diff_history_add(h, &snaps[i], false)); i++)
		;
	if (rc) {
		diff_history_free(h);
		expect_refusal(rc);
		return;
	}
	rc = diff_history_end(h);
	if (rc && rc != -ENOENT)
		expect_refusal(rc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *out;
	struct input *in;
	struct graph *g[2] = { NULL, NULL };

	if (size < NOPTS)
		return 0;
	if (!out && !(out = fopen("/dev/null", "w")))
		abort();
	in = calloc(1, sizeof(*in));
	if (!in)
		return 0;
	if (read_input(in, data + NOPTS, size - NOPTS) && in->nsnaps &&
	    codec_decode_graph(&in->snap[0], &g[0]) == 0) {
		if (in->nsnaps < 2 || codec_decode_graph(&in->snap[1], &g[1]))
			g[1] = NULL;
		show(out, g[0], data);
		if (g[1])
			show(out, g[1], data);
		compare(out, g[0], g[1] ? g[1] : g[0], data);
	}
	graph_free(g[0]);
	graph_free(g[1]);
	free_input(in);
	free(in);
	return 0;
}
