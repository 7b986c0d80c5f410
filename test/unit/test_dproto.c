/* Unit tests for fakeosd's client protocol (src/dproto.c): each message
 * type in its direction, and every rule dproto_check applies, each with
 * the reason the daemon logs. */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client.h"
#include "dproto.h"

static union {
	struct dproto_hdr hdr;
	struct dproto_run run;
	struct dproto_signal sig;
	struct dproto_exit exit;
	struct dproto_list list;
	struct dproto_ctl ctl;
	struct dproto_list_reply lrep;
	struct dproto_ctl_reply crep;
	struct dproto_crash crash;
	struct dproto_crash_reply krep;
	unsigned char b[DPROTO_MAX + 16];
} m;

static const char *why;

/* A run of url and the given arguments; its length. */
static size_t make_run(const char *url, int argc, const char *const *args)
{
	memset(&m, 0, sizeof(m));
	char *s = m.run.strings;
	s = stpcpy(s, url) + 1;
	for (int i = 0; i < argc; i++)
		s = stpcpy(s, args[i]) + 1;
	size_t strings = (size_t)(s - m.run.strings);
	size_t n = sizeof(m.run) + strings;
	dproto_hdr_init(&m.hdr, DPROTO_RUN, (uint32_t)n);
	m.run.argc = (uint32_t)argc;
	m.run.strings_len = (uint32_t)strings;
	return n;
}

static void rejects(size_t n, int from_client, int ret, const char *reason)
{
	why = NULL;
	ck_assert_int_eq(dproto_check(&m, n, from_client, &why), ret);
	ck_assert_str_eq(why, reason);
}

START_TEST(test_dproto_a_run_is_accepted_and_gives_its_argv)
{
	const char *args[] = { "one", "", "three" };
	size_t n = make_run("https://h/app", 3, args);
	ck_assert_int_eq(dproto_check(&m, n, 1, &why), 0);
	char *argv[DPROTO_ARGC_MAX + 2];
	ck_assert_uint_eq(dproto_run_argv(&m.run, argv), 4);
	ck_assert_str_eq(argv[0], "https://h/app");
	ck_assert_str_eq(argv[1], "one");
	ck_assert_str_eq(argv[2], "");
	ck_assert_str_eq(argv[3], "three");
	ck_assert_ptr_null(argv[4]);
	/* Never from the daemon. */
	rejects(n, 0, -EPROTO, "a client's message type sent by the daemon");
}
END_TEST

START_TEST(test_dproto_run_fields_are_each_checked)
{
	size_t n = make_run("file:///x", 0, NULL);
	m.run.flags = 0x10;
	rejects(n, 1, -EPROTO, "run: unknown flags");
	n = make_run("file:///x", 0, NULL);
	m.run.log_level = 3;
	rejects(n, 1, -EPROTO, "run: log level out of range");
	n = make_run("file:///x", 0, NULL);
	m.run.reserved = 1;
	rejects(n, 1, -EPROTO, "run: reserved field is not zero");
	n = make_run("file:///x", 0, NULL);
	m.run.argc = 1;
	rejects(n, 1, -EPROTO, "run: strings do not hold a URL and argc "
			       "terminated arguments");
	n = make_run("file:///x", 0, NULL);
	m.run.argc = DPROTO_ARGC_MAX + 1;
	rejects(n, 1, -EPROTO, "run: too many arguments");
	n = make_run("file:///x", 0, NULL);
	m.run.strings_len--;
	rejects(n, 1, -EPROTO, "run: strings_len differs from the datagram's");
	n = make_run("", 0, NULL);
	rejects(n, 1, -EPROTO, "run: URL empty or longer than 4096 bytes");
	const char *args[] = { "a" };
	n = make_run("file:///x", 1, args);
	/* One more byte after the last argument's NUL. */
	m.run.strings[m.run.strings_len] = 'z';
	m.run.strings_len++;
	m.hdr.len++;
	rejects(n + 1, 1, -EPROTO, "run: bytes after the last argument");
}
END_TEST

