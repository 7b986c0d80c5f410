#!/bin/bash
# fakeosd, the host's broker, and fakeos-run as its client: a real daemon
# on a socket in this test's own directory (never the host's), real
# clients, as root and as another uid (setpriv). Each test asserts what a
# user or the operator sees: exit codes, output, the daemon's log, which
# processes are left.
. "$(dirname "$0")/../lib/testlib.sh"
. "$(dirname "$0")/../lib/daemon.sh"

# --- the same results as a standalone run ------------------------------------

# The exit-code and console tests of test_jail.sh and test_api.sh, run
# again with every fakeos-run a client of one fakeosd. Left out: tests
# that look for the program among the launcher's own children (under
# fakeosd it is the daemon's), that use options only the embedded broker
# takes (-C, --policy, --spawn-from), or that expect the ids of a fresh
# broker (fakeosd's ids are unique on the host).
BOTH_JAIL="test_program_exit_status_passes_through test_argv_is_url_then_arguments
test_environment_is_empty test_stdin_is_relayed_and_output_kept_apart
test_text_output_passes_a_pipe_byte_for_byte
test_binary_output_is_shown_not_passed_by_default test_no_stdin_gives_end_of_file
test_glibc_static_program_starts_unchanged test_forbidden_call_is_named_and_exit_is_159
test_signal_death_is_128_plus_signal test_cpu_limit_kills_and_is_named
test_wall_clock_limit_kills_and_is_named test_memory_limit_makes_allocation_fail
test_usage_errors_exit_125"
BOTH_API="test_example_echo_client_finds_server_by_name
test_example_chat_broadcasts_among_three test_example_spawn_tree_collects_every_exit
test_example_timer_ticks_and_times_out test_sender_sees_the_close_when_its_reader_exits_midstream
test_serving_a_taken_name_is_eaddrinuse test_broadcast_limits_are_emsgsize_and_einval
test_spawn_outside_the_programs_origin_is_refused test_link_to_unserved_name_fails_after_the_wait
test_full_handle_table_is_emfile_for_every_request"

both_modes() { # FILE TESTS
	local n want runs_before runs_after out
	want=$(echo "$2" | wc -w)
	runs_before=$(grep -c " runs " "$DLOG")
	out=$(FAKEOS_TESTS="$(echo $2)" bash "$TOP/test/integration/$1" 2>&1)
	runs_after=$(grep -c " runs " "$DLOG")
	echo "$out" | grep -E '^(FAIL|SKIP)' -A6 | head -40
	echo "$out" | tail -n 1
	n=$(echo "$out" | sed -nE 's/.*: ([0-9]+) passed, 0 failed, 0 skipped$/\1/p')
	[ "$n" = "$want" ] || fail "$1 through fakeosd: $(echo "$out" | tail -n 1) (want $want passed)"
	# And they did go through the daemon, not a standalone broker.
	[ $((runs_after - runs_before)) -ge "$want" ] ||
		fail "$1: only $((runs_after - runs_before)) runs reached fakeosd"
}

test_exit_code_and_console_tests_pass_through_the_daemon() {
	daemon_start
	both_modes test_jail.sh "$BOTH_JAIL"
	daemon_stop
}

test_api_tests_pass_through_the_daemon() {
	daemon_start
	both_modes test_api.sh "$BOTH_API"
	daemon_stop
}

test_runs_launch_in_warm_jails_when_the_pool_has_one() {
	# -vv: the daemon logs each launch that took a prepared jail.
	daemon_start -v
	# The pool fills right after start; three runs, and one at least
	# finds a prepared jail however slow this machine is.
	local i
	for i in 1 2 3; do
		sleep 0.2
		run "$RUN" -n "$(url_of exit_with)" 7
		expect_code 7
	done
	assert_contains "$(cat "$DLOG")" "exit_with: launched in a warm jail"
	# With no pool, every launch is cold, and the same.
	daemon_stop
	SETTINGS=""
	settings "pool = 0"
	daemon_start -v
	run "$RUN" -n "$(url_of exit_with)" 7
	expect_code 7
	assert_not_contains "$(cat "$DLOG")" "launched in a warm jail"
	daemon_stop
}

