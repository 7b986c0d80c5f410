/* dclient — a hostile client of fakeosd, for test_daemon.sh: it connects
 * to the daemon's socket and sends one thing fakeos-run never would, then
 * reports what the daemon did: "closed" when the daemon ended the
 * connection without running anything (the refusal the daemon documents),
 * "exit N" when it answered a run, "open" when the connection was still
 * there after 2 s.
 *
 *   dclient SOCKET CASE [URL]
 *
 * CASEs: short (3 bytes), bad-version, huge-len (header says more than
 * sent), unknown-type, exit-from-client, run-with-fds, run-four-fds,
 * run-bad-flags, run-unterminated, run-argc-lie, run-trailing,
 * run-empty-url, signal-first, signal-bad, signal-with-fd, two-runs
 * (two well-formed runs of URL on one connection), garbage (4096 random
 * bytes), empty (a zero-length datagram). Exit 0 when it could tell, 2
 * when it could not even connect. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "dproto.h"

static int sock;

static void send_with_fds(const void *buf, size_t len, const int *fds,
			  int nfds)
{
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(4 * sizeof(int))];
	} ctl;
	memset(&ctl, 0, sizeof(ctl));
	struct iovec iov = { (void *)buf, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (nfds) {
		mh.msg_control = ctl.space;
		mh.msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int));
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, (size_t)nfds * sizeof(int));
	}
	if (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0)
		printf("send: %s\n", strerror(errno));
}

/* A well-formed RUN of url, len bytes in *out. */
static struct dproto_run *make_run(const char *url, size_t *out)
{
	size_t strings = strlen(url) + 1;
	size_t len = sizeof(struct dproto_run) + strings;
	struct dproto_run *m = calloc(1, len);
	dproto_hdr_init(&m->hdr, DPROTO_RUN, (uint32_t)len);
	m->memory = 64ULL << 20;
	m->strings_len = (uint32_t)strings;
	memcpy(m->strings, url, strings);
	*out = len;
	return m;
}

static const int console[3] = { 0, 1, 2 };

/* What the daemon does next. */
static void outcome(void)
{
	for (;;) {
		struct pollfd p = { sock, POLLIN, 0 };
		if (poll(&p, 1, 2000) == 0) {
			printf("open\n");
			return;
		}
		union {
			struct dproto_hdr h;
			struct dproto_exit e;
			unsigned char b[DPROTO_MAX];
		} r;
		union {
			struct cmsghdr h;
			char space[CMSG_SPACE(4 * sizeof(int))];
		} ctl;
		struct iovec iov = { &r, sizeof(r) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = ctl.space,
				     .msg_controllen = sizeof(ctl.space) };
		ssize_t got = recvmsg(sock, &mh, 0);
		/* A run's console: not what this waits for. */
		for (struct cmsghdr *cm = got > 0 ? CMSG_FIRSTHDR(&mh) : NULL;
		     cm; cm = CMSG_NXTHDR(&mh, cm))
			for (size_t i = 0;
			     i < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
				int fd;
				memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int),
				       sizeof(int));
				close(fd);
			}
		if (got >= (ssize_t)sizeof(r.h) && r.h.type == DPROTO_CONSOLE)
			continue;
		if (got == (ssize_t)sizeof(r.e) && r.h.type == DPROTO_EXIT)
			printf("exit %d\n", r.e.status);
		else
			printf("closed\n");
		return;
	}
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: dclient SOCKET CASE [URL]\n");
		return 2;
	}
	const char *c = argv[2];
	const char *url = argc > 3 ? argv[3] : "file:///nonexistent";
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", argv[1]);
	sock = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	if (sock < 0 || connect(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("dclient: connect");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	size_t len;
	struct dproto_run *m = make_run(url, &len);
	static unsigned char buf[DPROTO_MAX + 16];

	if (!strcmp(c, "short")) {
		send_with_fds("abc", 3, NULL, 0);
	} else if (!strcmp(c, "empty")) {
		send_with_fds("", 0, NULL, 0);
	} else if (!strcmp(c, "bad-version")) {
		m->hdr.version = DPROTO_VERSION + 1;
		send_with_fds(m, len, NULL, 0);
	} else if (!strcmp(c, "huge-len")) {
		m->hdr.len = (uint32_t)len + 100;
		send_with_fds(m, len, NULL, 0);
	} else if (!strcmp(c, "unknown-type")) {
		m->hdr.type = 99;
		send_with_fds(m, len, NULL, 0);
	} else if (!strcmp(c, "exit-from-client")) {
		struct dproto_exit e = { .status = 0 };
		dproto_hdr_init(&e.hdr, DPROTO_EXIT, sizeof(e));
		send_with_fds(&e, sizeof(e), NULL, 0);
	} else if (!strcmp(c, "run-with-fds")) {
		send_with_fds(m, len, console, 3);
	} else if (!strcmp(c, "run-four-fds")) {
		int fds[4] = { 0, 1, 2, 2 };
		send_with_fds(m, len, fds, 4);
	} else if (!strcmp(c, "run-bad-flags")) {
		m->flags = 0x80000000u;
		send_with_fds(m, len, NULL, 0);
	} else if (!strcmp(c, "run-unterminated")) {
		m->strings[m->strings_len - 1] = 'x';
		send_with_fds(m, len, NULL, 0);
	} else if (!strcmp(c, "run-argc-lie")) {
		m->argc = 5;
		send_with_fds(m, len, NULL, 0);
	} else if (!strcmp(c, "run-trailing")) {
		size_t l2 = len + 4;
		struct dproto_run *m2 = calloc(1, l2);
		memcpy(m2, m, len);
		m2->hdr.len = (uint32_t)l2;
		m2->strings_len += 4;
		send_with_fds(m2, l2, NULL, 0);
	} else if (!strcmp(c, "run-empty-url")) {
		m->strings[0] = '\0';
		send_with_fds(m, len, NULL, 0);
	} else if (!strcmp(c, "signal-first")) {
		struct dproto_signal s = { .sig = SIGINT };
		dproto_hdr_init(&s.hdr, DPROTO_SIGNAL, sizeof(s));
		send_with_fds(&s, sizeof(s), NULL, 0);
	} else if (!strcmp(c, "signal-bad")) {
		send_with_fds(m, len, NULL, 0);
		struct dproto_signal s = { .sig = SIGKILL };
		dproto_hdr_init(&s.hdr, DPROTO_SIGNAL, sizeof(s));
		send_with_fds(&s, sizeof(s), NULL, 0);
	} else if (!strcmp(c, "signal-with-fd")) {
		send_with_fds(m, len, NULL, 0);
		struct dproto_signal s = { .sig = SIGINT };
		dproto_hdr_init(&s.hdr, DPROTO_SIGNAL, sizeof(s));
		send_with_fds(&s, sizeof(s), console, 1);
	} else if (!strcmp(c, "two-runs")) {
		send_with_fds(m, len, NULL, 0);
		send_with_fds(m, len, NULL, 0);
	} else if (!strcmp(c, "garbage")) {
		if (getrandom(buf, 4096, 0) != 4096)
			return 2;
		send_with_fds(buf, 4096, NULL, 0);
	} else if (!strcmp(c, "oversized")) {
		memset(buf, 'x', sizeof(buf));
		send_with_fds(buf, sizeof(buf), NULL, 0);
	} else {
		fprintf(stderr, "dclient: unknown case %s\n", c);
		return 2;
	}
	outcome();
	return 0;
}
