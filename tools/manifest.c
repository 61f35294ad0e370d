/*
 * manifest.c — FILE.sha256 in sha256sum(1)'s format, its signature
 * FILE.sha256.sig, and their checks (manifest.h).
 */
#include "manifest.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsafe.h"

/* The SHA-256 of the regular file FD, in lowercase hex. */
static int hash_fd(int fd, char hex[2 * crypto_hash_sha256_BYTES + 1])
{
	unsigned char buf[65536], sum[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_state st;
	ssize_t n;

	crypto_hash_sha256_init(&st);
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		crypto_hash_sha256_update(&st, buf, (unsigned long long)n);
	}
	crypto_hash_sha256_final(&st, sum);
	sodium_bin2hex(hex, 2 * crypto_hash_sha256_BYTES + 1, sum, sizeof(sum));
	return 0;
}

/* sha256sum escapes a name holding a backslash or a newline (a leading
 * backslash on the line): refuse those rather than write a second form. */
static bool plain_name(const char *name)
{
	return *name && !strpbrk(name, "\\\n\r");
}

int manifest_name_check(const char *file)
{
	const char *base = strrchr(file, '/');

	if (strlen(file) > MANIFEST_PATH_MAX)
		return -ENAMETOOLONG;
	return plain_name(base ? base + 1 : file) ? 0 : -EINVAL;
}

/* FILE.sha256.sig for manifest LINE (N bytes), signed by K. */
static int write_sig(const char *file, const char *line, size_t n,
		     const struct custody_key *k)
{
	char path[MANIFEST_PATH_MAX + 16], id[CUSTODY_KEYID_LEN + 1];
	char hex[2 * CUSTODY_SIG_LEN + 1];
	uint8_t sig[CUSTODY_SIG_LEN];
	struct fsafe_out *out;
	int rc = custody_sign_bytes(MANIFEST_SIG_DOMAIN, line, n, k, sig);

	if (rc)
		return rc;
	custody_key_id(k->pk, id);
	custody_hex(sig, sizeof(sig), hex);
	snprintf(path, sizeof(path), "%s.sha256.sig", file);
	rc = fsafe_out_open(path, &out);
	if (rc)
		return rc;
	if (fprintf(fsafe_out_file(out), "%s %s %s\n", MANIFEST_SIG_MAGIC, id,
		    hex) < 0) {
		fsafe_out_abort(out);
		return -EIO;
	}
	return fsafe_out_commit(out);
}

int manifest_write(const char *file, const struct custody_key *signer,
		   enum manifest_part *failed)
{
	char path[MANIFEST_PATH_MAX + 8], hex[2 * crypto_hash_sha256_BYTES + 1];
	char line[sizeof(hex) + MANIFEST_PATH_MAX + 4];
	const char *base = strrchr(file, '/');
	struct fsafe_out *out;
	struct stat st;
	int rc, n;

