/* Unit tests for the relay: what a program's output becomes on the
 * user's terminal (relay_sanitize), and that moving bytes never waits on
 * a descriptor the relay did not make non-blocking. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "relay.h"

static char out[4096];

/* Sanitizes s (n bytes) in chunks of `chunk` bytes, as reads would split
 * it, then ends the output, and returns the NUL-terminated result. */
static const char *shown(const char *s, size_t n, size_t chunk)
{
	struct relay r;
	memset(&r, 0, sizeof(r));
	size_t o = 0;
	for (size_t i = 0; i < n; i += chunk)
		o += relay_sanitize(&r, s + i, n - i < chunk ? n - i : chunk,
				    out + o);
	o += relay_sanitize_end(&r, out + o);
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
	/* A lead byte cut short by a control: the lead byte is no text, and
	 * the control is shown. */
	ck_assert_str_eq(SHOWN("\xc2\033[c"), "?^[[c");
	ck_assert_str_eq(SHOWN("\xe2\x80\033[c"), "?^[[c");
	ck_assert_str_eq(SHOWN("\xbf"), "?");
}
END_TEST

START_TEST(test_relay_output_that_ends_inside_a_character_ends_with_a_mark)
{
	/* Held until the end, then shown as '?', never dropped or passed. */
	ck_assert_str_eq(shown("ok\xe2\x80", 4, 1), "ok?");
	ck_assert_str_eq(shown("ok\xc2", 3, 3), "ok?");
	ck_assert_str_eq(shown("ok\xc3\xa9", 4, 1), "ok\xc3\xa9");
}
END_TEST

/* Trojan Source (CVE-2021-42574): every bidi control is shown as <U+XXXX>,
 * whole and cut at every byte across two reads. */
static const struct {
	const char *utf8, *shown;
} bidi[] = {
	{ "\xd8\x9c", "<U+061C>" }, /* ALM */
	{ "\xe2\x80\x8e", "<U+200E>" }, /* LRM */
	{ "\xe2\x80\x8f", "<U+200F>" }, /* RLM */
	{ "\xe2\x80\xaa", "<U+202A>" }, /* LRE */
	{ "\xe2\x80\xab", "<U+202B>" }, /* RLE */
	{ "\xe2\x80\xac", "<U+202C>" }, /* PDF */
	{ "\xe2\x80\xad", "<U+202D>" }, /* LRO */
	{ "\xe2\x80\xae", "<U+202E>" }, /* RLO */
	{ "\xe2\x81\xa6", "<U+2066>" }, /* LRI */
	{ "\xe2\x81\xa7", "<U+2067>" }, /* RLI */
	{ "\xe2\x81\xa8", "<U+2068>" }, /* FSI */
	{ "\xe2\x81\xa9", "<U+2069>" }, /* PDI */
	/* The deprecated format controls: shaping and mirroring switches
	 * that last to the end of the line, like an embedding. */
	{ "\xe2\x81\xaa", "<U+206A>" }, /* ISS */
	{ "\xe2\x81\xab", "<U+206B>" }, /* ASS */
	{ "\xe2\x81\xac", "<U+206C>" }, /* IAFS */
	{ "\xe2\x81\xad", "<U+206D>" }, /* AAFS */
	{ "\xe2\x81\xae", "<U+206E>" }, /* NADS */
	{ "\xe2\x81\xaf", "<U+206F>" }, /* NODS */
	/* Interlinear annotation: what lies between is not shown. */
	{ "\xef\xbf\xb9", "<U+FFF9>" },
	{ "\xef\xbf\xba", "<U+FFFA>" },
	{ "\xef\xbf\xbb", "<U+FFFB>" },
};

START_TEST(test_relay_bidi_controls_are_shown_even_split_across_reads)
{
	char in[16], want[32];
	size_t n = (size_t)snprintf(in, sizeof(in), "a%sb", bidi[_i].utf8);
	snprintf(want, sizeof(want), "a%sb", bidi[_i].shown);
	for (size_t chunk = 1; chunk <= n; chunk++)
		ck_assert_str_eq(shown(in, n, chunk), want);
	/* Cut between two calls at every byte of the character. */
	for (size_t cut = 1; cut < n; cut++) {
		struct relay r;
		memset(&r, 0, sizeof(r));
		size_t o = relay_sanitize(&r, in, cut, out);
		o += relay_sanitize(&r, in + cut, n - cut, out + o);
		out[o] = '\0';
		ck_assert_str_eq(out, want);
	}
}
END_TEST

