/*
 * fsafe.c — store directories that other users cannot turn against the
 * caller, and the path walk and messages fsafe_out.c uses too (see fsafe.h
 * for the rules).
 *
 * Paths are walked one component at a time with openat(O_PATH |
 * O_NOFOLLOW), so that each symbolic link is seen and judged before it is
 * followed, and the directory reached is then used only through its
 * descriptor.  Files are looked at with fstatat(AT_SYMLINK_NOFOLLOW) or
 * fstat() of a descriptor, never by a second lookup of the name.
 */
#include "fsafe.h"
#include "fsafe_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

/* ---- messages ----------------------------------------------------------- */

static _Thread_local int last_err;
static _Thread_local char last_msg[768];

static const char *const job_what[] = {
	[FSAFE_JOB_OPEN] = "open a store",
	[FSAFE_JOB_CREATE] = "create a store in a directory",
	[FSAFE_JOB_DEST] = "copy a store into a directory",
	[FSAFE_JOB_COPY] = "copy a store file",
	[FSAFE_JOB_OUTPUT] = "write to a file",
};

#define SEE " (see nsnap(8), FOREIGN STORES)"

int fsafe_say(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_msg, sizeof(last_msg), fmt, ap);
	va_end(ap);
	/* Paths come from the command line and from links: keep control
	 * bytes away from the terminal the message goes to. */
	for (char *p = last_msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	last_err = err;
	return err;
}

const char *fsafe_strerror(int err)
{
	if (err == last_err && last_msg[0])
		return last_msg;
	switch (err) {
	case 0:
		return "success";
	case FSAFE_EOWNER:
		return "owned by another user" SEE;
	case FSAFE_EWRITABLE:
		return "group or others may write it" SEE;
	case FSAFE_ESYMLINK:
		return "a symbolic link that is not followed" SEE;
	case FSAFE_EHARDLINK:
		return "a store file with more than one hard link" SEE;
	case FSAFE_ETYPE:
		return "not a kind of file that can be used here";
	case FSAFE_ENOTSTORE:
		return "not empty and not a store";
	case FSAFE_ECHANGED:
		return "changed while it was being copied";
	case FSAFE_ENOPROC:
		return "cannot be named through /proc/self/fd (is /proc mounted?)";
	}
	if (err < 0 && err > -4096)
		return strerror(-err);
	return "unknown error";
}

/* "tester (uid 1000)", or "uid 1000" for a uid without a name. */
static const char *user(uid_t uid, char *buf, size_t len)
{
	struct passwd pw, *res = NULL;
	char pwbuf[1024];

	if (getpwuid_r(uid, &pw, pwbuf, sizeof(pwbuf), &res) == 0 && res)
		snprintf(buf, len, "%s (uid %u)", res->pw_name, (unsigned)uid);
	else
		snprintf(buf, len, "uid %u", (unsigned)uid);
	return buf;
}

int fsafe_say_owner(const char *where, const struct stat *st, enum fsafe_job job)
{
	char owner[160], me[160];

	return fsafe_say(FSAFE_EOWNER,
		   "%s: owned by %s, mode %04o, not by %s: refusing to %s "
		   "another user controls" SEE,
		   where, user(st->st_uid, owner, sizeof(owner)),
		   (unsigned)(st->st_mode & 07777),
		   user(geteuid(), me, sizeof(me)), job_what[job]);
}

static int say_writable(const char *where, const struct stat *st,
			enum fsafe_job job)
{
	char owner[160];
	const char *who = (st->st_mode & 022) == 022 ? "group and others" :
			  st->st_mode & 020 ? "group" : "others";

	return fsafe_say(FSAFE_EWRITABLE,
		   "%s: mode %04o lets %s write (owner %s): refusing to %s "
		   "another user can change" SEE,
		   where, (unsigned)(st->st_mode & 07777), who,
		   user(st->st_uid, owner, sizeof(owner)), job_what[job]);
}

const char *fsafe_kind(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return "a regular file";
	case S_IFDIR: return "a directory";
	case S_IFLNK: return "a symbolic link";
	case S_IFCHR: return "a character device";
	case S_IFBLK: return "a block device";
	case S_IFIFO: return "a FIFO";
	case S_IFSOCK: return "a socket";
	}
	return "a file of unknown kind";
}

/* ---- small helpers ------------------------------------------------------ */

