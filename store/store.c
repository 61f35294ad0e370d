/*
 * store.c — the snapshot store on LMDB; the only code that touches LMDB.
 *
 * A store is a directory holding one LMDB environment (data.mdb, lock.mdb)
 * with these named databases; every integer in a key is big-endian so that
 * LMDB's byte order is numeric order:
 *
 *   meta     "format"            -> "nsnapsto", u32 format version,
 *                                   byte order ('l'/'b'), word size, 0, 0
 *            "next"              -> u64: no id below it may be given
 *                                   (once the newest snapshot was pruned)
 *   snaps    u64 id              -> header record (codec 'H', checksummed)
 *   lists    u64 id, u8 kind     -> hashes of the list chunks ('L' records)
 *                                   that hold, in graph order, the hashes
 *                                   of the snapshot's namespace ('n'),
 *                                   process ('p') or mount-run ('m') records
 *   nsidx    u64 dev, u64 inode, u64 id -> hash of the namespace's record
 *                                   from snapshot id on, written where it
 *                                   appears or changes; 16 zero bytes where
 *                                   it disappears, each relative to the
 *                                   previous snapshot recorded here
 *                                   (imported ones are not indexed).  One
 *                                   namespace's history is a range scan
 *   records  XXH3-128, canonical -> record bytes (content-addressed)
 *   labels   label bytes         -> u64 id (sorted duplicates: every
 *                                   snapshot that carries the label)
 *
 * Lists are cut into chunks where a record hash ends in six zero bits (or
 * at 256 entries): the cut points move with the content, so a process
 * appearing or exiting changes one chunk.  With the change-point namespace
 * index, an unchanged snapshot adds only its header and a few top-level
 * hashes: a handful of LMDB pages.
 *
 * Every record read is hashed and compared with its key; the header's
 * digest (XXH3-128 over the snapshot's record hashes in order) catches a
 * damaged list.  Writing a record whose hash is present but whose stored
 * bytes differ repairs the stored copy.  A damaged page of the data file
 * gives an error, never a fault: every key and value LMDB hands back is
 * checked to lie within the file before it is read, and LMDB's own reads
 * run under a guard (see "faults in LMDB").
 *
 * Pruning is a mark and sweep over the remaining snapshots (see "pruning"
 * below); it keeps the change-point index exact by moving a removed
 * snapshot's change points to the next remaining one where they still
 * make a difference.
 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <lmdb.h>
#include <pthread.h>
#include <pwd.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "codec.h"
#include "fsafe.h"

/*
 * Format 1: what nsnap 0.1 wrote.  Format 2 adds what 0.1 would misread or
 * break: version 2 headers (imported snapshots), and ids with gaps (0.1
 * takes the snapshot before id N to be N - 1, and would give the id of a
 * pruned newest snapshot again).  A store starts as 1 and is raised to 2
 * by the first import or prune, so that 0.1 refuses it as newer instead.
 */
#define STORE_FORMAT 2
#define STORE_FORMAT_FIRST 1
#define STORE_MAGIC "nsnapsto"
#define FORMAT_LEN 16

/* Small, so that a store of a quiet machine stays small; doubled on
 * MDB_MAP_FULL.  The ceiling only guards against a runaway loop. */
#define STORE_MAP_INITIAL ((size_t)1 << 20)
#define STORE_MAP_MAX ((size_t)1 << (sizeof(size_t) > 4 ? 40 : 30))

#define LIST_CHUNK_MAX 256
#define LIST_CUT_MASK 0x3f

enum list_kind { LIST_NS = 'n', LIST_PROC = 'p', LIST_MOUNTS = 'm' };

struct store {
	MDB_env *env;
	MDB_dbi meta, snaps, lists, nsidx, records, labels;
	bool rdonly;
	/* Transactions open in this process: the map may only be moved
	 * (resized) when there are none. */
	unsigned active;
	/* The map and how much of it the data file backs: where a value
	 * read may lie (see val_check()).  0: unknown, nothing checked.
	 * map_stale: LMDB may have moved the map since it was looked up. */
	uintptr_t map;
	size_t map_size, file_size;
	bool map_stale;
	bool guarded;       /* counted in fault_users */
	/*
	 * A write transaction faulted inside LMDB.  LMDB may have been left
	 * mid-operation (a cursor of its own stack still linked into the
	 * transaction, pages half copied), so nothing of it is touched again:
	 * the transaction is not aborted, the environment not closed, every
	 * later call fails.  The process exits soon after, which releases the
	 * writer lock (LMDB's mutexes are robust) and the memory.
	 */
	bool poisoned;
};

/* ---- errors ------------------------------------------------------------- */

static _Thread_local char corrupt_msg[192];
/* The record the last STORE_ECORRUPT was about, when it was one record:
 * verify names it. */
static _Thread_local bool corrupt_has_rec;
static _Thread_local uint8_t corrupt_rec[CODEC_HASH_LEN];

__attribute__((format(printf, 1, 2)))
static int corrupt(const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(corrupt_msg, sizeof(corrupt_msg), "corrupt store: ");

	va_start(ap, fmt);
	vsnprintf(corrupt_msg + n, sizeof(corrupt_msg) - (size_t)n, fmt, ap);
	va_end(ap);
	corrupt_has_rec = false;
	return STORE_ECORRUPT;
}

static void hex(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* STORE_ECORRUPT about record H: "record <hex> HOW". */
static int corrupt_record(const uint8_t *h, const char *how)
{
	char name[2 * CODEC_HASH_LEN + 1];

	hex(h, CODEC_HASH_LEN, name);
	corrupt("record %s %s", name, how);
	corrupt_has_rec = true;
	memcpy(corrupt_rec, h, CODEC_HASH_LEN);
	return STORE_ECORRUPT;
}

/* LMDB's answer in this module's terms: system errors become -errno,
 * LMDB's own codes stay (store_strerror() knows them). */
static int mdb_err(int rc)
{
	if (rc == MDB_INVALID)
		return STORE_ENOTSTORE;
	return rc > 0 ? -rc : rc;
}

const char *store_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
	case STORE_ENOTSTORE:
		return "not an nsnap store";
	case STORE_ENEWER:
		return "store written by a newer nsnap (unknown format version)";
	case STORE_EFOREIGN:
		return "store written on a machine with another byte order or word size";
	case STORE_ECORRUPT:
		return corrupt_msg[0] ? corrupt_msg : "corrupt store";
	case STORE_ENOSNAP:
		return "no such snapshot";
	case STORE_EEMPTY:
		return "the store holds no snapshot yet";
	case STORE_ESELECTOR:
		return "no snapshot matches (want an id, latest, latest~N, "
		       "a label, or YYYY-MM-DDTHH:MM[:SS][Z])";
	case STORE_ELABEL:
		return "a label takes 1-255 bytes, no control characters, "
		       "and must not read as an id, latest[~N] or a time";
	case STORE_ERDONLY:
		return "store opened read-only";
	case STORE_EGRAPH:
		return "graph is inconsistent and cannot be stored";
	case STORE_EMAPMAX:
		return "store map cannot grow any further";
	}
	if (err >= MDB_KEYEXIST && err <= MDB_LAST_ERRCODE)
		return mdb_strerror(err);
	if (err < 0 && err > -4096)
		return strerror(-err);
	return "unknown error";
}

/* ---- faults in LMDB ----------------------------------------------------- */

/*
 * LMDB trusts the pages of its data file: a damaged branch page or node
 * header can send it through a wild pointer, and no check of ours can come
 * first, the page layout being LMDB's.  So every LMDB call that reads
 * pages runs under a guard: a SIGSEGV or SIGBUS in this thread while the
 * guard is up ends the call with STORE_ECORRUPT ("a page of the data file
 * is damaged") instead of the process.  A fault anywhere else goes to the
 * handler that was there before (the default one, a sanitizer's), as if we
 * were not there.  The handler is installed while a store is open.
 *
 * SA_NODEFER: the signal stays unblocked in the handler, so that leaving
 * it by siglongjmp() without restoring the mask (a system call per guarded
 * call) leaves the next fault catchable.
 */
static _Thread_local sigjmp_buf *fault_jmp;
static pthread_mutex_t fault_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned fault_users;
static struct sigaction fault_prev[2];    /* SIGSEGV, SIGBUS */

static void fault_handler(int sig, siginfo_t *si, void *uc)
{
	sigjmp_buf *jb = fault_jmp;

	(void)uc;
	if (jb) {
		fault_jmp = NULL;
		siglongjmp(*jb, 1);
	}
	/* Not ours: put the previous handler back.  Returning re-runs the
	 * faulting access, which then meets it; a sent signal is sent again. */
	sigaction(sig, &fault_prev[sig == SIGBUS], NULL);
	if (si->si_code <= 0)
		raise(sig);
}

static void fault_use(void)
{
	struct sigaction sa = {
		.sa_sigaction = fault_handler,
		.sa_flags = SA_SIGINFO | SA_NODEFER,
	};

	sigemptyset(&sa.sa_mask);
	pthread_mutex_lock(&fault_lock);
	if (fault_users++ == 0) {
		sigaction(SIGSEGV, &sa, &fault_prev[0]);
		sigaction(SIGBUS, &sa, &fault_prev[1]);
	}
	pthread_mutex_unlock(&fault_lock);
}

static void fault_unuse(void)
{
	pthread_mutex_lock(&fault_lock);
	if (--fault_users == 0) {
		sigaction(SIGSEGV, &fault_prev[0], NULL);
		sigaction(SIGBUS, &fault_prev[1], NULL);
	}
	pthread_mutex_unlock(&fault_lock);
}

/* Set when a guarded call ended in a fault; the transaction layer reads
 * and clears it (see struct store.poisoned). */
static _Thread_local bool fault_hit;

static int page_fault(void)
{
	fault_hit = true;
	return corrupt("a page of the data file is damaged (reading it "
		       "faulted)");
}

/* CALL under the guard; the enclosing function returns its result. */
#define GUARDED(call) do { \
	sigjmp_buf jb_; \
	if (sigsetjmp(jb_, 0)) \
		return page_fault(); \
	fault_jmp = &jb_; \
	int rc_ = (call); \
	fault_jmp = NULL; \
	return rc_; \
} while (0)

static int lm_get(MDB_txn *txn, MDB_dbi dbi, MDB_val *k, MDB_val *v)
{
	GUARDED(mdb_get(txn, dbi, k, v));
}

static int lm_put(MDB_txn *txn, MDB_dbi dbi, MDB_val *k, MDB_val *v,
		  unsigned flags)
{
	GUARDED(mdb_put(txn, dbi, k, v, flags));
}

static int lm_del(MDB_txn *txn, MDB_dbi dbi, MDB_val *k, MDB_val *v)
{
	GUARDED(mdb_del(txn, dbi, k, v));
}

static int lm_cursor_get(MDB_cursor *c, MDB_val *k, MDB_val *v,
			 MDB_cursor_op op)
{
	GUARDED(mdb_cursor_get(c, k, v, op));
}

static int lm_cursor_open(MDB_txn *txn, MDB_dbi dbi, MDB_cursor **c)
{
	GUARDED(mdb_cursor_open(txn, dbi, c));
}

static int lm_dbi_open(MDB_txn *txn, const char *name, unsigned flags,
		       MDB_dbi *dbi)
{
	GUARDED(mdb_dbi_open(txn, name, flags, dbi));
}

static int lm_stat(MDB_txn *txn, MDB_dbi dbi, MDB_stat *st)
{
	GUARDED(mdb_stat(txn, dbi, st));
}

static int lm_txn_commit(MDB_txn *txn)
{
	GUARDED(mdb_txn_commit(txn));
}

static int abort_call(MDB_txn *txn)
{
	mdb_txn_abort(txn);
	return 0;
}

/* Aborting frees the pages a write transaction changed: after a fault in
 * one, those may be damaged copies as well. */
static int lm_txn_abort(MDB_txn *txn)
{
	GUARDED(abort_call(txn));
}

