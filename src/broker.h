/* broker.h — the privileged parent of a tree of jailed programs. It starts
 * them (program.c, then jail.c, each with a restricted ring from ring.c),
 * relays their consoles, names and kills a program that makes a forbidden
 * system call, and serves their control links: links to named services,
 * spawning, broadcast. It validates every message (proto.h), enforces the
 * quotas below, and turns the way the top program ended into the
 * launcher's exit code. */
#ifndef FAKEOS_BROKER_H
#define FAKEOS_BROKER_H

#include <linux/filter.h>
#include <sys/types.h>

#include "jail.h"
#include "program.h"
#include "util.h"

/* The launcher's exit codes, as documented in fakeos-run(1). A program's
 * own status passes through unchanged; 128+N means killed by signal N. */
enum {
	EXIT_LAUNCHER = 125, /* usage, an internal error */
	EXIT_CANNOT_RUN = 126, /* not a static x86-64 ELF, bad policy, jail */
	EXIT_CANNOT_FETCH = 127, /* network, HTTP, cap, hash, offline miss */
};

/* What one broker allows, documented in fakeos-run(1) and SECURITY.md. */
struct broker_quotas {
	unsigned programs; /* programs alive in the tree, the top included */
	unsigned links; /* open links per program (at most PROTO_SLOTS-1) */
	unsigned links_per_peer; /* open links from one party (a program
				    and all it spawned, link_party in
				    broker.c) to one program, so no client
				    and its helpers can fill a service's
				    slots */
	unsigned services; /* names served per program */
	unsigned subscriptions; /* channels subscribed per program */
	unsigned pending; /* requests waiting (links, spawns) per program */
	unsigned queued; /* control messages queued for a program that is
			    not reading them; past this it is killed */
	unsigned rate; /* control messages per second, sustained */
	unsigned burst; /* ... and in a burst */
	unsigned delivery_rate; /* broadcast deliveries (one per subscriber
				   reached) a program's broadcasts may cost
				   per second; past it they are dropped */
	unsigned delivery_burst; /* ... and in a burst */
	unsigned fetches; /* spawn workers fetching at once per tree; more
			     spawns wait their turn */
	unsigned broadcast_bytes; /* undelivered broadcast bytes a subscriber
				     may have before it loses messages */
};

struct broker_opts {
	struct program_opts program;
	struct jail_limits limits;
	struct broker_quotas quotas;
	const struct sock_fprog *filter;
	bool stdin_relay; /* false: the top program's stdin is at EOF */
	bool raw_console; /* pass control sequences to a terminal as they are */
	/* Where programs may spawn programs from, besides their own origin
	 * (http) or directory (file): URL prefixes (--spawn-from). */
	const char *const *spawn_from;
	unsigned n_spawn_from;
	uint64_t wall_ms; /* end the tree after this long, 0 for never */
	/* Standalone: the operator's crash URL (--crash-url) and the spool
	 * its reports wait in; NULL: none. Never a program's choice. */
	const char *crash_url;
	const char *crash_dir;
};

/* fakeosd: what one account (a local uid) may hold across all its runs,
 * from fakeosd.conf's [account] sections. The daemon owns it; every tree
 * of the account points at it. */
struct broker_account {
	uid_t uid;
	unsigned programs; /* programs alive or being fetched */
	unsigned links; /* link ends held by its programs */
	unsigned services; /* names its programs serve */
};

/* Defaults for the quotas. */
void broker_default_quotas(struct broker_quotas *q);

/* Runs url with argv (argv[0] is replaced by the URL) and returns the
 * launcher's exit code. Every failure is reported on stderr before it
 * returns: "fakeos-run: URL: what failed". fakeos-run's standalone mode:
 * one broker, one tree. */
int broker_run(const struct broker_opts *o, const char *url,
	       char *const *argv);

/* --- one broker, many trees: what fakeosd builds on ---------------------- */

struct broker;
struct tree;
struct broker_watch;

/* The bound on the cache's size that the broker's own loads (spawns) keep
 * to, as the top program's load does with program_opts.cache_max: fakeosd
 * sets it from its settings, at start and on each reload. */
void broker_set_cache_max(struct broker *b, uint64_t max);

/* Opens a broker: its event loop, its signalfd (SIGINT, SIGTERM, SIGHUP
 * and SIGQUIT are blocked and read there), the cgroup base, the shared
 * empty namespaces, and a program loader for spawns. */
int broker_open(const struct program_opts *program, struct broker **out,
		struct error *e);
/* fakeosd: keep size warm jails ready, whose cgroups are made for
 * programs of memory bytes (a program with another limit launches cold).
 * 0: none, as fakeos-run alone. */
void broker_set_pool(struct broker *b, unsigned size, uint64_t memory);
/* Crash reports of this broker's programs are POSTed to url (the
 * operator's, from fakeosd.conf or fakeos-run --crash-url), and wait in
 * dir (made 0700 if missing) until the collector takes them; what dir
 * holds from before is sent now. url NULL: none are kept (from now on,
 * for fakeosd's reload), but each crash is still summarised in the log
 * and its parent's EXITED. */
