/* log.c — see log.h. */
#include "log.h"

#include <stdio.h>
#include <string.h>

int log_level = LOG_NORMAL;
static const char *log_prog = "fakeos";
static bool log_journal;

/* Where a second copy of each message goes: fakeosd points it, while it
 * handles a tree's events, at the stderr of the client that started the
 * tree, at that client's own level, so the client sees what fakeos-run
 * alone would have printed. */
static struct {
	int fd; /* -1: none */
	int level;
} log_sink = { -1, LOG_NORMAL };

void log_init(const char *progname)
{
	const char *slash = strrchr(progname, '/');
	log_prog = slash ? slash + 1 : progname;
}

void log_more_verbose(void)
{
	if (log_level < LOG_NORMAL)
		log_level = LOG_NORMAL;
	log_level++;
}

void log_use_journal(bool on)
{
	log_journal = on;
}

void log_set_sink(int fd, int level)
{
	log_sink.fd = fd;
	log_sink.level = level;
}

/* The journal form of a message: "<N>" before it and before every line
 * in it, so a newline in a URL or a name from a program starts a line of
 * the same priority, not one whose "<0>" journald would take for an
 * emergency. What does not fit in out is cut. Returns its length. */
static size_t journal_lines(char *out, size_t size, char prio, const char *kind,
			    const char *msg)
{
	size_t len = 0;
	const char *parts[] = { kind, msg };
	bool line_start = true;
	for (size_t i = 0; i < ARRAY_SIZE(parts); i++)
		for (const char *p = parts[i]; *p && len + 4 < size; p++) {
			if (line_start) {
				out[len++] = '<';
				out[len++] = prio;
				out[len++] = '>';
			}
			out[len++] = *p;
			line_start = *p == '\n';
		}
	return len;
}

/* One write per message, so lines from several processes do not
 * interleave: "PROG: KIND MESSAGE", or the journal form. format(printf,
 * 6, 0) lets clang's -Wformat-nonliteral accept fmt. */
static void log_line(int fd, bool journal, const char *prog, char prio,
		     const char *kind, const char *fmt, va_list ap)
	PRINTF(6, 0);
static void log_line(int fd, bool journal, const char *prog, char prio,
		     const char *kind, const char *fmt, va_list ap)
{
	char line[1024];
	size_t len;
	if (journal) {
		char msg[sizeof(line)];
		if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
			msg[0] = '\0';
		len = journal_lines(line, sizeof(line) - 1, prio, kind, msg);
	} else {
		int n = snprintf(line, sizeof(line), "%s: %s", prog, kind);
		if (n < 0 || (size_t)n >= sizeof(line))
			n = 0;
		int m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
		len = (size_t)n + (m < 0 ? 0 : (size_t)m);
		if (len >= sizeof(line) - 1)
			len = sizeof(line) - 2;
	}
	line[len++] = '\n';
	(void)write_full(fd, line, len);
}

static void log_v(int min, char prio, const char *kind, const char *fmt,
		  va_list ap) PRINTF(4, 0);
static void log_v(int min, char prio, const char *kind, const char *fmt,
		  va_list ap)
{
	if (log_level >= min) {
		va_list aq;
		va_copy(aq, ap);
		log_line(STDERR_FILENO, log_journal, log_prog, prio, kind, fmt,
			 aq);
		va_end(aq);
	}
	/* A client reads what fakeos-run alone would have printed. */
	if (log_sink.fd >= 0 && log_sink.level >= min)
		log_line(log_sink.fd, false, "fakeos-run", prio, kind, fmt, ap);
}

#define LOG_FN(name, min, prio, kind)                                          \
	void name(const char *fmt, ...)                                        \
	{                                                                      \
		va_list ap;                                                    \
		if (log_level < (min) &&                                       \
		    (log_sink.fd < 0 || log_sink.level < (min)))               \
			return;                                                \
		va_start(ap, fmt);                                             \
		log_v(min, prio, kind, fmt, ap);                               \
		va_end(ap);                                                    \
	}

/* The priorities are sd-daemon(3)'s: SD_ERR, SD_WARNING, SD_INFO, SD_DEBUG. */
LOG_FN(log_error, LOG_QUIET, '3', "")
LOG_FN(log_warn, LOG_NORMAL, '4', "warning: ")
LOG_FN(log_info, LOG_VERBOSE, '6', "")
LOG_FN(log_debug, LOG_DEBUG, '7', "debug: ")

void log_fatal(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_v(LOG_QUIET, '3', "", fmt, ap);
	va_end(ap);
	_exit(125);
}
