/* A network socket, to connect to the test's listener on 127.0.0.1
 * (argv[1]: its port): the jail's net namespace is empty, and the filter
 * forbids creating sockets at all. */
#include "escape.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
int main(int argc, char **argv)
{
	trying("socket(AF_INET, SOCK_STREAM) and connect to 127.0.0.1");
	long fd = syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return outcome("socket", fd);
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons((uint16_t)arg_num(
					   argc, argv, 1, 80)),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	return outcome("connect", syscall(SYS_connect, fd, &sin, sizeof(sin)));
}
