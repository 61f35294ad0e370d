/*
 * workload_rules.c — the attribution rules: from a cgroup path and a
 * command line to a workload (workload_classify()).
 *
 * One table, a row per spelling a runtime gives its cgroups, so that a
 * new runtime (or a new spelling, v1 or v2) is one row.  Pure: no file is
 * read here.  Every path is hostile: a user with a delegated subtree
 * (rootless containers, user@UID.service) names cgroups as it likes, so a
 * component that does not fit a row exactly is simply not that row's, and
 * every copy is bounded (too long: not a match).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "text.h"
#include "workload_int.h"

/* How a row recognises its component. */
enum wl_how {
	WL_AFFIX,      /* the component is PREFIX ID SUFFIX */
	WL_UNDER,      /* the parent component is PREFIX, this one is ID */
	WL_UNDER_POD,  /* the parent is a Kubernetes pod's cgroup, this one
			  is PREFIX ID SUFFIX */
	WL_POD_DIR,    /* the component is a Kubernetes pod's cgroup */
};

/* What an ID must look like. */
enum wl_idform {
	WL_HEX64,      /* a container id: 64 lowercase hex digits */
	WL_NAME,       /* any bytes (LXC names are raw in the path) */
	WL_UNIT_NAME,  /* a systemd-escaped name ("my\x2dbox"): unescaped */
	WL_UNIT,       /* the whole component is a unit name, kept as is */
};

#define WL_MONITOR   0x01u /* the runtime's monitor, not the payload */
#define WL_NAMED     0x04u /* the id is also the workload's name */
#define WL_OUTERMOST 0x08u /* matched outermost first (systemd units) */

struct wl_rule {
	const char *runtime;
	uint8_t kind;        /* enum graph_workload_kind */
	uint8_t how;         /* enum wl_how */
	uint8_t idform;      /* enum wl_idform */
	uint8_t flags;       /* WL_* */
	const char *prefix;
	const char *suffix;
};

/*
 * The rows, tried in this order on each component.  Rows without
 * WL_OUTERMOST are tried first, on the components from the innermost
 * out: the innermost workload is the most specific one (docker inside an
 * nspawn machine is a docker container).  Then the systemd units, from
 * the outermost in: units nest only by delegation, and the outermost is
 * the one systemd itself knows (a user's units live in user@UID.service).
 */
