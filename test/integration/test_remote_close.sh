#!/bin/bash
# test_remote_close.sh — how an open link across hosts ends, as the
# program sees it (issue 18 §1: "FK_EV_CLOSED when the link ends, with
# errors that tell the cases apart"). Two hosts as in test_remote.sh
# (test/lib/twohosts.sh); a program run through host a's daemon holds a
# link to b's db, asks it for 24 datagrams of a page, and reads nothing
# for 2 s after the first (remote_probe hold), so what came waits in its
# pipe and in a's daemon while the link ends. Then b's program closes the
# link, or b's daemon is killed, killed and restarted, or stopped. The
# program must read all 24, in order, and then FK_EV_CLOSED with the
# status that says which (protocol 6's LINK_ENDED, docs/PROTOCOL.md 6.6).
# Bounds: the silent host's test sets the idle timeout to 4 s
# (link-idle-timeout), so its links end within 4 s and a third more (the
# keep-alive's) of the kill, within 8 s (test_remote.sh bounds the
# default, 10 s, within 15 s); the other ends take well under the idle
# timeout (5 s, of which 2 s are the program's pause). Every wait is
# bounded.
. "$(dirname "$0")/../lib/testlib.sh"
. "$(dirname "$0")/../lib/twohosts.sh"
. "$(dirname "$0")/../lib/remotehosts.sh"
. "$(dirname "$0")/../lib/oldtree.sh"

remote_hosts c 215
N=24
# The last commit whose libfakeos spoke protocol 5 (a hash: see
# test_compat.sh), and where its remote_probe is built.
V5_COMMIT=5cf1124d2290036c03ae2cc64be4f0f7ba64d7e5
V5=$WORK/v5

# hold_bg MODE — the program on a holds its link to db in the background
# (output in $WORK/c.out, pid in $HOLD); returns once it has the first
# datagram, so the test's next step happens while the link is open.
hold_bg() {
	# Emptied here, not by the redirection of the job, which may come
	# after the wait below has read an earlier test's "first".
	: >"$WORK/c.out"
	FAKEOS_DAEMON_SOCKET=$WORK/a.sock timeout 60 "$RUN" -n \
		"file://$PROBE" hold db "$N" "$1" 2000 >"$WORK/c.out" 2>&1 &
	HOLD=$!
	wait_for_text "$WORK/c.out" first ||
		fail "no first datagram: $(cat "$WORK/c.out")"
}

# ended STATUS MAX-MS — the program's link ended with STATUS after all N
# datagrams, within MAX-MS of its first datagram.
ended() {
	wait "$HOLD" 2>/dev/null
	CODE=$? OUT=$(cat "$WORK/c.out") ERR=""
	expect_code 0
	assert_contains "$OUT" "closed, status $1 after"
	assert_contains "$OUT" "$N of $N datagrams before"
	local ms
	ms=$(sed -n 's/.*after \([0-9]*\) ms.*/\1/p' <<<"$OUT")
	echo "    status $1 seen $ms ms after the first datagram"
	[ -n "$ms" ] && [ "$ms" -le "$2" ] ||
		fail "the link ended after ${ms:-?} ms, over $2"
}

test_a_peer_that_closes_ends_the_link_with_0_after_its_datagrams() {
	need_net
	hosts_up
	hold_bg close
	ended 0 5000
	wait_for_text "$WORK/b.log" "sent $N datagrams" ||
		fail "b's program did not send: $(cat "$WORK/b.log")"
}

test_a_host_gone_silent_ends_the_link_with_etimedout() {
	need_net
	LINK_IDLE=4s hosts_up
	hold_bg keep
	kill -9 "$(cat "$WORK/b.pid")"
	ended -110 8000
	assert_contains "$(cat "$WORK/a.log")" "link db with host b ended: Connection timed out"
}

# A restart is told from the new run's first connection (its instance
# nonce), long before the idle timeout: here b's new run links to a's
# ping, which makes that connection.
test_a_restarted_host_ends_the_link_with_estale() {
	need_net
	A_EXPORTS=1 hosts_up
	hold_bg keep
	kill -9 "$(cat "$WORK/b.pid")"
	start_daemon b "$NSB"
	b_run echo ping
	assert_contains "$OUT" "link ping: open, served by uid=0 host=a"
	ended -116 5000
	assert_contains "$(cat "$WORK/a.log")" "restarted"
}

test_a_stopped_daemon_ends_the_link_with_econnreset() {
	need_net
	hosts_up
	hold_bg keep
	kill -TERM "$(cat "$WORK/b.pid")"
	ended -104 5000
}

# A program built against protocol 5 knows no LINK_ENDED: the broker
# sends it none (an unknown message would end it, "libfakeos: bad message
# from the broker"), and its link ends as it always did, by end of file,
# with 0.
test_a_protocol_5_program_sees_its_link_end_as_before() {
	need_net
	build_old 5 "$V5_COMMIT" "$V5" build/progs/remote_probe
	hosts_up
	: >"$WORK/c.out"
	FAKEOS_DAEMON_SOCKET=$WORK/a.sock timeout 60 "$RUN" -n \
		"file://$V5/build/progs/remote_probe" echo-wait db \
		>"$WORK/c.out" 2>&1 &
	HOLD=$!
	wait_for_text "$WORK/c.out" waiting ||
		fail "no echo: $(cat "$WORK/c.out")"
	kill -TERM "$(cat "$WORK/b.pid")"
	wait "$HOLD" 2>/dev/null
	CODE=$? OUT=$(cat "$WORK/c.out") ERR=""
	expect_code 0
	assert_contains "$OUT" "closed, status 0 after"
	assert_not_contains "$OUT" "libfakeos"
}

run_tests
