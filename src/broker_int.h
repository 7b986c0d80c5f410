/* broker_int.h — what the broker's modules share, and nothing outside
 * them sees. One broker (struct broker) serves one event loop and the
 * registry of names; it runs trees (struct tree): a tree is the programs
 * one launch started, the top one and what it spawned, with the options,
 * quotas and console of that launch. fakeos-run runs one tree; fakeosd
 * runs one per client and per service.
 *
 *   broker.c        the loop, dispatch, signals, trees, broker_run
 *   broker_prog.c   a program's life: start, messages to it, kill, reap
 *   broker_ctl.c    its control link: requests, links, broadcasts
 *   broker_spawn.c  spawns: fetch workers and their queue
 *   registry.c      names, waiting links, subscriptions */
#ifndef FAKEOS_BROKER_INT_H
#define FAKEOS_BROKER_INT_H

#include <signal.h>
#include <sys/types.h>

#include "broker.h"
#include "cgroup.h"
#include "crash_spool.h"
#include "proto.h"
#include "registry.h"
#include "relay.h"
#include "ring.h"

#define CGROUP_PIDS_MAX 16 /* the program and io_uring's workers */

enum watch_kind {
	W_CONTROL, W_RELAY_FROM, W_RELAY_TO, W_NOTIFY, W_PIDFD, W_WORKER,
	W_SIGNAL, W_TIMER, W_EXTERNAL, W_MAKER,
	W_GONE, /* a W_EXTERNAL one unwatched: freed after this turn's
		   events, which may still name it; ptr links the next */
};

struct watch {
	enum watch_kind kind;
	void *ptr; /* struct prog, relay, job or tree; W_EXTERNAL: arg */
	/* W_EXTERNAL: what the broker's user registered (broker_watch). */
	void (*fn)(void *arg, uint32_t events);
};

/* A message the program has not read yet: kept, in order, up to the
 * quota; a program that lets them pile up is killed. */
struct queued {
	struct queued *next;
	size_t len;
	unsigned char buf[];
};

/* One end of a link, as the broker sees it in a program's ring. */
struct slot {
	bool used; /* a link is in it */
	uint64_t peer; /* the program at the other end */
	uint64_t party; /* ... and the party it links for (link_party) */
	char name[PROTO_NAME_SIZE]; /* the service it was made to: a crash
				       report names it */
	uint64_t remote; /* a link to another host: remote.c's number for
			    it, so a LINK_ENDED never reaches the slot's
			    next link; 0: a local link */
};

/* A token bucket: `rate` a second, up to `burst` saved. */
struct bucket {
	double tokens;
	uint64_t at;
};

struct prog {
	struct broker *b;
	struct tree *t;
	struct prog *next; /* its tree's programs, in start order */
	uint64_t id;
	struct prog *parent;
	int32_t parent_handle; /* the parent's handle for us; 0: none */
	char *url;
	char *home; /* its origin or directory: where it may spawn from */
	uint64_t started_ns; /* when it was made: fakeosctl's uptime */
	/* When its exec was let through, and when it was reaped (0: not
	 * yet): fakeosd's account of where a run's time went (-vv). */
	uint64_t launched_ns, reaped_ns;
	bool has_sha256; /* sha256 is the program's (fetched by a worker) */
	uint8_t sha256[32];
	bool running; /* not yet reaped */
	bool dying; /* killed by the broker; reason logged */
	bool quiet; /* ended on request (a parent, the tree ending): no log */
	int status; /* the exit status fakeos-run(1) would give */
	uint64_t cg_id; /* its cgroup's id: its own, or its warm jail's */

	struct jail_proc proc;
	int ring; /* the broker's descriptor of the program's ring */
	int ctl; /* the broker's end of the control link */
	struct queued *out_head, *out_tail;
	unsigned out_count;
	bool ctl_waiting; /* EPOLLOUT registered */
	struct relay out, err, in;
	struct slot slots[PROTO_SLOTS];
	unsigned nlinks;
	unsigned njobs; /* spawn workers charged to it, until reaped */
	struct reg_owner reg; /* its names, waiting links, subscriptions */
	struct bucket msgs; /* control messages: past it, killed */
	struct bucket deliveries; /* broadcast deliveries: past it, dropped */

