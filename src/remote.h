/* remote.h — links across hosts: a program's fk_link to a name that
 * nobody on this host serves, and that the resolver (resolver.h: the
 * static names file or etcd) places on another host, goes over QUIC (quic.h) to that host's fakeosd,
 * and from there to the program that serves it, if its service exports
 * it (services.d `export = yes`). Each end's program holds an ordinary
 * link (a pipe pair in its ring); the daemons relay whole datagrams
 * between those pipes and the link's QUIC stream. The first datagram each
 * way is the link's header (docs/PROTOCOL.md, "Links across hosts"). */
#ifndef FAKEOS_REMOTE_H
#define FAKEOS_REMOTE_H

#include <stdbool.h>

#include "resolver.h"
#include "util.h"

struct broker;
struct remote;

/* What this host accepts from one other host, whatever accounts it
 * claims (fakeosd.conf's host-links, host-links-per-program,
 * host-link-rate, host-link-burst): links open here at once, in all and
 * to one serving program, and new links a second with a burst. Over
 * them a link is refused with -EDQUOT and -EAGAIN, logged once an
 * episode naming the host. 0: the default. A host's links to one
 * program default to half of its 63 slots, so one host never takes them
 * all; in all, to a connection's worth. */
#define REMOTE_HOST_LINKS 256
#define REMOTE_HOST_PROG_LINKS 32
#define REMOTE_HOST_RATE 100
#define REMOTE_HOST_BURST 200
struct remote_limits {
	unsigned links, prog_links, rate, burst;
};

struct remote_opts {
	const char *listen; /* ADDRESS:PORT of this host's QUIC endpoint */
	const char *key_path; /* made (0600) if missing */
	const char *hosts_path;
	/* The resolver's settings: backend, names_path or config_dir and
	 * owner, etcd_url... (hosts and self are remote_open's, from the
	 * hosts file and the host key). */
	struct resolver_opts resolver;
	unsigned idle_ms; /* 0: quic.h's default */
	unsigned handshake_ms; /* 0: quic.h's default */
	struct remote_limits limits;
	/* Whether name (served host-wide here) is exported: asked at each
	 * incoming link, so a reload takes effect at once. */
	bool (*exported)(void *arg, const char *name);
	void *arg;
};

/* Loads (or makes) the host key and the hosts file, opens the resolver
 * and the endpoint in b's loop (both driven by b's epoll and remote_tick)
 * and hooks b's link requests. */
int remote_open(struct broker *b, const struct remote_opts *o,
		struct remote **out, struct error *e);
/* This daemon is stopping: every connection with a link closes now, so
 * the peers' programs see -ECONNRESET (their daemon stopped) rather than
 * the orderly close of a program that the stop ended next; this host's
 * programs see -ECONNABORTED. */
void remote_stop(struct remote *r);
/* Every link ends (the programs see end of file, the peers -ECONNRESET). */
void remote_close(struct remote *r);
/* Registers name with the resolver as served by this host (etcd: under
 * this daemon's lease, so it vanishes with it). 0 if it was already; an
 * error when this host's key is not in its hosts file (-EINVAL, logged)
 * or past RESOLVER_EXPORTS_MAX. */
int remote_export(struct remote *r, const char *name);
/* Withdraws every exported name for which keep(arg, name) is false (a
 * reload took away its service's `export = yes`, or the service): etcd
 * deletes it (resolver_unregister), and links to it are refused ("not
 * exported here") from now on. */
void remote_withdraw(struct remote *r, bool (*keep)(void *, const char *),
		     void *arg);
/* New limits (a reload): links already open stay, what comes next is
 * held to them. */
void remote_set_limits(struct remote *r, const struct remote_limits *lim);
/* Runs the transport's and the resolver's timers that are due; returns the ms until the next
 * one, or -1 (a timeout for the daemon's loop). */
int remote_tick(struct remote *r);
/* Open links and connections, for tests and status. */
void remote_counts(const struct remote *r, unsigned *links,
		   unsigned *conns);

#endif
