/* remote_probe — both ends of a link across hosts, for
 * test/integration/test_remote.sh and test_remote_faults.sh. Nothing in it knows the link is remote:
 * that is the point. Prints what it observed, one fact a line.
 *
 *   remote_probe serve NAME        serves NAME for ever; for each client
 *                                  prints "incoming uid=U host=H url=URL
 *                                  sha256=HEX" (fk_peer) and echoes every
 *                                  datagram back
 *   remote_probe echo NAME         links to NAME, prints who serves it,
 *                                  sends datagrams of 1, 64 and 4096
 *                                  bytes and checks each echo byte for
 *                                  byte, in order: "echoed 3 datagrams",
 *                                  and exits
 *   remote_probe echo-wait NAME    the same, then waits (60 s at most) for
 *                                  the link to end: "closed, status S
 *                                  after MS ms", timed from the line
 *                                  "waiting"
 *   remote_probe sink NAME         serves NAME for ever; checks that the
 *                                  datagrams of each link are flood's, in
 *                                  order, byte for byte, once; on flood's
 *                                  "END" answers "got N bad B" and prints
 *                                  it; prints "sink closed, status S, got
 *                                  N bad B" for a link that ends first
 *   remote_probe flood NAME LINKS N SIZES MODE [MARK]
 *                                  opens LINKS links to NAME, one after
 *                                  another, and sends N datagrams on
 *                                  each, their sizes cycling through
 *                                  SIZES (e.g. 12,64,4096: 12 bytes at
 *                                  least): a header (link, sequence
 *                                  number, length), then bytes made from
 *                                  link and number, or MARK repeated.
 *                                  MODE echo: at most 8 unanswered a link
 *                                  (the server is `serve`); every echo is
 *                                  checked, in order, once. MODE pause:
 *                                  the same, with "paused" printed and 3 s
 *                                  of silence at half way. MODE sink: all
 *                                  sent, then "END" (the server is
 *                                  `sink`), whose answer must be "got N
 *                                  bad 0". Prints "done links=L
 *                                  datagrams=D", or "link I: closed,
 *                                  status S, echoed E of sent T" for a
 *                                  link that ends first (exit 3). Prints
 *                                  "progress" once 1000 came back.
 *   remote_probe hold NAME N keep|close MS
 *                                  links to NAME and asks its server
 *                                  for N datagrams of 4096 bytes, each
 *                                  numbered, after which the server
 *                                  keeps the link open or closes it;
 *                                  prints "first" at the first of them,
 *                                  then reads nothing for MS ms (what
 *                                  comes meanwhile waits in the pipe
 *                                  and the daemon), then reads every
 *                                  datagram in order until the link
 *                                  ends (60 s at most): "closed, status
 *                                  S after T ms, K of N datagrams
 *                                  before", timed from "first"
 *   remote_probe many NAME K [MS]  opens K links to NAME at once and
 *                                  waits for every answer: "opened O of
 *                                  K, refused R, status S" (S: the
 *                                  first refusal's, or 0), holds the
 *                                  open ones MS ms more (0), and exits
 * A server asked "burst N keep|close" on a link sends those N datagrams
 * (not an echo); its "incoming" line ends with "links=L", the links the
 * client's party holds to it (FK_EV_INCOMING's status). */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fakeos.h"

#define SEC_NS 1000000000ULL

static int fail(const char *what, long got)
{
	printf("FAIL: %s (got %ld)\n", what, got);
	return 1;
}

static void hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

/* The server's side of hold: n numbered datagrams of a page on link,
 * then it closes the link if asked to. */
static void burst(fk_handle link, const char *req, size_t len)
{
	char text[64];
	static unsigned char page[4096];
	memcpy(text, req, len < sizeof(text) ? len : sizeof(text) - 1);
	text[len < sizeof(text) ? len : sizeof(text) - 1] = 0;
	unsigned n = (unsigned)strtoul(text + 6, NULL, 10);
	for (uint32_t i = 0; i < n; i++) {
		memset(page, (int)(i & 0xff), sizeof(page));
		memcpy(page, &i, sizeof(i));
		int r = fk_send(link, page, sizeof(page));
		if (r < 0)
			printf("burst send %u failed: %d\n", i, r);
	}
	printf("sent %u datagrams\n", n);
	fflush(stdout);
	if (strstr(text, "close"))
		fk_close(link);
}

