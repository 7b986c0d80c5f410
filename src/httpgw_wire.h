/* httpgw_wire.h — the bytes of fakeosd's HTTP gateway (httpgw.h), apart
 * from any socket so that they can be unit-tested and fuzzed: a
 * program's request (include/fakeos_http.h), the one spelling of a URL
 * the allow-list is checked on, the allow-list's rule, and the answer's
 * datagrams. Pure: no I/O, no globals. */
#ifndef FAKEOS_HTTPGW_WIRE_H
#define FAKEOS_HTTPGW_WIRE_H

#include <fakeos_http.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct httpgw_req {
	enum fk_http_method method;
	uint64_t length; /* PUT's body */
	char *url; /* normalized (httpgw_normalize) */
};

/* Checks a request datagram and normalizes its URL into r->url (free it).
 * -EPROTO: not a request (size, magic, reserved, no NUL at its end);
 * -EPROTONOSUPPORT: another version; -EOPNOTSUPP: a method other than GET
 * and PUT; -EINVAL: a GET with a length, or a URL httpgw_normalize
 * refuses. e says which, for the program's STATUS. */
int httpgw_parse_request(const void *buf, size_t len, struct httpgw_req *r,
			 struct error *e);

/* The spelling of an http(s) URL that the allow-list is checked on and
 * that is requested: scheme and host in lower case, the scheme's default
 * port dropped, "/" for an empty path. Refused (-EINVAL) besides what
 * url_parse refuses: a fragment, and a path that a server could read as
 * another path than the one checked ("." or ".." segments, a backslash,
 * %2e, %2f, %5c or %00), since the check is on the bytes; another scheme
 * is -EPROTONOSUPPORT. *out is a new string. */
int httpgw_normalize(const char *in, char **out, struct error *e);

/* The prefix of prefixes[0..n) that allows url (normalized), or NULL.
 * A prefix is normalized too, and holds the URLs of its scheme, host and
 * port whose path starts with its path at a segment's boundary
 * ("http://h/pub" holds /pub and /pub/x, not /public): url_within's rule. */
const char *httpgw_allowed(char *const *prefixes, unsigned n,
			   const char *url);

/* The answer's datagrams, into buf (FK_PAGE_SIZE bytes): its length. The
 * reason is cut to fit. */
size_t httpgw_pack_status(uint8_t *buf, int status, int64_t length,
			  const char *reason);
size_t httpgw_pack_end(uint8_t *buf, int status, uint64_t bytes,
		       const char *reason);

#endif
