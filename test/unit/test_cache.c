/* test_cache.c — the cache's entry format, layout, hardening, locking,
 * eviction and management commands (src/cache.c). Every test runs in its
 * own mkdtemp directory, removed afterwards. */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "cache.h"
#include "cli_cache.h"

static char tmp[64]; /* the mkdtemp directory */
static char root[128]; /* tmp/cache: the cache root */

static void setup(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/test_cache.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	snprintf(root, sizeof(root), "%s/cache", tmp);
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

static struct cache *open_cache(void)
{
	struct cache *c = NULL;
	struct error e;
	int r = cache_open(root, true, &c, &e);
	ck_assert_msg(r == 0, "cache_open: %s", e.msg);
	return c;
}

/* A path below the root. */
static const char *at(const char *rel)
{
	static char p[4][512];
	static int i;
	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", root, rel);
	return p[i];
}

static bool exists(const char *rel)
{
	struct stat st;
	return lstat(at(rel), &st) == 0;
}

static unsigned count_dir(const char *rel)
{
	unsigned n = 0;
	DIR *d = opendir(at(rel));
	if (!d)
		return 0;
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void set_mtime(const char *rel, time_t t)
{
	struct timespec ts[2] = { { t, 0 }, { t, 0 } };
	ck_assert_int_eq(utimensat(AT_FDCWD, at(rel), ts,
				   AT_SYMLINK_NOFOLLOW),
			 0);
}

static void object_rel(const uint8_t hash[HASH_SIZE], char out[128])
{
	char hex[HASH_HEX_SIZE];
	hash_hex(hash, hex);
	snprintf(out, 128, "objects/%.2s/%s", hex, hex);
}

static void entry_rel(const char *url, char out[128])
{
	uint8_t d[HASH_SIZE];
	char hex[HASH_HEX_SIZE];
	hash_buf(url, strlen(url), d);
	hash_hex(d, hex);
	snprintf(out, 128, "urls/%s", hex);
}

static void make_entry(struct cache_entry *en, const char *url,
		       const uint8_t hash[HASH_SIZE], uint64_t size)
{
	memset(en, 0, sizeof(*en));
	snprintf(en->url, sizeof(en->url), "%s", url);
	memcpy(en->object, hash, HASH_SIZE);
	en->size = size;
	en->fetched = 1700000000;
	en->expires = 1700003600;
}

/* Stores data as an object and an entry for url naming it. */
static void put(struct cache *c, const char *url, const char *data,
		uint8_t hash[HASH_SIZE])
{
	struct cache_entry en;
	struct error e;
	hash_buf(data, strlen(data), hash);
	ck_assert_int_eq(cache_object_store(c, data, strlen(data), hash, &e),
			 0);
	make_entry(&en, url, hash, strlen(data));
	ck_assert_int_eq(cache_entry_store(c, &en, &e), 0);
}

static void write_file(const char *path, const char *data)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write_full(fd, data, strlen(data)), 0);
	ck_assert_int_eq(close(fd), 0);
}

/* ---- the entry format ------------------------------------------------ */

static const char valid_entry[] =
	"fakeos-cache-entry 1\n"
	"url http://127.0.0.1:8080/hello\n"
	"object ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n"
	"size 3\n"
	"fetched 1700000000\n"
	"expires 1700003600\n"
	"etag \"abc-1\"\n"
	"last-modified Sat, 23 Nov 2024 10:00:00 GMT\n"
	"end\n";

/* Parses text (NUL-terminated), expecting failure; returns the message. */
static const char *parse_fails(const char *text)
{
	static struct error e;
	struct cache_entry en;
	ck_assert_int_eq(cache_entry_parse(text, strlen(text), &en, &e),
			 -EBADMSG);
	return e.msg;
}

/* valid_entry with the line starting with `key ` replaced by `line` (or
 * removed when line is NULL). */
static const char *with_line(const char *key, const char *line)
{
	static char out[CACHE_ENTRY_MAX];
	size_t o = 0, klen = strlen(key);
	for (const char *p = valid_entry; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = (size_t)(nl - p) + 1;
		if (strncmp(p, key, klen) == 0 &&
		    (p[klen] == ' ' || p[klen] == '\n')) {
			if (line)
				o += (size_t)snprintf(out + o, sizeof(out) - o,
						      "%s\n", line);
		} else {
			memcpy(out + o, p, n);
			o += n;
		}
		p += n;
	}
	out[o] = '\0';
	return out;
}

START_TEST(test_cache_entry_round_trips_through_format_and_parse)
{
	struct cache_entry en;
	struct error e;
	char buf[CACHE_ENTRY_MAX + 1];
	size_t len;

	ck_assert_int_eq(cache_entry_parse(valid_entry, strlen(valid_entry),
					   &en, &e),
			 0);
	ck_assert_str_eq(en.url, "http://127.0.0.1:8080/hello");
	ck_assert_int_eq(en.object[0], 0xba);
	ck_assert_uint_eq(en.size, 3);
	ck_assert_int_eq(en.fetched, 1700000000);
	ck_assert_int_eq(en.expires, 1700003600);
	ck_assert_str_eq(en.etag, "\"abc-1\"");
	ck_assert_str_eq(en.last_modified, "Sat, 23 Nov 2024 10:00:00 GMT");
	ck_assert_int_eq(cache_entry_format(&en, buf, sizeof(buf), &len, &e),
			 0);
	ck_assert_uint_eq(len, strlen(valid_entry));
	ck_assert_str_eq(buf, valid_entry);
}
END_TEST

START_TEST(test_cache_entry_without_validators_round_trips)
{
	struct cache_entry en, back;
	struct error e;
	char buf[CACHE_ENTRY_MAX + 1];
	size_t len;
	uint8_t h[HASH_SIZE] = { 1, 2, 3 };

	make_entry(&en, "https://h/p?q=1", h, 0);
	ck_assert_int_eq(cache_entry_format(&en, buf, sizeof(buf), &len, &e),
			 0);
	ck_assert_ptr_null(strstr(buf, "etag"));
	ck_assert_ptr_null(strstr(buf, "last-modified"));
	ck_assert_int_eq(cache_entry_parse(buf, len, &back, &e), 0);
	ck_assert_mem_eq(&en, &back, sizeof(en));
}
END_TEST

