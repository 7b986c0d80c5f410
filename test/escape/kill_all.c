/* kill(-1): every process the caller may signal. */
#include "escape.h"
#include <signal.h>
int main(void)
{
	trying("kill(-1, SIGKILL)");
	return outcome("kill", syscall(SYS_kill, -1, SIGKILL));
}
