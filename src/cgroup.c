/* cgroup.c — see cgroup.h. */
#include "cgroup.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>

static int write_text(int dirfd, const char *path, const char *text)
{
	int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = write_full(fd, text, strlen(text));
	close(fd);
	return r;
}

static int write_num(int dirfd, const char *path, uint64_t value)
{
	char num[32];
	snprintf(num, sizeof(num), "%llu", (unsigned long long)value);
	return write_text(dirfd, path, num);
}

/* The next line of text as [line, line + *len); NULL at the end. */
static const char *next_line(const char **cursor, size_t *len)
{
	const char *line = *cursor;
	if (!line || !*line)
		return NULL;
	const char *end = strchr(line, '\n');
	*len = end ? (size_t)(end - line) : strlen(line);
	*cursor = end ? end + 1 : NULL;
	return line;
}

/* Lines are "N:controllers:/path"; v2's has no controllers ("0::/path"). */
int cgroup_parse_self(const char *text, const char *ctl, char *path,
		      size_t n)
{
	const char *cursor = text, *line;
	size_t len;
	while ((line = next_line(&cursor, &len))) {
		char buf[1024];
		if (len >= sizeof(buf))
			continue;
		memcpy(buf, line, len);
		buf[len] = '\0';
		char *ctls = strchr(buf, ':');
		char *p = ctls ? strchr(ctls + 1, ':') : NULL;
		if (!p)
			continue;
		*p++ = '\0';
		*ctls++ = '\0';
		bool match = ctl ? cgroup_list_has(ctls, ctl)
				 : strcmp(buf, "0") == 0 && !*ctls;
		if (!match)
			continue;
		if (strlen(p) >= n || p[0] != '/')
			return -EINVAL;
		memcpy(path, p, strlen(p) + 1);
		return 0;
	}
	return -ENOENT;
}

/* mountinfo: "id parent maj:min root mountpoint options... - fstype src
 * superopts". The mount point is field 5; the type follows " - ", and a
 * cgroup v1 mount names its controllers among the super options. */
int cgroup_parse_mount(const char *text, const char *ctl, char *mnt,
		       size_t n)
{
	const char *cursor = text, *line;
	size_t len;
	while ((line = next_line(&cursor, &len))) {
		char buf[1024];
		if (len >= sizeof(buf))
			continue;
		memcpy(buf, line, len);
		buf[len] = '\0';
		char *sep = strstr(buf, " - ");
		if (!sep)
			continue;
		*sep = '\0';
		char *tail[3] = { 0 }, *fields[5] = { 0 };
		char *save = NULL, *tok = strtok_r(sep + 3, " ", &save);
		for (int i = 0; tok && i < 3; i++) {
			tail[i] = tok;
			tok = strtok_r(NULL, " ", &save);
		}
		save = NULL;
		tok = strtok_r(buf, " ", &save);
		for (int i = 0; tok && i < 5; i++) {
			fields[i] = tok;
			tok = strtok_r(NULL, " ", &save);
		}
		if (!tail[0] || !fields[4] || strlen(fields[4]) >= n)
			continue;
		bool match = ctl ? strcmp(tail[0], "cgroup") == 0 && tail[2] &&
					   cgroup_list_has(tail[2], ctl)
				 : strcmp(tail[0], "cgroup2") == 0;
		if (match) {
			memcpy(mnt, fields[4], strlen(fields[4]) + 1);
			return 0;
		}
	}
	return -ENOENT;
}

static bool is_sep(char c)
{
	return c == '\0' || c == ' ' || c == ',' || c == '\n';
}

bool cgroup_list_has(const char *list, const char *ctl)
{
	size_t n = strlen(ctl);
	for (const char *p = list; (p = strstr(p, ctl)); p += n)
		if ((p == list || is_sep(p[-1])) && is_sep(p[n]))
			return true;
	return false;
}

/* Where the hierarchy is mounted: the usual place when it is one (reading
 * mountinfo costs more than the rest of the probe together), else what
 * mountinfo says. A v1 mount must hold the memory controller's files. */
static int find_mount(const char *ctl, char *mnt, size_t n)
{
	static const char *const usual_v2[] = { "/sys/fs/cgroup",
						"/sys/fs/cgroup/unified" };
	static const char *const usual_v1[] = { "/sys/fs/cgroup/memory" };
	const char *const *usual = ctl ? usual_v1 : usual_v2;
	size_t count = ctl ? ARRAY_SIZE(usual_v1) : ARRAY_SIZE(usual_v2);
	unsigned long magic = ctl ? CGROUP_SUPER_MAGIC : CGROUP2_SUPER_MAGIC;
	struct statfs sfs;
	char file[128];
	for (size_t i = 0; i < count; i++) {
		snprintf(file, sizeof(file), "%s/memory.limit_in_bytes",
			 usual[i]);
		if (statfs(usual[i], &sfs) == 0 && (unsigned long)sfs.f_type == magic &&
		    (!ctl || access(file, F_OK) == 0)) {
			snprintf(mnt, n, "%s", usual[i]);
			return 0;
		}
	}
	char text[16384];
	if (read_text(AT_FDCWD, "/proc/self/mountinfo", text, sizeof(text)) < 0)
		return -ENOENT;
	return cgroup_parse_mount(text, ctl, mnt, n);
}

