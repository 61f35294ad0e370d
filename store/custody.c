/*
 * custody.c — BLAKE2b-256 digests, Ed25519 signatures and key files, all
 * through libsodium (custody.h says what each protects).
 */
#include "custody.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "codec.h"
#include "text.h"

#define SECRET_TAG "nsnap-ed25519-secret-key\n"
#define PUBLIC_TAG "nsnap-ed25519-public-key "
#define SIG_TAG "nsnap-signature/1"     /* 17 bytes and its NUL */
#define CONTENT_TAG "nsnap-content/1"
#define LINK_TAG "nsnap-link/1"
#define KEYFILE_MAX 4096

/* make bench's baseline for what custody costs a record (bench/run.sh):
 * the same nsnap with neither content digest nor links computed.  Built
 * as build/bench/nsnap-unchained only; such a store does not verify. */
#ifdef NSNAP_BENCH_UNCHAINED
#define UNCHAINED 1
#else
#define UNCHAINED 0
#endif

_Static_assert(crypto_sign_PUBLICKEYBYTES == CUSTODY_PK_LEN, "key size");
_Static_assert(crypto_sign_SECRETKEYBYTES == CUSTODY_SK_LEN, "key size");
_Static_assert(crypto_sign_BYTES == CUSTODY_SIG_LEN, "signature size");
_Static_assert(sizeof(SIG_TAG) == 18, "the message's first 18 bytes");

int custody_init(void)
{
	/* 0 the first time, 1 after: both fine. */
	return sodium_init() < 0 ? -ENOSYS : 0;
}

void custody_hash(const void *p, size_t n, uint8_t out[CUSTODY_DIGEST_LEN])
{
	crypto_generichash(out, CUSTODY_DIGEST_LEN, p, n, NULL, 0);
}

/* A domain tag first, NUL included: no digest of one kind is the digest
 * of another kind of bytes. */
static void hash_begin(crypto_generichash_state *st, const char *tag)
{
	crypto_generichash_init(st, NULL, 0, CUSTODY_DIGEST_LEN);
	crypto_generichash_update(st, (const uint8_t *)tag, strlen(tag) + 1);
}

static void hash_u64(crypto_generichash_state *st, uint64_t v)
{
	uint8_t b[8];

	codec_be64_write(b, v);
	crypto_generichash_update(st, b, 8);
}

/* Bytes with their length before them: no two sequences of pieces hash
 * alike. */
static void hash_piece(crypto_generichash_state *st, const void *p, size_t n)
{
	hash_u64(st, n);
	if (n)
		crypto_generichash_update(st, p, n);
}

void custody_link(const void *header, size_t n,
		  uint8_t out[CUSTODY_DIGEST_LEN])
{
	crypto_generichash_state st;

	if (UNCHAINED) {
		memset(out, 0, CUSTODY_DIGEST_LEN);
		return;
	}
	hash_begin(&st, LINK_TAG);
	hash_piece(&st, header, n);
	crypto_generichash_final(&st, out, CUSTODY_DIGEST_LEN);
}

static void hash_recs(crypto_generichash_state *st, const struct codec_rec *r,
		      size_t n)
{
	hash_u64(st, n);
	for (size_t i = 0; i < n; i++)
		hash_piece(st, r[i].data, r[i].len);
}

