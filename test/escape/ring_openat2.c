/* IORING_OP_OPENAT2 on the program's own ring (argv[1]: a host path). */
#include "escape.h"
#include <fcntl.h>
#include <linux/openat2.h>
int main(int argc, char **argv)
{
	struct io_uring ring;
	ring_map(&ring);
	struct io_uring_sqe *sqe = ring_sqe(&ring);
	static struct open_how how = { .flags = O_RDONLY };
	io_uring_prep_openat2(sqe, AT_FDCWD, arg(argc, argv, 1, "/etc/passwd"),
			      &how);
	sqe->flags |= IOSQE_FIXED_FILE;
	trying("IORING_OP_OPENAT2");
	return ring_outcome(&ring, "IORING_OP_OPENAT2");
}
