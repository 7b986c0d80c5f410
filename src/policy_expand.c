/* policy_expand.c — the expander: a rule's condition to the rules
 * libseccomp can take. libseccomp compares each argument at most once per
 * rule and has no negated masked test, so a condition is rewritten through
 * the set of values each argument may take (intervals and masked "cubes")
 * into rules that test each argument once, with == and masked == only (see
 * vset_emit for why). "allow if C; else errno E" needs the complement of
 * C, which goes through the same sets. policy_parse runs the expander too,
 * so every error is reported with its line before anything is compiled. */
#include "policy_int.h"

/* ---- value sets ----------------------------------------------------------
 * The values one argument may take, as a union of atoms. An atom is an
 * interval [a, b] (what ==, <, >= give) or a cube {x : (x & a) == b} (what
 * a masked test gives). A cube whose mask is all high bits is also an
 * interval, and is kept as one so that neighbouring values merge; on the
 * way out every interval is split into as few cubes as it takes. Sizes are
 * capped and every step spends from a budget, so that no input can make
 * the parser slow. */

#define VSET_MAX 64
#define ALT_MAX POLICY_MAX_EXPANSION
#define EXPAND_BUDGET 200000
#define COMBINATIONS_MAX 1024

struct atom {
	bool cube;
	uint64_t a, b;
};

struct vset {
	unsigned n;
	struct atom at[VSET_MAX];
};

/* One alternative for one argument: a single comparison, or none ("any"). */
struct alt {
	bool any;
	struct scmp_arg_cmp c;
};

struct expander {
	long budget;
	struct vset set[NARGS], t1, t2;
	struct alt alts[NARGS][ALT_MAX];
	unsigned nalts[NARGS];
};

struct expander *policy_expander_new(void)
{
	return xmalloc(sizeof(struct expander));
}

void policy_expander_freep(struct expander **x)
{
	free(*x);
}

static bool low_ones(uint64_t x)
{
	return (x & (x + 1)) == 0;
}

static struct atom interval(uint64_t lo, uint64_t hi)
{
	return (struct atom){ false, lo, hi };
}

static struct atom cube(uint64_t mask, uint64_t value)
{
	value &= mask;
	if (low_ones(~mask))
		return interval(value, value | ~mask);
	return (struct atom){ true, mask, value };
}

/* x is a subset of y. */
static bool atom_within(const struct atom *x, const struct atom *y)
{
	if (!x->cube && !y->cube)
		return y->a <= x->a && x->b <= y->b;
	if (x->cube && !y->cube)
		return y->a <= x->b && (x->b | ~x->a) <= y->b;
	if (x->cube && y->cube)
		return (y->a & ~x->a) == 0 && ((x->b ^ y->b) & y->a) == 0;
	/* An interval of more than one value takes every bit pattern at and
	 * below the highest bit where its ends differ. */
	if (x->a == x->b)
		return (x->a & y->a) == y->b;
	uint64_t d = x->a ^ x->b;
	uint64_t varying = ~0ULL >> __builtin_clzll(d);
	return (y->a & varying) == 0 && (x->a & y->a) == y->b;
}

static int vset_add(struct expander *x, struct vset *s, struct atom a)
{
	if (--x->budget < 0)
		return -E2BIG;
	for (unsigned i = 0; i < s->n; i++)
		if (atom_within(&a, &s->at[i]))
			return 0;
	unsigned j = 0;
	for (unsigned i = 0; i < s->n; i++) {
		struct atom *t = &s->at[i];
		if (atom_within(t, &a))
			continue;
		/* Overlapping or adjacent intervals become one. */
		if (!a.cube && !t->cube &&
		    (t->b == UINT64_MAX || a.a <= t->b + 1) &&
		    (a.b == UINT64_MAX || t->a <= a.b + 1)) {
			a.a = a.a < t->a ? a.a : t->a;
			a.b = a.b > t->b ? a.b : t->b;
			continue;
		}
		s->at[j++] = *t;
	}
	s->n = j;
	if (s->n == VSET_MAX)
		return -E2BIG;
	s->at[s->n++] = a;
	return 0;
}

