/* Writing another process's memory (argv[1]: a host pid, argv[2]: an
 * address in it). */
#include "escape.h"
#include <sys/uio.h>
int main(int argc, char **argv)
{
	static char buf[64] = "written by a jailed program";
	struct iovec local = { buf, sizeof(buf) };
	struct iovec remote = { (void *)arg_num(argc, argv, 2, 0x400000),
				sizeof(buf) };
	trying("process_vm_writev(host pid)");
	return outcome("process_vm_writev",
		       syscall(SYS_process_vm_writev, arg_num(argc, argv, 1, 1),
			       &local, 1, &remote, 1, 0));
}
