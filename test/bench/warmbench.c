/* warmbench — what a warm jail (src/jail.h) saves a launch, run unjailed
 * as root, beside its baselines, interleaved round by round:
 *
 *   plain   fork + exec + wait of PROG (a static program)
 *   cold    ring_create + jail_spawn + wait: a launch as the broker does it
 *   warm    jail_warm_launch + wait, from a pool prepared ahead (the
 *           preparation is not timed: each used jail is replaced, and the
 *           replacement waited for, between rounds)
 *
 * and, to show where the warm launch's time goes, its two halves (launch:
 * from the call to the exec let through; run: from there to the reaped
 * exit) and the teardown alone (an idle warm jail killed and reaped: its
 * namespaces freed, no program). Then what an idle warm jail costs: its
 * RSS and PSS (/proc/PID/smaps_rollup), and the kernel memory (Slab,
 * KernelStack, PageTables in /proc/meminfo) that POOL of them add, per
 * jail. PROG's output goes to /dev/null; every run must exit 0.
 *
 *   warmbench RUNS POOL PROG
 *
 * docs/BENCH.md, "Warm jails", gives the figures and how to read them. */
#include "../tools/jailrig.h"
#include "bench.h"

static struct rig rig;
static int devnull;

static uint64_t plain(char *const *argv)
{
	uint64_t t0 = bench_now();
	pid_t pid = fork();
	if (pid == 0) {
		dup2(devnull, 0);
		dup2(devnull, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	int st;
	if (pid < 0 || waitpid(pid, &st, 0) != pid || st != 0)
		rig_die("plain", "PROG failed");
	return bench_now() - t0;
}

static void check(int status, const char *what)
{
	if (status != 0) {
		fprintf(stderr, "warmbench: %s: PROG exited %d\n", what, status);
		exit(1);
	}
}

static uint64_t cold(int exec_fd, char *const *argv)
{
	struct error e;
	struct ring ring;
	int cons[3] = { devnull, devnull, 2 };
	uint64_t t0 = bench_now();
	if (ring_create(&ring, &e) < 0)
		rig_die("ring_create", e.msg);
	struct jail_config c = rig_config(&rig, exec_fd, argv, cons, ring.fd);
	struct jail_proc p;
	if (jail_spawn(&c, &p, &e) < 0)
		rig_die("jail_spawn", e.msg);
	close(ring.fd);
	check(rig_wait(&p, "cold"), "cold");
	return bench_now() - t0;
}

/* The pool: each slot is replaced as soon as it is used, and the new jail
 * is waited for (its sync socket turns readable when it is ready), so no
 * preparation overlaps a timed launch. */
static void refill(struct jail_warm *w)
{
	struct error e;
	if (jail_warm_prepare(&rig.shape, w, &e) < 0)
		rig_die("jail_warm_prepare", e.msg);
	struct pollfd pf = { w->sync, POLLIN, 0 };
	if (poll(&pf, 1, 5000) != 1)
		rig_die("warm jail", "not ready within 5 s");
}

static uint64_t warm(struct jail_warm *w, int exec_fd, char *const *argv,
		     uint64_t *launch_ns)
{
	struct error e;
	int cons[3] = { devnull, devnull, 2 };
	uint64_t t0 = bench_now();
	struct jail_config c = rig_config(&rig, exec_fd, argv, cons, w->ring.fd);
	struct jail_proc p;
	if (jail_warm_launch(w, &c, &p, &e) < 0)
		rig_die("jail_warm_launch", e.msg);
	*launch_ns = bench_now() - t0;
	jail_warm_discard(w); /* closes the broker's copy of the ring */
	check(rig_wait(&p, "warm"), "warm");
	return bench_now() - t0;
}

static uint64_t teardown(void)
{
	struct jail_warm w;
	refill(&w);
	uint64_t t0 = bench_now();
	jail_warm_discard(&w);
	return bench_now() - t0;
}

static long meminfo_kb(const char *key)
{
	FILE *f = fopen("/proc/meminfo", "re");
	char line[128];
	long v = -1;
	size_t k = strlen(key);
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, key, k) == 0 && line[k] == ':')
			v = atol(line + k + 1);
	if (f)
		fclose(f);
	return v;
}

