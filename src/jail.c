/* jail.c — the privileged path of a launch, after fetch and verify
 * (program.c): prepare the jail, drop privileges, filter, exec.
 *
 * Read this file top to bottom. jail_spawn() runs in the launcher; every
 * function after it up to exec_program() runs in the child, in the order
 * child_main() calls them, and each says why it comes where it does.
 *
 *   launcher                          child
 *   --------                          -----
 *   clone3(all namespaces) ---------> child_main
 *   write_id_maps                       die_with_parent
 *   join_cgroup_v1                      make_empty_root
 *                                       set_hostname
 *   release child ------------------>   wait_for_parent  (blocks on sync)
 *                                       drop_privileges
 *                                       restrict_landlock
 *                                       arrange_fds
 *                                       set_limits
 *                                       reset_process_state
 *   receive listener <--------------    apply_filter
 *   see sync close (exec done) <----    exec_program
 *
 * A child that fails a stage sends one message on the sync socket and exits;
 * the launcher reports it and never runs a program it could not jail.
 *
 * A warm jail (jail.h; the launcher's side is jail_warm.c) runs the same
 * child_main with no program yet: it keeps only its sync socket and ring
 * (keep_for_launch) instead of arrange_fds, and after drop_privileges
 * says it is ready and waits for the launch message (wait_for_launch),
 * which gives it the config; from arrange_fds on, both paths are one. */
#include "jail_int.h"

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/mount.h>
#include <linux/nsfs.h>
#include <linux/sched.h>
#include <linux/securebits.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crash.h"
#include "log.h"
#include "ring.h"

/* Landlock's ABI, defined here because Debian 12's kernel headers stop at
 * ABI 2 and the kernel may offer more. Values are from the kernel UAPI. */
#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#define __NR_landlock_restrict_self 446
#endif
#define LL_CREATE_RULESET_VERSION (1U << 0)
struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net; /* ABI 4 */
	uint64_t scoped; /* ABI 6 */
};

#ifndef SECBIT_NO_CAP_AMBIENT_RAISE
#define SECBIT_NO_CAP_AMBIENT_RAISE (1 << 6)
#define SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED (1 << 7)
#endif


_Static_assert(JAIL_FIRST_PASS_FD + JAIL_MAX_PASS_FDS + 1 <= JAIL_EXEC_FD,
	       "RLIMIT_NOFILE must keep programs below the launch descriptors");

struct child {
	const struct jail_config *c; /* NULL: a warm jail, told at launch */
	int sync; /* the child's end of the sync socket */
	int keep_fd; /* a warm jail's ring, or -1 */
	uid_t inner_uid;
	gid_t inner_gid;
	cap_t no_caps; /* allocated by the parent: see jail_start */
	bool root_ready; /* cloned from the shared empty mount namespace */
	const char *hostname;
};

/* In the child only: where child_fail reports. The sync socket keeps the
 * number it had in the launcher until arrange_fds gives it JAIL_SYNC_FD, so
 * that it can never land on a descriptor that is still to be moved. */
static int child_sync_fd = -1;

static NORETURN void child_main(const struct child *ch);

/* --- launcher side ------------------------------------------------------ */

static int write_file_at(pid_t pid, const char *name, const char *text,
			 struct error *e)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	cleanup_fd int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return error_sys(e, errno, "jail: open %s", path);
	int r = write_full(fd, text, strlen(text));
	if (r < 0)
		return error_sys(e, -r, "jail: write %s", path);
	return 0;
}

/* Maps the one uid and gid the program has. An unprivileged launcher can
 * only map itself; root maps the program to nobody, so that it owns nothing
 * on the host. setgroups is denied first: the kernel requires that before
 * an unprivileged gid_map, and the program must never drop into a group
 * that would then let it read files denied to "others". */
/* Is id mapped in this process's user namespace (map: "uid_map" or
 * "gid_map")? A root launcher in a container's user namespace may not have
 * nobody: `unshare -Ur` maps only 0. */
static bool id_mapped(const char *map, unsigned long id)
{
	/* A map has at most 340 lines of three numbers each (the kernel's
	 * limit). read_text, not stdio, which would allocate (and with musl,
	 * map and unmap) a buffer at every launch. */
	char path[64], text[340 * 36 + 1];
	snprintf(path, sizeof(path), "/proc/self/%s", map);
	if (read_text(AT_FDCWD, path, text, sizeof(text)) < 0)
		return false;
	/* Triples of numbers, a line each; strtoul skips the newlines. */
	for (char *p = text;;) {
		unsigned long v[3];
		char *end;
		for (int n = 0; n < 3; n++, p = end) {
			errno = 0;
			v[n] = strtoul(p, &end, 10);
			if (end == p || errno)
				return false;
		}
		if (id >= v[0] && id - v[0] < v[2])
			return true;
	}
}

static int write_id_maps(pid_t pid, struct error *e)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();
	/* Root's program runs as nobody where nobody exists; else (uid 0 of
	 * a user namespace without it) as that root, unprivileged outside
	 * its namespace, exactly as an unprivileged launch runs as its
	 * user. */
	if (uid == 0 && id_mapped("uid_map", JAIL_ROOT_OUTER_ID) &&
	    id_mapped("gid_map", JAIL_ROOT_OUTER_ID)) {
		uid = JAIL_ROOT_OUTER_ID;
		gid = JAIL_ROOT_OUTER_ID;
	}
	char map[64];
	int r = write_file_at(pid, "setgroups", "deny", e);
	if (r < 0)
		return r;
	snprintf(map, sizeof(map), "%d %u 1\n", JAIL_INNER_ID, uid);
	r = write_file_at(pid, "uid_map", map, e);
	if (r < 0)
		return r;
	snprintf(map, sizeof(map), "%d %u 1\n", JAIL_INNER_ID, gid);
	return write_file_at(pid, "gid_map", map, e);
}

