/* make_seeds.c — writes the seed corpora of the fuzz harnesses into
 * DIR/<target>/ (`make fuzz-seeds` writes test/fuzz/corpus/). Each seed is
 * a small meaningful input named after what it is: well-formed ones that
 * reach deep into the parser, and near misses that each break one rule.
 * Messages are built with the real layouts from proto.h and programs with
 * the unit tests' ELF fixture, so the seeds follow the code when those
 * change. Usage: make_seeds DIR [POLICY_FILE]. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "elf_fixture.h"
#include "dproto.h"
#include "netbcast.h"
#include "proto.h"
#include "qframe.h"

static const char *root;
static unsigned written;

static void die(const char *what)
{
	fprintf(stderr, "make_seeds: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void put(const char *target, const char *name, const void *buf,
		size_t len)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", root, target);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		die(path);
	snprintf(path, sizeof(path), "%s/%s/%s", root, target, name);
	FILE *f = fopen(path, "wb");
	if (!f)
		die(path);
	if (len && fwrite(buf, 1, len, f) != len)
		die(path);
	if (fclose(f) != 0)
		die(path);
	written++;
}

static void put_str(const char *target, const char *name, const char *s)
{
	put(target, name, s, strlen(s));
}

/* ---- proto ----------------------------------------------------------- */

static union {
	struct proto_hdr hdr;
	struct proto_name name;
	struct proto_spawn spawn;
	struct proto_close close;
	struct proto_opened opened;
	struct proto_linked linked;
	struct proto_status status;
	struct proto_exited exited;
	struct proto_broadcast bcast;
	unsigned char bytes[PROTO_PAGE + 1];
} m;

/* Copies a string into a fixed field, which must hold it. */
static void set(char *field, size_t size, const char *s)
{
	size_t n = strlen(s);
	if (n >= size) {
		fprintf(stderr, "make_seeds: '%s' does not fit %zu bytes\n", s,
			size);
		exit(1);
	}
	memcpy(field, s, n + 1);
}

static size_t msg(enum proto_type t, size_t len, int32_t handle)
{
	memset(&m, 0, sizeof(m));
	proto_hdr_init(&m.hdr, t, (uint32_t)len, handle);
	return len;
}

static size_t spawn(const char *url, uint32_t argc, const char *args,
		    size_t args_len)
{
	size_t n = msg(PROTO_SPAWN, sizeof(m.spawn), 3);
	set(m.spawn.url, sizeof(m.spawn.url), url);
	m.spawn.argc = argc;
	m.spawn.args_len = (uint32_t)args_len;
	memcpy(m.spawn.args, args, args_len);
	return n;
}

static size_t bcast(enum proto_type t, size_t payload)
{
	size_t n =
		msg(t, sizeof(m.bcast) + payload, t == PROTO_BROADCAST ? 0 : 5);
	set(m.bcast.channel, sizeof(m.bcast.channel), "chat");
	memset(m.bcast.data, 'x', payload);
	return n;
}

