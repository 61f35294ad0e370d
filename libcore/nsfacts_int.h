/*
 * nsfacts_int.h — what nsfacts.c and nsfacts_net.c share: the interfaces
 * of one network namespace as its worker thread collects them, before they
 * are copied into the graph (a worker never touches the graph).
 */
#ifndef NSNAP_NSFACTS_INT_H
#define NSNAP_NSFACTS_INT_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bounds against a namespace that someone filled to hurt us. */
#define NSFACTS_MAX_IFACES 4096   /* interfaces kept per namespace */
#define NSFACTS_ADDRS_MAX 1024    /* bytes of one interface's addrs */
#define NSFACTS_MAC_MAX 32        /* MAX_ADDR_LEN of the kernel */
#define NSFACTS_MAX_ADDRS 65536   /* address messages read per namespace */

struct nsfacts_if {
	int32_t ifindex;
	uint32_t flags;                 /* IFF_* */
	uint8_t operstate;              /* IF_OPER_* */
	char name[IFNAMSIZ];
	char mac[3 * NSFACTS_MAC_MAX];  /* "" when the link has none */
	char *addrs;                    /* malloc'd, NULL when none */
	size_t addrs_len;
};

struct nsfacts_ifs {
	struct nsfacts_if *v;   /* in ifindex order */
	size_t n, cap;
	size_t naddrs;          /* address messages seen */
	bool cut;               /* more than NSFACTS_MAX_IFACES, or an
				   address list cut at NSFACTS_ADDRS_MAX */
};

void nsfacts_ifs_free(struct nsfacts_ifs *ifs);

/* A NETLINK_ROUTE socket of the calling thread's network namespace: an fd
 * or -errno. */
int nsfacts_rtnl_open(void);

/*
 * RTM_GETNSID: the NETNSID that RTNL's network namespace gave the network
 * namespace open on NSFD, as lsns asks it (never assigns one): 0 and
 * *nsid (-1: none assigned), or -errno.  SEQ tells this answer from a
 * late one to an earlier request on RTNL: a new number each call.
 */
int nsfacts_net_nsid(int rtnl, int nsfd, uint32_t seq, int32_t *nsid);

/*
 * RTM_GETLINK and RTM_GETADDR dumps of the calling thread's network
 * namespace into OUT (empty on entry).  0 or -errno; on an error OUT
 * holds what was read.
 */
int nsfacts_net_ifaces(struct nsfacts_ifs *out);

#endif
