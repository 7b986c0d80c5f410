/* main.c — fakeos-run: parses the command line and hands the launch to the
 * broker. Everything it does is documented in man/fakeos-run.1. */
#include <getopt.h>
#include <linux/close_range.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "broker.h"
#include "builtin_filter.h"
#include "cli_cache.h"
#include "client.h"
#include "daemon.h"
#include "jail.h"
#include "crash_spool.h"
#include "log.h"
#include "policy.h"

#define DEFAULT_MEMORY (256ULL << 20)

static const char usage_text[] =
	"Usage: fakeos-run [OPTIONS] URL [ARG...]\n"
	"Fetch the static x86-64 program at URL (http, https or file), cache it,\n"
	"and run it with ARGs in a jail. The program's console is relayed.\n"
	"\n"
	"URL#sha256=HEX runs only a program with exactly those bytes.\n"
	"\n"
	"Fetching and the cache:\n"
	"  -C, --cache-dir DIR   the cache (default $XDG_CACHE_HOME/fakeos or\n"
	"                        ~/.cache/fakeos; /var/cache/fakeos for root)\n"
	"      --offline         use the cache only, never the network\n"
	"      --refresh         revalidate the cached copy now\n"
	"      --max-size SIZE   refuse a download larger than SIZE (64M)\n"
	"      --timeout SECS    give up a download after SECS seconds (60)\n"
	"      --ttl SECS        freshness when the server sets no max-age (300)\n"
	"      --cache-max SIZE  evict least recently used programs above SIZE (1G)\n"
	"      --cacert FILE     trust the CA certificates in FILE for https\n"
	"      --cache-list      list the cached programs and exit\n"
	"      --cache-verify    rehash every cached program, drop corrupt ones\n"
	"      --cache-clear     empty the cache and exit\n"
	"\n"
	"The jail:\n"
	"  -m, --memory SIZE     address-space limit (256M; 0 for none)\n"
	"      --cpu SECS        CPU-time limit (none)\n"
	"      --time-limit SECS wall-clock limit (none)\n"
	"      --policy FILE     seccomp policy (the built-in default.policy)\n"
	"      --max-programs N  programs alive in the tree at once (1024)\n"
	"      --spawn-from URL  programs may also spawn programs from below URL\n"
	"                        (besides their own origin or directory)\n"
	"      --crash-url URL   POST crash reports (JSON, docs/CRASH.md) of this\n"
	"                        run's programs to URL; they wait in\n"
	"                        $XDG_STATE_HOME/fakeos/crash until it takes them\n"
	"  -n, --no-stdin        the program's stdin is empty\n"
	"      --raw-console     pass the program's output byte for byte: for\n"
	"                        binary output (by default, control characters\n"
	"                        are shown, not obeyed, wherever output goes)\n"
	"      --standalone      run the broker in this process even when\n"
	"                        fakeosd is running (its socket is\n"
	"                        $FAKEOS_DAEMON_SOCKET or " DAEMON_SOCKET ")\n"
	"\n"
	"  -v, --verbose         say what is done; twice for every step\n"
	"  -q, --quiet           print errors only\n"
	"      --version         print the version and exit\n"
	"  -h, --help            print this help and exit\n"
	"\n"
	"Exit status:\n"
	"  N       the program's own exit status\n"
	"  128+N   the program was killed by signal N; 159 (128+SIGSYS) for a\n"
	"          forbidden system call, which is named on stderr\n"
	"  125     fakeos-run itself failed: bad usage or an internal error, or\n"
	"          fakeosd ended (or refused the run) before the program did\n"
	"  126     the program could not be run: not a static x86-64 ELF, a bad\n"
	"          policy, or the jail could not be set up\n"
	"  127     the program could not be fetched: network or HTTP error, size\n"
	"          cap, hash mismatch, or offline with nothing cached\n";

