/* Speaks protocol version 3 in its first message and version 4 in its
 * second. The broker answers each program in the version it chose first;
 * a program that switches would have it parse one program's messages by
 * two layouts, so the second message kills the sender. */
#include "escape.h"
int main(void)
{
	struct io_uring ring;
	struct proto_name m;
	ring_map(&ring);
	ctl_hdr(&m, PROTO_SUBSCRIBE, sizeof(m), 1);
	m.hdr.version = PROTO_VERSION_MIN;
	strcpy(m.name, "first");
	if (ctl_send(&ring, &m, sizeof(m)) != (int)sizeof(m))
		return SETUP_FAILED;
	ctl_hdr(&m, PROTO_SUBSCRIBE, sizeof(m), 2);
	m.hdr.version = PROTO_VERSION_MIN + 1; /* 4, whatever the newest */
	strcpy(m.name, "second");
	trying("a version-4 message after a version-3 one");
	if (ctl_send(&ring, &m, sizeof(m)) != (int)sizeof(m))
		return SETUP_FAILED;
	ctl_await_kill(&ring, "a version-4 message after a version-3 one");
}
