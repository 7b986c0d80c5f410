/* httpgw_wire.c — see httpgw_wire.h. */
#include "httpgw_wire.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "url.h"

_Static_assert(sizeof(struct fk_http_request) == 16, "the wire's layout");
_Static_assert(sizeof(struct fk_http_status) == 16, "the wire's layout");
_Static_assert(sizeof(struct fk_http_end) == 16, "the wire's layout");
_Static_assert(FK_HTTP_URL_MAX < URL_MAX, "url_parse takes every URL");

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

/* Whether the path's bytes could name, to a server, another path than the
 * one the prefix check saw: a dot segment (a server resolves it), a
 * backslash (some read it as '/'), one of those or '/' percent-encoded, a
 * NUL, or a '%' that is no escape (servers differ on it). */
static const char *path_ambiguity(const char *path, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (path[i] == '\\')
			return "a backslash";
		if (path[i] == '%') {
			if (i + 2 >= len || !is_hex(path[i + 1]) ||
			    !is_hex(path[i + 2]))
				return "a '%' without two hex digits";
			char a = path[i + 1], b = (char)tolower(path[i + 2]);
			if ((a == '2' && (b == 'e' || b == 'f')) ||
			    (a == '5' && b == 'c') || (a == '0' && b == '0'))
				return "a percent-encoded '.', '/', '\\' or NUL";
		}
		if (path[i] == '/') {
			const char *s = path + i + 1;
			size_t n = strcspn(s, "/");
			if (n > len - i - 1)
				n = len - i - 1;
			if ((n == 1 && s[0] == '.') ||
			    (n == 2 && s[0] == '.' && s[1] == '.'))
				return "a '.' or '..' segment";
		}
	}
	return NULL;
}

int httpgw_normalize(const char *in, char **out, struct error *e)
{
	struct url u;
	*out = NULL;
	if (strchr(in, '#'))
		return error_set(e, EINVAL, "a fragment ('#') in the URL");
	int r = url_parse(in, &u, e);
	if (r < 0)
		return r;
	if (u.scheme == URL_FILE) {
		url_free(&u);
		return error_set(e, EPROTONOSUPPORT,
				 "only http:// and https:// URLs");
	}
	bool https = u.scheme == URL_HTTPS;
	const char *auth = u.base + (https ? 8 : 7);
	size_t alen = strcspn(auth, "/?");
	/* The host ends at the port's ':' (after an IPv6 literal's ']'). */
	size_t hlen = auth[0] == '[' ? (size_t)(strchr(auth, ']') - auth) + 1
				     : strcspn(auth, ":/?");
	if (hlen > alen)
		hlen = alen;
	unsigned long port = 0;
	if (hlen < alen) /* ":PORT", digits that url_parse checked */
		port = strtoul(auth + hlen + 1, NULL, 10);
	if (port == (https ? 443UL : 80UL))
		port = 0;
	const char *rest = auth + alen;
	size_t plen = strcspn(rest, "?");
	const char *why = path_ambiguity(rest, plen);
	if (why) {
		url_free(&u);
		return error_set(e, EINVAL, "%s in the URL's path: a server "
				 "could read it as another path than the one "
				 "the allow-list was checked on", why);
	}
	char portbuf[24] = "";
	if (port)
		snprintf(portbuf, sizeof(portbuf), ":%lu", port);
	char *s = xasprintf("%s://%.*s%s%s%s", https ? "https" : "http",
			    (int)hlen, auth, portbuf,
			    rest[0] == '/' ? "" : "/", rest);
	for (char *c = s + (https ? 8 : 7); c < s + (https ? 8 : 7) + hlen; c++)
		*c = (char)tolower((unsigned char)*c);
	url_free(&u);
	*out = s;
	return 0;
}

const char *httpgw_allowed(char *const *prefixes, unsigned n,
			   const char *url)
{
	struct url u;
	struct error e;
	if (url_parse(url, &u, &e) < 0)
		return NULL;
	const char *hit = NULL;
	for (unsigned i = 0; i < n && !hit; i++) {
		char *p;
		if (httpgw_normalize(prefixes[i], &p, &e) < 0)
			continue; /* a prefix it cannot spell holds nothing */
		if (url_within(p, &u))
			hit = prefixes[i];
		free(p);
	}
	url_free(&u);
	return hit;
}

int httpgw_parse_request(const void *buf, size_t len, struct httpgw_req *r,
			 struct error *e)
{
	struct fk_http_request h;
	memset(r, 0, sizeof(*r));
	if (len < sizeof(h) + 2)
		return error_set(e, EPROTO, "a request of %zu bytes: shorter "
				 "than its header and a URL", len);
	memcpy(&h, buf, sizeof(h));
	if (memcmp(h.magic, FK_HTTP_MAGIC, 4) != 0)
		return error_set(e, EPROTO, "not a request: no \"%s\" at its "
				 "start", FK_HTTP_MAGIC);
	if (h.version != FK_HTTP_VERSION)
		return error_set(e, EPROTONOSUPPORT, "request version %u: the "
				 "gateway speaks %d", h.version,
				 FK_HTTP_VERSION);
	if (h.reserved != 0)
		return error_set(e, EPROTO, "the request's reserved field is "
				 "not 0");
	if (h.method != FK_HTTP_GET && h.method != FK_HTTP_PUT)
		return error_set(e, EOPNOTSUPP, "method %u: only GET (%d) and "
				 "PUT (%d)", h.method, FK_HTTP_GET,
				 FK_HTTP_PUT);
	if (h.method == FK_HTTP_GET && h.length != 0)
		return error_set(e, EINVAL, "a GET with a body length");
	const char *url = (const char *)buf + sizeof(h);
	size_t ulen = len - sizeof(h);
	if (url[ulen - 1] != '\0' || memchr(url, '\0', ulen) != url + ulen - 1)
		return error_set(e, EPROTO, "the URL does not end at the "
				 "datagram's last byte, a NUL");
	r->method = (enum fk_http_method)h.method;
	r->length = h.length;
	return httpgw_normalize(url, &r->url, e);
}

static size_t pack_reason(uint8_t *buf, size_t off, const char *reason)
{
	size_t n = reason ? strnlen(reason, FK_PAGE_SIZE - off - 1) : 0;
	if (n)
		memcpy(buf + off, reason, n);
	buf[off + n] = '\0';
	return off + n + 1;
}

size_t httpgw_pack_status(uint8_t *buf, int status, int64_t length,
			  const char *reason)
{
	struct fk_http_status m = { .kind = FK_HTTP_STATUS,
				    .version = FK_HTTP_VERSION,
				    .status = status, .length = length };
	memcpy(buf, &m, sizeof(m));
	return pack_reason(buf, sizeof(m), reason);
}

size_t httpgw_pack_end(uint8_t *buf, int status, uint64_t bytes,
		       const char *reason)
{
	struct fk_http_end m = { .kind = FK_HTTP_END, .status = status,
				 .bytes = bytes };
	memcpy(buf, &m, sizeof(m));
	return pack_reason(buf, sizeof(m), reason);
}
