#!/bin/bash
# test_quic.sh — host-to-host links over QUIC (src/quic.c) between two
# "hosts": network namespaces joined by a veth pair, made per run with
# unique names and removed by the cleanup hook. On each side runs
# build/tools/quicpeer (one endpoint of the module, in an epoll loop like
# fakeosd's); the client checks every echoed datagram byte for byte, in
# order, exactly once. build/tools/lossproxy makes the network lossy.
# Bounds: idle timeout 2 s in the fault tests, so a dead peer's links end
# within 2 s + 1 s (docs/PROTOCOL.md, "Host to host (draft)").
. "$(dirname "$0")/../lib/testlib.sh"
. "$(dirname "$0")/../lib/twohosts.sh"

Q=$TOP/build/tools/quicpeer
PROXY=$TOP/build/tools/lossproxy
ID=$$
NSA=fkqa$ID NSB=fkqb$ID VA=fkqva$ID VB=fkqvb$ID
IPA=10.213.0.1 IPB=10.213.0.2 PA=4433 PB=4434
MARK=FAKEOS-SECRET-PAYLOAD

inA() { ip netns exec "$NSA" "$@"; }
inB() { ip netns exec "$NSB" "$@"; }

NET_OK=0
if [ "$(id -u)" = 0 ] && [ -x "$Q" ] && [ -x "$PROXY" ] && net_up; then
	NET_OK=1
	KA=$("$Q" keygen "$WORK/a.key") && KB=$("$Q" keygen "$WORK/b.key") &&
		KC=$("$Q" keygen "$WORK/c.key") || NET_OK=0
	# Each side's hosts file names both hosts with their pinned keys.
	printf 'a %s:%s %s\nb %s:%s %s\n' "$IPA" "$PA" "$KA" "$IPB" "$PB" "$KB" \
		>"$WORK/hosts"
fi

need_net() {
	[ "$NET_OK" = 1 ] ||
		skip "needs root, build/tools/quicpeer and lossproxy, ip netns"
	stop_all
}

# serve_a [HOSTS] [OPTS...] — host a serves (echoes) in its namespace.
serve_a() {
	local hosts=${1:-$WORK/hosts}
	shift || true
	# Not through inA: $! must be quicpeer's own pid (ip netns exec
	# execs it), for kill and /proc.
	ip netns exec "$NSA" "$Q" serve "$WORK/a.key" "$hosts" "$IPA:$PA" "$@" \
		>"$WORK/serve.out" 2>"$WORK/serve.err" &
	SERVE_PID=$!
	echo "$SERVE_PID" >"$WORK/serve.pid"
	wait_for_text "$WORK/serve.out" ready || fail "server did not start"
}

# connect_b HOSTS OPTS... — host b connects to a, in the foreground,
# bounded by quicpeer's --deadline and by timeout(1).
connect_b() {
	local hosts=$1
	shift
	run timeout 120 ip netns exec "$NSB" "$Q" connect "$WORK/b.key" \
		"$hosts" "$IPB:$PB" a "$@"
}

# connect_b_bg NAME HOSTS OPTS... — the same in the background.
connect_b_bg() {
	local name=$1 hosts=$2
	shift 2
	ip netns exec "$NSB" "$Q" connect "$WORK/b.key" "$hosts" "$IPB:$PB" a \
		"$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
	echo $! >"$WORK/$name.pid"
}

count_lines() { grep -c -- "$2" "$1" 2>/dev/null || true; }

ms_now() { echo $(($(date +%s%N) / 1000000)); }

test_datagrams_of_1_64_4096_bytes_round_trip_exact_and_in_order() {
	need_net
	serve_a
	connect_b "$WORK/hosts" --sizes 1,64,4096 --count 300 --links 2
	expect_code 0
	assert_contains "$OUT" "conn a"
	assert_contains "$OUT" "done links=2 datagrams=600"
	# The server saw both links end in order (status 0), after the last
	# echo.
	wait_for_text "$WORK/serve.out" "conn-closed b" ||
		fail "server never saw the connection end"
	assert_eq "$(count_lines "$WORK/serve.out" 'link-closed [01] 0 OK')" 2 \
		"links closed in order on the server"
}

test_a_4097_byte_datagram_is_refused() {
	need_net
	serve_a
	connect_b "$WORK/hosts" --sizes 4097 --count 1
	expect_code 1
	assert_contains "$OUT" "send link=0 len=4097: Message too long"
	# The one before the limit goes.
	connect_b "$WORK/hosts" --sizes 4096 --count 1
	expect_code 0
}

