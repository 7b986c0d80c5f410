/* config.h — fakeosd's settings: DIR/fakeosd.conf and DIR/services.d/
 * NAME.conf, DIR being /etc/fakeos (fakeosd.conf(5)). Owns the format and
 * the check of every value (config.c), and the rule that only root may
 * change any of it, issue 16's section 7 (config_load.c): a file or
 * directory anyone else could write is refused before it is read. Reads
 * files and the user database; changes nothing. */
#ifndef FAKEOS_CONFIG_H
#define FAKEOS_CONFIG_H

#include <stdbool.h>
#include <sys/types.h>

#include "proto.h"
#include "util.h"

#define CONFIG_DIR "/etc/fakeos"
#define CONFIG_MAIN "fakeosd.conf"
#define CONFIG_SERVICES "services.d"

/* Bounds. A file is read whole, so it has a size; a line holds a URL of
 * URL_MAX bytes with room to spare; a service's arguments are those one
 * spawn message carries (PROTO_ARGC_MAX strings of PROTO_ARGS_SIZE bytes,
 * a NUL after each), so a service starts the way a spawned program does. */
#define CONFIG_FILE_MAX (64 * 1024)
#define CONFIG_LINE_MAX 8192
#define CONFIG_SERVICES_MAX 256
#define CONFIG_ENTRIES_MAX 1024 /* entries read in services.d */
#define CONFIG_ACCOUNTS_MAX 1024 /* [account NAME] sections */
#define CONFIG_SPAWN_FROM_MAX 16 /* as fakeos-run --spawn-from */
#define CONFIG_PUBLISH_MAX 16 /* names served per program (broker quota) */
#define CONFIG_ARGC_MAX PROTO_ARGC_MAX
#define CONFIG_ARGS_MAX PROTO_ARGS_SIZE
#define CONFIG_POOL_MAX 256
#define CONFIG_BROADCAST_MAX 16 /* network-wide channels */

/* Defaults, as fakeosd.conf(5) gives them. A program's memory is
 * fakeos-run's default; an account may run as many programs as one
 * fakeos-run tree may hold. */
#define CONFIG_DEFAULT_POOL 4
#define CONFIG_DEFAULT_CACHE_MAX (1ULL << 30)
#define CONFIG_DEFAULT_GRACE_MS 10000ULL
#define CONFIG_DEFAULT_CRASH_REPORTS 5 /* reports of one program ... */
#define CONFIG_DEFAULT_CRASH_WINDOW_MS 60000ULL /* ... in this window */
#define CONFIG_HOST_KEY "/etc/fakeos/host.key"
#define CONFIG_DEFAULT_PROGRAMS 1024
#define CONFIG_DEFAULT_LINKS 4096
#define CONFIG_DEFAULT_SERVICES 256
#define CONFIG_DEFAULT_MEMORY (256ULL << 20)
#define CONFIG_DEFAULT_HTTP_REQUESTS 8
#define CONFIG_DEFAULT_HTTP_BODY_MAX (64ULL << 20)
#define CONFIG_DEFAULT_HTTP_TIME_LIMIT_MS 60000ULL
/* Links across hosts: how long a silent peer host keeps its links (QUIC's
 * idle timeout), and how long a handshake may take (quic.h's defaults). */
#define CONFIG_DEFAULT_LINK_IDLE_MS 10000ULL
#define CONFIG_DEFAULT_LINK_HANDSHAKE_MS 5000ULL
#define CONFIG_HTTP_ALLOW_MAX 16
#define CONFIG_DEFAULT_RESTART_DELAY_MS 1000ULL
#define CONFIG_DEFAULT_RESTART_DELAY_MAX_MS 300000ULL

/* A list of strings from one line: v[n] is NULL. */
struct config_list {
	char **v;
	unsigned n;
};

/* What one account (a uid) may hold at once, all its programs together;
 * memory is per program. */
struct config_quota {
	unsigned programs; /* programs alive */
	unsigned links; /* open links held by its programs */
	unsigned services; /* names its programs serve */
	uint64_t memory; /* bytes of address space per program, 0 none */
	/* The HTTP gateway (httpgw.h): URL prefixes its programs may GET
	 * and PUT (none: every request is refused), and requests at once. */
	struct config_list http_allow;
	unsigned http_requests;
};

/* An [account NAME] section: the [account] defaults with the keys this
 * section sets over them. */
struct config_account {
	uid_t uid;
	struct config_quota quota;
	unsigned line; /* of its header, for messages */
	unsigned set; /* which keys the section set (bit = key index) */
};

enum config_restart {
	CONFIG_RESTART_NO,
	CONFIG_RESTART_ON_FAILURE,
	CONFIG_RESTART_ALWAYS,
};

/* Where names of other hosts are found (src/resolver.h). */
enum config_resolver {
	CONFIG_RESOLVER_STATIC, /* /etc/fakeos/names */
	CONFIG_RESOLVER_ETCD,
};

/* One services.d/NAME.conf. */
struct config_service {
	char name[PROTO_NAME_SIZE]; /* NAME: the file's name less ".conf" */
	char *path; /* the file, for messages */
	char *url; /* as written, "#sha256=" pin included; url_parse takes it */
	struct config_list args; /* argv[1..]: the URL is argv[0] */
	uid_t account; /* whose program it is: its names and quotas */
	uint64_t memory; /* bytes of address space, 0 none; default: the
			    account's quota.memory */
	uint64_t cpu_seconds; /* RLIMIT_CPU, rounded up; 0 none */
	uint64_t time_limit_ms; /* wall clock per run; 0 none */
	struct config_list publish; /* names visible to every account */
	bool export; /* its published names are reachable from other hosts
			(remote.h) and registered with the resolver: the one
			way a name is exported */
	enum config_restart restart;
	uint64_t restart_delay_ms; /* the first back-off; it doubles... */
	uint64_t restart_delay_max_ms; /* ...up to this */
};

