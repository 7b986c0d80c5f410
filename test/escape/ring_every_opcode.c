/* Every io_uring opcode the ring does not allow, one SQE each, on the
 * control slot with IOSQE_FIXED_FILE (so that only the opcode restriction
 * can refuse it), all other fields zero. Seven are allowed: SEND and RECV
 * (the control link), WRITE and one read opcode (links), TIMEOUT,
 * ASYNC_CANCEL and PROVIDE_BUFFERS. Each must complete with EACCES;
 * opcodes past the kernel's last one complete with EINVAL, and those must
 * be a contiguous tail. Anything else got past the restriction. Exits
 * ESCAPED if any did. */
#include "escape.h"

enum { OPCODES = 96 };

/* The boot page's link_read: READ_MULTISHOT, or READ on a kernel
 * without it; the other of the two must be refused like the rest. */
static unsigned link_read(void)
{
	const struct proto_boot *b = mmap(NULL, PROTO_PAGE, PROT_READ,
					  MAP_PRIVATE, PROTO_BOOT_FD, 0);
	if (b == MAP_FAILED) {
		printf("FAIL: mapping the boot page\n");
		exit(1);
	}
	unsigned op = b->link_read;
	munmap((void *)b, PROTO_PAGE);
	return op;
}

static unsigned read_op;

static int allowed(unsigned op)
{
	return op == IORING_OP_SEND || op == IORING_OP_RECV ||
	       op == IORING_OP_WRITE || op == read_op ||
	       op == IORING_OP_TIMEOUT || op == IORING_OP_ASYNC_CANCEL ||
	       op == IORING_OP_PROVIDE_BUFFERS;
}

int main(void)
{
	struct io_uring ring;
	unsigned refused = 0, unknown = 0, first_unknown = OPCODES;
	int rc = REFUSED;
	ring_map(&ring);
	read_op = link_read();
	printf("links read with opcode %u\n", read_op);
	trying("every opcode but the seven allowed, with IOSQE_FIXED_FILE");
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
