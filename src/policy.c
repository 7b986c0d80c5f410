/* policy.c — see policy.h. The rules, and what they mean: policy_decide
 * reads them directly, without libseccomp, as the reference the compiled
 * filter is held to; the listing and counts of fakeos-policy; system call
 * names and actions in words. The module's other files (policy_int.h):
 *  - policy_parse.c: the tables of named constants and errno names a
 *    policy may use, and the parser: text to rules, one line at a time;
 *  - policy_expand.c: the expander, a rule's condition to the rules
 *    libseccomp can take;
 *  - policy_bpf.c: libseccomp, and a checker and interpreter for the BPF
 *    it produces.
 */
#include "policy_int.h"

#include <fcntl.h>
#include <inttypes.h>
#include <linux/audit.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#if !defined(__x86_64__)
#error "fakeOS filters native x86-64 system calls only"
#endif

#define X32_SYSCALL_BIT 0x40000000u

/* ---- the policy --------------------------------------------------------- */

const char *const policy_op_text[] = { "==", "!=", "<", "<=", ">", ">=",
				       "==", "!=" };

const struct rule *policy_find_rule(const struct policy *p, int nr)
{
	for (unsigned i = 0; i < p->nrules; i++)
		if (p->rules[i].nr == nr)
			return &p->rules[i];
	return NULL;
}

static bool cmp_holds(const struct cmp *c, uint64_t x)
{
	switch (c->op) {
	case OP_EQ:
		return x == c->value;
	case OP_NE:
		return x != c->value;
	case OP_LT:
		return x < c->value;
	case OP_LE:
		return x <= c->value;
	case OP_GT:
		return x > c->value;
	case OP_GE:
		return x >= c->value;
	case OP_MASK_EQ:
		return (x & c->mask) == c->value;
	default:
		return (x & c->mask) != c->value;
	}
}

static bool cond_holds(const struct rule *r, const uint64_t *args)
{
	for (unsigned g = 0; g < r->ngroup; g++) {
		bool all = true;
		for (unsigned i = 0; i < r->ncmp; i++)
			if (r->cmp[i].group == g &&
			    !cmp_holds(&r->cmp[i], args[r->cmp[i].arg]))
				all = false;
		if (all)
			return true;
	}
	return false;
}

void policy_format_value(uint64_t v, char *buf, size_t size)
{
	if (v <= 4096)
		snprintf(buf, size, "%" PRIu64, v);
	else if (v >= (uint64_t)-4096)
		snprintf(buf, size, "-%" PRIu64, -v);
	else
		snprintf(buf, size, "%#" PRIx64, v);
}

int policy_load_file(const char *path, struct policy **out, struct error *e)
{
	/* O_NONBLOCK: a FIFO must not hang the launcher before the check. */
	cleanup_fd int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK |
					       O_NOCTTY);
	cleanup_free char *buf = NULL;
	struct stat st;

	*out = NULL;
	if (fd < 0)
		return error_sys(e, errno, "%s", path);
	if (fstat(fd, &st) < 0)
		return error_sys(e, errno, "%s: fstat", path);
	if (!S_ISREG(st.st_mode))
		return error_set(e, EINVAL, "%s: not a regular file", path);
	if (st.st_size > POLICY_MAX_SIZE)
		return error_set(e, EFBIG, "%s: larger than %u bytes", path,
				 POLICY_MAX_SIZE);
	buf = xmalloc((size_t)st.st_size + 1);
	int r = read_full(fd, buf, (size_t)st.st_size);
	if (r < 0)
		return error_sys(e, r, "%s: read", path);
	return policy_parse(buf, (size_t)st.st_size, path, out, e);
}

void policy_counts(const struct policy *p, unsigned *allowed,
		   unsigned *answered)
{
	*allowed = *answered = 0;
	for (unsigned i = 0; i < p->nrules; i++) {
		if (p->rules[i].kind == RULE_ERRNO)
			(*answered)++;
		else
			(*allowed)++;
	}
}

