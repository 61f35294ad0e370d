/*
 * gen_corpus_decode.c — writes the seed corpus of fuzz_decode.
 *
 * Not built by the Makefile (the corpus is kept in the tree); to redo it:
 *
 *   cc -std=c11 -D_GNU_SOURCE -Ilibcore -Istore tests/fuzz/gen_corpus_decode.c \
 *      store/codec*.c libcore/graph.c -lxxhash -o build/gen_corpus_decode &&
 *   build/gen_corpus_decode tests/fuzz/corpus/decode
 *
 * Inputs use fuzz_decode's framing (LEB128 length, record, repeated): valid
 * snapshots of small hand-made graphs, headers, lists, and damaged copies
 * (truncated, bit-flipped, wrong kind, absurd counts, overlong varints).
 * The v1-* seeds in the corpus are older: snapshots with a version 1 meta
 * record and a version 1 header, as stores written before the capture
 * moved to the header hold them; this program no longer makes them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "graph.h"

static const char *outdir;

static void emit(const char *name, const struct codec_buf *b)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", outdir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(b->data, 1, b->len, f) != b->len || fclose(f)) {
		perror(path);
		exit(1);
	}
}

static void frame(struct codec_buf *b, const uint8_t *p, size_t len)
{
	codec_put_uv(b, len);
	codec_put_bytes(b, p, len);
}

/* The snapshot's records framed; record number DAMAGE (meta = 0, then ns,
 * procs, runs, layout) cut to CUT bytes or with bit FLIP flipped. */
static void frame_snapshot(struct codec_buf *b, const struct codec_snapshot *s,
			   size_t damage, size_t cut, size_t flip)
{
	size_t k = 0;
	struct codec_rec all[64];

	all[k++] = s->meta;
	for (size_t i = 0; i < s->nns; i++)
		all[k++] = s->ns[i];
	for (size_t i = 0; i < s->nprocs; i++)
		all[k++] = s->procs[i];
	for (size_t i = 0; i < s->nmounts; i++)
		all[k++] = s->mounts[i];
	if (s->layout.len)
		all[k++] = s->layout;
	for (size_t i = 0; i < k; i++) {
		uint8_t tmp[4096];
		size_t len = all[i].len;
		memcpy(tmp, all[i].data, len);
		if (i == damage && cut < len)
			len = cut;
		if (i == damage && flip / 8 < len)
			tmp[flip / 8] ^= (uint8_t)(1u << (flip % 8));
		frame(b, tmp, len);
	}
}

static struct graph *small_graph(bool layout)
{
	struct graph *g = graph_new();
	uint32_t ns[NS_NTYPES];
	bool added;

	g->meta.start_ns = 1700000000000000000;
	g->meta.end_ns = 1700000000010000000;
	g->meta.hostname = graph_strdup(g, "fuzzhost");
	g->meta.kernel = graph_strdup(g, "6.1.0");
	g->meta.boot_id = NULL;
	g->meta.capturer_pid = 7;
	g->meta.collected = GRAPH_HAVE_EVERYTHING;
	g->meta.types_present = NS_ALL_TYPES;
	g->meta.nsfs_dev = 4;
	for (unsigned t = 0; t < NS_NTYPES; t++)
		ns[t] = graph_ns_add(g, (struct ns_key){ 4, 4026531835u + t }, t, &added);
	uint32_t cnet = graph_ns_add(g, (struct ns_key){ 4, 4026532300u }, NS_NET, &added);
	for (size_t i = 0; i < g->nns; i++) {
		g->ns[i].owner = g->ns[i].type == NS_USER ? GRAPH_NONE : ns[NS_USER];
		g->ns[i].owner_err = g->ns[i].type == NS_USER ? EPERM : 0;
	}
	g->ns[ns[NS_USER]].uid_map = graph_strdup(g, "0 0 4294967295\n");
	g->ns[ns[NS_USER]].flags = GRAPH_NS_HAS_CREATOR;

