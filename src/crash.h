/* crash.h — crash reports: what the broker learns about a program that
 * died of a fault, a forbidden call or a limit, and where that goes.
 *
 *   crash.c         collection: the broker traces each program it starts
 *                   (PTRACE_SEIZE, never a stop until a signal) and, at a
 *                   fatal signal's delivery stop or after interrupting a
 *                   forbidden call, reads registers, the stack around the
 *                   stack pointer and a frame-pointer backtrace, then kills
 *   crash_report.c  the report as JSON (docs/CRASH.md) and its summary
 *   crash_spool.c   the spool (pending and sent reports), the rate limit,
 *                   and the sender worker that POSTs to the crash URL
 *
 * The crashed process never runs a line of this: a jail has no network
 * and its memory may be anything (docs/SECURITY.md, "Crash reports"). */
#ifndef FAKEOS_CRASH_H
#define FAKEOS_CRASH_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

#define CRASH_STACK_BELOW 256 /* bytes below the stack pointer (red zone) */
#define CRASH_STACK_ABOVE 1024 /* ... and above it */
#define CRASH_MAX_FRAMES 32
/* How far above the stack pointer a frame pointer may point: the jail's
 * stack limit is 8 MiB; beyond, the chain is garbage or hostile. */
#define CRASH_STACK_SPAN (8ULL << 20)
#define CRASH_SYM_MAX 128
#define CRASH_MAX_BYTES (256 * 1024) /* a report, JSON, at most */

/* What collection read from the stopped program. */
struct crash_info {
	int sig; /* 0: no signal (a limit ended it: no registers either) */
	int si_code;
	uint64_t addr; /* si_addr: the faulting address */
	int syscall_nr; /* the forbidden call, or -1 */
	uint64_t syscall_args[6];
	bool has_regs;
	struct user_regs_struct regs;
	uint64_t stack_at; /* address of stack[0] */
	uint32_t stack_len; /* bytes read, at most below + above */
	uint8_t stack[CRASH_STACK_BELOW + CRASH_STACK_ABOVE];
	unsigned nframes;
	uint64_t frames[CRASH_MAX_FRAMES]; /* frames[0]: the faulting pc */
};

/* Reads len bytes at addr of the program into out: 0, or -errno. */
typedef int (*crash_read_fn)(void *arg, uint64_t addr, void *out,
			     size_t len);

/* The frame-pointer walk: pc first, then each saved return address of
 * the rbp chain. A frame pointer must be 8-aligned, within
 * [sp, sp + CRASH_STACK_SPAN) and above the last, so a hostile or broken
 * chain ends the walk instead of looping; at most max frames. Pure but
 * for read. Returns the frames written. */
unsigned crash_walk(uint64_t pc, uint64_t sp, uint64_t fp, crash_read_fn read,
		    void *arg, uint64_t *frames, unsigned max);

/* Starts tracing pid, a child of ours stopped in its exec's seccomp
 * notification: no stop happens until a signal comes. The tracee dies if
 * the broker does (PTRACE_O_EXITKILL). 0, or -errno. */
int crash_seize(pid_t pid);

/* Collects into ci from pid, in a ptrace stop: registers, the stack
 * around rsp, the backtrace (process_vm_readv, bounded). si is the
 * signal's (NULL after an interrupt). Never blocks; 0, or -errno with
 * as much as was read kept. */
int crash_collect(pid_t pid, const siginfo_t *si, struct crash_info *ci);


/* True for the signals that make a report: faults, SIGABRT, SIGSYS. */
bool crash_signal(int sig);

#endif
