/*
 * test_nsidx.c — the namespace index against the snapshots it indexes.
 *
 * The main check is the equivalence a history relies on: over random
 * worlds recorded snapshot by snapshot (processes coming, going and
 * moving, links that cannot be read, fd, pid_for_children and bind-mount
 * pins, namespaces replaced behind their inode, weak matches without
 * kernel IDs, owner and map changes, reboots, imported snapshots,
 * snapshots an older nsnap recorded, prunes), the history store_ns_walk()
 * feeds the printer, loading only where the index says something
 * changed, is byte for byte the history over every snapshot loaded.
 * Then the API (store_ns_changes, store_ns_same, store_ns_keys) on a
 * known series, and damage: entries moved, changed or invented are
 * refused on read and named by verify.
 */
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <lmdb.h>

#include "codec.h"
#include "diff.h"
#include "graph.h"
#include "graphbuild.h"
#include "store.h"
#include "tmpstore.h"

/* ---- the raw environment ------------------------------------------------ */

/* The store's LMDB environment itself, for what only damage or an older
 * nsnap would do to it.  The store must be closed. */
struct raw {
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
};

static void raw_open(struct raw *r, const char *path, const char *db)
{
	assert_int_equal(mdb_env_create(&r->env), 0);
	assert_int_equal(mdb_env_set_maxdbs(r->env, 8), 0);
	assert_int_equal(mdb_env_set_mapsize(r->env, (size_t)1 << 30), 0);
	assert_int_equal(mdb_env_open(r->env, path, MDB_NOTLS, 0600), 0);
	assert_int_equal(mdb_txn_begin(r->env, NULL, 0, &r->txn), 0);
	assert_int_equal(mdb_dbi_open(r->txn, db, 0, &r->dbi), 0);
}

static void raw_close(struct raw *r)
{
	assert_int_equal(mdb_txn_commit(r->txn), 0);
	mdb_env_close(r->env);
}

static void key_rec(uint8_t k[24], struct ns_key key, uint64_t id)
{
	codec_be64_write(k, key.dev);
	codec_be64_write(k + 8, key.ino);
	codec_be64_write(k + 16, id);
}

static void key_ctx(uint8_t k[25], struct ns_key key, uint64_t id)
{
	codec_be64_write(k, key.dev);
	codec_be64_write(k + 8, key.ino);
	k[16] = 'c';
	codec_be64_write(k + 17, id);
}

/* What an older nsnap leaves of the snapshot ID it recorded: its record
 * entries, but neither its mark nor context entries. */
static void make_old(const char *path, uint64_t id)
{
	struct raw r;
	MDB_cursor *c;
	MDB_val k, v;
	uint8_t mk[9];

	raw_open(&r, path, "nsidx");
	assert_int_equal(mdb_cursor_open(r.txn, r.dbi, &c), 0);
	for (int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); !rc;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT))
		if (k.mv_size == 25 &&
		    codec_be64_read((const uint8_t *)k.mv_data + 17) == id)
			assert_int_equal(mdb_cursor_del(c, 0), 0);
	mdb_cursor_close(c);
	assert_int_equal(mdb_dbi_open(r.txn, "lists", 0, &r.dbi), 0);
	codec_be64_write(mk, id);
	mk[8] = 'c';
	k = (MDB_val){ 9, mk };
	assert_int_equal(mdb_del(r.txn, r.dbi, &k, NULL), 0);
	raw_close(&r);
}

/* ---- random worlds ------------------------------------------------------ */

#define HOST 4026531835ull
#define CONT 4026532000ull
#define NCONT 4
#define NSETS (NCONT + 1)        /* set 0: the host */
#define MAXP 48

static uint64_t rng;

static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static uint64_t set_ino(unsigned set, unsigned type)
{
	return set ? CONT + (set - 1) * 16ull + type : HOST + type;
}

struct wproc {
	int32_t pid;
	uint64_t start;
	char comm[16];
	unsigned set[NS_NTYPES];    /* which set each link names */
	unsigned bad;               /* links that cannot be read */
	int pfc;                    /* pid_for_children: set, -1 its own */
	int fd_set, fd_type;        /* an fd pin, -1 none */
	bool fd_err;
};

