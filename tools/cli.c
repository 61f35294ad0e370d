/*
 * cli.c — what the three tools decide and say alike (see cli.h).
 */
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
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

/* Set once, from the command line, before any store is opened. */
static bool foreign_copy;

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
