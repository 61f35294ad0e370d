/*
 * sockpin.c — network namespaces held alive by sockets.
 *
 * The costly step is pidfd_getfd() + SIOCGSKNS, so it is taken at most
 * once per socket inode per capture (a table remembers inode -> namespace)
 * and a process gets one pidfd, opened only when one of its sockets is new.
 * Everything the kernel refuses is a gap, never a failure: ENOSYS (before
 * Linux 5.6) and EPERM (no ptrace rights, or no CAP_NET_ADMIN over the
 * socket's namespace) are also told once through the warn callback.
 */
#include "sockpin.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SIOCGSKNS
#define SIOCGSKNS 0x894C
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

/* A socket fd noted in /proc/PID/fd. */
struct noted {
	int32_t fd;
	uint64_t ino;
};

/* Socket inode -> graph namespace index, open addressing; ino 0 is free
 * (sockfs never hands out inode 0). */
struct slot {
	uint64_t ino;
	uint32_t ns;
};

struct sockpin {
	struct sockpin_ops ops;
	struct noted *noted;
	size_t nnoted, cap_noted;
	struct slot *slots;
	size_t nslots, mask;   /* mask + 1 slots, at most half full */
	bool warned;           /* the warn callback was told, once */
	bool lacks_pidfd;      /* ENOSYS: no point asking again */
};

struct sockpin *sockpin_new(const struct sockpin_ops *ops)
{
	struct sockpin *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->ops = *ops;
	return s;
}

void sockpin_free(struct sockpin *s)
{
	if (!s)
		return;
	free(s->noted);
	free(s->slots);
	free(s);
}

int sockpin_note(struct sockpin *s, int32_t fd, const char *link, size_t len)
{
	static const char prefix[] = "socket:[";
	const size_t plen = sizeof(prefix) - 1;
	uint64_t ino = 0;

	if (len <= plen + 1 || memcmp(link, prefix, plen) != 0 ||
	    link[len - 1] != ']')
		return 0;
	for (size_t i = plen; i < len - 1; i++) {
		if (link[i] < '0' || link[i] > '9' || ino > (UINT64_MAX - 9) / 10)
			return 0;
		ino = ino * 10 + (uint64_t)(link[i] - '0');
	}
	if (!ino)
		return 0;
	if (s->nnoted == s->cap_noted) {
		size_t ncap = s->cap_noted ? s->cap_noted * 2 : 16;
		struct noted *p = realloc(s->noted, ncap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		s->noted = p;
		s->cap_noted = ncap;
	}
	s->noted[s->nnoted++] = (struct noted){ .fd = fd, .ino = ino };
	return 0;
}

/* ---- the inode table -------------------------------------------------- */

static size_t slot_of(const struct sockpin *s, uint64_t ino)
{
	size_t i = (size_t)((ino * 0x9e3779b97f4a7c15ull) >> 32) & s->mask;

	while (s->slots[i].ino && s->slots[i].ino != ino)
		i = (i + 1) & s->mask;
	return i;
}

/* The namespace remembered for socket INO, or false. */
static bool table_get(const struct sockpin *s, uint64_t ino, uint32_t *ns)
{
	if (!s->slots)
		return false;
	size_t i = slot_of(s, ino);
	if (!s->slots[i].ino)
		return false;
	*ns = s->slots[i].ns;
	return true;
}

static int table_put(struct sockpin *s, uint64_t ino, uint32_t ns)
{
	if (2 * (s->nslots + 1) > (s->slots ? s->mask + 1 : 0)) {
		size_t ncap = s->slots ? 2 * (s->mask + 1) : 256;
		struct slot *old = s->slots;
		size_t oldcap = old ? s->mask + 1 : 0;
		s->slots = calloc(ncap, sizeof(*s->slots));
		if (!s->slots) {
			s->slots = old;
			return -ENOMEM;
		}
		s->mask = ncap - 1;
		for (size_t i = 0; i < oldcap; i++)
			if (old[i].ino)
				s->slots[slot_of(s, old[i].ino)] = old[i];
		free(old);
	}
	size_t i = slot_of(s, ino);
	if (!s->slots[i].ino)
		s->nslots++;
	s->slots[i] = (struct slot){ .ino = ino, .ns = ns };
	return 0;
}

/* ---- the kernel's side ------------------------------------------------ */

/*
 * A copy of socket FD of the process PIDFD refers to.  With INO not 0, it
 * must be that socket inode: the fd may have been closed and reused, or
 * the PID reused, since /proc/PID/fd was read.  An fd or -errno.
 */
static int copy_socket(int pidfd, int32_t fd, uint64_t ino)
{
	struct stat st;
	int sk = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);

	if (sk < 0)
		return -errno;
	if (ino && (fstat(sk, &st) < 0 || (uint64_t)st.st_ino != ino)) {
		close(sk);
		return -EBADF;   /* not the socket we saw: as if closed */
	}
	return sk;
}

/* The network namespace of socket SK, opened (and SK closed). */
static int netns_of(int sk)
{
	int nsfd = ioctl(sk, SIOCGSKNS);
	int err = nsfd < 0 ? errno : 0;

	close(sk);
	/* The fd may have been replaced by a non-socket since /proc/PID/fd
	 * was read: ENOTTY from a file, EINVAL from a device. */
	return nsfd < 0 ? -(err == ENOTTY || err == EINVAL ? ENOTSOCK : err)
			: nsfd;
}

static int pidfd_of(int32_t pid)
{
	int fd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);

	return fd < 0 ? -errno : fd;
}

