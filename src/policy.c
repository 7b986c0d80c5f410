/* policy.c — see policy.h.
 *
 * In this order:
 *  - the tables: named constants and errno names a policy may use;
 *  - the rules, and what they mean (policy_decide reads them directly);
 *  - the expander: a rule's condition to the rules libseccomp can take.
 *    libseccomp compares each argument at most once per rule and has no
 *    negated masked test, so a condition is rewritten through the set of
 *    values each argument may take (intervals and masked "cubes") into
 *    rules that test each argument once, with == and masked == only (see
 *    vset_emit for why). "allow if C; else errno E" needs the complement
 *    of C, which goes through the same sets. policy_parse runs the
 *    expander too, so every error is reported with its line before
 *    anything is compiled;
 *  - the parser: text to rules, one line at a time;
 *  - libseccomp, and a checker and interpreter for the BPF it produces.
 */
#include "policy.h"

#include <asm/prctl.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/audit.h>
#include <linux/futex.h>
#include <seccomp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>

#if !defined(__x86_64__)
#error "fakeOS filters native x86-64 system calls only"
#endif

/* musl's <sys/mman.h> (the launcher is built with musl) lacks these two
 * (Linux 5.14); the values are the kernel's UAPI ones. */
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define NARGS 6
#define X32_SYSCALL_BIT 0x40000000u
/* The biggest errno a policy may name. The kernel would take 4095 (its
 * MAX_ERRNO), but libseccomp 2.5 refuses an errno action of 4095 when the
 * rule is added, and policy_parse must refuse whatever cannot compile
 * (found by test/fuzz/fuzz_policy.c: "read: errno 4095"). */
#define MAX_ERRNO 4094
#define NAME_MAX_LEN 63

/* ---- tables ------------------------------------------------------------ */

struct named {
	const char *name;
	uint64_t value;
};

/* Negative constants (AT_FDCWD) are sign-extended, as the C library passes
 * an int argument in a 64-bit register. */
#define C(n) { #n, (uint64_t)(int64_t)(n) }

static const struct named constants[] = {
	C(PROT_NONE), C(PROT_READ), C(PROT_WRITE), C(PROT_EXEC),
	C(PROT_GROWSDOWN), C(PROT_GROWSUP),
	C(MAP_SHARED), C(MAP_PRIVATE), C(MAP_SHARED_VALIDATE), C(MAP_FIXED),
	C(MAP_ANONYMOUS), C(MAP_GROWSDOWN), C(MAP_DENYWRITE),
	C(MAP_EXECUTABLE), C(MAP_LOCKED), C(MAP_NORESERVE), C(MAP_POPULATE),
	C(MAP_NONBLOCK), C(MAP_STACK), C(MAP_HUGETLB), C(MAP_SYNC),
	C(MAP_FIXED_NOREPLACE),
	C(MREMAP_MAYMOVE), C(MREMAP_FIXED), C(MREMAP_DONTUNMAP),
	C(MADV_NORMAL), C(MADV_RANDOM), C(MADV_SEQUENTIAL), C(MADV_WILLNEED),
	C(MADV_DONTNEED), C(MADV_FREE), C(MADV_REMOVE), C(MADV_DONTFORK),
	C(MADV_DOFORK), C(MADV_MERGEABLE), C(MADV_UNMERGEABLE),
	C(MADV_HUGEPAGE), C(MADV_NOHUGEPAGE), C(MADV_DONTDUMP), C(MADV_DODUMP),
	C(MADV_WIPEONFORK), C(MADV_KEEPONFORK), C(MADV_COLD), C(MADV_PAGEOUT),
	C(MADV_POPULATE_READ), C(MADV_POPULATE_WRITE), C(MADV_HWPOISON),
	C(AT_FDCWD), C(AT_EMPTY_PATH), C(AT_SYMLINK_NOFOLLOW),
	C(ARCH_SET_GS), C(ARCH_SET_FS), C(ARCH_GET_FS), C(ARCH_GET_GS),
	C(ARCH_GET_CPUID), C(ARCH_SET_CPUID),
	C(CLOCK_REALTIME), C(CLOCK_MONOTONIC), C(CLOCK_PROCESS_CPUTIME_ID),
	C(CLOCK_THREAD_CPUTIME_ID), C(CLOCK_MONOTONIC_RAW),
	C(CLOCK_REALTIME_COARSE), C(CLOCK_MONOTONIC_COARSE), C(CLOCK_BOOTTIME),
	C(CLOCK_REALTIME_ALARM), C(CLOCK_BOOTTIME_ALARM), C(CLOCK_TAI),
	C(TIMER_ABSTIME), C(TFD_CLOEXEC), C(TFD_NONBLOCK), C(TFD_TIMER_ABSTIME),
	C(GRND_NONBLOCK), C(GRND_RANDOM), C(GRND_INSECURE),
	C(O_CLOEXEC), C(O_NONBLOCK),
	C(RLIMIT_CPU), C(RLIMIT_FSIZE), C(RLIMIT_DATA), C(RLIMIT_STACK),
	C(RLIMIT_CORE), C(RLIMIT_RSS), C(RLIMIT_NPROC), C(RLIMIT_NOFILE),
	C(RLIMIT_MEMLOCK), C(RLIMIT_AS), C(RLIMIT_LOCKS), C(RLIMIT_SIGPENDING),
	C(RLIMIT_MSGQUEUE), C(RLIMIT_NICE), C(RLIMIT_RTPRIO), C(RLIMIT_RTTIME),
	C(SEEK_SET), C(SEEK_CUR), C(SEEK_END),
	C(STDIN_FILENO), C(STDOUT_FILENO), C(STDERR_FILENO),
	C(TCGETS), C(TCSETS), C(TIOCGWINSZ), C(TIOCSWINSZ), C(TIOCSTI),
	C(FIONREAD), C(FIONBIO),
	C(FUTEX_WAIT), C(FUTEX_WAKE), C(FUTEX_PRIVATE_FLAG),
};

