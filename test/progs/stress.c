/* stress — resource-exhaustion attacks, and the well-behaved programs that
 * must keep working beside them (test/integration/test_exhaustion.sh).
 *
 *   stress drive BOMB [ARGS]   spawns `stress echo` and `stress client N`
 *                              and the bomb (`stress BOMB ARGS`); prints
 *                              the bomb's exit status and the pair's
 *                              result; exits 0 if the pair lost nothing
 *   stress echo                serves "guard", echoes every datagram
 *   stress client N            sends N numbered datagrams to "guard",
 *                              checks every echo in order; exit 0 if all
 *
 * Bombs (each reports what stopped it, then exits 0 if it was stopped the
 * documented way):
 *   memory                     allocates and touches memory until refused
 *   spin                       spins on the CPU for ever
 *   spawn URL                  spawns URL until the tree quota refuses
 *   links [NAME]               links to NAME (its own "bomb" service by
 *                              default) until a link quota refuses
 *   fanout N                   spawns N hubs and links to them in turn
 *                              until the links-per-program quota refuses
 *   hub NAME                   (a fanout hub) serves NAME, holds its links
 *   names                      serves new names until the quota refuses
 *   subs                       subscribes to new channels until refused
 *   waiting                    asks for more links to unserved names, and
 *                              spawns, than the broker holds at once
 *   flood                      floods a receiver that reads slowly
 *   slow                       (the flood's receiver)
 *   broadcast N                broadcasts N messages as fast as it can
 *   drops N                    broadcasts N messages to a listener that
 *                              has stopped reading
 *   deaf N                     (the listener) expects N in all, counting
 *                              the drops it is told of
 *   timers                     creates timers until refused */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakeos.h"

static struct fk_event ev[64];

static int die(const char *what, long r)
{
	printf("stress: %s: %ld\n", what, r);
	return 1;
}

static const char *self_url(void)
{
	return fk_boot()->url;
}

static fk_handle spawn(char *a0, char *a1, char *a2)
{
	char *argv[] = { a0, a1, a2, NULL };
	return fk_spawn(self_url(), argv);
}

/* --- the well-behaved pair --------------------------------------------------- */

/* Echoes until the link that sent data closes; links that never send
 * (a link bomb aimed at this service) come and go without ending it. */
static int echo(void)
{
	fk_handle srv = fk_serve("guard"), talker = 0;
	if (srv < 0)
		return die("fk_serve guard", srv);
	for (;;) {
		int n = fk_wait(ev, 64, -1);
		if (n < 0)
			return die("fk_wait", n);
		for (int i = 0; i < n; i++) {
			if (ev[i].type == FK_EV_DATA) {
				talker = ev[i].handle;
				int r;
				while ((r = fk_send(ev[i].handle, ev[i].data,
						    ev[i].len)) == -EAGAIN) {
					struct fk_event x;
					if (fk_wait(&x, 1, 100000000) == 1)
						fk_release(&x);
				}
				fk_release(&ev[i]);
			} else if (ev[i].type == FK_EV_CLOSED &&
				   ev[i].handle == talker) {
				return 0; /* the client is done */
			}
		}
	}
}

static int client(long total)
{
	fk_handle l = fk_link("guard");
	if (l < 0)
		return die("fk_link guard", l);
	long sent = 0, got = 0;
	int open = 0;
	while (got < total) {
		int n = fk_wait(ev, 64, 5000000000LL);
		if (n <= 0)
			return die("client stalled at", got);
		for (int i = 0; i < n; i++) {
			if (ev[i].type == FK_EV_OPEN && ev[i].handle == l)
				open = 1;
			if (ev[i].type == FK_EV_CLOSED)
				return die("guard link closed at", got);
			if (ev[i].type == FK_EV_DATA) {
				long v = -1;
				if (ev[i].len == sizeof(v))
					memcpy(&v, ev[i].data, sizeof(v));
				fk_release(&ev[i]);
				if (v != got)
					return die("echo out of order or lost "
						   "at",
						   got);
				got++;
			}
		}
		/* Keep a window of 16 in flight. */
		while (open && sent < total && sent - got < 16) {
			if (fk_send(l, &sent, sizeof(sent)) != 0)
				break;
			sent++;
		}
	}
	printf("stress: guard pair exchanged %ld datagrams, none lost\n",
	       got);
	fk_close(l);
	return 0;
}

