/* httpgw.c — fakeosd's HTTP gateway (httpgw.h).
 *
 * Shape: one struct hreq per link, each with its own curl easy handle in
 * one multi handle, driven as resolver_etcd.c drives its own (curl_loop.h):
 * curl's sockets in an epoll set of ours (watched in the broker's loop),
 * its timer and every request's deadline on one timerfd. Nothing here
 * waits.
 *
 * Back-pressure both ways, so that no body is ever held whole:
 * - GET: what curl hands over goes to the program's pipe; when the pipe
 *   is full, at most one of curl's chunks waits here (out), curl is
 *   paused (CURL_WRITEFUNC_PAUSE), and the pipe's room resumes it.
 * - PUT: curl reads the body from the program's pipe one datagram at a
 *   time; an empty pipe pauses curl (CURL_READFUNC_PAUSE) until data.
 *
 * curl may call back into this file from any call into curl, so a
 * callback never frees a request: it marks it, and the entry points end
 * requests (finish) and free them (reap) after curl has returned. */
#include "httpgw.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "broker.h"
#include "broker_int.h"
#include "curl_loop.h"
#include "dgq.h"
#include "hash.h"
#include "httpgw_wire.h"
#include "log.h"
#include "url.h"

#define MS 1000000ULL

struct hreq {
	struct hreq *next;
	struct httpgw *g;
	uid_t uid; /* the calling program's account */
	char who[96]; /* "uid 1000 (PROGRAM URL)" for messages */
	char sha[HASH_HEX_SIZE];
	int rd, wr; /* what the program sends; what it receives */
	struct broker_watch *w_rd, *w_wr;
	uint64_t deadline; /* ns, CLOCK_MONOTONIC */
	uint64_t body_max;
	/* The request, once it came. */
	struct httpgw_req req;
	char *url; /* the hop being asked */
	unsigned hops;
	CURL *h;
	struct curl_slist *hdrs;
	char errbuf[CURL_ERROR_SIZE];
	/* PUT: the datagram being handed to curl. */
	uint8_t in[FK_PAGE_SIZE];
	size_t in_len, in_off;
	uint64_t put_got;
	bool read_paused;
	/* The answer. */
	struct dgq out; /* for the program's pipe */
	bool write_paused;
	bool redirect; /* this response is a hop to follow: body dropped */
	bool status_sent;
	uint64_t bytes; /* body bytes sent (or dropped, for a hop) */
	int fail; /* set in a callback: why curl was stopped */
	char fail_why[160];
	bool finishing; /* END queued: close once the queue is out */
	bool dead;
};

struct httpgw {
	struct broker *b;
	struct httpgw_opts o;
	struct curl_loop cl;
	int tfd;
	struct broker_watch *w_ep, *w_t;
	struct hreq *reqs;
	unsigned n;
};

static void on_rd(void *arg, uint32_t events);
static void on_wr(void *arg, uint32_t events);

/* --- the answer's datagrams -------------------------------------------- */

/* Writes queued datagrams to the program's pipe while it has room; a
 * program whose end is gone gets nothing more. */
static void flush(struct hreq *q)
{
	if (q->wr >= 0 && dgq_flush(&q->out, q->wr) < 0) {
		/* EPIPE: the program closed the link or ended. */
		q->fail = -EPIPE;
		dgq_clear(&q->out);
	}
	bool want = !dgq_empty(&q->out);
	if (want && !q->w_wr &&
	    broker_watch(q->g->b, q->wr, EPOLLOUT, on_wr, q, &q->w_wr) < 0)
		q->fail = -ENOMEM;
	else if (!want && q->w_wr) {
		broker_unwatch(q->g->b, q->wr, q->w_wr);
		q->w_wr = NULL;
	}
}

static void put_status(struct hreq *q, int status, int64_t length,
		       const char *reason)
{
	uint8_t buf[FK_PAGE_SIZE];
	size_t n = httpgw_pack_status(buf, status, length, reason);
	dgq_push(&q->out, buf, n);
	q->status_sent = true;
}

/* Ends the request with status (0: the answer is whole): STATUS first if
 * none went yet, then END, and the link closes once they are out. Never
 * from a curl callback. */