# The daemon's children in its own pid namespace that are not running a
# program: the warm-jail maker (a jail is in a pid namespace of its own).
maker_pids() {
	local p
	for p in $(pgrep -P "$DPID"); do
		[ "$(grep -c . <(grep '^NSpid:' "/proc/$p/status" | tr '\t' '\n' | tail -n +2))" -eq 1 ] &&
			echo "$p"
	done
}

test_warm_jails_are_made_by_a_child_that_holds_nothing_of_a_run() {
	daemon_start
	# A run in progress: its client socket and console pipes are open in
	# the daemon, and must not be in the maker.
	: >"$WORK/sl.out" # not by the job's redirection (client_sleeper)
	"$RUN" -n "file://$TOP/build/progs/sleeper" 20 >"$WORK/sl.out" 2>&1 &
	local cl=$!
	wait_for_text "$WORK/sl.out" ready || fail "the sleeper did not start"
	sleep 0.3
	local makers
	makers=$(maker_pids)
	assert_eq "$(echo "$makers" | grep -c .)" 1 "warm-jail makers beside the daemon"
	local fds
	fds=$(ls -l "/proc/$makers/fd" | grep -c -e 'pipe:' -e 'socket:')
	assert_eq "$fds" 1 "pipes and sockets the maker holds (its own socket only)"
	# The jails it made are the daemon's children, each in a pid
	# namespace of its own, waiting.
	local jails
	jails=$(pgrep -P "$DPID" | grep -v -x "$makers" | wc -l)
	[ "$jails" -ge 2 ] || fail "the daemon has $jails children besides the maker"
	assert_eq "$(pgrep -P "$makers" | wc -l)" 0 "children of the maker"
	kill -INT "$cl"
	wait "$cl" 2>/dev/null
	daemon_stop
}

test_a_killed_maker_leaves_the_daemon_making_jails_itself() {
	daemon_start -v
	sleep 0.3
	local maker
	maker=$(maker_pids)
	[ -n "$maker" ] || fail "no maker"
	kill -9 "$maker"
	# The next jail the pool asks for finds it gone.
	run "$RUN" -n "$(url_of exit_with)" 3
	expect_code 3
	wait_for_log "their maker died; made in the loop from now on" ||
		fail "the daemon did not notice: $(cat "$DLOG")"
	local i
	for i in 1 2 3; do
		sleep 0.2
		run "$RUN" -n "$(url_of exit_with)" 4
		expect_code 4
	done
	assert_contains "$(sed -n '/their maker died/,$p' "$DLOG")" \
		"exit_with: launched in a warm jail"
	assert_eq "$(ps -o stat= --ppid "$DPID" | grep -c Z)" 0 "zombies of the daemon"
	daemon_stop
}

test_the_maker_ends_with_a_daemon_killed_with_sigkill() {
	daemon_start
	sleep 0.3
	local maker
	maker=$(maker_pids)
	[ -n "$maker" ] || fail "no maker"
	kill -9 "$DPID"
	wait "$DPID" 2>/dev/null
	DPID=""
	local i
	for i in $(seq 1 100); do
		pid_ended "$maker" &&
			[ "$(pgrep -fc "fakeosd -v --config-dir $ETC")" -eq 0 ] && break
		sleep 0.05
	done
	pid_ended "$maker" || fail "the maker outlived its daemon"
	assert_eq "$(pgrep -f "fakeosd -v --config-dir $ETC" | wc -l)" 0 \
		"processes of the killed daemon"
}

test_standalone_runs_beside_a_daemon_and_without_its_socket() {
	daemon_start
	run "$RUN" --standalone -n "$(url_of exit_with)" 9
	expect_code 9
	assert_not_contains "$(cat "$DLOG")" "exit_with" "the daemon's log"
	daemon_stop
	# No socket: the embedded broker, as make run does.
	FAKEOS_DAEMON_SOCKET=$WORK/none.sock run "$RUN" -n "$(url_of exit_with)" 4
	expect_code 4
}

url_of() { echo "file://$TOP/build/progs/$1"; }