/* Opens our group in the hierarchy of ctl (NULL: cgroup v2) as b's base. */
static int open_base(struct cgroup_base *b, const char *ctl, char *why,
		     size_t why_len)
{
	char text[8192], self[256], mnt[256];
	const char *what = ctl ? "the cgroup v1 memory hierarchy" : "cgroup v2";
	if (read_text(AT_FDCWD, "/proc/self/cgroup", text, sizeof(text)) < 0 ||
	    cgroup_parse_self(text, ctl, self, sizeof(self)) < 0) {
		snprintf(why, why_len, "this process is in no group of %s",
			 what);
		return -ENOENT;
	}
	if (find_mount(ctl, mnt, sizeof(mnt)) < 0) {
		snprintf(why, why_len, "%s is not mounted", what);
		return -ENOENT;
	}
	snprintf(b->path, sizeof(b->path), "%s%s", mnt,
		 strcmp(self, "/") == 0 ? "" : self);
	int fd = open(b->path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;
		snprintf(why, why_len, "%s: %s", b->path, strerror(err));
		return -err;
	}
	if (faccessat(fd, ".", W_OK, AT_EACCESS) < 0) {
		snprintf(why, why_len, "%s is not writable by us", b->path);
		close(fd);
		return -EACCES;
	}
	return fd;
}

static int probe_v2(struct cgroup_base *b, char *why, size_t why_len)
{
	char text[512];
	int fd = open_base(b, NULL, why, why_len);
	if (fd < 0)
		return fd;
	/* Children of our group get limits only for controllers enabled in
	 * its subtree_control; someone who delegated the group enabled
	 * them (systemd's Delegate=memory pids, say). We do not enable them
	 * ourselves: that would reorganise a hierarchy that is not ours. */
	if (read_text(fd, "cgroup.subtree_control", text, sizeof(text)) == 0) {
		b->memory = cgroup_list_has(text, "memory");
		b->pids = cgroup_list_has(text, "pids");
	}
	if (!b->memory) {
		snprintf(why, why_len,
			 "%s does not delegate the memory controller (enabled "
			 "here: %s)",
			 b->path, text[0] && text[0] != '\n' ? text : "none\n");
		why[strcspn(why, "\n")] = '\0';
		close(fd);
		return -ENOTSUP;
	}
	b->dirfd = fd;
	return 0;
}

/* A hybrid host (systemd's legacy or hybrid mode, most container hosts
 * before 2022) mounts the memory controller as cgroup v1. Its
 * memory.limit_in_bytes charges kernel memory too (io_uring's requests
 * come from a SLAB_ACCOUNT cache): test_escape.sh's
 * test_ring_timeout_flood_is_killed_at_the_memory_limit shows it. */
static int probe_v1(struct cgroup_base *b, char *why, size_t why_len)
{
	int fd = open_base(b, "memory", why, why_len);
	if (fd < 0)
		return fd;
	b->memory = true;
	b->pids = false; /* the v1 pids hierarchy is another; not used */
	b->dirfd = fd;
	return 0;
}

/* Groups a launcher that died (SIGKILL, a crash) could not remove: only
 * those of a pid that is gone, and rmdir removes only an empty group, so
 * a live program's group stays whoever made it. */
static void remove_stale(struct cgroup_base *b)
{
	int fd = openat(b->dirfd, ".", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		int pid = cgroup_name_pid(de->d_name);
		if (pid > 0 && pid != getpid() && kill(pid, 0) < 0 &&
		    errno == ESRCH)
			(void)unlinkat(b->dirfd, de->d_name, AT_REMOVEDIR);
	}
	closedir(d);
}

int cgroup_probe(struct cgroup_base *b, char *msg, size_t msg_len)
{
	char why2[1100];
	*b = (struct cgroup_base){ .dirfd = -1 };
	if (probe_v2(b, why2, sizeof(why2)) == 0) {
		b->version = 2;
		snprintf(msg, msg_len,
			 "cgroup v2: each program gets memory.max%s in %s",
			 b->pids ? " and pids.max" : "", b->path);
	} else {
		char why1[1100];
		*b = (struct cgroup_base){ .dirfd = -1 };
		if (probe_v1(b, why1, sizeof(why1)) < 0) {
			snprintf(msg, msg_len, "v2: %s; v1: %s", why2, why1);
			return -ENOTSUP;
		}
		b->version = 1;
		snprintf(msg, msg_len,
			 "cgroup v1: each program gets memory.limit_in_bytes "
			 "(kernel memory counted) in %s",
			 b->path);
	}
	remove_stale(b);
	return 0;
}

void cgroup_base_close(struct cgroup_base *b)
{
	if (b->dirfd >= 0)
		close(b->dirfd);
	b->dirfd = -1;
	b->version = 0;
}

