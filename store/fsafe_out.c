/*
 * fsafe_out.c — output files written under fsafe.h's rules: a regular
 * file replaced atomically, a character device or FIFO written as it is,
 * standard output by its usual names, and nothing written through a link
 * or into another user's file.
 */
#include "fsafe.h"
#include "fsafe_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct fsafe_out {
	FILE *f;
	int dirfd;       /* a regular file: its directory; else -1 */
	char *name;      /* ... its name there */
	char *tmp;       /* ... and the temporary file's */
	bool borrowed;   /* F is stdout: flushed, not closed */
	char *shown;     /* for messages */
};

static void out_free(struct fsafe_out *o)
{
	if (o->dirfd >= 0)
		close(o->dirfd);
	free(o->name);
	free(o->tmp);
	free(o->shown);
	free(o);
}

/* Descriptor N when FILE is a name a shell takes for one, else -1. */
static int std_fd(const char *file)
{
	static const char *const prefixes[] = { "/dev/fd/", "/proc/self/fd/" };
	char *end;

	if (!strcmp(file, "-") || !strcmp(file, "/dev/stdout"))
		return STDOUT_FILENO;
	if (!strcmp(file, "/dev/stderr"))
		return STDERR_FILENO;
	for (size_t i = 0; i < 2; i++) {
		size_t n = strlen(prefixes[i]);
		if (strncmp(file, prefixes[i], n) || file[n] < '0' || file[n] > '9')
			continue;
		errno = 0;
		long fd = strtol(file + n, &end, 10);
		if (!*end && !errno && fd <= INT_MAX)
			return (int)fd;
	}
	return -1;
}

static int out_std(struct fsafe_out *o, int fd)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0 || (flags & O_ACCMODE) == O_RDONLY)
		return flags < 0 ? -errno : -EBADF;
	if (fd == STDOUT_FILENO) {
		o->f = stdout;
		o->borrowed = true;
		return 0;
	}
	int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (copy < 0)
		return -errno;
	if (!(o->f = fdopen(copy, "w"))) {
		int ret = -errno;
		close(copy);
		return ret;
	}
	return 0;
}

/* A temporary file beside O->name: NAME.XXXXXX, made O_EXCL. */
static int out_temp(struct fsafe_out *o)
{
	size_t n = strlen(o->name);
	int fd = -1;

	/* Room for the suffix within NAME_MAX. */
	if (n > NAME_MAX - 7)
		n = NAME_MAX - 7;
	if (!(o->tmp = malloc(n + 8)))
		return -ENOMEM;
	memcpy(o->tmp, o->name, n);
	for (int tries = 0; fd < 0 && tries < 100; tries++) {
		static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
					  "abcdefghijklmnopqrstuvwxyz0123456789";
		unsigned char r[6];

		if (getrandom(r, sizeof(r), GRND_NONBLOCK) != sizeof(r)) {
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			for (size_t i = 0; i < sizeof(r); i++)
				r[i] = (unsigned char)((ts.tv_nsec >> (i * 5)) ^
						       getpid() ^ tries);
		}
		o->tmp[n] = '.';
		for (size_t i = 0; i < sizeof(r); i++)
			o->tmp[n + 1 + i] = set[r[i] % (sizeof(set) - 1)];
		o->tmp[n + 7] = '\0';
		fd = openat(o->dirfd, o->tmp,
			    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			    0600);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		free(o->tmp);
		o->tmp = NULL;
		return -errno;
	}
	if (!(o->f = fdopen(fd, "w"))) {
		int ret = -errno;
		close(fd);
		unlinkat(o->dirfd, o->tmp, 0);
		return ret;
	}
	return 0;
}

/* A character device or FIFO, checked as ST: opened as it is, without
 * truncating, and only if it is still the file that was checked. */