static void proto_seeds(void)
{
	const char *t = "proto";
	size_t n;

	/* Requests, as a program sends them. */
	n = msg(PROTO_LINK, sizeof(m.name), 1);
	set(m.name.name, sizeof(m.name.name), "echo");
	put(t, "link_echo", &m, n);
	n = msg(PROTO_SERVE, sizeof(m.name), 2);
	set(m.name.name, sizeof(m.name.name), "svc.v1_a-B");
	put(t, "serve_name", &m, n);
	n = msg(PROTO_SUBSCRIBE, sizeof(m.name), 3);
	memset(m.name.name, 'a', PROTO_NAME_SIZE - 1);
	put(t, "subscribe_63_byte_name", &m, n);
	put(t, "broadcast_empty", &m, bcast(PROTO_BROADCAST, 0));
	put(t, "broadcast_10", &m, bcast(PROTO_BROADCAST, 10));
	put(t, "broadcast_max", &m,
	    bcast(PROTO_BROADCAST, PROTO_BROADCAST_MAX));
	put(t, "spawn_no_args", &m, spawn("http://127.0.0.1/p", 0, "", 0));
	put(t, "spawn_two_args", &m,
	    spawn("https://h/p#sha256=00", 2, "-v\0x y", 7));
	put(t, "spawn_empty_arg", &m, spawn("file:///bin/p", 1, "", 1));
	{
		char args[2 * PROTO_ARGC_MAX];
		memset(args, 0, sizeof(args));
		for (int i = 0; i < PROTO_ARGC_MAX; i++)
			args[2 * i] = 'a';
		put(t, "spawn_64_args", &m,
		    spawn("http://h/p", PROTO_ARGC_MAX, args, sizeof(args)));
	}
	put(t, "kill", &m, msg(PROTO_KILL, sizeof(m.hdr), 9));
	n = msg(PROTO_CLOSE, sizeof(m.close), 4);
	put(t, "close_by_handle", &m, n);
	m.close.slot = 5;
	put(t, "close_slot_5", &m, n);

	/* Events, as the broker sends them. */
	n = msg(PROTO_OPENED, sizeof(m.linked), 1);
	m.opened.slot = 1;
	m.opened.peer = 42;
	m.linked.who.uid = 1000;
	memset(m.linked.who.sha256, 0x5a, sizeof(m.linked.who.sha256));
	set(m.linked.who.url, sizeof(m.linked.who.url), "https://h/server");
	put(t, "opened_link", &m, n);
	n = msg(PROTO_OPENED, sizeof(m.linked), 3);
	put(t, "opened_service", &m, n);
	n = msg(PROTO_INCOMING, sizeof(m.linked), 2);
	m.opened.slot = PROTO_SLOTS - 1;
	m.opened.peer = 7;
	m.opened.party_links = 3;
	set(m.linked.who.url, sizeof(m.linked.who.url), "file:///c");
	put(t, "incoming_last_slot", &m, n);
	n = msg(PROTO_INCOMING, sizeof(m.opened), 2);
	m.opened.slot = PROTO_SLOTS - 1;
	m.opened.party_links = 3;
	m.hdr.version = 4;
	put(t, "incoming_version_4", &m, n);
	m.hdr.version = 3;
	m.opened.party_links = 0;
	put(t, "incoming_version_3", &m, n);
	n = msg(PROTO_CLOSED, sizeof(m.status), 1);
	m.status.status = -ECONNREFUSED;
	put(t, "closed_refused", &m, n);
	n = msg(PROTO_EXITED, sizeof(m.exited), 3);
	m.exited.status = 126;
	set(m.exited.reason, sizeof(m.exited.reason), "http://h/p: HTTP 404");
	put(t, "exited_with_reason", &m, n);
	put(t, "deliver_10", &m, bcast(PROTO_DELIVER, 10));
	n = bcast(PROTO_DELIVER, 3);
	m.bcast.dropped = 17;
	put(t, "deliver_dropped", &m, n);

	/* Near misses: one rule broken each. */
	n = msg(PROTO_LINK, sizeof(m.name), 1);
	memset(m.name.name, 'a', PROTO_NAME_SIZE);
	put(t, "bad_name_unterminated", &m, n);
	n = msg(PROTO_LINK, sizeof(m.name), 1);
	set(m.name.name, sizeof(m.name.name), "echo");
	m.name.name[10] = 'x';
	put(t, "bad_name_padding", &m, n);
	n = spawn("http://h/p", 3, "a\0b", 4);
	put(t, "bad_spawn_argc", &m, n);
	n = spawn("http://h/p", 1, "ab", 2);
	put(t, "bad_spawn_unterminated_arg", &m, n);
	n = spawn("http://h/p", 1, "a\0", 2);
	m.spawn.args[5] = 'z';
	put(t, "bad_spawn_after_args_len", &m, n);
	n = msg(PROTO_LINK, sizeof(m.name), 1);
	set(m.name.name, sizeof(m.name.name), "echo");
	m.hdr.reserved = 1;
	put(t, "bad_reserved", &m, n);
	n = msg(PROTO_CLOSE, sizeof(m.close), 4);
	m.close.slot = PROTO_SLOTS;
	put(t, "bad_close_slot", &m, n);
	n = msg(PROTO_EXITED, sizeof(m.exited), 3);
	m.exited.status = 256;
	put(t, "bad_exit_status", &m, n);
	put(t, "bad_short", &m, 15);
	n = bcast(PROTO_BROADCAST, PROTO_BROADCAST_MAX + 1);
	put(t, "bad_longer_than_page", &m, n);
}

/* ---- policy ---------------------------------------------------------- */

/* A string literal and its length, which may count NULs inside it. */
#define S(lit) lit, sizeof(lit) - 1

static const struct {
	const char *name;
	const char *text;
	size_t len;
} policies[] = {
	{ "allow", S("read: allow\n") },
	{ "errno", S("ioctl: errno ENOTTY\nlseek: errno 29\n") },
	{ "comments_blank", S("# console\n\n  write: allow  # stdout\n\t\n") },
	{ "eq_or", S("write: arg0 == 1 || arg0 == 2\n") },
	{ "all_ops", S("read: arg0 < 0x100000000\nwrite: arg0 <= 7\n"
		       "readv: arg0 > 0xffffffff\nwritev: arg0 >= 3\n"
		       "close: arg0 != 0x100000000\n") },
	{ "masked",
	  S("mmap: arg2 & ~(PROT_READ|PROT_WRITE) == 0 && "
	    "arg3 & (MAP_ANONYMOUS|MAP_HUGETLB) == MAP_ANONYMOUS\n") },
	{ "masked_ne", S("dup2: arg0 & 0x100000001 != 0x1\n") },
	{ "else_errno",
	  S("arch_prctl: arg0 == ARCH_SET_FS; else errno EINVAL\n") },
	{ "interval_else", S("madvise: arg2 >= 3 && arg2 <= 10; else errno "
			     "EINVAL\n") },
	{ "negative", S("openat: arg0 == AT_FDCWD\nclose: arg0 == -1\n") },
	{ "six_args",
	  S("mmap: arg0 == 0 && arg1 == 1 && arg2 == 2 && arg3 == 3 "
	    "&& arg4 == 4 && arg5 == 5\n") },
	{ "groups", S("clock_nanosleep: arg0 <= CLOCK_TAI && "
		      "arg1 & ~TIMER_ABSTIME == 0 || arg0 == 100\n") },
	{ "constants", S("getrandom: arg2 & ~(GRND_NONBLOCK|GRND_RANDOM|"
			 "GRND_INSECURE) == 0\nfutex: arg1 == FUTEX_WAIT|"
			 "FUTEX_PRIVATE_FLAG\n") },
	{ "io_uring", S("io_uring_enter: arg0 == 3 && arg3 & ~9 == 0\n"
			"exit_group: allow\n") },
	{ "no_newline", S("brk: allow") },
	/* Refused, each for one reason. */
	{ "bad_unknown_call", S("opn: allow\n") },
	{ "bad_other_arch_call", S("socketcall: allow\n") },
	{ "bad_twice", S("mmap: allow\nmmap: errno EPERM\n") },
	{ "bad_launcher_call", S("execveat: allow\n") },
	{ "bad_arg7", S("read: arg7 == 1\n") },
	{ "bad_octal", S("read: arg0 == 017\n") },
	{ "bad_always", S("read: arg0 >= 0\n") },
	{ "bad_never", S("read: arg0 == 1 && arg0 == 2\n") },
	{ "bad_else_never",
	  S("read: arg0 <= 5 || arg0 > 5; else errno EPERM\n") },
	{ "bad_mask_value", S("read: arg0 & 1 == 2\n") },
	{ "bad_errno", S("read: errno 4096\n") },
	/* libseccomp refuses 4095 (test/fuzz/regress/policy). */
	{ "bad_errno_4095", S("read: errno 4095\n") },
	{ "errno_4094", S("read: errno 4094\n") },
	{ "bad_unknown_constant", S("read: arg0 == PROT_FOO\n") },
	{ "bad_paren", S("read: arg0 == (1|2\n") },
	{ "bad_nul", S("read: allow\0\n") },
};