/* The launch itself. The filter does not allow execveat: it cannot see the
 * path, and execveat(fd, "/abs/path", ...) ignores fd, so no rule on the
 * arguments could pin it to the memfd. Instead the child's execveat is a
 * user notification like every other forbidden call, and the launcher lets
 * the first one through (SECCOMP_USER_NOTIF_FLAG_CONTINUE) while nothing
 * but jail.c runs in the child: between handing over the listener and the
 * exec there is no program yet. Any later execveat is the program's, and
 * the broker kills it like any forbidden call. */
static int let_exec_through(int listener, pid_t pid, bool *trace,
			    struct error *e)
{
	struct seccomp_notif_sizes sizes;
	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0)
		return error_sys(e, errno, "jail: seccomp notification sizes");
	size_t sz = sizes.seccomp_notif > sizeof(struct seccomp_notif)
			    ? sizes.seccomp_notif
			    : sizeof(struct seccomp_notif);
	size_t rsz = sizes.seccomp_notif_resp >
				     sizeof(struct seccomp_notif_resp)
			     ? sizes.seccomp_notif_resp
			     : sizeof(struct seccomp_notif_resp);
	cleanup_free struct seccomp_notif *req = xcalloc(1, sz);
	cleanup_free struct seccomp_notif_resp *resp = xcalloc(1, rsz);
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, req) < 0)
		return error_sys(e, errno, "jail: receiving the exec");
	if (req->pid != (uint32_t)pid || req->data.nr != __NR_execveat ||
	    req->data.arch != AUDIT_ARCH_X86_64)
		return error_set(e, EPROTO,
				 "jail: system call %d before the exec", 
				 req->data.nr);
	/* Traced from here, before a single instruction of the program
	 * runs: the exec waits for our answer. A tracer the kernel refuses
	 * costs only the crash reports. Seizing does not interrupt the
	 * notification, so its id stays valid (unlike PTRACE_INTERRUPT). */
	if (*trace && crash_seize(pid) < 0) {
		log_debug("jail: no crash reports for pid %d: ptrace: %s",
			  (int)pid, strerror(errno));
		*trace = false;
	}
	resp->id = req->id;
	resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, resp) < 0)
		return error_sys(e, errno, "jail: letting the exec through");
	return 0;
}

/* Reads the child's report: the number of its listener descriptor (the
 * filter is in place), which we take with pidfd_getfd, then the exec to
 * let through, an error message (a stage failed), or end of file (the exec closed the close-on-exec sync socket:
 * the program is running). */
