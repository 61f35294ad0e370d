/*
 * graph.h — the namespace graph of one snapshot.
 *
 * Owns the in-memory model that every other part reads: capture fills it,
 * the store encodes and decodes it, the view replays the reference
 * program's discovery over it, the diff compares two of them.  Also owns
 * the one rule of what a graph may hold (graph_check()), which the codec,
 * the import and the printers rely on instead of checks of their own.
 *
 * The graph holds raw facts, not a rendering: for every namespace what the
 * nsfs ioctls answered (including "out of sight" answers), for every process
 * and thread what each /proc link said (including the errno when it could
 * not be read).  That superset lets a stored snapshot be rendered in any
 * view later without touching /proc.
 *
 * Everything is stored in flat arrays addressed by 32-bit indexes;
 * GRAPH_NONE marks "no such object".  Strings live in an arena owned by the
 * graph and die with it.
 */
#ifndef NSNAP_GRAPH_H
#define NSNAP_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GRAPH_NONE UINT32_MAX

/* In the reference's link order, which is alphabetical. */
enum ns_type {
	NS_CGROUP,
	NS_IPC,
	NS_MNT,
	NS_NET,
	NS_PID,
	NS_TIME,
	NS_USER,
	NS_UTS,
	NS_NTYPES
};

#define NS_TYPE_BIT(t) (1u << (t))
#define NS_ALL_TYPES ((1u << NS_NTYPES) - 1)

const char *ns_type_name(unsigned type);
/* -1 when NAME (LEN bytes) is not a namespace type name. */
int ns_type_from_name(const char *name, size_t len);
/* CLONE_NEW* flag <-> type; -1 / 0 when unknown. */
int ns_type_from_clone_flag(int flag);
int ns_type_clone_flag(unsigned type);

/* A namespace is identified by its nsfs file: device and inode. */
struct ns_key {
	uint64_t dev;
	uint64_t ino;
};

#define GRAPH_NS_HAS_ID      0x01u /* kernel_id holds NS_GET_ID's answer */
#define GRAPH_NS_HAS_CREATOR 0x02u /* creator_uid holds NS_GET_OWNER_UID's answer */
#define GRAPH_NS_HAS_NSID    0x04u /* net namespaces: nsid holds the NETNSID
				      the capturer's network namespace gave it */

/* User namespaces: /proc/PID/setgroups. */
enum graph_setgroups {
	GRAPH_SETGROUPS_UNKNOWN,  /* not read (not collected, or unreadable) */
	GRAPH_SETGROUPS_ALLOW,
	GRAPH_SETGROUPS_DENY,
};

struct graph_ns {
	struct ns_key key;
	uint8_t type;           /* enum ns_type */
	uint8_t flags;          /* GRAPH_NS_* */
	/*
	 * NS_GET_USERNS: the owning user namespace (for a user namespace, its
	 * parent).  owner_err is 0 when 'owner' is valid, EPERM when the
	 * owner is out of the capturer's sight (the initial namespace, or an
	 * ancestor of the capturer's user namespace), ENODATA when it was not
	 * collected, any other errno when the ioctl failed.
	 */
	uint32_t owner;
	int32_t owner_err;
	/* NS_GET_PARENT, for PID and user namespaces; same conventions. */
	uint32_t parent;
	int32_t parent_err;
	uint32_t creator_uid;   /* user namespaces, with GRAPH_NS_HAS_CREATOR */
	uint64_t kernel_id;     /* with GRAPH_NS_HAS_ID (Linux 6.18+) */
	/*
	 * User namespaces: /proc/PID/uid_map and gid_map as read from a
	 * member, raw; NULL when no member's file could be read.
	 */
	const char *uid_map;
	const char *gid_map;
	/*
	 * What the namespace itself said, read from inside it or from a
	 * member (GRAPH_HAVE_NSFACTS); NULL / UNKNOWN when not read:
	 *   UTS   hostname and domainname (uname() in a thread that joined it)
	 *   user  setgroups (GRAPH_SETGROUPS_*)
	 *   time  timens_offsets, raw ("monotonic 0 0\nboottime 0 0\n")
	 *   net   nsid (with GRAPH_NS_HAS_NSID), interfaces: the slice
	 *         graph.ifaces[first_iface .. first_iface + nifaces)
	 */
	const char *hostname;
	const char *domainname;
	uint8_t setgroups;
	const char *timens_offsets;
	int32_t nsid;
	uint32_t first_iface;
	uint32_t nifaces;
};

