/* url.c — see url.h. */
#include "url.h"

#include <ctype.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char url_schemes_hint[] = "use http://, https:// or file://";

void url_sanitize(const char *s, size_t len, char *out, size_t cap)
{
	size_t o = 0;

	if (cap == 0)
		return;
	for (size_t i = 0; i < len; i++) {
		if (o + 1 >= cap) {
			/* Too long: end with "..." where it fits. */
			if (cap > 4) {
				o = cap - 4;
				memcpy(out + o, "...", 3);
				o += 3;
			}
			break;
		}
		unsigned char c = (unsigned char)s[i];
		/* NOLINTNEXTLINE(bugprone-narrowing-conversions): a char or '?' */
		out[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	out[o] = '\0';
}

/* The scheme's name, if s starts with it and a ':', case-insensitively. */
static bool url_has_scheme(const char *s, const char *name)
{
	size_t n = strlen(name);
	return strncasecmp(s, name, n) == 0 && s[n] == ':';
}

/* Bytes a URL may never contain, anywhere: they are either invalid in URLs
 * or a way to smuggle something past a later consumer (header injection
 * through CR/LF, terminal escapes in messages, spoofed look-alikes). */
static int url_check_bytes(const char *s, size_t len, struct error *e)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == ' ')
			return error_set(e, EINVAL,
					 "space in URL at byte %zu "
					 "(percent-encode it as %%20)", i);
		if (c < 0x20 || c == 0x7f)
			return error_set(e, EINVAL,
					 "control character 0x%02x in URL at "
					 "byte %zu", c, i);
		if (c >= 0x80)
			return error_set(e, EINVAL,
					 "non-ASCII byte 0x%02x in URL at byte "
					 "%zu (percent-encode it)", c, i);
	}
	return 0;
}

static int url_parse_fragment(const char *frag, size_t len, struct url *u,
			      struct error *e)
{
	static const char prefix[] = "sha256=";
	const size_t plen = sizeof(prefix) - 1;
	char shown[80];

	if (len < plen || strncmp(frag, prefix, plen) != 0) {
		url_sanitize(frag, len, shown, sizeof(shown));
		return error_set(e, EINVAL,
				 "unsupported fragment '#%s': the only "
				 "fragment is #sha256= and 64 hex digits",
				 shown);
	}
	if (len - plen != 2 * HASH_SIZE)
		return error_set(e, EINVAL,
				 "#sha256= needs exactly 64 hex digits, "
				 "got %zu characters", len - plen);
	char hex[2 * HASH_SIZE + 1];
	memcpy(hex, frag + plen, 2 * HASH_SIZE);
	hex[2 * HASH_SIZE] = '\0';
	if (hash_parse_hex(hex, u->pin) < 0)
		return error_set(e, EINVAL,
				 "#sha256= needs exactly 64 hex digits, got a "
				 "non-hex character");
	u->pinned = true;
	return 0;
}

static bool url_host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	       c == '~' || c == '%';
}

/* Checks "host[:port]" of an http(s) URL. */
static int url_check_authority(const char *a, size_t len, struct error *e)
{
	size_t i = 0;

	if (len == 0)
		return error_set(e, EINVAL, "no host in URL");
	if (memchr(a, '@', len))
		return error_set(e, EINVAL,
				 "credentials in URLs (user@host) are not "
				 "supported: they would be stored in the cache "
				 "and shown in messages");
	if (a[0] == '[') {
		/* An IPv6 literal. */
		for (i = 1; i < len && a[i] != ']'; i++)
			if (!strchr("0123456789abcdefABCDEF:.", a[i]))
				return error_set(e, EINVAL,
						 "invalid character '%c' in "
						 "IPv6 address", a[i]);
		if (i == len || i == 1)
			return error_set(e, EINVAL, "malformed IPv6 address "
						    "in URL");
		i++;
	} else {
		for (; i < len && a[i] != ':'; i++)
			if (!url_host_char(a[i]))
				return error_set(e, EINVAL,
						 "invalid character '%c' in "
						 "host", a[i]);
		if (i == 0)
			return error_set(e, EINVAL, "no host in URL");
	}
	if (i == len)
		return 0;
	if (a[i] != ':')
		return error_set(e, EINVAL, "invalid character '%c' after "
					    "host", a[i]);
	i++;
	if (i == len)
		return error_set(e, EINVAL, "empty port in URL");
	unsigned long port = 0;
	for (; i < len; i++) {
		if (a[i] < '0' || a[i] > '9')
			return error_set(e, EINVAL, "invalid port in URL");
		port = port * 10 + (unsigned long)(a[i] - '0');
		if (port > 65535)
			return error_set(e, EINVAL, "port out of range in "
						    "URL");
	}
	if (port == 0)
		return error_set(e, EINVAL, "port 0 in URL");
	return 0;
}

