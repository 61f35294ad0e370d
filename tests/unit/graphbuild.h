/*
 * graphbuild.h — hand-made namespace graphs for the unit tests, and the
 * one comparison of two graphs.
 *
 * Owns: the builder every test file makes its graphs with (namespaces,
 * links, processes, threads, pins, and the workload facts: identities,
 * command lines, workloads, interfaces, socket pins, hostnames), the
 * sample graphs the codec and export
 * tests share, and gb_same_graph(), which says whether two graphs are the
 * same field for field (a field added to the model is added there, once).
 *
 * Header only, static functions; include it after <cmocka.h> (assert_str
 * is a cmocka assertion).  gb_ns() puts a namespace on device GB_DEV (4,
 * as on the test machines), so a line reads "net {4 INO}" with a small INO
 * chosen by the test; gb_ns_at() takes any key.  gb_host() makes the eight
 * namespaces of one "world" at inodes BASE+type (cgroup BASE+0 ... user
 * BASE+6, uts BASE+7), the user namespace topmost (its owner out of sight,
 * like the initial one), the others owned by it.
 *
 * Records must be appended in the graph's grouping order: a process, then
 * its tasks and fds, before the next process; mounts grouped by mount
 * namespace.
 */
#ifndef NSNAP_TEST_GRAPHBUILD_H
#define NSNAP_TEST_GRAPHBUILD_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "render.h"
#include "view.h"

#define GB_DEV 4u
#define GB_OUT GRAPH_NONE /* owner/parent out of sight (EPERM) */

/* The reference's escape sequences, spelled out once for the tests. */
#define GB_UC "\x1b[93m\x1b[1m"   /* USERNS_COLOR */
#define GB_PC "\x1b[38;5;51m"     /* PID_COLOR */
#define GB_N  "\x1b(B\x1b[m"      /* NORMAL */

/* The raw uid_map/gid_map of the initial user namespace, as the kernel
 * formats it ("%10u %10u %10u\n"). */
#define GB_INIT_MAP "         0          0 4294967295\n"