test_options_only_the_embedded_broker_honours_say_so() {
	daemon_start
	run "$RUN" -n --policy "$TOP/policy/default.policy" "$(url_of exit_with)" 1
	expect_code 125
	assert_contains "$ERR" "--policy: needs --standalone"
	run "$RUN" -n -C "$WORK/c2" "$(url_of exit_with)" 1
	expect_code 125
	assert_contains "$ERR" "-C: needs --standalone"
	# Crash reports go where fakeosd.conf's crash-url says, never where
	# a client asks.
	run "$RUN" -n --crash-url "http://127.0.0.1:9/c" "$(url_of exit_with)" 1
	expect_code 125
	assert_contains "$ERR" "--crash-url: needs --standalone"
	daemon_stop
}

test_an_accounts_memory_bound_lowers_a_runs_and_says_so() {
	settings "[account]" "memory = 32M"
	daemon_start
	run "$RUN" -n -m 64M "$(url_of exit_with)" 3
	expect_code 3
	assert_contains "$ERR" "warning: --memory 64 MiB is more than this host lets uid 0's programs have: 32 MiB"
	# And the program has 32 MiB of address space, not 64.
	run "$RUN" -n -m 64M "$(url_of memhog)"
	expect_code 3
	local got
	got=$(sed -nE 's/^allocated ([0-9]+) MiB before malloc failed$/\1/p' <<<"$OUT")
	[ -n "$got" ] && [ "$got" -lt 32 ] ||
		fail "memhog got ${got:-?} MiB under a 32 MiB bound: $OUT"
	run "$RUN" -n -m 16M "$(url_of exit_with)" 3
	expect_code 3
	assert_not_contains "$ERR" "warning"
	daemon_stop
}

test_an_accounts_program_quota_holds_across_its_runs() {
	settings "[account]" "programs = 2"
	daemon_start
	local a b
	: >"$WORK/a.out" # not by the jobs' redirections (client_sleeper)
	: >"$WORK/b.out"
	"$RUN" -n "$(url_of sleeper)" 30 >"$WORK/a.out" 2>&1 &
	a=$!
	"$RUN" -n "$(url_of sleeper)" 30 >"$WORK/b.out" 2>&1 &
	b=$!
	wait_for_text "$WORK/a.out" ready && wait_for_text "$WORK/b.out" ready ||
		fail "the two sleepers did not start"
	run "$RUN" -n "$(url_of exit_with)" 1
	expect_code 126
	assert_contains "$ERR" "refused: quota of 2 programs of this account (uid 0) reached"
	# Another account has its own quota.
	run $NOBODY "$RUN" -n "$(url_of exit_with)" 4
	expect_code 4
	kill -INT "$a" "$b"
	wait "$a" "$b" 2>/dev/null
	run "$RUN" -n "$(url_of exit_with)" 1
	expect_code 1
	daemon_stop
}

test_sighup_reads_the_settings_again_and_a_bad_file_keeps_the_old() {
	settings "[account]" "programs = 1"
	daemon_start
	client_sleeper
	run "$RUN" -n "$(url_of exit_with)" 1
	expect_code 126
	settings "[account]" "programs = 5"
	kill -HUP "$DPID"
	wait_for_text "$DLOG" "SIGHUP: settings read again" || fail "no reload"
	run "$RUN" -n "$(url_of exit_with)" 2
	expect_code 2
	settings "[account]" "programz = 1"
	kill -HUP "$DPID"
	wait_for_text "$DLOG" "SIGHUP: the settings in force stay: $ETC/fakeosd.conf:2" ||
		fail "no refusal of the bad file: $(cat "$DLOG")"
	run "$RUN" -n "$(url_of exit_with)" 3
	expect_code 3
	kill -INT "$CLIENT"
	wait "$CLIENT" 2>/dev/null
	daemon_stop
}

test_a_reload_says_which_settings_wait_for_a_restart() {
	settings "names = $WORK/names1" "resolver = static"
	daemon_start
	settings "names = $WORK/names2" "resolver = etcd" "pool = 1" \
		"broadcast-secret = $WORK/secret"
	kill -HUP "$DPID"
	wait_for_text "$DLOG" "SIGHUP: settings read again" || fail "no reload"
	assert_contains "$(cat "$DLOG")" \
		"reload: names changed: it takes effect when fakeosd restarts"
	assert_contains "$(cat "$DLOG")" \
		"reload: resolver changed: it takes effect when fakeosd restarts"
	assert_contains "$(cat "$DLOG")" \
		"reload: broadcast-secret changed: it takes effect when fakeosd restarts"
	# A setting a reload does take is not among them.
	assert_not_contains "$(cat "$DLOG")" "reload: pool changed"
	daemon_stop
}