static const struct wl_rule wl_rules[] = {
	/* podman / libpod: systemd (root: machine.slice/, rootless:
	 * user@UID.service/user.slice/), crun's nested .../container, and
	 * cgroupfs (/libpod_parent/libpod-ID). */
	{ "podman", GRAPH_WL_CONTAINER, WL_AFFIX, WL_HEX64, WL_MONITOR,
	  "libpod-conmon-", ".scope" },
	{ "podman", GRAPH_WL_CONTAINER, WL_AFFIX, WL_HEX64, 0, "libpod-", ".scope" },
	{ "podman", GRAPH_WL_CONTAINER, WL_AFFIX, WL_HEX64, 0, "libpod-", "" },
	/* docker: systemd driver (system.slice/docker-ID.scope), cgroupfs
	 * driver (/docker/ID, v1 and v2). */
	{ "docker", GRAPH_WL_CONTAINER, WL_AFFIX, WL_HEX64, 0, "docker-", ".scope" },
	{ "docker", GRAPH_WL_CONTAINER, WL_UNDER, WL_HEX64, 0, "docker", "" },
	/* containerd (CRI plugin under kubepods, nerdctl on its own). */
	{ "containerd", GRAPH_WL_CONTAINER, WL_AFFIX, WL_HEX64, 0,
	  "cri-containerd-", ".scope" },
	{ "containerd", GRAPH_WL_CONTAINER, WL_AFFIX, WL_HEX64, 0, "nerdctl-", ".scope" },
	/* CRI-O: systemd and cgroupfs spellings, and its conmon. */
	{ "cri-o", GRAPH_WL_CONTAINER, WL_AFFIX, WL_HEX64, WL_MONITOR,
	  "crio-conmon-", ".scope" },
	{ "cri-o", GRAPH_WL_CONTAINER, WL_AFFIX, WL_HEX64, 0, "crio-", ".scope" },
	{ "cri-o", GRAPH_WL_CONTAINER, WL_AFFIX, WL_HEX64, 0, "crio-", "" },
	/* Kubernetes with the cgroupfs driver: /kubepods/QOS/podUID/ID, the
	 * runtime unsaid; and a process in the pod's own cgroup. */
	{ "kubernetes", GRAPH_WL_CONTAINER, WL_UNDER_POD, WL_HEX64, 0, "", "" },
	{ "kubernetes", GRAPH_WL_POD, WL_POD_DIR, WL_NAME, 0, "", "" },
	/* LXC 4+ (lxc.payload.NAME, lxc.monitor.NAME), LXC 1-3 and LXD on
	 * v1 (/lxc/NAME, /lxc.payload/NAME, /lxc.monitor/NAME). */
	{ "lxc", GRAPH_WL_CONTAINER, WL_AFFIX, WL_NAME, WL_NAMED | WL_MONITOR,
	  "lxc.monitor.", "" },
	{ "lxc", GRAPH_WL_CONTAINER, WL_AFFIX, WL_NAME, WL_NAMED, "lxc.payload.", "" },
	{ "lxc", GRAPH_WL_CONTAINER, WL_UNDER, WL_NAME, WL_NAMED | WL_MONITOR,
	  "lxc.monitor", "" },
	{ "lxc", GRAPH_WL_CONTAINER, WL_UNDER, WL_NAME, WL_NAMED, "lxc.payload", "" },
	{ "lxc", GRAPH_WL_CONTAINER, WL_UNDER, WL_NAME, WL_NAMED, "lxc", "" },
	/* Machines registered with machined: libvirt's QEMU guests, then
	 * systemd-nspawn (machine-NAME.scope, or the nspawn@ unit). */
	{ "libvirt", GRAPH_WL_MACHINE, WL_AFFIX, WL_UNIT_NAME, WL_NAMED,
	  "machine-qemu\\x2d", ".scope" },
	{ "systemd-nspawn", GRAPH_WL_MACHINE, WL_AFFIX, WL_UNIT_NAME, WL_NAMED,
	  "machine-", ".scope" },
	{ "systemd-nspawn", GRAPH_WL_MACHINE, WL_AFFIX, WL_UNIT_NAME, WL_NAMED,
	  "systemd-nspawn@", ".service" },
	/* systemd units: sessions and user managers, then any service or
	 * scope (init.scope included). */
	{ "systemd", GRAPH_WL_SESSION, WL_AFFIX, WL_UNIT, WL_OUTERMOST,
	  "session-", ".scope" },
	{ "systemd", GRAPH_WL_SESSION, WL_AFFIX, WL_UNIT, WL_OUTERMOST,
	  "user@", ".service" },
	{ "systemd", GRAPH_WL_SERVICE, WL_AFFIX, WL_UNIT, WL_OUTERMOST, "", ".service" },
	{ "systemd", GRAPH_WL_SERVICE, WL_AFFIX, WL_UNIT, WL_OUTERMOST, "", ".scope" },
};

#define WL_NRULES (sizeof(wl_rules) / sizeof(wl_rules[0]))

/* A path component: LEN bytes at S; END is its end's offset in the path. */
struct wl_comp {
	const char *s;
	size_t len;
	size_t end;
};

/* The most components considered: the matched part of a path must fit
 * workload_match.cgroup, and a component takes at least two bytes. */
#define WL_MAX_COMPS (sizeof(((struct workload_match *)0)->cgroup) / 2)

static bool has_prefix(const char *s, size_t len, const char *p)
{
	size_t n = strlen(p);
	return len >= n && memcmp(s, p, n) == 0;
}

static bool has_suffix(const char *s, size_t len, const char *p)
{
	size_t n = strlen(p);
	return len >= n && memcmp(s + len - n, p, n) == 0;
}

static bool comp_is(const struct wl_comp *c, const char *word)
{
	return c->len == strlen(word) && memcmp(c->s, word, c->len) == 0;
}

/* Copy LEN bytes of S into DST (SIZE bytes), NUL-terminated: false when
 * it does not fit or S holds a NUL. */
