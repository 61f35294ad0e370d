/*
 * test_nsfacts.c — per-namespace facts and socket pins on real namespaces.
 *
 * Children unshare UTS, network, user and time namespaces, set what the
 * capture should find (a hostname, an interface with an address, an
 * NETNSID, setgroups "deny", a clock offset) and report their own view of
 * it over a pipe; the expected values are what they set and what they
 * read themselves (ioctls, their own /proc files), never capture's
 * answers.  A socket-only network namespace is made by a child that
 * unshares CLONE_NEWNET, opens sockets and setns()es back; a rootless one
 * by a grandchild of nobody that passes its socket over SCM_RIGHTS.
 * Refusals (nobody) must be gaps and a warning, never failures.  Everything
 * needs root; without it the cases skip.  The one tool used, ip(8) for a
 * veth pair, is optional: without it that part prints a SKIP line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/net_namespace.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture.h"

/* ---- children ---------------------------------------------------------- */

/* What a child reports once its namespaces are set up. */
struct report {
	int ok;              /* 1: set up; 0: failed (errno in err) */
	int err;
	int veth;            /* 1: nsft0 was made with ip(8) */
	int ifindex;         /* of nsft0 */
	char mac[32];        /* of nsft0, as SIOCGIFHWADDR says */
	pid_t grandchild;    /* 0 when none */
	int sock_fd[3];      /* socket case: two foreign sockets, one own */
	uint64_t netns_ino;  /* socket case: the foreign namespace */
};

struct kid {
	pid_t pid;
	int go[2];
	struct report r;
};

/* Block until the parent closes its end of GO, then exit. */
_Noreturn static void wait_and_exit(int go, int code)
{
	char c;

	while (read(go, &c, 1) > 0)
		;
	_exit(code);
}

/* Fork a child that runs SETUP (which fills the report) and then waits. */
static void spawn(struct kid *k, int (*setup)(struct report *r, int go))
{
	int rep[2];

	memset(k, 0, sizeof(*k));
	assert_int_equal(pipe2(rep, O_CLOEXEC), 0);
	assert_int_equal(pipe2(k->go, O_CLOEXEC), 0);
	k->pid = fork();
	assert_true(k->pid >= 0);
	if (k->pid == 0) {
		struct report r = { 0 };
		close(k->go[1]);
		(void)setup(&r, k->go[0]);
		if (write(rep[1], &r, sizeof(r)) != (ssize_t)sizeof(r))
			_exit(1);
		wait_and_exit(k->go[0], 0);
	}
	close(rep[1]);
	close(k->go[0]);
	assert_int_equal(read(rep[0], &k->r, sizeof(k->r)), sizeof(k->r));
	close(rep[0]);
}

static void reap(struct kid *k)
{
	int status;

	close(k->go[1]);
	if (k->r.grandchild > 0)
		kill(k->r.grandchild, SIGKILL);
	assert_int_equal(waitpid(k->pid, &status, 0), k->pid);
}

static int setup_failed(struct report *r)
{
	r->ok = 0;
	r->err = errno;
	return -1;
}

/* ---- oracles and helpers ---------------------------------------------- */

static uint64_t ino_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_ino;
}

static uint32_t ns_at(const struct graph *g, pid_t pid, const char *type)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, type);
	return graph_ns_find(g, (struct ns_key){ g->meta.nsfs_dev, ino_of(path) });
}

static char *slurp(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	ssize_t n = read(fd, buf, size - 1);
	assert_true(n >= 0);
	buf[n] = '\0';
	close(fd);
	return buf;
}

struct warnings {
	int count;
	char last[512];
};

static void count_warning(void *ctx, const char *msg)
{
	struct warnings *w = ctx;

	w->count++;
	snprintf(w->last, sizeof(w->last), "%s", msg);
}

