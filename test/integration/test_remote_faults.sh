#!/bin/bash
# test_remote_faults.sh — links between programs on two hosts through
# their fakeosds (src/remote.c over src/quic.c), when the network or a
# host misbehaves: loss, a killed daemon, a partition, a wrong key, a
# replayed packet, a capture. Two "hosts" are network namespaces joined
# by a veth pair (test/lib/twohosts.sh), each running its own fakeosd
# (test/lib/remotehosts.sh); the program on each side is
# test/progs/remote_probe, which knows nothing of hosts. The load test is
# test_remote_load.sh.
# Bounds: every wait is bounded; a silent host's links end within the
# idle timeout, 10 s (ngtcp2 makes it some 3 s more), within 15 s
# (docs/API.md 10.4).
. "$(dirname "$0")/../lib/testlib.sh"
. "$(dirname "$0")/../lib/twohosts.sh"
. "$(dirname "$0")/../lib/remotehosts.sh"

DAEMON=${FAKEOS_DAEMON:-$TOP/build/fakeosd}
Q=$TOP/build/tools/quicpeer
PROBE=$TOP/build/progs/remote_probe
PROXY=$TOP/build/tools/lossproxy
ID=$$
NSA=fkfa$ID NSB=fkfb$ID VA=fkfva$ID VB=fkfvb$ID
IPA=10.215.0.1 IPB=10.215.0.2 PORT=4433 PPORT=4435
MARK=FAKEOS-SECRET-PAYLOAD
BOUND_MS=15000

NET_OK=0
if [ "$(id -u)" = 0 ] && [ -x "$Q" ] && [ -x "$PROBE" ] && [ -x "$PROXY" ] &&
	net_up; then
	NET_OK=1
fi

need_net() {
	[ "$NET_OK" = 1 ] ||
		skip "needs root, quicpeer, lossproxy, remote_probe, ip netns"
	stop_all
}

ms_now() { echo $(($(date +%s%N) / 1000000)); }

count_lines() { grep -c -- "$2" "$1" 2>/dev/null || true; }

# a_bg NAME ARGS... — a program through host a's daemon, in the
# background, bounded; its output in $WORK/NAME.out, its pid (the
# client's) in $WORK/NAME.pid.
a_bg() {
	local name=$1
	shift
	FAKEOS_DAEMON_SOCKET=$WORK/a.sock timeout 120 "$RUN" -n \
		"file://$PROBE" "$@" >"$WORK/$name.out" 2>&1 &
	echo $! >"$WORK/$name.pid"
}

# proxy_up LOSS DUP REORDER — lossproxy in b's namespace on $IPB:$PPORT,
# relaying to b's daemon; hosts_up must have been told (B_DIAL) that b
# is there.
proxy_up() {
	ip netns exec "$NSB" "$PROXY" "$IPB:$PPORT" "$IPB:$PORT" "$@" 4321 \
		2>"$WORK/proxy.err" &
	PROXY_PID=$!
	echo "$PROXY_PID" >"$WORK/proxy.pid"
	sleep 0.2
}

# wait_closed FILE — ms until FILE says a link closed, at most 20 s.
wait_closed() {
	local t0 i
	t0=$(ms_now)
	for i in $(seq 1 400); do
		grep -q "closed, status" "$1" && break
		sleep 0.05
	done
	echo $(($(ms_now) - t0))
}

test_a_lossy_network_between_daemons_delivers_every_datagram_once_in_order() {
	need_net
	B_DIAL=$IPB:$PPORT hosts_up
	# 5% loss, 5% duplicated, 5% reordered, each way, between a's
	# daemon and b's.
	proxy_up 5 5 5
	A_TIMEOUT=120 a_run flood db 4 500 8,64,4096,300 echo
	kill -TERM "$PROXY_PID"
	wait "$PROXY_PID"
	expect_code 0
	# Each echo was checked byte for byte against what was sent, in
	# order; a datagram twice, or one missing, is a mismatch.
	assert_contains "$OUT" "done links=4 datagrams=2000"
	assert_not_contains "$(cat "$WORK/b.log")" "echo failed"
	local stats d u r
	stats=$(cat "$WORK/proxy.err")
	echo "    $stats" >&2
	read -r d u r < <(sed -n 's/.*dropped \([0-9]*\) duplicated \([0-9]*\) reordered \([0-9]*\)/\1 \2 \3/p' <<<"$stats")
	[ "${d:-0}" -gt 50 ] && [ "${u:-0}" -gt 50 ] && [ "${r:-0}" -gt 50 ] ||
		fail "the proxy barely perturbed: $stats"
}

run_tests
