/* cache.c — see cache.h: the transaction, and every freshness decision.
 *
 * Freshness: an entry is fresh until its expiry (the server's max-age, or
 * default_ttl; no-cache makes that "never"). A fresh entry is used with no
 * network request, so no fetcher runs and libcurl is never loaded. A stale
 * one is revalidated with a conditional request; a 304 extends it. If
 * revalidation fails for a network reason or a 5xx, the stale copy runs
 * with a warning. */
#include "cache.h"

#include <stdio.h>
#include <string.h>

#include "log.h"

struct cache_tx {
	struct cache *c;
	const struct cache_request *req;
	struct cache_result *out;
};

const char *cache_source_name(enum cache_source s)
{
	switch (s) {
	case CACHE_HIT:
		return "cache";
	case CACHE_PINNED:
		return "cache (pinned)";
	case CACHE_REVALIDATED:
		return "cache (revalidated)";
	case CACHE_STALE:
		return "cache (stale)";
	case CACHE_FETCHED:
		return "network";
	}
	return "?";
}

/* Loads the object named hash, open on obj, through the caller. A corrupt
 * object (its bytes no longer hash to its name: a disk error, a stray
 * write) is removed, reported, and -EBADMSG returned so the caller fetches
 * again. */
static int cache_tx_load_fd(struct cache_tx *t, int obj,
			    const uint8_t hash[HASH_SIZE], struct error *e)
{
	struct error sub;
	int r = t->req->ops->load(t->req->arg, obj, hash, &sub);
	if (r == -EBADMSG) {
		log_warn("%s: the cached copy is corrupt (%s); discarding it",
			 t->req->url, sub.msg);
		struct error rm;
		if (cache_object_remove(t->c, hash, &rm) < 0)
			log_warn("%s", rm.msg);
		return error_set(e, EBADMSG, "the cached copy is corrupt");
	}
	if (r < 0) {
		*e = sub;
		return r;
	}
	cache_object_touch(obj);
	return 0;
}

/* Loads the cached object named hash. -ENOENT when it is not there,
 * -EBADMSG when it was corrupt (and is now gone). */
static int cache_tx_load(struct cache_tx *t, const uint8_t hash[HASH_SIZE],
			 enum cache_source source, struct error *e)
{
	cleanup_fd int obj = -1;
	uint64_t size;

	int r = cache_object_open(t->c, hash, &obj, &size, e);
	if (r < 0)
		return r;
	r = cache_tx_load_fd(t, obj, hash, e);
	if (r == 0)
		t->out->source = source;
	return r;
}

/* Reads the URL's entry. *have says whether there is a usable one; a
 * malformed entry is reported, removed and treated as none. */
static int cache_tx_entry(struct cache_tx *t, struct cache_entry *en,
			  bool *have, struct error *e)
{
	*have = false;
	int r = cache_entry_load(t->c, t->req->url, en, e);
	if (r == -ENOENT)
		return 0;
	if (r == -EBADMSG) {
		log_warn("%s; removing it", e->msg);
		struct error rm;
		if (cache_entry_remove(t->c, t->req->url, &rm) < 0)
			log_warn("%s", rm.msg);
		return 0;
	}
	if (r < 0)
		return r;
	*have = true;
	return 0;
}

static bool cache_fresh(const struct cache_entry *en, int64_t now)
{
	return now < en->expires;
}

/* How long a response stays fresh: no-cache means revalidate every time,
 * else max-age, else the fallback (default_ttl, or after a 304 the
 * lifetime the entry had). */
static int64_t cache_ttl(const struct fetch_cache_control *cc,
			 int64_t fallback)
{
	if (cc->no_cache)
		return 0;
	if (cc->has_max_age)
		return cc->max_age;
	return fallback;
}

/* Copies a validator into the entry if it can be stored, else clears it:
 * a stale validator is worse than none. */
static void cache_set_field(char *dst, size_t cap, const char *v)
{
	if (v[0] && cache_field_ok(v) && strlen(v) < cap)
		memcpy(dst, v, strlen(v) + 1);
	else
		dst[0] = '\0';
}

/* Keeps a verified download: object first, then the entry naming it (so
 * an entry never names an object that is not yet durable), then eviction.
 * Failures here are warnings: the program is already in memory and can
 * run; only the next launch loses. */
