/*
 * test_select.c — selectors read without a store: every form, its edges
 * (the largest id, one past it, latest~N, dates that do not exist, the
 * second and minute forms, UTC and local time, the range of capture
 * times), what falls through to a label, and which labels are acceptable;
 * and the namespace selectors of nsshow --history (diff_ns_spec_parse()).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "diff.h"
#include "store.h"

#define NS 1000000000LL

static struct store_sel parse_ok(const char *text)
{
	struct store_sel q;

	assert_int_equal(store_sel_parse(text, &q), 0);
	return q;
}

static void assert_label(const char *text)
{
	struct store_sel q = parse_ok(text);

	assert_int_equal(q.kind, STORE_SEL_LABEL);
	assert_ptr_equal(q.label, text);
}

static void test_ids(void **state)
{
	(void)state;
	struct store_sel q;

	q = parse_ok("1");
	assert_int_equal(q.kind, STORE_SEL_ID);
	assert_int_equal(q.n, 1);
	/* No snapshot has id 0, but it reads as an id, not as a label. */
	q = parse_ok("0");
	assert_int_equal(q.kind, STORE_SEL_ID);
	assert_int_equal(q.n, 0);
	q = parse_ok("007");
	assert_int_equal(q.kind, STORE_SEL_ID);
	assert_int_equal(q.n, 7);
	q = parse_ok("18446744073709551615");
	assert_int_equal(q.kind, STORE_SEL_ID);
	assert_true(q.n == UINT64_MAX);
	/* One past the largest: no snapshot can have it. */
	assert_int_equal(store_sel_parse("18446744073709551616", &q),
			 STORE_ENOSNAP);
	assert_int_equal(store_sel_parse("99999999999999999999999", &q),
			 STORE_ENOSNAP);
	/* Signs, spaces and hex are not ids. */
	assert_label("+1");
	assert_label("-1");
	assert_label(" 1");
	assert_label("1 ");
	assert_label("0x10");
}

static void test_latest(void **state)
{
	(void)state;
	struct store_sel q;

	q = parse_ok("latest");
	assert_int_equal(q.kind, STORE_SEL_LATEST);
	assert_int_equal(q.n, 0);
	q = parse_ok("latest~0");
	assert_int_equal(q.kind, STORE_SEL_LATEST);
	assert_int_equal(q.n, 0);
	q = parse_ok("latest~3");
	assert_int_equal(q.kind, STORE_SEL_LATEST);
	assert_int_equal(q.n, 3);
	q = parse_ok("latest~18446744073709551615");
	assert_true(q.n == UINT64_MAX);
	assert_int_equal(store_sel_parse("latest~18446744073709551616", &q),
			 STORE_ENOSNAP);
	/* Not the form: read as labels (store_label_check() refuses them
	 * as names, so none can exist). */
	assert_label("latest~");
	assert_label("latest~x");
	assert_label("latest~-1");
	assert_label("latest~1~2");
	assert_label("Latest");
	assert_label("latest ");
	assert_label("latest1");
}

static void test_times(void **state)
{
	(void)state;
	struct store_sel q;
	int64_t ns;

	/* 2024-02-29 12:30 UTC = 1709209800. */
	q = parse_ok("2024-02-29T12:30Z");
	assert_int_equal(q.kind, STORE_SEL_TIME);
	assert_true(q.start_ns == 1709209800 * NS);
	assert_true(q.span_ns == 60 * NS);
	q = parse_ok("2024-02-29T12:30:59Z");
	assert_true(q.start_ns == (1709209800 + 59) * NS);
	assert_true(q.span_ns == NS);
	q = parse_ok("1970-01-01T00:00Z");
	assert_true(q.start_ns == 0);
	/* Before the epoch: negative, not a failure of mktime(). */
	q = parse_ok("1969-12-31T23:59Z");
	assert_true(q.start_ns == -60 * NS);
	q = parse_ok("1969-12-31T23:59:59Z");
	assert_true(q.start_ns == -NS);
	q = parse_ok("2000-12-31T23:59:59Z");
	assert_true(q.start_ns == 978307199 * NS);

	/* Local time follows TZ. */
	setenv("TZ", "UTC", 1);
	tzset();
	q = parse_ok("2024-02-29T12:30");
	assert_true(q.start_ns == 1709209800 * NS);
	setenv("TZ", "CET-1", 1);
	tzset();
	q = parse_ok("2024-02-29T13:30");
	assert_true(q.start_ns == 1709209800 * NS);
	unsetenv("TZ");
	tzset();

	/* Dates and times that do not exist, and near misses of the form:
	 * labels. */
	assert_label("2023-02-29T12:30Z");
	assert_label("2024-02-30T00:00Z");
	assert_label("2024-04-31T00:00Z");
	assert_label("2024-13-01T00:00Z");
	assert_label("2024-00-01T00:00Z");
	assert_label("2024-01-00T00:00Z");
	assert_label("2024-01-01T24:00Z");
	assert_label("2024-01-01T23:60Z");
	assert_label("2024-01-01T23:59:60Z");
	assert_label("2024-01-01 12:30");
	assert_label("2024-01-01T12");
	assert_label("2024-01-01T12:3");
	assert_label("2024-01-01T12:30:5");
	assert_label("2024-01-01T12:30ZZ");
	assert_label("2024-1-01T12:30");
	assert_label("24-01-01T12:30");

	/* store_parse_time(): the same forms, nothing else. */
	assert_int_equal(store_parse_time("2024-02-29T12:30:01Z", &ns), 0);
	assert_true(ns == (1709209800 + 1) * NS);
	assert_int_equal(store_parse_time("2023-02-29T12:30Z", &ns),
			 STORE_ESELECTOR);
	assert_int_equal(store_parse_time("latest", &ns), STORE_ESELECTOR);
	assert_int_equal(store_parse_time(NULL, &ns), STORE_ESELECTOR);
}

