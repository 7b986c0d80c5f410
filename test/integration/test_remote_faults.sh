#!/bin/bash
# test_remote_faults.sh — links between programs on two hosts through
# their fakeosds (src/remote.c over src/quic.c), when the network or a
# host misbehaves: loss, a killed daemon, a partition, a wrong key, a
# replayed packet, a capture. Two "hosts" are network namespaces joined
# by a veth pair (test/lib/twohosts.sh), each running its own fakeosd
# (test/lib/remotehosts.sh); the program on each side is
# test/progs/remote_probe, which knows nothing of hosts. Last, a load of
# 100 links of 10,000 datagrams.
# Bounds: every wait is bounded; the tests that wait for a silent host
# set its idle timeout to 4 s and the handshake's to 2 s
# (link-idle-timeout, link-handshake-timeout: fast_hosts_up), so a silent
# host's links end within 4 s and a third more (the keep-alive's), within
# 8 s; test_remote.sh bounds the default (10 s, within 15 s).
. "$(dirname "$0")/../lib/testlib.sh"
. "$(dirname "$0")/../lib/twohosts.sh"
. "$(dirname "$0")/../lib/remotehosts.sh"

DAEMON=${FAKEOS_DAEMON:-$TOP/build/fakeosd}
Q=$TOP/build/tools/quicpeer
PROBE=$TOP/build/progs/remote_probe
PROXY=$TOP/build/tools/lossproxy
ID=$$
NSA=fkfa$ID NSB=fkfb$ID VA=fkfva$ID VB=fkfvb$ID
IPA=10.215.0.1 IPB=10.215.0.2 IPC=10.215.0.3 PORT=4433 PPORT=4435
FLOOD=$TOP/build/tools/initflood
MARK=FAKEOS-SECRET-PAYLOAD
BOUND_MS=8000
# hosts_up's timeouts for the tests that wait on them.
fast_hosts_up() { LINK_IDLE=4s LINK_HANDSHAKE=2s hosts_up; }

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
# background, bounded ($A_TIMEOUT s, 120); its output in $WORK/NAME.out,
# its pid (the client's) in $WORK/NAME.pid.
a_bg() {
	local name=$1
	shift
	FAKEOS_DAEMON_SOCKET=$WORK/a.sock timeout "${A_TIMEOUT:-120}" \
		"$RUN" -n "file://$PROBE" "$@" >"$WORK/$name.out" 2>&1 &
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
	A_TIMEOUT=120 a_run flood db 4 500 12,64,4096,300 echo
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
	read -r d u r < <(sed -n 's/.*dropped \([0-9]*\) duplicated \([0-9]*\) reordered \([0-9]*\)/\1 \2 \3/p' \
		<<<"$stats")
	[ "${d:-0}" -gt 50 ] && [ "${u:-0}" -gt 50 ] && [ "${r:-0}" -gt 50 ] ||
		fail "the proxy barely perturbed: $stats"
}

# The serving host's daemon is killed while a program streams to it: the
# caller's link ends within the bound, and every echo that came before
# was whole, in order and once (the flood checks each).
test_a_daemon_killed_mid_stream_ends_its_peers_links_within_the_bound() {
	need_net
	fast_hosts_up
	a_bg c flood db 1 100000000 12,64,4096 echo
	wait_for_text "$WORK/c.out" progress || fail "no stream: $(cat "$WORK/c.out")"
	kill -9 "$(cat "$WORK/b.pid")"
	wait "$(cat "$WORK/b.pid")" 2>/dev/null # its job's "Killed" unsaid
	local ms out e t
	ms=$(wait_closed "$WORK/c.out")
	out=$(cat "$WORK/c.out")
	echo "    the caller's link ended $ms ms after the kill" >&2
	assert_contains "$out" "link 0: closed, status"
	assert_not_contains "$out" "mismatch"
	assert_not_contains "$out" "extra"
	[ "$ms" -le "$BOUND_MS" ] || fail "ended after $ms ms, bound $BOUND_MS"
	read -r e t < <(sed -n 's/.*echoed \([0-9]*\) of sent \([0-9]*\)/\1 \2/p' \
		<<<"$out")
	[ "${e:-0}" -ge 1000 ] || fail "only ${e:-0} echoes before the kill"
	# Only what was in flight at the kill (the window) is unanswered.
	[ $((t - e)) -le 8 ] || fail "sent $t, echoed $e: more than the window"
	assert_contains "$(cat "$WORK/a.log")" \
		"link db with host b ended: Connection timed out (status -110)"
}

