/* resolver_etcd.c — the etcd backend of resolver.h, through etcd's v3
 * JSON gateway (etcd 3.4: POST BASE/v3/...; keys and values base64, 64-bit
 * integers as strings) with libcurl's multi interface, so that nothing
 * here waits (curl_loop.h): curl's sockets sit in an epoll set of our
 * own, whose fd is resolver_fd, and its timer in resolver_next_timeout_ns.
 *
 * Two machines run side by side:
 * - the lease: grant (TTL), put each exported name under it, keep it
 *   alive every TTL/3; a keep-alive that finds the lease gone (etcd
 *   answers without a TTL) grants a new one and puts every name again;
 *   a name no longer exported is deleted (a put and a delete of one name
 *   may cross on two connections: whichever finishes last checks that
 *   etcd is left as the exports say, and sends the other again);
 * - the table: range the prefix (everyone's names, and the revision),
 *   then watch from the next revision; when the watch ends for any reason
 *   (etcd restarted, compaction, a malformed stream), range again and
 *   watch again, so the table never misses an event for long.
 * A failed request is retried after RESOLVER_RETRY_MS; the table keeps
 * its last answers meanwhile (docs/PROTOCOL.md, "Names in etcd"). */
#include "resolver_int.h"

#include <curl/curl.h>
#include <nettle/base64.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>

#include "curl_loop.h"
#include "log.h"
#include "url.h"

#define WATCH_BUF_MAX (1024 * 1024) /* one watch message, at most */
#define REPLY_MAX (4 * 1024 * 1024) /* a range of RESOLVER_NAMES_MAX */
#define JSON_DEPTH 16
#define MS 1000000ULL

enum req_kind { REQ_GRANT, REQ_PUT, REQ_DELETE, REQ_KEEPALIVE, REQ_RANGE,
		REQ_WATCH };
static const char *const req_paths[] = {
	[REQ_GRANT] = "/v3/lease/grant",
	[REQ_PUT] = "/v3/kv/put",
	[REQ_DELETE] = "/v3/kv/deleterange",
	[REQ_KEEPALIVE] = "/v3/lease/keepalive",
	[REQ_RANGE] = "/v3/kv/range",
	[REQ_WATCH] = "/v3/watch",
};

struct req {
	struct etcd *et;
	CURL *h;
	enum req_kind kind;
	char name[PROTO_NAME_SIZE]; /* a put's or a delete's */
	char *url, *body;
	char *buf; /* the reply */
	size_t len, used; /* used: what the watch has handled */
	bool overflow;
	struct curl_slist *headers;
	struct req *next;
};

struct etcd {
	struct resolver *r;
	struct curl_loop cl;
	char *base, *prefix;
	unsigned ttl;
	struct req *reqs;
	/* The lease: its ID as etcd writes it (decimal), "" when none. */
	char lease[24];
	bool granting, keeping;
	uint64_t lease_due; /* grant again (no lease) or keep alive */
	/* The table. */
	bool ranging, watching, watch_broken;
	uint64_t watch_due; /* range again */
	bool down; /* the last request failed: said once, not every retry */
};

/* ---- a little JSON: enough to read etcd's replies ------------------------ */

/* Spans of the reply: [p, e). Every function returns NULL (or an error)
 * on anything it does not understand; never reads past e. */
static const char *jws(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* The end of the value at p (after whitespace), NULL if it is cut short
 * or malformed. Recursive, to JSON_DEPTH at most. */
/* NOLINTNEXTLINE(misc-no-recursion): bounded by JSON_DEPTH */
static const char *jskip_depth(const char *p, const char *e, int depth)
{
	p = jws(p, e);
	if (p >= e || depth > JSON_DEPTH)
		return NULL;
	if (*p == '"') {
		for (p++; p < e; p++) {
			if (*p == '\\')
				p++;
			else if (*p == '"')
				return p + 1;
		}
		return NULL;
	}
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';
		p = jws(p + 1, e);
		if (p < e && *p == close)
			return p + 1;
		for (;;) {
			if (close == '}') {
				p = jskip_depth(p, e, depth + 1); /* the key */
				p = p ? jws(p, e) : NULL;
				if (!p || p >= e || *p != ':')
					return NULL;
				p++;
			}
			p = jskip_depth(p, e, depth + 1);
			p = p ? jws(p, e) : NULL;
			if (!p || p >= e)
				return NULL;
			if (*p == close)
				return p + 1;
			if (*p != ',')
				return NULL;
			p++;
		}
	}
	const char *s = p;
	while (p < e && strchr("0123456789+-.eEtruefalsn", *p))
		p++;
	return p > s && p < e ? p : NULL;
}

