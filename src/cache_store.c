/* cache_store.c — see cache_store.h.
 *
 * Hardening. The root is opened once with O_NOFOLLOW and checked: owned by
 * the euid and not writable by group or others, so nobody else can plant
 * anything below it. Everything below is reached with openat2() and
 * RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS, and the
 * *at() calls that modify (mkdirat, renameat, unlinkat) only ever get a
 * single name relative to a directory opened that way, so a symlink placed
 * anywhere in the tree is refused (ELOOP) rather than followed out of it.
 * Entries never hold paths: an object is named by its digest, and its path
 * is derived from that.
 *
 * Concurrency. Files appear only through rename() from tmp/, after fsync,
 * so a reader sees a whole object or entry or none. Fetching a URL is
 * serialised by its lock file in locks/; eviction, verify and clear by the
 * global lock. Objects are immutable and content-addressed, so two writers
 * of the same object write the same bytes and either rename wins. A launch
 * that holds an object open is unaffected by its removal. */
#include "cache_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>

#include "log.h"

#define CACHE_RESOLVE \
	(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)

/* Temporary files older than this were left by a launch that crashed; no
 * live launch takes anywhere near this long to write one. */
#define CACHE_TMP_MAX_AGE (60 * 60)

/* Bounds the walk of a tree being removed; the cache is two levels deep,
 * anything deeper was not made by fakeOS. */
#define CACHE_REMOVE_DEPTH 8

struct cache {
	int root;
	char *dir;
};

/* ---- paths and safe opening ------------------------------------------ */

/* The key of a URL: the hex SHA-256 of the URL without fragment. */
static void cache_url_key(const char *url, char key[HASH_HEX_SIZE])
{
	uint8_t d[HASH_SIZE];
	hash_buf(url, strlen(url), d);
	hash_hex(d, key);
}

/* openat2() confined below dirfd, refusing every symlink. */
static int cache_openat(int dirfd, const char *path, int flags, mode_t mode)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC | O_NOCTTY),
		.mode = (flags & O_CREAT) ? mode : 0,
		.resolve = CACHE_RESOLVE,
	};
	for (int tries = 0;; tries++) {
		long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
		if (fd >= 0)
			return (int)fd;
		/* openat2 may return EAGAIN when a concurrent rename raced
		 * with the lookup; it is safe to try again. */
		if ((errno == EAGAIN || errno == EINTR) && tries < 16)
			continue;
		return -errno;
	}
}

/* An error message for a failed cache_openat of path (relative to the
 * root), naming the attack when it is one. */
static int cache_open_error(const struct cache *c, const char *path, int r,
			    struct error *e)
{
	if (r == -ELOOP)
		return error_set(e, ELOOP, "cache %s: %s is or passes through "
					   "a symbolic link; refused",
				 c->dir, path);
	if (r == -EXDEV)
		return error_set(e, EXDEV, "cache %s: %s escapes the cache; "
					   "refused", c->dir, path);
	if (r == -ENOSYS)
		return error_set(e, ENOSYS, "cache %s: openat2 is not "
					    "available (Linux 5.6 or later is "
					    "needed)", c->dir);
	return error_sys(e, -r, "cache %s: cannot open %s", c->dir, path);
}

/* Opens (creating when asked) the directory path below the root, one
 * component at a time so that mkdirat never resolves a symlink. A newly
 * made directory is fsynced into its parent. */
