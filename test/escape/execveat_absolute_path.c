/* execveat ignores its descriptor when the path is absolute. The launcher's
 * own filter rule pins only the descriptor (8) and AT_EMPTY_PATH, not the
 * path, so this asks the kernel to exec /bin/sh through the launcher's
 * rule. The shell would create the file the test names (argv[1]). */
#include "escape.h"
#include <fcntl.h>
int main(int argc, char **argv)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "touch %s",
		 arg(argc, argv, 1, "/tmp/fakeos-escaped"));
	char *const args[] = { "sh", "-c", cmd, NULL };
	char *const env[] = { NULL };
	trying("execveat(8, \"/bin/sh\", AT_EMPTY_PATH)");
	return outcome("execveat", syscall(SYS_execveat, 8, "/bin/sh", args,
					   env, AT_EMPTY_PATH));
}
