/*
 * test_capture.c — capture_live() against the live system it runs in.
 *
 * Expected values come from independent oracles, never from capture:
 * readlink/stat of the /proc/self/ns links, the nsfs ioctls asked directly, the
 * raw text of our own /proc files.  The test must pass both on a plain host
 * (where PID 1's links answer EACCES, which must be a gap, not a failure)
 * and as PID 1 of `unshare --pid --fork --mount-proc`.  Tests that need
 * privileges (unshare, mount) skip without them.  Only one capture scans
 * the whole of /proc; the others ask for a few IDs, to stay fast.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "procfs.h"

#define NSIOC_GET_USERNS    _IO(0xb7, 0x1)
#define NSIOC_GET_PARENT    _IO(0xb7, 0x2)
#define NSIOC_GET_OWNER_UID _IO(0xb7, 0x4)
#define NSIOC_GET_ID        _IOR(0xb7, 13, uint64_t)

/* ---- oracles ---------------------------------------------------------- */

static uint64_t nsfs_dev(void)
{
	struct stat st;

	assert_int_equal(stat("/proc/self/ns/user", &st), 0);
	return st.st_dev;
}

/* The inode of namespace link PATH (e.g. "/proc/self/ns/net"), by readlink. */
static uint64_t link_ino(const char *path)
{
	char buf[64];
	uint64_t ino = 0;
	ssize_t n = readlink(path, buf, sizeof(buf));

	assert_true(n > 0 && (size_t)n < sizeof(buf));
	assert_true(procfs_parse_nslink(buf, (size_t)n, &ino) >= 0);
	return ino;
}

static uint64_t self_ino(unsigned type)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/ns/%s", ns_type_name(type));
	return link_ino(path);
}

static uint32_t ns_of(const struct graph *g, uint64_t ino)
{
	return graph_ns_find(g, (struct ns_key){ g->meta.nsfs_dev, ino });
}

/*
 * What ioctl REQ answers for /proc/self/ns/<TYPE>: the index in G of the
 * namespace it returns (0 in *err), or GRAPH_NONE and the errno.
 */
static uint32_t related(const struct graph *g, unsigned type, unsigned long req,
			int *err)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/self/ns/%s", ns_type_name(type));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	int rfd = ioctl(fd, req);
	*err = rfd < 0 ? errno : 0;
	close(fd);
	if (rfd < 0)
		return GRAPH_NONE;
	assert_int_equal(fstat(rfd, &st), 0);
	close(rfd);
	return graph_ns_find(g, (struct ns_key){ st.st_dev, st.st_ino });
}

/* The whole of PATH, NUL-terminated; the caller frees. */
static char *slurp(const char *path)
{
	struct procfs_buf b = { 0 };

	assert_int_equal(procfs_read_all(AT_FDCWD, path, &b), 0);
	return b.data;
}

/* The whole of PATH and its length (it may hold NULs); the caller frees. */
static char *slurp_len(const char *path, size_t *len)
{
	struct procfs_buf b = { 0 };

	assert_int_equal(procfs_read_all(AT_FDCWD, path, &b), 0);
	*len = b.len;
	return b.data;
}

/*
 * The cgroup path /proc/PID/cgroup gives, by the rule capture states: the
 * name=systemd line's, else the v2 line's, else the first line's.
 */
static char *cgroup_oracle(const char *path)
{
	char *text = slurp(path);
	const char *line = strstr(text, ":name=systemd:");
	char *out;

	if (line) {
		line += strlen(":name=systemd:");
	} else if (strncmp(text, "0::", 3) == 0) {
		line = text + 3;
	} else if ((line = strstr(text, "\n0::"))) {
		line += 4;
	} else {
		line = strchr(strchr(text, ':') + 1, ':') + 1;
	}
	out = strndup(line, strcspn(line, "\n"));
	free(text);
	return out;
}

/*
 * A child that runs ARGV (argv[0] a path) with a pipe as stdin and says
 * it started by writing one byte to stdout: "/bin/sh -c 'echo r; read x'"
 * waits until *hold is closed.  Its PID.
 */
static pid_t spawn(char *const argv[], int *hold)
{
	int in[2], out[2];
	char c;

	assert_int_equal(pipe2(in, O_CLOEXEC), 0);
	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0)
			_exit(126);
		execv(argv[0], argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	assert_int_equal(read(out[0], &c, 1), 1);
	close(out[0]);
	*hold = in[1];
	return pid;
}

static void reap(pid_t pid, int hold)
{
	int status;

	if (hold >= 0)
		close(hold);
	assert_int_equal(waitpid(pid, &status, 0), pid);
}

/* State field of /proc/PID/stat, by sscanf after the last ')'. */
static char proc_state(pid_t pid)
{
	char path[64], buf[512], state = '?';
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	ssize_t n = procfs_read_small(AT_FDCWD, path, buf, sizeof(buf));
	char *close_paren = n > 0 ? strrchr(buf, ')') : NULL;

	if (close_paren)
		sscanf(close_paren + 1, " %c", &state);
	return state;
}

