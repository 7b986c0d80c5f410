/* A pidfd for a host process (argv[1]), the handle for signals and for
 * pidfd_getfd. */
#include "escape.h"
int main(int argc, char **argv)
{
	trying("pidfd_open(host pid)");
	return outcome("pidfd_open",
		       syscall(SYS_pidfd_open, arg_num(argc, argv, 1, 1), 0));
}