/* A == B, either of them possibly NULL (gb_str_eq(), for the builders). */
static inline bool gb_str_eq_(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static inline void gb_die(const char *what)
{
	fprintf(stderr, "graphbuild: %s failed\n", what);
	abort();
}

static inline struct graph *gb_new(void)
{
	struct graph *g = graph_new();

	if (!g)
		gb_die("graph_new");
	g->meta.collected = GRAPH_HAVE_EVERYTHING;
	g->meta.types_present = NS_ALL_TYPES;
	return g;
}

/* Namespace {DEV INO} of TYPE, which must be new, with nothing known
 * about it (owner and parent not collected). */
static inline uint32_t gb_ns_at(struct graph *g, uint64_t dev, uint64_t ino,
				unsigned type)
{
	bool added = false;
	uint32_t i = graph_ns_add(g, (struct ns_key){ dev, ino }, type, &added);

	if (i == GRAPH_NONE || !added)
		gb_die("graph_ns_add");
	return i;
}

/*
 * Namespace {GB_DEV INO} of TYPE owned by user namespace OWNER (for a user
 * namespace: its parent), or with its owner out of sight (GB_OUT: EPERM).
 * A PID namespace starts without a visible parent (see gb_parent); a user
 * namespace's parent is its owner.
 */
static inline uint32_t gb_ns(struct graph *g, uint64_t ino, unsigned type,
		      uint32_t owner)
{
	uint32_t i = gb_ns_at(g, GB_DEV, ino, type);
	struct graph_ns *n = &g->ns[i];
	n->owner = owner;
	n->owner_err = owner == GB_OUT ? EPERM : 0;
	if (type == NS_USER) {
		n->parent = owner;
		n->parent_err = n->owner_err;
		n->flags |= GRAPH_NS_HAS_CREATOR;
	} else if (type == NS_PID) {
		n->parent = GRAPH_NONE;
		n->parent_err = EPERM;
	}
	return i;
}

/* NS_GET_PARENT of a PID namespace: PARENT, or GB_OUT. */
static inline void gb_parent(struct graph *g, uint32_t ns, uint32_t parent)
{
	g->ns[ns].parent = parent;
	g->ns[ns].parent_err = parent == GB_OUT ? EPERM : 0;
}

static inline void gb_creator(struct graph *g, uint32_t ns, uint32_t uid)
{
	g->ns[ns].creator_uid = uid;
	g->ns[ns].flags |= GRAPH_NS_HAS_CREATOR;
}

/* The kernel's namespace ID (NS_GET_ID) of NS. */
static inline void gb_id(struct graph *g, uint32_t ns, uint64_t id)
{
	g->ns[ns].kernel_id = id;
	g->ns[ns].flags |= GRAPH_NS_HAS_ID;
}

/* Raw map texts (NULL: no member's file could be read). */
static inline void gb_maps(struct graph *g, uint32_t ns, const char *uid_map,
		    const char *gid_map)
{
	g->ns[ns].uid_map = graph_strdup(g, uid_map);
	g->ns[ns].gid_map = graph_strdup(g, gid_map);
}

/* One namespace per type: what a /proc/ID/ns directory links to. */
struct gb_set {
	uint32_t ns[NS_NTYPES];
};

/* The eight namespaces of a world at BASE+type; see the header comment. */
static inline struct gb_set gb_host(struct graph *g, uint64_t base)
{
	struct gb_set s;

	s.ns[NS_USER] = gb_ns(g, base + NS_USER, NS_USER, GB_OUT);
	gb_maps(g, s.ns[NS_USER], GB_INIT_MAP, GB_INIT_MAP);
	for (unsigned t = 0; t < NS_NTYPES; t++)
		if (t != NS_USER)
			s.ns[t] = gb_ns(g, base + t, t, s.ns[NS_USER]);
	return s;
}

/* Links to NS, one namespace per type; a GRAPH_NONE entry reads as ERR.
 * pid_for_children and time_for_children are left as they are. */
static inline void gb_links_to(struct graph_links *l, const uint32_t *ns,
			       int err)
{
	for (unsigned t = 0; t < NS_NTYPES; t++) {
		l->ns[t] = ns[t];
		l->err[t] = ns[t] == GRAPH_NONE ? err : 0;
	}
}

/* The same, with pid_for_children and time_for_children on NS's PID and
 * time namespaces: a process that unshared neither for its children. */
static inline void gb_links_own(struct graph_links *l, const uint32_t *ns,
				int err)
{
	gb_links_to(l, ns, err);
	l->pid_for_children = ns[NS_PID];
	l->time_for_children = ns[NS_TIME];
}

/* Links to S; a GRAPH_NONE entry reads as ENOENT. */
static inline void gb_links(struct graph_links *l, const struct gb_set *s)
{
	gb_links_to(l, s->ns, ENOENT);
}

/* Link TYPE of L could not be read: ERR. */
static inline void gb_link_err(struct graph_links *l, unsigned type, int err)
{
	l->ns[type] = GRAPH_NONE;
	l->err[type] = err;
}

/*
 * A process seen in the /proc listing, running COMM, with readable task
 * and fd lists (empty until gb_task, gb_thread, gb_fd) and a status file
 * without an NStgid line; its links not read yet (gb_links*).  The pointer
 * is valid until the next process is added.
 */
static inline struct graph_proc *gb_proc_comm(struct graph *g, int32_t pid,
					      const char *comm)
{
	struct graph_proc *p = graph_proc_append(g, pid);

	if (!p)
		gb_die("graph_proc_append");
	p->flags = GRAPH_PROC_LISTED;
	p->task_err = 0;
	p->fd_err = 0;
	p->status_err = 0;
	p->comm = graph_strdup(g, comm);
	return p;
}

/* The same with comm "pPID" and links S. */
static inline struct graph_proc *gb_proc(struct graph *g, int32_t pid,
				  const struct gb_set *s)
{
	char comm[32];

	snprintf(comm, sizeof(comm), "p%d", (int)pid);
	struct graph_proc *p = gb_proc_comm(g, pid, comm);
	gb_links(&p->links, s);
	return p;
}

/* A thread TID of P, the last process added, with nothing set. */
static inline struct graph_task *gb_task_of(struct graph *g,
					    struct graph_proc *p, int32_t tid)
{
	struct graph_task *t = graph_task_append(g, tid);

	if (!t)
		gb_die("graph_task_append");
	if (p->first_task + p->ntasks != g->ntasks - 1)
		gb_die("gb_task (tasks of another process in between)");
	p->ntasks++;
	return t;
}

/* A thread of P (the last process added) with links S and comm "tTID". */
static inline struct graph_task *gb_task(struct graph *g, struct graph_proc *p,
				  int32_t tid, const struct gb_set *s)
{
	struct graph_task *t = gb_task_of(g, p, tid);
	char comm[32];

	snprintf(comm, sizeof(comm), "t%d", (int)tid);
	t->comm = graph_strdup(g, comm);
	gb_links(&t->links, s);
	return t;
}

/* A thread of P (the last process added) as P itself: its comm and links. */
static inline struct graph_task *gb_thread(struct graph *g,
					   struct graph_proc *p, int32_t tid)
{
	struct graph_task *t = gb_task_of(g, p, tid);

	t->comm = p->comm;
	t->links = p->links;
	return t;
}

/* Namespace fd FD of P (the last process added), held on NS. */
static inline void gb_fd(struct graph *g, struct graph_proc *p, int32_t fd,
		  uint32_t ns)
{
	struct graph_fd *f = graph_fd_append(g);

	if (!f)
		gb_die("graph_fd_append");
	if (p->first_fd + p->nfds != g->nfds - 1)
		gb_die("gb_fd (fds of another process in between)");
	p->nfds++;
	f->fd = fd;
	f->ns = ns;
}

/* A socket pin: fd FD of P (the last process added) is a socket of network
 * namespace NETNS (GRAPH_FD_SOCKET). */
static inline void gb_socket_pin(struct graph *g, struct graph_proc *p,
				 int32_t fd, uint32_t netns)
{
	gb_fd(g, p, fd, netns);
	g->fds[g->nfds - 1].kind = GRAPH_FD_SOCKET;
}

/* ---- the workload facts -------------------------------------------------- */

/* P's command line: the strings of ARGV (NULL-terminated), each followed
 * by a NUL but the last, as /proc/PID/cmdline reads without its final NUL.
 * ARGV NULL: unreadable (cmdline NULL). */
static inline void gb_cmdline(struct graph *g, struct graph_proc *p,
			      const char *const *argv)
{
	char buf[GRAPH_CMDLINE_MAX];
	size_t n = 0;

	p->cmdline = NULL;
	p->cmdline_len = 0;
	if (!argv)
		return;
	for (size_t i = 0; argv[i]; i++) {
		size_t k = strlen(argv[i]);
		if (n + k + (i > 0) > sizeof(buf))
			gb_die("gb_cmdline (too long)");
		if (i)
			buf[n++] = '\0';
		memcpy(buf + n, argv[i], k);
		n += k;
	}
	p->cmdline = graph_strndup(g, buf, n);
	if (!p->cmdline)
		gb_die("graph_strndup");
	p->cmdline_len = (uint32_t)n;
}

/* Who P is: its executable and cgroup (NULL: unreadable), real and
 * effective uid UID and gid GID (GRAPH_PROC_HAS_CRED), no login. */
static inline void gb_identity(struct graph *g, struct graph_proc *p,
			       const char *exe, const char *cgroup,
			       uint32_t uid, uint32_t gid)
{
	p->exe = exe ? graph_strdup(g, exe) : NULL;
	p->cgroup = cgroup ? graph_strdup(g, cgroup) : NULL;
	p->ruid = p->euid = uid;
	p->rgid = p->egid = gid;
	p->flags |= GRAPH_PROC_HAS_CRED;
}

/* P's login uid and session (GRAPH_PROC_HAS_LOGIN). */
static inline void gb_login(struct graph_proc *p, uint32_t loginuid,
			    uint32_t sessionid)
{
	p->loginuid = loginuid;
	p->sessionid = sessionid;
	p->flags |= GRAPH_PROC_HAS_LOGIN;
}

/*
 * The workload (RUNTIME, ID) of KIND, named NAME (may be NULL), added when
 * new, and P's workload when P is not NULL.  The workloads stay in
 * (runtime, id) order, as graph_check() wants: an index returned here
 * holds until the next gb_workload().
 */
static inline uint32_t gb_workload(struct graph *g, struct graph_proc *p,
				   unsigned kind, const char *runtime,
				   const char *id, const char *name)
{
	bool added;
	uint32_t w = graph_workload_add(g, runtime, id, &added);

	if (w == GRAPH_NONE)
		gb_die("graph_workload_add");
	g->workloads[w].kind = (uint8_t)kind;
	if (name)
		g->workloads[w].name = graph_strdup(g, name);
	if (p)
		p->workload = w;
	if (graph_workloads_sort(g))
		gb_die("graph_workloads_sort");
	for (uint32_t i = 0; i < g->nworkloads; i++)
		if (gb_str_eq_(g->workloads[i].runtime, runtime) &&
		    gb_str_eq_(g->workloads[i].id, id))
			return i;
	gb_die("gb_workload (lost)");
	return GRAPH_NONE;
}

/*
 * Interface IFINDEX of network namespace NS, named NAME, with IFF_* FLAGS,
 * OPERSTATE (IF_OPER_*), MAC and ADDRS (NULL: none).  Interfaces are
 * appended namespace by namespace, in graph order (the slices are back to
 * back).
 */
static inline void gb_iface(struct graph *g, uint32_t ns, int32_t ifindex,
			    const char *name, uint32_t flags, uint8_t operstate,
			    const char *mac, const char *addrs)
{
	struct graph_ns *n = &g->ns[ns];
	struct graph_iface *f;

	if (!n->nifaces)
		n->first_iface = (uint32_t)g->nifaces;
	else if (n->first_iface + n->nifaces != g->nifaces)
		gb_die("gb_iface (interfaces of another namespace in between)");
	f = graph_iface_append(g);
	if (!f)
		gb_die("graph_iface_append");
	*f = (struct graph_iface){
		.ns = ns, .ifindex = ifindex, .flags = flags,
		.operstate = operstate,
		.name = name ? graph_strdup(g, name) : NULL,
		.mac = mac ? graph_strdup(g, mac) : NULL,
		.addrs = addrs ? graph_strdup(g, addrs) : NULL,
	};
	n->nifaces++;
}

/* UTS namespace UTS's hostname and domain name (NULL: not read). */
static inline void gb_hostname(struct graph *g, uint32_t uts,
			       const char *host, const char *domain)
{
	g->ns[uts].hostname = host ? graph_strdup(g, host) : NULL;
	g->ns[uts].domainname = domain ? graph_strdup(g, domain) : NULL;
}

/* Network namespace NS has NETNSID NSID (GRAPH_NS_HAS_NSID). */
static inline void gb_nsid(struct graph *g, uint32_t ns, int32_t nsid)
{
	g->ns[ns].nsid = nsid;
	g->ns[ns].flags |= GRAPH_NS_HAS_NSID;
}

/* An nsfs bind mount of NS on PATH in mount namespace MNTNS (NS GRAPH_NONE:
 * the path could not be opened). */
static inline void gb_mount(struct graph *g, uint32_t mntns, uint32_t ns,
		     const char *path)
{
	struct graph_mount *m = graph_mount_append(g);

	if (!m)
		gb_die("graph_mount_append");
	m->mntns = mntns;
	m->ns = ns;
	m->open_err = ns == GRAPH_NONE ? ENOENT : 0;
	m->path = graph_strdup(g, path);
}

/* render_tree into a string (free it). */
static inline char *gb_render(const struct graph *g, const struct view *v,
		       const struct render_opts *ro)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		gb_die("open_memstream");
	if (render_tree(f, g, v, ro) != 0)
		gb_die("render_tree");
	fclose(f);
	return buf;
}

