/* lmdbpoke.c — edits a store's LMDB tables behind nsnap's back, for the
 * tests of what verify and the readers notice (tests/integration/ops.sh,
 * custody.sh).
 *
 *   lmdbpoke leaf DIR DB
 *       print the byte offset in DIR/data.mdb of the leaf page that holds
 *       the first key of database DB (found from where LMDB hands the key
 *       back: a key always lies in its leaf page, whose header begins
 *       with the page number)
 *   lmdbpoke entries DIR DB
 *       print the number of entries of DB (mdb_stat's ms_entries)
 *   lmdbpoke label DIR LABEL ID
 *       make LABEL's entries in the label table say only snapshot ID
 *   lmdbpoke del DIR DB KEY
 *       delete KEY from DB, keeping what it pointed to
 *   lmdbpoke get DIR DB KEY
 *       print KEY's value in DB as lowercase hex digits (exit 1: none)
 *   lmdbpoke put DIR DB KEY HEX
 *       make KEY's value in DB the bytes of HEX, in place of any before
 *   lmdbpoke swap DIR DB KEY1 KEY2
 *       exchange the values of KEY1 and KEY2 in DB (both must exist)
 *   lmdbpoke keys DIR DB
 *       print DB's keys in order, one a line, each as KEY is written
 *       (printable bytes as they are, else hex:...)
 *   lmdbpoke renumber DIR ID NEWID
 *       move snapshot ID to id NEWID (which must be free) as someone who
 *       knows the format would: its header says NEWID and its checksum
 *       (XXH3-64, unkeyed) is recomputed; its lists and label entries go
 *       with it (its namespace index entries stay)
 *   lmdbpoke graft SRC DIR ID
 *       make snapshot ID of DIR the one of the store SRC: SRC's header
 *       and lists of ID in place of DIR's, and every record of SRC that
 *       DIR lacks (records are named by their hash: none is changed)
 *   lmdbpoke drop DIR ID
 *       delete snapshot ID as someone who wants it gone would: its
 *       header, its three lists and the label entries naming it (its
 *       records and namespace index entries stay)
 *
 * KEY is a decimal id for snaps (8 bytes big-endian), "hex:" and hex
 * digits for any bytes (a list's key: the id's 8 bytes and n, p or m;
 * a tombstone's: "tomb" and the first id's 8 bytes), else its own bytes.
 *
 * Exit status 0, or 1 with a message on stderr.  Compiled by the test:
 * cc -o lmdbpoke lmdbpoke.c -llmdb (xxHash is inlined from its header).
 */
#include <errno.h>
#include <lmdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

static MDB_env *env;
static MDB_txn *txn;

static void die(const char *what, int rc)
{
	fprintf(stderr, "lmdbpoke: %s: %s\n", what, mdb_strerror(rc));
	exit(1);
}

static MDB_dbi open_db(const char *dir, const char *db, int write)
{
	MDB_dbi dbi;
	int rc;

	if ((rc = mdb_env_create(&env)) || (rc = mdb_env_set_maxdbs(env, 16)) ||
	    (rc = mdb_env_open(env, dir, write ? 0 : MDB_RDONLY, 0600)))
		die(dir, rc);
	if ((rc = mdb_txn_begin(env, NULL, write ? 0 : MDB_RDONLY, &txn)))
		die("begin", rc);
	if ((rc = mdb_dbi_open(txn, db, 0, &dbi)))
		die(db, rc);
	return dbi;
}

static void be64(uint8_t *k, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		k[i] = (uint8_t)v;
}

static int hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ?
	       c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Hex digits into at most MAX bytes of OUT: how many. */
static size_t unhex(const char *hex, uint8_t *out, size_t max)
{
	size_t n = strlen(hex);

	if (n % 2 || n / 2 > max)
		die(hex, EINVAL);
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			die(hex, EINVAL);
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return n / 2;
}

/* The bytes KEY names in DB into BUF (at least 512 bytes): its length. */
static size_t key_of(const char *db, const char *text, uint8_t *buf)
{
	size_t n = strlen(text);

	if (!strcmp(db, "snaps")) {
		be64(buf, strtoull(text, NULL, 10));
		return 8;
	}
	if (!strncmp(text, "hex:", 4))
		return unhex(text + 4, buf, 511);
	if (n > 511)
		die(text, EINVAL);
	memcpy(buf, text, n);
	return n;
}

static void print_hex(const MDB_val *v)
{
	for (size_t i = 0; i < v->mv_size; i++)
		printf("%02x", ((const uint8_t *)v->mv_data)[i]);
	printf("\n");
}

