/*
 * nsnap_xfer.c — nsnap copy, export, import and verify-export: snapshots
 * into and out of the store, as a compact copy of the whole store or as
 * documents of nsnap(5), and the checks of an evidence export (its
 * manifest, the manifest's signature, the document, the snapshot's
 * signature) without a store.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "custody.h"
#include "export.h"
#include "export_rows.h"
#include "fsafe.h"
#include "graph.h"
#include "manifest.h"
#include "nsnap_int.h"
#include "store.h"

/* ---- copy --------------------------------------------------------------- */

int cmd_copy(const struct run *r)
{
	const char *path = r->store, *dest = r->words[0];
	struct store_stat st;
	struct store *s;
	int rc;

	if (!*dest)
		nsnap_usage_error("'%s' takes one destination directory",
				  r->cmd);
	s = cli_store_open(path, STORE_RDONLY, 1);

	nsnap_progress(true, "copy: writing %s", dest);
	rc = store_copy(s, dest, &st);
	store_close(s);
	nsnap_progress_clear();
	if (rc == -EEXIST)
		nsnap_fail("%s: already holds a store", dest);
	/* fsafe.h's refusals of DEST name it, its owner and mode. */
	if (rc && FSAFE_IS(rc))
		nsnap_fail("%s", store_strerror(rc));
	if (rc)
		nsnap_fail("%s: cannot copy to %s: %s", path, dest,
			   store_strerror(rc));
	printf("copied %" PRIu64 " snapshot%s to %s (%" PRIu64 " bytes)\n",
	       st.snapshots, nsnap_plural(st.snapshots), dest, st.used);
	return 0;
}

/* ---- export and import -------------------------------------------------- */

/* "nsnap: WHY" for a refusal of fsafe's, whose message names the file;
 * else "nsnap: NAME: cannot export: WHY". */
static void export_fail(const char *name, int rc)
{
	if (FSAFE_IS(rc))
		nsnap_fail("%s", fsafe_strerror(rc));
	nsnap_fail("%s: cannot export: %s", name, fsafe_strerror(rc));
}

/* "nsnap: FILE.sha256: cannot write the manifest: WHY" and the like. */
static void manifest_fail(const char *file, enum manifest_part part, int rc)
{
	static const char *const suffix[] = {
		[MANIFEST_FILE] = "", [MANIFEST_SUM] = ".sha256",
		[MANIFEST_SIG] = ".sha256.sig",
	};

	nsnap_fail("%s%s: cannot write the manifest%s: %s", file, suffix[part],
		   part == MANIFEST_SIG ? "'s signature" : "",
		   fsafe_strerror(rc));
}

/*
 * The output goes through fsafe's writer (fsafe.h): standard output by
 * its names, a regular file replaced whole or not at all, a device or a
 * FIFO written as it is, never a symbolic link or another user's file.
 * It is opened once the snapshot is loaded, so that a bad selector is
 * told at once and not after a FIFO found its reader.  The key that signs
 * the manifest (--sign, else the store's sign-key) is loaded before
 * anything is written, so that a key that cannot sign leaves no export
 * without its signature; from another user's store (--foreign=copy) only
 * --sign names one, its sign-key setting being that user's choice.
 */
