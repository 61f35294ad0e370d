/*
 * replay_main.c — a libFuzzer target's corpus, replayed without libFuzzer.
 *
 * Feeds every regular file of the directory argv[1], in name order so that
 * runs repeat, to LLVMFuzzerTestOneInput().  Each input sits in a heap
 * block of its exact size, as libFuzzer gives it, so ASan sees a read past
 * its end.  A crash is the sanitizers' to report: reaching the summary line
 * means there was none.  Exit 0, 1 when the corpus cannot be read, 2 usage.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The whole of PATH in a block of its exact size; NULL on error. */
static uint8_t *slurp(int dirfd, const char *name, size_t *size, int *skip)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t done = 0;
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);

	*skip = 0;
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		*skip = 1;
		goto out;
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf)
		goto out;
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + done, (size_t)st.st_size - done);
		if (n <= 0) {
			free(buf);
			buf = NULL;
			goto out;
		}
		done += (size_t)n;
	}
	*size = done;
out:
	close(fd);
	return buf;
}

int main(int argc, char **argv)
{
	struct dirent **names;
	size_t inputs = 0;
	int n, dirfd, ret = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	dirfd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	n = dirfd < 0 ? -1 : scandir(argv[1], &names, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "fuzz replay: %s: %s\n", argv[1], strerror(errno));
		if (dirfd >= 0)
			close(dirfd);
		return 1;
	}
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		size_t size = 0;
		int skip;

		if (name[0] == '.') {
			free(names[i]);
			continue;
		}
		uint8_t *data = slurp(dirfd, name, &size, &skip);
		if (!data && !skip) {
			fprintf(stderr, "fuzz replay: %s/%s: %s\n", argv[1], name,
				strerror(errno ? errno : EIO));
			ret = 1;
		}
		if (data) {
			LLVMFuzzerTestOneInput(data, size);
			free(data);
			inputs++;
		}
		free(names[i]);
	}
	free(names);
	close(dirfd);
	printf("fuzz replay: %zu inputs, 0 crashes\n", inputs);
	return ret;
}
