/*
 * capture.c — live capture: one pass over /proc fills a graph.
 *
 * The economy rule that keeps this fast: every requested link is read with
 * readlinkat(2), whose "net:[INO]" answer is all a namespace's identity
 * needs; a namespace is opened and asked the nsfs ioctls only the first
 * time it is seen.  Every per-process read goes through one O_PATH fd of
 * /proc/PID, so the kernel resolves short relative names and the hot loop
 * builds no paths.
 *
 * Nothing that one process does (exit, deny access) stops the scan: link
 * errors land in graph_links.err, everything unreadable in graph.gaps, and
 * only a failure of capture itself (no /proc, no memory) is returned.
 */
#include "capture.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "nsfacts.h"
#include "procfs.h"
#include "sockpin.h"

/*
 * The nsfs ioctls (ioctl_ns(2)), spelled out so that the build does not
 * depend on the age of linux/nsfs.h: NS_GET_ID is Linux 6.18's.
 */
#define NSIOC_GET_USERNS    _IO(0xb7, 0x1)
#define NSIOC_GET_PARENT    _IO(0xb7, 0x2)
#define NSIOC_GET_NSTYPE    _IO(0xb7, 0x3)
#define NSIOC_GET_OWNER_UID _IO(0xb7, 0x4)
#define NSIOC_GET_ID        _IOR(0xb7, 13, uint64_t)

/* The GRAPH_HAVE_* bits this capture fills. */
#define CAPTURE_CAN (GRAPH_HAVE_V1 | GRAPH_HAVE_NSFACTS | GRAPH_HAVE_SOCKETS)

/* Link paths below /proc/PID, which are also the gaps' "what". */
static const char *const ns_link_path[NS_NTYPES] = {
	[NS_CGROUP] = "ns/cgroup", [NS_IPC] = "ns/ipc",   [NS_MNT] = "ns/mnt",
	[NS_NET] = "ns/net",       [NS_PID] = "ns/pid",   [NS_TIME] = "ns/time",
	[NS_USER] = "ns/user",     [NS_UTS] = "ns/uts",
};

/* Capture's own bookkeeping per graph namespace, parallel to graph.ns. */
#define NS_QUERIED     0x01u /* opened and asked the ioctls */
#define NS_MOUNTS_READ 0x02u /* a member's mountinfo was read (mnt only) */

struct capture {
	const struct capture_opts *opts;
	struct graph *g;
	const char *proc_root;
	int procfd;
	uint32_t collect;          /* GRAPH_HAVE_* */
	uint32_t link_types;       /* NS_TYPE_BIT set read from every ns/ */
	uint64_t nsfs_dev;
	bool lacks_ns_get_id;      /* the kernel said ENOTTY/EINVAL once */
	bool lacks_openat2;
	uint8_t *ns_state;         /* NS_QUERIED | NS_MOUNTS_READ */
	size_t ns_state_cap;
	struct procfs_buf text;    /* status, uid_map, gid_map */
	struct procfs_buf mountinfo;
	int32_t pid;               /* the process being captured */
	bool warned;               /* about it, already */
	struct sockpin *sockpin;   /* GRAPH_HAVE_SOCKETS (sockpin.h) */
};

static int capture_query(struct capture *c, uint32_t idx, int fd);

/* ---- errors ----------------------------------------------------------- */

/* What a process that exits under our feet produces: normal, silent. */
static bool err_is_vanished(int err)
{
	return err == ENOENT || err == ESRCH;
}

static void capture_warn(struct capture *c, int32_t tid, int err,
			 const char *what)
{
	char msg[PATH_MAX + 128], ebuf[128];

	if (!c->opts->warn || c->warned)
		return;
	c->warned = true;
	/* One message per process, so name the ns directory, not a link. */
	int wlen = strncmp(what, "ns/", 3) == 0 ? 2 : (int)strlen(what);
	const char *sep = wlen ? "/" : "";
	const char *etext = strerror_r(err, ebuf, sizeof(ebuf));

	if (!c->pid) /* the listing itself */
		snprintf(msg, sizeof(msg), "cannot list %s: %s", c->proc_root,
			 etext);
	else if (tid)
		snprintf(msg, sizeof(msg), "cannot read %s/%" PRId32 "/task/%"
			 PRId32 "%s%.*s: %s", c->proc_root, c->pid, tid, sep,
			 wlen, what, etext);
	else
		snprintf(msg, sizeof(msg), "cannot read %s/%" PRId32 "%s%.*s: %s",
			 c->proc_root, c->pid, sep, wlen, what, etext);
	c->opts->warn(c->opts->warn_ctx, msg);
}

