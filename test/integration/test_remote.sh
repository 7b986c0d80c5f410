#!/bin/bash
# test_remote.sh — links across hosts through fakeosd (src/remote.c): two
# "hosts" are network namespaces joined by a veth pair (as test_quic.sh
# makes them), each running its own fakeosd with its own settings, socket
# and host key. Host b's service serves "db" with `export = yes` and
# "hidden" without; a program run through host a's daemon links to them
# by name, knowing nothing of hosts (test/progs/remote_probe.c). Host a
# finds names through its resolver (src/resolver.c): the static names file
# (fakeosd.conf's `names`), or etcd (one test, with a real etcd in host
# a's namespace that host b reaches over the veth).
# Bounds: every wait is bounded; a killed daemon's links end within the
# idle timeout, 10 s (ngtcp2 makes it some 3 s more), within 15 s
# (docs/API.md, "Links across hosts").
. "$(dirname "$0")/../lib/testlib.sh"
. "$(dirname "$0")/../lib/twohosts.sh"
. "$(dirname "$0")/../lib/remotehosts.sh"

remote_hosts r 214

test_a_program_links_to_an_exported_name_on_another_host() {
	need_net
	hosts_up
	local fa fb sha
	# A first run makes what each daemon keeps from its first run on
	# (the shared namespaces, the QUIC connection): the count is taken
	# after it.
	a_run echo db
	expect_code 0
	sleep 0.5
	fa=$(fds a)
	fb=$(fds b)
	a_run echo db
	expect_code 0
	assert_contains "$OUT" "link db: open, served by uid=0 host=b url=file://$PROBE"
	assert_contains "$OUT" "echoed 3 datagrams"
	sha=$(sha256sum "$PROBE" | cut -d' ' -f1)
	wait_for_text "$WORK/b.log" "incoming" || fail "the server saw no caller"
	assert_contains "$(cat "$WORK/b.log")" \
		"svc db: incoming uid=0 host=a url=file://$PROBE sha256=$sha"
	# Both daemons hold what they held before the link, once its ends
	# are gone (the client's at its exit, the server's at the close).
	local i
	for i in $(seq 1 100); do
		[ "$(fds a)" = "$fa" ] && [ "$(fds b)" = "$fb" ] && break
		sleep 0.1
	done
	assert_eq "$(fds a)" "$fa" "descriptors of host a's daemon after the link"
	assert_eq "$(fds b)" "$fb" "descriptors of host b's daemon after the link"
}

test_an_unexported_name_is_refused_as_unknown() {
	need_net
	hosts_up
	a_run echo hidden
	assert_contains "$OUT" "link hidden: closed, status -111" "ECONNREFUSED"
	a_run echo nosuchname
	assert_contains "$OUT" "link nosuchname: closed, status -111"
	assert_contains "$(cat "$WORK/b.log")" "link to hidden refused: not exported here"
}

test_a_killed_daemon_ends_the_link_within_the_bound() {
	need_net
	hosts_up
	: >"$WORK/c.out" # not by the job's redirection: see test_remote_close
	FAKEOS_DAEMON_SOCKET=$WORK/a.sock timeout 60 "$RUN" -n \
		"file://$PROBE" echo-wait db >"$WORK/c.out" 2>&1 &
	local cl=$!
	wait_for_text "$WORK/c.out" waiting || fail "no echo: $(cat "$WORK/c.out")"
	kill -9 "$(cat "$WORK/b.pid")"
	wait "$cl" 2>/dev/null
	OUT=$(cat "$WORK/c.out")
	# The program hears why (protocol 6: test_remote_close.sh has every
	# case), the daemon's log the same.
	assert_contains "$OUT" "closed, status -110 after"
	local ms
	ms=$(sed -n 's/.*after \([0-9]*\) ms/\1/p' <<<"$OUT")
	echo "    link ended $ms ms after the kill"
	[ "$ms" -le 15000 ] || fail "the link ended after $ms ms, over 15 s"
	assert_contains "$(cat "$WORK/a.log")" "link db with host b ended: Connection timed out (status -110)"
}

