/*
 * capture_int.h — what the files of live capture share.
 *
 * capture.h is the module's one public header; this one joins its parts:
 *   capture.c        the scan driver: capture_live(), the /proc listing and
 *                    the IDs asked for, capture metadata, gaps and warnings
 *   capture_ns.c     namespaces: the ns/ links, opening and adopting a
 *                    namespace file, the nsfs ioctls (owners, parents, IDs)
 *   capture_proc.c   one process or thread: its directory, stat, comm,
 *                    status, maps, its task/ entries
 *   capture_pins.c   what holds a namespace beyond its members: fds and
 *                    nsfs bind mounts
 *   capture_ident.c  who and what a process is: command line, executable,
 *                    cgroup, login (GRAPH_HAVE_IDENTITY)
 *   capture_ahead.c  the listing and those reads, made ahead by a thread
 *   capture_vantage.c where the capture stands (graph_vantage)
 * Every function here takes the one struct capture of a run; nothing is
 * global, so that two captures may run at once.
 */
#ifndef NSNAP_CAPTURE_INT_H
#define NSNAP_CAPTURE_INT_H

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "capture.h"
#include "graph.h"
#include "procfs.h"

/* Capture's own bookkeeping per graph namespace, parallel to graph.ns. */
#define NS_QUERIED     0x01u /* opened and asked the ioctls */
#define NS_MOUNTS_READ 0x02u /* a member's mountinfo was read (mnt only) */

struct capture {
	const struct capture_opts *opts;
	struct graph *g;
	const char *proc_root;
	int procfd;
	uint32_t collect;          /* GRAPH_HAVE_* */
	uint32_t link_types;       /* NS_TYPE_BIT set read from every ns/ */
	uint64_t nsfs_dev;
	bool lacks_ns_get_id;      /* the kernel said ENOTTY/EINVAL once */
	bool lacks_openat2;
	uint8_t *ns_state;         /* NS_QUERIED | NS_MOUNTS_READ */
	size_t ns_state_cap;
	struct procfs_buf text;    /* status, uid_map, gid_map */
	struct procfs_buf mountinfo;
	int32_t pid;               /* the process being captured */
	bool warned;               /* about it, already */
	struct sockpin *sockpin;   /* GRAPH_HAVE_SOCKETS (sockpin.h) */
};

/* ---- capture_vantage.c ---- */

/* CLK now in ns (0 when the clock cannot be read). */
int64_t capture_clock_ns(clockid_t clk);
/* Fill meta.vantage; SELF is our PID as /proc numbers it, -1 unknown. */
int capture_vantage(struct capture *c, int32_t self);

/* ---- capture.c: errors ---- */

/* What a process that exits under our feet produces: normal, silent. */
static inline bool capture_vanished(int err)
{
	return err == ENOENT || err == ESRCH;
}

/*
 * Record that WHAT (below /proc/PID, or /proc/PID/task/TID when TID is not
 * 0; "" for the directory itself) could not be read, warning once per
 * process unless it vanished.  0 or -ENOMEM.
 */
int capture_gap(struct capture *c, int32_t tid, int err, const char *what);
/* The errno ERR of a link below DIRFD really means; PROBE, below DIRFD,
 * names the ns/user link of the same process. */
int capture_link_errno(int dirfd, const char *probe, int err);

/* ---- capture_ns.c: namespaces ---- */

/*
 * FD (closed here) was opened where a namespace of TYPE (-1: unknown) was
 * named, with inode *EXPECT_INO when the name said: index the namespace FD
 * really is in *idx, querying it if new; GRAPH_NONE and *why when FD is no
 * namespace.  0 or -ENOMEM.
 */
int capture_adopt(struct capture *c, int fd, int type,
		  const uint64_t *expect_ino, uint32_t *idx, int32_t *why);
/* The namespace that NAME, a link below DIRFD, named as TYPE:[INO],
 * opened with OFLAGS and queried the first time it is seen. */
int capture_named_ns(struct capture *c, int type, uint64_t ino, int dirfd,
		     const char *name, int oflags, uint32_t *out);
/*
 * The ns/ links of /proc/PID (TID 0) or of /proc/PID/task/TID: FD is that
 * directory when IN_PID_DIR (links "ns/net", ... : a capture that reads
 * more of the process spares opening ns/), else its ns directory (links
 * "net", ...: one path component per link, when only links are read).
 */
