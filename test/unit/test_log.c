/* test_log.c — the launcher's and the daemon's messages (src/log.c), as
 * written to stderr: fakeos-run's plain lines, which the integration tests
 * compare byte for byte, and fakeosd's journal lines with their
 * sd-daemon(3) priority. stderr is a pipe the test reads. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "log.h"

static int saved_stderr = -1;
static int pipe_read = -1;

static void capture_setup(void)
{
	int p[2];
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	saved_stderr = dup(STDERR_FILENO);
	ck_assert_int_ge(saved_stderr, 0);
	ck_assert_int_eq(dup2(p[1], STDERR_FILENO), STDERR_FILENO);
	close(p[1]);
	pipe_read = p[0];
	log_init("/usr/local/bin/fakeos-run");
	log_level = LOG_NORMAL;
	log_use_journal(false);
}

static void capture_teardown(void)
{
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	close(pipe_read);
}

/* Everything written to stderr since the last call. */
static const char *captured(void)
{
	static char buf[8192];
	int fl = fcntl(pipe_read, F_GETFL);
	fcntl(pipe_read, F_SETFL, fl | O_NONBLOCK);
	ssize_t n = read(pipe_read, buf, sizeof(buf) - 1);
	buf[n < 0 ? 0 : n] = '\0';
	fcntl(pipe_read, F_SETFL, fl);
	return buf;
}

static void log_each_level(void)
{
	log_error("%s: HTTP %d", "http://h/p", 404);
	log_warn("quota of %u reached", 8u);
	log_info("spawned %s", "x");
	log_debug("step %d", 2);
}

/* What fakeos-run prints today, unchanged. */
START_TEST(test_log_plain_lines_name_the_program)
{
	log_level = LOG_DEBUG;
	log_each_level();
	ck_assert_str_eq(captured(), "fakeos-run: http://h/p: HTTP 404\n"
				     "fakeos-run: warning: quota of 8 reached\n"
				     "fakeos-run: spawned x\n"
				     "fakeos-run: debug: step 2\n");
}
END_TEST

START_TEST(test_log_journal_lines_carry_the_sd_daemon_priority)
{
	log_level = LOG_DEBUG;
	log_use_journal(true);
	log_each_level();
	ck_assert_str_eq(captured(), "<3>http://h/p: HTTP 404\n"
				     "<4>warning: quota of 8 reached\n"
				     "<6>spawned x\n"
				     "<7>debug: step 2\n");
	log_use_journal(false);
	log_warn("back");
	ck_assert_str_eq(captured(), "fakeos-run: warning: back\n");
}
END_TEST

/* -q and -v filter the same way in both forms. */
START_TEST(test_log_journal_lines_follow_the_level)
{
	log_use_journal(true);
	log_level = LOG_QUIET;
	log_each_level();
	ck_assert_str_eq(captured(), "<3>http://h/p: HTTP 404\n");
	log_level = LOG_NORMAL;
	log_each_level();
	ck_assert_str_eq(captured(), "<3>http://h/p: HTTP 404\n"
				     "<4>warning: quota of 8 reached\n");
}
END_TEST

/* A newline in a URL or a name a program chose starts a line of the same
 * priority: no text can forge a line of another one. */
START_TEST(test_log_journal_prefixes_every_line_of_a_message)
{
	log_use_journal(true);
	log_warn("link to %s refused", "a\n<0>fake emergency\n");
	ck_assert_str_eq(captured(), "<4>warning: link to a\n"
				     "<4><0>fake emergency\n"
				     "<4> refused\n");
}
END_TEST

/* A message longer than a line is cut, and still ends with a newline. */
START_TEST(test_log_journal_cuts_a_long_message_to_one_write)
{
	char big[3000];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_use_journal(true);
	log_error("%s", big);
	const char *out = captured();
	size_t len = strlen(out);
	ck_assert_uint_le(len, 1024);
	ck_assert_uint_gt(len, 1000);
	ck_assert_int_eq(strncmp(out, "<3>xxx", 6), 0);
	ck_assert_int_eq(out[len - 1], '\n');
	ck_assert_ptr_null(memchr(out, '\n', len - 1));
}
END_TEST

START_TEST(test_log_fatal_is_an_error_line_and_exit_125)
{
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		log_use_journal(true);
		log_fatal("epoll_ctl: %s", "Bad file descriptor");
	}
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 125);
	ck_assert_str_eq(captured(), "<3>epoll_ctl: Bad file descriptor\n");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("log");
	TCase *t = tcase_create("log");
	tcase_add_checked_fixture(t, capture_setup, capture_teardown);
	tcase_add_test(t, test_log_plain_lines_name_the_program);
	tcase_add_test(t, test_log_journal_lines_carry_the_sd_daemon_priority);
	tcase_add_test(t, test_log_journal_lines_follow_the_level);
	tcase_add_test(t, test_log_journal_prefixes_every_line_of_a_message);
	tcase_add_test(t, test_log_journal_cuts_a_long_message_to_one_write);
	tcase_add_test(t, test_log_fatal_is_an_error_line_and_exit_125);
	suite_add_tcase(s, t);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
