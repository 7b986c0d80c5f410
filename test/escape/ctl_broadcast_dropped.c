/* A BROADCAST whose dropped count is set: it is the broker's to fill in
 * on delivery, and a sender may not forge losses for its subscribers. */
#include "escape.h"
int main(void)
{
	struct proto_broadcast m;
	ctl_hdr(&m, PROTO_BROADCAST, sizeof(m), 0);
	strcpy(m.channel, "chat");
	m.dropped = 5;
	return ctl_forge("a BROADCAST with dropped = 5", &m, sizeof(m));
}
