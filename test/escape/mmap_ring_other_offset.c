/* Mapping the ring at an offset the filter does not pin: the buffer ring
 * of a third group (IORING_OFF_PBUF_RING + (2 << 16)), next to the two
 * that libfakeos maps, a region the program was never given. */
#include "escape.h"
int main(void)
{
	trying("mmap(fd 3, offset IORING_OFF_PBUF_RING + group 2)");
	return outcome("mmap",
		       syscall(SYS_mmap, 0, 4096, PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_POPULATE, PROTO_RING_FD,
			       0x80020000UL));
}
