/* test_program.c — the fetch-and-verify stages (src/program.c): file://
 * loads, sealing, pins, the freshness rules, stale copies, corruption.
 * HTTP comes from a tiny scripted server forked by the test, which
 * answers each connection with the next canned response and logs the
 * requests, so a test can assert exactly which requests were made. */
#include <arpa/inet.h>
#include <check.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "cache.h"
#include "elf_fixture.h"
#include "fetch.h"
#include "program.h"

static char tmp[64]; /* the mkdtemp directory */
static char cache_dir[128]; /* tmp/cache */
static char prog_path[128]; /* tmp/prog: the fixture program */
static struct img prog; /* its bytes */
static uint8_t prog_hash[HASH_SIZE];

static void setup(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/test_program.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	snprintf(cache_dir, sizeof(cache_dir), "%s/cache", tmp);
	snprintf(prog_path, sizeof(prog_path), "%s/prog", tmp);
	make_exec(&prog, 1);
	hash_buf(prog.b, prog.len, prog_hash);
	int fd = open(prog_path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write_full(fd, prog.b, prog.len), 0);
	close(fd);
}

static void teardown(void)
{
	char cmd[200];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	ck_assert_int_eq(system(cmd), 0);
}

#define ck_assert_contains(hay, needle)                                       \
	ck_assert_msg(strstr((hay), (needle)) != NULL,                         \
		      "'%s' does not contain '%s'", (hay), (needle))

static struct program_opts opts(void)
{
	return (struct program_opts){
		.cache_dir = cache_dir,
		.max_size = 64 << 20,
		.timeout_ms = 5000,
		.cache_max = 1 << 30,
		.default_ttl = 300,
	};
}

struct load {
	int r;
	enum program_fail kind;
	struct error e;
	struct program p;
};

/* Loads url; with within not NULL, as a spawn's worker does: the loader
 * confined to that prefix first. */
static struct load load_within(const struct program_opts *o,
			       const char *within, const char *url)
{
	struct program_loader *l;
	struct load x;
	memset(&x, 0, sizeof(x));
	ck_assert_int_eq(program_loader_open(o, &l, &x.e), 0);
	if (within)
		program_loader_confine(l, within);
	x.r = program_load(l, url, &x.p, &x.kind, &x.e);
	program_loader_close(l);
	return x;
}

static struct load load(const struct program_opts *o, const char *url)
{
	return load_within(o, NULL, url);
}

/* Whether this process has gone to the network: fetches run the
 * fakeos-fetch helper, which loads libcurl; the launcher never does. */
static bool network_used(void)
{
	return fetch_helper_runs() > 0;
}

/* ---- stderr capture, for warnings ------------------------------------ */

static int saved_stderr = -1;
static char stderr_path[160];

static void stderr_capture(void)
{
	snprintf(stderr_path, sizeof(stderr_path), "%s/stderr", tmp);
	int fd = open(stderr_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		      0600);
	ck_assert_int_ge(fd, 0);
	saved_stderr = dup(STDERR_FILENO);
	ck_assert_int_ge(saved_stderr, 0);
	ck_assert_int_eq(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	close(fd);
}

static const char *stderr_text(void)
{
	static char buf[4096];
	ck_assert_int_eq(dup2(saved_stderr, STDERR_FILENO), STDERR_FILENO);
	int fd = open(stderr_path, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	ck_assert_int_ge(n, 0);
	buf[n] = '\0';
	close(fd);
	return buf;
}

/* ---- the scripted HTTP server ---------------------------------------- */

struct reply {
	const char *head; /* status line and headers, without the blank line */
	const void *body;
	size_t len;
};

struct server {
	pid_t pid;
	int port;
	char log[160]; /* every request, appended */
};

static void server_child(int s, const struct reply *replies, size_t n,
			 const char *log)
{
	for (size_t i = 0; i < n; i++) {
		char req[4096];
		size_t got = 0;
		int c = accept(s, NULL, NULL);
		if (c < 0)
			_exit(1);
		while (got < sizeof(req) - 1) {
			ssize_t k = read(c, req + got, sizeof(req) - 1 - got);
			if (k <= 0)
				break;
			got += (size_t)k;
			req[got] = '\0';
			if (strstr(req, "\r\n\r\n"))
				break;
		}
		int lf = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
			      0600);
		if (lf >= 0) {
			(void)write_full(lf, req, got);
			close(lf);
		}
		char head[1024];
		int hl = snprintf(head, sizeof(head),
				  "%s\r\nContent-Length: %zu\r\n"
				  "Connection: close\r\n\r\n",
				  replies[i].head, replies[i].len);
		(void)write_full(c, head, (size_t)hl);
		if (replies[i].len)
			(void)write_full(c, replies[i].body, replies[i].len);
		close(c);
	}
	_exit(0);
}

/* Starts a server answering len(replies) connections, one reply each. */
static void server_start(struct server *sv, const struct reply *replies,
			 size_t n)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(s, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(s, 16), 0);
	ck_assert_int_eq(getsockname(s, (struct sockaddr *)&a, &alen), 0);
	sv->port = ntohs(a.sin_port);
	snprintf(sv->log, sizeof(sv->log), "%s/requests-%d", tmp, sv->port);
	sv->pid = fork();
	ck_assert_int_ge(sv->pid, 0);
	if (sv->pid == 0)
		server_child(s, replies, n, sv->log);
	close(s);
}