static void vset_full(struct vset *s)
{
	s->n = 1;
	s->at[0] = interval(0, UINT64_MAX);
}

static bool vset_is_full(const struct vset *s)
{
	return s->n == 1 && !s->at[0].cube && s->at[0].a == 0 &&
	       s->at[0].b == UINT64_MAX;
}

/* Splits [lo, hi] into aligned blocks, runs of values that agree on every
 * bit above some position, so each is a cube; adds each block's
 * intersection with c (or the block itself if c is NULL) to out. */
static int interval_blocks(struct expander *x, uint64_t lo, uint64_t hi,
			   const struct atom *c, struct vset *out)
{
	for (;;) {
		uint64_t span = lo ? (lo & -lo) - 1 : UINT64_MAX;
		while (span > hi - lo)
			span >>= 1;
		int r = 0;
		if (!c) {
			/* Appended as they are: merging would undo the split. */
			if (--x->budget < 0 || out->n == VSET_MAX)
				return -E2BIG;
			out->at[out->n++] = cube(~span, lo);
		} else if (!(~span & c->a & (lo ^ c->b)))
			r = vset_add(x, out, cube(~span | c->a, lo | c->b));
		if (r < 0)
			return r;
		if (lo + span == hi)
			return 0;
		lo += span + 1;
	}
}

static int atom_and(struct expander *x, const struct atom *p,
		    const struct atom *q, struct vset *out)
{
	if (atom_within(p, q))
		return vset_add(x, out, *p);
	if (atom_within(q, p))
		return vset_add(x, out, *q);
	if (!p->cube && !q->cube) {
		uint64_t lo = p->a > q->a ? p->a : q->a;
		uint64_t hi = p->b < q->b ? p->b : q->b;
		return lo <= hi ? vset_add(x, out, interval(lo, hi)) : 0;
	}
	if (p->cube && q->cube) {
		if (p->a & q->a & (p->b ^ q->b))
			return 0;
		return vset_add(x, out, cube(p->a | q->a, p->b | q->b));
	}
	const struct atom *i = p->cube ? q : p, *c = p->cube ? p : q;
	return interval_blocks(x, i->a, i->b, c, out);
}

static int vset_and(struct expander *x, const struct vset *p,
		    const struct vset *q, struct vset *out)
{
	out->n = 0;
	for (unsigned i = 0; i < p->n; i++)
		for (unsigned j = 0; j < q->n; j++) {
			int r = atom_and(x, &p->at[i], &q->at[j], out);
			if (r < 0)
				return r;
		}
	return 0;
}

static int vset_of_cmp(struct expander *x, const struct cmp *c,
		       struct vset *s)
{
	uint64_t v = c->value, m = c->mask;
	int r = 0;

	s->n = 0;
	switch (c->op) {
	case OP_EQ:
		return vset_add(x, s, interval(v, v));
	case OP_NE:
		if (v > 0)
			r = vset_add(x, s, interval(0, v - 1));
		if (r == 0 && v < UINT64_MAX)
			r = vset_add(x, s, interval(v + 1, UINT64_MAX));
		return r;
	case OP_LT:
		return v > 0 ? vset_add(x, s, interval(0, v - 1)) : 0;
	case OP_LE:
		return vset_add(x, s, interval(0, v));
	case OP_GT:
		return v < UINT64_MAX ? vset_add(x, s, interval(v + 1, UINT64_MAX))
				      : 0;
	case OP_GE:
		return vset_add(x, s, interval(v, UINT64_MAX));
	case OP_MASK_EQ:
		return (v & ~m) ? 0 : vset_add(x, s, cube(m, v));
	}
	/* OP_MASK_NE: the complement of a cube. */
	if (v & ~m) {
		vset_full(s);
		return 0;
	}
	struct atom a = cube(m, v);
	if (!a.cube) {
		if (a.a > 0)
			r = vset_add(x, s, interval(0, a.a - 1));
		if (r == 0 && a.b < UINT64_MAX)
			r = vset_add(x, s, interval(a.b + 1, UINT64_MAX));
		return r;
	}
	/* Disjoint pieces: agree with v on the mask bits above bit b, differ
	 * at bit b. */
	uint64_t above = 0;
	for (int b = 63; b >= 0 && r == 0; b--) {
		uint64_t bit = 1ULL << b;
		if (!(m & bit))
			continue;
		r = vset_add(x, s, cube(above | bit, (v & above) | (~v & bit)));
		above |= bit;
	}
	return r;
}