static int serve(const char *name)
{
	fk_handle s = fk_serve(name);
	if (s <= 0)
		return fail("fk_serve", s);
	for (;;) {
		struct fk_event ev;
		if (fk_wait(&ev, 1, -1) != 1)
			continue;
		if (ev.type == FK_EV_CLOSED && ev.handle == s)
			return fail("the name was refused", ev.status);
		if (ev.type == FK_EV_INCOMING) {
			struct fk_peer who;
			char sha[65];
			if (fk_peer(ev.handle, &who) < 0)
				return fail("fk_peer", 0);
			hex(who.sha256, 32, sha);
			printf("incoming uid=%u host=%s url=%s sha256=%s "
			       "links=%d\n",
			       (unsigned)who.uid, who.host[0] ? who.host : "-",
			       who.url, sha, ev.status);
			fflush(stdout);
		} else if (ev.type == FK_EV_DATA && ev.len > 6 &&
			   !memcmp(ev.data, "burst ", 6)) {
			burst(ev.handle, ev.data, ev.len);
		} else if (ev.type == FK_EV_DATA) {
			/* Echo; a full link drops nothing: the test's client
			 * waits for each echo before the next. */
			int r = fk_send(ev.handle, ev.data, ev.len);
			if (r < 0)
				printf("echo failed: %d\n", r);
		}
		fk_release(&ev);
	}
}

/* The next event for h within 30 s, or 0. */
static int next(fk_handle h, struct fk_event *ev)
{
	uint64_t end = fk_now() + 30 * SEC_NS;
	while (fk_now() < end) {
		if (fk_wait(ev, 1, (int64_t)(end - fk_now())) != 1)
			continue;
		if (ev->handle == h)
			return 1;
		fk_release(ev);
	}
	return 0;
}

static int echo(const char *name, int wait_close)
{
	struct fk_event ev;
	fk_handle l = fk_link(name);
	if (l <= 0)
		return fail("fk_link", l);
	if (!next(l, &ev))
		return fail("an answer to fk_link within 30 s", 0);
	if (ev.type != FK_EV_OPEN) {
		printf("link %s: closed, status %d\n", name, ev.status);
		return 0;
	}
	struct fk_peer who;
	if (fk_peer(l, &who) < 0)
		return fail("fk_peer", 0);
	printf("link %s: open, served by uid=%u host=%s url=%s\n", name,
	       (unsigned)who.uid, who.host[0] ? who.host : "-", who.url);
	static const size_t sizes[] = { 1, 64, 4096 };
	static unsigned char out[4096];
	for (size_t k = 0; k < 3; k++) {
		for (size_t i = 0; i < sizes[k]; i++)
			out[i] = (unsigned char)(i * 7 + k * 31 + 1);
		int r = fk_send(l, out, sizes[k]);
		if (r < 0)
			return fail("fk_send", r);
		if (!next(l, &ev) || ev.type != FK_EV_DATA)
			return fail("an echo", ev.type);
		if (ev.len != sizes[k] || memcmp(ev.data, out, sizes[k]) != 0)
			return fail("the echo of a datagram of size", (long)sizes[k]);
		fk_release(&ev);
	}
	printf("echoed 3 datagrams\n");
	if (!wait_close)
		return 0;
	printf("waiting\n");
	fflush(stdout);
	uint64_t t0 = fk_now();
	uint64_t end = t0 + 60 * SEC_NS;
	while (fk_now() < end) {
		if (fk_wait(&ev, 1, (int64_t)(end - fk_now())) != 1)
			continue;
		if (ev.handle == l && ev.type == FK_EV_CLOSED) {
			printf("closed, status %d after %llu ms\n", ev.status,
			       (unsigned long long)((fk_now() - t0) / 1000000));
			return 0;
		}
		fk_release(&ev);
	}
	return fail("the end of the link within 60 s", 0);
}

/* --- streams: flood and sink ---------------------------------------------- */

#define FLOOD_LINKS 63 /* a program's link slots (PROTO_SLOTS - 1) */
#define WINDOW 8 /* echoes a link may owe: the echo server never fills */
#define HDR 12
#define SINKS 64