static int receive_report(int sync, pid_t pid, int pidfd, int *listener,
			  bool *trace, struct error *e)
{
	char buf[sizeof(e->msg)];
	bool exec_done = false, reset_seen = false;
	for (;;) {
		if (*listener >= 0 && !exec_done) {
			struct pollfd pf[2] = { { sync, POLLIN, 0 },
						{ *listener, POLLIN, 0 } };
			if (poll(pf, 2, -1) < 0) {
				if (errno == EINTR)
					continue;
				return error_sys(e, errno, "jail: poll");
			}
			if ((pf[1].revents & POLLIN) &&
			    !(pf[0].revents & POLLIN)) {
				int r = let_exec_through(*listener, pid, trace,
							     e);
				if (r < 0)
					return r;
				exec_done = true;
				continue;
			}
		}
		/* No control buffer: the child sends no descriptors, and any
		 * it tried to would be discarded by the kernel (MSG_CTRUNC). */
		ssize_t n = recv(sync, buf, sizeof(buf) - 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		/* A child that ended with a message of ours unread makes the
		 * kernel report ECONNRESET once, before what it sent last
		 * (its error, if it said one): read on. */
		if (n < 0 && errno == ECONNRESET && !reset_seen) {
			reset_seen = true;
			continue;
		}
		if (n < 0)
			return error_sys(e, errno, "jail: sync");
		if (n == 0)
			return *listener >= 0 && exec_done
				       ? 0
				       : error_set(e, EPROTO,
						   "jail: child exited during setup");
		if (n == 1 + (ssize_t)sizeof(int) && buf[0] == JAIL_MSG_LISTENER &&
		    *listener < 0) {
			int num;
			memcpy(&num, buf + 1, sizeof(num));
			*listener = (int)syscall(SYS_pidfd_getfd, pidfd, num, 0);
			if (*listener < 0)
				return error_sys(e, errno, "jail: taking the "
							   "seccomp listener");
			continue;
		}
		if (n > 1 && buf[0] == JAIL_MSG_ERROR) {
			buf[n] = '\0';
			return error_set(e, EPERM, "jail: %s", buf + 1);
		}
		return error_set(e, EPROTO, "jail: unexpected message from child");
	}
}

/* Enters the shared empty mount namespace for the clone, keeping the
 * launcher's root and working directory in saved (setns moves both to the
 * namespace's root). false: not entered (no shared namespace, or setns
 * refused, e.g. in a process that shares its fs_struct): then the child
 * builds its root itself, the same root at a higher cost. */
static bool enter_empty_root(const struct jail_shape *c, int saved[2])
{
	if (c->mntns_fd < 0 || c->home_mntns_fd < 0)
		return false;
	saved[0] = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	saved[1] = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (saved[0] >= 0 && saved[1] >= 0 &&
	    setns(c->mntns_fd, CLONE_NEWNS) == 0)
		return true;
	log_debug("jail: not cloning from %s: %s", JAIL_MNTNS_PATH,
		  strerror(errno));
	for (int i = 0; i < 2; i++)
		if (saved[i] >= 0)
			close(saved[i]);
	return false;
}

/* Back to the launcher's mount namespace, root (it may have been chrooted)
 * and working directory. A launcher left in the empty root could reach
 * neither its cache nor its policy: stop instead. */
static void leave_empty_root(const struct jail_shape *c, int saved[2])
{
	if (setns(c->home_mntns_fd, CLONE_NEWNS) < 0 || fchdir(saved[0]) < 0 ||
	    chroot(".") < 0 || fchdir(saved[1]) < 0)
		log_fatal("jail: cannot return to the launcher's mount "
			  "namespace: %s",
			  strerror(errno));
	close(saved[0]);
	close(saved[1]);
}

/* cgroup v1 has no CLONE_INTO_CGROUP: the child is moved into its group
 * here, while it waits for the release, so that everything the program
 * makes the kernel allocate (io_uring requests above all) is charged to
 * the group's memory limit from its first instruction. What the child
 * allocated before (its namespaces, its root) stays charged to us: v1
 * moves no charges by default (memory.move_charge_at_immigrate 0). */
static int join_cgroup_v1(const struct jail_shape *c, pid_t pid,
			  struct error *e)
{
	if (c->cgroup_procs_fd < 0)
		return 0;
	char num[16];
	int n = snprintf(num, sizeof(num), "%d", (int)pid);
	if (write(c->cgroup_procs_fd, num, (size_t)n) != n)
		return error_sys(e, errno, "jail: moving the child into its "
					   "cgroup v1 group");
	return 0;
}

int jail_start(const struct jail_shape *s, const struct jail_config *c,
	       int keep_fd, pid_t *pid_out, int *pidfd_out, int *sync_out,
	       struct error *e)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return error_sys(e, errno, "jail: socketpair");
	cleanup_fd int sync = sv[0];
	cleanup_fd int child_sync = sv[1];

	/* The child allocates nothing: clone3 copies only the calling
	 * thread, so a malloc lock held by any other thread (libcurl's
	 * resolver, say) would be held for ever in the child. What it needs
	 * from the heap is made here. */
	cap_t no_caps = cap_init();
	if (!no_caps)
		return error_sys(e, errno, "jail: cap_init");

	/* All namespaces in one clone3: the user namespace is created first
	 * and owns the others, so this works without privilege too. */
	int pidfd = -1;
	struct clone_args args = {
		.flags = CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS |
			 CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS |
			 CLONE_NEWCGROUP | CLONE_PIDFD,
		.pidfd = (uint64_t)(uintptr_t)&pidfd,
		.exit_signal = SIGCHLD,
	};
	/* clone3 takes no exit signal with CLONE_PARENT: the child gets
	 * the caller's own, SIGCHLD for a fork of the broker. */
	if (s->clone_parent) {
		args.flags |= CLONE_PARENT;
		args.exit_signal = 0;
	}
	if (s->cgroup_fd >= 0) {
		args.flags |= CLONE_INTO_CGROUP;
		args.cgroup = (uint64_t)s->cgroup_fd;
	}
	/* A shared empty network namespace: entered just for the clone, so
	 * the child starts in it; making a new one costs most of a
	 * millisecond and kernel memory per program. */
	bool shared_net = false;
	if (s->netns_fd >= 0) {
		/* Refused (EPERM) where a root launcher runs in a user
		 * namespace that does not own it: then a new one. */
		shared_net = setns(s->netns_fd, CLONE_NEWNET) == 0;
		if (shared_net)
			args.flags &= ~(uint64_t)CLONE_NEWNET;
		else
			log_debug("jail: not entering %s: %s", JAIL_NETNS_PATH,
				  strerror(errno));
	}
	int saved[2] = { -1, -1 };
	bool root_ready = enter_empty_root(s, saved);
	pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
	if (pid != 0 && root_ready)
		leave_empty_root(s, saved);
	if (pid != 0 && shared_net &&
	    setns(s->home_netns_fd, CLONE_NEWNET) < 0)
		/* Staying in the empty namespace would cut the launcher off
		 * the network it fetches programs from: stop instead. */
		log_fatal("jail: cannot return to the launcher's network "
			  "namespace: %s",
			  strerror(errno));
	if (pid < 0) {
		cap_free(no_caps);
		return error_sys(e, errno, "jail: clone3 (new namespaces)");
	}
	if (pid == 0) {
		close(sync);
		struct child ch = { .c = c, .sync = child_sync,
				    .keep_fd = keep_fd, .no_caps = no_caps,
				    .root_ready = root_ready,
				    .hostname = s->hostname };
		ch.inner_uid = JAIL_INNER_ID;
		ch.inner_gid = JAIL_INNER_ID;
		child_sync_fd = child_sync;
		child_main(&ch);
	}
	close(steal_fd(&child_sync));
	cap_free(no_caps);

	int r = write_id_maps(pid, e);
	if (r == 0)
		r = join_cgroup_v1(s, pid, e);
	if (r == 0 && write(sync, "g", 1) != 1)
		r = error_sys(e, errno, "jail: release child");
	if (r < 0) {
		jail_kill(pidfd);
		return r;
	}
	*pid_out = pid;
	*pidfd_out = pidfd;
	*sync_out = steal_fd(&sync);
	return 0;
}

void jail_kill(int pidfd)
{
	syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
	siginfo_t si;
	while (waitid(P_PIDFD, (id_t)pidfd, &si, WEXITED) < 0 && errno == EINTR)
		;
	close(pidfd);
}

int jail_finish(int sync, pid_t pid, int pidfd, struct jail_proc *p,
		struct error *e)
{
	int listener = -1;
	int r = receive_report(sync, pid, pidfd, &listener, &p->traced, e);
	if (r < 0) {
		jail_kill(pidfd);
		if (listener >= 0)
			close(listener);
		return r;
	}
	p->pid = pid;
	p->pidfd = pidfd;
	p->notify_fd = listener;
	return 0;
}