static struct graph *capture(uint32_t collect, const pid_t *pids, size_t n,
			     struct warnings *w)
{
	int32_t ids[8];
	struct capture_opts o = {
		.collect = collect, .types = NS_ALL_TYPES, .ids = ids, .nids = n,
		.warn = count_warning, .warn_ctx = w,
	};
	struct graph *g = NULL;
	char why[256];

	assert_true(n <= 8);
	for (size_t i = 0; i < n; i++)
		ids[i] = pids[i];
	assert_int_equal(capture_live(&o, &g), 0);
	assert_non_null(g);
	if (graph_check(g, why, sizeof(why)) != 0)
		fail_msg("graph_check: %s", why);
	return g;
}

static const struct graph_iface *iface_named(const struct graph *g,
					     uint32_t ns, const char *name)
{
	const struct graph_ns *n = &g->ns[ns];

	for (uint32_t i = 0; i < n->nifaces; i++) {
		const struct graph_iface *f = &g->ifaces[n->first_iface + i];
		assert_int_equal(f->ns, ns);
		if (i)
			assert_true(f[-1].ifindex < f->ifindex);
		if (f->name && strcmp(f->name, name) == 0)
			return f;
	}
	return NULL;
}

/* RTM_NEWNSID: give the network namespace of PID the NETNSID ID in ours.
 * 0 or -errno (EEXIST: the id is taken). */
static int set_nsid(pid_t pid, int32_t id)
{
	char path[64];
	struct {
		struct nlmsghdr h;
		struct rtgenmsg g;
		char attrs[64];
	} req = {
		.h = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct rtgenmsg)),
		       .nlmsg_type = RTM_NEWNSID,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK, .nlmsg_seq = 1 },
		.g = { .rtgen_family = AF_UNSPEC },
	};
	char ans[1024];

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	int nsfd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(nsfd >= 0);
	uint32_t vals[2] = { (uint32_t)nsfd, (uint32_t)id };
	unsigned short types[2] = { NETNSA_FD, NETNSA_NSID };
	for (int i = 0; i < 2; i++) {
		struct rtattr *a = (struct rtattr *)((char *)&req + NLMSG_ALIGN(req.h.nlmsg_len));
		a->rta_type = types[i];
		a->rta_len = RTA_LENGTH(4);
		memcpy(RTA_DATA(a), &vals[i], 4);
		req.h.nlmsg_len = NLMSG_ALIGN(req.h.nlmsg_len) + RTA_SPACE(4);
	}
	int sk = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	assert_true(sk >= 0);
	assert_int_equal(send(sk, &req, req.h.nlmsg_len, 0), req.h.nlmsg_len);
	ssize_t n = recv(sk, ans, sizeof(ans), 0);
	close(sk);
	close(nsfd);
	assert_true(n >= (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr)));
	const struct nlmsghdr *h = (const struct nlmsghdr *)ans;
	assert_int_equal(h->nlmsg_type, NLMSG_ERROR);
	return ((const struct nlmsgerr *)NLMSG_DATA(h))->error;
}

/* ---- UTS and network namespaces ---------------------------------------- */

static int setup_uts_net(struct report *r, int go)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	(void)go;

	if (unshare(CLONE_NEWUTS | CLONE_NEWNET) < 0 ||
	    sethostname("nsfacts-uts", 11) < 0 ||
	    setdomainname("nsfacts.test", 12) < 0)
		return setup_failed(r);
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		return setup_failed(r);
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		return setup_failed(r);
	if (system("command -v ip >/dev/null && "
		   "ip link add nsft0 type veth peer name nsft1 && "
		   "ip addr add 10.77.0.1/24 dev nsft0 && "
		   "ip addr add 10.77.1.1/16 dev nsft0 && "
		   "ip link set nsft0 up") == 0) {
		struct ifreq hw = { .ifr_name = "nsft0" };
		r->veth = 1;
		r->ifindex = (int)if_nametoindex("nsft0");
		if (ioctl(s, SIOCGIFHWADDR, &hw) < 0)
			return setup_failed(r);
		const unsigned char *m = (const unsigned char *)hw.ifr_hwaddr.sa_data;
		snprintf(r->mac, sizeof(r->mac), "%02x:%02x:%02x:%02x:%02x:%02x",
			 m[0], m[1], m[2], m[3], m[4], m[5]);
	}
	close(s);
	r->ok = 1;
	return 0;
}