static int lm_copyfd(MDB_env *env, int fd, unsigned flags)
{
	GUARDED(mdb_env_copyfd2(env, fd, flags));
}

/* ---- transactions with a sticky error ----------------------------------- */

struct store_txn {
	struct store *s;
	MDB_txn *txn;
	bool write;
	int ret;    /* first failure: -errno, LMDB code or STORE_E* */
};

/*
 * Where LMDB mapped the data file.  LMDB does not tell (me_mapaddr is only
 * set for a fixed map), /proc/self/maps does: the mapping of the file's
 * device and inode at offset 0, the size of the map (the same file mapped
 * twice in one process is a thing LMDB forbids anyway).
 */
static void map_find(struct store *s, const struct stat *st)
{
	MDB_envinfo info;
	char line[512];
	FILE *f;

	s->map = 0;
	s->map_stale = false;
	if (mdb_env_info(s->env, &info))
		return;
	f = fopen("/proc/self/maps", "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi, off, ino;
		unsigned maj, min;
		if (sscanf(line, "%llx-%llx %*s %llx %x:%x %llu", &lo, &hi, &off,
			   &maj, &min, &ino) != 6 || off || ino != st->st_ino ||
		    maj != major(st->st_dev) || min != minor(st->st_dev) ||
		    hi - lo != info.me_mapsize)
			continue;
		s->map = (uintptr_t)lo;
		s->map_size = (size_t)(hi - lo);
		break;
	}
	fclose(f);
}

/* Where the map is and how much of it the file backs now. */
static void map_refresh(struct store *s)
{
	struct stat st;
	int fd;

	if (mdb_env_get_fd(s->env, &fd) || fstat(fd, &st)) {
		s->map = 0;
		return;
	}
	if (s->map_stale || !s->map)
		map_find(s, &st);
	s->file_size = (uint64_t)st.st_size < s->map_size ?
		       (size_t)st.st_size : s->map_size;
}

static int txn_begin(struct store *s, struct store_txn *t, bool write)
{
	int rc;

	*t = (struct store_txn){ .s = s, .write = write };
	if (s->poisoned)
		return t->ret = corrupt("an earlier write met a damaged page; "
					"the store was not touched since");
	for (unsigned tries = 0;; tries++) {
		rc = mdb_txn_begin(s->env, NULL, write ? 0 : MDB_RDONLY, &t->txn);
		if (rc != MDB_MAP_RESIZED || s->active || tries == 4)
			break;
		/* Another process grew the map past ours: adopt its size. */
		s->map_stale = true;
		rc = mdb_env_set_mapsize(s->env, 0);
		if (rc)
			break;
	}
	if (rc) {
		t->txn = NULL;
		return t->ret = mdb_err(rc);
	}
	/* After the begin: every page this transaction can see is in the
	 * file by now.  Only while no other one holds pointers into the map,
	 * since it may have moved. */
	if (!s->active)
		map_refresh(s);
	s->active++;
	return 0;
}

static void txn_abort(struct store_txn *t)
{
	if (t->txn) {
		if (t->write && fault_hit)
			t->s->poisoned = true;
		else
			lm_txn_abort(t->txn);
		fault_hit = false;
		t->txn = NULL;
		t->s->active--;
	}
}

/*
 * A commit that failed with EIO: LMDB says EIO for a short write, which
 * on Linux means the file system filled up part-way (the write after it
 * would have said ENOSPC).  So when nothing is left free to us, it is
 * -ENOSPC; otherwise it stays -EIO.  (A full quota is not seen here.)
 */
static int commit_eio(struct store *s)
{
	struct statvfs v;
	int fd;

	if (mdb_env_get_fd(s->env, &fd) || fstatvfs(fd, &v))
		return -EIO;
	return (geteuid() == 0 ? v.f_bfree : v.f_bavail) == 0 ? -ENOSPC : -EIO;
}

static int txn_commit(struct store_txn *t)
{
	if (!t->ret) {
		int rc = lm_txn_commit(t->txn);
		/* LMDB frees the transaction whatever the outcome, unless it
		 * faulted half-way: then it is ours to abort (and the writer
		 * lock with it). */
		if (rc != STORE_ECORRUPT)
			t->txn = NULL;
		t->ret = mdb_err(rc);
		if (t->ret == -EIO)
			t->ret = commit_eio(t->s);
		if (!t->txn)
			t->s->active--;
	}
	txn_abort(t);
	return t->ret;
}

static void txn_fail(struct store_txn *t, int err)
{
	if (!t->ret)
		t->ret = err;
}

/*
 * Whether value (or key) V lies within the part of the map the data file
 * backs.  LMDB takes a value's place and size from its page as written; on
 * a damaged page they can point past the end of the file, where reading
 * faults (SIGBUS) instead of failing, so every value is checked before it
 * is read.  In a write transaction a value may also sit in a page LMDB
 * copied to the heap to change it: a place outside the map is taken as
 * that.  The file only grows, so a stale size errs on the safe side.
 */
static int val_check(const struct store_txn *t, const MDB_val *v)
{
	const struct store *s = t->s;
	uintptr_t p = (uintptr_t)v->mv_data;

	if (!s->map || !v->mv_size)
		return 0;
	if (p >= s->map && p - s->map <= s->file_size &&
	    v->mv_size <= s->file_size - (p - s->map))
		return 0;
	if (t->write && (p < s->map || p - s->map >= s->map_size))
		return 0;
	return corrupt("a value of %zu bytes lies outside the data file "
		       "(a damaged page)", v->mv_size);
}

static void txn_put(struct store_txn *t, MDB_dbi dbi, const void *k,
		    size_t klen, const void *v, size_t vlen, unsigned flags)
{
	if (t->ret)
		return;
	MDB_val key = { klen, (void *)k }, val = { vlen, (void *)v };
	int rc = lm_put(t->txn, dbi, &key, &val, flags);
	if (rc)
		t->ret = mdb_err(rc);
}

/* 0, MDB_NOTFOUND, STORE_ECORRUPT for a value outside the file (not
 * sticky: the caller decides what it costs), or the translated error
 * (made sticky). */
static int txn_get(struct store_txn *t, MDB_dbi dbi, const void *k,
		   size_t klen, MDB_val *val)
{
	if (t->ret)
		return t->ret;
	MDB_val key = { klen, (void *)k };
	int rc = lm_get(t->txn, dbi, &key, val);
	if (rc == MDB_NOTFOUND)
		return rc;
	if (rc)
		return t->ret = mdb_err(rc);
	return val_check(t, val);
}

/* ---- records ------------------------------------------------------------ */

static void hash_of(const void *p, size_t n, struct codec_hash *h)
{
	XXH128_canonical_t c;

	XXH128_canonicalFromHash(&c, XXH3_128bits(p, n));
	memcpy(h->b, c.digest, CODEC_HASH_LEN);
}

/* Store a record under its hash; *added grows by the bytes written. */
static void rec_put(struct store_txn *t, const struct codec_hash *h,
		    const struct codec_rec *r, uint64_t *added)
{
	if (t->ret)
		return;
	MDB_val key = { CODEC_HASH_LEN, (void *)h->b };
	MDB_val val = { r->len, (void *)r->data };
	int rc = lm_put(t->txn, t->s->records, &key, &val, MDB_NOOVERWRITE);
	if (rc == MDB_KEYEXIST) {
		if (val.mv_size == r->len && !val_check(t, &val) &&
		    !memcmp(val.mv_data, r->data, r->len))
			return;
		/* The stored copy was damaged: this one heals it. */
		val = (MDB_val){ r->len, (void *)r->data };
		rc = lm_put(t->txn, t->s->records, &key, &val, 0);
	}
	if (rc) {
		t->ret = mdb_err(rc);
		return;
	}
	*added += r->len;
}

/* The record named H, checked against H.  Points into the map: valid
 * until the transaction ends. */
static int rec_get(struct store_txn *t, const uint8_t *h, struct codec_rec *r)
{
	struct codec_hash got;
	MDB_val val;
	int rc = txn_get(t, t->s->records, h, CODEC_HASH_LEN, &val);

	if (rc == MDB_NOTFOUND)
		return corrupt_record(h, "is missing");
	if (rc == STORE_ECORRUPT)
		return corrupt_record(h, "lies outside the data file");
	if (rc)
		return rc;
	hash_of(val.mv_data, val.mv_size, &got);
	if (memcmp(got.b, h, CODEC_HASH_LEN))
		return corrupt_record(h, "does not match its hash");
	r->data = val.mv_data;
	r->len = val.mv_size;
	return 0;
}

/* ---- opening ------------------------------------------------------------ */

static int mkdir_p(const char *path)
{
	char *p = strdup(path);
	int ret = 0;

	if (!p)
		return -ENOMEM;
	for (char *q = p + 1;; q++) {
		if (*q != '/' && *q != '\0')
			continue;
		char c = *q;
		*q = '\0';
		if (mkdir(p, 0700) == 0) {
			/* mkdir() honours the umask; the store wants 0700. */
			if (chmod(p, 0700)) {
				ret = -errno;
				break;
			}
		} else if (errno != EEXIST) {
			ret = -errno;
			break;
		}
		*q = c;
		if (!c)
			break;
	}
	free(p);
	return ret;
}

/* PATH as a store directory: made first (0700, parents too) with CREATE;
 * it must be a directory. */
static int store_dir(const char *path, bool create)
{
	struct stat st;
	int ret;

	if (create && (ret = mkdir_p(path)))
		return ret;
	if (stat(path, &st))
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

/* Create PATH 0600 if absent, so LMDB finds it with the right mode. */
/* PATH made 0600 if absent, with RESERVE bytes allocated (fsafe.h,
 * FSAFE_LOCK_BYTES, says why lock.mdb needs them). */
static int create_file(const char *path, off_t reserve)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	int ret = 0;

	if (fd < 0)
		return errno == EEXIST ? 0 : -errno;
	if (fchmod(fd, 0600))
		ret = -errno;
	else if (reserve && (ret = -posix_fallocate(fd, 0, reserve)))
		unlink(path);
	close(fd);
	return ret;
}

static void format_value(uint8_t v[FORMAT_LEN], uint32_t version)
{
	const uint16_t probe = 1;

	memset(v, 0, FORMAT_LEN);
	memcpy(v, STORE_MAGIC, 8);
	v[8] = (uint8_t)(version >> 24);
	v[9] = (uint8_t)(version >> 16);
	v[10] = (uint8_t)(version >> 8);
	v[11] = (uint8_t)version;
	/* LMDB's pages are in native layout: a store does not move between
	 * architectures, and saying so beats LMDB's own confusion. */
	v[12] = *(const uint8_t *)&probe ? 'l' : 'b';
	v[13] = (uint8_t)sizeof(void *);
}

static int format_check(const MDB_val *val)
{
	uint8_t want[FORMAT_LEN];
	const uint8_t *v = val->mv_data;

	format_value(want, STORE_FORMAT);
	if (val->mv_size < 12 || memcmp(v, STORE_MAGIC, 8))
		return STORE_ENOTSTORE;
	uint32_t version = (uint32_t)v[8] << 24 | (uint32_t)v[9] << 16 |
			   (uint32_t)v[10] << 8 | v[11];
	if (version == 0)
		return STORE_ENOTSTORE;
	if (version > STORE_FORMAT)
		return STORE_ENEWER;
	if (val->mv_size != FORMAT_LEN)
		return STORE_ENOTSTORE;
	if (v[12] != want[12] || v[13] != want[13])
		return STORE_EFOREIGN;
	return 0;
}

/*
 * In a write transaction: make the store's format record say 2, if it does
 * not yet, before writing what format 1 readers would misread.
 */
static void format_raise(struct store_txn *t)
{
	uint8_t fmt[FORMAT_LEN];
	MDB_val val;
	int rc = txn_get(t, t->s->meta, "format", 6, &val);

	if (rc == MDB_NOTFOUND || (!rc && val.mv_size != FORMAT_LEN))
		rc = corrupt("the format record is missing or malformed");
	if (rc) {
		txn_fail(t, rc);
		return;
	}
	/* store_open() checked it: this is version 1 or 2, our layout. */
	if (((const uint8_t *)val.mv_data)[11] < STORE_FORMAT) {
		format_value(fmt, STORE_FORMAT);
		txn_put(t, t->s->meta, "format", 6, fmt, FORMAT_LEN, 0);
	}
}

