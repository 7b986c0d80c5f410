/* An allowed SEND on the control slot with a destination address
 * (sqe->addr2, sendto's address since Linux 6.10): a host Unix socket the
 * test listens on (argv[1]). A connected SOCK_SEQPACKET socket ignores the
 * address, so the datagram (a harmless CLOSE) goes to the broker and
 * never to the host socket, which the test checks. */
#include "escape.h"
#include <sys/socket.h>
#include <sys/un.h>
int main(int argc, char **argv)
{
	static struct sockaddr_un sun = { .sun_family = AF_UNIX };
	static struct proto_close m;
	struct io_uring ring;
	ring_map(&ring);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s",
		 arg(argc, argv, 1, "/tmp/fakeos-host.sock"));
	ctl_hdr(&m, PROTO_CLOSE, sizeof(m), 1);
	struct io_uring_sqe *sqe = ring_sqe(&ring);
	io_uring_prep_send(sqe, PROTO_CONTROL_SLOT, &m, sizeof(m), 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	sqe->addr2 = (uint64_t)(uintptr_t)&sun;
	sqe->addr_len = sizeof(sun);
	trying("IORING_OP_SEND with a host socket address");
	int res = ring_wait(&ring, NULL, 2000);
	printf("cqe: IORING_OP_SEND with an address: res=%d\n", res);
	printf("sent: %s\n", res >= 0 ? "to the control link" : strerror(-res));
	return REFUSED;
}