# The calling host's daemon is killed while its program streams: the
# serving program's link ends within the bound, after every datagram
# that arrived, each checked (the sink), none wrong.
test_a_callers_daemon_killed_mid_stream_ends_the_servers_link_within_the_bound() {
	need_net
	B_SINKS=sink1 fast_hosts_up
	a_bg c flood sink1 1 100000000 12,64,4096 sink
	wait_for_text "$WORK/b.log" "sink1: incoming" || fail "no link"
	sleep 1
	kill -9 "$(cat "$WORK/a.pid")"
	wait "$(cat "$WORK/a.pid")" 2>/dev/null
	local ms log
	ms=$(wait_closed "$WORK/b.log")
	log=$(cat "$WORK/b.log")
	echo "    the server's link ended $ms ms after the kill" >&2
	assert_contains "$log" "sink closed, status"
	assert_contains "$log" "bad 0"
	assert_not_contains "$log" "wrong"
	[ "$ms" -le "$BOUND_MS" ] || fail "ended after $ms ms, bound $BOUND_MS"
	local got
	got=$(sed -n 's/.*sink closed, status .*, got \([0-9]*\) bad.*/\1/p' <<<"$log")
	[ "${got:-0}" -ge 1000 ] || fail "only ${got:-0} datagrams before the kill"
	assert_contains "$log" \
		"link sink1 with host a ended: Connection timed out (status -110)"
}

# partitioned_link STATUS BOUND-MS — a link asked for while b's end of
# the veth is down ends with STATUS within BOUND-MS; healed, a new link
# works at its first try.
partitioned_link() {
	local t0 ms
	ip -n "$NSB" link set "$VB" down
	t0=$(ms_now)
	a_run echo db
	ms=$(($(ms_now) - t0))
	echo "    during the partition: ${OUT%%$'\n'*} after $ms ms" >&2
	assert_contains "$OUT" "link db: closed, status $1"
	[ "$ms" -le "$2" ] || fail "the link failed after $ms ms, bound $2"
	ip -n "$NSB" link set "$VB" up
	a_run echo db
	expect_code 0
	assert_contains "$OUT" "link db: open, served by uid=0 host=b"
	assert_contains "$OUT" "echoed 3 datagrams"
}

# A partition (b's end of the veth down), then healed, twice: before a
# has a connection to b, the link fails as unreachable when the handshake
# does not finish (2 s here: bound 4 s); once a holds one, as timed out
# when the connection goes silent (the idle timeout, 4 s here: bound 8 s).
# Healed, new links work, over a new connection.
test_a_partition_fails_links_within_the_bound_and_new_links_work_once_healed() {
	need_net
	fast_hosts_up
	partitioned_link -113 4000 # EHOSTUNREACH
	assert_contains "$(cat "$WORK/a.log")" \
		"link to db on host b failed: No route to host"
	partitioned_link -110 "$BOUND_MS" # ETIMEDOUT
	assert_contains "$(cat "$WORK/a.log")" \
		"link to db on host b failed: Connection timed out"
	assert_eq "$(count_lines "$WORK/b.log" "svc db: incoming")" 2 \
		"links that reached b's program"
}

# restart_b HOSTS-LINES... — b's daemon again, with a hosts file of
# these lines.
restart_b() {
	local p i
	p=$(cat "$WORK/b.pid")
	kill -TERM "$p"
	for i in $(seq 1 100); do
		pid_ended "$p" && break
		sleep 0.05
	done
	printf '%s\n' "$@" >"$WORK/b/hosts"
	start_daemon b "$NSB"
	grep -q "svc db" "$WORK/b.log" 2>/dev/null || sleep 0.5
}

# refused_caller WHAT — a's program links to db; b's daemon refuses a's
# key, logging WHAT; a's program hears -EACCES, b's program nothing.
refused_caller() {
	a_run echo db
	assert_contains "$OUT" "link db: closed, status -13" "EACCES"
	assert_contains "$(cat "$WORK/a.log")" \
		"host b ($IPB:$PORT) refused the handshake"
	wait_for_text "$WORK/b.log" "refused" || fail "b logged no refusal"
	assert_contains "$(cat "$WORK/b.log")" "$1"
	assert_not_contains "$(cat "$WORK/b.log")" "incoming"
}

