/*
 * nsdiff — what changed in the namespaces between two snapshots (or a
 * snapshot and the live system), and the timeline across a store.
 *
 * Exit status as diff(1): 0 no differences, 1 differences, 2 trouble.  The
 * comparison itself is libcore/diff.c; this file only parses options,
 * loads the two sides and picks the printer.  Options may stand before,
 * between and after the selectors; "--" ends them (cli_getopt).
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "cli.h"
#include "diff.h"
#include "graph.h"
#include "store.h"
#include "vantage.h"

#define EXIT_SAME 0
#define EXIT_DIFFERENT 1
#define EXIT_TROUBLE 2

enum format { FORMAT_LIST, FORMAT_TREE, FORMAT_JSON, FORMAT_DOT, FORMAT_NDJSON };

struct options {
	const char *store_path;
	enum format format;
	bool format_given;
	enum cli_color color;
	bool all;
	bool verbose;
	bool timeline;
	const char *namespaces;
	struct diff_opts diff;
};

static void __attribute__((noreturn)) usage(FILE *out, int status)
{
	fputs(
"Usage:\n"
" nsdiff [options] <A> [<B>]\n"
" nsdiff [options] --timeline [<from> [<to>]]\n"
"\n"
"Show what changed in the namespaces of the system between two snapshots\n"
"recorded by nsnap(8), or between a snapshot and the live system.\n"
"<A> and <B> are snapshot selectors (an id, \"latest\", \"latest~N\", a label,\n"
"a time YYYY-MM-DDTHH:MM), export files (a path with a '/' or ending in .json\n"
"or .ndjson) or \"live\"; <B> defaults to \"live\".\n"
"\n"
"Options:\n"
"     --store <path>         the snapshot store (default: $NSNAP_STORE,\n"
"                              /var/lib/nsnap for root, else $XDG_STATE_HOME/nsnap)\n"
"     --foreign=copy         read a store another user controls from a\n"
"                              private copy (see nsnap(8), FOREIGN STORES)\n"
"     --format <format>      tree (default), list, json, ndjson (one event\n"
"                              row per line) or dot (Graphviz);\n"
"                              with --timeline: text (default), json or ndjson\n"
"     --all                  tree, dot: also show unchanged namespaces\n"
"     --verbose              tree: the whole hierarchy, every member change;\n"
"                              a live side: every capture warning;\n"
"                              tree, list: each copy of a mount pin\n"
"     --color[=<when>]       auto (default), always or never\n"
"     --pidns                only PID namespaces, in their parent hierarchy\n"
"     --namespaces <list>    only these types (comma-separated cgroup, ipc,\n"
"                              mnt, net, pid, time, user, uts); user\n"
"                              namespaces are always compared\n"
"     --no-pids              no process-level changes\n"
"     --search-tasks         members are threads, not processes\n"
"     --deep-scan            also namespaces kept alive by pins, and pin changes\n"
"     --timeline             the events between consecutive snapshots of the\n"
"                              store, from <from> to <to> (default: all)\n"
" -h, --help                 display this help\n"
"     --version              display the version\n"
"\n"
"Options may come before, between and after the selectors; \"--\" ends them.\n"
"Exit status: 0 no differences, 1 differences, 2 trouble.\n"
"See nsdiff(1).\n", out);
	exit(status);
}

static uint32_t parse_types(const char *list)
{
	uint32_t types;
	const char *bad;
	int len;

	if (cli_ns_types(list, &types, &bad, &len))
		errx(EXIT_TROUBLE, "unknown namespace type in --namespaces: '%.*s'",
		     len, bad);
	return types;
}

/* The options; the selectors end up in argv[1] to argv[*nargs]. */
static void parse_options(int argc, char **argv, struct options *o,
			  size_t *nargs)
{
	enum {
		OPT_STORE = 0x100, OPT_FORMAT, OPT_ALL, OPT_COLOR, OPT_PIDNS,
		OPT_NAMESPACES, OPT_NO_PIDS, OPT_SEARCH_TASKS, OPT_DEEP_SCAN,
		OPT_TIMELINE, OPT_VERSION, OPT_FOREIGN, OPT_VERBOSE,
	};
	static const struct option longopts[] = {
		{ "store", required_argument, NULL, OPT_STORE },
		{ "foreign", required_argument, NULL, OPT_FOREIGN },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "all", no_argument, NULL, OPT_ALL },
		{ "verbose", no_argument, NULL, OPT_VERBOSE },
		{ "color", optional_argument, NULL, OPT_COLOR },
		{ "pidns", no_argument, NULL, OPT_PIDNS },
		{ "namespaces", required_argument, NULL, OPT_NAMESPACES },
		{ "no-pids", no_argument, NULL, OPT_NO_PIDS },
		{ "search-tasks", no_argument, NULL, OPT_SEARCH_TASKS },
		{ "deep-scan", no_argument, NULL, OPT_DEEP_SCAN },
		{ "timeline", no_argument, NULL, OPT_TIMELINE },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	/* Our own messages: one line, then exit 2 (getopt's would say
	 * "invalid option" and leave the status to us). */
	opterr = 0;
	while ((c = cli_getopt(argc, argv, "-h", longopts, nargs)) != -1) {
		switch (c) {
		case OPT_STORE:
			o->store_path = optarg;
			break;
		case OPT_FOREIGN:
			if (cli_foreign_parse(optarg))
				errx(EXIT_TROUBLE, "unknown --foreign '%s' (copy)", optarg);
			break;
		case OPT_FORMAT:
			o->format_given = true;
			if (strcmp(optarg, "list") == 0)
				o->format = FORMAT_LIST;
			else if (strcmp(optarg, "tree") == 0)
				o->format = FORMAT_TREE;
			else if (strcmp(optarg, "json") == 0)
				o->format = FORMAT_JSON;
			else if (strcmp(optarg, "dot") == 0)
				o->format = FORMAT_DOT;
			else if (strcmp(optarg, "ndjson") == 0)
				o->format = FORMAT_NDJSON;
			else
				errx(EXIT_TROUBLE, "unknown --format '%s' (list, tree, json, "
				     "ndjson or dot)", optarg);
			break;
		case OPT_ALL:
			o->all = true;
			break;
		case OPT_VERBOSE:
			o->verbose = true;
			break;
		case OPT_COLOR:
			if (!optarg)
				o->color = CLI_COLOR_ALWAYS;
			else if (cli_color_parse(optarg, &o->color))
				errx(EXIT_TROUBLE, "unknown --color '%s' (auto, always or never)",
				     optarg);
			break;
		case OPT_PIDNS:
			o->diff.pidns = true;
			break;
		case OPT_NAMESPACES:
			o->namespaces = optarg;
			o->diff.types = parse_types(optarg);
			break;
		case OPT_NO_PIDS:
			o->diff.no_pids = true;
			break;
		case OPT_SEARCH_TASKS:
			o->diff.search_tasks = true;
			break;
		case OPT_DEEP_SCAN:
			o->diff.deep_scan = true;
			break;
		case OPT_TIMELINE:
			o->timeline = true;
			break;
		case 'h':
			usage(stdout, EXIT_SAME);
		case OPT_VERSION:
			cli_version("nsdiff");
		default:
			if (optopt >= 0x100 || optopt == 0)
				errx(EXIT_TROUBLE, "bad option '%s'; try 'nsdiff --help'",
				     argv[optind - 1]);
			errx(EXIT_TROUBLE, "bad option '-%c'; try 'nsdiff --help'", optopt);
		}
	}
	if (o->namespaces && o->diff.pidns)
		errx(EXIT_TROUBLE, "--namespaces and --pidns cannot be combined");
	if (o->timeline && o->format_given && o->format != FORMAT_JSON &&
	    o->format != FORMAT_NDJSON)
		errx(EXIT_TROUBLE, "--timeline prints events, as text, json or ndjson");
}

