/* An EXITED event sent by a program: events flow from the broker only,
 * and a broker that took this one would tell a parent lies. */
#include "escape.h"
int main(void)
{
	struct proto_exited m;
	ctl_hdr(&m, PROTO_EXITED, sizeof(m), 1);
	return ctl_forge("an EXITED event from a program", &m, sizeof(m));
}
