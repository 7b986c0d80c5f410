/* test_crash.c — the crash report's pure parts: the frame-pointer walker
 * against hostile chains (src/crash.c), and the JSON
 * writer's escaping and bounds (src/crash_report.c). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "crash_report.h"

/* A fake stack: 64 words from address BASE. */
#define BASE 0x7000000ULL
static uint64_t mem[64];

static int fake_read(void *arg, uint64_t addr, void *out, size_t len)
{
	(void)arg;
	if (addr < BASE || addr + len > BASE + sizeof(mem))
		return -14;
	memcpy(out, (char *)mem + (addr - BASE), len);
	return 0;
}

START_TEST(test_walk_follows_a_chain_to_its_end)
{
	uint64_t f[CRASH_MAX_FRAMES];
	memset(mem, 0, sizeof(mem));
	/* rbp at word 2 -> word 6 -> word 10 -> 0 */
	mem[2] = BASE + 6 * 8, mem[3] = 0x401011;
	mem[6] = BASE + 10 * 8, mem[7] = 0x402021;
	mem[10] = 0, mem[11] = 0x403031;
	unsigned n = crash_walk(0x400000, BASE, BASE + 2 * 8, fake_read, NULL,
				f, CRASH_MAX_FRAMES);
	ck_assert_uint_eq(n, 4);
	ck_assert_uint_eq(f[0], 0x400000);
	ck_assert_uint_eq(f[1], 0x401010);
	ck_assert_uint_eq(f[3], 0x403030);
}
END_TEST

START_TEST(test_walk_stops_at_a_loop_a_descent_and_misalignment)
{
	uint64_t f[CRASH_MAX_FRAMES];
	memset(mem, 0, sizeof(mem));
	mem[2] = BASE + 2 * 8, mem[3] = 0x401011; /* points at itself */
	ck_assert_uint_eq(crash_walk(1, BASE, BASE + 16, fake_read, NULL, f,
				     CRASH_MAX_FRAMES),
			  2);
	mem[6] = BASE + 2 * 8, mem[7] = 0x402021; /* points below */
	ck_assert_uint_eq(crash_walk(1, BASE, BASE + 48, fake_read, NULL, f,
				     CRASH_MAX_FRAMES),
			  2);
	ck_assert_uint_eq(crash_walk(1, BASE, BASE + 3, fake_read, NULL, f,
				     CRASH_MAX_FRAMES),
			  1);
	/* Beyond the span above sp, or unreadable: pc alone. */
	ck_assert_uint_eq(crash_walk(1, BASE, BASE + CRASH_STACK_SPAN,
				     fake_read, NULL, f, CRASH_MAX_FRAMES),
			  1);
	ck_assert_uint_eq(crash_walk(1, BASE, UINT64_MAX - 7, fake_read, NULL,
				     f, CRASH_MAX_FRAMES),
			  1);
}
END_TEST

START_TEST(test_walk_is_bounded_by_max)
{
	uint64_t f[4];
	for (int i = 0; i < 62; i += 2) {
		mem[i] = BASE + (uint64_t)(i + 2) * 8;
		mem[i + 1] = 0x400001;
	}
	ck_assert_uint_eq(crash_walk(1, BASE, BASE, fake_read, NULL, f, 4), 4);
}
END_TEST

START_TEST(test_json_escapes_anything_into_valid_json)
{
	char buf[128];
	struct json j = { buf, sizeof(buf), 0, false };
	json_str(&j, "a\"b\\c\n\x01\xff", 8);
	ck_assert(!j.full);
	ck_assert_str_eq(buf, "\"a\\\"b\\\\c\\u000a\\u0001\\u00ff\"");
}
END_TEST

START_TEST(test_json_says_when_it_is_full)
{
	char buf[8];
	struct json j = { buf, sizeof(buf), 0, false };
	json_raw(&j, "1234567");
	ck_assert(!j.full);
	json_raw(&j, "8");
	ck_assert(j.full);
	ck_assert_str_eq(buf, "1234567");
}
END_TEST

START_TEST(test_report_names_signal_frames_and_links)
{
	static struct crash_info ci;
	static struct crash_report r;
	static char out[CRASH_MAX_BYTES];
	memset(&ci, 0, sizeof(ci));
	memset(&r, 0, sizeof(r));
	ci.sig = SIGSEGV;
	ci.si_code = SEGV_MAPERR;
	ci.addr = 0x10;
	ci.syscall_nr = -1;
	ci.nframes = 2;
	ci.frames[0] = 0x401000;
	ci.frames[1] = 0x402000;
	strcpy(r.sym[0], "crash_here");
	r.sym_off[0] = 4;
	char *argv[] = { "file:///p", "x\"y", NULL };
	r.argv = argv;
	r.url = "file:///p";
	r.ci = &ci;
	r.links[0] = (struct crash_link){ 1, 7, "file:///q", "svc" };
	r.nlinks = 1;
	char reason[256];
	crash_report_reason(&r, reason, sizeof(reason));
	ck_assert_str_eq(reason, "SIGSEGV (SEGV_MAPERR) at 0x10 in "
				 "crash_here+0x4");
	r.reason = reason;
	ck_assert_int_gt(crash_report_json(&r, out, sizeof(out)), 0);
	ck_assert(strstr(out, "\"argv\":[\"file:///p\",\"x\\\"y\"]"));
	ck_assert(strstr(out, "{\"pc\":\"0x401000\",\"function\":"
			      "\"crash_here\",\"offset\":4}"));
	ck_assert(strstr(out, "{\"pc\":\"0x402000\",\"function\":null"));
	ck_assert(strstr(out, "\"links\":[{\"slot\":1,\"peer\":7,"
			      "\"peer_url\":\"file:///q\",\"name\":\"svc\"}]"));
	ck_assert(strstr(out, "\"registers\":null"));
	ck_assert_int_eq(crash_report_json(&r, out, 64), -ENOSPC);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("crash");
	TCase *t = tcase_create("crash");
	tcase_add_test(t, test_walk_follows_a_chain_to_its_end);
	tcase_add_test(t, test_walk_stops_at_a_loop_a_descent_and_misalignment);
	tcase_add_test(t, test_walk_is_bounded_by_max);
	tcase_add_test(t, test_json_escapes_anything_into_valid_json);
	tcase_add_test(t, test_json_says_when_it_is_full);
	tcase_add_test(t, test_report_names_signal_frames_and_links);
	suite_add_tcase(s, t);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
