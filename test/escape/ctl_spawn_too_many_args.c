/* A SPAWN with 65 arguments, one more than the protocol allows. */
#include "escape.h"
int main(void)
{
	struct proto_spawn m;
	ctl_hdr(&m, PROTO_SPAWN, sizeof(m), 1);
	strcpy(m.url, "hello");
	m.argc = PROTO_ARGC_MAX + 1;
	m.args_len = PROTO_ARGC_MAX + 1; /* that many empty strings */
	return ctl_forge("a SPAWN with 65 arguments", &m, sizeof(m));
}