static void test_uts_and_net(void **state)
{
	struct warnings w = { 0 };
	struct kid k;
	char buf[256];
	int32_t nsid = -1;
	(void)state;

	if (geteuid() != 0)
		skip();
	spawn(&k, setup_uts_net);
	assert_int_equal(k.r.err, 0);
	assert_true(k.r.ok);
	for (int32_t id = 4242; id < 4262 && nsid < 0; id++)
		if (set_nsid(k.pid, id) == 0)
			nsid = id;
	assert_true(nsid >= 0);

	struct graph *g = capture(GRAPH_HAVE_NSFACTS | GRAPH_HAVE_OWNERS, &k.pid,
				  1, &w);
	assert_true(g->meta.collected & GRAPH_HAVE_NSFACTS);

	uint32_t uts = ns_at(g, k.pid, "uts");
	assert_int_not_equal(uts, GRAPH_NONE);
	assert_string_equal(g->ns[uts].hostname, "nsfacts-uts");
	assert_string_equal(g->ns[uts].domainname, "nsfacts.test");

	uint32_t net = ns_at(g, k.pid, "net");
	assert_int_not_equal(net, GRAPH_NONE);
	assert_true(g->ns[net].flags & GRAPH_NS_HAS_NSID);
	assert_int_equal(g->ns[net].nsid, nsid);
	const struct graph_iface *lo = iface_named(g, net, "lo");
	assert_non_null(lo);
	assert_int_equal(lo->ifindex, 1);
	assert_true(lo->flags & IFF_UP);
	assert_true(lo->flags & IFF_LOOPBACK);
	assert_string_equal(lo->mac, "00:00:00:00:00:00");
	assert_non_null(lo->addrs);
	assert_true(strncmp(lo->addrs, "127.0.0.1/8", 11) == 0);
	if (k.r.veth) {
		const struct graph_iface *v = iface_named(g, net, "nsft0");
		assert_non_null(v);
		assert_int_equal(v->ifindex, k.r.ifindex);
		assert_string_equal(v->mac, k.r.mac);
		assert_true(v->flags & IFF_UP);
		/* IPv4 in the order added; an IPv6 link-local may follow. */
		assert_non_null(v->addrs);
		assert_true(strncmp(v->addrs, "10.77.0.1/24 10.77.1.1/16", 25) == 0);
		assert_non_null(iface_named(g, net, "nsft1"));
	} else {
		print_message("SKIP: ip(8) could not make a veth pair; "
			      "loopback only\n");
	}

	/* The user and time namespaces are ours: their files are the oracle. */
	uint32_t user = ns_at(g, k.pid, "user");
	assert_int_equal(g->ns[user].setgroups,
			 strcmp(slurp("/proc/self/setgroups", buf, sizeof(buf)),
				"allow\n") == 0 ? GRAPH_SETGROUPS_ALLOW :
			 GRAPH_SETGROUPS_DENY);
	if (g->meta.types_present & NS_TYPE_BIT(NS_TIME)) {
		uint32_t time = ns_at(g, k.pid, "time");
		assert_non_null(g->ns[time].timens_offsets);
		assert_string_equal(g->ns[time].timens_offsets,
				    slurp("/proc/self/timens_offsets", buf,
					  sizeof(buf)));
	}
	/* Namespaces of other kinds hold no facts. */
	uint32_t ipc = ns_at(g, k.pid, "ipc");
	assert_null(g->ns[ipc].hostname);
	assert_int_equal(g->ns[ipc].nifaces, 0);
	assert_int_equal(w.count, 0);
	graph_free(g);

	/* Not asked: not read, not claimed. */
	g = capture(GRAPH_HAVE_OWNERS, &k.pid, 1, &w);
	assert_false(g->meta.collected & GRAPH_HAVE_NSFACTS);
	assert_null(g->ns[ns_at(g, k.pid, "uts")].hostname);
	assert_int_equal(g->nifaces, 0);
	graph_free(g);
	reap(&k);
}