static const char *mark; /* flood's payload, or NULL for the pattern */

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Datagram seq of link: its header (link, seq, length), then bytes made
 * from link and seq (or the mark), so that a datagram delivered twice,
 * late or altered shows. The sink checks with the same function, reading
 * the link from the header. */
static void fill(uint8_t *buf, size_t len, uint32_t link, uint32_t seq)
{
	put32(buf, link);
	put32(buf + 4, seq);
	put32(buf + 8, (uint32_t)len);
	size_t ml = mark ? strlen(mark) : 0;
	for (size_t i = HDR; i < len; i++)
		buf[i] = ml ? (uint8_t)mark[(i - HDR) % ml]
			    : (uint8_t)(seq * 7 + link * 13 + i);
}

static size_t sizes[16], nsizes;

static int parse_sizes(const char *s)
{
	char *end;
	for (nsizes = 0; nsizes < 16 && *s; s = end + (*end == ',')) {
		unsigned long v = strtoul(s, &end, 10);
		if (end == s || v < HDR || v > 4096)
			return -1;
		sizes[nsizes++] = v;
	}
	return nsizes ? 0 : -1;
}

static size_t size_of(uint32_t seq) { return sizes[seq % nsizes]; }

struct sink {
	fk_handle h; /* 0: a free entry */
	uint32_t got, bad;
};

static int sink(const char *name)
{
	static struct sink t[SINKS];
	static uint8_t want[4096];
	fk_handle s = fk_serve(name);
	if (s <= 0)
		return fail("fk_serve", s);
	for (;;) {
		struct fk_event ev;
		if (fk_wait(&ev, 1, -1) != 1)
			continue;
		struct sink *k = NULL;
		for (int i = 0; i < SINKS; i++)
			if (t[i].h == (ev.type == FK_EV_INCOMING ? 0 : ev.handle)) {
				k = &t[i];
				break;
			}
		if (ev.type == FK_EV_CLOSED && ev.handle == s)
			return fail("the name was refused", ev.status);
		if (ev.type == FK_EV_INCOMING) {
			printf("incoming\n");
			if (!k)
				return fail("a free sink entry", 0);
			*k = (struct sink){ .h = ev.handle };
		} else if (k && ev.type == FK_EV_CLOSED) {
			printf("sink closed, status %d, got %u bad %u\n",
			       ev.status, k->got, k->bad);
			k->h = 0;
		} else if (k && ev.type == FK_EV_DATA) {
			const uint8_t *d = ev.data;
			if (ev.len == 3 && !memcmp(d, "END", 3)) {
				char a[64];
				int n = snprintf(a, sizeof(a), "got %u bad %u",
						 k->got, k->bad);
				printf("sink %s\n", a);
				int r = fk_send(ev.handle, a, (size_t)n);
				if (r < 0)
					printf("answer failed: %d\n", r);
			} else if (ev.len < HDR || get32(d + 4) != k->got ||
				   ev.len != get32(d + 8) ||
				   (fill(want, ev.len, get32(d), k->got),
				    memcmp(want, d, ev.len) != 0)) {
				if (k->bad++ == 0)
					printf("sink: datagram %u wrong (len "
					       "%u, says %u)\n",
					       k->got, ev.len,
					       ev.len >= HDR ? get32(d + 4) : 0);
				k->got++;
			} else {
				k->got++;
			}
		}
		fflush(stdout);
		fk_release(&ev);
	}
}

struct flow {
	fk_handle h;
	uint32_t sent, got; /* got: echoes, or 1 once the sink answered */
	bool full, ended, end_sent;
};

/* One datagram's echo, checked: 0, or a failure printed. */
static int check_echo(struct flow *f, uint32_t i, const struct fk_event *ev)
{
	static uint8_t want[4096];
	if (f->got >= f->sent) {
		printf("extra datagram on link %u after %u\n", i, f->got);
		return 1;
	}
	size_t len = size_of(f->got);
	fill(want, len, i, f->got);
	if (ev->len != len || memcmp(ev->data, want, len) != 0) {
		printf("mismatch on link %u at datagram %u (len %u)\n", i,
		       f->got, ev->len);
		return 1;
	}
	f->got++;
	return 0;
}

