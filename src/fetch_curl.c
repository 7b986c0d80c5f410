/* fetch_curl.c — the download itself, with libcurl: what the fakeos-fetch
 * helper runs (fetch_main.c). The launcher never loads libcurl; it runs the
 * helper (fetch.c) only when a program must come from the network. */
#include "fetch.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"
#include "url.h"

/* ---- loading libcurl ------------------------------------------------- */

/* Each function used, typed from curl.h so a wrong call does not compile.
 * (The parentheses-free __typeof__ names the function, not the checking
 * macro curl.h puts over curl_easy_setopt for GCC.) */
static struct {
	void *lib;
	__typeof__(curl_global_init) *global_init;
	__typeof__(curl_easy_init) *easy_init;
	__typeof__(curl_easy_setopt) *easy_setopt;
	__typeof__(curl_easy_perform) *easy_perform;
	__typeof__(curl_easy_getinfo) *easy_getinfo;
	__typeof__(curl_easy_cleanup) *easy_cleanup;
	__typeof__(curl_easy_strerror) *easy_strerror;
	__typeof__(curl_slist_append) *slist_append;
	__typeof__(curl_slist_free_all) *slist_free_all;
} fetch_curl;

static int fetch_load_curl(struct error *e)
{
	static const char lib[] = "libcurl.so.4";

	if (fetch_curl.lib)
		return 0;
	log_debug("loading libcurl");
	void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return error_set(e, ENOENT, "%s could not be loaded (it is "
					    "needed for http and https URLs; "
					    "install libcurl4): %s",
				 lib, dlerror());
#define FETCH_SYM(field, name)                                               \
	do {                                                                 \
		*(void **)&fetch_curl.field = dlsym(h, name);                \
		if (!fetch_curl.field) {                                     \
			dlclose(h);                                          \
			return error_set(e, ENOENT, "%s has no %s", lib,     \
					 name);                              \
		}                                                            \
	} while (0)
	FETCH_SYM(global_init, "curl_global_init");
	FETCH_SYM(easy_init, "curl_easy_init");
	FETCH_SYM(easy_setopt, "curl_easy_setopt");
	FETCH_SYM(easy_perform, "curl_easy_perform");
	FETCH_SYM(easy_getinfo, "curl_easy_getinfo");
	FETCH_SYM(easy_cleanup, "curl_easy_cleanup");
	FETCH_SYM(easy_strerror, "curl_easy_strerror");
	FETCH_SYM(slist_append, "curl_slist_append");
	FETCH_SYM(slist_free_all, "curl_slist_free_all");
#undef FETCH_SYM
	if (fetch_curl.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		dlclose(h);
		return error_set(e, EIO, "libcurl failed to initialise");
	}
	fetch_curl.lib = h;
	return 0;
}

/* ---- one transfer ---------------------------------------------------- */

struct fetch_xfer {
	int fd;
	uint64_t max; /* 0: no cap */
	uint64_t got;
	bool over_cap;
	int write_err;
	struct hash_ctx hash;
	struct fetch_headers hdr;
	/* progress bar */
	bool progress;
	bool drawn;
	uint64_t start_ns, drawn_ns;
};

static size_t fetch_on_header(char *p, size_t size, size_t n, void *arg)
{
	struct fetch_xfer *x = arg;
	fetch_header_line(&x->hdr, p, size * n);
	return size * n;
}

static size_t fetch_on_body(char *p, size_t size, size_t n, void *arg)
{
	struct fetch_xfer *x = arg;
	size_t len = size * n;

	/* Only a 2xx body is the program; a redirect's or an error's body
	 * is dropped, but it still counts against the cap, so a server
	 * cannot stream an endless error page at us. */
	if (x->max && len > x->max - x->got) {
		x->over_cap = true;
		return 0; /* libcurl fails the transfer: CURLE_WRITE_ERROR */
	}
	x->got += len;
	if (x->hdr.status < 200 || x->hdr.status > 299)
		return len;
	int r = write_full(x->fd, p, len);
	if (r < 0) {
		x->write_err = -r;
		return 0;
	}
	hash_update(&x->hash, p, len);
	return len;
}

