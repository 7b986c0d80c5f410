#!/bin/bash
# test_netbcast.sh — broadcast across hosts (src/netbcast.c): three "hosts"
# are network namespaces on one LAN (a bridge in a fourth namespace,
# test/lib/twohosts.sh's lan_up), each running its own fakeosd with its
# own settings, socket and host key. The operator of each makes "news",
# "storm" (and on b "local") network-wide and sends them to one multicast
# group, encrypted with the LAN's broadcast secret, which all three hold.
# a and b pin each other; c pins a and b, but neither pins c. The
# programs (test/progs/bcast_probe.c) only subscribe and broadcast: they
# know nothing of hosts. test/tools/bcastcap.c is an attacker on the LAN
# that records a packet and sends it again; nft in c's namespace is a
# network that loses packets.
# Bounds: every program runs under timeout(1), every wait is bounded.
. "$(dirname "$0")/../lib/testlib.sh"
. "$(dirname "$0")/../lib/twohosts.sh"
. "$(dirname "$0")/../lib/remotehosts.sh"

DAEMON=${FAKEOS_DAEMON:-$TOP/build/fakeosd}
Q=$TOP/build/tools/quicpeer
CAP=$TOP/build/tools/bcastcap
PROBE=$TOP/build/progs/bcast_probe
ID=$$
NSA=fkba$ID NSB=fkbb$ID NSC=fkbc$ID NSBR=fkbr$ID
VA=fkbva$ID VB=fkbvb$ID VC=fkbvc$ID BR=fkbbr$ID
IPA=10.215.0.1 IPB=10.215.0.2 IPC=10.215.0.3 PORT=4433
GROUP=239.255.70.75:7475

NET_OK=0
if [ "$(id -u)" = 0 ] && [ -x "$Q" ] && [ -x "$CAP" ] && [ -x "$PROBE" ] &&
	lan_up; then
	NET_OK=1
fi

# lan_hosts_up [SECRET-OF-B] — the three daemons, each with its key made
# beforehand, and the LAN's secret (b's own, if given; none at all with
# NOSECRET=1).
lan_hosts_up() {
	[ "$NET_OK" = 1 ] || skip "needs root, quicpeer, bcastcap, bcast_probe, ip netns"
	stop_all
	local h ip ka kb kc
	head -c 32 /dev/urandom >"$WORK/secret"
	for h in a b c; do
		eval "ip=\$IP${h^^}"
		conf "$WORK/$h" "listen = $ip:$PORT" \
			"host-key = $WORK/$h/host.key" "hosts = $WORK/$h/hosts" \
			"pool = 0" "broadcast-to = $GROUP" \
			"broadcast = news storm$([ $h = b ] && echo ' local')"
		[ "${NOSECRET:-0}" = 1 ] || echo "broadcast-secret = $WORK/$h/broadcast.secret" \
			>>"$WORK/$h/fakeosd.conf"
		cp "$WORK/secret" "$WORK/$h/broadcast.secret"
		chmod 600 "$WORK/$h/broadcast.secret"
	done
	[ -z "${1:-}" ] || printf '%s' "$1" >"$WORK/b/broadcast.secret"

	ka=$("$Q" keygen "$WORK/a/host.key") &&
		kb=$("$Q" keygen "$WORK/b/host.key") &&
		kc=$("$Q" keygen "$WORK/c/host.key") || fail "keygen"
	KC=$kc
	printf 'a %s:%s %s\nb %s:%s %s\n' "$IPA" "$PORT" "$ka" "$IPB" "$PORT" \
		"$kb" >"$WORK/a/hosts"
	cp "$WORK/a/hosts" "$WORK/b/hosts"
	cp "$WORK/a/hosts" "$WORK/c/hosts"
	printf 'c %s:%s %s\n' "$IPC" "$PORT" "$kc" >>"$WORK/c/hosts"
	start_daemon a "$NSA"
	start_daemon b "$NSB"
	start_daemon c "$NSC"
	for h in a b c; do
		wait_for_text "$WORK/$h.log" "broadcast across hosts on $GROUP" ||
			fail "host $h: no broadcast across hosts: $(cat "$WORK/$h.log")"
	done
}