/* --- bombs --------------------------------------------------------------------- */

static int memory(void)
{
	size_t got = 0;
	for (;;) {
		char *p = fk_page_alloc(256); /* 1 MiB */
		if (!p)
			break;
		memset(p, 1, 256 * FK_PAGE_SIZE);
		got++;
	}
	printf("stress: memory refused after %zu MiB\n", got);
	return 0;
}

static _Noreturn void spin(void)
{
	volatile unsigned long n = 0;
	for (;;)
		n++;
}

static int spawn_bomb(const char *url)
{
	long started = 0;
	for (;;) {
		char *argv[] = { (char *)url, NULL };
		fk_handle h = fk_spawn(url, argv);
		if (h < 0) {
			/* The library's own table; wait for answers. */
			if (fk_wait(ev, 64, 1000000000LL) <= 0)
				return die("spawn bomb stalled", started);
			continue;
		}
		for (;;) {
			int n = fk_wait(ev, 1, 10000000000LL);
			if (n != 1)
				return die("no answer to a spawn", started);
			if (ev[0].type == FK_EV_OPEN) {
				started++;
				break;
			}
			if (ev[0].type == FK_EV_EXIT && ev[0].handle == h) {
				printf("stress: spawn refused after %ld: %d "
				       "%.*s\n",
				       started, ev[0].status, (int)ev[0].len,
				       (const char *)ev[0].data);
				fk_release(&ev[0]);
				return 0;
			}
			fk_release(&ev[0]);
		}
	}
}

/* Links to the targets in turn until the broker refuses with -EDQUOT.
 * Links that open are kept, so each one counts against the quotas. */
static int link_bomb(char *const *targets, int n)
{
	long opened = 0;
	for (;;) {
		fk_handle l = fk_link(targets[opened % n]);
		if (l < 0) {
			printf("stress: link refused by the library after "
			       "%ld: %d\n",
			       opened, l);
			return 0;
		}
		for (;;) {
			int r = fk_wait(ev, 1, 10000000000LL);
			if (r != 1)
				return die("no answer to a link", opened);
			if (ev[0].type == FK_EV_OPEN && ev[0].handle == l) {
				opened++;
				break;
			}
			if (ev[0].type == FK_EV_CLOSED && ev[0].handle == l) {
				printf("stress: link refused after %ld "
				       "ends: %d\n",
				       opened, ev[0].status);
				return ev[0].status == -EDQUOT ? 0 : 1;
			}
			fk_release(&ev[0]);
		}
	}
}

/* To another program's name, the per-peer quota (16) stops the bomb, so
 * it cannot fill that service's slots. To its own name ("bomb"), the
 * per-peer quota again: each link to itself takes two of its slots, both
 * counted between it and itself, so it stops after 8. */
static int links(char *target)
{
	if (!strcmp(target, "bomb")) {
		fk_handle srv = fk_serve("bomb");
		if (srv < 0)
			return die("fk_serve", srv);
	}
	return link_bomb(&target, 1);
}

/* Holds every link made to NAME, and never sends: killed with its parent. */
static int hub(const char *name)
{
	fk_handle srv = fk_serve(name);
	if (srv < 0)
		return die("fk_serve hub", srv);
	for (;;) {
		int n = fk_wait(ev, 64, -1);
		if (n < 0)
			return die("fk_wait", n);
		for (int i = 0; i < n; i++)
			fk_release(&ev[i]);
	}
}

/* Links to n hubs in turn, so that no two programs share more than 63 / n
 * links: the per-peer quota never applies, and the 64th link meets the
 * quota of links per program (the ring's 63 data slots). */
