/*
 * nsnap — record snapshots of the namespace graph, list and inspect them.
 *
 *   nsnap [record] [--label TEXT]   capture everything, store, print the id
 *   nsnap list [--json]             one line (or object) per snapshot
 *   nsnap info SELECTOR             one snapshot's header in full
 *
 * Options may stand before or after the subcommand, also with
 * POSIXLY_CORRECT set.  Exit 0 on success, 1 on an error, 2 on a usage
 * error; messages go to stderr as "nsnap: ...".
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capture.h"
#include "graph.h"
#include "store.h"

#ifndef NSNAP_VERSION
#define NSNAP_VERSION "0.1"
#endif

static const char usage_text[] =
"Usage: nsnap [record] [--label TEXT] [--store PATH]\n"
"       nsnap list [--json] [--store PATH]\n"
"       nsnap info SELECTOR [--store PATH]\n"
"\n"
"Record the namespaces of every process and thread, with everything that\n"
"pins a namespace, into a snapshot store; list and inspect the snapshots.\n"
"\n"
"Commands:\n"
"  record          capture the live system and store it (the default);\n"
"                  prints the new snapshot's id\n"
"  list            list the snapshots\n"
"  info SELECTOR   show one snapshot's header\n"
"\n"
"Options:\n"
"  --label TEXT    name the new snapshot (record)\n"
"  --json          print the list as JSON (list)\n"
"  --store PATH    the store directory (default: $NSNAP_STORE, else\n"
"                  /var/lib/nsnap for root, else $XDG_STATE_HOME/nsnap)\n"
"  -h, --help      show this text\n"
"  --version       show the version\n"
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

/* YYYY-MM-DDTHH:MM:SS, local or UTC: the selector syntax, so it can be
 * pasted back. */
static const char *fmt_time(int64_t ns, bool utc, char *buf, size_t size)
{
	time_t t = split_ns(ns, NULL);
	struct tm tm;

	if (!(utc ? gmtime_r(&t, &tm) : localtime_r(&t, &tm)) ||
	    !strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm))
		snprintf(buf, size, "?");
	if (utc && strlen(buf) + 2 <= size && strcmp(buf, "?"))
		strcat(buf, "Z");
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

static void json_str(const char *s)
{
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", stdout);
		else if (*p == '\t')
			fputs("\\t", stdout);
		else if (*p < 0x20 || *p == 0x7f)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

static void hexdump(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

/* ---- commands ----------------------------------------------------------- */

static struct store *open_store(const char *path, unsigned flags)
{
	struct store *s;
	int rc = store_open(path, flags, &s);

	if (rc)
		errx(1, "%s: %s", path, store_strerror(rc));
	return s;
}

static void capture_warn(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "nsnap: warning: %s\n", msg);
}

static int cmd_record(const char *path, const char *label)
{
	struct capture_opts opts = {
		.collect = GRAPH_HAVE_EVERYTHING,
		.types = NS_ALL_TYPES,
		.proc_root = "/proc",
		.warn = capture_warn,
	};
	struct store *s;
	struct graph *g;
	uint64_t id;
	int rc;

	/* Open first: a bad store is better told before a whole capture. */
	s = open_store(path, STORE_CREATE);
	rc = capture_live(&opts, &g);
	if (rc) {
		store_close(s);
		errx(1, "capture failed: %s", strerror(-rc));
	}
	rc = store_put(s, g, label, &id);
	graph_free(g);
	store_close(s);
	if (rc)
		errx(1, "%s: cannot store the snapshot: %s", path, store_strerror(rc));
	printf("%" PRIu64 "\n", id);
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
		json_str(fmt_time(h->start_ns, true, t, sizeof(t)));
		printf(", \"start_ns\": %" PRId64 ", \"end_ns\": %" PRId64
		       ", \"label\": ", h->start_ns, h->end_ns);
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
		       ", \"added\": %" PRIu64 ", \"digest\": \"%s\"}",
		       h->nns, h->nprocs, h->nthreads, h->nfds, h->nmounts,
		       h->npins, h->ngaps, h->size, h->added, digest);
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
		       wid, h->id, fmt_time(h->start_ns, false, t, sizeof(t)),
		       whost, h->host[0] ? h->host : "-",
		       h->boot_id[0] ? h->boot_id : "-", h->nns, h->nprocs,
		       h->nthreads, h->npins, h->ngaps,
		       h->label[0] ? h->label : "-");
	}
}

