/* Mounting a file system over a host directory (the test passes one and
 * checks the host's mount table afterwards). */
#include "escape.h"
#include <sys/mount.h>
int main(int argc, char **argv)
{
	trying("mount tmpfs");
	return outcome("mount",
		       syscall(SYS_mount, "none", arg(argc, argv, 1, "/"),
			       "tmpfs", 0, NULL));
}
