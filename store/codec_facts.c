/*
 * codec_facts.c — the parts of records that hold the workload facts (see
 * codec.h, and the layouts in codec.c): which graphs need them
 * (codec_graph_v1()), the workloads of the meta record, a namespace's
 * facts and interfaces, a process's identity and its workload by key.
 */
#include "codec_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* In graph order: graph_check() made sure it is (runtime, id) order. */
void cdc_put_workloads(struct enc *e)
{
	const struct graph *g = e->g;

	codec_put_uv(e->b, g->nworkloads);
	for (size_t i = 0; i < g->nworkloads; i++) {
		const struct graph_workload *w = &g->workloads[i];
		codec_put_u8(e->b, w->kind);
		codec_put_str(e->b, w->runtime);
		codec_put_str(e->b, w->id);
		codec_put_str(e->b, w->name);
		codec_put_str(e->b, w->pod);
		codec_put_str(e->b, w->cgroup);
	}
}

void cdc_put_ns_facts(struct enc *e, const struct graph_ns *ns)
{
	codec_put_str(e->b, ns->hostname);
	codec_put_str(e->b, ns->domainname);
	codec_put_u8(e->b, ns->setgroups);
	codec_put_str(e->b, ns->timens_offsets);
	codec_put_sv(e->b, ns->nsid);
	codec_put_uv(e->b, ns->nifaces);
	for (uint32_t k = 0; k < ns->nifaces; k++) {
		const struct graph_iface *f = &e->g->ifaces[ns->first_iface + k];
		codec_put_sv(e->b, f->ifindex);
		codec_put_uv(e->b, f->flags);
		codec_put_u8(e->b, f->operstate);
		codec_put_str(e->b, f->name);
		codec_put_str(e->b, f->mac);
		codec_put_str(e->b, f->addrs);
	}
}

void cdc_put_identity(struct enc *e, const struct graph_proc *p)
{
	codec_put_strn(e->b, p->cmdline, p->cmdline_len);
	codec_put_str(e->b, p->exe);
	codec_put_str(e->b, p->cgroup);
	codec_put_uv(e->b, p->ruid);
	codec_put_uv(e->b, p->euid);
	codec_put_uv(e->b, p->rgid);
	codec_put_uv(e->b, p->egid);
	codec_put_uv(e->b, p->cap_eff);
	codec_put_u8(e->b, p->no_new_privs);
	codec_put_u8(e->b, p->seccomp);
	/* Plus one: "none" (UINT32_MAX) takes one byte, not five. */
	codec_put_uv(e->b, (uint32_t)(p->loginuid + 1));
	codec_put_uv(e->b, (uint32_t)(p->sessionid + 1));
	if (p->workload == GRAPH_NONE) {
		codec_put_str(e->b, NULL);
		return;
	}
	/* graph_check(): runtime and id are there. */
	codec_put_str(e->b, e->g->workloads[p->workload].runtime);
	codec_put_str(e->b, e->g->workloads[p->workload].id);
}

static bool ns_v1(const struct graph_ns *ns)
{
	return !(ns->flags & ~(GRAPH_NS_HAS_ID | GRAPH_NS_HAS_CREATOR)) &&
	       !ns->hostname && !ns->domainname && !ns->setgroups &&
	       !ns->timens_offsets && !ns->nsid && !ns->nifaces;
}

static bool proc_v1(const struct graph_proc *p)
{
	return !(p->flags & ~GRAPH_PROC_LISTED) && !p->cmdline &&
	       !p->cmdline_len && !p->exe && !p->cgroup && !p->ruid &&
	       !p->euid && !p->rgid && !p->egid && !p->cap_eff &&
	       !p->no_new_privs && !p->seccomp && p->loginuid == UINT32_MAX &&
	       p->sessionid == UINT32_MAX && p->workload == GRAPH_NONE;
}

bool codec_graph_v1(const struct graph *g)
{
	if ((g->meta.collected & ~GRAPH_HAVE_V1) || g->nifaces || g->nworkloads)
		return false;
	for (size_t i = 0; i < g->nns; i++)
		if (!ns_v1(&g->ns[i]))
			return false;
	for (size_t i = 0; i < g->nprocs; i++)
		if (!proc_v1(&g->procs[i]))
			return false;
	for (size_t i = 0; i < g->nfds; i++)
		if (g->fds[i].kind != GRAPH_FD_NSFS)
			return false;
	return true;
}

bool cdc_cmdlines_fit(const struct graph *g)
{
	for (size_t i = 0; i < g->nprocs; i++) {
		const struct graph_proc *p = &g->procs[i];
		if ((!p->cmdline && p->cmdline_len) ||
		    p->cmdline_len > GRAPH_CMDLINE_MAX)
			return false;
	}
	return true;
}

/* (runtime, id) of a workload against RT[0..rn) and ID[0..idn), as
 * graph_workloads_sort() orders them; the spans hold no NUL. */
