/*
 * gen_corpus_graph.c — writes the seed corpus of fuzz_graph.
 *
 * Not built by the Makefile (the corpus is kept in the tree); to redo it:
 *
 *   cc -std=c11 -D_GNU_SOURCE -Ilibcore -Istore tests/fuzz/gen_corpus_graph.c \
 *      store/codec*.c libcore/graph.c -lxxhash -o build/gen_corpus_graph &&
 *   build/gen_corpus_graph tests/fuzz/corpus/graph
 *
 * Each seed is fuzz_graph's input: four option bytes, then the records of
 * one or two snapshots (LEB128 length, record).  The graphs: a small world
 * with every kind of record (nested user and PID namespaces, threads, fds,
 * bind mounts, maps, NStgids, odd comms) and a later version of it with
 * changes, for the diff; and graphs no kernel makes: owner and PID parent
 * cycles, a namespace owning itself, chains deeper than VIEW_MAX_DEPTH and
 * one exactly that deep, owners of the wrong type, no visible user
 * namespace.  Each goes out under several option sets.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "graph.h"

#define DEV 4
#define CHAIN 300 /* deeper than VIEW_MAX_DEPTH, small enough to fuzz */
#define MAX_DEPTH 64 /* VIEW_MAX_DEPTH; view.h is not linked in */

static const char *outdir;

static void die(const char *what)
{
	fprintf(stderr, "gen_corpus_graph: %s\n", what);
	exit(1);
}

/* ---- building graphs -------------------------------------------------- */

static struct graph *new_graph(void)
{
	struct graph *g = graph_new();

	if (!g)
		die("out of memory");
	g->meta.start_ns = 1700000000000000000;
	g->meta.end_ns = 1700000000010000000;
	g->meta.hostname = graph_strdup(g, "fuzzhost");
	g->meta.kernel = graph_strdup(g, "6.1.0");
	g->meta.boot_id = graph_strdup(g, "b-1");
	g->meta.capturer_pid = 999;
	g->meta.collected = GRAPH_HAVE_EVERYTHING;
	g->meta.types_present = NS_ALL_TYPES;
	g->meta.nsfs_dev = DEV;
	return g;
}

/* Namespace INO of TYPE owned by OWNER (GRAPH_NONE: out of sight). */
static uint32_t ns(struct graph *g, uint64_t ino, unsigned type, uint32_t owner)
{
	bool added;
	uint32_t i = graph_ns_add(g, (struct ns_key){ DEV, ino }, type, &added);

	if (i == GRAPH_NONE || !added)
		die("graph_ns_add");
	struct graph_ns *n = &g->ns[i];
	n->owner = owner;
	n->owner_err = owner == GRAPH_NONE ? EPERM : 0;
	if (type == NS_USER || type == NS_PID) {
		n->parent = type == NS_USER ? owner : GRAPH_NONE;
		n->parent_err = type == NS_USER ? n->owner_err : EPERM;
	}
	if (type == NS_USER)
		n->flags |= GRAPH_NS_HAS_CREATOR;
	return i;
}

static void parent(struct graph *g, uint32_t n, uint32_t up)
{
	g->ns[n].parent = up;
	g->ns[n].parent_err = up == GRAPH_NONE ? EPERM : 0;
}

struct set {
	uint32_t ns[NS_NTYPES];
};

/* The eight namespaces of a host at BASE+type, user topmost. */
static struct set host(struct graph *g, uint64_t base)
{
	struct set s;

	s.ns[NS_USER] = ns(g, base + NS_USER, NS_USER, GRAPH_NONE);
	g->ns[s.ns[NS_USER]].uid_map = graph_strdup(g, "         0          0 4294967295\n");
	g->ns[s.ns[NS_USER]].gid_map = g->ns[s.ns[NS_USER]].uid_map;
	for (unsigned t = 0; t < NS_NTYPES; t++)
		if (t != NS_USER)
			s.ns[t] = ns(g, base + t, t, s.ns[NS_USER]);
	return s;
}

static void links(struct graph_links *l, const struct set *s)
{
	for (unsigned t = 0; t < NS_NTYPES; t++) {
		l->ns[t] = s->ns[t];
		l->err[t] = 0;
	}
}