/*
 * view_build + render_tree: the text, or NULL when view_build failed (its
 * return value in *rc).  *status (when given) gets the view's exit status.
 */
static inline char *gb_show(const struct graph *g, const struct view_opts *vo,
		     const struct render_opts *ro, int *rc, int *status)
{
	struct view v;
	int r = view_build(g, vo, &v);

	if (rc)
		*rc = r;
	if (r)
		return NULL;
	char *text = gb_render(g, &v, ro);
	if (status)
		*status = v.status;
	view_release(&v);
	return text;
}

/* TEXT with escapes and control characters made visible, on F. */
/* Text a printer wrote: gb_cap_open() gives the stream to print to,
 * gb_cap_close() the text (the caller frees it). */
struct gb_capture {
	char *buf;
	size_t len;
	FILE *f;
};

static inline FILE *gb_cap_open(struct gb_capture *c)
{
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	if (!c->f)
		gb_die("open_memstream");
	return c->f;
}

static inline char *gb_cap_close(struct gb_capture *c)
{
	fclose(c->f);
	return c->buf;
}

static inline void gb_dump(FILE *f, const char *label, const char *text)
{
	fprintf(f, "---- %s ----\n", label);
	if (!text) {
		fputs("(null)\n", f);
		return;
	}
	for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
		if (*c == '\n')
			fputs("\\n\n", f);
		else if (*c == '\x1b')
			fputs("<ESC>", f);
		else if (*c == '\t')
			fputs("\\t", f);
		else if (*c < 0x20 || *c >= 0x7f)
			fprintf(f, "\\x%02x", *c);
		else
			fputc(*c, f);
	}
	fputs("<END>\n", f);
}

