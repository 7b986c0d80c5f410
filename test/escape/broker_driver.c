/* broker_driver — not an attack: the well-behaved program that must keep
 * working while a hostile child is killed beside it (test_broker_hostile.sh).
 *
 *   broker_driver HOSTILE [ARG...]    with a hostile child
 *   broker_driver --hold SECS         no child: holds its links open for
 *                                     SECS so the test can look at them
 *   broker_driver partner NAME        the partner (started by the driver)
 *
 * The driver spawns its partner (a copy of itself), links to the name the
 * partner serves, and exchanges numbered datagrams with it, one in flight
 * at a time. After 20 round trips it spawns HOSTILE (a bare name is a
 * sibling of the driver's URL), with ARGs in which "@NAME" stands for the
 * partner's name, and keeps exchanging until the child's exit arrives
 * (or, with --hold, prints "holding" and waits SECS). Then 200 more round
 * trips, a second link to the partner (a request the broker must still
 * serve), "bye" on both links, and the partner's exit. One line per stage,
 * then "broker_driver: PASS" and exit 0; a lost, reordered or wrong
 * datagram, a link closed early, or 30 s without the end: FAIL, exit 1. */
#include <errno.h>
#include <fakeos.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ME "broker_driver"
#define BEFORE 20 /* round trips before the hostile child */
#define AFTER 200 /* round trips after it ended */
#define LIMIT_NS (30 * 1000000000LL)
#define DGRAM 64

static int fail(const char *what, int err)
{
	printf(ME ": %s: %s\n" ME ": FAIL\n", what,
	       strerror(err < 0 ? -err : err));
	return 1;
}

static int partner(const char *name)
{
	fk_handle srv = fk_serve(name);
	int byes = 0;
	if (srv < 0)
		return fail("partner: fk_serve", srv);
	while (byes < 2) {
		struct fk_event ev[8];
		int n = fk_wait(ev, 8, LIMIT_NS);
		if (n <= 0)
			return fail("partner: fk_wait", n ? n : -ETIMEDOUT);
		for (int i = 0; i < n; i++) {
			struct fk_event *e = &ev[i];
			if (e->type == FK_EV_CLOSED && e->handle == srv)
				return fail("partner: serving", e->status);
			if (e->type != FK_EV_DATA)
				continue;
			if (e->len == 3 && memcmp(e->data, "bye", 3) == 0)
				byes++;
			else if (fk_send(e->handle, e->data, e->len) < 0)
				return fail("partner: fk_send", -EIO);
			fk_release(e);
		}
	}
	return 0;
}

struct driver {
	char name[FK_NAME_MAX + 1];
	fk_handle partner, hostile, link1, link2;
	int partner_status, hostile_status;
	int hostile_done, byes_sent;
	uint64_t sent, received, after;
	uint64_t hold_until; /* --hold: when to go on; 0: not holding */
};

static int send_seq(struct driver *d)
{
	char buf[DGRAM];
	memset(buf, 'd', sizeof(buf));
	memcpy(buf, &d->sent, sizeof(d->sent));
	int r = fk_send(d->link1, buf, sizeof(buf));
	if (r < 0)
		return fail("fk_send", r);
	d->sent++;
	return 0;
}

/* The echo of datagram d->received. */
static int check_echo(struct driver *d, const struct fk_event *e)
{
	uint64_t seq;
	if (e->len != DGRAM)
		return fail("echo of the wrong length", -EPROTO);
	memcpy(&seq, e->data, sizeof(seq));
	if (seq != d->received) {
		printf(ME ": datagram %llu came back as %llu\n",
		       (unsigned long long)d->received,
		       (unsigned long long)seq);
		return fail("lost or reordered", -EPROTO);
	}
	d->received++;
	return 0;
}

/* What comes after a round trip on the first link. */
static int next_round(struct driver *d, char **hostile_argv, uint64_t hold_ns)
{
	if (d->received == BEFORE) {
		if (hostile_argv) {
			d->hostile = fk_spawn(hostile_argv[0], hostile_argv);
			if (d->hostile < 0)
				return fail("fk_spawn of the hostile child",
					    d->hostile);
			printf(ME ": spawned %s\n", hostile_argv[0]);
		} else {
			printf(ME ": holding\n");
			d->hold_until = fk_now() + hold_ns;
			fflush(stdout);
			return 0;
		}
	}
	if (d->hostile_done && ++d->after == AFTER) {
		d->link2 = fk_link(d->name);
		return d->link2 < 0 ? fail("second fk_link", d->link2) : 0;
	}
	return send_seq(d);
}

