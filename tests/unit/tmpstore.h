/*
 * tmpstore.h — a temporary directory for a store, for the unit tests.
 *
 * Owns: making a private directory under /tmp (mkdtemp, 0700) with the
 * store's path inside it, and removing the whole tree again (rm_one(),
 * for nftw()), and a store there copied from a fixture's data file
 * (tmp_fixture()).  Header only, static inline functions, so a test may
 * use any part of it.
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

/* A new T whose store is a copy of the fixture store's data file FIXTURE
 * (0600 in a 0700 directory: opening it may write its lock file). */
static inline void tmp_fixture(struct tmp *t, const char *fixture)
{
	static unsigned char buf[1 << 20];
	char path[160];
	FILE *f = fopen(fixture, "rb");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf), f);
	assert_true(n > 0 && n < sizeof(buf));
	fclose(f);
	tmp_make(t);
	assert_int_equal(mkdir(t->path, 0700), 0);
	snprintf(path, sizeof(path), "%s/data.mdb", t->path);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, 0600), 0);
}

#endif
