/* test_config.c — fakeosd's configuration (src/config.c): every key and
 * its default, every value type, the error messages with their file and
 * line, the quoting of args, the bounds, and config_load's rule that only
 * files no one but root could change are read. File tests run in their
 * own mkdtemp directory under /tmp, removed afterwards; as root they
 * chown and chmod what they create. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

#define PIN "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

/* A user database of three: what the text tests resolve names with. */
static int fake_resolve(const char *name, uid_t *uid)
{
	static const struct {
		const char *name;
		uid_t uid;
	} users[] = { { "root", 0 },	   { "alice", 1000 },
		      { "bob", 1001 },	   { "builder", 1500 },
		      { "dbuser", 1600 } };
	for (size_t i = 0; i < ARRAY_SIZE(users); i++) {
		if (strcmp(users[i].name, name) == 0) {
			*uid = users[i].uid;
			return 0;
		}
	}
	return -ENOENT;
}

static struct config c;
static struct error err;

static void setup_text(void)
{
	config_init(&c);
	memset(&err, 0, sizeof(err));
}

static void teardown_text(void)
{
	config_free(&c);
}

static int parse(const char *path, enum config_kind kind, const char *text)
{
	memset(&err, 0, sizeof(err));
	return config_parse_text(path, text, strlen(text), kind, fake_resolve,
				 &c, &err);
}

static void main_ok(const char *text)
{
	int r = parse("fakeosd.conf", CONFIG_KIND_MAIN, text);
	ck_assert_msg(r == 0, "'%s' refused: %s", text, err.msg);
}

static const struct config_service *service_ok(const char *path,
					       const char *text)
{
	unsigned n = c.nservices;
	int r = parse(path, CONFIG_KIND_SERVICE, text);
	ck_assert_msg(r == 0, "'%s' refused: %s", text, err.msg);
	ck_assert_uint_eq(c.nservices, n + 1);
	return &c.services[n];
}

/* Parses text that must fail, and checks the whole message. */
static void fails(const char *path, enum config_kind kind, const char *text,
		  const char *msg)
{
	unsigned n = c.nservices;
	int r = parse(path, kind, text);
	ck_assert_msg(r < 0, "'%s' accepted", text);
	ck_assert_str_eq(err.msg, msg);
	ck_assert_uint_eq(c.nservices, n);
}

#define MAIN_FAILS(text, msg) fails("fakeosd.conf", CONFIG_KIND_MAIN, text, msg)
#define SERVICE_FAILS(text, msg)                                              \
	fails("services.d/web.conf", CONFIG_KIND_SERVICE, text, msg)
#define SVC "url = http://h/p\naccount = alice\n"

/* ---- the main file ------------------------------------------------------- */

START_TEST(test_config_defaults_when_no_key_is_set)
{
	main_ok("# nothing\n\n");
	ck_assert_uint_eq(c.pool, 4);
	ck_assert_uint_eq(c.cache_max, 1ULL << 30);
	ck_assert_uint_eq(c.grace_ms, 10000);
	ck_assert_uint_eq(c.spawn_from.n, 0);
	ck_assert_ptr_null(c.spawn_from.v);
	ck_assert_uint_eq(c.naccounts, 0);
	const struct config_quota *q = config_account_quota(&c, 1000);
	ck_assert_uint_eq(q->programs, 1024);
	ck_assert_uint_eq(q->links, 4096);
	ck_assert_uint_eq(q->services, 256);
	ck_assert_uint_eq(q->memory, 256ULL << 20);
}
END_TEST

START_TEST(test_config_main_keys_are_read)
{
	main_ok("pool = 0\n"
		"cache-max = 64M\n"
		"spawn-from = https://apps.example/lib/ file:///srv/fakeos/\n"
		"grace = 2.5s\n");
	ck_assert_uint_eq(c.pool, 0);
	ck_assert_uint_eq(c.cache_max, 64ULL << 20);
	ck_assert_uint_eq(c.grace_ms, 2500);
	ck_assert_uint_eq(c.spawn_from.n, 2);
	ck_assert_str_eq(c.spawn_from.v[0], "https://apps.example/lib/");
	ck_assert_str_eq(c.spawn_from.v[1], "file:///srv/fakeos/");
	ck_assert_ptr_null(c.spawn_from.v[2]);
}
END_TEST

START_TEST(test_config_account_sections_override_the_defaults_in_any_order)
{
	/* [account alice] comes first, yet takes [account]'s values for
	 * what it does not set. */
	main_ok("pool = 8\n"
		"[account alice]\n"
		"programs = 10\n"
		"[account]\n"
		"programs = 100\n"
		"memory = 1G\n"
		"links = 50\n"
		"services = 5\n"
		"[ account   1001 ]\n"
		"memory = 0\n"
		"services = 0\n");
	ck_assert_uint_eq(c.pool, 8);
	ck_assert_uint_eq(c.naccounts, 2);
	ck_assert_uint_eq(c.accounts[0].uid, 1000);
	ck_assert_uint_eq(c.accounts[0].line, 2);
	const struct config_quota *a = config_account_quota(&c, 1000);
	ck_assert_uint_eq(a->programs, 10);
	ck_assert_uint_eq(a->memory, 1ULL << 30);
	ck_assert_uint_eq(a->links, 50);
	ck_assert_uint_eq(a->services, 5);
	const struct config_quota *b = config_account_quota(&c, 1001);
	ck_assert_uint_eq(b->programs, 100);
	ck_assert_uint_eq(b->memory, 0);
	ck_assert_uint_eq(b->links, 50);
	ck_assert_uint_eq(b->services, 0);
	const struct config_quota *other = config_account_quota(&c, 7);
	ck_assert_ptr_eq(other, &c.account_defaults);
	ck_assert_uint_eq(other->programs, 100);
}
END_TEST

START_TEST(test_config_account_names_resolve_and_two_sections_for_a_uid_fail)
{
	MAIN_FAILS("[account alice]\n[account 1000]\n",
		   "fakeosd.conf:2: [account 1000]: uid 1000 already has a "
		   "section (line 1)");
	config_free(&c);
	config_init(&c);
	MAIN_FAILS("[account]\n\n[account]\n",
		   "fakeosd.conf:3: [account] appears twice (first on line 1)");
	config_free(&c);
	config_init(&c);
	MAIN_FAILS("[account carol]\n", "fakeosd.conf:1: account: no user "
					"'carol' (a user name or a uid)");
	MAIN_FAILS("[account 4294967295]\n",
		   "fakeosd.conf:1: account: '4294967295' is not a uid (0 to "
		   "4294967294)");
	MAIN_FAILS("[account a:b]\n", "fakeosd.conf:1: account: 'a:b' is not "
				      "a user name or a uid");
	MAIN_FAILS("[account alice bob]\n",
		   "fakeosd.conf:1: account: 'alice bob' is not a user name "
		   "or a uid");
	MAIN_FAILS("[accounts]\n", "fakeosd.conf:1: unknown section "
				   "[accounts] (sections: [account], "
				   "[account NAME])");
	MAIN_FAILS("[account\n", "fakeosd.conf:1: a section header ends with "
				 "']'");
}
END_TEST