/*
 * Record that WHAT (below /proc/PID, or /proc/PID/task/TID when TID is not
 * 0; "" for the directory itself) could not be read.  0 or -ENOMEM.
 */
static int capture_gap(struct capture *c, int32_t tid, int err,
		       const char *what)
{
	int rc = graph_gap_add(c->g, c->pid, tid, err, what);

	if (rc)
		return rc;
	if (!err_is_vanished(err))
		capture_warn(c, tid, err, what);
	return 0;
}

/*
 * A link below DIRFD answered EACCES.  That is also what the kernel says
 * when the task behind a /proc directory we hold open has been reaped
 * meanwhile; the reference, which opens the full path each time, would
 * have seen ENOENT then.  Tell the two apart by looking the process up
 * again.
 */
static int link_errno(int nsfd, int err)
{
	struct stat st;

	/* Looking a link up needs no ptrace access, only a live task. */
	if (err == EACCES && fstatat(nsfd, "user", &st, AT_SYMLINK_NOFOLLOW) < 0 &&
	    err_is_vanished(errno))
		return ENOENT;
	return err;
}

/* ---- namespaces ------------------------------------------------------- */

/* graph_ns_add, keeping ns_state as long as graph.ns. */
static int capture_ns_add(struct capture *c, struct ns_key key, unsigned type,
			  uint32_t *idx)
{
	uint32_t i = graph_ns_add(c->g, key, type, NULL);

	if (i == GRAPH_NONE)
		return -ENOMEM;
	if (i >= c->ns_state_cap) {
		size_t ncap = c->ns_state_cap ? c->ns_state_cap * 2 : 256;
		while (ncap <= i)
			ncap *= 2;
		uint8_t *p = realloc(c->ns_state, ncap);
		if (!p)
			return -ENOMEM;
		memset(p + c->ns_state_cap, 0, ncap - c->ns_state_cap);
		c->ns_state = p;
		c->ns_state_cap = ncap;
	}
	*idx = i;
	return 0;
}

/* NS_GET_NSTYPE of FD as an enum ns_type, or FALLBACK. */
static int nstype_of(int fd, int fallback)
{
	int flag = ioctl(fd, NSIOC_GET_NSTYPE);
	int type = flag < 0 ? -1 : ns_type_from_clone_flag(flag);

	return type < 0 ? fallback : type;
}

/*
 * FD was opened where a namespace of TYPE (-1: unknown) was named, with
 * inode *EXPECT_INO when the name said (NULL when it did not).  Index the
 * namespace FD really is, querying it if new: a name can go stale between
 * readlink and open (a setns, a reused fd number, an over-mount), and the
 * open is then the later truth.  *idx = GRAPH_NONE with *why = errno (or
 * ENOTTY, what the ioctls would say) when FD is no namespace.  Closes FD.
 */
static int capture_adopt(struct capture *c, int fd, int type,
			 const uint64_t *expect_ino, uint32_t *idx, int32_t *why)
{
	struct stat st;
	int rc = 0;

	*idx = GRAPH_NONE;
	*why = 0;
	if (fstat(fd, &st) < 0) {
		*why = errno;
		goto out;
	}
	if ((uint64_t)st.st_dev != c->nsfs_dev) {
		*why = ENOTTY;
		goto out;
	}

	struct ns_key key = { .dev = st.st_dev, .ino = st.st_ino };
	uint32_t i = graph_ns_find(c->g, key);
	if (i == GRAPH_NONE) {
		if (!expect_ino || *expect_ino != key.ino)
			type = nstype_of(fd, type);
		if (type < 0) {
			*why = ENOTTY;
			goto out;
		}
		rc = capture_ns_add(c, key, (unsigned)type, &i);
		if (rc)
			goto out;
	}
	if (!(c->ns_state[i] & NS_QUERIED))
		rc = capture_query(c, i, fd);
	*idx = i;
out:
	close(fd);
	return rc;
}

