/*
 * nsnap — record snapshots of the namespace graph, list and inspect them,
 * and look after the store: verify, prune, copy, export, import; sign
 * them and check what was signed: keygen, config, verify-export.
 *
 *   nsnap [record] [--label TEXT] [--interval D [--count N]] [--keep N]
 *         [--sign KEYFILE] [--verbose]
 *   nsnap list [--json]             one line (or object) per snapshot
 *   nsnap info SELECTOR             one snapshot's header in full
 *   nsnap verify [SELECTOR] [--key PUBKEY]  re-hash everything, check
 *                                   signatures and the chain, name the
 *                                   damaged
 *   nsnap keygen KEYFILE            an Ed25519 key pair
 *   nsnap config [NAME [VALUE]] [--unset]  the store's settings
 *   nsnap prune --keep N | --before TIME | SELECTOR... [--dry-run]
 *   nsnap copy DEST                 compact copy of the store (alias backup)
 *   nsnap export SELECTOR [--format=json|ndjson|rows] [--table=NAME]
 *                [-o FILE [--manifest [--sign KEYFILE]]]
 *   nsnap import FILE... [--require-signature PUBKEY]
 *   nsnap verify-export FILE [--key PUBKEY]  an export checked alone
 *
 * Options may stand before, between and after the command and its words,
 * also with POSIXLY_CORRECT set; "--" ends them (cli_getopt).  Which
 * command takes which option is said once, in the command table at the
 * end, and checked in one place.  Exit 0 on success, 1 on an error (for
 * verify: a damaged snapshot; for import: a file refused; for
 * verify-export: a check failed), 2 on a usage error; messages go to stderr
 * as "nsnap: ...".  Progress is a single updating line on stderr when stderr
 * is a terminal; -q silences it, notes and capture warnings.
 *
 * This file holds main(), the command table, the messages and record and
 * prune; list, info and verify are in nsnap_show.c, copy, export, import
 * and verify-export in nsnap_xfer.c, keygen and config in nsnap_keys.c
 * (nsnap_int.h joins them).
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "cli.h"
#include "custody.h"
#include "graph.h"
#include "export_rows.h"
#include "nsnap_int.h"
#include "store.h"

static const char usage_text[] =
"Usage: nsnap [record] [--label TEXT] [--interval DURATION [--count N]]\n"
"             [--keep N] [--sign KEYFILE] [--verbose] [-q] [--store PATH]\n"
"       nsnap list [--json] [--foreign=copy] [--store PATH]\n"
"       nsnap info SELECTOR [--foreign=copy] [--store PATH]\n"
"       nsnap verify [SELECTOR] [--key PUBKEY] [-q] [--foreign=copy]\n"
"                    [--store PATH]\n"
"       nsnap keygen KEYFILE\n"
"       nsnap config [NAME [VALUE]] [--unset] [--store PATH]\n"
"       nsnap prune --keep N | --before TIME | SELECTOR... [--dry-run] [-q]\n"
"                   [--store PATH]\n"
"       nsnap copy DEST [-q] [--foreign=copy] [--store PATH]\n"
"       nsnap export SELECTOR [--format=json|ndjson|rows] [--table=NAME]\n"
"                    [-o FILE [--manifest [--sign KEYFILE]]] [--foreign=copy]\n"
"                    [--store PATH]\n"
"       nsnap import FILE... [--require-signature PUBKEY] [-q] [--store PATH]\n"
"       nsnap verify-export FILE [--key PUBKEY]\n"
"\n"
"Record the namespaces of every process and thread, with everything that\n"
"pins a namespace, into a snapshot store; list and inspect the snapshots;\n"
"look after the store.\n"
"\n"
"Commands:\n"
"  record          capture the live system and store it (the default);\n"
"                  prints the new snapshot's id\n"
"  list            list the snapshots\n"
"  info SELECTOR   show one snapshot's header\n"
"  verify [SEL]    re-hash every record of one or all snapshots, check their\n"
"                  signatures and (all) the chain; name the damaged ones\n"
"                  (exit 1 when there is one)\n"
"  prune           remove snapshots, then every record no other one uses\n"
"  copy DEST       compact, consistent copy of the store into directory\n"
"                  DEST, also while it is in use (alias: backup)\n"
"  export SELECTOR write one snapshot as a JSON document\n"
"  import FILE...  add exported snapshots to the store; prints their ids\n"
"  verify-export FILE  check an export without a store: its manifest, the\n"
"                  manifest's signature, its hashes, the snapshot's signature\n"
"  keygen KEYFILE  make an Ed25519 key pair: KEYFILE (0600) and KEYFILE.pub\n"
"  config [NAME [VALUE]]  show or set the store's settings (sign-key:\n"
"                  the key every recorded snapshot is signed with)\n"
"\n"
"Options:\n"
"  --label TEXT    name the new snapshot (record)\n"
"  --interval D    record every D (30s, 5m, 1h, 1d, 1h30m or seconds)\n"
"                  until stopped (SIGINT, SIGTERM) (record)\n"
"  --count N       stop after N snapshots (record --interval)\n"
"  --keep N        keep only the N newest snapshots (prune; record: after\n"
"                  each snapshot)\n"
"  --before TIME   remove the snapshots taken before TIME: a time as in a\n"
"                  selector, or a DURATION ago (prune)\n"
"  --dry-run       say what prune would remove, remove nothing\n"
"  --format F      json (one document, the default), ndjson, or rows (flat\n"
"                  rows for a column store, nsnap-clickhouse(7)) (export)\n"
"  --table NAME    only the rows of table NAME (export --format=rows)\n"
"  -o, --output FILE  write the export to FILE (a regular file whole or\n"
"                  not at all; - for standard output)\n"
"  --manifest      also write FILE.sha256, for sha256sum -c (export); and\n"
"                  FILE.sha256.sig when signing (--sign, the sign-key setting)\n"
"  --sign KEYFILE  sign with this secret key (record; export --manifest)\n"
"  --require-signature PUBKEY  refuse documents not signed by PUBKEY (import)\n"
"  --key PUBKEY    require signatures by PUBKEY (verify, verify-export)\n"
"  --json          print the list as JSON (list)\n"
"  --verbose       every capture warning, not one summary line (record)\n"
"  --unset         remove the setting named (config)\n"
"  -q, --quiet     no progress, notes or capture warnings on stderr\n"
"  --store PATH    the store directory (default: $NSNAP_STORE, else\n"
"                  /var/lib/nsnap for root, else $XDG_STATE_HOME/nsnap)\n"
"  --foreign=copy  read a store another user controls from a private copy\n"
"                  (list, info, verify, copy, export; see nsnap(8))\n"
"  -h, --help      show this text\n"
"  --version       show the version\n"
"\n"
"Options may come before, between and after the command and its words;\n"
"\"--\" ends them.\n"
"\n"
"A SELECTOR is a snapshot id, \"latest\", \"latest~N\", a label, or a time\n"
"YYYY-MM-DDTHH:MM[:SS] (local; with a trailing Z, UTC) meaning the last\n"
"snapshot taken at or before it.\n";

void nsnap_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
	fputs("Try 'nsnap --help' for more information.\n", stderr);
	exit(2);
}

/* ---- progress and notes ------------------------------------------------- */

