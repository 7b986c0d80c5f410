/* A LINK with a negative handle: handles are positive. */
#include "escape.h"
int main(void)
{
	struct proto_name m;
	ctl_hdr(&m, PROTO_LINK, sizeof(m), -1);
	strcpy(m.name, "anything");
	return ctl_forge("a LINK with handle -1", &m, sizeof(m));
}
