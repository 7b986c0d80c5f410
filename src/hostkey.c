/* hostkey.c — see hostkey.h. GnuTLS only: no ngtcp2 here. */
#include "hostkey.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>

#include "hash.h"
#include "log.h"

void hostkey_random(void *p, size_t n)
{
	/* Only fails when the library's self-tests failed: no keys then. */
	if (gnutls_rnd(GNUTLS_RND_RANDOM, p, n) < 0) {
		log_error("gnutls_rnd failed");
		abort();
	}
}

int hostkey_read_private(const char *path, gnutls_datum_t *out,
			 struct error *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return error_sys(e, errno, "%s", path);
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > 16384) {
		close(fd);
		return error_set(e, EINVAL, "%s: not a key file", path);
	}
	/* Like ssh: a private key others can read is no longer private. */
	if (st.st_mode & 077) {
		close(fd);
		return error_set(e, EPERM, "%s: readable by others (mode %o)",
				 path, (unsigned)(st.st_mode & 0777));
	}
	out->data = xmalloc((size_t)st.st_size + 1);
	ssize_t n = read(fd, out->data, (size_t)st.st_size);
	close(fd);
	if (n != st.st_size) {
		free(out->data);
		out->data = NULL;
		return error_set(e, EIO, "%s: short read", path);
	}
	out->size = (unsigned)n;
	return 0;
}

static int pubkey_fingerprint(gnutls_pubkey_t pub, uint8_t fp[HOST_KEY_SIZE])
{
	gnutls_datum_t der = {NULL, 0};
	if (gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &der) < 0)
		return -EINVAL;
	hash_buf(der.data, der.size, fp);
	gnutls_free(der.data);
	return 0;
}

static int privkey_fingerprint(gnutls_x509_privkey_t key,
			       uint8_t fp[HOST_KEY_SIZE])
{
	gnutls_privkey_t pk = NULL;
	gnutls_pubkey_t pub = NULL;
	int r = -EINVAL;
	if (gnutls_privkey_init(&pk) == 0 &&
	    gnutls_privkey_import_x509(pk, key, 0) == 0 &&
	    gnutls_pubkey_init(&pub) == 0 &&
	    gnutls_pubkey_import_privkey(pub, pk, 0, 0) == 0)
		r = pubkey_fingerprint(pub, fp);
	if (pub)
		gnutls_pubkey_deinit(pub);
	if (pk)
		gnutls_privkey_deinit(pk);
	return r;
}

static int load_key(const char *path, gnutls_x509_privkey_t *out,
		    struct error *e)
{
	gnutls_datum_t pem = {NULL, 0};
	int r = hostkey_read_private(path, &pem, e);
	if (r < 0)
		return r;
	int g = gnutls_x509_privkey_init(out);
	if (g == 0)
		g = gnutls_x509_privkey_import2(*out, &pem, GNUTLS_X509_FMT_PEM,
						NULL, GNUTLS_PKCS_PLAIN);
	gnutls_memset(pem.data, 0, pem.size);
	free(pem.data);
	if (g < 0) {
		gnutls_x509_privkey_deinit(*out);
		*out = NULL;
		return error_set(e, EINVAL, "%s: %s", path, gnutls_strerror(g));
	}
	return 0;
}

int hostkey_fingerprint(const char *path, uint8_t key[HOST_KEY_SIZE],
			 struct error *e)
{
	gnutls_x509_privkey_t k;
	int r = load_key(path, &k, e);
	if (r < 0)
		return r;
	r = privkey_fingerprint(k, key);
	gnutls_x509_privkey_deinit(k);
	if (r < 0)
		return error_set(e, EINVAL, "%s: cannot export its public key",
				 path);
	return 0;
}

int hostkey_generate(const char *path, uint8_t key[HOST_KEY_SIZE],
		      struct error *e)
{
	gnutls_x509_privkey_t k = NULL;
	gnutls_datum_t pem = {NULL, 0};
	int g = gnutls_x509_privkey_init(&k);
	if (g == 0)
		g = gnutls_x509_privkey_generate2(k, GNUTLS_PK_EDDSA_ED25519, 0,
						  0, NULL, 0);
	if (g == 0)
		g = gnutls_x509_privkey_export2_pkcs8(k, GNUTLS_X509_FMT_PEM,
						      NULL, GNUTLS_PKCS_PLAIN,
						      &pem);
	if (g < 0) {
		if (k)
			gnutls_x509_privkey_deinit(k);
		return error_set(e, EINVAL, "generating a key: %s",
				 gnutls_strerror(g));
	}
	int r = privkey_fingerprint(k, key);
	gnutls_x509_privkey_deinit(k);
	int fd = r < 0 ? -1
		       : open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			      0600);
	if (r < 0)
		r = error_set(e, EINVAL, "exporting the public key");
	else if (fd < 0)
		r = error_sys(e, errno, "%s", path);
	else if ((r = write_full(fd, pem.data, pem.size)) < 0)
		error_sys(e, -r, "%s", path);
	if (fd >= 0 && close(fd) < 0 && r == 0)
		r = error_sys(e, errno, "%s", path);
	gnutls_memset(pem.data, 0, pem.size);
	gnutls_free(pem.data);
	return r;
}