# on HOST ARGS... — bcast_probe through HOST's daemon, bounded, in the
# foreground: OUT, ERR, CODE.
on() {
	local h=$1
	shift
	FAKEOS_DAEMON_SOCKET=$WORK/$h.sock run timeout 60 "$RUN" -n \
		"file://$PROBE" "$@"
}

# bg NAME HOST ARGS... — the same in the background, its output in
# $WORK/NAME.out, its pid in $WORK/NAME.bg; returns once it has
# subscribed (the first line of listen and deaf).
bg() {
	local n=$1 h=$2
	shift 2
	FAKEOS_DAEMON_SOCKET=$WORK/$h.sock timeout 60 "$RUN" -n \
		"file://$PROBE" "$@" >"$WORK/$n.out" 2>&1 &
	echo $! >"$WORK/$n.bg"
	wait_for_text "$WORK/$n.out" "subscribed" ||
		fail "$n did not subscribe: $(cat "$WORK/$n.out")"
}

# done_bg NAME — waits for it (its own bound ends it) and reads its output.
done_bg() {
	wait "$(cat "$WORK/$1.bg")" 2>/dev/null
	OUT=$(cat "$WORK/$1.out")
}

# daemon_fails DIR — fakeosd with DIR's settings in host a's namespace,
# which must stop at start: OUT, ERR, CODE.
daemon_fails() {
	run timeout 10 ip netns exec "$NSA" "$DAEMON" --config-dir "$1" \
		--socket "$WORK/x.sock" -C "$WORK/x.cache"
	assert_eq "$CODE" 1 "fakeosd's exit status"
	assert_no_file "$WORK/x.sock"
}

test_settings_without_a_key_or_with_a_readable_secret_stop_the_daemon() {
	[ "$NET_OK" = 1 ] || skip "needs root, ip netns"
	conf "$WORK/x" "pool = 0" "broadcast = news" "broadcast-to = $GROUP"
	daemon_fails "$WORK/x"
	assert_contains "$OUT$ERR" "broadcast-to needs listen (and its host key and hosts file)"
	conf "$WORK/x" "pool = 0" "listen = $IPA:$PORT" \
		"host-key = $WORK/x/host.key" "hosts = $WORK/x/hosts" \
		"broadcast = news" "broadcast-to = $GROUP" \
		"broadcast-secret = $WORK/x/secret"
	: >"$WORK/x/hosts"
	head -c 32 /dev/urandom >"$WORK/x/secret"
	chmod 640 "$WORK/x/secret"
	daemon_fails "$WORK/x"
	assert_contains "$OUT$ERR" "$WORK/x/secret: readable by others (mode 640)"
	chmod 600 "$WORK/x/secret"
	head -c 31 /dev/urandom >"$WORK/x/secret"
	daemon_fails "$WORK/x"
	assert_contains "$OUT$ERR" "broadcast-secret: $WORK/x/secret: 31 bytes, fewer than 32"
}

test_a_broadcast_from_a_reaches_subscribers_on_b_and_c_byte_exact() {
	lan_hosts_up
	bg la a listen news 10
	bg lb b listen news 10
	bg lc c listen news 10
	on a send news "hello from a"
	expect_code 0
	on a big news
	expect_code 0
	local sum
	sum=$(sed -n 's/^sent 4000 bytes \(fnv=[0-9a-f]*\).*/\1/p' <<<"$OUT")
	[ -n "$sum" ] || fail "no checksum from the sender"
	on a send news end
	local h
	for h in la lb lc; do
		done_bg $h
		assert_contains "$OUT" "got 12 bytes fnv=" "$h"
		assert_contains "$OUT" "lost=0: hello from a" "$h"
		assert_contains "$OUT" "got 4000 bytes $sum lost=0" "$h"
		assert_contains "$OUT" "received 3" "$h"
	done
	assert_contains "$(cat "$WORK/b.log")" "host a ($IPA:"
	assert_contains "$(cat "$WORK/a.log")" \
		"payloads encrypted with $WORK/a/broadcast.secret's secret"
}

