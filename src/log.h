/* log.h — the launcher's messages to the user on stderr: one line each,
 * prefixed with the program name, filtered by -q / -v. Under journald
 * (fakeosd), each line is prefixed with its sd-daemon(3) priority
 * instead. */
#ifndef FAKEOS_LOG_H
#define FAKEOS_LOG_H

#include "util.h"

enum log_level {
	LOG_QUIET = -1, /* -q: errors only */
	LOG_NORMAL = 0, /* errors and warnings */
	LOG_VERBOSE = 1, /* -v: what the launcher did */
	LOG_DEBUG = 2, /* -vv: every step */
};

extern int log_level;

/* One -v more: from -q, back to normal first. */
void log_more_verbose(void);

/* Sets the prefix ("fakeos-run") printed before every message. */
void log_init(const char *progname);

/* The journal form, for a daemon whose stderr journald reads (fakeosd):
 * each line starts with its priority, <3> for log_error and log_fatal,
 * <4> log_warn, <6> log_info, <7> log_debug, followed by the message
 * with no program name (journald names the unit and its process itself)
 * and the same "warning: " and "debug: " words. A message of several
 * lines gets the prefix on each. Off by default: fakeos-run's lines
 * stay "fakeos-run: ...". */
void log_use_journal(bool on);

void log_error(const char *fmt, ...) PRINTF(1, 2);
void log_warn(const char *fmt, ...) PRINTF(1, 2);
void log_info(const char *fmt, ...) PRINTF(1, 2);
void log_debug(const char *fmt, ...) PRINTF(1, 2);
/* Sends a copy of every message at or below level to fd too, prefixed
 * "fakeos-run: " (fakeosd: a client's stderr); fd -1 stops it. */
void log_set_sink(int fd, int level);

/* Prints the message and exits with status 125 (an internal error). */
NORETURN void log_fatal(const char *fmt, ...) PRINTF(1, 2);

#endif
