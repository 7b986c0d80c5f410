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
	while ! pid_ended "$pid"; do
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
	assert_contains "$OUT" "126 refused: quota reached"
	assert_contains "$ERR" "refused: quota of 12 programs per tree reached"
}

test_link_bomb_at_a_service_stops_at_the_per_peer_quota() {
	drive -- links guard
	pair_survived
	assert_contains "$OUT" "stress: link refused after 16 ends: -122"
	assert_contains "$ERR" "refused: quota of 16 links to one program (file://$TOP/build/progs/stress) reached by file://$TOP/build/progs/stress (id "
}

test_link_bomb_at_itself_stops_at_the_per_peer_quota_after_8() {
	# Each link to itself takes two of its slots, both held by its own
	# party: 8 links are the 16 of the per-party quota.
	drive -- links bomb
	pair_survived
	assert_contains "$OUT" "stress: link refused after 8 ends: -122"
	assert_contains "$ERR" "refused: quota of 16 links to one program (file://$TOP/build/progs/stress) reached by file://$TOP/build/progs/stress (id "
}

test_link_bomb_at_many_services_stops_at_the_per_program_quota() {
	# Five hubs, 13 links or fewer to each: the per-peer quota never
	# applies, and the 64th link meets the ring's 63 data slots.
	drive -- fanout 5
	pair_survived
	assert_contains "$OUT" "stress: link refused after 63 ends: -122"
	assert_contains "$ERR" "refused: quota of 63 links per program reached"
	assert_not_contains "$ERR" "links to one program"
}

test_serving_names_stops_at_the_names_quota() {
	drive -- names
	pair_survived
	assert_contains "$OUT" "stress: serve refused after 16: -122"
	assert_contains "$ERR" "refused: quota of 16 served names per program reached"
}

test_subscribing_stops_at_the_subscriptions_quota() {
	drive -- subs
	pair_survived
	assert_contains "$OUT" "stress: subscribe refused after 16: -122"
	assert_contains "$ERR" "refused: quota of 16 subscriptions per program reached"
}