static bool copy(char *dst, size_t size, const char *s, size_t len)
{
	if (len >= size || memchr(s, '\0', len))
		return false;
	memcpy(dst, s, len);
	dst[len] = '\0';
	return true;
}

static bool is_hex64(const char *s, size_t len)
{
	if (len != 64)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* The bytes systemd allows in a unit name. */
static bool is_unit(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || strchr(":_.\\@-", c)))
			return false;
	}
	return len > 0;
}

/* Undo systemd's unit-name escaping (\xNN) of S into DST: false when
 * malformed, a NUL byte, or too long. */
static bool unit_unescape(char *dst, size_t size, const char *s, size_t len)
{
	size_t o = 0;

	if (!is_unit(s, len))
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == '\\') {
			if (i + 3 >= len || s[i + 1] != 'x')
				return false;
			int hi = text_hexval(s[i + 2]), lo = text_hexval(s[i + 3]);
			if (hi < 0 || lo < 0 || (hi | lo) == 0)
				return false;
			c = (char)(hi << 4 | lo);
			i += 3;
		}
		if (o + 1 >= size)
			return false;
		dst[o++] = c;
	}
	dst[o] = '\0';
	return o > 0;
}

/*
 * Whether C (with the components before it, ALL[0..I)) is a Kubernetes
 * pod's cgroup; its UID (dashes restored) into UID.  systemd driver:
 * "kubepods-pod<UID>.slice", "kubepods-QOS-pod<UID>.slice" (UID with
 * underscores, nested or kind's "kubelet-kubepods-..." alike); cgroupfs:
 * "pod<UID>" below a "kubepods" component.
 */
static bool pod_dir(const struct wl_comp *all, size_t i, char *uid, size_t size)
{
	const struct wl_comp *c = &all[i];
	const char *u = NULL;
	size_t n = 0;

	if (has_suffix(c->s, c->len, ".slice") && memmem(c->s, c->len, "kubepods", 8)) {
		size_t body = c->len - 6;
		for (size_t k = body; k >= 4; k--)
			if (memcmp(c->s + k - 4, "-pod", 4) == 0) {
				u = c->s + k;
				n = body - k;
				break;
			}
	} else if (has_prefix(c->s, c->len, "pod")) {
		for (size_t k = 0; k < i && !u; k++)
			if (comp_is(&all[k], "kubepods")) {
				u = c->s + 3;
				n = c->len - 3;
			}
	}
	if (!u || n == 0 || n >= size)
		return false;
	for (size_t k = 0; k < n; k++) {
		if (u[k] != '-' && u[k] != '_' && text_hexval(u[k]) < 0)
			return false;
		uid[k] = u[k] == '_' ? '-' : u[k];
	}
	uid[n] = '\0';
	return true;
}

/* Row R on component ALL[I]: fills M's kind, runtime, id (and name for
 * WL_NAMED rows) when it matches. */
static bool row_match(const struct wl_rule *r, const struct wl_comp *all,
		      size_t i, struct workload_match *m)
{
	const struct wl_comp *c = &all[i];
	const char *id = c->s;
	size_t len = c->len;
	char pod[sizeof(m->pod_uid)];

	switch (r->how) {
	case WL_POD_DIR:
		if (!pod_dir(all, i, m->id, sizeof(m->id)))
			return false;
		break;
	case WL_UNDER:
		if (i == 0 || !comp_is(&all[i - 1], r->prefix))
			return false;
		break;
	case WL_UNDER_POD:
		if (i == 0 || !pod_dir(all, i - 1, pod, sizeof(pod)))
			return false;
		/* fall through */
	case WL_AFFIX:
		if (!has_prefix(id, len, r->prefix))
			return false;
		id += strlen(r->prefix);
		len -= strlen(r->prefix);
		if (!has_suffix(id, len, r->suffix))
			return false;
		len -= strlen(r->suffix);
		break;
	}
	if (r->how != WL_POD_DIR) {
		bool ok = false;
		switch (r->idform) {
		case WL_HEX64:
			ok = is_hex64(id, len) && copy(m->id, sizeof(m->id), id, len);
			break;
		case WL_NAME:
			ok = len > 0 && copy(m->id, sizeof(m->id), id, len);
			break;
		case WL_UNIT_NAME:
			ok = unit_unescape(m->id, sizeof(m->id), id, len);
			break;
		case WL_UNIT:
			ok = len > 0 && is_unit(c->s, c->len) &&
			     copy(m->id, sizeof(m->id), c->s, c->len);
			break;
		}
		if (!ok)
			return false;
	}
	/* The matched part of the path, up to and including C (which
	 * ends C->end bytes after the path's start). */
	if (!copy(m->cgroup, sizeof(m->cgroup), c->s + c->len - c->end, c->end))
		return false;
	m->kind = r->kind;
	strcpy(m->runtime, r->runtime);
	m->monitor = (r->flags & WL_MONITOR) != 0;
	if (r->flags & WL_NAMED)
		strcpy(m->name, m->id);
	/* Any container may run in a Kubernetes pod (docker-ID.scope
	 * below kubepods-...-podUID.slice under dockershim). */
	if (r->kind == GRAPH_WL_CONTAINER)
		for (size_t k = i; k-- > 0;)
			if (pod_dir(all, k, m->pod_uid, sizeof(m->pod_uid)))
				break;
	return true;
}