static void cache_tx_keep(struct cache_tx *t, const struct cache_download *dl,
			  const struct fetch_result *res)
{
	const char *url = t->req->url;
	struct cache_entry en;
	struct error e;
	int64_t now = now_unix();

	if (cache_object_store(t->c, dl->bytes, dl->size, dl->hash, &e) < 0) {
		log_warn("%s: not cached: %s", url, e.msg);
		return;
	}
	memset(&en, 0, sizeof(en));
	snprintf(en.url, sizeof(en.url), "%s", url);
	memcpy(en.object, dl->hash, HASH_SIZE);
	en.size = dl->size;
	en.fetched = now;
	en.expires = now + cache_ttl(&res->headers.cc, t->req->default_ttl);
	cache_set_field(en.etag, sizeof(en.etag), res->headers.etag);
	cache_set_field(en.last_modified, sizeof(en.last_modified),
			res->headers.last_modified);
	if (cache_entry_store(t->c, &en, &e) < 0)
		log_warn("%s: not cached: %s", url, e.msg);
	if (cache_evict(t->c, t->req->max, dl->hash, NULL, &e) < 0)
		log_warn("cache eviction: %s", e.msg);
}

/* A 304: the cached object is still right. Loads the object, which is
 * open on obj, and extends the entry. */
static int cache_tx_not_modified(struct cache_tx *t, struct cache_entry *en,
				 int obj, const struct fetch_result *res,
				 struct error *e)
{
	const char *url = t->req->url;
	int r = cache_tx_load_fd(t, obj, en->object, e);
	if (r < 0)
		return r;
	t->out->source = CACHE_REVALIDATED;
	struct error sub;
	if (res->headers.cc.no_store) {
		if (cache_entry_remove(t->c, url, &sub) < 0)
			log_warn("%s", sub.msg);
		return 0;
	}
	int64_t now = now_unix();
	int64_t ttl = cache_ttl(&res->headers.cc, en->expires - en->fetched);
	en->fetched = now;
	en->expires = now + ttl;
	/* A 304 may carry new validators (RFC 9111, 4.3.4). */
	if (res->headers.etag[0])
		cache_set_field(en->etag, sizeof(en->etag), res->headers.etag);
	if (res->headers.last_modified[0])
		cache_set_field(en->last_modified, sizeof(en->last_modified),
				res->headers.last_modified);
	if (cache_entry_store(t->c, en, &sub) < 0)
		log_warn("%s: %s", url, sub.msg);
	return 0;
}

/* Fetches, under the URL's lock. en is the URL's entry, or NULL: with an
 * entry whose object is present the request is conditional, and that
 * object is the stale copy that may run if the network fails.
 * It recurses at most once: a 304 for an object that turns out corrupt
 * fetches again with en NULL, and a request without an entry is never
 * conditional, so it cannot get a 304. */
/* NOLINTNEXTLINE(misc-no-recursion) */
static int cache_tx_fetch(struct cache_tx *t, struct cache_entry *en,
			  struct error *e)
{
	const struct cache_request *req = t->req;
	cleanup_fd int stale = -1;
	struct fetch_validators v = { NULL, NULL };
	struct fetch_result res;
	struct cache_download dl;
	struct error sub;
	uint64_t stale_size;
	int r;

	if (en && !req->pin) {
		r = cache_object_open(t->c, en->object, &stale, &stale_size,
				      &sub);
		if (r == 0) {
			v.etag = en->etag;
			v.last_modified = en->last_modified;
		} else if (r != -ENOENT) {
			log_warn("%s", sub.msg);
		}
	}
	log_info("fetching %s%s", req->url,
		 stale >= 0 ? " (revalidating)" : "");
	memset(&res, 0, sizeof(res));
	res.fail = FETCH_FAIL_LOCAL;
	memset(&dl, 0, sizeof(dl));
	r = req->ops->fetch(req->arg, req->url, &v, &res, &dl, e);
	if (r < 0) {
		/* Only a failure to reach the server, or the server failing,
		 * lets the stale copy run. A 404 or 410 is the server saying
		 * the program is gone (or any 4xx: not ours to have): running
		 * an old copy would resurrect a program its publisher
		 * withdrew, perhaps for a security hole. A refused redirect
		 * or an oversized body is not an outage either. */
		if (stale < 0 || (res.fail != FETCH_FAIL_NETWORK &&
				  res.fail != FETCH_FAIL_SERVER))
			return r;
		struct error why = *e;
		r = cache_tx_load_fd(t, stale, en->object, e);
		if (r < 0) {
			if (r == -EBADMSG) {
				*e = why;
				return -EIO;
			}
			return r;
		}
		log_warn("%s: %s; running the cached copy from %lld s ago",
			 req->url, why.msg,
			 (long long)(now_unix() - en->fetched));
		t->out->source = CACHE_STALE;
		return 0;
	}