struct wstate {
	bool alive[NSETS];
	uint64_t gen[NSETS];        /* bumped when a set is replaced */
	bool mount[NSETS];          /* /run/netns/cN in the host mnt ns */
	bool cmount[NSETS];         /* the same inside the set's mnt ns */
	bool uts_on_host[NSETS];    /* its uts owned by the host user ns */
	unsigned map[NSETS];
	bool weak;
	unsigned boot;
	struct wproc p[MAXP];
	size_t np;
	int32_t next_pid;
	uint64_t clock;
};

static void w_init(struct wstate *w)
{
	*w = (struct wstate){ .next_pid = 10, .clock = 1000 };
	w->alive[0] = true;
	for (unsigned s = 1; s < NSETS; s++)
		w->alive[s] = rnd(2);
}

static void w_start(struct wstate *w, unsigned set)
{
	if (w->np == MAXP)
		return;
	struct wproc *p = &w->p[w->np++];
	*p = (struct wproc){
		.pid = w->next_pid++, .start = w->clock++, .pfc = -1,
		.fd_set = -1, .fd_type = -1,
	};
	snprintf(p->comm, sizeof(p->comm), "c%u", rnd(5));
	for (unsigned t = 0; t < NS_NTYPES; t++)
		p->set[t] = set;
}

static void w_end(struct wstate *w, size_t i)
{
	w->p[i] = w->p[--w->np];
}

/* One random change of the world. */
static void w_step(struct wstate *w)
{
	unsigned s = rnd(NSETS), t = rnd(NS_NTYPES);
	struct wproc *p = w->np ? &w->p[rnd((unsigned)w->np)] : NULL;

	switch (rnd(15)) {
	case 0: case 1:
		if (w->alive[s])
			w_start(w, s);
		break;
	case 2:
		if (p)
			w_end(w, (size_t)(p - w->p));
		break;
	case 3:
		if (p && w->alive[s])
			p->set[t] = s;
		break;
	case 4:
		if (p)
			p->bad ^= 1u << t;
		break;
	case 5:
		if (p) {
			p->fd_set = p->fd_set < 0 && w->alive[s] ? (int)s : -1;
			p->fd_type = (int)t;
		}
		break;
	case 6:
		if (p)
			p->pfc = p->pfc < 0 && w->alive[s] ? (int)s : -1;
		break;
	case 7:
		if (s)
			w->mount[s] ^= 1;
		else if (p)
			p->fd_err ^= 1;
		break;
	case 8:
		if (s)
			w->cmount[s] ^= 1;
		break;
	case 9:
		/* A set ends (its processes with it) or comes back, maybe on
		 * the inodes it had, as the kernel reuses them. */
		if (!s)
			break;
		if (!w->alive[s] || rnd(3))
			w->alive[s] ^= 1;
		w->gen[s]++;
		for (size_t i = w->np; i-- > 0;)
			for (unsigned k = 0; k < NS_NTYPES; k++)
				if (w->p[i].set[k] == s) {
					w_end(w, i);
					break;
				}
		if (w->alive[s])
			w_start(w, s);
		break;
	case 10:
		w->map[s]++;
		break;
	case 11:
		w->uts_on_host[s] ^= 1;
		break;
	case 12:
		if (!rnd(4))
			w->boot++;
		else if (!rnd(3))
			w->weak ^= 1;
		break;
	case 13:
		if (p)
			snprintf(p->comm, sizeof(p->comm), "r%u", rnd(5));
		break;
	default:
		break;   /* nothing: the next snapshot is unchanged */
	}
}

static uint32_t ns_of(struct graph *g, unsigned set, unsigned type)
{
	return graph_ns_find(g, (struct ns_key){ GB_DEV, set_ino(set, type) });
}

/* The graph of the world now, captured by process CAPTURER. */
static struct graph *w_graph(const struct wstate *w, int32_t capturer)
{
	struct graph *g = gb_new();
	char buf[64];

