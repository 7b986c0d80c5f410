/* jail_warm.c — warm jails (jail.h): jail_spawn split at the point where
 * the program is first needed. The child's sequence is jail.c's child_main,
 * the same code for both; this file holds the launcher's side of the split
 * (prepare, launch, discard) and the warm child's receipt of its program. */
#include "jail_int.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_FDS (4 + JAIL_MAX_PASS_FDS) /* exec, console, passed */

int jail_warm_prepare(const struct jail_shape *shape, struct jail_warm *w,
		      struct error *e)
{
	*w = (struct jail_warm){ .pid = -1, .pidfd = -1, .sync = -1,
				 .ring = { .fd = -1 } };
	/* Made here and inherited through the clone: the kernel refuses an
	 * io_uring descriptor in SCM_RIGHTS, so it cannot come at launch. */
	if (shape->ring && ring_create(&w->ring, e) < 0) {
		w->ring.fd = -1;
		w->used = true;
		return -EIO;
	}
	int r = jail_start(shape, NULL, w->ring.fd, &w->pid, &w->pidfd,
			   &w->sync, e);
	if (r < 0)
		jail_warm_discard(w);
	return r;
}

/* Waits until the jail says it is ready. Any other answer means it failed
 * its preparation or died: -EAGAIN, nothing of a program was given. */
static int wait_ready(struct jail_warm *w, struct error *e)
{
	char buf[sizeof(e->msg)];
	ssize_t n;
	do
		n = recv(w->sync, buf, sizeof(buf) - 1, 0);
	while (n < 0 && errno == EINTR);
	if (n == 1 && buf[0] == JAIL_MSG_READY)
		return 0;
	if (n > 1 && buf[0] == JAIL_MSG_ERROR) {
		buf[n] = '\0';
		return error_set(e, EAGAIN, "jail: warm jail failed: %s",
				 buf + 1);
	}
	if (n < 0)
		return error_sys(e, EAGAIN, "jail: warm jail: %s",
				 strerror(errno));
	return error_set(e, EAGAIN, "jail: warm jail %s before its launch",
			 n == 0 ? "died" : "said something else");
}

/* Checks c against what the jail can take, and encodes it into msg (a
 * malloc'd buffer, *len bytes) and fds (*nfds). */
static int encode_launch(const struct jail_warm *w, const struct jail_config *c,
			 unsigned char **msg, size_t *len, int *fds,
			 unsigned *nfds, struct error *e)
{
	bool ring = w->ring.fd >= 0;
	if (c->n_pass > JAIL_MAX_PASS_FDS)
		return error_set(e, EINVAL, "jail: too many descriptors to pass");
	if (ring != (c->enable_ring && c->n_pass > 0 &&
		     c->pass_fds[0] == w->ring.fd))
		return error_set(e, EINVAL, "jail: a warm jail's ring must be "
					    "the program's first passed "
					    "descriptor, and only its own");
	if (!c->filter || c->filter->len == 0 || c->filter->len > BPF_MAXINSNS)
		return error_set(e, E2BIG, "jail: no filter, or one too long "
					   "for a warm jail");
	size_t argc = 0, argv_len = 0;
	for (; c->argv && c->argv[argc]; argc++)
		argv_len += strlen(c->argv[argc]) + 1;
	if (argc == 0 || argc > JAIL_WARM_ARGC_MAX ||
	    argv_len > JAIL_WARM_ARGV_MAX)
		return error_set(e, argc == 0 ? EINVAL : E2BIG,
				 "jail: %zu arguments (%zu bytes) do not fit a "
				 "warm jail",
				 argc, argv_len);

	struct jail_warm_msg h = {
		.magic = JAIL_WARM_MAGIC,
		.n_pass = c->n_pass,
		.enable_ring = c->enable_ring,
		.filter_len = c->filter->len,
		.argc = (uint32_t)argc,
		.argv_len = (uint32_t)argv_len,
		.memory = c->limits.memory,
		.cpu_seconds = c->limits.cpu_seconds,
	};
	size_t flen = c->filter->len * sizeof(struct sock_filter);
	*len = sizeof(h) + flen + argv_len;
	unsigned char *p = *msg = xmalloc(*len);
	memcpy(p, &h, sizeof(h));
	memcpy(p + sizeof(h), c->filter->filter, flen);
	p += sizeof(h) + flen;
	for (size_t i = 0; i < argc; i++) {
		size_t l = strlen(c->argv[i]) + 1;
		memcpy(p, c->argv[i], l);
		p += l;
	}
	unsigned n = 0;
	fds[n++] = c->exec_fd;
	for (int i = 0; i < 3; i++)
		fds[n++] = c->console[i];
	for (unsigned i = ring ? 1 : 0; i < c->n_pass; i++)
		fds[n++] = c->pass_fds[i];
	*nfds = n;
	return 0;
}

