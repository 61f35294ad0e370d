/*
 * nsshow — show namespace memberships, live or from a snapshot, exactly as
 * namespaces_of shows them.
 *
 * Option syntax is that of Go's flag package, which the reference uses: one
 * or two dashes, "-opt=value" or "-opt value", parsing stops at the first
 * word that is not an option (or after "--").  Messages, conflicts and exit
 * statuses are the reference's; the usage text is our own.
 */
#include <err.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "capture.h"
#include "cli.h"
#include "diff.h"
#include "format.h"
#include "graph.h"
#include "render.h"
#include "store.h"
#include "view.h"

static const char usage_text[] =
"Usage: nsshow [options] [--subtree=<pid> | <pid>...]\n"
"\n"
"Show the namespace memberships of processes in the context of the user or\n"
"PID namespace hierarchy, from the live system or from a snapshot recorded\n"
"by nsnap(8).\n"
"\n"
"With PID arguments, show the namespaces of those processes; otherwise, with\n"
"\"--subtree=<pid>\", the subtree of the hierarchy rooted at the namespace of\n"
"that process; otherwise every process on the system.\n"
"\n"
"Options:\n"
"--all-pids\tFor each process, show its PIDs in every PID namespace it\n"
"\t\tis a member of (only with \"--pidns\").\n"
"--deep-scan\tAlso show namespaces pinned by bind mounts, open file\n"
"\t\tdescriptors and 'pid_for_children'/'time_for_children' links.\n"
"--namespaces=<list>\n"
"\t\tShow only these namespace types in the user namespace view:\n"
"\t\tcomma-separated cgroup, ipc, mnt, net, pid, time, user, uts.\n"
"--no-pids\tDo not show the member processes of each namespace.\n"
"--pidns\t\tShow the PID namespace hierarchy instead of the user one.\n"
"--search-tasks\tScan every thread (/proc/PID/task/TID); members are TIDs.\n"
"--show-comm\tShow the command each process runs.\n"
"--subtree=<pid>\tShow the subtree rooted at the namespace of <pid>.\n"
"--workloads\tAnnotate each namespace with its workload (container, pod,\n"
"\t\tmachine, service, session), host name, netns names, NETNSID,\n"
"\t\taddresses and setgroups; with \"--deep-scan\", also show network\n"
"\t\tnamespaces that only a socket keeps alive.\n"
"--cmdline\tShow each process's command line (implies \"--show-comm\").\n"
"--color=<when>\tauto (the default: only on a terminal, never when NO_COLOR\n"
"\t\tis set), always or never.\n"
"--no-color\tSame as --color=never.\n"
"--width=<n>\tWrap PID lists for a terminal of <n> columns (default: the\n"
"\t\twidth of the terminal on stdout, else 80).\n"
"-S, --snapshot=<selector>\n"
"\t\tShow a stored snapshot instead of the live system: an id,\n"
"\t\t\"latest\", \"latest~N\", a label, a time (YYYY-MM-DDTHH:MM), or an\n"
"\t\texport file (a path with a '/' or ending in .json or .ndjson).\n"
"--format=<fmt>\ttree (the default), json (the view as data) or dot (the\n"
"\t\thierarchy for Graphviz).\n"
"--history=<ns>\tThe life of one namespace across every stored snapshot, in\n"
"\t\tcapture order; <ns> is an inode (as lsns prints it), type:inode,\n"
"\t\ttype:[inode], dev:inode or id:N (a kernel namespace ID); text,\n"
"\t\tor --format=json.\n"
"--store=<path>\tThe snapshot store (default: $NSNAP_STORE, /var/lib/nsnap\n"
"\t\tfor root, else $XDG_STATE_HOME/nsnap).\n"
"--foreign=copy\tRead a store another user controls from a private copy\n"
"\t\t(see nsnap(8), FOREIGN STORES).\n"
"--help\t\tShow this text.\n"
"--version\tShow the version.\n"
"\n"
"Options are written as for the reference program, namespaces_of, for which\n"
"nsshow is a drop-in (Go's flag syntax): one or two dashes, a value after\n"
"'=' or as the next word; they end at the first word that is not an option,\n"
"or after \"--\", so they come before the PID arguments.\n"
"\n"
"Syntax notes:\n"
"* No PID arguments may be given with \"--deep-scan\", \"--search-tasks\" or\n"
"  \"--subtree=<pid>\".\n"
"* At most one of \"--namespaces\" and \"--pidns\" may be given.\n"
"* \"--all-pids\" can be given only with \"--pidns\".\n"
"* \"--no-pids\" can't be combined with \"--show-comm\" or \"--all-pids\"\n"
"  (nor with \"--cmdline\").\n";