static int out_as_is(struct fsafe_out *o, const struct stat *st)
{
	char proc[32];
	struct stat now;
	int path, fd, ret;

	/* O_PATH opens nothing: no driver runs, no FIFO waits. */
	path = openat(o->dirfd, o->name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (path < 0)
		return -errno;
	if (fstat(path, &now)) {
		ret = -errno;
		close(path);
		return ret;
	}
	if (!fsafe_same_file(st, &now)) {
		close(path);
		return fsafe_say(FSAFE_ECHANGED, "%s: replaced while it was being "
			   "opened", o->shown);
	}
	ret = fsafe_proc_name(path, proc, sizeof(proc), o->shown);
	fd = ret ? -1 : open(proc, O_WRONLY | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 && !ret)
		ret = -errno;
	close(path);
	if (ret)
		return ret;
	if (fstat(fd, &now))
		ret = -errno;
	else if (!fsafe_same_file(st, &now))
		ret = fsafe_say(FSAFE_ECHANGED, "%s: replaced while it was being "
			  "opened", o->shown);
	else if (!(o->f = fdopen(fd, "w")))
		ret = -errno;
	if (ret)
		close(fd);
	return ret;
}

/* Split FILE into its directory (walked) and its last name. */
static int out_where(struct fsafe_out *o, const char *file)
{
	const char *slash = strrchr(file, '/');
	const char *base = slash ? slash + 1 : file;
	char *dir = slash ? strndup(file, (size_t)(slash - file) + (slash == file))
			  : strdup(".");
	char *walked;
	int pfd, ret;

	if (!*base || !strcmp(base, ".") || !strcmp(base, "..")) {
		free(dir);
		return -EISDIR;
	}
	if (!dir || !(o->name = strdup(base)))
		ret = -ENOMEM;
	else
		ret = fsafe_walk(dir, NULL, &pfd, &walked);
	free(dir);
	if (ret)
		return ret;
	free(walked);
	o->dirfd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	close(pfd);
	return o->dirfd < 0 ? -errno : 0;
}

int fsafe_out_open(const char *file, struct fsafe_out **out)
{
	struct fsafe_out *o = calloc(1, sizeof(*o));
	struct stat st;
	int fd, ret;

	*out = NULL;
	if (!o)
		return -ENOMEM;
	o->dirfd = -1;
	if (!file || !*file) {
		ret = -EINVAL;
		goto fail;
	}
	fd = std_fd(file);
	o->shown = strdup(fd == STDOUT_FILENO ? "standard output" : file);
	if (!o->shown) {
		ret = -ENOMEM;
		goto fail;
	}
	if (fd >= 0) {
		ret = out_std(o, fd);
		goto done;
	}
	ret = out_where(o, file);
	if (ret)
		goto fail;
	if (fstatat(o->dirfd, o->name, &st, AT_SYMLINK_NOFOLLOW)) {
		if (errno != ENOENT) {
			ret = -errno;
			goto fail;
		}
		ret = out_temp(o);
		goto done;
	}
	if (S_ISLNK(st.st_mode)) {
		ret = fsafe_say(FSAFE_ESYMLINK, "%s: a symbolic link: refusing to "
			  "write through it (name the file itself, or - for "
			  "standard output)", file);
	} else if (S_ISDIR(st.st_mode)) {
		ret = -EISDIR;
	} else if (st.st_uid != geteuid() && st.st_uid != 0) {
		ret = fsafe_say_owner(file, &st, FSAFE_JOB_OUTPUT);
	} else if (S_ISREG(st.st_mode)) {
		ret = out_temp(o);
	} else if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode)) {
		ret = out_as_is(o, &st);
	} else {
		ret = fsafe_say(FSAFE_ETYPE, "%s: %s: refusing to write to it (only "
			  "regular files, character devices and FIFOs are "
			  "written)", file, fsafe_kind(st.st_mode));
	}
done:
	if (ret)
		goto fail;
	*out = o;
	return 0;
fail:
	if (o->f && !o->borrowed)
		fclose(o->f);
	out_free(o);
	return ret;
}

FILE *fsafe_out_file(struct fsafe_out *o)
{
	return o->f;
}

const char *fsafe_out_name(const struct fsafe_out *o)
{
	return o->shown;
}

int fsafe_out_commit(struct fsafe_out *o)
{
	int ret = 0;

	if (fflush(o->f) || ferror(o->f))
		ret = -(errno ? errno : EIO);
	/* Only a file that is renamed into place needs to be on disk first;
	 * a device or FIFO has no such step (and fsync() fails on some). */
	if (!ret && o->tmp && fsync(fileno(o->f)))
		ret = -errno;
	if (!o->borrowed && fclose(o->f) && !ret)
		ret = -errno;
	o->f = NULL;
	if (!ret && o->tmp && renameat(o->dirfd, o->tmp, o->dirfd, o->name))
		ret = -errno;
	if (ret && o->tmp)
		unlinkat(o->dirfd, o->tmp, 0);
	else if (o->tmp && fsync(o->dirfd))
		ret = -errno;
	out_free(o);
	return ret;
}

void fsafe_out_abort(struct fsafe_out *o)
{
	if (!o)
		return;
	if (o->f && !o->borrowed)
		fclose(o->f);
	else if (o->f)
		fflush(o->f);
	if (o->tmp)
		unlinkat(o->dirfd, o->tmp, 0);
	out_free(o);
}