/*
 * A network interface of a network namespace, as RTM_GETLINK and
 * RTM_GETADDR answered inside it.  Stored in ifindex order within each
 * namespace, namespaces in graph order.
 */
struct graph_iface {
	uint32_t ns;             /* the network namespace */
	int32_t ifindex;
	uint32_t flags;          /* IFF_* (ifi_flags) */
	uint8_t operstate;       /* IF_OPER_* */
	const char *name;
	const char *mac;         /* "aa:bb:cc:dd:ee:ff"; NULL when none */
	const char *addrs;       /* "10.88.0.5/16 fe80::1/64", one blank
				    between addresses in the kernel's order;
				    NULL when none */
};

/*
 * A workload: what a process belongs to, derived at capture time from its
 * cgroup path, its command line and the runtimes' local state files (never
 * a daemon's API), so that it survives the workload's deletion.  Unique by
 * (runtime, id).
 */
enum graph_workload_kind {
	GRAPH_WL_CONTAINER,
	GRAPH_WL_POD,
	GRAPH_WL_MACHINE,       /* systemd-nspawn, VMs registered with machined */
	GRAPH_WL_SERVICE,       /* a systemd unit: .service or a non-session .scope */
	GRAPH_WL_SESSION,       /* a login session (session-N.scope, user@UID) */
	GRAPH_WL_CGROUP,        /* nothing better: the bare cgroup path */
	GRAPH_WL_NKINDS
};

struct graph_workload {
	uint8_t kind;            /* enum graph_workload_kind */
	const char *runtime;     /* "podman", "docker", "containerd", "cri-o",
				    "lxc", "systemd-nspawn", "systemd",
				    "cgroup", ... */
	const char *id;          /* container id, unit, machine or cgroup path */
	const char *name;        /* a human name; NULL when unknown */
	const char *pod;         /* Kubernetes "namespace/pod"; NULL otherwise */
	const char *cgroup;      /* the cgroup the rule matched (its root) */
};

const char *graph_workload_kind_name(unsigned kind);

/* What one /proc/ID/ns directory said. */
struct graph_links {
	uint32_t ns[NS_NTYPES];   /* namespace index, or GRAPH_NONE */
	int32_t err[NS_NTYPES];   /* errno when the link could not be read,
				     ENODATA when not collected, else 0 */
	uint32_t pid_for_children;  /* GRAPH_NONE when absent or unreadable */
	uint32_t time_for_children;
};

/* One thread: an entry of /proc/PID/task (the leader included). */
struct graph_task {
	int32_t tid;
	const char *comm;         /* without the newline; NULL = unreadable */
	struct graph_links links;
};

#define GRAPH_PROC_LISTED 0x01u /* seen in the /proc listing (a thread-group
				   leader); unset for an ID captured only
				   because it was asked for, e.g. a TID */
#define GRAPH_PROC_HAS_CRED  0x02u /* ruid..seccomp hold status's answer */
#define GRAPH_PROC_HAS_LOGIN 0x04u /* loginuid and sessionid were read */
#define GRAPH_PROC_CMDLINE_CUT 0x08u /* cmdline was longer than
					GRAPH_CMDLINE_MAX: cut there */
#define GRAPH_PROC_ZOMBIE    0x10u /* state Z (or X) in /proc/PID/stat */

/* The longest command line kept, in bytes. */
#define GRAPH_CMDLINE_MAX 4096

