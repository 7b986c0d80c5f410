/* IORING_OP_SOCKET on the program's own ring: a network socket without
 * the socket system call. */
#include "escape.h"
#include <sys/socket.h>
int main(void)
{
	struct io_uring ring;
	ring_map(&ring);
	struct io_uring_sqe *sqe = ring_sqe(&ring);
	io_uring_prep_socket(sqe, AF_INET, SOCK_STREAM, 0, 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	trying("IORING_OP_SOCKET");
	return ring_outcome(&ring, "IORING_OP_SOCKET");
}
