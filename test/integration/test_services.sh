#!/bin/bash
# fakeosd's supervised services (services.d/NAME.conf), the names they
# publish host-wide, and fakeosctl: a real daemon on a socket in this
# test's own directory, its settings in $WORK/etc. Each test asserts what
# the operator or a user sees: the daemon's log, exit codes, the output
# of runs and of fakeosctl, which processes are left, the settings' bytes.
. "$(dirname "$0")/../lib/testlib.sh"
. "$(dirname "$0")/../lib/daemon.sh"

CTL=$TOP/build/fakeosctl
url_of() { echo "file://$TOP/build/progs/$1"; }

# CPU time (user + system, in clock ticks) fakeosd itself has used.
daemon_ticks() {
	awk '{ print $14 + $15 }' "/proc/$DPID/stat"
}

test_a_service_starts_with_the_daemon_and_its_lines_carry_its_name() {
	service hello "url = $(url_of sleeper)" "args = 41" "account = root"
	daemon_start
	wait_for_log "<6>svc hello: ready" ||
		fail "the service's output is not in the log: $(cat "$DLOG")"
	[ "$(pgrep -fc "^$(url_of sleeper) 41$")" = 1 ] ||
		fail "the service's program is not running"
	# SIGTERM ends it with the daemon, and nothing is left.
	daemon_stop
	assert_contains "$(cat "$DLOG")" "service hello stopped"
	[ "$(pgrep -fc "^$(url_of sleeper) 41$")" = 0 ] ||
		fail "the service's program outlived the daemon"
}

test_on_failure_restarts_with_doubling_delays_and_no_does_not() {
	service crash "url = $(url_of exit_with)" "args = 1" "account = root" \
		"restart = on-failure" "restart-delay = 100ms" \
		"restart-delay-max = 10s"
	service once "url = $(url_of exit_with)" "args = 1" "account = root" \
		"restart = no"
	service fine "url = $(url_of exit_with)" "args = 0" "account = root" \
		"restart = on-failure" "restart-delay = 100ms"
	daemon_start
	wait_for_log "service crash exited with status 1" ||
		fail "crash did not exit: $(cat "$DLOG")"
	wait_for_log "next restart in 400 ms" 5 ||
		fail "no third restart: $(cat "$DLOG")"
	local delays
	delays=$(grep "service crash exited" "$DLOG" | head -n 3 |
		sed -nE 's/.*next restart in ([0-9]+) ms$/\1/p' | tr '\n' ' ')
	assert_eq "$delays" "100 200 400 " "the first three back-offs"
	assert_contains "$(cat "$DLOG")" "service once exited with status 1"
	assert_contains "$(cat "$DLOG")" "restart=no: not restarted"
	assert_eq "$(grep -c "service once started" "$DLOG")" 1 "starts of once"
	# Exit 0 is no failure: on-failure leaves it be.
	assert_eq "$(grep -c "service fine started" "$DLOG")" 1 "starts of fine"
	assert_not_contains "$(grep "service fine" "$DLOG")" "next restart"
	daemon_stop
}

test_a_crash_looping_service_burns_no_cpu_while_it_waits() {
	service loop "url = $(url_of exit_with)" "args = 3" "account = root" \
		"restart = always" "restart-delay = 500ms" \
		"restart-delay-max = 500ms"
	daemon_start
	wait_for_log "service loop exited with status 3" ||
		fail "loop did not exit: $(cat "$DLOG")"
	local before after restarts_before restarts_after hz
	hz=$(getconf CLK_TCK)
	restarts_before=$(grep -c "service loop exited" "$DLOG")
	before=$(daemon_ticks)
	sleep 2
	after=$(daemon_ticks)
	restarts_after=$(grep -c "service loop exited" "$DLOG")
	# It did go on restarting at the cap, every 500 ms ...
	[ $((restarts_after - restarts_before)) -ge 2 ] ||
		fail "only $((restarts_after - restarts_before)) restarts in 2 s"
	assert_contains "$(cat "$DLOG")" "next restart in 500 ms"
	# ... and the daemon slept in between: under 0.2 s of CPU in 2 s.
	[ $(((after - before) * 10)) -lt $((hz * 2)) ] ||
		fail "fakeosd used $((after - before)) ticks (of $hz a second) in 2 s"
	daemon_stop
}