static int cache_subdir(struct cache *c, const char *path, bool create,
			int *out, struct error *e)
{
	char comp[NAME_MAX + 1];
	int fd = -1;
	const char *p = path;

	while (*p) {
		size_t n = strcspn(p, "/");
		if (n == 0 || n > NAME_MAX) {
			if (fd >= 0)
				close(fd);
			return error_set(e, EINVAL, "cache: bad path %s", path);
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		int parent = fd >= 0 ? fd : c->root;
		if (create) {
			if (mkdirat(parent, comp, 0700) == 0) {
				if (fsync(parent) < 0)
					log_debug("cache: fsync after mkdir "
						  "%s: %s", comp,
						  strerror(errno));
			} else if (errno != EEXIST) {
				int err = errno;
				if (fd >= 0)
					close(fd);
				return error_sys(e, err, "cache %s: cannot "
						 "create %s", c->dir, path);
			}
		}
		int nfd = cache_openat(parent, comp, O_RDONLY | O_DIRECTORY, 0);
		if (fd >= 0)
			close(fd);
		if (nfd < 0)
			return cache_open_error(c, path, nfd, e);
		fd = nfd;
		p += n;
		if (*p == '/')
			p++;
	}
	*out = fd;
	return 0;
}

/* Writes buf to a new file in tmp/, syncs it, gives it mode, and renames
 * it to name in dstdir, then syncs dstdir so the new name is durable. */
static int cache_write_file(struct cache *c, int dstdir, const char *dstdesc,
			    const char *name, const void *buf, size_t len,
			    mode_t mode, struct error *e)
{
	static unsigned counter;
	cleanup_fd int tmpdir = -1;
	cleanup_fd int fd = -1;
	char tmp[64];
	int r;

	r = cache_subdir(c, "tmp", true, &tmpdir, e);
	if (r < 0)
		return r;
	for (int tries = 0;; tries++) {
		snprintf(tmp, sizeof(tmp), "%d.%llx.%u", (int)getpid(),
			 (unsigned long long)now_ns(), counter++);
		fd = cache_openat(tmpdir, tmp,
				  O_WRONLY | O_CREAT | O_EXCL | O_NONBLOCK,
				  0600);
		if (fd != -EEXIST || tries > 16)
			break;
	}
	if (fd < 0)
		return cache_open_error(c, "tmp/", fd, e);

	const char *what = "write";
	r = write_full(fd, buf, len);
	if (r == 0 && fchmod(fd, mode) < 0) {
		r = -errno;
		what = "chmod";
	}
	if (r == 0 && fsync(fd) < 0) {
		r = -errno;
		what = "fsync";
	}
	if (r == 0 && close(steal_fd(&fd)) < 0) {
		r = -errno;
		what = "close";
	}
	if (r == 0 && renameat(tmpdir, tmp, dstdir, name) < 0) {
		r = -errno;
		what = "rename into place";
	}
	if (r < 0) {
		if (unlinkat(tmpdir, tmp, 0) < 0)
			log_debug("cache: removing tmp/%s: %s", tmp,
				  strerror(errno));
		return error_sys(e, -r, "cache %s: cannot %s %s", c->dir, what,
				 dstdesc);
	}
	/* The rename must reach the disk before anything refers to the new
	 * name (an entry to an object), or a crash could leave a dangling
	 * reference. */
	if (fsync(dstdir) < 0)
		return error_sys(e, errno, "cache %s: fsync of the directory "
					   "of %s", c->dir, dstdesc);
	return 0;
}

/* ---- opening the cache ----------------------------------------------- */

int cache_default_dir(char **out, struct error *e)
{
	if (geteuid() == 0) {
		*out = xstrdup("/var/cache/fakeos");
		return 0;
	}
	/* XDG: a relative XDG_CACHE_HOME is invalid and must be ignored. */
	const char *xdg = secure_getenv("XDG_CACHE_HOME");
	if (xdg && xdg[0] == '/') {
		*out = xasprintf("%s/fakeos", xdg);
		return 0;
	}
	/* No passwd lookup: fakeos-run is linked statically, where glibc's
	 * name service cannot be used; login sessions and services set
	 * HOME. */
	const char *home = secure_getenv("HOME");
	if (!home || home[0] != '/')
		return error_set(e, ENOENT, "no home directory for the cache: "
					    "set HOME or XDG_CACHE_HOME, or "
					    "give a cache directory");
	*out = xasprintf("%s/.cache/fakeos", home);
	return 0;
}

/* mkdir -p, mode 0700 for what it creates. */
static int cache_mkdirs(const char *dir, struct error *e)
{
	cleanup_free char *p = xstrdup(dir);

	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char saved = *s;
		*s = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			return error_sys(e, errno, "cannot create cache "
					 "directory %s", p);
		*s = saved;
		if (saved == '\0')
			return 0;
	}
}

int cache_open(const char *dir, bool create, struct cache **out,
	       struct error *e)
{
	struct stat st;
	int r;

