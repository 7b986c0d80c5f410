/* spawn_tree — spawns a tree of copies of itself by URL and checks that
 * every exit comes back with the status it should.
 *
 *   spawn_tree [DEPTH [FANOUT]]      (defaults 2 and 3)
 *
 * Each program with DEPTH > 0 starts FANOUT children with DEPTH-1 and
 * exits with the size of its subtree, itself included, which its parent
 * checks. The top program also checks three ways a child can end early:
 * a URL that cannot be fetched (exit 127 and a reason), a child killed
 * with fk_kill (137), and a child ended by fk_close (no event at all). It
 * prints a summary and exits 0 only if every status was the expected one.
 * A program whose check failed exits 250, which no subtree size reaches. */
#include <errno.h>
#include <fakeos.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ME "spawn_tree"
#define BAD 250
#define LIMIT_NS (60 * 1000000000LL)
#define MAX_KIDS 16

static long subtree(long depth, long fanout)
{
	return depth == 0 ? 1 : 1 + fanout * subtree(depth - 1, fanout);
}

struct kid {
	fk_handle h;
	const char *what;
	int want; /* the status it must end with; -1: no FK_EV_EXIT */
	int got; /* -2 until it ends */
	int started; /* FK_EV_OPEN seen */
};

static int fail(const char *what, int err)
{
	fprintf(stderr, ME ": %s: %s\n", what, strerror(-err));
	return BAD;
}

static int spawn(struct kid *k, const char *url, char *const *argv,
		 const char *what, int want)
{
	k->h = fk_spawn(url, argv);
	k->what = what;
	k->want = want;
	k->got = -2;
	return k->h < 0 ? fail("fk_spawn", k->h) : 0;
}

int main(int argc, char **argv)
{
	long depth = argc > 1 ? strtol(argv[1], NULL, 10) : 2;
	long fanout = argc > 2 ? strtol(argv[2], NULL, 10) : 3;
	int r;
	if (depth < 0 || depth > 7 || fanout < 1 || fanout > 8 ||
	    subtree(depth, fanout) >= BAD) {
		fprintf(stderr, "usage: " ME " [DEPTH [FANOUT]] (a tree under %d)\n", BAD);
		return BAD;
	}
	if ((r = fk_init()) < 0)
		return fail("fk_init", r);
	const struct fk_boot *boot = fk_boot();
	int top = boot->parent == 0;
	struct kid kids[MAX_KIDS];
	int n = 0;

	char d[24], f[24];
	snprintf(d, sizeof(d), "%ld", depth - 1);
	snprintf(f, sizeof(f), "%ld", fanout);
	char *const child_argv[] = { "", d, f, NULL };
	for (long i = 0; depth > 0 && i < fanout; i++)
		if (spawn(&kids[n++], boot->url, child_argv, "subtree",
			  (int)subtree(depth - 1, fanout)))
			return BAD;
	fk_handle killed = 0, closed = 0;
	if (top) {
		/* A deep tree, so that it is still running when killed. */
		char *const big[] = { "", "3", "4", NULL };
		if (spawn(&kids[n++], "no-such-program", NULL, "missing URL", 127) ||
		    spawn(&kids[n++], boot->url, big, "killed", 137) ||
		    spawn(&kids[n++], boot->url, big, "closed", -1))
			return BAD;
		killed = kids[n - 2].h;
		closed = kids[n - 1].h;
	}

	uint64_t end = fk_now() + LIMIT_NS;
	int left = n - (closed != 0);
	while (left > 0) {
		struct fk_event ev[8];
		uint64_t now = fk_now();
		int got = now < end ? fk_wait(ev, 8, (int64_t)(end - now)) : 0;
		if (got < 0)
			return fail("fk_wait", got);
		if (got == 0 && fk_now() >= end) {
			fprintf(stderr, ME ": %d children still running after 60 s\n", left);
			return BAD;
		}
		for (int i = 0; i < got; i++) {
			struct fk_event *e = &ev[i];
			struct kid *k = NULL;
			for (int j = 0; j < n; j++)
				if (kids[j].h == e->handle)
					k = &kids[j];
			if (!k) {
				fprintf(stderr, ME ": event %u for unknown handle %d\n",
					e->type, e->handle);
				return BAD;
			}
			if (e->type == FK_EV_OPEN) {
				k->started = 1;
				/* Now it runs: end the two that are meant to go. */
				if (e->handle == killed && (r = fk_kill(killed)) < 0)
					return fail("fk_kill", r);
				if (e->handle == closed) {
					if ((r = fk_close(closed)) < 0)
						return fail("fk_close", r);
					/* Its handle is gone at once. */
					if (fk_kill(closed) != -EBADF)
						return fail("fk_kill after fk_close", -EINVAL);
				}
			} else if (e->type == FK_EV_EXIT) {
				k->got = e->status;
				if (e->len)
					printf(ME ": %s: exit %d: %.*s\n", k->what,
					       e->status, (int)e->len,
					       (const char *)e->data);
				fk_release(e);
				left--;
			}
		}
	}

	int bad = 0;
	for (int j = 0; j < n; j++) {
		struct kid *k = &kids[j];
		if (k->want < 0 ? k->got != -2 : k->got != k->want) {
			fprintf(stderr, ME ": %s child: exit %d, expected %d\n",
				k->what, k->got, k->want);
			bad = 1;
		}
	}
	if (top) {
		printf(ME ": %ld programs in a tree of depth %ld, fanout %ld; "
		       "missing URL, kill and close as expected: %s\n",
		       subtree(depth, fanout), depth, fanout, bad ? "FAIL" : "PASS");
		return bad;
	}
	return bad ? BAD : (int)subtree(depth, fanout);
}