START_TEST(test_config_system_user_database_resolves_names)
{
	struct error e = { "" };
	const char *text = "[account root]\nprograms = 3\n";
	int r = config_parse_text("fakeosd.conf", text, strlen(text),
				  CONFIG_KIND_MAIN, NULL, &c, &e);
	ck_assert_msg(r == 0, "%s", e.msg);
	ck_assert_uint_eq(c.accounts[0].uid, 0);
	ck_assert_uint_eq(config_account_quota(&c, 0)->programs, 3);
	text = "[account no-such-user-here]\n";
	r = config_parse_text("fakeosd.conf", text, strlen(text),
			      CONFIG_KIND_MAIN, NULL, &c, &e);
	ck_assert_int_eq(r, -EINVAL);
	ck_assert_str_eq(e.msg, "fakeosd.conf:1: account: no user "
				"'no-such-user-here' (a user name or a uid)");
}
END_TEST

START_TEST(test_config_unknown_key_is_an_error_naming_file_line_and_keys)
{
	MAIN_FAILS("pool = 4\n\n# typo:\npol = 4\n",
		   "fakeosd.conf:4: unknown key 'pol' (keys here: pool, "
		   "cache-max, spawn-from, grace, crash-url, crash-reports, "
		   "crash-window, resolver, etcd, listen, host-key, "
		   "hosts, names)");
	MAIN_FAILS("watchdog = 30s\n",
		   "fakeosd.conf:1: unknown key 'watchdog' (keys here: pool, "
		   "cache-max, spawn-from, grace, crash-url, crash-reports, "
		   "crash-window, resolver, etcd, listen, host-key, "
		   "hosts, names)");
	/* An account key before any section, and a global key in one. */
	MAIN_FAILS("programs = 4\n",
		   "fakeosd.conf:1: unknown key 'programs' (keys here: pool, "
		   "cache-max, spawn-from, grace, crash-url, crash-reports, "
		   "crash-window, resolver, etcd, listen, host-key, "
		   "hosts, names)");
	MAIN_FAILS("[account]\npool = 4\n",
		   "fakeosd.conf:2: unknown key 'pool' (keys here: programs, "
		   "memory, links, services)");
	SERVICE_FAILS(SVC "restarts = always\n",
		      "services.d/web.conf:3: unknown key 'restarts' (keys "
		      "here: url, args, account, memory, cpu, time-limit, "
		      "publish, restart, restart-delay, restart-delay-max, export)");
	SERVICE_FAILS(SVC "Memory = 1G\n",
		      "services.d/web.conf:3: unknown key 'Memory' (keys "
		      "here: url, args, account, memory, cpu, time-limit, "
		      "publish, restart, restart-delay, restart-delay-max, export)");
}
END_TEST

START_TEST(test_config_duplicate_key_is_an_error_naming_both_lines)
{
	MAIN_FAILS("pool = 4\ngrace = 1s\npool = 5\n",
		   "fakeosd.conf:3: 'pool' is set twice (first on line 1)");
	MAIN_FAILS("[account bob]\nlinks = 1\nlinks = 1\n",
		   "fakeosd.conf:3: 'links' is set twice (first on line 2)");
	SERVICE_FAILS(SVC "url = http://h/q\n",
		      "services.d/web.conf:3: 'url' is set twice (first on "
		      "line 1)");
	/* The same key in two account sections is not a duplicate. */
	config_free(&c);
	config_init(&c);
	main_ok("[account]\nlinks = 1\n[account bob]\nlinks = 2\n");
}
END_TEST

START_TEST(test_config_malformed_lines_are_errors)
{
	MAIN_FAILS("pool 4\n", "fakeosd.conf:1: expected 'key = value', "
			       "[account] or [account NAME]");
	MAIN_FAILS("= 4\n", "fakeosd.conf:1: expected 'key = value', "
			    "[account] or [account NAME]");
	MAIN_FAILS("pool =\n", "fakeosd.conf:1: 'pool' has no value");
	MAIN_FAILS("pool = 4 # warm jails\n",
		   "fakeosd.conf:1: pool: '4 # warm jails' is not a whole "
		   "number");
	SERVICE_FAILS("url=http://h/p\n[account]\n",
		      "services.d/web.conf:2: a service file has no sections");
	SERVICE_FAILS("url http://h/p\n",
		      "services.d/web.conf:1: expected 'key = value'");
}
END_TEST

START_TEST(test_config_comments_blank_lines_crlf_and_no_final_newline)
{
	main_ok("  # indented comment\r\n"
		"\t\r\n"
		"pool=7\r\n"
		"\tgrace\t=\t3s  \r\n"
		"cache-max = 2G");
	ck_assert_uint_eq(c.pool, 7);
	ck_assert_uint_eq(c.grace_ms, 3000);
	ck_assert_uint_eq(c.cache_max, 2ULL << 30);
	/* '#' inside a value is the value's: the URL's pin. */
	const struct config_service *s =
		service_ok("web.conf", "url = http://h/p#sha256=" PIN "\n"
				       "account = bob\n");
	ck_assert_str_eq(s->url, "http://h/p#sha256=" PIN);
	/* An empty file is the defaults. */
	config_free(&c);
	config_init(&c);
	main_ok("");
	ck_assert_uint_eq(c.pool, 4);
}
END_TEST

START_TEST(test_config_control_bytes_long_lines_and_big_files_are_refused)
{
	const char nul[] = "pool = 4\ngrace\0 = 1s\n";
	int r = config_parse_text("fakeosd.conf", nul, sizeof(nul) - 1,
				  CONFIG_KIND_MAIN, fake_resolve, &c, &err);
	ck_assert_int_eq(r, -EINVAL);
	ck_assert_str_eq(err.msg, "fakeosd.conf:2: a NUL byte");
	MAIN_FAILS("pool = 4\x1b[2K\n",
		   "fakeosd.conf:1: control character 0x1b");
	MAIN_FAILS("\n\npool = 4\r5\n",
		   "fakeosd.conf:3: control character 0x0d");
	MAIN_FAILS("pool = 4\x7f\n", "fakeosd.conf:1: control character 0x7f");

	char *big = xmalloc(CONFIG_FILE_MAX + 2);
	memset(big, '#', CONFIG_LINE_MAX);
	big[CONFIG_LINE_MAX] = '\n';
	big[CONFIG_LINE_MAX + 1] = '\0';
	main_ok(big); /* a comment of exactly the longest line */
	memset(big, '#', CONFIG_LINE_MAX + 1);
	big[CONFIG_LINE_MAX + 1] = '\0';
	MAIN_FAILS(big, "fakeosd.conf:1: line longer than 8192 bytes");
	for (size_t i = 0; i <= CONFIG_FILE_MAX; i++)
		big[i] = i % 64 == 63 ? '\n' : '#';
	r = config_parse_text("fakeosd.conf", big, CONFIG_FILE_MAX + 1,
			      CONFIG_KIND_MAIN, fake_resolve, &c, &err);
	ck_assert_int_eq(r, -EFBIG);
	ck_assert_str_eq(err.msg, "fakeosd.conf: larger than 65536 bytes");
	free(big);
}
END_TEST

