/* Floods the broker with valid control messages (CLOSEs of nothing, which
 * cost the broker a lookup and need no reply), in batches of a full
 * submission queue, as fast as the ring takes them, for up to 10 s: far
 * past the burst the broker's rate limit allows, however fast the broker
 * happens to read them. */
#include "escape.h"
#include <time.h>

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int main(void)
{
	static struct proto_close m;
	struct io_uring ring;
	ring_map(&ring);
	ctl_hdr(&m, PROTO_CLOSE, sizeof(m), 1);
	unsigned batch = *ring.sq.kring_entries;
	uint64_t sent = 0, end = now_ms() + 10000;
	trying("control messages as fast as the ring sends them, for 10 s");
	while (now_ms() < end) {
		for (unsigned i = 0; i < batch; i++) {
			struct io_uring_sqe *sqe = ring_sqe(&ring);
			io_uring_prep_send(sqe, PROTO_CONTROL_SLOT, &m,
					   sizeof(m), 0);
			sqe->flags |= IOSQE_FIXED_FILE;
		}
		/* Reap the batch, so the SQ and CQ have room again. */
		for (unsigned i = 0; i < batch; i++)
			if (ring_wait(&ring, NULL, 2000) == -ETIME)
				break;
		sent += batch;
	}
	printf("ESCAPED: %llu control messages in 10 s, and still running\n",
	       (unsigned long long)sent);
	return ESCAPED;
}
