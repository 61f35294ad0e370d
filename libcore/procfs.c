/*
 * procfs.c — readers and parsers for the procfs formats capture uses.
 */
#include "procfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "graph.h"

/* One read(2) of up to SIZE bytes, retried when interrupted. */
static ssize_t read_once(int fd, char *buf, size_t size)
{
	for (;;) {
		ssize_t n = read(fd, buf, size);
		if (n >= 0 || errno != EINTR)
			return n < 0 ? -errno : n;
	}
}

ssize_t procfs_read_small(int dirfd, const char *name, char *buf, size_t size)
{
	if (size == 0)
		return -EINVAL;
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	ssize_t n = read_once(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return n;
	buf[n] = '\0';
	return n;
}

#define PROCFS_BUF_MIN 4096

/* Read NAME into B; WHOLE: stop at the first read that does not fill the
 * room it was given (see procfs.h), else at the read that returns 0. */
static int read_into(int dirfd, const char *name, struct procfs_buf *b,
		     bool whole)
{
	int rc = 0;
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return -errno;
	b->len = 0;
	for (;;) {
		/* Keep one byte for the NUL. */
		if (b->cap - b->len < 2) {
			size_t ncap = b->cap ? b->cap * 2 : PROCFS_BUF_MIN;
			char *p = realloc(b->data, ncap);
			if (!p) {
				rc = -ENOMEM;
				goto out;
			}
			b->data = p;
			b->cap = ncap;
		}
		size_t room = b->cap - b->len - 1;
		ssize_t n = read_once(fd, b->data + b->len, room);
		if (n < 0) {
			rc = (int)n;
			goto out;
		}
		b->len += (size_t)n;
		if (n == 0 || (whole && (size_t)n < room))
			break;
	}
	b->data[b->len] = '\0';
out:
	close(fd);
	return rc;
}

int procfs_read_all(int dirfd, const char *name, struct procfs_buf *b)
{
	return read_into(dirfd, name, b, false);
}

int procfs_read_whole(int dirfd, const char *name, struct procfs_buf *b)
{
	return read_into(dirfd, name, b, true);
}

void procfs_buf_free(struct procfs_buf *b)
{
	free(b->data);
	*b = (struct procfs_buf){ 0 };
}

int procfs_dir_open(struct procfs_dir *d, int dirfd, const char *name,
		    char *buf, size_t size)
{
	*d = (struct procfs_dir){ .fd = -1, .buf = buf, .size = size };
	d->fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return d->fd < 0 ? -errno : 0;
}

const char *procfs_dir_next(struct procfs_dir *d, int *err)
{
	*err = 0;
	if (d->pos >= d->end) {
		ssize_t n = getdents64(d->fd, d->buf, d->size);
		if (n <= 0) {
			if (n < 0)
				*err = errno;
			return NULL;
		}
		d->pos = 0;
		d->end = (size_t)n;
	}
	/* glibc's struct dirent64 is the kernel's linux_dirent64. */
	struct dirent64 *de = (struct dirent64 *)(void *)(d->buf + d->pos);
	d->pos += de->d_reclen;
	return de->d_name;
}

void procfs_dir_close(struct procfs_dir *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
}

int procfs_parse_nslink(const char *s, size_t len, uint64_t *ino)
{
	const char *colon = memchr(s, ':', len);

	if (!colon)
		return -1;
	size_t name_len = (size_t)(colon - s);
	/* At least "[" digit "]" after the colon. */
	if (len - name_len < 4 || colon[1] != '[' || s[len - 1] != ']')
		return -1;
	int type = ns_type_from_name(s, name_len);
	if (type < 0)
		return -1;

	uint64_t v = 0;
	for (const char *p = colon + 2; p < s + len - 1; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		unsigned d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*ino = v;
	return type;
}

bool procfs_parse_int32(const char *name, int32_t *out)
{
	int64_t v = 0;

	if (!*name)
		return false;
	for (const char *p = name; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (*p - '0');
		if (v > INT32_MAX)
			return false;
	}
	*out = (int32_t)v;
	return true;
}

bool procfs_parse_pid(const char *name, int32_t *pid)
{
	if (name[0] < '1' || name[0] > '9')
		return false;
	return procfs_parse_int32(name, pid);
}

/* Parse the unsigned decimal at *P (after skipping one space), advancing *P. */
static int parse_field(const char **p, const char *end, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;

	if (s >= end || *s != ' ')
		return -EINVAL;
	s++;
	/* ppid of the idle task and fields like priority may be negative;
	 * we only ever want non-negative ones, but must skip the others. */
	bool neg = s < end && *s == '-';
	if (neg)
		s++;
	const char *digits = s;
	while (s < end && *s >= '0' && *s <= '9') {
		v = v * 10 + (uint64_t)(*s - '0');
		s++;
	}
	if (s == digits)
		return -EINVAL;
	*p = s;
	*out = neg ? 0 : v;
	return 0;
}

int procfs_parse_stat(const char *buf, size_t len, struct procfs_stat *st)
{
	const char *end = buf + len;
	const char *open = memchr(buf, '(', len);
	const char *p = NULL;

	if (!open)
		return -EINVAL;
	for (const char *q = open; q < end; q++)
		if (*q == ')')
			p = q;
	if (!p)
		return -EINVAL;
	st->comm = open + 1;
	st->comm_len = (size_t)(p - open - 1);
	p++;
	/* Field 3, the state: one character. */
	if (end - p < 2 || p[0] != ' ')
		return -EINVAL;
	st->state = p[1];
	p += 2;

	uint64_t v;
	for (int field = 4; field <= 22; field++) {
		if (parse_field(&p, end, &v) < 0)
			return -EINVAL;
		if (field == 4)
			st->ppid = v > INT32_MAX ? 0 : (int32_t)v;
	}
	st->start_time = v;
	return 0;
}

const char *procfs_status_value(const char *buf, size_t len, const char *key,
				size_t *vlen)
{
	size_t klen = strlen(key);
	const char *end = buf + len;

	for (const char *line = buf; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *eol = nl ? nl : end;

		if ((size_t)(eol - line) >= klen && memcmp(line, key, klen) == 0) {
			const char *v = line + klen;
			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			*vlen = (size_t)(eol - v);
			return v;
		}
		line = nl ? nl + 1 : end;
	}
	return NULL;
}

/* Digits in base BASE (10 or 16) from *P up to END, at least one, no
 * overflow of MAX; *P is moved past them. */
static bool parse_number(const char **p, const char *end, unsigned base,
			 uint64_t max, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;

	for (; s < end; s++) {
		unsigned d;
		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else
			break;
		if (d > max || v > (max - d) / base)
			return false;
		v = v * base + d;
	}
	if (s == *p)
		return false;
	*p = s;
	*out = v;
	return true;
}

/* The first two tab-separated numbers of a Uid: or Gid: value. */
static bool parse_id_pair(const char *v, const char *eol, uint32_t *real,
			  uint32_t *eff)
{
	uint64_t r, e;

	if (!parse_number(&v, eol, 10, UINT32_MAX, &r) || v >= eol || *v != '\t')
		return false;
	v++;
	if (!parse_number(&v, eol, 10, UINT32_MAX, &e))
		return false;
	*real = (uint32_t)r;
	*eff = (uint32_t)e;
	return true;
}

/* One status line's key, for the one-pass parse. */
static bool key_is(const char *line, size_t klen, const char *key)
{
	return strlen(key) == klen && memcmp(line, key, klen) == 0;
}

void procfs_parse_status(const char *buf, size_t len, struct procfs_status *st)
{
	const char *end = buf + len;
	uint64_t n;

	*st = (struct procfs_status){ 0 };
	for (const char *line = buf; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *eol = nl ? nl : end;
		const char *colon = memchr(line, ':', (size_t)(eol - line));
		const char *key = line;

		line = nl ? nl + 1 : end;
		if (!colon)
			continue;
		size_t klen = (size_t)(colon - key);
		const char *v = colon + 1;
		while (v < eol && (*v == ' ' || *v == '\t'))
			v++;
		if (key_is(key, klen, "State")) {
			if (v < eol) {
				st->state = *v;
				st->have |= PROCFS_ST_STATE;
			}
		} else if (key_is(key, klen, "Threads")) {
			if (parse_number(&v, eol, 10, UINT32_MAX, &n)) {
				st->threads = (uint32_t)n;
				st->have |= PROCFS_ST_THREADS;
			}
		} else if (key_is(key, klen, "Uid")) {
			if (parse_id_pair(v, eol, &st->ruid, &st->euid))
				st->have |= PROCFS_ST_UID;
		} else if (key_is(key, klen, "Gid")) {
			if (parse_id_pair(v, eol, &st->rgid, &st->egid))
				st->have |= PROCFS_ST_GID;
		} else if (key_is(key, klen, "CapEff")) {
			if (parse_number(&v, eol, 16, UINT64_MAX, &st->cap_eff))
				st->have |= PROCFS_ST_CAPEFF;
		} else if (key_is(key, klen, "NoNewPrivs")) {
			if (parse_number(&v, eol, 10, 1, &n)) {
				st->no_new_privs = (uint8_t)n;
				st->have |= PROCFS_ST_NNP;
			}
		} else if (key_is(key, klen, "Seccomp")) {
			if (parse_number(&v, eol, 10, 2, &n)) {
				st->seccomp = (uint8_t)n;
				st->have |= PROCFS_ST_SECCOMP;
			}
		} else if (key_is(key, klen, "NStgid")) {
			st->nstgid = v;
			st->nstgid_len = (size_t)(eol - v);
			st->have |= PROCFS_ST_NSTGID;
		}
	}
}

bool procfs_parse_u32(const char *s, size_t len, uint32_t *out)
{
	const char *p = s, *end = s + len;
	uint64_t v;

	if (len && end[-1] == '\n')
		end--;
	if (!parse_number(&p, end, 10, UINT32_MAX, &v) || p != end)
		return false;
	*out = (uint32_t)v;
	return true;
}

int procfs_parse_mountinfo_line(const char *line, size_t len,
				struct procfs_mountinfo *mi)
{
	const char *end = line + len;
	const char *p = line;
	bool after_separator = false;

	*mi = (struct procfs_mountinfo){ 0 };
	for (int field = 0; p < end; field++) {
		const char *sp = memchr(p, ' ', (size_t)(end - p));
		const char *fe = sp ? sp : end;
		size_t flen = (size_t)(fe - p);

		if (after_separator) {
			mi->fstype = p;
			mi->fstype_len = flen;
			return field > 6 ? 0 : -EINVAL;
		}
		if (field == 3) {
			mi->root = p;
			mi->root_len = flen;
		} else if (field == 4) {
			mi->mountpoint = p;
			mi->mountpoint_len = flen;
		} else if (field >= 6 && flen == 1 && *p == '-') {
			/* Optional fields (shared:N ...) end at a lone "-". */
			after_separator = true;
		}
		if (!sp)
			break;
		p = sp + 1;
	}
	return -EINVAL;
}

static bool is_octal(char c)
{
	return c >= '0' && c <= '7';
}

ssize_t procfs_unescape(char *dst, size_t size, const char *src, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		char c = src[i];
		if (c == '\\' && len - i > 3 && is_octal(src[i + 1]) &&
		    is_octal(src[i + 2]) && is_octal(src[i + 3])) {
			c = (char)(((src[i + 1] - '0') << 6) |
				   ((src[i + 2] - '0') << 3) | (src[i + 3] - '0'));
			i += 3;
		}
		if (o + 1 >= size)
			return -ENAMETOOLONG;
		dst[o++] = c;
	}
	if (o >= size)
		return -ENAMETOOLONG;
	dst[o] = '\0';
	return (ssize_t)o;
}