static int span_cmp(const char *s, const char *p, size_t n)
{
	int c = strncmp(s, p, n);
	return c ? c : s[n] != '\0';
}

static int workload_key_cmp(const struct graph_workload *w, const char *rt,
			    size_t rn, const char *id, size_t idn)
{
	int c = span_cmp(w->runtime, rt, rn);
	return c ? c : span_cmp(w->id, id, idn);
}

/* The workload named by (runtime, id): the table is sorted (dec_meta()
 * made sure), so a hostile record costs a binary search, not a scan. */
static uint32_t find_workload(const struct graph *g, const char *rt,
			      size_t rn, const char *id, size_t idn)
{
	size_t lo = 0, hi = g->nworkloads;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = workload_key_cmp(&g->workloads[mid], rt, rn, id, idn);
		if (!c)
			return (uint32_t)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return GRAPH_NONE;
}

/* Strictly ascending (runtime, id) order makes them unique and
 * searchable. */
void cdc_get_workloads(struct dec *d)
{
	struct graph *g = d->g;
	/* kind and five strings: at least 6 bytes each. */
	size_t n = codec_get_count(&d->r, 6);

	if (n && (g->workloads = calloc(n, sizeof(*g->workloads))) == NULL) {
		d->nomem = -ENOMEM;
		return;
	}
	g->cap_workloads = n;
	for (size_t i = 0; i < n && !d->r.err && !d->nomem; i++) {
		struct graph_workload *w = &g->workloads[i];
		w->kind = codec_get_u8(&d->r);
		w->runtime = cdc_get_str(d);
		w->id = cdc_get_str(d);
		w->name = cdc_get_str(d);
		w->pod = cdc_get_str(d);
		w->cgroup = cdc_get_str(d);
		if (d->r.err || d->nomem)
			break;
		g->nworkloads = i + 1;
		if (!w->runtime || !w->id ||
		    (i && workload_key_cmp(&g->workloads[i - 1], w->runtime,
					   strlen(w->runtime), w->id,
					   strlen(w->id)) >= 0))
			codec_rd_fail(&d->r);
	}
}

void cdc_get_ns_facts(struct dec *d, struct graph_ns *ns, uint32_t idx)
{
	struct graph *g = d->g;

	ns->hostname = cdc_get_str(d);
	ns->domainname = cdc_get_str(d);
	ns->setgroups = codec_get_u8(&d->r);
	ns->timens_offsets = cdc_get_str(d);
	ns->nsid = codec_get_i32(&d->r);
	ns->first_iface = (uint32_t)g->nifaces;
	/* Six fields of at least one byte each. */
	size_t n = codec_get_count(&d->r, 6);
	if (n >= GRAPH_NONE - g->nifaces)
		codec_rd_fail(&d->r);
	for (size_t k = 0; k < n && !d->r.err && !d->nomem; k++) {
		struct graph_iface f = { .ns = idx };
		f.ifindex = codec_get_i32(&d->r);
		f.flags = codec_get_u32(&d->r);
		f.operstate = codec_get_u8(&d->r);
		f.name = cdc_get_str(d);
		f.mac = cdc_get_str(d);
		f.addrs = cdc_get_str(d);
		if (d->r.err || d->nomem)
			break;
		struct graph_iface *nf = graph_iface_append(g);
		if (!nf) {
			d->nomem = -ENOMEM;
			break;
		}
		*nf = f;
	}
	ns->nifaces = (uint32_t)(g->nifaces - ns->first_iface);
}

void cdc_get_identity(struct dec *d, struct graph_proc *p)
{
	size_t len, rn, idn;
	const uint8_t *cmd = codec_get_blob(&d->r, &len, GRAPH_CMDLINE_MAX);

	if (cmd) {
		p->cmdline = graph_strndup(d->g, (const char *)cmd, len);
		p->cmdline_len = (uint32_t)len;
		if (!p->cmdline)
			d->nomem = -ENOMEM;
	}
	p->exe = cdc_get_str(d);
	p->cgroup = cdc_get_str(d);
	p->ruid = codec_get_u32(&d->r);
	p->euid = codec_get_u32(&d->r);
	p->rgid = codec_get_u32(&d->r);
	p->egid = codec_get_u32(&d->r);
	p->cap_eff = codec_get_uv(&d->r, UINT64_MAX);
	p->no_new_privs = codec_get_u8(&d->r);
	p->seccomp = codec_get_u8(&d->r);
	p->loginuid = codec_get_u32(&d->r) - 1;
	p->sessionid = codec_get_u32(&d->r) - 1;
	const char *rt = codec_get_str(&d->r, &rn);
	if (!rt || d->r.err)
		return;
	const char *id = codec_get_str(&d->r, &idn);
	if (!id)
		codec_rd_fail(&d->r);
	if (d->r.err)
		return;
	p->workload = find_workload(d->g, rt, rn, id, idn);
	if (p->workload == GRAPH_NONE)
		codec_rd_fail(&d->r);
}