	if (!dir || !*dir)
		return error_set(e, EINVAL, "empty cache directory name");
	if (create) {
		r = cache_mkdirs(dir, e);
		if (r < 0)
			return r;
	}
	/* O_NOFOLLOW: a symlinked root could point the cache anywhere,
	 * including a directory another user controls. */
	cleanup_fd int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					      O_CLOEXEC);
	if (fd < 0) {
		struct stat lst;
		/* With O_DIRECTORY a symlink gives ENOTDIR, not ELOOP. */
		if ((errno == ELOOP || errno == ENOTDIR) &&
		    lstat(dir, &lst) == 0 && S_ISLNK(lst.st_mode))
			return error_set(e, ELOOP, "cache directory %s is a "
						   "symbolic link; refused",
					 dir);
		if (errno == ENOENT && !create)
			return error_set(e, ENOENT, "cache directory %s does "
						    "not exist", dir);
		return error_sys(e, errno, "cannot open cache directory %s",
				 dir);
	}
	if (fstat(fd, &st) < 0)
		return error_sys(e, errno, "cannot stat cache directory %s",
				 dir);
	/* Someone else who can write here could plant or swap objects, and
	 * we would run what they put there. */
	if (st.st_uid != geteuid())
		return error_set(e, EPERM, "cache directory %s is owned by uid "
					   "%u, not %u; refused", dir,
				 (unsigned)st.st_uid, (unsigned)geteuid());
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return error_set(e, EPERM, "cache directory %s is writable by "
					   "group or others (mode %04o); "
					   "refused", dir,
				 (unsigned)(st.st_mode & 07777));
	struct cache *c = xcalloc(1, sizeof(*c));
	c->root = steal_fd(&fd);
	c->dir = xstrdup(dir);
	*out = c;
	return 0;
}

void cache_close(struct cache *c)
{
	if (!c)
		return;
	close(c->root);
	free(c->dir);
	free(c);
}

/* ---- locks ----------------------------------------------------------- */

