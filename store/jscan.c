/*
 * jscan.c — walking a JSON text in place (see jscan.h).
 *
 * The grammar is RFC 8259's, as jansson reads it: white space is space,
 * tab, newline and carriage return; numbers have no leading zeros, no '+'
 * and no bare '.'; true, false and null are lowercase.  Errors read like
 * jansson's ("',' or '}' expected near 'x'").  No function here recurses:
 * nesting is counted, so a document nested a million deep is one counter.
 */
#include "jscan.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_digit(const char *p, const char *end)
{
	return p < end && *p >= '0' && *p <= '9';
}

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && is_ws(*p))
		p++;
	return p;
}

/* TEXT "near" the bytes at AT, as jansson words it. */
__attribute__((format(printf, 4, 5)))
static int syntax(struct jerr *e, const char *at, const char *end,
		  const char *fmt, ...)
{
	va_list ap;
	size_t n;

	e->at = at;
	e->nomem = false;
	va_start(ap, fmt);
	vsnprintf(e->text, sizeof(e->text), fmt, ap);
	va_end(ap);
	n = strlen(e->text);
	if (at >= end) {
		snprintf(e->text + n, sizeof(e->text) - n, " near end of file");
	} else {
		int len = end - at > 16 ? 16 : (int)(end - at);
		snprintf(e->text + n, sizeof(e->text) - n, " near '%.*s'", len,
			 at);
	}
	return -EBADMSG;
}

/* After the string opening at P, or NULL when it does not close. */
static const char *string_end(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (*p == '"')
			return p + 1;
		if (*p == '\\' && ++p == end)
			return NULL;
	}
	return NULL;
}

/* After the object or array opening at P, strings and nesting followed;
 * NULL when it does not close.  Which bracket closes is checked later. */
static const char *composite_end(const char *p, const char *end)
{
	size_t depth = 0;

	while (p < end) {
		switch (*p) {
		case '"':
			p = string_end(p, end);
			if (!p)
				return NULL;
			continue;
		case '{':
		case '[':
			depth++;
			break;
		case '}':
		case ']':
			if (--depth == 0)
				return p + 1;
			break;
		}
		p++;
	}
	return NULL;
}

/* After the number at P, or NULL; *REAL when it has a fraction or an
 * exponent (jansson makes those reals). */
static const char *number_end(const char *p, const char *end, bool *real)
{
	*real = false;
	if (p < end && *p == '-')
		p++;
	if (!is_digit(p, end))
		return NULL;
	if (*p++ != '0')
		while (is_digit(p, end))
			p++;
	if (p < end && *p == '.') {
		*real = true;
		if (!is_digit(++p, end))
			return NULL;
		while (is_digit(p, end))
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		*real = true;
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (!is_digit(p, end))
			return NULL;
		while (is_digit(p, end))
			p++;
	}
	return p;
}

static const char *literal_end(const char *p, const char *end,
			       const char *lit)
{
	size_t n = strlen(lit);

	return (size_t)(end - p) >= n && !memcmp(p, lit, n) ? p + n : NULL;
}

int jscan_value(const char *p, const char *end, struct jspan *v,
		const char **next, struct jerr *e)
{
	const char *q = NULL;
	bool real;

	p = skip_ws(p, end);
	if (p == end)
		return syntax(e, p, end, "a value expected");
	switch (*p) {
	case '"':
		if (!(q = string_end(p, end)))
			return syntax(e, end, end, "premature end of input");
		break;
	case '{':
	case '[':
		if (!(q = composite_end(p, end)))
			return syntax(e, end, end, "'%c' expected",
				      *p == '{' ? '}' : ']');
		break;
	case 't':
		q = literal_end(p, end, "true");
		break;
	case 'f':
		q = literal_end(p, end, "false");
		break;
	case 'n':
		q = literal_end(p, end, "null");
		break;
	default:
		q = number_end(p, end, &real);
		break;
	}
	if (!q)
		return syntax(e, p, end, "invalid token");
	*v = (struct jspan){ p, (size_t)(q - p) };
	if (next)
		*next = q;
	return 0;
}

int jscan_end(const char *p, const char *end, struct jerr *e)
{
	p = skip_ws(p, end);
	return p == end ? 0 : syntax(e, p, end, "end of file expected");
}

enum jkind jscan_kind(struct jspan v)
{
	if (!v.p || !v.n)
		return JK_NONE;
	switch (v.p[0]) {
	case '{':
		return JK_OBJECT;
	case '[':
		return JK_ARRAY;
	case '"':
		return JK_STRING;
	case 't':
	case 'f':
		return JK_BOOL;
	case 'n':
		return JK_NULL;
	}
	for (size_t i = 0; i < v.n; i++)
		if (v.p[i] == '.' || v.p[i] == 'e' || v.p[i] == 'E')
			return JK_REAL;
	return JK_INTEGER;
}

const char *jscan_kind_name(enum jkind k)
{
	static const char *const names[] = {
		[JK_NONE] = "nothing", [JK_OBJECT] = "an object",
		[JK_ARRAY] = "an array", [JK_STRING] = "a string",
		[JK_INTEGER] = "an integer", [JK_REAL] = "a real number",
		[JK_BOOL] = "a boolean", [JK_NULL] = "null",
	};

	return k <= JK_NULL ? names[k] : "something else";
}

