/* Making the read-only, noexec root writable and executable again with
 * the new mount API. */
#include "escape.h"
#include <fcntl.h>
#include <linux/mount.h>
int main(void)
{
	struct mount_attr attr = { .attr_clr = MOUNT_ATTR_RDONLY |
					       MOUNT_ATTR_NOEXEC };
	trying("mount_setattr(/, clear RDONLY|NOEXEC)");
	return outcome("mount_setattr", syscall(SYS_mount_setattr, AT_FDCWD,
						"/", 0, &attr, sizeof(attr)));
}
