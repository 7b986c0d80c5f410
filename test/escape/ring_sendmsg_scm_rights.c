/* IORING_OP_SENDMSG with SCM_RIGHTS on the program's own ring: handing
 * the ring (fd 3) and the boot page (fd 4) to the broker, or to a peer on
 * a link. Only plain SEND is allowed, which carries no descriptors. */
#include "escape.h"
#include <sys/socket.h>
int main(void)
{
	struct io_uring ring;
	ring_map(&ring);
	struct io_uring_sqe *sqe = ring_sqe(&ring);
	static char byte = 0;
	static struct iovec iov = { &byte, 1 };
	static union {
		struct cmsghdr h;
		char space[CMSG_SPACE(2 * sizeof(int))];
	} ctl;
	static struct msghdr mh = { .msg_iov = &iov,
				    .msg_iovlen = 1,
				    .msg_control = &ctl,
				    .msg_controllen = sizeof(ctl) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(2 * sizeof(int));
	memcpy(CMSG_DATA(cm), (int[]){ PROTO_RING_FD, PROTO_BOOT_FD },
	       2 * sizeof(int));
	io_uring_prep_sendmsg(sqe, PROTO_CONTROL_SLOT, &mh, 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	trying("IORING_OP_SENDMSG with SCM_RIGHTS");
	return ring_outcome(&ring, "IORING_OP_SENDMSG with SCM_RIGHTS");
}
