/* test_policy.c — the policy parser, the compiler and the BPF interpreter
 * (src/policy*.c), and the default whitelist (policy/default.policy).
 *
 * The compiler is tested on its output: compiled filters are run through
 * policy_eval and held to policy_decide, which reads the rules directly.
 * The default policy is also run for real: static programs built with glibc
 * and musl at test time start under it, with the launcher's notification
 * listener, the way fakeos-run starts them. */
#include <asm/prctl.h>
#include <check.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "policy.h"

#define ck_assert_contains(s, sub)                                             \
	ck_assert_msg(strstr((s), (sub)) != NULL, "'%s' lacks '%s'", (s), (sub))

/* ---- helpers ------------------------------------------------------------- */

static struct policy *parse_ok(const char *text)
{
	struct policy *p = NULL;
	struct error e = { "" };
	int r = policy_parse(text, strlen(text), "t.policy", &p, &e);
	ck_assert_msg(r == 0, "parse failed: %s", e.msg);
	ck_assert_ptr_nonnull(p);
	return p;
}

/* Parses text that must fail; returns the message. */
static const char *parse_fails(const char *text)
{
	static struct error e;
	struct policy *p = (struct policy *)1;
	memset(&e, 0, sizeof(e));
	int r = policy_parse(text, strlen(text), "t.policy", &p, &e);
	ck_assert_msg(r < 0, "parse of '%s' succeeded", text);
	ck_assert_ptr_null(p);
	ck_assert_msg(e.msg[0] != '\0', "no message for '%s'", text);
	return e.msg;
}

static struct policy *load_default(void)
{
	struct policy *p = NULL;
	struct error e = { "" };
	int r = policy_load_default(&p, &e);
	ck_assert_msg(r == 0, "default policy: %s", e.msg);
	return p;
}

static struct sock_fprog compile(const struct policy *p,
				 const struct policy_launch *l)
{
	struct sock_fprog prog = { 0 };
	struct error e = { "" };
	int r = policy_compile(p, l, &prog, &e);
	ck_assert_msg(r == 0, "compile failed: %s", e.msg);
	ck_assert_uint_gt(prog.len, 0);
	return prog;
}

static struct seccomp_data call(int nr, uint64_t a0, uint64_t a1, uint64_t a2,
				uint64_t a3, uint64_t a4, uint64_t a5)
{
	struct seccomp_data d = { .nr = nr, .arch = AUDIT_ARCH_X86_64 };
	d.args[0] = a0;
	d.args[1] = a1;
	d.args[2] = a2;
	d.args[3] = a3;
	d.args[4] = a4;
	d.args[5] = a5;
	return d;
}

static const char *action(uint32_t ret)
{
	static char buf[4][64];
	static unsigned i;
	char *b = buf[i++ % 4];
	policy_format_action(ret, b, sizeof(buf[0]));
	return b;
}

#define ALLOW SECCOMP_RET_ALLOW
#define NOTIFY SECCOMP_RET_USER_NOTIF
#define KILL SECCOMP_RET_KILL_PROCESS
#define ERRNO(e) (SECCOMP_RET_ERRNO | (e))

/* Evaluates one call through the compiled filter, checks the result against
 * want and against policy_decide. */
static void expect(const struct policy *p, const struct policy_launch *l,
		   const struct sock_fprog *prog, struct seccomp_data d,
		   uint32_t want)
{
	uint32_t got = policy_eval(prog, &d);
	uint32_t ref = policy_decide(p, l, &d);
	ck_assert_msg(got == want,
		      "%s(%#llx, %#llx, %#llx, %#llx, %#llx, %#llx): got %s, "
		      "want %s",
		      policy_syscall_name(d.nr) ? policy_syscall_name(d.nr) : "?",
		      d.args[0], d.args[1], d.args[2], d.args[3], d.args[4],
		      d.args[5], action(got), action(want));
	ck_assert_msg(ref == want, "policy_decide(%d): got %s, want %s", d.nr,
		      action(ref), action(want));
}

#define EXPECT(p, prog, want, nr, ...)                                         \
	expect(p, NULL, prog, call(nr, __VA_ARGS__), want)

/* ---- the parser ----------------------------------------------------------- */

START_TEST(test_policy_rejects_unknown_syscall_with_line_number)
{
	const char *msg = parse_fails("# x\nread: allow\nopn: allow\n");
	ck_assert_str_eq(msg, "t.policy:3: unknown system call 'opn'");
}
END_TEST

START_TEST(test_policy_rejects_argument_beyond_arg5)
{
	const char *msg = parse_fails("read: arg7 == 1\n");
	ck_assert_str_eq(msg, "t.policy:1: arg7: no such argument (a system "
			      "call has arg0 to arg5)");
	ck_assert_contains(parse_fails("read: arg10 == 1\n"),
			   "arg10: no such argument");
	ck_assert_contains(parse_fails("read: argx == 1\n"),
			   "expected an argument (arg0 to arg5), found 'argx'");
}
END_TEST

START_TEST(test_policy_rejects_syscall_listed_twice_naming_both_lines)
{
	const char *msg = parse_fails("mmap: allow\n\n# again\nmmap: errno "
				      "EPERM\n");
	ck_assert_str_eq(msg, "t.policy:4: 'mmap' listed twice (first on line "
			      "1)");
}
END_TEST

START_TEST(test_policy_rejects_unknown_constant_and_errno)
{
	ck_assert_str_eq(parse_fails("mmap: arg2 == PROT_EXCE\n"),
			 "t.policy:1: unknown constant 'PROT_EXCE'");
	ck_assert_str_eq(parse_fails("ioctl: errno ENOTTTY\n"),
			 "t.policy:1: unknown errno 'ENOTTTY'");
	ck_assert_contains(parse_fails("ioctl: errno PROT_READ\n"),
			   "unknown errno 'PROT_READ'");
}
END_TEST

START_TEST(test_policy_rejects_errno_out_of_range)
{
	ck_assert_contains(parse_fails("ioctl: errno 0\n"),
			   "errno '0' is out of range (1 to 4094)");
	ck_assert_contains(parse_fails("ioctl: errno 4096\n"),
			   "errno '4096' is out of range");
	/* libseccomp refuses 4095 (found by fuzz_policy), so parsing does. */
	ck_assert_contains(parse_fails("ioctl: errno 4095\n"),
			   "errno '4095' is out of range");
	struct policy *p = parse_ok("ioctl: errno 4094\n");
	struct sock_fprog prog = compile(p, NULL);
	policy_bpf_free(&prog);
	policy_free(p);
}
END_TEST

START_TEST(test_policy_rejects_calls_other_architectures_have)
{
	ck_assert_str_eq(parse_fails("socketcall: allow\n"),
			 "t.policy:1: 'socketcall' is not an x86-64 system "
			 "call");
}
END_TEST

START_TEST(test_policy_reserves_execveat_and_sendmsg_for_the_launcher)
{
	ck_assert_contains(parse_fails("execveat: allow\n"),
			   "t.policy:1: 'execveat' is reserved");
	ck_assert_contains(parse_fails("sendmsg: arg0 == 3\n"),
			   "'sendmsg' is reserved");
}
END_TEST

START_TEST(test_policy_rejects_malformed_lines_naming_the_line)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{ "read allow", "t.policy:3: expected ':' after the system call "
				"name, found 'allow'" },
		{ "read:", "expected 'allow', 'errno NAME' or a "
			   "condition on arg0 to arg5, found end of line" },
		{ ": allow", "expected a system call name, found ':'" },
		{ "read: allow arg0", "expected end of line, found 'arg0'" },
		{ "read: errno", "expected an errno name such as EPERM" },
		{ "read: arg0", "expected '==', '!=', '<', '<=', '>', '>=' or "
				"'&'" },
		{ "read: arg0 = 1", "unexpected '=': compare with '=='" },
		{ "read: arg0 == ", "expected a value, found end of line" },
		{ "read: arg0 == 1 &&", "expected an argument (arg0 to arg5), "
					"found end of line" },
		{ "read: arg0 == 1 ||", "expected an argument" },
		{ "read: arg0 == 1 arg1 == 2", "expected '&&', '||', ';' or end "
					       "of line, found 'arg1'" },
		{ "read: arg0 == 1;", "expected 'else errno NAME' after ';'" },
		{ "read: arg0 == 1; else", "expected 'errno' after 'else'" },
		{ "read: arg0 == 1; else errno", "expected an errno name" },
		{ "read: arg0 == 1; else errno EIO x", "expected end of line" },
		{ "read: arg0 == (1", "expected ')', found end of line" },
		{ "read: arg0 == -PROT_READ", "expected a number after '-'" },
		{ "read: arg0 == 1 $", "unexpected character '$'" },
		{ "read: arg0 == \x01", "unexpected character '\\x01'" },
		{ "read: arg0 == 0x", "bad number '0x'" },
		{ "read: arg0 == 12ab", "bad number '12ab'" },
		{ "read: arg0 == 0755", "number '0755' has a leading zero" },
		{ "read: arg0 == 18446744073709551616",
		  "number '18446744073709551616' does not fit in 64 bits" },
		{ "read: arg0 == 0x10000000000000000", "does not fit in 64 bits" },
		{ "read: arg0 & 1 < 2", "a masked test 'arg0 & MASK' takes '==' "
					"or '!=', not '<'" },
		{ "read: arg0 & 0 == 0", "arg0 & 0: the mask is 0" },
		{ "read: arg0 & 4 == 8", "'arg0 & 4 == 8' can never hold: the "
					 "value has bits outside the mask" },
		{ "read: arg0 & 4 != 8", "'arg0 & 4 != 8' always holds" },
		{ "read: arg0 & 1 ~", "expected '==' or '!=' after the mask" },
		{ "allow: allow", "unknown system call 'allow'" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char text[256];
		snprintf(text, sizeof(text), "# c\n\n%s\n", cases[i].text);
		const char *msg = parse_fails(text);
		ck_assert_msg(strncmp(msg, "t.policy:3: ", 12) == 0,
			      "'%s': message '%s' does not name line 3",
			      cases[i].text, msg);
		ck_assert_contains(msg, cases[i].msg);
	}
}
END_TEST

