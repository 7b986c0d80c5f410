/* The classic chroot escape starts with a chroot of one's own. */
#include "escape.h"
int main(int argc, char **argv)
{
	trying("chroot");
	return outcome("chroot", syscall(SYS_chroot, arg(argc, argv, 1, "/")));
}
