/* TIOCLINUX, the Linux console's selection ioctl: set a selection and
 * paste it back as input (subcodes 2 and 3), on every console descriptor.
 * ioctl is answered with ENOTTY. Exits ESCAPED if any attempt succeeded. */
#include "escape.h"
#include <sys/ioctl.h>
int main(void)
{
	/* subcode 2 (TIOCL_SETSEL): xs, ys, xe, ye, mode, after a pad byte */
	unsigned char setsel[12] = { 2, 0, 1, 0, 1, 0, 10, 0, 1, 0, 0, 0 };
	unsigned char paste = 3; /* TIOCL_PASTESEL */
	int rc = REFUSED;
	trying("ioctl(TIOCLINUX) on fds 0, 1, 2");
	for (int fd = 0; fd < 3; fd++) {
		if (syscall(SYS_ioctl, fd, TIOCLINUX, setsel) == 0)
			rc = ESCAPED;
		if (syscall(SYS_ioctl, fd, TIOCLINUX, &paste) == 0)
			rc = ESCAPED;
	}
	if (rc == ESCAPED)
		printf("ESCAPED: TIOCLINUX accepted\n");
	else
		printf("refused: ioctl: %s\n", strerror(errno));
	return rc;
}
