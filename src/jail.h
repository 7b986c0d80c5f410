/* jail.h — starting one program in a jail: fresh namespaces, an empty
 * read-only root, no capabilities, no_new_privs, Landlock, rlimits and the
 * seccomp filter, then execveat of the program's sealed memfd. The stages
 * are in jail.c, in the order they run. */
#ifndef FAKEOS_JAIL_H
#define FAKEOS_JAIL_H

#include <linux/filter.h>
#include <sys/types.h>

#include "ring.h"
#include "util.h"

/* Descriptor numbers inside the jail before the exec. 0-2 are the console
 * and JAIL_FIRST_PASS_FD.. carry the descriptors the launcher hands over by
 * design; the two below are close-on-exec, so the program never sees them.
 * The filter's sendmsg rule is pinned to JAIL_SYNC_FD, and RLIMIT_NOFILE
 * keeps every descriptor a program could make below both. */
#define JAIL_FIRST_PASS_FD 3
#define JAIL_MAX_PASS_FDS 4
#define JAIL_EXEC_FD 8
#define JAIL_SYNC_FD 9

/* The program's uid and gid inside its user namespace. Outside, they map to
 * the invoking user (unprivileged launch) or to nobody:nogroup (root). */
#define JAIL_INNER_ID 1000
#define JAIL_ROOT_OUTER_ID 65534

struct jail_limits {
	uint64_t memory; /* bytes of address space (RLIMIT_AS), 0 none */
	uint64_t cpu_seconds; /* RLIMIT_CPU, 0 none */
};

struct jail_config {
	int exec_fd; /* the sealed memfd holding the program */
	char *const *argv; /* argv[0] is what the program sees as its name */
	const struct sock_fprog *filter; /* compiled for JAIL_EXEC_FD and
					    JAIL_SYNC_FD (policy_compile) */
	struct jail_limits limits;
	int console[3]; /* become the program's fds 0, 1 and 2 */
	int pass_fds[JAIL_MAX_PASS_FDS]; /* become fds 3.. in order */
	unsigned n_pass;
	/* pass_fds[0] is a disabled io_uring: the child enables it last
	 * before the filter, so that the program's task is its submitter. */
	bool enable_ring;
	int cgroup_fd; /* a cgroup v2 directory to start in, or -1 */
	/* A cgroup v1 group's cgroup.procs, open for writing, or -1: the
	 * launcher moves the child there before it releases it. */
	int cgroup_procs_fd;
	/* An empty network namespace to share instead of making a new one,
	 * and the launcher's own to return to (both -1: a new one). */
	int netns_fd, home_netns_fd;
	/* The shared empty mount namespace to clone the program's from, and
	 * the launcher's own to return to (both -1: the child builds its
	 * empty root itself). */
	int mntns_fd, home_mntns_fd;
	const char *hostname; /* the UTS namespace's name, "fakeos" */
	/* Trace the program (PTRACE_SEIZE) from its exec on, for crash
	 * reports: seized while the exec waits in its notification. */
	bool trace;
};

struct jail_proc {
	pid_t pid;
	int pidfd; /* for waitid(P_PIDFD) and pidfd_send_signal */
	int notify_fd; /* seccomp user notifications: forbidden calls */
	bool traced; /* the launcher is its tracer (jail_config.trace) */
};

/* Where the jail is weaker than it could be on this kernel, for -v. */
struct jail_report {
	int landlock_abi; /* 0: Landlock unavailable */
};

/* Starts the program. Returns when it has been exec'd (or failed to be):
 * on success p is filled and the program runs; on failure the message says
 * which stage failed ("jail: mount: Operation not permitted"). */
int jail_spawn(const struct jail_config *c, struct jail_proc *p,
	       struct error *e);

