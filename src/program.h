/* program.h — the first two stages of a launch, fetch and verify: turning a
 * URL into a sealed, executable memfd holding a checked static x86-64 ELF,
 * through the cache (cache.h) and the fetcher (fetch.h). */
#ifndef FAKEOS_PROGRAM_H
#define FAKEOS_PROGRAM_H

#include <stdio.h>

#include "util.h"

/* What a launch uses when nobody says otherwise (fakeos-run(1)). */
#define PROGRAM_DEFAULT_MAX_SIZE (64ULL << 20)
#define PROGRAM_DEFAULT_TIMEOUT_MS (60ULL * 1000)
#define PROGRAM_DEFAULT_TTL 300
#define PROGRAM_DEFAULT_CACHE_MAX (1ULL << 30)

struct program_opts {
	const char *cache_dir; /* NULL: the default (cache_default_dir) */
	bool offline; /* use the cache only, never the network */
	bool refresh; /* revalidate now, even within max-age */
	/* Load only what is fresh in the cache, with nothing that can wait
	 * (a lock, the network): -EWOULDBLOCK otherwise, file:// included.
	 * fakeosd's fast path for a cached program. */
	bool fresh_only;
	uint64_t max_size; /* download cap in bytes */
	uint64_t timeout_ms; /* whole-transfer timeout, 0 for none */
	uint64_t cache_max; /* bound on the cache's size in bytes */
	int64_t default_ttl; /* seconds an entry stays fresh without max-age */
	const char *cacert; /* CA bundle for https, NULL for the system's */
	bool progress; /* draw a progress bar on stderr (caller checks TTY) */
};

/* Why a load failed, which decides the exit code (fakeos-run(1)). */
enum program_fail {
	PROGRAM_FAIL_FETCH = 1, /* 127: network, HTTP, cap, hash, offline miss */
	PROGRAM_FAIL_RUN = 2, /* 126: not a static x86-64 ELF, memfd refused */
};

struct program {
	int fd; /* sealed memfd, executable, close-on-exec */
	uint8_t sha256[32]; /* of the bytes in fd, checked after sealing */
	uint64_t size;
	char *url; /* the URL without its fragment */
	const char *source; /* how it was obtained, for -v: "cache", ... */
};

struct program_loader;

/* Opens a loader. The cache directory is opened (and created) lazily, on
 * the first http(s) load, so file:// launches never touch it. */
int program_loader_open(const struct program_opts *o,
			struct program_loader **out, struct error *e);
void program_loader_close(struct program_loader *l);

/* From now on, every load is confined to prefix, a URL prefix as
 * url_within reads it (the origin or directory that allowed a spawn, or an
 * operator's --spawn-from): for the loads a program asks for (spawns).
 * A URL outside it is refused; a file:// one is opened beneath the
 * prefix's directory with RESOLVE_BENEATH, so neither ".." nor a symlink
 * leaves it; every redirect hop of an http(s) fetch, a revalidation's
 * included, must stay within it too, else the fetch fails (refused) and
 * the hop is never requested. A NULL prefix lifts the confinement. */
void program_loader_confine(struct program_loader *l, const char *prefix);

/* From now on, a load that stores keeps the cache within max bytes. */
void program_loader_set_cache_max(struct program_loader *l, uint64_t max);

/* Fetches (or finds in the cache), verifies and seals the program at url.
 * On failure returns -errno, sets *kind, and e says what failed in words a
 * user can act on ("HTTP 404", "hash mismatch: expected ..., got ..."). */
int program_load(struct program_loader *l, const char *url,
		 struct program *p, enum program_fail *kind, struct error *e);
void program_free(struct program *p);

#endif
