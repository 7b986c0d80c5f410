/* Unit tests for the packet of broadcast across hosts and its replay
 * window (src/netbcast_wire.c): what nb_build writes nb_parse reads back
 * field for field; every malformed datagram a hostile peer may send is
 * refused with its reason (every truncation, every bad field); a packet
 * seen, below its window, stale, from the future or from before this
 * daemon started is refused, and a sender's new run is taken only into a
 * slot whose windows can let no replay in. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netbcast.h"

static const uint8_t KEY[NB_KEY_SIZE] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
static const uint8_t INST[NB_INSTANCE_SIZE] = { 0xaa, 0xbb, 0xcc };
static const uint8_t INST2[NB_INSTANCE_SIZE] = { 0x11, 0x22 };

#define NOW 1800000000000ULL /* ms: some time in 2027 */
#define START (NOW - 60000)

static uint8_t pkt[NB_PACKET_MAX + 16];

/* A packet with payload text, and a signature of 0x5a bytes: n bytes. */
static size_t make(const char *channel, const void *data, size_t len,
		   uint64_t seq)
{
	struct nb_packet p = { .key = KEY, .instance = INST, .seq = seq,
			       .time_ms = NOW, .uid = 1000, .chan_seq = 7,
			       .data = data, .len = len };
	snprintf(p.channel, sizeof(p.channel), "%s", channel);
	size_t n;
	ck_assert_int_eq(nb_build(&p, pkt, &n), 0);
	ck_assert_uint_eq(n, NB_HEADER_SIZE + len);
	memset(pkt + n, 0x5a, NB_SIG_SIZE);
	return n + NB_SIG_SIZE;
}

static void refused(size_t n, const char *why_part)
{
	struct nb_packet p;
	const char *why = NULL;
	ck_assert_int_eq(nb_parse(pkt, n, &p, &why), -EBADMSG);
	ck_assert_ptr_nonnull(why);
	ck_assert_msg(strstr(why, why_part), "'%s' does not say '%s'", why,
		      why_part);
}

START_TEST(test_a_built_packet_parses_back_field_for_field)
{
	size_t n = make("news", "hello", 5, 42);
	struct nb_packet p;
	const char *why;
	ck_assert_int_eq(nb_parse(pkt, n, &p, &why), 0);
	ck_assert_mem_eq(p.key, KEY, NB_KEY_SIZE);
	ck_assert_mem_eq(p.instance, INST, NB_INSTANCE_SIZE);
	ck_assert_uint_eq(p.seq, 42);
	ck_assert_uint_eq(p.time_ms, NOW);
	ck_assert_uint_eq(p.uid, 1000);
	ck_assert_uint_eq(p.chan_seq, 7);
	ck_assert_str_eq(p.channel, "news");
	ck_assert_uint_eq(p.len, 5);
	ck_assert_mem_eq(p.data, "hello", 5);
	/* The signature covers everything before it, and follows it. */
	ck_assert_ptr_eq(p.signed_part, pkt);
	ck_assert_uint_eq(p.signed_len, NB_HEADER_SIZE + 5);
	ck_assert_ptr_eq(p.sig, pkt + NB_HEADER_SIZE + 5);
	/* Big-endian on the wire (docs/PROTOCOL.md). */
	ck_assert_mem_eq(pkt, "FKB1\x01\x00\x00\x05", 8);
	ck_assert_uint_eq(pkt[63], 42);
}
END_TEST

START_TEST(test_an_empty_and_a_full_payload_parse)
{
	static uint8_t big[NB_PAYLOAD_MAX];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)i;
	struct nb_packet p;
	const char *why;
	size_t n = make("a", NULL, 0, 1);
	ck_assert_int_eq(nb_parse(pkt, n, &p, &why), 0);
	ck_assert_uint_eq(p.len, 0);
	n = make("c.h-a_n.nel", big, sizeof(big), 1);
	ck_assert_uint_eq(n, NB_PACKET_MAX - NB_TAG_SIZE);
	ck_assert_int_eq(nb_parse(pkt, n, &p, &why), 0);
	ck_assert_mem_eq(p.data, big, sizeof(big));
}
END_TEST

