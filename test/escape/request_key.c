/* request_key: a miss runs /sbin/request-key on the host, as root. */
#include "escape.h"
#include <linux/keyctl.h>
int main(void)
{
	trying("request_key(\"user\", \"fakeos\")");
	return outcome("request_key",
		       syscall(SYS_request_key, "user", "fakeos", "callout",
			       KEY_SPEC_SESSION_KEYRING));
}
