/*
 * manifest.h — a detached manifest of a written file, in the format of
 * sha256sum(1), so that an export can be entered in a case file and
 * checked with standard tools (sha256sum -c FILE.sha256).
 *
 * Owns SHA-256 for the tools (libsodium's crypto_hash_sha256).
 */
#ifndef NSNAP_MANIFEST_H
#define NSNAP_MANIFEST_H

#include <stdbool.h>

/*
 * Write FILE.sha256 beside regular file FILE: "HEX  NAME\n" with NAME the
 * last component of FILE, as sha256sum writes it when run in FILE's
 * directory.  The manifest goes through fsafe's writer (whole or not at
 * all, never through a symbolic link); FILE is read without following a
 * symbolic link.  0 or -errno / FSAFE_*; *IN_MANIFEST says whether the
 * failure was the manifest's (else FILE's).
 */
int manifest_write(const char *file, bool *in_manifest);

/* Longest FILE manifest_write() takes (the manifest's name adds 7). */
#define MANIFEST_PATH_MAX 4000

#endif
