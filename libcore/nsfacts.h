/*
 * nsfacts.h — what namespaces say of themselves.
 *
 * Owns the per-namespace facts of GRAPH_HAVE_NSFACTS, filled after the
 * /proc scan: the hostname and domain name of each UTS namespace and the
 * NETNSID, interfaces and addresses of each network namespace, read from
 * inside them by two worker threads (one per kind, going from namespace
 * to namespace: the capturing thread never changes namespace); the
 * setgroups of each user namespace and the offsets of each time
 * namespace, read from a member's /proc files.
 *
 * A namespace is entered through a member's /proc/PID/ns link, else
 * through what pins it (an nsfs fd, a bind mount, a socket).  Whatever the
 * kernel refuses (EPERM when not root, members that exit) leaves the fact
 * unread and a gap; the warn callback is told once per kind of fact.  The
 * gap names the process and what of it was used: "ns/uts" or "ns/net"
 * (setns refused), "fd/N" (a pin), "root" (a bind mount seen through the
 * process's root), "setgroups", "timens_offsets".  A place that vanished
 * is no gap: the next one is tried.
 */
#ifndef NSNAP_NSFACTS_H
#define NSNAP_NSFACTS_H

#include "graph.h"

/*
 * Fill the facts of G's namespaces, as captured from the procfs at
 * PROC_ROOT (which must be that of the capturer's PID namespace for
 * socket pins to be followed).  G must not hold interfaces yet.  0, or
 * -ENOMEM / -EINVAL; nothing the namespaces do is an error.
 */
int nsfacts_collect(struct graph *g, const char *proc_root,
		    void (*warn)(void *ctx, const char *msg), void *warn_ctx);

#endif
