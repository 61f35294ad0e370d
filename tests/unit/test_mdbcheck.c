/*
 * test_mdbcheck.c — the LMDB checks against real LMDB environments.
 *
 * A store-like environment is built with liblmdb in a temporary directory
 * (named databases, plain, DUPSORT with sub-pages and sub-databases,
 * DUPFIXED, REVERSEKEY, INTEGERKEY, overflow values, several commits with
 * deletions so that the free list holds pages), then copies of its data
 * file are damaged class by class.  For each variant: either mdbcheck
 * reports it, or a child process opens it with LMDB, reads every item of
 * every database, writes (deletes, puts, a drop), commits and reads again
 * — and must not die of a signal, an assertion, a sanitizer report or a
 * hang.  The table of classes is printed; MDBCHECK_SWEEP=full runs every
 * variant of every class (minutes) and also runs LMDB on the variants
 * mdbcheck reported, to count the ones that would have crashed.
 * MDBCHECK_BENCH=MB times the checks on a store of that size.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <lmdb.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/common_interface_defs.h>
#endif

#include "mdbcheck.h"
#include "mdbcheck_lmdb.h"    /* the crafted damages find their pages */
#include "tmpstore.h"

/* ---- helpers ------------------------------------------------------------ */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint64_t rnd_below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static char top[64];          /* the temporary directory */

static void path_of(char *buf, size_t len, const char *sub, const char *file)
{
	snprintf(buf, len, "%s/%s%s%s", top, sub, file ? "/" : "",
		 file ? file : "");
}

static void dir_make(const char *sub)
{
	char p[128];

	path_of(p, sizeof(p), sub, NULL);
	if (mkdir(p, 0700) && errno != EEXIST)
		fail_msg("mkdir %s: %s", p, strerror(errno));
}

static uint8_t *file_read(const char *path, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint8_t *b;

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	b = malloc((size_t)st.st_size + 1);
	assert_non_null(b);
	assert_int_equal(pread(fd, b, (size_t)st.st_size, 0), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return b;
}

static void file_write(const char *path, const uint8_t *b, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)len), 0);
	assert_int_equal(pwrite(fd, b, len, 0), (ssize_t)len);
	close(fd);
}

/* mdbcheck_meta() and, when that passes, mdbcheck_tree() on a file. */
static int check_path(const char *path, struct mdbcheck_meta *m,
		      struct mdbcheck_tree *t, char *why)
{
	struct mdbcheck_tree tt;
	struct mdbcheck_meta mm;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	if (!m)
		m = &mm;
	if (!t)
		t = &tt;
	assert_true(fd >= 0);
	rc = mdbcheck_meta(fd, m);
	if (rc == 0)
		rc = mdbcheck_tree(fd, m, t);
	if (why)
		snprintf(why, MDBCHECK_WHY_MAX, "%s", m->why[0] ? m->why :
			 t->why);
	close(fd);
	return rc;
}

/* ---- the environment ---------------------------------------------------- */

static const struct {
	const char *name;
	unsigned flags;
} dbs[] = {
	{ "meta", 0 },
	{ "snaps", 0 },
	{ "records", 0 },
	{ "labels", MDB_DUPSORT | MDB_DUPFIXED },
	{ "dups", MDB_DUPSORT },
	{ "rev", MDB_REVERSEKEY },
	{ "ints", MDB_INTEGERKEY },
	{ "idups", MDB_INTEGERKEY | MDB_DUPSORT | MDB_DUPFIXED | MDB_INTEGERDUP },
	{ "empty", 0 },
};
#define NDBS (sizeof(dbs) / sizeof(dbs[0]))
enum { META, SNAPS, RECORDS, LABELS, DUPS, REV, INTS, IDUPS, EMPTY };

static void put(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t kl,
		const void *v, size_t vl)
{
	MDB_val key = { kl, (void *)k }, val = { vl, (void *)v };
	int rc = mdb_put(txn, dbi, &key, &val, 0);

	if (rc)
		fail_msg("mdb_put: %s", mdb_strerror(rc));
}

static void del(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t kl,
		const void *v, size_t vl)
{
	MDB_val key = { kl, (void *)k }, val = { vl, (void *)v };
	int rc = mdb_del(txn, dbi, &key, v ? &val : NULL);

	if (rc && rc != MDB_NOTFOUND)
		fail_msg("mdb_del: %s", mdb_strerror(rc));
}

static uint8_t junk[65536];

static size_t value_size(void)
{
	uint64_t r = rnd_below(100);

	if (r < 70)
		return 20 + rnd_below(380);
	if (r < 95)
		return 400 + rnd_below(1400);
	return 3000 + rnd_below(9000);     /* overflow pages */
}

static void be64(uint8_t *b, uint64_t v)
{
	for (unsigned i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (56 - 8 * i));
}

static void record_key(uint8_t k[16], unsigned i)
{
	uint64_t h = i * 0x9e3779b97f4a7c15ull + 12345;

	memcpy(k, &h, 8);
	h = h * 0xff51afd7ed558ccdull;
	memcpy(k + 8, &h, 8);
}

/* One commit's worth of changes, by round. */
static void env_round(MDB_txn *txn, const MDB_dbi *d, unsigned round)
{
	uint8_t k[32];
	size_t i;

	switch (round) {
	case 0:
		put(txn, d[META], "format", 6, "nsnapsto\0\0\0\2l\x08\0\0", 16);
		put(txn, d[META], "next", 4, "\0\0\0\0\0\0\0\1", 8);
		for (i = 1; i <= 300; i++) {
			be64(k, i);
			put(txn, d[SNAPS], k, 8, junk + i, 100 + rnd_below(200));
		}
		for (i = 0; i < 500; i++) {
			record_key(k, (unsigned)i);
			put(txn, d[RECORDS], k, 16, junk + rnd_below(1000),
			    value_size());
		}
		for (i = 0; i < 20; i++) {
			static const unsigned n[] = { 1, 2, 5, 30, 300 };
			int kl = snprintf((char *)k, sizeof(k), "label-%zu", i);
			for (unsigned j = 0; j < n[i % 5]; j++) {
				uint8_t id[8];
				be64(id, rnd_below(100000));
				put(txn, d[LABELS], k, (size_t)kl, id, 8);
			}
		}
		for (i = 0; i < 20; i++) {
			static const unsigned n[] = { 1, 3, 20, 80 };
			int kl = snprintf((char *)k, sizeof(k), "k%zu", i);
			for (unsigned j = 0; j < n[i % 4]; j++)
				put(txn, d[DUPS], k, (size_t)kl,
				    junk + rnd_below(5000), 1 + rnd_below(300));
		}
		for (i = 0; i < 300; i++) {
			int kl = snprintf((char *)k, sizeof(k), "%zu-rev", i * 7919);
			put(txn, d[REV], k, (size_t)kl, junk, rnd_below(200));
		}
		for (i = 0; i < 500; i++) {
			size_t key = i * 31 + 7;
			put(txn, d[INTS], &key, sizeof(key), junk + i, 8 + i % 90);
		}
		for (i = 0; i < 9; i++) {
			static const unsigned n[] = { 1, 10, 600 };
			size_t key = i * 1000;
			for (unsigned j = 0; j < n[i % 3]; j++) {
				uint32_t v = (uint32_t)rnd();
				put(txn, d[IDUPS], &key, sizeof(key), &v, 4);
			}
		}
		break;
	case 1:
		for (i = 301; i <= 500; i++) {
			be64(k, i);
			put(txn, d[SNAPS], k, 8, junk + i, 100 + rnd_below(200));
		}
		for (i = 500; i < 700; i++) {
			record_key(k, (unsigned)i);
			put(txn, d[RECORDS], k, 16, junk + rnd_below(1000),
			    value_size());
		}
		break;
	case 2:
		for (i = 0; i < 700; i += 3) {
			record_key(k, (unsigned)i);
			del(txn, d[RECORDS], k, 16, NULL, 0);
		}
		for (i = 50; i < 120; i++) {
			be64(k, i);
			del(txn, d[SNAPS], k, 8, NULL, 0);
		}
		for (i = 0; i < 20; i += 2) {
			int kl = snprintf((char *)k, sizeof(k), "k%zu", i);
			del(txn, d[DUPS], k, (size_t)kl, NULL, 0);
		}
		for (i = 3; i < 20; i += 5) {
			int kl = snprintf((char *)k, sizeof(k), "label-%zu", i);
			del(txn, d[LABELS], k, (size_t)kl, NULL, 0);
		}
		break;
	case 3:
		for (i = 1; i < 700; i += 17) {
			record_key(k, (unsigned)i);
			put(txn, d[RECORDS], k, 16, junk + 7, value_size());
		}
		for (i = 2000; i < 2100; i++) {
			record_key(k, (unsigned)i);
			put(txn, d[RECORDS], k, 16, junk + 9, value_size());
		}
		break;
	case 4:
		for (i = 0; i < 500; i += 2) {
			size_t key = i * 31 + 7;
			del(txn, d[INTS], &key, sizeof(key), NULL, 0);
		}
		for (i = 300; i < 400; i++) {
			int kl = snprintf((char *)k, sizeof(k), "%zu-rev", i * 7919);
			put(txn, d[REV], k, (size_t)kl, junk, rnd_below(200));
		}
		break;
	default:
		put(txn, d[META], "next", 4, "\0\0\0\0\0\0\0\2", 8);
	}
}

