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
			[ -e "/proc/$p" ] || break
			sleep 0.05
		done
		kill -9 "$p" 2>/dev/null
	done
	rm -f "$WORK"/*.pid
}

twohosts_cleanup() {
	stop_all
	net_down
	rm -rf "$WORK"
}
trap twohosts_cleanup EXIT
