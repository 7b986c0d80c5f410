/* fetch.h — HTTP(S) downloads. The launcher never loads libcurl: fetch_get
 * runs the fakeos-fetch helper (fetch_main.c), which loads it and runs
 * fetch_curl_get, only when a program must come from the network, so a
 * launch served from the cache never pays for libcurl, and servers' bytes
 * are parsed outside the process that builds jails. Owns redirects
 * (followed one hop at a time, under url_check_redirect_within), the size
 * cap, the timeout, conditional requests, response-header parsing and the
 * progress bar. file:// is never fetched here. */
#ifndef FAKEOS_FETCH_H
#define FAKEOS_FETCH_H

#include "hash.h"
#include "util.h"

#define FETCH_MAX_REDIRECTS 5
#define FETCH_FIELD_MAX 256 /* longest ETag / Last-Modified kept */
/* max-age is clamped to ten years: any longer is the same to a cache, and
 * the clamp keeps now + max-age far from overflowing. */
#define FETCH_MAX_AGE_MAX (10LL * 365 * 24 * 60 * 60)

/* What Cache-Control says, accumulated over every Cache-Control header of
 * a response. */
struct fetch_cache_control {
	bool no_store; /* do not keep the response at all */
	bool no_cache; /* keep it, but revalidate before every use */
	bool has_max_age;
	int64_t max_age; /* seconds, 0..FETCH_MAX_AGE_MAX */
};

/* The response headers the fetcher uses. */
struct fetch_headers {
	long status; /* from the status line; 0 before one is seen */
	char etag[FETCH_FIELD_MAX + 1]; /* "" when absent or unusable */
	char last_modified[FETCH_FIELD_MAX + 1];
	struct fetch_cache_control cc;
};

/* Adds one Cache-Control header value (len bytes, not NUL-terminated) to
 * cc. Directives are case-insensitive; quoted strings are skipped; unknown
 * directives are ignored. A malformed or repeated max-age counts as 0
 * (stale at once), as RFC 9111 asks. Pure. */
void fetch_parse_cache_control(const char *v, size_t len,
			       struct fetch_cache_control *cc);

/* Feeds one raw header line as libcurl delivers it ("Name: value\r\n", or
 * a status line "HTTP/1.1 200 OK\r\n") to h. A status line starts a new
 * response and clears what an earlier one (a 100 Continue, a proxy's
 * CONNECT) left. ETag and Last-Modified values that are empty, too long or
 * hold control characters are dropped: they will be sent back in a request
 * header and stored in the cache. Pure. */
void fetch_header_line(struct fetch_headers *h, const char *line, size_t len);

struct fetch_opts {
	uint64_t max_size; /* bytes; 0 for no cap */
	uint64_t timeout_ms; /* the whole fetch, redirects included; 0: none */
	const char *cacert; /* CA bundle for https, NULL for the system's */
	bool progress; /* progress bar on stderr after ~0.3 s */
	/* A fetch a program asked for (a spawn): the prefix that allowed
	 * its URL (url_within), which every redirect hop must stay within
	 * too. NULL: the operator's own fetch, any http(s) hop. */
	const char *within;
};

/* Validators for a conditional request; NULL or "" fields are not sent. */
struct fetch_validators {
	const char *etag; /* sent as If-None-Match */
	const char *last_modified; /* sent as If-Modified-Since */
};

/* Why a fetch failed, which decides whether a stale copy may run. */
enum fetch_fail {
	FETCH_OK = 0,
	FETCH_FAIL_NETWORK, /* connect, DNS, TLS, timeout, short body */
	FETCH_FAIL_SERVER, /* HTTP 5xx */
	FETCH_FAIL_HTTP, /* HTTP 4xx, or a status fakeOS cannot use */
	FETCH_FAIL_REFUSED, /* a redirect refused, too many, size cap */
	FETCH_FAIL_LOCAL, /* no libcurl, or writing the body failed */
};

struct fetch_result {
	enum fetch_fail fail;
	long status; /* the final status: 2xx (body written) or 304 */
	struct fetch_headers headers; /* of the final response */
	uint8_t sha256[HASH_SIZE]; /* of the body written to fd */
	uint64_t size; /* bytes written to fd */
	unsigned redirects; /* hops followed */
};

/* GETs url (http or https), following up to FETCH_MAX_REDIRECTS redirects
 * itself, and streams a 2xx body into fd while hashing it. With validators
 * the request is conditional, and a 304 returns 0 with status 304 and
 * nothing written. Returns 0, or -errno with r->fail and e set: "HTTP 404",
 * "timed out after 30 s", "download exceeds the size cap (64 MiB)",
 * "redirect from https to http refused", "redirect to URL refused: outside
 * PREFIX (...)" (o->within), "too many redirects (more than 5)", "transfer
 * ended early", "libcurl.so.4 could not be loaded: ...". A refused hop is
 * never requested. */
int fetch_get(const char *url, const struct fetch_opts *o,
	      const struct fetch_validators *v, int fd, struct fetch_result *r,
	      struct error *e);

/* The same, in this process, with libcurl (loaded with dlopen on first
 * use): what fakeos-fetch runs. */
int fetch_curl_get(const char *url, const struct fetch_opts *o,
		   const struct fetch_validators *v, int fd,
		   struct fetch_result *r, struct error *e);

/* POSTs the bytes of fd (at most o->max_size) to url as
 * application/json, following no redirect, with o->timeout_ms and
 * o->cacert; through the helper, as fetch_get. 0 when the server took it
 * (2xx), else -errno with e set ("HTTP 503", "network error: ..."). What
 * the crash-report sender runs (crash_spool.c). */
int fetch_post(const char *url, const struct fetch_opts *o, int fd,
	       struct fetch_result *r, struct error *e);
int fetch_curl_post(const char *url, const struct fetch_opts *o, int fd,
		    struct fetch_result *r, struct error *e);

/* Between fetch_get and fakeos-fetch: the body is written to FETCH_BODY_FD,
 * and this reply, in one write, to FETCH_REPLY_FD. Both sides are the same
 * build, so the layout is shared. */
#define FETCH_BODY_FD 3
#define FETCH_REPLY_FD 4
struct fetch_reply {
	int32_t ret; /* fetch_curl_get's return */
	struct fetch_result result;
	char msg[512]; /* its error message */
};

/* How many times this process has run the helper (for tests: a launch
 * served from the cache must run it zero times). */
unsigned fetch_helper_runs(void);

/* "64 MiB", "1.5 KiB", "300 bytes": n for a message. */
void fetch_format_size(uint64_t n, char *out, size_t cap);

#endif
