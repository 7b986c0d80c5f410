/* test_config_resolver.c — fakeosd.conf's resolver keys (src/config.c):
 * `resolver = static|etcd`, `etcd = URL` (the gateway fakeosd sends to:
 * http(s), no pin) and `names = PATH` (the static backend's file).
 * Names are exported by a service's `export = yes` only (services.d), so
 * fakeosd.conf has no `export`. Its own file because test_config.c is long
 * enough. */
#include <check.h>
#include <string.h>

#include "config_fixture.h"

START_TEST(test_config_resolver_defaults_to_static_with_no_names_path)
{
	ck_assert_int_eq(parse("fakeosd.conf", CONFIG_KIND_MAIN, "pool = 2\n"), 0);
	ck_assert_int_eq(c.resolver, CONFIG_RESOLVER_STATIC);
	ck_assert_ptr_null(c.etcd_url);
	ck_assert_ptr_null(c.names);
	ck_assert_str_eq(config_resolver_name(c.resolver), "static");
}
END_TEST

START_TEST(test_config_resolver_etcd_with_url_and_names_path_is_read)
{
	ck_assert_int_eq(parse("fakeosd.conf", CONFIG_KIND_MAIN, "resolver = etcd\n"
			       "etcd = http://10.0.0.5:2379\n"
			       "names = /srv/fakeos/names\n"),
			 0);
	ck_assert_int_eq(c.resolver, CONFIG_RESOLVER_ETCD);
	ck_assert_str_eq(config_resolver_name(c.resolver), "etcd");
	ck_assert_str_eq(c.etcd_url, "http://10.0.0.5:2379");
	ck_assert_str_eq(c.names, "/srv/fakeos/names");
}
END_TEST

START_TEST(test_config_resolver_unknown_backend_is_refused_with_the_choices)
{
	MAIN_FAILS("\nresolver = dns\n",
		"fakeosd.conf:2: resolver: 'dns' is not static or etcd");
	/* The same word list code as restart's, which keeps its words. */
	config_free(&c);
	config_init(&c);
	memset(&err, 0, sizeof(err));
	const char *svc = "url = http://h/p\naccount = 0\nrestart = maybe\n";
	ck_assert_int_lt(config_parse_text("services.d/x.conf", svc, strlen(svc),
					   CONFIG_KIND_SERVICE, NULL, &c,
					   &err),
			 0);
	ck_assert_str_eq(err.msg, "services.d/x.conf:3: restart: 'maybe' is "
				  "not no, on-failure or always");
}
END_TEST

START_TEST(test_config_resolver_etcd_url_must_be_http_without_pin)
{
	MAIN_FAILS("etcd = unix:///run/etcd.sock\n",
		"fakeosd.conf:1: etcd: 'unix:///run/etcd.sock' is not an "
		"http(s) URL");
	MAIN_FAILS("etcd = http://h:2379/#sha256="
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
		"\n",
		"fakeosd.conf:1: etcd: 'http://h:2379/#sha256=ba7816bf8f01cfea41"
		"4140de5dae2223b00361...' has a #sha256= pin, but fakeosd "
		"sends there");
}
END_TEST

START_TEST(test_config_resolver_export_is_a_service_key_not_a_main_one)
{
	MAIN_FAILS("export = db\n",
		"fakeosd.conf:1: unknown key 'export' (keys here: pool, "
		"cache-max, spawn-from, grace, crash-url, crash-reports, "
		"crash-window, resolver, etcd, listen, host-key, hosts, names, "
		"host-links, host-links-per-program, host-link-rate, "
		"host-link-burst, "
		"broadcast, broadcast-to, broadcast-secret)");
	config_free(&c);
	config_init(&c);
	MAIN_FAILS("resolver = etcd\nresolver = static\n",
		"fakeosd.conf:2: 'resolver' is set twice (first on line 1)");
}
END_TEST

START_TEST(test_config_resolver_keys_are_not_keys_of_an_account)
{
	MAIN_FAILS("[account]\nexport = db\n",
		"fakeosd.conf:2: unknown key 'export' (keys here: programs, "
		"memory, links, services)");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("config_resolver");
	TCase *t = tcase_create("resolver");
	tcase_add_checked_fixture(t, setup_text, teardown_text);
	tcase_add_test(t, test_config_resolver_defaults_to_static_with_no_names_path);
	tcase_add_test(t, test_config_resolver_etcd_with_url_and_names_path_is_read);
	tcase_add_test(t,
		       test_config_resolver_unknown_backend_is_refused_with_the_choices);
	tcase_add_test(t, test_config_resolver_etcd_url_must_be_http_without_pin);
	tcase_add_test(t, test_config_resolver_export_is_a_service_key_not_a_main_one);
	tcase_add_test(t, test_config_resolver_keys_are_not_keys_of_an_account);
	suite_add_tcase(s, t);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
