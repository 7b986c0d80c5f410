/* hostkey.h — this host's key and certificate for host-to-host links, and
 * the peer's key as its certificate shows it: the GnuTLS half of
 * quic.c, kept apart from ngtcp2 (whose 1.0 API will need a port) and
 * used by fakeosd to make its key at first start. A host is its Ed25519
 * key; hosts files (hosts.h) pin the SHA-256 of its DER
 * SubjectPublicKeyInfo. */
#ifndef FAKEOS_HOSTKEY_H
#define FAKEOS_HOSTKEY_H

#include <stddef.h>
#include <stdint.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "hosts.h"
#include "util.h"

#define HOSTKEY_INSTANCE_SIZE 16 /* the certificate serial: a run's nonce */

struct hostkey {
	gnutls_certificate_credentials_t cred;
	gnutls_x509_privkey_t key;
	gnutls_x509_crt_t crt;
	/* Fresh at each hostkey_open: a peer tells a restarted host from the
	 * run it knew. */
	uint8_t instance[HOSTKEY_INSTANCE_SIZE];
};

/* Writes a new Ed25519 private key to path (PKCS#8 PEM, mode 0600, never
 * over an existing file) and its fingerprint to key. */
int hostkey_generate(const char *path, uint8_t key[HOST_KEY_SIZE],
		     struct error *e);
/* The fingerprint of the key at path. The file must be a regular file
 * that only its owner may read (like ssh's keys). */
int hostkey_fingerprint(const char *path, uint8_t key[HOST_KEY_SIZE],
			struct error *e);
/* Loads the key at path, makes this run's self-signed certificate with a
 * fresh instance nonce, and credentials that present it and check the
 * peer's with verify (GnuTLS's verify function: the pinning). hk is
 * zeroed first; hostkey_close frees it, also after a failure. */
int hostkey_open(struct hostkey *hk, const char *path,
		 gnutls_certificate_verify_function *verify, struct error *e);
void hostkey_close(struct hostkey *hk);
/* The fingerprint of the key in the peer's certificate during s's
 * handshake, and its serial (the peer's instance nonce: up to *ilen bytes
 * into instance, *ilen set to its length). -EINVAL without a usable
 * certificate. */
int hostkey_peer(gnutls_session_t s, uint8_t fp[HOST_KEY_SIZE],
		 uint8_t *instance, size_t *ilen);
/* The pinning: who presented the key fp. A client that dialled a host
 * gets that host if fp is its pinned key; a server (dialled NULL) gets the
 * host that pins fp. NULL when refused, logged naming who (and the host
 * listed at peer's address, if any: a wrong key from a known address). */
const struct host *hostkey_pinned(const struct hosts *hs,
				  const struct host *dialled,
				  const uint8_t fp[HOST_KEY_SIZE],
				  const struct sockaddr *peer, socklen_t len,
				  const char *who);
/* Reads a small secret file whole (out->data from xmalloc, one byte
 * spare): a regular file of at most 16 KiB, not a link, that nobody but
 * its owner may read or write (like ssh's keys): else -EPERM or -EINVAL,
 * e naming path. The host key's reader, and netbcast.c's for the
 * broadcast secret. */
int hostkey_read_private(const char *path, gnutls_datum_t *out,
			 struct error *e);
/* Random bytes from GnuTLS's generator (aborts if it has failed its
 * self-tests: nothing here can be trusted then). */
void hostkey_random(void *p, size_t n);

#endif
