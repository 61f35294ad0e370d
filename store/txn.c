/*
 * txn.c — the store's LMDB layer (see store_int.h).
 *
 * Owns the words for every error the store returns, the guard that turns
 * a fault inside LMDB into an error, transactions with a sticky error,
 * the check that a value LMDB hands back lies within the data file, and
 * records stored and read by their hash.
 */
#include "store_int.h"
#include "fsafe.h"
#include "mdbcheck.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* ---- errors ------------------------------------------------------------- */

/* The words for the last STORE_ECORRUPT, STORE_EROLLBACK or a detailed
 * STORE_ENOTSTORE, and which of them it was. */
static _Thread_local char corrupt_msg[192 + MDBCHECK_WHY_MAX];
static _Thread_local int corrupt_code;
/* The record the last STORE_ECORRUPT was about, when it was one record:
 * verify names it. */
static _Thread_local bool corrupt_has_rec;
static _Thread_local uint8_t corrupt_rec[CODEC_HASH_LEN];

static int explain(int code, const char *head, const char *fmt, va_list ap)
{
	int n = snprintf(corrupt_msg, sizeof(corrupt_msg), "%s", head);

	vsnprintf(corrupt_msg + n, sizeof(corrupt_msg) - (size_t)n, fmt, ap);
	corrupt_code = code;
	corrupt_has_rec = false;
	return code;
}

int sto_corrupt(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	explain(STORE_ECORRUPT, "corrupt store: ", fmt, ap);
	va_end(ap);
	return STORE_ECORRUPT;
}

int sto_refuse(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	explain(code, code == STORE_EROLLBACK ? "" : "not an nsnap store: ",
		fmt, ap);
	va_end(ap);
	return code;
}

/* What the data file's checks (mdbcheck.h) found, as the store's error;
 * WHY their reason, FILE the file they were about. */
int sto_check_err(int rc, const char *file, const char *why)
{
	switch (rc) {
	case MDBCHECK_EDAMAGED:
		return sto_corrupt("%s: %s", file, why);
	case MDBCHECK_ENOTLMDB:
		return sto_refuse(STORE_ENOTSTORE, "%s: %s", file, why);
	case MDBCHECK_EFOREIGN:
		return STORE_EFOREIGN;
	case MDBCHECK_EROLLBACK:
		return sto_refuse(STORE_EROLLBACK, "%s; if data.mdb was "
				  "restored on purpose, remove "
				  MDBCHECK_SEAL_NAME, why);
	case MDBCHECK_ECHANGED:
		return sto_corrupt("%s: written to while being checked, "
				   "again and again", file);
	case -EPERM:
		/* A seal that is not ours. */
		if (why[0])
			return sto_corrupt("%s: %s", file, why);
	}
	return rc;
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

int sto_corrupt_record(const uint8_t *h, const char *how)
{
	char name[2 * CODEC_HASH_LEN + 1];

	hex(h, CODEC_HASH_LEN, name);
	sto_corrupt("record %s %s", name, how);
	corrupt_has_rec = true;
	memcpy(corrupt_rec, h, CODEC_HASH_LEN);
	return STORE_ECORRUPT;
}

void sto_corrupt_clear(void)
{
	corrupt_msg[0] = '\0';
	corrupt_code = 0;
	corrupt_has_rec = false;
}

bool sto_corrupt_which(uint8_t h[CODEC_HASH_LEN])
{
	if (corrupt_has_rec)
		memcpy(h, corrupt_rec, CODEC_HASH_LEN);
	return corrupt_has_rec;
}

int sto_mdb_err(int rc)
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
		return corrupt_code == err ? corrupt_msg : "not an nsnap store";
	case STORE_ENEWER:
		return "store written by a newer nsnap (unknown format version)";
	case STORE_EFOREIGN:
		return "store written on a machine with another byte order or word size";
	case STORE_ECORRUPT:
		return corrupt_code == err ? corrupt_msg : "corrupt store";
	case STORE_EROLLBACK:
		return corrupt_code == err ? corrupt_msg : "store rolled back";
	case STORE_ENOSNAP:
		return "no such snapshot";
	case STORE_EEMPTY:
		return "the store holds no snapshot yet";
	case STORE_ESELECTOR:
		return "no snapshot matches (want an id, latest, latest~N, "
		       "a label, or YYYY-MM-DDTHH:MM[:SS][Z])";
	case STORE_ELABEL:
		return "a label takes 1-255 bytes, no control characters, "
		       "and must not read as an id, latest[~N] or a time "
		       "(YYYY-MM-DDTHH:MM[:SS][Z], also one out of range or "
		       "that does not exist)";
	case STORE_ERDONLY:
		return "store opened read-only";
	case STORE_EGRAPH:
		return "graph is inconsistent and cannot be stored";
	case STORE_EMAPMAX:
		return "store map cannot grow any further";
	case STORE_EEXIST:
		return "the store holds this snapshot already";
	case STORE_ESIG:
		return "its signature does not match its content";
	case STORE_EPLACE:
		return "it was signed in this store (or a copy of it): "
		       "imported back, it would stand at another place in "
		       "the chain it was signed in";
	case STORE_ETIME:
		return "time out of range: capture times run from "
		       "1677-09-21T00:12:44Z to 2262-04-11T23:47:16Z";
	}
	/* The refusals of opening a store: they name the file. */
	if (FSAFE_IS(err))
		return fsafe_strerror(err);
	if (err >= MDB_KEYEXIST && err <= MDB_LAST_ERRCODE)
		return mdb_strerror(err);
	/* The words users know from df(1), for both ways a disk is full. */
	if (err == -ENOSPC)
		return "no space left on device";
	if (err == -EDQUOT)
		return "no space left on device (disk quota exceeded)";
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

