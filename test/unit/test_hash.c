/* test_hash.c — SHA-256 through nettle (src/hash.c). */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "hash.h"

static const char empty_hex[] =
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
static const char abc_hex[] =
	"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

START_TEST(test_hash_matches_fips_180_vectors)
{
	uint8_t d[HASH_SIZE];
	char hex[HASH_HEX_SIZE];
	hash_buf("", 0, d);
	hash_hex(d, hex);
	ck_assert_str_eq(hex, empty_hex);
	hash_buf("abc", 3, d);
	hash_hex(d, hex);
	ck_assert_str_eq(hex, abc_hex);
}
END_TEST

START_TEST(test_hash_streaming_equals_one_shot)
{
	static uint8_t buf[100000];
	uint8_t a[HASH_SIZE], b[HASH_SIZE];
	struct hash_ctx h;

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	hash_buf(buf, sizeof(buf), a);
	hash_init(&h);
	for (size_t i = 0; i < sizeof(buf); i += 997)
		hash_update(&h, buf + i,
			    sizeof(buf) - i < 997 ? sizeof(buf) - i : 997);
	hash_final(&h, b);
	ck_assert_mem_eq(a, b, HASH_SIZE);
}
END_TEST

START_TEST(test_hash_fd_hashes_to_end_of_file_and_counts)
{
	char path[] = "/tmp/test_hash.XXXXXX";
	int fd = mkstemp(path);
	uint8_t d[HASH_SIZE];
	char hex[HASH_HEX_SIZE];
	uint64_t size = 0;

	ck_assert_int_ge(fd, 0);
	unlink(path);
	ck_assert_int_eq(write_full(fd, "abc", 3), 0);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	ck_assert_int_eq(hash_fd(fd, d, &size), 0);
	hash_hex(d, hex);
	ck_assert_str_eq(hex, abc_hex);
	ck_assert_uint_eq(size, 3);
	close(fd);
	ck_assert_int_eq(hash_fd(fd, d, NULL), -EBADF);
}
END_TEST

START_TEST(test_hash_parse_hex_needs_exactly_64_digits)
{
	uint8_t d[HASH_SIZE];
	char s[80];

	ck_assert_int_eq(hash_parse_hex(abc_hex, d), 0);
	ck_assert_int_eq(d[0], 0xba);
	ck_assert_int_eq(d[31], 0xad);
	ck_assert_int_eq(hash_parse_hex("BA7816BF8F01CFEA414140DE5DAE2223B003"
					"61A396177A9CB410FF61F20015AD", d),
			 0);
	ck_assert_int_eq(hash_parse_hex(abc_hex + 1, d), -EINVAL);
	snprintf(s, sizeof(s), "%s0", abc_hex);
	ck_assert_int_eq(hash_parse_hex(s, d), -EINVAL);
	snprintf(s, sizeof(s), "%.63sg", abc_hex);
	ck_assert_int_eq(hash_parse_hex(s, d), -EINVAL);
	ck_assert_int_eq(hash_parse_hex("", d), -EINVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hash");
	TCase *t = tcase_create("hash");
	tcase_add_test(t, test_hash_matches_fips_180_vectors);
	tcase_add_test(t, test_hash_streaming_equals_one_shot);
	tcase_add_test(t, test_hash_fd_hashes_to_end_of_file_and_counts);
	tcase_add_test(t, test_hash_parse_hex_needs_exactly_64_digits);
	suite_add_tcase(s, t);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
