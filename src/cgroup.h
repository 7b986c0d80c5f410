/* cgroup.h — a memory cgroup for each jailed program, where this host lets
 * us make one. rlimits are the baseline everywhere; a cgroup adds what they
 * cannot say: its memory limit counts the kernel memory a program makes
 * the kernel hold (io_uring requests, pipe pages, page tables), where
 * RLIMIT_AS counts address space only, and pids.max bounds the kernel
 * threads io_uring may start for it.
 *
 * Two hierarchies serve: a delegated cgroup v2 group (memory.max, and
 * pids.max where delegated too), else the cgroup v1 memory controller of
 * a hybrid host (memory.limit_in_bytes, which charges kernel memory to the
 * same counter). Where neither is writable, nothing bounds a program's
 * kernel memory but the host's: docs/SECURITY.md names that gap. */
#ifndef FAKEOS_CGROUP_H
#define FAKEOS_CGROUP_H

#include "util.h"

struct cgroup_base {
	int dirfd; /* our cgroup's directory, where program groups go; -1 */
	char path[512]; /* for messages */
	int version; /* 2 or 1 (the v1 memory hierarchy); 0 with dirfd -1 */
	bool memory, pids; /* controllers a program's group can limit */
};

/* How a new process joins its program's group. cgroup v2: clone3 starts it
 * there (CLONE_INTO_CGROUP with clone_fd). cgroup v1 has no such flag: the
 * launcher writes the child's pid to procs_fd before the child runs
 * anything of the program's. Each is -1 where unused. */
struct cgroup_join {
	int clone_fd, procs_fd;
};

/* Finds a hierarchy where we may create child groups that limit memory:
 * our cgroup v2 group if it delegates the memory controller, else our
 * group in the cgroup v1 memory hierarchy. Removes the empty groups a
 * launcher that died left there. On success b->dirfd >= 0 and msg says
 * what each program gets; otherwise msg says why neither serves. */
int cgroup_probe(struct cgroup_base *b, char *msg, size_t msg_len);
void cgroup_base_close(struct cgroup_base *b);

/* The memory limit of a program's group for --memory bytes: more than
 * RLIMIT_AS, so that a program that fills its address space gets ENOMEM
 * from the rlimit, as documented, and the group stops only what the
 * rlimit cannot see. The headroom also covers the kernel memory an honest
 * program holds: page tables, pipe pages of full links (63 x 64 KiB), its
 * ring's requests. */
#define CGROUP_HEADROOM_MIN (16ULL << 20)
uint64_t cgroup_memory_limit(uint64_t memory);

/* Creates the group for program id with its limits: memory
 * (cgroup_memory_limit, with no swap beyond it) and pids; fills *join.
 * With cgroup v1 and no memory limit, creates nothing (join all -1). */
int cgroup_create(struct cgroup_base *b, uint64_t id, uint64_t memory,
		  uint64_t pids, struct cgroup_join *join, struct error *e);
void cgroup_join_close(struct cgroup_join *join);
/* How many times the kernel's OOM killer killed in program id's group (its
 * memory limit was reached: cgroup v2 memory.events, v1 memory.oom_control);
 * 0 without a group. Ask before cgroup_remove. */
int cgroup_oom_kills(struct cgroup_base *b, uint64_t id);
/* Removes the group once its program has been reaped. */
void cgroup_remove(struct cgroup_base *b, uint64_t id);

/* Pure helpers, for tests. From /proc/self/cgroup text, the path of our
 * group: the cgroup v2 one ("0::/a/b") when ctl is NULL, else the v1
 * hierarchy that has controller ctl ("4:cpu,memory:/a"). From
 * /proc/self/mountinfo text, where that hierarchy is mounted (file system
 * type cgroup2, or cgroup with ctl among its options). Whether a list
 * separated by spaces or commas names ctl. */
int cgroup_parse_self(const char *text, const char *ctl, char *path,
		      size_t n);
int cgroup_parse_mount(const char *text, const char *ctl, char *mnt,
		       size_t n);
bool cgroup_list_has(const char *list, const char *ctl);
/* A group name this module gives ("fakeos-PID-ID"): its launcher's pid;
 * -1 for any other name. */
int cgroup_name_pid(const char *name);

#endif
