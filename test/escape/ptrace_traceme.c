/* Asking to be traced by the parent: the launcher would then be the
 * program's tracer, and signals and stops would reach it. */
#include "escape.h"
#include <sys/ptrace.h>
int main(void)
{
	trying("ptrace(PTRACE_TRACEME)");
	return outcome("ptrace", syscall(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0));
}
