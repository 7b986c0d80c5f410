/* Asks for thousands of replies and never reads one: each SUBSCRIBE gets an
 * OPENED (or, past the subscription quota, a CLOSED), which fills the
 * control link, after which the broker would have to hold them. Paced to
 * stay under the flood limit, so that only the reply quota can stop it. */
#include "escape.h"
#include <time.h>
int main(void)
{
	static struct proto_name m;
	struct io_uring ring;
	ring_map(&ring);
	trying("4000 requests whose replies are never read");
	for (int32_t h = 1; h <= 4000; h++) {
		ctl_hdr(&m, PROTO_SUBSCRIBE, sizeof(m), h);
		strcpy(m.name, "escape-unread");
		int res = ctl_send(&ring, &m, sizeof(m));
		if (res < 0) {
			printf("refused: SEND: %s\n", strerror(-res));
			return REFUSED;
		}
		if (h % 100 == 0) /* 100 per 10 ms: 10000 a second */
			nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	}
	ctl_await_kill(&ring, "4000 unread replies");
}
