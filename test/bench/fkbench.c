/* fkbench — the fakeOS side of `make bench`: jailed programs talking over a
 * fakeOS link, and a program spawning children. One binary, several roles:
 *
 *   fkbench rtt ROUNDS WARMUP SIZE...
 *       spawns itself as rtt-echo and rtt-ping: a ping-pong over one link.
 *       For each SIZE the pinger does WARMUP untimed rounds, then ROUNDS
 *       timed ones (fk_now before fk_send, again when the reply's
 *       FK_EV_DATA is out of fk_wait), and checks every reply (first byte
 *       'i' turned into 'o' by the echo, the rest unchanged). Prints per
 *       SIZE: "rtt SIZE ROUNDS MEDIAN_NS P10_NS P90_NS".
 *
 *   fkbench stream COUNT
 *       spawns itself as stream-sink and stream-source: COUNT datagrams of
 *       4096 bytes one way over one link. The sink starts its clock when
 *       the link is open, sends "go", and stops it when the COUNT-th
 *       datagram is out of fk_wait; it checks every datagram's sequence
 *       stamp. The source sends as fast as fk_send takes them, waiting
 *       (fk_wait, FK_EV_ROOM) only when it says -EAGAIN. Prints, from the
 *       sink: "stream COUNT BYTES NS".
 *
 *   fkbench echo-each NAME, fkbench source-each NAME COUNT
 *       serve NAME for ever, one link after the other: the echo of rtt,
 *       or the source of stream (COUNT datagrams to each link). With
 *       export = yes on another host, the far ends of the figures across
 *       hosts (tools/bench-remote), which a program of this host reaches
 *       with the next two.
 *   fkbench rtt-ping NAME ROUNDS WARMUP SIZE...
 *       links to NAME and pings it as rtt's pinger does; prints the same.
 *   fkbench sink-from NAME COUNT
 *       links to NAME and sinks as stream's sink does; prints the same.
 *
 *   fkbench spawn URL COUNT WINDOW
 *       spawns URL COUNT times, at most WINDOW at once (1: one after the
 *       other), and reaps each FK_EV_EXIT, which must say 0. Prints
 *       "spawn COUNT WINDOW NS", from the first fk_spawn to the last exit.
 *
 *   fkbench spawn-paced URL COUNT GAP_MS
 *       spawns URL COUNT times (at most 1000), one at a time and GAP_MS
 *       apart, timing each fk_spawn to its FK_EV_EXIT. Prints
 *       "spawn-paced COUNT GAP MEDIAN_NS P90_NS".
 *
 *   fkbench storm STORMERS SUBS RATE ROUNDS
 *       times ROUNDS link set-ups through the broker (fk_link to FK_EV_OPEN,
 *       then fk_close) to a server it spawned (storm-server), first in
 *       quiet, then while STORMERS programs (storm-cast) each broadcast
 *       64 bytes RATE times a second to SUBS subscribers (storm-sub), the
 *       most the flood limit allows a program when RATE is just under it.
 *       Prints "storm STORMERS SUBS RATE BEFORE_P50 BEFORE_P99 DURING_P50
 *       DURING_P99" in ns.
 *
 * Every wait is unbounded (timeout -1), as the socket baseline's blocking
 * calls are; the driver runs fkbench with --time-limit so a hang still
 * ends. Exit 0, or 1 with the reason on stderr. */
#include <errno.h>
#include <fakeos.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#define ME "fkbench"
#define FOREVER (-1)

static int fail(const char *role, const char *what, int err)
{
	fprintf(stderr, ME " %s: %s: %s\n", role, what, strerror(-err));
	return 1;
}

/* Waits for the next event about h (as link or as source); releases the
 * others, which none of these roles expects. */
static int next(fk_handle h, struct fk_event *e, const char *role)
{
	for (;;) {
		int n = fk_wait(e, 1, FOREVER);
		if (n < 0)
			return fail(role, "fk_wait", n);
		if (n == 1 && (e->handle == h || e->source == h))
			return 0;
		fk_release(e);
	}
}