START_TEST(test_dproto_a_url_of_4096_bytes_is_the_longest)
{
	static char url[DPROTO_URL_MAX + 2];
	memset(url, 'u', DPROTO_URL_MAX);
	url[DPROTO_URL_MAX] = '\0';
	size_t n = make_run(url, 0, NULL);
	ck_assert_int_eq(dproto_check(&m, n, 1, &why), 0);
	url[DPROTO_URL_MAX] = 'u';
	url[DPROTO_URL_MAX + 1] = '\0';
	n = make_run(url, 0, NULL);
	rejects(n, 1, -EPROTO, "run: URL empty or longer than 4096 bytes");
}
END_TEST

START_TEST(test_dproto_headers_are_checked_first)
{
	size_t n = make_run("file:///x", 0, NULL);
	rejects(7, 1, -EMSGSIZE, "shorter than a header");
	rejects(DPROTO_MAX + 1, 1, -EMSGSIZE, "longer than 64 KiB");
	m.hdr.version = 2;
	rejects(n, 1, -EPROTO, "unknown protocol version");
	m.hdr.version = DPROTO_VERSION;
	rejects(n - 1, 1, -EMSGSIZE, "header length differs from the "
				     "datagram's");
	/* 3, 4 and 5 are fakeosctl's requests, 65, 66 and 68 their
	 * replies; 64 is EXIT and 67 CONSOLE. */
	for (uint16_t type = 6; type < 1000; type++) {
		if (type >= 64 && type <= 68)
			continue;
		m.hdr.type = type;
		rejects(n, 1, -EPROTO, "unknown message type");
	}
}
END_TEST

