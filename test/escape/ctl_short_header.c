/* A control datagram of 8 bytes, shorter than the 16-byte header. */
#include "escape.h"
int main(void)
{
	uint64_t m = 0x0001000100000000ULL;
	return ctl_forge("an 8-byte message", &m, sizeof(m));
}
