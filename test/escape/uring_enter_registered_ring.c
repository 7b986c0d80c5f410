/* io_uring_enter with IORING_ENTER_REGISTERED_RING: arg0 becomes an index
 * into a table the filter cannot see, so the filter refuses the flag. */
#include "escape.h"
int main(void)
{
	trying("io_uring_enter(0, IORING_ENTER_REGISTERED_RING)");
	return outcome(
		"io_uring_enter",
		syscall(SYS_io_uring_enter, 0, 0, 0,
			IORING_ENTER_GETEVENTS | IORING_ENTER_REGISTERED_RING,
			NULL, 0));
}
