/* crash_spool.c — see crash_spool.h. Reports are files named ID.UID.json,
 * so the account a report belongs to is known without reading it; only
 * the broker writes them, in a directory nobody else may write. */
#include "crash_spool.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crash.h"
#include "fetch.h"
#include "log.h"

int crash_default_dir(char **out, struct error *e)
{
	const char *xdg = secure_getenv("XDG_STATE_HOME");
	if (xdg && xdg[0] == '/') {
		*out = xasprintf("%s/fakeos/crash", xdg);
		return 0;
	}
	if (geteuid() == 0) {
		*out = xstrdup("/var/spool/fakeos/run-crash");
		return 0;
	}
	const char *home = secure_getenv("HOME");
	if (!home || home[0] != '/')
		return error_set(e, ENOENT, "no home directory for the crash "
					    "spool: set HOME or XDG_STATE_HOME");
	*out = xasprintf("%s/.local/state/fakeos/crash", home);
	return 0;
}

static int prepare_one(const char *dir, struct error *e)
{
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return error_sys(e, errno, "mkdir %s", dir);
	struct stat st;
	if (lstat(dir, &st) < 0)
		return error_sys(e, errno, "%s", dir);
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077))
		return error_set(e, EPERM, "%s: must be a directory of uid %u, "
					   "mode 0700",
				 dir, (unsigned)geteuid());
	return 0;
}

int crash_spool_prepare(const char *dir, struct error *e)
{
	/* The parents of a default spool may be missing (a fresh home). */
	char path[4096];
	snprintf(path, sizeof(path), "%s", dir);
	for (char *s = path + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			(void)mkdir(path, 0755);
			*s = '/';
		}
	int r = prepare_one(dir, e);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "%s/sent", dir);
	return prepare_one(path, e);
}

struct entry {
	uint32_t id;
	uid_t uid;
};

/* Parses "ID.UID.json"; false for anything else. */
static bool parse_name(const char *name, struct entry *out)
{
	char *end;
	unsigned long id = strtoul(name, &end, 10);
	if (end == name || *end != '.' || id > UINT32_MAX)
		return false;
	const char *u = end + 1;
	unsigned long uid = strtoul(u, &end, 10);
	if (end == u || strcmp(end, ".json") != 0 || uid > UINT32_MAX)
		return false;
	out->id = (uint32_t)id;
	out->uid = (uid_t)uid;
	return true;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* The reports in dir, oldest (lowest id) first; at most cap. */
static size_t scan(const char *dir, struct entry *out, size_t cap)
{
	DIR *d = opendir(dir);
	size_t n = 0;
	if (!d)
		return 0;
	struct dirent *de;
	while ((de = readdir(d)) && n < cap)
		if (parse_name(de->d_name, &out[n]))
			n++;
	closedir(d);
	qsort(out, n, sizeof(*out), cmp_entry);
	return n;
}

#define SCAN_MAX (CRASH_SPOOL_MAX + CRASH_SENT_KEEP + 64)

int crash_spool_add(const char *dir, uid_t uid, const char *json,
		    size_t len, uint32_t *id, struct error *e)
{
	char sent[4096], path[4200], tmp[4200];
	static struct entry ents[SCAN_MAX];
	size_t n = scan(dir, ents, SCAN_MAX);
	if (n >= CRASH_SPOOL_MAX)
		return error_set(e, ENOSPC, "%s: %d reports wait already; this "
					    "one is dropped",
				 dir, CRASH_SPOOL_MAX);
	snprintf(sent, sizeof(sent), "%s/sent", dir);
	uint32_t next = n ? ents[n - 1].id + 1 : 1;
	n = scan(sent, ents, SCAN_MAX);
	if (n && ents[n - 1].id >= next)
		next = ents[n - 1].id + 1;
	/* Another fakeos-run may write into the same spool: O_EXCL on the
	 * final name decides who has a number. */
	for (int tries = 0; tries < 64; tries++, next++) {
		snprintf(tmp, sizeof(tmp), "%s/.%u.tmp", dir, next);
		snprintf(path, sizeof(path), "%s/%u.%u.json", dir, next,
			 (unsigned)uid);
		int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			      0600);
		if (fd < 0 && errno == EEXIST)
			continue;
		if (fd < 0)
			return error_sys(e, errno, "%s", tmp);
		int r = write_full(fd, json, len);
		if (close(fd) < 0 && r == 0)
			r = -errno;
		if (r == 0 && link(tmp, path) < 0)
			r = -errno;
		(void)unlink(tmp);
		if (r == -EEXIST)
			continue;
		if (r < 0)
			return error_sys(e, -r, "%s", path);
		*id = next;
		return 0;
	}
	return error_set(e, EEXIST, "%s: no free report number", dir);
}

bool crash_spool_pending(const char *dir)
{
	struct entry one;
	return scan(dir, &one, 1) > 0;
}

/* Keeps the newest CRASH_SENT_KEEP sent reports. */
static void prune_sent(const char *dir)
{
	char sent[4096], path[4200];
	static struct entry ents[SCAN_MAX];
	snprintf(sent, sizeof(sent), "%s/sent", dir);
	size_t n = scan(sent, ents, SCAN_MAX);
	for (size_t i = 0; i + CRASH_SENT_KEEP < n; i++) {
		snprintf(path, sizeof(path), "%s/%u.%u.json", sent, ents[i].id,
			 (unsigned)ents[i].uid);
		(void)unlink(path);
	}
}

