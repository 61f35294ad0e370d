/*
 * cli.c — what the three tools decide and say alike (see cli.h).
 */
#include <err.h>
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
#include "fsafe.h"
#include "text.h"

/* Set by the Makefile, the one place the version comes from. */
#ifndef NSNAP_VERSION
#error "NSNAP_VERSION is set by the Makefile (git describe, else the release)"
#endif

void cli_version(const char *tool)
{
	printf("%s %s\n", tool, NSNAP_VERSION);
	exit(fflush(stdout) || ferror(stdout) ? EXIT_FAILURE : EXIT_SUCCESS);
}

int cli_getopt(int argc, char **argv, const char *shortopts,
	       const struct option *longopts, size_t *nwords)
{
	int c;

	/* Without the leading '-' getopt would permute, or with
	 * POSIXLY_CORRECT stop at the first word. */
	if (shortopts[0] != '-')
		errx(EXIT_FAILURE, "cli_getopt: SHORTOPTS must begin with '-'");
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) == 1)
		argv[1 + (*nwords)++] = optarg;
	if (c != -1)
		return c;
	/* After "--": the rest are words. */
	while (optind < argc)
		argv[1 + (*nwords)++] = argv[optind++];
	return -1;
}

int cli_color_parse(const char *word, enum cli_color *mode)
{
	if (strcmp(word, "auto") == 0)
		*mode = CLI_COLOR_AUTO;
	else if (strcmp(word, "always") == 0)
		*mode = CLI_COLOR_ALWAYS;
	else if (strcmp(word, "never") == 0)
		*mode = CLI_COLOR_NEVER;
	else
		return -1;
	return 0;
}

bool cli_color_wanted(enum cli_color mode)
{
	const char *no_color = getenv("NO_COLOR");

	if (mode != CLI_COLOR_AUTO)
		return mode == CLI_COLOR_ALWAYS;
	return isatty(STDOUT_FILENO) && !(no_color && *no_color);
}

char *cli_term_text(const char *s, size_t n, int status)
{
	char *text = NULL;
	size_t len;
	FILE *f = open_memstream(&text, &len);

	if (f) {
		text_term_data(f, s, strnlen(s, n));
		if (fclose(f)) {
			free(text);
			text = NULL;
		}
	}
	if (!text)
		errx(status, "%s", strerror(ENOMEM));
	return text;
}

int cli_ns_types(const char *list, uint32_t *types, const char **bad,
		 int *badlen)
{
	*types = 0;
	for (const char *s = list;;) {
		const char *comma = strchr(s, ',');
		size_t len = comma ? (size_t)(comma - s) : strlen(s);
		int t = ns_type_from_name(s, len);

		if (t < 0) {
			*bad = s;
			*badlen = (int)len; /* an argument: < 128 KiB */
			return -1;
		}
		*types |= NS_TYPE_BIT(t);
		if (!comma)
			return 0;
		s = comma + 1;
	}
}

const char *cli_store_path(const char *given, int status)
{
	const char *path = given ? given : store_default_path();

	if (!path)
		errx(status, "no store: give --store or set NSNAP_STORE");
	return path;
}

/* ---- capture warnings in bulk ---------------------------------------- */

void cli_capture_warn(void *ctx, const char *msg)
{
	struct cli_warnings *w = ctx;

	if (w->verbose)
		warnx("warning: %s", msg);
	else
		w->nheld++;
}

static int cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return (x > y) - (x < y);
}

/* The processes of G with a gap that says ERR (0: any error but the
 * ones below), sorted, without duplicates, into PIDS (G->ngaps long):
 * how many.  A process that went away meanwhile (ENOENT, ESRCH) is no
 * gap worth telling, as capture does not warn of it either. */
static size_t gap_pids(const struct graph *g, int err, int32_t *pids)
{
	size_t n = 0, k = 0;

	for (size_t i = 0; i < g->ngaps; i++) {
		int e = g->gaps[i].err;

		if (e == ENOENT || e == ESRCH)
			continue;
		if (err ? e == err : e != EACCES && e != EPERM)
			pids[n++] = g->gaps[i].pid;
	}
	qsort(pids, n, sizeof(*pids), cmp_i32);
	for (size_t i = 0; i < n; i++)
		if (!k || pids[k - 1] != pids[i])
			pids[k++] = pids[i];
	return k;
}

/* "N processes could not be read (WHY)...; (PIDs a, b, ...)" onto BUF at
 * *LEN, for the N in PIDS. */
