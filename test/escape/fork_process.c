/* A second process: programs ask fakeOS to spawn, they never fork. */
#include "escape.h"
int main(void)
{
	trying("fork");
	long r = syscall(SYS_fork);
	if (r == 0)
		_exit(ESCAPED);
	return outcome("fork", r);
}
