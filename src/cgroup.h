/* cgroup.h — cgroup v2 limits for jailed programs, where a delegated cgroup
 * offers them. rlimits are the baseline everywhere; a cgroup adds what they
 * cannot say: memory.max counts the memory a program really uses (page
 * tables, kernel buffers, its ring), where RLIMIT_AS counts address space,
 * and pids.max bounds the kernel threads io_uring may start for it. */
#ifndef FAKEOS_CGROUP_H
#define FAKEOS_CGROUP_H

#include "util.h"

struct cgroup_base {
	int dirfd; /* our cgroup's directory, where program groups go; -1 */
	char path[512]; /* for messages */
	bool memory, pids; /* controllers enabled for its children */
};

/* Finds the cgroup v2 directory of this process and checks that we may
 * create child groups in it with the memory and pids controllers. On
 * success b->dirfd >= 0; otherwise why says what was missing (hybrid
 * hierarchy without those controllers, no write access, ...). */
int cgroup_probe(struct cgroup_base *b, char *why, size_t why_len);
void cgroup_base_close(struct cgroup_base *b);

/* Creates the group for program id, sets memory.max (and swap to 0) and
 * pids.max, and puts a directory descriptor for CLONE_INTO_CGROUP in
 * *out. */
int cgroup_create(struct cgroup_base *b, uint64_t id, uint64_t memory,
		  uint64_t pids, int *out, struct error *e);
/* Removes the group once its program has been reaped. */
void cgroup_remove(struct cgroup_base *b, uint64_t id);

/* Pure helpers, for tests. The cgroup v2 path from /proc/self/cgroup
 * text ("0::/a/b"); the cgroup2 mount point from /proc/self/mountinfo
 * text; whether a space-separated controller list names ctl. */
int cgroup_parse_self(const char *text, char *path, size_t n);
int cgroup_parse_mount(const char *text, char *mnt, size_t n);
bool cgroup_list_has(const char *list, const char *ctl);

#endif
