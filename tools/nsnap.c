/*
 * nsnap — record snapshots of the namespace graph, list and inspect them,
 * and look after the store: verify, prune, copy, export, import.
 *
 *   nsnap [record] [--label TEXT] [--interval D [--count N]] [--keep N]
 *   nsnap list [--json]             one line (or object) per snapshot
 *   nsnap info SELECTOR             one snapshot's header in full
 *   nsnap verify [SELECTOR]         re-hash everything, name the damaged
 *   nsnap prune --keep N | --before TIME | SELECTOR...
 *   nsnap copy DEST                 compact copy of the store (alias backup)
 *   nsnap export SELECTOR [--format=json|ndjson] [-o FILE]
 *   nsnap import FILE...
 *
 * Options may stand before, between and after the command and its words,
 * also with POSIXLY_CORRECT set; "--" ends them (cli_getopt).  Which
 * command takes which option is said once, in the command table at the
 * end, and checked in one place.  Exit 0 on success, 1 on an error (for
 * verify: a damaged snapshot), 2 on a usage error; messages go to stderr
 * as "nsnap: ...".  Progress is a single updating line on stderr when stderr
 * is a terminal; -q silences it, notes and capture warnings.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "cli.h"
#include "export.h"
#include "graph.h"
#include "store.h"
#include "text.h"

static const char usage_text[] =
"Usage: nsnap [record] [--label TEXT] [--interval DURATION [--count N]]\n"
"             [--keep N] [-q] [--store PATH]\n"
"       nsnap list [--json] [--store PATH]\n"
"       nsnap info SELECTOR [--store PATH]\n"
"       nsnap verify [SELECTOR] [-q] [--store PATH]\n"
"       nsnap prune --keep N | --before TIME | SELECTOR... [--dry-run] [-q]\n"
"                   [--store PATH]\n"
"       nsnap copy DEST [-q] [--store PATH]\n"
"       nsnap export SELECTOR [--format=json|ndjson] [-o FILE] [--store PATH]\n"
"       nsnap import FILE... [-q] [--store PATH]\n"
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
"  verify [SEL]    re-hash every record of one or all snapshots; name the\n"
"                  damaged ones (exit 1 when there is one)\n"
"  prune           remove snapshots, then every record no other one uses\n"
"  copy DEST       compact, consistent copy of the store into directory\n"
"                  DEST, also while it is in use (alias: backup)\n"
"  export SELECTOR write one snapshot as a JSON document\n"
"  import FILE...  add exported snapshots to the store; prints their ids\n"
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
"  --format F      json (one document, the default) or ndjson (export)\n"
"  -o, --output FILE  write the export to FILE, whole or not at all\n"
"  --json          print the list as JSON (list)\n"
"  -q, --quiet     no progress, notes or capture warnings on stderr\n"
"  --store PATH    the store directory (default: $NSNAP_STORE, else\n"
"                  /var/lib/nsnap for root, else $XDG_STATE_HOME/nsnap)\n"
"  -h, --help      show this text\n"
"  --version       show the version\n"
"\n"
"Options may come before, between and after the command and its words;\n"
"\"--\" ends them.\n"
"\n"
"A SELECTOR is a snapshot id, \"latest\", \"latest~N\", a label, or a time\n"
"YYYY-MM-DDTHH:MM[:SS] (local; with a trailing Z, UTC) meaning the last\n"
"snapshot taken at or before it.\n";

static void usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

static void usage_error(const char *fmt, ...)
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

/* Rewrite the progress line; at most ten times a second unless FORCE, so
 * that a fast loop does not spend its time on the terminal. */
__attribute__((format(printf, 2, 3)))
static void progress(bool force, const char *fmt, ...)
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

/* Before anything else goes to stderr: the line is not part of the log. */
static void progress_clear(void)
{
	if (progress_shown) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		progress_shown = false;
	}
}

/* Adapter for the store's progress reports; CTX is the command's name. */
static void store_progress(const char *what, uint64_t done, uint64_t total,
			   void *ctx)
{
	progress(done == total, "%s: %" PRIu64 "/%" PRIu64 " %s",
		 (const char *)ctx, done, total, what);
}

/* Something worth telling that is not an error: silenced by -q. */
__attribute__((format(printf, 1, 2)))
static void note(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	progress_clear();
	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 1, 2)))