static bool quiet;
static bool show_progress;     /* stderr is a terminal, and not -q */
static bool progress_shown;    /* a progress line is on the screen */
static int64_t progress_last;

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void nsnap_progress(bool force, const char *fmt, ...)
{
	va_list ap;
	int64_t now;

	if (!show_progress)
		return;
	now = mono_ns();
	if (!force && progress_shown && now - progress_last < 100000000)
		return;
	progress_last = now;
	fputs("\r\033[K", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fflush(stderr);
	progress_shown = true;
}

void nsnap_progress_clear(void)
{
	if (progress_shown) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		progress_shown = false;
	}
}

void nsnap_store_progress(const char *what, uint64_t done, uint64_t total,
			  void *ctx)
{
	nsnap_progress(done == total, "%s: %" PRIu64 "/%" PRIu64 " %s",
		       (const char *)ctx, done, total, what);
}

void nsnap_note(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	nsnap_progress_clear();
	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
}

void nsnap_warn(const char *fmt, ...)
{
	va_list ap;

	nsnap_progress_clear();
	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
}

void nsnap_fail(const char *fmt, ...)
{
	va_list ap;

	nsnap_progress_clear();
	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
	exit(1);
}

/* ---- arguments ---------------------------------------------------------- */

/* A decimal count: digits only, no sign, no overflow. */
static bool parse_count(const char *s, uint64_t *v)
{
	if (!*s)
		return false;
	*v = 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		unsigned d = (unsigned)(*s - '0');
		if (*v > (UINT64_MAX - d) / 10)
			return false;
		*v = *v * 10 + d;
	}
	return true;
}