int jscan_open(struct jspan v, struct jiter *it, struct jerr *e)
{
	char close = v.p[0] == '{' ? '}' : ']';

	*it = (struct jiter){ .p = v.p + 1, .end = v.p + v.n - 1,
			      .close = close, .first = true };
	if (v.n < 2 || *it->end != close)
		return syntax(e, it->end, v.p + v.n, "'%c' expected", close);
	return 0;
}

/* Before the next member or element: 1 when there is one (P at it), 0 at
 * the end, -EBADMSG. */
static int next_item(struct jiter *it, struct jerr *e)
{
	const char *p = skip_ws(it->p, it->end);
	bool first = it->first;

	it->first = false;
	if (p == it->end && first)
		return 0;
	if (!first) {
		if (p == it->end)
			return 0;
		if (*p != ',')
			return syntax(e, p, it->end, "',' or '%c' expected",
				      it->close);
		p = skip_ws(p + 1, it->end);
	}
	it->p = p;
	return 1;
}

int jscan_member(struct jiter *it, struct jspan *key, struct jspan *val,
		 struct jerr *e)
{
	int rc = next_item(it, e);
	const char *p;

	if (rc <= 0)
		return rc;
	if (it->p == it->end || *it->p != '"')
		return syntax(e, it->p, it->end, "string or '}' expected");
	if ((rc = jscan_value(it->p, it->end, key, &p, e)))
		return rc;
	p = skip_ws(p, it->end);
	if (p == it->end || *p != ':')
		return syntax(e, p, it->end, "':' expected");
	if ((rc = jscan_value(p + 1, it->end, val, &it->p, e)))
		return rc;
	return 1;
}

int jscan_element(struct jiter *it, struct jspan *val, struct jerr *e)
{
	int rc = next_item(it, e);

	if (rc <= 0)
		return rc;
	if ((rc = jscan_value(it->p, it->end, val, &it->p, e)))
		return rc;
	return 1;
}

/* ---- scalars ------------------------------------------------------------ */

bool jscan_utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned c = s[i];
		size_t len;
		uint32_t cp, min;

		if (c == 0)
			return false;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			len = 2, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			len = 3, cp = c & 0x0f, min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4, cp = c & 0x07, min = 0x10000;
		} else {
			return false;
		}
		if (n - i < len)
			return false;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += len;
	}
	return true;
}

/* V decoded by jansson, the one value it holds; NULL with E set. */
static json_t *decode(struct jspan v, struct jerr *e)
{
	json_error_t jerr;
	json_t *j = json_loadb(v.p, v.n, JSON_DECODE_ANY, &jerr);

	if (j)
		return j;
	e->at = v.p + (jerr.position > 0 && (size_t)jerr.position <= v.n
			       ? jerr.position - 1 : 0);
#if JANSSON_VERSION_HEX >= 0x020e00
	e->nomem = json_error_code(&jerr) == json_error_out_of_memory;
#else
	e->nomem = false;
#endif
	snprintf(e->text, sizeof(e->text), "%s", jerr.text);
	return NULL;
}

int jscan_str(struct jspan v, struct jstr *s, struct jerr *e)
{
	const unsigned char *p = (const unsigned char *)v.p + 1;
	size_t n = v.n - 2;
	bool plain = true, ascii = true;

	*s = (struct jstr){ 0 };
	/* Most strings need no decoding: no escape, no control byte, and
	 * (what jansson checks too) valid UTF-8. */
	for (size_t i = 0; i < n && plain; i++) {
		plain = p[i] >= 0x20 && p[i] != '\\';
		ascii &= p[i] < 0x80;
	}
	if (plain && (ascii || jscan_utf8_valid(p, n))) {
		s->s = (const char *)p;
		s->n = n;
		return 0;
	}
	json_t *j = decode(v, e);
	if (!j)
		return e->nomem ? -ENOMEM : -EBADMSG;
	if (!json_is_string(j)) {
		json_decref(j);
		return syntax(e, v.p, v.p + v.n, "invalid string");
	}
	s->s = json_string_value(j);
	s->n = json_string_length(j);
	s->hold = j;
	return 0;
}

void jscan_str_free(struct jstr *s)
{
	json_decref(s->hold);
	*s = (struct jstr){ 0 };
}

int jscan_int(struct jspan v, json_int_t *x, bool *neg_zero, struct jerr *e)
{
	bool neg = v.p[0] == '-';
	size_t digits = v.n - neg;

	*neg_zero = v.n == 2 && neg && v.p[1] == '0';
	/* Up to 18 digits fit any json_int_t; longer ones jansson judges. */
	if (digits <= 18) {
		long long m = 0;
		for (size_t i = neg; i < v.n; i++)
			m = m * 10 + (v.p[i] - '0');
		*x = (json_int_t)(neg ? -m : m);
		return 0;
	}
	json_t *j = decode(v, e);
	if (!j)
		return e->nomem ? -ENOMEM : -EBADMSG;
	if (!json_is_integer(j)) {
		json_decref(j);
		return syntax(e, v.p, v.p + v.n, "invalid integer");
	}
	*x = json_integer_value(j);
	json_decref(j);
	return 0;
}
