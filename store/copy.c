/*
 * copy.c — a compact, consistent copy of a store into another directory.
 *
 * Owns the copy's way into place: a directory checked (or made) by
 * fsafe.h, a partial file of its own, synced, then renamed, then opened
 * and checked as a store; and taken back, all of it, when any step fails.
 */
#include "store_int.h"
#include "fsafe.h"
#include "mdbcheck.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#define PARTIAL "data.mdb.partial"

/*
 * The copy's own seal (mdbcheck.h), of its own transaction, with the ids
 * the original handed out.  Last, so that a failed copy leaves no seal
 * behind; and like a commit's, a seal that could not be written fails
 * nothing: the copy is then an unsealed store, sealed by its first write.
 */
static void copy_seal(const struct store *s, struct fsafe_dir *d)
{
	int fd = openat(fsafe_dir_fd(d), "data.mdb",
			O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return;
	(void)mdbcheck_seal_write(fsafe_dir_fd(d), fd, s->seal_last, NULL);
	close(fd);
}

int store_copy(struct store *s, const char *dest, struct store_stat *st)
{
	struct fsafe_dir *d;
	struct store *copy = NULL;
	int fd = -1, ret, rc;

	if (!dest || !*dest)
		return -EINVAL;
	/* Made safely, never over a store (that one may be in use), and
	 * taken back if the copy fails. */
	ret = fsafe_dir_open(dest, FSAFE_DEST, &d);
	if (ret)
		return ret;
	/* A leftover of an interrupted copy is ours to replace.  Our own
	 * descriptor, 0600 whatever the umask: LMDB would create the file
	 * with 0666 & ~umask. */
	ret = fsafe_dir_remove(d, PARTIAL);
	if (!ret)
		ret = fsafe_dir_create(d, PARTIAL, &fd);
	if (ret)
		goto out;
	/* One read transaction of LMDB's own: the state of one moment,
	 * writers go on meanwhile.  Compacting renumbers the pages in use
	 * and leaves the free ones out. */
	rc = sto_lm_copyfd(s->env, fd, MDB_CP_COMPACT);
	if (rc) {
		ret = sto_mdb_err(rc);
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
	ret = fsafe_dir_rename(d, PARTIAL, "data.mdb");
	if (!ret)
		ret = fsafe_dir_sync(d);
	if (ret)
		goto out;
	/* What was written must open as a store of this format. */
	ret = store_open(dest, STORE_RDONLY, &copy);
	if (!ret && st)
		ret = store_stat(copy, st);
	store_close(copy);
	if (!ret)
		copy_seal(s, d);
out:
	if (fd >= 0)
		close(fd);
	if (ret)
		fsafe_dir_discard(d);
	else
		fsafe_dir_close(d);
	return ret;
}