/* ---- the two sides ---------------------------------------------------- */

struct side {
	const char *selector;
	char name[32];            /* "live" or the snapshot id */
	int64_t time_ns;
	struct graph *g;
};

/* Open the store once, on first need: "live" against "live" needs none. */
static void open_store(struct options *o, struct store **s)
{
	if (*s)
		return;
	o->store_path = cli_store_path(o->store_path, EXIT_TROUBLE);
	*s = cli_store_open(o->store_path, STORE_RDONLY, EXIT_TROUBLE);
}

/* What a live side's capture could not read: one summary line, or every
 * warning with --verbose. */
static struct cli_warnings capture_warnings;

static void load_side(struct options *o, struct store **s, struct side *side)
{
	uint64_t id;
	int rc;

	if (strcmp(side->selector, "live") == 0) {
		struct capture_opts co = {
			.collect = GRAPH_HAVE_EVERYTHING, .types = NS_ALL_TYPES,
			.proc_root = "/proc", .warn = cli_capture_warn,
			.warn_ctx = &capture_warnings,
			.version = NSNAP_VERSION,
		};
		capture_warnings.verbose = o->verbose;
		rc = capture_live(&co, &side->g);
		if (rc)
			errx(EXIT_TROUBLE, "cannot capture the live system: %s",
			     strerror(-rc));
		cli_capture_summary(&capture_warnings, side->g);
		snprintf(side->name, sizeof(side->name), "live");
		side->time_ns = side->g->meta.start_ns;
		return;
	}
	if (cli_is_file(side->selector)) {
		side->g = cli_load_file(side->selector, EXIT_TROUBLE);
		snprintf(side->name, sizeof(side->name), "file");
		side->time_ns = side->g->meta.start_ns;
		return;
	}
	open_store(o, s);
	side->g = cli_load(*s, side->selector, &id, EXIT_TROUBLE);
	snprintf(side->name, sizeof(side->name), "%" PRIu64, id);
	side->time_ns = side->g->meta.start_ns;
}

