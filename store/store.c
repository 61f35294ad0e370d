/*
 * store.c — the snapshot store on LMDB; the only code that touches LMDB.
 *
 * A store is a directory holding one LMDB environment (data.mdb, lock.mdb)
 * with these named databases; every integer in a key is big-endian so that
 * LMDB's byte order is numeric order:
 *
 *   meta     "format"            -> "nsnapsto", u32 format version,
 *                                   byte order ('l'/'b'), word size, 0, 0
 *   snaps    u64 id              -> header record (codec 'H', checksummed)
 *   lists    u64 id, u8 kind     -> hashes of the list chunks ('L' records)
 *                                   that hold, in graph order, the hashes
 *                                   of the snapshot's namespace ('n'),
 *                                   process ('p') or mount-run ('m') records
 *   nsidx    u64 dev, u64 inode, u64 id -> hash of the namespace's record
 *                                   from snapshot id on, written where it
 *                                   appears or changes; 16 zero bytes where
 *                                   it disappears.  One namespace's history
 *                                   is a range scan
 *   records  XXH3-128, canonical -> record bytes (content-addressed)
 *   labels   label bytes         -> u64 id (sorted duplicates: every
 *                                   snapshot that carries the label)
 *
 * Lists are cut into chunks where a record hash ends in six zero bits (or
 * at 256 entries): the cut points move with the content, so a process
 * appearing or exiting changes one chunk.  With the change-point namespace
 * index, an unchanged snapshot adds only its header and a few top-level
 * hashes: a handful of LMDB pages.
 *
 * Every record read is hashed and compared with its key; the header's
 * digest (XXH3-128 over the snapshot's record hashes in order) catches a
 * damaged list.  Writing a record whose hash is present but whose stored
 * bytes differ repairs the stored copy.
 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <lmdb.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "codec.h"

#define STORE_FORMAT 1
#define STORE_MAGIC "nsnapsto"
#define FORMAT_LEN 16

/* Small, so that a store of a quiet machine stays small; doubled on
 * MDB_MAP_FULL.  The ceiling only guards against a runaway loop. */
#define STORE_MAP_INITIAL ((size_t)1 << 20)
#define STORE_MAP_MAX ((size_t)1 << (sizeof(size_t) > 4 ? 40 : 30))

#define LIST_CHUNK_MAX 256
#define LIST_CUT_MASK 0x3f

enum list_kind { LIST_NS = 'n', LIST_PROC = 'p', LIST_MOUNTS = 'm' };

struct store {
	MDB_env *env;
	MDB_dbi meta, snaps, lists, nsidx, records, labels;
	bool rdonly;
	/* Transactions open in this process: the map may only be moved
	 * (resized) when there are none. */
	unsigned active;
};

/* ---- errors ------------------------------------------------------------- */

static _Thread_local char corrupt_msg[192];

__attribute__((format(printf, 1, 2)))
static int corrupt(const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(corrupt_msg, sizeof(corrupt_msg), "corrupt store: ");

	va_start(ap, fmt);
	vsnprintf(corrupt_msg + n, sizeof(corrupt_msg) - (size_t)n, fmt, ap);
	va_end(ap);
	return STORE_ECORRUPT;
}

static void hex(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* LMDB's answer in this module's terms: system errors become -errno,
 * LMDB's own codes stay (store_strerror() knows them). */
static int mdb_err(int rc)
{
	if (rc == MDB_INVALID)
		return STORE_ENOTSTORE;
	return rc > 0 ? -rc : rc;
}

const char *store_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
	case STORE_ENOTSTORE:
		return "not an nsnap store";
	case STORE_ENEWER:
		return "store written by a newer nsnap (unknown format version)";
	case STORE_EFOREIGN:
		return "store written on a machine with another byte order or word size";
	case STORE_ECORRUPT:
		return corrupt_msg[0] ? corrupt_msg : "corrupt store";
	case STORE_ENOSNAP:
		return "no such snapshot";
	case STORE_EEMPTY:
		return "the store holds no snapshot yet";
	case STORE_ESELECTOR:
		return "no snapshot matches (want an id, latest, latest~N, "
		       "a label, or YYYY-MM-DDTHH:MM[:SS][Z])";
	case STORE_ELABEL:
		return "a label takes 1-255 bytes, no control characters, "
		       "and must not read as an id, latest[~N] or a time";
	case STORE_ERDONLY:
		return "store opened read-only";
	case STORE_EGRAPH:
		return "graph is inconsistent and cannot be stored";
	case STORE_EMAPMAX:
		return "store map cannot grow any further";
	}
	if (err >= MDB_KEYEXIST && err <= MDB_LAST_ERRCODE)
		return mdb_strerror(err);
	if (err < 0 && err > -4096)
		return strerror(-err);
	return "unknown error";
}

/* ---- transactions with a sticky error ----------------------------------- */

struct store_txn {
	struct store *s;
	MDB_txn *txn;
	int ret;    /* first failure: -errno, LMDB code or STORE_E* */
};

static int txn_begin(struct store *s, struct store_txn *t, bool write)
{
	int rc;

	*t = (struct store_txn){ .s = s };
	for (unsigned tries = 0;; tries++) {
		rc = mdb_txn_begin(s->env, NULL, write ? 0 : MDB_RDONLY, &t->txn);
		if (rc != MDB_MAP_RESIZED || s->active || tries == 4)
			break;
		/* Another process grew the map past ours: adopt its size. */
		rc = mdb_env_set_mapsize(s->env, 0);
		if (rc)
			break;
	}
	if (rc) {
		t->txn = NULL;
		return t->ret = mdb_err(rc);
	}
	s->active++;
	return 0;
}

static void txn_abort(struct store_txn *t)
{
	if (t->txn) {
		mdb_txn_abort(t->txn);
		t->txn = NULL;
		t->s->active--;
	}
}

static int txn_commit(struct store_txn *t)
{
	if (!t->ret) {
		int rc = mdb_txn_commit(t->txn);
		t->txn = NULL;
		t->s->active--;
		t->ret = mdb_err(rc);
	}
	txn_abort(t);
	return t->ret;
}

static void txn_fail(struct store_txn *t, int err)
{
	if (!t->ret)
		t->ret = err;
}

static void txn_put(struct store_txn *t, MDB_dbi dbi, const void *k,
		    size_t klen, const void *v, size_t vlen, unsigned flags)
{
	if (t->ret)
		return;
	MDB_val key = { klen, (void *)k }, val = { vlen, (void *)v };
	int rc = mdb_put(t->txn, dbi, &key, &val, flags);
	if (rc)
		t->ret = mdb_err(rc);
}

