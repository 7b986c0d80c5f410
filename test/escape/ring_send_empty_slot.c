/* IORING_OP_SEND on a fixed slot that holds nothing (63): the ring's
 * file table has only what the broker put there (EBADF). */
#include "escape.h"
int main(void)
{
	struct io_uring ring;
	ring_map(&ring);
	struct io_uring_sqe *sqe = ring_sqe(&ring);
	static const char text[] = "x";
	io_uring_prep_send(sqe, PROTO_SLOTS - 1, text, 1, 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	trying("IORING_OP_SEND on empty slot 63");
	return ring_outcome(&ring, "IORING_OP_SEND on empty slot 63");
}
