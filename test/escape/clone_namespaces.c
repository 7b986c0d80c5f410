/* A child in new namespaces, with the raw clone. */
#define _GNU_SOURCE
#include "escape.h"
#include <sched.h>
#include <signal.h>
int main(void)
{
	trying("clone(CLONE_NEWUSER|CLONE_NEWPID|CLONE_NEWNS)");
	long r = syscall(SYS_clone,
			 CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | SIGCHLD,
			 0, 0, 0, 0);
	if (r == 0)
		_exit(ESCAPED);
	return outcome("clone", r);
}