	/* The protocol version it speaks: its first message's, and every
	 * later one's; PROTO_VERSION_MIN until it has said. */
	uint16_t version;
	bool spoke;

	bool forbidden; /* killed for a forbidden call ... */
	int forbidden_nr; /* ... this one (any int: -1 is a number too) */
	unsigned warned; /* quotas already reported for this program */

	/* Crash reports (broker_crash.c). */
	int exec_fd; /* the sealed memfd it runs: symbols, build-id */
	char **argv; /* what it was started with */
	bool traced; /* seized at its exec */
	bool crash_syscall; /* interrupted in a forbidden call */
	uint64_t forbidden_args[6];
	bool crashed; /* a report was made; reason says why */
	int crash_sig; /* the fatal signal it was stopped at, 0: none */
	struct bucket signal_stops; /* stops for signals that are no crash */
	/* Why it ended, for its parent's EXITED (version 4) and the log. */
	char reason[PROTO_REASON_SIZE];
	struct watch w_ctl, w_out_from, w_out_to, w_err_from, w_err_to,
		w_in_from, w_in_to, w_notify, w_pidfd;
};

/* A spawn in progress: a worker process fetches and verifies the program
 * so that a slow server never stalls the broker's loop. */
struct job {
	struct tree *t;
	struct job *next;
	struct prog *parent; /* who hears the result; NULL once nobody does */
	struct prog *owner; /* who it is charged to, until its worker is
			       reaped (a cancelled fetch still runs until
			       then); NULL once that program is gone */
	int32_t handle;
	bool top; /* the tree's top program (fakeosd), not a spawn */
	bool running; /* a worker is fetching it; else it waits its turn */
	bool cancelled; /* closed, killed or orphaned: its worker is being
			   killed and its result will be discarded */
	char *url;
	char *confine; /* the prefix that allowed url: every redirect hop of
			  its fetch must stay within it too */
	uint32_t argc; /* argv[1..argc]; argv[0] is set when it starts */
	char **argv;
	pid_t pid;
	int sock;
	struct watch w;
};

/* One launch's programs. */
struct tree {
	struct broker *b;
	struct tree *next; /* the broker's trees */
	const struct broker_opts *o; /* limits, quotas, filter, console */
	uint64_t scope; /* whose names its programs see: registry scope */
	struct prog *progs; /* in start order, the top first */
	struct prog *top;
	unsigned alive;
	struct job *jobs; /* spawns, in the order asked */
	unsigned workers; /* fetch workers running (jobs with running) */
	int timerfd; /* the wall-clock limit; -1: none */
	struct watch w_timer;
	int stop_signal; /* the signal that ended it, 0: none */
	bool wall_expired;
	/* Where its programs' consoles go; fakeosd also copies the broker's
	 * messages about the tree to console_err, at log_level. */
	int console_in, console_out, console_err;
	bool log_to_console;
	int log_level;
	/* The top program's fetch failed (fakeosd): its exit status. */
	int fail_status;
	/* fakeosd: the account's quotas, beside the tree's; NULL: none. */
	const struct broker_account *account;
	/* fakeosd: file:// programs are opened with the client's
	 * credentials, never the daemon's. */
	bool as_client;
	/* fakeosd: the names this tree's programs serve host-wide (a
	 * service's publish list, broker_tree_publish); none for a run. */
	const char *const *publish;
	unsigned npublish;
	uid_t uid;
	gid_t gid;
	int ngroups;
	gid_t groups[64];
};

/* A warm jail of the pool, with the cgroup made for it. */
struct warm_slot {
	struct jail_warm w;
	uint64_t cg_id; /* its cgroup's id: the program's once launched */
	bool cg; /* a cgroup was made */
};

