/* Copying a descriptor out of another process through a pidfd (fd 0 stands
 * in for one: the program can make none). */
#include "escape.h"
int main(void)
{
	trying("pidfd_getfd(0, 3)");
	return outcome("pidfd_getfd", syscall(SYS_pidfd_getfd, 0, 3, 0));
}
