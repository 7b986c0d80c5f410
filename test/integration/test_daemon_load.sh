#!/bin/bash
# fakeosd under load and faults (issue 16, section 10): many concurrent
# clients, clients and the daemon killed with SIGKILL, a hostile request
# load. A real daemon on a socket in this test's own directory (never the
# host's), real clients. Each test asserts what can be observed: exit
# codes and output of every run, the daemon's descriptors
# (/proc/PID/fd), which jailed programs are left. Figures (time, RSS) are
# printed, not asserted against a target; only a sanity bound on RSS is.
#
# Every loop is bounded in count, and every wait in time (bounded_wait,
# and each client under `timeout`): the whole file takes about a minute
# on 2 cores.
. "$(dirname "$0")/../lib/testlib.sh"

# No run of this file's takes more than this; a client still running
# after it is a hang, and is killed (its run then counts as lost).
RUN_TIMEOUT=30

# A daemon of this test's own (test/lib/daemon.sh), its log appended to
# so that a restarted one is ready at its own "listening on" line.
. "$TOP/test/lib/daemon.sh"
DLOG_APPEND=1
daemon_cleanup() { kill_left; }

url_of() { echo "file://$TOP/build/$1"; }

# Jailed programs still running from under build/ (all of them, or those
# of PATH): a program's argv[0] is its URL, which no client's command line
# starts with.
jailed() { pgrep -fc "^file://$TOP/build/${1:-}" || true; }

# A test that fails half-way leaves no client behind (and so no program:
# the daemon ends a run whose client hung up, and daemon_stop the rest).
# By pid only: other worktrees' tests run on this machine too.
CLIENTS=""
kill_left() {
	[ -z "$CLIENTS" ] || kill -KILL $CLIENTS 2>/dev/null
	return 0
}

dfds() { ls "/proc/$DPID/fd" | wc -l; }
# The daemon's descriptors once it is idle and its pool of warm jails is
# full again (each holds a ring, a pidfd and a socket): the same count
# three times, 100 ms apart, within 5 s.
dfds_settled() {
	local a b c i
	for i in $(seq 1 50); do
		a=$(dfds); sleep 0.1; b=$(dfds); sleep 0.1; c=$(dfds)
		[ "$a" = "$b" ] && [ "$b" = "$c" ] && break
	done
	echo "$c"
}
drss() { awk '/^VmRSS:/ {print $2}' "/proc/$DPID/status"; }

