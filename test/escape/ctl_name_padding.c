/* A SERVE whose name field has bytes after its terminating NUL: two
 * equal names must be equal bytes, and nothing may hide in the padding. */
#include "escape.h"
int main(void)
{
	struct proto_name m;
	ctl_hdr(&m, PROTO_SERVE, sizeof(m), 1);
	strcpy(m.name, "ok");
	strcpy(m.name + 8, "hidden");
	return ctl_forge("a name with bytes after its NUL", &m, sizeof(m));
}
