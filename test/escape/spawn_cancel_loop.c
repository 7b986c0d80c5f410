/* Spawns a slow URL and closes the spawn at once, again and again: each
 * close used to free the program's request quota while the fetch worker
 * and its download helper ran on until the download timed out, so a loop
 * held hundreds of helpers and hundreds of MiB of the host's memory. A
 * cancelled spawn must stop its work at once.
 *
 *   spawn_cancel_loop URL COUNT
 *
 * Prints "spawned and closed N", then "holding" and waits 2 s before it
 * exits 0, so the test can count the host's fetch processes during the
 * loop and after it. */
#include "escape.h"

#include <fakeos.h>

int main(int argc, char **argv)
{
	const char *url = arg(argc, argv, 1, "");
	long count = strtol(arg(argc, argv, 2, "200"), NULL, 10);
	char *child_argv[] = { (char *)url, NULL };
	long done = 0;
	if (fk_init() < 0)
		return SETUP_FAILED;
	trying("spawn and close a slow URL in a loop");
	for (long i = 0; i < count; i++) {
		fk_handle h = fk_spawn(url, child_argv);
		if (h < 0) {
			printf("fk_spawn: %s\n", strerror(-h));
			return SETUP_FAILED;
		}
		if (fk_close(h) < 0)
			return SETUP_FAILED;
		/* Let the broker see each pair before the next: a wait that
		 * returns at once submits what was queued. */
		struct fk_event ev;
		if (fk_wait(&ev, 1, 2000000) > 0)
			fk_release(&ev);
		done++;
	}
	printf("spawned and closed %ld\n", done);
	printf("holding\n");
	fflush(stdout);
	uint64_t until = fk_now() + 2000000000ULL;
	while (fk_now() < until) {
		struct fk_event ev;
		if (fk_wait(&ev, 1, (int64_t)(until - fk_now())) > 0)
			fk_release(&ev);
	}
	/* Whether the host kept the fetches is for the test to see. */
	printf("done\n");
	return 0;
}
