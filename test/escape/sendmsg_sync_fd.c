/* sendmsg on fd 9, where the launcher's sync socket was: the filter allows
 * sendmsg there for the launcher's own hand-over, so the kernel must
 * answer EBADF (the socket is close-on-exec, and RLIMIT_NOFILE keeps the
 * program below 9). */
#include "escape.h"
#include <sys/socket.h>
int main(void)
{
	char byte = 'x';
	struct iovec iov = { &byte, 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	trying("sendmsg(9)");
	return outcome("sendmsg", syscall(SYS_sendmsg, 9, &mh, 0));
}
