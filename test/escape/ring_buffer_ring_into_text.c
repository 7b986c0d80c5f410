/* Has the kernel write a received message into the program's own code
 * through a buffer ring: the control group's ring, which the program maps
 * and fills itself, gets one entry whose address is a function's first
 * bytes, and an allowed RECV on the control slot selects it. As with
 * ring_recv_into_text, W^X holds only if the kernel's copy respects the
 * page's protection (EFAULT). The message is the broker's reply to a
 * harmless SUBSCRIBE. Refused outright where the boot page says the
 * program has no buffer rings (PROVIDE_BUFFERS: ring_recv_into_text). */
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
	struct io_uring_buf_ring *br =
		mmap(NULL, PROTO_PAGE, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_POPULATE, PROTO_RING_FD,
		     (off_t)PROTO_RECV_RING_OFF(PROTO_GROUP_CONTROL));
	if (br == MAP_FAILED)
		setup_failed("mapping the control group's buffer ring", errno);
	io_uring_buf_ring_add(br, (void *)&target, sizeof(before), 0,
			      io_uring_buf_ring_mask(PROTO_CONTROL_PAGES), 0);
	io_uring_buf_ring_advance(br, 1);
	ctl_hdr(&m, PROTO_SUBSCRIBE, sizeof(m), 1);
	strcpy(m.name, "escape-ring-into-text");
	if (ctl_send(&ring, &m, sizeof(m)) != (int)sizeof(m))
		setup_failed("SEND SUBSCRIBE", EIO);
	struct io_uring_sqe *sqe = ring_sqe(&ring);
	io_uring_prep_recv(sqe, PROTO_CONTROL_SLOT, NULL, 0, 0);
	sqe->flags |= IOSQE_FIXED_FILE | IOSQE_BUFFER_SELECT;
	sqe->buf_group = PROTO_GROUP_CONTROL;
	trying("IORING_OP_RECV into the program's code, by its buffer ring");
	int res = ring_wait(&ring, NULL, 2000);
	printf("cqe: IORING_OP_RECV into code by a buffer ring: res=%d\n", res);
	if (memcmp(before, (const void *)&target, sizeof(before)) != 0 ||
	    res >= 0) {
		printf("ESCAPED: the kernel wrote into code (target(1) = %d)\n",
		       target(1));
		return ESCAPED;
	}
	printf("refused: IORING_OP_RECV into code by a buffer ring: %s\n",
	       strerror(-res));
	return REFUSED;
}
