/* cache_entry.c — see cache_entry.h. */
#include "cache_entry.h"

#include <stdio.h>
#include <string.h>

static const char cache_entry_magic[] = "fakeos-cache-entry 1";

bool cache_field_ok(const char *s)
{
	size_t n = strnlen(s, CACHE_FIELD_MAX + 1);
	if (n == 0 || n > CACHE_FIELD_MAX)
		return false;
	if (s[0] == ' ' || s[n - 1] == ' ')
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

/* A decimal number in canonical form (no sign, no leading zero) that fits
 * in an int64_t. */
static int cache_parse_number(const char *s, size_t len, int64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 19 || (len > 1 && s[0] == '0'))
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > INT64_MAX)
		return -EINVAL;
	*out = (int64_t)v;
	return 0;
}

enum cache_key {
	CACHE_KEY_URL,
	CACHE_KEY_OBJECT,
	CACHE_KEY_SIZE,
	CACHE_KEY_FETCHED,
	CACHE_KEY_EXPIRES,
	CACHE_KEY_ETAG,
	CACHE_KEY_LAST_MODIFIED,
	CACHE_KEY_COUNT,
};

static const char *const cache_keys[CACHE_KEY_COUNT] = {
	[CACHE_KEY_URL] = "url",
	[CACHE_KEY_OBJECT] = "object",
	[CACHE_KEY_SIZE] = "size",
	[CACHE_KEY_FETCHED] = "fetched",
	[CACHE_KEY_EXPIRES] = "expires",
	[CACHE_KEY_ETAG] = "etag",
	[CACHE_KEY_LAST_MODIFIED] = "last-modified",
};

static int cache_entry_value(struct cache_entry *en, enum cache_key k,
			     const char *v, size_t vlen, unsigned line,
			     struct error *e)
{
	char *dst;
	size_t cap;
	int64_t n;

	switch (k) {
	case CACHE_KEY_URL: {
		struct url u;
		struct error sub;
		if (vlen > URL_MAX)
			return error_set(e, EBADMSG, "line %u: URL too long",
					 line);
		memcpy(en->url, v, vlen);
		en->url[vlen] = '\0';
		if (url_parse(en->url, &u, &sub) < 0)
			return error_set(e, EBADMSG, "line %u: bad URL: %s",
					 line, sub.msg);
		bool ok = u.scheme != URL_FILE && !u.pinned &&
			  strcmp(u.base, en->url) == 0;
		url_free(&u);
		if (!ok)
			return error_set(e, EBADMSG, "line %u: not an http(s) "
						     "URL without fragment",
					 line);
		return 0;
	}
	case CACHE_KEY_OBJECT:
		/* Lower case only: one spelling per digest. */
		if (vlen != 2 * HASH_SIZE || strspn(v, "0123456789abcdef") <
						     2 * HASH_SIZE)
			return error_set(e, EBADMSG, "line %u: object is not "
						     "64 lower-case hex digits",
					 line);
		for (size_t i = 0; i < HASH_SIZE; i++) {
			char pair[3] = { v[2 * i], v[2 * i + 1], '\0' };
			if (hex_decode(pair, &en->object[i], 1) < 0)
				return error_set(e, EBADMSG, "line %u: bad "
							     "object", line);
		}
		return 0;
	case CACHE_KEY_SIZE:
	case CACHE_KEY_FETCHED:
	case CACHE_KEY_EXPIRES:
		if (cache_parse_number(v, vlen, &n) < 0)
			return error_set(e, EBADMSG, "line %u: %s is not a "
						     "decimal number", line,
					 cache_keys[k]);
		if (k == CACHE_KEY_SIZE)
			en->size = (uint64_t)n;
		else if (k == CACHE_KEY_FETCHED)
			en->fetched = n;
		else
			en->expires = n;
		return 0;
	case CACHE_KEY_ETAG:
	case CACHE_KEY_LAST_MODIFIED:
		dst = k == CACHE_KEY_ETAG ? en->etag : en->last_modified;
		cap = k == CACHE_KEY_ETAG ? sizeof(en->etag) :
					    sizeof(en->last_modified);
		if (vlen >= cap)
			return error_set(e, EBADMSG, "line %u: %s too long",
					 line, cache_keys[k]);
		memcpy(dst, v, vlen);
		dst[vlen] = '\0';
		return 0;
	case CACHE_KEY_COUNT:
		break;
	}
	return error_set(e, EBADMSG, "line %u: unknown key", line);
}

int cache_entry_parse(const char *buf, size_t len, struct cache_entry *en,
		      struct error *e)
{
	bool seen[CACHE_KEY_COUNT] = { false };
	int last = -1; /* the key of the previous line */
	const char *p = buf, *end = buf + len;
	unsigned line = 0;
	bool ended = false;

