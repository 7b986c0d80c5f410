/* Has the kernel write a received message into the program's own code: an
 * allowed RECV on the control slot whose buffer is a function's first
 * bytes (recv_into_code in escape.h). */
#include "escape.h"

__attribute__((noinline, aligned(64))) static int target(int x)
{
	return x * 3 + 1;
}

static void arm(struct io_uring_sqe *sqe)
{
	io_uring_prep_recv(sqe, PROTO_CONTROL_SLOT, (void *)&target,
			   CODE_BYTES, 0);
	sqe->flags |= IOSQE_FIXED_FILE;
}

int main(void)
{
	struct io_uring ring;
	ring_map(&ring);
	return recv_into_code(&ring, "escape-recv-into-text", (void *)&target,
			      arm, "IORING_OP_RECV into code");
}
