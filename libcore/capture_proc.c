/*
 * capture_proc.c — what capture reads of one process and its threads.
 *
 * Every per-process read goes through one O_PATH fd of /proc/PID, so the
 * kernel resolves short relative names and the hot loop builds no paths.
 * The links are read first: they are what the reference reads, and a
 * default view needs nothing else of most processes.  Each file is read
 * once however many facts it gives (stat: ppid, start time, state and
 * comm; status: NStgid, credentials, thread count), since the reads, not
 * the parsing, are what a scan costs.
 */
#include "capture_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* comm without its newline, in the arena; NULL (and a gap) if unreadable. */
static int capture_comm(struct capture *c, int dirfd, int32_t tid,
			const char **out)
{
	char buf[128];
	ssize_t n = procfs_read_small(dirfd, "comm", buf, sizeof(buf));

	*out = NULL;
	if (n < 0)
		return capture_gap(c, tid, (int)-n, "comm");
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	*out = graph_strndup(c->g, buf, (size_t)n);
	return *out ? 0 : -ENOMEM;
}

void capture_stat_read(int dirfd, uint32_t collect, struct capture_stat_raw *r)
{
	struct stat st;

	if (collect & GRAPH_HAVE_STAT) {
		r->fstat_ok = fstat(dirfd, &st) == 0;
		r->uid = r->fstat_ok ? st.st_uid : 0;
		r->stat_n = procfs_read_small(dirfd, "stat", r->stat,
					      sizeof(r->stat));
	}
	if (collect & (GRAPH_HAVE_NSTGID | GRAPH_HAVE_IDENTITY))
		r->status_rc = procfs_read_whole(dirfd, "status", r->status);
}

/*
 * The owner of /proc/PID, and stat: ppid, start time, whether a zombie,
 * and with GRAPH_HAVE_COMM the comm, which stat spells exactly as comm
 * does (a read saved; capture_process reads comm itself when stat could
 * not be read).
 */
static int capture_stat(struct capture *c, const struct capture_stat_raw *r,
			size_t pi)
{
	struct graph_proc *p = &c->g->procs[pi];
	struct procfs_stat ps;
	ssize_t n = r->stat_n;

	if (r->fstat_ok)
		p->uid = r->uid;
	if (n < 0)
		return capture_gap(c, 0, (int)-n, "stat");
	if (procfs_parse_stat(r->stat, (size_t)n, &ps) < 0)
		return capture_gap(c, 0, EINVAL, "stat");
	p->ppid = ps.ppid;
	p->start_time = ps.start_time;
	if (ps.state == 'Z' || ps.state == 'X')
		p->flags |= GRAPH_PROC_ZOMBIE;
	if (c->collect & GRAPH_HAVE_COMM) {
		const char *comm = graph_strndup(c->g, ps.comm, ps.comm_len);
		if (!comm)
			return -ENOMEM;
		c->g->procs[pi].comm = comm;
	}
	return 0;
}

/*
 * /proc/PID/status, read and parsed once for all that wants it: NStgid,
 * the credentials (GRAPH_HAVE_IDENTITY), and whether task/ can hold only
 * the leader (*single: a listed leader, alive, one thread), which saves
 * listing it.
 */
