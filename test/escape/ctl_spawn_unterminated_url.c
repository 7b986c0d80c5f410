/* A SPAWN whose URL fills its 1024-byte field with no NUL. */
#include "escape.h"
int main(void)
{
	struct proto_spawn m;
	ctl_hdr(&m, PROTO_SPAWN, sizeof(m), 1);
	memset(m.url, 'a', sizeof(m.url));
	return ctl_forge("a SPAWN with an unterminated URL", &m, sizeof(m));
}
