/*
 * wlh.c — building blocks of workloads.sh's world that no packaged tool
 * makes (compiled on the fly with cc; no header of ours).
 *
 *   wlh sockns FILE
 *       Make a network namespace that only a socket keeps alive: unshare
 *       it, open a UDP socket there, setns() back to the original network
 *       namespace and close every other handle.  Checks with SIOCGSKNS
 *       that the socket still leads to it (so that a kernel without that
 *       ioctl is a visible skip, not a failing tool), then writes
 *       "INODE FD\n" (the namespace's inode, the socket's fd) to FILE and
 *       sleeps until killed.  Exit 2: SIOCGSKNS is not supported.
 *
 *   wlh pause FILE [ARG...]
 *       Write "ready\n" to FILE and sleep until killed.  The arguments are
 *       ignored: they are there to give the process the command line the
 *       test wants to find (with `exec -a` for argv[0]).
 *
 * FILE is written under a temporary name and renamed, so that a reader
 * never sees half a line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef SIOCGSKNS
#define SIOCGSKNS 0x894C
#endif

static int announce(const char *file, const char *text)
{
	char tmp[4096];
	FILE *f;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", file) >= (int)sizeof(tmp))
		return -1;
	f = fopen(tmp, "w");
	if (!f)
		return -1;
	if (fputs(text, f) == EOF) {
		fclose(f);
		return -1;
	}
	if (fclose(f) != 0)
		return -1;
	return rename(tmp, file);
}

static int sockns(const char *file)
{
	struct stat mine, via;
	char line[64];
	int orig, s, nsfd;

	orig = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (orig < 0) {
		perror("wlh: /proc/self/ns/net");
		return 1;
	}
	if (unshare(CLONE_NEWNET) != 0) {
		perror("wlh: unshare(CLONE_NEWNET)");
		return 1;
	}
	if (stat("/proc/self/ns/net", &mine) != 0) {
		perror("wlh: stat /proc/self/ns/net");
		return 1;
	}
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0) {
		perror("wlh: socket");
		return 1;
	}
	if (setns(orig, CLONE_NEWNET) != 0) {
		perror("wlh: setns back");
		return 1;
	}
	close(orig);
	nsfd = ioctl(s, SIOCGSKNS);
	if (nsfd < 0) {
		fprintf(stderr, "wlh: SIOCGSKNS: %s\n", strerror(errno));
		return errno == ENOTTY || errno == EINVAL ? 2 : 1;
	}
	if (fstat(nsfd, &via) != 0 || via.st_ino != mine.st_ino) {
		fprintf(stderr, "wlh: SIOCGSKNS leads to another namespace\n");
		return 1;
	}
	close(nsfd);
	snprintf(line, sizeof(line), "%llu %d\n",
		 (unsigned long long)mine.st_ino, s);
	if (announce(file, line) != 0) {
		perror("wlh: writing the ready file");
		return 1;
	}
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "sockns") == 0)
		return sockns(argv[2]);
	if (argc >= 3 && strcmp(argv[1], "pause") == 0) {
		if (announce(argv[2], "ready\n") != 0) {
			perror("wlh: writing the ready file");
			return 1;
		}
		for (;;)
			pause();
	}
	fprintf(stderr, "usage: wlh sockns FILE | wlh pause FILE [ARG...]\n");
	return 2;
}