/*
 * The range of capture times, int64 nanoseconds since the epoch:
 * 1677-09-21T00:12:43.145224192Z to 2262-04-11T23:47:16.854775807Z.  A
 * second or minute can be named when its first nanosecond lies in it;
 * the last ones end with it.  Outside: STORE_ETIME, never a wrap.
 */
static void test_time_range(void **state)
{
	(void)state;
	static const char *const out[] = {
		/* One before the first second and minute, one after the
		 * last. */
		"1677-09-21T00:12:43Z", "1677-09-21T00:12Z",
		"2262-04-11T23:47:17Z", "2262-04-11T23:48Z",
		"2262-04-12T00:00Z", "1677-09-20T23:59:59Z",
		/* Far outside: years 0, 1600, 9999, with and without Z. */
		"0000-01-01T00:00Z", "0000-01-01T00:00", "1600-01-01T00:00Z",
		"1600-01-01T00:00", "9999-12-31T23:59", "9999-12-31T23:59Z",
		"9999-12-31T23:59:59Z", "2263-01-01T00:00", "1676-12-31T23:59",
	};
	const int64_t first_s = -9223372036, last_s = 9223372036;
	struct store_sel q;
	int64_t ns;

	q = parse_ok("1677-09-21T00:12:44Z");
	assert_true(q.start_ns == first_s * NS);
	assert_true(q.span_ns == NS);
	q = parse_ok("1677-09-21T00:13Z");
	assert_true(q.start_ns == (first_s + 16) * NS);
	assert_true(q.span_ns == 60 * NS);
	/* The last second and minute: their ends are the range's end. */
	q = parse_ok("2262-04-11T23:47:16Z");
	assert_true(q.start_ns == last_s * NS);
	assert_true(q.span_ns == INT64_MAX - last_s * NS + 1);
	assert_true(q.start_ns + (q.span_ns - 1) == INT64_MAX);
	q = parse_ok("2262-04-11T23:47Z");
	assert_true(q.start_ns == (last_s - 16) * NS);
	assert_true(q.start_ns + (q.span_ns - 1) == INT64_MAX);
	q = parse_ok("2262-04-11T23:46:59Z");
	assert_true(q.span_ns == NS);
	for (size_t i = 0; i < sizeof(out) / sizeof(out[0]); i++) {
		assert_int_equal(store_sel_parse(out[i], &q), STORE_ETIME);
		assert_int_equal(store_parse_time(out[i], &ns), STORE_ETIME);
		assert_int_equal(store_label_check(out[i]), STORE_ELABEL);
	}

	/* Local time: the edges move with the zone, and mktime()'s
	 * answer is checked, not multiplied. */
	setenv("TZ", "UTC", 1);
	tzset();
	q = parse_ok("1677-09-21T00:12:44");
	assert_true(q.start_ns == first_s * NS);
	q = parse_ok("2262-04-11T23:47:16");
	assert_true(q.start_ns == last_s * NS);
	assert_int_equal(store_sel_parse("2262-04-11T23:47:17", &q), STORE_ETIME);
	setenv("TZ", "EST+5", 1);
	tzset();
	/* 18:47 in New York is 23:47 UTC. */
	q = parse_ok("2262-04-11T18:47");
	assert_true(q.start_ns == (last_s - 16) * NS);
	assert_int_equal(store_sel_parse("2262-04-11T18:48", &q), STORE_ETIME);
	assert_int_equal(store_sel_parse("2262-04-11T23:47", &q), STORE_ETIME);
	setenv("TZ", "CET-1", 1);
	tzset();
	/* 01:12:44 in Paris is 00:12:44 UTC. */
	q = parse_ok("1677-09-21T01:12:44");
	assert_true(q.start_ns == first_s * NS);
	assert_int_equal(store_sel_parse("1677-09-21T01:12:43", &q), STORE_ETIME);
	assert_int_equal(store_sel_parse("1677-09-21T00:12:44", &q), STORE_ETIME);
	/* Just before the epoch, where mktime() says -1 and means it. */
	q = parse_ok("1970-01-01T00:59:59");
	assert_true(q.start_ns == -NS);
	unsetenv("TZ");
	tzset();
}

