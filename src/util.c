/* util.c — see util.h. */
#include "util.h"

#include <fcntl.h>
#include <signal.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "log.h"

/* format(printf, 4, 0): callers' formats are checked at their call sites,
 * and clang's -Wformat-nonliteral accepts fmt as a checked format. */
static int error_vset(struct error *e, int err, bool with_strerror,
		      const char *fmt, va_list ap) PRINTF(4, 0);
static int error_vset(struct error *e, int err, bool with_strerror,
		      const char *fmt, va_list ap)
{
	if (err < 0)
		err = -err;
	if (err == 0)
		err = EINVAL;
	if (e) {
		int n = vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		if (with_strerror && n >= 0 && (size_t)n < sizeof(e->msg))
			snprintf(e->msg + n, sizeof(e->msg) - (size_t)n, ": %s",
				 strerror(err));
	}
	return -err;
}

int error_set(struct error *e, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = error_vset(e, err, false, fmt, ap);
	va_end(ap);
	return r;
}

int error_sys(struct error *e, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = error_vset(e, err, true, fmt, ap);
	va_end(ap);
	return r;
}

void error_prefix(struct error *e, const char *fmt, ...)
{
	char prefix[256];
	char old[sizeof(e->msg)];
	va_list ap;

	if (!e)
		return;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	/* Truncation is fine here: the start of the message says the most. */
	memcpy(old, e->msg, sizeof(old));
	size_t n = strnlen(prefix, sizeof(prefix) - 1);
	memcpy(e->msg, prefix, n);
	size_t m = strnlen(old, sizeof(e->msg) - 1 - n);
	memcpy(e->msg + n, old, m);
	e->msg[n + m] = '\0';
}

static NORETURN void out_of_memory(size_t n)
{
	log_fatal("out of memory (allocating %zu bytes)", n);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		out_of_memory(n);
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		out_of_memory(n * size);
	return p;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);
	if (!p)
		out_of_memory(strlen(s) + 1);
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	char *p;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (n < 0)
		out_of_memory(0);
	return p;
}

int write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int read_full(int fd, void *buf, size_t len)
{
	char *p = buf;
	while (len > 0) {
		ssize_t n = read(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int read_text(int dirfd, const char *path, char *buf, size_t n)
{
	buf[0] = '\0';
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t len = 0;
	int r = 0;
	while (len < n - 1) {
		ssize_t got = read(fd, buf + len, n - 1 - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			r = -errno;
			break;
		}
		if (got == 0)
			break;
		len += (size_t)got;
	}
	close(fd);
	buf[len] = '\0';
	return r;
}

int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned shift = 0;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno)
		return -ERANGE;
	switch (*end) {
	case '\0':
		break;
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	default:
		return -EINVAL;
	}
	/* Accept "64M", "64MB", "64MiB". */
	if (shift && (*end == 'i' || *end == 'I'))
		end++;
	if (shift && (*end == 'b' || *end == 'B'))
		end++;
	if (*end != '\0')
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = (uint64_t)v << shift;
	return 0;
}

int parse_seconds_ms(const char *s, uint64_t *out_ms)
{
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || *end != '\0' || v < 0 || v > 1e9)
		return -EINVAL;
	*out_ms = (uint64_t)(v * 1000.0 + 0.5);
	return 0;
}

void hex_encode(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int hex_decode(const char *in, uint8_t *out, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		int hi = hex_value(in[2 * i]);
		if (hi < 0)
			return -EINVAL;
		int lo = hex_value(in[2 * i + 1]);
		if (lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return in[2 * len] == '\0' ? 0 : -EINVAL;
}

uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int64_t now_unix(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

/* sigabbrev_np is glibc's; the launcher is built with musl (Makefile). */
const char *signal_name(int sig)
{
	static const char *const names[] = {
		[SIGHUP] = "SIGHUP",	 [SIGINT] = "SIGINT",
		[SIGQUIT] = "SIGQUIT",	 [SIGILL] = "SIGILL",
		[SIGTRAP] = "SIGTRAP",	 [SIGABRT] = "SIGABRT",
		[SIGBUS] = "SIGBUS",	 [SIGFPE] = "SIGFPE",
		[SIGKILL] = "SIGKILL",	 [SIGUSR1] = "SIGUSR1",
		[SIGSEGV] = "SIGSEGV",	 [SIGUSR2] = "SIGUSR2",
		[SIGPIPE] = "SIGPIPE",	 [SIGALRM] = "SIGALRM",
		[SIGTERM] = "SIGTERM",	 [SIGSTKFLT] = "SIGSTKFLT",
		[SIGCHLD] = "SIGCHLD",	 [SIGCONT] = "SIGCONT",
		[SIGSTOP] = "SIGSTOP",	 [SIGTSTP] = "SIGTSTP",
		[SIGTTIN] = "SIGTTIN",	 [SIGTTOU] = "SIGTTOU",
		[SIGURG] = "SIGURG",	 [SIGXCPU] = "SIGXCPU",
		[SIGXFSZ] = "SIGXFSZ",	 [SIGVTALRM] = "SIGVTALRM",
		[SIGPROF] = "SIGPROF",	 [SIGWINCH] = "SIGWINCH",
		[SIGIO] = "SIGIO",	 [SIGPWR] = "SIGPWR",
		[SIGSYS] = "SIGSYS",
	};
	static char buf[32];
	if (sig > 0 && (size_t)sig < ARRAY_SIZE(names) && names[sig])
		return names[sig];
	snprintf(buf, sizeof(buf), "signal %d", sig);
	return buf;
}

ssize_t send_with_fds(int sock, const void *buf, size_t len, const int *fds,
		      unsigned nfds)
{
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(FDS_MAX * sizeof(int))];
	} ctl;
	struct iovec iov = { (void *)buf, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (nfds > FDS_MAX) {
		errno = EINVAL;
		return -1;
	}
	if (nfds) {
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.space;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, nfds * sizeof(int));
	}
	return sendmsg(sock, &mh, MSG_NOSIGNAL);
}

ssize_t recv_with_fds(int sock, void *buf, size_t len, int *fds,
		      unsigned nfds)
{
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(FDS_MAX * sizeof(int))];
	} ctl;
	struct iovec iov = { buf, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = ctl.space,
			     .msg_controllen = sizeof(ctl.space) };
	for (unsigned i = 0; i < nfds; i++)
		fds[i] = -1;
	ssize_t n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	if (n < 0)
		return n;
	/* One SCM_RIGHTS header is all the buffer has room for: a second
	 * would be cut (MSG_CTRUNC), and the kernel closes what it cuts. */
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	if (!cm || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS ||
	    cm->cmsg_len < CMSG_LEN(0))
		return n;
	size_t got = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
	int in[FDS_MAX];
	if (got > FDS_MAX)
		got = FDS_MAX;
	memcpy(in, CMSG_DATA(cm), got * sizeof(int));
	if (got == nfds) {
		memcpy(fds, in, got * sizeof(int));
		return n;
	}
	for (size_t i = 0; i < got; i++)
		close(in[i]);
	return n;
}