	snprintf(buf, sizeof(buf), "boot-%u", w->boot);
	g->meta.hostname = graph_strdup(g, "h");
	g->meta.boot_id = graph_strdup(g, buf);
	g->meta.kernel = graph_strdup(g, "6.18");
	g->meta.capturer_pid = capturer;
	g->meta.start_ns = (int64_t)w->clock * 1000000000ll;
	g->meta.end_ns = g->meta.start_ns + 1000;
	g->meta.nsfs_dev = GB_DEV;
	for (unsigned s = 0; s < NSETS; s++) {
		if (!w->alive[s])
			continue;
		uint32_t user = gb_ns(g, set_ino(s, NS_USER), NS_USER,
				      s ? ns_of(g, 0, NS_USER) : GB_OUT);
		gb_creator(g, user, s ? 1000 + s : 0);
		snprintf(buf, sizeof(buf), "0 %u 1", w->map[s]);
		gb_maps(g, user, buf, buf);
		for (unsigned t = 0; t < NS_NTYPES; t++) {
			if (t == NS_USER)
				continue;
			bool host_owned = t == NS_UTS && w->uts_on_host[s];
			uint32_t n = gb_ns(g, set_ino(s, t), t,
					   host_owned ? ns_of(g, 0, NS_USER) : user);
			if (t == NS_PID)
				gb_parent(g, n, s ? ns_of(g, 0, NS_PID) : GB_OUT);
		}
	}
	for (size_t i = 0; i < g->nns && !w->weak; i++) {
		unsigned s = g->ns[i].key.ino >= CONT ?
			     1 + (unsigned)((g->ns[i].key.ino - CONT) / 16) : 0;
		gb_id(g, (uint32_t)i, g->ns[i].key.ino * 8 + w->gen[s] * 7 + w->boot);
	}
	/* The capturer, in the host's namespaces: no part of any history. */
	struct graph_proc *cp = gb_proc_comm(g, capturer, "nsnap");
	cp->start_time = w->clock + 100000;
	for (unsigned t = 0; t < NS_NTYPES; t++) {
		cp->links.ns[t] = ns_of(g, 0, t);
		cp->links.err[t] = 0;
	}
	for (size_t i = 0; i < w->np; i++) {
		const struct wproc *wp = &w->p[i];
		struct graph_proc *p = gb_proc_comm(g, wp->pid, wp->comm);
		p->start_time = wp->start;
		for (unsigned t = 0; t < NS_NTYPES; t++) {
			uint32_t n = ns_of(g, wp->set[t], t);
			p->links.ns[t] = wp->bad & (1u << t) ? GRAPH_NONE : n;
			p->links.err[t] = wp->bad & (1u << t) ? EACCES : n == GRAPH_NONE ? ENOENT : 0;
		}
		p->links.pid_for_children = wp->pfc >= 0 ? ns_of(g, (unsigned)wp->pfc, NS_PID)
							 : p->links.ns[NS_PID];
		p->links.time_for_children = p->links.ns[NS_TIME];
		p->fd_err = wp->fd_err ? EACCES : 0;
		if (wp->fd_set >= 0 && !wp->fd_err) {
			uint32_t n = ns_of(g, (unsigned)wp->fd_set, (unsigned)wp->fd_type);
			if (n != GRAPH_NONE)
				gb_fd(g, p, 5, n);
		}
	}
	for (unsigned s = 1; s < NSETS; s++) {
		uint32_t net = ns_of(g, s, NS_NET);
		if (net == GRAPH_NONE)
			continue;
		snprintf(buf, sizeof(buf), "/run/netns/c%u", s);
		if (w->mount[s])
			gb_mount(g, ns_of(g, 0, NS_MNT), net, buf);
	}
	for (unsigned s = 1; s < NSETS; s++) {
		uint32_t net = ns_of(g, s, NS_NET);
		if (net != GRAPH_NONE && w->cmount[s])
			gb_mount(g, ns_of(g, s, NS_MNT), net, "/run/netns/inner");
	}
	return g;
}

/* ---- the two histories -------------------------------------------------- */

struct text {
	char *buf;
	size_t len;
	FILE *f;
};

static FILE *text_open(struct text *t)
{
	t->f = open_memstream(&t->buf, &t->len);
	assert_non_null(t->f);
	return t->f;
}

static char *text_close(struct text *t)
{
	fclose(t->f);
	return t->buf;
}

struct slow {
	struct store *s;
	struct diff_history *h;
	struct graph *kept;
	int rc;
};

