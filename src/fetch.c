/* fetch.c — see fetch.h. */
#include "fetch.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/wait.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "url.h"

/* ---- header parsing (pure) ------------------------------------------- */

static bool fetch_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Parses max-age's argument: digits, optionally in double quotes. */
static bool fetch_parse_delta(const char *s, size_t len, int64_t *out)
{
	int64_t v = 0;

	if (len >= 2 && s[0] == '"' && s[len - 1] == '"') {
		s++;
		len -= 2;
	}
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		/* Saturate: a huge max-age is just "a long time". */
		if (v < FETCH_MAX_AGE_MAX)
			v = v * 10 + (s[i] - '0');
	}
	*out = v > FETCH_MAX_AGE_MAX ? FETCH_MAX_AGE_MAX : v;
	return true;
}

void fetch_parse_cache_control(const char *v, size_t len,
			       struct fetch_cache_control *cc)
{
	size_t i = 0;

	while (i < len) {
		/* One directive: name[=value], up to a comma outside quotes. */
		size_t start = i;
		bool quoted = false;
		for (; i < len; i++) {
			if (v[i] == '"')
				quoted = !quoted;
			else if (v[i] == '\\' && quoted && i + 1 < len)
				i++;
			else if (v[i] == ',' && !quoted)
				break;
		}
		size_t end = i;
		i++; /* past the comma */
		while (start < end && fetch_is_space(v[start]))
			start++;
		while (end > start && fetch_is_space(v[end - 1]))
			end--;
		if (start == end)
			continue;
		const char *d = v + start;
		size_t dlen = end - start;
		const char *eq = memchr(d, '=', dlen);
		size_t nlen = eq ? (size_t)(eq - d) : dlen;
		while (nlen > 0 && fetch_is_space(d[nlen - 1]))
			nlen--;
		const char *arg = eq ? eq + 1 : NULL;
		size_t alen = eq ? dlen - (size_t)(eq + 1 - d) : 0;
		while (arg && alen > 0 && fetch_is_space(*arg)) {
			arg++;
			alen--;
		}

		if (nlen == 8 && strncasecmp(d, "no-store", 8) == 0) {
			cc->no_store = true;
		} else if (nlen == 8 && strncasecmp(d, "no-cache", 8) == 0) {
			/* no-cache="field" only restricts those fields, but
			 * revalidating every time is the safe reading. */
			cc->no_cache = true;
		} else if (nlen == 7 && strncasecmp(d, "max-age", 7) == 0) {
			int64_t age;
			if (cc->has_max_age ||
			    !arg || !fetch_parse_delta(arg, alen, &age))
				age = 0; /* invalid or repeated: stale */
			cc->has_max_age = true;
			cc->max_age = age;
		}
	}
}

/* Copies a validator value if it is safe to store and send back. */
static void fetch_keep_field(char *dst, const char *v, size_t len)
{
	dst[0] = '\0';
	if (len == 0 || len > FETCH_FIELD_MAX)
		return;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] >= 0x7f)
			return;
	memcpy(dst, v, len);
	dst[len] = '\0';
}

void fetch_header_line(struct fetch_headers *h, const char *line, size_t len)
{
	if (len >= 5 && memcmp(line, "HTTP/", 5) == 0) {
		memset(h, 0, sizeof(*h));
		/* "HTTP/1.1 200 OK" or "HTTP/2 200": the code follows the
		 * first space. */
		const char *sp = memchr(line, ' ', len);
		long status = 0;
		size_t i = sp ? (size_t)(sp - line) + 1 : len;
		size_t digits = 0;
		for (; i < len && line[i] >= '0' && line[i] <= '9'; i++) {
			if (++digits > 3)
				break;
			status = status * 10 + (line[i] - '0');
		}
		h->status = digits == 3 ? status : 0;
		return;
	}
	/* Continuation lines (obsolete folding) start with a space: the
	 * headers used here never need them. */
	if (len == 0 || line[0] == ' ' || line[0] == '\t')
		return;
	const char *colon = memchr(line, ':', len);
	if (!colon)
		return;
	size_t nlen = (size_t)(colon - line);
	const char *v = colon + 1;
	size_t vlen = len - nlen - 1;
	while (vlen > 0 && fetch_is_space(*v)) {
		v++;
		vlen--;
	}
	while (vlen > 0 && fetch_is_space(v[vlen - 1]))
		vlen--;

	if (nlen == 4 && strncasecmp(line, "ETag", 4) == 0)
		fetch_keep_field(h->etag, v, vlen);
	else if (nlen == 13 && strncasecmp(line, "Last-Modified", 13) == 0)
		fetch_keep_field(h->last_modified, v, vlen);
	else if (nlen == 13 && strncasecmp(line, "Cache-Control", 13) == 0)
		fetch_parse_cache_control(v, vlen, &h->cc);
}

void fetch_format_size(uint64_t n, char *out, size_t cap)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };

	if (n < 1024) {
		snprintf(out, cap, "%llu bytes", (unsigned long long)n);
		return;
	}
	int u = 0;
	uint64_t div = 1024;
	while (u + 1 < (int)ARRAY_SIZE(units) && n >= div * 1024) {
		div *= 1024;
		u++;
	}
	if (n % div == 0)
		snprintf(out, cap, "%llu %s", (unsigned long long)(n / div),
			 units[u]);
	else
		snprintf(out, cap, "%.1f %s", (double)n / (double)div,
			 units[u]);
}


/* ---- the fetch helper -------------------------------------------------- */

/* Downloads happen in fakeos-fetch (fetch_main.c), a separate dynamically
 * linked program that loads libcurl. The launcher runs it only when a
 * program must come from the network, and never loads libcurl itself, for
 * two reasons: a launch served from the cache pays nothing for libcurl
 * (and the launcher can be linked statically, which saves milliseconds at
 * every launch), and a server's bytes — HTTP, TLS, compressed headers —
 * are parsed outside the process that sets up jails. */