int jail_spawn(const struct jail_config *c, struct jail_proc *p,
	       struct error *e)
{
	if (c->n_pass > JAIL_MAX_PASS_FDS)
		return error_set(e, EINVAL, "jail: too many descriptors to pass");
	const struct jail_shape shape = {
		.netns_fd = c->netns_fd, .home_netns_fd = c->home_netns_fd,
		.mntns_fd = c->mntns_fd, .home_mntns_fd = c->home_mntns_fd,
		.hostname = c->hostname, .cgroup_fd = c->cgroup_fd,
		.cgroup_procs_fd = c->cgroup_procs_fd,
	};
	pid_t pid = -1;
	int pidfd = -1;
	cleanup_fd int sync = -1;
	int r = jail_start(&shape, c, -1, &pid, &pidfd, &sync, e);
	if (r < 0)
		return r;
	p->traced = c->trace;
	return jail_finish(sync, pid, pidfd, p, e);
}

/* --- child side ---------------------------------------------------------- */

static NORETURN PRINTF(1, 2) void child_fail(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	msg[0] = JAIL_MSG_ERROR;
	va_start(ap, fmt);
	int n = vsnprintf(msg + 1, sizeof(msg) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	size_t len = 1 + ((size_t)n < sizeof(msg) - 1 ? (size_t)n
						       : sizeof(msg) - 2);
	/* sendmsg, not write: it is the one call the filter allows on the
	 * sync socket, so this works before and after apply_filter. */
	struct iovec iov = { msg, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	(void)sendmsg(child_sync_fd, &mh, MSG_NOSIGNAL);
	_exit(126);
}

#define child_check(expr, what)                                                \
	do {                                                                   \
		if ((expr) < 0)                                                \
			child_fail("%s: %s", what, strerror(errno));           \
	} while (0)

/* Die with the launcher: a program must never outlive the broker that
 * relays its console and polices its system calls. */
static void die_with_parent(void)
{
	child_check(prctl(PR_SET_PDEATHSIG, SIGKILL), "prctl(PDEATHSIG)");
}

/* The parent writes our id maps, then releases us. Until then we are
 * nobody in the new namespace, and if the parent died we must not run on. */
static void wait_for_parent(int sync)
{
	char go;
	ssize_t n;
	do
		n = read(sync, &go, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		_exit(126);
}

/* An empty, read-only tmpfs becomes the root: there is no /proc, /dev, /tmp
 * or any host path to reach. Mount propagation is made private first so
 * nothing done here can appear on the host (a root launcher's mount
 * namespace would otherwise share mounts with it). The new mount API gives a
 * descriptor for the new root, so this needs no directory on the host to
 * mount on; pivot_root(".", ".") then stacks the old root under the new
 * one, and the detach unmounts it for good. Run in a new mount namespace:
 * the jail child's own, or the shared one (jail_shared_mntns). Returns
 * -errno and names the step that failed in *step. */
static int build_empty_root(const char **step)
{
	int fs = -1, mnt = -1, r = 0;
#define STEP(expr, what)                                                       \
	do {                                                                   \
		if (r == 0 && (expr) < 0) {                                    \
			r = -errno;                                            \
			*step = what;                                          \
		}                                                              \
	} while (0)
	STEP(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL),
	     "make / private");
	STEP(fs = (int)syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC),
	     "fsopen(tmpfs)");
	STEP(syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "size", "4k", 0),
	     "fsconfig(size)");
	STEP(syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "nr_inodes", "1",
		     0),
	     "fsconfig(nr_inodes)");
	STEP(syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "mode", "0555", 0),
	     "fsconfig(mode)");
	STEP(syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0),
	     "fsconfig(create)");
	STEP(mnt = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC,
				MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
					MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC),
	     "fsmount(tmpfs)");
	STEP(syscall(SYS_move_mount, mnt, "", AT_FDCWD, "/",
		     MOVE_MOUNT_F_EMPTY_PATH),
	     "move_mount(/)");
	STEP(fchdir(mnt), "fchdir(new root)");
	STEP(syscall(SYS_pivot_root, ".", "."), "pivot_root");
	STEP(umount2(".", MNT_DETACH), "detach old root");
	STEP(chdir("/"), "chdir(/)");
#undef STEP
	if (mnt >= 0)
		close(mnt);
	if (fs >= 0)
		close(fs);
	return r;
}

/* The root: already in place when the child was cloned from the shared
 * empty mount namespace (its copy holds one mount, the empty tmpfs, and
 * the clone put root and cwd on it); built here otherwise. */
static void make_empty_root(bool ready)
{
	const char *step = "";
	int r = ready ? 0 : build_empty_root(&step);
	if (r < 0)
		child_fail("%s: %s", step, strerror(-r));
}

static void set_hostname(const char *name)
{
	if (name)
		child_check(sethostname(name, strlen(name)), "sethostname");
}

/* Privileges go in two steps, in the only order that works. First, while
 * we still hold every capability of the new namespace, the securebits and
 * the bounding and ambient sets (they need CAP_SETPCAP); this runs before
 * the id maps are written. Then drop_privileges: the switch to the
 * unprivileged uid clears the permitted and effective sets (KEEP_CAPS is
 * off and locked), and the inheritable set is cleared explicitly. The
 * effective, permitted and inheritable sets are read back with capget,
 * because a jail that only believes it dropped capabilities is not one;
 * each bounding-set drop is checked by its result, and the ambient set is
 * checked by one capability (it cannot hold any the permitted set lacks).
 * no_new_privs comes last: it is what makes an unprivileged seccomp filter
 * possible, and it stops any exec from ever granting privilege again. */
