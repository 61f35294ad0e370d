/*
 * nsfacts_net.c — what rtnetlink says of a network namespace: its NETNSID
 * as another namespace knows it, its interfaces and their addresses.
 *
 * Runs in nsfacts' network worker thread, which has joined the namespace,
 * so a plain NETLINK_ROUTE socket speaks to it.  The kernel's answers are
 * trusted for framing only as far as they are checked: every message and
 * attribute length is bounded by what was received, names are cut at
 * IFNAMSIZ, link addresses at MAX_ADDR_LEN, and a namespace with more
 * interfaces or addresses than the bounds of nsfacts_int.h is cut (and
 * says so) rather than read to the end.
 */
#include "nsfacts_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/net_namespace.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* One receive: larger than the kernel's dump chunks (NLMSG_GOODSIZE,
 * at most 32 KiB), so a message is never cut. */
#define RTNL_BUF 65536

void nsfacts_ifs_free(struct nsfacts_ifs *ifs)
{
	for (size_t i = 0; i < ifs->n; i++)
		free(ifs->v[i].addrs);
	free(ifs->v);
	*ifs = (struct nsfacts_ifs){ 0 };
}

int nsfacts_rtnl_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	/* The kernel answers synchronously; the timeout only guards. */
	struct timeval tv = { .tv_sec = 2 };
	int one = 1;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0)
		return -errno;
	/* Errors come with the request's header only, not a copy of it. */
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = errno;
		close(fd);
		return -err;
	}
	return fd;
}

/* Append attribute TYPE with LEN bytes of DATA to N (room: CAP bytes). */
static void put_attr(struct nlmsghdr *n, size_t cap, unsigned short type,
		     const void *data, size_t len)
{
	struct rtattr *rta = (struct rtattr *)((char *)n + NLMSG_ALIGN(n->nlmsg_len));

	if (NLMSG_ALIGN(n->nlmsg_len) + RTA_SPACE(len) > cap)
		return;   /* our own fixed-size requests always fit */
	rta->rta_type = type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	n->nlmsg_len = (uint32_t)(NLMSG_ALIGN(n->nlmsg_len) + RTA_SPACE(len));
}

/* One answer to a request sent with SEQ; calls ON_MSG for every message
 * of a dump until NLMSG_DONE.  ON_MSG returns 0, 1 (stop: enough) or
 * -errno.  0 or -errno. */
typedef int (*on_msg_fn)(const struct nlmsghdr *h, void *ctx);

static int rtnl_talk(int fd, const struct nlmsghdr *req, on_msg_fn on_msg,
		     void *ctx)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	char *buf;
	int rc = 0;

	if (sendto(fd, req, req->nlmsg_len, 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0)
		return -errno;
	buf = malloc(RTNL_BUF);
	if (!buf)
		return -ENOMEM;
	for (bool done = false; !done && !rc;) {
		struct sockaddr_nl from;
		struct iovec iov = { buf, RTNL_BUF };
		struct msghdr msg = { .msg_name = &from,
				      .msg_namelen = sizeof(from),
				      .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t got = recvmsg(fd, &msg, 0);

		if (got < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		if (msg.msg_flags & MSG_TRUNC) {
			rc = -EMSGSIZE;
			break;
		}
		if (from.nl_pid != 0)
			continue;   /* not the kernel */
		size_t left = (size_t)got;
		for (const struct nlmsghdr *h = (const struct nlmsghdr *)buf;
		     NLMSG_OK(h, left) && !done && !rc; h = NLMSG_NEXT(h, left)) {
			if (h->nlmsg_seq != req->nlmsg_seq)
				continue;   /* a stale answer */
			if (h->nlmsg_type == NLMSG_DONE) {
				done = true;
			} else if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);
				if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
					rc = -EBADMSG;
				else if (e->error)
					rc = e->error < 0 ? e->error : -EPROTO;
				done = true;
			} else {
				int r = on_msg(h, ctx);
				if (r < 0)
					rc = r;
				else if (r > 0 || !(req->nlmsg_flags & NLM_F_DUMP))
					done = true;
			}
		}
	}
	free(buf);
	return rc;
}

/* The attributes after a family header of HDRLEN bytes, into TB[0..MAX]
 * (the first of each type wins).  -EBADMSG when the header does not fit. */
