/* Floods the broker with valid control messages (CLOSEs of nothing, which
 * cost the broker a lookup and need no reply), in batches of a full
 * submission queue, as fast as the ring takes them: 100000 of them, well
 * past the burst the broker's rate limit allows. */
#include "escape.h"
int main(void)
{
	static struct proto_close m;
	struct io_uring ring;
	ring_map(&ring);
	ctl_hdr(&m, PROTO_CLOSE, sizeof(m), 1);
	unsigned batch = *ring.sq.kring_entries, sent = 0, done = 0;
	trying("100000 control messages as fast as the ring sends them");
	while (sent < 100000) {
		for (unsigned i = 0; i < batch; i++) {
			struct io_uring_sqe *sqe = ring_sqe(&ring);
			io_uring_prep_send(sqe, PROTO_CONTROL_SLOT, &m,
					   sizeof(m), 0);
			sqe->flags |= IOSQE_FIXED_FILE;
		}
		sent += batch;
		/* Reap the batch, so the SQ and CQ have room again. */
		for (unsigned i = 0; i < batch; i++) {
			int res = ring_wait(&ring, NULL, 2000);
			if (res == -ETIME)
				break;
			done++;
		}
	}
	printf("sent %u, %u completed\n", sent, done);
	ctl_await_kill(&ring, "a flood");
}
