/*
 * format_facts.c — the JSON of what nsshow-view/2 adds to the tree: the
 * workloads, host names, netns names, interfaces and pins of a namespace,
 * and who and what each member is (schema in nsshow(1), JSON OUTPUT).
 *
 * Each fact is written only when the graph collected it (graph_meta.
 * collected), so that a snapshot recorded before the fact existed does
 * not claim its absence: no key then, where null would mean "not read".
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "format_int.h"
#include "workload.h"

#define MAX_NETNS_NAMES 64

/* ---- pins ---------------------------------------------------------------- */

void format_pins_release(struct format_pins *p)
{
	free(p->first);
	free(p->list);
	p->first = NULL;
	p->list = NULL;
}

/*
 * Every pin of G, in one pass per use: TAKE(ns, pin) is called for each,
 * first to count, then to place.
 */
static void each_pin(const struct graph *g,
		     void (*take)(struct format_pins *, uint32_t,
				  const struct format_pin *),
		     struct format_pins *p)
{
	for (size_t i = 0; i < g->nprocs; i++) {
		const struct graph_proc *pr = &g->procs[i];
		const struct graph_links *l = &pr->links;
		struct format_pin pin = { .proc = (uint32_t)i };

		if (l->pid_for_children != GRAPH_NONE &&
		    l->pid_for_children != l->ns[NS_PID]) {
			pin.kind = FORMAT_PIN_PID_FOR_CHILDREN;
			take(p, l->pid_for_children, &pin);
		}
		if (l->time_for_children != GRAPH_NONE &&
		    l->time_for_children != l->ns[NS_TIME]) {
			pin.kind = FORMAT_PIN_TIME_FOR_CHILDREN;
			take(p, l->time_for_children, &pin);
		}
		for (uint32_t k = 0; k < pr->nfds; k++) {
			const struct graph_fd *f = &g->fds[pr->first_fd + k];
			if (f->ns == GRAPH_NONE)
				continue;
			pin.kind = f->kind == GRAPH_FD_SOCKET ? FORMAT_PIN_SOCKET
							      : FORMAT_PIN_FD;
			pin.item = pr->first_fd + k;
			take(p, f->ns, &pin);
		}
	}
	for (size_t i = 0; i < g->nmounts; i++) {
		struct format_pin pin = {
			.kind = FORMAT_PIN_MOUNT, .proc = GRAPH_NONE,
			.item = (uint32_t)i,
		};
		if (g->mounts[i].ns != GRAPH_NONE)
			take(p, g->mounts[i].ns, &pin);
	}
}

static void count_pin(struct format_pins *p, uint32_t ns,
		      const struct format_pin *pin)
{
	(void)pin;
	p->first[ns + 1]++;
}

/* first[ns] is the next free slot of NS while placing. */
static void place_pin(struct format_pins *p, uint32_t ns,
		      const struct format_pin *pin)
{
	p->list[p->first[ns]++] = *pin;
}

int format_pins_build(const struct graph *g, struct format_pins *p)
{
	size_t total;

	p->list = NULL;
	p->first = calloc(g->nns + 2, sizeof(*p->first));
	if (!p->first)
		return -ENOMEM;
	each_pin(g, count_pin, p);
	for (size_t i = 0; i < g->nns; i++)
		p->first[i + 1] += p->first[i];
	total = p->first[g->nns];
	p->list = malloc((total + 1) * sizeof(*p->list));
	if (!p->list) {
		format_pins_release(p);
		return -ENOMEM;
	}
	each_pin(g, place_pin, p);
	/* Placing moved each start to the next one's: shift back. */
	memmove(p->first + 1, p->first, g->nns * sizeof(*p->first));
	p->first[0] = 0;
	return 0;
}

