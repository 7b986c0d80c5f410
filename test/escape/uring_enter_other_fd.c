/* io_uring_enter on another descriptor than the ring (here fd 3 is the
 * ring; 0 is the console). */
#include "escape.h"
int main(void)
{
	trying("io_uring_enter(0)");
	return outcome("io_uring_enter",
		       syscall(SYS_io_uring_enter, 0, 0, 0,
			       IORING_ENTER_GETEVENTS, NULL, 0));
}
