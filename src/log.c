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

/* One write per message, so lines from several processes do not interleave.
 * format(printf, 2, 0) lets clang's -Wformat-nonliteral accept fmt. */
static void log_v(const char *kind, const char *fmt, va_list ap) PRINTF(2, 0);
static void log_v(const char *kind, const char *fmt, va_list ap)
{
	char line[1024];
	int n = snprintf(line, sizeof(line), "%s: %s", log_prog, kind);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	int m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
	if (len >= sizeof(line) - 1)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	(void)write_full(STDERR_FILENO, line, len);
}

#define LOG_FN(name, min, kind)                                                \
	void name(const char *fmt, ...)                                        \
	{                                                                      \
		va_list ap;                                                    \
		if (log_level < (min))                                         \
			return;                                                \
		va_start(ap, fmt);                                             \
		log_v(kind, fmt, ap);                                          \
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
	log_v("", fmt, ap);
	va_end(ap);
	_exit(125);
}