#define NEEDS_INIT 1

/* Whether the environment holds nothing at all (then it may become a
 * store); anything else without our format record is someone else's. */
static int env_empty(struct store_txn *t)
{
	MDB_dbi main_dbi;
	MDB_stat st;
	int rc = lm_dbi_open(t->txn, NULL, 0, &main_dbi);

	if (!rc)
		rc = lm_stat(t->txn, main_dbi, &st);
	if (rc)
		return mdb_err(rc);
	return st.ms_entries == 0 ? NEEDS_INIT : STORE_ENOTSTORE;
}

/*
 * Open the databases; in a write transaction, make them in an empty
 * environment.  NEEDS_INIT when read-only and the environment is empty.
 */
static int open_dbis(struct store *s, bool write)
{
	static const struct {
		const char *name;
		size_t off;
		unsigned flags;
	} dbs[] = {
		{ "snaps", offsetof(struct store, snaps), 0 },
		{ "lists", offsetof(struct store, lists), 0 },
		{ "nsidx", offsetof(struct store, nsidx), 0 },
		{ "records", offsetof(struct store, records), 0 },
		{ "labels", offsetof(struct store, labels),
		  MDB_DUPSORT | MDB_DUPFIXED },
	};
	struct store_txn t;
	uint8_t fmt[FORMAT_LEN];
	MDB_val val;
	int ret, rc;

	ret = txn_begin(s, &t, write);
	if (ret)
		return ret;
	rc = lm_dbi_open(t.txn, "meta", 0, &s->meta);
	if (rc == MDB_NOTFOUND) {
		ret = env_empty(&t);
		if (ret != NEEDS_INIT || !write)
			goto out;
		rc = lm_dbi_open(t.txn, "meta", MDB_CREATE, &s->meta);
		if (rc)
			goto out_rc;
		format_value(fmt, STORE_FORMAT_FIRST);
		txn_put(&t, s->meta, "format", 6, fmt, FORMAT_LEN, 0);
		ret = t.ret;
		if (ret)
			goto out;
	} else if (rc) {
		goto out_rc;
	}

	rc = txn_get(&t, s->meta, "format", 6, &val);
	if (rc) {
		ret = rc == MDB_NOTFOUND ? STORE_ENOTSTORE : rc;
		goto out;
	}
	ret = format_check(&val);
	if (ret)
		goto out;
	for (size_t i = 0; i < sizeof(dbs) / sizeof(dbs[0]); i++) {
		MDB_dbi *dbi = (MDB_dbi *)((char *)s + dbs[i].off);
		rc = lm_dbi_open(t.txn, dbs[i].name,
				 dbs[i].flags | (write ? MDB_CREATE : 0), dbi);
		if (rc == MDB_NOTFOUND) {
			ret = STORE_ENOTSTORE;
			goto out;
		}
		if (rc)
			goto out_rc;
	}
	/* Committing keeps the handles, also from a read-only transaction. */
	return txn_commit(&t);

out_rc:
	ret = mdb_err(rc);
out:
	txn_abort(&t);
	return ret;
}

int store_open(const char *path, unsigned flags, struct store **out)
{
	bool create = flags & STORE_CREATE, rdonly = flags & STORE_RDONLY;
	char *data = NULL, *lock = NULL;
	struct store *s = NULL;
	struct stat st;
	bool fresh;
	int ret, rc, dead;

	*out = NULL;
	if (!path || !*path || (create && rdonly))
		return -EINVAL;
	ret = store_dir(path, create);
	if (ret)
		return ret;
	if (asprintf(&data, "%s/data.mdb", path) < 0) {
		data = NULL;
		ret = -ENOMEM;
		goto fail;
	}
	if (asprintf(&lock, "%s/lock.mdb", path) < 0) {
		lock = NULL;
		ret = -ENOMEM;
		goto fail;
	}
	if (stat(data, &st) == 0) {
		if (!S_ISREG(st.st_mode)) {
			ret = STORE_ENOTSTORE;
			goto fail;
		}
		fresh = st.st_size == 0;
	} else if (errno == ENOENT) {
		fresh = true;
	} else {
		ret = -errno;
		goto fail;
	}
	if (fresh && !create) {
		ret = STORE_ENOTSTORE;
		goto fail;
	}
	ret = create ? create_file(data, 0) : 0;
	if (!ret)
		ret = create_file(lock, FSAFE_LOCK_BYTES);
	/* A reader without write access may still use an existing lock. */
	if (ret && !create)
		ret = 0;
	if (ret)
		goto fail;

	s = calloc(1, sizeof(*s));
	if (!s) {
		ret = -ENOMEM;
		goto fail;
	}
	s->rdonly = rdonly;
	fault_use();
	s->guarded = true;
	rc = mdb_env_create(&s->env);
	if (rc) {
		s->env = NULL;
		ret = mdb_err(rc);
		goto fail;
	}
	rc = mdb_env_set_maxdbs(s->env, 8);
	/* An existing store keeps the map size it has grown to. */
	if (!rc && fresh)
		rc = mdb_env_set_mapsize(s->env, STORE_MAP_INITIAL);
	if (!rc)
		rc = mdb_env_open(s->env, path,
				  MDB_NOTLS | (rdonly ? MDB_RDONLY : 0), 0600);
	if (rc) {
		ret = mdb_err(rc);
		goto fail;
	}
	/* Reader slots of crashed processes would pin old pages forever. */
	rc = mdb_reader_check(s->env, &dead);
	if (rc) {
		ret = mdb_err(rc);
		goto fail;
	}

	ret = open_dbis(s, false);
	if (ret == NEEDS_INIT)
		ret = create ? open_dbis(s, true) : STORE_ENOTSTORE;
	if (ret == NEEDS_INIT)
		ret = STORE_ENOTSTORE;
	if (ret)
		goto fail;
	free(data);
	free(lock);
	*out = s;
	return 0;

fail:
	store_close(s);
	free(data);
	free(lock);
	return ret;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	if (s->poisoned)
		return; /* see struct store.poisoned */
	if (s->env)
		mdb_env_close(s->env);
	if (s->guarded)
		fault_unuse();
	free(s);
}

const char *store_default_path(void)
{
	static char buf[PATH_MAX];
	const char *env = getenv("NSNAP_STORE");
	const char *base, *sub;
	int n;

	if (env && *env) {
		base = env;
		sub = "";
	} else if (geteuid() == 0) {
		return "/var/lib/nsnap";
	} else if ((env = getenv("XDG_STATE_HOME")) && env[0] == '/') {
		/* The XDG spec says to ignore a relative one. */
		base = env;
		sub = "/nsnap";
	} else {
		base = getenv("HOME");
		if (!base || base[0] != '/') {
			struct passwd *pw = getpwuid(geteuid());
			base = pw ? pw->pw_dir : NULL;
		}
		if (!base)
			return NULL;
		sub = "/.local/state/nsnap";
	}
	n = snprintf(buf, sizeof(buf), "%s%s", base, sub);
	return n > 0 && (size_t)n < sizeof(buf) ? buf : NULL;
}

/* ---- selectors and labels ----------------------------------------------- */

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* A decimal u64; false on anything else, overflow included. */
static bool parse_u64(const char *s, uint64_t *v)
{
	if (!all_digits(s))
		return false;
	*v = 0;
	for (; *s; s++) {
		unsigned d = (unsigned)(*s - '0');
		if (*v > (UINT64_MAX - d) / 10)
			return false;
		*v = *v * 10 + d;
	}
	return true;
}

static bool digits_at(const char *s, size_t at, size_t n, int *v)
{
	*v = 0;
	for (size_t i = at; i < at + n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*v = *v * 10 + (s[i] - '0');
	}
	return true;
}

/*
 * YYYY-MM-DDTHH:MM[:SS][Z] -> the first nanosecond of that minute (or
 * second) and the length of it: a snapshot taken during the named minute
 * is "at" it.
 */
static bool parse_time(const char *s, int64_t *start_ns, int64_t *span_ns)
{
	size_t len = strlen(s);
	bool utc = len > 0 && s[len - 1] == 'Z';
	struct tm tm = { 0 };
	int year, mon, mday, hour, min, sec = 0;
	time_t t;

	if (utc)
		len--;
	if (len != 16 && len != 19)
		return false;
	if (!digits_at(s, 0, 4, &year) || s[4] != '-' ||
	    !digits_at(s, 5, 2, &mon) || s[7] != '-' ||
	    !digits_at(s, 8, 2, &mday) || s[10] != 'T' ||
	    !digits_at(s, 11, 2, &hour) || s[13] != ':' ||
	    !digits_at(s, 14, 2, &min))
		return false;
	if (len == 19 && (s[16] != ':' || !digits_at(s, 17, 2, &sec)))
		return false;
	if (mon < 1 || mon > 12 || mday < 1 || mday > 31 || hour > 23 ||
	    min > 59 || sec > 59)
		return false;
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = mday;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	tm.tm_isdst = -1;
	t = utc ? timegm(&tm) : mktime(&tm);
	/* Normalisation moved the date: it did not exist (February 30). */
	if (t == (time_t)-1 && !(tm.tm_year == 69 && tm.tm_mon == 11))
		return false;
	if (tm.tm_mday != mday || tm.tm_mon != mon - 1 ||
	    tm.tm_year != year - 1900)
		return false;
	*start_ns = (int64_t)t * 1000000000;
	*span_ns = (len == 19 ? 1 : 60) * (int64_t)1000000000;
	return true;
}

int store_parse_time(const char *text, int64_t *ns)
{
	int64_t span;

	return text && parse_time(text, ns, &span) ? 0 : STORE_ESELECTOR;
}