int custody_content(const struct codec_snapshot *s, const char *label,
		    size_t len, uint8_t out[CUSTODY_DIGEST_LEN])
{
	crypto_generichash_state st;
	struct codec_buf b;
	int ret;

	if (UNCHAINED) {
		memset(out, 0, CUSTODY_DIGEST_LEN);
		return 0;
	}
	/* The whole meta record holds the capture; the vantage point is
	 * laid out as the header lays it out. */
	codec_buf_init(&b);
	ret = codec_meta_whole(&s->meta, &s->capture, &b);
	if (ret) {
		codec_buf_free(&b);
		return ret;
	}
	hash_begin(&st, CONTENT_TAG);
	crypto_generichash_update(&st, (const uint8_t *)(label ? "\1" : "\0"), 1);
	hash_piece(&st, label, label ? len : 0);
	hash_piece(&st, b.data, b.len);
	b.len = 0;
	codec_put_vantage(&b, &s->capture.vantage, s->capture.vp_version);
	ret = b.err;
	if (!ret) {
		hash_piece(&st, b.data, b.len);
		hash_piece(&st, s->layout.data, s->layout.len);
		hash_recs(&st, s->ns, s->nns);
		hash_recs(&st, s->procs, s->nprocs);
		hash_recs(&st, s->mounts, s->nmounts);
		crypto_generichash_final(&st, out, CUSTODY_DIGEST_LEN);
	}
	codec_buf_free(&b);
	return ret;
}

int custody_graph_content(const struct graph *g, const char *label,
			  uint8_t out[CUSTODY_DIGEST_LEN])
{
	struct codec_snapshot snap;
	int rc = codec_encode_graph(g, &snap);

	if (rc)
		return rc;
	rc = custody_content(&snap, label, label ? strlen(label) : 0, out);
	codec_snapshot_free(&snap);
	return rc;
}

size_t custody_sig_message(const struct custody_block *b,
			   uint8_t msg[CUSTODY_MSG_LEN])
{
	size_t o = 0;

	memcpy(msg, SIG_TAG, sizeof(SIG_TAG));
	o += sizeof(SIG_TAG);
	memcpy(msg + o, b->content, CUSTODY_DIGEST_LEN);
	o += CUSTODY_DIGEST_LEN;
	codec_be64_write(msg + o, b->sig_id);
	o += 8;
	msg[o++] = b->sig_has_prev;
	if (b->sig_has_prev)
		memcpy(msg + o, b->sig_prev, CUSTODY_DIGEST_LEN);
	else
		memset(msg + o, 0, CUSTODY_DIGEST_LEN);
	o += CUSTODY_DIGEST_LEN;
	memcpy(msg + o, b->sig_store, CUSTODY_STORE_ID_LEN);
	o += CUSTODY_STORE_ID_LEN;
	return o;
}

void custody_random(void *out, size_t n)
{
	(void)custody_init();
	randombytes_buf(out, n);
}

int custody_sign(struct custody_block *b, const struct custody_key *k)
{
	uint8_t msg[CUSTODY_MSG_LEN];
	size_t n;

	if (!k->has_secret)
		return -EINVAL;
	n = custody_sig_message(b, msg);
	crypto_sign_detached(b->sig, NULL, msg, n, k->sk);
	memcpy(b->key, k->pk, CUSTODY_PK_LEN);
	b->is_signed = true;
	return 0;
}

bool custody_sig_ok(const struct custody_block *b)
{
	uint8_t msg[CUSTODY_MSG_LEN];
	size_t n;

	if (!b->is_signed)
		return false;
	n = custody_sig_message(b, msg);
	return crypto_sign_verify_detached(b->sig, msg, n, b->key) == 0;
}

/* DOMAIN (NUL included) and DATA hashed: what a detached signature signs,
 * so that a signature of one kind never passes for another. */
static void bytes_digest(const char *domain, const void *data, size_t n,
			 uint8_t out[CUSTODY_DIGEST_LEN])
{
	crypto_generichash_state st;

	hash_begin(&st, domain);
	hash_piece(&st, data, n);
	crypto_generichash_final(&st, out, CUSTODY_DIGEST_LEN);
}

int custody_sign_bytes(const char *domain, const void *data, size_t n,
		       const struct custody_key *k,
		       uint8_t sig[CUSTODY_SIG_LEN])
{
	uint8_t d[CUSTODY_DIGEST_LEN];

	if (!k->has_secret)
		return -EINVAL;
	bytes_digest(domain, data, n, d);
	crypto_sign_detached(sig, NULL, d, sizeof(d), k->sk);
	return 0;
}

