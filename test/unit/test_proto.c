/* Unit tests for the wire format (src/proto.c): every message type in both
 * directions, and every rule proto_check applies. A well-formed message of
 * each type is built, checked, then broken one field at a time. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

#define FROM_PROGRAM 1
#define FROM_BROKER 0

static union {
	struct proto_hdr hdr;
	struct proto_name name;
	struct proto_spawn spawn;
	struct proto_close close;
	struct proto_opened opened;
	struct proto_linked linked;
	struct proto_status status;
	struct proto_exited exited;
	struct proto_ended ended;
	struct proto_broadcast bcast;
	unsigned char bytes[PROTO_PAGE + 64];
} m;

static const char *why;

static int check(size_t n, int dir)
{
	why = NULL;
	int r = proto_check(&m, n, dir, &why);
	ck_assert_ptr_nonnull(why);
	return r;
}

static size_t make_name(enum proto_type t, const char *name)
{
	memset(&m, 0, sizeof(m));
	proto_hdr_init(&m.hdr, t, sizeof(m.name), 7);
	strcpy(m.name.name, name);
	return sizeof(m.name);
}

static size_t make_spawn(const char *url, int argc, const char *args,
			 size_t args_len)
{
	memset(&m, 0, sizeof(m));
	proto_hdr_init(&m.hdr, PROTO_SPAWN, sizeof(m.spawn), 3);
	strcpy(m.spawn.url, url);
	m.spawn.argc = (uint32_t)argc;
	m.spawn.args_len = (uint32_t)args_len;
	memcpy(m.spawn.args, args, args_len);
	return sizeof(m.spawn);
}

static size_t make_broadcast(enum proto_type t, size_t payload)
{
	memset(&m, 0, sizeof(m));
	size_t n = sizeof(m.bcast) + payload;
	proto_hdr_init(&m.hdr, t, (uint32_t)n, t == PROTO_BROADCAST ? 0 : 5);
	strcpy(m.bcast.channel, "chat");
	memset(m.bcast.data, 'x', payload);
	return n;
}

/* An event of a fixed-size type, zeroed but for its header. */
static size_t make_event(enum proto_type t, size_t len)
{
	memset(&m, 0, sizeof(m));
	proto_hdr_init(&m.hdr, t, (uint32_t)len, 6);
	return len;
}

/* m, rejected with ret and exactly reason. */
static void rejects(size_t n, int dir, int ret, const char *reason)
{
	ck_assert_int_eq(check(n, dir), ret);
	ck_assert_str_eq(why, reason);
}

/* m with its length changed by delta, header and datagram alike. */
static size_t resize(size_t n, int delta)
{
	n = (size_t)((long)n + delta);
	m.hdr.len = (uint32_t)n;
	return n;
}

/* --- the header ------------------------------------------------------------ */

START_TEST(test_proto_header_is_16_bytes_and_init_fills_it)
{
	struct proto_hdr h;
	memset(&h, 0xff, sizeof(h));
	proto_hdr_init(&h, PROTO_KILL, 16, 9);
	ck_assert_uint_eq(sizeof(h), 16);
	ck_assert_uint_eq(h.version, PROTO_VERSION);
	ck_assert_uint_eq(h.type, PROTO_KILL);
	ck_assert_uint_eq(h.len, 16);
	ck_assert_int_eq(h.handle, 9);
	ck_assert_uint_eq(h.reserved, 0);
}
END_TEST

START_TEST(test_proto_rejects_datagram_shorter_than_header)
{
	memset(&m, 0, sizeof(m));
	ck_assert_int_eq(check(0, FROM_PROGRAM), -EMSGSIZE);
	ck_assert_int_eq(check(15, FROM_PROGRAM), -EMSGSIZE);
}
END_TEST

START_TEST(test_proto_rejects_datagram_longer_than_page)
{
	size_t n = make_broadcast(PROTO_BROADCAST, PROTO_BROADCAST_MAX);
	ck_assert_int_eq(check(n, FROM_PROGRAM), 0);
	m.hdr.len = PROTO_PAGE + 1;
	ck_assert_int_eq(check(PROTO_PAGE + 1, FROM_PROGRAM), -EMSGSIZE);
}
END_TEST

START_TEST(test_proto_rejects_unknown_version)
{
	size_t n = make_name(PROTO_LINK, "echo");
	m.hdr.version = PROTO_VERSION + 1;
	ck_assert_int_eq(check(n, FROM_PROGRAM), -EPROTO);
	ck_assert_str_eq(why, "unknown protocol version");
}
END_TEST

START_TEST(test_proto_rejects_length_field_that_differs_from_datagram)
{
	size_t n = make_name(PROTO_LINK, "echo");
	m.hdr.len = (uint32_t)n - 1;
	ck_assert_int_eq(check(n, FROM_PROGRAM), -EMSGSIZE);
	m.hdr.len = (uint32_t)n;
	ck_assert_int_eq(check(n - 1, FROM_PROGRAM), -EMSGSIZE);
}
END_TEST

START_TEST(test_proto_rejects_nonzero_reserved_header_field)
{
	size_t n = make_name(PROTO_LINK, "echo");
	m.hdr.reserved = 1;
	ck_assert_int_eq(check(n, FROM_PROGRAM), -EPROTO);
}
END_TEST

