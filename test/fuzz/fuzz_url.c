/* fuzz_url.c — url_parse and url_check_redirect (src/url.c), and the two
 * helpers that turn URL bytes into names and messages.
 *
 * An input is "URL" or "URL\0LOCATION": the URL is parsed as a program
 * URL, and LOCATION (the URL itself when absent) is checked as a redirect
 * from it. What an accepted URL must satisfy is what the cache and the
 * fetcher rely on: a base with a known scheme, no fragment, nothing but
 * printable ASCII (it goes into cache entries and HTTP requests), that
 * parses again to itself; a file path that is absolute. Every message,
 * accepted or not, must be printable: URLs are quoted to the terminal. */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <strings.h>

#include "fuzz.h"
#include "url.h"

static bool has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

static void accepted_ok(const char *s, const struct url *u)
{
	static const char *const prefix[] = { [URL_HTTP] = "http://",
					      [URL_HTTPS] = "https://",
					      [URL_FILE] = "file://" };
	FUZZ_ASSERT(u->base != NULL, "no base");
	FUZZ_ASSERT(u->scheme <= URL_FILE, "scheme %d", u->scheme);
	FUZZ_ASSERT(has_prefix(u->base, prefix[u->scheme]), "base '%s'",
		    u->base);
	FUZZ_ASSERT(strlen(u->base) <= URL_MAX, "base of %zu bytes",
		    strlen(u->base));
	FUZZ_ASSERT(strchr(u->base, '#') == NULL, "fragment left in base");
	FUZZ_ASSERT(strchr(u->base, ' ') == NULL, "space in base");
	fuzz_printable(u->base, URL_MAX + 1, "base");
	FUZZ_ASSERT(u->pinned == (strchr(s, '#') != NULL), "pinned %d for '%s'",
		    u->pinned, s);
	if (u->scheme == URL_FILE) {
		FUZZ_ASSERT(u->path != NULL && u->path[0] == '/',
			    "file URL without an absolute path");
		FUZZ_ASSERT(strlen(u->path) < PATH_MAX, "path too long");
		for (const char *p = u->path; *p; p++)
			FUZZ_ASSERT((unsigned char)*p >= 0x20 && *p != 0x7f,
				    "control byte in path");
	} else {
		FUZZ_ASSERT(u->path == NULL, "path for a non-file URL");
	}

	/* The base is the cache key: it must parse to itself. */
	struct url again;
	struct error e;
	FUZZ_ASSERT(url_parse(u->base, &again, &e) == 0,
		    "base '%s' does not parse: %s", u->base, e.msg);
	FUZZ_ASSERT(strcmp(again.base, u->base) == 0 &&
			    again.scheme == u->scheme && !again.pinned,
		    "base '%s' parses to '%s'", u->base, again.base);
	if (u->scheme == URL_FILE)
		FUZZ_ASSERT(strcmp(again.path, u->path) == 0, "path changed");
	url_free(&again);

	char name[32];
	url_short_name(u, name, sizeof(name));
	FUZZ_ASSERT(name[0] != '\0', "empty short name");
	FUZZ_ASSERT(strlen(name) < sizeof(name), "short name too long");
	for (const char *p = name; *p; p++)
		FUZZ_ASSERT(strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ"
				   "RSTUVWXYZ0123456789._-",
				   *p) != NULL,
			    "short name byte 0x%02x", (unsigned char)*p);
}

static void redirect_ok(const char *from, const char *to)
{
	struct error e = { "" };
	int r = url_check_redirect(from, to, &e);
	FUZZ_ASSERT(r == 0 || r == -EPERM || r == -EINVAL, "returned %d", r);
	if (r < 0) {
		FUZZ_ASSERT(e.msg[0] != '\0', "refusal without a message");
		fuzz_printable(e.msg, sizeof(e.msg), "redirect message");
		return;
	}
	/* Only to http(s), and never from https down to http. */
	FUZZ_ASSERT(strncasecmp(to, "http:", 5) == 0 ||
			    strncasecmp(to, "https:", 6) == 0,
		    "redirect to '%s' allowed", to);
	FUZZ_ASSERT(!(strncasecmp(from, "https:", 6) == 0 &&
		      strncasecmp(to, "http:", 5) == 0),
		    "downgrade allowed");
	size_t tlen = strcspn(to, "#");
	char *bare = strndup(to, tlen);
	FUZZ_ASSERT(bare != NULL, "strndup");
	struct url u;
	FUZZ_ASSERT(url_parse(bare, &u, &e) == 0,
		    "allowed redirect target does not parse: %s", e.msg);
	FUZZ_ASSERT(u.scheme != URL_FILE, "redirect to file");
	url_free(&u);
	free(bare);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Two C strings: the URL, and after the first NUL the Location. */
	char *buf = malloc(size + 2);
	FUZZ_ASSERT(buf != NULL, "malloc");
	memcpy(buf, data, size);
	buf[size] = '\0';
	buf[size + 1] = '\0';
	const char *s = buf;
	size_t slen = strlen(s);
	const char *to = slen < size ? buf + slen + 1 : s;

	struct url u;
	struct error e = { "" };
	int r = url_parse(s, &u, &e);
	if (r == 0) {
		accepted_ok(s, &u);
		url_free(&u);
	} else {
		FUZZ_ASSERT(r == -EINVAL, "returned %d", r);
		FUZZ_ASSERT(u.base == NULL && u.path == NULL,
			    "failed parse left memory");
		FUZZ_ASSERT(e.msg[0] != '\0', "refusal without a message");
		fuzz_printable(e.msg, sizeof(e.msg), "url message");
	}
	redirect_ok(s, to);

	/* url_sanitize with every small cap, on the raw bytes. */
	char out[16];
	size_t cap = size ? data[0] % (sizeof(out) + 1) : 0;
	memset(out, 'Z', sizeof(out));
	url_sanitize((const char *)data, size, out, cap);
	if (cap > 0) {
		fuzz_printable(out, cap, "sanitized");
		FUZZ_ASSERT(strlen(out) < cap, "sanitized overflows cap");
	}
	for (size_t i = cap; i < sizeof(out); i++)
		FUZZ_ASSERT(out[i] == 'Z', "sanitize wrote past cap %zu", cap);
	free(buf);
	return 0;
}
