/* Pushing characters into the terminal's input queue (TIOCSTI), on every
 * console descriptor, including with junk in the high 32 bits of the
 * request (CVE-2019-10063). The program's console is a set of pipes the
 * launcher relays, and ioctl is answered with ENOTTY: nothing reaches a
 * terminal. Exits ESCAPED if any attempt succeeded. */
#include "escape.h"
#include <sys/ioctl.h>
int main(void)
{
	static const char inject[] = "echo INJECTED-BY-TIOCSTI\n";
	unsigned long reqs[] = { TIOCSTI, 0xffffffff00000000UL | TIOCSTI };
	int rc = REFUSED;
	trying("ioctl(TIOCSTI) on fds 0, 1, 2");
	for (int fd = 0; fd < 3; fd++)
		for (unsigned i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++)
			for (const char *c = inject; *c; c++)
				if (syscall(SYS_ioctl, fd, reqs[i], c) == 0)
					rc = ESCAPED;
	if (rc == ESCAPED)
		printf("ESCAPED: TIOCSTI accepted\n");
	else
		printf("refused: ioctl: %s\n", strerror(errno));
	return rc;
}