/* ---- user and time namespaces ------------------------------------------ */

static int setup_user_deny(struct report *r, int go)
{
	(void)go;
	if (unshare(CLONE_NEWUSER) < 0)
		return setup_failed(r);
	int fd = open("/proc/self/setgroups", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "deny", 4) != 4)
		return setup_failed(r);
	close(fd);
	r->ok = 1;
	return 0;
}

/* A child whose time_for_children gets an offset, and a grandchild that
 * lives in that time namespace. */
static int setup_time(struct report *r, int go)
{
	if (unshare(CLONE_NEWTIME) < 0)
		return setup_failed(r);
	int fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "monotonic 123456 0", 18) != 18)
		return setup_failed(r);
	close(fd);
	r->grandchild = fork();
	if (r->grandchild < 0)
		return setup_failed(r);
	if (r->grandchild == 0)
		wait_and_exit(go, 0);
	r->ok = 1;
	return 0;
}

static void test_user_and_time(void **state)
{
	struct warnings w = { 0 };
	struct kid u, t;
	char path[64], buf[256];
	(void)state;

	if (geteuid() != 0)
		skip();
	spawn(&u, setup_user_deny);
	assert_true(u.r.ok);
	pid_t ids[3] = { u.pid };
	size_t n = 1;
	bool timens = access("/proc/self/ns/time", F_OK) == 0;
	if (timens) {
		spawn(&t, setup_time);
		assert_int_equal(t.r.err, 0);
		assert_true(t.r.ok);
		ids[n++] = t.r.grandchild;
		ids[n++] = t.pid;
	}
	struct graph *g = capture(GRAPH_HAVE_NSFACTS | GRAPH_HAVE_PINS |
				  GRAPH_HAVE_OWNERS, ids, n, &w);
	uint32_t user = ns_at(g, u.pid, "user");
	assert_int_equal(g->ns[user].setgroups, GRAPH_SETGROUPS_DENY);
	if (timens) {
		uint32_t time = ns_at(g, t.r.grandchild, "time");
		assert_int_not_equal(time, ns_at(g, t.pid, "time"));
		snprintf(path, sizeof(path), "/proc/%d/timens_offsets",
			 (int)t.r.grandchild);
		assert_non_null(g->ns[time].timens_offsets);
		assert_string_equal(g->ns[time].timens_offsets,
				    slurp(path, buf, sizeof(buf)));
		assert_non_null(strstr(g->ns[time].timens_offsets, "123456"));
		reap(&t);
	} else {
		print_message("SKIP: no time namespaces in this kernel\n");
	}
	graph_free(g);
	reap(&u);
}

/* ---- sockets ----------------------------------------------------------- */

/*
 * Two sockets in a network namespace of their own, which the child then
 * leaves (only the sockets keep it), one in its own namespace, and a
 * grandchild that shares all three by fork.
 */
static int setup_sockets(struct report *r, int go)
{
	struct stat st;
	int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);

	if (home < 0 || unshare(CLONE_NEWNET) < 0 ||
	    stat("/proc/thread-self/ns/net", &st) < 0)
		return setup_failed(r);
	r->netns_ino = st.st_ino;
	r->sock_fd[0] = socket(AF_INET, SOCK_DGRAM, 0);
	r->sock_fd[1] = socket(AF_UNIX, SOCK_STREAM, 0);
	if (r->sock_fd[0] < 0 || r->sock_fd[1] < 0 ||
	    setns(home, CLONE_NEWNET) < 0)
		return setup_failed(r);
	close(home);
	r->sock_fd[2] = socket(AF_INET, SOCK_DGRAM, 0);
	if (r->sock_fd[2] < 0)
		return setup_failed(r);
	r->grandchild = fork();
	if (r->grandchild < 0)
		return setup_failed(r);
	if (r->grandchild == 0)
		wait_and_exit(go, 0);
	r->ok = 1;
	return 0;
}