test_100_links_of_1000_datagrams_arrive_all_in_order_once_without_leaks() {
	need_net
	serve_a
	local before after t0 t1
	before=$(ls "/proc/$SERVE_PID/fd" | wc -l)
	t0=$(ms_now)
	connect_b "$WORK/hosts" --links 100 --count 1000 --sizes 64,1,4096,300 \
		--window 16 --deadline 90
	t1=$(ms_now)
	expect_code 0
	assert_contains "$OUT" "done links=100 datagrams=100000"
	assert_not_contains "$OUT" "mismatch"
	assert_not_contains "$OUT" "extra"
	# The client's descriptors: as many after quic_close as before
	# quic_open.
	local fds
	fds=$(echo "$OUT" | sed -n 's/^fds before=\([0-9]*\) after=\([0-9]*\)$/\1 \2/p')
	[ -n "$fds" ] || fail "no fds line from the client"
	set -- $fds
	assert_eq "$2" "$1" "client descriptors after the load"
	# The server: every link ended in order, nothing left, no descriptor
	# more than before the load.
	wait_for_text "$WORK/serve.out" "conn-closed b" ||
		fail "server never saw the connection end"
	assert_eq "$(count_lines "$WORK/serve.out" '^link-closed [0-9]* 0 OK$')" \
		100 "server links closed in order"
	kill -USR1 "$SERVE_PID"
	wait_for_text "$WORK/serve.out" "stats" || fail "no stats"
	assert_contains "$(cat "$WORK/serve.out")" "stats conns=0 links=0"
	after=$(ls "/proc/$SERVE_PID/fd" | wc -l)
	assert_eq "$after" "$before" "server descriptors after the load"
	echo "    100 x 1000 datagrams echoed in $((t1 - t0)) ms" >&2
}

test_a_wrong_pinned_key_is_refused_both_ways_and_logged() {
	need_net
	# b pins c's key for a: b refuses a, naming it.
	printf 'a %s:%s %s\nb %s:%s %s\n' "$IPA" "$PA" "$KC" "$IPB" "$PB" "$KB" \
		>"$WORK/hosts.b-wrong"
	serve_a
	connect_b "$WORK/hosts.b-wrong" --deadline 10
	expect_code 1
	assert_contains "$OUT" "conn-closed a -13 EACCES"
	assert_not_contains "$OUT" "conn a"
	assert_contains "$ERR" "host a ($IPA:$PA): presented key $KA, not the pinned $KC: refused"
	wait_for_text "$WORK/serve.err" "refused the handshake" ||
		fail "a did not log b's refusal: $(cat "$WORK/serve.err")"
	assert_not_contains "$(cat "$WORK/serve.out")" "conn b"
	kill "$SERVE_PID"
	wait "$SERVE_PID"
	# a pins c's key for b: a refuses b, naming it; b is told.
	printf 'a %s:%s %s\nb %s:%s %s\n' "$IPA" "$PA" "$KA" "$IPB" "$PB" "$KC" \
		>"$WORK/hosts.a-wrong"
	serve_a "$WORK/hosts.a-wrong"
	connect_b "$WORK/hosts" --deadline 10
	expect_code 1
	assert_contains "$OUT" "conn-closed a -13 EACCES"
	assert_contains "$ERR" "host a ($IPA:$PA) refused the handshake"
	wait_for_text "$WORK/serve.err" "refused" || fail "a logged nothing"
	assert_contains "$(cat "$WORK/serve.err")" \
		"$IPB:$PB: host b's address presented key $KB, not its pinned $KC: refused"
	assert_not_contains "$(cat "$WORK/serve.out")" "conn b"
}

test_a_killed_server_ends_the_clients_links_with_etimedout_in_bound() {
	need_net
	serve_a "$WORK/hosts" --idle 2000
	connect_b_bg c1 "$WORK/hosts" --links 3 --count 5 --linger --idle 2000
	wait_for_text "$WORK/serve.out" "conn b" || fail "no connection"
	sleep 0.3
	local t0 t1 i
	kill -9 "$SERVE_PID"
	t0=$(ms_now)
	for i in $(seq 1 100); do
		grep -q "conn-closed" "$WORK/c1.out" && break
		sleep 0.05
	done
	t1=$(ms_now)
	local out
	out=$(cat "$WORK/c1.out")
	assert_contains "$out" "conn-closed a -110 ETIMEDOUT"
	assert_eq "$(count_lines "$WORK/c1.out" 'link-closed [0-2] -110 ETIMEDOUT')" 3 \
		"client links ended by the idle timeout"
	# The documented bound: the idle timeout (2 s) + 1 s.
	[ $((t1 - t0)) -le 3000 ] || fail "took $((t1 - t0)) ms, bound 3000"
	echo "    links closed $((t1 - t0)) ms after the kill" >&2
}