int store_label_check(const char *label)
{
	int64_t t, span;
	size_t len;

	if (!label)
		return 0;
	len = strlen(label);
	if (len == 0 || len > STORE_LABEL_MAX)
		return STORE_ELABEL;
	for (const unsigned char *p = (const unsigned char *)label; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return STORE_ELABEL;
	/* A label that reads as another selector could never be selected. */
	if (all_digits(label) || !strcmp(label, "latest") ||
	    !strncmp(label, "latest~", 7) || parse_time(label, &t, &span))
		return STORE_ELABEL;
	return 0;
}

static int cursor_open(struct store_txn *t, MDB_dbi dbi, MDB_cursor **c)
{
	MDB_stat st;
	/* A cursor on a database not yet read in this transaction reads its
	 * record first, after allocating itself: a fault there would lose
	 * the allocation.  mdb_stat() reads it with no allocation. */
	int rc;

	*c = NULL;
	/* Sticky: after a failure nothing more is opened (the caller, told
	 * of the failure, would not close it). */
	if (t->ret)
		return t->ret;
	rc = lm_stat(t->txn, dbi, &st);
	if (!rc)
		rc = lm_cursor_open(t->txn, dbi, c);
	if (rc)
		txn_fail(t, mdb_err(rc));
	return t->ret;
}

/* The id of a header found by cursor (KEY must be 8 bytes). */
static int key_id(const struct store_txn *t, const MDB_val *key, uint64_t *id)
{
	*id = 0;
	if (key->mv_size != 8 || val_check(t, key))
		return corrupt("snapshot key of %zu bytes", key->mv_size);
	*id = codec_be64_read(key->mv_data);
	return 0;
}

static int header_decode(const struct store_txn *t, uint64_t id,
			 const MDB_val *val, struct codec_header *h)
{
	if (val_check(t, val))
		return corrupt("header of snapshot %" PRIu64 " lies outside "
			       "the data file", id);
	if (codec_decode_header(val->mv_data, val->mv_size, h) || h->id != id)
		return corrupt("header of snapshot %" PRIu64 " fails its checksum",
			       id);
	return 0;
}

static int resolve_latest(struct store_txn *t, uint64_t back, uint64_t *id)
{
	MDB_cursor *c;
	MDB_val key, val;
	MDB_stat st;
	int rc;

	rc = lm_stat(t->txn, t->s->snaps, &st);
	if (rc)
		return mdb_err(rc);
	if (st.ms_entries == 0)
		return STORE_EEMPTY;
	if (back >= st.ms_entries)
		return STORE_ENOSNAP;
	if (cursor_open(t, t->s->snaps, &c))
		return t->ret;
	rc = lm_cursor_get(c, &key, &val, MDB_LAST);
	for (uint64_t i = 0; !rc && i < back; i++)
		rc = lm_cursor_get(c, &key, &val, MDB_PREV);
	int ret = rc == MDB_NOTFOUND ? STORE_ENOSNAP : rc ? mdb_err(rc)
						  : key_id(t, &key, id);
	mdb_cursor_close(c);
	return ret;
}

static int resolve_time(struct store_txn *t, int64_t bound, uint64_t *id)
{
	struct codec_header h;
	MDB_cursor *c;
	MDB_val key, val;
	int rc, ret = STORE_EEMPTY, bad = 0;

	if (cursor_open(t, t->s->snaps, &c))
		return t->ret;
	/* Newest first: ids grow with time, so the first hit is the last
	 * snapshot at or before BOUND. */
	for (rc = lm_cursor_get(c, &key, &val, MDB_LAST); !rc;
	     rc = lm_cursor_get(c, &key, &val, MDB_PREV)) {
		uint64_t cur;
		ret = key_id(t, &key, &cur);
		if (!ret)
			ret = header_decode(t, cur, &val, &h);
		if (ret) {
			/* A damaged header hides one snapshot, not the rest. */
			bad = ret;
			continue;
		}
		if (h.start_ns <= bound) {
			*id = cur;
			break;
		}
		ret = STORE_ENOSNAP;
	}
	if (rc && rc != MDB_NOTFOUND)
		ret = mdb_err(rc);
	else if (ret && bad)
		ret = bad;
	mdb_cursor_close(c);
	return ret;
}

static int resolve_label(struct store_txn *t, const char *label, uint64_t *id)
{
	MDB_cursor *c;
	MDB_val key = { strlen(label), (void *)label }, val;
	int rc, ret;

	if (key.mv_size == 0 || key.mv_size > STORE_LABEL_MAX)
		return STORE_ESELECTOR;
	if (cursor_open(t, t->s->labels, &c))
		return t->ret;
	rc = lm_cursor_get(c, &key, &val, MDB_SET_KEY);
	if (!rc)
		rc = lm_cursor_get(c, &key, &val, MDB_LAST_DUP);
	if (rc == MDB_NOTFOUND)
		ret = STORE_ESELECTOR;
	else if (rc)
		ret = mdb_err(rc);
	else if (val.mv_size != 8 || val_check(t, &val))
		ret = corrupt("label index entry of %zu bytes", val.mv_size);
	else {
		*id = codec_be64_read(val.mv_data);
		ret = 0;
	}
	mdb_cursor_close(c);
	return ret;
}

int store_resolve(struct store *s, const char *sel, uint64_t *id_out)
{
	struct store_txn t;
	uint64_t v;
	int64_t start, span;
	uint8_t key[8];
	MDB_val val;
	int ret;

	if (!sel || !*sel)
		return STORE_ESELECTOR;
	ret = txn_begin(s, &t, false);
	if (ret)
		return ret;
	if (all_digits(sel)) {
		if (!parse_u64(sel, &v)) {
			ret = STORE_ENOSNAP;
		} else {
			codec_be64_write(key, v);
			ret = txn_get(&t, s->snaps, key, 8, &val);
			if (ret == MDB_NOTFOUND)
				ret = STORE_ENOSNAP;
			else if (!ret)
				*id_out = v;
		}
	} else if (!strcmp(sel, "latest")) {
		ret = resolve_latest(&t, 0, id_out);
	} else if (!strncmp(sel, "latest~", 7) && all_digits(sel + 7)) {
		ret = parse_u64(sel + 7, &v) ? resolve_latest(&t, v, id_out)
					     : STORE_ENOSNAP;
	} else if (parse_time(sel, &start, &span)) {
		ret = resolve_time(&t, start + span - 1, id_out);
	} else {
		ret = resolve_label(&t, sel, id_out);
	}
	txn_abort(&t);
	return ret;
}

/* ---- lists -------------------------------------------------------------- */

/* The record hashes of list KIND of snapshot ID, in order; *out malloc'd. */
static int list_hashes(struct store_txn *t, uint64_t id, uint8_t kind,
		       struct codec_hash **out, size_t *count)
{
	struct codec_hash *all = NULL;
	struct codec_rec chunk;
	const uint8_t *hashes;
	uint8_t k[9];
	MDB_val val;
	size_t n, total = 0;
	int ret;

	*out = NULL;
	*count = 0;
	codec_be64_write(k, id);
	k[8] = kind;
	ret = txn_get(t, t->s->lists, k, 9, &val);
	if (ret == MDB_NOTFOUND)
		return corrupt("snapshot %" PRIu64 " has no '%c' list", id, kind);
	if (ret)
		return ret;
	if (val.mv_size % CODEC_HASH_LEN)
		return corrupt("'%c' list of snapshot %" PRIu64 " is %zu bytes",
			       kind, id, val.mv_size);
	for (size_t i = 0; i < val.mv_size / CODEC_HASH_LEN; i++) {
		const uint8_t *h = (const uint8_t *)val.mv_data + i * CODEC_HASH_LEN;
		ret = rec_get(t, h, &chunk);
		if (ret)
			goto fail;
		if (codec_decode_list(chunk.data, chunk.len, &hashes, &n)) {
			ret = corrupt_record(h, "is not a well-formed list");
			goto fail;
		}
		/* N is bounded by the record's size: no absurd allocation. */
		struct codec_hash *more = realloc(all, (total + n + 1) * sizeof(*all));
		if (!more) {
			ret = -ENOMEM;
			goto fail;
		}
		all = more;
		if (n)
			memcpy(all + total, hashes, n * CODEC_HASH_LEN);
		total += n;
	}
	*out = all;
	*count = total;
	return 0;
fail:
	free(all);
	return ret;
}

/*
 * The records of list KIND of snapshot ID, expecting EXPECT of them:
 * *out (malloc'd) points into the map.  Their hashes go into the digest.
 */
static int get_list(struct store_txn *t, uint64_t id, uint8_t kind,
		    uint64_t expect, struct codec_rec **out, XXH3_state_t *st)
{
	struct codec_hash *hashes;
	struct codec_rec *recs = NULL;
	size_t n;
	int ret;

	*out = NULL;
	ret = list_hashes(t, id, kind, &hashes, &n);
	if (ret)
		return ret;
	if (n != expect) {
		ret = corrupt("'%c' list of snapshot %" PRIu64
			      " has %zu entries, its header says %" PRIu64,
			      kind, id, n, expect);
		goto out;
	}
	recs = calloc(n ? n : 1, sizeof(*recs));
	if (!recs) {
		ret = -ENOMEM;
		goto out;
	}
	if (n)
		XXH3_128bits_update(st, hashes, n * CODEC_HASH_LEN);
	for (size_t i = 0; i < n && !ret; i++)
		ret = rec_get(t, hashes[i].b, &recs[i]);
	if (!ret) {
		*out = recs;
		recs = NULL;
	}
out:
	free(recs);
	free(hashes);
	return ret;
}

/* ---- writing a snapshot ------------------------------------------------- */

static int hash_cmp(const void *a, const void *b)
{
	return memcmp(a, b, CODEC_HASH_LEN);
}

/* Everything a snapshot writes, prepared before the transaction so that a
 * retry after growing the map redoes only the LMDB part. */
struct plan {
	const struct graph *g;
	struct codec_snapshot snap;
	struct codec_hash meta_h, layout_h;
	struct codec_hash *ns_h, *proc_h, *run_h;
	struct codec_hash *ns_sorted;    /* ns_h, sorted for lookups */
	/* List chunks: 'L' records end to end in 'chunks', chunk i at
	 * chunk_off[i]..chunk_off[i + 1], hash chunk_h[i]. */
	struct codec_buf chunks;
	size_t *chunk_off;
	struct codec_hash *chunk_h;
	size_t nchunks, chunk_cap;
	size_t top_first[3], top_n[3];   /* per list: its run of chunk_h */
	struct codec_hash digest;
	uint64_t size;
};

static const uint8_t list_kinds[3] = { LIST_NS, LIST_PROC, LIST_MOUNTS };

static int plan_chunk(struct plan *p, const struct codec_hash *h, size_t n)
{
	if (p->nchunks + 1 >= p->chunk_cap) {
		size_t cap = p->chunk_cap ? p->chunk_cap * 2 : 16;
		size_t *off = realloc(p->chunk_off, cap * sizeof(*off));
		if (!off)
			return -ENOMEM;
		p->chunk_off = off;
		struct codec_hash *ch = realloc(p->chunk_h, cap * sizeof(*ch));
		if (!ch)
			return -ENOMEM;
		p->chunk_h = ch;
		p->chunk_cap = cap;
	}
	size_t start = p->chunks.len;
	int ret = codec_encode_list(h, n, &p->chunks);
	if (ret)
		return ret;
	hash_of(p->chunks.data + start, p->chunks.len - start,
		&p->chunk_h[p->nchunks]);
	p->chunk_off[p->nchunks++] = start;
	p->chunk_off[p->nchunks] = p->chunks.len;
	p->size += p->chunks.len - start;
	return 0;
}

/* Cut the hashes H[0..n) into chunks where the content says so. */
static int plan_list(struct plan *p, int which, const struct codec_hash *h,
		     size_t n)
{
	size_t from = 0;

	p->top_first[which] = p->nchunks;
	for (size_t i = 0; i < n; i++) {
		if ((h[i].b[CODEC_HASH_LEN - 1] & LIST_CUT_MASK) != 0 &&
		    i + 1 - from < LIST_CHUNK_MAX && i + 1 < n)
			continue;
		int ret = plan_chunk(p, h + from, i + 1 - from);
		if (ret)
			return ret;
		from = i + 1;
	}
	p->top_n[which] = p->nchunks - p->top_first[which];
	return 0;
}

static struct codec_hash *hash_recs(const struct codec_rec *r, size_t n,
				    uint64_t *size)
{
	struct codec_hash *h = calloc(n ? n : 1, sizeof(*h));

	for (size_t i = 0; h && i < n; i++) {
		hash_of(r[i].data, r[i].len, &h[i]);
		*size += r[i].len;
	}
	return h;
}

static void plan_free(struct plan *p)
{
	codec_snapshot_free(&p->snap);
	free(p->ns_h);
	free(p->ns_sorted);
	free(p->proc_h);
	free(p->run_h);
	codec_buf_free(&p->chunks);
	free(p->chunk_off);
	free(p->chunk_h);
}

static int plan_make(struct plan *p, const struct graph *g)
{
	XXH3_state_t *st;
	int ret;

	*p = (struct plan){ .g = g };
	codec_buf_init(&p->chunks);
	ret = codec_encode_graph(g, &p->snap);
	if (ret)
		return ret == -EINVAL ? STORE_EGRAPH : ret;

	const struct codec_snapshot *s = &p->snap;
	hash_of(s->meta.data, s->meta.len, &p->meta_h);
	p->size = s->meta.len + s->layout.len;
	if (s->layout.len)
		hash_of(s->layout.data, s->layout.len, &p->layout_h);
	p->ns_h = hash_recs(s->ns, s->nns, &p->size);
	p->proc_h = hash_recs(s->procs, s->nprocs, &p->size);
	p->run_h = hash_recs(s->mounts, s->nmounts, &p->size);
	p->ns_sorted = calloc(s->nns ? s->nns : 1, sizeof(*p->ns_sorted));
	if (!p->ns_h || !p->proc_h || !p->run_h || !p->ns_sorted)
		return -ENOMEM;
	if (s->nns) {
		memcpy(p->ns_sorted, p->ns_h, s->nns * sizeof(*p->ns_h));
		qsort(p->ns_sorted, s->nns, sizeof(*p->ns_sorted), hash_cmp);
	}
	ret = plan_list(p, 0, p->ns_h, s->nns);
	if (!ret)
		ret = plan_list(p, 1, p->proc_h, s->nprocs);
	if (!ret)
		ret = plan_list(p, 2, p->run_h, s->nmounts);
	if (ret)
		return ret;

	/* The digest covers the record hashes in the order load reads them. */
	st = XXH3_createState();
	if (!st)
		return -ENOMEM;
	XXH3_128bits_reset(st);
	XXH3_128bits_update(st, p->meta_h.b, CODEC_HASH_LEN);
	if (s->layout.len)
		XXH3_128bits_update(st, p->layout_h.b, CODEC_HASH_LEN);
	XXH3_128bits_update(st, p->ns_h, s->nns * CODEC_HASH_LEN);
	XXH3_128bits_update(st, p->proc_h, s->nprocs * CODEC_HASH_LEN);
	XXH3_128bits_update(st, p->run_h, s->nmounts * CODEC_HASH_LEN);
	XXH128_canonical_t c;
	XXH128_canonicalFromHash(&c, XXH3_128bits_digest(st));
	memcpy(p->digest.b, c.digest, CODEC_HASH_LEN);
	XXH3_freeState(st);
	return 0;
}

static struct codec_str cstr(const char *s)
{
	return (struct codec_str){ s, s ? strlen(s) : 0 };
}

static bool hash_in(const struct codec_hash *h, const struct codec_hash *set,
		    size_t n)
{
	return n && bsearch(h, set, n, sizeof(*set), hash_cmp);
}

static void nsidx_entry(struct store_txn *t, struct ns_key key, uint64_t id,
			const uint8_t *hash)
{
	uint8_t k[24];

	codec_be64_write(k, key.dev);
	codec_be64_write(k + 8, key.ino);
	codec_be64_write(k + 16, id);
	txn_put(t, t->s->nsidx, k, 24, hash, CODEC_HASH_LEN, MDB_NOOVERWRITE);
}

/*
 * Namespace index entries of snapshot ID: one per namespace whose record
 * is not in snapshot PREV, the one before it in the index (new or changed:
 * the record holds the key, so an equal hash is the same namespace
 * unchanged), and a tombstone for each namespace of PREV that is gone.
 * PREV 0: there is none.  A previous snapshot that cannot be read is taken
 * as empty: every namespace gets an entry.
 */
static void nsidx_put(struct store_txn *t, const struct plan *p, uint64_t id,
		      uint64_t prev_id)
{
	static const uint8_t gone[CODEC_HASH_LEN];
	const struct graph *g = p->g;
	struct codec_hash *prev = NULL;
	size_t nprev = 0;
	struct codec_rec rec;
	struct ns_key key;

	if (t->ret)
		return;
	if (prev_id) {
		int ret = list_hashes(t, prev_id, LIST_NS, &prev, &nprev);
		if (ret == STORE_ECORRUPT) {
			corrupt_msg[0] = '\0';
		} else if (ret) {
			txn_fail(t, ret);
			return;
		}
		if (nprev)
			qsort(prev, nprev, sizeof(*prev), hash_cmp);
	}
	for (size_t i = 0; i < g->nns; i++)
		if (!hash_in(&p->ns_h[i], prev, nprev))
			nsidx_entry(t, g->ns[i].key, id, p->ns_h[i].b);
	for (size_t i = 0; i < nprev && !t->ret; i++) {
		if (hash_in(&prev[i], p->ns_sorted, g->nns))
			continue;
		int ret = rec_get(t, prev[i].b, &rec);
		if (ret && ret != STORE_ECORRUPT) {
			txn_fail(t, ret);
			break;
		}
		/* Unreadable: its fate cannot be told; the others' can. */
		if (ret || codec_ns_key(rec.data, rec.len, &key))
			continue;
		if (graph_ns_find(g, key) == GRAPH_NONE)
			nsidx_entry(t, key, id, gone);
	}
	free(prev);
}

/* The id the next snapshot gets: past the newest, and past any id
 * given before and pruned since (meta "next"). */
static uint64_t next_id(struct store_txn *t, uint64_t last)
{
	MDB_val val;
	int rc = txn_get(t, t->s->meta, "next", 4, &val);
	uint64_t next = 0;

	if (!rc && val.mv_size == 8)
		next = codec_be64_read(val.mv_data);
	else if (rc && rc != MDB_NOTFOUND)
		txn_fail(t, rc);
	return next > last + 1 ? next : last + 1;
}

/*
 * The newest snapshot before ID that is in the namespace index (recorded
 * here, not imported), or 0.  One whose header cannot be read counts: its
 * lists may still serve, and most snapshots are recorded ones.
 */
static uint64_t prev_indexed(struct store_txn *t, uint64_t id)
{
	struct codec_header h;
	MDB_cursor *c;
	MDB_val key, val;
	uint64_t cur = 0;
	int rc;

	if (cursor_open(t, t->s->snaps, &c))
		return 0;
	for (rc = lm_cursor_get(c, &key, &val, MDB_LAST); !rc;
	     rc = lm_cursor_get(c, &key, &val, MDB_PREV)) {
		if (key_id(t, &key, &cur) || cur >= id)
			continue;
		if (header_decode(t, cur, &val, &h) || !h.imported)
			break;
		cur = 0;
	}
	if (rc == MDB_NOTFOUND)
		cur = 0;
	else if (rc)
		txn_fail(t, mdb_err(rc));
	mdb_cursor_close(c);
	/* A damaged header's complaint is no failure of this write. */
	corrupt_msg[0] = '\0';
	return cur;
}

/* One attempt at the write transaction: all of it, or nothing. */
static int put_txn(struct store *s, const struct plan *p, const char *label,
		   bool imported, uint64_t original_id, uint64_t *id_out)
{
	const struct graph *g = p->g;
	const struct codec_snapshot *snap = &p->snap;
	struct store_txn t;
	struct codec_header h;
	struct codec_buf hb;
	MDB_cursor *c;
	MDB_val key, val;
	uint64_t id = 0, added = 0;
	uint8_t k[24];
	int rc, ret;

	ret = txn_begin(s, &t, true);
	if (ret)
		return ret;
	/* Under the writer lock: a concurrent nsnap gets the next id. */
	if (cursor_open(&t, s->snaps, &c))
		goto out;
	rc = lm_cursor_get(c, &key, &val, MDB_LAST);
	if (!rc)
		txn_fail(&t, key_id(&t, &key, &id));
	else if (rc != MDB_NOTFOUND)
		txn_fail(&t, mdb_err(rc));
	mdb_cursor_close(c);
	id = next_id(&t, id);

	rec_put(&t, &p->meta_h, &snap->meta, &added);
	if (snap->layout.len)
		rec_put(&t, &p->layout_h, &snap->layout, &added);
	for (size_t i = 0; i < snap->nns; i++)
		rec_put(&t, &p->ns_h[i], &snap->ns[i], &added);
	for (size_t i = 0; i < snap->nprocs; i++)
		rec_put(&t, &p->proc_h[i], &snap->procs[i], &added);
	for (size_t i = 0; i < snap->nmounts; i++)
		rec_put(&t, &p->run_h[i], &snap->mounts[i], &added);
	for (size_t i = 0; i < p->nchunks; i++) {
		struct codec_rec r = {
			p->chunks.data + p->chunk_off[i],
			p->chunk_off[i + 1] - p->chunk_off[i],
		};
		rec_put(&t, &p->chunk_h[i], &r, &added);
	}

	codec_be64_write(k, id);
	for (int i = 0; i < 3; i++) {
		k[8] = list_kinds[i];
		const void *v = p->top_n[i] ? p->chunk_h[p->top_first[i]].b : k;
		txn_put(&t, s->lists, k, 9, v, p->top_n[i] * CODEC_HASH_LEN,
			MDB_NOOVERWRITE);
	}
	if (imported)
		format_raise(&t);
	else
		nsidx_put(&t, p, id, prev_indexed(&t, id));
	codec_be64_write(k, id);
	if (label)
		txn_put(&t, s->labels, label, strlen(label), k, 8, 0);

	h = (struct codec_header){
		.id = id,
		.start_ns = g->meta.start_ns,
		.end_ns = g->meta.end_ns,
		.label = cstr(label),
		.host = cstr(g->meta.hostname),
		.boot_id = cstr(g->meta.boot_id),
		.kernel = cstr(g->meta.kernel),
		.nns = g->nns,
		.nprocs = g->nprocs,
		.ntasks = g->ntasks,
		.nfds = g->nfds,
		.nmounts = g->nmounts,
		.nruns = snap->nmounts,
		.ngaps = g->ngaps,
		.size = p->size,
		.added = added,
		.imported = imported,
		.original_id = original_id,
		.meta = p->meta_h,
		.has_layout = snap->layout.len > 0,
		.layout = p->layout_h,
		.digest = p->digest,
	};
	codec_buf_init(&hb);
	rc = codec_encode_header(&h, &hb);
	if (rc)
		txn_fail(&t, rc);
	txn_put(&t, s->snaps, k, 8, hb.data, hb.len, MDB_NOOVERWRITE);
	codec_buf_free(&hb);
	ret = txn_commit(&t);
	if (!ret)
		*id_out = id;
	return ret;
out:
	txn_abort(&t);
	return t.ret;
}

static int grow_map(struct store *s)
{
	MDB_envinfo info;
	int rc;

	/* Moving the map under a live transaction would pull it from under
	 * its pointers. */
	if (s->active)
		return -EBUSY;
	rc = mdb_env_info(s->env, &info);
	if (rc)
		return mdb_err(rc);
	if (info.me_mapsize >= STORE_MAP_MAX)
		return STORE_EMAPMAX;
	s->map_stale = true;
	return mdb_err(mdb_env_set_mapsize(s->env, info.me_mapsize * 2));
}

static int put_any(struct store *s, const struct graph *g, const char *label,
		   bool imported, uint64_t original_id, uint64_t *id_out)
{
	struct plan p;
	uint64_t id = 0;
	int ret;

	if (s->rdonly)
		return STORE_ERDONLY;
	ret = store_label_check(label);
	if (ret)
		return ret;
	ret = plan_make(&p, g);
	while (!ret) {
		ret = put_txn(s, &p, label, imported, original_id, &id);
		if (ret != MDB_MAP_FULL)
			break;
		/* The aborted attempt left nothing behind: grow, redo all. */
		ret = grow_map(s);
	}
	plan_free(&p);
	if (!ret && id_out)
		*id_out = id;
	return ret;
}

int store_put(struct store *s, const struct graph *g, const char *label,
	      uint64_t *id_out)
{
	return put_any(s, g, label, false, 0, id_out);
}

int store_put_imported(struct store *s, const struct graph *g,
		       const char *label, uint64_t original_id,
		       uint64_t *id_out)
{
	return put_any(s, g, label, true, original_id, id_out);
}

/* ---- reading a snapshot ------------------------------------------------- */

static int get_header(struct store_txn *t, uint64_t id, struct codec_header *h)
{
	uint8_t k[8];
	MDB_val val;
	int rc;

	codec_be64_write(k, id);
	rc = txn_get(t, t->s->snaps, k, 8, &val);
	if (rc == MDB_NOTFOUND)
		return STORE_ENOSNAP;
	if (rc)
		return rc;
	return header_decode(t, id, &val, h);
}

static void snap_free(struct codec_snapshot *snap)
{
	free(snap->ns);
	free(snap->procs);
	free(snap->mounts);
	*snap = (struct codec_snapshot){ 0 };
}

/*
 * Snapshot ID as store_load() reads it, in T: its header, and its records
 * each checked against its hash, their hashes against the header's digest.
 * SNAP's arrays are malloc'd (snap_free()), its records point into the map.
 */
static int snap_read(struct store_txn *t, uint64_t id, struct codec_header *h,
		     struct codec_snapshot *snap)
{
	XXH3_state_t *st = NULL;
	XXH128_canonical_t c;
	int ret;

	*snap = (struct codec_snapshot){ 0 };
	ret = get_header(t, id, h);
	if (ret)
		return ret;
	st = XXH3_createState();
	if (!st)
		return -ENOMEM;
	XXH3_128bits_reset(st);
	ret = rec_get(t, h->meta.b, &snap->meta);
	if (ret)
		goto out;
	XXH3_128bits_update(st, h->meta.b, CODEC_HASH_LEN);
	if (h->has_layout) {
		ret = rec_get(t, h->layout.b, &snap->layout);
		if (ret)
			goto out;
		XXH3_128bits_update(st, h->layout.b, CODEC_HASH_LEN);
	}
	ret = get_list(t, id, LIST_NS, h->nns, &snap->ns, st);
	if (!ret)
		ret = get_list(t, id, LIST_PROC, h->nprocs, &snap->procs, st);
	if (!ret)
		ret = get_list(t, id, LIST_MOUNTS, h->nruns, &snap->mounts, st);
	if (ret)
		goto out;
	snap->nns = h->nns;
	snap->nprocs = h->nprocs;
	snap->nmounts = h->nruns;
	XXH128_canonicalFromHash(&c, XXH3_128bits_digest(st));
	if (memcmp(c.digest, h->digest.b, CODEC_HASH_LEN))
		ret = corrupt("records of snapshot %" PRIu64
			      " do not match its digest", id);
out:
	XXH3_freeState(st);
	if (ret)
		snap_free(snap);
	return ret;
}

/* Decode what snap_read() gave: STORE_ECORRUPT when the records, each
 * whole, do not make a graph. */
static int snap_decode(uint64_t id, const struct codec_snapshot *snap,
		       struct graph **out)
{
	int ret = codec_decode_graph(snap, out);

	if (ret == -EBADMSG)
		ret = corrupt("records of snapshot %" PRIu64 " do not decode", id);
	return ret;
}

int store_load(struct store *s, uint64_t id, struct graph **out)
{
	struct store_txn t;
	struct codec_header h;
	struct codec_snapshot snap;
	int ret;

	*out = NULL;
	ret = txn_begin(s, &t, false);
	if (ret)
		return ret;
	ret = snap_read(&t, id, &h, &snap);
	if (!ret)
		ret = snap_decode(id, &snap, out);
	snap_free(&snap);
	txn_abort(&t);
	return ret;
}

/* ---- verifying ---------------------------------------------------------- */

/* Codes by which LMDB says a page it was led to is not what it should be:
 * damage to one snapshot's part of the store, not to the walk. */
static bool page_damage(int err)
{
	return err == MDB_CORRUPTED || err == MDB_PAGE_NOTFOUND;
}

/* One snapshot, in a transaction of its own (after LMDB finds a damaged
 * page it refuses the rest of the transaction). */
static int verify_one(struct store *s, uint64_t id, struct store_check *c)
{
	struct store_txn t;
	struct codec_header h;
	struct codec_snapshot snap;
	struct graph *g = NULL;
	int ret;

	*c = (struct store_check){ .id = id };
	ret = txn_begin(s, &t, false);
	if (ret)
		return ret;
	corrupt_has_rec = false;
	ret = snap_read(&t, id, &h, &snap);
	if (!ret)
		ret = snap_decode(id, &snap, &g);
	graph_free(g);
	snap_free(&snap);
	txn_abort(&t);
	if (ret == STORE_ECORRUPT || page_damage(ret)) {
		c->err = ret;
		c->what = store_strerror(ret);
		/* The caller says whose store it is. */
		if (!strncmp(c->what, "corrupt store: ", 15))
			c->what += 15;
		if (ret == STORE_ECORRUPT && corrupt_has_rec) {
			c->has_record = true;
			memcpy(c->record, corrupt_rec, CODEC_HASH_LEN);
		}
		return 0;
	}
	return ret;
}

/* Every snapshot id, damaged headers included, in one read transaction. */
static int all_ids(struct store *s, uint64_t **ids, size_t *n)
{
	struct store_txn t;
	MDB_cursor *c = NULL;
	MDB_val key, val;
	uint64_t *v = NULL, id;
	size_t cap = 0;
	int rc, ret;

	*ids = NULL;
	*n = 0;
	ret = txn_begin(s, &t, false);
	if (ret || cursor_open(&t, s->snaps, &c)) {
		ret = t.ret;
		goto out;
	}
	for (rc = lm_cursor_get(c, &key, &val, MDB_FIRST); !rc;
	     rc = lm_cursor_get(c, &key, &val, MDB_NEXT)) {
		/* A key of another size is no snapshot at all. */
		if (key_id(&t, &key, &id))
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 64;
			uint64_t *more = realloc(v, cap * sizeof(*v));
			if (!more) {
				ret = -ENOMEM;
				goto out;
			}
			v = more;
		}
		v[(*n)++] = id;
	}
	if (rc != MDB_NOTFOUND)
		ret = mdb_err(rc);
out:
	if (c)
		mdb_cursor_close(c);
	txn_abort(&t);
	if (ret) {
		free(v);
		*n = 0;
	} else {
		*ids = v;
	}
	return ret;
}

