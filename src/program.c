/* program.c — see program.h. The stages of getting a program, in order:
 *   1. parse the URL (url.c);
 *   2. file://: read the file; http(s): find it in the cache, or fetch it
 *      under the URL's lock (fetch.c, cache.c), as freshness decides;
 *   3. copy the bytes into a memfd and seal it;
 *   4. map the sealed memfd, hash what is mapped and compare with the
 *      object's name or the #sha256= pin, and check that it is a static
 *      x86-64 ELF (elf.c): what was verified is exactly what will run;
 *   5. keep a download in the cache (unless no-store) and evict.
 *
 * Freshness: an entry is fresh until its expiry (the server's max-age, or
 * default_ttl; no-cache makes that "never"). A fresh entry is used with no
 * network request and without loading libcurl. A stale one is revalidated
 * with a conditional request; a 304 extends it. If revalidation fails for a
 * network reason or a 5xx, the stale copy runs with a warning. */
#include "program.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>

#include "cache.h"
#include "elf.h"
#include "fetch.h"
#include "hash.h"
#include "log.h"
#include "url.h"

/* Newer than Debian 12's headers; the kernel is what matters, and older
 * kernels reject them with EINVAL, which is handled where they are used. */
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif

struct program_loader {
	struct program_opts o;
	char *within; /* loads confined to this URL prefix; NULL: not */
	char *beneath; /* file:// confined below this directory; NULL: not */
	char *cache_dir; /* o.cache_dir, owned; NULL for the default */
	struct cache *cache; /* opened on the first http(s) load */
};

int program_loader_open(const struct program_opts *o,
			struct program_loader **out, struct error *e)
{
	(void)e;
	struct program_loader *l = xcalloc(1, sizeof(*l));
	l->o = *o;
	if (o->cache_dir)
		l->cache_dir = xstrdup(o->cache_dir);
	l->o.cache_dir = l->cache_dir;
	if (l->o.default_ttl < 0)
		l->o.default_ttl = 0;
	if (l->o.default_ttl > FETCH_MAX_AGE_MAX)
		l->o.default_ttl = FETCH_MAX_AGE_MAX;
	*out = l;
	return 0;
}

void program_loader_confine(struct program_loader *l, const char *prefix)
{
	free(l->within);
	free(l->beneath);
	l->within = xstrdup(prefix);
	/* An http(s) prefix confines no file; url_within refuses every
	 * file:// URL under it anyway. */
	const char *dir = url_file_prefix_dir(prefix);
	l->beneath = dir ? xstrdup(dir) : NULL;
}

void program_loader_close(struct program_loader *l)
{
	if (!l)
		return;
	free(l->within);
	free(l->beneath);
	cache_close(l->cache);
	free(l->cache_dir);
	free(l);
}

void program_free(struct program *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	free(p->url);
	p->url = NULL;
}

static int program_cache(struct program_loader *l, struct cache **out,
			 struct error *e)
{
	if (!l->cache) {
		cleanup_free char *dflt = NULL;
		const char *dir = l->cache_dir;
		if (!dir) {
			int r = cache_default_dir(&dflt, e);
			if (r < 0)
				return r;
			dir = dflt;
		}
		int r = cache_open(dir, true, &l->cache, e);
		if (r < 0)
			return r;
	}
	*out = l->cache;
	return 0;
}

/* ---- memfd: load, seal, verify --------------------------------------- */

static int program_memfd(const struct url *u, int *out, struct error *e)
{
	char shortname[40], name[64];

	url_short_name(u, shortname, sizeof(shortname));
	snprintf(name, sizeof(name), "fakeos:%s", shortname);
	/* MFD_EXEC: with vm.memfd_noexec=1 a memfd is not executable unless
	 * asked for. Kernels before 6.3 do not know the flag (EINVAL); their
	 * memfds are always executable, so asking without it is the same. */
	int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
	if (fd < 0 && errno == EINVAL)
		fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0) {
		if (errno == EACCES || errno == EPERM)
			return error_set(e, errno,
					 "the kernel refused an executable "
					 "memfd: the sysctl vm.memfd_noexec is "
					 "2 here, and programs can only be run "
					 "from memory when it is 0 or 1");
		return error_sys(e, errno, "memfd_create");
	}
	*out = fd;
	return 0;
}

