/*
 * manifest.c — FILE.sha256 in sha256sum(1)'s format (manifest.h).
 */
#include "manifest.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
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

int manifest_write(const char *file, bool *in_manifest)
{
	char path[MANIFEST_PATH_MAX + 8], hex[2 * crypto_hash_sha256_BYTES + 1];
	const char *base = strrchr(file, '/');
	struct fsafe_out *out;
	struct stat st;
	int rc;

	*in_manifest = false;
	base = base ? base + 1 : file;
	if (strlen(file) > MANIFEST_PATH_MAX)
		return -ENAMETOOLONG;
	if (!plain_name(base))
		return -EINVAL;
	if (sodium_init() < 0)
		return -ENOSYS;
	int fd = open(file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	rc = fstat(fd, &st) < 0 ? -errno : !S_ISREG(st.st_mode) ? -EINVAL : 0;
	if (!rc)
		rc = hash_fd(fd, hex);
	close(fd);
	if (rc)
		return rc;
	snprintf(path, sizeof(path), "%s.sha256", file);
	*in_manifest = true;
	rc = fsafe_out_open(path, &out);
	if (rc)
		return rc;
	if (fprintf(fsafe_out_file(out), "%s  %s\n", hex, base) < 0) {
		fsafe_out_abort(out);
		return -EIO;
	}
	return fsafe_out_commit(out);
}