static void finish(struct hreq *q, int status, const char *reason)
{
	struct httpgw *g = q->g;
	if (q->finishing)
		return;
	if (q->h) {
		curl_multi_remove_handle(g->cl.m, q->h);
		curl_easy_cleanup(q->h);
		q->h = NULL;
	}
	if (status < 0)
		log_info("%s: %s %s: %s", q->who,
			 q->req.method == FK_HTTP_PUT ? "PUT" : "GET",
			 q->url ? q->url : "(no request)",
			 reason && reason[0] ? reason : strerror(-status));
	if (!q->status_sent)
		put_status(q, status, -1, reason);
	uint8_t buf[FK_PAGE_SIZE];
	size_t n = httpgw_pack_end(buf, status, q->bytes,
				   status < 0 ? reason : "");
	dgq_push(&q->out, buf, n);
	q->finishing = true;
	flush(q);
	if (dgq_empty(&q->out))
		q->dead = true;
}

static void hreq_free(struct hreq *q)
{
	struct httpgw *g = q->g;
	if (q->h) {
		curl_multi_remove_handle(g->cl.m, q->h);
		curl_easy_cleanup(q->h);
	}
	curl_slist_free_all(q->hdrs);
	if (q->w_rd)
		broker_unwatch(g->b, q->rd, q->w_rd);
	if (q->w_wr)
		broker_unwatch(g->b, q->wr, q->w_wr);
	if (q->rd >= 0)
		close(q->rd);
	if (q->wr >= 0)
		close(q->wr);
	dgq_clear(&q->out);
	free(q->req.url);
	free(q->url);
	free(q);
}

/* Frees dead requests, and re-arms the timer: the end of every entry. */
static void reap(struct httpgw *g)
{
	uint64_t due = g->cl.due;
	for (struct hreq **pp = &g->reqs; *pp;) {
		struct hreq *q = *pp;
		if (q->fail == -EPIPE && !q->finishing) {
			/* The program went: nobody to answer. */
			finish(q, -EPIPE, "the program closed the link");
			q->dead = true;
		}
		if (!q->dead) {
			if (q->deadline < due)
				due = q->deadline;
			pp = &q->next;
			continue;
		}
		*pp = q->next;
		g->n--;
		hreq_free(q);
	}
	struct itimerspec it = { 0 };
	if (due != UINT64_MAX) {
		/* 0 would disarm it: a due time that has passed is 1 ns. */
		it.it_value.tv_sec = (time_t)(due / 1000000000ULL);
		it.it_value.tv_nsec = (long)(due % 1000000000ULL);
		if (!due)
			it.it_value.tv_nsec = 1;
	}
	(void)timerfd_settime(g->tfd, TFD_TIMER_ABSTIME, &it, NULL);
}

/* --- curl's callbacks ---------------------------------------------------- */

/* NOLINTNEXTLINE(readability-non-const-parameter): curl's callback type */
static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct hreq *q = arg;
	size_t len = size * n;
	/* The blank line ends a response's header: its status is known. */
	if (!(len == 2 && p[0] == '\r' && p[1] == '\n') &&
	    !(len == 1 && p[0] == '\n'))
		return len;
	long code = 0;
	curl_easy_getinfo(q->h, CURLINFO_RESPONSE_CODE, &code);
	if (code < 200)
		return len; /* 100 Continue and the like: another follows */
	q->redirect = q->req.method == FK_HTTP_GET &&
		      (code == 301 || code == 302 || code == 303 ||
		       code == 307 || code == 308);
	if (q->redirect)
		return len;
	curl_off_t cl = -1;
	curl_easy_getinfo(q->h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
	if (cl >= 0 && (uint64_t)cl > q->body_max) {
		q->fail = -EFBIG;
		return 0;
	}
	put_status(q, (int)code, cl, "");
	flush(q);
	return len;
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct hreq *q = arg;
	size_t len = size * n;
	if (q->redirect) {
		/* A hop's own body is nobody's: dropped, but counted, so an
		 * endless one ends at the limit. */
		q->bytes += len;
		if (q->bytes > q->body_max)
			q->fail = -EFBIG;
		return q->fail ? 0 : len;
	}
	/* One chunk of curl's at most waits here: while one does, curl
	 * is paused, and whatever it has stays in its own buffer. */
	flush(q);
	if (q->fail)
		return 0;
	if (!dgq_empty(&q->out)) {
		q->write_paused = true;
		return CURL_WRITEFUNC_PAUSE;
	}
	/* A body without a length that runs over the limit: the program
	 * gets it up to the limit exactly, then END says it was cut. */
	size_t take = len;
	if (q->bytes + len > q->body_max) {
		take = (size_t)(q->body_max - q->bytes);
		q->fail = -EFBIG;
	}
	uint8_t buf[FK_PAGE_SIZE];
	for (size_t o = 0; o < take; o += FK_HTTP_CHUNK) {
		size_t k = take - o < FK_HTTP_CHUNK ? take - o : FK_HTTP_CHUNK;
		buf[0] = FK_HTTP_BODY;
		memcpy(buf + 1, p + o, k);
		dgq_push(&q->out, buf, k + 1);
	}
	q->bytes += take;
	flush(q);
	return q->fail ? 0 : len;
}

