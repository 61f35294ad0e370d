/*
 * nsnap_keys.c — the keys of signed snapshots: keygen, the store's
 * settings (config), and the keys record, export --manifest, verify,
 * import and verify-export are given.
 *
 * Owns the messages about key files; the files themselves are
 * store/custody.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "custody.h"
#include "nsnap_int.h"
#include "store.h"

/* What a key file's error says, after its name. */
static const char *key_error(int rc, bool secret)
{
	switch (rc) {
	case -EPERM:
		return "a secret key file must be the caller's, with no access "
		       "for its group or others (chmod 600)";
	case -ELOOP:
		return "is a symbolic link (refused)";
	case -EBADMSG:
		return secret ? "not an nsnap secret key file (nsnap keygen "
				"makes one)" :
				"not an nsnap public key, secret key file or "
				"64 hex digits";
	case -EINVAL:
		return "not a regular file";
	case -EFBIG:
		return "too big for a key file";
	case -ENOSYS:
		return "libsodium cannot be initialised";
	}
	return strerror(-rc);
}

int cmd_keygen(const struct run *r)
{
	const char *path = r->words[0];
	struct custody_key k;
	char id[CUSTODY_KEYID_LEN + 1];
	int rc = custody_keygen(path, &k);

	if (rc == -EEXIST)
		nsnap_fail("%s: a file is there already (or %s.pub): keys are "
			   "never overwritten", path, path);
	if (rc)
		nsnap_fail("%s: cannot make the key: %s", path, strerror(-rc));
	custody_key_id(k.pk, id);
	custody_key_wipe(&k);
	printf("%s\n", id);
	nsnap_note("secret key %s (mode 0600), public key %s.pub, key id %s",
		   path, path, id);
	return 0;
}

int nsnap_signer(struct store *s, const char *sign, struct custody_key *k)
{
	char path[4096];
	int rc;

	if (!sign) {
		rc = store_setting_get(s, "sign-key", path, sizeof(path));
		if (rc == -ENOENT)
			return 0;
		if (rc)
			nsnap_fail("cannot read the store's settings: %s",
				   store_strerror(rc));
		sign = path;
	}
	rc = custody_load_secret(sign, k);
	if (rc) {
		/* The path may come from the store: data, shown escaped. */
		char *shown = cli_term_text(sign, strlen(sign), 1);
		nsnap_fail("%s: cannot sign with it: %s", shown,
			   key_error(rc, true));
	}
	return 1;
}

void nsnap_public_key(const char *option, const char *path_or_hex,
		      struct custody_key *k)
{
	int rc = custody_load_public(path_or_hex, k);

	if (rc)
		nsnap_usage_error("%s '%s': %s", option, path_or_hex,
				  key_error(rc, false));
}

/* The settings there are, with what each means. */
static const struct {
	const char *name, *help;
} settings[] = {
	{ "sign-key", "secret key file every recorded snapshot is signed with" },
};
#define NSETTINGS (sizeof(settings) / sizeof(settings[0]))

int cmd_config(const struct run *r)
{
	const char *path = r->store;
	const char *name = r->nwords ? r->words[0] : NULL;
	const char *value = r->nwords > 1 ? r->words[1] : NULL;
	char buf[4096];
	size_t i;
	int rc;

	for (i = 0; name && i < NSETTINGS; i++)
		if (!strcmp(name, settings[i].name))
			break;
	if (name && i == NSETTINGS)
		nsnap_usage_error("config: no setting '%s' (there is: sign-key)",
				  name);
	if (r->unset && (!name || value))
		nsnap_usage_error("config --unset takes a setting's name alone");
	if (!value && !r->unset) {
		struct store *s = cli_store_open(path, STORE_RDONLY, 1);
		for (i = 0; i < NSETTINGS; i++) {
			if (name && strcmp(name, settings[i].name))
				continue;
			rc = store_setting_get(s, settings[i].name, buf,
					       sizeof(buf));
			if (rc && rc != -ENOENT)
				nsnap_fail("%s: cannot read setting %s: %s",
					   path, settings[i].name,
					   store_strerror(rc));
			char *shown = cli_term_text(rc ? "" : buf,
						    rc ? 0 : strlen(buf), 1);
			if (name)
				printf("%s\n", shown);
			else
				printf("%s=%s\n", settings[i].name, shown);
			free(shown);
		}
		store_close(s);
		return 0;
	}
	char abs[4096];
	if (value && value[0] != '/') {
		/* A timer's record runs elsewhere: the path is made whole. */
		if (!realpath(value, abs))
			nsnap_fail("%s: %s", value, strerror(errno));
		value = abs;
	}
	struct store *s = cli_store_open(path, STORE_CREATE, 1);
	if (value) {
		/* A key the store cannot use is refused now, not at the
		 * next timer's record. */
		struct custody_key k;
		nsnap_signer(s, value, &k);
		custody_key_wipe(&k);
	}
	rc = store_setting_set(s, name, value);
	store_close(s);
	if (rc)
		nsnap_fail("%s: cannot change setting %s: %s", path, name,
			   store_strerror(rc));
	return 0;
}