/* The decimal UID of S (LEN bytes), all digits, fitting below
 * UINT32_MAX. */
static bool parse_uid(const char *s, size_t len, uint32_t *uid)
{
	uint64_t v = 0;

	if (len == 0 || len > 10)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v >= UINT32_MAX)
		return false;
	*uid = (uint32_t)v;
	return true;
}

/*
 * The user whose manager the path lies under: only
 * /user.slice/user-UID.slice/user@UID.service/..., which systemd makes
 * as root; a "user@0.service" deeper down is a delegated subtree's
 * invention.
 */
static uint32_t owner_of(const struct wl_comp *c, size_t n)
{
	uint32_t a, b;

	if (n < 3 || !comp_is(&c[0], "user.slice") ||
	    !has_prefix(c[1].s, c[1].len, "user-") ||
	    !has_suffix(c[1].s, c[1].len, ".slice") ||
	    !has_prefix(c[2].s, c[2].len, "user@") ||
	    !has_suffix(c[2].s, c[2].len, ".service") ||
	    !parse_uid(c[1].s + 5, c[1].len - 11, &a) ||
	    !parse_uid(c[2].s + 5, c[2].len - 13, &b) || a != b)
		return UINT32_MAX;
	return a;
}

/* The argument after OPT ("-c ID", "--cid ID", "--cid=ID"), or NULL. */
static const char *conmon_opt(const char *const *argv, size_t argc,
			      const char *shortopt, const char *longopt)
{
	size_t ll = strlen(longopt);

	for (size_t i = 1; i < argc; i++) {
		if ((!strcmp(argv[i], shortopt) || !strcmp(argv[i], longopt)) &&
		    i + 1 < argc)
			return argv[i + 1];
		if (!strncmp(argv[i], longopt, ll) && argv[i][ll] == '=')
			return argv[i] + ll + 1;
	}
	return NULL;
}

bool wl_cmdline_is_monitor(const char *cmdline, size_t len)
{
	if (!cmdline || len == 0)
		return false;
	const char *end = memchr(cmdline, '\0', len);
	size_t n = end ? (size_t)(end - cmdline) : len;
	const char *base = memrchr(cmdline, '/', n);
	base = base ? base + 1 : cmdline;
	return (size_t)(cmdline + n - base) == 6 && !memcmp(base, "conmon", 6);
}

/* The most arguments of a command line looked at (conmon takes ~40). */
#define WL_MAX_ARGS 128

/*
 * conmon, podman's and CRI-O's monitor, runs in a cgroup of its own (or
 * the runtime's); its command line names the container it watches
 * (-c ID) and, for podman, the container's name (-n NAME).  CRI-O's
 * conmon logs below /var/log/pods.
 */
static void conmon_match(const char *cmdline, size_t len,
			 struct workload_match *m)
{
	const char *argv[WL_MAX_ARGS];
	size_t argc = 0;
	char buf[GRAPH_CMDLINE_MAX + 1];

