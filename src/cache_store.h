/* cache_store.h — the program cache on disk: immutable objects named by
 * their SHA-256, and one small text entry (cache_entry.h) per URL saying
 * which object it last served and how fresh that is. Owns the on-disk
 * layout, its hardening (no symlink is ever followed below the root),
 * locking, eviction, and the walks that list, verify and clear it. Which
 * copy a launch may use is the transaction's (cache.h); words for a
 * person are the CLI's (cli_cache.h).
 *
 * Layout under the cache root (mode 0700, owned by the euid):
 *   objects/<2 hex>/<64 hex>  program bytes, named by SHA-256, mode 0444
 *   urls/<64 hex>             entry for the URL whose SHA-256 this is
 *   locks/<64 hex>            per-URL lock (flock), held while fetching
 *   tmp/                      files being written, renamed into place
 *   lock                      global lock (flock), held while evicting,
 *                             verifying or clearing
 * Last use of an object is its mtime, set with futimens() at each launch. */
#ifndef FAKEOS_CACHE_STORE_H
#define FAKEOS_CACHE_STORE_H

#include "cache_entry.h"
#include "hash.h"
#include "util.h"

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

/* ---- maintenance (fakeos-run --cache-list / --cache-verify /
 * --cache-clear; cli_cache.h words what these find) */

/* One entry, as cache_each_entry finds it. */
struct cache_item {
	const struct cache_entry *en; /* NULL: the entry is malformed */
	const char *problem; /* why, when en is NULL */
	bool used_known; /* false: the entry's object is missing */
	int64_t used; /* the object's last use (unix seconds) */
};
typedef int (*cache_item_fn)(const struct cache_item *it, void *arg);
/* Calls fn for each entry in urls/, in directory order, stopping at the
 * first error fn returns (which is returned). Changes nothing. */
int cache_each_entry(struct cache *c, cache_item_fn fn, void *arg,
		     struct error *e);

/* What cache_verify found wrong, and what it did about it. */
enum cache_problem {
	CACHE_NOT_AN_OBJECT, /* something in objects/ that is not an object */
	CACHE_UNREADABLE, /* an object that could not be read (kept) */
	CACHE_CORRUPT, /* an object whose bytes do not hash to its name */
	CACHE_BAD_ENTRY, /* a malformed entry, or not an entry at all */
	CACHE_DANGLING, /* an entry whose object is gone */
};
struct cache_finding {
	enum cache_problem problem;
	const char *path; /* below the root: "objects/ab/ab...", "urls/..." */
	/* CORRUPT: the hex digest its bytes have; UNREADABLE: strerror;
	 * BAD_ENTRY: what is wrong; DANGLING: the entry's URL; else "". */
	const char *detail;
	bool removed; /* false: removing it failed (or, UNREADABLE, kept) */
};
typedef void (*cache_finding_fn)(const struct cache_finding *f, void *arg);
struct cache_verify_counts {
	unsigned objects, entries; /* looked at */
	unsigned bad; /* findings other than CACHE_DANGLING */
	unsigned dangling;
};
/* Under the global lock, rehashes every object and removes each one that
 * is corrupt (and anything in objects/ that is not an object), then
 * removes malformed entries and entries whose object is gone, calling fn
 * for each. *n receives the counts: the CLI's exit status should say
 * whether n->bad is 0. */
int cache_verify(struct cache *c, cache_finding_fn fn, void *arg,
		 struct cache_verify_counts *n, struct error *e);
/* Under the global lock, removes every object, entry, lock and temporary
 * file, leaving an empty cache; *objects and *entries receive how many
 * objects and entries it removed. */
int cache_clear(struct cache *c, unsigned *objects, unsigned *entries,
		struct error *e);

#endif
