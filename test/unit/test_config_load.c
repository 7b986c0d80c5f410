/* test_config_load.c — config_load (src/config_load.c): the files of a
 * configuration directory read in order, and its rule that only files no
 * one but root could change are read, each refusal naming the file. Each
 * test runs in its own mkdtemp directory under /tmp, removed afterwards;
 * as root it chowns and chmods what it creates. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config_fixture.h"

static char tmp[64]; /* the mkdtemp directory: DIR */

static void setup_dir(void)
{
	setup_text();
	snprintf(tmp, sizeof(tmp), "/tmp/test_config.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	ck_assert_int_eq(chmod(tmp, 0755), 0);
}

static void teardown_dir(void)
{
	char cmd[200];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	ck_assert_int_eq(system(cmd), 0);
	teardown_text();
}

static void put(const char *rel, const char *text, mode_t mode)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", tmp, rel);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write_full(fd, text, strlen(text)), 0);
	ck_assert_int_eq(fchmod(fd, mode), 0);
	ck_assert_int_eq(close(fd), 0);
}

static void mkdir_in(const char *rel, mode_t mode)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", tmp, rel);
	ck_assert_int_eq(mkdir(path, mode), 0);
	ck_assert_int_eq(chmod(path, mode), 0);
}

static void chown_in(const char *rel, uid_t uid)
{
	char path[256];
	snprintf(path, sizeof(path), "%s%s%s", tmp, *rel ? "/" : "", rel);
	ck_assert_int_eq(lchown(path, uid, (gid_t)-1), 0);
}

/* A good tree: fakeosd.conf and two services. */
static void good_tree(void)
{
	put("fakeosd.conf", "pool = 2\n[account root]\nmemory = 64M\n", 0644);
	mkdir_in("services.d", 0755);
	put("services.d/web.conf",
	    "url = http://127.0.0.1/web\naccount = root\n", 0644);
	put("services.d/db.conf",
	    "url = file:///srv/db\naccount = 0\npublish = db\n", 0600);
}

static int load(uid_t owner)
{
	memset(&err, 0, sizeof(err));
	return config_load(tmp, owner, &c, &err);
}

/* The load must fail with exactly "DIR/" + rel + rest. */
static void load_fails(uid_t owner, int code, const char *rel,
		       const char *rest)
{
	int r = load(owner);
	ck_assert_msg(r < 0, "load succeeded; expected '%s%s'", rel, rest);
	ck_assert_int_eq(r, code);
	char want[512];
	snprintf(want, sizeof(want), "%s%s%s%s", tmp, *rel ? "/" : "", rel,
		 rest);
	ck_assert_str_eq(err.msg, want);
	/* A failed load leaves the defaults and nothing else. */
	ck_assert_uint_eq(c.nservices, 0);
	ck_assert_uint_eq(c.naccounts, 0);
	ck_assert_uint_eq(c.pool, CONFIG_DEFAULT_POOL);
}

#define REASON ": fakeosd reads only files that only root can change"

START_TEST(test_config_load_reads_the_main_file_and_services_in_name_order)
{
	good_tree();
	put("services.d/README", "not a service\n", 0644);
	put("services.d/web.conf~", "url = nonsense\n", 0666);
	mkdir_in("services.d/old", 0777);
	/* A name that would retitle a terminal, shown harmless. */
	put("services.d/\x1b]0;owned\x07", "", 0644);
	/* A long name is named whole. */
	char longname[128] = "services.d/";
	memset(longname + 11, 'x', 100);
	put(longname, "", 0644);
	ck_assert_int_eq(load(0), 0);
	ck_assert_uint_eq(c.pool, 2);
	ck_assert_uint_eq(c.nservices, 2);
	ck_assert_str_eq(c.services[0].name, "db");
	ck_assert_str_eq(c.services[1].name, "web");
	char path[256];
	snprintf(path, sizeof(path), "%s/services.d/web.conf", tmp);
	ck_assert_str_eq(c.services[1].path, path);
	ck_assert_uint_eq(c.services[1].memory, 64ULL << 20);
	ck_assert_uint_eq(c.warnings.n, 5);
	char want[256];
	snprintf(want, sizeof(want),
		 "%s/services.d/?]0;owned?: ignored: only NAME.conf files are "
		 "read",
		 tmp);
	ck_assert_str_eq(c.warnings.v[0], want);
	snprintf(want, sizeof(want),
		 "%s/services.d/README: ignored: only NAME.conf files are read",
		 tmp);
	ck_assert_str_eq(c.warnings.v[1], want);
	snprintf(want, sizeof(want),
		 "%s/services.d/old: ignored: only NAME.conf files are read",
		 tmp);
	ck_assert_str_eq(c.warnings.v[2], want);
	snprintf(want, sizeof(want),
		 "%s/services.d/web.conf~: ignored: only NAME.conf files are "
		 "read",
		 tmp);
	ck_assert_str_eq(c.warnings.v[3], want);
	snprintf(want, sizeof(want),
		 "%s/%s: ignored: only NAME.conf files are read", tmp, longname);
	ck_assert_str_eq(c.warnings.v[4], want);
}
END_TEST