START_TEST(test_relay_characters_beside_the_bidi_controls_pass)
{
	/* Arabic semicolon, zero-width space, non-joiner and joiner (scripts
	 * and emoji need those), line separator, U+2065, superscript zero,
	 * the object replacement character, a BOM. */
	const char s[] = "\xd8\x9b\xe2\x80\x8b\xe2\x80\x8c\xe2\x80\x8d"
			 "\xe2\x80\xa8\xe2\x81\xa5\xe2\x81\xb0\xef\xbf\xbc"
			 "\xef\xbb\xbf";
	for (size_t chunk = 1; chunk <= sizeof(s); chunk++)
		ck_assert_str_eq(shown(s, sizeof(s) - 1, chunk), s);
}
END_TEST

/* True when s is printable ASCII only: a lone continuation byte in
 * 0x80..0x9f is an 8-bit C1 control, shown in caret form, and anything else
 * that is not UTF-8 becomes '?'. */
static bool printable_ascii(const char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			return false;
	return true;
}

START_TEST(test_relay_overlong_and_surrogate_forms_do_not_pass)
{
	static const char *const bad[] = {
		/* U+202E as an overlong four-byte form: a lenient decoder
		 * would see the override. */
		"\xf0\x82\x80\xae",
		/* ESC and CSI as overlong two-byte forms. */
		"\xc0\x9b\xc1\x9b",
		/* A surrogate, and a code point past U+10FFFF. */
		"\xed\xa0\x80",
		"\xf4\x90\x80\x80",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *got = shown(bad[i], strlen(bad[i]), 64);
		ck_assert_msg(printable_ascii(got) && *got, "case %zu: %s", i,
			      got);
	}
	ck_assert_str_eq(SHOWN("\xf0\x82\x80\xae"), "?^B^@?");
}
END_TEST

/* The destination had no room, then has some, while the source, an
 * inherited pipe that stays blocking, is empty: the relay writes what it
 * held and returns; it reads the source again only when epoll says the
 * source is ready. A read at once would wait, and the whole loop with
 * it, until the source's writer wrote again (fakeosd froze so while a
 * client's input paused). Check's timeout fails a relay that waits. */
START_TEST(test_relay_room_never_reads_an_empty_inherited_source)
{
	int src[2], dst[2];
	char buf[8192];
	memset(buf, 'x', sizeof(buf));
	ck_assert_int_eq(pipe(src), 0);
	ck_assert_int_eq(pipe(dst), 0);
	ck_assert_int_ge(fcntl(dst[1], F_SETPIPE_SZ, 4096), 4096);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	ck_assert_int_ge(ep, 0);
	struct relay r;
	int cookie_from, cookie_to;
	relay_init(&r, ep, src[0], false, dst[1], true, &cookie_from,
		   &cookie_to);
	ck_assert_int_eq(write(dst[1], buf, 4096), 4096); /* full */
	ck_assert_int_eq(write(src[1], buf, 100), 100);
	relay_pump(&r); /* reads the 100 bytes, cannot write them */
	ck_assert_uint_eq(r.len, 100);
	ck_assert_int_eq(read(dst[0], buf, sizeof(buf)), 4096);
	relay_room(&r); /* the source is empty now */
	ck_assert_uint_eq(r.len, 0);
	ck_assert_int_eq(read(dst[0], buf, sizeof(buf)), 100);
	/* Once the source has more, its readiness moves it. */
	ck_assert_int_eq(write(src[1], "abc", 3), 3);
	struct epoll_event ev;
	ck_assert_int_eq(epoll_wait(ep, &ev, 1, 1000), 1);
	ck_assert_ptr_eq(ev.data.ptr, &cookie_from);
	relay_pump(&r);
	ck_assert_int_eq(read(dst[0], buf, sizeof(buf)), 3);
	relay_close(&r);
	close(src[0]);
	close(src[1]);
	close(dst[0]);
	close(ep);
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
	tcase_add_test(t,
		       test_relay_output_that_ends_inside_a_character_ends_with_a_mark);
	tcase_add_loop_test(t,
			    test_relay_bidi_controls_are_shown_even_split_across_reads,
			    0, (int)(sizeof(bidi) / sizeof(bidi[0])));
	tcase_add_test(t, test_relay_characters_beside_the_bidi_controls_pass);
	tcase_add_test(t, test_relay_overlong_and_surrogate_forms_do_not_pass);
	suite_add_tcase(s, t);
	TCase *m = tcase_create("moving");
	tcase_add_test(m, test_relay_room_never_reads_an_empty_inherited_source);
	suite_add_tcase(s, m);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