/* fakeosd's client protocol: a run with arguments, a signal, an exit,
 * and one of each way to get a run wrong; fakeosctl's list and control
 * requests and the daemon's replies, and a wrong one of each request. */
static void dproto_seeds(void)
{
	static union {
		struct dproto_run run;
		unsigned char b[512];
	} d;
	const char strings[] = "https://h/app\0one\0two";
	size_t n = sizeof(d.run) + sizeof(strings);
	memset(&d, 0, sizeof(d));
	dproto_hdr_init(&d.run.hdr, DPROTO_RUN, (uint32_t)n);
	d.run.flags = DPROTO_RUN_STDIN;
	d.run.memory = 64ULL << 20;
	d.run.argc = 2;
	d.run.strings_len = sizeof(strings);
	memcpy(d.run.strings, strings, sizeof(strings));
	put("dproto", "run", &d, n);
	d.run.argc = 3;
	put("dproto", "bad_run_argc", &d, n);
	d.run.argc = 2;
	d.run.flags = 0x100;
	put("dproto", "bad_run_flags", &d, n);
	d.run.flags = 0;
	d.run.strings[0] = '\0';
	put("dproto", "bad_run_empty_url", &d, n);
	struct dproto_signal s;
	memset(&s, 0, sizeof(s));
	dproto_hdr_init(&s.hdr, DPROTO_SIGNAL, sizeof(s));
	s.sig = SIGINT;
	put("dproto", "signal", &s, sizeof(s));
	s.sig = SIGKILL;
	put("dproto", "bad_signal", &s, sizeof(s));
	struct dproto_exit x;
	memset(&x, 0, sizeof(x));
	dproto_hdr_init(&x.hdr, DPROTO_EXIT, sizeof(x));
	x.status = 143;
	put("dproto", "exit", &x, sizeof(x));
	struct dproto_console con;
	memset(&con, 0, sizeof(con));
	dproto_hdr_init(&con.hdr, DPROTO_CONSOLE, sizeof(con));
	put("dproto", "console", &con, sizeof(con));
	struct dproto_list l;
	memset(&l, 0, sizeof(l));
	dproto_hdr_init(&l.hdr, DPROTO_LIST, sizeof(l));
	l.what = DPROTO_LIST_PROGRAMS;
	put("dproto", "list", &l, sizeof(l));
	l.what = 9;
	put("dproto", "bad_list_what", &l, sizeof(l));
	struct dproto_ctl c;
	memset(&c, 0, sizeof(c));
	dproto_hdr_init(&c.hdr, DPROTO_CTL, sizeof(c));
	c.op = DPROTO_CTL_STOP;
	strcpy(c.name, "db");
	put("dproto", "ctl_stop", &c, sizeof(c));
	c.name[40] = 'x';
	put("dproto", "bad_ctl_padding", &c, sizeof(c));
	memset(c.name, 0, sizeof(c.name));
	c.op = DPROTO_CTL_RELOAD;
	put("dproto", "ctl_reload", &c, sizeof(c));
	static union {
		struct dproto_list_reply r;
		unsigned char b[256];
	} lr;
	const char text[] = "NAME SCOPE\npub published\n";
	memset(&lr, 0, sizeof(lr));
	dproto_hdr_init(&lr.r.hdr, DPROTO_LIST_REPLY,
			(uint32_t)(sizeof(lr.r) + strlen(text)));
	lr.r.last = 1;
	lr.r.text_len = (uint32_t)strlen(text);
	memcpy(lr.r.text, text, strlen(text));
	put("dproto", "list_reply", &lr, sizeof(lr.r) + strlen(text));
	struct dproto_ctl_reply cr;
	memset(&cr, 0, sizeof(cr));
	dproto_hdr_init(&cr.hdr, DPROTO_CTL_REPLY, sizeof(cr));
	cr.status = -1;
	strcpy(cr.msg, "only root may stop services");
	put("dproto", "ctl_reply", &cr, sizeof(cr));
	l.what = DPROTO_LIST_CRASHES;
	put("dproto", "list_crashes", &l, sizeof(l));
	struct dproto_crash k;
	memset(&k, 0, sizeof(k));
	dproto_hdr_init(&k.hdr, DPROTO_CRASH, sizeof(k));
	k.id = 7;
	put("dproto", "crash", &k, sizeof(k));
	k.id = 0;
	put("dproto", "bad_crash_id_0", &k, sizeof(k));
	static union {
		struct dproto_crash_reply r;
		unsigned char b[256];
	} kr;
	const char json[] = "{\"format\":\"fakeos-crash-1\",\"uid\":0}\n";
	memset(&kr, 0, sizeof(kr));
	dproto_hdr_init(&kr.r.hdr, DPROTO_CRASH_REPLY,
			(uint32_t)(sizeof(kr.r) + strlen(json)));
	kr.r.text_len = (uint32_t)strlen(json);
	memcpy(kr.r.text, json, strlen(json));
	put("dproto", "crash_reply_piece", &kr, sizeof(kr.r) + strlen(json));
	kr.r.text[3] = '\x1b';
	put("dproto", "bad_crash_reply_escape", &kr,
	    sizeof(kr.r) + strlen(json));
	memset(&kr, 0, sizeof(kr));
	dproto_hdr_init(&kr.r.hdr, DPROTO_CRASH_REPLY, sizeof(kr.r));
	kr.r.status = -ENOENT;
	kr.r.last = 1;
	put("dproto", "crash_reply_enoent", &kr, sizeof(kr.r));
}

