/* A SERVE whose name fills its 64-byte field with no NUL, for a reader
 * that would run off its end. */
#include "escape.h"
int main(void)
{
	struct proto_name m;
	ctl_hdr(&m, PROTO_SERVE, sizeof(m), 1);
	memset(m.name, 'a', sizeof(m.name));
	return ctl_forge("an unterminated name", &m, sizeof(m));
}
