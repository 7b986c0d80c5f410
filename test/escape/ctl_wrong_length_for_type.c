/* A KILL (header only) that carries eight more bytes, its header length
 * agreeing: every type has one exact length. */
#include "escape.h"
int main(void)
{
	struct {
		struct proto_hdr hdr;
		uint64_t extra;
	} m;
	ctl_hdr(&m, PROTO_KILL, sizeof(m), 1);
	return ctl_forge("a KILL eight bytes too long", &m, sizeof(m));
}