START_TEST(test_cache_entry_parse_rejects_other_versions)
{
	char s[CACHE_ENTRY_MAX];
	snprintf(s, sizeof(s), "fakeos-cache-entry 2%s",
		 strchr(valid_entry, '\n'));
	ck_assert_str_eq(parse_fails(s), "line 1: not a version 1 cache entry");
	ck_assert_str_eq(parse_fails(strchr(valid_entry, '\n') + 1),
			 "line 1: not a version 1 cache entry");
	ck_assert_str_eq(parse_fails(""), "empty entry");
}
END_TEST

START_TEST(test_cache_entry_parse_rejects_unknown_and_duplicate_keys)
{
	char s[CACHE_ENTRY_MAX];
	ck_assert_str_eq(parse_fails(with_line("end", "path /etc/passwd\nend")),
			 "line 9: unknown key");
	ck_assert_str_eq(parse_fails(with_line("end", "size 4\nend")),
			 "line 9: duplicate size");
	ck_assert_str_eq(parse_fails(with_line("end", "junk\nend")),
			 "line 9: expected 'key value'");
	snprintf(s, sizeof(s), "%ssize 4\n", valid_entry);
	ck_assert_str_eq(parse_fails(s), "line 10: after 'end'");
	ck_assert_str_eq(parse_fails(with_line("end", NULL)),
			 "no 'end' line: truncated");
}
END_TEST

/* One spelling per entry: the order cache_entry_format writes (found by
 * test/fuzz/fuzz_cache.c, which formats what parses and compares). */
START_TEST(test_cache_entry_parse_rejects_keys_out_of_order)
{
	ck_assert_str_eq(parse_fails("fakeos-cache-entry 1\n"
				     "object ba7816bf8f01cfea414140de5dae2223b0"
				     "0361a396177a9cb410ff61f20015ad\n"
				     "url http://h/p\nsize 0\nfetched 0\n"
				     "expires 0\nend\n"),
			 "line 3: url out of order");
	ck_assert_str_eq(parse_fails("fakeos-cache-entry 1\nurl http://h/p\n"
				     "object ba7816bf8f01cfea414140de5dae2223b0"
				     "0361a396177a9cb410ff61f20015ad\n"
				     "size 0\nfetched 0\nexpires 0\n"
				     "last-modified x\netag y\nend\n"),
			 "line 8: etag out of order");
}
END_TEST

START_TEST(test_cache_entry_parse_rejects_missing_required_fields)
{
	static const char *const keys[] = { "url", "object", "size", "fetched",
					    "expires" };
	for (size_t i = 0; i < 5; i++) {
		char want[64];
		snprintf(want, sizeof(want), "missing %s", keys[i]);
		ck_assert_str_eq(parse_fails(with_line(keys[i], NULL)), want);
	}
	/* The optional ones may go. */
	struct cache_entry en;
	struct error e;
	const char *s = with_line("etag", NULL);
	ck_assert_int_eq(cache_entry_parse(s, strlen(s), &en, &e), 0);
}
END_TEST

START_TEST(test_cache_entry_object_is_only_a_lower_case_digest)
{
	/* An entry must never be able to name a file: the object is a
	 * digest and its path is derived from it. */
	ck_assert_contains(parse_fails(with_line("object",
						 "object ../../../etc/passwd")),
			   "object is not 64 lower-case hex digits");
	ck_assert_contains(
		parse_fails(with_line("object",
				      "object BA7816BF8F01CFEA414140DE5DAE2223"
				      "B00361A396177A9CB410FF61F20015AD")),
		"lower-case");
	ck_assert_contains(
		parse_fails(with_line("object",
				      "object ba7816bf8f01cfea414140de5dae2223"
				      "b00361a396177a9cb410ff61f20015a")),
		"lower-case");
	ck_assert_contains(
		parse_fails(with_line("object",
				      "object ba7816bf8f01cfea414140de5dae2223"
				      "b00361a396177a9cb410ff61f20015ad0")),
		"lower-case");
}
END_TEST

START_TEST(test_cache_entry_parse_rejects_missing_final_newline)
{
	char s[CACHE_ENTRY_MAX];
	snprintf(s, sizeof(s), "%s", valid_entry);
	s[strlen(s) - 1] = '\0';
	ck_assert_str_eq(parse_fails(s), "line 9: no newline at the end");
}
END_TEST

START_TEST(test_cache_entry_parse_rejects_control_bytes_and_nul)
{
	char s[CACHE_ENTRY_MAX];
	struct cache_entry en;
	struct error e;

	ck_assert_contains(parse_fails(with_line("etag", "etag \"a\rb\"")),
			   "line 7: control or non-ASCII byte");
	ck_assert_contains(parse_fails(with_line("etag", "etag \"\xc3\xa9\"")),
			   "non-ASCII");
	size_t n = strlen(valid_entry);
	memcpy(s, valid_entry, n);
	s[20] = '\0'; /* inside the first line */
	ck_assert_int_eq(cache_entry_parse(s, n, &en, &e), -EBADMSG);
	memcpy(s, valid_entry, n);
	s[n - 3] = '\0'; /* inside the last value */
	ck_assert_int_eq(cache_entry_parse(s, n, &en, &e), -EBADMSG);
	ck_assert_str_eq(e.msg, "line 9: control or non-ASCII byte");
}
END_TEST

