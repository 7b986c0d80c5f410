/* The other half of Shocker: asking for a file's handle, to reopen it
 * later from outside any path check. */
#include "escape.h"
#include <fcntl.h>
int main(int argc, char **argv)
{
	struct {
		struct file_handle fh;
		unsigned char bytes[128];
	} h = { .fh = { .handle_bytes = 128 } };
	int mount_id;
	trying("name_to_handle_at a host path");
	return outcome("name_to_handle_at",
		       syscall(SYS_name_to_handle_at, AT_FDCWD,
			       arg(argc, argv, 1, "/"), &h.fh, &mount_id, 0));
}