static int cmd_list(const char *path, bool json)
{
	struct headers all = { 0 };
	struct store *s = open_store(path, STORE_RDONLY);
	int rc = store_list(s, collect, &all);

	store_close(s);
	/* A damaged header still lets the others be shown. */
	if (!rc || rc == STORE_ECORRUPT) {
		if (json)
			list_json(&all);
		else
			list_table(&all);
	}
	free(all.h);
	if (rc)
		errx(1, "%s: %s", path, store_strerror(rc));
	return 0;
}

static int cmd_info(const char *path, const char *selector)
{
	struct store_header h;
	struct store *s = open_store(path, STORE_RDONLY);
	char t[64], digest[33];
	uint64_t id;
	int rc = store_resolve(s, selector, &id);

	if (!rc)
		rc = store_header(s, id, &h);
	store_close(s);
	if (rc)
		errx(1, "snapshot '%s': %s", selector, store_strerror(rc));
	hexdump(h.digest, sizeof(h.digest), digest);
	printf("snapshot    %" PRIu64 "\n", h.id);
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

/* ---- main --------------------------------------------------------------- */

int main(int argc, char **argv)
{
	enum { OPT_VERSION = 0x100, OPT_STORE, OPT_LABEL, OPT_JSON };
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ "store", required_argument, NULL, OPT_STORE },
		{ "label", required_argument, NULL, OPT_LABEL },
		{ "json", no_argument, NULL, OPT_JSON },
		{ NULL, 0, NULL, 0 },
	};
	const char *store_path = NULL, *label = NULL;
	const char *args[3];
	size_t nargs = 0;
	bool json = false;
	int c;

	opterr = 0;
	/* Leading '-': words come back in place, so options may follow the
	 * subcommand whatever POSIXLY_CORRECT says. */
	while ((c = getopt_long(argc, argv, "-:h", longopts, NULL)) != -1) {
		switch (c) {
		case 1:
			if (nargs == sizeof(args) / sizeof(args[0]))
				usage_error("too many arguments");
			args[nargs++] = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case OPT_VERSION:
			printf("nsnap %s\n", NSNAP_VERSION);
			return 0;
		case OPT_STORE:
			store_path = optarg;
			break;
		case OPT_LABEL:
			label = optarg;
			break;
		case OPT_JSON:
			json = true;
			break;
		case ':':
			usage_error("option '%s' needs an argument", argv[optind - 1]);
		default:
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
	/* After "--": the rest are words. */
	while (optind < argc) {
		if (nargs == sizeof(args) / sizeof(args[0]))
			usage_error("too many arguments");
		args[nargs++] = argv[optind++];
	}

	const char *cmd = nargs ? args[0] : "record";
	bool is_record = !strcmp(cmd, "record"), is_list = !strcmp(cmd, "list");
	bool is_info = !strcmp(cmd, "info");

	if (!is_record && !is_list && !is_info)
		usage_error("unknown command '%s'", cmd);
	if (label && !is_record)
		usage_error("--label is for 'record' only");
	if (json && !is_list)
		usage_error("--json is for 'list' only");
	if (is_info && nargs != 2)
		usage_error("'info' takes one selector");
	if (!is_info && nargs > 1)
		usage_error("'%s' takes no argument", cmd);
	if (label && store_label_check(label))
		usage_error("label '%s': %s", label,
			    store_strerror(store_label_check(label)));
	if (store_path && !*store_path)
		usage_error("--store needs a path");
	if (!store_path)
		store_path = store_default_path();
	if (!store_path)
		errx(1, "no store location: set NSNAP_STORE or use --store");

	if (is_record)
		return cmd_record(store_path, label);
	if (is_list)
		return cmd_list(store_path, json);
	return cmd_info(store_path, args[1]);
}