static int capture_status(struct capture *c, const struct capture_stat_raw *r,
			  size_t pi, bool *single)
{
	struct graph_proc *p = &c->g->procs[pi];
	struct procfs_status st;
	int rc = r->status_rc;

	*single = false;
	if (rc == -ENOMEM)
		return rc;
	if (rc < 0) {
		if (c->collect & GRAPH_HAVE_NSTGID)
			p->status_err = -rc;
		return capture_gap(c, 0, -rc, "status");
	}
	procfs_parse_status(r->status->data, r->status->len, &st);
	*single = (p->flags & GRAPH_PROC_LISTED) &&
		  (st.have & PROCFS_ST_STATE) && st.state != 'Z' &&
		  st.state != 'X' && (st.have & PROCFS_ST_THREADS) &&
		  st.threads == 1;
	if (c->collect & GRAPH_HAVE_NSTGID) {
		p->status_err = 0;
		if (st.have & PROCFS_ST_NSTGID) {
			const char *s = graph_strndup(c->g, st.nstgid, st.nstgid_len);
			if (!s)
				return -ENOMEM;
			c->g->procs[pi].nstgid = s;
		}
	}
	const uint32_t cred = PROCFS_ST_UID | PROCFS_ST_GID | PROCFS_ST_CAPEFF;
	if (!(c->collect & GRAPH_HAVE_IDENTITY))
		return 0;
	if ((st.have & cred) != cred)
		return capture_gap(c, 0, EINVAL, "status");
	/* NoNewPrivs (4.10) and Seccomp (CONFIG_SECCOMP) may be absent:
	 * then neither is in force. */
	p = &c->g->procs[pi];
	p->ruid = st.ruid;
	p->euid = st.euid;
	p->rgid = st.rgid;
	p->egid = st.egid;
	p->cap_eff = st.cap_eff;
	p->no_new_privs = st.no_new_privs;
	p->seccomp = st.seccomp;
	p->flags |= GRAPH_PROC_HAS_CRED;
	return 0;
}

/*
 * uid_map and gid_map of user namespace USERNS, raw, from the first member
 * whose files can be read: the reference moves on to the next member too.
 */
static int capture_maps(struct capture *c, int dirfd, int32_t tid,
			uint32_t userns)
{
	static const char *const map_name[2] = { "uid_map", "gid_map" };

	if (userns == GRAPH_NONE)
		return 0;
	for (int k = 0; k < 2; k++) {
		struct graph_ns *ns = &c->g->ns[userns];
		if (k ? ns->gid_map : ns->uid_map)
			continue;
		int rc = procfs_read_all(dirfd, map_name[k], &c->text);
		if (rc == -ENOMEM)
			return rc;
		if (rc < 0) {
			rc = capture_gap(c, tid, -rc, map_name[k]);
			if (rc)
				return rc;
			continue;
		}
		const char *s = graph_strndup(c->g, c->text.data, c->text.len);
		if (!s)
			return -ENOMEM;
		/* graph_strndup does not move graph.ns, but be explicit. */
		ns = &c->g->ns[userns];
		if (k)
			ns->gid_map = s;
		else
			ns->uid_map = s;
	}
	return 0;
}

/* One entry of /proc/PID/task: graph.tasks[ti]. */
static int capture_task(struct capture *c, int taskfd, const char *name,
			int32_t tid, size_t ti)
{
	struct graph *g = c->g;
	struct graph_links links;
	const char *comm;
	int rc;

	int dirfd = openat(taskfd, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		int err = errno;
		for (unsigned t = 0; t < NS_NTYPES; t++)
			if (c->link_types & NS_TYPE_BIT(t))
				g->tasks[ti].links.err[t] = err;
		return capture_gap(c, tid, err, "");
	}
	rc = capture_links(c, dirfd, true, tid, &links);
	if (rc)
		goto out;
	g->tasks[ti].links = links;
	if (c->collect & GRAPH_HAVE_COMM) {
		rc = capture_comm(c, dirfd, tid, &comm);
		if (rc)
			goto out;
		g->tasks[ti].comm = comm;
	}
	/* A thread can sit in a mount namespace of its own (setns after
	 * unshare(CLONE_FS)); its user namespace is the process's, but the
	 * leader may be a zombie whose files are gone. */
	if (c->collect & GRAPH_HAVE_PINS) {
		rc = capture_mounts(c, dirfd, tid, links.ns[NS_MNT]);
		if (rc)
			goto out;
	}
	if (c->collect & GRAPH_HAVE_MAPS)
		rc = capture_maps(c, dirfd, tid, links.ns[NS_USER]);
out:
	if (dirfd >= 0)
		close(dirfd);
	return rc;
}

/*
 * /proc/PID/task, appended as graph.procs[pi]'s slice of graph.tasks.
 * SINGLE: status said the leader is its only thread, which it then is
 * without a listing.
 */