test_settings_anyone_but_root_may_change_stop_the_daemon_naming_the_file() {
	settings
	chmod 664 "$ETC/fakeosd.conf"
	run "$DAEMON" --config-dir "$ETC" --socket "$SOCK" -C "$WORK/cache"
	expect_code 1
	assert_contains "$ERR" "$ETC/fakeosd.conf is writable by group (mode 0664)"
	assert_no_file "$SOCK"
	chmod 644 "$ETC/fakeosd.conf"
	mkdir -p "$ETC/services.d"
	chmod 755 "$ETC/services.d"
	printf 'url = file:///x\naccount = root\n' >"$ETC/services.d/db.conf"
	chown 65534 "$ETC/services.d/db.conf"
	run "$DAEMON" --config-dir "$ETC" --socket "$SOCK" -C "$WORK/cache"
	expect_code 1
	assert_contains "$ERR" "$ETC/services.d/db.conf"
	assert_contains "$ERR" "65534"
}

# --- systemd ---------------------------------------------------------------------

# PID 1 here is not systemd: the test owns the NOTIFY_SOCKET, a datagram
# socket whose every datagram perl appends to a file, one per line.
notify_listen() { # PATH LOG
	perl -MIO::Socket::UNIX -e '
		my ($path, $log) = @ARGV;
		my $s = IO::Socket::UNIX->new(Type => SOCK_DGRAM,
			Local => $path) or die "notify socket: $!";
		$| = 1;
		while (1) {
			my $buf;
			defined $s->recv($buf, 4096) or last;
			open my $f, ">>", $log; print $f "$buf\n"; close $f;
		}' "$1" "$2" &
	NOTIFY_PID=$!
	local i
	for i in $(seq 1 100); do [ -S "$1" ] && return 0; sleep 0.02; done
	fail "the notify listener did not start"
}

test_the_daemon_tells_systemd_ready_status_reloading_watchdog_and_stopping() {
	: >"$WORK/notify.log"
	notify_listen "$WORK/notify.sock" "$WORK/notify.log"
	NOTIFY_SOCKET=$WORK/notify.sock WATCHDOG_USEC=200000 daemon_start
	wait_for_text "$WORK/notify.log" "READY=1" || fail "no READY=1"
	assert_contains "$(cat "$WORK/notify.log")" "STATUS=0 runs, 0 programs"
	client_sleeper
	wait_for_text "$WORK/notify.log" "STATUS=1 runs, 1 programs" ||
		fail "no STATUS for the run: $(cat "$WORK/notify.log")"
	kill -HUP "$DPID"
	wait_for_text "$WORK/notify.log" "RELOADING=1" || fail "no RELOADING=1"
	wait_for_text "$WORK/notify.log" "WATCHDOG=1" || fail "no WATCHDOG=1"
	kill -INT "$CLIENT"
	wait "$CLIENT" 2>/dev/null
	daemon_stop
	kill "$NOTIFY_PID" 2>/dev/null
	local log
	log=$(cat "$WORK/notify.log")
	assert_contains "$log" "STOPPING=1"
	# RELOADING=1 is followed by READY=1 again, and READY=1 came first.
	[ "$(grep -c '^READY=1' "$WORK/notify.log")" -ge 2 ] ||
		fail "no second READY=1 after the reload: $log"
	assert_eq "$(grep -m1 -E '^(READY|RELOADING|STOPPING)=1' "$WORK/notify.log")" "READY=1" "the first state"
	# And its log lines carry journald's priorities.
	assert_contains "$(cat "$DLOG")" "<6>listening on $SOCK"
}

# --- signals and deaths ------------------------------------------------------