/* A key of DB as key_of() reads it back. */
static void print_key(const char *db, const MDB_val *k)
{
	const uint8_t *p = k->mv_data;
	uint64_t id = 0;

	if (!strcmp(db, "snaps") && k->mv_size == 8) {
		for (int i = 0; i < 8; i++)
			id = id << 8 | p[i];
		printf("%llu\n", (unsigned long long)id);
		return;
	}
	int text = k->mv_size > 0 && strncmp((const char *)p, "hex:", 4);

	for (size_t i = 0; i < k->mv_size && text; i++)
		text = p[i] > ' ' && p[i] < 0x7f;
	if (text) {
		printf("%.*s\n", (int)k->mv_size, (const char *)p);
		return;
	}
	printf("hex:");
	print_hex(k);
}

/* Every label entry naming the snapshot of FROM (its 8-byte key) named
 * TO instead, or (TO NULL) deleted. */
static void relabel(MDB_dbi labels, const uint8_t *from, const uint8_t *to)
{
	MDB_cursor *c;
	MDB_val key, val;
	uint8_t names[64][256];
	size_t lens[64], n = 0;
	int rc;

	if ((rc = mdb_cursor_open(txn, labels, &c)))
		die("cursor", rc);
	for (rc = mdb_cursor_get(c, &key, &val, MDB_FIRST); !rc;
	     rc = mdb_cursor_get(c, &key, &val, MDB_NEXT)) {
		if (val.mv_size != 8 || memcmp(val.mv_data, from, 8))
			continue;
		if (n == 64 || key.mv_size > 256)
			die("labels", ENOMEM);
		memcpy(names[n], key.mv_data, key.mv_size);
		lens[n++] = key.mv_size;
		/* The cursor stands on the entry after: MDB_NEXT takes it. */
		if ((rc = mdb_cursor_del(c, 0)))
			die("del", rc);
	}
	if (rc != MDB_NOTFOUND)
		die("labels", rc);
	mdb_cursor_close(c);
	for (size_t i = 0; to && i < n; i++) {
		key = (MDB_val){ lens[i], names[i] };
		val = (MDB_val){ 8, (void *)to };
		if ((rc = mdb_put(txn, labels, &key, &val, 0)))
			die("put", rc);
	}
}

/* Snapshot FROM's lists (keys FROM's 8 bytes and n, p or m) moved to TO,
 * or (TO NULL) deleted. */
static void relist(MDB_dbi lists, const uint8_t *from, const uint8_t *to)
{
	uint8_t k[9], v[1 << 16];
	MDB_val key, val;
	int rc;

	for (const char *kind = "npm"; *kind; kind++) {
		memcpy(k, from, 8);
		k[8] = (uint8_t)*kind;
		key = (MDB_val){ 9, k };
		rc = mdb_get(txn, lists, &key, &val);
		if (rc == MDB_NOTFOUND)
			continue;
		if (rc || val.mv_size > sizeof(v))
			die("list", rc ? rc : ENOMEM);
		memcpy(v, val.mv_data, val.mv_size);
		val.mv_data = v;
		if ((rc = mdb_del(txn, lists, &key, NULL)))
			die("del", rc);
		if (!to)
			continue;
		memcpy(k, to, 8);
		if ((rc = mdb_put(txn, lists, &key, &val, 0)))
			die("put", rc);
	}
}

static void finish(void)
{
	int rc = mdb_txn_commit(txn);

	if (rc)
		die("commit", rc);
	mdb_env_close(env);
}

