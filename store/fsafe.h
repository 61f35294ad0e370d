/*
 * fsafe.h — opening store directories and writing output files safely
 * when the files may belong to someone else.
 *
 * Owns every rule about which files nsnap may open, create or write when
 * it runs as root on a machine where other users can plant symbolic
 * links, hard links, FIFOs and devices: the store directory and its
 * data.mdb and lock.mdb, the destination of a copy, a private read-only
 * copy of a store another user owns, and output files such as an export.
 * LMDB opens its files by name, and even a read-only open writes the lock
 * file; so LMDB is only ever given a directory checked here and pinned by
 * a descriptor ("/proc/self/fd/N"), whose entries no other user can
 * change.  Nothing here touches LMDB.  fsafe.c holds the directories (and
 * the path walk), fsafe_out.c the output files.
 *
 * The rules (nsnap(8), FOREIGN STORES, says them to users):
 *  - A store directory must be owned by the caller (root included: root
 *    does not use another user's store) and not be writable by group or
 *    others.  data.mdb and lock.mdb, when present, must be regular files,
 *    not symbolic links, owned by the caller, with one hard link, not
 *    writable by group or others.
 *  - On the way to a directory, a symbolic link is followed only when it
 *    is owned by root or the caller: nobody else can make the path lead
 *    elsewhere.  Directories on the way may belong to anyone: the store
 *    directory is opened once and used through its descriptor, so renaming
 *    a parent changes nothing.
 *  - A directory about to become a store must be new, empty, or hold only
 *    what a store or an interrupted copy leaves (lock.mdb,
 *    data.mdb.partial): "--store /" is refused, not filled.
 *  - An output file that exists must be owned by the caller or by root.
 *    A regular file is replaced atomically (a new file beside it, renamed
 *    over it); a character device or a FIFO is written as it is, like
 *    "cat > FILE"; anything else, and any symbolic link, is refused.
 *
 * Functions return 0 or a negative code: -errno or one of the FSAFE_E*
 * below.  A refusal leaves a message naming the file, its owner and its
 * mode, which fsafe_strerror() returns in the same thread.
 */
#ifndef NSNAP_FSAFE_H
#define NSNAP_FSAFE_H

#include <stdint.h>
#include <stdio.h>

/* Below store.h's codes (-32000...) and far from any errno. */
enum {
	FSAFE_EOWNER = -32100,  /* owned by another user */
	FSAFE_EWRITABLE,        /* group or others may write it */
	FSAFE_ESYMLINK,         /* a symbolic link that is not followed */
	FSAFE_EHARDLINK,        /* a store file with more than one name */
	FSAFE_ETYPE,            /* a kind of file that is not used here */
	FSAFE_ENOTSTORE,        /* a non-empty directory that is not a store */
	FSAFE_ECHANGED,         /* a file kept changing while it was copied */
	FSAFE_ENOPROC,          /* /proc/self/fd does not name the directory */
	FSAFE_ELAST = FSAFE_ENOPROC,
};

/* Whether ERR is one of the codes above (their messages name the file:
 * a tool prints them without a file name of its own). */
#define FSAFE_IS(err) ((err) >= FSAFE_EOWNER && (err) <= FSAFE_ELAST)

/* Text for any code of this module and for -errno.  For the code of the
 * last refusal in this thread: its message, e.g. "/tmp/t/s/lock.mdb:
 * owned by tester (uid 1000), mode 0644, not by root (uid 0): refusing to
 * open a store another user controls (see nsnap(8), FOREIGN STORES)". */
const char *fsafe_strerror(int err);

/* ---- store directories -------------------------------------------------- */

/*
 * Bytes allocated for a new lock.mdb: the size of LMDB's lock table with
 * its default 126 reader slots.  LMDB writes that table through a shared
 * map, where a full file system is a SIGBUS rather than ENOSPC; allocated
 * when the file is made, a full disk is told then, as "no space left".
 */
#define FSAFE_LOCK_BYTES 8192

#define FSAFE_CREATE 0x1u /* make the directory (parents too, 0700) if
			     absent, and data.mdb and lock.mdb (0600) */
#define FSAFE_DEST   0x2u /* the destination of a copy: made like CREATE,
			     but must hold no data.mdb (-EEXIST); no file
			     is made */

struct fsafe_dir;

