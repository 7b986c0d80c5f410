/* test_url.c — URL parsing and checking (src/url.c). */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "url.h"

/* Parses s, expecting failure, and returns the message. */
static const char *url_fails(const char *s)
{
	static struct error e;
	struct url u;
	memset(&e, 0, sizeof(e));
	int r = url_parse(s, &u, &e);
	ck_assert_int_eq(r, -EINVAL);
	ck_assert_ptr_null(u.base);
	return e.msg;
}

START_TEST(test_url_accepts_http_and_keys_on_the_whole_url)
{
	struct url u;
	struct error e;
	ck_assert_int_eq(url_parse("http://example.com/bin/hello?v=2", &u, &e),
			 0);
	ck_assert_int_eq(u.scheme, URL_HTTP);
	ck_assert_str_eq(u.base, "http://example.com/bin/hello?v=2");
	ck_assert(!u.pinned);
	ck_assert_ptr_null(u.path);
	url_free(&u);
}
END_TEST

START_TEST(test_url_accepts_https_with_port)
{
	struct url u;
	struct error e;
	ck_assert_int_eq(url_parse("https://127.0.0.1:8443/p", &u, &e), 0);
	ck_assert_int_eq(u.scheme, URL_HTTPS);
	ck_assert_str_eq(u.base, "https://127.0.0.1:8443/p");
	url_free(&u);
}
END_TEST

START_TEST(test_url_accepts_host_without_path)
{
	struct url u;
	struct error e;
	ck_assert_int_eq(url_parse("http://example.com", &u, &e), 0);
	ck_assert_str_eq(u.base, "http://example.com");
	url_free(&u);
}
END_TEST

START_TEST(test_url_accepts_ipv6_literal)
{
	struct url u;
	struct error e;
	ck_assert_int_eq(url_parse("http://[::1]:8080/x", &u, &e), 0);
	url_free(&u);
	ck_assert_str_eq(url_fails("http://[::1/x"), "malformed IPv6 address "
						     "in URL");
	ck_assert_str_eq(url_fails("http://[]/x"), "malformed IPv6 address "
						   "in URL");
}
END_TEST

START_TEST(test_url_lowercases_scheme_in_cache_key)
{
	struct url u;
	struct error e;
	ck_assert_int_eq(url_parse("HTTPS://Example.com/P", &u, &e), 0);
	ck_assert_int_eq(u.scheme, URL_HTTPS);
	ck_assert_str_eq(u.base, "https://Example.com/P");
	url_free(&u);
}
END_TEST

START_TEST(test_url_pin_is_decoded_and_not_part_of_the_key)
{
	static const char hex[] = "e3b0c44298fc1c149afbf4c8996fb924"
				  "27ae41e4649b934ca495991b7852b855";
	char s[200], got[HASH_HEX_SIZE];
	struct url u;
	struct error e;
	snprintf(s, sizeof(s), "http://h/p#sha256=%s", hex);
	ck_assert_int_eq(url_parse(s, &u, &e), 0);
	ck_assert(u.pinned);
	ck_assert_str_eq(u.base, "http://h/p");
	hash_hex(u.pin, got);
	ck_assert_str_eq(got, hex);
	url_free(&u);
}
END_TEST

START_TEST(test_url_pin_accepts_upper_case_hex)
{
	struct url u;
	struct error e;
	ck_assert_int_eq(url_parse("file:///x#sha256=E3B0C44298FC1C149AFBF4C8"
				   "996FB92427AE41E4649B934CA495991B7852B855",
				   &u, &e),
			 0);
	ck_assert(u.pinned);
	ck_assert_int_eq(u.pin[0], 0xe3);
	url_free(&u);
}
END_TEST

START_TEST(test_url_rejects_fragment_other_than_sha256)
{
	const char *m = url_fails("http://h/p#section");
	ck_assert_str_eq(m, "unsupported fragment '#section': the only "
			    "fragment is #sha256= and 64 hex digits");
	ck_assert_ptr_nonnull(strstr(url_fails("http://h/p#"),
				     "unsupported fragment"));
	ck_assert_ptr_nonnull(strstr(url_fails("http://h/p#md5=00"),
				     "unsupported fragment"));
}
END_TEST