test_a_channel_not_marked_network_wide_stays_on_its_host() {
	lan_hosts_up
	ip netns exec "$NSC" timeout 10 "$CAP" capture "$GROUP" \
		"$WORK/local.pkt" "$IPA" 3 >"$WORK/cap.out" 2>&1 &
	local cap=$!
	wait_for_text "$WORK/cap.out" capturing || fail "no capture"
	bg la a listen local 3
	bg lb b listen local 3
	on a send local local-only
	expect_code 0
	done_bg la
	assert_contains "$OUT" "lost=0: local-only" "a's own subscriber"
	done_bg lb
	assert_contains "$OUT" "received 0, then 3 s passed" \
		"b's subscriber (b makes local network-wide, a does not)"
	wait "$cap"
	assert_eq "$?" 1 "the capture's exit status"
	assert_contains "$(cat "$WORK/cap.out")" "nothing from $IPA in 3 s"
	assert_no_file "$WORK/local.pkt"
}

test_a_broadcast_signed_by_an_unpinned_key_is_refused_and_logged() {
	lan_hosts_up
	bg la a listen news 4
	bg lb b listen news 4
	# c sends 32 in all: start, 30, end.
	on c burst news 30 64
	expect_code 0
	local h
	for h in la lb; do
		done_bg $h
		assert_contains "$OUT" "received 0, then 4 s passed" "$h"
	done
	for h in a b; do
		assert_contains "$(cat "$WORK/$h.log")" \
			"from $IPC:7475: key $KC is not in the hosts file: refused" \
			"host $h's log"
		# A flood does not flood the journal: 5 lines in 10 s.
		assert_eq "$(grep -c "is not in the hosts file" "$WORK/$h.log")" 5 \
			"refusals logged by host $h"
	done
}

test_a_replayed_or_altered_broadcast_is_refused() {
	lan_hosts_up
	bg lb b listen news 6
	ip netns exec "$NSC" timeout 10 "$CAP" capture "$GROUP" \
		"$WORK/once.pkt" "$IPA" 5 >"$WORK/cap.out" 2>&1 &
	local cap=$!
	wait_for_text "$WORK/cap.out" capturing || fail "no capture"
	on a send news once-only
	expect_code 0
	wait "$cap" || fail "nothing captured: $(cat "$WORK/cap.out")"
	# On the wire the payload is ciphertext: the marker is not there.
	grep -q once-only "$WORK/once.pkt" && fail "the payload crossed the LAN in clear"
	run ip netns exec "$NSC" "$CAP" send "$GROUP" "$WORK/once.pkt" 3
	expect_code 0
	run ip netns exec "$NSC" "$CAP" tamper "$GROUP" "$WORK/once.pkt"
	expect_code 0
	wait_for_text "$WORK/b.log" "bad signature" ||
		fail "the altered packet was not refused: $(cat "$WORK/b.log")"
	done_bg lb
	assert_eq "$(grep -c "once-only" <<<"$OUT")" 1 \
		"copies b's subscriber got"
	assert_contains "$(cat "$WORK/b.log")" \
		"from host a ($IPC:" "the replay's log line"
	assert_contains "$(cat "$WORK/b.log")" \
		"sequence 1 on news: replayed (its sequence number was seen): refused"
	assert_contains "$(cat "$WORK/b.log")" \
		"host a's key with a bad signature: refused"
}