START_TEST(test_policy_rejects_conditions_that_never_or_always_hold)
{
	ck_assert_str_eq(parse_fails("read: arg0 == 1 && arg0 == 2\n"),
			 "t.policy:1: read: 'arg0 == 1 && arg0 == 2' can never "
			 "hold");
	ck_assert_contains(parse_fails("read: arg0 == 1 || arg1 < 0\n"),
			   "'arg1 < 0' can never hold");
	ck_assert_contains(parse_fails("read: arg0 >= 0\n"),
			   "'arg0 >= 0' always holds: write 'read: allow'");
	ck_assert_contains(parse_fails("read: arg0 <= 5 || arg0 > 5; else "
				       "errno EIO\n"),
			   "the condition always holds, so its 'else errno' "
			   "never applies");
}
END_TEST

START_TEST(test_policy_rejects_conditions_needing_too_many_seccomp_rules)
{
	/* Each masked != with a scattered mask is 8 pieces; three arguments
	 * multiply to 512 rules. */
	const char *msg = parse_fails("read: arg0 & 0x5555 != 0 && arg1 & "
				      "0x5555 != 0 && arg2 & 0x5555 != 0\n");
	ck_assert_str_eq(msg, "t.policy:1: read: condition too complex: it "
			      "needs more than 256 seccomp rules");
}
END_TEST

START_TEST(test_policy_rejects_policies_needing_too_many_seccomp_rules)
{
	/* 256 libseccomp rules a line; the third line passes 512 in all,
	 * where libseccomp's time starts to tell on every launch. */
	const char *line = "arg0 != 1 && arg1 & 3 != 0 && arg2 & 0x30 != 0x10";
	char text[512];
	snprintf(text, sizeof(text), "read: %s\nwrite: %s\nclose: %s\n", line,
		 line, line);
	ck_assert_str_eq(parse_fails(text),
			 "t.policy:3: close: the policy needs more than 512 "
			 "seccomp rules (this line needs 256)");
}
END_TEST

/* "argN == V; else errno E" costs two tests of one argument, not the
 * 64 masked cubes its complement would take through the value sets: the
 * rule below compiled to 290 more instructions before, and the kernel
 * checks and JIT-compiles the filter at every launch. */
START_TEST(test_policy_else_errno_of_one_equality_compiles_small)
{
	struct policy *one = parse_ok("arch_prctl: arg0 == ARCH_SET_FS\n");
	struct policy *el = parse_ok(
		"arch_prctl: arg0 == ARCH_SET_FS; else errno EINVAL\n");
	struct sock_fprog a = compile(one, NULL), b = compile(el, NULL);
	ck_assert_msg(b.len <= a.len + 4, "%u instructions, %u without else",
		      b.len, a.len);
	const uint64_t hi = 1ULL << 32, p0 = 0x10000;
	expect(el, NULL, &b, call(__NR_arch_prctl, ARCH_SET_FS, p0, 0, 0, 0, 0),
	       ALLOW);
	expect(el, NULL, &b,
	       call(__NR_arch_prctl, ARCH_SET_FS | hi, p0, 0, 0, 0, 0),
	       ERRNO(EINVAL));
	expect(el, NULL, &b, call(__NR_arch_prctl, ARCH_SET_GS, p0, 0, 0, 0, 0),
	       ERRNO(EINVAL));
	expect(el, NULL, &b, call(__NR_arch_prctl, 0, p0, 0, 0, 0, 0),
	       ERRNO(EINVAL));
	policy_bpf_free(&a);
	policy_bpf_free(&b);
	policy_free(one);
	policy_free(el);
}
END_TEST

START_TEST(test_policy_compile_refuses_filters_over_4096_instructions)
{
	/* Few enough rules, but scattered masks on three arguments each,
	 * so libseccomp can share nothing between the four calls. */
	struct policy *p = parse_ok(
		"read: arg0 & 0x10201d1000080 != 0 && arg1 & 0x22000008d000042 "
		"!= 0 && arg2 & 0x200000000000001 != 0\n"
		"write: arg0 & 0x1a00020400102002 != 0 && arg1 & "
		"0x1100480009002002 != 0 && arg2 & 0x10000008 != 0\n"
		"close: arg0 & 0x4001180020044002 != 0 && arg1 & "
		"0x8c20020800000840 != 0 && arg2 & 0x2000008000 != 0\n"
		"dup: arg0 & 0x4600401000c1000 != 0 && arg1 & 0xd040002102000004 "
		"!= 0 && arg2 & 0x2000000080000000 != 0\n");
	struct sock_fprog prog = { 0 };
	struct error e = { "" };
	ck_assert_int_eq(policy_compile(p, NULL, &prog, &e), -E2BIG);
	ck_assert_contains(e.msg, "t.policy: the compiled filter has ");
	ck_assert_contains(e.msg, " instructions; the kernel takes at most "
				  "4096");
	ck_assert_ptr_null(prog.filter);
	policy_free(p);
}
END_TEST

START_TEST(test_policy_rejects_overlong_line_and_nul_byte)
{
	char text[POLICY_MAX_LINE + 64];
	memset(text, ' ', sizeof(text));
	memcpy(text, "read: allow #", 13);
	text[POLICY_MAX_LINE + 1] = '\n';
	text[POLICY_MAX_LINE + 2] = '\0';
	ck_assert_str_eq(parse_fails(text),
			 "t.policy:1: line longer than 1024 bytes");

	struct policy *p = NULL;
	struct error e = { "" };
	ck_assert_int_lt(policy_parse("read: allow\nwrite:\0allow\n", 25,
				      "t.policy", &p, &e),
			 0);
	ck_assert_str_eq(e.msg, "t.policy:2: NUL byte in the line");
}
END_TEST

START_TEST(test_policy_rejects_too_many_tests_in_one_rule)
{
	char text[2048] = "read: arg0 == 0";
	for (int i = 1; i <= POLICY_MAX_TESTS; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
			 " || arg0 == %d", i);
	ck_assert_contains(parse_fails(text), "more than 32 tests in one rule");
}
END_TEST

START_TEST(test_policy_rejects_deeply_nested_values)
{
	char text[256] = "read: arg0 == ";
	for (int i = 0; i < 40; i++)
		strcat(text, "~");
	strcat(text, "0");
	ck_assert_contains(parse_fails(text), "value nested too deeply");
}
END_TEST

START_TEST(test_policy_rejects_text_larger_than_the_cap)
{
	struct policy *p = NULL;
	struct error e = { "" };
	size_t len = POLICY_MAX_SIZE + 1;
	char *text = calloc(1, len);
	memset(text, '\n', len);
	ck_assert_int_eq(policy_parse(text, len, "big.policy", &p, &e), -EFBIG);
	ck_assert_str_eq(e.msg, "big.policy: larger than 1048576 bytes");
	free(text);
}
END_TEST

START_TEST(test_policy_accepts_comments_blank_lines_crlf_and_no_final_newline)
{
	const char *text = "# header\r\n\r\n   \t\n"
			   "read: arg0 == 0   # stdin\r\n"
			   "ioctl:errno ENOTTY\n"
			   "  write :  arg0==1||arg0 == STDERR_FILENO";
	struct policy *p = parse_ok(text);
	unsigned allowed, answered;
	policy_counts(p, &allowed, &answered);
	ck_assert_uint_eq(allowed, 2);
	ck_assert_uint_eq(answered, 1);
	policy_free(p);
}
END_TEST

START_TEST(test_policy_parse_reads_only_len_bytes)
{
	/* The second rule lies past len, so only the first is parsed. */
	const char *text = "read: allow\nwrite: allow\n";
	struct policy *p = NULL;
	struct error e = { "" };
	ck_assert_int_eq(policy_parse(text, 12, "t.policy", &p, &e), 0);
	unsigned allowed, answered;
	policy_counts(p, &allowed, &answered);
	ck_assert_uint_eq(allowed, 1);
	policy_free(p);
	/* A line cut short by len is an error of that line, not a crash. */
	ck_assert_int_lt(policy_parse(text, 17, "t.policy", &p, &e), 0);
	ck_assert_str_eq(e.msg, "t.policy:2: expected ':' after the system "
				"call name, found end of line");
}
END_TEST

START_TEST(test_policy_empty_text_is_an_empty_policy)
{
	struct policy *p = NULL;
	struct error e = { "" };
	ck_assert_int_eq(policy_parse("", 0, "t.policy", &p, &e), 0);
	struct sock_fprog prog = compile(p, NULL);
	/* Nothing is allowed, not even exit. */
	EXPECT(p, &prog, NOTIFY, __NR_exit_group, 0, 0, 0, 0, 0, 0);
	policy_bpf_free(&prog);
	policy_free(p);
}
END_TEST

START_TEST(test_policy_parse_survives_mutated_and_random_input)
{
	/* A smoke test for the fuzzer to come: byte flips, truncations and
	 * random bytes never crash (ASan and UBSan watch in the SAN=1 run)
	 * and every failure has a message naming the line. */
	static const char base[] =
		"read: arg0 == 0\nwrite: arg0 == 1 || arg0 == 2\n"
		"mmap: arg2 & ~(PROT_READ|PROT_WRITE) == 0 && arg3 & "
		"MAP_ANONYMOUS == MAP_ANONYMOUS; else errno EPERM\n"
		"madvise: arg2 >= 3 && arg2 <= 10 || arg2 != 99; else errno "
		"EINVAL\nioctl: errno ENOTTY\n";
	static const char alphabet[] = "arg0123456789&|=!<>~();:# \n\txEPERM_";
	uint64_t s = 0x9e3779b97f4a7c15ULL;
	char buf[sizeof(base)];

	for (int iter = 0; iter < 4000; iter++) {
		memcpy(buf, base, sizeof(base));
		size_t len = sizeof(base) - 1;
		int flips = 1 + (int)(iter % 4);
		for (int f = 0; f < flips; f++) {
			s ^= s << 13, s ^= s >> 7, s ^= s << 17;
			size_t at = s % len;
			buf[at] = iter % 3 ? alphabet[(s >> 20) %
						      (sizeof(alphabet) - 1)]
					   : (char)(s >> 32);
		}
		if (iter % 5 == 0)
			len = (s >> 40) % len;
		struct policy *p = NULL;
		struct error e = { "" };
		int r = policy_parse(buf, len, "m.policy", &p, &e);
		if (r < 0) {
			ck_assert_ptr_null(p);
			ck_assert_msg(strncmp(e.msg, "m.policy:", 9) == 0,
				      "message without file: %s", e.msg);
			continue;
		}
		struct sock_fprog prog = compile(p, NULL);
		policy_bpf_free(&prog);
		policy_free(p);
	}
}
END_TEST

