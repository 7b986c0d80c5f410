/* IORING_OP_WRITE to the console (raw fd 1) on the program's own ring.
 * The test checks that the text never reaches stdout. */
#include "escape.h"
int main(void)
{
	struct io_uring ring;
	ring_map(&ring);
	struct io_uring_sqe *sqe = ring_sqe(&ring);
	static const char text[] = "INJECTED-BY-RING-WRITE\n";
	io_uring_prep_write(sqe, 1, text, sizeof(text) - 1, 0);
	trying("IORING_OP_WRITE on fd 1");
	return ring_outcome(&ring, "IORING_OP_WRITE on fd 1");
}
