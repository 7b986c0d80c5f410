/* Opens a host file by path: the empty root has none, but the filter must
 * stop the call before it gets that far. */
#include <fcntl.h>
#include "escape.h"
int main(void)
{
	trying("open /etc/passwd");
	return outcome("open", syscall(SYS_open, "/etc/passwd", O_RDONLY));
}