int capture_links(struct capture *c, int fd, bool in_pid_dir, int32_t tid,
		  struct graph_links *out);

/* ---- capture_ident.c: who and what ---- */

/* cmdline, exe, cgroup, loginuid and sessionid of the process below DIRFD,
 * graph.procs[pi] (its credentials come with status). */
int capture_identity(struct capture *c, int dirfd, size_t pi);

/* What capture_identity() reads, as the system calls answered: byte
 * counts, or -errno (sessionid: -ENODATA when not wanted). */
struct capture_ident_raw {
	ssize_t cmdline_n, exe_n, login_n, session_n;
	int exe_err;                /* errno of readlink(exe) */
	int cgroup_rc;              /* procfs_read_whole() of cgroup */
	struct procfs_buf *cgroup;  /* the caller's */
	char login[32], session[32];
	/* Two bytes more than is kept (and procfs_read_small()'s NUL): the
	 * last terminator, and one that says the line goes on. */
	char cmdline[GRAPH_CMDLINE_MAX + 3];
	char exe[PATH_MAX];
};
/* The reads alone, into R (R->cgroup set by the caller): no capture
 * state, so any thread may make them. */
void capture_ident_read(int dirfd, struct capture_ident_raw *r);
/* Keep what R says in graph.procs[pi], with capture_identity()'s gaps. */
int capture_ident_apply(struct capture *c, const struct capture_ident_raw *r,
			size_t pi);

/* ---- capture_proc.c: one process ---- */

/* The owner of /proc/PID, stat and status as read (what COLLECT wants of
 * them): the answers, or -errno, as capture_identity's are. */
struct capture_stat_raw {
	bool fstat_ok;
	uid_t uid;
	ssize_t stat_n;
	int status_rc;              /* procfs_read_whole() of status */
	struct procfs_buf *status;  /* the caller's */
	/* The longest stat line is ~1 KiB: 52 numbers after a 64-byte comm. */
	char stat[2048];
};
void capture_stat_read(int dirfd, uint32_t collect, struct capture_stat_raw *r);

/* The process (or thread, by TID) NAME of /proc, appended to graph.procs
 * with FLAGS (GRAPH_PROC_*). */
int capture_process(struct capture *c, const char *name, int32_t pid,
		    uint32_t flags);

/*
 * The part of capture_process() that another thread may do ahead of it
 * (GRAPH_HAVE_IDENTITY captures, capture_ahead.c): open /proc/NAME and
 * make capture_identity()'s reads.  The capturing thread then keeps them
 * in their usual place in the sequence with capture_process_pre(), which
 * closes PRE->dirfd; so the gaps, the warnings and what is kept are those
 * of capture_process(), and only the time of the reads moves.
 */
struct capture_pre {
	int dirfd;      /* /proc/NAME, O_PATH; -1 and open_err when not */
	int open_err;
	struct capture_stat_raw stat;    /* stat.status set by the caller */
	struct capture_ident_raw ident;  /* ident.cgroup set by the caller */
};
void capture_process_read(int procfd, const char *name, uint32_t collect,
			  struct capture_pre *pre);
int capture_process_pre(struct capture *c, const char *name, int32_t pid,
			uint32_t flags, const struct capture_pre *pre);

/* ---- capture_ahead.c: the listing read ahead ---- */

/*
 * The /proc listing LISTING (c->procfd's), each process captured as
 * capture_process() would, with a reader thread listing and opening them
 * and making their identity reads ahead.  *ran false: no thread could be
 * started and nothing was done; the caller lists serially.
 */
int capture_listing_ahead(struct capture *c, DIR *listing, bool *ran);

/* ---- capture_pins.c: fds and bind mounts ---- */

/* The namespace fds of the process below DIRFD: graph.procs[pi]'s slice. */
int capture_fds(struct capture *c, int dirfd, size_t pi);
/* The nsfs bind mounts of mount namespace MNTNS, from the mountinfo below
 * DIRFD (of thread TID, or 0), once per mount namespace. */
int capture_mounts(struct capture *c, int dirfd, int32_t tid, uint32_t mntns);

#endif
