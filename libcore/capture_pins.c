/*
 * capture_pins.c — what keeps a namespace alive besides its members.
 *
 * A process's open namespace fds (/proc/PID/fd) and the nsfs bind mounts
 * of each mount namespace (a member's mountinfo, read once per mount
 * namespace).  A mount's namespace is opened the way the reference opens
 * it after setns() into the mount namespace: through the member's root,
 * without setns or threads.
 */
#include "capture_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sockpin.h"

/*
 * Open PATH (absolute, unescaped) as the process below DIRFD sees it: in
 * its mount namespace, through its root, with absolute symlinks kept inside
 * that root (RESOLVE_IN_ROOT) — what the reference gets after setns() into
 * the mount namespace, without setns or threads.  An fd or -errno.
 */
static int open_in_root(struct capture *c, int dirfd, const char *path)
{
	const int oflags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
	int fd = -ENOSYS;
	int rootfd = openat(dirfd, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (rootfd < 0)
		return -errno;
	if (!c->lacks_openat2) {
		struct open_how how = {
			.flags = (uint64_t)oflags, .resolve = RESOLVE_IN_ROOT,
		};
		fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
		if (fd < 0) {
			fd = -errno;
			if (fd == -ENOSYS)
				c->lacks_openat2 = true;
		}
	}
	if (fd == -ENOSYS) {
		while (*path == '/')
			path++;
		fd = openat(rootfd, *path ? path : ".", oflags);
		if (fd < 0)
			fd = -errno;
	}
	close(rootfd);
	return fd;
}

/* One nsfs line of mountinfo: a graph_mount, opening the namespace only if
 * it is new. */
static int capture_mount(struct capture *c, int dirfd, uint32_t mntns,
			 int32_t list_err, const struct procfs_mountinfo *mi)
{
	char path[PATH_MAX];
	uint64_t ino = 0;
	uint32_t ns = GRAPH_NONE;
	int32_t open_err = 0;
	int rc;

	/* The root field is the nsfs dentry's name, e.g. "uts:[4026532271]". */
	int type = procfs_parse_nslink(mi->root, mi->root_len, &ino);
	if (type >= 0)
		ns = graph_ns_find(c->g, (struct ns_key){ c->nsfs_dev, ino });
	if (ns == GRAPH_NONE) {
		ssize_t plen = procfs_unescape(path, sizeof(path), mi->mountpoint,
					       mi->mountpoint_len);
		int fd = plen < 0 ? (int)plen : open_in_root(c, dirfd, path);
		if (fd < 0) {
			open_err = -fd;
		} else {
			rc = capture_adopt(c, fd, type, type >= 0 ? &ino : NULL,
					   &ns, &open_err);
			if (rc)
				return rc;
		}
	}

	const char *raw = graph_strndup(c->g, mi->mountpoint, mi->mountpoint_len);
	if (!raw)
		return -ENOMEM;
	struct graph_mount *m = graph_mount_append(c->g);
	if (!m)
		return -ENOMEM;
	*m = (struct graph_mount){
		.mntns = mntns, .ns = ns, .open_err = open_err,
		.list_err = list_err, .path = raw,
	};
	return 0;
}

/* Whether /proc/thread-self/mountinfo opens inside the mount namespace of
 * the process below DIRFD, as the reference opens it there: 0 or errno. */
static int32_t thread_self_reachable(struct capture *c, int dirfd)
{
	int fd = open_in_root(c, dirfd, "/proc/thread-self/mountinfo");

	if (fd < 0)
		return -fd;
	close(fd);
	return 0;
}

/*
 * The nsfs bind mounts of mount namespace MNTNS, from the mountinfo below
 * DIRFD, once per mount namespace.  A member whose mountinfo cannot be read
 * leaves a gap and the next member tries again.
 */
int capture_mounts(struct capture *c, int dirfd, int32_t tid, uint32_t mntns)
{
	struct procfs_mountinfo mi;

	if (mntns == GRAPH_NONE || (c->ns_state[mntns] & NS_MOUNTS_READ))
		return 0;
	int rc = procfs_read_all(dirfd, "mountinfo", &c->mountinfo);
	if (rc == -ENOMEM)
		return rc;
	if (rc < 0)
		return capture_gap(c, tid, -rc, "mountinfo");
	c->ns_state[mntns] |= NS_MOUNTS_READ;

	const char *end = c->mountinfo.data + c->mountinfo.len;
	int32_t list_err = -1; /* asked at the first nsfs line */
	for (const char *line = c->mountinfo.data; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t len = (size_t)((nl ? nl : end) - line);

		/* Cheap test first: most lines are not nsfs. */
		if (memmem(line, len, "nsfs", 4) &&
		    procfs_parse_mountinfo_line(line, len, &mi) == 0 &&
		    mi.fstype_len == 4 && memcmp(mi.fstype, "nsfs", 4) == 0) {
			if (list_err < 0)
				list_err = thread_self_reachable(c, dirfd);
			rc = capture_mount(c, dirfd, mntns, list_err, &mi);
			if (rc)
				return rc;
		}
		line = nl ? nl + 1 : end;
	}
	return 0;
}

static int fd_cmp(const void *a, const void *b)
{
	const struct graph_fd *x = a, *y = b;

	return (x->fd > y->fd) - (x->fd < y->fd);
}

/* The namespace fds in /proc/PID/fd, as a slice sorted by fd number. */
int capture_fds(struct capture *c, int dirfd, size_t pi)
{
	struct graph *g = c->g;
	struct procfs_dir dir;
	_Alignas(struct dirent64) char dents[4096];
	size_t first = g->nfds;
	bool sorted = true;
	int32_t last = -1;
	int rc = 0, err = 0;

	rc = procfs_dir_open(&dir, dirfd, "fd", dents, sizeof(dents));
	if (rc < 0) {
		err = -rc;
		rc = 0;
		goto out;
	}
	for (;;) {
		char buf[64];
		int32_t fdnum;
		uint64_t ino;
		uint32_t ns;
		const char *name = procfs_dir_next(&dir, &err);

		if (!name)
			break;
		if (!procfs_parse_int32(name, &fdnum))
			continue;
		/* A namespace reads "net:[INO]"; sockets, pipes, anon inodes
		 * and paths do not, and closed fds are gone: all skipped. */
		ssize_t n = readlinkat(dir.fd, name, buf, sizeof(buf));
		int lerr = n < 0 ? capture_link_errno(dirfd, "ns/user", errno) : 0;
		if (lerr == EACCES) {
			/* The ptrace check is per process: the directory
			 * listed, but none of its links will read. */
			err = EACCES;
			break;
		}
		if (lerr && !capture_vanished(lerr)) {
			/* Unknown, not absent: an fd we cannot vouch for. */
			char what[24];
			snprintf(what, sizeof(what), "fd/%" PRId32, fdnum);
			rc = capture_gap(c, 0, lerr, what);
			if (rc)
				break;
			continue;
		}
		if (lerr || (size_t)n >= sizeof(buf))
			continue;
		int type = procfs_parse_nslink(buf, (size_t)n, &ino);
		if (type < 0 && c->sockpin) /* sockets: sockpin.h */
			rc = sockpin_note(c->sockpin, fdnum, buf, (size_t)n);
		if (rc)
			break;
		if (type < 0)
			continue;
		rc = capture_named_ns(c, type, ino, dir.fd, name,
				      O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC,
				      &ns);
		if (rc)
			break;
		struct graph_fd *f = graph_fd_append(g);
		if (!f) {
			rc = -ENOMEM;
			break;
		}
		f->fd = fdnum;
		f->ns = ns;
		sorted = sorted && fdnum > last;
		last = fdnum;
	}
	procfs_dir_close(&dir);
	if (!rc && c->sockpin) { /* socket pins join the slice: re-sort */
		size_t nsfs_end = g->nfds;
		rc = sockpin_flush(c->sockpin, g, pi, dirfd);
		sorted = sorted && g->nfds == nsfs_end;
	}
	if (rc)
		return rc;
out:
	/* The kernel lists fds in order; do not rely on it. */
	if (!sorted)
		qsort(g->fds + first, g->nfds - first, sizeof(*g->fds), fd_cmp);
	g->procs[pi].first_fd = (uint32_t)first;
	g->procs[pi].nfds = (uint32_t)(g->nfds - first);
	g->procs[pi].fd_err = err;
	return err ? capture_gap(c, 0, err, "fd") : 0;
}
