/* IORING_OP_MSG_RING with IORING_MSG_SEND_FD on the program's own ring:
 * moving a fixed file (the control socket) between rings, the way the
 * broker installs links, aimed here at slot 5. */
#include "escape.h"
int main(void)
{
	struct io_uring ring;
	ring_map(&ring);
	struct io_uring_sqe *sqe = ring_sqe(&ring);
	io_uring_prep_msg_ring(sqe, PROTO_CONTROL_SLOT, 0, 0x4242, 0);
	sqe->addr = IORING_MSG_SEND_FD;
	sqe->addr3 = PROTO_CONTROL_SLOT;
	sqe->file_index = 5;
	sqe->flags |= IOSQE_FIXED_FILE;
	trying("IORING_OP_MSG_RING(IORING_MSG_SEND_FD)");
	return ring_outcome(&ring, "IORING_OP_MSG_RING(IORING_MSG_SEND_FD)");
}
