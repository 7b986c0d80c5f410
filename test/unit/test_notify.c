/* test_notify.c — fakeosd's sd_notify messages (src/notify.c), read as
 * systemd would read them: from an AF_UNIX datagram socket of the test's
 * own, named by NOTIFY_SOCKET. PID 1 on the test machines is not systemd,
 * so this socket stands in for it. */
#include <check.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "notify.h"

static char sock_dir[] = "/tmp/test_notify.XXXXXX";
static char sock_path[sizeof(sock_dir) + 16];
static int sock = -1;

/* A fresh socket for each test, and NOTIFY_SOCKET naming it. */
static void socket_setup(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	ck_assert_ptr_nonnull(mkdtemp(strcpy(sock_dir, "/tmp/test_notify.XXXXXX")));
	snprintf(sock_path, sizeof(sock_path), "%s/notify", sock_dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(sock, 0);
	ck_assert_int_eq(bind(sock, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", sock_path, 1), 0);
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
}

static void socket_teardown(void)
{
	close(sock);
	unlink(sock_path);
	rmdir(sock_dir);
	unsetenv("NOTIFY_SOCKET");
}

/* The next datagram, as a string; "" if none came within a second. */
static const char *received(void)
{
	static char buf[4096];
	struct pollfd pf = { sock, POLLIN, 0 };
	buf[0] = '\0';
	if (poll(&pf, 1, 1000) == 1) {
		ssize_t n = recv(sock, buf, sizeof(buf) - 1, MSG_DONTWAIT);
		buf[n < 0 ? 0 : n] = '\0';
	}
	return buf;
}

/* Nothing more is waiting on the socket. */
static void assert_nothing_more(void)
{
	char c;
	ck_assert_int_lt(recv(sock, &c, 1, MSG_DONTWAIT), 0);
	ck_assert_int_eq(errno, EAGAIN);
}

START_TEST(test_notify_ready_sends_ready_and_status_in_one_datagram)
{
	ck_assert_int_eq(notify_ready("serving 3 services"), 0);
	ck_assert_str_eq(received(), "READY=1\nSTATUS=serving 3 services");
	ck_assert_int_eq(notify_ready(NULL), 0);
	ck_assert_str_eq(received(), "READY=1");
	assert_nothing_more();
}
END_TEST

START_TEST(test_notify_status_formats_one_line)
{
	ck_assert_int_eq(notify_status("%d programs, %s", 12, "pool full"), 0);
	ck_assert_str_eq(received(), "STATUS=12 programs, pool full");
	assert_nothing_more();
}
END_TEST

/* A name from the configuration cannot add a field of its own. */
START_TEST(test_notify_status_cannot_inject_a_field)
{
	ck_assert_int_eq(notify_status("starting %s", "web\nSTOPPING=1\r"), 0);
	ck_assert_str_eq(received(), "STATUS=starting web STOPPING=1 ");
	ck_assert_int_eq(notify_ready("a\nREADY=0"), 0);
	ck_assert_str_eq(received(), "READY=1\nSTATUS=a READY=0");
	assert_nothing_more();
}
END_TEST

START_TEST(test_notify_reload_sends_reloading_then_ready)
{
	ck_assert_int_eq(notify_reloading(), 0);
	/* systemd 252 knows no MONOTONIC_USEC= (notify-reload is 253's). */
	ck_assert_str_eq(received(), "RELOADING=1");
	ck_assert_int_eq(notify_ready_again(), 0);
	ck_assert_str_eq(received(), "READY=1");
	assert_nothing_more();
}
END_TEST

START_TEST(test_notify_stopping_and_watchdog_send_their_fields)
{
	ck_assert_int_eq(notify_stopping(), 0);
	ck_assert_str_eq(received(), "STOPPING=1");
	ck_assert_int_eq(notify_watchdog(), 0);
	ck_assert_str_eq(received(), "WATCHDOG=1");
	assert_nothing_more();
}
END_TEST

START_TEST(test_notify_watchdog_usec_reads_the_interval_for_this_pid)
{
	uint64_t usec = 7;
	char pid[32];

	/* No WatchdogSec=: no interval. */
	ck_assert_int_eq(notify_watchdog_usec(&usec), 0);
	ck_assert_uint_eq(usec, 0);

	/* WATCHDOG_PID unset: the interval is ours. */
	setenv("WATCHDOG_USEC", "20000000", 1);
	ck_assert_int_eq(notify_watchdog_usec(&usec), 0);
	ck_assert_uint_eq(usec, 20000000);

	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	usec = 0;
	ck_assert_int_eq(notify_watchdog_usec(&usec), 0);
	ck_assert_uint_eq(usec, 20000000);

	/* Meant for another process (a parent): not ours. */
	snprintf(pid, sizeof(pid), "%d", (int)getpid() + 1);
	setenv("WATCHDOG_PID", pid, 1);
	usec = 7;
	ck_assert_int_eq(notify_watchdog_usec(&usec), 0);
	ck_assert_uint_eq(usec, 0);

	unsetenv("WATCHDOG_PID");
	setenv("WATCHDOG_USEC", "twenty", 1);
	ck_assert_int_eq(notify_watchdog_usec(&usec), -EINVAL);
	ck_assert_uint_eq(usec, 0);
	/* The variables stay for the next call (unset_environment 0). */
	ck_assert_str_eq(getenv("WATCHDOG_USEC"), "twenty");
	assert_nothing_more();
}
END_TEST

/* fakeosd run by hand, or by the tests: nothing to tell, and no error. */
START_TEST(test_notify_without_notify_socket_does_nothing)
{
	uint64_t usec = 7;
	unsetenv("NOTIFY_SOCKET");
	setenv("WATCHDOG_USEC", "20000000", 1);
	ck_assert_int_eq(notify_ready("up"), 0);
	ck_assert_int_eq(notify_status("x"), 0);
	ck_assert_int_eq(notify_reloading(), 0);
	ck_assert_int_eq(notify_ready_again(), 0);
	ck_assert_int_eq(notify_stopping(), 0);
	ck_assert_int_eq(notify_watchdog(), 0);
	ck_assert_int_eq(notify_watchdog_usec(&usec), 0);
	ck_assert_uint_eq(usec, 0);
	assert_nothing_more();
}
END_TEST

START_TEST(test_notify_to_a_missing_socket_is_an_errno)
{
	char gone[sizeof(sock_path) + 8];
	snprintf(gone, sizeof(gone), "%s.gone", sock_path);
	setenv("NOTIFY_SOCKET", gone, 1);
	ck_assert_int_eq(notify_ready(NULL), -ENOENT);
	ck_assert_int_eq(notify_stopping(), -ENOENT);
	/* Not an absolute path nor an abstract name. */
	setenv("NOTIFY_SOCKET", "relative/notify", 1);
	ck_assert_int_eq(notify_watchdog(), -EINVAL);
	assert_nothing_more();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("notify");
	TCase *t = tcase_create("notify");
	tcase_add_checked_fixture(t, socket_setup, socket_teardown);
	tcase_add_test(t, test_notify_ready_sends_ready_and_status_in_one_datagram);
	tcase_add_test(t, test_notify_status_formats_one_line);
	tcase_add_test(t, test_notify_status_cannot_inject_a_field);
	tcase_add_test(t, test_notify_reload_sends_reloading_then_ready);
	tcase_add_test(t, test_notify_stopping_and_watchdog_send_their_fields);
	tcase_add_test(t, test_notify_watchdog_usec_reads_the_interval_for_this_pid);
	tcase_add_test(t, test_notify_without_notify_socket_does_nothing);
	tcase_add_test(t, test_notify_to_a_missing_socket_is_an_errno);
	suite_add_tcase(s, t);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