static int cache_flock(int fd)
{
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

int cache_lock_url(struct cache *c, const char *url, int *out,
		   struct error *e)
{
	cleanup_fd int dir = -1;
	char key[HASH_HEX_SIZE];
	int r;

	cache_url_key(url, key);
	r = cache_subdir(c, "locks", true, &dir, e);
	if (r < 0)
		return r;
	/* Eviction and clear may unlink a lock file; whoever then holds the
	 * lock on the unlinked inode would not exclude a launch that makes a
	 * new one. So after locking, check that the name still refers to the
	 * inode we hold, and start again if not. */
	for (int tries = 0; tries < 64; tries++) {
		struct stat a, b;
		cleanup_fd int fd = cache_openat(dir, key,
						 O_RDONLY | O_CREAT |
							 O_NONBLOCK,
						 0600);
		if (fd < 0)
			return cache_open_error(c, "locks/", fd, e);
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			if (errno != EWOULDBLOCK)
				return error_sys(e, errno, "cache %s: cannot "
						 "lock locks/%s", c->dir, key);
			log_info("waiting for another launch fetching %s",
				 url);
			r = cache_flock(fd);
			if (r < 0)
				return error_sys(e, -r, "cache %s: cannot lock "
						 "locks/%s", c->dir, key);
		}
		if (fstat(fd, &a) < 0)
			return error_sys(e, errno, "cache %s: fstat of a lock",
					 c->dir);
		if (fstatat(dir, key, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
		    a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
			*out = steal_fd(&fd);
			return 0;
		}
	}
	return error_set(e, EAGAIN, "cache %s: lock for %s keeps "
				    "disappearing", c->dir, url);
}

void cache_unlock(int *fd)
{
	/* Closing the only descriptor of the open file drops the flock. */
	if (*fd >= 0)
		close(steal_fd(fd));
}

static int cache_lock_global(struct cache *c, int *out, struct error *e)
{
	cleanup_fd int fd = cache_openat(c->root, "lock", O_RDONLY | O_CREAT |
							    O_NONBLOCK, 0600);
	if (fd < 0)
		return cache_open_error(c, "lock", fd, e);
	int r = cache_flock(fd);
	if (r < 0)
		return error_sys(e, -r, "cache %s: cannot take the global lock",
				 c->dir);
	*out = steal_fd(&fd);
	return 0;
}

/* ---- entries --------------------------------------------------------- */

/* Opens the regular file path below dirfd read-only. Anything else (a
 * FIFO, a device, a directory put in its place) is refused; O_NONBLOCK so
 * that a FIFO cannot hang the launch before the S_ISREG check sees it.
 * -ENOENT when it is not there. */
static int cache_open_file(struct cache *c, int dirfd, const char *path,
			   int *out, struct stat *st, struct error *e)
{
	cleanup_fd int fd = cache_openat(dirfd, path, O_RDONLY | O_NONBLOCK,
					 0);
	if (fd < 0) {
		if (fd == -ENOENT)
			return error_set(e, ENOENT, "cache %s: %s is missing",
					 c->dir, path);
		return cache_open_error(c, path, fd, e);
	}
	if (fstat(fd, st) < 0)
		return error_sys(e, errno, "cache %s: fstat %s", c->dir, path);
	if (!S_ISREG(st->st_mode))
		return error_set(e, EINVAL, "cache %s: %s is not a regular "
					    "file; refused", c->dir, path);
	*out = steal_fd(&fd);
	return 0;
}

/* Reads a small regular file below the root into buf (cap bytes).
 * -EFBIG when it holds more than cap - 1 bytes. */
static int cache_read_small(struct cache *c, int dirfd, const char *path,
			    char *buf, size_t cap, size_t *len,
			    struct error *e)
{
	struct stat st;
	size_t n = 0;
	cleanup_fd int fd = -1;

	int r = cache_open_file(c, dirfd, path, &fd, &st, e);
	if (r < 0)
		return r;
	while (n < cap) {
		ssize_t got = read(fd, buf + n, cap - n);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return error_sys(e, errno, "cache %s: read %s", c->dir,
					 path);
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	if (n == cap)
		return error_set(e, EFBIG, "cache %s: %s is too large",
				 c->dir, path);
	*len = n;
	return 0;
}

/* Loads the entry stored under key (in urls/, open at dirfd). */
static int cache_entry_load_key(struct cache *c, int dirfd, const char *key,
				struct cache_entry *en, struct error *e)
{
	char buf[CACHE_ENTRY_MAX + 1];
	char path[8 + HASH_HEX_SIZE];
	size_t len = 0;
	struct error sub;
	int r;

	snprintf(path, sizeof(path), "%s%s", dirfd == c->root ? "urls/" : "",
		 key);
	r = cache_read_small(c, dirfd, path, buf, sizeof(buf), &len, e);
	if (r == -EFBIG)
		return error_set(e, EBADMSG, "cache %s: entry urls/%s is too "
					     "large", c->dir, key);
	if (r < 0)
		return r;
	if (cache_entry_parse(buf, len, en, &sub) < 0)
		return error_set(e, EBADMSG, "cache %s: entry urls/%s is "
					     "malformed: %s", c->dir, key,
				 sub.msg);
	char want[HASH_HEX_SIZE];
	cache_url_key(en->url, want);
	if (strcmp(want, key) != 0)
		return error_set(e, EBADMSG, "cache %s: entry urls/%s is stored "
					     "under another URL's name",
				 c->dir, key);
	return 0;
}

int cache_entry_load(struct cache *c, const char *url, struct cache_entry *en,
		     struct error *e)
{
	char key[HASH_HEX_SIZE];

	cache_url_key(url, key);
	return cache_entry_load_key(c, c->root, key, en, e);
}

int cache_entry_store(struct cache *c, const struct cache_entry *en,
		      struct error *e)
{
	char buf[CACHE_ENTRY_MAX + 1];
	char key[HASH_HEX_SIZE];
	char desc[8 + HASH_HEX_SIZE];
	cleanup_fd int dir = -1;
	size_t len = 0;
	int r;

	r = cache_entry_format(en, buf, sizeof(buf), &len, e);
	if (r < 0)
		return r;
	r = cache_subdir(c, "urls", true, &dir, e);
	if (r < 0)
		return r;
	cache_url_key(en->url, key);
	snprintf(desc, sizeof(desc), "urls/%s", key);
	return cache_write_file(c, dir, desc, key, buf, len, 0600, e);
}

/* Calls fn(dirfd, name, arg) for each name in the directory open at dirfd
 * (not "." and ".."), stopping at the first error. */
typedef int (*cache_each_fn)(int dirfd, const char *name, void *arg);

static int cache_each(int dirfd, cache_each_fn fn, void *arg)
{
	int dup_fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	if (dup_fd < 0)
		return -errno;
	DIR *d = fdopendir(dup_fd);
	if (!d) {
		int err = errno;
		close(dup_fd);
		return -err;
	}
	int r = 0;
	struct dirent *de;
	errno = 0;
	while (r == 0 && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		r = fn(dirfd, de->d_name, arg);
		errno = 0;
	}
	if (r == 0 && errno != 0)
		r = -errno;
	closedir(d);
	return r;
}

static int cache_remove_tree(int dirfd, const char *name, int depth);

static int cache_remove_child(int dirfd, const char *name, void *arg)
{
	return cache_remove_tree(dirfd, name, *(int *)arg - 1);
}

/* Removes name in dirfd, and everything below it if it is a directory,
 * without following symlinks (unlinkat removes a link, not its target). */
static int cache_remove_tree(int dirfd, const char *name, int depth)
{
	if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR || depth <= 0)
		return -errno;
	cleanup_fd int fd = cache_openat(dirfd, name, O_RDONLY | O_DIRECTORY,
					 0);
	if (fd < 0)
		return fd;
	int r = cache_each(fd, cache_remove_child, &depth);
	if (r == 0 && unlinkat(dirfd, name, AT_REMOVEDIR) < 0 &&
	    errno != ENOENT)
		r = -errno;
	return r;
}

/* Unlinks name in the directory sub (below the root); neither being there
 * is not an error. */
static int cache_unlink(struct cache *c, const char *sub, const char *name,
			struct error *e)
{
	cleanup_fd int dir = -1;
	int r = cache_subdir(c, sub, false, &dir, e);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	if (unlinkat(dir, name, 0) < 0 && errno != ENOENT)
		return error_sys(e, errno, "cache %s: cannot remove %s/%s",
				 c->dir, sub, name);
	return 0;
}

int cache_entry_remove(struct cache *c, const char *url, struct error *e)
{
	char key[HASH_HEX_SIZE];

	cache_url_key(url, key);
	return cache_unlink(c, "urls", key, e);
}

/* ---- objects --------------------------------------------------------- */

static void cache_object_path(const uint8_t hash[HASH_SIZE],
			      char path[8 + 3 + HASH_HEX_SIZE])
{
	char hex[HASH_HEX_SIZE];
	hash_hex(hash, hex);
	snprintf(path, 8 + 3 + HASH_HEX_SIZE, "objects/%.2s/%s", hex, hex);
}

int cache_object_open(struct cache *c, const uint8_t hash[HASH_SIZE], int *out,
		      uint64_t *size, struct error *e)
{
	char path[8 + 3 + HASH_HEX_SIZE];
	struct stat st = { 0 };

	cache_object_path(hash, path);
	int r = cache_open_file(c, c->root, path, out, &st, e);
	if (r == 0)
		*size = (uint64_t)st.st_size;
	return r;
}

void cache_object_touch(int fd)
{
	/* mtime, not atime: atime is unreliable under noatime/relatime, and
	 * nothing else changes an immutable object's mtime. */
	const struct timespec t[2] = {
		{ .tv_sec = 0, .tv_nsec = UTIME_OMIT },
		{ .tv_sec = 0, .tv_nsec = UTIME_NOW },
	};
	if (futimens(fd, t) < 0)
		log_debug("cache: recording last use: %s", strerror(errno));
}

/* The directory an object lives in, "objects/xx", and its file name. */
static void cache_object_names(const uint8_t hash[HASH_SIZE], char sub[11],
			       char hex[HASH_HEX_SIZE])
{
	hash_hex(hash, hex);
	snprintf(sub, 11, "objects/%.2s", hex);
}

int cache_object_store(struct cache *c, const void *buf, size_t len,
		       const uint8_t hash[HASH_SIZE], struct error *e)
{
	char sub[11], hex[HASH_HEX_SIZE], path[8 + 3 + HASH_HEX_SIZE];
	cleanup_fd int dir = -1;

	cache_object_names(hash, sub, hex);
	cache_object_path(hash, path);
	int r = cache_subdir(c, sub, true, &dir, e);
	if (r < 0)
		return r;
	return cache_write_file(c, dir, path, hex, buf, len, 0444, e);
}

int cache_object_remove(struct cache *c, const uint8_t hash[HASH_SIZE],
			struct error *e)
{
	char sub[11], hex[HASH_HEX_SIZE];

	cache_object_names(hash, sub, hex);
	return cache_unlink(c, sub, hex, e);
}

/* ---- walking the tree ------------------------------------------------ */

static bool cache_is_hex(const char *s, size_t n)
{
	return strlen(s) == n && strspn(s, "0123456789abcdef") == n;
}

/* What walking objects/ finds: an object (a regular file with a digest
 * name, in the directory its name says) or anything else. */
struct cache_walk {
	struct cache *c;
	/* Called for each object; st from fstatat, not followed. */
	int (*object)(struct cache_walk *w, int dirfd, const char *name,
		      const uint8_t hash[HASH_SIZE], const struct stat *st);
	/* Called for anything else; sub is "" for names in objects/. */
	int (*stray)(struct cache_walk *w, int dirfd, const char *sub,
		     const char *name);
	void *arg;
	const char *sub; /* the 2-hex directory being walked */
};

static int cache_walk_object(int dirfd, const char *name, void *arg)
{
	struct cache_walk *w = arg;
	struct stat st;
	uint8_t hash[HASH_SIZE];

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISREG(st.st_mode) || !cache_is_hex(name, 2 * HASH_SIZE) ||
	    strncmp(name, w->sub, 2) != 0 || hash_parse_hex(name, hash) < 0)
		return w->stray ? w->stray(w, dirfd, w->sub, name) : 0;
	return w->object(w, dirfd, name, hash, &st);
}