/* A host name or boot id of a side, escaped (cli_term_text); "?" for
 * none.  Free it. */
static char *meta_text(const char *s)
{
	return cli_term_text(s ? s : "?", SIZE_MAX, EXIT_TROUBLE);
}

/* Matches across boots or hosts are guesses: say so where it is seen. */
static void warn_not_comparable(const struct diff *d)
{
	const struct graph_meta *a = &d->a->meta, *b = &d->b->meta;
	char *ta, *tb;

	if (d->flags & DIFF_OTHER_HOST) {
		ta = meta_text(a->hostname);
		tb = meta_text(b->hostname);
		warnx("WARNING: the two sides come from different hosts ('%s' and "
		      "'%s'): namespaces and processes are matched by numbers that "
		      "mean nothing across machines", ta, tb);
		free(ta);
		free(tb);
	}
	if (d->flags & DIFF_OTHER_BOOT) {
		ta = meta_text(a->boot_id);
		tb = meta_text(b->boot_id);
		warnx("WARNING: the two sides come from different boots (boot id %s "
		      "and %s): PIDs, inode numbers and namespace IDs are reused "
		      "across boots, every match below is a guess", ta, tb);
		free(ta);
		free(tb);
	}
	/* A side that could not see something shows it as gone. */
	const char *why = vantage_differs(&a->vantage, &b->vantage);
	if (why)
		warnx("WARNING: the two sides come from different vantage points "
		      "(%s): what one could not see shows as a change", why);
}

static int run_diff(struct options *o, size_t nargs, char **args)
{
	struct store *s = NULL;
	struct side a = { .selector = args[0] };
	struct side b = { .selector = nargs > 1 ? args[1] : "live" };
	struct diff d;
	int rc;

	load_side(o, &s, &a);
	load_side(o, &s, &b);
	if (s)
		store_close(s);
	rc = diff_graphs(a.g, b.g, &o->diff, &d);
	if (rc == -EBADMSG)
		errx(EXIT_TROUBLE, "inconsistent snapshot graph (an index out of range)");
	if (rc)
		errx(EXIT_TROUBLE, "cannot compare: %s", strerror(-rc));
	warn_not_comparable(&d);

	struct diff_print_opts po = {
		.color = cli_color_wanted(o->color), .all = o->all,
		.verbose = o->verbose,
		.a_name = a.name, .b_name = b.name,
	};
	switch (o->format) {
	case FORMAT_LIST:
		rc = diff_print_list(stdout, &d, &po);
		break;
	case FORMAT_TREE:
		rc = diff_print_tree(stdout, &d, &po);
		break;
	case FORMAT_JSON:
		rc = diff_print_json(stdout, &d, &po);
		break;
	case FORMAT_DOT:
		rc = diff_print_dot(stdout, &d, &po);
		break;
	case FORMAT_NDJSON:
		rc = diff_print_rows(stdout, &d, &po);
		break;
	}
	/* Only the hierarchy (tree, dot) needs more than the changes. */
	if (rc == -ENODATA)
		errx(EXIT_TROUBLE, "a snapshot lacks what the %s with these options "
		     "needs; try --format=list",
		     o->format == FORMAT_DOT ? "graph" : "tree");
	if (rc)
		errx(EXIT_TROUBLE, "write error: %s", strerror(-rc));
	int status = d.nchanges ? EXIT_DIFFERENT : EXIT_SAME;
	diff_release(&d);
	graph_free(a.g);
	graph_free(b.g);
	return status;
}

