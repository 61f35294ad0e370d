/*
 * test_custody.c — store/custody.c: key files (made 0600 and 0644, never
 * over anything, refused when others may read them, when a link, not a
 * regular file, garbage or a secret whose public half is not its own),
 * Ed25519 signatures of custody blocks (every bit counts), detached
 * signatures and their domains, and the content digest of a snapshot.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "codec.h"
#include "custody.h"
#include "graph.h"
#include "graphbuild.h"
#include "scratch.h"

#define SECRET_TAG "nsnap-ed25519-secret-key\n"
#define PUBLIC_TAG "nsnap-ed25519-public-key "


static mode_t mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

static const char *pub_of(const char *path)
{
	static char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s.pub", path);
	return buf;
}

/* A new key pair at a fresh path: the path (valid for 8 fresh() calls). */
static const char *new_key(struct custody_key *k)
{
	const char *path = fresh("key");

	assert_int_equal(custody_keygen(path, k), 0);
	return path;
}

static bool zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* ---- key files ---------------------------------------------------------- */

/* 0600 and 0644 whatever the umask; the files say the pair keygen gave,
 * and load back as it. */
static void test_keygen(void **state)
{
	(void)state;
	struct custody_key k, back, pub;
	char hex[2 * CUSTODY_PK_LEN + 1], want[256];
	mode_t old = umask(0);
	const char *path = new_key(&k);

	umask(old);
	assert_true(k.has_secret);
	assert_int_equal(mode_of(path), 0600);
	assert_int_equal(mode_of(pub_of(path)), 0644);
	old = umask(0777);
	const char *p2 = fresh("key-umask");
	assert_int_equal(custody_keygen(p2, &back), 0);
	umask(old);
	assert_int_equal(mode_of(p2), 0600);
	assert_int_equal(mode_of(pub_of(p2)), 0644);
	/* Each key is new. */
	assert_memory_not_equal(k.pk, back.pk, CUSTODY_PK_LEN);

	custody_hex(k.pk, CUSTODY_PK_LEN, hex);
	snprintf(want, sizeof(want), "%s%s\n", PUBLIC_TAG, hex);
	assert_string_equal(scratch_read(pub_of(path)), want);
	const char *sec = scratch_read(path);
	assert_int_equal(strlen(sec), strlen(SECRET_TAG) + 2 * CUSTODY_SK_LEN + 1);
	assert_memory_equal(sec, SECRET_TAG, strlen(SECRET_TAG));

	assert_int_equal(custody_load_secret(path, &back), 0);
	assert_true(back.has_secret);
	assert_memory_equal(back.pk, k.pk, CUSTODY_PK_LEN);
	assert_memory_equal(back.sk, k.sk, CUSTODY_SK_LEN);
	custody_key_wipe(&back);
	assert_false(back.has_secret);
	assert_true(zero(back.sk, CUSTODY_SK_LEN));

	/* The public key from its file, from the secret key file, and as
	 * hex digits of either case: never a secret. */
	assert_int_equal(custody_load_public(pub_of(path), &pub), 0);
	assert_memory_equal(pub.pk, k.pk, CUSTODY_PK_LEN);
	assert_false(pub.has_secret);
	assert_int_equal(custody_load_public(path, &pub), 0);
	assert_memory_equal(pub.pk, k.pk, CUSTODY_PK_LEN);
	assert_false(pub.has_secret);
	assert_true(zero(pub.sk, CUSTODY_SK_LEN));
	assert_int_equal(custody_load_public(hex, &pub), 0);
	assert_memory_equal(pub.pk, k.pk, CUSTODY_PK_LEN);
	for (char *c = hex; *c; c++)
		if (*c >= 'a' && *c <= 'f')
			*c = (char)(*c - 'a' + 'A');
	assert_int_equal(custody_load_public(hex, &pub), 0);
	assert_memory_equal(pub.pk, k.pk, CUSTODY_PK_LEN);

	/* The key id: 16 hex digits, the same for the same key. */
	char id1[CUSTODY_KEYID_LEN + 1], id2[CUSTODY_KEYID_LEN + 1];
	custody_key_id(k.pk, id1);
	custody_key_id(pub.pk, id2);
	assert_int_equal(strlen(id1), CUSTODY_KEYID_LEN);
	assert_string_equal(id1, id2);
	custody_key_wipe(&k);
}