START_TEST(test_url_rejects_pin_of_wrong_length)
{
	char s[200];
	snprintf(s, sizeof(s), "http://h/p#sha256=%063d", 0);
	ck_assert_str_eq(url_fails(s), "#sha256= needs exactly 64 hex digits, "
				       "got 63 characters");
	snprintf(s, sizeof(s), "http://h/p#sha256=%065d", 0);
	ck_assert_str_eq(url_fails(s), "#sha256= needs exactly 64 hex digits, "
				       "got 65 characters");
	ck_assert_ptr_nonnull(strstr(url_fails("http://h/p#sha256="),
				     "got 0 characters"));
}
END_TEST

START_TEST(test_url_rejects_pin_with_non_hex_digit)
{
	char s[200];
	snprintf(s, sizeof(s), "http://h/p#sha256=%063dg", 0);
	ck_assert_ptr_nonnull(strstr(url_fails(s), "non-hex"));
	/* A second fragment inside the first is not hex either. */
	snprintf(s, sizeof(s), "http://h/p#sha256=%062d#a", 0);
	ck_assert_ptr_nonnull(strstr(url_fails(s), "non-hex"));
}
END_TEST

START_TEST(test_url_rejects_other_schemes_by_name)
{
	ck_assert_str_eq(url_fails("ftp://h/p"), "unsupported scheme 'ftp': "
						 "use http://, https:// or "
						 "file://");
	ck_assert_ptr_nonnull(strstr(url_fails("javascript:alert(1)"),
				     "'javascript'"));
	ck_assert_ptr_nonnull(strstr(url_fails("httpx://h/"), "'httpx'"));
	ck_assert_str_eq(url_fails("example.com/prog"),
			 "not a URL (no scheme): use http://, https:// or "
			 "file://");
}
END_TEST

START_TEST(test_url_rejects_missing_slashes)
{
	ck_assert_str_eq(url_fails("http:example.com"),
			 "expected '//' after 'http:'");
	ck_assert_str_eq(url_fails("file:relative/path"),
			 "expected '//' after 'file:'");
}
END_TEST

START_TEST(test_url_rejects_empty_host)
{
	ck_assert_str_eq(url_fails("http:///p"), "no host in URL");
	ck_assert_str_eq(url_fails("https://"), "no host in URL");
	ck_assert_str_eq(url_fails("http://:80/p"), "no host in URL");
}
END_TEST

START_TEST(test_url_rejects_credentials)
{
	ck_assert_ptr_nonnull(strstr(url_fails("http://user:pw@h/p"),
				     "credentials"));
}
END_TEST

START_TEST(test_url_rejects_bad_ports)
{
	ck_assert_str_eq(url_fails("http://h:/p"), "empty port in URL");
	ck_assert_str_eq(url_fails("http://h:0/p"), "port 0 in URL");
	ck_assert_str_eq(url_fails("http://h:65536/p"), "port out of range "
							"in URL");
	ck_assert_str_eq(url_fails("http://h:8x/p"), "invalid port in URL");
	struct url u;
	struct error e;
	ck_assert_int_eq(url_parse("http://h:65535/p", &u, &e), 0);
	url_free(&u);
}
END_TEST

START_TEST(test_url_rejects_invalid_host_characters)
{
	ck_assert_str_eq(url_fails("http://h\\evil/p"),
			 "invalid character '\\' in host");
	ck_assert_str_eq(url_fails("http://h;x/p"),
			 "invalid character ';' in host");
}
END_TEST

START_TEST(test_url_rejects_control_characters_spaces_and_non_ascii)
{
	ck_assert_str_eq(url_fails("http://h/a\nb"),
			 "control character 0x0a in URL at byte 10");
	ck_assert_str_eq(url_fails("http://h/a\x1b[2Jb"),
			 "control character 0x1b in URL at byte 10");
	ck_assert_str_eq(url_fails("http://h/a\x7f"),
			 "control character 0x7f in URL at byte 10");
	ck_assert_str_eq(url_fails("http://h/a b"),
			 "space in URL at byte 10 (percent-encode it as %20)");
	ck_assert_str_eq(url_fails("http://h/\xc3\xa9"),
			 "non-ASCII byte 0xc3 in URL at byte 9 "
			 "(percent-encode it)");
	ck_assert_str_eq(url_fails(""), "empty URL");
}
END_TEST