test_a_killed_client_ends_the_servers_links_with_etimedout_in_bound() {
	need_net
	serve_a "$WORK/hosts" --idle 2000
	connect_b_bg c1 "$WORK/hosts" --links 2 --count 5 --linger --idle 2000
	wait_for_text "$WORK/serve.out" "conn b" || fail "no connection"
	sleep 0.3
	local t0 t1 i
	kill -9 "$(cat "$WORK/c1.pid")"
	t0=$(ms_now)
	for i in $(seq 1 100); do
		grep -q "conn-closed" "$WORK/serve.out" && break
		sleep 0.05
	done
	t1=$(ms_now)
	assert_contains "$(cat "$WORK/serve.out")" "conn-closed b -110 ETIMEDOUT"
	assert_eq "$(count_lines "$WORK/serve.out" 'link-closed [01] -110 ETIMEDOUT')" 2 \
		"server links ended by the idle timeout"
	[ $((t1 - t0)) -le 3000 ] || fail "took $((t1 - t0)) ms, bound 3000"
}

test_a_restarted_peer_host_is_told_apart_with_estale() {
	need_net
	# The default idle timeout (10 s): a restart must be told long
	# before it, from the new connection's instance nonce.
	serve_a
	connect_b_bg c1 "$WORK/hosts" --links 3 --count 5 --linger
	wait_for_text "$WORK/serve.out" "conn b" || fail "no connection"
	sleep 0.3
	kill -9 "$(cat "$WORK/c1.pid")"
	local t0 t1 i
	t0=$(ms_now)
	# b again: same key, same address, a new run.
	connect_b_bg c2 "$WORK/hosts" --links 1 --count 5 --linger
	for i in $(seq 1 60); do
		grep -q "conn-closed b -116" "$WORK/serve.out" && break
		sleep 0.05
	done
	t1=$(ms_now)
	assert_contains "$(cat "$WORK/serve.out")" "conn-closed b -116 ESTALE"
	assert_eq "$(count_lines "$WORK/serve.out" 'link-closed [0-2] -116 ESTALE')" 3 \
		"the old run's links ended as restarted"
	assert_contains "$(cat "$WORK/serve.err")" "restarted"
	[ $((t1 - t0)) -le 3000 ] || fail "took $((t1 - t0)) ms"
	# The new run's link works: the server has it open.
	assert_eq "$(count_lines "$WORK/serve.out" '^conn b$')" 2 "connections from b"
}

test_an_unreachable_host_ends_with_ehostunreach() {
	need_net
	# Nobody serves a's address.
	local t0 t1
	t0=$(ms_now)
	connect_b "$WORK/hosts" --handshake 1500 --deadline 10
	t1=$(ms_now)
	expect_code 1
	assert_contains "$OUT" "conn-closed a -113 EHOSTUNREACH"
	assert_eq "$(echo "$OUT" | grep -c 'link-closed 0 -113 EHOSTUNREACH')" 1 \
		"the link opened before the handshake"
	[ $((t1 - t0)) -le 3500 ] || fail "took $((t1 - t0)) ms"
}

test_a_lossy_network_delivers_every_datagram_in_order_once() {
	need_net
	serve_a
	# b reaches a through the proxy, on a's side: 5% loss, 5%
	# duplicated, 5% reordered, each way.
	printf 'a %s:4435 %s\nb %s:%s %s\n' "$IPA" "$KA" "$IPB" "$PB" "$KB" \
		>"$WORK/hosts.proxy"
	ip netns exec "$NSA" "$PROXY" "$IPA:4435" "$IPA:$PA" 5 5 5 1234 2>"$WORK/proxy.err" &
	local pp=$!
	echo "$pp" >"$WORK/proxy.pid"
	sleep 0.2
	connect_b "$WORK/hosts.proxy" --links 10 --count 300 --sizes 1,64,4096 \
		--deadline 90
	kill "$pp"
	wait "$pp"
	# On failure, the server's side of it too (how a FLOW_CONTROL close
	# of ngtcp2 0.12's was found: src/quic.c, conn_settings).
	[ "$CODE" = 0 ] || sed 's/^/    server: /' "$WORK/serve.err" >&2
	expect_code 0
	assert_contains "$OUT" "done links=10 datagrams=3000"
	local stats
	stats=$(cat "$WORK/proxy.err")
	echo "    $stats" >&2
	# The proxy did perturb the traffic.
	local d u r
	read -r d u r < <(echo "$stats" |
		sed -n 's/.*dropped \([0-9]*\) duplicated \([0-9]*\) reordered \([0-9]*\)/\1 \2 \3/p')
	[ "${d:-0}" -gt 50 ] && [ "${u:-0}" -gt 50 ] && [ "${r:-0}" -gt 50 ] ||
		fail "proxy barely perturbed: $stats"
}

test_a_capture_on_the_veth_holds_no_plaintext_payload() {
	need_net
	serve_a
	capture_start
	connect_b "$WORK/hosts" --links 4 --count 200 --sizes 64,4096
	expect_code 0
	capture_holds_only_the_control 1000000
}

run_tests
