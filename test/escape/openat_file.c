/* The modern spelling of the same attempt. */
#include "escape.h"
#include <fcntl.h>
int main(int argc, char **argv)
{
	trying("openat a host file");
	return outcome("openat",
		       syscall(SYS_openat, AT_FDCWD,
			       arg(argc, argv, 1, "/etc/passwd"), O_RDONLY));
}