START_TEST(test_proto_rejects_unknown_types)
{
	static const uint16_t bad[] = { 0, PROTO_REQUEST_LAST + 1, 63,
					PROTO_EVENT_LAST + 1, 0xffff };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n = make_name(PROTO_LINK, "echo");
		m.hdr.type = bad[i];
		ck_assert_int_eq(check(n, FROM_PROGRAM), -EPROTO);
		ck_assert_int_eq(check(n, FROM_BROKER), -EPROTO);
	}
}
END_TEST

START_TEST(test_proto_requests_only_from_programs_events_only_from_broker)
{
	size_t n = make_name(PROTO_SERVE, "svc");
	ck_assert_int_eq(check(n, FROM_PROGRAM), 0);
	ck_assert_int_eq(check(n, FROM_BROKER), -EPROTO);

	memset(&m, 0, sizeof(m));
	proto_hdr_init(&m.hdr, PROTO_CLOSED, sizeof(m.status), 4);
	m.status.status = -ECONNREFUSED;
	ck_assert_int_eq(check(sizeof(m.status), FROM_BROKER), 0);
	ck_assert_int_eq(check(sizeof(m.status), FROM_PROGRAM), -EPROTO);
	ck_assert_str_eq(why, "an event type sent by a program");
}
END_TEST

START_TEST(test_proto_handle_must_be_positive_except_broadcast_zero)
{
	size_t n = make_name(PROTO_LINK, "echo");
	m.hdr.handle = 0;
	ck_assert_int_eq(check(n, FROM_PROGRAM), -EPROTO);
	m.hdr.handle = -5;
	ck_assert_int_eq(check(n, FROM_PROGRAM), -EPROTO);

	n = make_broadcast(PROTO_BROADCAST, 10);
	ck_assert_int_eq(check(n, FROM_PROGRAM), 0);
	m.hdr.handle = 1;
	ck_assert_int_eq(check(n, FROM_PROGRAM), -EPROTO);
}
END_TEST

/* --- names ---------------------------------------------------------------- */

START_TEST(test_proto_name_ok_accepts_only_1_to_63_safe_bytes)
{
	char buf[PROTO_NAME_SIZE + 8];
	ck_assert(proto_name_ok("echo"));
	ck_assert(proto_name_ok("a.b_c-D9"));
	ck_assert(!proto_name_ok(""));
	ck_assert(!proto_name_ok("has space"));
	ck_assert(!proto_name_ok("slash/no"));
	ck_assert(!proto_name_ok("nul\x01"));
	ck_assert(!proto_name_ok("caf\xc3\xa9"));
	memset(buf, 'a', 63);
	buf[63] = '\0';
	ck_assert(proto_name_ok(buf));
	memset(buf, 'a', 64);
	buf[64] = '\0';
	ck_assert(!proto_name_ok(buf));
}
END_TEST

START_TEST(test_proto_name_messages_accept_good_names)
{
	static const enum proto_type types[] = { PROTO_LINK, PROTO_SERVE,
						 PROTO_SUBSCRIBE };
	for (size_t i = 0; i < 3; i++) {
		size_t n = make_name(types[i], "echo.v1");
		ck_assert_int_eq(check(n, FROM_PROGRAM), 0);
	}
}
END_TEST

START_TEST(test_proto_rejects_unterminated_name)
{
	size_t n = make_name(PROTO_LINK, "x");
	memset(m.name.name, 'a', sizeof(m.name.name));
	ck_assert_int_eq(check(n, FROM_PROGRAM), -EPROTO);
}
END_TEST

START_TEST(test_proto_rejects_bytes_hidden_after_name_terminator)
{
	size_t n = make_name(PROTO_LINK, "echo");
	m.name.name[10] = 'z';
	ck_assert_int_eq(check(n, FROM_PROGRAM), -EPROTO);
}
END_TEST

START_TEST(test_proto_rejects_empty_and_unsafe_names)
{
	size_t n = make_name(PROTO_SERVE, "");
	ck_assert_int_eq(check(n, FROM_PROGRAM), -EPROTO);
	n = make_name(PROTO_SERVE, "../etc");
	ck_assert_int_eq(check(n, FROM_PROGRAM), -EPROTO);
}
END_TEST

START_TEST(test_proto_rejects_name_message_of_wrong_length)
{
	size_t n = make_name(PROTO_LINK, "echo");
	m.hdr.len = (uint32_t)n + 4;
	ck_assert_int_eq(check(n + 4, FROM_PROGRAM), -EMSGSIZE);
}
END_TEST

/* --- spawn ------------------------------------------------------------------ */

START_TEST(test_proto_spawn_with_arguments_is_accepted)
{
	size_t n = make_spawn("http://h/p", 2, "one\0two\0", 8);
	ck_assert_int_eq(check(n, FROM_PROGRAM), 0);
	n = make_spawn("child", 0, "", 0);
	ck_assert_int_eq(check(n, FROM_PROGRAM), 0);
	n = make_spawn("child", 1, "", 1); /* one empty argument */
	ck_assert_int_eq(check(n, FROM_PROGRAM), 0);
}
END_TEST