START_TEST(test_cache_entry_parse_rejects_non_canonical_numbers)
{
	static const char *const bad[] = {
		"size 03", "size +3", "size -3", "size 3x", "size 0x10",
		"size 9223372036854775808", "size 99999999999999999999",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_str_eq(parse_fails(with_line("size", bad[i])),
				 "line 4: size is not a decimal number");
	struct cache_entry en;
	struct error e;
	const char *s = with_line("size", "size 9223372036854775807");
	ck_assert_int_eq(cache_entry_parse(s, strlen(s), &en, &e), 0);
	s = with_line("size", "size 0");
	ck_assert_int_eq(cache_entry_parse(s, strlen(s), &en, &e), 0);
}
END_TEST

START_TEST(test_cache_entry_parse_rejects_expiry_before_fetch)
{
	ck_assert_str_eq(parse_fails(with_line("expires",
					       "expires 1699999999")),
			 "expires before fetched");
}
END_TEST

START_TEST(test_cache_entry_parse_rejects_file_and_fragment_urls)
{
	ck_assert_contains(parse_fails(with_line("url", "url file:///bin/sh")),
			   "not an http(s) URL without fragment");
	ck_assert_contains(
		parse_fails(with_line("url",
				      "url http://h/p#sha256=ba7816bf8f01cfea41"
				      "4140de5dae2223b00361a396177a9cb410ff61f2"
				      "0015ad")),
		"not an http(s) URL without fragment");
	ck_assert_contains(parse_fails(with_line("url", "url HTTP://h/p")),
			   "not an http(s) URL without fragment");
	ck_assert_contains(parse_fails(with_line("url", "url ftp://h/p")),
			   "bad URL: unsupported scheme");
}
END_TEST

START_TEST(test_cache_entry_parse_rejects_stray_spaces)
{
	ck_assert_contains(parse_fails(with_line("size", "size  3")),
			   "stray space");
	ck_assert_contains(parse_fails(with_line("size", "size 3 ")),
			   "stray space");
	ck_assert_contains(parse_fails(with_line("size", "size ")),
			   "empty value");
}
END_TEST

START_TEST(test_cache_entry_parse_rejects_oversized_input)
{
	static char big[CACHE_ENTRY_MAX + 2];
	struct cache_entry en;
	struct error e;
	memset(big, 'a', sizeof(big));
	ck_assert_int_eq(cache_entry_parse(big, sizeof(big), &en, &e),
			 -EBADMSG);
	ck_assert_contains(e.msg, "entry too large");
}
END_TEST

START_TEST(test_cache_entry_parse_rejects_every_prefix_of_a_valid_entry)
{
	struct cache_entry en;
	struct error e;
	size_t n = strlen(valid_entry);
	/* Every cut fails, even one at a line boundary after the required
	 * fields: a torn write can never read as a valid entry. */
	for (size_t len = 0; len < n; len++)
		ck_assert_int_eq(cache_entry_parse(valid_entry, len, &en, &e),
				 -EBADMSG);
}
END_TEST

START_TEST(test_cache_entry_format_refuses_fields_that_would_not_parse)
{
	struct cache_entry en;
	struct error e;
	char buf[CACHE_ENTRY_MAX + 1];
	size_t len;
	uint8_t h[HASH_SIZE] = { 0 };

	make_entry(&en, "http://h/p", h, 1);
	snprintf(en.etag, sizeof(en.etag), "\"x\"\nobject 00");
	ck_assert_int_eq(cache_entry_format(&en, buf, sizeof(buf), &len, &e),
			 -EINVAL);
	make_entry(&en, "file:///bin/sh", h, 1);
	ck_assert_int_eq(cache_entry_format(&en, buf, sizeof(buf), &len, &e),
			 -EINVAL);
	make_entry(&en, "http://h/p", h, 1);
	en.expires = en.fetched - 1;
	ck_assert_int_eq(cache_entry_format(&en, buf, sizeof(buf), &len, &e),
			 -EINVAL);
	make_entry(&en, "http://h/p", h, 1);
	ck_assert_int_eq(cache_entry_format(&en, buf, 20, &len, &e), -ENOSPC);
}
END_TEST

/* ---- where the cache is ---------------------------------------------- */

START_TEST(test_cache_default_dir_is_var_cache_for_root)
{
	char *d;
	struct error e;
	if (geteuid() != 0)
		return; /* only meaningful as root */
	setenv("XDG_CACHE_HOME", "/elsewhere", 1);
	ck_assert_int_eq(cache_default_dir(&d, &e), 0);
	ck_assert_str_eq(d, "/var/cache/fakeos");
	free(d);
}
END_TEST

/* Runs cache_default_dir as an unprivileged user (when root) with the
 * given environment and returns the answer. */
static char *default_dir_as_user(const char *xdg, const char *home)
{
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char *d = NULL;
		struct error e;
		if (xdg)
			setenv("XDG_CACHE_HOME", xdg, 1);
		else
			unsetenv("XDG_CACHE_HOME");
		if (home)
			setenv("HOME", home, 1);
		else
			unsetenv("HOME");
		if (geteuid() == 0 && seteuid(65534) < 0)
			_exit(2);
		if (cache_default_dir(&d, &e) < 0)
			d = e.msg;
		(void)write_full(p[1], d, strlen(d));
		_exit(0);
	}
	close(p[1]);
	static char buf[512];
	ssize_t n = read(p[0], buf, sizeof(buf) - 1);
	ck_assert_int_ge(n, 0);
	buf[n] = '\0';
	close(p[0]);
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	return buf;
}

START_TEST(test_cache_default_dir_follows_xdg_then_home_for_users)
{
	ck_assert_str_eq(default_dir_as_user("/x/cache", "/home/u"),
			 "/x/cache/fakeos");
	/* A relative XDG_CACHE_HOME is invalid by the spec: ignored. */
	ck_assert_str_eq(default_dir_as_user("rel", "/home/u"),
			 "/home/u/.cache/fakeos");
	ck_assert_str_eq(default_dir_as_user(NULL, "/home/u"),
			 "/home/u/.cache/fakeos");
}
END_TEST

/* ---- opening and hardening ------------------------------------------- */