static int alt_add(struct expander *x, unsigned arg, bool any,
		   enum scmp_compare op, uint64_t a, uint64_t b)
{
	if (--x->budget < 0 || x->nalts[arg] == ALT_MAX)
		return -E2BIG;
	struct alt *t = &x->alts[arg][x->nalts[arg]++];
	t->any = any;
	t->c = (struct scmp_arg_cmp){ .arg = arg, .op = op, .datum_a = a,
				      .datum_b = b };
	return 0;
}

/* Turns one argument's set into alternatives, one comparison each: == or
 * masked ==, never libseccomp's <, <=, >, >= or !=. Those compile to a
 * fork of three nodes whose accepting paths share the rest of the rule,
 * and libseccomp 2.5.4 mishandles such forks when several rules of one
 * call meet: rule_add can loop for ever, take minutes, or (with <= and >=
 * together) give a wrong filter. Linear chains of equality tests are the
 * case it gets right; an interval becomes aligned blocks, one masked test
 * each. */
static int vset_emit(struct expander *x, unsigned arg, const struct vset *s)
{
	x->nalts[arg] = 0;
	if (vset_is_full(s))
		return alt_add(x, arg, true, SCMP_CMP_EQ, 0, 0);
	for (unsigned i = 0; i < s->n; i++) {
		const struct atom *t = &s->at[i];
		int r;
		if (t->cube) {
			r = alt_add(x, arg, false, SCMP_CMP_MASKED_EQ, t->a, t->b);
		} else {
			struct vset *blocks = &x->t2;
			blocks->n = 0;
			r = interval_blocks(x, t->a, t->b, NULL, blocks);
			for (unsigned j = 0; r == 0 && j < blocks->n; j++) {
				const struct atom *k = &blocks->at[j];
				r = k->a == k->b
					    ? alt_add(x, arg, false, SCMP_CMP_EQ,
						      k->a, 0)
					    : alt_add(x, arg, false,
						      SCMP_CMP_MASKED_EQ,
						      ~(k->b - k->a), k->a);
			}
		}
		if (r < 0)
			return r;
	}
	return 0;
}

/* The calls rule q matches are all matched by rule p: each of p's tests,
 * a cube (== is a cube with every bit in the mask), contains q's test of
 * the same argument. */
static bool srule_within(const struct srule *q, const struct srule *p)
{
	for (unsigned i = 0; i < p->n; i++) {
		const struct scmp_arg_cmp *a = &p->c[i], *b = NULL;
		for (unsigned j = 0; j < q->n; j++)
			if (q->c[j].arg == a->arg)
				b = &q->c[j];
		if (!b)
			return false;
		uint64_t ma = a->op == SCMP_CMP_EQ ? UINT64_MAX : a->datum_a;
		uint64_t va = a->op == SCMP_CMP_EQ ? a->datum_a : a->datum_b;
		uint64_t mb = b->op == SCMP_CMP_EQ ? UINT64_MAX : b->datum_a;
		uint64_t vb = b->op == SCMP_CMP_EQ ? b->datum_a : b->datum_b;
		if ((ma & ~mb) || ((va ^ vb) & ma))
			return false;
	}
	return true;
}

