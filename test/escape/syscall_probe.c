/* Makes one system call by number, for the sweep in test_syscalls.sh:
 *
 *   syscall_probe NR [ARG...]
 *
 * ARG is a number (strtoul, base 0) or "self", the thread pointer, so that
 * arch_prctl(ARCH_SET_FS, self) leaves the program able to print. Up to six
 * arguments; the rest are zero, and a trailing "tag:..." from the test is
 * not one. Prints "probe: NR returned R" or "probe: NR failed: errno E
 * (TEXT)", then exits 0; exit_group exits with its own argument, and a
 * call the jail forbids never returns. */
#include "escape.h"
#include <pthread.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: syscall_probe NR [ARG...]\n");
		return SETUP_FAILED;
	}
	long nr = (long)strtoul(argv[1], NULL, 0);
	unsigned long a[6] = { 0 };
	for (int i = 2; i < argc && i < 8; i++) {
		if (strncmp(argv[i], "tag:", 4) == 0)
			break;
		a[i - 2] = strcmp(argv[i], "self") == 0
				   ? (unsigned long)pthread_self()
				   : strtoul(argv[i], NULL, 0);
	}
	printf("probe: calling %ld\n", nr);
	fflush(stdout);
	errno = 0;
	long r = syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	if (r == -1 && errno)
		printf("probe: %ld failed: errno %d (%s)\n", nr, errno,
		       strerror(errno));
	else
		printf("probe: %ld returned %ld\n", nr, r);
	return 0;
}