/* --- warm jails (jail_warm.c) ----------------------------------------------
 *
 * A warm jail is a jail_spawn split in two. jail_warm_prepare does every step
 * that does not depend on the program, and leaves a process that waits:
 *
 *   prepare (ahead, untimed)             launch (per program)
 *   ------------------------             --------------------
 *   the program's ring (ring_create)     the program, argv, filter, limits,
 *   clone3 into the namespaces (and        console and other passed fds,
 *     the shape's cgroup), id maps         sent in one message (SCM_RIGHTS)
 *   parent-death signal, empty root,     fds to their numbers, close the rest
 *     hostname, bounding/ambient sets,   rlimits
 *     securebits, Landlock, signals,     enable the ring (its one submitter)
 *     new session                        seccomp filter (always last)
 *   drop to the jail's uid, no caps,     exec
 *     no_new_privs; closes every fd
 *     but the sync socket and the ring
 *
 * While it waits the process holds no capability and two descriptors, and
 * dies with its parent thread (PR_SET_PDEATHSIG). Each warm jail runs one
 * program, once: a launch consumes it, whatever the outcome.
 *
 * The ring is made at prepare and inherited, not sent: the kernel refuses
 * io_uring descriptors in SCM_RIGHTS (EINVAL since Linux 6.7). So the
 * broker uses w->ring for the program (install its control link, write the
 * boot page from w->ring.params) and passes w->ring.fd as pass_fds[0].
 *
 * Wiring, for the broker (prog_start):
 *  - Pool: jail_warm_prepare from the event loop's thread (the parent-death
 *    signal follows the thread that cloned), shape = the shared netns/mntns
 *    and home fds, "fakeos", ring = true, and a cgroup made for this jail:
 *    cgroup_create with an id the broker allots now and the pool's default
 *    limits; pass its clone_fd / procs_fd in the shape, close them after
 *    prepare (cgroup_join_close), and keep the id with the jail. Watch
 *    w->sync for EPOLLIN to know it is ready (optional), and reap only
 *    through pidfds (a waitpid(-1) would steal a pool jail).
 *  - Launch: take a jail; the program's id becomes the jail's cgroup id.
 *    If the program's memory limit differs from the pool's, rewrite its
 *    group's memory.max (cgroup.c has no call for that yet: add one) before
 *    the launch. Then, instead of ring_create: ring = w->ring; install the
 *    control link in slot 0 (ring_install, the ring is still disabled) and
 *    make the boot page from ring.params, exactly as now; build the same
 *    jail_config (pass_fds = { w->ring.fd, boot }, enable_ring) and call
 *    jail_warm_launch instead of jail_spawn. On success: p->ring =
 *    w->ring.fd, w->ring.fd = -1, jail_warm_discard(w). On -EAGAIN (the
 *    jail had died; nothing ran): discard it, remove its cgroup, and launch
 *    cold (jail_spawn with a fresh ring and group). Any other error: as
 *    jail_spawn's now. Refill the pool afterwards, outside the launch.
 *  - Reload, stop: jail_warm_discard each idle jail, then remove its
 *    cgroup (cgroup_remove). */

/* What every jail of a pool shares; fixed at prepare. The fields mean what
 * jail_config's of the same names mean. */
struct jail_shape {
	int netns_fd, home_netns_fd;
	int mntns_fd, home_mntns_fd;
	const char *hostname;
	/* The cgroup the jail lives in from its first instruction: a v2
	 * directory for CLONE_INTO_CGROUP, or a v1 cgroup.procs to write its
	 * pid to; -1 when unused. Made per warm jail at prepare (it is chosen
	 * at clone time); the broker writes its limits (see "Wiring"). */
	int cgroup_fd, cgroup_procs_fd;
	bool ring; /* make the program's ring (ring_create) at prepare */
	/* Clone the jail as the caller's sibling (CLONE_PARENT): a process
	 * that prepares jails for its parent, the broker, so that the broker
	 * waits for them by pidfd as for its own (broker_pool.c). */
	bool clone_parent;
};

struct jail_warm {
	pid_t pid; /* -1 once launched or discarded */
	int pidfd;
	/* Readable once the jail is ready for a launch (or has failed): a
	 * broker may watch it, or just launch, which waits for it. */
	int sync;
	struct ring ring; /* fd -1 without shape->ring; the caller's */
	bool used;
};