	if (!wl_cmdline_is_monitor(cmdline, len))
		return;
	if (len > GRAPH_CMDLINE_MAX)
		len = GRAPH_CMDLINE_MAX;
	memcpy(buf, cmdline, len);
	buf[len] = '\0';
	for (size_t i = 0; i < len && argc < WL_MAX_ARGS;) {
		argv[argc++] = buf + i;
		i += strlen(buf + i) + 1;
	}
	const char *cid = conmon_opt(argv, argc, "-c", "--cid");
	if (!cid || !is_hex64(cid, strlen(cid)))
		return;
	/* The cgroup rule may have found it already (libpod-conmon-ID).  A
	 * cgroup that is already a workload's own (a container, pod or
	 * machine) is not overruled: anyone can name a program "conmon",
	 * and a payload must not claim another container this way.  Only a
	 * shared cgroup (a service, a session, a bare path) is left to the
	 * command line; workload.c spells a non-root conmon's container as
	 * its user's. */
	bool own = m->kind == GRAPH_WL_CONTAINER || m->kind == GRAPH_WL_POD ||
		   m->kind == GRAPH_WL_MACHINE;
	if (own && !(m->monitor && !strcmp(m->id, cid)))
		return;
	if (!own) {
		bool crio = false;
		for (size_t i = 1; i < argc; i++)
			crio |= !strncmp(argv[i], "/var/log/pods/", 14);
		strcpy(m->runtime, crio ? "cri-o" : "podman");
		m->name[0] = '\0';
		strcpy(m->id, cid);
		m->kind = GRAPH_WL_CONTAINER;
		m->monitor = true;
	}
	const char *name = conmon_opt(argv, argc, "-n", "--name");
	if (name && !copy(m->name, sizeof(m->name), name, strlen(name)))
		m->name[0] = '\0';
}

/* The fallback: the bare path, cut at a component boundary when it does
 * not fit an id (deeper cgroups then fall into their ancestor). */
static void bare_match(const char *cgroup, struct workload_match *m)
{
	size_t len = strlen(cgroup);

	if (len >= sizeof(m->id)) {
		len = sizeof(m->id) - 1;
		while (len > 1 && cgroup[len] != '/')
			len--;
		if (len <= 1)
			len = sizeof(m->id) - 1;
	}
	copy(m->id, sizeof(m->id), cgroup, len);
	strcpy(m->cgroup, m->id);
	strcpy(m->runtime, "cgroup");
	m->kind = GRAPH_WL_CGROUP;
}

int workload_classify(const char *cgroup, const char *cmdline,
		      size_t cmdline_len, struct workload_match *m)
{
	struct wl_comp comps[WL_MAX_COMPS];
	size_t n = 0;
	bool found = false;

	if (!m)
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	m->owner_uid = UINT32_MAX;
	if (!cgroup || cgroup[0] != '/')
		return -EINVAL;

	/* The components that end within what workload_match.cgroup holds;
	 * empty ones ("//") are skipped. */
	for (const char *p = cgroup + 1; *p && n < WL_MAX_COMPS;) {
		const char *e = strchrnul(p, '/');
		size_t end = (size_t)(e - cgroup);
		if (end >= sizeof(m->cgroup))
			break;
		if (e > p)
			comps[n++] = (struct wl_comp){ p, (size_t)(e - p), end };
		p = *e ? e + 1 : e;
	}
	for (size_t i = n; i-- > 0 && !found;)
		for (size_t r = 0; r < WL_NRULES && !found; r++)
			if (!(wl_rules[r].flags & WL_OUTERMOST))
				found = row_match(&wl_rules[r], comps, i, m);
	for (size_t i = 0; i < n && !found; i++)
		for (size_t r = 0; r < WL_NRULES && !found; r++)
			if (wl_rules[r].flags & WL_OUTERMOST)
				found = row_match(&wl_rules[r], comps, i, m);
	if (!found) {
		/* A failed row may have left bytes behind. */
		memset(m, 0, sizeof(*m));
		bare_match(cgroup, m);
	}
	m->owner_uid = owner_of(comps, n);
	conmon_match(cmdline, cmdline_len, m);
	return 0;
}