static void json_pins(struct jw *w, const struct graph *g,
		      const struct format_pins *pins, uint32_t ns)
{
	static const char *const kinds[] = {
		[FORMAT_PIN_FD] = "fd", [FORMAT_PIN_SOCKET] = "socket",
		[FORMAT_PIN_PID_FOR_CHILDREN] = "pid_for_children",
		[FORMAT_PIN_TIME_FOR_CHILDREN] = "time_for_children",
		[FORMAT_PIN_MOUNT] = "mount",
	};

	jw_key(w, "pins");
	jw_open(w, '[');
	for (uint32_t i = pins->first[ns]; i < pins->first[ns + 1]; i++) {
		const struct format_pin *p = &pins->list[i];
		jw_item(w);
		jw_open(w, '{');
		jw_str(w, "kind", kinds[p->kind]);
		if (p->kind == FORMAT_PIN_MOUNT) {
			const struct graph_mount *m = &g->mounts[p->item];
			if (m->mntns < g->nns) {
				jw_u64(w, "mntns_dev", g->ns[m->mntns].key.dev);
				jw_u64(w, "mntns_ino", g->ns[m->mntns].key.ino);
			} else {
				jw_lit(w, "mntns_dev", "null");
				jw_lit(w, "mntns_ino", "null");
			}
			jw_str(w, "path", m->path);
		} else {
			jw_int(w, "pid", g->procs[p->proc].pid);
			if (p->kind <= FORMAT_PIN_SOCKET)
				jw_int(w, "fd", g->fds[p->item].fd);
		}
		jw_close(w, '}');
	}
	jw_close(w, ']');
}

/* ---- namespaces ---------------------------------------------------------- */

void format_json_workload(struct jw *w, const char *key,
			  const struct graph *g, uint32_t wl)
{
	if (key)
		jw_key(w, key);
	else
		jw_item(w);
	if (wl == GRAPH_NONE || wl >= g->nworkloads) {
		fputs("null", w->out);
		return;
	}
	const struct graph_workload *x = &g->workloads[wl];
	jw_open(w, '{');
	jw_str(w, "kind", graph_workload_kind_name(x->kind));
	jw_str(w, "runtime", x->runtime);
	jw_str(w, "id", x->id);
	jw_str(w, "name", x->name);
	jw_str(w, "pod", x->pod);
	jw_str(w, "cgroup", x->cgroup);
	jw_close(w, '}');
}

/* A decimal number of at most 10 digits into *v; the bytes read, 0 when
 * none or too large for 32 bits. */
static size_t parse_u32(const char *s, uint32_t *v)
{
	uint64_t x = 0;
	size_t n = 0;

	while (s[n] >= '0' && s[n] <= '9' && n < 11)
		x = x * 10 + (uint64_t)(s[n++] - '0');
	if (n == 0 || n > 10 || x > UINT32_MAX)
		return 0;
	*v = (uint32_t)x;
	return n;
}

/* The map's lines as (inside, outside, count) into R (room for MAX);
 * how many, or -1 when a line is not three numbers or there are more. */
static int parse_map(const char *map, uint32_t (*r)[3], int max)
{
	int n = 0;
	const char *s = map;

	for (;;) {
		s += strspn(s, " \t");
		if (*s == '\n') {
			s++;
			continue;
		}
		if (!*s)
			return n;
		if (n == max)
			return -1;
		for (int k = 0; k < 3; k++) {
			size_t len = parse_u32(s, &r[n][k]);
			if (!len)
				return -1;
			s += len;
			if (k < 2 && *s != ' ' && *s != '\t')
				return -1;
			s += strspn(s, " \t");
		}
		if (*s && *s != '\n')
			return -1;
		n++;
	}
}

void format_json_ranges(struct jw *w, const char *key, const char *map)
{
	uint32_t r[340][3];  /* the kernel's limit of map lines */
	int n = map ? parse_map(map, r, 340) : -1;

	jw_key(w, key);
	if (n < 0) {
		fputs("null", w->out);
		return;
	}
	jw_open(w, '[');
	for (int i = 0; i < n; i++) {
		jw_item(w);
		jw_open(w, '{');
		jw_int(w, "inside", r[i][0]);
		jw_int(w, "outside", r[i][1]);
		jw_int(w, "count", r[i][2]);
		jw_close(w, '}');
	}
	jw_close(w, ']');
}

/* The words of S (blank-separated) as a JSON array; [] for NULL. */
static void json_words(struct jw *w, const char *key, const char *s)
{
	jw_key(w, key);
	jw_open(w, '[');
	while (s && *s) {
		s += strspn(s, " ");
		size_t n = strcspn(s, " ");
		if (!n)
			break;
		jw_item(w);
		fputc('"', w->out);
		text_json_bytes(w->out, s, n);
		fputc('"', w->out);
		s += n;
	}
	jw_close(w, ']');
}

