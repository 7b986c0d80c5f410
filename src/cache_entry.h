/* cache_entry.h — the text format of a cache entry: what the cache knows
 * about one URL (which object it last served, how fresh that is, and the
 * validators to revalidate it with). Pure: parsing and formatting only;
 * cache_store.h reads and writes entries on disk. */
#ifndef FAKEOS_CACHE_ENTRY_H
#define FAKEOS_CACHE_ENTRY_H

#include "hash.h"
#include "url.h"
#include "util.h"

#define CACHE_ENTRY_MAX 8192 /* bytes in an entry file, at most */
#define CACHE_FIELD_MAX 256 /* bytes in an ETag or Last-Modified value */

/* One URL's entry. Text form (version 1), one "key value" a line, in this
 * order, every line ending in '\n', optional lines left out when empty,
 * and a last line "end" so that a truncated entry can never parse:
 *   fakeos-cache-entry 1
 *   url http://host/prog                     (http or https, no fragment)
 *   object <64 lower-case hex>               (SHA-256 of the bytes)
 *   size <decimal>
 *   fetched <unix seconds>                   (last 200 or 304)
 *   expires <unix seconds>                   (fresh until then; >= fetched)
 *   etag <value>                             (optional)
 *   last-modified <value>                    (optional)
 *   end
 * Values are printable ASCII without leading or trailing spaces. */
struct cache_entry {
	char url[URL_MAX + 1];
	uint8_t object[HASH_SIZE];
	uint64_t size;
	int64_t fetched;
	int64_t expires;
	char etag[CACHE_FIELD_MAX + 1]; /* "" when the server sent none */
	char last_modified[CACHE_FIELD_MAX + 1]; /* "" when none */
};

/* Parses an entry. Strict: exactly the format above, nothing else (an
 * unknown key, a duplicate, a missing newline or "end", a bad number are
 * errors).
 * The object is only ever a digest, so an entry cannot name a file outside
 * the cache. Pure: reads buf[0..len) only. Returns 0, or -EBADMSG with e
 * naming the line and the problem. */
int cache_entry_parse(const char *buf, size_t len, struct cache_entry *en,
		      struct error *e);
/* Formats an entry into buf (cap bytes, NUL-terminated); *len receives its
 * length. Returns 0, -EINVAL if a field could not be parsed back (control
 * characters, too long), or -ENOSPC if cap is too small. */
int cache_entry_format(const struct cache_entry *en, char *buf, size_t cap,
		       size_t *len, struct error *e);
/* True when s may be stored as an ETag or Last-Modified value. */
bool cache_field_ok(const char *s);

#endif
