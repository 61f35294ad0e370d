/*
 * cli.h — what the three tools decide and say alike.
 *
 * Owns: the version string, the word grammar of nsdiff and nsnap (options
 * anywhere, "--" ends them), the color decision, the namespace-type list,
 * capture warnings in bulk,
 * --foreign, data from a snapshot as human text, and the open-store /
 * resolve / load sequence with its messages.  The
 * tools keep their own exit statuses (nsdiff's is diff(1)'s "trouble"), so
 * the functions that fail take the status to exit with.  Messages go
 * through err(3): "TOOL: ..." on stderr.
 */
#ifndef NSNAP_CLI_H
#define NSNAP_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "graph.h"
#include "store.h"

/* "TOOL VERSION" on stdout, then exit 0: the one version of the build. */
void cli_version(const char *tool) __attribute__((noreturn));

/*
 * getopt_long(3) for nsdiff and nsnap: options may stand before, between
 * and after the words (operands), also when POSIXLY_CORRECT is set, and
 * "--" ends them.  SHORTOPTS must begin with '-': getopt then hands each
 * word back in place, which keeps the order whatever the environment says
 * (a ':' after it asks for ':' on a missing argument, as getopt does).
 * The words are gathered at the front of ARGV, from argv[1] on, in the
 * order given, and counted in *NWORDS (0 before the first call): only
 * slots getopt has passed are written, so argv[optind - 1] still names
 * the option just returned.  Returns the next option, or -1 at the end,
 * when argv[1] to argv[*NWORDS] are the words.
 */
int cli_getopt(int argc, char **argv, const char *shortopts,
	       const struct option *longopts, size_t *nwords);

/* --color: AUTO colors only on a terminal, and never when NO_COLOR is set
 * and not empty (https://no-color.org). */
enum cli_color { CLI_COLOR_AUTO, CLI_COLOR_ALWAYS, CLI_COLOR_NEVER };

/* "auto", "always" or "never": 0; anything else: -1. */
int cli_color_parse(const char *word, enum cli_color *mode);
bool cli_color_wanted(enum cli_color mode);

/*
 * The first N bytes of S (fewer when S ends first; SIZE_MAX: all of it)
 * as the tools show data from a snapshot or the system in human text, on
 * a terminal or not: spelled by text_term_data() (printable ASCII as it
 * is, a backslash as \\, any other byte as \xNN), so that a host name or
 * a label cannot move the cursor, forge a line or command the terminal.
 * A malloc'd string; on ENOMEM "TOOL: ..." and exit STATUS.
 */
char *cli_term_text(const char *s, size_t n, int status);

/*
 * A comma-separated list of namespace type names ("net,uts") as a set of
 * NS_TYPE_BIT()s: 0, or -1 with *BAD and *BADLEN the first word that names
 * no type (an empty word too: "net," and "" are refused).
 */
int cli_ns_types(const char *list, uint32_t *types, const char **bad,
		 int *badlen);

/*
 * Capture warnings in bulk.  As a normal user a capture meets a hundred
 * processes it may not read, each worth a warning from capture; one line
 * per run says so instead ("95 processes could not be read (permission
 * denied); run as root to see them (PIDs 1, 2, 3, 4, 5, ...)"), made from
 * the graph's gaps, and is said again by a recorder that captures every
 * interval only when it changed.  VERBOSE: every warning as capture
 * gives it ("TOOL: warning: ..."), and no summary.  Pass cli_capture_warn
 * as capture_opts.warn with the struct as its context.
 */
struct cli_warnings {
	bool verbose;
	size_t nheld;         /* warnings of this capture not shown */
	char last[512];       /* the summary said last, "" for none */
};
void cli_capture_warn(void *ctx, const char *msg);

/* After a capture into G: the summary of what it could not read on
 * stderr, unless the same was said last time; then the next capture. */
void cli_capture_summary(struct cli_warnings *w, const struct graph *g);

/* GIVEN, else the default store's path; when there is none, exit STATUS
 * with "no store: give --store or set NSNAP_STORE". */
const char *cli_store_path(const char *given, int status);

/*
 * --foreign=WORD: "copy" makes every later cli_store_open() read the store
 * from a private copy (STORE_FOREIGN), for a store another user controls;
 * 0, or -1 for any other word.  Only for tools and commands that open
 * their store read-only (nsnap's command table says which).
 */
int cli_foreign_parse(const char *word);
/* Whether --foreign=copy was given: the store is someone else's, and
 * what it says (its settings) chooses nothing for the caller. */
bool cli_foreign(void);

/* The store at PATH (NULL: the default one) opened with FLAGS
 * (store_open), and STORE_FOREIGN after --foreign=copy; on failure "PATH:
 * why" and exit STATUS ("why" alone when it names the file: a refusal of
 * fsafe.h; for a reader, when there is nothing at PATH, that there is no
 * store yet and that 'nsnap record' makes one). */
struct store *cli_store_open(const char *path, unsigned flags, int status);

/* After store call RC failed for SELECTOR: close S (when not NULL), say
 * "snapshot 'SELECTOR': why" and exit STATUS. */
void cli_snapshot_fail(struct store *s, const char *selector, int rc,
		       int status) __attribute__((noreturn));

/* The id SELECTOR names in S; on failure as cli_snapshot_fail. */
uint64_t cli_resolve(struct store *s, const char *selector, int status);

/* The snapshot SELECTOR names in S, its id in *ID (when not NULL); on
 * failure as cli_snapshot_fail.  Free it with graph_free. */
struct graph *cli_load(struct store *s, const char *selector, uint64_t *id,
		       int status);

/* The whole of FILE ("-": standard input) in a malloc'd buffer, *LEN
 * bytes and a NUL after them: 0, or -errno (-EISDIR for a directory,
 * -EFBIG past 1 GiB). */
int cli_read_file(const char *file, char **out, size_t *len);

/*
 * Does SELECTOR name an export file (nsnap export) rather than a snapshot
 * of the store?  It does when it holds a '/' or ends in ".json" or
 * ".ndjson", and a file of that name exists: "./before.json",
 * "/tmp/x.ndjson", "after.json".  A label of that shape is then out of
 * reach unless no such file exists.
 */
bool cli_is_file(const char *selector);

/* The snapshot in export file PATH, read as nsnap import reads it, into
 * memory only; on failure "PATH: why" and exit STATUS. */
struct graph *cli_load_file(const char *path, int status);

#endif
