/*
 * nsnap_show.c — nsnap list, info and verify: what the store says of its
 * snapshots, as a table, as JSON, one header in full, and the damaged
 * ones by name, with the chain's summary.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "custody.h"
#include "nsnap_int.h"
#include "store.h"
#include "text.h"
#include "vantage.h"

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

/*
 * END - START in seconds.  An imported document may hold any times, and
 * the difference of two int64_t need not fit one: then it is taken from
 * the whole seconds (each within +-9.3e9, so their difference fits) and
 * the fractions apart.
 */
static double span_seconds(int64_t start, int64_t end)
{
	const int64_t ns = 1000000000;
	bool fits = start >= 0 ? end >= INT64_MIN + start
			       : end <= INT64_MAX + start;

	if (fits)
		return (double)(end - start) / 1e9;
	return (double)(end / ns - start / ns) +
	       (double)(end % ns - start % ns) / 1e9;
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

/* ---- list and info ------------------------------------------------------ */

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

/* ", \"custody\": {...}": the content digest, the link to the previous
 * header, the signature (null when none), as export writes them, with
 * the key's id ("key_id") beside the key. */
static void custody_json(const struct custody_block *c)
{
	char hex[2 * CUSTODY_SIG_LEN + 1], id[CUSTODY_KEYID_LEN + 1];

	custody_hex(c->content, CUSTODY_DIGEST_LEN, hex);
	printf(", \"custody\": {\"content\": \"%s\", \"prev\": ", hex);
	if (c->has_prev) {
		custody_hex(c->prev, CUSTODY_DIGEST_LEN, hex);
		printf("\"%s\"", hex);
	} else {
		fputs("null", stdout);
	}
	fputs(", \"signature\": ", stdout);
	if (!c->is_signed) {
		fputs("null}", stdout);
		return;
	}
	custody_key_id(c->key, id);
	custody_hex(c->key, CUSTODY_PK_LEN, hex);
	printf("{\"scheme\": \"ed25519\", \"key_id\": \"%s\", \"key\": "
	       "\"%s\", ", id, hex);
	custody_hex(c->sig, CUSTODY_SIG_LEN, hex);
	printf("\"sig\": \"%s\", \"id\": \"%" PRIu64 "\", \"prev\": ", hex,
	       c->sig_id);
	if (c->sig_has_prev) {
		custody_hex(c->sig_prev, CUSTODY_DIGEST_LEN, hex);
		printf("\"%s\"", hex);
	} else {
		fputs("null", stdout);
	}
	custody_hex(c->sig_store, CUSTODY_STORE_ID_LEN, hex);
	printf(", \"store\": \"%s\"}}", hex);
}

/* The custody block in words, for info. */
static void custody_text(const struct store_header *h)
{
	const struct custody_block *c = &h->custody;
	char hex[2 * CUSTODY_DIGEST_LEN + 1], id[CUSTODY_KEYID_LEN + 1];

	if (!h->chained) {
		printf("custody     none (written before the chain)\n");
		return;
	}
	custody_hex(c->content, CUSTODY_DIGEST_LEN, hex);
	printf("content     %s (BLAKE2b-256)\n", hex);
	if (c->has_prev) {
		custody_hex(c->prev, CUSTODY_DIGEST_LEN, hex);
		printf("prev link   %s\n", hex);
	} else {
		printf("prev link   none (the first snapshot of its store)\n");
	}
	if (!c->is_signed) {
		printf("signed      no\n");
		return;
	}
	char store[2 * CUSTODY_STORE_ID_LEN + 1];
	custody_key_id(c->key, id);
	custody_hex(c->sig_store, CUSTODY_STORE_ID_LEN, store);
	printf("signed      ed25519, key %s, as snapshot %" PRIu64 " of store "
	       "%s\n", id, c->sig_id, store);
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
		       ", \"original_id\": %" PRIu64 ", \"digest\": \"%s\"",
		       h->nns, h->nprocs, h->nthreads, h->nfds, h->nmounts,
		       h->npins, h->ngaps, h->size, h->added,
		       h->imported ? "true" : "false", h->original_id, digest);
		/* Absent when the snapshot does not say: as it always was. */
		struct graph_vantage v = h->vantage;
		v.version = h->vp_version[0] ? h->vp_version : NULL;
		if (v.known) {
			fputs(", \"vantage\": ", stdout);
			vantage_print_json(stdout, &v);
		}
		if (h->chained)
			custody_json(&h->custody);
		fputc('}', stdout);
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

/* A field of a header for the table or info: "-" when empty, else
 * escaped (cli_term_text); at most N bytes of it. */
static char *field(const char *s, size_t n)
{
	return cli_term_text(*s ? s : "-", n, 1);
}

/*
 * The table.  Host names, boot ids and labels may come from a document
 * written anywhere: shown escaped, the host column as wide as the widest,
 * the boot id cut to its first 8 bytes (before escaping).
 */
static void list_table(const struct headers *all)
{
	int wid = 2, whost = 4;
	char t[40];

	for (size_t i = 0; i < all->n; i++) {
		char *host = field(all->h[i].host, SIZE_MAX);
		int w = width_of(all->h[i].id), h = (int)strlen(host);
		wid = w > wid ? w : wid;
		whost = h > whost ? h : whost;
		free(host);
	}
	printf("%*s  %-19s  %-*s  %-8s  %5s  %6s  %7s  %5s  %5s  %s\n",
	       wid, "ID", "TIME", whost, "HOST", "BOOT", "NS", "PROCS",
	       "THREADS", "PINS", "GAPS", "LABEL");
	for (size_t i = 0; i < all->n; i++) {
		const struct store_header *h = &all->h[i];
		char *host = field(h->host, SIZE_MAX), *boot = field(h->boot_id, 8);
		char *label = field(h->label, SIZE_MAX);
		printf("%*" PRIu64 "  %-19s  %-*s  %-8s  %5" PRIu64 "  %6" PRIu64
		       "  %7" PRIu64 "  %5" PRIu64 "  %5" PRIu64 "  %s\n",
		       wid, h->id, fmt_time(h->start_ns, t, sizeof(t)),
		       whost, host, boot, h->nns, h->nprocs, h->nthreads,
		       h->npins, h->ngapped, label);
		free(host);
		free(boot);
		free(label);
	}
}

int cmd_list(const struct run *r)
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
		nsnap_fail("%s: %s", path, store_strerror(rc));
	return 0;
}