/* A number file of ours such as /proc/self/loginuid. */
static uint32_t self_number(const char *path)
{
	char buf[32];

	assert_true(procfs_read_small(AT_FDCWD, path, buf, sizeof(buf)) > 0);
	return (uint32_t)strtoul(buf, NULL, 10);
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

static struct graph *capture(uint32_t collect, uint32_t types,
			     const int32_t *ids, size_t nids,
			     struct warnings *w)
{
	struct capture_opts o = {
		.collect = collect, .types = types, .ids = ids, .nids = nids,
		.warn = w ? count_warning : NULL, .warn_ctx = w,
	};
	struct graph *g = NULL;

	assert_int_equal(capture_live(&o, &g), 0);
	assert_non_null(g);
	return g;
}

static const struct graph_proc *proc_of(const struct graph *g, int32_t pid)
{
	const struct graph_proc *p = graph_proc_find(g, pid);

	assert_non_null(p);
	return p;
}

/* A thread that waits to be told to exit, in a UTS namespace of its own
 * when asked (the reference's reason for --search-tasks). */
struct helper {
	pthread_t thread;
	int32_t tid;
	bool unshare_uts;
	int unshare_err;
	int ready[2], go[2];
};

static void *helper_main(void *arg)
{
	struct helper *h = arg;
	char c = 0;

	h->tid = (int32_t)gettid();
	prctl(PR_SET_NAME, "nsnap-helper");
	if (h->unshare_uts)
		h->unshare_err = unshare(CLONE_NEWUTS) == 0 ? 0 : errno;
	if (write(h->ready[1], &c, 1) != 1 || read(h->go[0], &c, 1) < 0)
		return NULL;
	return NULL;
}

static void helper_start(struct helper *h, bool unshare_uts)
{
	char c;

	*h = (struct helper){ .unshare_uts = unshare_uts };
	assert_int_equal(pipe2(h->ready, O_CLOEXEC), 0);
	assert_int_equal(pipe2(h->go, O_CLOEXEC), 0);
	assert_int_equal(pthread_create(&h->thread, NULL, helper_main, h), 0);
	assert_int_equal(read(h->ready[0], &c, 1), 1);
}

static void helper_stop(struct helper *h)
{
	char c = 0;

	assert_int_equal(write(h->go[1], &c, 1), 1);
	pthread_join(h->thread, NULL);
	close(h->ready[0]);
	close(h->ready[1]);
	close(h->go[0]);
	close(h->go[1]);
}

/* ---- procfs parsers --------------------------------------------------- */

static void test_procfs_parsers(void **state)
{
	uint64_t ino = 0;
	int32_t pid = 0;
	uint32_t u = 0;
	struct procfs_stat ps;
	struct procfs_status st;
	size_t vlen = 0;
	char out[64];
	(void)state;

#define NSLINK(s, p) procfs_parse_nslink((s), strlen(s), (p))
	assert_int_equal(NSLINK("net:[4026531840]", &ino), NS_NET);
	assert_int_equal(ino, 4026531840u);
	assert_int_equal(NSLINK("time:[1]", &ino), NS_TIME);
	assert_int_equal(NSLINK("socket:[123]", &ino), -1);
	assert_int_equal(NSLINK("anon_inode:[pidfd]", &ino), -1);
	assert_int_equal(NSLINK("net:[]", &ino), -1);
	assert_int_equal(NSLINK("net:[12x]", &ino), -1);
	assert_int_equal(NSLINK("net:[12", &ino), -1);
	assert_int_equal(NSLINK("/run/netns/a", &ino), -1);
	assert_int_equal(NSLINK("net:[99999999999999999999999]", &ino), -1);
#undef NSLINK

	assert_true(procfs_parse_pid("1", &pid) && pid == 1);
	assert_true(procfs_parse_pid("4194304", &pid) && pid == 4194304);
	assert_false(procfs_parse_pid("0", &pid));
	assert_false(procfs_parse_pid("01", &pid));
	assert_false(procfs_parse_pid("self", &pid));
	assert_false(procfs_parse_pid("12a", &pid));
	assert_false(procfs_parse_pid("99999999999", &pid));

	/* The comm may hold ") (" and spaces: fields count after the last ')'. */
	static const char stat[] =
		"42 (a) b (c) S 7 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 "
		"1 0 123456 1000 10 18446744073709551615 1 1 0 0 0 0 0 0 0 0 "
		"0 0 17 0 0 0 0 0 0\n";
	assert_int_equal(procfs_parse_stat(stat, sizeof(stat) - 1, &ps), 0);
	assert_int_equal(ps.ppid, 7);
	assert_int_equal(ps.start_time, 123456);
	assert_int_equal(ps.state, 'S');
	assert_int_equal(ps.comm_len, 7);
	assert_memory_equal(ps.comm, "a) b (c", 7);
	assert_int_equal(procfs_parse_stat("1 (x S 0", 8, &ps), -EINVAL);
	static const char zombie[] =
		"9 (z) Z 1 9 9 0 -1 4227084 0 0 0 0 0 0 0 0 20 0 1 0 77 0 0";
	assert_int_equal(procfs_parse_stat(zombie, sizeof(zombie) - 1, &ps), 0);
	assert_int_equal(ps.state, 'Z');
	assert_int_equal(ps.start_time, 77);

	static const char status[] = "Name:\tx\nNStgid:\t12\t1\nNSpid:\t12\t1\n";
	const char *v = procfs_status_value(status, sizeof(status) - 1,
					    "NStgid:", &vlen);
	assert_non_null(v);
	assert_int_equal(vlen, 4);
	assert_memory_equal(v, "12\t1", 4);
	assert_null(procfs_status_value(status, sizeof(status) - 1, "Nope:", &vlen));

	/* One pass over status: what capture keeps, and lines that only
	 * look like them ignored. */
	static const char full[] =
		"Name:\tx\nState:\tS (sleeping)\nUid:\t1\t2\t3\t4\n"
		"Gid:\t5\t6\t7\t8\nNStgid:\t12\t1\nThreads:\t3\n"
		"CapEff:\t000001ffffffffff\nNoNewPrivs:\t1\nSeccomp:\t2\n"
		"Seccomp_filters:\t1\nUidx:\t9\t9\n";
	procfs_parse_status(full, sizeof(full) - 1, &st);
	assert_int_equal(st.have, PROCFS_ST_STATE | PROCFS_ST_THREADS |
			 PROCFS_ST_UID | PROCFS_ST_GID | PROCFS_ST_CAPEFF |
			 PROCFS_ST_NNP | PROCFS_ST_SECCOMP | PROCFS_ST_NSTGID);
	assert_int_equal(st.state, 'S');
	assert_int_equal(st.threads, 3);
	assert_int_equal(st.ruid, 1);
	assert_int_equal(st.euid, 2);
	assert_int_equal(st.rgid, 5);
	assert_int_equal(st.egid, 6);
	assert_int_equal(st.cap_eff, 0x1ffffffffffull);
	assert_int_equal(st.no_new_privs, 1);
	assert_int_equal(st.seccomp, 2);
	assert_int_equal(st.nstgid_len, 4);
	assert_memory_equal(st.nstgid, "12\t1", 4);
	static const char bad[] = "Uid:\t1\nGid:\tx\t1\nCapEff:\t1ffffffffffffffff\n"
				  "Seccomp:\t7\nThreads:\n";
	procfs_parse_status(bad, sizeof(bad) - 1, &st);
	assert_int_equal(st.have, 0);

	assert_true(procfs_parse_u32("4294967295", 10, &u) && u == UINT32_MAX);
	assert_true(procfs_parse_u32("1000\n", 5, &u) && u == 1000);
	assert_false(procfs_parse_u32("4294967296", 10, &u));
	assert_false(procfs_parse_u32("", 0, &u));
	assert_false(procfs_parse_u32("12 ", 3, &u));

	struct procfs_mountinfo mi;
	static const char line[] = "612 29 0:4 net:[4026532417] /run/netns/a\\040b "
				   "rw shared:1 master:2 - nsfs nsfs rw";
	assert_int_equal(procfs_parse_mountinfo_line(line, sizeof(line) - 1, &mi), 0);
	assert_int_equal(mi.fstype_len, 4);
	assert_memory_equal(mi.fstype, "nsfs", 4);
	assert_int_equal(mi.root_len, strlen("net:[4026532417]"));
	assert_memory_equal(mi.mountpoint, "/run/netns/a\\040b", mi.mountpoint_len);
	assert_int_equal(procfs_unescape(out, sizeof(out), mi.mountpoint,
					 mi.mountpoint_len), 14);
	assert_string_equal(out, "/run/netns/a b");
	assert_int_equal(procfs_parse_mountinfo_line("1 2 3", 5, &mi), -EINVAL);
	assert_int_equal(procfs_parse_mountinfo_line("1 2 3 4 5 6 -", 13, &mi),
			 -EINVAL);
	assert_int_equal(procfs_unescape(out, sizeof(out), "a\\134b\\0", 8), 5);
	assert_string_equal(out, "a\\b\\0");
	assert_int_equal(procfs_unescape(out, 4, "abcd", 4), -ENAMETOOLONG);
}

/* ---- the whole /proc -------------------------------------------------- */

/*
 * One full scan, everything collected, with a tricky comm set on ourselves:
 * our process is listed with the right links, stat fields, comm, NStgid and
 * a user namespace that has a creator and maps.
 */
static void test_whole_proc(void **state)
{
	char saved_comm[17] = { 0 };
	struct warnings w = { 0 };
	struct helper h;
	int hold;
	(void)state;

	/* A child of one thread, and a second thread of ours: status says
	 * when task/ need not be listed, and only then. */
	char *const argv[] = { "/bin/sh", "-c", "echo r; read x", NULL };
	pid_t child = spawn(argv, &hold);
	helper_start(&h, false);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t before = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	prctl(PR_GET_NAME, saved_comm);
	prctl(PR_SET_NAME, "t) s (x");
	struct graph *g = capture(GRAPH_HAVE_EVERYTHING, NS_ALL_TYPES, NULL, 0, &w);
	prctl(PR_SET_NAME, saved_comm);
	helper_stop(&h);
	reap(child, hold);

	const struct graph_meta *m = &g->meta;
	assert_true(m->start_ns >= before && m->end_ns >= m->start_ns);
	assert_int_equal(m->capturer_pid, getpid());
	assert_int_equal(m->collected, GRAPH_HAVE_EVERYTHING);
	assert_int_equal(m->types_present, capture_types_present(NULL));
	assert_int_equal(m->nsfs_dev, nsfs_dev());
	assert_non_null(m->hostname);
	assert_non_null(m->kernel);
	assert_non_null(m->boot_id);
	assert_int_equal(strlen(m->boot_id), 36);
	/* The vantage point: ours, with the boot clock running forward. */
	const struct graph_vantage *vp = &m->vantage;
	struct stat nst;
	assert_true(vp->known);
	assert_int_equal(vp->uid, getuid());
	assert_int_equal(vp->euid, geteuid());
	assert_int_equal(stat("/proc/self/ns/pid", &nst), 0);
	assert_int_equal(vp->own[NS_PID].ino, nst.st_ino);
	assert_int_equal(vp->own[NS_PID].dev, nst.st_dev);
	assert_true(vp->proc_own_pidns);
	assert_true(vp->btime > 0 && vp->btime * 1000000000 < m->start_ns);
	assert_true(vp->boot_start_ns > 0 && vp->boot_end_ns >= vp->boot_start_ns);
	assert_true(vp->initial_known & NS_TYPE_BIT(NS_USER));
	assert_int_equal(vp->initial & ~vp->initial_known, 0);
	assert_int_equal(vp->facilities & ~GRAPH_VP_ALL, 0);

	const struct graph_proc *p = proc_of(g, getpid());
	assert_int_equal(p->flags & GRAPH_PROC_LISTED, GRAPH_PROC_LISTED);
	for (unsigned t = 0; t < NS_NTYPES; t++) {
		if (!(m->types_present & NS_TYPE_BIT(t)))
			continue;
		assert_int_equal(p->links.err[t], 0);
		assert_int_not_equal(p->links.ns[t], GRAPH_NONE);
		assert_int_equal(p->links.ns[t], ns_of(g, self_ino(t)));
		assert_int_equal(g->ns[p->links.ns[t]].type, t);
		assert_int_equal(g->ns[p->links.ns[t]].key.dev, m->nsfs_dev);
	}

	/* stat after the last ')', owner of /proc/PID, comm as set. */
	assert_int_equal(p->ppid, getppid());
	assert_int_equal(p->uid, geteuid());
	assert_true(p->start_time > 0);
	assert_non_null(p->comm);
	assert_string_equal(p->comm, "t) s (x");

	/* NStgid as our own status says it. */
	char *status = slurp("/proc/self/status");
	size_t vlen;
	const char *v = procfs_status_value(status, strlen(status), "NStgid:", &vlen);
	assert_non_null(v);
	assert_int_equal(p->status_err, 0);
	assert_non_null(p->nstgid);
	assert_int_equal(strlen(p->nstgid), vlen);
	assert_memory_equal(p->nstgid, v, vlen);
	free(status);

	/* Our leader carries our links; the helper is listed beside it. */
	assert_int_equal(p->task_err, 0);
	assert_true(p->ntasks >= 2);
	const struct graph_proc *owner = NULL;
	const struct graph_task *leader = graph_task_find(g, getpid(), &owner);
	assert_non_null(leader);
	assert_ptr_equal(owner, p);
	assert_memory_equal(&leader->links, &p->links, sizeof(p->links));
	assert_non_null(graph_task_find(g, h.tid, &owner));
	assert_ptr_equal(owner, p);
	/* The child's one thread is its leader, with its links and comm. */
	const struct graph_proc *cp = proc_of(g, child);
	assert_int_equal(cp->task_err, 0);
	assert_int_equal(cp->ntasks, 1);
	assert_int_equal(g->tasks[cp->first_task].tid, child);
	assert_memory_equal(&g->tasks[cp->first_task].links, &cp->links,
			    sizeof(cp->links));
	assert_string_equal(g->tasks[cp->first_task].comm, "sh");
	assert_string_equal(cp->comm, "sh");

	/* Who and what we are, as our own files and calls say. */
	size_t clen;
	char *cmdline = slurp_len("/proc/self/cmdline", &clen);
	assert_true(clen > 0 && cmdline[clen - 1] == '\0');
	assert_non_null(p->cmdline);
	assert_int_equal(p->cmdline_len, clen - 1);
	assert_memory_equal(p->cmdline, cmdline, clen - 1);
	free(cmdline);
	char exe[PATH_MAX];
	assert_non_null(realpath(program_invocation_name, exe));
	assert_non_null(p->exe);
	assert_string_equal(p->exe, exe);
	char *cgroup = cgroup_oracle("/proc/self/cgroup");
	assert_non_null(p->cgroup);
	assert_string_equal(p->cgroup, cgroup);
	assert_non_null(cp->cgroup);
	assert_string_equal(cp->cgroup, cgroup);
	free(cgroup);
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct caps[2];
	assert_int_equal(syscall(SYS_capget, &hdr, caps), 0);
	assert_true(p->flags & GRAPH_PROC_HAS_CRED);
	assert_int_equal(p->ruid, getuid());
	assert_int_equal(p->euid, geteuid());
	assert_int_equal(p->rgid, getgid());
	assert_int_equal(p->egid, getegid());
	assert_int_equal(p->cap_eff, (uint64_t)caps[1].effective << 32 | caps[0].effective);
	assert_int_equal(p->no_new_privs, prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
	assert_int_equal(p->seccomp, prctl(PR_GET_SECCOMP, 0, 0, 0, 0));
	assert_true(p->flags & GRAPH_PROC_HAS_LOGIN);
	assert_int_equal(p->loginuid, self_number("/proc/self/loginuid"));
	assert_int_equal(p->sessionid, self_number("/proc/self/sessionid"));
	assert_false(p->flags & (GRAPH_PROC_ZOMBIE | GRAPH_PROC_CMDLINE_CUT));

	/* Every PID the listing showed appears once, and only there. */
	for (size_t i = 0; i < g->nprocs; i++)
		assert_true(g->procs[i].flags & GRAPH_PROC_LISTED);

	/* Tasks slices tile graph.tasks in order. */
	size_t next = 0;
	for (size_t i = 0; i < g->nprocs; i++) {
		if (!g->procs[i].ntasks)
			continue;
		assert_int_equal(g->procs[i].first_task, next);
		next += g->procs[i].ntasks;
	}
	assert_int_equal(next, g->ntasks);

	/* Every gap names a process and an errno; a warning is per process. */
	for (size_t i = 0; i < g->ngaps; i++) {
		assert_true(g->gaps[i].err > 0);
		assert_non_null(g->gaps[i].what);
	}
	assert_true((size_t)w.count <= g->nprocs);

	/* PID 1 of the host refuses its links even to root: a gap and one
	 * warning, not a failure.  As PID 1 of a new PID namespace we are
	 * that process ourselves. */
	char buf[64];
	if (readlink("/proc/1/ns/net", buf, sizeof(buf)) < 0 && errno == EACCES) {
		const struct graph_proc *init = proc_of(g, 1);
		assert_int_equal(init->links.err[NS_NET], EACCES);
		assert_int_equal(init->links.ns[NS_NET], GRAPH_NONE);
		bool gap = false;
		for (size_t i = 0; i < g->ngaps; i++)
			gap |= g->gaps[i].pid == 1 && g->gaps[i].tid == 0 &&
			       g->gaps[i].err == EACCES &&
			       strcmp(g->gaps[i].what, "ns/net") == 0;
		assert_true(gap);
		assert_true(w.count >= 1);
	}
	graph_free(g);
}

/* Our user namespace: creator UID and maps as the kernel states them. */
static void test_user_namespace(void **state)
{
	int32_t self = getpid();
	(void)state;

	struct graph *g = capture(GRAPH_HAVE_MAPS, NS_TYPE_BIT(NS_USER), &self, 1,
				  NULL);
	const struct graph_proc *p = proc_of(g, self);
	assert_int_equal(p->flags & GRAPH_PROC_LISTED, 0);
	uint32_t u = p->links.ns[NS_USER];
	assert_int_not_equal(u, GRAPH_NONE);
	const struct graph_ns *ns = &g->ns[u];

	uid_t creator;
	int fd = open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ioctl(fd, NSIOC_GET_OWNER_UID, &creator), 0);
	uint64_t kid;
	bool has_id = ioctl(fd, NSIOC_GET_ID, &kid) == 0;
	close(fd);
	assert_true(ns->flags & GRAPH_NS_HAS_CREATOR);
	assert_int_equal(ns->creator_uid, creator);
	if (has_id) {
		assert_true(ns->flags & GRAPH_NS_HAS_ID);
		assert_int_equal(ns->kernel_id, kid);
	}

	char *uid_map = slurp("/proc/self/uid_map");
	char *gid_map = slurp("/proc/self/gid_map");
	assert_non_null(ns->uid_map);
	assert_non_null(ns->gid_map);
	assert_string_equal(ns->uid_map, uid_map);
	assert_string_equal(ns->gid_map, gid_map);
	free(uid_map);
	free(gid_map);

	/* Not collected: owners and parents stay ENODATA. */
	assert_int_equal(ns->owner_err, ENODATA);
	assert_int_equal(ns->parent_err, ENODATA);
	graph_free(g);
}

/*
 * Owners (NS_GET_USERNS) and parents (NS_GET_PARENT) as the ioctls answer
 * them for our namespaces, including EPERM for what is out of sight; and
 * the whole graph consistent: owners are user namespaces, parents of the
 * same type.
 */
static void test_owners_and_parents(void **state)
{
	int32_t self = getpid();
	int err;
	(void)state;

	struct graph *g = capture(GRAPH_HAVE_OWNERS | GRAPH_HAVE_PARENTS,
				  NS_ALL_TYPES, &self, 1, NULL);
	const struct graph_proc *p = proc_of(g, self);

	for (unsigned t = 0; t < NS_NTYPES; t++) {
		if (!(g->meta.types_present & NS_TYPE_BIT(t)))
			continue;
		const struct graph_ns *ns = &g->ns[p->links.ns[t]];
		uint32_t want = related(g, t, NSIOC_GET_USERNS, &err);
		assert_int_equal(ns->owner_err, err);
		assert_int_equal(ns->owner, want);
		if (!err)
			assert_int_not_equal(want, GRAPH_NONE);
		if (t == NS_PID || t == NS_USER) {
			want = related(g, t, NSIOC_GET_PARENT, &err);
			assert_int_equal(ns->parent_err, err);
			assert_int_equal(ns->parent, want);
		} else {
			assert_int_equal(ns->parent_err, ENODATA);
		}
	}
	/* Non-user namespaces of our own user namespace: owned by it. */
	if (related(g, NS_UTS, NSIOC_GET_USERNS, &err) != GRAPH_NONE)
		assert_int_equal(g->ns[p->links.ns[NS_UTS]].owner,
				 p->links.ns[NS_USER]);

	for (size_t i = 0; i < g->nns; i++) {
		const struct graph_ns *ns = &g->ns[i];
		assert_int_not_equal(ns->owner_err, ENODATA);
		assert_true((ns->owner == GRAPH_NONE) == (ns->owner_err != 0));
		if (ns->owner != GRAPH_NONE)
			assert_int_equal(g->ns[ns->owner].type, NS_USER);
		if (ns->parent != GRAPH_NONE)
			assert_int_equal(g->ns[ns->parent].type, ns->type);
		if (ns->type == NS_USER)
			assert_true(ns->flags & GRAPH_NS_HAS_CREATOR);
	}
	graph_free(g);
}

/* ---- pins ------------------------------------------------------------- */

/* A namespace fd we hold is a graph_fd of ours; a pipe is not. */
static void test_fd_pin(void **state)
{
	int32_t self = getpid();
	int pipefd[2];
	(void)state;

	int nsfd = open("/proc/self/ns/uts", O_RDONLY | O_CLOEXEC);
	assert_true(nsfd >= 0);
	assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);

	struct graph *g = capture(GRAPH_HAVE_PINS, NS_TYPE_BIT(NS_UTS), &self, 1,
				  NULL);
	const struct graph_proc *p = proc_of(g, self);
	assert_int_equal(p->fd_err, 0);
	bool found = false;
	for (uint32_t i = 0; i < p->nfds; i++) {
		const struct graph_fd *f = &g->fds[p->first_fd + i];
		if (i)
			assert_true(f[-1].fd < f->fd);
		assert_int_not_equal(f->fd, pipefd[0]);
		assert_int_not_equal(f->fd, pipefd[1]);
		if (f->fd == nsfd) {
			found = true;
			assert_int_equal(f->ns, p->links.ns[NS_UTS]);
		}
	}
	assert_true(found);

	/* Pins bring the mnt link along and the *_for_children links. */
	assert_int_equal(p->links.err[NS_MNT], 0);
	assert_int_equal(p->links.ns[NS_MNT], ns_of(g, self_ino(NS_MNT)));
	assert_int_equal(p->links.err[NS_NET], ENODATA);
	assert_int_equal(p->links.pid_for_children,
			 ns_of(g, link_ino("/proc/self/ns/pid_for_children")));
	if (g->meta.types_present & NS_TYPE_BIT(NS_TIME))
		assert_int_equal(p->links.time_for_children,
				 ns_of(g, link_ino("/proc/self/ns/time_for_children")));

	close(nsfd);
	close(pipefd[0]);
	close(pipefd[1]);
	graph_free(g);
}