static const char *jskip(const char *p, const char *e)
{
	return jskip_depth(p, e, 0);
}

/* The value of member key of the object at p: its span, or NULL. */
static const char *jget(const char *p, const char *e, const char *key,
			const char **ve)
{
	size_t klen = strlen(key);
	p = jws(p, e);
	if (p >= e || *p != '{')
		return NULL;
	p++;
	for (;;) {
		p = jws(p, e);
		if (p >= e || *p != '"')
			return NULL;
		const char *k = p + 1;
		const char *kend = jskip(p, e);
		if (!kend)
			return NULL;
		p = jws(kend, e);
		if (p >= e || *p != ':')
			return NULL;
		const char *v = jws(p + 1, e);
		const char *vend = jskip(v, e);
		if (!vend)
			return NULL;
		if ((size_t)(kend - 1 - k) == klen && memcmp(k, key, klen) == 0) {
			*ve = vend;
			return v;
		}
		p = jws(vend, e);
		if (p >= e || *p != ',')
			return NULL;
		p++;
	}
}

/* A string's bytes without quotes; none of etcd's that we read has an
 * escape (base64, decimal), so one is refused rather than decoded. */
static int jstr(const char *v, const char *ve, const char **s, size_t *n)
{
	if (!v || ve - v < 2 || *v != '"' || ve[-1] != '"' ||
	    memchr(v + 1, '\\', (size_t)(ve - v - 2)))
		return -EINVAL;
	*s = v + 1;
	*n = (size_t)(ve - v - 2);
	return 0;
}

/* An int64 as etcd writes one ("12" in quotes), or a bare number; 0 when
 * absent, as protobuf's JSON leaves zeros out. */
static int jint(const char *obj, const char *e, const char *key, char *out,
		size_t size)
{
	const char *ve, *v = jget(obj, e, key, &ve), *s;
	size_t n;
	if (!v) {
		snprintf(out, size, "0");
		return 0;
	}
	if (*v == '"') {
		if (jstr(v, ve, &s, &n) < 0)
			return -EINVAL;
	} else {
		s = v;
		n = (size_t)(ve - v);
	}
	if (n == 0 || n >= size || strspn(s, "0123456789") < n)
		return -EINVAL;
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

/* Base64 member key of obj, decoded into a fresh NUL-terminated buffer. */
static int jbytes(const char *obj, const char *e, const char *key,
		  char **out, size_t *len)
{
	const char *ve, *v = jget(obj, e, key, &ve), *s;
	size_t n;
	*out = NULL;
	*len = 0;
	if (!v) { /* an empty value is left out */
		*out = xstrdup("");
		return 0;
	}
	if (jstr(v, ve, &s, &n) < 0)
		return -EINVAL;
	struct base64_decode_ctx ctx;
	uint8_t *d = xmalloc(BASE64_DECODE_LENGTH(n) + 1);
	size_t dlen = BASE64_DECODE_LENGTH(n);
	base64_decode_init(&ctx);
	if (!base64_decode_update(&ctx, &dlen, d, n, s) ||
	    !base64_decode_final(&ctx)) {
		free(d);
		return -EINVAL;
	}
	d[dlen] = '\0';
	*out = (char *)d;
	*len = dlen;
	return 0;
}

static char *b64(const char *s, size_t n)
{
	char *o = xmalloc(BASE64_ENCODE_RAW_LENGTH(n) + 1);
	base64_encode_raw(o, n, (const uint8_t *)s);
	o[BASE64_ENCODE_RAW_LENGTH(n)] = '\0';
	return o;
}

/* ---- requests ------------------------------------------------------------ */

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
	struct req *q = arg;
	size_t len = size * n;
	size_t max = q->kind == REQ_WATCH ? WATCH_BUF_MAX : REPLY_MAX;
	if (q->len - q->used + len > max) {
		q->overflow = true;
		return 0; /* ends the transfer */
	}
	q->buf = realloc(q->buf, q->len + len + 1);
	if (!q->buf)
		log_fatal("out of memory");
	memcpy(q->buf + q->len, p, len);
	q->len += len;
	q->buf[q->len] = '\0';
	return len;
}