void policy_print_list(const struct policy *p, FILE *out)
{
	for (unsigned i = 0; i < p->nrules; i++) {
		const struct rule *r = &p->rules[i];
		const char *en = policy_errno_name(r->err);
		char num[16];
		snprintf(num, sizeof(num), "%d", r->err);
		if (!en)
			en = num;
		fprintf(out, "%-18s ", r->name);
		switch (r->kind) {
		case RULE_ALLOW:
			fprintf(out, "allow\n");
			break;
		case RULE_ERRNO:
			fprintf(out, "errno %s\n", en);
			break;
		case RULE_ALLOW_IF:
			fprintf(out, "allow if %s", r->cond);
			if (r->err)
				fprintf(out, "; else errno %s", en);
			fprintf(out, "\n");
			break;
		}
	}
}

/* ---- system call names and values --------------------------------------- */

const char *policy_syscall_name(int nr)
{
	static _Thread_local char buf[64];
	if (nr < 0)
		return NULL;
	char *s = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, nr);
	if (!s)
		return NULL;
	snprintf(buf, sizeof(buf), "%s", s);
	free(s);
	return buf;
}

int policy_syscall_nr(const char *name)
{
	int nr = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, name);
	if (nr == __NR_SCMP_ERROR)
		return -ENOENT;
	/* libseccomp knows every architecture's names and gives those x86-64
	 * lacks ("socketcall") negative pseudo-numbers. */
	if (nr < 0)
		return -ENOSYS;
	return nr;
}

void policy_format_action(uint32_t ret, char *buf, size_t size)
{
	uint32_t data = ret & SECCOMP_RET_DATA;
	const char *en;

	switch (ret & SECCOMP_RET_ACTION_FULL) {
	case SECCOMP_RET_ALLOW:
		snprintf(buf, size, "allow");
		break;
	case SECCOMP_RET_ERRNO:
		en = policy_errno_name((int)data);
		if (en)
			snprintf(buf, size, "errno %s", en);
		else
			snprintf(buf, size, "errno %u", data);
		break;
	case SECCOMP_RET_USER_NOTIF:
		snprintf(buf, size, "notify (killed)");
		break;
	case SECCOMP_RET_KILL_PROCESS:
		snprintf(buf, size, "kill");
		break;
	case SECCOMP_RET_KILL_THREAD:
		snprintf(buf, size, "kill thread");
		break;
	case SECCOMP_RET_TRAP:
		snprintf(buf, size, "trap %u", data);
		break;
	case SECCOMP_RET_TRACE:
		snprintf(buf, size, "trace %u", data);
		break;
	case SECCOMP_RET_LOG:
		snprintf(buf, size, "log");
		break;
	default:
		/* The kernel treats an unknown action as the harshest. */
		snprintf(buf, size, "%#010x (kill)", ret);
		break;
	}
}

/* ---- deciding ----------------------------------------------------------- */

uint32_t policy_decide(const struct policy *p, const struct policy_launch *l,
		       const struct seccomp_data *d)
{
	/* Another ABI's numbers mean other calls: i386 and x32 (numbers from
	 * 0x40000000 up) are killed. -1 is no call at all; libseccomp leaves it
	 * to the default action. */
	if (d->arch != AUDIT_ARCH_X86_64 ||
	    ((uint32_t)d->nr >= X32_SYSCALL_BIT && d->nr != -1))
		return SECCOMP_RET_KILL_PROCESS;
	if (l && l->exec_fd >= 0 && d->nr == __NR_execveat &&
	    d->args[0] == (uint64_t)l->exec_fd && d->args[4] == AT_EMPTY_PATH)
		return SECCOMP_RET_ALLOW;
	if (l && l->sync_fd >= 0 && d->nr == __NR_sendmsg &&
	    d->args[0] == (uint64_t)l->sync_fd)
		return SECCOMP_RET_ALLOW;
	const struct rule *r = policy_find_rule(p, d->nr);
	if (!r)
		return SECCOMP_RET_USER_NOTIF;
	switch (r->kind) {
	case RULE_ALLOW:
		return SECCOMP_RET_ALLOW;
	case RULE_ERRNO:
		return SECCOMP_RET_ERRNO | (uint32_t)r->err;
	case RULE_ALLOW_IF:
		break;
	}
	/* __u64 is unsigned long long, uint64_t unsigned long: copy rather
	 * than alias. */
	uint64_t args[NARGS];
	for (unsigned i = 0; i < NARGS; i++)
		args[i] = d->args[i];
	if (cond_holds(r, args))
		return SECCOMP_RET_ALLOW;
	return r->err ? SECCOMP_RET_ERRNO | (uint32_t)r->err
		      : SECCOMP_RET_USER_NOTIF;
}
