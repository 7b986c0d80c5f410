/* api_probe — exercises one fakeOS API path per run, for
 * test/integration/test_api.sh. Prints what it observed, one fact a line,
 * and exits 0 only when every observation matched the documented
 * behaviour (1 otherwise, with the reason).
 *
 *   api_probe link-unserved NAME       fk_link to a name nobody serves
 *   api_probe send-sizes               a link to itself: 1, 4096, 4097 bytes
 *   api_probe peer-exits               a child that serves, sends 5, exits
 *   api_probe peer                     (the child of peer-exits)
 *   api_probe spawn URL                spawns URL, reports its exit
 *   api_probe wait-timeout MS          fk_wait with nothing pending
 *   api_probe serve-twice NAME         a second fk_serve of a taken name
 *   api_probe bad-handles              calls on handles that do not exist
 *   api_probe boot                     prints the boot information */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakeos.h"

static int fail(const char *what, long got)
{
	printf("FAIL: %s (got %ld)\n", what, got);
	return 1;
}

/* Waits for one event of the given type (others are printed and kept
 * out of the way), up to timeout_ms. */
static int wait_for(unsigned type, struct fk_event *out, int64_t timeout_ms)
{
	uint64_t end = fk_now() + (uint64_t)timeout_ms * 1000000;
	for (;;) {
		uint64_t now = fk_now();
		if (now >= end)
			return -ETIMEDOUT;
		int n = fk_wait(out, 1, (int64_t)(end - now));
		if (n < 0)
			return n;
		if (n == 0)
			continue;
		if (out->type == type)
			return 0;
		printf("event: type %u handle %d status %d\n", out->type,
		       out->handle, out->status);
		fk_release(out);
	}
}

static int link_unserved(const char *name)
{
	uint64_t t0 = fk_now();
	fk_handle l = fk_link(name);
	if (l <= 0)
		return fail("fk_link returns a handle", l);
	struct fk_event ev;
	int r = wait_for(FK_EV_CLOSED, &ev, 10000);
	if (r < 0)
		return fail("FK_EV_CLOSED arrives", r);
	uint64_t ms = (fk_now() - t0) / 1000000;
	printf("closed: status %d after %llu ms\n", ev.status,
	       (unsigned long long)ms);
	if (ev.handle != l)
		return fail("the event names the link", ev.handle);
	if (ev.status != -ECONNREFUSED)
		return fail("status is -ECONNREFUSED", ev.status);
	if (ms + 50 < FK_LINK_WAIT_MS)
		return fail("the broker waited FK_LINK_WAIT_MS", (long)ms);
	if (fk_send(l, "x", 1) != -EBADF)
		return fail("the handle is gone", 0);
	printf("PASS\n");
	return 0;
}

/* Serves "self", links to it, and returns both ends. */
static int self_link(fk_handle *client, fk_handle *server)
{
	struct fk_event ev;
	fk_handle srv = fk_serve("self");
	if (srv <= 0 || wait_for(FK_EV_OPEN, &ev, 5000) < 0 || ev.handle != srv)
		return fail("serving self", srv);
	*client = fk_link("self");
	if (*client <= 0)
		return fail("fk_link self", *client);
	int got_open = 0, got_in = 0;
	while (!got_open || !got_in) {
		if (fk_wait(&ev, 1, 5000000000LL) != 1)
			return fail("link events", 0);
		if (ev.type == FK_EV_OPEN && ev.handle == *client)
			got_open = 1;
		else if (ev.type == FK_EV_INCOMING && ev.source == srv) {
			got_in = 1;
			*server = ev.handle;
		}
	}
	return 0;
}

static int send_sizes(void)
{
	fk_handle c = 0, s = 0;
	struct fk_event ev;
	if (self_link(&c, &s))
		return 1;
	static unsigned char big[FK_PAGE_SIZE + 1];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (unsigned char)(i * 7);
	int r = fk_send(c, big, FK_PAGE_SIZE + 1);
	printf("send 4097: %d\n", r);
	if (r != -EMSGSIZE)
		return fail("4097 bytes is -EMSGSIZE", r);
	r = fk_send(c, big, 0);
	printf("send 0: %d\n", r);
	if (r != -EINVAL)
		return fail("0 bytes is -EINVAL", r);
	size_t sizes[] = { 1, 64, FK_PAGE_SIZE };
	for (size_t i = 0; i < 3; i++)
		if ((r = fk_send(c, big, sizes[i])) != 0)
			return fail("fk_send", r);
	for (size_t i = 0; i < 3; i++) {
		if (wait_for(FK_EV_DATA, &ev, 5000) < 0 || ev.handle != s)
			return fail("datagram arrives on the server end", 0);
		printf("received %u bytes\n", ev.len);
		if (ev.len != sizes[i] || memcmp(ev.data, big, ev.len) != 0)
			return fail("datagram intact and in order", ev.len);
		fk_release(&ev);
	}
	printf("PASS\n");
	return 0;
}

static int peer(void)
{
	struct fk_event ev;
	fk_handle srv = fk_serve("midstream");
	if (srv <= 0)
		return 2;
	for (;;) {
		if (fk_wait(&ev, 1, -1) != 1)
			return 3;
		if (ev.type == FK_EV_INCOMING)
			break;
	}
	for (int i = 0; i < 5; i++) {
		char msg[32];
		int n = snprintf(msg, sizeof(msg), "part %d", i);
		if (fk_send(ev.handle, msg, (size_t)n) != 0)
			return 4;
	}
	/* Leave with the datagrams queued: exit sends what fk_send took. */
	fk_exit(7);
}