static long kernel_kb(void)
{
	return meminfo_kb("Slab") + meminfo_kb("KernelStack") +
	       meminfo_kb("PageTables");
}

static long rollup_kb(pid_t pid, const char *key)
{
	char path[64], line[128];
	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
	FILE *f = fopen(path, "re");
	long v = -1;
	size_t k = strlen(key);
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, key, k) == 0 && line[k] == ':')
			v = atol(line + k + 1);
	if (f)
		fclose(f);
	return v;
}

static void row(const char *name, uint64_t *v, size_t n, uint64_t base)
{
	uint64_t med = bench_pct(v, n, 50), p99 = bench_pct(v, n, 99);
	printf("%-28s median %7.1f us  p99 %7.1f us", name, med / 1e3,
	       p99 / 1e3);
	if (base)
		printf("  %5.2fx plain", (double)med / (double)base);
	printf("\n");
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: warmbench RUNS POOL PROG\n");
		return 2;
	}
	size_t runs = (size_t)bench_number(argv[1], 20);
	size_t pool = (size_t)bench_number(argv[2], 1);
	char *prog[] = { argv[3], NULL };
	signal(SIGPIPE, SIG_IGN);
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	rig_init(&rig, NULL);
	int exec_fd = rig_load(argv[3]);

	/* An idle pool: what it costs. The kernel figure is a difference of
	 * host-wide counters, so it is only as quiet as the machine. */
	struct jail_warm *w = calloc(pool, sizeof(*w));
	long k0 = kernel_kb();
	for (size_t i = 0; i < pool; i++)
		refill(&w[i]);
	usleep(100000); /* let deferred frees of the preparation settle */
	long k1 = kernel_kb();
	long rss = 0, pss = 0;
	for (size_t i = 0; i < pool; i++) {
		rss += rollup_kb(w[i].pid, "Rss");
		pss += rollup_kb(w[i].pid, "Pss");
	}
	printf("idle warm jail (pool of %zu): RSS %ld KiB, PSS %ld KiB, "
	       "kernel (slab, stacks, page tables) %ld KiB each\n",
	       pool, rss / (long)pool, pss / (long)pool,
	       (k1 - k0) / (long)pool);

	uint64_t *tp = calloc(runs, 8), *tc = calloc(runs, 8),
		 *tw = calloc(runs, 8), *tl = calloc(runs, 8),
		 *tr = calloc(runs, 8), *td = calloc(runs, 8);
	for (int i = 0; i < 5; i++) { /* warm-up, untimed */
		uint64_t l;
		plain(prog);
		cold(exec_fd, prog);
		warm(&w[0], exec_fd, prog, &l);
		refill(&w[0]);
	}
	for (size_t i = 0; i < runs; i++) {
		struct jail_warm *j = &w[i % pool];
		uint64_t l = 0;
		/* Each round starts with a different variant. */
		for (int k = 0; k < 3; k++) {
			switch ((i + (size_t)k) % 3) {
			case 0: tp[i] = plain(prog); break;
			case 1: tc[i] = cold(exec_fd, prog); break;
			case 2:
				tw[i] = warm(j, exec_fd, prog, &l);
				tl[i] = l;
				tr[i] = tw[i] - l;
				refill(j);
				break;
			}
		}
		if (i % 10 == 0)
			td[i / 10] = teardown();
	}
	uint64_t base = bench_pct(tp, runs, 50);
	printf("%zu launches each of %s, interleaved:\n", runs, argv[3]);
	row("plain fork+exec+wait", tp, runs, base);
	row("cold: jail_spawn+wait", tc, runs, base);
	row("warm: jail_warm_launch+wait", tw, runs, base);
	row("  warm, launch to exec", tl, runs, 0);
	row("  warm, exec to reaped exit", tr, runs, 0);
	row("idle warm jail killed+reaped", td, (runs + 9) / 10, 0);
	for (size_t i = 0; i < pool; i++)
		jail_warm_discard(&w[i]);
	return 0;
}
