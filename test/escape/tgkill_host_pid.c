/* tgkill() of a host thread by its host pid (argv[1], the test's victim). */
#include "escape.h"
#include <signal.h>
int main(int argc, char **argv)
{
	long pid = arg_num(argc, argv, 1, 1);
	trying("tgkill(host pid, host pid, SIGUSR2)");
	return outcome("tgkill", syscall(SYS_tgkill, pid, pid, SIGUSR2));
}
