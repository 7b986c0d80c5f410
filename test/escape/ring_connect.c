/* IORING_OP_CONNECT on the program's own ring, to the test's listener on
 * 127.0.0.1 (argv[1]: its port), through the one socket the program has
 * (the control link in slot 0). */
#include "escape.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
int main(int argc, char **argv)
{
	struct io_uring ring;
	ring_map(&ring);
	struct io_uring_sqe *sqe = ring_sqe(&ring);
	static struct sockaddr_in sin = { .sin_family = AF_INET };
	sin.sin_port = htons((uint16_t)arg_num(argc, argv, 1, 80));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	io_uring_prep_connect(sqe, PROTO_CONTROL_SLOT, (struct sockaddr *)&sin,
			      sizeof(sin));
	sqe->flags |= IOSQE_FIXED_FILE;
	trying("IORING_OP_CONNECT");
	return ring_outcome(&ring, "IORING_OP_CONNECT");
}
