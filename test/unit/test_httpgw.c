/* test_httpgw.c — the HTTP gateway's bytes (src/httpgw_wire.c): the
 * request parser, the one spelling of a URL, the allow-list's rule and
 * the answer's datagrams; and its settings in fakeosd.conf. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "httpgw_wire.h"

/* A request datagram in buf, by the header's packer: its length. */
static size_t request(uint8_t *buf, int method, uint64_t length,
		      const char *url)
{
	size_t n = fk_http_request_pack(buf, method, length, url);
	ck_assert_uint_gt(n, 0);
	return n;
}

/* Parses buf, expecting err; the message. */
static const char *refused(const uint8_t *buf, size_t len, int err)
{
	static struct error e;
	struct httpgw_req r;
	ck_assert_int_eq(httpgw_parse_request(buf, len, &r, &e), err);
	ck_assert_ptr_null(r.url);
	return e.msg;
}

START_TEST(test_request_get_and_put_parse_with_the_url_normalized)
{
	uint8_t buf[FK_PAGE_SIZE];
	struct httpgw_req r;
	struct error e;
	size_t n = request(buf, FK_HTTP_GET, 0, "HTTP://Example.COM:80/a/b?x=1");
	ck_assert_int_eq(httpgw_parse_request(buf, n, &r, &e), 0);
	ck_assert_int_eq(r.method, FK_HTTP_GET);
	ck_assert_str_eq(r.url, "http://example.com/a/b?x=1");
	free(r.url);
	n = request(buf, FK_HTTP_PUT, 12345, "https://h:8443");
	ck_assert_int_eq(httpgw_parse_request(buf, n, &r, &e), 0);
	ck_assert_int_eq(r.method, FK_HTTP_PUT);
	ck_assert_uint_eq(r.length, 12345);
	ck_assert_str_eq(r.url, "https://h:8443/");
	free(r.url);
}
END_TEST

START_TEST(test_request_malformed_is_refused_with_its_reason)
{
	uint8_t buf[FK_PAGE_SIZE];
	size_t n = request(buf, FK_HTTP_GET, 0, "http://h/x");
	ck_assert_ptr_nonnull(strstr(refused(buf, 17, -EPROTO), "shorter"));
	buf[0] = 'X';
	ck_assert_ptr_nonnull(strstr(refused(buf, n, -EPROTO), "not a request"));
	n = request(buf, FK_HTTP_GET, 0, "http://h/x");
	buf[4] = 2;
	ck_assert_ptr_nonnull(strstr(refused(buf, n, -EPROTONOSUPPORT),
				     "version 2"));
	n = request(buf, 3, 0, "http://h/x");
	ck_assert_ptr_nonnull(strstr(refused(buf, n, -EOPNOTSUPP), "method 3"));
	n = request(buf, FK_HTTP_GET, 0, "http://h/x");
	buf[6] = 1;
	ck_assert_ptr_nonnull(strstr(refused(buf, n, -EPROTO), "reserved"));
	n = request(buf, FK_HTTP_GET, 9, "http://h/x");
	ck_assert_ptr_nonnull(strstr(refused(buf, n, -EINVAL), "a GET with"));
	/* The URL must end at the datagram's last byte, a NUL. */
	n = request(buf, FK_HTTP_GET, 0, "http://h/x");
	ck_assert_ptr_nonnull(strstr(refused(buf, n - 1, -EPROTO), "NUL"));
	buf[n] = 'y';
	ck_assert_ptr_nonnull(strstr(refused(buf, n + 1, -EPROTO), "NUL"));
	n = request(buf, FK_HTTP_GET, 0, "http://h/x");
	buf[20] = '\0'; /* a NUL inside the URL */
	ck_assert_ptr_nonnull(strstr(refused(buf, n, -EPROTO), "NUL"));
	n = request(buf, FK_HTTP_GET, 0, "file:///etc/passwd");
	ck_assert_ptr_nonnull(strstr(refused(buf, n, -EPROTONOSUPPORT),
				     "only http"));
}
END_TEST

static const char *normalize_fails(const char *url)
{
	static struct error e;
	char *out = (char *)1;
	ck_assert_int_eq(httpgw_normalize(url, &out, &e), -EINVAL);
	ck_assert_ptr_null(out);
	return e.msg;
}

