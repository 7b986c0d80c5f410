/* Broadcasts to a channel with many subscribers, staying under the
 * control-message rate: each broadcast used to be charged as one message
 * while it cost the broker one send per subscriber, so a few programs
 * could keep the broker busy for everyone. Deliveries must be charged to
 * the sender: what the broker sends for it is bounded by its delivery
 * quota whatever the fan-out, and the sender is never killed for it.
 *
 *   broadcast_fanout SUBS COUNT RATE
 *
 * The top spawns SUBS subscribers of "storm", then broadcasts COUNT
 * 64-byte messages at RATE a second. Each subscriber counts what it gets.
 * Prints "sent COUNT in MS ms" and "delivered N to SUBS subscribers"; the
 * test compares N with what the quota allows in that time. */
#include "escape.h"

#include <fakeos.h>

#define LIMIT_NS (20 * 1000000000LL)

static struct fk_event next(void)
{
	struct fk_event e;
	int n = fk_wait(&e, 1, LIMIT_NS);
	if (n <= 0) {
		printf("fk_wait: %s\n", n ? strerror(-n) : "timed out");
		exit(SETUP_FAILED);
	}
	return e;
}

/* Subscribes, links to "report", counts broadcasts; answers "end" on the
 * report link with the count. */
static _Noreturn void subscriber(void)
{
	fk_handle sub = fk_subscribe("storm"), rep = 0;
	long got = 0;
	for (;;) {
		struct fk_event e = next();
		if (e.handle == sub && e.type == FK_EV_OPEN)
			rep = fk_link("report");
		else if (e.handle == sub && e.type == FK_EV_DATA)
			got++;
		else if (e.handle == rep && e.type == FK_EV_DATA) {
			char buf[32];
			int len = snprintf(buf, sizeof(buf), "%ld", got);
			(void)fk_send(rep, buf, (size_t)len);
		}
		fk_release(&e);
	}
}

int main(int argc, char **argv)
{
	if (fk_init() < 0)
		return SETUP_FAILED;
	if (strcmp(arg(argc, argv, 1, ""), "sub") == 0)
		subscriber();
	long subs = strtol(arg(argc, argv, 1, "16"), NULL, 10);
	long count = strtol(arg(argc, argv, 2, "20000"), NULL, 10);
	long rate = strtol(arg(argc, argv, 3, "10000"), NULL, 10);
	trying("broadcast to many subscribers under the message rate");
	fk_handle srv = fk_serve("report");
	char *sub_argv[] = { argv[0], "sub", NULL };
	for (long i = 0; i < subs; i++)
		if (fk_spawn(argv[0], sub_argv) < 0)
			return SETUP_FAILED;
	fk_handle links[64];
	long nlinks = 0;
	while (nlinks < subs) {
		struct fk_event e = next();
		if (e.source == srv && e.type == FK_EV_INCOMING && nlinks < 64)
			links[nlinks++] = e.handle;
		fk_release(&e);
	}
	char msg[64];
	memset(msg, 'b', sizeof(msg));
	uint64_t start = fk_now();
	for (long i = 0; i < count;) {
		/* Paced: message i goes out no earlier than i / RATE s. */
		uint64_t due = start + (uint64_t)i * 1000000000ULL /
					       (uint64_t)rate;
		uint64_t now = fk_now();
		if (now < due) {
			struct fk_event e;
			if (fk_wait(&e, 1, (int64_t)(due - now)) > 0)
				fk_release(&e);
			continue;
		}
		int r = fk_broadcast("storm", msg, sizeof(msg));
		if (r == -EAGAIN) {
			struct fk_event e = next();
			fk_release(&e);
			continue;
		}
		if (r < 0) {
			printf("fk_broadcast: %s\n", strerror(-r));
			return SETUP_FAILED;
		}
		i++;
	}
	uint64_t ms = (fk_now() - start) / 1000000;
	printf("sent %ld in %llu ms\n", count, (unsigned long long)ms);
	/* What is still in flight lands; then every subscriber reports. */
	uint64_t until = fk_now() + 300000000ULL;
	while (fk_now() < until) {
		struct fk_event e;
		if (fk_wait(&e, 1, (int64_t)(until - fk_now())) > 0)
			fk_release(&e);
	}
	for (long i = 0; i < nlinks; i++)
		(void)fk_send(links[i], "end", 3);
	long delivered = 0, reports = 0;
	while (reports < nlinks) {
		struct fk_event e = next();
		if (e.type == FK_EV_DATA) {
			char buf[32];
			snprintf(buf, sizeof(buf), "%.*s", (int)e.len,
				 (const char *)e.data);
			delivered += strtol(buf, NULL, 10);
			reports++;
		}
		fk_release(&e);
	}
	printf("delivered %ld to %ld subscribers\n", delivered, subs);
	fflush(stdout);
	fk_exit(0);
}