/* ---- names, values, actions ------------------------------------------------ */

START_TEST(test_policy_syscall_names_and_numbers_round_trip)
{
	ck_assert_str_eq(policy_syscall_name(257), "openat");
	ck_assert_str_eq(policy_syscall_name(__NR_io_uring_enter),
			 "io_uring_enter");
	ck_assert_ptr_null(policy_syscall_name(-1));
	ck_assert_ptr_null(policy_syscall_name(100000));
	ck_assert_int_eq(policy_syscall_nr("openat"), 257);
	ck_assert_int_eq(policy_syscall_nr("read"), 0);
	ck_assert_int_eq(policy_syscall_nr("opn"), -ENOENT);
	ck_assert_int_eq(policy_syscall_nr("socketcall"), -ENOSYS);
}
END_TEST

START_TEST(test_policy_parse_value_handles_constants_and_operators)
{
	static const struct {
		const char *s;
		uint64_t v;
	} ok[] = {
		{ "0", 0 },
		{ "4096", 4096 },
		{ "0xFFff", 0xffff },
		{ "PROT_READ|PROT_WRITE", 3 },
		{ "~(PROT_READ|PROT_WRITE)", ~3ULL },
		{ "~0", UINT64_MAX },
		{ "-1", UINT64_MAX },
		{ "AT_FDCWD", (uint64_t)-100 },
		{ "ARCH_SET_FS", 0x1002 },
		{ "MAP_PRIVATE | MAP_ANONYMOUS", 0x22 },
		{ "( 1 | (2) ) | 4", 7 },
		{ "ENOTTY", 25 },
		{ "18446744073709551615", UINT64_MAX },
	};
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		uint64_t v = 0;
		struct error e = { "" };
		ck_assert_msg(policy_parse_value(ok[i].s, &v, &e) == 0, "%s: %s",
			      ok[i].s, e.msg);
		ck_assert_msg(v == ok[i].v, "%s: got %#lx", ok[i].s, v);
	}
	uint64_t v;
	struct error e = { "" };
	ck_assert_int_lt(policy_parse_value("PROT_BOGUS", &v, &e), 0);
	ck_assert_str_eq(e.msg, "'PROT_BOGUS': unknown constant 'PROT_BOGUS'");
	ck_assert_int_lt(policy_parse_value("1 2", &v, &e), 0);
	ck_assert_str_eq(e.msg, "'1 2': expected end of the value, found '2'");
	ck_assert_int_lt(policy_parse_value("", &v, &e), 0);
}
END_TEST

START_TEST(test_policy_format_action_names_each_action)
{
	ck_assert_str_eq(action(SECCOMP_RET_ALLOW), "allow");
	ck_assert_str_eq(action(ERRNO(ENOTTY)), "errno ENOTTY");
	ck_assert_str_eq(action(ERRNO(EAGAIN)), "errno EAGAIN");
	ck_assert_str_eq(action(ERRNO(4000)), "errno 4000");
	ck_assert_str_eq(action(SECCOMP_RET_USER_NOTIF), "notify (killed)");
	ck_assert_str_eq(action(SECCOMP_RET_KILL_PROCESS), "kill");
	ck_assert_str_eq(action(SECCOMP_RET_KILL_THREAD), "kill thread");
	ck_assert_str_eq(action(SECCOMP_RET_TRAP | 5), "trap 5");
	ck_assert_str_eq(action(SECCOMP_RET_TRACE | 7), "trace 7");
	ck_assert_str_eq(action(SECCOMP_RET_LOG), "log");
	ck_assert_str_eq(action(0x12340000), "0x12340000 (kill)");
}
END_TEST

/* ---- the default policy ------------------------------------------------------ */

START_TEST(test_policy_default_allows_at_most_20_calls)
{
	struct policy *p = load_default();
	unsigned allowed, answered;
	policy_counts(p, &allowed, &answered);
	ck_assert_uint_le(allowed, 20);
	ck_assert_uint_ge(allowed, 10);
	ck_assert_uint_eq(answered, 7);
	struct sock_fprog prog = compile(p, NULL);
	ck_assert_uint_le(prog.len, BPF_MAXINSNS);
	policy_bpf_free(&prog);
	ck_assert_ptr_null(prog.filter);
	policy_free(p);
}
END_TEST

/* Every rule of the default policy, with values it allows and values it
 * refuses; 'hi' puts junk in the high 32 bits, which the kernel ignores
 * for int arguments but the filter must not (CVE-2019-10063 class). */
START_TEST(test_policy_default_rules_allow_and_refuse_what_they_say)
{
	const uint64_t hi = 1ULL << 32, p0 = 0x7f0000001000ULL;
	const uint64_t RW = PROT_READ | PROT_WRITE;
	const uint64_t anon = MAP_PRIVATE | MAP_ANONYMOUS;
	static const struct {
		int nr;
		uint64_t a[6];
		uint32_t want;
	} cases[] = {
		/* console */
		{ __NR_read, { 0, 0, 10 }, ALLOW },
		{ __NR_read, { 1, 0, 10 }, NOTIFY },
		{ __NR_read, { 3 }, NOTIFY },
		{ __NR_read, { 0 | (1ULL << 32) }, NOTIFY },
		{ __NR_readv, { 0 }, ALLOW },
		{ __NR_readv, { 2 }, NOTIFY },
		{ __NR_write, { 1 }, ALLOW },
		{ __NR_write, { 2 }, ALLOW },
		{ __NR_write, { 0 }, NOTIFY },
		{ __NR_write, { 3 }, NOTIFY },
		{ __NR_write, { 1 | (1ULL << 32) }, NOTIFY },
		{ __NR_write, { (uint64_t)-1 }, NOTIFY },
		{ __NR_writev, { 1 }, ALLOW },
		{ __NR_writev, { 2 }, ALLOW },
		{ __NR_writev, { 4 }, NOTIFY },
		{ __NR_ioctl, { 1, TIOCGWINSZ }, ERRNO(ENOTTY) },
		{ __NR_ioctl, { 0, TIOCSTI }, ERRNO(ENOTTY) },
		{ __NR_lseek, { 0, (uint64_t)-12, SEEK_CUR }, ERRNO(ESPIPE) },
		{ __NR_newfstatat, { 1, 0, 0, AT_EMPTY_PATH }, ERRNO(EPERM) },
		/* memory */
		{ __NR_mmap, { 0, 4096, RW, anon, (uint64_t)-1 }, ALLOW },
		{ __NR_mmap, { 0, 4096, PROT_NONE, anon | MAP_FIXED }, ALLOW },
		{ __NR_mmap, { 0, 4096, PROT_READ, MAP_SHARED | MAP_ANONYMOUS },
		  ALLOW },
		{ __NR_mmap, { 0, 4096, RW | PROT_EXEC, anon }, NOTIFY },
		{ __NR_mmap, { 0, 4096, PROT_EXEC, anon }, NOTIFY },
		{ __NR_mmap, { 0, 4096, PROT_READ | (1ULL << 32), anon }, NOTIFY },
		{ __NR_mmap, { 0, 4096, PROT_READ | PROT_GROWSDOWN, anon }, NOTIFY },
		{ __NR_mmap, { 0, 4096, PROT_READ, MAP_PRIVATE, 0 }, NOTIFY },
		{ __NR_mmap, { 0, 4096, RW, anon | MAP_HUGETLB }, NOTIFY },
		/* the ring (fd 3) and the boot page (fd 4), exactly */
		{ __NR_mmap, { 0, 8512, RW, MAP_SHARED | MAP_POPULATE, 3, 0 },
		  ALLOW },
		{ __NR_mmap, { 0, 4096, RW, MAP_SHARED | MAP_POPULATE, 3,
			       0x10000000 },
		  ALLOW },
		{ __NR_mmap, { 0, 4096, RW, MAP_SHARED | MAP_POPULATE, 3,
			       0x80000000 },
		  ALLOW },
		{ __NR_mmap, { 0, 4096, RW, MAP_SHARED | MAP_POPULATE, 3,
			       0x80010000 },
		  ALLOW },
		/* a third buffer ring, and the CQ ring on its own */
		{ __NR_mmap, { 0, 4096, RW, MAP_SHARED | MAP_POPULATE, 3,
			       0x80020000 },
		  NOTIFY },
		{ __NR_mmap, { 0, 4096, RW, MAP_SHARED | MAP_POPULATE, 3,
			       0x8000000 },
		  NOTIFY },
		{ __NR_mmap, { 0, 4096, PROT_READ, MAP_PRIVATE, 3,
			       0x80000000 },
		  NOTIFY },
		{ __NR_mmap, { 0, 4096, RW | PROT_EXEC,
			       MAP_SHARED | MAP_POPULATE, 3, 0 },
		  NOTIFY },
		{ __NR_mmap, { 0, 4096, PROT_READ, MAP_PRIVATE, 4, 0 }, ALLOW },
		{ __NR_mmap, { 0, 4096, RW, MAP_SHARED, 4, 0 }, NOTIFY },
		{ __NR_mmap, { 0, 4096, PROT_READ, MAP_PRIVATE, 5, 0 }, NOTIFY },
		{ __NR_mmap, { 0, 4096, PROT_READ, MAP_PRIVATE, 4 | hi, 0 },
		  NOTIFY },
		{ __NR_mprotect, { p0, 4096, PROT_READ }, ALLOW },
		{ __NR_mprotect, { p0, 4096, PROT_NONE }, ALLOW },
		{ __NR_mprotect, { p0, 4096, RW }, ALLOW },
		{ __NR_mprotect, { p0, 4096, PROT_READ | PROT_EXEC }, NOTIFY },
		{ __NR_mprotect, { p0, 4096, PROT_READ | hi }, NOTIFY },
		{ __NR_munmap, { p0, 4096 }, ALLOW },
		{ __NR_mremap, { p0, 4096, 8192, MREMAP_MAYMOVE }, ALLOW },
		{ __NR_mremap, { p0, 4096, 8192, 0 }, ALLOW },
		{ __NR_mremap, { p0, 4096, 8192, MREMAP_MAYMOVE | MREMAP_FIXED },
		  NOTIFY },
		{ __NR_brk, { 0 }, ALLOW },
		{ __NR_madvise, { p0, 4096, MADV_DONTNEED }, ALLOW },
		{ __NR_madvise, { p0, 4096, MADV_FREE }, ALLOW },
		{ __NR_madvise, { p0, 4096, MADV_NORMAL }, ALLOW },
		{ __NR_madvise, { p0, 4096, MADV_WILLNEED }, ALLOW },
		{ __NR_madvise, { p0, 4096, MADV_REMOVE }, NOTIFY },
		{ __NR_madvise, { p0, 4096, MADV_MERGEABLE }, NOTIFY },
		{ __NR_madvise, { p0, 4096, MADV_DONTNEED | hi }, NOTIFY },
		{ __NR_madvise, { p0, 4096, UINT64_MAX }, NOTIFY },
		/* time */
		{ __NR_clock_gettime, { CLOCK_MONOTONIC }, ALLOW },
		{ __NR_clock_gettime, { CLOCK_PROCESS_CPUTIME_ID }, ALLOW },
		{ __NR_clock_gettime, { CLOCK_TAI }, ALLOW },
		{ __NR_clock_gettime, { CLOCK_TAI + 1 }, NOTIFY },
		{ __NR_clock_gettime, { (uint64_t)-6 }, NOTIFY },
		{ __NR_clock_gettime, { CLOCK_REALTIME | hi }, NOTIFY },
		{ __NR_clock_getres, { CLOCK_REALTIME }, ALLOW },
		{ __NR_clock_getres, { 12 }, NOTIFY },
		{ __NR_gettimeofday, { p0 }, ALLOW },
		{ __NR_clock_nanosleep, { CLOCK_REALTIME, 0, p0 }, ALLOW },
		{ __NR_clock_nanosleep, { CLOCK_MONOTONIC, TIMER_ABSTIME, p0 },
		  ALLOW },
		{ __NR_clock_nanosleep, { CLOCK_MONOTONIC, 2, p0 }, NOTIFY },
		{ __NR_clock_nanosleep, { CLOCK_MONOTONIC, hi, p0 }, NOTIFY },
		{ __NR_clock_nanosleep, { 99, 0, p0 }, NOTIFY },
		{ __NR_nanosleep, { p0, 0 }, ALLOW },
		/* randomness */
		{ __NR_getrandom, { p0, 8, GRND_NONBLOCK }, ALLOW },
		{ __NR_getrandom, { p0, 8, 0 }, ALLOW },
		{ __NR_getrandom, { p0, 8, 8 }, NOTIFY },
		{ __NR_getrandom, { p0, 8, GRND_NONBLOCK | hi }, NOTIFY },
		/* start-up */
		{ __NR_arch_prctl, { ARCH_SET_FS, p0 }, ALLOW },
		{ __NR_arch_prctl, { ARCH_SET_GS, p0 }, ERRNO(EINVAL) },
		{ __NR_arch_prctl, { 0x3001, p0 }, ERRNO(EINVAL) }, /* CET */
		{ __NR_arch_prctl, { 0x5005, p0 }, ERRNO(EINVAL) }, /* SHSTK */
		{ __NR_arch_prctl, { ARCH_SET_FS | hi, p0 }, ERRNO(EINVAL) },
		{ __NR_set_tid_address, { p0 }, ALLOW },
		{ __NR_set_robust_list, { p0, 24 }, ERRNO(ENOSYS) },
		{ __NR_rseq, { p0, 32, 0, 0x53053053 }, ERRNO(ENOSYS) },
		{ __NR_prlimit64, { 0, RLIMIT_STACK, 0, p0 }, ERRNO(EPERM) },
		{ __NR_readlink, { p0, p0, 4096 }, ERRNO(ENOENT) },
		/* exit */
		{ __NR_exit_group, { 0 }, ALLOW },
		{ __NR_exit, { 0 }, NOTIFY },
		/* io_uring: fd 3 only, GETEVENTS and EXT_ARG only */
		{ __NR_io_uring_enter, { 3, 1, 0, 0 }, ALLOW },
		{ __NR_io_uring_enter, { 3, 1, 1, 1 | 8, p0, 24 }, ALLOW },
		{ __NR_io_uring_enter, { 4, 1, 0, 0 }, NOTIFY },
		{ __NR_io_uring_enter, { 3 | hi, 1, 0, 0 }, NOTIFY },
		{ __NR_io_uring_enter, { 0, 1, 0, 16 /* REGISTERED_RING */ },
		  NOTIFY },
		{ __NR_io_uring_enter, { 3, 1, 0, 2 /* SQ_WAKEUP */ }, NOTIFY },
		{ __NR_io_uring_register, { 3, 0, p0, 1 }, NOTIFY },
		/* what the escape tests try: named and killed */
		{ __NR_openat, { (uint64_t)AT_FDCWD, p0, O_RDONLY }, NOTIFY },
		{ __NR_open, { p0, O_RDONLY }, NOTIFY },
		{ __NR_socket, { AF_INET, SOCK_STREAM }, NOTIFY },
		{ __NR_clone, { SIGCHLD }, NOTIFY },
		{ __NR_fork, { 0 }, NOTIFY },
		{ __NR_ptrace, { 16 }, NOTIFY },
		{ __NR_execve, { p0 }, NOTIFY },
		{ __NR_execveat, { 8, p0, 0, 0, AT_EMPTY_PATH }, NOTIFY },
		{ __NR_sendmsg, { 9 }, NOTIFY },
		{ __NR_pkey_mprotect, { p0, 4096, PROT_EXEC }, NOTIFY },
		{ __NR_io_uring_setup, { 8, p0 }, NOTIFY },
		{ __NR_seccomp, { 0 }, NOTIFY },
		{ __NR_personality, { 0x0400000 }, NOTIFY },
	};
	struct policy *p = load_default();
	struct sock_fprog prog = compile(p, NULL);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		expect(p, NULL, &prog,
		       call(cases[i].nr, cases[i].a[0], cases[i].a[1],
			    cases[i].a[2], cases[i].a[3], cases[i].a[4],
			    cases[i].a[5]),
		       cases[i].want);
	policy_bpf_free(&prog);
	policy_free(p);
}
END_TEST

