/*
 * workload_state.c — the names the runtimes' local state files give a
 * workload (wl_state_lookup()), read once per capture.
 *
 * Local state only, never a daemon's API: a snapshot must name a
 * container its daemon has forgotten, and asking a daemon would make
 * capture as slow and as fragile as the daemon.  The files are hostile:
 * rootless podman's containers.json lives in the user's home and is read
 * here as root.  So every file is opened without following its last
 * component (in a user's home: any component), must be a regular file of
 * at most WL_STATE_MAX bytes and WL_JSON_VALUES values owned by that
 * user or root, and is parsed by jansson, a complete JSON parser, rather than by a scanner of our
 * own: this is the one libcore file that may use it (see the Makefile's
 * layering).  Whatever does not parse or does not fit names nothing.
 *
 * One row per runtime below says where its names come from.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "workload_int.h"

/* The most entries taken from one state directory (/var/log/pods). */
#define WL_DIR_MAX 65536

/* A directory's entry names, as read once. */
struct wl_names {
	char **v;
	size_t n;
	bool read;
};

/* One containers/storage store: container id -> first name. */
struct wl_store {
	uint32_t owner;          /* UINT32_MAX: the system's store */
	char **ids, **names;
	size_t n;
};

struct wl_pod_dir {
	char *dir;               /* "<ns>_<pod>_<uid>" */
	struct wl_names subdirs; /* its containers */
};

struct wl_state {
	int rootfd;
	bool real_root;          /* ROOT is "/": the system's user database
				    may be asked too */
	struct wl_store *stores; size_t nstores;
	char *passwd; size_t passwd_len; bool passwd_read;
	struct wl_names log_pods, log_containers;
	struct wl_pod_dir *pods; size_t npods;
};

static void names_free(struct wl_names *n)
{
	for (size_t i = 0; i < n->n; i++)
		free(n->v[i]);
	free(n->v);
}

int wl_state_new(const char *root, struct wl_state **out)
{
	struct wl_state *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	root = root ? root : "/";
	s->real_root = strcmp(root, "/") == 0;
	/* No root directory: no state, no error. */
	s->rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	*out = s;
	return 0;
}

void wl_state_free(struct wl_state *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nstores; i++) {
		for (size_t k = 0; k < s->stores[i].n; k++) {
			free(s->stores[i].ids[k]);
			free(s->stores[i].names[k]);
		}
		free(s->stores[i].ids);
		free(s->stores[i].names);
	}
	free(s->stores);
	for (size_t i = 0; i < s->npods; i++) {
		free(s->pods[i].dir);
		names_free(&s->pods[i].subdirs);
	}
	free(s->pods);
	names_free(&s->log_pods);
	names_free(&s->log_containers);
	free(s->passwd);
	if (s->rootfd >= 0)
		close(s->rootfd);
	free(s);
}

/* ---- reading hostile files ------------------------------------------- */