/* ---- values -------------------------------------------------------------- */

START_TEST(test_config_counts_sizes_and_durations_in_every_unit)
{
	static const struct {
		const char *grace;
		uint64_t ms;
	} d[] = { { "0", 0 },	      { "500ms", 500 },	 { "2s", 2000 },
		  { "1.5s", 1500 },   { "0.25s", 250 },	 { "5min", 300000 },
		  { "0.1h", 360000 }, { "10min", 600000 }, { "007s", 7000 } };
	for (size_t i = 0; i < ARRAY_SIZE(d); i++) {
		config_free(&c);
		config_init(&c);
		char text[64];
		snprintf(text, sizeof(text), "grace = %s\n", d[i].grace);
		main_ok(text);
		ck_assert_uint_eq(c.grace_ms, d[i].ms);
	}
	static const struct {
		const char *size;
		uint64_t bytes;
	} s[] = { { "1048576", 1 << 20 }, { "1024K", 1 << 20 },
		  { "64M", 64ULL << 20 }, { "64MiB", 64ULL << 20 },
		  { "2g", 2ULL << 30 },	  { "1T", 1ULL << 40 } };
	for (size_t i = 0; i < ARRAY_SIZE(s); i++) {
		config_free(&c);
		config_init(&c);
		char text[64];
		snprintf(text, sizeof(text), "cache-max = %s\n", s[i].size);
		main_ok(text);
		ck_assert_uint_eq(c.cache_max, s[i].bytes);
	}
	/* RLIMIT_CPU counts whole seconds: a part of one rounds up. */
	const struct config_service *sv =
		service_ok("a.conf", SVC "cpu = 1500ms\ntime-limit = 90s\n");
	ck_assert_uint_eq(sv->cpu_seconds, 2);
	ck_assert_uint_eq(sv->time_limit_ms, 90000);
	sv = service_ok("b.conf", SVC "cpu = 1min\n");
	ck_assert_uint_eq(sv->cpu_seconds, 60);
}
END_TEST

