/* notify.c — see notify.h. */
#include "notify.h"

#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>

/* sd_notify returns > 0 when it sent the datagram and 0 when NOTIFY_SOCKET
 * is unset; both are success here. unset_environment is 0 everywhere: the
 * daemon notifies many times over its life. Jailed programs never see the
 * variable (their environment is empty: jail.c, exec_program), and the
 * unit's NotifyAccess=main ignores anything a helper might send. */
static int notify_text(const char *text)
{
	int r = sd_notify(0, text);
	return r < 0 ? r : 0;
}

/* first (a field with its newline, or "") then STATUS= and the status text
 * on one line, in one datagram. The text may hold names from the
 * configuration: a newline in it becomes a space, so it cannot start a
 * field of its own. Long texts are cut, never refused. */
static int notify_with_status(const char *first, const char *fmt, va_list ap)
	PRINTF(2, 0);
static int notify_with_status(const char *first, const char *fmt, va_list ap)
{
	char msg[1024];
	int n = snprintf(msg, sizeof(msg), "%sSTATUS=", first);
	if (n < 0 || (size_t)n >= sizeof(msg))
		return -EINVAL;
	if (vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap) < 0)
		return -EINVAL;
	for (char *p = msg + n; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	return notify_text(msg);
}

static int notify_with_statusf(const char *first, const char *fmt, ...)
	PRINTF(2, 3);
static int notify_with_statusf(const char *first, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = notify_with_status(first, fmt, ap);
	va_end(ap);
	return r;
}

int notify_ready(const char *status)
{
	if (!status)
		return notify_text("READY=1");
	return notify_with_statusf("READY=1\n", "%s", status);
}

int notify_status(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = notify_with_status("", fmt, ap);
	va_end(ap);
	return r;
}

int notify_reloading(void)
{
	return notify_text("RELOADING=1");
}

int notify_ready_again(void)
{
	return notify_ready(NULL);
}

int notify_stopping(void)
{
	return notify_text("STOPPING=1");
}

int notify_watchdog_usec(uint64_t *usec)
{
	*usec = 0;
	/* No one to ping: the interval means nothing. */
	if (!getenv("NOTIFY_SOCKET"))
		return 0;
	uint64_t u = 0;
	int r = sd_watchdog_enabled(0, &u);
	if (r < 0)
		return r;
	if (r > 0)
		*usec = u;
	return 0;
}

int notify_watchdog(void)
{
	return notify_text("WATCHDOG=1");
}