/* True when GOT == WANT; otherwise both are dumped on stderr. */
static inline bool gb_same(const char *got, const char *want)
{
	if (got && want && strcmp(got, want) == 0)
		return true;
	gb_dump(stderr, "want", want);
	gb_dump(stderr, "got", got);
	return false;
}

/* ---- the sample graphs of the codec and export tests --------------------- */

/*
 * The namespaces of their full graphs, in this order: INIT (one of each
 * type at 4026531835 + type), CONT (at 4026532200 + type), *ODD
 * {UINT64_MAX 0} (net) and *ODD2 {0 UINT64_MAX} (user).  Every one has an
 * id; the initial user namespace owns the others, a forward reference and
 * odd errnos included.
 */
static inline void gb_sample_namespaces(struct graph *g, uint32_t *init,
					uint32_t *cont, uint32_t *odd,
					uint32_t *odd2)
{
	for (unsigned ty = 0; ty < NS_NTYPES; ty++)
		init[ty] = gb_ns_at(g, 4, 4026531835u + ty, ty);
	for (unsigned ty = 0; ty < NS_NTYPES; ty++)
		cont[ty] = gb_ns_at(g, 4, 4026532200u + ty, ty);
	/* Extremes of the key space. */
	*odd = gb_ns_at(g, UINT64_MAX, 0, NS_NET);
	*odd2 = gb_ns_at(g, 0, UINT64_MAX, NS_USER);

	for (size_t i = 0; i < g->nns; i++) {
		struct graph_ns *ns = &g->ns[i];
		ns->owner = ns->type == NS_USER ? GRAPH_NONE : init[NS_USER];
		ns->owner_err = ns->type == NS_USER ? EPERM : 0;
		if (ns->type == NS_PID || ns->type == NS_USER) {
			ns->parent = GRAPH_NONE;
			ns->parent_err = EPERM;
		}
		ns->flags = GRAPH_NS_HAS_ID;
		ns->kernel_id = 1000 + i;
	}
	/* Forward references (to later namespaces) and odd values. */
	g->ns[init[NS_NET]].owner = *odd2;
	g->ns[cont[NS_USER]].owner = init[NS_USER];
	g->ns[cont[NS_USER]].owner_err = 0;
	g->ns[cont[NS_USER]].parent = init[NS_USER];
	g->ns[cont[NS_USER]].parent_err = 0;
	g->ns[cont[NS_USER]].flags = GRAPH_NS_HAS_ID | GRAPH_NS_HAS_CREATOR | 0x80;
	g->ns[cont[NS_USER]].creator_uid = UINT32_MAX;
	g->ns[cont[NS_USER]].uid_map = graph_strdup(g, "         0     100000      65536\n");
	g->ns[cont[NS_USER]].gid_map = graph_strdup(g, "");
	g->ns[init[NS_USER]].uid_map = graph_strdup(g, "         0          0 4294967295\n");
	g->ns[cont[NS_PID]].parent = init[NS_PID];
	g->ns[cont[NS_PID]].parent_err = 0;
	g->ns[*odd].owner_err = -5;
	g->ns[*odd].kernel_id = UINT64_MAX;
	g->ns[*odd2].owner_err = INT32_MIN;
	g->ns[*odd2].parent_err = INT32_MAX;
}