/* Nothing is ever replaced, a link neither; a refused keygen leaves
 * nothing behind. */
static void test_keygen_refuses(void **state)
{
	(void)state;
	struct custody_key k, again;
	const char *path = new_key(&k);
	char sec[512], pub[512];

	snprintf(sec, sizeof(sec), "%s", scratch_read(path));
	snprintf(pub, sizeof(pub), "%s", scratch_read(pub_of(path)));
	assert_int_equal(custody_keygen(path, &again), -EEXIST);
	assert_false(again.has_secret);
	assert_string_equal(scratch_read(path), sec);
	assert_string_equal(scratch_read(pub_of(path)), pub);
	assert_int_equal(mode_of(path), 0600);

	/* PATH.pub alone there: PATH is not made. */
	const char *p = fresh("pub-only");
	scratch_write(pub_of(p), "mine\n", 0644);
	assert_int_equal(custody_keygen(p, &again), -EEXIST);
	assert_false(exists(p));
	assert_string_equal(scratch_read(pub_of(p)), "mine\n");

	/* PATH alone there: PATH.pub is not made. */
	p = fresh("secret-only");
	scratch_write(p, "mine\n", 0600);
	assert_int_equal(custody_keygen(p, &again), -EEXIST);
	assert_false(exists(pub_of(p)));
	assert_string_equal(scratch_read(p), "mine\n");

	/* A dangling link at PATH or PATH.pub: refused, its target never
	 * made, nothing left. */
	const char *target = fresh("target");
	p = fresh("link");
	assert_int_equal(symlink(target, p), 0);
	assert_int_equal(custody_keygen(p, &again), -EEXIST);
	assert_false(exists(target));
	assert_false(exists(pub_of(p)));
	p = fresh("link-pub");
	assert_int_equal(symlink(target, pub_of(p)), 0);
	assert_int_equal(custody_keygen(p, &again), -EEXIST);
	assert_false(exists(target));
	assert_false(exists(p));
	/* A link to an existing file: that file untouched. */
	scratch_write(target, "kept\n", 0644);
	p = fresh("link-file");
	assert_int_equal(symlink(target, p), 0);
	assert_int_equal(custody_keygen(p, &again), -EEXIST);
	assert_string_equal(scratch_read(target), "kept\n");
	assert_int_equal(mode_of(target), 0644);
	assert_false(exists(pub_of(p)));

	/* A directory that is not there: nothing made. */
	p = at(fresh("no-dir"), "key");
	assert_int_equal(custody_keygen(p, &again), -ENOENT);
	custody_key_wipe(&k);
}