int hostkey_peer(gnutls_session_t s, uint8_t fp[HOST_KEY_SIZE],
		 uint8_t *instance, size_t *ilen)
{
	unsigned n = 0;
	const gnutls_datum_t *certs = gnutls_certificate_get_peers(s, &n);
	gnutls_x509_crt_t crt = NULL;
	gnutls_pubkey_t pub = NULL;
	int ok = certs && n > 0 && gnutls_x509_crt_init(&crt) == 0 &&
		 gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER) ==
			 0 &&
		 gnutls_pubkey_init(&pub) == 0 &&
		 gnutls_pubkey_import_x509(pub, crt, 0) == 0 &&
		 pubkey_fingerprint(pub, fp) == 0;
	if (!ok || gnutls_x509_crt_get_serial(crt, instance, ilen) != 0)
		*ilen = 0;
	if (pub)
		gnutls_pubkey_deinit(pub);
	if (crt)
		gnutls_x509_crt_deinit(crt);
	return ok ? 0 : -EINVAL;
}

static int make_cert(struct hostkey *hk, struct error *e)
{
	/* The serial is this run's instance nonce: fresh at each start, so
	 * that a peer tells a restarted host from the one it knew (positive,
	 * 16 bytes: the top bit clear, the next one set). */
	hostkey_random(hk->instance, HOSTKEY_INSTANCE_SIZE);
	hk->instance[0] = (uint8_t)((hk->instance[0] & 0x7f) | 0x40);
	time_t now = time(NULL);
	int g = gnutls_x509_crt_init(&hk->crt);
	if (g == 0)
		g = gnutls_x509_crt_set_version(hk->crt, 3);
	if (g == 0)
		g = gnutls_x509_crt_set_serial(hk->crt, hk->instance,
					       HOSTKEY_INSTANCE_SIZE);
	if (g == 0)
		g = gnutls_x509_crt_set_activation_time(hk->crt, now - 3600);
	if (g == 0)
		g = gnutls_x509_crt_set_expiration_time(
			hk->crt, now + 10L * 365 * 86400);
	if (g == 0)
		g = gnutls_x509_crt_set_dn(hk->crt, "CN=fakeos-host", NULL);
	if (g == 0)
		g = gnutls_x509_crt_set_key(hk->crt, hk->key);
	if (g == 0)
		g = gnutls_x509_crt_sign2(hk->crt, hk->crt, hk->key,
					  GNUTLS_DIG_SHA512, 0);
	if (g == 0)
		g = gnutls_certificate_allocate_credentials(&hk->cred);
	if (g == 0)
		g = gnutls_certificate_set_x509_key(hk->cred, &hk->crt, 1,
						    hk->key);
	if (g < 0)
		return error_set(e, EINVAL, "host certificate: %s",
				 gnutls_strerror(g));
	return 0;
}

int hostkey_open(struct hostkey *hk, const char *path,
		 gnutls_certificate_verify_function *verify, struct error *e)
{
	memset(hk, 0, sizeof(*hk));
	int r = load_key(path, &hk->key, e);
	if (r == 0)
		r = make_cert(hk, e);
	if (r == 0)
		gnutls_certificate_set_verify_function(hk->cred, verify);
	return r;
}

void hostkey_close(struct hostkey *hk)
{
	if (hk->cred)
		gnutls_certificate_free_credentials(hk->cred);
	if (hk->crt)
		gnutls_x509_crt_deinit(hk->crt);
	if (hk->key)
		gnutls_x509_privkey_deinit(hk->key);
	memset(hk, 0, sizeof(*hk));
}

const struct host *hostkey_pinned(const struct hosts *hs,
				  const struct host *dialled,
				  const uint8_t fp[HOST_KEY_SIZE],
				  const struct sockaddr *peer, socklen_t len,
				  const char *who)
{
	char got[HOST_KEY_TEXT_SIZE], want[HOST_KEY_TEXT_SIZE];
	hosts_format_key(fp, got);
	if (dialled) {
		if (memcmp(fp, dialled->key, HOST_KEY_SIZE) == 0)
			return dialled;
		hosts_format_key(dialled->key, want);
		log_warn("%s: presented key %s, not the pinned %s: refused",
			 who, got, want);
		return NULL;
	}
	const struct host *h = hosts_by_key(hs, fp);
	if (h)
		return h;
	const struct host *at = hosts_by_addr(hs, peer, len);
	if (at) {
		hosts_format_key(at->key, want);
		log_warn("%s: host %s's address presented key %s, not its "
			 "pinned %s: refused",
			 who, at->name, got, want);
	} else {
		log_warn("%s: key %s is not in the hosts file: refused", who,
			 got);
	}
	return NULL;
}
