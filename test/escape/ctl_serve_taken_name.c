/* Squatting a name another program serves (argv[1]), to receive its
 * clients: the broker must answer CLOSED with EADDRINUSE, and the owner
 * keeps the name. */
#include "escape.h"
int main(int argc, char **argv)
{
	static union {
		struct proto_hdr h;
		struct proto_status st;
		unsigned char bytes[PROTO_PAGE];
	} reply;
	struct proto_name m;
	struct io_uring ring;
	ring_map(&ring);
	ctl_hdr(&m, PROTO_SERVE, sizeof(m), 1);
	snprintf(m.name, sizeof(m.name), "%s", arg(argc, argv, 1, "echo"));
	trying("SERVE of a name another program serves");
	if (ctl_send(&ring, &m, sizeof(m)) != (int)sizeof(m))
		setup_failed("SEND SERVE", EIO);
	struct io_uring_sqe *sqe = ring_sqe(&ring);
	io_uring_prep_recv(sqe, PROTO_CONTROL_SLOT, &reply, sizeof(reply), 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	int res = ring_wait(&ring, NULL, 5000);
	if (res < (int)sizeof(reply.h))
		setup_failed("RECV reply", res < 0 ? -res : EPROTO);
	if (reply.h.type == PROTO_CLOSED && reply.h.handle == 1) {
		printf("refused: SERVE: %s\n", strerror(-reply.st.status));
		return REFUSED;
	}
	printf("ESCAPED: SERVE answered with type %u\n", reply.h.type);
	return ESCAPED;
}