/* 0, MDB_NOTFOUND, or the translated error (also made sticky). */
static int txn_get(struct store_txn *t, MDB_dbi dbi, const void *k,
		   size_t klen, MDB_val *val)
{
	if (t->ret)
		return t->ret;
	MDB_val key = { klen, (void *)k };
	int rc = mdb_get(t->txn, dbi, &key, val);
	if (rc == MDB_NOTFOUND)
		return rc;
	if (rc)
		t->ret = mdb_err(rc);
	return t->ret;
}

/* ---- records ------------------------------------------------------------ */

static void hash_of(const void *p, size_t n, struct codec_hash *h)
{
	XXH128_canonical_t c;

	XXH128_canonicalFromHash(&c, XXH3_128bits(p, n));
	memcpy(h->b, c.digest, CODEC_HASH_LEN);
}

/* Store a record under its hash; *added grows by the bytes written. */
static void rec_put(struct store_txn *t, const struct codec_hash *h,
		    const struct codec_rec *r, uint64_t *added)
{
	if (t->ret)
		return;
	MDB_val key = { CODEC_HASH_LEN, (void *)h->b };
	MDB_val val = { r->len, (void *)r->data };
	int rc = mdb_put(t->txn, t->s->records, &key, &val, MDB_NOOVERWRITE);
	if (rc == MDB_KEYEXIST) {
		if (val.mv_size == r->len && !memcmp(val.mv_data, r->data, r->len))
			return;
		/* The stored copy was damaged: this one heals it. */
		val = (MDB_val){ r->len, (void *)r->data };
		rc = mdb_put(t->txn, t->s->records, &key, &val, 0);
	}
	if (rc) {
		t->ret = mdb_err(rc);
		return;
	}
	*added += r->len;
}

/* The record named H, checked against H.  Points into the map: valid
 * until the transaction ends. */
static int rec_get(struct store_txn *t, const uint8_t *h, struct codec_rec *r)
{
	struct codec_hash got;
	char name[2 * CODEC_HASH_LEN + 1];
	MDB_val val;
	int rc = txn_get(t, t->s->records, h, CODEC_HASH_LEN, &val);

	if (rc == MDB_NOTFOUND) {
		hex(h, CODEC_HASH_LEN, name);
		return corrupt("record %s is missing", name);
	}
	if (rc)
		return rc;
	hash_of(val.mv_data, val.mv_size, &got);
	if (memcmp(got.b, h, CODEC_HASH_LEN)) {
		hex(h, CODEC_HASH_LEN, name);
		return corrupt("record %s does not match its hash", name);
	}
	r->data = val.mv_data;
	r->len = val.mv_size;
	return 0;
}

/* ---- opening ------------------------------------------------------------ */

static int mkdir_p(const char *path)
{
	char *p = strdup(path);
	int ret = 0;

	if (!p)
		return -ENOMEM;
	for (char *q = p + 1;; q++) {
		if (*q != '/' && *q != '\0')
			continue;
		char c = *q;
		*q = '\0';
		if (mkdir(p, 0700) == 0) {
			/* mkdir() honours the umask; the store wants 0700. */
			if (chmod(p, 0700)) {
				ret = -errno;
				break;
			}
		} else if (errno != EEXIST) {
			ret = -errno;
			break;
		}
		*q = c;
		if (!c)
			break;
	}
	free(p);
	return ret;
}

/* Create PATH 0600 if absent, so LMDB finds it with the right mode. */
static int create_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	int ret = 0;

	if (fd < 0)
		return errno == EEXIST ? 0 : -errno;
	if (fchmod(fd, 0600))
		ret = -errno;
	close(fd);
	return ret;
}

static void format_value(uint8_t v[FORMAT_LEN])
{
	const uint16_t probe = 1;

	memset(v, 0, FORMAT_LEN);
	memcpy(v, STORE_MAGIC, 8);
	v[8] = (uint8_t)(STORE_FORMAT >> 24);
	v[9] = (uint8_t)(STORE_FORMAT >> 16);
	v[10] = (uint8_t)(STORE_FORMAT >> 8);
	v[11] = (uint8_t)STORE_FORMAT;
	/* LMDB's pages are in native layout: a store does not move between
	 * architectures, and saying so beats LMDB's own confusion. */
	v[12] = *(const uint8_t *)&probe ? 'l' : 'b';
	v[13] = (uint8_t)sizeof(void *);
}

static int format_check(const MDB_val *val)
{
	uint8_t want[FORMAT_LEN];
	const uint8_t *v = val->mv_data;

	format_value(want);
	if (val->mv_size < 12 || memcmp(v, STORE_MAGIC, 8))
		return STORE_ENOTSTORE;
	uint32_t version = (uint32_t)v[8] << 24 | (uint32_t)v[9] << 16 |
			   (uint32_t)v[10] << 8 | v[11];
	if (version == 0)
		return STORE_ENOTSTORE;
	if (version > STORE_FORMAT)
		return STORE_ENEWER;
	if (val->mv_size != FORMAT_LEN)
		return STORE_ENOTSTORE;
	if (v[12] != want[12] || v[13] != want[13])
		return STORE_EFOREIGN;
	return 0;
}

#define NEEDS_INIT 1

/* Whether the environment holds nothing at all (then it may become a
 * store); anything else without our format record is someone else's. */
static int env_empty(struct store_txn *t)
{
	MDB_dbi main_dbi;
	MDB_stat st;
	int rc = mdb_dbi_open(t->txn, NULL, 0, &main_dbi);

	if (!rc)
		rc = mdb_stat(t->txn, main_dbi, &st);
	if (rc)
		return mdb_err(rc);
	return st.ms_entries == 0 ? NEEDS_INIT : STORE_ENOTSTORE;
}

/*
 * Open the databases; in a write transaction, make them in an empty
 * environment.  NEEDS_INIT when read-only and the environment is empty.
 */