START_TEST(test_cache_open_creates_private_directory_with_parents)
{
	struct stat st;
	snprintf(root, sizeof(root), "%s/a/b/fakeos", tmp);
	struct cache *c = open_cache();
	ck_assert_int_eq(stat(root, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_int_eq(st.st_mode & 07777, 0700);
	cache_close(c);
}
END_TEST

START_TEST(test_cache_open_without_create_reports_missing_dir)
{
	struct cache *c;
	struct error e;
	ck_assert_int_eq(cache_open(root, false, &c, &e), -ENOENT);
	ck_assert_contains(e.msg, "does not exist");
	ck_assert(!exists(""));
}
END_TEST

START_TEST(test_cache_open_refuses_symlinked_root)
{
	struct cache *c;
	struct error e;
	char real[128];
	snprintf(real, sizeof(real), "%s/real", tmp);
	ck_assert_int_eq(mkdir(real, 0700), 0);
	ck_assert_int_eq(symlink(real, root), 0);
	ck_assert_int_eq(cache_open(root, true, &c, &e), -ELOOP);
	ck_assert_contains(e.msg, "is a symbolic link; refused");
}
END_TEST

START_TEST(test_cache_open_refuses_group_or_world_writable_root)
{
	struct cache *c;
	struct error e;
	ck_assert_int_eq(mkdir(root, 0700), 0);
	ck_assert_int_eq(chmod(root, 0770), 0);
	ck_assert_int_eq(cache_open(root, true, &c, &e), -EPERM);
	ck_assert_contains(e.msg, "writable by group or others (mode 0770); "
				  "refused");
	ck_assert_int_eq(chmod(root, 0703), 0);
	ck_assert_int_eq(cache_open(root, true, &c, &e), -EPERM);
}
END_TEST

START_TEST(test_cache_open_refuses_root_owned_by_someone_else)
{
	struct cache *c;
	struct error e;
	if (geteuid() != 0)
		return; /* chown needs root */
	ck_assert_int_eq(mkdir(root, 0700), 0);
	ck_assert_int_eq(chown(root, 1234, 1234), 0);
	ck_assert_int_eq(cache_open(root, true, &c, &e), -EPERM);
	ck_assert_contains(e.msg, "is owned by uid 1234, not 0; refused");
}
END_TEST

/* ---- objects and entries --------------------------------------------- */

START_TEST(test_cache_stores_object_read_only_under_its_digest)
{
	struct cache *c = open_cache();
	uint8_t h[HASH_SIZE];
	char rel[128], buf[16];
	struct stat st;
	struct error e;
	int fd;
	uint64_t size;

	hash_buf("hello", 5, h);
	ck_assert_int_eq(cache_object_store(c, "hello", 5, h, &e), 0);
	object_rel(h, rel);
	ck_assert_int_eq(lstat(at(rel), &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_int_eq(st.st_mode & 07777, 0444);
	ck_assert_int_eq(cache_object_open(c, h, &fd, &size, &e), 0);
	ck_assert_uint_eq(size, 5);
	ck_assert_int_eq(read_full(fd, buf, 5), 0);
	ck_assert_mem_eq(buf, "hello", 5);
	close(fd);
	/* Storing again is harmless, and nothing is left in tmp/. */
	ck_assert_int_eq(cache_object_store(c, "hello", 5, h, &e), 0);
	ck_assert_uint_eq(count_dir("tmp"), 0);
	ck_assert_int_eq(cache_object_remove(c, h, &e), 0);
	ck_assert(!exists(rel));
	ck_assert_int_eq(cache_object_open(c, h, &fd, &size, &e), -ENOENT);
	ck_assert_int_eq(cache_object_remove(c, h, &e), 0);
	cache_close(c);
}
END_TEST

START_TEST(test_cache_stores_entry_under_url_digest_and_loads_it_back)
{
	struct cache *c = open_cache();
	struct cache_entry en, back;
	struct error e;
	uint8_t h[HASH_SIZE] = { 9 };
	char rel[128];

	make_entry(&en, "http://h/prog", h, 77);
	snprintf(en.etag, sizeof(en.etag), "\"v1\"");
	ck_assert_int_eq(cache_entry_store(c, &en, &e), 0);
	entry_rel("http://h/prog", rel);
	ck_assert(exists(rel));
	ck_assert_int_eq(cache_entry_load(c, "http://h/prog", &back, &e), 0);
	ck_assert_mem_eq(&en, &back, sizeof(en));
	ck_assert_int_eq(cache_entry_load(c, "http://h/other", &back, &e),
			 -ENOENT);
	ck_assert_int_eq(cache_entry_remove(c, "http://h/prog", &e), 0);
	ck_assert(!exists(rel));
	ck_assert_int_eq(cache_entry_remove(c, "http://h/prog", &e), 0);
	cache_close(c);
}
END_TEST

START_TEST(test_cache_rejects_entry_stored_under_another_urls_name)
{
	struct cache *c = open_cache();
	struct cache_entry en;
	struct error e;
	uint8_t h[HASH_SIZE] = { 0 };
	char a[128], b[128];

	make_entry(&en, "http://h/a", h, 1);
	ck_assert_int_eq(cache_entry_store(c, &en, &e), 0);
	entry_rel("http://h/a", a);
	entry_rel("http://h/b", b);
	ck_assert_int_eq(rename(at(a), at(b)), 0);
	ck_assert_int_eq(cache_entry_load(c, "http://h/b", &en, &e), -EBADMSG);
	ck_assert_contains(e.msg, "stored under another URL's name");
	cache_close(c);
}
END_TEST

START_TEST(test_cache_reports_malformed_entry)
{
	struct cache *c = open_cache();
	struct cache_entry en;
	struct error e;
	char rel[128];

	ck_assert_int_eq(mkdir(at("urls"), 0700), 0);
	entry_rel("http://h/a", rel);
	write_file(at(rel), "fakeos-cache-entry 1\nurl http://h/a\n");
	ck_assert_int_eq(cache_entry_load(c, "http://h/a", &en, &e), -EBADMSG);
	ck_assert_contains(e.msg, "is malformed: missing object");
	cache_close(c);
}
END_TEST

START_TEST(test_cache_refuses_symlinked_object_dir)
{
	struct cache *c = open_cache();
	uint8_t h[HASH_SIZE];
	char rel[128], hex[HASH_HEX_SIZE], outside[256], planted[400];
	struct error e;
	int fd = -1;
	uint64_t size;

	/* objects/xx -> a directory outside the cache holding a file with
	 * the object's name: following it would run the planted file. */
	hash_buf("real", 4, h);
	hash_hex(h, hex);
	snprintf(outside, sizeof(outside), "%s/outside", tmp);
	ck_assert_int_eq(mkdir(outside, 0700), 0);
	snprintf(planted, sizeof(planted), "%s/%s", outside, hex);
	write_file(planted, "planted");
	ck_assert_int_eq(mkdir(at("objects"), 0700), 0);
	snprintf(rel, sizeof(rel), "objects/%.2s", hex);
	ck_assert_int_eq(symlink(outside, at(rel)), 0);

	ck_assert_int_eq(cache_object_open(c, h, &fd, &size, &e), -ELOOP);
	ck_assert_int_eq(fd, -1);
	ck_assert_contains(e.msg, "symbolic link; refused");
	/* Storing refuses too, and writes nothing outside. */
	ck_assert_int_eq(cache_object_store(c, "real", 4, h, &e), -ELOOP);
	char buf[16] = { 0 };
	int pfd = open(planted, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(pfd, 0);
	ck_assert_int_gt(read(pfd, buf, sizeof(buf) - 1), 0);
	close(pfd);
	ck_assert_str_eq(buf, "planted");
	cache_close(c);
}
END_TEST

START_TEST(test_cache_refuses_symlinked_objects_and_urls_dirs)
{
	struct cache *c = open_cache();
	struct cache_entry en;
	struct error e;
	uint8_t h[HASH_SIZE];
	char outside[256];

	snprintf(outside, sizeof(outside), "%s/outside", tmp);
	ck_assert_int_eq(mkdir(outside, 0700), 0);
	ck_assert_int_eq(symlink(outside, at("objects")), 0);
	ck_assert_int_eq(symlink(outside, at("urls")), 0);
	hash_buf("x", 1, h);
	ck_assert_int_eq(cache_object_store(c, "x", 1, h, &e), -ELOOP);
	make_entry(&en, "http://h/p", h, 1);
	ck_assert_int_eq(cache_entry_store(c, &en, &e), -ELOOP);
	ck_assert_int_eq(cache_entry_load(c, "http://h/p", &en, &e), -ELOOP);
	DIR *d = opendir(outside);
	ck_assert_ptr_nonnull(d);
	unsigned n = 0;
	while (readdir(d))
		n++;
	closedir(d);
	ck_assert_uint_eq(n, 2); /* "." and ".." only */
	cache_close(c);
}
END_TEST

START_TEST(test_cache_refuses_symlinked_entry)
{
	struct cache *c = open_cache();
	struct cache_entry en;
	struct error e;
	char rel[128], outside[256];

	snprintf(outside, sizeof(outside), "%s/entry", tmp);
	write_file(outside, valid_entry);
	ck_assert_int_eq(mkdir(at("urls"), 0700), 0);
	entry_rel("http://127.0.0.1:8080/hello", rel);
	ck_assert_int_eq(symlink(outside, at(rel)), 0);
	ck_assert_int_eq(cache_entry_load(c, "http://127.0.0.1:8080/hello", &en,
					  &e),
			 -ELOOP);
	ck_assert_contains(e.msg, "symbolic link; refused");
	cache_close(c);
}
END_TEST

START_TEST(test_cache_refuses_fifo_as_object_without_hanging)
{
	struct cache *c = open_cache();
	uint8_t h[HASH_SIZE];
	char rel[128], hex[HASH_HEX_SIZE], dir[128];
	struct error e;
	int fd;
	uint64_t size;

	hash_buf("f", 1, h);
	hash_hex(h, hex);
	snprintf(dir, sizeof(dir), "objects/%.2s", hex);
	ck_assert_int_eq(mkdir(at("objects"), 0700), 0);
	ck_assert_int_eq(mkdir(at(dir), 0700), 0);
	object_rel(h, rel);
	ck_assert_int_eq(mkfifo(at(rel), 0600), 0);
	ck_assert_int_eq(cache_object_open(c, h, &fd, &size, &e), -EINVAL);
	ck_assert_contains(e.msg, "is not a regular file; refused");
	cache_close(c);
}
END_TEST

START_TEST(test_cache_object_touch_records_last_use)
{
	struct cache *c = open_cache();
	uint8_t h[HASH_SIZE];
	char rel[128];
	struct error e;
	struct stat st;
	int fd;
	uint64_t size;

	put(c, "http://h/p", "data", h);
	object_rel(h, rel);
	set_mtime(rel, 1000);
	ck_assert_int_eq(cache_object_open(c, h, &fd, &size, &e), 0);
	cache_object_touch(fd);
	close(fd);
	ck_assert_int_eq(lstat(at(rel), &st), 0);
	ck_assert_int_ge(st.st_mtime, time(NULL) - 5);
	cache_close(c);
}
END_TEST

/* ---- locking --------------------------------------------------------- */

START_TEST(test_cache_url_lock_excludes_a_second_launch)
{
	struct cache *c = open_cache();
	struct error e;
	int p[2];
	char marker[256];
	int lock = -1;

	snprintf(marker, sizeof(marker), "%s/marker", tmp);
	ck_assert_int_eq(pipe(p), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int l = -1;
		if (cache_lock_url(c, "http://h/p", &l, &e) < 0)
			_exit(1);
		(void)write_full(p[1], "x", 1);
		usleep(300 * 1000);
		/* Only now, still holding the lock, does the "fetch" end. */
		write_file(marker, "done");
		cache_unlock(&l);
		_exit(0);
	}
	close(p[1]);
	char x;
	ck_assert_int_eq(read_full(p[0], &x, 1), 0);
	ck_assert_int_eq(cache_lock_url(c, "http://h/p", &lock, &e), 0);
	/* We got the lock, so the other launch had finished. */
	ck_assert_int_eq(access(marker, F_OK), 0);
	cache_unlock(&lock);
	ck_assert_int_eq(lock, -1);
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(p[0]);
	cache_close(c);
}
END_TEST

START_TEST(test_cache_url_locks_are_per_url)
{
	struct cache *c = open_cache();
	struct error e;
	int a = -1, b = -1;
	ck_assert_int_eq(cache_lock_url(c, "http://h/a", &a, &e), 0);
	/* Would block forever if one lock covered every URL. */
	ck_assert_int_eq(cache_lock_url(c, "http://h/b", &b, &e), 0);
	cache_unlock(&a);
	cache_unlock(&b);
	cache_close(c);
}
END_TEST

START_TEST(test_cache_url_lock_recreates_a_removed_lock_file)
{
	struct cache *c = open_cache();
	struct error e;
	int l = -1;
	ck_assert_int_eq(cache_lock_url(c, "http://h/a", &l, &e), 0);
	cache_unlock(&l);
	ck_assert_uint_eq(count_dir("locks"), 1);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -f %s/*", at("locks"));
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(cache_lock_url(c, "http://h/a", &l, &e), 0);
	ck_assert_uint_eq(count_dir("locks"), 1);
	cache_unlock(&l);
	cache_close(c);
}
END_TEST

/* ---- eviction -------------------------------------------------------- */

/* Stores three 100-byte objects for three URLs, used at times 1000, 2000
 * and 3000 (oldest first). */
static void put_three(struct cache *c, uint8_t h[3][HASH_SIZE])
{
	static const char *const urls[] = { "http://h/1", "http://h/2",
					    "http://h/3" };
	char data[101], rel[128];
	for (int i = 0; i < 3; i++) {
		memset(data, 'a' + i, 100);
		data[100] = '\0';
		put(c, urls[i], data, h[i]);
		object_rel(h[i], rel);
		set_mtime(rel, 1000 * (i + 1));
	}
}

START_TEST(test_cache_evicts_least_recently_used_first)
{
	struct cache *c = open_cache();
	uint8_t h[3][HASH_SIZE];
	char rel[3][128];
	struct error e;
	unsigned removed = 0;

	put_three(c, h);
	for (int i = 0; i < 3; i++)
		object_rel(h[i], rel[i]);
	ck_assert_int_eq(cache_evict(c, 250, NULL, &removed, &e), 0);
	ck_assert_uint_eq(removed, 1);
	ck_assert(!exists(rel[0]));
	ck_assert(exists(rel[1]));
	ck_assert(exists(rel[2]));
	ck_assert_int_eq(cache_evict(c, 100, NULL, &removed, &e), 0);
	ck_assert_uint_eq(removed, 1);
	ck_assert(!exists(rel[1]));
	ck_assert(exists(rel[2]));
	cache_close(c);
}
END_TEST

START_TEST(test_cache_evict_never_removes_the_kept_object)
{
	struct cache *c = open_cache();
	uint8_t h[3][HASH_SIZE];
	char rel[3][128];
	struct error e;
	unsigned removed = 0;

	put_three(c, h);
	for (int i = 0; i < 3; i++)
		object_rel(h[i], rel[i]);
	/* The oldest is the one being launched: the next oldest goes. */
	ck_assert_int_eq(cache_evict(c, 250, h[0], &removed, &e), 0);
	ck_assert(exists(rel[0]));
	ck_assert(!exists(rel[1]));
	ck_assert(exists(rel[2]));
	/* Even a bound of 0 keeps it. */
	ck_assert_int_eq(cache_evict(c, 0, h[0], &removed, &e), 0);
	ck_assert(exists(rel[0]));
	ck_assert(!exists(rel[2]));
	cache_close(c);
}
END_TEST

START_TEST(test_cache_evict_removes_entries_of_evicted_objects)
{
	struct cache *c = open_cache();
	uint8_t h[3][HASH_SIZE];
	struct cache_entry en;
	struct error e;

	put_three(c, h);
	int l = -1;
	ck_assert_int_eq(cache_lock_url(c, "http://h/1", &l, &e), 0);
	cache_unlock(&l);
	ck_assert_uint_eq(count_dir("locks"), 1);
	ck_assert_int_eq(cache_evict(c, 250, NULL, NULL, &e), 0);
	ck_assert_int_eq(cache_entry_load(c, "http://h/1", &en, &e), -ENOENT);
	ck_assert_int_eq(cache_entry_load(c, "http://h/2", &en, &e), 0);
	ck_assert_int_eq(cache_entry_load(c, "http://h/3", &en, &e), 0);
	ck_assert_uint_eq(count_dir("locks"), 0);
	cache_close(c);
}
END_TEST

START_TEST(test_cache_evict_keeps_everything_under_the_bound)
{
	struct cache *c = open_cache();
	uint8_t h[3][HASH_SIZE];
	struct error e;
	unsigned removed = 99;

	put_three(c, h);
	ck_assert_int_eq(cache_evict(c, 300, NULL, &removed, &e), 0);
	ck_assert_uint_eq(removed, 0);
	ck_assert_uint_eq(count_dir("urls"), 3);
	cache_close(c);
}
END_TEST

START_TEST(test_cache_evict_removes_stale_temporary_files)
{
	struct cache *c = open_cache();
	uint8_t h[HASH_SIZE];
	struct error e;

	put(c, "http://h/p", "x", h);
	write_file(at("tmp/crashed"), "partial");
	set_mtime("tmp/crashed", time(NULL) - 2 * 3600);
	write_file(at("tmp/in-progress"), "partial");
	ck_assert_int_eq(cache_evict(c, 1 << 30, NULL, NULL, &e), 0);
	ck_assert(!exists("tmp/crashed"));
	ck_assert(exists("tmp/in-progress"));
	cache_close(c);
}
END_TEST

/* ---- list, verify, clear --------------------------------------------- */

/* Runs fn's output into a string. */
static char *capture_buf;
static size_t capture_len;

static FILE *capture(void)
{
	free(capture_buf);
	capture_buf = NULL;
	FILE *f = open_memstream(&capture_buf, &capture_len);
	ck_assert_ptr_nonnull(f);
	return f;
}

START_TEST(test_cache_list_prints_one_line_per_entry_sorted)
{
	struct cache *c = open_cache();
	uint8_t a[HASH_SIZE], b[HASH_SIZE];
	char hex[HASH_HEX_SIZE], rel[128], want[512];
	struct error e;

	put(c, "http://h/zz", "second", b);
	put(c, "http://h/aa", "first", a);
	object_rel(a, rel);
	set_mtime(rel, 1700001000);
	object_rel(b, rel);
	ck_assert_int_eq(unlink(at(rel)), 0);
	cache_close(c);

	FILE *f = capture();
	ck_assert_int_eq(cli_cache_list(root, f, &e), 0);
	fclose(f);
	hash_hex(a, hex);
	snprintf(want, sizeof(want),
		 "http://h/aa sha256=%s size=5 fetched=2023-11-14T22:13:20Z "
		 "expires=2023-11-14T23:13:20Z used=2023-11-14T22:30:00Z\n",
		 hex);
	hash_hex(b, hex);
	size_t n = strlen(want);
	snprintf(want + n, sizeof(want) - n,
		 "http://h/zz sha256=%s size=6 fetched=2023-11-14T22:13:20Z "
		 "expires=2023-11-14T23:13:20Z used=never\n",
		 hex);
	ck_assert_str_eq(capture_buf, want);
}
END_TEST

START_TEST(test_cache_list_of_missing_cache_is_empty)
{
	struct error e;
	FILE *f = capture();
	ck_assert_int_eq(cli_cache_list(root, f, &e), 0);
	fclose(f);
	ck_assert_str_eq(capture_buf, "");
	ck_assert(!exists(""));
}
END_TEST

START_TEST(test_cache_verify_reports_all_good)
{
	struct cache *c = open_cache();
	uint8_t h[3][HASH_SIZE];
	struct error e;
	unsigned bad = 99;

	put_three(c, h);
	cache_close(c);
	FILE *f = capture();
	ck_assert_int_eq(cli_cache_verify(root, f, &bad, &e), 0);
	fclose(f);
	ck_assert_uint_eq(bad, 0);
	ck_assert_str_eq(capture_buf, "verified 3 objects and 3 entries: all "
				      "good\n");
}
END_TEST

START_TEST(test_cache_verify_removes_corrupt_object_and_reports_it)
{
	struct cache *c = open_cache();
	uint8_t h[3][HASH_SIZE];
	char rel[128], hex[HASH_HEX_SIZE];
	struct cache_entry en;
	struct error e;
	unsigned bad = 0;

	put_three(c, h);
	object_rel(h[1], rel);
	ck_assert_int_eq(chmod(at(rel), 0644), 0);
	int fd = open(at(rel), O_WRONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, "X", 1, 50), 1);
	close(fd);

	FILE *f = capture();
	ck_assert_int_eq(cli_cache_verify(root, f, &bad, &e), 0);
	fclose(f);
	ck_assert_uint_eq(bad, 1);
	hash_hex(h[1], hex);
	ck_assert_contains(capture_buf, hex);
	ck_assert_contains(capture_buf, ": corrupt (its bytes hash to ");
	ck_assert_contains(capture_buf, "http://h/2: its object is gone; "
					"entry removed\n");
	ck_assert_contains(capture_buf, "verified 3 objects and 3 entries: 1 "
					"bad, removed\n");
	ck_assert(!exists(rel));
	ck_assert_int_eq(cache_entry_load(c, "http://h/2", &en, &e), -ENOENT);
	ck_assert_int_eq(cache_entry_load(c, "http://h/1", &en, &e), 0);
	cache_close(c);
}
END_TEST

START_TEST(test_cache_verify_removes_malformed_entries_and_strays)
{
	struct cache *c = open_cache();
	uint8_t h[HASH_SIZE];
	char rel[128];
	struct error e;
	unsigned bad = 0;

	put(c, "http://h/p", "x", h);
	entry_rel("http://h/q", rel);
	write_file(at(rel), "garbage\n");
	write_file(at("objects/stray"), "?");
	ck_assert_int_eq(symlink("/etc/passwd", at("urls/link")), 0);
	cache_close(c);

	FILE *f = capture();
	ck_assert_int_eq(cli_cache_verify(root, f, &bad, &e), 0);
	fclose(f);
	ck_assert_uint_eq(bad, 3);
	ck_assert_contains(capture_buf, "objects/stray: not a cache object; "
					"removed\n");
	ck_assert_contains(capture_buf, "urls/link: not a cache entry; "
					"removed\n");
	ck_assert_contains(capture_buf, "is malformed: line 1: not a version "
					"1 cache entry; removed\n");
	ck_assert(!exists(rel));
	ck_assert(!exists("objects/stray"));
	ck_assert(!exists("urls/link"));
	ck_assert_int_eq(access("/etc/passwd", F_OK), 0);
	ck_assert_uint_eq(count_dir("urls"), 1);
}
END_TEST

START_TEST(test_cache_verify_of_missing_cache_is_all_good)
{
	struct error e;
	unsigned bad = 99;
	FILE *f = capture();
	ck_assert_int_eq(cli_cache_verify(root, f, &bad, &e), 0);
	fclose(f);
	ck_assert_uint_eq(bad, 0);
}
END_TEST

START_TEST(test_cache_clear_leaves_an_empty_cache)
{
	struct cache *c = open_cache();
	uint8_t h[3][HASH_SIZE];
	struct error e;
	int l = -1;

	put_three(c, h);
	ck_assert_int_eq(cache_lock_url(c, "http://h/1", &l, &e), 0);
	cache_unlock(&l);
	write_file(at("tmp/leftover"), "x");
	cache_close(c);

	FILE *f = capture();
	ck_assert_int_eq(cli_cache_clear(root, f, &e), 0);
	fclose(f);
	ck_assert_str_eq(capture_buf, "removed 3 objects and 3 entries\n");
	ck_assert_uint_eq(count_dir("objects"), 0);
	ck_assert_uint_eq(count_dir("urls"), 0);
	ck_assert_uint_eq(count_dir("locks"), 0);
	ck_assert_uint_eq(count_dir("tmp"), 0);
	f = capture();
	ck_assert_int_eq(cli_cache_list(root, f, &e), 0);
	fclose(f);
	ck_assert_str_eq(capture_buf, "");
	/* Still a usable cache. */
	c = open_cache();
	put(c, "http://h/again", "y", h[0]);
	cache_close(c);
}
END_TEST

START_TEST(test_cache_clear_does_not_follow_symlinks_out)
{
	struct cache *c = open_cache();
	uint8_t h[HASH_SIZE];
	struct error e;
	char outside[256], keep[300];

	put(c, "http://h/p", "x", h);
	cache_close(c);
	snprintf(outside, sizeof(outside), "%s/outside", tmp);
	ck_assert_int_eq(mkdir(outside, 0700), 0);
	snprintf(keep, sizeof(keep), "%s/precious", outside);
	write_file(keep, "keep me");
	ck_assert_int_eq(symlink(outside, at("urls/dirlink")), 0);
	ck_assert_int_eq(symlink(outside, at("objects/ab")), 0);

	FILE *f = capture();
	ck_assert_int_eq(cli_cache_clear(root, f, &e), 0);
	fclose(f);
	ck_assert_int_eq(access(keep, F_OK), 0);
	ck_assert(!exists("urls/dirlink"));
	ck_assert(!exists("objects/ab"));
}
END_TEST

START_TEST(test_cache_clear_of_missing_cache_succeeds)
{
	struct error e;
	FILE *f = capture();
	ck_assert_int_eq(cli_cache_clear(root, f, &e), 0);
	fclose(f);
	ck_assert_str_eq(capture_buf, "removed 0 objects and 0 entries\n");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cache");
	TCase *t = tcase_create("format");
	tcase_add_test(t, test_cache_entry_round_trips_through_format_and_parse);
	tcase_add_test(t, test_cache_entry_without_validators_round_trips);
	tcase_add_test(t, test_cache_entry_parse_rejects_other_versions);
	tcase_add_test(t,
		       test_cache_entry_parse_rejects_unknown_and_duplicate_keys);
	tcase_add_test(t, test_cache_entry_parse_rejects_keys_out_of_order);
	tcase_add_test(t,
		       test_cache_entry_parse_rejects_missing_required_fields);
	tcase_add_test(t, test_cache_entry_object_is_only_a_lower_case_digest);
	tcase_add_test(t, test_cache_entry_parse_rejects_missing_final_newline);
	tcase_add_test(t, test_cache_entry_parse_rejects_control_bytes_and_nul);
	tcase_add_test(t,
		       test_cache_entry_parse_rejects_non_canonical_numbers);
	tcase_add_test(t, test_cache_entry_parse_rejects_expiry_before_fetch);
	tcase_add_test(t,
		       test_cache_entry_parse_rejects_file_and_fragment_urls);
	tcase_add_test(t, test_cache_entry_parse_rejects_stray_spaces);
	tcase_add_test(t, test_cache_entry_parse_rejects_oversized_input);
	tcase_add_test(
		t, test_cache_entry_parse_rejects_every_prefix_of_a_valid_entry);
	tcase_add_test(
		t, test_cache_entry_format_refuses_fields_that_would_not_parse);
	suite_add_tcase(s, t);

	t = tcase_create("disk");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, test_cache_default_dir_is_var_cache_for_root);
	tcase_add_test(t,
		       test_cache_default_dir_follows_xdg_then_home_for_users);
	tcase_add_test(t,
		       test_cache_open_creates_private_directory_with_parents);
	tcase_add_test(t, test_cache_open_without_create_reports_missing_dir);
	tcase_add_test(t, test_cache_open_refuses_symlinked_root);
	tcase_add_test(t,
		       test_cache_open_refuses_group_or_world_writable_root);
	tcase_add_test(t, test_cache_open_refuses_root_owned_by_someone_else);
	tcase_add_test(t, test_cache_stores_object_read_only_under_its_digest);
	tcase_add_test(t,
		       test_cache_stores_entry_under_url_digest_and_loads_it_back);
	tcase_add_test(t,
		       test_cache_rejects_entry_stored_under_another_urls_name);
	tcase_add_test(t, test_cache_reports_malformed_entry);
	tcase_add_test(t, test_cache_refuses_symlinked_object_dir);
	tcase_add_test(t, test_cache_refuses_symlinked_objects_and_urls_dirs);
	tcase_add_test(t, test_cache_refuses_symlinked_entry);
	tcase_add_test(t, test_cache_refuses_fifo_as_object_without_hanging);
	tcase_add_test(t, test_cache_object_touch_records_last_use);
	tcase_add_test(t, test_cache_url_lock_excludes_a_second_launch);
	tcase_add_test(t, test_cache_url_locks_are_per_url);
	tcase_add_test(t, test_cache_url_lock_recreates_a_removed_lock_file);
	tcase_add_test(t, test_cache_evicts_least_recently_used_first);
	tcase_add_test(t, test_cache_evict_never_removes_the_kept_object);
	tcase_add_test(t, test_cache_evict_removes_entries_of_evicted_objects);
	tcase_add_test(t, test_cache_evict_keeps_everything_under_the_bound);
	tcase_add_test(t, test_cache_evict_removes_stale_temporary_files);
	tcase_add_test(t, test_cache_list_prints_one_line_per_entry_sorted);
	tcase_add_test(t, test_cache_list_of_missing_cache_is_empty);
	tcase_add_test(t, test_cache_verify_reports_all_good);
	tcase_add_test(t,
		       test_cache_verify_removes_corrupt_object_and_reports_it);
	tcase_add_test(t,
		       test_cache_verify_removes_malformed_entries_and_strays);
	tcase_add_test(t, test_cache_verify_of_missing_cache_is_all_good);
	tcase_add_test(t, test_cache_clear_leaves_an_empty_cache);
	tcase_add_test(t, test_cache_clear_does_not_follow_symlinks_out);
	tcase_add_test(t, test_cache_clear_of_missing_cache_succeeds);
	suite_add_tcase(s, t);

	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	free(capture_buf);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
