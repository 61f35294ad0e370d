/*
 * nsnap_int.h — what the files of nsnap share, and nothing else sees.
 *
 * Owns the seams between nsnap.c (main, the command table, record and
 * prune), nsnap_show.c (list, info and verify: what the store says of its
 * snapshots), nsnap_xfer.c (copy, export, import and verify-export:
 * snapshots into and out of the store) and nsnap_keys.c (keygen, config,
 * the keys the others are given): one invocation as main() understood it,
 * the commands' entry points, and the messages and progress line every
 * command uses (nsnap.c keeps them).  The Makefile links tools/nsnap_*.c
 * into nsnap alone.
 */
#ifndef NSNAP_NSNAP_INT_H
#define NSNAP_NSNAP_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "export.h"
#include "store.h"

struct record_opts {
	const char *label;
	int64_t interval_ns;    /* 0: once */
	uint64_t count;         /* with an interval; 0: until stopped */
	bool keep_set;
	uint64_t keep;
};

/* One invocation as main() understood it: what every command reads. */
struct run {
	const char *cmd;        /* the command word as given: "backup" too */
	const char *store;      /* the store's path */
	char **words;           /* the words after the command word */
	size_t nwords;
	struct record_opts record;
	struct store_prune_opts prune;
	bool json;
	enum export_format format;
	bool rows;              /* export --format=rows */
	const char *table;      /* export --table; NULL: every table */
	const char *output;     /* export -o; NULL or "-": standard output */
	bool manifest;          /* export --manifest: FILE.sha256 beside it */
	const char *sign;       /* record, export --manifest: --sign KEYFILE */
	const char *key;        /* verify, verify-export: --key PUBKEY */
	const char *require_sig; /* import --require-signature PUBKEY */
	bool unset;             /* config --unset */
};

/* The commands (the table in nsnap.c names them); each returns the exit
 * status, or exits itself through nsnap_fail(). */
int cmd_record(const struct run *r);
int cmd_prune(const struct run *r);
int cmd_list(const struct run *r);
int cmd_info(const struct run *r);
int cmd_verify(const struct run *r);
int cmd_copy(const struct run *r);
int cmd_export(const struct run *r);
int cmd_import(const struct run *r);
int cmd_verify_export(const struct run *r);
int cmd_keygen(const struct run *r);
int cmd_config(const struct run *r);

/* ---- keys (nsnap_keys.c) ------------------------------------------------ */

struct store;
struct custody_key;

/* The secret key of --sign PATH, else of the store's sign-key setting:
 * 1 and *K, 0 when neither says one; a key that cannot be loaded ends the
 * run with a message naming the file (exit 1). */
int nsnap_signer(struct store *s, const char *sign, struct custody_key *k);
/* The public key PATH_OR_HEX names (a public or secret key file, or 64
 * hex digits) for OPTION ("--key"): a bad one ends the run (exit 2). */
void nsnap_public_key(const char *option, const char *path_or_hex,
		      struct custody_key *k);

/* ---- messages (nsnap.c) ------------------------------------------------- */

/* "nsnap: ...", the hint to try --help, exit 2. */
void nsnap_usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

/* "nsnap: ..." on stderr, exit 1; the progress line is cleared first. */
void nsnap_fail(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

/* A warning: always shown, after clearing the progress line. */
void nsnap_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Something worth telling that is not an error: silenced by -q. */
void nsnap_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Rewrite the single progress line on stderr (only when stderr is a
 * terminal and not -q); at most ten times a second unless FORCE, so that
 * a fast loop does not spend its time on the terminal.
 */
void nsnap_progress(bool force, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Before anything else goes to stderr or stdout: the line is not part of
 * the output. */
void nsnap_progress_clear(void);

/* The store's progress reports as the progress line; CTX is the command's
 * name. */
void nsnap_store_progress(const char *what, uint64_t done, uint64_t total,
			  void *ctx);

/* "" for 1, "s" for any other N. */
const char *nsnap_plural(uint64_t n);

#endif