	if (res.status == 304) {
		/* fetch_get accepts a 304 only for a conditional request,
		 * which needs an entry and its object; say so here too. */
		if (!en || stale < 0)
			return error_set(e, EPROTO, "HTTP 304 to a request "
						    "that was not conditional");
		log_debug("%s: not modified", req->url);
		r = cache_tx_not_modified(t, en, stale, &res, e);
		if (r == -EBADMSG)
			return cache_tx_fetch(t, NULL, e);
		return r;
	}

	t->out->source = CACHE_FETCHED;
	if (res.headers.cc.no_store) {
		log_debug("%s: no-store, not cached", req->url);
		/* The old entry no longer describes what the server serves. */
		if (en && cache_entry_remove(t->c, req->url, &sub) < 0)
			log_warn("%s", sub.msg);
	} else {
		cache_tx_keep(t, &dl, &res);
	}
	return 0;
}

int cache_get(struct cache *c, const struct cache_request *req,
	      struct cache_result *out, struct error *e)
{
	struct cache_tx t = { .c = c, .req = req, .out = out };
	struct cache_entry en;
	bool have;
	int r;

	/* Pinned bytes need no freshness: if they are here, they are it. */
	r = -ENOENT;
	if (req->pin) {
		r = cache_tx_load(&t, req->pin, CACHE_PINNED, e);
		if (r != -ENOENT && r != -EBADMSG)
			return r;
	}
	bool corrupt = r == -EBADMSG;
	r = cache_tx_entry(&t, &en, &have, e);
	if (r < 0)
		return r;
	if (!req->pin && have &&
	    (req->offline || (!req->refresh && cache_fresh(&en, now_unix())))) {
		r = cache_tx_load(&t, en.object, CACHE_HIT, e);
		if (r != -ENOENT && r != -EBADMSG)
			return r;
		corrupt |= r == -EBADMSG;
	}
	if (req->fresh_only)
		return error_set(e, EWOULDBLOCK, "not fresh in the cache");
	if (req->offline) {
		if (corrupt)
			return error_set(e, ENOENT, "the cached copy was "
						    "corrupt and --offline "
						    "forbids fetching it again");
		return error_set(e, ENOENT, "not in the cache (--offline)");
	}

	/* One launch fetches; the others wait here and then use what it
	 * stored, instead of all downloading the same bytes. */
	struct cache_entry before = en;
	bool had = have;
	cleanup_fd int lock = -1;
	r = cache_lock_url(c, req->url, &lock, e);
	if (r < 0)
		return r;
	r = cache_tx_entry(&t, &en, &have, e);
	if (r < 0)
		return r;
	if (req->pin) {
		r = cache_tx_load(&t, req->pin, CACHE_PINNED, e);
		if (r == 0)
			return 0;
	} else if (have && cache_fresh(&en, now_unix()) &&
		   (!req->refresh || !had || en.fetched != before.fetched ||
		    en.expires != before.expires ||
		    memcmp(en.object, before.object, HASH_SIZE) != 0)) {
		/* Fresh now: another launch fetched it while we waited
		 * (with refresh, only if the entry changed while we waited
		 * for the lock: timestamps are whole seconds, so comparing
		 * them with our start time could not tell). */
		r = cache_tx_load(&t, en.object, CACHE_HIT, e);
		if (r == 0)
			return 0;
	}
	if (r < 0 && r != -ENOENT && r != -EBADMSG)
		return r;
	return cache_tx_fetch(&t, have ? &en : NULL, e);
}