/* Errno names, first the name to print for each number, then aliases. */
static const struct named errnos[] = {
	C(EPERM), C(ENOENT), C(ESRCH), C(EINTR), C(EIO), C(ENXIO), C(E2BIG),
	C(ENOEXEC), C(EBADF), C(ECHILD), C(EAGAIN), C(ENOMEM), C(EACCES),
	C(EFAULT), C(ENOTBLK), C(EBUSY), C(EEXIST), C(EXDEV), C(ENODEV),
	C(ENOTDIR), C(EISDIR), C(EINVAL), C(ENFILE), C(EMFILE), C(ENOTTY),
	C(ETXTBSY), C(EFBIG), C(ENOSPC), C(ESPIPE), C(EROFS), C(EMLINK),
	C(EPIPE), C(EDOM), C(ERANGE), C(EDEADLK), C(ENAMETOOLONG), C(ENOLCK),
	C(ENOSYS), C(ENOTEMPTY), C(ELOOP), C(ENOMSG), C(EIDRM), C(ECHRNG),
	C(EL2NSYNC), C(EL3HLT), C(EL3RST), C(ELNRNG), C(EUNATCH), C(ENOCSI),
	C(EL2HLT), C(EBADE), C(EBADR), C(EXFULL), C(ENOANO), C(EBADRQC),
	C(EBADSLT), C(EBFONT), C(ENOSTR), C(ENODATA), C(ETIME), C(ENOSR),
	C(ENONET), C(ENOPKG), C(EREMOTE), C(ENOLINK), C(EADV), C(ESRMNT),
	C(ECOMM), C(EPROTO), C(EMULTIHOP), C(EDOTDOT), C(EBADMSG),
	C(EOVERFLOW), C(ENOTUNIQ), C(EBADFD), C(EREMCHG), C(ELIBACC),
	C(ELIBBAD), C(ELIBSCN), C(ELIBMAX), C(ELIBEXEC), C(EILSEQ),
	C(ERESTART), C(ESTRPIPE), C(EUSERS), C(ENOTSOCK), C(EDESTADDRREQ),
	C(EMSGSIZE), C(EPROTOTYPE), C(ENOPROTOOPT), C(EPROTONOSUPPORT),
	C(ESOCKTNOSUPPORT), C(EOPNOTSUPP), C(EPFNOSUPPORT), C(EAFNOSUPPORT),
	C(EADDRINUSE), C(EADDRNOTAVAIL), C(ENETDOWN), C(ENETUNREACH),
	C(ENETRESET), C(ECONNABORTED), C(ECONNRESET), C(ENOBUFS), C(EISCONN),
	C(ENOTCONN), C(ESHUTDOWN), C(ETOOMANYREFS), C(ETIMEDOUT),
	C(ECONNREFUSED), C(EHOSTDOWN), C(EHOSTUNREACH), C(EALREADY),
	C(EINPROGRESS), C(ESTALE), C(EUCLEAN), C(ENOTNAM), C(ENAVAIL),
	C(EISNAM), C(EREMOTEIO), C(EDQUOT), C(ENOMEDIUM), C(EMEDIUMTYPE),
	C(ECANCELED), C(ENOKEY), C(EKEYEXPIRED), C(EKEYREVOKED),
	C(EKEYREJECTED), C(EOWNERDEAD), C(ENOTRECOVERABLE), C(ERFKILL),
	C(EHWPOISON),
	C(EWOULDBLOCK), C(EDEADLOCK), C(ENOTSUP),
};