test_reload_starts_new_restarts_changed_and_stops_removed_services() {
	service a "url = $(url_of sleeper)" "args = 51" "account = root"
	service b "url = $(url_of sleeper)" "args = 52" "account = root"
	daemon_start
	wait_for_log "<6>svc a: ready" && wait_for_log "<6>svc b: ready" ||
		fail "a and b did not start: $(cat "$DLOG")"
	rm "$ETC/services.d/a.conf"
	service b "url = $(url_of sleeper)" "args = 53" "account = root"
	service c "url = $(url_of sleeper)" "args = 54" "account = root"
	kill -HUP "$DPID"
	wait_for_log "<6>svc c: ready" || fail "c did not start: $(cat "$DLOG")"
	wait_for_log "service a: removed from the settings: stopped" ||
		fail "a was not stopped: $(cat "$DLOG")"
	wait_for_log "service b: its settings changed: restarted" ||
		fail "b was not restarted: $(cat "$DLOG")"
	local i
	for i in $(seq 1 100); do
		[ "$(pgrep -fc "^$(url_of sleeper) 5[12]$")" = 0 ] &&
			[ "$(pgrep -fc "^$(url_of sleeper) 5[34]$")" = 2 ] && break
		sleep 0.05
	done
	[ "$(pgrep -fc "^$(url_of sleeper) 5[12]$")" = 0 ] ||
		fail "a removed or changed service's old program still runs"
	[ "$(pgrep -fc "^$(url_of sleeper) 5[34]$")" = 2 ] ||
		fail "the new and the changed service do not both run"
	daemon_stop
}

test_a_published_name_reaches_every_account_and_an_unpublished_one_does_not() {
	service pub "url = $PROBE" "args = serve-hold pubname" \
		"account = root" "publish = pubname"
	service priv "url = $PROBE" "args = serve-hold privname" \
		"account = root"
	daemon_start
	wait_for_log "<6>svc pub: serving pubname" &&
		wait_for_log "<6>svc priv: serving privname" ||
		fail "the services do not serve: $(cat "$DLOG")"
	run $NOBODY "$RUN" -n "$PROBE" link-name pubname
	expect_code 0
	assert_eq "$OUT" "link pubname: open" "nobody's link to pubname"
	run $NOBODY "$RUN" -n "$PROBE" link-name privname
	expect_code 0
	assert_eq "$OUT" "link privname: closed, status -111" \
		"nobody's link to privname"
	# The unpublished name exists: its own account reaches it.
	run "$RUN" -n "$PROBE" link-name privname
	assert_eq "$OUT" "link privname: open" "root's link to privname"
	daemon_stop
}

test_a_runs_program_cannot_publish() {
	service pub "url = $PROBE" "args = serve-hold pubname" \
		"account = root" "publish = pubname"
	daemon_start
	wait_for_log "<6>svc pub: serving pubname" ||
		fail "the service does not serve: $(cat "$DLOG")"
	# nobody serves the same name in its own account only: root's link
	# still reaches the service, never nobody's program.
	$NOBODY "$RUN" -n "$PROBE" serve-hold pubname >"$WORK/n.out" 2>&1 &
	local n=$!
	wait_for_text "$WORK/n.out" "serving pubname" ||
		fail "nobody's program did not serve: $(cat "$WORK/n.out")"
	run "$RUN" -n "$PROBE" link-name pubname
	assert_eq "$OUT" "link pubname: open" "root's link"
	sleep 0.2
	assert_not_contains "$(cat "$WORK/n.out")" "link" "nobody's server"
	kill -INT "$n"
	wait "$n" 2>/dev/null
	daemon_stop
}

