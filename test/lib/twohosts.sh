# twohosts.sh — two "hosts" for a test (sourced after testlib.sh): network
# namespaces $NSA and $NSB joined by the veth pair $VA/$VB, addresses $IPA
# and $IPB, which the test names (unique per run) before it calls these.
# Or three on a LAN (lan_up): $NSA, $NSB and $NSC, each with a veth to a
# bridge in a fourth namespace, $NSBR. The processes a test starts write
# their pids to $WORK/*.pid; stop_all ends them, and the cleanup hook ends
# them, then the namespaces (the veths and the bridge go with them), then
# the files. test_quic.sh uses it, and test_netbcast.sh and the
# test_remote*.sh files with remotehosts.sh (a fakeosd on each host).

net_up() {
	ip netns add "$NSA" && ip netns add "$NSB" &&
		ip link add "$VA" type veth peer name "$VB" &&
		ip link set "$VA" netns "$NSA" && ip link set "$VB" netns "$NSB" &&
		ip -n "$NSA" addr add "$IPA/24" dev "$VA" &&
		ip -n "$NSB" addr add "$IPB/24" dev "$VB" &&
		ip -n "$NSA" link set "$VA" up && ip -n "$NSB" link set "$VB" up &&
		ip -n "$NSA" link set lo up && ip -n "$NSB" link set lo up
}

# lan_up — $NSA, $NSB and $NSC at $IPA, $IPB and $IPC/24, each through its
# veth ($VA, $VB, $VC; the peer is the name and "p") on the bridge $BR in
# $NSBR. The bridge floods multicast to every port (no snooping: no
# querier here), and each host routes multicast out of its veth.
lan_up() {
	ip netns add "$NSBR" && ip -n "$NSBR" link add "$BR" type bridge &&
		ip -n "$NSBR" link set "$BR" type bridge mcast_snooping 0 &&
		ip -n "$NSBR" link set "$BR" up || return 1
	local h ns v ip
	for h in A B C; do
		eval "ns=\$NS$h v=\$V$h ip=\$IP$h"
		ip netns add "$ns" && ip link add "$v" type veth peer name "${v}p" &&
			ip link set "$v" netns "$ns" &&
			ip link set "${v}p" netns "$NSBR" &&
			ip -n "$NSBR" link set "${v}p" master "$BR" &&
			ip -n "$NSBR" link set "${v}p" up &&
			ip -n "$ns" addr add "$ip/24" dev "$v" &&
			ip -n "$ns" link set "$v" up &&
			ip -n "$ns" link set lo up &&
			ip -n "$ns" route add 224.0.0.0/4 dev "$v" || return 1
	done
}

net_down() {
	local ns
	for ns in "$NSA" "$NSB" "${NSC:-}" "${NSBR:-}"; do
		[ -z "$ns" ] || ip netns del "$ns" 2>/dev/null
	done
	return 0
}

# Ends what earlier tests left running (a test's processes outlive its
# subshell): SIGTERM, then SIGKILL after at most 5 s, waiting until each
# is gone, so its ports are free.
stop_all() {
	local p i
	for p in $(cat "$WORK"/*.pid 2>/dev/null); do
		kill -TERM "$p" 2>/dev/null
		for i in $(seq 1 100); do
			pid_ended "$p" && break
			sleep 0.05
		done
		kill -9 "$p" 2>/dev/null
	done
	rm -f "$WORK"/*.pid
}

# capture_start — tcpdump of the UDP on host a's end of the veth, into
# $WORK/cap.pcap (its pid in $WORK/tcpdump.pid, so stop_all ends it).
capture_start() {
	command -v tcpdump >/dev/null || skip "tcpdump not installed"
	ip netns exec "$NSA" tcpdump -i "$VA" -U -w "$WORK/cap.pcap" udp \
		2>"$WORK/tcpdump.err" &
	CAP_PID=$!
	echo "$CAP_PID" >"$WORK/tcpdump.pid"
	wait_for_text "$WORK/tcpdump.err" "listening on" || fail "no tcpdump"
}

# capture_holds_only_the_control MIN-BYTES — after the test sent MARK in
# its traffic, then "$MARK:control" from b to a in one plaintext UDP
# packet: the capture (at least MIN-BYTES) shows the control, which
# proves it would show a marker in clear, and no other marker.
capture_holds_only_the_control() {
	ip netns exec "$NSB" bash -c "echo $MARK:control >/dev/udp/$IPA/9" ||
		fail "could not send the control packet"
	# tcpdump writes packets in the order it saw them: once the control
	# is in the file, so is every packet of the run before it.
	wait_for_text "$WORK/cap.pcap" "$MARK:control" ||
		fail "the plaintext control never reached the capture"
	kill -INT "$CAP_PID"
	wait "$CAP_PID"
	local size seen
	size=$(stat -c %s "$WORK/cap.pcap")
	[ "$size" -gt "$1" ] || fail "the capture is only $size bytes"
	seen=$(grep -a -o "$MARK:[a-z0-9]*" "$WORK/cap.pcap" | sort | uniq -c)
	assert_contains "$seen" "$MARK:control" "capture"
	assert_eq "$(grep -vc "$MARK:control" <<<"$seen")" 0 \
		"payload markers in plaintext: $seen"
}

twohosts_cleanup() {
	stop_all
	net_down
	rm -rf "$WORK"
}
trap twohosts_cleanup EXIT