START_TEST(test_config_bad_values_are_errors_naming_the_key)
{
	static const struct {
		const char *text, *msg;
	} m[] = {
		{ "pool = -1", "pool: '-1' is not a whole number" },
		{ "pool = 0x10", "pool: '0x10' is not a whole number" },
		{ "pool = 257", "pool: 257 is more than 256" },
		{ "pool = 99999999999999999999",
		  "pool: 99999999999999999999 is too large" },
		{ "cache-max = lots",
		  "cache-max: 'lots' is not a size (examples: 4096, 64K, "
		  "256M, 1G)" },
		{ "cache-max = 1000K", "cache-max: 1000K is less than 1M" },
		{ "cache-max = 0", "cache-max: 0 is less than 1M" },
		{ "cache-max = 99999999T",
		  "cache-max: 99999999T is too large" },
		{ "grace = 10",
		  "grace: '10' is not a duration (examples: 500ms, 10s, "
		  "1.5s, 5min, 1h)" },
		{ "grace = 10 s",
		  "grace: '10 s' is not a duration (examples: 500ms, 10s, "
		  "1.5s, 5min, 1h)" },
		{ "grace = 1.5ms",
		  "grace: '1.5ms' is not a duration (examples: 500ms, 10s, "
		  "1.5s, 5min, 1h)" },
		{ "grace = 1e3s",
		  "grace: '1e3s' is not a duration (examples: 500ms, 10s, "
		  "1.5s, 5min, 1h)" },
		{ "grace = 11min", "grace: 11min is more than 10min" },
		{ "spawn-from = ftp://h/",
		  "spawn-from: 'ftp://h/': unsupported scheme 'ftp': use "
		  "http://, https:// or file://" },
		{ "spawn-from = https://h/#sha256=" PIN,
		  "spawn-from: 'https://h/#sha256=ba7816bf8f01cfea414140de5dae2"
		  "223b00361a396...' has a #sha256= pin, but a prefix stands for "
		  "many programs" },
		{ "spawn-from = http://a/ http://a/",
		  "spawn-from: 'http://a/' is listed twice" },
		{ "spawn-from = http://1/ http://2/ http://3/ http://4/ "
		  "http://5/ http://6/ http://7/ http://8/ http://9/ "
		  "http://10/ http://11/ http://12/ http://13/ http://14/ "
		  "http://15/ http://16/ http://17/",
		  "spawn-from: more than 16 words" },
		{ "[account]\nprograms = 0",
		  "programs: 0 is less than 1" },
		{ "[account]\nmemory = 4K",
		  "memory: 4K is less than 1M (0 for none)" },
		{ "[account]\nlinks = 1000001",
		  "links: 1000001 is more than 1000000" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(m); i++) {
		config_free(&c);
		config_init(&c);
		char msg[512];
		unsigned line = strchr(m[i].text, '\n') ? 2 : 1;
		snprintf(msg, sizeof(msg), "fakeosd.conf:%u: %s", line,
			 m[i].msg);
		MAIN_FAILS(m[i].text, msg);
	}
}
END_TEST

START_TEST(test_config_bad_service_values_are_errors_naming_the_key)
{
	static const struct {
		const char *text, *msg;
	} m[] = {
		{ "url = h/p", "url: 'h/p': not a URL (no scheme): use "
			       "http://, https:// or file://" },
		{ "url = http://h/p#sha256=abc",
		  "url: 'http://h/p#sha256=abc': #sha256= needs exactly 64 hex "
		  "digits, got 3 characters" },
		{ "url = http://h/p#top",
		  "url: 'http://h/p#top': unsupported fragment '#top': the only "
		  "fragment is #sha256= and 64 hex digits" },
		{ "account = carol",
		  "account: no user 'carol' (a user name or a uid)" },
		{ "account = -1", "account: '-1' is not a user name or a uid" },
		{ "account = 12ab",
		  "account: '12ab' is not a uid (0 to 4294967294)" },
		{ "memory = 100", "memory: 100 is less than 1M (0 for none)" },
		{ "cpu = 2000000s", "cpu: 2000000s is more than 1000000s" },
		{ "time-limit = forever",
		  "time-limit: 'forever' is not a duration (examples: 500ms, "
		  "10s, 1.5s, 5min, 1h)" },
		{ "publish = db a/b", "publish: 'a/b' is not a valid name (1 "
				      "to 63 of A-Z a-z 0-9 . _ -)" },
		{ "publish = \"\"",
		  "publish: '' is not a valid name (1 to 63 of A-Z a-z 0-9 . "
		  "_ -)" },
		{ "publish = "
		  "n234567890123456789012345678901234567890123456789012345678"
		  "901234",
		  "publish: 'n2345678901234567890123456789012345678901234567890"
		  "1234567890...' is not a valid name (1 to 63 of A-Z a-z 0-9 "
		  ". _ -)" },
		{ "publish = db db", "publish: 'db' is listed twice" },
		{ "publish = a b c d e f g h i j k l m n o p q",
		  "publish: more than 16 words" },
		{ "restart = sometimes",
		  "restart: 'sometimes' is not no, on-failure or always" },
		{ "restart = Always",
		  "restart: 'Always' is not no, on-failure or always" },
		{ "restart-delay = 50ms",
		  "restart-delay: 50ms is less than 100ms" },
		{ "restart-delay = 0", "restart-delay: 0 is less than 100ms" },
		{ "restart-delay = 2h", "restart-delay: 2h is more than 1h" },
		{ "restart-delay-max = 25h",
		  "restart-delay-max: 25h is more than 24h" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(m); i++) {
		char text[512], msg[512];
		/* The bad line first, so that it is line 1 whatever it is. */
		snprintf(text, sizeof(text), "%s\n%s%s\n", m[i].text,
			 strncmp(m[i].text, "url", 3) ? "url = http://h/p\n" :
							"",
			 strncmp(m[i].text, "account", 7) ? "account = bob" :
							    "");
		snprintf(msg, sizeof(msg), "services.d/web.conf:1: %s",
			 m[i].msg);
		SERVICE_FAILS(text, msg);
	}
}
END_TEST

/* ---- services ------------------------------------------------------------ */

START_TEST(test_config_service_keys_are_read)
{
	main_ok("[account alice]\nmemory = 128M\n");
	const struct config_service *s = service_ok(
		"/etc/fakeos/services.d/db.conf",
		"# the database\n"
		"url = https://apps.example/db#sha256=" PIN "\n"
		"args = --port 5432 --name \"main db\"\n"
		"account = 1001\n"
		"memory = 1G\n"
		"cpu = 30s\n"
		"time-limit = 1h\n"
		"publish = db db.admin\n"
		"restart = always\n"
		"restart-delay = 250ms\n"
		"restart-delay-max = 1min\n");
	ck_assert_str_eq(s->name, "db");
	ck_assert_str_eq(s->path, "/etc/fakeos/services.d/db.conf");
	ck_assert_str_eq(s->url, "https://apps.example/db#sha256=" PIN);
	ck_assert_uint_eq(s->args.n, 4);
	ck_assert_str_eq(s->args.v[0], "--port");
	ck_assert_str_eq(s->args.v[1], "5432");
	ck_assert_str_eq(s->args.v[2], "--name");
	ck_assert_str_eq(s->args.v[3], "main db");
	ck_assert_ptr_null(s->args.v[4]);
	ck_assert_uint_eq(s->account, 1001);
	ck_assert_uint_eq(s->memory, 1ULL << 30);
	ck_assert_uint_eq(s->cpu_seconds, 30);
	ck_assert_uint_eq(s->time_limit_ms, 3600000);
	ck_assert_uint_eq(s->publish.n, 2);
	ck_assert_str_eq(s->publish.v[0], "db");
	ck_assert_str_eq(s->publish.v[1], "db.admin");
	ck_assert_int_eq(s->restart, CONFIG_RESTART_ALWAYS);
	ck_assert_str_eq(config_restart_name(s->restart), "always");
	ck_assert_uint_eq(s->restart_delay_ms, 250);
	ck_assert_uint_eq(s->restart_delay_max_ms, 60000);
	s = service_ok("x.conf", SVC "restart = no\n");
	ck_assert_int_eq(s->restart, CONFIG_RESTART_NO);
	s = service_ok("y.conf", SVC "restart = on-failure\n");
	ck_assert_int_eq(s->restart, CONFIG_RESTART_ON_FAILURE);
}
END_TEST

START_TEST(test_config_service_defaults_come_from_its_account)
{
	main_ok("[account]\nmemory = 512M\n[account alice]\nmemory = 64M\n");
	const struct config_service *s = service_ok("web.conf", SVC);
	ck_assert_str_eq(s->name, "web");
	ck_assert_uint_eq(s->account, 1000);
	ck_assert_uint_eq(s->memory, 64ULL << 20);
	ck_assert_uint_eq(s->args.n, 0);
	ck_assert_uint_eq(s->publish.n, 0);
	ck_assert_uint_eq(s->cpu_seconds, 0);
	ck_assert_uint_eq(s->time_limit_ms, 0);
	ck_assert_int_eq(s->restart, CONFIG_RESTART_ON_FAILURE);
	ck_assert_uint_eq(s->restart_delay_ms, 1000);
	ck_assert_uint_eq(s->restart_delay_max_ms, 300000);
	s = service_ok("api.conf", "url = file:///srv/api\naccount = bob\n");
	ck_assert_uint_eq(s->memory, 512ULL << 20);
	s = service_ok("nolimit.conf", SVC "memory = 0\n");
	ck_assert_uint_eq(s->memory, 0);
}
END_TEST

START_TEST(test_config_service_without_url_or_account_is_refused)
{
	SERVICE_FAILS("account = alice\n", "services.d/web.conf: 'url' is "
					   "missing: a service needs one");
	SERVICE_FAILS("url = http://h/p\n", "services.d/web.conf: 'account' "
					    "is missing: a service needs one");
	SERVICE_FAILS("", "services.d/web.conf: 'url' is missing: a service "
			  "needs one");
}
END_TEST

START_TEST(test_config_service_name_is_its_file_name_and_must_be_valid)
{
	ck_assert_str_eq(service_ok("a-b_c.1.conf", SVC)->name, "a-b_c.1");
	char path[128];
	snprintf(path, sizeof(path), "d/%.*s.conf", 63,
		 "n2345678901234567890123456789012345678901234567890123456789"
		 "01234");
	ck_assert_uint_eq(strlen(service_ok(path, SVC)->name), 63);
	fails("d/n234567890123456789012345678901234567890123456789012345678"
	      "901234.conf",
	      CONFIG_KIND_SERVICE, SVC,
	      "d/n234567890123456789012345678901234567890123456789012345678"
	      "901234.conf: 'n2345678901234567890123456789012345678901234567"
	      "8901234567890...' is not a valid service name (1 to 63 of A-Z "
	      "a-z 0-9 . _ -)");
	fails("d/a b.conf", CONFIG_KIND_SERVICE, SVC,
	      "d/a b.conf: 'a b' is not a valid service name (1 to 63 "
	      "of A-Z a-z 0-9 . _ -)");
	fails("d/.conf", CONFIG_KIND_SERVICE, SVC,
	      "d/.conf: '' is not a valid service name (1 to 63 of A-Z a-z "
	      "0-9 . _ -)");
	fails("d/conf", CONFIG_KIND_SERVICE, SVC,
	      "d/conf: a service file's name ends in .conf");
	fails("d/web.cfg", CONFIG_KIND_SERVICE, SVC,
	      "d/web.cfg: a service file's name ends in .conf");
	fails("d/a-b_c.1.conf", CONFIG_KIND_SERVICE, SVC,
	      "d/a-b_c.1.conf: service 'a-b_c.1' is already defined by "
	      "a-b_c.1.conf");
}
END_TEST

START_TEST(test_config_args_quoting_and_escapes)
{
	static const struct {
		const char *args;
		unsigned n;
		const char *v[6];
	} q[] = {
		{ "a b\tc", 3, { "a", "b", "c" } },
		{ "\"a b\"", 1, { "a b" } },
		{ "x\"a b\"y z", 2, { "xa by", "z" } },
		{ "\"\" \"\"", 2, { "", "" } },
		{ "'a b'", 2, { "'a", "b'" } },
		{ "\\\"q\\\" \\\\", 2, { "\"q\"", "\\" } },
		{ "\"line\\none\" tab\\tx", 2, { "line\none", "tab\tx" } },
		{ "$HOME ~ * `id` ;", 5, { "$HOME", "~", "*", "`id`", ";" } },
		{ "#not-a-comment", 1, { "#not-a-comment" } },
		{ "\"#\"", 1, { "#" } },
	};
	for (size_t i = 0; i < ARRAY_SIZE(q); i++) {
		config_free(&c);
		config_init(&c);
		char text[256];
		snprintf(text, sizeof(text), SVC "args = %s\n", q[i].args);
		const struct config_service *s = service_ok("q.conf", text);
		ck_assert_uint_eq(s->args.n, q[i].n);
		for (unsigned j = 0; j < q[i].n; j++)
			ck_assert_str_eq(s->args.v[j], q[i].v[j]);
		ck_assert_ptr_null(s->args.v[q[i].n]);
	}
	SERVICE_FAILS(SVC "args = \"a b\n",
		      "services.d/web.conf:3: args: a double quote is not "
		      "closed");
	SERVICE_FAILS(SVC "args = a\\qb\n",
		      "services.d/web.conf:3: args: unknown escape '\\q' (use "
		      "\\\\, \\\", \\n or \\t)");
	SERVICE_FAILS(SVC "args = a\\\n",
		      "services.d/web.conf:3: args: a backslash ends the line");
}
END_TEST

START_TEST(test_config_args_are_bounded_like_a_spawn)
{
	char text[4096];
	size_t o = (size_t)snprintf(text, sizeof(text), SVC "args =");
	for (int i = 0; i < CONFIG_ARGC_MAX; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o, " %d", i % 10);
	snprintf(text + o, sizeof(text) - o, "\n");
	ck_assert_uint_eq(service_ok("a.conf", text)->args.n, 64);
	snprintf(text + o, sizeof(text) - o, " x\n");
	SERVICE_FAILS(text, "services.d/web.conf:3: args: more than 64 "
			    "arguments");

	/* 2048 bytes with a NUL after each: two of 1023 fit, then no more. */
	char big[1024];
	memset(big, 'x', 1023);
	big[1023] = '\0';
	snprintf(text, sizeof(text), SVC "args = %s %s\n", big, big);
	const struct config_service *s = service_ok("b.conf", text);
	ck_assert_uint_eq(s->args.n, 2);
	ck_assert_uint_eq(strlen(s->args.v[1]), 1023);
	snprintf(text, sizeof(text), SVC "args = %s %s \"\"\n", big, big);
	SERVICE_FAILS(text, "services.d/web.conf:3: args: more than 2048 "
			    "bytes (with a NUL after each argument)");
}
END_TEST

START_TEST(test_config_restart_delay_max_below_restart_delay_is_refused)
{
	SERVICE_FAILS(SVC "restart-delay-max = 2s\nrestart-delay = 3s\n",
		      "services.d/web.conf:3: restart-delay-max (2s) is less "
		      "than restart-delay (3s)");
	SERVICE_FAILS(SVC "restart-delay = 6min\n",
		      "services.d/web.conf:3: restart-delay-max (5min) is less "
		      "than restart-delay (6min)");
	const struct config_service *s =
		service_ok("ok.conf", SVC "restart-delay = 5min\n");
	ck_assert_uint_eq(s->restart_delay_ms, s->restart_delay_max_ms);
}
END_TEST

START_TEST(test_config_a_name_is_published_by_one_service_only)
{
	service_ok("services.d/a.conf", SVC "publish = db web\n");
	SERVICE_FAILS(SVC "args = x\npublish = api web\n",
		      "services.d/web.conf:4: publish: 'web' is already "
		      "published by services.d/a.conf");
	service_ok("services.d/b.conf", SVC "publish = api\n");
	ck_assert_uint_eq(c.nservices, 2);
}
END_TEST

/* The n-th example (.EX to .EE) after "SH EXAMPLES" in fakeosd.conf(5),
 * with the roff escapes it uses undone. */
static char *man_example(int n)
{
	FILE *f = fopen("man/fakeosd.conf.5", "r");
	ck_assert_ptr_nonnull(f);
	static char out[4096];
	char line[512];
	size_t o = 0;
	int seen = -1;
	bool in_examples = false, in = false;
	out[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, ".SH", 3) == 0)
			in_examples = strncmp(line, ".SH EXAMPLES", 12) == 0;
		if (!in_examples)
			continue;
		if (strncmp(line, ".EX", 3) == 0) {
			in = ++seen == n;
			continue;
		}
		if (strncmp(line, ".EE", 3) == 0) {
			in = false;
			continue;
		}
		for (const char *p = line; in && *p; p++) {
			if (p[0] == '\\' && p[1] == '-')
				p++;
			ck_assert_uint_lt(o + 1, sizeof(out));
			out[o++] = *p;
		}
	}
	fclose(f);
	out[o] = '\0';
	ck_assert_msg(o > 0, "no example %d in fakeosd.conf(5)", n);
	return out;
}

