/*
 * copy.c — a compact, consistent copy of a store into another directory.
 *
 * Owns the copy's way into place: a partial file of its own, synced, then
 * renamed, then opened and checked as a store.
 */
#include "store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

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
	ret = sto_dir(dest, true);
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

