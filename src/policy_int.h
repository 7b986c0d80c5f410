/* policy_int.h — what the policy module's files share, and nothing outside
 * them sees: the rules as the parser leaves them, and the rules the
 * expander gives libseccomp. policy.h is the module's interface.
 *
 *   policy.c         the rules and what they mean: policy_decide, the
 *                    listing, system call names and actions
 *   policy_parse.c   the tables of constants and errno names, the parser
 *   policy_expand.c  value sets: a rule's condition to libseccomp's rules
 *   policy_bpf.c     compiling with libseccomp; the BPF checker,
 *                    interpreter and printer */
#ifndef FAKEOS_POLICY_INT_H
#define FAKEOS_POLICY_INT_H

#include <seccomp.h>

#include "policy.h"

#define NARGS 6
#define NAME_MAX_LEN 63

enum cmp_op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_MASK_EQ,
	      OP_MASK_NE };

/* The text of each cmp_op. */
extern const char *const policy_op_text[];

/* One test: (arg & mask) OP value; mask is all ones except for masked
 * tests. Tests of one '&&' group share a group number. */
struct cmp {
	uint8_t arg;
	uint8_t op;
	uint8_t group;
	uint64_t mask;
	uint64_t value;
};

enum rule_kind {
	RULE_ALLOW, /* "allow" */
	RULE_ERRNO, /* "errno NAME" */
	RULE_ALLOW_IF, /* "EXPR" or "EXPR; else errno NAME" */
};

struct rule {
	int nr;
	unsigned line;
	enum rule_kind kind;
	int err; /* RULE_ERRNO; RULE_ALLOW_IF's else, 0 for none */
	unsigned ncmp;
	unsigned ngroup;
	struct cmp cmp[POLICY_MAX_TESTS];
	char name[NAME_MAX_LEN + 1];
	char *cond; /* RULE_ALLOW_IF: the condition as written */
};

struct policy {
	char *name;
	unsigned nrules;
	unsigned cap;
	struct rule *rules;
};

const struct rule *policy_find_rule(const struct policy *p, int nr);

/* Small values in decimal, the rest in hex, values near 2^64 as negative
 * numbers (sign-extended ints such as AT_FDCWD). */
void policy_format_value(uint64_t v, char *buf, size_t size);

/* The name to print for an errno ("ENOTTY"), or NULL. */
const char *policy_errno_name(int err);

/* One rule libseccomp can take: at most one comparison per argument. */
struct srule {
	unsigned n;
	struct scmp_arg_cmp c[NARGS];
};

struct srules {
	unsigned n;
	struct srule r[POLICY_MAX_EXPANSION];
};

/* The expander's working memory: allocate one for a run of rules. */
struct expander;
struct expander *policy_expander_new(void);
void policy_expander_freep(struct expander **x);

/* The rules libseccomp gets for r: allow holds those whose action is the
 * rule's own (allow, or its errno), deny those of its 'else errno'. The
 * two sets of calls are disjoint by construction, so the order in which
 * libseccomp tests them cannot matter. */
int policy_rule_expand(struct expander *x, const struct rule *r,
		       struct srules *allow, struct srules *deny,
		       struct error *e);

#endif
