/*
 * procfs.h — small, allocation-free readers and parsers for /proc files.
 *
 * Owns the byte-level knowledge of procfs formats that capture needs: the
 * "type:[inode]" spelling of nsfs links, /proc/PID/stat after the comm,
 * status lines, mountinfo fields and their octal escapes.  Everything reads
 * relative to a directory fd so that the caller never builds paths in its
 * hot loop.  No stdio: procfs files are read with plain read(2).
 */
#ifndef NSNAP_PROCFS_H
#define NSNAP_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Read the one-line file NAME (below DIRFD: stat, comm, boot_id) into BUF of
 * SIZE bytes, NUL-terminated.  Returns the length, or -errno.  Stops at the
 * newline that ends the line, which saves the read(2) that would only
 * confirm the end of the file; a longer line is truncated to SIZE - 1.
 */
ssize_t procfs_read_line(int dirfd, const char *name, char *buf, size_t size);

/* A growable buffer, reused across reads so that steady state allocates
 * nothing. */
struct procfs_buf {
	char *data;
	size_t len;  /* bytes read, excluding the terminating NUL */
	size_t cap;
};

/* Read the whole of NAME (below DIRFD) into B, NUL-terminated: 0 or -errno. */
int procfs_read_all(int dirfd, const char *name, struct procfs_buf *b);
/*
 * Like procfs_read_all, but stop early once B holds a complete line that
 * starts with KEY (see procfs_status_value): /proc/PID/status is produced
 * whole by the first read, so that spares the read(2) that returns 0.
 */
int procfs_read_upto(int dirfd, const char *name, struct procfs_buf *b,
		     const char *key);
void procfs_buf_free(struct procfs_buf *b);

/*
 * A directory read with getdents64(2) into a caller's buffer: unlike
 * fdopendir, no fstat, no fcntl and no 32 KiB allocation per directory,
 * which counts when every process has a task/ and an fd/ directory.
 */
struct procfs_dir {
	int fd;
	char *buf;
	size_t size, pos, end;
};

/* Open NAME below DIRFD for procfs_dir_next, reading into BUF (aligned for
 * struct dirent64): 0 or -errno. */
int procfs_dir_open(struct procfs_dir *d, int dirfd, const char *name,
		    char *buf, size_t size);
/* The next entry's name ("." and ".." included), or NULL at the end (*err
 * 0) or on an error (*err = errno). */
const char *procfs_dir_next(struct procfs_dir *d, int *err);
void procfs_dir_close(struct procfs_dir *d);

/*
 * Parse a namespace link or nsfs dentry name, "net:[4026531840]", exactly
 * LEN bytes: a known type name, ":[", decimal digits, "]".  Returns the
 * enum ns_type and *ino, or -1 when S is anything else (a socket, a pipe,
 * a path).
 */
int procfs_parse_nslink(const char *s, size_t len, uint64_t *ino);

/* A decimal name such as an fd's: one or more digits ("0" and leading
 * zeros included), fitting an int32_t. */
bool procfs_parse_int32(const char *name, int32_t *out);

/* A /proc directory entry naming a process: all digits, the first 1-9,
 * fitting an int32_t. */
bool procfs_parse_pid(const char *name, int32_t *pid);

/*
 * From the text of /proc/PID/stat, ppid (field 4) and starttime (field 22).
 * The comm (field 2) may hold spaces and parentheses, so fields are counted
 * after the last ')'.  0 or -EINVAL.
 */
int procfs_parse_stat(const char *buf, size_t len, int32_t *ppid,
		      uint64_t *start_time);

/*
 * In the text of /proc/PID/status, the value of the line starting with KEY
 * (e.g. "NStgid:"): after KEY and the spaces and tabs that follow, up to the
 * newline.  NULL when there is no such line.
 */
const char *procfs_status_value(const char *buf, size_t len, const char *key,
				size_t *vlen);

/*
 * Split one mountinfo line (without its newline) into the fields capture
 * needs.  Returns 0, or -EINVAL for a line without the " - " separator.
 * The pointers point into LINE; nothing is unescaped.
 */
struct procfs_mountinfo {
	const char *root;       size_t root_len;       /* field 3 */
	const char *mountpoint; size_t mountpoint_len; /* field 4 */
	const char *fstype;     size_t fstype_len;     /* first after " - " */
};
int procfs_parse_mountinfo_line(const char *line, size_t len,
				struct procfs_mountinfo *mi);

/*
 * Undo mountinfo's octal escapes (\040 space, \011 tab, \012 newline,
 * \134 backslash) of SRC (LEN bytes) into DST, which has room for SIZE
 * bytes.  Returns the length written (NUL-terminated), or -ENAMETOOLONG.
 */
ssize_t procfs_unescape(char *dst, size_t size, const char *src, size_t len);

#endif
