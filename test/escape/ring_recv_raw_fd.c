/* IORING_OP_RECV, an allowed opcode, on a raw descriptor (fd 0, without
 * IOSQE_FIXED_FILE). */
#include "escape.h"
int main(void)
{
	struct io_uring ring;
	ring_map(&ring);
	struct io_uring_sqe *sqe = ring_sqe(&ring);
	static char buf[64];
	io_uring_prep_recv(sqe, 0, buf, sizeof(buf), 0);
	trying("IORING_OP_RECV on raw fd 0");
	return ring_outcome(&ring, "IORING_OP_RECV on raw fd 0");
}