struct graph_proc {
	int32_t pid;
	uint32_t flags;           /* GRAPH_PROC_* */
	int32_t ppid;             /* 0 when unknown */
	uint32_t uid;             /* owner of /proc/PID */
	uint64_t start_time;      /* /proc/PID/stat field 22 (clock ticks
				     after boot); 0 when unknown.  A PID
				     plus its start time names a process. */
	const char *comm;         /* NULL = unreadable */
	/*
	 * The NStgid: value of /proc/PID/status (after the colon and its
	 * blanks, inner tabs kept).  NULL with status_err != 0: the file
	 * could not be read; NULL with status_err == 0: no such line.
	 */
	const char *nstgid;
	int32_t status_err;
	struct graph_links links; /* /proc/PID/ns */
	uint32_t first_task;      /* slice of graph.tasks, in readdir order */
	uint32_t ntasks;
	int32_t task_err;         /* reading /proc/PID/task: errno, ENODATA
				     when not collected, else 0 */
	uint32_t first_fd;        /* slice of graph.fds, in fd-number order */
	uint32_t nfds;
	int32_t fd_err;           /* reading /proc/PID/fd; as task_err */
	/*
	 * Who and what (GRAPH_HAVE_IDENTITY).  An unreadable file leaves
	 * its field NULL (or the flag unset) and a gap naming it.
	 *   cmdline  /proc/PID/cmdline as read: cmdline_len bytes, the
	 *            arguments separated by NUL, the final NUL dropped, at
	 *            most GRAPH_CMDLINE_MAX (GRAPH_PROC_CMDLINE_CUT when
	 *            cut); NULL when unreadable or empty (kernel threads)
	 *   exe      readlink(/proc/PID/exe)
	 *   cgroup   the path of the cgroup v2 line ("0::"), else of the
	 *            name=systemd line, else of the first line
	 */
	const char *cmdline;
	uint32_t cmdline_len;
	const char *exe;
	const char *cgroup;
	uint32_t ruid, euid, rgid, egid; /* with GRAPH_PROC_HAS_CRED */
	uint64_t cap_eff;
	uint8_t no_new_privs;
	uint8_t seccomp;          /* 0 off, 1 strict, 2 filter */
	uint32_t loginuid;        /* with GRAPH_PROC_HAS_LOGIN; */
	uint32_t sessionid;       /* (uint32_t)-1: none */
	uint32_t workload;        /* graph.workloads index, or GRAPH_NONE
				     (GRAPH_HAVE_WORKLOADS) */
};

enum graph_fd_kind {
	GRAPH_FD_NSFS,    /* an open namespace file */
	GRAPH_FD_SOCKET,  /* a socket of network namespace ns, which is not
			     its holder's own (SIOCGSKNS on a pidfd_getfd()
			     copy); one pin per holder and namespace, the
			     lowest fd number (GRAPH_HAVE_SOCKETS) */
};

/* A namespace held open by a process's file descriptor. */
struct graph_fd {
	int32_t fd;
	uint32_t ns;
	uint8_t kind;     /* enum graph_fd_kind */
};

/*
 * An nsfs bind mount: a namespace file mounted on 'path' (as mountinfo
 * spells it, octal escapes kept) in mount namespace 'mntns'.  Stored in
 * mountinfo order within each mount namespace.  'ns' is GRAPH_NONE when the
 * path could not be opened at capture time (open_err says why).
 *
 * 'list_err' is what opening /proc/thread-self/mountinfo inside 'mntns'
 * met (0: it opened): the reference lists a mount namespace's mounts that
 * way, after setns(), and so sees none where /proc belongs to another PID
 * namespace, as in a container with its own /proc.  Same for every mount
 * of one mount namespace.
 */
struct graph_mount {
	uint32_t mntns;
	uint32_t ns;
	int32_t open_err;
	int32_t list_err;
	const char *path;
};

/* Something that could not be read at capture time. */
struct graph_gap {
	int32_t pid;      /* process */
	int32_t tid;      /* thread, or 0 */
	int32_t err;      /* errno */
	const char *what; /* path below /proc/ID, e.g. "ns/cgroup", "fd" */
};

