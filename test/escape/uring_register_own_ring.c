/* Registering on the program's own ring: a descriptor in a fixed slot, or
 * new restrictions (restrictions are set once, but the filter refuses the
 * call before the ring is asked). */
#include "escape.h"
int main(void)
{
	int fd = 0;
	struct io_uring_files_update up = { .offset = 5,
					    .fds = (uint64_t)(uintptr_t)&fd };
	trying("io_uring_register(3, IORING_REGISTER_FILES_UPDATE)");
	return outcome("io_uring_register",
		       syscall(SYS_io_uring_register, PROTO_RING_FD,
			       IORING_REGISTER_FILES_UPDATE, &up, 1));
}
