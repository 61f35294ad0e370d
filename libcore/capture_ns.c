/*
 * capture_ns.c — namespaces as capture meets them.
 *
 * The economy rule that keeps capture fast: every requested link is read
 * with readlinkat(2), whose "net:[INO]" answer is all a namespace's
 * identity needs; a namespace is opened and asked the nsfs ioctls only
 * the first time it is seen, and its owners and parents are followed up
 * to the top then.  A file opened where a namespace was named is checked
 * (fstat) to be the namespace it claimed, and adopted as what it is.
 */
#include "capture_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * The nsfs ioctls (ioctl_ns(2)), spelled out so that the build does not
 * depend on the age of linux/nsfs.h: NS_GET_ID is Linux 6.18's.
 */
#define NSIOC_GET_USERNS    _IO(0xb7, 0x1)
#define NSIOC_GET_PARENT    _IO(0xb7, 0x2)
#define NSIOC_GET_NSTYPE    _IO(0xb7, 0x3)
#define NSIOC_GET_OWNER_UID _IO(0xb7, 0x4)
#define NSIOC_GET_ID        _IOR(0xb7, 13, uint64_t)

/* Link paths below /proc/PID, which are also the gaps' "what". */
static const char *const ns_link_path[NS_NTYPES] = {
	[NS_CGROUP] = "ns/cgroup", [NS_IPC] = "ns/ipc",   [NS_MNT] = "ns/mnt",
	[NS_NET] = "ns/net",       [NS_PID] = "ns/pid",   [NS_TIME] = "ns/time",
	[NS_USER] = "ns/user",     [NS_UTS] = "ns/uts",
};

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

static int capture_query(struct capture *c, uint32_t idx, int fd);

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
int capture_adopt(struct capture *c, int fd, int type,
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
int capture_named_ns(struct capture *c, int type, uint64_t ino, int dirfd,
		     const char *name, int oflags, uint32_t *out)
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

/* The *_for_children links below the ns directory, and below its parent. */
static const char *const child_link[2][2] = {
	{ "pid_for_children", "time_for_children" },
	{ "ns/pid_for_children", "ns/time_for_children" },
};

int capture_links(struct capture *c, int fd, bool in_pid_dir, int32_t tid,
		  struct graph_links *out)
{
	const char *probe = in_pid_dir ? "ns/user" : "user";
	struct graph_links links;
	int rc;

	graph_links_init(&links);
	for (unsigned t = 0; t < NS_NTYPES; t++) {
		char buf[64];
		uint64_t ino;
		int err = 0;

		if (!(c->link_types & NS_TYPE_BIT(t)))
			continue;
		const char *name = in_pid_dir ? ns_link_path[t] : ns_type_name(t);
		ssize_t n = readlinkat(fd, name, buf, sizeof(buf));
		if (n < 0)
			err = capture_link_errno(fd, probe, errno);
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
		rc = capture_named_ns(c, (int)t, ino, fd, name,
				      O_RDONLY | O_CLOEXEC, &links.ns[t]);
		if (rc)
			return rc;
		links.err[t] = 0;
	}
	if (c->collect & GRAPH_HAVE_PINS) {
		rc = capture_child_link(c, fd, child_link[in_pid_dir][0],
					NS_PID, &links.pid_for_children);
		if (!rc)
			rc = capture_child_link(c, fd, child_link[in_pid_dir][1],
						NS_TIME, &links.time_for_children);
		if (rc)
			return rc;
	}
	*out = links;
	return 0;
}