void sto_fault_use(void)
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

void sto_fault_unuse(void)
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

/* What LMDB's assertion said, when that and not a fault ended the call
 * (a copy: LMDB's text lives in the frame the jump left). */
static _Thread_local char assert_msg[96];

static int page_fault(void)
{
	fault_hit = true;
	if (assert_msg[0]) {
		int ret = sto_corrupt("a page of the data file is damaged "
				      "(LMDB: %s)", assert_msg);
		assert_msg[0] = '\0';
		return ret;
	}
	return sto_corrupt("a page of the data file is damaged (reading it "
			   "faulted)");
}

/*
 * LMDB checks some of what it reads with assertions, which abort() after
 * calling this.  Under the guard a failed one is a damaged page like a
 * fault: leave the call the way the fault handler does.  Outside it, LMDB
 * aborts as it would have.
 */
static void assert_handler(MDB_env *env, const char *msg)
{
	sigjmp_buf *jb = fault_jmp;

	(void)env;
	if (jb) {
		fault_jmp = NULL;
		snprintf(assert_msg, sizeof(assert_msg), "%s", msg);
		siglongjmp(*jb, 1);
	}
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

int sto_lm_del(MDB_txn *txn, MDB_dbi dbi, MDB_val *k, MDB_val *v)
{
	GUARDED(mdb_del(txn, dbi, k, v));
}

int sto_lm_cursor_get(MDB_cursor *c, MDB_val *k, MDB_val *v,
		      MDB_cursor_op op)
{
	GUARDED(mdb_cursor_get(c, k, v, op));
}

static int lm_cursor_open(MDB_txn *txn, MDB_dbi dbi, MDB_cursor **c)
{
	GUARDED(mdb_cursor_open(txn, dbi, c));
}

int sto_lm_dbi_open(MDB_txn *txn, const char *name, unsigned flags,
		    MDB_dbi *dbi)
{
	GUARDED(mdb_dbi_open(txn, name, flags, dbi));
}

int sto_lm_stat(MDB_txn *txn, MDB_dbi dbi, MDB_stat *st)
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

int sto_lm_copyfd(MDB_env *env, int fd, unsigned flags)
{
	GUARDED(mdb_env_copyfd2(env, fd, flags));
}

int sto_lm_env_open(MDB_env *env, const char *path, unsigned flags)
{
	int rc = mdb_env_set_assert(env, assert_handler);

	if (rc)
		return rc;
	GUARDED(mdb_env_open(env, path, flags, 0600));
}

int sto_lm_reader_check(MDB_env *env, int *dead)
{
	GUARDED(mdb_reader_check(env, dead));
}

static int close_call(MDB_env *env)
{
	mdb_env_close(env);
	return 0;
}

static int lm_env_close(MDB_env *env)
{
	GUARDED(close_call(env));
}

/* A damaged environment can fault on the way out, too: then it leaks. */
void sto_lm_env_close(MDB_env *env)
{
	(void)lm_env_close(env);
}

static int lm_txn_begin(MDB_env *env, unsigned flags, MDB_txn **txn)
{
	GUARDED(mdb_txn_begin(env, NULL, flags, txn));
}

/*
 * mdbcheck_tree() of the data file FD under the guard: it reads through a
 * map of its own, and a file cut short meanwhile faults (SIGBUS).  A
 * fault here leaves no LMDB state behind, so it poisons nothing.
 */
static int tree_call(int fd, const struct mdbcheck_meta *m,
		     struct mdbcheck_tree *t)
{
	GUARDED(mdbcheck_tree(fd, m, t));
}

int sto_check_tree(int fd, const struct mdbcheck_meta *m,
		   struct mdbcheck_tree *t)
{
	int rc = tree_call(fd, m, t);

	fault_hit = false;
	return rc;
}

/* ---- transactions with a sticky error ----------------------------------- */

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

/* The data file's size, 0 when unknown. */
static uint64_t data_size(struct store *s)
{
	struct stat st;
	int fd;

	if (mdb_env_get_fd(s->env, &fd) || fstat(fd, &st))
		return 0;
	return (uint64_t)st.st_size;
}

int sto_seal_check(int dirfd, int data_fd, struct mdbcheck_meta *m,
		   uint64_t *last_id)
{
	struct mdbcheck_seal seal = { 0 };
	int rc;

	*m = (struct mdbcheck_meta){ 0 };
	rc = mdbcheck_seal_check(dirfd, data_fd, m, &seal);
	if (!rc) {
		if (last_id)
			*last_id = seal.present ? seal.last_id : 0;
		return 0;
	}
	/* The seal itself is what failed when the meta pages were not read
	 * (a seal that is damaged or not ours). */
	if (seal.why[0])
		return sto_check_err(rc, m->psize || m->why[0] ? "data.mdb" :
				     MDBCHECK_SEAL_NAME, seal.why);
	return sto_check_err(rc, "data.mdb", m->why);
}

/*
 * The store's writer lock, taken before LMDB's: LMDB lets go of its own
 * inside mdb_txn_commit(), and the seal is written after that, so seals
 * would otherwise be written out of the order of their commits
 * (mdbcheck_seal.c).  Under it, the data file is checked against the seal
 * once more: it may have been rolled back since the store was opened.
 */
int sto_dir_lock(const struct store *s, int how)
{
	int ret;

	while ((ret = flock(fsafe_dir_fd(s->dir), how)) && errno == EINTR)
		;
	return ret ? -errno : 0;
}

static int writer_lock(struct sto_txn *t)
{
	struct store *s = t->s;
	struct mdbcheck_meta m;
	uint64_t sealed;
	int dirfd = fsafe_dir_fd(s->dir), fd, ret;

	ret = sto_dir_lock(s, LOCK_EX);
	if (ret)
		return ret;
	t->locked = true;
	ret = sto_mdb_err(mdb_env_get_fd(s->env, &fd));
	if (!ret)
		ret = sto_seal_check(dirfd, fd, &m, &sealed);
	if (!ret && sealed > s->seal_last)
		s->seal_last = sealed;
	return ret;
}

static void writer_unlock(struct sto_txn *t)
{
	if (t->locked)
		sto_dir_lock(t->s, LOCK_UN);
	t->locked = false;
}

int sto_txn_begin(struct store *s, struct sto_txn *t, bool write)
{
	int rc;

	*t = (struct sto_txn){ .s = s, .write = write };
	if (s->poisoned)
		return t->ret = sto_corrupt("an earlier write met a damaged "
					    "page; the store was not touched "
					    "since");
	if (write && (t->ret = writer_lock(t))) {
		writer_unlock(t);
		return t->ret;
	}
	for (unsigned tries = 0;; tries++) {
		rc = lm_txn_begin(s->env, write ? 0 : MDB_RDONLY, &t->txn);
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
		writer_unlock(t);
		/* A begin that faulted leaves no transaction to poison. */
		fault_hit = false;
		return t->ret = sto_mdb_err(rc);
	}
	/* After the begin: every page this transaction can see is in the
	 * file by now.  Only while no other one holds pointers into the map,
	 * since it may have moved. */
	if (!s->active)
		map_refresh(s);
	s->active++;
	if (write)
		t->size_before = data_size(s);
	return 0;
}

void sto_txn_abort(struct sto_txn *t)
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
	writer_unlock(t);
}