START_TEST(test_url_rejects_over_long_urls)
{
	char s[URL_MAX + 2];
	struct url u;
	struct error e;
	size_t prefix = strlen("http://h/");

	memcpy(s, "http://h/", prefix);
	memset(s + prefix, 'a', URL_MAX - prefix);
	s[URL_MAX] = '\0';
	ck_assert_int_eq(url_parse(s, &u, &e), 0);
	url_free(&u);
	s[URL_MAX] = 'a';
	s[URL_MAX + 1] = '\0';
	ck_assert_str_eq(url_fails(s), "URL too long (more than 4096 bytes)");
}
END_TEST

START_TEST(test_url_file_decodes_absolute_path)
{
	struct url u;
	struct error e;
	ck_assert_int_eq(url_parse("file:///opt/my%20prog/hello%2Bworld", &u,
				   &e),
			 0);
	ck_assert_int_eq(u.scheme, URL_FILE);
	ck_assert_str_eq(u.path, "/opt/my prog/hello+world");
	ck_assert_str_eq(u.base, "file:///opt/my%20prog/hello%2Bworld");
	url_free(&u);
}
END_TEST

START_TEST(test_url_file_accepts_localhost)
{
	struct url u;
	struct error e;
	ck_assert_int_eq(url_parse("file://localhost/usr/bin/true", &u, &e), 0);
	ck_assert_str_eq(u.path, "/usr/bin/true");
	url_free(&u);
	ck_assert_int_eq(url_parse("FILE://LOCALHOST/x", &u, &e), 0);
	ck_assert_str_eq(u.path, "/x");
	url_free(&u);
}
END_TEST

START_TEST(test_url_file_rejects_other_hosts)
{
	ck_assert_str_eq(url_fails("file://server/share/prog"),
			 "file URL with host 'server': only file:///path and "
			 "file://localhost/path are supported");
	ck_assert_ptr_nonnull(strstr(url_fails("file://localhostx/p"),
				     "'localhostx'"));
	/* A relative path after file:// reads as a host. */
	ck_assert_ptr_nonnull(strstr(url_fails("file://relative"),
				     "'relative'"));
}
END_TEST

START_TEST(test_url_file_rejects_missing_path)
{
	ck_assert_ptr_nonnull(strstr(url_fails("file://"), "without a path"));
	ck_assert_ptr_nonnull(strstr(url_fails("file://localhost"),
				     "without a path"));
}
END_TEST

START_TEST(test_url_file_rejects_nul_and_control_characters)
{
	ck_assert_str_eq(url_fails("file:///bin/true%00.txt"),
			 "NUL (%00) in file URL path");
	ck_assert_str_eq(url_fails("file:///tmp/a%0ab"),
			 "control character 0x0a in file URL path");
	ck_assert_str_eq(url_fails("file:///tmp/a%7F"),
			 "control character 0x7f in file URL path");
}
END_TEST

START_TEST(test_url_file_rejects_bad_percent_encoding)
{
	ck_assert_str_eq(url_fails("file:///tmp/a%zz"),
			 "bad percent-encoding in file URL path at byte 6");
	ck_assert_ptr_nonnull(strstr(url_fails("file:///tmp/a%4"),
				     "bad percent-encoding"));
	ck_assert_ptr_nonnull(strstr(url_fails("file:///tmp/a%"),
				     "bad percent-encoding"));
}
END_TEST

START_TEST(test_url_file_rejects_query)
{
	ck_assert_ptr_nonnull(strstr(url_fails("file:///tmp/a?b"), "query"));
}
END_TEST

START_TEST(test_url_redirect_allows_http_and_https_upgrades)
{
	struct error e;
	ck_assert_int_eq(url_check_redirect("http://a/x", "http://b/y", &e), 0);
	ck_assert_int_eq(url_check_redirect("http://a/x", "https://b/y", &e),
			 0);
	ck_assert_int_eq(url_check_redirect("https://a/x", "https://b/y", &e),
			 0);
	/* A fragment in the Location does not matter to a fetch. */
	ck_assert_int_eq(url_check_redirect("https://a/x", "https://b/y#top",
					    &e),
			 0);
}
END_TEST

