/* Unit tests for a link's framing on the wire (src/qframe.c): datagrams
 * split back out of a stream cut anywhere; a length of 0 or over
 * QFRAME_DGRAM_MAX refused, for good; a stream that ends inside a
 * datagram seen as cut short; the sending half's bytes, read out and
 * acknowledged in pieces, the same stream. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "qframe.h"

struct got {
	unsigned count;
	size_t len[8];
	uint8_t first[8], last[8];
};

static void take(void *arg, const uint8_t *p, size_t n)
{
	struct got *g = arg;
	ck_assert_uint_lt(g->count, 8);
	g->len[g->count] = n;
	g->first[g->count] = p[0];
	g->last[g->count] = p[n - 1];
	g->count++;
}

/* A stream of three datagrams: 1 byte, QFRAME_DGRAM_MAX and 300 bytes. */
static size_t three(uint8_t *s)
{
	static const size_t lens[] = { 1, QFRAME_DGRAM_MAX, 300 };
	size_t n = 0;
	for (int i = 0; i < 3; i++) {
		s[n++] = (uint8_t)(lens[i] >> 8);
		s[n++] = (uint8_t)lens[i];
		memset(s + n, 'a' + i, lens[i]);
		s[n + lens[i] - 1] = (uint8_t)('A' + i);
		n += lens[i];
	}
	return n;
}

START_TEST(test_qframe_datagrams_come_out_whole_however_the_stream_is_cut)
{
	static uint8_t s[3 * (2 + QFRAME_DGRAM_MAX)];
	size_t n = three(s);
	/* Cut into pieces of every size from 1 byte to the whole stream. */
	static const size_t pieces[] = { 1, 2, 3, 7, 1000, 4098, 5000 };
	for (size_t k = 0; k < sizeof(pieces) / sizeof(pieces[0]); k++) {
		struct qframe_rx r = { 0 };
		struct got g = { 0 };
		for (size_t at = 0; at < n; at += pieces[k]) {
			size_t m = n - at < pieces[k] ? n - at : pieces[k];
			ck_assert_int_eq(qframe_parse(&r, s + at, m, take, &g), 0);
		}
		ck_assert_uint_eq(g.count, 3);
		ck_assert_uint_eq(g.len[0], 1);
		ck_assert_uint_eq(g.len[1], QFRAME_DGRAM_MAX);
		ck_assert_uint_eq(g.len[2], 300);
		ck_assert_uint_eq(g.first[0], 'A');
		ck_assert_uint_eq(g.first[1], 'b');
		ck_assert_uint_eq(g.last[1], 'B');
		ck_assert_uint_eq(g.last[2], 'C');
		ck_assert(!qframe_partial(&r));
		qframe_rx_free(&r);
	}
}
END_TEST

START_TEST(test_qframe_a_bad_length_is_refused_for_good)
{
	/* A datagram, then a length of 0; then one over the most. */
	static const uint8_t zero[] = { 0, 1, 'x', 0, 0, 0, 1, 'y' },
			     big[] = { 0x10, 0x01, 'z', 'z' };
	const uint8_t *streams[] = { zero, big };
	size_t lens[] = { sizeof(zero), sizeof(big) };
	unsigned before[] = { 1, 0 };
	for (int i = 0; i < 2; i++) {
		struct qframe_rx r = { 0 };
		struct got g = { 0 };
		ck_assert_int_eq(qframe_parse(&r, streams[i], lens[i], take, &g),
				 -EPROTO);
		ck_assert_uint_eq(g.count, before[i]);
		/* What follows is refused too, and nothing comes out. */
		static const uint8_t ok[] = { 0, 1, 'w' };
		ck_assert_int_eq(qframe_parse(&r, ok, sizeof(ok), take, &g),
				 -EPROTO);
		ck_assert_uint_eq(g.count, before[i]);
		qframe_rx_free(&r);
	}
}
END_TEST

START_TEST(test_qframe_a_stream_that_ends_inside_a_datagram_is_partial)
{
	static const uint8_t s[] = { 0, 3, 'a', 'b', 'c', 0, 4, 'd' };
	for (size_t end = 0; end <= sizeof(s); end++) {
		struct qframe_rx r = { 0 };
		struct got g = { 0 };
		ck_assert_int_eq(qframe_parse(&r, s, end, take, &g), 0);
		/* Whole at 0 and 5 bytes; inside a header or a datagram else. */
		ck_assert_int_eq(qframe_partial(&r), end != 0 && end != 5);
		ck_assert_uint_eq(g.count, end >= 5 ? 1 : 0);
		qframe_rx_free(&r);
	}
}
END_TEST

START_TEST(test_qframe_the_sending_half_gives_back_the_stream)
{
	enum { ROUNDS = 5 };
	static uint8_t s[3 * (2 + QFRAME_DGRAM_MAX)], out[ROUNDS * sizeof(s)];
	size_t n = three(s);
	/* Five rounds of the three datagrams: more than one QFRAME_CHUNK. */
	struct qframe_tx t = { 0 };
	for (int round = 0; round < ROUNDS; round++) {
		qframe_put(&t, s + 2, 1);
		qframe_put(&t, s + 5, QFRAME_DGRAM_MAX);
		qframe_put(&t, s + 7 + QFRAME_DGRAM_MAX, 300);
	}
	ck_assert_uint_eq(t.queued, ROUNDS * n);
	/* Up to 1000 bytes sent at a time, half of what is unacknowledged
	 * acknowledged after each: the chunks behind it are freed meanwhile. */
	while (t.sent < t.queued) {
		struct qframe_vec v[2];
		size_t total, left = 1000;
		size_t nv = qframe_unsent(&t, v, 2, &total);
		ck_assert_uint_gt(nv, 0);
		ck_assert_uint_eq(total, v[0].len + (nv > 1 ? v[1].len : 0));
		for (size_t i = 0; i < nv && left; i++) {
			size_t m = v[i].len < left ? v[i].len : left;
			memcpy(out + t.sent, v[i].base, m);
			t.sent += m;
			left -= m;
		}
		qframe_acked(&t, t.acked + (t.sent - t.acked) / 2);
	}
	for (int round = 0; round < ROUNDS; round++)
		ck_assert(memcmp(out + round * n, s, n) == 0);
	qframe_acked(&t, t.sent);
	ck_assert_ptr_null(t.head);
	ck_assert_ptr_null(t.tail);
	qframe_tx_free(&t);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("qframe");
	TCase *t = tcase_create("qframe");
	tcase_add_test(t, test_qframe_datagrams_come_out_whole_however_the_stream_is_cut);
	tcase_add_test(t, test_qframe_a_bad_length_is_refused_for_good);
	tcase_add_test(t, test_qframe_a_stream_that_ends_inside_a_datagram_is_partial);
	tcase_add_test(t, test_qframe_the_sending_half_gives_back_the_stream);
	suite_add_tcase(s, t);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