/* Percent-decodes a file URL's path into a new string. */
static int url_decode_path(const char *p, size_t len, char **out,
			   struct error *e)
{
	cleanup_free char *d = xmalloc(len + 1);
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '?')
			return error_set(e, EINVAL,
					 "query ('?') in a file URL "
					 "(percent-encode it as %%3F)");
		if (c == '%') {
			uint8_t b;
			if (i + 2 >= len ||
			    hex_decode((char[3]){ p[i + 1], p[i + 2], '\0' },
				       &b, 1) < 0)
				return error_set(e, EINVAL,
						 "bad percent-encoding in "
						 "file URL path at byte %zu",
						 i);
			c = b;
			i += 2;
			if (c == 0)
				return error_set(e, EINVAL,
						 "NUL (%%00) in file URL "
						 "path");
			if (c < 0x20 || c == 0x7f)
				return error_set(e, EINVAL,
						 "control character 0x%02x in "
						 "file URL path", c);
		}
		d[o++] = (char)c;
	}
	d[o] = '\0';
	if (o >= PATH_MAX)
		return error_set(e, EINVAL, "file URL path too long (%zu "
					    "bytes)", o);
	*out = steal_pointer(&d);
	return 0;
}

/* Parses what follows "file://". */
static int url_parse_file(const char *rest, size_t len, struct url *u,
			  struct error *e)
{
	static const char localhost[] = "localhost";
	const size_t lhlen = sizeof(localhost) - 1;
	const char *path = rest;
	size_t plen = len;

	if (len >= lhlen && strncasecmp(rest, localhost, lhlen) == 0 &&
	    (len == lhlen || rest[lhlen] == '/')) {
		path += lhlen;
		plen -= lhlen;
	} else if (len > 0 && rest[0] != '/') {
		char host[64];
		const char *slash = memchr(rest, '/', len);
		url_sanitize(rest, slash ? (size_t)(slash - rest) : len, host,
			     sizeof(host));
		return error_set(e, EINVAL,
				 "file URL with host '%s': only file:///path "
				 "and file://localhost/path are supported",
				 host);
	}
	if (plen == 0)
		return error_set(e, EINVAL,
				 "file URL without a path: use "
				 "file:///absolute/path");
	return url_decode_path(path, plen, &u->path, e);
}

int url_parse(const char *s, struct url *u, struct error *e)
{
	memset(u, 0, sizeof(*u));

	size_t len = strnlen(s, URL_MAX + 1);
	if (len > URL_MAX)
		return error_set(e, EINVAL, "URL too long (more than %d bytes)",
				 URL_MAX);
	if (len == 0)
		return error_set(e, EINVAL, "empty URL");
	int r = url_check_bytes(s, len, e);
	if (r < 0)
		return r;

	const char *hash = memchr(s, '#', len);
	size_t blen = hash ? (size_t)(hash - s) : len;
	if (hash) {
		r = url_parse_fragment(hash + 1, len - blen - 1, u, e);
		if (r < 0)
			return r;
	}

	size_t slen;
	if (url_has_scheme(s, "http")) {
		u->scheme = URL_HTTP;
		slen = 4;
	} else if (url_has_scheme(s, "https")) {
		u->scheme = URL_HTTPS;
		slen = 5;
	} else if (url_has_scheme(s, "file")) {
		u->scheme = URL_FILE;
		slen = 4;
	} else {
		const char *colon = memchr(s, ':', blen);
		if (!colon)
			return error_set(e, EINVAL, "not a URL (no scheme): %s",
					 url_schemes_hint);
		char shown[32];
		url_sanitize(s, (size_t)(colon - s), shown, sizeof(shown));
		return error_set(e, EINVAL, "unsupported scheme '%s': %s",
				 shown, url_schemes_hint);
	}
	if (blen < slen + 3 || strncmp(s + slen, "://", 3) != 0)
		return error_set(e, EINVAL, "expected '//' after '%.*s:'",
				 (int)slen, s);

	const char *rest = s + slen + 3;
	size_t rlen = blen - slen - 3;
	if (u->scheme == URL_FILE) {
		r = url_parse_file(rest, rlen, u, e);
	} else {
		size_t alen = strcspn(rest, "/?#");
		if (alen > rlen)
			alen = rlen;
		r = url_check_authority(rest, alen, e);
	}
	if (r < 0) {
		url_free(u);
		return r;
	}

	/* The scheme in lower case, so HTTP://h/p and http://h/p share one
	 * cache entry; the rest is kept byte for byte. */
	static const char *const names[] = {
		[URL_HTTP] = "http", [URL_HTTPS] = "https", [URL_FILE] = "file"
	};
	u->base = xasprintf("%s://%.*s", names[u->scheme], (int)rlen, rest);
	return 0;
}

void url_free(struct url *u)
{
	free(u->base);
	free(u->path);
	u->base = NULL;
	u->path = NULL;
}

int url_check_redirect(const char *from, const char *to, struct error *e)
{
	return url_check_redirect_within(from, to, NULL, e);
}