static int fanout(int n)
{
	static char names[8][16];
	char *targets[8];
	if (n < 1 || n > 8)
		return die("fanout: 1 to 8 hubs, not", n);
	for (int i = 0; i < n; i++) {
		snprintf(names[i], sizeof(names[i]), "hub%d", i);
		targets[i] = names[i];
		if (spawn((char *)self_url(), "hub", names[i]) < 0)
			return die("spawning a hub", i);
	}
	for (int started = 0; started < n;) {
		if (fk_wait(ev, 1, 10000000000LL) != 1)
			return die("hubs started", started);
		if (ev[0].type == FK_EV_EXIT)
			return die("a hub ended", ev[0].status);
		started += ev[0].type == FK_EV_OPEN;
		fk_release(&ev[0]);
	}
	return link_bomb(targets, n);
}

/* Serves (or subscribes to) one new name after another until the broker
 * refuses with -EDQUOT. */
static int name_bomb(const char *what)
{
	int sub = !strcmp(what, "subscribe");
	for (long held = 0;; held++) {
		char name[32];
		snprintf(name, sizeof(name), "%s-%ld", what, held);
		fk_handle h = sub ? fk_subscribe(name) : fk_serve(name);
		if (h < 0)
			return die(what, h);
		for (;;) {
			if (fk_wait(ev, 1, 10000000000LL) != 1)
				return die("no answer", held);
			if (ev[0].type == FK_EV_OPEN && ev[0].handle == h)
				break;
			if (ev[0].type == FK_EV_CLOSED && ev[0].handle == h) {
				printf("stress: %s refused after %ld: %d\n",
				       what, held, ev[0].status);
				return ev[0].status == -EDQUOT ? 0 : 1;
			}
			fk_release(&ev[0]);
		}
	}
}

/* The broker holds 16 requests of a program at once (links to names not
 * yet served, spawns being fetched): 16 links to names nobody serves
 * wait, and the 17th link and a spawn behind them are refused at once.
 * Once the 16 have expired, a spawn is taken again. */
static int waiting(void)
{
	enum { HELD = 16 };
	fk_handle l[HELD + 1];
	for (int i = 0; i <= HELD; i++) {
		char name[32];
		snprintf(name, sizeof(name), "nobody-%d", i);
		if ((l[i] = fk_link(name)) < 0)
			return die("fk_link", l[i]);
	}
	/* With no arguments the child prints its usage and exits 2. */
	fk_handle s = spawn((char *)self_url(), NULL, NULL);
	if (s < 0)
		return die("fk_spawn", s);
	uint64_t t0 = fk_now();
	int expired = 0, link_refused = 0, spawn_refused = 0;
	while (expired < HELD || !link_refused || !spawn_refused) {
		if (fk_wait(ev, 1, 10000000000LL) != 1)
			return die("answers", expired);
		long ms = (long)((fk_now() - t0) / 1000000);
		if (ev[0].type == FK_EV_CLOSED && ev[0].handle == l[HELD]) {
			printf("stress: link %d refused after %ld ms: %d\n",
			       HELD + 1, ms, ev[0].status);
			if (ev[0].status != -EAGAIN || expired)
				return 1;
			link_refused = 1;
		} else if (ev[0].type == FK_EV_CLOSED) {
			if (ev[0].status != -ECONNREFUSED)
				return die("a held link ended with", ev[0].status);
			if (++expired == HELD)
				printf("stress: %d held links refused after %ld "
				       "ms: %d\n",
				       HELD, ms, ev[0].status);
		} else if (ev[0].type == FK_EV_EXIT && ev[0].handle == s) {
			printf("stress: spawn refused after %ld ms: %d %.*s\n",
			       ms, ev[0].status, (int)ev[0].len,
			       (const char *)ev[0].data);
			if (ev[0].status != 126 || expired)
				return 1;
			spawn_refused = 1;
		}
		fk_release(&ev[0]);
	}
	s = spawn((char *)self_url(), NULL, NULL);
	for (;;) {
		if (s < 0 || fk_wait(ev, 1, 10000000000LL) != 1)
			return die("a spawn after the wait", s);
		if (ev[0].type == FK_EV_EXIT && ev[0].handle == s)
			break;
	}
	printf("stress: a spawn after the wait exited %d\n", ev[0].status);
	fk_release(&ev[0]);
	return 0;
}

