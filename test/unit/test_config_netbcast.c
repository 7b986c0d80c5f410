/* test_config_netbcast.c — fakeosd.conf's keys of broadcast across hosts
 * (src/config.c): `broadcast = CHANNEL...`, the channels the operator
 * makes network-wide (names as a program's channels are, at most
 * CONFIG_BROADCAST_MAX), and `broadcast-to = ADDRESS:PORT` and `broadcast-secret = PATH`. They are keys
 * of fakeosd.conf's top only: neither an account nor a service (so no
 * program's settings) can make a channel network-wide. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "config_fixture.h"

START_TEST(test_config_netbcast_is_off_unless_set)
{
	main_ok("pool = 2\n");
	ck_assert_uint_eq(c.broadcast.n, 0);
	ck_assert_ptr_null(c.broadcast_to);
	ck_assert_ptr_null(c.broadcast_secret);
}
END_TEST

START_TEST(test_config_netbcast_channels_and_address_are_read)
{
	main_ok("broadcast = news storm.v2\n"
		"broadcast-to = 239.255.70.75:7475\n"
		"broadcast-secret = /etc/fakeos/broadcast.secret\n");
	ck_assert_str_eq(c.broadcast_secret, "/etc/fakeos/broadcast.secret");
	ck_assert_uint_eq(c.broadcast.n, 2);
	ck_assert_str_eq(c.broadcast.v[0], "news");
	ck_assert_str_eq(c.broadcast.v[1], "storm.v2");
	ck_assert_str_eq(c.broadcast_to, "239.255.70.75:7475");
}
END_TEST

START_TEST(test_config_netbcast_bad_values_are_refused)
{
	MAIN_FAILS("broadcast-to = 239.255.70.75\n",
		   "fakeosd.conf:1: broadcast-to: '239.255.70.75' is not "
		   "ADDRESS:PORT (examples: 10.0.0.1:4433, [fe80::1]:4433)");
	config_free(&c);
	config_init(&c);
	MAIN_FAILS("broadcast-secret = secret\n",
		   "fakeosd.conf:1: broadcast-secret: 'secret' is not an "
		   "absolute path");
	config_free(&c);
	config_init(&c);
	int r = parse("fakeosd.conf", CONFIG_KIND_MAIN, "broadcast = no/way\n");
	ck_assert_int_lt(r, 0);
	ck_assert_msg(strstr(err.msg, "fakeosd.conf:1: broadcast:"), "%s",
		      err.msg);
	config_free(&c);
	config_init(&c);
	char line[512] = "broadcast =";
	for (int i = 0; i <= CONFIG_BROADCAST_MAX; i++)
		snprintf(line + strlen(line), sizeof(line) - strlen(line),
			 " c%d", i);
	strcat(line, "\n");
	r = parse("fakeosd.conf", CONFIG_KIND_MAIN, line);
	ck_assert_int_lt(r, 0);
	ck_assert_msg(strstr(err.msg, "broadcast"), "%s", err.msg);
}
END_TEST

START_TEST(test_config_netbcast_is_no_key_of_a_service_or_an_account)
{
	SERVICE_FAILS(SVC "broadcast = news\n",
		      "services.d/web.conf:3: unknown key 'broadcast' (keys "
		      "here: url, args, account, memory, cpu, time-limit, "
		      "publish, restart, restart-delay, restart-delay-max, "
		      "export)");
	ck_assert_int_lt(parse("fakeosd.conf", CONFIG_KIND_MAIN,
			       "[account alice]\nbroadcast = news\n"),
			 0);
	ck_assert_msg(strstr(err.msg, "unknown key 'broadcast'"), "%s",
		      err.msg);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("config_netbcast");
	TCase *t = tcase_create("netbcast");
	tcase_add_checked_fixture(t, setup_text, teardown_text);
	tcase_add_test(t, test_config_netbcast_is_off_unless_set);
	tcase_add_test(t, test_config_netbcast_channels_and_address_are_read);
	tcase_add_test(t, test_config_netbcast_bad_values_are_refused);
	tcase_add_test(t, test_config_netbcast_is_no_key_of_a_service_or_an_account);
	suite_add_tcase(s, t);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