static int peer_exits(const char *self_url)
{
	struct fk_event ev;
	char *args[] = { (char *)self_url, "peer", NULL };
	fk_handle child = fk_spawn(self_url, args);
	if (child <= 0)
		return fail("fk_spawn", child);
	fk_handle l = fk_link("midstream");
	if (l <= 0)
		return fail("fk_link", l);
	int parts = 0, closed = 0, exited = 0;
	uint64_t child_id = 0, server_id = 0;
	while (!closed || !exited) {
		if (fk_wait(&ev, 1, 10000000000LL) != 1)
			return fail("events before the timeout", parts);
		switch (ev.type) {
		case FK_EV_OPEN:
			if (ev.handle == child)
				child_id = ev.peer;
			if (ev.handle == l)
				server_id = ev.peer;
			break;
		case FK_EV_DATA:
			printf("data: %.*s\n", (int)ev.len, (const char *)ev.data);
			parts++;
			fk_release(&ev);
			break;
		case FK_EV_CLOSED:
			printf("closed: status %d after %d parts\n", ev.status,
			       parts);
			if (ev.handle != l || ev.status != 0)
				return fail("orderly close of the link",
					    ev.status);
			closed = 1;
			break;
		case FK_EV_EXIT:
			printf("child exit: %d\n", ev.status);
			if (ev.status != 7)
				return fail("child status 7", ev.status);
			exited = 1;
			fk_release(&ev);
			break;
		default:
			break;
		}
	}
	if (parts != 5)
		return fail("all 5 datagrams before the close", parts);
	printf("child id %llu, server id %llu\n", (unsigned long long)child_id,
	       (unsigned long long)server_id);
	if (!child_id || child_id != server_id || child_id == fk_boot()->id)
		return fail("the link's peer is the child", (long)server_id);
	printf("PASS\n");
	return 0;
}

static int spawn(const char *url, int want)
{
	struct fk_event ev;
	char *args[] = { (char *)url, NULL };
	fk_handle child = fk_spawn(url, args);
	if (child <= 0)
		return fail("fk_spawn returns a handle", child);
	if (wait_for(FK_EV_EXIT, &ev, 30000) < 0)
		return fail("FK_EV_EXIT arrives", 0);
	printf("exit: status %d reason: %.*s\n", ev.status, (int)ev.len,
	       ev.data ? (const char *)ev.data : "");
	fk_release(&ev);
	if (ev.handle != child || ev.status != want)
		return fail("the expected status", ev.status);
	printf("PASS\n");
	return 0;
}

static int wait_timeout(long ms)
{
	struct fk_event ev;
	uint64_t t0 = fk_now();
	int n = fk_wait(&ev, 1, ms * 1000000);
	uint64_t us = (fk_now() - t0) / 1000;
	printf("fk_wait: %d after %llu us\n", n, (unsigned long long)us);
	if (n != 0)
		return fail("nothing pending returns 0", n);
	if (us < (uint64_t)ms * 1000)
		return fail("it waited the whole timeout", (long)us);
	n = fk_wait(&ev, 1, 0);
	if (n != 0)
		return fail("a poll returns 0", n);
	printf("PASS\n");
	return 0;
}

static int serve_twice(const char *name)
{
	struct fk_event ev;
	fk_handle a = fk_serve(name), b = fk_serve(name);
	if (a <= 0 || b <= 0)
		return fail("handles", a);
	int opened = 0, refused = 0;
	while (!opened || !refused) {
		if (fk_wait(&ev, 1, 5000000000LL) != 1)
			return fail("both answers", 0);
		if (ev.type == FK_EV_OPEN && ev.handle == a)
			opened = 1;
		if (ev.type == FK_EV_CLOSED && ev.handle == b) {
			printf("second serve: status %d\n", ev.status);
			if (ev.status != -EADDRINUSE)
				return fail("-EADDRINUSE", ev.status);
			refused = 1;
		}
	}
	printf("PASS\n");
	return 0;
}

static int bad_handles(void)
{
	int r1 = fk_send(12345, "x", 1), r2 = fk_close(12345),
	    r3 = fk_kill(12345), r4 = fk_close(0), r5 = fk_link("bad name");
	printf("send %d close %d kill %d close0 %d badname %d\n", r1, r2, r3,
	       r4, r5);
	if (r1 != -EBADF || r2 != -EBADF || r3 != -EBADF || r4 != -EBADF ||
	    r5 != -EINVAL)
		return fail("-EBADF for dead handles, -EINVAL for bad names", 0);
	printf("PASS\n");
	return 0;
}

int main(int argc, char **argv)
{
	int r = fk_init();
	if (r < 0) {
		printf("FAIL: fk_init: %s\n", strerror(-r));
		return 1;
	}
	const char *cmd = argc > 1 ? argv[1] : "";
	if (!strcmp(cmd, "link-unserved") && argc > 2)
		return link_unserved(argv[2]);
	if (!strcmp(cmd, "send-sizes"))
		return send_sizes();
	if (!strcmp(cmd, "peer"))
		return peer();
	if (!strcmp(cmd, "peer-exits"))
		return peer_exits(fk_boot()->url);
	if (!strcmp(cmd, "spawn") && argc > 3)
		return spawn(argv[2], atoi(argv[3]));
	if (!strcmp(cmd, "wait-timeout") && argc > 2)
		return wait_timeout(atol(argv[2]));
	if (!strcmp(cmd, "serve-twice") && argc > 2)
		return serve_twice(argv[2]);
	if (!strcmp(cmd, "bad-handles"))
		return bad_handles();
	if (!strcmp(cmd, "boot")) {
		const struct fk_boot *b = fk_boot();
		printf("url %s\nid %llu\nparent %llu\n", b->url,
		       (unsigned long long)b->id,
		       (unsigned long long)b->parent);
		return 0;
	}
	printf("usage: api_probe COMMAND ...\n");
	return 2;
}
