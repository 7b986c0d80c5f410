/* A LINK to a name with a path in it (../etc): names are 1-63 bytes of
 * [A-Za-z0-9._-]. */
#include "escape.h"
int main(void)
{
	struct proto_name m;
	ctl_hdr(&m, PROTO_LINK, sizeof(m), 1);
	strcpy(m.name, "../etc");
	return ctl_forge("a name with a slash", &m, sizeof(m));
}
