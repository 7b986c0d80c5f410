/* fuzz_cache.c — cache_entry_parse (src/cache.c), the reader of the text
 * entries in the cache's urls/ directory. The cache directory may have
 * been tampered with, so an entry is untrusted input.
 *
 * The format is strict, one spelling per entry: whatever parses must be
 * exactly what cache_entry_format writes for the parsed entry, byte for
 * byte. A parser that accepted other spellings (keys out of order, a
 * number with a sign) would let two different files mean the same entry,
 * and would hide a mismatch between what is written and what is read.
 * Whatever parses also holds only what the cache may act on: an http(s)
 * URL without a fragment, times in order, fields the writer would take. */
#include <errno.h>
#include <string.h>

#include "cache.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cache_entry *en = malloc(sizeof(*en));
	FUZZ_ASSERT(en != NULL, "malloc");
	struct error e = { "" };

	int r = cache_entry_parse((const char *)data, size, en, &e);
	if (r < 0) {
		FUZZ_ASSERT(r == -EBADMSG, "returned %d", r);
		FUZZ_ASSERT(e.msg[0] != '\0', "refusal without a message");
		fuzz_printable(e.msg, sizeof(e.msg), "message");
		free(en);
		return 0;
	}
	FUZZ_ASSERT(r == 0, "returned %d", r);
	FUZZ_ASSERT(size <= CACHE_ENTRY_MAX, "accepted %zu bytes", size);
	fuzz_printable(en->url, sizeof(en->url), "url");
	FUZZ_ASSERT(strncmp(en->url, "http://", 7) == 0 ||
			    strncmp(en->url, "https://", 8) == 0,
		    "url '%s'", en->url);
	FUZZ_ASSERT(strchr(en->url, '#') == NULL, "fragment in url");
	FUZZ_ASSERT(en->fetched >= 0 && en->expires >= en->fetched,
		    "fetched %lld expires %lld", (long long)en->fetched,
		    (long long)en->expires);
	FUZZ_ASSERT(!en->etag[0] || cache_field_ok(en->etag), "etag");
	FUZZ_ASSERT(!en->last_modified[0] || cache_field_ok(en->last_modified),
		    "last-modified");

	/* Round trip: formatting the entry gives back the input. */
	char *out = malloc(CACHE_ENTRY_MAX + 1);
	size_t len = 0;
	FUZZ_ASSERT(out != NULL, "malloc");
	r = cache_entry_format(en, out, CACHE_ENTRY_MAX + 1, &len, &e);
	FUZZ_ASSERT(r == 0, "a parsed entry does not format: %s", e.msg);
	FUZZ_ASSERT(len == size && memcmp(out, data, size) == 0,
		    "formats to other bytes (%zu, input %zu):\n%.*s", len, size,
		    (int)len, out);
	free(out);
	free(en);
	return 0;
}
