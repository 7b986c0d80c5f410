# twohosts.sh — two "hosts" for a test (sourced after testlib.sh): network
# namespaces $NSA and $NSB joined by the veth pair $VA/$VB, addresses $IPA
# and $IPB, which the test names (unique per run) before it calls these.
# The processes a test starts write their pids to $WORK/*.pid; stop_all
# ends them, and the cleanup hook ends them, then the namespaces (the veth
# pair goes with them), then the files. test_quic.sh, test_remote.sh and
# test_remote_close.sh use it; the fakeosd helpers below (conf ...
# b_run) are the test_remote*.sh files', set up by remote_hosts.

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

# --- fakeosd on both hosts (test_remote*.sh) ---------------------------------

# remote_hosts TAG NET — a test_remote*.sh file's settings: this tree's
# fakeosd, quicpeer and remote_probe; namespaces and veths named with TAG
# and the shell's pid; addresses 10.NET.0.1 (a) and 10.NET.0.2 (b). Makes
# the network when it can (NET_OK=1); need_net skips a test otherwise.
remote_hosts() {
	DAEMON=${FAKEOS_DAEMON:-$TOP/build/fakeosd}
	Q=$TOP/build/tools/quicpeer
	PROBE=$TOP/build/progs/remote_probe
	NSA=fk${1}a$$ NSB=fk${1}b$$ VA=fk${1}va$$ VB=fk${1}vb$$
	IPA=10.$2.0.1 IPB=10.$2.0.2 PORT=4433
	NET_OK=0
	if [ "$(id -u)" = 0 ] && [ -x "$Q" ] && [ -x "$PROBE" ] && net_up; then
		NET_OK=1
	fi
}

need_net() {
	[ "$NET_OK" = 1 ] || skip "needs root, quicpeer, remote_probe, ip netns"
	stop_all
}

# conf DIR LINE... — DIR/fakeosd.conf, root's, 0644, as daemon.sh makes it.
conf() {
	local dir=$1
	shift
	rm -rf "$dir"
	mkdir -p "$dir/services.d"
	chmod 755 "$dir" "$dir/services.d"
	printf '%s\n' "$@" >"$dir/fakeosd.conf"
	chmod 644 "$dir/fakeosd.conf"
}

svc() { # DIR NAME LINE...
	local f=$1/services.d/$2.conf
	shift 2
	printf '%s\n' "$@" >"$f"
	chmod 644 "$f"
}

# start_daemon HOST NS — fakeosd in namespace NS with $WORK/HOST's
# settings; its pid in $WORK/HOST.pid, its log $WORK/HOST.log.
start_daemon() {
	local h=$1 ns=$2 i
	rm -f "$WORK/$h.sock"
	ip netns exec "$ns" "$DAEMON" -v --config-dir "$WORK/$h" \
		--socket "$WORK/$h.sock" -C "$WORK/$h.cache" \
		>"$WORK/$h.log" 2>&1 &
	echo $! >"$WORK/$h.pid"
	for i in $(seq 1 100); do
		[ -S "$WORK/$h.sock" ] && grep -q "listening on" "$WORK/$h.log" &&
			return 0
		sleep 0.05
	done
	fail "fakeosd of host $h did not start: $(cat "$WORK/$h.log")"
}

# hosts_up [HOSTS-FILE-FOR-A] — both daemons: b's key made beforehand,
# a's by its daemon at first start; db exported from b, hidden not. With
# ETCD set (a URL), both resolve through etcd there and a has no names
# file; else a's names file places db and hidden on b. With A_EXPORTS
# set, a exports ping (a's key made beforehand too, so that a's hosts
# file names a), and b's names file places ping on a.
hosts_up() {
	local ka kb res=() bnames=()
	[ -z "${ETCD:-}" ] || res=("resolver = etcd" "etcd = $ETCD")
	[ -z "${A_EXPORTS:-}" ] || bnames=("names = $WORK/b/names")
	conf "$WORK/a" "listen = $IPA:$PORT" "host-key = $WORK/a/host.key" \
		"hosts = $WORK/a/hosts" "names = $WORK/a/names" "pool = 0" \
		"${res[@]}"
	conf "$WORK/b" "listen = $IPB:$PORT" "host-key = $WORK/b/host.key" \
		"hosts = $WORK/b/hosts" "pool = 0" "${res[@]}" "${bnames[@]}"
	kb=$("$Q" keygen "$WORK/b/host.key") || fail "keygen"
	printf 'b %s:%s %s\n' "$IPB" "$PORT" "$kb" >"$WORK/a/hosts"
	if [ -n "${A_EXPORTS:-}" ]; then
		ka=$("$Q" keygen "$WORK/a/host.key") || fail "keygen"
		printf 'a %s:%s %s\n' "$IPA" "$PORT" "$ka" >>"$WORK/a/hosts"
		printf 'ping a\n' >"$WORK/b/names"
		svc "$WORK/a" ping "url = file://$PROBE" "args = serve ping" \
			"account = root" "publish = ping" "export = yes"
	fi
	[ -n "${ETCD:-}" ] || printf 'db b\nhidden b\n' >"$WORK/a/names"
	svc "$WORK/b" db "url = file://$PROBE" "args = serve db" \
		"account = root" "publish = db" "export = yes"
	svc "$WORK/b" hidden "url = file://$PROBE" "args = serve hidden" \
		"account = root" "publish = hidden"
	[ -z "${1:-}" ] || cp "$1" "$WORK/a/hosts"
	start_daemon a "$NSA"
	[ -f "$WORK/a/host.key" ] || fail "host a's daemon made no key"
	assert_eq "$(stat -c '%a %u' "$WORK/a/host.key")" "600 0" "host.key"
	ka=$("$Q" fingerprint "$WORK/a/host.key") || fail "fingerprint"
	printf 'a %s:%s %s\nb %s:%s %s\n' "$IPA" "$PORT" "$ka" "$IPB" "$PORT" \
		"$kb" >"$WORK/b/hosts"
	start_daemon b "$NSB"
	grep -q "svc db" "$WORK/b.log" 2>/dev/null || sleep 0.5
}

# fds HOST — the open descriptors of HOST's daemon.
fds() { ls "/proc/$(cat "$WORK/$1.pid")/fd" | wc -l; }

# a_run ARGS... — a program run through host a's daemon, bounded; b_run
# through b's.
a_run() {
	FAKEOS_DAEMON_SOCKET=$WORK/a.sock run timeout 60 "$RUN" -n \
		"file://$PROBE" "$@"
}
b_run() {
	FAKEOS_DAEMON_SOCKET=$WORK/b.sock run timeout 60 "$RUN" -n \
		"file://$PROBE" "$@"
}