/*
 * An nsfs bind mount on a path with a space, in a child's private mount
 * namespace, of a UTS namespace nothing else holds: found through the
 * child's mountinfo, path kept as mountinfo spells it, namespace opened
 * through the child's root and queried.
 */
static void test_bind_mount_pin(void **state)
{
	char dir[] = "/tmp/nsnap capture.XXXXXX";
	char file[PATH_MAX], escaped[PATH_MAX];
	int ready[2], go[2];
	char c = 0;
	(void)state;

	if (geteuid() != 0)
		skip();
	assert_non_null(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/pin", dir);
	int fd = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	size_t o = 0;
	for (const char *s = file; *s; s++)
		o += (size_t)snprintf(escaped + o, sizeof(escaped) - o,
				      *s == ' ' ? "\\040" : "%c", *s);

	assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
	assert_int_equal(pipe2(go, O_CLOEXEC), 0);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		/* The grandchild leaves its UTS namespace mounted in our
		 * mount namespace and exits: no setns back needed, which a
		 * user namespace would refuse. */
		int ok = unshare(CLONE_NEWNS) == 0 &&
			 mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0;
		pid_t gc = ok ? fork() : -1;
		if (gc == 0)
			_exit(unshare(CLONE_NEWUTS) == 0 &&
			      mount("/proc/self/ns/uts", file, NULL, MS_BIND,
				    NULL) == 0 ? 0 : 1);
		ok = ok && gc > 0 && waitpid(gc, &ok, 0) == gc &&
		     WIFEXITED(ok) && WEXITSTATUS(ok) == 0;
		c = ok ? 'y' : 'n';
		if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	assert_int_equal(read(ready[0], &c, 1), 1);

	struct graph *g = NULL;
	if (c == 'y') {
		int32_t id = child;
		g = capture(GRAPH_HAVE_PINS | GRAPH_HAVE_OWNERS, NS_ALL_TYPES,
			    &id, 1, NULL);
	}
	assert_int_equal(write(go[1], &c, 1), 1);
	int status;
	assert_int_equal(waitpid(child, &status, 0), child);
	close(ready[0]);
	close(ready[1]);
	close(go[0]);
	close(go[1]);
	unlink(file);
	rmdir(dir);
	if (!g)
		skip(); /* no mount or UTS namespaces to be had here */

	const struct graph_proc *p = proc_of(g, child);
	uint32_t mntns = p->links.ns[NS_MNT];
	assert_int_not_equal(mntns, GRAPH_NONE);
	size_t first, n = graph_mounts_of(g, mntns, &first);
	const struct graph_mount *pin = NULL;
	for (size_t i = first; i < first + n; i++) {
		assert_int_equal(g->mounts[i].mntns, mntns);
		if (strcmp(g->mounts[i].path, escaped) == 0)
			pin = &g->mounts[i];
	}
	assert_non_null(pin);
	assert_int_equal(pin->open_err, 0);
	assert_int_not_equal(pin->ns, GRAPH_NONE);
	const struct graph_ns *ns = &g->ns[pin->ns];
	assert_int_equal(ns->type, NS_UTS);
	/* Not the child's UTS namespace: only the mount pins it, and it
	 * was still opened and queried. */
	assert_int_not_equal(pin->ns, p->links.ns[NS_UTS]);
	assert_int_not_equal(ns->owner_err, ENODATA);
	graph_free(g);
}

/* ---- tasks and IDs ---------------------------------------------------- */

/*
 * A thread we start is a task of ours with its own links and comm; in a
 * UTS namespace of its own when we may unshare, which only the task scan
 * sees.  Asked for by TID, it is captured as an unlisted ID.
 */
static void test_thread_is_task(void **state)
{
	struct helper h;
	char path[64];
	(void)state;

	helper_start(&h, geteuid() == 0);
	int32_t ids[2] = { getpid(), h.tid };
	struct graph *g = capture(GRAPH_HAVE_TASKS | GRAPH_HAVE_COMM |
				  GRAPH_HAVE_OWNERS, NS_ALL_TYPES, ids, 2, NULL);
	uint64_t want[NS_NTYPES] = { 0 };
	for (unsigned t = 0; t < NS_NTYPES; t++) {
		if (!(g->meta.types_present & NS_TYPE_BIT(t)))
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%d/ns/%s", h.tid,
			 ns_type_name(t));
		want[t] = link_ino(path);
	}
	helper_stop(&h);

	const struct graph_proc *owner = NULL;
	const struct graph_task *task = graph_task_find(g, h.tid, &owner);
	assert_non_null(task);
	assert_int_equal(owner->pid, getpid());
	assert_int_equal(owner->task_err, 0);
	assert_true(owner->ntasks >= 2);
	assert_non_null(task->comm);
	assert_string_equal(task->comm, "nsnap-helper");
	for (unsigned t = 0; t < NS_NTYPES; t++) {
		if (!want[t])
			continue;
		assert_int_equal(task->links.err[t], 0);
		assert_int_equal(task->links.ns[t], ns_of(g, want[t]));
	}
	if (h.unshare_uts && h.unshare_err == 0) {
		assert_int_not_equal(task->links.ns[NS_UTS], owner->links.ns[NS_UTS]);
		assert_int_equal(g->ns[task->links.ns[NS_UTS]].owner,
				 owner->links.ns[NS_USER]);
	}

	/* The TID as an ID: /proc/TID works though the listing hides it. */
	const struct graph_proc *byid = proc_of(g, h.tid);
	assert_int_equal(byid->flags & GRAPH_PROC_LISTED, 0);
	assert_int_equal(byid->links.ns[NS_UTS], task->links.ns[NS_UTS]);
	graph_free(g);
}

