/* Unit tests for the bound on half-open QUIC handshakes
 * (src/quic_guard.c): below QUIC_HALFOPEN_RETRY half-open an Initial is
 * accepted, past it one without a token gets a Retry and one with a
 * valid token is accepted; one address never holds more than
 * QUIC_HALFOPEN_PER_ADDR; an episode's counts end when none is half-open. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "quic_guard.h"

START_TEST(test_quic_guard_retries_only_past_the_threshold)
{
	struct quic_guard g = { 0 };
	for (unsigned i = 0; i < QUIC_HALFOPEN_RETRY; i++) {
		ck_assert_int_eq(quic_guard_admit(&g, false, 0),
				 QUIC_ADMIT_ACCEPT);
		quic_guard_opened(&g);
	}
	ck_assert_int_eq(quic_guard_admit(&g, false, 0), QUIC_ADMIT_RETRY);
	ck_assert_int_eq(quic_guard_admit(&g, false, 0), QUIC_ADMIT_RETRY);
	ck_assert_uint_eq(g.retries, 2);
	/* A client that proved its address gets in. */
	ck_assert_int_eq(quic_guard_admit(&g, true, 0), QUIC_ADMIT_ACCEPT);
	quic_guard_opened(&g);
	ck_assert_uint_eq(g.peak, QUIC_HALFOPEN_RETRY + 1);
	/* All of them end: the episode ends, its counts start again. */
	for (unsigned i = 0; i <= QUIC_HALFOPEN_RETRY; i++)
		quic_guard_closed(&g, i % 2 == 0, "10.0.0.9:1");
	ck_assert_uint_eq(g.halfopen, 0);
	ck_assert_uint_eq(g.retries, 0);
	ck_assert_uint_eq(g.unfinished, 0);
	ck_assert_uint_eq(g.peak, 0);
	ck_assert(!g.validating);
	ck_assert_int_eq(quic_guard_admit(&g, false, 0), QUIC_ADMIT_ACCEPT);
}
END_TEST

START_TEST(test_quic_guard_holds_one_address_to_its_share)
{
	struct quic_guard g = { 0 };
	ck_assert_int_eq(quic_guard_admit(&g, false, QUIC_HALFOPEN_PER_ADDR - 1),
			 QUIC_ADMIT_ACCEPT);
	ck_assert_int_eq(quic_guard_admit(&g, false, QUIC_HALFOPEN_PER_ADDR),
			 QUIC_ADMIT_DROP);
	/* A token proves the address, not a right to more of it. */
	ck_assert_int_eq(quic_guard_admit(&g, true, QUIC_HALFOPEN_PER_ADDR),
			 QUIC_ADMIT_DROP);
}
END_TEST

START_TEST(test_quic_guard_same_ip_ignores_the_port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(1) };
	struct sockaddr_in b = a, c = a;
	b.sin_port = htons(2);
	inet_pton(AF_INET, "10.0.0.1", &a.sin_addr);
	inet_pton(AF_INET, "10.0.0.1", &b.sin_addr);
	inet_pton(AF_INET, "10.0.0.2", &c.sin_addr);
	struct sockaddr_in6 d = { .sin6_family = AF_INET6 };
	ck_assert(quic_guard_same_ip((struct sockaddr *)&a,
				     (struct sockaddr *)&b));
	ck_assert(!quic_guard_same_ip((struct sockaddr *)&a,
				      (struct sockaddr *)&c));
	ck_assert(!quic_guard_same_ip((struct sockaddr *)&a,
				      (struct sockaddr *)&d));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("quic_guard");
	TCase *t = tcase_create("guard");
	tcase_add_test(t, test_quic_guard_retries_only_past_the_threshold);
	tcase_add_test(t, test_quic_guard_holds_one_address_to_its_share);
	tcase_add_test(t, test_quic_guard_same_ip_ignores_the_port);
	suite_add_tcase(s, t);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