int cmd_export(const struct run *r)
{
	const char *selector = r->words[0];
	const char *file = r->output ? r->output : "-";
	/* The output's name in messages: any bytes, shown escaped. */
	char *shown = cli_term_text(file, strlen(file), 1);
	const char *name = strcmp(file, "-") ? shown : "standard output";
	int nrc = r->manifest ? manifest_name_check(file) : 0;

	/* A name the manifest cannot hold is told before anything is
	 * written: no export is left without the manifest asked for. */
	if (nrc)
		nsnap_fail("%s: %s", shown, nrc == -EINVAL ?
			   "a manifest cannot name it (sha256sum would escape "
			   "its backslash or line break): choose another name" :
			   strerror(-nrc));
	struct store *s = cli_store_open(r->store, STORE_RDONLY, 1);
	struct store_header h;
	struct custody_key key;
	struct graph *g = NULL;
	struct fsafe_out *out;
	uint64_t id = cli_resolve(s, selector, 1);
	int rc = store_header(s, id, &h);

	if (!rc)
		rc = store_load(s, id, &g);
	if (rc)
		cli_snapshot_fail(s, selector, rc, 1);
	/* Another user's store names no key of the caller's: only --sign
	 * does then. */
	bool signing = r->manifest && (r->sign || !cli_foreign()) &&
		       nsnap_signer(s, r->sign, &key);
	store_close(s);
	/* The custody block travels with the snapshot: its signature is
	 * what an importer can hold the content against. */
	struct export_info info = {
		.id = id, .label = h.label[0] ? h.label : NULL,
		.has_custody = h.chained, .custody = h.custody,
	};
	rc = fsafe_out_open(file, &out);
	if (rc) {
		graph_free(g);
		export_fail(name, rc);
	}
	if (r->rows)
		rc = export_rows_write(fsafe_out_file(out), g, &info, r->table);
	else
		rc = export_write(fsafe_out_file(out), g, &info, r->format);
	graph_free(g);
	if (rc)
		fsafe_out_abort(out);
	else
		rc = fsafe_out_commit(out);
	if (rc)
		export_fail(name, rc);
	if (!r->manifest) {
		free(shown);
		return 0;
	}
	enum manifest_part part;
	rc = manifest_write(file, signing ? &key : NULL, &part);
	if (signing) {
		char kid[CUSTODY_KEYID_LEN + 1];
		custody_key_id(key.pk, kid);
		custody_key_wipe(&key);
		if (rc)
			manifest_fail(shown, part, rc);
		nsnap_note("manifest %s.sha256, signed in %s.sha256.sig (key %s)",
			   shown, shown, kid);
		free(shown);
		return 0;
	}
	if (rc)
		manifest_fail(shown, part, rc);
	nsnap_note("manifest %s.sha256 (not signed: no --sign%s)", shown,
		   cli_foreign() ? "; another user's store chooses no key" :
		   ", no sign-key setting");
	free(shown);
	return 0;
}

/* The content digest of G labelled LABEL, as a store computes it: never
 * the document's word for it.  0 or -errno. */
static int doc_content(const struct graph *g, const char *label,
		       uint8_t out[CUSTODY_DIGEST_LEN])
{
	return custody_graph_content(g, label, out);
}

/*
 * Whether the document FILE (G and INFO, read) may be imported as to its
 * custody; if not, says why on stderr.  With WANT (--require-signature),
 * there must be a signature and it must be WANT's; a signature it carries
 * must be sound over the content computed from G, whatever WANT; and its
 * custody.content, signed or not, must be that content.  Checked here,
 * before anything is written to the store, and the signature by the store
 * again as it writes (STORE_ESIG).
 */
static bool custody_admits(const char *file, const struct graph *g,
			   const struct export_info *info,
			   const struct custody_key *want)
{
	const struct custody_block *c = &info->custody;
	char got[CUSTODY_KEYID_LEN + 1], need[CUSTODY_KEYID_LEN + 1];
	bool is_signed = info->has_custody && c->is_signed;
	uint8_t content[CUSTODY_DIGEST_LEN];

	if (want && !is_signed) {
		nsnap_warn("%s: snapshot %" PRIu64 " is not signed: refused "
			   "(--require-signature)", file, info->id);
		return false;
	}
	if (is_signed) {
		custody_key_id(c->key, got);
		if (want && memcmp(c->key, want->pk, CUSTODY_PK_LEN)) {
			custody_key_id(want->pk, need);
			nsnap_warn("%s: snapshot %" PRIu64 " is signed by key "
				   "%s, not by key %s: refused "
				   "(--require-signature)", file, info->id, got,
				   need);
			return false;
		}
	}
	int rc = info->has_custody ? doc_content(g, info->label, content) : 0;
	if (rc < 0) {
		nsnap_warn("%s: cannot compute its content digest: %s", file,
			   strerror(-rc));
		return false;
	}
	if (is_signed) {
		struct custody_block check = *c;
		memcpy(check.content, content, sizeof(content));
		if (!custody_sig_ok(&check)) {
			nsnap_warn("%s: its signature (key %s) does not match "
				   "its content: the document was altered", file,
				   got);
			return false;
		}
	}
	/* The document's word for its content, signed or not, is held to
	 * what it is: verify-export judges it so too. */
	if (info->has_custody && memcmp(content, c->content, sizeof(content))) {
		nsnap_warn("%s: its content (BLAKE2b) is not custody.content: "
			   "the document was altered", file);
		return false;
	}
	return true;
}

