/* policy_bpf.c — the policy compiled with libseccomp (policy_compile,
 * policy_print_pfc), and a checker, interpreter (policy_eval) and printer
 * for the classic BPF it produces. */
#include "policy_int.h"

#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

/* ---- compiling ---------------------------------------------------------- */

static void ctx_releasep(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
}

struct pending {
	uint32_t action;
	const struct srule *r;
};

/* Rules that test lower-numbered arguments first, and among those the
 * longer ones first. */
static int pending_cmp(const void *pa, const void *pb)
{
	const struct srule *a = ((const struct pending *)pa)->r;
	const struct srule *b = ((const struct pending *)pb)->r;
	unsigned fa = a->n ? a->c[0].arg : NARGS, fb = b->n ? b->c[0].arg : NARGS;
	if (fa != fb)
		return fa < fb ? -1 : 1;
	return a->n == b->n ? 0 : a->n > b->n ? -1 : 1;
}

/* Adds one line's rules to the filter. The order changes nothing in the
 * result, but everything in libseccomp 2.5's time: a rule whose first test
 * is on a lower argument than a long list of rules already in the tree
 * costs time polynomial in that list (seconds at 24, minutes at 64), while
 * in the opposite order the same filter takes microseconds. */
static int add_rules(scmp_filter_ctx ctx, const struct policy *p,
		     const struct rule *r, uint32_t action,
		     const struct srules *allow, const struct srules *deny,
		     struct error *e)
{
	cleanup_free struct pending *order =
		xmalloc((allow->n + deny->n) * sizeof(*order));
	unsigned n = 0;
	for (unsigned i = 0; i < allow->n; i++)
		order[n++] = (struct pending){ action, &allow->r[i] };
	for (unsigned i = 0; i < deny->n; i++)
		order[n++] = (struct pending){ SCMP_ACT_ERRNO((uint32_t)r->err),
					       &deny->r[i] };
	qsort(order, n, sizeof(*order), pending_cmp);
	for (unsigned i = 0; i < n; i++) {
		int ret = seccomp_rule_add_exact_array(ctx, order[i].action,
						       r->nr, order[i].r->n,
						       order[i].r->c);
		if (ret < 0)
			return error_sys(e, -ret,
					 "%s:%u: %s: libseccomp refused the rule",
					 p->name, r->line, r->name);
	}
	return 0;
}

/* Builds the libseccomp filter that policy_compile exports. */
static int build(const struct policy *p, const struct policy_launch *l,
		 scmp_filter_ctx *out, struct error *e)
{
	__attribute__((cleanup(ctx_releasep))) scmp_filter_ctx ctx = NULL;
	__attribute__((cleanup(policy_expander_freep))) struct expander *x =
		NULL;
	cleanup_free struct srules *allow = NULL, *deny = NULL;
	int r;

	/* Every call the policy does not allow reaches the launcher as a user
	 * notification: the launcher can name the call before it kills. */
	ctx = seccomp_init(SCMP_ACT_NOTIFY);
	if (!ctx)
		return error_set(e, EOPNOTSUPP,
				 "libseccomp cannot make a filter that "
				 "notifies the launcher (seccomp_init)");
	/* i386 (int 0x80) and x32 calls reuse numbers for other calls; the
	 * filter only knows x86-64 ones, so anything else dies at once. */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
			     SCMP_ACT_KILL_PROCESS);
	if (r == 0)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (r < 0)
		return error_sys(e, -r, "libseccomp: setting filter attributes");

	x = policy_expander_new();
	allow = xmalloc(sizeof(*allow));
	deny = xmalloc(sizeof(*deny));
	for (unsigned i = 0; i < p->nrules; i++) {
		const struct rule *rule = &p->rules[i];
		uint32_t act = rule->kind == RULE_ERRNO
				       ? SCMP_ACT_ERRNO((uint32_t)rule->err)
				       : SCMP_ACT_ALLOW;
		r = policy_rule_expand(x, rule, allow, deny, e);
		if (r < 0) {
			error_prefix(e, "%s:%u: %s: ", p->name, rule->line,
				     rule->name);
			return r;
		}
		r = add_rules(ctx, p, rule, act, allow, deny, e);
		if (r < 0)
			return r;
	}

	/* Each SCMP_An names datum_b (unused by ==) so that the compound
	 * literal initialises every field: clang's -Wextra checks that. */
	if (l && l->exec_fd >= 0) {
		r = seccomp_rule_add_exact(ctx, SCMP_ACT_ALLOW,
					   __NR_execveat, 2,
					   SCMP_A0(SCMP_CMP_EQ,
						   (uint64_t)l->exec_fd, 0),
					   SCMP_A4(SCMP_CMP_EQ, AT_EMPTY_PATH,
						   0));
		if (r < 0)
			return error_sys(e, -r, "libseccomp: the execveat rule");
	}
	if (l && l->sync_fd >= 0) {
		r = seccomp_rule_add_exact(ctx, SCMP_ACT_ALLOW, __NR_sendmsg, 1,
					   SCMP_A0(SCMP_CMP_EQ,
						   (uint64_t)l->sync_fd, 0));
		if (r < 0)
			return error_sys(e, -r, "libseccomp: the sendmsg rule");
	}
	*out = ctx;
	ctx = NULL;
	return 0;
}

