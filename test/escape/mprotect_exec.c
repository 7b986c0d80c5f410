/* Making writable memory executable after the fact. */
#include "escape.h"
static char page[8192] __attribute__((aligned(4096)));
int main(void)
{
	trying("mprotect(PROT_READ|PROT_EXEC)");
	return outcome("mprotect", syscall(SYS_mprotect, page, 4096,
					   PROT_READ | PROT_EXEC));
}
