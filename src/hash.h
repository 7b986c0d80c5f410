/* hash.h — SHA-256, the one hash fakeOS uses: it names cached objects,
 * pins URLs (#sha256=) and checks sealed program bytes. Backed by nettle,
 * not OpenSSL, because loading libcrypto costs about 2 ms per launch. */
#ifndef FAKEOS_HASH_H
#define FAKEOS_HASH_H

#include <nettle/sha2.h>

#include "util.h"

#define HASH_SIZE 32 /* bytes in a SHA-256 digest */
#define HASH_HEX_SIZE 65 /* 64 hex digits and a NUL */

struct hash_ctx {
	struct sha256_ctx sha;
};

/* Streaming interface: init, any number of updates, final. */
void hash_init(struct hash_ctx *h);
void hash_update(struct hash_ctx *h, const void *buf, size_t len);
void hash_final(struct hash_ctx *h, uint8_t out[HASH_SIZE]);

/* SHA-256 of a buffer in one call. */
void hash_buf(const void *buf, size_t len, uint8_t out[HASH_SIZE]);

/* SHA-256 of everything from fd's current offset to end of file; *size (if
 * not NULL) receives the number of bytes hashed. Returns 0 or -errno. */
int hash_fd(int fd, uint8_t out[HASH_SIZE], uint64_t *size);

/* Lower-case hex of a digest into out (HASH_HEX_SIZE bytes). */
void hash_hex(const uint8_t digest[HASH_SIZE], char out[HASH_HEX_SIZE]);

/* Parses exactly 64 hex digits (either case) and nothing more.
 * Returns 0 or -EINVAL. */
int hash_parse_hex(const char *hex, uint8_t out[HASH_SIZE]);

#endif
