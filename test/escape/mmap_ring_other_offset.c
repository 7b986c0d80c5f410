/* Mapping the ring at an offset the filter does not pin: the provided
 * buffer rings' region (IORING_OFF_PBUF_RING), kernel memory the program
 * was never meant to see. */
#include "escape.h"
int main(void)
{
	trying("mmap(fd 3, offset IORING_OFF_PBUF_RING)");
	return outcome("mmap",
		       syscall(SYS_mmap, 0, 4096, PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_POPULATE, PROTO_RING_FD,
			       0x80000000UL));
}
