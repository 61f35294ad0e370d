/*
 * test_store.c — the snapshot store against real LMDB in a temporary
 * directory: round trips, every selector form, reopening, map growth,
 * concurrent writers, deduplication, on-disk damage, paths that are not
 * stores, file modes, the namespace history; verification (of the label
 * table against the headers too), pruning (and
 * the history after it, and the file size under record+prune cycles),
 * copies taken while a writer writes, imported snapshots.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <lmdb.h>

#include "codec.h"
#include "graph.h"
#include "graphbuild.h"
#include "tmpstore.h"
#include "store.h"
#include "export.h"

/* ---- fixtures ----------------------------------------------------------- */

#define HOST_INO 4026531835ull
#define CONT_INO 4026532000ull
#define MAXC 64

static uint64_t cont_ino(unsigned c, unsigned type)
{
	return CONT_INO + c * 16ull + type;
}

/*
 * A plausible machine: the initial namespaces, NCONT containers of eight
 * namespaces each, NPROCS processes (process i in container i % 65 - 1
 * when that exists, else on the host) with 1-4 threads, a pinned fd on
 * every tenth, a bind mount per container.  TAG goes into every process
 * name: worlds with different tags share no process record.
 */
static struct graph *world(unsigned nprocs, unsigned ncont, const char *tag,
			   int64_t start_ns)
{
	struct graph *g = gb_new();
	uint32_t host[NS_NTYPES], cont[MAXC][NS_NTYPES];
	char buf[64];

	assert_true(ncont <= MAXC);
	g->meta = (struct graph_meta){
		.start_ns = start_ns,
		.end_ns = start_ns + 40000000,
		.hostname = graph_strdup(g, "testhost"),
		.kernel = graph_strdup(g, "6.1.0-test-amd64"),
		.boot_id = graph_strdup(g, "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"),
		.capturer_pid = 31337,
		/* What snapshots held before workloads: the sizes and page
		 * counts these tests measure are of records of version 1
		 * (test_store_v3 stores graphs with the facts). */
		.collected = GRAPH_HAVE_V1,
		.types_present = NS_ALL_TYPES,
		.nsfs_dev = 4,
	};
	for (unsigned t = 0; t < NS_NTYPES; t++)
		host[t] = gb_ns_at(g, 4, HOST_INO + t, t);
	for (unsigned c = 0; c < ncont; c++)
		for (unsigned t = 0; t < NS_NTYPES; t++)
			cont[c][t] = gb_ns_at(g, 4, cont_ino(c, t), t);
	for (size_t i = 0; i < g->nns; i++) {
		struct graph_ns *ns = &g->ns[i];
		unsigned c = (unsigned)((ns->key.ino - CONT_INO) / 16);
		bool in_cont = ns->key.ino >= CONT_INO;
		ns->flags = GRAPH_NS_HAS_ID;
		ns->kernel_id = ns->key.ino - 4026531800ull;
		ns->owner_err = 0;
		if (ns->type == NS_USER) {
			ns->owner = ns->parent = in_cont ? host[NS_USER] : GRAPH_NONE;
			ns->owner_err = ns->parent_err = in_cont ? 0 : EPERM;
			ns->flags |= GRAPH_NS_HAS_CREATOR;
			ns->creator_uid = in_cont ? 1000 + c : 0;
			snprintf(buf, sizeof(buf), "0 %u 65536\n", in_cont ? 100000 + c * 65536 : 0);
			ns->uid_map = graph_strdup(g, buf);
			ns->gid_map = graph_strdup(g, buf);
		} else {
			ns->owner = in_cont ? cont[c][NS_USER] : host[NS_USER];
		}
		if (ns->type == NS_PID) {
			ns->parent = in_cont ? host[NS_PID] : GRAPH_NONE;
			ns->parent_err = in_cont ? 0 : EPERM;
		}
	}
	for (unsigned i = 0; i < nprocs; i++) {
		int c = (int)(i % (MAXC + 1)) - 1;
		const uint32_t *ns = c >= 0 && (unsigned)c < ncont ? cont[c] : host;
		snprintf(buf, sizeof(buf), "%s-%u", tag, i % 50);
		struct graph_proc *p = gb_proc_comm(g, (int32_t)i + 1, buf);
		p->ppid = i ? 1 : 0;
		p->uid = ns == host ? 0 : 100000;
		p->start_time = 100 + i * 7;
		snprintf(buf, sizeof(buf), ns == host ? "%u" : "%u\t%u", i + 1, i % 50 + 1);
		p->nstgid = graph_strdup(g, buf);
		gb_links_own(&p->links, ns, 0);
		uint32_t nt = 1 + i % 4;
		for (uint32_t k = 0; k < nt; k++)
			gb_thread(g, p, (int32_t)(i + 1 + k * 100000));
		if (i % 10 == 0)
			gb_fd(g, p, 3, ns[NS_NET]);
	}
	for (unsigned c = 0; c < ncont; c++) {
		snprintf(buf, sizeof(buf), "/run/netns/c%u", c);
		gb_mount(g, host[NS_MNT], cont[c][NS_NET], buf);
	}
	assert_int_equal(graph_gap_add(g, 77777, 0, ENOENT, "ns"), 0);
	assert_int_equal(graph_gap_add(g, 1, 0, EACCES, "fd"), 0);
	return g;
}

static void assert_load_equal(struct store *s, uint64_t id, const struct graph *g)
{
	struct graph *back;

	assert_int_equal(store_load(s, id, &back), 0);
	assert_true(gb_same_graph(g, back));
	graph_free(back);
}

static uint64_t put(struct store *s, const struct graph *g, const char *label)
{
	uint64_t id = 0;
	int ret = store_put(s, g, label, &id);

	if (ret)
		fail_msg("store_put: %s", store_strerror(ret));
	return id;
}

static uint64_t resolve(struct store *s, const char *sel)
{
	uint64_t id = 0;
	int ret = store_resolve(s, sel, &id);

	if (ret)
		fail_msg("store_resolve(%s): %s", sel, store_strerror(ret));
	return id;
}

static uint64_t used(struct store *s)
{
	struct store_stat st;

	assert_int_equal(store_stat(s, &st), 0);
	return st.used;
}

/* Flip the case of the first byte of every copy of NEEDLE in FILE. */
static size_t damage(const char *file, const char *needle)
{
	int fd = open(file, O_RDWR);
	struct stat st;
	size_t hits = 0, n = strlen(needle);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	uint8_t *p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE,
			  MAP_SHARED, fd, 0);
	assert_true(p != MAP_FAILED);
	for (uint8_t *q = p; (q = memmem(q, (size_t)(p + st.st_size - q),
					 needle, n)); q += n) {
		*q ^= 0x20;
		hits++;
	}
	munmap(p, (size_t)st.st_size);
	close(fd);
	return hits;
}

/* ---- tests -------------------------------------------------------------- */

static void test_round_trips(void **state)
{
	(void)state;
	struct tmp t;
	struct store *s;
	struct graph *g[6];
	struct store_header h;

	tmp_make(&t);
	assert_int_equal(store_open(t.path, STORE_CREATE, &s), 0);
	for (unsigned i = 0; i < 6; i++) {
		char tag[32];
		snprintf(tag, sizeof(tag), "rt%u", i % 3);
		g[i] = world(50 + 40 * i, i, tag, 1700000000000000000 + i);
		assert_int_equal(put(s, g[i], i == 2 ? "two" : NULL), i + 1);
	}
	/* An empty graph is a snapshot too. */
	struct graph *empty = graph_new();
	assert_int_equal(put(s, empty, NULL), 7);
	for (unsigned i = 0; i < 6; i++)
		assert_load_equal(s, i + 1, g[i]);
	assert_load_equal(s, 7, empty);

	assert_int_equal(store_header(s, 3, &h), 0);
	assert_int_equal(h.id, 3);
	assert_string_equal(h.label, "two");
	assert_string_equal(h.host, "testhost");
	assert_string_equal(h.kernel, "6.1.0-test-amd64");
	assert_string_equal(h.boot_id, "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0");
	assert_true(h.start_ns == g[2]->meta.start_ns);
	assert_true(h.end_ns == g[2]->meta.end_ns);
	assert_int_equal(h.nns, g[2]->nns);
	assert_int_equal(h.nprocs, g[2]->nprocs);
	assert_int_equal(h.nthreads, g[2]->ntasks);
	assert_int_equal(h.npins, g[2]->nfds + g[2]->nmounts);
	assert_int_equal(h.ngaps, 2);
	assert_true(h.size > 0);
	assert_int_equal(store_header(s, 8, &h), STORE_ENOSNAP);
	assert_int_equal(store_header(s, 7, &h), 0);
	assert_string_equal(h.host, "");
	assert_string_equal(h.label, "");

	/* Reopened, read-only: everything is still there, nothing writable. */
	store_close(s);
	assert_int_equal(store_open(t.path, STORE_RDONLY, &s), 0);
	for (unsigned i = 0; i < 6; i++)
		assert_load_equal(s, i + 1, g[i]);
	uint64_t id;
	assert_int_equal(store_put(s, g[0], NULL, &id), STORE_ERDONLY);
	store_close(s);
	/* And writable again: ids go on. */
	assert_int_equal(store_open(t.path, 0, &s), 0);
	assert_int_equal(put(s, g[0], NULL), 8);
	assert_load_equal(s, 8, g[0]);
	store_close(s);

	for (unsigned i = 0; i < 6; i++)
		graph_free(g[i]);
	graph_free(empty);
	tmp_free(&t);
}