# links_per_peer (16) holds for one account of another host as for one
# local program and its spawns: the links from (a, root) are one party
# to b's db, whichever program of a's makes them, so one host cannot take
# all 63 of a served program's slots. The server sees the party's count
# grow in FK_EV_INCOMING (links=1..16).
test_one_account_of_another_host_is_one_party_to_a_server() {
	need_net
	hosts_up
	a_run many db 17
	expect_code 0
	assert_contains "$OUT" "opened 16 of 17, refused 1, status -122" "EDQUOT"
	wait_for_text "$WORK/b.log" "links=16" ||
		fail "the server never saw the party's 16th link"
	assert_contains "$(cat "$WORK/b.log")" \
		"quota of 16 links to one program reached by one account of another host"
}

# A hostile host claims a new uid for each link, each a party of its own
# to a served program: what bounds it is the cap of links from one host,
# all its accounts together: to one program (host-links-per-program, 32
# by default: half of db's 63 slots) and in all (host-links, 34 here).
# Host a's programs run as three accounts, as such a host's would claim;
# host c, pinned by b too, is served all along.
test_one_host_claiming_many_accounts_is_held_to_the_cap_of_a_host() {
	need_net
	C_HOST=1 B_SINKS=sink1 B_CONF="host-links = 34" hosts_up
	local u held=""
	for u in 65531 65532; do
		FAKEOS_DAEMON_SOCKET=$WORK/a.sock timeout 60 setpriv \
			--reuid=$u --regid=$u --clear-groups -- "$RUN" -n \
			"file://$PROBE" many db 16 20000 >"$WORK/u$u.out" 2>&1 &
		echo $! >"$WORK/u$u.pid"
		held="$held $!"
		wait_for_text "$WORK/u$u.out" "opened" ||
			fail "uid $u: $(cat "$WORK/u$u.out")"
		assert_contains "$(cat "$WORK/u$u.out")" "opened 16 of 16"
	done
	local other="setpriv --reuid=65533 --regid=65533 --clear-groups --"
	FAKEOS_DAEMON_SOCKET=$WORK/a.sock run timeout 60 $other "$RUN" -n \
		"file://$PROBE" many db 4
	assert_contains "$OUT" "opened 0 of 4, refused 4, status -122" \
		"EDQUOT: a third account, to the same program"
	FAKEOS_DAEMON_SOCKET=$WORK/a.sock run timeout 60 $other "$RUN" -n \
		"file://$PROBE" many sink1 4
	assert_contains "$OUT" "opened 2 of 4, refused 2, status -122" \
		"EDQUOT: another program, over 34 in all"
	c_run many db 4
	assert_contains "$OUT" "opened 4 of 4, refused 0" "another host"
	assert_eq "$(grep -c "host a: refused a link to db: quota of 32 links to one program from one host reached" "$WORK/b.log")" \
		1 "log lines of the cap to one program, once an episode"
	assert_eq "$(grep -c "host a: refused a link to sink1: quota of 34 links from one host reached" "$WORK/b.log")" \
		1 "log lines of the cap in all, once an episode"
	# The held ones end; a's next link is let in again.
	kill $held 2>/dev/null
	wait $held 2>/dev/null
	local i
	for i in $(seq 1 50); do
		a_run many db 4
		[[ "$OUT" == *"opened 4 of 4"* ]] && break
		sleep 0.2
	done
	assert_contains "$OUT" "opened 4 of 4, refused 0" "after the held links ended"
}