/* Starts a warm jail. Returns when the child has been cloned and released;
 * it finishes its preparation on its own (about the cost of a cold launch
 * minus the exec), and a launch waits for that. On failure nothing is left. */
int jail_warm_prepare(const struct jail_shape *shape, struct jail_warm *w,
		      struct error *e);

/* Launches c's program in w, as jail_spawn would: on success p is filled
 * and the program runs. c's shape fields (netns_*, mntns_*, hostname,
 * cgroup_*) are ignored, the jail has its shape's. With shape->ring,
 * c->enable_ring must be set and c->pass_fds[0] must be w->ring.fd. c's
 * descriptors stay the caller's (the jail gets copies).
 * Errors: -EINVAL (w already used, or c malformed), -E2BIG (argv or filter
 * larger than JAIL_WARM_ARGV_MAX / BPF_MAXINSNS), -EAGAIN (the jail had
 * failed or died before it got the program: nothing was run, launch it
 * elsewhere), else the stage that failed, as jail_spawn's. Whatever the
 * outcome w is used up: call jail_warm_discard next. */
int jail_warm_launch(struct jail_warm *w, const struct jail_config *c,
		     struct jail_proc *p, struct error *e);

/* Ends what is left of w: kills and reaps an unlaunched jail, closes its
 * descriptors and w->ring.fd (set it to -1 first to keep the ring).
 * Idempotent; safe on a zeroed-then-failed prepare. */
void jail_warm_discard(struct jail_warm *w);

/* The launch message, broker to warm jail, one SOCK_SEQPACKET datagram:
 * this header, filter_len sock_filter instructions, then argv_len bytes of
 * argc NUL-terminated strings. SCM_RIGHTS carries exec_fd, console[0..2],
 * then pass_fds[] without the ring (a jail with a ring has it already, as
 * pass_fds[0]). Public for the tests that send a malformed one. */
#define JAIL_WARM_MAGIC 0x4d524157u /* "WARM" */
#define JAIL_WARM_ARGC_MAX 1024
#define JAIL_WARM_ARGV_MAX (64 * 1024)
struct jail_warm_msg {
	uint32_t magic;
	uint32_t n_pass; /* pass fds in the jail, the ring among them */
	uint32_t enable_ring;
	uint32_t filter_len;
	uint32_t argc;
	uint32_t argv_len;
	uint64_t memory, cpu_seconds; /* struct jail_limits */
};

/* For a root launcher: the empty network namespace every launch on this
 * host shares, bind-mounted at JAIL_NETNS_PATH and made on first use.
 * Making a new one costs most of a millisecond at each launch; no
 * program can make a socket or an interface, so one is as empty as many.
 * *out receives it; -EPERM when not root, or when the launcher's own
 * network namespace is not its user namespace's (a root launcher in a
 * container): then each launch makes its own. */
#define JAIL_RUN_DIR "/run/fakeos"
#define JAIL_NETNS_PATH JAIL_RUN_DIR "/netns"
int jail_shared_netns(int *out, struct error *e);

/* For a root launcher: a mount namespace that holds one mount, the empty
 * read-only tmpfs a jail's root is, bind-mounted at JAIL_MNTNS_PATH and made
 * on first use. A program's mount namespace is cloned from it instead of
 * from the launcher's: the copy is that one mount, already the root, where
 * a copy of the host's tree would have to be detached again (the largest
 * part of building the root) and torn down at exit. The mount is read-only
 * and locked read-only in every copy (each is owned by the program's user
 * namespace), so sharing its superblock shares nothing writable. *out
 * receives it; -EPERM as for jail_shared_netns. */
#define JAIL_MNTNS_PATH JAIL_RUN_DIR "/mntns"
int jail_shared_mntns(int *out, struct error *e);

/* Is this process's namespace NAME ("net", "mnt") owned by its own user
 * namespace, so that it can come back to it after entering another? Not
 * for a root launcher in a container's user namespace. */
bool jail_own_ns_is_ours(const char *name);

/* Probes what the kernel offers, without starting anything. */
void jail_probe(struct jail_report *r);

#endif