/* The next link to srv, or <= 0 (reported). */
static fk_handle incoming(fk_handle srv, const char *role)
{
	struct fk_event e;
	for (;;) {
		if (next(srv, &e, role))
			return 0;
		if (e.type == FK_EV_CLOSED)
			return fail(role, "serving", e.status) - 1;
		if (e.type == FK_EV_INCOMING)
			return e.handle;
	}
}

/* Serves name and returns the first link to it, or <= 0 (reported). */
static fk_handle accept_one(const char *name, const char *role)
{
	fk_handle srv = fk_serve(name);
	if (srv < 0)
		return fail(role, "fk_serve", srv) - 1;
	return incoming(srv, role);
}

/* Serves name for ever, one link after the other, each handed to fn with
 * arg until it ends: the far end of the figures across hosts (tools/
 * bench-remote), a service that many runs reach in turn. */
static int serve_each(const char *name, const char *role,
		      int (*fn)(fk_handle, long), long arg)
{
	fk_handle srv = fk_serve(name);
	if (srv < 0)
		return fail(role, "fk_serve", srv);
	for (;;) {
		fk_handle link = incoming(srv, role);
		if (link <= 0)
			return 1;
		int r = fn(link, arg);
		fk_close(link);
		if (r)
			return r;
	}
}

/* Links to name; returns the open link, or <= 0 (reported). */
static fk_handle connect_to(const char *name, const char *role)
{
	struct fk_event e;
	fk_handle link = fk_link(name);
	if (link < 0)
		return fail(role, "fk_link", link) - 1;
	if (next(link, &e, role))
		return 0;
	if (e.type != FK_EV_OPEN)
		return fail(role, "fk_link", e.status) - 1;
	return link;
}

/* --- round trip ---------------------------------------------------------- */

static int rtt_echo(fk_handle link, long unused)
{
	struct fk_event ev[8];
	(void)unused;
	if (link <= 0)
		return 1;
	for (;;) {
		int n = fk_wait(ev, 8, FOREVER);
		if (n < 0)
			return fail("rtt-echo", "fk_wait", n);
		for (int i = 0; i < n; i++) {
			struct fk_event *e = &ev[i];
			if (e->handle != link) {
				fk_release(e);
				continue;
			}
			if (e->type == FK_EV_CLOSED)
				return e->status ? fail("rtt-echo", "link",
							e->status)
						 : 0;
			if (e->type != FK_EV_DATA)
				continue;
			/* The reply is built in the received page itself. */
			((char *)e->data)[0] = 'o';
			int r = fk_send(link, e->data, e->len);
			fk_release(e);
			if (r < 0)
				return fail("rtt-echo", "fk_send", r);
		}
	}
}

static int rtt_ping(const char *name, long rounds, long warmup, int nsizes,
		    char **sizes)
{
	static char buf[FK_PAGE_SIZE];
	struct fk_event e;
	uint64_t *t = calloc((size_t)rounds, sizeof(*t));
	if (!t)
		return fail("rtt-ping", "calloc", -ENOMEM);
	fk_handle link = connect_to(name, "rtt-ping");
	if (link <= 0)
		return 1;
	for (int s = 0; s < nsizes; s++) {
		long size = strtol(sizes[s], NULL, 10);
		if (size < 1 || size > FK_PAGE_SIZE)
			return fail("rtt-ping", sizes[s], -EINVAL);
		for (long i = -warmup; i < rounds; i++) {
			memset(buf, 'a' + (int)((i + warmup) % 26),
			       (size_t)size);
			buf[0] = 'i';
			uint64_t t0 = fk_now();
			int r = fk_send(link, buf, (size_t)size);
			if (r < 0)
				return fail("rtt-ping", "fk_send", r);
			if (next(link, &e, "rtt-ping"))
				return 1;
			uint64_t t1 = fk_now();
			if (e.type != FK_EV_DATA)
				return fail("rtt-ping", "link",
					    e.status ? e.status : -EPIPE);
			buf[0] = 'o';
			int ok = e.len == (size_t)size &&
				 memcmp(e.data, buf, (size_t)size) == 0;
			fk_release(&e);
			if (!ok) {
				fprintf(stderr,
					ME " rtt-ping: round %ld: wrong "
					   "reply\n",
					i);
				return 1;
			}
			if (i >= 0)
				t[i] = t1 - t0;
		}
		uint64_t p10 = bench_pct(t, (size_t)rounds, 10);
		uint64_t p90 = bench_pct(t, (size_t)rounds, 90);
		printf("rtt %ld %ld %llu %llu %llu\n", size, rounds,
		       (unsigned long long)bench_pct(t, (size_t)rounds, 50),
		       (unsigned long long)p10, (unsigned long long)p90);
	}
	fflush(stdout);
	fk_close(link);
	free(t);
	return 0;
}

