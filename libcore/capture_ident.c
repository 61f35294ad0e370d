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
 *
 * Reading and keeping are apart: capture_ident_read() only makes the
 * system calls, into a struct capture_ident_raw, and touches nothing of
 * the capture, so that the read-ahead thread (capture_ahead.c) can make
 * them while the capturing thread works on earlier processes;
 * capture_ident_apply() then keeps the answers, with the gaps, in the
 * same order and under the same rules whichever thread read them.
 */
#include "capture_int.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

void capture_ident_read(int dirfd, struct capture_ident_raw *r)
{
	r->cmdline_n = procfs_read_small(dirfd, "cmdline", r->cmdline,
					 sizeof(r->cmdline));
	r->exe_n = readlinkat(dirfd, "exe", r->exe, sizeof(r->exe));
	r->exe_err = r->exe_n < 0 ? errno : 0;
	r->cgroup_rc = procfs_read_whole(dirfd, "cgroup", r->cgroup);
	r->login_n = procfs_read_small(dirfd, "loginuid", r->login,
				       sizeof(r->login));
	/* sessionid only where capture_login() will want it. */
	uint32_t uid;
	r->session_n = -ENODATA;
	if (r->login_n >= 0 &&
	    procfs_parse_u32(r->login, (size_t)r->login_n, &uid) &&
	    uid != UINT32_MAX)
		r->session_n = procfs_read_small(dirfd, "sessionid", r->session,
						 sizeof(r->session));
}

/*
 * /proc/PID/cmdline: one read of two bytes more than is kept tells whether
 * it was cut (a line of GRAPH_CMDLINE_MAX bytes ends in a NUL of its own).
 * The kernel fills a read of the command line whole (a process that
 * rewrote its argv shows at most a page), so one read is all of it.
 * Empty (a kernel thread, a zombie) is NULL, not a gap.
 */
static int capture_cmdline(struct capture *c, const struct capture_ident_raw *r,
			   size_t pi)
{
	ssize_t n = r->cmdline_n;
	uint32_t cut = 0;

	if (n < 0)
		return capture_gap(c, 0, (int)-n, "cmdline");
	/* GRAPH_CMDLINE_MAX bytes and their terminator are whole. */
	if (n > GRAPH_CMDLINE_MAX + 1 ||
	    (n == GRAPH_CMDLINE_MAX + 1 && r->cmdline[GRAPH_CMDLINE_MAX] != '\0')) {
		n = GRAPH_CMDLINE_MAX;
		cut = GRAPH_PROC_CMDLINE_CUT;
	} else if (n > 0 && r->cmdline[n - 1] == '\0') {
		n--; /* the last argument's terminator, not a separator */
	}
	if (n == 0 && !cut)
		return 0;
	const char *s = graph_strndup(c->g, r->cmdline, (size_t)n);
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
static int capture_exe(struct capture *c, const struct capture_ident_raw *r,
		       size_t pi)
{
	ssize_t n = r->exe_n;

	if (n < 0)
		return r->exe_err == ENOENT ? 0 : capture_gap(c, 0, r->exe_err, "exe");
	if ((size_t)n >= sizeof(r->exe))
		return capture_gap(c, 0, ENAMETOOLONG, "exe");
	const char *s = graph_strndup(c->g, r->exe, (size_t)n);
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

static int capture_cgroup(struct capture *c, const struct capture_ident_raw *r,
			  size_t pi)
{
	size_t n;
	int rc = r->cgroup_rc;

	if (rc == -ENOMEM)
		return rc;
	if (rc < 0)
		return capture_gap(c, 0, -rc, "cgroup");
	const char *path = cgroup_path(r->cgroup->data, r->cgroup->len, &n);
	if (!path)
		return capture_gap(c, 0, EINVAL, "cgroup");
	const char *s = graph_strndup(c->g, path, n);
	if (!s)
		return -ENOMEM;
	c->g->procs[pi].cgroup = s;
	return 0;
}

/* A decimal file such as loginuid, read as N bytes of BUF: 0, or a gap. */
static int keep_u32(struct capture *c, ssize_t n, const char *buf,
		    const char *name, uint32_t *out, bool *ok)
{
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
static int capture_login(struct capture *c, const struct capture_ident_raw *r,
			 size_t pi)
{
	uint32_t loginuid, sessionid = UINT32_MAX;
	bool ok;
	int rc = keep_u32(c, r->login_n, r->login, "loginuid", &loginuid, &ok);

	if (rc || !ok)
		return rc;
	if (loginuid != UINT32_MAX) {
		rc = keep_u32(c, r->session_n, r->session, "sessionid",
			      &sessionid, &ok);
		if (rc || !ok)
			return rc;
	}
	struct graph_proc *p = &c->g->procs[pi];
	p->loginuid = loginuid;
	p->sessionid = sessionid;
	p->flags |= GRAPH_PROC_HAS_LOGIN;
	return 0;
}

int capture_ident_apply(struct capture *c, const struct capture_ident_raw *r,
			size_t pi)
{
	int rc = capture_cmdline(c, r, pi);

	if (!rc)
		rc = capture_exe(c, r, pi);
	if (!rc)
		rc = capture_cgroup(c, r, pi);
	if (!rc)
		rc = capture_login(c, r, pi);
	return rc;
}

int capture_identity(struct capture *c, int dirfd, size_t pi)
{
	struct capture_ident_raw r;

	r.cgroup = &c->text;
	capture_ident_read(dirfd, &r);
	return capture_ident_apply(c, &r, pi);
}
