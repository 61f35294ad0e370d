/*
 * open.c — opening a store: its directory (through fsafe.h), the LMDB
 * environment, the format record; and where a store lives by default.
 *
 * Owns the rule that an existing LMDB environment which is not an nsnap
 * store is never written to, that LMDB only sees a directory fsafe.c
 * checked and pinned, and the format versions (store_int.h).
 */
#include "store_int.h"
#include "fsafe.h"
#include "mdbcheck.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static void format_value(uint8_t v[FORMAT_LEN], uint32_t version)
{
	const uint16_t probe = 1;

	memset(v, 0, FORMAT_LEN);
	memcpy(v, STORE_MAGIC, 8);
	v[8] = (uint8_t)(version >> 24);
	v[9] = (uint8_t)(version >> 16);
	v[10] = (uint8_t)(version >> 8);
	v[11] = (uint8_t)version;
	/* LMDB's pages are in native layout: a store does not move between
	 * architectures, and saying so beats LMDB's own confusion. */
	v[12] = *(const uint8_t *)&probe ? 'l' : 'b';
	v[13] = (uint8_t)sizeof(void *);
}

static int format_check(const MDB_val *val)
{
	uint8_t want[FORMAT_LEN];
	const uint8_t *v = val->mv_data;

	format_value(want, STORE_FORMAT);
	if (val->mv_size < 12 || memcmp(v, STORE_MAGIC, 8))
		return STORE_ENOTSTORE;
	uint32_t version = (uint32_t)v[8] << 24 | (uint32_t)v[9] << 16 |
			   (uint32_t)v[10] << 8 | v[11];
	if (version == 0)
		return STORE_ENOTSTORE;
	if (version > STORE_FORMAT)
		return STORE_ENEWER;
	if (val->mv_size != FORMAT_LEN)
		return STORE_ENOTSTORE;
	if (v[12] != want[12] || v[13] != want[13])
		return STORE_EFOREIGN;
	return 0;
}

void sto_format_raise(struct sto_txn *t, uint32_t version)
{
	uint8_t fmt[FORMAT_LEN];
	MDB_val val;
	int rc = sto_txn_get(t, t->s->meta, "format", 6, &val);

	if (rc == MDB_NOTFOUND || (!rc && val.mv_size != FORMAT_LEN))
		rc = sto_corrupt("the format record is missing or malformed");
	if (rc) {
		sto_txn_fail(t, rc);
		return;
	}
	/* store_open() checked it: this is one of our versions. */
	if (((const uint8_t *)val.mv_data)[11] < version) {
		format_value(fmt, version);
		sto_txn_put(t, t->s->meta, "format", 6, fmt, FORMAT_LEN, 0);
	}
}

#define NEEDS_INIT 1

/* Whether the environment holds nothing at all (then it may become a
 * store); anything else without our format record is someone else's. */
static int env_empty(struct sto_txn *t)
{
	MDB_dbi main_dbi;
	MDB_stat st;
	int rc = sto_lm_dbi_open(t->txn, NULL, 0, &main_dbi);

	if (!rc)
		rc = sto_lm_stat(t->txn, main_dbi, &st);
	if (rc)
		return sto_mdb_err(rc);
	return st.ms_entries == 0 ? NEEDS_INIT : STORE_ENOTSTORE;
}

/*
 * Open the databases; in a write transaction, make them in an empty
 * environment.  NEEDS_INIT when read-only and the environment is empty.
 */
