/* An anonymous file: something to write code into and map or exec. */
#include "escape.h"
int main(void)
{
	trying("memfd_create");
	return outcome("memfd_create", syscall(SYS_memfd_create, "x", 0));
}