# Waits up to SECS for the daemon to hold WANT descriptors again (a run's
# are closed once its last program is reaped, just after its client saw
# the exit); true once it does.
fds_back_to() { # WANT SECS
	local i
	for i in $(seq 1 $(($2 * 20))); do
		[ "$(dfds)" = "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

# Waits up to SECS for no jailed program (of PATH) to be left.
none_jailed_within() { # SECS [PATH]
	local i
	for i in $(seq 1 $(($1 * 20))); do
		[ "$(jailed "${2:-}")" = 0 ] && return 0
		sleep 0.05
	done
	return 1
}

# Waits for PIDS (this shell's children), at most SECS in all; fails
# naming those still running (and kills them) when the time is up.
bounded_wait() { # SECS PID...
	local secs=$1 end=$((SECONDS + $1)) p left c
	shift
	while :; do
		left=""
		for p in "$@"; do
			pid_ended "$p" || left="$left $p"
		done
		[ -z "$left" ] && break
		if [ "$SECONDS" -ge "$end" ]; then
			# What each one and its client were doing, for the log.
			for p in $left; do
				for c in $p $(pgrep -P "$p"); do
					echo "    $c: $(tr '\0' ' ' <"/proc/$c/cmdline" 2>/dev/null | cut -c1-80)" \
						"$(grep -E '^(State|Threads)' "/proc/$c/status" 2>/dev/null | tr '\n\t' '  ')" \
						"wchan $(cat "/proc/$c/wchan" 2>/dev/null)" >&2
				done
			done
			tail -n 5 "$DLOG" | sed 's/^/    daemon: /' >&2
			# The clients too: timeout(1) killed leaves its child.
			kill -KILL $left $(for p in $left; do pgrep -P "$p"; done) 2>/dev/null
			fail "still running after $secs s:$left"
		fi
		sleep 0.05
	done
	# Ended (gone, or zombies bash has yet to reap): `wait PID` gives
	# each one's status now, at once.
	return 0
}

# --- 20 clients, 1,000 programs ---------------------------------------------

# One client's share: RUNS programs one after another, each checked. Run
# i exits (I*RUNS + i) mod 121 (exit_with: never one of fakeos-run's own
# 125..127 nor a signal's 128+, so a failed run cannot pass for a good
# one); every fifth is hello, whose line is checked. Prints "ok" per run
# that was right, "LOST ..." per one that was not.
client_share() { # I RUNS [--standalone]
	local i n code out
	for i in $(seq 1 "$2"); do
		if [ $((i % 5)) = 0 ]; then
			code=0
			out=$(timeout -s KILL $RUN_TIMEOUT "$RUN" ${3:-} -n \
				"$(url_of examples/hello)" 2>&1) || code=$?
			if [ "$code" = 0 ] && [ "$out" = "hello from fakeOS: $(url_of examples/hello)" ]; then
				echo ok
			else
				echo "LOST client $1 run $i (hello): exit $code: $out"
			fi
		else
			n=$((($1 * $2 + i) % 121))
			code=0
			out=$(timeout -s KILL $RUN_TIMEOUT "$RUN" ${3:-} -n \
				"$(url_of progs/exit_with)" "$n" 2>&1) || code=$?
			if [ "$code" = "$n" ] && [ -z "$out" ]; then
				echo ok
			else
				echo "LOST client $1 run $i (exit_with $n): exit $code: $out"
			fi
		fi
	done
}

# 20 clients at once, 50 runs each; sets TOOK (seconds, 0.1) and fails
# unless all 1,000 were right.
thousand() { # [--standalone]
	local c pids="" t0 ok
	t0=$(date +%s%N)
	for c in $(seq 1 20); do
		client_share "$c" 50 ${1:-} >"$WORK/share$c.log" 2>&1 &
		pids="$pids $!"
	done
	CLIENTS=$pids
	bounded_wait 120 $pids
	CLIENTS=""
	TOOK=$(awk -v ns=$(($(date +%s%N) - t0)) 'BEGIN { printf "%.1f", ns / 1e9 }')
	ok=$(cat "$WORK"/share*.log | grep -c '^ok$')
	grep -h '^LOST' "$WORK"/share*.log | head -5 >&2
	assert_eq "$ok" 1000 "runs right ${1:-through fakeosd} (of 1000)"
}

test_twenty_clients_run_a_thousand_programs_none_lost_nothing_leaked() {
	daemon_start
	local fds0 rss0 rss1 daemon_took
	fds0=$(dfds_settled)
	rss0=$(drss)
	thousand
	daemon_took=$TOOK
	fds_back_to "$fds0" 5 || fail "the daemon holds $(dfds) descriptors after 1,000 runs, $fds0 before: $(ls -l /proc/$DPID/fd)"
	assert_eq "$(jailed)" 0 "jailed programs left"
	# Its children now are its pool of warm jails (fakeosd.conf pool,
	# 4 by default), each waiting as nobody for a program, and the
	# process that makes them: nothing else.
	assert_eq "$(pgrep -P "$DPID" | wc -l)" 5 "the daemon's children left"
	assert_eq "$(pgrep -P "$DPID" -u 65534 | wc -l)" 4 "warm jails, as nobody"
	rss1=$(drss)
	assert_eq "$(grep -c " runs file://" "$DLOG")" 1000 "runs the daemon logged"
	# The same 1,000, each fakeos-run with its own broker: for the
	# figures only.
	thousand --standalone
	echo "    1000 programs, 20 clients: $daemon_took s through fakeosd, $TOOK s standalone" >&2
	echo "    fakeosd RSS: $rss0 KiB before, $rss1 KiB after; descriptors $fds0 before and after" >&2
	# Not a target: a bound that only a leak of a few KiB a run crosses.
	# A sanitized daemon (integration-san) keeps what it frees in ASan's
	# quarantine (20 to 67 MB more over these runs, seen here); there,
	# LeakSanitizer looks for the leak itself when daemon_stop ends it,
	# and daemon_stop fails on what it reports.
	if daemon_sanitized; then
		echo "    (RSS not bounded: a sanitized fakeosd; LeakSanitizer checks it at its exit)" >&2
	else
		[ "$rss1" -le $((2 * rss0 + 8192)) ] ||
			fail "fakeosd's RSS grew from $rss0 KiB to $rss1 KiB over 1,000 runs"
	fi
	daemon_stop
}

test_rss_per_idle_program_is_reported() {
	local n=100 i pids="" rss0 rss1
	daemon_start
	rss0=$(drss)
	for i in $(seq 1 $n); do
		timeout -s KILL $RUN_TIMEOUT "$RUN" -n "$(url_of progs/sleeper)" 60 \
			>"$WORK/sl$i.out" 2>&1 &
		pids="$pids $!"
	done
	CLIENTS=$pids
	for i in $(seq 1 $n); do
		wait_for_text "$WORK/sl$i.out" ready ||
			fail "sleeper $i did not start: $(cat "$WORK/sl$i.out")"
	done
	assert_eq "$(jailed progs/sleeper)" $n "sleepers running"
	rss1=$(drss)
	# Ctrl-C to each client itself (timeout's child), as a terminal sends
	# it; each must end as a run ended by Ctrl-C does: 130, not the
	# timeout's 137. Not through timeout(1): it passes the signal on and
	# then sends SIGCONT, and under the sanitizers a SIGCONT that lands
	# while LeakSanitizer's tracer attaches to the exiting client discards
	# the attach's SIGSTOP; the tracer then waits for a stop that never
	# comes while the client spins in sched_yield, for good (seen in 5 of
	# 6 runs here, and in CI).
	local p code clients
	clients=$(for p in $pids; do pgrep -P "$p"; done)
	assert_eq "$(echo $clients | wc -w)" $n "fakeos-run clients"
	kill -INT $clients
	bounded_wait 10 $pids
	for p in $pids; do
		code=0
		wait "$p" || code=$?
		assert_eq "$code" 130 "a client's exit status after Ctrl-C"
	done
	CLIENTS=""
	none_jailed_within 5 || fail "$(jailed) programs left"
	echo "    fakeosd RSS: $rss0 KiB idle, $rss1 KiB with $n idle programs: $(((rss1 - rss0) / n)) KiB per program" >&2
	[ "$rss1" -ge "$rss0" ] || fail "RSS fell from $rss0 to $rss1 KiB with $n programs"
	daemon_stop
}

# --- SIGKILL to clients, and to the daemon ----------------------------------------

# Starts N clients, each running api_probe orphans K (a top program and K
# children that never end) with a stdin that stays open and silent, and
# waits until every tree runs; sets CLIENTS.
start_trees() { # N K
	local i
	rm -f "$WORK/stdin"
	mkfifo "$WORK/stdin"
	CLIENTS=""
	for i in $(seq 1 "$1"); do
		timeout -s KILL $RUN_TIMEOUT "$RUN" "$PROBE" orphans "$2" \
			<"$WORK/stdin" >"$WORK/tree$i.out" 2>"$WORK/tree$i.err" &
		CLIENTS="$CLIENTS $!"
	done
	exec 7>"$WORK/stdin"
	for i in $(seq 1 "$1"); do
		wait_for_text "$WORK/tree$i.out" "orphans: $2 children running" ||
			fail "tree $i did not start: $(cat "$WORK/tree$i.out" "$WORK/tree$i.err")"
	done
	assert_eq "$(jailed progs/api_probe)" $(($1 * ($2 + 1))) "programs running"
}

test_ten_clients_killed_at_once_take_their_trees_with_them() {
	daemon_start
	local fds0 pids
	fds0=$(dfds_settled)
	start_trees 10 5
	# timeout's child is the client: kill -9 the fakeos-run processes
	# themselves, all in one call.
	pids=$(for p in $CLIENTS; do pgrep -P "$p"; done)
	assert_eq "$(echo $pids | wc -w)" 10 "fakeos-run clients"
	kill -KILL $pids
	bounded_wait 10 $CLIENTS
	CLIENTS=""
	none_jailed_within 5 progs/api_probe ||
		fail "$(jailed progs/api_probe) of the 60 programs outlived their clients"
	fds_back_to "$fds0" 5 ||
		fail "the daemon holds $(dfds) descriptors, $fds0 before: $(ls -l /proc/$DPID/fd)"
	# The descriptor count is no barrier for this (the warm pool's
	# descriptors come and go as it refills): wait for the tenth, bounded.
	local i
	for i in $(seq 1 100); do
		[ "$(grep -c "hung up" "$DLOG")" -ge 10 ] && break
		sleep 0.05
	done
	assert_eq "$(grep -c "hung up" "$DLOG")" 10 "hang-ups the daemon logged"
	# And it still serves.
	run "$RUN" -n "$(url_of progs/exit_with)" 5
	expect_code 5
	fds_back_to "$fds0" 5 || fail "a descriptor left by the run after"
	exec 7>&-
	daemon_stop
}

test_clients_killed_at_random_moments_of_their_runs_leak_nothing() {
	daemon_start
	local fds0 c pids="" k
	fds0=$(dfds_settled)
	# 10 clients in a loop of short runs; every 30 ms for about 2 s,
	# each fakeos-run then running is killed with SIGKILL, wherever its
	# run is: connecting, fetching, starting, running, exiting. (No
	# timeout between loop and client: the client is the loop's child,
	# and the loops end at the stop file, with the last round of kills.)
	for c in $(seq 1 10); do
		(for k in $(seq 1 100); do
			[ ! -e "$WORK/stop" ] || break
			"$RUN" -n "$(url_of progs/exit_with)" 3
			"$RUN" -n "$(url_of examples/hello)"
		done) >/dev/null 2>&1 &
		pids="$pids $!"
	done
	CLIENTS=$pids
	for k in $(seq 1 60); do
		sleep 0.03
		pkill -KILL -x fakeos-run -P "$(echo $pids | tr " " ,)"
	done
	touch "$WORK/stop"
	pkill -KILL -x fakeos-run -P "$(echo $pids | tr " " ,)"
	bounded_wait 10 $pids
	CLIENTS=""
	[ "$(grep -c "hung up" "$DLOG")" -ge 10 ] ||
		fail "only $(grep -c "hung up" "$DLOG") clients were killed mid-run"
	echo "    $(grep -c "hung up" "$DLOG") clients killed mid-run" >&2
	none_jailed_within 5 || fail "$(jailed) programs outlived their clients"
	fds_back_to "$fds0" 5 ||
		fail "the daemon holds $(dfds) descriptors, $fds0 before: $(ls -l /proc/$DPID/fd)"
	run "$RUN" -n "$(url_of progs/exit_with)" 9
	expect_code 9
	daemon_stop
}

test_a_daemon_killed_with_sigkill_under_ten_clients_leaves_nothing_and_restarts() {
	daemon_start
	local i p code
	# Five trees of four and five lone sleepers.
	start_trees 5 3
	for i in $(seq 1 5); do
		timeout -s KILL $RUN_TIMEOUT "$RUN" -n "$(url_of progs/sleeper)" 60 \
			>"$WORK/sl$i.out" 2>"$WORK/sl$i.err" &
		CLIENTS="$CLIENTS $!"
	done
	for i in $(seq 1 5); do
		wait_for_text "$WORK/sl$i.out" ready || fail "sleeper $i did not start"
	done
	assert_eq "$(jailed)" 25 "programs running"
	kill -KILL "$DPID"
	wait "$DPID" 2>/dev/null
	DPID=""
	bounded_wait 10 $CLIENTS
	# Every client, tree or sleeper, exits 125 and says why (timeout's
	# own 137 would say it hung).
	for p in $CLIENTS; do
		code=0
		wait "$p" || code=$?
		assert_eq "$code" 125 "a client's exit status when fakeosd was killed"
	done
	CLIENTS=""
	none_jailed_within 5 || fail "$(jailed) programs outlived fakeosd: $(pgrep -af "^file://$TOP/build/")"
	for i in $(seq 1 5); do
		assert_contains "$(cat "$WORK/tree$i.err")" "fakeosd ended before the program did" "tree $i's stderr"
		assert_contains "$(cat "$WORK/sl$i.err")" "fakeosd ended before the program did" "sleeper $i's stderr"
	done
	exec 7>&-
	# A new daemon takes the socket over, and serves.
	daemon_start
	run "$RUN" -n "$(url_of progs/exit_with)" 6
	expect_code 6
	daemon_stop
}

# --- a hostile request load --------------------------------------------------

# Every case dclient knows (test/tools/dclient.c); the daemon ends each
# such connection ("closed"), having run nothing that outlives it.
HOSTILE="short empty bad-version huge-len unknown-type exit-from-client
run-with-fds run-four-fds run-bad-flags run-unterminated run-argc-lie
run-trailing run-empty-url signal-first signal-bad signal-with-fd two-runs
garbage oversized"

# Worker W of the hostile load: COUNT hostile connections as nobody, each
# a case drawn from HOSTILE with a seeded RANDOM, and after every fourth a
# good run as nobody, checked. Prints "hostile CASE: OUTCOME" and
# "good ok" / "good LOST ..." lines.
hostile_worker() { # W COUNT
	local cases=($HOSTILE) i c out code n
	RANDOM=$((16000 + $1))
	for i in $(seq 1 "$2"); do
		c=${cases[$((RANDOM % ${#cases[@]}))]}
		out=$(timeout -s KILL 10 $NOBODY "$DCLIENT" "$SOCK" "$c" \
			"$(url_of progs/sleeper)" </dev/null 2>&1 | tail -n 1)
		echo "hostile $c: $out"
		if [ $((i % 4)) = 0 ]; then
			n=$((($1 * 10 + i) % 121))
			code=0
			out=$(timeout -s KILL $RUN_TIMEOUT $NOBODY "$RUN" -n \
				"$(url_of progs/exit_with)" "$n" 2>&1) || code=$?
			[ "$code" = "$n" ] && [ -z "$out" ] && echo "good ok" ||
				echo "good LOST exit_with $n: exit $code: $out"
		fi
	done
}

test_two_hundred_hostile_connections_as_nobody_disturb_no_good_run() {
	daemon_start
	local fds0 w pids=""
	fds0=$(dfds_settled)
	# 10 workers at once, 20 hostile connections and 5 good runs each.
	for w in $(seq 1 10); do
		hostile_worker "$w" 20 >"$WORK/hostile$w.log" 2>&1 &
		pids="$pids $!"
	done
	CLIENTS=$pids
	bounded_wait 120 $pids
	CLIENTS=""
	cat "$WORK"/hostile*.log >"$WORK/hostile.log"
	echo "    $(sed -nE 's/^hostile ([a-z-]+):.*/\1/p' "$WORK/hostile.log" | sort -u | wc -l) distinct hostile cases of $(echo $HOSTILE | wc -w), 200 connections in all" >&2
	assert_eq "$(grep -c '^hostile ' "$WORK/hostile.log")" 200 "hostile connections made"
	# Each one was ended by the daemon, none left open, none refused a
	# connect.
	grep '^hostile ' "$WORK/hostile.log" | grep -v ': closed$' | head -5 >&2
	assert_eq "$(grep '^hostile ' "$WORK/hostile.log" | grep -c ': closed$')" 200 "hostile connections the daemon closed"
	grep '^good LOST' "$WORK/hostile.log" | head -5 >&2
	assert_eq "$(grep -c '^good ok$' "$WORK/hostile.log")" 50 "good runs right (of 50)"
	none_jailed_within 5 || fail "$(jailed) programs left"
	fds_back_to "$fds0" 5 ||
		fail "the daemon holds $(dfds) descriptors, $fds0 before: $(ls -l /proc/$DPID/fd)"
	# And it still serves.
	run $NOBODY "$RUN" -n "$(url_of progs/exit_with)" 7
	expect_code 7
	daemon_stop
}

trap 'daemon_stop; kill_left; rm -rf "$WORK"' EXIT
run_tests
