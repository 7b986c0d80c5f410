/* test_fetch.c — response-header and Cache-Control parsing (src/fetch.c).
 * Real HTTP is exercised by the integration tests against nginx. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "fetch.h"

/* Feeds NUL-terminated header lines, as libcurl would, to a fresh h. */
static void feed(struct fetch_headers *h, const char *const *lines)
{
	memset(h, 0, sizeof(*h));
	for (; *lines; lines++)
		fetch_header_line(h, *lines, strlen(*lines));
}

static struct fetch_cache_control cc_of(const char *v)
{
	struct fetch_cache_control cc;
	memset(&cc, 0, sizeof(cc));
	fetch_parse_cache_control(v, strlen(v), &cc);
	return cc;
}

START_TEST(test_fetch_reads_status_etag_and_last_modified)
{
	struct fetch_headers h;
	const char *lines[] = {
		"HTTP/1.1 200 OK\r\n",
		"Content-Type: application/octet-stream\r\n",
		"ETag: \"65a1-5e3\"\r\n",
		"Last-Modified: Sat, 23 Nov 2024 10:00:00 GMT\r\n",
		"\r\n",
		NULL,
	};
	feed(&h, lines);
	ck_assert_int_eq(h.status, 200);
	ck_assert_str_eq(h.etag, "\"65a1-5e3\"");
	ck_assert_str_eq(h.last_modified, "Sat, 23 Nov 2024 10:00:00 GMT");
	ck_assert(!h.cc.has_max_age);
}
END_TEST

START_TEST(test_fetch_header_names_are_case_insensitive)
{
	struct fetch_headers h;
	const char *lines[] = {
		"HTTP/2 304\r\n",
		"etag:   W/\"x\"  \r\n",
		"LAST-MODIFIED:Mon, 01 Jan 2024 00:00:00 GMT\n",
		"cache-CONTROL: MAX-AGE=42\r\n",
		NULL,
	};
	feed(&h, lines);
	ck_assert_int_eq(h.status, 304);
	ck_assert_str_eq(h.etag, "W/\"x\"");
	ck_assert_str_eq(h.last_modified, "Mon, 01 Jan 2024 00:00:00 GMT");
	ck_assert(h.cc.has_max_age);
	ck_assert_int_eq(h.cc.max_age, 42);
}
END_TEST

START_TEST(test_fetch_status_line_starts_a_new_response)
{
	struct fetch_headers h;
	const char *lines[] = {
		"HTTP/1.1 100 Continue\r\n",
		"ETag: \"early\"\r\n",
		"Cache-Control: no-store\r\n",
		"\r\n",
		"HTTP/1.1 200 OK\r\n",
		"Cache-Control: max-age=5\r\n",
		NULL,
	};
	feed(&h, lines);
	ck_assert_int_eq(h.status, 200);
	ck_assert_str_eq(h.etag, "");
	ck_assert(!h.cc.no_store);
	ck_assert_int_eq(h.cc.max_age, 5);
}
END_TEST

START_TEST(test_fetch_malformed_status_line_gives_status_zero)
{
	struct fetch_headers h;
	const char *a[] = { "HTTP/1.1 20 OK\r\n", NULL };
	feed(&h, a);
	ck_assert_int_eq(h.status, 0);
	const char *b[] = { "HTTP/1.1 2000 OK\r\n", NULL };
	feed(&h, b);
	ck_assert_int_eq(h.status, 0);
	const char *c[] = { "HTTP/1.1\r\n", NULL };
	feed(&h, c);
	ck_assert_int_eq(h.status, 0);
}
END_TEST

START_TEST(test_fetch_drops_etag_with_control_characters)
{
	struct fetch_headers h;
	/* A CR or ESC inside would be sent back in If-None-Match and stored
	 * in the cache entry: header injection, terminal escapes. */
	const char *lines[] = {
		"HTTP/1.1 200 OK\r\n",
		"ETag: \"a\rInjected: 1\"\r\n",
		"Last-Modified: \x1b[2J\r\n",
		NULL,
	};
	feed(&h, lines);
	ck_assert_str_eq(h.etag, "");
	ck_assert_str_eq(h.last_modified, "");
}
END_TEST

START_TEST(test_fetch_drops_over_long_and_empty_validators)
{
	struct fetch_headers h;
	char line[FETCH_FIELD_MAX + 32];
	snprintf(line, sizeof(line), "ETag: \"%0*d\"\r\n", FETCH_FIELD_MAX, 0);
	const char *a[] = { "HTTP/1.1 200 OK\r\n", line, "Last-Modified:\r\n",
			    NULL };
	feed(&h, a);
	ck_assert_str_eq(h.etag, "");
	ck_assert_str_eq(h.last_modified, "");
	/* Exactly the limit is kept. */
	snprintf(line, sizeof(line), "ETag: %0*d\r\n", FETCH_FIELD_MAX, 0);
	const char *b[] = { "HTTP/1.1 200 OK\r\n", line, NULL };
	feed(&h, b);
	ck_assert_uint_eq(strlen(h.etag), FETCH_FIELD_MAX);
}
END_TEST

START_TEST(test_fetch_ignores_continuation_and_colonless_lines)
{
	struct fetch_headers h;
	const char *lines[] = {
		"HTTP/1.1 200 OK\r\n",
		"ETag: \"a\"\r\n",
		" ETag: \"folded\"\r\n",
		"garbage without colon\r\n",
		NULL,
	};
	feed(&h, lines);
	ck_assert_str_eq(h.etag, "\"a\"");
}
END_TEST