static size_t on_read(char *buf, size_t size, size_t n, void *arg)
{
	struct hreq *q = arg;
	size_t cap = size * n;
	if (q->in_off == q->in_len) {
		if (q->put_got == q->req.length)
			return 0; /* the whole body is sent */
		ssize_t r;
		do
			r = read(q->rd, q->in, sizeof(q->in));
		while (r < 0 && errno == EINTR);
		if (r < 0 && errno == EAGAIN) {
			q->read_paused = true;
			if (!q->w_rd && broker_watch(q->g->b, q->rd, EPOLLIN,
						     on_rd, q, &q->w_rd) < 0) {
				q->fail = -ENOMEM;
				return CURL_READFUNC_ABORT;
			}
			return CURL_READFUNC_PAUSE;
		}
		if (r <= 0) {
			q->fail = -ECONNRESET;
			snprintf(q->fail_why, sizeof(q->fail_why),
				 "the program closed the link after %llu of "
				 "the body's %llu bytes",
				 (unsigned long long)q->put_got,
				 (unsigned long long)q->req.length);
			return CURL_READFUNC_ABORT;
		}
		if (q->put_got + (uint64_t)r > q->req.length) {
			q->fail = -EPROTO;
			snprintf(q->fail_why, sizeof(q->fail_why),
				 "the program sent more than the %llu bytes "
				 "its request said",
				 (unsigned long long)q->req.length);
			return CURL_READFUNC_ABORT;
		}
		q->in_len = (size_t)r;
		q->in_off = 0;
		q->put_got += (uint64_t)r;
	}
	size_t k = q->in_len - q->in_off < cap ? q->in_len - q->in_off : cap;
	memcpy(buf, q->in + q->in_off, k);
	q->in_off += k;
	return k;
}

/* --- a request ------------------------------------------------------------ */

static void policy(struct hreq *q, struct httpgw_policy *pol)
{
	memset(pol, 0, sizeof(*pol));
	q->g->o.policy(q->g->o.arg, q->uid, pol);
}

/* 0 if url is in uid's allow-list, else -EACCES with why. */
static int check_allowed(struct hreq *q, const char *url, char *why,
			 size_t cap)
{
	struct httpgw_policy pol;
	policy(q, &pol);
	if (httpgw_allowed(pol.allow, pol.nallow, url))
		return 0;
	char shown[256];
	url_sanitize(url, strlen(url), shown, sizeof(shown));
	snprintf(why, cap, "%s is not in the allow-list of uid %u "
		 "(http-allow in fakeosd.conf)%s", shown, (unsigned)q->uid,
		 pol.nallow ? "" : ", which has no entry");
	return -EACCES;
}

static long ms_left(const struct hreq *q)
{
	uint64_t now = now_ns();
	return q->deadline > now ? (long)((q->deadline - now) / MS) + 1 : 1;
}

/* Asks q->url: the request's, or a hop's. */
static int ask(struct hreq *q)
{
	struct httpgw *g = q->g;
	if (!q->h) {
		q->h = curl_easy_init();
		if (!q->h)
			return -ENOMEM;
		CURL *h = q->h;
		curl_easy_setopt(h, CURLOPT_PRIVATE, q);
		curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(h, CURLOPT_ERRORBUFFER, q->errbuf);
		/* Hops are followed here, each checked before it is asked:
		 * curl's own following would connect first. */
		curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
		curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(h, CURLOPT_USERAGENT,
				 "fakeosd-http/" FAKEOS_VERSION);
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, q->hdrs);
		curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(h, CURLOPT_HEADERDATA, q);
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, q);
		curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE,
				 (curl_off_t)(q->body_max > INT64_MAX ?
						      INT64_MAX :
						      q->body_max));
		if (q->req.method == FK_HTTP_PUT) {
			curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
			curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
			curl_easy_setopt(h, CURLOPT_READDATA, q);
			curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE,
					 (curl_off_t)q->req.length);
		}
	} else {
		curl_multi_remove_handle(g->cl.m, q->h);
	}
	q->redirect = false;
	q->bytes = 0;
	q->errbuf[0] = '\0';
	/* The time limit is the request's, redirects included. */
	curl_easy_setopt(q->h, CURLOPT_TIMEOUT_MS, ms_left(q));
	curl_easy_setopt(q->h, CURLOPT_URL, q->url);
	if (curl_multi_add_handle(g->cl.m, q->h) != CURLM_OK)
		return -ENOMEM;
	return 0;
}

