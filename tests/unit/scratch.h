/*
 * scratch.h — a scratch directory for the tests of files and directories
 * (test_fsafe.c, test_store_open.c), and paths in it.
 *
 * Owns: the directory (made by scratch_setup(), 0755 so that uid 65534
 * may reach what a test chowns to it; removed by scratch_teardown()),
 * fresh() names in it, at() joins, exists(), is_root() for the cases
 * that need another uid's files, scratch_write() and scratch_read() for small
 * files.  Header only, static functions; include
 * it after <cmocka.h>.
 */
#ifndef NSNAP_TEST_SCRATCH_H
#define NSNAP_TEST_SCRATCH_H

#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NOBODY 65534

static char base[64];
static unsigned seq;

/* Out of line: what they return, in turn, may be what they are given
 * (GCC, inlining, would fear the buffers overlap). */
#define SCRATCH_NOINLINE __attribute__((noinline, unused))

/* A fresh path under the scratch directory (eight at a time). */
static SCRATCH_NOINLINE const char *fresh(const char *what)
{
	static char buf[8][PATH_MAX];
	char *p = buf[seq % 8];

	snprintf(p, PATH_MAX, "%s/%u-%s", base, seq++, what);
	return p;
}

static SCRATCH_NOINLINE const char *at(const char *dir, const char *name)
{
	static char buf[8][PATH_MAX];
	static unsigned n;
	char *p = buf[n++ % 8];

	snprintf(p, PATH_MAX, "%s/%s", dir, name);
	return p;
}

static inline bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* PATH made (or emptied) holding TEXT, of MODE whatever the umask. */
static SCRATCH_NOINLINE void scratch_write(const char *path, const char *text,
				      mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	size_t n = strlen(text);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, n), (ssize_t)n);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

/* The whole of PATH (a small file) in a static buffer. */
static SCRATCH_NOINLINE const char *scratch_read(const char *path)
{
	static char buf[1 << 16];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	assert_true(n >= 0);
	buf[n] = '\0';
	close(fd);
	return buf;
}

static inline bool is_root(void)
{
	if (geteuid() == 0)
		return true;
	print_message("not root: this case needs another uid's files; skipped\n");
	return false;
}

/* /tmp/NAME.XXXXXX as the scratch directory: 0, or -1. */
static inline int scratch_setup(const char *name)
{
	snprintf(base, sizeof(base), "/tmp/%s.XXXXXX", name);
	if (!mkdtemp(base))
		return -1;
	/* Searchable, so that uid 65534 may reach what is chowned to it. */
	return chmod(base, 0755);
}

static inline int scratch_teardown(void)
{
	char cmd[192];

	/* A case that failed may have left a directory its owner cannot
	 * enter (made under umask 0777). */
	snprintf(cmd, sizeof(cmd), "chmod -R u+rwX '%s' 2>/dev/null; rm -rf '%s'",
		 base, base);
	return system(cmd) == 0 ? 0 : -1;
}

#endif