START_TEST(test_proto_spawn_rejects_empty_or_unterminated_url)
{
	size_t n = make_spawn("", 0, "", 0);
	ck_assert_int_eq(check(n, FROM_PROGRAM), -EPROTO);
	n = make_spawn("x", 0, "", 0);
	memset(m.spawn.url, 'u', sizeof(m.spawn.url));
	ck_assert_int_eq(check(n, FROM_PROGRAM), -EPROTO);
}
END_TEST

START_TEST(test_proto_spawn_rejects_argc_that_disagrees_with_args)
{
	size_t n = make_spawn("p", 3, "one\0two\0", 8);
	ck_assert_int_eq(check(n, FROM_PROGRAM), -EPROTO);
	n = make_spawn("p", 1, "one\0two\0", 8);
	ck_assert_int_eq(check(n, FROM_PROGRAM), -EPROTO);
}
END_TEST

START_TEST(test_proto_spawn_rejects_unterminated_last_argument)
{
	size_t n = make_spawn("p", 1, "one\0tw", 6);
	ck_assert_int_eq(check(n, FROM_PROGRAM), -EPROTO);
}
END_TEST

START_TEST(test_proto_spawn_rejects_too_many_arguments)
{
	char args[PROTO_ARGS_SIZE];
	memset(args, 0, sizeof(args));
	size_t n = make_spawn("p", PROTO_ARGC_MAX + 1, args,
			      PROTO_ARGC_MAX + 1);
	ck_assert_int_eq(check(n, FROM_PROGRAM), -EPROTO);
	n = make_spawn("p", PROTO_ARGC_MAX, args, PROTO_ARGC_MAX);
	ck_assert_int_eq(check(n, FROM_PROGRAM), 0);
}
END_TEST

START_TEST(test_proto_spawn_rejects_args_len_beyond_field)
{
	size_t n = make_spawn("p", 0, "", 0);
	m.spawn.args_len = PROTO_ARGS_SIZE + 1;
	ck_assert_int_eq(check(n, FROM_PROGRAM), -EPROTO);
}
END_TEST

START_TEST(test_proto_spawn_rejects_bytes_after_args_len)
{
	size_t n = make_spawn("p", 1, "a\0", 2);
	m.spawn.args[100] = 'x';
	ck_assert_int_eq(check(n, FROM_PROGRAM), -EPROTO);
}
END_TEST

/* --- close, kill ------------------------------------------------------------ */

START_TEST(test_proto_close_slot_must_be_in_range_and_reserved_zero)
{
	memset(&m, 0, sizeof(m));
	proto_hdr_init(&m.hdr, PROTO_CLOSE, sizeof(m.close), 2);
	m.close.slot = 5;
	ck_assert_int_eq(check(sizeof(m.close), FROM_PROGRAM), 0);
	m.close.slot = 0;
	ck_assert_int_eq(check(sizeof(m.close), FROM_PROGRAM), 0);
	m.close.slot = PROTO_SLOTS;
	ck_assert_int_eq(check(sizeof(m.close), FROM_PROGRAM), -EPROTO);
	m.close.slot = 1;
	m.close.reserved = 1;
	ck_assert_int_eq(check(sizeof(m.close), FROM_PROGRAM), -EPROTO);
	/* A header-only CLOSE (the old layout) is the wrong length. */
	m.hdr.len = sizeof(m.hdr);
	ck_assert_int_eq(check(sizeof(m.hdr), FROM_PROGRAM), -EMSGSIZE);
}
END_TEST

START_TEST(test_proto_kill_is_header_only)
{
	memset(&m, 0, sizeof(m));
	proto_hdr_init(&m.hdr, PROTO_KILL, sizeof(m.hdr), 4);
	ck_assert_int_eq(check(sizeof(m.hdr), FROM_PROGRAM), 0);
	m.hdr.len = sizeof(m.hdr) + 4;
	ck_assert_int_eq(check(sizeof(m.hdr) + 4, FROM_PROGRAM), -EMSGSIZE);
}
END_TEST

/* --- broadcast ---------------------------------------------------------------- */

START_TEST(test_proto_broadcast_payload_from_zero_to_max)
{
	size_t n = make_broadcast(PROTO_BROADCAST, 0);
	ck_assert_int_eq(check(n, FROM_PROGRAM), 0);
	n = make_broadcast(PROTO_BROADCAST, PROTO_BROADCAST_MAX);
	ck_assert_int_eq(check(n, FROM_PROGRAM), 0);
	ck_assert_uint_eq(n, PROTO_PAGE);
}
END_TEST

START_TEST(test_proto_broadcast_rejects_bad_channel_and_reserved)
{
	size_t n = make_broadcast(PROTO_BROADCAST, 4);
	strcpy(m.bcast.channel, "no way");
	ck_assert_int_eq(check(n, FROM_PROGRAM), -EPROTO);
	n = make_broadcast(PROTO_BROADCAST, 4);
	m.bcast.reserved[2] = 1;
	ck_assert_int_eq(check(n, FROM_PROGRAM), -EPROTO);
}
END_TEST

START_TEST(test_proto_broadcast_dropped_only_in_deliveries)
{
	size_t n = make_broadcast(PROTO_BROADCAST, 4);
	m.bcast.dropped = 3;
	ck_assert_int_eq(check(n, FROM_PROGRAM), -EPROTO);
	n = make_broadcast(PROTO_DELIVER, 4);
	m.bcast.dropped = 3;
	ck_assert_int_eq(check(n, FROM_BROKER), 0);
}
END_TEST