START_TEST(test_normalize_refuses_paths_a_server_could_read_otherwise)
{
	ck_assert_ptr_nonnull(strstr(normalize_fails("http://h/pub/../etc"),
				     "'..' segment"));
	ck_assert_ptr_nonnull(strstr(normalize_fails("http://h/pub/./x"),
				     "'..' segment"));
	ck_assert_ptr_nonnull(strstr(normalize_fails("http://h/pub/.."),
				     "'..' segment"));
	ck_assert_ptr_nonnull(strstr(normalize_fails("http://h/pub/%2e%2E/x"),
				     "percent-encoded"));
	ck_assert_ptr_nonnull(strstr(normalize_fails("http://h/pub%2fx"),
				     "percent-encoded"));
	ck_assert_ptr_nonnull(strstr(normalize_fails("http://h/pub%5Cx"),
				     "percent-encoded"));
	ck_assert_ptr_nonnull(strstr(normalize_fails("http://h/pub/%00"),
				     "percent-encoded"));
	ck_assert_ptr_nonnull(strstr(normalize_fails("http://h/pub\\..\\x"),
				     "backslash"));
	ck_assert_ptr_nonnull(strstr(normalize_fails("http://h/pub/%2"),
				     "two hex digits"));
	ck_assert_ptr_nonnull(strstr(normalize_fails("http://h/x#frag"),
				     "fragment"));
	ck_assert_ptr_nonnull(strstr(normalize_fails("http://u@h/x"),
				     "credentials"));
	/* A query is not a path: dots there are the server's business. */
	char *out;
	struct error e;
	ck_assert_int_eq(httpgw_normalize("http://h/a?p=../x", &out, &e), 0);
	ck_assert_str_eq(out, "http://h/a?p=../x");
	free(out);
	ck_assert_int_eq(httpgw_normalize("http://h/a/..b/c.", &out, &e), 0);
	free(out);
}
END_TEST