static unsigned fetch_runs;

unsigned fetch_helper_runs(void)
{
	return fetch_runs;
}

/* Where `make install` puts fakeos-fetch: the Makefile's $(LIBDIR)/fakeos,
 * fixed at build time. Builds outside the Makefile have none. */
#ifdef FAKEOS_HELPER_DIR
static const char helper_dir[] = FAKEOS_HELPER_DIR;
#else
static const char helper_dir[] = "";
#endif

/* fakeos-fetch next to the running program (the build tree:
 * build/fakeos-fetch beside build/fakeos-run, or one up for the unit tests
 * in build/test/), in ../lib/fakeos from it (an installed PREFIX, wherever
 * it was moved), or else in the configured helper_dir (an install whose
 * LIBDIR is not PREFIX/lib). Found from /proc/self/exe and the build, never
 * from the environment or PATH. */
static int fetch_helper_path(char *out, size_t cap, struct error *e)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return error_sys(e, errno, "finding fakeos-fetch: "
					   "readlink /proc/self/exe");
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	if (slash)
		*slash = '\0';
	static const char *const where[] = { "", "/..", "/../lib/fakeos" };
	for (size_t i = 0; i < ARRAY_SIZE(where); i++) {
		snprintf(out, cap, "%s%s/fakeos-fetch", self, where[i]);
		if (access(out, X_OK) == 0)
			return 0;
	}
	/* Absolute only: a relative one would depend on the caller's
	 * working directory. */
	bool configured = helper_dir[0] == '/';
	if (configured) {
		snprintf(out, cap, "%s/fakeos-fetch", helper_dir);
		if (access(out, X_OK) == 0)
			return 0;
	}
	return error_set(e, ENOENT,
			 "fakeos-fetch, which downloads programs, is in none "
			 "of %s, %s/.., %s/../lib/fakeos%s%s: reinstall fakeOS",
			 self, self, self, configured ? ", " : "",
			 configured ? helper_dir : "");
}

/* Runs the helper with argv, fd as its fd 3, and reads its reply. */
static int fetch_run_helper(char **argv, int fd, struct fetch_result *r,
			    struct error *e)
{
	char helper[4200];
	struct fetch_reply rep;
	int p[2];

	memset(r, 0, sizeof(*r));
	r->fail = FETCH_FAIL_LOCAL;
	int ret = fetch_helper_path(helper, sizeof(helper), e);
	if (ret < 0)
		return ret;
	if (pipe2(p, O_CLOEXEC) < 0)
		return error_sys(e, errno, "pipe");
	/* The body goes straight into fd (the program's memfd) as fd 3, or
	 * comes from it (a POST); the reply comes back on fd 4. Every other
	 * descriptor of ours is close-on-exec, and the helper closes
	 * everything above fd 4 before it does anything else (fetch_main.c):
	 * glibc's posix_spawn_file_actions_addclosefrom_np is not in musl,
	 * which the launcher is built with. */
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fd, FETCH_BODY_FD);
	posix_spawn_file_actions_adddup2(&fa, p[1], FETCH_REPLY_FD);
	log_debug("%s %s with %s", argv[1][0] == '-' ? "posting to" : "fetching",
		  argv[1][0] == '-' ? argv[2] : argv[1], helper);
	pid_t pid;
	int err = posix_spawn(&pid, helper, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (err) {
		close(p[0]);
		return error_sys(e, err, "running %s", helper);
	}
	fetch_runs++;
	int got = read_full(p[0], &rep, sizeof(rep));
	close(p[0]);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (got < 0) {
		if (WIFSIGNALED(status))
			return error_set(e, EIO, "the fetch helper was killed "
						 "by signal %d",
					 WTERMSIG(status));
		return error_set(e, EIO, "the fetch helper failed (exit %d)",
				 WEXITSTATUS(status));
	}
	*r = rep.result;
	rep.msg[sizeof(rep.msg) - 1] = '\0';
	if (e)
		snprintf(e->msg, sizeof(e->msg), "%s", rep.msg);
	return rep.ret;
}

int fetch_get(const char *url, const struct fetch_opts *o,
	      const struct fetch_validators *v, int fd, struct fetch_result *r,
	      struct error *e)
{
	char size[32], timeout[32], level[16];
	snprintf(size, sizeof(size), "%llu", (unsigned long long)o->max_size);
	snprintf(timeout, sizeof(timeout), "%llu",
		 (unsigned long long)o->timeout_ms);
	snprintf(level, sizeof(level), "%d", log_level);
	char *argv[] = {
		"fakeos-fetch", (char *)url, size, timeout,
		o->progress ? "1" : "0",
		(char *)(v && v->etag ? v->etag : ""),
		(char *)(v && v->last_modified ? v->last_modified : ""),
		(char *)(o->cacert ? o->cacert : ""), level,
		(char *)(o->within ? o->within : ""), NULL,
	};
	return fetch_run_helper(argv, fd, r, e);
}

int fetch_post(const char *url, const struct fetch_opts *o, int fd,
	       struct fetch_result *r, struct error *e)
{
	char size[32], timeout[32], level[16];
	snprintf(size, sizeof(size), "%llu", (unsigned long long)o->max_size);
	snprintf(timeout, sizeof(timeout), "%llu",
		 (unsigned long long)o->timeout_ms);
	snprintf(level, sizeof(level), "%d", log_level);
	char *argv[] = {
		"fakeos-fetch", "--post", (char *)url, size, timeout,
		(char *)(o->cacert ? o->cacert : ""), level, NULL,
	};
	return fetch_run_helper(argv, fd, r, e);
}