	for (int i = 0; i < 3; i++) {
		struct graph_proc *p = graph_proc_append(g, 1 + i * 10);
		p->flags = GRAPH_PROC_LISTED;
		p->comm = i == 2 ? NULL : graph_strdup(g, i ? "sh" : "init");
		p->nstgid = i == 2 ? NULL : graph_strdup(g, "1");
		p->status_err = i == 2 ? EACCES : 0;
		for (unsigned t = 0; t < NS_NTYPES; t++) {
			p->links.ns[t] = ns[t];
			p->links.err[t] = 0;
		}
		if (i == 1)
			p->links.ns[NS_NET] = cnet;
		p->task_err = p->fd_err = 0;
		for (int k = 0; k < 2; k++) {
			struct graph_task *t = graph_task_append(g, 1 + i * 10 + k);
			t->comm = g->procs[g->nprocs - 1].comm;
			t->links = g->procs[g->nprocs - 1].links;
			if (k)
				t->links.err[NS_IPC] = EACCES;
		}
		g->procs[g->nprocs - 1].ntasks = 2;
		struct graph_fd *f = graph_fd_append(g);
		f->fd = 3 + i;
		f->ns = cnet;
		g->procs[g->nprocs - 1].nfds = 1;
	}
	struct graph_mount *m = graph_mount_append(g);
	*m = (struct graph_mount){ ns[NS_MNT], cnet, 0, 0, graph_strdup(g, "/run/netns/x") };
	m = graph_mount_append(g);
	*m = (struct graph_mount){ GRAPH_NONE, GRAPH_NONE, ENOENT, EACCES, NULL };
	graph_gap_add(g, 21, 0, EACCES, "ns/net");

	/* The workload facts: records of version 2, a version 3 meta. */
	g->ns[ns[NS_UTS]].hostname = graph_strdup(g, "fuzzhost");
	g->ns[ns[NS_USER]].setgroups = GRAPH_SETGROUPS_ALLOW;
	g->ns[cnet].flags |= GRAPH_NS_HAS_NSID;
	g->ns[cnet].nsid = 3;
	g->ns[cnet].first_iface = (uint32_t)g->nifaces;
	struct graph_iface *f = graph_iface_append(g);
	*f = (struct graph_iface){ .ns = cnet, .ifindex = 1, .flags = 0x49,
				   .name = graph_strdup(g, "lo"),
				   .addrs = graph_strdup(g, "127.0.0.1/8") };
	g->ns[cnet].nifaces = 1;
	uint32_t w = graph_workload_add(g, "podman", "0123abcd", &added);
	g->workloads[w].kind = GRAPH_WL_CONTAINER;
	g->workloads[w].name = graph_strdup(g, "db");
	graph_workload_add(g, "systemd", "init.scope", &added);
	g->procs[1].workload = w;
	g->procs[1].cmdline = graph_strndup(g, "sleep\0" "1000", 10);
	g->procs[1].cmdline_len = 10;
	g->procs[1].exe = graph_strdup(g, "/bin/sleep");
	g->procs[1].cgroup = graph_strdup(g, "/machine.slice/libpod-0123abcd.scope");
	g->procs[1].flags |= GRAPH_PROC_HAS_CRED;
	g->procs[1].ruid = g->procs[1].euid = 1000;
	g->procs[1].cap_eff = 0x1ff;
	g->fds[0].kind = GRAPH_FD_SOCKET;
	graph_workloads_sort(g);
	if (layout) {
		/* Processes 0 and 1 swap thread slices. */
		g->procs[0].first_task = 2;
		g->procs[1].first_task = 0;
	}
	return g;
}