START_TEST(test_proto_broadcast_shorter_than_its_header_is_rejected)
{
	size_t n = make_broadcast(PROTO_BROADCAST, 0);
	m.hdr.len = (uint32_t)n - 1;
	ck_assert_int_eq(check(n - 1, FROM_PROGRAM), -EMSGSIZE);
}
END_TEST

/* --- events from the broker ----------------------------------------------------- */

START_TEST(test_proto_opened_and_incoming_slots)
{
	memset(&m, 0, sizeof(m));
	proto_hdr_init(&m.hdr, PROTO_OPENED, sizeof(m.opened), 6);
	m.hdr.version = 4; /* the 32-byte layout */
	m.opened.slot = 0; /* not a link */
	ck_assert_int_eq(check(sizeof(m.opened), FROM_BROKER), 0);
	m.opened.slot = PROTO_SLOTS - 1;
	ck_assert_int_eq(check(sizeof(m.opened), FROM_BROKER), 0);
	m.opened.slot = PROTO_SLOTS;
	ck_assert_int_eq(check(sizeof(m.opened), FROM_BROKER), -EPROTO);

	m.hdr.type = PROTO_INCOMING;
	m.opened.slot = PROTO_CONTROL_SLOT;
	ck_assert_int_eq(check(sizeof(m.opened), FROM_BROKER), -EPROTO);
	m.opened.slot = 3;
	ck_assert_int_eq(check(sizeof(m.opened), FROM_BROKER), -EPROTO);
	ck_assert_str_eq(why, "party_links out of range");
	m.opened.party_links = 2;
	ck_assert_int_eq(check(sizeof(m.opened), FROM_BROKER), 0);
}
END_TEST

/* Version 5: OPENED and INCOMING carry who is at the other end of a link
 * (struct proto_peer), and nothing for what is no link. */
START_TEST(test_proto_version_5_says_who_is_at_the_other_end)
{
	size_t n = make_event(PROTO_INCOMING, sizeof(m.linked));
	m.opened.slot = 5;
	m.opened.party_links = 1;
	m.linked.who.uid = 65534;
	memset(m.linked.who.sha256, 0xab, sizeof(m.linked.who.sha256));
	strcpy(m.linked.who.url, "https://origin/prog");
	ck_assert_int_eq(check(n, FROM_BROKER), 0);
	/* the 32-byte layout is version 4's only */
	rejects(sizeof(m.opened), FROM_BROKER, -EMSGSIZE,
		"header length differs from the datagram's");
	m.hdr.len = sizeof(m.opened);
	rejects(sizeof(m.opened), FROM_BROKER, -EMSGSIZE,
		"wrong length for its type");
	m.hdr.len = (uint32_t)n;
	m.linked.who.url[0] = '\0';
	rejects(n, FROM_BROKER, -EPROTO,
		"peer: host or URL is not a terminated string");
	strcpy(m.linked.who.url, "https://origin/prog");
	memset(m.linked.who.host, 'h', sizeof(m.linked.who.host));
	rejects(n, FROM_BROKER, -EPROTO,
		"peer: host or URL is not a terminated string");
	memset(m.linked.who.host, 0, sizeof(m.linked.who.host));
	m.linked.who.url[sizeof(m.linked.who.url) - 1] = 'x'; /* padding */
	rejects(n, FROM_BROKER, -EPROTO,
		"peer: host or URL is not a terminated string");
	m.linked.who.url[sizeof(m.linked.who.url) - 1] = '\0';
	m.linked.who.reserved = 1;
	rejects(n, FROM_BROKER, -EPROTO, "reserved field is not zero");
	m.linked.who.reserved = 0;
	/* An OPENED of a served name (slot 0) has no peer. */
	m.hdr.type = PROTO_OPENED;
	m.opened.slot = 0;
	m.opened.party_links = 0;
	rejects(n, FROM_BROKER, -EPROTO, "a peer for what is no link");
	memset(&m.linked.who, 0, sizeof(m.linked.who));
	ck_assert_int_eq(check(n, FROM_BROKER), 0);
}
END_TEST

START_TEST(test_proto_versions_3_to_6_are_spoken_and_no_other)
{
	for (unsigned v = 0; v < 8; v++) {
		size_t n = make_name(PROTO_LINK, "echo");
		m.hdr.version = (uint16_t)v;
		int want = v >= PROTO_VERSION_MIN && v <= PROTO_VERSION
				   ? 0
				   : -EPROTO;
		ck_assert_int_eq(check(n, FROM_PROGRAM), want);
	}
}
END_TEST

/* INCOMING counts the client's party's links from version 4 on, 1..63;
 * in version 3, and in every other event, the field is reserved. */
