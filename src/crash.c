/* crash.c — collecting a crashed program's state (crash.h). The broker is
 * the program's parent and its tracer; the program cannot trace anything
 * (no ptrace in its filter) and never learns it is traced until it
 * faults. Every read here is of fixed size, from a task stopped by the
 * kernel, so neither a hostile stack nor a looping frame chain can make
 * the broker read much or wait. */
#include "crash.h"

#include <errno.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>

bool crash_signal(int sig)
{
	switch (sig) {
	case SIGSEGV:
	case SIGBUS:
	case SIGILL:
	case SIGFPE:
	case SIGABRT:
	case SIGSYS:
	case SIGTRAP:
	case SIGXCPU:
	case SIGXFSZ:
		return true;
	default:
		return false;
	}
}

unsigned crash_walk(uint64_t pc, uint64_t sp, uint64_t fp, crash_read_fn read,
		    void *arg, uint64_t *frames, unsigned max)
{
	unsigned n = 0;
	if (max == 0)
		return 0;
	frames[n++] = pc;
	uint64_t low = sp;
	while (n < max) {
		/* The next frame record lies above the last one, inside the
		 * stack: that ordering is what bounds the walk. */
		if (fp & 7 || fp < low || fp - sp >= CRASH_STACK_SPAN ||
		    fp > UINT64_MAX - 16)
			break;
		uint64_t rec[2];
		if (read(arg, fp, rec, sizeof(rec)) < 0)
			break;
		if (rec[1] == 0)
			break;
		/* A return address points after a call: name the call. */
		frames[n++] = rec[1] - 1;
		low = fp + 16;
		fp = rec[0];
	}
	return n;
}

int crash_seize(pid_t pid)
{
	/* ptrace(2) takes the options as its data pointer. */
	if (ptrace(PTRACE_SEIZE, pid, NULL,
		   /* NOLINTNEXTLINE(performance-no-int-to-ptr) */
		   (void *)(uintptr_t)PTRACE_O_EXITKILL) < 0)
		return -errno;
	return 0;
}

static int read_tracee(void *arg, uint64_t addr, void *out, size_t len)
{
	pid_t pid = *(pid_t *)arg;
	struct iovec local = { out, len };
	/* An address in the tracee, never dereferenced here. */
	/* NOLINTNEXTLINE(performance-no-int-to-ptr) */
	struct iovec remote = { (void *)(uintptr_t)addr, len };
	ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EFAULT;
}

/* The stack around sp, as much of it as is mapped: a read that crosses
 * into an unmapped page stops short (process_vm_readv's partial read),
 * and a start below the mapping is retried from sp. */
static void read_stack(pid_t pid, uint64_t sp, struct crash_info *ci)
{
	uint64_t from = sp >= CRASH_STACK_BELOW ? sp - CRASH_STACK_BELOW : 0;
	for (int attempt = 0; attempt < 2; attempt++) {
		size_t want = (size_t)(sp - from) + CRASH_STACK_ABOVE;
		struct iovec local = { ci->stack, want };
		/* An address in the tracee, never dereferenced here. */
		/* NOLINTNEXTLINE(performance-no-int-to-ptr) */
		struct iovec remote = { (void *)(uintptr_t)from, want };
		ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
		if (n > 0) {
			ci->stack_at = from;
			ci->stack_len = (uint32_t)n;
			return;
		}
		from = sp;
	}
}

int crash_collect(pid_t pid, const siginfo_t *si, struct crash_info *ci)
{
	if (si) {
		ci->sig = si->si_signo;
		ci->si_code = si->si_code;
		ci->addr = (uint64_t)(uintptr_t)si->si_addr;
	}
	if (ptrace(PTRACE_GETREGS, pid, NULL, &ci->regs) < 0)
		return -errno;
	ci->has_regs = true;
	read_stack(pid, ci->regs.rsp, ci);
	ci->nframes = crash_walk(ci->regs.rip, ci->regs.rsp, ci->regs.rbp,
				 read_tracee, &pid, ci->frames,
				 CRASH_MAX_FRAMES);
	return 0;
}