static void usage(FILE *out, int status)
{
	fputs(usage_text, out);
	exit(status);
}

enum output_format { FORMAT_TREE, FORMAT_JSON, FORMAT_DOT };

struct options {
	bool help, version, no_pids, search_tasks, show_comm, deep_scan, all_pids,
	     pidns, workloads, cmdline;
	enum cli_color color;
	const char *subtree;
	const char *namespaces;
	const char *snapshot;
	const char *store;
	const char *history;
	enum output_format format;
	int width;               /* -1: ask the terminal */
	char **pids;
	size_t npids;
};

/* ---- Go's flag package, as far as the reference relies on it ---------- */

enum flag_kind { FLAG_BOOL, FLAG_STRING };

struct flag {
	const char *name;
	enum flag_kind kind;
	int (*set)(struct options *o, const char *value); /* 0, or -1: invalid */
	bool *boolean;           /* for FLAG_BOOL */
};

static int set_string(const char **dst, const char *value)
{
	*dst = value;
	return 0;
}

static int set_subtree(struct options *o, const char *v) { return set_string(&o->subtree, v); }
static int set_namespaces(struct options *o, const char *v) { return set_string(&o->namespaces, v); }
static int set_snapshot(struct options *o, const char *v) { return set_string(&o->snapshot, v); }
static int set_store(struct options *o, const char *v) { return set_string(&o->store, v); }
static int set_history(struct options *o, const char *v) { return set_string(&o->history, v); }

static int set_foreign(struct options *o, const char *v)
{
	(void)o;
	return cli_foreign_parse(v);
}

static int set_format(struct options *o, const char *v)
{
	if (strcmp(v, "tree") == 0)
		o->format = FORMAT_TREE;
	else if (strcmp(v, "json") == 0)
		o->format = FORMAT_JSON;
	else if (strcmp(v, "dot") == 0)
		o->format = FORMAT_DOT;
	else
		return -1;
	return 0;
}

static int set_color(struct options *o, const char *v)
{
	return cli_color_parse(v, &o->color);
}

static int set_width(struct options *o, const char *v)
{
	char *end;
	errno = 0;
	long w = strtol(v, &end, 10);
	if (errno || end == v || *end || w < 0 || w > 100000)
		return -1;
	o->width = (int)w;
	return 0;
}

/* strconv.ParseBool */
static int parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True" };
	static const char *const no[] = { "0", "f", "F", "FALSE", "false", "False" };

	for (size_t i = 0; i < 6; i++) {
		if (strcmp(v, yes[i]) == 0)
			return *out = true, 0;
		if (strcmp(v, no[i]) == 0)
			return *out = false, 0;
	}
	return -1;
}

static void flag_fail(const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
	usage(stderr, 2);
}

