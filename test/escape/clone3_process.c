/* clone3, whose flags live in a struct a seccomp filter cannot read: the
 * filter can only refuse the call as a whole. */
#include "escape.h"
#include <linux/sched.h>
#include <signal.h>
int main(void)
{
	struct clone_args args = { .flags = CLONE_NEWUSER,
				   .exit_signal = SIGCHLD };
	trying("clone3(CLONE_NEWUSER)");
	long r = syscall(SYS_clone3, &args, sizeof(args));
	if (r == 0)
		_exit(ESCAPED);
	return outcome("clone3", r);
}