#define EXPORT_MAX (16u << 20)

/* libseccomp 2.5 exports only to a descriptor; a memfd keeps it in memory. */
static int export(scmp_filter_ctx ctx, bool pfc, char **buf, size_t *len,
		  struct error *e)
{
	cleanup_fd int fd = memfd_create("fakeos-policy", MFD_CLOEXEC);
	if (fd < 0)
		return error_sys(e, errno, "memfd_create");
	int r = pfc ? seccomp_export_pfc(ctx, fd) : seccomp_export_bpf(ctx, fd);
	if (r < 0)
		return error_sys(e, -r, "libseccomp: exporting the filter");
	off_t size = lseek(fd, 0, SEEK_END);
	if (size < 0)
		return error_sys(e, errno, "lseek on the exported filter");
	if ((uint64_t)size > EXPORT_MAX)
		return error_set(e, EFBIG, "exported filter is too large");
	if (lseek(fd, 0, SEEK_SET) < 0)
		return error_sys(e, errno, "lseek on the exported filter");
	char *b = xmalloc((size_t)size + 1);
	r = read_full(fd, b, (size_t)size);
	if (r < 0) {
		free(b);
		return error_sys(e, r, "reading the exported filter");
	}
	b[size] = '\0';
	*buf = b;
	*len = (size_t)size;
	return 0;
}

static int bpf_check(const struct sock_filter *f, unsigned len);

int policy_compile(const struct policy *p, const struct policy_launch *l,
		   struct sock_fprog *out, struct error *e)
{
	__attribute__((cleanup(ctx_releasep))) scmp_filter_ctx ctx = NULL;
	cleanup_free char *buf = NULL;
	size_t size = 0;

	out->len = 0;
	out->filter = NULL;
	int r = build(p, l, &ctx, e);
	if (r == 0)
		r = export(ctx, false, &buf, &size, e);
	if (r < 0)
		return r;
	size_t n = size / sizeof(struct sock_filter);
	if (size % sizeof(struct sock_filter) || n == 0)
		return error_set(e, EPROTO,
				 "libseccomp exported %zu bytes, not a BPF "
				 "program",
				 size);
	if (n > BPF_MAXINSNS)
		return error_set(e, E2BIG,
				 "%s: the compiled filter has %zu instructions; "
				 "the kernel takes at most %d",
				 p->name, n, BPF_MAXINSNS);
	if (bpf_check((const struct sock_filter *)buf, (unsigned)n) < 0)
		return error_set(e, EPROTO,
				 "libseccomp produced a filter the kernel "
				 "would refuse");
	out->filter = steal_pointer(&buf);
	out->len = (unsigned short)n;
	return 0;
}

