/* An executable mapping: W^X, no JIT. prot has PROT_EXEC. */
#include "escape.h"
int main(void)
{
	trying("mmap(PROT_READ|PROT_WRITE|PROT_EXEC)");
	return outcome("mmap", syscall(SYS_mmap, 0, 4096,
				       PROT_READ | PROT_WRITE | PROT_EXEC,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
}
