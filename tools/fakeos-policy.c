/* fakeos-policy — checks a fakeOS seccomp policy, lists its rules, and shows
 * and runs what it compiles to (fakeos-policy(1)). All the work is in
 * src/policy*.c (policy.h); this only reads the command line. */
#include <getopt.h>
#include <stdarg.h>
#include <linux/audit.h>
#include <stdio.h>
#include <string.h>

#include "jail.h"
#include "log.h"
#include "policy.h"

/* Exit codes, as --help and the man page give them. */
enum {
	EXIT_OK = 0,
	EXIT_INVALID = 1, /* the policy is invalid or cannot be read */
	EXIT_USAGE = 2,
};

enum mode { MODE_CHECK, MODE_LIST, MODE_PFC, MODE_BPF, MODE_EVAL, MODE_EMIT };

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: fakeos-policy [--check] [FILE]\n"
		"       fakeos-policy --list [FILE]\n"
		"       fakeos-policy --pfc [FILE]\n"
		"       fakeos-policy --bpf [FILE]\n"
		"       fakeos-policy --eval FILE NR [ARG0 ... ARG5]\n"
		"       fakeos-policy --emit [FILE] > FILTER\n"
		"Checks a fakeOS seccomp policy (fakeos-policy(5)) and shows "
		"what it compiles to.\n"
		"FILE '-', or no FILE, means the default policy built into "
		"fakeOS.\n"
		"\n"
		"  --check        parse and compile FILE; errors name FILE:LINE "
		"(the default)\n"
		"  --list         list the system calls and their actions, and "
		"count them\n"
		"  --pfc          print libseccomp's pseudo-filter code\n"
		"  --bpf          print the compiled BPF program, one "
		"instruction a line\n"
		"  --eval         run the compiled filter on system call NR (a "
		"name or number)\n"
		"                 with arguments ARG0..ARG5 (numbers or "
		"constants, 0 if left\n"
		"                 out) and print the action: allow, errno NAME,\n"
		"                 notify (killed) or kill\n"
		"  --emit         write the filter the launcher loads (with its "
		"own two rules)\n"
		"                 as raw BPF to stdout; the build embeds the "
		"default policy's\n"
		"  -h, --help     show this help\n"
		"  -V, --version  show the version\n"
		"\n"
		"The filter shown lacks the launcher's own two rules (execveat "
		"and sendmsg\n"
		"on its descriptors).\n"
		"\n"
		"Exit status: 0 ok; 1 the policy is invalid or cannot be read; "
		"2 usage error.\n");
}

static NORETURN void usage_error(const char *fmt, ...) PRINTF(1, 2);
static NORETURN void usage_error(const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_error("%s (see --help)", msg);
	exit(EXIT_USAGE);
}

static int load(const char *file, struct policy **p, struct error *e)
{
	if (!file || strcmp(file, "-") == 0)
		return policy_load_default(p, e);
	return policy_load_file(file, p, e);
}

/* NR is a name ("openat") or a number ("257", "0x40000001"). */
static int parse_nr(const char *s, int *nr, struct error *e)
{
	uint64_t v;
	if (s[0] >= '0' && s[0] <= '9') {
		int r = policy_parse_value(s, &v, e);
		if (r < 0)
			return r;
		if (v > UINT32_MAX)
			return error_set(e, ERANGE, "'%s': not a system call "
						    "number", s);
		*nr = (int)(uint32_t)v;
		return 0;
	}
	*nr = policy_syscall_nr(s);
	if (*nr < 0)
		return error_set(e, ENOENT, "'%s': not an x86-64 system call",
				 s);
	return 0;
}

static int eval(const struct sock_fprog *prog, char **args, int nargs,
		struct error *e)
{
	struct seccomp_data d = { .arch = AUDIT_ARCH_X86_64 };
	char action[64];