/* Copies all of src into the memfd dst; more than max bytes (0: no cap)
 * is an error. */
static int program_copy(int dst, int src, uint64_t max, struct error *e)
{
	off_t off = 0;

	for (;;) {
		ssize_t n = sendfile(dst, src, &off, 1 << 20);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return error_sys(e, errno, "copying the program into "
						   "memory");
		}
		if (n == 0)
			return 0;
		if (max && (uint64_t)off > max) {
			char a[32];
			fetch_format_size(max, a, sizeof(a));
			return error_set(e, EFBIG, "program exceeds the size "
						   "cap (%s)", a);
		}
	}
}

static void program_unmap(void *map, size_t size)
{
	if (map && munmap(map, size) < 0)
		log_debug("munmap: %s", strerror(errno));
}

/* Seals the memfd, maps it, hashes the mapped bytes, compares them with
 * want (NULL: no comparison), checks the ELF, and fills p. The seals come
 * first: once they are on, nobody (not even a leaked writable descriptor)
 * can change the bytes, so the hash and the ELF check hold for what is
 * executed. On success, *map (if map is not NULL) keeps the mapping for
 * the caller to store; free it with program_unmap(*map, p->size).
 * -EBADMSG: the hash differs (e says "hash mismatch: expected X, got Y"),
 * -ENOEXEC: not a static x86-64 ELF. */
static int program_seal(int *memfd, const uint8_t *want, struct program *p,
			void **map, enum program_fail *kind, struct error *e)
{
	const int seals = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE |
			  F_SEAL_SEAL;
	struct stat st;
	void *m = NULL;
	uint8_t got[HASH_SIZE];

	*kind = PROGRAM_FAIL_RUN;
	/* F_SEAL_EXEC (Linux 6.3) also freezes the exec bits. */
	if (fcntl(*memfd, F_ADD_SEALS, seals | F_SEAL_EXEC) < 0 &&
	    (errno != EINVAL || fcntl(*memfd, F_ADD_SEALS, seals) < 0))
		return error_sys(e, errno, "sealing the program's memfd");
	if (fstat(*memfd, &st) < 0)
		return error_sys(e, errno, "fstat of the program's memfd");
	size_t size = (size_t)st.st_size;
	if (size > 0) {
		m = mmap(NULL, size, PROT_READ, MAP_SHARED, *memfd, 0);
		if (m == MAP_FAILED)
			return error_sys(e, errno, "mapping the program");
	}
	hash_buf(m ? m : "", size, got);
	if (want && memcmp(got, want, HASH_SIZE) != 0) {
		char w[HASH_HEX_SIZE], g[HASH_HEX_SIZE];
		hash_hex(want, w);
		hash_hex(got, g);
		program_unmap(m, size);
		*kind = PROGRAM_FAIL_FETCH;
		return error_set(e, EBADMSG, "hash mismatch: expected %s, got "
					     "%s", w, g);
	}
	int r = elf_check(m, size, e);
	if (r < 0) {
		program_unmap(m, size);
		return r;
	}
	p->fd = steal_fd(memfd);
	memcpy(p->sha256, got, HASH_SIZE);
	p->size = size;
	if (map)
		*map = m;
	else
		program_unmap(m, size);
	return 0;
}

/* Loads the program from an open file (a cached object or a file://
 * path) into a sealed, checked memfd. */
static int program_from_fd(const struct program_loader *l,
			   const struct url *u, int src, const uint8_t *want,
			   struct program *p, enum program_fail *kind,
			   struct error *e)
{
	cleanup_fd int mfd = -1;
	int r;

	*kind = PROGRAM_FAIL_RUN;
	r = program_memfd(u, &mfd, e);
	if (r < 0)
		return r;
	*kind = PROGRAM_FAIL_FETCH;
	r = program_copy(mfd, src, l->o.max_size, e);
	if (r < 0)
		return r;
	return program_seal(&mfd, want, p, NULL, kind, e);
}

/* ---- the cache path --------------------------------------------------- */