/* Whether snapshot ID of S is signed by WANT, as its header says (verify
 * checks the signature itself). */
static bool held_signed(struct store *s, uint64_t id,
			const struct custody_key *want)
{
	struct store_header h;

	return !store_header(s, id, &h) && h.chained && h.custody.is_signed &&
	       !memcmp(h.custody.key, want->pk, CUSTODY_PK_LEN);
}

int cmd_import(const struct run *r)
{
	char **files = r->words;
	size_t nfiles = r->nwords;
	struct custody_key want;
	size_t refused = 0;
	char errbuf[256];

	/* A bad key is a usage error, told before the store is made. */
	if (r->require_sig)
		nsnap_public_key("--require-signature", r->require_sig, &want);
	struct store *s = cli_store_open(r->store, STORE_CREATE, 1);
	char *file = NULL;
	for (size_t i = 0; i < nfiles; i++) {
		/* Its name in messages: any bytes, shown escaped. */
		free(file);
		file = cli_term_text(files[i], strlen(files[i]), 1);
		struct export_info info = { 0 };
		struct graph *g = NULL;
		char *buf;
		size_t len;
		uint64_t id;

		nsnap_progress(i + 1 == nfiles, "import: %zu/%zu files", i + 1,
			       nfiles);
		int rc = cli_read_file(files[i], &buf, &len);
		if (rc) {
			nsnap_warn("%s: %s", file, strerror(-rc));
			refused++;
			continue;
		}
		errbuf[0] = '\0';
		rc = export_read(buf, len, &g, &info, errbuf, sizeof(errbuf));
		free(buf);
		if (rc) {
			nsnap_warn("%s: %s", file, errbuf[0] ? errbuf :
				   rc == -EPROTONOSUPPORT ?
				   "written by a newer nsnap (unknown version)" :
				   strerror(-rc));
			refused++;
			continue;
		}
		if (!custody_admits(file, g, &info,
				    r->require_sig ? &want : NULL)) {
			graph_free(g);
			refused++;
			continue;
		}
		/* The label lives in the graph: store before freeing it. */
		rc = store_put_evidence(s, g, info.label, info.id,
					info.has_custody ? &info.custody : NULL,
					&id);
		graph_free(g);
		if (rc == STORE_EEXIST && r->require_sig &&
		    !held_signed(s, id, &want)) {
			nsnap_warn("%s: already in the store as snapshot %" PRIu64
				   ", which is not signed by that key: refused "
				   "(--require-signature)", file, id);
			refused++;
			continue;
		}
		if (rc == STORE_EEXIST) {
			/* Nothing added: the id the snapshot has, as for a
			 * new one, and why on stderr. */
			nsnap_warn("%s: already in the store as snapshot %" PRIu64
				   "; not imported again", file, id);
			printf("%" PRIu64 "\n", id);
			continue;
		}
		if (rc == STORE_ESIG) {
			char kid[CUSTODY_KEYID_LEN + 1];
			custody_key_id(info.custody.key, kid);
			nsnap_warn("%s: its signature (key %s) does not match its "
				   "content: the document was altered", file, kid);
			refused++;
			continue;
		}
		if (rc) {
			nsnap_warn("%s: cannot import: %s", file,
				   store_strerror(rc));
			refused++;
			continue;
		}
		printf("%" PRIu64 "\n", id);
	}
	free(file);
	store_close(s);
	nsnap_progress_clear();
	if (fflush(stdout) || ferror(stdout))
		nsnap_fail("standard output: %s", strerror(errno));
	return refused ? 1 : 0;
}

