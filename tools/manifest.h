/*
 * manifest.h — a detached manifest of a written file, in the format of
 * sha256sum(1), so that an export can be entered in a case file and
 * checked with standard tools (sha256sum -c FILE.sha256); its detached
 * signature, FILE.sha256.sig; and their checks (nsnap verify-export).
 *
 * Owns SHA-256 for the tools (libsodium's crypto_hash_sha256) and the
 * format of FILE.sha256.sig: one line
 *
 *   nsnap-ed25519-signature KEYID HEX128
 *
 * KEYID the signing key's id (custody_key_id()), HEX128 the Ed25519
 * signature of custody_sign_bytes() with domain MANIFEST_SIG_DOMAIN over
 * the exact bytes of FILE.sha256.
 */
#ifndef NSNAP_MANIFEST_H
#define NSNAP_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "custody.h"

#define MANIFEST_SIG_DOMAIN "nsnap-manifest/1"
#define MANIFEST_SIG_MAGIC "nsnap-ed25519-signature"

/* Which file a failure of manifest_write() was about. */
enum manifest_part { MANIFEST_FILE, MANIFEST_SUM, MANIFEST_SIG };

/*
 * Write FILE.sha256 beside regular file FILE: "HEX  NAME\n" with NAME the
 * last component of FILE, as sha256sum writes it when run in FILE's
 * directory; with SIGNER (may be NULL) also FILE.sha256.sig, signing the
 * bytes just written.  Each goes through fsafe's writer (whole or not at
 * all, never through a symbolic link); FILE is read without following a
 * symbolic link.  0 or -errno / FSAFE_*; *FAILED says which file the
 * failure was about (FILE.sha256 stays when only its signature failed).
 */
int manifest_write(const char *file, const struct custody_key *signer,
		   enum manifest_part *failed);

/* Longest FILE manifest_write() takes (the signature's name adds 11). */
#define MANIFEST_PATH_MAX 4000

/* Whether manifest_write() can name FILE: 0, -EINVAL (its last component
 * is empty or holds a backslash or line break, which sha256sum escapes),
 * -ENAMETOOLONG. */
int manifest_name_check(const char *file);

/*
 * FILE and SUFFIX (".sha256", ".sha256.sig") read whole into a malloc'd
 * buffer (NUL after the *LEN bytes), not through a symbolic link: 0,
 * -ENOENT when there is none, -EFBIG past 64 KiB, -EINVAL when it is no
 * regular file, or -errno.
 */
int manifest_read(const char *file, const char *suffix, char **out,
		  size_t *len);

/*
 * Whether manifest M (N bytes) is FILE's: one line "HEX  NAME" (or
 * "HEX *NAME") whose HEX is the SHA-256 of DATA (LEN bytes, FILE's
 * content) and whose NAME is FILE's last component.  0, or -EBADMSG with
 * WHY (printable ASCII) saying what differs.
 */
int manifest_check(const char *file, const char *m, size_t n,
		   const void *data, size_t len, char *why, size_t whylen);

/* A FILE.sha256.sig, read. */
struct manifest_sig {
	char key_id[CUSTODY_KEYID_LEN + 1];
	uint8_t sig[CUSTODY_SIG_LEN];
};

/* S (N bytes) as FILE.sha256.sig's one line: 0 or -EBADMSG. */
int manifest_sig_parse(const char *s, size_t n, struct manifest_sig *out);
/* Whether SIG is public key PK's over manifest M (N bytes). */
bool manifest_sig_ok(const char *m, size_t n, const struct manifest_sig *sig,
		     const uint8_t pk[CUSTODY_PK_LEN]);

#endif
