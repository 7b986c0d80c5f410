/* daemon_int.h — what daemon.c and daemon_ctl.c (fakeosctl's requests)
 * share, and nothing else sees. */
#ifndef FAKEOS_DAEMON_INT_H
#define FAKEOS_DAEMON_INT_H

#include <sys/socket.h>

#include "config.h"
#include "daemon.h"
#include "dproto.h"

struct client {
	struct daemon *d;
	struct client *next;
	int sock;
	struct broker_watch *w;
	struct ucred cred; /* SO_PEERCRED, when it connected */
	int console[3]; /* its stdin, stdout, stderr, once RUN came */
	struct broker_opts o; /* the run's options: the daemon's, narrowed */
	struct tree *t;
	bool gone; /* its socket hung up: its programs are being ended */
	bool done; /* EXIT sent (or nobody to send it to) */
	uint64_t run_ns; /* when its RUN came */
};

/* One local uid's account: its quotas, which every run of it shares. Kept
 * for the daemon's life, and updated in place by a reload. */
struct account {
	struct account *next;
	struct broker_account a;
	uint64_t memory; /* the most address space one program may have */
};

/* A configuration read, kept as long as the daemon runs: runs started
 * under it point into it (their spawn-from prefixes). */
struct loaded {
	struct loaded *next;
	struct config cfg;
};

struct daemon {
	const struct daemon_opts *o;
	struct config *cfg; /* the newest of loaded */
	struct loaded *loaded;
	struct account *accounts;
	struct broker *b;
	unsigned pool; /* the pool size the broker was last given */
	int listen_fd;
	struct broker_watch *w_listen;
	struct client *clients;
	struct services *services;
	struct remote *remote; /* links to other hosts; NULL: none */
	struct netbcast *netbcast; /* broadcast across hosts; NULL: none */
	struct httpgw *httpgw; /* the HTTP gateway (httpgw.h) */
	bool stopping;
	uint64_t stop_deadline_ns; /* SIGKILL for every run after this */
	bool killed_all;
	uint64_t watchdog_ns; /* systemd's interval; 0: none */
	uint64_t watchdog_next_ns;
	unsigned last_runs, last_programs; /* the STATUS= systemd last got */
};

/* daemon_ctl.c: a LIST or CTL from a connection that sent nothing
 * before; answers it (the caller known by c->cred only) and is done. */
void daemon_control(struct client *c, const struct dproto_hdr *m);

#endif
