/* notify.h — fakeosd's side of the sd_notify(3) protocol: readiness,
 * status, reload and stop, and the watchdog, as systemd's Type=notify
 * service expects them. Built on libsystemd's sd-daemon calls; the static
 * launcher, fakeos-run, never links it (see RUN_SRCS in the Makefile).
 *
 * Every call returns 0 or a negative errno. Without NOTIFY_SOCKET in the
 * environment (fakeosd run by hand, or by the tests) every call does
 * nothing and returns 0. The messages are those of systemd 252 (Debian 12):
 * RELOADING=1 carries no MONOTONIC_USEC=, which came with Type=notify-reload
 * in systemd 253. */
#ifndef FAKEOS_NOTIFY_H
#define FAKEOS_NOTIFY_H

#include "util.h"

/* "READY=1", and "STATUS=status" in the same datagram unless status is
 * NULL: start-up is done and the socket is accepting clients. */
int notify_ready(const char *status);

/* "STATUS=..." alone: a one-line state for `systemctl status`. A newline
 * in the text becomes a space, so no text can add a field of its own
 * (a service name "x\nSTOPPING=1" must not stop the unit's bookkeeping). */
int notify_status(const char *fmt, ...) PRINTF(1, 2);

/* "RELOADING=1": SIGHUP was received and the configuration is being read
 * again. notify_ready_again() ("READY=1") must follow when it is done,
 * whether the new configuration was taken or refused. */
int notify_reloading(void);
int notify_ready_again(void);

/* "STOPPING=1": SIGTERM was received; the services' trees are being
 * ended in order. */
int notify_stopping(void);

/* The watchdog interval systemd expects a ping within (WatchdogSec=),
 * from WATCHDOG_USEC, in *usec; 0 when there is none: no NOTIFY_SOCKET,
 * no WATCHDOG_USEC, or WATCHDOG_PID naming another process (the variables
 * were meant for a parent). -EINVAL for an unreadable value. Ping with
 * notify_watchdog() at half the interval, as sd_watchdog_enabled(3)
 * advises. */
int notify_watchdog_usec(uint64_t *usec);
int notify_watchdog(void);

#endif
