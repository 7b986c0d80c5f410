/* A SPAWN whose args_len (0xffffffff) is larger than its args field, for a
 * reader that would copy that many bytes. */
#include "escape.h"
int main(void)
{
	struct proto_spawn m;
	ctl_hdr(&m, PROTO_SPAWN, sizeof(m), 1);
	strcpy(m.url, "hello");
	m.argc = 1;
	m.args_len = 0xffffffff;
	return ctl_forge("a SPAWN with args_len 0xffffffff", &m, sizeof(m));
}