/*
 * pid 1, the first process: "systemd" in INIT, three threads (the second
 * in CONT's net namespace, the third with an index and an errno on one
 * link and no time_for_children), two fds (one on nothing).  Returns it.
 */
static inline struct graph_proc *gb_sample_pid1(struct graph *g,
						const uint32_t *init,
						const uint32_t *cont)
{
	struct graph_proc *p = gb_proc_comm(g, 1, "systemd");
	struct graph_task *t;

	p->start_time = 1;
	p->nstgid = graph_strdup(g, "1");
	gb_links_own(&p->links, init, 0);
	for (int k = 0; k < 3; k++) {
		t = gb_thread(g, p, 1 + k * 100);
		if (k)
			t->comm = k == 2 ? NULL : graph_strdup(g, "");
	}
	g->tasks[g->ntasks - 2].links.ns[NS_NET] = cont[NS_NET];
	g->tasks[g->ntasks - 1].links.err[NS_IPC] = EACCES; /* index and errno */
	g->tasks[g->ntasks - 1].links.time_for_children = GRAPH_NONE;
	gb_fd(g, p, 3, cont[NS_NET]);
	gb_fd(g, p, INT32_MAX, GRAPH_NONE);
	return p;
}

/*
 * Every workload fact on a sample graph made of gb_sample_namespaces() and
 * processes (the first at least): hostnames, setgroups, time offsets,
 * NETNSIDs, interfaces of two network namespaces, three workloads (one
 * with no process), the identity of the first processes with extremes,
 * and the fd of pid 1 on CONT's network namespace made a socket pin.
 */