/* --- streaming ----------------------------------------------------------- */

static int stream_sink(fk_handle link, long count)
{
	struct fk_event ev[64];
	if (link <= 0)
		return 1;
	uint64_t t0 = fk_now(), t1 = 0;
	int r = fk_send(link, "g", 1);
	if (r < 0)
		return fail("stream-sink", "fk_send", r);
	long got = 0;
	while (got < count) {
		int n = fk_wait(ev, 64, FOREVER);
		if (n < 0)
			return fail("stream-sink", "fk_wait", n);
		for (int i = 0; i < n; i++) {
			struct fk_event *e = &ev[i];
			if (e->handle == link && e->type == FK_EV_CLOSED) {
				fprintf(stderr,
					ME " stream-sink: link closed after "
					   "%ld of %ld datagrams\n",
					got, count);
				return 1;
			}
			if (e->handle == link && e->type == FK_EV_DATA) {
				if (got >= count ||
				    !bench_stamp_ok(e->data, e->len, BENCH_MSG,
						    (uint64_t)got)) {
					fprintf(stderr,
						ME " stream-sink: datagram %ld "
						   "is wrong or missing\n",
						got);
					return 1;
				}
				got++;
			}
			fk_release(e);
		}
	}
	t1 = fk_now();
	printf("stream %ld %llu %llu\n", got,
	       (unsigned long long)got * BENCH_MSG,
	       (unsigned long long)(t1 - t0));
	return 0; /* the link closes with us: the source's cue to end */
}

static int stream_source(fk_handle link, long count)
{
	static unsigned char buf[BENCH_MSG];
	struct fk_event ev[16];
	if (link <= 0)
		return 1;
	struct fk_event e;
	if (next(link, &e, "stream-source"))
		return 1;
	if (e.type != FK_EV_DATA)
		return fail("stream-source", "waiting for go",
			    e.status ? e.status : -EPIPE);
	fk_release(&e);
	memset(buf, 'x', sizeof(buf));
	long sent = 0;
	for (;;) {
		while (sent < count) {
			bench_stamp(buf, sizeof(buf), (uint64_t)sent);
			int r = fk_send(link, buf, sizeof(buf));
			if (r == -EAGAIN)
				break;
			if (r < 0)
				return fail("stream-source", "fk_send", r);
			sent++;
		}
		/* Full (or all sent): the wait sends what is queued. */
		int n = fk_wait(ev, 16, FOREVER);
		if (n < 0)
			return fail("stream-source", "fk_wait", n);
		for (int i = 0; i < n; i++) {
			if (ev[i].handle == link &&
			    ev[i].type == FK_EV_CLOSED) {
				if (sent < count)
					return fail("stream-source", "link",
						    ev[i].status ? ev[i].status
								 : -EPIPE);
				return 0; /* the sink has them all */
			}
			fk_release(&ev[i]);
		}
	}
}

/* --- spawning ------------------------------------------------------------ */

static int spawn_many(const char *url, long count, long window)
{
	struct fk_event ev[16];
	char *args[] = { "child", NULL };
	long started = 0, running = 0, done = 0;
	uint64_t t0 = fk_now();
	while (done < count) {
		while (started < count && running < window) {
			fk_handle h = fk_spawn(url, args);
			if (h < 0)
				return fail("spawn", "fk_spawn", h);
			started++;
			running++;
		}
		int n = fk_wait(ev, 16, FOREVER);
		if (n < 0)
			return fail("spawn", "fk_wait", n);
		for (int i = 0; i < n; i++) {
			struct fk_event *e = &ev[i];
			if (e->type == FK_EV_EXIT) {
				if (e->status != 0) {
					fprintf(stderr,
						ME " spawn: a child ended "
						   "with %d: %.*s\n",
						(int)e->status, (int)e->len,
						e->data ? (const char *)e->data
							: "");
					return 1;
				}
				done++;
				running--;
			}
			fk_release(e);
		}
	}
	uint64_t t1 = fk_now();
	printf("spawn %ld %ld %llu\n", count, window,
	       (unsigned long long)(t1 - t0));
	return 0;
}