# Starts build/progs/sleeper through the daemon in the background; sets
# CLIENT (the fakeos-run pid) and waits for its "ready".
client_sleeper() {
	# Emptied here, not by the redirection: the background job may open
	# the file after the wait below has read an earlier sleeper's
	# "ready" in it.
	: >"$WORK/sl.out"
	: >"$WORK/sl.err"
	"$RUN" -n "$(url_of sleeper)" 30 >"$WORK/sl.out" 2>"$WORK/sl.err" &
	CLIENT=$!
	wait_for_text "$WORK/sl.out" ready || fail "sleeper did not start: $(cat "$WORK/sl.err")"
}

test_ctrl_c_and_sigterm_to_the_client_end_its_program() {
	daemon_start
	local sig want
	for sig in INT TERM; do
		client_sleeper
		[ "$(jailed build/progs/sleeper)" -ge 1 ] || fail "no sleeper runs"
		kill -"$sig" "$CLIENT"
		wait "$CLIENT"
		CODE=$?
		[ "$sig" = INT ] && want=130 || want=143
		assert_eq "$CODE" "$want" "exit status after SIG$sig"
		sleep 0.2
		assert_eq "$(jailed build/progs/sleeper)" "0" "sleepers left after SIG$sig"
	done
	daemon_stop
}

test_a_client_killed_with_sigkill_takes_its_programs_with_it() {
	daemon_start
	client_sleeper
	kill -KILL "$CLIENT"
	wait "$CLIENT" 2>/dev/null
	local i
	for i in $(seq 1 50); do
		[ "$(jailed build/progs/sleeper)" = 0 ] && break
		sleep 0.05
	done
	assert_eq "$(jailed build/progs/sleeper)" "0" "sleepers left"
	wait_for_text "$DLOG" "hung up" || fail "the daemon did not notice: $(tail -n 5 "$DLOG")"
	# And it still serves.
	run "$RUN" -n "$(url_of exit_with)" 5
	expect_code 5
	daemon_stop
}

test_a_daemon_killed_with_sigkill_leaves_no_program_and_a_clear_error() {
	daemon_start
	client_sleeper
	kill -KILL "$DPID"
	wait "$DPID" 2>/dev/null
	DPID=""
	wait "$CLIENT"
	CODE=$?
	assert_eq "$CODE" "125" "the client's exit status"
	assert_contains "$(cat "$WORK/sl.err")" "fakeosd ended before the program did" \
		"the client's stderr ($(cat "$WORK/sl.err"))"
	local i
	for i in $(seq 1 50); do
		[ "$(jailed build/progs/sleeper)" = 0 ] && break
		sleep 0.05
	done
	assert_eq "$(jailed build/progs/sleeper)" "0" "programs that outlived fakeosd"
	# A new daemon takes the socket over.
	daemon_start
	run "$RUN" -n "$(url_of exit_with)" 6
	expect_code 6
	daemon_stop
}

test_sigterm_to_the_daemon_ends_runs_in_order_then_exits_0() {
	settings "grace = 2s"
	daemon_start
	client_sleeper
	kill -TERM "$DPID"
	wait "$DPID"
	local drc=$?
	DPID=""
	wait "$CLIENT"
	CODE=$?
	assert_eq "$drc" "0" "fakeosd's exit status"
	# The run ended as a standalone one does on SIGTERM.
	assert_eq "$CODE" "143" "the client's exit status"
	assert_eq "$(jailed build/progs/sleeper)" "0" "sleepers left"
	assert_contains "$(cat "$DLOG")" "SIGTERM: stopping"
	assert_no_file "$SOCK"
}

# --- accounts ------------------------------------------------------------------

test_another_accounts_names_are_invisible() {
	daemon_start
	# Root serves "shared"; nobody cannot see it, and is refused exactly
	# as for a name nobody serves. Root's own link opens.
	: >"$WORK/srv.out" # not by the job's redirection (client_sleeper)
	"$RUN" -n "$PROBE" serve-hold shared >"$WORK/srv.out" 2>&1 &
	local srv=$!
	wait_for_text "$WORK/srv.out" "serving shared" || fail "no server"
	run $NOBODY "$RUN" -n "$PROBE" link-name shared
	expect_code 0
	assert_contains "$OUT" "link shared: closed, status -111"
	run $NOBODY "$RUN" -n "$PROBE" link-name never-served
	assert_contains "$OUT" "link never-served: closed, status -111"
	run "$RUN" -n "$PROBE" link-name shared
	assert_contains "$OUT" "link shared: open"
	assert_contains "$(cat "$DLOG")" "uid 65534 (pid"
	kill -INT "$srv"
	wait "$srv" 2>/dev/null
	daemon_stop
}

