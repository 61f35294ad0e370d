/*
 * settings.c — the store's settings: a few named values in the meta
 * table ("set:NAME"), for what every write to the store should do.
 *
 * Owns the names there are.  Only "sign-key" for now: the secret key file
 * whose key signs every snapshot recorded, so that a periodic `nsnap
 * record` (a timer's) signs without being told.  The setting names a file
 * rather than holding the key: the store travels (copy, --foreign=copy),
 * the secret must not.
 */
#include "store_int.h"

#include <errno.h>
#include <string.h>

#define SETTING_MAX 4000

static const char *const names[] = { "sign-key" };

static int setting_key(const char *name, char *k, size_t size)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i])) {
			size_t n = strlen(name);
			if (4 + n >= size)
				return -EINVAL;
			memcpy(k, "set:", 4);
			memcpy(k + 4, name, n + 1);
			return (int)(4 + n);
		}
	return -EINVAL;
}

int store_setting_get(struct store *s, const char *name, char *value,
		      size_t size)
{
	struct sto_txn t;
	MDB_val val;
	char k[64];
	int klen = setting_key(name, k, sizeof(k)), ret;

	if (klen < 0)
		return klen;
	ret = sto_txn_begin(s, &t, false);
	if (ret)
		return ret;
	ret = sto_txn_get(&t, s->meta, k, (size_t)klen, &val);
	if (ret == MDB_NOTFOUND)
		ret = -ENOENT;
	else if (!ret && (val.mv_size > SETTING_MAX ||
			  memchr(val.mv_data, '\0', val.mv_size)))
		ret = sto_corrupt("setting '%s' is malformed", name);
	if (!ret && size) {
		size_t n = val.mv_size < size - 1 ? val.mv_size : size - 1;
		memcpy(value, val.mv_data, n);
		value[n] = '\0';
	}
	sto_txn_abort(&t);
	return ret;
}

int store_setting_set(struct store *s, const char *name, const char *value)
{
	struct sto_txn t;
	char k[64];
	int klen = setting_key(name, k, sizeof(k)), ret;

	if (klen < 0)
		return klen;
	if (value && (!*value || strlen(value) > SETTING_MAX))
		return -EINVAL;
	if (s->rdonly)
		return STORE_ERDONLY;
	for (;;) {
		ret = sto_txn_begin(s, &t, true);
		if (ret)
			return ret;
		/* An older nsnap would record past it unsigned. */
		sto_format_raise(&t, STORE_FORMAT);
		if (value)
			sto_txn_put(&t, s->meta, k, (size_t)klen, value,
				    strlen(value), 0);
		else
			sto_txn_del(&t, s->meta, k, (size_t)klen);
		ret = sto_txn_commit(&t);
		if (ret != MDB_MAP_FULL)
			return ret;
		ret = sto_grow_map(s);
		if (ret)
			return ret;
	}
}
