/*
 * test_series.c — timelines and histories beyond their text: one life for
 * one kernel namespace ID seen again on its boot, the pins of a first
 * sighting, and the JSON rows of both, read back with jansson (hostile
 * strings included), every row with the same flat columns.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "diff.h"
#include "graph.h"
#include "graphbuild.h"

#define HOST_BASE 4026531830u
#define X_INO 4026532300u

/* Snapshot I of a host: the host's eight namespaces, PID 1 in them, and
 * with X_ID (0: none) the UTS namespace X_INO of that ID, held by PID 300
 * (COMM), an fd of it and a bind mount of it. */
static struct graph *snap(int i, const char *boot, uint64_t x_id,
			  const char *comm)
{
	struct graph *g = gb_new();
	struct gb_set s = gb_host(g, HOST_BASE);

	g->meta.hostname = graph_strdup(g, "host1");
	g->meta.boot_id = graph_strdup(g, boot);
	g->meta.kernel = graph_strdup(g, "6.18.0");
	g->meta.start_ns = (1700000000ll + 60 * i) * 1000000000ll;
	for (unsigned t = 0; t < NS_NTYPES; t++)
		gb_id(g, s.ns[t], 10 + t);
	struct graph_proc *p = gb_proc(g, 1, &s);
	p->start_time = 10;
	gb_links_own(&p->links, s.ns, 0);
	gb_thread(g, p, 1);
	if (x_id) {
		struct gb_set x = s;
		x.ns[NS_UTS] = gb_ns(g, X_INO, NS_UTS, s.ns[NS_USER]);
		gb_id(g, x.ns[NS_UTS], x_id);
		p = gb_proc_comm(g, 300, comm);
		p->start_time = 3000;
		gb_links_own(&p->links, x.ns, 0);
		gb_thread(g, p, 300);
		gb_fd(g, p, 5, x.ns[NS_UTS]);
		gb_mount(g, s.ns[NS_MNT], x.ns[NS_UTS], "/run/uts x");
	}
	char why[256];
	if (graph_check(g, why, sizeof(why)))
		fail_msg("graph_check: %s", why);
	return g;
}

static size_t count(const char *text, const char *what)
{
	size_t n = 0;

	for (const char *p = text; (p = strstr(p, what)); p++)
		n++;
	return n;
}

static int history_of(FILE *out, struct graph **g, size_t n, const char *spec,
		      enum diff_series_format fmt)
{
	static const char *const ids[] = { "1", "2", "3", "4" };
	struct diff_history *h;
	int rc = diff_history_begin(out, spec, NULL, &h);

	assert_int_equal(rc, 0);
	diff_history_set_format(h, fmt);
	for (size_t i = 0; i < n && !rc; i++)
		rc = diff_history_add(h, &(struct diff_snapshot){
			.time_ns = g[i]->meta.start_ns, .id = ids[i], .g = g[i],
		}, false);
	if (rc) {
		diff_history_free(h);
		return rc;
	}
	return diff_history_end(h);
}

/* Gone from one snapshot, there again with its ID on its boot: one life.
 * Another ID, or another boot: another life. */
static void test_one_life(void **state)
{
	(void)state;
	struct graph *g[3] = {
		snap(0, "boot1", 300, "sleep"), snap(1, "boot1", 0, NULL),
		snap(2, "boot1", 300, "sleep"),
	};
	struct gb_capture c;
	char *text;

	assert_int_equal(history_of(gb_cap_open(&c), g, 3, "4026532300", DIFF_SERIES_TEXT), 0);
	text = gb_cap_close(&c);
	assert_non_null(strstr(text, "1 first-seen uts:[4026532300] id=300 "));
	assert_non_null(strstr(text, "2 gone uts:[4026532300] "));
	assert_non_null(strstr(text, "3 seen-again uts:[4026532300] id=300 "));
	assert_int_equal(count(text, "\nlife "), 1);
	assert_non_null(strstr(text, "last-snapshot=3\n"));
	/* The pins it had then, beside its members. */
	assert_non_null(strstr(text, " members=300 pins=\"fd:300:5 mount:/run/uts x\"\n"));
	free(text);

	graph_free(g[2]);
	g[2] = snap(2, "boot2", 300, "sleep");
	assert_int_equal(history_of(gb_cap_open(&c), g, 3, "id:300", DIFF_SERIES_TEXT), 0);
	text = gb_cap_close(&c);
	assert_int_equal(count(text, " first-seen "), 2);
	assert_null(strstr(text, "seen-again"));
	assert_int_equal(count(text, "\nlife "), 2);
	free(text);
	for (int i = 0; i < 3; i++)
		graph_free(g[i]);
}

/* Every row an object with the same members, all scalars. */
static void check_rows(json_t *rows, const char *source)
{
	json_t *first = json_array_get(rows, 0), *r;
	size_t i;

	assert_true(json_array_size(rows) > 0);
	json_array_foreach(rows, i, r) {
		const char *k;
		json_t *v;

		assert_true(json_is_object(r));
		assert_int_equal(json_object_size(r), json_object_size(first));
		json_object_foreach(r, k, v) {
			assert_non_null(json_object_get(first, k));
			assert_false(json_is_object(v) || json_is_array(v));
		}
		assert_string_equal(json_string_value(json_object_get(r, "schema")),
				    "nsnap-event/1");
		assert_string_equal(json_string_value(json_object_get(r, "source")),
				    source);
	}
}

