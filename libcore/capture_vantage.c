/*
 * capture_vantage.c — where a capture stands (graph_vantage): the
 * capturer's identity, capabilities and namespaces, which kernel
 * facilities answer it, the boot time and the boot clock.
 *
 * A snapshot is evidence, and evidence says what its collector could see:
 * a capture without CAP_SYS_PTRACE misses other users' fds, one whose
 * /proc belongs to another PID namespace numbers processes the way that
 * namespace does, one on a kernel without NS_GET_ID has no namespace IDs.
 * Every probe here is on the capturer itself, so it costs a few syscalls.
 */
#include "capture_int.h"
#include "sockpin.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define VP_NS_GET_ID _IOR(0xb7, 13, uint64_t)
/* listns(2), Linux 6.19; the syscall table is one for all architectures
 * since 424. */
#ifndef SYS_listns
#define SYS_listns 470
#endif

/*
 * The inode numbers the kernel gives its initial namespaces
 * (include/linux/proc_ns.h).  Network and mount namespaces have fixed
 * ones only on recent kernels: theirs are known only when they match.
 */
static const uint64_t init_ino[NS_NTYPES] = {
	[NS_IPC] = 0xEFFFFFFFu,  [NS_UTS] = 0xEFFFFFFEu, [NS_USER] = 0xEFFFFFFDu,
	[NS_PID] = 0xEFFFFFFCu,  [NS_CGROUP] = 0xEFFFFFFBu,
	[NS_TIME] = 0xEFFFFFFAu, [NS_NET] = 0xEFFFFFF9u, [NS_MNT] = 0xEFFFFFF8u,
};
#define INIT_FIXED (NS_ALL_TYPES & ~(NS_TYPE_BIT(NS_NET) | NS_TYPE_BIT(NS_MNT)))

int64_t capture_clock_ns(clockid_t clk)
{
	struct timespec ts;

	if (clock_gettime(clk, &ts) < 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void own_namespaces(struct capture *c, struct graph_vantage *v)
{
	int dirfd = openat(c->procfd, "self/ns", O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct stat st;

	if (dirfd < 0)
		return;
	for (unsigned t = 0; t < NS_NTYPES; t++) {
		if (fstatat(dirfd, ns_type_name(t), &st, 0) < 0)
			continue;
		v->own[t] = (struct ns_key){ st.st_dev, st.st_ino };
		bool init = (uint64_t)st.st_ino == init_ino[t];
		if (init || (INIT_FIXED & NS_TYPE_BIT(t)))
			v->initial_known |= NS_TYPE_BIT(t);
		if (init)
			v->initial |= NS_TYPE_BIT(t);
		if (t == NS_NET) {
			int fd = openat(dirfd, "net", O_RDONLY | O_CLOEXEC);
			uint64_t id;
			if (fd >= 0 && ioctl(fd, VP_NS_GET_ID, &id) == 0)
				v->facilities |= GRAPH_VP_NS_GET_ID;
			if (fd >= 0)
				close(fd);
		}
	}
	close(dirfd);
}

/* pidfd_getfd() and SIOCGSKNS, as sockpin.c takes them. */
static void socket_facilities(struct graph_vantage *v)
{
	bool getfd, skns;

	sockpin_probe(&getfd, &skns);
	if (getfd)
		v->facilities |= GRAPH_VP_PIDFD_GETFD;
	if (skns)
		v->facilities |= GRAPH_VP_SIOCGSKNS;
}

/* Whether listns() exists: with no request it fails, but not ENOSYS. */
static void listns_facility(struct graph_vantage *v)
{
	errno = 0;
	if (syscall(SYS_listns, NULL, NULL, 0, 0) >= 0 || errno != ENOSYS)
		v->facilities |= GRAPH_VP_LISTNS;
}

/*
 * "btime N" of /proc/stat, which comes after a line per CPU and the long
 * "intr" line: read in chunks, keeping the tail of each so that a line cut
 * between two reads is still found; bounded by the file's end.
 */
static int64_t boot_time(int procfd)
{
	static const char key[] = "\nbtime ";
	char buf[4096 + 32];
	size_t keep = 0;
	int fd = openat(procfd, "stat", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	int64_t bt = 0;

	if (fd < 0)
		return 0;
	for (int rounds = 0; rounds < 4096 && !bt; rounds++) {
		ssize_t n = read(fd, buf + keep, sizeof(buf) - 1 - keep);
		if (n <= 0)
			break;
		size_t len = keep + (size_t)n;
		buf[len] = '\0';
		char *p = strstr(buf, key);
		if (p && memchr(p + sizeof(key) - 1, '\n',
				len - (size_t)(p - buf) - (sizeof(key) - 1))) {
			int64_t x = 0;
			for (p += sizeof(key) - 1; *p >= '0' && *p <= '9'; p++) {
				if (x > (INT64_MAX - 9) / 10)
					break;
				x = x * 10 + (*p - '0');
			}
			bt = *p == '\n' ? x : 0;
			break;
		}
		/* A "btime" line is short: 32 bytes of tail hold its start. */
		keep = len < 32 ? len : 32;
		memmove(buf, buf + len - keep, keep);
	}
	close(fd);
	return bt;
}

int capture_vantage(struct capture *c, int32_t self)
{
	struct graph_vantage *v = &c->g->meta.vantage;
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	v->known = true;
	if (c->opts->version) {
		v->version = graph_strdup(c->g, c->opts->version);
		if (!v->version)
			return -ENOMEM;
	}
	v->uid = (uint32_t)getuid();
	v->euid = (uint32_t)geteuid();
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) == 0)
		v->cap_eff = (uint64_t)data[1].effective << 32 | data[0].effective;
	v->proc_own_pidns = self == getpid();
	own_namespaces(c, v);
	socket_facilities(v);
	listns_facility(v);
	v->btime = boot_time(c->procfd);
	return 0;
}