/* An ID above pid_max: ENOENT links, silently; duplicates captured once. */
static void test_missing_id(void **state)
{
	struct warnings w = { 0 };
	char buf[32];
	(void)state;

	ssize_t n = procfs_read_small(AT_FDCWD, "/proc/sys/kernel/pid_max", buf,
				      sizeof(buf));
	assert_true(n > 0);
	int32_t missing = (int32_t)atol(buf) + 1;
	int32_t ids[3] = { missing, getpid(), missing };

	struct graph *g = capture(GRAPH_HAVE_TASKS | GRAPH_HAVE_PINS |
				  GRAPH_HAVE_NSTGID, NS_ALL_TYPES, ids, 3, &w);
	assert_int_equal(g->nprocs, 2);
	const struct graph_proc *p = &g->procs[0];
	assert_int_equal(p->pid, missing);
	assert_int_equal(p->flags, 0);
	for (unsigned t = 0; t < NS_NTYPES; t++) {
		if (!(g->meta.types_present & NS_TYPE_BIT(t)))
			continue;
		assert_int_equal(p->links.ns[t], GRAPH_NONE);
		assert_int_equal(p->links.err[t], ENOENT);
	}
	assert_int_equal(p->task_err, ENOENT);
	assert_int_equal(p->fd_err, ENOENT);
	assert_int_equal(p->status_err, ENOENT);
	assert_int_equal(p->ntasks, 0);
	assert_null(p->nstgid);
	assert_int_equal(g->procs[1].pid, getpid());
	assert_int_equal(w.count, 0);
	graph_free(g);
}