	if (nargs > 7)
		return error_set(e, E2BIG, "a system call has at most 6 "
					   "arguments");
	int r = parse_nr(args[0], &d.nr, e);
	for (int i = 1; r == 0 && i < nargs; i++) {
		uint64_t v;
		r = policy_parse_value(args[i], &v, e);
		d.args[i - 1] = v;
	}
	if (r < 0)
		return r;
	policy_format_action(policy_eval(prog, &d), action, sizeof(action));
	printf("%s\n", action);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "check", no_argument, NULL, 'c' },
		{ "list", no_argument, NULL, 'l' },
		{ "pfc", no_argument, NULL, 'p' },
		{ "bpf", no_argument, NULL, 'b' },
		{ "eval", no_argument, NULL, 'e' },
		{ "emit", no_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	enum mode mode = MODE_CHECK;
	bool mode_set = false;
	int c;

	log_init(argv[0]);
	opterr = 0; /* our messages, with our prefix */
	/* '+': stop at the first operand, so a negative ARG is not an option. */
	while ((c = getopt_long(argc, argv, "+hV", options, NULL)) != -1) {
		enum mode m;
		switch (c) {
		case 'c': m = MODE_CHECK; break;
		case 'l': m = MODE_LIST; break;
		case 'p': m = MODE_PFC; break;
		case 'b': m = MODE_BPF; break;
		case 'e': m = MODE_EVAL; break;
		case 'E': m = MODE_EMIT; break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("fakeos-policy %s\n", FAKEOS_VERSION);
			return EXIT_OK;
		default:
			usage_error("unknown option '%s'", argv[optind - 1]);
		}
		if (mode_set && m != mode)
			usage_error("give one of --check, --list, --pfc, --bpf, "
				    "--eval and --emit");
		mode = m;
		mode_set = true;
	}
	char **rest = argv + optind;
	int nrest = argc - optind;
	if (mode == MODE_EVAL && nrest < 2)
		usage_error("--eval needs FILE ('-' for the default policy) "
			    "and NR");
	if (mode != MODE_EVAL && nrest > 1)
		usage_error("give at most one FILE");

	const char *file = nrest > 0 ? rest[0] : NULL;
	const char *shown =
		file && strcmp(file, "-") != 0 ? file : "default.policy";
	struct error e = { "" };
	struct policy *p = NULL;
	struct sock_fprog prog = { 0 };
	unsigned allowed, answered;
	int status = EXIT_OK;

	/* --emit compiles exactly what fakeos-run loads: the policy plus
	 * the launcher's sendmsg rule, pinned to the jail's sync descriptor
	 * (no execveat rule: the launcher lets its exec through itself). */
	const struct policy_launch launch = { .exec_fd = -1,
					      .sync_fd = JAIL_SYNC_FD };
	int r = load(file, &p, &e);
	if (r == 0 && mode != MODE_LIST && mode != MODE_PFC)
		r = policy_compile(p, mode == MODE_EMIT ? &launch : NULL, &prog,
				   &e);
	if (r < 0) {
		log_error("%s", e.msg);
		status = EXIT_INVALID;
	} else {
		switch (mode) {
		case MODE_CHECK:
			policy_counts(p, &allowed, &answered);
			printf("%s: ok: %u allowed, %u answered with an errno, "
			       "%u BPF instructions\n",
			       shown, allowed, answered, prog.len);
			break;
		case MODE_LIST:
			policy_print_list(p, stdout);
			policy_counts(p, &allowed, &answered);
			printf("%u allowed, %u answered with an errno\n", allowed,
			       answered);
			break;
		case MODE_PFC:
			if (policy_print_pfc(p, NULL, stdout, &e) < 0) {
				log_error("%s", e.msg);
				status = EXIT_INVALID;
			}
			break;
		case MODE_BPF:
			policy_print_bpf(&prog, stdout);
			break;
		case MODE_EMIT:
			if (isatty(STDOUT_FILENO)) {
				log_error("--emit writes binary; redirect it");
				status = EXIT_USAGE;
			} else if (fwrite(prog.filter, sizeof(prog.filter[0]),
					  prog.len, stdout) != prog.len) {
				log_error("stdout: %s", strerror(errno));
				status = EXIT_INVALID;
			}
			break;
		case MODE_EVAL:
			if (eval(&prog, rest + 1, nrest - 1, &e) < 0) {
				log_error("%s", e.msg);
				status = EXIT_USAGE;
			}
			break;
		}
	}
	policy_bpf_free(&prog);
	policy_free(p);
	if (fflush(stdout) != 0 && status == EXIT_OK) {
		log_error("stdout: %s", strerror(errno));
		status = EXIT_INVALID;
	}
	return status;
}
