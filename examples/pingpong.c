/* pingpong — two programs bat a datagram back and forth over a link and
 * time the round trips. One binary, three roles:
 *
 *   pingpong [ROUNDS [SIZE]]          spawns itself as pong and as ping,
 *                                     and reports how both ended
 *   pingpong pong NAME ROUNDS SIZE    serves NAME, answers ROUNDS pings
 *   pingpong ping NAME ROUNDS SIZE    links to NAME, sends ROUNDS pings
 *
 * ROUNDS defaults to 1000 and SIZE (1..4096 bytes) to 64. Every reply
 * must carry the ping's bytes with its first byte changed from 'i' to
 * 'o'. Exit 0 when every round came back right; 1 otherwise. */
#include <errno.h>
#include <fakeos.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ME "pingpong"
#define NAME_DEFAULT "pingpong"
#define WAIT_NS (10 * 1000000000LL)

static int fail(const char *role, const char *what, int err)
{
	fprintf(stderr, ME " %s: %s: %s\n", role, what, strerror(-err));
	return 1;
}

/* Waits for one event about h (others are not expected here). */
static int next(fk_handle h, struct fk_event *e, const char *role)
{
	for (;;) {
		int n = fk_wait(e, 1, WAIT_NS);
		if (n < 0)
			return fail(role, "fk_wait", n);
		if (n == 0) {
			fprintf(stderr, ME " %s: nothing for 10 s\n", role);
			return 1;
		}
		if (e->handle == h || e->source == h)
			return 0;
		fk_release(e);
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int pong(const char *name, long rounds)
{
	struct fk_event e;
	fk_handle srv = fk_serve(name), link = 0;
	if (srv < 0)
		return fail("pong", "fk_serve", srv);
	while (!link) {
		if (next(srv, &e, "pong"))
			return 1;
		if (e.type == FK_EV_CLOSED)
			return fail("pong", "serving", e.status);
		if (e.type == FK_EV_INCOMING)
			link = e.handle;
	}
	for (long i = 0; i < rounds; i++) {
		if (next(link, &e, "pong"))
			return 1;
		if (e.type != FK_EV_DATA)
			return fail("pong", "link", e.status ? e.status : -EPIPE);
		/* The reply is built in the received page itself. */
		((char *)e.data)[0] = 'o';
		int r = fk_send(link, e.data, e.len);
		fk_release(&e);
		if (r < 0)
			return fail("pong", "fk_send", r);
	}
	printf(ME " pong: answered %ld pings\n", rounds);
	return 0;
}

static int ping(const char *name, long rounds, size_t size)
{
	static char buf[FK_PAGE_SIZE];
	struct fk_event e;
	fk_handle link = fk_link(name);
	if (link < 0)
		return fail("ping", "fk_link", link);
	if (next(link, &e, "ping"))
		return 1;
	if (e.type != FK_EV_OPEN)
		return fail("ping", "fk_link", e.status);

	uint64_t *rtt = calloc((size_t)rounds, sizeof(*rtt));
	if (!rtt)
		return fail("ping", "calloc", -ENOMEM);
	for (long i = 0; i < rounds; i++) {
		memset(buf, 'a' + (int)(i % 26), size);
		buf[0] = 'i';
		uint64_t t0 = fk_now();
		int r = fk_send(link, buf, size);
		if (r < 0)
			return fail("ping", "fk_send", r);
		if (next(link, &e, "ping"))
			return 1;
		rtt[i] = fk_now() - t0;
		if (e.type != FK_EV_DATA)
			return fail("ping", "link", e.status ? e.status : -EPIPE);
		buf[0] = 'o';
		int ok = e.len == size && memcmp(e.data, buf, size) == 0;
		fk_release(&e);
		if (!ok) {
			fprintf(stderr, ME " ping: round %ld: wrong reply\n", i);
			return 1;
		}
	}
	qsort(rtt, (size_t)rounds, sizeof(*rtt), cmp_u64);
	printf(ME " ping: %ld rounds of %zu bytes: round trip median %.1f us, "
	       "90%% %.1f us\n", rounds, size, (double)rtt[rounds / 2] / 1e3,
	       (double)rtt[rounds * 9 / 10] / 1e3);
	free(rtt);
	fk_close(link);
	return 0;
}

/* Starts both roles from our own URL and waits for them. */
static int both(char *rounds, char *size)
{
	const char *url = fk_boot()->url;
	char *roles[] = { "pong", "ping" };
	fk_handle kids[2];
	int status[2] = { -1, -1 };
	for (int i = 0; i < 2; i++) {
		char *args[] = { "", roles[i], NAME_DEFAULT, rounds, size, NULL };
		if ((kids[i] = fk_spawn(url, args)) < 0)
			return fail("", "fk_spawn", kids[i]);
	}
	for (int left = 2; left > 0;) {
		struct fk_event ev[4];
		int n = fk_wait(ev, 4, 60 * 1000000000LL);
		if (n <= 0) {
			fprintf(stderr, ME ": %s\n", n ? strerror(-n) : "timed out");
			return 1;
		}
		for (int i = 0; i < n; i++)
			for (int k = 0; k < 2; k++)
				if (ev[i].type == FK_EV_EXIT && ev[i].handle == kids[k]) {
					status[k] = ev[i].status;
					fk_release(&ev[i]);
					left--;
				}
	}
	int ok = status[0] == 0 && status[1] == 0;
	printf(ME ": pong exited %d, ping exited %d: %s\n", status[0],
	       status[1], ok ? "PASS" : "FAIL");
	return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	int r = fk_init();
	if (r < 0)
		return fail("", "fk_init", r);
	if (argc == 5 && (!strcmp(argv[1], "ping") || !strcmp(argv[1], "pong"))) {
		long rounds = strtol(argv[3], NULL, 10);
		long size = strtol(argv[4], NULL, 10);
		if (rounds < 1 || size < 1 || size > FK_PAGE_SIZE) {
			fprintf(stderr, ME ": bad ROUNDS or SIZE\n");
			return 1;
		}
		return argv[1][1] == 'o' ? pong(argv[2], rounds)
					 : ping(argv[2], rounds, (size_t)size);
	}
	if (argc > 3) {
		fprintf(stderr, "usage: " ME " [ROUNDS [SIZE]]\n");
		return 1;
	}
	return both(argc > 1 ? argv[1] : "1000", argc > 2 ? argv[2] : "64");
}