	memset(en, 0, sizeof(*en));
	if (len > CACHE_ENTRY_MAX)
		return error_set(e, EBADMSG, "entry too large (%zu bytes)",
				 len);
	if (len == 0)
		return error_set(e, EBADMSG, "empty entry");
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		line++;
		if (!nl)
			return error_set(e, EBADMSG, "line %u: no newline at "
						     "the end", line);
		size_t n = (size_t)(nl - p);
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)p[i] < 0x20 ||
			    (unsigned char)p[i] >= 0x7f)
				return error_set(e, EBADMSG, "line %u: control "
							     "or non-ASCII "
							     "byte", line);
		if (ended)
			return error_set(e, EBADMSG, "line %u: after 'end'",
					 line);
		if (n == 3 && memcmp(p, "end", 3) == 0 && line > 1) {
			ended = true;
			p = nl + 1;
			continue;
		}
		if (line == 1) {
			if (n != sizeof(cache_entry_magic) - 1 ||
			    memcmp(p, cache_entry_magic, n) != 0)
				return error_set(e, EBADMSG, "line 1: not a "
							     "version 1 cache "
							     "entry");
			p = nl + 1;
			continue;
		}
		const char *sp = memchr(p, ' ', n);
		if (!sp)
			return error_set(e, EBADMSG, "line %u: expected 'key "
						     "value'", line);
		size_t klen = (size_t)(sp - p);
		const char *v = sp + 1;
		size_t vlen = n - klen - 1;
		if (vlen == 0 || v[0] == ' ' || v[vlen - 1] == ' ')
			return error_set(e, EBADMSG, "line %u: empty value or "
						     "stray space", line);
		enum cache_key k = CACHE_KEY_COUNT;
		for (int i = 0; i < CACHE_KEY_COUNT; i++)
			if (strlen(cache_keys[i]) == klen &&
			    memcmp(cache_keys[i], p, klen) == 0)
				k = (enum cache_key)i;
		if (k == CACHE_KEY_COUNT)
			return error_set(e, EBADMSG, "line %u: unknown key",
					 line);
		if (seen[k])
			return error_set(e, EBADMSG, "line %u: duplicate %s",
					 line, cache_keys[k]);
		/* One spelling per entry: keys in the order the format
		 * lists them, as cache_entry_format writes them (found by
		 * test/fuzz/fuzz_cache.c's round trip). */
		if ((int)k < last)
			return error_set(e, EBADMSG, "line %u: %s out of order",
					 line, cache_keys[k]);
		last = (int)k;
		seen[k] = true;
		/* v is not NUL-terminated: each case copies or bounds it. */
		int r = cache_entry_value(en, k, v, vlen, line, e);
		if (r < 0)
			return r;
		p = nl + 1;
	}
	for (int k = CACHE_KEY_URL; k <= CACHE_KEY_EXPIRES; k++)
		if (!seen[k])
			return error_set(e, EBADMSG, "missing %s",
					 cache_keys[k]);
	if (!ended)
		return error_set(e, EBADMSG, "no 'end' line: truncated");
	if (en->expires < en->fetched)
		return error_set(e, EBADMSG, "expires before fetched");
	return 0;
}

int cache_entry_format(const struct cache_entry *en, char *buf, size_t cap,
		       size_t *len, struct error *e)
{
	char hex[HASH_HEX_SIZE];
	struct url u;
	struct error sub;

	if (strnlen(en->url, sizeof(en->url)) > URL_MAX ||
	    url_parse(en->url, &u, &sub) < 0)
		return error_set(e, EINVAL, "cannot store an entry for a bad "
					    "URL");
	bool ok = u.scheme != URL_FILE && !u.pinned &&
		  strcmp(u.base, en->url) == 0;
	url_free(&u);
	if (!ok)
		return error_set(e, EINVAL, "cannot store an entry for a "
					    "non-http(s) URL or one with a "
					    "fragment");
	if ((en->etag[0] && !cache_field_ok(en->etag)) ||
	    (en->last_modified[0] && !cache_field_ok(en->last_modified)))
		return error_set(e, EINVAL, "cannot store an ETag or "
					    "Last-Modified with control "
					    "characters or over %d bytes",
				 CACHE_FIELD_MAX);
	if (en->fetched < 0 || en->expires < en->fetched ||
	    en->size > INT64_MAX)
		return error_set(e, EINVAL, "cannot store an entry with bad "
					    "times or size");
	hash_hex(en->object, hex);
	int n = snprintf(buf, cap,
			 "%s\nurl %s\nobject %s\nsize %llu\nfetched %lld\n"
			 "expires %lld\n%s%s%s%s%s%send\n",
			 cache_entry_magic, en->url, hex,
			 (unsigned long long)en->size,
			 (long long)en->fetched, (long long)en->expires,
			 en->etag[0] ? "etag " : "", en->etag,
			 en->etag[0] ? "\n" : "",
			 en->last_modified[0] ? "last-modified " : "",
			 en->last_modified,
			 en->last_modified[0] ? "\n" : "");
	if (n < 0 || (size_t)n >= cap || (size_t)n > CACHE_ENTRY_MAX)
		return error_set(e, ENOSPC, "cache entry too large");
	*len = (size_t)n;
	return 0;
}