/* "NAME        VALUE", the value as field() shows it. */
static void info_field(const char *name, const char *value)
{
	char *text = field(value, SIZE_MAX);

	printf("%-11s %s\n", name, text);
	free(text);
}

/*
 * The snapshot's workloads: how many, then per kind the runtimes with
 * their counts ("container   podman 2, docker 1"), kinds in the model's
 * order, runtimes in the snapshot's (alphabetical).
 */
static void info_workloads(const struct graph *g)
{
	if (!(g->meta.collected & GRAPH_HAVE_WORKLOADS)) {
		printf("workloads   not recorded\n");
		return;
	}
	printf("workloads   %zu\n", g->nworkloads);
	for (unsigned kind = 0; kind < GRAPH_WL_NKINDS; kind++) {
		bool any = false;
		for (size_t i = 0; i < g->nworkloads; i++) {
			const struct graph_workload *w = &g->workloads[i];
			size_t n = 0, k;
			if (w->kind != kind)
				continue;
			/* Counted at its first workload of this kind. */
			for (k = 0; k < i; k++)
				if (g->workloads[k].kind == kind &&
				    !strcmp(g->workloads[k].runtime, w->runtime))
					break;
			if (k < i)
				continue;
			for (k = i; k < g->nworkloads; k++)
				n += g->workloads[k].kind == kind &&
				     !strcmp(g->workloads[k].runtime, w->runtime);
			char *rt = field(w->runtime, SIZE_MAX);
			if (!any)
				printf("  %-9s", graph_workload_kind_name(kind));
			printf("%s %s %zu", any ? "," : " ", rt, n);
			free(rt);
			any = true;
		}
		if (any)
			putchar('\n');
	}
}

int cmd_info(const struct run *r)
{
	const char *selector = r->words[0];
	struct store_header h;
	struct store *s = cli_store_open(r->store, STORE_RDONLY, 1);
	char t[64], digest[33];
	uint64_t id = cli_resolve(s, selector, 1);
	int rc = store_header(s, id, &h);

	if (rc)
		cli_snapshot_fail(s, selector, rc, 1);
	/* The header says what any snapshot holds; its workloads are in
	 * its records. */
	struct graph *g = NULL;
	int load_rc = store_load(s, id, &g);
	store_close(s);
	hexdump(h.digest, sizeof(h.digest), digest);
	printf("snapshot    %" PRIu64 "\n", h.id);
	if (h.imported && h.original_id)
		printf("imported    from snapshot %" PRIu64 " of another store\n",
		       h.original_id);
	else if (h.imported)
		printf("imported    from a document that was in no store\n");
	info_field("label", h.label);
	printf("start       %s\n", fmt_time_full(h.start_ns, t, sizeof(t)));
	printf("end         %s (%.3f s)\n", fmt_time_full(h.end_ns, t, sizeof(t)),
	       span_seconds(h.start_ns, h.end_ns));
	info_field("host", h.host);
	info_field("kernel", h.kernel);
	info_field("boot id", h.boot_id);
	printf("namespaces  %" PRIu64 "\n", h.nns);
	printf("processes   %" PRIu64 "\n", h.nprocs);
	printf("threads     %" PRIu64 "\n", h.nthreads);
	printf("pins        %" PRIu64 " (%" PRIu64 " fds, %" PRIu64
	       " bind mounts)\n", h.npins, h.nfds, h.nmounts);
	printf("gaps        %" PRIu64 "\n", h.ngaps);
	printf("size        %" PRIu64 " bytes of records, %" PRIu64 " new\n",
	       h.size, h.added);
	printf("digest      %s\n", digest);
	custody_text(&h);
	struct graph_vantage v = h.vantage;
	v.version = h.vp_version[0] ? h.vp_version : NULL;
	vantage_print_text(stdout, &v);
	if (load_rc) {
		nsnap_warn("snapshot %" PRIu64 ": %s", h.id,
			   store_strerror(load_rc));
		return 1;
	}
	info_workloads(g);
	graph_free(g);
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
	nsnap_progress_clear();
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
	nsnap_store_progress(what, done, total, "verify");
}

