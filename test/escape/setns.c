/* Joining another namespace through a descriptor (here the console: the
 * program holds no namespace descriptor, and the filter stops the call
 * before the kernel would say so). */
#define _GNU_SOURCE
#include "escape.h"
#include <sched.h>
int main(void)
{
	trying("setns(0, CLONE_NEWNET)");
	return outcome("setns", syscall(SYS_setns, 0, CLONE_NEWNET));
}
