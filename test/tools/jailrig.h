/* jailrig.h — what test/tools/warmjail and test/bench/warmbench share to
 * drive src/jail.h directly, as the broker does, without a broker: the
 * program in a sealed memfd, the compiled filter, the shared namespaces,
 * a ring per program, and the wait that names a forbidden call. Host
 * programs linked with build/libhost.a. */
#ifndef JAILRIG_H
#define JAILRIG_H

#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jail.h"
#include "policy.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x10U
#endif

struct rig {
	struct sock_fprog filter;
	struct jail_shape shape; /* with the ring */
};

static inline void rig_die(const char *what, const char *msg)
{
	fprintf(stderr, "%s: %s\n", what, msg);
	exit(125);
}

/* The program's bytes in a sealed, executable memfd (program.c does the
 * same after fetching and checking). */
static inline int rig_load(const char *path)
{
	int in = open(path, O_RDONLY | O_CLOEXEC);
	int fd = (int)syscall(SYS_memfd_create, "program",
			      MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
	if (fd < 0)
		fd = (int)syscall(SYS_memfd_create, "program",
				  MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (in < 0 || fd < 0)
		rig_die(path, strerror(errno));
	char buf[65536];
	ssize_t n;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(fd, buf, (size_t)n) != n)
			rig_die(path, "write memfd");
	close(in);
	if (n < 0 || fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK |
					      F_SEAL_GROW | F_SEAL_WRITE) < 0)
		rig_die(path, strerror(errno));
	return fd;
}

/* policy: a file, or NULL for the default policy. As root, the shared
 * empty namespaces, as the broker uses them. */
static inline void rig_init(struct rig *r, const char *policy)
{
	struct error e;
	struct policy *p = NULL;
	int rc = policy ? policy_load_file(policy, &p, &e)
			: policy_load_default(&p, &e);
	struct policy_launch l = { .exec_fd = -1, .sync_fd = JAIL_SYNC_FD };
	if (rc == 0)
		rc = policy_compile(p, &l, &r->filter, &e);
	if (rc < 0)
		rig_die("policy", e.msg);
	policy_free(p);
	r->shape = (struct jail_shape){
		.netns_fd = -1, .home_netns_fd = -1, .mntns_fd = -1,
		.home_mntns_fd = -1, .hostname = "fakeos", .cgroup_fd = -1,
		.cgroup_procs_fd = -1, .ring = true,
	};
	if (jail_shared_netns(&r->shape.netns_fd, &e) == 0)
		r->shape.home_netns_fd = open("/proc/self/ns/net",
					      O_RDONLY | O_CLOEXEC);
	if (jail_shared_mntns(&r->shape.mntns_fd, &e) == 0)
		r->shape.home_mntns_fd = open("/proc/self/ns/mnt",
					      O_RDONLY | O_CLOEXEC);
}

/* A config for prog with argv, the console cons[3], and ring (its fd, the
 * program's fds 3). The shape's fields as the broker would set them. */
static inline struct jail_config rig_config(const struct rig *r, int exec_fd,
					    char *const *argv, const int cons[3],
					    int ring)
{
	return (struct jail_config){
		.exec_fd = exec_fd, .argv = argv, .filter = &r->filter,
		/* Limits of their own, so they travel in the launch too. */
		.limits = { .memory = 256ULL << 20, .cpu_seconds = 30 },
		.console = { cons[0], cons[1], cons[2] },
		.pass_fds = { ring }, .n_pass = 1, .enable_ring = true,
		.cgroup_fd = -1, .cgroup_procs_fd = -1,
		.netns_fd = r->shape.netns_fd,
		.home_netns_fd = r->shape.home_netns_fd,
		.mntns_fd = r->shape.mntns_fd,
		.home_mntns_fd = r->shape.home_mntns_fd,
		.hostname = r->shape.hostname,
	};
}

/* Waits for the program: a forbidden call (a seccomp notification) is
 * named on stderr as the broker names it, and the program killed. Returns
 * the exit status as fakeos-run gives it (128+N for signal N). Closes the
 * process's descriptors. */
static inline int rig_wait(struct jail_proc *p, const char *name)
{
	int nfd = p->notify_fd;
	for (;;) {
		struct pollfd pf[2] = { { p->pidfd, POLLIN, 0 },
					{ nfd, POLLIN, 0 } };
		if (poll(pf, nfd >= 0 ? 2 : 1, -1) < 0 && errno != EINTR)
			rig_die("poll", strerror(errno));
		if (pf[0].revents & POLLIN)
			break;
		if (nfd < 0 || !(pf[1].revents & (POLLIN | POLLHUP)))
			continue;
		if (!(pf[1].revents & POLLIN)) {
			nfd = -1; /* hang-up: no task left under the filter */
			continue;
		}
		struct seccomp_notif req;
		memset(&req, 0, sizeof(req));
		if (ioctl(nfd, SECCOMP_IOCTL_NOTIF_RECV, &req) == 0) {
			const char *call = policy_syscall_name(req.data.nr);
			fprintf(stderr, "%s: killed: forbidden system call %s\n",
				name, call ? call : "unknown");
			syscall(SYS_pidfd_send_signal, p->pidfd, SIGKILL, NULL,
				0);
		}
		nfd = -1;
	}
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	while (waitid(P_PIDFD, (id_t)p->pidfd, &si, WEXITED) < 0 &&
	       errno == EINTR)
		;
	close(p->pidfd);
	if (p->notify_fd >= 0)
		close(p->notify_fd);
	return si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
}

#endif