/*
 * Follow REQ (NS_GET_USERNS or NS_GET_PARENT) from the namespace open on FD:
 * the answer's index in *idx and 0 in *err, or GRAPH_NONE and the errno
 * (EPERM: out of sight).  The answer is of type IMPLIED unless the kernel
 * says otherwise.
 */
static int capture_relative(struct capture *c, int fd, unsigned long req,
			    int implied, uint32_t *idx, int32_t *err)
{
	int rfd = ioctl(fd, req);

	if (rfd < 0) {
		*idx = GRAPH_NONE;
		*err = errno;
		return 0;
	}
	return capture_adopt(c, rfd, implied, NULL, idx, err);
}

/*
 * Ask the nsfs ioctls about namespace IDX, open on FD; owners and parents
 * seen for the first time are added and asked in turn, up to the top.
 * graph_ns_add may move graph.ns: only indexes are held across calls.
 */
static int capture_query(struct capture *c, uint32_t idx, int fd)
{
	struct graph *g = c->g;
	unsigned type = g->ns[idx].type;
	uint32_t rel;
	int32_t err;
	int rc;

	c->ns_state[idx] |= NS_QUERIED;

	if (!c->lacks_ns_get_id) {
		uint64_t id;
		if (ioctl(fd, NSIOC_GET_ID, &id) == 0) {
			g->ns[idx].kernel_id = id;
			g->ns[idx].flags |= GRAPH_NS_HAS_ID;
		} else if (errno == ENOTTY || errno == EINVAL) {
			c->lacks_ns_get_id = true;
		}
	}
	if (type == NS_USER) {
		uid_t uid;
		if (ioctl(fd, NSIOC_GET_OWNER_UID, &uid) == 0) {
			g->ns[idx].creator_uid = uid;
			g->ns[idx].flags |= GRAPH_NS_HAS_CREATOR;
		}
	}
	if (c->collect & GRAPH_HAVE_OWNERS) {
		rc = capture_relative(c, fd, NSIOC_GET_USERNS, NS_USER, &rel, &err);
		if (rc)
			return rc;
		g->ns[idx].owner = rel;
		g->ns[idx].owner_err = err;
	}
	if ((c->collect & GRAPH_HAVE_PARENTS) &&
	    (type == NS_PID || type == NS_USER)) {
		rc = capture_relative(c, fd, NSIOC_GET_PARENT, (int)type, &rel,
				      &err);
		if (rc)
			return rc;
		g->ns[idx].parent = rel;
		g->ns[idx].parent_err = err;
	}
	return 0;
}

/*
 * The namespace that NAME (a link below DIRFD) named as TYPE:[INO].  Known
 * ones cost nothing; a new one is opened through NAME with OFLAGS and
 * queried.  When that open fails (the process exited, the fd was closed),
 * the readlink answer is kept unqueried and the next sighting retries.
 */
static int capture_named_ns(struct capture *c, int type, uint64_t ino,
			    int dirfd, const char *name, int oflags,
			    uint32_t *out)
{
	struct ns_key key = { .dev = c->nsfs_dev, .ino = ino };
	uint32_t idx = graph_ns_find(c->g, key);
	int rc;

	if (idx != GRAPH_NONE && (c->ns_state[idx] & NS_QUERIED)) {
		*out = idx;
		return 0;
	}
	int fd = openat(dirfd, name, oflags);
	if (fd >= 0) {
		int32_t why;
		rc = capture_adopt(c, fd, type, &ino, &idx, &why);
		if (rc)
			return rc;
	}
	if (idx == GRAPH_NONE) {
		rc = capture_ns_add(c, key, (unsigned)type, &idx);
		if (rc)
			return rc;
	}
	*out = idx;
	return 0;
}

/* sockpin_ops.adopt: a socket's network namespace, as any other. */
static int capture_adopt_netns(void *ctx, int nsfd, uint32_t *idx)
{
	int32_t why;

	return capture_adopt(ctx, nsfd, NS_NET, NULL, idx, &why);
}

/* ---- links ------------------------------------------------------------ */

/* A *_for_children link: absent or unreadable (no child forked yet) is
 * normal and leaves GRAPH_NONE, without a gap. */
