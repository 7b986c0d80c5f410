/* cache.c — see cache.h.
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
#include "cache.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
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

static const char cache_entry_magic[] = "fakeos-cache-entry 1";

struct cache {
	int root;
	char *dir;
};

/* ---- the entry format ------------------------------------------------ */

bool cache_field_ok(const char *s)
{
	size_t n = strnlen(s, CACHE_FIELD_MAX + 1);
	if (n == 0 || n > CACHE_FIELD_MAX)
		return false;
	if (s[0] == ' ' || s[n - 1] == ' ')
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

/* A decimal number in canonical form (no sign, no leading zero) that fits
 * in an int64_t. */
static int cache_parse_number(const char *s, size_t len, int64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 19 || (len > 1 && s[0] == '0'))
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > INT64_MAX)
		return -EINVAL;
	*out = (int64_t)v;
	return 0;
}

enum cache_key {
	CACHE_KEY_URL,
	CACHE_KEY_OBJECT,
	CACHE_KEY_SIZE,
	CACHE_KEY_FETCHED,
	CACHE_KEY_EXPIRES,
	CACHE_KEY_ETAG,
	CACHE_KEY_LAST_MODIFIED,
	CACHE_KEY_COUNT,
};

static const char *const cache_keys[CACHE_KEY_COUNT] = {
	[CACHE_KEY_URL] = "url",
	[CACHE_KEY_OBJECT] = "object",
	[CACHE_KEY_SIZE] = "size",
	[CACHE_KEY_FETCHED] = "fetched",
	[CACHE_KEY_EXPIRES] = "expires",
	[CACHE_KEY_ETAG] = "etag",
	[CACHE_KEY_LAST_MODIFIED] = "last-modified",
};

static int cache_entry_value(struct cache_entry *en, enum cache_key k,
			     const char *v, size_t vlen, unsigned line,
			     struct error *e)
{
	char *dst;
	size_t cap;
	int64_t n;

	switch (k) {
	case CACHE_KEY_URL: {
		struct url u;
		struct error sub;
		if (vlen > URL_MAX)
			return error_set(e, EBADMSG, "line %u: URL too long",
					 line);
		memcpy(en->url, v, vlen);
		en->url[vlen] = '\0';
		if (url_parse(en->url, &u, &sub) < 0)
			return error_set(e, EBADMSG, "line %u: bad URL: %s",
					 line, sub.msg);
		bool ok = u.scheme != URL_FILE && !u.pinned &&
			  strcmp(u.base, en->url) == 0;
		url_free(&u);
		if (!ok)
			return error_set(e, EBADMSG, "line %u: not an http(s) "
						     "URL without fragment",
					 line);
		return 0;
	}
	case CACHE_KEY_OBJECT:
		/* Lower case only: one spelling per digest. */
		if (vlen != 2 * HASH_SIZE || strspn(v, "0123456789abcdef") <
						     2 * HASH_SIZE)
			return error_set(e, EBADMSG, "line %u: object is not "
						     "64 lower-case hex digits",
					 line);
		for (size_t i = 0; i < HASH_SIZE; i++) {
			char pair[3] = { v[2 * i], v[2 * i + 1], '\0' };
			if (hex_decode(pair, &en->object[i], 1) < 0)
				return error_set(e, EBADMSG, "line %u: bad "
							     "object", line);
		}
		return 0;
	case CACHE_KEY_SIZE:
	case CACHE_KEY_FETCHED:
	case CACHE_KEY_EXPIRES:
		if (cache_parse_number(v, vlen, &n) < 0)
			return error_set(e, EBADMSG, "line %u: %s is not a "
						     "decimal number", line,
					 cache_keys[k]);
		if (k == CACHE_KEY_SIZE)
			en->size = (uint64_t)n;
		else if (k == CACHE_KEY_FETCHED)
			en->fetched = n;
		else
			en->expires = n;
		return 0;
	case CACHE_KEY_ETAG:
	case CACHE_KEY_LAST_MODIFIED:
		dst = k == CACHE_KEY_ETAG ? en->etag : en->last_modified;
		cap = k == CACHE_KEY_ETAG ? sizeof(en->etag) :
					    sizeof(en->last_modified);
		if (vlen >= cap)
			return error_set(e, EBADMSG, "line %u: %s too long",
					 line, cache_keys[k]);
		memcpy(dst, v, vlen);
		dst[vlen] = '\0';
		return 0;
	case CACHE_KEY_COUNT:
		break;
	}
	return error_set(e, EBADMSG, "line %u: unknown key", line);
}

int cache_entry_parse(const char *buf, size_t len, struct cache_entry *en,
		      struct error *e)
{
	bool seen[CACHE_KEY_COUNT] = { false };
	int last = -1; /* the key of the previous line */
	const char *p = buf, *end = buf + len;
	unsigned line = 0;
	bool ended = false;

