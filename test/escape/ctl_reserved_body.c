/* A CLOSE whose body's reserved field is set. */
#include "escape.h"
int main(void)
{
	struct proto_close m;
	ctl_hdr(&m, PROTO_CLOSE, sizeof(m), 1);
	m.reserved = 1;
	return ctl_forge("a CLOSE with reserved = 1", &m, sizeof(m));
}