static int open_dbis(struct store *s, bool write)
{
	static const struct {
		const char *name;
		size_t off;
		unsigned flags;
	} dbs[] = {
		{ "snaps", offsetof(struct store, snaps), 0 },
		{ "lists", offsetof(struct store, lists), 0 },
		{ "nsidx", offsetof(struct store, nsidx), 0 },
		{ "records", offsetof(struct store, records), 0 },
		{ "labels", offsetof(struct store, labels),
		  MDB_DUPSORT | MDB_DUPFIXED },
	};
	struct sto_txn t;
	uint8_t fmt[FORMAT_LEN];
	MDB_val val;
	int ret, rc;

	ret = sto_txn_begin(s, &t, write);
	if (ret)
		return ret;
	rc = sto_lm_dbi_open(t.txn, "meta", 0, &s->meta);
	if (rc == MDB_NOTFOUND) {
		ret = env_empty(&t);
		/* An empty tree in a file that held something is what a
		 * damaged or rolled-back meta page looks like. */
		if (ret == NEEDS_INIT && !s->may_init)
			ret = sto_refuse(STORE_ENOTSTORE, "data.mdb is not "
					 "empty: not making a store over it");
		if (ret != NEEDS_INIT || !write)
			goto out;
		rc = sto_lm_dbi_open(t.txn, "meta", MDB_CREATE, &s->meta);
		if (rc)
			goto out_rc;
		format_value(fmt, STORE_FORMAT_CAPTURE);
		sto_txn_put(&t, s->meta, "format", 6, fmt, FORMAT_LEN, 0);
		ret = t.ret;
		if (ret)
			goto out;
	} else if (rc) {
		goto out_rc;
	}

	rc = sto_txn_get(&t, s->meta, "format", 6, &val);
	if (rc) {
		ret = rc == MDB_NOTFOUND ? STORE_ENOTSTORE : rc;
		goto out;
	}
	ret = format_check(&val);
	if (ret)
		goto out;
	for (size_t i = 0; i < sizeof(dbs) / sizeof(dbs[0]); i++) {
		MDB_dbi *dbi = (MDB_dbi *)((char *)s + dbs[i].off);
		unsigned fl = dbs[i].flags | (write ? MDB_CREATE : 0);
		rc = sto_lm_dbi_open(t.txn, dbs[i].name, fl, dbi);
		if (rc == MDB_NOTFOUND) {
			ret = STORE_ENOTSTORE;
			goto out;
		}
		if (rc)
			goto out_rc;
	}
	/* Committing keeps the handles, also from a read-only transaction. */
	return sto_txn_commit(&t);

out_rc:
	ret = sto_mdb_err(rc);
out:
	sto_txn_abort(&t);
	return ret;
}

/*
 * Free pages for a new store's second snapshot.  LMDB reuses a page only
 * two write transactions after the one that freed it (the previous meta
 * page still points at it), so in a new store the second snapshot, even
 * of an unchanged system, would append every page it rewrites (the header
 * leaf, list and main pages, the free list): a few percent of a small
 * store.  A filler written and deleted right after the store is made
 * frees STORE_RESERVE_PAGES pages in time for that snapshot; from then on
 * each write finds the pages the write before last freed, so a snapshot of
 * an unchanged system adds only what its header holds.
 */
#define STORE_RESERVE_PAGES 8

static int reserve_pages(struct store *s)
{
	static const char key[] = "reserve";
	MDB_stat st;
	struct sto_txn t;
	int ret;

	if ((ret = mdb_env_stat(s->env, &st)))
		return sto_mdb_err(ret);
	size_t len = (size_t)st.ms_psize * (STORE_RESERVE_PAGES - 1);
	uint8_t *filler = calloc(1, len);
	if (!filler)
		return -ENOMEM;
	ret = sto_txn_begin(s, &t, true);
	if (!ret) {
		sto_txn_put(&t, s->meta, key, sizeof(key) - 1, filler, len, 0);
		ret = sto_txn_commit(&t);
	}
	free(filler);
	if (!ret)
		ret = sto_txn_begin(s, &t, true);
	if (!ret) {
		MDB_val k = { sizeof(key) - 1, (void *)key };
		int rc = sto_lm_del(t.txn, s->meta, &k, NULL);
		if (rc)
			sto_txn_fail(&t, sto_mdb_err(rc));
		ret = sto_txn_commit(&t);
	}
	return ret;
}

