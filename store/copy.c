/*
 * copy.c — a compact, consistent copy of a store into another directory.
 *
 * Owns the copy's way into place: a directory checked (or made) by
 * fsafe.h, a partial file of its own, synced, then renamed, then opened
 * and checked as a store; and taken back, all of it, when any step fails.
 */
#include "store_int.h"
#include "fsafe.h"

#include <errno.h>
#include <unistd.h>

#define PARTIAL "data.mdb.partial"

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
out:
	if (fd >= 0)
		close(fd);
	if (ret)
		fsafe_dir_discard(d);
	else
		fsafe_dir_close(d);
	return ret;
}
