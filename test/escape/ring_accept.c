/* IORING_OP_ACCEPT on the program's own ring: a new socket out of slot
 * 0, and a descriptor of its own with it. */
#include "escape.h"
int main(void)
{
	struct io_uring ring;
	ring_map(&ring);
	struct io_uring_sqe *sqe = ring_sqe(&ring);
	io_uring_prep_accept(sqe, PROTO_CONTROL_SLOT, NULL, NULL, 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	trying("IORING_OP_ACCEPT");
	return ring_outcome(&ring, "IORING_OP_ACCEPT");
}