# A host that opens links as fast as it can is held to host-link-rate new
# links a second after a burst of host-link-burst, whatever it asks
# (refused ones count too); another host is served meanwhile, and the
# host itself once its bucket refills.
test_new_links_from_one_host_are_held_to_its_rate() {
	need_net
	C_HOST=1 B_CONF="host-link-rate = 1
host-link-burst = 5" hosts_up
	a_run many db 12
	expect_code 0
	assert_contains "$OUT" "opened 5 of 12, refused 7, status -11" "EAGAIN"
	c_run many db 2
	assert_contains "$OUT" "opened 2 of 2, refused 0" "another host"
	assert_eq "$(grep -c "host a: refused a link to db: over 1 new links a second (burst 5) from one host" "$WORK/b.log")" \
		1 "log lines of the rate, once an episode"
	sleep 2.2
	a_run many db 2
	assert_contains "$OUT" "opened 2 of 2, refused 0" "once the bucket refilled"
	assert_contains "$(cat "$WORK/b.log")" "host a: 7 links were refused by the rate limit"
}

test_a_wrong_host_key_is_refused() {
	need_net
	local kc
	kc=$("$Q" keygen "$WORK/c.key") || fail "keygen"
	printf 'b %s:%s %s\n' "$IPB" "$PORT" "$kc" >"$WORK/wrong-hosts"
	hosts_up "$WORK/wrong-hosts"
	a_run echo db
	assert_contains "$OUT" "link db: closed, status -13" "EACCES"
	assert_contains "$(cat "$WORK/a.log")" "not the pinned"
}

# The names file is the resolver's static backend: a name placed on a
# host that is not pinned is an error at start, naming the file's line,
# so no program can be sent to an address the hosts file does not give.
test_a_names_file_naming_an_unpinned_host_stops_the_daemon() {
	need_net
	conf "$WORK/a" "listen = $IPA:$PORT" "host-key = $WORK/a/host.key" \
		"hosts = $WORK/a/hosts" "names = $WORK/a/names" "pool = 0"
	printf 'b %s:%s %s\n' "$IPB" "$PORT" "$("$Q" keygen "$WORK/b.key")" \
		>"$WORK/a/hosts"
	printf 'db b\nnowhere c\n' >"$WORK/a/names"
	run timeout 10 ip netns exec "$NSA" "$DAEMON" --config-dir "$WORK/a" \
		--socket "$WORK/a.sock" -C "$WORK/a.cache"
	assert_eq "$CODE" 1 "fakeosd's exit status"
	assert_contains "$OUT$ERR" "$WORK/a/names:2: no host 'c' in"
	assert_no_file "$WORK/a.sock"
}

# start_etcd — a real etcd in host a's namespace on its veth address, so
# that host b reaches it across the veth; its pid in $WORK/etcd.pid (so
# stop_all ends it), its client URL in ETCD.
start_etcd() {
	local port=$((20000 + RANDOM % 10000)) i
	rm -rf "$WORK/etcd"
	ip netns exec "$NSA" etcd --name t --data-dir "$WORK/etcd" \
		--listen-client-urls "http://$IPA:$port" \
		--advertise-client-urls "http://$IPA:$port" \
		--listen-peer-urls "http://127.0.0.1:$((port + 1))" \
		--initial-advertise-peer-urls "http://127.0.0.1:$((port + 1))" \
		--initial-cluster "t=http://127.0.0.1:$((port + 1))" \
		>"$WORK/etcd.log" 2>&1 &
	echo $! >"$WORK/etcd.pid"
	ETCD=http://$IPA:$port
	for i in $(seq 1 100); do
		ip netns exec "$NSB" curl -sf -m 1 "$ETCD/health" 2>/dev/null |
			grep -q '"health":"true"' && return 0
		sleep 0.1
	done
	fail "etcd did not start: $(tail -3 "$WORK/etcd.log")"
}

need_etcd() {
	need_net
	command -v etcd >/dev/null && command -v etcdctl >/dev/null ||
		skip "etcd-server and etcd-client are not installed"
	start_etcd
}