static void fetch_draw(struct fetch_xfer *x, uint64_t now, uint64_t total,
		       uint64_t got)
{
	char line[128], a[32], b[32];
	int n;

	fetch_format_size(got, a, sizeof(a));
	if (total > 0 && got <= total) {
		enum { WIDTH = 30 };
		char bar[WIDTH + 1];
		unsigned fill = (unsigned)(got * WIDTH / total);
		memset(bar, '#', fill);
		memset(bar + fill, '-', WIDTH - fill);
		bar[WIDTH] = '\0';
		fetch_format_size(total, b, sizeof(b));
		n = snprintf(line, sizeof(line), "\r[%s] %3u%% %s / %s\033[K",
			     bar, (unsigned)(got * 100 / total), a, b);
	} else {
		n = snprintf(line, sizeof(line), "\rdownloading: %s\033[K", a);
	}
	if (n > 0 && (size_t)n < sizeof(line))
		(void)write_full(STDERR_FILENO, line, (size_t)n);
	x->drawn = true;
	x->drawn_ns = now;
}

static int fetch_on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
			     curl_off_t ultotal, curl_off_t ulnow)
{
	struct fetch_xfer *x = arg;
	(void)ultotal;
	(void)ulnow;

	if (!x->progress || x->hdr.status < 200 || x->hdr.status > 299)
		return 0;
	/* Nothing for quick downloads: a bar that flashes is noise. Redraw
	 * at most ten times a second. */
	uint64_t now = now_ns();
	if (now - x->start_ns < 300000000u ||
	    (x->drawn && now - x->drawn_ns < 100000000u))
		return 0;
	fetch_draw(x, now, dltotal > 0 ? (uint64_t)dltotal : 0,
		   dlnow > 0 ? (uint64_t)dlnow : 0);
	return 0;
}

static void fetch_progress_done(struct fetch_xfer *x)
{
	static const char clear[] = "\r\033[K";
	if (x->drawn)
		(void)write_full(STDERR_FILENO, clear, sizeof(clear) - 1);
	x->drawn = false;
}

static void fetch_format_seconds(uint64_t ms, char *out, size_t cap)
{
	if (ms % 1000 == 0)
		snprintf(out, cap, "%llu s", (unsigned long long)(ms / 1000));
	else
		snprintf(out, cap, "%.1f s", (double)ms / 1000.0);
}