/*
 * A duration: a number of seconds, or numbers with units s, m, h, d, w run
 * together ("1h30m").  In nanoseconds; at least one second, at most a
 * century: beyond that it is a typo, and the arithmetic stays far from
 * overflow.
 */
static bool parse_duration(const char *s, int64_t *ns)
{
	const int64_t max = 100LL * 366 * 86400;
	const char *text = s;
	int64_t total = 0;

	if (!*s)
		return false;
	while (*s) {
		int64_t n = 0, unit;
		const char *start = s;
		for (; *s >= '0' && *s <= '9'; s++) {
			n = n * 10 + (*s - '0');
			if (n > max)
				return false;
		}
		if (s == start)
			return false;
		switch (*s) {
		case 's': unit = 1; break;
		case 'm': unit = 60; break;
		case 'h': unit = 3600; break;
		case 'd': unit = 86400; break;
		case 'w': unit = 7 * 86400; break;
		case '\0':
			/* Plain seconds: only as the whole of it. */
			if (start != text)
				return false;
			unit = 1;
			break;
		default:
			return false;
		}
		if (*s)
			s++;
		if (n > max / unit || total + n * unit > max)
			return false;
		total += n * unit;
	}
	if (total < 1)
		return false;
	*ns = total * 1000000000;
	return true;
}

/* --before: a time as in a selector, or a duration ago.  0, STORE_ETIME
 * for a time out of range, or STORE_ESELECTOR. */
static int parse_before(const char *s, int64_t *ns)
{
	struct timespec now;
	int64_t ago;
	int rc = store_parse_time(s, ns);

	if (rc != STORE_ESELECTOR)
		return rc;
	if (!parse_duration(s, &ago))
		return rc;
	clock_gettime(CLOCK_REALTIME, &now);
	*ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec - ago;
	return 0;
}

/* ---- commands ----------------------------------------------------------- */

/* What capture could not read: a summary line per snapshot, said again
 * only when it changed (--interval), or every warning with --verbose. */
static struct cli_warnings capture_warnings;

static void capture_warn(void *ctx, const char *msg)
{
	if (quiet)
		return;
	nsnap_progress_clear();
	cli_capture_warn(ctx, msg);
}

const char *nsnap_plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

/* What a prune left undone, for both prune and record --keep. */
static void prune_warn(const struct store_prune_result *r)
{
	if (r->unreadable)
		nsnap_warn("warning: %" PRIu64 " remaining snapshot%s could "
			   "not be read, so no record was removed (see 'nsnap "
			   "verify'; prune or re-record them)", r->unreadable,
			   nsnap_plural(r->unreadable));
}

/* Capture and store one snapshot; its id on stdout. */
static void record_one(struct store *s, const char *path, const char *label)
{
	struct capture_opts opts = {
		.collect = GRAPH_HAVE_EVERYTHING,
		.types = NS_ALL_TYPES,
		.proc_root = "/proc",
		.skip_self = true,
		.warn = capture_warn,
		.warn_ctx = &capture_warnings,
		.version = NSNAP_VERSION,
	};
	struct graph *g;
	uint64_t id;
	int rc;

	nsnap_progress(true, "record: capturing");
	rc = capture_live(&opts, &g);
	if (rc) {
		store_close(s);
		nsnap_fail("capture failed: %s", strerror(-rc));
	}
	if (!quiet) {
		nsnap_progress_clear();
		cli_capture_summary(&capture_warnings, g);
	}
	nsnap_progress(true, "record: storing %zu processes, %zu threads",
		       g->nprocs, g->ntasks);
	rc = store_put(s, g, label, &id);
	graph_free(g);
	nsnap_progress_clear();
	if (rc) {
		store_close(s);
		nsnap_fail("%s: cannot store the snapshot: %s", path,
			   store_strerror(rc));
	}
	printf("%" PRIu64 "\n", id);
	/* Each id as it comes, also into a pipe. */
	if (fflush(stdout) || ferror(stdout)) {
		store_close(s);
		nsnap_fail("standard output: %s", strerror(errno));
	}
}

