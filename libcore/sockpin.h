/*
 * sockpin.h — network namespaces held alive by sockets.
 *
 * Owns the question "which network namespace does socket fd N of process P
 * belong to": pidfd_open() + pidfd_getfd() copy the socket into the
 * capturer, ioctl(SIOCGSKNS) opens its namespace (Linux 5.6+, ptrace
 * rights over P).  A network namespace that no process is a member of and
 * no nsfs file or mount holds may still be kept alive that way; capture
 * records it as a GRAPH_FD_SOCKET pin.
 *
 * Capture notes a process's "socket:[INO]" fds while it reads /proc/PID/fd
 * (sockpin_note) and resolves them after the listing (sockpin_flush).  A
 * socket inode is examined once per capture: sockets shared across fork or
 * passed over SCM_RIGHTS cost one pidfd_getfd, not one per holder.
 */
#ifndef NSNAP_SOCKPIN_H
#define NSNAP_SOCKPIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "graph.h"

struct sockpin;

struct sockpin_ops {
	/*
	 * Index in the graph the network namespace open on NSFD (and close
	 * NSFD), adding and querying it when it is new, as capture does for
	 * every namespace: 0 and *idx (GRAPH_NONE when NSFD turned out to be
	 * no namespace), or -ENOMEM.
	 */
	int (*adopt)(void *ctx, int nsfd, uint32_t *idx);
	void *ctx;
	/* Told once per capture why sockets could not be examined; may be
	 * NULL. */
	void (*warn)(void *ctx, const char *msg);
	void *warn_ctx;
};

/* A resolver for one capture; NULL on ENOMEM. */
struct sockpin *sockpin_new(const struct sockpin_ops *ops);
void sockpin_free(struct sockpin *s);

/*
 * Fd FD of the process being read has link text LINK (LEN bytes).  Kept
 * for sockpin_flush when it reads "socket:[INO]"; anything else is
 * ignored.  0 or -ENOMEM.
 */
int sockpin_note(struct sockpin *s, int32_t fd, const char *link, size_t len);

/*
 * Resolve the sockets noted since the last flush, which are those of
 * graph.procs[PI] (its /proc directory open on DIRFD, its links already
 * in the graph): append to graph.fds one GRAPH_FD_SOCKET pin, with the
 * lowest fd number, per network namespace other than the process's own.
 * The caller keeps the process's fd slice sorted.  What cannot be
 * examined is a gap ("fd/N"); 0 or -ENOMEM.
 */
int sockpin_flush(struct sockpin *s, struct graph *g, size_t pi, int dirfd);

/*
 * The network namespace of socket FD of process PID (a PID of the
 * capturer's PID namespace), opened: an fd, or -errno (ENOSYS before
 * Linux 5.6, EPERM without ptrace rights, ESRCH or EBADF when the process
 * or the fd is gone, ENOTSOCK).
 */
int sockpin_netns_fd(int32_t pid, int32_t fd);

/*
 * Which of the two steps this kernel lets the capturer take, tried on a
 * socket of its own: *GETFD pidfd_open() + pidfd_getfd(), *SKNS
 * ioctl(SIOCGSKNS).  The vantage point records them.
 */
void sockpin_probe(bool *getfd, bool *skns);

#endif
