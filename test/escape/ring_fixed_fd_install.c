/* IORING_OP_FIXED_FD_INSTALL (54, Linux 6.8) on the program's own ring:
 * turns a fixed slot into an ordinary descriptor, which would hand the
 * program its control socket as a raw fd. */
#include "escape.h"
int main(void)
{
	struct io_uring ring;
	ring_map(&ring);
	struct io_uring_sqe *sqe = ring_sqe(&ring);
	sqe->opcode =
		54; /* IORING_OP_FIXED_FD_INSTALL, newer than the headers */
	sqe->fd = PROTO_CONTROL_SLOT;
	sqe->flags = IOSQE_FIXED_FILE;
	trying("IORING_OP_FIXED_FD_INSTALL");
	return ring_outcome(&ring, "IORING_OP_FIXED_FD_INSTALL");
}