static int flood(const char *name, uint32_t nl, uint32_t n, const char *mode)
{
	static struct flow fl[FLOOD_LINKS];
	bool echo = strcmp(mode, "sink") != 0, pause = !strcmp(mode, "pause");
	struct fk_event ev;
	for (uint32_t i = 0; i < nl; i++) {
		fl[i].h = fk_link(name);
		if (fl[i].h <= 0)
			return fail("fk_link", fl[i].h);
		if (!next(fl[i].h, &ev))
			return fail("an answer to fk_link within 30 s", 0);
		if (ev.type != FK_EV_OPEN) {
			printf("link %s: closed, status %d\n", name, ev.status);
			return 3;
		}
	}
	static uint8_t buf[4096];
	uint64_t end = fk_now() + 300 * SEC_NS;
	uint32_t done = 0, total = 0;
	bool progress = false, paused = !pause;
	while (done < nl) {
		if (fk_now() > end)
			return fail("the flood's end within 300 s", done);
		if (!paused && total >= nl * (n / 2)) {
			printf("paused\n");
			fflush(stdout);
			uint64_t until = fk_now() + 3 * SEC_NS;
			while (fk_now() < until)
				if (fk_wait(&ev, 1, (int64_t)(until - fk_now())) == 1) {
					printf("event %u during the pause\n",
					       ev.type);
					return 1;
				}
			paused = true;
		}
		uint32_t cap = paused ? n : n / 2;
		for (uint32_t i = 0; i < nl; i++) {
			struct flow *f = &fl[i];
			while (!f->full && !f->ended && f->sent < cap &&
			       (!echo || f->sent - f->got < WINDOW)) {
				size_t len = size_of(f->sent);
				fill(buf, len, i, f->sent);
				int r = fk_send(f->h, buf, len);
				if (r == -EAGAIN) {
					f->full = true;
					break;
				}
				if (r < 0)
					return fail("fk_send", r);
				f->sent++;
			}
			if (!echo && f->sent == n && !f->end_sent && !f->full) {
				int r = fk_send(f->h, "END", 3);
				if (r == -EAGAIN)
					f->full = true;
				else if (r < 0)
					return fail("fk_send END", r);
				else
					f->end_sent = true;
			}
		}
		struct fk_event evs[16];
		int k = fk_wait(evs, 16, SEC_NS);
		for (int j = 0; j < k; j++) {
			struct fk_event *e = &evs[j];
			uint32_t i = 0;
			while (i < nl && fl[i].h != e->handle)
				i++;
			if (e->type == FK_EV_ROOM) {
				for (uint32_t x = 0; x < nl; x++)
					if (e->handle == 0 || x == i)
						fl[x].full = false;
			} else if (i == nl) {
				/* not ours */
			} else if (e->type == FK_EV_CLOSED) {
				printf("link %u: closed, status %d, echoed %u "
				       "of sent %u\n",
				       i, e->status, fl[i].got, fl[i].sent);
				return 3;
			} else if (e->type == FK_EV_DATA && echo) {
				if (check_echo(&fl[i], i, e))
					return 1;
				total++;
				if (fl[i].got == n)
					done++;
			} else if (e->type == FK_EV_DATA) {
				char want[64];
				int wl = snprintf(want, sizeof(want),
						  "got %u bad 0", n);
				if (e->len != (uint32_t)wl ||
				    memcmp(e->data, want, (size_t)wl) != 0) {
					printf("link %u: the sink answered "
					       "'%.*s', not '%s'\n",
					       i, (int)e->len,
					       (const char *)e->data, want);
					return 1;
				}
				fl[i].got = n;
				total += n;
				done++;
			}
			if (!progress && total >= 1000) {
				progress = true;
				printf("progress\n");
				fflush(stdout);
			}
			fk_release(e);
		}
	}
	printf("done links=%u datagrams=%u\n", nl, nl * n);
	return 0;
}

