/*
 * capture.c — live capture: one pass over /proc fills a graph.
 *
 * The scan driver: the /proc listing, the IDs asked for one by one, what
 * the graph says of the capture itself (meta), and the gaps and warnings
 * of what could not be read.  What is read of each process is
 * capture_proc.c's, its namespaces capture_ns.c's, its pins
 * capture_pins.c's (capture_int.h joins them).
 *
 * Nothing that one process does (exit, deny access) stops the scan: link
 * errors land in graph_links.err, everything unreadable in graph.gaps, and
 * only a failure of capture itself (no /proc, no memory) is returned.
 */
#include "capture_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "nsfacts.h"
#include "sockpin.h"
#include "view.h"
#include "workload.h"

/* The GRAPH_HAVE_* bits this capture fills: all of them. */
#define CAPTURE_CAN GRAPH_HAVE_EVERYTHING

/* sockpin_ops.adopt: a socket's network namespace, as any other. */
static int capture_adopt_netns(void *ctx, int nsfd, uint32_t *idx)
{
	int32_t why;

	return capture_adopt(ctx, nsfd, NS_NET, NULL, idx, &why);
}

/* ---- errors ----------------------------------------------------------- */

static void capture_warn(struct capture *c, int32_t tid, int err,
			 const char *what)
{
	char msg[PATH_MAX + 128], ebuf[128];

	if (!c->opts->warn || c->warned)
		return;
	c->warned = true;
	/* One message per process, so name the ns directory, not a link. */
	int wlen = strncmp(what, "ns/", 3) == 0 ? 2 : (int)strlen(what);
	const char *sep = wlen ? "/" : "";
	const char *etext = strerror_r(err, ebuf, sizeof(ebuf));

	if (!c->pid) /* the listing itself */
		snprintf(msg, sizeof(msg), "cannot list %s: %s", c->proc_root,
			 etext);
	else if (tid)
		snprintf(msg, sizeof(msg), "cannot read %s/%" PRId32 "/task/%"
			 PRId32 "%s%.*s: %s", c->proc_root, c->pid, tid, sep,
			 wlen, what, etext);
	else
		snprintf(msg, sizeof(msg), "cannot read %s/%" PRId32 "%s%.*s: %s",
			 c->proc_root, c->pid, sep, wlen, what, etext);
	c->opts->warn(c->opts->warn_ctx, msg);
}

/*
 * Record that WHAT (below /proc/PID, or /proc/PID/task/TID when TID is not
 * 0; "" for the directory itself) could not be read.  0 or -ENOMEM.
 */
int capture_gap(struct capture *c, int32_t tid, int err, const char *what)
{
	int rc = graph_gap_add(c->g, c->pid, tid, err, what);

	if (rc)
		return rc;
	if (!capture_vanished(err))
		capture_warn(c, tid, err, what);
	return 0;
}

/*
 * A link below DIRFD answered EACCES.  That is also what the kernel says
 * when the task behind a /proc directory we hold open has been reaped
 * meanwhile; the reference, which opens the full path each time, would
 * have seen ENOENT then.  Tell the two apart by looking the process up
 * again.
 */
int capture_link_errno(int dirfd, const char *probe, int err)
{
	struct stat st;

	/* Looking a link up needs no ptrace access, only a live task. */
	if (err == EACCES && fstatat(dirfd, probe, &st, AT_SYMLINK_NOFOLLOW) < 0 &&
	    capture_vanished(errno))
		return ENOENT;
	return err;
}

/* ---- the pass --------------------------------------------------------- */

/* The set of IDs captured so far, so that opts->ids adds each only once. */
struct idset {
	int64_t *slot; /* IDSET_EMPTY or an int32_t ID */
	size_t mask;
};

#define IDSET_EMPTY INT64_MIN

static int idset_init(struct idset *s, size_t n)
{
	size_t cap = 16;

	while (cap < 2 * n)
		cap *= 2;
	s->slot = malloc(cap * sizeof(*s->slot));
	if (!s->slot)
		return -ENOMEM;
	for (size_t i = 0; i < cap; i++)
		s->slot[i] = IDSET_EMPTY;
	s->mask = cap - 1;
	return 0;
}

/* True when ID was not in the set yet.  At most half full by idset_init. */
static bool idset_insert(struct idset *s, int32_t id)
{
	size_t i = ((uint32_t)id * 2654435761u) & s->mask;

	while (s->slot[i] != IDSET_EMPTY) {
		if (s->slot[i] == id)
			return false;
		i = (i + 1) & s->mask;
	}
	s->slot[i] = id;
	return true;
}

