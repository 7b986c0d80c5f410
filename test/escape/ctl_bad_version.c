/* A control message with protocol version 2: the broker speaks only
 * version 1 and kills the sender. */
#include "escape.h"
int main(void)
{
	struct proto_close m;
	ctl_hdr(&m, PROTO_CLOSE, sizeof(m), 1);
	m.hdr.version = PROTO_VERSION + 1;
	return ctl_forge("a message of protocol version 2", &m, sizeof(m));
}