	*failed = MANIFEST_FILE;
	base = base ? base + 1 : file;
	if (strlen(file) > MANIFEST_PATH_MAX)
		return -ENAMETOOLONG;
	if (!plain_name(base))
		return -EINVAL;
	if (sodium_init() < 0)
		return -ENOSYS;
	/* O_NONBLOCK: a FIFO there must not hang the open (refused below). */
	int fd = open(file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	rc = fstat(fd, &st) < 0 ? -errno : !S_ISREG(st.st_mode) ? -EINVAL : 0;
	if (!rc)
		rc = hash_fd(fd, hex);
	close(fd);
	if (rc)
		return rc;
	/* The line is made once: what is signed is what is written. */
	n = snprintf(line, sizeof(line), "%s  %s\n", hex, base);
	snprintf(path, sizeof(path), "%s.sha256", file);
	*failed = MANIFEST_SUM;
	rc = fsafe_out_open(path, &out);
	if (rc)
		return rc;
	if (fwrite(line, 1, (size_t)n, fsafe_out_file(out)) != (size_t)n) {
		fsafe_out_abort(out);
		return -EIO;
	}
	rc = fsafe_out_commit(out);
	if (rc || !signer)
		return rc;
	*failed = MANIFEST_SIG;
	return write_sig(file, line, (size_t)n, signer);
}

int manifest_read(const char *file, const char *suffix, char **out,
		  size_t *len)
{
	char path[MANIFEST_PATH_MAX + 16];
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	int fd, rc = 0;

	*out = NULL;
	*len = 0;
	if (strlen(file) > MANIFEST_PATH_MAX)
		return -ENAMETOOLONG;
	snprintf(path, sizeof(path), "%s%s", file, suffix);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		rc = -errno;
	else if (!S_ISREG(st.st_mode))
		rc = -EINVAL;
	else if (st.st_size > 65536)
		rc = -EFBIG;
	else if (!(buf = malloc((size_t)st.st_size + 1)))
		rc = -ENOMEM;
	while (!rc && got < (size_t)st.st_size) {
		ssize_t k = read(fd, buf + got, (size_t)st.st_size - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			rc = k ? -errno : -EIO;   /* shrank under us */
		else
			got += (size_t)k;
	}
	close(fd);
	if (rc) {
		free(buf);
		return rc;
	}
	buf[got] = '\0';
	*out = buf;
	*len = got;
	return 0;
}

int manifest_check(const char *file, const char *m, size_t n,
		   const void *data, size_t len, char *why, size_t whylen)
{
	const size_t hexlen = 2 * crypto_hash_sha256_BYTES;
	unsigned char want[crypto_hash_sha256_BYTES], sum[sizeof(want)];
	const char *base = strrchr(file, '/');
	size_t blen;

	base = base ? base + 1 : file;
	blen = strlen(base);
	why[0] = '\0';
	/* One line: the hash, two characters, the name, a newline. */
	if (n < hexlen + 3 || m[n - 1] != '\n' ||
	    memchr(m, '\n', n - 1) || memchr(m, '\0', n) ||
	    m[hexlen] != ' ' || (m[hexlen + 1] != ' ' && m[hexlen + 1] != '*') ||
	    custody_unhex(m, hexlen, want, sizeof(want))) {
		snprintf(why, whylen, "%s.sha256 is not one line of "
			 "sha256sum's format", file);
		return -EBADMSG;
	}
	if (n - hexlen - 3 != blen || memcmp(m + hexlen + 2, base, blen)) {
		snprintf(why, whylen, "%s.sha256 names another file, not %s",
			 file, base);
		return -EBADMSG;
	}
	if (sodium_init() < 0) {
		snprintf(why, whylen, "libsodium cannot be initialised");
		return -EBADMSG;
	}
	crypto_hash_sha256(sum, data, len);
	if (sodium_memcmp(sum, want, sizeof(sum))) {
		snprintf(why, whylen, "the SHA-256 of %s is not the one %s.sha256 "
			 "records: one of them was changed", file, file);
		return -EBADMSG;
	}
	return 0;
}

int manifest_sig_parse(const char *s, size_t n, struct manifest_sig *out)
{
	const size_t magic = strlen(MANIFEST_SIG_MAGIC);
	const size_t want = magic + 1 + CUSTODY_KEYID_LEN + 1 +
			    2 * CUSTODY_SIG_LEN + 1;

	/* Exactly the line manifest_write() writes: a lowercase key id
	 * (the signature's hex may be of either case). */
	if (n != want || memcmp(s, MANIFEST_SIG_MAGIC, magic) ||
	    s[magic] != ' ' || s[magic + 1 + CUSTODY_KEYID_LEN] != ' ' ||
	    s[n - 1] != '\n')
		return -EBADMSG;
	const char *id = s + magic + 1, *sig = id + CUSTODY_KEYID_LEN + 1;
	for (size_t i = 0; i < CUSTODY_KEYID_LEN; i++)
		if (!strchr("0123456789abcdef", id[i]) || !id[i])
			return -EBADMSG;
	if (custody_unhex(sig, 2 * CUSTODY_SIG_LEN, out->sig, CUSTODY_SIG_LEN))
		return -EBADMSG;
	memcpy(out->key_id, id, CUSTODY_KEYID_LEN);
	out->key_id[CUSTODY_KEYID_LEN] = '\0';
	return 0;
}

bool manifest_sig_ok(const char *m, size_t n, const struct manifest_sig *sig,
		     const uint8_t pk[CUSTODY_PK_LEN])
{
	return custody_check_bytes(MANIFEST_SIG_DOMAIN, m, n, pk, sig->sig);
}