static void policy_seeds(const char *default_policy)
{
	for (size_t i = 0; i < sizeof(policies) / sizeof(policies[0]); i++)
		put("policy", policies[i].name, policies[i].text,
		    policies[i].len);
	if (!default_policy)
		return;
	FILE *f = fopen(default_policy, "rb");
	if (!f)
		die(default_policy);
	static char buf[1 << 16];
	size_t n = fread(buf, 1, sizeof(buf), f);
	if (ferror(f) || fclose(f) != 0)
		die(default_policy);
	put("policy", "default.policy", buf, n);
}

/* ---- url --------------------------------------------------------------- */

#define PIN                                                                    \
	"#sha256="                                                             \
	"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

static void url_seeds(void)
{
	static const struct {
		const char *name;
		const char *s;
		size_t len;
	} urls[] = {
		{ "http", S("http://127.0.0.1/hello") },
		{ "http_port_query", S("http://example.org:8080/a/b?x=1&y=2") },
		{ "https_pinned", S("https://h.example/p" PIN) },
		{ "upper_scheme", S("HTTP://h/p") },
		{ "ipv6", S("http://[::1]:8443/prog") },
		{ "host_only", S("https://host") },
		{ "file", S("file:///usr/bin/prog") },
		{ "file_localhost", S("file://localhost/tmp/a%20b") },
		{ "file_pinned", S("file:///p" PIN) },
		{ "bad_credentials", S("http://user:pw@h/p") },
		{ "bad_space", S("http://h/a b") },
		{ "bad_control", S("http://h/\x1b[31m") },
		{ "bad_scheme", S("ftp://h/p") },
		{ "bad_no_scheme", S("h/p") },
		{ "bad_fragment", S("http://h/p#top") },
		{ "bad_pin_short", S("http://h/p#sha256=abc") },
		{ "bad_port", S("http://h:99999/p") },
		{ "bad_ipv6", S("http://[::g]/p") },
		{ "bad_file_host", S("file://server/share/p") },
		{ "bad_file_query", S("file:///p?x") },
		{ "bad_file_nul", S("file:///a%00b") },
		{ "bad_percent", S("file:///a%4") },
		/* URL, NUL, then a Location to check as a redirect. */
		{ "redirect_ok", S("http://h/p\0https://h2/q") },
		{ "redirect_fragment", S("http://h/p\0http://h2/q#x") },
		{ "redirect_downgrade", S("https://h/p\0http://h/p") },
		{ "redirect_to_file", S("http://h/p\0file:///etc/passwd") },
		{ "redirect_bad_target", S("https://h/p\0https://u@h/") },
	};
	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++)
		put("url", urls[i].name, urls[i].s, urls[i].len);
}

/* ---- cache ------------------------------------------------------------- */

#define OBJ "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define HEAD "fakeos-cache-entry 1\n"
/* 257 bytes: one more than CACHE_FIELD_MAX. */
#define E16 "0123456789abcdef"
#define E64 E16 E16 E16 E16
#define ETAG257 E64 E64 E64 E64 "x"

