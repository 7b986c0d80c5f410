/* Asks the broker to spawn a URL the test names: a host file (file://PATH,
 * or a relative URL that climbs out of the program's directory) or an
 * address on the host (http://127.0.0.1:PORT/). The launcher that fetches
 * it is outside the jail and privileged: a program must not get it to
 * open a host file or connect to a host service on its behalf (a confused
 * deputy; for http, SSRF). Prints the child's exit status and the reason
 * the broker sends back; the test checks that nothing was opened or
 * connected to. */
#include "escape.h"
#include <fakeos.h>

int main(int argc, char **argv)
{
	const char *url = arg(argc, argv, 1, "file:///etc/shadow");
	int r = fk_init();
	if (r < 0)
		setup_failed("fk_init", -r);
	trying("fk_spawn of a host URL");
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
			printf("exit: %d: reason: %.*s\n", ev.status,
			       (int)ev.len, (const char *)ev.data);
			return REFUSED;
		}
	}
}