static void say_pids(char *buf, size_t size, size_t *len, const int32_t *pids,
		     size_t n, const char *why, const char *hint)
{
	enum { SHOWN = 5 };

	if (!n || *len >= size)
		return;
	*len += (size_t)snprintf(buf + *len, size - *len, "%s%zu process%s "
				 "could not be read (%s)%s (PID%s", *len ? "; " : "",
				 n, n == 1 ? "" : "es", why, hint,
				 n == 1 ? "" : "s");
	for (size_t i = 0; i < n && i < SHOWN && *len < size; i++)
		*len += (size_t)snprintf(buf + *len, size - *len, "%s%" PRId32,
					 i ? ", " : " ", pids[i]);
	if (*len < size)
		*len += (size_t)snprintf(buf + *len, size - *len, "%s)",
					 n > SHOWN ? ", ..." : "");
}

void cli_capture_summary(struct cli_warnings *w, const struct graph *g)
{
	char line[sizeof(w->last)];
	size_t len = 0, held = w->nheld;
	int32_t *pids;

	w->nheld = 0;
	if (w->verbose)
		return;
	pids = malloc((g->ngaps ? g->ngaps : 1) * sizeof(*pids));
	if (!pids)
		errx(EXIT_FAILURE, "%s", strerror(ENOMEM));
	line[0] = '\0';
	/* The usual case first: a normal user, the processes of others. */
	say_pids(line, sizeof(line), &len, pids, gap_pids(g, EACCES, pids),
		 "permission denied", geteuid() ? "; run as root to see them" : "");
	say_pids(line, sizeof(line), &len, pids, gap_pids(g, EPERM, pids),
		 "operation not permitted", "");
	say_pids(line, sizeof(line), &len, pids, gap_pids(g, 0, pids),
		 "other errors", "");
	free(pids);
	if (!len && held)
		snprintf(line, sizeof(line), "%zu warning%s at capture", held,
			 held == 1 ? "" : "s");
	if (strcmp(line, w->last)) {
		if (*line)
			warnx("warning: %s; --verbose lists %s", line,
			      held == 1 ? "it" : "them all");
		memcpy(w->last, line, sizeof(line));
	}
}

/* Set once, from the command line, before any store is opened. */
static bool foreign_copy;

bool cli_foreign(void)
{
	return foreign_copy;
}

int cli_foreign_parse(const char *word)
{
	if (strcmp(word, "copy"))
		return -1;
	foreign_copy = true;
	return 0;
}

struct store *cli_store_open(const char *path, unsigned flags, int status)
{
	struct store *s;
	int rc;

	path = cli_store_path(path, status);
	rc = store_open(path, flags | (foreign_copy ? STORE_FOREIGN : 0), &s);
	/* fsafe.h's refusals name the file, its owner and mode themselves. */
	if (rc && FSAFE_IS(rc))
		errx(status, "%s", store_strerror(rc));
	/* A reader's first run: nothing recorded yet is no broken store. */
	struct stat st;
	if (rc == -ENOENT && (flags & STORE_RDONLY) && lstat(path, &st) &&
	    errno == ENOENT)
		errx(status, "%s: no store yet; 'nsnap record' makes one (or "
		     "give --store)", path);
	if (rc)
		errx(status, "%s: %s", path, store_strerror(rc));
	return s;
}

void cli_snapshot_fail(struct store *s, const char *selector, int rc,
		       int status)
{
	if (s)
		store_close(s);
	errx(status, "snapshot '%s': %s", selector, store_strerror(rc));
}

uint64_t cli_resolve(struct store *s, const char *selector, int status)
{
	uint64_t id;
	int rc = store_resolve(s, selector, &id);

	if (rc)
		cli_snapshot_fail(s, selector, rc, status);
	return id;
}

struct graph *cli_load(struct store *s, const char *selector, uint64_t *id,
		       int status)
{
	uint64_t got = cli_resolve(s, selector, status);
	struct graph *g;
	int rc = store_load(s, got, &g);

	if (rc)
		cli_snapshot_fail(s, selector, rc, status);
	if (id)
		*id = got;
	return g;
}

/* ---- export files in place of snapshots ------------------------------- */

int cli_read_file(const char *file, char **out, size_t *len)
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

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), k = strlen(tail);

	return n > k && !strcmp(s + n - k, tail);
}

bool cli_is_file(const char *selector)
{
	struct stat st;

	if (!strchr(selector, '/') && !ends_with(selector, ".json") &&
	    !ends_with(selector, ".ndjson"))
		return false;
	return stat(selector, &st) == 0;
}

struct graph *cli_load_file(const char *path, int status)
{
	struct graph *g;
	char errbuf[256] = "", *buf, *text;
	size_t len;
	int rc = cli_read_file(path, &buf, &len);

	if (!rc) {
		rc = export_read(buf, len, &g, NULL, errbuf, sizeof(errbuf));
		free(buf);
	}
	if (!rc)
		return g;
	text = cli_term_text(path, SIZE_MAX, status);
	errx(status, "%s: %s", text, errbuf[0] ? errbuf :
	     rc == -EPROTONOSUPPORT ? "written by a newer nsnap (unknown version)"
				    : strerror(-rc));
}