int main(int argc, char **argv)
{
	MDB_cursor *c;
	MDB_val key, val;
	MDB_stat st;
	MDB_dbi dbi;
	int rc;

	if (argc == 4 && !strcmp(argv[1], "leaf")) {
		long psize = sysconf(_SC_PAGESIZE);
		uint64_t pgno;
		dbi = open_db(argv[2], argv[3], 0);
		if ((rc = mdb_stat(txn, dbi, &st)) || st.ms_psize != (unsigned)psize)
			die("page size", rc ? rc : MDB_INCOMPATIBLE);
		if ((rc = mdb_cursor_open(txn, dbi, &c)) ||
		    (rc = mdb_cursor_get(c, &key, &val, MDB_FIRST)))
			die("first key", rc);
		/* The map is page-aligned, and so is every page in it. */
		memcpy(&pgno, (void *)((uintptr_t)key.mv_data &
				       ~(uintptr_t)(psize - 1)), sizeof(pgno));
		printf("%llu\n", (unsigned long long)pgno * (unsigned long long)psize);
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "entries")) {
		dbi = open_db(argv[2], argv[3], 0);
		if ((rc = mdb_stat(txn, dbi, &st)))
			die("stat", rc);
		printf("%zu\n", st.ms_entries);
		return 0;
	}
	if (argc == 5 && !strcmp(argv[1], "label")) {
		uint8_t id[8];
		dbi = open_db(argv[2], "labels", 1);
		key = (MDB_val){ strlen(argv[3]), argv[3] };
		rc = mdb_del(txn, dbi, &key, NULL);
		if (rc && rc != MDB_NOTFOUND)
			die("del", rc);
		be64(id, strtoull(argv[4], NULL, 10));
		val = (MDB_val){ 8, id };
		if ((rc = mdb_put(txn, dbi, &key, &val, 0)))
			die("put", rc);
		finish();
		return 0;
	}
	if (argc == 5 && !strcmp(argv[1], "del")) {
		uint8_t k[512];
		dbi = open_db(argv[2], argv[3], 1);
		key = (MDB_val){ key_of(argv[3], argv[4], k), k };
		if ((rc = mdb_del(txn, dbi, &key, NULL)))
			die("del", rc);
		finish();
		return 0;
	}
	if (argc == 5 && !strcmp(argv[1], "get")) {
		uint8_t k[512];
		dbi = open_db(argv[2], argv[3], 0);
		key = (MDB_val){ key_of(argv[3], argv[4], k), k };
		if ((rc = mdb_get(txn, dbi, &key, &val)))
			die(argv[4], rc);
		print_hex(&val);
		return 0;
	}
	if (argc == 6 && !strcmp(argv[1], "put")) {
		uint8_t k[512];
		static uint8_t v[1 << 20];
		dbi = open_db(argv[2], argv[3], 1);
		key = (MDB_val){ key_of(argv[3], argv[4], k), k };
		val = (MDB_val){ unhex(argv[5], v, sizeof(v)), v };
		if ((rc = mdb_put(txn, dbi, &key, &val, 0)))
			die("put", rc);
		finish();
		return 0;
	}
	if (argc == 6 && !strcmp(argv[1], "swap")) {
		uint8_t k1[512], k2[512];
		MDB_val key2, val2;
		dbi = open_db(argv[2], argv[3], 1);
		key = (MDB_val){ key_of(argv[3], argv[4], k1), k1 };
		key2 = (MDB_val){ key_of(argv[3], argv[5], k2), k2 };
		if ((rc = mdb_get(txn, dbi, &key, &val)))
			die(argv[4], rc);
		if ((rc = mdb_get(txn, dbi, &key2, &val2)))
			die(argv[5], rc);
		/* The values live in the map, which the puts rewrite. */
		uint8_t *a = malloc(val.mv_size + 1), *b = malloc(val2.mv_size + 1);
		if (!a || !b)
			die("malloc", ENOMEM);
		memcpy(a, val.mv_data, val.mv_size);
		memcpy(b, val2.mv_data, val2.mv_size);
		val = (MDB_val){ val.mv_size, a };
		val2 = (MDB_val){ val2.mv_size, b };
		if ((rc = mdb_put(txn, dbi, &key, &val2, 0)) ||
		    (rc = mdb_put(txn, dbi, &key2, &val, 0)))
			die("put", rc);
		finish();
		free(a);
		free(b);
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "keys")) {
		dbi = open_db(argv[2], argv[3], 0);
		if ((rc = mdb_cursor_open(txn, dbi, &c)))
			die("cursor", rc);
		while (!(rc = mdb_cursor_get(c, &key, &val, MDB_NEXT_NODUP)))
			print_key(argv[3], &key);
		if (rc != MDB_NOTFOUND)
			die("next", rc);
		return 0;
	}
	if (argc == 5 && !strcmp(argv[1], "graft")) {
		uint8_t k[9];
		MDB_env *senv;
		MDB_txn *stxn;
		MDB_dbi sdbi[3], ddbi[3];
		static const char *const dbs[3] = { "snaps", "lists", "records" };
		be64(k, strtoull(argv[4], NULL, 10));
		if ((rc = mdb_env_create(&senv)) ||
		    (rc = mdb_env_set_maxdbs(senv, 16)) ||
		    (rc = mdb_env_open(senv, argv[2], MDB_RDONLY, 0600)) ||
		    (rc = mdb_txn_begin(senv, NULL, MDB_RDONLY, &stxn)))
			die(argv[2], rc);
		ddbi[0] = open_db(argv[3], "snaps", 1);
		for (int i = 0; i < 3; i++)
			if ((rc = mdb_dbi_open(stxn, dbs[i], 0, &sdbi[i])) ||
			    (i && (rc = mdb_dbi_open(txn, dbs[i], 0, &ddbi[i]))))
				die(dbs[i], rc);
		key = (MDB_val){ 8, k };
		if ((rc = mdb_get(stxn, sdbi[0], &key, &val)) ||
		    (rc = mdb_put(txn, ddbi[0], &key, &val, 0)))
			die("header", rc);
		for (const char *kind = "npm"; *kind; kind++) {
			k[8] = (uint8_t)*kind;
			key = (MDB_val){ 9, k };
			rc = mdb_get(stxn, sdbi[1], &key, &val);
			if (rc == MDB_NOTFOUND)
				rc = mdb_del(txn, ddbi[1], &key, NULL);
			else if (!rc)
				rc = mdb_put(txn, ddbi[1], &key, &val, 0);
			if (rc && rc != MDB_NOTFOUND)
				die("list", rc);
		}
		if ((rc = mdb_cursor_open(stxn, sdbi[2], &c)))
			die("cursor", rc);
		while (!(rc = mdb_cursor_get(c, &key, &val, MDB_NEXT)))
			if ((rc = mdb_put(txn, ddbi[2], &key, &val,
					  MDB_NOOVERWRITE)) && rc != MDB_KEYEXIST)
				die("record", rc);
		if (rc != MDB_NOTFOUND)
			die("records", rc);
		mdb_cursor_close(c);
		finish();
		mdb_txn_abort(stxn);
		mdb_env_close(senv);
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "drop")) {
		uint8_t k[8];
		MDB_dbi lists, labels;
		be64(k, strtoull(argv[3], NULL, 10));
		dbi = open_db(argv[2], "snaps", 1);
		key = (MDB_val){ 8, k };
		if ((rc = mdb_del(txn, dbi, &key, NULL)))
			die("del", rc);
		if ((rc = mdb_dbi_open(txn, "lists", 0, &lists)) ||
		    (rc = mdb_dbi_open(txn, "labels", 0, &labels)))
			die("lists, labels", rc);
		relist(lists, k, NULL);
		relabel(labels, k, NULL);
		finish();
		return 0;
	}
	if (argc == 5 && !strcmp(argv[1], "renumber")) {
		uint8_t from[8], to[8], h[1 << 16];
		uint64_t nid = strtoull(argv[4], NULL, 10), v;
		MDB_dbi lists, labels;
		size_t o = 2, n = 2;
		be64(from, strtoull(argv[3], NULL, 10));
		be64(to, nid);
		dbi = open_db(argv[2], "snaps", 1);
		key = (MDB_val){ 8, from };
		if ((rc = mdb_get(txn, dbi, &key, &val)))
			die(argv[3], rc);
		const uint8_t *p = val.mv_data;
		/* 'H', the version, the id (LEB128), ..., be64 XXH3-64. */
		while (o < val.mv_size && p[o] & 0x80)
			o++;
		if (val.mv_size < 11 || p[0] != 'H' || ++o + 8 > val.mv_size ||
		    val.mv_size + 10 > sizeof(h))
			die("not a header", MDB_CORRUPTED);
		memcpy(h, p, 2);
		for (v = nid; v >= 0x80; v >>= 7)
			h[n++] = (uint8_t)(v | 0x80);
		h[n++] = (uint8_t)v;
		memcpy(h + n, p + o, val.mv_size - 8 - o);
		n += val.mv_size - 8 - o;
		be64(h + n, XXH3_64bits(h, n));
		n += 8;
		if ((rc = mdb_del(txn, dbi, &key, NULL)))
			die("del", rc);
		key = (MDB_val){ 8, to };
		val = (MDB_val){ n, h };
		if ((rc = mdb_put(txn, dbi, &key, &val, MDB_NOOVERWRITE)))
			die(argv[4], rc);
		if ((rc = mdb_dbi_open(txn, "lists", 0, &lists)) ||
		    (rc = mdb_dbi_open(txn, "labels", 0, &labels)))
			die("lists, labels", rc);
		relist(lists, from, to);
		relabel(labels, from, to);
		finish();
		return 0;
	}
	fprintf(stderr, "usage: lmdbpoke leaf|entries|keys DIR DB, label DIR LABEL ID, "
		"del|get DIR DB KEY, put DIR DB KEY HEX, swap DIR DB KEY1 KEY2, "
		"renumber DIR ID NEWID, graft SRC DIR ID, drop DIR ID\n");
	return 2;
}