static void prune_keep(struct store *s, const char *path, uint64_t keep)
{
	struct store_prune_opts o = {
		.keep_set = true,
		.keep = keep,
		.progress = nsnap_store_progress,
		.progress_ctx = "prune",
	};
	struct store_prune_result r;
	int rc = store_prune(s, &o, &r);

	nsnap_progress_clear();
	if (rc) {
		store_close(s);
		nsnap_fail("%s: cannot prune: %s", path, store_strerror(rc));
	}
	prune_warn(&r);
	if (r.snapshots)
		nsnap_note("pruned %" PRIu64 " snapshot%s, %" PRIu64
			   " record%s; %" PRIu64 " remain", r.snapshots,
			   nsnap_plural(r.snapshots), r.records,
			   nsnap_plural(r.records), r.remaining);
}

static const char *signame(int sig)
{
	return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "a signal";
}

/* "in 4m59s", for the progress line while waiting. */
static const char *fmt_wait(int64_t ns, char *buf, size_t size)
{
	int64_t s = (ns + 999999999) / 1000000000;

	if (s >= 3600)
		snprintf(buf, size, "%" PRId64 "h%02" PRId64 "m", s / 3600,
			 s / 60 % 60);
	else if (s >= 60)
		snprintf(buf, size, "%" PRId64 "m%02" PRId64 "s", s / 60, s % 60);
	else
		snprintf(buf, size, "%" PRId64 "s", s);
	return buf;
}

/*
 * Wait until monotonic time DEADLINE or SIGINT/SIGTERM, which are blocked:
 * the signal number, or 0 at the deadline.  Blocked signals stay pending
 * while a snapshot is taken, so a stop request is never lost between the
 * check and the wait, and never cuts a snapshot short.
 */
static int wait_until(int64_t deadline, const sigset_t *stop, uint64_t taken)
{
	char buf[32];

	for (;;) {
		int64_t left = deadline - mono_ns();
		/* Steps of at most a second, so that the countdown moves;
		 * past the deadline, only a look at what is pending. */
		int64_t step = left <= 0 ? 0 : left > 1000000000 ? 1000000000
								 : left;
		struct timespec ts = { (time_t)(step / 1000000000),
				       (long)(step % 1000000000) };
		if (step)
			nsnap_progress(true, "record: %" PRIu64 " snapshot%s "
				       "taken, next in %s", taken,
				       nsnap_plural(taken),
				       fmt_wait(left, buf, sizeof(buf)));
		int sig = sigtimedwait(stop, NULL, &ts);
		if (sig > 0)
			return sig;
		/* EAGAIN: the step is over; EINTR: some other signal. */
		if (!step)
			return 0;
	}
}

/* The key of --sign SIGN, else of the store's setting, as the store's
 * signer (none without either): a snapshot the store should sign is
 * never written unsigned. */
static void arm_signer(struct store *s, const char *sign)
{
	struct custody_key key;
	int rc = 0;

	if (nsnap_signer(s, sign, &key)) {
		rc = store_set_signer(s, &key);
		custody_key_wipe(&key);
	} else {
		store_set_signer(s, NULL);
	}
	if (rc)
		nsnap_fail("cannot sign: %s", store_strerror(rc));
}