static int open_dbis(struct store *s, bool write)
{
	static const struct {
		const char *name;
		size_t off;
		unsigned flags;
	} dbs[] = {
		{ "snaps", offsetof(struct store, snaps), 0 },
		{ "lists", offsetof(struct store, lists), 0 },
		{ "nsidx", offsetof(struct store, nsidx), 0 },
		{ "records", offsetof(struct store, records), 0 },
		{ "labels", offsetof(struct store, labels),
		  MDB_DUPSORT | MDB_DUPFIXED },
	};
	struct store_txn t;
	uint8_t fmt[FORMAT_LEN];
	MDB_val val;
	int ret, rc;

	ret = txn_begin(s, &t, write);
	if (ret)
		return ret;
	rc = mdb_dbi_open(t.txn, "meta", 0, &s->meta);
	if (rc == MDB_NOTFOUND) {
		ret = env_empty(&t);
		if (ret != NEEDS_INIT || !write)
			goto out;
		rc = mdb_dbi_open(t.txn, "meta", MDB_CREATE, &s->meta);
		if (rc)
			goto out_rc;
		format_value(fmt);
		txn_put(&t, s->meta, "format", 6, fmt, FORMAT_LEN, 0);
		ret = t.ret;
		if (ret)
			goto out;
	} else if (rc) {
		goto out_rc;
	}

	rc = txn_get(&t, s->meta, "format", 6, &val);
	if (rc) {
		ret = rc == MDB_NOTFOUND ? STORE_ENOTSTORE : rc;
		goto out;
	}
	ret = format_check(&val);
	if (ret)
		goto out;
	for (size_t i = 0; i < sizeof(dbs) / sizeof(dbs[0]); i++) {
		MDB_dbi *dbi = (MDB_dbi *)((char *)s + dbs[i].off);
		rc = mdb_dbi_open(t.txn, dbs[i].name,
				  dbs[i].flags | (write ? MDB_CREATE : 0), dbi);
		if (rc == MDB_NOTFOUND) {
			ret = STORE_ENOTSTORE;
			goto out;
		}
		if (rc)
			goto out_rc;
	}
	/* Committing keeps the handles, also from a read-only transaction. */
	return txn_commit(&t);

out_rc:
	ret = mdb_err(rc);
out:
	txn_abort(&t);
	return ret;
}