static int slow_one(const struct store_header *hd, void *ctx)
{
	struct slow *sl = ctx;
	struct graph *g;
	char name[24];

	assert_int_equal(store_load(sl->s, hd->id, &g), 0);
	snprintf(name, sizeof(name), "%" PRIu64, hd->id);
	sl->rc = diff_history_add(sl->h, &(struct diff_snapshot){
		hd->start_ns, name, g }, false);
	graph_free(sl->kept);
	sl->kept = g;
	return sl->rc;
}

/* The history of SPEC over every snapshot, loaded: its text and code. */
static char *history_slow(struct store *s, const char *spec, int *rc)
{
	struct text t;
	struct slow sl = { .s = s };

	assert_int_equal(diff_history_begin(text_open(&t), spec, NULL, &sl.h), 0);
	assert_int_equal(store_list(s, slow_one, &sl), sl.rc);
	graph_free(sl.kept);
	if (sl.rc) {
		diff_history_free(sl.h);
		*rc = sl.rc;
	} else {
		*rc = diff_history_end(sl.h);
	}
	return text_close(&t);
}

struct fast {
	struct diff_history *h;
	size_t loaded, points;
};

static int fast_one(const struct store_ns_point *p, const struct graph *g,
		    bool unchanged, void *ctx)
{
	struct fast *f = ctx;
	char name[24];

	f->points++;
	f->loaded += g != NULL;
	snprintf(name, sizeof(name), "%" PRIu64, p->id);
	return diff_history_add(f->h, &(struct diff_snapshot){
		p->start_ns, name, g }, unchanged);
}

/* The same from the index: the text, the code, and how many loads. */
static char *history_fast(struct store *s, struct ns_key key, const char *spec,
			  int *rc, size_t *loaded)
{
	struct text t;
	struct fast f = { 0 };

	assert_int_equal(diff_history_begin(text_open(&t), spec, NULL, &f.h), 0);
	*rc = store_ns_walk(s, &key, fast_one, &f);
	if (*rc)
		diff_history_free(f.h);
	else
		*rc = diff_history_end(f.h);
	*loaded = f.loaded;
	return text_close(&t);
}

/* What the histories of all runs said, so that the worlds are known to
 * reach every kind of event. */
static const char *const event_words[] = {
	" first-seen ", " joined ", " left ", " pinned ", " unpinned ",
	" replaced ", " gone ", " owner ", " uid_map ", "reason=reboot",
	"match=weak", "by=fd", "by=mount", "by=pid_for_children",
};
#define NWORDS (sizeof(event_words) / sizeof(event_words[0]))
static size_t event_seen[NWORDS];

static void tally(const char *text)
{
	for (size_t i = 0; i < NWORDS; i++)
		for (const char *p = text; (p = strstr(p, event_words[i])); p++)
			event_seen[i]++;
}

/* Every namespace the worlds use: both histories agree; the loads. */
static size_t assert_histories_agree(struct store *s, const char *when)
{
	size_t loads = 0;

	for (unsigned set = 0; set < NSETS; set++)
		for (unsigned t = 0; t < NS_NTYPES; t++) {
			struct ns_key key = { GB_DEV, set_ino(set, t) };
			char spec[64];
			int rs, rf;
			size_t loaded;

			snprintf(spec, sizeof(spec), "%s:[%" PRIu64 "]",
				 ns_type_name(t), key.ino);
			char *a = history_slow(s, spec, &rs);
			char *b = history_fast(s, key, spec, &rf, &loaded);
			if (strcmp(a, b) || rs != rf)
				fail_msg("%s, seed %" PRIu64 ", %s: every snapshot (%d)\n%s"
					 "---- from the index (%d)\n%s", when, rng, spec,
					 rs, a, rf, b);
			tally(a);
			free(a);
			free(b);
			loads += loaded;
		}
	return loads;
}

