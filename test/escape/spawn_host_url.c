/* Asks the broker to spawn a host file by URL (file://PATH), so that the
 * privileged launcher opens and reads a file the jail cannot see. Prints
 * the child's exit status and the reason the broker sends back: neither
 * may say anything about the file (whether it exists, what it holds), and
 * the file must not be opened at all. */
#include "escape.h"
#include <fakeos.h>

int main(int argc, char **argv)
{
	const char *url = arg(argc, argv, 1, "file:///etc/shadow");
	int r = fk_init();
	if (r < 0)
		setup_failed("fk_init", -r);
	trying("fk_spawn of a host file");
	fk_handle h = fk_spawn(url, NULL);
	if (h < 0) {
		printf("refused: fk_spawn: %s\n", strerror(-h));
		return REFUSED;
	}
	for (;;) {
		struct fk_event ev;
		int n = fk_wait(&ev, 1, 10 * 1000000000LL);
		if (n <= 0)
			setup_failed("fk_wait", n ? -n : ETIME);
		if (ev.handle != h)
			continue;
		if (ev.type == FK_EV_OPEN) {
			printf("ESCAPED: the host file runs as a program\n");
			return ESCAPED;
		}
		if (ev.type == FK_EV_EXIT) {
			printf("exit: %d: reason: %.*s\n", ev.status, (int)ev.len,
			       (const char *)ev.data);
			return REFUSED;
		}
	}
}
