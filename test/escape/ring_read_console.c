/* IORING_OP_READ of the console (raw fd 0) on the program's own ring: a
 * raw descriptor is never allowed (READ itself is, on the ring's own
 * files, where a kernel without READ_MULTISHOT makes links use it). */
#include "escape.h"
int main(void)
{
	struct io_uring ring;
	ring_map(&ring);
	struct io_uring_sqe *sqe = ring_sqe(&ring);
	static char buf[64];
	io_uring_prep_read(sqe, 0, buf, sizeof(buf), 0);
	trying("IORING_OP_READ on fd 0");
	return ring_outcome(&ring, "IORING_OP_READ on fd 0");
}
