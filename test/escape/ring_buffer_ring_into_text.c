/* Has the kernel write a received message into the program's own code
 * through a buffer ring: the control group's ring, which the program maps
 * and fills itself, gets one entry whose address is a function's first
 * bytes, and an allowed RECV on the control slot selects it
 * (recv_into_code in escape.h). For a kernel with buffer rings (6.4); on
 * one without, mapping the ring fails and the test is not run. */
#include "escape.h"

__attribute__((noinline, aligned(64))) static int target(int x)
{
	return x * 3 + 1;
}

static void arm(struct io_uring_sqe *sqe)
{
	io_uring_prep_recv(sqe, PROTO_CONTROL_SLOT, NULL, 0, 0);
	sqe->flags |= IOSQE_FIXED_FILE | IOSQE_BUFFER_SELECT;
	sqe->buf_group = PROTO_GROUP_CONTROL;
}

int main(void)
{
	struct io_uring ring;
	ring_map(&ring);
	struct io_uring_buf_ring *br =
		mmap(NULL, PROTO_PAGE, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_POPULATE, PROTO_RING_FD,
		     (off_t)PROTO_RECV_RING_OFF(PROTO_GROUP_CONTROL));
	if (br == MAP_FAILED)
		setup_failed("mapping the control group's buffer ring", errno);
	io_uring_buf_ring_add(br, (void *)&target, CODE_BYTES, 0,
			      io_uring_buf_ring_mask(PROTO_CONTROL_PAGES), 0);
	io_uring_buf_ring_advance(br, 1);
	return recv_into_code(&ring, "escape-ring-into-text", (void *)&target,
			      arm, "IORING_OP_RECV into code by a buffer ring");
}