test_a_client_reads_through_the_daemon_only_what_it_may_read() {
	daemon_start
	# A file only root may read, holding a secret: nobody's run of it
	# must fail on the open, as its own standalone run would, and no
	# byte of it may reach nobody's stderr.
	printf 'SECRET-4f1c not a program\n' >"$WORK/private"
	chmod 600 "$WORK/private"
	run $NOBODY "$RUN" -n "file://$WORK/private"
	expect_code 127
	assert_contains "$ERR" "Permission denied"
	assert_not_contains "$ERR" "SECRET"
	run $NOBODY "$RUN" --standalone -n "file://$WORK/private"
	expect_code 127
	# Root may, and hears why it is no program.
	run "$RUN" -n "file://$WORK/private"
	expect_code 126
	daemon_stop
}

# --- a hostile client --------------------------------------------------------

test_a_client_that_stops_reading_holds_up_only_its_own_run() {
	daemon_start
	# The client's stdout is a pipe nobody reads, and its program writes
	# 64 MiB: the client blocks on its own stdout, the daemon's end of
	# the run's console fills, and the daemon goes on serving others.
	head -c 64M /dev/zero | "$RUN" "$(url_of cat)" | sleep 30 &
	local stuck=$!
	sleep 1
	local t0=$SECONDS
	run "$RUN" -n "$(url_of exit_with)" 5
	expect_code 5
	[ $((SECONDS - t0)) -le 5 ] || fail "a run took $((SECONDS - t0)) s beside the stuck one"
	run $NOBODY "$RUN" -n "$(url_of exit_with)" 6
	expect_code 6
	kill "$stuck" 2>/dev/null
	pkill -f "^$RUN $(url_of cat)" 2>/dev/null
	wait "$stuck" 2>/dev/null
	daemon_stop
}


test_malformed_client_messages_are_refused_and_disturb_nothing() {
	settings "[account]" "programs = 64"
	local before
	before=$(sha256sum "$ETC"/fakeosd.conf)
	daemon_start
	: >"$WORK/sl.out" # not by the job's redirection (client_sleeper)
	"$RUN" -n "$(url_of sleeper)" 30 >"$WORK/sl.out" 2>&1 &
	local bystander=$!
	wait_for_text "$WORK/sl.out" ready || fail "the bystander did not start"
	local c
	for c in short empty bad-version huge-len unknown-type exit-from-client \
		run-with-fds run-four-fds run-bad-flags run-unterminated \
		run-argc-lie run-trailing run-empty-url signal-first signal-bad \
		signal-with-fd two-runs garbage oversized; do
		run $NOBODY "$DCLIENT" "$SOCK" "$c" "$(url_of sleeper)"
		case $c in
		signal-bad | signal-with-fd | two-runs)
			# The run was accepted first; the bad message ends it.
			assert_contains "$OUT" "closed" "$c" ;;
		*) assert_eq "$OUT" "closed" "what the daemon did with $c" ;;
		esac
	done
	assert_contains "$(cat "$DLOG")" "refused: malformed message: unknown protocol version"
	assert_contains "$(cat "$DLOG")" "refused: a run takes no descriptors (got 3): the daemon makes the run's console"
	assert_contains "$(cat "$DLOG")" "refused: a second run on one connection"
	# The bystander still runs, and the daemon still serves.
	kill -0 "$bystander" || fail "the bystander's client died"
	[ "$(jailed build/progs/sleeper)" -ge 1 ] || fail "the bystander's program died"
	run "$RUN" -n "$(url_of exit_with)" 8
	expect_code 8
	kill -INT "$bystander"
	wait "$bystander" 2>/dev/null
	# Nothing the hostile clients started is left.
	sleep 0.3
	assert_eq "$(jailed build/progs/sleeper)" "0" "sleepers left"
	daemon_stop
	# And the settings are what they were.
	assert_eq "$(sha256sum "$ETC"/fakeosd.conf)" "$before" "fakeosd.conf"
}

trap 'daemon_stop; rm -rf "$WORK"' EXIT
run_tests
