/*
 * text.h — byte-level spelling rules shared by the printers.
 *
 * Owns the small rules that render.c, format.c and diff.c must apply
 * alike: squeezing the blanks of a uid/gid map, writing bytes as a JSON
 * string, as Graphviz label data or as data in human text (the one rule
 * by which nsshow on a terminal, nsdiff's text and nsnap's list and info
 * escape what a snapshot holds), and RFC 3339 timestamps.  It knows
 * nothing of graphs or views; each printer decides what to write, this
 * decides how its bytes are spelled.
 */
#ifndef NSNAP_TEXT_H
#define NSNAP_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * A sink for N bytes of S: writes them to OUT in some spelling (as they
 * are, JSON-escaped, DOT-quoted...).  text_squeeze() writes through one,
 * so that every printer squeezes by the same rule and quotes by its own.
 */
typedef void text_write_fn(FILE *out, const char *s, size_t n);

/* The bytes as they are. */
void text_write_raw(FILE *out, const char *s, size_t n);

/*
 * Which bytes are blanks, for text_squeeze().  Bytes of SQUEEZE are
 * dropped at both ends and a run of them between words becomes one
 * separator: NL_SEP when the run holds a '\n', else ' ' (NL_SEP '\0'
 * also means ' ').  Bytes of TRIM_ALSO are dropped at both ends too but
 * kept as data inside.
 */
struct text_blanks {
	const char *squeeze;
	const char *trim_also;  /* may be NULL */
	char nl_sep;
};

/*
 * The reference program's map rule (Go): regexp \s, [ \t\n\f\r], squeezed
 * to ' '; strings.TrimSpace also trims \v.  nsshow's tree, JSON and DOT.
 */
extern const struct text_blanks text_go_blanks;

/*
 * S (not NULL) trimmed and squeezed under B, written through WRITE one
 * word or separator at a time.  Nothing at all when S is all blanks.
 */
void text_squeeze(FILE *out, const char *s, const struct text_blanks *b,
		  text_write_fn *write);

/*
 * JSON strings, for every schema of ours (nsshow-view, nsdiff/1).  '"',
 * '\\', \b \f \n \r \t take their short escapes, as Python's json.dumps
 * writes them; other control bytes and DEL are \u00XX (lowercase hex), and
 * so is every byte >= 0x80, one escape per byte, so that the text is ASCII
 * and a string's code points are exactly its bytes.
 */

/* "S", or null for NULL. */
void text_json_string(FILE *out, const char *s);
/* The N bytes of S escaped as with text_json_string(), without quotes. */
void text_json_bytes(FILE *out, const char *s, size_t n);

/*
 * N bytes inside a quoted DOT label.  DOT gives a backslash its own
 * meaning (\l, \N...), so it is doubled, and '"' is \"; '&' is written
 * "&amp;" because Graphviz expands entities ("&lt;") in labels; bytes
 * outside printable ASCII show as \xNN.
 *
 * text_dot_text() is for text of ours (words, list lines already escaped),
 * shown as it is.  text_dot_data() is for data from a graph (a map, a host
 * name, a comm): the label shows it C-like escaped, a backslash as \\ too,
 * so that no byte can pass for another.
 */
void text_dot_text(FILE *out, const char *s, size_t n);
void text_dot_data(FILE *out, const char *s, size_t n);

/*
 * N bytes of data (a comm, a map) for a terminal: printable ASCII as it
 * is, a backslash as \\, every other byte as \xNN (two lowercase hex
 * digits).  No locale is asked: the same bytes always read the same, no
 * name can move the cursor, forge a line or send the terminal a command,
 * and no spelling can pass for another.  nsshow(1) documents the form.
 */
void text_term_data(FILE *out, const char *s, size_t n);

/* The value of hex digit C (either case), or -1. */
int text_hexval(char c);

/* Room for any text_rfc3339() of an int64_t, NUL included. */
#define TEXT_RFC3339_LEN 32

/*
 * NS (nanoseconds since the epoch, negative before it) in UTC as RFC 3339
 * into BUF: "2023-11-14T22:13:20Z", or "2023-11-14T22:13:20.123456789Z"
 * with FRAC.  Any int64_t, 1677-09-21T00:12:43.145224192Z to
 * 2262-04-11T23:47:16.854775807Z, computed without time_t.  BUF, or NULL
 * when it does not fit in LEN.
 */
const char *text_rfc3339(int64_t ns, bool frac, char *buf, size_t len);

#endif