# Signed but clear is what a LAN without a secret gets, and the daemon
# says so at start; the signature and the pinning hold all the same.
test_without_a_secret_payloads_are_signed_but_clear_and_the_daemon_says_so() {
	NOSECRET=1 lan_hosts_up
	assert_contains "$(cat "$WORK/a.log")" \
		"broadcast across hosts on $GROUP, signed with sha256:"
	assert_contains "$(cat "$WORK/a.log")" "payloads in clear, with no broadcast-secret"
	ip netns exec "$NSC" timeout 10 "$CAP" capture "$GROUP" \
		"$WORK/clear.pkt" "$IPA" 5 >"$WORK/cap.out" 2>&1 &
	local cap=$!
	wait_for_text "$WORK/cap.out" capturing || fail "no capture"
	bg lb b listen news 3
	on a send news "readable on the wire"
	expect_code 0
	wait "$cap" || fail "nothing captured: $(cat "$WORK/cap.out")"
	grep -q "readable on the wire" "$WORK/clear.pkt" ||
		fail "the clear payload is not in the packet"
	done_bg lb
	assert_contains "$OUT" "lost=0: readable on the wire" "b's subscriber"
}

test_a_host_with_another_secret_cannot_read_and_says_so() {
	lan_hosts_up "another secret of at least 32 bytes, not the LAN's"
	bg lb b listen news 3
	bg lc c listen news 3
	on a send news "for holders of the secret"
	expect_code 0
	done_bg lc
	assert_contains "$OUT" "lost=0: for holders of the secret" "c's subscriber"
	done_bg lb
	assert_contains "$OUT" "received 0, then 3 s passed" "b's subscriber"
	assert_contains "$(cat "$WORK/b.log")" \
		"from host a ($IPA:7475): cannot decrypt (another broadcast-secret?): refused"
}

test_a_burst_counts_its_losses_in_the_next_event() {
	lan_hosts_up
	# b's subscriber stops reading for 1.5 s while a sends 400
	# broadcasts of 2000 bytes: 800 kB for its 256 KiB of undelivered
	# broadcasts. The last, "end", comes 3 s after them.
	bg deaf b deaf storm 1500 30
	on a burst storm 400 2000
	expect_code 0
	done_bg deaf
	local got lost
	got=$(sed -n 's/^received \([0-9]*\), told of \([0-9]*\) lost$/\1/p' <<<"$OUT")
	lost=$(sed -n 's/^received \([0-9]*\), told of \([0-9]*\) lost$/\2/p' <<<"$OUT")
	[ -n "$got" ] || fail "no count from the subscriber: $OUT"
	echo "    received $got, told of $lost lost"
	assert_eq "$((got + lost))" 400 "received and told of as lost"
	[ "$lost" -gt 0 ] || fail "nothing was lost: the burst did not fill the subscriber"
}

# A packet the network loses is counted by the gap in its channel's
# sequence numbers: host c's firewall (nft, in c's namespace) drops every
# third datagram to the broadcast port, a sends 300 small broadcasts to a
# subscriber on c that keeps up, and it hears of every one, received or
# lost. (What a sender's quota drops is numbered and counted the same
# way, but when a quota runs out depends on the machine's speed: this
# loss is the network's, and exact.)
test_broadcasts_lost_on_the_network_are_counted_in_the_next_event() {
	lan_hosts_up
	command -v nft >/dev/null || skip "needs nft"
	ip netns exec "$NSC" nft -f - <<NFT || fail "nft"
table inet fkloss {
	chain in {
		type filter hook input priority 0;
		udp dport ${GROUP##*:} numgen inc mod 3 == 0 counter drop
	}
}
NFT
	bg lc c deaf storm 0 30
	on a burst storm 300 16
	expect_code 0
	done_bg lc
	local got lost dropped
	got=$(sed -n 's/^received \([0-9]*\), told of \([0-9]*\) lost$/\1/p' <<<"$OUT")
	lost=$(sed -n 's/^received \([0-9]*\), told of \([0-9]*\) lost$/\2/p' <<<"$OUT")
	[ -n "$got" ] || fail "no count from the subscriber: $OUT"
	dropped=$(ip netns exec "$NSC" nft list table inet fkloss |
		sed -n 's/.*packets \([0-9]*\).*/\1/p')
	echo "    received $got, told of $lost lost; c's firewall dropped $dropped"
	assert_eq "$((got + lost))" 300 "received and told of as lost"
	[ "$lost" -ge 99 ] || fail "told of $lost lost, not the third the network lost"
}

run_tests
