/* policy_parse.c — policy_parse: a policy's text to rules, one line at a
 * time; the tables of named constants and errno names a policy may use;
 * policy_parse_value for a value alone. Each rule goes through the
 * expander as it is parsed, so that everything policy_compile could
 * refuse in it is refused here, with its line. */
#include "policy_int.h"

#include <asm/prctl.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>

/* musl's <sys/mman.h> (the launcher is built with musl) lacks these two
 * (Linux 5.14); the values are the kernel's UAPI ones. */
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

/* The biggest errno a policy may name. The kernel would take 4095 (its
 * MAX_ERRNO), but libseccomp 2.5 refuses an errno action of 4095 when the
 * rule is added, and policy_parse must refuse whatever cannot compile
 * (found by test/fuzz/fuzz_policy.c: "read: errno 4095"). */
#define MAX_ERRNO 4094

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

const char *policy_errno_name(int err)
{
	for (size_t i = 0; i < ARRAY_SIZE(errnos); i++)
		if (errnos[i].value == (uint64_t)err)
			return errnos[i].name;
	return NULL;
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
		policy_format_value(c.mask, m, sizeof(m));
		policy_format_value(c.value, v, sizeof(v));
		return fail(ps,
			    "'arg%u & %s %s %s' %s: the value has bits outside "
			    "the mask",
			    c.arg, m, policy_op_text[c.op], v,
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

int policy_parse(const char *text, size_t len, const char *name,
		 struct policy **out, struct error *e)
{
	__attribute__((cleanup(policy_freep))) struct policy *p = NULL;
	__attribute__((cleanup(policy_expander_freep))) struct expander *x =
		NULL;
	cleanup_free struct srules *allow = NULL, *deny = NULL;
	struct parser ps = { .name = name, .e = e };

	*out = NULL;
	if (len > POLICY_MAX_SIZE)
		return error_set(e, EFBIG, "%s: larger than %u bytes", name,
				 POLICY_MAX_SIZE);
	p = xcalloc(1, sizeof(*p));
	p->name = xstrdup(name);
	x = policy_expander_new();
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
			const struct rule *old = policy_find_rule(p, rule->nr);
			if (old)
				r = fail(&ps, "'%s' listed twice (first on line %u)",
					 rule->name, old->line);
		}
		if (r == 0 &&
		    (r = policy_rule_expand(x, rule, allow, deny, e)) < 0)
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

