/* warmjail — drives jail_spawn and the warm jails of src/jail.h directly,
 * for test/integration/test_warm.sh, until the broker launches through
 * them. Host program, linked with build/libhost.a; run as root.
 *
 *   warmjail [--policy FILE] cold|warm PROG [ARG...]
 *       runs PROG (argv[0] is PROG) on this process's console, through a
 *       cold launch (jail_spawn) or a warm jail prepared just before;
 *       a forbidden call is named on stderr ("PROG: killed: forbidden
 *       system call NAME"); exits with PROG's status (128+N: signal N).
 *   warmjail [--policy FILE] state cold|warm PROG [ARG...]
 *       the same, and once PROG runs prints, on stderr, what it is as seen
 *       from /proc: credentials, capabilities, no_new_privs, seccomp,
 *       signals, session, rlimits, namespaces (own, or the host's, or the
 *       shared empty one), descriptors, the root's entries, hostname and
 *       seccomp filter; then kills it (so PROG is test/progs/spin).
 *   warmjail idle
 *       prepares a warm jail and, once it is ready, prints (on stderr)
 *       its credentials, capabilities, limits and descriptors.
 *   warmjail parent-dies
 *       a child prepares a warm jail and exits; prints "gone" if the jail
 *       ended within 2 s, else "survived" (exit 1).
 *   warmjail bad KIND PROG
 *       sends a warm jail a malformed launch message (KIND: nofds, short,
 *       magic, count, argv, dirfd), then launches PROG in it properly;
 *       prints what the launch said, whether the jail is gone, and what a
 *       second launch says. Or misuses the API (KIND: ring, reuse).
 * Exit status 125: the harness itself failed. */
#include <dirent.h>
#include <sched.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "../tools/jailrig.h"

static struct rig rig;

/* Selected lines of /proc/PID/status: everything about privilege. */
static void dump_status(pid_t pid)
{
	static const char *keys[] = { "Uid:", "Gid:", "Groups:", "CapInh:",
				      "CapPrm:", "CapEff:", "CapBnd:",
				      "CapAmb:", "NoNewPrivs:", "Seccomp:",
				      "Seccomp_filters:", "SigBlk:",
				      "SigIgn:", "NSpid:" };
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		rig_die(path, strerror(errno));
	while (fgets(line, sizeof(line), f))
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (strncmp(line, keys[i], strlen(keys[i])) == 0) {
				/* NSpid: the inner pid only (the outer
				 * one differs run to run). */
				if (i == 13) {
					char *last = strrchr(line, '\t');
					fprintf(stderr, "NSpid: %s",
						last ? last + 1 : line);
				} else {
					fputs(line, stderr);
				}
			}
	fclose(f);
	snprintf(path, sizeof(path), "/proc/%d/limits", (int)pid);
	if (!(f = fopen(path, "re")))
		rig_die(path, strerror(errno));
	while (fgets(line, sizeof(line), f))
		fprintf(stderr, "limit %s", line);
	fclose(f);
}

static ino_t ns_ino(const char *path)
{
	struct stat st;
	return stat(path, &st) < 0 ? 0 : st.st_ino;
}

static void dump_namespaces(pid_t pid)
{
	static const char *names[] = { "user", "pid", "mnt", "net",
				       "ipc", "uts", "cgroup" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char mine[64], theirs[64];
		snprintf(mine, sizeof(mine), "/proc/self/ns/%s", names[i]);
		snprintf(theirs, sizeof(theirs), "/proc/%d/ns/%s", (int)pid,
			 names[i]);
		ino_t t = ns_ino(theirs);
		const char *what = t == ns_ino(mine) ? "host's"
				   : t == ns_ino(JAIL_NETNS_PATH) ? "shared"
								  : "own";
		fprintf(stderr, "ns %s: %s\n", names[i], what);
	}
}

/* Each descriptor: its number, what it is (the kind, not the inode), and
 * whether it survives an exec. */