int wl_read_file(int dirfd, const char *path, bool nofollow_dirs,
		 uint32_t owner, char **buf, size_t *len)
{
	char comp[256];
	const char *p = path, *slash;
	int fd = dirfd, rc;
	struct stat st;

	*buf = NULL;
	*len = 0;
	if (dirfd < 0)
		return -EBADF;
	/* Walk the directories one by one so that none may be a symlink. */
	while (nofollow_dirs && (slash = strchr(p, '/'))) {
		size_t n = (size_t)(slash - p);
		if (n == 0 || n >= sizeof(comp)) {
			rc = -ENAMETOOLONG;
			goto out;
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		int next = openat(fd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		rc = next < 0 ? -errno : 0;
		if (fd != dirfd)
			close(fd);
		fd = dirfd;
		if (next < 0)
			return rc;
		fd = next;
		p = slash + 1;
	}
	/* O_NONBLOCK: a FIFO put there opens without a writer, and is
	 * refused below instead of hanging the capture. */
	int f = openat(fd, p, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	rc = f < 0 ? -errno : 0;
	if (fd != dirfd)
		close(fd);
	if (f < 0)
		return rc;
	fd = f;
	if (fstat(fd, &st)) {
		rc = -errno;
		goto out_file;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		goto out_file;
	}
	if ((uint64_t)st.st_size > WL_STATE_MAX) {
		rc = -EFBIG;
		goto out_file;
	}
	if (owner != UINT32_MAX && st.st_uid != owner && st.st_uid != 0) {
		rc = -EPERM;
		goto out_file;
	}
	/* The size may change under us: read to the end, within the cap. */
	size_t cap = (size_t)st.st_size + 1, n = 0;
	char *b = malloc(cap + 1);
	if (!b) {
		rc = -ENOMEM;
		goto out_file;
	}
	for (;;) {
		if (n == cap) {
			if (cap > WL_STATE_MAX) {
				free(b);
				rc = -EFBIG;
				goto out_file;
			}
			size_t ncap = cap * 2 > WL_STATE_MAX + 1 ? WL_STATE_MAX + 1 : cap * 2;
			char *nb = realloc(b, ncap + 1);
			if (!nb) {
				free(b);
				rc = -ENOMEM;
				goto out_file;
			}
			b = nb;
			cap = ncap;
		}
		ssize_t r = read(fd, b + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			free(b);
			goto out_file;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	rc = 0;
out_file:
	close(fd);
	return rc;
out:
	if (fd != dirfd)
		close(fd);
	return rc;
}

/* The names in directory PATH below the root, once; errors leave it
 * empty.  0 or -ENOMEM. */
static int names_read(struct wl_state *s, const char *path, struct wl_names *out)
{
	if (out->read)
		return 0;
	out->read = true;
	if (s->rootfd < 0)
		return 0;
	/* Only names are read, from root's directories: a symlink there
	 * is the administrator's. */
	int fd = openat(s->rootfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return 0;
	}
	size_t cap = 0;
	int rc = 0;
	struct dirent *e;
	while (out->n < WL_DIR_MAX && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (out->n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			char **nv = realloc(out->v, ncap * sizeof(*nv));
			if (!nv) {
				rc = -ENOMEM;
				break;
			}
			out->v = nv;
			cap = ncap;
		}
		if (!(out->v[out->n] = strdup(e->d_name))) {
			rc = -ENOMEM;
			break;
		}
		out->n++;
	}
	closedir(d);
	return rc;
}

/* Copy S into DST (SIZE bytes) when it fits, else leave DST "". */
static void put(char *dst, size_t size, const char *s, size_t len)
{
	if (size)
		dst[0] = '\0';
	if (len < size && !memchr(s, '\0', len)) {
		memcpy(dst, s, len);
		dst[len] = '\0';
	}
}

/* TEXT parsed, or NULL when it is not JSON or holds more than
 * WL_JSON_VALUES values. */
static json_t *json_load_bounded(const char *text, size_t len)
{
	json_error_t jerr;
	size_t values = 1;
	bool in_str = false;

	for (size_t i = 0; i < len; i++) {
		char c = text[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
		} else if (c == '"') {
			in_str = true;
		} else if ((c == ',' || c == '[' || c == '{') && ++values > WL_JSON_VALUES) {
			return NULL;
		}
	}
	return json_loadb(text, len, 0, &jerr);
}

/* ---- user homes ------------------------------------------------------- */

/*
 * The login name and home directory of UID (either may be NULL), from
 * ROOT/etc/passwd, then, on the real root, the system's user database
 * (NSS: LDAP users have rootless containers too).  0 or -ENOENT.
 */
static int user_of(struct wl_state *s, uint32_t uid, char *name, size_t nsize,
		   char *home, size_t hsize)
{
	if (!s->passwd_read) {
		s->passwd_read = true;
		if (wl_read_file(s->rootfd, "etc/passwd", false, UINT32_MAX,
				 &s->passwd, &s->passwd_len))
			s->passwd = NULL;
	}
	char want[16];
	int wl = snprintf(want, sizeof(want), "%u", uid);
	for (const char *l = s->passwd; l && l < s->passwd + s->passwd_len;) {
		const char *e = memchr(l, '\n', (size_t)(s->passwd + s->passwd_len - l));
		if (!e)
			e = s->passwd + s->passwd_len;
		/* name:passwd:uid:gid:gecos:home:shell */
		const char *f[7];
		size_t nf = 0;
		f[nf++] = l;
		for (const char *c = l; c < e && nf < 7; c++)
			if (*c == ':')
				f[nf++] = c + 1;
		if (nf == 7 && f[3] - f[2] - 1 == wl && !memcmp(f[2], want, (size_t)wl) &&
		    *f[5] == '/' && f[1] > f[0] + 1) {
			if (name)
				put(name, nsize, f[0], (size_t)(f[1] - f[0] - 1));
			if (home)
				put(home, hsize, f[5], (size_t)(f[6] - f[5] - 1));
			return (!name || name[0]) && (!home || home[0]) ? 0 : -ENOENT;
		}
		l = e + 1;
	}
	if (s->real_root) {
		struct passwd pw, *res = NULL;
		char buf[4096];
		if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res &&
		    pw.pw_dir && pw.pw_dir[0] == '/' && pw.pw_name && pw.pw_name[0]) {
			if (name)
				put(name, nsize, pw.pw_name, strlen(pw.pw_name));
			if (home)
				put(home, hsize, pw.pw_dir, strlen(pw.pw_dir));
			return (!name || name[0]) && (!home || home[0]) ? 0 : -ENOENT;
		}
	}
	return -ENOENT;
}

/* Read PATH, below the root (system state, OWNER UINT32_MAX) or below
 * the home of OWNER without following any symlink there. */
static int read_state(struct wl_state *s, uint32_t owner, const char *path,
		      char **buf, size_t *len)
{
	char home[1024];

	*buf = NULL;
	if (owner == UINT32_MAX)
		return wl_read_file(s->rootfd, path, false, UINT32_MAX, buf, len);
	if (s->rootfd < 0 || user_of(s, owner, NULL, 0, home, sizeof(home)))
		return -ENOENT;
	/* The home itself is the administrator's choice: followed. */
	int hfd = openat(s->rootfd, home[1] ? home + 1 : ".",
			 O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (hfd < 0)
		return -errno;
	int rc = wl_read_file(hfd, path, true, owner, buf, len);
	close(hfd);
	return rc;
}

/* ---- podman: containers/storage ------------------------------------- */

/* Add containers.json's id -> names[0] pairs (TEXT) to ST. */
static int store_parse(struct wl_store *st, const char *text, size_t len)
{
	json_t *root = json_load_bounded(text, len);
	size_t i;
	json_t *c;
	int rc = 0;

	if (!root)
		return 0;
	if (!json_is_array(root))
		goto out;
	/* Room for every entry at once: one allocation per file. */
	size_t want = st->n + json_array_size(root);
	char **ni = realloc(st->ids, (want ? want : 1) * sizeof(*ni));
	if (ni)
		st->ids = ni;
	char **nn = realloc(st->names, (want ? want : 1) * sizeof(*nn));
	if (nn)
		st->names = nn;
	if (!ni || !nn) {
		rc = -ENOMEM;
		goto out;
	}
	json_array_foreach(root, i, c) {
		const char *id = json_string_value(json_object_get(c, "id"));
		const char *name = json_string_value(
			json_array_get(json_object_get(c, "names"), 0));
		if (!id || !name)
			continue;
		st->ids[st->n] = strdup(id);
		st->names[st->n] = strdup(name);
		if (!st->ids[st->n] || !st->names[st->n]) {
			free(st->ids[st->n]);
			free(st->names[st->n]);
			rc = -ENOMEM;
			break;
		}
		st->n++;
	}
out:
	json_decref(root);
	return rc;
}

/* The storage drivers whose container lists are looked at. */
static const char *const wl_drivers[] = { "overlay", "vfs", "btrfs", "zfs" };

/* The store of OWNER (UINT32_MAX: the system's), read once. */
static int store_get(struct wl_state *s, uint32_t owner, struct wl_store **out)
{
	for (size_t i = 0; i < s->nstores; i++)
		if (s->stores[i].owner == owner) {
			*out = &s->stores[i];
			return 0;
		}
	struct wl_store *ns = realloc(s->stores, (s->nstores + 1) * sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	s->stores = ns;
	struct wl_store *st = &s->stores[s->nstores++];
	*st = (struct wl_store){ .owner = owner };
	*out = st;
	for (size_t d = 0; d < sizeof(wl_drivers) / sizeof(wl_drivers[0]); d++) {
		char path[128];
		char *buf;
		size_t len;
		snprintf(path, sizeof(path), "%s/%s-containers/containers.json",
			 owner == UINT32_MAX ? "var/lib/containers/storage"
					     : ".local/share/containers/storage",
			 wl_drivers[d]);
		if (read_state(s, owner, path, &buf, &len))
			continue;
		int rc = store_parse(st, buf, len);
		free(buf);
		if (rc)
			return rc;
	}
	return 0;
}

static int podman_name(struct wl_state *s, const struct workload_match *m,
		       char *name, size_t size, char *pod, size_t psize)
{
	struct wl_store *st;

	(void)pod;
	(void)psize;
	/* A rootless container is named by its user's store alone: a user
	 * must not name the system's containers, nor another user's. */
	int rc = store_get(s, m->owner_uid, &st);
	if (rc)
		return rc;
	for (size_t i = 0; i < st->n; i++)
		if (!strcmp(st->ids[i], m->id)) {
			put(name, size, st->names[i], strlen(st->names[i]));
			break;
		}
	return 0;
}

/* ---- docker: config.v2.json ------------------------------------------ */

static int docker_name(struct wl_state *s, const struct workload_match *m,
		       char *name, size_t size, char *pod, size_t psize)
{
	char path[sizeof(m->id) + 64];
	char *buf;
	size_t len;

	if (m->pod_uid[0])
		return 0;  /* dockershim: Kubernetes names it (below) */
	(void)pod;
	(void)psize;
	/* The caller looks each workload up once: each file is read once. */
	snprintf(path, sizeof(path), "%s/containers/%s/config.v2.json",
		 m->owner_uid == UINT32_MAX ? "var/lib/docker" : ".local/share/docker",
		 m->id);
	if (read_state(s, m->owner_uid, path, &buf, &len))
		return 0;
	json_t *root = json_load_bounded(buf, len);
	free(buf);
	const char *n = json_string_value(json_object_get(root, "Name"));
	if (n) {
		n += *n == '/';  /* docker spells it "/web" */
		put(name, size, n, strlen(n));
	}
	json_decref(root);
	return 0;
}

/* ---- Kubernetes: /var/log/pods and /var/log/containers --------------- */

/*
 * The pod with UID: /var/log/pods/<ns>_<pod>_<uid>/ gives "ns/pod"; the
 * container ID's name is in /var/log/containers/<pod>_<ns>_<name>-<ID>.log
 * (the kubelet's symlinks: only their names are read), else, when the pod
 * has one container directory, that directory's name.
 */
static int kube_name(struct wl_state *s, const struct workload_match *m,
		     char *name, size_t size, char *pod, size_t psize)
{
	const char *uid = m->kind == GRAPH_WL_POD ? m->id : m->pod_uid;
	size_t ul = strlen(uid);
	int rc;

	if (!ul)
		return 0;
	if ((rc = names_read(s, "var/log/pods", &s->log_pods)))
		return rc;
	for (size_t i = 0; i < s->log_pods.n; i++) {
		const char *d = s->log_pods.v[i];
		size_t dl = strlen(d);
		const char *u1 = strchr(d, '_');
		if (dl <= ul + 1 || strcmp(d + dl - ul, uid) || d[dl - ul - 1] != '_' ||
		    !u1 || u1 >= d + dl - ul - 1)
			continue;
		/* <ns>_<pod>_<uid>: neither a namespace nor a pod name holds
		 * '_' (DNS labels). */
		size_t nsl = (size_t)(u1 - d), pl = dl - ul - 1 - nsl - 1;
		char buf[512];
		if (nsl + 1 + pl < sizeof(buf)) {
			memcpy(buf, d, nsl);
			buf[nsl] = '/';
			memcpy(buf + nsl + 1, u1 + 1, pl);
			put(pod, psize, buf, nsl + 1 + pl);
		}
		if (m->kind == GRAPH_WL_POD) {
			put(name, size, u1 + 1, pl);
			return 0;
		}
		if ((rc = names_read(s, "var/log/containers", &s->log_containers)))
			return rc;
		size_t il = strlen(m->id);
		for (size_t k = 0; k < s->log_containers.n; k++) {
			const char *c = s->log_containers.v[k];
			size_t cl = strlen(c);
			/* ..._<name>-<id>.log */
			if (cl < il + 6 || strcmp(c + cl - 4, ".log") ||
			    strncmp(c + cl - 4 - il, m->id, il) || c[cl - 5 - il] != '-')
				continue;
			const char *us = memrchr(c, '_', cl - 5 - il);
			if (us)
				put(name, size, us + 1, (size_t)(c + cl - 5 - il - us - 1));
			return 0;
		}
		/* One container directory: that is its name. */
		for (size_t k = 0; k < s->npods; k++)
			if (!strcmp(s->pods[k].dir, d)) {
				if (s->pods[k].subdirs.n == 1)
					put(name, size, s->pods[k].subdirs.v[0],
					    strlen(s->pods[k].subdirs.v[0]));
				return 0;
			}
		struct wl_pod_dir *np = realloc(s->pods, (s->npods + 1) * sizeof(*np));
		if (!np)
			return -ENOMEM;
		s->pods = np;
		struct wl_pod_dir *pd = &s->pods[s->npods];
		*pd = (struct wl_pod_dir){ .dir = strdup(d) };
		if (!pd->dir)
			return -ENOMEM;
		s->npods++;
		char path[sizeof("var/log/pods/") + 256];
		snprintf(path, sizeof(path), "var/log/pods/%s", d);
		if ((rc = names_read(s, path, &pd->subdirs)))
			return rc;
		if (pd->subdirs.n == 1)
			put(name, size, pd->subdirs.v[0], strlen(pd->subdirs.v[0]));
		return 0;
	}
	return 0;
}

/* ---- systemd: a user manager's user ------------------------------------ */

/* user@UID.service: the session of the user UID names. */
static int user_name(struct wl_state *s, const struct workload_match *m,
		     char *name, size_t size, char *pod, size_t psize)
{
	(void)pod;
	(void)psize;
	if (m->kind == GRAPH_WL_SESSION && m->owner_uid != UINT32_MAX &&
	    user_of(s, m->owner_uid, name, size, NULL, 0))
		name[0] = '\0';
	return 0;
}

/* ---- the rows ---------------------------------------------------------- */

typedef int wl_lookup_fn(struct wl_state *s, const struct workload_match *m,
			 char *name, size_t size, char *pod, size_t psize);

/* Where each runtime's names come from.  LXC and systemd-nspawn need no
 * row: their cgroups carry the names. */
static const struct {
	const char *runtime;
	wl_lookup_fn *fn;
} wl_sources[] = {
	{ "podman", podman_name },
	{ "docker", docker_name },
	{ "containerd", kube_name },
	{ "cri-o", kube_name },
	{ "kubernetes", kube_name },
	{ "docker", kube_name },
	{ "systemd", user_name },
};

int wl_state_lookup(struct wl_state *s, const struct workload_match *m,
		    char *name, size_t size, char *pod, size_t psize)
{
	name[0] = '\0';
	pod[0] = '\0';
	for (size_t i = 0; i < sizeof(wl_sources) / sizeof(wl_sources[0]); i++) {
		if (strcmp(wl_sources[i].runtime, m->runtime))
			continue;
		int rc = wl_sources[i].fn(s, m, name, size, pod, psize);
		if (rc)
			return rc;
	}
	return 0;
}