/*
 * Why a write of the data file came back short.  LMDB writes a
 * transaction's pages with pwritev() and takes a short write for EIO
 * ("filesystem full?"): ENOSPC when the file system has no block left,
 * else what it says when asked for one more page past the file's END
 * (a quota: EDQUOT); EIO when it has room after all.
 */
static int short_write_cause(int fd, off_t end, unsigned psize)
{
	struct statvfs vfs;

	if (!fstatvfs(fd, &vfs) && vfs.f_bavail == 0)
		return ENOSPC;
	if (fallocate(fd, FALLOC_FL_KEEP_SIZE, end, psize) == 0) {
		/* Room: the page goes back, the file keeps its size. */
		(void)fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				end, psize);
		return EIO;
	}
	return errno == ENOSPC || errno == EDQUOT ? errno : EIO;
}

/*
 * A commit failed with RC (EIO, ENOSPC or EDQUOT): what it means, and for
 * want of space, the pages it wrote past the store's end before the file
 * system ran out given back, down to the size the file had at BEFORE or
 * what the store uses, whichever is more, so that a failed write (a prune
 * too) leaves the file as it was.  Under the writer lock (LMDB let it go
 * when the commit failed; a write transaction takes it again): no other
 * writer extends the file meanwhile, and no reader looks past the last
 * page the newest commit uses.  RC, or the cause found.
 */