static void warn_msg(const char *fmt, ...)
{
	va_list ap;

	progress_clear();
	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
}

static void fail(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

static void fail(const char *fmt, ...)
{
	va_list ap;

	progress_clear();
	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
	exit(1);
}

/* ---- output helpers ----------------------------------------------------- */

/* Seconds and nanoseconds of NS, rounding toward minus infinity. */
static time_t split_ns(int64_t ns, long *frac)
{
	int64_t s = ns / 1000000000, f = ns % 1000000000;

	if (f < 0) {
		s--;
		f += 1000000000;
	}
	if (frac)
		*frac = (long)f;
	return (time_t)s;
}

/* YYYY-MM-DDTHH:MM:SS in local time: the selector syntax, so it can be
 * pasted back.  (UTC goes through text_rfc3339.) */
static const char *fmt_time(int64_t ns, char *buf, size_t size)
{
	time_t t = split_ns(ns, NULL);
	struct tm tm;

	if (!localtime_r(&t, &tm) ||
	    !strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm))
		snprintf(buf, size, "?");
	return buf;
}

/* Local time to the nanosecond, with the offset. */
static const char *fmt_time_full(int64_t ns, char *buf, size_t size)
{
	long frac;
	time_t t = split_ns(ns, &frac);
	struct tm tm;
	char a[32], z[8];

	if (!localtime_r(&t, &tm) || !strftime(a, sizeof(a), "%Y-%m-%dT%H:%M:%S", &tm) ||
	    !strftime(z, sizeof(z), "%z", &tm))
		snprintf(buf, size, "?");
	else
		snprintf(buf, size, "%s.%09ld%s", a, frac, z);
	return buf;
}

/* Strings in list --json follow the project's one JSON rule (text.h). */
static void json_str(const char *s)
{
	text_json_string(stdout, s);
}

static void hexdump(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
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
	const char *output;     /* export -o; NULL or "-": standard output */
};

static void capture_warn(void *ctx, const char *msg)
{
	(void)ctx;
	if (quiet)
		return;
	progress_clear();
	fprintf(stderr, "nsnap: warning: %s\n", msg);
}

static const char *plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

/* What a prune left undone, for both prune and record --keep. */
static void prune_warn(const struct store_prune_result *r)
{
	if (r->unreadable)
		warn_msg("warning: %" PRIu64 " remaining snapshot%s could not be "
			 "read, so no record was removed (see 'nsnap verify'; "
			 "prune or re-record them)", r->unreadable,
			 plural(r->unreadable));
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
	};
	struct graph *g;
	uint64_t id;
	int rc;

	progress(true, "record: capturing");
	rc = capture_live(&opts, &g);
	if (rc) {
		store_close(s);
		fail("capture failed: %s", strerror(-rc));
	}
	progress(true, "record: storing %zu processes, %zu threads",
		 g->nprocs, g->ntasks);
	rc = store_put(s, g, label, &id);
	graph_free(g);
	progress_clear();
	if (rc) {
		store_close(s);
		fail("%s: cannot store the snapshot: %s", path, store_strerror(rc));
	}
	printf("%" PRIu64 "\n", id);
	/* Each id as it comes, also into a pipe. */
	if (fflush(stdout) || ferror(stdout)) {
		store_close(s);
		fail("standard output: %s", strerror(errno));
	}
}

static void prune_keep(struct store *s, const char *path, uint64_t keep)
{
	struct store_prune_opts o = {
		.keep_set = true,
		.keep = keep,
		.progress = store_progress,
		.progress_ctx = "prune",
	};
	struct store_prune_result r;
	int rc = store_prune(s, &o, &r);

	progress_clear();
	if (rc) {
		store_close(s);
		fail("%s: cannot prune: %s", path, store_strerror(rc));
	}
	prune_warn(&r);
	if (r.snapshots)
		note("pruned %" PRIu64 " snapshot%s, %" PRIu64 " record%s; "
		     "%" PRIu64 " remain", r.snapshots, plural(r.snapshots),
		     r.records, plural(r.records), r.remaining);
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
			progress(true, "record: %" PRIu64 " snapshot%s taken, "
				 "next in %s", taken, plural(taken),
				 fmt_wait(left, buf, sizeof(buf)));
		int sig = sigtimedwait(stop, NULL, &ts);
		if (sig > 0)
			return sig;
		/* EAGAIN: the step is over; EINTR: some other signal. */
		if (!step)
			return 0;
	}
}

