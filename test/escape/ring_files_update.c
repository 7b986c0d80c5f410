/* IORING_OP_FILES_UPDATE on the program's own ring: putting a raw
 * descriptor (the console, fd 0) into a fixed slot, the SQE twin of the
 * register opcode only the broker may use. */
#include "escape.h"
int main(void)
{
	struct io_uring ring;
	ring_map(&ring);
	struct io_uring_sqe *sqe = ring_sqe(&ring);
	static int fds[1] = { 0 };
	io_uring_prep_files_update(sqe, fds, 1, 5);
	sqe->flags |= IOSQE_FIXED_FILE;
	trying("IORING_OP_FILES_UPDATE");
	return ring_outcome(&ring, "IORING_OP_FILES_UPDATE");
}