static void equivalence_run(uint64_t seed, unsigned nsnap)
{
	struct tmp t;
	struct store *s;
	struct wstate w;
	uint64_t id, old = 0;

	rng = seed;
	w_init(&w);
	tmp_make(&t);
	assert_int_equal(store_open(t.path, STORE_CREATE, &s), 0);
	for (unsigned i = 0; i < nsnap; i++) {
		struct graph *g = w_graph(&w, (int32_t)(30000 + rnd(50)));
		unsigned how = rnd(10);

		if (how == 0)
			assert_int_equal(store_put_imported(s, g, NULL, 0, &id), 0);
		else
			assert_int_equal(store_put(s, g, NULL, &id), 0);
		graph_free(g);
		if (how == 1) {
			store_close(s);
			make_old(t.path, id);
			assert_int_equal(store_open(t.path, 0, &s), 0);
			old++;
		}
		for (unsigned k = rnd(3); k > 0; k--)
			w_step(&w);
		w.clock += 60;
	}
	assert_int_equal(store_verify(s, 0, NULL, NULL, NULL, NULL), 0);
	size_t loads = assert_histories_agree(s, "recorded");
	if (seed == 1)
		print_message("seed 1: %u snapshots (%" PRIu64 " as an older "
			      "nsnap would), %zu loads for %u histories\n",
			      nsnap, old, loads, NSETS * NS_NTYPES);

	/* Pruned here and there: the same again. */
	uint64_t ids[4] = { 1 + rnd(nsnap), 1 + rnd(nsnap), 1 + rnd(nsnap), nsnap };
	assert_int_equal(store_prune(s, &(struct store_prune_opts){
		.ids = ids, .nids = 3 + rnd(2) }, NULL), 0);
	assert_int_equal(store_verify(s, 0, NULL, NULL, NULL, NULL), 0);
	assert_histories_agree(s, "pruned");
	/* And recorded on after the prune. */
	for (unsigned i = 0; i < 3; i++) {
		w_step(&w);
		struct graph *g = w_graph(&w, 30100);
		assert_int_equal(store_put(s, g, NULL, &id), 0);
		graph_free(g);
	}
	assert_int_equal(store_verify(s, 0, NULL, NULL, NULL, NULL), 0);
	assert_histories_agree(s, "recorded after the prune");
	store_close(s);
	tmp_free(&t);
}

static void test_equivalence(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 24; seed++)
		equivalence_run(seed, 24);
	for (size_t i = 0; i < NWORDS; i++)
		print_message("%-22s %zu\n", event_words[i], event_seen[i]);
	for (size_t i = 0; i < NWORDS; i++)
		assert_true(event_seen[i] > 0);
}

/* ---- the API on a known series ------------------------------------------ */

/* A host and one container net namespace of kernel ID generation GEN
 * with MEMBERS processes in it (-1: no such namespace). */
static struct graph *series_graph(int members, uint64_t gen,
				  const char *boot, int32_t capturer)
{
	struct graph *g = gb_new();

	g->meta.boot_id = graph_strdup(g, boot);
	g->meta.capturer_pid = capturer;
	g->meta.start_ns = 1700000000ll * 1000000000ll;
	struct gb_set host = gb_host(g, HOST);
	uint32_t net = GRAPH_NONE;
	if (members >= 0) {
		net = gb_ns(g, CONT, NS_NET, host.ns[NS_USER]);
		gb_id(g, net, 500 + gen);
	}
	struct graph_proc *cp = gb_proc(g, capturer, &host);
	cp->start_time = 1;
	for (int i = 0; i < members; i++) {
		struct graph_proc *p = gb_proc(g, (int32_t)(100 + i), &host);
		p->start_time = 10 + i;
		p->links.ns[NS_NET] = net;
	}
	return g;
}

static uint64_t put(struct store *s, struct graph *g)
{
	uint64_t id;

	assert_int_equal(store_put(s, g, NULL, &id), 0);
	graph_free(g);
	return id;
}