/* What custody_load_secret() refuses, as ssh refuses such a key. */
static void test_load_secret_refuses(void **state)
{
	(void)state;
	struct custody_key k, back;
	const char *path = new_key(&k);
	char text[512], *c;

	/* Readable or writable by its group or others. */
	static const mode_t loose[] = { 0640, 0604, 0620, 0602, 0660, 0644, 0601 };
	for (size_t i = 0; i < sizeof(loose) / sizeof(loose[0]); i++) {
		assert_int_equal(chmod(path, loose[i]), 0);
		assert_int_equal(custody_load_secret(path, &back), -EPERM);
		assert_false(back.has_secret);
		assert_true(zero(back.sk, CUSTODY_SK_LEN));
	}
	assert_int_equal(chmod(path, 0400), 0);
	assert_int_equal(custody_load_secret(path, &back), 0);
	custody_key_wipe(&back);
	assert_int_equal(chmod(path, 0600), 0);

	/* A link to it, even to a good key. */
	const char *link = fresh("link");
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(custody_load_secret(link, &back), -ELOOP);
	assert_false(back.has_secret);

	/* No regular file: a FIFO (never waited on), a directory. */
	const char *fifo = fresh("fifo");
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(custody_load_secret(fifo, &back), -EINVAL);
	const char *dir = fresh("dir");
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(custody_load_secret(dir, &back), -EINVAL);
	assert_int_equal(custody_load_secret(fresh("absent"), &back), -ENOENT);

	/* Garbage, empty, a public key file, too big. */
	const char *bad = fresh("garbage");
	scratch_write(bad, "not a key at all\n", 0600);
	assert_int_equal(custody_load_secret(bad, &back), -EBADMSG);
	scratch_write(bad, "", 0600);
	assert_int_equal(custody_load_secret(bad, &back), -EBADMSG);
	scratch_write(bad, SECRET_TAG, 0600);
	assert_int_equal(custody_load_secret(bad, &back), -EBADMSG);
	scratch_write(bad, scratch_read(pub_of(path)), 0600);
	assert_int_equal(custody_load_secret(bad, &back), -EBADMSG);
	static char big[8192];
	memset(big, 'a', sizeof(big) - 1);
	scratch_write(bad, big, 0600);
	assert_int_equal(custody_load_secret(bad, &back), -EFBIG);

	/* One digit too few or too many, or one that is no hex digit. */
	snprintf(text, sizeof(text), "%s", scratch_read(path));
	size_t n = strlen(text);
	text[n - 2] = '\n';
	text[n - 1] = '\0';
	scratch_write(bad, text, 0600);
	assert_int_equal(custody_load_secret(bad, &back), -EBADMSG);
	snprintf(text, sizeof(text), "%s", scratch_read(path));
	text[n - 1] = '0';
	scratch_write(bad, text, 0600);
	assert_int_equal(custody_load_secret(bad, &back), -EBADMSG);
	snprintf(text, sizeof(text), "%s", scratch_read(path));
	text[strlen(SECRET_TAG) + 3] = 'g';
	scratch_write(bad, text, 0600);
	assert_int_equal(custody_load_secret(bad, &back), -EBADMSG);
	/* Without its newline it still is the key. */
	snprintf(text, sizeof(text), "%s", scratch_read(path));
	text[n - 1] = '\0';
	scratch_write(bad, text, 0600);
	assert_int_equal(custody_load_secret(bad, &back), 0);
	assert_memory_equal(back.pk, k.pk, CUSTODY_PK_LEN);
	custody_key_wipe(&back);

	/* Its public half (the last 64 digits) altered, or its secret half:
	 * the halves no longer belong together. */
	for (size_t at_ = strlen(SECRET_TAG); at_ < n - 1; at_ += 17) {
		snprintf(text, sizeof(text), "%s", scratch_read(path));
		c = &text[at_];
		*c = *c == '0' ? '1' : '0';
		scratch_write(bad, text, 0600);
		assert_int_equal(custody_load_secret(bad, &back), -EBADMSG);
		assert_false(back.has_secret);
		assert_true(zero(back.sk, CUSTODY_SK_LEN));
	}
	custody_key_wipe(&k);
}

