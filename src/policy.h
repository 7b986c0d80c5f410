/* policy.h — the seccomp policy: parsing the policy file format
 * (fakeos-policy(5), man/fakeos-policy.5), compiling it with libseccomp into
 * a BPF program, and evaluating that program in user space for tests and
 * tools. */
#ifndef FAKEOS_POLICY_H
#define FAKEOS_POLICY_H

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>

#include "util.h"

/* Limits on a policy's text, so a hostile or broken file costs little:
 * policy_parse refuses anything larger with an error naming the line. */
#define POLICY_MAX_SIZE (1u << 20) /* bytes of text */
#define POLICY_MAX_LINE 1024 /* bytes on one line */
#define POLICY_MAX_RULES 512 /* rules (system calls) */
#define POLICY_MAX_TESTS 32 /* argument tests in one rule */
#define POLICY_MAX_EXPANSION 256 /* libseccomp rules one line may need */
/* libseccomp rules the whole policy may need: libseccomp 2.5's time grows
 * much faster than the number of rules, and every launch compiles the
 * policy. */
#define POLICY_MAX_SECCOMP_RULES 512

struct policy;

/* Parses a policy from text (len bytes, not necessarily NUL-terminated).
 * name is used in error messages ("default.policy:12: unknown system call
 * 'opn'"). Pure: no I/O, no global state, bounded time and memory for any
 * input, so it can be fuzzed. Everything policy_compile could reject in a
 * rule is rejected here already; only the size of the whole compiled
 * filter (BPF_MAXINSNS) is left to policy_compile. */
int policy_parse(const char *text, size_t len, const char *name,
		 struct policy **out, struct error *e);
/* Reads and parses a policy file. */
int policy_load_file(const char *path, struct policy **out, struct error *e);
/* The default policy, policy/default.policy, embedded at build time. */
int policy_load_default(struct policy **out, struct error *e);
void policy_free(struct policy *p);

/* What the launcher adds to every policy, because the jail needs it between
 * installing the filter and the program's first instruction:
 *  - execveat(exec_fd, "", argv, envp, AT_EMPTY_PATH): the launch itself.
 *    exec_fd is close-on-exec, so the rule cannot match after the launch.
 *  - sendmsg(sync_fd, ...): handing the filter's notification descriptor
 *    to the launcher. sync_fd is close-on-exec too.
 * A negative fd leaves that rule out; l may be NULL for neither. A policy
 * may not list execveat or sendmsg itself. */
struct policy_launch {
	int exec_fd;
	int sync_fd;
};

/* Compiles the policy into a native x86-64 filter:
 *  - each rule of the policy, in order, with its argument conditions;
 *  - the launch rules above;
 *  - every other system call: SECCOMP_RET_USER_NOTIF, so the launcher
 *    learns which call it was, names it, and kills the program;
 *  - any other ABI (i386 int 0x80, x32): SECCOMP_RET_KILL_PROCESS.
 * Uses libseccomp's binary-tree optimisation. On success *out holds a
 * malloc'd program; free it with policy_bpf_free. */
int policy_compile(const struct policy *p, const struct policy_launch *l,
		   struct sock_fprog *out, struct error *e);
void policy_bpf_free(struct sock_fprog *prog);

/* Runs a compiled filter over one system call, as the kernel would, and
 * returns the SECCOMP_RET_* value (action | data). For tests and
 * `fakeos-policy --eval`. Returns SECCOMP_RET_KILL_PROCESS for a malformed
 * program: one the kernel's checker would refuse. */
uint32_t policy_eval(const struct sock_fprog *prog,
		     const struct seccomp_data *d);

/* What the policy means for one system call, decided from its rules
 * directly, without libseccomp: the reference that tests (and a fuzzer)
 * hold policy_eval(policy_compile(p)) to. Same return values. */
uint32_t policy_decide(const struct policy *p, const struct policy_launch *l,
		       const struct seccomp_data *d);

/* Prints the policy's rules, one system call a line with its action
 * ("allow", "allow if ...", "errno ENOSYS"), as `fakeos-policy --list`. */
void policy_print_list(const struct policy *p, FILE *out);
/* Prints libseccomp's pseudo-filter code for the compiled policy. */
int policy_print_pfc(const struct policy *p, const struct policy_launch *l,
		     FILE *out, struct error *e);
/* Prints a compiled program one instruction a line. */
void policy_print_bpf(const struct sock_fprog *prog, FILE *out);

/* Counts of the policy's rules: system calls that are allowed (with or
 * without conditions) and calls that are answered with an errno. */
void policy_counts(const struct policy *p, unsigned *allowed,
		   unsigned *answered);

/* The name of an x86-64 system call number ("openat"), or NULL. Static
 * (thread-local) storage, valid until the next call. */
const char *policy_syscall_name(int nr);
/* The x86-64 number of a system call name; -ENOENT for an unknown name,
 * -ENOSYS for a call other architectures have but x86-64 lacks. */
int policy_syscall_nr(const char *name);

/* Parses a value as the policy format writes one: a number, a named
 * constant, '|', '~', '-', parentheses ("PROT_READ|PROT_WRITE"). */
int policy_parse_value(const char *s, uint64_t *out, struct error *e);

/* Describes a SECCOMP_RET_* value in words: "allow", "errno ENOTTY",
 * "notify (killed)", "kill". */
void policy_format_action(uint32_t ret, char *buf, size_t size);

#endif