static void cache_seeds(void)
{
	static const struct {
		const char *name;
		const char *s;
	} entries[] = {
		{ "full",
		  HEAD "url http://127.0.0.1:8080/hello\nobject " OBJ
		       "\nsize 3\nfetched 1700000000\nexpires 1700003600\n"
		       "etag \"abc-1\"\nlast-modified Sat, 23 Nov 2024 "
		       "10:00:00 GMT\nend\n" },
		{ "minimal", HEAD "url http://h/p\nobject " OBJ "\nsize 0\n"
				  "fetched 0\nexpires 0\nend\n" },
		{ "https_etag", HEAD "url https://h.example/a?b=c\nobject " OBJ
				     "\nsize 123456\nfetched 1\nexpires 2\n"
				     "etag W/\"x\"\nend\n" },
		{ "last_modified_only", HEAD "url http://h/p\nobject " OBJ
					     "\nsize 9\nfetched 5\nexpires 5\n"
					     "last-modified Mon, 01 Jan 2024 "
					     "00:00:00 GMT\nend\n" },
		{ "max_numbers", HEAD "url http://h/p\nobject " OBJ
				      "\nsize 9223372036854775807\nfetched "
				      "9223372036854775806\nexpires "
				      "9223372036854775807\nend\n" },
		/* Refused, each for one reason. */
		{ "bad_no_end", HEAD "url http://h/p\nobject " OBJ "\nsize 0\n"
				     "fetched 0\nexpires 0\n" },
		{ "bad_after_end", HEAD "url http://h/p\nobject " OBJ
					"\nsize 0\nfetched 0\nexpires 0\nend\n"
					"etag x\n" },
		{ "bad_duplicate", HEAD "url http://h/p\nurl http://h/q\n"
					"object " OBJ "\nsize 0\nfetched 0\n"
					"expires 0\nend\n" },
		{ "bad_order", HEAD "object " OBJ "\nurl http://h/p\nsize 0\n"
				    "fetched 0\nexpires 0\nend\n" },
		{ "bad_upper_hex",
		  HEAD "url http://h/p\nobject "
		       "BA7816BF8F01CFEA414140DE5DAE2223B00361A3"
		       "96177A9CB410FF61F20015AD\nsize 0\n"
		       "fetched 0\nexpires 0\nend\n" },
		{ "bad_leading_zero", HEAD "url http://h/p\nobject " OBJ
					   "\nsize 01\nfetched 0\nexpires 0\n"
					   "end\n" },
		{ "bad_expires_first", HEAD "url http://h/p\nobject " OBJ
					    "\nsize 0\nfetched 9\nexpires 8\n"
					    "end\n" },
		{ "bad_file_url",
		  HEAD "url file:///etc/passwd\nobject " OBJ
		       "\nsize 0\nfetched 0\nexpires 0\nend\n" },
		{ "bad_fragment_url", HEAD "url http://h/p" PIN "\nobject " OBJ
					   "\nsize 0\nfetched 0\nexpires 0\n"
					   "end\n" },
		{ "bad_stray_space", HEAD "url http://h/p\nobject " OBJ
					  "\nsize 0\nfetched 0\nexpires 0\n"
					  "etag x \nend\n" },
		{ "bad_unknown_key", HEAD "url http://h/p\nobject " OBJ
					  "\nsize 0\nfetched 0\nexpires 0\n"
					  "path /etc/passwd\nend\n" },
		{ "ipv6_port_query",
		  HEAD "url http://[::1]:8080/p?v=2\nobject " OBJ
		       "\nsize 1\nfetched 10\nexpires 20\nend\n" },
		{ "bad_etag_too_long", HEAD
		  "url http://h/p\nobject " OBJ
		  "\nsize 0\nfetched 0\nexpires 0\netag " ETAG257 "\nend\n" },
		{ "bad_signed_number", HEAD "url http://h/p\nobject " OBJ
					    "\nsize +1\nfetched 0\nexpires 0\n"
					    "end\n" },
		{ "bad_number_overflow",
		  HEAD "url http://h/p\nobject " OBJ
		       "\nsize 9223372036854775808\nfetched 0"
		       "\nexpires 0\nend\n" },
		{ "bad_missing_url", HEAD "object " OBJ "\nsize 0\nfetched 0\n"
					  "expires 0\nend\n" },
		{ "bad_no_final_newline",
		  HEAD "url http://h/p\nobject " OBJ
		       "\nsize 0\nfetched 0\nexpires 0\n"
		       "end" },
		{ "bad_crlf",
		  "fakeos-cache-entry 1\r\nurl http://h/p\r\nend\r\n" },
		{ "bad_credentials_url", HEAD "url http://u:p@h/p\nobject " OBJ
					      "\nsize 0\nfetched 0\nexpires 0\n"
					      "end\n" },
		{ "bad_version", "fakeos-cache-entry 2\nend\n" },
		{ "bad_control_byte", HEAD "url http://h/p\x7f\nend\n" },
	};
	for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++)
		put_str("cache", entries[i].name, entries[i].s);
}

/* ---- headers ----------------------------------------------------------- */

static void headers_seeds(void)
{
	static const struct {
		const char *name;
		const char *s;
	} blocks[] = {
		{ "nginx_200",
		  "HTTP/1.1 200 OK\r\nServer: nginx\r\n"
		  "Content-Type: application/octet-stream\r\n"
		  "Content-Length: 33720\r\n"
		  "Last-Modified: Sat, 23 Nov 2024 10:00:00 GMT\r\n"
		  "Connection: keep-alive\r\nETag: \"6741a7d0-83b8\"\r\n"
		  "Accept-Ranges: bytes\r\n\r\n" },
		{ "not_modified", "HTTP/1.1 304 Not Modified\r\n"
				  "ETag: W/\"abc\"\r\n"
				  "Cache-Control: max-age=60\r\n\r\n" },
		{ "continue_then_200",
		  "HTTP/1.1 100 Continue\r\n\r\n"
		  "HTTP/1.1 200 OK\r\nETag: \"x\"\r\n\r\n" },
		{ "redirect_then_200", "HTTP/1.1 302 Found\r\nLocation: /b\r\n"
				       "ETag: \"old\"\r\n\r\nHTTP/2 200\r\n"
				       "cache-control: no-cache\r\n\r\n" },
		{ "cache_control_mix",
		  "HTTP/1.1 200 OK\r\nCache-Control: public, "
		  "max-age=\"300\", no-cache=\"Set-Cookie, X\"\r\n"
		  "Cache-Control: no-store\r\n\r\n" },
		{ "max_age_huge", "HTTP/1.1 200 OK\r\nCache-Control: "
				  "max-age=99999999999999999999999\r\n\r\n" },
		{ "max_age_twice", "HTTP/1.1 200 OK\r\nCache-Control: "
				   "max-age=10, max-age=20\r\n\r\n" },
		{ "max_age_bad", "HTTP/1.1 200 OK\r\nCache-Control: "
				 "max-age=-1, max-age=\"1\r\n\r\n" },
		{ "etag_control_char",
		  "HTTP/1.1 200 OK\r\nETag: \"a\x1b[2J\"\r\n"
		  "Last-Modified: \x7f\r\n\r\n" },
		{ "etag_empty_and_spaces", "HTTP/1.1 200 OK\r\nETag:    \r\n"
					   "Last-Modified:  \t x \t \r\n\r\n" },
		{ "folded_line", "HTTP/1.1 200 OK\r\nETag: \"a\"\r\n"
				 " continued\r\n\tmore\r\n\r\n" },
		{ "bad_status", "HTTP/1.1 2000 Too Big\r\nHTTP/1.1 20\r\n"
				"HTTP/\r\n\r\n" },
		{ "no_colon", "HTTP/1.1 200 OK\r\nETag \"a\"\r\njunk\r\n\r\n" },
		{ "bare_lf",
		  "HTTP/1.0 200 OK\nETAG: \"lf\"\nlast-modified: x\n\n" },
	};
	for (size_t i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++)
		put_str("headers", blocks[i].name, blocks[i].s);
	/* An ETag of FETCH_FIELD_MAX + 1 bytes. */
	char big[400];
	int n = snprintf(big, sizeof(big),
			 "HTTP/1.1 200 OK\r\nETag: %0257d"
			 "\r\n\r\n",
			 0);
	put("headers", "etag_too_long", big, (size_t)n);
}

