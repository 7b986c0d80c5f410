/* util.h — small helpers every module uses: cleanup attributes, the error
 * record that carries a message up to the top level, and checked allocation.
 * Nothing here knows about URLs, caches or jails. */
#ifndef FAKEOS_UTIL_H
#define FAKEOS_UTIL_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define PRINTF(f, a) __attribute__((format(printf, f, a)))
#define NORETURN __attribute__((noreturn))
#define UNUSED __attribute__((unused))

/* Cleanup attributes keep error paths short: a variable declared with one of
 * these is released when it goes out of scope, unless steal_*() took it. */
static inline void cleanup_freep(void *p)
{
	free(*(void **)p);
}
static inline void cleanup_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}
#define cleanup_free __attribute__((cleanup(cleanup_freep)))
#define cleanup_fd __attribute__((cleanup(cleanup_closep)))

static inline void *steal_pointer(void *pp)
{
	void **p = pp;
	void *v = *p;
	*p = NULL;
	return v;
}
static inline int steal_fd(int *fd)
{
	int v = *fd;
	*fd = -1;
	return v;
}

/* The error record. Functions return 0 or a negative errno; where the errno
 * alone cannot say what failed ("HTTP 404", "line 12: unknown system call"),
 * they also fill one of these, and the top level prints it with context. */
struct error {
	char msg[512];
};

/* Formats msg and returns -err (err is a positive errno, or 0 for EINVAL).
 * Use as: return error_set(e, ENOENT, "no such object %s", hex); */
int error_set(struct error *e, int err, const char *fmt, ...) PRINTF(3, 4);
/* Like error_set, with ": strerror(err)" appended. */
int error_sys(struct error *e, int err, const char *fmt, ...) PRINTF(3, 4);
/* Prefixes an existing message with more context: "cache: " + msg. */
void error_prefix(struct error *e, const char *fmt, ...) PRINTF(2, 3);

/* Allocation that cannot fail: on out-of-memory the process dies with a
 * message. The launcher has no useful way to continue without memory. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) PRINTF(1, 2);

/* Full reads and writes, retrying on EINTR and short counts.
 * Return 0 or -errno; read_full returns -EIO on a premature end of file. */
int write_full(int fd, const void *buf, size_t len);
int read_full(int fd, void *buf, size_t len);

/* One message of len bytes on a socket, with nfds descriptors (at most
 * FDS_MAX) attached by SCM_RIGHTS. Returns what sendmsg returns. */
#define FDS_MAX 4
ssize_t send_with_fds(int sock, const void *buf, size_t len, const int *fds,
		      unsigned nfds);
/* Receives one message of at most len bytes and, close-on-exec, exactly
 * nfds descriptors into fds: any other number that came is closed, and
 * fds stay -1. Returns what recvmsg returns. */
ssize_t recv_with_fds(int sock, void *buf, size_t len, int *fds,
		      unsigned nfds);

/* Reads the file at path (relative to dirfd) into buf as a string, up to
 * n - 1 bytes or its end, retrying on EINTR and short counts: /proc and
 * cgroupfs files, which stat cannot size. buf is a string whatever
 * happens. Returns 0 or -errno. */
int read_text(int dirfd, const char *path, char *buf, size_t n);

/* Parses "64M", "1g", "4096" into bytes (K, M, G, T are powers of 1024).
 * Returns 0, or -EINVAL / -ERANGE. */
int parse_size(const char *s, uint64_t *out);
/* Parses a non-negative decimal number of seconds, "1.5" allowed, into ms. */
int parse_seconds_ms(const char *s, uint64_t *out_ms);

/* Lower-case hex of len bytes into out (2*len+1 bytes). */
void hex_encode(const uint8_t *in, size_t len, char *out);
/* Parses exactly 2*len hex digits (either case). Returns 0 or -EINVAL. */
int hex_decode(const char *in, uint8_t *out, size_t len);

/* Monotonic and wall clocks. */
uint64_t now_ns(void);
int64_t now_unix(void);

/* "SIGSEGV", or "signal 77" (in a static buffer) for one without a name:
 * the same words for the broker's log line and a crash report. */
const char *signal_name(int sig);

#endif
