/* A system call through the x32 ABI: number argv[1] with the x32 bit
 * (0x40000000) set, e.g. write or exit_group, which the native ABI allows.
 * The filter checks only x86-64 numbers, so it kills any x32 call outright,
 * whatever the number and whether or not the kernel has x32. */
#include "escape.h"
#define X32_SYSCALL_BIT 0x40000000L
int main(int argc, char **argv)
{
	long nr = arg_num(argc, argv, 1, SYS_getpid);
	static const char msg[] = "INJECTED-BY-X32\n";
	trying("x32 system call");
	long r = syscall(nr | X32_SYSCALL_BIT, nr == SYS_write ? 1 : 0, msg,
			 sizeof(msg) - 1, 0, 0, 0);
	return outcome("x32 system call", r);
}