/* The calls static programs make from start to exit, recorded with strace
 * (printf, malloc small and large, realloc, free, clock, nanosleep, reading
 * part of stdin, exit). Not one may be refused with a kill. */
START_TEST(test_policy_default_lets_glibc_and_musl_start_and_exit)
{
	const uint64_t p0 = 0x4c9000, RW = PROT_READ | PROT_WRITE;
	const uint64_t anon = MAP_PRIVATE | MAP_ANONYMOUS;
	static const struct {
		int nr;
		uint64_t a[6];
		uint32_t want;
	} glibc[] = {
		{ __NR_brk, { 0 }, ALLOW },
		{ __NR_arch_prctl, { ARCH_SET_FS, p0 }, ALLOW },
		{ __NR_set_tid_address, { p0 }, ALLOW },
		{ __NR_set_robust_list, { p0, 24 }, ERRNO(ENOSYS) },
		{ __NR_rseq, { p0, 0x20, 0, 0x53053053 }, ERRNO(ENOSYS) },
		{ __NR_prlimit64, { 0, RLIMIT_STACK, 0, p0 }, ERRNO(EPERM) },
		{ __NR_readlink, { p0, p0, 4096 }, ERRNO(ENOENT) },
		{ __NR_getrandom, { p0, 8, GRND_NONBLOCK }, ALLOW },
		{ __NR_mprotect, { p0, 16384, PROT_READ }, ALLOW },
		{ __NR_newfstatat, { 1, p0, p0, AT_EMPTY_PATH }, ERRNO(EPERM) },
		{ __NR_mmap, { 0, 1052672, RW, anon, (uint64_t)-1, 0 }, ALLOW },
		{ __NR_mremap, { p0, 1052672, 3149824, MREMAP_MAYMOVE }, ALLOW },
		{ __NR_munmap, { p0, 200704 }, ALLOW },
		{ __NR_clock_gettime, { CLOCK_PROCESS_CPUTIME_ID, p0 }, ALLOW },
		{ __NR_clock_nanosleep, { CLOCK_REALTIME, 0, p0, 0 }, ALLOW },
		{ __NR_newfstatat, { 0, p0, p0, AT_EMPTY_PATH }, ERRNO(EPERM) },
		{ __NR_read, { 0, p0, 4096 }, ALLOW },
		{ __NR_write, { 2, p0, 4 }, ALLOW },
		{ __NR_write, { 1, p0, 16 }, ALLOW },
		{ __NR_lseek, { 0, (uint64_t)-12, SEEK_CUR }, ERRNO(ESPIPE) },
		{ __NR_exit_group, { 3 }, ALLOW },
	}, musl[] = {
		{ __NR_arch_prctl, { ARCH_SET_FS, p0 }, ALLOW },
		{ __NR_set_tid_address, { p0 }, ALLOW },
		{ __NR_ioctl, { 1, TIOCGWINSZ, p0 }, ERRNO(ENOTTY) },
		{ __NR_writev, { 1, p0, 2 }, ALLOW },
		{ __NR_brk, { 0 }, ALLOW },
		{ __NR_brk, { p0 + 8192 }, ALLOW },
		{ __NR_mmap, { p0, 4096, PROT_NONE,
			       MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS,
			       (uint64_t)-1, 0 }, ALLOW },
		{ __NR_mmap, { 0, 4096, RW, anon, (uint64_t)-1, 0 }, ALLOW },
		{ __NR_mremap, { p0, 1052672, 3149824, MREMAP_MAYMOVE }, ALLOW },
		{ __NR_munmap, { p0, 4096 }, ALLOW },
		{ __NR_readv, { 0, p0, 2 }, ALLOW },
		{ __NR_read, { 0, p0, 1024 }, ALLOW },
		{ __NR_nanosleep, { p0, 0 }, ALLOW },
		{ __NR_clock_gettime, { CLOCK_PROCESS_CPUTIME_ID, p0 }, ALLOW },
		{ __NR_lseek, { 0, (uint64_t)-12, SEEK_CUR }, ERRNO(ESPIPE) },
		{ __NR_writev, { 2, p0, 2 }, ALLOW },
		{ __NR_exit_group, { 0 }, ALLOW },
	};
	struct policy *p = load_default();
	struct sock_fprog prog = compile(p, NULL);
	for (size_t i = 0; i < ARRAY_SIZE(glibc); i++)
		expect(p, NULL, &prog,
		       call(glibc[i].nr, glibc[i].a[0], glibc[i].a[1],
			    glibc[i].a[2], glibc[i].a[3], glibc[i].a[4],
			    glibc[i].a[5]),
		       glibc[i].want);
	for (size_t i = 0; i < ARRAY_SIZE(musl); i++)
		expect(p, NULL, &prog,
		       call(musl[i].nr, musl[i].a[0], musl[i].a[1],
			    musl[i].a[2], musl[i].a[3], musl[i].a[4],
			    musl[i].a[5]),
		       musl[i].want);
	policy_bpf_free(&prog);
	policy_free(p);
}
END_TEST