int store_verify(struct store *s, uint64_t id,
		 int (*cb)(const struct store_check *c, void *ctx), void *ctx,
		 store_progress_fn *progress, uint64_t *ndamaged)
{
	struct store_check c;
	uint64_t *ids = NULL, bad = 0;
	size_t n = 1;
	int ret = 0;

	if (ndamaged)
		*ndamaged = 0;
	if (!id) {
		ret = all_ids(s, &ids, &n);
		if (ret)
			return ret;
	}
	for (size_t i = 0; i < n; i++) {
		ret = verify_one(s, ids ? ids[i] : id, &c);
		/* Pruned since the walk began: nothing to check. */
		if (ret == STORE_ENOSNAP && ids) {
			ret = 0;
			continue;
		}
		if (ret)
			break;
		bad += c.err != 0;
		if (progress)
			progress("snapshots", i + 1, n, ctx);
		if (cb && (ret = cb(&c, ctx)))
			break;
	}
	free(ids);
	if (ndamaged)
		*ndamaged = bad;
	return ret ? ret : bad ? STORE_ECORRUPT : 0;
}

/* ---- pruning ------------------------------------------------------------ */

/*
 * Mark and sweep, not reference counts.  Counts would be written for every
 * record of every snapshot stored: thousands of writes for a snapshot of
 * an unchanged machine that now costs a few pages, and a count that drifted
 * once (a damaged page, a crash in a bug) would delete a live record
 * without a trace.  Marking reads what the remaining snapshots use, their
 * headers and list chunks (a chunk shared by many snapshots is read once),
 * and is right by construction whatever happened before.  Pruning is rare
 * next to recording, so its cost belongs there.
 */