static int cache_walk_sub(int dirfd, const char *name, void *arg)
{
	struct cache_walk *w = arg;
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode) || !cache_is_hex(name, 2))
		return w->stray ? w->stray(w, dirfd, "", name) : 0;
	cleanup_fd int fd = cache_openat(dirfd, name, O_RDONLY | O_DIRECTORY,
					 0);
	if (fd < 0)
		return fd == -ENOENT ? 0 : fd;
	w->sub = name;
	return cache_each(fd, cache_walk_object, w);
}

static int cache_walk_objects(struct cache_walk *w, struct error *e)
{
	cleanup_fd int dir = -1;
	int r = cache_subdir(w->c, "objects", false, &dir, e);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	r = cache_each(dir, cache_walk_sub, w);
	if (r < 0)
		return error_sys(e, -r, "cache %s: walking objects/",
				 w->c->dir);
	return 0;
}

/* Calls fn for each name in urls/ (or another top-level directory). */
static int cache_walk_dir(struct cache *c, const char *sub, cache_each_fn fn,
			  void *arg, struct error *e)
{
	cleanup_fd int dir = -1;
	int r = cache_subdir(c, sub, false, &dir, e);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	r = cache_each(dir, fn, arg);
	if (r < 0)
		return error_sys(e, -r, "cache %s: walking %s/", c->dir, sub);
	return 0;
}