/* The socket pins in the fd slice of PID. */
static size_t socket_pins(const struct graph *g, pid_t pid,
			  const struct graph_fd **first)
{
	const struct graph_proc *p = graph_proc_find(g, pid);
	size_t n = 0;

	assert_non_null(p);
	assert_int_equal(p->fd_err, 0);
	for (uint32_t i = 0; i < p->nfds; i++) {
		const struct graph_fd *f = &g->fds[p->first_fd + i];
		if (i)
			assert_true(f[-1].fd < f->fd);
		if (f->kind != GRAPH_FD_SOCKET)
			continue;
		if (!n++)
			*first = f;
		assert_int_not_equal(f->ns, p->links.ns[NS_NET]);
	}
	return n;
}

static void test_socket_pin(void **state)
{
	struct warnings w = { 0 };
	const struct graph_fd *pin = NULL;
	struct kid k;
	(void)state;

	if (geteuid() != 0)
		skip();
	spawn(&k, setup_sockets);
	assert_int_equal(k.r.err, 0);
	assert_true(k.r.ok);
	pid_t ids[2] = { k.pid, k.r.grandchild };
	struct graph *g = capture(GRAPH_HAVE_PINS | GRAPH_HAVE_SOCKETS |
				  GRAPH_HAVE_NSFACTS | GRAPH_HAVE_OWNERS,
				  ids, 2, &w);
	assert_true(g->meta.collected & GRAPH_HAVE_SOCKETS);
	uint32_t foreign = graph_ns_find(g, (struct ns_key){ g->meta.nsfs_dev,
							     k.r.netns_ino });
	assert_int_not_equal(foreign, GRAPH_NONE);
	assert_int_equal(g->ns[foreign].type, NS_NET);
	/* Adopted like any namespace: queried. */
	assert_int_not_equal(g->ns[foreign].owner_err, ENODATA);
	for (int i = 0; i < 2; i++) {
		/* One pin per holder and namespace, at the lower fd; the
		 * socket of the holder's own namespace pins nothing. */
		assert_int_equal(socket_pins(g, ids[i], &pin), 1);
		assert_int_equal(pin->fd, k.r.sock_fd[0]);
		assert_int_equal(pin->ns, foreign);
	}
	/* Seen only through the sockets, and entered through them. */
	for (size_t i = 0; i < g->nprocs; i++)
		assert_int_not_equal(g->procs[i].links.ns[NS_NET], foreign);
	const struct graph_iface *lo = iface_named(g, foreign, "lo");
	assert_non_null(lo);
	assert_false(lo->flags & IFF_UP);
	assert_null(lo->addrs);
	assert_int_equal(w.count, 0);
	graph_free(g);

	/* Without SOCKETS, or without PINS, no socket pins. */
	g = capture(GRAPH_HAVE_PINS, ids, 2, &w);
	assert_int_equal(socket_pins(g, k.pid, &pin), 0);
	assert_false(g->meta.collected & GRAPH_HAVE_SOCKETS);
	graph_free(g);
	g = capture(GRAPH_HAVE_SOCKETS, ids, 2, &w);
	assert_false(g->meta.collected & GRAPH_HAVE_SOCKETS);
	assert_int_equal(g->nfds, 0);
	graph_free(g);
	reap(&k);
}

/* ---- bind mounts --------------------------------------------------------- */

/*
 * What `ip netns add` makes, in a private mount namespace: a network
 * namespace that only an nsfs bind mount holds (its maker has exited), on a
 * path with a blank.  Entered through the mount, as its member sees it.
 */
static char mount_file[64];