test_requests_past_16_waiting_are_refused_at_once() {
	drive -- waiting
	pair_survived
	# The 17th link and a spawn, refused before the 16 held ones expire.
	assert_contains "$OUT" "stress: link 17 refused after"
	assert_contains "$OUT" "ms: -11"
	assert_contains "$OUT" "126 refused: quota reached"
	assert_contains "$ERR" "refused: quota of 16 requests waiting per program reached"
	assert_contains "$OUT" "stress: 16 held links refused after"
	# The quota is of requests waiting, not spent: it frees as they end.
	assert_contains "$OUT" "stress: a spawn after the wait exited 2"
	assert_contains "$OUT" "stress: bomb exited 0"
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

# The same flood where receive pages go back by PROVIDE_BUFFERS (a kernel
# before 6.4, forced here): the receiver runs out of pages and parks its
# read the other way, and must lose nothing either.
test_datagram_flood_gets_back_pressure_with_provide_buffers_too() {
	FAKEOS_RECV_PAGES=provide drive -- flood
	pair_survived
	assert_contains "$OUT" "times with -EAGAIN (back-pressure)"
	assert_contains "$OUT" "in order"
	assert_contains "$OUT" "stress: sink exited 0"
}

# The kernel charges a ring's memory, and a buffer ring's page, to the
# user's RLIMIT_MEMLOCK unless the broker has CAP_IPC_LOCK. A program whose
# buffer rings do not fit still runs, with PROVIDE_BUFFERS, and the operator
# is told; one whose ring does not fit is refused with the limit named. Each
# run is a user id nobody else has, so no other process's rings (whose
# memory the kernel gives back some time after they close) count.
test_a_program_past_the_memory_lock_limit_falls_back_or_is_named() {
	[ "$(id -u)" -eq 0 ] || skip "needs root to run as a fresh user id"
	kernel_has_buffer_rings || skip "no buffer rings before Linux 6.4"
	command -v setpriv >/dev/null || skip "no setpriv(1)"
	local d="$WORK/memlock" uid=60100
	mkdir -p "$d"
	cp "$RUN" "$TOP/build/progs/api_probe" "$d/"
	chmod -R a+rX "$d"
	fresh_uid() {
		while getent passwd "$uid" >/dev/null || pgrep -U "$uid" >/dev/null; do
			uid=$((uid + 1))
		done
	}
	# 16 KiB: the ring (four pages) fits, its buffer rings do not.
	fresh_uid
	CODE=0
	(ulimit -l 16 && exec setpriv --reuid="$uid" --regid="$uid" --clear-groups \
		"$d/fakeos-run" -vv -n "file://$d/api_probe" boot) \
		>"$WORK/out" 2>"$WORK/err" || CODE=$?
	OUT=$(cat "$WORK/out")
	ERR=$(cat "$WORK/err")
	expect_code 0
	assert_contains "$OUT" "recv pages 1"
	assert_contains "$ERR" "no memory for a program's buffer rings (the user's RLIMIT_MEMLOCK is used up by rings)"
	assert_contains "$ERR" "receive pages go back by PROVIDE_BUFFERS"
	# 8 KiB: not even the ring.
	uid=$((uid + 1))
	fresh_uid
	CODE=0
	(ulimit -l 8 && exec setpriv --reuid="$uid" --regid="$uid" --clear-groups \
		"$d/fakeos-run" -n "file://$d/api_probe" boot) \
		>"$WORK/out" 2>"$WORK/err" || CODE=$?
	OUT=$(cat "$WORK/out")
	ERR=$(cat "$WORK/err")
	expect_code 126
	# ENOMEM, which musl and glibc (the sanitizer build's) word differently
	grep -qE "io_uring_setup \(the kernel charges a ring to the user's RLIMIT_MEMLOCK unless the broker has CAP_IPC_LOCK\): (Out of memory|Cannot allocate memory)" <<<"$ERR" ||
		fail "no io_uring_setup ENOMEM naming RLIMIT_MEMLOCK in: $ERR"
}

# A broker that is not privileged shares the kernel's pipe budget with its
# user's other pipes (fs.pipe-user-pages-soft): past it, every new pipe
# gets 2 pages instead of 16. Links must still carry every datagram whole
# and in order, with back-pressure, and the operator is told once. The
# limit is lowered to 1 page for the run, so nobody is past it at once.
test_links_work_when_an_unprivileged_users_pipes_are_shrunk() {
	[ "$(id -u)" -eq 0 ] || skip "needs root to set fs.pipe-user-pages-soft and become nobody"
	id nobody >/dev/null 2>&1 || skip "no user nobody"
	local knob=/proc/sys/fs/pipe-user-pages-soft old d="$WORK/shrunk"
	old=$(cat "$knob")
	mkdir -p "$d"
	cp "$RUN" "$TOP/build/progs/stress" "$d/"
	chmod -R a+rX "$d"
	echo 1 >"$knob" || fail "cannot write $knob"
	CODE=0
	timeout 120 su nobody -s /bin/sh -c "'$d/fakeos-run' -vv -n 'file://$d/stress' drive flood" \
		>"$WORK/out" 2>"$WORK/err" || CODE=$?
	echo "$old" >"$knob"
	OUT=$(cat "$WORK/out")
	ERR=$(cat "$WORK/err")
	pair_survived
	assert_contains "$ERR" "links now get pipes of 8192 bytes, not 65536"
	assert_contains "$ERR" "with 2 datagrams in flight each way instead of 16"
	[ "$(grep -c "links now get pipes" <<<"$ERR")" -eq 1 ] ||
		fail "the small-pipe warning was not given exactly once"
	# and -vv shows that both links, the guard pair's and the flood's, had them
	[ "$(grep -c "slots [0-9]* and [0-9]*, pipes of 8192 bytes" <<<"$ERR")" -eq 2 ] ||
		fail "the guard and flood links were not both made with 8192-byte pipes"
	assert_contains "$OUT" "times with -EAGAIN (back-pressure)"
	assert_contains "$OUT" "stress: sink exited 0"
}

test_broadcast_storm_is_killed_at_the_rate_limit_and_named() {
	drive -- broadcast 300000
	pair_survived
	assert_contains "$ERR" "killed: control message flood (over 20000 a second)"
	[ "$PEAK_KB" -lt 32768 ] || fail "broker peak RSS ${PEAK_KB} KiB"
}

test_broadcasts_to_a_listener_that_stops_reading_are_dropped_and_counted() {
	# 1000 broadcasts of 2000 bytes at a listener that stops reading:
	# its control link holds 256 KiB, the rest is dropped, and the next
	# broadcast it gets tells it how many it lost.
	drive -- drops 1000
	pair_survived
	assert_contains "$OUT" "stress: broadcast 1000 messages of 2000 bytes"
	assert_contains "$OUT" "dropped: 1000 in all"
	assert_contains "$OUT" "stress: listener exited 0"
	local dropped
	dropped=$(sed -n 's/.*told of \([0-9]*\) dropped.*/\1/p' <<<"$OUT")
	[ "${dropped:-0}" -gt 0 ] || fail "no broadcast was dropped"
	[ "$PEAK_KB" -lt 32768 ] || fail "broker peak RSS ${PEAK_KB} KiB"
}

test_timer_storm_stops_at_the_handle_table() {
	drive -- timers
	pair_survived
	assert_contains "$OUT" "stress: timer refused after 2048: -24"
}

run_tests
