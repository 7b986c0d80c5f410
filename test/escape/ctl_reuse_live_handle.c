/* Out of order: a SUBSCRIBE that reuses the handle of a name the program
 * is serving. The broker's replies would name one handle for two things. */
#include "escape.h"
int main(void)
{
	struct proto_name serve, sub;
	struct io_uring ring;
	ring_map(&ring);
	ctl_hdr(&serve, PROTO_SERVE, sizeof(serve), 5);
	strcpy(serve.name, "escape-reuse");
	ctl_hdr(&sub, PROTO_SUBSCRIBE, sizeof(sub), 5);
	strcpy(sub.name, "escape-reuse");
	if (ctl_send(&ring, &serve, sizeof(serve)) != (int)sizeof(serve))
		setup_failed("SEND SERVE", EIO);
	trying("a SUBSCRIBE with the live handle of a SERVE");
	int res = ctl_send(&ring, &sub, sizeof(sub));
	if (res < 0) {
		printf("refused: SEND: %s\n", strerror(-res));
		return REFUSED;
	}
	ctl_await_kill(&ring, "a reused live handle");
}
