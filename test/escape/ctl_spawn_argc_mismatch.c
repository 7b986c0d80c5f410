/* A SPAWN whose argc (3) does not match the strings in args (one). */
#include "escape.h"
int main(void)
{
	struct proto_spawn m;
	ctl_hdr(&m, PROTO_SPAWN, sizeof(m), 1);
	strcpy(m.url, "hello");
	m.argc = 3;
	m.args_len = 2;
	m.args[0] = 'a';
	return ctl_forge("a SPAWN with argc 3 and one string", &m, sizeof(m));
}