static int setup_netns_mount(struct report *r, int go)
{
	struct stat st;
	int status;
	(void)go;

	if (unshare(CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return setup_failed(r);
	int fd = open(mount_file, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return setup_failed(r);
	close(fd);
	pid_t gc = fork();
	if (gc < 0)
		return setup_failed(r);
	if (gc == 0)
		_exit(unshare(CLONE_NEWNET) == 0 &&
		      mount("/proc/self/ns/net", mount_file, NULL, MS_BIND,
			    NULL) == 0 ? 0 : 1);
	if (waitpid(gc, &status, 0) != gc || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0 || stat(mount_file, &st) < 0)
		return setup_failed(r);
	r->netns_ino = st.st_ino;
	r->ok = 1;
	return 0;
}

static void test_netns_mount(void **state)
{
	struct warnings w = { 0 };
	char dir[] = "/tmp/nsfacts mount.XXXXXX";
	struct kid k;
	(void)state;

	if (geteuid() != 0)
		skip();
	assert_non_null(mkdtemp(dir));
	snprintf(mount_file, sizeof(mount_file), "%s/blue", dir);
	spawn(&k, setup_netns_mount);
	assert_int_equal(k.r.err, 0);
	assert_true(k.r.ok);
	struct graph *g = capture(GRAPH_HAVE_PINS | GRAPH_HAVE_NSFACTS, &k.pid,
				  1, &w);
	uint32_t net = graph_ns_find(g, (struct ns_key){ g->meta.nsfs_dev,
							 k.r.netns_ino });
	assert_int_not_equal(net, GRAPH_NONE);
	assert_int_not_equal(net, graph_proc_find(g, k.pid)->links.ns[NS_NET]);
	const struct graph_iface *lo = iface_named(g, net, "lo");
	assert_non_null(lo);
	assert_int_equal(lo->ifindex, 1);
	assert_int_equal(w.count, 0);
	graph_free(g);
	reap(&k);
	/* The mount died with the child's mount namespace. */
	unlink(mount_file);
	rmdir(dir);
}

/* ---- without privileges ------------------------------------------------ */

/*
 * As nobody, entering our own UTS namespace is refused (setns needs
 * CAP_SYS_ADMIN) and others' sockets cannot be copied: capture still
 * succeeds, with gaps and a warning instead of facts.  Run in a child, which
 * reports through its exit status.
 */
static void test_unprivileged(void **state)
{
	struct kid k;
	int status;
	(void)state;

	if (geteuid() != 0)
		skip();
	spawn(&k, setup_sockets);
	assert_true(k.r.ok);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct warnings w = { 0 };
		struct graph *g = NULL;
		int32_t ids[2] = { getpid(), k.pid };
		struct capture_opts o = {
			.collect = GRAPH_HAVE_EVERYTHING & ~GRAPH_HAVE_ALL_PROCS,
			.types = NS_ALL_TYPES, .ids = ids, .nids = 2, .warn = count_warning, .warn_ctx = &w,
		};
		/* Dumpable again, as after the exec of a tool by nobody:
		 * else our own /proc files are root's. */
		if (setresgid(65534, 65534, 65534) < 0 ||
		    setresuid(65534, 65534, 65534) < 0 ||
		    prctl(PR_SET_DUMPABLE, 1) < 0)
			_exit(10);
		if (capture_live(&o, &g) != 0 || graph_check(g, NULL, 0) != 0)
			_exit(11);
		const struct graph_proc *self = graph_proc_find(g, ids[0]);
		uint32_t uts = self ? self->links.ns[NS_UTS] : GRAPH_NONE;
		if (uts == GRAPH_NONE || g->ns[uts].hostname)
			_exit(12);
		bool gap = false;
		for (size_t i = 0; i < g->ngaps; i++)
			gap |= g->gaps[i].pid == ids[0] && g->gaps[i].err == EPERM &&
			       strcmp(g->gaps[i].what, "ns/uts") == 0;
		if (!gap || !w.count || g->nfds != 0)
			_exit(13);
		graph_free(g);
		_exit(0);
	}
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	reap(&k);
}

/*
 * Rootless: as nobody, a socket of a network namespace that a user
 * namespace of ours owns, made by a grandchild that passed it over
 * SCM_RIGHTS and exited.  The pin is found (pidfd_getfd on ourselves and
 * SIOCGSKNS need nothing more), but entering the namespace needs
 * CAP_SYS_ADMIN where we are: its interfaces are a gap.
 */
static int receive_foreign_socket(uint64_t *ino)
{
	int sp[2];
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { ino, sizeof(*ino) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	int status, fd = -1;

	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sp) < 0)
		return -1;
	pid_t gc = fork();
	if (gc < 0)
		return -1;
	if (gc == 0) {
		struct stat st;
		if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0 ||
		    stat("/proc/self/ns/net", &st) < 0)
			_exit(2);
		int s = socket(AF_INET, SOCK_DGRAM, 0);
		uint64_t v = st.st_ino;
		struct iovec giov = { &v, sizeof(v) };
		struct msghdr gmsg = { .msg_iov = &giov, .msg_iovlen = 1,
				       .msg_control = cbuf,
				       .msg_controllen = sizeof(cbuf) };
		struct cmsghdr *c = CMSG_FIRSTHDR(&gmsg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &s, sizeof(int));
		_exit(s >= 0 && sendmsg(sp[1], &gmsg, 0) == sizeof(v) ? 0 : 1);
	}
	if (waitpid(gc, &status, 0) == gc && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0 && recvmsg(sp[0], &msg, 0) == sizeof(*ino)) {
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		if (c && c->cmsg_type == SCM_RIGHTS)
			memcpy(&fd, CMSG_DATA(c), sizeof(int));
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 2) {
		fd = -2;   /* no unprivileged user namespaces here */
	}
	close(sp[0]);
	close(sp[1]);
	return fd;
}