/* ---- elf_sym ----------------------------------------------------------- */

/* The fixture with what a crash report reads: a build-id note, and
 * section headers naming a .symtab of two functions and its .strtab.
 * Each seed starts with the 8-byte address to symbolise. */
static void elf_sym_seed(const char *name, uint64_t addr, int breakage)
{
	static struct {
		uint64_t addr;
		struct img im;
	} in;
	struct img *im = &in.im;
	make_exec(im, 2);
	im->len = 1024;
	ph(im, 0)->p_filesz = ph(im, 0)->p_memsz = im->len;
	Elf64_Phdr *note = ph(im, 1);
	note->p_offset = 0x180;
	note->p_filesz = 16 + 20;
	uint32_t nh[3] = { 4, 20, 3 /* NT_GNU_BUILD_ID */ };
	memcpy(im->b + 0x180, nh, sizeof(nh));
	memcpy(im->b + 0x18c, "GNU", 4);
	for (int i = 0; i < 20; i++)
		im->b[0x190 + i] = (uint8_t)(0xb0 + i);
	/* .strtab at 0x1c0, .symtab at 0x200, section headers at 0x280. */
	memcpy(im->b + 0x1c0, "\0crash_inner\0main\0", 18);
	Elf64_Sym syms[3] = {
		{ 0 },
		{ .st_name = 1, .st_info = (STB_GLOBAL << 4 | STT_FUNC),
		  .st_value = BASE + 0x100, .st_size = 0x40 },
		{ .st_name = 13, .st_info = (STB_GLOBAL << 4 | STT_FUNC),
		  .st_value = BASE + 0x140, .st_size = 0x20 },
	};
	memcpy(im->b + 0x200, syms, sizeof(syms));
	Elf64_Shdr sh[3] = {
		{ 0 },
		{ .sh_type = SHT_SYMTAB, .sh_offset = 0x200,
		  .sh_size = sizeof(syms), .sh_link = 2,
		  .sh_entsize = sizeof(Elf64_Sym) },
		{ .sh_type = SHT_STRTAB, .sh_offset = 0x1c0, .sh_size = 18 },
	};
	if (breakage == 1)
		sh[1].sh_size = 0x10000; /* the table runs past the file */
	if (breakage == 2)
		sh[1].sh_link = 9; /* no such section */
	if (breakage == 3)
		syms[1].st_name = 0x7fff; /* a name past the strings */
	if (breakage == 4)
		nh[1] = 0x1000; /* a note past its segment */
	memcpy(im->b + 0x200, syms, sizeof(syms));
	memcpy(im->b + 0x180, nh, sizeof(nh));
	memcpy(im->b + 0x280, sh, sizeof(sh));
	eh(im)->e_shoff = 0x280;
	eh(im)->e_shentsize = sizeof(Elf64_Shdr);
	eh(im)->e_shnum = 3;
	eh(im)->e_shstrndx = 0;
	in.addr = addr;
	put("elf_sym", name, &in, sizeof(in.addr) + im->len);
}

static void elf_sym_seeds(void)
{
	elf_sym_seed("in_crash_inner", BASE + 0x14d - 0x40, 0);
	elf_sym_seed("in_main", BASE + 0x150, 0);
	elf_sym_seed("in_no_function", BASE + 0x10, 0);
	elf_sym_seed("bad_symtab_past_the_file", BASE + 0x110, 1);
	elf_sym_seed("bad_strtab_link", BASE + 0x110, 2);
	elf_sym_seed("bad_name_past_the_strings", BASE + 0x110, 3);
	elf_sym_seed("bad_note_past_its_segment", BASE + 0x110, 4);
}

/* ---- elf --------------------------------------------------------------- */

/* A static-pie: ET_DYN at 0 with a PT_DYNAMIC holding one tag. */
static void make_pie(struct img *im, int64_t tag)
{
	make_exec(im, 2);
	eh(im)->e_type = ET_DYN;
	eh(im)->e_entry = 0x100;
	ph(im, 0)->p_vaddr = 0;
	Elf64_Phdr *p = ph(im, 1);
	p->p_type = PT_DYNAMIC;
	p->p_offset = 0x180;
	p->p_filesz = 2 * sizeof(Elf64_Dyn);
	Elf64_Dyn d[2] = { { .d_tag = tag, .d_un.d_val = 1 },
			   { .d_tag = DT_NULL } };
	memcpy(im->b + 0x180, d, sizeof(d));
}

