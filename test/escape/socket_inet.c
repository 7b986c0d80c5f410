/* A network socket: the jail's net namespace is empty, and the filter
 * forbids creating sockets at all. */
#include <sys/socket.h>
#include "escape.h"
int main(void)
{
	trying("socket(AF_INET, SOCK_STREAM)");
	return outcome("socket", syscall(SYS_socket, AF_INET, SOCK_STREAM, 0));
}