static void test_rootless_socket(void **state)
{
	int status;
	(void)state;

	if (geteuid() != 0)
		skip();
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct warnings w = { 0 };
		struct graph *g = NULL;
		uint64_t ino = 0;
		if (setresgid(65534, 65534, 65534) < 0 ||
		    setresuid(65534, 65534, 65534) < 0 ||
		    prctl(PR_SET_DUMPABLE, 1) < 0)
			_exit(10);
		int fd = receive_foreign_socket(&ino);
		if (fd == -2)
			_exit(77);
		int32_t self = getpid();
		struct capture_opts o = {
			.collect = GRAPH_HAVE_PINS | GRAPH_HAVE_SOCKETS |
				   GRAPH_HAVE_NSFACTS,
			.types = NS_ALL_TYPES, .ids = &self, .nids = 1,
			.warn = count_warning, .warn_ctx = &w,
		};
		if (fd < 0 || capture_live(&o, &g) != 0 || graph_check(g, NULL, 0))
			_exit(11);
		uint32_t net = graph_ns_find(g, (struct ns_key){ g->meta.nsfs_dev,
								 ino });
		const struct graph_proc *p = graph_proc_find(g, self);
		const struct graph_fd *pin = NULL;
		for (uint32_t i = 0; p && i < p->nfds; i++)
			if (g->fds[p->first_fd + i].kind == GRAPH_FD_SOCKET)
				pin = &g->fds[p->first_fd + i];
		if (net == GRAPH_NONE || !pin || pin->fd != fd || pin->ns != net)
			_exit(12);
		bool gap = false;
		for (size_t i = 0; i < g->ngaps; i++)
			gap |= g->gaps[i].err == EPERM;
		if (g->ns[net].nifaces || !gap || !w.count)
			_exit(13);
		graph_free(g);
		_exit(0);
	}
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77) {
		print_message("SKIP: no unprivileged user namespaces here\n");
		skip();
	}
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uts_and_net),
		cmocka_unit_test(test_user_and_time),
		cmocka_unit_test(test_socket_pin),
		cmocka_unit_test(test_netns_mount),
		cmocka_unit_test(test_unprivileged),
		cmocka_unit_test(test_rootless_socket),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
