/* cache.h — the cache's one transaction: "give me this URL's verified
 * bytes, fetching if needed". Under the URL's lock, cache_get decides
 * whether the cached copy is fresh, must be revalidated, may stand in for
 * a failed fetch, or must be fetched anew; it keeps what was fetched and
 * evicts. What "verified" means and where the bytes go are the caller's
 * (program.c seals them in a memfd and checks the ELF): it supplies the
 * two steps that touch bytes, load and fetch (cache_ops), so the cache
 * never runs the fetcher itself. The store underneath is cache_store.h. */
#ifndef FAKEOS_CACHE_H
#define FAKEOS_CACHE_H

#include "cache_store.h"
#include "fetch.h"

/* A fetched body the caller has checked, for the cache to keep. */
struct cache_download {
	const void *bytes; /* valid until cache_get returns */
	uint64_t size;
	uint8_t hash[HASH_SIZE]; /* the SHA-256 of bytes */
};

struct cache_ops {
	/* Makes the caller's program from the cached object open on fd,
	 * whose bytes must hash to hash. Returns 0; -EBADMSG when they do
	 * not (the object is corrupt: cache_get discards it, e says why);
	 * or another -errno, which cache_get returns as it is. */
	int (*load)(void *arg, int fd, const uint8_t hash[HASH_SIZE],
		    struct error *e);
	/* GETs url, conditionally when v has a validator. On a 2xx, makes
	 * the caller's program from the body, checks it (against the pin
	 * too) and describes it in *dl. On a 304, returns 0 with
	 * res->status 304 and makes nothing. On failure, res->fail
	 * FETCH_FAIL_NETWORK or FETCH_FAIL_SERVER lets a stale copy run
	 * instead: cache_get sets FETCH_FAIL_LOCAL before the call, and a
	 * body that arrived but failed its checks must not say either (as
	 * fetch_get leaves FETCH_OK). */
	int (*fetch)(void *arg, const char *url,
		     const struct fetch_validators *v, struct fetch_result *res,
		     struct cache_download *dl, struct error *e);
};

struct cache_request {
	const char *url; /* http(s), without its fragment */
	const uint8_t *pin; /* the #sha256= digest, or NULL */
	bool offline; /* the cache only: fetch is never called */
	bool refresh; /* revalidate even a fresh entry */
	bool fresh_only; /* only a fresh (or pinned) copy, else -EWOULDBLOCK:
			    no lock, no request, nothing that can wait */
	int64_t default_ttl; /* seconds fresh when a response has no max-age */
	uint64_t max; /* bound on the cache's size in bytes */
	const struct cache_ops *ops;
	void *arg; /* passed to ops */
};

/* Where the bytes came from. */
enum cache_source {
	CACHE_HIT, /* a fresh entry's object: no request */
	CACHE_PINNED, /* the pinned object: no request */
	CACHE_REVALIDATED, /* the entry's object, after a 304 */
	CACHE_STALE, /* the entry's object, as the fetch failed (warned) */
	CACHE_FETCHED, /* the network */
};

struct cache_result {
	enum cache_source source;
};

/* "cache", "cache (pinned)", "cache (revalidated)", "cache (stale)" or
 * "network", for -v. */
const char *cache_source_name(enum cache_source s);

/* Gets req->url's bytes through req->ops, and says where they came from
 * in *out. In order:
 *   - a pinned URL: the object named by the pin, if present;
 *   - the URL's entry, if fresh (or with offline, however old) and not
 *     refresh: its object, with no request;
 *   - offline: nothing more; -ENOENT;
 *   - then, holding the URL's lock, the entry again (a launch that held
 *     the lock may have just fetched it: one fetch, not one per launch),
 *     and else fetch, conditional on the entry's validators when its
 *     object is here. A 304 reuses the object and extends the entry; a
 *     2xx is kept (object, then entry, then eviction down to req->max,
 *     never the new object); a no-store response is not kept, and drops
 *     the entry. When the fetch fails for the network or a 5xx, the
 *     entry's object runs instead, with a warning; for anything else
 *     (a 4xx, a refused redirect, the size cap) it does not.
 * A cached object that is corrupt (load says -EBADMSG) is discarded with
 * a warning and treated as absent. Failing to keep or evict is a warning:
 * the bytes were loaded. Returns 0 once a load or fetch made the
 * program; else an op's error as it is, or the cache's -errno with e
 * saying what failed ("not in the cache (--offline)"). */
int cache_get(struct cache *c, const struct cache_request *req,
	      struct cache_result *out, struct error *e);

#endif
