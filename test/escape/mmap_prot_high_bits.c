/* mmap with a bit set in the high 32 bits of prot. The kernel ignores bits
 * it does not know there, so a filter that compared only the low 32 bits
 * would let any prot through; the policy's mask covers all 64. */
#include "escape.h"
int main(void)
{
	trying("mmap(prot = 1<<32 | PROT_READ | PROT_WRITE)");
	return outcome("mmap", syscall(SYS_mmap, 0, 4096,
				       (1UL << 32) | PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
}
