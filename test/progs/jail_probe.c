/* jail_probe — tries, from inside the jail, what the jail's layers below
 * seccomp must refuse, for test/integration/test_jail.sh. It is run under a
 * test policy that allows the calls, so each answer is the kernel's: the
 * layer under test (Landlock, the read-only root, the locked securebits),
 * not the filter. Each argument is one probe; each prints one line,
 * "WHAT: RESULT", where RESULT is "ok" or the errno's name.
 *
 *   open-root        openat("/", O_RDONLY | O_DIRECTORY)
 *   mkdir-root       mkdirat("/x")
 *   connect:PORT     a TCP connect to 127.0.0.1:PORT
 *   bind:PORT        a TCP bind to 0.0.0.0:PORT
 *   securebits       prctl(PR_GET_SECUREBITS), in hex
 *
 * Exit status: 0, or 2 for an unknown probe. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *errno_name(int e)
{
	static char other[32];
	switch (e) {
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case EROFS: return "EROFS";
	case ENOENT: return "ENOENT";
	case EEXIST: return "EEXIST";
	case ENETUNREACH: return "ENETUNREACH";
	case ECONNREFUSED: return "ECONNREFUSED";
	case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
	case EADDRINUSE: return "EADDRINUSE";
	case EAFNOSUPPORT: return "EAFNOSUPPORT";
	case EINVAL: return "EINVAL";
	case ENOSYS: return "ENOSYS";
	}
	snprintf(other, sizeof(other), "errno %d", e);
	return other;
}

static void report(const char *what, int r)
{
	printf("%s: %s\n", what, r < 0 ? errno_name(errno) : "ok");
}

/* A TCP socket and connect or bind on it; the socket itself is not what
 * Landlock refuses, the address is. */
static void tcp(const char *what, int port, int do_bind)
{
	struct sockaddr_in sa;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(do_bind ? INADDR_ANY : INADDR_LOOPBACK);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0) {
		printf("%s: socket: %s\n", what, errno_name(errno));
		return;
	}
	int r = do_bind ? bind(s, (struct sockaddr *)&sa, sizeof(sa))
			: connect(s, (struct sockaddr *)&sa, sizeof(sa));
	report(what, r);
	close(s);
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "open-root") == 0) {
			int fd = openat(AT_FDCWD, "/", O_RDONLY | O_DIRECTORY);
			report("open /", fd);
			if (fd >= 0)
				close(fd);
		} else if (strcmp(a, "mkdir-root") == 0) {
			report("mkdir /x", mkdirat(AT_FDCWD, "/x", 0700));
		} else if (strncmp(a, "connect:", 8) == 0) {
			tcp("connect", atoi(a + 8), 0);
		} else if (strncmp(a, "bind:", 5) == 0) {
			tcp("bind", atoi(a + 5), 1);
		} else if (strcmp(a, "securebits") == 0) {
			int bits = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
			if (bits < 0)
				report("securebits", bits);
			else
				printf("securebits: %#x\n", bits);
		} else {
			fprintf(stderr, "jail_probe: unknown probe '%s'\n", a);
			return 2;
		}
	}
	return 0;
}