static void parse_options(int argc, char **argv, struct options *o)
{
	bool no_color = false;
	const struct flag flags[] = {
		{ "help", FLAG_BOOL, NULL, &o->help },
		{ "version", FLAG_BOOL, NULL, &o->version },
		{ "no-color", FLAG_BOOL, NULL, &no_color },
		{ "no-pids", FLAG_BOOL, NULL, &o->no_pids },
		{ "search-tasks", FLAG_BOOL, NULL, &o->search_tasks },
		{ "show-comm", FLAG_BOOL, NULL, &o->show_comm },
		{ "deep-scan", FLAG_BOOL, NULL, &o->deep_scan },
		{ "all-pids", FLAG_BOOL, NULL, &o->all_pids },
		{ "pidns", FLAG_BOOL, NULL, &o->pidns },
		{ "workloads", FLAG_BOOL, NULL, &o->workloads },
		{ "cmdline", FLAG_BOOL, NULL, &o->cmdline },
		{ "subtree", FLAG_STRING, set_subtree, NULL },
		{ "namespaces", FLAG_STRING, set_namespaces, NULL },
		{ "color", FLAG_STRING, set_color, NULL },
		{ "width", FLAG_STRING, set_width, NULL },
		{ "snapshot", FLAG_STRING, set_snapshot, NULL },
		{ "S", FLAG_STRING, set_snapshot, NULL },
		{ "store", FLAG_STRING, set_store, NULL },
		{ "format", FLAG_STRING, set_format, NULL },
		{ "history", FLAG_STRING, set_history, NULL },
		{ "foreign", FLAG_STRING, set_foreign, NULL },
	};
	int i = 1;

	o->subtree = o->namespaces = "";
	o->width = -1;
	while (i < argc) {
		char *s = argv[i];
		if (strlen(s) < 2 || s[0] != '-')
			break;
		char *name = s + 1;
		if (s[1] == '-') {
			if (s[2] == '\0') { /* "--" ends the options */
				i++;
				break;
			}
			name = s + 2;
		}
		if (name[0] == '-' || name[0] == '=')
			flag_fail("bad flag syntax: %s%s", s, "");
		i++;

		char *eq = strchr(name + 1, '=');
		size_t name_len = eq ? (size_t)(eq - name) : strlen(name);
		const char *value = eq ? eq + 1 : NULL;
		const struct flag *f = NULL;
		for (size_t k = 0; k < sizeof(flags) / sizeof(flags[0]); k++)
			if (strlen(flags[k].name) == name_len &&
			    strncmp(flags[k].name, name, name_len) == 0)
				f = &flags[k];
		char shown[256];
		snprintf(shown, sizeof(shown), "%.*s", (int)name_len, name);
		if (!f) {
			if (strcmp(shown, "h") == 0)
				usage(stderr, 0); /* as Go's flag package does */
			flag_fail("flag provided but not defined: -%s%s", shown, "");
		}
		if (f->kind == FLAG_BOOL) {
			if (!value) {
				*f->boolean = true;
			} else if (parse_bool(value, f->boolean)) {
				fprintf(stderr, "invalid boolean value \"%s\" for -%s: parse error\n",
					value, shown);
				usage(stderr, 2);
			}
			if (f->boolean == &no_color)
				o->color = no_color ? CLI_COLOR_NEVER : CLI_COLOR_AUTO;
			continue;
		}
		if (!value) {
			if (i >= argc)
				flag_fail("flag needs an argument: -%s%s", shown, "");
			value = argv[i++];
		}
		if (f->set(o, value)) {
			fprintf(stderr, "invalid value \"%s\" for flag -%s: %s\n", value,
				shown, f->set == set_color ? "must be auto, always or never"
				       : f->set == set_format ? "must be tree, json or dot"
				       : f->set == set_foreign ? "must be copy"
							      : "parse error");
			usage(stderr, 2);
		}
	}
	o->pids = argv + i;
	o->npids = (size_t)(argc - i);
}

/* The reference's checks, in its order; messages and usage on stdout. */
static void check_conflicts(const struct options *o)
{
	const char *msg = NULL;

	if (o->help)
		usage(stdout, 0);
	if (o->version)
		cli_version("nsshow");
	if (o->npids && (o->deep_scan || o->search_tasks || *o->subtree))
		msg = "No PID arguments may specified in combination with "
		      "\"--deep-scan\", \"--search-tasks\", or \"--subtree=<pid>\"";
	else if (*o->namespaces && o->pidns)
		msg = "\"--namespaces=<list>\" can't be specified with \"--pidns\"";
	else if (o->all_pids && !o->pidns)
		msg = "\"--all-pids\" can be specified only with \"--pidns\"";
	else if (o->no_pids && (o->show_comm || o->all_pids))
		msg = "\"--no-pids\" can't be combined with \"--show-comm\" or "
		      "\"--all-pids\"";
	else if (o->no_pids && o->cmdline)  /* ours, in the same words */
		msg = "\"--no-pids\" can't be combined with \"--cmdline\"";
	if (msg) {
		puts(msg);
		usage(stdout, 1);
	}
}

