/* damage.c — byte-level damage for tests/integration/damage.sh.
 *
 * Changes a file in place, never its size (truncation is truncate(1)'s
 * job), and refuses a range that does not lie inside the file, so that a
 * variant of the sweep is exactly what its name says.  Numbers are decimal
 * or 0x-prefixed hex.  Exit 0 on success, 2 on a usage or I/O error.
 *
 *   damage FILE set OFF BYTE        the byte at OFF becomes BYTE
 *   damage FILE xor OFF MASK        the byte at OFF is xored with MASK
 *   damage FILE fill OFF LEN BYTE   LEN bytes from OFF become BYTE
 *   damage FILE junk OFF LEN SEED   LEN bytes from OFF become pseudo-random
 *                                   bytes (xorshift64 from SEED)
 *   damage FILE bits BIT NBITS      invert NBITS bits from bit BIT (bit 0 is
 *                                   the lowest bit of byte 0)
 *   damage FILE copy SRC DST LEN    bytes SRC..SRC+LEN-1 written over DST
 *   damage FILE swap A B LEN        exchange the LEN bytes at A and at B
 *   damage FILE hold                another user of an LMDB lock file: take
 *                                   the shared fcntl() lock LMDB takes on
 *                                   byte 0, print "held", sleep until killed
 *
 * 'hold' makes the tool under test a second user of the environment, which
 * then trusts the lock file as it is instead of initialising it afresh.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *file;

static void die(const char *what)
{
	fprintf(stderr, "damage: %s: %s%s%s\n", file, what,
		errno ? ": " : "", errno ? strerror(errno) : "");
	exit(2);
}

static uint64_t num(const char *s)
{
	char *end;
	uint64_t v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || *s == '-') {
		errno = 0;
		die("bad number");
	}
	return v;
}

static int fd = -1;
static uint64_t fsize;

/* Read or write LEN bytes at OFF, which must lie inside the file. */
static void io(int write, unsigned char *buf, uint64_t off, uint64_t len)
{
	ssize_t n;

	if (off > fsize || len > fsize - off) {
		errno = 0;
		die("range outside the file");
	}
	n = write ? pwrite(fd, buf, len, (off_t)off) : pread(fd, buf, len, (off_t)off);
	if (n < 0 || (uint64_t)n != len)
		die(write ? "write" : "read");
}

static unsigned char *range(uint64_t off, uint64_t len)
{
	unsigned char *b = malloc(len ? len : 1);

	if (!b)
		die("out of memory");
	io(0, b, off, len);
	return b;
}

static void put(unsigned char *b, uint64_t off, uint64_t len)
{
	io(1, b, off, len);
	free(b);
}

__attribute__((noreturn)) static void hold(void)
{
	struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_len = 1 };

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (fcntl(fd, F_SETLKW, &fl) < 0)
		die("fcntl");
	puts("held");
	fflush(stdout);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	struct stat st;
	unsigned char *b;
	const char *op;
	uint64_t a, n, v;

	if (argc < 3) {
		fputs("usage: damage FILE set|xor|fill|junk|bits|copy|swap|hold ARGS\n", stderr);
		return 2;
	}
	file = argv[1];
	op = argv[2];
	fd = open(file, O_RDWR);
	if (fd < 0 || fstat(fd, &st) < 0)
		die("open");
	fsize = (uint64_t)st.st_size;
	if (!strcmp(op, "hold") && argc == 3)
		hold();
	if ((!strcmp(op, "set") || !strcmp(op, "xor")) && argc == 5) {
		a = num(argv[3]);
		v = num(argv[4]);
		b = range(a, 1);
		b[0] = (unsigned char)(op[0] == 's' ? v : b[0] ^ v);
		put(b, a, 1);
	} else if ((!strcmp(op, "fill") || !strcmp(op, "junk")) && argc == 6) {
		a = num(argv[3]);
		n = num(argv[4]);
		v = num(argv[5]);
		b = range(a, n);
		for (uint64_t i = 0; i < n; i++) {
			if (op[0] == 'f') {
				b[i] = (unsigned char)v;
				continue;
			}
			v = v ? v : 0x9e3779b97f4a7c15u;
			v ^= v << 13;
			v ^= v >> 7;
			v ^= v << 17;
			b[i] = (unsigned char)(v >> 56);
		}
		put(b, a, n);
	} else if (!strcmp(op, "bits") && argc == 5) {
		a = num(argv[3]);
		n = num(argv[4]);
		if (n == 0 || a + n < a || (a + n - 1) / 8 >= fsize) {
			errno = 0;
			die("bit range outside the file");
		}
		b = range(a / 8, (a + n - 1) / 8 - a / 8 + 1);
		for (uint64_t i = a; i < a + n; i++)
			b[i / 8 - a / 8] ^= (unsigned char)(1u << (i % 8));
		put(b, a / 8, (a + n - 1) / 8 - a / 8 + 1);
	} else if ((!strcmp(op, "copy") || !strcmp(op, "swap")) && argc == 6) {
		uint64_t src = num(argv[3]), dst = num(argv[4]);

		n = num(argv[5]);
		b = range(src, n);
		if (op[1] == 'w') {
			unsigned char *c = range(dst, n);

			put(c, src, n);
		}
		put(b, dst, n);
	} else {
		fprintf(stderr, "damage: bad arguments for '%s'\n", op);
		return 2;
	}
	if (close(fd) < 0)
		die("close");
	return 0;
}
