/* Moving a writable page over the program's own code with MREMAP_FIXED. */
#include "escape.h"
int main(void)
{
	void *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		setup_failed("mmap", errno);
	unsigned long text = (unsigned long)&main & ~4095UL;
	trying("mremap(page, MREMAP_MAYMOVE|MREMAP_FIXED, text)");
	long r = syscall(SYS_mremap, page, 4096, 4096,
			 MREMAP_MAYMOVE | MREMAP_FIXED, text);
	return outcome("mremap", r == -1 ? -1 : 0);
}