static void test_changes(void **state)
{
	(void)state;
	struct tmp t;
	struct store *s;
	struct store_ns_point *p;
	struct graph *g;
	struct ns_key net = { GB_DEV, CONT }, none = { GB_DEV, 12345 };
	size_t n;

	tmp_make(&t);
	assert_int_equal(store_open(t.path, STORE_CREATE, &s), 0);
	put(s, series_graph(1, 0, "b1", 900));          /* 1: first seen */
	put(s, series_graph(1, 0, "b1", 901));          /* 2: the same */
	put(s, series_graph(2, 0, "b1", 902));          /* 3: one joins */
	g = series_graph(2, 0, "b1", 903);
	assert_int_equal(store_put_imported(s, g, NULL, 0, &(uint64_t){ 0 }), 0);
	graph_free(g);                                  /* 4: imported */
	put(s, series_graph(2, 1, "b1", 904));          /* 5: replaced */
	put(s, series_graph(2, 1, "b2", 905));          /* 6: rebooted */
	put(s, series_graph(2, 1, "b2", 906));          /* 7: the same */

	assert_int_equal(store_ns_changes(s, &net, &p, &n), 0);
	assert_int_equal(n, 7);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(p[i].id, i + 1);
		assert_true(p[i].known == (i != 3));
		assert_true(p[i].present || !p[i].known);
		assert_true(p[i].imported == (i == 3));
	}
	assert_true(store_ns_same(&p[0], &p[1]));     /* the capturer left out */
	assert_false(store_ns_same(&p[1], &p[2]));    /* members */
	assert_false(store_ns_same(&p[2], &p[3]));    /* imported: unknown */
	assert_false(store_ns_same(&p[4], &p[5]));    /* another boot */
	assert_true(store_ns_same(&p[5], &p[6]));
	assert_memory_not_equal(p[1].ctx, p[2].ctx, 16);
	assert_memory_equal(p[1].rec, p[2].rec, 16);
	assert_memory_not_equal(p[2].rec, p[4].rec, 16);
	/* Loading checks the index's word. */
	assert_int_equal(store_ns_load(s, &p[2], &net, &g), 0);
	graph_free(g);
	struct store_ns_point wrong = p[2];
	wrong.ctx[0] ^= 1;
	assert_int_equal(store_ns_load(s, &wrong, &net, &g), STORE_ECORRUPT);
	assert_null(g);
	assert_non_null(strstr(store_strerror(STORE_ECORRUPT), "another context"));
	wrong = p[2];
	wrong.present = false;
	assert_int_equal(store_ns_load(s, &wrong, &net, &g), STORE_ECORRUPT);
	free(p);

	/* A namespace no snapshot holds, and none at all. */
	assert_int_equal(store_ns_changes(s, &none, &p, &n), 0);
	assert_int_equal(n, 7);
	assert_false(p[0].present);
	assert_true(store_ns_same(&p[0], &p[1]));
	free(p);
	assert_int_equal(store_ns_changes(s, NULL, &p, &n), 0);
	assert_int_equal(n, 7);
	free(p);
	store_close(s);
	tmp_free(&t);
}

struct seen {
	struct ns_key keys[16];
	uint64_t ids[16];
	size_t n;
};

static int seen_one(const struct graph_ns *ns, void *ctx)
{
	struct seen *se = ctx;

	assert_true(se->n < 16);
	se->keys[se->n] = ns->key;
	se->ids[se->n++] = ns->kernel_id;
	return 0;
}

static void test_keys(void **state)
{
	(void)state;
	struct tmp t;
	struct store *s;
	struct seen se = { 0 };
	uint64_t ino = CONT, absent = 77;
	struct graph *g = series_graph(1, 0, "b1", 900);

	/* The same inode on another device too. */
	uint32_t other = gb_ns_at(g, 9, CONT, NS_UTS);
	g->ns[other].owner_err = ENODATA;
	tmp_make(&t);
	assert_int_equal(store_open(t.path, STORE_CREATE, &s), 0);
	put(s, g);
	put(s, series_graph(1, 1, "b1", 901));
	assert_int_equal(store_ns_keys(s, &ino, seen_one, &se), 0);
	assert_int_equal(se.n, 3);      /* two lives on 4, one on 9 */
	assert_int_equal(se.keys[0].dev, 4);
	assert_int_equal(se.ids[0], 500);
	assert_int_equal(se.ids[1], 501);
	assert_int_equal(se.keys[2].dev, 9);
	se.n = 0;
	assert_int_equal(store_ns_keys(s, &absent, seen_one, &se), 0);
	assert_int_equal(se.n, 0);
	assert_int_equal(store_ns_keys(s, NULL, seen_one, &se), 0);
	assert_int_equal(se.n, 11);     /* 8 host, the container's 2, 1 */
	store_close(s);
	tmp_free(&t);
}

/* ---- damage ------------------------------------------------------------- */

/* A store of five snapshots where container net ns CONT is first seen in
 * 3 and a member joins in 5. */
static void damage_store(struct tmp *t)
{
	static const int members[] = { -1, -1, 1, 1, 2 };
	struct store *s;

	tmp_make(t);
	assert_int_equal(store_open(t->path, STORE_CREATE, &s), 0);
	for (unsigned i = 0; i < 5; i++)
		put(s, series_graph(members[i], 0, "b1", 900));
	store_close(s);
}

