/* A zero-length datagram on the control link. On a SOCK_SEQPACKET socket
 * the broker's recv returns 0 for it, as it does at end of file: a broker
 * that took it for the program's exit would stop reading the link while
 * the program runs on. It is a message shorter than a header, and kills
 * the sender like any other. */
#include "escape.h"
int main(void)
{
	static char nothing[1];
	return ctl_forge("a zero-length message", nothing, 0);
}