static int send_launch(int sync, const unsigned char *msg, size_t len,
		       const int *fds, unsigned nfds, struct error *e)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * MAX_FDS)];
		struct cmsghdr align;
	} u;
	memset(&u, 0, sizeof(u));
	struct iovec iov = { (void *)msg, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = u.buf,
			     .msg_controllen = CMSG_SPACE(sizeof(int) * nfds) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
	memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
	ssize_t n;
	do
		n = sendmsg(sync, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)len)
		return 0;
	/* EPIPE, ECONNRESET: the jail died after it said it was ready. A
	 * bad descriptor (EBADF) is the caller's. */
	int err = n < 0 ? errno : EPROTO;
	/* A jail that refused what it read (something sent on its socket
	 * before this launch) said why before it ended, as jail_finish
	 * would have read: its reason, not the broken pipe. */
	char buf[256];
	ssize_t m = recv(sync, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	if (m < 0 && errno == ECONNRESET) /* reported once, before it */
		m = recv(sync, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	if (m > 1 && buf[0] == JAIL_MSG_ERROR) {
		buf[m] = '\0';
		return error_set(e, EPERM, "jail: %s", buf + 1);
	}
	return error_set(e, err == EBADF ? EINVAL : EAGAIN,
			 "jail: sending the program to its warm jail: %s",
			 strerror(err));
}

int jail_warm_launch(struct jail_warm *w, const struct jail_config *c,
		     struct jail_proc *p, struct error *e)
{
	if (w->used || w->pidfd < 0)
		return error_set(e, EINVAL, "jail: this warm jail was used "
					    "already");
	/* Used from here on, whatever happens: a jail that saw part of one
	 * program's launch must never see another's. */
	w->used = true;
	cleanup_free unsigned char *msg = NULL;
	size_t len = 0;
	int fds[MAX_FDS];
	unsigned nfds = 0;
	int r = encode_launch(w, c, &msg, &len, fds, &nfds, e);
	if (r == 0)
		r = wait_ready(w, e);
	if (r == 0)
		r = send_launch(w->sync, msg, len, fds, nfds, e);
	if (r < 0) {
		jail_warm_discard(w);
		return r;
	}
	/* From here it is jail_spawn's second half: the report, the
	 * listener, the exec let through. jail_finish takes the pidfd. */
	p->traced = c->trace;
	r = jail_finish(w->sync, w->pid, steal_fd(&w->pidfd), p, e);
	w->pid = -1;
	close(steal_fd(&w->sync));
	return r;
}

void jail_warm_discard(struct jail_warm *w)
{
	if (w->pidfd >= 0)
		jail_kill(steal_fd(&w->pidfd));
	if (w->sync >= 0)
		close(steal_fd(&w->sync));
	if (w->ring.fd >= 0)
		close(steal_fd(&w->ring.fd));
	w->pid = -1;
	w->used = true;
}

/* --- the warm child ------------------------------------------------------ */

/* Static: the child allocates nothing (jail.c, jail_start), and its stack
 * is whatever thread's called prepare. Touched only in the child, whose
 * pages these are after the clone. */
static union {
	struct jail_warm_msg h;
	unsigned char b[sizeof(struct jail_warm_msg) +
			BPF_MAXINSNS * sizeof(struct sock_filter) +
			JAIL_WARM_ARGV_MAX];
} warm_msg;
static char *warm_argv[JAIL_WARM_ARGC_MAX + 1];
static struct sock_fprog warm_filter;
static struct jail_config warm_config;

#define BAD(err, what)                                                         \
	do {                                                                   \
		*step = what;                                                  \
		return -(err);                                                 \
	} while (0)

/* argc NUL-terminated strings, exactly filling len bytes. */
static int split_argv(char *p, size_t len, unsigned argc, const char **step)
{
	if (len == 0 || p[len - 1] != '\0')
		BAD(EINVAL, "argv");
	unsigned n = 0;
	for (size_t i = 0; i < len; i += strlen(p + i) + 1) {
		if (n == argc)
			BAD(EINVAL, "argv count");
		warm_argv[n++] = p + i;
	}
	if (n != argc)
		BAD(EINVAL, "argv count");
	warm_argv[n] = NULL;
	return 0;
}

/* The program must be a regular file (the sealed memfd), and nothing it is
 * handed may be a directory: a directory descriptor is a way out of the
 * empty root (CVE-2024-21626, runc's leaked cwd). */
static int check_fds(const int *fds, unsigned n, const char **step)
{
	for (unsigned i = 0; i < n; i++) {
		struct stat st;
		if (fstat(fds[i], &st) < 0)
			BAD(errno, "fstat");
		if (i == 0 && !S_ISREG(st.st_mode))
			BAD(EINVAL, "the program is not a regular file");
		if (S_ISDIR(st.st_mode))
			BAD(EINVAL, "a directory descriptor");
	}
	return 0;
}

int jail_warm_receive(int ring_fd, const struct jail_config **out,
		      const char **step)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * MAX_FDS)];
		struct cmsghdr align;
	} u;
	struct iovec iov = { warm_msg.b, sizeof(warm_msg.b) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf) };
	ssize_t n;
	do
		n = recvmsg(JAIL_SYNC_FD, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		BAD(EPIPE, "end of file");
	if (n < 0)
		BAD(errno, "recvmsg");
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
		BAD(EMSGSIZE, "truncated");
	const struct jail_warm_msg *h = &warm_msg.h;
	if ((size_t)n < sizeof(*h) || h->magic != JAIL_WARM_MAGIC)
		BAD(EPROTO, "header");
	bool ring = ring_fd >= 0;
	if (h->n_pass > JAIL_MAX_PASS_FDS || (ring && (h->n_pass == 0 ||
						       !h->enable_ring)))
		BAD(EINVAL, "passed descriptors");
	if (h->filter_len == 0 || h->filter_len > BPF_MAXINSNS ||
	    h->argc == 0 || h->argc > JAIL_WARM_ARGC_MAX ||
	    h->argv_len > JAIL_WARM_ARGV_MAX ||
	    (size_t)n != sizeof(*h) + h->filter_len * sizeof(struct sock_filter) +
				 h->argv_len)
		BAD(EINVAL, "lengths");

	unsigned want = 4 + h->n_pass - (ring ? 1 : 0);
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	if (!cm || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS ||
	    cm->cmsg_len != CMSG_LEN(sizeof(int) * want) ||
	    mh.msg_controllen != CMSG_SPACE(sizeof(int) * want))
		BAD(EINVAL, "descriptor count");
	int fds[MAX_FDS];
	memcpy(fds, CMSG_DATA(cm), sizeof(int) * want);
	int r = check_fds(fds, want, step);
	if (r < 0)
		return r;

	unsigned char *p = warm_msg.b + sizeof(*h);
	warm_filter.len = (unsigned short)h->filter_len;
	warm_filter.filter = (struct sock_filter *)p;
	p += h->filter_len * sizeof(struct sock_filter);
	if ((r = split_argv((char *)p, h->argv_len, h->argc, step)) < 0)
		return r;

	struct jail_config *c = &warm_config;
	c->exec_fd = fds[0];
	c->argv = warm_argv;
	c->filter = &warm_filter;
	c->limits.memory = h->memory;
	c->limits.cpu_seconds = h->cpu_seconds;
	for (int i = 0; i < 3; i++)
		c->console[i] = fds[1 + i];
	c->n_pass = h->n_pass;
	unsigned k = 0, next = 4;
	if (ring)
		c->pass_fds[k++] = ring_fd;
	while (k < c->n_pass)
		c->pass_fds[k++] = fds[next++];
	c->enable_ring = h->enable_ring != 0;
	*out = c;
	return 0;
}