static void test_load_public(void **state)
{
	(void)state;
	struct custody_key k, pub;
	const char *path = new_key(&k);
	char hex[2 * CUSTODY_PK_LEN + 2];

	custody_hex(k.pk, CUSTODY_PK_LEN, hex);
	/* 63 or 65 digits are a path, and there is none. */
	hex[63] = '\0';
	assert_int_equal(custody_load_public(hex, &pub), -ENOENT);
	custody_hex(k.pk, CUSTODY_PK_LEN, hex);
	strcat(hex, "0");
	assert_int_equal(custody_load_public(hex, &pub), -ENOENT);
	hex[0] = 'x';
	hex[64] = '\0';
	assert_int_equal(custody_load_public(hex, &pub), -ENOENT);

	const char *bad = fresh("garbage");
	scratch_write(bad, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI\n", 0644);
	assert_int_equal(custody_load_public(bad, &pub), -EBADMSG);
	scratch_write(bad, PUBLIC_TAG "00\n", 0644);
	assert_int_equal(custody_load_public(bad, &pub), -EBADMSG);
	scratch_write(bad, "", 0644);
	assert_int_equal(custody_load_public(bad, &pub), -EBADMSG);
	assert_int_equal(custody_load_public(fresh("absent"), &pub), -ENOENT);
	const char *link = fresh("link");
	assert_int_equal(symlink(pub_of(path), link), 0);
	assert_int_equal(custody_load_public(link, &pub), -ELOOP);
	/* A public key may be anyone's to read. */
	assert_int_equal(chmod(pub_of(path), 0666), 0);
	assert_int_equal(custody_load_public(pub_of(path), &pub), 0);
	assert_memory_equal(pub.pk, k.pk, CUSTODY_PK_LEN);
	custody_key_wipe(&k);
}

/* ---- signatures --------------------------------------------------------- */

static void flip(uint8_t *p, size_t bit)
{
	p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
}

/* Every bit of the bytes P..P+N of B, flipped in turn: B no longer
 * passes; flipped back it does. */
static void every_bit(struct custody_block *b, void *p, size_t n)
{
	for (size_t bit = 0; bit < 8 * n; bit++) {
		flip(p, bit);
		if (custody_sig_ok(b))
			fail_msg("bit %zu of %zu flipped: still passes", bit, 8 * n);
		flip(p, bit);
	}
	assert_true(custody_sig_ok(b));
}

static void test_sign(void **state)
{
	(void)state;
	struct custody_key k, other, pub;
	struct custody_block b = { .sig_id = 7, .sig_has_prev = true };

	new_key(&k);
	new_key(&other);
	for (size_t i = 0; i < CUSTODY_DIGEST_LEN; i++) {
		b.content[i] = (uint8_t)(i * 7 + 1);
		b.sig_prev[i] = (uint8_t)(i * 13 + 5);
	}
	assert_false(custody_sig_ok(&b));
	assert_int_equal(custody_sign(&b, &k), 0);
	assert_true(b.is_signed);
	assert_memory_equal(b.key, k.pk, CUSTODY_PK_LEN);
	assert_true(custody_sig_ok(&b));

	every_bit(&b, b.content, sizeof(b.content));
	every_bit(&b, &b.sig_id, sizeof(b.sig_id));
	every_bit(&b, b.sig_prev, sizeof(b.sig_prev));
	every_bit(&b, b.key, sizeof(b.key));
	every_bit(&b, b.sig, sizeof(b.sig));
	b.sig_has_prev = false;
	assert_false(custody_sig_ok(&b));
	b.sig_has_prev = true;
	/* What the chain has is not signed: prev and has_prev are free. */
	b.has_prev = true;
	b.prev[0] ^= 1;
	assert_true(custody_sig_ok(&b));
	/* Unsigned is never sound, whatever the bytes. */
	b.is_signed = false;
	assert_false(custody_sig_ok(&b));
	b.is_signed = true;
	/* Another key's name on it. */
	memcpy(b.key, other.pk, CUSTODY_PK_LEN);
	assert_false(custody_sig_ok(&b));

	/* The first in a store: no prev, signed as such. */
	struct custody_block first = { .sig_id = 1 };
	memcpy(first.content, b.content, sizeof(first.content));
	assert_int_equal(custody_sign(&first, &other), 0);
	assert_true(custody_sig_ok(&first));
	first.sig_has_prev = true;
	assert_false(custody_sig_ok(&first));
	first.sig_has_prev = false;
	/* Without a prev the prev's bytes are not signed. */
	first.sig_prev[3] ^= 0x40;
	assert_true(custody_sig_ok(&first));
	every_bit(&first, first.content, sizeof(first.content));

	/* The message: the tag, the content, the id, the prev. */
	uint8_t msg[CUSTODY_MSG_LEN];
	assert_int_equal(custody_sig_message(&b, msg), CUSTODY_MSG_LEN);
	assert_memory_equal(msg, "nsnap-signature/1", 18);

	/* A public key alone cannot sign. */
	pub = (struct custody_key){ .has_secret = false };
	memcpy(pub.pk, k.pk, CUSTODY_PK_LEN);
	struct custody_block none = { .sig_id = 2 };
	assert_int_equal(custody_sign(&none, &pub), -EINVAL);
	assert_false(none.is_signed);
	custody_key_wipe(&k);
	custody_key_wipe(&other);
}

/* A detached signature is of its domain and its bytes: another domain,
 * other bytes, another key, or the same bytes cut elsewhere between
 * domain and data do not pass. */
static void test_check_bytes(void **state)
{
	(void)state;
	struct custody_key k, other;
	uint8_t sig[CUSTODY_SIG_LEN], sig2[CUSTODY_SIG_LEN];
	static const char data[] = "e3b0c442  one.json\n";
	size_t n = strlen(data);

	new_key(&k);
	new_key(&other);
	assert_int_equal(custody_sign_bytes("nsnap-manifest/1", data, n, &k, sig), 0);
	assert_true(custody_check_bytes("nsnap-manifest/1", data, n, k.pk, sig));
	assert_false(custody_check_bytes("nsnap-manifest/2", data, n, k.pk, sig));
	assert_false(custody_check_bytes("nsnap-manifest", data, n, k.pk, sig));
	assert_false(custody_check_bytes("nsnap-signature/1", data, n, k.pk, sig));
	assert_false(custody_check_bytes("", data, n, k.pk, sig));
	assert_false(custody_check_bytes("nsnap-manifest/1", data, n - 1, k.pk, sig));
	assert_false(custody_check_bytes("nsnap-manifest/1", data, n, other.pk, sig));
	for (size_t bit = 0; bit < 8 * n; bit += 5) {
		char copy[sizeof(data)];
		memcpy(copy, data, sizeof(data));
		flip((uint8_t *)copy, bit);
		assert_false(custody_check_bytes("nsnap-manifest/1", copy, n, k.pk, sig));
	}
	for (size_t bit = 0; bit < 8 * CUSTODY_SIG_LEN; bit++) {
		flip(sig, bit);
		assert_false(custody_check_bytes("nsnap-manifest/1", data, n, k.pk, sig));
		flip(sig, bit);
	}
	/* "ab" + "c" is not "a" + "bc". */
	assert_int_equal(custody_sign_bytes("ab", "c", 1, &k, sig2), 0);
	assert_true(custody_check_bytes("ab", "c", 1, k.pk, sig2));
	assert_false(custody_check_bytes("a", "bc", 2, k.pk, sig2));
	assert_false(custody_check_bytes("abc", "", 0, k.pk, sig2));
	/* Empty data signs too. */
	assert_int_equal(custody_sign_bytes("d", NULL, 0, &k, sig2), 0);
	assert_true(custody_check_bytes("d", NULL, 0, k.pk, sig2));

	/* A snapshot's signature is no detached signature of its message,
	 * and the other way round. */
	struct custody_block b = { .sig_id = 3 };
	uint8_t msg[CUSTODY_MSG_LEN];
	assert_int_equal(custody_sign(&b, &k), 0);
	size_t mn = custody_sig_message(&b, msg);
	assert_false(custody_check_bytes("nsnap-signature/1", msg + 18, mn - 18,
					 k.pk, b.sig));
	assert_false(custody_check_bytes("", msg, mn, k.pk, b.sig));
	assert_int_equal(custody_sign_bytes("nsnap-signature/1", msg + 18, mn - 18,
					    &k, b.sig), 0);
	assert_false(custody_sig_ok(&b));

	struct custody_key pub = { .has_secret = false };
	memcpy(pub.pk, k.pk, CUSTODY_PK_LEN);
	assert_int_equal(custody_sign_bytes("d", data, n, &pub, sig2), -EINVAL);
	custody_key_wipe(&k);
	custody_key_wipe(&other);
}

/* ---- digests ------------------------------------------------------------ */

static void test_hex_hash(void **state)
{
	(void)state;
	uint8_t in[5] = { 0x00, 0x0f, 0xa5, 0xff, 0x10 }, out[5];
	uint8_t d1[CUSTODY_DIGEST_LEN], d2[CUSTODY_DIGEST_LEN];
	char hex[11];

	custody_hex(in, 5, hex);
	assert_string_equal(hex, "000fa5ff10");
	assert_int_equal(custody_unhex("000FA5fF10", 10, out, 5), 0);
	assert_memory_equal(out, in, 5);
	assert_int_equal(custody_unhex("000fa5ff1", 9, out, 5), -EINVAL);
	assert_int_equal(custody_unhex("000fa5ff1g", 10, out, 5), -EINVAL);
	assert_int_equal(custody_unhex("000fa5ff10", 10, out, 4), -EINVAL);
	assert_int_equal(custody_unhex(" 00fa5ff10", 10, out, 5), -EINVAL);

	/* BLAKE2b-256 of nothing (RFC 7693's parameters, unkeyed). */
	custody_hash("", 0, d1);
	custody_hex(d1, 4, hex);
	assert_string_equal(hex, "0e5751c0");
	/* A link is of the header's bytes, and not their plain hash. */
	custody_link("H\5abc", 5, d1);
	custody_link("H\5abc", 5, d2);
	assert_memory_equal(d1, d2, sizeof(d1));
	custody_hash("H\5abc", 5, d2);
	assert_memory_not_equal(d1, d2, sizeof(d1));
	custody_link("H\5abd", 5, d2);
	assert_memory_not_equal(d1, d2, sizeof(d1));
	custody_link("H\5ab", 4, d2);
	assert_memory_not_equal(d1, d2, sizeof(d1));
}

/* A small world: the host's namespaces, three processes, a mount. */
static struct graph *content_graph(int64_t start_ns)
{
	struct graph *g = gb_new();
	struct gb_set w = gb_host(g, 4026531835u);

	g->meta.start_ns = start_ns;
	g->meta.end_ns = start_ns + 1000;
	g->meta.hostname = graph_strdup(g, "h");
	g->meta.boot_id = graph_strdup(g, "b");
	g->meta.vantage.known = true;
	g->meta.vantage.uid = 0;
	g->meta.vantage.btime = 1700000000;
	for (int32_t pid = 1; pid <= 3; pid++)
		gb_proc(g, pid, &w);
	gb_mount(g, w.ns[NS_MNT], w.ns[NS_NET], "/run/netns/x");
	return g;
}

static void content_of(const struct graph *g, const char *label,
		       uint8_t out[CUSTODY_DIGEST_LEN])
{
	struct codec_snapshot s;

	assert_int_equal(codec_encode_graph(g, &s), 0);
	assert_int_equal(custody_content(&s, label, label ? strlen(label) : 0,
					 out), 0);
	codec_snapshot_free(&s);
}

/* Every byte of the records R[0..n): flipped in turn, the content digest
 * changes (or, for meta, the record no longer reads as one). */
static void every_byte(struct codec_snapshot *s, struct codec_rec *r,
		       size_t n, const uint8_t want[CUSTODY_DIGEST_LEN],
		       bool is_meta)
{
	uint8_t d[CUSTODY_DIGEST_LEN];

	for (size_t i = 0; i < n; i++) {
		uint8_t *p = (uint8_t *)r[i].data;
		for (size_t j = 0; j < r[i].len; j++) {
			p[j] ^= 0x01;
			int ret = custody_content(s, "l", 1, d);
			if (ret) {
				assert_true(is_meta);
				assert_int_equal(ret, -EBADMSG);
			} else if (!memcmp(d, want, sizeof(d))) {
				fail_msg("record %zu byte %zu flipped: same content", i, j);
			}
			p[j] ^= 0x01;
		}
	}
	assert_int_equal(custody_content(s, "l", 1, d), 0);
	assert_memory_equal(d, want, sizeof(d));
}

static void test_content(void **state)
{
	(void)state;
	struct graph *g = content_graph(5000), *same = content_graph(5000);
	uint8_t a[CUSTODY_DIGEST_LEN], b[CUSTODY_DIGEST_LEN];
	struct codec_snapshot s;

	/* Equal snapshots, equal digests: again, and built again. */
	content_of(g, "l", a);
	content_of(g, "l", b);
	assert_memory_equal(a, b, sizeof(a));
	content_of(same, "l", b);
	assert_memory_equal(a, b, sizeof(a));

	/* The label counts: another, none, the empty one. */
	content_of(g, "m", b);
	assert_memory_not_equal(a, b, sizeof(a));
	content_of(g, "l ", b);
	assert_memory_not_equal(a, b, sizeof(a));
	content_of(g, NULL, b);
	assert_memory_not_equal(a, b, sizeof(a));
	uint8_t none[CUSTODY_DIGEST_LEN], empty[CUSTODY_DIGEST_LEN];
	memcpy(none, b, sizeof(none));
	assert_int_equal(codec_encode_graph(g, &s), 0);
	assert_int_equal(custody_content(&s, "", 0, empty), 0);
	assert_memory_not_equal(none, empty, sizeof(none));
	/* The label's length is what counts, not a NUL. */
	assert_int_equal(custody_content(&s, "lx", 1, b), 0);
	assert_memory_equal(a, b, sizeof(a));

	/* Every record byte counts. */
	assert_true(s.nns > 0 && s.nprocs > 0 && s.nmounts > 0);
	every_byte(&s, &s.meta, 1, a, true);
	if (s.layout.len)
		every_byte(&s, &s.layout, 1, a, false);
	every_byte(&s, s.ns, s.nns, a, false);
	every_byte(&s, s.procs, s.nprocs, a, false);
	every_byte(&s, s.mounts, s.nmounts, a, false);

	/* A record moved to another list, or one dropped. */
	s.nmounts--;
	assert_int_equal(custody_content(&s, "l", 1, b), 0);
	assert_memory_not_equal(a, b, sizeof(a));
	s.nmounts++;
	if (s.nprocs > 1) {
		struct codec_rec t = s.procs[0];
		s.procs[0] = s.procs[1];
		s.procs[1] = t;
		assert_int_equal(custody_content(&s, "l", 1, b), 0);
		assert_memory_not_equal(a, b, sizeof(a));
		s.procs[1] = s.procs[0];
		s.procs[0] = t;
	}
	/* The capture and the vantage point, which live in the header. */
	s.capture.start_ns++;
	assert_int_equal(custody_content(&s, "l", 1, b), 0);
	assert_memory_not_equal(a, b, sizeof(a));
	s.capture.start_ns--;
	s.capture.vantage.uid = 1000;
	assert_int_equal(custody_content(&s, "l", 1, b), 0);
	assert_memory_not_equal(a, b, sizeof(a));
	s.capture.vantage.uid = 0;
	assert_int_equal(custody_content(&s, "l", 1, b), 0);
	assert_memory_equal(a, b, sizeof(a));
	codec_snapshot_free(&s);

	/* The same, captured a nanosecond later: another snapshot. */
	graph_free(same);
	same = content_graph(5001);
	content_of(same, "l", b);
	assert_memory_not_equal(a, b, sizeof(a));
	graph_free(same);
	graph_free(g);
}

static int setup(void **state)
{
	(void)state;
	return scratch_setup("nsnap-custody-test") || custody_init();
}

static int teardown(void **state)
{
	(void)state;
	return scratch_teardown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keygen),
		cmocka_unit_test(test_keygen_refuses),
		cmocka_unit_test(test_load_secret_refuses),
		cmocka_unit_test(test_load_public),
		cmocka_unit_test(test_sign),
		cmocka_unit_test(test_check_bytes),
		cmocka_unit_test(test_hex_hash),
		cmocka_unit_test(test_content),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
