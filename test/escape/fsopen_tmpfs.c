/* A new file system context, the new mount API's first step (how the jail
 * made its own root). */
#include "escape.h"
int main(void)
{
	trying("fsopen(tmpfs)");
	return outcome("fsopen", syscall(SYS_fsopen, "tmpfs", 0));
}
