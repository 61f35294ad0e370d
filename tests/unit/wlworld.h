/*
 * wlworld.h — the workload world the printer tests share (test_render,
 * test_format): a small graph holding every workload fact nsshow shows.
 * Include it after graphbuild.h.
 */
#ifndef NSNAP_TEST_WLWORLD_H
#define NSNAP_TEST_WLWORLD_H

#include <net/if.h>

/*
 * The workload world: host namespaces (hostname "host1"); podman
 * container ux-db (workload 0) runs PID 20 "sleep 1000" in net 203
 * (netns "blue", NETNSID 3, lo and eth0) and uts 207 ("db1"); systemd's
 * ssh.service (workload 1) runs PID 10, which holds a socket (fd 5) of
 * net 303, where nothing else is; PID 1 belongs to no workload; PID 30
 * is in user 206 (setgroups deny).  NAME and HOST are the container's
 * name and host name.  PID 20 also has the rest of a process's identity,
 * eth0 a MAC address, the host's time namespace its offsets.
 */
static inline struct graph *wl_world(const char *name, const char *host)
{
	static const char *const sleep_argv[] = { "sleep", "1000", NULL };
	static const char *const sshd_argv[] = { "sshd: /usr/sbin/sshd -D", NULL };
	struct graph *g = gb_new();
	struct gb_set h = gb_host(g, 100), c = h, u = h;
	uint32_t pod = gb_workload(g, NULL, GRAPH_WL_CONTAINER, "podman",
				   "0123456789abcdef0123", name);
	uint32_t svc = gb_workload(g, NULL, GRAPH_WL_SERVICE, "systemd",
				   "ssh.service", "ssh.service");
	uint32_t n3;
	struct graph_proc *p;

	c.ns[NS_NET] = gb_ns(g, 203, NS_NET, h.ns[NS_USER]);
	c.ns[NS_UTS] = gb_ns(g, 207, NS_UTS, h.ns[NS_USER]);
	n3 = gb_ns(g, 303, NS_NET, h.ns[NS_USER]);
	u.ns[NS_USER] = gb_ns(g, 206, NS_USER, h.ns[NS_USER]);
	gb_maps(g, u.ns[NS_USER], "0 1000 1\n", "0 1000 1\n");
	g->ns[u.ns[NS_USER]].setgroups = GRAPH_SETGROUPS_DENY;
	gb_hostname(g, h.ns[NS_UTS], "host1", "(none)");
	gb_hostname(g, c.ns[NS_UTS], host, NULL);
	gb_nsid(g, c.ns[NS_NET], 3);
	gb_iface(g, c.ns[NS_NET], 1, "lo", IFF_UP | IFF_LOOPBACK, 0, NULL,
		 "127.0.0.1/8 ::1/128");
	gb_iface(g, c.ns[NS_NET], 2, "eth0", IFF_UP | IFF_BROADCAST,
		 6 /* IF_OPER_UP */, "aa:bb:cc:dd:ee:ff",
		 "10.88.0.5/16 fe80::1/64");
	g->ns[h.ns[NS_TIME]].timens_offsets =
		graph_strdup(g, "monotonic 0 0\nboottime 0 0\n");
	gb_mount(g, h.ns[NS_MNT], c.ns[NS_NET], "/run/netns/blue");

	gb_proc(g, 1, &h)->comm = graph_strdup(g, "systemd");
	p = gb_proc(g, 10, &h);
	p->comm = graph_strdup(g, "sshd");
	p->workload = svc;
	gb_cmdline(g, p, sshd_argv);
	gb_socket_pin(g, p, 5, n3);
	p = gb_proc(g, 20, &c);
	p->comm = graph_strdup(g, "sleep");
	p->workload = pod;
	gb_cmdline(g, p, sleep_argv);
	p->exe = graph_strdup(g, "/usr/bin/sleep");
	p->cgroup = graph_strdup(g, "/machine.slice/libpod-0123456789abcdef0123"
				    ".scope/container");
	p->flags |= GRAPH_PROC_HAS_CRED | GRAPH_PROC_HAS_LOGIN;
	p->ruid = p->euid = 0;
	p->rgid = p->egid = 0;
	p->cap_eff = 0xa80425fbull;
	p->no_new_privs = 1;
	p->seccomp = 2;
	p->loginuid = UINT32_MAX;
	p->sessionid = UINT32_MAX;
	p->nstgid = graph_strdup(g, "20\t1");
	gb_proc(g, 30, &u);
	return g;
}

#endif
