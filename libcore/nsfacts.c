/*
 * nsfacts.c — what namespaces say of themselves.
 *
 * The UTS and network namespaces of a thread are its own (setns() changes
 * only the calling thread's), so one worker thread per kind joins each
 * namespace of that kind in turn and asks it: uname() for UTS, rtnetlink
 * for network.  The capturing thread never calls setns(), and meanwhile
 * reads the user and time namespaces' facts from their members' /proc
 * files.  Workers see no graph: each gets a list of jobs (where to open a
 * namespace, room for the answers) built before it starts, and the
 * answers are copied into the graph, in namespace order, after it ends.
 *
 * A namespace is opened through up to NSF_MAX_SRC places: members first
 * (their /proc/ID/ns link), then its pins.  Every open is checked against
 * the namespace's (dev, inode): a PID reused or an fd replaced since the
 * scan is simply the next place to try.
 */
#include "nsfacts.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "nsfacts_int.h"
#include "procfs.h"
#include "sockpin.h"

#define NSF_MAX_SRC 4
#define NSF_TEXT_MAX 256   /* setgroups, timens_offsets: a few lines */

/* The kinds of fact, each with its list of jobs. */
enum { K_UTS, K_NET, K_USER, K_TIME, K_N };
static const unsigned kind_type[K_N] = { NS_UTS, NS_NET, NS_USER, NS_TIME };

enum src_kind {
	SRC_LINK,    /* /proc/PID/ns/TYPE, PID a process or a thread */
	SRC_FD,      /* /proc/PID/fd/FD, an nsfs file */
	SRC_MOUNT,   /* PATH in the mount namespace of PID, through its root */
	SRC_SOCKET,  /* the namespace of socket FD of PID (sockpin) */
};

struct src {
	uint8_t kind;
	int32_t pid;
	int32_t fd;
	char *path;  /* SRC_MOUNT: unescaped, malloc'd */
};

struct job {
	uint32_t ns;
	uint64_t ino;
	struct src src[NSF_MAX_SRC];
	unsigned nsrc;
	/* answers, written by whoever runs the job */
	int err;             /* the last refusal (not a vanishing), or 0 */
	unsigned err_src;    /* where it came from */
	unsigned used;       /* the place that opened */
	bool done;
	char host[sizeof(((struct utsname *)0)->nodename)];
	char domain[sizeof(((struct utsname *)0)->domainname)];
	int32_t nsid;
	struct nsfacts_ifs ifs;
	char text[NSF_TEXT_MAX];
};

struct kind {
	unsigned type;
	int procfd;
	uint64_t nsfs_dev;
	struct job *jobs;
	size_t njobs;
	pthread_t thread;
	bool started;
};

struct facts {
	struct graph *g;
	int procfd;
	uint32_t *job_of;      /* per namespace: its job in its kind, or GRAPH_NONE */
	int32_t *mnt_member;   /* per namespace: a member PID (mnt only), or 0 */
	struct kind k[K_N];
	void (*warn)(void *ctx, const char *msg);
	void *warn_ctx;
};

static bool vanished(int err)
{
	return err == ENOENT || err == ESRCH || err == EBADF || err == ESTALE ||
	       err == ENOTSOCK;
}

static int kind_of_type(unsigned type)
{
	for (int k = 0; k < K_N; k++)
		if (kind_type[k] == type)
			return k;
	return -1;
}

/* ---- the jobs ---------------------------------------------------------- */

static struct job *job_for(struct facts *f, uint32_t ns)
{
	if (ns == GRAPH_NONE || ns >= f->g->nns || f->job_of[ns] == GRAPH_NONE)
		return NULL;
	int k = kind_of_type(f->g->ns[ns].type);
	return &f->k[k].jobs[f->job_of[ns]];
}

static void add_src(struct job *j, struct src s)
{
	if (!j || j->nsrc == NSF_MAX_SRC) {
		free(s.path);
		return;
	}
	for (unsigned i = 0; i < j->nsrc; i++)
		if (j->src[i].kind == s.kind && j->src[i].pid == s.pid &&
		    j->src[i].fd == s.fd) {
			free(s.path);
			return;
		}
	j->src[j->nsrc++] = s;
}