/* LMDB's environment in the directory LMDB_PATH names, for S. */
static int env_open(struct store *s, const char *lmdb_path, bool fresh)
{
	int rc, dead;

	rc = mdb_env_create(&s->env);
	if (rc) {
		s->env = NULL;
		return sto_mdb_err(rc);
	}
	rc = mdb_env_set_maxdbs(s->env, 8);
	/* An existing store keeps the map size it has grown to. */
	if (!rc && fresh)
		rc = mdb_env_set_mapsize(s->env, STORE_MAP_INITIAL);
	if (!rc)
		rc = sto_lm_env_open(s->env, lmdb_path, MDB_NOTLS |
				     (s->rdonly ? MDB_RDONLY : 0));
	/* Reader slots of crashed processes would pin old pages forever. */
	if (!rc)
		rc = sto_lm_reader_check(s->env, &dead);
	return sto_mdb_err(rc);
}

/*
 * Read-only opens walk the page tree of a data file up to this size
 * (about 40 ms per 100 MB): beyond it, reading stays safe through the
 * guard and sto_val_check(), and `verify` walks it whatever its size.
 * Writes always walk it: LMDB writes through what it finds.
 */
#define TREE_CHECK_RDONLY_MAX ((uint64_t)256 << 20)

int sto_tree_check(int dirfd, int fd, struct mdbcheck_meta *m)
{
	struct mdbcheck_tree tree = { 0 };
	int rc;

	for (unsigned tries = 0;; tries++) {
		rc = sto_check_tree(fd, m, &tree);
		if (rc != MDBCHECK_ECHANGED || tries == 3)
			break;
		/* A writer committed meanwhile: its meta page, again. */
		rc = sto_seal_check(dirfd, fd, m, NULL);
		if (rc)
			return rc;
	}
	return sto_check_err(rc, "data.mdb", tree.why);
}

int sto_store_tree_check(struct store *s)
{
	struct mdbcheck_meta m;
	int dirfd = fsafe_dir_fd(s->dir), fd, ret;

	if (s->tree_checked)
		return 0;
	ret = sto_mdb_err(mdb_env_get_fd(s->env, &fd));
	if (!ret)
		ret = sto_dir_lock(s, LOCK_SH);
	if (ret)
		return ret;
	ret = sto_seal_check(dirfd, fd, &m, NULL);
	if (!ret)
		ret = sto_tree_check(dirfd, fd, &m);
	sto_dir_lock(s, LOCK_UN);
	return ret;
}