START_TEST(test_proto_party_links_only_in_a_version_4_incoming)
{
	size_t n = make_event(PROTO_INCOMING, sizeof(m.opened));
	m.hdr.version = 4;
	m.opened.slot = 5;
	m.opened.party_links = 1;
	ck_assert_int_eq(check(n, FROM_BROKER), 0);
	m.opened.party_links = PROTO_SLOTS - 1;
	ck_assert_int_eq(check(n, FROM_BROKER), 0);
	m.opened.party_links = PROTO_SLOTS;
	rejects(n, FROM_BROKER, -EPROTO, "party_links out of range");
	m.opened.party_links = 0;
	rejects(n, FROM_BROKER, -EPROTO, "party_links out of range");
	m.hdr.version = 3;
	ck_assert_int_eq(check(n, FROM_BROKER), 0);
	m.opened.party_links = 1;
	rejects(n, FROM_BROKER, -EPROTO, "reserved field is not zero");
	m.hdr.version = 4;
	m.hdr.type = PROTO_OPENED;
	rejects(n, FROM_BROKER, -EPROTO, "reserved field is not zero");
}
END_TEST

START_TEST(test_proto_closed_status_is_zero_or_errno)
{
	memset(&m, 0, sizeof(m));
	proto_hdr_init(&m.hdr, PROTO_CLOSED, sizeof(m.status), 6);
	ck_assert_int_eq(check(sizeof(m.status), FROM_BROKER), 0);
	m.status.status = -4095;
	ck_assert_int_eq(check(sizeof(m.status), FROM_BROKER), 0);
	m.status.status = 1;
	ck_assert_int_eq(check(sizeof(m.status), FROM_BROKER), -EPROTO);
	m.status.status = -4096;
	ck_assert_int_eq(check(sizeof(m.status), FROM_BROKER), -EPROTO);
}
END_TEST

/* Version 6's LINK_ENDED: a link's slot (never the control link's) and
 * a status, handle 0; unknown to the versions before it. */
START_TEST(test_proto_link_ended_names_a_slot_and_a_status_from_version_6)
{
	memset(&m, 0, sizeof(m));
	proto_hdr_init(&m.hdr, PROTO_LINK_ENDED, sizeof(m.ended), 0);
	m.ended.slot = 5;
	m.ended.status = -ETIMEDOUT;
	ck_assert_uint_eq(sizeof(m.ended), 24);
	ck_assert_int_eq(check(sizeof(m.ended), FROM_BROKER), 0);
	ck_assert_int_eq(check(sizeof(m.ended), FROM_PROGRAM), -EPROTO);
	m.hdr.version = 5;
	rejects(sizeof(m.ended), FROM_BROKER, -EPROTO, "unknown message type");
	m.hdr.version = 6;
	m.hdr.handle = 5;
	rejects(sizeof(m.ended), FROM_BROKER, -EPROTO, "handle out of range");
	m.hdr.handle = 0;
	m.ended.slot = PROTO_CONTROL_SLOT;
	rejects(sizeof(m.ended), FROM_BROKER, -EPROTO, "slot out of range");
	m.ended.slot = PROTO_SLOTS;
	rejects(sizeof(m.ended), FROM_BROKER, -EPROTO, "slot out of range");
	m.ended.slot = PROTO_SLOTS - 1;
	m.ended.status = 1;
	rejects(sizeof(m.ended), FROM_BROKER, -EPROTO, "bad status");
	m.ended.status = 0;
	ck_assert_int_eq(check(sizeof(m.ended), FROM_BROKER), 0);
	size_t n = resize(sizeof(m.ended), +8);
	rejects(n, FROM_BROKER, -EMSGSIZE, "wrong length for its type");
}
END_TEST

START_TEST(test_proto_exited_status_and_reason)
{
	memset(&m, 0, sizeof(m));
	proto_hdr_init(&m.hdr, PROTO_EXITED, sizeof(m.exited), 6);
	m.exited.status = 127;
	strcpy(m.exited.reason, "HTTP 404");
	ck_assert_int_eq(check(sizeof(m.exited), FROM_BROKER), 0);
	m.exited.status = 256;
	ck_assert_int_eq(check(sizeof(m.exited), FROM_BROKER), -EPROTO);
	m.exited.status = 0;
	memset(m.exited.reason, 'r', sizeof(m.exited.reason));
	ck_assert_int_eq(check(sizeof(m.exited), FROM_BROKER), -EPROTO);
}
END_TEST

START_TEST(test_proto_opened_reserved_must_be_zero)
{
	size_t n = make_event(PROTO_OPENED, sizeof(m.opened));
	m.hdr.version = 4;
	m.opened.party_links = 1;
	rejects(n, FROM_BROKER, -EPROTO, "reserved field is not zero");
}
END_TEST

START_TEST(test_proto_closed_rejects_nonzero_reserved)
{
	size_t n = make_event(PROTO_CLOSED, sizeof(m.status));
	m.status.status = -ECONNREFUSED;
	ck_assert_int_eq(check(n, FROM_BROKER), 0);
	m.status.reserved = 1;
	rejects(n, FROM_BROKER, -EPROTO, "bad status");
	m.status.reserved = 0x80000000u;
	rejects(n, FROM_BROKER, -EPROTO, "bad status");
}
END_TEST