/* What is not asked for is not read. */
static void test_collect_honoured(void **state)
{
	int32_t self = getpid();
	(void)state;

	struct graph *g = capture(0, NS_TYPE_BIT(NS_NET), &self, 1, NULL);
	assert_int_equal(g->nprocs, 1);
	assert_int_equal(g->meta.collected, 0);
	const struct graph_proc *p = &g->procs[0];
	assert_int_equal(p->pid, self);
	assert_null(p->comm);
	assert_null(p->nstgid);
	assert_int_equal(p->status_err, ENODATA);
	assert_int_equal(p->task_err, ENODATA);
	assert_int_equal(p->fd_err, ENODATA);
	assert_int_equal(p->ntasks, 0);
	assert_int_equal(p->nfds, 0);
	assert_int_equal(p->ppid, 0);
	assert_int_equal(p->start_time, 0);
	assert_int_equal(p->links.pid_for_children, GRAPH_NONE);
	for (unsigned t = 0; t < NS_NTYPES; t++) {
		if (t == NS_NET) {
			assert_int_equal(p->links.err[t], 0);
			assert_int_equal(p->links.ns[t], ns_of(g, self_ino(t)));
		} else {
			assert_int_equal(p->links.err[t], ENODATA);
			assert_int_equal(p->links.ns[t], GRAPH_NONE);
		}
	}
	/* Only the net namespace: no owners, parents or maps were asked. */
	assert_int_equal(g->nns, 1);
	assert_int_equal(g->ns[0].owner_err, ENODATA);
	assert_int_equal(g->ns[0].parent_err, ENODATA);
	assert_int_equal(g->nmounts, 0);
	assert_int_equal(g->ntasks, 0);
	assert_int_equal(g->nfds, 0);
	graph_free(g);
}