START_TEST(test_every_truncation_and_an_extra_byte_are_refused)
{
	size_t n = make("news", "hello world", 11, 1);
	struct nb_packet p;
	const char *why;
	for (size_t k = 0; k < n; k++)
		ck_assert_msg(nb_parse(pkt, k, &p, &why) == -EBADMSG,
			      "%zu of %zu bytes accepted", k, n);
	pkt[n] = 0;
	refused(n + 1, "length does not match");
}
END_TEST

START_TEST(test_bad_magic_version_flags_and_length_are_refused)
{
	size_t n = make("news", "x", 1, 1);
	pkt[0] = 'G';
	refused(n, "magic");
	n = make("news", "x", 1, 1);
	pkt[4] = 2;
	refused(n, "version");
	n = make("news", "x", 1, 1);
	pkt[5] = 0x80;
	refused(n, "unknown flags");
	/* A length past a broadcast's, with the bytes to match. */
	(void)make("news", "x", 1, 1);
	pkt[6] = (NB_PAYLOAD_MAX + 1) >> 8;
	pkt[7] = (NB_PAYLOAD_MAX + 1) & 0xff;
	refused(NB_HEADER_SIZE + NB_PAYLOAD_MAX + 1 + NB_SIG_SIZE,
		"longer than a broadcast");
	/* A length that claims less than the datagram holds. */
	n = make("news", "xy", 2, 1);
	pkt[7] = 1;
	refused(n, "length does not match");
}
END_TEST

/* An encrypted payload is a broadcast's bytes and a GCM tag: up to
 * NB_PAYLOAD_MAX + NB_TAG_SIZE, never shorter than the tag. */
START_TEST(test_an_encrypted_payload_carries_its_tag)
{
	static uint8_t ct[NB_PAYLOAD_MAX + NB_TAG_SIZE + 1];
	struct nb_packet p = { .key = KEY, .instance = INST, .seq = 5,
			       .time_ms = NOW, .encrypted = true, .data = ct,
			       .len = NB_PAYLOAD_MAX + NB_TAG_SIZE };
	strcpy(p.channel, "news");
	size_t n;
	ck_assert_int_eq(nb_build(&p, pkt, &n), 0);
	ck_assert_uint_eq(pkt[5], NB_FLAG_ENCRYPTED);
	struct nb_packet q;
	const char *why;
	ck_assert_int_eq(nb_parse(pkt, n + NB_SIG_SIZE, &q, &why), 0);
	ck_assert(q.encrypted);
	ck_assert_uint_eq(q.len, NB_PAYLOAD_MAX + NB_TAG_SIZE);
	ck_assert_uint_eq(n + NB_SIG_SIZE, NB_PACKET_MAX);
	p.len++;
	ck_assert_int_eq(nb_build(&p, pkt, &n), -EINVAL);
	p.len = NB_TAG_SIZE - 1;
	ck_assert_int_eq(nb_build(&p, pkt, &n), -EINVAL);
	/* The same bytes with the flag set on a short payload. */
	n = make("news", "short", 5, 1);
	pkt[5] = NB_FLAG_ENCRYPTED;
	refused(n, "shorter than its tag");
	/* An empty encrypted broadcast is its tag alone. */
	p.len = NB_TAG_SIZE;
	p.data = NULL; /* the caller fills it */
	ck_assert_int_eq(nb_build(&p, pkt, &n), 0);
	ck_assert_uint_eq(n, NB_HEADER_SIZE + NB_TAG_SIZE);
}
END_TEST

