/* A LINK request that carries, after its name, the identity a version-5
 * OPENED or INCOMING carries (struct proto_peer: uid 0, another program's
 * URL and hash), as if a client could tell the broker, and so the server,
 * who it is. The broker learns who a program is only from what it started;
 * a request has no room for a claim, so this one has the wrong length and
 * kills the sender. */
#include "escape.h"
int main(void)
{
	struct {
		struct proto_name req;
		struct proto_peer claim;
	} m;
	ctl_hdr(&m, PROTO_LINK, sizeof(m), 1);
	strcpy(m.req.name, "svc");
	m.claim.uid = 0;
	memset(m.claim.sha256, 0xab, sizeof(m.claim.sha256));
	strcpy(m.claim.url, "https://trusted.example/admin");
	return ctl_forge("a LINK that claims to come from another program", &m,
			 sizeof(m));
}
