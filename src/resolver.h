/* resolver.h — where a service name lives on the network: NAME -> the
 * host that serves it (its name, address:port and pinned key). Two
 * backends: "static", the operator's /etc/fakeos/names, and "etcd", a
 * shared registry reached through etcd's v3 JSON gateway with libcurl,
 * where each daemon registers its exported names under a lease and
 * watches everyone's. Either way a host and its key come only from
 * /etc/fakeos/hosts: a registry may say which pinned host serves a name,
 * never introduce a host or a key (docs/SECURITY.md, "A hostile
 * registry"). Runs from the daemon's epoll loop and never blocks it,
 * except resolver_close, which spends at most RESOLVER_CLOSE_MS revoking
 * the lease. */
#ifndef FAKEOS_RESOLVER_H
#define FAKEOS_RESOLVER_H

#include <stdint.h>
#include <sys/types.h>

#include "hosts.h"
#include "proto.h"
#include "util.h"

#define RESOLVER_NAMES_FILE "names" /* in the config directory */
#define RESOLVER_ETCD_DEFAULT "http://127.0.0.1:2379"
#define RESOLVER_PREFIX_DEFAULT "/fakeos/names/"
#define RESOLVER_TTL_DEFAULT 10 /* seconds a dead host's names outlive it */
#define RESOLVER_RETRY_MS 1000 /* after a failed request to etcd */
#define RESOLVER_REQUEST_MS 5000 /* a request's bound (not the watch's) */
#define RESOLVER_CLOSE_MS 1000
#define RESOLVER_NAMES_MAX 4096 /* lines of a names file, entries known */
#define RESOLVER_EXPORTS_MAX 256

enum resolver_backend {
	RESOLVER_STATIC,
	RESOLVER_ETCD,
};

/* Where a name is served. */
struct resolver_result {
	char name[PROTO_NAME_SIZE]; /* the service name asked for */
	char host[HOST_NAME_MAX_LEN + 1]; /* its entry in /etc/fakeos/hosts */
	struct sockaddr_storage addr; /* where that host's daemon listens */
	socklen_t addrlen;
	uint8_t key[HOST_KEY_SIZE]; /* always the pinned one */
};

/* A name appeared, moved to another host (r set), or vanished (r NULL).
 * Called from resolver_on_readable/on_timer only, never from
 * resolver_lookup; the resolver may be used from within, but not
 * closed. */
typedef void resolver_change_fn(void *arg, const char *name,
				const struct resolver_result *r);

struct resolver_opts {
	enum resolver_backend backend;
	/* The pinned hosts (copied): every answer names one of them. */
	const struct hosts *hosts;
	/* This host as peers should reach it (copied): the value registered
	 * for each exported name. NULL: resolver_register is -EINVAL. */
	const struct host *self;
	/* static: the names file is names_path if set (fakeosd.conf's
	 * `names`), else config_dir/names (CONFIG_DIR if NULL), read with
	 * config_read_file's checks for owner (0 in production). Absent: no
	 * names. */
	const char *names_path;
	const char *config_dir;
	uid_t owner;
	/* etcd: the gateway's base URL (RESOLVER_ETCD_DEFAULT if NULL), the
	 * key prefix (RESOLVER_PREFIX_DEFAULT if NULL; ends in '/'), the
	 * lease's TTL in seconds (RESOLVER_TTL_DEFAULT if 0; etcd raises
	 * anything under its minimum, about 2 s). */
	const char *etcd_url;
	const char *prefix;
	unsigned ttl_s;
	resolver_change_fn *on_change;
	void *arg;
};

struct resolver;

/* static: reads and checks the names file now; an error names the file
 * and line ("/etc/fakeos/names:3: no host 'db9' in /etc/fakeos/hosts").
 * etcd: starts the lease and the watch, and returns at once: until the
 * first answer from etcd every lookup is -ENOENT, and etcd being down is
 * no error here (it is logged and retried every RESOLVER_RETRY_MS). */
int resolver_open(const struct resolver_opts *o, struct resolver **out,
		  struct error *e);
/* etcd: revokes the lease (names vanish at once for everyone, bounded by
 * RESOLVER_CLOSE_MS) and ends every request. No callback from here. */
void resolver_close(struct resolver *r);

/* Where name is served, from the local table (no I/O): 0 with *out, or
 * -ENOENT. A name this host registered is found too, as this host. */
int resolver_lookup(const struct resolver *r, const char *name,
		    struct resolver_result *out);
/* Exports name from this host (a service's `export = yes`): etcd puts
 * PREFIX NAME/SELF under the lease, now or as soon as there is one, and
 * again under each new lease. static: remembered only (the names file is
 * the operator's). -EINVAL for a name that is not proto_name_ok or
 * without opts.self, -EEXIST twice, -ENOSPC past RESOLVER_EXPORTS_MAX. */
int resolver_register(struct resolver *r, const char *name);
/* Withdraws an exported name (a reload that took away its `export =
 * yes`): etcd deletes PREFIX NAME/SELF; if that fails, the lease is given
 * up, and the name goes with it within the TTL. -ENOENT if name is not
 * exported. */
int resolver_unregister(struct resolver *r, const char *name);
/* The names exported, i from 0 to the first NULL. */
const char *resolver_export(const struct resolver *r, size_t i);

/* For the daemon's epoll loop, as quic_fd and friends: an fd to watch for
 * EPOLLIN (level-triggered), -1 for the static backend; when on_timer is
 * next due in CLOCK_MONOTONIC ns (now_ns()), UINT64_MAX when never. Ask
 * again after each call into resolver_. */
int resolver_fd(const struct resolver *r);
uint64_t resolver_next_timeout_ns(const struct resolver *r);
void resolver_on_readable(struct resolver *r);
void resolver_on_timer(struct resolver *r);

/* ---- for the tests and the names file's readers ---- */

struct resolver_name {
	char name[PROTO_NAME_SIZE];
	const struct host *host; /* in the hosts given to the parser */
};
struct resolver_names {
	struct resolver_name *v;
	size_t n;
};

/* A names file's text: one name a line,
 *   NAME HOST
 * NAME a service name (proto_name_ok: 1 to 63 of A-Z a-z 0-9 . _ -), HOST
 * a host of hosts. Blank lines and lines starting with '#' are skipped;
 * a name listed twice is an error. On an error e says "PATH:LINE: why"
 * and out is empty. */
int resolver_names_parse(const char *path, const char *text, size_t len,
			 const struct hosts *hosts, struct resolver_names *out,
			 struct error *e);
void resolver_names_free(struct resolver_names *n);

/* An etcd entry: key PREFIX NAME/HOST, value a hosts line of HOST,
 * "HOST ADDRESS:PORT sha256:HEX". Accepted only if HOST is pinned in
 * hosts with that very key: 0 with *out (the address as the value says,
 * the key the pinned one), else -EPERM (or -EINVAL for a malformed
 * entry) with e saying why. */
int resolver_entry_parse(const char *prefix, const char *key, size_t klen,
			 const char *value, size_t vlen,
			 const struct hosts *hosts,
			 struct resolver_result *out, struct error *e);
/* The value this host registers: "HOST ADDRESS:PORT sha256:HEX". */
void resolver_entry_format(const struct host *self, char *out, size_t size);

#endif