static void add_links(struct facts *f, int32_t id, const struct graph_links *l)
{
	for (int k = 0; k < K_N; k++)
		if (l->err[kind_type[k]] == 0)
			add_src(job_for(f, l->ns[kind_type[k]]),
				(struct src){ .kind = SRC_LINK, .pid = id });
	/* timens_offsets is of a process's time_for_children. */
	add_src(job_for(f, l->time_for_children),
		(struct src){ .kind = SRC_LINK, .pid = id });
	uint32_t m = l->ns[NS_MNT];
	if (l->err[NS_MNT] == 0 && m != GRAPH_NONE && !f->mnt_member[m])
		f->mnt_member[m] = id;
}

/* One job per namespace of each kind, in namespace order; then where to
 * open each: members, nsfs fds, bind mounts, sockets. */
static int plan(struct facts *f)
{
	struct graph *g = f->g;

	for (size_t i = 0; i < g->nns; i++) {
		int k = kind_of_type(g->ns[i].type);
		f->job_of[i] = GRAPH_NONE;
		if (k < 0)
			continue;
		f->job_of[i] = (uint32_t)f->k[k].njobs;
		f->k[k].jobs[f->k[k].njobs++] = (struct job){
			.ns = (uint32_t)i, .ino = g->ns[i].key.ino, .nsid = -1,
		};
	}
	for (size_t i = 0; i < g->nprocs; i++) {
		const struct graph_proc *p = &g->procs[i];
		add_links(f, p->pid, &p->links);
		for (uint32_t t = 0; t < p->ntasks; t++) {
			const struct graph_task *tk = &g->tasks[p->first_task + t];
			if (tk->tid != p->pid)
				add_links(f, tk->tid, &tk->links);
		}
	}
	for (size_t i = 0; i < g->nprocs; i++) {
		const struct graph_proc *p = &g->procs[i];
		for (uint32_t k = 0; k < p->nfds; k++) {
			const struct graph_fd *d = &g->fds[p->first_fd + k];
			struct job *j = job_for(f, d->ns);
			/* User and time facts are read from members only. */
			if (j && (g->ns[d->ns].type == NS_UTS ||
				  g->ns[d->ns].type == NS_NET))
				add_src(j, (struct src){
					.kind = d->kind == GRAPH_FD_SOCKET ?
						SRC_SOCKET : SRC_FD,
					.pid = p->pid, .fd = d->fd });
		}
	}
	for (size_t i = 0; i < g->nmounts; i++) {
		const struct graph_mount *m = &g->mounts[i];
		struct job *j = job_for(f, m->ns);
		if (!j || !m->path || m->mntns >= g->nns ||
		    !f->mnt_member[m->mntns] ||
		    (g->ns[m->ns].type != NS_UTS && g->ns[m->ns].type != NS_NET) ||
		    j->nsrc == NSF_MAX_SRC)
			continue;
		char *path = malloc(PATH_MAX);
		if (!path)
			return -ENOMEM;
		if (procfs_unescape(path, PATH_MAX, m->path, strlen(m->path)) < 0) {
			free(path);
			continue;
		}
		/* fd: the mount's index, which keeps add_src from taking
		 * two mounts of one member for one place. */
		add_src(j, (struct src){ .kind = SRC_MOUNT, .path = path,
					 .pid = f->mnt_member[m->mntns],
					 .fd = (int32_t)i });
	}
	return 0;
}

/* ---- opening a namespace ---------------------------------------------- */