static int capture_tasks(struct capture *c, int dirfd, size_t pi, bool single)
{
	struct graph *g = c->g;
	struct procfs_dir dir;
	_Alignas(struct dirent64) char dents[4096];
	size_t first = g->ntasks;
	int rc, err = 0;

	if (single) {
		if (!graph_task_append(g, g->procs[pi].pid))
			return -ENOMEM;
		g->tasks[first].links = g->procs[pi].links;
		g->tasks[first].comm = g->procs[pi].comm;
		goto out;
	}
	rc = procfs_dir_open(&dir, dirfd, "task", dents, sizeof(dents));
	if (rc < 0) {
		err = -rc;
		rc = 0;
		goto out;
	}
	for (;;) {
		int32_t tid;
		const char *name = procfs_dir_next(&dir, &err);

		if (!name)
			break;
		if (!procfs_parse_pid(name, &tid))
			continue;
		if (!graph_task_append(g, tid)) {
			rc = -ENOMEM;
			break;
		}
		size_t ti = g->ntasks - 1;
		if (tid == g->procs[pi].pid) {
			/*
			 * /proc/ID/task/ID is the very task /proc/ID shows,
			 * and /proc/ID/ns is what the reference reads for it:
			 * reuse instead of reading it all again (for most
			 * processes this is their only thread).
			 */
			g->tasks[ti].links = g->procs[pi].links;
			g->tasks[ti].comm = g->procs[pi].comm;
			continue;
		}
		rc = capture_task(c, dir.fd, name, tid, ti);
		if (rc)
			break;
	}
	procfs_dir_close(&dir);
	if (rc)
		return rc;
out:
	g->procs[pi].first_task = (uint32_t)first;
	g->procs[pi].ntasks = (uint32_t)(g->ntasks - first);
	g->procs[pi].task_err = err;
	return err ? capture_gap(c, 0, err, "task") : 0;
}

/* /proc/NAME could not be opened: the process is gone (or hidden). */
static int capture_missing(struct capture *c, size_t pi, int err)
{
	struct graph_proc *p = &c->g->procs[pi];

	for (unsigned t = 0; t < NS_NTYPES; t++)
		if (c->link_types & NS_TYPE_BIT(t))
			p->links.err[t] = err;
	if (c->collect & GRAPH_HAVE_NSTGID)
		p->status_err = err;
	if (c->collect & GRAPH_HAVE_TASKS)
		p->task_err = err;
	if (c->collect & GRAPH_HAVE_PINS)
		p->fd_err = err;
	return capture_gap(c, 0, err, "");
}

/* What needs a process's directory beyond its ns links. */
#define NEEDS_DIR (GRAPH_HAVE_STAT | GRAPH_HAVE_COMM | GRAPH_HAVE_NSTGID | \
		   GRAPH_HAVE_PINS | GRAPH_HAVE_TASKS | GRAPH_HAVE_IDENTITY)

/* One process (or thread, by TID) named NAME in /proc; what PRE read of it
 * ahead when not NULL (see capture_process_read). */