/* The program's request, the link's first datagram. */
static void on_request(struct hreq *q)
{
	struct httpgw *g = q->g;
	uint8_t buf[FK_PAGE_SIZE];
	ssize_t n;
	do
		n = read(q->rd, buf, sizeof(buf));
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return;
	if (n <= 0) { /* closed before asking */
		q->dead = true;
		return;
	}
	/* From now on the pipe is read only for a PUT's body, by curl. */
	broker_unwatch(g->b, q->rd, q->w_rd);
	q->w_rd = NULL;
	struct error e;
	int r = httpgw_parse_request(buf, (size_t)n, &q->req, &e);
	if (r < 0) {
		finish(q, r, e.msg);
		return;
	}
	q->url = xstrdup(q->req.url);
	char why[512];
	struct httpgw_policy pol;
	policy(q, &pol);
	unsigned mine = 0;
	for (struct hreq *o = g->reqs; o; o = o->next)
		mine += o != q && o->url && !o->finishing && o->uid == q->uid;
	if ((r = check_allowed(q, q->url, why, sizeof(why))) < 0) {
		finish(q, r, why);
	} else if (mine >= pol.requests) {
		snprintf(why, sizeof(why), "uid %u has %u requests under way, "
			 "its limit (http-requests in fakeosd.conf)",
			 (unsigned)q->uid, mine);
		finish(q, -EAGAIN, why);
	} else if (q->req.method == FK_HTTP_PUT &&
		   q->req.length > q->body_max) {
		snprintf(why, sizeof(why), "a body of %llu bytes is over the "
			 "limit of %llu (http-body-max in fakeosd.conf)",
			 (unsigned long long)q->req.length,
			 (unsigned long long)q->body_max);
		finish(q, -EFBIG, why);
	} else if ((r = ask(q)) < 0) {
		finish(q, r, "the gateway could not start the request");
	} else {
		log_debug("%s: %s %s", q->who,
			  q->req.method == FK_HTTP_PUT ? "PUT" : "GET", q->url);
	}
}

/* The request's time is up: curl's timeout or the gateway's deadline,
 * whichever came first, said the one way. */
static void timed_out(struct hreq *q)
{
	char why[128];
	struct httpgw_policy pol;
	policy(q, &pol);
	snprintf(why, sizeof(why), "no answer within the time limit of %llu "
		 "ms (http-time-limit in fakeosd.conf)",
		 (unsigned long long)pol.time_limit_ms);
	finish(q, -ETIMEDOUT, why);
}