/* IFF_* as ip(8) names them; the bit is the index. */
static const char *const iff_names[] = {
	"UP", "BROADCAST", "DEBUG", "LOOPBACK", "POINTOPOINT", "NOTRAILERS",
	"RUNNING", "NOARP", "PROMISC", "ALLMULTI", "MASTER", "SLAVE",
	"MULTICAST", "PORTSEL", "AUTOMEDIA", "DYNAMIC", "LOWER_UP", "DORMANT",
	"ECHO",
};

/* IF_OPER_*, as ip(8) names them. */
static const char *const oper_names[] = {
	"UNKNOWN", "NOTPRESENT", "DOWN", "LOWERLAYERDOWN", "TESTING",
	"DORMANT", "UP",
};

static void json_iface(struct jw *w, const struct graph_iface *f)
{
	const size_t nflags = sizeof(iff_names) / sizeof(iff_names[0]);
	char bit[16];

	jw_item(w);
	jw_open(w, '{');
	jw_int(w, "ifindex", f->ifindex);
	jw_str(w, "name", f->name);
	jw_key(w, "flags");
	jw_open(w, '[');
	for (unsigned b = 0; b < 32; b++) {
		if (!(f->flags & (1u << b)))
			continue;
		snprintf(bit, sizeof(bit), "0x%x", 1u << b);
		jw_item(w);
		text_json_string(w->out, b < nflags ? iff_names[b] : bit);
	}
	jw_close(w, ']');
	jw_str(w, "operstate", f->operstate < sizeof(oper_names) /
			       sizeof(oper_names[0]) ? oper_names[f->operstate]
						     : NULL);
	jw_str(w, "mac", f->mac);
	json_words(w, "addrs", f->addrs);
	jw_close(w, '}');
}

static void json_net_facts(struct jw *w, const struct graph *g, uint32_t ns,
			   uint32_t have)
{
	const struct graph_ns *n = &g->ns[ns];

	if (have & GRAPH_HAVE_PINS) {
		const char *names[MAX_NETNS_NAMES];
		size_t k = workload_netns_names(g, ns, names, MAX_NETNS_NAMES);
		jw_key(w, "netns_names");
		jw_open(w, '[');
		for (size_t i = 0; i < k && i < MAX_NETNS_NAMES; i++) {
			jw_item(w);
			text_json_string(w->out, names[i]);
		}
		jw_close(w, ']');
	}
	if (!(have & GRAPH_HAVE_NSFACTS))
		return;
	if (n->flags & GRAPH_NS_HAS_NSID)
		jw_int(w, "nsid", n->nsid);
	else
		jw_lit(w, "nsid", "null");
	jw_key(w, "interfaces");
	jw_open(w, '[');
	for (uint32_t i = 0; i < n->nifaces; i++)
		json_iface(w, &g->ifaces[n->first_iface + i]);
	jw_close(w, ']');
}

void format_json_ns_facts(struct jw *w, const struct graph *g,
			  const struct view *v, const struct view_line *l,
			  const struct format_pins *pins)
{
	const struct graph_ns *n = &g->ns[l->ns];
	uint32_t have = g->meta.collected;

	if (have & GRAPH_HAVE_NSFACTS) {
		if (n->type == NS_UTS) {
			jw_str(w, "hostname", n->hostname);
			jw_str(w, "domainname", n->domainname);
		} else if (n->type == NS_USER) {
			jw_str(w, "setgroups",
			       n->setgroups == GRAPH_SETGROUPS_ALLOW ? "allow" :
			       n->setgroups == GRAPH_SETGROUPS_DENY ? "deny" : NULL);
		} else if (n->type == NS_TIME) {
			jw_str(w, "timens_offsets", n->timens_offsets);
		}
	}
	if (n->type == NS_NET)
		json_net_facts(w, g, l->ns, have);
	if (v->has_wmap) {
		const struct workload_ns *x = &v->wmap.ns[l->ns];
		jw_key(w, "workloads");
		jw_open(w, '[');
		for (uint32_t i = 0; i < x->n; i++)
			format_json_workload(w, NULL, g, v->wmap.list[x->first + i]);
		jw_close(w, ']');
		format_json_workload(w, "workload", g, x->owner);
	}
	if (pins->first)
		json_pins(w, g, pins, l->ns);
}