START_TEST(test_config_load_without_services_d_has_no_services)
{
	put("fakeosd.conf", "", 0644);
	ck_assert_int_eq(load(0), 0);
	ck_assert_uint_eq(c.nservices, 0);
	ck_assert_uint_eq(c.warnings.n, 0);
}
END_TEST

START_TEST(test_config_load_without_the_main_file_fails)
{
	mkdir_in("services.d", 0755);
	load_fails(0, -ENOENT, "fakeosd.conf", ": No such file or directory");
}
END_TEST

START_TEST(test_config_load_refuses_files_writable_by_group_or_others)
{
	good_tree();
	ck_assert_int_eq(load(0), 0);
	config_free(&c);
	put("services.d/db.conf", "url = file:///db\naccount = 0\n", 0664);
	load_fails(0, -EPERM, "services.d/db.conf",
		   " is writable by group (mode 0664)" REASON);
	put("services.d/db.conf", "url = file:///db\naccount = 0\n", 0646);
	load_fails(0, -EPERM, "services.d/db.conf",
		   " is writable by others (mode 0646)" REASON);
	put("services.d/db.conf", "url = file:///db\naccount = 0\n", 0600);
	put("fakeosd.conf", "", 0666);
	load_fails(0, -EPERM, "fakeosd.conf",
		   " is writable by group and others (mode 0666)" REASON);
}
END_TEST

START_TEST(test_config_load_refuses_writable_directories)
{
	good_tree();
	/* services.d: anyone could add a service. Sticky does not help. */
	ck_assert_int_eq(chmod(tmp, 0755), 0);
	char path[256];
	snprintf(path, sizeof(path), "%s/services.d", tmp);
	ck_assert_int_eq(chmod(path, 01777), 0);
	load_fails(0, -EPERM, "services.d",
		   " is writable by group and others (mode 1777)" REASON);
	ck_assert_int_eq(chmod(path, 0775), 0);
	load_fails(0, -EPERM, "services.d",
		   " is writable by group (mode 0775)" REASON);
	ck_assert_int_eq(chmod(path, 0755), 0);
	/* DIR: anyone could replace fakeosd.conf or services.d. */
	ck_assert_int_eq(chmod(tmp, 0757), 0);
	load_fails(0, -EPERM, "", " is writable by others (mode 0757)" REASON);
}
END_TEST

START_TEST(test_config_load_refuses_a_writable_directory_above_dir)
{
	/* tmp/up/etc/fakeos with tmp/up writable by others, not sticky:
	 * another user could rename etc away and put their own there. */
	mkdir_in("up", 0757);
	mkdir_in("up/etc", 0755);
	mkdir_in("up/etc/fakeos", 0755);
	char dir[256];
	snprintf(dir, sizeof(dir), "%s/up/etc/fakeos", tmp);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	int f = openat(fd, "fakeosd.conf", O_WRONLY | O_CREAT | O_CLOEXEC,
		       0644);
	ck_assert_int_ge(f, 0);
	close(f);
	close(fd);
	int r = config_load(dir, 0, &c, &err);
	ck_assert_int_eq(r, -EPERM);
	char want[512];
	snprintf(want, sizeof(want),
		 "%s/up is writable by others (mode 0757)" REASON, tmp);
	ck_assert_str_eq(err.msg, want);
	/* Sticky, as /tmp is (and /tmp is above every test's DIR): no one
	 * else can rename what is in it. */
	snprintf(want, sizeof(want), "%s/up", tmp);
	ck_assert_int_eq(chmod(want, 01757), 0);
	ck_assert_int_eq(config_load(dir, 0, &c, &err), 0);
	/* Owned by another user, it is that user's to replace. */
	ck_assert_int_eq(chmod(want, 0755), 0);
	ck_assert_int_eq(chown(want, 4321, (gid_t)-1), 0);
	config_free(&c);
	r = config_load(dir, 0, &c, &err);
	ck_assert_int_eq(r, -EPERM);
	snprintf(want, sizeof(want),
		 "%s/up is owned by uid 4321, not root" REASON, tmp);
	ck_assert_str_eq(err.msg, want);
}
END_TEST