# The serving side refuses a caller whose key is not the one it pins
# for that host, or is not pinned at all (test_remote.sh has the caller
# refusing the server's key).
test_the_serving_host_refuses_a_caller_whose_key_it_does_not_pin() {
	need_net
	hosts_up
	local ka kb kc
	ka=$("$Q" fingerprint "$WORK/a/host.key") || fail "fingerprint"
	kb=$("$Q" fingerprint "$WORK/b/host.key") || fail "fingerprint"
	kc=$("$Q" keygen "$WORK/c.key") || fail "keygen"
	restart_b "a $IPA:$PORT $kc" "b $IPB:$PORT $kb"
	refused_caller "host a's address presented key $ka, not its pinned $kc: refused"
	restart_b "b $IPB:$PORT $kb"
	refused_caller "key $ka is not in the hosts file: refused"
	# The control: with a's key pinned, the same link works.
	restart_b "a $IPA:$PORT $ka" "b $IPB:$PORT $kb"
	a_run echo db
	expect_code 0
	assert_contains "$OUT" "echoed 3 datagrams"
}

# Packets of a's connection, replayed to b from the relay's address
# while the link is quiet: the client's first Initial (its ClientHello,
# which b's daemon routes to the connection it began, whose Initial keys
# are gone) and a 1-RTT packet that carried a datagram (a packet number
# b's daemon has seen). Neither delivers a datagram again (the program
# hears nothing during the pause, and every echo after it is checked,
# in order, once), opens a second connection or link (one incoming; a
# half-open connection would be logged when its handshake timed out, 5
# s), or disturbs the link, which goes on. Both are dropped unlogged:
# b's log gains no line from the replay.
test_a_replayed_packet_is_refused_and_the_link_goes_on() {
	need_net
	B_DIAL=$IPB:$PPORT hosts_up
	proxy_up 0 0 0
	a_bg c flood db 1 400 12,64,4096,300 pause
	wait_for_text "$WORK/c.out" paused || fail "no pause: $(cat "$WORK/c.out")"
	local before
	before=$(wc -l <"$WORK/b.log")
	kill -USR1 "$PROXY_PID"
	wait_for_text "$WORK/proxy.err" \
		"replayed the first Initial (1[0-9]* bytes) and a 1-RTT packet" ||
		fail "the relay replayed nothing: $(cat "$WORK/proxy.err")"
	local i
	for i in $(seq 1 100); do
		grep -q "done\|closed\|FAIL\|event\|mismatch\|extra" \
			"$WORK/c.out" && break
		sleep 0.1
	done
	local out
	out=$(cat "$WORK/c.out")
	assert_contains "$out" "done links=1 datagrams=400"
	assert_not_contains "$out" "during the pause"
	# Past the handshake timeout: a connection the replay began would
	# have ended by now, and said so.
	sleep 5.5
	assert_eq "$(count_lines "$WORK/b.log" "svc db: incoming")" 1 \
		"links b's program saw"
	local since
	since=$(tail -n +"$((before + 1))" "$WORK/b.log")
	assert_eq "$since" "" "what b's daemon logged from the replay on"
	assert_not_contains "$(cat "$WORK/a.log")" "ended"
}

# Traffic between two programs through their daemons, captured on the
# veth, shows none of the payload in plaintext; the control, the same
# marker in one plain UDP packet, shows that the capture would.
rss_kb() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$(cat "$WORK/$1.pid")/status"; }