	memset(en, 0, sizeof(*en));
	if (len > CACHE_ENTRY_MAX)
		return error_set(e, EBADMSG, "entry too large (%zu bytes)",
				 len);
	if (len == 0)
		return error_set(e, EBADMSG, "empty entry");
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		line++;
		if (!nl)
			return error_set(e, EBADMSG, "line %u: no newline at "
						     "the end", line);
		size_t n = (size_t)(nl - p);
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)p[i] < 0x20 ||
			    (unsigned char)p[i] >= 0x7f)
				return error_set(e, EBADMSG, "line %u: control "
							     "or non-ASCII "
							     "byte", line);
		if (ended)
			return error_set(e, EBADMSG, "line %u: after 'end'",
					 line);
		if (n == 3 && memcmp(p, "end", 3) == 0 && line > 1) {
			ended = true;
			p = nl + 1;
			continue;
		}
		if (line == 1) {
			if (n != sizeof(cache_entry_magic) - 1 ||
			    memcmp(p, cache_entry_magic, n) != 0)
				return error_set(e, EBADMSG, "line 1: not a "
							     "version 1 cache "
							     "entry");
			p = nl + 1;
			continue;
		}
		const char *sp = memchr(p, ' ', n);
		if (!sp)
			return error_set(e, EBADMSG, "line %u: expected 'key "
						     "value'", line);
		size_t klen = (size_t)(sp - p);
		const char *v = sp + 1;
		size_t vlen = n - klen - 1;
		if (vlen == 0 || v[0] == ' ' || v[vlen - 1] == ' ')
			return error_set(e, EBADMSG, "line %u: empty value or "
						     "stray space", line);
		enum cache_key k = CACHE_KEY_COUNT;
		for (int i = 0; i < CACHE_KEY_COUNT; i++)
			if (strlen(cache_keys[i]) == klen &&
			    memcmp(cache_keys[i], p, klen) == 0)
				k = (enum cache_key)i;
		if (k == CACHE_KEY_COUNT)
			return error_set(e, EBADMSG, "line %u: unknown key",
					 line);
		if (seen[k])
			return error_set(e, EBADMSG, "line %u: duplicate %s",
					 line, cache_keys[k]);
		/* One spelling per entry: keys in the order the format
		 * lists them, as cache_entry_format writes them (found by
		 * test/fuzz/fuzz_cache.c's round trip). */
		if ((int)k < last)
			return error_set(e, EBADMSG, "line %u: %s out of order",
					 line, cache_keys[k]);
		last = (int)k;
		seen[k] = true;
		/* v is not NUL-terminated: each case copies or bounds it. */
		int r = cache_entry_value(en, k, v, vlen, line, e);
		if (r < 0)
			return r;
		p = nl + 1;
	}
	for (int k = CACHE_KEY_URL; k <= CACHE_KEY_EXPIRES; k++)
		if (!seen[k])
			return error_set(e, EBADMSG, "missing %s",
					 cache_keys[k]);
	if (!ended)
		return error_set(e, EBADMSG, "no 'end' line: truncated");
	if (en->expires < en->fetched)
		return error_set(e, EBADMSG, "expires before fetched");
	return 0;
}

int cache_entry_format(const struct cache_entry *en, char *buf, size_t cap,
		       size_t *len, struct error *e)
{
	char hex[HASH_HEX_SIZE];
	struct url u;
	struct error sub;

	if (strnlen(en->url, sizeof(en->url)) > URL_MAX ||
	    url_parse(en->url, &u, &sub) < 0)
		return error_set(e, EINVAL, "cannot store an entry for a bad "
					    "URL");
	bool ok = u.scheme != URL_FILE && !u.pinned &&
		  strcmp(u.base, en->url) == 0;
	url_free(&u);
	if (!ok)
		return error_set(e, EINVAL, "cannot store an entry for a "
					    "non-http(s) URL or one with a "
					    "fragment");
	if ((en->etag[0] && !cache_field_ok(en->etag)) ||
	    (en->last_modified[0] && !cache_field_ok(en->last_modified)))
		return error_set(e, EINVAL, "cannot store an ETag or "
					    "Last-Modified with control "
					    "characters or over %d bytes",
				 CACHE_FIELD_MAX);
	if (en->fetched < 0 || en->expires < en->fetched ||
	    en->size > INT64_MAX)
		return error_set(e, EINVAL, "cannot store an entry with bad "
					    "times or size");
	hash_hex(en->object, hex);
	int n = snprintf(buf, cap,
			 "%s\nurl %s\nobject %s\nsize %llu\nfetched %lld\n"
			 "expires %lld\n%s%s%s%s%s%send\n",
			 cache_entry_magic, en->url, hex,
			 (unsigned long long)en->size,
			 (long long)en->fetched, (long long)en->expires,
			 en->etag[0] ? "etag " : "", en->etag,
			 en->etag[0] ? "\n" : "",
			 en->last_modified[0] ? "last-modified " : "",
			 en->last_modified,
			 en->last_modified[0] ? "\n" : "");
	if (n < 0 || (size_t)n >= cap || (size_t)n > CACHE_ENTRY_MAX)
		return error_set(e, ENOSPC, "cache entry too large");
	*len = (size_t)n;
	return 0;
}

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