START_TEST(test_proto_exited_rejects_nonzero_reserved_and_negative_status)
{
	size_t n = make_event(PROTO_EXITED, sizeof(m.exited));
	m.exited.status = 0;
	ck_assert_int_eq(check(n, FROM_BROKER), 0);
	m.exited.status = 255;
	ck_assert_int_eq(check(n, FROM_BROKER), 0);
	m.exited.reserved = 1;
	rejects(n, FROM_BROKER, -EPROTO, "bad exit status");
	m.exited.reserved = 0;
	m.exited.status = -1;
	rejects(n, FROM_BROKER, -EPROTO, "bad exit status");
	m.exited.status = -ECONNREFUSED; /* an errno is no exit status */
	rejects(n, FROM_BROKER, -EPROTO, "bad exit status");
}
END_TEST

START_TEST(test_proto_exited_rejects_bytes_after_the_reason)
{
	size_t n = make_event(PROTO_EXITED, sizeof(m.exited));
	m.exited.status = 127;
	strcpy(m.exited.reason, "HTTP 404");
	m.exited.reason[sizeof(m.exited.reason) - 1] = 'x';
	rejects(n, FROM_BROKER, -EPROTO, "reason is not a terminated string");
}
END_TEST

/* Every type of a fixed size, a byte short and a byte long, with the
 * header's length agreeing with the datagram's. */
START_TEST(test_proto_fixed_types_reject_a_wrong_length)
{
	static const struct {
		enum proto_type type;
		size_t len;
		int dir;
	} fixed[] = {
		{ PROTO_LINK, sizeof(struct proto_name), FROM_PROGRAM },
		{ PROTO_SERVE, sizeof(struct proto_name), FROM_PROGRAM },
		{ PROTO_SUBSCRIBE, sizeof(struct proto_name), FROM_PROGRAM },
		{ PROTO_SPAWN, sizeof(struct proto_spawn), FROM_PROGRAM },
		{ PROTO_KILL, sizeof(struct proto_hdr), FROM_PROGRAM },
		{ PROTO_CLOSE, sizeof(struct proto_close), FROM_PROGRAM },
		{ PROTO_OPENED, sizeof(struct proto_linked), FROM_BROKER },
		{ PROTO_INCOMING, sizeof(struct proto_linked), FROM_BROKER },
		{ PROTO_CLOSED, sizeof(struct proto_status), FROM_BROKER },
		{ PROTO_EXITED, sizeof(struct proto_exited), FROM_BROKER },
	};
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		size_t n = make_event(fixed[i].type, fixed[i].len);
		if (fixed[i].type <= PROTO_SUBSCRIBE)
			m.name.name[0] = 'a';
		if (fixed[i].type == PROTO_SPAWN)
			m.spawn.url[0] = 'p';
		if (fixed[i].type == PROTO_INCOMING) {
			m.opened.slot = 1;
			m.opened.party_links = 1;
			m.linked.who.url[0] = 'p';
		}
		ck_assert_int_eq(check(n, fixed[i].dir), 0);
		if (fixed[i].len > sizeof(struct proto_hdr)) {
			n = resize(fixed[i].len, -1);
			rejects(n, fixed[i].dir, -EMSGSIZE,
				"wrong length for its type");
		}
		n = resize(fixed[i].len, +1);
		rejects(n, fixed[i].dir, -EMSGSIZE, "wrong length for its type");
	}
}
END_TEST

START_TEST(test_proto_broadcast_rejects_bytes_after_the_channel_terminator)
{
	static const enum proto_type types[] = { PROTO_BROADCAST,
						 PROTO_DELIVER };
	static const int dirs[] = { FROM_PROGRAM, FROM_BROKER };
	for (int i = 0; i < 2; i++) {
		size_t n = make_broadcast(types[i], 4);
		ck_assert_int_eq(check(n, dirs[i]), 0);
		m.bcast.channel[sizeof(m.bcast.channel) - 1] = 'x';
		rejects(n, dirs[i], -EPROTO, "broadcast: bad channel name");
		n = make_broadcast(types[i], 4);
		memset(m.bcast.channel, 'c', sizeof(m.bcast.channel));
		rejects(n, dirs[i], -EPROTO, "broadcast: bad channel name");
		n = make_broadcast(types[i], 4);
		memset(m.bcast.channel, 0, sizeof(m.bcast.channel));
		rejects(n, dirs[i], -EPROTO, "broadcast: bad channel name");
	}
}
END_TEST

START_TEST(test_proto_events_need_a_positive_handle)
{
	size_t n = make_broadcast(PROTO_DELIVER, 4);
	m.hdr.handle = 0; /* only a BROADCAST names no handle */
	rejects(n, FROM_BROKER, -EPROTO, "handle out of range");
	n = make_event(PROTO_CLOSED, sizeof(m.status));
	m.hdr.handle = -1;
	rejects(n, FROM_BROKER, -EPROTO, "handle out of range");
}
END_TEST

/* A broadcast's payload limit is the page's: 96 bytes of header and 4000
 * of payload fill it, so one byte more is refused as longer than a page
 * before the payload rule (10.1, check 14) is reached. */
START_TEST(test_proto_broadcast_payload_limit_is_the_page_limit)
{
	size_t n = make_broadcast(PROTO_BROADCAST, PROTO_BROADCAST_MAX + 1);
	rejects(n, FROM_PROGRAM, -EMSGSIZE, "longer than a page");
}
END_TEST

/* docs/PROTOCOL.md 10.1, in its order: a message that breaks each rule
 * and nothing before it is refused with that rule's reason. */
