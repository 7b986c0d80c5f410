/* A control datagram of 4097 bytes, one more than a page, sent with a raw
 * SEND on slot 0 (libfakeos would never send it). Its first page is a
 * valid BROADCAST header, for a broker that would read only a page. */
#include "escape.h"
int main(void)
{
	static union {
		struct proto_broadcast b;
		unsigned char bytes[PROTO_PAGE + 1];
	} m;
	ctl_hdr(&m.b, PROTO_BROADCAST, PROTO_PAGE + 1, 0);
	strcpy(m.b.channel, "chat");
	return ctl_forge("a 4097-byte message", &m, PROTO_PAGE + 1);
}