static int parse_attrs(const struct nlmsghdr *h, size_t hdrlen,
		       const struct rtattr **tb, unsigned max)
{
	memset(tb, 0, (max + 1) * sizeof(*tb));
	if (h->nlmsg_len < NLMSG_SPACE(hdrlen))
		return -EBADMSG;
	int left = (int)(h->nlmsg_len - NLMSG_SPACE(hdrlen));
	const struct rtattr *rta = (const struct rtattr *)
		((const char *)NLMSG_DATA(h) + NLMSG_ALIGN(hdrlen));
	for (; RTA_OK(rta, left); rta = RTA_NEXT(rta, left))
		if (rta->rta_type <= max && !tb[rta->rta_type])
			tb[rta->rta_type] = rta;
	return 0;
}

/* ---- NETNSID ---------------------------------------------------------- */

static int on_nsid(const struct nlmsghdr *h, void *ctx)
{
	const struct rtattr *tb[NETNSA_MAX + 1];

	if (h->nlmsg_type != RTM_NEWNSID ||
	    parse_attrs(h, sizeof(struct rtgenmsg), tb, NETNSA_MAX) < 0)
		return -EBADMSG;
	const struct rtattr *a = tb[NETNSA_NSID];
	if (a && RTA_PAYLOAD(a) >= sizeof(int32_t))
		memcpy(ctx, RTA_DATA(a), sizeof(int32_t));
	return 1;
}

int nsfacts_net_nsid(int rtnl, int nsfd, uint32_t seq, int32_t *nsid)
{
	struct {
		struct nlmsghdr h;
		struct rtgenmsg g;
		char attrs[16];
	} req = {
		.h = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct rtgenmsg)),
		       .nlmsg_type = RTM_GETNSID, .nlmsg_flags = NLM_F_REQUEST,
		       .nlmsg_seq = seq },
		.g = { .rtgen_family = AF_UNSPEC },
	};
	uint32_t fd = (uint32_t)nsfd;

	*nsid = NETNSA_NSID_NOT_ASSIGNED;
	put_attr(&req.h, sizeof(req), NETNSA_FD, &fd, sizeof(fd));
	return rtnl_talk(rtnl, &req.h, on_nsid, nsid);
}

/* ---- interfaces ------------------------------------------------------- */