/* Where crash reports go (broker_crash.c). */
struct broker_crash {
	char *url; /* the operator's crash URL; NULL: no reports kept */
	char *dir; /* the spool */
	struct crash_rate rate[CRASH_RATE_SLOTS];
	unsigned rate_max, rate_window_s; /* the crash-loop limit */
	pid_t sender_pid; /* the sender worker, 0: none */
	int sender_pidfd;
	struct broker_watch *sender_w;
	bool again; /* a report came while it ran */
	int timerfd; /* the retry, -1 until a send failed */
	struct broker_watch *timer_w;
	unsigned backoff_s;
};

struct broker {
	const struct program_opts *program;
	struct program_loader *loader;
	/* The same loader for fresh cache hits only: what fakeosd loads in
	 * its loop, with nothing that can wait, instead of in a worker. */
	struct program_loader *fresh_loader;
	int ep;
	int sigfd;
	struct watch w_signal;
	/* What a signal to the broker does; NULL: end every tree with it
	 * (fakeos-run's behaviour). */
	void (*on_signal)(struct broker *b, int sig, void *arg);
	void *on_signal_arg;
	struct tree *trees;
	uint64_t next_id;
	struct registry reg;
	struct cgroup_base cgroup; /* dirfd -1: rlimits only */
	int home_netns, shared_netns; /* -1: every program gets a new one */
	/* -1: every program's child builds its own empty root */
	int home_mntns, shared_mntns;
	bool small_pipes_told; /* the warning of pipe_bytes() is given once */
	struct warm_slot *pool; /* ready jails, oldest first */
	unsigned pool_size, pool_n;
	uint64_t pool_memory; /* the memory limit their cgroups have */
	/* The process that makes the pool's jails (broker_pool.c); pid 0:
	 * none, the loop makes them. busy: one is being made. */
	pid_t maker_pid;
	int maker_pidfd, maker_sock;
	bool maker_busy;
	struct watch w_maker;
	struct broker_crash crash;
	/* fakeosd's links to other hosts (remote.c): asked for a name
	 * nobody here serves; true when it took the request (the program
	 * hears OPENED or CLOSED later). NULL: names are local only. */
	bool (*remote_link)(void *arg, struct prog *p, int32_t handle,
			    const char *name);
	void *remote_arg;
	/* fakeosd's broadcast across hosts (netbcast.c): net_wide says
	 * whether the operator made a channel network-wide; net_send takes
	 * a program's broadcast on one after its fan-out here (paid: false
	 * when the sender's quota dropped it, which peers count as lost).
	 * NULL: broadcasts stay on this host. */
	bool (*net_wide)(void *arg, const char *channel);
	void (*net_send)(void *arg, uint64_t scope,
			 const struct proto_broadcast *m, bool paid);
	void *net_arg;
	struct watch *gone; /* W_GONE watches, freed at the turn's end */
	/* A name fakeosd serves itself (its HTTP gateway, httpgw.h): asked
	 * before any program's name, so that no program can stand in for
	 * it; true when it took the request, as remote_link. NULL: none. */
	bool (*own_link)(void *arg, struct prog *p, int32_t handle,
			 const char *name);
	void *own_arg;
};

/* Names that begin with this are the system's (FK_HTTP_NAME): no program
 * may serve one, and a link to one that nothing of the system serves is
 * refused at once. */
#define BROKER_SYSTEM_PREFIX "fakeos."
bool broker_system_name(const char *name);

enum quota_bit { Q_PROGRAMS = 1, Q_LINKS = 2, Q_PEER = 4, Q_SERVICES = 8,
		 Q_SUBS = 16, Q_PENDING = 32, Q_SLOTS_FULL = 64,
		 Q_DELIVERIES = 128, Q_ACCOUNT = 256 };

/* What a program hears when a spawn fails (broker_spawn.c). */
extern const char *const SPAWN_BAD_URL, *const SPAWN_OUTSIDE,
	*const SPAWN_QUOTA, *const SPAWN_CANNOT_FETCH,
	*const SPAWN_NOT_RUNNABLE, *const SPAWN_CANNOT_START,
	*const SPAWN_KILLED;

/* broker.c */
int broker_ep_set(struct broker *b, int op, int fd, uint32_t events,
		  struct watch *w);