#undef C

static const struct named *lookup(const struct named *t, size_t n,
				  const char *s, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(t[i].name) == len && memcmp(t[i].name, s, len) == 0)
			return &t[i];
	return NULL;
}

static const char *errno_name(int err)
{
	for (size_t i = 0; i < ARRAY_SIZE(errnos); i++)
		if (errnos[i].value == (uint64_t)err)
			return errnos[i].name;
	return NULL;
}

/* ---- the policy --------------------------------------------------------- */

enum cmp_op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_MASK_EQ,
	      OP_MASK_NE };

static const char *const op_text[] = { "==", "!=", "<", "<=", ">", ">=",
				       "==", "!=" };

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

static const struct rule *find_rule(const struct policy *p, int nr)
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

/* Small values in decimal, the rest in hex, values near 2^64 as negative
 * numbers (sign-extended ints such as AT_FDCWD). */
static void format_value(uint64_t v, char *buf, size_t size)
{
	if (v <= 4096)
		snprintf(buf, size, "%" PRIu64, v);
	else if (v >= (uint64_t)-4096)
		snprintf(buf, size, "-%" PRIu64, -v);
	else
		snprintf(buf, size, "%#" PRIx64, v);
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
			format_value(c->mask, t, sizeof(t));
			snprintf(m, sizeof(m), " & %s", t);
		}
		format_value(c->value, v, sizeof(v));
		int k = snprintf(buf + n, size - n, "%sarg%u%s %s %s",
				 n ? " && " : "", c->arg, m, op_text[c->op], v);
		if (k < 0)
			break;
		n += (size_t)k;
	}
}

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

/* One rule libseccomp can take: at most one comparison per argument. */
struct srule {
	unsigned n;
	struct scmp_arg_cmp c[NARGS];
};

