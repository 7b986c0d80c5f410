/* jail_int.h — what jail.c and jail_warm.c share, and nothing else uses:
 * the two halves of a launch (start the child, finish the launch) and the
 * warm child's receipt of its program. jail.h is the module's interface. */
#ifndef FAKEOS_JAIL_INT_H
#define FAKEOS_JAIL_INT_H

#include "jail.h"

/* Messages on the sync socket, child to launcher. */
enum { JAIL_MSG_ERROR = 'E', JAIL_MSG_LISTENER = 'L', JAIL_MSG_READY = 'R' };

/* Launcher: clones the child into the shape's namespaces and cgroup, writes
 * its id maps and releases it. With c, the child goes on to run c's
 * program (jail_spawn); without, it is a warm jail that keeps keep_fd (the
 * ring, or -1) and waits for a launch message. On success *pid, *pidfd and
 * *sync (the launcher's end of the sync socket) are set; on failure the
 * child is gone. */
int jail_start(const struct jail_shape *s, const struct jail_config *c,
	       int keep_fd, pid_t *pid, int *pidfd, int *sync,
	       struct error *e);

/* Launcher: waits for the child's report through its exec (the seccomp
 * listener, the exec let through). On success fills p (taking pidfd); on
 * failure kills and reaps the child and closes pidfd. */
int jail_finish(int sync, pid_t pid, int pidfd, struct jail_proc *p,
		struct error *e);

/* Kills and reaps the child behind pidfd, and closes it. */
void jail_kill(int pidfd);

/* Warm child (jail_warm.c): receives and checks the launch message on
 * JAIL_SYNC_FD. ring_fd is the ring it kept, or -1. On success *out is the
 * program's config (static storage); else -errno and *step names what was
 * wrong. */
int jail_warm_receive(int ring_fd, const struct jail_config **out,
		      const char **step);

#endif