static bool fetch_field_ok(const char *s)
{
	if (!s || !*s || strlen(s) > FETCH_FIELD_MAX)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

/* The request headers for a conditional request, or NULL. */
static int fetch_validator_headers(const struct fetch_validators *v,
				   struct curl_slist **out, struct error *e)
{
	struct curl_slist *l = NULL;
	const char *names[2] = { "If-None-Match", "If-Modified-Since" };
	const char *vals[2] = { v ? v->etag : NULL,
				v ? v->last_modified : NULL };

	for (int i = 0; i < 2; i++) {
		if (!vals[i] || !*vals[i])
			continue;
		/* A CR or LF here would inject request headers. */
		if (!fetch_field_ok(vals[i])) {
			fetch_curl.slist_free_all(l);
			return error_set(e, EINVAL, "refusing to send a %s "
						    "with control characters",
					 names[i]);
		}
		cleanup_free char *h = xasprintf("%s: %s", names[i], vals[i]);
		struct curl_slist *n = fetch_curl.slist_append(l, h);
		if (!n) {
			fetch_curl.slist_free_all(l);
			return error_set(e, ENOMEM, "out of memory");
		}
		l = n;
	}
	*out = l;
	return 0;
}

static int fetch_fail(struct fetch_result *r, enum fetch_fail why, int err)
{
	r->fail = why;
	return err;
}

/* Sets an option while every one before it was taken (rc: CURLE_OK). */
#define FETCH_SET(opt, val)                                                  \
	do {                                                                 \
		if (rc == CURLE_OK)                                          \
			rc = fetch_curl.easy_setopt(c, opt, val);            \
	} while (0)

/* The options every request has, a GET's hop or a report's POST. */
static CURLcode fetch_base(CURL *c, const struct fetch_opts *o,
			   char *errbuf)
{
	CURLcode rc = CURLE_OK;
	FETCH_SET(CURLOPT_ERRORBUFFER, errbuf);
	/* No signals: libcurl would otherwise use SIGALRM for DNS
	 * timeouts, which the launcher does not expect. */
	FETCH_SET(CURLOPT_NOSIGNAL, 1L);
	/* No redirect is followed here: fetch_get follows them itself,
	 * checking each hop, and a report's POST goes only where the
	 * operator said. */
	FETCH_SET(CURLOPT_FOLLOWLOCATION, 0L);
	FETCH_SET(CURLOPT_PROTOCOLS_STR, "http,https");
	FETCH_SET(CURLOPT_USERAGENT, "fakeos-run/" FAKEOS_VERSION);
	if (o->cacert)
		FETCH_SET(CURLOPT_CAINFO, o->cacert);
	return rc;
}

/* Sets the options that stay the same on every hop. */
static CURLcode fetch_setup(CURL *c, const struct fetch_opts *o,
			    struct fetch_xfer *x, struct curl_slist *hdrs,
			    char *errbuf)
{
	CURLcode rc = fetch_base(c, o, errbuf);
	FETCH_SET(CURLOPT_HEADERFUNCTION, fetch_on_header);
	FETCH_SET(CURLOPT_HEADERDATA, x);
	FETCH_SET(CURLOPT_WRITEFUNCTION, fetch_on_body);
	FETCH_SET(CURLOPT_WRITEDATA, x);
	if (o->max_size)
		FETCH_SET(CURLOPT_MAXFILESIZE_LARGE,
			  (curl_off_t)(o->max_size > INT64_MAX ?
					       INT64_MAX :
					       o->max_size));
	if (hdrs)
		FETCH_SET(CURLOPT_HTTPHEADER, hdrs);
	if (o->progress) {
		FETCH_SET(CURLOPT_XFERINFOFUNCTION, fetch_on_progress);
		FETCH_SET(CURLOPT_XFERINFODATA, x);
		FETCH_SET(CURLOPT_NOPROGRESS, 0L);
	}
	return rc;
}

/* Turns a failed perform into a message and a kind. */
static int fetch_curl_error(CURLcode rc, const struct fetch_xfer *x,
			    const struct fetch_opts *o, const char *errbuf,
			    struct fetch_result *r, struct error *e)
{
	char a[32];
	const char *detail = errbuf[0] ? errbuf : fetch_curl.easy_strerror(rc);

	if (x->over_cap || rc == CURLE_FILESIZE_EXCEEDED) {
		fetch_format_size(o->max_size, a, sizeof(a));
		return fetch_fail(r, FETCH_FAIL_REFUSED,
				  error_set(e, EFBIG, "download exceeds the "
						      "size cap (%s)", a));
	}
	if (x->write_err)
		return fetch_fail(r, FETCH_FAIL_LOCAL,
				  error_sys(e, x->write_err, "writing the "
							     "download"));
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		fetch_format_seconds(o->timeout_ms, a, sizeof(a));
		return fetch_fail(r, FETCH_FAIL_NETWORK,
				  error_set(e, ETIMEDOUT, "timed out after %s",
					    a));
	case CURLE_PARTIAL_FILE:
		return fetch_fail(r, FETCH_FAIL_NETWORK,
				  error_set(e, EIO, "transfer ended early (%s)",
					    detail));
	case CURLE_UNSUPPORTED_PROTOCOL:
		return fetch_fail(r, FETCH_FAIL_REFUSED,
				  error_set(e, EPROTONOSUPPORT, "%s", detail));
	default:
		return fetch_fail(r, FETCH_FAIL_NETWORK,
				  error_set(e, EIO, "network error: %s",
					    detail));
	}
}

int fetch_curl_get(const char *url, const struct fetch_opts *o,
		   const struct fetch_validators *v, int fd,
		   struct fetch_result *r, struct error *e)
{
	struct curl_slist *hdrs = NULL;
	cleanup_free char *cur = NULL;
	char errbuf[CURL_ERROR_SIZE];
	struct fetch_xfer x = {
		.fd = fd, .max = o->max_size, .progress = o->progress
	};
	bool conditional = v && ((v->etag && *v->etag) ||
				 (v->last_modified && *v->last_modified));
	int ret;

