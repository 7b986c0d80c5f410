/* fakeos_http.h — the wire format of fakeosd's HTTP gateway: how a
 * program GETs and PUTs a URL without a socket (docs/API.md 13, the
 * argument; docs/PROTOCOL.md 19, the bytes). There is no call here: a
 * request is an ordinary link, and the format is the interface (with
 * one inline packer of the request).
 *
 *   fk_link(FK_HTTP_NAME)    one link is one request
 *   send  the request        struct fk_http_request, then the URL and its
 *                            NUL: the datagram ends at the NUL
 *                            (fk_http_request_pack)
 *   send  the body (PUT)     exactly .length bytes, in datagrams of 1 to
 *                            FK_PAGE_SIZE bytes, cut anywhere
 *   receive the answer       STATUS, then BODY datagrams, then END; then
 *                            the gateway closes the link (FK_EV_CLOSED)
 *
 * Every answer datagram starts with its kind byte. STATUS holds the
 * origin's HTTP status (100..599) or the gateway's own refusal as a
 * negative errno with a reason; END says whether the body came whole (0)
 * or was cut (-errno, a reason). A refusal is STATUS -errno, then END.
 * Integers are in the host's byte order: both ends are on one machine. */
#ifndef FAKEOS_HTTP_H
#define FAKEOS_HTTP_H

#include <stdint.h>
#include <string.h>

#include <fakeos.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The gateway's name: a system name, which no program may serve. */
#define FK_HTTP_NAME "fakeos.http"
#define FK_HTTP_VERSION 1
#define FK_HTTP_MAGIC "FKHQ"

enum fk_http_method { FK_HTTP_GET = 1, FK_HTTP_PUT = 2 };

/* The link's first datagram: this header, then the URL (http:// or
 * https://) and one NUL, which is the datagram's last byte. */
struct fk_http_request {
	char magic[4]; /* FK_HTTP_MAGIC, no NUL */
	uint8_t version; /* FK_HTTP_VERSION */
	uint8_t method; /* enum fk_http_method */
	uint16_t reserved; /* 0 */
	uint64_t length; /* PUT: the body's bytes, which follow; GET: 0 */
};
/* The longest URL, its NUL not counted: the rest of one datagram. */
#define FK_HTTP_URL_MAX (FK_PAGE_SIZE - (int)sizeof(struct fk_http_request) - 1)

/* Writes the request datagram into buf (FK_PAGE_SIZE bytes) and returns
 * its length, for fk_send; 0 if url is longer than FK_HTTP_URL_MAX. The
 * one helper here: every client must lay these bytes out exactly so. */
static inline size_t fk_http_request_pack(void *buf, int method,
					  uint64_t length, const char *url)
{
	struct fk_http_request h;
	size_t n = strlen(url);
	if (n > (size_t)FK_HTTP_URL_MAX)
		return 0;
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, FK_HTTP_MAGIC, 4);
	h.version = FK_HTTP_VERSION;
	h.method = (uint8_t)method;
	h.length = length;
	memcpy(buf, &h, sizeof(h));
	memcpy((char *)buf + sizeof(h), url, n + 1);
	return sizeof(h) + n + 1;
}

/* The kind byte that starts every datagram of the answer. */
enum fk_http_kind {
	FK_HTTP_STATUS = 'S', /* struct fk_http_status, then a reason */
	FK_HTTP_BODY = 'B', /* the kind, then 1..FK_HTTP_CHUNK body bytes */
	FK_HTTP_END = 'E', /* struct fk_http_end, then a reason */
};
#define FK_HTTP_CHUNK (FK_PAGE_SIZE - 1)

/* The first datagram of the answer, then a NUL-terminated reason (""
 * for an origin's status; why, for the gateway's -errno). */
struct fk_http_status {
	uint8_t kind; /* FK_HTTP_STATUS */
	uint8_t version; /* FK_HTTP_VERSION */
	uint16_t reserved; /* 0 */
	int32_t status; /* 100..599 from the origin, or -errno */
	int64_t length; /* the body's bytes if the origin said, else -1 */
};

/* The last datagram, then a NUL-terminated reason ("" when whole). */
struct fk_http_end {
	uint8_t kind; /* FK_HTTP_END */
	uint8_t reserved[3]; /* 0 */
	int32_t status; /* 0: the body is whole; else -errno: it was cut */
	uint64_t bytes; /* body bytes the answer carried */
};

#ifdef __cplusplus
}
#endif

#endif
