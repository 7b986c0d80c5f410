/* mprotect to executable with junk in the high 32 bits of prot. */
#include "escape.h"
static char page[8192] __attribute__((aligned(4096)));
int main(void)
{
	trying("mprotect(prot = 0xffffffff00000000 | PROT_READ | PROT_EXEC)");
	return outcome("mprotect",
		       syscall(SYS_mprotect, page, 4096,
			       0xffffffff00000000UL | PROT_READ | PROT_EXEC));
}
