#!/bin/bash
# A program may spawn only from its own origin or an operator's
# --spawn-from prefix, and the broker checks the URL it asks for. The fetch
# then follows redirects: each hop must stay within that same prefix, or a
# program could serve itself a redirect to 127.0.0.1 or the host's private
# network and have the privileged launcher send the request (SSRF). An
# operator's own `fakeos-run URL` keeps the ordinary redirect rules.
#
# Two real nginx servers on 127.0.0.1: the origin the programs come from,
# and an "internal" service standing for what must stay unreachable, which
# logs every request it gets.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TOP/test/lib/httpd.sh"

# shellcheck disable=SC2016 # nginx variables
HTTPD_LOG_FORMAT='$request_method $request_uri $status inm=$http_if_none_match'

INTERNAL_PID="" INTERNAL_DIR=""
internal_stop() {
	[ -n "$INTERNAL_PID" ] && kill "$INTERNAL_PID" 2>/dev/null &&
		wait "$INTERNAL_PID" 2>/dev/null
	[ -n "$INTERNAL_DIR" ] && rm -rf "$INTERNAL_DIR"
	INTERNAL_PID="" INTERNAL_DIR=""
}

# servers [ORIGIN_CONFIG] — the internal service (exit_with as /secret)
# and the origin (api_probe and exit_with, in $WORK/www and $WORK/www/apps)
# with ORIGIN_CONFIG, in which @INTERNAL@ stands for the internal URL. Sets
# INTERNAL_URL, INTERNAL_LOG, HTTPD_URL and HTTPD_LOG.
servers() {
	mkdir -p "$WORK/internal" "$WORK/www/apps" "$WORK/www/other"
	cp "$TOP/build/progs/exit_with" "$WORK/internal/secret"
	cp "$TOP/build/progs/api_probe" "$TOP/build/progs/exit_with" "$WORK/www/"
	cp "$TOP/build/progs/exit_with" "$WORK/www/apps/"
	cp "$TOP/build/progs/exit_with" "$WORK/www/other/"
	httpd_start "$WORK/internal" || fail "the internal nginx did not start"
	INTERNAL_PID=$HTTPD_PID INTERNAL_DIR=$HTTPD_DIR
	INTERNAL_URL=$HTTPD_URL INTERNAL_LOG=$HTTPD_LOG
	# httpd.sh keeps one server: forget this one so the origin's start
	# and stop leave it alone; it is stopped here.
	HTTPD_PID="" HTTPD_DIR=""
	httpd_start "$WORK/www" "${1//@INTERNAL@/$INTERNAL_URL}" ||
		fail "the origin nginx did not start"
	trap 'httpd_stop; internal_stop' EXIT
}

# Nothing reached the internal service: no request at all.
assert_internal_untouched() {
	assert_eq "$(cat "$INTERNAL_LOG")" "" "requests the internal service saw"
}

TO_INTERNAL='location = /to-internal { return 302 @INTERNAL@/secret; }'

test_spawn_redirected_to_the_hosts_network_sends_it_nothing() {
	servers "$TO_INTERNAL"
	run timeout 60 "$RUN" -n -v -C "$WORK/cache" "$HTTPD_URL/api_probe" \
		spawn to-internal 127
	expect_code 0
	assert_contains "$OUT" "exit: status 127 reason: cannot fetch"
	assert_not_contains "$OUT" "$INTERNAL_URL" "what the program heard"
	assert_contains "$ERR" "redirect to $INTERNAL_URL/secret refused: outside $HTTPD_URL/ (where this program may spawn from)"
	assert_internal_untouched
	assert_contains "$(cat "$HTTPD_LOG")" "GET /to-internal 302"
}