static int capture_child_link(struct capture *c, int dirfd, const char *name,
			      int type, uint32_t *out)
{
	char buf[64];
	uint64_t ino;
	ssize_t n = readlinkat(dirfd, name, buf, sizeof(buf));

	*out = GRAPH_NONE;
	if (n <= 0 || (size_t)n >= sizeof(buf) ||
	    procfs_parse_nslink(buf, (size_t)n, &ino) != type)
		return 0;
	return capture_named_ns(c, type, ino, dirfd, name, O_RDONLY | O_CLOEXEC,
				out);
}

/* The links in NSFD, the ns directory of /proc/PID (TID 0) or of
 * /proc/PID/task/TID.  Read relative to the ns directory itself: one path
 * component per link instead of two, on the hottest loop of a scan. */
static int capture_links(struct capture *c, int nsfd, int32_t tid,
			 struct graph_links *out)
{
	struct graph_links links;
	int rc;

	graph_links_init(&links);
	for (unsigned t = 0; t < NS_NTYPES; t++) {
		char buf[64];
		uint64_t ino;
		int err = 0;

		if (!(c->link_types & NS_TYPE_BIT(t)))
			continue;
		ssize_t n = readlinkat(nsfd, ns_type_name(t), buf, sizeof(buf));
		if (n < 0)
			err = link_errno(nsfd, errno);
		else if ((size_t)n >= sizeof(buf) ||
			 procfs_parse_nslink(buf, (size_t)n, &ino) != (int)t)
			err = EINVAL;
		if (err) {
			links.err[t] = err;
			rc = capture_gap(c, tid, err, ns_link_path[t]);
			if (rc)
				return rc;
			continue;
		}
		rc = capture_named_ns(c, (int)t, ino, nsfd, ns_type_name(t),
				      O_RDONLY | O_CLOEXEC, &links.ns[t]);
		if (rc)
			return rc;
		links.err[t] = 0;
	}
	if (c->collect & GRAPH_HAVE_PINS) {
		rc = capture_child_link(c, nsfd, "pid_for_children", NS_PID,
					&links.pid_for_children);
		if (!rc)
			rc = capture_child_link(c, nsfd, "time_for_children",
						NS_TIME, &links.time_for_children);
		if (rc)
			return rc;
	}
	*out = links;
	return 0;
}

/* ---- per-process files ------------------------------------------------ */

/* comm without its newline, in the arena; NULL (and a gap) if unreadable. */
static int capture_comm(struct capture *c, int dirfd, int32_t tid,
			const char **out)
{
	char buf[128];
	ssize_t n = procfs_read_line(dirfd, "comm", buf, sizeof(buf));

	*out = NULL;
	if (n < 0)
		return capture_gap(c, tid, (int)-n, "comm");
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	*out = graph_strndup(c->g, buf, (size_t)n);
	return *out ? 0 : -ENOMEM;
}

static int capture_stat(struct capture *c, int dirfd, size_t pi)
{
	struct stat st;
	/* The longest stat line is ~1 KiB: 52 numbers after a 64-byte comm. */
	char buf[2048];
	int32_t ppid;
	uint64_t start_time;

	if (fstat(dirfd, &st) == 0)
		c->g->procs[pi].uid = st.st_uid;
	ssize_t n = procfs_read_line(dirfd, "stat", buf, sizeof(buf));
	if (n < 0)
		return capture_gap(c, 0, (int)-n, "stat");
	if (procfs_parse_stat(buf, (size_t)n, &ppid, &start_time) < 0)
		return capture_gap(c, 0, EINVAL, "stat");
	c->g->procs[pi].ppid = ppid;
	c->g->procs[pi].start_time = start_time;
	return 0;
}

static int capture_nstgid(struct capture *c, int dirfd, size_t pi)
{
	size_t vlen;
	int rc = procfs_read_upto(dirfd, "status", &c->text, "NStgid:");

	if (rc == -ENOMEM)
		return rc;
	if (rc < 0) {
		c->g->procs[pi].status_err = -rc;
		return capture_gap(c, 0, -rc, "status");
	}
	c->g->procs[pi].status_err = 0;
	const char *v = procfs_status_value(c->text.data, c->text.len,
					    "NStgid:", &vlen);
	if (v) {
		const char *s = graph_strndup(c->g, v, vlen);
		if (!s)
			return -ENOMEM;
		c->g->procs[pi].nstgid = s;
	}
	return 0;
}

