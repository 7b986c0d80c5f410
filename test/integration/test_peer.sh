#!/bin/bash
# Who is calling (docs/API.md 8.1): a service learns the account, host,
# URL, sha256 and id of the program at the other end of each link from
# the broker (fk_peer), never from the client. examples/gate serves only
# the callers its filter names; test/progs/peer_probe is its client and
# the tree that starts both. Standalone under fakeos-run, and through a
# test's own fakeosd with callers of two accounts (root and nobody).
. "$(dirname "$0")/../lib/testlib.sh"
. "$TOP/test/lib/daemon.sh"

# One directory, so the tree may spawn them all: the probe, the gate,
# and two clients with the same code but different bytes (b has one more
# byte at its end), so only what the broker saw tells them apart.
D=$WORK/peers
setup_peers() {
	mkdir -p "$D"
	cp "$TOP/build/progs/peer_probe" "$D/peer_probe"
	cp "$TOP/build/examples/gate" "$D/gate"
	cp "$TOP/build/progs/peer_probe" "$D/client_a"
	cp "$TOP/build/progs/peer_probe" "$D/client_b"
	printf 'x' >>"$D/client_b"
	chmod 755 "$WORK" "$D"
}
sha() { sha256sum "$1" | cut -c1-64; }

tree() { # FILTER
	setup_peers
	run timeout 60 "$RUN" -n "file://$D/peer_probe" tree "file://$D/gate" \
		"$1" "file://$D/client_a" "file://$D/client_b"
}

# The id a client printed for itself ("ask: I am id N"), by its order.
client_id() { # N
	grep '^ask: I am id ' <<<"$OUT" | sed -n "${1}p" | sed 's/.* id //'
}

test_a_service_sees_each_callers_id_account_url_and_sha256() {
	tree any
	expect_code 0
	local a b
	a=$(client_id 1)
	b=$(client_id 2)
	[ -n "$a" ] && [ -n "$b" ] && [ "$a" != "$b" ] ||
		fail "two clients with two ids: $OUT"
	assert_contains "$OUT" "gate: id $a uid $(id -u) host '' url file://$D/client_a sha256 $(sha "$D/client_a"): served"
	assert_contains "$OUT" "gate: id $b uid $(id -u) host '' url file://$D/client_b sha256 $(sha "$D/client_b"): served"
	# Both were welcomed, and each learnt who the gate is the same way.
	[ "$(grep -c '^ask gate: welcome$' <<<"$OUT")" = 2 ] ||
		fail "two welcomes: $OUT"
	[ "$(grep -c "^ask: server id [0-9]* url file://$D/gate\$" <<<"$OUT")" = 2 ] ||
		fail "each client names the gate: $OUT"
	assert_contains "$OUT" "tree: client 2 exit 0"
}

test_the_gate_serves_only_one_program_hash() {
	setup_peers
	tree "sha256=$(sha "$D/client_a")"
	expect_code 0
	assert_contains "$OUT" "url file://$D/client_a sha256 $(sha "$D/client_a"): served"
	assert_contains "$OUT" "url file://$D/client_b sha256 $(sha "$D/client_b"): refused"
	# The refused client saw its link closed after it opened, no data.
	[ "$(grep -c '^ask gate: welcome$' <<<"$OUT")" = 1 ] ||
		fail "one welcome: $OUT"
	assert_contains "$OUT" "ask gate: refused, status 0"
}

test_the_gate_by_account_refuses_every_caller_of_another() {
	tree "uid=12345"
	expect_code 0
	assert_not_contains "$OUT" ": served"
	[ "$(grep -c "uid $(id -u) host '' .*: refused\$" <<<"$OUT")" = 2 ] ||
		fail "both refused: $OUT"
}

test_fk_peer_errors_and_both_ends_of_a_link_to_itself() {
	setup_peers
	run timeout 30 "$RUN" -n "file://$D/peer_probe" calls
	expect_code 0
	assert_contains "$OUT" "end 0: id 1 url file://$D/peer_probe host ''"
	assert_contains "$OUT" "end 1: id 1 url file://$D/peer_probe host ''"
	assert_contains "$OUT" "PASS"
}

# Through fakeosd: the gate is the operator's service, of root's account,
# published to every account, and serves only nobody's programs. A
# client's account is the uid the daemon read from its socket
# (SO_PEERCRED), so nobody cannot pass for root, nor root for nobody.
test_through_fakeosd_the_gate_tells_two_accounts_apart() {
	setup_peers
	service gate "url = file://$D/gate" "args = gate uid=65534" \
		"account = root" "publish = gate"
	daemon_start
	wait_for_log "svc gate: gate: serving gate" ||
		fail "the gate does not serve: $(cat "$DLOG")"
	run $NOBODY "$RUN" -n "file://$D/client_a" ask gate
	expect_code 0
	assert_contains "$OUT" "ask gate: welcome"
	run "$RUN" -n "file://$D/client_b" ask gate
	expect_code 0
	assert_contains "$OUT" "ask gate: refused, status 0"
	wait_for_log "url file://$D/client_b" ||
		fail "the gate saw no second caller: $(cat "$DLOG")"
	assert_contains "$(cat "$DLOG")" "uid 65534 host '' url file://$D/client_a sha256 $(sha "$D/client_a"): served"
	assert_contains "$(cat "$DLOG")" "uid 0 host '' url file://$D/client_b sha256 $(sha "$D/client_b"): refused"
	daemon_stop
}

run_tests
