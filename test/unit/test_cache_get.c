/* test_cache_get.c — the cache's transaction (src/cache.c, cache_get):
 * which copy it uses, when it fetches, what it keeps and evicts. The two
 * steps that touch bytes are fakes here: load checks the hash as
 * program.c does, and fetch plays a scripted response and counts calls,
 * so each test asserts exactly which requests were made, with what
 * validators, and what is on disk afterwards. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "cache.h"

static char tmp[64]; /* the mkdtemp directory */
static char root[128]; /* tmp/cache: the cache root */

static void setup(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/test_cache_get.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	snprintf(root, sizeof(root), "%s/cache", tmp);
}

static void teardown(void)
{
	char cmd[200];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	ck_assert_int_eq(system(cmd), 0);
}

static struct cache *open_cache(void)
{
	struct cache *c = NULL;
	struct error e;
	int r = cache_open(root, true, &c, &e);
	ck_assert_msg(r == 0, "cache_open: %s", e.msg);
	return c;
}

static const char *object_at(const uint8_t hash[HASH_SIZE])
{
	static char p[2][300];
	static int i;
	char hex[HASH_HEX_SIZE];
	i = !i;
	hash_hex(hash, hex);
	snprintf(p[i], sizeof(p[i]), "%s/objects/%.2s/%s", root, hex, hex);
	return p[i];
}

/* ---- the fakes --------------------------------------------------------- */

/* What the fake fetch answers, and what both fakes saw. */
struct fake {
	/* The script. */
	long status; /* 200, 304, or 0 for a failure */
	enum fetch_fail fail; /* for a failure */
	const char *why; /* for a failure: e's message */
	const char *body; /* for a 200 */
	const char *etag; /* the response's ETag, or NULL */
	bool no_store;
	int64_t max_age; /* -1: none */
	const char *count_path; /* each fetch appends a byte here */
	int started_fd; /* each fetch writes a byte here first, or -1 */
	unsigned sleep_ms; /* each fetch takes this long */
	/* What happened. */
	unsigned loads, fetches;
	char sent_etag[CACHE_FIELD_MAX + 1]; /* If-None-Match of the last */
	uint8_t loaded[HASH_SIZE]; /* the last bytes loaded */
};

static int fake_load(void *arg, int fd, const uint8_t hash[HASH_SIZE],
		     struct error *e)
{
	struct fake *f = arg;
	uint8_t got[HASH_SIZE];
	int r = hash_fd(fd, got, NULL);
	if (r < 0)
		return error_sys(e, -r, "reading");
	if (memcmp(got, hash, HASH_SIZE) != 0)
		return error_set(e, EBADMSG, "hash mismatch");
	f->loads++;
	memcpy(f->loaded, got, HASH_SIZE);
	return 0;
}