/* ---- members ------------------------------------------------------------- */

/* Whether S is one or more decimal numbers, blank-separated. */
static bool all_numbers(const char *s)
{
	bool any = false;
	uint32_t v;

	for (;;) {
		s += strspn(s, " \t");
		if (!*s)
			return any;
		size_t n = parse_u32(s, &v);
		if (!n)
			return false;
		s += n;
		any = true;
		if (*s && *s != ' ' && *s != '\t')
			return false;
	}
}

/* The NStgid's numbers, outermost first; null when it holds anything
 * else (or nothing). */
static void json_nstgid(struct jw *w, const char *s)
{
	uint32_t v = 0;

	jw_key(w, "nstgid");
	if (!s || !all_numbers(s)) {
		fputs("null", w->out);
		return;
	}
	jw_open(w, '[');
	for (;;) {
		s += strspn(s, " \t");
		if (!*s)
			break;
		s += parse_u32(s, &v);
		jw_item(w);
		fprintf(w->out, "%u", v);
	}
	jw_close(w, ']');
}

static void json_cmdline(struct jw *w, const struct graph_proc *p)
{
	jw_key(w, "cmdline");
	if (!p->cmdline) {
		fputs("null", w->out);
		return;
	}
	jw_open(w, '[');
	for (const char *s = p->cmdline, *end = s + p->cmdline_len; s < end;) {
		size_t n = strnlen(s, (size_t)(end - s));
		jw_item(w);
		fputc('"', w->out);
		text_json_bytes(w->out, s, n);
		fputc('"', w->out);
		s += n + 1;
	}
	jw_close(w, ']');
	if (p->flags & GRAPH_PROC_CMDLINE_CUT)
		jw_lit(w, "cmdline_cut", "true");
}

static void jw_opt_u32(struct jw *w, const char *key, bool have, uint32_t v)
{
	if (have)
		jw_int(w, key, v);
	else
		jw_lit(w, key, "null");
}

static void json_identity(struct jw *w, const struct graph_proc *p)
{
	static const char *const seccomp[] = { "disabled", "strict", "filter" };
	bool cred = p->flags & GRAPH_PROC_HAS_CRED;
	bool login = p->flags & GRAPH_PROC_HAS_LOGIN;
	char cap[20];

	json_cmdline(w, p);
	jw_str(w, "exe", p->exe);
	jw_str(w, "cgroup", p->cgroup);
	jw_opt_u32(w, "ruid", cred, p->ruid);
	jw_opt_u32(w, "euid", cred, p->euid);
	jw_opt_u32(w, "rgid", cred, p->rgid);
	jw_opt_u32(w, "egid", cred, p->egid);
	snprintf(cap, sizeof(cap), "%016llx", (unsigned long long)p->cap_eff);
	jw_str(w, "cap_eff", cred ? cap : NULL);
	jw_lit(w, "no_new_privs", !cred ? "null" : p->no_new_privs ? "true"
								  : "false");
	jw_str(w, "seccomp", cred && p->seccomp < 3 ? seccomp[p->seccomp] : NULL);
	/* (uint32_t)-1 is the kernel's "none". */
	jw_opt_u32(w, "loginuid", login && p->loginuid != UINT32_MAX,
		   p->loginuid);
	jw_opt_u32(w, "sessionid", login && p->sessionid != UINT32_MAX,
		   p->sessionid);
}

void format_json_member_facts(struct jw *w, const struct graph *g,
			      const struct view_member *m)
{
	uint32_t have = g->meta.collected;
	const struct graph_proc *p = m->proc < g->nprocs ? &g->procs[m->proc]
							  : NULL;

	if (have & GRAPH_HAVE_NSTGID)
		json_nstgid(w, m->nstgid);
	if (!p)
		return;
	if (have & GRAPH_HAVE_IDENTITY)
		json_identity(w, p);
	if (have & GRAPH_HAVE_WORKLOADS)
		format_json_workload(w, "workload", g, p->workload);
}