static int capture_one(struct capture *c, const char *name, int32_t pid,
		       uint32_t flags, const struct capture_pre *pre)
{
	struct graph *g = c->g;
	struct graph_links links;
	const char *comm;
	char path[32];
	bool single = false;
	int rc;

	if (!graph_proc_append(g, pid))
		return -ENOMEM;
	size_t pi = g->nprocs - 1;
	g->procs[pi].flags = flags;
	c->pid = pid;
	c->warned = false;

	/*
	 * Links first: they are what the reference reads, and the sooner
	 * after the listing, the fewer processes have vanished.  A capture
	 * that wants only links (a default view) opens the ns directory
	 * alone; one that reads more opens /proc/PID and reads the links
	 * below it, which spares opening and closing ns/.
	 */
	int dirfd = -1;
	if (pre) {
		/* Opened by the read-ahead, for us to close. */
		dirfd = pre->dirfd;
		if (dirfd < 0)
			return capture_missing(c, pi, pre->open_err);
		rc = capture_links(c, dirfd, true, 0, &links);
	} else if (c->collect & NEEDS_DIR) {
		dirfd = openat(c->procfd, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (dirfd < 0)
			return capture_missing(c, pi, errno);
		rc = capture_links(c, dirfd, true, 0, &links);
	} else {
		snprintf(path, sizeof(path), "%s/ns", name);
		int nsfd = openat(c->procfd, path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (nsfd < 0)
			return capture_missing(c, pi, errno);
		rc = capture_links(c, nsfd, false, 0, &links);
		close(nsfd);
	}
	if (rc)
		goto out;
	g->procs[pi].links = links;
	if (dirfd < 0) {
		/* Maps are read once per user namespace, from its first
		 * member: only that one needs its directory. */
		uint32_t u = links.ns[NS_USER];
		if (!(c->collect & GRAPH_HAVE_MAPS) || u == GRAPH_NONE ||
		    (g->ns[u].uid_map && g->ns[u].gid_map))
			return 0;
		dirfd = openat(c->procfd, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (dirfd < 0) {
			/* Gone between its links and the rest: keep them. */
			rc = capture_missing(c, pi, errno);
			g->procs[pi].links = links;
			return rc;
		}
	}
	/* stat and status are read together (ahead, or here), and kept
	 * in their order. */
	struct capture_stat_raw own;
	const struct capture_stat_raw *sr = pre ? &pre->stat : &own;
	if (!pre && (c->collect & (GRAPH_HAVE_STAT | GRAPH_HAVE_NSTGID |
				   GRAPH_HAVE_IDENTITY))) {
		own.status = &c->text;
		capture_stat_read(dirfd, c->collect, &own);
	}
	if (c->collect & GRAPH_HAVE_STAT) {
		rc = capture_stat(c, sr, pi);
		if (rc)
			goto out;
	}
	if ((c->collect & GRAPH_HAVE_COMM) && !g->procs[pi].comm) {
		rc = capture_comm(c, dirfd, 0, &comm);
		if (rc)
			goto out;
		g->procs[pi].comm = comm;
	}
	if (c->collect & (GRAPH_HAVE_NSTGID | GRAPH_HAVE_IDENTITY)) {
		rc = capture_status(c, sr, pi, &single);
		if (rc)
			goto out;
	}
	if (c->collect & GRAPH_HAVE_IDENTITY) {
		rc = pre ? capture_ident_apply(c, &pre->ident, pi) :
			   capture_identity(c, dirfd, pi);
		if (rc)
			goto out;
	}
	if (c->collect & GRAPH_HAVE_PINS) {
		rc = capture_fds(c, dirfd, pi);
		if (!rc)
			rc = capture_mounts(c, dirfd, 0, links.ns[NS_MNT]);
		if (rc)
			goto out;
	}
	if (c->collect & GRAPH_HAVE_MAPS) {
		rc = capture_maps(c, dirfd, 0, links.ns[NS_USER]);
		if (rc)
			goto out;
	}
	if (c->collect & GRAPH_HAVE_TASKS)
		rc = capture_tasks(c, dirfd, pi, single);
out:
	if (dirfd >= 0)
		close(dirfd);
	return rc;
}

int capture_process(struct capture *c, const char *name, int32_t pid,
		    uint32_t flags)
{
	return capture_one(c, name, pid, flags, NULL);
}

void capture_process_read(int procfd, const char *name, uint32_t collect,
			  struct capture_pre *pre)
{
	pre->dirfd = openat(procfd, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
	pre->open_err = pre->dirfd < 0 ? errno : 0;
	if (pre->dirfd >= 0) {
		capture_stat_read(pre->dirfd, collect, &pre->stat);
		capture_ident_read(pre->dirfd, &pre->ident);
	}
}

int capture_process_pre(struct capture *c, const char *name, int32_t pid,
			uint32_t flags, const struct capture_pre *pre)
{
	return capture_one(c, name, pid, flags, pre);
}