/*
 * Open directory PATH as a store directory under the rules above.
 * Without flags the directory must exist; lock.mdb is made (0600) when
 * data.mdb exists and it does not, so that LMDB never creates a file
 * itself.  With FSAFE_CREATE or FSAFE_DEST a missing directory is made,
 * and an existing one must be empty or a store (FSAFE_ENOTSTORE).
 * Returns 0 and *out, or -ENOENT, -ENOTDIR, -EEXIST (FSAFE_DEST), one of
 * FSAFE_E*, or another -errno.
 */
int fsafe_dir_open(const char *path, unsigned flags, struct fsafe_dir **out);

/*
 * A private read-only copy of the store in PATH, for a store another user
 * owns: its data.mdb (a regular file, not a link; the directory may be
 * anyone's) is copied into a new directory of the caller's, 0700, under
 * $TMPDIR or /tmp, which fsafe_dir_close() removes.  The copy is of
 * data.mdb as it was at one moment, at most its size at open: one that
 * grows, shrinks or is written during the copy is copied again, up to
 * three times, then FSAFE_ECHANGED; one renamed over meanwhile is copied
 * as it was opened.  -ENOSPC before copying when it would not fit.  The
 * handle names PATH in messages; lock.mdb of the copy is ours.
 */
int fsafe_dir_private(const char *path, struct fsafe_dir **out);

/* What to give mdb_env_open(): "/proc/self/fd/N", N the pinned
 * directory.  Valid until fsafe_dir_close(). */
const char *fsafe_dir_lmdb(const struct fsafe_dir *d);

/* The directory's descriptor (O_RDONLY | O_DIRECTORY), for *at() calls. */
int fsafe_dir_fd(const struct fsafe_dir *d);

/* The path to show in messages: as resolved (the original store's path
 * for a private copy). */
const char *fsafe_dir_path(const struct fsafe_dir *d);

/* data.mdb's size as checked at open (0 when just made), -1 if absent. */
int64_t fsafe_dir_data_size(const struct fsafe_dir *d);

/* Create NAME in the directory: O_EXCL, never through a link, 0600
 * whatever the umask.  *fd is open for writing.  fsafe_dir_discard()
 * removes it (or what it was renamed to with fsafe_dir_rename()). */
int fsafe_dir_create(struct fsafe_dir *d, const char *name, int *fd);

/* Rename FROM to TO inside the directory (renameat(2)). */
int fsafe_dir_rename(struct fsafe_dir *d, const char *from, const char *to);

/* Remove NAME from the directory if present (a leftover of ours). */
int fsafe_dir_remove(struct fsafe_dir *d, const char *name);

/* Make the directory's entries durable (after a rename into place). */
int fsafe_dir_sync(struct fsafe_dir *d);

/* Close D (NULL is fine); a private copy is removed. */
void fsafe_dir_close(struct fsafe_dir *d);

/*
 * Take back what opening and using D made, then close it: the files made
 * through D, and when D made the directory itself, the store's files in
 * it and every directory D made, deepest first.  For a failed copy.
 */
void fsafe_dir_discard(struct fsafe_dir *d);

/* ---- output files ------------------------------------------------------- */

struct fsafe_out;

/*
 * Open FILE for writing one document under the rules above.  "-",
 * "/dev/stdout" and "/proc/self/fd/1" mean standard output, "/dev/stderr"
 * standard error, "/dev/fd/N" and "/proc/self/fd/N" descriptor N, written
 * as they are without opening anything (as a shell does).  A regular file
 * or a missing name gets a temporary file beside it (FILE.XXXXXX, 0600
 * less the umask); a character device or a FIFO is opened without
 * truncating (a FIFO waits for a reader).  Refused: a symbolic link
 * (FSAFE_ESYMLINK), a file owned by someone else than the caller or root
 * (FSAFE_EOWNER), a block device or socket (FSAFE_ETYPE), a directory
 * (-EISDIR).
 */
int fsafe_out_open(const char *file, struct fsafe_out **out);

/* Where to write. */
FILE *fsafe_out_file(struct fsafe_out *o);

/* The name to use in messages ("standard output" for "-"). */
const char *fsafe_out_name(const struct fsafe_out *o);

/*
 * Finish: flush (a full disk shows here), and for a regular file sync and
 * rename it into place, then sync the directory.  Frees O; on failure the
 * temporary file is removed and FILE is as it was.
 */
int fsafe_out_commit(struct fsafe_out *o);

/* Give up: remove the temporary file, leave FILE as it was; frees O
 * (NULL is fine). */
void fsafe_out_abort(struct fsafe_out *o);

#endif
