/* Has the kernel write a received message into the program's own code: an
 * allowed RECV on the control slot whose buffer is a function's first
 * bytes. W^X holds only if the kernel's copy respects the page's
 * protection (EFAULT) as the program's own stores do. The message is the
 * broker's reply to a harmless SUBSCRIBE. */
#include "escape.h"

__attribute__((noinline, aligned(64))) static int target(int x)
{
	return x * 3 + 1;
}

int main(void)
{
	static struct proto_name m;
	unsigned char before[64];
	struct io_uring ring;
	ring_map(&ring);
	memcpy(before, (const void *)&target, sizeof(before));
	ctl_hdr(&m, PROTO_SUBSCRIBE, sizeof(m), 1);
	strcpy(m.name, "escape-recv-into-text");
	if (ctl_send(&ring, &m, sizeof(m)) != (int)sizeof(m))
		setup_failed("SEND SUBSCRIBE", EIO);
	struct io_uring_sqe *sqe = ring_sqe(&ring);
	io_uring_prep_recv(sqe, PROTO_CONTROL_SLOT, (void *)&target,
			   sizeof(before), 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	trying("IORING_OP_RECV into the program's code");
	int res = ring_wait(&ring, NULL, 2000);
	printf("cqe: IORING_OP_RECV into code: res=%d\n", res);
	if (memcmp(before, (const void *)&target, sizeof(before)) != 0 ||
	    res >= 0) {
		printf("ESCAPED: the kernel wrote into code (target(1) = %d)\n",
		       target(1));
		return ESCAPED;
	}
	printf("refused: IORING_OP_RECV into code: %s\n", strerror(-res));
	return REFUSED;
}