/* ---- eviction -------------------------------------------------------- */

struct cache_obj {
	uint8_t hash[HASH_SIZE];
	uint64_t size;
	struct timespec used;
};

struct cache_evict_state {
	struct cache_obj *objs;
	size_t n, cap;
	uint64_t total;
	int64_t now;
};

static int cache_evict_collect(struct cache_walk *w, int dirfd,
			       const char *name, const uint8_t hash[HASH_SIZE],
			       const struct stat *st)
{
	struct cache_evict_state *s = w->arg;
	(void)dirfd;
	(void)name;
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		struct cache_obj *n = realloc(s->objs,
					      s->cap * sizeof(*s->objs));
		if (!n)
			return -ENOMEM;
		s->objs = n;
	}
	struct cache_obj *o = &s->objs[s->n++];
	memcpy(o->hash, hash, HASH_SIZE);
	o->size = (uint64_t)st->st_size;
	o->used = st->st_mtim;
	s->total += o->size;
	return 0;
}

static int cache_obj_cmp_used(const void *a, const void *b)
{
	const struct cache_obj *x = a, *y = b;
	if (x->used.tv_sec != y->used.tv_sec)
		return x->used.tv_sec < y->used.tv_sec ? -1 : 1;
	if (x->used.tv_nsec != y->used.tv_nsec)
		return x->used.tv_nsec < y->used.tv_nsec ? -1 : 1;
	return memcmp(x->hash, y->hash, HASH_SIZE);
}

struct cache_dangling {
	struct cache *c;
	int locks; /* locks/, or -1 */
	unsigned removed;
};

/* Removes an entry whose object is gone, and its lock file when no launch
 * holds it (cache_lock_url copes with the lock file vanishing). */
static int cache_remove_dangling(int dirfd, const char *name, void *arg)
{
	struct cache_dangling *d = arg;
	struct cache_entry en;
	struct error e;
	char obj[8 + 3 + HASH_HEX_SIZE];
	struct stat st;

	if (!cache_is_hex(name, 2 * HASH_SIZE))
		return 0;
	if (cache_entry_load_key(d->c, dirfd, name, &en, &e) < 0)
		return 0; /* malformed: verify's business, not eviction's */
	cache_object_path(en.object, obj);
	if (fstatat(d->c->root, obj, &st, AT_SYMLINK_NOFOLLOW) == 0 ||
	    errno != ENOENT)
		return 0;
	if (unlinkat(dirfd, name, 0) == 0)
		d->removed++;
	if (d->locks >= 0) {
		cleanup_fd int fd = cache_openat(d->locks, name,
						 O_RDONLY | O_NONBLOCK, 0);
		if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0)
			(void)unlinkat(d->locks, name, 0);
	}
	return 0;
}

static int cache_remove_dangling_entries(struct cache *c, unsigned *removed,
					 struct error *e)
{
	struct cache_dangling d = { .c = c, .locks = -1 };
	struct error sub;
	if (cache_subdir(c, "locks", false, &d.locks, &sub) < 0)
		d.locks = -1;
	int r = cache_walk_dir(c, "urls", cache_remove_dangling, &d, e);
	if (d.locks >= 0)
		close(d.locks);
	if (removed)
		*removed = d.removed;
	return r;
}

