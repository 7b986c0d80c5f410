/* IORING_OP_URING_CMD on the program's own ring: a driver or socket
 * command (here SOCKET_URING_OP_SIOCINQ on the control socket), the
 * opcode that reaches ioctl-like code in any file's driver. */
#include "escape.h"
int main(void)
{
	struct io_uring ring;
	ring_map(&ring);
	struct io_uring_sqe *sqe = ring_sqe(&ring);
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = PROTO_CONTROL_SLOT;
	sqe->cmd_op = 0; /* SOCKET_URING_OP_SIOCINQ */
	sqe->flags = IOSQE_FIXED_FILE;
	trying("IORING_OP_URING_CMD");
	return ring_outcome(&ring, "IORING_OP_URING_CMD");
}
