/*
 * text.c — byte-level spelling rules shared by the printers (text.h).
 *
 * Every function writes byte by byte or word by word, never a whole
 * printf per byte of ordinary text: maps, comms and paths of a large
 * snapshot go through here.
 */
#include "text.h"

#include <string.h>

const struct text_blanks text_go_blanks = {
	.squeeze = " \t\n\f\r",
	.trim_also = "\v",
	.nl_sep = ' ',
};

void text_write_raw(FILE *out, const char *s, size_t n)
{
	fwrite(s, 1, n, out);
}

/* strchr() would also find the terminating NUL; ours are C strings, so a
 * NUL never reaches here, but say so rather than rely on it. */
static bool in_set(const char *set, char c)
{
	return set && c && strchr(set, c);
}

static bool is_trim(const struct text_blanks *b, char c)
{
	return in_set(b->squeeze, c) || in_set(b->trim_also, c);
}

void text_squeeze(FILE *out, const char *s, const struct text_blanks *b,
		  text_write_fn *write)
{
	const char *e = s + strlen(s);

	while (s < e && is_trim(b, *s))
		s++;
	while (e > s && is_trim(b, e[-1]))
		e--;
	/* Both ends now hold data: every run below has a word after it. */
	while (s < e) {
		const char *w = s;
		bool nl = false;
		char sep;

		while (s < e && !in_set(b->squeeze, *s))
			s++;
		write(out, w, (size_t)(s - w));
		if (s == e)
			break;
		for (; s < e && in_set(b->squeeze, *s); s++)
			nl |= *s == '\n';
		sep = nl && b->nl_sep ? b->nl_sep : ' ';
		write(out, &sep, 1);
	}
}

/* ---- JSON ---------------------------------------------------------------- */

static void json_bytes(FILE *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc = NULL;

		switch (c) {
		case '"':  esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\n': esc = "\\n"; break;
		case '\t': esc = "\\t"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		case '\r': esc = "\\r"; break;
		default:   break;
		}
		if (esc)
			fputs(esc, out);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
}

void text_json_bytes(FILE *out, const char *s, size_t n)
{
	json_bytes(out, s, n);
}

void text_json_string(FILE *out, const char *s)
{
	if (!s) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	json_bytes(out, s, strlen(s));
	fputc('"', out);
}

/* ---- DOT ----------------------------------------------------------------- */

static void dot_byte(FILE *out, unsigned char c)
{
	if (c == '"')
		fputs("\\\"", out);
	else if (c == '\\')
		fputs("\\\\", out);
	else if (c == '&')
		fputs("&amp;", out);
	else if (c < 0x20 || c >= 0x7f)
		fprintf(out, "\\\\x%02x", c);
	else
		fputc(c, out);
}

void text_dot_text(FILE *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dot_byte(out, (unsigned char)s[i]);
}

void text_dot_data(FILE *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		/* Shown as \\, so that a comm spelled "\x01" cannot pass for
		 * one holding the byte 0x01. */
		if (s[i] == '\\')
			fputs("\\\\\\\\", out);
		else
			dot_byte(out, (unsigned char)s[i]);
	}
}

/* ---- terminal ------------------------------------------------------------ */

void text_term_data(FILE *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t run = 0; /* printable bytes not written yet */

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f && c != '\\') {
			run++;
			continue;
		}
		fwrite(s + i - run, 1, run, out);
		run = 0;
		if (c == '\\') {
			fputs("\\\\", out);
		} else {
			char e[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };
			fwrite(e, 1, sizeof(e), out);
		}
	}
	fwrite(s + n - run, 1, run, out);
}

/* ---- time ---------------------------------------------------------------- */

/* The civil date of day DAYS since 1970-01-01, proleptic Gregorian
 * (H. Hinnant's civil_from_days): no time_t, so no wrap where time_t is
 * 32 bits, and any int64_t of nanoseconds has a four-digit year. */
static void civil_from_days(int64_t days, int64_t *y, int *m, int *d)
{
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;

	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

const char *text_rfc3339(int64_t ns, bool frac, char *buf, size_t len)
{
	int64_t secs = ns / 1000000000, rest = ns % 1000000000;
	int64_t days, sod, year;
	int mon, mday, n;

	/* C division truncates toward zero; a time before the epoch belongs
	 * to the second that starts below it (and that second to the day
	 * that starts below it). */
	if (rest < 0) {
		rest += 1000000000;
		secs--;
	}
	days = secs / 86400;
	sod = secs % 86400;
	if (sod < 0) {
		sod += 86400;
		days--;
	}
	civil_from_days(days, &year, &mon, &mday);
	if (frac)
		n = snprintf(buf, len, "%04lld-%02d-%02dT%02d:%02d:%02d.%09lldZ",
			     (long long)year, mon, mday, (int)(sod / 3600),
			     (int)(sod / 60 % 60), (int)(sod % 60),
			     (long long)rest);
	else
		n = snprintf(buf, len, "%04lld-%02d-%02dT%02d:%02d:%02dZ",
			     (long long)year, mon, mday, (int)(sod / 3600),
			     (int)(sod / 60 % 60), (int)(sod % 60));
	return n >= 0 && (size_t)n < len ? buf : NULL;
}

int text_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