/* PATH as the process PID sees it, through its root (openat2, 5.6+). */
static int open_in_root(int procfd, int32_t pid, const char *path)
{
	char name[32];
	struct open_how how = {
		.flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};

	snprintf(name, sizeof(name), "%" PRId32 "/root", pid);
	int root = openat(procfd, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return -errno;
	int fd = (int)syscall(SYS_openat2, root, path, &how, sizeof(how));
	int err = errno;
	close(root);
	return fd < 0 ? -err : fd;
}

/* Open S, which names namespace TYPE:[INO] (or did at the scan). */
static int open_src(const struct kind *k, const struct src *s, uint64_t ino)
{
	char name[64], link[64];
	struct stat st;
	int fd;

	switch (s->kind) {
	case SRC_LINK:
		snprintf(name, sizeof(name), "%" PRId32 "/ns/%s", s->pid,
			 ns_type_name(k->type));
		fd = openat(k->procfd, name, O_RDONLY | O_CLOEXEC);
		break;
	case SRC_FD: {
		/* Reopen only what still reads as the namespace: the fd
		 * may be a FIFO or a device by now. */
		uint64_t now;
		snprintf(name, sizeof(name), "%" PRId32 "/fd/%" PRId32, s->pid,
			 s->fd);
		ssize_t n = readlinkat(k->procfd, name, link, sizeof(link));
		if (n < 0)
			return -errno;
		if ((size_t)n >= sizeof(link) ||
		    procfs_parse_nslink(link, (size_t)n, &now) != (int)k->type ||
		    now != ino)
			return -ESTALE;
		fd = openat(k->procfd, name, O_RDONLY | O_NONBLOCK | O_NOCTTY |
			    O_CLOEXEC);
		break;
	}
	case SRC_MOUNT:
		fd = open_in_root(k->procfd, s->pid, s->path);
		if (fd < 0)
			return fd;
		break;
	default:
		fd = sockpin_netns_fd(s->pid, s->fd);
		if (fd < 0)
			return fd;
		break;
	}
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || (uint64_t)st.st_dev != k->nsfs_dev ||
	    (uint64_t)st.st_ino != ino) {
		close(fd);
		return -ESTALE;
	}
	return fd;
}

/* The first of J's places that opens; records refusals in J. */
static int open_job(const struct kind *k, struct job *j)
{
	for (unsigned i = 0; i < j->nsrc; i++) {
		int fd = open_src(k, &j->src[i], j->ino);
		if (fd >= 0) {
			j->used = i;
			return fd;
		}
		if (!vanished(-fd)) {
			j->err = -fd;
			j->err_src = i;
		}
	}
	return -1;
}

/* ---- the workers ------------------------------------------------------- */

static void run_uts(struct job *j, int fd)
{
	struct utsname u;

	if (setns(fd, CLONE_NEWUTS) < 0 || uname(&u) < 0) {
		j->err = errno;
		j->err_src = j->used;
		return;
	}
	memcpy(j->host, u.nodename, sizeof(j->host));
	memcpy(j->domain, u.domainname, sizeof(j->domain));
	j->host[sizeof(j->host) - 1] = j->domain[sizeof(j->domain) - 1] = '\0';
	j->done = true;
}

static void run_net(struct job *j, int fd, int nsid_sock, uint32_t seq)
{
	/* Asked from the capturer's namespace, before leaving it. */
	if (nsid_sock >= 0)
		(void)nsfacts_net_nsid(nsid_sock, fd, seq, &j->nsid);
	if (setns(fd, CLONE_NEWNET) < 0) {
		j->err = errno;
		j->err_src = j->used;
		return;
	}
	int rc = nsfacts_net_ifaces(&j->ifs);
	if (rc < 0) {
		j->err = -rc;
		j->err_src = j->used;
	}
	j->done = true;
}

static void *worker(void *arg)
{
	struct kind *k = arg;
	/* Created while the thread is still in the capturer's namespace. */
	int nsid_sock = k->type == NS_NET ? nsfacts_rtnl_open() : -1;

	for (size_t i = 0; i < k->njobs; i++) {
		struct job *j = &k->jobs[i];
		int fd = open_job(k, j);
		if (fd < 0)
			continue;
		if (k->type == NS_UTS)
			run_uts(j, fd);
		else
			run_net(j, fd, nsid_sock, (uint32_t)i + 1);
		close(fd);
	}
	if (nsid_sock >= 0)
		close(nsid_sock);
	return NULL;
}

/* Start K's worker, signals blocked: they are the capturing thread's. */
static void start(struct kind *k)
{
	sigset_t all, old;

	if (!k->njobs)
		return;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(&k->thread, NULL, worker, k);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		for (size_t i = 0; i < k->njobs; i++)
			if (k->jobs[i].nsrc)
				k->jobs[i].err = rc;
		return;
	}
	k->started = true;
}

/* ---- /proc files of members (the capturing thread) --------------------- */

/* The whole of small file NAME below DIRFD into BUF: a length or -errno.
 * Both files are seq_files whose first read returns all of them. */