#define ROUNDS 6

/* A store-like environment in DIR, ROUNDS commits (and a first one that
 * makes the databases). */
static void env_build(const char *dir, unsigned rounds)
{
	MDB_dbi d[NDBS];
	MDB_env *env;
	MDB_txn *txn;

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)rnd();
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
	assert_int_equal(mdb_env_set_mapsize(env, 64 << 20), 0);
	assert_int_equal(mdb_env_open(env, dir, MDB_NOTLS | MDB_NOSYNC, 0600),
			 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	for (size_t i = 0; i < NDBS; i++)
		assert_int_equal(mdb_dbi_open(txn, dbs[i].name,
					      dbs[i].flags | MDB_CREATE, &d[i]), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	for (unsigned r = 0; r < rounds; r++) {
		assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
		env_round(txn, d, r);
		assert_int_equal(mdb_txn_commit(txn), 0);
	}
	mdb_env_close(env);
}

/* ---- LMDB on a damaged file, in a child --------------------------------- */

enum { CHILD_OK = 0, CHILD_LMDB_ERROR = 1, CHILD_SANITIZER = 97 };

static void child_died(void)
{
	_exit(CHILD_SANITIZER);
}

static volatile uint64_t touched;

/* Every item of DBI, forwards and backwards, and a lookup of some. */
static int db_read_all(MDB_txn *txn, MDB_dbi dbi)
{
	static uint8_t saved[64][512];
	static size_t savedlen[64];
	unsigned nsaved = 0, n = 0;
	MDB_cursor *c;
	MDB_val k, v;
	size_t cnt;
	int rc;

	if ((rc = mdb_cursor_open(txn, dbi, &c)))
		return rc;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); !rc;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT), n++) {
		for (size_t i = 0; i < v.mv_size; i += 64)
			touched += ((const uint8_t *)v.mv_data)[i];
		if (v.mv_size)
			touched += ((const uint8_t *)v.mv_data)[v.mv_size - 1];
		if (n % 7 == 0 && nsaved < 64 && k.mv_size <= 512) {
			memcpy(saved[nsaved], k.mv_data, k.mv_size);
			savedlen[nsaved++] = k.mv_size;
		}
		if (n % 11 == 0 && mdb_cursor_count(c, &cnt) == 0)
			touched += cnt;
	}
	if (rc == MDB_NOTFOUND)
		for (rc = mdb_cursor_get(c, &k, &v, MDB_LAST); !rc;
		     rc = mdb_cursor_get(c, &k, &v, MDB_PREV))
			touched += v.mv_size;
	mdb_cursor_close(c);
	if (rc != MDB_NOTFOUND)
		return rc;
	for (unsigned i = 0; i < nsaved; i++) {
		k = (MDB_val){ savedlen[i], saved[i] };
		rc = mdb_get(txn, dbi, &k, &v);
		if (rc && rc != MDB_NOTFOUND)
			return rc;
	}
	return 0;
}

/* FN on MAIN and on every named database in it; stops at an error. */
static int each_db(MDB_txn *txn, int (*fn)(MDB_txn *, MDB_dbi, const char *))
{
	char names[32][64];
	unsigned n = 0;
	MDB_cursor *c;
	MDB_val k, v;
	MDB_dbi dbi;
	int rc;

	if ((rc = mdb_dbi_open(txn, NULL, 0, &dbi)) ||
	    (rc = mdb_cursor_open(txn, dbi, &c)))
		return rc;
	while (n < 32 && !mdb_cursor_get(c, &k, &v, n ? MDB_NEXT : MDB_FIRST)) {
		size_t l = k.mv_size < 63 ? k.mv_size : 63;
		memcpy(names[n], k.mv_data, l);
		names[n++][l] = '\0';
	}
	mdb_cursor_close(c);
	rc = fn(txn, dbi, "");
	for (unsigned i = 0; !rc && i < n; i++)
		if (mdb_dbi_open(txn, names[i], 0, &dbi) == 0)
			rc = fn(txn, dbi, names[i]);
	return rc;
}

static int db_read_named(MDB_txn *txn, MDB_dbi dbi, const char *name)
{
	(void)name;
	return db_read_all(txn, dbi);
}

static int env_read_all(MDB_env *env)
{
	MDB_txn *txn;
	int rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);

	if (rc)
		return rc;
	rc = each_db(txn, db_read_named);
	mdb_txn_abort(txn);
	return rc;
}

/* What prune and record do to one database: delete some, add some; one
 * is dropped. */
static int db_write(MDB_txn *txn, MDB_dbi dbi, const char *name)
{
	MDB_cursor *c;
	MDB_val k, v;
	unsigned flags, j = 0;
	int rc;

	if (!*name || (rc = mdb_dbi_flags(txn, dbi, &flags)))
		return 0;
	if (!strcmp(name, "rev"))
		return mdb_drop(txn, dbi, 0);
	if ((rc = mdb_cursor_open(txn, dbi, &c)))
		return rc;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); !rc;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT))
		if (j++ % 4 == 0 && (rc = mdb_cursor_del(c, 0)))
			break;
	mdb_cursor_close(c);
	if (rc != MDB_NOTFOUND)
		return rc;
	rc = 0;
	for (j = 0; !rc && j < 40; j++) {
		size_t key = rnd(), kl = flags & MDB_INTEGERKEY ?
			     sizeof(size_t) : 1 + rnd_below(40);
		size_t vl = flags & MDB_DUPFIXED ?
			    (flags & MDB_INTEGERDUP ? 4 : 8) :
			    flags & MDB_DUPSORT ? rnd_below(400) : value_size();
		k = (MDB_val){ kl, kl == sizeof(key) ? (void *)&key :
			       junk + rnd_below(4000) };
		v = (MDB_val){ vl, junk + rnd_below(40000) };
		rc = mdb_put(txn, dbi, &k, &v, 0);
	}
	return rc;
}