static void elf_seeds(void)
{
	const char *t = "elf";
	struct img im;

	make_exec(&im, 1);
	put(t, "static_exec", im.b, im.len);
	make_exec(&im, 3);
	ph(&im, 1)->p_type = PT_GNU_STACK;
	ph(&im, 1)->p_flags = PF_R | PF_W;
	put(t, "static_exec_stack_note", im.b, im.len);
	make_pie(&im, DT_FLAGS_1);
	put(t, "static_pie", im.b, im.len);
	make_exec(&im, 2);
	ph(&im, 1)->p_type = PT_LOAD;
	ph(&im, 1)->p_flags = PF_R | PF_W;
	ph(&im, 1)->p_offset = 0x100;
	ph(&im, 1)->p_vaddr = BASE + 0x1100;
	ph(&im, 1)->p_filesz = 0x80;
	ph(&im, 1)->p_memsz = 0x2000;
	put(t, "two_loads_bss", im.b, im.len);

	/* Refused, each for one reason. */
	make_exec(&im, 2);
	ph(&im, 1)->p_type = PT_INTERP;
	ph(&im, 1)->p_offset = 0x180;
	ph(&im, 1)->p_filesz = 28;
	memcpy(im.b + 0x180, "/lib64/ld-linux-x86-64.so.2", 28);
	put(t, "bad_interp", im.b, im.len);
	make_pie(&im, DT_NEEDED);
	put(t, "bad_needed", im.b, im.len);
	make_exec(&im, 1);
	ph(&im, 0)->p_flags = PF_R | PF_W | PF_X;
	put(t, "bad_wx_segment", im.b, im.len);
	make_exec(&im, 2);
	ph(&im, 1)->p_type = PT_GNU_STACK;
	ph(&im, 1)->p_flags = PF_R | PF_W | PF_X;
	put(t, "bad_exec_stack", im.b, im.len);
	make_exec(&im, 1);
	eh(&im)->e_entry = BASE + 0x10000;
	put(t, "bad_entry_outside", im.b, im.len);
	make_exec(&im, 1);
	ph(&im, 0)->p_filesz = 0x1000;
	ph(&im, 0)->p_memsz = 0x1000;
	put(t, "bad_segment_past_end", im.b, im.len);
	make_exec(&im, 1);
	put(t, "bad_truncated_header", im.b, 40);
	make_exec(&im, 1);
	eh(&im)->e_phnum = 200;
	put(t, "bad_too_many_phdrs", im.b, im.len);
	make_exec(&im, 1);
	eh(&im)->e_phnum = 0;
	put(t, "bad_no_phdrs", im.b, im.len);
	make_exec(&im, 1);
	eh(&im)->e_machine = EM_AARCH64;
	put(t, "bad_aarch64", im.b, im.len);
	make_exec(&im, 1);
	im.b[EI_CLASS] = ELFCLASS32;
	put(t, "bad_32_bit", im.b, im.len);
	make_exec(&im, 1);
	im.b[EI_DATA] = ELFDATA2MSB;
	put(t, "bad_big_endian", im.b, im.len);
	make_exec(&im, 1);
	eh(&im)->e_type = ET_REL;
	put(t, "bad_object_file", im.b, im.len);
	make_exec(&im, 1);
	ph(&im, 0)->p_type = PT_NOTE;
	put(t, "bad_no_load", im.b, im.len);
	make_exec(&im, 1);
	ph(&im, 0)->p_vaddr = UINT64_MAX - 0x10;
	put(t, "bad_wrapping_segment", im.b, im.len);
	put(t, "bad_script", "#!/bin/sh\necho hi\n", 18);
	put(t, "bad_html", "\n  <!DOCTYPE html><html></html>\n", 32);
	put(t, "bad_empty", "", 0);
}

/* ---- config ------------------------------------------------------------ */

/* fakeosd.conf, and a services.d file after a NUL (fuzz_config.c). */
#define CONF_MAIN                                                              \
	"# fakeosd.conf\n"                                                     \
	"pool = 8\n"                                                           \
	"cache-max = 2G\n"                                                     \
	"spawn-from = https://apps.example/lib/ file:///srv/fakeos/\n"         \
	"grace = 2.5s\n"                                                       \
	"\n"                                                                   \
	"[account]\n"                                                          \
	"programs = 64\n"                                                      \
	"memory = 128M\n"                                                      \
	"links = 256\n"                                                        \
	"services = 8\n"                                                       \
	"\n"                                                                   \
	"[account alice]\n"                                                    \
	"memory = 0\n"                                                         \
	"[account 1001]\n"                                                     \
	"programs = 2\n"
#define CONF_SERVICE                                                           \
	"url = https://apps.example/db#sha256=" PIN_HEX "\n"                   \
	"args = --port 5432 --name \"main db\" \\\"q\\\" a\\tb\n"               \
	"account = alice\n"                                                    \
	"memory = 1G\n"                                                        \
	"cpu = 1500ms\n"                                                       \
	"time-limit = 1h\n"                                                    \
	"publish = db db.admin\n"                                              \
	"restart = always\n"                                                   \
	"restart-delay = 250ms\n"                                              \
	"restart-delay-max = 5min\n"
#define PIN_HEX                                                                \
	"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