START_TEST(test_normalize_spells_scheme_host_and_port_one_way)
{
	static const char *const cases[][2] = {
		{ "HTTP://H.Example/P", "http://h.example/P" },
		{ "https://h:443/x", "https://h/x" },
		{ "http://h:443/x", "http://h:443/x" },
		{ "http://h:0080/x", "http://h/x" },
		{ "http://h", "http://h/" },
		{ "http://h?q", "http://h/?q" },
		{ "http://[::1]:80/x", "http://[::1]/x" },
		{ "http://[::1]:8080/x", "http://[::1]:8080/x" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out;
		struct error e;
		ck_assert_int_eq(httpgw_normalize(cases[i][0], &out, &e), 0);
		ck_assert_str_eq(out, cases[i][1]);
		free(out);
	}
}
END_TEST

START_TEST(test_allow_list_holds_its_prefixes_at_a_segments_boundary)
{
	char *allow[] = { "http://h/pub", "HTTPS://Data.Example:443/a/b/",
			  "http://127.0.0.1:8080/" };
	static const struct {
		const char *url;
		int prefix; /* -1: refused */
	} cases[] = {
		{ "http://h/pub", 0 },
		{ "http://h/pub/", 0 },
		{ "http://h/pub/x/y", 0 },
		{ "http://h/pub?x", -1 }, /* not a segment's boundary */
		{ "http://h/public", -1 },
		{ "http://h/", -1 },
		{ "https://h/pub/x", -1 }, /* another scheme */
		{ "http://h:8080/pub/x", -1 }, /* another port */
		{ "http://h.evil/pub/x", -1 },
		{ "https://data.example/a/b/c", 1 },
		{ "https://data.example/a/bc", -1 },
		{ "https://data.example/a/", -1 },
		{ "http://127.0.0.1:8080/anything", 2 },
		{ "http://127.0.0.1/anything", -1 },
		{ "http://localhost:8080/anything", -1 }, /* names, not addresses */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *url;
		struct error e;
		ck_assert_msg(httpgw_normalize(cases[i].url, &url, &e) == 0,
			      "%s: %s", cases[i].url, e.msg);
		const char *hit = httpgw_allowed(allow, 3, url);
		if (cases[i].prefix < 0)
			ck_assert_msg(!hit, "%s allowed by %s", url, hit);
		else
			ck_assert_msg(hit == allow[cases[i].prefix],
				      "%s: %s", url, hit ? hit : "refused");
		free(url);
	}
	ck_assert_ptr_null(httpgw_allowed(NULL, 0, "http://h/pub/x"));
}
END_TEST

START_TEST(test_request_pack_refuses_a_url_that_does_not_fit)
{
	uint8_t buf[FK_PAGE_SIZE];
	char url[FK_PAGE_SIZE + 1];
	memset(url, 'a', sizeof(url));
	memcpy(url, "http://h/", 9);
	url[FK_HTTP_URL_MAX + 1] = '\0';
	ck_assert_uint_eq(fk_http_request_pack(buf, FK_HTTP_GET, 0, url), 0);
	url[FK_HTTP_URL_MAX] = '\0';
	ck_assert_uint_eq(fk_http_request_pack(buf, FK_HTTP_GET, 0, url),
			  FK_PAGE_SIZE);
	struct httpgw_req r;
	struct error e;
	ck_assert_int_eq(httpgw_parse_request(buf, FK_PAGE_SIZE, &r, &e), 0);
	ck_assert_uint_eq(strlen(r.url), FK_HTTP_URL_MAX);
	free(r.url);
}
END_TEST

START_TEST(test_answer_datagrams_carry_status_and_a_terminated_reason)
{
	uint8_t buf[FK_PAGE_SIZE];
	size_t n = httpgw_pack_status(buf, -EACCES, -1, "no");
	ck_assert_uint_eq(n, sizeof(struct fk_http_status) + 3);
	struct fk_http_status s;
	memcpy(&s, buf, sizeof(s));
	ck_assert_int_eq(s.kind, FK_HTTP_STATUS);
	ck_assert_int_eq(s.status, -EACCES);
	ck_assert_int_eq(s.length, -1);
	ck_assert_str_eq((char *)buf + sizeof(s), "no");
	/* A reason of any length fits one datagram, cut, with its NUL. */
	char *big = malloc(3 * FK_PAGE_SIZE);
	memset(big, 'x', 3 * FK_PAGE_SIZE - 1);
	big[3 * FK_PAGE_SIZE - 1] = '\0';
	n = httpgw_pack_end(buf, -EFBIG, 7, big);
	ck_assert_uint_eq(n, FK_PAGE_SIZE);
	ck_assert_int_eq(buf[FK_PAGE_SIZE - 1], '\0');
	struct fk_http_end en;
	memcpy(&en, buf, sizeof(en));
	ck_assert_int_eq(en.kind, FK_HTTP_END);
	ck_assert_int_eq(en.status, -EFBIG);
	ck_assert_uint_eq(en.bytes, 7);
	free(big);
}
END_TEST

static int resolve(const char *name, uid_t *uid)
{
	if (strcmp(name, "alice") == 0)
		*uid = 1000;
	else if (strcmp(name, "bob") == 0)
		*uid = 1001;
	else
		return -ENOENT;
	return 0;
}

START_TEST(test_config_http_allow_is_per_account_with_a_default)
{
	static const char text[] = "http-body-max = 2M\n"
				   "http-time-limit = 5s\n"
				   "[account alice]\n"
				   "http-allow = http://h/a/ https://h/b/\n"
				   "[account]\n"
				   "http-allow = http://h/pub/\n"
				   "http-requests = 2\n"
				   "[account bob]\n"
				   "links = 10\n";
	struct config c;
	struct error e;
	config_init(&c);
	ck_assert_msg(config_parse_text("fakeosd.conf", text, strlen(text),
					CONFIG_KIND_MAIN, resolve, &c, &e) == 0,
		      "%s", e.msg);
	ck_assert_uint_eq(c.http_body_max, 2 << 20);
	ck_assert_uint_eq(c.http_time_limit_ms, 5000);
	const struct config_quota *a = config_account_quota(&c, 1000);
	ck_assert_uint_eq(a->http_allow.n, 2);
	ck_assert_str_eq(a->http_allow.v[1], "https://h/b/");
	ck_assert_uint_eq(a->http_requests, 2);
	const struct config_quota *b = config_account_quota(&c, 1001);
	ck_assert_uint_eq(b->http_allow.n, 1);
	ck_assert_str_eq(b->http_allow.v[0], "http://h/pub/");
	ck_assert_ptr_ne(b->http_allow.v, c.account_defaults.http_allow.v);
	ck_assert_uint_eq(config_account_quota(&c, 7)->http_allow.n, 1);
	config_free(&c);

	static const char bad[] = "[account]\nhttp-allow = file:///etc/\n";
	config_init(&c);
	ck_assert_int_eq(config_parse_text("fakeosd.conf", bad, strlen(bad),
					   CONFIG_KIND_MAIN, resolve, &c, &e),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "not an http(s) URL"));
	config_free(&c);
	config_init(&c);
	ck_assert_uint_eq(c.http_body_max, CONFIG_DEFAULT_HTTP_BODY_MAX);
	ck_assert_uint_eq(c.account_defaults.http_allow.n, 0);
	config_free(&c);
}
END_TEST

static Suite *httpgw_suite(void)
{
	Suite *s = suite_create("httpgw");
	TCase *t = tcase_create("core");
	tcase_add_test(t, test_request_get_and_put_parse_with_the_url_normalized);
	tcase_add_test(t, test_request_malformed_is_refused_with_its_reason);
	tcase_add_test(t, test_normalize_refuses_paths_a_server_could_read_otherwise);
	tcase_add_test(t, test_normalize_spells_scheme_host_and_port_one_way);
	tcase_add_test(t, test_allow_list_holds_its_prefixes_at_a_segments_boundary);
	tcase_add_test(t, test_request_pack_refuses_a_url_that_does_not_fit);
	tcase_add_test(t, test_answer_datagrams_carry_status_and_a_terminated_reason);
	tcase_add_test(t, test_config_http_allow_is_per_account_with_a_default);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(httpgw_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
