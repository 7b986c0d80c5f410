/* Unit tests for the cgroup v2 probing helpers: what is read from
 * /proc/self/cgroup and /proc/self/mountinfo, and controller lists. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"

START_TEST(test_cgroup_self_path_is_the_v2_line)
{
	char path[64];
	const char *text = "9:name=systemd:/\n4:memory:/x\n0::/user.slice/a\n";
	ck_assert_int_eq(cgroup_parse_self(text, path, sizeof(path)), 0);
	ck_assert_str_eq(path, "/user.slice/a");
}
END_TEST

START_TEST(test_cgroup_self_without_v2_line_is_enoent)
{
	char path[64];
	ck_assert_int_eq(cgroup_parse_self("4:memory:/x\n", path, sizeof(path)),
			 -ENOENT);
}
END_TEST

START_TEST(test_cgroup_self_rejects_relative_and_overlong_paths)
{
	char path[8];
	ck_assert_int_eq(cgroup_parse_self("0::x\n", path, sizeof(path)),
			 -EINVAL);
	ck_assert_int_eq(cgroup_parse_self("0::/aaaaaaaaaaaa\n", path,
					   sizeof(path)),
			 -EINVAL);
}
END_TEST

START_TEST(test_cgroup_mount_finds_cgroup2_by_type_not_by_name)
{
	char mnt[64];
	const char *text =
		"30 1 0:26 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n"
		"33 30 0:29 / /sys/fs/cgroup/cgroup2x rw - cgroup cgroup rw,memory\n"
		"40 30 0:37 / /sys/fs/cgroup/unified rw,relatime shared:5 - cgroup2 cgroup2 rw\n";
	ck_assert_int_eq(cgroup_parse_mount(text, mnt, sizeof(mnt)), 0);
	ck_assert_str_eq(mnt, "/sys/fs/cgroup/unified");
}
END_TEST

START_TEST(test_cgroup_mount_absent_is_enoent)
{
	char mnt[64];
	ck_assert_int_eq(cgroup_parse_mount("1 0 0:1 / / rw - ext4 /dev/vda rw\n",
					    mnt, sizeof(mnt)),
			 -ENOENT);
}
END_TEST

START_TEST(test_cgroup_controller_list_matches_whole_words)
{
	ck_assert(cgroup_list_has("cpu memory pids\n", "memory"));
	ck_assert(cgroup_list_has("pids", "pids"));
	ck_assert(!cgroup_list_has("hugetlb\n", "memory"));
	ck_assert(!cgroup_list_has("memoryx pidsy", "memory"));
	ck_assert(!cgroup_list_has("xpids", "pids"));
	ck_assert(!cgroup_list_has("", "pids"));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("cgroup");
	TCase *t = tcase_create("parse");
	tcase_add_test(t, test_cgroup_self_path_is_the_v2_line);
	tcase_add_test(t, test_cgroup_self_without_v2_line_is_enoent);
	tcase_add_test(t, test_cgroup_self_rejects_relative_and_overlong_paths);
	tcase_add_test(t, test_cgroup_mount_finds_cgroup2_by_type_not_by_name);
	tcase_add_test(t, test_cgroup_mount_absent_is_enoent);
	tcase_add_test(t, test_cgroup_controller_list_matches_whole_words);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
