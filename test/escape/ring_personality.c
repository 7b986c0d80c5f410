/* An allowed SEND on the control slot run under a registered
 * personality (sqe->personality = 1): another task's credentials. The
 * ring has none registered, and registering is the broker's alone. */
#include "escape.h"
int main(void)
{
	struct io_uring ring;
	ring_map(&ring);
	struct io_uring_sqe *sqe = ring_sqe(&ring);
	static struct proto_close m;
	ctl_hdr(&m, PROTO_CLOSE, sizeof(m), 1);
	io_uring_prep_send(sqe, PROTO_CONTROL_SLOT, &m, sizeof(m), 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	sqe->personality = 1;
	trying("IORING_OP_SEND with personality 1");
	return ring_outcome(&ring, "IORING_OP_SEND with personality 1");
}
