/* execveat on a descriptor number the launcher used (argv[1]: 8, where
 * it held the program's memfd, or 9, its sync socket; both are
 * close-on-exec). The filter allows execveat(8, "", AT_EMPTY_PATH) for the
 * launcher's own exec, so on fd 8 the kernel must answer EBADF: the
 * program never owns a descriptor that high (RLIMIT_NOFILE). */
#include "escape.h"
#include <fcntl.h>
int main(int argc, char **argv)
{
	char *const args[] = { "again", NULL };
	char *const env[] = { NULL };
	trying("execveat(launcher fd, \"\", AT_EMPTY_PATH)");
	return outcome("execveat",
		       syscall(SYS_execveat, arg_num(argc, argv, 1, 8), "",
			       args, env, AT_EMPTY_PATH));
}
