/* Every io_uring opcode the ring does not allow, one SQE each, on the
 * control slot with IOSQE_FIXED_FILE (so that only the opcode restriction
 * can refuse it), all other fields zero. Six are allowed: SEND and RECV
 * (the control link), WRITE and one read opcode (links), TIMEOUT and
 * ASYNC_CANCEL; and PROVIDE_BUFFERS only where the boot page says the
 * program has no buffer rings. Each other one must complete with EACCES;
 * opcodes past the kernel's last one complete with EINVAL, and those must
 * be a contiguous tail. Anything else got past the restriction. Exits
 * ESCAPED if any did. */
#include "escape.h"

enum { OPCODES = 96 };

/* From the boot page: link_read, READ_MULTISHOT or READ on a kernel
 * without it (the other of the two must be refused like the rest), and
 * recv_pages, buffer rings or PROVIDE_BUFFERS. */
static unsigned read_op, recv_pages;

static void read_boot(void)
{
	const struct proto_boot *b = mmap(NULL, PROTO_PAGE, PROT_READ,
					  MAP_PRIVATE, PROTO_BOOT_FD, 0);
	if (b == MAP_FAILED) {
		printf("FAIL: mapping the boot page\n");
		exit(1);
	}
	read_op = b->link_read;
	recv_pages = b->recv_pages;
	munmap((void *)b, PROTO_PAGE);
}

static int allowed(unsigned op)
{
	return op == IORING_OP_SEND || op == IORING_OP_RECV ||
	       op == IORING_OP_WRITE || op == read_op ||
	       op == IORING_OP_TIMEOUT || op == IORING_OP_ASYNC_CANCEL ||
	       (op == IORING_OP_PROVIDE_BUFFERS &&
		recv_pages == PROTO_RECV_PROVIDE);
}

int main(void)
{
	struct io_uring ring;
	unsigned refused = 0, unknown = 0, first_unknown = OPCODES;
	int rc = REFUSED;
	ring_map(&ring);
	read_boot();
	printf("links read with opcode %u; receive pages go back %s\n",
	       read_op,
	       recv_pages == PROTO_RECV_RING ? "through buffer rings"
					     : "by PROVIDE_BUFFERS");
	trying("every opcode but the allowed ones, with IOSQE_FIXED_FILE");
	for (unsigned op = 0; op < OPCODES; op++) {
		if (allowed(op))
			continue;
		struct io_uring_sqe *sqe = ring_sqe(&ring);
		sqe->opcode = (uint8_t)op;
		sqe->fd = PROTO_CONTROL_SLOT;
		sqe->flags = IOSQE_FIXED_FILE;
		int res = ring_wait(&ring, NULL, 2000);
		if (res == -EACCES && first_unknown == OPCODES) {
			refused++;
		} else if (res == -EINVAL) {
			unknown++;
			if (first_unknown == OPCODES)
				first_unknown = op;
		} else {
			printf("ESCAPED: opcode %u: res=%d\n", op, res);
			rc = ESCAPED;
		}
	}
	if (rc == REFUSED)
		printf("refused: every opcode: %u with EACCES, %u from %u on "
		       "unknown to the kernel (EINVAL)\n",
		       refused, unknown, first_unknown);
	return rc;
}