static void test_types_present_and_bad_root(void **state)
{
	struct stat st;
	char path[64];
	uint32_t want = 0;
	(void)state;

	for (unsigned t = 0; t < NS_NTYPES; t++) {
		snprintf(path, sizeof(path), "/proc/self/ns/%s", ns_type_name(t));
		if (lstat(path, &st) == 0)
			want |= NS_TYPE_BIT(t);
	}
	assert_int_equal(capture_types_present(NULL), want);
	assert_int_equal(capture_types_present("/proc"), want);
	assert_int_equal(capture_types_present("/nonexistent-proc"), 0);

	struct capture_opts o = {
		.collect = GRAPH_HAVE_EVERYTHING, .types = NS_ALL_TYPES,
		.proc_root = "/nonexistent-proc",
	};
	struct graph dummy;
	struct graph *g = &dummy; /* must be reset */
	assert_int_equal(capture_live(&o, &g), -ENOENT);
	assert_null(g);
	assert_int_equal(capture_live(NULL, &g), -EINVAL);
}

/* ---- identity --------------------------------------------------------- */

/*
 * Command lines as the kernel holds them: NUL separators kept, the last
 * NUL dropped, bytes that are no UTF-8 kept as they are; one longer than
 * GRAPH_CMDLINE_MAX cut there and marked.  The executable is the
 * interpreter's real path.
 */