static void lock_capability_sets(void)
{
	/* NOROOT: uid 0 gains nothing at exec. The _LOCKED bits make every
	 * choice permanent for this process and everything it execs. */
	unsigned bits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED |
			SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED |
			SECBIT_NO_CAP_AMBIENT_RAISE |
			SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;
	child_check(cap_set_secbits(bits), "lock securebits");
	/* cap_max_bits() is the running kernel's count, which may be
	 * larger than the headers' CAP_LAST_CAP. Each drop is checked, and
	 * the kernel refuses a drop it did not do, so there is nothing more
	 * to read back for this set. */
	cap_value_t ncaps = (cap_value_t)cap_max_bits();
	for (cap_value_t cv = 0; cv < ncaps; cv++)
		child_check(cap_drop_bound(cv), "drop bounding set");
	child_check(cap_reset_ambient(), "clear ambient capabilities");
}

static void drop_privileges(const struct child *ch)
{
	child_check(setresgid(ch->inner_gid, ch->inner_gid, ch->inner_gid),
		    "setresgid");
	child_check(setresuid(ch->inner_uid, ch->inner_uid, ch->inner_uid),
		    "setresuid");

	child_check(cap_set_proc(ch->no_caps), "clear capabilities");
	/* Read back with capget itself: cap_get_proc would allocate. */
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	child_check(syscall(SYS_capget, &hdr, data), "capget");
	for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
		if (data[i].effective || data[i].permitted ||
		    data[i].inheritable)
			child_fail("capabilities still held after dropping them");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_RAW, 0, 0) > 0)
		child_fail("ambient capabilities still set");

	child_check(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs");
	/* Changing the uid cleared the parent-death signal; set it again,
	 * then make sure the parent did not die in between. */
	child_check(prctl(PR_SET_PDEATHSIG, SIGKILL), "prctl(PDEATHSIG)");
	struct pollfd pfd = { .fd = JAIL_SYNC_FD, .events = POLLRDHUP };
	if (poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLRDHUP | POLLHUP)))
		_exit(126);
}

static int jail_landlock_abi(void)
{
	long abi = syscall(__NR_landlock_create_ruleset, NULL, 0,
			   LL_CREATE_RULESET_VERSION);
	return abi < 0 ? 0 : (int)abi;
}

/* Landlock with no rules: every handled access is denied. The empty root
 * already leaves no file to open, and seccomp forbids opening anything; this
 * layer is for what those two miss (a kernel bug, a future io_uring opcode):
 * no filesystem access (ABI 1-3, 5), no TCP bind or connect (ABI 4), no
 * abstract Unix socket or signal outside the jail (ABI 6). On an older
 * kernel the ruleset is silently weaker; -v says which ABI was used. */
static void restrict_landlock(void)
{
	int abi = jail_landlock_abi();
	if (abi <= 0)
		return;
	struct ll_ruleset_attr attr = { 0 };
	attr.handled_access_fs = (1ULL << 13) - 1; /* ABI 1: 13 rights */
	if (abi >= 2)
		attr.handled_access_fs |= 1ULL << 13; /* REFER */
	if (abi >= 3)
		attr.handled_access_fs |= 1ULL << 14; /* TRUNCATE */
	if (abi >= 5)
		attr.handled_access_fs |= 1ULL << 15; /* IOCTL_DEV */
	size_t size = sizeof(attr.handled_access_fs);
	if (abi >= 4) {
		attr.handled_access_net = 3; /* BIND_TCP | CONNECT_TCP */
		size = offsetof(struct ll_ruleset_attr, scoped);
	}
	if (abi >= 6) {
		attr.scoped = 3; /* ABSTRACT_UNIX_SOCKET | SIGNAL */
		size = sizeof(attr);
	}
	int fd = (int)syscall(__NR_landlock_create_ruleset, &attr, size, 0);
	child_check(fd, "landlock_create_ruleset");
	child_check(syscall(__NR_landlock_restrict_self, fd, 0),
		    "landlock_restrict_self");
	close(fd);
}

static void set_rlimit(int resource, uint64_t value, const char *what)
{
	struct rlimit rl = { value, value };
	if (setrlimit(resource, &rl) < 0)
		child_fail("setrlimit(%s): %s", what, strerror(errno));
}

/* Limits the kernel enforces whatever the program does. Lowering a limit
 * needs no privilege; this comes after arrange_fds because RLIMIT_NOFILE
 * would refuse the staging descriptors arrange_fds uses. Soft and hard
 * CPU limits are equal: the program is pid 1 of its namespace, which
 * ignores SIGXCPU, so the hard limit's SIGKILL is what ends it. */
static void set_limits(const struct jail_limits *l, unsigned nfds)
{
	if (l->memory)
		set_rlimit(RLIMIT_AS, l->memory, "RLIMIT_AS");
	if (l->cpu_seconds)
		set_rlimit(RLIMIT_CPU, l->cpu_seconds, "RLIMIT_CPU");
	/* The descriptors it was given, plus the one the seccomp listener
	 * takes before the exec (it is close-on-exec): no descriptor the
	 * program could ever get can land on JAIL_EXEC_FD or JAIL_SYNC_FD,
	 * the numbers the filter's launch rules trust. */
	set_rlimit(RLIMIT_NOFILE, nfds + 1, "RLIMIT_NOFILE");
	set_rlimit(RLIMIT_CORE, 0, "RLIMIT_CORE");
	set_rlimit(RLIMIT_FSIZE, 0, "RLIMIT_FSIZE");
	set_rlimit(RLIMIT_MEMLOCK, 0, "RLIMIT_MEMLOCK");
	set_rlimit(RLIMIT_MSGQUEUE, 0, "RLIMIT_MSGQUEUE");
	set_rlimit(RLIMIT_LOCKS, 0, "RLIMIT_LOCKS");
	set_rlimit(RLIMIT_NICE, 0, "RLIMIT_NICE");
	set_rlimit(RLIMIT_RTPRIO, 0, "RLIMIT_RTPRIO");
}