# What a program hears of a failed spawn is one reason from a fixed set:
# never the response's bytes, its status, or the network's error, which it
# could carry out again in its next spawn's URL. The operator's log has
# each of them.
test_spawn_failure_reasons_carry_nothing_from_the_response_or_network() {
	servers 'location = /forbidden { return 403; }'
	printf 'TOKEN-7d1e0c not a program, a page of the intranet\n' \
		>"$WORK/www/page"
	run timeout 60 "$RUN" -n -C "$WORK/cache" "$HTTPD_URL/api_probe" \
		spawn page 126
	expect_code 0
	assert_contains "$OUT" "exit: status 126 reason: not a runnable program"
	assert_not_contains "$OUT" "TOKEN" "what the program heard"
	assert_contains "$ERR" "not an ELF"
	run timeout 60 "$RUN" -n -C "$WORK/cache" "$HTTPD_URL/api_probe" \
		spawn forbidden 127
	expect_code 0
	assert_contains "$OUT" "exit: status 127 reason: cannot fetch"
	assert_not_contains "$OUT" "403" "what the program heard"
	assert_contains "$ERR" "HTTP 403"
	# A closed port and an open one read the same to the program.
	local closed=9 # discard: nothing listens on it here
	run timeout 60 "$RUN" -n -C "$WORK/cache" --spawn-from \
		"http://127.0.0.1:$closed/" "file://$TOP/build/progs/api_probe" \
		spawn "http://127.0.0.1:$closed/x" 127
	expect_code 0
	assert_contains "$OUT" "exit: status 127 reason: cannot fetch"
	assert_not_contains "$OUT" "onnect" "what the program heard"
	assert_contains "$ERR" "127.0.0.1"
	run timeout 60 "$RUN" -n -C "$WORK/cache" --spawn-from \
		"$INTERNAL_URL/" "file://$TOP/build/progs/api_probe" \
		spawn "$INTERNAL_URL/nothing-here" 127
	expect_code 0
	assert_contains "$OUT" "exit: status 127 reason: cannot fetch"
	assert_contains "$ERR" "HTTP 404"
}

test_operator_fetch_still_follows_a_redirect_to_another_host() {
	servers "$TO_INTERNAL"
	run timeout 60 "$RUN" -n -C "$WORK/cache" "$HTTPD_URL/to-internal" 7
	expect_code 7
	assert_contains "$(cat "$INTERNAL_LOG")" "GET /secret 200"
}

test_spawn_redirected_within_its_origin_still_runs() {
	# A relative Location, which the fetch resolves against the hop.
	servers 'location = /moved { absolute_redirect off; return 302 /apps/exit_with; }'
	run timeout 60 "$RUN" -n -C "$WORK/cache" "$HTTPD_URL/api_probe" \
		spawn moved 0
	expect_code 0
	assert_contains "$OUT" "exit: status 0"
	assert_contains "$(cat "$HTTPD_LOG")" "GET /apps/exit_with 200"
}

# --spawn-from admits a path prefix; a hop to the same origin outside it is
# refused like one to another host.
test_spawn_from_prefix_holds_every_redirect_hop() {
	servers 'location = /apps/out { return 302 /other/exit_with; }
		 location = /apps/in { return 302 /apps/exit_with; }'
	local probe="file://$TOP/build/progs/api_probe"
	run timeout 60 "$RUN" -n -v -C "$WORK/cache" \
		--spawn-from "$HTTPD_URL/apps/" "$probe" spawn "$HTTPD_URL/apps/out" 127
	expect_code 0
	assert_contains "$OUT" "exit: status 127"
	assert_contains "$ERR" "redirect to $HTTPD_URL/other/exit_with refused: outside $HTTPD_URL/apps/ (where this program may spawn from)"
	assert_not_contains "$(cat "$HTTPD_LOG")" "/other/" "requests the origin saw"
	run timeout 60 "$RUN" -n -C "$WORK/cache" \
		--spawn-from "$HTTPD_URL/apps/" "$probe" spawn "$HTTPD_URL/apps/in" 0
	expect_code 0
	assert_contains "$OUT" "exit: status 0"
}

# A program the operator ran is in the cache; its origin now redirects it to
# the internal service. A program's spawn of it revalidates (no-cache), and
# that conditional request's redirect is held to the spawn's rule too.
test_revalidation_redirected_out_of_a_spawns_origin_sends_nothing() {
	servers "location = /child {
		     if (-f $WORK/moved) { return 302 @INTERNAL@/secret; }
		     add_header Cache-Control no-cache;
		 }"
	cp "$TOP/build/progs/exit_with" "$WORK/www/child"
	run timeout 60 "$RUN" -n -C "$WORK/cache" "$HTTPD_URL/child" 3
	expect_code 3
	touch "$WORK/moved"
	run timeout 60 "$RUN" -n -v -C "$WORK/cache" "$HTTPD_URL/api_probe" \
		spawn child 127
	expect_code 0
	assert_contains "$OUT" "exit: status 127"
	assert_contains "$ERR" "fetching $HTTPD_URL/child (revalidating)"
	assert_contains "$ERR" "redirect to $INTERNAL_URL/secret refused: outside $HTTPD_URL/ (where this program may spawn from)"
	# The conditional request went out, and its redirect was not followed.
	assert_contains "$(cat "$HTTPD_LOG")" "GET /child 302 inm=\""
	assert_internal_untouched
}

run_tests