static void config_seeds(void)
{
	static const struct {
		const char *name;
		const char *s;
		size_t len;
	} confs[] = {
		{ "main", S(CONF_MAIN) },
		{ "main_and_service", S(CONF_MAIN "\0" CONF_SERVICE) },
		{ "service", S("\0" CONF_SERVICE) },
		{ "service_minimal", S("\0url = file:///srv/p\naccount = 0\n") },
		{ "crlf_no_final_newline",
		  S("pool=1\r\n\t# c\r\n[account root]\r\nlinks = 0") },
		{ "bad_unknown_key", S("pool = 4\npol = 4\n") },
		{ "bad_duplicate_key", S("pool = 4\npool = 5\n") },
		{ "bad_duplicate_account",
		  S("[account alice]\n[account 1000]\n") },
		{ "bad_section", S("[accounts]\n") },
		{ "bad_no_unit", S("grace = 10\n") },
		{ "bad_range", S("pool = 257\n") },
		{ "bad_control", S("pool = 4\x1b\n") },
		{ "bad_pinned_prefix", S("spawn-from = http://h/#sha256=" PIN_HEX
					 "\n") },
		{ "bad_quote", S("\0url = http://h/\naccount = 0\n"
				 "args = \"a b\n") },
		{ "bad_escape", S("\0url = http://h/\naccount = 0\n"
				  "args = a\\qb\n") },
		{ "bad_missing_url", S("\0account = root\n") },
		{ "bad_publish_name", S("\0url = http://h/\naccount = 0\n"
					"publish = a/b\n") },
		{ "bad_restart", S("\0url = http://h/\naccount = 0\n"
				   "restart = sometimes\n") },
		{ "bad_delays", S("\0url = http://h/\naccount = 0\n"
				  "restart-delay = 10min\n") },
		{ "bad_nul_in_service", S("\0url = http://h/\0\n") },
	};
	for (size_t i = 0; i < sizeof(confs) / sizeof(confs[0]); i++)
		put("config", confs[i].name, confs[i].s, confs[i].len);
}

/* ---- netbcast --------------------------------------------------------- */

/* A packet of payload bytes on channel, its signature 64 bytes of 0x5a
 * (the parser does not check it). */
static void nb_seed(const char *name, const char *channel, size_t payload,
		    uint64_t seq, int breakage)
{
	static uint8_t buf[NB_PACKET_MAX + 1],
		data[NB_PAYLOAD_MAX + NB_TAG_SIZE];
	static const uint8_t key[NB_KEY_SIZE] = { 7 }, inst[NB_INSTANCE_SIZE] = { 9 };
	struct nb_packet p = { .key = key, .instance = inst, .seq = seq,
			       .time_ms = 1800000000000ULL, .uid = 1000,
			       .chan_seq = 3, .data = data, .len = payload,
			       .encrypted = breakage == 4 };
	memset(data, 'd', sizeof(data));
	snprintf(p.channel, sizeof(p.channel), "%s", channel);
	size_t n;
	if (nb_build(&p, buf, &n) < 0)
		die(name);
	memset(buf + n, 0x5a, NB_SIG_SIZE);
	n += NB_SIG_SIZE;
	if (breakage == 1)
		buf[5] = 2; /* an unknown flag */
	if (breakage == 2)
		n--; /* one byte short */
	if (breakage == 3)
		buf[80 + strlen(channel) + 1] = 'x'; /* after the channel */
	put("netbcast", name, buf, n);
}

static void netbcast_seeds(void)
{
	nb_seed("empty", "news", 0, 1, 0);
	nb_seed("small", "news", 12, 2, 0);
	nb_seed("full", "storm.v2", NB_PAYLOAD_MAX, 1000, 0);
	nb_seed("bad_flags", "news", 5, 1, 1);
	nb_seed("bad_short", "news", 5, 1, 2);
	nb_seed("bad_channel_tail", "news", 5, 1, 3);
	nb_seed("encrypted", "news", 12 + NB_TAG_SIZE, 4, 4);
	nb_seed("encrypted_full", "news", NB_PAYLOAD_MAX + NB_TAG_SIZE, 5, 4);
}

/* ---- qframe ------------------------------------------------------------ */

/* 8 bytes that choose the pieces (fuzz_qframe.c), then a stream: count
 * datagrams of len bytes each, then tail bytes of one begun. */
static void qf_seed(const char *name, uint64_t cut, unsigned count,
		    size_t len, const uint8_t *tail, size_t tail_len)
{
	static uint8_t buf[8 + 4096 + 64];
	size_t n = 8;
	memcpy(buf, &cut, 8);
	for (unsigned i = 0; i < count && n + 2 + len + tail_len <= sizeof(buf);
	     i++) {
		buf[n++] = (uint8_t)(len >> 8);
		buf[n++] = (uint8_t)len;
		memset(buf + n, 'a' + (int)i % 26, len);
		n += len;
	}
	if (tail_len)
		memcpy(buf + n, tail, tail_len);
	n += tail_len;
	put("qframe", name, buf, n);
}

static void qframe_seeds(void)
{
	static const uint8_t zero[] = { 0, 0, 'x' }, big[] = { 0x10, 0x01 },
			     half[] = { 0x00, 0x20, 'h', 'a', 'l', 'f' };
	qf_seed("small", 12345, 5, 64, NULL, 0);
	qf_seed("one_byte", 7, 40, 1, NULL, 0);
	qf_seed("most", 99, 1, QFRAME_DGRAM_MAX - 2, NULL, 0);
	qf_seed("zero_length", 3, 2, 10, zero, sizeof(zero));
	qf_seed("over_the_most", 5, 1, 100, big, sizeof(big));
	qf_seed("cut_short", 11, 3, 30, half, sizeof(half));
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: make_seeds DIR [POLICY_FILE]\n");
		return 2;
	}
	root = argv[1];
	if (mkdir(root, 0755) < 0 && errno != EEXIST)
		die(root);
	proto_seeds();
	dproto_seeds();
	policy_seeds(argc == 3 ? argv[2] : NULL);
	url_seeds();
	cache_seeds();
	elf_seeds();
	elf_sym_seeds();
	headers_seeds();
	config_seeds();
	netbcast_seeds();
	qframe_seeds();
	printf("make_seeds: %u seeds in %s\n", written, root);
	return 0;
}
