/* MREMAP_DONTUNMAP: a second view of the same pages (the old range stays
 * mapped, empty), the building block of userfaultfd-based tricks. */
#include "escape.h"
int main(void)
{
	void *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		setup_failed("mmap", errno);
	trying("mremap(MREMAP_MAYMOVE|MREMAP_DONTUNMAP)");
	long r = syscall(SYS_mremap, page, 4096, 4096,
			 MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0);
	return outcome("mremap", r == -1 ? -1 : 0);
}