/* Rewrite entry OLD_KEY (24 or 25 bytes) as NEW_KEY with value VAL (NULL:
 * its own), or delete it (NEW_KEY NULL). */
static void entry_edit(const char *path, const uint8_t *old_key, size_t klen,
		       const uint8_t *new_key, const uint8_t *val)
{
	struct raw r;
	uint8_t v[16];
	MDB_val k = { klen, (void *)old_key }, d;

	raw_open(&r, path, "nsidx");
	assert_int_equal(mdb_get(r.txn, r.dbi, &k, &d), 0);
	memcpy(v, val ? val : d.mv_data, 16);
	assert_int_equal(mdb_del(r.txn, r.dbi, &k, NULL), 0);
	if (new_key) {
		k = (MDB_val){ klen, (void *)new_key };
		d = (MDB_val){ 16, v };
		assert_int_equal(mdb_put(r.txn, r.dbi, &k, &d, 0), 0);
	}
	raw_close(&r);
}

static int verify_note(const struct store_check *c, void *ctx)
{
	char *what = ctx;

	if (c->err && !*what)
		snprintf(what, 200, "%" PRIu64 ": %s", c->id, c->what);
	return 0;
}

/* The damage is refused on read, and verify names it: WANT in its text. */
static void assert_damage_named(const char *path, const char *want)
{
	struct store *s;
	struct store_ns_point *p;
	struct ns_key net = { GB_DEV, CONT };
	char what[200] = "";
	uint64_t bad = 0;
	size_t n;
	int rc;

	assert_int_equal(store_open(path, STORE_RDONLY, &s), 0);
	rc = store_ns_changes(s, &net, &p, &n);
	if (!rc) {
		/* Read as if whole: loading where it changed must refuse. */
		struct fast f = { 0 };
		struct text t;
		assert_int_equal(diff_history_begin(text_open(&t), "4:4026532000",
						    NULL, &f.h), 0);
		rc = store_ns_walk(s, &net, fast_one, &f);
		diff_history_free(f.h);
		free(text_close(&t));
		free(p);
	}
	if (rc != STORE_ECORRUPT || !strstr(store_strerror(rc), "namespace index"))
		fail_msg("%s: read gives %d (%s)", want, rc, store_strerror(rc));
	assert_int_equal(store_verify(s, 0, verify_note, what, NULL, &bad),
			 STORE_ECORRUPT);
	assert_true(bad >= 1);
	if (!strstr(what, want))
		fail_msg("verify said \"%s\", not \"%s\"", what, want);
	store_close(s);
}

/* One damage: the entry of KIND (24 record, 25 context) of the container
 * net namespace at FROM, moved to TO (0: deleted), its value replaced by
 * bytes 0x5a with FLIP. */
struct damage {
	const char *what;
	size_t kind;
	uint64_t from, to;
	bool flip;
	const char *want;    /* in what verify says */
};

static const struct damage damages[] = {
	/* A history would say first seen in 4. */
	{ "first-seen moved on", 24, 3, 4, false, "namespace index" },
	{ "first-seen moved to no snapshot", 24, 3, 99, false, "namespace index" },
	{ "record hash changed", 24, 3, 3, true, "namespace index" },
	{ "join moved back", 25, 5, 4, false, "namespace index" },
	{ "join lost", 25, 5, 0, false, "context" },
};

static void test_damage(void **state)
{
	(void)state;
	struct ns_key net = { GB_DEV, CONT };

	for (size_t i = 0; i < sizeof(damages) / sizeof(damages[0]); i++) {
		const struct damage *d = &damages[i];
		uint8_t k[25], k2[25], v[16];
		struct tmp t;

		print_message("%s\n", d->what);
		memset(v, 0x5a, sizeof(v));
		damage_store(&t);
		(d->kind == 24 ? key_rec : key_ctx)(k, net, d->from);
		(d->kind == 24 ? key_rec : key_ctx)(k2, net, d->to);
		entry_edit(t.path, k, d->kind, d->to ? k2 : NULL, d->flip ? v : NULL);
		assert_damage_named(t.path, d->want);
		tmp_free(&t);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_changes),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_damage),
		cmocka_unit_test(test_equivalence),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
