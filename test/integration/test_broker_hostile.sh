#!/bin/bash
# Hostile programs that attack the broker rather than the kernel: forged
# control messages on ring slot 0 (malformed, oversized, out of order,
# flooding, never reading the replies), requests about other programs'
# handles and names, and spawns that would make the privileged launcher
# open a host file or connect somewhere on the host.
#
# Each hostile program runs as the child of test/escape/broker_driver, a
# well-behaved program that keeps exchanging numbered datagrams with a
# partner program the whole time. The hostile child must end the way the
# broker documents (killed, with the reason in the launcher's stderr), and
# the important part: the driver completes with every datagram delivered
# in order, the broker still serves it a new link afterwards, its partner
# exits normally, and the launcher exits 0.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TOP/test/escape/harness.sh"

# hostile PROG [ARG...] — PROG as the child of the driver ("@NAME" in ARGs
# is the name the driver's partner serves).
hostile() { jail broker_driver "$@"; }

# The driver and its partner lived through it; the child ended with STATUS.
expect_driver_survives() { # STATUS
	expect_code 0
	assert_contains "$OUT" "broker_driver: hostile child exited with $1"
	assert_contains "$OUT" "broker_driver: a new link after the hostile child: ok"
	assert_contains "$OUT" ", 200 after the hostile child ended, 0 lost or reordered"
	assert_contains "$OUT" "broker_driver: partner exited with 0"
	assert_contains "$OUT" "broker_driver: PASS"
	assert_not_contains "$OUT" "ESCAPED"
	assert_host_untouched
}

# The broker killed PROG, saying REASON; nobody else noticed.
expect_hostile_killed() { # PROG REASON
	assert_contains "$ERR" "file://$ESCAPES/$1: killed: $2"
	assert_not_contains "$ERR" "broker_driver: killed"
	expect_driver_survives 137
}

M="malformed control message"

# --- malformed --------------------------------------------------------------

test_bad_version_kills_only_the_sender() {
	hostile ctl_bad_version
	expect_hostile_killed ctl_bad_version "$M: unknown protocol version"
}
test_switching_protocol_versions_kills_only_the_sender() {
	hostile ctl_version_switch
	expect_hostile_killed ctl_version_switch "$M: protocol version 4 after 3"
}
test_empty_datagram_kills_only_the_sender() {
	hostile ctl_empty_datagram
	expect_hostile_killed ctl_empty_datagram "$M: shorter than a header"
}
test_message_shorter_than_a_header_kills_only_the_sender() {
	hostile ctl_short_header
	expect_hostile_killed ctl_short_header "$M: shorter than a header"
}
test_header_length_mismatch_kills_only_the_sender() {
	hostile ctl_length_mismatch
	expect_hostile_killed ctl_length_mismatch "$M: header length differs from the datagram's"
}
test_wrong_length_for_the_type_kills_only_the_sender() {
	hostile ctl_wrong_length_for_type
	expect_hostile_killed ctl_wrong_length_for_type "$M: wrong length for its type"
}
# Who calls a service is the broker's word (fk_peer), never the client's:
# a request has no room for a claim.
test_a_link_request_that_claims_an_identity_kills_only_the_sender() {
	hostile ctl_link_claims_identity
	expect_hostile_killed ctl_link_claims_identity "$M: wrong length for its type"
}
test_unknown_type_kills_only_the_sender() {
	hostile ctl_unknown_type
	expect_hostile_killed ctl_unknown_type "$M: unknown message type"
}
test_nonzero_reserved_header_field_kills_only_the_sender() {
	hostile ctl_reserved_header
	expect_hostile_killed ctl_reserved_header "$M: reserved header field is not zero"
}
test_nonzero_reserved_body_field_kills_only_the_sender() {
	hostile ctl_reserved_body
	expect_hostile_killed ctl_reserved_body "$M: reserved field is not zero"
}
test_bytes_after_a_names_nul_kill_only_the_sender() {
	hostile ctl_name_padding
	expect_hostile_killed ctl_name_padding "$M: bad name"
}
test_unterminated_name_kills_only_the_sender() {
	hostile ctl_unterminated_name
	expect_hostile_killed ctl_unterminated_name "$M: bad name"
}
test_name_with_a_slash_kills_only_the_sender() {
	hostile ctl_name_with_slash
	expect_hostile_killed ctl_name_with_slash "$M: bad name"
}
test_spawn_with_argc_mismatch_kills_only_the_sender() {
	hostile ctl_spawn_argc_mismatch
	expect_hostile_killed ctl_spawn_argc_mismatch "$M: spawn: args do not hold argc terminated strings"
}
test_spawn_with_args_len_past_the_field_kills_only_the_sender() {
	hostile ctl_spawn_args_overflow
	expect_hostile_killed ctl_spawn_args_overflow "$M: spawn: args_len larger than the field"
}
test_spawn_with_unterminated_url_kills_only_the_sender() {
	hostile ctl_spawn_unterminated_url
	expect_hostile_killed ctl_spawn_unterminated_url "$M: spawn: url is not a terminated string"
}
test_spawn_with_too_many_arguments_kills_only_the_sender() {
	hostile ctl_spawn_too_many_args
	expect_hostile_killed ctl_spawn_too_many_args "$M: spawn: too many arguments"
}
test_negative_handle_kills_only_the_sender() {
	hostile ctl_bad_handle
	expect_hostile_killed ctl_bad_handle "$M: handle out of range"
}
test_slot_out_of_range_kills_only_the_sender() {
	hostile ctl_bad_slot
	expect_hostile_killed ctl_bad_slot "$M: slot out of range"
}
test_forged_broadcast_losses_kill_only_the_sender() {
	hostile ctl_broadcast_dropped
	expect_hostile_killed ctl_broadcast_dropped "$M: broadcast: dropped is not zero"
}