/* A set of hashes: open addressing on the hashes' own bits, which XXH3
 * makes uniform. */
struct hset {
	struct codec_hash *v;
	uint8_t *used;
	size_t n, cap;      /* cap: 0 or a power of two */
};

static size_t hset_slot(const struct hset *hs, const uint8_t *h)
{
	size_t mask = hs->cap - 1, i = (size_t)codec_be64_read(h + 8) & mask;

	while (hs->used[i] && memcmp(hs->v[i].b, h, CODEC_HASH_LEN))
		i = (i + 1) & mask;
	return i;
}

static bool hset_has(const struct hset *hs, const uint8_t *h)
{
	return hs->cap && hs->used[hset_slot(hs, h)];
}

/* 1 when H was added, 0 when it was there, -ENOMEM. */
static int hset_add(struct hset *hs, const uint8_t *h)
{
	if (2 * (hs->n + 1) > hs->cap) {
		struct hset big = { .cap = hs->cap ? 2 * hs->cap : 1024 };
		big.v = malloc(big.cap * sizeof(*big.v));
		big.used = calloc(big.cap, 1);
		if (!big.v || !big.used) {
			free(big.v);
			free(big.used);
			return -ENOMEM;
		}
		for (size_t i = 0; i < hs->cap; i++) {
			if (!hs->used[i])
				continue;
			size_t j = hset_slot(&big, hs->v[i].b);
			big.v[j] = hs->v[i];
			big.used[j] = 1;
		}
		big.n = hs->n;
		free(hs->v);
		free(hs->used);
		*hs = big;
	}
	size_t i = hset_slot(hs, h);
	if (hs->used[i])
		return 0;
	memcpy(hs->v[i].b, h, CODEC_HASH_LEN);
	hs->used[i] = 1;
	hs->n++;
	return 1;
}