static int on_link(const struct nlmsghdr *h, void *ctx)
{
	struct nsfacts_ifs *ifs = ctx;
	const struct rtattr *tb[IFLA_MAX + 1];

	if (h->nlmsg_type != RTM_NEWLINK)
		return 0;
	if (parse_attrs(h, sizeof(struct ifinfomsg), tb, IFLA_MAX) < 0)
		return -EBADMSG;
	if (ifs->n == NSFACTS_MAX_IFACES) {
		ifs->cut = true;
		return 1;
	}
	if (ifs->n == ifs->cap) {
		size_t ncap = ifs->cap ? ifs->cap * 2 : 8;
		struct nsfacts_if *p = realloc(ifs->v, ncap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		ifs->v = p;
		ifs->cap = ncap;
	}
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	struct nsfacts_if *f = &ifs->v[ifs->n++];
	*f = (struct nsfacts_if){ .ifindex = ifi->ifi_index,
				  .flags = ifi->ifi_flags };
	const struct rtattr *a = tb[IFLA_IFNAME];
	if (a) {
		size_t len = strnlen(RTA_DATA(a), RTA_PAYLOAD(a));
		if (len >= sizeof(f->name))
			len = sizeof(f->name) - 1;
		memcpy(f->name, RTA_DATA(a), len);
	}
	a = tb[IFLA_OPERSTATE];
	if (a && RTA_PAYLOAD(a) >= 1)
		f->operstate = *(const uint8_t *)RTA_DATA(a);
	a = tb[IFLA_ADDRESS];
	if (a) {
		const uint8_t *mac = RTA_DATA(a);
		size_t len = RTA_PAYLOAD(a), o = 0;
		if (len > NSFACTS_MAC_MAX)
			len = NSFACTS_MAC_MAX;
		for (size_t i = 0; i < len; i++)
			o += (size_t)snprintf(f->mac + o, sizeof(f->mac) - o,
					      i ? ":%02x" : "%02x", mac[i]);
	}
	return 0;
}

static int ifindex_cmp(const void *a, const void *b)
{
	const struct nsfacts_if *x = a, *y = b;

	return (x->ifindex > y->ifindex) - (x->ifindex < y->ifindex);
}

/* "ADDR/PREFIX" appended to F's list, one blank between. */
static int add_addr(struct nsfacts_ifs *ifs, struct nsfacts_if *f,
		    const char *text)
{
	size_t len = strlen(text), need = f->addrs_len + (f->addrs_len ? 1 : 0) + len;

	if (need >= NSFACTS_ADDRS_MAX) {
		ifs->cut = true;
		return 0;
	}
	if (!f->addrs) {
		f->addrs = malloc(NSFACTS_ADDRS_MAX);
		if (!f->addrs)
			return -ENOMEM;
	}
	if (f->addrs_len)
		f->addrs[f->addrs_len++] = ' ';
	memcpy(f->addrs + f->addrs_len, text, len + 1);
	f->addrs_len += len;
	return 0;
}

static int on_addr(const struct nlmsghdr *h, void *ctx)
{
	struct nsfacts_ifs *ifs = ctx;
	const struct rtattr *tb[IFA_MAX + 1];
	char text[INET6_ADDRSTRLEN + 8];

	if (h->nlmsg_type != RTM_NEWADDR)
		return 0;
	if (++ifs->naddrs > NSFACTS_MAX_ADDRS) {
		ifs->cut = true;
		return 1;
	}
	if (parse_attrs(h, sizeof(struct ifaddrmsg), tb, IFA_MAX) < 0)
		return -EBADMSG;
	const struct ifaddrmsg *ifa = NLMSG_DATA(h);
	size_t alen = ifa->ifa_family == AF_INET ? 4 :
		      ifa->ifa_family == AF_INET6 ? 16 : 0;
	/* IFA_LOCAL is the address itself; IFA_ADDRESS the peer's on a
	 * point-to-point link, else the same (what ip(8) shows too). */
	const struct rtattr *a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (!alen || !a || RTA_PAYLOAD(a) < alen)
		return 0;
	struct nsfacts_if key = { .ifindex = (int32_t)ifa->ifa_index };
	struct nsfacts_if *f = bsearch(&key, ifs->v, ifs->n, sizeof(*ifs->v),
				       ifindex_cmp);
	if (!f)
		return 0;   /* born after the link dump, or cut */
	if (!inet_ntop(ifa->ifa_family, RTA_DATA(a), text, INET6_ADDRSTRLEN))
		return 0;
	snprintf(text + strlen(text), sizeof(text) - strlen(text), "/%u",
		 ifa->ifa_prefixlen);
	return add_addr(ifs, f, text);
}

int nsfacts_net_ifaces(struct nsfacts_ifs *out)
{
	struct {
		struct nlmsghdr h;
		struct ifinfomsg i;
		char attrs[16];
	} lreq = {
		.h = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)),
		       .nlmsg_type = RTM_GETLINK,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1 },
		.i = { .ifi_family = AF_UNSPEC },
	};
	struct {
		struct nlmsghdr h;
		struct ifaddrmsg a;
	} areq = {
		.h = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg)),
		       .nlmsg_type = RTM_GETADDR,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 2 },
		.a = { .ifa_family = AF_UNSPEC },
	};
	/* Statistics are most of a link message and of no use here. */
	uint32_t mask = RTEXT_FILTER_SKIP_STATS;
	int fd = nsfacts_rtnl_open();

	if (fd < 0)
		return fd;
	put_attr(&lreq.h, sizeof(lreq), IFLA_EXT_MASK, &mask, sizeof(mask));
	int rc = rtnl_talk(fd, &lreq.h, on_link, out);
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), ifindex_cmp);
	/* A dump stopped early leaves the rest of its answer queued; a
	 * fresh socket starts the address dump clean. */
	if (!rc && out->cut) {
		close(fd);
		fd = nsfacts_rtnl_open();
		if (fd < 0)
			return fd;
	}
	if (!rc)
		rc = rtnl_talk(fd, &areq.h, on_addr, out);
	close(fd);
	return rc;
}
