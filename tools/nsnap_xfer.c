/*
 * nsnap_xfer.c — nsnap copy, export and import: snapshots into and out of
 * the store, as a compact copy of the whole store or as documents of
 * nsnap(5).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "export.h"
#include "export_rows.h"
#include "fsafe.h"
#include "graph.h"
#include "manifest.h"
#include "nsnap_int.h"
#include "store.h"

/* ---- copy --------------------------------------------------------------- */

int cmd_copy(const struct run *r)
{
	const char *path = r->store, *dest = r->words[0];
	struct store_stat st;
	struct store *s;
	int rc;

	if (!*dest)
		nsnap_usage_error("'%s' takes one destination directory",
				  r->cmd);
	s = cli_store_open(path, STORE_RDONLY, 1);

	nsnap_progress(true, "copy: writing %s", dest);
	rc = store_copy(s, dest, &st);
	store_close(s);
	nsnap_progress_clear();
	if (rc == -EEXIST)
		nsnap_fail("%s: already holds a store", dest);
	/* fsafe.h's refusals of DEST name it, its owner and mode. */
	if (rc && FSAFE_IS(rc))
		nsnap_fail("%s", store_strerror(rc));
	if (rc)
		nsnap_fail("%s: cannot copy to %s: %s", path, dest,
			   store_strerror(rc));
	printf("copied %" PRIu64 " snapshot%s to %s (%" PRIu64 " bytes)\n",
	       st.snapshots, nsnap_plural(st.snapshots), dest, st.used);
	return 0;
}

/* ---- export and import -------------------------------------------------- */

/* "nsnap: WHY" for a refusal of fsafe's, whose message names the file;
 * else "nsnap: NAME: cannot export: WHY". */
static void export_fail(const char *name, int rc)
{
	if (FSAFE_IS(rc))
		nsnap_fail("%s", fsafe_strerror(rc));
	nsnap_fail("%s: cannot export: %s", name, fsafe_strerror(rc));
}

/*
 * The output goes through fsafe's writer (fsafe.h): standard output by
 * its names, a regular file replaced whole or not at all, a device or a
 * FIFO written as it is, never a symbolic link or another user's file.
 * It is opened once the snapshot is loaded, so that a bad selector is
 * told at once and not after a FIFO found its reader.
 */
int cmd_export(const struct run *r)
{
	const char *selector = r->words[0];
	const char *file = r->output ? r->output : "-";
	const char *name = strcmp(file, "-") ? file : "standard output";
	struct store *s = cli_store_open(r->store, STORE_RDONLY, 1);
	struct store_header h;
	struct graph *g = NULL;
	struct fsafe_out *out;
	uint64_t id = cli_resolve(s, selector, 1);
	int rc = store_header(s, id, &h);

	if (!rc)
		rc = store_load(s, id, &g);
	if (rc)
		cli_snapshot_fail(s, selector, rc, 1);
	store_close(s);
	struct export_info info = {
		.id = id, .label = h.label[0] ? h.label : NULL,
	};
	rc = fsafe_out_open(file, &out);
	if (rc) {
		graph_free(g);
		export_fail(name, rc);
	}
	if (r->rows)
		rc = export_rows_write(fsafe_out_file(out), g, &info, r->table);
	else
		rc = export_write(fsafe_out_file(out), g, &info, r->format);
	graph_free(g);
	if (rc)
		fsafe_out_abort(out);
	else
		rc = fsafe_out_commit(out);
	if (rc)
		export_fail(name, rc);
	bool in_manifest;
	if (r->manifest && (rc = manifest_write(file, &in_manifest)))
		nsnap_fail("%s%s: cannot write the manifest: %s", file,
			   in_manifest ? ".sha256" : "", fsafe_strerror(rc));
	return 0;
}

int cmd_import(const struct run *r)
{
	char **files = r->words;
	size_t nfiles = r->nwords;
	struct store *s = cli_store_open(r->store, STORE_CREATE, 1);
	size_t refused = 0;
	char errbuf[256];

	for (size_t i = 0; i < nfiles; i++) {
		const char *file = files[i];
		struct export_info info = { 0 };
		struct graph *g = NULL;
		char *buf;
		size_t len;
		uint64_t id;

		nsnap_progress(i + 1 == nfiles, "import: %zu/%zu files", i + 1,
			       nfiles);
		int rc = cli_read_file(file, &buf, &len);
		if (rc) {
			nsnap_warn("%s: %s", file, strerror(-rc));
			refused++;
			continue;
		}
		errbuf[0] = '\0';
		rc = export_read(buf, len, &g, &info, errbuf, sizeof(errbuf));
		free(buf);
		if (rc) {
			nsnap_warn("%s: %s", file, errbuf[0] ? errbuf :
				   rc == -EPROTONOSUPPORT ?
				   "written by a newer nsnap (unknown version)" :
				   strerror(-rc));
			refused++;
			continue;
		}
		/* The label lives in the graph: store before freeing it. */
		rc = store_put_imported(s, g, info.label, info.id, &id);
		graph_free(g);
		if (rc == STORE_EEXIST) {
			/* Nothing added: the id the snapshot has, as for a
			 * new one, and why on stderr. */
			nsnap_warn("%s: already in the store as snapshot %" PRIu64
				   "; not imported again", file, id);
			printf("%" PRIu64 "\n", id);
			continue;
		}
		if (rc) {
			nsnap_warn("%s: cannot import: %s", file,
				   store_strerror(rc));
			refused++;
			continue;
		}
		printf("%" PRIu64 "\n", id);
	}
	store_close(s);
	nsnap_progress_clear();
	if (fflush(stdout) || ferror(stdout))
		nsnap_fail("standard output: %s", strerror(errno));
	return refused ? 1 : 0;
}

int cmd_verify_export(const struct run *r)
{
	nsnap_fail("%s: verify-export is not built yet", r->words[0]);
}