struct config {
	unsigned pool; /* warm jails kept ready */
	uint64_t cache_max; /* bytes the system cache may hold */
	uint64_t grace_ms; /* from SIGTERM to SIGKILL when services stop */
	struct config_list spawn_from; /* URL prefixes programs may spawn
					  from, besides their own origin */
	unsigned crash_reports; /* at most this many of one program ... */
	uint64_t crash_window_ms; /* ... in this long: a crash loop's */
	char *crash_url; /* where the broker POSTs crash reports
			    (docs/CRASH.md); NULL: none are kept */
	enum config_resolver resolver;
	char *etcd_url; /* etcd's gateway; NULL: http://127.0.0.1:2379 */
	/* Host-to-host links (remote.h). listen NULL: none, this host is
	 * alone; the paths NULL: CONFIG_HOST_KEY, HOSTS_FILE, and the
	 * configuration directory's names (RESOLVER_NAMES_FILE). */
	char *listen; /* ADDRESS:PORT of this host's QUIC endpoint */
	char *host_key; /* this host's private key, made at first start */
	char *hosts; /* the pinned keys of the other hosts */
	char *names; /* the static resolver's names file (resolver.h) */
	/* What one other host may hold here, all the accounts it claims
	 * together (remote.h's remote_limits): links open at once, in all
	 * and to one serving program, new links a second and their burst.
	 * 0: remote.h's defaults. */
	unsigned host_links, host_prog_links, host_link_rate, host_link_burst;
	uint64_t link_idle_ms, link_handshake_ms; /* read at start */
	/* Broadcast across hosts (netbcast.h): the channels that are
	 * network-wide, in every account, and where they go (a multicast
	 * group or broadcast address, and port). broadcast_to NULL: none.
	 * broadcast_secret: the file of the LAN's shared secret that
	 * encrypts their payloads; NULL: signed, but in clear. */
	struct config_list broadcast;
	char *broadcast_to;
	char *broadcast_secret;
	uint64_t http_body_max; /* bytes of a body through the gateway */
	uint64_t http_time_limit_ms; /* a gateway request, link to end */
	struct config_quota account_defaults; /* [account] */
	struct config_account *accounts; /* [account NAME], in file order */
	unsigned naccounts;
	struct config_service *services; /* sorted by name */
	unsigned nservices;
	/* What config_load skipped, one line each, for the caller to log:
	 * "DIR/services.d/README: ignored: only NAME.conf files are read". */
	struct config_list warnings;
};

/* The defaults, with no account sections and no services. */
void config_init(struct config *c);
void config_free(struct config *c);

/* Reads DIR/fakeosd.conf (required) and every DIR/services.d/NAME.conf
 * (the directory may be absent: no services), in name order. Every other
 * entry of services.d is skipped with a warning in c->warnings.
 *
 * Before anything is read, DIR, DIR/services.d and each file read must be
 * owned by `owner` (0 in production; tests pass their own), writable by
 * neither group nor others, and no symbolic link; each directory above
 * DIR must be owned by root or `owner` and not writable by group or
 * others unless sticky (/tmp). Each is opened without following links
 * and checked on its open descriptor, so nothing can be swapped between
 * check and read. Else -EPERM: "/etc/fakeos/services.d/db.conf is
 * writable by group (mode 0664): fakeosd reads only files that only
 * root can change".
 *
 * Returns 0 with *out filled, or a negative errno with e saying which
 * file and line and what is wrong, and *out empty (config_free is still
 * safe). */
int config_load(const char *dir, uid_t owner, struct config *out,
		struct error *e);

/* Reads DIR/NAME whole (NUL-terminated, *len bytes before the NUL) with
 * the checks config_load makes of every file it reads: the same rule for
 * another reader of /etc/fakeos (fakeos-shell's shell.conf). -ENOENT
 * when there is no DIR/NAME (a dangling link is -EPERM), with e set. */
int config_read_file(const char *dir, const char *name, uid_t owner,
		     char **text, size_t *len, struct error *e);

enum config_kind {
	CONFIG_KIND_MAIN, /* fakeosd.conf */
	CONFIG_KIND_SERVICE, /* services.d/NAME.conf */
};

/* Looks a user name up: 0 with *uid, or -ENOENT. NULL means the system's
 * user database (getpwnam_r). */
typedef int config_resolve_fn(const char *name, uid_t *uid);

/* Parses one file's text, text[0..len) (no terminator needed), as
 * config_load does after its checks: path names it in messages
 * ("PATH:LINE: ..."), and for a service its last component less ".conf"
 * is the service's name. A main file sets c's keys and accounts; a
 * service is added to c->services, with its account's defaults, so
 * parse the main file first. Returns 0, or a negative errno with e set;
 * then c may hold part of the file, and config_free still frees it.
 * Touches no file: this is what the fuzzer calls. */
int config_parse_text(const char *path, const char *text, size_t len,
		      enum config_kind kind, config_resolve_fn *resolve,
		      struct config *c, struct error *e);

/* Appends s (which the list then owns) and keeps v NULL-terminated; frees
 * every string and the array. */
void config_list_push(struct config_list *l, char *s);
void config_list_free(struct config_list *l);

/* The quota of an account: its section's, else [account]'s. */
const struct config_quota *config_account_quota(const struct config *c,
						uid_t uid);

/* "no", "on-failure", "always". */
const char *config_restart_name(enum config_restart r);
/* "static", "etcd". */
const char *config_resolver_name(enum config_resolver r);

#endif