/* Loads the object named hash from the open fd obj. A corrupt object (its
 * bytes no longer hash to its name: a disk error, a stray write) is
 * removed, reported, and -EBADMSG returned so the caller fetches again. */
static int program_from_object_fd(struct program_loader *l,
				  const struct url *u, int obj,
				  const uint8_t hash[HASH_SIZE],
				  struct program *p, enum program_fail *kind,
				  struct error *e)
{
	struct error sub;
	int r = program_from_fd(l, u, obj, hash, p, kind, &sub);
	if (r == -EBADMSG) {
		log_warn("%s: the cached copy is corrupt (%s); discarding it",
			 u->base, sub.msg);
		struct error rm;
		if (cache_object_remove(l->cache, hash, &rm) < 0)
			log_warn("%s", rm.msg);
		return error_set(e, EBADMSG, "the cached copy is corrupt");
	}
	if (r < 0) {
		*e = sub;
		return r;
	}
	cache_object_touch(obj);
	return 0;
}

/* Loads the cached object named hash. -ENOENT when it is not there,
 * -EBADMSG when it was corrupt (and is now gone). */
static int program_from_object(struct program_loader *l, const struct url *u,
			       const uint8_t hash[HASH_SIZE], struct program *p,
			       enum program_fail *kind, struct error *e)
{
	cleanup_fd int obj = -1;
	uint64_t size;

	*kind = PROGRAM_FAIL_FETCH;
	int r = cache_object_open(l->cache, hash, &obj, &size, e);
	if (r < 0)
		return r;
	return program_from_object_fd(l, u, obj, hash, p, kind, e);
}

/* Reads the URL's entry. *have says whether there is a usable one; a
 * malformed entry is reported, removed and treated as none. */
static int program_entry(struct program_loader *l, const struct url *u,
			 struct cache_entry *en, bool *have, struct error *e)
{
	*have = false;
	int r = cache_entry_load(l->cache, u->base, en, e);
	if (r == -ENOENT)
		return 0;
	if (r == -EBADMSG) {
		log_warn("%s; removing it", e->msg);
		struct error rm;
		if (cache_entry_remove(l->cache, u->base, &rm) < 0)
			log_warn("%s", rm.msg);
		return 0;
	}
	if (r < 0)
		return r;
	*have = true;
	return 0;
}

static bool program_fresh(const struct cache_entry *en, int64_t now)
{
	return now < en->expires;
}

/* How long a response stays fresh: no-cache means revalidate every time,
 * else max-age, else the fallback (default_ttl, or after a 304 the
 * lifetime the entry had). */
static int64_t program_ttl(const struct fetch_cache_control *cc,
			   int64_t fallback)
{
	if (cc->no_cache)
		return 0;
	if (cc->has_max_age)
		return cc->max_age;
	return fallback;
}

/* Copies a validator into the entry if it can be stored, else clears it:
 * a stale validator is worse than none. */
static void program_set_field(char *dst, size_t cap, const char *v)
{
	if (v[0] && cache_field_ok(v) && strlen(v) < cap)
		memcpy(dst, v, strlen(v) + 1);
	else
		dst[0] = '\0';
}

/* Keeps a verified download: object first, then the entry naming it (so
 * an entry never names an object that is not yet durable), then eviction.
 * Failures here are warnings: the program is already in memory and can
 * run; only the next launch loses. */
static void program_keep(struct program_loader *l, const struct url *u,
			 const void *map, const struct program *p,
			 const struct fetch_result *res)
{
	struct cache_entry en;
	struct error e;
	int64_t now = now_unix();

	if (cache_object_store(l->cache, map, p->size, p->sha256, &e) < 0) {
		log_warn("%s: not cached: %s", u->base, e.msg);
		return;
	}
	memset(&en, 0, sizeof(en));
	snprintf(en.url, sizeof(en.url), "%s", u->base);
	memcpy(en.object, p->sha256, HASH_SIZE);
	en.size = p->size;
	en.fetched = now;
	en.expires = now + program_ttl(&res->headers.cc, l->o.default_ttl);
	program_set_field(en.etag, sizeof(en.etag), res->headers.etag);
	program_set_field(en.last_modified, sizeof(en.last_modified),
			  res->headers.last_modified);
	if (cache_entry_store(l->cache, &en, &e) < 0)
		log_warn("%s: not cached: %s", u->base, e.msg);
	if (cache_evict(l->cache, l->o.cache_max, p->sha256, NULL, &e) < 0)
		log_warn("cache eviction: %s", e.msg);
}

