/* Mapping the boot page (fd 4, a memfd) executable. */
#include "escape.h"
int main(void)
{
	trying("mmap(fd 4, PROT_READ|PROT_EXEC)");
	return outcome("mmap", syscall(SYS_mmap, 0, 4096, PROT_READ | PROT_EXEC,
				       MAP_PRIVATE, PROTO_BOOT_FD, 0));
}
