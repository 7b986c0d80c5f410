#!/bin/bash
# Crash reports under fakeosd (docs/CRASH.md, fakeosd.conf(5) crash-url,
# fakeosctl(8) crashes): the operator's crash-url takes the report of every
# run and service, with the client's account; the spool is root's; each
# account lists and reads only its own reports; a collector that is down
# gets the report later from the daemon's own retry; a program that
# crashes in a loop makes at most crash-reports (5) in each crash-window,
# and the next one counts the rest. The collector is a real nginx on loopback whose access
# log holds each request's status and body.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TOP/test/lib/httpd.sh"
. "$TOP/test/lib/daemon.sh"

CRASHER=$TOP/build/progs/crasher
PROG="file://$CRASHER"
CTL=$TOP/build/fakeosctl
SPOOL=$WORK/spool
OTHER="setpriv --reuid=65533 --regid=65533 --clear-groups --"

# daemon_start's EXIT trap replaces httpd.sh's: it must stop nginx too.
daemon_cleanup() { httpd_stop; }

# The collector: /crash is proxied to /sink, which nginx reads the body
# for, so the log line of /crash carries it ($request_body). It answers
# 503 (down) until $WORK/up exists.
collector_start() {
	rm -f "$WORK/up"
	HTTPD_LOG_FORMAT='$request_method $request_uri $status $request_body' \
		httpd_start "$WORK" "client_body_buffer_size 1m;
		location /crash {
			if (!-f \$document_root/up) { return 503; }
			proxy_pass http://127.0.0.1:\$server_port/sink;
		}
		location /sink { return 204; }" || fail "nginx did not start"
}

delivered() { grep -c '^POST /crash 204 ' "$HTTPD_LOG"; }

# Waits (at most SECONDS, 15) until the collector took N reports.
wait_delivered() { # N [SECONDS]
	local i
	for i in $(seq 1 $((${2:-15} * 10))); do
		[ "$(delivered)" -ge "$1" ] && return 0
		sleep 0.1
	done
	fail "the collector took $(delivered) reports, not $1: $(cat "$HTTPD_LOG")"
}

crash_daemon() { # [SETTING...]
	collector_start
	touch "$WORK/up"
	settings "crash-url = $HTTPD_URL/crash" "$@"
	rm -rf "$SPOOL"
	daemon_start --spool-dir "$SPOOL"
}

# The IDs of a `fakeosctl crashes` listing.
ids() { awk 'NR > 1 { print $1 }' <<<"$1" | sort -n | tr '\n' ' '; }