static void test_cmdline(void **state)
{
	static const char want[] = "/bin/sh\0-c\0echo r; read x\0nsnap-\xff\xfe\x80-arg\0two words\n";
	char *const argv[] = { "/bin/sh", "-c", "echo r; read x",
			       "nsnap-\xff\xfe\x80-arg", "two words\n", NULL };
	char *big = malloc(2 * GRAPH_CMDLINE_MAX);
	int hold[2];
	char exe[PATH_MAX];
	(void)state;

	assert_non_null(big);
	memset(big, 'x', 2 * GRAPH_CMDLINE_MAX - 1);
	big[2 * GRAPH_CMDLINE_MAX - 1] = '\0';
	big[100] = '\xc3'; /* a lone UTF-8 lead byte inside the kept part */
	char *const long_argv[] = { "/bin/sh", "-c", "echo r; read x", big, NULL };
	/* Exactly GRAPH_CMDLINE_MAX bytes kept, the file one more (its last
	 * NUL): whole, not cut. */
	size_t head = sizeof("/bin/sh\0-c\0echo r; read x");
	char *exact = strndup(big + 200, GRAPH_CMDLINE_MAX - head);
	char *const exact_argv[] = { "/bin/sh", "-c", "echo r; read x", exact, NULL };
	int32_t ids[3];
	int hold3;
	assert_non_null(exact);
	ids[0] = spawn(argv, &hold[0]);
	ids[1] = spawn(long_argv, &hold[1]);
	ids[2] = spawn(exact_argv, &hold3);

	struct graph *g = capture(GRAPH_HAVE_IDENTITY, 0, ids, 3, NULL);
	reap(ids[0], hold[0]);
	reap(ids[1], hold[1]);
	reap(ids[2], hold3);
	assert_non_null(realpath("/bin/sh", exe));

	const struct graph_proc *p = proc_of(g, ids[0]);
	assert_int_equal(p->cmdline_len, sizeof(want) - 1);
	assert_memory_equal(p->cmdline, want, sizeof(want) - 1);
	assert_false(p->flags & GRAPH_PROC_CMDLINE_CUT);
	assert_string_equal(p->exe, exe);
	assert_true(p->flags & GRAPH_PROC_HAS_CRED);

	const struct graph_proc *q = proc_of(g, ids[1]);
	assert_true(q->flags & GRAPH_PROC_CMDLINE_CUT);
	assert_int_equal(q->cmdline_len, GRAPH_CMDLINE_MAX);
	assert_memory_equal(q->cmdline, "/bin/sh\0-c\0echo r; read x", head);
	assert_memory_equal(q->cmdline + head, big, GRAPH_CMDLINE_MAX - head);
	assert_string_equal(q->exe, exe);
	const struct graph_proc *x = proc_of(g, ids[2]);
	assert_false(x->flags & GRAPH_PROC_CMDLINE_CUT);
	assert_int_equal(x->cmdline_len, GRAPH_CMDLINE_MAX);
	assert_memory_equal(x->cmdline + head, exact, GRAPH_CMDLINE_MAX - head);
	free(exact);
	/* Nothing unreadable: no gap. */
	assert_int_equal(g->ngaps, 0);
	free(big);
	graph_free(g);
}

