/* hash.c — see hash.h. */
#include "hash.h"

#include <string.h>

void hash_init(struct hash_ctx *h)
{
	sha256_init(&h->sha);
}

void hash_update(struct hash_ctx *h, const void *buf, size_t len)
{
	sha256_update(&h->sha, len, buf);
}

void hash_final(struct hash_ctx *h, uint8_t out[HASH_SIZE])
{
	sha256_digest(&h->sha, HASH_SIZE, out);
}

void hash_buf(const void *buf, size_t len, uint8_t out[HASH_SIZE])
{
	struct hash_ctx h;
	hash_init(&h);
	hash_update(&h, buf, len);
	hash_final(&h, out);
}

int hash_fd(int fd, uint8_t out[HASH_SIZE], uint64_t *size)
{
	uint8_t buf[64 * 1024];
	struct hash_ctx h;
	uint64_t total = 0;

	hash_init(&h);
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		hash_update(&h, buf, (size_t)n);
		total += (uint64_t)n;
	}
	hash_final(&h, out);
	if (size)
		*size = total;
	return 0;
}

void hash_hex(const uint8_t digest[HASH_SIZE], char out[HASH_HEX_SIZE])
{
	hex_encode(digest, HASH_SIZE, out);
}

int hash_parse_hex(const char *hex, uint8_t out[HASH_SIZE])
{
	/* hex_decode reads 2*len digits and then checks the terminator, so a
	 * short string stops at its NUL (not a hex digit) before overrunning. */
	return hex_decode(hex, out, HASH_SIZE);
}