/*
 * uid_map and gid_map of user namespace USERNS, raw, from the first member
 * whose files can be read: the reference moves on to the next member too.
 */
static int capture_maps(struct capture *c, int dirfd, int32_t tid,
			uint32_t userns)
{
	static const char *const map_name[2] = { "uid_map", "gid_map" };

	if (userns == GRAPH_NONE)
		return 0;
	for (int k = 0; k < 2; k++) {
		struct graph_ns *ns = &c->g->ns[userns];
		if (k ? ns->gid_map : ns->uid_map)
			continue;
		int rc = procfs_read_all(dirfd, map_name[k], &c->text);
		if (rc == -ENOMEM)
			return rc;
		if (rc < 0) {
			rc = capture_gap(c, tid, -rc, map_name[k]);
			if (rc)
				return rc;
			continue;
		}
		const char *s = graph_strndup(c->g, c->text.data, c->text.len);
		if (!s)
			return -ENOMEM;
		/* graph_strndup does not move graph.ns, but be explicit. */
		ns = &c->g->ns[userns];
		if (k)
			ns->gid_map = s;
		else
			ns->uid_map = s;
	}
	return 0;
}

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
static int capture_mounts(struct capture *c, int dirfd, int32_t tid,
			  uint32_t mntns)
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
static int capture_fds(struct capture *c, int dirfd, size_t pi)
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
		int lerr = n < 0 ? link_errno(dirfd, errno) : 0;
		if (lerr == EACCES) {
			/* The ptrace check is per process: the directory
			 * listed, but none of its links will read. */
			err = EACCES;
			break;
		}
		if (lerr && !err_is_vanished(lerr)) {
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

/* One entry of /proc/PID/task: graph.tasks[ti]. */
static int capture_task(struct capture *c, int taskfd, const char *name,
			int32_t tid, size_t ti)
{
	struct graph *g = c->g;
	struct graph_links links;
	const char *comm;
	int rc;

	int dirfd = openat(taskfd, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		int err = errno;
		for (unsigned t = 0; t < NS_NTYPES; t++)
			if (c->link_types & NS_TYPE_BIT(t))
				g->tasks[ti].links.err[t] = err;
		return capture_gap(c, tid, err, "");
	}
	int nsfd = openat(dirfd, "ns", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (nsfd < 0) {
		int err = errno;
		for (unsigned t = 0; t < NS_NTYPES; t++)
			if (c->link_types & NS_TYPE_BIT(t))
				g->tasks[ti].links.err[t] = err;
		rc = capture_gap(c, tid, err, "ns");
		goto out;
	}
	rc = capture_links(c, nsfd, tid, &links);
	close(nsfd);
	if (rc)
		goto out;
	g->tasks[ti].links = links;
	if (c->collect & GRAPH_HAVE_COMM) {
		rc = capture_comm(c, dirfd, tid, &comm);
		if (rc)
			goto out;
		g->tasks[ti].comm = comm;
	}
	/* A thread can sit in a mount namespace of its own (setns after
	 * unshare(CLONE_FS)); its user namespace is the process's, but the
	 * leader may be a zombie whose files are gone. */
	if (c->collect & GRAPH_HAVE_PINS) {
		rc = capture_mounts(c, dirfd, tid, links.ns[NS_MNT]);
		if (rc)
			goto out;
	}
	if (c->collect & GRAPH_HAVE_MAPS)
		rc = capture_maps(c, dirfd, tid, links.ns[NS_USER]);
out:
	close(dirfd);
	return rc;
}

/* /proc/PID/task, appended as graph.procs[pi]'s slice of graph.tasks. */
static int capture_tasks(struct capture *c, int dirfd, size_t pi)
{
	struct graph *g = c->g;
	struct procfs_dir dir;
	_Alignas(struct dirent64) char dents[4096];
	size_t first = g->ntasks;
	int rc, err = 0;

	rc = procfs_dir_open(&dir, dirfd, "task", dents, sizeof(dents));
	if (rc < 0) {
		err = -rc;
		rc = 0;
		goto out;
	}
	for (;;) {
		int32_t tid;
		const char *name = procfs_dir_next(&dir, &err);

		if (!name)
			break;
		if (!procfs_parse_pid(name, &tid))
			continue;
		if (!graph_task_append(g, tid)) {
			rc = -ENOMEM;
			break;
		}
		size_t ti = g->ntasks - 1;
		if (tid == g->procs[pi].pid) {
			/*
			 * /proc/ID/task/ID is the very task /proc/ID shows,
			 * and /proc/ID/ns is what the reference reads for it:
			 * reuse instead of reading it all again (for most
			 * processes this is their only thread).
			 */
			g->tasks[ti].links = g->procs[pi].links;
			g->tasks[ti].comm = g->procs[pi].comm;
			continue;
		}
		rc = capture_task(c, dir.fd, name, tid, ti);
		if (rc)
			break;
	}
	procfs_dir_close(&dir);
	if (rc)
		return rc;
out:
	g->procs[pi].first_task = (uint32_t)first;
	g->procs[pi].ntasks = (uint32_t)(g->ntasks - first);
	g->procs[pi].task_err = err;
	return err ? capture_gap(c, 0, err, "task") : 0;
}

/* /proc/NAME could not be opened: the process is gone (or hidden). */
static int capture_missing(struct capture *c, size_t pi, int err)
{
	struct graph_proc *p = &c->g->procs[pi];

	for (unsigned t = 0; t < NS_NTYPES; t++)
		if (c->link_types & NS_TYPE_BIT(t))
			p->links.err[t] = err;
	if (c->collect & GRAPH_HAVE_NSTGID)
		p->status_err = err;
	if (c->collect & GRAPH_HAVE_TASKS)
		p->task_err = err;
	if (c->collect & GRAPH_HAVE_PINS)
		p->fd_err = err;
	return capture_gap(c, 0, err, "");
}

/* Whether anything beyond the ns links is wanted of a process. */
static bool wants_process_dir(const struct capture *c, const struct graph_links *l)
{
	const uint32_t needs_dir = GRAPH_HAVE_STAT | GRAPH_HAVE_COMM |
				   GRAPH_HAVE_NSTGID | GRAPH_HAVE_PINS |
				   GRAPH_HAVE_TASKS;

	if (c->collect & needs_dir)
		return true;
	/* Maps are read once per user namespace, from its first member. */
	uint32_t u = l->ns[NS_USER];
	return (c->collect & GRAPH_HAVE_MAPS) && u != GRAPH_NONE &&
	       (!c->g->ns[u].uid_map || !c->g->ns[u].gid_map);
}

/* One process (or thread, by TID) named NAME in /proc. */
static int capture_process(struct capture *c, const char *name, int32_t pid,
			   uint32_t flags)
{
	struct graph *g = c->g;
	struct graph_links links;
	const char *comm;
	char path[32];
	int rc;

	if (!graph_proc_append(g, pid))
		return -ENOMEM;
	size_t pi = g->nprocs - 1;
	g->procs[pi].flags = flags;
	c->pid = pid;
	c->warned = false;

	/* Links first: they are what the reference reads, and the sooner
	 * after the listing, the fewer processes have vanished.  The ns
	 * directory is opened straight away: a default view needs nothing
	 * else of most processes. */
	snprintf(path, sizeof(path), "%s/ns", name);
	int nsfd = openat(c->procfd, path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (nsfd < 0)
		return capture_missing(c, pi, errno);
	rc = capture_links(c, nsfd, 0, &links);
	close(nsfd);
	if (rc)
		return rc;
	g->procs[pi].links = links;
	if (!wants_process_dir(c, &links))
		return 0;

	int dirfd = openat(c->procfd, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		/* Gone between its links and the rest: keep the links. */
		struct graph_links kept = g->procs[pi].links;
		rc = capture_missing(c, pi, errno);
		g->procs[pi].links = kept;
		return rc;
	}
	if (c->collect & GRAPH_HAVE_STAT) {
		rc = capture_stat(c, dirfd, pi);
		if (rc)
			goto out;
	}
	if (c->collect & GRAPH_HAVE_COMM) {
		rc = capture_comm(c, dirfd, 0, &comm);
		if (rc)
			goto out;
		g->procs[pi].comm = comm;
	}
	if (c->collect & GRAPH_HAVE_NSTGID) {
		rc = capture_nstgid(c, dirfd, pi);
		if (rc)
			goto out;
	}
	if (c->collect & GRAPH_HAVE_PINS) {
		rc = capture_fds(c, dirfd, pi);
		if (!rc)
			rc = capture_mounts(c, dirfd, 0, links.ns[NS_MNT]);
		if (rc)
			goto out;
	}
	if (c->collect & GRAPH_HAVE_MAPS) {
		rc = capture_maps(c, dirfd, 0, links.ns[NS_USER]);
		if (rc)
			goto out;
	}
	if (c->collect & GRAPH_HAVE_TASKS)
		rc = capture_tasks(c, dirfd, pi);
out:
	close(dirfd);
	return rc;
}

/* ---- the pass --------------------------------------------------------- */

/* The set of IDs captured so far, so that opts->ids adds each only once. */
struct idset {
	int64_t *slot; /* IDSET_EMPTY or an int32_t ID */
	size_t mask;
};

#define IDSET_EMPTY INT64_MIN

static int idset_init(struct idset *s, size_t n)
{
	size_t cap = 16;

	while (cap < 2 * n)
		cap *= 2;
	s->slot = malloc(cap * sizeof(*s->slot));
	if (!s->slot)
		return -ENOMEM;
	for (size_t i = 0; i < cap; i++)
		s->slot[i] = IDSET_EMPTY;
	s->mask = cap - 1;
	return 0;
}

/* True when ID was not in the set yet.  At most half full by idset_init. */
static bool idset_insert(struct idset *s, int32_t id)
{
	size_t i = ((uint32_t)id * 2654435761u) & s->mask;

	while (s->slot[i] != IDSET_EMPTY) {
		if (s->slot[i] == id)
			return false;
		i = (i + 1) & s->mask;
	}
	s->slot[i] = id;
	return true;
}

/* The /proc listing: every entry that names a process, in readdir order. */
static int capture_listing(struct capture *c, DIR *listing)
{
	for (;;) {
		int32_t pid;

		errno = 0;
		struct dirent *de = readdir(listing);
		if (!de) {
			if (!errno)
				return 0;
			/* An incomplete listing is a gap of /proc itself. */
			c->pid = 0;
			c->warned = false;
			return capture_gap(c, 0, errno, "");
		}
		if (!procfs_parse_pid(de->d_name, &pid))
			continue;
		if (c->opts->skip_self && pid == c->g->meta.capturer_pid)
			continue;
		int rc = capture_process(c, de->d_name, pid, GRAPH_PROC_LISTED);
		if (rc)
			return rc;
	}
}

static int capture_ids(struct capture *c)
{
	const struct capture_opts *opts = c->opts;
	struct idset seen;
	int rc;

	if (!opts->nids)
		return 0;
	rc = idset_init(&seen, c->g->nprocs + opts->nids);
	if (rc)
		return rc;
	for (size_t i = 0; i < c->g->nprocs; i++)
		idset_insert(&seen, c->g->procs[i].pid);
	for (size_t i = 0; i < opts->nids && !rc; i++) {
		char name[16];

		if (!idset_insert(&seen, opts->ids[i]))
			continue;
		snprintf(name, sizeof(name), "%" PRId32, opts->ids[i]);
		rc = capture_process(c, name, opts->ids[i], 0);
	}
	free(seen.slot);
	return rc;
}

static int64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int capture_meta(struct capture *c)
{
	struct graph_meta *m = &c->g->meta;
	struct utsname uts;
	struct stat st;
	char buf[64];

	/* Our PID as this /proc numbers it, which is not getpid() when /proc
	 * belongs to another PID namespace than ours. */
	ssize_t len = readlinkat(c->procfd, "self", buf, sizeof(buf) - 1);
	int32_t self;
	buf[len > 0 ? len : 0] = '\0';
	m->capturer_pid = procfs_parse_pid(buf, &self) ? self : getpid();
	m->collected = c->collect;
	m->types_present = capture_types_present(c->proc_root);
	if (uname(&uts) == 0) {
		m->hostname = graph_strdup(c->g, uts.nodename);
		m->kernel = graph_strdup(c->g, uts.release);
		if (!m->hostname || !m->kernel)
			return -ENOMEM;
	}
	ssize_t n = procfs_read_line(c->procfd, "sys/kernel/random/boot_id",
				      buf, sizeof(buf));
	if (n > 0) {
		while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
			n--;
		m->boot_id = graph_strndup(c->g, buf, (size_t)n);
		if (!m->boot_id)
			return -ENOMEM;
	}
	/*
	 * All namespace files live on the one nsfs superblock; links only
	 * give the inode, this gives the device.  A kernel without user
	 * namespaces still has the other links.
	 */
	int selfns = openat(c->procfd, "self/ns", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (selfns >= 0) {
		if (fstatat(selfns, "user", &st, 0) == 0) {
			m->nsfs_dev = st.st_dev;
		} else {
			for (unsigned t = 0; t < NS_NTYPES; t++) {
				if (fstatat(selfns, ns_type_name(t), &st, 0) == 0) {
					m->nsfs_dev = st.st_dev;
					break;
				}
			}
		}
		close(selfns);
	}
	c->nsfs_dev = m->nsfs_dev;
	return 0;
}

int capture_live(const struct capture_opts *opts, struct graph **out)
{
	struct capture c = { .opts = opts, .procfd = -1 };
	DIR *listing = NULL;
	int rc;

	if (!opts || !out)
		return -EINVAL;
	*out = NULL;
	/* What this capture can collect; a bit it cannot fill is not
	 * claimed, so a view never trusts an empty field. */
	c.collect = opts->collect & CAPTURE_CAN;
	c.proc_root = opts->proc_root ? opts->proc_root : "/proc";
	c.g = graph_new();
	if (!c.g)
		return -ENOMEM;
	c.g->meta.start_ns = realtime_ns();

	c.procfd = open(c.proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c.procfd < 0) {
		rc = -errno;
		goto fail;
	}
	/* Socket pins are pins: found while reading fds (sockpin.h). */
	if (!(c.collect & GRAPH_HAVE_PINS))
		c.collect &= ~GRAPH_HAVE_SOCKETS;
	if (c.collect & GRAPH_HAVE_SOCKETS) {
		struct sockpin_ops so = { capture_adopt_netns, &c, opts->warn,
					  opts->warn_ctx };
		c.sockpin = sockpin_new(&so);
		if (!c.sockpin) {
			rc = -ENOMEM;
			goto fail;
		}
	}
	rc = capture_meta(&c);
	if (rc)
		goto fail;

	/* Bind mounts are found per mount namespace, so pins need mnt. */
	c.link_types = opts->types & NS_ALL_TYPES;
	if (c.collect & GRAPH_HAVE_PINS)
		c.link_types |= NS_TYPE_BIT(NS_MNT);
	/* A link this kernel lacks is not read (and stays ENODATA). */
	if (c.g->meta.types_present)
		c.link_types &= c.g->meta.types_present;

	if (c.collect & GRAPH_HAVE_ALL_PROCS) {
		/* The listing owns procfd from here; openat on it is fine. */
		listing = fdopendir(c.procfd);
		if (!listing) {
			rc = -errno;
			goto fail;
		}
		rc = capture_listing(&c, listing);
		if (rc)
			goto fail;
	}
	rc = capture_ids(&c);
	if (!rc && (c.collect & GRAPH_HAVE_NSFACTS)) /* nsfacts.h */
		rc = nsfacts_collect(c.g, c.proc_root, opts->warn, opts->warn_ctx);
	if (rc)
		goto fail;

	c.g->meta.end_ns = realtime_ns();
	*out = c.g;
	c.g = NULL;
fail:
	if (listing)
		closedir(listing);
	else if (c.procfd >= 0)
		close(c.procfd);
	procfs_buf_free(&c.text);
	procfs_buf_free(&c.mountinfo);
	free(c.ns_state);
	sockpin_free(c.sockpin);
	graph_free(c.g);
	return rc;
}

uint32_t capture_types_present(const char *proc_root)
{
	char path[PATH_MAX];
	struct stat st;
	uint32_t present = 0;

	snprintf(path, sizeof(path), "%s/self/ns", proc_root ? proc_root : "/proc");
	int dirfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return 0;
	for (unsigned t = 0; t < NS_NTYPES; t++)
		if (fstatat(dirfd, ns_type_name(t), &st, AT_SYMLINK_NOFOLLOW) == 0)
			present |= NS_TYPE_BIT(t);
	close(dirfd);
	return present;
}