static int slow(void)
{
	fk_handle srv = fk_serve("sink");
	long got = 0, expect = 0;
	if (srv < 0)
		return die("fk_serve sink", srv);
	for (;;) {
		/* One datagram every 2 ms: far slower than the flood. */
		int n = fk_wait(ev, 1, -1);
		if (n < 0)
			return die("fk_wait", n);
		if (n == 0)
			continue;
		if (ev[0].type == FK_EV_DATA) {
			long v = -1;
			memcpy(&v, ev[0].data, sizeof(v));
			fk_release(&ev[0]);
			if (v != expect)
				return die("flood datagram lost or reordered",
					   expect);
			expect++;
			got++;
			/* Slow: 2 ms of work per datagram, without reading. */
			uint64_t until = fk_now() + 2000000;
			while (fk_now() < until)
				;
		} else if (ev[0].type == FK_EV_CLOSED && ev[0].handle != srv) {
			printf("stress: slow receiver got %ld in order\n", got);
			return 0;
		}
	}
}

static int flood(void)
{
	spawn((char *)self_url(), "slow", NULL);
	fk_handle l = fk_link("sink");
	long sent = 0, refused = 0;
	uint64_t end = 0;
	for (;;) {
		int n = fk_wait(ev, 64, end ? 0 : 100000000);
		for (int i = 0; i < n; i++) {
			if (ev[i].type == FK_EV_OPEN && ev[i].handle == l)
				end = fk_now() + 1500000000ULL; /* 1.5 s */
			if (ev[i].type == FK_EV_CLOSED && ev[i].handle == l)
				return die("sink closed", sent);
			fk_release(&ev[i]);
		}
		if (!end)
			continue;
		if (fk_now() >= end)
			break;
		int r = fk_send(l, &sent, sizeof(sent));
		if (r == 0)
			sent++;
		else if (r == -EAGAIN)
			refused++;
		else
			return die("fk_send", r);
	}
	printf("stress: flood sent %ld, refused %ld times with -EAGAIN "
	       "(back-pressure)\n",
	       sent, refused);
	fk_close(l); /* after the queue drains, the sink sees the end */
	for (;;) {
		int n = fk_wait(ev, 64, 60000000000LL);
		if (n <= 0)
			return die("sink never finished; fk_wait said", n);
		for (int i = 0; i < n; i++) {
			if (ev[i].type == FK_EV_EXIT) {
				printf("stress: sink exited %d\n", ev[i].status);
				return ev[i].status;
			}
			fk_release(&ev[i]);
		}
	}
}

static int broadcast(long count)
{
	char msg[128];
	long sent = 0;
	fk_handle sub = fk_subscribe("storm");
	(void)sub;
	for (long i = 0; i < count; i++) {
		int n = snprintf(msg, sizeof(msg), "storm %ld", i);
		int r = fk_broadcast("storm", msg, (size_t)n);
		if (r == -EAGAIN) {
			/* Our own queue to the broker is full: send it. */
			int m = fk_wait(ev, 64, 0);
			for (int j = 0; j < m; j++)
				fk_release(&ev[j]);
			i--;
			continue;
		}
		if (r < 0)
			return die("fk_broadcast", r);
		sent++;
		if (i % 32 == 31) {
			int m = fk_wait(ev, 64, 0);
			for (int j = 0; j < m; j++)
				fk_release(&ev[j]);
		}
	}
	printf("stress: broadcast %ld messages\n", sent);
	return 0;
}

/* Waits for a broadcast of `text` on the subscription sub. */
static int hear(fk_handle sub, const char *text)
{
	size_t len = strlen(text);
	for (;;) {
		if (fk_wait(ev, 1, 30000000000LL) != 1)
			return die("waiting for a broadcast", (long)len);
		int match = ev[0].type == FK_EV_DATA && ev[0].handle == sub &&
			    ev[0].len == len && !memcmp(ev[0].data, text, len);
		fk_release(&ev[0]);
		if (match)
			return 0;
	}
}