test_fakeosctl_list_shows_a_user_its_own_programs_and_root_all() {
	service svc "url = $(url_of sleeper)" "args = 71" "account = root"
	daemon_start
	wait_for_log "<6>svc svc: ready" || fail "svc did not start"
	$NOBODY "$RUN" -n "$PROBE" hang >/dev/null 2>&1 &
	local n=$! i
	for i in $(seq 1 100); do
		[ "$(pgrep -fc "^$PROBE hang$")" = 1 ] && break
		sleep 0.05
	done
	run $NOBODY "$CTL" list
	expect_code 0
	assert_contains "$OUT" "$PROBE"
	assert_not_contains "$OUT" "$(url_of sleeper)" "nobody's listing"
	assert_contains "$(grep "$PROBE" <<<"$OUT")" " 65534 "
	run "$CTL" list
	expect_code 0
	assert_contains "$OUT" "$PROBE" "root's listing"
	local line
	line=$(grep "$(url_of sleeper)" <<<"$OUT")
	# id, account, sha256 prefix, state, uptime, resident memory, URL
	grep -qE "^[0-9]+ +0 +[0-9a-f]{12} +running +[0-9]+s +[0-9]+kB $(url_of sleeper)$" <<<"$line" ||
		fail "root's line for the service: '$line'"
	run "$CTL" services
	expect_code 0
	grep -qE "^svc +running +0 +- +-$" <<<"$OUT" || fail "services: $OUT"
	kill -INT "$n"
	wait "$n" 2>/dev/null
	daemon_stop
}

test_fakeosctl_names_shows_own_and_published_names_only() {
	service pub "url = $PROBE" "args = serve-hold pubname" \
		"account = root" "publish = pubname"
	service priv "url = $PROBE" "args = serve-hold privname" \
		"account = root"
	daemon_start
	wait_for_log "<6>svc pub: serving pubname" &&
		wait_for_log "<6>svc priv: serving privname" ||
		fail "the services do not serve: $(cat "$DLOG")"
	run $NOBODY "$CTL" names
	expect_code 0
	grep -qE "^pubname +published$" <<<"$OUT" || fail "nobody: $OUT"
	assert_not_contains "$OUT" "privname" "nobody's names"
	run "$CTL" names
	grep -qE "^privname +uid 0$" <<<"$OUT" || fail "root: $OUT"
	daemon_stop
}

test_only_root_may_stop_start_and_restart_services() {
	service svc "url = $(url_of sleeper)" "args = 72" "account = root"
	daemon_start
	wait_for_log "<6>svc svc: ready" || fail "svc did not start"
	run $NOBODY "$CTL" stop svc
	expect_code 2
	assert_eq "$ERR" "fakeosctl: only root may stop services"
	sleep 0.2
	[ "$(pgrep -fc "^$(url_of sleeper) 72$")" = 1 ] ||
		fail "nobody's stop stopped the service"
	run "$CTL" stop svc
	expect_code 0
	assert_eq "$OUT" "service svc stopped"
	local i
	for i in $(seq 1 100); do
		[ "$(pgrep -fc "^$(url_of sleeper) 72$")" = 0 ] && break
		sleep 0.05
	done
	[ "$(pgrep -fc "^$(url_of sleeper) 72$")" = 0 ] ||
		fail "root's stop left the service running"
	run "$CTL" services
	grep -qE "^svc +stopped " <<<"$OUT" || fail "services: $OUT"
	run "$CTL" start svc
	expect_code 0
	wait_for_log "service svc: started by root" || fail "not started"
	run "$CTL" stop nosuch
	expect_code 1
	assert_eq "$ERR" "fakeosctl: no service nosuch"
	daemon_stop
}

test_a_non_root_client_changes_no_setting_and_no_service() {
	settings "[account]" "programs = 100"
	service svc "url = $(url_of sleeper)" "args = 73" "account = root"
	daemon_start
	wait_for_log "<6>svc svc: ready" || fail "svc did not start"
	local before after pid
	before=$(find "$ETC" -type f -print0 | sort -z | xargs -0 sha256sum)
	pid=$(pgrep -f "^$(url_of sleeper) 73$")
	# The whole control protocol, as another uid: each refused.
	for args in "stop svc" "restart svc" "start svc" "reload"; do
		run $NOBODY "$CTL" $args
		expect_code 2
		assert_contains "$ERR" "fakeosctl: only root may ${args%% *}"
	done
	after=$(find "$ETC" -type f -print0 | sort -z | xargs -0 sha256sum)
	assert_eq "$after" "$before" "the settings' sha256"
	assert_eq "$(pgrep -f "^$(url_of sleeper) 73$")" "$pid" \
		"the service's program"
	assert_eq "$(grep -c "uid 65534: refused: .* (only root)" "$DLOG")" 4 \
		"refusals logged"
	assert_not_contains "$(cat "$DLOG")" "settings read again"
	# root's reload goes through.
	run "$CTL" reload
	expect_code 0
	assert_contains "$OUT" "settings read again from $ETC"
	daemon_stop
}

run_tests
