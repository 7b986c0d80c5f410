/* test_config.c — fakeosd's configuration text (src/config.c): every key
 * and its default, every value type, the error messages with their file
 * and line, the quoting of args, the bounds. Reading a directory is
 * test_config_load.c's. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "config_fixture.h"

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
		   "hosts, names, host-links, host-links-per-program, "
		   "host-link-rate, "
		   "host-link-burst, broadcast, broadcast-to, "
		   "broadcast-secret)");
	MAIN_FAILS("watchdog = 30s\n",
		   "fakeosd.conf:1: unknown key 'watchdog' (keys here: pool, "
		   "cache-max, spawn-from, grace, crash-url, crash-reports, "
		   "crash-window, resolver, etcd, listen, host-key, "
		   "hosts, names, host-links, host-links-per-program, "
		   "host-link-rate, "
		   "host-link-burst, broadcast, broadcast-to, "
		   "broadcast-secret)");
	/* An account key before any section, and a global key in one. */
	MAIN_FAILS("programs = 4\n",
		   "fakeosd.conf:1: unknown key 'programs' (keys here: pool, "
		   "cache-max, spawn-from, grace, crash-url, crash-reports, "
		   "crash-window, resolver, etcd, listen, host-key, "
		   "hosts, names, host-links, host-links-per-program, "
		   "host-link-rate, "
		   "host-link-burst, broadcast, broadcast-to, "
		   "broadcast-secret)");
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


	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
