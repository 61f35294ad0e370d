/*
 * graphbuild.h — hand-made namespace graphs for the unit tests.
 *
 * Header only, static functions.  Every namespace lives on device GB_DEV
 * (4, as on the test machines), so a line reads "net {4 INO}" with a small
 * INO chosen by the test.  gb_host() makes the eight namespaces of one
 * "world" at inodes BASE+type (cgroup BASE+0 ... user BASE+6, uts BASE+7),
 * the user namespace topmost (its owner out of sight, like the initial one),
 * the others owned by it.
 *
 * Records must be appended in the graph's grouping order: a process, then
 * its tasks and fds, before the next process; mounts grouped by mount
 * namespace.
 */
#ifndef NSNAP_TEST_GRAPHBUILD_H
#define NSNAP_TEST_GRAPHBUILD_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "render.h"
#include "view.h"

#define GB_DEV 4u
#define GB_OUT GRAPH_NONE /* owner/parent out of sight (EPERM) */

/* The reference's escape sequences, spelled out once for the tests. */
#define GB_UC "\x1b[93m\x1b[1m"   /* USERNS_COLOR */
#define GB_PC "\x1b[38;5;51m"     /* PID_COLOR */
#define GB_N  "\x1b(B\x1b[m"      /* NORMAL */

/* The raw uid_map/gid_map of the initial user namespace, as the kernel
 * formats it ("%10u %10u %10u\n"). */
#define GB_INIT_MAP "         0          0 4294967295\n"

static inline void gb_die(const char *what)
{
	fprintf(stderr, "graphbuild: %s failed\n", what);
	abort();
}

static inline struct graph *gb_new(void)
{
	struct graph *g = graph_new();

	if (!g)
		gb_die("graph_new");
	g->meta.collected = GRAPH_HAVE_EVERYTHING;
	g->meta.types_present = NS_ALL_TYPES;
	return g;
}

/*
 * Namespace {GB_DEV INO} of TYPE owned by user namespace OWNER (for a user
 * namespace: its parent), or with its owner out of sight (GB_OUT: EPERM).
 * A PID namespace starts without a visible parent (see gb_parent); a user
 * namespace's parent is its owner.
 */
static inline uint32_t gb_ns(struct graph *g, uint64_t ino, unsigned type,
		      uint32_t owner)
{
	bool added = false;
	uint32_t i = graph_ns_add(g, (struct ns_key){ GB_DEV, ino }, type,
				  &added);

	if (i == GRAPH_NONE || !added)
		gb_die("graph_ns_add");
	struct graph_ns *n = &g->ns[i];
	n->owner = owner;
	n->owner_err = owner == GB_OUT ? EPERM : 0;
	if (type == NS_USER) {
		n->parent = owner;
		n->parent_err = n->owner_err;
		n->flags |= GRAPH_NS_HAS_CREATOR;
	} else if (type == NS_PID) {
		n->parent = GRAPH_NONE;
		n->parent_err = EPERM;
	}
	return i;
}

/* NS_GET_PARENT of a PID namespace: PARENT, or GB_OUT. */
static inline void gb_parent(struct graph *g, uint32_t ns, uint32_t parent)
{
	g->ns[ns].parent = parent;
	g->ns[ns].parent_err = parent == GB_OUT ? EPERM : 0;
}

static inline void gb_creator(struct graph *g, uint32_t ns, uint32_t uid)
{
	g->ns[ns].creator_uid = uid;
	g->ns[ns].flags |= GRAPH_NS_HAS_CREATOR;
}

/* Raw map texts (NULL: no member's file could be read). */
static inline void gb_maps(struct graph *g, uint32_t ns, const char *uid_map,
		    const char *gid_map)
{
	g->ns[ns].uid_map = graph_strdup(g, uid_map);
	g->ns[ns].gid_map = graph_strdup(g, gid_map);
}

/* One namespace per type: what a /proc/ID/ns directory links to. */
struct gb_set {
	uint32_t ns[NS_NTYPES];
};

/* The eight namespaces of a world at BASE+type; see the header comment. */
static inline struct gb_set gb_host(struct graph *g, uint64_t base)
{
	struct gb_set s;

	s.ns[NS_USER] = gb_ns(g, base + NS_USER, NS_USER, GB_OUT);
	gb_maps(g, s.ns[NS_USER], GB_INIT_MAP, GB_INIT_MAP);
	for (unsigned t = 0; t < NS_NTYPES; t++)
		if (t != NS_USER)
			s.ns[t] = gb_ns(g, base + t, t, s.ns[NS_USER]);
	return s;
}

