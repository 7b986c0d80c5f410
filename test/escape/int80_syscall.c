/* A system call through the i386 ABI (int 0x80) from a 64-bit program:
 * number argv[1] in i386 numbering, e.g. 4 (write) or 20 (getpid). The
 * filter is for x86-64 only and kills any other architecture's call at
 * once. write gets fd 1 and a message the test looks for. */
#include "escape.h"
static const char msg[] = "INJECTED-BY-INT80\n";
int main(int argc, char **argv)
{
	long nr = arg_num(argc, argv, 1, 20);
	long r;
	trying("int 0x80 system call");
	/* The entry code clears r8-r11 for compat calls. */
	__asm__ volatile("int $0x80"
			 : "=a"(r)
			 : "a"(nr), "b"(nr == 4 ? 1L : 0L), "c"(msg),
			   "d"(sizeof(msg) - 1)
			 : "memory", "r8", "r9", "r10", "r11");
	if (r < 0 && r > -4096) {
		errno = (int)-r;
		r = -1;
	}
	return outcome("int 0x80 system call", r);
}
