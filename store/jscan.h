/*
 * jscan.h — a JSON text walked in place, one value at a time.
 *
 * Owns finding values in a document without building them: the span of a
 * value (its bytes), the members of an object and the elements of an array
 * one at a time, and the decoding of one string or integer.  Nothing is
 * allocated but the one token jansson decodes when it holds escapes, so a
 * reader's memory follows what it keeps, not what the document holds: a
 * hostile document of millions of empty arrays costs nothing to refuse.
 *
 * What is checked is what is walked: an object or array is only delimited
 * when its span is taken (strings and nesting followed, nothing else), and
 * validated by whoever opens it and walks its members.  A reader that
 * walks every value it accepts therefore accepts only JSON; one that
 * refuses a value unread refuses the document anyway.  Strings and numbers
 * follow jansson's rules (it decodes them), so both readers of this
 * project's documents agree on what a value is.
 */
#ifndef NSNAP_JSCAN_H
#define NSNAP_JSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* The bytes of one value, white space excluded.  P NULL: none. */
struct jspan {
	const char *p;
	size_t n;
};

/* What a value is, as its first byte (and for numbers, its grammar) says. */
enum jkind {
	JK_NONE,        /* no value starts here */
	JK_OBJECT, JK_ARRAY, JK_STRING, JK_INTEGER, JK_REAL, JK_BOOL, JK_NULL,
};

/* A syntax error: where it was met and what; NOMEM: memory ran out. */
struct jerr {
	const char *at;
	bool nomem;
	char text[160];
};

/* An object's members or an array's elements, in order. */
struct jiter {
	const char *p, *end;
	char close;             /* '}' or ']' */
	bool first;
};

/*
 * The value starting at P (after white space) and ending before END: *V,
 * and in *NEXT where the text goes on.  0, or -EBADMSG with E set.
 */
int jscan_value(const char *p, const char *end, struct jspan *v,
		const char **next, struct jerr *e);
/* 0 when only white space is left between P and END, else -EBADMSG. */
int jscan_end(const char *p, const char *end, struct jerr *e);

enum jkind jscan_kind(struct jspan v);
/* "an object", "a string", ... for messages. */
const char *jscan_kind_name(enum jkind k);

/* Walk V, an object or an array (its kind checked by the caller); 0, or
 * -EBADMSG when it does not close with the bracket it opens with. */
int jscan_open(struct jspan v, struct jiter *it, struct jerr *e);
/* The next member: 1 with *KEY (the quoted key) and *VAL, 0 at the end,
 * -EBADMSG with E set. */
int jscan_member(struct jiter *it, struct jspan *key, struct jspan *val,
		 struct jerr *e);
/* The next element, likewise. */
int jscan_element(struct jiter *it, struct jspan *val, struct jerr *e);

/* A decoded string: S[0..N), inside the document or held by HOLD. */
struct jstr {
	const char *s;
	size_t n;
	json_t *hold;
};

/* Decode V (of kind JK_STRING); release with jscan_str_free().  0 or
 * -EBADMSG (bad escape, \u0000, bad UTF-8...) / -ENOMEM with E set. */
int jscan_str(struct jspan v, struct jstr *s, struct jerr *e);
void jscan_str_free(struct jstr *s);

/*
 * Whether S[0..n) is UTF-8 as RFC 3629 (and jansson) define it: no
 * overlong forms, no surrogates, nothing above U+10FFFF; NUL refused too,
 * as no C string holds one.  Such bytes can be a JSON string as they are.
 */
bool jscan_utf8_valid(const unsigned char *s, size_t n);

/* Decode V (of kind JK_INTEGER) into *X; *NEG_ZERO when it is spelled
 * "-0".  0 or -EBADMSG ("too big integer") / -ENOMEM with E set. */
int jscan_int(struct jspan v, json_int_t *x, bool *neg_zero, struct jerr *e);

#endif