bool custody_check_bytes(const char *domain, const void *data, size_t n,
			 const uint8_t pk[CUSTODY_PK_LEN],
			 const uint8_t sig[CUSTODY_SIG_LEN])
{
	uint8_t d[CUSTODY_DIGEST_LEN];

	bytes_digest(domain, data, n, d);
	return crypto_sign_verify_detached(sig, d, sizeof(d), pk) == 0;
}

void custody_hex(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

int custody_unhex(const char *hex, size_t len, uint8_t *out, size_t n)
{
	if (len != 2 * n)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		int hi = text_hexval(hex[2 * i]), lo = text_hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

void custody_key_id(const uint8_t key[CUSTODY_PK_LEN],
		    char out[CUSTODY_KEYID_LEN + 1])
{
	uint8_t d[CUSTODY_DIGEST_LEN];

	custody_hash(key, CUSTODY_PK_LEN, d);
	custody_hex(d, CUSTODY_KEYID_LEN / 2, out);
}

void custody_key_wipe(struct custody_key *k)
{
	sodium_memzero(k->sk, sizeof(k->sk));
	k->has_secret = false;
}

/* ---- key files ---------------------------------------------------------- */

/* Write all of P to a new file PATH of MODE (whatever the umask), made
 * with O_EXCL (a link there is refused too), synced.  0 or -errno; a file
 * that could not be written whole is removed. */
static int write_new(const char *path, mode_t mode, const char *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		      O_CLOEXEC, mode);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (fchmod(fd, mode))
		ret = -errno;
	while (!ret && n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			ret = w < 0 ? -errno : -EIO;
			break;
		}
		p += w;
		n -= (size_t)w;
	}
	if (!ret && fsync(fd))
		ret = -errno;
	if (close(fd) && !ret)
		ret = -errno;
	if (ret)
		unlink(path);
	return ret;
}

int custody_keygen(const char *path, struct custody_key *out)
{
	char secret[sizeof(SECRET_TAG) + 2 * CUSTODY_SK_LEN + 1];
	char public[sizeof(PUBLIC_TAG) + 2 * CUSTODY_PK_LEN + 1];
	char pub_path[4096];
	size_t n;
	int ret;

	if (custody_init())
		return -ENOSYS;
	if (snprintf(pub_path, sizeof(pub_path), "%s.pub", path) >=
	    (int)sizeof(pub_path))
		return -ENAMETOOLONG;
	crypto_sign_keypair(out->pk, out->sk);
	out->has_secret = true;
	memcpy(secret, SECRET_TAG, sizeof(SECRET_TAG) - 1);
	n = sizeof(SECRET_TAG) - 1;
	custody_hex(out->sk, CUSTODY_SK_LEN, secret + n);
	n += 2 * CUSTODY_SK_LEN;
	secret[n++] = '\n';
	memcpy(public, PUBLIC_TAG, sizeof(PUBLIC_TAG) - 1);
	custody_hex(out->pk, CUSTODY_PK_LEN, public + sizeof(PUBLIC_TAG) - 1);
	strcat(public, "\n");

	/* Refuse before making anything: neither file may exist. */
	struct stat st;
	if (!lstat(pub_path, &st))
		ret = -EEXIST;
	else
		ret = write_new(path, 0600, secret, n);
	if (!ret) {
		ret = write_new(pub_path, 0644, public, strlen(public));
		if (ret)
			unlink(path);
	}
	sodium_memzero(secret, sizeof(secret));
	if (ret)
		custody_key_wipe(out);
	return ret;
}

/* A key file into BUF (NUL-terminated), read without following a link;
 * *ST its status.  0 or -errno. */