static void hset_free(struct hset *hs)
{
	free(hs->v);
	free(hs->used);
	*hs = (struct hset){ 0 };
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static bool u64_in(uint64_t v, const uint64_t *set, size_t n)
{
	return n && bsearch(&v, set, n, sizeof(*set), u64_cmp);
}

/* A growing array of anything. */
static int grow(void *arrp, size_t *cap, size_t n, size_t size)
{
	void **arr = arrp;

	if (n < *cap)
		return 0;
	size_t c = *cap ? 2 * *cap : 64;
	void *p = realloc(*arr, c * size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = c;
	return 0;
}

struct snapinfo {
	uint64_t id;
	int64_t start_ns;
	bool readable;      /* header decodes */
	bool indexed;       /* in the namespace index: recorded here, or
			       unreadable (most are recorded here) */
	bool removed;
	bool has_layout;
	struct codec_hash meta, layout;
};

/* A change to the namespace index or the labels, done after the walks:
 * LMDB's cursor after a deletion is a subtle thing, and these are few. */
struct edit {
	uint8_t key[24];
	size_t klen;
	bool del;
	uint8_t val[CODEC_HASH_LEN];
	size_t vlen;
};

struct prune {
	struct store_txn t;
	const struct store_prune_opts *o;
	struct store_prune_result *r;
	struct snapinfo *sn;
	size_t nsn, cap_sn;
	uint64_t *gone;         /* removed ids, sorted */
	size_t ngone;
	uint64_t *kept;         /* remaining indexed ids, sorted */
	size_t nkept;
	struct hset live, chunks_ok, chunks_bad;
	struct edit *ed;
	size_t ned, cap_ed;
	struct codec_buf label_buf;
};

static void progress(const struct prune *p, const char *what, uint64_t done,
		     uint64_t total)
{
	if (p->o->progress)
		p->o->progress(what, done, total, p->o->progress_ctx);
}

/* Every snapshot, with what its header says if it can be read. */
static int prune_scan(struct prune *p)
{
	struct store_txn *t = &p->t;
	struct codec_header h;
	MDB_cursor *c;
	MDB_val key, val;
	uint64_t id;
	int rc;

	if (cursor_open(t, t->s->snaps, &c))
		return t->ret;
	for (rc = lm_cursor_get(c, &key, &val, MDB_FIRST); !rc;
	     rc = lm_cursor_get(c, &key, &val, MDB_NEXT)) {
		if (key_id(t, &key, &id))
			continue;
		if (grow(&p->sn, &p->cap_sn, p->nsn, sizeof(*p->sn))) {
			txn_fail(t, -ENOMEM);
			break;
		}
		struct snapinfo *si = &p->sn[p->nsn++];
		*si = (struct snapinfo){ .id = id, .indexed = true };
		if (header_decode(t, id, &val, &h))
			continue;
		si->readable = true;
		si->indexed = !h.imported;
		si->start_ns = h.start_ns;
		si->meta = h.meta;
		si->has_layout = h.has_layout;
		si->layout = h.layout;
	}
	if (rc && rc != MDB_NOTFOUND)
		txn_fail(t, mdb_err(rc));
	mdb_cursor_close(c);
	corrupt_msg[0] = '\0';
	return t->ret;
}

/* Which go: any rule that picks one. */
static int prune_pick(struct prune *p)
{
	const struct store_prune_opts *o = p->o;
	uint64_t *ids = NULL;

	if (o->nids) {
		ids = malloc(o->nids * sizeof(*ids));
		if (!ids)
			return -ENOMEM;
		memcpy(ids, o->ids, o->nids * sizeof(*ids));
		qsort(ids, o->nids, sizeof(*ids), u64_cmp);
	}
	for (size_t i = 0; i < p->nsn; i++) {
		struct snapinfo *si = &p->sn[i];
		si->removed = (o->keep_set && p->nsn - i > o->keep) ||
			      (o->before_set && si->readable &&
			       si->start_ns < o->before_ns) ||
			      u64_in(si->id, ids, o->nids);
	}
	free(ids);
	p->gone = malloc((p->nsn ? p->nsn : 1) * sizeof(*p->gone));
	p->kept = malloc((p->nsn ? p->nsn : 1) * sizeof(*p->kept));
	if (!p->gone || !p->kept)
		return -ENOMEM;
	/* The scan went in id order: both come out sorted. */
	for (size_t i = 0; i < p->nsn; i++) {
		if (p->sn[i].removed)
			p->gone[p->ngone++] = p->sn[i].id;
		else if (p->sn[i].indexed)
			p->kept[p->nkept++] = p->sn[i].id;
	}
	return 0;
}

/* Mark the chunk named H and the records it lists; false when it cannot
 * be read, so that what it lists is unknown. */
static bool mark_chunk(struct prune *p, const uint8_t *h)
{
	struct store_txn *t = &p->t;
	struct codec_rec chunk;
	const uint8_t *hashes;
	size_t n;
	int ret;

	if (hset_has(&p->chunks_ok, h))
		return true;
	if (hset_has(&p->chunks_bad, h))
		return false;
	ret = rec_get(t, h, &chunk);
	if (!ret && codec_decode_list(chunk.data, chunk.len, &hashes, &n))
		ret = STORE_ECORRUPT;
	if (ret) {
		if (ret != STORE_ECORRUPT)
			txn_fail(t, ret);
		else if (hset_add(&p->chunks_bad, h) < 0)
			txn_fail(t, -ENOMEM);
		return false;
	}
	if (hset_add(&p->chunks_ok, h) < 0)
		txn_fail(t, -ENOMEM);
	for (size_t i = 0; i < n && !t->ret; i++)
		if (hset_add(&p->live, hashes + i * CODEC_HASH_LEN) < 0)
			txn_fail(t, -ENOMEM);
	return true;
}

/* Mark what the remaining snapshot SI uses; false when some of it cannot
 * be read. */
static bool mark_snapshot(struct prune *p, const struct snapinfo *si)
{
	struct store_txn *t = &p->t;
	bool whole = si->readable;
	uint8_t k[9];
	MDB_val val;

	if (!whole)
		return false;
	if (hset_add(&p->live, si->meta.b) < 0 ||
	    (si->has_layout && hset_add(&p->live, si->layout.b) < 0))
		txn_fail(t, -ENOMEM);
	codec_be64_write(k, si->id);
	for (int i = 0; i < 3 && !t->ret; i++) {
		k[8] = list_kinds[i];
		int rc = txn_get(t, t->s->lists, k, 9, &val);
		if (rc || val.mv_size % CODEC_HASH_LEN) {
			whole = false;
			continue;
		}
		for (size_t j = 0; j < val.mv_size / CODEC_HASH_LEN; j++) {
			const uint8_t *h = (const uint8_t *)val.mv_data +
					   j * CODEC_HASH_LEN;
			if (hset_add(&p->live, h) < 0)
				txn_fail(t, -ENOMEM);
			if (!mark_chunk(p, h))
				whole = false;
		}
	}
	return whole;
}

static int add_edit(struct prune *p, const void *key, size_t klen, bool del,
		    const void *val, size_t vlen)
{
	if (grow(&p->ed, &p->cap_ed, p->ned, sizeof(*p->ed)))
		return -ENOMEM;
	struct edit *e = &p->ed[p->ned++];
	*e = (struct edit){ .klen = klen, .del = del, .vlen = vlen };
	memcpy(e->key, key, klen);
	if (vlen)
		memcpy(e->val, val, vlen);
	return 0;
}

/* One entry of the namespace index: its snapshot and the namespace's
 * record from there on, all zero where it is gone. */
struct ent {
	uint64_t id;
	uint8_t h[CODEC_HASH_LEN];
};

static const uint8_t gone_hash[CODEC_HASH_LEN];

/* The namespace's record at snapshot X, from its entries E[0..n) in id
 * order: the last at or before X; NULL when it is not there. */
static const uint8_t *ns_state(const struct ent *e, size_t n, uint64_t x)
{
	const uint8_t *st = NULL;

	for (size_t i = 0; i < n && e[i].id <= x; i++)
		st = memcmp(e[i].h, gone_hash, CODEC_HASH_LEN) ? e[i].h : NULL;
	return st;
}

static bool same_state(const uint8_t *a, const uint8_t *b)
{
	return a == b || (a && b && !memcmp(a, b, CODEC_HASH_LEN));
}

/*
 * The entries one namespace (KEY16: dev, inode) should have once only the
 * kept snapshots remain, as edits against the entries E[0..n) it has.  An
 * entry sits at a kept snapshot whose state differs from the kept one
 * before it; a kept snapshot's state is that of the last entry at or before
 * it, so every remaining snapshot reads the same as before.  Only the
 * first kept snapshot at or after an entry can change: those are the
 * candidates.
 */
static int nsidx_rewrite(struct prune *p, const uint8_t *key16,
			 const struct ent *e, size_t n)
{
	uint8_t k[24];
	uint64_t last = 0;
	size_t nnew = 0, j = 0;
	int ret = 0;

	memcpy(k, key16, 16);
	for (size_t i = 0; i < n && !ret; i++) {
		/* The first kept snapshot at or after this entry. */
		size_t lo = 0, hi = p->nkept;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (p->kept[mid] < e[i].id)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo == p->nkept || p->kept[lo] == last)
			continue;
		uint64_t r = last = p->kept[lo];
		const uint8_t *st = ns_state(e, n, r);
		const uint8_t *before = lo ? ns_state(e, n, p->kept[lo - 1]) : NULL;
		if (same_state(st, before))
			continue;
		nnew++;
		/* Old entries before R that are not kept go; one at R stays
		 * when it says the same. */
		for (; j < n && e[j].id < r; j++) {
			codec_be64_write(k + 16, e[j].id);
			ret = ret ? ret : add_edit(p, k, 24, true, NULL, 0);
		}
		const uint8_t *want = st ? st : gone_hash;
		if (j < n && e[j].id == r && !memcmp(e[j].h, want, CODEC_HASH_LEN)) {
			j++;
			continue;
		}
		if (j < n && e[j].id == r)
			j++;
		codec_be64_write(k + 16, r);
		ret = ret ? ret : add_edit(p, k, 24, false, want, CODEC_HASH_LEN);
	}
	for (; j < n && !ret; j++) {
		codec_be64_write(k + 16, e[j].id);
		ret = add_edit(p, k, 24, true, NULL, 0);
	}
	p->r->index += n > nnew ? n - nnew : 0;
	return ret;
}

/* Walk the namespace index one namespace at a time. */
static int nsidx_prune(struct prune *p)
{
	struct store_txn *t = &p->t;
	struct ent *e = NULL;
	size_t n = 0, cap = 0;
	uint8_t cur[16];
	MDB_cursor *c;
	MDB_val key, val;
	int rc, ret = 0;

	if (cursor_open(t, t->s->nsidx, &c))
		return t->ret;
	for (rc = lm_cursor_get(c, &key, &val, MDB_FIRST); !rc && !ret;
	     rc = lm_cursor_get(c, &key, &val, MDB_NEXT)) {
		/* Malformed entries are left as they are: not ours to judge
		 * here, and store_ns_history() reports them. */
		if (key.mv_size != 24 || val.mv_size != CODEC_HASH_LEN ||
		    val_check(t, &key) || val_check(t, &val))
			continue;
		const uint8_t *kp = key.mv_data;
		if (n && memcmp(kp, cur, 16)) {
			ret = nsidx_rewrite(p, cur, e, n);
			n = 0;
		}
		if (!ret && grow(&e, &cap, n, sizeof(*e)))
			ret = -ENOMEM;
		if (ret)
			break;
		memcpy(cur, kp, 16);
		e[n].id = codec_be64_read(kp + 16);
		memcpy(e[n++].h, val.mv_data, CODEC_HASH_LEN);
	}
	if (rc && rc != MDB_NOTFOUND)
		ret = mdb_err(rc);
	if (!ret && n)
		ret = nsidx_rewrite(p, cur, e, n);
	mdb_cursor_close(c);
	free(e);
	corrupt_msg[0] = '\0';
	return ret;
}

/* Label entries of removed snapshots: label and id end to end in
 * p->label_buf, deleted one duplicate at a time after the walk. */
static int labels_prune(struct prune *p)
{
	struct store_txn *t = &p->t;
	MDB_cursor *c;
	MDB_val key, val;
	int rc;

	if (cursor_open(t, t->s->labels, &c))
		return t->ret;
	for (rc = lm_cursor_get(c, &key, &val, MDB_FIRST); !rc;
	     rc = lm_cursor_get(c, &key, &val, MDB_NEXT)) {
		if (val.mv_size != 8 || val_check(t, &val) ||
		    key.mv_size == 0 || key.mv_size > STORE_LABEL_MAX ||
		    val_check(t, &key) ||
		    !u64_in(codec_be64_read(val.mv_data), p->gone, p->ngone))
			continue;
		codec_put_uv(&p->label_buf, key.mv_size);
		codec_put_bytes(&p->label_buf, key.mv_data, key.mv_size);
		codec_put_bytes(&p->label_buf, val.mv_data, 8);
		p->r->labels++;
	}
	mdb_cursor_close(c);
	corrupt_msg[0] = '\0';
	if (p->label_buf.err)
		return p->label_buf.err;
	return rc && rc != MDB_NOTFOUND ? mdb_err(rc) : 0;
}

static void labels_delete(struct prune *p)
{
	struct codec_rd rd;

	codec_rd_init(&rd, p->label_buf.data, p->label_buf.len);
	while (rd.left && !rd.err && !p->t.ret) {
		size_t len = (size_t)codec_get_uv(&rd, STORE_LABEL_MAX);
		const uint8_t *label = codec_get_bytes(&rd, len);
		const uint8_t *id = codec_get_bytes(&rd, 8);
		MDB_val key = { len, (void *)label }, val = { 8, (void *)id };
		if (rd.err)
			break;
		int rc = lm_del(p->t.txn, p->t.s->labels, &key, &val);
		if (rc && rc != MDB_NOTFOUND)
			txn_fail(&p->t, mdb_err(rc));
	}
}

static void txn_del(struct store_txn *t, MDB_dbi dbi, const void *k,
		    size_t klen)
{
	if (t->ret)
		return;
	MDB_val key = { klen, (void *)k };
	int rc = lm_del(t->txn, dbi, &key, NULL);
	if (rc && rc != MDB_NOTFOUND)
		t->ret = mdb_err(rc);
}

/* Every record no remaining snapshot uses. */
static void records_sweep(struct prune *p)
{
	struct store_txn *t = &p->t;
	struct codec_buf dead;
	MDB_cursor *c;
	MDB_val key, val;
	MDB_stat st;
	uint64_t seen = 0;
	int rc;

	rc = lm_stat(t->txn, t->s->records, &st);
	if (rc) {
		txn_fail(t, mdb_err(rc));
		return;
	}
	if (cursor_open(t, t->s->records, &c))
		return;
	codec_buf_init(&dead);
	for (rc = lm_cursor_get(c, &key, &val, MDB_FIRST); !rc;
	     rc = lm_cursor_get(c, &key, &val, MDB_NEXT)) {
		if (++seen % 4096 == 0)
			progress(p, "records", seen, st.ms_entries);
		/* A key of another size names no record: left alone. */
		if (key.mv_size != CODEC_HASH_LEN || val_check(t, &key) ||
		    hset_has(&p->live, key.mv_data))
			continue;
		codec_put_bytes(&dead, key.mv_data, CODEC_HASH_LEN);
		p->r->records++;
		p->r->bytes += val.mv_size;
	}
	mdb_cursor_close(c);
	corrupt_msg[0] = '\0';
	if (rc != MDB_NOTFOUND)
		txn_fail(t, mdb_err(rc));
	txn_fail(t, dead.err);
	for (size_t i = 0; i < dead.len; i += CODEC_HASH_LEN)
		txn_del(t, t->s->records, dead.data + i, CODEC_HASH_LEN);
	codec_buf_free(&dead);
}

static int prune_txn(struct store *s, const struct store_prune_opts *o,
		     struct store_prune_result *r)
{
	struct prune p = { .o = o, .r = r };
	struct store_txn *t = &p.t;
	uint8_t k[9];
	int ret;

	*r = (struct store_prune_result){ 0 };
	codec_buf_init(&p.label_buf);
	ret = txn_begin(s, t, true);
	if (ret)
		return ret;
	ret = prune_scan(&p);
	if (!ret)
		ret = prune_pick(&p);
	r->remaining = p.nsn;
	if (ret || !p.ngone)
		goto out;
	r->snapshots = p.ngone;
	r->remaining = p.nsn - p.ngone;
	r->first = p.gone[0];
	r->last = p.gone[p.ngone - 1];

	/* Mark first, while every page read is still the committed one. */
	uint64_t done = 0;
	for (size_t i = 0; i < p.nsn && !t->ret; i++) {
		if (p.sn[i].removed)
			continue;
		if (!mark_snapshot(&p, &p.sn[i]))
			r->unreadable++;
		progress(&p, "snapshots", ++done, r->remaining);
	}
	corrupt_msg[0] = '\0';
	if ((ret = t->ret))
		goto out;

	for (size_t i = 0; i < p.ngone; i++) {
		codec_be64_write(k, p.gone[i]);
		txn_del(t, s->snaps, k, 8);
		for (int j = 0; j < 3; j++) {
			k[8] = list_kinds[j];
			txn_del(t, s->lists, k, 9);
		}
	}
	ret = labels_prune(&p);
	if (!ret)
		labels_delete(&p);
	if (!ret && !t->ret)
		ret = nsidx_prune(&p);
	for (size_t i = 0; i < p.ned && !ret; i++) {
		const struct edit *e = &p.ed[i];
		if (e->del)
			txn_del(t, s->nsidx, e->key, e->klen);
		else
			txn_put(t, s->nsidx, e->key, e->klen, e->val, e->vlen, 0);
	}
	/* Unknown use: sweeping could take what a repairable snapshot
	 * needs.  The records stay until that snapshot is gone too. */
	if (!ret && !r->unreadable)
		records_sweep(&p);

	/* Pruning the newest must not give its id again. */
	uint64_t newest = p.sn[p.nsn - 1].id;
	if (!ret && p.sn[p.nsn - 1].removed) {
		codec_be64_write(k, next_id(t, newest));
		txn_put(t, s->meta, "next", 4, k, 8, 0);
	}
	if (!ret)
		format_raise(t);
	ret = ret ? ret : t->ret;
out:
	if (!ret && !o->dry_run && p.ngone)
		ret = txn_commit(t);
	txn_abort(t);
	free(p.sn);
	free(p.gone);
	free(p.kept);
	free(p.ed);
	hset_free(&p.live);
	hset_free(&p.chunks_ok);
	hset_free(&p.chunks_bad);
	codec_buf_free(&p.label_buf);
	return ret;
}

int store_prune(struct store *s, const struct store_prune_opts *o,
		struct store_prune_result *r)
{
	struct store_prune_result scratch;
	int ret;

	if (!r)
		r = &scratch;
	if (s->rdonly)
		return STORE_ERDONLY;
	for (;;) {
		ret = prune_txn(s, o, r);
		if (ret != MDB_MAP_FULL)
			break;
		/* Changing pages takes new ones (copy on write): a full map
		 * can refuse even a deletion.  Nothing was left behind. */
		ret = grow_map(s);
		if (ret)
			break;
	}
	if (ret)
		*r = (struct store_prune_result){ 0 };
	return ret;
}

/* ---- copying ------------------------------------------------------------ */

/* Make DIR's entries durable (the rename of a copy into place). */
static int sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd))
		ret = -errno;
	close(fd);
	return ret;
}