	memset(r, 0, sizeof(*r));
	ret = fetch_load_curl(e);
	if (ret < 0)
		return fetch_fail(r, FETCH_FAIL_LOCAL, ret);
	ret = fetch_validator_headers(v, &hdrs, e);
	if (ret < 0)
		return fetch_fail(r, FETCH_FAIL_LOCAL, ret);
	CURL *c = fetch_curl.easy_init();
	if (!c) {
		fetch_curl.slist_free_all(hdrs);
		return fetch_fail(r, FETCH_FAIL_LOCAL,
				  error_set(e, ENOMEM, "libcurl could not "
						       "start a transfer"));
	}
	errbuf[0] = '\0';
	hash_init(&x.hash);
	x.start_ns = now_ns();
	CURLcode rc = fetch_setup(c, o, &x, hdrs, errbuf);
	if (rc != CURLE_OK) {
		ret = fetch_fail(r, FETCH_FAIL_LOCAL,
				 error_set(e, EINVAL, "libcurl refused an "
						      "option: %s",
					   fetch_curl.easy_strerror(rc)));
		goto out;
	}

	cur = xstrdup(url);
	for (;;) {
		/* The timeout covers the whole fetch, redirects included. */
		rc = CURLE_OK;
		if (o->timeout_ms) {
			uint64_t spent = (now_ns() - x.start_ns) / 1000000u;
			long left = spent < o->timeout_ms ?
					    (long)(o->timeout_ms - spent) :
					    1;
			rc = fetch_curl.easy_setopt(c, CURLOPT_TIMEOUT_MS,
						    left);
			if (rc == CURLE_OK)
				rc = fetch_curl.easy_setopt(
					c, CURLOPT_CONNECTTIMEOUT_MS, left);
		}
		if (rc == CURLE_OK)
			rc = fetch_curl.easy_setopt(c, CURLOPT_URL, cur);
		if (rc != CURLE_OK) {
			ret = fetch_fail(r, FETCH_FAIL_LOCAL,
					 error_set(e, EINVAL, "libcurl refused "
							      "the request: %s",
						   fetch_curl.easy_strerror(rc)));
			goto out;
		}
		memset(&x.hdr, 0, sizeof(x.hdr));
		x.got = 0;
		errbuf[0] = '\0';
		rc = fetch_curl.easy_perform(c);
		fetch_progress_done(&x);
		if (rc != CURLE_OK) {
			ret = fetch_curl_error(rc, &x, o, errbuf, r, e);
			goto out;
		}
		long status = 0;
		rc = fetch_curl.easy_getinfo(c, CURLINFO_RESPONSE_CODE,
					     &status);
		if (rc != CURLE_OK) {
			ret = fetch_fail(r, FETCH_FAIL_LOCAL,
					 error_set(e, EIO, "libcurl gave no "
							   "status: %s",
						   fetch_curl.easy_strerror(rc)));
			goto out;
		}
		r->status = status;
		r->headers = x.hdr;
		if (status >= 200 && status <= 299) {
			hash_final(&x.hash, r->sha256);
			r->size = x.got;
			ret = 0;
			goto out;
		}
		if (status == 304 && conditional) {
			ret = 0;
			goto out;
		}
		if (status >= 500) {
			ret = fetch_fail(r, FETCH_FAIL_SERVER,
					 error_set(e, EIO, "HTTP %ld", status));
			goto out;
		}
		if (status >= 400) {
			ret = fetch_fail(r, FETCH_FAIL_HTTP,
					 error_set(e, EIO, "HTTP %ld", status));
			goto out;
		}
		char *loc = NULL;
		if (status != 301 && status != 302 && status != 303 &&
		    status != 307 && status != 308) {
			ret = fetch_fail(r, FETCH_FAIL_HTTP,
					 error_set(e, EPROTO, "unexpected HTTP "
							      "%ld", status));
			goto out;
		}
		if (fetch_curl.easy_getinfo(c, CURLINFO_REDIRECT_URL, &loc) !=
			    CURLE_OK ||
		    !loc) {
			ret = fetch_fail(r, FETCH_FAIL_HTTP,
					 error_set(e, EPROTO, "HTTP %ld without "
							      "a Location",
						   status));
			goto out;
		}
		if (r->redirects >= FETCH_MAX_REDIRECTS) {
			ret = fetch_fail(r, FETCH_FAIL_REFUSED,
					 error_set(e, ELOOP, "too many "
							     "redirects (more "
							     "than %d)",
						   FETCH_MAX_REDIRECTS));
			goto out;
		}
		/* Checked before the hop is requested: for a spawn, a hop
		 * outside its prefix must never even be connected to. */
		ret = url_check_redirect_within(cur, loc, o->within, e);
		if (ret < 0) {
			fetch_fail(r, FETCH_FAIL_REFUSED, ret);
			goto out;
		}
		r->redirects++;
		log_debug("redirect %u: %s", r->redirects, loc);
		/* loc belongs to the handle and changes with the next
		 * request; keep a copy, without a fragment. */
		free(cur);
		cur = xasprintf("%.*s", (int)strcspn(loc, "#"), loc);
	}
out:
	fetch_curl.easy_cleanup(c);
	fetch_curl.slist_free_all(hdrs);
	return ret;
}

