/*
 * test_fsafe.c — store directories and output files that other users
 * cannot turn against the caller: symbolic links in place of data.mdb,
 * lock.mdb and the store directory, group-writable directories, files of
 * another uid (as root: chown to 65534), hard links, non-empty
 * directories that are not stores (and "/"), a directory pinned while its
 * parent is renamed, a copy's destination taken back, the private copy of
 * a foreign store, and the output writer on new and existing files,
 * links, FIFOs and devices.  Cases that need root say so and skip.
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
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <lmdb.h>

#include "fsafe.h"
#include "scratch.h"


/* A store made as it would be for 'record': CREATE, then closed. */
static const char *make_store(void)
{
	const char *s = fresh("store");
	struct fsafe_dir *d;

	assert_int_equal(fsafe_dir_open(s, FSAFE_CREATE, &d), 0);
	fsafe_dir_close(d);
	return s;
}

/* RC is refusal CODE and its message holds every one of the texts. */
static void refused(int rc, int code, ...)
{
	const char *msg = fsafe_strerror(rc), *want;
	va_list ap;

	if (rc != code)
		fail_msg("got %d (%s), want %d", rc, msg, code);
	assert_true(FSAFE_IS(rc));
	va_start(ap, code);
	while ((want = va_arg(ap, const char *)))
		if (!strstr(msg, want))
			fail_msg("message \"%s\" lacks \"%s\"", msg, want);
	va_end(ap);
}

/* Put KEY=VAL into the store that D pins, through LMDB, and read it back
 * in a new environment: LMDB takes the /proc/self/fd name. */
static void lmdb_round_trip(struct fsafe_dir *d, bool write, const char *want)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k = { 3, (void *)"key" }, v;

	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_open(env, fsafe_dir_lmdb(d),
				      write ? 0 : MDB_RDONLY, 0600), 0);
	if (write) {
		v = (MDB_val){ strlen(want), (void *)want };
		assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
		assert_int_equal(mdb_dbi_open(txn, NULL, 0, &dbi), 0);
		assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
		assert_int_equal(mdb_txn_commit(txn), 0);
	}
	assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, NULL, 0, &dbi), 0);
	assert_int_equal(mdb_get(txn, dbi, &k, &v), 0);
	assert_int_equal(v.mv_size, strlen(want));
	assert_memory_equal(v.mv_data, want, v.mv_size);
	mdb_txn_abort(txn);
	mdb_env_close(env);
}

static int setup(void **state)
{
	(void)state;
	return scratch_setup("test_fsafe");
}

static int teardown(void **state)
{
	(void)state;
	return scratch_teardown();
}

/* ---- store directories -------------------------------------------------- */

