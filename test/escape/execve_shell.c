/* Running a host binary: a shell that would create the file the test
 * names (argv[1]) if it ever ran. */
#include "escape.h"
int main(int argc, char **argv)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "touch %s",
		 arg(argc, argv, 1, "/tmp/fakeos-escaped"));
	char *const args[] = { "sh", "-c", cmd, NULL };
	trying("execve /bin/sh");
	return outcome("execve", syscall(SYS_execve, "/bin/sh", args, NULL));
}
