# twohosts.sh — two "hosts" for a test (sourced after testlib.sh): network
# namespaces $NSA and $NSB joined by the veth pair $VA/$VB, addresses $IPA
# and $IPB, which the test names (unique per run) before it calls these.
# The processes a test starts write their pids to $WORK/*.pid; stop_all
# ends them, and the cleanup hook ends them, then the namespaces (the veth
# pair goes with them), then the files. test_quic.sh uses it, and the
# test_remote*.sh files through remotehosts.sh (a fakeosd on each host).

net_up() {
	ip netns add "$NSA" && ip netns add "$NSB" &&
		ip link add "$VA" type veth peer name "$VB" &&
		ip link set "$VA" netns "$NSA" && ip link set "$VB" netns "$NSB" &&
		ip -n "$NSA" addr add "$IPA/24" dev "$VA" &&
		ip -n "$NSB" addr add "$IPB/24" dev "$VB" &&
		ip -n "$NSA" link set "$VA" up && ip -n "$NSB" link set "$VB" up &&
		ip -n "$NSA" link set lo up && ip -n "$NSB" link set lo up
}

net_down() {
	ip netns del "$NSA" 2>/dev/null
	ip netns del "$NSB" 2>/dev/null
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
