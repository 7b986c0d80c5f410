#!/bin/bash
# Programs are static and cached for a long time: a launcher that speaks a
# newer protocol must keep running programs built against an older
# libfakeos (docs/PROTOCOL.md, section 12). Here the programs of the last
# protocol-3 tree (the commit tagged proto-3: test programs and libfakeos
# both built from that tree's own sources) run under this launcher, alone
# and beside programs of this tree, and must behave as that tree's own
# tests say they did.
. "$(dirname "$0")/../lib/testlib.sh"

# The last commit whose libfakeos spoke protocol 3 (git tag proto-3). A
# hash, not the tag: a clone of main has every commit, not every tag.
V3_COMMIT=58a7f62337453409a4499043eec9a5638a8f2735
V3=$WORK/v3

# Builds the v3 tree's api_probe and exit_with with its own libfakeos.
build_v3() {
	[ -x "$V3/build/progs/api_probe" ] && return 0
	command -v git >/dev/null || skip "git is not installed"
	git -C "$TOP" cat-file -e "$V3_COMMIT^{commit}" 2>/dev/null ||
		skip "commit $V3_COMMIT (proto-3) is not in this clone's history"
	mkdir -p "$V3"
	git -C "$TOP" archive "$V3_COMMIT" | tar -x -C "$V3" ||
		fail "git archive of $V3_COMMIT"
	# Its deps stamp would run install-deps; this tree's already did.
	mkdir -p "$V3/build" && touch "$V3/build/.deps-ok"
	make -C "$V3" -s build/progs/api_probe build/progs/exit_with \
		>"$WORK/v3-build.log" 2>&1 ||
		fail "building the v3 programs: $(tail -n 5 "$WORK/v3-build.log")"
	grep -q '#define PROTO_VERSION 3' "$V3/src/proto.h" ||
		fail "$V3_COMMIT is not a protocol-3 tree"
}

v3probe() {
	build_v3
	run timeout 60 "$RUN" -n "file://$V3/build/progs/api_probe" "$@"
	expect_code 0
	assert_contains "$OUT" "PASS"
}

test_a_v3_program_links_to_itself_and_gets_its_sizes_right() {
	v3probe send-sizes
	assert_contains "$OUT" "send 4097: -90"
	assert_contains "$OUT" "received 4096 bytes"
}

test_a_v3_program_spawns_a_v3_server_and_reads_it_to_the_end() {
	v3probe peer-exits
	assert_contains "$OUT" "closed: status 0 after 5 parts"
	assert_contains "$OUT" "child exit: 7"
}

test_a_v3_program_sees_a_taken_name_and_its_broadcasts() {
	v3probe serve-twice shared-name
	assert_contains "$OUT" "second serve: status -98"
	v3probe broadcast-limits
	assert_contains "$OUT" "delivered 4000 bytes, 0 dropped"
	assert_contains "$OUT" "delivered 0 bytes, 0 dropped"
}

test_a_v3_program_sees_a_closed_link_and_its_childs_exit() {
	v3probe sender-sees-close
	assert_contains "$OUT" "refused with -EAGAIN"
	assert_contains "$OUT" "send after the close: -9"
	assert_contains "$OUT" "child exit: 7"
}

test_a_v4_client_links_to_a_v3_server_in_one_tree() {
	build_v3
	# Both in one directory, so that the one may spawn the other.
	mkdir -p "$WORK/mixed"
	cp "$TOP/build/progs/api_probe" "$WORK/mixed/api_probe_v4"
	cp "$V3/build/progs/api_probe" "$WORK/mixed/api_probe_v3"
	run timeout 60 "$RUN" -n -vv "file://$WORK/mixed/api_probe_v4" \
		peer-exits-from "file://$WORK/mixed/api_probe_v3"
	expect_code 0
	assert_contains "$OUT" "closed: status 0 after 5 parts"
	assert_contains "$OUT" "child exit: 7"
	assert_contains "$OUT" "PASS"
	# The broker answered each in its own version.
	assert_contains "$ERR" "api_probe_v3: speaks protocol version 3"
	assert_not_contains "$ERR" "api_probe_v4: speaks protocol version"
}

run_tests
