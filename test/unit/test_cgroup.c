/* Unit tests for the cgroup probing helpers: what is read from
 * /proc/self/cgroup and /proc/self/mountinfo for cgroup v2 and for the v1
 * memory hierarchy, controller lists, group names and the memory limit. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"

START_TEST(test_cgroup_self_path_is_the_v2_line)
{
	char path[64];
	const char *text = "9:name=systemd:/\n4:memory:/x\n0::/user.slice/a\n";
	ck_assert_int_eq(cgroup_parse_self(text, NULL, path, sizeof(path)), 0);
	ck_assert_str_eq(path, "/user.slice/a");
}
END_TEST

START_TEST(test_cgroup_self_without_v2_line_is_enoent)
{
	char path[64];
	ck_assert_int_eq(cgroup_parse_self("4:memory:/x\n", NULL, path, sizeof(path)),
			 -ENOENT);
}
END_TEST

START_TEST(test_cgroup_self_rejects_relative_and_overlong_paths)
{
	char path[8];
	ck_assert_int_eq(cgroup_parse_self("0::x\n", NULL, path, sizeof(path)),
			 -EINVAL);
	ck_assert_int_eq(cgroup_parse_self("0::/aaaaaaaaaaaa\n", NULL, path,
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
	ck_assert_int_eq(cgroup_parse_mount(text, NULL, mnt, sizeof(mnt)), 0);
	ck_assert_str_eq(mnt, "/sys/fs/cgroup/unified");
}
END_TEST

START_TEST(test_cgroup_mount_absent_is_enoent)
{
	char mnt[64];
	ck_assert_int_eq(cgroup_parse_mount("1 0 0:1 / / rw - ext4 /dev/vda rw\n",
					    NULL, mnt, sizeof(mnt)),
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
	ck_assert(cgroup_list_has("rw,memory", "memory"));
	ck_assert(cgroup_list_has("cpu,cpuacct", "cpu"));
	ck_assert(!cgroup_list_has("name=memory", "memory"));
}
END_TEST

START_TEST(test_cgroup_self_v1_memory_line_among_controller_lists)
{
	char path[64];
	const char *text = "9:name=systemd:/\n3:cpu,cpuacct:/c\n"
			   "4:memory:/process_api/b\n0::/\n";
	ck_assert_int_eq(cgroup_parse_self(text, "memory", path, sizeof(path)),
			 0);
	ck_assert_str_eq(path, "/process_api/b");
	ck_assert_int_eq(cgroup_parse_self(text, "cpuacct", path, sizeof(path)),
			 0);
	ck_assert_str_eq(path, "/c");
	/* A pure v2 host has no v1 memory line; "memory" in a path or a
	 * name= hierarchy is not the controller. */
	ck_assert_int_eq(cgroup_parse_self("1:name=memory:/x\n0::/memory\n",
					   "memory", path, sizeof(path)),
			 -ENOENT);
}
END_TEST

START_TEST(test_cgroup_mount_finds_v1_memory_by_its_options)
{
	char mnt[64];
	const char *text =
		"31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw,mode=755\n"
		"32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n"
		"35 31 0:32 / /sys/fs/cgroup/mem rw - cgroup cgroup rw,memory\n"
		"41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n";
	ck_assert_int_eq(cgroup_parse_mount(text, "memory", mnt, sizeof(mnt)),
			 0);
	ck_assert_str_eq(mnt, "/sys/fs/cgroup/mem");
	ck_assert_int_eq(cgroup_parse_mount(text, NULL, mnt, sizeof(mnt)), 0);
	ck_assert_str_eq(mnt, "/sys/fs/cgroup/unified");
	ck_assert_int_eq(cgroup_parse_mount(text, "pids", mnt, sizeof(mnt)),
			 -ENOENT);
}
END_TEST

START_TEST(test_cgroup_group_names_give_their_launchers_pid)
{
	ck_assert_int_eq(cgroup_name_pid("fakeos-123-7"), 123);
	ck_assert_int_eq(cgroup_name_pid("fakeos-123-7x"), -1);
	ck_assert_int_eq(cgroup_name_pid("fakeos-123"), -1);
	ck_assert_int_eq(cgroup_name_pid("fakeos--1-7"), -1);
	ck_assert_int_eq(cgroup_name_pid("fakeos-+1-7"), -1);
	ck_assert_int_eq(cgroup_name_pid("fakeos-1- 7"), -1);
	ck_assert_int_eq(cgroup_name_pid("user.slice"), -1);
	ck_assert_int_eq(cgroup_name_pid("memory.limit_in_bytes"), -1);
}
END_TEST

START_TEST(test_cgroup_memory_limit_adds_headroom_over_the_rlimit)
{
	ck_assert_uint_eq(cgroup_memory_limit(32ULL << 20), 48ULL << 20);
	ck_assert_uint_eq(cgroup_memory_limit(256ULL << 20), 288ULL << 20);
	ck_assert_uint_eq(cgroup_memory_limit(UINT64_MAX - 1), UINT64_MAX);
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
	tcase_add_test(t, test_cgroup_self_v1_memory_line_among_controller_lists);
	tcase_add_test(t, test_cgroup_mount_finds_v1_memory_by_its_options);
	tcase_add_test(t, test_cgroup_group_names_give_their_launchers_pid);
	tcase_add_test(t, test_cgroup_memory_limit_adds_headroom_over_the_rlimit);
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