START_TEST(test_config_load_refuses_files_of_another_owner)
{
	good_tree();
	chown_in("services.d/web.conf", 1000);
	load_fails(0, -EPERM, "services.d/web.conf",
		   " is owned by uid 1000, not root" REASON);
	chown_in("services.d/web.conf", 0);
	chown_in("services.d", 1000);
	load_fails(0, -EPERM, "services.d",
		   " is owned by uid 1000, not root" REASON);
	/* Tests run the daemon with their own owner: then root's files are
	 * the wrong owner's, and that owner's files are right. */
	load_fails(4321, -EPERM, "", " is owned by uid 0, not uid 4321" REASON);
	chown_in("", 4321);
	chown_in("fakeosd.conf", 4321);
	chown_in("services.d", 4321);
	chown_in("services.d/db.conf", 4321);
	load_fails(4321, -EPERM, "services.d/web.conf",
		   " is owned by uid 0, not uid 4321" REASON);
	chown_in("services.d/web.conf", 4321);
	ck_assert_int_eq(load(4321), 0);
	ck_assert_uint_eq(c.nservices, 2);
}
END_TEST

START_TEST(test_config_load_refuses_symbolic_links)
{
	good_tree();
	char path[256], target[256];
	/* A link to a good file: the link is what is refused. */
	snprintf(target, sizeof(target), "%s/services.d/web.conf", tmp);
	snprintf(path, sizeof(path), "%s/services.d/api.conf", tmp);
	ck_assert_int_eq(symlink(target, path), 0);
	load_fails(0, -EPERM, "services.d/api.conf",
		   " is a symbolic link" REASON);
	ck_assert_int_eq(unlink(path), 0);
	/* A dangling one too. */
	ck_assert_int_eq(symlink("/nonexistent", path), 0);
	load_fails(0, -EPERM, "services.d/api.conf",
		   " is a symbolic link" REASON);
	ck_assert_int_eq(unlink(path), 0);

	snprintf(target, sizeof(target), "%s/fakeosd.conf", tmp);
	snprintf(path, sizeof(path), "%s/main.conf", tmp);
	ck_assert_int_eq(rename(target, path), 0);
	ck_assert_int_eq(symlink("main.conf", target), 0);
	load_fails(0, -EPERM, "fakeosd.conf", " is a symbolic link" REASON);
	ck_assert_int_eq(unlink(target), 0);
	ck_assert_int_eq(rename(path, target), 0);

	snprintf(target, sizeof(target), "%s/services.d", tmp);
	snprintf(path, sizeof(path), "%s/real.d", tmp);
	ck_assert_int_eq(rename(target, path), 0);
	ck_assert_int_eq(symlink("real.d", target), 0);
	load_fails(0, -EPERM, "services.d", " is a symbolic link" REASON);
	ck_assert_int_eq(unlink(target), 0);
	ck_assert_int_eq(rename(path, target), 0);
	ck_assert_int_eq(load(0), 0);

	/* DIR itself given as a link. */
	config_free(&c);
	char link[128];
	snprintf(link, sizeof(link), "%s.link", tmp);
	unlink(link);
	ck_assert_int_eq(symlink(tmp, link), 0);
	int r = config_load(link, 0, &c, &err);
	unlink(link);
	ck_assert_int_eq(r, -EPERM);
	char want[512];
	snprintf(want, sizeof(want), "%s is a symbolic link" REASON, link);
	ck_assert_str_eq(err.msg, want);
}
END_TEST

START_TEST(test_config_load_refuses_a_fifo_or_directory_named_conf)
{
	good_tree();
	char path[256];
	snprintf(path, sizeof(path), "%s/services.d/pipe.conf", tmp);
	ck_assert_int_eq(mkfifo(path, 0644), 0);
	/* Opened without blocking: the load fails at once. */
	load_fails(0, -EINVAL, "services.d/pipe.conf",
		   " is not a regular file");
	ck_assert_int_eq(unlink(path), 0);
	mkdir_in("services.d/dir.conf", 0755);
	load_fails(0, -EINVAL, "services.d/dir.conf", " is not a regular file");
}
END_TEST