/* A listed process with links S, comm COMM, NStgid NSTGID (may be NULL). */
static struct graph_proc *proc(struct graph *g, int32_t pid, const struct set *s,
			       const char *comm, const char *nstgid)
{
	struct graph_proc *p = graph_proc_append(g, pid);

	if (!p)
		die("graph_proc_append");
	p->flags = GRAPH_PROC_LISTED;
	p->ppid = 1;
	p->start_time = 100 + (uint64_t)pid;
	p->comm = graph_strdup(g, comm);
	p->nstgid = graph_strdup(g, nstgid);
	p->status_err = 0;
	p->task_err = p->fd_err = 0;
	links(&p->links, s);
	return p;
}

/* Thread TID of the last process, links S. */
static void task(struct graph *g, int32_t tid, const struct set *s,
		 const char *comm)
{
	struct graph_task *t = graph_task_append(g, tid);

	if (!t)
		die("graph_task_append");
	t->comm = graph_strdup(g, comm);
	links(&t->links, s);
	g->procs[g->nprocs - 1].ntasks++;
}

static void fd(struct graph *g, int32_t num, uint32_t n)
{
	struct graph_fd *f = graph_fd_append(g);

	if (!f)
		die("graph_fd_append");
	f->fd = num;
	f->ns = n;
	g->procs[g->nprocs - 1].nfds++;
}

static void mount(struct graph *g, uint32_t mntns, uint32_t n, const char *path)
{
	struct graph_mount *m = graph_mount_append(g);

	if (!m)
		die("graph_mount_append");
	*m = (struct graph_mount){ .mntns = mntns, .ns = n,
				   .open_err = n == GRAPH_NONE ? ENOENT : 0,
				   .path = graph_strdup(g, path) };
}

/*
 * The small world: host 100..107; user 206 (child of the host's, maps
 * "0 1000 1") owning net 203 and uts 207; PID 204 (child of the host's);
 * net 303 pinned only by an fd; net 403 pinned by a bind mount; PID 1 with
 * two threads, the second in uts 207; PID 20 in user 206; PID 21 in PID
 * 204 with a *_for_children pin; PID 22 with a hostile comm; a gap.
 * LATER: the same a moment after, with changes for the diff.
 */
static struct graph *world(bool later)
{
	struct graph *g = new_graph();
	struct set h = host(g, 100), s20 = h, s21 = h, t2 = h;
	uint32_t u2 = ns(g, 206, NS_USER, h.ns[NS_USER]);
	uint32_t n2 = ns(g, 203, NS_NET, u2);
	uint32_t uts2 = ns(g, 207, NS_UTS, u2);
	uint32_t p2 = ns(g, 204, NS_PID, h.ns[NS_USER]);
	uint32_t n3 = ns(g, 303, NS_NET, h.ns[NS_USER]);
	uint32_t n4 = ns(g, 403, NS_NET, later ? u2 : h.ns[NS_USER]);

	parent(g, p2, h.ns[NS_PID]);
	g->ns[u2].creator_uid = 1000;
	g->ns[u2].uid_map = graph_strdup(g, later ? "0 1000 2\n" : "0 1000 1\n");
	g->ns[u2].gid_map = graph_strdup(g, "0 1000 1\n");
	g->ns[n2].flags |= GRAPH_NS_HAS_ID;
	g->ns[n2].kernel_id = later ? 4200 : 4100;
	s20.ns[NS_USER] = u2;
	s20.ns[NS_NET] = n2;
	s20.ns[NS_UTS] = uts2;
	s21.ns[NS_PID] = p2;
	t2.ns[NS_UTS] = uts2;

	proc(g, 1, &h, "init", "1");
	task(g, 1, &h, "init");
	task(g, 2, &t2, "init-uts");
	fd(g, 3, n3);
	if (!later) {
		proc(g, 20, &s20, "sh", "20");
		task(g, 20, &s20, "sh");
	}
	struct graph_proc *p = proc(g, 21, &s21, "sleep", "21\t1");
	p->links.pid_for_children = p2;
	p->links.time_for_children = h.ns[NS_TIME];
	task(g, 21, &s21, "sleep");
	proc(g, 22, &h, "q\"b\\c\nd\001\377\x1b[2J", NULL);
	g->procs[g->nprocs - 1].status_err = EACCES;
	task(g, 22, &h, "t\x1b]0;x\a");
	if (later) {
		struct set s30 = h;
		s30.ns[NS_NET] = ns(g, 503, NS_NET, h.ns[NS_USER]);
		proc(g, 30, &s30, "new", "30");
		task(g, 30, &s30, "new");
	}
	mount(g, h.ns[NS_MNT], n4, "/run/netns/x");
	mount(g, h.ns[NS_MNT], n3, "/run/netns/with\\040space");
	mount(g, h.ns[NS_MNT], GRAPH_NONE, "/run/netns/gone");
	graph_gap_add(g, 22, 0, EACCES, "status");
	return g;
}

