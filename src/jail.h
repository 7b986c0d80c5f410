/* jail.h — starting one program in a jail: fresh namespaces, an empty
 * read-only root, no capabilities, no_new_privs, Landlock, rlimits and the
 * seccomp filter, then execveat of the program's sealed memfd. The stages
 * are in jail.c, in the order they run. */
#ifndef FAKEOS_JAIL_H
#define FAKEOS_JAIL_H

#include <linux/filter.h>
#include <sys/types.h>

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
};

struct jail_proc {
	pid_t pid;
	int pidfd; /* for waitid(P_PIDFD) and pidfd_send_signal */
	int notify_fd; /* seccomp user notifications: forbidden calls */
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