START_TEST(test_fetch_cache_control_max_age)
{
	struct fetch_cache_control cc = cc_of("public, max-age=3600");
	ck_assert(cc.has_max_age);
	ck_assert_int_eq(cc.max_age, 3600);
	ck_assert(!cc.no_cache);
	ck_assert(!cc.no_store);
	cc = cc_of("max-age=\"30\"");
	ck_assert_int_eq(cc.max_age, 30);
	cc = cc_of("  max-age = 7 ,private");
	ck_assert_int_eq(cc.max_age, 7);
	cc = cc_of("max-age=0");
	ck_assert(cc.has_max_age);
	ck_assert_int_eq(cc.max_age, 0);
}
END_TEST

START_TEST(test_fetch_cache_control_no_cache_and_no_store)
{
	struct fetch_cache_control cc = cc_of("no-cache");
	ck_assert(cc.no_cache);
	ck_assert(!cc.no_store);
	cc = cc_of("No-Store, max-age=60");
	ck_assert(cc.no_store);
	ck_assert_int_eq(cc.max_age, 60);
	/* no-cache with a field list: still revalidate every time. */
	cc = cc_of("no-cache=\"Set-Cookie, X-Foo\", max-age=9");
	ck_assert(cc.no_cache);
	ck_assert_int_eq(cc.max_age, 9);
}
END_TEST

START_TEST(test_fetch_cache_control_ignores_commas_in_quotes)
{
	/* The comma inside the quotes must not end the directive, or the
	 * text after it would be read as a directive of its own. */
	struct fetch_cache_control cc = cc_of("private=\"a, no-store\"");
	ck_assert(!cc.no_store);
	cc = cc_of("ext=\"a\\\", no-store\", max-age=3");
	ck_assert(!cc.no_store);
	ck_assert_int_eq(cc.max_age, 3);
}
END_TEST

START_TEST(test_fetch_cache_control_invalid_max_age_is_stale)
{
	struct fetch_cache_control cc = cc_of("max-age=abc");
	ck_assert(cc.has_max_age);
	ck_assert_int_eq(cc.max_age, 0);
	cc = cc_of("max-age=");
	ck_assert_int_eq(cc.max_age, 0);
	cc = cc_of("max-age");
	ck_assert_int_eq(cc.max_age, 0);
	cc = cc_of("max-age=-5");
	ck_assert_int_eq(cc.max_age, 0);
	cc = cc_of("max-age=60, max-age=120");
	ck_assert_int_eq(cc.max_age, 0);
}
END_TEST

START_TEST(test_fetch_cache_control_clamps_huge_max_age)
{
	struct fetch_cache_control cc =
		cc_of("max-age=99999999999999999999999999999");
	ck_assert_int_eq(cc.max_age, FETCH_MAX_AGE_MAX);
}
END_TEST

START_TEST(test_fetch_cache_control_ignores_unknown_and_similar_names)
{
	struct fetch_cache_control cc = cc_of("s-maxage=10, max-agex=5, "
					      "no-cachex, no-storex, , ,");
	ck_assert(!cc.has_max_age);
	ck_assert(!cc.no_cache);
	ck_assert(!cc.no_store);
}
END_TEST

START_TEST(test_fetch_cache_control_accumulates_over_headers)
{
	struct fetch_headers h;
	const char *lines[] = {
		"HTTP/1.1 200 OK\r\n",
		"Cache-Control: max-age=100\r\n",
		"Cache-Control: no-cache\r\n",
		NULL,
	};
	feed(&h, lines);
	ck_assert(h.cc.no_cache);
	ck_assert_int_eq(h.cc.max_age, 100);
}
END_TEST

START_TEST(test_fetch_formats_sizes_for_messages)
{
	char s[32];
	fetch_format_size(64ULL << 20, s, sizeof(s));
	ck_assert_str_eq(s, "64 MiB");
	fetch_format_size(1536, s, sizeof(s));
	ck_assert_str_eq(s, "1.5 KiB");
	fetch_format_size(300, s, sizeof(s));
	ck_assert_str_eq(s, "300 bytes");
	fetch_format_size(1ULL << 30, s, sizeof(s));
	ck_assert_str_eq(s, "1 GiB");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fetch");
	TCase *t = tcase_create("fetch");
	tcase_add_test(t, test_fetch_reads_status_etag_and_last_modified);
	tcase_add_test(t, test_fetch_header_names_are_case_insensitive);
	tcase_add_test(t, test_fetch_status_line_starts_a_new_response);
	tcase_add_test(t, test_fetch_malformed_status_line_gives_status_zero);
	tcase_add_test(t, test_fetch_drops_etag_with_control_characters);
	tcase_add_test(t, test_fetch_drops_over_long_and_empty_validators);
	tcase_add_test(t, test_fetch_ignores_continuation_and_colonless_lines);
	tcase_add_test(t, test_fetch_cache_control_max_age);
	tcase_add_test(t, test_fetch_cache_control_no_cache_and_no_store);
	tcase_add_test(t, test_fetch_cache_control_ignores_commas_in_quotes);
	tcase_add_test(t, test_fetch_cache_control_invalid_max_age_is_stale);
	tcase_add_test(t, test_fetch_cache_control_clamps_huge_max_age);
	tcase_add_test(t,
		       test_fetch_cache_control_ignores_unknown_and_similar_names);
	tcase_add_test(t, test_fetch_cache_control_accumulates_over_headers);
	tcase_add_test(t, test_fetch_formats_sizes_for_messages);
	suite_add_tcase(s, t);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
