/* cgroup.c — see cgroup.h. */
#include "cgroup.h"

#include <fcntl.h>
#include <stdio.h>
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

int cgroup_parse_self(const char *text, char *path, size_t n)
{
	for (const char *line = text; line && *line;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		if (len > 3 && strncmp(line, "0::", 3) == 0) {
			if (len - 3 >= n || line[3] != '/')
				return -EINVAL;
			memcpy(path, line + 3, len - 3);
			path[len - 3] = '\0';
			return 0;
		}
		line = end ? end + 1 : NULL;
	}
	return -ENOENT;
}

/* mountinfo: "id parent maj:min root mountpoint options... - fstype src
 * superopts". The mount point is field 5; the type follows " - ". */
int cgroup_parse_mount(const char *text, char *mnt, size_t n)
{
	for (const char *line = text; line && *line;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		char buf[1024];
		if (len < sizeof(buf)) {
			memcpy(buf, line, len);
			buf[len] = '\0';
			char *sep = strstr(buf, " - ");
			char *fields[5] = { 0 };
			char *save = NULL, *tok = strtok_r(buf, " ", &save);
			for (int i = 0; tok && i < 5; i++) {
				fields[i] = tok;
				tok = strtok_r(NULL, " ", &save);
			}
			size_t flen = fields[4] ? strlen(fields[4]) : 0;
			if (sep && strncmp(sep + 3, "cgroup2 ", 8) == 0 &&
			    fields[4] && flen < n) {
				memcpy(mnt, fields[4], flen + 1);
				return 0;
			}
		}
		line = end ? end + 1 : NULL;
	}
	return -ENOENT;
}

bool cgroup_list_has(const char *list, const char *ctl)
{
	size_t n = strlen(ctl);
	for (const char *p = list; (p = strstr(p, ctl)); p += n)
		if ((p == list || p[-1] == ' ') &&
		    (p[n] == '\0' || p[n] == ' ' || p[n] == '\n'))
			return true;
	return false;
}

int cgroup_probe(struct cgroup_base *b, char *why, size_t why_len)
{
	char text[8192], self[256], mnt[256];
	b->dirfd = -1;
	b->memory = b->pids = false;
	if (read_text(AT_FDCWD, "/proc/self/cgroup", text, sizeof(text)) < 0 ||
	    cgroup_parse_self(text, self, sizeof(self)) < 0) {
		snprintf(why, why_len, "this process is in no cgroup v2 group");
		return -ENOENT;
	}
	/* The usual places first: reading mountinfo costs more than the
	 * rest of the probe together. */
	static const char *const usual[] = { "/sys/fs/cgroup",
					     "/sys/fs/cgroup/unified" };
	struct statfs sfs;
	mnt[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(usual) && !mnt[0]; i++)
		if (statfs(usual[i], &sfs) == 0 &&
		    sfs.f_type == CGROUP2_SUPER_MAGIC)
			snprintf(mnt, sizeof(mnt), "%s", usual[i]);
	if (!mnt[0] &&
	    (read_text(AT_FDCWD, "/proc/self/mountinfo", text, sizeof(text)) <
		     0 ||
	     cgroup_parse_mount(text, mnt, sizeof(mnt)) < 0)) {
		snprintf(why, why_len, "no cgroup2 file system is mounted");
		return -ENOENT;
	}
	snprintf(b->path, sizeof(b->path), "%s%s", mnt,
		 strcmp(self, "/") == 0 ? "" : self);
	int fd = open(b->path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, why_len, "%s: %s", b->path, strerror(errno));
		return -errno;
	}
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
	if (faccessat(fd, ".", W_OK, AT_EACCESS) < 0) {
		snprintf(why, why_len, "%s is not writable by us", b->path);
		close(fd);
		return -EACCES;
	}
	b->dirfd = fd;
	return 0;
}

void cgroup_base_close(struct cgroup_base *b)
{
	if (b->dirfd >= 0)
		close(b->dirfd);
	b->dirfd = -1;
}

static void group_name(uint64_t id, char *buf, size_t n)
{
	snprintf(buf, n, "fakeos-%d-%llu", (int)getpid(),
		 (unsigned long long)id);
}

int cgroup_create(struct cgroup_base *b, uint64_t id, uint64_t memory,
		  uint64_t pids, int *out, struct error *e)
{
	char name[64], num[32];
	group_name(id, name, sizeof(name));
	if (mkdirat(b->dirfd, name, 0755) < 0 && errno != EEXIST)
		return error_sys(e, errno, "cgroup: mkdir %s/%s", b->path, name);
	int fd = openat(b->dirfd, name, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error_sys(e, errno, "cgroup: open %s/%s", b->path, name);
	int r = 0;
	if (memory) {
		snprintf(num, sizeof(num), "%llu", (unsigned long long)memory);
		r = write_text(fd, "memory.max", num);
		/* No swap: the limit is on memory, not on memory plus disk. */
		if (r == 0)
			(void)write_text(fd, "memory.swap.max", "0");
	}
	if (r == 0 && b->pids && pids) {
		snprintf(num, sizeof(num), "%llu", (unsigned long long)pids);
		r = write_text(fd, "pids.max", num);
	}
	if (r < 0) {
		close(fd);
		cgroup_remove(b, id);
		return error_sys(e, -r, "cgroup: limits for %s/%s", b->path,
				 name);
	}
	*out = fd;
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