/* ---- verify-export ------------------------------------------------------ */

/* One check's line on standard output; false when it failed. */
__attribute__((format(printf, 3, 4)))
static bool said(const char *check, bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s: %s", check, ok ? "" : "FAILED: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	return ok;
}

/* The document FILE, read: what the later checks need of it. */
struct vdoc {
	struct export_info info;
	bool is_signed;
	char key_id[CUSTODY_KEYID_LEN + 1];
};

/*
 * FILE.sha256 against the file's bytes, then FILE.sha256.sig against
 * FILE.sha256: by WANT's key when given, else by the snapshot's own
 * signing key when its key id is the one the signature file names (that
 * file says no more of its key than the id).  Absent files are no
 * failure: "none".
 */
static bool verify_manifest(const char *file, const char *shown,
			    const char *data, size_t len,
			    const struct custody_key *want,
			    const struct vdoc *d)
{
	char *m = NULL, *sigtext = NULL, why[MANIFEST_PATH_MAX + 256];
	char wid[CUSTODY_KEYID_LEN + 1];
	struct manifest_sig sig;
	size_t mlen = 0, slen;
	bool ok = true;
	int rc = manifest_read(file, ".sha256", &m, &mlen);

	if (rc == -ENOENT)
		said("manifest", true, "none (no %s.sha256)", shown);
	else if (rc)
		ok = said("manifest", false, "%s.sha256: %s", shown,
			  strerror(-rc));
	else if (manifest_check(file, m, mlen, data, len, why, sizeof(why))) {
		/* It names the file and what the manifest says: data. */
		char *w = cli_term_text(why, strlen(why), 1);
		ok = said("manifest", false, "%s", w);
		free(w);
	}
	else
		said("manifest", true, "ok");

	rc = manifest_read(file, ".sha256.sig", &sigtext, &slen);
	if (rc == -ENOENT) {
		said("manifest signature", true, "none (no %s.sha256.sig)",
		     shown);
		goto out;
	}
	if (rc) {
		ok = said("manifest signature", false, "%s.sha256.sig: %s",
			  shown, strerror(-rc));
		goto out;
	}
	if (manifest_sig_parse(sigtext, slen, &sig)) {
		ok = said("manifest signature", false, "%s.sha256.sig is not a "
			  "line \"" MANIFEST_SIG_MAGIC " KEYID SIGNATURE\"",
			  shown);
		goto out;
	}
	if (!m) {
		ok = said("manifest signature", false, "no readable %s.sha256 "
			  "for it to sign", shown);
		goto out;
	}
	const uint8_t *pk = NULL;
	if (want) {
		custody_key_id(want->pk, wid);
		if (strcmp(wid, sig.key_id)) {
			ok = said("manifest signature", false, "signed by key %s, "
				  "not by key %s", sig.key_id, wid);
			goto out;
		}
		pk = want->pk;
	} else if (d->is_signed && !strcmp(d->key_id, sig.key_id)) {
		pk = d->info.custody.key;
	} else {
		ok = said("manifest signature", false, "key %s is not known here "
			  "(the snapshot's signature does not carry it): give "
			  "it with --key", sig.key_id);
		goto out;
	}
	if (manifest_sig_ok(m, mlen, &sig, pk))
		said("manifest signature", true, "ok, key %s", sig.key_id);
	else
		ok = said("manifest signature", false, "its signature (key %s) "
			  "does not match %s.sha256", sig.key_id, shown);
out:
	free(sigtext);
	free(m);
	return ok;
}