static void server_stop(struct server *sv)
{
	kill(sv->pid, SIGKILL);
	waitpid(sv->pid, NULL, 0);
}

/* The requests the server saw, and how many. */
static const char *server_requests(const struct server *sv, unsigned *count)
{
	static char buf[16384];
	buf[0] = '\0';
	*count = 0;
	int fd = open(sv->log, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return buf;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	for (const char *p = buf; (p = strstr(p, "GET ")); p += 4)
		(*count)++;
	return buf;
}

/* A port where nothing listens: connections are refused. */
static int dead_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(getsockname(s, (struct sockaddr *)&a, &alen), 0);
	close(s);
	return ntohs(a.sin_port);
}

/* Puts the fixture in the cache as url's object, fetched `age` seconds
 * ago and fresh for `ttl` seconds from then. */
static void seed(const char *url, int64_t age, int64_t ttl, const char *etag)
{
	struct cache *c;
	struct cache_entry en;
	struct error e;
	ck_assert_int_eq(cache_open(cache_dir, true, &c, &e), 0);
	ck_assert_int_eq(cache_object_store(c, prog.b, prog.len, prog_hash,
					    &e),
			 0);
	memset(&en, 0, sizeof(en));
	snprintf(en.url, sizeof(en.url), "%s", url);
	memcpy(en.object, prog_hash, HASH_SIZE);
	en.size = prog.len;
	en.fetched = now_unix() - age;
	en.expires = en.fetched + ttl;
	if (etag)
		snprintf(en.etag, sizeof(en.etag), "%s", etag);
	ck_assert_int_eq(cache_entry_store(c, &en, &e), 0);
	cache_close(c);
}

static struct cache_entry entry_of(const char *url)
{
	struct cache *c;
	struct cache_entry en;
	struct error e;
	ck_assert_int_eq(cache_open(cache_dir, false, &c, &e), 0);
	ck_assert_int_eq(cache_entry_load(c, url, &en, &e), 0);
	cache_close(c);
	return en;
}

static const char *object_path(void)
{
	static char p[300];
	char hex[HASH_HEX_SIZE];
	hash_hex(prog_hash, hex);
	snprintf(p, sizeof(p), "%s/objects/%.2s/%s", cache_dir, hex, hex);
	return p;
}

/* ---- file:// ---------------------------------------------------------- */