test_a_crash_under_the_daemon_is_posted_with_the_clients_account() {
	crash_daemon
	run $NOBODY "$RUN" -n "$PROG" segv
	expect_code 139
	assert_contains "$ERR" "crashed: SIGSEGV (SEGV_MAPERR) at 0xdead0010 in crash_inner+"
	wait_delivered 1
	local r
	r=$(grep '^POST /crash 204 ' "$HTTPD_LOG" | cut -d' ' -f4-)
	assert_contains "$r" '"uid":65534'
	assert_contains "$r" "\"argv\":[\"$PROG\",\"segv\"]"
	assert_contains "$r" '"function":"crash_inner"'
	# The spool is root's, 0700; the report went to sent/.
	assert_eq "$(stat -c '%u %a' "$SPOOL")" "0 700" "the spool's owner and mode"
	ls "$SPOOL"/sent/*.65534.json >/dev/null 2>&1 ||
		fail "no sent report of uid 65534 in $SPOOL/sent: $(ls -R "$SPOOL")"
	# And a run's client cannot choose where reports go.
	run "$RUN" -n --crash-url "http://127.0.0.1:9/" "$PROG" segv
	expect_code 125
	assert_contains "$ERR" "--crash-url: needs --standalone"
	daemon_stop
}

test_each_account_sees_only_its_own_crash_reports() {
	crash_daemon
	run $NOBODY "$RUN" -n "$PROG" segv
	expect_code 139
	run $OTHER "$RUN" -n "$PROG" fpe
	expect_code 136
	wait_delivered 2
	local all mine theirs a b
	run "$CTL" crashes
	expect_code 0
	all=$OUT
	assert_contains "$all" "ID     ACCOUNT STATE"
	a=$(awk '$2 == 65534 { print $1 }' <<<"$all")
	b=$(awk '$2 == 65533 { print $1 }' <<<"$all")
	[ -n "$a" ] && [ -n "$b" ] || fail "root does not see both reports: $all"
	assert_contains "$(grep "^$a " <<<"$all")" "sent"
	assert_contains "$(grep "^$a " <<<"$all")" "SIGSEGV (SEGV_MAPERR)"
	assert_contains "$(grep "^$b " <<<"$all")" "SIGFPE (FPE_INTDIV)"
	run $NOBODY "$CTL" crashes
	expect_code 0
	mine=$OUT
	assert_eq "$(ids "$mine")" "$a " "the reports uid 65534 sees"
	run $OTHER "$CTL" crashes
	expect_code 0
	theirs=$OUT
	assert_eq "$(ids "$theirs")" "$b " "the reports uid 65533 sees"
	# A report of one's own is its JSON, whole.
	run $NOBODY "$CTL" crash "$a"
	expect_code 0
	assert_contains "$OUT" '"format":"fakeos-crash-1"'
	assert_contains "$OUT" '"uid":65534'
	assert_eq "$OUT" "$(cat "$SPOOL/sent/$a.65534.json")" "the report shown"
	# Another account's is refused exactly as one that does not exist.
	run $NOBODY "$CTL" crash "$b"
	expect_code 1
	local refused=$ERR
	assert_eq "$refused" "fakeosctl: no crash report $b"
	run $NOBODY "$CTL" crash 99999
	expect_code 1
	assert_eq "$ERR" "fakeosctl: no crash report 99999"
	# Root reads any.
	run "$CTL" crash "$b"
	expect_code 0
	assert_contains "$OUT" '"uid":65533'
	run "$CTL" crash 0
	expect_code 125
	daemon_stop
}

test_a_report_waits_while_the_collector_is_down_and_the_daemon_retries() {
	collector_start # down: 503 until $WORK/up exists
	settings "crash-url = $HTTPD_URL/crash"
	rm -rf "$SPOOL"
	daemon_start --spool-dir "$SPOOL"
	run "$RUN" -n "$PROG" segv
	expect_code 139
	wait_for_log "next try in 2 s" || fail "no retry scheduled: $(cat "$DLOG")"
	run "$CTL" crashes
	assert_contains "$OUT" "pending"
	[ "$(grep -c '^POST /crash 503 ' "$HTTPD_LOG")" -ge 1 ] ||
		fail "the collector saw no attempt: $(cat "$HTTPD_LOG")"
	# The collector comes back; nothing crashes any more; the daemon's
	# back-off (2 s, 4 s, ...) delivers what waited.
	touch "$WORK/up"
	wait_delivered 1 20
	assert_contains "$(grep '^POST /crash 204 ' "$HTTPD_LOG")" '"address":"0xdead0010"'
	assert_eq "$(grep -c 'crashed: SIGSEGV' "$DLOG")" 1 "crashes in the daemon's log"
	assert_eq "$(ls "$SPOOL"/*.json 2>/dev/null | wc -l)" 0 "reports pending"
	run "$CTL" crashes
	assert_contains "$OUT" "sent"
	assert_not_contains "$OUT" "pending"
	daemon_stop
}

test_a_service_that_crashes_in_a_loop_makes_five_reports_a_window() {
	collector_start
	touch "$WORK/up"
	# crash-window: 10 s instead of a minute, to keep the test short.
	settings "crash-url = $HTTPD_URL/crash" "crash-window = 10s"
	# 100 ms between restarts: about 10 crashes a second.
	service crashy "url = $PROG" "args = segv" "account = root" \
		"restart = always" "restart-delay = 100ms" \
		"restart-delay-max = 100ms"
	rm -rf "$SPOOL"
	daemon_start --spool-dir "$SPOOL"
	local t0=$SECONDS
	wait_for_log "crash report not made: more than 5 in 10 s" 20 ||
		fail "no crash was left unreported: $(tail -n 20 "$DLOG")"
	wait_delivered 5
	sleep 2
	# Still within the first window: 5, whatever crashed since.
	[ $((SECONDS - t0)) -lt 9 ] ||
		fail "too slow to tell the first window from the next ($((SECONDS - t0)) s)"
	assert_eq "$(delivered)" 5 "reports in the first window"
	# The first report of the next window counts the ones dropped.
	wait_delivered 6 25
	local sixth
	sixth=$(grep '^POST /crash 204 ' "$HTTPD_LOG" | sed -n 6p)
	grep -qE '"suppressed":[1-9][0-9]*' <<<"$sixth" ||
		fail "the sixth report counts no dropped report: ${sixth:0:300}"
	daemon_stop
}

test_sigbus_is_reported_under_the_daemon() {
	crash_daemon
	run "$RUN" -n "$PROG" bus
	expect_code 135
	assert_contains "$ERR" "crashed: SIGBUS (BUS_ADRALN)"
	wait_delivered 1
	assert_contains "$(grep '^POST /crash 204 ' "$HTTPD_LOG")" '"number":7,"name":"SIGBUS","code":1,"code_name":"BUS_ADRALN"'
	daemon_stop
}

test_a_reload_takes_a_new_crash_url() {
	crash_daemon
	settings "crash-url = $HTTPD_URL/elsewhere"
	kill -HUP "$DPID"
	wait_for_log "crash reports go to $HTTPD_URL/elsewhere" ||
		fail "the reload did not take the URL: $(cat "$DLOG")"
	run "$RUN" -n "$PROG" segv
	expect_code 139
	local i
	for i in $(seq 1 100); do
		grep -q '^POST /elsewhere ' "$HTTPD_LOG" && break
		sleep 0.1
	done
	grep -q '^POST /elsewhere ' "$HTTPD_LOG" ||
		fail "the report did not go to the new URL: $(cat "$HTTPD_LOG")"
	assert_eq "$(delivered)" 0 "reports at the old URL"
	daemon_stop
}

run_tests
