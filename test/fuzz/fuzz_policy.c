/* fuzz_policy.c — policy_parse (src/policy_parse.c) on arbitrary text, and
 * the compiler behind it on whatever parses.
 *
 * policy_parse promises bounded time and memory for any input and that
 * everything policy_compile could reject is rejected already, except a
 * filter too large for the kernel. So a policy that parses must compile
 * (or fail with E2BIG), and the compiled BPF, run through policy_eval,
 * must give the answer policy_decide reads off the rules directly, for
 * the calls the text names and for argument values near the numbers and
 * constants it uses: a difference would be a filter that allows what the
 * policy forbids, or the reverse. */
#include <ctype.h>
#include <fcntl.h>
#include <errno.h>
#include <linux/audit.h>
#include <string.h>
#include <sys/syscall.h>

#include "fuzz.h"
#include "policy.h"

#define MAX_CALLS 16
#define MAX_VALUES 48
#define ARGS_PER_CALL 24

struct pool {
	int nr[MAX_CALLS];
	unsigned ncalls;
	uint64_t v[MAX_VALUES];
	unsigned nvalues;
};

static void add_call(struct pool *p, int nr)
{
	for (unsigned i = 0; i < p->ncalls; i++)
		if (p->nr[i] == nr)
			return;
	if (p->ncalls < MAX_CALLS)
		p->nr[p->ncalls++] = nr;
}

static void add_value(struct pool *p, uint64_t v)
{
	for (unsigned i = 0; i < p->nvalues; i++)
		if (p->v[i] == v)
			return;
	if (p->nvalues < MAX_VALUES)
		p->v[p->nvalues++] = v;
}

static bool word_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* The calls a text names (a word before ':') and the values it uses
 * (numbers, and words that are named constants). */
static void scan(const char *s, size_t len, struct pool *p)
{
	size_t i = 0;
	while (i < len) {
		if (!word_char(s[i])) {
			i++;
			continue;
		}
		size_t start = i;
		while (i < len && word_char(s[i]))
			i++;
		char w[64];
		size_t n = i - start;
		if (n >= sizeof(w))
			continue;
		memcpy(w, s + start, n);
		w[n] = '\0';
		size_t j = i;
		while (j < len && (s[j] == ' ' || s[j] == '\t'))
			j++;
		if (j < len && s[j] == ':') {
			int nr = policy_syscall_nr(w);
			if (nr >= 0)
				add_call(p, nr);
			continue;
		}
		uint64_t v;
		struct error e;
		if (policy_parse_value(w, &v, &e) == 0) {
			add_value(p, v);
			add_value(p, v + 1);
			add_value(p, v - 1);
			add_value(p, ~v);
			add_value(p, v | (1ULL << 32));
		}
	}
}

/* A small PRNG seeded from the input, so a crash reproduces. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void compare(const struct policy *p, const struct policy_launch *l,
		    const struct sock_fprog *prog, const struct seccomp_data *d)
{
	uint32_t got = policy_eval(prog, d);
	uint32_t want = policy_decide(p, l, d);
	if (got != want) {
		char g[64], w[64];
		policy_format_action(got, g, sizeof(g));
		policy_format_action(want, w, sizeof(w));
		FUZZ_ASSERT(got == want,
			    "call %d arch %#x args %#llx %#llx %#llx %#llx "
			    "%#llx %#llx: filter says %s, rules say %s",
			    d->nr, d->arch, d->args[0], d->args[1], d->args[2],
			    d->args[3], d->args[4], d->args[5], g, w);
	}
}

static void check_compiled(const struct policy *p, const char *text, size_t len,
			   const struct sock_fprog *prog,
			   const struct policy_launch *l)
{
	struct pool pool = { .ncalls = 0 };
	static const uint64_t fixed[] = { 0,	      1,	   2,	      3,
					  0xffffffff, 0x100000000, UINT64_MAX };
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		add_value(&pool, fixed[i]);
	scan(text, len, &pool);
	add_call(&pool, __NR_execveat);
	add_call(&pool, __NR_sendmsg);
	add_call(&pool, __NR_read);

	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	for (size_t i = 0; i < len; i++)
		seed = (seed ^ (unsigned char)text[i]) * 0x100000001b3ULL;
	if (seed == 0)
		seed = 1;

	for (unsigned c = 0; c < pool.ncalls; c++)
		for (unsigned k = 0; k < ARGS_PER_CALL; k++) {
			struct seccomp_data d = { .nr = pool.nr[c],
						  .arch = AUDIT_ARCH_X86_64 };
			for (unsigned a = 0; a < 6; a++)
				d.args[a] = pool.v[rnd(&seed) % pool.nvalues];
			if (k == 0 && d.nr == __NR_execveat) {
				d.args[0] = (uint64_t)l->exec_fd;
				d.args[4] = AT_EMPTY_PATH;
			}
			if (k == 0 && d.nr == __NR_sendmsg)
				d.args[0] = (uint64_t)l->sync_fd;
			compare(p, l, prog, &d);
		}
	/* Other ABIs die whatever the number; -1 is no call at all. */
	struct seccomp_data d = { .nr = __NR_read, .arch = AUDIT_ARCH_I386 };
	compare(p, l, prog, &d);
	d.arch = AUDIT_ARCH_X86_64;
	d.nr = (int)(0x40000000u | (pool.ncalls ? (unsigned)pool.nr[0] : 0));
	compare(p, l, prog, &d);
	d.nr = -1;
	compare(p, l, prog, &d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct policy *p = (struct policy *)&p; /* must be reset */
	struct error e = { "" };

	int r = policy_parse(text, size, "fuzz.policy", &p, &e);
	if (r < 0) {
		FUZZ_ASSERT(p == NULL, "failed parse left a policy");
		FUZZ_ASSERT(e.msg[0] != '\0', "failed parse without a message");
		return 0;
	}
	FUZZ_ASSERT(r == 0 && p != NULL, "parse returned %d", r);

	unsigned allowed, answered;
	policy_counts(p, &allowed, &answered);
	FUZZ_ASSERT(allowed + answered <= POLICY_MAX_RULES, "%u + %u rules",
		    allowed, answered);
	char *list = NULL;
	size_t list_len = 0;
	FILE *f = open_memstream(&list, &list_len);
	FUZZ_ASSERT(f != NULL, "open_memstream");
	policy_print_list(p, f);
	FUZZ_ASSERT(fclose(f) == 0, "fclose");
	free(list);

	/* The launcher's own two rules, on descriptors a policy cannot
	 * name differently from any other number. */
	struct policy_launch l = { .exec_fd = 8, .sync_fd = 9 };
	struct sock_fprog prog;
	r = policy_compile(p, &l, &prog, &e);
	if (r < 0) {
		FUZZ_ASSERT(r == -E2BIG,
			    "a parsed policy failed to compile: %s", e.msg);
	} else {
		check_compiled(p, text, size, &prog, &l);
		policy_bpf_free(&prog);
	}
	policy_free(p);
	return 0;
}