/* A 304: the cached object is still right. Extends the entry and loads
 * the object, which is open on obj. */
static int program_not_modified(struct program_loader *l, const struct url *u,
				struct cache_entry *en, int obj,
				const struct fetch_result *res,
				struct program *p, enum program_fail *kind,
				struct error *e)
{
	int r = program_from_object_fd(l, u, obj, en->object, p, kind, e);
	if (r < 0)
		return r;
	struct error sub;
	if (res->headers.cc.no_store) {
		if (cache_entry_remove(l->cache, u->base, &sub) < 0)
			log_warn("%s", sub.msg);
		return 0;
	}
	int64_t now = now_unix();
	int64_t ttl = program_ttl(&res->headers.cc, en->expires - en->fetched);
	en->fetched = now;
	en->expires = now + ttl;
	/* A 304 may carry new validators (RFC 9111, 4.3.4). */
	if (res->headers.etag[0])
		program_set_field(en->etag, sizeof(en->etag),
				  res->headers.etag);
	if (res->headers.last_modified[0])
		program_set_field(en->last_modified, sizeof(en->last_modified),
				  res->headers.last_modified);
	if (cache_entry_store(l->cache, en, &sub) < 0)
		log_warn("%s: %s", u->base, sub.msg);
	return 0;
}

/* Fetches under the URL's lock. en is the URL's entry, or NULL: with an
 * entry whose object is present the request is conditional, and that
 * object is the stale copy that may run if the network fails.
 * It recurses at most once: a 304 for an entry that turns out malformed
 * fetches again with en NULL, and a request without an entry is never
 * conditional, so it cannot get a 304. */
/* NOLINTNEXTLINE(misc-no-recursion) */
static int program_fetch(struct program_loader *l, const struct url *u,
			 struct cache_entry *en, struct program *p,
			 enum program_fail *kind, struct error *e)
{
	cleanup_fd int stale = -1;
	cleanup_fd int mfd = -1;
	struct fetch_validators v = { NULL, NULL };
	struct fetch_result res;
	struct error sub;
	uint64_t stale_size;
	int r;

	if (en && !u->pinned) {
		r = cache_object_open(l->cache, en->object, &stale,
				      &stale_size, &sub);
		if (r == 0) {
			v.etag = en->etag;
			v.last_modified = en->last_modified;
		} else if (r != -ENOENT) {
			log_warn("%s", sub.msg);
		}
	}
	*kind = PROGRAM_FAIL_RUN;
	r = program_memfd(u, &mfd, e);
	if (r < 0)
		return r;

	*kind = PROGRAM_FAIL_FETCH;
	const struct fetch_opts fo = {
		.max_size = l->o.max_size,
		.timeout_ms = l->o.timeout_ms,
		.cacert = l->o.cacert,
		.progress = l->o.progress,
		.within = l->within,
	};
	log_info("fetching %s%s", u->base, stale >= 0 ? " (revalidating)" :
							"");
	r = fetch_get(u->base, &fo, &v, mfd, &res, e);
	if (r < 0) {
		/* Only a failure to reach the server, or the server failing,
		 * lets the stale copy run. A 404 or 410 is the server saying
		 * the program is gone (or any 4xx: not ours to have): running
		 * an old copy would resurrect a program its publisher
		 * withdrew, perhaps for a security hole. A refused redirect
		 * or an oversized body is not an outage either. */
		if (stale < 0 || (res.fail != FETCH_FAIL_NETWORK &&
				  res.fail != FETCH_FAIL_SERVER))
			return r;
		struct error why = *e;
		r = program_from_object_fd(l, u, stale, en->object, p, kind,
					   e);
		if (r < 0) {
			if (r == -EBADMSG) {
				*kind = PROGRAM_FAIL_FETCH;
				*e = why;
				return -EIO;
			}
			return r;
		}
		log_warn("%s: %s; running the cached copy from %lld s ago",
			 u->base, why.msg,
			 (long long)(now_unix() - en->fetched));
		p->source = "cache (stale)";
		return 0;
	}

