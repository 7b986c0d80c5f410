/* TIOCSTI on every descriptor number that is not the console: the ring
 * (3), the boot page (4), the launcher's old numbers (8, 9) and beyond.
 * Exits ESCAPED if any attempt succeeded. */
#include "escape.h"
#include <sys/ioctl.h>
int main(void)
{
	static const int fds[] = { 3, 4, 5, 6, 7, 8, 9, 10, 63, 255, 1023 };
	int rc = REFUSED;
	trying("ioctl(TIOCSTI) on fds 3-1023");
	for (unsigned i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		for (const char *c = "echo INJECTED-ON-OTHER-FD\n"; *c; c++)
			if (syscall(SYS_ioctl, fds[i], TIOCSTI, c) == 0)
				rc = ESCAPED;
	if (rc == ESCAPED)
		printf("ESCAPED: TIOCSTI accepted\n");
	else
		printf("refused: ioctl: %s\n", strerror(errno));
	return rc;
}