/*
 * Credentials of a child that set distinct real and effective IDs, no new
 * privileges and strict seccomp (root only: it must be allowed to set
 * them); its login is inherited from us.
 */
static void test_credentials(void **state)
{
	int ready[2], go[2];
	char c = 0;
	(void)state;

	if (geteuid() != 0)
		skip();
	assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
	assert_int_equal(pipe2(go, O_CLOEXEC), 0);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		c = setresgid(1111, 2222, 2222) == 0 &&
		    setresuid(3333, 4444, 4444) == 0 &&
		    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
		    prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0) == 0 ?
			'y' : 'n';
		/* Only read, write and exit are left. */
		if (write(ready[1], &c, 1) == 1)
			(void)!read(go[0], &c, 1);
		syscall(SYS_exit, 0);
	}
	assert_int_equal(read(ready[0], &c, 1), 1);
	int32_t id = child;
	struct graph *g = c == 'y' ? capture(GRAPH_HAVE_IDENTITY, 0, &id, 1, NULL) : NULL;
	assert_int_equal(write(go[1], &c, 1), 1);
	reap(child, -1);
	close(ready[0]);
	close(ready[1]);
	close(go[0]);
	close(go[1]);
	if (!g)
		skip(); /* seccomp or setresuid refused here */

	const struct graph_proc *p = proc_of(g, child);
	assert_true(p->flags & GRAPH_PROC_HAS_CRED);
	assert_int_equal(p->ruid, 3333);
	assert_int_equal(p->euid, 4444);
	assert_int_equal(p->rgid, 1111);
	assert_int_equal(p->egid, 2222);
	assert_int_equal(p->cap_eff, 0);
	assert_int_equal(p->no_new_privs, 1);
	assert_int_equal(p->seccomp, 1);
	assert_true(p->flags & GRAPH_PROC_HAS_LOGIN);
	assert_int_equal(p->loginuid, self_number("/proc/self/loginuid"));
	assert_int_equal(p->sessionid, self_number("/proc/self/sessionid"));
	graph_free(g);
}

/* A zombie child: marked, no command line or executable, no failure. */
static void test_zombie(void **state)
{
	(void)state;

	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0)
		_exit(0);
	for (int i = 0; i < 2000 && proc_state(child) != 'Z'; i++)
		usleep(1000);
	assert_int_equal(proc_state(child), 'Z');

	int32_t id = child;
	struct graph *g = capture(GRAPH_HAVE_STAT | GRAPH_HAVE_IDENTITY |
				  GRAPH_HAVE_TASKS | GRAPH_HAVE_NSTGID,
				  NS_ALL_TYPES, &id, 1, NULL);
	reap(child, -1);
	const struct graph_proc *p = proc_of(g, child);
	assert_true(p->flags & GRAPH_PROC_ZOMBIE);
	assert_int_equal(p->ppid, getpid());
	assert_null(p->cmdline);
	assert_int_equal(p->cmdline_len, 0);
	assert_null(p->exe);
	graph_free(g);
}

/*
 * PID words are capture's to resolve, against its /proc: "self",
 * "thread-self" and "PID/task/PID" all name the capturer, once; a word
 * that names nothing is left out.
 */
static void test_words(void **state)
{
	char task[64];
	(void)state;

	snprintf(task, sizeof(task), "%d/task/%d", (int)getpid(), (int)getpid());
	const char *const words[] = { "self", "thread-self", "bogus", task, "./self/" };
	struct capture_opts o = {
		.collect = GRAPH_HAVE_STAT, .types = NS_TYPE_BIT(NS_NET),
		.words = words, .nwords = 5,
	};
	struct graph *g = NULL;

	assert_int_equal(capture_live(&o, &g), 0);
	assert_int_equal(g->nprocs, 1);
	assert_int_equal(g->procs[0].pid, g->meta.capturer_pid);
	assert_int_equal(g->procs[0].pid, getpid());
	assert_int_equal(g->procs[0].ppid, getppid());
	assert_int_equal(g->procs[0].links.ns[NS_NET], ns_of(g, self_ino(NS_NET)));
	graph_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_procfs_parsers),
		cmocka_unit_test(test_whole_proc),
		cmocka_unit_test(test_user_namespace),
		cmocka_unit_test(test_owners_and_parents),
		cmocka_unit_test(test_fd_pin),
		cmocka_unit_test(test_bind_mount_pin),
		cmocka_unit_test(test_thread_is_task),
		cmocka_unit_test(test_missing_id),
		cmocka_unit_test(test_collect_honoured),
		cmocka_unit_test(test_types_present_and_bad_root),
		cmocka_unit_test(test_cmdline),
		cmocka_unit_test(test_credentials),
		cmocka_unit_test(test_zombie),
		cmocka_unit_test(test_words),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
