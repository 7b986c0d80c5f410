/* New user and mount namespaces: a user namespace would give the program
 * every capability inside it, the first step of most kernel exploits. */
#define _GNU_SOURCE
#include "escape.h"
#include <sched.h>
int main(void)
{
	trying("unshare(CLONE_NEWUSER|CLONE_NEWNS|CLONE_NEWNET)");
	return outcome("unshare",
		       syscall(SYS_unshare,
			       CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET));
}