static int cache_remove_old_tmp(int dirfd, const char *name, void *arg)
{
	const int64_t *now = arg;
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    st.st_mtim.tv_sec + CACHE_TMP_MAX_AGE < *now)
		(void)cache_remove_tree(dirfd, name, CACHE_REMOVE_DEPTH);
	return 0;
}

int cache_evict(struct cache *c, uint64_t max, const uint8_t *keep,
		unsigned *removed, struct error *e)
{
	struct cache_evict_state s = { .now = now_unix() };
	struct cache_walk w = {
		.c = c, .object = cache_evict_collect, .arg = &s
	};
	cleanup_fd int lock = -1;
	unsigned count = 0;
	int r;

	r = cache_lock_global(c, &lock, e);
	if (r < 0)
		return r;
	r = cache_walk_objects(&w, e);
	if (r < 0)
		goto out;
	if (s.total > max) {
		qsort(s.objs, s.n, sizeof(*s.objs), cache_obj_cmp_used);
		for (size_t i = 0; i < s.n && s.total > max; i++) {
			if (keep && !memcmp(s.objs[i].hash, keep, HASH_SIZE))
				continue;
			r = cache_object_remove(c, s.objs[i].hash, e);
			if (r < 0)
				goto out;
			s.total -= s.objs[i].size;
			count++;
		}
		char hex[HASH_HEX_SIZE];
		if (keep)
			hash_hex(keep, hex);
		log_debug("cache: evicted %u objects, %llu bytes remain%s%s",
			  count, (unsigned long long)s.total,
			  keep ? ", kept " : "", keep ? hex : "");
		r = cache_remove_dangling_entries(c, NULL, e);
		if (r < 0)
			goto out;
	}
	r = cache_walk_dir(c, "tmp", cache_remove_old_tmp, &s.now, e);
out:
	free(s.objs);
	if (removed)
		*removed = count;
	return r;
}

/* ---- maintenance: list, verify, clear -------------------------------- */

/* The last use of the object named hash (its mtime); false when it is not
 * there as a regular file. */
