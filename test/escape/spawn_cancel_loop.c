/* Spawns a slow URL and closes the spawn at once, again and again: each
 * close used to free the program's request quota while the fetch worker
 * and its download helper ran on until the download timed out, so a loop
 * held hundreds of helpers and hundreds of MiB of the host's memory. A
 * cancelled spawn must stop its work at once, and the fetches a tree runs
 * at once must be bounded by what actually runs.
 *
 *   spawn_cancel_loop URL COUNT          spawn and close, COUNT times
 *   spawn_cancel_loop URL hold COPIES    spawn COPIES-1 copies of itself
 *                                        (siblings' children), then every
 *                                        copy keeps 16 spawns waiting
 *
 * Each spawn asks for URL?I, a URL of its own (the cache fetches one URL
 * once at a time, and an attacker wants them all at once). Prints "spawned
 * and closed N" (or "holding N spawns"), then "holding", and waits 2 s
 * (hold: 4 s) before it exits 0, so the test can count the host's fetch
 * processes during the attack and after it. */
#include "escape.h"

#include <fakeos.h>

static void wait_ns(uint64_t ns)
{
	uint64_t until = fk_now() + ns;
	while (fk_now() < until) {
		struct fk_event ev;
		if (fk_wait(&ev, 1, (int64_t)(until - fk_now())) > 0)
			fk_release(&ev);
	}
}

static int spawn_each(const char *url, long i, fk_handle *out)
{
	char each[1024];
	char *child_argv[] = { each, NULL };
	snprintf(each, sizeof(each), "%s?%ld", url, i);
	*out = fk_spawn(each, child_argv);
	return *out < 0 ? (int)*out : 0;
}

int main(int argc, char **argv)
{
	const char *url = arg(argc, argv, 1, "");
	const char *mode = arg(argc, argv, 2, "200");
	if (fk_init() < 0)
		return SETUP_FAILED;
	if (strcmp(mode, "hold") == 0) {
		long copies = strtol(arg(argc, argv, 3, "1"), NULL, 10);
		char *copy_argv[] = { argv[0], (char *)url, "hold", "1", NULL };
		for (long c = 1; c < copies; c++) {
			fk_handle h = fk_spawn(argv[0], copy_argv);
			if (h < 0)
				return SETUP_FAILED;
		}
		long held = 0;
		fk_handle h;
		while (held < 16 && spawn_each(url, held + 1000 * copies, &h) == 0)
			held++;
		printf("holding %ld spawns\n", held);
		if (copies > 1)
			printf("holding\n");
		fflush(stdout);
		wait_ns(4000000000ULL);
		printf("done\n");
		return 0;
	}
	long count = strtol(mode, NULL, 10), done = 0;
	trying("spawn and close a slow URL in a loop");
	for (long i = 0; i < count; i++) {
		fk_handle h;
		int r = spawn_each(url, i, &h);
		if (r < 0) {
			printf("fk_spawn: %s, after %ld\n", strerror(-r), done);
			break;
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
	wait_ns(2000000000ULL);
	/* Whether the host kept the fetches is for the test to see. */
	printf("done\n");
	return 0;
}
