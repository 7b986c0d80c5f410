/* fakeosctl.c — fakeosctl, fakeosd's control tool (fakeosctl(8)): lists
 * programs, services, names and crash reports, shows a crash report, and
 * (as root) starts, stops and restarts services and has the settings
 * read again. One request per connection on the daemon's socket
 * (dproto.h, LIST, CTL and CRASH); the daemon decides what
 * the caller may do from its uid, never from anything sent here.
 *
 * Exit status: 0 done; 1 the daemon could not do it (no such service, a
 * settings file that does not load, no crash report of yours by that id); 2 refused: only root may do that;
 * 3 fakeosd cannot be reached, or answered with something malformed;
 * 125 bad usage. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon.h"
#include "dproto.h"

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_REFUSED = 2, EXIT_NO_DAEMON = 3,
       EXIT_USAGE = 125 };

static const char usage_text[] =
	"usage: fakeosctl [--socket PATH] COMMAND\n"
	"\n"
	"  list              programs: yours, or every account's as root\n"
	"  services          the services, their state and restarts\n"
	"  names             names your programs serve, and published ones\n"
	"  crashes           crash reports, pending and sent: yours, or every\n"
	"                    account's as root\n"
	"  crash ID          one crash report, its JSON\n"
	"  start SERVICE     start a service (root)\n"
	"  stop SERVICE      stop a service until started or reloaded (root)\n"
	"  restart SERVICE   stop it and start it again (root)\n"
	"  reload            read /etc/fakeos again, as SIGHUP (root)\n";

static int usage(const char *why)
{
	fprintf(stderr, "fakeosctl: %s\nTry 'fakeosctl --help'.\n", why);
	return EXIT_USAGE;
}

static int connect_daemon(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "fakeosctl: %s: path too long\n", path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "fakeosctl: cannot reach fakeosd at %s: %s\n",
			path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Receives one checked datagram of the daemon's into buf; its type, or
 * -1 with the reason printed. */
static int receive(int fd, void *buf, size_t size)
{
	ssize_t n = recv(fd, buf, size, 0);
	const char *why;
	if (n <= 0) {
		fprintf(stderr, "fakeosctl: fakeosd closed the connection "
				"without an answer\n");
		return -1;
	}
	if (dproto_check(buf, (size_t)n, 0, &why) < 0) {
		fprintf(stderr, "fakeosctl: malformed answer from fakeosd: "
				"%s\n",
			why);
		return -1;
	}
	return ((struct dproto_hdr *)buf)->type;
}

static int do_list(int fd, uint32_t what)
{
	struct dproto_list q;
	memset(&q, 0, sizeof(q));
	dproto_hdr_init(&q.hdr, DPROTO_LIST, sizeof(q));
	q.what = what;
	if (send(fd, &q, sizeof(q), MSG_NOSIGNAL) < 0) {
		fprintf(stderr, "fakeosctl: send: %s\n", strerror(errno));
		return EXIT_NO_DAEMON;
	}
	static union {
		struct dproto_list_reply r;
		unsigned char b[DPROTO_MAX];
	} m;
	for (;;) {
		if (receive(fd, &m, sizeof(m)) != DPROTO_LIST_REPLY)
			return EXIT_NO_DAEMON;
		if (fwrite(m.r.text, 1, m.r.text_len, stdout) != m.r.text_len)
			return 1;
		if (m.r.last)
			return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAILED;
	}
}

static int do_ctl(int fd, uint32_t op, const char *name)
{
	struct dproto_ctl q;
	memset(&q, 0, sizeof(q));
	dproto_hdr_init(&q.hdr, DPROTO_CTL, sizeof(q));
	q.op = op;
	if (name) {
		if (strlen(name) >= sizeof(q.name))
			return usage("a service's name is at most 63 bytes");
		memcpy(q.name, name, strlen(name) + 1);
	}
	const char *why;
	if (dproto_check(&q, sizeof(q), 1, &why) < 0)
		return usage("not a service name: letters, digits, '.', '_' "
			     "and '-'");
	if (send(fd, &q, sizeof(q), MSG_NOSIGNAL) < 0) {
		fprintf(stderr, "fakeosctl: send: %s\n", strerror(errno));
		return EXIT_NO_DAEMON;
	}
	struct dproto_ctl_reply r;
	if (receive(fd, &r, sizeof(r)) != DPROTO_CTL_REPLY)
		return EXIT_NO_DAEMON;
	if (r.status == 0) {
		printf("%s\n", r.msg);
		return EXIT_OK;
	}
	fprintf(stderr, "fakeosctl: %s\n", r.msg);
	return r.status == -EPERM ? EXIT_REFUSED : EXIT_FAILED;
}

