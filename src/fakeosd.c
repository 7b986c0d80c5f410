/* fakeosd.c — fakeosd, the host's broker (daemon.h): runs in the
 * foreground, logs to stderr, serves fakeos-run clients on its socket
 * until SIGTERM, then ends their runs in order. See fakeosd(8).
 *
 * Exit status: 0 after an orderly stop; 1 when it could not start (the
 * message says why); 125 for bad usage. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "builtin_filter.h"
#include "config.h"
#include "crash_spool.h"
#include "daemon.h"
#include "log.h"

#define DEFAULT_MEMORY (256ULL << 20)

static const char usage_text[] =
	"usage: fakeosd [OPTIONS]\n"
	"\n"
	"The host's fakeOS broker: fakeos-run hands its runs to it.\n"
	"\n"
	"      --config-dir DIR  read the settings from DIR (" CONFIG_DIR ")\n"
	"      --socket PATH     listen on PATH (" DAEMON_SOCKET ")\n"
	"  -C, --cache-dir DIR   the system cache (/var/cache/fakeos)\n"
	"      --spool-dir DIR   crash reports wait in DIR (" CRASH_DAEMON_DIR ")\n"
	"  -v, --verbose         log each run; twice for every step\n"
	"  -q, --quiet           log errors only\n"
	"      --version         print the version and exit\n"
	"  -h, --help            print this help and exit\n";

enum { OPT_SOCKET = 256, OPT_CONFIG_DIR, OPT_SPOOL_DIR, OPT_VERSION };

static const struct option long_opts[] = {
	{ "socket", required_argument, NULL, OPT_SOCKET },
	{ "cache-dir", required_argument, NULL, 'C' },
	{ "config-dir", required_argument, NULL, OPT_CONFIG_DIR },
	{ "spool-dir", required_argument, NULL, OPT_SPOOL_DIR },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static NORETURN void usage_error(const char *what, const char *arg)
{
	fprintf(stderr, "fakeosd: %s: '%s'\nTry 'fakeosd --help'.\n", what,
		arg);
	exit(125);
}

int main(int argc, char **argv)
{
	struct daemon_opts o = {
		.socket_path = DAEMON_SOCKET,
		.config_dir = CONFIG_DIR,
		.spool_dir = CRASH_DAEMON_DIR,
		.program = {
			.cache_dir = "/var/cache/fakeos",
			.max_size = PROGRAM_DEFAULT_MAX_SIZE,
			.timeout_ms = PROGRAM_DEFAULT_TIMEOUT_MS,
			.default_ttl = PROGRAM_DEFAULT_TTL,
		},
		.defaults = { .limits = { .memory = DEFAULT_MEMORY } },
	};
	struct sock_fprog filter;
	int c;

	log_init(argv[0]);
	/* Its stderr is read by journald (or by whoever runs it in the
	 * foreground): each line carries its priority. */
	log_use_journal(true);
	broker_default_quotas(&o.defaults.quotas);
	while ((c = getopt_long(argc, argv, "C:vqh", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_SOCKET:
			o.socket_path = optarg;
			break;
		case 'C':
			o.program.cache_dir = optarg;
			break;
		case OPT_CONFIG_DIR:
			o.config_dir = optarg;
			break;
		case OPT_SPOOL_DIR:
			o.spool_dir = optarg;
			break;
		case 'v':
			log_more_verbose();
			break;
		case 'q':
			log_level = LOG_QUIET;
			break;
		case OPT_VERSION:
			printf("fakeosd %s\n", FAKEOS_VERSION);
			return 0;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fputs("Try 'fakeosd --help'.\n", stderr);
			return 125;
		}
	}
	if (optind != argc)
		usage_error("unexpected argument", argv[optind]);
	builtin_filter(&filter);
	o.defaults.filter = &filter;

	struct daemon *d;
	struct error e = { "" };
	if (daemon_open(&o, &d, &e) < 0) {
		log_error("%s", e.msg);
		return 1;
	}
	log_info("listening on %s", o.socket_path);
	int r = daemon_serve(d);
	daemon_close(d);
	if (r < 0) {
		log_error("event loop: %s", strerror(-r));
		return 1;
	}
	log_info("stopped");
	return 0;
}