/* Adds sr to out unless a rule there already covers it, and drops the
 * rules it covers. Besides keeping the filter small, this keeps libseccomp
 * 2.5.4 off a path that leaks: a rule that covers longer rules already in
 * its tree prunes them without freeing every node. */
static int srules_add(struct expander *x, struct srules *out,
		      const struct srule *sr)
{
	for (unsigned i = 0; i < out->n; i++)
		if (srule_within(sr, &out->r[i]))
			return 0;
	unsigned j = 0;
	for (unsigned i = 0; i < out->n; i++)
		if (!srule_within(&out->r[i], sr))
			out->r[j++] = out->r[i];
	out->n = j;
	if (out->n == POLICY_MAX_EXPANSION || --x->budget < 0)
		return -E2BIG;
	out->r[out->n++] = *sr;
	return 0;
}

/* Expands one conjunction of tests into libseccomp rules appended to out.
 * *empty says it can never hold; *full that it always holds. */
static int conj_expand(struct expander *x, const struct cmp *const *cmps,
		       unsigned n, struct srules *out, bool *empty, bool *full)
{
	*empty = *full = false;
	for (unsigned a = 0; a < NARGS; a++)
		vset_full(&x->set[a]);
	for (unsigned i = 0; i < n; i++) {
		struct vset *s = &x->set[cmps[i]->arg];
		int r = vset_of_cmp(x, cmps[i], &x->t1);
		if (r == 0)
			r = vset_and(x, s, &x->t1, &x->t2);
		if (r < 0)
			return r;
		*s = x->t2;
		if (s->n == 0) {
			*empty = true;
			return 0;
		}
	}
	unsigned long product = 1;
	*full = true;
	for (unsigned a = 0; a < NARGS; a++) {
		int r = vset_emit(x, a, &x->set[a]);
		if (r < 0)
			return r;
		product *= x->nalts[a];
		if (product > POLICY_MAX_EXPANSION)
			return -E2BIG;
		if (!vset_is_full(&x->set[a]))
			*full = false;
	}
	/* Every combination of one alternative per argument. */
	unsigned idx[NARGS] = { 0 };
	for (;;) {
		struct srule sr = { 0 };
		for (unsigned a = 0; a < NARGS; a++)
			if (!x->alts[a][idx[a]].any)
				sr.c[sr.n++] = x->alts[a][idx[a]].c;
		int r = srules_add(x, out, &sr);
		if (r < 0)
			return r;
		unsigned a = 0;
		while (a < NARGS && ++idx[a] == x->nalts[a])
			idx[a++] = 0;
		if (a == NARGS)
			return 0;
	}
}

static void format_group(const struct rule *r, unsigned g, char *buf,
			 size_t size)
{
	size_t n = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < r->ncmp && n < size; i++) {
		const struct cmp *c = &r->cmp[i];
		char m[32] = "", v[32];
		if (c->group != g)
			continue;
		if (c->op >= OP_MASK_EQ) {
			char t[24];
			policy_format_value(c->mask, t, sizeof(t));
			snprintf(m, sizeof(m), " & %s", t);
		}
		policy_format_value(c->value, v, sizeof(v));
		int k = snprintf(buf + n, size - n, "%sarg%u%s %s %s",
				 n ? " && " : "", c->arg, m, policy_op_text[c->op],
				 v);
		if (k < 0)
			break;
		n += (size_t)k;
	}
}

static uint8_t negate_op(uint8_t op)
{
	static const uint8_t neg[] = { OP_NE, OP_EQ, OP_GE, OP_GT, OP_LE, OP_LT,
				       OP_MASK_NE, OP_MASK_EQ };
	return neg[op];
}

static int too_complex(struct error *e)
{
	return error_set(e, E2BIG,
			 "condition too complex: it needs more than %d "
			 "seccomp rules",
			 POLICY_MAX_EXPANSION);
}