static inline void gb_sample_facts(struct graph *g, const uint32_t *init,
				   const uint32_t *cont)
{
	static const char *const argv[] = {
		"/usr/bin/sleep", "", "with space", "\xff\xfe not UTF-8",
		"tab\there", NULL,
	};
	struct graph_proc *p = &g->procs[0];

	gb_hostname(g, init[NS_UTS], "host", NULL);
	gb_hostname(g, cont[NS_UTS], "ux-db \xff", "");
	g->ns[init[NS_USER]].setgroups = GRAPH_SETGROUPS_ALLOW;
	g->ns[cont[NS_USER]].setgroups = GRAPH_SETGROUPS_DENY;
	g->ns[cont[NS_TIME]].timens_offsets =
		graph_strdup(g, "monotonic 0 0\nboottime -5 999999999\n");
	gb_nsid(g, cont[NS_NET], 0);
	gb_nsid(g, init[NS_NET], INT32_MIN);
	g->ns[cont[NS_NET]].nsid = -1;
	gb_iface(g, init[NS_NET], 1, "lo", 0x49, 0, NULL, "127.0.0.1/8 ::1/128");
	gb_iface(g, init[NS_NET], INT32_MAX, "eth \xff", 0xffffffffu, 255,
		 "aa:bb:cc:dd:ee:ff", "");
	gb_iface(g, cont[NS_NET], 2, NULL, 0x1043, 6, "02:00:00:00:00:01",
		 "10.88.0.5/16 fe80::1/64");

	gb_cmdline(g, p, argv);
	gb_identity(g, p, "/usr/lib/systemd/systemd", "/init.scope", 0,
		    UINT32_MAX);
	p->euid = UINT32_MAX;
	p->cap_eff = UINT64_MAX;
	p->no_new_privs = 1;
	p->seccomp = 2;
	gb_login(p, UINT32_MAX - 1, 0);
	p->flags |= GRAPH_PROC_CMDLINE_CUT;
	gb_workload(g, p, GRAPH_WL_SERVICE, "systemd", "init.scope", NULL);
	if (g->nprocs > 1) {
		p = &g->procs[1];
		gb_identity(g, p, NULL, "/machine.slice/libpod-0123abcd.scope",
			    100000, 100000);
		static const char *const empty[] = { "", NULL };
		gb_cmdline(g, p, empty);
		uint32_t w = gb_workload(g, p, GRAPH_WL_CONTAINER, "podman",
					 "0123abcd", "ux-db");
		g->workloads[w].pod = graph_strdup(g, "default/ux \xff");
		g->workloads[w].cgroup =
			graph_strdup(g, "/machine.slice/libpod-0123abcd.scope");
	}
	/* Nobody's: a workload is kept even when no process names it. */
	gb_workload(g, NULL, GRAPH_WL_CGROUP, "cgroup", "/", "");
	struct graph_fd *pin = &g->fds[g->procs[0].first_fd];
	if (g->procs[0].nfds && pin->ns == cont[NS_NET])
		pin->kind = GRAPH_FD_SOCKET;
}

/* ---- comparing ------------------------------------------------------------ */

/* A == B, either of them possibly NULL. */
static inline bool gb_str_eq(const char *a, const char *b)
{
	return gb_str_eq_(a, b);
}