/* ---- the CLI: list, verify, clear ------------------------------------ */

/* Opens the cache for a management command; *c is NULL (and 0 returned)
 * when it does not exist, which the commands treat as empty. */
static int cache_open_existing(const char *dir, struct cache **c,
			       struct error *e)
{
	*c = NULL;
	int r = cache_open(dir, false, c, e);
	return r == -ENOENT ? 0 : r;
}

static void cache_time(int64_t t, char out[32])
{
	struct tm tm;
	time_t tt = (time_t)t;
	if (!gmtime_r(&tt, &tm) ||
	    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, 32, "@%lld", (long long)t);
}

struct cache_list_state {
	struct cache *c;
	struct cache_entry *ens;
	size_t n, cap;
};

static int cache_list_collect(int dirfd, const char *name, void *arg)
{
	struct cache_list_state *s = arg;
	struct error e;

	if (!cache_is_hex(name, 2 * HASH_SIZE))
		return 0;
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		struct cache_entry *n = realloc(s->ens,
						s->cap * sizeof(*s->ens));
		if (!n)
			return -ENOMEM;
		s->ens = n;
	}
	if (cache_entry_load_key(s->c, dirfd, name, &s->ens[s->n], &e) < 0) {
		log_warn("%s (cache --verify removes it)", e.msg);
		return 0;
	}
	s->n++;
	return 0;
}

static int cache_entry_cmp_url(const void *a, const void *b)
{
	const struct cache_entry *x = a, *y = b;
	return strcmp(x->url, y->url);
}

int cache_list(const char *dir, FILE *out, struct error *e)
{
	struct cache *c;
	int r = cache_open_existing(dir, &c, e);
	if (r < 0 || !c)
		return r;
	struct cache_list_state s = { .c = c };
	r = cache_walk_dir(c, "urls", cache_list_collect, &s, e);
	if (r == 0 && s.n > 1)
		qsort(s.ens, s.n, sizeof(*s.ens), cache_entry_cmp_url);
	for (size_t i = 0; r == 0 && i < s.n; i++) {
		const struct cache_entry *en = &s.ens[i];
		char hex[HASH_HEX_SIZE], fetched[32], expires[32], used[32];
		char obj[8 + 3 + HASH_HEX_SIZE];
		struct stat st;

		hash_hex(en->object, hex);
		cache_time(en->fetched, fetched);
		cache_time(en->expires, expires);
		cache_object_path(en->object, obj);
		if (fstatat(c->root, obj, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode))
			cache_time(st.st_mtim.tv_sec, used);
		else
			snprintf(used, sizeof(used), "never");
		fprintf(out, "%s sha256=%s size=%llu fetched=%s expires=%s "
			     "used=%s\n",
			en->url, hex, (unsigned long long)en->size, fetched,
			expires, used);
	}
	if (r == 0 && fflush(out) != 0)
		r = error_sys(e, errno, "writing the cache list");
	free(s.ens);
	cache_close(c);
	return r;
}

struct cache_verify_state {
	FILE *out;
	unsigned objects, entries, bad, dangling;
};

static int cache_verify_stray(struct cache_walk *w, int dirfd, const char *sub,
			      const char *name)
{
	struct cache_verify_state *s = w->arg;
	int r = cache_remove_tree(dirfd, name, CACHE_REMOVE_DEPTH);
	fprintf(s->out, "objects/%s%s%s: not a cache object; %s\n", sub,
		*sub ? "/" : "", name, r < 0 ? "could not remove it" :
					       "removed");
	s->bad++;
	return 0;
}

static int cache_verify_object(struct cache_walk *w, int dirfd,
			       const char *name, const uint8_t hash[HASH_SIZE],
			       const struct stat *st)
{
	struct cache_verify_state *s = w->arg;
	uint8_t got[HASH_SIZE];
	char hex[HASH_HEX_SIZE];
	(void)st;

	s->objects++;
	cleanup_fd int fd = cache_openat(dirfd, name, O_RDONLY | O_NONBLOCK,
					 0);
	int r = fd < 0 ? fd : hash_fd(fd, got, NULL);
	if (r < 0) {
		fprintf(s->out, "objects/%s/%s: cannot read: %s\n", w->sub,
			name, strerror(-r));
		s->bad++;
		return 0;
	}
	if (memcmp(got, hash, HASH_SIZE) == 0)
		return 0;
	hash_hex(got, hex);
	r = unlinkat(dirfd, name, 0);
	fprintf(s->out, "objects/%s/%s: corrupt (its bytes hash to %s); %s\n",
		w->sub, name, hex, r < 0 ? "could not remove it" : "removed");
	s->bad++;
	return 0;
}