int crash_spool_send_all(const char *dir, const char *url)
{
	static struct entry ents[SCAN_MAX];
	size_t n = scan(dir, ents, SCAN_MAX);
	int ret = 0;
	for (size_t i = 0; i < n; i++) {
		char path[4200], to[4200];
		snprintf(path, sizeof(path), "%s/%u.%u.json", dir, ents[i].id,
			 (unsigned)ents[i].uid);
		snprintf(to, sizeof(to), "%s/sent/%u.%u.json", dir, ents[i].id,
			 (unsigned)ents[i].uid);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue; /* sent by another sender just now */
		struct fetch_opts o = { .max_size = 1 << 20,
					.timeout_ms = 10000 };
		struct fetch_result res;
		struct error e = { "" };
		int r = fetch_post(url, &o, fd, &res, &e);
		close(fd);
		if (r < 0) {
			log_warn("crash report %u: not sent to %s: %s (kept in "
				 "%s)",
				 ents[i].id, url, e.msg, dir);
			ret = -EAGAIN;
			break;
		}
		if (rename(path, to) < 0)
			(void)unlink(path);
		log_info("crash report %u: sent to %s", ents[i].id, url);
	}
	prune_sent(dir);
	return ret;
}

/* Copies the JSON string value of "key" from a report of ours (the
 * writer's own output: escapes are \" \\ and \u00XX) into out, raw. */
static void field(const char *json, const char *key, char *out, size_t cap)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	const char *s = strstr(json, pat);
	size_t n = 0;
	if (s)
		for (s += strlen(pat); *s && *s != '"' && n + 1 < cap; s++) {
			if (*s == '\\' && s[1])
				s++;
			out[n++] = *s;
		}
	out[n] = '\0';
	if (!n)
		snprintf(out, cap, "-");
}

static void list_dir(const char *dir, const char *state, uid_t uid,
		     void (*line)(const char *s, void *arg), void *arg)
{
	static struct entry ents[SCAN_MAX];
	size_t n = scan(dir, ents, SCAN_MAX);
	for (size_t i = 0; i < n; i++) {
		if (uid != (uid_t)-1 && ents[i].uid != uid)
			continue;
		char path[4200], buf[8192], reason[256], url[1100], l[1500];
		snprintf(path, sizeof(path), "%s/%u.%u.json", dir, ents[i].id,
			 (unsigned)ents[i].uid);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t got = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		buf[got > 0 ? got : 0] = '\0';
		field(buf, "reason", reason, sizeof(reason));
		field(buf, "url", url, sizeof(url));
		snprintf(l, sizeof(l), "%-6u %-7u %-8s %s  %s", ents[i].id,
			 (unsigned)ents[i].uid, state, url, reason);
		line(l, arg);
	}
}

void crash_spool_list(const char *dir, uid_t uid,
		      void (*line)(const char *s, void *arg), void *arg)
{
	char sent[4096];
	snprintf(sent, sizeof(sent), "%s/sent", dir);
	line("ID     ACCOUNT STATE    URL  REASON", arg);
	list_dir(dir, "pending", uid, line, arg);
	list_dir(sent, "sent", uid, line, arg);
}

int crash_spool_show(const char *dir, uint32_t id, uid_t uid,
		     void (*chunk)(const char *s, size_t n, void *arg),
		     void *arg)
{
	static struct entry ents[SCAN_MAX];
	const char *subs[] = { "", "/sent" };
	for (size_t k = 0; k < ARRAY_SIZE(subs); k++) {
		char d[4200], path[4300];
		snprintf(d, sizeof(d), "%s%s", dir, subs[k]);
		size_t n = scan(d, ents, SCAN_MAX);
		for (size_t i = 0; i < n; i++) {
			if (ents[i].id != id)
				continue;
			if (uid != (uid_t)-1 && ents[i].uid != uid)
				return -ENOENT;
			snprintf(path, sizeof(path), "%s/%u.%u.json", d, id,
				 (unsigned)ents[i].uid);
			int fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				return -errno;
			char *buf = xmalloc(CRASH_SHOW_CHUNK);
			ssize_t got;
			size_t total = 0;
			/* Bounded: a report is at most CRASH_MAX_BYTES. */
			while (total < CRASH_MAX_BYTES &&
			       (got = read(fd, buf, CRASH_SHOW_CHUNK)) > 0) {
				chunk(buf, (size_t)got, arg);
				total += (size_t)got;
			}
			free(buf);
			close(fd);
			return 0;
		}
	}
	return -ENOENT;
}

bool crash_rate_take(struct crash_rate tab[CRASH_RATE_SLOTS],
		     const uint8_t key[32], int64_t now, unsigned max,
		     int64_t window_s, unsigned *suppressed)
{
	struct crash_rate *slot = NULL, *oldest = &tab[0];
	for (int i = 0; i < CRASH_RATE_SLOTS; i++) {
		if (memcmp(tab[i].key, key, 32) == 0 && tab[i].window) {
			slot = &tab[i];
			break;
		}
		if (tab[i].window < oldest->window)
			oldest = &tab[i];
	}
	if (!slot) {
		slot = oldest;
		memset(slot, 0, sizeof(*slot));
		memcpy(slot->key, key, 32);
		slot->window = now;
	}
	if (now - slot->window >= window_s) {
		slot->window = now;
		slot->count = 0;
	}
	if (slot->count >= max) {
		slot->suppressed++;
		return false;
	}
	slot->count++;
	*suppressed = slot->suppressed;
	slot->suppressed = 0;
	return true;
}
