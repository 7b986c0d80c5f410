/* echo_demo — starts echo_server and echo_client, fetched from next to
 * its own URL, and reports how each ended.
 *
 *   echo_demo [COUNT]
 *
 * Exit 0 when both exit 0; 1 otherwise. COUNT (default 100) is passed to
 * the client. */
#include <errno.h>
#include <fakeos.h>
#include <stdio.h>
#include <string.h>

#define ME "echo_demo"
#define LIMIT_NS (30 * 1000000000LL)

static int fail(const char *what, int err)
{
	fprintf(stderr, ME ": %s: %s\n", what, strerror(-err));
	return 1;
}

int main(int argc, char **argv)
{
	char *count = argc > 1 ? argv[1] : "100";
	int r;

	if ((r = fk_init()) < 0)
		return fail("fk_init", r);
	/* A URL without a scheme is a sibling of ours. The client may start
	 * first: its link waits up to FK_LINK_WAIT_NS for the name. */
	struct {
		const char *url;
		char *const *argv;
		fk_handle h;
		int status;
	} kids[] = {
		{ "echo_server", (char *const[]){ "", "echo", "1", NULL }, 0, -1 },
		{ "echo_client", (char *const[]){ "", "echo", count, NULL }, 0, -1 },
	};
	for (int i = 0; i < 2; i++)
		if ((kids[i].h = fk_spawn(kids[i].url, kids[i].argv)) < 0)
			return fail("fk_spawn", kids[i].h);

	uint64_t end = fk_now() + LIMIT_NS;
	int left = 2;
	while (left > 0) {
		struct fk_event ev[8];
		uint64_t now = fk_now();
		int n = now < end ? fk_wait(ev, 8, (int64_t)(end - now)) : 0;
		if (n < 0)
			return fail("fk_wait", n);
		if (n == 0 && fk_now() >= end) {
			fprintf(stderr, ME ": still running after 30 s\n");
			return 1;
		}
		for (int i = 0; i < n; i++)
			for (int k = 0; k < 2; k++) {
				if (ev[i].handle != kids[k].h)
					continue;
				if (ev[i].type == FK_EV_EXIT) {
					kids[k].status = ev[i].status;
					printf(ME ": %s exited with %d%s%.*s\n",
					       kids[k].url, ev[i].status,
					       ev[i].len ? ": " : "", (int)ev[i].len,
					       (const char *)ev[i].data);
					fk_release(&ev[i]);
					left--;
				}
			}
	}
	int ok = kids[0].status == 0 && kids[1].status == 0;
	printf(ME ": %s\n", ok ? "PASS" : "FAIL");
	return ok ? 0 : 1;
}
