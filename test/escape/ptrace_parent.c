/* Attaching to another process by pid (argv[1], default 1: the program
 * itself is pid 1 of its namespace, and its parent, the launcher, is
 * outside it and has no pid there; 0 is the parent as some calls read it). */
#include "escape.h"
#include <sys/ptrace.h>
int main(int argc, char **argv)
{
	trying("ptrace(PTRACE_ATTACH, pid)");
	return outcome("ptrace", syscall(SYS_ptrace, PTRACE_ATTACH,
					 arg_num(argc, argv, 1, 1), 0, 0));
}