/* Broadcasts `count` messages of 2000 bytes on "storm" to a listener
 * (`deaf`) that has stopped reading, then "end" once it reads again. */
static int drops(long count)
{
	static char msg[2000];
	char n[32];
	fk_handle ctl = fk_subscribe("storm-ctl");
	if (ctl < 0)
		return die("fk_subscribe", ctl);
	for (;;) {
		if (fk_wait(ev, 1, 10000000000LL) != 1)
			return die("subscribing", ctl);
		if (ev[0].type == FK_EV_OPEN && ev[0].handle == ctl)
			break;
	}
	snprintf(n, sizeof(n), "%ld", count);
	fk_handle child = spawn((char *)self_url(), "deaf", n);
	if (child < 0 || hear(ctl, "deaf"))
		return die("the listener", child);
	for (long i = 0; i < count;) {
		memcpy(msg, &i, sizeof(i));
		int r = fk_broadcast("storm", msg, sizeof(msg));
		if (r == -EAGAIN) {
			/* Every send page is queued: send them. */
			int m = fk_wait(ev, 64, 0);
			for (int j = 0; j < m; j++)
				fk_release(&ev[j]);
			continue;
		}
		if (r < 0)
			return die("fk_broadcast", r);
		i++;
	}
	printf("stress: broadcast %ld messages of %zu bytes\n", count,
	       sizeof(msg));
	if (hear(ctl, "awake") || fk_broadcast("storm", "end", 3) < 0)
		return die("the listener woke", 0);
	for (;;) {
		if (fk_wait(ev, 1, 30000000000LL) != 1)
			return die("the listener's exit", 0);
		if (ev[0].type == FK_EV_EXIT && ev[0].handle == child)
			break;
		fk_release(&ev[0]);
	}
	printf("stress: listener exited %d\n", ev[0].status);
	return ev[0].status;
}

/* One event for the listener: counts a broadcast of the storm and the
 * drops it reports; returns whether it was the last ("end"). */
static int storm_heard(fk_handle sub, struct fk_event *e, long *got,
		       long *dropped)
{
	int end = 0;
	if (e->type == FK_EV_DATA && e->handle == sub) {
		*dropped += e->status;
		if (e->len == 3 && !memcmp(e->data, "end", 3))
			end = 1;
		else
			++*got;
	}
	fk_release(e);
	return end;
}

/* Subscribes, says so, and spins for 1.5 s without entering the kernel:
 * its control link fills, and the broker drops what does not fit. Then it
 * reads again and counts what arrived and what it was told it lost; the
 * two must add up to the `total` broadcast, with some lost. */
static int deaf(long total)
{
	fk_handle sub = fk_subscribe("storm");
	if (sub < 0)
		return die("fk_subscribe", sub);
	for (;;) {
		if (fk_wait(ev, 1, 10000000000LL) != 1)
			return die("subscribing", sub);
		if (ev[0].type == FK_EV_OPEN && ev[0].handle == sub)
			break;
	}
	long got = 0, dropped = 0;
	int awake = 0, end = 0;
	int r = fk_broadcast("storm-ctl", "deaf", 4);
	/* fk_wait with no timeout submits the broadcast and returns; the
	 * storm may start before it does. */
	int m = fk_wait(ev, 64, 0);
	for (int j = 0; j < m; j++)
		end |= storm_heard(sub, &ev[j], &got, &dropped);
	if (r < 0 || m < 0)
		return die("saying so", r < 0 ? r : m);
	uint64_t until = fk_now() + 1500000000ULL;
	while (fk_now() < until)
		;
	while (!end) {
		/* Awake once the storm has drained: 200 ms with nothing. */
		int n = fk_wait(ev, 64, awake ? 30000000000LL : 200000000);
		if (n < 0 || (n == 0 && awake))
			return die("the end of the storm", got);
		if (n == 0) {
			if ((r = fk_broadcast("storm-ctl", "awake", 5)) < 0)
				return die("waking", r);
			awake = 1;
		}
		for (int i = 0; i < n; i++)
			end |= storm_heard(sub, &ev[i], &got, &dropped);
	}
	printf("stress: deaf listener got %ld broadcasts, told of %ld dropped: "
	       "%ld in all\n",
	       got, dropped, got + dropped);
	return got + dropped == total && dropped > 0 ? 0 : 1;
}