/*
 * The document (its record hashes, and custody.content against the content
 * recomputed from the document's graph), then the snapshot's signature over
 * that recomputed content.  With WANT, the snapshot must be signed, by
 * WANT.
 */
static bool verify_doc(const struct graph *g, struct vdoc *d, int rc,
		       const char *errbuf, const struct custody_key *want)
{
	const struct custody_block *c = &d->info.custody;
	uint8_t content[CUSTODY_DIGEST_LEN];
	char wid[CUSTODY_KEYID_LEN + 1];

	if (rc) {
		said("document", false, "%s", errbuf[0] ? errbuf :
		     rc == -EPROTONOSUPPORT ?
		     "written by a newer nsnap (unknown version)" :
		     strerror(-rc));
		return said("snapshot signature", false, "not checked (the "
			    "document is refused)");
	}
	rc = doc_content(g, d->info.label, content);
	if (rc) {
		said("document", false, "cannot compute its content digest: %s",
		     strerror(-rc));
		return said("snapshot signature", false, "not checked");
	}
	bool ok = true;
	if (d->info.has_custody && memcmp(content, c->content, sizeof(content)))
		ok = said("document", false, "its hashes match, but its content "
			  "(BLAKE2b) is not custody.content: the document was "
			  "altered");
	else
		said("document", true, "ok (hashes)");
	if (want)
		custody_key_id(want->pk, wid);
	if (!d->is_signed) {
		if (want)
			return said("snapshot signature", false, "snapshot %" PRIu64
				    " is not signed (--key %s)", d->info.id,
				    wid);
		said("snapshot signature", true, "none (not signed)");
		return ok;
	}
	if (want && memcmp(c->key, want->pk, CUSTODY_PK_LEN))
		return said("snapshot signature", false, "signed by key %s, not "
			    "by key %s", d->key_id, wid);
	struct custody_block check = *c;
	memcpy(check.content, content, sizeof(content));
	if (!custody_sig_ok(&check))
		return said("snapshot signature", false, "its signature (key %s) "
			    "does not match its content: the document was "
			    "altered", d->key_id);
	said("snapshot signature", true, "ok, key %s (signed as snapshot %"
	     PRIu64 ")", d->key_id, c->sig_id);
	return ok;
}

int cmd_verify_export(const struct run *r)
{
	const char *file = r->words[0];
	struct custody_key want;
	struct vdoc d = { 0 };
	struct graph *g = NULL;
	char errbuf[256], *buf;
	size_t len;
	int rc;

	if (r->key)
		nsnap_public_key("--key", r->key, &want);
	if (strcmp(file, "-") == 0)
		nsnap_usage_error("verify-export takes a file, not standard "
				  "input: its manifest lies beside it");
	/* A file name is any bytes: shown escaped. */
	char *shown = cli_term_text(file, strlen(file), 1);
	rc = cli_read_file(file, &buf, &len);
	if (rc)
		nsnap_fail("%s: %s", shown, strerror(-rc));
	errbuf[0] = '\0';
	rc = export_read(buf, len, &g, &d.info, errbuf, sizeof(errbuf));
	d.is_signed = !rc && d.info.has_custody && d.info.custody.is_signed;
	if (d.is_signed)
		custody_key_id(d.info.custody.key, d.key_id);
	/* The manifest is of the bytes just parsed, not of a second read. */
	bool ok = verify_manifest(file, shown, buf, len,
				  r->key ? &want : NULL, &d);
	ok &= verify_doc(g, &d, rc, errbuf, r->key ? &want : NULL);
	graph_free(g);
	free(buf);
	free(shown);
	if (fflush(stdout) || ferror(stdout))
		nsnap_fail("standard output: %s", strerror(errno));
	return ok ? 0 : 1;
}
