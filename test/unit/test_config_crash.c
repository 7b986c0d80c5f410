/* test_config_crash.c — fakeosd.conf's crash-url (src/config.c): where
 * fakeosd's broker POSTs crash reports (docs/CRASH.md). Its own file
 * because test_config.c is long enough. The URL is the operator's: only
 * http(s), no pin, no file://, and it is read like every other key (set
 * once, named in each error with its file and line). */
#include <check.h>
#include <string.h>

#include "config_fixture.h"

START_TEST(test_config_crash_url_is_none_by_default)
{
	ck_assert_int_eq(parse("fakeosd.conf", CONFIG_KIND_MAIN, "pool = 2\n"), 0);
	ck_assert_ptr_null(c.crash_url);
}
END_TEST

START_TEST(test_config_crash_url_http_and_https_are_read_as_written)
{
	ck_assert_int_eq(parse("fakeosd.conf", CONFIG_KIND_MAIN, "crash-url = http://127.0.0.1:8080/crash\n"),
			 0);
	ck_assert_str_eq(c.crash_url, "http://127.0.0.1:8080/crash");
	config_free(&c);
	config_init(&c);
	ck_assert_int_eq(parse("fakeosd.conf", CONFIG_KIND_MAIN, "crash-url = https://crash.example/in?x=1\n"
			       "[account]\nprograms = 4\n"),
			 0);
	ck_assert_str_eq(c.crash_url, "https://crash.example/in?x=1");
}
END_TEST

START_TEST(test_config_crash_url_other_than_http_is_refused)
{
	MAIN_FAILS("crash-url = file:///var/crash\n",
		"fakeosd.conf:1: crash-url: 'file:///var/crash' is not an "
		"http(s) URL");
	MAIN_FAILS("crash-url = ftp://h/x\n",
		"fakeosd.conf:1: crash-url: 'ftp://h/x' is not an http(s) "
		"URL");
	MAIN_FAILS("\ncrash-url = http://h/c#sha256="
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
		"\n",
		"fakeosd.conf:2: crash-url: 'http://h/c#sha256=ba7816bf8f01cfea"
		"414140de5dae2223b00361a396...' has a #sha256= pin, but "
		"fakeosd sends there");
	MAIN_FAILS("crash-url = http://user:pw@h/c\n",
		"fakeosd.conf:1: crash-url: 'http://user:pw@h/c': credentials "
		"in URLs (user@host) are not supported: they would be stored "
		"in the cache and shown in messages");
	ck_assert_ptr_null(c.crash_url);
}
END_TEST

START_TEST(test_config_crash_url_set_twice_or_in_a_section_is_refused)
{
	MAIN_FAILS("crash-url = http://a/c\ncrash-url = http://b/c\n",
		"fakeosd.conf:2: 'crash-url' is set twice (first on line 1)");
	config_free(&c);
	config_init(&c);
	MAIN_FAILS("[account]\ncrash-url = http://a/c\n",
		"fakeosd.conf:2: unknown key 'crash-url' (keys here: "
		ACCOUNT_KEYS ")");
	MAIN_FAILS("crash-url =\n", "fakeosd.conf:1: 'crash-url' has no value");
}
END_TEST

START_TEST(test_config_crash_url_is_no_key_of_a_service)
{
	const char *t = "url = http://h/p\naccount = 0\n"
			"crash-url = http://h/c\n";
	ck_assert_int_lt(config_parse_text("services.d/web.conf", t, strlen(t),
					   CONFIG_KIND_SERVICE, NULL, &c,
					   &err),
			 0);
	ck_assert_msg(strstr(err.msg, "services.d/web.conf:3: unknown key "
				      "'crash-url'") == err.msg,
		      "%s", err.msg);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("config_crash");
	TCase *t = tcase_create("crash-url");
	tcase_add_checked_fixture(t, setup_text, teardown_text);
	tcase_add_test(t, test_config_crash_url_is_none_by_default);
	tcase_add_test(t,
		       test_config_crash_url_http_and_https_are_read_as_written);
	tcase_add_test(t, test_config_crash_url_other_than_http_is_refused);
	tcase_add_test(t,
		       test_config_crash_url_set_twice_or_in_a_section_is_refused);
	tcase_add_test(t, test_config_crash_url_is_no_key_of_a_service);
	suite_add_tcase(s, t);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