struct cache_verify_urls {
	struct cache *c;
	struct cache_verify_state *s;
};

static int cache_verify_entry(int dirfd, const char *name, void *arg)
{
	struct cache_verify_urls *v = arg;
	struct cache_verify_state *s = v->s;
	struct cache_entry en;
	struct error e;
	char obj[8 + 3 + HASH_HEX_SIZE];
	struct stat st;

	s->entries++;
	if (!cache_is_hex(name, 2 * HASH_SIZE) ||
	    cache_entry_load_key(v->c, dirfd, name, &en, &e) < 0) {
		int r = cache_remove_tree(dirfd, name, CACHE_REMOVE_DEPTH);
		if (!cache_is_hex(name, 2 * HASH_SIZE))
			snprintf(e.msg, sizeof(e.msg), "not a cache entry");
		fprintf(s->out, "urls/%s: %s; %s\n", name, e.msg,
			r < 0 ? "could not remove it" : "removed");
		s->bad++;
		return 0;
	}
	cache_object_path(en.object, obj);
	if (fstatat(v->c->root, obj, &st, AT_SYMLINK_NOFOLLOW) < 0 &&
	    errno == ENOENT) {
		int r = unlinkat(dirfd, name, 0);
		fprintf(s->out, "%s: its object is gone; entry %s\n", en.url,
			r < 0 ? "could not be removed" : "removed");
		s->dangling++;
	}
	return 0;
}

int cache_verify(const char *dir, FILE *out, unsigned *bad, struct error *e)
{
	struct cache *c;
	cleanup_fd int lock = -1;

	*bad = 0;
	int r = cache_open_existing(dir, &c, e);
	if (r < 0)
		return r;
	if (!c) {
		fprintf(out, "verified 0 objects and 0 entries: all good\n");
		return 0;
	}
	struct cache_verify_state s = { .out = out };
	struct cache_walk w = {
		.c = c,
		.object = cache_verify_object,
		.stray = cache_verify_stray,
		.arg = &s,
	};
	struct cache_verify_urls v = { .c = c, .s = &s };
	r = cache_lock_global(c, &lock, e);
	if (r == 0)
		r = cache_walk_objects(&w, e);
	/* Entries after objects: a corrupt object removed above leaves its
	 * entries dangling, and they go too. */
	if (r == 0)
		r = cache_walk_dir(c, "urls", cache_verify_entry, &v, e);
	if (r == 0) {
		if (s.bad)
			fprintf(out, "verified %u objects and %u entries: %u "
				     "bad, removed\n",
				s.objects, s.entries, s.bad);
		else
			fprintf(out, "verified %u objects and %u entries: all "
				     "good\n", s.objects, s.entries);
		if (fflush(out) != 0)
			r = error_sys(e, errno, "writing the verify report");
	}
	*bad = s.bad;
	cache_close(c);
	return r;
}

struct cache_clear_state {
	unsigned objects, others;
};

static int cache_clear_object(struct cache_walk *w, int dirfd,
			      const char *name, const uint8_t hash[HASH_SIZE],
			      const struct stat *st)
{
	struct cache_clear_state *s = w->arg;
	(void)hash;
	(void)st;
	if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
		return -errno;
	s->objects++;
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

int cache_clear(const char *dir, FILE *out, struct error *e)
{
	static const char *const subs[] = { "objects", "urls", "locks", "tmp" };
	struct cache_clear_state s = { 0 };
	unsigned counts[ARRAY_SIZE(subs)] = { 0 };
	struct cache *c;
	cleanup_fd int lock = -1;

	int r = cache_open_existing(dir, &c, e);
	if (r < 0)
		return r;
	if (c) {
		struct cache_walk w = {
			.c = c, .object = cache_clear_object, .arg = &s
		};
		r = cache_lock_global(c, &lock, e);
		if (r == 0)
			r = cache_walk_objects(&w, e);
		/* Then everything left: the 2-hex directories, entries,
		 * locks, temporary files and anything stray. */
		for (size_t i = 0; r == 0 && i < ARRAY_SIZE(subs); i++)
			r = cache_walk_dir(c, subs[i], cache_clear_one,
					   &counts[i], e);
		cache_close(c);
	}
	if (r == 0) {
		fprintf(out, "removed %u objects and %u entries\n", s.objects,
			counts[1]);
		if (fflush(out) != 0)
			r = error_sys(e, errno, "writing the clear report");
	}
	return r;
}