static uint32_t namespace_types(const char *list)
{
	uint32_t types;
	const char *bad;
	int len;

	if (!*list)
		return NS_ALL_TYPES;
	if (cli_ns_types(list, &types, &bad, &len)) {
		printf("Bad name in \"--namespaces\" option: %.*s\n", len, bad);
		usage(stdout, 1);
	}
	return types;
}

static int terminal_width(void)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == -1)
		return 80;
	return ws.ws_col;
}

static struct graph *capture_for(const struct view_opts *vo, bool as_data)
{
	/* The view warns about what it leaves out, live or replayed alike;
	 * capture's own warnings would say the same thing twice. */
	struct capture_opts co = { .proc_root = "/proc" };
	struct graph *g;
	int rc;

	view_capture_needs(vo, &co.collect, &co.types);
	/* Data formats carry each member's comm, NStgid and identity and
	 * every namespace's workloads and facts, as --workloads does. */
	if (as_data)
		co.collect |= GRAPH_HAVE_COMM | GRAPH_HAVE_NSTGID |
			      GRAPH_HAVE_IDENTITY | GRAPH_HAVE_WORKLOADS |
			      GRAPH_HAVE_NSFACTS | GRAPH_HAVE_PINS;
	/*
	 * PID words ("self" too) are resolved by capture against the /proc
	 * it reads, which is not getpid()'s PID namespace under `unshare -p
	 * -f` without a /proc of its own.  The subtree's PID may be a
	 * thread the listing hides.
	 */
	if (vo->npids) {
		co.words = (const char *const *)vo->pids;
		co.nwords = vo->npids;
	} else if (vo->subtree) {
		co.words = &vo->subtree;
		co.nwords = 1;
	}
	rc = capture_live(&co, &g);
	if (rc)
		errx(1, "cannot capture the live system: %s", strerror(-rc));
	return g;
}

/* The snapshot SELECTOR names, what the store says of it (for the data
 * formats), and in ORIGIN where its warnings come from: "snapshot 12" or
 * the export file. */
static struct graph *load_snapshot(const char *store_path, const char *selector,
				   struct store_header *h, char *origin,
				   size_t size)
{
	if (cli_is_file(selector)) {
		snprintf(origin, size, "%s", selector);
		return cli_load_file(selector, 1);
	}

	struct store *s = cli_store_open(store_path, STORE_RDONLY, 1);
	uint64_t id;
	struct graph *g = cli_load(s, selector, &id, 1);
	int rc = store_header(s, id, h);

	if (rc)
		cli_snapshot_fail(s, selector, rc, 1);
	snprintf(origin, size, "snapshot %" PRIu64, id);
	store_close(s);
	return g;
}

/* "at capture (ORIGIN, host H): ", escaped: H and a file name are data. */
static char *snapshot_origin(const char *origin, const struct graph *g)
{
	const char *host = g->meta.hostname ? g->meta.hostname : "?";
	char *o = cli_term_text(origin, SIZE_MAX, 1);
	char *h = cli_term_text(host, SIZE_MAX, 1);
	char *at;

	if (asprintf(&at, "at capture (%s, host %s): ", o, h) < 0)
		errx(1, "%s", strerror(ENOMEM));
	free(o);
	free(h);
	return at;
}

/*
 * --history.  The namespace index tells, for every snapshot recorded here,
 * whether the namespace is as in the snapshot before: store_ns_walk()
 * loads only the others, and the ones before them (imported snapshots and
 * those the index does not cover are loaded whole).  When the index
 * cannot be used (the spec names namespaces on several devices, the index
 * is damaged) every snapshot is loaded, as it is when a loaded snapshot
 * turns out damaged, so that it is left out as it always was.
 */
enum { HISTORY_SLOW = 1 };

struct found {
	const struct diff_ns_spec *spec;
	struct ns_key key;
	bool have;
};

/* A namespace the index knows: one that SPEC names, and the only one? */
static int found_one(const struct graph_ns *ns, void *ctx)
{
	struct found *f = ctx;

	if (!diff_ns_spec_match(f->spec, ns))
		return 0;
	if (f->have && (f->key.dev != ns->key.dev || f->key.ino != ns->key.ino))
		return HISTORY_SLOW;
	f->key = ns->key;
	f->have = true;
	return 0;
}