START_TEST(test_config_load_names_the_file_and_line_of_an_error)
{
	good_tree();
	put("services.d/web.conf",
	    "url = http://127.0.0.1/web\naccount = root\nrestart = maybe\n",
	    0644);
	load_fails(0, -EINVAL, "services.d/web.conf",
		   ":3: restart: 'maybe' is not no, on-failure or always");
	put("services.d/web.conf", "url = http://h/\naccount = root\n", 0644);
	put("services.d/bad name.conf", "", 0644);
	load_fails(0, -EINVAL, "services.d/bad name.conf",
		   ": 'bad name' is not a valid service name (1 to 63 "
		   "of A-Z a-z 0-9 . _ -)");
	char path[256];
	snprintf(path, sizeof(path), "%s/services.d/bad name.conf", tmp);
	ck_assert_int_eq(unlink(path), 0);
	put("fakeosd.conf", "pool = 4\nspawn-from = \"http://h/\n", 0644);
	load_fails(0, -EINVAL, "fakeosd.conf",
		   ":2: spawn-from: a double quote is not closed");
}
END_TEST

START_TEST(test_config_load_refuses_an_oversized_file_before_reading_it)
{
	good_tree();
	char path[256];
	snprintf(path, sizeof(path), "%s/fakeosd.conf", tmp);
	ck_assert_int_eq(truncate(path, CONFIG_FILE_MAX + 1), 0);
	load_fails(0, -EFBIG, "fakeosd.conf", ": larger than 65536 bytes");
}
END_TEST

START_TEST(test_config_load_bounds_services_d)
{
	put("fakeosd.conf", "", 0644);
	mkdir_in("services.d", 0755);
	char name[64];
	for (int i = 0; i <= CONFIG_ENTRIES_MAX; i++) {
		snprintf(name, sizeof(name), "services.d/junk%d", i);
		put(name, "", 0644);
	}
	load_fails(0, -E2BIG, "services.d", ": more than 1024 entries");
}
END_TEST

START_TEST(test_config_load_refuses_more_services_than_the_bound)
{
	put("fakeosd.conf", "", 0644);
	mkdir_in("services.d", 0755);
	char name[64];
	for (int i = 0; i <= CONFIG_SERVICES_MAX; i++) {
		snprintf(name, sizeof(name), "services.d/s%03d.conf", i);
		put(name, "url = http://h/\naccount = 0\n", 0644);
	}
	load_fails(0, -E2BIG, "services.d/s256.conf", ": more than 256 services");
}
END_TEST

START_TEST(test_config_load_takes_a_relative_dir_and_refuses_dot_dot)
{
	good_tree();
	/* Check runs each test in its own process: the chdir ends with it. */
	ck_assert_int_eq(chdir("/tmp"), 0);
	const char *rel = tmp + strlen("/tmp/");
	ck_assert_int_eq(config_load(rel, 0, &c, &err), 0);
	ck_assert_uint_eq(c.nservices, 2);
	char path[256];
	snprintf(path, sizeof(path), "%s/services.d/db.conf", rel);
	ck_assert_str_eq(c.services[0].path, path);
	config_free(&c);
	snprintf(path, sizeof(path), "%s/services.d/..", tmp);
	ck_assert_int_eq(config_load(path, 0, &c, &err), -EINVAL);
	char want[300];
	snprintf(want, sizeof(want), "%s: '..' in the path", path);
	ck_assert_str_eq(err.msg, want);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("config_load");
	TCase *d = tcase_create("load");
	tcase_add_checked_fixture(d, setup_dir, teardown_dir);
	tcase_add_test(
		d, test_config_load_reads_the_main_file_and_services_in_name_order);
	tcase_add_test(d, test_config_load_without_services_d_has_no_services);
	tcase_add_test(d, test_config_load_without_the_main_file_fails);
	tcase_add_test(d,
		       test_config_load_refuses_files_writable_by_group_or_others);
	tcase_add_test(d, test_config_load_refuses_writable_directories);
	tcase_add_test(d, test_config_load_refuses_a_writable_directory_above_dir);
	tcase_add_test(d, test_config_load_refuses_files_of_another_owner);
	tcase_add_test(d, test_config_load_refuses_symbolic_links);
	tcase_add_test(d, test_config_load_refuses_a_fifo_or_directory_named_conf);
	tcase_add_test(d, test_config_load_names_the_file_and_line_of_an_error);
	tcase_add_test(d,
		       test_config_load_refuses_an_oversized_file_before_reading_it);
	tcase_add_test(d, test_config_load_bounds_services_d);
	tcase_add_test(d, test_config_load_refuses_more_services_than_the_bound);
	tcase_add_test(d, test_config_load_takes_a_relative_dir_and_refuses_dot_dot);
	suite_add_tcase(s, d);

	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