START_TEST(test_url_redirect_refuses_other_schemes)
{
	struct error e;
	ck_assert_int_eq(url_check_redirect("http://a/x", "file:///etc/passwd",
					    &e),
			 -EPERM);
	ck_assert_str_eq(e.msg, "redirect to file:///etc/passwd refused: only "
				"http and https");
	ck_assert_int_eq(url_check_redirect("https://a/x", "ftp://b/y", &e),
			 -EPERM);
	ck_assert_int_eq(url_check_redirect("https://a/x", "gopher://b", &e),
			 -EPERM);
}
END_TEST

START_TEST(test_url_redirect_refuses_https_to_http)
{
	struct error e;
	ck_assert_int_eq(url_check_redirect("https://a/x", "http://a/x", &e),
			 -EPERM);
	ck_assert_str_eq(e.msg, "redirect from https to http refused");
	ck_assert_int_eq(url_check_redirect("HTTPS://a/x", "HTTP://a/x", &e),
			 -EPERM);
}
END_TEST

START_TEST(test_url_redirect_refuses_malformed_target)
{
	struct error e;
	ck_assert_int_eq(url_check_redirect("http://a/x", "http://", &e),
			 -EINVAL);
	ck_assert_str_eq(e.msg, "redirect to http:// refused: no host in URL");
	ck_assert_int_eq(url_check_redirect("http://a/x", "http://u@b/", &e),
			 -EINVAL);
	/* The message shows control characters as '?'. */
	ck_assert_int_eq(url_check_redirect("http://a/x", "http://b/\x1b[31m",
					    &e),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "http://b/?[31m"));
	ck_assert_ptr_null(strchr(e.msg, '\x1b'));
}
END_TEST

START_TEST(test_url_redirect_within_a_prefix_stays_in_it)
{
	struct error e;
	const char *home = "http://a:8080/";
	ck_assert_int_eq(url_check_redirect_within("http://a:8080/x",
						   "http://a:8080/y", home, &e),
			 0);
	ck_assert_int_eq(url_check_redirect_within("http://a:8080/x",
						   "HTTP://A:8080/y#f", home,
						   &e),
			 0);
	ck_assert_int_eq(url_check_redirect_within("http://a:8080/x",
						   "http://127.0.0.1:8080/y",
						   home, &e),
			 -EPERM);
	ck_assert_str_eq(e.msg, "redirect to http://127.0.0.1:8080/y refused: "
				"outside http://a:8080/ (where this program "
				"may spawn from)");
	/* Another port, another scheme, the default port spelled out: all
	 * another origin. */
	ck_assert_int_eq(url_check_redirect_within("http://a:8080/x",
						   "http://a:9/y", home, &e),
			 -EPERM);
	ck_assert_int_eq(url_check_redirect_within("http://a:8080/x",
						   "https://a:8080/y", home,
						   &e),
			 -EPERM);
	ck_assert_int_eq(url_check_redirect_within("http://a/x", "http://a:80/y",
						   "http://a/", &e),
			 -EPERM);
	/* A path prefix (--spawn-from) holds at every hop, dot segments
	 * included. */
	const char *apps = "https://h/apps/";
	ck_assert_int_eq(url_check_redirect_within("https://h/apps/a",
						   "https://h/apps/b", apps, &e),
			 0);
	ck_assert_int_eq(url_check_redirect_within("https://h/apps/a",
						   "https://h/admin", apps, &e),
			 -EPERM);
	ck_assert_int_eq(url_check_redirect_within("https://h/apps/a",
						   "https://h/apps/../admin",
						   apps, &e),
			 -EPERM);
	/* The ordinary rules still come first. */
	ck_assert_int_eq(url_check_redirect_within("https://h/apps/a",
						   "file:///etc/passwd", apps,
						   &e),
			 -EPERM);
	ck_assert_str_eq(e.msg, "redirect to file:///etc/passwd refused: only "
				"http and https");
	/* NULL: no confinement, url_check_redirect's rule. */
	ck_assert_int_eq(url_check_redirect_within("http://a/x",
						   "http://127.0.0.1/y", NULL,
						   &e),
			 0);
}
END_TEST