int url_check_redirect_within(const char *from, const char *to,
			      const char *within, struct error *e)
{
	char shown[128];
	struct url u;
	struct error sub;

	/* A fragment in a Location means nothing to a fetch; it is dropped
	 * here so that it can neither pin nor fail the target. */
	size_t tlen = strcspn(to, "#");
	url_sanitize(to, tlen, shown, sizeof(shown));
	if (!url_has_scheme(to, "http") && !url_has_scheme(to, "https"))
		return error_set(e, EPERM,
				 "redirect to %s refused: only http and https",
				 shown);
	if (tlen > URL_MAX)
		return error_set(e, EINVAL, "redirect to a URL longer than %d "
					    "bytes refused", URL_MAX);
	cleanup_free char *bare = xmalloc(tlen + 1);
	memcpy(bare, to, tlen);
	bare[tlen] = '\0';
	if (url_parse(bare, &u, &sub) < 0)
		return error_set(e, EINVAL, "redirect to %s refused: %s",
				 shown, sub.msg);
	bool inside = !within || url_within(within, &u);
	url_free(&u);
	if (!inside) {
		char where[128];
		url_sanitize(within, strlen(within), where, sizeof(where));
		return error_set(e, EPERM, "redirect to %s refused: outside %s "
					   "(where this program may spawn "
					   "from)",
				 shown, where);
	}
	if (url_has_scheme(from, "https") && url_has_scheme(to, "http"))
		return error_set(e, EPERM, "redirect from https to http "
					   "refused");
	return 0;
}

static bool url_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

void url_short_name(const struct url *u, char *out, size_t cap)
{
	const char *s, *end;
	size_t o = 0;

	if (cap == 0)
		return;
	if (u->scheme == URL_FILE && u->path) {
		s = u->path;
		end = s + strlen(s);
	} else {
		/* The base is scheme://authority/path?query: stop at '?'. */
		s = strstr(u->base, "://");
		s = s ? s + 3 : u->base;
		end = s + strcspn(s, "?");
	}
	/* The last non-empty segment between s and end. */
	while (end > s && end[-1] == '/')
		end--;
	const char *start = end;
	while (start > s && start[-1] != '/')
		start--;
	for (const char *p = start; p < end && o + 1 < cap; p++)
		if (url_name_char(*p))
			out[o++] = *p;
	if (o == 0) {
		snprintf(out, cap, "program");
		return;
	}
	out[o] = '\0';
}

/* ---- confinement of spawns ------------------------------------------- */

char *url_home(const struct url *u)
{
	if (u->scheme == URL_FILE) {
		const char *slash = strrchr(u->path, '/');
		size_t n = slash ? (size_t)(slash - u->path) + 1 : 1;
		return xasprintf("file://%.*s", (int)n, u->path);
	}
	const char *auth = strstr(u->base, "://") + 3;
	size_t n = strcspn(auth, "/");
	char *home = xasprintf("%.*s/", (int)(auth - u->base + n), u->base);
	for (char *c = home; *c && c < home + (auth - u->base) + n; c++)
		*c = (char)tolower((unsigned char)*c);
	return home;
}

static bool url_has_dot_segment(const char *path)
{
	for (const char *seg = path; seg; seg = strchr(seg + 1, '/')) {
		const char *s = seg[0] == '/' ? seg + 1 : seg;
		size_t len = strcspn(s, "/");
		if ((len == 1 && s[0] == '.') ||
		    (len == 2 && s[0] == '.' && s[1] == '.'))
			return true;
	}
	return false;
}

const char *url_file_prefix_dir(const char *prefix)
{
	if (strncasecmp(prefix, "file://", 7) != 0)
		return NULL;
	const char *dir = prefix + 7;
	if (strncasecmp(dir, "localhost/", 10) == 0)
		dir += 9;
	return dir[0] == '/' ? dir : NULL;
}

bool url_within(const char *prefix, const struct url *u)
{
	const char *sep = strstr(prefix, "://");
	if (!sep)
		return false;
	size_t slen = (size_t)(sep - prefix);
	if (u->scheme == URL_FILE) {
		const char *dir = url_file_prefix_dir(prefix);
		if (!dir || url_has_dot_segment(u->path))
			return false;
		size_t dlen = strlen(dir);
		while (dlen > 1 && dir[dlen - 1] == '/')
			dlen--;
		/* "/" alone is every path; otherwise the directory and a
		 * slash after it. */
		return dlen == 1 || (strncmp(u->path, dir, dlen) == 0 &&
				     u->path[dlen] == '/');
	}
	const char *ubase = u->base;
	const char *usep = strstr(ubase, "://");
	size_t ulen = (size_t)(usep - ubase);
	if (slen != ulen || strncasecmp(prefix, ubase, slen) != 0)
		return false;
	const char *pa = sep + 3, *ua = usep + 3;
	size_t palen = strcspn(pa, "/"), ualen = strcspn(ua, "/");
	if (palen != ualen || strncasecmp(pa, ua, palen) != 0)
		return false;
	const char *ppath = pa + palen, *upath = ua + ualen;
	size_t plen = strlen(ppath);
	while (plen > 0 && ppath[plen - 1] == '/')
		plen--;
	if (url_has_dot_segment(upath[0] ? upath : "/"))
		return false;
	return strncmp(upath, ppath, plen) == 0 &&
	       (upath[plen] == '/' || upath[plen] == '\0');
}