void policy_bpf_free(struct sock_fprog *prog)
{
	if (!prog)
		return;
	free(prog->filter);
	prog->filter = NULL;
	prog->len = 0;
}

int policy_print_pfc(const struct policy *p, const struct policy_launch *l,
		     FILE *out, struct error *e)
{
	__attribute__((cleanup(ctx_releasep))) scmp_filter_ctx ctx = NULL;
	cleanup_free char *buf = NULL;
	size_t size = 0;

	int r = build(p, l, &ctx, e);
	if (r == 0)
		r = export(ctx, true, &buf, &size, e);
	if (r < 0)
		return r;
	if (fwrite(buf, 1, size, out) != size)
		return error_sys(e, errno, "writing the pseudo-filter code");
	return 0;
}

/* ---- the BPF checker and interpreter -------------------------------------
 * Classic BPF as seccomp takes it (kernel/seccomp.c, seccomp_check_filter,
 * after bpf_check_classic): loads of struct seccomp_data words, the
 * scratch memory, ALU, forward jumps and returns, nothing else. The check
 * is the kernel's, so a program this interpreter runs is one the kernel
 * would load. */

static bool bpf_code_allowed(uint16_t code)
{
	switch (code) {
	case BPF_LD | BPF_W | BPF_ABS:
	case BPF_LD | BPF_W | BPF_LEN:
	case BPF_LDX | BPF_W | BPF_LEN:
	case BPF_LD | BPF_IMM:
	case BPF_LDX | BPF_IMM:
	case BPF_LD | BPF_MEM:
	case BPF_LDX | BPF_MEM:
	case BPF_ST:
	case BPF_STX:
	case BPF_MISC | BPF_TAX:
	case BPF_MISC | BPF_TXA:
	case BPF_RET | BPF_K:
	case BPF_RET | BPF_A:
	case BPF_ALU | BPF_NEG:
	case BPF_JMP | BPF_JA:
		return true;
	}
	switch (code & ~BPF_X) {
	case BPF_ALU | BPF_ADD:
	case BPF_ALU | BPF_SUB:
	case BPF_ALU | BPF_MUL:
	case BPF_ALU | BPF_DIV:
	case BPF_ALU | BPF_AND:
	case BPF_ALU | BPF_OR:
	case BPF_ALU | BPF_XOR:
	case BPF_ALU | BPF_LSH:
	case BPF_ALU | BPF_RSH:
	case BPF_JMP | BPF_JEQ:
	case BPF_JMP | BPF_JGT:
	case BPF_JMP | BPF_JGE:
	case BPF_JMP | BPF_JSET:
		return true;
	}
	return false;
}

static int bpf_check(const struct sock_filter *f, unsigned len)
{
	/* Scratch words known to be written on every path to each
	 * instruction: a program may not read one it has not written. */
	uint16_t valid_at[BPF_MAXINSNS];

	if (!f || len == 0 || len > BPF_MAXINSNS)
		return -EINVAL;
	for (unsigned i = 0; i < len; i++)
		valid_at[i] = 0xffff;
	uint16_t valid = 0;
	for (unsigned pc = 0; pc < len; pc++) {
		const struct sock_filter *in = &f[pc];
		uint16_t code = in->code;
		unsigned left = len - pc - 1;

		if (!bpf_code_allowed(code))
			return -EINVAL;
		valid &= valid_at[pc];
		switch (code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (in->k >= sizeof(struct seccomp_data) || in->k & 3)
				return -EINVAL;
			break;
		case BPF_LD | BPF_MEM:
		case BPF_LDX | BPF_MEM:
			if (in->k >= BPF_MEMWORDS || !(valid & (1u << in->k)))
				return -EINVAL;
			break;
		case BPF_ST:
		case BPF_STX:
			if (in->k >= BPF_MEMWORDS)
				return -EINVAL;
			valid |= (uint16_t)(1u << in->k);
			break;
		case BPF_ALU | BPF_DIV | BPF_K:
			if (in->k == 0)
				return -EINVAL;
			break;
		case BPF_ALU | BPF_LSH | BPF_K:
		case BPF_ALU | BPF_RSH | BPF_K:
			if (in->k >= 32)
				return -EINVAL;
			break;
		case BPF_JMP | BPF_JA:
			if (in->k >= left)
				return -EINVAL;
			valid_at[pc + 1 + in->k] &= valid;
			valid = 0xffff;
			break;
		case BPF_RET | BPF_K:
		case BPF_RET | BPF_A:
			valid = 0xffff;
			break;
		default:
			if (BPF_CLASS(code) != BPF_JMP)
				break;
			if (in->jt >= left || in->jf >= left)
				return -EINVAL;
			valid_at[pc + 1 + in->jt] &= valid;
			valid_at[pc + 1 + in->jf] &= valid;
			valid = 0xffff;
			break;
		}
	}
	if (BPF_CLASS(f[len - 1].code) != BPF_RET)
		return -EINVAL;
	return 0;
}

