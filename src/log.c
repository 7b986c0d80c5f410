/* log.c — see log.h. */
#include "log.h"

#include <stdio.h>
#include <string.h>

int log_level = LOG_NORMAL;
static const char *log_prog = "fakeos";

void log_init(const char *progname)
{
	const char *slash = strrchr(progname, '/');
	log_prog = slash ? slash + 1 : progname;
}

/* Where a second copy of each message goes: fakeosd points it, while it
 * handles a tree's events, at the stderr of the client that started the
 * tree, at that client's own level, so the client sees what fakeos-run
 * alone would have printed. */
static struct {
	int fd; /* -1: none */
	int level;
	const char *prog;
} log_sink = { -1, LOG_NORMAL, "fakeos-run" };

void log_set_sink(int fd, int level)
{
	log_sink.fd = fd;
	log_sink.level = level;
}

/* One write per message, so lines from several processes do not interleave.
 * format(printf, 4, 0) lets clang's -Wformat-nonliteral accept fmt. */
static void log_line(int fd, const char *prog, const char *kind,
		     const char *fmt, va_list ap) PRINTF(4, 0);
static void log_line(int fd, const char *prog, const char *kind,
		     const char *fmt, va_list ap)
{
	char line[1024];
	int n = snprintf(line, sizeof(line), "%s: %s", prog, kind);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	int m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
	if (len >= sizeof(line) - 1)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	(void)write_full(fd, line, len);
}

static void log_v(int min, const char *kind, const char *fmt, va_list ap)
	PRINTF(3, 0);
static void log_v(int min, const char *kind, const char *fmt, va_list ap)
{
	if (log_level >= min) {
		va_list aq;
		va_copy(aq, ap);
		log_line(STDERR_FILENO, log_prog, kind, fmt, aq);
		va_end(aq);
	}
	if (log_sink.fd >= 0 && log_sink.level >= min)
		log_line(log_sink.fd, log_sink.prog, kind, fmt, ap);
}

#define LOG_FN(name, min, kind)                                                \
	void name(const char *fmt, ...)                                        \
	{                                                                      \
		va_list ap;                                                    \
		if (log_level < (min) &&                                       \
		    (log_sink.fd < 0 || log_sink.level < (min)))               \
			return;                                                \
		va_start(ap, fmt);                                             \
		log_v(min, kind, fmt, ap);                                     \
		va_end(ap);                                                    \
	}

LOG_FN(log_error, LOG_QUIET, "")
LOG_FN(log_warn, LOG_NORMAL, "warning: ")
LOG_FN(log_info, LOG_VERBOSE, "")
LOG_FN(log_debug, LOG_DEBUG, "debug: ")

void log_fatal(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_v(LOG_QUIET, "", fmt, ap);
	va_end(ap);
	_exit(125);
}
