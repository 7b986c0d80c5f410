/* A valid request on the control slot with IOSQE_CQE_SKIP_SUCCESS, a flag the
 * ring does not allow (only FIXED_FILE, BUFFER_SELECT and IO_LINK). */
#include "escape.h"
int main(void)
{
	struct io_uring ring;
	ring_map(&ring);
	struct io_uring_sqe *sqe = ring_sqe(&ring);
	static struct proto_close m;
	ctl_hdr(&m, PROTO_CLOSE, sizeof(m), 1);
	io_uring_prep_send(sqe, PROTO_CONTROL_SLOT, &m, sizeof(m), 0);
	sqe->flags |= IOSQE_FIXED_FILE | IOSQE_CQE_SKIP_SUCCESS;
	trying("IORING_OP_SEND with IOSQE_CQE_SKIP_SUCCESS");
	return ring_outcome(&ring,
			    "IORING_OP_SEND with IOSQE_CQE_SKIP_SUCCESS");
}