int sockpin_netns_fd(int32_t pid, int32_t fd)
{
	int pidfd = pidfd_of(pid);

	if (pidfd < 0)
		return pidfd;
	int sk = copy_socket(pidfd, fd, 0);
	close(pidfd);
	return sk < 0 ? sk : netns_of(sk);
}

void sockpin_probe(bool *getfd, bool *skns)
{
	int sk = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	*getfd = *skns = false;
	if (sk < 0)
		return;
	int ns = ioctl(sk, SIOCGSKNS);
	if (ns >= 0) {
		*skns = true;
		close(ns);
	}
	int pidfd = pidfd_of(getpid());
	if (pidfd >= 0) {
		int copy = copy_socket(pidfd, sk, 0);
		if (copy >= 0) {
			*getfd = true;
			close(copy);
		}
		close(pidfd);
	}
	close(sk);
}

/* ---- per process ------------------------------------------------------ */

static void tell(struct sockpin *s, int32_t pid, int err)
{
	char msg[160], ebuf[128];

	if (s->warned || !s->ops.warn)
		return;
	s->warned = true;
	snprintf(msg, sizeof(msg), "cannot examine the sockets of process %"
		 PRId32 " (socket-pinned network namespaces may be missing): %s",
		 pid, strerror_r(err, ebuf, sizeof(ebuf)));
	s->ops.warn(s->ops.warn_ctx, msg);
}

static int gap(struct sockpin *s, struct graph *g, int32_t pid, int32_t fd,
	       int err)
{
	char what[24];

	/* A process or fd that went away meanwhile is no gap. */
	if (err == ESRCH || err == EBADF || err == ENOENT || err == ENOTSOCK)
		return 0;
	if (err == EPERM || err == EACCES || err == ENOSYS)
		tell(s, pid, err);
	snprintf(what, sizeof(what), "fd/%" PRId32, fd);
	return graph_gap_add(g, pid, 0, err, what);
}

static int noted_cmp(const void *a, const void *b)
{
	const struct noted *x = a, *y = b;

	return (x->fd > y->fd) - (x->fd < y->fd);
}

/* The holder's own network namespace: its link when capture read it,
 * else asked through its /proc directory. */
static uint32_t own_netns(const struct graph *g, const struct graph_proc *p,
			  int dirfd)
{
	struct stat st;

	if (p->links.err[NS_NET] == 0)
		return p->links.ns[NS_NET];
	if (fstatat(dirfd, "ns/net", &st, 0) < 0)
		return GRAPH_NONE;
	return graph_ns_find(g, (struct ns_key){ st.st_dev, st.st_ino });
}

/* Whether the fd slice of the process, from FIRST on, pins NS already. */
static bool pinned(const struct graph *g, size_t first, uint32_t ns)
{
	for (size_t i = first; i < g->nfds; i++)
		if (g->fds[i].kind == GRAPH_FD_SOCKET && g->fds[i].ns == ns)
			return true;
	return false;
}

int sockpin_flush(struct sockpin *s, struct graph *g, size_t pi, int dirfd)
{
	int32_t pid = g->procs[pi].pid;
	size_t first = g->nfds;   /* this process's socket pins go here on */
	int pidfd = -1, rc = 0;
	uint32_t own = GRAPH_NONE;
	bool own_known = false;

	if (!s->nnoted)
		return 0;
	/* Lowest fd first, so that the first pin of a namespace is its
	 * lowest; /proc lists fds in order, but need not. */
	qsort(s->noted, s->nnoted, sizeof(*s->noted), noted_cmp);
	for (size_t k = 0; k < s->nnoted && !rc; k++) {
		const struct noted *n = &s->noted[k];
		uint32_t ns;

		if (!table_get(s, n->ino, &ns)) {
			if (s->lacks_pidfd)
				break;
			if (pidfd < 0) {
				pidfd = pidfd_of(pid);
				if (pidfd == -ENOSYS)
					s->lacks_pidfd = true;
				if (pidfd < 0) {
					rc = gap(s, g, pid, n->fd, -pidfd);
					break;
				}
			}
			int sk = copy_socket(pidfd, n->fd, n->ino);
			if (sk == -ENOSYS)
				s->lacks_pidfd = true;
			if (sk < 0) {
				rc = gap(s, g, pid, n->fd, -sk);
				/* Refused for one fd, refused for all. */
				if (sk == -EPERM || sk == -EACCES || sk == -ENOSYS)
					break;
				continue;
			}
			int nsfd = netns_of(sk);
			if (nsfd < 0) {   /* EPERM: no CAP_NET_ADMIN over it */
				rc = gap(s, g, pid, n->fd, -nsfd);
				continue;
			}
			rc = s->ops.adopt(s->ops.ctx, nsfd, &ns);
			if (!rc && ns != GRAPH_NONE)
				rc = table_put(s, n->ino, ns);
			if (rc || ns == GRAPH_NONE)
				continue;
		}
		if (!own_known) {
			own = own_netns(g, &g->procs[pi], dirfd);
			own_known = true;
			if (own == GRAPH_NONE)
				break;   /* gone: nothing to compare with */
		}
		if (ns == own || pinned(g, first, ns))
			continue;
		struct graph_fd *f = graph_fd_append(g);
		if (!f) {
			rc = -ENOMEM;
			break;
		}
		*f = (struct graph_fd){ .fd = n->fd, .ns = ns,
					.kind = GRAPH_FD_SOCKET };
	}
	if (pidfd >= 0)
		close(pidfd);
	s->nnoted = 0;
	return rc;
}
