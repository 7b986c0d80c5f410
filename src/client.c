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
	memcpy(sa.sun_path, path, strlen(path) + 1);
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

/* Sends the RUN. */
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

	struct iovec iov = { m, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	int err = errno;
	if (n != (ssize_t)len)
		return error_sys(e, n < 0 ? err : EIO, "sending the run to "
						       "fakeosd");
	return 0;
}

/* The run's console, as the daemon handed it over: this process copies
 * between it and its own stdin, stdout and stderr, so that nothing the
 * daemon writes can wait on a terminal or a pipe of the user's. */
struct console {
	int in; /* the programs' stdin: we write; -1 when closed */
	int out, err; /* their stdout and stderr: we read; -1 at EOF */
	bool relay_stdin;
	char buf[4096]; /* stdin bytes read ... */
	size_t len, off; /* ... and not yet written */
};

/* Copies what is there from fd to to; -1 at EOF or an error. */
static int drain(int fd, int to)
{
	char buf[16384];
	ssize_t n = read(fd, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return fd;
	if (n <= 0) {
		close(fd);
		return -1;
	}
	/* Our own stdout may block: that holds up only this run. */
	(void)write_full(to, buf, (size_t)n);
	return fd;
}

static void stdin_step(struct console *c, short in_ev, short out_ev)
{
	if (c->len == 0 && (in_ev & (POLLIN | POLLHUP | POLLERR))) {
		ssize_t n = read(STDIN_FILENO, c->buf, sizeof(c->buf));
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			/* End of our stdin: the programs read EOF. */
			c->relay_stdin = false;
			close(c->in);
			c->in = -1;
			return;
		}
		c->len = (size_t)n;
		c->off = 0;
	}
	if (c->len && (out_ev & (POLLOUT | POLLERR | POLLHUP))) {
		ssize_t n = write(c->in, c->buf + c->off, c->len - c->off);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n < 0) {
			/* Nobody reads it any more. */
			c->relay_stdin = false;
			close(c->in);
			c->in = -1;
			c->len = 0;
			return;
		}
		c->off += (size_t)n;
		if (c->off == c->len)
			c->len = c->off = 0;
	}
}

/* Takes the CONSOLE's three descriptors. */
static int take_console(const struct msghdr *mh, struct console *c)
{
	int fds[3];
	struct cmsghdr *cm = CMSG_FIRSTHDR(mh);
	if (!cm || cm->cmsg_level != SOL_SOCKET ||
	    cm->cmsg_type != SCM_RIGHTS ||
	    cm->cmsg_len != CMSG_LEN(sizeof(fds)))
		return -EPROTO;
	memcpy(fds, CMSG_DATA(cm), sizeof(fds));
	c->in = fds[0];
	c->out = fds[1];
	c->err = fds[2];
	(void)fcntl(c->in, F_SETFL, O_NONBLOCK);
	if (!c->relay_stdin) {
		close(c->in);
		c->in = -1;
	}
	return 0;
}

