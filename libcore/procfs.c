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

/* read(2) until SIZE bytes, end of file, or (with AT_NEWLINE) a newline at
 * the end of what was read; procfs seq files may return less than asked
 * before the end. */
static ssize_t read_fully(int fd, char *buf, size_t size, bool at_newline)
{
	size_t done = 0;

	while (done < size && !(at_newline && done && buf[done - 1] == '\n')) {
		ssize_t n = read(fd, buf + done, size - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

ssize_t procfs_read_line(int dirfd, const char *name, char *buf, size_t size)
{
	if (size == 0)
		return -EINVAL;
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	ssize_t n = read_fully(fd, buf, size - 1, true);
	close(fd);
	if (n < 0)
		return n;
	buf[n] = '\0';
	return n;
}

#define PROCFS_BUF_MIN 4096

/* Whether the LEN bytes at BUF hold a whole line starting with KEY. */
static bool has_key_line(const char *buf, size_t len, const char *key)
{
	size_t vlen;
	const char *v = procfs_status_value(buf, len, key, &vlen);

	return v && v + vlen < buf + len; /* ended by a newline */
}

int procfs_read_all(int dirfd, const char *name, struct procfs_buf *b)
{
	return procfs_read_upto(dirfd, name, b, NULL);
}

int procfs_read_upto(int dirfd, const char *name, struct procfs_buf *b,
		     const char *key)
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
		ssize_t n = read(fd, b->data + b->len, b->cap - b->len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			goto out;
		}
		if (n == 0)
			break;
		b->len += (size_t)n;
		if (key && has_key_line(b->data, b->len, key))
			break;
	}
	b->data[b->len] = '\0';
out:
	close(fd);
	return rc;
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

int procfs_parse_stat(const char *buf, size_t len, int32_t *ppid,
		      uint64_t *start_time)
{
	const char *end = buf + len;
	const char *p = NULL;

	for (const char *q = buf; q < end; q++)
		if (*q == ')')
			p = q;
	if (!p)
		return -EINVAL;
	p++;
	/* Field 3, the state: one character. */
	if (end - p < 2 || p[0] != ' ')
		return -EINVAL;
	p += 2;

	uint64_t v;
	for (int field = 4; field <= 22; field++) {
		if (parse_field(&p, end, &v) < 0)
			return -EINVAL;
		if (field == 4)
			*ppid = v > INT32_MAX ? 0 : (int32_t)v;
	}
	*start_time = v;
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
