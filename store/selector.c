/*
 * selector.c — what a selector says, before it meets a store.
 *
 * Owns the selector grammar (an id, latest, latest~N, a time, a label),
 * the time form YYYY-MM-DDTHH:MM[:SS][Z] and the range of times it can
 * name, and which labels are acceptable.
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
 * What a text says as a time.  The form is YYYY-MM-DDTHH:MM[:SS][Z]; its
 * shape is that with a year of any width, signed or not.  Capture times
 * are int64 nanoseconds since the epoch: a second or minute can be named
 * when its first nanosecond is one (1677-09-21T00:12:44Z to
 * 2262-04-11T23:47:16Z), the last ones end with the range.
 */
enum time_form {
	TIME_NONE,      /* not the shape: a label */
	TIME_BAD,       /* the shape, but no time of the form: another year
			   width, a day or hour that does not exist */
	TIME_RANGE,     /* a time outside the range */
	TIME_OK,
};

#define NS_PER_S 1000000000
static const int64_t sec_min = INT64_MIN / NS_PER_S;
static const int64_t sec_max = INT64_MAX / NS_PER_S;

static bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int y, int m)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
				      30, 31 };

	return m == 2 && leap(y) ? 29 : days[m - 1];
}

/* Days from 1970-01-01 to Y-M-D in the proleptic Gregorian calendar
 * (H. Hinnant's days_from_civil): no time_t, no timegm(). */
static int64_t days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	int era = (y >= 0 ? y : y - 399) / 400;
	int yoe = y - era * 400;
	int doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return (int64_t)era * 146097 + doe - 719468;
}

/* Local time: mktime()'s answer, checked (it says -1 for a time it cannot
 * represent and for 1969-12-31T23:59:59Z alike; tm_wday tells them
 * apart).  TIME_BAD when normalising moved the date. */
static enum time_form local_secs(struct tm *tm, int64_t *secs)
{
	int year = tm->tm_year, mon = tm->tm_mon, mday = tm->tm_mday;
	time_t t;

	tm->tm_isdst = -1;
	tm->tm_wday = -1;
	t = mktime(tm);
	if (t == (time_t)-1 && tm->tm_wday == -1)
		return TIME_RANGE;
	if (tm->tm_mday != mday || tm->tm_mon != mon || tm->tm_year != year)
		return TIME_BAD;
	*secs = (int64_t)t;
	return TIME_OK;
}

/*
 * TEXT as a time: TIME_OK with the first nanosecond of that minute (or
 * second) and its length: a snapshot taken during the named minute is
 * "at" it.
 */
static enum time_form parse_time(const char *s, int64_t *start_ns,
				 int64_t *span_ns)
{
	size_t len = strlen(s), y0 = s[0] == '+' || s[0] == '-', y1 = y0;
	bool utc = len > 0 && s[len - 1] == 'Z';
	struct tm tm = { 0 };
	int mon, mday, hour, min, sec = 0;
	int64_t year = 0, secs;

	while (s[y1] >= '0' && s[y1] <= '9') {
		if (year < 100000)
			year = year * 10 + (s[y1] - '0');
		y1++;
	}
	len -= utc + y1;
	s += y1;
	/* The shape after the year: -MM-DDTHH:MM[:SS]. */
	if (y1 == y0 || (len != 12 && len != 15) ||
	    s[0] != '-' || !digits_at(s, 1, 2, &mon) || s[3] != '-' ||
	    !digits_at(s, 4, 2, &mday) || s[6] != 'T' ||
	    !digits_at(s, 7, 2, &hour) || s[9] != ':' ||
	    !digits_at(s, 10, 2, &min) ||
	    (len == 15 && (s[12] != ':' || !digits_at(s, 13, 2, &sec))))
		return TIME_NONE;
	if (y0 || y1 != 4 || mon < 1 || mon > 12 || mday < 1 ||
	    mday > month_days((int)year, mon) || hour > 23 || min > 59 ||
	    sec > 59)
		return TIME_BAD;
	/* Local times lie within a day of UTC: beyond these years no
	 * offset brings one into the range. */
	if (year < 1677 || year > 2262)
		return TIME_RANGE;
	if (utc) {
		secs = days_from_civil((int)year, mon, mday) * 86400 +
		       hour * 3600 + min * 60 + sec;
	} else {
		tm.tm_year = (int)year - 1900;
		tm.tm_mon = mon - 1;
		tm.tm_mday = mday;
		tm.tm_hour = hour;
		tm.tm_min = min;
		tm.tm_sec = sec;
		enum time_form f = local_secs(&tm, &secs);
		if (f != TIME_OK)
			return f;
	}
	if (secs < sec_min || secs > sec_max)
		return TIME_RANGE;
	*start_ns = secs * NS_PER_S;
	*span_ns = (len == 15 ? 1 : 60) * (int64_t)NS_PER_S;
	/* The last second and minute end with the range. */
	if (*start_ns > INT64_MAX - (*span_ns - 1))
		*span_ns = INT64_MAX - *start_ns + 1;
	return TIME_OK;
}

int store_parse_time(const char *text, int64_t *ns)
{
	int64_t span;

	switch (text ? parse_time(text, ns, &span) : TIME_NONE) {
	case TIME_OK:
		return 0;
	case TIME_RANGE:
		return STORE_ETIME;
	default:
		return STORE_ESELECTOR;
	}
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
	/* A label that reads as another selector could never be selected;
	 * one with the shape of a time reads as one to people, whether the
	 * time exists, or fits the range, or not. */
	if (all_digits(label) || !strcmp(label, "latest") ||
	    !strncmp(label, "latest~", 7) ||
	    parse_time(label, &t, &span) != TIME_NONE)
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
	switch (parse_time(text, &out->start_ns, &out->span_ns)) {
	case TIME_OK:
		out->kind = STORE_SEL_TIME;
		return 0;
	case TIME_RANGE:
		/* Never a wrap, nor a label: no snapshot can be at it. */
		return STORE_ETIME;
	default:
		break;
	}
	/* No snapshot can carry a longer one. */
	return strlen(text) > STORE_LABEL_MAX ? STORE_ESELECTOR : 0;
}
