/* PTRACE_SEIZE of a host process by its host pid (argv[1]: the test's
 * victim, which runs as the same host uid as the program). */
#include "escape.h"
#include <sys/ptrace.h>
int main(int argc, char **argv)
{
	trying("ptrace(PTRACE_SEIZE, host pid)");
	return outcome("ptrace", syscall(SYS_ptrace, PTRACE_SEIZE,
					 arg_num(argc, argv, 1, 1), 0, 0));
}
