/* echo_client — finds the echo service by name and checks that every
 * datagram comes back byte for byte, in order.
 *
 *   echo_client [NAME [COUNT]]
 *
 * Sends COUNT datagrams (default 100) of sizes from 1 to 4096 bytes, each
 * filled with its own pattern, keeping up to WINDOW of them in flight.
 * Exit 0 only if all came back intact; 1 otherwise, saying which. */
#include <errno.h>
#include <fakeos.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ME "echo_client"
#define WINDOW 8
#define WAIT_NS (10 * 1000000000LL) /* give up after 10 s of silence */

static int fail(const char *what, int err)
{
	fprintf(stderr, ME ": %s: %s\n", what, strerror(-err));
	return 1;
}

/* Datagram i: its size (1, 4096, and a spread between) and its bytes. */
static size_t size_of(long i)
{
	if (i % 10 == 0)
		return i % 20 == 0 ? 1 : FK_PAGE_SIZE;
	return 1 + (size_t)(i * 997 % FK_PAGE_SIZE);
}

static void fill(long i, uint8_t *buf, size_t len)
{
	uint32_t x = (uint32_t)i * 2654435761u + 1;
	for (size_t k = 0; k < len; k++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		buf[k] = (uint8_t)x;
	}
}

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : "echo";
	long count = argc > 2 ? strtol(argv[2], NULL, 10) : 100;
	static uint8_t want[FK_PAGE_SIZE];
	int r;

	if ((r = fk_init()) < 0)
		return fail("fk_init", r);
	fk_handle link = fk_link(name);
	if (link < 0)
		return fail("fk_link", link);

	long sent = 0, back = 0;
	int open = 0;
	while (back < count) {
		while (open && sent < count && sent - back < WINDOW) {
			size_t len = size_of(sent);
			fill(sent, want, len);
			r = fk_send(link, want, len);
			if (r == -EAGAIN)
				break;
			if (r < 0)
				return fail("fk_send", r);
			sent++;
		}
		struct fk_event ev[16];
		int n = fk_wait(ev, 16, WAIT_NS);
		if (n < 0)
			return fail("fk_wait", n);
		if (n == 0 && sent - back == WINDOW) {
			fprintf(stderr, ME ": no echo for 10 s (%ld of %ld back)\n",
				back, count);
			return 1;
		}
		for (int i = 0; i < n; i++) {
			struct fk_event *e = &ev[i];
			if (e->type == FK_EV_OPEN && e->handle == link) {
				open = 1;
				printf(ME ": linked to \"%s\"\n", name);
			} else if (e->type == FK_EV_CLOSED && e->handle == link) {
				fprintf(stderr, ME ": link closed (%s) after %ld of %ld\n",
					e->status ? strerror(-e->status) : "by the server",
					back, count);
				return 1;
			} else if (e->type == FK_EV_DATA && e->handle == link) {
				size_t len = size_of(back);
				fill(back, want, len);
				int ok = e->len == len && memcmp(e->data, want, len) == 0;
				fk_release(e);
				if (!ok) {
					fprintf(stderr, ME ": datagram %ld: %u bytes came back, "
						"%zu expected%s\n", back, e->len, len,
						e->len == len ? ", contents differ" : "");
					return 1;
				}
				back++;
			}
		}
	}
	printf(ME ": %ld datagrams of 1 to %d bytes came back intact\n", count,
	       FK_PAGE_SIZE);
	fk_close(link);
	return 0;
}