/* One child at a time, GAP ms apart: each spawn finds the pool refilled,
 * as a service that launches now and then does. Times each fk_spawn to
 * its FK_EV_EXIT, and prints the median and the 90th percentile. */
static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int spawn_paced(const char *url, long count, long gap_ms)
{
	static uint64_t t[1000];
	struct fk_event ev[16];
	char *args[] = { "child", NULL };
	if (count > (long)(sizeof(t) / sizeof(t[0])))
		return fail("spawn-paced", "COUNT above 1000", -EINVAL);
	for (long k = 0; k < count; k++) {
		/* The gap: nothing to wait for but the clock. */
		uint64_t until = fk_now() + (uint64_t)gap_ms * 1000000;
		for (uint64_t now = fk_now(); now < until; now = fk_now())
			if (fk_wait(ev, 16, (int64_t)(until - now)) < 0)
				return fail("spawn-paced", "fk_wait", -EIO);
		uint64_t t0 = fk_now();
		fk_handle h = fk_spawn(url, args);
		if (h < 0)
			return fail("spawn-paced", "fk_spawn", h);
		for (bool done = false; !done;) {
			int n = fk_wait(ev, 16, FOREVER);
			if (n < 0)
				return fail("spawn-paced", "fk_wait", n);
			for (int i = 0; i < n; i++) {
				if (ev[i].type == FK_EV_EXIT && ev[i].handle == h) {
					if (ev[i].status != 0) {
						fprintf(stderr, ME " spawn-paced: "
								   "a child ended "
								   "with %d\n",
							(int)ev[i].status);
						return 1;
					}
					done = true;
				}
				fk_release(&ev[i]);
			}
		}
		t[k] = fk_now() - t0;
	}
	qsort(t, (size_t)count, sizeof(t[0]), cmp_u64);
	printf("spawn-paced %ld %ld %llu %llu\n", count, gap_ms,
	       (unsigned long long)t[count / 2],
	       (unsigned long long)t[count * 9 / 10]);
	return 0;
}

/* --- link set-up under a broadcast storm ------------------------------------ */

#define STORM_SVC "bench-storm-svc"
#define STORM_CHANNEL "bench-storm"

/* Serves STORM_SVC: takes every link and closes it at once, so the
 * client's next set-up finds the server's slot free again. */
static int storm_server(void)
{
	struct fk_event ev[16];
	if (fk_serve(STORM_SVC) < 0)
		return 1;
	for (;;) {
		int n = fk_wait(ev, 16, FOREVER);
		if (n < 0)
			return fail("storm-server", "fk_wait", n);
		for (int i = 0; i < n; i++) {
			if (ev[i].type == FK_EV_INCOMING)
				(void)fk_close(ev[i].handle);
			fk_release(&ev[i]);
		}
	}
}

/* Subscribes and drains. */
static int storm_sub(void)
{
	struct fk_event ev[16];
	if (fk_subscribe(STORM_CHANNEL) < 0)
		return 1;
	for (;;) {
		int n = fk_wait(ev, 16, FOREVER);
		if (n < 0)
			return fail("storm-sub", "fk_wait", n);
		for (int i = 0; i < n; i++)
			fk_release(&ev[i]);
	}
}

/* Broadcasts 64 bytes rate times a second, paced, until killed. A
 * sender that fell behind (descheduled) does not catch up in a burst,
 * which the flood limit would punish: it starts its schedule again. */