	if (res.status == 304) {
		/* fetch_get accepts a 304 only for a conditional request,
		 * which needs an entry and its object; say so here too. */
		if (!en || stale < 0)
			return error_set(e, EPROTO, "HTTP 304 to a request "
						    "that was not conditional");
		log_debug("%s: not modified", u->base);
		r = program_not_modified(l, u, en, stale, &res, p, kind, e);
		if (r == -EBADMSG)
			return program_fetch(l, u, NULL, p, kind, e);
		if (r == 0)
			p->source = "cache (revalidated)";
		return r;
	}

	void *map = NULL;
	r = program_seal(&mfd, u->pinned ? u->pin : NULL, p, &map, kind, e);
	if (r < 0)
		return r;
	/* The streamed hash and the sealed hash must agree: anything else
	 * means the memfd changed between writing and sealing. */
	if (memcmp(res.sha256, p->sha256, HASH_SIZE) != 0 ||
	    res.size != p->size) {
		program_unmap(map, p->size);
		program_free(p);
		*kind = PROGRAM_FAIL_FETCH;
		return error_set(e, EIO, "the download changed while it was "
					 "being sealed");
	}
	if (res.headers.cc.no_store) {
		log_debug("%s: no-store, not cached", u->base);
		/* The old entry no longer describes what the server serves. */
		if (en && cache_entry_remove(l->cache, u->base, &sub) < 0)
			log_warn("%s", sub.msg);
	} else {
		program_keep(l, u, map, p, &res);
	}
	program_unmap(map, p->size);
	p->source = "network";
	return 0;
}

static int program_load_http(struct program_loader *l, const struct url *u,
			     struct program *p, enum program_fail *kind,
			     struct error *e)
{
	struct cache *c;
	struct cache_entry en;
	bool have;
	int r;

	*kind = PROGRAM_FAIL_FETCH;
	r = program_cache(l, &c, e);
	if (r < 0)
		return r;

	/* Pinned bytes need no freshness: if they are here, they are it. */
	r = -ENOENT;
	if (u->pinned) {
		r = program_from_object(l, u, u->pin, p, kind, e);
		if (r == 0) {
			p->source = "cache (pinned)";
			return 0;
		}
		if (r != -ENOENT && r != -EBADMSG)
			return r;
	}
	bool corrupt = r == -EBADMSG;
	r = program_entry(l, u, &en, &have, e);
	if (r < 0)
		return r;
	if (!u->pinned && have &&
	    (l->o.offline ||
	     (!l->o.refresh && program_fresh(&en, now_unix())))) {
		r = program_from_object(l, u, en.object, p, kind, e);
		if (r == 0) {
			p->source = "cache";
			return 0;
		}
		if (r != -ENOENT && r != -EBADMSG)
			return r;
		corrupt |= r == -EBADMSG;
	}
	if (l->o.offline) {
		*kind = PROGRAM_FAIL_FETCH;
		if (corrupt)
			return error_set(e, ENOENT, "the cached copy was "
						    "corrupt and --offline "
						    "forbids fetching it again");
		return error_set(e, ENOENT, "not in the cache (--offline)");
	}

	/* One launch fetches; the others wait here and then use what it
	 * stored, instead of all downloading the same bytes. */
	struct cache_entry before = en;
	bool had = have;
	cleanup_fd int lock = -1;
	r = cache_lock_url(c, u->base, &lock, e);
	if (r < 0)
		return r;
	r = program_entry(l, u, &en, &have, e);
	if (r < 0)
		return r;
	if (u->pinned) {
		r = program_from_object(l, u, u->pin, p, kind, e);
		if (r == 0) {
			p->source = "cache (pinned)";
			return 0;
		}
	} else if (have && program_fresh(&en, now_unix()) &&
		   (!l->o.refresh || !had || en.fetched != before.fetched ||
		    en.expires != before.expires ||
		    memcmp(en.object, before.object, HASH_SIZE) != 0)) {
		/* Fresh now: another launch fetched it while we waited
		 * (with --refresh, only if the entry changed while we
		 * waited for the lock: timestamps are whole seconds, so
		 * comparing them with our start time could not tell). */
		r = program_from_object(l, u, en.object, p, kind, e);
		if (r == 0) {
			p->source = "cache";
			return 0;
		}
	}
	if (r < 0 && r != -ENOENT && r != -EBADMSG)
		return r;
	return program_fetch(l, u, have ? &en : NULL, p, kind, e);
}