/* User namespaces 206 and 306 each other's owner; PID 2 in 206. */
static struct graph *owner_cycle(void)
{
	struct graph *g = new_graph();
	struct set h = host(g, 100), s = h;
	uint32_t u2 = ns(g, 206, NS_USER, h.ns[NS_USER]);
	uint32_t u3 = ns(g, 306, NS_USER, u2);

	g->ns[u2].owner = g->ns[u2].parent = u3;
	s.ns[NS_USER] = u2;
	proc(g, 1, &h, "init", "1");
	proc(g, 2, &s, "sh", "2");
	return g;
}

/* The host's net namespace owns itself. */
static struct graph *self_owner(void)
{
	struct graph *g = new_graph();
	struct set h = host(g, 100);

	g->ns[h.ns[NS_NET]].owner = h.ns[NS_NET];
	proc(g, 1, &h, "init", "1");
	return g;
}

/* PID namespaces 204 and 304 each other's parent; PID 2 in 204. */
static struct graph *parent_cycle(void)
{
	struct graph *g = new_graph();
	struct set h = host(g, 100), s = h;
	uint32_t p2 = ns(g, 204, NS_PID, h.ns[NS_USER]);
	uint32_t p3 = ns(g, 304, NS_PID, h.ns[NS_USER]);

	parent(g, p2, p3);
	parent(g, p3, p2);
	s.ns[NS_PID] = p2;
	proc(g, 1, &h, "init", "1");
	proc(g, 2, &s, "sh", "2\t1");
	return g;
}

/* N user (or, with PID, PID) namespaces in a chain under the host's, PID 2
 * in the deepest. */
static struct graph *chain(unsigned n, bool pid)
{
	struct graph *g = new_graph();
	struct set h = host(g, 100), s = h;
	uint32_t up = pid ? h.ns[NS_PID] : h.ns[NS_USER];

	for (unsigned i = 0; i < n; i++) {
		uint32_t x = ns(g, 1000 + i, pid ? NS_PID : NS_USER,
				pid ? h.ns[NS_USER] : up);
		if (pid)
			parent(g, x, up);
		up = x;
	}
	s.ns[pid ? NS_PID : NS_USER] = up;
	proc(g, 1, &h, "init", "1");
	proc(g, 2, &s, "deep", "2\t1");
	return g;
}

/* A net namespace owned by a net namespace, a PID namespace whose parent
 * is a user namespace. */
static struct graph *wrong_types(void)
{
	struct graph *g = new_graph();
	struct set h = host(g, 100), s = h;

	s.ns[NS_NET] = ns(g, 203, NS_NET, h.ns[NS_NET]);
	s.ns[NS_PID] = ns(g, 204, NS_PID, h.ns[NS_USER]);
	parent(g, s.ns[NS_PID], h.ns[NS_USER]);
	proc(g, 1, &h, "init", "1");
	proc(g, 2, &s, "odd", "2\t1");
	return g;
}

/* Every owner out of sight: only the invisible ancestor's tree. */
static struct graph *invisible_only(void)
{
	struct graph *g = new_graph();
	struct set s;

	for (unsigned t = 0; t < NS_NTYPES; t++)
		s.ns[t] = ns(g, 100 + t, t, GRAPH_NONE);
	g->meta.types_present &= ~NS_TYPE_BIT(NS_USER);
	proc(g, 1, &s, "init", "1");
	proc(g, 2, &s, "sh", "2");
	return g;
}

/* ---- writing seeds ---------------------------------------------------- */

static void frame(struct codec_buf *b, const struct codec_rec *r)
{
	codec_put_uv(b, r->len);
	codec_put_bytes(b, r->data, r->len);
}

