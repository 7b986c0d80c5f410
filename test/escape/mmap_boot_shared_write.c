/* Mapping the boot page shared and writable, to change what the broker
 * wrote there. */
#include "escape.h"
int main(void)
{
	trying("mmap(fd 4, PROT_READ|PROT_WRITE, MAP_SHARED)");
	return outcome("mmap",
		       syscall(SYS_mmap, 0, 4096, PROT_READ | PROT_WRITE,
			       MAP_SHARED, PROTO_BOOT_FD, 0));
}
