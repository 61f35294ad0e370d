/* docedit.c — edit an exported snapshot the way a hostile machine could
 * have written it, for tests/integration/untrusted.sh and custody.sh.
 *
 *   docedit MODE <IN.json >OUT.json
 *
 * Reads a document of nsnap(5), changes its graph and writes it again with
 * export_write(), so that its record hashes fit the new content and
 * `nsnap import` takes it (its custody.content too; a signature it
 * carries stays the old content's):
 *
 *   names      host name, kernel and boot id hold ESC, CR, LF and BEL
 *              (a screen clear, a forged line, a title change); every
 *              process's and thread's comm too; the label is one that
 *              the store accepts (no C0 byte) but holds a C1 CSI and a
 *              right-to-left override in UTF-8
 *   times      the capture started at INT64_MIN ns and ended at INT64_MAX
 *              ns
 *   backwards  it started at INT64_MAX ns and ended at INT64_MIN ns
 *   strip      the same snapshot without its custody member
 *   facts      the workload facts hold the same bytes: every process's
 *              command line (two arguments), executable and cgroup, every
 *              UTS namespace's host and domain name, every interface's
 *              name, MAC and addresses, one workload of every process
 *              (runtime, id, cgroup; its name and pod also hold '"', '\\',
 *              DOT's record bytes and invalid UTF-8) and an ip netns name of
 *              every network namespace
 *
 * Exit 0, or 1 with a message on stderr.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custody.h"
#include "export.h"
#include "graph.h"

static const char hostile[] = "a\x1b[2J\rb\nc\x1b]0;owned\x07" "d";

static int names(struct graph *g, struct export_info *info)
{
	const char *s = graph_strdup(g, hostile);
	const char *label = graph_strdup(g, "lab\xc2\x9b" "2J\xe2\x80\xae" "el");

	if (!s || !label)
		return -1;
	g->meta.hostname = g->meta.kernel = g->meta.boot_id = s;
	for (size_t i = 0; i < g->nprocs; i++)
		g->procs[i].comm = s;
	for (size_t i = 0; i < g->ntasks; i++)
		g->tasks[i].comm = s;
	info->label = label;
	return 0;
}

static int facts(struct graph *g)
{
	static const char argv2[] = "a\x1b[2J\rb\nc\x1b]0;owned\x07" "d\0-\x1b[H";
	static const char ifname[] = "i\x1b[2J\r\n\x07";   /* within IFNAMSIZ */
	/* what ends a DOT or JSON string, or a DOT record field */
	static const char quote[] = "q\"\\\"<b>{|}\x1b[1m\xff\xfe";
	const char *s = graph_strdup(g, hostile);
	const char *cmd = graph_strndup(g, argv2, sizeof(argv2) - 1);
	const char *ifn = graph_strdup(g, ifname);
	const char *q = graph_strdup(g, quote);
	char path[64];

	if (!s || !cmd || !ifn || !q)
		return -1;
	for (size_t i = 0; i < g->nprocs; i++) {
		struct graph_proc *p = &g->procs[i];
		p->cmdline = cmd;
		p->cmdline_len = sizeof(argv2) - 1;
		p->flags &= ~GRAPH_PROC_CMDLINE_CUT;
		p->exe = p->cgroup = s;
	}
	for (size_t i = 0; i < g->nns; i++)
		if (g->ns[i].type == NS_UTS)
			g->ns[i].hostname = g->ns[i].domainname = s;
	for (size_t i = 0; i < g->nifaces; i++) {
		g->ifaces[i].name = ifn;
		g->ifaces[i].mac = g->ifaces[i].addrs = s;
	}
	g->nworkloads = 0;
	uint32_t w = graph_workload_add(g, s, s, NULL);
	if (w == GRAPH_NONE)
		return -1;
	g->workloads[w] = (struct graph_workload){ .kind = GRAPH_WL_CONTAINER,
		.runtime = s, .id = s, .name = q, .pod = q, .cgroup = s };
	for (size_t i = 0; i < g->nprocs; i++)
		g->procs[i].workload = w;
	/* In the last mount namespace listed, after its mounts; else in the
	 * first one a process links to. */
	uint32_t mntns = g->nmounts ? g->mounts[g->nmounts - 1].mntns : GRAPH_NONE;
	for (size_t i = 0; i < g->nprocs && mntns == GRAPH_NONE; i++)
		mntns = g->procs[i].links.ns[NS_MNT];
	for (size_t i = 0; i < g->nns && mntns != GRAPH_NONE; i++) {
		if (g->ns[i].type != NS_NET)
			continue;
		struct graph_mount *m = graph_mount_append(g);
		snprintf(path, sizeof(path), "/run/netns/%s", hostile);
		if (!m || !(m->path = graph_strdup(g, path)))
			return -1;
		m->mntns = mntns;
		m->ns = (uint32_t)i;
		m->open_err = m->list_err = 0;
	}
	g->meta.collected |= GRAPH_HAVE_EVERYTHING & ~GRAPH_HAVE_V1;
	return 0;
}

int main(int argc, char **argv)
{
	static char buf[64 << 20];
	struct export_info info = { 0 };
	struct graph *g;
	char err[256];
	size_t len = fread(buf, 1, sizeof(buf), stdin);
	int rc;

	if (argc != 2 || (strcmp(argv[1], "names") && strcmp(argv[1], "times") &&
			  strcmp(argv[1], "backwards") && strcmp(argv[1], "facts") &&
			  strcmp(argv[1], "strip"))) {
		fprintf(stderr, "usage: docedit names|times|backwards|facts|strip "
			"<IN >OUT\n");
		return 1;
	}
	rc = export_read(buf, len, &g, &info, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "docedit: cannot read the document: %s\n", err);
		return 1;
	}
	if (!strcmp(argv[1], "names")) {
		rc = names(g, &info);
	} else if (!strcmp(argv[1], "facts")) {
		rc = facts(g);
	} else if (!strcmp(argv[1], "strip")) {
		info.has_custody = false;
	} else {
		bool fwd = !strcmp(argv[1], "times");
		g->meta.start_ns = fwd ? INT64_MIN : INT64_MAX;
		g->meta.end_ns = fwd ? INT64_MAX : INT64_MIN;
	}
	/* A hostile writer states the content it wrote (a signature, kept,
	 * is then the old content's). */
	if (!rc && info.has_custody)
		rc = custody_graph_content(g, info.label, info.custody.content);
	if (!rc)
		rc = export_write(stdout, g, &info, EXPORT_JSON);
	graph_free(g);
	if (rc) {
		fprintf(stderr, "docedit: cannot write the document (%d)\n", rc);
		return 1;
	}
	return 0;
}
