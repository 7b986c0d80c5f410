/* Making a descriptor numbered 8, the one the launcher's execveat rule
 * trusts. */
#include "escape.h"
int main(void)
{
	trying("dup2(0, 8)");
	return outcome("dup2", syscall(SYS_dup2, 0, 8));
}