static int hold(const char *name, unsigned n, const char *mode,
		unsigned ms)
{
	struct fk_event ev;
	fk_handle l = fk_link(name);
	if (l <= 0)
		return fail("fk_link", l);
	if (!next(l, &ev) || ev.type != FK_EV_OPEN)
		return fail("the link open within 30 s", ev.status);
	char req[64];
	int len = snprintf(req, sizeof(req), "burst %u %s", n, mode);
	int r = fk_send(l, req, (size_t)len);
	if (r < 0)
		return fail("fk_send", r);
	if (!next(l, &ev) || ev.type != FK_EV_DATA || ev.len != 4096)
		return fail("the first datagram", ev.type);
	uint32_t k = 0, got;
	memcpy(&got, ev.data, sizeof(got));
	if (got != k++)
		return fail("datagram 0 first", got);
	fk_release(&ev);
	printf("first\n");
	fflush(stdout);
	uint64_t t0 = fk_now();
	struct timespec pause = { ms / 1000, (long)(ms % 1000) * 1000000 };
	nanosleep(&pause, NULL);
	uint64_t end = t0 + 60 * SEC_NS;
	while (fk_now() < end) {
		if (fk_wait(&ev, 1, (int64_t)(end - fk_now())) != 1)
			continue;
		if (ev.handle != l) {
			fk_release(&ev);
			continue;
		}
		if (ev.type == FK_EV_CLOSED) {
			printf("closed, status %d after %llu ms, %u of %u "
			       "datagrams before\n",
			       ev.status,
			       (unsigned long long)((fk_now() - t0) / 1000000),
			       k, n);
			return 0;
		}
		if (ev.type != FK_EV_DATA || ev.len != 4096)
			return fail("a datagram of 4096 bytes", ev.type);
		memcpy(&got, ev.data, sizeof(got));
		if (got != k)
			return fail("the datagrams in order: expected", k);
		k++;
		fk_release(&ev);
	}
	return fail("the end of the link within 60 s", (long)k);
}

static int many(const char *name, unsigned k, unsigned hold_ms)
{
	fk_handle h[64];
	unsigned asked = k < 64 ? k : 64, answered = 0, opened = 0, refused = 0;
	int first = 0;
	for (unsigned i = 0; i < asked; i++)
		if ((h[i] = fk_link(name)) <= 0)
			return fail("fk_link", h[i]);
	uint64_t end = fk_now() + 30 * SEC_NS;
	while (answered < asked && fk_now() < end) {
		struct fk_event ev;
		if (fk_wait(&ev, 1, (int64_t)(end - fk_now())) != 1)
			continue;
		if (ev.type == FK_EV_OPEN) {
			opened++;
			answered++;
		} else if (ev.type == FK_EV_CLOSED) {
			if (!refused++)
				first = ev.status;
			answered++;
		}
		fk_release(&ev);
	}
	printf("opened %u of %u, refused %u, status %d\n", opened, asked,
	       refused, first);
	fflush(stdout);
	/* Held: a test counts them on the server meanwhile. */
	end = fk_now() + (uint64_t)hold_ms * 1000000;
	while (fk_now() < end) {
		struct fk_event ev;
		if (fk_wait(&ev, 1, (int64_t)(end - fk_now())) == 1)
			fk_release(&ev);
	}
	return answered == asked ? 0 : fail("every answer within 30 s", 0);
}

int main(int argc, char **argv)
{
	if (fk_init() < 0)
		return fail("fk_init", 0);
	if (argc > 2 && !strcmp(argv[1], "serve"))
		return serve(argv[2]);
	if (argc > 2 && !strcmp(argv[1], "echo"))
		return echo(argv[2], 0);
	if (argc > 2 && !strcmp(argv[1], "echo-wait"))
		return echo(argv[2], 1);
	if (argc > 2 && !strcmp(argv[1], "sink"))
		return sink(argv[2]);
	if (argc > 6 && !strcmp(argv[1], "flood")) {
		uint32_t nl = (uint32_t)atoi(argv[3]);
		mark = argc > 7 ? argv[7] : NULL;
		if (nl < 1 || nl > FLOOD_LINKS || parse_sizes(argv[5]) < 0)
			return fail("flood's LINKS (1..63) or SIZES", 0);
		return flood(argv[2], nl, (uint32_t)atoi(argv[4]), argv[6]);
	}
	if (argc > 3 && !strcmp(argv[1], "many"))
		return many(argv[2], (unsigned)atoi(argv[3]),
			    argc > 4 ? (unsigned)atoi(argv[4]) : 0);
	if (argc > 5 && !strcmp(argv[1], "hold"))
		return hold(argv[2], (unsigned)atoi(argv[3]), argv[4],
			    (unsigned)atoi(argv[5]));
	return fail("usage: remote_probe serve|echo|echo-wait|sink NAME | "
		    "flood ... | hold NAME N keep|close MS | many NAME K [MS]", 0);
}
