/* test_config_hostlimits.c — fakeosd.conf's bounds of what one other host
 * may hold here (src/config.c, remote.h's remote_limits): `host-links`,
 * `host-links-per-program`, `host-link-rate` and `host-link-burst`, whole numbers of 1 or more, 0
 * (remote.h's defaults) when unset. Keys of fakeosd.conf's top only: an
 * account or a service cannot loosen what a host may do. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "config_fixture.h"

START_TEST(test_config_hostlimits_are_the_defaults_unless_set)
{
	main_ok("pool = 2\n");
	ck_assert_uint_eq(c.host_links, 0);
	ck_assert_uint_eq(c.host_prog_links, 0);
	ck_assert_uint_eq(c.host_link_rate, 0);
	ck_assert_uint_eq(c.host_link_burst, 0);
}
END_TEST

START_TEST(test_config_hostlimits_are_read)
{
	main_ok("host-links = 20\nhost-links-per-program = 7\n"
		"host-link-rate = 5\nhost-link-burst = 9\n");
	ck_assert_uint_eq(c.host_links, 20);
	ck_assert_uint_eq(c.host_prog_links, 7);
	ck_assert_uint_eq(c.host_link_rate, 5);
	ck_assert_uint_eq(c.host_link_burst, 9);
}
END_TEST

/* 0 would read as "the default", not "none": refused, as a typo is. */
START_TEST(test_config_hostlimits_zero_and_words_are_refused)
{
	int r = parse("fakeosd.conf", CONFIG_KIND_MAIN, "host-links = 0\n");
	ck_assert_int_lt(r, 0);
	ck_assert_msg(strstr(err.msg, "fakeosd.conf:1: host-links"), "%s",
		      err.msg);
	config_free(&c);
	config_init(&c);
	MAIN_FAILS("host-link-rate = fast\n",
		   "fakeosd.conf:1: host-link-rate: 'fast' is not a whole "
		   "number");
	config_free(&c);
	config_init(&c);
	ck_assert_int_lt(parse("fakeosd.conf", CONFIG_KIND_MAIN,
			       "[account alice]\nhost-links = 100\n"),
			 0);
	ck_assert_msg(strstr(err.msg, "unknown key 'host-links'"), "%s",
		      err.msg);
}
END_TEST

/* A silent host's links end after link-idle-timeout (QUIC's idle
 * timeout), a handshake after link-handshake-timeout: 10 s and 5 s
 * unless set, a second at least, as no LAN needs less. */
START_TEST(test_config_link_timeouts_are_read_and_bounded)
{
	main_ok("pool = 2\n");
	ck_assert_uint_eq(c.link_idle_ms, 10000);
	ck_assert_uint_eq(c.link_handshake_ms, 5000);
	config_free(&c);
	config_init(&c);
	main_ok("link-idle-timeout = 3s\nlink-handshake-timeout = 1500ms\n");
	ck_assert_uint_eq(c.link_idle_ms, 3000);
	ck_assert_uint_eq(c.link_handshake_ms, 1500);
	config_free(&c);
	config_init(&c);
	ck_assert_int_lt(parse("fakeosd.conf", CONFIG_KIND_MAIN,
			       "link-idle-timeout = 500ms\n"),
			 0);
	ck_assert_msg(strstr(err.msg, "fakeosd.conf:1: link-idle-timeout"),
		      "%s", err.msg);
	config_free(&c);
	config_init(&c);
	ck_assert_int_lt(parse("fakeosd.conf", CONFIG_KIND_MAIN,
			       "link-handshake-timeout = 2min\n"),
			 0);
	ck_assert_msg(strstr(err.msg, "fakeosd.conf:1: link-handshake-timeout"),
		      "%s", err.msg);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("config_hostlimits");
	TCase *t = tcase_create("hostlimits");
	tcase_add_checked_fixture(t, setup_text, teardown_text);
	tcase_add_test(t, test_config_hostlimits_are_the_defaults_unless_set);
	tcase_add_test(t, test_config_link_timeouts_are_read_and_bounded);
	tcase_add_test(t, test_config_hostlimits_are_read);
	tcase_add_test(t, test_config_hostlimits_zero_and_words_are_refused);
	suite_add_tcase(s, t);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
