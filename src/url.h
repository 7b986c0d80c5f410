/* url.h — program URLs: which ones fakeOS accepts and what they mean.
 * Owns the syntax checks (schemes, hosts, characters, length), the
 * "#sha256=HEX" pin, file:// path decoding and the redirect rule. The URL
 * without its fragment is the key the cache stores a program under. */
#ifndef FAKEOS_URL_H
#define FAKEOS_URL_H

#include "hash.h"
#include "util.h"

/* Longest URL accepted, fragment included. Long enough for any real
 * program URL, short enough to bound cache entries and messages. */
#define URL_MAX 4096

enum url_scheme {
	URL_HTTP,
	URL_HTTPS,
	URL_FILE,
};

struct url {
	enum url_scheme scheme;
	char *base; /* the URL without fragment, scheme in lower case: the
		       cache key and what is requested */
	char *path; /* file:// only: the decoded absolute path, else NULL */
	bool pinned; /* a #sha256= fragment was given */
	uint8_t pin[HASH_SIZE]; /* the pinned digest, if pinned */
};

/* Parses and checks a program URL. Accepts http://HOST[:PORT][/...],
 * https://..., file:///ABS/PATH and file://localhost/ABS/PATH, each with an
 * optional "#sha256=" and exactly 64 hex digits. Rejects anything else,
 * control characters, spaces, non-ASCII bytes, credentials (user@host: they
 * would end up in cache entries and messages), and URLs over URL_MAX.
 * Returns 0, or -EINVAL with e saying what is wrong. Free with url_free. */
int url_parse(const char *s, struct url *u, struct error *e);
void url_free(struct url *u);

/* Checks one redirect hop from `from` to `to` (both absolute): the target
 * must be a well-formed http(s) URL, and https never goes to http (a
 * downgrade would let a network attacker supply the program). Returns 0 or
 * -EPERM / -EINVAL with e saying why the redirect was refused. */
int url_check_redirect(const char *from, const char *to, struct error *e);

/* The same, and with within not NULL the target must also be
 * url_within(within, target): a fetch a program asked for (a spawn) is
 * confined to the prefix that allowed its first URL at every hop, or a
 * redirect would take the launcher to 127.0.0.1 or the host's private
 * network (SSRF). -EPERM: "redirect to URL refused: outside PREFIX (where
 * this program may spawn from)". */
int url_check_redirect_within(const char *from, const char *to,
			      const char *within, struct error *e);

/* The prefix a URL's own spawns are confined to: for http(s), its origin
 * ("https://h:8443/", scheme and host in lower case); for file://, its
 * directory ("file:///srv/app/"). In a new string. */
char *url_home(const struct url *u);

/* Is u within prefix (as url_home gives, or as an operator writes for
 * --spawn-from: "https://h/apps/", "file:///srv/")? For http(s): the same
 * scheme, host and port (case-insensitively) and a path starting with the
 * prefix's. For file://: a path below the prefix's directory with no "."
 * or ".." segment. A prefix without a trailing slash is taken as a
 * directory. Pure. */
bool url_within(const char *prefix, const struct url *u);

/* The directory of a file:// prefix as url_within reads it ("/srv/apps/"
 * for "file:///srv/apps/" or "file://localhost/srv/apps/"), pointing into
 * prefix; NULL when prefix is not a file:// URL with an absolute path. */
const char *url_file_prefix_dir(const char *prefix);

/* A short name for the program, for memfd names and messages: the last
 * path segment (or the host), reduced to [A-Za-z0-9._-], at most `cap`-1
 * characters. Never empty: "program" when nothing is left. */
void url_short_name(const struct url *u, char *out, size_t cap);

/* Copies s into out for quoting in a message: printable ASCII kept, every
 * other byte shown as '?', cut at cap-1 bytes with "..." when longer. */
void url_sanitize(const char *s, size_t len, char *out, size_t cap);

#endif