/* lock.mdb while another process has the store open: LMDB trusts it. */
static int lock_check(int dirfd, const struct mdbcheck_meta *m)
{
	struct mdbcheck_lock l = { 0 };
	int fd = openat(dirfd, "lock.mdb", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	rc = mdbcheck_lock(fd, m, &l);
	/* Now, before LMDB opens it: closing a descriptor of lock.mdb later
	 * would drop the locks LMDB holds on it. */
	close(fd);
	if (rc == MDBCHECK_EDAMAGED)
		return sto_corrupt("%s; stop the other nsnap processes, LMDB "
				   "rebuilds it then", l.why);
	return rc;
}

/*
 * The store's files checked before LMDB maps them (mdbcheck.h): the data
 * file against its seal, its meta pages, for a write (or a small file)
 * every page, and the lock file.  Sets s->may_init when the data file
 * holds nothing yet: only then may it become a store.
 */
static int precheck(struct store *s, bool fresh)
{
	int dirfd = fsafe_dir_fd(s->dir), fd, ret;
	struct mdbcheck_meta m;
	struct stat st;

	s->may_init = fresh;
	if (fresh)
		return 0;
	fd = openat(dirfd, "data.mdb", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? (s->may_init = true, 0) : -errno;
	/* No write of ours commits meanwhile: a verdict on a file being
	 * written would not hold.  (The wait is one commit at most.) */
	ret = sto_dir_lock(s, LOCK_SH);
	if (ret) {
		close(fd);
		return ret;
	}
	ret = fstat(fd, &st) ? -errno : 0;
	if (!ret && st.st_size == 0)
		s->may_init = true;
	if (!ret && !s->may_init)
		ret = sto_seal_check(dirfd, fd, &m, &s->seal_last);
	if (!ret && !s->may_init) {
		s->may_init = m.pristine;
		if (!s->rdonly || m.file_size <= TREE_CHECK_RDONLY_MAX) {
			ret = sto_tree_check(dirfd, fd, &m);
			s->tree_checked = !ret;
		}
	}
	close(fd);
	if (!ret && !s->may_init)
		ret = lock_check(dirfd, &m);
	sto_dir_lock(s, LOCK_UN);
	return ret;
}

/*
 * The directory of the store in PATH, checked and pinned (fsafe.h): LMDB
 * opens its files by name, and even a reader writes lock.mdb, so it is
 * only ever given a directory no other user controls, through its
 * descriptor; a foreign store is read from a private copy.  *fresh when
 * there is no data yet, which only CREATE accepts.
 */
static int store_dir(const char *path, unsigned flags, struct fsafe_dir **dir,
		     bool *fresh)
{
	int ret = flags & STORE_FOREIGN ? fsafe_dir_private(path, dir) :
		  fsafe_dir_open(path, flags & STORE_CREATE ? FSAFE_CREATE : 0,
				 dir);
	struct stat st;

	/* A directory without data.mdb is no store, copied or not. */
	if (ret == -ENOENT && flags & STORE_FOREIGN && stat(path, &st) == 0 &&
	    S_ISDIR(st.st_mode))
		ret = STORE_ENOTSTORE;
	if (ret)
		return ret;
	*fresh = fsafe_dir_data_size(*dir) <= 0;
	if (*fresh && !(flags & STORE_CREATE)) {
		fsafe_dir_close(*dir);
		*dir = NULL;
		return STORE_ENOTSTORE;
	}
	return 0;
}

int store_open(const char *path, unsigned flags, struct store **out)
{
	bool create = flags & STORE_CREATE, rdonly = flags & STORE_RDONLY;
	struct fsafe_dir *dir;
	struct store *s;
	bool fresh;
	int ret;

	*out = NULL;
	if (!path || !*path || (create && rdonly) ||
	    (flags & STORE_FOREIGN && !rdonly))
		return -EINVAL;
	ret = store_dir(path, flags, &dir, &fresh);
	if (ret)
		return ret;
	s = calloc(1, sizeof(*s));
	if (!s) {
		fsafe_dir_close(dir);
		return -ENOMEM;
	}
	s->dir = dir;
	s->rdonly = rdonly;
	sto_fault_use();
	s->guarded = true;
	sto_corrupt_clear();
	ret = precheck(s, fresh);
	if (!ret)
		ret = env_open(s, fsafe_dir_lmdb(dir), fresh);
	if (!ret)
		ret = open_dbis(s, false);
	if (ret == NEEDS_INIT && create) {
		ret = open_dbis(s, true);
		if (!ret)
			ret = reserve_pages(s);
	} else if (ret == NEEDS_INIT) {
		ret = STORE_ENOTSTORE;
	}
	if (ret == NEEDS_INIT)
		ret = STORE_ENOTSTORE;
	if (ret) {
		store_close(s);
		return ret;
	}
	*out = s;
	return 0;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	/* See struct store.poisoned; only a writer is, so no private copy
	 * is left behind. */
	if (s->poisoned)
		return;
	if (s->env)
		sto_lm_env_close(s->env);
	if (s->guarded)
		sto_fault_unuse();
	store_set_signer(s, NULL);
	/* After LMDB let go of the files: a private copy is removed. */
	fsafe_dir_close(s->dir);
	free(s);
}

const char *store_default_path(void)
{
	static char buf[PATH_MAX];
	const char *env = getenv("NSNAP_STORE");
	const char *base, *sub;
	int n;

	/* As given: the path is walked a name at a time (fsafe.c), so any
	 * length the system takes will do. */
	if (env && *env)
		return env;
	if (geteuid() == 0)
		return "/var/lib/nsnap";
	if ((env = getenv("XDG_STATE_HOME")) && env[0] == '/') {
		/* The XDG spec says to ignore a relative one. */
		base = env;
		sub = "/nsnap";
	} else {
		base = getenv("HOME");
		if (!base || base[0] != '/') {
			struct passwd *pw = getpwuid(geteuid());
			base = pw ? pw->pw_dir : NULL;
		}
		if (!base)
			return NULL;
		sub = "/.local/state/nsnap";
	}
	n = snprintf(buf, sizeof(buf), "%s%s", base, sub);
	return n > 0 && (size_t)n < sizeof(buf) ? buf : NULL;
}