int policy_rule_expand(struct expander *x, const struct rule *r,
		       struct srules *allow, struct srules *deny,
		       struct error *e)
{
	const struct cmp *conj[POLICY_MAX_TESTS];
	bool empty, full;
	int ret;

	allow->n = deny->n = 0;
	x->budget = EXPAND_BUDGET;
	if (r->kind != RULE_ALLOW_IF) {
		allow->r[allow->n++] = (struct srule){ 0 };
		return 0;
	}
	for (unsigned g = 0; g < r->ngroup; g++) {
		unsigned n = 0;
		for (unsigned i = 0; i < r->ncmp; i++)
			if (r->cmp[i].group == g)
				conj[n++] = &r->cmp[i];
		ret = conj_expand(x, conj, n, allow, &empty, &full);
		if (ret < 0)
			return too_complex(e);
		if (empty || full) {
			char text[256];
			format_group(r, g, text, sizeof(text));
			if (empty)
				return error_set(e, EINVAL,
						 "'%s' can never hold", text);
			return error_set(e, EINVAL,
					 "'%s' always holds: write '%s: allow'",
					 text, r->name);
		}
	}
	if (!r->err)
		return 0;

	/* "argN == V; else errno E", the shape the default policy uses for
	 * arch_prctl: the complement is one != test. Through the sets below
	 * it would be 64 masked cubes (one per bit where a value can first
	 * differ from V), some 290 BPF instructions that the kernel checks
	 * and JIT-compiles at every launch (about 50 us here). A lone != is
	 * not the fork that trips libseccomp 2.5.4 (vset_emit): with one
	 * test per rule and the == rule beside it, both compile to a single
	 * node, V's two branches. fuzz_policy holds the filter to
	 * policy_decide either way. */
	if (r->ngroup == 1 && r->ncmp == 1 && r->cmp[0].op == OP_EQ) {
		deny->r[deny->n++] = (struct srule){
			.n = 1,
			.c = { { .arg = r->cmp[0].arg, .op = SCMP_CMP_NE,
				 .datum_a = r->cmp[0].value } },
		};
		return 0;
	}

	/* not (G1 or G2 ...) = (not G1) and (not G2) ..., where each not Gi
	 * is a choice of one negated test of Gi: expand every choice. */
	struct cmp neg[POLICY_MAX_TESTS];
	unsigned first[POLICY_MAX_TESTS + 1], pick[POLICY_MAX_TESTS] = { 0 };
	unsigned long combinations = 1;
	unsigned n = 0;
	for (unsigned g = 0; g < r->ngroup; g++) {
		first[g] = n;
		for (unsigned i = 0; i < r->ncmp; i++)
			if (r->cmp[i].group == g) {
				neg[n] = r->cmp[i];
				neg[n++].op = negate_op(r->cmp[i].op);
			}
		combinations *= n - first[g];
		if (combinations > COMBINATIONS_MAX)
			return too_complex(e);
	}
	first[r->ngroup] = n;
	for (;;) {
		for (unsigned g = 0; g < r->ngroup; g++)
			conj[g] = &neg[first[g] + pick[g]];
		ret = conj_expand(x, conj, r->ngroup, deny, &empty, &full);
		if (ret < 0)
			return too_complex(e);
		unsigned g = 0;
		while (g < r->ngroup && ++pick[g] == first[g + 1] - first[g])
			pick[g++] = 0;
		if (g == r->ngroup)
			break;
	}
	if (deny->n == 0)
		return error_set(e, EINVAL,
				 "the condition always holds, so its 'else "
				 "errno' never applies");
	/* An unconditional rule would hide the others from libseccomp (it
	 * keeps the unconditional one only). A group that can never hold is
	 * refused above, so no choice of negated tests always holds. */
	for (unsigned i = 0; i < deny->n; i++)
		if (deny->r[i].n == 0)
			return error_set(e, EPROTO, "the 'else' would cover every "
						    "call");
	return 0;
}