/* Shapes of a time that are none: labels for a selector (so that labels
 * an older nsnap allowed still select), never acceptable as a new
 * label. */
static void test_time_shapes(void **state)
{
	(void)state;
	static const char *const shaped[] = {
		/* February 30, 24:00, a leap second, no leap day. */
		"2024-02-30T00:00Z", "2024-01-01T24:00Z",
		"2016-12-31T23:59:60Z", "2023-02-29T00:00", "2100-02-29T00:00Z",
		/* Years of another width or with a sign. */
		"99999-12-31T23:59Z", "-0001-01-01T00:00Z", "+2024-01-01T00:00Z",
		"02024-01-01T00:00Z", "1-01-01T00:00", "-1-01-01T00:00:00",
		"184467440737095516160000-01-01T00:00Z",
	};
	struct store_sel q;
	int64_t ns;

	/* Leap days that exist. */
	q = parse_ok("2024-02-29T00:00Z");
	assert_int_equal(q.kind, STORE_SEL_TIME);
	q = parse_ok("2000-02-29T23:59:59Z");
	assert_true(q.start_ns == (951868799) * NS);
	q = parse_ok("2260-02-29T00:00Z");
	assert_int_equal(q.kind, STORE_SEL_TIME);
	q = parse_ok("1680-02-29T00:00Z");
	assert_int_equal(q.kind, STORE_SEL_TIME);
	for (size_t i = 0; i < sizeof(shaped) / sizeof(shaped[0]); i++) {
		assert_label(shaped[i]);
		assert_int_equal(store_parse_time(shaped[i], &ns),
				 STORE_ESELECTOR);
		assert_int_equal(store_label_check(shaped[i]), STORE_ELABEL);
	}
	/* Near the shape, but not it: labels like any other. */
	assert_int_equal(store_label_check("2024-01-01T00:00ZZ"), 0);
	assert_int_equal(store_label_check("x2024-01-01T00:00"), 0);
	assert_int_equal(store_label_check("-2024-01-01"), 0);
	assert_int_equal(store_label_check("+-2024-01-01T00:00"), 0);
}

static void test_labels(void **state)
{
	(void)state;
	struct store_sel q;
	char name[STORE_LABEL_MAX + 2];

	assert_label("before-upgrade");
	assert_label("x");
	assert_label("with space");
	assert_label("caf\xc3\xa9");
	memset(name, 'a', sizeof(name));
	name[STORE_LABEL_MAX] = '\0';
	assert_label(name);
	/* One byte more: no snapshot can carry it. */
	name[STORE_LABEL_MAX] = 'a';
	name[STORE_LABEL_MAX + 1] = '\0';
	assert_int_equal(store_sel_parse(name, &q), STORE_ESELECTOR);
	assert_int_equal(store_sel_parse("", &q), STORE_ESELECTOR);
	assert_int_equal(store_sel_parse(NULL, &q), STORE_ESELECTOR);
}

/* Every label that store_label_check() accepts reads as a label again,
 * and everything that reads as another form is refused as a name. */