START_TEST(test_policy_kills_x32_and_i386_calls)
{
	struct policy *p = load_default();
	struct sock_fprog prog = compile(p, NULL);

	/* read(0) is allowed natively; the same call through the x32 ABI
	 * (number | 0x40000000) must not be, even on the same arch value. */
	EXPECT(p, &prog, ALLOW, __NR_read, 0, 0, 0, 0, 0, 0);
	EXPECT(p, &prog, KILL, __NR_read | 0x40000000, 0, 0, 0, 0, 0, 0);
	EXPECT(p, &prog, KILL, __NR_write | 0x40000000, 1, 0, 0, 0, 0, 0);
	EXPECT(p, &prog, KILL, 0x40000000 + 512, 0, 0, 0, 0, 0, 0);
	EXPECT(p, &prog, KILL, (int)0x80000000u, 0, 0, 0, 0, 0, 0);
	/* An unknown native number is a forbidden call, not another ABI. */
	EXPECT(p, &prog, NOTIFY, 1000, 0, 0, 0, 0, 0, 0);
	EXPECT(p, &prog, NOTIFY, -1, 0, 0, 0, 0, 0, 0);

	/* int 0x80: i386 numbers (3 is read there) on the i386 arch. */
	struct seccomp_data d = call(3, 0, 0, 0, 0, 0, 0);
	d.arch = AUDIT_ARCH_I386;
	ck_assert_uint_eq(policy_eval(&prog, &d), KILL);
	ck_assert_uint_eq(policy_decide(p, NULL, &d), KILL);
	d.nr = __NR_read;
	ck_assert_uint_eq(policy_eval(&prog, &d), KILL);
	d.arch = 0;
	ck_assert_uint_eq(policy_eval(&prog, &d), KILL);
	policy_bpf_free(&prog);
	policy_free(p);
}
END_TEST

START_TEST(test_policy_launch_rules_pin_execveat_and_sendmsg_to_their_fds)
{
	struct policy *p = load_default();
	struct policy_launch l = { .exec_fd = 8, .sync_fd = 9 };
	struct sock_fprog prog = compile(p, &l);
	static const struct {
		int nr;
		uint64_t a[6];
		uint32_t want;
	} cases[] = {
		{ __NR_execveat, { 8, 0x1000, 0x2000, 0x3000, AT_EMPTY_PATH },
		  ALLOW },
		{ __NR_execveat, { 7, 0x1000, 0x2000, 0x3000, AT_EMPTY_PATH },
		  NOTIFY },
		{ __NR_execveat, { 8, 0x1000, 0x2000, 0x3000, 0 }, NOTIFY },
		{ __NR_execveat,
		  { 8, 0x1000, 0x2000, 0x3000,
		    AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW },
		  NOTIFY },
		{ __NR_execveat,
		  { 8 | (1ULL << 32), 0x1000, 0x2000, 0x3000, AT_EMPTY_PATH },
		  NOTIFY },
		{ __NR_execve, { 0x1000 }, NOTIFY },
		{ __NR_sendmsg, { 9, 0x1000, 0 }, ALLOW },
		{ __NR_sendmsg, { 8, 0x1000, 0 }, NOTIFY },
		{ __NR_sendmsg, { 1, 0x1000, 0 }, NOTIFY },
		{ __NR_sendto, { 9 }, NOTIFY },
		{ __NR_read, { 0 }, ALLOW },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		expect(p, &l, &prog,
		       call(cases[i].nr, cases[i].a[0], cases[i].a[1],
			    cases[i].a[2], cases[i].a[3], cases[i].a[4],
			    cases[i].a[5]),
		       cases[i].want);
	policy_bpf_free(&prog);

	/* A negative fd leaves its rule out. */
	struct policy_launch only_exec = { .exec_fd = 8, .sync_fd = -1 };
	prog = compile(p, &only_exec);
	expect(p, &only_exec, &prog,
	       call(__NR_execveat, 8, 0, 0, 0, AT_EMPTY_PATH, 0), ALLOW);
	expect(p, &only_exec, &prog, call(__NR_sendmsg, 9, 0, 0, 0, 0, 0),
	       NOTIFY);
	policy_bpf_free(&prog);
	policy_free(p);
}
END_TEST

/* Sweeps every native call number with argument values around every
 * constant the default policy uses, comparing the compiled filter with the
 * rules read directly. */
START_TEST(test_policy_compiled_default_matches_its_rules_for_every_call)
{
	static const uint64_t vals[] = {
		0, 1, 2, 3, 4, 5, 7, 8, 9, 11, 12, 0x22, 0x1002, 0x40022,
		0x1000, 0x7fffffff, 0x80000000, 0xffffffff, 1ULL << 32,
		(1ULL << 32) | 1, (1ULL << 32) | 2, UINT64_MAX, UINT64_MAX - 1,
		0x8000000000000000ULL,
	};
	struct policy *p = load_default();
	struct policy_launch l = { .exec_fd = 8, .sync_fd = 9 };
	struct sock_fprog prog = compile(p, &l);
	unsigned checked = 0;
	for (int nr = 0; nr < 480; nr++)
		for (size_t i = 0; i < ARRAY_SIZE(vals); i++)
			for (size_t j = 0; j < ARRAY_SIZE(vals); j += 3) {
				struct seccomp_data d =
					call(nr, vals[i], vals[j], vals[i],
					     vals[j], vals[(i + j) %
							   ARRAY_SIZE(vals)],
					     0);
				uint32_t got = policy_eval(&prog, &d);
				uint32_t want = policy_decide(p, &l, &d);
				ck_assert_msg(got == want,
					      "nr %d args %#llx %#llx: filter "
					      "%s, rules %s",
					      nr, d.args[0], d.args[1],
					      action(got), action(want));
				checked++;
			}
	ck_assert_uint_gt(checked, 90000);
	policy_bpf_free(&prog);
	policy_free(p);
}
END_TEST

/* ---- the compiler on conditions libseccomp cannot take as written --------- */

START_TEST(test_policy_else_errno_answers_exactly_the_complement)
{
	struct policy *p = parse_ok(
		"write: arg0 == 1 || arg0 == 2; else errno EBADF\n"
		"madvise: arg2 >= 3 && arg2 <= 10; else errno EINVAL\n"
		"mmap: arg2 & PROT_EXEC == 0 && arg3 & MAP_ANONYMOUS != 0; "
		"else errno EACCES\n");
	struct sock_fprog prog = compile(p, NULL);

	EXPECT(p, &prog, ALLOW, __NR_write, 1, 0, 0, 0, 0, 0);
	EXPECT(p, &prog, ALLOW, __NR_write, 2, 0, 0, 0, 0, 0);
	EXPECT(p, &prog, ERRNO(EBADF), __NR_write, 0, 0, 0, 0, 0, 0);
	EXPECT(p, &prog, ERRNO(EBADF), __NR_write, 3, 0, 0, 0, 0, 0);
	EXPECT(p, &prog, ERRNO(EBADF), __NR_write, 1 | (1ULL << 32), 0, 0, 0, 0,
	       0);
	EXPECT(p, &prog, ERRNO(EBADF), __NR_write, UINT64_MAX, 0, 0, 0, 0, 0);

	/* Two tests of one argument in one group: a bounded interval. */
	for (uint64_t v = 0; v < 14; v++)
		EXPECT(p, &prog, v >= 3 && v <= 10 ? ALLOW : ERRNO(EINVAL),
		       __NR_madvise, 0, 0, v, 0, 0, 0);
	EXPECT(p, &prog, ERRNO(EINVAL), __NR_madvise, 0, 0, (1ULL << 32) | 4, 0,
	       0, 0);

	/* Negated masked tests: PROT_EXEC set, or MAP_ANONYMOUS clear. */
	EXPECT(p, &prog, ALLOW, __NR_mmap, 0, 0, PROT_READ, MAP_ANONYMOUS, 0, 0);
	EXPECT(p, &prog, ERRNO(EACCES), __NR_mmap, 0, 0, PROT_EXEC,
	       MAP_ANONYMOUS, 0, 0);
	EXPECT(p, &prog, ERRNO(EACCES), __NR_mmap, 0, 0, PROT_READ, MAP_PRIVATE,
	       0, 0);
	EXPECT(p, &prog, ERRNO(EACCES), __NR_mmap, 0, 0, PROT_EXEC, 0, 0, 0);
	policy_bpf_free(&prog);
	policy_free(p);
}
END_TEST

START_TEST(test_policy_allow_without_else_leaves_the_rest_to_the_launcher)
{
	struct policy *p = parse_ok("write: arg0 == 1 || arg0 == 2\n");
	struct sock_fprog prog = compile(p, NULL);
	EXPECT(p, &prog, ALLOW, __NR_write, 2, 0, 0, 0, 0, 0);
	EXPECT(p, &prog, NOTIFY, __NR_write, 3, 0, 0, 0, 0, 0);
	policy_bpf_free(&prog);
	policy_free(p);
}
END_TEST

START_TEST(test_policy_compares_all_64_bits_of_every_operator)
{
	/* Each operator near the 32-bit boundary, where a comparison of the
	 * low word only would go wrong (CVE-2019-9893, CVE-2019-10063). */
	struct policy *p = parse_ok(
		"read: arg0 < 0x100000000\n"
		"write: arg0 <= 0x100000000\n"
		"readv: arg0 > 0xffffffff\n"
		"writev: arg0 >= 0x100000001\n"
		"close: arg0 != 0x100000000\n"
		"dup: arg0 & 0xffffffff00000000 == 0x100000000\n"
		"dup2: arg0 & 0x100000001 != 0x1\n");
	struct sock_fprog prog = compile(p, NULL);
	static const uint64_t v[] = { 0, 1, 0xffffffff, 0x100000000,
				      0x100000001, 0x1ffffffff, 0x200000000,
				      UINT64_MAX };
	static const int nrs[] = { __NR_read,  __NR_write, __NR_readv,
				   __NR_writev, __NR_close, __NR_dup,
				   __NR_dup2 };
	for (size_t n = 0; n < ARRAY_SIZE(nrs); n++)
		for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
			struct seccomp_data d = call(nrs[n], v[i], 0, 0, 0, 0, 0);
			expect(p, NULL, &prog, d, policy_decide(p, NULL, &d));
		}
	EXPECT(p, &prog, NOTIFY, __NR_read, 0x100000000, 0, 0, 0, 0, 0);
	EXPECT(p, &prog, ALLOW, __NR_read, 0xffffffff, 0, 0, 0, 0, 0);
	EXPECT(p, &prog, ALLOW, __NR_readv, 0x100000000, 0, 0, 0, 0, 0);
	EXPECT(p, &prog, NOTIFY, __NR_close, 0x100000000, 0, 0, 0, 0, 0);
	EXPECT(p, &prog, ALLOW, __NR_close, 0, 0, 0, 0, 0, 0);
	policy_bpf_free(&prog);
	policy_free(p);
}
END_TEST

