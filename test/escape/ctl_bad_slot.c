/* A CLOSE of ring slot 64, one past the end of the file table. */
#include "escape.h"
int main(void)
{
	struct proto_close m;
	ctl_hdr(&m, PROTO_CLOSE, sizeof(m), 1);
	m.slot = PROTO_SLOTS;
	return ctl_forge("a CLOSE of slot 64", &m, sizeof(m));
}
