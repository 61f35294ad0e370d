/*
 * mdbcheck_seal.c — the seal, nsnap.seal: what the last committed write of
 * ours left, kept outside the data file.
 *
 * LMDB keeps no checksum of its meta pages: a damaged transaction id
 * makes it take the older meta page, and the store is one transaction
 * back without a word (a snapshot gone, its id handed out again).  So after each committed write the store records, outside the
 * data file, what that commit left: the transaction id, the data file's
 * size, the hash of the meta page written and the highest id handed out.
 * A data file older than that has been rolled back (or replaced by an
 * older copy).
 *
 * Order.  The seal is written after mdb_txn_commit() returned, so it is
 * never ahead of the data file: a crash between the two leaves it one
 * transaction behind, which the check accepts (the data file may be newer
 * than the seal, never older).  LMDB releases its writer lock inside
 * mdb_txn_commit(), so two writers could otherwise write their seals in
 * the other order; so the store is to hold a lock of its own (flock() on
 * the store directory) from before mdb_txn_begin() of a write until the
 * seal is written, and mdbcheck_seal_write() never lowers the sealed
 * transaction or id in any case.  A seal that could not be written (a
 * full disk) lags further; that only weakens the check.  The check reads the seal first and the
 * meta pages after, so a commit between the two makes the data file newer,
 * never older.  The seal is replaced with rename(), fsync()ed but its
 * directory not: after a power cut the older seal may come back, which
 * again only lags.
 *
 * What it does not do: someone who can write the store can write the
 * seal; a deleted seal is an unsealed store (as every store before this
 * one); `nsnap copy` writes a new store, whose seal the copy writes anew.
 */
#include "mdbcheck.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#define SEAL_MAGIC "nsnpseal"
#define SEAL_VERSION 1
#define SEAL_LEN 64
#define SEAL_TMP MDBCHECK_SEAL_NAME ".new"

/* 64 bytes, little-endian whatever the machine: "nsnpseal", then u64
 * version, txnid, last_id, data_size, meta_hash, 0, and the XXH3-64 of
 * the 56 bytes before. */
static void put64(uint8_t *p, uint64_t v)
{
	for (unsigned i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> 8 * i);
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (unsigned i = 8; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

static void seal_encode(const struct mdbcheck_seal *s, uint8_t b[SEAL_LEN])
{
	memset(b, 0, SEAL_LEN);
	memcpy(b, SEAL_MAGIC, 8);
	b[8] = SEAL_VERSION;
	put64(b + 16, s->txnid);
	put64(b + 24, s->last_id);
	put64(b + 32, s->data_size);
	put64(b + 40, s->meta_hash);
	put64(b + 56, XXH3_64bits(b, 56));
}

/* DIRFD/nsnap.seal into S: 0 (S->present false when there is none),
 * MDBCHECK_EDAMAGED, -EPERM for a file that is not ours, -errno. */
static int seal_read(int dirfd, struct mdbcheck_seal *s)
{
	uint8_t b[SEAL_LEN + 1];
	struct stat st;
	ssize_t n;
	int fd, rc = 0;

	memset(s, 0, sizeof(*s));
	fd = openat(dirfd, MDBCHECK_SEAL_NAME,
		    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(fd, &st)) {
		rc = -errno;
	} else if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
		   (st.st_mode & 022)) {
		snprintf(s->why, sizeof(s->why), MDBCHECK_SEAL_NAME " is not a "
			 "regular file of uid %u writable only by it (uid %u, "
			 "mode %04o)", (unsigned)geteuid(),
			 (unsigned)st.st_uid, (unsigned)st.st_mode & 07777);
		rc = -EPERM;
	} else if ((n = pread(fd, b, sizeof(b), 0)) < 0) {
		rc = -errno;
	} else if (n != SEAL_LEN || memcmp(b, SEAL_MAGIC, 8) ||
		   get64(b + 56) != XXH3_64bits(b, 56) ||
		   get64(b + 8) != SEAL_VERSION) {
		snprintf(s->why, sizeof(s->why), MDBCHECK_SEAL_NAME
			 " is damaged (%zd bytes)", n);
		rc = MDBCHECK_EDAMAGED;
	} else {
		s->present = true;
		s->txnid = get64(b + 16);
		s->last_id = get64(b + 24);
		s->data_size = get64(b + 32);
		s->meta_hash = get64(b + 40);
	}
	close(fd);
	return rc;
}

static int seal_put(int dirfd, const struct mdbcheck_seal *s)
{
	uint8_t b[SEAL_LEN];
	int fd, rc = 0;

	seal_encode(s, b);
	/* A leftover of a crash: unlinkat() removes a symlink, never what
	 * it points to. */
	if (unlinkat(dirfd, SEAL_TMP, 0) && errno != ENOENT)
		return -errno;
	fd = openat(dirfd, SEAL_TMP, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, 0600) || pwrite(fd, b, SEAL_LEN, 0) != SEAL_LEN ||
	    fsync(fd))
		rc = errno ? -errno : -EIO;
	if (close(fd) && !rc)
		rc = -errno;
	if (!rc && renameat(dirfd, SEAL_TMP, dirfd, MDBCHECK_SEAL_NAME))
		rc = -errno;
	if (rc)
		unlinkat(dirfd, SEAL_TMP, 0);
	return rc;
}