/* The second link answered: the broker still serves this program. */
static int second_link_echo(struct driver *d, const struct fk_event *e)
{
	if (e->len != 6 || memcmp(e->data, "second", 6) != 0)
		return fail("second link: wrong echo", -EPROTO);
	printf(ME ": a new link after the hostile child: ok\n");
	d->byes_sent = 1;
	if (fk_send(d->link1, "bye", 3) < 0 || fk_send(d->link2, "bye", 3) < 0)
		return fail("fk_send bye", -EIO);
	return 0;
}

static int on_event(struct driver *d, const struct fk_event *e,
		    char **hostile_argv, uint64_t hold_ns)
{
	fk_handle h = e->handle;
	int r = 0;
	switch (e->type) {
	case FK_EV_OPEN:
		if (h == d->link1) {
			printf(ME ": linked to the partner\n");
			return send_seq(d);
		}
		if (h == d->link2 && fk_send(d->link2, "second", 6) < 0)
			return fail("fk_send", -EIO);
		return 0;
	case FK_EV_DATA:
		if (h == d->link1 && (r = check_echo(d, e)) == 0)
			r = next_round(d, hostile_argv, hold_ns);
		if (h == d->link2)
			r = second_link_echo(d, e);
		return r;
	case FK_EV_CLOSED:
		/* After "bye" the partner ends, and its links with it. */
		if (!d->byes_sent && (h == d->link1 || h == d->link2))
			return fail("a link closed",
				    e->status ? e->status : -EPIPE);
		return 0;
	case FK_EV_EXIT:
		if (h == d->hostile) {
			d->hostile_status = e->status;
			d->hostile_done = 1;
			printf(ME ": hostile child exited with %d%s%.*s\n",
			       e->status, e->len ? ": " : "", (int)e->len,
			       (const char *)e->data);
		}
		if (h == d->partner) {
			d->partner_status = e->status;
			if (!d->byes_sent)
				return fail("the partner ended early", -EPIPE);
		}
		return 0;
	}
	return 0;
}

static int driver(char **hostile_argv, uint64_t hold_ns)
{
	struct driver d = { .partner_status = -1, .hostile_status = -1 };
	snprintf(d.name, sizeof(d.name), "driver-partner-%llu",
		 (unsigned long long)fk_boot()->id);
	char *partner_argv[] = { "", "partner", d.name, NULL };
	if ((d.partner = fk_spawn(fk_boot()->url, partner_argv)) < 0)
		return fail("fk_spawn of the partner", d.partner);
	if ((d.link1 = fk_link(d.name)) < 0)
		return fail("fk_link", d.link1);

	uint64_t end = fk_now() + LIMIT_NS;
	while (d.partner_status < 0) {
		struct fk_event ev[8];
		uint64_t now = fk_now();
		if (now >= end)
			return fail("30 s and not done", -ETIMEDOUT);
		if (d.hold_until && now >= d.hold_until) {
			d.hold_until = 0;
			d.hostile_done = 1; /* nothing else to wait for */
			if (send_seq(&d))
				return 1;
		}
		uint64_t until = d.hold_until ? d.hold_until : end;
		int n = fk_wait(ev, 8, (int64_t)(until - now));
		if (n < 0)
			return fail("fk_wait", n);
		for (int i = 0; i < n; i++) {
			int r = on_event(&d, &ev[i], hostile_argv, hold_ns);
			fk_release(&ev[i]);
			if (r)
				return r;
		}
	}
	printf(ME ": %llu round trips, %llu after the hostile child ended, "
		  "%llu lost or reordered\n",
	       (unsigned long long)d.received, (unsigned long long)d.after,
	       (unsigned long long)(d.sent - d.received));
	printf(ME ": partner exited with %d\n", d.partner_status);
	int ok = d.partner_status == 0 && d.sent == d.received;
	printf(ME ": %s\n", ok ? "PASS" : "FAIL");
	return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	int r = fk_init();
	if (r < 0)
		return fail("fk_init", r);
	if (argc == 3 && strcmp(argv[1], "partner") == 0)
		return partner(argv[2]);
	if (argc >= 3 && strcmp(argv[1], "--hold") == 0)
		return driver(NULL, (uint64_t)strtoull(argv[2], NULL, 10) *
					    1000000000ULL);
	if (argc < 2) {
		fprintf(stderr,
			"usage: " ME " HOSTILE [ARG...] | --hold SECS\n");
		return 2;
	}
	/* The child's argv: its URL, then ARGs with @NAME filled in. */
	static char name[FK_NAME_MAX + 1];
	snprintf(name, sizeof(name), "driver-partner-%llu",
		 (unsigned long long)fk_boot()->id);
	char **hostile_argv = calloc((size_t)argc, sizeof(char *));
	if (!hostile_argv)
		return fail("calloc", -ENOMEM);
	for (int i = 1; i < argc; i++)
		hostile_argv[i - 1] =
			strcmp(argv[i], "@NAME") == 0 ? name : argv[i];
	return driver(hostile_argv, 0);
}