static int env_write(MDB_env *env)
{
	MDB_txn *txn;
	int rc = mdb_txn_begin(env, NULL, 0, &txn);

	if (rc)
		return rc;
	rc = each_db(txn, db_write);
	if (rc) {
		mdb_txn_abort(txn);
		return rc;
	}
	return mdb_txn_commit(txn);
}

/* A child that is expected to crash now and then: quiet about it,
 * unless MDBCHECK_VERBOSE is set. */
static void child_quiet(void)
{
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

	if (!getenv("MDBCHECK_VERBOSE") && fd >= 0)
		dup2(fd, 2);
	if (fd >= 0)
		close(fd);
}

/* The child: LMDB on the environment in DIR.  Never returns. */
static void child_run(const char *dir, uint64_t seed)
{
	MDB_env *env;
	int rc;

	child_quiet();
	/* cmocka's handlers would carry on with the tests in here. */
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT,
				    SIGSYS, SIGALRM };
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);
#ifdef __SANITIZE_ADDRESS__
	__sanitizer_set_death_callback(child_died);
#else
	(void)child_died;
#endif
	alarm(20);
	rng = seed | 1;
	if (mdb_env_create(&env) || mdb_env_set_maxdbs(env, 32))
		_exit(CHILD_LMDB_ERROR);
	rc = mdb_env_open(env, dir, MDB_NOTLS | MDB_NOSYNC, 0600);
	if (!rc)
		rc = env_read_all(env);
	if (!rc)
		rc = env_write(env);
	if (!rc)
		rc = env_read_all(env);
	_exit(rc ? CHILD_LMDB_ERROR : CHILD_OK);
}

enum outcome { OUT_DETECTED, OUT_HARMLESS, OUT_LMDB_ERROR, OUT_CRASHED,
	       OUT_HUNG };

static enum outcome child_outcome(const char *dir, uint64_t seed, int *sig)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		child_run(dir, seed);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	*sig = 0;
	if (WIFSIGNALED(status)) {
		*sig = WTERMSIG(status);
		return *sig == SIGALRM ? OUT_HUNG : OUT_CRASHED;
	}
	if (WEXITSTATUS(status) == CHILD_OK)
		return OUT_HARMLESS;
	if (WEXITSTATUS(status) == CHILD_LMDB_ERROR)
		return OUT_LMDB_ERROR;
	return OUT_CRASHED;
}

/* ---- the sweep ---------------------------------------------------------- */

struct tally {
	const char *name;
	unsigned tried, detected, harmless, lmdb_error, crashed, hung;
	unsigned would_crash;      /* full sweep: detected, LMDB crashes */
};

struct sweep {
	const uint8_t *orig;
	size_t len;
	uint32_t psize;
	uint64_t last_pg;
	uint8_t *buf;
	char dir[128], data[160];
	bool full, verbose;
	uint64_t variant;
};

static void sweep_run(struct sweep *sw, struct tally *t, size_t len,
		      const char *what)
{
	char why[MDBCHECK_WHY_MAX];
	enum outcome o;
	int rc, sig;

	if (len == sw->len && !memcmp(sw->buf, sw->orig, len))
		return;    /* no damage after all */
	file_write(sw->data, sw->buf, len);
	sw->variant++;
	t->tried++;
	rc = check_path(sw->data, NULL, NULL, why);
	if (rc && rc != MDBCHECK_EDAMAGED && rc != MDBCHECK_ENOTLMDB &&
	    rc != MDBCHECK_EFOREIGN && rc != MDBCHECK_EEMPTY)
		fail_msg("%s: mdbcheck failed: %d", what, rc);
	if (rc) {
		t->detected++;
		if (sw->full && rc != MDBCHECK_EEMPTY &&
		    child_outcome(sw->dir, sw->variant, &sig) >= OUT_CRASHED) {
			t->would_crash++;
			if (sw->verbose)
				print_message("found, LMDB crashes (%d): %s: "
					      "%s\n", sig, what, why);
		}
		return;
	}
	o = child_outcome(sw->dir, sw->variant, &sig);
	if (sw->verbose && o != OUT_DETECTED)
		print_message("passed: %s: %s\n", what,
			      o == OUT_HARMLESS ? "harmless" : o ==
			      OUT_LMDB_ERROR ? "LMDB error" : "CRASH");
	switch (o) {
	case OUT_HARMLESS:
		t->harmless++;
		break;
	case OUT_LMDB_ERROR:
		t->lmdb_error++;
		break;
	case OUT_HUNG:
		t->hung++;
		print_message("HUNG (passed the checks): %s\n", what);
		break;
	default:
		t->crashed++;
		print_message("CRASHED (signal %d, passed the checks): %s\n",
			      sig, what);
		break;
	}
}

/* Take the sample: every variant in a full sweep, else about N of them,
 * spread evenly over the TOTAL. */
static bool sampled(const struct sweep *sw, uint64_t i, uint64_t total,
		    uint64_t n)
{
	return sw->full || total <= n || i % (total / n) == 0;
}

static void damage_meta(struct sweep *sw, struct tally *t, uint64_t n)
{
	static const char *const ops[] = { "^0xff", "=0xff", "=0x00", "^0x01",
					   "+1" };
	size_t bytes = 16 + 144;    /* the page header and MDB_meta, and 8 */
	uint64_t total = 2 * bytes * 5, i = 0;
	char what[96];

	for (unsigned m = 0; m < 2; m++)
		for (size_t b = 0; b < bytes; b++)
			for (unsigned op = 0; op < 5; op++, i++) {
				if (!sampled(sw, i, total, n))
					continue;
				size_t off = m * sw->psize + b;
				memcpy(sw->buf, sw->orig, sw->len);
				uint8_t *p = sw->buf + off;
				*p = op == 0 ? *p ^ 0xff : op == 1 ? 0xff :
				     op == 2 ? 0 : op == 3 ? *p ^ 1 :
				     (uint8_t)(*p + 1);
				snprintf(what, sizeof(what), "meta %u byte %zu %s",
					 m, b, ops[op]);
				sweep_run(sw, t, sw->len, what);
			}
}

static void damage_truncate(struct sweep *sw, struct tally *t, uint64_t n)
{
	uint64_t pages = sw->len / sw->psize, total = pages * 3, i = 0;
	char what[64];

	memcpy(sw->buf, sw->orig, sw->len);
	for (uint64_t p = 0; p < pages; p++)
		for (unsigned k = 0; k < 3; k++, i++) {
			if (!sampled(sw, i, total, n))
				continue;
			size_t at = p * sw->psize + (k == 0 ? 0 : k == 1 ? 1 :
						     sw->psize / 2 + rnd_below(99));
			snprintf(what, sizeof(what), "truncate at %zu", at);
			sweep_run(sw, t, at, what);
		}
}

