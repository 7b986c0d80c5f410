/* kill() of a host process by its host pid (argv[1]: the test's victim,
 * which runs as the same host uid and logs every signal it gets). */
#include "escape.h"
#include <signal.h>
int main(int argc, char **argv)
{
	trying("kill(host pid, SIGUSR1)");
	return outcome("kill",
		       syscall(SYS_kill, arg_num(argc, argv, 1, 1), SIGUSR1));
}