/* One line on the chain and the signatures: how far it reaches, what it
 * crosses, who signed; then the store's id, when it has one, and a line
 * per other store whose signed snapshots are here. */
static void chain_summary(const struct store_chain *c,
			  const struct custody_key *key)
{
	char id[CUSTODY_KEYID_LEN + 1];

	/* A first break at no snapshot (the head, a tombstone's record)
	 * has id 0. */
	if (c->breaks && c->first_break)
		printf("chain: broken at %" PRIu64 " (%" PRIu64 " break%s)",
		       c->first_break, c->breaks, nsnap_plural(c->breaks));
	else if (c->breaks)
		printf("chain: broken (%" PRIu64 " break%s)", c->breaks,
		       nsnap_plural(c->breaks));
	else if (!c->linked)
		printf("chain: none (no snapshot written by an nsnap that "
		       "chains)");
	else
		printf("chain: whole over %" PRIu64 " snapshot%s from %" PRIu64,
		       c->linked, nsnap_plural(c->linked), c->first_linked);
	if (c->before)
		printf("; %" PRIu64 " older snapshot%s before it", c->before,
		       nsnap_plural(c->before));
	if (c->tombs)
		printf("; %" PRIu64 " pruned run%s (%" PRIu64 " snapshot%s) "
		       "crossed by tombstones", c->tombs, nsnap_plural(c->tombs),
		       c->pruned, nsnap_plural(c->pruned));
	printf("; %" PRIu64 " of %" PRIu64 " signed", c->is_signed, c->linked);
	if (c->signed_elsewhere)
		printf(" (%" PRIu64 " in another store: their place is "
		       "vouched for there, not here)", c->signed_elsewhere);
	if (key) {
		custody_key_id(key->pk, id);
		printf(", key %s required", id);
	}
	printf("\n");
	char hex[2 * CUSTODY_STORE_ID_LEN + 1];
	if (c->has_id) {
		custody_hex(c->store_id, CUSTODY_STORE_ID_LEN, hex);
		printf("store id: %s\n", hex);
	}
	/* What of another store is here: a missing id is a snapshot of it
	 * left out, or taken out. */
	for (size_t i = 0; i < c->norigins; i++) {
		const struct store_chain_origin *o = &c->origins[i];
		uint64_t span = o->hi - o->lo + 1, missing = span > o->n ?
				span - o->n : 0;
		custody_hex(o->store, CUSTODY_STORE_ID_LEN, hex);
		printf("signed in store %s: %" PRIu64 " snapshot%s, ids %"
		       PRIu64 "-%" PRIu64 " there, %" PRIu64 " of those not "
		       "here", hex, o->n, nsnap_plural(o->n), o->lo, o->hi,
		       missing);
		/* The same id twice: two forks of that store, or a copy
		 * made to stand in for a snapshot taken out. */
		if (o->again)
			printf(", %" PRIu64 " more at an id already met",
			       o->again);
		putchar('\n');
	}
	if (c->more_origins)
		printf("signed in more stores than these\n");
}

int cmd_verify(const struct run *r)
{
	const char *path = r->store;
	struct store *s = cli_store_open(path, STORE_RDONLY, 1);
	struct verify_seen seen = { 0 };
	uint64_t id = 0, bad = 0;
	int rc;

	struct custody_key key;
	struct store_chain chain = { 0 };

	if (r->key)
		nsnap_public_key("--key", r->key, &key);
	if (r->nwords)
		id = cli_resolve(s, r->words[0], 1);
	/* The chain's breaks are told with the tables; CHAIN is its sum. */
	rc = store_verify_signed(s, id, r->key ? &key : NULL, &chain,
				 verify_report, &seen, verify_progress, &bad);
	store_close(s);
	nsnap_progress_clear();
	if (rc && rc != STORE_ECORRUPT)
		nsnap_fail("%s: cannot verify%s: %s", path,
			   seen.checked ? " the rest" : "", store_strerror(rc));
	printf("verify: %" PRIu64 " snapshot%s checked, %" PRIu64 " damaged%s\n",
	       seen.checked, nsnap_plural(seen.checked), bad,
	       seen.tables ? "; the store's own tables are damaged" : "");
	if (chain.walked)
		chain_summary(&chain, r->key ? &key : NULL);
	return rc ? 1 : 0;
}