enum page_op { PG_ZERO, PG_FF, PG_JUNK, PG_SWAP, PG_DUP };

static void damage_pages(struct sweep *sw, struct tally *t, uint64_t n,
			 enum page_op op)
{
	static const char *const names[] = { "zero", "0xff", "junk", "swap",
					     "duplicate" };
	uint64_t pages = sw->len / sw->psize;
	char what[64];

	for (uint64_t p = 2; p < pages; p++) {
		if (!sampled(sw, p - 2, pages - 2, n))
			continue;
		uint8_t *pg = sw->buf + p * sw->psize;
		uint64_t q = 2 + rnd_below(pages - 2);
		memcpy(sw->buf, sw->orig, sw->len);
		switch (op) {
		case PG_ZERO:
			memset(pg, 0, sw->psize);
			break;
		case PG_FF:
			memset(pg, 0xff, sw->psize);
			break;
		case PG_JUNK:
			for (uint32_t i = 0; i < sw->psize; i++)
				pg[i] = (uint8_t)rnd();
			break;
		case PG_SWAP:
			memcpy(pg, sw->orig + q * sw->psize, sw->psize);
			memcpy(sw->buf + q * sw->psize, sw->orig + p * sw->psize,
			       sw->psize);
			break;
		case PG_DUP:
			memcpy(pg, sw->orig + q * sw->psize, sw->psize);
			break;
		}
		snprintf(what, sizeof(what), "%s page %" PRIu64 " (%" PRIu64 ")",
			 names[op], p, q);
		sweep_run(sw, t, sw->len, what);
	}
}

/* Flipped bits or bytes set at random, anywhere after the meta pages. */
static void damage_bits(struct sweep *sw, struct tally *t, uint64_t n)
{
	uint64_t total = sw->full ? 20000 : n;
	char what[96];

	for (uint64_t i = 0; i < total; i++) {
		size_t off = 2 * sw->psize + rnd_below(sw->len - 2 * sw->psize);
		size_t len = 1 + rnd_below(i % 3 ? 8 : 64);
		memcpy(sw->buf, sw->orig, sw->len);
		if (off + len > sw->len)
			len = sw->len - off;
		for (size_t j = 0; j < len; j++)
			sw->buf[off + j] ^= i % 2 ? (uint8_t)(1u << rnd_below(8)) :
					    (uint8_t)rnd();
		snprintf(what, sizeof(what), "%s at %zu, %zu bytes",
			 i % 2 ? "bit flips" : "random bytes", off, len);
		sweep_run(sw, t, sw->len, what);
	}
}

/* One field of a page header or of a node, set to a value near an edge. */
static void damage_fields(struct sweep *sw, struct tally *t, uint64_t n)
{
	uint64_t pages = sw->len / sw->psize;
	uint64_t total = sw->full ? 20000 : n;
	char what[96];

	for (uint64_t i = 0; i < total; i++) {
		uint64_t p = 2 + rnd_below(pages - 2);
		uint8_t *pg = sw->buf + p * sw->psize;
		size_t at;
		memcpy(sw->buf, sw->orig, sw->len);
		uint16_t lower;
		memcpy(&lower, pg + 12, 2);
		unsigned nkeys = lower >= 16 && lower < sw->psize ?
				 (lower - 16u) / 2 : 0;
		if (i % 2 || nkeys == 0) {
			at = rnd_below(16);            /* the page header */
		} else {                               /* a node, or its pointer */
			uint16_t off;
			unsigned k = (unsigned)rnd_below(nkeys);
			memcpy(&off, pg + 16 + 2 * k, 2);
			at = i % 4 == 0 || off + 8u > sw->psize ?
			     16 + 2 * k + rnd_below(2) : off + rnd_below(8);
		}
		static const uint8_t vals[] = { 0, 1, 2, 0x7f, 0x80, 0xfe,
						0xff, 0x10, 0x20, 0x40 };
		uint8_t v = i % 3 ? vals[rnd_below(sizeof(vals))] :
			    (uint8_t)(pg[at] + (rnd() & 1 ? 1 : 0xff));
		pg[at] = v;
		snprintf(what, sizeof(what), "page %" PRIu64 " byte %zu = 0x%02x",
			 p, at, v);
		sweep_run(sw, t, sw->len, what);
	}
}

static void tally_print(const struct tally *t, bool full)
{
	print_message("%-14s %6u %6u %8u %8u %7u %4u", t->name, t->tried,
		      t->detected, t->harmless, t->lmdb_error, t->crashed,
		      t->hung);
	if (full)
		print_message(" %11u", t->would_crash);
	print_message("\n");
}

/* ---- fixtures ----------------------------------------------------------- */