static int fake_fetch(void *arg, const char *url,
		      const struct fetch_validators *v,
		      struct fetch_result *res, struct cache_download *dl,
		      struct error *e)
{
	struct fake *f = arg;
	(void)url;
	f->fetches++;
	if (f->started_fd >= 0)
		ck_assert_int_eq(write_full(f->started_fd, "s", 1), 0);
	if (f->count_path) {
		int fd = open(f->count_path,
			      O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(write_full(fd, "x", 1), 0);
		close(fd);
	}
	if (f->sleep_ms)
		usleep(f->sleep_ms * 1000);
	snprintf(f->sent_etag, sizeof(f->sent_etag), "%s",
		 v->etag ? v->etag : "");
	if (f->status == 0) {
		res->fail = f->fail;
		return error_set(e, EIO, "%s", f->why);
	}
	res->fail = FETCH_OK;
	res->status = f->status;
	if (f->etag)
		snprintf(res->headers.etag, sizeof(res->headers.etag), "%s",
			 f->etag);
	res->headers.cc.no_store = f->no_store;
	res->headers.cc.has_max_age = f->max_age >= 0;
	res->headers.cc.max_age = f->max_age >= 0 ? f->max_age : 0;
	if (f->status == 304)
		return 0;
	dl->bytes = f->body;
	dl->size = strlen(f->body);
	hash_buf(f->body, dl->size, dl->hash);
	memcpy(f->loaded, dl->hash, HASH_SIZE);
	return 0;
}

static const struct cache_ops fake_ops = { fake_load, fake_fetch };

static struct fake fake_200(const char *body)
{
	return (struct fake){ .status = 200, .body = body, .max_age = -1,
			      .started_fd = -1 };
}

static const char url[] = "http://h/prog";

struct got {
	int r;
	struct cache_result res;
	struct error e;
};

static bool fresh_only; /* what get() asks */

static struct got get(struct fake *f, bool offline, uint64_t max)
{
	struct cache *c = open_cache();
	const struct cache_request req = {
		.url = url,
		.offline = offline,
		.fresh_only = fresh_only,
		.default_ttl = 300,
		.max = max,
		.ops = &fake_ops,
		.arg = f,
	};
	struct got g;
	memset(&g, 0, sizeof(g));
	g.r = cache_get(c, &req, &g.res, &g.e);
	cache_close(c);
	return g;
}

/* Stores data as url's object, fetched `age` seconds ago and fresh for
 * `ttl` seconds from then, with an ETag. */
static void seed(const char *data, int64_t age, int64_t ttl,
		 uint8_t hash[HASH_SIZE])
{
	struct cache *c = open_cache();
	struct cache_entry en;
	struct error e;
	hash_buf(data, strlen(data), hash);
	ck_assert_int_eq(cache_object_store(c, data, strlen(data), hash, &e),
			 0);
	memset(&en, 0, sizeof(en));
	snprintf(en.url, sizeof(en.url), "%s", url);
	memcpy(en.object, hash, HASH_SIZE);
	en.size = strlen(data);
	en.fetched = now_unix() - age;
	en.expires = en.fetched + ttl;
	snprintf(en.etag, sizeof(en.etag), "\"v1\"");
	ck_assert_int_eq(cache_entry_store(c, &en, &e), 0);
	cache_close(c);
}

/* url's entry; false when there is none. */
static bool entry(struct cache_entry *en)
{
	struct cache *c = open_cache();
	struct error e;
	int r = cache_entry_load(c, url, en, &e);
	cache_close(c);
	ck_assert_msg(r == 0 || r == -ENOENT, "%s", e.msg);
	return r == 0;
}

/* ---- the decisions ------------------------------------------------------ */

START_TEST(test_cache_get_fresh_entry_loads_without_fetching)
{
	uint8_t h[HASH_SIZE];
	struct fake f = fake_200("new");
	seed("old", 10, 100, h);
	struct got g = get(&f, false, 1 << 20);
	ck_assert_msg(g.r == 0, "%s", g.e.msg);
	ck_assert_int_eq(g.res.source, CACHE_HIT);
	ck_assert_str_eq(cache_source_name(g.res.source), "cache");
	ck_assert_uint_eq(f.fetches, 0);
	ck_assert_uint_eq(f.loads, 1);
	ck_assert_mem_eq(f.loaded, h, HASH_SIZE);
	/* Nor took the URL's lock, so it never waits behind a fetch. */
	char locks[200];
	snprintf(locks, sizeof(locks), "%s/locks", root);
	ck_assert_int_eq(access(locks, F_OK), -1);
}
END_TEST

/* fakeosd's fast path: a fresh entry loads, and anything else is
 * -EWOULDBLOCK with no fetch and no lock taken. */
START_TEST(test_cache_get_fresh_only_loads_a_fresh_entry_and_waits_for_nothing)
{
	uint8_t h[HASH_SIZE];
	struct fake f = fake_200("new");
	fresh_only = true;
	struct got g = get(&f, false, 1 << 20);
	ck_assert_int_eq(g.r, -EWOULDBLOCK);
	ck_assert_uint_eq(f.fetches, 0);
	seed("old", 1000, 10, h);
	g = get(&f, false, 1 << 20);
	ck_assert_int_eq(g.r, -EWOULDBLOCK);
	ck_assert_uint_eq(f.fetches, 0);
	ck_assert_uint_eq(f.loads, 0);
	char locks[200];
	snprintf(locks, sizeof(locks), "%s/locks", root);
	ck_assert_int_eq(access(locks, F_OK), -1);
	seed("old", 10, 100, h);
	g = get(&f, false, 1 << 20);
	fresh_only = false;
	ck_assert_msg(g.r == 0, "%s", g.e.msg);
	ck_assert_int_eq(g.res.source, CACHE_HIT);
	ck_assert_uint_eq(f.fetches, 0);
}
END_TEST

START_TEST(test_cache_get_stale_entry_revalidates_and_304_extends_it)
{
	uint8_t h[HASH_SIZE];
	struct fake f = { .status = 304, .max_age = 500, .started_fd = -1 };
	struct cache_entry en;
	seed("old", 1000, 10, h);
	struct got g = get(&f, false, 1 << 20);
	ck_assert_msg(g.r == 0, "%s", g.e.msg);
	ck_assert_int_eq(g.res.source, CACHE_REVALIDATED);
	ck_assert_uint_eq(f.fetches, 1);
	ck_assert_str_eq(f.sent_etag, "\"v1\"");
	ck_assert_uint_eq(f.loads, 1);
	ck_assert_mem_eq(f.loaded, h, HASH_SIZE);
	ck_assert(entry(&en));
	ck_assert_int_ge(en.fetched, now_unix() - 5);
	ck_assert_int_eq(en.expires - en.fetched, 500);
	ck_assert_mem_eq(en.object, h, HASH_SIZE);
}
END_TEST

START_TEST(test_cache_get_stale_entry_runs_when_the_fetch_gets_a_5xx)
{
	uint8_t h[HASH_SIZE];
	struct fake f = { .fail = FETCH_FAIL_SERVER, .why = "HTTP 503",
			  .started_fd = -1 };
	struct cache_entry en;
	seed("old", 1000, 10, h);
	struct got g = get(&f, false, 1 << 20);
	ck_assert_msg(g.r == 0, "%s", g.e.msg);
	ck_assert_int_eq(g.res.source, CACHE_STALE);
	ck_assert_uint_eq(f.fetches, 1);
	ck_assert_uint_eq(f.loads, 1);
	ck_assert_mem_eq(f.loaded, h, HASH_SIZE);
	/* Still stale: the next launch tries the server again. */
	ck_assert(entry(&en));
	ck_assert_int_lt(en.expires, now_unix());
}
END_TEST

START_TEST(test_cache_get_stale_entry_does_not_run_after_a_4xx)
{
	uint8_t h[HASH_SIZE];
	struct fake f = { .fail = FETCH_FAIL_HTTP, .why = "HTTP 404",
			  .started_fd = -1 };
	seed("old", 1000, 10, h);
	struct got g = get(&f, false, 1 << 20);
	ck_assert_int_eq(g.r, -EIO);
	ck_assert_str_eq(g.e.msg, "HTTP 404");
	ck_assert_uint_eq(f.loads, 0);
}
END_TEST

START_TEST(test_cache_get_keeps_a_download_and_serves_it_fresh_next)
{
	struct fake f = fake_200("prog bytes");
	struct cache_entry en;
	f.etag = "\"v2\"";
	f.max_age = 100;
	struct got g = get(&f, false, 1 << 20);
	ck_assert_msg(g.r == 0, "%s", g.e.msg);
	ck_assert_int_eq(g.res.source, CACHE_FETCHED);
	ck_assert_str_eq(f.sent_etag, "");
	ck_assert_int_eq(access(object_at(f.loaded), F_OK), 0);
	ck_assert(entry(&en));
	ck_assert_str_eq(en.etag, "\"v2\"");
	ck_assert_int_eq(en.expires - en.fetched, 100);
	ck_assert_uint_eq(en.size, strlen("prog bytes"));
	g = get(&f, false, 1 << 20);
	ck_assert_int_eq(g.res.source, CACHE_HIT);
	ck_assert_uint_eq(f.fetches, 1);
}
END_TEST

START_TEST(test_cache_get_no_store_download_is_not_kept_and_drops_the_entry)
{
	uint8_t h[HASH_SIZE];
	struct fake f = fake_200("new bytes");
	struct cache_entry en;
	f.no_store = true;
	seed("old", 1000, 10, h);
	struct got g = get(&f, false, 1 << 20);
	ck_assert_msg(g.r == 0, "%s", g.e.msg);
	ck_assert_int_eq(g.res.source, CACHE_FETCHED);
	ck_assert_int_eq(access(object_at(f.loaded), F_OK), -1);
	ck_assert(!entry(&en));
}
END_TEST

START_TEST(test_cache_get_evicts_over_the_bound_but_keeps_the_download)
{
	/* An unrelated object of 600 bytes, used long ago. */
	static const char old[600] = { 1 };
	uint8_t oh[HASH_SIZE];
	struct cache *c = open_cache();
	struct error e;
	hash_buf(old, sizeof(old), oh);
	ck_assert_int_eq(cache_object_store(c, old, sizeof(old), oh, &e), 0);
	cache_close(c);
	struct timespec t[2] = { { 1000, 0 }, { 1000, 0 } };
	ck_assert_int_eq(utimensat(AT_FDCWD, object_at(oh), t, 0), 0);

	struct fake f = fake_200("the launched program");
	struct got g = get(&f, false, 10); /* smaller than either */
	ck_assert_msg(g.r == 0, "%s", g.e.msg);
	ck_assert_int_eq(access(object_at(oh), F_OK), -1);
	ck_assert_int_eq(access(object_at(f.loaded), F_OK), 0);
}
END_TEST

START_TEST(test_cache_get_discards_a_corrupt_object_and_fetches_again)
{
	uint8_t h[HASH_SIZE];
	struct fake f = fake_200("good bytes");
	seed("old", 10, 100, h);
	const char *p = object_at(h);
	ck_assert_int_eq(chmod(p, 0644), 0);
	int fd = open(p, O_WRONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, "X", 1, 0), 1);
	close(fd);
	struct got g = get(&f, false, 1 << 20);
	ck_assert_msg(g.r == 0, "%s", g.e.msg);
	ck_assert_int_eq(g.res.source, CACHE_FETCHED);
	ck_assert_uint_eq(f.fetches, 1);
	ck_assert_int_eq(access(p, F_OK), -1);
}
END_TEST

