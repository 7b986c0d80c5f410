/* IORING_OP_OPENAT on the program's own ring: opening (and creating) a
 * host file without the openat system call, which the filter forbids.
 * argv[1] is a path in a directory anyone may write to. The SQE carries
 * IOSQE_FIXED_FILE, as the ring requires, so only the opcode restriction
 * refuses it (EACCES). */
#include "escape.h"
#include <fcntl.h>
int main(int argc, char **argv)
{
	struct io_uring ring;
	ring_map(&ring);
	struct io_uring_sqe *sqe = ring_sqe(&ring);
	io_uring_prep_openat(sqe, AT_FDCWD,
			     arg(argc, argv, 1, "/tmp/fakeos-escaped"),
			     O_WRONLY | O_CREAT | O_EXCL, 0666);
	sqe->flags |= IOSQE_FIXED_FILE;
	trying("IORING_OP_OPENAT");
	return ring_outcome(&ring, "IORING_OP_OPENAT");
}