/* The /proc listing: every entry that names a process, in readdir order. */
static int capture_listing(struct capture *c, DIR *listing)
{
	for (;;) {
		int32_t pid;

		errno = 0;
		struct dirent *de = readdir(listing);
		if (!de) {
			if (!errno)
				return 0;
			/* An incomplete listing is a gap of /proc itself. */
			c->pid = 0;
			c->warned = false;
			return capture_gap(c, 0, errno, "");
		}
		if (!procfs_parse_pid(de->d_name, &pid))
			continue;
		if (c->opts->skip_self && pid == c->g->meta.capturer_pid)
			continue;
		int rc = capture_process(c, de->d_name, pid, GRAPH_PROC_LISTED);
		if (rc)
			return rc;
	}
}

/*
 * The process or thread WORD names, as /proc/WORD would (0: none).  The
 * view reads a word with the same rule and the same "self", the PID this
 * /proc gives the capturer, so it finds what was captured for it.
 */
static int32_t word_id(const struct capture *c, const char *word)
{
	int32_t pid, tid;

	if (view_word_target(word, c->g->meta.capturer_pid, &pid, &tid))
		return 0;
	return tid ? tid : pid;
}

/* opts->ids, then opts->words: each ID once, and not again if listed. */
static int capture_ids(struct capture *c)
{
	const struct capture_opts *opts = c->opts;
	size_t n = opts->nids + opts->nwords;
	struct idset seen;
	int rc;

	if (!n)
		return 0;
	rc = idset_init(&seen, c->g->nprocs + n);
	if (rc)
		return rc;
	for (size_t i = 0; i < c->g->nprocs; i++)
		idset_insert(&seen, c->g->procs[i].pid);
	for (size_t i = 0; i < n && !rc; i++) {
		int32_t id = i < opts->nids ? opts->ids[i] :
			     word_id(c, opts->words[i - opts->nids]);
		char name[16];

		if (id <= 0 || !idset_insert(&seen, id))
			continue;
		snprintf(name, sizeof(name), "%" PRId32, id);
		rc = capture_process(c, name, id, 0);
	}
	free(seen.slot);
	return rc;
}