static void test_selectors(void **state)
{
	(void)state;
	struct tmp t;
	struct store *s;
	uint64_t id;
	/* 2024-03-01T00:00:00Z, and then hourly, half a second in. */
	const int64_t base = 1709251200LL * 1000000000 + 500000000;

	setenv("TZ", "EST5", 1);   /* UTC-5, no DST: local != UTC */
	tzset();
	tmp_make(&t);
	assert_int_equal(store_open(t.path, STORE_CREATE, &s), 0);
	assert_int_equal(store_resolve(s, "latest", &id), STORE_EEMPTY);
	assert_int_equal(store_resolve(s, "1", &id), STORE_ENOSNAP);
	assert_int_equal(store_resolve(s, "2024-03-01T00:00Z", &id), STORE_EEMPTY);

	for (unsigned i = 0; i < 10; i++) {
		struct graph *g = world(20, 1, "sel", base + (int64_t)i * 3600 * 1000000000);
		const char *label = i == 1 || i == 6 ? "alpha" : i == 4 ? "beta" : NULL;
		assert_int_equal(put(s, g, label), i + 1);
		graph_free(g);
	}
	assert_int_equal(resolve(s, "5"), 5);
	assert_int_equal(resolve(s, "10"), 10);
	assert_int_equal(resolve(s, "latest"), 10);
	assert_int_equal(resolve(s, "latest~0"), 10);
	assert_int_equal(resolve(s, "latest~3"), 7);
	assert_int_equal(resolve(s, "latest~9"), 1);
	assert_int_equal(resolve(s, "alpha"), 7);  /* the latest carrying it */
	assert_int_equal(resolve(s, "beta"), 5);
	assert_int_equal(resolve(s, "2024-03-01T02:30Z"), 3);
	assert_int_equal(resolve(s, "2024-03-01T02:00:00Z"), 3);
	assert_int_equal(resolve(s, "2024-03-01T01:59:59Z"), 2);
	assert_int_equal(resolve(s, "2024-02-29T21:00"), 3);     /* local */
	assert_int_equal(resolve(s, "2024-02-29T21:00:00"), 3);
	assert_int_equal(resolve(s, "2024-02-29T20:59:59"), 2);
	assert_int_equal(resolve(s, "2030-01-01T00:00"), 10);

	assert_int_equal(store_resolve(s, "11", &id), STORE_ENOSNAP);
	assert_int_equal(store_resolve(s, "0", &id), STORE_ENOSNAP);
	assert_int_equal(store_resolve(s, "184467440737095516160", &id), STORE_ENOSNAP);
	assert_int_equal(store_resolve(s, "latest~10", &id), STORE_ENOSNAP);
	assert_int_equal(store_resolve(s, "latest~99999999999", &id), STORE_ENOSNAP);
	assert_int_equal(store_resolve(s, "2024-02-29T18:59", &id), STORE_ENOSNAP);
	assert_int_equal(store_resolve(s, "2024-02-30T00:00", &id), STORE_ESELECTOR);
	assert_int_equal(store_resolve(s, "gamma", &id), STORE_ESELECTOR);
	assert_int_equal(store_resolve(s, "latest~x", &id), STORE_ESELECTOR);
	assert_int_equal(store_resolve(s, "", &id), STORE_ESELECTOR);
	assert_int_equal(store_resolve(s, NULL, &id), STORE_ESELECTOR);
	assert_non_null(strstr(store_strerror(STORE_ESELECTOR), "latest~N"));

	/* Labels that would read as another selector are refused. */
	struct graph *g = world(5, 0, "lbl", base);
	char longest[STORE_LABEL_MAX + 2];
	memset(longest, 'x', sizeof(longest));
	longest[STORE_LABEL_MAX + 1] = '\0';
	static const char *const bad[] = {
		"", "12", "latest", "latest~1", "latest~", "2024-01-01T00:00",
		"2024-01-01T00:00:00Z", "tab\there", "new\nline", "del\x7f",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(store_label_check(bad[i]), STORE_ELABEL);
		assert_int_equal(store_put(s, g, bad[i], &id), STORE_ELABEL);
	}
	assert_int_equal(store_put(s, g, longest, &id), STORE_ELABEL);
	longest[STORE_LABEL_MAX] = '\0';
	assert_int_equal(put(s, g, longest), 11);
	assert_int_equal(resolve(s, longest), 11);
	assert_int_equal(put(s, g, "before upgrade: ünïcode"), 12);
	assert_int_equal(resolve(s, "before upgrade: ünïcode"), 12);
	assert_int_equal(store_label_check(NULL), 0);
	graph_free(g);
	store_close(s);
	tmp_free(&t);
	unsetenv("TZ");
	tzset();
}

struct counter {
	uint64_t n, last;
	bool ordered;
};

static int count_cb(const struct store_header *h, void *ctx)
{
	struct counter *c = ctx;

	c->ordered = c->ordered && h->id == c->last + 1;
	c->last = h->id;
	c->n++;
	return 0;
}

static void test_map_growth(void **state)
{
	(void)state;
	struct tmp t;
	struct store *s;
	struct store_stat st;
	struct graph *big = world(20000, 60, "big", 1);

	tmp_make(&t);
	assert_int_equal(store_open(t.path, STORE_CREATE, &s), 0);
	assert_int_equal(store_stat(s, &st), 0);
	assert_true(st.map_size <= 1u << 20);
	uint64_t first = st.map_size;
	assert_int_equal(put(s, big, NULL), 1);
	assert_int_equal(store_stat(s, &st), 0);
	print_message("map grew from %" PRIu64 " to %" PRIu64 " bytes, %" PRIu64
		      " in use\n", first, st.map_size, st.used);
	assert_true(st.map_size >= 4 * first);
	assert_true(st.used > first);
	assert_load_equal(s, 1, big);
	store_close(s);
	/* Reopened, the store keeps the map it grew to. */
	assert_int_equal(store_open(t.path, STORE_RDONLY, &s), 0);
	assert_load_equal(s, 1, big);
	store_close(s);
	graph_free(big);
	tmp_free(&t);
}

#define WRITERS 2
#define WRITES 20

static struct graph *writer_graph(int w, int i)
{
	char tag[32];

	snprintf(tag, sizeof(tag), "w%d-%d", w, i);
	return world(400, 4, tag, (int64_t)w * 1000 + i);
}

/* In a child: no cmocka, just an exit status. */
static int writer(const char *path, int w)
{
	struct store *s;
	int ret = store_open(path, STORE_CREATE, &s);

	if (ret) {
		fprintf(stderr, "writer %d: open: %s\n", w, store_strerror(ret));
		return 1;
	}
	for (int i = 0; i < WRITES; i++) {
		char label[32];
		uint64_t id;
		struct graph *g = writer_graph(w, i);
		snprintf(label, sizeof(label), "w%d-%d", w, i);
		ret = store_put(s, g, label, &id);
		graph_free(g);
		if (ret) {
			fprintf(stderr, "writer %d: put: %s\n", w, store_strerror(ret));
			break;
		}
	}
	store_close(s);
	return ret ? 1 : 0;
}