static void frame_graph(struct codec_buf *b, const struct graph *g)
{
	struct codec_snapshot s;

	if (codec_encode_graph(g, &s))
		die("codec_encode_graph");
	frame(b, &s.meta);
	for (size_t i = 0; i < s.nns; i++)
		frame(b, &s.ns[i]);
	for (size_t i = 0; i < s.nprocs; i++)
		frame(b, &s.procs[i]);
	for (size_t i = 0; i < s.nmounts; i++)
		frame(b, &s.mounts[i]);
	if (s.layout.len)
		frame(b, &s.layout);
	codec_snapshot_free(&s);
}

/* Option bytes, as fuzz_graph reads them. */
struct opts {
	const char *name;
	uint8_t b[4];
};

static const struct opts option_sets[] = {
	{ "default", { 0x00, 0x00, 80, 0x00 } },
	{ "pidns", { 0x01, 0x00, 80, 0x00 } },
	{ "tasks-deep", { 0x06, 0x00, 80, 0x00 } },
	{ "subtree", { 0x40, 0x00, 1, 0x00 } },
	{ "pidns-subtree", { 0x41, 0x00, 1, 0x00 } },
	{ "pids", { 0x80, 0x00, 0, 0x00 } },
	{ "comm-escape", { 0x08, 0x00, 80, 0x02 } },
	{ "pidns-allpids-color", { 0x11, 0x00, 40, 0x03 } },
	{ "netonly-nopids-all", { 0x20, NS_TYPE_BIT(NS_NET), 20, 0x04 } },
	{ "words", { 0xc0, 0x00, 3, 0x08 } },
};

#define NSETS (sizeof(option_sets) / sizeof(option_sets[0]))

/* Seed NAME-OPTS: graphs A and (when not NULL) B under option set K. */
static void seed(const char *name, const struct graph *a,
		 const struct graph *b, size_t k)
{
	char path[4096];
	struct codec_buf buf;
	FILE *f;

	codec_buf_init(&buf);
	codec_put_bytes(&buf, option_sets[k].b, 4);
	frame_graph(&buf, a);
	if (b)
		frame_graph(&buf, b);
	if (buf.err)
		die("out of memory");
	snprintf(path, sizeof(path), "%s/%s-%s", outdir, name,
		 option_sets[k].name);
	f = fopen(path, "wb");
	if (!f || fwrite(buf.data, 1, buf.len, f) != buf.len || fclose(f)) {
		perror(path);
		exit(1);
	}
	codec_buf_free(&buf);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
		return 2;
	}
	outdir = argv[1];

	struct graph *w = world(false), *w2 = world(true);
	for (size_t k = 0; k < NSETS; k++) {
		seed("world", w, NULL, k);
		seed("diff", w, w2, k);
	}
	graph_free(w);
	graph_free(w2);

	/* Each hostile graph under the options that reach what it breaks. */
	static const struct {
		const char *name;
		struct graph *(*make)(void);
		uint16_t sets;   /* bit K: option_sets[K] */
	} hostile[] = {
		{ "owner-cycle", owner_cycle, 0x01 | 0x08 | 0x20 | 0x200 },
		{ "self-owner", self_owner, 0x01 | 0x20 },
		{ "parent-cycle", parent_cycle, 0x01 | 0x02 | 0x10 },
		{ "wrong-types", wrong_types, 0x01 | 0x02 },
		{ "invisible", invisible_only, 0x01 | 0x08 },
	};
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		struct graph *g = hostile[i].make();
		for (size_t k = 0; k < NSETS; k++)
			if (hostile[i].sets & (1u << k))
				seed(hostile[i].name, g, NULL, k);
		graph_free(g);
	}

	struct graph *deep_user = chain(CHAIN, false);
	struct graph *deep_pid = chain(CHAIN, true);
	struct graph *at_limit = chain(MAX_DEPTH, false);
	seed("deep-user", deep_user, NULL, 0);
	seed("deep-user", deep_user, NULL, 3);
	seed("deep-pid", deep_pid, NULL, 1);
	seed("deep-pid", deep_pid, NULL, 4);
	seed("at-limit", at_limit, NULL, 0);
	seed("deep-vs-limit", at_limit, deep_user, 0);
	graph_free(deep_user);
	graph_free(deep_pid);
	graph_free(at_limit);
	return 0;
}