int store_copy(struct store *s, const char *dest, struct store_stat *st)
{
	char *data = NULL, *partial = NULL;
	struct store *copy = NULL;
	struct stat sb;
	int fd = -1, ret, rc;

	if (!dest || !*dest)
		return -EINVAL;
	ret = store_dir(dest, true);
	if (ret)
		return ret;
	if (asprintf(&data, "%s/data.mdb", dest) < 0 ||
	    asprintf(&partial, "%s/data.mdb.partial", dest) < 0) {
		free(data);
		return -ENOMEM;
	}
	/* Never over a store: that one may be in use. */
	if (lstat(data, &sb) == 0) {
		ret = -EEXIST;
		goto out;
	}
	if (errno != ENOENT) {
		ret = -errno;
		goto out;
	}
	/* A leftover of an interrupted copy is ours to replace. */
	if (unlink(partial) && errno != ENOENT) {
		ret = -errno;
		goto out;
	}
	/* Our own descriptor, made 0600 whatever the umask: LMDB would
	 * create the file with 0666 & ~umask. */
	fd = open(partial, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || fchmod(fd, 0600)) {
		ret = -errno;
		goto out;
	}
	/* One read transaction of LMDB's own: the state of one moment,
	 * writers go on meanwhile.  Compacting renumbers the pages in use
	 * and leaves the free ones out. */
	rc = lm_copyfd(s->env, fd, MDB_CP_COMPACT);
	if (rc) {
		ret = mdb_err(rc);
		goto out;
	}
	if (fsync(fd)) {
		ret = -errno;
		goto out;
	}
	rc = close(fd);
	fd = -1;
	if (rc) {
		ret = -errno;
		goto out;
	}
	if (rename(partial, data)) {
		ret = -errno;
		goto out;
	}
	ret = sync_dir(dest);
	if (ret)
		goto out;
	/* What was written must open as a store of this format. */
	ret = store_open(dest, STORE_RDONLY, &copy);
	if (!ret && st)
		ret = store_stat(copy, st);
	store_close(copy);
	if (ret)
		unlink(data);
out:
	if (fd >= 0)
		close(fd);
	if (ret)
		unlink(partial);
	free(data);
	free(partial);
	return ret;
}

/* ---- headers, listing, history, statistics ------------------------------ */

static void copy_str(char *dst, size_t size, struct codec_str s)
{
	size_t n = s.p ? (s.len < size - 1 ? s.len : size - 1) : 0;

	if (n)
		memcpy(dst, s.p, n);
	dst[n] = '\0';
}

static void header_export(const struct codec_header *h, struct store_header *o)
{
	memset(o, 0, sizeof(*o));
	o->id = h->id;
	o->start_ns = h->start_ns;
	o->end_ns = h->end_ns;
	copy_str(o->label, sizeof(o->label), h->label);
	copy_str(o->host, sizeof(o->host), h->host);
	copy_str(o->boot_id, sizeof(o->boot_id), h->boot_id);
	copy_str(o->kernel, sizeof(o->kernel), h->kernel);
	o->nns = h->nns;
	o->nprocs = h->nprocs;
	o->nthreads = h->ntasks;
	o->nfds = h->nfds;
	o->nmounts = h->nmounts;
	o->npins = h->nfds + h->nmounts;
	o->ngaps = h->ngaps;
	o->size = h->size;
	o->added = h->added;
	o->imported = h->imported;
	o->original_id = h->original_id;
	memcpy(o->digest, h->digest.b, sizeof(o->digest));
}

int store_header(struct store *s, uint64_t id, struct store_header *out)
{
	struct store_txn t;
	struct codec_header h;
	int ret = txn_begin(s, &t, false);

	if (ret)
		return ret;
	ret = get_header(&t, id, &h);
	if (!ret)
		header_export(&h, out);
	txn_abort(&t);
	return ret;
}

int store_list(struct store *s, int (*cb)(const struct store_header *, void *),
	       void *ctx)
{
	struct store_txn t;
	struct codec_header h;
	struct store_header *sh;
	MDB_cursor *c = NULL;
	MDB_val key, val;
	int rc, ret, bad = 0;

	sh = malloc(sizeof(*sh));
	if (!sh)
		return -ENOMEM;
	ret = txn_begin(s, &t, false);
	if (ret || cursor_open(&t, s->snaps, &c)) {
		ret = t.ret;
		goto out;
	}
	for (rc = lm_cursor_get(c, &key, &val, MDB_FIRST); !rc;
	     rc = lm_cursor_get(c, &key, &val, MDB_NEXT)) {
		uint64_t id;
		int err = key_id(&t, &key, &id);
		if (!err)
			err = header_decode(&t, id, &val, &h);
		if (err) {
			/* Show the rest; say so at the end. */
			bad = bad ? bad : err;
			continue;
		}
		header_export(&h, sh);
		ret = cb(sh, ctx);
		if (ret)
			break;
	}
	if (!ret && rc && rc != MDB_NOTFOUND)
		ret = mdb_err(rc);
	if (!ret)
		ret = bad;
out:
	if (c)
		mdb_cursor_close(c);
	txn_abort(&t);
	free(sh);
	return ret;
}

int store_ns_history(struct store *s, struct ns_key nk,
		     int (*cb)(uint64_t id, const uint8_t hash[16], void *),
		     void *ctx)
{
	struct store_txn t;
	MDB_cursor *c = NULL;
	uint8_t k[24];
	MDB_val key = { sizeof(k), k }, val;
	int rc, ret;

	ret = txn_begin(s, &t, false);
	if (ret || cursor_open(&t, s->nsidx, &c)) {
		ret = t.ret;
		goto out;
	}
	codec_be64_write(k, nk.dev);
	codec_be64_write(k + 8, nk.ino);
	codec_be64_write(k + 16, 0);
	for (rc = lm_cursor_get(c, &key, &val, MDB_SET_RANGE); !rc;
	     rc = lm_cursor_get(c, &key, &val, MDB_NEXT)) {
		if (key.mv_size != 24 || val_check(&t, &key) ||
		    memcmp(key.mv_data, k, 16))
			break;
		if (val.mv_size != CODEC_HASH_LEN || val_check(&t, &val)) {
			ret = corrupt("namespace index entry of %zu bytes",
				      val.mv_size);
			break;
		}
		static const uint8_t gone[CODEC_HASH_LEN];
		const uint8_t *h = val.mv_data;
		ret = cb(codec_be64_read((const uint8_t *)key.mv_data + 16),
			 memcmp(h, gone, CODEC_HASH_LEN) ? h : NULL, ctx);
		if (ret)
			break;
	}
	if (!ret && rc && rc != MDB_NOTFOUND)
		ret = mdb_err(rc);
out:
	if (c)
		mdb_cursor_close(c);
	txn_abort(&t);
	return ret;
}

int store_stat(struct store *s, struct store_stat *out)
{
	struct store_txn t;
	MDB_envinfo info;
	MDB_stat st;
	int rc, ret;

	memset(out, 0, sizeof(*out));
	rc = mdb_env_info(s->env, &info);
	if (!rc)
		rc = mdb_env_stat(s->env, &st);
	if (rc)
		return mdb_err(rc);
	out->map_size = info.me_mapsize;
	out->page_size = st.ms_psize;
	out->used = ((uint64_t)info.me_last_pgno + 1) * st.ms_psize;
	ret = txn_begin(s, &t, false);
	if (ret)
		return ret;
	rc = lm_stat(t.txn, s->snaps, &st);
	out->snapshots = st.ms_entries;
	if (!rc)
		rc = lm_stat(t.txn, s->records, &st);
	out->records = st.ms_entries;
	txn_abort(&t);
	return mdb_err(rc);
}
