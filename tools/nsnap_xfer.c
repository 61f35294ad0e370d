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
#include "graph.h"
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
	if (rc)
		nsnap_fail("%s: cannot copy to %s: %s", path, dest,
			   store_strerror(rc));
	printf("copied %" PRIu64 " snapshot%s to %s (%" PRIu64 " bytes)\n",
	       st.snapshots, nsnap_plural(st.snapshots), dest, st.used);
	return 0;
}

/* ---- export and import -------------------------------------------------- */

/*
 * Write G to FILE through a temporary file beside it, renamed into place
 * once written and synced: a failed export leaves FILE as it was and no
 * half-written document.  The file is 0600, like the store it came from.
 */
static int export_file(const char *file, const struct graph *g,
		       const struct export_info *info, enum export_format fmt)
{
	char *tmp;
	FILE *f;
	int fd, rc;

	if (asprintf(&tmp, "%s.XXXXXX", file) < 0)
		return -ENOMEM;
	fd = mkstemp(tmp);
	if (fd < 0) {
		rc = -errno;
		free(tmp);
		return rc;
	}
	f = fdopen(fd, "w");
	if (!f) {
		rc = -errno;
		close(fd);
		goto fail;
	}
	rc = export_write(f, g, info, fmt);
	if (!rc && (fflush(f) || ferror(f)))
		rc = -(errno ? errno : EIO);
	if (!rc && fsync(fileno(f)))
		rc = -errno;
	if (fclose(f) && !rc)
		rc = -errno;
	if (!rc && rename(tmp, file))
		rc = -errno;
	if (!rc) {
		free(tmp);
		return 0;
	}
fail:
	unlink(tmp);
	free(tmp);
	return rc;
}

int cmd_export(const struct run *r)
{
	const char *selector = r->words[0], *out = r->output;
	enum export_format fmt = r->format;
	struct store *s = cli_store_open(r->store, STORE_RDONLY, 1);
	struct store_header h;
	struct graph *g = NULL;
	uint64_t id = cli_resolve(s, selector, 1);
	int rc = store_header(s, id, &h);

	if (!rc)
		rc = store_load(s, id, &g);
	if (rc)
		cli_snapshot_fail(s, selector, rc, 1);
	store_close(s);
	struct export_info info = { .id = id, .label = h.label[0] ? h.label : NULL };
	if (out && strcmp(out, "-")) {
		rc = export_file(out, g, &info, fmt);
	} else {
		rc = export_write(stdout, g, &info, fmt);
		if (!rc && (fflush(stdout) || ferror(stdout)))
			rc = -(errno ? errno : EIO);
		out = "standard output";
	}
	graph_free(g);
	if (rc)
		nsnap_fail("%s: cannot export: %s", out, strerror(-rc));
	return 0;
}

/* The whole of FILE ("-": standard input) in a malloc'd buffer. */
static int read_whole(const char *file, char **out, size_t *len)
{
	/* A document of a gigabyte is a mistake, not a snapshot. */
	const size_t limit = (size_t)1 << 30;
	bool in = !strcmp(file, "-");
	int fd = in ? STDIN_FILENO : open(file, O_RDONLY | O_CLOEXEC);
	char *buf = NULL;
	size_t n = 0, cap = 0;
	struct stat st;
	int rc = 0;

	*out = NULL;
	*len = 0;
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		rc = -EISDIR;
		goto out;
	}
	for (;;) {
		if (n == cap) {
			if (cap >= limit) {
				rc = -EFBIG;
				break;
			}
			cap = cap ? 2 * cap : 65536;
			char *more = realloc(buf, cap + 1);
			if (!more) {
				rc = -ENOMEM;
				break;
			}
			buf = more;
		}
		ssize_t got = read(fd, buf + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = -errno;
			break;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
out:
	if (!in)
		close(fd);
	if (rc) {
		free(buf);
		return rc;
	}
	if (!buf && !(buf = malloc(1)))
		return -ENOMEM;
	buf[n] = '\0';
	*out = buf;
	*len = n;
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
		int rc = read_whole(file, &buf, &len);
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