static ssize_t read_small(int dirfd, const char *name, char *buf, size_t size)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, size - 1);
	int err = errno;
	close(fd);
	if (n < 0)
		return -err;
	buf[n] = '\0';
	return n;
}

/* Read FILE of member DIRFD when its LINK still names J's namespace, so
 * that the file is the namespace's and not a newcomer's: 0 or an errno. */
static int read_member(const struct kind *k, struct job *j, int dirfd,
		       const char *link, const char *file)
{
	char buf[64];
	uint64_t ino;
	ssize_t n = readlinkat(dirfd, link, buf, sizeof(buf));

	if (n < 0)
		return errno;
	if ((size_t)n >= sizeof(buf) ||
	    procfs_parse_nslink(buf, (size_t)n, &ino) != (int)k->type ||
	    ino != j->ino)
		return ESTALE;
	n = read_small(dirfd, file, j->text, sizeof(j->text));
	return n < 0 ? (int)-n : 0;
}

/* FILE of the first of J's members that reads, into J's text. */
static void read_members(const struct kind *k, struct job *j, const char *link,
			 const char *file)
{
	for (unsigned i = 0; i < j->nsrc && !j->done; i++) {
		char name[32];
		int err;

		snprintf(name, sizeof(name), "%" PRId32, j->src[i].pid);
		int dirfd = openat(k->procfd, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (dirfd < 0) {
			err = errno;
		} else {
			err = read_member(k, j, dirfd, link, file);
			close(dirfd);
		}
		j->done = !err;
		if (err && !vanished(err)) {
			j->err = err;
			j->err_src = i;
		}
	}
}

/* ---- into the graph ---------------------------------------------------- */

static const char *const kind_what[K_N] = {
	"hostname", "interfaces", "setgroups", "time offsets",
};

/* J could not be read: a gap naming where, and the kind's one warning. */
static int refused(struct facts *f, int k, const struct job *j, bool *warned)
{
	const struct src *s = &j->src[j->err_src < j->nsrc ? j->err_src : 0];
	char what[64], msg[256], ebuf[128];

	if (!j->err || !j->nsrc)
		return 0;
	switch (s->kind) {
	case SRC_LINK:
		snprintf(what, sizeof(what), "%s",
			 k == K_USER ? "setgroups" : k == K_TIME ? "timens_offsets" :
			 k == K_UTS ? "ns/uts" : "ns/net");
		break;
	case SRC_MOUNT:
		snprintf(what, sizeof(what), "root");
		break;
	default:
		snprintf(what, sizeof(what), "fd/%" PRId32, s->fd);
		break;
	}
	if (f->warn && !*warned) {
		*warned = true;
		snprintf(msg, sizeof(msg), "cannot read the %s of %s:[%" PRIu64
			 "] through process %" PRId32 ": %s", kind_what[k],
			 ns_type_name(kind_type[k]), j->ino, s->pid,
			 strerror_r(j->err, ebuf, sizeof(ebuf)));
		f->warn(f->warn_ctx, msg);
	}
	return graph_gap_add(f->g, s->pid, 0, j->err, what);
}

static int keep_str(struct graph *g, const char *s, const char **out)
{
	*out = graph_strdup(g, s);
	return *out ? 0 : -ENOMEM;
}

static int apply_net(struct graph *g, const struct job *j)
{
	struct graph_ns *ns = &g->ns[j->ns];

	if (j->nsid >= 0) {
		ns->nsid = j->nsid;
		ns->flags |= GRAPH_NS_HAS_NSID;
	}
	ns->first_iface = (uint32_t)g->nifaces;
	for (size_t i = 0; i < j->ifs.n; i++) {
		const struct nsfacts_if *s = &j->ifs.v[i];
		struct graph_iface *d = graph_iface_append(g);
		if (!d)
			return -ENOMEM;
		d->ns = j->ns;
		d->ifindex = s->ifindex;
		d->flags = s->flags;
		d->operstate = s->operstate;
		if (keep_str(g, s->name, &d->name) ||
		    (s->mac[0] && keep_str(g, s->mac, &d->mac)) ||
		    (s->addrs && keep_str(g, s->addrs, &d->addrs)))
			return -ENOMEM;
	}
	g->ns[j->ns].nifaces = (uint32_t)(g->nifaces - g->ns[j->ns].first_iface);
	return 0;
}

static int apply(struct facts *f, int k)
{
	struct graph *g = f->g;
	bool warned = false, cut_told = false;
	int rc = 0;

	for (size_t i = 0; i < f->k[k].njobs && !rc; i++) {
		const struct job *j = &f->k[k].jobs[i];
		struct graph_ns *ns = &g->ns[j->ns];
		if (!j->done) {
			rc = refused(f, k, j, &warned);
			continue;
		}
		switch (k) {
		case K_UTS:
			rc = keep_str(g, j->host, &ns->hostname);
			if (!rc)
				rc = keep_str(g, j->domain, &ns->domainname);
			break;
		case K_USER:
			ns->setgroups = !strcmp(j->text, "allow\n") ? GRAPH_SETGROUPS_ALLOW :
					!strcmp(j->text, "deny\n") ? GRAPH_SETGROUPS_DENY :
					GRAPH_SETGROUPS_UNKNOWN;
			break;
		case K_TIME:
			rc = keep_str(g, j->text, &ns->timens_offsets);
			break;
		default:
			rc = apply_net(g, j);
			if (!rc && j->err)   /* a dump that failed midway */
				rc = refused(f, k, j, &warned);
			if (!rc && j->ifs.cut && f->warn && !cut_told) {
				char msg[160];
				cut_told = true;
				snprintf(msg, sizeof(msg), "net:[%" PRIu64 "]: more "
					 "interfaces or addresses than kept; cut",
					 j->ino);
				f->warn(f->warn_ctx, msg);
			}
			break;
		}
	}
	return rc;
}

int nsfacts_collect(struct graph *g, const char *proc_root,
		    void (*warn)(void *ctx, const char *msg), void *warn_ctx)
{
	struct facts f = { .g = g, .procfd = -1, .warn = warn,
			   .warn_ctx = warn_ctx };
	int rc = -ENOMEM;

	if (!g || g->nifaces)
		return -EINVAL;
	f.procfd = open(proc_root ? proc_root : "/proc",
			O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (f.procfd < 0)
		return 0;   /* capture opened it a moment ago; nothing to add */
	f.job_of = malloc((g->nns + 1) * sizeof(*f.job_of));
	f.mnt_member = calloc(g->nns + 1, sizeof(*f.mnt_member));
	if (!f.job_of || !f.mnt_member)
		goto out;
	size_t count[K_N] = { 0 };
	for (size_t i = 0; i < g->nns; i++) {
		int k = kind_of_type(g->ns[i].type);
		if (k >= 0)
			count[k]++;
	}
	for (int k = 0; k < K_N; k++) {
		f.k[k] = (struct kind){ .type = kind_type[k], .procfd = f.procfd,
					.nsfs_dev = g->meta.nsfs_dev };
		f.k[k].jobs = calloc(count[k] + 1, sizeof(struct job));
		if (!f.k[k].jobs)
			goto out;
	}
	rc = plan(&f);
	if (rc)
		goto out;
	start(&f.k[K_UTS]);
	start(&f.k[K_NET]);
	for (size_t i = 0; i < f.k[K_USER].njobs; i++)
		read_members(&f.k[K_USER], &f.k[K_USER].jobs[i], "ns/user",
				 "setgroups");
	for (size_t i = 0; i < f.k[K_TIME].njobs; i++)
		read_members(&f.k[K_TIME], &f.k[K_TIME].jobs[i],
				 "ns/time_for_children", "timens_offsets");
	for (int k = 0; k < K_N; k++) {
		if (f.k[k].started)
			pthread_join(f.k[k].thread, NULL);
		f.k[k].started = false;
	}
	for (int k = 0; k < K_N && !rc; k++)
		rc = apply(&f, k);
out:
	for (int k = 0; k < K_N; k++) {
		if (f.k[k].started)
			pthread_join(f.k[k].thread, NULL);
		for (size_t i = 0; f.k[k].jobs && i < f.k[k].njobs; i++) {
			for (unsigned s = 0; s < f.k[k].jobs[i].nsrc; s++)
				free(f.k[k].jobs[i].src[s].path);
			nsfacts_ifs_free(&f.k[k].jobs[i].ifs);
		}
		free(f.k[k].jobs);
	}
	free(f.job_of);
	free(f.mnt_member);
	close(f.procfd);
	return rc;
}