uint64_t cgroup_memory_limit(uint64_t memory)
{
	uint64_t headroom = memory / 8;
	if (headroom < CGROUP_HEADROOM_MIN)
		headroom = CGROUP_HEADROOM_MIN;
	return memory > UINT64_MAX - headroom ? UINT64_MAX : memory + headroom;
}

static void group_name(uint64_t id, char *buf, size_t n)
{
	snprintf(buf, n, "fakeos-%d-%llu", (int)getpid(),
		 (unsigned long long)id);
}

int cgroup_name_pid(const char *name)
{
	static const char prefix[] = "fakeos-";
	if (strncmp(name, prefix, sizeof(prefix) - 1) != 0)
		return -1;
	const char *p = name + sizeof(prefix) - 1;
	char *end;
	errno = 0;
	if (*p < '0' || *p > '9')
		return -1;
	long pid = strtol(p, &end, 10);
	if (end == p || *end != '-' || pid <= 0 || pid > INT32_MAX || errno)
		return -1;
	p = end + 1;
	if (*p < '0' || *p > '9')
		return -1;
	(void)strtoull(p, &end, 10);
	if (*end != '\0' || errno)
		return -1;
	return (int)pid;
}

/* The limits of a new group. cgroup v1 takes memory.limit_in_bytes before
 * memory.memsw.limit_in_bytes (which may not be below it); memsw is absent
 * where swap accounting is off, and then there is no swap to limit. The
 * OOM killer is switched on explicitly: a v1 group inherits
 * oom_kill_disable, and under it a program at its limit would hang in the
 * kernel instead of being stopped. */
static int set_limits(struct cgroup_base *b, int fd, uint64_t memory,
		      uint64_t pids)
{
	int r = 0;
	uint64_t limit = cgroup_memory_limit(memory);
	if (b->version == 1) {
		r = write_num(fd, "memory.limit_in_bytes", limit);
		if (r == 0) {
			r = write_num(fd, "memory.memsw.limit_in_bytes", limit);
			r = r == -ENOENT ? 0 : r;
		}
		if (r == 0)
			r = write_text(fd, "memory.oom_control", "0");
		return r;
	}
	if (memory) {
		r = write_num(fd, "memory.max", limit);
		/* No swap: the limit is on memory, not on memory plus disk. */
		if (r == 0)
			(void)write_text(fd, "memory.swap.max", "0");
	}
	if (r == 0 && b->pids && pids)
		r = write_num(fd, "pids.max", pids);
	return r;
}

int cgroup_create(struct cgroup_base *b, uint64_t id, uint64_t memory,
		  uint64_t pids, struct cgroup_join *join, struct error *e)
{
	char name[64];
	join->clone_fd = join->procs_fd = -1;
	if (b->version == 1 && !memory)
		return 0; /* nothing to limit: --memory 0 */
	group_name(id, name, sizeof(name));
	if (mkdirat(b->dirfd, name, 0755) < 0 && errno != EEXIST)
		return error_sys(e, errno, "cgroup: mkdir %s/%s", b->path, name);
	int fd = openat(b->dirfd, name, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;
		cgroup_remove(b, id);
		return error_sys(e, err, "cgroup: open %s/%s", b->path, name);
	}
	int r = set_limits(b, fd, memory, pids);
	if (r == 0 && b->version == 1) {
		join->procs_fd = openat(fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
		r = join->procs_fd < 0 ? -errno : 0;
	}
	if (r < 0) {
		close(fd);
		cgroup_remove(b, id);
		return error_sys(e, -r, "cgroup: limits for %s/%s", b->path,
				 name);
	}
	if (b->version == 2)
		join->clone_fd = fd;
	else
		close(fd);
	return 0;
}

void cgroup_join_close(struct cgroup_join *join)
{
	if (join->clone_fd >= 0)
		close(join->clone_fd);
	if (join->procs_fd >= 0)
		close(join->procs_fd);
	join->clone_fd = join->procs_fd = -1;
}

int cgroup_oom_kills(struct cgroup_base *b, uint64_t id)
{
	char name[64], path[128], text[1024];
	if (b->dirfd < 0)
		return 0;
	group_name(id, name, sizeof(name));
	snprintf(path, sizeof(path), "%s/%s", name,
		 b->version == 2 ? "memory.events" : "memory.oom_control");
	if (read_text(b->dirfd, path, text, sizeof(text)) < 0)
		return 0;
	for (const char *p = text; (p = strstr(p, "oom_kill ")); p++)
		if (p == text || p[-1] == '\n') {
			long kills = strtol(p + strlen("oom_kill "), NULL, 10);
			return kills > 0 && kills <= INT32_MAX ? (int)kills : 0;
		}
	return 0;
}

void cgroup_remove(struct cgroup_base *b, uint64_t id)
{
	char name[64];
	if (b->dirfd < 0)
		return;
	group_name(id, name, sizeof(name));
	(void)unlinkat(b->dirfd, name, AT_REMOVEDIR);
}
