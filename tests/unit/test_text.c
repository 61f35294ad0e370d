/*
 * test_text.c — the shared spelling rules of text.h.
 *
 * The expected texts pin what render_tree(), format_json/dot() and the
 * nsdiff printers wrote before they shared these functions: the squeezing
 * of maps under Go's rule (the reference's tree) and under the kernel's
 * blanks (nsdiff), the two JSON control-byte rules, DOT label data and
 * both RFC 3339 forms, and data spelled for human text.  JSON strings are also decoded by jansson, an
 * independent reader, to show that every byte survives as its code point.
 */
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
#include "text.h"

/* An open_memstream() and what was written to it. */
struct sink {
	FILE *f;
	char *buf;
	size_t len;
};

static void sink_open(struct sink *s)
{
	s->buf = NULL;
	s->len = 0;
	s->f = open_memstream(&s->buf, &s->len);
	assert_non_null(s->f);
}

/* The text written (free it). */
static char *sink_close(struct sink *s)
{
	assert_int_equal(fclose(s->f), 0);
	return s->buf;
}

static char *squeezed(const char *in, const struct text_blanks *b,
		      text_write_fn *write)
{
	struct sink s;

	sink_open(&s);
	text_squeeze(s.f, in, b, write);
	return sink_close(&s);
}

static void expect_squeeze(const char *in, const struct text_blanks *b,
			   const char *want)
{
	char *got = squeezed(in, b, text_write_raw);

	assert_string_equal(got, want);
	free(got);
}

/* Go's rule: \s = [ \t\n\f\r] squeezed, TrimSpace also trims \v. */
static void test_squeeze_go(void **state)
{
	const struct text_blanks *go = &text_go_blanks;

	(void)state;
	expect_squeeze("", go, "");
	expect_squeeze(" \t\n\f\r\v", go, "");
	expect_squeeze("         0          0 4294967295\n", go,
		       "0 0 4294967295");
	expect_squeeze("0 0 1\n1 1 1\n", go, "0 0 1 1 1 1");
	expect_squeeze("a\tb\nc\fd\re", go, "a b c d e");
	expect_squeeze("a \t\n\f\r b", go, "a b");
	/* \v is trimmed at the ends only: inside it is data, and it splits
	 * a run of blanks in two. */
	expect_squeeze("\v a b \v", go, "a b");
	expect_squeeze("a\vb", go, "a\vb");
	expect_squeeze("a \v b", go, "a \v b");
	expect_squeeze("\v\v x\v\v", go, "x");
	expect_squeeze("x", go, "x");
}

/* nsdiff's rule: the kernel's blanks only, lines joined by NL_SEP. */
static void test_squeeze_kernel_blanks(void **state)
{
	const struct text_blanks list = { .squeeze = " \t\n", .nl_sep = ',' };
	const struct text_blanks tree = { .squeeze = " \t\n", .nl_sep = ' ' };
	const struct text_blanks unset = { .squeeze = " \t\n" };

	(void)state;
	expect_squeeze("         0       1000          1\n"
		       "         1     100000      65536\n", &list,
		       "0 1000 1,1 100000 65536");
	expect_squeeze("0 0 1\n1 1 1\n", &tree, "0 0 1 1 1 1");
	expect_squeeze("0 0 1\n1 1 1\n", &unset, "0 0 1 1 1 1");
	/* A run holding a newline anywhere is one separator. */
	expect_squeeze("a \n b", &list, "a,b");
	expect_squeeze("a\n\n\tb", &list, "a,b");
	expect_squeeze("a \t b", &list, "a b");
	expect_squeeze("\n \ta\n", &list, "a");
	/* \f \r \v are data here, at the ends too. */
	expect_squeeze("\ra\fb \v", &list, "\ra\fb \v");
	expect_squeeze(" \n\t", &list, "");
}

/* A writer that shows each call, to see words and separators go through
 * it one at a time (so that an escaping writer sees the separator too). */
static void bracket(FILE *out, const char *s, size_t n)
{
	fputc('[', out);
	fwrite(s, 1, n, out);
	fputc(']', out);
}

static void test_squeeze_writer(void **state)
{
	const struct text_blanks list = { .squeeze = " \t\n", .nl_sep = ',' };
	char *got;

	(void)state;
	got = squeezed("  ab  cd\nef ", &list, bracket);
	assert_string_equal(got, "[ab][ ][cd][,][ef]");
	free(got);
	got = squeezed(" \n ", &list, bracket);
	assert_string_equal(got, "");
	free(got);
}

static char *json_of(const char *in)
{
	struct sink s;

	sink_open(&s);
	text_json_string(s.f, in);
	return sink_close(&s);
}