START_TEST(test_config_man_page_examples_parse_as_they_say)
{
	main_ok(man_example(0));
	ck_assert_uint_eq(c.pool, 4);
	ck_assert_uint_eq(c.cache_max, 2ULL << 30);
	ck_assert_str_eq(c.spawn_from.v[0], "https://apps.example/tools/");
	ck_assert_uint_eq(c.grace_ms, 5000);
	ck_assert_str_eq(c.crash_url, "https://crash.apps.example/fakeos");
	const struct config_quota *q = config_account_quota(&c, 1500);
	ck_assert_uint_eq(q->programs, 1024);
	ck_assert_uint_eq(q->memory, 2ULL << 30);
	q = config_account_quota(&c, 2001);
	ck_assert_uint_eq(q->programs, 256);
	ck_assert_uint_eq(q->memory, 128ULL << 20);
	ck_assert_uint_eq(q->links, 64);

	const struct config_service *s =
		service_ok("/etc/fakeos/services.d/db.conf", man_example(1));
	ck_assert_str_eq(s->name, "db");
	ck_assert_uint_eq(s->account, 1600);
	ck_assert_uint_eq(s->args.n, 4);
	ck_assert_str_eq(s->args.v[0], "--data");
	ck_assert_str_eq(s->args.v[1], "/srv/db/main store");
	ck_assert_str_eq(s->args.v[2], "--log-level");
	ck_assert_str_eq(s->args.v[3], "info");
	ck_assert_uint_eq(s->publish.n, 1);
	ck_assert_str_eq(s->publish.v[0], "db");
	ck_assert_uint_eq(s->restart_delay_ms, 500);
	ck_assert_uint_eq(s->restart_delay_max_ms, 120000);
}
END_TEST

