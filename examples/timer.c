/* timer — checks fakeOS time: a periodic timer, a one-shot timer closed
 * before it fires, and a wait with nothing pending.
 *
 *   timer [TICKS [PERIOD_MS]]       (defaults 10 and 20)
 *
 * 1. A periodic timer must tick TICKS times, expiry k no earlier than
 *    k periods after the start and not more than SLACK after it (the
 *    ticks stay on their grid: no drift).
 * 2. A one-shot timer closed before it is due must never be reported.
 * 3. fk_wait with a timeout and nothing pending must return 0, no sooner
 *    than the timeout and not much later.
 * Prints what it measured; exit 0 only if all three hold. */
#include <errno.h>
#include <fakeos.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ME "timer"
#define MS 1000000ULL
#define SLACK (15 * MS) /* a loaded host schedules us late, never early */

static int fail(const char *what, int err)
{
	fprintf(stderr, ME ": %s: %s\n", what, strerror(-err));
	return 1;
}

int main(int argc, char **argv)
{
	long ticks = argc > 1 ? strtol(argv[1], NULL, 10) : 10;
	long period_ms = argc > 2 ? strtol(argv[2], NULL, 10) : 20;
	int r, bad = 0;
	if (ticks < 1 || period_ms < 1) {
		fprintf(stderr, "usage: " ME " [TICKS [PERIOD_MS]]\n");
		return 1;
	}
	if ((r = fk_init()) < 0)
		return fail("fk_init", r);
	uint64_t period = (uint64_t)period_ms * MS;

	/* 1 and 2 together: the one-shot would fire in the middle. */
	uint64_t start = fk_now();
	fk_handle tick = fk_timer(period, period);
	fk_handle never = fk_timer(period * (uint64_t)ticks / 2, 0);
	if (tick < 0 || never < 0)
		return fail("fk_timer", tick < 0 ? tick : never);
	if ((r = fk_close(never)) < 0)
		return fail("fk_close", r);
	if (fk_close(never) != -EBADF) {
		fprintf(stderr, ME ": a closed timer's handle is still live\n");
		bad = 1;
	}

	long seen = 0;
	uint64_t worst = 0;
	while (seen < ticks) {
		struct fk_event ev[4];
		int n = fk_wait(ev, 4, (int64_t)(10 * period + 1000 * MS));
		if (n < 0)
			return fail("fk_wait", n);
		if (n == 0) {
			fprintf(stderr, ME ": no tick for 10 periods\n");
			return 1;
		}
		uint64_t at = fk_now() - start;
		for (int i = 0; i < n; i++) {
			if (ev[i].handle == never) {
				fprintf(stderr, ME ": the closed timer fired\n");
				bad = 1;
				continue;
			}
			if (ev[i].type != FK_EV_TIMER || ev[i].handle != tick) {
				fprintf(stderr, ME ": unexpected event %u\n", ev[i].type);
				return 1;
			}
			/* status > 1: periods missed while we were late. */
			seen += ev[i].status;
			uint64_t due = (uint64_t)seen * period;
			if (at < due || at > due + SLACK) {
				fprintf(stderr, ME ": tick %ld at %.3f ms, due at %.3f ms\n",
					seen, (double)at / MS, (double)due / MS);
				bad = 1;
			}
			if (at > due && at - due > worst)
				worst = at - due;
		}
	}
	if ((r = fk_close(tick)) < 0)
		return fail("fk_close", r);
	printf(ME ": %ld ticks of %ld ms, latest %.3f ms after its time\n",
	       seen, period_ms, (double)worst / MS);

	/* 3. The closed periodic timer must stay silent too. */
	uint64_t timeout = 100 * MS;
	uint64_t t0 = fk_now();
	struct fk_event ev;
	int n = fk_wait(&ev, 1, (int64_t)timeout);
	uint64_t took = fk_now() - t0;
	printf(ME ": fk_wait(100 ms) with nothing pending returned %d after "
	       "%.3f ms\n", n, (double)took / MS);
	if (n != 0 || took < timeout || took > timeout + SLACK) {
		fprintf(stderr, ME ": expected 0 after 100 ms\n");
		bad = 1;
	}
	/* A poll returns at once. */
	t0 = fk_now();
	n = fk_wait(&ev, 1, 0);
	took = fk_now() - t0;
	if (n != 0 || took > SLACK) {
		fprintf(stderr, ME ": fk_wait(0) returned %d after %.3f ms\n", n,
			(double)took / MS);
		bad = 1;
	}
	printf(ME ": %s\n", bad ? "FAIL" : "PASS");
	return bad;
}
