/* A control message whose header claims more bytes than the datagram
 * holds (a reader that trusted hdr.len would read past the message). */
#include "escape.h"
int main(void)
{
	struct proto_name m;
	ctl_hdr(&m, PROTO_SERVE, sizeof(m), 1);
	strcpy(m.name, "mismatch");
	m.hdr.len = sizeof(m) + 64;
	return ctl_forge("a header length longer than the datagram", &m,
			 sizeof(m));
}
