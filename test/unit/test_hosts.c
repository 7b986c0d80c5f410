/* Unit tests for the known-hosts file (src/hosts.c): the line format, the
 * errors that name their line, duplicates, and the look-ups. */
#include <check.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hosts.h"

#define K1 "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define K2 "sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

static int parse(const char *text, struct hosts *h, struct error *e)
{
	return hosts_parse(text, strlen(text), h, e);
}

START_TEST(test_two_hosts_with_comments_and_blank_lines_are_read)
{
	struct hosts h;
	struct error e = {{0}};
	const char *text = "# the site\n\n"
			   "alpha 10.0.0.1:4433 " K1 "\n"
			   "  \t# indented comment\r\n"
			   "beta [fe80::2]:9 " K2 "\r\n";
	ck_assert_int_eq(parse(text, &h, &e), 0);
	ck_assert_uint_eq(h.n, 2);
	ck_assert_str_eq(h.v[0].name, "alpha");
	const struct sockaddr_in *a = (const struct sockaddr_in *)&h.v[0].addr;
	ck_assert_int_eq(a->sin_family, AF_INET);
	ck_assert_uint_eq(ntohs(a->sin_port), 4433);
	ck_assert_uint_eq(ntohl(a->sin_addr.s_addr), 0x0a000001);
	ck_assert_uint_eq(h.v[0].key[0], 0x01);
	ck_assert_uint_eq(h.v[0].key[31], 0xef);
	const struct sockaddr_in6 *b = (const struct sockaddr_in6 *)&h.v[1].addr;
	ck_assert_int_eq(b->sin6_family, AF_INET6);
	ck_assert_uint_eq(ntohs(b->sin6_port), 9);
	ck_assert_ptr_eq(hosts_by_name(&h, "beta"), &h.v[1]);
	ck_assert_ptr_eq(hosts_by_key(&h, h.v[0].key), &h.v[0]);
	ck_assert_ptr_null(hosts_by_name(&h, "gamma"));
	ck_assert_ptr_eq(hosts_by_addr(&h, (const struct sockaddr *)&h.v[0].addr,
				       h.v[0].addrlen),
			 &h.v[0]);
	char text_key[HOST_KEY_TEXT_SIZE];
	hosts_format_key(h.v[1].key, text_key);
	ck_assert_str_eq(text_key, K2);
	char addr[64];
	hosts_format_addr((const struct sockaddr *)&h.v[1].addr, addr,
			  sizeof(addr));
	ck_assert_str_eq(addr, "[fe80::2]:9");
	hosts_free(&h);
}
END_TEST

/* Each bad line is refused, naming its line number and why. */
static void refused(const char *text, const char *msg)
{
	struct hosts h;
	struct error e = {{0}};
	ck_assert_int_eq(parse(text, &h, &e), -EINVAL);
	ck_assert_uint_eq(h.n, 0);
	ck_assert_ptr_null(h.v);
	if (!strstr(e.msg, msg))
		ck_abort_msg("for %s: expected '%s' in '%s'", text, msg, e.msg);
}

START_TEST(test_malformed_lines_are_refused_naming_the_line)
{
	refused("a 10.0.0.1:1 " K1 "\nb 10.0.0.2:1\n", "line 2: expected");
	refused("a 10.0.0.1:1 " K1 " extra\n", "line 1: expected");
	refused("Alpha 10.0.0.1:1 " K1 "\n", "line 1: bad host name");
	refused("-a 10.0.0.1:1 " K1 "\n", "bad host name");
	refused("a/b 10.0.0.1:1 " K1 "\n", "bad host name");
	refused("a 10.0.0.1 " K1 "\n", "bad address");
	refused("a 10.0.0.1:0 " K1 "\n", "bad address");
	refused("a 10.0.0.1:65536 " K1 "\n", "bad address");
	refused("a 10.0.0.1:+1 " K1 "\n", "bad address");
	refused("a host.example:1 " K1 "\n", "bad address");
	refused("a [::1:1 " K1 "\n", "bad address");
	refused("a 10.0.0.1:1 md5:0123\n", "bad key");
	refused("a 10.0.0.1:1 sha256:0123\n", "bad key");
	refused("a 10.0.0.1:1 " K1 "0\n", "bad key");
	refused("a 10.0.0.1:1 sha256:zz23456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n",
		"bad key");
}
END_TEST

START_TEST(test_a_name_or_key_listed_twice_is_refused)
{
	refused("a 10.0.0.1:1 " K1 "\na 10.0.0.2:1 " K2 "\n",
		"line 2: host name listed twice");
	/* One key under two names would let a peer choose its name. */
	refused("a 10.0.0.1:1 " K1 "\nb 10.0.0.2:1 " K1 "\n",
		"line 2: key listed twice");
}
END_TEST

START_TEST(test_an_empty_file_is_no_hosts)
{
	struct hosts h;
	struct error e = {{0}};
	ck_assert_int_eq(parse("", &h, &e), 0);
	ck_assert_uint_eq(h.n, 0);
	ck_assert_int_eq(parse("# nothing\n\n", &h, &e), 0);
	ck_assert_uint_eq(h.n, 0);
	hosts_free(&h);
}
END_TEST

START_TEST(test_a_nul_byte_or_overlong_line_is_refused)
{
	struct hosts h;
	struct error e = {{0}};
	const char text[] = "a 10.0.0.1:1 \0" K1 "\n";
	ck_assert_int_eq(hosts_parse(text, sizeof(text) - 1, &h, &e), -EINVAL);
	ck_assert(strstr(e.msg, "line 1: NUL byte") != NULL);
	char big[600];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	refused(big, "line 1: line too long");
}
END_TEST

START_TEST(test_load_names_the_file_in_its_errors)
{
	char path[] = "/tmp/test_hosts.XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	const char *text = "a 10.0.0.1:1 " K1 "\nbad\n";
	ck_assert_int_eq(write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);
	struct hosts h;
	struct error e = {{0}};
	ck_assert_int_eq(hosts_load(path, &h, &e), -EINVAL);
	ck_assert(strstr(e.msg, path) != NULL);
	ck_assert(strstr(e.msg, "line 2") != NULL);
	unlink(path);
	ck_assert_int_eq(hosts_load(path, &h, &e), -ENOENT);
	ck_assert(strstr(e.msg, path) != NULL);
}
END_TEST

static Suite *hosts_suite(void)
{
	Suite *s = suite_create("hosts");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_two_hosts_with_comments_and_blank_lines_are_read);
	tcase_add_test(tc, test_malformed_lines_are_refused_naming_the_line);
	tcase_add_test(tc, test_a_name_or_key_listed_twice_is_refused);
	tcase_add_test(tc, test_an_empty_file_is_no_hosts);
	tcase_add_test(tc, test_a_nul_byte_or_overlong_line_is_refused);
	tcase_add_test(tc, test_load_names_the_file_in_its_errors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(hosts_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