# --- oversized, out of order, flooding, not reading ----------------------------

test_oversized_datagram_kills_only_the_sender() {
	hostile ctl_oversized
	expect_hostile_killed ctl_oversized "oversized control message (4097 bytes, at most 4096)"
}
test_event_type_from_a_program_kills_only_the_sender() {
	hostile ctl_event_type
	expect_hostile_killed ctl_event_type "$M: an event type sent by a program"
}
test_reusing_a_live_handle_kills_only_the_sender() {
	hostile ctl_reuse_live_handle
	expect_hostile_killed ctl_reuse_live_handle "control message reuses live handle 5"
}
test_message_flood_kills_only_the_sender() {
	hostile ctl_flood
	expect_hostile_killed ctl_flood "control message flood (over "
}
test_never_reading_replies_kills_only_the_sender() {
	hostile ctl_unread_replies
	expect_hostile_killed ctl_unread_replies "control link full: the program does not read its replies"
}

# The top program itself: the launch ends with 137 and the reason.
test_forged_message_from_the_top_program_ends_the_launch_with_137() {
	jail ctl_bad_version
	expect_code 137
	assert_contains "$ERR" "file://$ESCAPES/ctl_bad_version: killed: $M: unknown protocol version"
	assert_not_contains "$OUT" "ESCAPED"
	assert_host_untouched
}

# --- valid requests about what is not the sender's ------------------------------

# Handles are per program: KILL and CLOSE of the driver's handle numbers
# from another program end nothing of the driver's.
test_kill_and_close_of_foreign_handles_touch_nothing() {
	hostile ctl_kill_foreign_handles
	assert_contains "$OUT" "refused: foreign handles"
	expect_driver_survives 0
}
test_serving_a_name_another_program_serves_is_eaddrinuse() {
	hostile ctl_serve_taken_name @NAME
	assert_contains "$OUT" "refused: SERVE: Address in use"
	expect_driver_survives 0
}

# --- spawn as a confused deputy ------------------------------------------------------
# fk_spawn makes the launcher, outside the jail and privileged, fetch a URL
# the program chose. A jailed program must not get the launcher to open a
# host file it names (a file:// URL, or a relative one climbing out of its
# own directory) nor to connect to a host address (SSRF): the empty root
# and the empty network namespace would mean nothing. Each is tried on a
# FIFO or listener the test owns, which notice any open or connection.

expect_spawn_refused() {
	expect_code 0
	assert_contains "$OUT" "exit: 12" # 126 or 127: the child never ran
	assert_not_contains "$OUT" "ESCAPED"
	assert_host_untouched
}

test_spawn_of_a_host_file_url_opens_nothing() {
	jail spawn_host_url "file://$FIFO"
	expect_spawn_refused
}
test_spawn_of_a_relative_url_out_of_its_directory_opens_nothing() {
	local up
	up=$(echo "$ESCAPES" | sed 's|/[^/]*|../|g')
	jail spawn_host_url "$up${FIFO#/}"
	expect_spawn_refused
}
test_spawn_of_a_loopback_url_connects_nowhere() {
	jail spawn_host_url "http://127.0.0.1:$LISTEN_PORT/program"
	expect_spawn_refused
}

host_start
run_tests | tee "$WORK/results"
escape_summary "$WORK/results"
! grep -q '^FAIL' "$WORK/results"