static int group_setup(void **state)
{
	char dir[128];

	(void)state;
	strcpy(top, "/tmp/nsnap-mdbcheck.XXXXXX");
	if (!mkdtemp(top))
		return -1;
	dir_make("orig");
	path_of(dir, sizeof(dir), "orig", NULL);
	env_build(dir, ROUNDS);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	nftw(top, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

/* ---- tests -------------------------------------------------------------- */

static void test_whole(void **state)
{
	struct mdbcheck_meta m;
	struct mdbcheck_tree t;
	char path[160], why[MDBCHECK_WHY_MAX];

	(void)state;
	path_of(path, sizeof(path), "orig", "data.mdb");
	assert_int_equal(check_path(path, &m, &t, why), 0);
	assert_int_equal(m.txnid, ROUNDS + 1);
	assert_int_equal(m.which, (ROUNDS + 1) % 2);
	assert_false(m.pristine);
	assert_int_equal(t.named_dbs, NDBS);
	assert_true(t.dup_dbs >= 4);           /* labels 700, dups 150, idups */
	assert_true(t.pages_free > 10);
	assert_int_equal(t.pages_used + t.pages_free + t.pages_leaked,
			 m.last_pg - 1);
	print_message("whole: %" PRIu64 " pages used, %" PRIu64 " free, %"
		      PRIu64 " leaked, %" PRIu64 " sub-databases, %" PRIu64
		      " entries, %" PRIu64 " bytes\n", t.pages_used,
		      t.pages_free, t.pages_leaked, t.dup_dbs, t.entries,
		      m.file_size);
}

static void test_fresh_and_foreign(void **state)
{
	MDB_env *env;
	struct mdbcheck_meta m;
	char dir[128], path[160], why[MDBCHECK_WHY_MAX];
	size_t len;
	uint8_t *b;

	(void)state;
	/* As LMDB creates it, and as a copy compacts it. */
	dir_make("fresh");
	path_of(dir, sizeof(dir), "fresh", NULL);
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_open(env, dir, 0, 0600), 0);
	mdb_env_close(env);
	path_of(path, sizeof(path), "fresh", "data.mdb");
	assert_int_equal(check_path(path, &m, NULL, why), 0);
	assert_true(m.pristine);
	assert_int_equal(m.txnid, 0);
	assert_int_equal(m.root[1], MDBCHECK_NOPAGE);

	dir_make("compact");
	path_of(dir, sizeof(dir), "orig", NULL);
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
	assert_int_equal(mdb_env_open(env, dir, MDB_RDONLY, 0600), 0);
	path_of(dir, sizeof(dir), "compact", NULL);
	assert_int_equal(mdb_env_copy2(env, dir, MDB_CP_COMPACT), 0);
	mdb_env_close(env);
	path_of(path, sizeof(path), "compact", "data.mdb");
	assert_int_equal(check_path(path, &m, NULL, why), 0);
	assert_int_equal(m.txnid, 1);
	assert_int_equal(m.which, 1);

	/* Issue 9, item 6: byte 145 (meta page 0's transaction id) of a
	 * fresh copy, or bit 0 of byte 4136 (meta page 1's page size). */
	b = file_read(path, &len);
	b[145] = 0xff;
	file_write(path, b, len);
	assert_int_equal(check_path(path, NULL, NULL, why), MDBCHECK_EDAMAGED);
	assert_non_null(strstr(why, "not consecutive"));
	b[145] = 0;
	b[4136] ^= 1;
	file_write(path, b, len);
	assert_int_equal(check_path(path, NULL, NULL, why), MDBCHECK_EDAMAGED);
	assert_string_equal(why, "meta page 1: page size 4097 is not a power "
			    "of two");
	free(b);

	/* Empty, not LMDB, another byte order. */
	path_of(path, sizeof(path), "fresh", "other");
	file_write(path, (const uint8_t *)"", 0);
	assert_int_equal(check_path(path, NULL, NULL, why), MDBCHECK_EEMPTY);
	file_write(path, junk, 3 * 4096);
	assert_int_equal(check_path(path, NULL, NULL, why), MDBCHECK_ENOTLMDB);
	path_of(path, sizeof(path), "fresh", "data.mdb");
	b = file_read(path, &len);
	uint32_t magic;
	memcpy(&magic, b + 16, 4);
	magic = __builtin_bswap32(magic);
	memcpy(b + 16, &magic, 4);
	memcpy(b + 4096 + 16, &magic, 4);
	path_of(path, sizeof(path), "fresh", "other");
	file_write(path, b, len);
	assert_int_equal(check_path(path, NULL, NULL, why), MDBCHECK_EFOREIGN);
	free(b);
}

/* Issue 9, item 6: byte 145 set to 0xff on a store of 8 commits. */
static void test_rollback_byte(void **state)
{
	char path[160], dir[128], why[MDBCHECK_WHY_MAX];
	uint8_t *b;
	size_t len;

	(void)state;
	dir_make("roll");
	path_of(dir, sizeof(dir), "orig", "data.mdb");
	b = file_read(dir, &len);
	path_of(path, sizeof(path), "roll", "data.mdb");
	b[145] = 0xff;
	file_write(path, b, len);
	assert_int_equal(check_path(path, NULL, NULL, why), MDBCHECK_EDAMAGED);
	assert_non_null(strstr(why, "transactions"));
	free(b);
}

static void seal_dir(const char *sub, int *dirfd, int *datafd)
{
	char p[160];

	path_of(p, sizeof(p), sub, NULL);
	*dirfd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(*dirfd >= 0);
	path_of(p, sizeof(p), sub, "data.mdb");
	*datafd = open(p, O_RDONLY | O_CLOEXEC);
	assert_true(*datafd >= 0);
}

static void test_seal(void **state)
{
	struct mdbcheck_meta m;
	struct mdbcheck_seal s;
	char orig[160], path[160], dir[128];
	uint8_t *b, *before;
	size_t len, blen;
	int dirfd, fd;
	struct stat st;

	(void)state;
	/* A store one commit back: the state before the last round. */
	dir_make("sealold");
	path_of(dir, sizeof(dir), "sealold", NULL);
	rng = 0x9e3779b97f4a7c15ull;
	env_build(dir, ROUNDS - 1);
	path_of(path, sizeof(path), "sealold", "data.mdb");
	before = file_read(path, &blen);

	dir_make("seal");
	path_of(orig, sizeof(orig), "orig", "data.mdb");
	b = file_read(orig, &len);
	path_of(path, sizeof(path), "seal", "data.mdb");
	file_write(path, b, len);
	seal_dir("seal", &dirfd, &fd);

	/* No seal yet; then one, which checks. */
	assert_int_equal(mdbcheck_seal_check(dirfd, fd, &m, &s), 0);
	assert_false(s.present);
	assert_int_equal(mdbcheck_seal_write(dirfd, fd, 42, &s), 0);
	assert_int_equal(s.txnid, ROUNDS + 1);
	assert_int_equal(mdbcheck_seal_check(dirfd, fd, &m, &s), 0);
	assert_true(s.present);
	assert_int_equal(s.last_id, 42);
	assert_int_equal(fstatat(dirfd, MDBCHECK_SEAL_NAME, &st, 0), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	/* The id is never lowered. */
	assert_int_equal(mdbcheck_seal_write(dirfd, fd, 7, &s), 0);
	assert_int_equal(s.last_id, 42);

	/* The data file one commit back: rolled back. */
	file_write(path, before, blen);
	assert_int_equal(mdbcheck_seal_check(dirfd, fd, &m, &s),
			 MDBCHECK_EROLLBACK);
	assert_string_equal(s.why, "store rolled back: data.mdb is at "
			    "transaction 6, last write was transaction 7");
	assert_int_equal(mdbcheck_seal_write(dirfd, fd, 43, &s),
			 MDBCHECK_EROLLBACK);

	/* The newest transaction id lowered by two: a pair LMDB could have
	 * written, so only the seal can tell. */
	{
		struct mdbcheck_meta mm;
		file_write(path, b, len);
		assert_int_equal(mdbcheck_meta(fd, &mm), 0);
		size_t at = mm.which * mm.psize + 16 + 128;
		uint64_t t = mm.txnid - 2;
		memcpy(b + at, &t, 8);
		file_write(path, b, len);
		assert_int_equal(mdbcheck_meta(fd, &mm), 0);
		assert_int_equal(mm.txnid, ROUNDS);
		assert_int_equal(mdbcheck_seal_check(dirfd, fd, &m, &s),
				 MDBCHECK_EROLLBACK);
		t += 2;
		memcpy(b + at, &t, 8);
	}

	/* The sealed meta page changed (its map size), the file cut short. */
	file_write(path, b, len);
	{
		struct mdbcheck_meta mm;
		assert_int_equal(mdbcheck_meta(fd, &mm), 0);
		b[mm.which * mm.psize + 16 + 16] ^= 0x01;
		file_write(path, b, len);
		assert_int_equal(mdbcheck_seal_check(dirfd, fd, &m, &s),
				 MDBCHECK_EDAMAGED);
		assert_non_null(strstr(s.why, "is not the one written"));
		b[mm.which * mm.psize + 16 + 16] ^= 0x01;
	}
	file_write(path, b, len - 4096);
	assert_int_equal(mdbcheck_seal_check(dirfd, fd, &m, &s),
			 MDBCHECK_EDAMAGED);
	assert_non_null(strstr(s.why, "cut short"));
	file_write(path, b, len);
	assert_int_equal(mdbcheck_seal_check(dirfd, fd, &m, &s), 0);

	/* A seal one commit behind the data (a crash between the commit and
	 * the seal) passes. */
	file_write(path, before, blen);
	unlinkat(dirfd, MDBCHECK_SEAL_NAME, 0);
	assert_int_equal(mdbcheck_seal_write(dirfd, fd, 40, &s), 0);
	file_write(path, b, len);
	assert_int_equal(mdbcheck_seal_check(dirfd, fd, &m, &s), 0);
	assert_int_equal(s.txnid, ROUNDS);

	/* A damaged seal, one that others may write, a symlink. */
	char seal[200];
	path_of(seal, sizeof(seal), "seal", MDBCHECK_SEAL_NAME);
	uint8_t *sb;
	size_t sl;
	sb = file_read(seal, &sl);
	sb[20] ^= 4;
	file_write(seal, sb, sl);
	assert_int_equal(mdbcheck_seal_check(dirfd, fd, &m, &s),
			 MDBCHECK_EDAMAGED);
	assert_non_null(strstr(s.why, "is damaged"));
	assert_int_equal(mdbcheck_seal_write(dirfd, fd, 41, &s), 0);
	assert_int_equal(chmod(seal, 0620), 0);
	assert_int_equal(mdbcheck_seal_check(dirfd, fd, &m, &s), -EPERM);
	assert_int_equal(unlink(seal), 0);
	assert_int_equal(symlink(orig, seal), 0);
	assert_int_equal(mdbcheck_seal_check(dirfd, fd, &m, &s), -ELOOP);
	assert_int_equal(unlink(seal), 0);
	free(sb);
	free(b);
	free(before);
	close(fd);
	close(dirfd);
}

/* What a second process makes of the lock file: opens the environment
 * as the store does, cleans reader slots, writes one item. */
static const char *lock_child(const char *dir)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		MDB_env *env;
		MDB_txn *txn;
		MDB_dbi dbi;
		MDB_val k = { 1, "k" };
		int dead;
		child_quiet();
		signal(SIGSEGV, SIG_DFL);
		signal(SIGBUS, SIG_DFL);
		signal(SIGABRT, SIG_DFL);
		alarm(2);
		if (mdb_env_create(&env) || mdb_env_set_maxdbs(env, 16) ||
		    mdb_env_open(env, dir, MDB_NOTLS | MDB_NOSYNC, 0600) ||
		    mdb_reader_check(env, &dead) ||
		    mdb_txn_begin(env, NULL, 0, &txn) ||
		    mdb_dbi_open(txn, "meta", 0, &dbi) ||
		    mdb_put(txn, dbi, &k, &k, 0) || mdb_txn_commit(txn))
			_exit(1);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		return WTERMSIG(status) == SIGALRM ? "hangs" : "crashes";
	return WEXITSTATUS(status) ? "fails" : "carries on";
}

/* A process holding the environment open while the lock file is damaged
 * under it. */
static void test_lock(void **state)
{
	char dir[128], lock[160], orig[160], data[160];
	struct mdbcheck_lock l;
	struct mdbcheck_meta m;
	int p[2], fd, status;
	uint8_t *b, *sane;
	size_t len;
	pid_t pid;

	(void)state;
	dir_make("lock");
	path_of(orig, sizeof(orig), "orig", "data.mdb");
	path_of(data, sizeof(data), "lock", "data.mdb");
	b = file_read(orig, &len);
	file_write(data, b, len);
	free(b);
	path_of(dir, sizeof(dir), "lock", NULL);
	path_of(lock, sizeof(lock), "lock", "lock.mdb");
	assert_int_equal(check_path(data, &m, NULL, NULL), 0);

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		MDB_env *env;
		MDB_txn *txn;
		char c = 'x';
		close(p[0]);
		if (mdb_env_create(&env) || mdb_env_set_maxdbs(env, 16) ||
		    mdb_env_open(env, dir, MDB_NOTLS, 0600) ||
		    mdb_txn_begin(env, NULL, MDB_RDONLY, &txn))
			_exit(1);
		if (write(p[1], &c, 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(p[1]);
	char c;
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);

	fd = open(lock, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(mdbcheck_lock(fd, &m, &l), 0);
	assert_true(l.in_use);
	assert_int_equal(l.readers, 1);
	assert_int_equal(l.slots, 126);
	assert_int_equal(l.txnid, m.txnid);
	sane = file_read(lock, &len);

	static const struct {
		size_t off;
		uint8_t val;
		const char *says;
	} hits[] = {
		{ 0, 0x00, "magic" },            /* magic */
		{ 6, 0x02, "format" },           /* format */
		{ 57, 0x01, "readers in" },      /* numreaders */
		{ 24, 0x00, "reader lock is not" },  /* rmutex kind */
		{ 80, 0x11, "writer lock is not" },  /* wmutex kind */
		{ 67, 0x3f, "does not exist" },  /* wmutex held by no thread */
		{ 48, 0x00, "was the last" },    /* the last transaction */
		{ 136, 0xff, "names process" },  /* reader 0's pid */
	};
	int wfd = open(lock, O_WRONLY | O_CLOEXEC);
	assert_true(wfd >= 0);
	b = malloc(len);
	assert_non_null(b);
	for (size_t i = 0; i < sizeof(hits) / sizeof(hits[0]); i++) {
		memcpy(b, sane, len);
		b[hits[i].off] = hits[i].val;
		if (hits[i].off == 136)
			b[139] = 0xff;
		assert_int_equal(pwrite(wfd, b, len, 0), (ssize_t)len);
		assert_int_equal(mdbcheck_lock(fd, &m, &l), MDBCHECK_EDAMAGED);
		if (!strstr(l.why, hits[i].says))
			fail_msg("byte %zu: \"%s\"", hits[i].off, l.why);
		print_message("lock.mdb byte %3zu = 0x%02x: LMDB %-10s %s\n",
			      hits[i].off, hits[i].val, lock_child(dir), l.why);
	}
	free(b);
	assert_int_equal(pwrite(wfd, sane, len, 0), (ssize_t)len);
	assert_int_equal(mdbcheck_lock(fd, &m, &l), 0);
	assert_int_equal(ftruncate(wfd, 100), 0);
	assert_int_equal(mdbcheck_lock(fd, &m, &l), MDBCHECK_EDAMAGED);
	assert_non_null(strstr(l.why, "shorter than its header"));

	/* Nobody holds it: LMDB rebuilds it, whatever it holds. */
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(mdbcheck_lock(fd, &m, &l), 0);
	assert_false(l.in_use);
	close(wfd);
	close(fd);
	free(sane);
	/* And LMDB, opening it next, is fine with that. */
	MDB_env *env;
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_open(env, dir, MDB_NOTLS, 0600), 0);
	mdb_env_close(env);
}

/* ---- crafted damage ----------------------------------------------------- */

struct img {
	uint8_t *b;
	size_t len;
	uint32_t psize;
	struct mdbcheck_meta m;
};

static uint8_t *pg(const struct img *im, uint64_t n)
{
	assert_true((n + 1) * im->psize <= im->len);
	return im->b + n * im->psize;
}

static unsigned nkeys(const uint8_t *p)
{
	return (rd16(p + PG_LOWER) - (unsigned)PAGEHDRSZ) / 2;
}

static uint8_t *node(uint8_t *p, unsigned i)
{
	return p + rd16(p + PAGEHDRSZ + 2 * i);
}

static uint64_t child(const uint8_t *nd)
{
	return rd16(nd + offsetof(struct lm_node, lo)) |
	       (uint64_t)rd16(nd + offsetof(struct lm_node, hi)) << 16 |
	       (uint64_t)rd16(nd + offsetof(struct lm_node, flags)) << 32;
}

static uint8_t *node_data(uint8_t *nd)
{
	return nd + NODESIZE + rd16(nd + offsetof(struct lm_node, ksize));
}

/* The record of named database NAME in MAIN (a leaf here). */
static uint8_t *db_rec(const struct img *im, const char *name)
{
	uint8_t *p = pg(im, im->m.root[1]);

	assert_int_equal(rd16(p + PG_FLAGS), P_LEAF);
	for (unsigned i = 0; i < nkeys(p); i++) {
		uint8_t *nd = node(p, i);
		if (rd16(nd + offsetof(struct lm_node, ksize)) == strlen(name) &&
		    !memcmp(nd + NODESIZE, name, strlen(name)))
			return node_data(nd);
	}
	fail_msg("no database %s", name);
	return NULL;
}

static uint64_t db_root(const struct img *im, const char *name)
{
	return db_read(db_rec(im, name)).root;
}

/* The first leaf of the tree rooted at ROOT. */
static uint8_t *first_leaf(const struct img *im, uint64_t root)
{
	uint8_t *p = pg(im, root);

	while (rd16(p + PG_FLAGS) & P_BRANCH)
		p = pg(im, child(node(p, 0)));
	return p;
}

/* A leaf node of database NAME with node flags FL, in its first leaves. */
static uint8_t *node_with(const struct img *im, const char *name, uint16_t fl)
{
	uint8_t *br = pg(im, db_root(im, name));
	unsigned nb = rd16(br + PG_FLAGS) & P_BRANCH ? nkeys(br) : 1;

	for (unsigned c = 0; c < nb; c++) {
		uint8_t *p = rd16(br + PG_FLAGS) & P_BRANCH ?
			     first_leaf(im, child(node(br, c))) : br;
		for (unsigned i = 0; i < nkeys(p); i++)
			if (rd16(node(p, i) + offsetof(struct lm_node, flags)) == fl)
				return node(p, i);
	}
	fail_msg("no node with flags %u in %s", fl, name);
	return NULL;
}

static void crafted(const struct img *orig, struct img *im, const char *what,
		    const char *says, struct tally *t)
{
	char dir[128], path[160], why[MDBCHECK_WHY_MAX];
	int sig;

	path_of(dir, sizeof(dir), "crafted", NULL);
	path_of(path, sizeof(path), "crafted", "data.mdb");
	file_write(path, im->b, im->len);
	assert_int_equal(check_path(path, NULL, NULL, why), MDBCHECK_EDAMAGED);
	if (!strstr(why, says))
		fail_msg("%s: \"%s\"", what, why);
	enum outcome o = child_outcome(dir, 1, &sig);
	t->tried++;
	t->detected++;
	t->would_crash += o >= OUT_CRASHED;
	print_message("%-40s LMDB %-12s %s\n", what, o >= OUT_CRASHED ?
		      "crashes" : o == OUT_LMDB_ERROR ? "fails" : "carries on",
		      why);
	memcpy(im->b, orig->b, orig->len);
}

/* Damage aimed at one structure each, with the message it must give. */
static void test_crafted(void **state)
{
	struct tally t = { .name = "crafted" };
	struct img o, im;
	char path[160];
	uint8_t *p, *nd;

	(void)state;
	dir_make("crafted");
	path_of(path, sizeof(path), "orig", "data.mdb");
	o.b = file_read(path, &o.len);
	assert_int_equal(check_path(path, &o.m, NULL, NULL), 0);
	o.psize = o.m.psize;
	im = o;
	im.b = malloc(o.len);
	assert_non_null(im.b);
	memcpy(im.b, o.b, o.len);

	uint64_t root = db_root(&im, "records");
	p = pg(&im, root);
	assert_true(rd16(p + PG_FLAGS) & P_BRANCH);
	uint64_t c0 = child(node(p, 0));
	memcpy(node(p, 1), &c0, 4);              /* lo and hi */
	crafted(&o, &im, "branch: two children the same page",
		"reached a second time", &t);

	p = pg(&im, root);
	nd = node(p, 0);
	memcpy(nd, node(p, 1), 6);               /* child 0 := child 1 */
	memcpy(node(p, 1), &c0, 4);              /* and the other way */
	crafted(&o, &im, "branch: children swapped", "sorts", &t);

	p = first_leaf(&im, root);
	uint16_t a = rd16(p + PAGEHDRSZ), b = rd16(p + PAGEHDRSZ + 2);
	memcpy(p + PAGEHDRSZ, &b, 2);
	memcpy(p + PAGEHDRSZ + 2, &a, 2);
	crafted(&o, &im, "leaf: two keys swapped", "out of order", &t);

	p = first_leaf(&im, root);
	a = rd16(p + PAGEHDRSZ) + 1;
	memcpy(p + PAGEHDRSZ, &a, 2);
	crafted(&o, &im, "leaf: node at an odd offset", "outside its area", &t);

	p = pg(&im, root);
	a = (uint16_t)(PAGEHDRSZ + 2);
	memcpy(p + PG_LOWER, &a, 2);
	crafted(&o, &im, "branch of one key", "1 keys", &t);

	nd = node_with(&im, "records", F_BIGDATA);
	uint64_t ov = rdsz(node_data(nd));
	a = P_LEAF;
	memcpy(pg(&im, ov) + PG_FLAGS, &a, 2);
	crafted(&o, &im, "overflow page made a leaf", "is not one", &t);

	nd = node_with(&im, "records", F_BIGDATA);
	a = (uint16_t)(rd16(nd + offsetof(struct lm_node, hi)) + 1);
	memcpy(nd + offsetof(struct lm_node, hi), &a, 2);
	crafted(&o, &im, "overflow value 64 KiB longer", "overflow", &t);

	nd = node_with(&im, "dups", F_DUPDATA);
	size_t one = 1;
	memcpy(node_data(nd), &one, sizeof(one));
	crafted(&o, &im, "sub-page numbered 1", "sub-page numbered 1", &t);

	nd = node_with(&im, "dups", F_DUPDATA);
	a = 0x7fff;
	memcpy(nd + offsetof(struct lm_node, ksize), &a, 2);
	crafted(&o, &im, "key size 32767", "node", &t);

	nd = node_with(&im, "labels", F_DUPDATA | F_SUBDATA);
	p = first_leaf(&im, db_read(node_data(nd)).root);
	assert_int_equal(rd16(p + PG_FLAGS), P_LEAF | P_LEAF2);
	a = 4;
	memcpy(p + PG_PAD, &a, 2);
	crafted(&o, &im, "LEAF2 page of another value size", "values of", &t);

	p = first_leaf(&im, im.m.root[0]);
	nd = node(p, 0);
	uint64_t cnt = rdsz(node_data(nd)) + 1000;
	memcpy(node_data(nd), &cnt, 8);
	crafted(&o, &im, "free-list record counts too many", "counts", &t);

	p = first_leaf(&im, im.m.root[0]);
	nd = node(p, nkeys(p) - 1);
	uint8_t *ids = node_data(nd);
	cnt = rdsz(ids);
	assert_true(cnt >= 1);
	uint64_t used = UINT64_MAX;
	for (size_t i = 0; i < NDBS; i++)
		if (db_root(&im, dbs[i].name) < used)
			used = db_root(&im, dbs[i].name);
	/* In place of the first smaller one: the list stays descending. */
	uint64_t j = 1;
	while (j < cnt && rdsz(ids + 8 * j) > used)
		j++;
	memcpy(ids + 8 * j, &used, 8);
	crafted(&o, &im, "a page in use listed free", "in use and in the free "
		"list", &t);

	/* The meta page LMDB uses: DUPSORT on the free list (mdb.c asserts
	 * mx != NULL), a deeper main tree, a root beyond the file. */
	size_t meta = o.m.which * o.psize + PAGEHDRSZ;
	im.b[meta + offsetof(struct lm_meta, dbs) +
	     offsetof(struct lm_db, flags)] |= MDB_DUPSORT;
	crafted(&o, &im, "free list with DUPSORT", "free list flags", &t);
	im.b[meta + offsetof(struct lm_meta, dbs) + sizeof(struct lm_db) +
	     offsetof(struct lm_db, depth)] += 1;
	crafted(&o, &im, "main tree one deeper", "main database", &t);
	uint64_t far = o.len / o.psize + 3;
	memcpy(im.b + meta + offsetof(struct lm_meta, dbs) +
	       sizeof(struct lm_db) + offsetof(struct lm_db, root), &far, 8);
	memcpy(im.b + meta + offsetof(struct lm_meta, last_pg), &far, 8);
	crafted(&o, &im, "main root beyond the end of the file",
		"beyond the end of the file", &t);

	print_message("crafted: %u, all found; LMDB would crash on %u\n",
		      t.tried, t.would_crash);
	free(o.b);
	free(im.b);
}

static void test_sweep(void **state)
{
	const char *mode = getenv("MDBCHECK_SWEEP");
	struct sweep sw = { .full = mode && !strcmp(mode, "full"),
			    .verbose = getenv("MDBCHECK_VERBOSE") != NULL };
	struct tally t[] = {
		{ .name = "meta bytes" }, { .name = "truncation" },
		{ .name = "zeroed page" }, { .name = "0xff page" },
		{ .name = "junk page" }, { .name = "swapped pages" },
		{ .name = "duplicated pg" }, { .name = "bit ranges" },
		{ .name = "header/node" },
	};
	struct tally sum = { .name = "total" };
	char orig[160];
	struct mdbcheck_meta m;
	double t0 = now();

	(void)state;
	if (getenv("MDBCHECK_BENCH"))
		skip();
	/* Thousands of rewrites of the file: in memory when possible. */
	strcpy(sw.dir, "/dev/shm/nsnap-mdbcheck.XXXXXX");
	if (!mkdtemp(sw.dir)) {
		dir_make("sweep");
		path_of(sw.dir, sizeof(sw.dir), "sweep", NULL);
	}
	snprintf(sw.data, sizeof(sw.data), "%s/data.mdb", sw.dir);
	path_of(orig, sizeof(orig), "orig", "data.mdb");
	assert_int_equal(check_path(orig, &m, NULL, NULL), 0);
	sw.orig = file_read(orig, &sw.len);
	sw.buf = malloc(sw.len);
	assert_non_null(sw.buf);
	sw.psize = m.psize;
	sw.last_pg = m.last_pg;
	rng = 0x243f6a8885a308d3ull;

	/* About 1,300 variants, half of them run by LMDB: some 10 s. */
	damage_meta(&sw, &t[0], 600);
	damage_truncate(&sw, &t[1], 80);
	damage_pages(&sw, &t[2], 40, PG_ZERO);
	damage_pages(&sw, &t[3], 40, PG_FF);
	damage_pages(&sw, &t[4], 40, PG_JUNK);
	damage_pages(&sw, &t[5], 40, PG_SWAP);
	damage_pages(&sw, &t[6], 40, PG_DUP);
	damage_bits(&sw, &t[7], 250);
	damage_fields(&sw, &t[8], 300);

	print_message("%-14s %6s %6s %8s %8s %7s %4s%s\n", "class", "tried",
		      "found", "harmless", "lmdb-err", "crashed", "hung",
		      sw.full ? "  would-crash" : "");
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		tally_print(&t[i], sw.full);
		sum.tried += t[i].tried;
		sum.detected += t[i].detected;
		sum.harmless += t[i].harmless;
		sum.lmdb_error += t[i].lmdb_error;
		sum.crashed += t[i].crashed;
		sum.hung += t[i].hung;
		sum.would_crash += t[i].would_crash;
	}
	tally_print(&sum, sw.full);
	print_message("%.1f s\n", now() - t0);
	nftw(sw.dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	assert_int_equal(sum.crashed, 0);
	assert_int_equal(sum.hung, 0);
	free(sw.buf);
	free((void *)sw.orig);
}

/* MDBCHECK_BENCH=MB: the checks on a store of about that size. */
static void test_bench(void **state)
{
	const char *mb = getenv("MDBCHECK_BENCH");
	char dir[128], path[160];
	struct mdbcheck_meta m;
	struct mdbcheck_tree t;
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi d;
	uint64_t want, have = 0;
	unsigned i = 0;

	(void)state;
	if (!mb)
		skip();
	want = strtoull(mb, NULL, 10) << 20;
	dir_make("bench");
	path_of(dir, sizeof(dir), "bench", NULL);
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 4), 0);
	assert_int_equal(mdb_env_set_mapsize(env, want * 2 + (64 << 20)), 0);
	assert_int_equal(mdb_env_open(env, dir, MDB_NOSYNC, 0600), 0);
	while (have < want) {
		MDB_envinfo info;
		assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
		assert_int_equal(mdb_dbi_open(txn, "records", MDB_CREATE, &d), 0);
		for (unsigned j = 0; j < 5000; j++, i++) {
			uint8_t k[16];
			record_key(k, i);
			put(txn, d, k, 16, junk + rnd_below(1000), value_size());
		}
		assert_int_equal(mdb_txn_commit(txn), 0);
		assert_int_equal(mdb_env_info(env, &info), 0);
		have = (info.me_last_pgno + 1) * 4096;
	}
	mdb_env_close(env);
	path_of(path, sizeof(path), "bench", "data.mdb");
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	double t0 = now();
	for (unsigned r = 0; r < 100; r++)
		assert_int_equal(mdbcheck_meta(fd, &m), 0);
	double t1 = now();
	for (unsigned r = 0; r < 5; r++)
		assert_int_equal(mdbcheck_tree(fd, &m, &t), 0);
	double t2 = now();
	close(fd);
	print_message("bench: %" PRIu64 " bytes, %" PRIu64 " pages, %" PRIu64
		      " entries, %" PRIu64 " free pages: meta %.3f ms, tree "
		      "%.1f ms (%.0f MB/s)\n", m.file_size, m.last_pg + 1,
		      t.entries, t.pages_free, (t1 - t0) * 10, (t2 - t1) * 200,
		      m.file_size / 1e6 / ((t2 - t1) / 5));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole),
		cmocka_unit_test(test_fresh_and_foreign),
		cmocka_unit_test(test_rollback_byte),
		cmocka_unit_test(test_seal),
		cmocka_unit_test(test_lock),
		cmocka_unit_test(test_crafted),
		cmocka_unit_test(test_sweep),
		cmocka_unit_test(test_bench),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