/* Moves each descriptor want[i] to its number target[i] (ascending) and
 * closes every other one: a program inherits the console and what fakeOS
 * hands over by design, and nothing else (no cache directory, no socket, no
 * host directory: the CVE-2024-21626 class). Descriptors are first moved
 * above every target number, so no dup2 can overwrite one that is still to
 * be moved. The sync socket is always the last, at JAIL_SYNC_FD. */
static void move_fds(int *want, const int *target, unsigned n)
{
	enum { STAGING = 64 };
	for (unsigned i = 0; i < n; i++) {
		int fd = fcntl(want[i], F_DUPFD_CLOEXEC, STAGING);
		child_check(fd, "dup descriptor");
		want[i] = fd;
	}
	/* dup3 clears close-on-exec unless asked: the console and passed
	 * descriptors survive the exec, the exec and sync ones must not. */
	for (unsigned i = 0; i < n; i++) {
		bool keep = target[i] != JAIL_EXEC_FD && target[i] != JAIL_SYNC_FD;
		child_check(dup3(want[i], target[i], keep ? 0 : O_CLOEXEC),
			    "dup3");
	}
	child_sync_fd = JAIL_SYNC_FD;
	unsigned next = 0;
	for (unsigned i = 0; i < n; i++) {
		if ((unsigned)target[i] > next)
			child_check(syscall(SYS_close_range, next,
					    (unsigned)target[i] - 1, 0),
				    "close_range");
		next = (unsigned)target[i] + 1;
	}
	child_check(syscall(SYS_close_range, next, ~0U, 0), "close_range");
}

/* The program's descriptors at their numbers: console 0-2, passed ones
 * from JAIL_FIRST_PASS_FD, the program at JAIL_EXEC_FD, sync last. */
static void arrange_fds(const struct jail_config *c, int sync)
{
	int want[3 + JAIL_MAX_PASS_FDS + 2];
	int target[3 + JAIL_MAX_PASS_FDS + 2];
	unsigned n = 0;

	for (int i = 0; i < 3; i++) {
		want[n] = c->console[i];
		target[n++] = i;
	}
	for (unsigned i = 0; i < c->n_pass; i++) {
		want[n] = c->pass_fds[i];
		target[n++] = JAIL_FIRST_PASS_FD + (int)i;
	}
	want[n] = c->exec_fd;
	target[n++] = JAIL_EXEC_FD;
	want[n] = sync;
	target[n++] = JAIL_SYNC_FD;
	move_fds(want, target, n);
}

/* A warm jail waits holding two descriptors: the sync socket, its only
 * channel to the broker, and the program's ring where it has one (it
 * cannot arrive later: see jail.h). Nothing else of the broker's (its
 * listening sockets, other programs' pipes, the cache) stays open in a
 * process that may wait for minutes. */
static void keep_for_launch(int ring, int sync)
{
	int want[2], target[2];
	unsigned n = 0;
	if (ring >= 0) {
		want[n] = ring;
		target[n++] = JAIL_FIRST_PASS_FD;
	}
	want[n] = sync;
	target[n++] = JAIL_SYNC_FD;
	move_fds(want, target, n);
}

/* Signals: dispositions the launcher set (ignored SIGPIPE, a blocked mask
 * for its signalfd) would survive the exec; the program starts clean. The
 * new session means no controlling terminal, so the program cannot aim
 * TIOCSTI at one even if the filter allowed ioctl. */