static void expect_json(const char *in, const char *want)
{
	char *got = json_of(in);

	assert_string_equal(got, want);
	free(got);
}

static void test_json_escapes(void **state)
{
	static const char hostile[] = "\"\\/\b\f\n\r\t\x01\x1f \x7f\x80\xe2\x80\xa6\xff~";
	struct sink s;
	char *got;

	(void)state;
	expect_json(NULL, "null");
	expect_json("", "\"\"");
	expect_json("init", "\"init\"");
	/* Python's short escapes, lowercase hex, one escape per byte. */
	expect_json(hostile,
		    "\"\\\"\\\\/\\b\\f\\n\\r\\t\\u0001\\u001f \\u007f\\u0080"
		    "\\u00e2\\u0080\\u00a6\\u00ff~\"");

	/* The body alone, N bytes of it: no quotes, no NUL handling. */
	sink_open(&s);
	text_json_bytes(s.f, "a\"b\rc", 4);
	got = sink_close(&s);
	assert_string_equal(got, "a\\\"b\\r");
	free(got);
}

/* Every byte decodes back to the code point of the same value, and the
 * text is ASCII: the "decode, encode as Latin-1" promise of format.h. */
static void test_json_round_trip(void **state)
{
	char all[256];

	(void)state;
	for (int i = 1; i < 256; i++)
		all[i - 1] = (char)i;
	all[255] = '\0';
	{
		char *text = json_of(all);
		json_error_t err;
		json_t *v;

		for (const unsigned char *p = (const unsigned char *)text; *p; p++)
			assert_true(*p >= 0x20 && *p < 0x7f);
		v = json_loads(text, JSON_DECODE_ANY, &err);
		assert_non_null(v);
		assert_true(json_is_string(v));

		const unsigned char *u = (const unsigned char *)json_string_value(v);
		size_t n = json_string_length(v), at = 0;
		for (int want = 1; want < 256; want++) {
			unsigned cp;

			assert_true(at < n);
			if (u[at] < 0x80) {
				cp = u[at++];
			} else {
				assert_true(at + 1 < n && (u[at] & 0xe0) == 0xc0);
				cp = (unsigned)(u[at] & 0x1f) << 6 | (u[at + 1] & 0x3f);
				at += 2;
			}
			assert_int_equal(cp, want);
		}
		assert_int_equal(at, n);
		json_decref(v);
		free(text);
	}
}

static void test_dot_data(void **state)
{
	struct sink s;
	char *got;
	static const char data[] = "a\"b\\c&d\x01\x7f\xe2 <e>";

	(void)state;
	sink_open(&s);
	text_dot_data(s.f, data, strlen(data));
	got = sink_close(&s);
	/* In DOT source: a\"b\\\\c&amp;d\\x01\\x7f\\xe2 <e>, which the
	 * label shows as a"b\\c&d\x01\x7f\xe2 <e>. */
	assert_string_equal(got, "a\\\"b\\\\\\\\c&amp;d\\\\x01\\\\x7f\\\\xe2 <e>");
	free(got);

	/* N bytes, not the string: a NUL inside is data too. */
	sink_open(&s);
	text_dot_data(s.f, "ab\0c", 4);
	got = sink_close(&s);
	assert_memory_equal(got, "ab\\\\x00c", 9);
	free(got);

	/* Our own text: the same, but a backslash is only doubled for DOT
	 * (the label shows it as one). */
	sink_open(&s);
	text_dot_text(s.f, data, strlen(data));
	got = sink_close(&s);
	assert_string_equal(got, "a\\\"b\\\\c&amp;d\\\\x01\\\\x7f\\\\xe2 <e>");
	free(got);
}

static void test_term_data(void **state)
{
	struct sink s;
	char *got;
	/* A screen clear, a forged line, a window title, a C1 CSI in UTF-8,
	 * DEL, a backslash and a quote. */
	static const char data[] = "a\x1b[2J\rb\nc\x1b]0;t\x07 \xc2\x9b\x7f\\\"~";

	(void)state;
	sink_open(&s);
	text_term_data(s.f, data, strlen(data));
	got = sink_close(&s);
	assert_string_equal(got, "a\\x1b[2J\\x0db\\x0ac\\x1b]0;t\\x07 "
				 "\\xc2\\x9b\\x7f\\\\\"~");
	/* Printable ASCII and nothing else. */
	for (const char *p = got; *p; p++)
		assert_true(*p >= 0x20 && *p < 0x7f);
	free(got);

	/* N bytes, not the string: a NUL inside is data too. */
	sink_open(&s);
	text_term_data(s.f, "ab\0c", 4);
	got = sink_close(&s);
	assert_memory_equal(got, "ab\\x00c", 8);
	free(got);
}