static void dump_fds(pid_t pid)
{
	char dir[64];
	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	for (int fd = 0; fd < 64; fd++) {
		char path[96], target[256], info[96], line[128];
		snprintf(path, sizeof(path), "%s/%d", dir, fd);
		ssize_t n = readlink(path, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		char *bracket = strchr(target, '[');
		if (bracket && strncmp(target, "anon_inode", 10) != 0)
			*bracket = '\0'; /* pipe:[123] -> pipe: */
		snprintf(info, sizeof(info), "/proc/%d/fdinfo/%d", (int)pid, fd);
		FILE *f = fopen(info, "re");
		unsigned long flags = 0;
		while (f && fgets(line, sizeof(line), f))
			sscanf(line, "flags: %lo", &flags);
		if (f)
			fclose(f);
		fprintf(stderr, "fd %d: %s%s\n", fd, target,
			flags & O_CLOEXEC ? " cloexec" : "");
	}
}

/* The root's entries and the hostname, from inside the program's mount
 * and UTS namespaces (a child enters them; we must not). */
static void dump_root_and_name(pid_t pid)
{
	pid_t c = fork();
	if (c == 0) {
		char p[64];
		snprintf(p, sizeof(p), "/proc/%d/root", (int)pid);
		int entries = 0;
		DIR *d = opendir(p);
		for (struct dirent *de; d && (de = readdir(d));)
			entries += strcmp(de->d_name, ".") &&
				   strcmp(de->d_name, "..");
		fprintf(stderr, "root entries: %d%s\n", entries,
			d ? "" : " (unreadable)");
		snprintf(p, sizeof(p), "/proc/%d/ns/uts", (int)pid);
		int ns = open(p, O_RDONLY | O_CLOEXEC);
		struct utsname u;
		if (ns < 0 || setns(ns, CLONE_NEWUTS) < 0 || uname(&u) < 0)
			_exit(1);
		fprintf(stderr, "hostname: %s\n", u.nodename);
		_exit(0);
	}
	int st;
	if (c < 0 || waitpid(c, &st, 0) != c || st != 0)
		rig_die("state", "could not read the root or hostname");
	char sid[64];
	snprintf(sid, sizeof(sid), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(sid, "re");
	char line[512];
	if (f && fgets(line, sizeof(line), f)) {
		int s_pid, s_sid;
		char *rp = strrchr(line, ')');
		if (rp && sscanf(rp + 2, "%*c %*d %*d %d", &s_sid) == 1) {
			s_pid = (int)pid;
			fprintf(stderr, "own session: %s\n",
				s_sid == s_pid ? "yes" : "no");
		}
	}
	if (f)
		fclose(f);
}

/* The seccomp filter the kernel holds for the program, read back with
 * PTRACE_SECCOMP_GET_FILTER (the tracee stopped for the read): its length
 * and an FNV-1a hash of its instructions. */
static void dump_filter(pid_t pid)
{
	struct sock_filter f[BPF_MAXINSNS];
	if (ptrace(PTRACE_SEIZE, pid, 0, 0) < 0 ||
	    ptrace(PTRACE_INTERRUPT, pid, 0, 0) < 0 ||
	    waitpid(pid, NULL, __WALL) != pid)
		rig_die("ptrace", strerror(errno));
	long n = ptrace(PTRACE_SECCOMP_GET_FILTER, pid, 0, f);
	long more = ptrace(PTRACE_SECCOMP_GET_FILTER, pid, 1, NULL);
	ptrace(PTRACE_DETACH, pid, 0, 0);
	if (n < 0)
		rig_die("PTRACE_SECCOMP_GET_FILTER", strerror(errno));
	uint32_t h = 2166136261u;
	const unsigned char *b = (const unsigned char *)f;
	for (size_t i = 0; i < (size_t)n * sizeof(f[0]); i++)
		h = (h ^ b[i]) * 16777619u;
	fprintf(stderr, "filter: %ld instructions, fnv %08x, %s\n", n, h,
		more < 0 ? "the only one" : "not the only one");
}

/* Copies what is in pipe fd (at most a pipe's worth: the tests' programs
 * write less than 64 KiB) to out, and closes it. */
static void drain(int fd, int out)
{
	char buf[65536];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			break;
	close(fd);
}

/* Launches prog, cold or warm, and returns its status. Its stdout and
 * stderr are pipes, as under the broker (a file would meet its
 * RLIMIT_FSIZE of 0), copied to ours once it has exited. */
static int run(bool warm, bool state, char **argv)
{
	struct error e;
	int exec_fd = rig_load(argv[0]);
	int out[2], err[2];
	if (pipe2(out, O_CLOEXEC | O_NONBLOCK) < 0 ||
	    pipe2(err, O_CLOEXEC | O_NONBLOCK) < 0)
		rig_die("pipe", strerror(errno));
	int cons[3] = { 0, out[1], err[1] };
	struct jail_proc p;
	int r;
	struct ring cold_ring = { .fd = -1 };
	if (warm) {
		struct jail_warm w;
		if (jail_warm_prepare(&rig.shape, &w, &e) < 0)
			rig_die("jail_warm_prepare", e.msg);
		struct jail_config c =
			rig_config(&rig, exec_fd, argv, cons, w.ring.fd);
		r = jail_warm_launch(&w, &c, &p, &e);
		jail_warm_discard(&w);
	} else {
		if (ring_create(&cold_ring, &e) < 0)
			rig_die("ring_create", e.msg);
		struct jail_config c =
			rig_config(&rig, exec_fd, argv, cons, cold_ring.fd);
		r = jail_spawn(&c, &p, &e);
		close(cold_ring.fd);
	}
	close(exec_fd);
	close(out[1]);
	close(err[1]);
	if (r < 0) {
		fprintf(stderr, "warmjail: %s\n", e.msg);
		return 126;
	}
	if (state) {
		dump_status(p.pid);
		dump_namespaces(p.pid);
		dump_fds(p.pid);
		dump_root_and_name(p.pid);
		dump_filter(p.pid);
		/* Done: a program that sleeps would have been woken by the
		 * ptrace stop into restart_syscall, which the policy forbids;
		 * so the probe is spin, and it ends here. */
		syscall(SYS_pidfd_send_signal, p.pidfd, SIGKILL, NULL, 0);
	}
	int status = rig_wait(&p, argv[0]);
	drain(out[0], 1);
	drain(err[0], 2);
	return status;
}

/* A prepared jail, ready and waiting: what it holds while it waits. */
static int idle(void)
{
	struct error e;
	struct jail_warm w;
	if (jail_warm_prepare(&rig.shape, &w, &e) < 0)
		rig_die("jail_warm_prepare", e.msg);
	struct pollfd pf = { w.sync, POLLIN, 0 };
	if (poll(&pf, 1, 5000) != 1)
		rig_die("warm jail", "not ready within 5 s");
	dump_status(w.pid);
	dump_fds(w.pid);
	jail_warm_discard(&w);
	return 0;
}

static int parent_dies(void)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		rig_die("socketpair", strerror(errno));
	pid_t c = fork();
	if (c == 0) {
		struct error e;
		struct jail_warm w;
		if (jail_warm_prepare(&rig.shape, &w, &e) < 0)
			rig_die("jail_warm_prepare", e.msg);
		char ready;
		/* Ready: it has dropped to its uid and re-armed the
		 * parent-death signal, the state it waits in. */
		if (recv(w.sync, &ready, 1, 0) != 1 || ready != 'R')
			rig_die("warm jail", "not ready");
		/* A process that outlives us holds our end of the sync
		 * socket, as a broker's other children could: no end of
		 * file reaches the jail, only the parent-death signal. */
		pid_t ids[2] = { w.pid, fork() };
		if (ids[1] == 0) {
			sleep(10);
			_exit(0);
		}
		if (write(sv[1], ids, sizeof(ids)) < 0)
			_exit(125);
		char go;
		(void)!read(sv[1], &go, 1);
		_exit(0); /* without discarding it */
	}
	pid_t ids[2];
	if (c < 0 || read(sv[0], ids, sizeof(ids)) != sizeof(ids))
		rig_die("parent-dies", "no warm jail");
	int pidfd = (int)syscall(SYS_pidfd_open, ids[0], 0);
	if (pidfd < 0)
		rig_die("pidfd_open", strerror(errno));
	if (write(sv[0], "g", 1) < 0)
		rig_die("parent-dies", strerror(errno));
	waitpid(c, NULL, 0);
	struct pollfd pf = { pidfd, POLLIN, 0 };
	int n = poll(&pf, 1, 2000);
	kill(ids[1], SIGKILL);
	printf("%s\n", n == 1 ? "gone" : "survived");
	return n == 1 ? 0 : 1;
}

/* A malformed launch message of kind on w's socket: the API cannot make
 * one, so it is forged here from the wire format in jail.h. */
static void send_bad(struct jail_warm *w, const char *kind, int exec_fd)
{
	struct {
		struct jail_warm_msg h;
		struct sock_filter f[1];
		char argv[8];
	} m = { .h = { .magic = JAIL_WARM_MAGIC, .n_pass = 1,
		       .enable_ring = 1, .filter_len = 1, .argc = 1,
		       .argv_len = 2 },
		.f = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) },
		.argv = "x" };
	size_t len = sizeof(m.h) + sizeof(m.f) + 2;
	int fds[5] = { exec_fd, 0, 1, 2, -1 };
	unsigned nfds = 4;
	if (strcmp(kind, "nofds") == 0)
		nfds = 0;
	else if (strcmp(kind, "short") == 0)
		len = 3;
	else if (strcmp(kind, "magic") == 0)
		m.h.magic = 0;
	else if (strcmp(kind, "count") == 0)
		m.h.n_pass = 2; /* says one more fd than it sends */
	else if (strcmp(kind, "argv") == 0)
		m.h.argc = 2; /* one string where it says two */
	else if (strcmp(kind, "dirfd") == 0)
		fds[3] = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	else
		rig_die("bad", "unknown kind");
	union {
		char buf[CMSG_SPACE(sizeof(fds))];
		struct cmsghdr align;
	} u;
	memset(&u, 0, sizeof(u));
	struct iovec iov = { &m, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (nfds) {
		mh.msg_control = u.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
	}
	if (sendmsg(w->sync, &mh, MSG_NOSIGNAL) < 0)
		rig_die("sendmsg", strerror(errno));
}