int cmd_record(const struct run *r)
{
	const char *path = r->store;
	const struct record_opts *o = &r->record;
	sigset_t stop;
	uint64_t taken = 0;
	int64_t next;
	int sig = 0;
	/* Open first: a bad store is better told before a whole capture. */
	struct store *s = cli_store_open(path, STORE_CREATE, 1);

	arm_signer(s, r->sign);

	if (!o->interval_ns) {
		record_one(s, path, o->label);
		if (o->keep_set)
			prune_keep(s, path, o->keep);
		store_close(s);
		return 0;
	}
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &stop, NULL))
		nsnap_fail("cannot block signals: %s", strerror(errno));
	next = mono_ns();
	for (;;) {
		/* The store's sign-key setting as it is now: one made while
		 * this runs applies from the next snapshot on. */
		if (taken && !r->sign)
			arm_signer(s, NULL);
		record_one(s, path, o->label);
		taken++;
		if (o->keep_set)
			prune_keep(s, path, o->keep);
		if (o->count && taken >= o->count)
			break;
		/* On the schedule; ticks missed while a capture overran are
		 * skipped, not made up in a burst. */
		int64_t now = mono_ns();
		next += o->interval_ns;
		if (next <= now) {
			int64_t missed = (now - next) / o->interval_ns + 1;
			next += missed * o->interval_ns;
			nsnap_note("a snapshot took longer than the interval: "
				   "%" PRId64 " skipped", missed);
		}
		sig = wait_until(next, &stop, taken);
		if (sig)
			break;
	}
	nsnap_progress_clear();
	store_close(s);
	if (sig)
		nsnap_note("stopped by %s after %" PRIu64 " snapshot%s",
			   signame(sig), taken, nsnap_plural(taken));
	return 0;
}

/* ---- prune -------------------------------------------------------------- */

int cmd_prune(const struct run *run)
{
	const char *path = run->store;
	struct store_prune_opts opts = run->prune, *o = &opts;
	size_t nsel = run->nwords;
	struct store_prune_result r;
	struct store *s;
	uint64_t *ids = NULL;
	int rc;

	if (o->keep_set + o->before_set + (nsel > 0) != 1)
		nsnap_usage_error("'prune' takes one of --keep N, --before "
				  "TIME or selectors");
	s = cli_store_open(path, 0, 1);
	/* Every selector must name a snapshot, or nothing is removed. */
	if (nsel) {
		ids = calloc(nsel, sizeof(*ids));
		if (!ids) {
			store_close(s);
			nsnap_fail("%s", strerror(ENOMEM));
		}
	}
	for (size_t i = 0; i < nsel; i++)
		ids[i] = cli_resolve(s, run->words[i], 1);
	o->ids = ids;
	o->nids = nsel;
	o->progress = nsnap_store_progress;
	o->progress_ctx = "prune";
	rc = store_prune(s, o, &r);
	store_close(s);
	free(ids);
	nsnap_progress_clear();
	if (rc)
		nsnap_fail("%s: cannot prune: %s", path, store_strerror(rc));
	prune_warn(&r);
	if (!r.snapshots) {
		printf("nothing to prune: %" PRIu64 " snapshot%s\n", r.remaining,
		       nsnap_plural(r.remaining));
		return 0;
	}
	printf("%s %" PRIu64 " snapshot%s (", o->dry_run ? "would remove" : "removed",
	       r.snapshots, nsnap_plural(r.snapshots));
	if (r.first == r.last)
		printf("id %" PRIu64, r.first);
	else
		printf("ids %" PRIu64 " to %" PRIu64, r.first, r.last);
	printf("), %" PRIu64 " record%s (%" PRIu64 " bytes); %" PRIu64 " %s\n",
	       r.records, nsnap_plural(r.records), r.bytes, r.remaining,
	       o->dry_run ? "would remain" : r.remaining == 1 ? "remains" : "remain");
	if (r.tombs)
		nsnap_note("%s %" PRIu64 " tombstone%s in the chain, so that "
			   "verify reads it across the removed run%s",
			   o->dry_run ? "would leave" : "left", r.tombs,
			   nsnap_plural(r.tombs), nsnap_plural(r.tombs));
	return 0;
}

/* ---- the command table -------------------------------------------------- */

/*
 * The options that belong to some commands only, one bit each; -q, --store,
 * --help and --version go with every command.  getopt_long returns
 * OPTVAL(o) for option o, and the long name of o is longopts[o].name.
 */