static int capture_meta(struct capture *c)
{
	struct graph_meta *m = &c->g->meta;
	struct utsname uts;
	struct stat st;
	char buf[64];

	/* Our PID as this /proc numbers it, which is not getpid() when /proc
	 * belongs to another PID namespace than ours. */
	ssize_t len = readlinkat(c->procfd, "self", buf, sizeof(buf) - 1);
	int32_t self;
	buf[len > 0 ? len : 0] = '\0';
	bool known = procfs_parse_pid(buf, &self);
	m->capturer_pid = known ? self : getpid();
	int rc = capture_vantage(c, known ? self : -1);
	if (rc)
		return rc;
	m->collected = c->collect;
	m->types_present = capture_types_present(c->proc_root);
	if (uname(&uts) == 0) {
		m->hostname = graph_strdup(c->g, uts.nodename);
		m->kernel = graph_strdup(c->g, uts.release);
		if (!m->hostname || !m->kernel)
			return -ENOMEM;
	}
	ssize_t n = procfs_read_small(c->procfd, "sys/kernel/random/boot_id",
				      buf, sizeof(buf));
	if (n > 0) {
		while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
			n--;
		m->boot_id = graph_strndup(c->g, buf, (size_t)n);
		if (!m->boot_id)
			return -ENOMEM;
	}
	/*
	 * All namespace files live on the one nsfs superblock; links only
	 * give the inode, this gives the device.  A kernel without user
	 * namespaces still has the other links.
	 */
	int selfns = openat(c->procfd, "self/ns", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (selfns >= 0) {
		if (fstatat(selfns, "user", &st, 0) == 0) {
			m->nsfs_dev = st.st_dev;
		} else {
			for (unsigned t = 0; t < NS_NTYPES; t++) {
				if (fstatat(selfns, ns_type_name(t), &st, 0) == 0) {
					m->nsfs_dev = st.st_dev;
					break;
				}
			}
		}
		close(selfns);
	}
	c->nsfs_dev = m->nsfs_dev;
	return 0;
}

int capture_live(const struct capture_opts *opts, struct graph **out)
{
	struct capture c = { .opts = opts, .procfd = -1 };
	DIR *listing = NULL;
	int rc;

	if (!opts || !out)
		return -EINVAL;
	*out = NULL;
	/* What this capture can collect; a bit it cannot fill is not
	 * claimed, so a view never trusts an empty field. */
	c.collect = opts->collect & CAPTURE_CAN;
	/* Workloads are derived from cgroups and command lines. */
	if (c.collect & GRAPH_HAVE_WORKLOADS)
		c.collect |= GRAPH_HAVE_IDENTITY;
	c.proc_root = opts->proc_root ? opts->proc_root : "/proc";
	c.g = graph_new();
	if (!c.g)
		return -ENOMEM;
	c.g->meta.start_ns = capture_clock_ns(CLOCK_REALTIME);
	c.g->meta.vantage.boot_start_ns = capture_clock_ns(CLOCK_BOOTTIME);

	c.procfd = open(c.proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c.procfd < 0) {
		rc = -errno;
		goto fail;
	}
	/* Socket pins are pins: found while reading fds (sockpin.h). */
	if (!(c.collect & GRAPH_HAVE_PINS))
		c.collect &= ~GRAPH_HAVE_SOCKETS;
	if (c.collect & GRAPH_HAVE_SOCKETS) {
		struct sockpin_ops so = { capture_adopt_netns, &c, opts->warn,
					  opts->warn_ctx };
		c.sockpin = sockpin_new(&so);
		if (!c.sockpin) {
			rc = -ENOMEM;
			goto fail;
		}
	}
	rc = capture_meta(&c);
	if (rc)
		goto fail;

	/* Bind mounts are found per mount namespace, so pins need mnt. */
	c.link_types = opts->types & NS_ALL_TYPES;
	if (c.collect & GRAPH_HAVE_PINS)
		c.link_types |= NS_TYPE_BIT(NS_MNT);
	/* A link this kernel lacks is not read (and stays ENODATA). */
	if (c.g->meta.types_present)
		c.link_types &= c.g->meta.types_present;

	if (c.collect & GRAPH_HAVE_ALL_PROCS) {
		/* The listing owns procfd from here; openat on it is fine. */
		listing = fdopendir(c.procfd);
		if (!listing) {
			rc = -errno;
			goto fail;
		}
		/* A capture of identities reads the listing ahead. */
		bool ran = false;
		if (c.collect & GRAPH_HAVE_IDENTITY)
			rc = capture_listing_ahead(&c, listing, &ran);
		if (!rc && !ran)
			rc = capture_listing(&c, listing);
		if (rc)
			goto fail;
	}
	rc = capture_ids(&c);
	if (!rc && (c.collect & GRAPH_HAVE_NSFACTS)) /* nsfacts.h */
		rc = nsfacts_collect(c.g, c.proc_root, opts->warn, opts->warn_ctx);
	if (rc)
		goto fail;
	/* Workloads: derived from the processes' cgroups and command lines
	 * and the runtimes' state files (workload.h). */
	if (c.collect & GRAPH_HAVE_WORKLOADS) {
		struct workload_env env = { .root = "/" };
		rc = workload_attribute(c.g, &env);
		if (rc)
			goto fail;
	}

	c.g->meta.end_ns = capture_clock_ns(CLOCK_REALTIME);
	c.g->meta.vantage.boot_end_ns = capture_clock_ns(CLOCK_BOOTTIME);
	*out = c.g;
	c.g = NULL;
fail:
	if (listing)
		closedir(listing);
	else if (c.procfd >= 0)
		close(c.procfd);
	procfs_buf_free(&c.text);
	procfs_buf_free(&c.mountinfo);
	free(c.ns_state);
	sockpin_free(c.sockpin);
	graph_free(c.g);
	return rc;
}

uint32_t capture_types_present(const char *proc_root)
{
	char path[PATH_MAX];
	struct stat st;
	uint32_t present = 0;

	snprintf(path, sizeof(path), "%s/self/ns", proc_root ? proc_root : "/proc");
	int dirfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return 0;
	for (unsigned t = 0; t < NS_NTYPES; t++)
		if (fstatat(dirfd, ns_type_name(t), &st, AT_SYMLINK_NOFOLLOW) == 0)
			present |= NS_TYPE_BIT(t);
	close(dirfd);
	return present;
}
