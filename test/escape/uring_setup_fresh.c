/* A fresh io_uring of the program's own, without the broker's
 * restrictions: every opcode, no seccomp (Docker's 2023 reason to drop
 * io_uring from its default profile). */
#include "escape.h"
int main(void)
{
	struct io_uring_params p;
	memset(&p, 0, sizeof(p));
	trying("io_uring_setup(8)");
	return outcome("io_uring_setup", syscall(SYS_io_uring_setup, 8, &p));
}