static int space_failure(struct store *s, uint64_t before, int rc)
{
	MDB_envinfo info;
	MDB_stat st;
	MDB_txn *txn;
	struct stat fst;
	int fd;

	if (mdb_txn_begin(s->env, NULL, 0, &txn))
		return rc;
	if (mdb_env_info(s->env, &info) || mdb_env_stat(s->env, &st) ||
	    mdb_env_get_fd(s->env, &fd) || fstat(fd, &fst))
		goto out;
	if (rc == EIO)
		rc = short_write_cause(fd, fst.st_size, st.ms_psize);
	uint64_t used = ((uint64_t)info.me_last_pgno + 1) * st.ms_psize;
	uint64_t keep = before > used ? before : used;
	/* Failing to trim leaves the tail as it was: unused. */
	if (rc != EIO && before && (uint64_t)fst.st_size > keep)
		(void)!ftruncate(fd, (off_t)keep);
out:
	mdb_txn_abort(txn);
	return rc;
}

/*
 * After a write committed, still under the writer lock: the seal.  Its
 * failure fails nothing: the commit stands, and a seal that lags behind
 * only weakens the next check (the next write seals again); a store
 * without one is accepted as every store before seals was.
 */
static void seal_write(struct sto_txn *t)
{
	int fd;

	if (!mdb_env_get_fd(t->s->env, &fd))
		(void)mdbcheck_seal_write(fsafe_dir_fd(t->s->dir), fd,
					  t->last_id, NULL);
	if (t->last_id > t->s->seal_last)
		t->s->seal_last = t->last_id;
}

int sto_txn_commit(struct sto_txn *t)
{
	if (!t->ret) {
		int rc = lm_txn_commit(t->txn);
		/* LMDB frees the transaction whatever the outcome, unless it
		 * faulted half-way: then it is ours to abort (and the writer
		 * lock with it). */
		if (rc != STORE_ECORRUPT)
			t->txn = NULL;
		if (!t->txn)
			t->s->active--;
		if ((rc == EIO || rc == ENOSPC || rc == EDQUOT) && !t->txn &&
		    !t->s->active)
			rc = space_failure(t->s, t->size_before, rc);
		t->ret = sto_mdb_err(rc);
		if (!t->ret && t->write)
			seal_write(t);
	}
	sto_txn_abort(t);
	return t->ret;
}

void sto_txn_fail(struct sto_txn *t, int err)
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
int sto_val_check(const struct sto_txn *t, const MDB_val *v)
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
	return sto_corrupt("a value of %zu bytes lies outside the data file "
			   "(a damaged page)", v->mv_size);
}