static void test_label_check(void **state)
{
	(void)state;
	static const char *const good[] = {
		"before-upgrade", "x", "latest-ish", "lates", "2024x",
		"2024-02-29", "v1.2", "with space", "caf\xc3\xa9", "~1",
	};
	static const char *const bad[] = {
		"", "1", "0", "007", "18446744073709551616", "latest",
		"latest~", "latest~1", "latest~x", "2024-02-29T12:30",
		"2024-02-29T12:30Z", "2024-02-29T12:30:59", "tab\there",
		"new\nline", "del\x7f", "\x1b[2J",
	};
	char name[STORE_LABEL_MAX + 2];
	struct store_sel q;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(store_label_check(good[i]), 0);
		assert_int_equal(store_sel_parse(good[i], &q), 0);
		assert_int_equal(q.kind, STORE_SEL_LABEL);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(store_label_check(bad[i]), STORE_ELABEL);
	/* NULL: no label, which is fine. */
	assert_int_equal(store_label_check(NULL), 0);
	memset(name, 'b', sizeof(name));
	name[STORE_LABEL_MAX] = '\0';
	assert_int_equal(store_label_check(name), 0);
	name[STORE_LABEL_MAX] = 'b';
	name[STORE_LABEL_MAX + 1] = '\0';
	assert_int_equal(store_label_check(name), STORE_ELABEL);
}

/* ---- namespace selectors ------------------------------------------------ */

static struct diff_ns_spec spec_ok(const char *text)
{
	struct diff_ns_spec sp;

	assert_int_equal(diff_ns_spec_parse(text, &sp), 0);
	return sp;
}

static void spec_bad(const char *text)
{
	struct diff_ns_spec sp;

	assert_int_equal(diff_ns_spec_parse(text, &sp), -EINVAL);
}

static void test_ns_specs(void **state)
{
	(void)state;
	struct diff_ns_spec sp;
	struct graph_ns ns = {
		.key = { 4, 4026532606 }, .type = NS_NET,
		.flags = GRAPH_NS_HAS_ID, .kernel_id = 12288,
	};

	/* A bare number is an inode, as lsns prints it: any type. */
	sp = spec_ok("4026532606");
	assert_int_equal(sp.kind, DIFF_SPEC_INO);
	assert_true(sp.key.ino == 4026532606u);
	assert_true(diff_ns_spec_match(&sp, &ns));
	/* type:ino and type:[ino] alike. */
	sp = spec_ok("net:4026532606");
	assert_int_equal(sp.kind, DIFF_SPEC_NAME);
	assert_int_equal(sp.type, NS_NET);
	assert_true(diff_ns_spec_match(&sp, &ns));
	sp = spec_ok("net:[4026532606]");
	assert_int_equal(sp.kind, DIFF_SPEC_NAME);
	assert_true(sp.key.ino == 4026532606u);
	sp = spec_ok("uts:[4026532606]");
	assert_false(diff_ns_spec_match(&sp, &ns));
	/* dev:ino, both numbers. */
	sp = spec_ok("4:4026532606");
	assert_int_equal(sp.kind, DIFF_SPEC_KEY);
	assert_true(sp.key.dev == 4 && sp.key.ino == 4026532606u);
	assert_true(diff_ns_spec_match(&sp, &ns));
	sp = spec_ok("5:4026532606");
	assert_false(diff_ns_spec_match(&sp, &ns));
	/* id:N, the kernel's namespace ID; never an inode. */
	sp = spec_ok("id:12288");
	assert_int_equal(sp.kind, DIFF_SPEC_ID);
	assert_true(sp.id == 12288);
	assert_true(diff_ns_spec_match(&sp, &ns));
	sp = spec_ok("12288");
	assert_false(diff_ns_spec_match(&sp, &ns));
	ns.flags = 0;       /* without IDs nothing answers to id:N */
	sp = spec_ok("id:12288");
	assert_false(diff_ns_spec_match(&sp, &ns));
	/* The edges: 2^64 - 1 is a number, 2^64 none. */
	sp = spec_ok("18446744073709551615");
	assert_true(sp.key.ino == UINT64_MAX);
	spec_bad("18446744073709551616");
	spec_bad("id:18446744073709551616");
	spec_bad("");
	spec_bad("net:");
	spec_bad("net:[]");
	spec_bad("net:[12");
	spec_bad("net:12]");
	spec_bad("bogus:[1]");
	spec_bad("4:");
	spec_bad(":5");
	spec_bad("id:");
	spec_bad("id:x");
	spec_bad("-1");
	spec_bad("+1");
	spec_bad(" 1");
	spec_bad("0x10");
	spec_bad("net:[1]x");
	spec_bad("4:5:6");
	assert_int_equal(diff_ns_spec_parse(NULL, &sp), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_latest),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_time_range),
		cmocka_unit_test(test_time_shapes),
		cmocka_unit_test(test_labels),
		cmocka_unit_test(test_label_check),
		cmocka_unit_test(test_ns_specs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