/* Opens a file:// program without side effects: O_PATH first (a device, a
 * FIFO or a socket is never opened for real), then the type is checked,
 * then the regular file is opened through its O_PATH descriptor. A
 * confined loader resolves the path beneath its directory. */
static int program_open_file(struct program_loader *l, const struct url *u,
			     int *out, struct error *e)
{
	cleanup_fd int path_fd = -1;
	if (l->beneath) {
		size_t n = strlen(l->beneath);
		while (n > 1 && l->beneath[n - 1] == '/')
			n--;
		const char *rel = u->path + (n == 1 ? 1 : n + 1);
		if ((n > 1 && (strncmp(u->path, l->beneath, n) != 0 ||
			       u->path[n] != '/')) ||
		    !*rel)
			return error_set(e, EPERM, "%s is outside %s", u->path,
					 l->beneath);
		cleanup_fd int dir = open(l->beneath, O_PATH | O_DIRECTORY |
							      O_CLOEXEC);
		if (dir < 0)
			return error_sys(e, errno, "cannot open %s",
					 l->beneath);
		struct open_how how = {
			.flags = O_PATH | O_CLOEXEC | O_NOFOLLOW,
			.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
		};
		path_fd = (int)syscall(SYS_openat2, dir, rel, &how,
				       sizeof(how));
	} else {
		path_fd = open(u->path, O_PATH | O_CLOEXEC);
	}
	if (path_fd < 0)
		return error_sys(e, errno, "cannot open %s", u->path);
	struct stat st;
	if (fstat(path_fd, &st) < 0)
		return error_sys(e, errno, "cannot stat %s", u->path);
	if (S_ISDIR(st.st_mode))
		return error_set(e, EISDIR, "%s is a directory", u->path);
	if (!S_ISREG(st.st_mode))
		return error_set(e, EINVAL, "%s is not a regular file",
				 u->path);
	char proc[64];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", path_fd);
	int fd = open(proc, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return error_sys(e, errno, "cannot open %s", u->path);
	*out = fd;
	return 0;
}

static int program_load_file(struct program_loader *l, const struct url *u,
			     struct program *p, enum program_fail *kind,
			     struct error *e)
{
	*kind = PROGRAM_FAIL_FETCH;
	cleanup_fd int fd = -1;
	int r = program_open_file(l, u, &fd, e);
	if (r < 0)
		return r;
	r = program_from_fd(l, u, fd, u->pinned ? u->pin : NULL, p, kind, e);
	if (r == 0)
		p->source = "file";
	return r;
}

int program_load(struct program_loader *l, const char *url,
		 struct program *p, enum program_fail *kind, struct error *e)
{
	struct url u;
	int r;

	memset(p, 0, sizeof(*p));
	p->fd = -1;
	*kind = PROGRAM_FAIL_FETCH;
	r = url_parse(url, &u, e);
	if (r < 0)
		return r;
	/* The broker checked this already (spawn_prefix); the loader holds
	 * the same line on its own, so no caller can get past it. */
	if (l->within && !url_within(l->within, &u))
		r = error_set(e, EPERM, "%s is outside %s", u.base, l->within);
	else if (u.scheme == URL_FILE)
		r = program_load_file(l, &u, p, kind, e);
	else
		r = program_load_http(l, &u, p, kind, e);
	if (r == 0) {
		p->url = steal_pointer(&u.base);
		log_debug("%s: %llu bytes from %s, sha256 verified", p->url,
			  (unsigned long long)p->size, p->source);
	} else {
		program_free(p);
	}
	url_free(&u);
	return r;
}
