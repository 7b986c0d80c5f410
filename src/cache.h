/* cache.h — the program cache: immutable objects named by their SHA-256,
 * and one small text entry per URL saying which object it last served and
 * how fresh that is. Owns the on-disk layout, its hardening (no symlink is
 * ever followed below the root), locking, eviction and the CLI's list,
 * verify and clear. Freshness decisions belong to program.c.
 *
 * Layout under the cache root (mode 0700, owned by the euid):
 *   objects/<2 hex>/<64 hex>  program bytes, named by SHA-256, mode 0444
 *   urls/<64 hex>             entry for the URL whose SHA-256 this is
 *   locks/<64 hex>            per-URL lock (flock), held while fetching
 *   tmp/                      files being written, renamed into place
 *   lock                      global lock (flock), held while evicting,
 *                             verifying or clearing
 * Last use of an object is its mtime, set with futimens() at each launch. */
#ifndef FAKEOS_CACHE_H
#define FAKEOS_CACHE_H

#include <stdio.h>

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

/* The default cache directory in a new string: /var/cache/fakeos when the
 * euid is 0; otherwise $XDG_CACHE_HOME/fakeos when that is an absolute
 * path, else $HOME/.cache/fakeos (HOME, then the passwd entry). */
int cache_default_dir(char **out, struct error *e);

struct cache;

/* Opens the cache at dir, creating it (and missing parents, mode 0700)
 * when create is set. Refuses a root that is a symlink, is not owned by
 * the euid, or is group- or world-writable. Returns 0, -ENOENT (dir does
 * not exist and create is false), or another -errno; e names the dir. */
int cache_open(const char *dir, bool create, struct cache **out,
	       struct error *e);
void cache_close(struct cache *c);

/* Takes the per-URL lock (blocking; says so at -v level when it has to
 * wait). *out receives the lock; release it with cache_unlock. */
int cache_lock_url(struct cache *c, const char *url, int *out,
		   struct error *e);
void cache_unlock(int *fd);

/* Reads url's entry. -ENOENT when there is none; -EBADMSG when it is
 * malformed or belongs to another URL; -ELOOP for a planted symlink. */
int cache_entry_load(struct cache *c, const char *url, struct cache_entry *en,
		     struct error *e);
/* Writes an entry atomically (temporary file, fsync, rename, fsync of
 * urls/): a reader sees the old entry or the new one, never a mix. */
int cache_entry_store(struct cache *c, const struct cache_entry *en,
		      struct error *e);
/* Removes url's entry; no entry is not an error. */
int cache_entry_remove(struct cache *c, const char *url, struct error *e);

/* Opens an object read-only. *out (the descriptor) and *size receive it.
 * -ENOENT when it is not there, -ELOOP for a symlink, -EINVAL for
 * something not a regular file (a FIFO cannot block the open).
 * The bytes are NOT checked here: the caller hashes what it loads. */
int cache_object_open(struct cache *c, const uint8_t hash[HASH_SIZE],
		      int *out, uint64_t *size, struct error *e);
/* Records that the object open on fd was used now (its mtime). Best
 * effort and not synced: a lost update only changes eviction order. */
void cache_object_touch(int fd);
/* Stores len bytes whose SHA-256 the caller has checked is hash: written
 * to tmp/, fsynced, made 0444 and renamed into objects/, so no partial
 * object is ever visible under its name. Idempotent. */
int cache_object_store(struct cache *c, const void *buf, size_t len,
		       const uint8_t hash[HASH_SIZE], struct error *e);
/* Removes an object (a corrupt one); not there is not an error. */
int cache_object_remove(struct cache *c, const uint8_t hash[HASH_SIZE],
			struct error *e);

/* Under the global lock, removes least-recently-used objects until their
 * total size is at most max bytes, never the object `keep` (may be NULL),
 * then the entries that named removed objects and temporary files left
 * behind by crashed launches. *removed (may be NULL) receives the count. */
int cache_evict(struct cache *c, uint64_t max, const uint8_t *keep,
		unsigned *removed, struct error *e);

/* --- for the CLI (fakeos-run --cache-list / --cache-verify / --cache-clear)
 * Each takes the cache directory (cache_default_dir for the default) and
 * writes its report to out. A cache that does not exist is empty. */

/* One line per entry, sorted by URL:
 *   URL sha256=HEX size=N fetched=TIME expires=TIME used=TIME
 * TIME is ISO 8601 UTC ("2025-01-31T12:00:00Z"); used is "never" when the
 * object is missing. */
int cache_list(const char *dir, FILE *out, struct error *e);
/* Rehashes every object, removes each one that is corrupt (and anything
 * in objects/ that is not an object), removes malformed entries and
 * entries whose object is gone, and reports each on its own line, then a
 * summary. *bad receives the number of corrupt objects and malformed
 * entries: the CLI's exit status should say whether it is 0. */
int cache_verify(const char *dir, FILE *out, unsigned *bad, struct error *e);
/* Removes every object, entry, lock and temporary file, leaving an empty
 * cache, and reports what it removed on one line. */
int cache_clear(const char *dir, FILE *out, struct error *e);

#endif
