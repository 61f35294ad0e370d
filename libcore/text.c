/*
 * text.c — byte-level spelling rules shared by the printers (text.h).
 *
 * Every function writes byte by byte or word by word, never a whole
 * printf per byte of ordinary text: maps, comms and paths of a large
 * snapshot go through here.
 */
#include "text.h"

#include <string.h>
#include <time.h>

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

const char *text_rfc3339(int64_t ns, bool frac, char *buf, size_t len)
{
	int64_t secs = ns / 1000000000, rest = ns % 1000000000;
	struct tm tm;
	size_t n;

	/* C division truncates toward zero; a time before the epoch belongs
	 * to the second that starts below it. */
	if (rest < 0) {
		rest += 1000000000;
		secs--;
	}
	time_t t = (time_t)secs;
	if (!gmtime_r(&t, &tm))
		return NULL;
	n = strftime(buf, len, frac ? "%Y-%m-%dT%H:%M:%S" : "%Y-%m-%dT%H:%M:%SZ",
		     &tm);
	if (!n)
		return NULL;
	if (frac && snprintf(buf + n, len - n, ".%09lldZ", (long long)rest) >=
		    (int)(len - n))
		return NULL;
	return buf;
}
