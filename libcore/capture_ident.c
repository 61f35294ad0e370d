/*
 * capture_ident.c — who and what a process is (GRAPH_HAVE_IDENTITY).
 *
 * Its command line, executable, cgroup and login, each read once through
 * the process's /proc directory with one read(2) (see procfs.h); the
 * credentials come with status, which capture_proc.c reads for all that
 * wants it.  What these files hold is the process's to choose (argv, its
 * comm, cgroup names its runtime picked), so every byte is kept as read
 * and bounded, never interpreted beyond the line structure.  An unreadable
 * file leaves its field NULL and a gap naming it; nothing here stops the
 * scan.
 */
#include "capture_int.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

/*
 * /proc/PID/cmdline: one read of two bytes more than is kept tells whether
 * it was cut (a line of GRAPH_CMDLINE_MAX bytes ends in a NUL of its own).
 * The kernel fills a read of the command line whole (a process that
 * rewrote its argv shows at most a page), so one read is all of it.  Empty (a kernel thread, a zombie) is NULL, not a gap.
 */
static int capture_cmdline(struct capture *c, int dirfd, size_t pi)
{
	/* Two bytes more than is kept (and procfs_read_small()'s NUL): the
	 * last terminator, and one that says the line goes on. */
	char buf[GRAPH_CMDLINE_MAX + 3];
	ssize_t n = procfs_read_small(dirfd, "cmdline", buf, sizeof(buf));
	uint32_t cut = 0;

	if (n < 0)
		return capture_gap(c, 0, (int)-n, "cmdline");
	/* GRAPH_CMDLINE_MAX bytes and their terminator are whole. */
	if (n > GRAPH_CMDLINE_MAX + 1 ||
	    (n == GRAPH_CMDLINE_MAX + 1 && buf[GRAPH_CMDLINE_MAX] != '\0')) {
		n = GRAPH_CMDLINE_MAX;
		cut = GRAPH_PROC_CMDLINE_CUT;
	} else if (n > 0 && buf[n - 1] == '\0') {
		n--; /* the last argument's terminator, not a separator */
	}
	if (n == 0 && !cut)
		return 0;
	const char *s = graph_strndup(c->g, buf, (size_t)n);
	if (!s)
		return -ENOMEM;
	struct graph_proc *p = &c->g->procs[pi];
	p->cmdline = s;
	p->cmdline_len = (uint32_t)n;
	p->flags |= cut;
	return 0;
}

/*
 * readlink(/proc/PID/exe).  ENOENT from a process whose directory is open
 * means it has no executable (a kernel thread, a zombie): NULL without a
 * gap.  A path longer than PATH_MAX - 1 cannot be told whole: a gap.
 */
static int capture_exe(struct capture *c, int dirfd, size_t pi)
{
	char buf[PATH_MAX];
	ssize_t n = readlinkat(dirfd, "exe", buf, sizeof(buf));

	if (n < 0)
		return errno == ENOENT ? 0 : capture_gap(c, 0, errno, "exe");
	if ((size_t)n >= sizeof(buf))
		return capture_gap(c, 0, ENAMETOOLONG, "exe");
	const char *s = graph_strndup(c->g, buf, (size_t)n);
	if (!s)
		return -ENOMEM;
	c->g->procs[pi].exe = s;
	return 0;
}

/*
 * The path of one line of /proc/PID/cgroup ("ID:CONTROLLERS:PATH"): the
 * name=systemd hierarchy's when there is one (a v1 or hybrid host, where
 * the v2 line may be left at a parent by a v1 runtime), else the v2 line's
 * ("0::"), else the first line's.  A cgroup name holding a newline (the
 * kernel does not escape them) ends its path there.  NULL when no line is
 * well formed.
 */
static const char *cgroup_path(const char *buf, size_t len, size_t *plen)
{
	const char *end = buf + len, *first = NULL, *v2 = NULL;
	size_t first_len = 0, v2_len = 0;

	for (const char *line = buf; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *eol = nl ? nl : end;
		const char *c1 = memchr(line, ':', (size_t)(eol - line));
		const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(eol - c1 - 1)) : NULL;

		if (c2) {
			const char *path = c2 + 1;
			size_t n = (size_t)(eol - path);
			size_t clen = (size_t)(c2 - c1 - 1);
			if (clen == 12 && memcmp(c1 + 1, "name=systemd", 12) == 0) {
				*plen = n;
				return path;
			}
			if (!v2 && clen == 0 && c1 - line == 1 && line[0] == '0') {
				v2 = path;
				v2_len = n;
			}
			if (!first) {
				first = path;
				first_len = n;
			}
		}
		line = nl ? nl + 1 : end;
	}
	*plen = v2 ? v2_len : first_len;
	return v2 ? v2 : first;
}

static int capture_cgroup(struct capture *c, int dirfd, size_t pi)
{
	size_t n;
	int rc = procfs_read_whole(dirfd, "cgroup", &c->text);

	if (rc == -ENOMEM)
		return rc;
	if (rc < 0)
		return capture_gap(c, 0, -rc, "cgroup");
	const char *path = cgroup_path(c->text.data, c->text.len, &n);
	if (!path)
		return capture_gap(c, 0, EINVAL, "cgroup");
	const char *s = graph_strndup(c->g, path, n);
	if (!s)
		return -ENOMEM;
	c->g->procs[pi].cgroup = s;
	return 0;
}

/* A decimal file such as loginuid: 0, or a gap. */
static int read_u32(struct capture *c, int dirfd, const char *name,
		    uint32_t *out, bool *ok)
{
	char buf[32];
	ssize_t n = procfs_read_small(dirfd, name, buf, sizeof(buf));

	*ok = false;
	if (n < 0)
		return capture_gap(c, 0, (int)-n, name);
	if (!procfs_parse_u32(buf, (size_t)n, out))
		return capture_gap(c, 0, EINVAL, name);
	*ok = true;
	return 0;
}

/*
 * loginuid and sessionid: who logged in to start it.  The kernel sets the
 * two together (audit_set_loginuid() hands out a session with a login uid
 * and clears both together) and a child inherits both, so an unset login
 * uid means an unset session and sessionid need not be read then.
 */
static int capture_login(struct capture *c, int dirfd, size_t pi)
{
	uint32_t loginuid, sessionid = UINT32_MAX;
	bool ok;
	int rc = read_u32(c, dirfd, "loginuid", &loginuid, &ok);

	if (rc || !ok)
		return rc;
	if (loginuid != UINT32_MAX) {
		rc = read_u32(c, dirfd, "sessionid", &sessionid, &ok);
		if (rc || !ok)
			return rc;
	}
	struct graph_proc *p = &c->g->procs[pi];
	p->loginuid = loginuid;
	p->sessionid = sessionid;
	p->flags |= GRAPH_PROC_HAS_LOGIN;
	return 0;
}

int capture_identity(struct capture *c, int dirfd, size_t pi)
{
	int rc = capture_cmdline(c, dirfd, pi);

	if (!rc)
		rc = capture_exe(c, dirfd, pi);
	if (!rc)
		rc = capture_cgroup(c, dirfd, pi);
	if (!rc)
		rc = capture_login(c, dirfd, pi);
	return rc;
}
