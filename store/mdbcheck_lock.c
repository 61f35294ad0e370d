/*
 * mdbcheck_lock.c — LMDB's lock file, lock.mdb, checked from outside.
 *
 * LMDB rebuilds lock.mdb's header when it is the only process with the
 * environment open (it gets an exclusive fcntl() lock on byte 0), and
 * trusts it otherwise: the reader count bounds loops over the
 * reader table (mdb_find_oldest(), mdb_reader_check0()), and its mutexes
 * are locked as they are — a lock word naming a thread that does not
 * exist is waited on forever.  The header below mirrors mdb.c's
 * MDB_txninfo for a build with POSIX robust mutexes (Linux, glibc).
 */
#include "mdbcheck_lmdb.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CACHELINE 64
#define PAD(t) ((sizeof(t) + CACHELINE - 1) & ~(size_t)(CACHELINE - 1))
#define MDB_LOCK_FORMAT (1u + (1u << 16))   /* version 1, PIDLOCK */

struct lm_txbody {        /* MDB_txbody */
	uint32_t magic;
	uint32_t format;
	pthread_mutex_t rmutex;
	size_t txnid;
	unsigned numreaders;
};

struct lm_rxbody {        /* MDB_rxbody */
	size_t txnid;
	pid_t pid;
	pthread_t tid;
};

#define TX_HEAD (PAD(struct lm_txbody) + PAD(pthread_mutex_t))
#define TX_WMUTEX PAD(struct lm_txbody)
#define RX_SLOT PAD(struct lm_rxbody)
#define TX_MIN (TX_HEAD + RX_SLOT)    /* sizeof(MDB_txninfo) */

#ifdef __GLIBC__
static const char orphan[] = "is held by a thread that does not exist";

/*
 * A robust mutex whose lock word names a thread (FUTEX_TID_MASK) that is
 * gone, without the kernel's FUTEX_OWNER_DIED, is waited on forever; one
 * of another kind than LMDB makes is not LMDB's.  glibc's layout.
 */
static const char *mutex_bad(const pthread_mutex_t *mx)
{
	static int kind = -1;
	pthread_mutexattr_t a;
	pthread_mutex_t ref;

	if (kind < 0 && !pthread_mutexattr_init(&a)) {
		if (!pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED) &&
		    !pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST) &&
		    !pthread_mutex_init(&ref, &a)) {
			kind = ref.__data.__kind;
			pthread_mutex_destroy(&ref);
		}
		pthread_mutexattr_destroy(&a);
	}
	if (kind >= 0 && mx->__data.__kind != kind)
		return "is not a robust shared mutex";
	unsigned lock = (unsigned)mx->__data.__lock;
	pid_t tid = (pid_t)(lock & 0x3fffffffu);
	if (tid && !(lock & 0x40000000u) && kill(tid, 0) && errno == ESRCH)
		return orphan;
	return NULL;
}
#else
static const char *mutex_bad(const pthread_mutex_t *mx)
{
	(void)mx;
	return NULL;
}
#endif

/* Whether another process has the environment open: LMDB holds a read
 * lock on byte 0 of lock.mdb while it does. */
static int lock_in_use(int fd, bool *in_use)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
			    .l_start = 0, .l_len = 1 };

	/* An open file description lock conflicts with this process's own
	 * locks too: an environment it opened elsewhere counts. */
	if (fcntl(fd, F_OFD_GETLK, &fl)) {
		if (errno != EINVAL)
			return -errno;
		fl = (struct flock){ .l_type = F_WRLCK, .l_whence = SEEK_SET,
				     .l_len = 1 };
		if (fcntl(fd, F_GETLK, &fl))
			return -errno;
	}
	*in_use = fl.l_type != F_UNLCK;
	return 0;
}

__attribute__((format(printf, 2, 3)))
static int lock_bad(struct mdbcheck_lock *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out->why, sizeof(out->why), fmt, ap);
	va_end(ap);
	return MDBCHECK_EDAMAGED;
}

static int lock_header(int fd, uint64_t size, const struct mdbcheck_meta *m,
		       struct mdbcheck_lock *out)
{
	union {
		struct lm_txbody b;
		uint8_t raw[TX_HEAD];
	} h;
	pthread_mutex_t wm;
	const char *bad;

	if (size < TX_MIN)
		return lock_bad(out, "lock.mdb of %llu bytes is shorter than "
				"its header", (unsigned long long)size);
	if (pread(fd, h.raw, TX_HEAD, 0) != (ssize_t)TX_HEAD)
		return -EIO;
	memcpy(&wm, h.raw + TX_WMUTEX, sizeof(wm));
	out->slots = (unsigned)((size - TX_HEAD) / RX_SLOT);
	out->readers = h.b.numreaders;
	out->txnid = h.b.txnid;
	if (h.b.magic != MDB_MAGIC || h.b.format != MDB_LOCK_FORMAT)
		return lock_bad(out, "lock.mdb in use has magic 0x%08x, format "
				"0x%x", h.b.magic, h.b.format);
	if (h.b.numreaders > out->slots)
		return lock_bad(out, "lock.mdb in use counts %u readers in %u "
				"slots", h.b.numreaders, out->slots);
	/* LMDB writes the meta page, then this: it lags by one at most. */
	if (m && m->txnid && h.b.txnid + 1 < m->txnid)
		return lock_bad(out, "lock.mdb in use says transaction %llu "
				"was the last, data.mdb has %llu",
				(unsigned long long)h.b.txnid,
				(unsigned long long)m->txnid);
	if ((bad = mutex_bad(&h.b.rmutex))) {
		return lock_bad(out, "lock.mdb in use: the reader lock %s",
				bad);
	}
	if ((bad = mutex_bad(&wm))) {
		return lock_bad(out, "lock.mdb in use: the writer lock %s",
				bad);
	}
	return 0;
}

int mdbcheck_lock(int fd, const struct mdbcheck_meta *m,
		  struct mdbcheck_lock *out)
{
	struct stat st;
	int rc;

	memset(out, 0, sizeof(*out));
	if (fstat(fd, &st))
		return -errno;
	if (!S_ISREG(st.st_mode))
		return lock_bad(out, "lock.mdb is not a regular file");
	rc = lock_in_use(fd, &out->in_use);
	if (rc || !out->in_use)
		return rc;    /* LMDB will rebuild it */
	/*
	 * A holder in another PID namespace has a thread id that this one
	 * does not know; but it lets go of the lock soon, and a damaged lock
	 * word stays.  Likewise a process that is opening the environment
	 * first holds the lock while the header is still being set up (its
	 * transaction id is 0 until mdb_env_share_locks()).  So any verdict
	 * counts only when it still holds after a tenth of a second.
	 */
	for (unsigned tries = 0;; tries++) {
		rc = lock_header(fd, (uint64_t)st.st_size, m, out);
		if (rc != MDBCHECK_EDAMAGED || tries == 5)
			break;
		nanosleep(&(struct timespec){ .tv_nsec = 20000000 }, NULL);
	}
	if (rc)
		return rc;
	/* The slots in use: a pid, or 0 when free. */
	for (unsigned i = 0; i < out->readers; i++) {
		struct lm_rxbody r;
		if (pread(fd, &r, sizeof(r), (off_t)(TX_HEAD + i * RX_SLOT)) !=
		    (ssize_t)sizeof(r))
			return -EIO;
		if (r.pid < 0)
			return lock_bad(out, "lock.mdb in use: reader slot %u "
					"names process %d", i, (int)r.pid);
	}
	return 0;
}