START_TEST(test_program_loads_file_url_into_sealed_memfd)
{
	char url[200];
	snprintf(url, sizeof(url), "file://%s", prog_path);
	struct program_opts o = opts();
	struct load x = load(&o, url);
	ck_assert_msg(x.r == 0, "%s", x.e.msg);
	ck_assert_str_eq(x.p.source, "file");
	ck_assert_str_eq(x.p.url, url);
	ck_assert_uint_eq(x.p.size, prog.len);
	ck_assert_mem_eq(x.p.sha256, prog_hash, HASH_SIZE);
	int seals = fcntl(x.p.fd, F_GET_SEALS);
	int want = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL;
	ck_assert_int_eq(seals & want, want);
	ck_assert_int_eq(fcntl(x.p.fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	/* Sealed: the bytes that were checked cannot change. */
	ck_assert_int_eq(pwrite(x.p.fd, "x", 1, 0), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_int_eq(ftruncate(x.p.fd, 0), -1);
	uint8_t d[HASH_SIZE];
	ck_assert_int_eq(lseek(x.p.fd, 0, SEEK_SET), 0);
	ck_assert_int_eq(hash_fd(x.p.fd, d, NULL), 0);
	ck_assert_mem_eq(d, prog_hash, HASH_SIZE);
	program_free(&x.p);
	ck_assert_int_eq(x.p.fd, -1);
	/* file:// never creates or touches the cache. */
	ck_assert_int_eq(access(cache_dir, F_OK), -1);
	ck_assert(!network_used());
}
END_TEST

START_TEST(test_program_file_url_with_matching_pin_loads)
{
	char url[300], hex[HASH_HEX_SIZE];
	hash_hex(prog_hash, hex);
	snprintf(url, sizeof(url), "file://%s#sha256=%s", prog_path, hex);
	struct program_opts o = opts();
	struct load x = load(&o, url);
	ck_assert_msg(x.r == 0, "%s", x.e.msg);
	/* The program's URL is the one without its fragment. */
	ck_assert_str_eq(x.p.url, strtok(url, "#"));
	program_free(&x.p);
}
END_TEST

START_TEST(test_program_pin_mismatch_is_a_fetch_failure)
{
	char url[300], hex[HASH_HEX_SIZE], want[300];
	hash_hex(prog_hash, hex);
	snprintf(url, sizeof(url), "file://%s#sha256=%064d", prog_path, 0);
	struct program_opts o = opts();
	struct load x = load(&o, url);
	ck_assert_int_eq(x.r, -EBADMSG);
	ck_assert_int_eq(x.kind, PROGRAM_FAIL_FETCH);
	snprintf(want, sizeof(want), "hash mismatch: expected %064d, got %s",
		 0, hex);
	ck_assert_str_eq(x.e.msg, want);
	ck_assert_int_eq(x.p.fd, -1);
}
END_TEST

START_TEST(test_program_dynamic_elf_is_a_run_failure)
{
	struct program_opts o = opts();
	struct load x = load(&o, "file:///bin/true");
	ck_assert_int_eq(x.r, -ENOEXEC);
	ck_assert_int_eq(x.kind, PROGRAM_FAIL_RUN);
	ck_assert_contains(x.e.msg, "dynamically linked");
	ck_assert_int_eq(x.p.fd, -1);
}
END_TEST

START_TEST(test_program_missing_file_directory_and_bad_url_are_fetch_failures)
{
	struct program_opts o = opts();
	struct load x = load(&o, "file:///nonexistent/prog");
	ck_assert_int_eq(x.kind, PROGRAM_FAIL_FETCH);
	ck_assert_str_eq(x.e.msg, "cannot open /nonexistent/prog: No such "
				  "file or directory");
	x = load(&o, "file:///tmp");
	ck_assert_int_eq(x.kind, PROGRAM_FAIL_FETCH);
	ck_assert_str_eq(x.e.msg, "/tmp is a directory");
	x = load(&o, "ftp://h/p");
	ck_assert_int_eq(x.r, -EINVAL);
	ck_assert_int_eq(x.kind, PROGRAM_FAIL_FETCH);
	ck_assert_contains(x.e.msg, "unsupported scheme 'ftp'");
}
END_TEST

START_TEST(test_program_file_over_size_cap_is_refused)
{
	char url[200];
	snprintf(url, sizeof(url), "file://%s", prog_path);
	struct program_opts o = opts();
	o.max_size = 100;
	struct load x = load(&o, url);
	ck_assert_int_eq(x.r, -EFBIG);
	ck_assert_int_eq(x.kind, PROGRAM_FAIL_FETCH);
	ck_assert_str_eq(x.e.msg, "program exceeds the size cap (100 bytes)");
}
END_TEST

/* In a new pid namespace with vm.memfd_noexec=2, loads url and exits 0 if
 * the load failed as it should, 1 if not, 2 if it could not set up. */
static void memfd_noexec_child(const char *url)
{
	if (unshare(CLONE_NEWPID) < 0)
		_exit(2); /* needs privilege: nothing to test */
	pid_t pid = fork();
	if (pid < 0)
		_exit(3);
	if (pid == 0) {
		/* vm.memfd_noexec is per pid namespace. */
		int fd = open("/proc/sys/vm/memfd_noexec", O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, "2", 1) != 1)
			_exit(3);
		close(fd);
		struct program_opts o = opts();
		struct load x = load(&o, url);
		_exit(x.r < 0 && x.kind == PROGRAM_FAIL_RUN &&
				      strstr(x.e.msg, "the sysctl "
						      "vm.memfd_noexec is 2") ?
			      0 :
			      1);
	}
	int st;
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		_exit(3);
	_exit(WEXITSTATUS(st));
}

START_TEST(test_program_memfd_refusal_names_the_sysctl)
{
	char url[200];
	snprintf(url, sizeof(url), "file://%s", prog_path);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		memfd_noexec_child(url);
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	if (WEXITSTATUS(st) == 2 && geteuid() != 0)
		return; /* unprivileged: cannot make the namespace */
	ck_assert_int_eq(WEXITSTATUS(st), 0);
}
END_TEST

/* ---- the cache, no network ------------------------------------------- */

START_TEST(test_program_fresh_hit_makes_no_request_and_runs_no_fetcher)
{
	struct server sv;
	struct reply none = { "HTTP/1.1 500 Unexpected", NULL, 0 };
	char url[100];
	unsigned n;

	server_start(&sv, &none, 1);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/prog", sv.port);
	seed(url, 10, 100, "\"v1\"");
	struct program_opts o = opts();
	struct load x = load(&o, url);
	ck_assert_msg(x.r == 0, "%s", x.e.msg);
	ck_assert_str_eq(x.p.source, "cache");
	ck_assert_mem_eq(x.p.sha256, prog_hash, HASH_SIZE);
	program_free(&x.p);
	server_requests(&sv, &n);
	ck_assert_uint_eq(n, 0);
	ck_assert(!network_used());
	server_stop(&sv);
}
END_TEST

START_TEST(test_program_fresh_hit_records_last_use)
{
	char url[100];
	struct stat st;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/prog", dead_port());
	seed(url, 10, 100, NULL);
	struct timespec old[2] = { { 1000, 0 }, { 1000, 0 } };
	ck_assert_int_eq(utimensat(AT_FDCWD, object_path(), old, 0), 0);
	struct program_opts o = opts();
	struct load x = load(&o, url);
	ck_assert_int_eq(x.r, 0);
	program_free(&x.p);
	ck_assert_int_eq(stat(object_path(), &st), 0);
	ck_assert_int_ge(st.st_mtime, time(NULL) - 5);
}
END_TEST

START_TEST(test_program_pinned_object_in_cache_needs_no_network)
{
	char url[300], hex[HASH_HEX_SIZE];
	hash_hex(prog_hash, hex);
	seed("http://127.0.0.1:1/other", 10, 100, NULL);
	/* Another URL, expired, on a dead port: the pin alone decides. */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/p#sha256=%s",
		 dead_port(), hex);
	struct program_opts o = opts();
	struct load x = load(&o, url);
	ck_assert_msg(x.r == 0, "%s", x.e.msg);
	ck_assert_str_eq(x.p.source, "cache (pinned)");
	program_free(&x.p);
	ck_assert(!network_used());
}
END_TEST

START_TEST(test_program_offline_uses_expired_entry_without_network)
{
	char url[100];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/prog", dead_port());
	seed(url, 1000, 10, NULL);
	struct program_opts o = opts();
	o.offline = true;
	struct load x = load(&o, url);
	ck_assert_msg(x.r == 0, "%s", x.e.msg);
	ck_assert_str_eq(x.p.source, "cache");
	program_free(&x.p);
	ck_assert(!network_used());
}
END_TEST

START_TEST(test_program_offline_miss_is_a_fetch_failure)
{
	struct program_opts o = opts();
	o.offline = true;
	struct load x = load(&o, "http://127.0.0.1:1/nothing");
	ck_assert_int_eq(x.r, -ENOENT);
	ck_assert_int_eq(x.kind, PROGRAM_FAIL_FETCH);
	ck_assert_str_eq(x.e.msg, "not in the cache (--offline)");
	ck_assert(!network_used());
}
END_TEST

START_TEST(test_program_corrupt_cached_object_is_detected_and_discarded)
{
	char url[100];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/prog", dead_port());
	seed(url, 10, 100, NULL);
	ck_assert_int_eq(chmod(object_path(), 0644), 0);
	int fd = open(object_path(), O_WRONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, "\xff", 1, 300), 1);
	close(fd);

	struct program_opts o = opts();
	o.offline = true;
	stderr_capture();
	struct load x = load(&o, url);
	const char *err = stderr_text();
	ck_assert_int_eq(x.kind, PROGRAM_FAIL_FETCH);
	ck_assert_str_eq(x.e.msg, "the cached copy was corrupt and --offline "
				  "forbids fetching it again");
	ck_assert_contains(err, "warning: ");
	ck_assert_contains(err, "the cached copy is corrupt (hash mismatch");
	ck_assert_int_eq(access(object_path(), F_OK), -1);
}
END_TEST