uint32_t policy_eval(const struct sock_fprog *prog,
		     const struct seccomp_data *d)
{
	if (!prog || bpf_check(prog->filter, prog->len) < 0)
		return SECCOMP_RET_KILL_PROCESS;

	const struct sock_filter *f = prog->filter;
	uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = { 0 };
	unsigned pc = 0;
	/* Jumps only go forward and the check kept them in bounds, so this
	 * ends within len steps. */
	for (;;) {
		const struct sock_filter *in = &f[pc++];
		uint32_t k = in->k;
		uint32_t src = BPF_SRC(in->code) == BPF_X ? x : k;

		switch (BPF_CLASS(in->code)) {
		case BPF_LD:
			if (BPF_MODE(in->code) == BPF_ABS)
				memcpy(&a, (const char *)d + k, sizeof(a));
			else if (BPF_MODE(in->code) == BPF_LEN)
				a = sizeof(*d);
			else if (BPF_MODE(in->code) == BPF_MEM)
				a = mem[k];
			else
				a = k;
			break;
		case BPF_LDX:
			if (BPF_MODE(in->code) == BPF_LEN)
				x = sizeof(*d);
			else if (BPF_MODE(in->code) == BPF_MEM)
				x = mem[k];
			else
				x = k;
			break;
		case BPF_ST:
			mem[k] = a;
			break;
		case BPF_STX:
			mem[k] = x;
			break;
		case BPF_MISC:
			if (BPF_MISCOP(in->code) == BPF_TAX)
				x = a;
			else
				a = x;
			break;
		case BPF_RET:
			return BPF_RVAL(in->code) == BPF_A ? a : k;
		case BPF_ALU:
			switch (BPF_OP(in->code)) {
			case BPF_ADD: a += src; break;
			case BPF_SUB: a -= src; break;
			case BPF_MUL: a *= src; break;
			case BPF_DIV:
				/* The kernel ends the program with 0 (kill
				 * thread) on a division by zero. */
				if (src == 0)
					return 0;
				a /= src;
				break;
			case BPF_AND: a &= src; break;
			case BPF_OR: a |= src; break;
			case BPF_XOR: a ^= src; break;
			/* The kernel masks a shift count by X to 5 bits. */
			case BPF_LSH: a <<= src & 31; break;
			case BPF_RSH: a >>= src & 31; break;
			case BPF_NEG: a = -a; break;
			}
			break;
		case BPF_JMP: {
			bool taken;
			switch (BPF_OP(in->code)) {
			case BPF_JA:
				pc += k;
				continue;
			case BPF_JEQ: taken = a == src; break;
			case BPF_JGT: taken = a > src; break;
			case BPF_JGE: taken = a >= src; break;
			default: taken = (a & src) != 0; break;
			}
			pc += taken ? in->jt : in->jf;
			break;
		}
		}
	}
}

static const char *data_field(uint32_t k, char *buf, size_t size)
{
	if (k == 0)
		return "nr";
	if (k == 4)
		return "arch";
	if (k == 8 || k == 12)
		return k == 8 ? "ip lo" : "ip hi";
	snprintf(buf, size, "arg%u %s", (k - 16) / 8, k % 8 ? "hi" : "lo");
	return buf;
}