int main(int argc, char **argv)
{
	struct codec_snapshot s, sl;
	struct codec_buf b;
	struct graph *g, *gl, *ge;

	if (argc != 2) {
		fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
		return 2;
	}
	outdir = argv[1];
	g = small_graph(false);
	gl = small_graph(true);
	ge = graph_new();
	if (codec_encode_graph(g, &s) || codec_encode_graph(gl, &sl)) {
		fprintf(stderr, "encoding failed\n");
		return 1;
	}

#define OUT(name, code) do { codec_buf_init(&b); code; emit(name, &b); codec_buf_free(&b); } while (0)
	OUT("valid-full", frame_snapshot(&b, &s, SIZE_MAX, 0, SIZE_MAX));
	OUT("valid-layout", frame_snapshot(&b, &sl, SIZE_MAX, 0, SIZE_MAX));
	struct codec_snapshot se;
	codec_encode_graph(ge, &se);
	OUT("valid-empty", frame_snapshot(&b, &se, SIZE_MAX, 0, SIZE_MAX));
	codec_snapshot_free(&se);

	struct codec_header h = {
		.id = 7, .start_ns = 1700000000000000000, .end_ns = 1700000000010000000,
		.label = { "before", 6 }, .host = { "fuzzhost", 8 },
		.boot_id = { NULL, 0 }, .kernel = { "6.1.0", 5 },
		.nns = 9, .nprocs = 3, .ntasks = 6, .nfds = 3, .nmounts = 2,
		.nruns = 2, .ngaps = 1, .size = 900, .added = 900, .has_layout = true,
		.capturer_pid = 4242,
	};
	memset(h.meta.b, 0x11, 16);
	memset(h.layout.b, 0x22, 16);
	memset(h.digest.b, 0x33, 16);
	struct codec_buf hb;
	codec_buf_init(&hb);
	codec_encode_header(&h, &hb);
	OUT("valid-header", frame(&b, hb.data, hb.len));
	OUT("flip-header", hb.data[5] ^= 4; frame(&b, hb.data, hb.len); hb.data[5] ^= 4);
	OUT("trunc-header", frame(&b, hb.data, hb.len - 3));
	codec_buf_free(&hb);
	h.imported = true;
	h.original_id = 12;
	h.has_layout = false;
	codec_buf_init(&hb);
	codec_encode_header(&h, &hb);
	OUT("valid-header-imported", frame(&b, hb.data, hb.len));
	codec_buf_free(&hb);

	struct codec_hash hs[3];
	for (int i = 0; i < 3; i++)
		memset(hs[i].b, 0x40 + i, 16);
	struct codec_buf lb;
	codec_buf_init(&lb);
	codec_encode_list(hs, 3, &lb);
	OUT("valid-list", frame(&b, lb.data, lb.len));
	OUT("trunc-list", frame(&b, lb.data, lb.len - 1));
	codec_buf_free(&lb);
	codec_buf_init(&lb);
	codec_encode_list(hs, 0, &lb);
	OUT("valid-list-empty", frame(&b, lb.data, lb.len));
	codec_buf_free(&lb);

	/* Damaged snapshots: record 0 is meta, 1..9 ns, 10..12 procs. */
	OUT("trunc-proc", frame_snapshot(&b, &s, 11, s.procs[1].len / 2, SIZE_MAX));
	OUT("trunc-ns", frame_snapshot(&b, &s, 3, 3, SIZE_MAX));
	OUT("trunc-layout", frame_snapshot(&b, &sl, 15, sl.layout.len - 1, SIZE_MAX));
	OUT("flip-proc", frame_snapshot(&b, &s, 10, SIZE_MAX, 8 * 30 + 2));
	OUT("flip-kind", frame_snapshot(&b, &s, 1, SIZE_MAX, 1));
	OUT("trunc-container", frame_snapshot(&b, &s, SIZE_MAX, 0, SIZE_MAX);
	    b.len = b.len * 2 / 3);

	/* Hand-made: a meta record claiming 2^40 gaps; an overlong varint. */
	uint8_t huge[] = { 'G', 1, 0, 0, 0, 0, 0, 0, 0, 0, 0,
			   0x80, 0x80, 0x80, 0x80, 0x80, 0x20, 1, 2, 3 };
	OUT("huge-count", frame(&b, huge, sizeof(huge)));
	uint8_t overlong[] = { 'G', 1, 0x80, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	OUT("overlong", frame(&b, overlong, sizeof(overlong)));
	uint8_t huge2[] = { 'G', 2, 0, 0, 0, 0, 0, 0,
			    0x80, 0x80, 0x80, 0x80, 0x80, 0x20, 1, 2, 3 };
	OUT("huge-count-v2", frame(&b, huge2, sizeof(huge2)));
#undef OUT

	codec_snapshot_free(&s);
	codec_snapshot_free(&sl);
	graph_free(g);
	graph_free(gl);
	graph_free(ge);
	return 0;
}
