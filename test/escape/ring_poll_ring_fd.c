/* IORING_OP_POLL_ADD on the ring's own descriptor (raw fd 3): polling a
 * ring from itself is a known source of kernel reference-count bugs. */
#include "escape.h"
#include <poll.h>
int main(void)
{
	struct io_uring ring;
	ring_map(&ring);
	struct io_uring_sqe *sqe = ring_sqe(&ring);
	io_uring_prep_poll_add(sqe, PROTO_RING_FD, POLLIN);
	trying("IORING_OP_POLL_ADD on fd 3");
	return ring_outcome(&ring, "IORING_OP_POLL_ADD on fd 3");
}
