/* launch — times commands from fork to reaped exit, interleaved run by run.
 *
 *   launch RUNS WARMUP -- NAME [-u USER] CMD [ARG...] [-- NAME ...]
 *
 * Each round runs every variant once, starting with a different one each
 * round, so that whatever the machine is doing hits all variants alike.
 * WARMUP rounds come first and are not counted. A run is: clock, fork,
 * (as USER: setgroups, setgid, setuid), exec with stdin and stdout on
 * /dev/null (stderr is kept, so a failure says why), wait4, clock — on
 * CLOCK_MONOTONIC. wait4's rusage gives the peak RSS (ru_maxrss: the
 * largest of the process and the descendants it reaped) and the CPU time.
 * Every run must exit 0, or the whole measurement fails.
 *
 * Prints one line per variant:
 *   NAME RUNS MEDIAN_NS P10_NS P90_NS MAXRSS_KB CPU_NS
 * the last two being medians over the runs. Exit 0, or 1 on any failure. */
#include <err.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

struct variant {
	const char *name;
	char **argv;
	int as_user; /* run as uid/gid below */
	uid_t uid;
	gid_t gid;
	uint64_t *wall, *rss, *cpu; /* per counted run */
};

static int devnull = -1;

static uint64_t tv_ns(struct timeval tv)
{
	return (uint64_t)tv.tv_sec * 1000000000u + (uint64_t)tv.tv_usec * 1000u;
}

/* One run of v; returns 0 and the figures, or -1 (reported). */
static int run_once(const struct variant *v, uint64_t *wall, uint64_t *rss,
		    uint64_t *cpu)
{
	struct rusage ru;
	int status;
	uint64_t t0 = bench_now();
	pid_t pid = fork();
	if (pid < 0) {
		warn("%s: fork", v->name);
		return -1;
	}
	if (pid == 0) {
		/* What fails here is said, then 255: no command's own
		 * status is confused with the harness's. */
		if (dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0)
			err(255, "%s: dup2", v->name);
		if (v->as_user && (setgroups(0, NULL) < 0 ||
				   setgid(v->gid) < 0 || setuid(v->uid) < 0))
			err(255, "%s: becoming uid %d", v->name, (int)v->uid);
		execv(v->argv[0], v->argv);
		err(255, "%s: exec %s", v->name, v->argv[0]);
	}
	if (wait4(pid, &status, 0, &ru) != pid) {
		warn("%s: wait4", v->name);
		return -1;
	}
	*wall = bench_now() - t0;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		warnx("%s: %s %d", v->name,
		      WIFEXITED(status) ? "exited with" : "killed by signal",
		      WIFEXITED(status) ? WEXITSTATUS(status)
					: WTERMSIG(status));
		return -1;
	}
	*rss = (uint64_t)ru.ru_maxrss;
	*cpu = tv_ns(ru.ru_utime) + tv_ns(ru.ru_stime);
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: launch RUNS WARMUP -- NAME [-u USER] CMD "
			"[ARG...] [-- NAME ...]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	if (argc < 6 || strcmp(argv[3], "--") != 0)
		usage();
	long runs = bench_number(argv[1], 1);
	long warmup = bench_number(argv[2], 0);

	/* Split the rest at "--" into variants, in place. */
	struct variant *vs = calloc((size_t)argc, sizeof(*vs));
	if (!vs)
		err(1, "calloc");
	int nv = 0;
	for (int i = 4; i < argc;) {
		struct variant *v = &vs[nv++];
		v->name = argv[i++];
		if (i + 1 < argc && strcmp(argv[i], "-u") == 0) {
			struct passwd *pw = getpwnam(argv[i + 1]);
			if (!pw)
				errx(1, "%s: no user %s", v->name, argv[i + 1]);
			v->as_user = 1;
			v->uid = pw->pw_uid;
			v->gid = pw->pw_gid;
			i += 2;
		}
		v->argv = &argv[i];
		while (i < argc && strcmp(argv[i], "--") != 0)
			i++;
		if (&argv[i] == v->argv)
			usage();
		if (i < argc)
			argv[i++] = NULL; /* ends this variant's argv */
		v->wall = calloc((size_t)runs, sizeof(uint64_t));
		v->rss = calloc((size_t)runs, sizeof(uint64_t));
		v->cpu = calloc((size_t)runs, sizeof(uint64_t));
		if (!v->wall || !v->rss || !v->cpu)
			err(1, "calloc");
	}

	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0)
		err(1, "/dev/null");

	for (long round = 0; round < warmup + runs; round++) {
		for (int k = 0; k < nv; k++) {
			struct variant *v = &vs[(round + k) % nv];
			uint64_t w, r, c;
			if (run_once(v, &w, &r, &c) < 0)
				return 1;
			if (round >= warmup) {
				long i = round - warmup;
				v->wall[i] = w;
				v->rss[i] = r;
				v->cpu[i] = c;
			}
		}
	}

	for (int k = 0; k < nv; k++) {
		struct variant *v = &vs[k];
		size_t n = (size_t)runs;
		uint64_t p10 = bench_pct(v->wall, n, 10);
		uint64_t p90 = bench_pct(v->wall, n, 90);
		uint64_t med = bench_pct(v->wall, n, 50);
		printf("%s %ld %llu %llu %llu %llu %llu\n", v->name, runs,
		       (unsigned long long)med, (unsigned long long)p10,
		       (unsigned long long)p90,
		       (unsigned long long)bench_pct(v->rss, n, 50),
		       (unsigned long long)bench_pct(v->cpu, n, 50));
	}
	return 0;
}
