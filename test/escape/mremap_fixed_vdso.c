/* Moving a writable page over the vDSO with MREMAP_FIXED: the program's
 * own data would then run where the kernel's code is called. */
#include "escape.h"
#include <sys/auxv.h>
int main(void)
{
	void *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned long vdso = getauxval(AT_SYSINFO_EHDR);
	if (page == MAP_FAILED || !vdso)
		setup_failed("mmap or AT_SYSINFO_EHDR", errno);
	trying("mremap(page, MREMAP_MAYMOVE|MREMAP_FIXED, vDSO)");
	long r = syscall(SYS_mremap, page, 4096, 4096,
			 MREMAP_MAYMOVE | MREMAP_FIXED, vdso);
	return outcome("mremap", r == -1 ? -1 : 0);
}