/* A small PRNG, so failures reproduce. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static const uint64_t pool[] = {
	0, 1, 2, 3, 4, 5, 7, 8, 0x10, 0x20, 0xff, 0x100, 0x7fffffff,
	0x80000000, 0xffffffff, 0x100000000, 0x100000001, 0x8000000000000000,
	UINT64_MAX - 1, UINT64_MAX,
};
static const uint64_t masks[] = {
	1, 2, 3, 4, 5, 0x20, 0x22, 0xff, 0xff00, ~3ULL, ~0xffULL, ~1ULL,
	0xffffffff, 0xffffffff00000000, 0x8000000000000001, 0x100000001,
	0x5, UINT64_MAX,
};

/* Values near the interesting ones, now and then anything at all. */
static uint64_t pick_value(uint64_t *s)
{
	uint64_t r = rnd(s);
	uint64_t v = pool[r % ARRAY_SIZE(pool)];
	switch ((r >> 8) % 8) {
	case 0:
		return v + 1;
	case 1:
		return v - 1;
	case 2:
		return rnd(s);
	default:
		return v;
	}
}

START_TEST(test_policy_random_policies_compile_to_their_meaning)
{
	static const char *const names[] = { "read", "write", "close", "dup",
					     "mmap" };
	static const int nrs[] = { __NR_read, __NR_write, __NR_close,
				   __NR_dup, __NR_mmap };
	static const char *const ops[] = { "==", "!=", "<", "<=", ">", ">=" };
	uint64_t s = 0x243f6a8885a308d3ULL;
	unsigned compiled = 0, evaluated = 0;

	for (int iter = 0; iter < 1200; iter++) {
		char text[4096] = "";
		size_t n = 0;
		unsigned nrules = 1 + (unsigned)(rnd(&s) % ARRAY_SIZE(names));
		for (unsigned k = 0; k < nrules; k++) {
			n += (size_t)snprintf(text + n, sizeof(text) - n, "%s: ",
					      names[k]);
			unsigned kind = (unsigned)(rnd(&s) % 10);
			if (kind == 0) {
				n += (size_t)snprintf(text + n, sizeof(text) - n,
						      "allow\n");
				continue;
			}
			if (kind == 1) {
				n += (size_t)snprintf(text + n, sizeof(text) - n,
						      "errno EIO\n");
				continue;
			}
			unsigned groups = 1 + (unsigned)(rnd(&s) % 3);
			for (unsigned g = 0; g < groups; g++) {
				unsigned tests = 1 + (unsigned)(rnd(&s) % 3);
				for (unsigned t = 0; t < tests; t++) {
					/* Mostly arg0 and arg1, so tests of
					 * one argument meet. */
					unsigned arg = (unsigned)(rnd(&s) % 8);
					arg = arg < 6 ? arg % 2 : arg - 4;
					const char *sep = t ? " && "
							    : g ? " || " : "";
					if (rnd(&s) % 3 == 0) {
						uint64_t m = masks[rnd(&s) %
								   ARRAY_SIZE(masks)];
						uint64_t v = rnd(&s) & m;
						n += (size_t)snprintf(
							text + n,
							sizeof(text) - n,
							"%sarg%u & %#lx %s %#lx",
							sep, arg, m,
							rnd(&s) % 2 ? "==" : "!=",
							v);
					} else {
						n += (size_t)snprintf(
							text + n,
							sizeof(text) - n,
							"%sarg%u %s %#lx", sep,
							arg,
							ops[rnd(&s) % 6],
							pick_value(&s));
					}
				}
			}
			if (rnd(&s) % 2)
				n += (size_t)snprintf(text + n, sizeof(text) - n,
						      "; else errno EPERM");
			n += (size_t)snprintf(text + n, sizeof(text) - n, "\n");
		}

		struct policy *p = NULL;
		struct error e = { "" };
		if (policy_parse(text, n, "r.policy", &p, &e) < 0) {
			/* Only the refusals the format documents. */
			ck_assert_msg(strstr(e.msg, "never hold") ||
					      strstr(e.msg, "always holds") ||
					      strstr(e.msg, "never applies") ||
					      strstr(e.msg, "too complex") ||
					      strstr(e.msg, "more than 512"),
				      "%s\n%s", e.msg, text);
			continue;
		}
		struct sock_fprog prog = { 0 };
		if (policy_compile(p, NULL, &prog, &e) < 0) {
			ck_assert_msg(strstr(e.msg, "at most 4096"), "%s\n%s",
				      e.msg, text);
			policy_free(p);
			continue;
		}
		compiled++;
		for (int k = 0; k < 400; k++) {
			struct seccomp_data d =
				call(nrs[rnd(&s) % ARRAY_SIZE(nrs)],
				     pick_value(&s), pick_value(&s),
				     pick_value(&s), pick_value(&s),
				     pick_value(&s), pick_value(&s));
			uint32_t got = policy_eval(&prog, &d);
			uint32_t want = policy_decide(p, NULL, &d);
			ck_assert_msg(got == want,
				      "%s(%#llx, %#llx, %#llx): filter %s, "
				      "rules %s; policy:\n%s",
				      policy_syscall_name(d.nr), d.args[0],
				      d.args[1], d.args[2], action(got),
				      action(want), text);
			evaluated++;
		}
		policy_bpf_free(&prog);
		policy_free(p);
	}
	/* Enough random policies were valid for the comparison to count. */
	ck_assert_uint_gt(compiled, 300);
	ck_assert_uint_gt(evaluated, 120000);
}
END_TEST

/* ---- the BPF interpreter ----------------------------------------------------- */

#define INSN(c, t, f, kk) ((struct sock_filter){ (c), (t), (f), (kk) })

static uint32_t run_insns(const struct sock_filter *f, unsigned len,
			  const struct seccomp_data *d)
{
	struct sock_fprog prog = { .len = (unsigned short)len,
				   .filter = (struct sock_filter *)f };
	return policy_eval(&prog, d);
}

START_TEST(test_policy_eval_runs_every_instruction_seccomp_allows)
{
	struct seccomp_data d = call(7, 0x1122334455667788ULL, 6, 0, 0, 0, 0);
	d.instruction_pointer = 0xabcdef;
	const struct sock_filter prog[] = {
		INSN(BPF_LD | BPF_W | BPF_ABS, 0, 0, 16), /* a = arg0 lo */
		INSN(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 0x55667788),
		INSN(BPF_RET | BPF_K, 0, 0, 1),
		INSN(BPF_LD | BPF_W | BPF_ABS, 0, 0, 20), /* arg0 hi */
		INSN(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 0x11223344),
		INSN(BPF_RET | BPF_K, 0, 0, 2),
		INSN(BPF_LD | BPF_W | BPF_ABS, 0, 0, 0), /* nr = 7 */
		INSN(BPF_ST, 0, 0, 3), /* M[3] = 7 */
		INSN(BPF_LDX | BPF_IMM, 0, 0, 3), /* x = 3 */
		INSN(BPF_ALU | BPF_MUL | BPF_X, 0, 0, 0), /* 21 */
		INSN(BPF_ALU | BPF_ADD | BPF_K, 0, 0, 9), /* 30 */
		INSN(BPF_ALU | BPF_SUB | BPF_K, 0, 0, 2), /* 28 */
		INSN(BPF_ALU | BPF_DIV | BPF_K, 0, 0, 4), /* 7 */
		INSN(BPF_ALU | BPF_LSH | BPF_K, 0, 0, 4), /* 0x70 */
		INSN(BPF_ALU | BPF_RSH | BPF_K, 0, 0, 1), /* 0x38 */
		INSN(BPF_ALU | BPF_OR | BPF_K, 0, 0, 0x101), /* 0x139 */
		INSN(BPF_ALU | BPF_AND | BPF_K, 0, 0, 0xff), /* 0x39 */
		INSN(BPF_ALU | BPF_XOR | BPF_K, 0, 0, 0x3), /* 0x3a */
		INSN(BPF_MISC | BPF_TAX, 0, 0, 0), /* x = 0x3a */
		INSN(BPF_LD | BPF_MEM, 0, 0, 3), /* a = 7 */
		INSN(BPF_ALU | BPF_ADD | BPF_X, 0, 0, 0), /* 0x41 */
		INSN(BPF_JMP | BPF_JGT | BPF_K, 1, 0, 0x40),
		INSN(BPF_RET | BPF_K, 0, 0, 3),
		INSN(BPF_JMP | BPF_JGE | BPF_X, 1, 0, 0), /* 0x41 >= 0x3a */
		INSN(BPF_RET | BPF_K, 0, 0, 4),
		INSN(BPF_JMP | BPF_JSET | BPF_K, 0, 1, 0x100),
		INSN(BPF_RET | BPF_K, 0, 0, 5),
		INSN(BPF_STX, 0, 0, 15), /* M[15] = 0x3a */
		INSN(BPF_LDX | BPF_MEM, 0, 0, 15),
		INSN(BPF_MISC | BPF_TXA, 0, 0, 0), /* a = 0x3a */
		INSN(BPF_ALU | BPF_NEG, 0, 0, 0),
		INSN(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, (uint32_t)-0x3a),
		INSN(BPF_RET | BPF_K, 0, 0, 6),
		INSN(BPF_LD | BPF_W | BPF_LEN, 0, 0, 0),
		INSN(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 64),
		INSN(BPF_RET | BPF_K, 0, 0, 7),
		INSN(BPF_LD | BPF_W | BPF_ABS, 0, 0, 8), /* ip lo */
		INSN(BPF_JMP | BPF_JA, 0, 0, 1),
		INSN(BPF_RET | BPF_K, 0, 0, 8),
		INSN(BPF_RET | BPF_A, 0, 0, 0),
	};
	ck_assert_uint_eq(run_insns(prog, ARRAY_SIZE(prog), &d), 0xabcdef);
}
END_TEST

