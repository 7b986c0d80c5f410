/* A control message of a type that does not exist (33). */
#include "escape.h"
int main(void)
{
	struct proto_close m;
	ctl_hdr(&m, PROTO_CLOSE, sizeof(m), 1);
	m.hdr.type = 33;
	return ctl_forge("a message of unknown type 33", &m, sizeof(m));
}
