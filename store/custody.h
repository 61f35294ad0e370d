/*
 * custody.h — what makes a snapshot evidence: its content digest, the
 * hash chain of a store's headers, Ed25519 signatures and their key files.
 *
 * Owns libsodium for the store (BLAKE2b-256 and Ed25519); nothing else in
 * store/ calls it.  XXH3 (codec.h) names records and catches accidents;
 * these catch edits: a digest that can be recomputed by anyone who edits a
 * document is no evidence, one that needs the signer's secret key is.
 *
 *   content  BLAKE2b-256 over the snapshot's canonical bytes: its label,
 *            its whole meta record (the capture in it), its vantage point,
 *            its layout and every record, each length-prefixed, in the
 *            order of the snapshot digest (custody_content()).  The
 *            same wherever the snapshot is kept: the store recomputes it
 *            on every write, verify and import.
 *   link     BLAKE2b-256 over a header as stored, checksum included
 *            (custody_link()).  Each header carries the link of the one
 *            written before it in its store ("prev"): the chain.
 *   signed   Ed25519 over "nsnap-signature/1", the content, the id the
 *            snapshot had where it was signed, the prev it had there and
 *            that store's id (custody_sig_message()): the signature
 *            survives export and import, and vouches for the snapshot's
 *            place in the chain of the store that signed it.  The store's
 *            id is what tells, in that store, a snapshot signed there
 *            (whose place is checked) from one imported.
 */
#ifndef NSNAP_CUSTODY_H
#define NSNAP_CUSTODY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CUSTODY_DIGEST_LEN 32
#define CUSTODY_PK_LEN 32
#define CUSTODY_SK_LEN 64
#define CUSTODY_SIG_LEN 64
/* A key's short name in messages: 16 hex digits of BLAKE2b of the key. */
#define CUSTODY_KEYID_LEN 16
/* A store's own id (meta "id"): random, made when the store first signs
 * a snapshot. */
#define CUSTODY_STORE_ID_LEN 16

/* What a version 5 header says of its snapshot's custody. */
struct custody_block {
	uint8_t content[CUSTODY_DIGEST_LEN];
	bool has_prev;          /* false: the first snapshot of its store */
	uint8_t prev[CUSTODY_DIGEST_LEN];
	bool is_signed;
	uint8_t key[CUSTODY_PK_LEN];
	uint8_t sig[CUSTODY_SIG_LEN];
	uint64_t sig_id;        /* its id in the store that signed it */
	bool sig_has_prev;      /* and the prev it had there */
	uint8_t sig_prev[CUSTODY_DIGEST_LEN];
	uint8_t sig_store[CUSTODY_STORE_ID_LEN];   /* and that store's id */
};

/* A key pair, or (has_secret false) a public key alone. */
struct custody_key {
	uint8_t pk[CUSTODY_PK_LEN];
	uint8_t sk[CUSTODY_SK_LEN];
	bool has_secret;
};

/* libsodium's initialisation, once: 0 or -ENOSYS. */
int custody_init(void);

/* BLAKE2b-256 of P. */
void custody_hash(const void *p, size_t n, uint8_t out[CUSTODY_DIGEST_LEN]);

/* The link of a stored header: its bytes as stored, whole. */
void custody_link(const void *header, size_t n,
		  uint8_t out[CUSTODY_DIGEST_LEN]);

/* The bytes an Ed25519 signature of B signs (the tag, B's content,
 * sig_id, sig_has_prev and sig_prev, sig_store), into MSG; its length. */
#define CUSTODY_MSG_LEN (18 + CUSTODY_DIGEST_LEN + 8 + 1 + CUSTODY_DIGEST_LEN + \
			 CUSTODY_STORE_ID_LEN)
size_t custody_sig_message(const struct custody_block *b,
			   uint8_t msg[CUSTODY_MSG_LEN]);

/* Sign B (content, sig_id, sig_prev, sig_store filled in) with K: key
 * and sig set, is_signed true.  0 or -EINVAL (K has no secret). */
int custody_sign(struct custody_block *b, const struct custody_key *k);
/* Whether B's signature is B's key's over B. */
bool custody_sig_ok(const struct custody_block *b);

/* Sign or check a detached signature over bytes DATA with DOMAIN as the
 * first bytes signed (a manifest: "nsnap-manifest/1"). */
int custody_sign_bytes(const char *domain, const void *data, size_t n,
		       const struct custody_key *k,
		       uint8_t sig[CUSTODY_SIG_LEN]);
bool custody_check_bytes(const char *domain, const void *data, size_t n,
			 const uint8_t pk[CUSTODY_PK_LEN],
			 const uint8_t sig[CUSTODY_SIG_LEN]);

/* N random bytes (libsodium's randombytes_buf()). */
void custody_random(void *out, size_t n);

/* KEY's short name: CUSTODY_KEYID_LEN hex digits and a NUL. */
void custody_key_id(const uint8_t key[CUSTODY_PK_LEN],
		    char out[CUSTODY_KEYID_LEN + 1]);

/* Lowercase hex of N bytes into OUT (2N + 1 bytes). */
void custody_hex(const uint8_t *p, size_t n, char *out);
/* N bytes from exactly 2N hex digits (either case): 0 or -EINVAL. */
int custody_unhex(const char *hex, size_t len, uint8_t *out, size_t n);

/*
 * Key files.  A secret key file is "nsnap-ed25519-secret-key\n" and 128
 * hex digits (libsodium's 64-byte secret key, which ends in the public
 * key) and a newline; a public key file "nsnap-ed25519-public-key " and 64
 * hex digits and a newline.
 *
 * custody_keygen(): a new pair into PATH (mode 0600) and PATH.pub (0644),
 * both made with O_EXCL: an existing file (or a link) there is never
 * replaced (-EEXIST); when PATH.pub cannot be made, PATH is removed again.
 *
 * custody_load_secret(): a secret key file, opened without following a
 * link; it must be a regular file (-EINVAL) of the caller's (root:
 * anyone's) to which its group and others have no access at all: -EPERM
 * otherwise, as ssh refuses such a key.  -EBADMSG when it is no key file
 * (or its public half is not its secret's).
 *
 * custody_load_public(): a public key file, a secret key file (its public
 * half), or the 64 hex digits themselves.  -EBADMSG when none.
 *
 * The loaders take a file under 4 KiB (-EFBIG); other errors -errno.
 */
int custody_keygen(const char *path, struct custody_key *out);
int custody_load_secret(const char *path, struct custody_key *out);
int custody_load_public(const char *path_or_hex, struct custody_key *out);
/* Forget K's secret (sodium_memzero). */
void custody_key_wipe(struct custody_key *k);

struct codec_snapshot;

/*
 * The content digest of snapshot S (its records and capture as codec.h
 * lays them out) labelled LABEL (LEN bytes; NULL: none).  0, -EBADMSG when
 * S's meta record is none, -ENOMEM.
 */
int custody_content(const struct codec_snapshot *s, const char *label,
		    size_t len, uint8_t out[CUSTODY_DIGEST_LEN]);

struct graph;

/* The same for graph G, encoded as the store would (a document's
 * snapshot, checked before it meets a store): 0, -EINVAL for a graph
 * graph_check() refuses, -ENOMEM. */
int custody_graph_content(const struct graph *g, const char *label,
			  uint8_t out[CUSTODY_DIGEST_LEN]);

#endif
