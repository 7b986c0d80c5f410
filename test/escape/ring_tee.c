/* IORING_OP_TEE between the console pipes (raw fds 0 and 1) on the
 * program's own ring. */
#include "escape.h"
int main(void)
{
	struct io_uring ring;
	ring_map(&ring);
	struct io_uring_sqe *sqe = ring_sqe(&ring);
	io_uring_prep_tee(sqe, 0, 1, 64, 0);
	trying("IORING_OP_TEE fd 0 to fd 1");
	return ring_outcome(&ring, "IORING_OP_TEE fd 0 to fd 1");
}