static bool cache_object_used(struct cache *c, const uint8_t hash[HASH_SIZE],
			      int64_t *used)
{
	char obj[8 + 3 + HASH_HEX_SIZE];
	struct stat st;

	cache_object_path(hash, obj);
	if (fstatat(c->root, obj, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !S_ISREG(st.st_mode))
		return false;
	*used = st.st_mtim.tv_sec;
	return true;
}

struct cache_each_entry_state {
	struct cache *c;
	cache_item_fn fn;
	void *arg;
};

static int cache_each_entry_one(int dirfd, const char *name, void *arg)
{
	struct cache_each_entry_state *s = arg;
	struct cache_entry en;
	struct cache_item it = { .en = &en };
	struct error e;

	if (!cache_is_hex(name, 2 * HASH_SIZE))
		return 0;
	if (cache_entry_load_key(s->c, dirfd, name, &en, &e) < 0) {
		it.en = NULL;
		it.problem = e.msg;
	} else {
		it.used_known = cache_object_used(s->c, en.object, &it.used);
	}
	return s->fn(&it, s->arg);
}

int cache_each_entry(struct cache *c, cache_item_fn fn, void *arg,
		     struct error *e)
{
	struct cache_each_entry_state s = { .c = c, .fn = fn, .arg = arg };
	return cache_walk_dir(c, "urls", cache_each_entry_one, &s, e);
}

struct cache_verify_state {
	cache_finding_fn fn;
	void *arg;
	struct cache_verify_counts n;
};

static void cache_verify_report(struct cache_verify_state *s,
				enum cache_problem problem, const char *path,
				const char *detail, bool removed)
{
	const struct cache_finding f = {
		.problem = problem,
		.path = path,
		.detail = detail,
		.removed = removed,
	};
	if (problem == CACHE_DANGLING)
		s->n.dangling++;
	else
		s->n.bad++;
	s->fn(&f, s->arg);
}

static int cache_verify_stray(struct cache_walk *w, int dirfd, const char *sub,
			      const char *name)
{
	char path[PATH_MAX];
	int r = cache_remove_tree(dirfd, name, CACHE_REMOVE_DEPTH);
	snprintf(path, sizeof(path), "objects/%s%s%s", sub, *sub ? "/" : "",
		 name);
	cache_verify_report(w->arg, CACHE_NOT_AN_OBJECT, path, "", r == 0);
	return 0;
}

static int cache_verify_object(struct cache_walk *w, int dirfd,
			       const char *name, const uint8_t hash[HASH_SIZE],
			       const struct stat *st)
{
	struct cache_verify_state *s = w->arg;
	uint8_t got[HASH_SIZE];
	char hex[HASH_HEX_SIZE], path[8 + 3 + HASH_HEX_SIZE];
	(void)st;

	s->n.objects++;
	snprintf(path, sizeof(path), "objects/%s/%s", w->sub, name);
	cleanup_fd int fd = cache_openat(dirfd, name, O_RDONLY | O_NONBLOCK,
					 0);
	int r = fd < 0 ? fd : hash_fd(fd, got, NULL);
	if (r < 0) {
		cache_verify_report(s, CACHE_UNREADABLE, path, strerror(-r),
				    false);
		return 0;
	}
	if (memcmp(got, hash, HASH_SIZE) == 0)
		return 0;
	hash_hex(got, hex);
	r = unlinkat(dirfd, name, 0);
	cache_verify_report(s, CACHE_CORRUPT, path, hex, r == 0);
	return 0;
}

struct cache_verify_urls {
	struct cache *c;
	struct cache_verify_state *s;
};

static int cache_verify_entry(int dirfd, const char *name, void *arg)
{
	struct cache_verify_urls *v = arg;
	struct cache_entry en;
	struct error e;
	char path[PATH_MAX], obj[8 + 3 + HASH_HEX_SIZE];
	struct stat st;

	v->s->n.entries++;
	snprintf(path, sizeof(path), "urls/%s", name);
	if (!cache_is_hex(name, 2 * HASH_SIZE) ||
	    cache_entry_load_key(v->c, dirfd, name, &en, &e) < 0) {
		int r = cache_remove_tree(dirfd, name, CACHE_REMOVE_DEPTH);
		if (!cache_is_hex(name, 2 * HASH_SIZE))
			snprintf(e.msg, sizeof(e.msg), "not a cache entry");
		cache_verify_report(v->s, CACHE_BAD_ENTRY, path, e.msg,
				    r == 0);
		return 0;
	}
	cache_object_path(en.object, obj);
	if (fstatat(v->c->root, obj, &st, AT_SYMLINK_NOFOLLOW) < 0 &&
	    errno == ENOENT) {
		int r = unlinkat(dirfd, name, 0);
		cache_verify_report(v->s, CACHE_DANGLING, path, en.url, r == 0);
	}
	return 0;
}

int cache_verify(struct cache *c, cache_finding_fn fn, void *arg,
		 struct cache_verify_counts *n, struct error *e)
{
	cleanup_fd int lock = -1;
	struct cache_verify_state s = { .fn = fn, .arg = arg };
	struct cache_walk w = {
		.c = c,
		.object = cache_verify_object,
		.stray = cache_verify_stray,
		.arg = &s,
	};
	struct cache_verify_urls v = { .c = c, .s = &s };
	int r = cache_lock_global(c, &lock, e);
	if (r == 0)
		r = cache_walk_objects(&w, e);
	/* Entries after objects: a corrupt object removed above leaves its
	 * entries dangling, and they go too. */
	if (r == 0)
		r = cache_walk_dir(c, "urls", cache_verify_entry, &v, e);
	*n = s.n;
	return r;
}

static int cache_clear_object(struct cache_walk *w, int dirfd,
			      const char *name, const uint8_t hash[HASH_SIZE],
			      const struct stat *st)
{
	unsigned *objects = w->arg;
	(void)hash;
	(void)st;
	if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
		return -errno;
	(*objects)++;
	return 0;
}

static int cache_clear_one(int dirfd, const char *name, void *arg)
{
	unsigned *count = arg;
	int r = cache_remove_tree(dirfd, name, CACHE_REMOVE_DEPTH);
	if (r == 0)
		(*count)++;
	return r;
}

int cache_clear(struct cache *c, unsigned *objects, unsigned *entries,
		struct error *e)
{
	static const char *const subs[] = { "objects", "urls", "locks", "tmp" };
	unsigned counts[ARRAY_SIZE(subs)] = { 0 };
	cleanup_fd int lock = -1;
	struct cache_walk w = {
		.c = c, .object = cache_clear_object, .arg = objects
	};

	*objects = 0;
	int r = cache_lock_global(c, &lock, e);
	if (r == 0)
		r = cache_walk_objects(&w, e);
	/* Then everything left: the 2-hex directories, entries, locks,
	 * temporary files and anything stray. */
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(subs); i++)
		r = cache_walk_dir(c, subs[i], cache_clear_one, &counts[i], e);
	*entries = counts[1];
	return r;
}