static int read_keyfile(const char *path, char *buf, size_t size,
			struct stat *st)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	size_t n = 0;
	int ret = 0;

	if (fd < 0)
		return errno == ELOOP ? -ELOOP : -errno;
	if (fstat(fd, st))
		ret = -errno;
	else if (!S_ISREG(st->st_mode))
		ret = -EINVAL;
	else if (st->st_size >= (off_t)size)
		ret = -EFBIG;
	while (!ret && n + 1 < size) {
		ssize_t r = read(fd, buf + n, size - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			ret = -errno;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	return ret;
}

/* "TAG" HEX "\n" (the newline may be missing) into OUT: 0 or -EBADMSG. */
static int parse_key(const char *text, const char *tag, uint8_t *out,
		     size_t n)
{
	size_t tl = strlen(tag), len;

	if (strncmp(text, tag, tl))
		return -EBADMSG;
	text += tl;
	len = strlen(text);
	if (len && text[len - 1] == '\n')
		len--;
	return custody_unhex(text, len, out, n) ? -EBADMSG : 0;
}

int custody_load_secret(const char *path, struct custody_key *out)
{
	char buf[KEYFILE_MAX];
	uint8_t pk[CUSTODY_PK_LEN];
	struct stat st;
	int ret;

	*out = (struct custody_key){ 0 };
	if (custody_init())
		return -ENOSYS;
	ret = read_keyfile(path, buf, sizeof(buf), &st);
	if (!ret && ((st.st_uid != geteuid() && geteuid() != 0) ||
		     (st.st_mode & 077)))
		ret = -EPERM;
	if (!ret)
		ret = parse_key(buf, SECRET_TAG, out->sk, CUSTODY_SK_LEN);
	sodium_memzero(buf, sizeof(buf));
	if (!ret) {
		/* The public half is the secret's own: made again from the
		 * seed (the first half), not read from the second, which is
		 * what crypto_sign_ed25519_sk_to_pk() does. */
		uint8_t seed[crypto_sign_SEEDBYTES], sk[CUSTODY_SK_LEN];
		crypto_sign_ed25519_sk_to_seed(seed, out->sk);
		crypto_sign_seed_keypair(pk, sk, seed);
		if (memcmp(pk, out->sk + 32, sizeof(pk)))
			ret = -EBADMSG;
		sodium_memzero(seed, sizeof(seed));
		sodium_memzero(sk, sizeof(sk));
		memcpy(out->pk, pk, sizeof(pk));
		out->has_secret = true;
	}
	if (ret)
		custody_key_wipe(out);
	return ret;
}

int custody_load_public(const char *path_or_hex, struct custody_key *out)
{
	char buf[KEYFILE_MAX];
	struct stat st;
	int ret;

	*out = (struct custody_key){ 0 };
	if (custody_init())
		return -ENOSYS;
	if (!custody_unhex(path_or_hex, strlen(path_or_hex), out->pk,
			   CUSTODY_PK_LEN))
		return 0;
	ret = read_keyfile(path_or_hex, buf, sizeof(buf), &st);
	if (ret)
		return ret;
	ret = parse_key(buf, PUBLIC_TAG, out->pk, CUSTODY_PK_LEN);
	if (ret && !parse_key(buf, SECRET_TAG, out->sk, CUSTODY_SK_LEN)) {
		/* A secret key file: its public half as its seed makes it,
		 * and refused when the file says another. */
		uint8_t seed[crypto_sign_SEEDBYTES], sk[CUSTODY_SK_LEN];
		crypto_sign_ed25519_sk_to_seed(seed, out->sk);
		crypto_sign_seed_keypair(out->pk, sk, seed);
		ret = memcmp(out->pk, out->sk + 32, CUSTODY_PK_LEN) ? -EBADMSG : 0;
		sodium_memzero(seed, sizeof(seed));
		sodium_memzero(sk, sizeof(sk));
	}
	sodium_memzero(buf, sizeof(buf));
	custody_key_wipe(out);
	return ret;
}