/* A hop's answer is in: the next URL, checked before it is asked. */
static void follow(struct hreq *q)
{
	char *loc = NULL;
	long code = 0;
	curl_easy_getinfo(q->h, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_getinfo(q->h, CURLINFO_REDIRECT_URL, &loc);
	char why[512], shown[256];
	if (!loc) { /* a 3xx with no Location: the program's to read */
		put_status(q, (int)code, 0, "");
		q->bytes = 0;
		finish(q, 0, "");
		return;
	}
	url_sanitize(loc, strlen(loc), shown, sizeof(shown));
	if (q->hops >= HTTPGW_REDIRECTS_MAX) {
		snprintf(why, sizeof(why), "more than %d redirects (the "
			 "next to %s)", HTTPGW_REDIRECTS_MAX, shown);
		finish(q, -ELOOP, why);
		return;
	}
	struct error e;
	char *next = NULL;
	/* The same rule as a program's fetch (no https to http), then
	 * the gateway's own. */
	int r = url_check_redirect(q->url, loc, &e);
	if (r < 0) {
		finish(q, -EACCES, e.msg);
		return;
	}
	if (httpgw_normalize(loc, &next, &e) < 0) {
		snprintf(why, sizeof(why), "redirect to %s refused: %.200s",
			 shown, e.msg);
		finish(q, -EACCES, why);
		return;
	}
	char inner[400];
	if (check_allowed(q, next, inner, sizeof(inner)) < 0) {
		snprintf(why, sizeof(why), "redirect refused: %s", inner);
		free(next);
		finish(q, -EACCES, why);
		return;
	}
	q->hops++;
	log_debug("%s: redirect %u: %s", q->who, q->hops, next);
	free(q->url);
	q->url = next;
	if ((r = ask(q)) < 0)
		finish(q, r, "the gateway could not follow the redirect");
}

/* curl ended q's transfer with cc. */
static void done(struct hreq *q, CURLcode cc)
{
	char why[256];
	int s = q->fail;
	if (s == -EPIPE)
		return; /* reap ends it: nobody to tell */
	if (cc == CURLE_OK) {
		long code = 0;
		curl_easy_getinfo(q->h, CURLINFO_RESPONSE_CODE, &code);
		if (q->redirect) {
			follow(q);
			return;
		}
		if (!q->status_sent) /* no header's end was seen */
			put_status(q, (int)code, (int64_t)q->bytes, "");
		log_debug("%s: %s %s: HTTP %ld, %llu bytes", q->who,
			  q->req.method == FK_HTTP_PUT ? "PUT" : "GET", q->url,
			  code, (unsigned long long)q->bytes);
		finish(q, 0, "");
		return;
	}
	if (s == -EFBIG || cc == CURLE_FILESIZE_EXCEEDED) {
		snprintf(why, sizeof(why), "the body is over the limit of %llu "
			 "bytes (http-body-max in fakeosd.conf)",
			 (unsigned long long)q->body_max);
		finish(q, -EFBIG, why);
		return;
	}
	if (s < 0 && q->fail_why[0]) {
		finish(q, s, q->fail_why);
		return;
	}
	switch (cc) {
	case CURLE_OPERATION_TIMEDOUT:
		timed_out(q);
		return;
	case CURLE_COULDNT_CONNECT:
		s = -ECONNREFUSED;
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
		s = -EHOSTUNREACH;
		break;
	default:
		s = s < 0 ? s : -EIO;
	}
	snprintf(why, sizeof(why), "%s",
		 q->errbuf[0] ? q->errbuf : curl_easy_strerror(cc));
	finish(q, s, why);
}

static void finished(void *arg, void *priv, CURLcode cc)
{
	(void)arg;
	done(priv, cc);
}

/* What curl finished, after any call into curl. */
static void pump(struct httpgw *g)
{
	curl_loop_finished(&g->cl, finished, NULL);
	reap(g);
}

/* --- the program's pipes -------------------------------------------------- */

static void on_rd(void *arg, uint32_t events)
{
	(void)events;
	struct hreq *q = arg;
	struct httpgw *g = q->g;
	if (!q->url && !q->finishing) {
		on_request(q);
	} else if (q->read_paused) {
		/* A PUT's body has more: curl reads it in on_read. */
		broker_unwatch(g->b, q->rd, q->w_rd);
		q->w_rd = NULL;
		q->read_paused = false;
		if (q->h)
			curl_easy_pause(q->h, CURLPAUSE_CONT);
	}
	pump(g);
}

static void on_wr(void *arg, uint32_t events)
{
	(void)events;
	struct hreq *q = arg;
	flush(q);
	if (dgq_empty(&q->out) && q->finishing)
		q->dead = true;
	else if (dgq_empty(&q->out) && q->write_paused && q->h) {
		q->write_paused = false;
		curl_easy_pause(q->h, CURLPAUSE_CONT);
	}
	pump(q->g);
}

/* --- the broker's hook ---------------------------------------------------- */

static bool own_link(void *arg, struct prog *p, int32_t handle,
		     const char *name)
{
	struct httpgw *g = arg;
	if (strcmp(name, FK_HTTP_NAME) != 0)
		return false;
	if (g->n >= HTTPGW_REQUESTS_MAX) {
		log_warn("%s: link to %s refused: %d requests under way on "
			 "this host", p->url, name, HTTPGW_REQUESTS_MAX);
		send_closed(p, handle, -EAGAIN);
		return true;
	}
	int fds[2];
	int s = link_to_broker(p, name, 0, fds);
	if (s < 0) {
		send_closed(p, handle, s);
		return true;
	}
	struct hreq *q = xcalloc(1, sizeof(*q));
	q->g = g;
	q->rd = fds[0];
	q->wr = fds[1];
	q->uid = (uid_t)p->t->scope;
	hash_hex(p->sha256, q->sha);
	char shown[64];
	url_sanitize(p->url, strlen(p->url), shown, sizeof(shown));
	snprintf(q->who, sizeof(q->who), "uid %u (%s)", (unsigned)q->uid,
		 shown);
	struct httpgw_policy pol;
	policy(q, &pol);
	q->body_max = pol.body_max;
	q->deadline = now_ns() + pol.time_limit_ms * MS;
	/* Who asks, for the origin's logs: the gateway vouches for these,
	 * but an origin reachable by other means cannot tell them from a
	 * forgery (docs/SECURITY.md). No "Expect: 100-continue": a round
	 * trip for nothing, the body is bounded already. */
	char hdr[128];
	snprintf(hdr, sizeof(hdr), "Fakeos-Account: %u", (unsigned)q->uid);
	q->hdrs = curl_slist_append(q->hdrs, hdr);
	snprintf(hdr, sizeof(hdr), "Fakeos-Program: sha256=%s", q->sha);
	q->hdrs = curl_slist_append(q->hdrs, hdr);
	q->hdrs = curl_slist_append(q->hdrs, "Expect:");
	q->next = g->reqs;
	g->reqs = q;
	g->n++;
	if (!q->hdrs ||
	    broker_watch(g->b, q->rd, EPOLLIN, on_rd, q, &q->w_rd) < 0)
		q->dead = true;
	struct proto_peer who;
	memset(&who, 0, sizeof(who));
	snprintf(who.url, sizeof(who.url), "%s", FK_HTTP_NAME);
	send_opened_who(p, PROTO_OPENED, handle, (uint32_t)s, &who, 0, 0);
	reap(g);
	return true;
}

/* --- curl's sockets and the timer ---------------------------------------- */

static void on_ep(void *arg, uint32_t events)
{
	(void)events;
	struct httpgw *g = arg;
	curl_loop_on_readable(&g->cl);
	pump(g);
}

static void on_timer(void *arg, uint32_t events)
{
	(void)events;
	struct httpgw *g = arg;
	uint64_t expirations;
	(void)!read(g->tfd, &expirations, sizeof(expirations));
	uint64_t now = now_ns();
	curl_loop_on_timer(&g->cl);
	pump(g);
	for (struct hreq *q = g->reqs; q; q = q->next) {
		if (q->dead || q->deadline > now)
			continue;
		timed_out(q);
		/* A program that does not read loses the END: the time is
		 * up for its link too. */
		q->dead = true;
	}
	reap(g);
}

/* --- open and close --------------------------------------------------------- */

int httpgw_open(struct broker *b, const struct httpgw_opts *o,
		struct httpgw **out, struct error *e)
{
	struct httpgw *g = xcalloc(1, sizeof(*g));
	g->b = b;
	g->o = *o;
	g->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	int r = curl_loop_open(&g->cl, "http gateway", e);
	if (r == 0 && g->tfd < 0)
		r = error_sys(e, errno, "http gateway: timerfd_create");
	if (r == 0 &&
	    ((r = broker_watch(b, g->cl.epfd, EPOLLIN, on_ep, g, &g->w_ep)) < 0 ||
	     (r = broker_watch(b, g->tfd, EPOLLIN, on_timer, g, &g->w_t)) < 0))
		error_sys(e, -r, "http gateway: epoll");
	if (r < 0) {
		httpgw_close(g);
		return r;
	}
	b->own_link = own_link;
	b->own_arg = g;
	*out = g;
	return 0;
}

void httpgw_close(struct httpgw *g)
{
	if (!g)
		return;
	if (g->b->own_arg == g) {
		g->b->own_link = NULL;
		g->b->own_arg = NULL;
	}
	while (g->reqs) {
		struct hreq *q = g->reqs;
		g->reqs = q->next;
		hreq_free(q);
	}
	if (g->w_ep)
		broker_unwatch(g->b, g->cl.epfd, g->w_ep);
	if (g->w_t)
		broker_unwatch(g->b, g->tfd, g->w_t);
	curl_loop_close(&g->cl);
	if (g->tfd >= 0)
		close(g->tfd);
	free(g);
}

void httpgw_counts(const struct httpgw *g, unsigned *requests,
		   uint64_t *held)
{
	*requests = 0;
	*held = 0;
	for (const struct hreq *q = g ? g->reqs : NULL; q; q = q->next) {
		(*requests)++;
		*held += q->out.bytes;
	}
}