void broker_ep_del(struct broker *b, int fd);
void watch_init(struct watch *w, enum watch_kind kind, void *ptr);

/* broker_ctl.c */
int link_to_broker(struct prog *p, const char *name, uint64_t party,
		   int fds[2]);
unsigned party_links(const struct prog *server, uint64_t party);
/* Writes broadcast m (a BROADCAST message) into the control link of each
 * running subscriber of its channel in scope; unpaid, or to a subscriber
 * whose link is full, it is counted lost instead. lost: broadcasts each
 * subscriber missed before this one elsewhere (a network's losses).
 * Returns the subscribers, n. */
unsigned broadcast_fanout(struct broker *b, uint64_t scope,
			  const struct proto_broadcast *m, bool paid,
			  uint32_t lost);

/* broker_prog.c */
struct prog *prog_new(struct tree *t, struct prog *parent, int32_t handle,
		      const char *url);
int prog_start(struct prog *p, int exec_fd, char *const *argv,
	       bool with_stdin, struct error *e);
void prog_reap(struct prog *p);
void prog_free(struct prog *p);
void prog_kill(struct prog *p, const char *fmt, ...) PRINTF(2, 3);
void prog_end(struct prog *p);
void prog_on_notify(struct prog *p, uint32_t events);
struct prog *prog_of(const struct reg_owner *o);
struct prog *prog_find(struct broker *b, uint64_t id);
bool bucket_take(struct bucket *k, unsigned rate, unsigned burst,
		 unsigned n);
void quota_refused(struct prog *p, enum quota_bit bit, const char *what,
		   unsigned limit);
bool ctl_try(struct prog *p, const void *buf, size_t len);
void ctl_flush(struct prog *p);
/* OPENED or INCOMING; peer: the program at the other end of a link
 * (version 5 tells p who it is), NULL for anything else; peer_id: the
 * link's peer or the child's id. */
void send_opened(struct prog *p, enum proto_type type, int32_t handle,
		 uint32_t slot, const struct prog *peer, uint64_t peer_id,
		 uint32_t party_links);
/* What a request refused by a quota is answered with, in p's version. */
int quota_errno(const struct prog *p);
void send_closed(struct prog *p, int32_t handle, int err);
/* send_opened with who the peer is given, not taken from a program of
 * this host: a link from another host (remote.c). */
void send_opened_who(struct prog *p, enum proto_type type, int32_t handle,
		     uint32_t slot, const struct proto_peer *who,
		     uint64_t peer_id, uint32_t party_links);
void send_exited(struct prog *p, int32_t handle, int status,
		 const char *reason);
/* Version 6: why the link to another host in slot s ended (remote.c),
 * sent before its pipe is closed; nothing to an older program. */
void send_link_ended(struct prog *p, uint32_t slot, int status);

/* broker_crash.c */
void broker_crash_on_sigchld(struct broker *b);
bool crash_forbidden(struct prog *p, uint64_t notif_id,
		     const uint64_t args[6]);
void crash_limit(struct prog *p, const char *reason);
void broker_crash_send(struct broker *b);
void broker_crash_close(struct broker *b);

/* broker_ctl.c */
void ctl_on_readable(struct prog *p, uint32_t events);
void slot_close(struct prog *p, int s);
int ctl_expire_waiters(struct broker *b);

void broker_share_netns(struct broker *b, const struct prog *top);

/* broker_pool.c */
void pool_fill_one(struct broker *b);
bool pool_short(const struct broker *b);
bool pool_take(struct broker *b, uint64_t memory, struct warm_slot *out);
void pool_drop(struct broker *b, struct warm_slot *ws);
void pool_drain(struct broker *b);
void maker_answered(struct broker *b);
void maker_stop(struct broker *b);

/* broker_spawn.c */
void spawn_start(struct prog *parent, int32_t handle,
		 const struct proto_spawn *m);
void spawn_finish(struct job *j);
void spawn_cancel(struct job *j);
void spawn_reap_all(struct tree *t);
struct job *spawn_find(struct prog *p, int32_t handle);
unsigned spawn_starting(const struct tree *t);
unsigned prog_pending(const struct prog *p);

#endif