static void test_create_open(void **state)
{
	const char *top = fresh("a"), *s = at(at(top, "b"), "s");
	struct fsafe_dir *d;
	struct stat st, pin;
	mode_t old = umask(0777);
	int rc = fsafe_dir_open(s, FSAFE_CREATE, &d);

	(void)state;
	umask(old);
	assert_int_equal(rc, 0);
	/* Whatever the umask: directories 0700, files 0600. */
	for (const char *p = s; p; p = p == s ? top : NULL) {
		assert_int_equal(stat(p, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0700);
	}
	assert_int_equal(stat(at(s, "data.mdb"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(stat(at(s, "lock.mdb"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(fsafe_dir_data_size(d), 0);
	assert_string_equal(fsafe_dir_path(d), s);
	assert_int_equal(strncmp(fsafe_dir_lmdb(d), "/proc/self/fd/", 14), 0);
	assert_int_equal(stat(fsafe_dir_lmdb(d), &pin), 0);
	assert_int_equal(stat(s, &st), 0);
	assert_true(pin.st_ino == st.st_ino && pin.st_dev == st.st_dev);
	lmdb_round_trip(d, true, "value");
	fsafe_dir_close(d);

	/* Opened again, without flags: the same store. */
	assert_int_equal(fsafe_dir_open(s, 0, &d), 0);
	assert_true(fsafe_dir_data_size(d) > 0);
	lmdb_round_trip(d, false, "value");
	fsafe_dir_close(d);

	/* "." and ".." and doubled slashes are walked as the kernel would. */
	char odd[PATH_MAX];
	snprintf(odd, sizeof(odd), "%s//./b/../b/s/", top);
	assert_int_equal(fsafe_dir_open(odd, 0, &d), 0);
	fsafe_dir_close(d);
	/* A missing store is not made without CREATE. */
	assert_int_equal(fsafe_dir_open(at(top, "nope"), 0, &d), -ENOENT);
	assert_int_equal(fsafe_dir_open(at(s, "data.mdb"), 0, &d), -ENOTDIR);
}

/* A path longer than PATH_MAX: walked one name at a time, and LMDB gets
 * the short /proc name. */
static void test_long_path(void **state)
{
	char *path = malloc(6000), name[201];
	struct fsafe_dir *d;

	(void)state;
	assert_non_null(path);
	memset(name, 'n', 200);
	name[200] = '\0';
	int n = snprintf(path, 6000, "%s", fresh("long"));
	for (int i = 0; i < 24; i++)
		n += snprintf(path + n, (size_t)(6000 - n), "/%s", name);
	assert_true(n > PATH_MAX);
	assert_int_equal(fsafe_dir_open(path, FSAFE_CREATE, &d), 0);
	lmdb_round_trip(d, true, "deep");
	fsafe_dir_close(d);
	assert_int_equal(fsafe_dir_open(path, 0, &d), 0);
	fsafe_dir_close(d);
	free(path);
}

static void test_symlinked_files(void **state)
{
	const char *s = make_store(), *victim = fresh("victim");
	const char *empty = fresh("empty");
	struct fsafe_dir *d;
	struct stat st;

	(void)state;
	/* lock.mdb -> a file of the caller's: LMDB would write its header
	 * into it. */
	scratch_write(victim, "precious", 0600);
	assert_int_equal(unlink(at(s, "lock.mdb")), 0);
	assert_int_equal(symlink(victim, at(s, "lock.mdb")), 0);
	for (unsigned f = 0; f <= FSAFE_CREATE; f += FSAFE_CREATE)
		refused(fsafe_dir_open(s, f, &d), FSAFE_ESYMLINK,
			at(s, "lock.mdb"), "a symbolic link", NULL);
	assert_string_equal(scratch_read(victim), "precious");

	/* data.mdb -> an empty file: 'record' would write a store into it. */
	const char *s2 = make_store();
	scratch_write(empty, "", 0600);
	assert_int_equal(unlink(at(s2, "data.mdb")), 0);
	assert_int_equal(symlink(empty, at(s2, "data.mdb")), 0);
	refused(fsafe_dir_open(s2, FSAFE_CREATE, &d), FSAFE_ESYMLINK,
		at(s2, "data.mdb"), NULL);
	refused(fsafe_dir_open(s2, 0, &d), FSAFE_ESYMLINK, NULL);
	assert_int_equal(stat(empty, &st), 0);
	assert_int_equal(st.st_size, 0);

	/* A dangling lock.mdb link in a copy's destination: not made. */
	const char *dest = fresh("dest");
	assert_int_equal(mkdir(dest, 0700), 0);
	assert_int_equal(symlink(at(base, "made-by-link"), at(dest, "lock.mdb")), 0);
	refused(fsafe_dir_open(dest, FSAFE_DEST, &d), FSAFE_ESYMLINK,
		at(dest, "lock.mdb"), NULL);
	assert_false(exists(at(base, "made-by-link")));
	/* And not for a store either: O_NOFOLLOW, O_EXCL. */
	const char *s3 = fresh("s3");
	assert_int_equal(mkdir(s3, 0700), 0);
	assert_int_equal(symlink(at(base, "made-by-link"), at(s3, "data.mdb")), 0);
	refused(fsafe_dir_open(s3, FSAFE_CREATE, &d), FSAFE_ESYMLINK, NULL);
	assert_false(exists(at(base, "made-by-link")));

	/* Other kinds of file in their place. */
	const char *s4 = make_store();
	assert_int_equal(unlink(at(s4, "lock.mdb")), 0);
	assert_int_equal(mkfifo(at(s4, "lock.mdb"), 0600), 0);
	refused(fsafe_dir_open(s4, 0, &d), FSAFE_ETYPE, "a FIFO", NULL);
}

static void test_symlinked_dir(void **state)
{
	const char *s = make_store(), *link = fresh("link");
	const char *real = fresh("real"), *up = fresh("up");
	struct fsafe_dir *d;

	(void)state;
	/* The caller's own link (or root's) is followed. */
	assert_int_equal(symlink(s, link), 0);
	assert_int_equal(fsafe_dir_open(link, 0, &d), 0);
	assert_string_equal(fsafe_dir_path(d), s);
	fsafe_dir_close(d);
	/* A relative one too, and through a parent. */
	assert_int_equal(mkdir(real, 0755), 0);
	assert_int_equal(rename(s, at(real, "s")), 0);
	assert_int_equal(symlink(strrchr(real, '/') + 1, up), 0);
	assert_int_equal(fsafe_dir_open(at(up, "s"), 0, &d), 0);
	assert_string_equal(fsafe_dir_path(d), at(real, "s"));
	fsafe_dir_close(d);
	/* A loop ends. */
	const char *loop = fresh("loop");
	assert_int_equal(symlink(loop, loop), 0);
	assert_int_equal(fsafe_dir_open(loop, 0, &d), -ELOOP);

	if (!is_root())
		skip();
	/* Another user's link, as the store or on the way, is not. */
	assert_int_equal(lchown(link, NOBODY, NOBODY), 0);
	refused(fsafe_dir_open(link, 0, &d), FSAFE_ESYMLINK, link,
		"owned by nobody (uid 65534), not by root:",
		"refusing to follow it", NULL);
	assert_int_equal(lchown(up, NOBODY, NOBODY), 0);
	refused(fsafe_dir_open(at(up, "s"), FSAFE_CREATE, &d), FSAFE_ESYMLINK,
		up, "uid 65534", NULL);
	/* Nothing made where it pointed. */
	assert_false(exists(at(real, "s/x")));
}

static void test_writable(void **state)
{
	static const struct {
		mode_t mode;
		const char *who;
	} modes[] = {
		{ 0770, "lets group write" },
		{ 0702, "lets others write" },
		{ 0777, "lets group and others write" },
		{ 0720, "lets group write" },
	};
	const char *s = make_store();
	struct fsafe_dir *d;

	(void)state;
	for (size_t i = 0; i < sizeof(modes) / sizeof(*modes); i++) {
		char mode[16];
		assert_int_equal(chmod(s, modes[i].mode), 0);
		snprintf(mode, sizeof(mode), "mode %04o", (unsigned)modes[i].mode);
		refused(fsafe_dir_open(s, 0, &d), FSAFE_EWRITABLE, s, mode,
			modes[i].who, "another user can change", NULL);
	}
	/* Readable by all is fine. */
	assert_int_equal(chmod(s, 0755), 0);
	assert_int_equal(fsafe_dir_open(s, 0, &d), 0);
	fsafe_dir_close(d);
	assert_int_equal(chmod(at(s, "data.mdb"), 0660), 0);
	refused(fsafe_dir_open(s, 0, &d), FSAFE_EWRITABLE, at(s, "data.mdb"),
		"mode 0660", NULL);
	assert_int_equal(chmod(at(s, "data.mdb"), 0644), 0);
	assert_int_equal(chmod(at(s, "lock.mdb"), 0606), 0);
	refused(fsafe_dir_open(s, 0, &d), FSAFE_EWRITABLE, at(s, "lock.mdb"),
		NULL);
}

static void test_foreign_owner(void **state)
{
	const char *s = make_store();
	struct fsafe_dir *d;

	(void)state;
	if (!is_root())
		skip();
	assert_int_equal(chown(s, NOBODY, NOBODY), 0);
	refused(fsafe_dir_open(s, 0, &d), FSAFE_EOWNER, s,
		"owned by nobody (uid 65534), mode 0700, not by root (uid 0)",
		"refusing to open a store another user controls",
		"(see nsnap(8), FOREIGN STORES)", NULL);
	refused(fsafe_dir_open(s, FSAFE_CREATE, &d), FSAFE_EOWNER,
		"refusing to create a store", NULL);
	refused(fsafe_dir_open(s, FSAFE_DEST, &d), FSAFE_EOWNER,
		"refusing to copy a store into a directory", NULL);
	assert_int_equal(chown(s, 0, 0), 0);
	assert_int_equal(chown(at(s, "lock.mdb"), NOBODY, NOBODY), 0);
	refused(fsafe_dir_open(s, 0, &d), FSAFE_EOWNER, at(s, "lock.mdb"),
		"owned by nobody (uid 65534), mode 0600", NULL);
	assert_int_equal(chown(at(s, "lock.mdb"), 0, 0), 0);
	assert_int_equal(chown(at(s, "data.mdb"), NOBODY, NOBODY), 0);
	refused(fsafe_dir_open(s, 0, &d), FSAFE_EOWNER, at(s, "data.mdb"), NULL);
	/* A uid without a name is named by number. */
	assert_int_equal(chown(at(s, "data.mdb"), 4000123, 0), 0);
	refused(fsafe_dir_open(s, 0, &d), FSAFE_EOWNER, "owned by uid 4000123,",
		NULL);
}

static void test_hardlink(void **state)
{
	const char *s = make_store(), *other = fresh("other-name");
	struct fsafe_dir *d;

	(void)state;
	assert_int_equal(link(at(s, "data.mdb"), other), 0);
	refused(fsafe_dir_open(s, 0, &d), FSAFE_EHARDLINK, at(s, "data.mdb"),
		"has 2 hard links", NULL);
	assert_int_equal(unlink(other), 0);
	assert_int_equal(link(at(s, "lock.mdb"), other), 0);
	refused(fsafe_dir_open(s, FSAFE_CREATE, &d), FSAFE_EHARDLINK, NULL);
}

static void test_not_a_store(void **state)
{
	const char *dir = fresh("full"), *root_like = fresh("rootlike");
	struct fsafe_dir *d;

	(void)state;
	assert_int_equal(mkdir(dir, 0700), 0);
	scratch_write(at(dir, "notes.txt"), "mine", 0600);
	refused(fsafe_dir_open(dir, FSAFE_CREATE, &d), FSAFE_ENOTSTORE, dir,
		"not empty and not a store (it holds no data.mdb)", NULL);
	refused(fsafe_dir_open(dir, FSAFE_DEST, &d), FSAFE_ENOTSTORE, NULL);
	assert_false(exists(at(dir, "data.mdb")));
	assert_false(exists(at(dir, "lock.mdb")));
	/* Only reading: no store there, and nothing made. */
	assert_int_equal(fsafe_dir_open(dir, 0, &d), 0);
	assert_int_equal(fsafe_dir_data_size(d), -1);
	fsafe_dir_close(d);
	assert_false(exists(at(dir, "lock.mdb")));

	/* What a store or an interrupted copy leaves is not in the way. */
	const char *left = fresh("left");
	assert_int_equal(mkdir(left, 0700), 0);
	scratch_write(at(left, "lock.mdb"), "", 0600);
	scratch_write(at(left, "data.mdb.partial"), "", 0600);
	assert_int_equal(fsafe_dir_open(left, FSAFE_DEST, &d), 0);
	fsafe_dir_close(d);
	assert_int_equal(fsafe_dir_open(left, FSAFE_CREATE, &d), 0);
	fsafe_dir_close(d);

	/* Like "/": directories, no data.mdb. */
	assert_int_equal(mkdir(root_like, 0755), 0);
	assert_int_equal(mkdir(at(root_like, "etc"), 0755), 0);
	assert_int_equal(mkdir(at(root_like, "usr"), 0755), 0);
	refused(fsafe_dir_open(root_like, FSAFE_CREATE, &d), FSAFE_ENOTSTORE,
		NULL);
	assert_false(exists(at(root_like, "data.mdb")));

	/* And "/" itself, when it holds no store files to begin with. */
	if (exists("/data.mdb") || exists("/lock.mdb")) {
		print_message("/ holds data.mdb or lock.mdb: \"/\" not tried\n");
		return;
	}
	int rc = fsafe_dir_open("/", FSAFE_CREATE, &d);
	bool made = exists("/data.mdb") || exists("/lock.mdb");
	if (made) {
		unlink("/data.mdb");
		unlink("/lock.mdb");
	}
	if (!rc)
		fsafe_dir_close(d);
	assert_false(made);
	if (geteuid() == 0)
		refused(rc, FSAFE_ENOTSTORE, "/: not empty", NULL);
	else
		refused(rc, FSAFE_EOWNER, NULL);
}

/* A root-owned store in a directory another user owns: pinned, renaming
 * the parent's entries changes nothing. */
static void test_parent_of_other(void **state)
{
	const char *tdir = fresh("tdir");
	struct fsafe_dir *d, *d2;
	struct stat st, pin;

	(void)state;
	if (!is_root())
		skip();
	assert_int_equal(mkdir(tdir, 0755), 0);
	assert_int_equal(chown(tdir, NOBODY, NOBODY), 0);
	assert_int_equal(fsafe_dir_open(at(tdir, "s"), FSAFE_CREATE, &d), 0);
	lmdb_round_trip(d, true, "root's");
	/* "nobody" moves the store away and puts his own in its place. */
	assert_int_equal(rename(at(tdir, "s"), at(tdir, "s.old")), 0);
	assert_int_equal(mkdir(at(tdir, "s"), 0700), 0);
	assert_int_equal(chown(at(tdir, "s"), NOBODY, NOBODY), 0);
	assert_int_equal(stat(fsafe_dir_lmdb(d), &pin), 0);
	assert_int_equal(stat(at(tdir, "s.old"), &st), 0);
	assert_true(pin.st_ino == st.st_ino);
	lmdb_round_trip(d, false, "root's");
	fsafe_dir_close(d);
	refused(fsafe_dir_open(at(tdir, "s"), 0, &d2), FSAFE_EOWNER, NULL);
}

static void test_dest(void **state)
{
	const char *top = fresh("x"), *dest = at(at(top, "y"), "dest");
	struct fsafe_dir *d;
	int fd;

	(void)state;
	/* Made with its parents, then taken back on failure. */
	assert_int_equal(fsafe_dir_open(dest, FSAFE_DEST, &d), 0);
	assert_false(exists(at(dest, "data.mdb")));
	assert_false(exists(at(dest, "lock.mdb")));
	assert_int_equal(fsafe_dir_create(d, "data.mdb.partial", &fd), 0);
	assert_int_equal(write(fd, "x", 1), 1);
	close(fd);
	assert_int_equal(fsafe_dir_create(d, "data.mdb.partial", &fd), -EEXIST);
	assert_int_equal(fsafe_dir_rename(d, "data.mdb.partial", "data.mdb"), 0);
	assert_int_equal(fsafe_dir_sync(d), 0);
	scratch_write(at(dest, "lock.mdb"), "", 0600);  /* as LMDB would */
	fsafe_dir_discard(d);
	assert_false(exists(top));

	/* An existing empty directory stays; what was made in it goes. */
	const char *empty = fresh("empty-dest");
	assert_int_equal(mkdir(empty, 0700), 0);
	scratch_write(at(empty, "lock.mdb"), "", 0600);
	assert_int_equal(fsafe_dir_open(empty, FSAFE_DEST, &d), 0);
	assert_int_equal(fsafe_dir_create(d, "data.mdb", &fd), 0);
	close(fd);
	fsafe_dir_discard(d);
	assert_true(exists(empty));
	assert_true(exists(at(empty, "lock.mdb")));
	assert_false(exists(at(empty, "data.mdb")));

	/* A store is no destination; success keeps everything. */
	const char *s = make_store();
	assert_int_equal(fsafe_dir_open(s, FSAFE_DEST, &d), -EEXIST);
	const char *ok = fresh("ok-dest");
	assert_int_equal(fsafe_dir_open(ok, FSAFE_DEST, &d), 0);
	assert_int_equal(fsafe_dir_create(d, "data.mdb", &fd), 0);
	close(fd);
	assert_int_equal(fsafe_dir_remove(d, "data.mdb.partial"), 0);
	fsafe_dir_close(d);
	assert_true(exists(at(ok, "data.mdb")));
}

/* ---- a private copy of a foreign store ---------------------------------- */

static void test_private_copy(void **state)
{
	const char *s = fresh("foreign"), *tmp = fresh("tmp");
	struct fsafe_dir *d, *p;
	struct stat st, lock_before, lock_after;
	char tmpdir[PATH_MAX], data[PATH_MAX];
	const char *old_tmp = getenv("TMPDIR");
	char *saved = old_tmp ? strdup(old_tmp) : NULL;

	(void)state;
	assert_int_equal(fsafe_dir_open(s, FSAFE_CREATE, &d), 0);
	lmdb_round_trip(d, true, "evidence");
	fsafe_dir_close(d);
	if (geteuid() == 0) {
		assert_int_equal(chown(s, NOBODY, NOBODY), 0);
		assert_int_equal(chown(at(s, "data.mdb"), NOBODY, NOBODY), 0);
		assert_int_equal(chown(at(s, "lock.mdb"), NOBODY, NOBODY), 0);
		refused(fsafe_dir_open(s, 0, &d), FSAFE_EOWNER, NULL);
	} else {
		print_message("not root: the copy is of a store of our own\n");
	}
	assert_int_equal(lstat(at(s, "lock.mdb"), &lock_before), 0);

	assert_int_equal(mkdir(tmp, 0755), 0);
	assert_int_equal(setenv("TMPDIR", tmp, 1), 0);
	assert_int_equal(fsafe_dir_private(s, &p), 0);
	assert_string_equal(fsafe_dir_path(p), s);
	/* A directory of ours, 0700, under $TMPDIR. */
	assert_int_equal(fstat(fsafe_dir_fd(p), &st), 0);
	assert_int_equal(st.st_uid, geteuid());
	assert_int_equal(st.st_mode & 07777, 0700);
	snprintf(tmpdir, sizeof(tmpdir), "%s", fsafe_dir_lmdb(p));
	ssize_t n = readlink(tmpdir, data, sizeof(data) - 1);
	assert_true(n > 0);
	data[n] = '\0';
	assert_int_equal(strncmp(data, tmp, strlen(tmp)), 0);
	snprintf(tmpdir, sizeof(tmpdir), "%s", data);
	/* The same bytes, opened read-only through the copy. */
	assert_int_equal(stat(at(tmpdir, "data.mdb"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(fsafe_dir_data_size(p), st.st_size);
	char cmd[3 * PATH_MAX];
	snprintf(cmd, sizeof(cmd), "cmp -s '%s' '%s'", at(s, "data.mdb"),
		 at(tmpdir, "data.mdb"));
	assert_int_equal(system(cmd), 0);
	lmdb_round_trip(p, false, "evidence");
	fsafe_dir_close(p);
	assert_false(exists(tmpdir));
	/* The foreign lock file was not touched. */
	assert_int_equal(lstat(at(s, "lock.mdb"), &lock_after), 0);
	assert_true(lock_before.st_mtim.tv_sec == lock_after.st_mtim.tv_sec &&
		    lock_before.st_mtim.tv_nsec == lock_after.st_mtim.tv_nsec &&
		    lock_before.st_size == lock_after.st_size);

	/* A link or a FIFO in place of data.mdb: refused, nothing left. */
	const char *s2 = fresh("foreign-link");
	assert_int_equal(mkdir(s2, 0755), 0);
	assert_int_equal(symlink(at(s, "data.mdb"), at(s2, "data.mdb")), 0);
	refused(fsafe_dir_private(s2, &p), FSAFE_ESYMLINK, at(s2, "data.mdb"),
		NULL);
	assert_int_equal(unlink(at(s2, "data.mdb")), 0);
	assert_int_equal(mkfifo(at(s2, "data.mdb"), 0666), 0);
	refused(fsafe_dir_private(s2, &p), FSAFE_ETYPE, "a FIFO", NULL);
	assert_int_equal(fsafe_dir_private(fresh("absent"), &p), -ENOENT);
	snprintf(cmd, sizeof(cmd), "test -z \"$(ls -A '%s')\"", tmp);
	assert_int_equal(system(cmd), 0);

	if (saved)
		setenv("TMPDIR", saved, 1);
	else
		unsetenv("TMPDIR");
	free(saved);
}

/* data.mdb growing all the time: the copy is of one moment (a prefix as
 * it was at open) or refused, never a mix. */
static void test_private_changing(void **state)
{
	const char *s = fresh("growing");
	char block[4096], buf[4096];
	struct fsafe_dir *p;
	pid_t pid;
	int fd, ready[2];

	(void)state;
	memset(block, 'g', sizeof(block));
	assert_int_equal(mkdir(s, 0700), 0);
	fd = open(at(s, "data.mdb"), O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	for (int i = 0; i < 2048; i++)  /* 8 MiB */
		assert_int_equal(write(fd, block, sizeof(block)), sizeof(block));
	assert_int_equal(pipe(ready), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(ready[0]);
		for (unsigned i = 0;; i++) {
			if (write(fd, "a", 1) != 1)
				_exit(1);
			if (i == 0 && write(ready[1], "r", 1) != 1)
				_exit(1);
		}
	}
	close(fd);
	close(ready[1]);
	assert_int_equal(read(ready[0], buf, 1), 1);
	close(ready[0]);
	int rc = fsafe_dir_private(s, &p);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	if (rc == FSAFE_ECHANGED) {
		refused(rc, FSAFE_ECHANGED, "changed while it was being copied",
			NULL);
		return;
	}
	assert_int_equal(rc, 0);
	/* Whatever moment it was, the copy is the file's beginning. */
	char copy[PATH_MAX];
	ssize_t n = readlink(fsafe_dir_lmdb(p), copy, sizeof(copy) - 1);
	assert_true(n > 0);
	copy[n] = '\0';
	int a = open(at(s, "data.mdb"), O_RDONLY), b = open(at(copy, "data.mdb"), O_RDONLY);
	assert_true(a >= 0 && b >= 0);
	for (;;) {
		ssize_t nb = read(b, block, sizeof(block));
		assert_true(nb >= 0);
		if (nb == 0)
			break;
		assert_int_equal(read(a, buf, (size_t)nb), nb);
		assert_memory_equal(block, buf, (size_t)nb);
	}
	close(a);
	close(b);
	fsafe_dir_close(p);
}

/* ---- output files ------------------------------------------------------- */

/* Write TEXT to FILE through the writer: its return. */
static int write_out(const char *file, const char *text)
{
	struct fsafe_out *o;
	int rc = fsafe_out_open(file, &o);

	if (rc)
		return rc;
	fputs(text, fsafe_out_file(o));
	return fsafe_out_commit(o);
}

static void test_out_regular(void **state)
{
	const char *dir = fresh("out"), *file = at(dir, "export.json");
	struct fsafe_out *o;
	struct stat st, before;
	char cmd[PATH_MAX + 64];

	(void)state;
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(write_out(file, "one\n"), 0);
	assert_string_equal(scratch_read(file), "one\n");
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* Replaced by another file: a reader of the old one keeps it. */
	assert_int_equal(stat(file, &before), 0);
	assert_int_equal(write_out(file, "two\n"), 0);
	assert_string_equal(scratch_read(file), "two\n");
	assert_int_equal(stat(file, &st), 0);
	assert_true(st.st_ino != before.st_ino);
	/* Given up: the file as it was, no temporary left. */
	assert_int_equal(fsafe_out_open(file, &o), 0);
	assert_string_equal(fsafe_out_name(o), file);
	fputs("half", fsafe_out_file(o));
	fsafe_out_abort(o);
	assert_string_equal(scratch_read(file), "two\n");
	snprintf(cmd, sizeof(cmd), "test \"$(ls -A '%s')\" = export.json", dir);
	assert_int_equal(system(cmd), 0);
	/* A directory, a missing directory, a name that is no file name. */
	assert_int_equal(write_out(dir, "x"), -EISDIR);
	assert_int_equal(write_out(at(dir, "none/x"), "x"), -ENOENT);
	assert_int_equal(write_out(at(dir, "."), "x"), -EISDIR);
	char rel[PATH_MAX];
	snprintf(rel, sizeof(rel), "%s/", dir);
	assert_int_equal(write_out(rel, "x"), -EISDIR);
	/* A name of 255 bytes still gets a temporary file of its own. */
	char name[256];
	memset(name, 'e', 255);
	name[255] = '\0';
	assert_int_equal(write_out(at(dir, name), "long\n"), 0);
	assert_string_equal(scratch_read(at(dir, name)), "long\n");
}

static void test_out_symlinks(void **state)
{
	const char *dir = fresh("outlinks"), *victim = at(dir, "victim");
	const char *link = at(dir, "link"), *self = at(dir, "self");
	struct stat st;

	(void)state;
	assert_int_equal(mkdir(dir, 0755), 0);
	scratch_write(victim, "precious", 0600);
	assert_int_equal(symlink(victim, link), 0);
	refused(write_out(link, "x"), FSAFE_ESYMLINK, link,
		"a symbolic link: refusing to write through it", NULL);
	assert_string_equal(scratch_read(victim), "precious");
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	/* A link to /proc/self/fd/1 stays a link, not a regular file. */
	assert_int_equal(symlink("/proc/self/fd/1", self), 0);
	refused(write_out(self, "x"), FSAFE_ESYMLINK, NULL);
	assert_int_equal(lstat(self, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	/* A dangling link is not made either. */
	const char *dangling = at(dir, "dangling");
	assert_int_equal(symlink(at(dir, "made"), dangling), 0);
	refused(write_out(dangling, "x"), FSAFE_ESYMLINK, NULL);
	assert_false(exists(at(dir, "made")));
	/* Links on the way to the file are followed when they are ours. */
	const char *sub = at(dir, "sub"), *via = at(dir, "via");
	assert_int_equal(mkdir(sub, 0755), 0);
	assert_int_equal(symlink("sub", via), 0);
	assert_int_equal(write_out(at(via, "f"), "via\n"), 0);
	assert_string_equal(scratch_read(at(sub, "f")), "via\n");
	if (!is_root())
		skip();
	assert_int_equal(lchown(via, NOBODY, NOBODY), 0);
	refused(write_out(at(via, "g"), "x"), FSAFE_ESYMLINK, via,
		"owned by nobody (uid 65534)", NULL);
	assert_false(exists(at(sub, "g")));
}

/* Run FN with descriptor FD going to file PATH instead. */
static void with_fd_to(int fd, const char *path, void (*fn)(void))
{
	int saved = dup(fd), to = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(saved >= 0 && to >= 0);
	fflush(stdout);
	assert_int_equal(dup2(to, fd), fd);
	close(to);
	fn();
	fflush(stdout);
	assert_int_equal(dup2(saved, fd), fd);
	close(saved);
}

static int std_rc[4];

static void write_std(void)
{
	std_rc[0] = write_out("-", "dash\n");
	std_rc[1] = write_out("/dev/stdout", "dev-stdout\n");
	std_rc[2] = write_out("/proc/self/fd/1", "proc-fd\n");
	std_rc[3] = write_out("/dev/fd/1", "dev-fd\n");
}

static void test_out_std(void **state)
{
	const char *file = fresh("stdout");
	struct fsafe_out *o;
	struct stat st;

	(void)state;
	with_fd_to(STDOUT_FILENO, file, write_std);
	for (int i = 0; i < 4; i++)
		assert_int_equal(std_rc[i], 0);
	assert_string_equal(scratch_read(file),
			    "dash\ndev-stdout\nproc-fd\ndev-fd\n");
	assert_int_equal(lstat(file, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(fsafe_out_open("-", &o), 0);
	assert_string_equal(fsafe_out_name(o), "standard output");
	assert_ptr_equal(fsafe_out_file(o), stdout);
	fsafe_out_abort(o);
	/* Any other descriptor, written as it is; a closed one is an error. */
	const char *other = fresh("fd");
	int fd = open(other, O_WRONLY | O_CREAT | O_EXCL, 0600);
	char name[32];
	assert_true(fd >= 0);
	snprintf(name, sizeof(name), "/dev/fd/%d", fd);
	assert_int_equal(write_out(name, "fd\n"), 0);
	assert_string_equal(scratch_read(other), "fd\n");
	close(fd);
	assert_int_equal(write_out(name, "fd\n"), -EBADF);
	int ro = open("/dev/null", O_RDONLY);
	snprintf(name, sizeof(name), "/dev/fd/%d", ro);
	assert_int_equal(write_out(name, "x"), -EBADF);
	close(ro);
}

static void test_out_fifo(void **state)
{
	const char *fifo = fresh("fifo"), *got = fresh("got");
	struct stat st;
	pid_t pid;

	(void)state;
	assert_int_equal(mkfifo(fifo, 0600), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* The reader: everything into GOT. */
		int in = open(fifo, O_RDONLY), out = open(got, O_WRONLY | O_CREAT, 0600);
		char buf[256];
		ssize_t n;
		while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
			if (write(out, buf, (size_t)n) != n)
				_exit(1);
		_exit(in >= 0 && out >= 0 ? 0 : 1);
	}
	assert_int_equal(write_out(fifo, "through a fifo\n"), 0);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_string_equal(scratch_read(got), "through a fifo\n");
	assert_int_equal(lstat(fifo, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	if (!is_root())
		skip();
	assert_int_equal(chown(fifo, NOBODY, NOBODY), 0);
	refused(write_out(fifo, "x"), FSAFE_EOWNER, fifo, "uid 65534",
		"refusing to write to a file another user controls", NULL);
}

static void test_out_devices(void **state)
{
	const char *null = fresh("null"), *blk = fresh("blk");
	struct stat st;

	(void)state;
	if (!is_root())
		skip();
	if (mknod(null, S_IFCHR | 0666, makedev(1, 3))) {
		print_message("mknod: %s: devices not tried\n", strerror(errno));
		skip();
	}
	assert_int_equal(write_out(null, "into the void\n"), 0);
	assert_int_equal(lstat(null, &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	assert_true(st.st_rdev == makedev(1, 3));
	/* A block device is never opened; a device of another user's is
	 * not written. */
	assert_int_equal(mknod(blk, S_IFBLK | 0600, makedev(7, 250)), 0);
	refused(write_out(blk, "x"), FSAFE_ETYPE, blk, "a block device", NULL);
	assert_int_equal(lstat(blk, &st), 0);
	assert_true(S_ISBLK(st.st_mode));
	assert_int_equal(chown(null, NOBODY, NOBODY), 0);
	refused(write_out(null, "x"), FSAFE_EOWNER, NULL);
	assert_int_equal(lstat(null, &st), 0);
	assert_true(S_ISCHR(st.st_mode));
}

static void test_out_foreign(void **state)
{
	const char *file = fresh("theirs");

	(void)state;
	if (!is_root())
		skip();
	scratch_write(file, "their data", 0644);
	assert_int_equal(chown(file, NOBODY, NOBODY), 0);
	refused(write_out(file, "x"), FSAFE_EOWNER, file,
		"owned by nobody (uid 65534), mode 0644, not by root (uid 0)",
		NULL);
	assert_string_equal(scratch_read(file), "their data");
}

static void test_messages(void **state)
{
	(void)state;
	assert_false(FSAFE_IS(0));
	assert_false(FSAFE_IS(-ENOENT));
	assert_true(FSAFE_IS(FSAFE_EOWNER) && FSAFE_IS(FSAFE_ELAST));
	/* Not the last refusal: the generic text. */
	assert_int_equal(write_out(fresh("nothing/x"), "x"), -ENOENT);
	assert_string_equal(fsafe_strerror(-ENOENT), strerror(ENOENT));
	for (int e = FSAFE_EOWNER; e <= FSAFE_ELAST; e++)
		assert_true(strlen(fsafe_strerror(e)) > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_open),
		cmocka_unit_test(test_long_path),
		cmocka_unit_test(test_symlinked_files),
		cmocka_unit_test(test_symlinked_dir),
		cmocka_unit_test(test_writable),
		cmocka_unit_test(test_foreign_owner),
		cmocka_unit_test(test_hardlink),
		cmocka_unit_test(test_not_a_store),
		cmocka_unit_test(test_parent_of_other),
		cmocka_unit_test(test_dest),
		cmocka_unit_test(test_private_copy),
		cmocka_unit_test(test_private_changing),
		cmocka_unit_test(test_out_regular),
		cmocka_unit_test(test_out_symlinks),
		cmocka_unit_test(test_out_std),
		cmocka_unit_test(test_out_fifo),
		cmocka_unit_test(test_out_devices),
		cmocka_unit_test(test_out_foreign),
		cmocka_unit_test(test_messages),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
