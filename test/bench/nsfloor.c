/* nsfloor — the kernel's floor under any jail with fakeOS's namespaces:
 * one clone3 into new namespaces, then exec, then wait. Nothing else a
 * real jail does (uid map, mounts, capabilities, seccomp, console relay)
 * is done, so no launcher can start a program in those namespaces faster.
 *
 *   nsfloor FLAGS PROGRAM [ARG...]
 *
 * FLAGS names the namespaces, one letter each: U user, p pid, m mount,
 * n network, i IPC, u UTS, C cgroup ("UpmniuC": all of fakeos-run's);
 * "-" for none. Exits with PROGRAM's status, 125 when it could not start. */
#define _GNU_SOURCE
#include <err.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	uint64_t flags = 0;
	if (argc < 3)
		errx(125, "usage: nsfloor FLAGS PROGRAM [ARG...]");
	for (const char *p = argv[1]; *p; p++) {
		switch (*p) {
		case 'U': flags |= CLONE_NEWUSER; break;
		case 'p': flags |= CLONE_NEWPID; break;
		case 'm': flags |= CLONE_NEWNS; break;
		case 'n': flags |= CLONE_NEWNET; break;
		case 'i': flags |= CLONE_NEWIPC; break;
		case 'u': flags |= CLONE_NEWUTS; break;
		case 'C': flags |= CLONE_NEWCGROUP; break;
		case '-': break;
		default: errx(125, "unknown namespace letter '%c'", *p);
		}
	}
	struct clone_args a = { .flags = flags, .exit_signal = SIGCHLD };
	pid_t pid = (pid_t)syscall(SYS_clone3, &a, sizeof(a));
	if (pid < 0)
		err(125, "clone3");
	if (pid == 0) {
		execv(argv[2], argv + 2);
		err(125, "exec %s", argv[2]);
	}
	int st;
	if (waitpid(pid, &st, 0) != pid)
		err(125, "waitpid");
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