int broker_set_crash(struct broker *b, const char *url, const char *dir,
		     struct error *e);
/* At most max crash reports of one program in window_s seconds (the
 * rest counted in the next); 5 a minute unless set (fakeosd.conf). */
void broker_set_crash_limit(struct broker *b, unsigned max,
			    unsigned window_s);
/* Ends nothing: call it once every tree is done. Frees what is left. */
void broker_close(struct broker *b);
struct program_loader *broker_loader(struct broker *b);

/* What a signal to the broker does. Without a handler every tree is
 * ended with it (fakeos-run). */
void broker_on_signal(struct broker *b,
		      void (*fn)(struct broker *b, int sig, void *arg),
		      void *arg);

/* Waits for events at most timeout_ms (-1: until one comes; the wait is
 * shorter when a held link request is due) and handles them. Returns how
 * many, or -errno. */
int broker_poll(struct broker *b, int timeout_ms);

/* Adds fd to the loop: fn(arg, events) runs when it is ready. */
int broker_watch(struct broker *b, int fd, uint32_t events,
		 void (*fn)(void *arg, uint32_t events), void *arg,
		 struct broker_watch **out);
void broker_unwatch(struct broker *b, int fd, struct broker_watch *w);

/* A tree: the programs one launch starts, with that launch's options (o
 * must outlive the tree), its registry scope (whose names it sees: the
 * account) and its console (stdin, stdout, stderr descriptors, which the
 * caller keeps open until the tree is freed). */
struct tree *broker_tree_new(struct broker *b, const struct broker_opts *o,
			     uint64_t scope, const int console[3],
			     struct error *e);
/* Starts the tree's top program from a loaded program (program_load). */
int broker_tree_start(struct tree *t, const struct program *prog,
		      char *const *argv, struct error *e);
/* Ends every program of the tree; sig is what its exit status reports
 * (128 + sig for the top, as for a signal to fakeos-run). */
void broker_tree_stop(struct tree *t, int sig);
/* Every program reaped, every worker gone, every console drained. */
bool broker_tree_done(const struct tree *t);
/* Programs of the tree alive now. */
unsigned broker_tree_alive(const struct tree *t);
/* The top program's exit status, as fakeos-run(1) gives it. */
int broker_tree_status(const struct tree *t);
/* When the top program was launched and reaped (CLOCK_MONOTONIC ns); 0
 * for what has not happened, or when it never started. */
void broker_tree_times(const struct tree *t, uint64_t *launched,
		       uint64_t *reaped);
void broker_tree_free(struct tree *t);
/* fakeosd: the tree belongs to an account, whose quotas its programs'
 * requests are charged against beside the tree's own. */
void broker_tree_account(struct tree *t, const struct broker_account *a);
/* What an account holds now: programs alive or being fetched, link ends,
 * names served, over all its trees. */
void broker_account_usage(struct broker *b, const struct broker_account *a,
			  struct broker_account *used);
/* fakeosd: the tree's top program is fetched by a worker, as a spawn is,
 * so a slow origin never stalls the daemon; its failure is logged (to the
 * client, see below) and becomes the tree's status (126 or 127). */
int broker_tree_fetch(struct tree *t, const char *url, char *const *argv,
		      struct error *e);
/* fakeosd: names a program of this tree serves under one of these go
 * into BROKER_SCOPE_PUBLISHED instead of the tree's scope, where a link
 * from any scope finds them (after its own scope's names). Only a
 * service's tree is given a list; names (owned by the caller) must
 * outlive the tree. */
#define BROKER_SCOPE_PUBLISHED UINT64_MAX
void broker_tree_publish(struct tree *t, const char *const *names,
			 unsigned n);
/* fakeosd: what a listing shows of each program alive in the tree. */
struct broker_prog_info {
	uint64_t id;
	const char *url;
	pid_t pid;
	uint64_t started_ns; /* now_ns() when it started */
	const unsigned char *sha256; /* NULL: not known */
};
void broker_tree_each_prog(const struct tree *t,
			   void (*fn)(const struct broker_prog_info *i,
				      void *arg),
			   void *arg);
/* fakeosd: the names served in scope, one call each. */
void broker_each_name(struct broker *b, uint64_t scope,
		      void (*fn)(const char *name, void *arg), void *arg);
/* fakeosd: the broker's messages about the tree go to its console's
 * stderr too, at level (the client's -q/-v). */
void broker_tree_log_to_console(struct tree *t, int level);
/* fakeosd: file:// programs of this tree are opened with these
 * credentials, the client's, so a user reads through fakeosd only what
 * it could read itself. */
void broker_tree_client(struct tree *t, uid_t uid, gid_t gid,
			const gid_t *groups, int ngroups);

#endif
