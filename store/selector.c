/*
 * selector.c — what a selector says, before it meets a store.
 *
 * Owns the selector grammar (an id, latest, latest~N, a time, a label),
 * the time form YYYY-MM-DDTHH:MM[:SS][Z] and which labels are acceptable.
 * Pure code: no LMDB, no store; resolve.c looks the result up.
 */
#include "store.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* A decimal u64; false on anything else, overflow included. */
static bool parse_u64(const char *s, uint64_t *v)
{
	if (!all_digits(s))
		return false;
	*v = 0;
	for (; *s; s++) {
		unsigned d = (unsigned)(*s - '0');
		if (*v > (UINT64_MAX - d) / 10)
			return false;
		*v = *v * 10 + d;
	}
	return true;
}

static bool digits_at(const char *s, size_t at, size_t n, int *v)
{
	*v = 0;
	for (size_t i = at; i < at + n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*v = *v * 10 + (s[i] - '0');
	}
	return true;
}

/*
 * YYYY-MM-DDTHH:MM[:SS][Z] -> the first nanosecond of that minute (or
 * second) and the length of it: a snapshot taken during the named minute
 * is "at" it.
 */
static bool parse_time(const char *s, int64_t *start_ns, int64_t *span_ns)
{
	size_t len = strlen(s);
	bool utc = len > 0 && s[len - 1] == 'Z';
	struct tm tm = { 0 };
	int year, mon, mday, hour, min, sec = 0;
	time_t t;

	if (utc)
		len--;
	if (len != 16 && len != 19)
		return false;
	if (!digits_at(s, 0, 4, &year) || s[4] != '-' ||
	    !digits_at(s, 5, 2, &mon) || s[7] != '-' ||
	    !digits_at(s, 8, 2, &mday) || s[10] != 'T' ||
	    !digits_at(s, 11, 2, &hour) || s[13] != ':' ||
	    !digits_at(s, 14, 2, &min))
		return false;
	if (len == 19 && (s[16] != ':' || !digits_at(s, 17, 2, &sec)))
		return false;
	if (mon < 1 || mon > 12 || mday < 1 || mday > 31 || hour > 23 ||
	    min > 59 || sec > 59)
		return false;
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = mday;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	tm.tm_isdst = -1;
	t = utc ? timegm(&tm) : mktime(&tm);
	/* Normalisation moved the date: it did not exist (February 30). */
	if (t == (time_t)-1 && !(tm.tm_year == 69 && tm.tm_mon == 11))
		return false;
	if (tm.tm_mday != mday || tm.tm_mon != mon - 1 ||
	    tm.tm_year != year - 1900)
		return false;
	*start_ns = (int64_t)t * 1000000000;
	*span_ns = (len == 19 ? 1 : 60) * (int64_t)1000000000;
	return true;
}

int store_parse_time(const char *text, int64_t *ns)
{
	int64_t span;

	return text && parse_time(text, ns, &span) ? 0 : STORE_ESELECTOR;
}

int store_label_check(const char *label)
{
	int64_t t, span;
	size_t len;

	if (!label)
		return 0;
	len = strlen(label);
	if (len == 0 || len > STORE_LABEL_MAX)
		return STORE_ELABEL;
	for (const unsigned char *p = (const unsigned char *)label; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return STORE_ELABEL;
	/* A label that reads as another selector could never be selected. */
	if (all_digits(label) || !strcmp(label, "latest") ||
	    !strncmp(label, "latest~", 7) || parse_time(label, &t, &span))
		return STORE_ELABEL;
	return 0;
}

int store_sel_parse(const char *text, struct store_sel *out)
{
	*out = (struct store_sel){ .kind = STORE_SEL_LABEL, .label = text };
	if (!text || !*text)
		return STORE_ESELECTOR;
	if (all_digits(text)) {
		out->kind = STORE_SEL_ID;
		return parse_u64(text, &out->n) ? 0 : STORE_ENOSNAP;
	}
	if (!strcmp(text, "latest")) {
		out->kind = STORE_SEL_LATEST;
		return 0;
	}
	if (!strncmp(text, "latest~", 7) && all_digits(text + 7)) {
		out->kind = STORE_SEL_LATEST;
		return parse_u64(text + 7, &out->n) ? 0 : STORE_ENOSNAP;
	}
	if (parse_time(text, &out->start_ns, &out->span_ns)) {
		out->kind = STORE_SEL_TIME;
		return 0;
	}
	/* No snapshot can carry a longer one. */
	return strlen(text) > STORE_LABEL_MAX ? STORE_ESELECTOR : 0;
}