static int bad(const char *kind, char **argv)
{
	struct error e;
	struct jail_warm w;
	struct jail_proc p;
	int exec_fd = rig_load(argv[0]);
	int cons[3] = { 0, 1, 2 };
	if (jail_warm_prepare(&rig.shape, &w, &e) < 0)
		rig_die("jail_warm_prepare", e.msg);
	int pidfd = dup(w.pidfd); /* to watch it after the launch */
	struct jail_config c = rig_config(&rig, exec_fd, argv, cons, w.ring.fd);
	struct ring other = { .fd = -1 };
	if (strcmp(kind, "ring") == 0) {
		/* A ring that is not the jail's own. */
		if (ring_create(&other, &e) < 0)
			rig_die("ring_create", e.msg);
		c.pass_fds[0] = other.fd;
	} else if (strcmp(kind, "reuse") == 0) {
		if (jail_warm_launch(&w, &c, &p, &e) < 0)
			rig_die("first launch", e.msg);
		printf("first launch: exit %d\n", rig_wait(&p, argv[0]));
	} else {
		send_bad(&w, kind, exec_fd);
	}
	int r = strcmp(kind, "reuse") == 0 ? -1 : jail_warm_launch(&w, &c, &p, &e);
	if (r == 0) {
		printf("launch: ran, exit %d\n", rig_wait(&p, argv[0]));
	} else if (strcmp(kind, "reuse") != 0) {
		printf("launch: %s (%s)\n", e.msg, strerror(-r));
	}
	struct pollfd pf = { pidfd, POLLIN, 0 };
	printf("jail: %s\n", poll(&pf, 1, 2000) == 1 ? "gone" : "alive");
	c.pass_fds[0] = w.ring.fd;
	r = jail_warm_launch(&w, &c, &p, &e);
	printf("again: %s\n", r == 0 ? "ran" : e.msg);
	jail_warm_discard(&w);
	if (other.fd >= 0)
		close(other.fd);
	return 0;
}

int main(int argc, char **argv)
{
	int i = 1;
	const char *policy = NULL;
	if (i + 1 < argc && strcmp(argv[i], "--policy") == 0) {
		policy = argv[i + 1];
		i += 2;
	}
	if (i >= argc)
		rig_die("warmjail", "usage: see test/tools/warmjail.c");
	rig_init(&rig, policy);
	signal(SIGPIPE, SIG_IGN);
	const char *mode = argv[i++];
	bool state = strcmp(mode, "state") == 0;
	if (state && i < argc)
		mode = argv[i++];
	if ((strcmp(mode, "cold") == 0 || strcmp(mode, "warm") == 0) && i < argc)
		return run(mode[0] == 'w', state, argv + i);
	if (strcmp(mode, "idle") == 0)
		return idle();
	if (strcmp(mode, "parent-dies") == 0)
		return parent_dies();
	if (strcmp(mode, "bad") == 0 && i + 1 < argc)
		return bad(argv[i], argv + i + 1);
	rig_die("warmjail", "usage: see test/tools/warmjail.c");
}