/* The one namespace key SPEC can name here (*have false: none); the
 * store's error, or HISTORY_SLOW when it names several. */
static int history_key(struct store *s, const struct diff_ns_spec *spec,
		       struct ns_key *key, bool *have)
{
	struct found f = { .spec = spec };
	int rc;

	if (spec->kind == DIFF_SPEC_KEY) {
		*key = spec->key;
		*have = true;
		return 0;
	}
	rc = store_ns_keys(s, spec->kind == DIFF_SPEC_ID ? NULL : &spec->key.ino,
			   found_one, &f);
	*have = f.have;
	*key = f.key;
	return rc;
}

/* One snapshot from the index's walk into the history. */
static int history_point(const struct store_ns_point *p, const struct graph *g,
			 bool unchanged, void *ctx)
{
	char name[24];

	snprintf(name, sizeof(name), "%llu", (unsigned long long)p->id);
	return diff_history_add(ctx, &(struct diff_snapshot){
		.time_ns = p->start_ns, .id = name, .g = g,
	}, unchanged);
}

/*
 * The history from the index, into OUT; HISTORY_SLOW when it cannot be
 * (*index_bad: because the index or a snapshot is damaged, which was
 * said).
 */
static int history_indexed(struct store *s, const char *spec, bool json,
			   FILE *out, bool *index_bad)
{
	struct diff_ns_spec sp;
	struct diff_history *h;
	struct ns_key key;
	bool have = false;
	int rc;

	if (diff_ns_spec_parse(spec, &sp))
		return -EINVAL;
	rc = history_key(s, &sp, &key, &have);
	if (!rc && !(rc = diff_history_begin(out, spec, NULL, &h))) {
		if (json)
			diff_history_set_format(h, DIFF_SERIES_JSON);
		rc = store_ns_walk(s, have ? &key : NULL, history_point, h);
		if (!rc)
			return diff_history_end(h);
		diff_history_free(h);
	}
	/* Whatever went wrong, reading every snapshot says it again in its
	 * own words, but for a damaged index. */
	*index_bad = rc == STORE_ECORRUPT;
	if (*index_bad)
		warnx("%s; reading every snapshot", store_strerror(rc));
	return HISTORY_SLOW;
}

/* Every snapshot of the store, in capture order: the history without the
 * index. */
struct series {
	struct store *store;
	struct diff_history *h;
	struct graph *kept;
	int rc;        /* the history's error: stops the walk */
	int err;       /* a snapshot left out */
};

static int add_to_series(const struct store_header *hd, void *ctx)
{
	struct series *se = ctx;
	struct graph *g;
	char name[24];
	int rc = store_load(se->store, hd->id, &g);

	if (rc) {
		warnx("snapshot %llu: %s; left out of the history",
		      (unsigned long long)hd->id, store_strerror(rc));
		se->err = rc;
		return 0;
	}
	snprintf(name, sizeof(name), "%llu", (unsigned long long)hd->id);
	se->rc = diff_history_add(se->h, &(struct diff_snapshot){
		.time_ns = hd->start_ns, .id = name, .g = g,
	}, false);
	graph_free(se->kept);
	se->kept = g;
	return se->rc;
}

static int history_slow(struct store *s, const char *spec, bool json, int *err)
{
	struct series se = { .store = s };
	int rc = diff_history_begin(stdout, spec, NULL, &se.h);

	if (rc)
		return rc;
	if (json)
		diff_history_set_format(se.h, DIFF_SERIES_JSON);
	rc = store_list_ordered(s, add_to_series, &se);
	graph_free(se.kept);
	*err = se.err;
	if (se.rc) {
		diff_history_free(se.h);
		return se.rc;
	}
	if (rc && rc != STORE_ECORRUPT) {
		diff_history_free(se.h);
		errx(1, "cannot list snapshots: %s", store_strerror(rc));
	}
	return diff_history_end(se.h);
}