/* Frees q, which is on no list. */
static void req_release(struct req *q)
{
	struct etcd *et = q->et;
	curl_multi_remove_handle(et->cl.m, q->h);
	curl_easy_cleanup(q->h);
	curl_slist_free_all(q->headers);
	free(q->url);
	free(q->body);
	free(q->buf);
	free(q);
}

/* Takes q off the list of requests and frees it. */
static void req_free(struct req *q)
{
	for (struct req **pp = &q->et->reqs; *pp; pp = &(*pp)->next) {
		if (*pp == q) {
			*pp = q->next;
			break;
		}
	}
	req_release(q);
}

/* Sets up a POST of body (which it owns) to path; the caller adds it to
 * the multi handle, or performs it. */
static struct req *req_new(struct etcd *et, enum req_kind kind, char *body)
{
	struct req *q = xcalloc(1, sizeof(*q));
	q->et = et;
	q->kind = kind;
	q->body = body;
	q->url = xasprintf("%s%s", et->base, req_paths[kind]);
	q->h = curl_easy_init();
	if (!q->h)
		log_fatal("curl_easy_init failed");
	q->headers = curl_slist_append(NULL, "Content-Type: application/json");
	curl_easy_setopt(q->h, CURLOPT_URL, q->url);
	curl_easy_setopt(q->h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(q->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(q->h, CURLOPT_POSTFIELDS, q->body);
	curl_easy_setopt(q->h, CURLOPT_HTTPHEADER, q->headers);
	curl_easy_setopt(q->h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(q->h, CURLOPT_WRITEDATA, q);
	curl_easy_setopt(q->h, CURLOPT_PRIVATE, q);
	curl_easy_setopt(q->h, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
	/* The watch lasts as long as etcd does; everything else is
	 * bounded. */
	if (kind != REQ_WATCH)
		curl_easy_setopt(q->h, CURLOPT_TIMEOUT_MS,
				 (long)RESOLVER_REQUEST_MS);
	return q;
}

static struct req *req_start(struct etcd *et, enum req_kind kind,
			      char *body)
{
	struct req *q = req_new(et, kind, body);
	q->next = et->reqs;
	et->reqs = q;
	CURLMcode mc = curl_multi_add_handle(et->cl.m, q->h);
	if (mc != CURLM_OK)
		log_fatal("curl_multi_add_handle: %s", curl_multi_strerror(mc));
	return q;
}

/* ---- the lease ----------------------------------------------------------- */

/* Puts name under the lease, or (kind REQ_DELETE) deletes it. */
static void name_req(struct etcd *et, enum req_kind kind, const char *name)
{
	struct resolver *r = et->r;
	char value[256];
	cleanup_free char *key = xasprintf("%s%s/%s", et->prefix, name,
					   r->self.name);
	cleanup_free char *k = b64(key, strlen(key));
	struct req *q;
	if (kind == REQ_PUT) {
		resolver_entry_format(&r->self, value, sizeof(value));
		cleanup_free char *v = b64(value, strlen(value));
		q = req_start(et, REQ_PUT,
			      xasprintf("{\"key\":\"%s\",\"value\":\"%s\","
					"\"lease\":\"%s\"}",
					k, v, et->lease));
	} else {
		q = req_start(et, REQ_DELETE,
			      xasprintf("{\"key\":\"%s\"}", k));
	}
	snprintf(q->name, sizeof(q->name), "%s", name);
}

void etcd_register(struct resolver *r, const char *name)
{
	if (r->etcd->lease[0])
		name_req(r->etcd, REQ_PUT, name);
	/* else the grant's reply puts every name */
}

void etcd_unregister(struct resolver *r, const char *name)
{
	/* Without a lease the name is in etcd under none of ours: a lease
	 * we lost expires with what it held. */
	if (r->etcd->lease[0])
		name_req(r->etcd, REQ_DELETE, name);
}

/* After a put or a delete of name: etcd holds name as the exports say,
 * unless the other kind of request for it crossed this one. */
static void name_settled(struct etcd *et, const struct req *q)
{
	bool exported = resolver_exported(et->r, q->name);
	if (q->kind == REQ_PUT && !exported)
		name_req(et, REQ_DELETE, q->name);
	else if (q->kind == REQ_DELETE && exported && et->lease[0])
		name_req(et, REQ_PUT, q->name);
}

static void grant(struct etcd *et)
{
	et->granting = true;
	et->lease[0] = '\0';
	req_start(et, REQ_GRANT, xasprintf("{\"TTL\":%u}", et->ttl));
}

static uint64_t keepalive_period(const struct etcd *et)
{
	return (uint64_t)et->ttl * 1000 * MS / 3;
}

static int on_grant(struct etcd *et, const char *p, const char *e)
{
	char id[24], ttl[24];
	if (jint(p, e, "ID", id, sizeof(id)) < 0 ||
	    jint(p, e, "TTL", ttl, sizeof(ttl)) < 0 || strcmp(id, "0") == 0)
		return -EPROTO;
	/* etcd may raise a TTL under its minimum: keep alive at its. */
	unsigned long t = strtoul(ttl, NULL, 10);
	if (t > et->ttl && t < 3600)
		et->ttl = (unsigned)t;
	snprintf(et->lease, sizeof(et->lease), "%s", id);
	et->lease_due = now_ns() + keepalive_period(et);
	log_debug("etcd: lease %s, TTL %u s", id, et->ttl);
	for (size_t i = 0; i < et->r->nexports; i++)
		name_req(et, REQ_PUT, et->r->exports[i]);
	return 0;
}

static int on_keepalive(struct etcd *et, const char *p, const char *e)
{
	char ttl[24];
	const char *re, *res = jget(p, e, "result", &re);
	if (!res || jint(res, re, "TTL", ttl, sizeof(ttl)) < 0)
		return -EPROTO;
	if (strcmp(ttl, "0") == 0) {
		/* etcd forgot the lease (it expired while we could not
		 * reach it, or etcd lost its data): our names are gone. */
		log_warn("etcd: lease %s has expired: registering again",
			 et->lease);
		grant(et);
		return 0;
	}
	et->lease_due = now_ns() + keepalive_period(et);
	return 0;
}

/* ---- the table ----------------------------------------------------------- */

static void range(struct etcd *et)
{
	size_t n = strlen(et->prefix);
	cleanup_free char *end = xstrdup(et->prefix);
	end[n - 1]++; /* the prefix ends in '/': '0' follows it */
	cleanup_free char *k = b64(et->prefix, n);
	cleanup_free char *re = b64(end, n);
	et->ranging = true;
	req_start(et, REQ_RANGE,
		  xasprintf("{\"key\":\"%s\",\"range_end\":\"%s\"}", k, re));
}

static void watch(struct etcd *et, const char *rev)
{
	size_t n = strlen(et->prefix);
	cleanup_free char *end = xstrdup(et->prefix);
	end[n - 1]++;
	cleanup_free char *k = b64(et->prefix, n);
	cleanup_free char *re = b64(end, n);
	char from[24];
	snprintf(from, sizeof(from), "%llu",
		 strtoull(rev, NULL, 10) + 1ULL);
	et->watching = true;
	req_start(et, REQ_WATCH,
		  xasprintf("{\"create_request\":{\"key\":\"%s\",\"range_end\":"
			    "\"%s\",\"start_revision\":\"%s\"}}",
			    k, re, from));
}

/* NAME and HOST of a key PREFIX NAME/HOST, into x; -EINVAL if it is not
 * one. */
static int key_names(const struct etcd *et, const char *key, size_t klen,
		     struct resolver_result *x)
{
	size_t plen = strlen(et->prefix);
	const char *slash = klen > plen ? memchr(key + plen, '/', klen - plen) :
					  NULL;
	if (!slash || memcmp(key, et->prefix, plen) != 0 ||
	    (size_t)(slash - key) - plen >= sizeof(x->name) ||
	    strlen(slash + 1) >= sizeof(x->host))
		return -EINVAL;
	memset(x, 0, sizeof(*x));
	memcpy(x->name, key + plen, (size_t)(slash - key) - plen);
	snprintf(x->host, sizeof(x->host), "%s", slash + 1);
	return 0;
}

/* One kv of a range or a watch event, into x: 0 if the entry is
 * accepted (deleted: x names it), 1 if it is refused (logged; x names
 * the entry its key names, which etcd no longer holds as it was), or a
 * negative errno if even its key is unreadable. */
static int read_kv(struct etcd *et, const char *kv, const char *e,
		   bool deleted, struct resolver_result *x)
{
	cleanup_free char *key = NULL, *value = NULL;
	size_t klen, vlen;
	struct error err;
	char shown[160];

	if (jbytes(kv, e, "key", &key, &klen) < 0 ||
	    jbytes(kv, e, "value", &value, &vlen) < 0)
		return -EPROTO;
	if (deleted)
		return key_names(et, key, klen, x);
	if (resolver_entry_parse(et->prefix, key, klen, value, vlen,
				 &et->r->hosts, x, &err) == 0)
		return 0;
	url_sanitize(key, klen, shown, sizeof(shown));
	log_warn("etcd: %s refused: %s", shown, err.msg);
	return key_names(et, key, klen, x) < 0 ? -EINVAL : 1;
}

static int on_range(struct etcd *et, const char *p, const char *e)
{
	char rev[24];
	const char *he, *hdr = jget(p, e, "header", &he);
	if (!hdr || jint(hdr, he, "revision", rev, sizeof(rev)) < 0)
		return -EPROTO;
	struct resolver_result *v = NULL;
	size_t n = 0;
	const char *ke, *kvs = jget(p, e, "kvs", &ke);
	if (kvs && *kvs == '[') {
		const char *q = jws(kvs + 1, ke);
		while (q < ke && *q == '{') {
			const char *qe = jskip(q, ke);
			struct resolver_result x;
			if (!qe)
				break;
			if (n < RESOLVER_NAMES_MAX &&
			    read_kv(et, q, qe, false, &x) == 0) {
				v = realloc(v, (n + 1) * sizeof(*v));
				if (!v)
					log_fatal("out of memory");
				v[n++] = x;
			}
			q = jws(qe, ke);
			if (q < ke && *q == ',')
				q = jws(q + 1, ke);
		}
	}
	resolver_table_replace(et->r, v, n);
	free(v);
	watch(et, rev);
	return 0;
}

/* One message of the watch's stream: {"result":{...,"events":[...]}}. */
static int on_watch_message(struct etcd *et, const char *p, const char *e)
{
	const char *re, *res = jget(p, e, "result", &re);
	const char *ve, *v;
	if (!res)
		return -EPROTO;
	/* Canceled, or compacted past where we asked to start: only a new
	 * range can tell what we missed. */
	if (((v = jget(res, re, "canceled", &ve)) && *v == 't') ||
	    jget(res, re, "compact_revision", &ve))
		return -ESTALE;
	const char *ee, *evs = jget(res, re, "events", &ee);
	if (!evs || *evs != '[')
		return 0;
	for (const char *q = jws(evs + 1, ee); q < ee && *q == '{';) {
		const char *qe = jskip(q, ee);
		if (!qe)
			return -EPROTO;
		const char *te, *t = jget(q, qe, "type", &te);
		const char *kve, *kv = jget(q, qe, "kv", &kve);
		bool deleted = t && te - t == 8 && memcmp(t, "\"DELETE\"", 8) == 0;
		struct resolver_result x;
		int r = kv ? read_kv(et, kv, kve, deleted, &x) : -EPROTO;
		/* A refused value replaces what its key said before: that
		 * entry is no longer etcd's either. */
		if (r == 0 && !deleted)
			resolver_table_set(et->r, &x);
		else if (r >= 0)
			resolver_table_del(et->r, x.name, x.host);
		q = jws(qe, ee);
		if (q < ee && *q == ',')
			q = jws(q + 1, ee);
	}
	return 0;
}

/* Handles each whole message the watch has received so far. */
static void pump_watch(struct etcd *et, struct req *q)
{
	while (q->buf && !et->watch_broken) {
		const char *p = jws(q->buf + q->used, q->buf + q->len);
		const char *e = q->buf + q->len;
		if (p >= e)
			break;
		const char *end = *p == '{' ? jskip(p, e) : NULL;
		if (!end) {
			if (*p != '{')
				et->watch_broken = true;
			break; /* cut short: the rest is on its way */
		}
		int r = on_watch_message(et, p, end);
		if (r < 0) {
			log_warn("etcd: watch: %s: reading the names again",
				 r == -ESTALE ? "canceled or compacted" :
						"unexpected message");
			et->watch_broken = true;
		}
		q->used = (size_t)(end - q->buf);
	}
	if (q->used == q->len && q->buf) {
		q->len = q->used = 0;
	}
}

/* ---- the loop ------------------------------------------------------------ */

static void failed(struct etcd *et, struct req *q, const char *why)
{
	uint64_t due = now_ns() + RESOLVER_RETRY_MS * MS;
	if (!et->down)
		log_warn("etcd at %s: %s: %s; trying again every %d ms",
			 et->base, req_paths[q->kind], why, RESOLVER_RETRY_MS);
	et->down = true;
	switch (q->kind) {
	case REQ_GRANT:
	case REQ_PUT: /* a put refused: the lease is likely gone */
	/* A delete refused: the lease is given up, so that what it held
	 * expires with it, and a new one gets the names still exported. */
	case REQ_DELETE:
		et->granting = false;
		et->lease[0] = '\0';
		et->lease_due = due;
		break;
	case REQ_KEEPALIVE:
		et->keeping = false;
		et->lease_due = due;
		break;
	case REQ_RANGE:
	case REQ_WATCH:
		et->ranging = et->watching = false;
		et->watch_due = due;
		break;
	}
}

static void done(struct etcd *et, struct req *q, CURLcode cc)
{
	long status = 0;
	char why[160];
	int r = 0;

	curl_easy_getinfo(q->h, CURLINFO_RESPONSE_CODE, &status);
	if (q->kind == REQ_WATCH) {
		pump_watch(et, q);
		failed(et, q, et->watch_broken ? "watch ended" :
			      cc != CURLE_OK ? curl_easy_strerror(cc) :
					       "watch ended");
		et->watch_broken = false;
		return;
	}
	if (cc != CURLE_OK) {
		failed(et, q, q->overflow ? "reply too large" :
				  curl_easy_strerror(cc));
		return;
	}
	const char *p = q->buf ? q->buf : "", *e = p + q->len;
	if (status != 200) {
		const char *me, *m = jget(p, e, "message", &me);
		char msg[100] = "";
		if (m)
			url_sanitize(m, (size_t)(me - m), msg, sizeof(msg));
		snprintf(why, sizeof(why), "HTTP %ld %s", status, msg);
		failed(et, q, why);
		return;
	}
	switch (q->kind) {
	case REQ_GRANT:
		et->granting = false;
		r = on_grant(et, p, e);
		break;
	case REQ_KEEPALIVE:
		et->keeping = false;
		r = on_keepalive(et, p, e);
		break;
	case REQ_RANGE:
		et->ranging = false;
		r = on_range(et, p, e);
		break;
	case REQ_PUT:
	case REQ_DELETE:
		name_settled(et, q);
		break;
	case REQ_WATCH:
		break;
	}
	if (r < 0) {
		failed(et, q, "unexpected reply");
		return;
	}
	if (et->down)
		log_info("etcd at %s answers again", et->base);
	et->down = false;
}

static void finished(void *arg, void *priv, CURLcode cc)
{
	done(arg, priv, cc);
	req_free(priv);
}

/* After curl ran: the watch's new messages, then finished requests. */
static void pump(struct etcd *et)
{
	for (struct req *q = et->reqs; q; q = q->next)
		if (q->kind == REQ_WATCH && q->len > q->used)
			pump_watch(et, q);
	/* A broken watch is ended here, outside curl's callbacks. */
	for (struct req *q = et->reqs; q && et->watch_broken; q = q->next) {
		if (q->kind == REQ_WATCH) {
			done(et, q, CURLE_OK);
			req_free(q);
			break;
		}
	}
	curl_loop_finished(&et->cl, finished, et);
}

int etcd_fd(const struct resolver *r)
{
	return r->etcd->cl.epfd;
}

uint64_t etcd_next_timeout_ns(const struct resolver *r)
{
	const struct etcd *et = r->etcd;
	uint64_t t = et->cl.due;
	if (!et->granting && !et->keeping && et->lease_due < t)
		t = et->lease_due;
	if (!et->ranging && !et->watching && et->watch_due < t)
		t = et->watch_due;
	return t;
}

void etcd_on_readable(struct resolver *r)
{
	struct etcd *et = r->etcd;
	curl_loop_on_readable(&et->cl);
	pump(et);
}

void etcd_on_timer(struct resolver *r)
{
	struct etcd *et = r->etcd;
	uint64_t now = now_ns();
	curl_loop_on_timer(&et->cl);
	if (!et->granting && !et->keeping && et->lease_due <= now) {
		et->lease_due = UINT64_MAX;
		if (et->lease[0]) {
			et->keeping = true;
			req_start(et, REQ_KEEPALIVE,
				  xasprintf("{\"ID\":\"%s\"}", et->lease));
		} else {
			grant(et);
		}
	}
	if (!et->ranging && !et->watching && et->watch_due <= now) {
		et->watch_due = UINT64_MAX;
		range(et);
	}
	pump(et);
}

int etcd_open(struct resolver *r, const struct resolver_opts *o,
	      struct error *e)
{
	const char *base = o->etcd_url ? o->etcd_url : RESOLVER_ETCD_DEFAULT;
	const char *prefix = o->prefix ? o->prefix : RESOLVER_PREFIX_DEFAULT;
	size_t n = strlen(prefix);

	if (strncmp(base, "http://", 7) != 0 &&
	    strncmp(base, "https://", 8) != 0)
		return error_set(e, EINVAL, "etcd: '%s' is not an http(s) URL",
				 base);
	if (n < 2 || prefix[0] != '/' || prefix[n - 1] != '/')
		return error_set(e, EINVAL, "etcd: prefix '%s' does not start "
				 "and end with '/'", prefix);
	struct etcd *et = xcalloc(1, sizeof(*et));
	r->etcd = et;
	et->r = r;
	int ret = curl_loop_open(&et->cl, "etcd", e);
	et->base = xstrdup(base);
	for (size_t l = strlen(et->base); l && et->base[l - 1] == '/'; l--)
		et->base[l - 1] = '\0';
	et->prefix = xstrdup(prefix);
	et->ttl = o->ttl_s ? o->ttl_s : RESOLVER_TTL_DEFAULT;
	/* Both machines start at the first on_timer: now. */
	et->lease_due = et->watch_due = now_ns();
	return ret;
}

/* Revokes the lease, so that our names vanish now rather than after the
 * TTL: the one wait in this file, bounded by RESOLVER_CLOSE_MS. */
static void lease_revoke(struct etcd *et)
{
	struct req *q = req_new(et, REQ_KEEPALIVE,
				xasprintf("{\"ID\":\"%s\"}", et->lease));
	free(q->url);
	q->url = xasprintf("%s/v3/lease/revoke", et->base);
	curl_easy_setopt(q->h, CURLOPT_URL, q->url);
	curl_easy_setopt(q->h, CURLOPT_TIMEOUT_MS, (long)RESOLVER_CLOSE_MS);
	CURLcode cc = curl_easy_perform(q->h);
	if (cc != CURLE_OK)
		log_warn("etcd at %s: revoking lease %s: %s", et->base,
			 et->lease, curl_easy_strerror(cc));
	req_release(q);
}

void etcd_close(struct resolver *r)
{
	struct etcd *et = r->etcd;
	while (et->reqs) {
		struct req *q = et->reqs;
		et->reqs = q->next;
		req_release(q);
	}
	if (et->lease[0] && et->cl.m)
		lease_revoke(et);
	curl_loop_close(&et->cl);
	free(et->base);
	free(et->prefix);
	free(et);
	r->etcd = NULL;
}