/* ---- config_load ------------------------------------------------------- */

static char tmp[64]; /* the mkdtemp directory: DIR */

static void setup_dir(void)
{
	setup_text();
	snprintf(tmp, sizeof(tmp), "/tmp/test_config.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	ck_assert_int_eq(chmod(tmp, 0755), 0);
}

static void teardown_dir(void)
{
	char cmd[200];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	ck_assert_int_eq(system(cmd), 0);
	teardown_text();
}

static void put(const char *rel, const char *text, mode_t mode)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", tmp, rel);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write_full(fd, text, strlen(text)), 0);
	ck_assert_int_eq(fchmod(fd, mode), 0);
	ck_assert_int_eq(close(fd), 0);
}

static void mkdir_in(const char *rel, mode_t mode)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", tmp, rel);
	ck_assert_int_eq(mkdir(path, mode), 0);
	ck_assert_int_eq(chmod(path, mode), 0);
}

static void chown_in(const char *rel, uid_t uid)
{
	char path[256];
	snprintf(path, sizeof(path), "%s%s%s", tmp, *rel ? "/" : "", rel);
	ck_assert_int_eq(lchown(path, uid, (gid_t)-1), 0);
}

/* A good tree: fakeosd.conf and two services. */
static void good_tree(void)
{
	put("fakeosd.conf", "pool = 2\n[account root]\nmemory = 64M\n", 0644);
	mkdir_in("services.d", 0755);
	put("services.d/web.conf",
	    "url = http://127.0.0.1/web\naccount = root\n", 0644);
	put("services.d/db.conf",
	    "url = file:///srv/db\naccount = 0\npublish = db\n", 0600);
}

static int load(uid_t owner)
{
	memset(&err, 0, sizeof(err));
	return config_load(tmp, owner, &c, &err);
}

/* The load must fail with exactly "DIR/" + rel + rest. */
static void load_fails(uid_t owner, int code, const char *rel,
		       const char *rest)
{
	int r = load(owner);
	ck_assert_msg(r < 0, "load succeeded; expected '%s%s'", rel, rest);
	ck_assert_int_eq(r, code);
	char want[512];
	snprintf(want, sizeof(want), "%s%s%s%s", tmp, *rel ? "/" : "", rel,
		 rest);
	ck_assert_str_eq(err.msg, want);
	/* A failed load leaves the defaults and nothing else. */
	ck_assert_uint_eq(c.nservices, 0);
	ck_assert_uint_eq(c.naccounts, 0);
	ck_assert_uint_eq(c.pool, CONFIG_DEFAULT_POOL);
}

#define REASON ": fakeosd reads only files that only root can change"

START_TEST(test_config_load_reads_the_main_file_and_services_in_name_order)
{
	good_tree();
	put("services.d/README", "not a service\n", 0644);
	put("services.d/web.conf~", "url = nonsense\n", 0666);
	mkdir_in("services.d/old", 0777);
	/* A name that would retitle a terminal, shown harmless. */
	put("services.d/\x1b]0;owned\x07", "", 0644);
	/* A long name is named whole. */
	char longname[128] = "services.d/";
	memset(longname + 11, 'x', 100);
	put(longname, "", 0644);
	ck_assert_int_eq(load(0), 0);
	ck_assert_uint_eq(c.pool, 2);
	ck_assert_uint_eq(c.nservices, 2);
	ck_assert_str_eq(c.services[0].name, "db");
	ck_assert_str_eq(c.services[1].name, "web");
	char path[256];
	snprintf(path, sizeof(path), "%s/services.d/web.conf", tmp);
	ck_assert_str_eq(c.services[1].path, path);
	ck_assert_uint_eq(c.services[1].memory, 64ULL << 20);
	ck_assert_uint_eq(c.warnings.n, 5);
	char want[256];
	snprintf(want, sizeof(want),
		 "%s/services.d/?]0;owned?: ignored: only NAME.conf files are "
		 "read",
		 tmp);
	ck_assert_str_eq(c.warnings.v[0], want);
	snprintf(want, sizeof(want),
		 "%s/services.d/README: ignored: only NAME.conf files are read",
		 tmp);
	ck_assert_str_eq(c.warnings.v[1], want);
	snprintf(want, sizeof(want),
		 "%s/services.d/old: ignored: only NAME.conf files are read",
		 tmp);
	ck_assert_str_eq(c.warnings.v[2], want);
	snprintf(want, sizeof(want),
		 "%s/services.d/web.conf~: ignored: only NAME.conf files are "
		 "read",
		 tmp);
	ck_assert_str_eq(c.warnings.v[3], want);
	snprintf(want, sizeof(want),
		 "%s/%s: ignored: only NAME.conf files are read", tmp, longname);
	ck_assert_str_eq(c.warnings.v[4], want);
}
END_TEST

START_TEST(test_config_load_without_services_d_has_no_services)
{
	put("fakeosd.conf", "", 0644);
	ck_assert_int_eq(load(0), 0);
	ck_assert_uint_eq(c.nservices, 0);
	ck_assert_uint_eq(c.warnings.n, 0);
}
END_TEST

START_TEST(test_config_load_without_the_main_file_fails)
{
	mkdir_in("services.d", 0755);
	load_fails(0, -ENOENT, "fakeosd.conf", ": No such file or directory");
}
END_TEST

START_TEST(test_config_load_refuses_files_writable_by_group_or_others)
{
	good_tree();
	ck_assert_int_eq(load(0), 0);
	config_free(&c);
	put("services.d/db.conf", "url = file:///db\naccount = 0\n", 0664);
	load_fails(0, -EPERM, "services.d/db.conf",
		   " is writable by group (mode 0664)" REASON);
	put("services.d/db.conf", "url = file:///db\naccount = 0\n", 0646);
	load_fails(0, -EPERM, "services.d/db.conf",
		   " is writable by others (mode 0646)" REASON);
	put("services.d/db.conf", "url = file:///db\naccount = 0\n", 0600);
	put("fakeosd.conf", "", 0666);
	load_fails(0, -EPERM, "fakeosd.conf",
		   " is writable by group and others (mode 0666)" REASON);
}
END_TEST

