/* Opens a host file by path for reading (the test passes a FIFO it owns,
 * whose writer notices any open; default /etc/passwd). The empty root has
 * no such file, but the filter must stop the call before it gets that far. */
#include "escape.h"
#include <fcntl.h>
int main(int argc, char **argv)
{
	trying("open a host file");
	return outcome(
		"open",
		syscall(SYS_open, arg(argc, argv, 1, "/etc/passwd"), O_RDONLY));
}
