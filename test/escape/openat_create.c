/* Creates a file on the host (the test passes a path in a directory that
 * anyone may write to, so that only the jail can stop it). */
#include "escape.h"
#include <fcntl.h>
int main(int argc, char **argv)
{
	trying("openat(O_CREAT) a host file");
	return outcome("openat",
		       syscall(SYS_openat, AT_FDCWD,
			       arg(argc, argv, 1, "/tmp/fakeos-escaped"),
			       O_WRONLY | O_CREAT | O_EXCL, 0666));
}