static void test_concurrent_writers(void **state)
{
	(void)state;
	struct tmp t;
	struct store *s;
	struct store_stat st;
	pid_t pids[WRITERS];

	tmp_make(&t);
	/* Both create the store as well: that races too. */
	for (int w = 0; w < WRITERS; w++) {
		pids[w] = fork();
		assert_true(pids[w] >= 0);
		if (pids[w] == 0)
			_exit(writer(t.path, w));
	}
	for (int w = 0; w < WRITERS; w++) {
		int status;
		assert_int_equal(waitpid(pids[w], &status, 0), pids[w]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}

	assert_int_equal(store_open(t.path, STORE_RDONLY, &s), 0);
	struct counter c = { .ordered = true };
	assert_int_equal(store_list(s, count_cb, &c), 0);
	assert_int_equal(c.n, WRITERS * WRITES);
	assert_true(c.ordered);
	for (int w = 0; w < WRITERS; w++)
		for (int i = 0; i < WRITES; i++) {
			char label[32];
			snprintf(label, sizeof(label), "w%d-%d", w, i);
			struct graph *g = writer_graph(w, i);
			assert_load_equal(s, resolve(s, label), g);
			graph_free(g);
		}
	assert_int_equal(store_stat(s, &st), 0);
	print_message("40 snapshots by two writers: map %" PRIu64 ", used %" PRIu64 "\n",
		      st.map_size, st.used);
	assert_true(st.map_size > 1u << 20);
	store_close(s);
	tmp_free(&t);
}

static void test_dedup(void **state)
{
	(void)state;
	struct tmp t;
	struct store *s;
	struct store_header h1, h2, h3;
	struct graph *g = world(3000, 40, "dedup", 42);

	tmp_make(&t);
	assert_int_equal(store_open(t.path, STORE_CREATE, &s), 0);
	uint64_t u0 = used(s);
	assert_int_equal(put(s, g, NULL), 1);
	uint64_t u1 = used(s);
	assert_int_equal(put(s, g, NULL), 2);
	uint64_t u2 = used(s);
	/* One process more, one namespace changed: a small step too. */
	struct graph_proc *p = graph_proc_append(g, 99999);
	p->comm = graph_strdup(g, "newcomer");
	g->ns[9].kernel_id++;
	assert_int_equal(put(s, g, NULL), 3);
	uint64_t u3 = used(s);
	assert_load_equal(s, 3, g);

	assert_int_equal(store_header(s, 1, &h1), 0);
	assert_int_equal(store_header(s, 2, &h2), 0);
	assert_int_equal(store_header(s, 3, &h3), 0);
	print_message("store bytes: empty %" PRIu64 ", first %" PRIu64
		      " (+%" PRIu64 "), identical second +%" PRIu64
		      ", one change +%" PRIu64 "\n", u0, u1, u1 - u0, u2 - u1,
		      u3 - u2);
	print_message("records: first %" PRIu64 " bytes (%" PRIu64
		      " added), second %" PRIu64 " added, third %" PRIu64
		      " added\n", h1.size, h1.added, h2.added, h3.added);
	assert_true((u2 - u1) * 20 < u1 - u0);
	assert_int_equal(h2.added, 0);
	assert_int_equal(h1.added, h1.size);
	assert_memory_equal(h1.digest, h2.digest, 16);
	assert_true(h3.added < h1.size / 20);
	store_close(s);
	graph_free(g);
	tmp_free(&t);
}

static void test_damage(void **state)
{
	(void)state;
	struct tmp t;
	struct store *s;
	struct graph *a = world(200, 2, "clean", 1), *b = world(200, 2, "clean", 2);
	struct graph *back;
	char file[160];

	/* The victim: one process only snapshot 1 holds. */
	struct graph_proc *p = graph_proc_append(a, 4242);
	p->comm = graph_strdup(a, "victim-3f9a");
	tmp_make(&t);
	assert_int_equal(store_open(t.path, STORE_CREATE, &s), 0);
	assert_int_equal(put(s, a, "with-victim"), 1);
	assert_int_equal(put(s, b, NULL), 2);
	store_close(s);

	snprintf(file, sizeof(file), "%s/data.mdb", t.path);
	assert_true(damage(file, "victim-3f9a") >= 1);

	assert_int_equal(store_open(t.path, STORE_RDONLY, &s), 0);
	assert_int_equal(store_load(s, 1, &back), STORE_ECORRUPT);
	assert_null(back);
	const char *msg = store_strerror(STORE_ECORRUPT);
	print_message("damaged record: %s\n", msg);
	assert_non_null(strstr(msg, "does not match its hash"));
	assert_non_null(strstr(msg, "record "));
	/* The rest of the store is fine. */
	assert_load_equal(s, 2, b);
	struct counter c = { .ordered = true };
	assert_int_equal(store_list(s, count_cb, &c), 0);
	assert_int_equal(c.n, 2);
	store_close(s);

	/* Storing the same process again repairs the damaged copy. */
	assert_int_equal(store_open(t.path, STORE_CREATE, &s), 0);
	assert_int_equal(put(s, a, NULL), 3);
	assert_load_equal(s, 1, a);
	assert_load_equal(s, 3, a);
	store_close(s);

	/* A damaged header fails its checksum; the others still list. */
	assert_true(damage(file, "with-victim") >= 1);
	assert_int_equal(store_open(t.path, STORE_RDONLY, &s), 0);
	struct store_header h;
	assert_int_equal(store_header(s, 1, &h), STORE_ECORRUPT);
	assert_non_null(strstr(store_strerror(STORE_ECORRUPT), "header of snapshot 1"));
	c = (struct counter){ .ordered = true, .last = 1 };
	assert_int_equal(store_list(s, count_cb, &c), STORE_ECORRUPT);
	assert_int_equal(c.n, 2);
	assert_load_equal(s, 2, b);
	/* Time selectors look past it, in capture order: 3 holds A again,
	 * captured before B (2). */
	assert_int_equal(resolve(s, "2100-01-01T00:00Z"), 2);
	assert_int_equal(resolve(s, "1970-01-01T00:00Z"), 2);
	store_close(s);

	graph_free(a);
	graph_free(b);
	tmp_free(&t);
}

static void write_file(const char *path, const void *data, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, n), (ssize_t)n);
	close(fd);
}

static void test_not_a_store(void **state)
{
	(void)state;
	struct tmp t;
	struct store *s = (struct store *)1;
	char path[200], file[220];
	uint8_t garbage[8192];

	tmp_make(&t);
	/* Missing. */
	snprintf(path, sizeof(path), "%s/missing", t.dir);
	assert_int_equal(store_open(path, STORE_RDONLY, &s), -ENOENT);
	assert_null(s);
	/* A regular file, an empty one. */
	snprintf(path, sizeof(path), "%s/file", t.dir);
	write_file(path, "hello\n", 6);
	assert_int_equal(store_open(path, STORE_RDONLY, &s), -ENOTDIR);
	assert_int_equal(store_open(path, STORE_CREATE, &s), -ENOTDIR);
	snprintf(path, sizeof(path), "%s/empty", t.dir);
	write_file(path, "", 0);
	assert_int_equal(store_open(path, STORE_RDONLY, &s), -ENOTDIR);
	/* An empty directory is not a store (yet). */
	snprintf(path, sizeof(path), "%s/dir", t.dir);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(store_open(path, STORE_RDONLY, &s), STORE_ENOTSTORE);
	/* An empty data.mdb. */
	snprintf(file, sizeof(file), "%s/data.mdb", path);
	write_file(file, "", 0);
	assert_int_equal(store_open(path, STORE_RDONLY, &s), STORE_ENOTSTORE);
	/* Garbage, short and long: refused, and never overwritten. */
	for (size_t i = 0; i < sizeof(garbage); i++)
		garbage[i] = (uint8_t)(i * 131 + 7);
	write_file(file, garbage, 10);
	assert_int_equal(store_open(path, STORE_RDONLY, &s), STORE_ENOTSTORE);
	assert_int_equal(store_open(path, STORE_CREATE, &s), STORE_ENOTSTORE);
	write_file(file, garbage, sizeof(garbage));
	assert_int_equal(store_open(path, STORE_RDONLY, &s), STORE_ENOTSTORE);
	assert_int_equal(store_open(path, STORE_CREATE, &s), STORE_ENOTSTORE);
	struct stat st;
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_size, sizeof(garbage));
	assert_null(s);
	assert_int_equal(store_open(NULL, STORE_RDONLY, &s), -EINVAL);
	assert_int_equal(store_open(path, STORE_RDONLY | STORE_CREATE, &s), -EINVAL);

	/* A store whose format record says something else. */
	assert_int_equal(store_open(t.path, STORE_CREATE, &s), 0);
	store_close(s);
	snprintf(file, sizeof(file), "%s/data.mdb", t.path);
	int fd = open(file, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	uint8_t *map = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE,
			    MAP_SHARED, fd, 0);
	assert_true(map != MAP_FAILED);
	/* Every copy of the format record: a new store rewrote its page
	 * (open.c, reserve_pages()), and a freed copy may come first. */
	uint8_t *fmts[8];
	size_t nfmt = 0;
	for (uint8_t *p = map, *end = map + st.st_size;
	     nfmt < 8 && (p = memmem(p, (size_t)(end - p), "nsnapsto", 8)); p += 8)
		fmts[nfmt++] = p;
	assert_true(nfmt > 0);
#define FMT_SET(i, expr) \
	for (size_t k_ = 0; k_ < nfmt; k_++) { uint8_t *fmt = fmts[k_]; fmt[i] expr; }
	FMT_SET(11, = 7);        /* format version 7 */
	assert_int_equal(store_open(t.path, STORE_RDONLY, &s), STORE_ENEWER);
	assert_int_equal(store_open(t.path, STORE_CREATE, &s), STORE_ENEWER);
	FMT_SET(11, = 1);
	FMT_SET(12, ^= 'l' ^ 'b');   /* the other byte order */
	assert_int_equal(store_open(t.path, STORE_RDONLY, &s), STORE_EFOREIGN);
	FMT_SET(12, ^= 'l' ^ 'b');
	FMT_SET(0, = 'X');       /* someone else's LMDB */
	assert_int_equal(store_open(t.path, STORE_RDONLY, &s), STORE_ENOTSTORE);
	assert_int_equal(store_open(t.path, STORE_CREATE, &s), STORE_ENOTSTORE);
	FMT_SET(0, = 'n');
#undef FMT_SET
	munmap(map, (size_t)st.st_size);
	close(fd);
	assert_int_equal(store_open(t.path, STORE_RDONLY, &s), 0);
	store_close(s);

	/* Every code has its own words. */
	static const int codes[] = {
		STORE_ENOTSTORE, STORE_ENEWER, STORE_EFOREIGN, STORE_ENOSNAP,
		STORE_EEMPTY, STORE_ESELECTOR, STORE_ELABEL, STORE_ERDONLY,
		STORE_EGRAPH, STORE_EMAPMAX, -ENOENT, -30792 /* MDB_MAP_FULL */,
	};
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(store_strerror(codes[i]),
						store_strerror(codes[j]));
	assert_non_null(strstr(store_strerror(STORE_ENEWER), "newer"));
	tmp_free(&t);
}

static void check_modes(const char *dir, const char *store)
{
	char path[300];
	struct stat st;
	const char *sub[] = { "a", "a/b", "a/b/store" };

	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, sub[i]);
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0700);
	}
	snprintf(path, sizeof(path), "%s/data.mdb", store);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	snprintf(path, sizeof(path), "%s/lock.mdb", store);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
}

static void test_modes(void **state)
{
	(void)state;
	static const mode_t masks[] = { 0, 0777, 022 };
	struct tmp t;
	struct store *s;
	char path[200];

	for (size_t i = 0; i < 3; i++) {
		tmp_make(&t);
		snprintf(path, sizeof(path), "%s/a/b/store", t.dir);
		mode_t old = umask(masks[i]);
		int ret = store_open(path, STORE_CREATE, &s);
		umask(old);
		assert_int_equal(ret, 0);
		struct graph *g = world(3, 0, "m", 1);
		assert_int_equal(put(s, g, NULL), 1);
		graph_free(g);
		store_close(s);
		check_modes(t.dir, path);
		tmp_free(&t);
	}
}

#define HIST_MAX 32

struct hist {
	uint64_t ids[HIST_MAX];
	uint8_t hashes[HIST_MAX][16];
	bool gone[HIST_MAX];
	size_t n;
};

static int hist_cb(uint64_t id, const uint8_t hash[16], void *ctx)
{
	struct hist *h = ctx;

	assert_true(h->n < HIST_MAX);
	h->ids[h->n] = id;
	h->gone[h->n] = !hash;
	if (hash)
		memcpy(h->hashes[h->n], hash, 16);
	h->n++;
	return 0;
}

