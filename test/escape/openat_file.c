/* The modern spelling of the same attempt. */
#include <fcntl.h>
#include "escape.h"
int main(void)
{
	trying("openat /etc/passwd");
	return outcome("openat",
		       syscall(SYS_openat, AT_FDCWD, "/etc/passwd", O_RDONLY));
}
