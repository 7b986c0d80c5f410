/* Attaching to another process (the launcher is outside the pid
 * namespace; pid 1 is the program itself). */
#include <sys/ptrace.h>
#include "escape.h"
int main(void)
{
	trying("ptrace(PTRACE_ATTACH, 1)");
	return outcome("ptrace", syscall(SYS_ptrace, PTRACE_ATTACH, 1, 0, 0));
}
