/*
 * fsafe_int.h — what fsafe.c lends fsafe_out.c: the path walk and the
 * refusal messages.  Only for store/fsafe*.c; the interface is fsafe.h.
 */
#ifndef NSNAP_FSAFE_INT_H
#define NSNAP_FSAFE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "fsafe.h"

/* What a refused operation was, for the end of its message. */
enum fsafe_job {
	FSAFE_JOB_OPEN, FSAFE_JOB_CREATE, FSAFE_JOB_DEST, FSAFE_JOB_COPY,
	FSAFE_JOB_OUTPUT,
};

/* Record ERR's message for fsafe_strerror() (control bytes made '?');
 * returns ERR. */
int fsafe_say(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* "WHERE: owned by USER (uid N), mode M, not by ME: refusing to JOB
 * another user controls (see ...)"; returns FSAFE_EOWNER. */
int fsafe_say_owner(const char *where, const struct stat *st,
		    enum fsafe_job job);

/* "a FIFO", "a block device", ... for a st_mode. */
const char *fsafe_kind(mode_t mode);

/* Same device, inode and kind of file. */
bool fsafe_same_file(const struct stat *a, const struct stat *b);

/* "/proc/self/fd/FD" into BUF when it names FD's file, else
 * FSAFE_ENOPROC (WHERE names FD in the message). */
int fsafe_proc_name(int fd, char *buf, size_t len, const char *where);

/*
 * Walk PATH to a directory one name at a time: *fd an O_PATH descriptor
 * of it, *where its path as walked (malloc'd).  A link is followed only
 * when owned by root or the caller (else FSAFE_ESYMLINK).  With D,
 * missing directories are made 0700 and remembered in D for
 * fsafe_dir_discard().
 */
int fsafe_walk(const char *path, struct fsafe_dir *d, int *fd, char **where);

#endif