static int show_history(const struct options *o)
{
	struct store *s = cli_store_open(o->store, STORE_RDONLY, 1);
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	bool index_bad = false, json = o->format == FORMAT_JSON;
	int left_out = 0, rc;

	if (!mem)
		err(1, "out of memory");
	if (o->format == FORMAT_DOT)
		errx(1, "--history prints text or --format=json, not dot");
	/* Into memory first: if the index fails half-way, nothing of it was
	 * printed. */
	rc = history_indexed(s, o->history, json, mem, &index_bad);
	if (fclose(mem))
		rc = -ENOMEM;
	if (rc == HISTORY_SLOW)
		rc = history_slow(s, o->history, json, &left_out);
	else if (!rc || rc == -ENOENT)
		fwrite(text, 1, len, stdout);
	free(text);
	if (rc == -EINVAL)
		warnx("bad namespace '%s': use an inode, type:inode, type:[inode], "
		      "dev:inode or id:N", o->history);
	else if (rc == -ENOENT)
		warnx("namespace %s is in no snapshot", o->history);
	else if (rc)
		warnx("%s", strerror(-rc));
	store_close(s);
	if (fflush(stdout) || ferror(stdout))
		errx(1, "write error");
	return rc || left_out || index_bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	struct view v;
	int rc;

	parse_options(argc, argv, &o);
	check_conflicts(&o);
	if (o.history)
		return show_history(&o);

	bool as_data = o.format != FORMAT_TREE;
	bool show_comm = o.show_comm || o.cmdline;
	struct view_opts vo = {
		.pidns = o.pidns, .search_tasks = o.search_tasks,
		.deep_scan = o.deep_scan, .show_comm = show_comm,
		.all_pids = o.all_pids,
		.show_types = namespace_types(o.namespaces),
		.subtree = *o.subtree ? o.subtree : NULL,
		.pids = o.pids, .npids = o.npids,
		/* The data formats carry every fact --workloads shows;
		 * socket-only namespaces are no part of the reference's
		 * tree, which --deep-scan alone keeps. */
		.workloads = o.workloads || as_data, .cmdline = o.cmdline,
		.socket_pins = o.deep_scan && (o.workloads || as_data),
	};
	struct store_header h = { 0 };
	/* With --subtree the PID arguments are refused above. */
	char origin[PATH_MAX + 32];
	struct graph *g = o.snapshot ? load_snapshot(o.store, o.snapshot, &h,
						     origin, sizeof(origin))
				     : capture_for(&vo, as_data);

	if (o.workloads && !(g->meta.collected & GRAPH_HAVE_WORKLOADS))
		warnx("warning: %s holds no workloads",
		      o.snapshot ? "the snapshot" : "the capture");
	if (o.cmdline && !(g->meta.collected & GRAPH_HAVE_IDENTITY))
		warnx("warning: %s holds no command lines; comms are shown",
		      o.snapshot ? "the snapshot" : "the capture");

	rc = view_build(g, &vo, &v);
	if (rc == -ENODATA)
		errx(1, "the snapshot lacks what these options need");
	if (rc)
		errx(1, "cannot compute the view: %s", strerror(-rc));
	/* Replayed, they speak of the /proc of the capture, not of now. */
	char *at = o.snapshot ? snapshot_origin(origin, g) : NULL;
	for (size_t i = 0; i < v.nwarnings; i++)
		warnx("warning: %s%s", at ? at : "", v.warnings[i]);
	free(at);

	static char outbuf[1 << 16];
	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	struct render_opts ro = {
		.color = cli_color_wanted(o.color), .no_pids = o.no_pids,
		.show_comm = show_comm, .all_pids = o.all_pids,
		.width = o.width >= 0 ? o.width : terminal_width(),
		.escape = isatty(STDOUT_FILENO),
	};
	struct format_snapshot fs = {
		.id = h.id, .label = h.label, .imported = h.imported,
	};
	struct format_opts fo = {
		/* An export file is in no store: no id (ids start at 1). */
		.no_pids = o.no_pids, .snapshot = h.id ? &fs : NULL,
	};
	if (o.format == FORMAT_JSON)
		rc = format_json(stdout, g, &v, &fo);
	else if (o.format == FORMAT_DOT)
		rc = format_dot(stdout, g, &v, &fo);
	else
		rc = render_tree(stdout, g, &v, &ro);
	int status = v.status;
	view_release(&v);
	graph_free(g);
	if (rc)
		errx(1, "write error: %s", strerror(-rc));
	return status;
}
