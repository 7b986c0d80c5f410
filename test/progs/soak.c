/* soak — many programs exchanging messages for a fixed time (make soak).
 *
 *   soak top PAIRS SECONDS      serves "collector", spawns PAIRS servers
 *                               and PAIRS clients, collects each client's
 *                               counts, prints the totals; exits 0 when
 *                               every client reported and nothing was lost
 *   soak server I               serves "s<I>", echoes until its client goes
 *   soak client I SECONDS       links to "s<I>", sends a numbered datagram
 *                               every 10 ms for SECONDS (a steady service
 *                               load, not a benchmark), checks every echo,
 *                               then reports to "collector" */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakeos.h"

struct report {
	long index, sent, received, bad;
};

static struct fk_event ev[64];

static int fail(const char *what, long v)
{
	printf("soak: %s: %ld\n", what, v);
	return 1;
}

static int server(long i)
{
	char name[32];
	snprintf(name, sizeof(name), "s%ld", i);
	fk_handle srv = fk_serve(name), peer = 0;
	if (srv < 0)
		return fail("fk_serve", srv);
	for (;;) {
		int n = fk_wait(ev, 64, -1);
		if (n < 0)
			return fail("fk_wait", n);
		for (int k = 0; k < n; k++) {
			struct fk_event *e = &ev[k];
			if (e->type == FK_EV_INCOMING)
				peer = e->handle;
			else if (e->type == FK_EV_DATA) {
				int r;
				while ((r = fk_send(e->handle, e->data,
						    e->len)) == -EAGAIN) {
					struct fk_event x;
					if (fk_wait(&x, 1, 50000000) == 1)
						fk_release(&x);
				}
				fk_release(e);
			} else if (e->type == FK_EV_CLOSED && e->handle == peer) {
				return 0;
			}
		}
	}
}

static int client(long i, long seconds)
{
	char name[32];
	snprintf(name, sizeof(name), "s%ld", i);
	fk_handle l = fk_link(name);
	if (l < 0)
		return fail("fk_link", l);
	struct report rep = { .index = i };
	const uint64_t every = 10000000; /* 10 ms */
	uint64_t end = 0, next = 0;
	int open = 0;
	while (!end || fk_now() < end || rep.received < rep.sent) {
		uint64_t now = fk_now();
		int64_t wait = !open ? 10000000000LL
			       : next > now ? (int64_t)(next - now)
					    : 0;
		if (end && now >= end)
			wait = 10000000000LL; /* only echoes are left */
		int n = fk_wait(ev, 64, wait);
		if (n < 0 || (n == 0 && wait == 10000000000LL))
			return fail("client stalled", rep.received);
		for (int k = 0; k < n; k++) {
			struct fk_event *e = &ev[k];
			if (e->type == FK_EV_OPEN && e->handle == l) {
				open = 1;
				next = fk_now();
				end = next + (uint64_t)seconds * 1000000000;
			} else if (e->type == FK_EV_CLOSED) {
				return fail("link closed", e->status);
			} else if (e->type == FK_EV_DATA) {
				long v = -1;
				if (e->len == sizeof(v))
					memcpy(&v, e->data, sizeof(v));
				if (v != rep.received)
					rep.bad++;
				rep.received++;
				fk_release(e);
			}
		}
		if (open && fk_now() < end && fk_now() >= next &&
		    fk_send(l, &rep.sent, sizeof(long)) == 0) {
			rep.sent++;
			next += every;
		}
	}
	fk_close(l);
	/* Report to the collector. It has 63 slots for hundreds of
	 * reporters: a refused link is tried again a little later. */
	for (int tries = 0; tries < 200; tries++) {
		fk_handle c = fk_link("collector");
		if (c < 0)
			return fail("fk_link collector", c);
		for (int done = 0; !done;) {
			int n = fk_wait(ev, 64, 30000000000LL);
			if (n <= 0)
				return fail("no collector", 0);
			for (int k = 0; k < n; k++) {
				if (ev[k].type == FK_EV_OPEN &&
				    ev[k].handle == c) {
					fk_send(c, &rep, sizeof(rep));
					/* Lingers until the report is out. */
					fk_close(c);
					return 0;
				}
				if (ev[k].type == FK_EV_CLOSED &&
				    ev[k].handle == c) {
					if (ev[k].status != -ECONNREFUSED)
						return fail("collector link",
							    ev[k].status);
					done = 1;
				}
				fk_release(&ev[k]);
			}
		}
		struct fk_event x;
		if (fk_wait(&x, 1, 20000000LL * (1 + tries % 10)) == 1)
			fk_release(&x);
	}
	return fail("collector stayed full", 0);
}

static int top(long pairs, long seconds)
{
	const char *self = fk_boot()->url;
	fk_handle col = fk_serve("collector");
	if (col < 0)
		return fail("fk_serve collector", col);
	long spawned = 0, started = 0, exited = 0, reports = 0, bad_exit = 0;
	long sent = 0, received = 0, bad = 0;
	char a[32], b[32];
	while (exited < 2 * pairs || reports < pairs) {
		/* At most 8 spawns waiting for the broker at a time: the
		 * broker's quota of waiting requests is 16. */
		while (spawned < 2 * pairs && spawned - started < 8) {
			long i = spawned / 2;
			snprintf(a, sizeof(a), "%ld", i);
			snprintf(b, sizeof(b), "%ld", seconds);
			char *argv[] = { (char *)self,
					 spawned % 2 ? "client" : "server", a,
					 b, NULL };
			fk_handle h = fk_spawn(self, argv);
			if (h == -EAGAIN || h == -EMFILE)
				break;
			if (h < 0)
				return fail("fk_spawn", h);
			spawned++;
		}
		int n = fk_wait(ev, 64, 60000000000LL);
		if (n <= 0)
			return fail("top stalled; exits so far", exited);
		for (int k = 0; k < n; k++) {
			struct fk_event *e = &ev[k];
			if (e->type == FK_EV_OPEN && e->handle != col) {
				started++;
			} else if (e->type == FK_EV_EXIT) {
				exited++;
				if (e->status != 0) {
					bad_exit++;
					printf("soak: a program exited %d: %.*s\n",
					       e->status, (int)e->len,
					       e->data ? (const char *)e->data
						       : "");
				}
			} else if (e->type == FK_EV_DATA &&
				   e->len == sizeof(struct report)) {
				struct report r;
				memcpy(&r, e->data, sizeof(r));
				sent += r.sent;
				received += r.received;
				bad += r.bad;
				reports++;
			}
			fk_release(e);
		}
	}
	printf("soak: %ld programs for %ld s: %ld messages sent, %ld received, "
	       "%ld lost, %ld out of order; %ld clients reported; %ld bad "
	       "exits\n",
	       2 * pairs + 1, seconds, sent, received, sent - received, bad,
	       reports, bad_exit);
	return sent == received && !bad && reports == pairs && !bad_exit ? 0 : 1;
}

int main(int argc, char **argv)
{
	int r = fk_init();
	if (r < 0)
		return fail("fk_init", r);
	const char *m = argc > 1 ? argv[1] : "";
	if (!strcmp(m, "top") && argc > 3)
		return top(atol(argv[2]), atol(argv[3]));
	if (!strcmp(m, "server") && argc > 2)
		return server(atol(argv[2]));
	if (!strcmp(m, "client") && argc > 3)
		return client(atol(argv[2]), atol(argv[3]));
	printf("usage: soak top PAIRS SECONDS\n");
	return 2;
}