# etcd_has KEY — KV is etcd's names (keys and values, as etcdctl prints
# them) once KEY is among them, or after 5 s (50 looks) if it never is.
etcd_has() {
	local i
	for i in $(seq 1 50); do
		KV=$(ip netns exec "$NSA" env ETCDCTL_API=3 etcdctl \
			--endpoints="$ETCD" get --prefix /fakeos/names/ 2>&1)
		grep -qx -- "$1" <<<"$KV" && return 0
		sleep 0.1
	done
	return 1
}

# a_link NAME — a's program links to NAME, tried up to 10 times 0.5 s
# apart: a's watch learns a new entry within a moment, not at once.
a_link() {
	local i
	for i in $(seq 1 10); do
		a_run echo "$1"
		[ "$CODE" = 0 ] && return 0
		sleep 0.5
	done
}

test_a_name_exported_through_etcd_is_found_and_linked() {
	need_etcd
	hosts_up
	[ ! -e "$WORK/a/names" ] || fail "host a has a names file"
	# b's daemon registered what its services export, and only that,
	# under its lease: the value is b's own line of its hosts file.
	etcd_has /fakeos/names/db/b
	assert_contains "$KV" "/fakeos/names/db/b"
	assert_contains "$KV" "b $IPB:$PORT sha256:"
	assert_not_contains "$KV" "hidden"
	a_link db
	expect_code 0
	assert_contains "$OUT" "link db: open, served by uid=0 host=b url=file://$PROBE"
	assert_contains "$OUT" "echoed 3 datagrams"
	a_run echo hidden
	assert_contains "$OUT" "link hidden: closed, status -111" "ECONNREFUSED"
}

test_a_reload_registers_a_newly_exported_name_in_etcd() {
	need_etcd
	hosts_up
	etcd_has /fakeos/names/db/b || fail "db never registered: $KV"
	svc "$WORK/b" hidden "url = file://$PROBE" "args = serve hidden" \
		"account = root" "publish = hidden" "export = yes"
	kill -HUP "$(cat "$WORK/b.pid")"
	etcd_has /fakeos/names/hidden/b
	assert_contains "$KV" "/fakeos/names/hidden/b"
	a_link hidden
	expect_code 0
	assert_contains "$OUT" "link hidden: open, served by uid=0 host=b"
}

# etcd_lacks KEY — KV as etcd_has; 0 once KEY is not among etcd's names,
# 1 if it still is after 5 s.
etcd_lacks() {
	local i
	for i in $(seq 1 50); do
		KV=$(ip netns exec "$NSA" env ETCDCTL_API=3 etcdctl \
			--endpoints="$ETCD" get --prefix /fakeos/names/ 2>&1)
		grep -qx -- "$1" <<<"$KV" || return 0
		sleep 0.1
	done
	return 1
}

test_a_reload_withdraws_a_name_no_longer_exported_from_etcd() {
	need_etcd
	hosts_up
	etcd_has /fakeos/names/db/b || fail "db never registered: $KV"
	# db stays served on b, but no longer exported: it leaves etcd at
	# the reload, not when b's lease ends (b keeps it alive).
	svc "$WORK/b" db "url = file://$PROBE" "args = serve db" \
		"account = root" "publish = db"
	kill -HUP "$(cat "$WORK/b.pid")"
	etcd_lacks /fakeos/names/db/b ||
		fail "db is still in etcd 5 s after the reload: $KV"
	assert_contains "$(cat "$WORK/b.log")" "withdrew db from other hosts"
	# Exported again, it is back.
	svc "$WORK/b" db "url = file://$PROBE" "args = serve db" \
		"account = root" "publish = db" "export = yes"
	kill -HUP "$(cat "$WORK/b.pid")"
	etcd_has /fakeos/names/db/b || fail "db never came back: $KV"
	a_link db
	expect_code 0
	assert_contains "$OUT" "link db: open, served by uid=0 host=b"
}

run_tests