START_TEST(test_bad_channels_and_sequence_zero_are_refused)
{
	size_t n = make("news", "x", 1, 1);
	memset(pkt + 80, 'a', PROTO_NAME_SIZE);
	refused(n, "not terminated");
	n = make("news", "x", 1, 1);
	pkt[80 + 10] = 'z';
	refused(n, "after the channel's end");
	n = make("news", "x", 1, 1);
	pkt[80 + 1] = ' ';
	refused(n, "bad channel name");
	n = make("news", "x", 1, 1);
	memset(pkt + 80, 0, PROTO_NAME_SIZE);
	refused(n, "bad channel name");
	n = make("news", "x", 1, 1);
	memset(pkt + 56, 0, 8);
	refused(n, "sequence number 0");
}
END_TEST

START_TEST(test_build_refuses_what_parse_would)
{
	static uint8_t big[NB_PAYLOAD_MAX + 1];
	size_t n;
	struct nb_packet p = { .key = KEY, .instance = INST, .seq = 1,
			       .data = big, .len = sizeof(big) };
	strcpy(p.channel, "news");
	ck_assert_int_eq(nb_build(&p, pkt, &n), -EINVAL);
	p.len = 1;
	strcpy(p.channel, "no way");
	ck_assert_int_eq(nb_build(&p, pkt, &n), -EINVAL);
	strcpy(p.channel, "news");
	p.seq = 0;
	ck_assert_int_eq(nb_build(&p, pkt, &n), -EINVAL);
}
END_TEST

/* --- replay ---------------------------------------------------------------- */

static struct nb_packet at(const uint8_t *inst, uint64_t seq, uint64_t t)
{
	struct nb_packet p = { .key = KEY, .instance = inst, .seq = seq,
			       .time_ms = t };
	strcpy(p.channel, "news");
	return p;
}

/* Checks then records, as netbcast.c does around the signature. */
static enum nb_verdict offer(struct nb_replay *r, const uint8_t *inst,
			     uint64_t seq, uint64_t t, uint64_t now)
{
	struct nb_packet p = at(inst, seq, t);
	enum nb_verdict v = nb_replay_check(r, &p, now, START);
	bool fresh;
	if (v == NB_FRESH)
		(void)nb_replay_accept(r, &p, now, &fresh);
	return v;
}

START_TEST(test_a_packet_seen_is_refused_as_replayed)
{
	struct nb_replay r = { 0 };
	ck_assert_int_eq(offer(&r, INST, 1, NOW, NOW), NB_FRESH);
	ck_assert_int_eq(offer(&r, INST, 1, NOW, NOW), NB_REPLAYED);
	ck_assert_int_eq(offer(&r, INST, 2, NOW, NOW), NB_FRESH);
	ck_assert_int_eq(offer(&r, INST, 1, NOW, NOW), NB_REPLAYED);
	ck_assert_int_eq(offer(&r, INST, 2, NOW, NOW), NB_REPLAYED);
}
END_TEST

START_TEST(test_reordering_within_the_window_is_taken_once)
{
	struct nb_replay r = { 0 };
	ck_assert_int_eq(offer(&r, INST, 100, NOW, NOW), NB_FRESH);
	ck_assert_int_eq(offer(&r, INST, 99, NOW, NOW), NB_FRESH);
	ck_assert_int_eq(offer(&r, INST, 37, NOW, NOW), NB_FRESH);
	ck_assert_int_eq(offer(&r, INST, 37, NOW, NOW), NB_REPLAYED);
	ck_assert_int_eq(offer(&r, INST, 99, NOW, NOW), NB_REPLAYED);
	/* 100 - 64: past the window, refused though never seen. */
	ck_assert_int_eq(offer(&r, INST, 36, NOW, NOW), NB_REPLAYED);
	/* A jump forward past the window forgets the old bits. */
	ck_assert_int_eq(offer(&r, INST, 1000, NOW, NOW), NB_FRESH);
	ck_assert_int_eq(offer(&r, INST, 999, NOW, NOW), NB_FRESH);
	ck_assert_int_eq(offer(&r, INST, 100, NOW, NOW), NB_REPLAYED);
}
END_TEST