START_TEST(test_cache_get_offline_miss_fetches_nothing)
{
	struct fake f = fake_200("new");
	struct got g = get(&f, true, 1 << 20);
	ck_assert_int_eq(g.r, -ENOENT);
	ck_assert_str_eq(g.e.msg, "not in the cache (--offline)");
	ck_assert_uint_eq(f.fetches, 0);
}
END_TEST

START_TEST(test_cache_get_pinned_object_needs_no_entry_and_no_fetch)
{
	struct fake f = fake_200("new");
	uint8_t h[HASH_SIZE];
	struct cache *c = open_cache();
	struct error e;
	hash_buf("pinned", 6, h);
	ck_assert_int_eq(cache_object_store(c, "pinned", 6, h, &e), 0);
	const struct cache_request req = {
		.url = url, .pin = h, .max = 1 << 20,
		.ops = &fake_ops, .arg = &f,
	};
	struct cache_result res;
	ck_assert_int_eq(cache_get(c, &req, &res, &e), 0);
	cache_close(c);
	ck_assert_int_eq(res.source, CACHE_PINNED);
	ck_assert_uint_eq(f.fetches, 0);
	ck_assert_mem_eq(f.loaded, h, HASH_SIZE);
}
END_TEST

/* A launch that gets the URL while another is fetching it: exits 0 with
 * the source it got (CACHE_*), 100 + anything else. */
