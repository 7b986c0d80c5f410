#!/bin/bash
# Programs are static and cached for a long time: a launcher that speaks a
# newer protocol must keep running programs built against an older
# libfakeos (docs/PROTOCOL.md, section 12). Here the programs of the last
# protocol-3 tree and of the last protocol-4 tree (test programs and
# libfakeos both built from that tree's own sources) run under this
# launcher, alone and beside programs of this tree, and must behave as
# that tree's own tests say they did.
. "$(dirname "$0")/../lib/testlib.sh"
. "$(dirname "$0")/../lib/oldtree.sh"

# The last commits whose libfakeos spoke protocol 3 (git tag proto-3) and
# 4 (the release before protocol 5). Hashes, not tags: a clone of main has
# every commit, not every tag.
V3_COMMIT=58a7f62337453409a4499043eec9a5638a8f2735
V4_COMMIT=25790b706e5668d0dadf2913526e2ff752072a6b
V3=$WORK/v3
V4=$WORK/v4

OLD_PROGS="build/progs/api_probe build/progs/exit_with build/progs/stress"
# shellcheck disable=SC2086 # the list is words
build_v3() { build_old 3 "$V3_COMMIT" "$V3" $OLD_PROGS; }
# shellcheck disable=SC2086
build_v4() { build_old 4 "$V4_COMMIT" "$V4" $OLD_PROGS; }

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

# A client of this tree's version and a server of an older one, in one
# tree; the broker answers each in its own version.
mixed() { # OLD-VERSION OLD-DIR
	# Both in one directory, so that the one may spawn the other.
	mkdir -p "$WORK/mixed"
	cp "$TOP/build/progs/api_probe" "$WORK/mixed/api_probe_new"
	cp "$2/build/progs/api_probe" "$WORK/mixed/api_probe_v$1"
	run timeout 60 "$RUN" -n -vv "file://$WORK/mixed/api_probe_new" \
		peer-exits-from "file://$WORK/mixed/api_probe_v$1"
	expect_code 0
	assert_contains "$OUT" "closed: status 0 after 5 parts"
	assert_contains "$OUT" "child exit: 7"
	assert_contains "$OUT" "PASS"
	assert_contains "$ERR" "api_probe_v$1: speaks protocol version $1"
	assert_not_contains "$ERR" "api_probe_new: speaks protocol version"
}

test_a_new_client_links_to_a_v3_server_in_one_tree() {
	build_v3
	mixed 3 "$V3"
}

test_a_new_client_links_to_a_v4_server_in_one_tree() {
	build_v4
	mixed 4 "$V4"
}

v4probe() {
	build_v4
	run timeout 60 "$RUN" -n "file://$V4/build/progs/api_probe" "$@"
	expect_code 0
	assert_contains "$OUT" "PASS"
}

test_a_v4_program_links_to_itself_and_sees_its_partys_links() {
	v4probe send-sizes
	assert_contains "$OUT" "send 4097: -90"
	assert_contains "$OUT" "received 4096 bytes"
	v4probe peer-exits
	assert_contains "$OUT" "child exit: 7"
}

# Version 5 made a quota's refusal -EDQUOT; a version-4 program still
# gets the -EMFILE its library documented.
test_a_v4_program_still_gets_emfile_from_a_quota() {
	build_v4
	run timeout 60 "$RUN" -n "file://$V4/build/progs/stress" names
	expect_code 0
	assert_contains "$OUT" "stress: serve refused after 16: -24"
	run timeout 60 "$RUN" -n "file://$TOP/build/progs/stress" names
	expect_code 0
	assert_contains "$OUT" "stress: serve refused after 16: -122"
}

run_tests