START_TEST(test_proto_each_rule_refuses_with_its_documented_reason)
{
	size_t n;
	memset(&m, 0, sizeof(m));
	rejects(15, FROM_PROGRAM, -EMSGSIZE, "shorter than a header"); /* 1 */
	n = make_broadcast(PROTO_BROADCAST, PROTO_BROADCAST_MAX + 1); /* 2 */
	rejects(n, FROM_PROGRAM, -EMSGSIZE, "longer than a page");
	n = make_name(PROTO_LINK, "echo"); /* 3 */
	m.hdr.version = 0;
	rejects(n, FROM_PROGRAM, -EPROTO, "unknown protocol version");
	n = make_name(PROTO_LINK, "echo"); /* 4 */
	m.hdr.len = 81;
	rejects(n, FROM_PROGRAM, -EMSGSIZE,
		"header length differs from the datagram's");
	n = make_name(PROTO_LINK, "echo"); /* 5 */
	m.hdr.reserved = 0x100;
	rejects(n, FROM_PROGRAM, -EPROTO, "reserved header field is not zero");
	n = make_name(PROTO_LINK, "echo"); /* 6 */
	m.hdr.type = 8;
	rejects(n, FROM_PROGRAM, -EPROTO, "unknown message type");
	n = make_event(PROTO_CLOSED, sizeof(m.status)); /* 7 */
	rejects(n, FROM_PROGRAM, -EPROTO, "an event type sent by a program");
	n = make_name(PROTO_LINK, "echo"); /* 8 */
	rejects(n, FROM_BROKER, -EPROTO, "a request type sent by the broker");
	n = make_name(PROTO_LINK, "echo"); /* 9 */
	m.hdr.handle = 0;
	rejects(n, FROM_PROGRAM, -EPROTO, "handle out of range");
	n = make_broadcast(PROTO_BROADCAST, 0); /* 10 */
	n = resize(n, -1);
	rejects(n, FROM_PROGRAM, -EMSGSIZE, "broadcast shorter than its header");
	n = make_broadcast(PROTO_BROADCAST, 4); /* 11 */
	strcpy(m.bcast.channel, "a/b");
	rejects(n, FROM_PROGRAM, -EPROTO, "broadcast: bad channel name");
	n = make_broadcast(PROTO_BROADCAST, 4); /* 12 */
	m.bcast.reserved[0] = 1;
	rejects(n, FROM_PROGRAM, -EPROTO,
		"broadcast: reserved field is not zero");
	n = make_broadcast(PROTO_BROADCAST, 4); /* 13 */
	m.bcast.dropped = 1;
	rejects(n, FROM_PROGRAM, -EPROTO, "broadcast: dropped is not zero");
	/* 14 cannot be reached: see the test above. */
	n = make_spawn("p", 0, "", 0); /* 15 */
	n = resize(n, -8);
	rejects(n, FROM_PROGRAM, -EMSGSIZE, "wrong length for its type");
	n = make_name(PROTO_SUBSCRIBE, "no space"); /* 16 */
	rejects(n, FROM_PROGRAM, -EPROTO,
		"bad name: 1-63 bytes of [A-Za-z0-9._-]");
	n = make_spawn("", 0, "", 0); /* 17 */
	rejects(n, FROM_PROGRAM, -EPROTO, "spawn: url is not a terminated string");
	n = make_spawn("p", 0, "", 0); /* 17: hidden after the terminator */
	m.spawn.url[sizeof(m.spawn.url) - 1] = 'x';
	rejects(n, FROM_PROGRAM, -EPROTO, "spawn: url is not a terminated string");
	n = make_spawn("p", PROTO_ARGC_MAX + 1, "", 0); /* 18 */
	rejects(n, FROM_PROGRAM, -EPROTO, "spawn: too many arguments");
	n = make_spawn("p", 0, "", 0); /* 19 */
	m.spawn.args_len = PROTO_ARGS_SIZE + 1;
	rejects(n, FROM_PROGRAM, -EPROTO, "spawn: args_len larger than the field");
	n = make_spawn("p", 2, "ab\0", 3); /* 20 */
	rejects(n, FROM_PROGRAM, -EPROTO,
		"spawn: args do not hold argc terminated strings");
	n = make_spawn("p", 1, "a\0", 2); /* 21 */
	m.spawn.args[PROTO_ARGS_SIZE - 1] = 'z';
	rejects(n, FROM_PROGRAM, -EPROTO,
		"spawn: bytes after args_len are not zero");
	n = make_event(PROTO_CLOSE, sizeof(m.close)); /* 22 */
	m.close.reserved = 1;
	rejects(n, FROM_PROGRAM, -EPROTO, "reserved field is not zero");
	n = make_event(PROTO_CLOSE, sizeof(m.close)); /* 23 */
	m.close.slot = 1000;
	rejects(n, FROM_PROGRAM, -EPROTO, "slot out of range");
	n = make_event(PROTO_INCOMING, sizeof(m.opened)); /* 24 */
	m.opened.slot = 1;
	m.hdr.version = 3; /* party_links is version 4's */
	m.opened.party_links = 1;
	rejects(n, FROM_BROKER, -EPROTO, "reserved field is not zero");
	n = make_event(PROTO_INCOMING, sizeof(m.opened)); /* 25 */
	m.hdr.version = 4;
	rejects(n, FROM_BROKER, -EPROTO, "slot out of range");
	n = make_event(PROTO_CLOSED, sizeof(m.status)); /* 26 */
	m.status.status = 1;
	rejects(n, FROM_BROKER, -EPROTO, "bad status");
	n = make_event(PROTO_EXITED, sizeof(m.exited)); /* 27 */
	m.exited.status = 256;
	rejects(n, FROM_BROKER, -EPROTO, "bad exit status");
	n = make_event(PROTO_EXITED, sizeof(m.exited)); /* 28 */
	memset(m.exited.reason, 'r', sizeof(m.exited.reason));
	rejects(n, FROM_BROKER, -EPROTO, "reason is not a terminated string");
}
END_TEST