static void launch_child(const char *count, int started_fd)
{
	struct fake f = fake_200("shared bytes");
	f.count_path = count;
	f.started_fd = started_fd;
	f.sleep_ms = 300;
	struct got g = get(&f, false, 1 << 20);
	_exit(g.r == 0 ? (int)g.res.source : 100);
}

START_TEST(test_cache_get_two_launches_of_one_url_fetch_once)
{
	char count[200];
	int started[2];
	pid_t a, b;
	int st;
	snprintf(count, sizeof(count), "%s/fetches", tmp);
	ck_assert_int_eq(pipe(started), 0);
	a = fork();
	ck_assert_int_ge(a, 0);
	if (a == 0)
		launch_child(count, started[1]);
	/* The second launch starts once the first is fetching, holding the
	 * URL's lock: it must wait, then use what the first stored. */
	char x;
	ck_assert_int_eq(read_full(started[0], &x, 1), 0);
	b = fork();
	ck_assert_int_ge(b, 0);
	if (b == 0)
		launch_child(count, started[1]);
	ck_assert_int_eq(waitpid(a, &st, 0), a);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), CACHE_FETCHED);
	ck_assert_int_eq(waitpid(b, &st, 0), b);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), CACHE_HIT);
	close(started[0]);
	close(started[1]);
	struct stat cs;
	ck_assert_int_eq(stat(count, &cs), 0);
	ck_assert_int_eq(cs.st_size, 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cache_get");
	TCase *t = tcase_create("transaction");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 30);
	tcase_add_test(t, test_cache_get_fresh_entry_loads_without_fetching);
	tcase_add_test(
		t,
		test_cache_get_fresh_only_loads_a_fresh_entry_and_waits_for_nothing);
	tcase_add_test(t,
		       test_cache_get_stale_entry_revalidates_and_304_extends_it);
	tcase_add_test(t,
		       test_cache_get_stale_entry_runs_when_the_fetch_gets_a_5xx);
	tcase_add_test(t, test_cache_get_stale_entry_does_not_run_after_a_4xx);
	tcase_add_test(t,
		       test_cache_get_keeps_a_download_and_serves_it_fresh_next);
	tcase_add_test(
		t,
		test_cache_get_no_store_download_is_not_kept_and_drops_the_entry);
	tcase_add_test(
		t, test_cache_get_evicts_over_the_bound_but_keeps_the_download);
	tcase_add_test(
		t, test_cache_get_discards_a_corrupt_object_and_fetches_again);
	tcase_add_test(t, test_cache_get_offline_miss_fetches_nothing);
	tcase_add_test(t,
		       test_cache_get_pinned_object_needs_no_entry_and_no_fetch);
	tcase_add_test(t, test_cache_get_two_launches_of_one_url_fetch_once);
	suite_add_tcase(s, t);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