/* Links to S; a GRAPH_NONE entry reads as ENOENT. */
static inline void gb_links(struct graph_links *l, const struct gb_set *s)
{
	for (unsigned t = 0; t < NS_NTYPES; t++) {
		l->ns[t] = s->ns[t];
		l->err[t] = s->ns[t] == GRAPH_NONE ? ENOENT : 0;
	}
}

/* Link TYPE of L could not be read: ERR. */
static inline void gb_link_err(struct graph_links *l, unsigned type, int err)
{
	l->ns[type] = GRAPH_NONE;
	l->err[type] = err;
}

/*
 * A process seen in the /proc listing, with links S, comm "pPID", readable
 * task and fd lists (empty until gb_task / gb_fd) and a status file without
 * an NStgid line.  The pointer is valid until the next gb_proc.
 */
static inline struct graph_proc *gb_proc(struct graph *g, int32_t pid,
				  const struct gb_set *s)
{
	struct graph_proc *p = graph_proc_append(g, pid);
	char comm[32];

	if (!p)
		gb_die("graph_proc_append");
	p->flags = GRAPH_PROC_LISTED;
	p->task_err = 0;
	p->fd_err = 0;
	p->status_err = 0;
	snprintf(comm, sizeof(comm), "p%d", (int)pid);
	p->comm = graph_strdup(g, comm);
	gb_links(&p->links, s);
	return p;
}

/* A thread of P (the last process added) with links S and comm "tTID". */
static inline struct graph_task *gb_task(struct graph *g, struct graph_proc *p,
				  int32_t tid, const struct gb_set *s)
{
	struct graph_task *t = graph_task_append(g, tid);
	char comm[32];

	if (!t)
		gb_die("graph_task_append");
	if (p->first_task + p->ntasks != g->ntasks - 1)
		gb_die("gb_task (tasks of another process in between)");
	p->ntasks++;
	snprintf(comm, sizeof(comm), "t%d", (int)tid);
	t->comm = graph_strdup(g, comm);
	gb_links(&t->links, s);
	return t;
}

/* Namespace fd FD of P (the last process added), held on NS. */
static inline void gb_fd(struct graph *g, struct graph_proc *p, int32_t fd,
		  uint32_t ns)
{
	struct graph_fd *f = graph_fd_append(g);

	if (!f)
		gb_die("graph_fd_append");
	if (p->first_fd + p->nfds != g->nfds - 1)
		gb_die("gb_fd (fds of another process in between)");
	p->nfds++;
	f->fd = fd;
	f->ns = ns;
}

/* An nsfs bind mount of NS on PATH in mount namespace MNTNS (NS GRAPH_NONE:
 * the path could not be opened). */
static inline void gb_mount(struct graph *g, uint32_t mntns, uint32_t ns,
		     const char *path)
{
	struct graph_mount *m = graph_mount_append(g);

	if (!m)
		gb_die("graph_mount_append");
	m->mntns = mntns;
	m->ns = ns;
	m->open_err = ns == GRAPH_NONE ? ENOENT : 0;
	m->path = graph_strdup(g, path);
}

/* render_tree into a string (free it). */
static inline char *gb_render(const struct graph *g, const struct view *v,
		       const struct render_opts *ro)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		gb_die("open_memstream");
	if (render_tree(f, g, v, ro) != 0)
		gb_die("render_tree");
	fclose(f);
	return buf;
}

/*
 * view_build + render_tree: the text, or NULL when view_build failed (its
 * return value in *rc).  *status (when given) gets the view's exit status.
 */
static inline char *gb_show(const struct graph *g, const struct view_opts *vo,
		     const struct render_opts *ro, int *rc, int *status)
{
	struct view v;
	int r = view_build(g, vo, &v);

	if (rc)
		*rc = r;
	if (r)
		return NULL;
	char *text = gb_render(g, &v, ro);
	if (status)
		*status = v.status;
	view_release(&v);
	return text;
}

/* TEXT with escapes and control characters made visible, on F. */
static inline void gb_dump(FILE *f, const char *label, const char *text)
{
	fprintf(f, "---- %s ----\n", label);
	if (!text) {
		fputs("(null)\n", f);
		return;
	}
	for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
		if (*c == '\n')
			fputs("\\n\n", f);
		else if (*c == '\x1b')
			fputs("<ESC>", f);
		else if (*c == '\t')
			fputs("\\t", f);
		else if (*c < 0x20 || *c >= 0x7f)
			fprintf(f, "\\x%02x", *c);
		else
			fputc(*c, f);
	}
	fputs("<END>\n", f);
}

/* True when GOT == WANT; otherwise both are dumped on stderr. */
static inline bool gb_same(const char *got, const char *want)
{
	if (got && want && strcmp(got, want) == 0)
		return true;
	gb_dump(stderr, "want", want);
	gb_dump(stderr, "got", got);
	return false;
}

#endif