START_TEST(test_url_file_prefix_dir_is_the_absolute_directory)
{
	ck_assert_str_eq(url_file_prefix_dir("file:///srv/apps/"), "/srv/apps/");
	ck_assert_str_eq(url_file_prefix_dir("FILE://LocalHost/srv/"), "/srv/");
	ck_assert_str_eq(url_file_prefix_dir("file:///"), "/");
	ck_assert_ptr_null(url_file_prefix_dir("file://srv/apps/"));
	ck_assert_ptr_null(url_file_prefix_dir("file://localhost"));
	ck_assert_ptr_null(url_file_prefix_dir("http://h/srv/"));
}
END_TEST

START_TEST(test_url_short_name_is_last_segment_sanitised)
{
	struct url u;
	struct error e;
	char name[16];

	ck_assert_int_eq(url_parse("http://h/dir/hello-1.2?x=1", &u, &e), 0);
	url_short_name(&u, name, sizeof(name));
	ck_assert_str_eq(name, "hello-1.2");
	url_free(&u);

	ck_assert_int_eq(url_parse("http://example.com/", &u, &e), 0);
	url_short_name(&u, name, sizeof(name));
	ck_assert_str_eq(name, "example.com");
	url_free(&u);

	ck_assert_int_eq(url_parse("file:///tmp/a%20b%2B(c)", &u, &e), 0);
	url_short_name(&u, name, sizeof(name));
	ck_assert_str_eq(name, "abc");
	url_free(&u);

	ck_assert_int_eq(url_parse("http://h/%25%25", &u, &e), 0);
	url_short_name(&u, name, sizeof(name));
	ck_assert_str_eq(name, "2525");
	url_free(&u);

	ck_assert_int_eq(url_parse("http://h/aaaaaaaaaaaaaaaaaaaaaaaa", &u, &e),
			 0);
	url_short_name(&u, name, sizeof(name));
	ck_assert_str_eq(name, "aaaaaaaaaaaaaaa");
	url_free(&u);

	ck_assert_int_eq(url_parse("http://h/(!)", &u, &e), 0);
	url_short_name(&u, name, sizeof(name));
	ck_assert_str_eq(name, "program");
	url_free(&u);
}
END_TEST

START_TEST(test_url_sanitize_replaces_unprintable_and_truncates)
{
	char out[10];
	url_sanitize("a\x1b\n\xffz", 5, out, sizeof(out));
	ck_assert_str_eq(out, "a???z");
	url_sanitize("0123456789abc", 13, out, sizeof(out));
	ck_assert_str_eq(out, "012345...");
	url_sanitize("012345678", 9, out, sizeof(out));
	ck_assert_str_eq(out, "012345678");
}
END_TEST


static bool within(const char *prefix, const char *url)
{
	struct url u;
	struct error e;
	ck_assert_msg(url_parse(url, &u, &e) == 0, "%s: %s", url, e.msg);
	bool r = url_within(prefix, &u);
	url_free(&u);
	return r;
}

static char *home_of(const char *url)
{
	struct url u;
	struct error e;
	ck_assert_int_eq(url_parse(url, &u, &e), 0);
	char *h = url_home(&u);
	url_free(&u);
	return h;
}

START_TEST(test_url_home_is_the_origin_or_the_directory)
{
	char *h = home_of("HTTPS://Host.Example:8443/apps/prog#sha256="
			  "0000000000000000000000000000000000000000000000000000000000000000");
	ck_assert_str_eq(h, "https://host.example:8443/");
	free(h);
	h = home_of("http://h/prog");
	ck_assert_str_eq(h, "http://h/");
	free(h);
	h = home_of("file:///srv/apps/prog");
	ck_assert_str_eq(h, "file:///srv/apps/");
	free(h);
	h = home_of("file:///prog");
	ck_assert_str_eq(h, "file:///");
	free(h);
}
END_TEST

START_TEST(test_url_within_same_origin_only)
{
	ck_assert(within("https://h:8443/", "https://h:8443/x/y"));
	ck_assert(within("https://H:8443/", "https://h:8443/x"));
	ck_assert(!within("https://h:8443/", "https://h/x"));
	ck_assert(!within("https://h/", "http://h/x"));
	ck_assert(!within("https://h/", "https://h.evil/x"));
	ck_assert(!within("https://h/", "https://127.0.0.1/x"));
	ck_assert(!within("http://h/", "file:///etc/shadow"));
}
END_TEST