/* What capture collected: a view may only use what is there. */
#define GRAPH_HAVE_TASKS   0x001u /* /proc/PID/task entries and their links */
#define GRAPH_HAVE_PINS    0x002u /* *_for_children, fds, bind mounts */
#define GRAPH_HAVE_MAPS    0x004u /* uid/gid maps of user namespaces */
#define GRAPH_HAVE_COMM    0x008u
#define GRAPH_HAVE_NSTGID  0x010u
#define GRAPH_HAVE_OWNERS  0x020u /* NS_GET_USERNS for every namespace */
#define GRAPH_HAVE_PARENTS 0x040u /* NS_GET_PARENT for PID/user namespaces */
#define GRAPH_HAVE_STAT    0x080u /* ppid, uid, start time */
#define GRAPH_HAVE_ALL_PROCS 0x100u /* the whole /proc listing was scanned */
#define GRAPH_HAVE_IDENTITY 0x200u /* cmdline, exe, cgroup, credentials, login */
#define GRAPH_HAVE_WORKLOADS 0x400u /* graph.workloads, graph_proc.workload */
#define GRAPH_HAVE_NSFACTS 0x800u /* hostnames, setgroups, time offsets,
				     NETNSIDs, interfaces */
#define GRAPH_HAVE_SOCKETS 0x1000u /* socket pins (GRAPH_FD_SOCKET) */
#define GRAPH_HAVE_EVERYTHING 0x1fffu
/* What snapshots recorded before workloads existed could hold. */
#define GRAPH_HAVE_V1 0x1ffu

/*
 * Where a capture stood: who ran it and what the kernel let it see, so
 * that an investigator can tell what a snapshot could not show (a
 * non-root capture misses other users' fds; /proc of another PID
 * namespace numbers processes its own way).  Filled by capture_live();
 * known is false in snapshots taken before vantage points were recorded.
 */
#define GRAPH_VP_NS_GET_ID  0x1u /* ioctl(NS_GET_ID) answered */
#define GRAPH_VP_PIDFD_GETFD 0x2u /* pidfd_getfd() of our own fd answered */
#define GRAPH_VP_SIOCGSKNS  0x4u /* ioctl(SIOCGSKNS) on a socket answered */
#define GRAPH_VP_LISTNS     0x8u /* listns() answered */
#define GRAPH_VP_ALL        0xfu

struct graph_vantage {
	bool known;
	const char *version;     /* the capturing program's version */
	uint32_t uid, euid;      /* the capturer's real and effective uid */
	uint64_t cap_eff;        /* its effective capabilities */
	struct ns_key own[NS_NTYPES]; /* its namespaces ({0,0}: unknown) */
	uint32_t initial;        /* NS_TYPE_BIT: own namespace is the initial one */
	uint32_t initial_known;  /* NS_TYPE_BIT: the kernel lets us tell */
	bool proc_own_pidns;     /* /proc belongs to its PID namespace */
	uint32_t facilities;     /* GRAPH_VP_* */
	int64_t btime;           /* boot time, seconds since the epoch (/proc/stat) */
	int64_t boot_start_ns;   /* CLOCK_BOOTTIME when capture began */
	int64_t boot_end_ns;     /* and ended */
};

struct graph_meta {
	int64_t start_ns;        /* CLOCK_REALTIME when capture began */
	int64_t end_ns;          /* and ended */
	const char *hostname;
	const char *kernel;      /* uname release */
	const char *boot_id;     /* /proc/sys/kernel/random/boot_id */
	int32_t capturer_pid;
	uint32_t collected;      /* GRAPH_HAVE_* */
	uint32_t types_present;  /* NS_TYPE_BIT of each /proc/self/ns link the
				    running kernel has */
	uint64_t nsfs_dev;
	struct graph_vantage vantage;
};

struct graph_arena;

struct graph {
	struct graph_meta meta;
	struct graph_ns *ns;       size_t nns, cap_ns;
	struct graph_proc *procs;  size_t nprocs, cap_procs;
	struct graph_task *tasks;  size_t ntasks, cap_tasks;
	struct graph_fd *fds;      size_t nfds, cap_fds;
	struct graph_mount *mounts; size_t nmounts, cap_mounts;
	struct graph_gap *gaps;    size_t ngaps, cap_gaps;
	struct graph_iface *ifaces; size_t nifaces, cap_ifaces;
	struct graph_workload *workloads; size_t nworkloads, cap_workloads;
	/* private */
	uint32_t *ns_hash;  size_t ns_hash_cap;  /* open addressing on key */
	struct graph_arena *arena;
};

struct graph *graph_new(void);
void graph_free(struct graph *g);

/* Copy LEN bytes of S into the graph's arena, NUL-terminated; NULL on ENOMEM. */
const char *graph_strndup(struct graph *g, const char *s, size_t len);
const char *graph_strdup(struct graph *g, const char *s);

