#!/bin/bash
# The fakeOS API (include/fakeos.h) inside the real jail: the examples, and
# each call's error paths through test/progs/api_probe. Programs are served
# by a real nginx on 127.0.0.1 where fetching matters (spawn by URL).
. "$(dirname "$0")/../lib/testlib.sh"
. "$TOP/test/lib/httpd.sh"

PROBE="file://$TOP/build/progs/api_probe"
ex() { echo "file://$EXAMPLES/$1"; }

probe() {
	run timeout 60 "$RUN" -n "$PROBE" "$@"
	expect_code 0
	assert_contains "$OUT" "PASS"
}

test_example_api_hello_sees_its_boot_page() {
	run "$RUN" -n "$(ex api_hello)" arg1
	expect_code 0
	assert_contains "$OUT" "api_hello: id 1, parent 0"
	assert_contains "$OUT" "api_hello: key present"
	assert_contains "$OUT" "api_hello: arg 1: arg1"
}

test_example_echo_client_finds_server_by_name() {
	run timeout 60 "$RUN" -n "$(ex echo_demo)" 300
	expect_code 0
	assert_contains "$OUT" "echo_demo: echo_client exited with 0"
	assert_contains "$OUT" "echo_demo: echo_server exited with 0"
	assert_contains "$OUT" "echo_demo: PASS"
}

test_example_pingpong_64_and_4096_bytes() {
	local size
	for size in 64 4096; do
		run timeout 60 "$RUN" -n "$(ex pingpong)" 500 $size
		expect_code 0
		assert_contains "$OUT" "500 rounds of $size bytes"
		assert_contains "$OUT" "pong exited 0, ping exited 0: PASS"
	done
}

test_example_spawn_tree_collects_every_exit() {
	run timeout 60 "$RUN" -n "$(ex spawn_tree)" 2 3
	expect_code 0
	assert_contains "$OUT" "13 programs in a tree of depth 2, fanout 3"
	assert_contains "$OUT" "PASS"
	# Children killed or closed on request are not reported as crashes.
	assert_not_contains "$ERR" "killed by SIGKILL"
}

test_example_timer_ticks_and_times_out() {
	run timeout 60 "$RUN" -n "$(ex timer)"
	expect_code 0
	assert_contains "$OUT" "timer: 10 ticks of 20 ms"
	assert_contains "$OUT" "timer: PASS"
}

test_example_chat_broadcasts_among_three() {
	run timeout 60 "$RUN" -n "$(ex chat)"
	expect_code 0
	assert_contains "$OUT" "chat: PASS"
}

test_link_to_unserved_name_fails_after_the_wait() {
	probe link-unserved nobody-serves-this
	assert_contains "$OUT" "closed: status -111"
}

test_send_larger_than_a_page_is_emsgsize() {
	probe send-sizes
	assert_contains "$OUT" "send 4097: -90"
	assert_contains "$OUT" "received 4096 bytes"
}

test_peer_exiting_midstream_delivers_then_closes() {
	probe peer-exits
	assert_contains "$OUT" "closed: status 0 after 5 parts"
	assert_contains "$OUT" "child id 2, server id 2"
	assert_contains "$OUT" "child exit: 7"
}

test_wait_with_timeout_and_nothing_pending_returns_zero() {
	probe wait-timeout 150
	assert_contains "$OUT" "fk_wait: 0 after"
}

test_serving_a_taken_name_is_eaddrinuse() {
	probe serve-twice shared-name
	assert_contains "$OUT" "second serve: status -98"
}

test_calls_on_dead_handles_are_ebadf() {
	probe bad-handles
}

test_spawn_of_a_url_that_404s_reports_127_and_why() {
	mkdir -p "$WORK/www"
	cp "$TOP/build/progs/api_probe" "$TOP/build/progs/exit_with" "$WORK/www/"
	httpd_start "$WORK/www" || fail "nginx did not start"
	local cache="$WORK/cache-404"
	run timeout 60 "$RUN" -n -C "$cache" "$HTTPD_URL/api_probe" spawn missing 127
	httpd_stop
	expect_code 0
	assert_contains "$OUT" "exit: status 127 reason: HTTP 404"
}

test_spawn_resolves_relative_urls_and_fetches_through_the_cache() {
	mkdir -p "$WORK/www2"
	cp "$TOP/build/progs/api_probe" "$TOP/build/progs/exit_with" "$WORK/www2/"
	httpd_start "$WORK/www2" 'location / { add_header Cache-Control "max-age=3600"; }' ||
		fail "nginx did not start"
	local cache="$WORK/cache-rel"
	run timeout 60 "$RUN" -n -C "$cache" "$HTTPD_URL/api_probe" spawn exit_with 0
	local first
	first=$(httpd_requests)
	run timeout 60 "$RUN" -n -C "$cache" "$HTTPD_URL/api_probe" spawn exit_with 0
	local second
	second=$(httpd_requests)
	httpd_stop
	expect_code 0
	assert_contains "$OUT" "exit: status 0"
	# Both programs were fetched the first time, and neither the second.
	assert_eq "$first" "2" "requests after the first run"
	assert_eq "$second" "2" "requests after the second run"
}

test_child_programs_are_jailed_like_the_top() {
	# A spawned child that opens a file is killed and named like a top
	# program; its parent hears 159. (--spawn-from: it lives in another
	# directory than the probe.)
	run timeout 60 "$RUN" -n --spawn-from "file://$ESCAPES/" "$PROBE" \
		spawn "file://$ESCAPES/openat_file" 159
	expect_code 0
	assert_contains "$ERR" "openat_file: killed: forbidden system call openat (257)"
	assert_contains "$OUT" "exit: status 159"
}

test_spawn_outside_the_programs_origin_is_refused() {
	# A program may not make the launcher open host files...
	run timeout 60 "$RUN" -n "$PROBE" spawn file:///etc/shadow 127
	expect_code 0
	assert_contains "$OUT" "reason: spawn refused: file:///etc/shadow is outside file://$TOP/build/progs/"
	run timeout 60 "$RUN" -n "$PROBE" spawn ../escape/openat_file 127
	expect_code 0
	assert_contains "$OUT" "spawn refused"
	# ... nor connect anywhere from the host (SSRF): another origin.
	run timeout 60 "$RUN" -n "$PROBE" spawn http://127.0.0.1:9/x 127
	expect_code 0
	assert_contains "$OUT" "reason: spawn refused: http://127.0.0.1:9/x is outside"
}

test_spawn_from_admits_a_prefix_and_nothing_beside_it() {
	run timeout 60 "$RUN" -n --spawn-from "file://$EXAMPLES/" "$PROBE" \
		spawn "file://$EXAMPLES/hello" 0
	expect_code 0
	assert_contains "$OUT" "exit: status 0"
	run timeout 60 "$RUN" -n --spawn-from "file://$EXAMPLES/" "$PROBE" \
		spawn "file://$ESCAPES/openat_file" 127
	expect_code 0
	assert_contains "$OUT" "spawn refused"
}

test_spawned_file_cannot_escape_its_directory_through_a_symlink() {
	mkdir -p "$WORK/apps"
	cp "$TOP/build/progs/api_probe" "$WORK/apps/"
	ln -sf /etc/passwd "$WORK/apps/sneaky"
	run timeout 60 "$RUN" -n "file://$WORK/apps/api_probe" spawn sneaky 127
	expect_code 0
	assert_contains "$OUT" "exit: status 127"
	assert_not_contains "$OUT" "not an ELF"
}

run_tests