/* The same as a cmocka assertion. */
static inline void assert_str(const char *a, const char *b)
{
	if (!a || !b)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

static inline bool gb_differ(const char *what, size_t i, const char *field,
			     long long a, long long b)
{
	fprintf(stderr, "graphbuild: the graphs differ at %s[%zu].%s: %lld, "
		"then %lld\n", what, i, field, a, b);
	return false;
}

static inline bool gb_differ_str(const char *what, size_t i,
				 const char *field, const char *a,
				 const char *b)
{
	fprintf(stderr, "graphbuild: the graphs differ at %s[%zu].%s: "
		"\"%s\", then \"%s\"\n", what, i, field, a ? a : "(null)",
		b ? b : "(null)");
	return false;
}

/* In a gb_same_* function: return false, saying where, unless X.F == Y.F. */
#define GB_SAME(what, i, x, y, f) \
	do { \
		if ((unsigned long long)(x).f != (unsigned long long)(y).f) \
			return gb_differ(what, i, #f, (long long)(x).f, \
					 (long long)(y).f); \
	} while (0)
#define GB_SAME_STR(what, i, x, y, f) \
	do { \
		if (!gb_str_eq((x).f, (y).f)) \
			return gb_differ_str(what, i, #f, (x).f, (y).f); \
	} while (0)

static inline bool gb_same_links(const char *what, size_t i,
				 const struct graph_links *a,
				 const struct graph_links *b)
{
	for (unsigned t = 0; t < NS_NTYPES; t++) {
		if (a->ns[t] == b->ns[t] && a->err[t] == b->err[t])
			continue;
		fprintf(stderr, "graphbuild: the graphs differ at %s[%zu].links "
			"(%s): ns %u err %d, then ns %u err %d\n", what, i,
			ns_type_name(t), a->ns[t], a->err[t], b->ns[t], b->err[t]);
		return false;
	}
	GB_SAME(what, i, *a, *b, pid_for_children);
	GB_SAME(what, i, *a, *b, time_for_children);
	return true;
}

static inline bool gb_same_namespaces(const struct graph *a,
				      const struct graph *b)
{
	for (size_t i = 0; i < a->nns; i++) {
		const struct graph_ns *x = &a->ns[i], *y = &b->ns[i];
		GB_SAME("ns", i, *x, *y, key.dev);
		GB_SAME("ns", i, *x, *y, key.ino);
		GB_SAME("ns", i, *x, *y, type);
		GB_SAME("ns", i, *x, *y, flags);
		GB_SAME("ns", i, *x, *y, owner);
		GB_SAME("ns", i, *x, *y, owner_err);
		GB_SAME("ns", i, *x, *y, parent);
		GB_SAME("ns", i, *x, *y, parent_err);
		GB_SAME("ns", i, *x, *y, creator_uid);
		GB_SAME("ns", i, *x, *y, kernel_id);
		GB_SAME_STR("ns", i, *x, *y, uid_map);
		GB_SAME_STR("ns", i, *x, *y, gid_map);
		GB_SAME_STR("ns", i, *x, *y, hostname);
		GB_SAME_STR("ns", i, *x, *y, domainname);
		GB_SAME("ns", i, *x, *y, setgroups);
		GB_SAME_STR("ns", i, *x, *y, timens_offsets);
		GB_SAME("ns", i, *x, *y, nsid);
		GB_SAME("ns", i, *x, *y, nifaces);
		/* Where an empty slice starts says nothing. */
		if (x->nifaces)
			GB_SAME("ns", i, *x, *y, first_iface);
		/* B's namespace index finds it where A has it. */
		if (graph_ns_find(b, y->key) != i)
			return gb_differ("ns", i, "(index)", (long long)i,
					 (long long)graph_ns_find(b, y->key));
	}
	return true;
}

static inline bool gb_same_processes(const struct graph *a,
				     const struct graph *b)
{
	for (size_t i = 0; i < a->nprocs; i++) {
		const struct graph_proc *x = &a->procs[i], *y = &b->procs[i];
		GB_SAME("procs", i, *x, *y, pid);
		GB_SAME("procs", i, *x, *y, flags);
		GB_SAME("procs", i, *x, *y, ppid);
		GB_SAME("procs", i, *x, *y, uid);
		GB_SAME("procs", i, *x, *y, start_time);
		GB_SAME_STR("procs", i, *x, *y, comm);
		GB_SAME_STR("procs", i, *x, *y, nstgid);
		GB_SAME("procs", i, *x, *y, status_err);
		if (!gb_same_links("procs", i, &x->links, &y->links))
			return false;
		GB_SAME("procs", i, *x, *y, first_task);
		GB_SAME("procs", i, *x, *y, ntasks);
		GB_SAME("procs", i, *x, *y, task_err);
		GB_SAME("procs", i, *x, *y, first_fd);
		GB_SAME("procs", i, *x, *y, nfds);
		GB_SAME("procs", i, *x, *y, fd_err);
		GB_SAME("procs", i, *x, *y, cmdline_len);
		if ((!x->cmdline != !y->cmdline) ||
		    (x->cmdline && memcmp(x->cmdline, y->cmdline, x->cmdline_len)))
			return gb_differ_str("procs", i, "cmdline", x->cmdline,
					     y->cmdline);
		GB_SAME_STR("procs", i, *x, *y, exe);
		GB_SAME_STR("procs", i, *x, *y, cgroup);
		GB_SAME("procs", i, *x, *y, ruid);
		GB_SAME("procs", i, *x, *y, euid);
		GB_SAME("procs", i, *x, *y, rgid);
		GB_SAME("procs", i, *x, *y, egid);
		GB_SAME("procs", i, *x, *y, cap_eff);
		GB_SAME("procs", i, *x, *y, no_new_privs);
		GB_SAME("procs", i, *x, *y, seccomp);
		GB_SAME("procs", i, *x, *y, loginuid);
		GB_SAME("procs", i, *x, *y, sessionid);
		GB_SAME("procs", i, *x, *y, workload);
	}
	for (size_t i = 0; i < a->ntasks; i++) {
		GB_SAME("tasks", i, a->tasks[i], b->tasks[i], tid);
		GB_SAME_STR("tasks", i, a->tasks[i], b->tasks[i], comm);
		if (!gb_same_links("tasks", i, &a->tasks[i].links,
				   &b->tasks[i].links))
			return false;
	}
	return true;
}

static inline bool gb_same_pins_and_gaps(const struct graph *a,
					 const struct graph *b)
{
	for (size_t i = 0; i < a->nfds; i++) {
		GB_SAME("fds", i, a->fds[i], b->fds[i], fd);
		GB_SAME("fds", i, a->fds[i], b->fds[i], ns);
		GB_SAME("fds", i, a->fds[i], b->fds[i], kind);
	}
	for (size_t i = 0; i < a->nmounts; i++) {
		GB_SAME("mounts", i, a->mounts[i], b->mounts[i], mntns);
		GB_SAME("mounts", i, a->mounts[i], b->mounts[i], ns);
		GB_SAME("mounts", i, a->mounts[i], b->mounts[i], open_err);
		GB_SAME("mounts", i, a->mounts[i], b->mounts[i], list_err);
		GB_SAME_STR("mounts", i, a->mounts[i], b->mounts[i], path);
	}
	for (size_t i = 0; i < a->ngaps; i++) {
		GB_SAME("gaps", i, a->gaps[i], b->gaps[i], pid);
		GB_SAME("gaps", i, a->gaps[i], b->gaps[i], tid);
		GB_SAME("gaps", i, a->gaps[i], b->gaps[i], err);
		GB_SAME_STR("gaps", i, a->gaps[i], b->gaps[i], what);
	}
	return true;
}

static inline bool gb_same_facts(const struct graph *a, const struct graph *b)
{
	for (size_t i = 0; i < a->nifaces; i++) {
		const struct graph_iface *x = &a->ifaces[i], *y = &b->ifaces[i];
		GB_SAME("ifaces", i, *x, *y, ns);
		GB_SAME("ifaces", i, *x, *y, ifindex);
		GB_SAME("ifaces", i, *x, *y, flags);
		GB_SAME("ifaces", i, *x, *y, operstate);
		GB_SAME_STR("ifaces", i, *x, *y, name);
		GB_SAME_STR("ifaces", i, *x, *y, mac);
		GB_SAME_STR("ifaces", i, *x, *y, addrs);
	}
	for (size_t i = 0; i < a->nworkloads; i++) {
		const struct graph_workload *x = &a->workloads[i];
		const struct graph_workload *y = &b->workloads[i];
		GB_SAME("workloads", i, *x, *y, kind);
		GB_SAME_STR("workloads", i, *x, *y, runtime);
		GB_SAME_STR("workloads", i, *x, *y, id);
		GB_SAME_STR("workloads", i, *x, *y, name);
		GB_SAME_STR("workloads", i, *x, *y, pod);
		GB_SAME_STR("workloads", i, *x, *y, cgroup);
	}
	return true;
}

/*
 * Whether A and B are the same graph, field for field: the capture
 * metadata, every record of every kind in the same order, strings by
 * content (NULL is not ""), and B's namespace index finding each key.
 * When not, the first difference is said on stderr.  Use it as
 * assert_true(gb_same_graph(a, b)).
 */
static inline bool gb_same_graph(const struct graph *a, const struct graph *b)
{
	const struct graph_meta *x = &a->meta, *y = &b->meta;

	GB_SAME("meta", 0, *x, *y, start_ns);
	GB_SAME("meta", 0, *x, *y, end_ns);
	GB_SAME_STR("meta", 0, *x, *y, hostname);
	GB_SAME_STR("meta", 0, *x, *y, kernel);
	GB_SAME_STR("meta", 0, *x, *y, boot_id);
	GB_SAME("meta", 0, *x, *y, capturer_pid);
	GB_SAME("meta", 0, *x, *y, collected);
	GB_SAME("meta", 0, *x, *y, types_present);
	GB_SAME("meta", 0, *x, *y, nsfs_dev);
	GB_SAME("graph", 0, *a, *b, nns);
	GB_SAME("graph", 0, *a, *b, nprocs);
	GB_SAME("graph", 0, *a, *b, ntasks);
	GB_SAME("graph", 0, *a, *b, nfds);
	GB_SAME("graph", 0, *a, *b, nmounts);
	GB_SAME("graph", 0, *a, *b, ngaps);
	GB_SAME("graph", 0, *a, *b, nifaces);
	GB_SAME("graph", 0, *a, *b, nworkloads);
	return gb_same_namespaces(a, b) && gb_same_processes(a, b) &&
	       gb_same_pins_and_gaps(a, b) && gb_same_facts(a, b);
}

#undef GB_SAME
#undef GB_SAME_STR

#endif
