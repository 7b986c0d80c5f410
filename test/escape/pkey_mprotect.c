/* pkey_mprotect, mprotect's twin with a protection key: a filter that
 * checked only mprotect would let PROT_EXEC through here. */
#include "escape.h"
static char page[8192] __attribute__((aligned(4096)));
int main(void)
{
	trying("pkey_mprotect(PROT_READ|PROT_EXEC)");
	return outcome("pkey_mprotect", syscall(SYS_pkey_mprotect, page, 4096,
						PROT_READ | PROT_EXEC, 0));
}
