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
 * Most procfs files are produced whole by the first read(2) that asks for
 * enough: the single_open seq files (stat, status, comm, cgroup), the
 * sysctls, loginuid, cmdline.  For those a read shorter than asked is the
 * end of the file, and the read(2) that would return 0 to confirm it is
 * saved: one read per file, on the hottest path of a scan.  Files of many
 * seq records (mountinfo, uid_map) may stop short before their end and are
 * read to the end (procfs_read_all).
 */

/*
 * Read the small file NAME (below DIRFD) into BUF of SIZE bytes,
 * NUL-terminated: one read(2), more only after an interrupted one.
 * Returns the length, or -errno; a longer file is cut to SIZE - 1 bytes
 * (a return of SIZE - 1 says it may have been).
 */
ssize_t procfs_read_small(int dirfd, const char *name, char *buf, size_t size);

/* A growable buffer, reused across reads so that steady state allocates
 * nothing. */
struct procfs_buf {
	char *data;
	size_t len;  /* bytes read, excluding the terminating NUL */
	size_t cap;
};

/* Read the whole of NAME (below DIRFD) into B, NUL-terminated, up to the
 * read(2) that returns 0: 0 or -errno. */
int procfs_read_all(int dirfd, const char *name, struct procfs_buf *b);
/* The same for a file produced whole at the first read: stops at the
 * first read that does not fill B (growing B while reads fill it). */
int procfs_read_whole(int dirfd, const char *name, struct procfs_buf *b);
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
 * What capture keeps of /proc/PID/stat.  The comm (field 2) may hold
 * spaces and parentheses, so it runs from the first '(' to the last ')'
 * and fields are counted after that.  It is the very text /proc/PID/comm
 * holds (both print the task's name the same way), without the newline.
 */
struct procfs_stat {
	const char *comm;       /* points into the parsed text */
	size_t comm_len;
	char state;             /* field 3: R, S, D, Z, X, ... */
	int32_t ppid;           /* field 4; 0 when negative or too large */
	uint64_t start_time;    /* field 22 */
};
/* 0 or -EINVAL. */
int procfs_parse_stat(const char *buf, size_t len, struct procfs_stat *st);

/*
 * In the text of /proc/PID/status, the value of the line starting with KEY
 * (e.g. "NStgid:"): after KEY and the spaces and tabs that follow, up to the
 * newline.  NULL when there is no such line.
 */
const char *procfs_status_value(const char *buf, size_t len, const char *key,
				size_t *vlen);

/*
 * What capture keeps of /proc/PID/status, in one pass over its lines.
 * 'have' says which lines were there and well formed (PROCFS_ST_*).
 */
#define PROCFS_ST_STATE    0x01u
#define PROCFS_ST_THREADS  0x02u
#define PROCFS_ST_UID      0x04u
#define PROCFS_ST_GID      0x08u
#define PROCFS_ST_CAPEFF   0x10u
#define PROCFS_ST_NNP      0x20u
#define PROCFS_ST_SECCOMP  0x40u
#define PROCFS_ST_NSTGID   0x80u

struct procfs_status {
	uint32_t have;
	char state;                 /* "State:" first character */
	uint32_t threads;
	uint32_t ruid, euid, rgid, egid;
	uint64_t cap_eff;           /* "CapEff:", hexadecimal */
	uint8_t no_new_privs;
	uint8_t seccomp;
	const char *nstgid;         /* as procfs_status_value gives it */
	size_t nstgid_len;
};
void procfs_parse_status(const char *buf, size_t len, struct procfs_status *st);

/* A decimal unsigned 32-bit number, LEN bytes, optionally followed by one
 * newline (loginuid, sessionid): true and *out, or false. */
bool procfs_parse_u32(const char *s, size_t len, uint32_t *out);

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
