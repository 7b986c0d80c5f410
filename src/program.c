/* program.c — see program.h. The stages of getting a program, in order:
 *   1. parse the URL (url.c), and hold it to the loader's prefix;
 *   2. file://: open the file; http(s): cache_get (cache.h), which decides
 *      between the cached copy and a fetch (fetch.c), and keeps and evicts;
 *   3. copy the bytes into a memfd (a download is written there) and seal
 *      it;
 *   4. map the sealed memfd, hash what is mapped and compare with the
 *      object's name or the #sha256= pin, and check that it is a static
 *      x86-64 ELF (elf.c): what was verified is exactly what will run.
 * Steps 3 and 4 are the operations cache_get calls (program_cached,
 * program_download): the cache decides which bytes, this file makes them a
 * program. */
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
	l->within = NULL;
	l->beneath = NULL;
	if (!prefix)
		return;
	l->within = xstrdup(prefix);
	/* An http(s) prefix confines no file; url_within refuses every
	 * file:// URL under it anyway. */
	const char *dir = url_file_prefix_dir(prefix);
	l->beneath = dir ? xstrdup(dir) : NULL;
}

void program_loader_set_cache_max(struct program_loader *l, uint64_t max)
{
	l->o.cache_max = max;
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

/* ---- http(s): through the cache ------------------------------------ */

/* One http(s) load: what the cache's operations (cache_ops) work on. */
struct program_get {
	struct program_loader *l;
	const struct url *u;
	struct program *p;
	/* The failure of the last operation, which is what cache_get
	 * returns when it fails after one: an operation that succeeds, or
	 * fails with -EBADMSG (a corrupt object, which the cache survives),
	 * leaves PROGRAM_FAIL_FETCH. */
	enum program_fail *kind;
	void *map; /* the download's sealed bytes, mapped for the cache */
	size_t map_size;
};

/* cache_ops.load: a cached object into a sealed, checked memfd. */
static int program_cached(void *arg, int fd, const uint8_t hash[HASH_SIZE],
			  struct error *e)
{
	struct program_get *g = arg;
	return program_from_fd(g->l, g->u, fd, hash, g->p, g->kind, e);
}

/* cache_ops.fetch: downloads straight into a memfd, seals and checks it
 * (against the pin too), and lends the cache the sealed bytes to keep. */
static int program_download(void *arg, const char *url,
			    const struct fetch_validators *v,
			    struct fetch_result *res, struct cache_download *dl,
			    struct error *e)
{
	struct program_get *g = arg;
	const struct program_loader *l = g->l;
	cleanup_fd int mfd = -1;

	*g->kind = PROGRAM_FAIL_RUN;
	int r = program_memfd(g->u, &mfd, e);
	if (r < 0)
		return r;
	*g->kind = PROGRAM_FAIL_FETCH;
	const struct fetch_opts fo = {
		.max_size = l->o.max_size,
		.timeout_ms = l->o.timeout_ms,
		.cacert = l->o.cacert,
		.progress = l->o.progress,
		.within = l->within,
	};
	r = fetch_get(url, &fo, v, mfd, res, e);
	if (r < 0 || res->status == 304)
		return r;
	r = program_seal(&mfd, g->u->pinned ? g->u->pin : NULL, g->p, &g->map,
			 g->kind, e);
	if (r < 0)
		return r;
	g->map_size = g->p->size;
	/* The streamed hash and the sealed hash must agree: anything else
	 * means the memfd changed between writing and sealing. */
	if (memcmp(res->sha256, g->p->sha256, HASH_SIZE) != 0 ||
	    res->size != g->p->size) {
		program_free(g->p);
		*g->kind = PROGRAM_FAIL_FETCH;
		return error_set(e, EIO, "the download changed while it was "
					 "being sealed");
	}
	dl->bytes = g->map;
	dl->size = g->p->size;
	memcpy(dl->hash, g->p->sha256, HASH_SIZE);
	return 0;
}

static const struct cache_ops program_cache_ops = {
	.load = program_cached,
	.fetch = program_download,
};

static int program_load_http(struct program_loader *l, const struct url *u,
			     struct program *p, enum program_fail *kind,
			     struct error *e)
{
	struct program_get g = { .l = l, .u = u, .p = p, .kind = kind };
	struct cache_result res;
	struct cache *c;

	*kind = PROGRAM_FAIL_FETCH;
	int r = program_cache(l, &c, e);
	if (r < 0)
		return r;
	const struct cache_request req = {
		.url = u->base,
		.pin = u->pinned ? u->pin : NULL,
		.offline = l->o.offline,
		.refresh = l->o.refresh,
		.fresh_only = l->o.fresh_only,
		.default_ttl = l->o.default_ttl,
		.max = l->o.cache_max,
		.ops = &program_cache_ops,
		.arg = &g,
	};
	r = cache_get(c, &req, &res, e);
	program_unmap(g.map, g.map_size);
	if (r == 0)
		p->source = cache_source_name(res.source);
	return r;
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
	else if (u.scheme == URL_FILE && l->o.fresh_only)
		r = error_set(e, EWOULDBLOCK, "a file is opened by a worker");
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