struct srules {
	unsigned n;
	struct srule r[POLICY_MAX_EXPANSION];
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

/* The rules libseccomp gets for r: allow holds those whose action is the
 * rule's own (allow, or its errno), deny those of its 'else errno'. The
 * two sets of calls are disjoint by construction, so the order in which
 * libseccomp tests them cannot matter. */
static int rule_expand(struct expander *x, const struct rule *r,
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

/* ---- the parser -------------------------------------------------------- */

enum tok_kind {
	T_END, T_IDENT, T_NUM, T_COLON, T_SEMI, T_LPAREN, T_RPAREN, T_TILDE,
	T_MINUS, T_BAR, T_OROR, T_AMP, T_ANDAND, T_EQ, T_NE, T_LT, T_LE, T_GT,
	T_GE,
};

struct tok {
	enum tok_kind kind;
	const char *s;
	size_t len;
	uint64_t num;
};

struct parser {
	const char *name;
	unsigned line;
	struct error *e;
	const char *p, *end; /* the rest of the current line */
	struct tok tok;
	unsigned depth;
};

#define VALUE_DEPTH_MAX 32

static int fail(struct parser *ps, const char *fmt, ...) PRINTF(2, 3);
static int fail(struct parser *ps, const char *fmt, ...)
{
	char msg[sizeof(ps->e->msg)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ps->line)
		return error_set(ps->e, EINVAL, "%s:%u: %s", ps->name, ps->line,
				 msg);
	return error_set(ps->e, EINVAL, "%s", msg);
}

static bool is_ident_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_ident(char c)
{
	return is_ident_start(c) || is_digit(c);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* A token as a message can show it: quoted, printable, short. */
static const char *tok_str(const struct tok *t, char *buf, size_t size)
{
	if (t->kind == T_END)
		return "end of line";
	size_t n = 0;
	buf[n++] = '\'';
	for (size_t i = 0; i < t->len && n + 6 < size; i++) {
		unsigned char c = (unsigned char)t->s[i];
		if (c >= 0x20 && c < 0x7f)
			buf[n++] = (char)c;
		else
			n += (size_t)snprintf(buf + n, size - n, "\\x%02x", c);
	}
	buf[n++] = '\'';
	buf[n] = '\0';
	return buf;
}

static int lex_number(struct parser *ps)
{
	struct tok *t = &ps->tok;
	const char *p = ps->p;
	uint64_t v = 0;
	bool overflow = false;

	t->kind = T_NUM;
	if (p + 1 < ps->end && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		p += 2;
		const char *digits = p;
		for (; p < ps->end; p++) {
			char c = *p;
			unsigned d;
			if (is_digit(c))
				d = (unsigned)(c - '0');
			else if (c >= 'a' && c <= 'f')
				d = (unsigned)(c - 'a' + 10);
			else if (c >= 'A' && c <= 'F')
				d = (unsigned)(c - 'A' + 10);
			else
				break;
			if (v >> 60)
				overflow = true;
			v = v << 4 | d;
		}
		if (p == digits)
			goto bad;
	} else {
		if (p[0] == '0' && p + 1 < ps->end && is_digit(p[1])) {
			while (p < ps->end && is_ident(*p))
				p++;
			t->s = ps->p;
			t->len = (size_t)(p - ps->p);
			char b[48];
			return fail(ps,
				    "number %s has a leading zero (octal is "
				    "not supported; write hex as 0x...)",
				    tok_str(t, b, sizeof(b)));
		}
		for (; p < ps->end && is_digit(*p); p++) {
			unsigned d = (unsigned)(*p - '0');
			if (v > (UINT64_MAX - d) / 10)
				overflow = true;
			v = v * 10 + d;
		}
	}
	if (p < ps->end && is_ident(*p))
		goto bad;
	t->s = ps->p;
	t->len = (size_t)(p - ps->p);
	t->num = v;
	ps->p = p;
	if (overflow) {
		char b[48];
		return fail(ps, "number %s does not fit in 64 bits",
			    tok_str(t, b, sizeof(b)));
	}
	return 0;
bad:
	while (p < ps->end && is_ident(*p))
		p++;
	t->s = ps->p;
	t->len = (size_t)(p - ps->p);
	char b[48];
	return fail(ps, "bad number %s", tok_str(t, b, sizeof(b)));
}

static int lex(struct parser *ps)
{
	struct tok *t = &ps->tok;
	while (ps->p < ps->end && is_space(*ps->p))
		ps->p++;
	t->s = ps->p;
	t->len = 0;
	if (ps->p == ps->end) {
		t->kind = T_END;
		return 0;
	}
	char c = *ps->p;
	if (is_ident_start(c)) {
		const char *p = ps->p;
		while (p < ps->end && is_ident(*p))
			p++;
		t->kind = T_IDENT;
		t->len = (size_t)(p - ps->p);
		ps->p = p;
		if (t->len > NAME_MAX_LEN) {
			char b[48];
			return fail(ps, "name %s... is too long",
				    tok_str(t, b, sizeof(b)));
		}
		return 0;
	}
	if (is_digit(c))
		return lex_number(ps);

	/* NOLINTNEXTLINE(bugprone-narrowing-conversions): a char or NUL */
	char next = ps->p + 1 < ps->end ? ps->p[1] : '\0';
	static const struct {
		char c, next;
		enum tok_kind kind;
	} punct[] = {
		{ '|', '|', T_OROR }, { '&', '&', T_ANDAND }, { '=', '=', T_EQ },
		{ '!', '=', T_NE },   { '<', '=', T_LE },     { '>', '=', T_GE },
		{ '|', 0, T_BAR },    { '&', 0, T_AMP },      { '<', 0, T_LT },
		{ '>', 0, T_GT },     { ':', 0, T_COLON },    { ';', 0, T_SEMI },
		{ '(', 0, T_LPAREN }, { ')', 0, T_RPAREN },   { '~', 0, T_TILDE },
		{ '-', 0, T_MINUS },
	};
	for (size_t i = 0; i < ARRAY_SIZE(punct); i++) {
		if (punct[i].c != c || (punct[i].next && punct[i].next != next))
			continue;
		t->kind = punct[i].kind;
		t->len = punct[i].next ? 2 : 1;
		ps->p += t->len;
		return 0;
	}
	t->len = 1;
	char b[16];
	if (c == '=')
		return fail(ps, "unexpected '=': compare with '=='");
	return fail(ps, "unexpected character %s", tok_str(t, b, sizeof(b)));
}

static bool tok_is(const struct tok *t, const char *word)
{
	return t->kind == T_IDENT && strlen(word) == t->len &&
	       memcmp(t->s, word, t->len) == 0;
}

static int expected(struct parser *ps, const char *what)
{
	char b[48];
	return fail(ps, "expected %s, found %s", what,
		    tok_str(&ps->tok, b, sizeof(b)));
}

static int parse_value(struct parser *ps, uint64_t *out);

/* Recursive for '~' and parentheses; ps->depth bounds it. */
/* NOLINTNEXTLINE(misc-no-recursion) */
static int parse_term(struct parser *ps, uint64_t *out)
{
	struct tok *t = &ps->tok;
	int r;

	*out = 0;
	if (++ps->depth > VALUE_DEPTH_MAX)
		return fail(ps, "value nested too deeply");
	switch (t->kind) {
	case T_TILDE:
		if ((r = lex(ps)) < 0 || (r = parse_term(ps, out)) < 0)
			return r;
		*out = ~*out;
		break;
	case T_MINUS:
		if ((r = lex(ps)) < 0)
			return r;
		if (t->kind != T_NUM)
			return expected(ps, "a number after '-'");
		*out = -t->num;
		if ((r = lex(ps)) < 0)
			return r;
		break;
	case T_LPAREN:
		if ((r = lex(ps)) < 0 || (r = parse_value(ps, out)) < 0)
			return r;
		if (t->kind != T_RPAREN)
			return expected(ps, "')'");
		if ((r = lex(ps)) < 0)
			return r;
		break;
	case T_NUM:
		*out = t->num;
		if ((r = lex(ps)) < 0)
			return r;
		break;
	case T_IDENT: {
		const struct named *c =
			lookup(constants, ARRAY_SIZE(constants), t->s, t->len);
		if (!c)
			c = lookup(errnos, ARRAY_SIZE(errnos), t->s, t->len);
		if (!c) {
			char b[80];
			return fail(ps, "unknown constant %s",
				    tok_str(t, b, sizeof(b)));
		}
		*out = c->value;
		if ((r = lex(ps)) < 0)
			return r;
		break;
	}
	default:
		return expected(ps, "a value");
	}
	ps->depth--;
	return 0;
}

/* value := term { '|' term } */
/* NOLINTNEXTLINE(misc-no-recursion): see parse_term */
static int parse_value(struct parser *ps, uint64_t *out)
{
	int r = parse_term(ps, out);
	while (r == 0 && ps->tok.kind == T_BAR) {
		uint64_t v;
		if ((r = lex(ps)) < 0 || (r = parse_term(ps, &v)) < 0)
			return r;
		*out |= v;
	}
	return r;
}

static int parse_errno(struct parser *ps, int *out)
{
	struct tok *t = &ps->tok;
	char b[80];

	if (t->kind == T_NUM) {
		if (t->num < 1 || t->num > MAX_ERRNO)
			return fail(ps, "errno %s is out of range (1 to %d)",
				    tok_str(t, b, sizeof(b)), MAX_ERRNO);
		*out = (int)t->num;
	} else if (t->kind == T_IDENT) {
		const struct named *c =
			lookup(errnos, ARRAY_SIZE(errnos), t->s, t->len);
		if (!c)
			return fail(ps, "unknown errno %s",
				    tok_str(t, b, sizeof(b)));
		*out = (int)c->value;
	} else {
		return expected(ps, "an errno name such as EPERM");
	}
	return lex(ps);
}

/* cmp := argN [ '&' value ] OP value */
static int parse_cmp(struct parser *ps, struct rule *r, unsigned group)
{
	struct tok *t = &ps->tok;
	struct cmp c = { .group = (uint8_t)group, .mask = UINT64_MAX };
	char b[80];
	int ret;

	if (t->kind != T_IDENT || t->len < 4 || memcmp(t->s, "arg", 3) != 0)
		return expected(ps, "an argument (arg0 to arg5)");
	for (size_t i = 3; i < t->len; i++)
		if (!is_digit(t->s[i]))
			return expected(ps, "an argument (arg0 to arg5)");
	if (t->len != 4 || t->s[3] > '5')
		return fail(ps,
			    "%.*s: no such argument (a system call has arg0 "
			    "to arg5)",
			    (int)t->len, t->s);
	c.arg = (uint8_t)(t->s[3] - '0');
	if ((ret = lex(ps)) < 0)
		return ret;

	bool masked = t->kind == T_AMP;
	if (masked) {
		if ((ret = lex(ps)) < 0 || (ret = parse_value(ps, &c.mask)) < 0)
			return ret;
	}
	switch (t->kind) {
	case T_EQ: c.op = masked ? OP_MASK_EQ : OP_EQ; break;
	case T_NE: c.op = masked ? OP_MASK_NE : OP_NE; break;
	case T_LT: c.op = OP_LT; break;
	case T_LE: c.op = OP_LE; break;
	case T_GT: c.op = OP_GT; break;
	case T_GE: c.op = OP_GE; break;
	default:
		return expected(ps, masked ? "'==' or '!=' after the mask"
					   : "'==', '!=', '<', '<=', '>', "
					     "'>=' or '&'");
	}
	if (masked && c.op < OP_MASK_EQ)
		return fail(ps,
			    "a masked test 'arg%u & MASK' takes '==' or '!=', "
			    "not %s",
			    c.arg, tok_str(t, b, sizeof(b)));
	if ((ret = lex(ps)) < 0 || (ret = parse_value(ps, &c.value)) < 0)
		return ret;
	if (masked && c.mask == 0)
		return fail(ps, "arg%u & 0: the mask is 0", c.arg);
	if (masked && (c.value & ~c.mask)) {
		char m[32], v[32];
		format_value(c.mask, m, sizeof(m));
		format_value(c.value, v, sizeof(v));
		return fail(ps,
			    "'arg%u & %s %s %s' %s: the value has bits outside "
			    "the mask",
			    c.arg, m, op_text[c.op], v,
			    c.op == OP_MASK_EQ ? "can never hold"
					       : "always holds");
	}
	if (r->ncmp == POLICY_MAX_TESTS)
		return fail(ps, "more than %d tests in one rule",
			    POLICY_MAX_TESTS);
	r->cmp[r->ncmp++] = c;
	return 0;
}

/* expr := conj { '||' conj }, conj := cmp { '&&' cmp } */
static int parse_expr(struct parser *ps, struct rule *r)
{
	int ret;
	for (;;) {
		if ((ret = parse_cmp(ps, r, r->ngroup)) < 0)
			return ret;
		if (ps->tok.kind == T_ANDAND) {
			if ((ret = lex(ps)) < 0)
				return ret;
			continue;
		}
		r->ngroup++;
		if (ps->tok.kind != T_OROR)
			return 0;
		if ((ret = lex(ps)) < 0)
			return ret;
	}
}

/* The condition as written, with runs of blanks made one space. */
static char *squeeze(const char *s, const char *end)
{
	char *out = xmalloc((size_t)(end - s) + 1), *o = out;
	bool blank = false;
	for (; s < end; s++) {
		if (is_space(*s)) {
			blank = o != out;
			continue;
		}
		if (blank)
			*o++ = ' ';
		blank = false;
		*o++ = *s;
	}
	*o = '\0';
	return out;
}

/* rule := NAME ':' ( 'allow' | 'errno' ERRNO
 *                  | expr [ ';' 'else' 'errno' ERRNO ] ) */
static int parse_rule(struct parser *ps, struct rule *r)
{
	struct tok *t = &ps->tok;
	char b[80];
	int ret;

	if (t->kind != T_IDENT)
		return expected(ps, "a system call name");
	memcpy(r->name, t->s, t->len);
	r->name[t->len] = '\0';
	r->nr = policy_syscall_nr(r->name);
	if (r->nr == -ENOSYS)
		return fail(ps, "'%s' is not an x86-64 system call", r->name);
	if (r->nr < 0)
		return fail(ps, "unknown system call %s",
			    tok_str(t, b, sizeof(b)));
	/* The launcher owns these: its rules pin them to descriptors that
	 * are closed before the program runs (policy.h). */
	if (r->nr == __NR_execveat || r->nr == __NR_sendmsg)
		return fail(ps,
			    "'%s' is reserved: the launcher adds its own rule "
			    "for it",
			    r->name);
	if ((ret = lex(ps)) < 0)
		return ret;
	if (t->kind != T_COLON)
		return expected(ps, "':' after the system call name");
	if ((ret = lex(ps)) < 0)
		return ret;

	if (tok_is(t, "allow")) {
		r->kind = RULE_ALLOW;
		if ((ret = lex(ps)) < 0)
			return ret;
	} else if (tok_is(t, "errno")) {
		r->kind = RULE_ERRNO;
		if ((ret = lex(ps)) < 0 || (ret = parse_errno(ps, &r->err)) < 0)
			return ret;
	} else if (t->kind == T_IDENT && t->len >= 3 &&
		   memcmp(t->s, "arg", 3) == 0) {
		const char *start = t->s;
		r->kind = RULE_ALLOW_IF;
		if ((ret = parse_expr(ps, r)) < 0)
			return ret;
		r->cond = squeeze(start, t->s);
		if (t->kind == T_SEMI) {
			if ((ret = lex(ps)) < 0)
				return ret;
			if (!tok_is(t, "else"))
				return expected(ps, "'else errno NAME' after ';'");
			if ((ret = lex(ps)) < 0)
				return ret;
			if (!tok_is(t, "errno"))
				return expected(ps, "'errno' after 'else'");
			if ((ret = lex(ps)) < 0 ||
			    (ret = parse_errno(ps, &r->err)) < 0)
				return ret;
		} else if (t->kind != T_END) {
			return expected(ps, "'&&', '||', ';' or end of line");
		}
	} else {
		return expected(ps, "'allow', 'errno NAME' or a condition on "
				    "arg0 to arg5");
	}
	if (t->kind != T_END)
		return expected(ps, "end of line");
	return 0;
}

static void rule_clear(struct rule *r)
{
	free(r->cond);
	r->cond = NULL;
}

void policy_free(struct policy *p)
{
	if (!p)
		return;
	for (unsigned i = 0; i < p->nrules; i++)
		rule_clear(&p->rules[i]);
	free(p->rules);
	free(p->name);
	free(p);
}

static void policy_freep(struct policy **p)
{
	policy_free(*p);
}

static void expander_freep(struct expander **x)
{
	free(*x);
}

int policy_parse(const char *text, size_t len, const char *name,
		 struct policy **out, struct error *e)
{
	__attribute__((cleanup(policy_freep))) struct policy *p = NULL;
	__attribute__((cleanup(expander_freep))) struct expander *x = NULL;
	cleanup_free struct srules *allow = NULL, *deny = NULL;
	struct parser ps = { .name = name, .e = e };

	*out = NULL;
	if (len > POLICY_MAX_SIZE)
		return error_set(e, EFBIG, "%s: larger than %u bytes", name,
				 POLICY_MAX_SIZE);
	p = xcalloc(1, sizeof(*p));
	p->name = xstrdup(name);
	x = xmalloc(sizeof(*x));
	allow = xmalloc(sizeof(*allow));
	deny = xmalloc(sizeof(*deny));

	const char *s = text, *end = text + len;
	unsigned seccomp_rules = 0;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *eol = nl ? nl : end;
		ps.line++;
		if ((size_t)(eol - s) > POLICY_MAX_LINE)
			return fail(&ps, "line longer than %d bytes",
				    POLICY_MAX_LINE);
		if (memchr(s, '\0', (size_t)(eol - s)))
			return fail(&ps, "NUL byte in the line");
		const char *hash = memchr(s, '#', (size_t)(eol - s));
		ps.p = s;
		ps.end = hash ? hash : eol;
		s = nl ? nl + 1 : end;

		int r = lex(&ps);
		if (r < 0)
			return r;
		if (ps.tok.kind == T_END)
			continue;
		if (p->nrules == POLICY_MAX_RULES)
			return fail(&ps, "more than %d rules", POLICY_MAX_RULES);
		if (p->nrules == p->cap) {
			unsigned cap = p->cap ? 2 * p->cap : 32;
			struct rule *n = realloc(p->rules, cap * sizeof(*n));
			if (!n)
				return fail(&ps, "out of memory");
			p->rules = n;
			p->cap = cap;
		}
		struct rule *rule = &p->rules[p->nrules];
		memset(rule, 0, sizeof(*rule));
		rule->line = ps.line;
		r = parse_rule(&ps, rule);
		if (r == 0) {
			const struct rule *old = find_rule(p, rule->nr);
			if (old)
				r = fail(&ps, "'%s' listed twice (first on line %u)",
					 rule->name, old->line);
		}
		if (r == 0 && (r = rule_expand(x, rule, allow, deny, e)) < 0)
			error_prefix(e, "%s:%u: %s: ", name, ps.line, rule->name);
		seccomp_rules += allow->n + deny->n;
		if (r == 0 && seccomp_rules > POLICY_MAX_SECCOMP_RULES)
			r = fail(&ps,
				 "%s: the policy needs more than %d seccomp "
				 "rules (this line needs %u)",
				 rule->name, POLICY_MAX_SECCOMP_RULES,
				 allow->n + deny->n);
		if (r < 0) {
			rule_clear(rule);
			return r;
		}
		p->nrules++;
	}
	*out = steal_pointer(&p);
	return 0;
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
		const char *en = errno_name(r->err);
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

int policy_parse_value(const char *s, uint64_t *out, struct error *e)
{
	struct parser ps = { .name = "", .e = e, .p = s, .end = s + strlen(s) };
	int r = lex(&ps);
	if (r == 0)
		r = parse_value(&ps, out);
	if (r == 0 && ps.tok.kind != T_END)
		r = expected(&ps, "end of the value");
	if (r < 0)
		error_prefix(e, "'%s': ", s);
	return r;
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
		en = errno_name((int)data);
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

/* ---- deciding and compiling --------------------------------------------- */

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
	const struct rule *r = find_rule(p, d->nr);
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
	__attribute__((cleanup(expander_freep))) struct expander *x = NULL;
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

	x = xmalloc(sizeof(*x));
	allow = xmalloc(sizeof(*allow));
	deny = xmalloc(sizeof(*deny));
	for (unsigned i = 0; i < p->nrules; i++) {
		const struct rule *rule = &p->rules[i];
		uint32_t act = rule->kind == RULE_ERRNO
				       ? SCMP_ACT_ERRNO((uint32_t)rule->err)
				       : SCMP_ACT_ALLOW;
		r = rule_expand(x, rule, allow, deny, e);
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