START_TEST(test_stale_future_and_older_than_this_daemon_are_refused)
{
	struct nb_replay r = { 0 };
	ck_assert_int_eq(offer(&r, INST, 1, NOW - NB_SKEW_MS - 1, NOW), NB_STALE);
	ck_assert_int_eq(offer(&r, INST, 1, NOW + NB_SKEW_MS + 1, NOW),
			 NB_FUTURE);
	/* Within the skew, but sent before this daemon started: a restarted
	 * receiver keeps no window, so such a packet could be a replay. */
	struct nb_packet p = at(INST, 1, NOW - 10);
	ck_assert_int_eq(nb_replay_check(&r, &p, NOW, NOW - 5), NB_STALE);
	ck_assert_int_eq(offer(&r, INST, 1, NOW - NB_SKEW_MS, NOW), NB_FRESH);
	ck_assert_int_eq(offer(&r, INST, 2, NOW + NB_SKEW_MS, NOW), NB_FRESH);
}
END_TEST

START_TEST(test_a_new_run_gets_a_slot_only_when_no_window_is_lost)
{
	struct nb_replay r = { 0 };
	uint8_t inst[NB_INSTANCES + 1][NB_INSTANCE_SIZE] = { { 0 } };
	for (int i = 0; i <= NB_INSTANCES; i++)
		inst[i][0] = (uint8_t)(i + 1);
	for (int i = 0; i < NB_INSTANCES; i++)
		ck_assert_int_eq(offer(&r, inst[i], 1, NOW, NOW), NB_FRESH);
	/* Every slot heard from just now: a fifth run is refused, lest a
	 * forgotten window let its packets in again. */
	ck_assert_int_eq(offer(&r, inst[NB_INSTANCES], 1, NOW, NOW), NB_BUSY);
	/* Once twice the skew has passed, every packet of the oldest is
	 * stale anyway: its slot is taken, and its old packets still
	 * refused, as stale. */
	uint64_t later = NOW + 2 * NB_SKEW_MS + 1;
	ck_assert_int_eq(offer(&r, inst[NB_INSTANCES], 1, later, later),
			 NB_FRESH);
	ck_assert_int_eq(offer(&r, inst[NB_INSTANCES], 1, later, later),
			 NB_REPLAYED);
	ck_assert_int_eq(offer(&r, inst[0], 1, NOW, later), NB_STALE);
	/* The other instances keep their windows. */
	ck_assert_int_eq(offer(&r, INST2, 1, later, later), NB_FRESH);
	ck_assert_int_eq(offer(&r, INST2, 1, later, later), NB_REPLAYED);
}
END_TEST

START_TEST(test_each_verdict_has_a_name)
{
	for (int v = NB_FRESH; v <= NB_BUSY; v++)
		ck_assert_str_ne(nb_verdict_name((enum nb_verdict)v), "?");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("netbcast");
	TCase *t = tcase_create("wire");
	tcase_add_test(t, test_a_built_packet_parses_back_field_for_field);
	tcase_add_test(t, test_an_empty_and_a_full_payload_parse);
	tcase_add_test(t, test_every_truncation_and_an_extra_byte_are_refused);
	tcase_add_test(t, test_bad_magic_version_flags_and_length_are_refused);
	tcase_add_test(t, test_an_encrypted_payload_carries_its_tag);
	tcase_add_test(t, test_bad_channels_and_sequence_zero_are_refused);
	tcase_add_test(t, test_build_refuses_what_parse_would);
	suite_add_tcase(s, t);
	t = tcase_create("replay");
	tcase_add_test(t, test_a_packet_seen_is_refused_as_replayed);
	tcase_add_test(t, test_reordering_within_the_window_is_taken_once);
	tcase_add_test(t, test_stale_future_and_older_than_this_daemon_are_refused);
	tcase_add_test(t, test_a_new_run_gets_a_slot_only_when_no_window_is_lost);
	tcase_add_test(t, test_each_verdict_has_a_name);
	suite_add_tcase(s, t);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