int client_run(int sock, const struct broker_opts *o, const char *url,
	       char *const *argv)
{
	struct error e = { "" };
	struct console con = { .in = -1, .out = -1, .err = -1 };
	int status = -1;
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
	con.relay_stdin = o->stdin_relay && fcntl(STDIN_FILENO, F_GETFD) >= 0;
	const char *why = NULL;
	/* Until the EXIT, and then until the daemon's ends of the console
	 * are closed (everything the programs wrote is read). */
	while (sock >= 0 || con.out >= 0 || con.err >= 0) {
		struct pollfd p[6] = {
			{ sock, POLLIN, 0 },	   { sfd, POLLIN, 0 },
			{ con.out, POLLIN, 0 },	   { con.err, POLLIN, 0 },
			{ -1, POLLIN, 0 },	   { -1, POLLOUT, 0 },
		};
		if (con.in >= 0 && con.relay_stdin) {
			if (con.len == 0)
				p[4].fd = STDIN_FILENO;
			else
				p[5].fd = con.in;
		}
		if (poll(p, 6, -1) < 0) {
			if (errno == EINTR)
				continue;
			why = strerror(errno);
			break;
		}
		if (p[1].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == sizeof(si) &&
			    sock >= 0) {
				struct dproto_signal m;
				memset(&m, 0, sizeof(m));
				dproto_hdr_init(&m.hdr, DPROTO_SIGNAL,
						sizeof(m));
				m.sig = (int32_t)si.ssi_signo;
				(void)send(sock, &m, sizeof(m), MSG_NOSIGNAL);
			}
		}
		if (p[2].revents)
			con.out = drain(con.out, STDOUT_FILENO);
		if (p[3].revents)
			con.err = drain(con.err, STDERR_FILENO);
		if (con.in >= 0 && (p[4].revents || p[5].revents))
			stdin_step(&con, p[4].revents, p[5].revents);
		if (sock < 0 || !(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		union {
			struct dproto_hdr h;
			struct dproto_exit exit;
			unsigned char bytes[DPROTO_MAX];
		} *msg = xmalloc(sizeof(*msg));
		union {
			struct cmsghdr h;
			char space[CMSG_SPACE(3 * sizeof(int))];
		} ctl;
		struct iovec iov = { msg, sizeof(*msg) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = ctl.space,
				     .msg_controllen = sizeof(ctl.space) };
		ssize_t n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
		/* The daemon sends EXIT and closes; if a message of ours
		 * (a second signal: timeout(1) sends one to the child and one
		 * to its group) was still unread there, the kernel reports
		 * ECONNRESET once, before the EXIT it queued: read on. */
		if (n < 0 && errno == ECONNRESET)
			n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
		why = "the connection ended";
		if (n > 0 && dproto_check(msg, (size_t)n, 0, &why) == 0 &&
		    msg->h.type == DPROTO_CONSOLE && con.out < 0 &&
		    take_console(&mh, &con) == 0) {
			why = NULL;
		} else if (n > 0 && why && msg->h.type == DPROTO_EXIT &&
			   dproto_check(msg, (size_t)n, 0, &why) == 0) {
			status = msg->exit.status;
			why = NULL;
			close(sock);
			sock = -1;
		} else {
			if (n < 0)
				why = strerror(errno);
			free(msg);
			break;
		}
		free(msg);
	}
	for (int *fd = (int[]){ con.in, con.out, con.err, -2 }; *fd != -2;
	     fd++)
		if (*fd >= 0)
			close(*fd);
	close(sfd);
	if (status >= 0)
		return status;
	/* The daemon went away (killed, restarted) before the run ended;
	 * its programs went with it. */
	log_error("%s: fakeosd ended before the program did (%s)", url,
		  why ? why : "the connection ended");
	return EXIT_LAUNCHER;
}

int client_list(int sock, uint32_t what, void (*fn)(const char *line,
						    void *arg),
		void *arg)
{
	struct dproto_list q;
	memset(&q, 0, sizeof(q));
	dproto_hdr_init(&q.hdr, DPROTO_LIST, sizeof(q));
	q.what = what;
	if (send(sock, &q, sizeof(q), MSG_NOSIGNAL) < 0)
		return -errno;
	cleanup_free union {
		struct dproto_list_reply r;
		unsigned char b[DPROTO_MAX + 1];
	} *m = xmalloc(sizeof(*m));
	for (;;) {
		const char *why;
		ssize_t n = recv(sock, m, DPROTO_MAX, 0);
		if (n < 0)
			return -errno;
		if (n == 0 || dproto_check(m, (size_t)n, 0, &why) < 0 ||
		    m->r.hdr.type != DPROTO_LIST_REPLY)
			return -EPROTO;
		/* Whole lines, each ending in a newline (dproto.h). */
		char *t = m->r.text, *end = t + m->r.text_len;
		while (t < end) {
			char *nl = memchr(t, '\n', (size_t)(end - t));
			if (!nl)
				break;
			*nl = '\0';
			fn(t, arg);
			t = nl + 1;
		}
		if (m->r.last)
			return 0;
	}
}