START_TEST(test_config_load_refuses_writable_directories)
{
	good_tree();
	/* services.d: anyone could add a service. Sticky does not help. */
	ck_assert_int_eq(chmod(tmp, 0755), 0);
	char path[256];
	snprintf(path, sizeof(path), "%s/services.d", tmp);
	ck_assert_int_eq(chmod(path, 01777), 0);
	load_fails(0, -EPERM, "services.d",
		   " is writable by group and others (mode 1777)" REASON);
	ck_assert_int_eq(chmod(path, 0775), 0);
	load_fails(0, -EPERM, "services.d",
		   " is writable by group (mode 0775)" REASON);
	ck_assert_int_eq(chmod(path, 0755), 0);
	/* DIR: anyone could replace fakeosd.conf or services.d. */
	ck_assert_int_eq(chmod(tmp, 0757), 0);
	load_fails(0, -EPERM, "", " is writable by others (mode 0757)" REASON);
}
END_TEST

START_TEST(test_config_load_refuses_a_writable_directory_above_dir)
{
	/* tmp/up/etc/fakeos with tmp/up writable by others, not sticky:
	 * another user could rename etc away and put their own there. */
	mkdir_in("up", 0757);
	mkdir_in("up/etc", 0755);
	mkdir_in("up/etc/fakeos", 0755);
	char dir[256];
	snprintf(dir, sizeof(dir), "%s/up/etc/fakeos", tmp);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	int f = openat(fd, "fakeosd.conf", O_WRONLY | O_CREAT | O_CLOEXEC,
		       0644);
	ck_assert_int_ge(f, 0);
	close(f);
	close(fd);
	int r = config_load(dir, 0, &c, &err);
	ck_assert_int_eq(r, -EPERM);
	char want[512];
	snprintf(want, sizeof(want),
		 "%s/up is writable by others (mode 0757)" REASON, tmp);
	ck_assert_str_eq(err.msg, want);
	/* Sticky, as /tmp is (and /tmp is above every test's DIR): no one
	 * else can rename what is in it. */
	snprintf(want, sizeof(want), "%s/up", tmp);
	ck_assert_int_eq(chmod(want, 01757), 0);
	ck_assert_int_eq(config_load(dir, 0, &c, &err), 0);
	/* Owned by another user, it is that user's to replace. */
	ck_assert_int_eq(chmod(want, 0755), 0);
	ck_assert_int_eq(chown(want, 4321, (gid_t)-1), 0);
	config_free(&c);
	r = config_load(dir, 0, &c, &err);
	ck_assert_int_eq(r, -EPERM);
	snprintf(want, sizeof(want),
		 "%s/up is owned by uid 4321, not root" REASON, tmp);
	ck_assert_str_eq(err.msg, want);
}
END_TEST

START_TEST(test_config_load_refuses_files_of_another_owner)
{
	good_tree();
	chown_in("services.d/web.conf", 1000);
	load_fails(0, -EPERM, "services.d/web.conf",
		   " is owned by uid 1000, not root" REASON);
	chown_in("services.d/web.conf", 0);
	chown_in("services.d", 1000);
	load_fails(0, -EPERM, "services.d",
		   " is owned by uid 1000, not root" REASON);
	/* Tests run the daemon with their own owner: then root's files are
	 * the wrong owner's, and that owner's files are right. */
	load_fails(4321, -EPERM, "", " is owned by uid 0, not uid 4321" REASON);
	chown_in("", 4321);
	chown_in("fakeosd.conf", 4321);
	chown_in("services.d", 4321);
	chown_in("services.d/db.conf", 4321);
	load_fails(4321, -EPERM, "services.d/web.conf",
		   " is owned by uid 0, not uid 4321" REASON);
	chown_in("services.d/web.conf", 4321);
	ck_assert_int_eq(load(4321), 0);
	ck_assert_uint_eq(c.nservices, 2);
}
END_TEST

START_TEST(test_config_load_refuses_symbolic_links)
{
	good_tree();
	char path[256], target[256];
	/* A link to a good file: the link is what is refused. */
	snprintf(target, sizeof(target), "%s/services.d/web.conf", tmp);
	snprintf(path, sizeof(path), "%s/services.d/api.conf", tmp);
	ck_assert_int_eq(symlink(target, path), 0);
	load_fails(0, -EPERM, "services.d/api.conf",
		   " is a symbolic link" REASON);
	ck_assert_int_eq(unlink(path), 0);
	/* A dangling one too. */
	ck_assert_int_eq(symlink("/nonexistent", path), 0);
	load_fails(0, -EPERM, "services.d/api.conf",
		   " is a symbolic link" REASON);
	ck_assert_int_eq(unlink(path), 0);

	snprintf(target, sizeof(target), "%s/fakeosd.conf", tmp);
	snprintf(path, sizeof(path), "%s/main.conf", tmp);
	ck_assert_int_eq(rename(target, path), 0);
	ck_assert_int_eq(symlink("main.conf", target), 0);
	load_fails(0, -EPERM, "fakeosd.conf", " is a symbolic link" REASON);
	ck_assert_int_eq(unlink(target), 0);
	ck_assert_int_eq(rename(path, target), 0);

	snprintf(target, sizeof(target), "%s/services.d", tmp);
	snprintf(path, sizeof(path), "%s/real.d", tmp);
	ck_assert_int_eq(rename(target, path), 0);
	ck_assert_int_eq(symlink("real.d", target), 0);
	load_fails(0, -EPERM, "services.d", " is a symbolic link" REASON);
	ck_assert_int_eq(unlink(target), 0);
	ck_assert_int_eq(rename(path, target), 0);
	ck_assert_int_eq(load(0), 0);

	/* DIR itself given as a link. */
	config_free(&c);
	char link[128];
	snprintf(link, sizeof(link), "%s.link", tmp);
	unlink(link);
	ck_assert_int_eq(symlink(tmp, link), 0);
	int r = config_load(link, 0, &c, &err);
	unlink(link);
	ck_assert_int_eq(r, -EPERM);
	char want[512];
	snprintf(want, sizeof(want), "%s is a symbolic link" REASON, link);
	ck_assert_str_eq(err.msg, want);
}
END_TEST

START_TEST(test_config_load_refuses_a_fifo_or_directory_named_conf)
{
	good_tree();
	char path[256];
	snprintf(path, sizeof(path), "%s/services.d/pipe.conf", tmp);
	ck_assert_int_eq(mkfifo(path, 0644), 0);
	/* Opened without blocking: the load fails at once. */
	load_fails(0, -EINVAL, "services.d/pipe.conf",
		   " is not a regular file");
	ck_assert_int_eq(unlink(path), 0);
	mkdir_in("services.d/dir.conf", 0755);
	load_fails(0, -EINVAL, "services.d/dir.conf", " is not a regular file");
}
END_TEST

