/* client.c — see client.h. */
#include "client.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "daemon.h"
#include "dproto.h"
#include "log.h"

const char *client_socket_path(void)
{
	const char *p = getenv("FAKEOS_DAEMON_SOCKET");
	return p && *p ? p : DAEMON_SOCKET;
}

int client_connect(const char *path, struct error *e)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path))
		return error_set(e, ENAMETOOLONG, "%s: path too long", path);
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return error_sys(e, errno, "socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return fd;
	int err = errno;
	close(fd);
	/* No socket there, or one in a directory this user may not enter
	 * (a root launcher's /run/fakeos is 0700): no daemon this user can
	 * reach, so the run is its own. */
	if (err == ENOENT || err == EACCES || err == ENOTDIR)
		return -ENOENT;
	return error_sys(e, err, "fakeosd's socket %s (is fakeosd running? "
				 "--standalone runs without it)",
			 path);
}

/* Sends the RUN with the console attached. */
static int send_run(int sock, const struct broker_opts *o, const char *url,
		    char *const *argv, struct error *e)
{
	size_t strings = strlen(url) + 1, argc = 0;
	for (size_t i = 1; argv[i]; i++, argc++)
		strings += strlen(argv[i]) + 1;
	if (argc > DPROTO_ARGC_MAX ||
	    sizeof(struct dproto_run) + strings > DPROTO_MAX)
		return error_set(e, E2BIG, "the arguments are more than "
					   "fakeosd takes (%d of them, %d "
					   "bytes in all); --standalone has "
					   "no such limit",
				 DPROTO_ARGC_MAX, DPROTO_MAX);
	size_t len = sizeof(struct dproto_run) + strings;
	cleanup_free struct dproto_run *m = xcalloc(1, len);
	dproto_hdr_init(&m->hdr, DPROTO_RUN, (uint32_t)len);
	m->flags = (o->stdin_relay ? DPROTO_RUN_STDIN : 0) |
		   (o->raw_console ? DPROTO_RUN_RAW_CONSOLE : 0) |
		   (o->program.offline ? DPROTO_RUN_OFFLINE : 0) |
		   (o->program.refresh ? DPROTO_RUN_REFRESH : 0);
	m->log_level = log_level < -1 ? -1 : log_level > 2 ? 2 : log_level;
	m->memory = o->limits.memory;
	m->cpu_seconds = o->limits.cpu_seconds;
	m->wall_ms = o->wall_ms;
	m->max_programs = o->quotas.programs;
	m->argc = (uint32_t)argc;
	m->strings_len = (uint32_t)strings;
	char *s = m->strings;
	s = stpcpy(s, url) + 1;
	for (size_t i = 1; argv[i]; i++)
		s = stpcpy(s, argv[i]) + 1;

	/* The console goes as it is. A closed descriptor is sent as
	 * /dev/null, which is what a standalone run would read or lose. */
	int fds[3];
	for (int i = 0; i < 3; i++) {
		fds[i] = i;
		if (fcntl(i, F_GETFD) < 0)
			fds[i] = open("/dev/null", (i ? O_WRONLY : O_RDONLY) |
							   O_CLOEXEC);
	}
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(fds))];
	} ctl;
	memset(&ctl, 0, sizeof(ctl));
	struct iovec iov = { m, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = ctl.space,
			     .msg_controllen = sizeof(ctl.space) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(cm), fds, sizeof(fds));
	ssize_t n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	int err = errno;
	for (int i = 0; i < 3; i++)
		if (fds[i] != i && fds[i] >= 0)
			close(fds[i]);
	if (n != (ssize_t)len)
		return error_sys(e, n < 0 ? err : EIO, "sending the run to "
						       "fakeosd");
	return 0;
}

int client_run(int sock, const struct broker_opts *o, const char *url,
	       char *const *argv)
{
	struct error e = { "" };
	/* The signals that end a standalone run end this one: the daemon
	 * ends the programs, and the status says which signal it was. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	int sfd = -1;
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0 ||
	    (sfd = signalfd(-1, &set, SFD_CLOEXEC)) < 0) {
		log_error("%s: signalfd: %s", url, strerror(errno));
		return EXIT_LAUNCHER;
	}
	if (send_run(sock, o, url, argv, &e) < 0) {
		log_error("%s: %s", url, e.msg);
		close(sfd);
		return EXIT_LAUNCHER;
	}
	for (;;) {
		struct pollfd p[2] = { { sock, POLLIN, 0 }, { sfd, POLLIN, 0 } };
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_error("%s: poll: %s", url, strerror(errno));
			break;
		}
		if (p[1].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				struct dproto_signal m;
				memset(&m, 0, sizeof(m));
				dproto_hdr_init(&m.hdr, DPROTO_SIGNAL,
						sizeof(m));
				m.sig = (int32_t)si.ssi_signo;
				(void)send(sock, &m, sizeof(m), MSG_NOSIGNAL);
			}
		}
		if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		union {
			struct dproto_hdr h;
			struct dproto_exit exit;
			unsigned char bytes[DPROTO_MAX];
		} *msg = xmalloc(sizeof(*msg));
		ssize_t n = recv(sock, msg, sizeof(*msg), 0);
		const char *why = "the connection ended";
		if (n > 0 && dproto_check(msg, (size_t)n, 0, &why) == 0) {
			int status = msg->exit.status;
			free(msg);
			close(sfd);
			return status;
		}
		free(msg);
		/* The daemon went away (killed, restarted) before the run
		 * ended; its programs went with it. */
		log_error("%s: fakeosd ended before the program did (%s)", url,
			  n < 0 ? strerror(errno) : why);
		break;
	}
	close(sfd);
	return EXIT_LAUNCHER;
}
