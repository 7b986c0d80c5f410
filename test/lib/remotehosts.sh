# remotehosts.sh — two hosts of twohosts.sh, each running its own fakeosd
# with its own settings, socket and host key (sourced after twohosts.sh).
# remote_hosts names DAEMON, Q (quicpeer, for keys), PROBE
# (test/progs/remote_probe), PORT and the twohosts.sh variables, or a test
# names them itself. Host b serves "db" (remote_probe serve, exported)
# and "hidden" (not), and each name of $B_SINKS with remote_probe sink
# (exported); host a's names file places them all on b. $B_DIAL (default
# $IPB:$PORT) is where a's hosts file says b is: a relay's address, for a
# test that puts one between. With A_EXPORTS set, a exports ping too. With
# C_HOST set, a third host c, another fakeosd in a's namespace at $IPC
# (a second address on a's veth), with its own key, pinned by b, and a
# names file that places db on b. $B_CONF: more lines of b's fakeosd.conf.
# The test_remote*.sh files use it.

# remote_hosts TAG NET — a test_remote*.sh file's settings: this tree's
# fakeosd, quicpeer and remote_probe; namespaces and veths named with TAG
# and the shell's pid; addresses 10.NET.0.1 (a) and 10.NET.0.2 (b). Makes
# the network when it can (NET_OK=1); need_net skips a test otherwise.
remote_hosts() {
	DAEMON=${FAKEOS_DAEMON:-$TOP/build/fakeosd}
	Q=$TOP/build/tools/quicpeer
	PROBE=$TOP/build/progs/remote_probe
	NSA=fk${1}a$$ NSB=fk${1}b$$ VA=fk${1}va$$ VB=fk${1}vb$$
	IPA=10.$2.0.1 IPB=10.$2.0.2 IPC=10.$2.0.3 PORT=4433
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
# file; else a's names file places db, hidden and $B_SINKS on b. With
# A_EXPORTS set, a exports ping (a's key made beforehand too, so that a's
# hosts file names a), and b's names file places ping on a.
hosts_up() {
	local ka kb kc n res=() bnames=()
	[ -z "${ETCD:-}" ] || res=("resolver = etcd" "etcd = $ETCD")
	# LINK_IDLE, LINK_HANDSHAKE: both hosts' link-idle-timeout and
	# link-handshake-timeout, for a test that waits on them.
	[ -z "${LINK_IDLE:-}" ] || res+=("link-idle-timeout = $LINK_IDLE")
	[ -z "${LINK_HANDSHAKE:-}" ] ||
		res+=("link-handshake-timeout = $LINK_HANDSHAKE")
	[ -z "${A_EXPORTS:-}" ] || bnames=("names = $WORK/b/names")
	conf "$WORK/a" "listen = $IPA:$PORT" "host-key = $WORK/a/host.key" \
		"hosts = $WORK/a/hosts" "names = $WORK/a/names" "pool = 0" \
		"${res[@]}"
	conf "$WORK/b" "listen = $IPB:$PORT" "host-key = $WORK/b/host.key" \
		"hosts = $WORK/b/hosts" "pool = 0" "${res[@]}" "${bnames[@]}" \
		${B_CONF:+"$B_CONF"}
	kb=$("$Q" keygen "$WORK/b/host.key") || fail "keygen"
	printf 'b %s %s\n' "${B_DIAL:-$IPB:$PORT}" "$kb" >"$WORK/a/hosts"
	if [ -n "${A_EXPORTS:-}" ]; then
		ka=$("$Q" keygen "$WORK/a/host.key") || fail "keygen"
		printf 'a %s:%s %s\n' "$IPA" "$PORT" "$ka" >>"$WORK/a/hosts"
		printf 'ping a\n' >"$WORK/b/names"
		svc "$WORK/a" ping "url = file://$PROBE" "args = serve ping" \
			"account = root" "publish = ping" "export = yes"
	fi
	[ -n "${ETCD:-}" ] || printf '%s b\n' db hidden ${B_SINKS:-} \
		>"$WORK/a/names"
	svc "$WORK/b" db "url = file://$PROBE" "args = serve db" \
		"account = root" "publish = db" "export = yes"
	svc "$WORK/b" hidden "url = file://$PROBE" "args = serve hidden" \
		"account = root" "publish = hidden"
	for n in ${B_SINKS:-}; do
		svc "$WORK/b" "$n" "url = file://$PROBE" "args = sink $n" \
			"account = root" "publish = $n" "export = yes"
	done
	[ -z "${1:-}" ] || cp "$1" "$WORK/a/hosts"
	start_daemon a "$NSA"
	[ -f "$WORK/a/host.key" ] || fail "host a's daemon made no key"
	assert_eq "$(stat -c '%a %u' "$WORK/a/host.key")" "600 0" "host.key"
	ka=$("$Q" fingerprint "$WORK/a/host.key") || fail "fingerprint"
	printf 'a %s:%s %s\nb %s:%s %s\n' "$IPA" "$PORT" "$ka" "$IPB" "$PORT" \
		"$kb" >"$WORK/b/hosts"
	if [ -n "${C_HOST:-}" ]; then
		conf "$WORK/c" "listen = $IPC:$PORT" \
			"host-key = $WORK/c/host.key" "hosts = $WORK/c/hosts" \
			"names = $WORK/c/names" "pool = 0"
		kc=$("$Q" keygen "$WORK/c/host.key") || fail "keygen"
		printf 'c %s:%s %s\n' "$IPC" "$PORT" "$kc" >>"$WORK/b/hosts"
		printf 'b %s:%s %s\n' "$IPB" "$PORT" "$kb" >"$WORK/c/hosts"
		printf 'db b\n' >"$WORK/c/names"
		ip -n "$NSA" addr add "$IPC/24" dev "$VA" 2>/dev/null
		start_daemon c "$NSA"
	fi
	start_daemon b "$NSB"
	grep -q "svc db" "$WORK/b.log" 2>/dev/null || sleep 0.5
}

# fds HOST — the open descriptors of HOST's daemon.
fds() { ls "/proc/$(cat "$WORK/$1.pid")/fd" | wc -l; }

# a_run ARGS... — a program run through host a's daemon, bounded by
# $A_TIMEOUT seconds (60); b_run and c_run through b's and c's, bounded
# by 60 s.
a_run() {
	FAKEOS_DAEMON_SOCKET=$WORK/a.sock run timeout "${A_TIMEOUT:-60}" \
		"$RUN" -n "file://$PROBE" "$@"
}
c_run() {
	FAKEOS_DAEMON_SOCKET=$WORK/c.sock run timeout 60 "$RUN" -n \
		"file://$PROBE" "$@"
}
b_run() {
	FAKEOS_DAEMON_SOCKET=$WORK/b.sock run timeout 60 "$RUN" -n \
		"file://$PROBE" "$@"
}
