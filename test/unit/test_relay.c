/* Unit tests for relay_sanitize: what a program's output becomes on the
 * user's terminal. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "relay.h"

static char out[4096];

/* Sanitizes s (n bytes) in chunks of `chunk` bytes, as reads would split
 * it, and returns the NUL-terminated result. */
static const char *shown(const char *s, size_t n, size_t chunk)
{
	struct relay r;
	memset(&r, 0, sizeof(r));
	size_t o = 0;
	for (size_t i = 0; i < n; i += chunk)
		o += relay_sanitize(&r, s + i, n - i < chunk ? n - i : chunk,
				    out + o);
	out[o] = '\0';
	return out;
}

#define SHOWN(lit) shown(lit, sizeof(lit) - 1, sizeof(lit))

START_TEST(test_relay_text_and_layout_pass_unchanged)
{
	ck_assert_str_eq(SHOWN("hello, world\n\ttab\r\b"),
			 "hello, world\n\ttab\r\b");
}
END_TEST

START_TEST(test_relay_escape_sequences_are_shown_not_obeyed)
{
	/* Device attributes and cursor report queries: the answerback. */
	ck_assert_str_eq(SHOWN("\033[c\033[6n"), "^[[c^[[6n");
	/* A title-setting OSC ended by BEL. */
	ck_assert_str_eq(SHOWN("\033]0;pwned\007"), "^[]0;pwned^G");
	ck_assert_str_eq(SHOWN("\x7f\x01"), "^?^A");
}
END_TEST

START_TEST(test_relay_c1_controls_are_shown_in_both_encodings)
{
	/* U+009B (CSI) as UTF-8, and 0x9b alone (8-bit CSI). */
	ck_assert_str_eq(SHOWN("\xc2\x9b" "6n"), "^[6n");
	ck_assert_str_eq(SHOWN("\x9b" "6n"), "^[6n");
	ck_assert_str_eq(SHOWN("\xc2\x90q"), "^Pq");
}
END_TEST

START_TEST(test_relay_utf8_text_passes_even_split_across_reads)
{
	const char s[] = "caf\xc3\xa9 \xc2\xa9 \xe2\x82\xac \xf0\x9f\x98\x80";
	for (size_t chunk = 1; chunk <= sizeof(s); chunk++)
		ck_assert_str_eq(shown(s, sizeof(s) - 1, chunk), s);
}
END_TEST

START_TEST(test_relay_c1_split_across_reads_is_still_caught)
{
	ck_assert_str_eq(shown("x\xc2\x9b" "6n", 5, 2), "x^[6n");
}
END_TEST

START_TEST(test_relay_truncated_sequence_then_control)
{
	/* A lead byte cut short by a control: both are handled. */
	ck_assert_str_eq(SHOWN("\xc2\033[c"), "\xc2^[[c");
	ck_assert_str_eq(SHOWN("\xbf"), "?");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("relay");
	TCase *t = tcase_create("sanitize");
	tcase_add_test(t, test_relay_text_and_layout_pass_unchanged);
	tcase_add_test(t, test_relay_escape_sequences_are_shown_not_obeyed);
	tcase_add_test(t, test_relay_c1_controls_are_shown_in_both_encodings);
	tcase_add_test(t, test_relay_utf8_text_passes_even_split_across_reads);
	tcase_add_test(t, test_relay_c1_split_across_reads_is_still_caught);
	tcase_add_test(t, test_relay_truncated_sequence_then_control);
	suite_add_tcase(s, t);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
