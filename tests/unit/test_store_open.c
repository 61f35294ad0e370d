/*
 * test_store_open.c — the store opened through store/fsafe.h: what
 * store_open() and store_copy() refuse (links planted in place of
 * lock.mdb and data.mdb, a directory others may write or another uid
 * owns, a non-empty directory that is not a store, "/"), a foreign store
 * read from a private copy that leaves nothing behind, a failed copy that
 * takes its destination back, and an NSNAP_STORE of any length.  The
 * rules themselves are tested in test_fsafe.c; here, that the store
 * follows them.  Cases that need another uid need root and say so.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "fsafe.h"
#include "graph.h"
#include "scratch.h"
#include "store.h"

/* ---- fixtures ----------------------------------------------------------- */

static off_t size_of(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return st.st_size;
}

/* A root-owned file holding TEXT: what a planted link points at. */
static const char *victim(const char *text)
{
	const char *v = fresh("victim");
	int fd = open(v, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	size_t n = strlen(text);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, n), (ssize_t)n);
	close(fd);
	return v;
}

/* A new directory (0700) holding one empty file, NAME. */
static const char *dir_with(const char *what, const char *name)
{
	const char *d = fresh(what);
	int fd;

	assert_int_equal(mkdir(d, 0700), 0);
	fd = open(at(d, name), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	return d;
}

/* Whether directory DIR holds nothing. */
static bool empty_dir(const char *dir)
{
	char cmd[PATH_MAX + 32];

	snprintf(cmd, sizeof(cmd), "test -z \"$(ls -A '%s')\"", dir);
	return system(cmd) == 0;
}

/* A store holding N (empty) snapshots. */
static const char *make_store(unsigned n)
{
	const char *path = fresh("store");
	struct store *s;
	uint64_t id;

	assert_int_equal(store_open(path, STORE_CREATE, &s), 0);
	for (unsigned i = 0; i < n; i++) {
		struct graph *g = graph_new();
		assert_non_null(g);
		assert_int_equal(store_put(s, g, NULL, &id), 0);
		graph_free(g);
	}
	store_close(s);
	return path;
}

/* RC is refusal CODE, and store_strerror() says so naming WANT. */
static void refused(int rc, int code, const char *want)
{
	const char *msg = store_strerror(rc);

	if (rc != code)
		fail_msg("got %d (%s), want %d", rc, msg, code);
	assert_true(FSAFE_IS(rc));
	if (want && !strstr(msg, want))
		fail_msg("message \"%s\" lacks \"%s\"", msg, want);
}

static int setup(void **state)
{
	(void)state;
	return scratch_setup("test_store_open");
}

static int teardown(void **state)
{
	(void)state;
	return scratch_teardown();
}

/* ---- opening ------------------------------------------------------------ */

/* Issue 9 item 1: links planted in a store are never written through. */
static void test_planted_links(void **state)
{
	const char *s = make_store(1), *v = victim("precious");
	struct store *st = NULL;

	(void)state;
	assert_int_equal(unlink(at(s, "lock.mdb")), 0);
	assert_int_equal(symlink(v, at(s, "lock.mdb")), 0);
	refused(store_open(s, STORE_RDONLY, &st), FSAFE_ESYMLINK,
		at(s, "lock.mdb"));
	refused(store_open(s, 0, &st), FSAFE_ESYMLINK, NULL);
	assert_null(st);
	assert_int_equal(size_of(v), 8);

	/* data.mdb -> an empty file: record would make a store in it. */
	const char *s2 = fresh("data-link"), *e = victim("");
	assert_int_equal(mkdir(s2, 0700), 0);
	assert_int_equal(symlink(e, at(s2, "data.mdb")), 0);
	refused(store_open(s2, STORE_CREATE, &st), FSAFE_ESYMLINK,
		at(s2, "data.mdb"));
	assert_int_equal(size_of(e), 0);
	assert_false(exists(at(s2, "lock.mdb")));
}

static void test_modes_and_owners(void **state)
{
	const char *s = make_store(1);
	struct store *st;

	(void)state;
	assert_int_equal(chmod(s, 0770), 0);
	refused(store_open(s, STORE_RDONLY, &st), FSAFE_EWRITABLE, "mode 0770");
	assert_int_equal(chmod(s, 0700), 0);
	assert_int_equal(chmod(at(s, "data.mdb"), 0606), 0);
	refused(store_open(s, STORE_RDONLY, &st), FSAFE_EWRITABLE,
		at(s, "data.mdb"));
	assert_int_equal(chmod(at(s, "data.mdb"), 0600), 0);
	assert_int_equal(link(at(s, "data.mdb"), at(s, "other-name")), 0);
	refused(store_open(s, STORE_RDONLY, &st), FSAFE_EHARDLINK, NULL);
	assert_int_equal(unlink(at(s, "other-name")), 0);
	assert_int_equal(store_open(s, STORE_RDONLY, &st), 0);
	store_close(st);
	if (!is_root())
		return;
	/* Root does not use another user's store as it is. */
	assert_int_equal(chown(at(s, "lock.mdb"), NOBODY, NOBODY), 0);
	refused(store_open(s, STORE_RDONLY, &st), FSAFE_EOWNER, "owned by");
	assert_int_equal(chown(at(s, "lock.mdb"), 0, 0), 0);
	assert_int_equal(chown(s, NOBODY, NOBODY), 0);
	refused(store_open(s, STORE_RDONLY, &st), FSAFE_EOWNER, "mode 0700");
}

/* Issue 9 item 13: a store is made only where no other files are. */
static void test_create_where(void **state)
{
	const char *d = dir_with("full", "notes");
	struct store *s;

	(void)state;
	refused(store_open(d, STORE_CREATE, &s), FSAFE_ENOTSTORE, d);
	assert_false(exists(at(d, "data.mdb")));
	assert_false(exists(at(d, "lock.mdb")));
	/* Not a store either way: read-only it says so, and makes nothing. */
	assert_int_equal(store_open(d, STORE_RDONLY, &s), STORE_ENOTSTORE);
	assert_false(exists(at(d, "lock.mdb")));

	/* What a store leaves is no obstacle. */
	const char *d2 = dir_with("leftover", "lock.mdb");
	assert_int_equal(store_open(d2, STORE_CREATE, &s), 0);
	store_close(s);

	if (exists("/data.mdb") || exists("/lock.mdb")) {
		print_message("/ holds a store file already; '/' skipped\n");
		return;
	}
	int rc = store_open("/", STORE_CREATE, &s);
	assert_true(FSAFE_IS(rc));
	assert_false(exists("/data.mdb"));
	assert_false(exists("/lock.mdb"));
}

/* Read-only from a private copy, which store_close() removes. */
static void test_foreign(void **state)
{
	const char *s = make_store(2), *tmp = fresh("tmp");
	const char *old = getenv("TMPDIR");
	char *saved = old ? strdup(old) : NULL;
	struct store_stat ss;
	struct stat before, after;
	struct store *st;

	(void)state;
	assert_int_equal(store_open(s, STORE_FOREIGN, &st), -EINVAL);
	assert_int_equal(store_open(s, STORE_FOREIGN | STORE_CREATE, &st),
			 -EINVAL);
	if (is_root()) {
		assert_int_equal(chown(s, NOBODY, NOBODY), 0);
		assert_int_equal(chown(at(s, "data.mdb"), NOBODY, NOBODY), 0);
		assert_int_equal(chown(at(s, "lock.mdb"), NOBODY, NOBODY), 0);
		refused(store_open(s, STORE_RDONLY, &st), FSAFE_EOWNER, NULL);
	}
	assert_int_equal(lstat(at(s, "lock.mdb"), &before), 0);
	assert_int_equal(mkdir(tmp, 0700), 0);
	assert_int_equal(setenv("TMPDIR", tmp, 1), 0);
	assert_int_equal(store_open(s, STORE_RDONLY | STORE_FOREIGN, &st), 0);
	assert_false(empty_dir(tmp));
	assert_int_equal(store_stat(st, &ss), 0);
	assert_int_equal(ss.snapshots, 2);
	/* Not a writer's: the copy is read-only too. */
	struct graph *g = graph_new();
	uint64_t id;
	assert_int_equal(store_put(st, g, NULL, &id), STORE_ERDONLY);
	graph_free(g);
	store_close(st);
	assert_true(empty_dir(tmp));
	/* The store's own lock file was not touched. */
	assert_int_equal(lstat(at(s, "lock.mdb"), &after), 0);
	assert_true(before.st_mtim.tv_sec == after.st_mtim.tv_sec &&
		    before.st_mtim.tv_nsec == after.st_mtim.tv_nsec);

	/* No store there: as without STORE_FOREIGN, and no copy left. */
	const char *none = fresh("none");
	assert_int_equal(mkdir(none, 0700), 0);
	assert_int_equal(store_open(none, STORE_RDONLY | STORE_FOREIGN, &st),
			 STORE_ENOTSTORE);
	assert_int_equal(store_open(fresh("absent"),
				    STORE_RDONLY | STORE_FOREIGN, &st), -ENOENT);
	assert_true(empty_dir(tmp));

	if (saved)
		setenv("TMPDIR", saved, 1);
	else
		unsetenv("TMPDIR");
	free(saved);
}

/* ---- copying ------------------------------------------------------------ */

static void test_copy_dest(void **state)
{
	const char *src = make_store(3), *v = victim("precious");
	struct store_stat ss;
	struct store *s;

	(void)state;
	assert_int_equal(store_open(src, STORE_RDONLY, &s), 0);
	/* lock.mdb planted in DEST. */
	const char *d = fresh("dest-link");
	assert_int_equal(mkdir(d, 0700), 0);
	assert_int_equal(symlink(v, at(d, "lock.mdb")), 0);
	refused(store_copy(s, d, &ss), FSAFE_ESYMLINK, at(d, "lock.mdb"));
	assert_int_equal(size_of(v), 8);
	assert_false(exists(at(d, "data.mdb")));
	/* A directory with other files in it. */
	const char *full = dir_with("dest-full", "notes");
	refused(store_copy(s, full, &ss), FSAFE_ENOTSTORE, full);
	assert_false(exists(at(full, "data.mdb.partial")));
	assert_true(exists(at(full, "notes")));
	/* A store already there. */
	assert_int_equal(store_copy(s, src, &ss), -EEXIST);
	/* A new one, parents too. */
	const char *ok = at(fresh("new"), "a/b");
	assert_int_equal(store_copy(s, ok, &ss), 0);
	assert_int_equal(ss.snapshots, 3);
	assert_false(exists(at(ok, "data.mdb.partial")));
	store_close(s);
}

/* Issue 9 item 13: a copy that fails leaves no DEST behind.  In a child,
 * with a file size limit that the copy's first pages exceed. */
static void test_copy_fails(void **state)
{
	const char *src = make_store(3), *top = fresh("fail");
	const char *dest = at(top, "x/dest"), *old = fresh("fail-old");
	struct rlimit rl = { 4096, 4096 };
	int status;
	pid_t pid;

	(void)state;
	assert_int_equal(mkdir(old, 0700), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct store *s;
		int bad = 0;

		signal(SIGXFSZ, SIG_IGN);
		if (store_open(src, STORE_RDONLY, &s))
			_exit(10);
		if (setrlimit(RLIMIT_FSIZE, &rl))
			_exit(11);
		bad |= store_copy(s, dest, NULL) != -EFBIG;
		bad |= (store_copy(s, old, NULL) != -EFBIG) << 1;
		store_close(s);
		_exit(bad);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* Every directory it made is gone; one that was there stays, empty. */
	assert_false(exists(top));
	assert_true(exists(old));
	assert_true(empty_dir(old));
}

/* ---- the default path --------------------------------------------------- */

static void test_long_store_env(void **state)
{
	static char path[5001];

	(void)state;
	memset(path, 'd', sizeof(path) - 1);
	memcpy(path, "/tmp/", 5);
	assert_int_equal(setenv("NSNAP_STORE", path, 1), 0);
	assert_string_equal(store_default_path(), path);
	unsetenv("NSNAP_STORE");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_planted_links),
		cmocka_unit_test(test_modes_and_owners),
		cmocka_unit_test(test_create_where),
		cmocka_unit_test(test_foreign),
		cmocka_unit_test(test_copy_dest),
		cmocka_unit_test(test_copy_fails),
		cmocka_unit_test(test_long_store_env),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
