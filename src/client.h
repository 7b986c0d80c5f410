/* client.h — fakeos-run as a client of fakeosd (daemon.h): it hands the
 * run (URL, arguments, limits, and its own stdin, stdout and stderr) to
 * the daemon, passes on the signals that would end a standalone run, and
 * exits with the status the daemon reports, which is what a standalone
 * run would have exited with. */
#ifndef FAKEOS_CLIENT_H
#define FAKEOS_CLIENT_H

#include "broker.h"

/* The daemon's socket: $FAKEOS_DAEMON_SOCKET, else DAEMON_SOCKET. */
const char *client_socket_path(void);

/* Connects to the daemon at path. Returns the connected socket, -ENOENT
 * when no socket file is there, or it is in a directory this user may not
 * enter (no daemon it can reach: run standalone), or another -errno
 * (ECONNREFUSED: a socket nobody answers) with e saying what failed. */
int client_connect(const char *path, struct error *e);

/* Runs url with argv (argv[0] is the URL) through the daemon on sock and
 * returns fakeos-run's exit code. o holds what a client may ask: the
 * limits, --max-programs, -n, --raw-console, --offline, --refresh. */
int client_run(int sock, const struct broker_opts *o, const char *url,
	       char *const *argv);

/* Asks the daemon on sock for a listing (enum dproto_list_what) and calls
 * fn with each line of it, without its newline, header included; then
 * the daemon closes. fakeos-shell completes URLs from its account's
 * programs this way. Returns 0, or -EPROTO / -errno. */
int client_list(int sock, uint32_t what, void (*fn)(const char *line,
						    void *arg),
		void *arg);

#endif