/* Index of the namespace with KEY, or GRAPH_NONE. */
uint32_t graph_ns_find(const struct graph *g, struct ns_key key);
/*
 * Index of the namespace with KEY, adding a blank one of TYPE (owner and
 * parent GRAPH_NONE with ENODATA) when absent; *added tells which.
 * GRAPH_NONE on ENOMEM.
 */
uint32_t graph_ns_add(struct graph *g, struct ns_key key, unsigned type,
		      bool *added);

/* Append blank records (links all GRAPH_NONE/ENODATA); NULL on ENOMEM.
 * Pointers stay valid only until the next append of the same kind. */
struct graph_proc *graph_proc_append(struct graph *g, int32_t pid);
struct graph_task *graph_task_append(struct graph *g, int32_t tid);
struct graph_fd *graph_fd_append(struct graph *g);
struct graph_mount *graph_mount_append(struct graph *g);
struct graph_iface *graph_iface_append(struct graph *g);
/* The workload with RUNTIME and ID, appending a blank one (kind
 * GRAPH_WL_CGROUP, other strings NULL) when absent; GRAPH_NONE on ENOMEM.
 * Linear: a graph holds tens of workloads, not thousands. */
uint32_t graph_workload_add(struct graph *g, const char *runtime,
			    const char *id, bool *added);
/* The same without the search, for a caller that knows the workload is
 * new (one that keeps its own index of them). */
uint32_t graph_workload_append(struct graph *g, const char *runtime,
			       const char *id);
/* Put the workloads in (runtime, id) order, as graph_check() requires,
 * and renumber graph_proc.workload.  0 or -ENOMEM. */
int graph_workloads_sort(struct graph *g);
int graph_gap_add(struct graph *g, int32_t pid, int32_t tid, int err,
		  const char *what);

void graph_links_init(struct graph_links *l);

/* The process with PID, or NULL. Linear in the worst case; see graph_index. */
const struct graph_proc *graph_proc_find(const struct graph *g, int32_t pid);
/* The thread with TID and its process, or NULL. */
const struct graph_task *graph_task_find(const struct graph *g, int32_t tid,
					 const struct graph_proc **proc);

/* Mounts of mount namespace MNTNS: *first index and count (0 when none).
 * Requires mounts grouped by mntns, as capture and the store produce them. */
size_t graph_mounts_of(const struct graph *g, uint32_t mntns, size_t *first);

/*
 * How deep the kernel nests.  create_user_ns() refuses a parent at level
 * > 32, so a user namespace sits at most 33 levels below the initial one;
 * create_pid_namespace() refuses a level > MAX_PID_NS_LEVEL (32).  A graph
 * sees at most that many owner (parent) steps above any namespace, fewer
 * when its top is out of the capturer's sight.
 */
#define GRAPH_USER_NS_LEVELS 33
#define GRAPH_PID_NS_LEVELS 32

/*
 * Whether G is a graph the kernel could have produced, so that every
 * reader can follow its indexes and walk its hierarchies without bound
 * checks of its own.  An owner or parent counts when its errno is 0 and
 * its index is not GRAPH_NONE (else it is out of sight: a top).  Refused:
 *   - an index out of range anywhere (owner, parent, links, fds, mounts),
 *     a slice of threads or fds past its array, more than GRAPH_NONE - 1
 *     records of a kind;
 *   - a namespace type out of range, two namespaces with one key, a key
 *     the namespace hash does not find;
 *   - an owner that is not a user namespace; a parent of a namespace that
 *     is neither a PID nor a user namespace, or of another type than its
 *     child; a user namespace whose parent and owner differ;
 *   - owners or parents that form a cycle, or nest deeper than
 *     GRAPH_USER_NS_LEVELS / GRAPH_PID_NS_LEVELS.
 * O(n) in the number of records, without recursion or allocation: every
 * chain is walked at most a level cap's steps.  Returns 0 or -EBADMSG;
 * WHY (LEN bytes; may be NULL) then says what and where, in the arrays'
 * names, e.g. "namespaces[3] (user): its owners form a cycle".
 */
int graph_check(const struct graph *g, char *why, size_t len);

#endif