/* ---- timeline ----------------------------------------------------------- */

/* A snapshot of the timeline, as its header tells it. */
struct tl_snap {
	uint64_t id;
	int64_t start_ns;
	uint64_t nns;
	char host[256];
	char boot[64];
};

struct range {
	struct tl_snap *v;
	size_t n, cap;
};

static int collect(const struct store_header *h, void *ctx)
{
	struct range *r = ctx;

	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		struct tl_snap *more = realloc(r->v, cap * sizeof(*more));
		if (!more)
			return -ENOMEM;
		r->v = more;
		r->cap = cap;
	}
	struct tl_snap *t = &r->v[r->n++];
	t->id = h->id;
	t->start_ns = h->start_ns;
	t->nns = h->nns;
	memcpy(t->host, h->host, sizeof(t->host));
	memcpy(t->boot, h->boot_id, sizeof(t->boot));
	return 0;
}

/*
 * A lineage: the snapshots of one host, in capture order.  A step is
 * compared with the one before it in its lineage, never with a snapshot
 * of another host that happens to lie between them in time.
 */
struct lineage {
	const char *host;
	const struct tl_snap *last;   /* NULL: none yet */
	struct graph *g;              /* the graph of LOADED, or NULL */
	const struct tl_snap *loaded;
	size_t nprocs;                /* LAST's scanned processes */
};

struct timeline {
	struct options *o;
	struct store *s;
	struct range r;
	struct lineage *lin;          /* one per host seen */
	size_t nlin;
	struct store_quiet *quiet;    /* the index's quiet snapshots */
	size_t nquiet;
};

static struct lineage *lineage_of(struct timeline *t, const char *host)
{
	for (size_t i = 0; i < t->nlin; i++)
		if (!strcmp(t->lin[i].host, host))
			return &t->lin[i];
	struct lineage *l = realloc(t->lin, (t->nlin + 1) * sizeof(*l));
	if (!l)
		errx(EXIT_TROUBLE, "out of memory");
	t->lin = l;
	t->lin[t->nlin] = (struct lineage){ .host = host };
	return &t->lin[t->nlin++];
}

/* Does the index say nothing changed from PREV to SNAP? */
static bool is_quiet(const struct timeline *t, const struct tl_snap *prev,
		     const struct tl_snap *snap)
{
	size_t lo = 0, hi = t->nquiet;

	if (t->o->diff.search_tasks)
		return false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->quiet[mid].id < snap->id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < t->nquiet && t->quiet[lo].id == snap->id &&
	       t->quiet[lo].prev == prev->id;
}

static struct graph *load_id(struct timeline *t, uint64_t id)
{
	struct graph *g;
	int rc = store_load(t->s, id, &g);

	if (rc)
		errx(EXIT_TROUBLE, "snapshot %" PRIu64 ": %s", id, store_strerror(rc));
	return g;
}

/* L's graph is now that of SNAP (G, or loaded). */
static void lineage_keep(struct lineage *l, const struct tl_snap *snap,
			 struct graph *g)
{
	if (l->loaded != snap) {
		graph_free(l->g);
		l->g = g;
		l->loaded = snap;
	}
}