START_TEST(test_policy_eval_division_by_zero_register_kills_like_the_kernel)
{
	struct seccomp_data d = call(0, 0, 0, 0, 0, 0, 0);
	const struct sock_filter prog[] = {
		INSN(BPF_LD | BPF_IMM, 0, 0, 10),
		INSN(BPF_LDX | BPF_IMM, 0, 0, 0),
		INSN(BPF_ALU | BPF_DIV | BPF_X, 0, 0, 0),
		INSN(BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW),
	};
	ck_assert_uint_eq(run_insns(prog, ARRAY_SIZE(prog), &d),
			  SECCOMP_RET_KILL_THREAD);
}
END_TEST

START_TEST(test_policy_eval_refuses_programs_the_kernel_would_refuse)
{
	struct seccomp_data d = call(0, 0, 0, 0, 0, 0, 0);
	const struct sock_filter ret_allow = INSN(BPF_RET | BPF_K, 0, 0, 0x7fff0000);
	static const struct {
		const char *why;
		struct sock_filter insn;
	} bad[] = {
		{ "unaligned load", INSN(BPF_LD | BPF_W | BPF_ABS, 0, 0, 2) },
		{ "load past seccomp_data", INSN(BPF_LD | BPF_W | BPF_ABS, 0, 0, 64) },
		{ "byte load", INSN(BPF_LD | BPF_B | BPF_ABS, 0, 0, 0) },
		{ "indirect load", INSN(BPF_LD | BPF_W | BPF_IND, 0, 0, 0) },
		{ "unwritten scratch", INSN(BPF_LD | BPF_MEM, 0, 0, 0) },
		{ "scratch out of range", INSN(BPF_ST, 0, 0, 16) },
		{ "division by constant 0", INSN(BPF_ALU | BPF_DIV | BPF_K, 0, 0, 0) },
		{ "shift by 32", INSN(BPF_ALU | BPF_LSH | BPF_K, 0, 0, 32) },
		{ "modulo", INSN(BPF_ALU | BPF_MOD | BPF_K, 0, 0, 3) },
		{ "jump past the end", INSN(BPF_JMP | BPF_JA, 0, 0, 1) },
		{ "true branch past the end", INSN(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 0) },
		{ "false branch past the end", INSN(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0) },
		{ "unknown class", INSN(0xff, 0, 0, 0) },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		const struct sock_filter prog[] = { bad[i].insn, ret_allow };
		ck_assert_msg(run_insns(prog, 2, &d) == KILL, "%s ran",
			      bad[i].why);
	}
	/* No return at the end. */
	const struct sock_filter noret[] = { INSN(BPF_LD | BPF_IMM, 0, 0, 1) };
	ck_assert_uint_eq(run_insns(noret, 1, &d), KILL);
	/* Empty, NULL and oversized programs. */
	ck_assert_uint_eq(run_insns(noret, 0, &d), KILL);
	ck_assert_uint_eq(policy_eval(NULL, &d), KILL);
	struct sock_filter *big = calloc(BPF_MAXINSNS + 1, sizeof(*big));
	for (unsigned i = 0; i <= BPF_MAXINSNS; i++)
		big[i] = ret_allow;
	ck_assert_uint_eq(run_insns(big, BPF_MAXINSNS + 1, &d), KILL);
	ck_assert_uint_eq(run_insns(big, BPF_MAXINSNS, &d), ALLOW);
	free(big);
	/* Scratch written on one branch only is unwritten after the join. */
	const struct sock_filter half[] = {
		INSN(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0),
		INSN(BPF_ST, 0, 0, 1),
		INSN(BPF_LD | BPF_MEM, 0, 0, 1),
		ret_allow,
	};
	ck_assert_uint_eq(run_insns(half, ARRAY_SIZE(half), &d), KILL);
}
END_TEST

/* ---- printing ------------------------------------------------------------------ */

static char *capture(void (*fn)(const void *, FILE *), const void *arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(f);
	fn(arg, f);
	fclose(f);
	return buf;
}

static void print_list(const void *p, FILE *f)
{
	policy_print_list(p, f);
}

static void print_bpf(const void *prog, FILE *f)
{
	policy_print_bpf(prog, f);
}

START_TEST(test_policy_print_list_shows_each_call_and_its_action)
{
	struct policy *p = load_default();
	cleanup_free char *out = capture(print_list, p);
	ck_assert_contains(out, "ioctl              errno ENOTTY\n");
	ck_assert_contains(out, "brk                allow\n");
	ck_assert_contains(out, "read               allow if arg0 == 0\n");
	ck_assert_contains(out, "arch_prctl         allow if arg0 == "
				"ARCH_SET_FS; else errno EINVAL\n");
	ck_assert_contains(out, "mmap               allow if arg2 & "
				"~(PROT_READ|PROT_WRITE) == 0 && arg3");
	unsigned lines = 0;
	for (const char *c = out; *c; c++)
		lines += *c == '\n';
	ck_assert_uint_eq(lines, 27);
	policy_free(p);
}
END_TEST

START_TEST(test_policy_print_bpf_shows_one_instruction_a_line)
{
	struct policy *p = load_default();
	struct sock_fprog prog = compile(p, NULL);
	cleanup_free char *out = capture(print_bpf, &prog);
	unsigned lines = 0;
	for (const char *c = out; *c; c++)
		lines += *c == '\n';
	ck_assert_uint_eq(lines, prog.len);
	ck_assert_contains(out, "   0: ld    [4]          ; arch\n");
	ck_assert_contains(out, "ld    [0]          ; nr\n");
	ck_assert_contains(out, "jge   #0x40000000");
	ck_assert_contains(out, "ret   #0x7fc00000  ; notify (killed)\n");
	ck_assert_contains(out, "ret   #0x80000000  ; kill\n");
	ck_assert_contains(out, "ret   #0x7fff0000  ; allow\n");
	ck_assert_contains(out, "ret   #0x00050019  ; errno ENOTTY\n");
	policy_bpf_free(&prog);
	policy_free(p);
}
END_TEST

START_TEST(test_policy_print_pfc_shows_libseccomp_pseudo_code)
{
	struct policy *p = load_default();
	char *buf = NULL;
	size_t len = 0;
	struct error e = { "" };
	FILE *f = open_memstream(&buf, &len);
	ck_assert_int_eq(policy_print_pfc(p, NULL, f, &e), 0);
	fclose(f);
	ck_assert_contains(buf, "# pseudo filter code start");
	ck_assert_contains(buf, "filter for syscall \"mmap\" (9)");
	ck_assert_contains(buf, "action ERRNO(25);");
	ck_assert_contains(buf, "# default action\n  action 0x7fc00000;");
	ck_assert_contains(buf, "# invalid architecture action\naction "
				"KILL_PROCESS;");
	free(buf);
	policy_free(p);
}
END_TEST

/* ---- files --------------------------------------------------------------------- */

START_TEST(test_policy_load_file_names_the_path_in_errors)
{
	char path[] = "/tmp/test_policy.XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	const char *text = "read: allow\nwrite: arg9 == 1\n";
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);

	struct policy *p = NULL;
	struct error e = { "" };
	ck_assert_int_eq(policy_load_file(path, &p, &e), -EINVAL);
	char want[128];
	snprintf(want, sizeof(want), "%s:2: arg9: no such argument", path);
	ck_assert_contains(e.msg, want);
	unlink(path);

	ck_assert_int_eq(policy_load_file(path, &p, &e), -ENOENT);
	ck_assert_contains(e.msg, path);
	ck_assert_contains(e.msg, "No such file or directory");
	ck_assert_int_eq(policy_load_file("/tmp", &p, &e), -EINVAL);
	ck_assert_str_eq(e.msg, "/tmp: not a regular file");
}
END_TEST

START_TEST(test_policy_load_file_reads_the_shipped_default)
{
	/* The file in the tree and the copy built into the binary agree. */
	struct policy *file = NULL, *builtin = load_default();
	struct error e = { "" };
	ck_assert_msg(policy_load_file("policy/default.policy", &file, &e) == 0,
		      "%s", e.msg);
	cleanup_free char *a = capture(print_list, file);
	cleanup_free char *b = capture(print_list, builtin);
	ck_assert_str_eq(a, b);
	policy_free(file);
	policy_free(builtin);
}
END_TEST

/* ---- real programs under the default policy ---------------------------------- */

#define EXEC_FD 100
#define SYNC_FD 101

static const char program_src[] =
	"#include <fcntl.h>\n"
	"#include <stdio.h>\n"
	"#include <stdlib.h>\n"
	"#include <string.h>\n"
	"#include <time.h>\n"
	"int main(int argc, char **argv)\n"
	"{\n"
	"	if (argc > 1 && strcmp(argv[1], \"open\") == 0)\n"
	"		return open(\"/etc/passwd\", O_RDONLY) >= 0 ? 10 : 11;\n"
	"	char *small = malloc(16), *big = malloc(1 << 20);\n"
	"	char *mid = malloc(200000);\n"
	"	if (!small || !big || !mid)\n"
	"		return 20;\n"
	"	memset(big, 1, 1 << 20);\n"
	"	big = realloc(big, 3 << 20);\n"
	"	small = realloc(small, 100000);\n"
	"	free(small), free(big), free(mid);\n"
	"	struct timespec ts = { 0, 1000000 };\n"
	"	clock_gettime(CLOCK_MONOTONIC, &ts);\n"
	"	nanosleep(&(struct timespec){ 0, 1000000 }, NULL);\n"
	"	char line[64];\n"
	"	if (!fgets(line, sizeof(line), stdin))\n"
	"		return 21;\n"
	"	printf(\"read %s\", line);\n"
	"	fprintf(stderr, \"cpu %d\\n\", clock() >= 0);\n"
	"	printf(\"time %d\\n\", time(NULL) > 0);\n"
	"	return 3;\n"
	"}\n";

struct run {
	int status;
	int notified; /* the forbidden call's number, or -1 */
	char out[256], err[256];
};