static int do_crash(int fd, const char *arg)
{
	struct dproto_crash q;
	char *end;
	errno = 0;
	unsigned long id = strtoul(arg, &end, 10);
	if (arg[0] < '0' || arg[0] > '9' || *end || errno || id == 0 ||
	    id > UINT32_MAX)
		return usage("a crash report's ID is a number from 1 "
			     "(fakeosctl crashes lists them)");
	memset(&q, 0, sizeof(q));
	dproto_hdr_init(&q.hdr, DPROTO_CRASH, sizeof(q));
	q.id = (uint32_t)id;
	if (send(fd, &q, sizeof(q), MSG_NOSIGNAL) < 0) {
		fprintf(stderr, "fakeosctl: send: %s\n", strerror(errno));
		return EXIT_NO_DAEMON;
	}
	static union {
		struct dproto_crash_reply r;
		unsigned char b[DPROTO_MAX];
	} m;
	for (;;) {
		if (receive(fd, &m, sizeof(m)) != DPROTO_CRASH_REPLY)
			return EXIT_NO_DAEMON;
		if (m.r.status < 0) {
			/* Another account's report reads as a missing one. */
			fprintf(stderr, "fakeosctl: no crash report %lu\n", id);
			return EXIT_FAILED;
		}
		if (fwrite(m.r.text, 1, m.r.text_len, stdout) != m.r.text_len)
			return EXIT_FAILED;
		if (m.r.last)
			return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAILED;
	}
}

int main(int argc, char **argv)
{
	const char *path = getenv("FAKEOS_DAEMON_SOCKET");
	if (!path || !*path)
		path = DAEMON_SOCKET;
	int i = 1;
	if (i < argc && (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))) {
		fputs(usage_text, stdout);
		return EXIT_OK;
	}
	if (i < argc && !strcmp(argv[i], "--version")) {
		printf("fakeosctl %s\n", FAKEOS_VERSION);
		return EXIT_OK;
	}
	if (i + 1 < argc && !strcmp(argv[i], "--socket")) {
		path = argv[i + 1];
		i += 2;
	}
	if (i >= argc)
		return usage("a command is needed");
	const char *cmd = argv[i];
	const char *name = i + 1 < argc ? argv[i + 1] : NULL;
	static const struct {
		const char *cmd;
		uint32_t code;
		int kind; /* a listing, a CTL, or CRASH */
		bool named;
	} cmds[] = {
		{ "list", DPROTO_LIST_PROGRAMS, DPROTO_LIST, false },
		{ "services", DPROTO_LIST_SERVICES, DPROTO_LIST, false },
		{ "names", DPROTO_LIST_NAMES, DPROTO_LIST, false },
		{ "crashes", DPROTO_LIST_CRASHES, DPROTO_LIST, false },
		{ "crash", 0, DPROTO_CRASH, true },
		{ "start", DPROTO_CTL_START, DPROTO_CTL, true },
		{ "stop", DPROTO_CTL_STOP, DPROTO_CTL, true },
		{ "restart", DPROTO_CTL_RESTART, DPROTO_CTL, true },
		{ "reload", DPROTO_CTL_RELOAD, DPROTO_CTL, false },
	};
	for (size_t k = 0; k < sizeof(cmds) / sizeof(cmds[0]); k++) {
		if (strcmp(cmd, cmds[k].cmd) != 0)
			continue;
		if (argc - i != (cmds[k].named ? 2 : 1))
			return usage(!cmds[k].named ? "this command takes no "
						      "argument"
				     : cmds[k].kind == DPROTO_CRASH
					     ? "this command takes one ID"
					     : "this command takes one "
					       "SERVICE");
		int fd = connect_daemon(path);
		if (fd < 0)
			return EXIT_NO_DAEMON;
		int r = cmds[k].kind == DPROTO_CTL
				? do_ctl(fd, cmds[k].code,
					 cmds[k].named ? name : NULL)
			: cmds[k].kind == DPROTO_CRASH
				? do_crash(fd, name)
				: do_list(fd, cmds[k].code);
		close(fd);
		return r;
	}
	return usage("unknown command");
}
