/* daemon.h — fakeosd's core: one broker for the host, its socket, and the
 * clients (fakeos-run) that run programs through it. Each client's run is
 * a tree of the broker, in the registry scope of the client's uid (its
 * account), with the client's stdin, stdout and stderr as its console.
 * The client is known by SO_PEERCRED only; a file:// program is opened
 * with the client's credentials; a client that goes away takes its
 * programs with it. fakeosd.c is the command around it. */
#ifndef FAKEOS_DAEMON_H
#define FAKEOS_DAEMON_H

#include "broker.h"

#define DAEMON_SOCKET "/run/fakeos/fakeosd.sock"

struct daemon_opts {
	const char *socket_path; /* DAEMON_SOCKET unless a test says */
	const char *config_dir; /* CONFIG_DIR unless a test says */
	const char *spool_dir; /* crash reports: CRASH_DAEMON_DIR unless a
				  test says */
	uid_t config_owner; /* who must own it: 0, root */
	struct program_opts program; /* the system cache, fetch limits */
	struct broker_opts defaults; /* quotas, limits and filter of a run */
};

struct daemon;

/* Reads the settings (config.h: every file there root's and writable by
 * no one else, or it refuses, naming the file), opens the broker and the
 * socket (mode 0666: every local user may run programs, each as its own
 * account). A socket file left by a daemon that is gone is replaced; one
 * that answers is an error (another fakeosd). */
int daemon_open(const struct daemon_opts *o, struct daemon **out,
		struct error *e);

/* Serves until asked to stop (daemon_stop, or SIGTERM/SIGINT), then ends
 * every run in order: each client's programs get grace_ms to end after
 * SIGTERM's stop, then are killed; returns when nothing is left. */
int daemon_serve(struct daemon *d);

/* Reads the settings again (SIGHUP). On an error the settings in force
 * stay, and e names the file. */
int daemon_reload(struct daemon *d, struct error *e);

/* Begins the orderly stop. */
void daemon_stop(struct daemon *d);

/* How many runs are going on, and how many programs they hold. */
void daemon_counts(const struct daemon *d, unsigned *runs,
		   unsigned *programs);

void daemon_close(struct daemon *d);

#endif