void sto_txn_put(struct sto_txn *t, MDB_dbi dbi, const void *k,
		 size_t klen, const void *v, size_t vlen, unsigned flags)
{
	if (t->ret)
		return;
	MDB_val key = { klen, (void *)k }, val = { vlen, (void *)v };
	int rc = lm_put(t->txn, dbi, &key, &val, flags);
	if (rc)
		t->ret = sto_mdb_err(rc);
}

/* 0, MDB_NOTFOUND, STORE_ECORRUPT for a value outside the file (not
 * sticky: the caller decides what it costs), or the translated error
 * (made sticky). */
int sto_txn_get(struct sto_txn *t, MDB_dbi dbi, const void *k,
		size_t klen, MDB_val *val)
{
	if (t->ret)
		return t->ret;
	MDB_val key = { klen, (void *)k };
	int rc = lm_get(t->txn, dbi, &key, val);
	if (rc == MDB_NOTFOUND)
		return rc;
	if (rc)
		return t->ret = sto_mdb_err(rc);
	return sto_val_check(t, val);
}

int sto_cursor_open(struct sto_txn *t, MDB_dbi dbi, MDB_cursor **c)
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
	rc = sto_lm_stat(t->txn, dbi, &st);
	if (!rc)
		rc = lm_cursor_open(t->txn, dbi, c);
	if (rc)
		sto_txn_fail(t, sto_mdb_err(rc));
	return t->ret;
}

void sto_txn_del(struct sto_txn *t, MDB_dbi dbi, const void *k,
		 size_t klen)
{
	if (t->ret)
		return;
	MDB_val key = { klen, (void *)k };
	int rc = sto_lm_del(t->txn, dbi, &key, NULL);
	if (rc && rc != MDB_NOTFOUND)
		t->ret = sto_mdb_err(rc);
}

int sto_grow_map(struct store *s)
{
	MDB_envinfo info;
	int rc;

	/* Moving the map under a live transaction would pull it from under
	 * its pointers. */
	if (s->active)
		return -EBUSY;
	rc = mdb_env_info(s->env, &info);
	if (rc)
		return sto_mdb_err(rc);
	if (info.me_mapsize >= STORE_MAP_MAX)
		return STORE_EMAPMAX;
	s->map_stale = true;
	return sto_mdb_err(mdb_env_set_mapsize(s->env, info.me_mapsize * 2));
}

/* ---- records ------------------------------------------------------------ */

/* Store a record under its hash; *added grows by the bytes written. */
void sto_rec_put(struct sto_txn *t, const struct codec_hash *h,
		 const struct codec_rec *r, uint64_t *added)
{
	if (t->ret)
		return;
	MDB_val key = { CODEC_HASH_LEN, (void *)h->b };
	MDB_val val = { r->len, (void *)r->data };
	int rc = lm_put(t->txn, t->s->records, &key, &val, MDB_NOOVERWRITE);
	if (rc == MDB_KEYEXIST) {
		if (val.mv_size == r->len && !sto_val_check(t, &val) &&
		    !memcmp(val.mv_data, r->data, r->len))
			return;
		/* The stored copy was damaged: this one heals it. */
		val = (MDB_val){ r->len, (void *)r->data };
		rc = lm_put(t->txn, t->s->records, &key, &val, 0);
	}
	if (rc) {
		t->ret = sto_mdb_err(rc);
		return;
	}
	*added += r->len;
}

/* The record named H, checked against H.  Points into the map: valid
 * until the transaction ends. */
int sto_rec_get(struct sto_txn *t, const uint8_t *h, struct codec_rec *r)
{
	struct codec_hash got;
	MDB_val val;
	int rc = sto_txn_get(t, t->s->records, h, CODEC_HASH_LEN, &val);

	if (rc == MDB_NOTFOUND)
		return sto_corrupt_record(h, "is missing");
	if (rc == STORE_ECORRUPT)
		return sto_corrupt_record(h, "lies outside the data file");
	if (rc)
		return rc;
	codec_hash(val.mv_data, val.mv_size, &got);
	if (memcmp(got.b, h, CODEC_HASH_LEN))
		return sto_corrupt_record(h, "does not match its hash");
	r->data = val.mv_data;
	r->len = val.mv_size;
	return 0;
}