static void reset_process_state(void)
{
	sigset_t none;
	sigemptyset(&none);
	child_check(sigprocmask(SIG_SETMASK, &none, NULL), "sigprocmask");
	/* Only an ignored signal survives an exec, and only three can ever
	 * reach a jailed program without being forced on it: SIGPIPE,
	 * SIGXCPU and SIGXFSZ (its limits). Nobody can send it one (no kill
	 * call, its own pid namespace), and faults are forced regardless.
	 * SIGPIPE stays ignored, on purpose: a link is a pipe, and a write
	 * whose reader has gone must end that link (EPIPE, FK_EV_CLOSED),
	 * not the program. io_uring's WRITE has no MSG_NOSIGNAL, and the
	 * program cannot change a disposition (no rt_sigaction). A write to
	 * a console whose reader went fails with EPIPE the same way. */
	static const int kernel_sent[] = { SIGXCPU, SIGXFSZ };
	for (size_t i = 0; i < ARRAY_SIZE(kernel_sent); i++)
		signal(kernel_sent[i], SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	child_check(setsid(), "setsid");
}

/* The filter goes on last but one, because after it only the calls the
 * policy allows still work, plus sendmsg on the sync socket (to hand over
 * the notification descriptor, and to report a failure). The launcher
 * holds the listener from here on: it lets the exec through once (see
 * let_exec_through), and any other call blocks until the launcher names it
 * and kills the program. */
static void apply_filter(const struct sock_fprog *filter)
{
	int listener = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
				    SECCOMP_FILTER_FLAG_NEW_LISTENER, filter);
	child_check(listener, "seccomp");
	/* Its number, not the descriptor: the launcher takes it with
	 * pidfd_getfd. Passing it with SCM_RIGHTS would count against our
	 * uid's descriptors in flight, limited by our RLIMIT_NOFILE (6 by
	 * now): the launch would fail with ETOOMANYREFS whenever other
	 * processes of the same uid had a few in flight. */
	char msg[1 + sizeof(int)] = { JAIL_MSG_LISTENER };
	memcpy(msg + 1, &listener, sizeof(int));
	struct iovec iov = { msg, sizeof(msg) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (sendmsg(JAIL_SYNC_FD, &mh, MSG_NOSIGNAL) != (ssize_t)sizeof(msg))
		child_fail("send seccomp listener: %s", strerror(errno));
	/* The listener is close-on-exec (the kernel makes it so): the
	 * program never holds the descriptor that polices it. */
}

/* The exec. No file on disk is executed: the program is the sealed memfd,
 * and the environment is empty. The filter turns this call into a
 * notification, which the launcher answers by letting it run. */
static NORETURN void exec_program(char *const *argv)
{
	static char *const empty_env[] = { NULL };
	syscall(SYS_execveat, JAIL_EXEC_FD, "", argv, empty_env,
		AT_EMPTY_PATH);
	child_fail("execveat: %s", strerror(errno));
}

/* A warm jail, ready: it says so, then waits for its program. What it
 * receives is checked (jail_warm_receive) although only the broker holds
 * the other end: a jail that runs half a program is worse than none. */
static const struct jail_config *wait_for_launch(bool ring)
{
	char ready = JAIL_MSG_READY;
	struct iovec iov = { &ready, 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (sendmsg(JAIL_SYNC_FD, &mh, MSG_NOSIGNAL) != 1)
		_exit(126); /* the broker is gone, or discarded us */
	const struct jail_config *c;
	const char *step = "";
	int r = jail_warm_receive(ring ? JAIL_FIRST_PASS_FD : -1, &c, &step);
	if (r == -EPIPE)
		_exit(126); /* discarded: end of file, nothing to report */
	if (r < 0)
		child_fail("launch message: %s: %s", step, strerror(-r));
	arrange_fds(c, JAIL_SYNC_FD);
	return c;
}

static void child_main(const struct child *ch)
{
	const struct jail_config *c = ch->c;

	/* The new user namespace grants every capability before the parent
	 * has written the id maps, and none of the steps up to the wait
	 * needs a mapped id (Landlock needs CAP_SYS_ADMIN in the namespace
	 * or no_new_privs, and we hold the first): so they can run while
	 * the parent writes them (where the scheduler gives the child the
	 * other CPU; often it runs it only once the parent sleeps). Only the
	 * switch to the unprivileged uid, and what must follow it, waits. */
	die_with_parent();
	make_empty_root(ch->root_ready);
	set_hostname(ch->hostname);
	lock_capability_sets();
	restrict_landlock();
	if (c)
		arrange_fds(c, ch->sync);
	else
		keep_for_launch(ch->keep_fd, ch->sync);
	reset_process_state();
	wait_for_parent(JAIL_SYNC_FD);
	drop_privileges(ch);
	/* A warm jail stops here, unprivileged, until it is given its
	 * program; what follows depends on the program. */
	if (!c)
		c = wait_for_launch(ch->keep_fd >= 0);
	set_limits(&c->limits, JAIL_FIRST_PASS_FD + c->n_pass);
	if (c->enable_ring && c->n_pass > 0) {
		int r = ring_enable(JAIL_FIRST_PASS_FD);
		if (r < 0)
			child_fail("io_uring: enabling the ring: %s",
				   strerror(-r));
	}
	apply_filter(c->filter);
	exec_program(c->argv);
}

/* --- the shared namespaces (root only) ----------------------------------- */

/* path, opened, if it is a namespace of that type (and not, say, the empty
 * anchor file of one whose making was cut short); else -1. */
static int open_ns(const char *path, int type)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 && ioctl(fd, NS_GET_NSTYPE) != type) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* Is this process's own namespace (/proc/self/ns/NAME) owned by its user
 * namespace? Only then can it return there after entering a shared one: a
 * root launcher in a container's user namespace holds no capability over
 * the host's namespaces it was left in. */
bool jail_own_ns_is_ours(const char *name)
{
	/* The launcher never changes its user namespace: look it up once. */
	static struct stat mine;
	static bool known;
	char path[64];
	struct stat owner;
	snprintf(path, sizeof(path), "/proc/self/ns/%s", name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int user = fd < 0 ? -1 : ioctl(fd, NS_GET_USERNS);
	if (!known && user >= 0)
		known = stat("/proc/self/ns/user", &mine) == 0;
	bool ours = user >= 0 && known && fstat(user, &owner) == 0 &&
		    owner.st_ino == mine.st_ino && owner.st_dev == mine.st_dev;
	if (user >= 0)
		close(user);
	if (fd >= 0)
		close(fd);
	return ours;
}

/* JAIL_RUN_DIR, root's alone, opened and locked in *dir, so that concurrent
 * first launches make one namespace of each kind between them. */
static int lock_run_dir(int *dir, struct error *e)
{
	struct stat st;
	if (mkdir(JAIL_RUN_DIR, 0700) < 0 && errno != EEXIST)
		return error_sys(e, errno, "mkdir %s", JAIL_RUN_DIR);
	*dir = open(JAIL_RUN_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					  O_CLOEXEC);
	if (*dir < 0 || fstat(*dir, &st) < 0)
		return error_sys(e, errno, "open %s", JAIL_RUN_DIR);
	if (st.st_uid != 0 || (st.st_mode & 022))
		return error_set(e, EPERM, "%s is not root's alone; refusing "
					   "to keep a namespace there",
				 JAIL_RUN_DIR);
	/* Two seconds at most: a launch stuck while holding it must not
	 * stop every other; they go on without the shared namespace. */
	for (int tries = 0; flock(*dir, LOCK_EX | LOCK_NB) < 0; tries++) {
		if (errno != EWOULDBLOCK && errno != EINTR)
			return error_sys(e, errno, "lock %s", JAIL_RUN_DIR);
		if (tries == 200)
			return error_set(e, ETIMEDOUT, "%s stayed locked for 2 s",
					 JAIL_RUN_DIR);
		usleep(10000);
	}
	return 0;
}

/* The file a namespace is bind-mounted on, in the locked directory. */
static int make_anchor(int dir, const char *name, struct error *e)
{
	int fd = openat(dir, name, O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
			0400);
	if (fd < 0)
		return error_sys(e, errno, "create %s/%s", JAIL_RUN_DIR, name);
	close(fd);
	return 0;
}

/* Binds the namespace file src on path. A mount namespace's file cannot be
 * bound where mounts propagate (each copy would be a namespace loop, and
 * the kernel refuses with EINVAL): then JAIL_RUN_DIR first gets a private
 * mount of its own, which is what `ip netns` and unshare(1) ask for too. */
static int bind_ns(const char *src, const char *path, struct error *e)
{
	if (mount(src, path, NULL, MS_BIND, NULL) == 0)
		return 0;
	if (errno != EINVAL)
		return error_sys(e, errno, "bind-mount %s", path);
	if (mount(JAIL_RUN_DIR, JAIL_RUN_DIR, NULL, MS_BIND | MS_REC, NULL) <
		    0 ||
	    mount(NULL, JAIL_RUN_DIR, NULL, MS_PRIVATE, NULL) < 0)
		return error_sys(e, errno, "make %s a private mount",
				 JAIL_RUN_DIR);
	if (mount(src, path, NULL, MS_BIND, NULL) < 0)
		return error_sys(e, errno, "bind-mount %s", path);
	return 0;
}

/* The namespace now mounted on path, in *out. */
static int opened_ns(const char *path, int type, int *out, struct error *e)
{
	*out = open_ns(path, type);
	if (*out < 0)
		return error_set(e, EIO, "%s is not the namespace just mounted "
					 "there",
				 path);
	log_debug("made the shared namespace %s", path);
	return 0;
}

/* A child makes the namespace (type CLONE_NEWNET, or CLONE_NEWNS with the
 * empty root in it), reports, and stays until its namespace is bound on
 * path. A child, because the launcher cannot pivot its own root, and could
 * not always return to its own namespaces (a root launcher in a user
 * namespace that does not own them). */
static int make_ns(const char *path, int type, struct error *e)
{
	int ready[2], hold[2];
	if (pipe2(ready, O_CLOEXEC) < 0)
		return error_sys(e, errno, "pipe");
	if (pipe2(hold, O_CLOEXEC) < 0) {
		close(ready[0]);
		close(ready[1]);
		return error_sys(e, errno, "pipe");
	}
	pid_t pid = fork();
	if (pid == 0) {
		close(ready[0]);
		close(hold[1]);
		const char *step = "unshare";
		int r = unshare(type) < 0 ? -errno
			: type == CLONE_NEWNS ? build_empty_root(&step)
					      : 0;
		char msg[160] = "ok";
		if (r < 0)
			snprintf(msg, sizeof(msg), "%s: %s", step,
				 strerror(-r));
		if (write(ready[1], msg, strlen(msg)) < 0)
			_exit(1);
		char c;
		(void)!read(hold[0], &c, 1); /* end of file: we are done */
		_exit(0);
	}
	close(ready[1]);
	close(hold[0]);
	int r = 0;
	char msg[160];
	ssize_t n = pid < 0 ? -1 : read(ready[0], msg, sizeof(msg) - 1);
	if (pid < 0)
		r = error_sys(e, errno, "fork");
	else if (n <= 0)
		r = error_set(e, EIO, "the maker of %s died", path);
	else if ((msg[n] = '\0', strcmp(msg, "ok") != 0))
		r = error_set(e, EPERM, "making %s: %s", path, msg);
	if (r == 0) {
		char src[64];
		snprintf(src, sizeof(src), "/proc/%d/ns/%s", (int)pid,
			 type == CLONE_NEWNS ? "mnt" : "net");
		r = bind_ns(src, path, e);
	}
	close(hold[1]);
	close(ready[0]);
	while (pid > 0 && waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return r;
}

/* The shared namespace of this type ("net" or "mnt", the names in
 * /proc/self/ns and, with "ns" after them, in JAIL_RUN_DIR): opened, or
 * made on first use since boot. */
static int shared_ns(const char *name, int type, int *out, struct error *e)
{
	char path[64], anchor[16];
	snprintf(anchor, sizeof(anchor), "%sns", name);
	snprintf(path, sizeof(path), "%s/%s", JAIL_RUN_DIR, anchor);
	if (geteuid() != 0 || !jail_own_ns_is_ours(name))
		return -EPERM;
	if ((*out = open_ns(path, type)) >= 0)
		return 0;
	cleanup_fd int dir = -1;
	int r = lock_run_dir(&dir, e);
	if (r < 0)
		return r;
	if ((*out = open_ns(path, type)) >= 0)
		return 0; /* another launch made it while we waited */
	if ((r = make_anchor(dir, anchor, e)) < 0 ||
	    (r = make_ns(path, type, e)) < 0)
		return r;
	return opened_ns(path, type, out, e);
}

int jail_shared_netns(int *out, struct error *e)
{
	return shared_ns("net", CLONE_NEWNET, out, e);
}

int jail_shared_mntns(int *out, struct error *e)
{
	return shared_ns("mnt", CLONE_NEWNS, out, e);
}

void jail_probe(struct jail_report *r)
{
	r->landlock_abi = jail_landlock_abi();
}
