/* kill(getppid()): the launcher, were its pid visible. */
#include "escape.h"
#include <signal.h>
int main(void)
{
	trying("kill(getppid(), SIGKILL)");
	long parent = syscall(SYS_getppid);
	return outcome("kill", syscall(SYS_kill, parent, SIGKILL));
}
