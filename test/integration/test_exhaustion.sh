#!/bin/bash
# Resource exhaustion: each attack runs as a child of a driver that also
# runs a well-behaved pair exchanging 20000 numbered datagrams (stress
# drive, test/progs/stress.c). Each must be contained with the limit named
# (by the launcher on stderr, or in the error the attacker gets), while the
# broker and the pair keep working and the pair loses nothing.
. "$(dirname "$0")/../lib/testlib.sh"

STRESS="file://$TOP/build/progs/stress"

# drive [LAUNCHER-OPTIONS --] BOMB [ARGS]: runs the driver, records the
# launcher's peak resident memory (VmHWM) in PEAK_KB.
drive() {
	local opts=()
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do
		opts+=("$1")
		shift
	done
	shift
	"$RUN" -n "${opts[@]}" "$STRESS" drive "$@" >"$WORK/out" 2>"$WORK/err" &
	local pid=$! peak=0 kb
	while kill -0 "$pid" 2>/dev/null; do
		kb=$(awk '/^VmHWM:/ {print $2}' /proc/$pid/status 2>/dev/null)
		[ -n "$kb" ] && [ "$kb" -gt "$peak" ] && peak=$kb
		sleep 0.05
	done
	CODE=0
	wait "$pid" || CODE=$?
	OUT=$(cat "$WORK/out")
	ERR=$(cat "$WORK/err")
	PEAK_KB=$peak
}

pair_survived() {
	expect_code 0
	assert_contains "$OUT" "stress: guard pair exchanged 20000 datagrams, none lost"
	assert_contains "$OUT" "stress: guard pair OK"
}

test_memory_bomb_is_refused_at_the_limit_and_named() {
	drive --memory 64M -- memory
	pair_survived
	assert_contains "$OUT" "stress: memory refused after"
	assert_contains "$ERR" "reached its memory limit (--memory 64 MiB"
}

test_cpu_spin_is_killed_at_the_cpu_limit_and_named() {
	drive --cpu 1 -- spin
	pair_survived
	assert_contains "$ERR" "killed: CPU time limit of 1 s exceeded"
	assert_contains "$OUT" "stress: bomb exited 137"
}

test_wall_clock_limit_ends_the_whole_tree_and_is_named() {
	run timeout 30 "$RUN" -n --time-limit 1 "$STRESS" spin
	expect_code 137
	assert_contains "$ERR" "killed: wall-clock limit of 1 s exceeded"
}

test_spawn_bomb_stops_at_the_tree_quota_and_is_named() {
	drive --max-programs 12 -- spawn "file://$TOP/build/progs/sleeper"
	pair_survived
	assert_contains "$OUT" "126 quota: 12 programs per tree reached"
	assert_contains "$ERR" "refused: quota of 12 programs per tree reached"
}

test_link_bomb_at_a_service_stops_at_the_per_peer_quota() {
	drive -- links guard
	pair_survived
	assert_contains "$OUT" "stress: link refused after 16 ends: -24"
	assert_contains "$ERR" "refused: quota of 16 links to one program reached"
}

test_link_bomb_at_itself_stops_at_a_link_quota() {
	drive -- links bomb
	pair_survived
	assert_contains "$OUT" "ends: -24"
	assert_contains "$ERR" "refused: quota of"
}

test_datagram_flood_at_slow_receiver_gets_back_pressure_not_broker_memory() {
	drive -- flood
	pair_survived
	assert_contains "$OUT" "refused"
	assert_contains "$OUT" "times with -EAGAIN (back-pressure)"
	assert_contains "$OUT" "in order"
	assert_contains "$OUT" "stress: sink exited 0"
	# Data goes program to program: the broker holds none of it.
	[ "$PEAK_KB" -gt 0 ] && [ "$PEAK_KB" -lt 32768 ] ||
		fail "broker peak RSS ${PEAK_KB} KiB during the flood"
}

test_broadcast_storm_is_killed_at_the_rate_limit_and_named() {
	drive -- broadcast 300000
	pair_survived
	assert_contains "$ERR" "killed: control message flood (over 20000 a second)"
	[ "$PEAK_KB" -lt 32768 ] || fail "broker peak RSS ${PEAK_KB} KiB"
}

test_timer_storm_stops_at_the_handle_table() {
	drive -- timers
	pair_survived
	assert_contains "$OUT" "stress: timer refused after 2048: -24"
}

run_tests