/* One snapshot into the timeline: 1 when it tells of a change. */
static int timeline_step(struct timeline *t, struct diff_timeline *out,
			 size_t i)
{
	const struct tl_snap *snap = &t->r.v[i];
	struct lineage *l = lineage_of(t, snap->host);
	char id[32], base[32];
	struct diff d;
	bool have_d = false;
	int changed = 0, rc;

	snprintf(id, sizeof(id), "%" PRIu64, snap->id);
	struct diff_step st = {
		.at = { .time_ns = snap->start_ns, .id = id },
		.host = snap->host, .boot = snap->boot, .nns = snap->nns,
		.lineage = i > 0 && strcmp(t->r.v[i - 1].host, snap->host),
		.kind = DIFF_STEP_DIFF,
	};
	if (l->last) {
		snprintf(base, sizeof(base), "%" PRIu64, l->last->id);
		st.base = base;
		st.base_boot = l->last->boot;
	}
	if (!l->last) {
		st.kind = DIFF_STEP_NEW;
	} else if (strcmp(l->last->boot, snap->boot)) {
		st.kind = DIFF_STEP_REBOOT;
		changed = 1;
	} else if (is_quiet(t, l->last, snap)) {
		/* The same processes as the one before: its count; nothing
		 * to load, nothing to compare. */
		st.nprocs = l->nprocs;
	}
	struct graph *g = NULL;
	if (st.kind != DIFF_STEP_DIFF || !is_quiet(t, l->last, snap)) {
		g = load_id(t, snap->id);
		st.at.g = g;
		st.nns = g->nns;
		st.nprocs = diff_scanned_procs(g);
		if (st.kind == DIFF_STEP_DIFF) {
			if (l->loaded != l->last)
				lineage_keep(l, l->last, load_id(t, l->last->id));
			rc = diff_graphs(l->g, g, &t->o->diff, &d);
			if (rc)
				errx(EXIT_TROUBLE, "snapshot %s: cannot compare: %s", id,
				     rc == -EBADMSG ? "inconsistent graph" : strerror(-rc));
			have_d = true;
			st.d = &d;
			changed = d.nchanges != 0;
		}
	}
	rc = diff_timeline_add(out, &st);
	if (have_d)
		diff_release(&d);
	if (rc)
		errx(EXIT_TROUBLE, "write error: %s", strerror(-rc));
	/* The base of the next step, once this one no longer needs its own. */
	if (g)
		lineage_keep(l, snap, g);
	l->last = snap;
	l->nprocs = st.nprocs;
	return changed;
}

/* The position of snapshot ID in capture order. */
static size_t position(const struct range *r, uint64_t id)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].id == id)
			return i;
	return SIZE_MAX;
}

static int run_timeline(struct options *o, size_t nargs, char **args)
{
	struct timeline t = { .o = o };
	struct diff_timeline *out;
	size_t from = 0, to = SIZE_MAX;
	bool changed = false;
	int rc;

	open_store(o, &t.s);
	rc = store_list_ordered(t.s, collect, &t.r);
	if (rc)
		errx(EXIT_TROUBLE, "%s: %s", o->store_path, store_strerror(rc));
	if (nargs > 0)
		from = position(&t.r, cli_resolve(t.s, args[0], EXIT_TROUBLE));
	if (nargs > 1)
		to = position(&t.r, cli_resolve(t.s, args[1], EXIT_TROUBLE));
	if (from != SIZE_MAX && to != SIZE_MAX && from > to)
		errx(EXIT_TROUBLE, "'%s' comes after '%s'", args[0], args[1]);
	rc = store_quiet(t.s, &t.quiet, &t.nquiet);
	if (rc)
		errx(EXIT_TROUBLE, "%s: %s", o->store_path, store_strerror(rc));
	rc = diff_timeline_begin(stdout, o->format == FORMAT_JSON ? DIFF_SERIES_JSON :
				 o->format == FORMAT_NDJSON ? DIFF_SERIES_NDJSON :
				 DIFF_SERIES_TEXT, &out);
	if (rc)
		errx(EXIT_TROUBLE, "%s", strerror(-rc));
	for (size_t i = from; i < t.r.n && i <= to; i++)
		changed |= timeline_step(&t, out, i);
	rc = diff_timeline_end(out);
	if (rc)
		errx(EXIT_TROUBLE, "write error: %s", strerror(-rc));
	for (size_t i = 0; i < t.nlin; i++)
		graph_free(t.lin[i].g);
	free(t.lin);
	free(t.quiet);
	free(t.r.v);
	store_close(t.s);
	return changed ? EXIT_DIFFERENT : EXIT_SAME;
}

int main(int argc, char **argv)
{
	struct options o = { .format = FORMAT_TREE };
	size_t nargs = 0;

	parse_options(argc, argv, &o, &nargs);
	if (o.timeline) {
		if (nargs > 2)
			errx(EXIT_TROUBLE, "--timeline takes at most two selectors");
		return run_timeline(&o, nargs, argv + 1);
	}
	if (nargs < 1 || nargs > 2)
		errx(EXIT_TROUBLE, "%s; try 'nsdiff --help'",
		     nargs < 1 ? "no snapshot to compare" : "too many arguments");
	return run_diff(&o, nargs, argv + 1);
}
