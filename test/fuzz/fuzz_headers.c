/* fuzz_headers.c — fetch_header_line and fetch_parse_cache_control
 * (src/fetch.c): what fakeos-fetch makes of the response headers of a
 * server that may be hostile.
 *
 * An input is a response's header block; each line, with its line end,
 * goes to fetch_header_line as libcurl would hand it over. After every
 * line, what was kept must be safe to use: the ETag and Last-Modified are
 * sent back in request headers and written to cache entries, so each is
 * empty or 1..FETCH_FIELD_MAX printable bytes without surrounding spaces
 * (what cache_field_ok takes); max-age lies in 0..FETCH_MAX_AGE_MAX, so
 * now + max-age cannot overflow; a status is at most three digits. */
#include <string.h>

#include "fetch.h"
#include "fuzz.h"

static void field_ok(const char *f, const char *what)
{
	size_t n = strnlen(f, FETCH_FIELD_MAX + 1);
	FUZZ_ASSERT(n <= FETCH_FIELD_MAX, "%s not terminated in its field",
		    what);
	if (n == 0)
		return;
	FUZZ_ASSERT(f[0] != ' ' && f[n - 1] != ' ', "%s has stray spaces",
		    what);
	for (size_t i = 0; i < n; i++)
		FUZZ_ASSERT(f[i] >= 0x20 && f[i] < 0x7f, "%s has byte 0x%02x",
			    what, (unsigned char)f[i]);
}

static void headers_ok(const struct fetch_headers *h)
{
	/* Three digits or none ("020" is 20: not 2xx, so its body is not
	 * kept, and libcurl's own code decides the outcome). */
	FUZZ_ASSERT(h->status >= 0 && h->status <= 999, "status %ld",
		    h->status);
	field_ok(h->etag, "ETag");
	field_ok(h->last_modified, "Last-Modified");
	FUZZ_ASSERT(h->cc.max_age >= 0 && h->cc.max_age <= FETCH_MAX_AGE_MAX,
		    "max-age %lld", (long long)h->cc.max_age);
	FUZZ_ASSERT(h->cc.has_max_age || h->cc.max_age == 0,
		    "max-age without has_max_age");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fetch_headers h;
	memset(&h, 0, sizeof(h));
	const char *p = (const char *)data, *end = p + size;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		/* A copy of exactly the line, so that reading past it is
		 * caught. */
		char *line = malloc(len ? len : 1);
		FUZZ_ASSERT(line != NULL, "malloc");
		memcpy(line, p, len);
		fetch_header_line(&h, line, len);
		free(line);
		headers_ok(&h);
		p += len;
	}

	/* The whole input as one Cache-Control value, too. */
	struct fetch_cache_control cc;
	memset(&cc, 0, sizeof(cc));
	fetch_parse_cache_control((const char *)data, size, &cc);
	FUZZ_ASSERT(cc.max_age >= 0 && cc.max_age <= FETCH_MAX_AGE_MAX,
		    "max-age %lld", (long long)cc.max_age);
	return 0;
}
