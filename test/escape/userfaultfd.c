/* userfaultfd: stalls the kernel on a page fault at a moment of the
 * program's choosing, the classic way to win a kernel race. */
#include "escape.h"
#include <fcntl.h>
int main(void)
{
	trying("userfaultfd");
	return outcome("userfaultfd", syscall(SYS_userfaultfd, O_CLOEXEC));
}
