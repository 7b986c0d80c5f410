/* remote_probe — both ends of a link across hosts, for
 * test/integration/test_remote.sh. Nothing in it knows the link is remote:
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
 *   remote_probe many NAME K       opens K links to NAME at once and
 *                                  waits for every answer: "opened O of
 *                                  K, refused R, status S" (S: the
 *                                  first refusal's, or 0), and exits
 * A server asked "burst N keep|close" on a link sends those N datagrams
 * (not an echo); its "incoming" line ends with "links=L", the links the
 * client's party holds to it (FK_EV_INCOMING's status). */
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

static int many(const char *name, unsigned k)
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
	if (argc > 3 && !strcmp(argv[1], "many"))
		return many(argv[2], (unsigned)atoi(argv[3]));
	if (argc > 5 && !strcmp(argv[1], "hold"))
		return hold(argv[2], (unsigned)atoi(argv[3]), argv[4],
			    (unsigned)atoi(argv[5]));
	return fail("usage: remote_probe serve|echo|echo-wait NAME | "
		    "hold NAME N keep|close MS | many NAME K", 0);
}