START_TEST(test_config_load_names_the_file_and_line_of_an_error)
{
	good_tree();
	put("services.d/web.conf",
	    "url = http://127.0.0.1/web\naccount = root\nrestart = maybe\n",
	    0644);
	load_fails(0, -EINVAL, "services.d/web.conf",
		   ":3: restart: 'maybe' is not no, on-failure or always");
	put("services.d/web.conf", "url = http://h/\naccount = root\n", 0644);
	put("services.d/bad name.conf", "", 0644);
	load_fails(0, -EINVAL, "services.d/bad name.conf",
		   ": 'bad name' is not a valid service name (1 to 63 "
		   "of A-Z a-z 0-9 . _ -)");
	char path[256];
	snprintf(path, sizeof(path), "%s/services.d/bad name.conf", tmp);
	ck_assert_int_eq(unlink(path), 0);
	put("fakeosd.conf", "pool = 4\nspawn-from = \"http://h/\n", 0644);
	load_fails(0, -EINVAL, "fakeosd.conf",
		   ":2: spawn-from: a double quote is not closed");
}
END_TEST

START_TEST(test_config_load_refuses_an_oversized_file_before_reading_it)
{
	good_tree();
	char path[256];
	snprintf(path, sizeof(path), "%s/fakeosd.conf", tmp);
	ck_assert_int_eq(truncate(path, CONFIG_FILE_MAX + 1), 0);
	load_fails(0, -EFBIG, "fakeosd.conf", ": larger than 65536 bytes");
}
END_TEST

START_TEST(test_config_load_bounds_services_d)
{
	put("fakeosd.conf", "", 0644);
	mkdir_in("services.d", 0755);
	char name[64];
	for (int i = 0; i <= CONFIG_ENTRIES_MAX; i++) {
		snprintf(name, sizeof(name), "services.d/junk%d", i);
		put(name, "", 0644);
	}
	load_fails(0, -E2BIG, "services.d", ": more than 1024 entries");
}
END_TEST

START_TEST(test_config_load_refuses_more_services_than_the_bound)
{
	put("fakeosd.conf", "", 0644);
	mkdir_in("services.d", 0755);
	char name[64];
	for (int i = 0; i <= CONFIG_SERVICES_MAX; i++) {
		snprintf(name, sizeof(name), "services.d/s%03d.conf", i);
		put(name, "url = http://h/\naccount = 0\n", 0644);
	}
	load_fails(0, -E2BIG, "services.d/s256.conf", ": more than 256 services");
}
END_TEST

START_TEST(test_config_load_takes_a_relative_dir_and_refuses_dot_dot)
{
	good_tree();
	/* Check runs each test in its own process: the chdir ends with it. */
	ck_assert_int_eq(chdir("/tmp"), 0);
	const char *rel = tmp + strlen("/tmp/");
	ck_assert_int_eq(config_load(rel, 0, &c, &err), 0);
	ck_assert_uint_eq(c.nservices, 2);
	char path[256];
	snprintf(path, sizeof(path), "%s/services.d/db.conf", rel);
	ck_assert_str_eq(c.services[0].path, path);
	config_free(&c);
	snprintf(path, sizeof(path), "%s/services.d/..", tmp);
	ck_assert_int_eq(config_load(path, 0, &c, &err), -EINVAL);
	char want[300];
	snprintf(want, sizeof(want), "%s: '..' in the path", path);
	ck_assert_str_eq(err.msg, want);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("config");
	TCase *t = tcase_create("text");
	tcase_add_checked_fixture(t, setup_text, teardown_text);
	tcase_add_test(t, test_config_defaults_when_no_key_is_set);
	tcase_add_test(t, test_config_main_keys_are_read);
	tcase_add_test(
		t, test_config_account_sections_override_the_defaults_in_any_order);
	tcase_add_test(
		t,
		test_config_account_names_resolve_and_two_sections_for_a_uid_fail);
	tcase_add_test(t, test_config_system_user_database_resolves_names);
	tcase_add_test(
		t, test_config_unknown_key_is_an_error_naming_file_line_and_keys);
	tcase_add_test(t, test_config_duplicate_key_is_an_error_naming_both_lines);
	tcase_add_test(t, test_config_malformed_lines_are_errors);
	tcase_add_test(t,
		       test_config_comments_blank_lines_crlf_and_no_final_newline);
	tcase_add_test(
		t, test_config_control_bytes_long_lines_and_big_files_are_refused);
	tcase_add_test(t, test_config_counts_sizes_and_durations_in_every_unit);
	tcase_add_test(t, test_config_bad_values_are_errors_naming_the_key);
	tcase_add_test(t,
		       test_config_bad_service_values_are_errors_naming_the_key);
	tcase_add_test(t, test_config_service_keys_are_read);
	tcase_add_test(t, test_config_service_defaults_come_from_its_account);
	tcase_add_test(t, test_config_service_without_url_or_account_is_refused);
	tcase_add_test(t,
		       test_config_service_name_is_its_file_name_and_must_be_valid);
	tcase_add_test(t, test_config_args_quoting_and_escapes);
	tcase_add_test(t, test_config_args_are_bounded_like_a_spawn);
	tcase_add_test(
		t, test_config_restart_delay_max_below_restart_delay_is_refused);
	tcase_add_test(t, test_config_a_name_is_published_by_one_service_only);
	tcase_add_test(t, test_config_man_page_examples_parse_as_they_say);
	suite_add_tcase(s, t);

	TCase *d = tcase_create("load");
	tcase_add_checked_fixture(d, setup_dir, teardown_dir);
	tcase_add_test(
		d, test_config_load_reads_the_main_file_and_services_in_name_order);
	tcase_add_test(d, test_config_load_without_services_d_has_no_services);
	tcase_add_test(d, test_config_load_without_the_main_file_fails);
	tcase_add_test(d,
		       test_config_load_refuses_files_writable_by_group_or_others);
	tcase_add_test(d, test_config_load_refuses_writable_directories);
	tcase_add_test(d, test_config_load_refuses_a_writable_directory_above_dir);
	tcase_add_test(d, test_config_load_refuses_files_of_another_owner);
	tcase_add_test(d, test_config_load_refuses_symbolic_links);
	tcase_add_test(d, test_config_load_refuses_a_fifo_or_directory_named_conf);
	tcase_add_test(d, test_config_load_names_the_file_and_line_of_an_error);
	tcase_add_test(d,
		       test_config_load_refuses_an_oversized_file_before_reading_it);
	tcase_add_test(d, test_config_load_bounds_services_d);
	tcase_add_test(d, test_config_load_refuses_more_services_than_the_bound);
	tcase_add_test(d, test_config_load_takes_a_relative_dir_and_refuses_dot_dot);
	suite_add_tcase(s, d);

	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