START_TEST(test_url_within_path_prefix_is_a_directory)
{
	ck_assert(within("https://h/apps/", "https://h/apps/echo"));
	ck_assert(within("https://h/apps", "https://h/apps/echo"));
	ck_assert(!within("https://h/apps/", "https://h/appsx/echo"));
	ck_assert(!within("https://h/apps/", "https://h/other/echo"));
	ck_assert(!within("https://h/apps/", "https://h/apps/../admin"));
	ck_assert(!within("https://h/apps/", "https://h/apps/./x"));
}
END_TEST

START_TEST(test_url_within_file_below_directory_without_dot_segments)
{
	ck_assert(within("file:///srv/apps/", "file:///srv/apps/echo"));
	ck_assert(within("file:///srv/apps", "file:///srv/apps/sub/echo"));
	ck_assert(within("file://localhost/srv/", "file:///srv/x"));
	ck_assert(!within("file:///srv/apps/", "file:///srv/appsx/echo"));
	ck_assert(!within("file:///srv/apps/", "file:///etc/shadow"));
	ck_assert(!within("file:///srv/apps/", "file:///srv/apps/../../etc/shadow"));
	ck_assert(!within("file:///srv/apps/", "file:///srv/apps/./echo"));
	ck_assert(!within("file:///srv/apps/", "http://h/srv/apps/echo"));
	ck_assert(within("file:///", "file:///anything/at/all"));
}
END_TEST

static Suite *url_suite(void)
{
	Suite *s = suite_create("url");
	TCase *t = tcase_create("url");
	tcase_add_test(t, test_url_accepts_http_and_keys_on_the_whole_url);
	tcase_add_test(t, test_url_accepts_https_with_port);
	tcase_add_test(t, test_url_accepts_host_without_path);
	tcase_add_test(t, test_url_accepts_ipv6_literal);
	tcase_add_test(t, test_url_lowercases_scheme_in_cache_key);
	tcase_add_test(t, test_url_pin_is_decoded_and_not_part_of_the_key);
	tcase_add_test(t, test_url_pin_accepts_upper_case_hex);
	tcase_add_test(t, test_url_rejects_fragment_other_than_sha256);
	tcase_add_test(t, test_url_rejects_pin_of_wrong_length);
	tcase_add_test(t, test_url_rejects_pin_with_non_hex_digit);
	tcase_add_test(t, test_url_rejects_other_schemes_by_name);
	tcase_add_test(t, test_url_rejects_missing_slashes);
	tcase_add_test(t, test_url_rejects_empty_host);
	tcase_add_test(t, test_url_rejects_credentials);
	tcase_add_test(t, test_url_rejects_bad_ports);
	tcase_add_test(t, test_url_rejects_invalid_host_characters);
	tcase_add_test(t,
		       test_url_rejects_control_characters_spaces_and_non_ascii);
	tcase_add_test(t, test_url_rejects_over_long_urls);
	tcase_add_test(t, test_url_file_decodes_absolute_path);
	tcase_add_test(t, test_url_file_accepts_localhost);
	tcase_add_test(t, test_url_file_rejects_other_hosts);
	tcase_add_test(t, test_url_file_rejects_missing_path);
	tcase_add_test(t, test_url_file_rejects_nul_and_control_characters);
	tcase_add_test(t, test_url_file_rejects_bad_percent_encoding);
	tcase_add_test(t, test_url_file_rejects_query);
	tcase_add_test(t, test_url_redirect_allows_http_and_https_upgrades);
	tcase_add_test(t, test_url_redirect_refuses_other_schemes);
	tcase_add_test(t, test_url_redirect_refuses_https_to_http);
	tcase_add_test(t, test_url_redirect_refuses_malformed_target);
	tcase_add_test(t, test_url_redirect_within_a_prefix_stays_in_it);
	tcase_add_test(t, test_url_file_prefix_dir_is_the_absolute_directory);
	tcase_add_test(t, test_url_short_name_is_last_segment_sanitised);
	tcase_add_test(t, test_url_sanitize_replaces_unprintable_and_truncates);
	tcase_add_test(t, test_url_home_is_the_origin_or_the_directory);
	tcase_add_test(t, test_url_within_same_origin_only);
	tcase_add_test(t, test_url_within_path_prefix_is_a_directory);
	tcase_add_test(t, test_url_within_file_below_directory_without_dot_segments);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(url_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
