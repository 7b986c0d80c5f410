/* hosts.h — the known-hosts file of host-to-host links (/etc/fakeos/hosts):
 * each peer host's name, UDP address and the SHA-256 of its public key,
 * pinned like SSH's known_hosts. A host is who holds the key; the address
 * says only where to send. The parser does no I/O but hosts_load's read. */
#ifndef FAKEOS_HOSTS_H
#define FAKEOS_HOSTS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "util.h"

#define HOSTS_FILE "/etc/fakeos/hosts"
#define HOST_NAME_MAX_LEN 63
#define HOST_KEY_SIZE 32 /* SHA-256 of the DER SubjectPublicKeyInfo */
#define HOSTS_MAX 1024
#define HOSTS_FILE_MAX (256 * 1024)

struct host {
	char name[HOST_NAME_MAX_LEN + 1];
	struct sockaddr_storage addr;
	socklen_t addrlen;
	uint8_t key[HOST_KEY_SIZE];
};

struct hosts {
	struct host *v;
	size_t n;
	char *path; /* the file hosts_load read, for messages; else NULL */
};

/* Parses the text of a hosts file: one host a line,
 *   NAME ADDRESS:PORT sha256:HEX
 * NAME is 1..63 of [a-z0-9.-] starting with a letter or digit; ADDRESS an
 * IPv4 dotted quad or [IPv6]; PORT 1..65535; HEX 64 hex digits. Blank
 * lines and lines starting with '#' are skipped. A name or key listed
 * twice is an error. On an error e says "line N: why" and out is empty. */
int hosts_parse(const char *text, size_t len, struct hosts *out,
		struct error *e);
/* Reads and parses path; e names the file. */
int hosts_load(const char *path, struct hosts *out, struct error *e);
void hosts_free(struct hosts *h);
/* The file h came from, to name it in a message: its path, or
 * HOSTS_FILE for a text parsed without one. */
const char *hosts_path(const struct hosts *h);

const struct host *hosts_by_name(const struct hosts *h, const char *name);
const struct host *hosts_by_key(const struct hosts *h,
				const uint8_t key[HOST_KEY_SIZE]);
/* The host listed at this address, if any: only to name an address in a
 * log line; a peer is known by its key, never by where it sends from. */
const struct host *hosts_by_addr(const struct hosts *h,
				 const struct sockaddr *sa, socklen_t len);

/* "10.0.0.1:4433" or "[fe80::1]:4433" to a socket address; -EINVAL if not
 * one. */
int hosts_parse_addr(const char *s, struct sockaddr_storage *out,
		     socklen_t *len);
/* The reverse, for messages: "10.0.0.1:4433". */
void hosts_format_addr(const struct sockaddr *sa, char *out, size_t size);
/* "sha256:" and 64 hex digits, NUL-terminated: 72 bytes. */
#define HOST_KEY_TEXT_SIZE 72
void hosts_format_key(const uint8_t key[HOST_KEY_SIZE],
		      char out[HOST_KEY_TEXT_SIZE]);

#endif
