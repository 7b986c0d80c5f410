/* Mapping the ring (fd 3) executable: the filter pins the ring's mappings
 * to PROT_READ|PROT_WRITE. */
#include "escape.h"
int main(void)
{
	trying("mmap(fd 3, PROT_READ|PROT_EXEC)");
	return outcome("mmap", syscall(SYS_mmap, 0, 4096, PROT_READ | PROT_EXEC,
				       MAP_SHARED | MAP_POPULATE, PROTO_RING_FD,
				       IORING_OFF_SQ_RING));
}