enum {
	OPT_LABEL, OPT_JSON, OPT_INTERVAL, OPT_COUNT, OPT_KEEP, OPT_BEFORE,
	OPT_DRY_RUN, OPT_FORMAT, OPT_OUTPUT, OPT_FOREIGN, OPT_VERBOSE, OPT_MANIFEST,
	OPT_TABLE, OPT_SIGN, OPT_KEY, OPT_REQUIRE_SIG, OPT_UNSET,
	NCMD_OPTS,
	OPT_STORE = NCMD_OPTS, OPT_VERSION,
};
#define OPTVAL(o) (0x100 + (o))
#define TAKES(o) (1u << (o))

static const struct option longopts[] = {
	[OPT_LABEL] = { "label", required_argument, NULL, OPTVAL(OPT_LABEL) },
	[OPT_JSON] = { "json", no_argument, NULL, OPTVAL(OPT_JSON) },
	[OPT_INTERVAL] = { "interval", required_argument, NULL, OPTVAL(OPT_INTERVAL) },
	[OPT_COUNT] = { "count", required_argument, NULL, OPTVAL(OPT_COUNT) },
	[OPT_KEEP] = { "keep", required_argument, NULL, OPTVAL(OPT_KEEP) },
	[OPT_BEFORE] = { "before", required_argument, NULL, OPTVAL(OPT_BEFORE) },
	[OPT_DRY_RUN] = { "dry-run", no_argument, NULL, OPTVAL(OPT_DRY_RUN) },
	[OPT_FORMAT] = { "format", required_argument, NULL, OPTVAL(OPT_FORMAT) },
	[OPT_OUTPUT] = { "output", required_argument, NULL, 'o' },
	[OPT_MANIFEST] = { "manifest", no_argument, NULL, OPTVAL(OPT_MANIFEST) },
	[OPT_FOREIGN] = { "foreign", required_argument, NULL, OPTVAL(OPT_FOREIGN) },
	[OPT_VERBOSE] = { "verbose", no_argument, NULL, OPTVAL(OPT_VERBOSE) },
	[OPT_TABLE] = { "table", required_argument, NULL, OPTVAL(OPT_TABLE) },
	[OPT_SIGN] = { "sign", required_argument, NULL, OPTVAL(OPT_SIGN) },
	[OPT_KEY] = { "key", required_argument, NULL, OPTVAL(OPT_KEY) },
	[OPT_REQUIRE_SIG] = { "require-signature", required_argument, NULL,
			      OPTVAL(OPT_REQUIRE_SIG) },
	[OPT_UNSET] = { "unset", no_argument, NULL, OPTVAL(OPT_UNSET) },
	[OPT_STORE] = { "store", required_argument, NULL, OPTVAL(OPT_STORE) },
	[OPT_VERSION] = { "version", no_argument, NULL, OPTVAL(OPT_VERSION) },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/*
 * Each command with its function, the options it takes and the number of
 * words it takes (the message says which).  A later row with the function
 * of an earlier one is another name for it.  prune's words (one of --keep,
 * --before or selectors) and copy's (not empty) are checked by them.
 */
static const struct command {
	const char *name;
	int (*fn)(const struct run *r);
	unsigned takes;
	size_t min_words, max_words;
	const char *words;
} commands[] = {
	{ "record", cmd_record, TAKES(OPT_LABEL) | TAKES(OPT_INTERVAL) |
	  TAKES(OPT_COUNT) | TAKES(OPT_KEEP) | TAKES(OPT_VERBOSE) |
	  TAKES(OPT_SIGN), 0, 0, "takes no argument" },
	{ "list", cmd_list, TAKES(OPT_JSON) | TAKES(OPT_FOREIGN), 0, 0,
	  "takes no argument" },
	{ "info", cmd_info, TAKES(OPT_FOREIGN), 1, 1, "takes one selector" },
	{ "verify", cmd_verify, TAKES(OPT_FOREIGN) | TAKES(OPT_KEY), 0, 1,
	  "takes at most one selector" },
	{ "prune", cmd_prune, TAKES(OPT_KEEP) | TAKES(OPT_BEFORE) |
	  TAKES(OPT_DRY_RUN), 0, SIZE_MAX, NULL },
	{ "copy", cmd_copy, TAKES(OPT_FOREIGN), 1, 1,
	  "takes one destination directory" },
	{ "backup", cmd_copy, TAKES(OPT_FOREIGN), 1, 1,
	  "takes one destination directory" },
	{ "export", cmd_export, TAKES(OPT_FORMAT) | TAKES(OPT_OUTPUT) |
	  TAKES(OPT_FOREIGN) | TAKES(OPT_MANIFEST) | TAKES(OPT_TABLE) |
	  TAKES(OPT_SIGN), 1, 1, "takes one selector" },
	{ "import", cmd_import, TAKES(OPT_REQUIRE_SIG), 1, SIZE_MAX,
	  "takes one or more files" },
	{ "verify-export", cmd_verify_export, TAKES(OPT_KEY), 1, 1,
	  "takes one exported file" },
	{ "keygen", cmd_keygen, 0, 1, 1, "takes one key file to make" },
	{ "config", cmd_config, TAKES(OPT_UNSET), 0, 2,
	  "takes a setting's name and its value" },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static bool is_alias(const struct command *c)
{
	for (const struct command *e = commands; e < c; e++)
		if (e->fn == c->fn)
			return true;
	return false;
}

/* "'record'", "'record' and 'prune'": the commands that take OPT. */
static const char *takers(unsigned opt, char *buf, size_t size)
{
	size_t n = 0, k = 0, len = 0;

	for (size_t i = 0; i < NCOMMANDS; i++)
		n += (commands[i].takes & TAKES(opt)) && !is_alias(&commands[i]);
	buf[0] = '\0';
	for (size_t i = 0; i < NCOMMANDS && len < size; i++) {
		if (!(commands[i].takes & TAKES(opt)) || is_alias(&commands[i]))
			continue;
		k++;
		len += (size_t)snprintf(buf + len, size - len, "%s'%s'",
					k == 1 ? "" : k == n ? " and " : ", ",
					commands[i].name);
	}
	return buf;
}

/* ---- main --------------------------------------------------------------- */

/* Options into GIVEN (a no-argument option as ""), words to the front of
 * ARGV (cli_getopt); --help and --version end the run here. */
static void parse_args(int argc, char **argv, const char **given,
		       struct run *r)
{
	int c;

	opterr = 0;
	/* ':' first: a missing argument is told apart from a bad option. */
	while ((c = cli_getopt(argc, argv, "-:hqo:", longopts, &r->nwords)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		case OPTVAL(OPT_VERSION):
			cli_version("nsnap");
		case OPTVAL(OPT_STORE):
			r->store = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		case 'o':
			given[OPT_OUTPUT] = optarg;
			break;
		case ':':
			nsnap_usage_error("option '%s' needs an argument",
					  argv[optind - 1]);
		default:
			if (c >= OPTVAL(0) && c < OPTVAL(NCMD_OPTS)) {
				given[c - OPTVAL(0)] = optarg ? optarg : "";
				break;
			}
			/* optopt: a short option's letter, else 0 or a long
			 * option's value. */
			if (optopt > ' ' && optopt < 0x7f)
				nsnap_usage_error("unknown option '-%c'",
						  optopt);
			if (optopt)
				nsnap_usage_error("option '%s' takes no "
						  "argument", argv[optind - 1]);
			nsnap_usage_error("unknown option '%s'",
					  argv[optind - 1]);
		}
	}
}

/* The command the first word names (none: record); the rest are its words. */
static const struct command *find_command(char **words, size_t nwords,
					  struct run *r)
{
	r->cmd = nwords ? words[0] : "record";
	r->words = nwords ? words + 1 : words;
	r->nwords = nwords ? nwords - 1 : 0;
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(r->cmd, commands[i].name) == 0)
			return &commands[i];
	nsnap_usage_error("unknown command '%s'", r->cmd);
}

/* The one check that each option given belongs to the command. */
static void check_options(const struct command *cmd, const char **given)
{
	char buf[128];

	for (unsigned o = 0; o < NCMD_OPTS; o++)
		if (given[o] && !(cmd->takes & TAKES(o)))
			nsnap_usage_error("--%s is for %s only",
					  longopts[o].name,
					  takers(o, buf, sizeof(buf)));
	if (given[OPT_COUNT] && !given[OPT_INTERVAL])
		nsnap_usage_error("--count needs --interval");
}

/* The values of the options given, into R. */
static void parse_values(const struct command *cmd, const char **given,
			 struct run *r)
{
	const char *label = given[OPT_LABEL], *interval = given[OPT_INTERVAL];
	const char *count = given[OPT_COUNT], *keep = given[OPT_KEEP];
	const char *before = given[OPT_BEFORE], *format = given[OPT_FORMAT];
	bool is_record = cmd->fn == cmd_record;
	uint64_t v;
	int rc;

	r->record.label = label;
	r->json = given[OPT_JSON] != NULL;
	r->prune.dry_run = given[OPT_DRY_RUN] != NULL;
	r->output = given[OPT_OUTPUT];
	r->sign = given[OPT_SIGN];
	r->key = given[OPT_KEY];
	r->require_sig = given[OPT_REQUIRE_SIG];
	r->unset = given[OPT_UNSET] != NULL;
	capture_warnings.verbose = given[OPT_VERBOSE] != NULL;
	r->manifest = given[OPT_MANIFEST] != NULL;
	if (r->sign && !r->manifest && cmd->fn == cmd_export)
		nsnap_usage_error("--sign is for export --manifest: it signs "
				  "the manifest");
	if (r->manifest && (!r->output || !strcmp(r->output, "-")))
		nsnap_usage_error("--manifest needs --output FILE: a manifest "
				  "names a file");
	if (label && store_label_check(label))
		nsnap_usage_error("label '%s': %s", label,
				  store_strerror(store_label_check(label)));
	if (interval && !parse_duration(interval, &r->record.interval_ns))
		nsnap_usage_error("--interval '%s': want a duration such as "
				  "30s, 5m, 1h, 1d, 1h30m, or seconds",
				  interval);
	if (count && (!parse_count(count, &r->record.count) || !r->record.count))
		nsnap_usage_error("--count '%s': want a number above 0", count);
	if (keep) {
		if (!parse_count(keep, &v) || (is_record && !v))
			nsnap_usage_error("--keep '%s': want a number%s", keep,
					  is_record ? " above 0" : "");
		r->record.keep_set = r->prune.keep_set = true;
		r->record.keep = r->prune.keep = v;
	}
	if (before && (rc = parse_before(before, &r->prune.before_ns)))
		nsnap_usage_error("--before '%s': %s", before,
				  rc == STORE_ETIME ? store_strerror(rc) :
				  "want YYYY-MM-DDTHH:MM[:SS][Z] or a duration "
				  "such as 30d");
	r->prune.before_set = before != NULL;
	/* Only the commands that read their store take it (the table). */
	if (given[OPT_FOREIGN] && cli_foreign_parse(given[OPT_FOREIGN]))
		nsnap_usage_error("--foreign '%s': want copy",
				  given[OPT_FOREIGN]);
	r->format = EXPORT_JSON;
	r->rows = format && !strcmp(format, "rows");
	if (format && !strcmp(format, "ndjson"))
		r->format = EXPORT_NDJSON;
	else if (format && strcmp(format, "json") && !r->rows)
		nsnap_usage_error("--format '%s': want json, ndjson or rows", format);
	r->table = given[OPT_TABLE];
	if (r->table && !r->rows)
		nsnap_usage_error("--table is for --format=rows");
	if (r->table && !export_rows_known(r->table))
		nsnap_usage_error("--table '%s': not a table of nsnap-clickhouse(7)",
				  r->table);
}

int main(int argc, char **argv)
{
	const char *given[NCMD_OPTS] = { NULL };
	struct run r = { NULL };
	const struct command *cmd;

	parse_args(argc, argv, given, &r);
	cmd = find_command(argv + 1, r.nwords, &r);
	check_options(cmd, given);
	parse_values(cmd, given, &r);
	if (r.nwords < cmd->min_words || r.nwords > cmd->max_words)
		nsnap_usage_error("'%s' %s", r.cmd, cmd->words);

	if (r.store && !*r.store)
		nsnap_usage_error("--store needs a path");
	if (!r.store)
		r.store = store_default_path();
	if (!r.store)
		errx(1, "no store location: set NSNAP_STORE or use --store");
	show_progress = !quiet && isatty(STDERR_FILENO);
	return cmd->fn(&r);
}
