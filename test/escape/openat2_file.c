/* openat2, the call with its own resolution flags (a filter that knew
 * only open and openat would miss it). */
#include "escape.h"
#include <fcntl.h>
#include <linux/openat2.h>
int main(int argc, char **argv)
{
	struct open_how how = { .flags = O_RDONLY };
	trying("openat2 a host file");
	return outcome("openat2", syscall(SYS_openat2, AT_FDCWD,
					  arg(argc, argv, 1, "/etc/passwd"),
					  &how, sizeof(how)));
}