int store_open(const char *path, unsigned flags, struct store **out)
{
	bool create = flags & STORE_CREATE, rdonly = flags & STORE_RDONLY;
	char *data = NULL, *lock = NULL;
	struct store *s = NULL;
	struct stat st;
	bool fresh;
	int ret, rc, dead;

	*out = NULL;
	if (!path || !*path || (create && rdonly))
		return -EINVAL;
	if (create) {
		ret = mkdir_p(path);
		if (ret)
			return ret;
	}
	if (stat(path, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (asprintf(&data, "%s/data.mdb", path) < 0) {
		data = NULL;
		ret = -ENOMEM;
		goto fail;
	}
	if (asprintf(&lock, "%s/lock.mdb", path) < 0) {
		lock = NULL;
		ret = -ENOMEM;
		goto fail;
	}
	if (stat(data, &st) == 0) {
		if (!S_ISREG(st.st_mode)) {
			ret = STORE_ENOTSTORE;
			goto fail;
		}
		fresh = st.st_size == 0;
	} else if (errno == ENOENT) {
		fresh = true;
	} else {
		ret = -errno;
		goto fail;
	}
	if (fresh && !create) {
		ret = STORE_ENOTSTORE;
		goto fail;
	}
	ret = create ? create_file(data) : 0;
	if (!ret)
		ret = create_file(lock);
	/* A reader without write access may still use an existing lock. */
	if (ret && !create)
		ret = 0;
	if (ret)
		goto fail;

	s = calloc(1, sizeof(*s));
	if (!s) {
		ret = -ENOMEM;
		goto fail;
	}
	s->rdonly = rdonly;
	rc = mdb_env_create(&s->env);
	if (rc) {
		s->env = NULL;
		ret = mdb_err(rc);
		goto fail;
	}
	rc = mdb_env_set_maxdbs(s->env, 8);
	/* An existing store keeps the map size it has grown to. */
	if (!rc && fresh)
		rc = mdb_env_set_mapsize(s->env, STORE_MAP_INITIAL);
	if (!rc)
		rc = mdb_env_open(s->env, path,
				  MDB_NOTLS | (rdonly ? MDB_RDONLY : 0), 0600);
	if (rc) {
		ret = mdb_err(rc);
		goto fail;
	}
	/* Reader slots of crashed processes would pin old pages forever. */
	rc = mdb_reader_check(s->env, &dead);
	if (rc) {
		ret = mdb_err(rc);
		goto fail;
	}

	ret = open_dbis(s, false);
	if (ret == NEEDS_INIT)
		ret = create ? open_dbis(s, true) : STORE_ENOTSTORE;
	if (ret == NEEDS_INIT)
		ret = STORE_ENOTSTORE;
	if (ret)
		goto fail;
	free(data);
	free(lock);
	*out = s;
	return 0;

fail:
	store_close(s);
	free(data);
	free(lock);
	return ret;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	if (s->env)
		mdb_env_close(s->env);
	free(s);
}

const char *store_default_path(void)
{
	static char buf[PATH_MAX];
	const char *env = getenv("NSNAP_STORE");
	const char *base, *sub;
	int n;

	if (env && *env) {
		base = env;
		sub = "";
	} else if (geteuid() == 0) {
		return "/var/lib/nsnap";
	} else if ((env = getenv("XDG_STATE_HOME")) && env[0] == '/') {
		/* The XDG spec says to ignore a relative one. */
		base = env;
		sub = "/nsnap";
	} else {
		base = getenv("HOME");
		if (!base || base[0] != '/') {
			struct passwd *pw = getpwuid(geteuid());
			base = pw ? pw->pw_dir : NULL;
		}
		if (!base)
			return NULL;
		sub = "/.local/state/nsnap";
	}
	n = snprintf(buf, sizeof(buf), "%s%s", base, sub);
	return n > 0 && (size_t)n < sizeof(buf) ? buf : NULL;
}

/* ---- selectors and labels ----------------------------------------------- */

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* A decimal u64; false on anything else, overflow included. */
static bool parse_u64(const char *s, uint64_t *v)
{
	if (!all_digits(s))
		return false;
	*v = 0;
	for (; *s; s++) {
		unsigned d = (unsigned)(*s - '0');
		if (*v > (UINT64_MAX - d) / 10)
			return false;
		*v = *v * 10 + d;
	}
	return true;
}

static bool digits_at(const char *s, size_t at, size_t n, int *v)
{
	*v = 0;
	for (size_t i = at; i < at + n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*v = *v * 10 + (s[i] - '0');
	}
	return true;
}

/*
 * YYYY-MM-DDTHH:MM[:SS][Z] -> the last nanosecond of that minute (or
 * second): a snapshot taken during the named minute is "at" it.
 */
static bool parse_time(const char *s, int64_t *bound_ns)
{
	size_t len = strlen(s);
	bool utc = len > 0 && s[len - 1] == 'Z';
	struct tm tm = { 0 };
	int year, mon, mday, hour, min, sec = 0;
	time_t t;

	if (utc)
		len--;
	if (len != 16 && len != 19)
		return false;
	if (!digits_at(s, 0, 4, &year) || s[4] != '-' ||
	    !digits_at(s, 5, 2, &mon) || s[7] != '-' ||
	    !digits_at(s, 8, 2, &mday) || s[10] != 'T' ||
	    !digits_at(s, 11, 2, &hour) || s[13] != ':' ||
	    !digits_at(s, 14, 2, &min))
		return false;
	if (len == 19 && (s[16] != ':' || !digits_at(s, 17, 2, &sec)))
		return false;
	if (mon < 1 || mon > 12 || mday < 1 || mday > 31 || hour > 23 ||
	    min > 59 || sec > 59)
		return false;
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = mday;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	tm.tm_isdst = -1;
	t = utc ? timegm(&tm) : mktime(&tm);
	/* Normalisation moved the date: it did not exist (February 30). */
	if (t == (time_t)-1 && !(tm.tm_year == 69 && tm.tm_mon == 11))
		return false;
	if (tm.tm_mday != mday || tm.tm_mon != mon - 1 ||
	    tm.tm_year != year - 1900)
		return false;
	*bound_ns = ((int64_t)t + (len == 19 ? 1 : 60)) * 1000000000 - 1;
	return true;
}

int store_label_check(const char *label)
{
	int64_t t;
	size_t len;

	if (!label)
		return 0;
	len = strlen(label);
	if (len == 0 || len > STORE_LABEL_MAX)
		return STORE_ELABEL;
	for (const unsigned char *p = (const unsigned char *)label; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return STORE_ELABEL;
	/* A label that reads as another selector could never be selected. */
	if (all_digits(label) || !strcmp(label, "latest") ||
	    !strncmp(label, "latest~", 7) || parse_time(label, &t))
		return STORE_ELABEL;
	return 0;
}

static int cursor_open(struct store_txn *t, MDB_dbi dbi, MDB_cursor **c)
{
	int rc = mdb_cursor_open(t->txn, dbi, c);

	if (rc)
		txn_fail(t, mdb_err(rc));
	return t->ret;
}

/* The id of a header found by cursor (KEY must be 8 bytes). */
static int key_id(const MDB_val *key, uint64_t *id)
{
	*id = 0;
	if (key->mv_size != 8)
		return corrupt("snapshot key of %zu bytes", key->mv_size);
	*id = codec_be64_read(key->mv_data);
	return 0;
}

static int header_decode(uint64_t id, const MDB_val *val,
			 struct codec_header *h)
{
	if (codec_decode_header(val->mv_data, val->mv_size, h) || h->id != id)
		return corrupt("header of snapshot %" PRIu64 " fails its checksum",
			       id);
	return 0;
}

static int resolve_latest(struct store_txn *t, uint64_t back, uint64_t *id)
{
	MDB_cursor *c;
	MDB_val key, val;
	MDB_stat st;
	int rc;

	rc = mdb_stat(t->txn, t->s->snaps, &st);
	if (rc)
		return mdb_err(rc);
	if (st.ms_entries == 0)
		return STORE_EEMPTY;
	if (back >= st.ms_entries)
		return STORE_ENOSNAP;
	if (cursor_open(t, t->s->snaps, &c))
		return t->ret;
	rc = mdb_cursor_get(c, &key, &val, MDB_LAST);
	for (uint64_t i = 0; !rc && i < back; i++)
		rc = mdb_cursor_get(c, &key, &val, MDB_PREV);
	int ret = rc == MDB_NOTFOUND ? STORE_ENOSNAP : rc ? mdb_err(rc)
						  : key_id(&key, id);
	mdb_cursor_close(c);
	return ret;
}

static int resolve_time(struct store_txn *t, int64_t bound, uint64_t *id)
{
	struct codec_header h;
	MDB_cursor *c;
	MDB_val key, val;
	int rc, ret = STORE_EEMPTY, bad = 0;

	if (cursor_open(t, t->s->snaps, &c))
		return t->ret;
	/* Newest first: ids grow with time, so the first hit is the last
	 * snapshot at or before BOUND. */
	for (rc = mdb_cursor_get(c, &key, &val, MDB_LAST); !rc;
	     rc = mdb_cursor_get(c, &key, &val, MDB_PREV)) {
		uint64_t cur;
		ret = key_id(&key, &cur);
		if (!ret)
			ret = header_decode(cur, &val, &h);
		if (ret) {
			/* A damaged header hides one snapshot, not the rest. */
			bad = ret;
			continue;
		}
		if (h.start_ns <= bound) {
			*id = cur;
			break;
		}
		ret = STORE_ENOSNAP;
	}
	if (rc && rc != MDB_NOTFOUND)
		ret = mdb_err(rc);
	else if (ret && bad)
		ret = bad;
	mdb_cursor_close(c);
	return ret;
}

static int resolve_label(struct store_txn *t, const char *label, uint64_t *id)
{
	MDB_cursor *c;
	MDB_val key = { strlen(label), (void *)label }, val;
	int rc, ret;

	if (key.mv_size == 0 || key.mv_size > STORE_LABEL_MAX)
		return STORE_ESELECTOR;
	if (cursor_open(t, t->s->labels, &c))
		return t->ret;
	rc = mdb_cursor_get(c, &key, &val, MDB_SET_KEY);
	if (!rc)
		rc = mdb_cursor_get(c, &key, &val, MDB_LAST_DUP);
	if (rc == MDB_NOTFOUND)
		ret = STORE_ESELECTOR;
	else if (rc)
		ret = mdb_err(rc);
	else if (val.mv_size != 8)
		ret = corrupt("label index entry of %zu bytes", val.mv_size);
	else {
		*id = codec_be64_read(val.mv_data);
		ret = 0;
	}
	mdb_cursor_close(c);
	return ret;
}

int store_resolve(struct store *s, const char *sel, uint64_t *id_out)
{
	struct store_txn t;
	uint64_t v;
	int64_t bound;
	uint8_t key[8];
	MDB_val val;
	int ret;

	if (!sel || !*sel)
		return STORE_ESELECTOR;
	ret = txn_begin(s, &t, false);
	if (ret)
		return ret;
	if (all_digits(sel)) {
		if (!parse_u64(sel, &v)) {
			ret = STORE_ENOSNAP;
		} else {
			codec_be64_write(key, v);
			ret = txn_get(&t, s->snaps, key, 8, &val);
			if (ret == MDB_NOTFOUND)
				ret = STORE_ENOSNAP;
			else if (!ret)
				*id_out = v;
		}
	} else if (!strcmp(sel, "latest")) {
		ret = resolve_latest(&t, 0, id_out);
	} else if (!strncmp(sel, "latest~", 7) && all_digits(sel + 7)) {
		ret = parse_u64(sel + 7, &v) ? resolve_latest(&t, v, id_out)
					     : STORE_ENOSNAP;
	} else if (parse_time(sel, &bound)) {
		ret = resolve_time(&t, bound, id_out);
	} else {
		ret = resolve_label(&t, sel, id_out);
	}
	txn_abort(&t);
	return ret;
}

/* ---- lists -------------------------------------------------------------- */

/* The record hashes of list KIND of snapshot ID, in order; *out malloc'd. */
static int list_hashes(struct store_txn *t, uint64_t id, uint8_t kind,
		       struct codec_hash **out, size_t *count)
{
	struct codec_hash *all = NULL;
	struct codec_rec chunk;
	const uint8_t *hashes;
	uint8_t k[9];
	MDB_val val;
	size_t n, total = 0;
	int ret;

	*out = NULL;
	*count = 0;
	codec_be64_write(k, id);
	k[8] = kind;
	ret = txn_get(t, t->s->lists, k, 9, &val);
	if (ret == MDB_NOTFOUND)
		return corrupt("snapshot %" PRIu64 " has no '%c' list", id, kind);
	if (ret)
		return ret;
	if (val.mv_size % CODEC_HASH_LEN)
		return corrupt("'%c' list of snapshot %" PRIu64 " is %zu bytes",
			       kind, id, val.mv_size);
	for (size_t i = 0; i < val.mv_size / CODEC_HASH_LEN; i++) {
		const uint8_t *h = (const uint8_t *)val.mv_data + i * CODEC_HASH_LEN;
		ret = rec_get(t, h, &chunk);
		if (ret)
			goto fail;
		if (codec_decode_list(chunk.data, chunk.len, &hashes, &n)) {
			char name[2 * CODEC_HASH_LEN + 1];
			hex(h, CODEC_HASH_LEN, name);
			ret = corrupt("list record %s is malformed", name);
			goto fail;
		}
		/* N is bounded by the record's size: no absurd allocation. */
		struct codec_hash *more = realloc(all, (total + n + 1) * sizeof(*all));
		if (!more) {
			ret = -ENOMEM;
			goto fail;
		}
		all = more;
		if (n)
			memcpy(all + total, hashes, n * CODEC_HASH_LEN);
		total += n;
	}
	*out = all;
	*count = total;
	return 0;
fail:
	free(all);
	return ret;
}

/*
 * The records of list KIND of snapshot ID, expecting EXPECT of them:
 * *out (malloc'd) points into the map.  Their hashes go into the digest.
 */
static int get_list(struct store_txn *t, uint64_t id, uint8_t kind,
		    uint64_t expect, struct codec_rec **out, XXH3_state_t *st)
{
	struct codec_hash *hashes;
	struct codec_rec *recs = NULL;
	size_t n;
	int ret;

	*out = NULL;
	ret = list_hashes(t, id, kind, &hashes, &n);
	if (ret)
		return ret;
	if (n != expect) {
		ret = corrupt("'%c' list of snapshot %" PRIu64
			      " has %zu entries, its header says %" PRIu64,
			      kind, id, n, expect);
		goto out;
	}
	recs = calloc(n ? n : 1, sizeof(*recs));
	if (!recs) {
		ret = -ENOMEM;
		goto out;
	}
	if (n)
		XXH3_128bits_update(st, hashes, n * CODEC_HASH_LEN);
	for (size_t i = 0; i < n && !ret; i++)
		ret = rec_get(t, hashes[i].b, &recs[i]);
	if (!ret) {
		*out = recs;
		recs = NULL;
	}
out:
	free(recs);
	free(hashes);
	return ret;
}

/* ---- writing a snapshot ------------------------------------------------- */

static int hash_cmp(const void *a, const void *b)
{
	return memcmp(a, b, CODEC_HASH_LEN);
}

/* Everything a snapshot writes, prepared before the transaction so that a
 * retry after growing the map redoes only the LMDB part. */
struct plan {
	const struct graph *g;
	struct codec_snapshot snap;
	struct codec_hash meta_h, layout_h;
	struct codec_hash *ns_h, *proc_h, *run_h;
	struct codec_hash *ns_sorted;    /* ns_h, sorted for lookups */
	/* List chunks: 'L' records end to end in 'chunks', chunk i at
	 * chunk_off[i]..chunk_off[i + 1], hash chunk_h[i]. */
	struct codec_buf chunks;
	size_t *chunk_off;
	struct codec_hash *chunk_h;
	size_t nchunks, chunk_cap;
	size_t top_first[3], top_n[3];   /* per list: its run of chunk_h */
	struct codec_hash digest;
	uint64_t size;
};

static const uint8_t list_kinds[3] = { LIST_NS, LIST_PROC, LIST_MOUNTS };

static int plan_chunk(struct plan *p, const struct codec_hash *h, size_t n)
{
	if (p->nchunks + 1 >= p->chunk_cap) {
		size_t cap = p->chunk_cap ? p->chunk_cap * 2 : 16;
		size_t *off = realloc(p->chunk_off, cap * sizeof(*off));
		if (!off)
			return -ENOMEM;
		p->chunk_off = off;
		struct codec_hash *ch = realloc(p->chunk_h, cap * sizeof(*ch));
		if (!ch)
			return -ENOMEM;
		p->chunk_h = ch;
		p->chunk_cap = cap;
	}
	size_t start = p->chunks.len;
	int ret = codec_encode_list(h, n, &p->chunks);
	if (ret)
		return ret;
	hash_of(p->chunks.data + start, p->chunks.len - start,
		&p->chunk_h[p->nchunks]);
	p->chunk_off[p->nchunks++] = start;
	p->chunk_off[p->nchunks] = p->chunks.len;
	p->size += p->chunks.len - start;
	return 0;
}

/* Cut the hashes H[0..n) into chunks where the content says so. */
static int plan_list(struct plan *p, int which, const struct codec_hash *h,
		     size_t n)
{
	size_t from = 0;

	p->top_first[which] = p->nchunks;
	for (size_t i = 0; i < n; i++) {
		if ((h[i].b[CODEC_HASH_LEN - 1] & LIST_CUT_MASK) != 0 &&
		    i + 1 - from < LIST_CHUNK_MAX && i + 1 < n)
			continue;
		int ret = plan_chunk(p, h + from, i + 1 - from);
		if (ret)
			return ret;
		from = i + 1;
	}
	p->top_n[which] = p->nchunks - p->top_first[which];
	return 0;
}

static struct codec_hash *hash_recs(const struct codec_rec *r, size_t n,
				    uint64_t *size)
{
	struct codec_hash *h = calloc(n ? n : 1, sizeof(*h));

	for (size_t i = 0; h && i < n; i++) {
		hash_of(r[i].data, r[i].len, &h[i]);
		*size += r[i].len;
	}
	return h;
}

static void plan_free(struct plan *p)
{
	codec_snapshot_free(&p->snap);
	free(p->ns_h);
	free(p->ns_sorted);
	free(p->proc_h);
	free(p->run_h);
	codec_buf_free(&p->chunks);
	free(p->chunk_off);
	free(p->chunk_h);
}

static int plan_make(struct plan *p, const struct graph *g)
{
	XXH3_state_t *st;
	int ret;

	*p = (struct plan){ .g = g };
	codec_buf_init(&p->chunks);
	ret = codec_encode_graph(g, &p->snap);
	if (ret)
		return ret == -EINVAL ? STORE_EGRAPH : ret;

	const struct codec_snapshot *s = &p->snap;
	hash_of(s->meta.data, s->meta.len, &p->meta_h);
	p->size = s->meta.len + s->layout.len;
	if (s->layout.len)
		hash_of(s->layout.data, s->layout.len, &p->layout_h);
	p->ns_h = hash_recs(s->ns, s->nns, &p->size);
	p->proc_h = hash_recs(s->procs, s->nprocs, &p->size);
	p->run_h = hash_recs(s->mounts, s->nmounts, &p->size);
	p->ns_sorted = calloc(s->nns ? s->nns : 1, sizeof(*p->ns_sorted));
	if (!p->ns_h || !p->proc_h || !p->run_h || !p->ns_sorted)
		return -ENOMEM;
	if (s->nns) {
		memcpy(p->ns_sorted, p->ns_h, s->nns * sizeof(*p->ns_h));
		qsort(p->ns_sorted, s->nns, sizeof(*p->ns_sorted), hash_cmp);
	}
	ret = plan_list(p, 0, p->ns_h, s->nns);
	if (!ret)
		ret = plan_list(p, 1, p->proc_h, s->nprocs);
	if (!ret)
		ret = plan_list(p, 2, p->run_h, s->nmounts);
	if (ret)
		return ret;

	/* The digest covers the record hashes in the order load reads them. */
	st = XXH3_createState();
	if (!st)
		return -ENOMEM;
	XXH3_128bits_reset(st);
	XXH3_128bits_update(st, p->meta_h.b, CODEC_HASH_LEN);
	if (s->layout.len)
		XXH3_128bits_update(st, p->layout_h.b, CODEC_HASH_LEN);
	XXH3_128bits_update(st, p->ns_h, s->nns * CODEC_HASH_LEN);
	XXH3_128bits_update(st, p->proc_h, s->nprocs * CODEC_HASH_LEN);
	XXH3_128bits_update(st, p->run_h, s->nmounts * CODEC_HASH_LEN);
	XXH128_canonical_t c;
	XXH128_canonicalFromHash(&c, XXH3_128bits_digest(st));
	memcpy(p->digest.b, c.digest, CODEC_HASH_LEN);
	XXH3_freeState(st);
	return 0;
}

static struct codec_str cstr(const char *s)
{
	return (struct codec_str){ s, s ? strlen(s) : 0 };
}

static bool hash_in(const struct codec_hash *h, const struct codec_hash *set,
		    size_t n)
{
	return n && bsearch(h, set, n, sizeof(*set), hash_cmp);
}

static void nsidx_entry(struct store_txn *t, struct ns_key key, uint64_t id,
			const uint8_t *hash)
{
	uint8_t k[24];

	codec_be64_write(k, key.dev);
	codec_be64_write(k + 8, key.ino);
	codec_be64_write(k + 16, id);
	txn_put(t, t->s->nsidx, k, 24, hash, CODEC_HASH_LEN, MDB_NOOVERWRITE);
}

/*
 * Namespace index entries of snapshot ID: one per namespace whose record
 * is not in snapshot ID - 1 (new or changed: the record holds the key, so
 * an equal hash is the same namespace unchanged), and a tombstone for each
 * namespace of ID - 1 that is gone.  A previous snapshot that cannot be
 * read is taken as empty: every namespace gets an entry.
 */
static void nsidx_put(struct store_txn *t, const struct plan *p, uint64_t id)
{
	static const uint8_t gone[CODEC_HASH_LEN];
	const struct graph *g = p->g;
	struct codec_hash *prev = NULL;
	size_t nprev = 0;
	struct codec_rec rec;
	struct ns_key key;

	if (t->ret)
		return;
	if (id > 1) {
		int ret = list_hashes(t, id - 1, LIST_NS, &prev, &nprev);
		if (ret == STORE_ECORRUPT) {
			corrupt_msg[0] = '\0';
		} else if (ret) {
			txn_fail(t, ret);
			return;
		}
		if (nprev)
			qsort(prev, nprev, sizeof(*prev), hash_cmp);
	}
	for (size_t i = 0; i < g->nns; i++)
		if (!hash_in(&p->ns_h[i], prev, nprev))
			nsidx_entry(t, g->ns[i].key, id, p->ns_h[i].b);
	for (size_t i = 0; i < nprev && !t->ret; i++) {
		if (hash_in(&prev[i], p->ns_sorted, g->nns))
			continue;
		int ret = rec_get(t, prev[i].b, &rec);
		if (ret && ret != STORE_ECORRUPT) {
			txn_fail(t, ret);
			break;
		}
		/* Unreadable: its fate cannot be told; the others' can. */
		if (ret || codec_ns_key(rec.data, rec.len, &key))
			continue;
		if (graph_ns_find(g, key) == GRAPH_NONE)
			nsidx_entry(t, key, id, gone);
	}
	free(prev);
}

/* One attempt at the write transaction: all of it, or nothing. */
static int put_txn(struct store *s, const struct plan *p, const char *label,
		   uint64_t *id_out)
{
	const struct graph *g = p->g;
	const struct codec_snapshot *snap = &p->snap;
	struct store_txn t;
	struct codec_header h;
	struct codec_buf hb;
	MDB_cursor *c;
	MDB_val key, val;
	uint64_t id = 1, added = 0;
	uint8_t k[24];
	int rc, ret;

	ret = txn_begin(s, &t, true);
	if (ret)
		return ret;
	/* Under the writer lock: a concurrent nsnap gets the next id. */
	if (cursor_open(&t, s->snaps, &c))
		goto out;
	rc = mdb_cursor_get(c, &key, &val, MDB_LAST);
	if (!rc) {
		txn_fail(&t, key_id(&key, &id));
		id++;
	} else if (rc != MDB_NOTFOUND) {
		txn_fail(&t, mdb_err(rc));
	}
	mdb_cursor_close(c);

	rec_put(&t, &p->meta_h, &snap->meta, &added);
	if (snap->layout.len)
		rec_put(&t, &p->layout_h, &snap->layout, &added);
	for (size_t i = 0; i < snap->nns; i++)
		rec_put(&t, &p->ns_h[i], &snap->ns[i], &added);
	for (size_t i = 0; i < snap->nprocs; i++)
		rec_put(&t, &p->proc_h[i], &snap->procs[i], &added);
	for (size_t i = 0; i < snap->nmounts; i++)
		rec_put(&t, &p->run_h[i], &snap->mounts[i], &added);
	for (size_t i = 0; i < p->nchunks; i++) {
		struct codec_rec r = {
			p->chunks.data + p->chunk_off[i],
			p->chunk_off[i + 1] - p->chunk_off[i],
		};
		rec_put(&t, &p->chunk_h[i], &r, &added);
	}

	codec_be64_write(k, id);
	for (int i = 0; i < 3; i++) {
		k[8] = list_kinds[i];
		const void *v = p->top_n[i] ? p->chunk_h[p->top_first[i]].b : k;
		txn_put(&t, s->lists, k, 9, v, p->top_n[i] * CODEC_HASH_LEN,
			MDB_NOOVERWRITE);
	}
	nsidx_put(&t, p, id);
	codec_be64_write(k, id);
	if (label)
		txn_put(&t, s->labels, label, strlen(label), k, 8, 0);

	h = (struct codec_header){
		.id = id,
		.start_ns = g->meta.start_ns,
		.end_ns = g->meta.end_ns,
		.label = cstr(label),
		.host = cstr(g->meta.hostname),
		.boot_id = cstr(g->meta.boot_id),
		.kernel = cstr(g->meta.kernel),
		.nns = g->nns,
		.nprocs = g->nprocs,
		.ntasks = g->ntasks,
		.nfds = g->nfds,
		.nmounts = g->nmounts,
		.nruns = snap->nmounts,
		.ngaps = g->ngaps,
		.size = p->size,
		.added = added,
		.meta = p->meta_h,
		.has_layout = snap->layout.len > 0,
		.layout = p->layout_h,
		.digest = p->digest,
	};
	codec_buf_init(&hb);
	rc = codec_encode_header(&h, &hb);
	if (rc)
		txn_fail(&t, rc);
	txn_put(&t, s->snaps, k, 8, hb.data, hb.len, MDB_NOOVERWRITE);
	codec_buf_free(&hb);
	ret = txn_commit(&t);
	if (!ret)
		*id_out = id;
	return ret;
out:
	txn_abort(&t);
	return t.ret;
}

static int grow_map(struct store *s)
{
	MDB_envinfo info;
	int rc;

	/* Moving the map under a live transaction would pull it from under
	 * its pointers. */
	if (s->active)
		return -EBUSY;
	rc = mdb_env_info(s->env, &info);
	if (rc)
		return mdb_err(rc);
	if (info.me_mapsize >= STORE_MAP_MAX)
		return STORE_EMAPMAX;
	return mdb_err(mdb_env_set_mapsize(s->env, info.me_mapsize * 2));
}

int store_put(struct store *s, const struct graph *g, const char *label,
	      uint64_t *id_out)
{
	struct plan p;
	uint64_t id = 0;
	int ret;

	if (s->rdonly)
		return STORE_ERDONLY;
	ret = store_label_check(label);
	if (ret)
		return ret;
	ret = plan_make(&p, g);
	while (!ret) {
		ret = put_txn(s, &p, label, &id);
		if (ret != MDB_MAP_FULL)
			break;
		/* The aborted attempt left nothing behind: grow, redo all. */
		ret = grow_map(s);
	}
	plan_free(&p);
	if (!ret && id_out)
		*id_out = id;
	return ret;
}

/* ---- reading a snapshot ------------------------------------------------- */

static int get_header(struct store_txn *t, uint64_t id, struct codec_header *h)
{
	uint8_t k[8];
	MDB_val val;
	int rc;

	codec_be64_write(k, id);
	rc = txn_get(t, t->s->snaps, k, 8, &val);
	if (rc == MDB_NOTFOUND)
		return STORE_ENOSNAP;
	if (rc)
		return rc;
	return header_decode(id, &val, h);
}

int store_load(struct store *s, uint64_t id, struct graph **out)
{
	struct store_txn t;
	struct codec_header h;
	struct codec_snapshot snap = { 0 };
	XXH3_state_t *st = NULL;
	XXH128_canonical_t c;
	int ret;

	*out = NULL;
	ret = txn_begin(s, &t, false);
	if (ret)
		return ret;
	ret = get_header(&t, id, &h);
	if (ret)
		goto out;
	st = XXH3_createState();
	if (!st) {
		ret = -ENOMEM;
		goto out;
	}
	XXH3_128bits_reset(st);
	ret = rec_get(&t, h.meta.b, &snap.meta);
	if (ret)
		goto out;
	XXH3_128bits_update(st, h.meta.b, CODEC_HASH_LEN);
	if (h.has_layout) {
		ret = rec_get(&t, h.layout.b, &snap.layout);
		if (ret)
			goto out;
		XXH3_128bits_update(st, h.layout.b, CODEC_HASH_LEN);
	}
	ret = get_list(&t, id, LIST_NS, h.nns, &snap.ns, st);
	if (!ret)
		ret = get_list(&t, id, LIST_PROC, h.nprocs, &snap.procs, st);
	if (!ret)
		ret = get_list(&t, id, LIST_MOUNTS, h.nruns, &snap.mounts, st);
	if (ret)
		goto out;
	snap.nns = h.nns;
	snap.nprocs = h.nprocs;
	snap.nmounts = h.nruns;
	XXH128_canonicalFromHash(&c, XXH3_128bits_digest(st));
	if (memcmp(c.digest, h.digest.b, CODEC_HASH_LEN)) {
		ret = corrupt("records of snapshot %" PRIu64
			      " do not match its digest", id);
		goto out;
	}
	ret = codec_decode_graph(&snap, out);
	if (ret == -EBADMSG)
		ret = corrupt("records of snapshot %" PRIu64 " do not decode", id);
out:
	XXH3_freeState(st);
	free(snap.ns);
	free(snap.procs);
	free(snap.mounts);
	txn_abort(&t);
	return ret;
}

/* ---- headers, listing, history, statistics ------------------------------ */

static void copy_str(char *dst, size_t size, struct codec_str s)
{
	size_t n = s.p ? (s.len < size - 1 ? s.len : size - 1) : 0;

	if (n)
		memcpy(dst, s.p, n);
	dst[n] = '\0';
}

static void header_export(const struct codec_header *h, struct store_header *o)
{
	memset(o, 0, sizeof(*o));
	o->id = h->id;
	o->start_ns = h->start_ns;
	o->end_ns = h->end_ns;
	copy_str(o->label, sizeof(o->label), h->label);
	copy_str(o->host, sizeof(o->host), h->host);
	copy_str(o->boot_id, sizeof(o->boot_id), h->boot_id);
	copy_str(o->kernel, sizeof(o->kernel), h->kernel);
	o->nns = h->nns;
	o->nprocs = h->nprocs;
	o->nthreads = h->ntasks;
	o->nfds = h->nfds;
	o->nmounts = h->nmounts;
	o->npins = h->nfds + h->nmounts;
	o->ngaps = h->ngaps;
	o->size = h->size;
	o->added = h->added;
	memcpy(o->digest, h->digest.b, sizeof(o->digest));
}

int store_header(struct store *s, uint64_t id, struct store_header *out)
{
	struct store_txn t;
	struct codec_header h;
	int ret = txn_begin(s, &t, false);

	if (ret)
		return ret;
	ret = get_header(&t, id, &h);
	if (!ret)
		header_export(&h, out);
	txn_abort(&t);
	return ret;
}

int store_list(struct store *s, int (*cb)(const struct store_header *, void *),
	       void *ctx)
{
	struct store_txn t;
	struct codec_header h;
	struct store_header *sh;
	MDB_cursor *c = NULL;
	MDB_val key, val;
	int rc, ret, bad = 0;

	sh = malloc(sizeof(*sh));
	if (!sh)
		return -ENOMEM;
	ret = txn_begin(s, &t, false);
	if (ret || cursor_open(&t, s->snaps, &c)) {
		ret = t.ret;
		goto out;
	}
	for (rc = mdb_cursor_get(c, &key, &val, MDB_FIRST); !rc;
	     rc = mdb_cursor_get(c, &key, &val, MDB_NEXT)) {
		uint64_t id;
		int err = key_id(&key, &id);
		if (!err)
			err = header_decode(id, &val, &h);
		if (err) {
			/* Show the rest; say so at the end. */
			bad = bad ? bad : err;
			continue;
		}
		header_export(&h, sh);
		ret = cb(sh, ctx);
		if (ret)
			break;
	}
	if (!ret && rc && rc != MDB_NOTFOUND)
		ret = mdb_err(rc);
	if (!ret)
		ret = bad;
out:
	if (c)
		mdb_cursor_close(c);
	txn_abort(&t);
	free(sh);
	return ret;
}

int store_ns_history(struct store *s, struct ns_key nk,
		     int (*cb)(uint64_t id, const uint8_t hash[16], void *),
		     void *ctx)
{
	struct store_txn t;
	MDB_cursor *c = NULL;
	uint8_t k[24];
	MDB_val key = { sizeof(k), k }, val;
	int rc, ret;

	ret = txn_begin(s, &t, false);
	if (ret || cursor_open(&t, s->nsidx, &c)) {
		ret = t.ret;
		goto out;
	}
	codec_be64_write(k, nk.dev);
	codec_be64_write(k + 8, nk.ino);
	codec_be64_write(k + 16, 0);
	for (rc = mdb_cursor_get(c, &key, &val, MDB_SET_RANGE); !rc;
	     rc = mdb_cursor_get(c, &key, &val, MDB_NEXT)) {
		if (key.mv_size != 24 || memcmp(key.mv_data, k, 16))
			break;
		if (val.mv_size != CODEC_HASH_LEN) {
			ret = corrupt("namespace index entry of %zu bytes",
				      val.mv_size);
			break;
		}
		static const uint8_t gone[CODEC_HASH_LEN];
		const uint8_t *h = val.mv_data;
		ret = cb(codec_be64_read((const uint8_t *)key.mv_data + 16),
			 memcmp(h, gone, CODEC_HASH_LEN) ? h : NULL, ctx);
		if (ret)
			break;
	}
	if (!ret && rc && rc != MDB_NOTFOUND)
		ret = mdb_err(rc);
out:
	if (c)
		mdb_cursor_close(c);
	txn_abort(&t);
	return ret;
}

int store_stat(struct store *s, struct store_stat *out)
{
	struct store_txn t;
	MDB_envinfo info;
	MDB_stat st;
	int rc, ret;

	memset(out, 0, sizeof(*out));
	rc = mdb_env_info(s->env, &info);
	if (!rc)
		rc = mdb_env_stat(s->env, &st);
	if (rc)
		return mdb_err(rc);
	out->map_size = info.me_mapsize;
	out->page_size = st.ms_psize;
	out->used = ((uint64_t)info.me_last_pgno + 1) * st.ms_psize;
	ret = txn_begin(s, &t, false);
	if (ret)
		return ret;
	rc = mdb_stat(t.txn, s->snaps, &st);
	out->snapshots = st.ms_entries;
	if (!rc)
		rc = mdb_stat(t.txn, s->records, &st);
	out->records = st.ms_entries;
	txn_abort(&t);
	return mdb_err(rc);
}