START_TEST(test_program_refuses_cache_owned_by_group_writable_dir)
{
	ck_assert_int_eq(mkdir(cache_dir, 0777), 0);
	ck_assert_int_eq(chmod(cache_dir, 0777), 0);
	struct program_opts o = opts();
	struct load x = load(&o, "http://127.0.0.1:1/p");
	ck_assert_int_eq(x.r, -EPERM);
	ck_assert_int_eq(x.kind, PROGRAM_FAIL_FETCH);
	ck_assert_contains(x.e.msg, "writable by group or others");
}
END_TEST

/* ---- with the network ------------------------------------------------ */

START_TEST(test_program_download_is_kept_and_then_served_fresh)
{
	struct server sv;
	struct reply r = { "HTTP/1.1 200 OK\r\nETag: \"v1\"\r\n"
			   "Cache-Control: max-age=100",
			   prog.b, prog.len };
	char url[100];
	unsigned n;

	server_start(&sv, &r, 1);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/prog", sv.port);
	struct program_opts o = opts();
	struct load x = load(&o, url);
	ck_assert_msg(x.r == 0, "%s", x.e.msg);
	ck_assert_str_eq(x.p.source, "network");
	program_free(&x.p);
	/* The control for the tests that say the network was not used. */
	ck_assert_uint_eq(fetch_helper_runs(), 1);
	const char *req = server_requests(&sv, &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_contains(req, "User-Agent: fakeos-run/");
	ck_assert_int_eq(access(object_path(), F_OK), 0);
	struct cache_entry en = entry_of(url);
	ck_assert_str_eq(en.etag, "\"v1\"");
	ck_assert_int_ge(en.expires, now_unix() + 95);

	x = load(&o, url);
	ck_assert_msg(x.r == 0, "%s", x.e.msg);
	ck_assert_str_eq(x.p.source, "cache");
	program_free(&x.p);
	server_requests(&sv, &n);
	ck_assert_uint_eq(n, 1);
	server_stop(&sv);
}
END_TEST

START_TEST(test_program_default_ttl_applies_without_max_age)
{
	struct server sv;
	struct reply r = { "HTTP/1.1 200 OK", prog.b, prog.len };
	char url[100];

	server_start(&sv, &r, 1);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/prog", sv.port);
	struct program_opts o = opts();
	o.default_ttl = 1234;
	struct load x = load(&o, url);
	ck_assert_msg(x.r == 0, "%s", x.e.msg);
	program_free(&x.p);
	struct cache_entry en = entry_of(url);
	ck_assert_int_eq(en.expires - en.fetched, 1234);
	server_stop(&sv);
}
END_TEST

START_TEST(test_program_revalidates_with_etag_and_304_extends_expiry)
{
	struct server sv;
	struct reply r = { "HTTP/1.1 304 Not Modified\r\n"
			   "Cache-Control: max-age=500",
			   NULL, 0 };
	char url[100];
	unsigned n;

	server_start(&sv, &r, 1);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/prog", sv.port);
	seed(url, 1000, 10, "\"v1\"");
	struct program_opts o = opts();
	struct load x = load(&o, url);
	ck_assert_msg(x.r == 0, "%s", x.e.msg);
	ck_assert_str_eq(x.p.source, "cache (revalidated)");
	ck_assert_mem_eq(x.p.sha256, prog_hash, HASH_SIZE);
	program_free(&x.p);
	const char *req = server_requests(&sv, &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_contains(req, "If-None-Match: \"v1\"\r\n");
	struct cache_entry en = entry_of(url);
	ck_assert_int_ge(en.fetched, now_unix() - 5);
	ck_assert_int_eq(en.expires - en.fetched, 500);
	ck_assert_str_eq(en.etag, "\"v1\"");
	server_stop(&sv);
}
END_TEST

START_TEST(test_program_refresh_revalidates_a_fresh_entry)
{
	struct server sv;
	struct reply r = { "HTTP/1.1 304 Not Modified", NULL, 0 };
	char url[100];
	unsigned n;

	server_start(&sv, &r, 1);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/prog", sv.port);
	seed(url, 10, 100, "\"v1\"");
	struct program_opts o = opts();
	o.refresh = true;
	struct load x = load(&o, url);
	ck_assert_msg(x.r == 0, "%s", x.e.msg);
	ck_assert_str_eq(x.p.source, "cache (revalidated)");
	program_free(&x.p);
	server_requests(&sv, &n);
	ck_assert_uint_eq(n, 1);
	/* A 304 without Cache-Control keeps the lifetime the entry had. */
	struct cache_entry en = entry_of(url);
	ck_assert_int_eq(en.expires - en.fetched, 100);
	server_stop(&sv);
}
END_TEST

START_TEST(test_program_stale_copy_runs_when_server_is_unreachable)
{
	char url[100];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/prog", dead_port());
	seed(url, 1000, 10, "\"v1\"");
	struct program_opts o = opts();
	stderr_capture();
	struct load x = load(&o, url);
	const char *err = stderr_text();
	ck_assert_msg(x.r == 0, "%s", x.e.msg);
	ck_assert_str_eq(x.p.source, "cache (stale)");
	program_free(&x.p);
	ck_assert_contains(err, "warning: http://127.0.0.1:");
	ck_assert_contains(err, "network error: ");
	/* The clock may tick between seeding and the warning. */
	const char *from = strstr(err, "running the cached copy from ");
	ck_assert_msg(from != NULL, "no age in: %s", err);
	long age = strtol(from + strlen("running the cached copy from "),
			  NULL, 10);
	ck_assert_int_ge(age, 1000);
	ck_assert_int_le(age, 1005);
	ck_assert_contains(err, " s ago");
}
END_TEST

START_TEST(test_program_stale_copy_runs_on_http_5xx)
{
	struct server sv;
	struct reply r = { "HTTP/1.1 503 Service Unavailable", "down", 4 };
	char url[100];

	server_start(&sv, &r, 1);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/prog", sv.port);
	seed(url, 1000, 10, NULL);
	struct program_opts o = opts();
	stderr_capture();
	struct load x = load(&o, url);
	const char *err = stderr_text();
	ck_assert_msg(x.r == 0, "%s", x.e.msg);
	ck_assert_str_eq(x.p.source, "cache (stale)");
	program_free(&x.p);
	ck_assert_contains(err, "/prog: HTTP 503; running the cached copy");
	server_stop(&sv);
}
END_TEST

START_TEST(test_program_404_is_an_error_even_with_a_stale_copy)
{
	struct server sv;
	struct reply r = { "HTTP/1.1 404 Not Found", "gone", 4 };
	char url[100];

	server_start(&sv, &r, 1);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/prog", sv.port);
	seed(url, 1000, 10, NULL);
	struct program_opts o = opts();
	struct load x = load(&o, url);
	ck_assert_int_lt(x.r, 0);
	ck_assert_int_eq(x.kind, PROGRAM_FAIL_FETCH);
	ck_assert_str_eq(x.e.msg, "HTTP 404");
	ck_assert_int_eq(x.p.fd, -1);
	server_stop(&sv);
}
END_TEST

START_TEST(test_program_no_store_response_runs_but_is_not_kept)
{
	struct server sv;
	struct reply r = { "HTTP/1.1 200 OK\r\nCache-Control: no-store",
			   prog.b, prog.len };
	char url[100];

	server_start(&sv, &r, 1);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/prog", sv.port);
	struct program_opts o = opts();
	struct load x = load(&o, url);
	ck_assert_msg(x.r == 0, "%s", x.e.msg);
	ck_assert_str_eq(x.p.source, "network");
	program_free(&x.p);
	ck_assert_int_eq(access(object_path(), F_OK), -1);
	struct cache *c;
	struct cache_entry en;
	struct error e;
	ck_assert_int_eq(cache_open(cache_dir, false, &c, &e), 0);
	ck_assert_int_eq(cache_entry_load(c, url, &en, &e), -ENOENT);
	cache_close(c);
	server_stop(&sv);
}
END_TEST

START_TEST(test_program_pinned_download_mismatch_is_refused_and_not_kept)
{
	struct server sv;
	struct reply r = { "HTTP/1.1 200 OK", prog.b, prog.len };
	char url[200];

	server_start(&sv, &r, 1);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/prog#sha256=%064d",
		 sv.port, 0);
	struct program_opts o = opts();
	struct load x = load(&o, url);
	ck_assert_int_eq(x.r, -EBADMSG);
	ck_assert_int_eq(x.kind, PROGRAM_FAIL_FETCH);
	ck_assert_contains(x.e.msg, "hash mismatch: expected 0000");
	ck_assert_int_eq(access(object_path(), F_OK), -1);
	server_stop(&sv);
}
END_TEST

START_TEST(test_program_non_elf_download_is_a_run_failure_and_not_kept)
{
	static const char page[] = "<html>oops</html>";
	struct server sv;
	struct reply r = { "HTTP/1.1 200 OK", page, sizeof(page) - 1 };
	char url[100];

	server_start(&sv, &r, 1);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/prog", sv.port);
	struct program_opts o = opts();
	struct load x = load(&o, url);
	ck_assert_int_eq(x.r, -ENOEXEC);
	ck_assert_int_eq(x.kind, PROGRAM_FAIL_RUN);
	ck_assert_str_eq(x.e.msg, "not an ELF program: looks like HTML or "
				  "XML");
	ck_assert_uint_eq(access(cache_dir, F_OK), 0);
	struct cache *c;
	struct cache_entry en;
	struct error e;
	ck_assert_int_eq(cache_open(cache_dir, false, &c, &e), 0);
	ck_assert_int_eq(cache_entry_load(c, url, &en, &e), -ENOENT);
	cache_close(c);
	server_stop(&sv);
}
END_TEST

START_TEST(test_program_evicts_to_the_cache_bound_but_keeps_the_launched)
{
	struct server sv;
	struct reply r = { "HTTP/1.1 200 OK", prog.b, prog.len };
	char url[100];

	/* An unrelated 600-byte object, used long ago. */
	static const char old[600] = { 1 };
	uint8_t oh[HASH_SIZE];
	struct cache *c;
	struct error e;
	hash_buf(old, sizeof(old), oh);
	ck_assert_int_eq(cache_open(cache_dir, true, &c, &e), 0);
	ck_assert_int_eq(cache_object_store(c, old, sizeof(old), oh, &e), 0);
	cache_close(c);

	server_start(&sv, &r, 1);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/prog", sv.port);
	struct program_opts o = opts();
	o.cache_max = 100; /* smaller than either object */
	struct load x = load(&o, url);
	ck_assert_msg(x.r == 0, "%s", x.e.msg);
	program_free(&x.p);
	ck_assert_int_eq(access(object_path(), F_OK), 0);
	char hex[HASH_HEX_SIZE], p[300];
	hash_hex(oh, hex);
	snprintf(p, sizeof(p), "%s/objects/%.2s/%s", cache_dir, hex, hex);
	ck_assert_int_eq(access(p, F_OK), -1);
	server_stop(&sv);
}
END_TEST

/* ---- a confined loader (spawns) --------------------------------------- */

/* An origin that redirects /prog to /secret on a second server, which
 * stands for a service on the host's network: it answers with internal
 * and logs what it gets. */
struct two_servers {
	struct server origin, internal;
	char url[100], within[100], target[100];
	char head[200];
	struct reply redirect;
};

static void two_servers_start(struct two_servers *t,
			      const struct reply *internal)
{
	server_start(&t->internal, internal, 1);
	snprintf(t->target, sizeof(t->target), "http://127.0.0.1:%d/secret",
		 t->internal.port);
	snprintf(t->head, sizeof(t->head),
		 "HTTP/1.1 302 Found\r\nLocation: %s", t->target);
	t->redirect = (struct reply){ t->head, NULL, 0 };
	server_start(&t->origin, &t->redirect, 1);
	snprintf(t->url, sizeof(t->url), "http://127.0.0.1:%d/prog",
		 t->origin.port);
	snprintf(t->within, sizeof(t->within), "http://127.0.0.1:%d/",
		 t->origin.port);
}

static void two_servers_stop(struct two_servers *t)
{
	server_stop(&t->origin);
	server_stop(&t->internal);
}

START_TEST(test_program_confined_fetch_refuses_a_redirect_out_of_its_prefix)
{
	struct two_servers t;
	struct reply secret = { "HTTP/1.1 200 OK", prog.b, prog.len };
	unsigned n;
	char want[300];

	two_servers_start(&t, &secret);
	struct program_opts o = opts();
	struct load x = load_within(&o, t.within, t.url);
	ck_assert_int_eq(x.r, -EPERM);
	ck_assert_int_eq(x.kind, PROGRAM_FAIL_FETCH);
	snprintf(want, sizeof(want),
		 "redirect to %s refused: outside %s (where this program may "
		 "spawn from)",
		 t.target, t.within);
	ck_assert_str_eq(x.e.msg, want);
	server_requests(&t.origin, &n);
	ck_assert_uint_eq(n, 1);
	server_requests(&t.internal, &n);
	ck_assert_uint_eq(n, 0);
	two_servers_stop(&t);
}
END_TEST

/* The control: the same redirect, unconfined (the operator's own launch),
 * is followed. */
START_TEST(test_program_unconfined_fetch_follows_a_redirect_to_another_host)
{
	struct two_servers t;
	struct reply secret = { "HTTP/1.1 200 OK", prog.b, prog.len };
	unsigned n;

	two_servers_start(&t, &secret);
	struct program_opts o = opts();
	struct load x = load(&o, t.url);
	ck_assert_msg(x.r == 0, "%s", x.e.msg);
	ck_assert_mem_eq(x.p.sha256, prog_hash, HASH_SIZE);
	program_free(&x.p);
	server_requests(&t.internal, &n);
	ck_assert_uint_eq(n, 1);
	two_servers_stop(&t);
}
END_TEST

/* A stale cached copy is revalidated with a conditional request; its
 * redirect is held to the prefix too and, refused, is no outage: the
 * stale copy does not run either. */
START_TEST(test_program_confined_revalidation_refuses_a_redirect_out_of_its_prefix)
{
	struct two_servers t;
	struct reply secret = { "HTTP/1.1 200 OK", prog.b, prog.len };
	unsigned n;

	two_servers_start(&t, &secret);
	seed(t.url, 1000, 10, "\"v1\"");
	struct program_opts o = opts();
	struct load x = load_within(&o, t.within, t.url);
	ck_assert_int_eq(x.r, -EPERM);
	ck_assert_contains(x.e.msg, "refused: outside ");
	ck_assert_int_eq(x.p.fd, -1);
	const char *req = server_requests(&t.origin, &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_contains(req, "If-None-Match: \"v1\"\r\n");
	server_requests(&t.internal, &n);
	ck_assert_uint_eq(n, 0);
	two_servers_stop(&t);
}
END_TEST

START_TEST(test_program_confined_fetch_follows_a_redirect_within_its_prefix)
{
	struct server sv;
	char url[100], within[100];
	unsigned n;

	/* The port is known only once the server listens: a relative
	 * Location, which the fetch resolves against the hop. */
	struct reply r[2] = {
		{ "HTTP/1.1 302 Found\r\nLocation: /apps/prog", NULL, 0 },
		{ "HTTP/1.1 200 OK", prog.b, prog.len },
	};
	server_start(&sv, r, 2);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/apps/old", sv.port);
	snprintf(within, sizeof(within), "http://127.0.0.1:%d/apps/", sv.port);
	struct program_opts o = opts();
	struct load x = load_within(&o, within, url);
	ck_assert_msg(x.r == 0, "%s", x.e.msg);
	program_free(&x.p);
	const char *req = server_requests(&sv, &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_contains(req, "GET /apps/prog ");
	server_stop(&sv);
}
END_TEST

START_TEST(test_program_confined_loader_refuses_a_url_outside_its_prefix)
{
	char url[200], within[100];
	struct program_opts o = opts();
	struct load x = load_within(&o, "http://127.0.0.1:1/",
				    "http://127.0.0.1:2/prog");
	ck_assert_int_eq(x.r, -EPERM);
	ck_assert_str_eq(x.e.msg, "http://127.0.0.1:2/prog is outside "
				  "http://127.0.0.1:1/");
	ck_assert(!network_used());
	snprintf(url, sizeof(url), "file://%s", prog_path);
	x = load_within(&o, "http://127.0.0.1:1/", url);
	ck_assert_int_eq(x.r, -EPERM);
	/* A file:// prefix confines the file beneath its directory,
	 * however the prefix names it. */
	snprintf(within, sizeof(within), "file://LOCALHOST%s/", tmp);
	x = load_within(&o, within, url);
	ck_assert_msg(x.r == 0, "%s", x.e.msg);
	program_free(&x.p);
	snprintf(within, sizeof(within), "file://%s/cache/", tmp);
	x = load_within(&o, within, url);
	ck_assert_int_eq(x.r, -EPERM);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("program");
	TCase *t = tcase_create("program");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 30);
	tcase_add_test(t, test_program_loads_file_url_into_sealed_memfd);
	tcase_add_test(t, test_program_file_url_with_matching_pin_loads);
	tcase_add_test(t, test_program_pin_mismatch_is_a_fetch_failure);
	tcase_add_test(t, test_program_dynamic_elf_is_a_run_failure);
	tcase_add_test(
		t,
		test_program_missing_file_directory_and_bad_url_are_fetch_failures);
	tcase_add_test(t, test_program_file_over_size_cap_is_refused);
	tcase_add_test(t, test_program_memfd_refusal_names_the_sysctl);
	tcase_add_test(
		t,
		test_program_fresh_hit_makes_no_request_and_runs_no_fetcher);
	tcase_add_test(t, test_program_fresh_hit_records_last_use);
	tcase_add_test(t, test_program_pinned_object_in_cache_needs_no_network);
	tcase_add_test(t,
		       test_program_offline_uses_expired_entry_without_network);
	tcase_add_test(t, test_program_offline_miss_is_a_fetch_failure);
	tcase_add_test(
		t, test_program_corrupt_cached_object_is_detected_and_discarded);
	tcase_add_test(t,
		       test_program_refuses_cache_owned_by_group_writable_dir);
	tcase_add_test(t, test_program_download_is_kept_and_then_served_fresh);
	tcase_add_test(t, test_program_default_ttl_applies_without_max_age);
	tcase_add_test(
		t, test_program_revalidates_with_etag_and_304_extends_expiry);
	tcase_add_test(t, test_program_refresh_revalidates_a_fresh_entry);
	tcase_add_test(t,
		       test_program_stale_copy_runs_when_server_is_unreachable);
	tcase_add_test(t, test_program_stale_copy_runs_on_http_5xx);
	tcase_add_test(t, test_program_404_is_an_error_even_with_a_stale_copy);
	tcase_add_test(t, test_program_no_store_response_runs_but_is_not_kept);
	tcase_add_test(
		t, test_program_pinned_download_mismatch_is_refused_and_not_kept);
	tcase_add_test(
		t, test_program_non_elf_download_is_a_run_failure_and_not_kept);
	tcase_add_test(
		t, test_program_evicts_to_the_cache_bound_but_keeps_the_launched);
	tcase_add_test(
		t, test_program_confined_fetch_refuses_a_redirect_out_of_its_prefix);
	tcase_add_test(
		t, test_program_unconfined_fetch_follows_a_redirect_to_another_host);
	tcase_add_test(
		t,
		test_program_confined_revalidation_refuses_a_redirect_out_of_its_prefix);
	tcase_add_test(
		t, test_program_confined_fetch_follows_a_redirect_within_its_prefix);
	tcase_add_test(
		t, test_program_confined_loader_refuses_a_url_outside_its_prefix);
	suite_add_tcase(s, t);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