/* A path joined from parts, NULL when out of memory. */
static char *join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	bool slash = la && a[la - 1] != '/';
	char *p = malloc(la + slash + lb + 1);

	if (!p)
		return NULL;
	memcpy(p, a, la);
	if (slash)
		p[la] = '/';
	memcpy(p + la + slash, b, lb + 1);
	return p;
}

static int close_keep_errno(int fd)
{
	int e = errno;

	if (fd >= 0)
		close(fd);
	errno = e;
	return -1;
}

bool fsafe_same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	       (a->st_mode & S_IFMT) == (b->st_mode & S_IFMT);
}

/* "/proc/self/fd/FD" into BUF when it names FD's file (else
 * FSAFE_ENOPROC): the name LMDB or a reopen goes through. */
int fsafe_proc_name(int fd, char *buf, size_t len, const char *where)
{
	struct stat a, b;

	snprintf(buf, len, "/proc/self/fd/%d", fd);
	if (fstat(fd, &a))
		return -errno;
	if (stat(buf, &b) || !fsafe_same_file(&a, &b))
		return fsafe_say(FSAFE_ENOPROC, "%s: cannot be named through "
			   "/proc/self/fd (is /proc mounted?)", where);
	return 0;
}

/* chmod() the file open as FD, an O_PATH descriptor: through its /proc
 * name, as fchmod() refuses those, and a umask may have left its owner no
 * right to open it otherwise. */
static int chmod_fd(int fd, mode_t mode)
{
	char proc[32];
	int rfd, ret = 0;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (chmod(proc, mode) == 0)
		return 0;
	if (errno != ENOENT)
		return -errno;
	/* No /proc: what the umask left may still let us open it. */
	rfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0 || fchmod(rfd, mode))
		ret = -errno;
	if (rfd >= 0)
		close(rfd);
	return ret;
}

/* ---- walking a path ----------------------------------------------------- */

/* A directory a walk made, so that a failed operation can remove it. */
struct made_dir {
	int parent;      /* O_PATH descriptor of the directory holding it */
	char *name;
	dev_t dev;
	ino_t ino;
};

struct fsafe_dir {
	int fd;              /* the directory, O_RDONLY | O_DIRECTORY */
	char lmdb[32];       /* "/proc/self/fd/N" */
	char *where;         /* resolved path, for messages */
	char *shown;         /* what fsafe_dir_path() returns */
	int64_t data_size;
	bool private_copy;   /* a copy of ours: removed at close */
	bool made_self;      /* the walk made the directory itself */
	struct made_dir *dirs;  /* made by the walk, outermost first */
	size_t ndirs;
	char **files;        /* made through fsafe_dir_create() */
	size_t nfiles;
};

struct walk {
	int cur;             /* O_PATH descriptor reached so far */
	char *where;         /* its path, as walked */
	char *todo;          /* what is left to walk */
	unsigned links;      /* links followed (the kernel stops at 40) */
};

/* Take the next component off W->todo into NAME; false when none. */
static bool next_name(struct walk *w, char name[NAME_MAX + 2])
{
	char *p = w->todo, *end;
	size_t n;

	for (;;) {
		while (*p == '/')
			p++;
		if (p[0] != '.' || (p[1] != '/' && p[1]))
			break;
		p++;  /* "." */
	}
	if (!*p) {
		w->todo = p;
		return false;
	}
	end = strchrnul(p, '/');
	n = (size_t)(end - p);
	if (n > NAME_MAX)
		n = NAME_MAX + 1;  /* openat() will say ENAMETOOLONG */
	memcpy(name, p, n);
	name[n] = '\0';
	w->todo = end;
	return true;
}

/* Replace W->todo by TARGET followed by what was left. */
static int todo_splice(struct walk *w, const char *target, char **todo_buf)
{
	char *todo = join(target, w->todo);

	if (!todo)
		return -ENOMEM;
	free(*todo_buf);
	*todo_buf = todo;
	w->todo = todo;
	if (target[0] == '/') {
		int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		char *where = strdup("/");

		if (root < 0 || !where) {
			close_keep_errno(root);
			free(where);
			return root < 0 ? -errno : -ENOMEM;
		}
		close(w->cur);
		w->cur = root;
		free(w->where);
		w->where = where;
	}
	return 0;
}

/* Follow the link open as FD (W->where/NAME, already fstat'ed as ST)
 * when its owner is root or the caller. */