# Real client Initials (each a fresh ClientHello: each would open a
# connection) from 100 forged addresses that nobody answers at, 200 a
# second for 8 s: each accepted one is held half-open for the handshake
# timeout (5 s), so without a bound they fill b's 256 connections within
# 1.3 s and shut real hosts out until the first of them time out (c's
# link then took 3 s or more, or failed). Past 16 half-open, b answers
# new Initials with a stateless Retry, which a forged address never
# sees; host c, which has never linked to b, links during the flood at
# once, its handshake after a Retry. Once the flood ends, the half-open
# ones time out and b says so once, then its tally.
test_a_flood_of_forged_initials_leaves_room_for_real_hosts() {
	need_net
	[ -x "$FLOOD" ] || skip "needs initflood"
	C_HOST=1 hosts_up
	a_run echo db
	expect_code 0
	local rss0 peak=0 r i fl t0 ms
	rss0=$(rss_kb b)
	"$Q" keygen "$WORK/f.key" >/dev/null || fail "keygen"
	ip netns exec "$NSA" timeout 30 "$FLOOD" "$WORK/f.key" "$IPB:$PORT" \
		10.215.0.100 100 1600 200 >"$WORK/flood.out" 2>&1 &
	fl=$!
	echo "$fl" >"$WORK/flood.pid"
	sleep 2
	t0=$(ms_now)
	c_run echo db
	ms=$(($(ms_now) - t0))
	echo "    host c linked during the flood in $ms ms"
	for i in $(seq 1 60); do
		r=$(rss_kb b)
		[ "$r" -gt "$peak" ] && peak=$r
		pid_ended "$fl" && break
		sleep 0.2
	done
	echo "    b's RSS: ${rss0} kB before, ${peak} kB at most during the flood"
	expect_code 0
	assert_contains "$OUT" "echoed 3 datagrams" "host c during the flood"
	[ "$ms" -le 2000 ] || fail "host c's link took $ms ms during the flood"
	wait "$fl"
	assert_eq "$?" 0 "initflood's exit: $(cat "$WORK/flood.out")"
	assert_contains "$(cat "$WORK/flood.out")" "sent 1600 Initials from 100 addresses"
	for i in $(seq 1 150); do
		grep -q "half-open handshakes back to 0" "$WORK/b.log" && break
		sleep 0.1
	done
	grep -q "half-open handshakes back to 0" "$WORK/b.log" ||
		fail "b's half-open handshakes never ended: $(tail -5 "$WORK/b.log")"
	local tally most
	tally=$(grep "half-open handshakes back to 0" "$WORK/b.log")
	echo "    $tally"
	echo "    b's RSS after: $(rss_kb b) kB"
	most=$(sed -n 's/.*at most \([0-9]*\) half-open.*/\1/p' <<<"$tally")
	[ "$most" -le 20 ] || fail "$most handshakes were half-open at once"
	assert_contains "$tally" "Initials answered with Retry"
	assert_eq "$(grep -c "handshake not completed within the handshake timeout" "$WORK/b.log")" \
		1 "log lines of timed-out handshakes, once an episode"
	assert_not_contains "$(cat "$WORK/b.log")" "No route to host"
	[ "$peak" -le $((rss0 + 8192)) ] ||
		fail "b's RSS grew from $rss0 kB to $peak kB during the flood"
	# And back to normal: a new link from c, no Retry needed.
	c_run echo db
	expect_code 0
	assert_contains "$OUT" "echoed 3 datagrams" "host c after the flood"
}

test_a_capture_on_the_veth_holds_no_plaintext_of_the_programs_datagrams() {
	need_net
	hosts_up
	capture_start
	a_run flood db 2 200 64,4096 echo "$MARK:program"
	expect_code 0
	assert_contains "$OUT" "done links=2 datagrams=400"
	# 200 datagrams of 4096 bytes, and their echoes: 1.6 MB at least.
	capture_holds_only_the_control 1600000
}

# 100 links of 10,000 datagrams each from host a's account root to b: ten
# programs of 10 links, each to a sink of its own (a party of one account
# of another host holds at most 16 links to one program, links_per_peer,
# and one host 32, host-links-per-program). The sinks check every
# datagram, in order, once, and each link's count is answered back to
# the sender, so both sides count; afterwards neither daemon holds a
# descriptor more than before (waited for, bounded: a link's ends go as
# its programs close).
test_100_links_of_10000_datagrams_lose_nothing_and_leak_no_descriptor() {
	need_net
	local sinks="" fa fb t0 t1 i pids=()
	for i in $(seq 1 10); do sinks="$sinks sink$i"; done
	B_SINKS=$sinks hosts_up
	# A first run makes what each daemon keeps from its first run on
	# (the shared namespaces, the QUIC connection): the count is taken
	# after it.
	for i in $(seq 1 10); do
		a_run flood "sink$i" 1 10 12 sink
		expect_code 0
	done
	sleep 0.5
	fa=$(fds a)
	fb=$(fds b)
	t0=$(ms_now)
	for i in $(seq 1 10); do
		A_TIMEOUT=300 a_bg "c$i" flood "sink$i" 10 10000 12,64,300 sink
		pids+=("$(cat "$WORK/c$i.pid")")
	done
	wait "${pids[@]}"
	t1=$(ms_now)
	echo "    100 x 10000 datagrams across the hosts in $((t1 - t0)) ms" >&2
	for i in $(seq 1 10); do
		assert_contains "$(cat "$WORK/c$i.out")" \
			"done links=10 datagrams=100000"
	done
	assert_eq "$(count_lines "$WORK/b.log" "sink got 10000 bad 0")" 100 \
		"links whose sink counted 10000 right"
	assert_not_contains "$(cat "$WORK/b.log")" "wrong"
	for i in $(seq 1 200); do
		[ "$(fds a)" = "$fa" ] && [ "$(fds b)" = "$fb" ] && break
		sleep 0.1
	done
	assert_eq "$(fds a)" "$fa" "descriptors of host a's daemon after the load"
	assert_eq "$(fds b)" "$fb" "descriptors of host b's daemon after the load"
}

run_tests