START_TEST(test_dproto_signals_are_the_four_that_end_a_run)
{
	const int ok[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	for (size_t i = 0; i < 4; i++) {
		memset(&m, 0, sizeof(m));
		dproto_hdr_init(&m.hdr, DPROTO_SIGNAL, sizeof(m.sig));
		m.sig.sig = ok[i];
		ck_assert_int_eq(dproto_check(&m, sizeof(m.sig), 1, &why), 0);
	}
	m.sig.sig = SIGKILL;
	rejects(sizeof(m.sig), 1, -EPROTO,
		"signal: not SIGINT, SIGTERM, SIGHUP or SIGQUIT");
	m.sig.sig = SIGINT;
	m.sig.reserved = 1;
	rejects(sizeof(m.sig), 1, -EPROTO, "signal: reserved field is not zero");
	m.sig.reserved = 0;
	m.hdr.len = sizeof(m.sig) + 4;
	rejects(sizeof(m.sig) + 4, 1, -EMSGSIZE, "wrong length for its type");
}
END_TEST

START_TEST(test_dproto_console_comes_only_from_the_daemon_and_is_bare)
{
	memset(&m, 0, sizeof(m));
	struct dproto_console *c = (void *)&m;
	dproto_hdr_init(&c->hdr, DPROTO_CONSOLE, sizeof(*c));
	ck_assert_int_eq(dproto_check(&m, sizeof(*c), 0, &why), 0);
	rejects(sizeof(*c), 1, -EPROTO,
		"a daemon's message type sent by a client");
	c->reserved[1] = 1;
	rejects(sizeof(*c), 0, -EPROTO, "console: reserved field is not zero");
	c->reserved[1] = 0;
	c->hdr.len = sizeof(*c) + 8;
	rejects(sizeof(*c) + 8, 0, -EMSGSIZE, "wrong length for its type");
}
END_TEST

START_TEST(test_dproto_exit_comes_only_from_the_daemon_with_a_status)
{
	memset(&m, 0, sizeof(m));
	dproto_hdr_init(&m.hdr, DPROTO_EXIT, sizeof(m.exit));
	m.exit.status = 255;
	ck_assert_int_eq(dproto_check(&m, sizeof(m.exit), 0, &why), 0);
	rejects(sizeof(m.exit), 1, -EPROTO,
		"a daemon's message type sent by a client");
	m.exit.status = 256;
	rejects(sizeof(m.exit), 0, -EPROTO, "exit: bad status");
	m.exit.status = -1;
	rejects(sizeof(m.exit), 0, -EPROTO, "exit: bad status");
}
END_TEST

START_TEST(test_dproto_a_listing_request_names_a_known_listing)
{
	memset(&m, 0, sizeof(m));
	dproto_hdr_init(&m.hdr, DPROTO_LIST, sizeof(m.list));
	for (uint32_t w = DPROTO_LIST_PROGRAMS; w <= DPROTO_LIST_CRASHES;
	     w++) {
		m.list.what = w;
		ck_assert_int_eq(dproto_check(&m, sizeof(m.list), 1, &why), 0);
	}
	rejects(sizeof(m.list), 0, -EPROTO,
		"a client's message type sent by the daemon");
	rejects(sizeof(m.list) + 1, 1, -EMSGSIZE,
		"header length differs from the datagram's");
	m.list.what = 0;
	rejects(sizeof(m.list), 1, -EPROTO, "list: unknown listing");
	m.list.what = 5;
	rejects(sizeof(m.list), 1, -EPROTO, "list: unknown listing");
	m.list.what = 1;
	m.list.reserved = 1;
	rejects(sizeof(m.list), 1, -EPROTO, "list: reserved field is not zero");
}
END_TEST

static size_t make_ctl(uint32_t op, const char *name)
{
	memset(&m, 0, sizeof(m));
	dproto_hdr_init(&m.hdr, DPROTO_CTL, sizeof(m.ctl));
	m.ctl.op = op;
	strcpy(m.ctl.name, name);
	return sizeof(m.ctl);
}

START_TEST(test_dproto_a_control_names_an_operation_and_a_service)
{
	size_t n = make_ctl(DPROTO_CTL_STOP, "db-1.main_x");
	ck_assert_int_eq(dproto_check(&m, n, 1, &why), 0);
	rejects(n, 0, -EPROTO, "a client's message type sent by the daemon");
	make_ctl(DPROTO_CTL_RELOAD, "");
	ck_assert_int_eq(dproto_check(&m, n, 1, &why), 0);
	make_ctl(DPROTO_CTL_RELOAD, "db");
	rejects(n, 1, -EPROTO, "ctl: not a service name (none for reload)");
	make_ctl(DPROTO_CTL_RESTART, "");
	rejects(n, 1, -EPROTO, "ctl: not a service name (none for reload)");
	make_ctl(DPROTO_CTL_START, "a/b");
	rejects(n, 1, -EPROTO, "ctl: not a service name (none for reload)");
	make_ctl(DPROTO_CTL_START, "db");
	m.ctl.name[10] = 'x'; /* after the NUL */
	rejects(n, 1, -EPROTO, "ctl: name not terminated, or bytes after it");
	memset(m.ctl.name, 'a', sizeof(m.ctl.name));
	rejects(n, 1, -EPROTO, "ctl: name not terminated, or bytes after it");
	make_ctl(0, "db");
	rejects(n, 1, -EPROTO, "ctl: unknown operation");
	make_ctl(5, "db");
	rejects(n, 1, -EPROTO, "ctl: unknown operation");
	make_ctl(DPROTO_CTL_STOP, "db");
	m.ctl.reserved = 1;
	rejects(n, 1, -EPROTO, "ctl: reserved field is not zero");
	make_ctl(DPROTO_CTL_STOP, "db");
	rejects(n - 1, 1, -EMSGSIZE, "header length differs from the datagram's");
}
END_TEST

START_TEST(test_dproto_replies_carry_printable_text_only)
{
	memset(&m, 0, sizeof(m));
	const char text[] = "ID URL\n1 file:///x\n";
	size_t n = sizeof(m.lrep) + strlen(text);
	dproto_hdr_init(&m.hdr, DPROTO_LIST_REPLY, (uint32_t)n);
	m.lrep.last = 1;
	m.lrep.text_len = (uint32_t)strlen(text);
	memcpy(m.lrep.text, text, strlen(text));
	ck_assert_int_eq(dproto_check(&m, n, 0, &why), 0);
	rejects(n, 1, -EPROTO, "a daemon's message type sent by a client");
	m.lrep.text[3] = '\033';
	rejects(n, 0, -EPROTO, "list reply: text is not whole printable lines");
	m.lrep.text[3] = 'U';
	m.lrep.text[n - sizeof(m.lrep) - 1] = 'x'; /* no final newline */
	rejects(n, 0, -EPROTO, "list reply: text is not whole printable lines");
	m.lrep.text[n - sizeof(m.lrep) - 1] = '\n';
	m.lrep.last = 2;
	rejects(n, 0, -EPROTO, "list reply: last is neither 0 nor 1");
	m.lrep.last = 0;
	m.lrep.text_len++;
	rejects(n, 0, -EPROTO, "list reply: text_len differs from the datagram's");

	memset(&m, 0, sizeof(m));
	dproto_hdr_init(&m.hdr, DPROTO_CTL_REPLY, sizeof(m.crep));
	m.crep.status = -EPERM;
	strcpy(m.crep.msg, "only root may stop services");
	ck_assert_int_eq(dproto_check(&m, sizeof(m.crep), 0, &why), 0);
	rejects(sizeof(m.crep), 1, -EPROTO,
		"a daemon's message type sent by a client");
	m.crep.status = 1;
	rejects(sizeof(m.crep), 0, -EPROTO, "ctl reply: bad status");
	m.crep.status = 0;
	m.crep.msg[0] = '\n';
	rejects(sizeof(m.crep), 0, -EPROTO,
		"ctl reply: message not printable text ending in a NUL");
	m.crep.msg[0] = 'o';
	m.crep.msg[200] = 'x';
	rejects(sizeof(m.crep), 0, -EPROTO,
		"ctl reply: message not printable text ending in a NUL");
}
END_TEST

START_TEST(test_dproto_a_crash_request_names_one_report)
{
	memset(&m, 0, sizeof(m));
	dproto_hdr_init(&m.hdr, DPROTO_CRASH, sizeof(m.crash));
	m.crash.id = 1;
	ck_assert_int_eq(dproto_check(&m, sizeof(m.crash), 1, &why), 0);
	m.crash.id = UINT32_MAX;
	ck_assert_int_eq(dproto_check(&m, sizeof(m.crash), 1, &why), 0);
	rejects(sizeof(m.crash), 0, -EPROTO,
		"a client's message type sent by the daemon");
	m.crash.id = 0;
	rejects(sizeof(m.crash), 1, -EPROTO, "crash: id 0 names no report");
	m.crash.id = 3;
	m.crash.reserved = 1;
	rejects(sizeof(m.crash), 1, -EPROTO,
		"crash: reserved field is not zero");
	m.crash.reserved = 0;
	dproto_hdr_init(&m.hdr, DPROTO_CRASH, sizeof(m.crash) + 4);
	rejects(sizeof(m.crash) + 4, 1, -EMSGSIZE, "wrong length for its type");
}
END_TEST

START_TEST(test_dproto_a_crash_reply_is_printable_ascii_or_an_error)
{
	memset(&m, 0, sizeof(m));
	const char text[] = "{\"format\":\"fakeos-crash-1\",\"uid\":0}";
	size_t n = sizeof(m.krep) + strlen(text);
	dproto_hdr_init(&m.hdr, DPROTO_CRASH_REPLY, (uint32_t)n);
	m.krep.text_len = (uint32_t)strlen(text);
	memcpy(m.krep.text, text, strlen(text));
	/* A piece need not end a line: pieces make up the file. */
	ck_assert_int_eq(dproto_check(&m, n, 0, &why), 0);
	rejects(n, 1, -EPROTO, "a daemon's message type sent by a client");
	m.krep.text[5] = '\033';
	rejects(n, 0, -EPROTO, "crash reply: text is not printable ASCII");
	m.krep.text[5] = (char)0xc3; /* a report is ASCII: no UTF-8 */
	rejects(n, 0, -EPROTO, "crash reply: text is not printable ASCII");
	m.krep.text[5] = '\n';
	ck_assert_int_eq(dproto_check(&m, n, 0, &why), 0);
	m.krep.last = 2;
	rejects(n, 0, -EPROTO, "crash reply: last is neither 0 nor 1");
	m.krep.last = 1;
	m.krep.text_len--;
	rejects(n, 0, -EPROTO,
		"crash reply: text_len differs from the datagram's");
	m.krep.text_len++;
	m.krep.reserved = 1;
	rejects(n, 0, -EPROTO, "crash reply: bad status or reserved field");
	m.krep.reserved = 0;
	m.krep.status = -ENOENT;
	rejects(n, 0, -EPROTO, "crash reply: an error with text, or not last");
	/* An error: no text, and the last datagram. */
	memset(&m, 0, sizeof(m));
	dproto_hdr_init(&m.hdr, DPROTO_CRASH_REPLY, sizeof(m.krep));
	m.krep.status = -ENOENT;
	m.krep.last = 1;
	ck_assert_int_eq(dproto_check(&m, sizeof(m.krep), 0, &why), 0);
	m.krep.last = 0;
	rejects(sizeof(m.krep), 0, -EPROTO,
		"crash reply: an error with text, or not last");
	m.krep.last = 1;
	m.krep.status = 2;
	rejects(sizeof(m.krep), 0, -EPROTO,
		"crash reply: bad status or reserved field");
	rejects(sizeof(m.krep) - 1, 0, -EMSGSIZE,
		"header length differs from the datagram's");
}
END_TEST

/* The daemon sends EXIT and closes its end while a message of the
 * client's is still unread there (here: the RUN itself; in life a second
 * signal). The kernel then reports ECONNRESET once before the EXIT it
 * queued: the client reads on, and exits with the run's status, not with
 * "fakeosd ended before the program did" (125). */
START_TEST(test_dproto_client_reads_the_exit_past_a_connection_reset)
{
	int sv[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	pid_t daemon = fork();
	ck_assert_int_ge(daemon, 0);
	if (daemon == 0) {
		close(sv[0]);
		struct pollfd pf = { sv[1], POLLIN, 0 };
		if (poll(&pf, 1, 5000) != 1) /* the RUN is there, unread */
			_exit(1);
		struct dproto_exit x;
		memset(&x, 0, sizeof(x));
		dproto_hdr_init(&x.hdr, DPROTO_EXIT, sizeof(x));
		x.status = 7;
		_exit(send(sv[1], &x, sizeof(x), 0) == sizeof(x) ? 0 : 1);
	}
	close(sv[1]);
	struct broker_opts o;
	memset(&o, 0, sizeof(o));
	char *argv[] = { "file:///x", NULL };
	ck_assert_int_eq(client_run(sv[0], &o, argv[0], argv), 7);
	int st;
	ck_assert_int_eq(waitpid(daemon, &st, 0), daemon);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dproto");
	TCase *t = tcase_create("core");
	tcase_add_test(t, test_dproto_a_run_is_accepted_and_gives_its_argv);
	tcase_add_test(t, test_dproto_run_fields_are_each_checked);
	tcase_add_test(t, test_dproto_a_url_of_4096_bytes_is_the_longest);
	tcase_add_test(t, test_dproto_headers_are_checked_first);
	tcase_add_test(t, test_dproto_a_crash_request_names_one_report);
	tcase_add_test(t, test_dproto_a_crash_reply_is_printable_ascii_or_an_error);
	tcase_add_test(t, test_dproto_signals_are_the_four_that_end_a_run);
	tcase_add_test(t, test_dproto_exit_comes_only_from_the_daemon_with_a_status);
	tcase_add_test(t, test_dproto_console_comes_only_from_the_daemon_and_is_bare);
	tcase_add_test(t, test_dproto_a_listing_request_names_a_known_listing);
	tcase_add_test(t, test_dproto_a_control_names_an_operation_and_a_service);
	tcase_add_test(t, test_dproto_replies_carry_printable_text_only);
	tcase_add_test(t, test_dproto_client_reads_the_exit_past_a_connection_reset);
	suite_add_tcase(s, t);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