static int cmd_record(const struct run *r)
{
	const char *path = r->store;
	const struct record_opts *o = &r->record;
	sigset_t stop;
	uint64_t taken = 0;
	int64_t next;
	int sig = 0;
	/* Open first: a bad store is better told before a whole capture. */
	struct store *s = cli_store_open(path, STORE_CREATE, 1);

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
		fail("cannot block signals: %s", strerror(errno));
	next = mono_ns();
	for (;;) {
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
			note("a snapshot took longer than the interval: %" PRId64
			     " skipped", missed);
		}
		sig = wait_until(next, &stop, taken);
		if (sig)
			break;
	}
	progress_clear();
	store_close(s);
	if (sig)
		note("stopped by %s after %" PRIu64 " snapshot%s", signame(sig),
		     taken, plural(taken));
	return 0;
}

struct headers {
	struct store_header *h;
	size_t n, cap;
};

static int collect(const struct store_header *h, void *ctx)
{
	struct headers *all = ctx;

	if (all->n == all->cap) {
		size_t cap = all->cap ? all->cap * 2 : 64;
		struct store_header *p = realloc(all->h, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		all->h = p;
		all->cap = cap;
	}
	all->h[all->n++] = *h;
	return 0;
}

static void list_json(const struct headers *all)
{
	char t[40], digest[33];

	fputs("[", stdout);
	for (size_t i = 0; i < all->n; i++) {
		const struct store_header *h = &all->h[i];
		hexdump(h->digest, sizeof(h->digest), digest);
		printf("%s\n  {\"id\": %" PRIu64 ", \"time\": ", i ? "," : "", h->id);
		json_str(text_rfc3339(h->start_ns, false, t, sizeof(t)) ? t : "?");
		/* Nanosecond times pass 2^53: strings, as in every schema of
		 * ours, so that no JSON reader rounds them. */
		printf(", \"start_ns\": \"%" PRId64 "\", \"end_ns\": \"%" PRId64
		       "\", \"label\": ", h->start_ns, h->end_ns);
		if (h->label[0])
			json_str(h->label);
		else
			fputs("null", stdout);
		fputs(", \"host\": ", stdout);
		json_str(h->host);
		fputs(", \"boot_id\": ", stdout);
		json_str(h->boot_id);
		fputs(", \"kernel\": ", stdout);
		json_str(h->kernel);
		printf(", \"namespaces\": %" PRIu64 ", \"processes\": %" PRIu64
		       ", \"threads\": %" PRIu64 ", \"fds\": %" PRIu64
		       ", \"mounts\": %" PRIu64 ", \"pins\": %" PRIu64
		       ", \"gaps\": %" PRIu64 ", \"size\": %" PRIu64
		       ", \"added\": %" PRIu64 ", \"imported\": %s"
		       ", \"original_id\": %" PRIu64 ", \"digest\": \"%s\"}",
		       h->nns, h->nprocs, h->nthreads, h->nfds, h->nmounts,
		       h->npins, h->ngaps, h->size, h->added,
		       h->imported ? "true" : "false", h->original_id, digest);
	}
	fputs(all->n ? "\n]\n" : "]\n", stdout);
}

static int width_of(uint64_t v)
{
	int w = 1;

	while (v >= 10) {
		v /= 10;
		w++;
	}
	return w;
}

static void list_table(const struct headers *all)
{
	int wid = 2, whost = 4;
	char t[40];

	for (size_t i = 0; i < all->n; i++) {
		int w = width_of(all->h[i].id);
		int h = (int)strlen(all->h[i].host);
		wid = w > wid ? w : wid;
		whost = h > whost ? h : whost;
	}
	printf("%*s  %-19s  %-*s  %-8s  %5s  %6s  %7s  %5s  %5s  %s\n",
	       wid, "ID", "TIME", whost, "HOST", "BOOT", "NS", "PROCS",
	       "THREADS", "PINS", "GAPS", "LABEL");
	for (size_t i = 0; i < all->n; i++) {
		const struct store_header *h = &all->h[i];
		printf("%*" PRIu64 "  %-19s  %-*s  %-8.8s  %5" PRIu64 "  %6" PRIu64
		       "  %7" PRIu64 "  %5" PRIu64 "  %5" PRIu64 "  %s\n",
		       wid, h->id, fmt_time(h->start_ns, t, sizeof(t)),
		       whost, h->host[0] ? h->host : "-",
		       h->boot_id[0] ? h->boot_id : "-", h->nns, h->nprocs,
		       h->nthreads, h->npins, h->ngaps,
		       h->label[0] ? h->label : "-");
	}
}

static int cmd_list(const struct run *r)
{
	const char *path = r->store;
	struct headers all = { 0 };
	struct store *s = cli_store_open(path, STORE_RDONLY, 1);
	int rc = store_list(s, collect, &all);

	store_close(s);
	/* A damaged header still lets the others be shown. */
	if (!rc || rc == STORE_ECORRUPT) {
		if (r->json)
			list_json(&all);
		else
			list_table(&all);
	}
	free(all.h);
	if (rc)
		fail("%s: %s", path, store_strerror(rc));
	return 0;
}

static int cmd_info(const struct run *r)
{
	const char *selector = r->words[0];
	struct store_header h;
	struct store *s = cli_store_open(r->store, STORE_RDONLY, 1);
	char t[64], digest[33];
	uint64_t id = cli_resolve(s, selector, 1);
	int rc = store_header(s, id, &h);

	if (rc)
		cli_snapshot_fail(s, selector, rc, 1);
	store_close(s);
	hexdump(h.digest, sizeof(h.digest), digest);
	printf("snapshot    %" PRIu64 "\n", h.id);
	if (h.imported && h.original_id)
		printf("imported    from snapshot %" PRIu64 " of another store\n",
		       h.original_id);
	else if (h.imported)
		printf("imported    from a document that was in no store\n");
	printf("label       %s\n", h.label[0] ? h.label : "-");
	printf("start       %s\n", fmt_time_full(h.start_ns, t, sizeof(t)));
	printf("end         %s (%.3f s)\n", fmt_time_full(h.end_ns, t, sizeof(t)),
	       (double)(h.end_ns - h.start_ns) / 1e9);
	printf("host        %s\n", h.host[0] ? h.host : "-");
	printf("kernel      %s\n", h.kernel[0] ? h.kernel : "-");
	printf("boot id     %s\n", h.boot_id[0] ? h.boot_id : "-");
	printf("namespaces  %" PRIu64 "\n", h.nns);
	printf("processes   %" PRIu64 "\n", h.nprocs);
	printf("threads     %" PRIu64 "\n", h.nthreads);
	printf("pins        %" PRIu64 " (%" PRIu64 " fds, %" PRIu64
	       " bind mounts)\n", h.npins, h.nfds, h.nmounts);
	printf("gaps        %" PRIu64 "\n", h.ngaps);
	printf("size        %" PRIu64 " bytes of records, %" PRIu64 " new\n",
	       h.size, h.added);
	printf("digest      %s\n", digest);
	return 0;
}

/* ---- verify ------------------------------------------------------------- */

struct verify_seen {
	uint64_t checked, tables;   /* snapshots checked, table faults */
};

static int verify_report(const struct store_check *c, void *ctx)
{
	struct verify_seen *seen = ctx;

	if (c->id)
		seen->checked++;
	else
		seen->tables++;
	if (!c->err)
		return 0;
	progress_clear();
	if (c->id)
		printf("snapshot %" PRIu64 ": %s\n", c->id, c->what);
	else
		printf("store: %s\n", c->what);
	fflush(stdout);
	return 0;
}

static void verify_progress(const char *what, uint64_t done, uint64_t total,
			    void *ctx)
{
	(void)ctx;
	store_progress(what, done, total, "verify");
}

static int cmd_verify(const struct run *r)
{
	const char *path = r->store;
	struct store *s = cli_store_open(path, STORE_RDONLY, 1);
	struct verify_seen seen = { 0 };
	uint64_t id = 0, bad = 0;
	int rc;

	if (r->nwords)
		id = cli_resolve(s, r->words[0], 1);
	rc = store_verify(s, id, verify_report, &seen, verify_progress, &bad);
	store_close(s);
	progress_clear();
	if (rc && rc != STORE_ECORRUPT)
		fail("%s: cannot verify%s: %s", path,
		     seen.checked ? " the rest" : "", store_strerror(rc));
	printf("verify: %" PRIu64 " snapshot%s checked, %" PRIu64 " damaged%s\n",
	       seen.checked, plural(seen.checked), bad,
	       seen.tables ? "; the store's own tables are damaged" : "");
	return rc ? 1 : 0;
}

/* ---- prune -------------------------------------------------------------- */

static int cmd_prune(const struct run *run)
{
	const char *path = run->store;
	struct store_prune_opts opts = run->prune, *o = &opts;
	size_t nsel = run->nwords;
	struct store_prune_result r;
	struct store *s;
	uint64_t *ids = NULL;
	int rc;

	if (o->keep_set + o->before_set + (nsel > 0) != 1)
		usage_error("'prune' takes one of --keep N, --before TIME "
			    "or selectors");
	s = cli_store_open(path, 0, 1);
	/* Every selector must name a snapshot, or nothing is removed. */
	if (nsel) {
		ids = calloc(nsel, sizeof(*ids));
		if (!ids) {
			store_close(s);
			fail("%s", strerror(ENOMEM));
		}
	}
	for (size_t i = 0; i < nsel; i++)
		ids[i] = cli_resolve(s, run->words[i], 1);
	o->ids = ids;
	o->nids = nsel;
	o->progress = store_progress;
	o->progress_ctx = "prune";
	rc = store_prune(s, o, &r);
	store_close(s);
	free(ids);
	progress_clear();
	if (rc)
		fail("%s: cannot prune: %s", path, store_strerror(rc));
	prune_warn(&r);
	if (!r.snapshots) {
		printf("nothing to prune: %" PRIu64 " snapshot%s\n", r.remaining,
		       plural(r.remaining));
		return 0;
	}
	printf("%s %" PRIu64 " snapshot%s (", o->dry_run ? "would remove" : "removed",
	       r.snapshots, plural(r.snapshots));
	if (r.first == r.last)
		printf("id %" PRIu64, r.first);
	else
		printf("ids %" PRIu64 " to %" PRIu64, r.first, r.last);
	printf("), %" PRIu64 " record%s (%" PRIu64 " bytes); %" PRIu64 " %s\n",
	       r.records, plural(r.records), r.bytes, r.remaining,
	       o->dry_run ? "would remain" : r.remaining == 1 ? "remains" : "remain");
	return 0;
}

/* ---- copy --------------------------------------------------------------- */

static int cmd_copy(const struct run *r)
{
	const char *path = r->store, *dest = r->words[0];
	struct store_stat st;
	struct store *s;
	int rc;

	if (!*dest)
		usage_error("'%s' takes one destination directory", r->cmd);
	s = cli_store_open(path, STORE_RDONLY, 1);

	progress(true, "copy: writing %s", dest);
	rc = store_copy(s, dest, &st);
	store_close(s);
	progress_clear();
	if (rc == -EEXIST)
		fail("%s: already holds a store", dest);
	if (rc)
		fail("%s: cannot copy to %s: %s", path, dest, store_strerror(rc));
	printf("copied %" PRIu64 " snapshot%s to %s (%" PRIu64 " bytes)\n",
	       st.snapshots, plural(st.snapshots), dest, st.used);
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

static int cmd_export(const struct run *r)
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
		fail("%s: cannot export: %s", out, strerror(-rc));
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

static int cmd_import(const struct run *r)
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

		progress(i + 1 == nfiles, "import: %zu/%zu files", i + 1, nfiles);
		int rc = read_whole(file, &buf, &len);
		if (rc) {
			warn_msg("%s: %s", file, strerror(-rc));
			refused++;
			continue;
		}
		errbuf[0] = '\0';
		rc = export_read(buf, len, &g, &info, errbuf, sizeof(errbuf));
		free(buf);
		if (rc) {
			warn_msg("%s: %s", file, errbuf[0] ? errbuf :
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
			warn_msg("%s: cannot import: %s", file, store_strerror(rc));
			refused++;
			continue;
		}
		printf("%" PRIu64 "\n", id);
	}
	store_close(s);
	progress_clear();
	if (fflush(stdout) || ferror(stdout))
		fail("standard output: %s", strerror(errno));
	return refused ? 1 : 0;
}

/* ---- the command table -------------------------------------------------- */

/*
 * The options that belong to some commands only, one bit each; -q, --store,
 * --help and --version go with every command.  getopt_long returns
 * OPTVAL(o) for option o, and the long name of o is longopts[o].name.
 */
enum {
	OPT_LABEL, OPT_JSON, OPT_INTERVAL, OPT_COUNT, OPT_KEEP, OPT_BEFORE,
	OPT_DRY_RUN, OPT_FORMAT, OPT_OUTPUT,
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
	  TAKES(OPT_COUNT) | TAKES(OPT_KEEP), 0, 0, "takes no argument" },
	{ "list", cmd_list, TAKES(OPT_JSON), 0, 0, "takes no argument" },
	{ "info", cmd_info, 0, 1, 1, "takes one selector" },
	{ "verify", cmd_verify, 0, 0, 1, "takes at most one selector" },
	{ "prune", cmd_prune, TAKES(OPT_KEEP) | TAKES(OPT_BEFORE) |
	  TAKES(OPT_DRY_RUN), 0, SIZE_MAX, NULL },
	{ "copy", cmd_copy, 0, 1, 1, "takes one destination directory" },
	{ "backup", cmd_copy, 0, 1, 1, "takes one destination directory" },
	{ "export", cmd_export, TAKES(OPT_FORMAT) | TAKES(OPT_OUTPUT), 1, 1,
	  "takes one selector" },
	{ "import", cmd_import, 0, 1, SIZE_MAX, "takes one or more files" },
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
			usage_error("option '%s' needs an argument", argv[optind - 1]);
		default:
			if (c >= OPTVAL(0) && c < OPTVAL(NCMD_OPTS)) {
				given[c - OPTVAL(0)] = optarg ? optarg : "";
				break;
			}
			/* optopt: a short option's letter, else 0 or a long
			 * option's value. */
			if (optopt > ' ' && optopt < 0x7f)
				usage_error("unknown option '-%c'", optopt);
			if (optopt)
				usage_error("option '%s' takes no argument",
					    argv[optind - 1]);
			usage_error("unknown option '%s'", argv[optind - 1]);
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
	usage_error("unknown command '%s'", r->cmd);
}