static int timers(void)
{
	long made = 0;
	for (;;) {
		fk_handle t = fk_timer(3600ULL * 1000000000ULL, 0);
		if (t < 0) {
			printf("stress: timer refused after %ld: %d\n", made, t);
			return t == -EMFILE ? 0 : 1;
		}
		made++;
		if (made % 32 == 0) {
			int n = fk_wait(ev, 64, 0);
			for (int i = 0; i < n; i++)
				fk_release(&ev[i]);
		}
	}
}

/* --- the driver ------------------------------------------------------------------ */

static int drive(int argc, char **argv)
{
	char *bomb[8] = { 0 };
	int nb = 0;
	bomb[nb++] = (char *)self_url();
	for (int i = 2; i < argc && nb < 7; i++)
		bomb[nb++] = argv[i];
	fk_handle e = spawn((char *)self_url(), "echo", NULL);
	fk_handle c = spawn((char *)self_url(), "client", "20000");
	fk_handle b = fk_spawn(self_url(), bomb);
	if (e < 0 || c < 0 || b < 0)
		return die("spawning", e < 0 ? e : c < 0 ? c : b);
	int left = 3, pair_ok = 1;
	while (left > 0) {
		int n = fk_wait(ev, 64, 120000000000LL);
		if (n <= 0)
			return die("driver timed out with children left", left);
		for (int i = 0; i < n; i++) {
			if (ev[i].type != FK_EV_EXIT) {
				fk_release(&ev[i]);
				continue;
			}
			const char *who = ev[i].handle == b   ? "bomb"
					  : ev[i].handle == c ? "client"
							      : "echo";
			printf("stress: %s exited %d\n", who, ev[i].status);
			if (ev[i].handle != b && ev[i].status != 0)
				pair_ok = 0;
			fk_release(&ev[i]);
			left--;
		}
	}
	printf("stress: guard pair %s\n", pair_ok ? "OK" : "FAILED");
	return pair_ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	int r = fk_init();
	if (r < 0)
		return die("fk_init", r);
	const char *m = argc > 1 ? argv[1] : "";
	if (!strcmp(m, "drive"))
		return drive(argc, argv);
	if (!strcmp(m, "echo"))
		return echo();
	if (!strcmp(m, "client"))
		return client(argc > 2 ? atol(argv[2]) : 1000);
	if (!strcmp(m, "memory"))
		return memory();
	if (!strcmp(m, "spin"))
		spin();
	if (!strcmp(m, "spawn") && argc > 2)
		return spawn_bomb(argv[2]);
	if (!strcmp(m, "links"))
		return links(argc > 2 ? argv[2] : "bomb");
	if (!strcmp(m, "fanout"))
		return fanout(argc > 2 ? atoi(argv[2]) : 5);
	if (!strcmp(m, "hub") && argc > 2)
		return hub(argv[2]);
	if (!strcmp(m, "names"))
		return name_bomb("serve");
	if (!strcmp(m, "subs"))
		return name_bomb("subscribe");
	if (!strcmp(m, "waiting"))
		return waiting();
	if (!strcmp(m, "flood"))
		return flood();
	if (!strcmp(m, "slow"))
		return slow();
	if (!strcmp(m, "broadcast"))
		return broadcast(argc > 2 ? atol(argv[2]) : 100000);
	if (!strcmp(m, "drops"))
		return drops(argc > 2 ? atol(argv[2]) : 1000);
	if (!strcmp(m, "deaf") && argc > 2)
		return deaf(atol(argv[2]));
	if (!strcmp(m, "timers"))
		return timers();
	printf("usage: stress drive BOMB [ARGS] | echo | client N | ...\n");
	return 2;
}