static int follow(struct walk *w, int fd, const char *name,
		  const struct stat *st, char **todo_buf)
{
	char target[PATH_MAX], owner[160], me[160];
	ssize_t n;

	if (st->st_uid != 0 && st->st_uid != geteuid()) {
		char *at = join(w->where, name);
		int ret;

		if (geteuid())
			snprintf(me, sizeof(me), "%s or root",
				 user(geteuid(), owner, sizeof(owner)));
		else
			snprintf(me, sizeof(me), "root");
		ret = fsafe_say(FSAFE_ESYMLINK, "%s: a symbolic link owned by %s, "
			  "not by %s: refusing to follow it" SEE, at ? at : name,
			  user(st->st_uid, owner, sizeof(owner)), me);
		free(at);
		return ret;
	}
	if (++w->links > 40)
		return -ELOOP;
	n = readlinkat(fd, "", target, sizeof(target));
	if (n < 0)
		return -errno;
	if ((size_t)n >= sizeof(target))
		return -ENAMETOOLONG;
	target[n] = '\0';
	return todo_splice(w, target, todo_buf);
}

/* Make NAME in W->cur (0700 whatever the umask) and remember it in D. */
static int make_dir(struct walk *w, const char *name, struct fsafe_dir *d)
{
	struct made_dir *dirs;
	struct stat st;
	int fd, ret = 0;

	if (mkdirat(w->cur, name, 0700))
		return errno == EEXIST ? 0 : -errno;
	fd = openat(w->cur, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* Someone may have put his own in its place meanwhile; mkdir()
	 * honours the umask, the store wants 0700. */
	if (fstat(fd, &st))
		ret = -errno;
	else if (st.st_uid != geteuid())
		ret = -EEXIST;
	else
		ret = chmod_fd(fd, 0700);
	close(fd);
	if (ret)
		return ret;
	dirs = realloc(d->dirs, (d->ndirs + 1) * sizeof(*dirs));
	if (!dirs)
		return -ENOMEM;
	d->dirs = dirs;
	dirs[d->ndirs] = (struct made_dir){ .parent = -1, .dev = st.st_dev,
					    .ino = st.st_ino };
	dirs[d->ndirs].parent = fcntl(w->cur, F_DUPFD_CLOEXEC, 0);
	dirs[d->ndirs].name = strdup(name);
	if (dirs[d->ndirs].parent < 0 || !dirs[d->ndirs].name) {
		ret = dirs[d->ndirs].parent < 0 ? -errno : -ENOMEM;
		close_keep_errno(dirs[d->ndirs].parent);
		free(dirs[d->ndirs].name);
		return ret;
	}
	d->ndirs++;
	return 0;
}

/* See fsafe_int.h.  Each name is looked at through the descriptor it was
 * opened as, so what is judged is what is used. */
int fsafe_walk(const char *path, struct fsafe_dir *d, int *fd, char **where)
{
	struct walk w = { .cur = -1 };
	char *todo_buf = strdup(path), name[NAME_MAX + 2];
	int ret = 0;

	if (!todo_buf)
		return -ENOMEM;
	w.todo = todo_buf;
	w.where = strdup(path[0] == '/' ? "/" : "");
	w.cur = open(path[0] == '/' ? "/" : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (w.cur < 0 || !w.where) {
		ret = w.cur < 0 ? -errno : -ENOMEM;
		goto out;
	}
	while (!ret && next_name(&w, name)) {
		int next = openat(w.cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		struct stat st;

		if (next < 0 && errno == ENOENT && d && strcmp(name, "..")) {
			ret = make_dir(&w, name, d);
			if (ret)
				break;
			next = openat(w.cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		}
		if (next < 0 || fstat(next, &st)) {
			ret = -errno;
			close_keep_errno(next);
			break;
		}
		if (S_ISLNK(st.st_mode)) {
			ret = follow(&w, next, name, &st, &todo_buf);
			close(next);
		} else if (S_ISDIR(st.st_mode)) {
			char *at = join(w.where, name);

			if (!at) {
				close(next);
				ret = -ENOMEM;
				break;
			}
			free(w.where);
			w.where = at;
			close(w.cur);
			w.cur = next;
		} else {
			close(next);
			ret = -ENOTDIR;
		}
	}
out:
	free(todo_buf);
	if (ret) {
		if (w.cur >= 0)
			close(w.cur);
		free(w.where);
		return ret;
	}
	if (!w.where[0]) {
		free(w.where);
		w.where = strdup(".");
		if (!w.where) {
			close(w.cur);
			return -ENOMEM;
		}
	}
	*fd = w.cur;
	*where = w.where;
	return 0;
}

/* ---- store directories -------------------------------------------------- */

static const char *const store_files[] = { "data.mdb", "lock.mdb",
					   "data.mdb.partial" };

/* The directory itself: the caller's, not writable by group or others. */
static int check_dir(const struct fsafe_dir *d, enum fsafe_job job)
{
	struct stat st;

	if (fstat(d->fd, &st))
		return -errno;
	if (st.st_uid != geteuid())
		return fsafe_say_owner(d->where, &st, job);
	if (st.st_mode & 022)
		return say_writable(d->where, &st, job);
	return 0;
}

/* One store file, when present (1 when absent): a regular file of the
 * caller's with one name, not writable by group or others. */
static int check_file(const struct fsafe_dir *d, const char *name,
		      struct stat *st, enum fsafe_job job)
{
	char *at;
	int ret = 0;

	if (fstatat(d->fd, name, st, AT_SYMLINK_NOFOLLOW))
		return errno == ENOENT ? 1 : -errno;
	at = join(d->where, name);
	if (!at)
		return -ENOMEM;
	if (S_ISLNK(st->st_mode))
		ret = fsafe_say(FSAFE_ESYMLINK, "%s: a symbolic link: refusing to %s "
			  "through links another user may have planted" SEE,
			  at, job_what[job]);
	else if (!S_ISREG(st->st_mode))
		ret = fsafe_say(FSAFE_ETYPE, "%s: %s, not a regular file: refusing "
			  "to %s that holds one", at, fsafe_kind(st->st_mode),
			  job_what[job]);
	else if (st->st_uid != geteuid())
		ret = fsafe_say_owner(at, st, job);
	else if (st->st_nlink != 1)
		ret = fsafe_say(FSAFE_EHARDLINK, "%s: has %ju hard links: refusing "
			  "to %s whose files have other names" SEE, at,
			  (uintmax_t)st->st_nlink, job_what[job]);
	else if (st->st_mode & 022)
		ret = say_writable(at, st, job);
	free(at);
	return ret;
}

/* A directory that is to become a store: empty, or holding only what a
 * store leaves (data.mdb is known to be absent). */
static int check_empty(const struct fsafe_dir *d, enum fsafe_job job)
{
	int fd = openat(d->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *e;
	int ret = 0;

	if (!dir) {
		close_keep_errno(fd);
		return -errno;
	}
	while (!ret && (e = readdir(dir))) {
		bool ours = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");

		for (size_t i = 0; i < sizeof(store_files) / sizeof(*store_files); i++)
			ours |= !strcmp(e->d_name, store_files[i]);
		if (!ours)
			ret = fsafe_say(FSAFE_ENOTSTORE, "%s: not empty and not a "
				  "store (it holds no data.mdb): refusing to %s "
				  "that holds other files (give a new or empty "
				  "directory)", d->where, job_what[job]);
	}
	closedir(dir);
	return ret;
}

int fsafe_dir_create(struct fsafe_dir *d, const char *name, int *fd)
{
	char **files = realloc(d->files, (d->nfiles + 1) * sizeof(*files));
	int ret;

	if (!files)
		return -ENOMEM;
	d->files = files;
	if (!(files[d->nfiles] = strdup(name)))
		return -ENOMEM;
	*fd = openat(d->fd, name,
		     O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	/* The umask may have taken the owner's bits too. */
	if (*fd < 0 || fchmod(*fd, 0600)) {
		ret = -errno;
		if (*fd >= 0) {
			close(*fd);
			unlinkat(d->fd, name, 0);
		}
		*fd = -1;
		free(files[d->nfiles]);
		return ret;
	}
	d->nfiles++;
	return 0;
}

/* Make NAME if absent, so that LMDB finds it made by us, 0600, with
 * RESERVE bytes allocated (FSAFE_LOCK_BYTES says why). */
static int ensure_file(struct fsafe_dir *d, const char *name, off_t reserve)
{
	int fd, ret = fsafe_dir_create(d, name, &fd);

	if (ret == -EEXIST)
		return 0;
	if (ret)
		return ret;
	/* Not left behind unreserved: the next open would take it. */
	if (reserve && (ret = -posix_fallocate(fd, 0, reserve)))
		unlinkat(d->fd, name, 0);
	close(fd);
	return ret;
}

/* The files of directory D (open and checked) for job JOB. */
static int store_files_check(struct fsafe_dir *d, enum fsafe_job job)
{
	bool made = d->made_self;
	struct stat st;
	int ret;

	ret = check_file(d, "data.mdb", &st, job);
	if (ret < 0)
		return ret;
	if (ret == 0 && job == FSAFE_JOB_DEST)
		return -EEXIST;
	if (ret == 1 && job != FSAFE_JOB_OPEN && !made && (ret = check_empty(d, job)))
		return ret;
	if (job == FSAFE_JOB_CREATE)
		ret = ensure_file(d, "data.mdb", 0);
	else
		ret = 0;
	/* Without data.mdb this is no store (store.c says so): make nothing
	 * there.  A reader without write access may use an existing lock. */
	if (!ret && job != FSAFE_JOB_DEST &&
	    fstatat(d->fd, "data.mdb", &st, AT_SYMLINK_NOFOLLOW) == 0) {
		ret = ensure_file(d, "lock.mdb", FSAFE_LOCK_BYTES);
		if (job == FSAFE_JOB_OPEN && (ret == -EACCES || ret == -EROFS ||
					ret == -EPERM))
			ret = 0;
	}
	if (ret)
		return ret;
	ret = check_file(d, "data.mdb", &st, job);
	if (ret < 0)
		return ret;
	d->data_size = ret == 1 ? -1 : (int64_t)st.st_size;
	ret = check_file(d, "lock.mdb", &st, job);
	return ret < 0 ? ret : 0;
}

static struct fsafe_dir *dir_new(void)
{
	struct fsafe_dir *d = calloc(1, sizeof(*d));

	if (d)
		d->fd = -1;
	return d;
}

/* Pin directory DFD (O_PATH, consumed) as D's, named through /proc. */
static int dir_pin(struct fsafe_dir *d, int dfd)
{
	struct stat st;

	d->fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	close(dfd);
	if (d->fd < 0 || fstat(d->fd, &st))
		return -errno;
	d->made_self = d->ndirs && d->dirs[d->ndirs - 1].dev == st.st_dev &&
		       d->dirs[d->ndirs - 1].ino == st.st_ino;
	return fsafe_proc_name(d->fd, d->lmdb, sizeof(d->lmdb), d->where);
}

int fsafe_dir_open(const char *path, unsigned flags, struct fsafe_dir **out)
{
	enum fsafe_job job = flags & FSAFE_DEST ? FSAFE_JOB_DEST :
		       flags & FSAFE_CREATE ? FSAFE_JOB_CREATE : FSAFE_JOB_OPEN;
	struct fsafe_dir *d;
	int dfd, ret;

	*out = NULL;
	if (!path || !*path || (flags & FSAFE_DEST && flags & FSAFE_CREATE))
		return -EINVAL;
	if (!(d = dir_new()))
		return -ENOMEM;
	ret = fsafe_walk(path, job == FSAFE_JOB_OPEN ? NULL : d, &dfd, &d->where);
	if (!ret)
		ret = dir_pin(d, dfd);
	if (!ret)
		ret = check_dir(d, job);
	if (!ret)
		ret = store_files_check(d, job);
	if (ret) {
		fsafe_dir_discard(d);
		return ret;
	}
	*out = d;
	return 0;
}

/* ---- a private copy of a foreign store ---------------------------------- */

#define COPY_TRIES 3

/* SRC (a regular file, ST as fstat'ed at open) into DST, bounded by the
 * size it had then; FSAFE_ECHANGED when it changed meanwhile. */
static int copy_once(int src, int dst, const struct stat *st, char *buf,
		     size_t bufsz)
{
	struct stat now;
	off_t off = 0;

	if (ftruncate(dst, 0))
		return -errno;
	while (off < st->st_size) {
		size_t want = (size_t)(st->st_size - off) < bufsz ?
			      (size_t)(st->st_size - off) : bufsz;
		ssize_t n = pread(src, buf, want, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return FSAFE_ECHANGED;  /* it shrank */
		for (ssize_t done = 0; done < n;) {
			ssize_t w = pwrite(dst, buf + done, (size_t)(n - done),
					   off + done);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return -errno;
			done += w;
		}
		off += n;
	}
	if (fstat(src, &now))
		return -errno;
	if (now.st_size != st->st_size ||
	    now.st_mtim.tv_sec != st->st_mtim.tv_sec ||
	    now.st_mtim.tv_nsec != st->st_mtim.tv_nsec)
		return FSAFE_ECHANGED;
	return 0;
}

/* SRC copied into DST, which sits in directory DIRFD. */
static int copy_data(int src, int dst, int dirfd, const char *where)
{
	const size_t bufsz = 1 << 20;
	char *buf = malloc(bufsz);
	struct statvfs vfs;
	struct stat st;
	int ret = 0;

	if (!buf)
		return -ENOMEM;
	for (int try = 0; try < COPY_TRIES; try++) {
		if (try) {
			/* Let a writer finish its commit. */
			struct timespec pause = { 0, 50 * 1000 * 1000 };
			nanosleep(&pause, NULL);
		}
		if (fstat(src, &st)) {
			ret = -errno;
			break;
		}
		if (fstatvfs(dirfd, &vfs) == 0 && vfs.f_frsize &&
		    ((uintmax_t)st.st_size + vfs.f_frsize - 1) / vfs.f_frsize >
		    vfs.f_bavail) {
			ret = -ENOSPC;
			break;
		}
		ret = copy_once(src, dst, &st, buf, bufsz);
		if (ret != FSAFE_ECHANGED)
			break;
	}
	free(buf);
	if (ret == FSAFE_ECHANGED)
		fsafe_say(ret, "%s: changed while it was being copied (%d tries): "
		    "refusing a copy of no one moment; try again when no "
		    "nsnap writes to it" SEE, where, COPY_TRIES);
	return ret;
}

/* A new directory of ours, 0700, for the private copy, pinned in D. */
static int private_dir(struct fsafe_dir *d)
{
	const char *tmp = getenv("TMPDIR");
	char *tmpl = join(tmp && tmp[0] == '/' ? tmp : "/tmp",
			  "nsnap-foreign.XXXXXX");
	int dfd, ret;

	if (!tmpl)
		return -ENOMEM;
	if (!mkdtemp(tmpl)) {
		ret = -errno;
		free(tmpl);
		return ret;
	}
	d->where = tmpl;
	d->private_copy = true;
	dfd = open(tmpl, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	ret = chmod_fd(dfd, 0700);
	if (ret) {
		close(dfd);
		return ret;
	}
	ret = dir_pin(d, dfd);
	return ret ? ret : check_dir(d, FSAFE_JOB_COPY);
}

/*
 * The seal (mdbcheck.h) of the store in SDIR into SEAL, read before its
 * data file is: a seal is never ahead of its data file, and one read
 * after the copy could be.  *N 0 when there is none (or it is not a small
 * regular file: the private copy is then unsealed, which only weakens the
 * checks).
 */
static void seal_read(int sdir, char seal[256], size_t *n)
{
	int fd = openat(sdir, "nsnap.seal", O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
			O_NOCTTY | O_CLOEXEC);
	struct stat st;
	ssize_t r;

	*n = 0;
	if (fd < 0)
		return;
	if (!fstat(fd, &st) && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    st.st_size < 256 && (r = read(fd, seal, 256)) == st.st_size)
		*n = (size_t)r;
	close(fd);
}

/* SEAL (N bytes) as the private copy's seal; a failure leaves it
 * unsealed. */
static void seal_write_copy(struct fsafe_dir *d, const char *seal, size_t n)
{
	int fd;

	if (!n || fsafe_dir_create(d, "nsnap.seal", &fd))
		return;
	if (write(fd, seal, n) != (ssize_t)n)
		(void)unlinkat(d->fd, "nsnap.seal", 0);
	close(fd);
}

int fsafe_dir_private(const char *path, struct fsafe_dir **out)
{
	char seal[256];
	size_t nseal;
	struct fsafe_dir *d;
	struct stat st;
	char *at = NULL;
	int src = -1, dst = -1, sdir, ret;

	*out = NULL;
	if (!path || !*path)
		return -EINVAL;
	/* Only read: the directory may be anyone's, links included. */
	sdir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sdir < 0)
		return -errno;
	if (!(d = dir_new()) || !(d->shown = strdup(path)) ||
	    !(at = join(path, "data.mdb"))) {
		ret = -ENOMEM;
		goto out;
	}
	seal_read(sdir, seal, &nseal);
	/* O_NONBLOCK: a FIFO in its place must not hang the open. */
	src = openat(sdir, "data.mdb",
		     O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (src < 0 && errno == ELOOP)
		ret = fsafe_say(FSAFE_ESYMLINK, "%s: a symbolic link: refusing to "
			  "copy a store file through it" SEE, at);
	else if (src < 0)
		ret = -errno;
	else if (fstat(src, &st))
		ret = -errno;
	else if (!S_ISREG(st.st_mode))
		ret = fsafe_say(FSAFE_ETYPE, "%s: %s, not a regular file: refusing "
			  "to copy it", at, fsafe_kind(st.st_mode));
	else
		ret = private_dir(d);
	if (!ret)
		ret = fsafe_dir_create(d, "data.mdb", &dst);
	if (!ret)
		ret = copy_data(src, dst, d->fd, at);
	if (!ret)
		ret = ensure_file(d, "lock.mdb", FSAFE_LOCK_BYTES);
	if (!ret)
		seal_write_copy(d, seal, nseal);
	if (!ret)
		d->data_size = (int64_t)st.st_size;
out:
	free(at);
	close(sdir);
	if (src >= 0)
		close(src);
	if (dst >= 0)
		close(dst);
	if (ret) {
		fsafe_dir_close(d);
		return ret;
	}
	*out = d;
	return 0;
}

/* ---- using and closing a directory -------------------------------------- */

const char *fsafe_dir_lmdb(const struct fsafe_dir *d)
{
	return d->lmdb;
}

int fsafe_dir_fd(const struct fsafe_dir *d)
{
	return d->fd;
}

const char *fsafe_dir_path(const struct fsafe_dir *d)
{
	return d->shown ? d->shown : d->where;
}

int64_t fsafe_dir_data_size(const struct fsafe_dir *d)
{
	return d->data_size;
}

int fsafe_dir_rename(struct fsafe_dir *d, const char *from, const char *to)
{
	if (renameat(d->fd, from, d->fd, to))
		return -errno;
	/* What was made under FROM is now TO: discard that instead. */
	for (size_t i = 0; i < d->nfiles; i++) {
		if (strcmp(d->files[i], from))
			continue;
		char *name = strdup(to);
		if (!name)
			return -ENOMEM;
		free(d->files[i]);
		d->files[i] = name;
	}
	return 0;
}

int fsafe_dir_remove(struct fsafe_dir *d, const char *name)
{
	if (unlinkat(d->fd, name, 0) && errno != ENOENT)
		return -errno;
	return 0;
}

int fsafe_dir_sync(struct fsafe_dir *d)
{
	return fsync(d->fd) ? -errno : 0;
}

/* Remove every entry of a private copy (all ours), then the directory. */
static void private_remove(struct fsafe_dir *d)
{
	int fd = d->fd < 0 ? -1 :
		 openat(d->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *e;

	if (!dir) {
		close_keep_errno(fd);
	} else {
		while ((e = readdir(dir)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				unlinkat(d->fd, e->d_name, 0);
		closedir(dir);
	}
	rmdir(d->where);
}

void fsafe_dir_close(struct fsafe_dir *d)
{
	if (!d)
		return;
	if (d->private_copy)
		private_remove(d);
	if (d->fd >= 0)
		close(d->fd);
	for (size_t i = 0; i < d->ndirs; i++) {
		close(d->dirs[i].parent);
		free(d->dirs[i].name);
	}
	for (size_t i = 0; i < d->nfiles; i++)
		free(d->files[i]);
	free(d->dirs);
	free(d->files);
	free(d->where);
	free(d->shown);
	free(d);
}

void fsafe_dir_discard(struct fsafe_dir *d)
{
	if (!d)
		return;
	if (d->fd >= 0) {
		for (size_t i = 0; i < d->nfiles; i++)
			unlinkat(d->fd, d->files[i], 0);
		/* A directory we made holds nothing of anyone else's. */
		if (d->made_self)
			for (size_t i = 0; i < sizeof(store_files) / sizeof(*store_files); i++)
				unlinkat(d->fd, store_files[i], 0);
	}
	/* Deepest first; each only if it is still the one made. */
	for (size_t i = d->ndirs; i-- > 0;) {
		const struct made_dir *m = &d->dirs[i];
		struct stat st;

		if (fstatat(m->parent, m->name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISDIR(st.st_mode) && st.st_dev == m->dev &&
		    st.st_ino == m->ino)
			unlinkat(m->parent, m->name, AT_REMOVEDIR);
	}
	fsafe_dir_close(d);
}