void policy_print_bpf(const struct sock_fprog *prog, FILE *out)
{
	static const char *const alu[] = {
		[BPF_ADD >> 4] = "add", [BPF_SUB >> 4] = "sub",
		[BPF_MUL >> 4] = "mul", [BPF_DIV >> 4] = "div",
		[BPF_OR >> 4] = "or",	[BPF_AND >> 4] = "and",
		[BPF_LSH >> 4] = "lsh", [BPF_RSH >> 4] = "rsh",
		[BPF_NEG >> 4] = "neg", [BPF_MOD >> 4] = "mod",
		[BPF_XOR >> 4] = "xor",
	};
	static const char *const jmp[] = {
		[BPF_JA >> 4] = "ja",	[BPF_JEQ >> 4] = "jeq",
		[BPF_JGT >> 4] = "jgt", [BPF_JGE >> 4] = "jge",
		[BPF_JSET >> 4] = "jset",
	};

	for (unsigned pc = 0; prog && prog->filter && pc < prog->len; pc++) {
		const struct sock_filter *in = &prog->filter[pc];
		uint16_t c = in->code;
		char arg[32], note[48] = "", b[32];
		const char *op = NULL;

		if (BPF_SRC(c) == BPF_X)
			snprintf(arg, sizeof(arg), "x");
		else
			snprintf(arg, sizeof(arg), "#%#x", in->k);
		switch (BPF_CLASS(c)) {
		case BPF_LD:
		case BPF_LDX:
			op = BPF_CLASS(c) == BPF_LD ? "ld" : "ldx";
			if (BPF_MODE(c) == BPF_ABS) {
				snprintf(arg, sizeof(arg), "[%u]", in->k);
				snprintf(note, sizeof(note), "%s",
					 data_field(in->k, b, sizeof(b)));
			} else if (BPF_MODE(c) == BPF_MEM) {
				snprintf(arg, sizeof(arg), "M[%u]", in->k);
			} else if (BPF_MODE(c) == BPF_LEN) {
				snprintf(arg, sizeof(arg), "#len");
			} else {
				snprintf(arg, sizeof(arg), "#%#x", in->k);
			}
			break;
		case BPF_ST:
		case BPF_STX:
			op = BPF_CLASS(c) == BPF_ST ? "st" : "stx";
			snprintf(arg, sizeof(arg), "M[%u]", in->k);
			break;
		case BPF_ALU:
			if ((size_t)(BPF_OP(c) >> 4) < ARRAY_SIZE(alu))
				op = alu[BPF_OP(c) >> 4];
			if (BPF_OP(c) == BPF_NEG)
				arg[0] = '\0';
			break;
		case BPF_JMP:
			if ((size_t)(BPF_OP(c) >> 4) < ARRAY_SIZE(jmp))
				op = jmp[BPF_OP(c) >> 4];
			if (BPF_OP(c) == BPF_JA)
				snprintf(arg, sizeof(arg), "%u",
					 pc + 1 + in->k);
			else
				snprintf(note, sizeof(note), "jt %u jf %u",
					 pc + 1 + in->jt, pc + 1 + in->jf);
			break;
		case BPF_RET:
			op = "ret";
			if (BPF_RVAL(c) == BPF_A) {
				snprintf(arg, sizeof(arg), "a");
			} else {
				snprintf(arg, sizeof(arg), "#%#010x", in->k);
				policy_format_action(in->k, note, sizeof(note));
			}
			break;
		case BPF_MISC:
			op = BPF_MISCOP(c) == BPF_TAX ? "tax" : "txa";
			arg[0] = '\0';
			break;
		}
		if (!op) {
			snprintf(b, sizeof(b), "0x%04x?", c);
			op = b;
		}
		fprintf(out, "%4u: %-5s %-12s%s%s\n", pc, op, arg,
			note[0] ? " ; " : "", note);
	}
}
