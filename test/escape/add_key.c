/* Storing a key in the session keyring (kernel memory outside the jail's
 * limits, visible to others of the same uid). */
#include "escape.h"
#include <linux/keyctl.h>
int main(void)
{
	trying("add_key(\"user\", \"fakeos\")");
	return outcome("add_key", syscall(SYS_add_key, "user", "fakeos", "x", 1,
					  KEY_SPEC_SESSION_KEYRING));
}