static void test_ns_history(void **state)
{
	(void)state;
	struct tmp t;
	struct store *s;
	struct graph *g1 = world(100, 3, "h", 1), *g2 = world(100, 3, "h", 2);
	struct graph *g3 = world(100, 2, "h", 3);  /* container 2 gone */
	struct ns_key changed = { 4, cont_ino(0, NS_NET) };
	struct ns_key vanishing = { 4, cont_ino(2, NS_UTS) };
	struct ns_key steady = { 4, HOST_INO + NS_USER };
	struct hist h;

	/* g2 and g3: container 0's net namespace has another kernel id. */
	g2->ns[graph_ns_find(g2, changed)].kernel_id = 1;
	g3->ns[graph_ns_find(g3, changed)].kernel_id = 1;
	tmp_make(&t);
	assert_int_equal(store_open(t.path, STORE_CREATE, &s), 0);
	assert_int_equal(put(s, g1, NULL), 1);
	assert_int_equal(put(s, g2, NULL), 2);
	assert_int_equal(put(s, g3, NULL), 3);
	assert_int_equal(put(s, g1, NULL), 4);

	memset(&h, 0, sizeof(h));
	assert_int_equal(store_ns_history(s, changed, hist_cb, &h), 0);
	assert_int_equal(h.n, 3);
	assert_int_equal(h.ids[0], 1);
	assert_int_equal(h.ids[1], 2);
	assert_int_equal(h.ids[2], 4);
	assert_memory_equal(h.hashes[0], h.hashes[2], 16);
	assert_memory_not_equal(h.hashes[0], h.hashes[1], 16);

	memset(&h, 0, sizeof(h));
	assert_int_equal(store_ns_history(s, vanishing, hist_cb, &h), 0);
	assert_int_equal(h.n, 3);
	assert_int_equal(h.ids[0], 1);
	assert_false(h.gone[0]);
	assert_int_equal(h.ids[1], 3);
	assert_true(h.gone[1]);
	assert_int_equal(h.ids[2], 4);
	assert_false(h.gone[2]);

	memset(&h, 0, sizeof(h));
	assert_int_equal(store_ns_history(s, steady, hist_cb, &h), 0);
	assert_int_equal(h.n, 1);
	assert_int_equal(h.ids[0], 1);

	memset(&h, 0, sizeof(h));
	assert_int_equal(store_ns_history(s, (struct ns_key){ 4, 1 }, hist_cb, &h), 0);
	assert_int_equal(h.n, 0);
	store_close(s);
	graph_free(g1);
	graph_free(g2);
	graph_free(g3);
	tmp_free(&t);
}