static bool build_program(const char *dir, const char *cc, const char *flags,
			  const char *out)
{
	char src[256], cmd[1024];
	snprintf(src, sizeof(src), "%s/prog.c", dir);
	FILE *f = fopen(src, "w");
	ck_assert_ptr_nonnull(f);
	fputs(program_src, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "%s %s -o %s/%s %s 2>/dev/null", cc, flags,
		 dir, out, src);
	int st = system(cmd);
	return st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static void read_all(int fd, char *buf, size_t size)
{
	size_t n = 0;
	ssize_t r;
	while (n + 1 < size && (r = read(fd, buf + n, size - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
}

/* Starts path under prog the way the jail does: filter with a listener,
 * listener handed over sync_fd with sendmsg, execveat of exec_fd. Then
 * acts as the launcher: a notification means a forbidden call, which is
 * recorded and answered by killing the program. */
static void run_filtered(const struct sock_fprog *prog, const char *path,
			 const char *arg, struct run *res)
{
	int in[2], out[2], err[2], sv[2];
	ck_assert_int_eq(pipe2(in, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(err, O_CLOEXEC), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
				    sv),
			 0);
	const char input[] = "first line\nsecond line, never read\n";
	ck_assert_int_eq(write(in[1], input, strlen(input)),
			 (ssize_t)strlen(input));
	close(in[1]);
	int exe = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(exe, 0);

	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 ||
		    dup2(err[1], 2) < 0 || dup3(exe, EXEC_FD, O_CLOEXEC) < 0 ||
		    dup3(sv[1], SYNC_FD, O_CLOEXEC) < 0 ||
		    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(120);
		/* From here on only what the launch rules allow. */
		long lfd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
				   SECCOMP_FILTER_FLAG_NEW_LISTENER, prog);
		if (lfd < 0)
			_exit(121);
		union {
			char buf[CMSG_SPACE(sizeof(int))];
			struct cmsghdr align;
		} u;
		char byte = 0;
		struct iovec iov = { &byte, 1 };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = u.buf,
				     .msg_controllen = sizeof(u.buf) };
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		int ifd = (int)lfd;
		memcpy(CMSG_DATA(cm), &ifd, sizeof(int));
		if (syscall(SYS_sendmsg, SYNC_FD, &mh, 0) != 1)
			_exit(122);
		char *argv[] = { "prog", (char *)arg, NULL };
		char *envp[] = { NULL };
		syscall(SYS_execveat, EXEC_FD, "", argv, envp, AT_EMPTY_PATH);
		_exit(123);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	close(sv[1]);
	close(exe);

	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	char byte;
	struct iovec iov = { &byte, 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf) };
	int lfd = -1;
	if (recvmsg(sv[0], &mh, MSG_CMSG_CLOEXEC) == 1 && CMSG_FIRSTHDR(&mh))
		memcpy(&lfd, CMSG_DATA(CMSG_FIRSTHDR(&mh)), sizeof(int));
	close(sv[0]);

	res->notified = -1;
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	ck_assert_int_ge(pidfd, 0);
	while (lfd >= 0) {
		struct pollfd pf[2] = { { lfd, POLLIN, 0 }, { pidfd, POLLIN, 0 } };
		int n = poll(pf, 2, 20000);
		if (n <= 0) {
			kill(pid, SIGKILL);
			ck_abort_msg("program neither exited nor was notified");
		}
		if (pf[0].revents & POLLIN) {
			struct seccomp_notif req;
			memset(&req, 0, sizeof(req));
			if (ioctl(lfd, SECCOMP_IOCTL_NOTIF_RECV, &req) == 0) {
				res->notified = req.data.nr;
				kill(pid, SIGKILL);
				break;
			}
		}
		if (pf[1].revents & POLLIN)
			break;
	}
	ck_assert_int_eq(waitpid(pid, &res->status, 0), pid);
	read_all(out[0], res->out, sizeof(res->out));
	read_all(err[0], res->err, sizeof(res->err));
	close(out[0]);
	close(err[0]);
	close(pidfd);
	if (lfd >= 0)
		close(lfd);
}

START_TEST(test_policy_default_runs_static_glibc_and_musl_programs)
{
	static const struct {
		const char *cc, *flags, *out;
	} builds[] = {
		{ "gcc", "-static -O2", "glibc-static" },
		{ "gcc", "-static-pie -fPIE -O2", "glibc-static-pie" },
		{ "musl-gcc", "-static -O2", "musl-static" },
	};
	char dir[] = "/tmp/test_policy.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	struct policy *p = load_default();
	struct policy_launch l = { .exec_fd = EXEC_FD, .sync_fd = SYNC_FD };
	struct sock_fprog prog = compile(p, &l);
	unsigned ran = 0;

	for (size_t i = 0; i < ARRAY_SIZE(builds); i++) {
		char path[256];
		struct run res;
		if (!build_program(dir, builds[i].cc, builds[i].flags,
				   builds[i].out))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, builds[i].out);

		/* Merely starting, allocating, sleeping, reading part of
		 * stdin, printing and exiting must not be refused. */
		run_filtered(&prog, path, NULL, &res);
		ck_assert_msg(res.notified == -1, "%s: forbidden call %s (%d)",
			      builds[i].out, policy_syscall_name(res.notified),
			      res.notified);
		ck_assert_msg(WIFEXITED(res.status) &&
				      WEXITSTATUS(res.status) == 3,
			      "%s: status %#x, stderr '%s'", builds[i].out,
			      res.status, res.err);
		ck_assert_str_eq(res.out, "read first line\ntime 1\n");
		ck_assert_str_eq(res.err, "cpu 1\n");

		/* Going further, opening a file, is a forbidden call, named. */
		run_filtered(&prog, path, "open", &res);
		const char *name = policy_syscall_name(res.notified);
		ck_assert_msg(name && (strcmp(name, "openat") == 0 ||
				       strcmp(name, "open") == 0),
			      "%s: notified %d", builds[i].out, res.notified);
		ck_assert(WIFSIGNALED(res.status));
		ck_assert_str_eq(res.out, "");
		unlink(path);
		ran++;
	}
	char src[256];
	snprintf(src, sizeof(src), "%s/prog.c", dir);
	unlink(src);
	ck_assert_int_eq(rmdir(dir), 0);
	/* gcc is a build dependency; its builds at least must have run. */
	ck_assert_uint_ge(ran, 2);
	policy_bpf_free(&prog);
	policy_free(p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("policy");
	TCase *t = tcase_create("policy");
	tcase_set_timeout(t, 120);
	tcase_add_test(t, test_policy_rejects_unknown_syscall_with_line_number);
	tcase_add_test(t, test_policy_rejects_argument_beyond_arg5);
	tcase_add_test(t,
		       test_policy_rejects_syscall_listed_twice_naming_both_lines);
	tcase_add_test(t, test_policy_rejects_unknown_constant_and_errno);
	tcase_add_test(t, test_policy_rejects_errno_out_of_range);
	tcase_add_test(t, test_policy_rejects_calls_other_architectures_have);
	tcase_add_test(t,
		       test_policy_reserves_execveat_and_sendmsg_for_the_launcher);
	tcase_add_test(t, test_policy_rejects_malformed_lines_naming_the_line);
	tcase_add_test(t,
		       test_policy_rejects_conditions_that_never_or_always_hold);
	tcase_add_test(
		t, test_policy_rejects_conditions_needing_too_many_seccomp_rules);
	tcase_add_test(
		t, test_policy_rejects_policies_needing_too_many_seccomp_rules);
	tcase_add_test(t,
		       test_policy_compile_refuses_filters_over_4096_instructions);
	tcase_add_test(t, test_policy_else_errno_of_one_equality_compiles_small);
	tcase_add_test(t, test_policy_rejects_overlong_line_and_nul_byte);
	tcase_add_test(t, test_policy_rejects_too_many_tests_in_one_rule);
	tcase_add_test(t, test_policy_rejects_deeply_nested_values);
	tcase_add_test(t, test_policy_rejects_text_larger_than_the_cap);
	tcase_add_test(
		t,
		test_policy_accepts_comments_blank_lines_crlf_and_no_final_newline);
	tcase_add_test(t, test_policy_parse_reads_only_len_bytes);
	tcase_add_test(t, test_policy_empty_text_is_an_empty_policy);
	tcase_add_test(t, test_policy_parse_survives_mutated_and_random_input);
	tcase_add_test(t, test_policy_syscall_names_and_numbers_round_trip);
	tcase_add_test(t,
		       test_policy_parse_value_handles_constants_and_operators);
	tcase_add_test(t, test_policy_format_action_names_each_action);
	tcase_add_test(t, test_policy_default_allows_at_most_20_calls);
	tcase_add_test(t,
		       test_policy_default_rules_allow_and_refuse_what_they_say);
	tcase_add_test(t,
		       test_policy_default_lets_glibc_and_musl_start_and_exit);
	tcase_add_test(t, test_policy_kills_x32_and_i386_calls);
	tcase_add_test(
		t, test_policy_launch_rules_pin_execveat_and_sendmsg_to_their_fds);
	tcase_add_test(
		t,
		test_policy_compiled_default_matches_its_rules_for_every_call);
	tcase_add_test(t,
		       test_policy_else_errno_answers_exactly_the_complement);
	tcase_add_test(
		t,
		test_policy_allow_without_else_leaves_the_rest_to_the_launcher);
	tcase_add_test(t, test_policy_compares_all_64_bits_of_every_operator);
	tcase_add_test(t, test_policy_random_policies_compile_to_their_meaning);
	tcase_add_test(t, test_policy_eval_runs_every_instruction_seccomp_allows);
	tcase_add_test(
		t, test_policy_eval_division_by_zero_register_kills_like_the_kernel);
	tcase_add_test(t,
		       test_policy_eval_refuses_programs_the_kernel_would_refuse);
	tcase_add_test(t, test_policy_print_list_shows_each_call_and_its_action);
	tcase_add_test(t, test_policy_print_bpf_shows_one_instruction_a_line);
	tcase_add_test(t, test_policy_print_pfc_shows_libseccomp_pseudo_code);
	tcase_add_test(t, test_policy_load_file_names_the_path_in_errors);
	tcase_add_test(t, test_policy_load_file_reads_the_shipped_default);
	tcase_add_test(t, test_policy_default_runs_static_glibc_and_musl_programs);
	suite_add_tcase(s, t);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