static int storm_cast(long rate)
{
	char msg[64];
	memset(msg, 's', sizeof(msg));
	uint64_t start = fk_now();
	for (uint64_t i = 0;;) {
		uint64_t due = start + i * 1000000000ULL / (uint64_t)rate;
		uint64_t now = fk_now();
		struct fk_event e;
		if (now > due + 10000000) {
			start = now;
			i = 0;
			continue;
		}
		if (now < due) {
			if (fk_wait(&e, 1, (int64_t)(due - now)) > 0)
				fk_release(&e);
			continue;
		}
		int r = fk_broadcast(STORM_CHANNEL, msg, sizeof(msg));
		if (r == -EAGAIN) {
			if (fk_wait(&e, 1, FOREVER) > 0)
				fk_release(&e);
			continue;
		}
		if (r < 0)
			return fail("storm-cast", "fk_broadcast", r);
		i++;
	}
}

/* ROUNDS link set-ups into t[]: fk_link to FK_EV_OPEN. The server then
 * closes its end, and the link's FK_EV_CLOSED says its slot is free. */
static int storm_links(uint64_t *t, long rounds)
{
	struct fk_event e;
	for (long i = 0; i < rounds; i++) {
		uint64_t t0 = fk_now();
		fk_handle h = fk_link(STORM_SVC);
		if (h < 0)
			return fail("storm", "fk_link", h);
		if (next(h, &e, "storm"))
			return 1;
		if (e.type != FK_EV_OPEN)
			return fail("storm", "link", e.status);
		t[i] = fk_now() - t0;
		do {
			fk_release(&e);
			if (next(h, &e, "storm"))
				return 1;
		} while (e.type != FK_EV_CLOSED);
		fk_release(&e);
	}
	return 0;
}

static void storm_pause(uint64_t ns)
{
	uint64_t until = fk_now() + ns;
	struct fk_event e;
	while (fk_now() < until)
		if (fk_wait(&e, 1, (int64_t)(until - fk_now())) > 0)
			fk_release(&e);
}

/* Spawns one role of ourselves and waits until it runs: a program may
 * have only 16 requests waiting. */
static int storm_spawn(char **args)
{
	struct fk_event e;
	fk_handle h = fk_spawn(fk_boot()->url, args);
	if (h < 0)
		return fail("storm", "fk_spawn", h);
	if (next(h, &e, "storm"))
		return 1;
	if (e.type != FK_EV_OPEN)
		return fail("storm", args[1], -ECHILD);
	return 0;
}

static int storm(long stormers, long subs, long rate, long rounds)
{
	char rate_s[24];
	snprintf(rate_s, sizeof(rate_s), "%ld", rate);
	char *server[] = { "", "storm-server", NULL };
	char *sub[] = { "", "storm-sub", NULL };
	char *cast[] = { "", "storm-cast", rate_s, NULL };
	uint64_t *before = calloc((size_t)rounds, sizeof(uint64_t));
	uint64_t *during = calloc((size_t)rounds, sizeof(uint64_t));
	if (!before || !during)
		return fail("storm", "calloc", -ENOMEM);
	if (storm_spawn(server))
		return 1;
	for (long i = 0; i < subs; i++)
		if (storm_spawn(sub))
			return 1;
	/* The first link waits for the server's name; the subscribers are
	 * given the same while to subscribe. */
	uint64_t warm;
	if (storm_links(&warm, 1))
		return 1;
	storm_pause(200000000);
	if (storm_links(before, rounds))
		return 1;
	for (long i = 0; i < stormers; i++)
		if (storm_spawn(cast))
			return 1;
	storm_pause(300000000);
	if (storm_links(during, rounds))
		return 1;
	printf("storm %ld %ld %ld %llu %llu %llu %llu\n", stormers, subs, rate,
	       (unsigned long long)bench_pct(before, (size_t)rounds, 50),
	       (unsigned long long)bench_pct(before, (size_t)rounds, 99),
	       (unsigned long long)bench_pct(during, (size_t)rounds, 50),
	       (unsigned long long)bench_pct(during, (size_t)rounds, 99));
	fflush(stdout);
	/* The storm ends with the tree. */
	fk_exit(0);
}

/* --- the top program ----------------------------------------------------- */

