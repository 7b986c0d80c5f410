/* config.c — see config.h: the format of fakeosd.conf(5). One table of
 * keys per place a key may stand (the top of fakeosd.conf, an account
 * section, a service file), one parser for values of each type, and one
 * word splitter for every list. It reads no file: config_load.c does,
 * after its checks. */
#include "config.h"

#include <limits.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "hosts.h"
#include "url.h"

/* Why a file is refused: the rule, said in every such message. */
#define NAME_RULE "1 to 63 of A-Z a-z 0-9 . _ -"

#define MIB (1ULL << 20)
#define SEC 1000ULL
#define MINUTE (60 * SEC)
#define HOUR (60 * MINUTE)

/* ---- lists -------------------------------------------------------------- */

void config_list_push(struct config_list *l, char *s)
{
	char **v = xcalloc(l->n + 2, sizeof(*v));
	if (l->n)
		memcpy(v, l->v, l->n * sizeof(*v));
	v[l->n++] = s;
	free(l->v);
	l->v = v;
}

void config_list_free(struct config_list *l)
{
	for (unsigned i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static bool list_has(const struct config_list *l, const char *s)
{
	for (unsigned i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return true;
	return false;
}

/* One more element for an array of n of size bytes each. */
static void *array_push(void *a, unsigned n, size_t size)
{
	char *b = xcalloc(n + 1, size);
	if (n)
		memcpy(b, a, n * size);
	free(a);
	return b;
}

/* ---- the keys ------------------------------------------------------------ */

enum vtype {
	V_COUNT, /* unsigned */
	V_SIZE, /* uint64_t bytes */
	V_DURATION, /* uint64_t ms */
	V_CPU, /* a duration, stored as uint64_t seconds rounded up */
	V_URL, /* char *: a program's URL */
	V_POST_URL, /* char *: where to POST to, http(s) only, no pin */
	V_ACCOUNT, /* uid_t */
	V_NAMES, /* struct config_list of proto names */
	V_PREFIXES, /* struct config_list of URL prefixes */
	V_HTTP_PREFIXES, /* the same, http(s) only */
	V_ARGS, /* struct config_list of arguments */
	V_CHOICE, /* an enum, one of the key's words */
	V_PATH, /* char *: an absolute path */
	V_ADDR, /* char *: ADDRESS:PORT, as hosts files write them */
	V_BOOL, /* bool: yes or no */
};

struct key {
	const char *name;
	const char *const *choices; /* V_CHOICE: the enum's names, in order */
	size_t off; /* of the field in the section's struct */
	uint64_t min, max; /* a number's range; a list's length is max */
	enum vtype type;
	bool zero_ok; /* 0 is taken below min, and means "none" */
	bool required;
};

#define KEYS_MAX 32 /* keys in one table, and bits in config_account.set */

static const char *const restart_names[] = {
	[CONFIG_RESTART_NO] = "no",
	[CONFIG_RESTART_ON_FAILURE] = "on-failure",
	[CONFIG_RESTART_ALWAYS] = "always",
	NULL,
};

static const char *const resolver_names[] = {
	[CONFIG_RESOLVER_STATIC] = "static",
	[CONFIG_RESOLVER_ETCD] = "etcd",
	NULL,
};

static const struct key main_keys[] = {
	{ .name = "pool", .type = V_COUNT,
	  .off = offsetof(struct config, pool), .max = CONFIG_POOL_MAX },
	{ .name = "cache-max", .type = V_SIZE,
	  .off = offsetof(struct config, cache_max), .min = MIB,
	  .max = UINT64_MAX },
	{ .name = "spawn-from", .type = V_PREFIXES,
	  .off = offsetof(struct config, spawn_from),
	  .max = CONFIG_SPAWN_FROM_MAX },
	{ .name = "grace", .type = V_DURATION,
	  .off = offsetof(struct config, grace_ms), .max = 10 * MINUTE },
	{ .name = "crash-url", .type = V_POST_URL,
	  .off = offsetof(struct config, crash_url) },
	{ .name = "crash-reports", .type = V_COUNT,
	  .off = offsetof(struct config, crash_reports), .min = 1,
	  .max = 1000 },
	{ .name = "crash-window", .type = V_DURATION,
	  .off = offsetof(struct config, crash_window_ms), .min = SEC,
	  .max = HOUR },
	{ .name = "resolver", .type = V_CHOICE, .choices = resolver_names,
	  .off = offsetof(struct config, resolver) },
	{ .name = "etcd", .type = V_POST_URL,
	  .off = offsetof(struct config, etcd_url) },
	{ .name = "listen", .type = V_ADDR,
	  .off = offsetof(struct config, listen) },
	{ .name = "host-key", .type = V_PATH,
	  .off = offsetof(struct config, host_key) },
	{ .name = "hosts", .type = V_PATH,
	  .off = offsetof(struct config, hosts) },
	{ .name = "names", .type = V_PATH,
	  .off = offsetof(struct config, names) },
	{ .name = "link-idle-timeout", .type = V_DURATION,
	  .off = offsetof(struct config, link_idle_ms), .min = SEC,
	  .max = 10 * MINUTE },
	{ .name = "link-handshake-timeout", .type = V_DURATION,
	  .off = offsetof(struct config, link_handshake_ms), .min = SEC,
	  .max = MINUTE },
	{ .name = "host-links", .type = V_COUNT,
	  .off = offsetof(struct config, host_links), .min = 1,
	  .max = 1000000 },
	{ .name = "host-links-per-program", .type = V_COUNT,
	  .off = offsetof(struct config, host_prog_links), .min = 1,
	  .max = 1000000 },
	{ .name = "host-link-rate", .type = V_COUNT,
	  .off = offsetof(struct config, host_link_rate), .min = 1,
	  .max = 1000000 },
	{ .name = "host-link-burst", .type = V_COUNT,
	  .off = offsetof(struct config, host_link_burst), .min = 1,
	  .max = 1000000 },
	{ .name = "broadcast", .type = V_NAMES,
	  .off = offsetof(struct config, broadcast),
	  .max = CONFIG_BROADCAST_MAX },
	{ .name = "broadcast-to", .type = V_ADDR,
	  .off = offsetof(struct config, broadcast_to) },
	{ .name = "broadcast-secret", .type = V_PATH,
	  .off = offsetof(struct config, broadcast_secret) },
	{ .name = "http-body-max", .type = V_SIZE,
	  .off = offsetof(struct config, http_body_max),
	  .max = UINT64_MAX },
	{ .name = "http-time-limit", .type = V_DURATION,
	  .off = offsetof(struct config, http_time_limit_ms), .min = 100,
	  .max = HOUR },
};

static const struct key account_keys[] = {
	{ .name = "programs", .type = V_COUNT,
	  .off = offsetof(struct config_quota, programs), .min = 1,
	  .max = 100000 },
	{ .name = "memory", .type = V_SIZE,
	  .off = offsetof(struct config_quota, memory), .min = MIB,
	  .max = UINT64_MAX, .zero_ok = true },
	{ .name = "links", .type = V_COUNT,
	  .off = offsetof(struct config_quota, links), .max = 1000000 },
	{ .name = "services", .type = V_COUNT,
	  .off = offsetof(struct config_quota, services), .max = 100000 },
	{ .name = "http-allow", .type = V_HTTP_PREFIXES,
	  .off = offsetof(struct config_quota, http_allow),
	  .max = CONFIG_HTTP_ALLOW_MAX },
	{ .name = "http-requests", .type = V_COUNT,
	  .off = offsetof(struct config_quota, http_requests), .max = 1000 },
};

enum { SK_URL, SK_ARGS, SK_ACCOUNT, SK_MEMORY, SK_CPU, SK_TIME_LIMIT,
       SK_PUBLISH, SK_RESTART, SK_DELAY, SK_DELAY_MAX, SK_EXPORT };
static const struct key service_keys[] = {
	[SK_URL] = { .name = "url", .type = V_URL, .required = true,
		     .off = offsetof(struct config_service, url) },
	[SK_ARGS] = { .name = "args", .type = V_ARGS,
		      .off = offsetof(struct config_service, args),
		      .max = CONFIG_ARGC_MAX },
	[SK_ACCOUNT] = { .name = "account", .type = V_ACCOUNT,
			 .required = true,
			 .off = offsetof(struct config_service, account) },
	[SK_MEMORY] = { .name = "memory", .type = V_SIZE,
			.off = offsetof(struct config_service, memory),
			.min = MIB, .max = UINT64_MAX, .zero_ok = true },
	[SK_CPU] = { .name = "cpu", .type = V_CPU,
		     .off = offsetof(struct config_service, cpu_seconds),
		     .max = 1000000 * SEC },
	[SK_TIME_LIMIT] = { .name = "time-limit", .type = V_DURATION,
			    .off = offsetof(struct config_service,
					    time_limit_ms),
			    .max = 1000000 * SEC },
	[SK_PUBLISH] = { .name = "publish", .type = V_NAMES,
			 .off = offsetof(struct config_service, publish),
			 .max = CONFIG_PUBLISH_MAX },
	[SK_RESTART] = { .name = "restart", .type = V_CHOICE,
			 .choices = restart_names,
			 .off = offsetof(struct config_service, restart) },
	/* A floor, so that a service that crash-loops costs no CPU to
	 * speak of even at its first back-offs. */
	[SK_DELAY] = { .name = "restart-delay", .type = V_DURATION,
		       .off = offsetof(struct config_service,
				       restart_delay_ms),
		       .min = 100, .max = HOUR },
	[SK_DELAY_MAX] = { .name = "restart-delay-max", .type = V_DURATION,
			   .off = offsetof(struct config_service,
					   restart_delay_max_ms),
			   .min = 100, .max = 24 * HOUR },
	[SK_EXPORT] = { .name = "export", .type = V_BOOL,
			.off = offsetof(struct config_service, export) },
};

_Static_assert(ARRAY_SIZE(service_keys) <= KEYS_MAX, "too many keys");
_Static_assert(ARRAY_SIZE(main_keys) <= KEYS_MAX, "too many keys");
_Static_assert(ARRAY_SIZE(account_keys) <= KEYS_MAX, "too many keys");
/* V_CHOICE stores an int. */
_Static_assert(sizeof(enum config_restart) == sizeof(int) &&
	       sizeof(enum config_resolver) == sizeof(int), "enum size");

const char *config_restart_name(enum config_restart r)
{
	return (unsigned)r < ARRAY_SIZE(restart_names) - 1 ? restart_names[r] :
							     "?";
}

const char *config_resolver_name(enum config_resolver r)
{
	return (unsigned)r < ARRAY_SIZE(resolver_names) - 1 ?
		       resolver_names[r] :
		       "?";
}

/* ---- the parser's state -------------------------------------------------- */

struct parser {
	const char *path;
	unsigned line;
	enum config_kind kind;
	config_resolve_fn *resolve;
	struct config *c;
	struct error *e;
	/* The section being read: its keys, the struct they fill, the line
	 * each was set on (0: not yet), and its account if it has one. */
	const struct key *keys;
	size_t nkeys;
	char *target;
	unsigned set_line[KEYS_MAX];
	struct config_account *account;
	unsigned defaults_line; /* of [account], 0 if none yet */
	char *buf; /* the line, CONFIG_LINE_MAX + 1 bytes */
	char *word; /* a word of it, as long */
};

/* "PATH:LINE: message". */
static int perr(struct parser *ps, const char *fmt, ...) PRINTF(2, 3);
static int perr(struct parser *ps, const char *fmt, ...)
{
	char msg[sizeof(ps->e->msg)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return error_set(ps->e, EINVAL, "%s:%u: %s", ps->path, ps->line, msg);
}

/* What the file said, for a message: printable and short. */
struct shown {
	char s[64];
};
static struct shown show(const char *s)
{
	struct shown q = { "" };
	url_sanitize(s, strlen(s), q.s, sizeof(q.s));
	return q;
}

static void enter(struct parser *ps, const struct key *keys, size_t n,
		  void *target, struct config_account *a)
{
	ps->keys = keys;
	ps->nkeys = n;
	ps->target = target;
	ps->account = a;
	memset(ps->set_line, 0, sizeof(ps->set_line));
}

/* Ends the section being read: an account remembers which keys it set. */
static void close_section(struct parser *ps)
{
	if (!ps->account)
		return;
	for (size_t i = 0; i < ps->nkeys; i++)
		if (ps->set_line[i])
			ps->account->set |= 1U << i;
	ps->account = NULL;
}

/* ---- values ------------------------------------------------------------- */

/* Decimal digits only: no sign, no spaces, no base prefix. -ERANGE past
 * 19 digits (which always fit 64 bits). */
static int parse_u64(const char *s, uint64_t *out)
{
	size_t n = strspn(s, "0123456789");
	if (n == 0 || s[n] != '\0')
		return -EINVAL;
	if (n > 19)
		return -ERANGE;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (uint64_t)(s[i] - '0');
	*out = v;
	return 0;
}

/* "500ms", "2s", "1.5s", "5min", "1h", or a bare "0". A unit is required
 * otherwise: "grace = 10" could mean seconds or milliseconds. */
static int parse_duration(const char *s, uint64_t *ms)
{
	static const struct {
		const char *unit;
		uint64_t mult;
	} units[] = { { "s", 1 }, { "min", 60 }, { "h", 3600 } };
	size_t n = strspn(s, "0123456789.");
	const char *unit = s + n;
	char num[24];
	uint64_t v;

	if (n == 0 || n >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, n);
	num[n] = '\0';
	if (strcmp(unit, "ms") == 0) {
		int r = parse_u64(num, &v);
		if (r < 0)
			return r;
		*ms = v;
		return 0;
	}
	if (*unit == '\0' && strspn(num, "0") == n) {
		*ms = 0;
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		if (strcmp(unit, units[i].unit) != 0)
			continue;
		/* At most 1e9 seconds, in ms: times 3600 still fits. */
		if (parse_seconds_ms(num, &v) < 0)
			return -EINVAL;
		*ms = v * units[i].mult;
		return 0;
	}
	return -EINVAL;
}

/* A bound as it would be written: "1M", "10min", "4096". */
static void format_value(enum vtype t, uint64_t v, char *out, size_t cap)
{
	static const char size_units[] = "KMGT";
	static const struct {
		uint64_t ms;
		const char *unit;
	} time_units[] = { { HOUR, "h" }, { MINUTE, "min" }, { SEC, "s" } };
	unsigned long long x = (unsigned long long)v;

	if (t == V_SIZE) {
		for (int i = 3; i >= 0; i--) {
			unsigned shift = 10U * (unsigned)(i + 1);
			if (v && v % (1ULL << shift) == 0) {
				snprintf(out, cap, "%llu%c", x >> shift,
					 size_units[i]);
				return;
			}
		}
	}
	if (t == V_DURATION || t == V_CPU) {
		for (size_t i = 0; i < ARRAY_SIZE(time_units); i++) {
			if (v && v % time_units[i].ms == 0) {
				snprintf(out, cap, "%llu%s", x / time_units[i].ms,
					 time_units[i].unit);
				return;
			}
		}
		snprintf(out, cap, "%llums", x);
		return;
	}
	snprintf(out, cap, "%llu", x);
}

static int check_range(struct parser *ps, const struct key *k, const char *v,
		       uint64_t x)
{
	char bound[32];
	if (x == 0 && k->zero_ok)
		return 0;
	if (x < k->min) {
		format_value(k->type, k->min, bound, sizeof(bound));
		return perr(ps, "%s: %s is less than %s%s", k->name, show(v).s,
			    bound, k->zero_ok ? " (0 for none)" : "");
	}
	if (x > k->max) {
		format_value(k->type, k->max, bound, sizeof(bound));
		return perr(ps, "%s: %s is more than %s", k->name, show(v).s,
			    bound);
	}
	return 0;
}

static int too_large(struct parser *ps, const struct key *k, const char *v)
{
	return perr(ps, "%s: %s is too large", k->name, show(v).s);
}

static int system_resolve(const char *name, uid_t *uid)
{
	struct passwd pw, *found = NULL;
	char buf[4096];
	int r = getpwnam_r(name, &pw, buf, sizeof(buf), &found);
	if (r != 0)
		return -r;
	if (!found)
		return -ENOENT;
	*uid = pw.pw_uid;
	return 0;
}

/* A user name (looked up now, so a typo fails here and not when a program
 * starts) or a numeric uid, which needs no entry in the user database. */
static int parse_account(struct parser *ps, const char *what, const char *v,
			 uid_t *uid)
{
	static const char name_chars[] = "abcdefghijklmnopqrstuvwxyz"
					 "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
					 "0123456789._-";
	size_t len = strlen(v);
	uint64_t n;

	if (v[0] >= '0' && v[0] <= '9') {
		/* (uid_t)-1 means "no change" to setresuid: never a uid. */
		if (parse_u64(v, &n) < 0 || n >= (uid_t)-1)
			return perr(ps, "%s: '%s' is not a uid (0 to %u)",
				    what, show(v).s, (uid_t)-1 - 1);
		*uid = (uid_t)n;
		return 0;
	}
	if (len > 32 || strspn(v, name_chars) != len || v[0] == '-')
		return perr(ps, "%s: '%s' is not a user name or a uid", what,
			    show(v).s);
	int r = (ps->resolve ? ps->resolve : system_resolve)(v, uid);
	if (r == -ENOENT)
		return perr(ps, "%s: no user '%s' (a user name or a uid)",
			    what, show(v).s);
	if (r < 0)
		return perr(ps, "%s: looking up user '%s': %s", what,
			    show(v).s, strerror(-r));
	return 0;
}

/* Splits a list into words: blanks separate them; double quotes make
 * blanks part of a word; a backslash escapes \ and " and writes \n and \t
 * as a newline and a tab. Nothing else is special: no variables, no
 * globs. CONFIG_ARGS_MAX counts a NUL after each word, as a spawn's
 * arguments do. */
static int split_words(struct parser *ps, const struct key *k, const char *v,
		       struct config_list *l)
{
	size_t bytes = 0;
	const char *p = v;

	config_list_free(l);
	for (;;) {
		p += strspn(p, " \t");
		if (*p == '\0')
			return 0;
		size_t o = 0;
		bool quoted = false;
		for (; *p && (quoted || (*p != ' ' && *p != '\t')); p++) {
			char ch = *p;
			if (ch == '"') {
				quoted = !quoted;
				continue;
			}
			if (ch == '\\') {
				p++;
				if (*p == 'n')
					ch = '\n';
				else if (*p == 't')
					ch = '\t';
				else if (*p == '\\' || *p == '"')
					ch = *p;
				else if (*p == '\0')
					return perr(ps, "%s: a backslash ends "
						    "the line", k->name);
				else
					return perr(ps,
						    "%s: unknown escape '\\%s' "
						    "(use \\\\, \\\", \\n or \\t)",
						    k->name,
						    show((char[]){ *p, 0 }).s);
			}
			ps->word[o++] = ch;
		}
		if (quoted)
			return perr(ps, "%s: a double quote is not closed",
				    k->name);
		ps->word[o] = '\0';
		if (l->n >= k->max)
			return perr(ps, "%s: more than %llu %s", k->name,
				    (unsigned long long)k->max,
				    k->type == V_ARGS ? "arguments" : "words");
		bytes += o + 1;
		if (k->type == V_ARGS && bytes > CONFIG_ARGS_MAX)
			return perr(ps, "%s: more than %d bytes (with a NUL "
				    "after each argument)", k->name,
				    CONFIG_ARGS_MAX);
		config_list_push(l, xstrdup(ps->word));
	}
}

static int set_list(struct parser *ps, const struct key *k, const char *v,
		    struct config_list *l)
{
	int r = split_words(ps, k, v, l);
	if (r < 0)
		return r;
	for (unsigned i = 0; i < l->n; i++) {
		const char *w = l->v[i];
		for (unsigned j = 0; j < i; j++)
			if (strcmp(l->v[j], w) == 0 && k->type != V_ARGS)
				return perr(ps, "%s: '%s' is listed twice",
					    k->name, show(w).s);
		if (k->type == V_NAMES && !proto_name_ok(w))
			return perr(ps, "%s: '%s' is not a valid name (%s)",
				    k->name, show(w).s, NAME_RULE);
		if (k->type == V_HTTP_PREFIXES &&
		    strncasecmp(w, "http://", 7) != 0 &&
		    strncasecmp(w, "https://", 8) != 0)
			return perr(ps, "%s: '%s' is not an http(s) URL",
				    k->name, show(w).s);
		if (k->type == V_PREFIXES || k->type == V_HTTP_PREFIXES) {
			struct url u;
			struct error ue;
			if (url_parse(w, &u, &ue) < 0)
				return perr(ps, "%s: '%s': %s", k->name,
					    show(w).s, ue.msg);
			bool pinned = u.pinned;
			url_free(&u);
			if (pinned)
				return perr(ps, "%s: '%s' has a #sha256= pin, "
					    "but a prefix stands for many "
					    "programs", k->name, show(w).s);
		}
	}
	return 0;
}

static int set_value(struct parser *ps, const struct key *k, const char *v)
{
	char *f = ps->target + k->off;
	uint64_t x = 0;
	int r;

	switch (k->type) {
	case V_COUNT:
		r = parse_u64(v, &x);
		if (r == -EINVAL)
			return perr(ps, "%s: '%s' is not a whole number",
				    k->name, show(v).s);
		if (r == -ERANGE)
			return too_large(ps, k, v);
		r = check_range(ps, k, v, x);
		if (r == 0)
			*(unsigned *)(void *)f = (unsigned)x;
		return r;
	case V_SIZE:
		r = parse_size(v, &x);
		if (r == -EINVAL)
			return perr(ps, "%s: '%s' is not a size (examples: "
				    "4096, 64K, 256M, 1G)", k->name,
				    show(v).s);
		if (r == -ERANGE)
			return too_large(ps, k, v);
		r = check_range(ps, k, v, x);
		if (r == 0)
			*(uint64_t *)(void *)f = x;
		return r;
	case V_DURATION:
	case V_CPU:
		r = parse_duration(v, &x);
		if (r == -EINVAL)
			return perr(ps, "%s: '%s' is not a duration (examples: "
				    "500ms, 10s, 1.5s, 5min, 1h)", k->name,
				    show(v).s);
		if (r == -ERANGE)
			return too_large(ps, k, v);
		r = check_range(ps, k, v, x);
		if (r == 0)
			*(uint64_t *)(void *)f =
				k->type == V_CPU ? (x + SEC - 1) / SEC : x;
		return r;
	case V_URL:
	case V_POST_URL: {
		struct url u;
		struct error ue;
		/* Reports are sent there, not fetched from: a file is no
		 * collector, and a pin has nothing to pin. */
		if (k->type == V_POST_URL && strncasecmp(v, "http://", 7) != 0 &&
		    strncasecmp(v, "https://", 8) != 0)
			return perr(ps, "%s: '%s' is not an http(s) URL",
				    k->name, show(v).s);
		if (url_parse(v, &u, &ue) < 0)
			return perr(ps, "%s: '%s': %s", k->name, show(v).s,
				    ue.msg);
		bool pinned = u.pinned;
		url_free(&u);
		if (k->type == V_POST_URL && pinned)
			return perr(ps, "%s: '%s' has a #sha256= pin, but "
				    "fakeosd sends there", k->name,
				    show(v).s);
		char **s = (char **)(void *)f;
		free(*s);
		*s = xstrdup(v);
		return 0;
	}
	case V_ACCOUNT:
		return parse_account(ps, k->name, v, (uid_t *)(void *)f);
	case V_CHOICE: {
		/* "is not no, on-failure or always" */
		char words[128] = "";
		size_t o = 0;
		for (size_t i = 0; k->choices[i]; i++) {
			if (strcmp(v, k->choices[i]) == 0) {
				*(int *)(void *)f = (int)i;
				return 0;
			}
			o += (size_t)snprintf(words + o, sizeof(words) - o,
					      "%s%s", i == 0 ? "" :
						      k->choices[i + 1] ? ", " :
									  " or ",
					      k->choices[i]);
			if (o >= sizeof(words))
				break;
		}
		return perr(ps, "%s: '%s' is not %s", k->name, show(v).s,
			    words);
	}
	case V_NAMES:
	case V_PREFIXES:
	case V_HTTP_PREFIXES:
	case V_ARGS:
		return set_list(ps, k, v, (struct config_list *)(void *)f);
	case V_PATH:
	case V_ADDR: {
		struct sockaddr_storage sa;
		socklen_t salen;
		if (k->type == V_PATH && (v[0] != '/' || strlen(v) >= PATH_MAX))
			return perr(ps, "%s: '%s' is not an absolute path",
				    k->name, show(v).s);
		if (k->type == V_ADDR && hosts_parse_addr(v, &sa, &salen) < 0)
			return perr(ps, "%s: '%s' is not ADDRESS:PORT "
				    "(examples: 10.0.0.1:4433, [fe80::1]:4433)",
				    k->name, show(v).s);
		char **s = (char **)(void *)f;
		free(*s);
		*s = xstrdup(v);
		return 0;
	}
	case V_BOOL:
		if (strcmp(v, "yes") != 0 && strcmp(v, "no") != 0)
			return perr(ps, "%s: '%s' is not yes or no", k->name,
				    show(v).s);
		*(bool *)(void *)f = strcmp(v, "yes") == 0;
		return 0;
	}
	return perr(ps, "%s: internal error: type %d", k->name, k->type);
}

/* ---- lines -------------------------------------------------------------- */

static int unknown_key(struct parser *ps, const char *key)
{
	char keys[448] = ""; /* within struct error's 512, with the path */
	size_t o = 0;
	for (size_t i = 0; i < ps->nkeys && o < sizeof(keys); i++)
		o += (size_t)snprintf(keys + o, sizeof(keys) - o, "%s%s",
				      i ? ", " : "", ps->keys[i].name);
	return perr(ps, "unknown key '%s' (keys here: %s)", show(key).s, keys);
}

/* "[account]" or "[account NAME]", in fakeosd.conf only. */
static int parse_header(struct parser *ps, char *s)
{
	struct config *c = ps->c;
	size_t n = strlen(s);

	if (ps->kind != CONFIG_KIND_MAIN)
		return perr(ps, "a service file has no sections");
	if (s[n - 1] != ']')
		return perr(ps, "a section header ends with ']'");
	s[n - 1] = '\0';
	s++;
	s += strspn(s, " \t");
	for (n = strlen(s); n && (s[n - 1] == ' ' || s[n - 1] == '\t'); n--)
		s[n - 1] = '\0';
	size_t w = strcspn(s, " \t");
	char *name = s + w;
	name += strspn(name, " \t");
	if (w != strlen("account") || strncmp(s, "account", w) != 0)
		return perr(ps, "unknown section [%s] (sections: [account], "
			    "[account NAME])", show(s).s);
	close_section(ps);
	if (*name == '\0') {
		if (ps->defaults_line)
			return perr(ps, "[account] appears twice (first on "
				    "line %u)", ps->defaults_line);
		ps->defaults_line = ps->line;
		enter(ps, account_keys, ARRAY_SIZE(account_keys),
		      &c->account_defaults, NULL);
		return 0;
	}
	uid_t uid = 0;
	int r = parse_account(ps, "account", name, &uid);
	if (r < 0)
		return r;
	for (unsigned i = 0; i < c->naccounts; i++)
		if (c->accounts[i].uid == uid)
			return perr(ps, "[account %s]: uid %u already has a "
				    "section (line %u)", show(name).s,
				    (unsigned)uid, c->accounts[i].line);
	if (c->naccounts >= CONFIG_ACCOUNTS_MAX)
		return perr(ps, "more than %d [account NAME] sections",
			    CONFIG_ACCOUNTS_MAX);
	c->accounts = array_push(c->accounts, c->naccounts,
				 sizeof(*c->accounts));
	struct config_account *a = &c->accounts[c->naccounts++];
	*a = (struct config_account){ .uid = uid, .line = ps->line };
	enter(ps, account_keys, ARRAY_SIZE(account_keys), &a->quota, a);
	return 0;
}

static int parse_line(struct parser *ps, char *s)
{
	s += strspn(s, " \t");
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	if (n == 0 || s[0] == '#')
		return 0;
	if (s[0] == '[')
		return parse_header(ps, s);

	size_t klen = strcspn(s, " \t=");
	char *eq = s + klen;
	eq += strspn(eq, " \t");
	if (klen == 0 || *eq != '=')
		return perr(ps, "expected 'key = value'%s",
			    ps->kind == CONFIG_KIND_MAIN ?
				    ", [account] or [account NAME]" :
				    "");
	s[klen] = '\0';
	char *value = eq + 1;
	value += strspn(value, " \t");

	const struct key *k = NULL;
	for (size_t i = 0; i < ps->nkeys && !k; i++)
		if (strcmp(ps->keys[i].name, s) == 0)
			k = &ps->keys[i];
	if (!k)
		return unknown_key(ps, s);
	size_t i = (size_t)(k - ps->keys);
	if (ps->set_line[i])
		return perr(ps, "'%s' is set twice (first on line %u)", k->name,
			    ps->set_line[i]);
	if (*value == '\0')
		return perr(ps, "'%s' has no value", k->name);
	ps->set_line[i] = ps->line;
	return set_value(ps, k, value);
}

/* Splits text into lines ("\n", or "\r\n") and parses each. Bytes that
 * could hide what a line says are refused: NUL, and control characters
 * other than tab. */
static int parse_lines(struct parser *ps, const char *text, size_t len)
{
	size_t i = 0;

	if (len > CONFIG_FILE_MAX)
		return error_set(ps->e, EFBIG, "%s: larger than %d bytes",
				 ps->path, CONFIG_FILE_MAX);
	while (i < len) {
		const char *l = text + i;
		const char *nl = memchr(l, '\n', len - i);
		size_t n = nl ? (size_t)(nl - l) : len - i;
		i += n + (nl != NULL);
		ps->line++;
		if (n && l[n - 1] == '\r')
			n--;
		if (n > CONFIG_LINE_MAX)
			return perr(ps, "line longer than %d bytes",
				    CONFIG_LINE_MAX);
		for (size_t j = 0; j < n; j++) {
			unsigned char ch = (unsigned char)l[j];
			if (ch == '\0')
				return perr(ps, "a NUL byte");
			if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
				return perr(ps, "control character 0x%02x",
					    ch);
		}
		memcpy(ps->buf, l, n);
		ps->buf[n] = '\0';
		int r = parse_line(ps, ps->buf);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- files' meaning ------------------------------------------------------ */

/* An account section's quota is [account]'s with its own keys over it,
 * wherever in the file [account] stands. */
static void finish_main(struct parser *ps)
{
	struct config *c = ps->c;
	close_section(ps);
	for (unsigned i = 0; i < c->naccounts; i++) {
		struct config_account *a = &c->accounts[i];
		struct config_quota q = c->account_defaults;
		/* A list is the account's own, or a copy of [account]'s:
		 * each quota owns its list. */
		bool own = false;
		q.http_allow = (struct config_list){ 0 };
		for (size_t k = 0; k < ARRAY_SIZE(account_keys); k++)
			if (account_keys[k].type == V_HTTP_PREFIXES)
				own = a->set & (1U << k);
		const struct config_list *from =
			own ? &a->quota.http_allow : &c->account_defaults.http_allow;
		for (unsigned j = 0; j < from->n; j++)
			config_list_push(&q.http_allow, xstrdup(from->v[j]));
		config_list_free(&a->quota.http_allow);
		for (size_t k = 0; k < ARRAY_SIZE(account_keys); k++) {
			if (!(a->set & (1U << k)) ||
			    account_keys[k].type == V_HTTP_PREFIXES)
				continue;
			size_t off = account_keys[k].off;
			size_t size = account_keys[k].type == V_COUNT ?
					      sizeof(unsigned) :
					      sizeof(uint64_t);
			memcpy((char *)&q + off, (char *)&a->quota + off, size);
		}
		a->quota = q;
	}
}

static int service_name(const char *path, char *name, struct error *e)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t n = strlen(base);
	if (n < 5 || strcmp(base + n - 5, ".conf") != 0)
		return error_set(e, EINVAL, "%s: a service file's name ends "
				 "in .conf", path);
	cleanup_free char *stem = xasprintf("%.*s", (int)(n - 5), base);
	if (!proto_name_ok(stem))
		return error_set(e, EINVAL, "%s: '%s' is not a valid service "
				 "name (%s)", path, show(stem).s, NAME_RULE);
	memcpy(name, stem, n - 5 + 1);
	return 0;
}

static int finish_service(struct parser *ps, struct config_service *s)
{
	struct config *c = ps->c;
	const unsigned *set = ps->set_line;
	char a[32], b[32];

	for (size_t i = 0; i < ARRAY_SIZE(service_keys); i++)
		if (service_keys[i].required && !set[i])
			return error_set(ps->e, EINVAL, "%s: '%s' is missing: "
					 "a service needs one", ps->path,
					 service_keys[i].name);
	if (s->restart_delay_max_ms < s->restart_delay_ms) {
		ps->line = set[SK_DELAY_MAX] ? set[SK_DELAY_MAX] : set[SK_DELAY];
		format_value(V_DURATION, s->restart_delay_max_ms, a, sizeof(a));
		format_value(V_DURATION, s->restart_delay_ms, b, sizeof(b));
		return perr(ps, "restart-delay-max (%s) is less than "
			    "restart-delay (%s)", a, b);
	}
	if (!set[SK_MEMORY])
		s->memory = config_account_quota(c, s->account)->memory;
	for (unsigned i = 0; i < c->nservices; i++) {
		const struct config_service *o = &c->services[i];
		if (strcmp(o->name, s->name) == 0)
			return error_set(ps->e, EEXIST, "%s: service '%s' is "
					 "already defined by %s", ps->path,
					 s->name, o->path);
		for (unsigned j = 0; j < s->publish.n; j++) {
			if (!list_has(&o->publish, s->publish.v[j]))
				continue;
			ps->line = set[SK_PUBLISH];
			return perr(ps, "publish: '%s' is already published "
				    "by %s", s->publish.v[j], o->path);
		}
	}
	if (c->nservices >= CONFIG_SERVICES_MAX)
		return error_set(ps->e, E2BIG, "%s: more than %d services",
				 ps->path, CONFIG_SERVICES_MAX);
	s->path = xstrdup(ps->path);
	c->services = array_push(c->services, c->nservices,
				 sizeof(*c->services));
	c->services[c->nservices++] = *s;
	return 0;
}

static void service_free(struct config_service *s)
{
	free(s->path);
	free(s->url);
	config_list_free(&s->args);
	config_list_free(&s->publish);
}

int config_parse_text(const char *path, const char *text, size_t len,
		      enum config_kind kind, config_resolve_fn *resolve,
		      struct config *c, struct error *e)
{
	struct parser ps = { .path = path, .kind = kind, .resolve = resolve,
			     .c = c, .e = e };
	struct config_service s = {
		.restart = CONFIG_RESTART_ON_FAILURE,
		.restart_delay_ms = CONFIG_DEFAULT_RESTART_DELAY_MS,
		.restart_delay_max_ms = CONFIG_DEFAULT_RESTART_DELAY_MAX_MS,
	};
	int r;

	if (kind == CONFIG_KIND_SERVICE) {
		r = service_name(path, s.name, e);
		if (r < 0)
			return r;
		enter(&ps, service_keys, ARRAY_SIZE(service_keys), &s, NULL);
	} else {
		enter(&ps, main_keys, ARRAY_SIZE(main_keys), c, NULL);
	}
	ps.buf = xmalloc(CONFIG_LINE_MAX + 1);
	ps.word = xmalloc(CONFIG_LINE_MAX + 1);
	r = parse_lines(&ps, text, len);
	if (r == 0 && kind == CONFIG_KIND_SERVICE)
		r = finish_service(&ps, &s);
	else if (r == 0)
		finish_main(&ps);
	if (r < 0 && kind == CONFIG_KIND_SERVICE)
		service_free(&s);
	free(ps.buf);
	free(ps.word);
	return r;
}

/* ---- the whole -------------------------------------------------------- */

void config_init(struct config *c)
{
	*c = (struct config){
		.pool = CONFIG_DEFAULT_POOL,
		.cache_max = CONFIG_DEFAULT_CACHE_MAX,
		.grace_ms = CONFIG_DEFAULT_GRACE_MS,
		.crash_reports = CONFIG_DEFAULT_CRASH_REPORTS,
		.crash_window_ms = CONFIG_DEFAULT_CRASH_WINDOW_MS,
		.account_defaults = {
			.programs = CONFIG_DEFAULT_PROGRAMS,
			.links = CONFIG_DEFAULT_LINKS,
			.services = CONFIG_DEFAULT_SERVICES,
			.memory = CONFIG_DEFAULT_MEMORY,
			.http_requests = CONFIG_DEFAULT_HTTP_REQUESTS,
		},
		.http_body_max = CONFIG_DEFAULT_HTTP_BODY_MAX,
		.http_time_limit_ms = CONFIG_DEFAULT_HTTP_TIME_LIMIT_MS,
		.link_idle_ms = CONFIG_DEFAULT_LINK_IDLE_MS,
		.link_handshake_ms = CONFIG_DEFAULT_LINK_HANDSHAKE_MS,
	};
}

void config_free(struct config *c)
{
	config_list_free(&c->spawn_from);
	free(c->crash_url);
	free(c->etcd_url);
	free(c->listen);
	free(c->host_key);
	free(c->hosts);
	free(c->names);
	config_list_free(&c->broadcast);
	free(c->broadcast_to);
	free(c->broadcast_secret);
	for (unsigned i = 0; i < c->naccounts; i++)
		config_list_free(&c->accounts[i].quota.http_allow);
	config_list_free(&c->account_defaults.http_allow);
	free(c->accounts);
	for (unsigned i = 0; i < c->nservices; i++)
		service_free(&c->services[i]);
	free(c->services);
	config_list_free(&c->warnings);
	*c = (struct config){ 0 };
}

const struct config_quota *config_account_quota(const struct config *c,
						uid_t uid)
{
	for (unsigned i = 0; i < c->naccounts; i++)
		if (c->accounts[i].uid == uid)
			return &c->accounts[i].quota;
	return &c->account_defaults;
}
