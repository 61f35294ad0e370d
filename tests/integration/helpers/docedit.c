/* docedit.c — edit an exported snapshot the way a hostile machine could
 * have written it, for tests/integration/untrusted.sh.
 *
 *   docedit MODE <IN.json >OUT.json
 *
 * Reads a document of nsnap(5), changes its graph and writes it again with
 * export_write(), so that its record hashes fit the new content and
 * `nsnap import` takes it:
 *
 *   names      host name, kernel and boot id hold ESC, CR, LF and BEL
 *              (a screen clear, a forged line, a title change); every
 *              process's and thread's comm too; the label is one that
 *              the store accepts (no C0 byte) but holds a C1 CSI and a
 *              right-to-left override in UTF-8
 *   times      the capture started at INT64_MIN ns and ended at INT64_MAX
 *              ns
 *   backwards  it started at INT64_MAX ns and ended at INT64_MIN ns
 *
 * Exit 0, or 1 with a message on stderr.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int main(int argc, char **argv)
{
	static char buf[64 << 20];
	struct export_info info = { 0 };
	struct graph *g;
	char err[256];
	size_t len = fread(buf, 1, sizeof(buf), stdin);
	int rc;

	if (argc != 2 || (strcmp(argv[1], "names") && strcmp(argv[1], "times") &&
			  strcmp(argv[1], "backwards"))) {
		fprintf(stderr, "usage: docedit names|times|backwards <IN >OUT\n");
		return 1;
	}
	rc = export_read(buf, len, &g, &info, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "docedit: cannot read the document: %s\n", err);
		return 1;
	}
	if (!strcmp(argv[1], "names")) {
		rc = names(g, &info);
	} else {
		bool fwd = !strcmp(argv[1], "times");
		g->meta.start_ns = fwd ? INT64_MIN : INT64_MAX;
		g->meta.end_ns = fwd ? INT64_MAX : INT64_MIN;
	}
	if (!rc)
		rc = export_write(stdout, g, &info, EXPORT_JSON);
	graph_free(g);
	if (rc) {
		fprintf(stderr, "docedit: cannot write the document (%d)\n", rc);
		return 1;
	}
	return 0;
}