/* Starts two roles of ourselves and waits for both to end well. */
static int pair(char **args0, char **args1)
{
	const char *url = fk_boot()->url;
	char **args[2] = { args0, args1 };
	fk_handle kids[2];
	int status[2] = { -1, -1 };
	for (int i = 0; i < 2; i++)
		if ((kids[i] = fk_spawn(url, args[i])) < 0)
			return fail("", "fk_spawn", kids[i]);
	for (int left = 2; left > 0;) {
		struct fk_event ev[4];
		int n = fk_wait(ev, 4, FOREVER);
		if (n < 0)
			return fail("", "fk_wait", n);
		for (int i = 0; i < n; i++) {
			for (int k = 0; k < 2; k++)
				if (ev[i].type == FK_EV_EXIT &&
				    ev[i].handle == kids[k]) {
					status[k] = ev[i].status;
					left--;
				}
			fk_release(&ev[i]);
		}
	}
	if (status[0] || status[1]) {
		fprintf(stderr, ME ": %s exited %d, %s exited %d\n", args0[1],
			status[0], args1[1], status[1]);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int r = fk_init();
	if (r < 0)
		return fail("", "fk_init", r);
	const char *role = argc > 1 ? argv[1] : "";
	if (!strcmp(role, "rtt") && argc >= 5) {
		bench_number(argv[2], 1);
		bench_number(argv[3], 0);
		char *echo[] = { "", "rtt-echo", "bench-rtt", NULL };
		char *ping[FK_SPAWN_ARGC_MAX + 1] = { "", "rtt-ping",
						      "bench-rtt" };
		for (int i = 2; i < argc && i + 1 < FK_SPAWN_ARGC_MAX; i++)
			ping[i + 1] = argv[i];
		return pair(echo, ping);
	}
	if (!strcmp(role, "rtt-echo") && argc == 3)
		return rtt_echo(accept_one(argv[2], role), 0);
	if (!strcmp(role, "echo-each") && argc == 3)
		return serve_each(argv[2], role, rtt_echo, 0);
	if (!strcmp(role, "rtt-ping") && argc >= 6)
		return rtt_ping(argv[2], bench_number(argv[3], 1),
				bench_number(argv[4], 0), argc - 5, argv + 5);
	if (!strcmp(role, "stream") && argc == 3) {
		bench_number(argv[2], 1);
		char *sink[] = { "", "stream-sink", "bench-stream", argv[2],
				 NULL };
		char *src[] = { "", "stream-source", "bench-stream", argv[2],
				NULL };
		return pair(sink, src);
	}
	if (!strcmp(role, "stream-sink") && argc == 4)
		return stream_sink(accept_one(argv[2], role),
				   bench_number(argv[3], 1));
	if (!strcmp(role, "stream-source") && argc == 4)
		return stream_source(connect_to(argv[2], role),
				     bench_number(argv[3], 1));
	if (!strcmp(role, "sink-from") && argc == 4)
		return stream_sink(connect_to(argv[2], role),
				   bench_number(argv[3], 1));
	if (!strcmp(role, "source-each") && argc == 4)
		return serve_each(argv[2], role, stream_source,
				  bench_number(argv[3], 1));
	if (!strcmp(role, "storm") && argc == 6)
		return storm(bench_number(argv[2], 0), bench_number(argv[3], 0),
			     bench_number(argv[4], 1), bench_number(argv[5], 1));
	if (!strcmp(role, "storm-server"))
		return storm_server();
	if (!strcmp(role, "storm-sub"))
		return storm_sub();
	if (!strcmp(role, "storm-cast") && argc == 3)
		return storm_cast(bench_number(argv[2], 1));
	if (!strcmp(role, "spawn") && argc == 5)
		return spawn_many(argv[2], bench_number(argv[3], 1),
				  bench_number(argv[4], 1));
	if (!strcmp(role, "spawn-paced") && argc == 5)
		return spawn_paced(argv[2], bench_number(argv[3], 1),
				   bench_number(argv[4], 0));
	fprintf(stderr, "usage: " ME " rtt ROUNDS WARMUP SIZE...\n"
			"       " ME " stream COUNT\n"
			"       " ME " echo-each NAME | source-each NAME COUNT\n"
			"       " ME " rtt-ping NAME ROUNDS WARMUP SIZE...\n"
			"       " ME " sink-from NAME COUNT\n"
			"       " ME " spawn URL COUNT WINDOW\n"
			"       " ME " spawn-paced URL COUNT GAP_MS\n"
			"       " ME " storm STORMERS SUBS RATE ROUNDS\n");
	return 2;
}
