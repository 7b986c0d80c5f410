/* IORING_OP_SEND, an allowed opcode, on a raw descriptor (fd 1, without
 * IOSQE_FIXED_FILE): the ring requires the flag on every SQE. The test
 * checks that the text never reaches stdout. */
#include "escape.h"
int main(void)
{
	struct io_uring ring;
	ring_map(&ring);
	struct io_uring_sqe *sqe = ring_sqe(&ring);
	static const char text[] = "INJECTED-BY-RING-SEND\n";
	io_uring_prep_send(sqe, 1, text, sizeof(text) - 1, 0);
	trying("IORING_OP_SEND on raw fd 1");
	return ring_outcome(&ring, "IORING_OP_SEND on raw fd 1");
}
