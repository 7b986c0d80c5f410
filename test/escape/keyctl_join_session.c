/* The kernel keyring: keyctl(KEYCTL_JOIN_SESSION_KEYRING) with a name
 * joins a keyring by name, shared with anything that knows it. */
#include "escape.h"
#include <linux/keyctl.h>
int main(void)
{
	trying("keyctl(KEYCTL_JOIN_SESSION_KEYRING, \"fakeos\")");
	return outcome(
		"keyctl",
		syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, "fakeos"));
}
