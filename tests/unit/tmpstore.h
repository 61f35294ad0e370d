/*
 * tmpstore.h — a temporary directory for a store, for the unit tests.
 *
 * Owns: making a private directory under /tmp (mkdtemp, 0700) with the
 * store's path inside it, and removing the whole tree again (rm_one(),
 * for nftw()).  Header only, static inline functions, so a test may use
 * any part of it.
 */
#ifndef NSNAP_TEST_TMPSTORE_H
#define NSNAP_TEST_TMPSTORE_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct tmp {
	char dir[64];
	char path[128];    /* DIR/store */
};

static inline int rm_one(const char *path, const struct stat *st,
			 int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static inline void tmp_make(struct tmp *t)
{
	strcpy(t->dir, "/tmp/nsnap-test.XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->path, sizeof(t->path), "%s/store", t->dir);
}

static inline void tmp_free(struct tmp *t)
{
	nftw(t->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