static void expect_time(int64_t ns, bool frac, const char *want)
{
	char buf[TEXT_RFC3339_LEN];

	memset(buf, 'x', sizeof(buf));
	assert_ptr_equal(text_rfc3339(ns, frac, buf, sizeof(buf)), buf);
	assert_string_equal(buf, want);
}

static void test_rfc3339(void **state)
{
	char buf[TEXT_RFC3339_LEN];

	(void)state;
	expect_time(1700000000123456789, true, "2023-11-14T22:13:20.123456789Z");
	expect_time(1700000000123456789, false, "2023-11-14T22:13:20Z");
	expect_time(0, true, "1970-01-01T00:00:00.000000000Z");
	expect_time(0, false, "1970-01-01T00:00:00Z");
	/* Before the epoch: the second that starts below, not truncation. */
	expect_time(-1, true, "1969-12-31T23:59:59.999999999Z");
	expect_time(-1, false, "1969-12-31T23:59:59Z");
	expect_time(-1000000000, false, "1969-12-31T23:59:59Z");
	expect_time(-1000000001, false, "1969-12-31T23:59:58Z");
	/* The whole int64_t range fits TEXT_RFC3339_LEN. */
	expect_time(INT64_MAX, true, "2262-04-11T23:47:16.854775807Z");
	expect_time(INT64_MIN, true, "1677-09-21T00:12:43.145224192Z");
	expect_time(INT64_MIN, false, "1677-09-21T00:12:43Z");

	/* The first and last whole seconds, and one nanosecond off each. */
	expect_time(-9223372036000000000, false, "1677-09-21T00:12:44Z");
	expect_time(-9223372036000000001, true, "1677-09-21T00:12:43.999999999Z");
	expect_time(9223372036000000000, false, "2262-04-11T23:47:16Z");
	expect_time(9223372035999999999, true, "2262-04-11T23:47:15.999999999Z");
	expect_time(INT64_MAX, false, "2262-04-11T23:47:16Z");
	expect_time(INT64_MIN + 1, true, "1677-09-21T00:12:43.145224193Z");
	/* Days that start below the epoch, leap days, century rules. */
	expect_time(-86400LL * 1000000000, false, "1969-12-31T00:00:00Z");
	expect_time(-86401LL * 1000000000, false, "1969-12-30T23:59:59Z");
	expect_time(951782400LL * 1000000000, false, "2000-02-29T00:00:00Z");
	expect_time(1709164800LL * 1000000000, false, "2024-02-29T00:00:00Z");
	expect_time(4107542400LL * 1000000000, false, "2100-03-01T00:00:00Z");
	expect_time(-2203891200LL * 1000000000, false, "1900-03-01T00:00:00Z");
	expect_time(-2208988800LL * 1000000000, false, "1900-01-01T00:00:00Z");
	expect_time(946684799LL * 1000000000 + 999999999, true,
		    "1999-12-31T23:59:59.999999999Z");

	/* Too small a buffer: NULL, for either form, to the byte. */
	assert_null(text_rfc3339(0, false, buf, 20));
	assert_non_null(text_rfc3339(0, false, buf, 21));
	assert_null(text_rfc3339(0, true, buf, 30));
	assert_non_null(text_rfc3339(0, true, buf, 31));
	assert_null(text_rfc3339(0, true, buf, 10));
	assert_null(text_rfc3339(INT64_MIN, true, buf, 0));
}

/* nsdiff's time words: any int64_t, and "?" where the buffer is short. */
static void test_diff_time(void **state)
{
	char buf[TEXT_RFC3339_LEN];

	(void)state;
	assert_string_equal(diff_format_time(INT64_MIN, buf, sizeof(buf)),
			    "1677-09-21T00:12:43Z");
	assert_string_equal(diff_format_time(INT64_MAX, buf, sizeof(buf)),
			    "2262-04-11T23:47:16Z");
	assert_string_equal(diff_format_time(0, buf, sizeof(buf)),
			    "1970-01-01T00:00:00Z");
	assert_string_equal(diff_format_time(0, buf, 5), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_squeeze_go),
		cmocka_unit_test(test_squeeze_kernel_blanks),
		cmocka_unit_test(test_squeeze_writer),
		cmocka_unit_test(test_json_escapes),
		cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test(test_dot_data),
		cmocka_unit_test(test_term_data),
		cmocka_unit_test(test_rfc3339),
		cmocka_unit_test(test_diff_time),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
