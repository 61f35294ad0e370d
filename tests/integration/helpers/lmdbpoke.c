/* lmdbpoke.c — edits a store's LMDB tables behind nsnap's back, for the
 * tests of what verify and the readers notice (tests/integration/ops.sh).
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
 *       delete KEY (a decimal id for snaps: 8 bytes big-endian; else the
 *       bytes of KEY) from DB, keeping what it pointed to
 *
 * Exit status 0, or 1 with a message on stderr.  Compiled by the test:
 * cc -o lmdbpoke lmdbpoke.c -llmdb.
 */
#include <lmdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
		uint8_t id[8];
		dbi = open_db(argv[2], argv[3], 1);
		key = (MDB_val){ strlen(argv[4]), argv[4] };
		if (!strcmp(argv[3], "snaps")) {
			be64(id, strtoull(argv[4], NULL, 10));
			key = (MDB_val){ 8, id };
		}
		if ((rc = mdb_del(txn, dbi, &key, NULL)))
			die("del", rc);
		finish();
		return 0;
	}
	fprintf(stderr, "usage: lmdbpoke leaf|entries DIR DB, label DIR LABEL ID, "
		"del DIR DB KEY\n");
	return 2;
}