/* The one check that each option given belongs to the command. */
static void check_options(const struct command *cmd, const char **given)
{
	char buf[128];

	for (unsigned o = 0; o < NCMD_OPTS; o++)
		if (given[o] && !(cmd->takes & TAKES(o)))
			usage_error("--%s is for %s only", longopts[o].name,
				    takers(o, buf, sizeof(buf)));
	if (given[OPT_COUNT] && !given[OPT_INTERVAL])
		usage_error("--count needs --interval");
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
	if (label && store_label_check(label))
		usage_error("label '%s': %s", label,
			    store_strerror(store_label_check(label)));
	if (interval && !parse_duration(interval, &r->record.interval_ns))
		usage_error("--interval '%s': want a duration such as 30s, 5m, "
			    "1h, 1d, 1h30m, or seconds", interval);
	if (count && (!parse_count(count, &r->record.count) || !r->record.count))
		usage_error("--count '%s': want a number above 0", count);
	if (keep) {
		if (!parse_count(keep, &v) || (is_record && !v))
			usage_error("--keep '%s': want a number%s", keep,
				    is_record ? " above 0" : "");
		r->record.keep_set = r->prune.keep_set = true;
		r->record.keep = r->prune.keep = v;
	}
	if (before && (rc = parse_before(before, &r->prune.before_ns)))
		usage_error("--before '%s': %s", before, rc == STORE_ETIME ?
			    store_strerror(rc) : "want YYYY-MM-DDTHH:MM[:SS][Z] "
			    "or a duration such as 30d");
	r->prune.before_set = before != NULL;
	r->format = EXPORT_JSON;
	if (format && !strcmp(format, "ndjson"))
		r->format = EXPORT_NDJSON;
	else if (format && strcmp(format, "json"))
		usage_error("--format '%s': want json or ndjson", format);
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
		usage_error("'%s' %s", r.cmd, cmd->words);

	if (r.store && !*r.store)
		usage_error("--store needs a path");
	if (!r.store)
		r.store = store_default_path();
	if (!r.store)
		errx(1, "no store location: set NSNAP_STORE or use --store");
	show_progress = !quiet && isatty(STDERR_FILENO);
	return cmd->fn(&r);
}
