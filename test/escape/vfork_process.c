/* A second process with vfork. */
#include "escape.h"
int main(void)
{
	trying("vfork");
	long r = syscall(SYS_vfork);
	if (r == 0)
		_exit(ESCAPED);
	return outcome("vfork", r);
}