/* --- the boot page --------------------------------------------------------------- */

START_TEST(test_proto_boot_page_fits_a_page_and_says_its_magic)
{
	ck_assert_uint_le(sizeof(struct proto_boot), PROTO_PAGE);
	/* "FkOkBoot" in memory order. */
	uint64_t magic = PROTO_BOOT_MAGIC;
	ck_assert_int_eq(memcmp(&magic, "FkOkBoot", 8), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("proto");
	TCase *t = tcase_create("check");
	tcase_add_test(t, test_proto_header_is_16_bytes_and_init_fills_it);
	tcase_add_test(t, test_proto_rejects_datagram_shorter_than_header);
	tcase_add_test(t, test_proto_rejects_datagram_longer_than_page);
	tcase_add_test(t, test_proto_rejects_unknown_version);
	tcase_add_test(t, test_proto_rejects_length_field_that_differs_from_datagram);
	tcase_add_test(t, test_proto_rejects_nonzero_reserved_header_field);
	tcase_add_test(t, test_proto_rejects_unknown_types);
	tcase_add_test(t, test_proto_requests_only_from_programs_events_only_from_broker);
	tcase_add_test(t, test_proto_handle_must_be_positive_except_broadcast_zero);
	tcase_add_test(t, test_proto_name_ok_accepts_only_1_to_63_safe_bytes);
	tcase_add_test(t, test_proto_name_messages_accept_good_names);
	tcase_add_test(t, test_proto_rejects_unterminated_name);
	tcase_add_test(t, test_proto_rejects_bytes_hidden_after_name_terminator);
	tcase_add_test(t, test_proto_rejects_empty_and_unsafe_names);
	tcase_add_test(t, test_proto_rejects_name_message_of_wrong_length);
	tcase_add_test(t, test_proto_spawn_with_arguments_is_accepted);
	tcase_add_test(t, test_proto_spawn_rejects_empty_or_unterminated_url);
	tcase_add_test(t, test_proto_spawn_rejects_argc_that_disagrees_with_args);
	tcase_add_test(t, test_proto_spawn_rejects_unterminated_last_argument);
	tcase_add_test(t, test_proto_spawn_rejects_too_many_arguments);
	tcase_add_test(t, test_proto_spawn_rejects_args_len_beyond_field);
	tcase_add_test(t, test_proto_spawn_rejects_bytes_after_args_len);
	tcase_add_test(t, test_proto_close_slot_must_be_in_range_and_reserved_zero);
	tcase_add_test(t, test_proto_kill_is_header_only);
	tcase_add_test(t, test_proto_broadcast_payload_from_zero_to_max);
	tcase_add_test(t, test_proto_broadcast_rejects_bad_channel_and_reserved);
	tcase_add_test(t, test_proto_broadcast_dropped_only_in_deliveries);
	tcase_add_test(t, test_proto_broadcast_shorter_than_its_header_is_rejected);
	tcase_add_test(t, test_proto_opened_and_incoming_slots);
	tcase_add_test(t, test_proto_version_5_says_who_is_at_the_other_end);
	tcase_add_test(t, test_proto_closed_status_is_zero_or_errno);
	tcase_add_test(t, test_proto_exited_status_and_reason);
	tcase_add_test(t, test_proto_opened_reserved_must_be_zero);
	tcase_add_test(t, test_proto_closed_rejects_nonzero_reserved);
	tcase_add_test(t, test_proto_exited_rejects_nonzero_reserved_and_negative_status);
	tcase_add_test(t, test_proto_exited_rejects_bytes_after_the_reason);
	tcase_add_test(t, test_proto_fixed_types_reject_a_wrong_length);
	tcase_add_test(t, test_proto_broadcast_rejects_bytes_after_the_channel_terminator);
	tcase_add_test(t, test_proto_events_need_a_positive_handle);
	tcase_add_test(t, test_proto_broadcast_payload_limit_is_the_page_limit);
	tcase_add_test(t, test_proto_each_rule_refuses_with_its_documented_reason);
	tcase_add_test(t, test_proto_boot_page_fits_a_page_and_says_its_magic);
	tcase_add_test(t, test_proto_versions_3_to_6_are_spoken_and_no_other);
	tcase_add_test(t, test_proto_link_ended_names_a_slot_and_a_status_from_version_6);
	tcase_add_test(t, test_proto_party_links_only_in_a_version_4_incoming);
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