int mdbcheck_seal_write(int dirfd, int data_fd, uint64_t last_id,
			struct mdbcheck_seal *out)
{
	struct mdbcheck_seal old, s = { .present = true };
	struct mdbcheck_meta m;
	int rc;

	rc = mdbcheck_meta(data_fd, &m);
	if (rc) {
		if (out)
			memcpy(out->why, m.why, sizeof(out->why));
		return rc;
	}
	/* A damaged or foreign seal is replaced; ours is never lowered. */
	rc = seal_read(dirfd, &old);
	if (rc == -EPERM) {
		if (out)
			*out = old;
		return rc;
	}
	s.txnid = m.txnid;
	s.data_size = m.file_size;
	s.meta_hash = m.hash[m.which];
	s.last_id = last_id;
	if (rc == 0 && old.present) {
		if (old.txnid > m.txnid) {
			if (out) {
				*out = old;
				snprintf(out->why, sizeof(out->why), "store "
					 "rolled back: data.mdb is at "
					 "transaction %llu, last write was "
					 "transaction %llu",
					 (unsigned long long)m.txnid,
					 (unsigned long long)old.txnid);
			}
			return MDBCHECK_EROLLBACK;
		}
		if (old.last_id > s.last_id)
			s.last_id = old.last_id;
	}
	rc = seal_put(dirfd, &s);
	if (out)
		*out = s;
	return rc;
}

int mdbcheck_seal_check(int dirfd, int data_fd, struct mdbcheck_meta *m,
			struct mdbcheck_seal *seal)
{
	int rc = seal_read(dirfd, seal);

	if (rc)
		return rc;
	/* After the seal: a commit in between makes the data newer only. */
	rc = mdbcheck_meta(data_fd, m);
	if (rc || !seal->present)
		return rc;
	if (m->txnid < seal->txnid) {
		snprintf(seal->why, sizeof(seal->why), "store rolled back: "
			 "data.mdb is at transaction %llu, last write was "
			 "transaction %llu", (unsigned long long)m->txnid,
			 (unsigned long long)seal->txnid);
		return MDBCHECK_EROLLBACK;
	}
	if (m->file_size < seal->data_size) {
		snprintf(seal->why, sizeof(seal->why), "data.mdb was cut "
			 "short: %llu bytes, the last write left %llu",
			 (unsigned long long)m->file_size,
			 (unsigned long long)seal->data_size);
		return MDBCHECK_EDAMAGED;
	}
	/* The sealed transaction's meta page is still one of the two until
	 * two more commits: it must be the page that was written. */
	for (unsigned i = 0; i < 2; i++)
		if (m->txnids[i] == seal->txnid &&
		    m->hash[i] != seal->meta_hash) {
			snprintf(seal->why, sizeof(seal->why), "meta page %u "
				 "of transaction %llu is not the one written",
				 i, (unsigned long long)seal->txnid);
			return MDBCHECK_EDAMAGED;
		}
	return 0;
}