enum {
	OPT_OFFLINE = 256,
	OPT_REFRESH,
	OPT_MAX_SIZE,
	OPT_TIMEOUT,
	OPT_TTL,
	OPT_CACHE_MAX,
	OPT_CACERT,
	OPT_CACHE_LIST,
	OPT_CACHE_VERIFY,
	OPT_CACHE_CLEAR,
	OPT_CPU,
	OPT_TIME_LIMIT,
	OPT_POLICY,
	OPT_MAX_PROGRAMS,
	OPT_SPAWN_FROM,
	OPT_RAW_CONSOLE,
	OPT_STANDALONE,
	OPT_CRASH_URL,
	OPT_VERSION,
};

static const struct option long_opts[] = {
	{ "cache-dir", required_argument, NULL, 'C' },
	{ "offline", no_argument, NULL, OPT_OFFLINE },
	{ "refresh", no_argument, NULL, OPT_REFRESH },
	{ "max-size", required_argument, NULL, OPT_MAX_SIZE },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "ttl", required_argument, NULL, OPT_TTL },
	{ "cache-max", required_argument, NULL, OPT_CACHE_MAX },
	{ "cacert", required_argument, NULL, OPT_CACERT },
	{ "cache-list", no_argument, NULL, OPT_CACHE_LIST },
	{ "cache-verify", no_argument, NULL, OPT_CACHE_VERIFY },
	{ "cache-clear", no_argument, NULL, OPT_CACHE_CLEAR },
	{ "memory", required_argument, NULL, 'm' },
	{ "cpu", required_argument, NULL, OPT_CPU },
	{ "time-limit", required_argument, NULL, OPT_TIME_LIMIT },
	{ "policy", required_argument, NULL, OPT_POLICY },
	{ "max-programs", required_argument, NULL, OPT_MAX_PROGRAMS },
	{ "spawn-from", required_argument, NULL, OPT_SPAWN_FROM },
	{ "raw-console", no_argument, NULL, OPT_RAW_CONSOLE },
	{ "standalone", no_argument, NULL, OPT_STANDALONE },
	{ "crash-url", required_argument, NULL, OPT_CRASH_URL },
	{ "no-stdin", no_argument, NULL, 'n' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static NORETURN PRINTF(1, 2) void usage_error(const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_error("%s (try --help)", msg);
	exit(EXIT_LAUNCHER);
}

static uint64_t opt_size(const char *opt, const char *arg)
{
	uint64_t v;
	if (parse_size(arg, &v) < 0)
		usage_error("%s: not a size: '%s' (examples: 4096, 64M, 1G)",
			    opt, arg);
	return v;
}

static uint64_t opt_ms(const char *opt, const char *arg)
{
	uint64_t v;
	if (parse_seconds_ms(arg, &v) < 0)
		usage_error("%s: not a number of seconds: '%s'", opt, arg);
	return v;
}

/* Compiles the policy before anything is fetched: a launch never runs
 * unfiltered, and a bad policy is reported before any network traffic.
 * The default policy was compiled when fakeos-run was built. */
static int load_filter(const char *path, struct sock_fprog *prog)
{
	struct error e = { "" };
	struct policy *p = NULL;
	if (!path) {
		builtin_filter(prog);
		return 0;
	}
	int r = policy_load_file(path, &p, &e);
	if (r == 0) {
		/* No execveat rule: the launcher lets the launch's exec
		 * through itself (jail.c, let_exec_through). */
		struct policy_launch l = { .exec_fd = -1,
					   .sync_fd = JAIL_SYNC_FD };
		r = policy_compile(p, &l, prog, &e);
	}
	policy_free(p);
	if (r < 0) {
		log_error("policy: %s", e.msg);
		return r;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct broker_opts o = {
		.program = {
			.max_size = PROGRAM_DEFAULT_MAX_SIZE,
			.timeout_ms = PROGRAM_DEFAULT_TIMEOUT_MS,
			.cache_max = PROGRAM_DEFAULT_CACHE_MAX,
			.default_ttl = PROGRAM_DEFAULT_TTL,
		},
		.limits = {
			.memory = DEFAULT_MEMORY,
		},
		.stdin_relay = true,
	};
	broker_default_quotas(&o.quotas);
	bool cache_cmd = false;
	enum cli_cache_cmd cmd = CLI_CACHE_LIST;
	const char *spawn_from[16];
	const char *policy_path = NULL;
	/* The first option given that only the embedded broker honours. */
	const char *standalone_only = NULL;
	bool standalone = false;
	int c;

	log_init(argv[0]);
	/* Descriptors the caller left open (not close-on-exec) are its own
	 * business: none of them is passed on, to the fetch helper or to any
	 * program. The jail child and the helper close what they do not use
	 * as well; this keeps a stray out of every process started from
	 * here, whatever it is. (Best effort: before Linux 5.11, EINVAL.) */
	(void)syscall(SYS_close_range, STDERR_FILENO + 1, ~0U,
		      CLOSE_RANGE_CLOEXEC);
	/* '+': options end at the URL; what follows belongs to the program. */
	while ((c = getopt_long(argc, argv, "+C:m:nvqh", long_opts, NULL)) !=
	       -1) {
		switch (c) {
		case 'C':
			if (!standalone_only)
				standalone_only = "-C";
			o.program.cache_dir = optarg;
			break;
		case OPT_OFFLINE:
			o.program.offline = true;
			break;
		case OPT_REFRESH:
			o.program.refresh = true;
			break;
		case OPT_MAX_SIZE:
			if (!standalone_only)
				standalone_only = "--max-size";
			o.program.max_size = opt_size("--max-size", optarg);
			break;
		case OPT_TIMEOUT:
			if (!standalone_only)
				standalone_only = "--timeout";
			o.program.timeout_ms = opt_ms("--timeout", optarg);
			break;
		case OPT_TTL:
			if (!standalone_only)
				standalone_only = "--ttl";
			o.program.default_ttl =
				(int64_t)(opt_ms("--ttl", optarg) / 1000);
			break;
		case OPT_CACHE_MAX:
			if (!standalone_only)
				standalone_only = "--cache-max";
			o.program.cache_max = opt_size("--cache-max", optarg);
			break;
		case OPT_CACERT:
			if (!standalone_only)
				standalone_only = "--cacert";
			o.program.cacert = optarg;
			break;
		case OPT_CACHE_LIST:
			cache_cmd = true;
			cmd = CLI_CACHE_LIST;
			break;
		case OPT_CACHE_VERIFY:
			cache_cmd = true;
			cmd = CLI_CACHE_VERIFY;
			break;
		case OPT_CACHE_CLEAR:
			cache_cmd = true;
			cmd = CLI_CACHE_CLEAR;
			break;
		case 'm':
			o.limits.memory = opt_size("--memory", optarg);
			break;
		case OPT_CPU: {
			uint64_t ms = opt_ms("--cpu", optarg);
			/* RLIMIT_CPU counts whole seconds. */
			o.limits.cpu_seconds = (ms + 999) / 1000;
			break;
		}
		case OPT_TIME_LIMIT:
			o.wall_ms = opt_ms("--time-limit", optarg);
			break;
		case OPT_POLICY:
			if (!standalone_only)
				standalone_only = "--policy";
			policy_path = optarg;
			break;
		case OPT_RAW_CONSOLE:
			o.raw_console = true;
			break;
		case OPT_STANDALONE:
			standalone = true;
			break;
		case OPT_CRASH_URL:
			/* fakeosd's reports go where its operator says. */
			if (!standalone_only)
				standalone_only = "--crash-url";
			if (strncmp(optarg, "http://", 7) != 0 &&
			    strncmp(optarg, "https://", 8) != 0)
				usage_error("--crash-url: not an http(s) URL: "
					    "'%s'",
					    optarg);
			o.crash_url = optarg;
			break;
		case OPT_SPAWN_FROM:
			if (!standalone_only)
				standalone_only = "--spawn-from";
			if (o.n_spawn_from >= ARRAY_SIZE(spawn_from))
				usage_error("--spawn-from: at most %zu",
					    ARRAY_SIZE(spawn_from));
			if (!strstr(optarg, "://"))
				usage_error("--spawn-from: not a URL prefix: "
					    "'%s' (examples: https://h/apps/, "
					    "file:///srv/fakeos/)",
					    optarg);
			spawn_from[o.n_spawn_from++] = optarg;
			o.spawn_from = spawn_from;
			break;
		case OPT_MAX_PROGRAMS: {
			char *end;
			unsigned long n = strtoul(optarg, &end, 10);
			if (*optarg < '1' || *optarg > '9' || *end || n > 100000)
				usage_error("--max-programs: not a number from 1 "
					    "to 100000: '%s'",
					    optarg);
			o.quotas.programs = (unsigned)n;
			break;
		}
		case 'n':
			o.stdin_relay = false;
			break;
		case 'v':
			log_more_verbose();
			break;
		case 'q':
			log_level = LOG_QUIET;
			break;
		case OPT_VERSION:
			printf("fakeos-run %s\n", FAKEOS_VERSION);
			return 0;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			/* getopt has said what was wrong. */
			fputs("Try 'fakeos-run --help'.\n", stderr);
			return EXIT_LAUNCHER;
		}
	}

	if (cache_cmd) {
		if (optind != argc)
			usage_error("cache commands take no URL");
		int r = cli_cache_run(cmd, o.program.cache_dir);
		return r < 0 ? EXIT_LAUNCHER : r;
	}
	if (optind >= argc)
		usage_error("no URL given");
	if (o.limits.memory && o.limits.memory < (1ULL << 20))
		usage_error("--memory: %llu bytes is too small to start a "
			    "program (at least 1M)",
			    (unsigned long long)o.limits.memory);

	/* With fakeosd running, the run is the daemon's: the host's one
	 * broker, where programs of every run of this user find each
	 * other's names. Without its socket, the broker is this process. */
	if (!standalone) {
		struct error e = { "" };
		const char *path = client_socket_path();
		int sock = client_connect(path, &e);
		if (sock >= 0) {
			if (standalone_only) {
				close(sock);
				usage_error("%s: needs --standalone: fakeosd "
					    "runs this with the host's "
					    "settings",
					    standalone_only);
			}
			int code = client_run(sock, &o, argv[optind],
					      argv + optind);
			close(sock);
			return code;
		}
		if (sock != -ENOENT) {
			log_error("%s", e.msg);
			return EXIT_LAUNCHER;
		}
	}

	struct sock_fprog filter;
	if (load_filter(policy_path, &filter) < 0)
		return EXIT_CANNOT_RUN;
	o.filter = &filter;

	if (log_level >= LOG_VERBOSE) {
		struct jail_report jr;
		jail_probe(&jr);
		if (jr.landlock_abi > 0)
			log_info("landlock: ABI %d", jr.landlock_abi);
		else
			log_info("landlock: not available on this kernel; the "
				 "jail relies on the empty root and seccomp");
	}
	o.program.progress = isatty(STDERR_FILENO) && log_level >= LOG_NORMAL;

	cleanup_free char *crash_dir = NULL;
	if (o.crash_url) {
		struct error e = { "" };
		if (crash_default_dir(&crash_dir, &e) < 0) {
			log_error("--crash-url: %s", e.msg);
			return EXIT_LAUNCHER;
		}
		o.crash_dir = crash_dir;
	}
	int code = broker_run(&o, argv[optind], argv + optind);
	if (policy_path)
		policy_bpf_free(&filter);
	return code;
}
