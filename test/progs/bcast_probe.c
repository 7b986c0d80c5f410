/* bcast_probe — both ends of a broadcast, for
 * test/integration/test_netbcast.sh. Nothing in it knows whether the
 * channel reaches other hosts: that is the operator's choice. Prints what
 * it observed, one fact a line.
 *
 *   bcast_probe listen CHANNEL SECONDS   subscribes ("subscribed"), then
 *                                        prints each broadcast: "got LEN
 *                                        bytes fnv=HEX lost=K: TEXT" (TEXT:
 *                                        the payload when it is short
 *                                        and printable), until one that
 *                                        says "end" or SECONDS pass
 *   bcast_probe deaf CHANNEL MS SECONDS  subscribes, spins MS ms without
 *                                        reading, then reads until "end":
 *                                        "received R, told of L lost"
 *   bcast_probe send CHANNEL TEXT        broadcasts TEXT once
 *   bcast_probe big CHANNEL              broadcasts FK_BROADCAST_MAX bytes
 *                                        of a pattern: "sent LEN bytes
 *                                        fnv=HEX"
 *   bcast_probe burst CHANNEL N SIZE     "start", N broadcasts of SIZE
 *                                        bytes as fast as it can, then
 *                                        after 3 s (a deaf listener is
 *                                        awake by then) "end" */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakeos.h"

#define SEC_NS 1000000000ULL

static struct fk_event ev[64];

static int fail(const char *what, long got)
{
	printf("FAIL: %s (got %ld)\n", what, got);
	return 1;
}

static uint32_t fnv(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

static int printable(const void *p, size_t n)
{
	const char *s = p;
	if (n > 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 32 || s[i] > 126)
			return 0;
	return 1;
}

static int is_end(const struct fk_event *e)
{
	return e->len == 3 && memcmp(e->data, "end", 3) == 0;
}

static fk_handle subscribe(const char *channel)
{
	fk_handle s = fk_subscribe(channel);
	if (s < 0)
		return s;
	uint64_t end = fk_now() + 10 * SEC_NS;
	while (fk_now() < end) {
		if (fk_wait(ev, 1, (int64_t)(end - fk_now())) != 1)
			continue;
		if (ev[0].handle == s && ev[0].type == FK_EV_OPEN) {
			printf("subscribed %s\n", channel);
			fflush(stdout);
			return s;
		}
		if (ev[0].handle == s)
			return ev[0].status;
		fk_release(&ev[0]);
	}
	return -ETIMEDOUT;
}

static int listen_(const char *channel, long seconds)
{
	fk_handle s = subscribe(channel);
	if (s < 0)
		return fail("fk_subscribe", s);
	uint64_t end = fk_now() + (uint64_t)seconds * SEC_NS;
	long got = 0;
	while (fk_now() < end) {
		int n = fk_wait(ev, 64, (int64_t)(end - fk_now()));
		for (int i = 0; i < n; i++) {
			struct fk_event *e = &ev[i];
			if (e->type != FK_EV_DATA || e->handle != s) {
				fk_release(e);
				continue;
			}
			int last = is_end(e);
			printf("got %u bytes fnv=%08x lost=%d: %.*s\n", e->len,
			       fnv(e->data, e->len), e->status,
			       printable(e->data, e->len) ? (int)e->len : 0,
			       (const char *)e->data);
			fflush(stdout);
			got++;
			fk_release(e);
			if (last) {
				printf("received %ld\n", got);
				return 0;
			}
		}
	}
	printf("received %ld, then %ld s passed\n", got, seconds);
	return 0;
}

/* Spins without entering the kernel, so its control link fills and the
 * broker drops what does not fit (as stress's deaf listener does); then
 * counts what came and what it was told it lost. */
static int deaf(const char *channel, long ms, long seconds)
{
	fk_handle s = subscribe(channel);
	if (s < 0)
		return fail("fk_subscribe", s);
	uint64_t until = fk_now() + (uint64_t)ms * 1000000ULL;
	while (fk_now() < until)
		;
	uint64_t end = fk_now() + (uint64_t)seconds * SEC_NS;
	long got = 0, lost = 0;
	while (fk_now() < end) {
		int n = fk_wait(ev, 64, (int64_t)(end - fk_now()));
		for (int i = 0; i < n; i++) {
			struct fk_event *e = &ev[i];
			if (e->type != FK_EV_DATA || e->handle != s) {
				fk_release(e);
				continue;
			}
			lost += e->status;
			int last = is_end(e);
			int start = e->len == 5 && !memcmp(e->data, "start", 5);
			fk_release(e);
			if (last) {
				printf("received %ld, told of %ld lost\n", got,
				       lost);
				return 0;
			}
			if (!start)
				got++;
		}
	}
	printf("received %ld, told of %ld lost, and no end in %ld s\n", got,
	       lost, seconds);
	return 1;
}

/* Broadcasts, sending what is queued when every send page is taken. */
static int bcast(const char *channel, const void *p, size_t n)
{
	int r;
	while ((r = fk_broadcast(channel, p, n)) == -EAGAIN) {
		int m = fk_wait(ev, 64, 0);
		for (int j = 0; j < m; j++)
			fk_release(&ev[j]);
	}
	return r;
}

/* Lets what is queued leave: fk_wait sends it. */
static void flush(uint64_t ns)
{
	uint64_t end = fk_now() + ns;
	while (fk_now() < end) {
		int m = fk_wait(ev, 64, (int64_t)(end - fk_now()));
		for (int j = 0; j < m; j++)
			fk_release(&ev[j]);
	}
}

int main(int argc, char **argv)
{
	static uint8_t buf[FK_BROADCAST_MAX];
	if (fk_init() < 0)
		return fail("fk_init", 0);
	if (argc == 4 && !strcmp(argv[1], "listen"))
		return listen_(argv[2], atol(argv[3]));
	if (argc == 5 && !strcmp(argv[1], "deaf"))
		return deaf(argv[2], atol(argv[3]), atol(argv[4]));
	if (argc == 4 && !strcmp(argv[1], "send")) {
		int r = bcast(argv[2], argv[3], strlen(argv[3]));
		flush(SEC_NS / 10);
		printf("sent: %d\n", r);
		return r < 0;
	}
	if (argc == 3 && !strcmp(argv[1], "big")) {
		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = (uint8_t)(i * 13 + 7);
		int r = bcast(argv[2], buf, sizeof(buf));
		flush(SEC_NS / 10);
		printf("sent %zu bytes fnv=%08x: %d\n", sizeof(buf),
		       fnv(buf, sizeof(buf)), r);
		return r < 0;
	}
	if (argc == 5 && !strcmp(argv[1], "burst")) {
		long n = atol(argv[3]);
		size_t size = (size_t)atol(argv[4]);
		if (size < 8 || size > sizeof(buf))
			return fail("SIZE", (long)size);
		int r = bcast(argv[2], "start", 5);
		flush(SEC_NS / 5);
		for (long i = 0; i < n && r == 0; i++) {
			memcpy(buf, &i, sizeof(i));
			r = bcast(argv[2], buf, size);
		}
		flush(3 * SEC_NS);
		if (r == 0)
			r = bcast(argv[2], "end", 3);
		flush(SEC_NS / 10);
		printf("sent %ld of %zu bytes: %d\n", n, size, r);
		return r < 0;
	}
	return fail("usage: listen|deaf|send|big|burst ...", argc);
}
