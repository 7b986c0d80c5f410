/* Valid requests about things that belong to other programs: KILL and
 * CLOSE of every handle 1..256 (the parent's children and links have
 * small handles too) and CLOSE of every slot. Handles are per program, so
 * none of this may touch anyone else; the program then exits 0, and the
 * test checks that its parent's own children and links are intact. */
#include "escape.h"
int main(void)
{
	struct proto_hdr kill;
	struct proto_close close;
	struct io_uring ring;
	ring_map(&ring);
	trying("KILL and CLOSE of handles 1-256 and slots 1-63");
	for (int32_t h = 1; h <= 256; h++) {
		ctl_hdr(&kill, PROTO_KILL, sizeof(kill), h);
		ctl_hdr(&close, PROTO_CLOSE, sizeof(close), h);
		if (ctl_send(&ring, &kill, sizeof(kill)) < 0 ||
		    ctl_send(&ring, &close, sizeof(close)) < 0)
			setup_failed("SEND", EIO);
	}
	for (uint32_t s = 1; s < PROTO_SLOTS; s++) {
		ctl_hdr(&close, PROTO_CLOSE, sizeof(close), 1);
		close.slot = s;
		if (ctl_send(&ring, &close, sizeof(close)) < 0)
			setup_failed("SEND", EIO);
	}
	printf("refused: foreign handles: sent, nothing of ours to end\n");
	return REFUSED;
}
