#!/bin/bash
# Crash reports (docs/CRASH.md, docs/SECURITY.md "Crash reports"): the
# broker, never the crashed program, collects a report of a program that
# dies of a fault or a forbidden call, shows a summary, tells the parent
# why, and POSTs the report to the operator's crash URL — here a real
# nginx on loopback, whose access log holds each request's body — or
# spools it while the collector is down.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TOP/test/lib/httpd.sh"

CRASHER=$TOP/build/progs/crasher
PROG="file://$CRASHER"
export XDG_STATE_HOME=$WORK/state
SPOOL=$XDG_STATE_HOME/fakeos/crash

# The collector: /crash is proxied to /sink, which nginx reads the body
# for, so the log line of /crash carries it ($request_body).
collector_start() {
	HTTPD_LOG_FORMAT='$request_method $request_uri $status $request_body' \
		httpd_start "$WORK" "client_body_buffer_size 1m;
		location /crash { proxy_pass http://127.0.0.1:\$server_port/sink; }
		location /sink { return 204; }" || fail "nginx did not start"
}

crash_run() { # URL MODE...
	local url=$1
	shift
	run timeout 60 "$RUN" --standalone -n --crash-url "$url" "$PROG" "$@"
}

# The report the collector received last.
received() {
	grep '^POST /crash 204 ' "$HTTPD_LOG" | tail -n 1 | cut -d' ' -f4-
}

test_a_segfault_is_reported_to_the_collector_with_its_fields() {
	collector_start
	crash_run "$HTTPD_URL/crash" segv
	expect_code 139
	assert_contains "$ERR" "crashed: SIGSEGV (SEGV_MAPERR) at 0xdead0010 in crash_inner+"
	assert_contains "$ERR" "#1 crash_middle+"
	assert_contains "$ERR" "#2 crash_outer+"
	local r sha bid
	r=$(received)
	[ -n "$r" ] || fail "the collector received no report: $(cat "$HTTPD_LOG")"
	sha=$(sha256sum "$CRASHER" | cut -d' ' -f1)
	bid=$(readelf -n "$CRASHER" | sed -n 's/.*Build ID: //p')
	[ -n "$bid" ] || fail "the crasher has no build-id note"
	assert_contains "$r" '"format":"fakeos-crash-1"'
	assert_contains "$r" "\"url\":\"$PROG\""
	assert_contains "$r" "\"sha256\":\"$sha\""
	assert_contains "$r" "\"build_id\":\"$bid\""
	assert_contains "$r" "\"argv\":[\"$PROG\",\"segv\"]"
	assert_contains "$r" "\"uid\":$(id -u)"
	assert_contains "$r" '"number":11,"name":"SIGSEGV","code":1,"code_name":"SEGV_MAPERR","address":"0xdead0010"'
	assert_contains "$r" '"function":"crash_inner"'
	assert_contains "$r" '"function":"crash_middle"'
	assert_contains "$r" '"function":"crash_outer"'
	assert_contains "$r" '"function":"main"'
	assert_contains "$r" '"registers":{"rip":"0x'
	assert_contains "$r" '"stack":{"address":"0x'
	# Delivered: moved to sent/, nothing pending.
	ls "$SPOOL"/sent/*.json >/dev/null 2>&1 || fail "no sent report in $SPOOL/sent"
	[ -z "$(ls "$SPOOL"/*.json 2>/dev/null)" ] || fail "a report is still pending"
}

test_other_faults_and_forbidden_calls_are_named() {
	collector_start
	crash_run "$HTTPD_URL/crash" fpe
	expect_code 136
	assert_contains "$ERR" "crashed: SIGFPE (FPE_INTDIV) at 0x"
	crash_run "$HTTPD_URL/crash" ill
	expect_code 132
	assert_contains "$ERR" "crashed: SIGILL"
	crash_run "$HTTPD_URL/crash" syscall
	expect_code 159
	assert_contains "$ERR" "crashed: forbidden system call socket (41) in syscall+"
	assert_contains "$ERR" "#1 crash_middle+"
	assert_contains "$(received)" '"syscall":{"number":41,"name":"socket","args":["0x2","0x1","0x0"'
	# abort() cannot raise SIGABRT in the jail: its first call is
	# forbidden, and that is what the report names, with the backtrace.
	crash_run "$HTTPD_URL/crash" abort
	expect_code 159
	assert_contains "$ERR" "crashed: forbidden system call rt_sigprocmask (14)"
	# musl's libc.a keeps no frame pointers: the frame is libc's own.
	assert_contains "$(received)" '"function":"__block_app_sigs"'
}

test_a_report_names_the_programs_links() {
	collector_start
	crash_run "$HTTPD_URL/crash" linked
	expect_code 139
	assert_contains "$OUT" "events 3"
	local r
	r=$(received)
	assert_contains "$r" "\"peer_url\":\"$PROG\",\"name\":\"crashsvc\""
	assert_contains "$r" '"services":["crashsvc"]'
}

test_the_parent_hears_the_reason_in_fk_ev_exit() {
	collector_start
	run timeout 60 "$RUN" --standalone -n "$PROG" parent "$PROG"
	expect_code 0
	assert_contains "$OUT" "child exit: 139 reason: SIGSEGV (SEGV_MAPERR) at 0xdead0010 in crash_inner+"
}

test_with_the_collector_down_the_report_waits_and_is_delivered_later() {
	# Nothing listens on port 9 of loopback.
	crash_run "http://127.0.0.1:9/crash" segv
	expect_code 139
	assert_contains "$ERR" "not sent to http://127.0.0.1:9/crash"
	local pending
	pending=$(ls "$SPOOL"/*.json 2>/dev/null | wc -l)
	assert_eq "$pending" 1 "reports pending"
	[ "$(stat -c %a "$SPOOL")" = 700 ] || fail "the spool is not 0700"
	collector_start
	# The next run sends what waited, then its own.
	run timeout 60 "$RUN" --standalone -n --crash-url "$HTTPD_URL/crash" \
		"file://$TOP/build/progs/exit_with" 0
	expect_code 0
	assert_eq "$(grep -c '^POST /crash 204 ' "$HTTPD_LOG")" 1 "reports delivered"
	assert_contains "$(received)" '"address":"0xdead0010"'
	assert_eq "$(ls "$SPOOL"/*.json 2>/dev/null | wc -l)" 0 "reports pending"
}

test_a_crash_url_is_the_operators_not_a_flag_for_fakeosd() {
	# With a daemon socket, --crash-url needs --standalone: fakeosd's
	# reports go to fakeosd.conf's crash_url.
	run "$RUN" --crash-url "ftp://x/" "$PROG"
	expect_code 125
	assert_contains "$ERR" "--crash-url: not an http(s) URL"
}

run_tests