/* ---- a crash report ---------------------------------------------------- */

/* curl's CURLOPT_WRITEFUNCTION type, whose buffer is char *. */
/* NOLINTNEXTLINE(readability-non-const-parameter) */
static size_t fetch_discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n; /* the collector's answer is not ours to keep */
}

int fetch_curl_post(const char *url, const struct fetch_opts *o, int fd,
		    struct fetch_result *r, struct error *e)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	memset(r, 0, sizeof(*r));
	/* A report is small (CRASH_MAX_BYTES); the cap is o->max_size. */
	uint64_t cap = o->max_size ? o->max_size : 1 << 20;
	cleanup_free char *body = xmalloc(cap);
	size_t len = 0;
	for (;;) {
		ssize_t n = read(fd, body + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fetch_fail(r, FETCH_FAIL_LOCAL,
					  error_sys(e, errno, "reading the "
							      "report"));
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == cap)
			return fetch_fail(r, FETCH_FAIL_LOCAL,
					  error_set(e, EFBIG, "report too "
							      "large"));
	}
	int ret = fetch_load_curl(e);
	if (ret < 0)
		return fetch_fail(r, FETCH_FAIL_LOCAL, ret);
	struct curl_slist *hdrs = fetch_curl.slist_append(
		NULL, "Content-Type: application/json");
	CURL *c = fetch_curl.easy_init();
	if (!c || !hdrs) {
		if (c)
			fetch_curl.easy_cleanup(c);
		fetch_curl.slist_free_all(hdrs);
		return fetch_fail(r, FETCH_FAIL_LOCAL,
				  error_set(e, ENOMEM, "libcurl: no memory"));
	}
	/* The operator's URL, taken as it is (fetch_base: no redirect). */
	CURLcode rc = fetch_base(c, o, errbuf);
	FETCH_SET(CURLOPT_URL, url);
	FETCH_SET(CURLOPT_HTTPHEADER, hdrs);
	FETCH_SET(CURLOPT_POSTFIELDS, body);
	FETCH_SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	FETCH_SET(CURLOPT_WRITEFUNCTION, fetch_discard);
	if (o->timeout_ms)
		FETCH_SET(CURLOPT_TIMEOUT_MS, (long)o->timeout_ms);
	if (rc == CURLE_OK)
		rc = fetch_curl.easy_perform(c);
	long status = 0;
	if (rc == CURLE_OK)
		fetch_curl.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	fetch_curl.easy_cleanup(c);
	fetch_curl.slist_free_all(hdrs);
	r->status = status;
	if (rc != CURLE_OK)
		return fetch_fail(r, FETCH_FAIL_NETWORK,
				  error_set(e, EIO, "network error: %s",
					    errbuf[0] ? errbuf
						      : fetch_curl.easy_strerror(
								rc)));
	if (status < 200 || status > 299)
		return fetch_fail(r, status >= 500 ? FETCH_FAIL_SERVER
						   : FETCH_FAIL_HTTP,
				  error_set(e, EIO, "HTTP %ld", status));
	return 0;
}