static void test_default_path(void **state)
{
	(void)state;
	const char *p;
	pid_t pid;
	int status;

	setenv("NSNAP_STORE", "/somewhere/else", 1);
	p = store_default_path();
	assert_non_null(p);
	assert_string_equal(p, "/somewhere/else");
	unsetenv("NSNAP_STORE");
	if (geteuid() != 0)
		return;
	assert_string_equal(store_default_path(), "/var/lib/nsnap");

	/* As somebody else: the XDG state directory, then the home one. */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int bad = 0;
		if (setuid(65534))
			_exit(2);
		setenv("XDG_STATE_HOME", "/xdg/state", 1);
		p = store_default_path();
		bad |= !p || strcmp(p, "/xdg/state/nsnap");
		setenv("XDG_STATE_HOME", "relative", 1);
		setenv("HOME", "/home/someone", 1);
		p = store_default_path();
		bad |= !p || strcmp(p, "/home/someone/.local/state/nsnap");
		unsetenv("XDG_STATE_HOME");
		p = store_default_path();
		bad |= !p || strcmp(p, "/home/someone/.local/state/nsnap");
		_exit(bad);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_bad_graph(void **state)
{
	(void)state;
	struct tmp t;
	struct store *s;
	uint64_t id;
	struct graph *g = world(10, 1, "bad", 1);

	g->procs[3].links.ns[NS_NET] = 5000;
	tmp_make(&t);
	assert_int_equal(store_open(t.path, STORE_CREATE, &s), 0);
	assert_int_equal(store_put(s, g, NULL, &id), STORE_EGRAPH);
	assert_int_equal(store_resolve(s, "latest", &id), STORE_EEMPTY);
	store_close(s);
	graph_free(g);
	tmp_free(&t);
}

/* ---- verify ------------------------------------------------------------- */

struct checks {
	uint64_t ids[64];
	uint8_t recs[64][16];
	bool has_rec[64];
	size_t n, seen;
};

static int check_cb(const struct store_check *c, void *ctx)
{
	struct checks *k = ctx;

	k->seen++;
	if (!c->err) {
		assert_null(c->what);
		return 0;
	}
	assert_non_null(c->what);
	assert_true(k->n < 64);
	k->ids[k->n] = c->id;
	k->has_rec[k->n] = c->has_record;
	memcpy(k->recs[k->n], c->record, 16);
	k->n++;
	return 0;
}

/* The hash under which the store keeps the record of process PID of G. */
static void proc_hash(const struct graph *g, int32_t pid, uint8_t out[16])
{
	struct codec_snapshot snap;
	struct codec_hash h;
	size_t i;

	for (i = 0; i < g->nprocs && g->procs[i].pid != pid; i++)
		;
	assert_true(i < g->nprocs);
	assert_int_equal(codec_encode_graph(g, &snap), 0);
	codec_hash(snap.procs[i].data, snap.procs[i].len, &h);
	memcpy(out, h.b, 16);
	codec_snapshot_free(&snap);
}

static void test_verify(void **state)
{
	(void)state;
	struct tmp t;
	struct store *s;
	struct graph *g[5];
	struct checks k;
	uint64_t bad;
	uint8_t victim[16];
	char file[160];

	/* Snapshots 2 and 3 hold the victim; 1, 4 and 5 do not. */
	for (unsigned i = 0; i < 5; i++) {
		g[i] = world(150, 2, i == 4 ? "other" : "vfy", 10 + i);
		if (i == 1 || i == 2) {
			struct graph_proc *p = graph_proc_append(g[i], 4242);
			p->comm = graph_strdup(g[i], "victim-77c1");
		}
	}
	proc_hash(g[1], 4242, victim);
	tmp_make(&t);
	assert_int_equal(store_open(t.path, STORE_CREATE, &s), 0);
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(put(s, g[i], i == 3 ? "four" : NULL), i + 1);

	memset(&k, 0, sizeof(k));
	assert_int_equal(store_verify(s, 0, check_cb, &k, NULL, &bad), 0);
	assert_int_equal(k.seen, 5);
	assert_int_equal(k.n, 0);
	assert_int_equal(bad, 0);
	assert_int_equal(store_verify(s, 3, NULL, NULL, NULL, NULL), 0);
	assert_int_equal(store_verify(s, 6, NULL, NULL, NULL, NULL), STORE_ENOSNAP);
	store_close(s);

	snprintf(file, sizeof(file), "%s/data.mdb", t.path);
	assert_true(damage(file, "victim-77c1") >= 1);
	assert_int_equal(store_open(t.path, STORE_RDONLY, &s), 0);
	memset(&k, 0, sizeof(k));
	assert_int_equal(store_verify(s, 0, check_cb, &k, NULL, &bad), STORE_ECORRUPT);
	assert_int_equal(k.seen, 5);
	assert_int_equal(bad, 2);
	assert_int_equal(k.n, 2);
	assert_int_equal(k.ids[0], 2);
	assert_int_equal(k.ids[1], 3);
	for (size_t i = 0; i < 2; i++) {
		assert_true(k.has_rec[i]);
		assert_memory_equal(k.recs[i], victim, 16);
	}
	/* One at a time, too; the whole ones pass. */
	assert_int_equal(store_verify(s, 2, NULL, NULL, NULL, NULL), STORE_ECORRUPT);
	assert_int_equal(store_verify(s, 4, NULL, NULL, NULL, NULL), 0);
	store_close(s);

	/* A damaged header: that snapshot, and no record named. */
	assert_true(damage(file, "four") >= 1);
	assert_int_equal(store_open(t.path, STORE_RDONLY, &s), 0);
	memset(&k, 0, sizeof(k));
	assert_int_equal(store_verify(s, 0, check_cb, &k, NULL, &bad), STORE_ECORRUPT);
	assert_int_equal(bad, 3);
	assert_int_equal(k.ids[2], 4);
	assert_false(k.has_rec[2]);
	store_close(s);

	/* Recording the victim again heals it: only the header is left. */
	assert_int_equal(store_open(t.path, 0, &s), 0);
	assert_int_equal(put(s, g[1], NULL), 6);
	memset(&k, 0, sizeof(k));
	assert_int_equal(store_verify(s, 0, check_cb, &k, NULL, &bad), STORE_ECORRUPT);
	assert_int_equal(bad, 1);
	assert_int_equal(k.ids[0], 4);
	store_close(s);
	for (unsigned i = 0; i < 5; i++)
		graph_free(g[i]);
	tmp_free(&t);
}

/* Make label LABEL's entries in the store at PATH say only ID (0: none),
 * with LMDB directly, as a damaged or edited store would. */
static void label_poke(const char *path, const char *label, uint64_t id)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	uint8_t v[8];
	MDB_val key = { strlen(label), (void *)label }, val = { 8, v };

	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
	assert_int_equal(mdb_env_open(env, path, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "labels", MDB_DUPSORT, &dbi), 0);
	assert_int_equal(mdb_del(txn, dbi, &key, NULL), 0);
	for (int i = 0; i < 8; i++)
		v[i] = (uint8_t)(id >> (56 - 8 * i));
	if (id)
		assert_int_equal(mdb_put(txn, dbi, &key, &val, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

struct table_faults {
	size_t snapshots, tables;
	char what[4][160];
};

static int faults_cb(const struct store_check *c, void *ctx)
{
	struct table_faults *f = ctx;

	if (c->id) {
		f->snapshots++;
		return 0;
	}
	assert_int_equal(c->err, STORE_ECORRUPT);
	assert_true(f->tables < 4);
	snprintf(f->what[f->tables++], sizeof(f->what[0]), "%s", c->what);
	return 0;
}

/* SEL selects nothing: the store is corrupt, in WORDS. */
static void resolve_corrupt(struct store *s, const char *sel,
			    const char *words)
{
	char want[256];
	uint64_t id;

	assert_int_equal(store_resolve(s, sel, &id), STORE_ECORRUPT);
	snprintf(want, sizeof(want), "corrupt store: %s", words);
	assert_string_equal(store_strerror(STORE_ECORRUPT), want);
}

/* The label table against the headers: a moved entry selects nothing and
 * verify names both sides; a missing one is named too. */
static void test_verify_labels(void **state)
{
	(void)state;
	struct tmp t;
	struct store *s;
	struct graph *g = world(20, 1, "lbl", 3);
	struct table_faults f;
	uint64_t bad;

	tmp_make(&t);
	assert_int_equal(store_open(t.path, STORE_CREATE, &s), 0);
	assert_int_equal(put(s, g, "a"), 1);
	assert_int_equal(put(s, g, "b"), 2);
	assert_int_equal(put(s, g, NULL), 3);
	store_close(s);

	label_poke(t.path, "b", 1);
	assert_int_equal(store_open(t.path, STORE_RDONLY, &s), 0);
	resolve_corrupt(s, "b", "the label table names snapshot 1, whose "
			"header carries another label");
	assert_int_equal(resolve(s, "a"), 1);
	memset(&f, 0, sizeof(f));
	assert_int_equal(store_verify(s, 0, faults_cb, &f, NULL, &bad),
			 STORE_ECORRUPT);
	assert_int_equal(bad, 0);
	assert_int_equal(f.snapshots, 3);
	assert_int_equal(f.tables, 2);
	assert_string_equal(f.what[0], "label 'b' of snapshot 2 has no entry "
			    "in the label table");
	assert_string_equal(f.what[1], "label 'b': the label table names "
			    "snapshot 1, whose header carries another label");
	/* One snapshot: the entries naming it, and its own label's. */
	memset(&f, 0, sizeof(f));
	assert_int_equal(store_verify(s, 3, faults_cb, &f, NULL, &bad), 0);
	assert_int_equal(f.tables, 0);
	assert_int_equal(store_verify(s, 1, faults_cb, &f, NULL, &bad),
			 STORE_ECORRUPT);
	assert_int_equal(f.tables, 1);
	store_close(s);

	/* Pointing at nothing. */
	label_poke(t.path, "b", 9);
	assert_int_equal(store_open(t.path, STORE_RDONLY, &s), 0);
	resolve_corrupt(s, "b", "the label table names snapshot 9, which "
			"does not exist");
	store_close(s);

	/* Back as it was: whole again. */
	label_poke(t.path, "b", 2);
	assert_int_equal(store_open(t.path, STORE_RDONLY, &s), 0);
	assert_int_equal(resolve(s, "b"), 2);
	assert_int_equal(store_verify(s, 0, NULL, NULL, NULL, &bad), 0);
	store_close(s);
	graph_free(g);
	tmp_free(&t);
}

/* ---- prune -------------------------------------------------------------- */

#define PRUNE_N 10
#define HIST_BASE 1700000000000000000LL

/* Ten snapshots whose namespaces come, go and change: containers 1-4 in a
 * varying number, container 0's net namespace changing every third. */
static struct graph *hist_world(unsigned i)
{
	char tag[16];

	snprintf(tag, sizeof(tag), "pr%u", i % 3);
	struct graph *g = world(60 + 10 * (i % 2), 1 + (i * 7) % 4, tag,
				HIST_BASE + (int64_t)i * 1000000000);
	uint32_t n = graph_ns_find(g, (struct ns_key){ 4, cont_ino(0, NS_NET) });
	assert_true(n != GRAPH_NONE);
	g->ns[n].kernel_id = 1000 + i / 3;
	return g;
}

static const char *hist_label(unsigned i)
{
	return i == 1 || i == 8 ? "kept-or-not" : i == 3 ? "three" : NULL;
}

static void history(struct store *s, struct ns_key k, struct hist *h)
{
	memset(h, 0, sizeof(*h));
	assert_int_equal(store_ns_history(s, k, hist_cb, h), 0);
}

/*
 * The pruned store A, holding snapshots A_IDS[0..n) of hist_world(WHICH[i]),
 * against a fresh store B holding only those graphs (ids 1..n): the same
 * records, every snapshot the same, every namespace the same history.
 */
static void assert_like_fresh(struct store *a, const uint64_t *a_ids,
			      const unsigned *which, size_t n, const char *dir)
{
	static unsigned serial;
	struct store *b;
	struct store_stat sa, sb;
	char path[200];

	snprintf(path, sizeof(path), "%s/fresh-%u", dir, serial++);
	assert_int_equal(store_open(path, STORE_CREATE, &b), 0);
	for (size_t i = 0; i < n; i++) {
		struct graph *g = hist_world(which[i]);
		assert_int_equal(put(b, g, hist_label(which[i])), i + 1);
		assert_load_equal(a, a_ids[i], g);
		graph_free(g);
	}
	assert_int_equal(store_stat(a, &sa), 0);
	assert_int_equal(store_stat(b, &sb), 0);
	assert_int_equal(sa.snapshots, n);
	assert_int_equal(sa.records, sb.records);

	for (unsigned c = 0; c <= 4; c++)
		for (unsigned ty = 0; ty < NS_NTYPES; ty++) {
			struct ns_key k = { 4, c < 4 ? cont_ino(c, ty) : HOST_INO + ty };
			struct hist ha, hb;
			history(a, k, &ha);
			history(b, k, &hb);
			assert_int_equal(ha.n, hb.n);
			for (size_t i = 0; i < ha.n; i++) {
				assert_int_equal(ha.ids[i], a_ids[hb.ids[i] - 1]);
				assert_int_equal(ha.gone[i], hb.gone[i]);
				if (!ha.gone[i])
					assert_memory_equal(ha.hashes[i], hb.hashes[i], 16);
			}
		}
	assert_int_equal(store_verify(a, 0, NULL, NULL, NULL, NULL), 0);
	store_close(b);
}

struct prune_case {
	const char *name;
	struct store_prune_opts o;
	uint64_t ids[PRUNE_N];    /* ids expected to remain */
	size_t n;
	uint64_t labels;          /* label entries expected to go */
};

static void test_prune(void **state)
{
	(void)state;
	static const uint64_t oldest[] = { 1, 2, 3 }, middle[] = { 4, 5, 8 };
	static const uint64_t newest[] = { 10, 99 };
	const struct prune_case cases[] = {
		{ "oldest", { .ids = oldest, .nids = 3 },
		  { 4, 5, 6, 7, 8, 9, 10 }, 7, 1 },
		{ "middle", { .ids = middle, .nids = 3 },
		  { 1, 2, 3, 6, 7, 9, 10 }, 7, 1 },
		{ "newest", { .ids = newest, .nids = 2 },
		  { 1, 2, 3, 4, 5, 6, 7, 8, 9 }, 9, 0 },
		{ "keep", { .keep_set = true, .keep = 3 }, { 8, 9, 10 }, 3, 2 },
		{ "before", { .before_set = true,
			      .before_ns = HIST_BASE + 6 * 1000000000LL },
		  { 7, 8, 9, 10 }, 4, 2 },
		{ "union", { .keep_set = true, .keep = 5, .ids = newest, .nids = 1 },
		  { 6, 7, 8, 9 }, 4, 2 },
		{ "all", { .keep_set = true, .keep = 0 }, { 0 }, 0, 3 },
		{ "none", { .keep_set = true, .keep = 10 },
		  { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 }, 10, 0 },
	};
	struct tmp t;

	tmp_make(&t);
	for (size_t ci = 0; ci < sizeof(cases) / sizeof(cases[0]); ci++) {
		const struct prune_case *pc = &cases[ci];
		struct store_prune_result r, dry;
		struct store_prune_opts o = pc->o;
		struct store *s;
		char path[200];
		unsigned which[PRUNE_N + 1];
		uint64_t id;

		print_message("prune case %s\n", pc->name);
		snprintf(path, sizeof(path), "%s/case%zu", t.dir, ci);
		assert_int_equal(store_open(path, STORE_CREATE, &s), 0);
		for (unsigned i = 0; i < PRUNE_N; i++) {
			struct graph *g = hist_world(i);
			assert_int_equal(put(s, g, hist_label(i)), i + 1);
			graph_free(g);
		}
		uint64_t records_before = 0;
		struct store_stat st;
		assert_int_equal(store_stat(s, &st), 0);
		records_before = st.records;

		/* A dry run says the same and changes nothing. */
		o.dry_run = true;
		assert_int_equal(store_prune(s, &o, &dry), 0);
		assert_int_equal(store_stat(s, &st), 0);
		assert_int_equal(st.snapshots, PRUNE_N);
		assert_int_equal(st.records, records_before);
		o.dry_run = false;

		assert_int_equal(store_prune(s, &o, &r), 0);
		assert_memory_equal(&r, &dry, sizeof(r));
		assert_int_equal(r.snapshots, PRUNE_N - pc->n);
		assert_int_equal(r.remaining, pc->n);
		assert_int_equal(r.unreadable, 0);
		assert_int_equal(r.labels, pc->labels);
		assert_int_equal(store_stat(s, &st), 0);
		assert_int_equal(records_before - st.records, r.records);
		assert_true(pc->n == PRUNE_N || r.records > 0);
		for (size_t i = 0; i < pc->n; i++)
			which[i] = (unsigned)pc->ids[i] - 1;
		assert_like_fresh(s, pc->ids, which, pc->n, t.dir);
		for (uint64_t i = 1; i <= PRUNE_N; i++) {
			bool kept = false;
			for (size_t j = 0; j < pc->n; j++)
				kept |= pc->ids[j] == i;
			struct store_header h;
			assert_int_equal(store_header(s, i, &h), kept ? 0 : STORE_ENOSNAP);
		}
		/* Labels of removed snapshots are gone, others resolve
		 * ("three" is on snapshot 4, "kept-or-not" on 2 and 9). */
		bool has4 = false, has2 = false, has9 = false;
		for (size_t j = 0; j < pc->n; j++) {
			has2 |= pc->ids[j] == 2;
			has4 |= pc->ids[j] == 4;
			has9 |= pc->ids[j] == 9;
		}
		assert_int_equal(store_resolve(s, "three", &id), has4 ? 0 : STORE_ESELECTOR);
		if (has4)
			assert_int_equal(id, 4);
		assert_int_equal(store_resolve(s, "kept-or-not", &id),
				 has2 || has9 ? 0 : STORE_ESELECTOR);
		if (has2 || has9)
			assert_int_equal(id, has9 ? 9 : 2);

		/* Ids are never given twice, and the index goes on right. */
		struct graph *g = hist_world(3);
		assert_int_equal(put(s, g, NULL), PRUNE_N + 1);
		graph_free(g);
		which[pc->n] = 3;
		uint64_t ids[PRUNE_N + 1];
		memcpy(ids, pc->ids, pc->n * sizeof(ids[0]));
		ids[pc->n] = PRUNE_N + 1;
		assert_like_fresh(s, ids, which, pc->n + 1, t.dir);
		store_close(s);
	}
	tmp_free(&t);
}

/* Damage a remaining snapshot's list: its records are kept, the others'
 * still go when the damaged one is pruned as well. */
static void test_prune_damaged(void **state)
{
	(void)state;
	struct tmp t;
	struct store *s;
	struct store_prune_result r;
	struct store_stat st;
	char file[160];

	tmp_make(&t);
	assert_int_equal(store_open(t.path, STORE_CREATE, &s), 0);
	for (unsigned i = 0; i < 4; i++) {
		struct graph *g = world(80, 1, i == 2 ? "dmg" : "fine", 100 + i);
		if (i == 2) {
			struct graph_proc *p = graph_proc_append(g, 5151);
			p->comm = graph_strdup(g, "damaged-5151");
		}
		assert_int_equal(put(s, g, i == 2 ? "hurt" : NULL), i + 1);
		graph_free(g);
	}
	store_close(s);
	/* Snapshot 3's header: its records are unknown to a prune. */
	snprintf(file, sizeof(file), "%s/data.mdb", t.path);
	assert_true(damage(file, "hurt") >= 1);
	assert_int_equal(store_open(t.path, 0, &s), 0);
	assert_int_equal(store_prune(s, &(struct store_prune_opts){
		.ids = (uint64_t[]){ 1 }, .nids = 1 }, &r), 0);
	assert_int_equal(r.snapshots, 1);
	assert_int_equal(r.unreadable, 1);
	assert_int_equal(r.records, 0);
	/* --before cannot tell its time: it stays. */
	assert_int_equal(store_prune(s, &(struct store_prune_opts){
		.before_set = true, .before_ns = INT64_MAX }, &r), 0);
	assert_int_equal(r.snapshots, 2);
	assert_int_equal(r.remaining, 1);
	/* Named, it goes, and then so does everything. */
	assert_int_equal(store_prune(s, &(struct store_prune_opts){
		.ids = (uint64_t[]){ 3 }, .nids = 1 }, &r), 0);
	assert_int_equal(r.snapshots, 1);
	assert_int_equal(r.unreadable, 0);
	assert_int_equal(store_stat(s, &st), 0);
	assert_int_equal(st.snapshots, 0);
	assert_int_equal(st.records, 0);
	assert_int_equal(store_prune(s, &(struct store_prune_opts){
		.keep_set = true }, &r), 0);
	assert_int_equal(r.snapshots, 0);
	store_close(s);
	assert_int_equal(store_open(t.path, STORE_RDONLY, &s), 0);
	assert_int_equal(store_prune(s, &(struct store_prune_opts){
		.keep_set = true }, &r), STORE_ERDONLY);
	store_close(s);
	tmp_free(&t);
}

static off_t file_size(const char *dir)
{
	char path[200];
	struct stat st;

	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

/*
 * Periodic capture with --keep: the data file stops growing.  LMDB reuses
 * the freed pages; what it cannot reuse at once (a run of pages for a big
 * value where the free ones are scattered) makes the file creep a few
 * pages more before that too settles, so the bound has some slack while
 * the bytes written are many times the file.
 */
static void test_prune_size(void **state)
{
	(void)state;
	struct tmp t;
	struct store *s;
	struct store_prune_result r;
	struct store_header h;
	const struct store_prune_opts keep = { .keep_set = true, .keep = 4 };
	off_t at60 = 0, at240;
	uint64_t written = 0, written60 = 0;
	char tag[32];

	tmp_make(&t);
	assert_int_equal(store_open(t.path, STORE_CREATE, &s), 0);
	for (unsigned i = 0; i < 240; i++) {
		/* A quarter of the processes new each time: churn. */
		struct graph *g = world(100, 3, "steady", (int64_t)i);
		for (unsigned j = 0; j < 25; j++) {
			snprintf(tag, sizeof(tag), "cyc%u-%u", i, j);
			struct graph_proc *p = graph_proc_append(g, (int32_t)(50000 + j));
			p->comm = graph_strdup(g, tag);
		}
		uint64_t id = put(s, g, i % 2 ? "odd" : NULL);
		graph_free(g);
		assert_int_equal(store_header(s, id, &h), 0);
		written += h.added;
		assert_int_equal(store_prune(s, &keep, &r), 0);
		assert_int_equal(r.remaining, i < 4 ? i + 1 : 4);
		if (i == 59) {
			at60 = file_size(t.path);
			written60 = written;
		}
	}
	at240 = file_size(t.path);
	print_message("data.mdb after 60 and 240 record+prune cycles: %lld, "
		      "%lld bytes; %" PRIu64 " bytes of records written in "
		      "between\n", (long long)at60, (long long)at240,
		      written - written60);
	/* Without pruning it would have grown by all that was written. */
	assert_true(at240 <= at60 + at60 / 8);
	assert_true((uint64_t)(at240 - at60) * 20 < written - written60);
	assert_int_equal(store_verify(s, 0, NULL, NULL, NULL, NULL), 0);
	store_close(s);
	tmp_free(&t);
}

/* ---- copy --------------------------------------------------------------- */

static void test_copy(void **state)
{
	(void)state;
	struct tmp t;
	struct store *s, *c;
	struct store_stat st, cst;
	struct counter cnt = { .ordered = true };
	char dest[200], path[240];
	pid_t pid;
	int status;

	tmp_make(&t);
	assert_int_equal(store_open(t.path, STORE_CREATE, &s), 0);
	struct graph *g = writer_graph(7, 0);
	assert_int_equal(put(s, g, "w7-0"), 1);
	graph_free(g);
	/* Churn, so that there are free pages to leave out. */
	for (int i = 0; i < 5; i++) {
		g = writer_graph(8, i);
		put(s, g, NULL);
		graph_free(g);
	}
	assert_int_equal(store_prune(s, &(struct store_prune_opts){
		.ids = (uint64_t[]){ 2, 3, 4, 5, 6 }, .nids = 5 }, NULL), 0);

	/* A writer goes on while the copy is taken. */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(writer(t.path, 0));
	for (;;) {
		assert_int_equal(store_stat(s, &st), 0);
		if (st.snapshots >= 4)
			break;
		usleep(2000);
	}
	snprintf(dest, sizeof(dest), "%s/backup/new", t.dir);
	mode_t old = umask(0);
	int ret = store_copy(s, dest, &cst);
	umask(old);
	assert_int_equal(ret, 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	struct stat sb;
	assert_int_equal(stat(dest, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0700);
	snprintf(path, sizeof(path), "%s/data.mdb", dest);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	snprintf(path, sizeof(path), "%s/data.mdb.partial", dest);
	assert_int_equal(stat(path, &sb), -1);

	/* One moment's state: whole snapshots, every one as written. */
	assert_int_equal(store_open(dest, STORE_RDONLY, &c), 0);
	assert_int_equal(store_verify(c, 0, NULL, NULL, NULL, NULL), 0);
	assert_int_equal(store_list(c, count_cb, &cnt), 0);
	print_message("copy taken with %" PRIu64 " snapshots, %" PRIu64
		      " bytes used (the original %" PRIu64 " after the writer)\n",
		      cnt.n, cst.used, used(s));
	assert_true(cnt.n >= 4 && cnt.n <= 1 + WRITES);
	assert_int_equal(cst.snapshots, cnt.n);
	g = writer_graph(7, 0);
	assert_load_equal(c, resolve(c, "w7-0"), g);
	graph_free(g);
	for (int i = 0; i < (int)cnt.n - 1; i++) {
		char label[32];
		snprintf(label, sizeof(label), "w0-%d", i);
		g = writer_graph(0, i);
		assert_load_equal(c, resolve(c, label), g);
		graph_free(g);
	}
	/* Pruned ids stay pruned there too: the next id is past them. */
	store_close(c);
	assert_int_equal(store_open(dest, 0, &c), 0);
	g = writer_graph(9, 9);
	uint64_t id = put(c, g, NULL);
	assert_true(id > cnt.n + 5);
	graph_free(g);
	store_close(c);

	/* Never over an existing store, nor into a file. */
	assert_int_equal(store_copy(s, dest, NULL), -EEXIST);
	assert_int_equal(store_copy(s, t.path, NULL), -EEXIST);
	snprintf(path, sizeof(path), "%s/data.mdb", dest);
	assert_int_equal(store_copy(s, path, NULL), -ENOTDIR);
	store_close(s);
	tmp_free(&t);
}

/* ---- import ------------------------------------------------------------- */

/* The store's format version, read with LMDB itself (the file also holds
 * stale copies of the record in free pages). */
static bool format_is(const char *dir, uint8_t version)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val key = { 6, "format" }, val;
	bool ok;

	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 8), 0);
	assert_int_equal(mdb_env_open(env, dir, MDB_RDONLY | MDB_NOTLS, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
	assert_int_equal(mdb_get(txn, dbi, &key, &val), 0);
	assert_int_equal(val.mv_size, 16);
	ok = ((const uint8_t *)val.mv_data)[11] == version;
	mdb_txn_abort(txn);
	mdb_env_close(env);
	return ok;
}

static void test_put_imported(void **state)
{
	(void)state;
	struct tmp t;
	struct store *s;
	struct store_header h;
	struct graph *local = world(100, 2, "here", 5000);
	struct graph *foreign = world(120, 3, "there", 4000);
	struct ns_key host_net = { 4, HOST_INO + NS_NET };
	struct hist hi;
	uint64_t id;

	foreign->meta.hostname = graph_strdup(foreign, "elsewhere");
	foreign->meta.boot_id = graph_strdup(foreign, "ffffffff-0000-1111-2222-333333333333");
	/* The foreign machine's host namespaces have the same numbers as
	 * ours, with other contents: they must not enter our index. */
	foreign->ns[graph_ns_find(foreign, host_net)].kernel_id = 777;

	tmp_make(&t);
	assert_int_equal(store_open(t.path, STORE_CREATE, &s), 0);
	assert_int_equal(put(s, local, NULL), 1);
	assert_true(format_is(t.path, 6));
	assert_int_equal(store_put_imported(s, foreign, "bad\nlabel", 9, &id), STORE_ELABEL);
	assert_int_equal(store_put_imported(s, foreign, "from-there", 41, &id), 0);
	assert_int_equal(id, 2);
	assert_true(format_is(t.path, 6));
	assert_int_equal(put(s, local, NULL), 3);

	assert_int_equal(store_header(s, 2, &h), 0);
	assert_true(h.imported);
	assert_int_equal(h.original_id, 41);
	assert_string_equal(h.label, "from-there");
	assert_string_equal(h.host, "elsewhere");
	assert_true(h.start_ns == 4000);
	assert_int_equal(resolve(s, "from-there"), 2);
	assert_load_equal(s, 2, foreign);
	assert_int_equal(store_header(s, 1, &h), 0);
	assert_false(h.imported);
	assert_int_equal(h.original_id, 0);
	assert_int_equal(store_header(s, 3, &h), 0);
	assert_false(h.imported);
	assert_int_equal(h.original_id, 0);
	/* The same snapshot (and label) again is not stored twice: the store
	 * names the id it has. */
	id = 0;
	assert_int_equal(store_put_imported(s, foreign, "from-there", 0, &id), STORE_EEXIST);
	assert_int_equal(id, 2);
	assert_non_null(strstr(store_strerror(STORE_EEXIST), "already"));
	/* A graph that never was in a store: imported all the same. */
	foreign->meta.start_ns += 1;
	assert_int_equal(store_put_imported(s, foreign, NULL, 0, &id), 0);
	foreign->meta.start_ns -= 1;
	assert_int_equal(id, 4);
	assert_int_equal(store_header(s, 4, &h), 0);
	assert_true(h.imported);
	assert_int_equal(h.original_id, 0);
	assert_int_equal(put(s, local, NULL), 5);

	/* Snapshots 3 and 5 are unchanged from 1: the imports in between
	 * are not part of the history. */
	history(s, host_net, &hi);
	assert_int_equal(hi.n, 1);
	assert_int_equal(hi.ids[0], 1);
	history(s, (struct ns_key){ 4, cont_ino(2, NS_UTS) }, &hi);
	assert_int_equal(hi.n, 0);
	assert_int_equal(store_verify(s, 0, NULL, NULL, NULL, NULL), 0);

	/* Pruned around, it stays what it is, and the history too. */
	assert_int_equal(store_prune(s, &(struct store_prune_opts){
		.ids = (uint64_t[]){ 1 }, .nids = 1 }, NULL), 0);
	assert_load_equal(s, 2, foreign);
	history(s, host_net, &hi);
	assert_int_equal(hi.n, 1);
	assert_int_equal(hi.ids[0], 3);
	store_close(s);

	/* Reopened read-only: a format 3 store reads. */
	assert_int_equal(store_open(t.path, STORE_RDONLY, &s), 0);
	assert_int_equal(store_header(s, 2, &h), 0);
	assert_true(h.imported);
	assert_int_equal(h.original_id, 41);
	store_close(s);
	graph_free(local);
	graph_free(foreign);
	tmp_free(&t);
}

/*
 * A data file cut short under an open store: LMDB's own reads of the lost
 * pages fault (SIGBUS).  The store's guard turns that into an error, and
 * the process lives on; reopening says the same.
 */
static void test_truncated(void **state)
{
	(void)state;
	struct tmp t;
	struct store *s;
	struct graph *g = world(3000, 20, "cut", 1), *back = NULL;
	char file[160];
	uint64_t bad;

	tmp_make(&t);
	assert_int_equal(store_open(t.path, STORE_CREATE, &s), 0);
	assert_int_equal(put(s, g, "cut"), 1);
	assert_int_equal(put(s, g, NULL), 2);
	store_close(s);
	snprintf(file, sizeof(file), "%s/data.mdb", t.path);

	assert_int_equal(store_open(t.path, STORE_RDONLY, &s), 0);
	/* The two meta pages stay, the trees are gone. */
	assert_int_equal(truncate(file, 2 * sysconf(_SC_PAGESIZE)), 0);
	assert_int_equal(store_load(s, 1, &back), STORE_ECORRUPT);
	assert_null(back);
	print_message("truncated: %s\n", store_strerror(STORE_ECORRUPT));
	assert_non_null(strstr(store_strerror(STORE_ECORRUPT), "damaged"));
	assert_int_equal(store_verify(s, 0, NULL, NULL, NULL, &bad), STORE_ECORRUPT);
	uint64_t id;
	assert_int_equal(store_resolve(s, "latest", &id), STORE_ECORRUPT);
	store_close(s);
	assert_int_equal(store_open(t.path, STORE_RDONLY, &s), STORE_ECORRUPT);
	assert_null(s);
	graph_free(g);
	tmp_free(&t);
}

static void test_parse_time(void **state)
{
	(void)state;
	int64_t ns;

	assert_int_equal(store_parse_time("2024-03-01T00:00Z", &ns), 0);
	assert_true(ns == 1709251200LL * 1000000000);
	assert_int_equal(store_parse_time("2024-03-01T00:00:07Z", &ns), 0);
	assert_true(ns == 1709251207LL * 1000000000);
	assert_int_equal(store_parse_time("yesterday", &ns), STORE_ESELECTOR);
	assert_int_equal(store_parse_time(NULL, &ns), STORE_ESELECTOR);
}

/* The edges of the time range against a store: the last second reaches
 * the newest snapshot without overflowing, outside is STORE_ETIME. */
static void test_resolve_time_range(void **state)
{
	(void)state;
	struct tmp t;
	struct store *s;
	struct graph *g = world(5, 1, "rng", 1);
	uint64_t id;

	tmp_make(&t);
	assert_int_equal(store_open(t.path, STORE_CREATE, &s), 0);
	assert_int_equal(put(s, g, NULL), 1);
	assert_int_equal(put(s, g, NULL), 2);
	assert_int_equal(resolve(s, "2262-04-11T23:47:16Z"), 2);
	assert_int_equal(resolve(s, "2262-04-11T23:47Z"), 2);
	assert_int_equal(store_resolve(s, "1677-09-21T00:12:44Z", &id),
			 STORE_ENOSNAP);
	assert_int_equal(store_resolve(s, "2262-04-11T23:47:17Z", &id),
			 STORE_ETIME);
	assert_int_equal(store_resolve(s, "1600-01-01T00:00Z", &id),
			 STORE_ETIME);
	assert_int_equal(store_resolve(s, "9999-12-31T23:59", &id),
			 STORE_ETIME);
	assert_int_equal(store_put(s, g, "9999-12-31T23:59", &id), STORE_ELABEL);
	store_close(s);
	graph_free(g);
	tmp_free(&t);
}

/* ---- a store of an older format ---------------------------------------- */

#define OLD_STORE "fixtures/store-v2/data.mdb"

struct headers {
	struct store_header h[8];
	size_t n;
};

static int headers_cb(const struct store_header *h, void *ctx)
{
	struct headers *hs = ctx;

	assert_true(hs->n < 8);
	hs->h[hs->n++] = *h;
	return 0;
}

static void old_store_copy(struct tmp *t)
{
	tmp_fixture(t, OLD_STORE);
}

/*
 * fixtures/store-v2 (see its make.sh), written by an nsnap whose headers
 * did not carry the capture: it lists, loads and verifies; its snapshots,
 * stored again in a new store, get the digests they had there; recording
 * into it goes on after the pruned id, and the old snapshots still read.
 * Run from the top of the tree, as 'make unit' does.
 */
static void test_old_store(void **state)
{
	(void)state;
	struct tmp t, fresh;
	struct store *s, *n;
	struct headers hs = { .n = 0 };
	struct store_header h;
	struct graph *g[3];
	uint64_t id, bad;

	old_store_copy(&t);
	assert_int_equal(store_open(t.path, STORE_RDONLY, &s), 0);
	assert_int_equal(store_list(s, headers_cb, &hs), 0);
	assert_int_equal(hs.n, 3);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(hs.h[i].id, i + 1);
	assert_string_equal(hs.h[0].label, "before");
	assert_string_equal(hs.h[1].label, "");
	assert_false(hs.h[0].imported);
	assert_true(hs.h[2].imported);
	assert_int_equal(hs.h[2].original_id, 1);
	assert_memory_equal(hs.h[0].digest, hs.h[2].digest, 16);
	assert_int_equal(hs.h[1].nns, 10);
	assert_int_equal(resolve(s, "before"), 3);
	/* Capture order: 3 is an import of 1, captured when 1 was, so
	 * before 2. */
	assert_int_equal(resolve(s, "latest"), 2);
	assert_int_equal(resolve(s, "latest~1"), 3);
	assert_int_equal(store_verify(s, 0, NULL, NULL, NULL, &bad), 0);
	assert_int_equal(bad, 0);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(store_load(s, i + 1, &g[i]), 0);
		assert_true(g[i]->meta.start_ns == hs.h[i].start_ns);
		assert_true(g[i]->meta.end_ns == hs.h[i].end_ns);
		assert_true(g[i]->meta.capturer_pid > 0);
		assert_int_equal(g[i]->nns, hs.h[i].nns);
	}
	assert_true(gb_same_graph(g[0], g[2]));
	/* The namespaces new in snapshot 2 are in the index from there. */
	for (size_t i = 0; i < g[1]->nns; i++) {
		struct hist hi;
		if (graph_ns_find(g[0], g[1]->ns[i].key) != GRAPH_NONE)
			continue;
		history(s, g[1]->ns[i].key, &hi);
		assert_int_equal(hi.n, 1);
		assert_int_equal(hi.ids[0], 2);
	}
	store_close(s);

	/* The same graphs in a store of this format: the same digests. */
	tmp_make(&fresh);
	assert_int_equal(store_open(fresh.path, STORE_CREATE, &n), 0);
	for (size_t i = 0; i < 3; i++) {
		/* 3 is 1 imported again: it is not stored twice. */
		assert_int_equal(store_put_imported(n, g[i], NULL, i + 1, &id),
				 i == 2 ? STORE_EEXIST : 0);
		assert_int_equal(id, i == 2 ? 1 : i + 1);
		assert_int_equal(store_header(n, id, &h), 0);
		assert_memory_equal(h.digest, hs.h[i].digest, 16);
		/* The capture is in the header now, not in a record. */
		assert_true(h.size < hs.h[i].size);
		assert_true(h.start_ns == hs.h[i].start_ns);
		assert_load_equal(n, id, g[i]);
	}
	store_close(n);
	tmp_free(&fresh);

	/* Recording into it: the id after the pruned one. */
	assert_int_equal(store_open(t.path, 0, &s), 0);
	assert_int_equal(put(s, g[1], "again"), 5);
	assert_int_equal(store_header(s, 5, &h), 0);
	assert_memory_equal(h.digest, hs.h[1].digest, 16);
	assert_true(h.added < h.size);
	assert_int_equal(put(s, g[1], NULL), 6);
	assert_int_equal(store_header(s, 6, &h), 0);
	assert_int_equal(h.added, 0);
	assert_int_equal(resolve(s, "again"), 5);
	assert_int_equal(store_verify(s, 0, NULL, NULL, NULL, &bad), 0);
	for (size_t i = 0; i < 3; i++)
		assert_load_equal(s, i + 1, g[i]);
	assert_load_equal(s, 5, g[1]);
	store_close(s);
	for (size_t i = 0; i < 3; i++)
		graph_free(g[i]);
	tmp_free(&t);
}

/* ---- a store of before the workload facts -------------------------------- */

#define V3_STORE "fixtures/store-v3/data.mdb"

/* The file at PATH, NUL-terminated (free it); *len its size. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = malloc(1 << 20);

	assert_non_null(f);
	assert_non_null(buf);
	*len = fread(buf, 1, (1 << 20) - 1, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

/*
 * fixtures/store-v3 (see its make.sh), written by an nsnap whose model had
 * no workload facts: its snapshots load as graphs that claim only what
 * they hold (GRAPH_HAVE_V1, no identity, no workload, loginuid and
 * sessionid UINT32_MAX), verify, export byte for byte as that nsnap
 * exported them (version 1), get their digests again in a new store, and
 * its version 1 documents import as the same graphs.
 */
static void test_store_v3(void **state)
{
	(void)state;
	struct tmp t, fresh;
	struct store *s, *n;
	struct headers hs = { .n = 0 };
	struct store_header h;
	struct graph *g[2], *back;
	uint64_t id, bad;
	static const char *const labels[] = { "before", "after" };

	tmp_fixture(&t, V3_STORE);
	assert_int_equal(store_open(t.path, STORE_RDONLY, &s), 0);
	assert_int_equal(store_list(s, headers_cb, &hs), 0);
	assert_int_equal(hs.n, 2);
	assert_int_equal(store_verify(s, 0, NULL, NULL, NULL, &bad), 0);
	assert_int_equal(bad, 0);
	for (size_t i = 0; i < 2; i++) {
		char path[128], *want, *got;
		size_t wlen, glen;
		FILE *m;

		assert_string_equal(hs.h[i].label, labels[i]);
		assert_int_equal(store_load(s, i + 1, &g[i]), 0);
		assert_true(codec_graph_v1(g[i]));
		assert_int_equal(g[i]->meta.collected & ~GRAPH_HAVE_V1, 0);
		assert_int_equal(g[i]->nworkloads, 0);
		assert_int_equal(g[i]->nifaces, 0);
		for (size_t k = 0; k < g[i]->nprocs; k++) {
			assert_int_equal(g[i]->procs[k].loginuid, UINT32_MAX);
			assert_int_equal(g[i]->procs[k].sessionid, UINT32_MAX);
			assert_int_equal(g[i]->procs[k].workload, GRAPH_NONE);
			assert_null(g[i]->procs[k].cmdline);
		}
		/* Exported as that nsnap did. */
		struct export_info info = { .id = i + 1, .label = labels[i] };
		m = open_memstream(&got, &glen);
		assert_non_null(m);
		assert_int_equal(export_write(m, g[i], &info, EXPORT_JSON), 0);
		fclose(m);
		snprintf(path, sizeof(path), "fixtures/store-v3/expect/export-%zu.json",
			 i + 1);
		want = slurp(path, &wlen);
		assert_int_equal(glen, wlen);
		assert_memory_equal(got, want, wlen);
		/* And its document imports as the same graph. */
		assert_int_equal(export_read(want, wlen, &back, NULL, NULL, 0), 0);
		assert_true(gb_same_graph(g[i], back));
		graph_free(back);
		free(got);
		free(want);
	}
	store_close(s);

	/* In a new store: the same records, the same digests. */
	tmp_make(&fresh);
	assert_int_equal(store_open(fresh.path, STORE_CREATE, &n), 0);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(store_put_imported(n, g[i], NULL, i + 1, &id), 0);
		assert_int_equal(store_header(n, id, &h), 0);
		assert_memory_equal(h.digest, hs.h[i].digest, 16);
		assert_true(h.size == hs.h[i].size);
		assert_load_equal(n, id, g[i]);
	}
	store_close(n);
	tmp_free(&fresh);

	/* Recording a graph with the facts into it: both kinds read. */
	assert_int_equal(store_open(t.path, 0, &s), 0);
	struct graph *facts = gb_new();
	struct gb_set w = gb_host(facts, 4026531835u);
	struct graph_proc *p = gb_proc(facts, 1, &w);
	static const char *const argv[] = { "sleep", "1000", NULL };
	gb_cmdline(facts, p, argv);
	gb_workload(facts, p, GRAPH_WL_SERVICE, "systemd", "a.service", NULL);
	assert_true(format_is(t.path, 3));
	assert_int_equal(put(s, facts, NULL), 3);
	/* Raised: an older nsnap refuses it rather than call it damaged. */
	assert_true(format_is(t.path, 6));
	assert_int_equal(put(s, facts, NULL), 4);
	assert_int_equal(store_header(s, 4, &h), 0);
	assert_int_equal(h.added, 0);
	assert_load_equal(s, 3, facts);
	for (size_t i = 0; i < 2; i++)
		assert_load_equal(s, i + 1, g[i]);
	assert_int_equal(store_verify(s, 0, NULL, NULL, NULL, &bad), 0);
	assert_int_equal(bad, 0);
	store_close(s);
	graph_free(facts);
	for (size_t i = 0; i < 2; i++)
		graph_free(g[i]);
	tmp_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trips),
		cmocka_unit_test(test_selectors),
		cmocka_unit_test(test_map_growth),
		cmocka_unit_test(test_concurrent_writers),
		cmocka_unit_test(test_dedup),
		cmocka_unit_test(test_damage),
		cmocka_unit_test(test_not_a_store),
		cmocka_unit_test(test_modes),
		cmocka_unit_test(test_ns_history),
		cmocka_unit_test(test_default_path),
		cmocka_unit_test(test_bad_graph),
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_verify_labels),
		cmocka_unit_test(test_resolve_time_range),
		cmocka_unit_test(test_prune),
		cmocka_unit_test(test_store_v3),
		cmocka_unit_test(test_prune_damaged),
		cmocka_unit_test(test_prune_size),
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_put_imported),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_parse_time),
		cmocka_unit_test(test_old_store),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
