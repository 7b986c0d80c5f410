/* A control message with the header's reserved field set: reserved
 * bytes must be zero so that a later version can give them a meaning. */
#include "escape.h"
int main(void)
{
	struct proto_close m;
	ctl_hdr(&m, PROTO_CLOSE, sizeof(m), 1);
	m.hdr.reserved = 1;
	return ctl_forge("a header with reserved = 1", &m, sizeof(m));
}