static json_t *row_where(json_t *rows, const char *action)
{
	json_t *r;
	size_t i;

	json_array_foreach(rows, i, r)
		if (!strcmp(json_string_value(json_object_get(r, "action")), action))
			return r;
	return NULL;
}

static const char *col(json_t *r, const char *key)
{
	return json_string_value(json_object_get(r, key));
}

/* A step as JSON and NDJSON: the same rows; a hostile comm read back. */
static void test_timeline_json(void **state)
{
	(void)state;
	static const char comm[] = "a\"b\\c\n\x01\xff";
	struct graph *a = snap(0, "boot1", 0, NULL), *b = snap(1, "boot1", 300, comm);
	struct diff_opts o = { .deep_scan = true };
	struct diff d;
	struct gb_capture c;
	json_error_t err;
	char *text;

	assert_int_equal(diff_graphs(a, b, &o, &d), 0);
	struct diff_step steps[2] = {
		{ .at = { a->meta.start_ns, "1", a }, .host = "host1", .boot = "boot1",
		  .nns = a->nns, .nprocs = diff_scanned_procs(a), .kind = DIFF_STEP_NEW },
		{ .at = { b->meta.start_ns, "2", b }, .host = "host1", .boot = "boot1",
		  .nns = b->nns, .nprocs = diff_scanned_procs(b), .kind = DIFF_STEP_DIFF,
		  .base = "1", .base_boot = "boot1", .d = &d },
	};
	for (int fmt = DIFF_SERIES_JSON; fmt <= DIFF_SERIES_NDJSON; fmt++) {
		struct diff_timeline *t;
		json_t *doc, *rows;

		assert_int_equal(diff_timeline_begin(gb_cap_open(&c), fmt, &t), 0);
		for (int i = 0; i < 2; i++)
			assert_int_equal(diff_timeline_add(t, &steps[i]), 0);
		assert_int_equal(diff_timeline_end(t), 0);
		text = gb_cap_close(&c);
		if (fmt == DIFF_SERIES_JSON) {
			doc = json_loads(text, 0, &err);
			assert_non_null(doc);
			assert_string_equal(col(doc, "schema"), "nsdiff-timeline/1");
			rows = json_incref(json_object_get(doc, "events"));
			json_decref(doc);
		} else {
			rows = json_array();
			for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
				json_array_append_new(rows, json_loads(line, 0, &err));
		}
		check_rows(rows, "timeline");
		json_t *born = row_where(rows, "born"), *started = row_where(rows, "started");
		assert_non_null(born);
		assert_string_equal(col(born, "ns_type"), "uts");
		assert_string_equal(col(born, "ns_ino"), "4026532300");
		assert_string_equal(col(born, "ns_dev"), "4");
		assert_string_equal(col(born, "ns_id"), "300");
		assert_string_equal(col(born, "snapshot"), "2");
		assert_string_equal(col(born, "base"), "1");
		assert_string_equal(col(born, "host"), "host1");
		assert_string_equal(col(born, "time"), "2023-11-14T22:14:20.000000000Z");
		assert_non_null(started);
		assert_int_equal(json_integer_value(json_object_get(started, "pid")), 300);
		/* Every byte >= 0x80 is one code point (text.h). */
		assert_string_equal(col(started, "comm"), "a\"b\\c\n\x01\xc3\xbf");
		json_t *pin = row_where(rows, "pinned");
		assert_non_null(pin);
		assert_true(json_is_null(json_object_get(row_where(rows, "snapshot"), "base")));
		json_decref(rows);
		free(text);
	}
	diff_release(&d);
	graph_free(a);
	graph_free(b);
}

static void test_history_json(void **state)
{
	(void)state;
	struct graph *g[3] = {
		snap(0, "boot1", 300, "sleep"), snap(1, "boot1", 0, NULL),
		snap(2, "boot1", 300, "sleep"),
	};
	struct gb_capture c;
	json_error_t err;
	char *text;

	assert_int_equal(history_of(gb_cap_open(&c), g, 3, "uts:[4026532300]", DIFF_SERIES_JSON), 0);
	text = gb_cap_close(&c);
	json_t *doc = json_loads(text, 0, &err);
	assert_non_null(doc);
	assert_string_equal(col(doc, "schema"), "nsshow-history/1");
	assert_string_equal(col(doc, "namespace"), "uts:[4026532300]");
	json_t *rows = json_object_get(doc, "events");
	check_rows(rows, "history");
	json_t *first = row_where(rows, "first-seen");
	assert_string_equal(col(first, "members"), "300");
	assert_string_equal(col(first, "pins"), "fd:300:5 mount:/run/uts x");
	assert_non_null(row_where(rows, "seen-again"));
	json_t *gone = row_where(rows, "gone");
	assert_string_equal(col(gone, "old"), "2023-11-14T22:13:20Z");
	json_t *lives = json_object_get(doc, "lives");
	assert_int_equal(json_array_size(lives), 1);
	assert_string_equal(col(json_array_get(lives, 0), "last_snapshot"), "3");
	json_decref(doc);
	free(text);
	/* No sighting: nothing written, -ENOENT. */
	assert_int_equal(history_of(gb_cap_open(&c), g, 3, "net:1", DIFF_SERIES_JSON), -ENOENT);
	text = gb_cap_close(&c);
	assert_int_equal(strlen(text), 0);
	free(text);
	for (int i = 0; i < 3; i++)
		graph_free(g[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_life),
		cmocka_unit_test(test_timeline_json),
		cmocka_unit_test(test_history_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
